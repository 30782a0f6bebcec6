/*
 * test_merge.c - `netcheck merge` over the fixture reports in
 * tests/fixtures/merge/: the directional matrix (an asymmetric link shows
 * as such), missing reports, the JSON and terminal views, escaping of
 * hostile report strings (HTML, and C1 and bidi controls on a terminal),
 * invalid reports (a schema_version that is not the number 1), duplicate
 * hosts (the newest kept) and the exit codes. The causes themselves are
 * tested on synthetic jobs in test_causes.c.
 * Run from the repository root.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "netcheck/common.h"
#include "netcheck/merge.h"

#define FIX "tests/fixtures/merge/"

static void load(struct merge *m, const char *const *files) {
  char err[512];
  merge_init(m);
  for (; *files; files++) {
    int rc = merge_load(m, *files, err, sizeof err);
    if (rc)
      fail_msg("%s", err);
  }
  assert_int_equal(merge_build(m, err, sizeof err), 0);
}

static int host_index(const struct merge *m, const char *name) {
  for (int i = 0; i < m->n_hosts; i++)
    if (!strcmp(m->hosts[i], name))
      return i;
  fail_msg("no host %s", name);
  return -1;
}

static const struct merge_cell *cell(const struct merge *m, const char *from, const char *to) {
  return merge_cell(m, host_index(m, from), host_index(m, to));
}

/* Renders with one of the writers into a heap string. */
static char *render(const struct merge *m, int html, bool color) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  if (html)
    merge_print_html(m, f);
  else
    merge_print_text(m, f, color, 120);
  fclose(f);
  return buf;
}

static const char *const three[] = {FIX "algo-1.json", FIX "algo-2.json", FIX "algo-3.json", NULL};

static void test_matrix_rows_are_from_and_columns_are_to(void **state) {
  struct merge m;
  (void)state;
  load(&m, three);
  assert_int_equal(m.n_hosts, 3);
  assert_string_equal(m.hosts[0], "algo-1");
  assert_string_equal(cell(&m, "algo-1", "algo-2")->code, "OK");
  assert_string_equal(cell(&m, "algo-1", "algo-2")->verdict, "pass");
  assert_true(cell(&m, "algo-1", "algo-2")->rtt_ms > 0.40 &&
              cell(&m, "algo-1", "algo-2")->rtt_ms < 0.42);
  /* algo-3 cannot reach algo-1: its own probe timed out connecting... */
  assert_string_equal(cell(&m, "algo-3", "algo-1")->code, "PEER_BLOCKED");
  assert_string_equal(cell(&m, "algo-3", "algo-1")->verdict, "fail");
  merge_free(&m);
}

/* algo-1's probe of algo-3 failed only because algo-3 never came in: the
 * direction algo-1 -> algo-3 itself works. */
static void test_a_probe_failed_by_inbound_leaves_its_outbound_direction_ok(void **state) {
  struct merge m;
  (void)state;
  load(&m, three);
  assert_string_equal(cell(&m, "algo-1", "algo-3")->code, "OK");
  assert_string_equal(cell(&m, "algo-1", "algo-3")->verdict, "pass");
  merge_free(&m);
}

static void test_asymmetric_link_is_named_with_its_direction(void **state) {
  struct merge m;
  cJSON *j;
  const cJSON *a;
  char *text;
  (void)state;
  load(&m, three);
  j = merge_json(&m);
  a = cJSON_GetObjectItemCaseSensitive(j, "asymmetric");
  assert_int_equal(cJSON_GetArraySize(a), 1);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "from")->valuestring, "algo-3");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "to")->valuestring, "algo-1");
  text = render(&m, 0, false);
  assert_non_null(strstr(text, "algo-3 -> algo-1 (one way: the other direction works)"));
  free(text);
  cJSON_Delete(j);
  merge_free(&m);
}

static void test_exit_code_is_0_when_every_link_passed(void **state) {
  struct merge m;
  const char *const ok[] = {FIX "ok", NULL}; /* a directory of reports */
  (void)state;
  load(&m, ok);
  assert_int_equal(m.n_reports, 2);
  assert_int_equal(merge_exit_code(&m), 0);
  merge_free(&m);
}

