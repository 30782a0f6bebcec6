/*
 * merge_view.c - the views of `netcheck merge` over a built struct merge
 * (merge.c): the JSON document, the terminal matrix (detailed or compact,
 * with colour) and the HTML page. Report text is untrusted: every string
 * from a file is escaped for where it goes.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "merge_int.h"
#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/merge.h"
#include "netcheck/peerproto.h"
#include "netcheck/summary.h"
#include "netcheck/utf8.h"

struct mg_counts {
  int links, ok, failed, unknown;
  int probes_failed, probes_warned;
};

static void mg_count(const struct merge *m, struct mg_counts *c) {
  memset(c, 0, sizeof(*c));
  for (int i = 0; i < m->n_hosts; i++) {
    for (int j = 0; j < m->n_hosts; j++) {
      const struct merge_cell *cell = merge_cell(m, i, j);
      if (i == j)
        continue;
      c->links++;
      if (mg_cell_ok(cell))
        c->ok++;
      else if (!strcmp(cell->verdict, "fail"))
        c->failed++;
      else
        c->unknown++;
    }
  }
  for (int r = 0; r < m->n_reports; r++) {
    const cJSON *p;
    cJSON_ArrayForEach(p, mg_probes(m->reports[r].root)) {
      c->probes_failed += !strcmp(mg_str(p, "verdict"), "fail");
      c->probes_warned += !strcmp(mg_str(p, "verdict"), "warn");
    }
  }
}

/* What the reports say about the job: its name and region (the first
 * report's that has one), the first start and the last finish. */
struct mg_job {
  const char *name, *region, *started, *finished;
};

static void mg_job_info(const struct merge *m, struct mg_job *j) {
  j->name = j->region = j->started = j->finished = "";
  for (int h = 0; h < m->n_hosts; h++) {
    const cJSON *root, *job;
    const char *s, *f;
    if (m->report_of[h] < 0)
      continue;
    root = m->reports[m->report_of[h]].root;
    job = cJSON_GetObjectItemCaseSensitive(root, "job");
    if (!*j->name)
      j->name = mg_str(job, "name");
    if (!*j->region)
      j->region = mg_str(job, "region");
    s = mg_str(root, "started_at");
    f = mg_str(root, "finished_at");
    if (*s && (!*j->started || strcmp(s, j->started) < 0))
      j->started = s;
    if (*f && strcmp(f, j->finished) > 0)
      j->finished = f;
  }
}

/* What the text and HTML views open with: the job, the counts and the
 * verdict. */
struct mg_head {
  struct mg_job ji;
  struct mg_counts c;
  const char *verdict;
};

static void mg_head_init(const struct merge *m, struct mg_head *h) {
  mg_count(m, &h->c);
  mg_job_info(m, &h->ji);
  h->verdict = causes_verdict(&m->causes);
}

/* "2024-05-01 10:00:00 to 10:00:17 UTC" from two ISO 8601 UTC timestamps
 * (the date again when it differs); the raw strings when they are not. */
static void mg_time_range(const struct mg_job *j, char *out, size_t len) {
  const char *a = j->started, *b = j->finished;
  bool iso = strlen(a) >= 20 && strlen(b) >= 20 && a[10] == 'T' && b[10] == 'T' &&
             a[strlen(a) - 1] == 'Z' && b[strlen(b) - 1] == 'Z';
  if (!iso) {
    nc_snprintf(out, len, "%.40s to %.40s", a, b);
    return;
  }
  if (!strncmp(a, b, 10))
    nc_snprintf(out, len, "%.10s %.8s to %.8s UTC", a, a + 11, b + 11);
  else
    nc_snprintf(out, len, "%.10s %.8s to %.10s %.8s UTC", a, a + 11, b, b + 11);
}

/* "region us-east-1, 16 hosts, 15 reports, 2024-05-01 10:00:00 to 10:00:17
 * UTC", report text written with put, the parts separated by sep. */
static void mg_print_meta(const struct merge *m, const struct mg_job *j, FILE *out,
                          void (*put)(FILE *, const char *), const char *sep) {
  if (*j->region) {
    fputs("region ", out);
    put(out, j->region);
    fputs(sep, out);
  }
  fprintf(out, "%d host%s%s%d report%s", m->n_hosts, m->n_hosts == 1 ? "" : "s", sep, m->n_reports,
          m->n_reports == 1 ? "" : "s");
  if (*j->started) {
    char when[96];
    mg_time_range(j, when, sizeof(when));
    fputs(sep, out);
    put(out, when);
  }
}

