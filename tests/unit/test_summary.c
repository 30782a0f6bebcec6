/*
 * test_summary.c - one host's log and abort message (agent/report.c): the
 * text summary is one line per root cause and the verdict line (which
 * names the report's S3 URI inside a ProcessingOutput), the report carries
 * the causes, and the --on-fail abort message is at most 200 bytes: host,
 * code, probe and where the report is, whatever the lengths of the names.
 *
 * The plan is built by hand with plan_add(); no probe runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/diag.h"
#include "netcheck/probe.h"
#include "netcheck/report.h"
#include "netcheck/utf8.h"
#include "plan_fixture.h"

/* The families themselves (probes/families.c lists them). */
extern const struct probe_family dns_family, s3_family, peer_family;
static const struct probe_ops ops_dns = {.family = &dns_family};
static const struct probe_ops ops_s3 = {.family = &s3_family};
static const struct probe_ops ops_peer = {.family = &peer_family};

#define OUT_DIR "/opt/ml/processing/netcheck"

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  static const char *const names[] = {
      "s3.us-east-1.amazonaws.com",   "nc-in.s3.us-east-1.amazonaws.com",
      "sts.us-east-1.amazonaws.com",  "logs.us-east-1.amazonaws.com",
      "repo.us-east-1.amazonaws.com", "packages.us-east-1.amazonaws.com"};
  assert_non_null(f);
  f->cfg.timeout_ms = 15000;
  f->cfg.summary = NC_SUMMARY_TEXT;
  nc_strlcpy(f->cfg.region, "us-east-1", sizeof f->cfg.region);
  nc_strlcpy(f->cfg.job.current_host, "algo-1", sizeof f->cfg.job.current_host);
  f->cfg.job.n_outputs = 2;
  nc_strlcpy(f->cfg.job.outputs[0].name, "data", sizeof f->cfg.job.outputs[0].name);
  nc_strlcpy(f->cfg.job.outputs[0].local_path, "/opt/ml/processing/output",
             sizeof f->cfg.job.outputs[0].local_path);
  nc_strlcpy(f->cfg.job.outputs[0].s3_uri, "s3://data-bucket/out",
             sizeof f->cfg.job.outputs[0].s3_uri);
  nc_strlcpy(f->cfg.job.outputs[1].name, "netcheck", sizeof f->cfg.job.outputs[1].name);
  nc_strlcpy(f->cfg.job.outputs[1].local_path, OUT_DIR "/",
             sizeof f->cfg.job.outputs[1].local_path);
  nc_strlcpy(f->cfg.job.outputs[1].s3_uri, "s3://nc-reports/job-42/",
             sizeof f->cfg.job.outputs[1].s3_uri);
  f->run.duration_ms = 5001;
  for (size_t i = 0; i < NC_ARRAY_LEN(names); i++) {
    char id[128], msg[256];
    nc_snprintf(id, sizeof id, "dns:%s", names[i]);
    nc_snprintf(msg, sizeof msg, "%s did not resolve: nameserver 10.0.0.53 answered NXDOMAIN",
                names[i]);
    add(f, &ops_dns, id, names[i], NC_VERDICT_FAIL, NC_DNS_NXDOMAIN, msg,
        "the VPC's resolver cannot resolve AWS names: use the AmazonProvidedDNS", 10);
  }
  add(f, &ops_s3, "s3:nc-in", "nc-in", NC_VERDICT_FAIL, NC_DNS_NXDOMAIN,
      "nc-in.s3.us-east-1.amazonaws.com did not resolve (DNS_NXDOMAIN)", "keep the VPC resolver",
      10);
  add(f, &ops_peer, "peer:algo-2", "algo-2", NC_VERDICT_FAIL, NC_PEER_REFUSED,
      "algo-2 is up but nothing listens on port 7191", "Run netcheck on every host", 10);
  add(f, &ops_peer, "peer:algo-3", "algo-3", NC_VERDICT_PASS, NC_OK, "ok", "", 10);
  *state = f;
  return 0;
}

static char *summary(struct fixture *f, const char *where) {
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&buf, &len);
  assert_non_null(out);
  report_print_summary(out, &f->cfg, &f->pl, &f->run, where);
  fclose(out);
  return buf;
}