static void test_exit_code_is_1_when_a_link_failed(void **state) {
  struct merge m;
  (void)state;
  load(&m, three);
  assert_int_equal(merge_exit_code(&m), 1);
  merge_free(&m);
}

static void test_missing_report_is_named_and_its_unknown_links_fail(void **state) {
  struct merge m;
  const char *const two[] = {FIX "algo-1.json", FIX "algo-2.json", NULL};
  cJSON *j;
  char *text;
  (void)state;
  load(&m, two);
  assert_int_equal(m.n_hosts, 3); /* algo-3 comes from the job's host list */
  assert_int_equal(m.report_of[host_index(&m, "algo-3")], -1);
  /* algo-3 -> algo-1: algo-1 saw nothing come in, and algo-3 did not report. */
  assert_null(cell(&m, "algo-3", "algo-1")->code);
  assert_string_equal(cell(&m, "algo-3", "algo-1")->verdict, "no_report");
  /* algo-3 -> algo-2: algo-2 saw it come in. */
  assert_string_equal(cell(&m, "algo-3", "algo-2")->code, "OK");
  assert_int_equal(merge_exit_code(&m), 1);
  j = merge_json(&m);
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "missing_reports"), 0)->valuestring,
                      "algo-3");
  text = render(&m, 0, false);
  assert_non_null(strstr(text, "algo-3 wrote no report, though its peers reached netcheck there"));
  free(text);
  cJSON_Delete(j);
  merge_free(&m);
}

static void test_json_has_hosts_matrix_and_failures(void **state) {
  struct merge m;
  cJSON *j;
  const cJSON *c, *f;
  (void)state;
  load(&m, three);
  j = merge_json(&m);
  assert_non_null(j);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "hosts")), 3);
  c = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "matrix"), "algo-2"),
                          "algo-3");
  assert_string_equal(cJSON_GetObjectItem(c, "code")->valuestring, "OK");
  assert_string_equal(cJSON_GetObjectItem(c, "verdict")->valuestring, "pass");
  assert_true(cJSON_IsNumber(cJSON_GetObjectItem(c, "rtt_ms")));
  /* every failed or warned probe of every host: 2 + 0 + 2 */
  f = cJSON_GetObjectItem(j, "failures");
  assert_int_equal(cJSON_GetArraySize(f), 4);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "host")->valuestring, "algo-1");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "code")->valuestring,
                      "S3_DENIED_ENDPOINT_POLICY");
  assert_non_null(strstr(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "remediation")->valuestring,
                         "endpoint"));
  cJSON_Delete(j);
  merge_free(&m);
}

static void test_terminal_view_prints_one_line_per_cause(void **state) {
  struct merge m;
  char *text;
  (void)state;
  load(&m, three);
  text = render(&m, 0, false);
  assert_non_null(strstr(text, "netcheck merge: job nc-job: region us-east-1, 3 hosts, 3 reports, "
                               "2024-05-01 10:00:00 to 10:00:02 UTC\n"));
  assert_non_null(strstr(text, "verdict fail: 3 causes (3 failed probes, 1 warned); "));
  assert_non_null(strstr(text, "  1. FAIL S3_DENIED_ENDPOINT_POLICY on algo-1 (1/3 hosts): HEAD "
                               "nc-input-bucket was denied"));
  assert_non_null(strstr(text, "  2. FAIL PEER_BLOCKED on algo-1, algo-3 (2/3 hosts): 1 link "
                               "fails with PEER_BLOCKED: algo-3 -> algo-1 (one way: the other "
                               "direction works). Fix: Give the job's security group"));
  assert_non_null(strstr(text, "  3. WARN EGRESS_UNEXPECTED on algo-3 (1/3 hosts): "));
  assert_non_null(strstr(text, "algo-3     BLOCKED  ok       -\n"));
  assert_null(strstr(text, "  4. "));
  assert_null(strchr(text, '\033')); /* no colour unless asked */
  free(text);
  text = render(&m, 0, true);
  assert_non_null(strstr(text, "\033[31mBLOCKED\033[0m"));
  free(text);
  merge_free(&m);
}

