/* Unit tests for agent/probe.c: the plan. Tiers, the user's expectations
 * (most specific key, then precedence), the connect budget of what the job
 * may not use, keys that name nothing, and verdicts lowered by tier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/probe.h"

static struct nc_config cfg;
static struct plan pl;
static char err[512];

static int setup(void **state) {
  (void)state;
  memset(&cfg, 0, sizeof cfg);
  memset(&pl, 0, sizeof pl);
  snprintf(cfg.region, sizeof cfg.region, "us-east-1");
  snprintf(cfg.locations[0].bucket, sizeof cfg.locations[0].bucket, "job-input");
  cfg.n_locations = 1;
  snprintf(cfg.egress_targets[0], NC_HOST_MAX, "pypi.org");
  cfg.n_egress_targets = 1;
  cfg.timeout_ms = 15000;
  cfg.connect_timeout_ms = 3000;
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  plan_free(&pl);
  return 0;
}

static void expect_key(const char *key, enum nc_expect e, enum nc_source src) {
  struct nc_expectation *x = &cfg.expectations[cfg.n_expectations++];
  snprintf(x->key, sizeof x->key, "%s", key);
  x->expect = e;
  x->source = src;
}

static struct probe *find(const char *id) {
  for (struct probe *p = pl.head; p; p = p->next)
    if (!strcmp(p->id, id))
      return p;
  fail_msg("no probe %s in the plan", id);
  return NULL;
}

static void build(void) { assert_int_equal(plan_build(&pl, &cfg, err, sizeof err), 0); }

static void test_default_tiers(void **state) {
  (void)state;
  build();
  assert_int_equal(find("s3:job-input")->tier, NC_TIER_REQUIRED);
  assert_int_equal(find("clock:s3.us-east-1.amazonaws.com")->tier, NC_TIER_REQUIRED);
  assert_int_equal(find("repo:repo.us-east-1.amazonaws.com")->tier, NC_TIER_POLICY);
  assert_int_equal(find("repo:repo.us-east-1.amazonaws.com")->expect, NC_EXPECT_BLOCKED);
  assert_int_equal(find("egress:pypi.org")->tier, NC_TIER_INFORMATIONAL);
  assert_int_equal(find("aws:sts")->tier, NC_TIER_INFORMATIONAL);
  assert_int_equal(find("creds:none")->tier, NC_TIER_INFORMATIONAL);
  assert_string_equal(find("aws:sts")->expect_source, "default");
}

/* What the job may not use never holds it for the whole --timeout. */
static void test_connect_budget_only_for_what_the_job_may_not_use(void **state) {
  (void)state;
  build();
  assert_int_equal(find("aws:logs")->connect_ms, 3000);
  assert_int_equal(find("egress:pypi.org")->connect_ms, 3000);
  assert_int_equal(find("repo:repo.us-east-1.amazonaws.com")->connect_ms, 3000);
  assert_int_equal(find("s3:job-input")->connect_ms, 0);
  assert_int_equal(find("s3:job-input")->timeout_ms, 15000);
}

/* An explicit expectation other than "any" means the job needs the outcome. */
static void test_expectation_makes_a_probe_required(void **state) {
  (void)state;
  expect_key("sts", NC_EXPECT_REACHABLE, NC_SRC_ENV);
  expect_key("repo", NC_EXPECT_BLOCKED, NC_SRC_JOB_ENV);
  expect_key("egress", NC_EXPECT_ANY, NC_SRC_FLAG);
  build();
  assert_int_equal(find("aws:sts")->tier, NC_TIER_REQUIRED);
  assert_int_equal(find("aws:sts")->connect_ms, 0);
  assert_string_equal(find("aws:sts")->expect_source, "environment");
  assert_int_equal(find("aws:logs")->tier, NC_TIER_INFORMATIONAL);
  assert_int_equal(find("repo:al2023-repos-us-east-1-de612dc2")->tier, NC_TIER_REQUIRED);
  assert_int_equal(find("egress:pypi.org")->tier, NC_TIER_INFORMATIONAL);
  assert_int_equal(find("egress:pypi.org")->expect, NC_EXPECT_ANY);
}

/* The most specific key wins, then the highest precedence. */
static void test_specific_key_beats_family_then_precedence(void **state) {
  (void)state;
  expect_key("aws", NC_EXPECT_BLOCKED, NC_SRC_FLAG);
  expect_key("sts", NC_EXPECT_REACHABLE, NC_SRC_JOB_ENV);
  expect_key("logs", NC_EXPECT_REACHABLE, NC_SRC_ENV);
  expect_key("logs", NC_EXPECT_ANY, NC_SRC_CONFIG);
  expect_key("aws:monitoring", NC_EXPECT_ANY, NC_SRC_JOB_ENV);
  build();
  assert_int_equal(find("aws:sts")->expect, NC_EXPECT_REACHABLE);
  assert_int_equal(find("aws:logs")->expect, NC_EXPECT_ANY);
  assert_string_equal(find("aws:logs")->expect_source, "--config");
  assert_int_equal(find("aws:monitoring")->expect, NC_EXPECT_ANY);
  assert_int_equal(find("aws:api.ecr")->expect, NC_EXPECT_BLOCKED);
  assert_string_equal(find("aws:api.ecr")->expect_source, "command line");
}