/* One line per host with two reports: which was kept; report text written
 * with put, the host between bold and unbold. */
static void mg_print_dups(const struct merge *m, FILE *out, void (*put)(FILE *, const char *),
                          const char *before, const char *unbold, const char *after) {
  for (int i = 0; i < m->n_dups; i++) {
    fputs(before, out);
    put(out, m->dups[i].host);
    fprintf(out, "%s: kept the newer ", unbold);
    put(out, m->dups[i].kept);
    fputs(", ignored ", out);
    put(out, m->dups[i].dropped);
    fputs(after, out);
  }
}

/* "2 causes (43 failed probes, 1 report missing); peer links 196 of 240 ok" */
static void mg_print_tally(const struct merge *m, const struct causes *cs,
                           const struct mg_counts *c, FILE *out) {
  int missing = 0;
  for (int h = 0; h < m->n_hosts; h++)
    missing += m->report_of[h] < 0;
  if (!cs->n)
    fputs("no failure and no warning on any host", out);
  else
    fprintf(out, "%d cause%s (%d failed probe%s", cs->n, cs->n == 1 ? "" : "s", c->probes_failed,
            c->probes_failed == 1 ? "" : "s");
  if (cs->n && c->probes_warned)
    fprintf(out, ", %d warned", c->probes_warned);
  if (cs->n && missing)
    fprintf(out, ", %d report%s missing", missing, missing == 1 ? "" : "s");
  if (cs->n)
    fputc(')', out);
  if (c->links)
    fprintf(out, "; peer links %d of %d ok", c->ok, c->links);
}

/* True when exactly one direction between hosts i and j works; *bad is the
 * one that does not. */
static bool mg_asymmetric(const struct merge *m, int i, int j, int *bad_from, int *bad_to) {
  const struct merge_cell *a = merge_cell(m, i, j), *b = merge_cell(m, j, i);
  if (!mg_cell_known(a) || !mg_cell_known(b) || mg_cell_ok(a) == mg_cell_ok(b))
    return false;
  *bad_from = mg_cell_ok(a) ? j : i;
  *bad_to = mg_cell_ok(a) ? i : j;
  return true;
}

/* What the failure lists show: every failed or warned probe. */
static bool mg_is_problem(const cJSON *p) {
  return !strcmp(mg_str(p, "verdict"), "fail") || !strcmp(mg_str(p, "verdict"), "warn");
}

/* Short cell text: "ok", or the code without the PEER_ prefix. */
static const char *mg_abbrev(const struct merge_cell *c) {
  if (!c->code)
    return !strcmp(c->verdict, "no_report") ? "n/a" : "?";
  if (!strcmp(c->verdict, "skip"))
    return "skip";
  if (!strcmp(c->code, "OK"))
    return !strcmp(c->verdict, "fail") ? "OPEN" : "ok"; /* reachable, expected blocked */
  if (!strcmp(c->code, "PEER_NOT_NETCHECK"))
    return "NOT_NC";
  if (!strcmp(c->code, "PEER_PMTU_BLACKHOLE"))
    return "PMTU";
  if (!strncmp(c->code, "PEER_", 5))
    return c->code + 5;
  return *c->code ? c->code : "?";
}

/* The compact matrix: one glyph per cell, explained by the legend. */
static const struct {
  char glyph;
  const char *code, *meaning;
} mg_glyphs[] = {
    {'.', "OK", "ok"},
    {'X', "PEER_BLOCKED", "blocked"},
    {'R', "PEER_REFUSED", "refused"},
    {'P', "PEER_PMTU_BLACKHOLE", "PMTU black hole"},
    {'D', "PEER_DNS", "name does not resolve"},
    {'N', "PEER_NOT_NETCHECK", "not netcheck"},
    {'T', "TIMEOUT_BUDGET", "too slow"},
    {'O', NULL, "reachable, expected blocked"},
    {'!', NULL, "other failure"},
    {'s', NULL, "skipped"},
    {'?', NULL, "no result"},
};

static char mg_glyph(const struct merge_cell *c) {
  if (!c->code)
    return '?';
  if (!strcmp(c->verdict, "skip"))
    return 's';
  if (!strcmp(c->code, "OK") && !strcmp(c->verdict, "fail"))
    return 'O';
  for (size_t k = 0; k < NC_ARRAY_LEN(mg_glyphs); k++)
    if (mg_glyphs[k].code && !strcmp(mg_glyphs[k].code, c->code))
      return mg_glyphs[k].glyph;
  return '!';
}