static const char *const hostile[] = {FIX "hostile/algo-1.json", NULL};

static void test_terminal_view_passes_no_escape_sequence_from_a_report(void **state) {
  struct merge m;
  char *text;
  (void)state;
  load(&m, hostile);
  text = render(&m, 0, false);
  assert_null(strchr(text, '\033'));
  assert_null(strchr(text, '\007'));
  free(text);
  merge_free(&m);
}

/* C1 controls (U+009B is the 8-bit CSI), bidi overrides and isolates,
 * U+2028 and raw bytes that are not UTF-8 reach the terminal as visible
 * escapes, never as themselves. */
static void test_terminal_view_escapes_c1_and_bidi_controls(void **state) {
  const char *const controls[] = {FIX "controls/algo-1.json", FIX "ok/algo-2.json", NULL};
  const char raw[] = "{\"schema_version\":1,\"host\":\"algo-9\",\"probes\":[{\"id\":\"x\","
                     "\"kind\":\"s3\",\"verdict\":\"fail\",\"code\":\"S3_DENIED\","
                     "\"message\":\"raw \x9b\x31m csi \xe2\x80\xae rlo\"}]}";
  struct merge m;
  char *text, err[512];
  (void)state;
  load(&m, controls);
  text = render(&m, 0, false);
  assert_null(strstr(text, "\xc2\x9b"));     /* U+009B */
  assert_null(strstr(text, "\xc2\x9d"));     /* U+009D (OSC) */
  assert_null(strstr(text, "\xe2\x80\xae")); /* U+202E */
  assert_null(strstr(text, "\xe2\x81\xa6")); /* U+2066 */
  assert_null(strstr(text, "\xe2\x80\x8f")); /* U+200F */
  assert_null(strstr(text, "\xe2\x80\xa8")); /* U+2028 */
  assert_non_null(strstr(text, "denied \\u009b31mRED\\u009b0m by \\u2066isolate\\u2069"));
  assert_non_null(strstr(text, "Fix: fix \\u009d0;title\\u009c here"));
  free(text);
  merge_free(&m);
  merge_init(&m);
  assert_int_equal(merge_add(&m, "raw.json", raw, sizeof(raw) - 1, err, sizeof err), 0);
  assert_int_equal(merge_build(&m, err, sizeof err), 0);
  text = render(&m, 0, false);
  assert_null(strchr(text, 0x9b));
  assert_non_null(strstr(text, "raw \\x9b1m csi \\u202e rlo"));
  free(text);
  merge_free(&m);
}

static void test_html_escape_escapes_markup_and_replaces_controls(void **state) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  (void)state;
  merge_html_escape(f, "<a href=\"x\">&'</a>\033[31m\n\xff");
  fclose(f);
  assert_string_equal(buf, "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;\xef\xbf\xbd[31m&#10;"
                           "\xef\xbf\xbd");
  free(buf);
}

static void test_html_page_escapes_every_report_string(void **state) {
  struct merge m;
  char *html;
  (void)state;
  load(&m, hostile);
  html = render(&m, 1, false);
  assert_null(strstr(html, "<script"));
  assert_null(strstr(html, "<img"));
  assert_null(strstr(html, "<b>algo-2"));
  assert_null(strstr(html, "<a href"));
  assert_null(strchr(html, '\033'));
  assert_non_null(strstr(html, "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;"));
  assert_non_null(strstr(html, "&lt;b&gt;algo-2&lt;/b&gt;"));
  free(html);
  merge_free(&m);
}

static void test_html_page_is_self_contained(void **state) {
  struct merge m;
  char *html;
  (void)state;
  load(&m, three);
  html = render(&m, 1, false);
  assert_non_null(strstr(html, "<style>"));
  assert_null(strstr(html, "<script"));
  assert_null(strstr(html, "<link"));
  assert_null(strstr(html, "http://"));
  assert_null(strstr(html, "https://"));
  assert_non_null(strstr(html, "<td class=\"fail\""));
  assert_non_null(strstr(html, "Fix: Give the job"));
  free(html);
  merge_free(&m);
}

