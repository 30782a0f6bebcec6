/*
 * test_junit.c - `--summary junit` (agent/summary_junit.c): the document's
 * shape (one testsuite, one testcase per probe, counts), the elements of
 * each verdict, and escaping of hostile text: XML specials, control
 * characters, invalid UTF-8 and non-characters. The documents are also
 * parsed with /usr/bin/python3's xml.etree (skipped when it is missing).
 *
 * The plan is built by hand with plan_add(); no probe runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netcheck/config.h"
#include "netcheck/diag.h"
#include "netcheck/probe.h"
#include "netcheck/report.h"
#include "netcheck/summary.h"
#include "plan_fixture.h"

#define PYTHON "/usr/bin/python3"

/* The families themselves (probes/families.c lists them). */
extern const struct probe_family dns_family, s3_family, repo_family, egress_family, peer_family;
static const struct probe_ops ops_dns = {.family = &dns_family};
static const struct probe_ops ops_s3 = {.family = &s3_family};
static const struct probe_ops ops_repo = {.family = &repo_family};
static const struct probe_ops ops_egress = {.family = &egress_family};
static const struct probe_ops ops_peer = {.family = &peer_family};

/* A message with every kind of trouble netcheck can meet in network text. */
#define HOSTILE_MESSAGE                                                                            \
  "TCP to 52.216.0.10:443 timed out & <b>\"q\"</b> 'a' \x01\x1b[31m bell\x07 del\x7f"              \
  " bad\xff\xc3( ok \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 sur\xed\xa0\x80 nc\xef\xbf\xbe"         \
  " c1\xc2\x85 tab\there nl\nend"

/* What junit_xml_escape makes of HOSTILE_MESSAGE in an attribute value. */
#define R "\xef\xbf\xbd"
#define HOSTILE_ATTR                                                                               \
  "TCP to 52.216.0.10:443 timed out &amp; &lt;b&gt;&quot;q&quot;&lt;/b&gt; &apos;a&apos; " R R     \
  "[31m bell" R " del" R " bad" R R "( ok \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 sur" R R R        \
  " nc" R " c1" R " tab&#9;here nl&#10;end"
/* ... and as character data (tab and newline kept as they are). */
#define HOSTILE_TEXT                                                                               \
  "TCP to 52.216.0.10:443 timed out &amp; &lt;b&gt;&quot;q&quot;&lt;/b&gt; &apos;a&apos; " R R     \
  "[31m bell" R " del" R " bad" R R "( ok \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 sur" R R R        \
  " nc" R " c1" R " tab\there nl\nend"
/* ... and as Python sees it after parsing the attribute. */
#define HOSTILE_PARSED                                                                             \
  "TCP to 52.216.0.10:443 timed out & <b>\"q\"</b> 'a' " R R "[31m bell" R " del" R " bad" R R     \
  "( ok \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 sur" R R R " nc" R " c1" R " tab\there nl\nend"

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  f->cfg.timeout_ms = 15000;
  strcpy(f->cfg.region, "eu-west-1");
  strcpy(f->cfg.job.name, "job & <co>");
  strcpy(f->cfg.job.current_host, "algo-1");
  f->run.started_wall_ms = 1700000000000LL; /* 2023-11-14T22:13:20Z */
  f->run.finished_wall_ms = f->run.started_wall_ms + 2345;
  f->run.duration_ms = 2345;

  add(f, &ops_dns, "dns:s3.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com", NC_VERDICT_PASS,
      NC_OK, "resolved to 52.218.0.1", "", 12.5);
  add(f, &ops_s3, "s3:my-bucket", "https://my-bucket.s3.eu-west-1.amazonaws.com/", NC_VERDICT_FAIL,
      NC_S3_NO_ROUTE, HOSTILE_MESSAGE, "Add an S3 gateway endpoint & check <route tables>", 1500);
  add(f, &ops_repo, "repo:al2023-repos-eu-west-1-de612dc2", "https://x/", NC_VERDICT_WARN,
      NC_REPO_NOT_BLOCKED, "mirror list \"reachable\"", "Deny it in the endpoint policy", -1);
  add(f, &ops_egress, "egress:pypi.org", "https://pypi.org/simple/", NC_VERDICT_SKIP, NC_OK,
      "skipped: --skip egress", "", -1);
  add(f, &ops_peer, "peer:algo-2\x01<x>", "algo-2", NC_VERDICT_PASS, NC_OK, "", "", 3.25);
  *state = f;
  return 0;
}