/* ---- JSON ---- */

static cJSON *mg_failure_json(const struct merge_report *r, const cJSON *p) {
  static const char *const keys[] = {"id",   "kind",    "target",     "verdict",
                                     "code", "message", "remediation"};
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "host", r->host);
  for (size_t k = 0; k < NC_ARRAY_LEN(keys); k++)
    cJSON_AddStringToObject(o, keys[k], mg_str(p, keys[k]));
  return o;
}

cJSON *merge_json(const struct merge *m) {
  cJSON *root = cJSON_CreateObject(), *hosts, *matrix, *fails, *asym, *missing, *sum, *job, *dups;
  cJSON *causes = causes_json(&m->causes);
  struct mg_counts c;
  struct mg_job ji;
  int bf, bt;

  mg_job_info(m, &ji);
  job = cJSON_AddObjectToObject(root, "job");
  cJSON_AddStringToObject(job, "name", ji.name);
  cJSON_AddStringToObject(job, "region", ji.region);
  cJSON_AddStringToObject(job, "started_at", ji.started);
  cJSON_AddStringToObject(job, "finished_at", ji.finished);
  if (causes)
    cJSON_AddItemToObject(root, "causes", causes);
  hosts = cJSON_AddArrayToObject(root, "hosts");
  matrix = cJSON_AddObjectToObject(root, "matrix");
  for (int i = 0; i < m->n_hosts; i++) {
    cJSON *row = cJSON_AddObjectToObject(matrix, m->hosts[i]);
    cJSON_AddItemToArray(hosts, cJSON_CreateString(m->hosts[i]));
    for (int j = 0; j < m->n_hosts; j++) {
      if (i == j)
        continue;
      const struct merge_cell *cell = merge_cell(m, i, j);
      cJSON *o = cJSON_AddObjectToObject(row, m->hosts[j]);
      if (cell->code)
        cJSON_AddStringToObject(o, "code", cell->code);
      else
        cJSON_AddNullToObject(o, "code");
      cJSON_AddStringToObject(o, "verdict", cell->verdict);
      if (cell->rtt_ms >= 0)
        cJSON_AddNumberToObject(o, "rtt_ms", cell->rtt_ms);
      else
        cJSON_AddNullToObject(o, "rtt_ms");
    }
  }
  fails = cJSON_AddArrayToObject(root, "failures");
  for (int h = 0; h < m->n_hosts; h++) {
    const cJSON *p;
    if (m->report_of[h] < 0)
      continue;
    cJSON_ArrayForEach(p, mg_probes(m->reports[m->report_of[h]].root)) {
      if (mg_is_problem(p))
        cJSON_AddItemToArray(fails, mg_failure_json(&m->reports[m->report_of[h]], p));
    }
  }
  asym = cJSON_AddArrayToObject(root, "asymmetric");
  for (int i = 0; i < m->n_hosts; i++)
    for (int j = i + 1; j < m->n_hosts; j++)
      if (mg_asymmetric(m, i, j, &bf, &bt)) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "from", m->hosts[bf]);
        cJSON_AddStringToObject(o, "to", m->hosts[bt]);
        cJSON_AddStringToObject(o, "code", merge_cell(m, bf, bt)->code);
        cJSON_AddItemToArray(asym, o);
      }
  missing = cJSON_AddArrayToObject(root, "missing_reports");
  for (int i = 0; i < m->n_hosts; i++)
    if (m->report_of[i] < 0)
      cJSON_AddItemToArray(missing, cJSON_CreateString(m->hosts[i]));
  dups = cJSON_AddArrayToObject(root, "duplicates");
  for (int i = 0; i < m->n_dups; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "host", m->dups[i].host);
    cJSON_AddStringToObject(o, "kept", m->dups[i].kept);
    cJSON_AddStringToObject(o, "ignored", m->dups[i].dropped);
    cJSON_AddItemToArray(dups, o);
  }
  mg_count(m, &c);
  sum = cJSON_AddObjectToObject(root, "summary");
  cJSON_AddNumberToObject(sum, "hosts", m->n_hosts);
  cJSON_AddNumberToObject(sum, "reports", m->n_reports);
  cJSON_AddNumberToObject(sum, "causes", m->causes.n);
  cJSON_AddNumberToObject(sum, "failed_probes", c.probes_failed);
  cJSON_AddNumberToObject(sum, "warned_probes", c.probes_warned);
  cJSON_AddNumberToObject(sum, "links", c.links);
  cJSON_AddNumberToObject(sum, "ok", c.ok);
  cJSON_AddNumberToObject(sum, "failed", c.failed);
  cJSON_AddNumberToObject(sum, "unknown", c.unknown);
  cJSON_AddStringToObject(sum, "verdict", causes_verdict(&m->causes));
  if (!causes || !sum || !missing || !fails || !asym || !dups || !job) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