static void test_invalid_json_is_rejected_naming_the_file(void **state) {
  struct merge m;
  char err[512];
  (void)state;
  merge_init(&m);
  assert_int_equal(merge_load(&m, FIX "bad/not-json.json", err, sizeof err), -1);
  assert_non_null(strstr(err, FIX "bad/not-json.json: not valid JSON"));
  merge_free(&m);
}

static void test_report_without_probes_is_rejected(void **state) {
  struct merge m;
  char err[512];
  (void)state;
  merge_init(&m);
  assert_int_equal(merge_load(&m, FIX "bad/no-probes.json", err, sizeof err), -1);
  assert_non_null(strstr(err, "not a netcheck report"));
  assert_int_equal(merge_add(&m, "x.json", "[1,2]", 5, err, sizeof err), -1);
  const char *v2 = "{\"schema_version\":2,\"host\":\"a\",\"probes\":[]}";
  assert_int_equal(merge_add(&m, "y.json", v2, strlen(v2), err, sizeof err), -1);
  assert_non_null(strstr(err, "schema_version"));
  merge_free(&m);
}

/* A schema_version that is not the number 1 is refused with one line: the
 * string "2" as well as 2, 1.5, "1" or none. */
static void test_schema_version_must_be_the_number_1(void **state) {
  static const char *const bad[] = {"\"2\"", "\"1\"", "1.5", "true", "null", "[1]"};
  struct merge m;
  char err[512], buf[256];
  (void)state;
  merge_init(&m);
  for (size_t i = 0; i < NC_ARRAY_LEN(bad); i++) {
    snprintf(buf, sizeof buf, "{\"schema_version\":%s,\"host\":\"a\",\"probes\":[]}", bad[i]);
    err[0] = '\0';
    assert_int_equal(merge_add(&m, "v.json", buf, strlen(buf), err, sizeof err), -1);
    assert_non_null(strstr(err, "v.json: report schema_version"));
    assert_null(strchr(err, '\n'));
  }
  snprintf(buf, sizeof buf, "{\"host\":\"a\",\"probes\":[]}");
  assert_int_equal(merge_add(&m, "v.json", buf, strlen(buf), err, sizeof err), -1);
  assert_non_null(strstr(err, "schema_version is missing"));
  snprintf(buf, sizeof buf, "{\"schema_version\":1,\"host\":\"a\",\"probes\":[]}");
  assert_int_equal(merge_add(&m, "v.json", buf, strlen(buf), err, sizeof err), 0);
  merge_free(&m);
}

/* Two reports for one host: the newest (finished_at) is kept, whichever
 * comes first, and the merge says so instead of failing. */
static void test_duplicate_host_keeps_the_newest_and_says_so(void **state) {
  const char *old = "{\"schema_version\":1,\"host\":\"algo-1\",\"finished_at\":"
                    "\"2024-05-01T10:00:02.000Z\",\"probes\":[{\"id\":\"s3:b\",\"kind\":\"s3\","
                    "\"verdict\":\"fail\",\"code\":\"S3_NO_ROUTE\"}]}";
  const char *new = "{\"schema_version\":1,\"host\":\"algo-1\",\"finished_at\":"
                    "\"2024-05-01T11:00:00.000Z\",\"probes\":[]}";
  struct merge m;
  char err[512];
  (void)state;
  for (int order = 0; order < 2; order++) {
    char *text;
    cJSON *j;
    merge_init(&m);
    assert_int_equal(merge_add(&m, order ? "old.json" : "new.json", order ? old : new,
                               strlen(order ? old : new), err, sizeof err),
                     0);
    assert_int_equal(merge_add(&m, order ? "new.json" : "old.json", order ? new : old,
                               strlen(order ? new : old), err, sizeof err),
                     0);
    assert_int_equal(m.n_reports, 1);
    assert_string_equal(m.reports[0].file, "new.json");
    assert_int_equal(m.n_dups, 1);
    assert_int_equal(merge_build(&m, err, sizeof err), 0);
    assert_int_equal(merge_exit_code(&m), 0); /* the old report's failure is gone */
    text = render(&m, 0, false);
    assert_non_null(strstr(text, "note: two reports for algo-1: kept the newer new.json, ignored "
                                 "old.json\n"));
    free(text);
    j = merge_json(&m);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "duplicates"), 0), "ignored")
            ->valuestring,
        "old.json");
    cJSON_Delete(j);
    merge_free(&m);
  }
}

