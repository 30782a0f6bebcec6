/*
 * test_creds_probe.c - the creds probe's choices and guards: which source the
 * SDKs would use, the endpoint URL, the Authorization header, what may be
 * reported, and the plan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/creds_probe.h"
#include "netcheck/http.h"
#include "netcheck/probe.h"

static const char *const creds_vars[] = {"AWS_ACCESS_KEY_ID",
                                         "AWS_SECRET_ACCESS_KEY",
                                         "AWS_SESSION_TOKEN",
                                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                         "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                         "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                                         "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"};

static int clear_env(void **state) {
  (void)state;
  for (size_t i = 0; i < NC_ARRAY_LEN(creds_vars); i++)
    unsetenv(creds_vars[i]);
  return 0;
}

/* ---- source ---- */

static void test_no_variables_means_no_credentials(void **state) {
  (void)state;
  assert_string_equal(creds_probe_source(), "none");
}

static void test_environment_keys_win_over_the_container(void **state) {
  (void)state;
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x", 1);
  setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  assert_string_equal(creds_probe_source(), "env");
}

static void test_a_key_id_alone_is_not_env_credentials(void **state) {
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", 1);
  assert_string_equal(creds_probe_source(), "none");
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://creds.example/", 1);
  assert_string_equal(creds_probe_source(), "container");
}

static void test_empty_variables_count_as_unset(void **state) {
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "", 1);
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "", 1);
  assert_string_equal(creds_probe_source(), "none");
}

/* ---- endpoint URL ---- */

static void test_relative_uri_goes_to_the_container_endpoint(void **state) {
  char url[256], err[256];
  (void)state;
  assert_int_equal(creds_probe_container_url("/v2/credentials/abc", "https://other.example/x", url,
                                             sizeof url, err, sizeof err),
                   0);
  assert_string_equal(url, "http://169.254.170.2/v2/credentials/abc");
}

static void test_relative_uri_must_be_a_clean_path(void **state) {
  char url[256], err[256];
  (void)state;
  assert_int_equal(creds_probe_container_url("v2/creds", NULL, url, sizeof url, err, sizeof err),
                   -1);
  assert_int_equal(
      creds_probe_container_url("/v2/x\r\nHost: evil", NULL, url, sizeof url, err, sizeof err), -1);
  assert_null(strstr(err, "evil")); /* names the variable, not its value */
}

static void test_full_uri_accepts_https_and_local_http(void **state) {
  char url[256], err[256];
  (void)state;
  assert_int_equal(
      creds_probe_container_url(NULL, "https://creds.example/c", url, sizeof url, err, sizeof err),
      0);
  assert_string_equal(url, "https://creds.example/c");
  assert_int_equal(creds_probe_container_url(NULL, "http://169.254.170.23/v1/credentials", url,
                                             sizeof url, err, sizeof err),
                   0);
  assert_int_equal(
      creds_probe_container_url(NULL, "http://127.0.0.1:8080/c", url, sizeof url, err, sizeof err),
      0);
}

static void test_full_uri_refuses_other_schemes_and_remote_http(void **state) {
  char url[256], err[256];
  (void)state;
  assert_int_equal(
      creds_probe_container_url(NULL, "file:///etc/shadow", url, sizeof url, err, sizeof err), -1);
  assert_int_equal(
      creds_probe_container_url(NULL, "http://10.0.0.5/creds", url, sizeof url, err, sizeof err),
      -1);
  assert_int_equal(
      creds_probe_container_url(NULL, "https:///nohost", url, sizeof url, err, sizeof err), -1);
  assert_null(strstr(err, "nohost"));
}

static void test_overlong_uri_is_refused(void **state) {
  char url[2048], err[256], *big = malloc(1500);
  (void)state;
  assert_non_null(big);
  big[0] = '/';
  memset(big + 1, 'a', 1498);
  big[1499] = '\0';
  assert_int_equal(creds_probe_container_url(big, NULL, url, sizeof url, err, sizeof err), -1);
  free(big);
}