/* ---- terminal ---- */

/* Terminal columns written for s (escapes are wider than what they stand
 * for; a multi-byte character is one column). */
static size_t mg_term_width(const char *s, size_t max) {
  char *buf = NULL;
  size_t len = 0, w = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return strnlen(s, max);
  nc_put_term(f, s, max);
  fclose(f);
  if (buf)
    w = utf8_count(buf, len);
  free(buf);
  return w;
}

static void mg_pad(FILE *out, size_t used, size_t width) {
  for (; used < width; used++)
    fputc(' ', out);
}

static const char *mg_colour(const char *verdict) {
  if (!strcmp(verdict, "pass"))
    return MG_GREEN;
  if (!strcmp(verdict, "fail"))
    return MG_RED;
  if (!strcmp(verdict, "warn"))
    return MG_YELLOW;
  return MG_DIM;
}

/* The matrix with one column per host, as wide as its names; 0 when it
 * would be wider than columns (nothing printed then). */
static int mg_print_detailed(const struct merge *m, FILE *out, bool color, int columns) {
  size_t name_w = 9, col_w = 7, width; /* "from \\ to", "BLOCKED" */
  bool numbered = false;

  for (int i = 0; i < m->n_hosts; i++) {
    size_t l = mg_term_width(m->hosts[i], NC_HOST_MAX);
    numbered |= l > MERGE_NAME_WIDTH;
    if (l > name_w)
      name_w = l < 64 ? l : 64;
    if (l > col_w)
      col_w = l;
  }
  if (numbered)
    col_w = 7; /* columns labelled [1], [2]... like the rows */
  width = (numbered ? 5 : 0) + name_w + (size_t)m->n_hosts * (2 + col_w);
  if (width > (size_t)columns)
    return 0;

  fprintf(out, "%sfrom \\ to", numbered ? "     " : "");
  mg_pad(out, 9, name_w);
  for (int j = 0; j < m->n_hosts; j++) {
    char label[16];
    const char *text = m->hosts[j];
    if (numbered) {
      nc_snprintf(label, sizeof(label), "[%d]", j + 1);
      text = label;
    }
    fputs("  ", out);
    mg_put_safe(out, text, col_w);
    if (j + 1 < m->n_hosts)
      mg_pad(out, mg_term_width(text, col_w), col_w);
  }
  fputc('\n', out);
  for (int i = 0; i < m->n_hosts; i++) {
    if (numbered) {
      char label[16];
      nc_snprintf(label, sizeof(label), "[%d]", i + 1);
      fprintf(out, "%-5s", label);
    }
    mg_put_safe(out, m->hosts[i], name_w);
    mg_pad(out, mg_term_width(m->hosts[i], name_w), name_w);
    for (int j = 0; j < m->n_hosts; j++) {
      const struct merge_cell *cell = merge_cell(m, i, j);
      const char *text = i == j ? "-" : mg_abbrev(cell);
      fputs("  ", out);
      if (color && i != j)
        fputs(mg_colour(cell->verdict), out);
      mg_put_safe(out, text, col_w);
      if (color && i != j)
        fputs(MG_RESET, out);
      if (j + 1 < m->n_hosts)
        mg_pad(out, mg_term_width(text, col_w), col_w);
    }
    if (m->report_of[i] < 0)
      fputs("  (no report)", out);
    fputc('\n', out);
  }
  return 1;
}

/* One glyph per cell: rows "N name", columns numbered vertically; a space
 * every ten columns when that still fits. */