/* merge_main with stdout silenced. */
static int run_main(int argc, const char **argv) {
  int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY), rc;
  fflush(stdout);
  dup2(null, STDOUT_FILENO);
  rc = merge_main(argc, (char **)argv);
  fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  close(null);
  return rc;
}

static void test_merge_command_exit_codes(void **state) {
  const char *ok[] = {"merge", FIX "ok/algo-1.json", FIX "ok/algo-2.json"};
  const char *failing[] = {"merge", "--json", FIX "algo-1.json", FIX "algo-2.json",
                           FIX "algo-3.json"};
  const char *none[] = {"merge"};
  const char *unknown[] = {"merge", "--bogus", FIX "ok"};
  const char *missing[] = {"merge", FIX "no-such-report.json"};
  const char *invalid[] = {"merge", FIX "ok", FIX "bad/not-json.json"};
  const char *no_file[] = {"merge", FIX "ok", "--html"};
  (void)state;
  assert_int_equal(run_main(3, ok), 0);
  assert_int_equal(run_main(5, failing), 1);
  assert_int_equal(run_main(1, none), 2);
  assert_int_equal(run_main(3, unknown), 2);
  assert_int_equal(run_main(2, missing), 2);
  assert_int_equal(run_main(3, invalid), 2);
  assert_int_equal(run_main(3, no_file), 2);
}

static void test_merge_command_writes_the_html_file(void **state) {
  char path[] = "/tmp/netcheck-merge-XXXXXX";
  int fd = mkstemp(path);
  const char *argv[] = {"merge", "--html", path, FIX "ok"};
  char *buf = NULL;
  size_t len = 0;
  (void)state;
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(run_main(4, argv), 0);
  assert_int_equal(nc_read_file(path, MERGE_REPORT_MAX, &buf, &len), 0);
  assert_non_null(strstr(buf, "<!DOCTYPE html>"));
  assert_non_null(strstr(buf, "peer links 2 of 2 ok"));
  free(buf);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matrix_rows_are_from_and_columns_are_to),
      cmocka_unit_test(test_a_probe_failed_by_inbound_leaves_its_outbound_direction_ok),
      cmocka_unit_test(test_asymmetric_link_is_named_with_its_direction),
      cmocka_unit_test(test_exit_code_is_0_when_every_link_passed),
      cmocka_unit_test(test_exit_code_is_1_when_a_link_failed),
      cmocka_unit_test(test_missing_report_is_named_and_its_unknown_links_fail),
      cmocka_unit_test(test_json_has_hosts_matrix_and_failures),
      cmocka_unit_test(test_terminal_view_prints_one_line_per_cause),
      cmocka_unit_test(test_terminal_view_passes_no_escape_sequence_from_a_report),
      cmocka_unit_test(test_terminal_view_escapes_c1_and_bidi_controls),
      cmocka_unit_test(test_html_escape_escapes_markup_and_replaces_controls),
      cmocka_unit_test(test_html_page_escapes_every_report_string),
      cmocka_unit_test(test_html_page_is_self_contained),
      cmocka_unit_test(test_invalid_json_is_rejected_naming_the_file),
      cmocka_unit_test(test_report_without_probes_is_rejected),
      cmocka_unit_test(test_schema_version_must_be_the_number_1),
      cmocka_unit_test(test_duplicate_host_keeps_the_newest_and_says_so),
      cmocka_unit_test(test_merge_command_exit_codes),
      cmocka_unit_test(test_merge_command_writes_the_html_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