/* A key that names nothing: a usage error on the command line, a reported
 * problem (never fatal) from the job's environment. */
static void test_unknown_key_from_flags_is_a_usage_error(void **state) {
  (void)state;
  expect_key("stss", NC_EXPECT_REACHABLE, NC_SRC_FLAG);
  assert_int_equal(plan_build(&pl, &cfg, err, sizeof err), NC_EXIT_USAGE);
  assert_non_null(strstr(err, "stss"));
}

static void test_unknown_key_from_the_environment_is_a_config_problem(void **state) {
  struct probe *p;
  (void)state;
  expect_key("stss", NC_EXPECT_REACHABLE, NC_SRC_ENV);
  snprintf(cfg.skips[0], NC_KEY_MAX, "nosuchfamily");
  cfg.skip_source[0] = NC_SRC_ENV;
  cfg.n_skips = 1;
  build();
  p = find("config:environment");
  assert_int_equal(p->tier, NC_TIER_REQUIRED);
  assert_int_equal(pl.n_problems, 2);
  assert_non_null(strstr(pl.problems[1].text, "stss"));
}

static void test_unknown_skip_from_flags_is_a_usage_error(void **state) {
  (void)state;
  snprintf(cfg.skips[0], NC_KEY_MAX, "nosuchfamily");
  cfg.skip_source[0] = NC_SRC_FLAG;
  cfg.n_skips = 1;
  assert_int_equal(plan_build(&pl, &cfg, err, sizeof err), NC_EXIT_USAGE);
  assert_non_null(strstr(err, "nosuchfamily"));
}

static void test_job_config_problems_become_one_probe_per_file(void **state) {
  (void)state;
  config_problem(&cfg, "/opt/ml/config/resourceconfig.json", "hosts[2]", "expected a string");
  config_problem(&cfg, "/opt/ml/config/resourceconfig.json", "hosts", "88 hosts beyond");
  config_problem(&cfg, "/opt/ml/config/processingjobconfig.json", "", "malformed JSON");
  build();
  assert_string_equal(find("config:resourceconfig.json")->target,
                      "/opt/ml/config/resourceconfig.json");
  find("config:processingjobconfig.json");
  /* Report order is family order: the config problems come first. */
  assert_string_equal(pl.head->kind, "config");
  assert_string_equal(pl.head->next->kind, "config");
  assert_string_equal(pl.head->next->next->id, "env:network");
}

/* A miss counts as much as the tier says: policy warns, informational is a fact. */
static void test_verdict_is_lowered_by_tier(void **state) {
  struct probe *req, *pol, *inf;
  (void)state;
  build();
  req = find("s3:job-input");
  pol = find("repo:repo.us-east-1.amazonaws.com");
  inf = find("aws:sts");
  probe_finish(req, NC_VERDICT_FAIL, NC_S3_NO_ROUTE, "x", "m");
  probe_finish(pol, NC_VERDICT_FAIL, NC_REPO_NOT_BLOCKED, "x", "m");
  probe_finish(inf, NC_VERDICT_FAIL, NC_AWS_ENDPOINT_UNREACHABLE, "x", "m");
  assert_int_equal(req->verdict, NC_VERDICT_FAIL);
  assert_int_equal(pol->verdict, NC_VERDICT_WARN);
  assert_int_equal(inf->verdict, NC_VERDICT_INFO);
  assert_int_equal(inf->code, NC_AWS_ENDPOINT_UNREACHABLE);
  inf = find("aws:logs");
  probe_finish(inf, NC_VERDICT_WARN, NC_TLS_HANDSHAKE, "x", "m");
  assert_int_equal(inf->verdict, NC_VERDICT_INFO);
  inf = find("aws:monitoring");
  probe_finish(inf, NC_VERDICT_PASS, NC_OK, "x", "m");
  assert_int_equal(inf->verdict, NC_VERDICT_PASS);
}

static void test_network_isolation_asked_by_the_job_is_expected(void **state) {
  (void)state;
  cfg.job.network_isolation = 1;
  build();
  assert_int_equal(find("env:network")->expect, NC_EXPECT_BLOCKED);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_default_tiers),
      T(test_connect_budget_only_for_what_the_job_may_not_use),
      T(test_expectation_makes_a_probe_required),
      T(test_specific_key_beats_family_then_precedence),
      T(test_unknown_key_from_flags_is_a_usage_error),
      T(test_unknown_key_from_the_environment_is_a_config_problem),
      T(test_unknown_skip_from_flags_is_a_usage_error),
      T(test_job_config_problems_become_one_probe_per_file),
      T(test_verdict_is_lowered_by_tier),
      T(test_network_isolation_asked_by_the_job_is_expected),
  };
  return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