static void test_missing_uri_is_an_error(void **state) {
  char url[256], err[256];
  (void)state;
  assert_int_equal(creds_probe_container_url(NULL, "", url, sizeof url, err, sizeof err), -1);
  assert_non_null(strstr(err, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
}

static void test_plain_http_hosts_follow_the_sdks(void **state) {
  (void)state;
  assert_true(creds_probe_plain_host_allowed("localhost:8080/x"));
  assert_true(creds_probe_plain_host_allowed("127.9.9.9/x"));
  assert_true(creds_probe_plain_host_allowed("[::1]:80/x"));
  assert_true(creds_probe_plain_host_allowed("[fd00:ec2::23]/x"));
  assert_true(creds_probe_plain_host_allowed("169.254.170.2/v2"));
  assert_true(creds_probe_plain_host_allowed("user:pw@127.0.0.1/x"));
  assert_false(creds_probe_plain_host_allowed("127.0.0.1.evil.example/x"));
  assert_false(creds_probe_plain_host_allowed("127.0.0.1@evil.example/x"));
  assert_false(creds_probe_plain_host_allowed("169.254.169.254/latest"));
  assert_false(creds_probe_plain_host_allowed("[::1/x"));
}

/* ---- what may be reported ---- */

static void test_endpoint_keeps_neither_path_nor_userinfo(void **state) {
  char out[256];
  (void)state;
  creds_probe_endpoint("http://169.254.170.2/v2/credentials/secret-id", out, sizeof out);
  assert_string_equal(out, "http://169.254.170.2");
  creds_probe_endpoint("https://user:pw@creds.example:8443/c?token=t", out, sizeof out);
  assert_string_equal(out, "https://creds.example:8443");
  creds_probe_endpoint("no scheme", out, sizeof out);
  assert_string_equal(out, "");
}

static void test_key_prefix_keeps_four_characters(void **state) {
  char out[16];
  (void)state;
  creds_probe_key_prefix("ASIAEXAMPLEKEYID", out, sizeof out);
  assert_string_equal(out, "ASIA\xe2\x80\xa6");
  creds_probe_key_prefix("AB", out, sizeof out);
  assert_string_equal(out, "AB\xe2\x80\xa6");
  creds_probe_key_prefix("", out, sizeof out);
  assert_string_equal(out, "");
  creds_probe_key_prefix("ASIAEXAMPLEKEYID", out, 4);
  assert_string_equal(out, "");
}

static void test_failure_reason_never_quotes_the_body(void **state) {
  struct http_resp r;
  char out[320], body[] = "{\"SecretAccessKey\":\"s3cr3t\"}";
  (void)state;
  memset(&r, 0, sizeof r);
  r.status = 404;
  r.body = body;
  r.body_len = strlen(body);
  creds_probe_failure_reason(&r, out, sizeof out);
  assert_string_equal(out, "HTTP 404");
  r.status = 200;
  r.body_truncated = true;
  creds_probe_failure_reason(&r, out, sizeof out);
  assert_null(strstr(out, "s3cr3t"));
  assert_non_null(strstr(out, "larger than"));
}

static void test_failure_reason_names_the_transport_error(void **state) {
  struct http_resp r;
  char out[320];
  (void)state;
  memset(&r, 0, sizeof r);
  r.curl_code = 7;
  snprintf(r.error, sizeof r.error,
           "Failed to connect to 169.254.170.2 port 80: Connection refused");
  creds_probe_failure_reason(&r, out, sizeof out);
  assert_string_equal(out, "Failed to connect to 169.254.170.2 port 80: Connection refused");
  r.error[0] = '\0';
  r.curl_code = 28;
  creds_probe_failure_reason(&r, out, sizeof out);
  assert_string_equal(out, "transfer failed (curl error 28)");
}

/* ---- Authorization header ---- */

static void test_token_file_newline_is_trimmed(void **state) {
  char hdr[128];
  const char tok[] = "tok-123\n";
  (void)state;
  assert_int_equal(creds_probe_auth_header(tok, strlen(tok), hdr, sizeof hdr), 0);
  assert_string_equal(hdr, "Authorization: tok-123");
}

static void test_token_with_a_line_break_is_refused(void **state) {
  char hdr[128];
  const char tok[] = "tok\r\nX-Injected: 1";
  (void)state;
  assert_int_equal(creds_probe_auth_header(tok, strlen(tok), hdr, sizeof hdr), -1);
}

static void test_empty_or_oversized_token_is_refused(void **state) {
  char hdr[64];
  const char tok[] = "0123456789012345678901234567890123456789012345678901234567890123";
  (void)state;
  assert_int_equal(creds_probe_auth_header(" \n", 2, hdr, sizeof hdr), -1);
  assert_int_equal(creds_probe_auth_header(tok, strlen(tok), hdr, sizeof hdr), -1);
}

/* ---- plan ---- */

static struct nc_config *test_config(void) {
  struct nc_config *cfg = calloc(1, sizeof *cfg);
  assert_non_null(cfg);
  cfg->timeout_ms = 5000;
  return cfg;
}

static const struct probe_family *creds(void) {
  const struct probe_family *f = probe_family_find("creds");
  assert_non_null(f);
  return f;
}

static void plan_expect(const char *id, const char *target, enum nc_tier tier) {
  struct nc_config *cfg = test_config();
  struct plan pl = {0};
  assert_int_equal(creds()->plan(&pl, cfg), 0);
  assert_int_equal(pl.count, 1);
  assert_string_equal(pl.head->id, id);
  assert_string_equal(pl.head->target, target);
  assert_string_equal(pl.head->kind, "creds");
  assert_int_equal(pl.head->tier, tier);
  /* The engine waits for this probe before it starts those that need creds. */
  assert_int_equal(pl.head->ops->flags & NC_PROBE_NEEDS_CREDS, 0);
  assert_int_not_equal(pl.head->ops->flags & NC_PROBE_PROVIDES_CREDS, 0);
  plan_free(&pl);
  free(cfg);
}

static void test_plan_without_credentials_is_creds_none(void **state) {
  (void)state;
  plan_expect("creds:none", "none", NC_TIER_INFORMATIONAL);
}

static void test_plan_with_keys_is_creds_env(void **state) {
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  plan_expect("creds:env", "environment", NC_TIER_REQUIRED);
}

static void test_plan_with_container_uri_targets_the_endpoint(void **state) {
  (void)state;
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
  plan_expect("creds:container", "http://169.254.170.2", NC_TIER_REQUIRED);
}

static void test_plan_is_empty_when_creds_is_skipped(void **state) {
  struct nc_config *cfg = test_config();
  struct plan pl = {0};
  char err[256];
  (void)state;
  snprintf(cfg->skips[0], NC_KEY_MAX, "creds");
  cfg->skip_source[0] = NC_SRC_FLAG;
  cfg->n_skips = 1;
  assert_int_equal(plan_build(&pl, cfg, err, sizeof err), 0);
  for (const struct probe *p = pl.head; p; p = p->next)
    assert_string_not_equal(p->kind, "creds");
  plan_free(&pl);
  free(cfg);
}

#define T(f) cmocka_unit_test_setup_teardown(f, clear_env, clear_env)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_no_variables_means_no_credentials),
      T(test_environment_keys_win_over_the_container),
      T(test_a_key_id_alone_is_not_env_credentials),
      T(test_empty_variables_count_as_unset),
      T(test_relative_uri_goes_to_the_container_endpoint),
      T(test_relative_uri_must_be_a_clean_path),
      T(test_full_uri_accepts_https_and_local_http),
      T(test_full_uri_refuses_other_schemes_and_remote_http),
      T(test_overlong_uri_is_refused),
      T(test_missing_uri_is_an_error),
      T(test_plain_http_hosts_follow_the_sdks),
      T(test_endpoint_keeps_neither_path_nor_userinfo),
      T(test_key_prefix_keeps_four_characters),
      T(test_failure_reason_never_quotes_the_body),
      T(test_failure_reason_names_the_transport_error),
      T(test_token_file_newline_is_trimmed),
      T(test_token_with_a_line_break_is_refused),
      T(test_empty_or_oversized_token_is_refused),
      T(test_plan_without_credentials_is_creds_none),
      T(test_plan_with_keys_is_creds_env),
      T(test_plan_with_container_uri_targets_the_endpoint),
      T(test_plan_is_empty_when_creds_is_skipped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