static void mg_print_compact(const struct merge *m, FILE *out, bool color, int columns) {
  int n = m->n_hosts, digits = n >= 100 ? 3 : n >= 10 ? 2 : 1;
  size_t name_w = 1, label_w;
  bool groups, used[NC_ARRAY_LEN(mg_glyphs)] = {false};

  for (int i = 0; i < n; i++) {
    size_t l = mg_term_width(m->hosts[i], MERGE_ROW_NAME_MAX);
    if (l > name_w)
      name_w = l;
  }
  label_w = (size_t)digits + 1 + name_w + 2;
  groups = label_w + (size_t)n + (size_t)(n - 1) / 10 <= (size_t)columns;
  for (int d = digits - 1; d >= 0; d--) {
    int div = d == 2 ? 100 : d == 1 ? 10 : 1;
    mg_pad(out, 0, label_w);
    for (int j = 0; j < n; j++) {
      int v = j + 1;
      if (groups && j && j % 10 == 0)
        fputc(' ', out);
      fputc(v >= div ? '0' + (v / div) % 10 : ' ', out);
    }
    fputc('\n', out);
  }
  for (int i = 0; i < n; i++) {
    fprintf(out, "%*d ", digits, i + 1);
    mg_put_safe(out, m->hosts[i], MERGE_ROW_NAME_MAX);
    mg_pad(out, mg_term_width(m->hosts[i], MERGE_ROW_NAME_MAX), name_w + 2);
    for (int j = 0; j < n; j++) {
      const struct merge_cell *cell = merge_cell(m, i, j);
      char g = i == j ? '-' : mg_glyph(cell);
      if (groups && j && j % 10 == 0)
        fputc(' ', out);
      for (size_t k = 0; k < NC_ARRAY_LEN(mg_glyphs); k++)
        used[k] |= mg_glyphs[k].glyph == g;
      if (color && i != j)
        fprintf(out, "%s%c%s", mg_colour(cell->verdict), g, MG_RESET);
      else
        fputc(g, out);
    }
    fputc('\n', out);
  }
  fputs("legend:", out);
  for (size_t k = 0; k < NC_ARRAY_LEN(mg_glyphs); k++)
    if (used[k])
      fprintf(out, "  %c %s", mg_glyphs[k].glyph, mg_glyphs[k].meaning);
  fputs("  - self\n", out);
}

void merge_print_text(const struct merge *m, FILE *out, bool color, int columns) {
  const struct causes *cs = &m->causes;
  struct mg_head h;

  mg_head_init(m, &h);
  fputs("netcheck merge: job ", out);
  mg_put_term(out, *h.ji.name ? h.ji.name : "(unnamed)");
  fputs(": ", out);
  mg_print_meta(m, &h.ji, out, mg_put_term, ", ");
  fprintf(out, "\n%sverdict %s%s: ", color ? mg_colour(h.verdict) : "", h.verdict,
          color ? MG_RESET : "");
  mg_print_tally(m, cs, &h.c, out);
  fputc('\n', out);
  for (int i = 0; i < cs->n; i++) {
    char prefix[16];
    nc_snprintf(prefix, sizeof(prefix), "%3d. ", i + 1);
    causes_print_line(out, cs, &cs->v[i], prefix, color, MERGE_FIX_MAX);
  }
  if (m->n_hosts > 1) {
    fputs("\npeer links (rows: from, columns: to):\n", out);
    if (!mg_print_detailed(m, out, color, columns))
      mg_print_compact(m, out, color, columns);
  }
  mg_print_dups(m, out, mg_put_term, "note: two reports for ", "", "\n");
  if (cs->n)
    fputs("every failed probe with its message and fix: netcheck merge --json, or --html FILE\n",
          out);
}

/* ---- HTML ---- */

/* XML attribute escaping is safe in HTML text and attributes alike. */
void merge_html_escape(FILE *out, const char *s) { junit_xml_escape(out, s, true); }

/* CSS class of a verdict: one of a fixed set, never report text. */
static const char *mg_class(const char *verdict) {
  if (!strcmp(verdict, "pass") || !strcmp(verdict, "fail") || !strcmp(verdict, "warn"))
    return verdict;
  return "none";
}

