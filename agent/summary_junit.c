/*
 * summary_junit.c - `--summary junit`: the run as JUnit XML for CI pipelines.
 *
 * One <testsuite name="netcheck"> (the document's root element, as Jenkins,
 * GitLab and most JUnit readers accept), one <testcase> per probe in report
 * order. Probe ids, messages and remediations hold text from the network and
 * from files, so every string goes through junit_xml_escape(): the result is
 * well-formed XML 1.0 whatever bytes the probes saw.
 */
#include "netcheck/summary.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/diag.h"
#include "netcheck/probe.h"
#include "netcheck/report.h"
#include "netcheck/utf8.h"
#include "netcheck/version.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

/* XML 1.0 Char, minus the characters the spec discourages as controls
 * (DEL and C1) and the bidirectional formatting characters that would
 * reorder what a viewer shows around them: tab, newline, carriage return,
 * U+0020-U+007E, U+00A0-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF. */
static int xml_char_ok(uint32_t cp) {
  if (cp == 0x9 || cp == 0xa || cp == 0xd)
    return 1;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
    return 0;
  if ((cp >= 0xd800 && cp <= 0xdfff) || nc_char_bidi(cp))
    return 0;
  return cp != 0xfffe && cp != 0xffff;
}

void junit_xml_escape(FILE *out, const char *s, bool attr) {
  const unsigned char *p = (const unsigned char *)s, *end;
  if (!s)
    return;
  end = p + strlen(s);
  while (p < end) {
    uint32_t cp = 0;
    size_t n = utf8_seq(p, (size_t)(end - p), &cp);
    if (n == 0) {
      fputs(REPLACEMENT, out); /* one replacement per bad byte */
      p++;
      continue;
    }
    if (!xml_char_ok(cp)) {
      fputs(REPLACEMENT, out);
    } else if (n > 1) {
      fwrite(p, 1, n, out);
    } else {
      switch (cp) {
      case '&':
        fputs("&amp;", out);
        break;
      case '<':
        fputs("&lt;", out);
        break;
      case '>':
        fputs("&gt;", out);
        break;
      case '"':
        fputs("&quot;", out);
        break;
      case '\'':
        fputs("&apos;", out);
        break;
      case '\t':
      case '\n':
      case '\r':
        if (attr)
          fprintf(out, "&#%u;", (unsigned)cp);
        else
          fputc((int)cp, out);
        break;
      default:
        fputc((int)cp, out);
      }
    }
    p += n;
  }
}

/* name="value" with the value escaped; a leading space is written first. */
static void attr(FILE *out, const char *name, const char *value) {
  fprintf(out, " %s=\"", name);
  junit_xml_escape(out, value, true);
  fputc('"', out);
}

static void attr_seconds(FILE *out, const char *name, double ms) {
  fprintf(out, " %s=\"%.3f\"", name, ms > 0 ? ms / 1000.0 : 0.0);
}

static void property(FILE *out, const char *name, const char *value) {
  fputs("    <property", out);
  attr(out, "name", name);
  attr(out, "value", value);
  fputs("/>\n", out);
}

/* JUnit's timestamp: ISO 8601 without a zone (the Ant schema); it is UTC. */
static void junit_timestamp(long long ms, char *buf, size_t len) {
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  if (ms <= 0 || !gmtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))
    nc_strlcpy(buf, "1970-01-01T00:00:00", len);
}

static void testcase(FILE *out, const struct probe *p) {
  char classname[sizeof p->kind + 16];
  nc_snprintf(classname, sizeof classname, "netcheck.%s", p->kind[0] ? p->kind : "probe");
  fputs("  <testcase", out);
  attr(out, "classname", classname);
  attr(out, "name", p->id);
  attr_seconds(out, "time", p->t.total);
  switch (p->verdict) {
  case NC_VERDICT_FAIL:
    fputs(">\n    <failure message=\"", out);
    junit_xml_escape(out, diag_name(p->code), true);
    fputs(": ", out);
    junit_xml_escape(out, p->message, true);
    fputc('"', out);
    attr(out, "type", diag_name(p->code));
    fputc('>', out);
    junit_xml_escape(out, p->remediation, false);
    fputs("</failure>\n  </testcase>\n", out);
    break;
  case NC_VERDICT_SKIP:
    fputs(">\n    <skipped", out);
    if (p->message[0])
      attr(out, "message", p->message);
    fputs("/>\n  </testcase>\n", out);
    break;
  case NC_VERDICT_WARN:
    fputs(">\n    <system-out>WARN ", out);
    junit_xml_escape(out, diag_name(p->code), false);
    fputs(": ", out);
    junit_xml_escape(out, p->message, false);
    if (p->remediation[0]) {
      fputs(" Fix: ", out);
      junit_xml_escape(out, p->remediation, false);
    }
    fputs("</system-out>\n  </testcase>\n", out);
    break;
  default:
    fputs("/>\n", out);
  }
}

void summary_junit_print(FILE *out, const struct nc_config *cfg, const struct plan *pl,
                         const struct report_run *run) {
  struct report_counts c;
  char host[80], ts[32], n[32];
  int tests = 0;

  report_count(pl, &c);
  for (const struct probe *p = pl->head; p; p = p->next)
    tests++;
  report_host(cfg, host, sizeof host);
  junit_timestamp(run->started_wall_ms, ts, sizeof ts);

  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite", out);
  attr(out, "name", NC_NAME);
  fprintf(out, " tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\"", tests, c.fail, c.skip);
  attr_seconds(out, "time", (double)run->duration_ms);
  attr(out, "timestamp", ts);
  attr(out, "hostname", host);
  fputs(">\n  <properties>\n", out);
  property(out, "verdict", report_verdict(&c, run->interrupted));
  property(out, "version", nc_version);
  property(out, "job", cfg->job.name);
  property(out, "region", cfg->region);
  nc_snprintf(n, sizeof n, "%d", c.warn);
  property(out, "warnings", n);
  fputs("  </properties>\n", out);
  for (const struct probe *p = pl->head; p; p = p->next)
    testcase(out, p);
  fputs("</testsuite>\n", out);
  fflush(out);
}