static int count_lines(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static void test_report_s3_uri_follows_the_output(void **state) {
  struct fixture *f = *state;
  char uri[256];
  assert_int_equal(report_s3_uri(&f->cfg, OUT_DIR "/algo-1.json", uri, sizeof uri), 0);
  assert_string_equal(uri, "s3://nc-reports/job-42/algo-1.json");
  assert_int_equal(
      report_s3_uri(&f->cfg, "/opt/ml/processing/output/netcheck/algo-1.json", uri, sizeof uri), 0);
  assert_string_equal(uri, "s3://data-bucket/out/netcheck/algo-1.json");
  /* a sibling directory with the same prefix is not inside the output */
  assert_int_equal(report_s3_uri(&f->cfg, OUT_DIR "x/algo-1.json", uri, sizeof uri), -1);
  assert_int_equal(report_s3_uri(&f->cfg, "/tmp/algo-1.json", uri, sizeof uri), -1);
}

/* 8 failures, 2 causes: 2 cause lines and the verdict line. */
static void test_text_summary_is_one_line_per_cause(void **state) {
  struct fixture *f = *state;
  char *text = summary(f, OUT_DIR "/algo-1.json");
  assert_int_equal(count_lines(text), 3);
  assert_non_null(strstr(text, "netcheck: FAIL DNS_NXDOMAIN: the resolver answers NXDOMAIN "
                               "(no such name) for 6 names (s3.us-east-1.amazonaws.com, "));
  assert_non_null(strstr(text, "1 probe that needs them fails with it (s3:nc-in). Fix: the VPC's "
                               "resolver cannot resolve AWS names"));
  assert_non_null(strstr(text, "netcheck: FAIL PEER_REFUSED: algo-2 is up but nothing listens"));
  assert_non_null(strstr(text, "\nnetcheck: verdict fail: 1 passed, 8 failed, 0 warnings, "));
  assert_non_null(strstr(text, "; report " OUT_DIR "/algo-1.json (s3://nc-reports/job-42/"
                               "algo-1.json)\n"));
  free(text);
}

static void test_report_carries_the_causes(void **state) {
  struct fixture *f = *state;
  cJSON *r = report_build(&f->cfg, &f->pl, &f->run);
  const cJSON *c = cJSON_GetObjectItem(r, "causes"), *first = cJSON_GetArrayItem(c, 0);
  assert_int_equal(cJSON_GetArraySize(c), 2);
  assert_string_equal(cJSON_GetObjectItem(first, "code")->valuestring, "DNS_NXDOMAIN");
  assert_string_equal(cJSON_GetObjectItem(first, "pattern")->valuestring, "probes");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(first, "probes")), 7);
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(first, "probes"), 6)->valuestring,
                      "s3:nc-in");
  assert_null(cJSON_GetObjectItem(first, "hosts")); /* a host's own view */
  cJSON_Delete(r);
}

static void test_abort_message_names_host_code_probe_and_report(void **state) {
  struct fixture *f = *state;
  char line[1024];
  report_failure_line(&f->cfg, &f->pl, OUT_DIR "/algo-1.json", line, sizeof line);
  assert_string_equal(line, "netcheck algo-1: DNS_NXDOMAIN dns:s3.us-east-1.amazonaws.com (+7 more "
                            "failed); report s3://nc-reports/job-42/algo-1.json");
  report_failure_line(&f->cfg, &f->pl, "/tmp/algo-1.json", line, sizeof line);
  assert_string_equal(line, "netcheck algo-1: DNS_NXDOMAIN dns:s3.us-east-1.amazonaws.com (+7 more "
                            "failed); report /tmp/algo-1.json");
  report_failure_line(&f->cfg, &f->pl, NULL, line, sizeof line);
  assert_non_null(strstr(line, "; report not written"));
}

/* The longest host, probe id and S3 URI there can be: 200 bytes, the
 * start intact, valid UTF-8, both ends of the location kept. */
static void test_abort_message_is_at_most_200_bytes(void **state) {
  struct fixture *f = *state;
  char line[1024], host[80], id[300], uri[900], path[900];
  size_t n;
  uint32_t cp;
  memset(host, 'h', 63);
  host[63] = '\0';
  nc_strlcpy(f->cfg.job.current_host, host, sizeof f->cfg.job.current_host);
  memset(id, 'b', sizeof id - 1);
  id[sizeof id - 1] = '\0';
  memcpy(id, "dns:", 4);
  nc_strlcpy(f->pl.head->id, id, sizeof f->pl.head->id);
  nc_snprintf(uri, sizeof uri, "s3://nc-reports/%0600d\xc3\xa9/", 0);
  nc_strlcpy(f->cfg.job.outputs[1].s3_uri, uri, sizeof f->cfg.job.outputs[1].s3_uri);
  nc_snprintf(path, sizeof path, OUT_DIR "/%s.json", host);
  report_failure_line(&f->cfg, &f->pl, path, line, sizeof line);
  n = strlen(line);
  assert_true(n <= REPORT_MESSAGE_MAX);
  assert_true(n >= REPORT_MESSAGE_MAX - 8);
  assert_int_equal(strncmp(line, "netcheck hhhh", 13), 0);
  assert_non_null(strstr(line, ": DNS_NXDOMAIN dns:bbb"));
  assert_non_null(strstr(line, "; report s3://nc-"));
  assert_int_equal(strcmp(line + n - 9, "hhhh.json"), 0);
  for (size_t i = 0; i < n; i += utf8_seq((const unsigned char *)line + i, n - i, &cp))
    assert_true(utf8_seq((const unsigned char *)line + i, n - i, &cp) > 0);
  assert_null(strchr(line, '\n'));
}

static void test_nothing_failed_says_so(void **state) {
  struct fixture *f = *state;
  char line[256];
  for (struct probe *p = f->pl.head; p; p = p->next) {
    p->verdict = NC_VERDICT_PASS;
    p->code = NC_OK;
  }
  report_failure_line(&f->cfg, &f->pl, NULL, line, sizeof line);
  assert_string_equal(line, "netcheck algo-1: no network check failed");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_report_s3_uri_follows_the_output, setup, teardown),
      cmocka_unit_test_setup_teardown(test_text_summary_is_one_line_per_cause, setup, teardown),
      cmocka_unit_test_setup_teardown(test_report_carries_the_causes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_abort_message_names_host_code_probe_and_report, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_abort_message_is_at_most_200_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nothing_failed_says_so, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