static const char mg_css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222;overflow-wrap:anywhere}"
    "h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.4em 0 .4em}"
    ".meta{color:#555;margin:0}.verdict{font-weight:bold;margin:.4em 0}"
    ".verdict.fail,.tag.fail{color:#b00020}.verdict.warn,.tag.warn{color:#8a6d00}"
    ".verdict.pass{color:#1b6e2a}"
    "ol.causes{padding-left:2em;margin:.3em 0}ol.causes li{margin:.45em 0}"
    ".tag{font-weight:bold}code{font-size:.95em}.fix{color:#0b5394}"
    "th{white-space:nowrap;background:#f4f4f4;font-weight:600}"
    "table{border-collapse:collapse;margin:.6em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:center}"
    "td.pass{background:#d8f3dc}td.fail{background:#f8d7da;font-weight:bold}"
    "td.warn{background:#fff3cd}td.none{background:#eee;color:#888}"
    "td.self{background:#fafafa;color:#bbb}small{color:#555}"
    "table.compact{table-layout:fixed;font:10px/11px ui-monospace,monospace}"
    "table.compact td{width:10px;height:11px;padding:0;font-weight:normal}"
    "table.compact th{padding:0 3px;font-size:10px}"
    "table.compact thead th.to{writing-mode:vertical-rl;transform:rotate(180deg);"
    "text-align:left;padding:3px 0;width:10px}"
    "table.compact tbody th{text-align:right}"
    ".legend span{margin-right:1.2em;white-space:nowrap}"
    "table.problems{width:100%;table-layout:fixed}"
    "table.problems td{text-align:left;vertical-align:top}"
    "table.problems col.host{width:9em}table.problems col.probe{width:18em}"
    "table.problems col.verdict{width:5em}table.problems col.code{width:16em}"
    "span.fail{color:#b00020;font-weight:bold}span.warn{color:#8a6d00;font-weight:bold}";

/* One escaped evidence or fix sentence of a cause. */
static void mg_html_cause(const struct merge *m, const struct cause *c, FILE *out) {
  char text[1700];
  const char *label = c->code                           ? c->code
                      : c->pattern == CAUSE_INTERRUPTED ? "INTERRUPTED"
                                                        : "NO_REPORT";
  fprintf(out, "<li><span class=\"tag %s\">%s</span> <code>", c->warn ? "warn" : "fail",
          c->warn ? "WARN" : "FAIL");
  merge_html_escape(out, label);
  fputs("</code> on <b>", out);
  causes_hosts_text(&m->causes, c, text, sizeof(text));
  merge_html_escape(out, text);
  fputs("</b>: ", out);
  causes_evidence(&m->causes, c, text, sizeof(text));
  merge_html_escape(out, text);
  causes_fix(&m->causes, c, text, sizeof(text));
  if (text[0]) {
    fputs("<div class=\"fix\">Fix: ", out);
    merge_html_escape(out, text);
    fputs("</div>", out);
  }
  fputs("</li>\n", out);
}

static void mg_html_matrix(const struct merge *m, FILE *out) {
  bool compact = m->n_hosts > MERGE_HTML_COMPACT;
  bool used[NC_ARRAY_LEN(mg_glyphs)] = {false};
  fprintf(out, "<table class=\"matrix%s\"><thead><tr><th>from \\ to</th>",
          compact ? " compact" : "");
  for (int j = 0; j < m->n_hosts; j++) {
    fputs("<th class=\"to\">", out);
    merge_html_escape(out, m->hosts[j]);
    fputs("</th>", out);
  }
  fputs("</tr></thead><tbody>\n", out);
  for (int i = 0; i < m->n_hosts; i++) {
    fputs("<tr><th>", out);
    merge_html_escape(out, m->hosts[i]);
    if (m->report_of[i] < 0)
      fputs(compact ? " *" : " <small>(no report)</small>", out);
    fputs("</th>", out);
    for (int j = 0; j < m->n_hosts; j++) {
      const struct merge_cell *cell = merge_cell(m, i, j);
      if (i == j) {
        fputs(compact ? "<td class=\"self\"></td>" : "<td class=\"self\">&ndash;</td>", out);
        continue;
      }
      fprintf(out, "<td class=\"%s\" title=\"", mg_class(cell->verdict));
      merge_html_escape(out, m->hosts[i]);
      fputs(" to ", out);
      merge_html_escape(out, m->hosts[j]);
      fputs(": ", out);
      merge_html_escape(out, cell->probe ? mg_str(cell->probe, "message") : "no result");
      fputs("\">", out);
      if (compact) {
        char g = mg_glyph(cell);
        for (size_t k = 0; k < NC_ARRAY_LEN(mg_glyphs); k++)
          used[k] |= mg_glyphs[k].glyph == g;
        if (g != '.')
          fputc(g, out);
      } else {
        merge_html_escape(out, mg_abbrev(cell));
        if (cell->rtt_ms >= 0)
          fprintf(out, "<br><small>%.2f ms</small>", cell->rtt_ms);
      }
      fputs("</td>", out);
    }
    fputs("</tr>\n", out);
  }
  fputs("</tbody></table>\n", out);
  if (compact) {
    fputs("<p class=\"legend\"><span>green: ok</span>", out);
    for (size_t k = 1; k < NC_ARRAY_LEN(mg_glyphs); k++)
      if (used[k])
        fprintf(out, "<span><b>%c</b> %s</span>", mg_glyphs[k].glyph, mg_glyphs[k].meaning);
    fputs("<span>* no report</span><span>hover a cell for its probe's message</span></p>\n", out);
  }
}