static char *render(struct fixture *f) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  assert_non_null(out);
  summary_junit_print(out, &f->cfg, &f->pl, &f->run);
  assert_int_equal(fclose(out), 0);
  assert_non_null(buf);
  assert_int_equal(strlen(buf), len); /* no NUL inside */
  return buf;
}

static char *escape(const char *s, bool attr) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  assert_non_null(out);
  junit_xml_escape(out, s, attr);
  assert_int_equal(fclose(out), 0);
  return buf;
}

#define assert_contains(hay, needle)                                                               \
  do {                                                                                             \
    if (!strstr((hay), (needle)))                                                                  \
      fail_msg("expected to find\n  %s\nin\n%s", (needle), (hay));                                 \
  } while (0)

/* Runs python3 with a script and arguments; returns its exit status, or -1
 * when python3 is not installed. */
static int run_python(const char *script, const char *const *args) {
  const char *argv[16];
  int n = 0, status;
  pid_t pid;
  if (access(PYTHON, X_OK) != 0)
    return -1;
  argv[n++] = PYTHON;
  argv[n++] = "-c";
  argv[n++] = script;
  for (; *args && n < 15; args++)
    argv[n++] = *args;
  argv[n] = NULL;
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    execv(PYTHON, (char *const *)argv);
    _exit(127);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static char *write_temp(const char *text) {
  char *path = strdup("/tmp/nc-junit-XXXXXX");
  int fd;
  assert_non_null(path);
  fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  return path;
}

/* ---- escaping ---- */

static void escapes_the_five_specials(void **state) {
  char *s;
  (void)state;
  s = escape("a&b<c>d\"e'f", false);
  assert_string_equal(s, "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  free(s);
  s = escape("]]> end", false);
  assert_string_equal(s, "]]&gt; end");
  free(s);
  s = escape("", true);
  assert_string_equal(s, "");
  free(s);
  s = escape(NULL, true);
  assert_string_equal(s, "");
  free(s);
}

static void replaces_what_xml_cannot_carry(void **state) {
  char *s;
  (void)state;
  s = escape(HOSTILE_MESSAGE, true);
  assert_string_equal(s, HOSTILE_ATTR);
  free(s);
  s = escape(HOSTILE_MESSAGE, false);
  assert_string_equal(s, HOSTILE_TEXT);
  free(s);
  /* overlong forms, truncated sequences and bytes beyond U+10FFFF */
  s = escape("\xc0\xaf|\xe0\x80\xaf|\xf0\x80\x80\xaf|\xf4\x90\x80\x80|\xe6\x97|\xf8", false);
  assert_string_equal(s, R R "|" R R R "|" R R R R "|" R R R R "|" R R "|" R);
  free(s);
  /* carriage return: a reference in attributes, as is in text */
  s = escape("a\rb", true);
  assert_string_equal(s, "a&#13;b");
  free(s);
  s = escape("a\rb", false);
  assert_string_equal(s, "a\rb");
  free(s);
}

static void every_byte_value_gives_clean_output(void **state) {
  char in[256 * 2 + 1], *s;
  size_t n = 0;
  (void)state;
  for (int b = 1; b < 256; b++) {
    in[n++] = (char)b;
    in[n++] = 'x';
  }
  in[n] = '\0';
  s = escape(in, true);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    assert_true(*p >= 0x20 && *p != 0x7f);
    assert_true(*p != '<' && *p != '"' && *p != '\'' && *p != '>');
  }
  free(s);
}

/* ---- the document ---- */

static void one_testsuite_with_counts(void **state) {
  struct fixture *f = *state;
  char *xml = render(f);
  assert_true(!strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite ", 50));
  assert_contains(xml, "<testsuite name=\"netcheck\" tests=\"5\" failures=\"1\" errors=\"0\" "
                       "skipped=\"1\" time=\"2.345\" timestamp=\"2023-11-14T22:13:20\" "
                       "hostname=\"algo-1\">");
  assert_contains(xml, "<property name=\"verdict\" value=\"fail\"/>");
  assert_contains(xml, "<property name=\"job\" value=\"job &amp; &lt;co&gt;\"/>");
  assert_contains(xml, "<property name=\"region\" value=\"eu-west-1\"/>");
  assert_contains(xml, "<property name=\"warnings\" value=\"1\"/>");
  assert_true(strstr(xml, "</testsuite>\n") == xml + strlen(xml) - strlen("</testsuite>\n"));
  /* exactly one testsuite, five testcases */
  {
    int suites = 0, cases = 0;
    for (const char *p = xml; (p = strstr(p, "<testsuite")); p++)
      suites++;
    for (const char *p = xml; (p = strstr(p, "<testcase ")); p++)
      cases++;
    assert_int_equal(suites, 1);
    assert_int_equal(cases, 5);
  }
  free(xml);
}

static void each_verdict_has_its_element(void **state) {
  struct fixture *f = *state;
  char *xml = render(f);
  /* pass: an empty testcase with the probe's time in seconds */
  assert_contains(xml, "<testcase classname=\"netcheck.dns\" "
                       "name=\"dns:s3.eu-west-1.amazonaws.com\" time=\"0.013\"/>\n");
  /* fail: message "CODE: message", type CODE, remediation as the body */
  assert_contains(xml, "<testcase classname=\"netcheck.s3\" name=\"s3:my-bucket\" "
                       "time=\"1.500\">\n    <failure message=\"S3_NO_ROUTE: " HOSTILE_ATTR
                       "\" type=\"S3_NO_ROUTE\">Add an S3 gateway endpoint &amp; check "
                       "&lt;route tables&gt;</failure>\n  </testcase>\n");
  /* warn: passes, with the warning in system-out */
  assert_contains(xml, "<testcase classname=\"netcheck.repo\" "
                       "name=\"repo:al2023-repos-eu-west-1-de612dc2\" time=\"0.000\">\n"
                       "    <system-out>WARN REPO_NOT_BLOCKED: mirror list &quot;reachable&quot; "
                       "Fix: Deny it in the endpoint policy</system-out>\n  </testcase>\n");
  /* skip */
  assert_contains(xml, "<testcase classname=\"netcheck.egress\" name=\"egress:pypi.org\" "
                       "time=\"0.000\">\n    <skipped message=\"skipped: --skip egress\"/>\n"
                       "  </testcase>\n");
  /* an id with a control character and markup */
  assert_contains(xml, "name=\"peer:algo-2" R "&lt;x&gt;\" time=\"0.003\"/>");
  free(xml);
}

static void interrupted_run_says_so(void **state) {
  struct fixture *f = *state;
  char *xml;
  f->run.interrupted = 15;
  xml = render(f);
  assert_contains(xml, "<property name=\"verdict\" value=\"interrupted\"/>");
  free(xml);
  f->run.interrupted = 0;
}

static void empty_plan_is_a_valid_suite(void **state) {
  struct fixture *f = *state;
  struct plan empty = {0};
  struct plan saved = f->pl;
  char *xml;
  f->pl = empty;
  xml = render(f);
  f->pl = saved;
  assert_contains(xml, "tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\"");
  assert_contains(xml, "</properties>\n</testsuite>\n");
  free(xml);
}

/* ---- parsed by a real XML parser ---- */

static const char *const py_check =
    "import sys, xml.etree.ElementTree as ET\n"
    "root = ET.parse(sys.argv[1]).getroot()\n"
    "want_msg = sys.argv[2].encode('utf-8', 'surrogateescape').decode('utf-8')\n"
    "assert root.tag == 'testsuite', root.tag\n"
    "cases = root.findall('testcase')\n"
    "assert root.get('name') == 'netcheck'\n"
    "assert int(root.get('tests')) == len(cases) == 5, (root.get('tests'), len(cases))\n"
    "fails = [c for c in cases if c.find('failure') is not None]\n"
    "skips = [c for c in cases if c.find('skipped') is not None]\n"
    "assert int(root.get('failures')) == len(fails) == 1\n"
    "assert int(root.get('skipped')) == len(skips) == 1\n"
    "assert root.get('errors') == '0'\n"
    "assert float(root.get('time')) == 2.345\n"
    "for c in cases:\n"
    "    assert c.get('classname').startswith('netcheck.'), c.get('classname')\n"
    "    float(c.get('time'))\n"
    "f = fails[0].find('failure')\n"
    "assert f.get('type') == 'S3_NO_ROUTE', f.get('type')\n"
    "assert f.get('message') == 'S3_NO_ROUTE: ' + want_msg, repr(f.get('message'))\n"
    "assert f.text == 'Add an S3 gateway endpoint & check <route tables>', repr(f.text)\n"
    "assert cases[4].get('name') == 'peer:algo-2\\ufffd<x>', repr(cases[4].get('name'))\n"
    "props = {p.get('name'): p.get('value') for p in root.find('properties')}\n"
    "assert props['job'] == 'job & <co>' and props['verdict'] == 'fail', props\n"
    "out = cases[2].find('system-out').text\n"
    "assert out.startswith('WARN REPO_NOT_BLOCKED: mirror list \"reachable\"'), out\n";

static void python_parses_the_document(void **state) {
  struct fixture *f = *state;
  char *xml = render(f), *path = write_temp(xml);
  const char *args[] = {path, HOSTILE_PARSED, NULL};
  int rc = run_python(py_check, args);
  unlink(path);
  free(path);
  free(xml);
  if (rc < 0)
    skip();
  assert_int_equal(rc, 0);
}

/* Random bytes everywhere a string goes: the document must still parse. */
static void python_parses_random_text(void **state) {
  struct fixture *f = *state;
  unsigned seed = 12345;
  static const char *const script =
      "import sys, xml.etree.ElementTree as ET\n"
      "root = ET.parse(sys.argv[1]).getroot()\n"
      "assert root.tag == 'testsuite' and len(root.findall('testcase')) == 5\n";
  for (int round = 0; round < 20; round++) {
    char *xml, *path;
    const char *args[2] = {NULL, NULL};
    int rc;
    for (struct probe *p = f->pl.head; p; p = p->next) {
      size_t n = 1 + (size_t)(rand_r(&seed) % 200);
      for (size_t i = 0; i < n; i++) {
        p->message[i] = (char)(1 + rand_r(&seed) % 255);
        p->remediation[i] = (char)(1 + rand_r(&seed) % 255);
        p->id[i] = (char)(1 + rand_r(&seed) % 255);
      }
      p->message[n] = p->remediation[n] = p->id[n] = '\0';
      p->verdict = (enum nc_verdict)(rand_r(&seed) % 4);
    }
    snprintf(f->cfg.job.name, sizeof f->cfg.job.name, "j\x02\xfe%d<", round);
    xml = render(f);
    path = write_temp(xml);
    args[0] = path;
    rc = run_python(script, args);
    unlink(path);
    if (rc != 0)
      fprintf(stderr, "round %d: document in %s\n", round, xml);
    free(path);
    free(xml);
    if (rc < 0)
      skip();
    assert_int_equal(rc, 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(escapes_the_five_specials),
      cmocka_unit_test(replaces_what_xml_cannot_carry),
      cmocka_unit_test(every_byte_value_gives_clean_output),
      cmocka_unit_test_setup_teardown(one_testsuite_with_counts, setup, teardown),
      cmocka_unit_test_setup_teardown(each_verdict_has_its_element, setup, teardown),
      cmocka_unit_test_setup_teardown(interrupted_run_says_so, setup, teardown),
      cmocka_unit_test_setup_teardown(empty_plan_is_a_valid_suite, setup, teardown),
      cmocka_unit_test_setup_teardown(python_parses_the_document, setup, teardown),
      cmocka_unit_test_setup_teardown(python_parses_random_text, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