static void mg_html_problems(const struct merge *m, FILE *out, int rows) {
  fprintf(out, "<details%s><summary>%d failed or warned probe%s, by host</summary>\n",
          rows <= MERGE_HTML_OPEN_ROWS ? " open" : "", rows, rows == 1 ? "" : "s");
  fputs("<table class=\"problems\"><colgroup><col class=\"host\"><col class=\"probe\">"
        "<col class=\"verdict\"><col class=\"code\"><col></colgroup>"
        "<thead><tr><th>host</th><th>probe</th><th>verdict</th><th>code</th>"
        "<th>what happened, and the fix</th></tr></thead><tbody>\n",
        out);
  for (int h = 0; h < m->n_hosts; h++) {
    const cJSON *p;
    if (m->report_of[h] < 0)
      continue;
    cJSON_ArrayForEach(p, mg_probes(m->reports[m->report_of[h]].root)) {
      const char *v = mg_str(p, "verdict");
      if (!mg_is_problem(p))
        continue;
      fputs("<tr><td>", out);
      merge_html_escape(out, m->hosts[h]);
      fputs("</td><td>", out);
      merge_html_escape(out, mg_str(p, "id"));
      fprintf(out, "</td><td><span class=\"%s\">%s</span></td><td>", mg_class(v),
              !strcmp(v, "fail") ? "fail" : "warn");
      merge_html_escape(out, mg_str(p, "code"));
      fputs("</td><td>", out);
      merge_html_escape(out, mg_str(p, "message"));
      if (*mg_str(p, "remediation")) {
        fputs("<br><span class=\"fix\">Fix: ", out);
        merge_html_escape(out, mg_str(p, "remediation"));
        fputs("</span>", out);
      }
      fputs("</td></tr>\n", out);
    }
  }
  fputs("</tbody></table></details>\n", out);
}

void merge_print_html(const struct merge *m, FILE *out) {
  const struct causes *cs = &m->causes;
  struct mg_head h;

  mg_head_init(m, &h);
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n<title>netcheck: ",
        out);
  merge_html_escape(out, *h.ji.name ? h.ji.name : "job");
  fputs("</title>\n<style>", out);
  fputs(mg_css, out);
  fputs("</style></head><body>\n<h1>netcheck: ", out);
  merge_html_escape(out, *h.ji.name ? h.ji.name : "(unnamed job)");
  fputs("</h1>\n<p class=\"meta\">", out);
  mg_print_meta(m, &h.ji, out, merge_html_escape, " &middot; ");
  fprintf(out, "</p>\n<p class=\"verdict %s\">verdict %s: ", mg_class(h.verdict), h.verdict);
  mg_print_tally(m, cs, &h.c, out);
  fputs("</p>\n<h2>Causes, most important first</h2>\n", out);
  if (cs->n) {
    fputs("<ol class=\"causes\">\n", out);
    for (int i = 0; i < cs->n; i++)
      mg_html_cause(m, &cs->v[i], out);
    fputs("</ol>\n", out);
  } else {
    fputs("<p>None.</p>\n", out);
  }
  mg_print_dups(m, out, merge_html_escape, "<p>Note: two reports for <b>", "</b>", "</p>\n");
  if (m->n_hosts > 1) {
    fputs("<h2>Peer links <small>(rows: from, columns: to)</small></h2>\n", out);
    mg_html_matrix(m, out);
  }
  fputs("<h2>Failures and warnings</h2>\n", out);
  if (h.c.probes_failed + h.c.probes_warned)
    mg_html_problems(m, out, h.c.probes_failed + h.c.probes_warned);
  else
    fputs("<p>None.</p>\n", out);
  fputs("</body></html>\n", out);
}
