/* Unit tests for agent/config.c: SageMaker discovery, --config, flags. */
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

static struct nc_config cfg;
static char err[1024];

static int load(int argc, char **argv) {
  memset(err, 0, sizeof err);
  return config_load(&cfg, argc, argv, err, sizeof err);
}

static int parse_job(const char *json) {
  memset(&cfg, 0, sizeof cfg);
  return config_parse_processing_job(&cfg, json, strlen(json), err, sizeof err);
}

static void test_processing_job_gives_buckets_region_outputs(void **state) {
  char *argv[] = {"netcheck", "--sm-config-dir", "tests/fixtures/sm-two-hosts"};
  (void)state;
  assert_int_equal(load(3, argv), 0);
  assert_string_equal(cfg.job.name, "nc-fixture-job");
  assert_string_equal(cfg.region, "eu-west-1");
  assert_int_equal(cfg.job.instance_count, 2);
  assert_int_equal(cfg.n_buckets, 3);
  assert_string_equal(cfg.buckets[0].name, "nc-fixture-input");
  assert_string_equal(cfg.buckets[0].prefix, "data/2026/");
  assert_string_equal(cfg.buckets[0].source, "input");
  assert_string_equal(cfg.buckets[2].name, "nc-fixture-output");
  assert_int_equal(cfg.job.n_outputs, 1);
  assert_string_equal(cfg.job.outputs[0].name, "results");
  /* where the output goes: the report's S3 URI in the abort message */
  assert_string_equal(cfg.job.outputs[0].s3_uri, "s3://nc-fixture-output/results/");
  assert_string_equal(cfg.job.current_host, "algo-1");
  assert_int_equal(cfg.job.n_hosts, 2);
  assert_string_equal(cfg.job.hosts[1], "algo-2");
}

static void test_every_field_may_be_null(void **state) {
  char *argv[] = {"netcheck", "--sm-config-dir", "tests/fixtures/sm-nulls"};
  (void)state;
  assert_int_equal(load(3, argv), 0);
  assert_int_equal(cfg.n_buckets, 0);
  assert_int_equal(cfg.job.n_hosts, 0);
  assert_string_equal(cfg.job.current_host, "");
}

static void test_missing_fields_are_fine(void **state) {
  (void)state;
  assert_int_equal(parse_job("{}"), 0);
  assert_int_equal(parse_job("{\"ProcessingInputs\": [{}, {\"S3Input\": {}}]}"), 0);
  assert_int_equal(cfg.n_buckets, 0);
}

/* What SageMaker wrote never stops the job: a wrong field is a problem
 * (reported as CONFIG_INVALID) and the rest of the file is used. */
static void test_wrong_type_is_a_problem_and_the_rest_is_used(void **state) {
  (void)state;
  assert_int_equal(parse_job("{\"ProcessingInputs\": [{\"S3Input\": {\"S3Uri\": 5}},"
                             " {\"S3Input\": {\"S3Uri\": \"s3://good-bucket/x/\"}}],"
                             " \"ProcessingJobName\": \"j\"}"),
                   0);
  assert_int_equal(cfg.n_problems, 1);
  assert_string_equal(cfg.problems[0].field, "ProcessingInputs[0].S3Input.S3Uri");
  assert_string_equal(cfg.problems[0].text, "expected a string");
  assert_int_equal(cfg.n_buckets, 1);
  assert_string_equal(cfg.buckets[0].name, "good-bucket");
  assert_string_equal(cfg.job.name, "j");
  assert_int_equal(parse_job("{\"ProcessingInputs\": {}}"), 0);
  assert_int_equal(cfg.n_problems, 1);
  assert_string_equal(cfg.problems[0].field, "ProcessingInputs");
  assert_string_equal(cfg.problems[0].text, "expected an array");
  assert_int_equal(
      parse_job("{\"ProcessingResources\": {\"ClusterConfig\": {\"InstanceCount\": \"2\"}}}"), 0);
  assert_string_equal(cfg.problems[0].field, "ProcessingResources.ClusterConfig.InstanceCount");
  assert_string_equal(cfg.problems[0].text, "expected a number");
}

static void test_job_environment_carries_settings(void **state) {
  (void)state;
  assert_int_equal(
      parse_job("{\"Environment\": {\"NETCHECK_EXPECT\": \"sts=reachable, egress=blocked\","
                " \"NETCHECK_ON_FAIL\": \"abort\", \"NETCHECK_TIMEOUT\": \"7\","
                " \"NETCHECK_SKIP\": \"peer,clock\", \"OTHER\": 5}}"),
      0);
  assert_int_equal(cfg.n_problems, 0);
  assert_int_equal(cfg.n_expectations, 2);
  assert_string_equal(cfg.expectations[0].key, "sts");
  assert_int_equal(cfg.expectations[0].expect, NC_EXPECT_REACHABLE);
  assert_int_equal(cfg.expectations[0].source, NC_SRC_JOB_ENV);
  assert_string_equal(cfg.expectations[1].key, "egress");
  assert_int_equal(cfg.expectations[1].expect, NC_EXPECT_BLOCKED);
  assert_int_equal(cfg.on_fail, NC_ON_FAIL_ABORT);
  assert_int_equal(cfg.timeout_ms, 7000);
  assert_true(config_skips(&cfg, "peer"));
  assert_true(config_skips(&cfg, "clock"));
  /* A value that cannot be used is a problem naming the variable. */
  assert_int_equal(parse_job("{\"Environment\": {\"NETCHECK_EXPECT\": \"sts\","
                             " \"NETCHECK_ON_FAIL\": \"sometimes\"}}"),
                   0);
  assert_int_equal(cfg.n_problems, 2);
  assert_string_equal(cfg.problems[0].field, "NETCHECK_EXPECT");
  assert_string_equal(cfg.problems[1].field, "NETCHECK_ON_FAIL");
  assert_int_equal(cfg.on_fail, NC_ON_FAIL_WARN);
}

static void test_network_isolation_is_read(void **state) {
  (void)state;
  assert_int_equal(parse_job("{\"NetworkConfig\": {\"EnableNetworkIsolation\": true}}"), 0);
  assert_int_equal(cfg.job.network_isolation, 1);
  assert_true(cfg.job.found);
}

static void test_malformed_json_names_the_offset(void **state) {
  (void)state;
  assert_int_equal(parse_job("{\"ProcessingJobName\": "), -1);
  assert_non_null(strstr(err, "processingjobconfig.json: malformed JSON near byte"));
  assert_int_equal(parse_job("[1, 2]"), -1);
  assert_non_null(strstr(err, "expected a JSON object"));
  assert_int_equal(parse_job(""), -1);
}

static void test_huge_file_is_refused(void **state) {
  size_t n = 2 * 1024 * 1024;
  char *big = malloc(n + 1);
  (void)state;
  assert_non_null(big);
  memset(big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  big[n] = '\0';
  memset(&cfg, 0, sizeof cfg);
  assert_int_equal(config_parse_processing_job(&cfg, big, n, err, sizeof err), -1);
  assert_non_null(strstr(err, "too large"));
  free(big);
}

static void test_resource_config_bad_hosts_are_problems(void **state) {
  const char *j = "{\"current_host\": \"algo-1\", \"hosts\": [\"algo-1\", 2, \"algo-3\"]}";
  (void)state;
  memset(&cfg, 0, sizeof cfg);
  assert_int_equal(config_parse_resource(&cfg, j, strlen(j), err, sizeof err), 0);
  assert_int_equal(cfg.n_problems, 1);
  assert_string_equal(cfg.problems[0].field, "hosts[1]");
  assert_int_equal(cfg.job.n_hosts, 2);
  assert_string_equal(cfg.job.hosts[1], "algo-3");
}

static void test_hosts_beyond_the_cap_are_reported(void **state) {
  size_t cap = 64 * 1024;
  char *j = malloc(cap);
  size_t n = 0;
  (void)state;
  assert_non_null(j);
  n += (size_t)snprintf(j + n, cap - n, "{\"current_host\": \"algo-1\", \"hosts\": [");
  for (int i = 1; i <= NC_MAX_HOSTS + 88; i++)
    n += (size_t)snprintf(j + n, cap - n, "%s\"algo-%d\"", i > 1 ? ", " : "", i);
  n += (size_t)snprintf(j + n, cap - n, "]}");
  memset(&cfg, 0, sizeof cfg);
  assert_int_equal(config_parse_resource(&cfg, j, n, err, sizeof err), 0);
  assert_int_equal(cfg.job.n_hosts, NC_MAX_HOSTS);
  assert_int_equal(cfg.n_problems, 1);
  assert_string_equal(cfg.problems[0].field, "hosts");
  assert_non_null(strstr(cfg.problems[0].text, "88 hosts beyond the first 512"));
  free(j);
}

static void test_region_from_arn(void **state) {
  char r[32];
  (void)state;
  assert_int_equal(
      config_region_from_arn("arn:aws:sagemaker:ap-southeast-2:1:processing-job/x", r, sizeof r),
      0);
  assert_string_equal(r, "ap-southeast-2");
  assert_int_equal(config_region_from_arn("arn:aws:sagemaker::1:x", r, sizeof r), -1);
  assert_int_equal(config_region_from_arn("not-an-arn", r, sizeof r), -1);
  assert_int_equal(config_region_from_arn("arn:aws:sagemaker:US/EAST:1:x", r, sizeof r), -1);
}

static void test_s3_uri_split(void **state) {
  char b[64], p[256];
  (void)state;
  assert_int_equal(config_split_s3_uri("s3://my-bucket/a/b/", b, sizeof b, p, sizeof p), 0);
  assert_string_equal(b, "my-bucket");
  assert_string_equal(p, "a/b/");
  assert_int_equal(config_split_s3_uri("s3://my-bucket", b, sizeof b, p, sizeof p), 0);
  assert_string_equal(p, "");
  assert_int_equal(config_split_s3_uri("https://x/y", b, sizeof b, p, sizeof p), -1);
  assert_int_equal(config_split_s3_uri("s3://UPPER/x", b, sizeof b, p, sizeof p), -1);
  assert_int_equal(config_split_s3_uri("s3://ab", b, sizeof b, p, sizeof p), -1);
}

static void test_host_names_are_sanitised(void **state) {
  char out[80];
  (void)state;
  config_sanitize_host("algo-1", out, sizeof out);
  assert_string_equal(out, "algo-1");
  config_sanitize_host("../../etc/passwd", out, sizeof out);
  assert_null(strchr(out, '/'));
  assert_true(out[0] != '.');
  config_sanitize_host("", out, sizeof out);
  assert_string_equal(out, "host");
  config_sanitize_host("..", out, sizeof out);
  assert_string_equal(out, "host");
  config_sanitize_host("a\nb\x01", out, sizeof out);
  assert_string_equal(out, "a_b_");
}

/* The expectation for key from the highest source (0 when none). */
static int expect_of(const char *key, enum nc_source *src) {
  int found = 0;
  for (int i = 0; i < cfg.n_expectations; i++)
    if (!strcmp(cfg.expectations[i].key, key) && (!found || cfg.expectations[i].source >= *src)) {
      *src = cfg.expectations[i].source;
      found = (int)cfg.expectations[i].expect + 1;
    }
  return found;
}

static void test_flags_override_file_override_discovery(void **state) {
  char *argv1[] = {"netcheck", "--sm-config-dir", "tests/fixtures/sm-two-hosts", "--config",
                   "tests/fixtures/config-example.json"};
  char *argv2[] = {"netcheck",
                   "--sm-config-dir",
                   "tests/fixtures/sm-two-hosts",
                   "--config",
                   "tests/fixtures/config-example.json",
                   "--region",
                   "sa-east-1",
                   "--expect",
                   "egress=any",
                   "--timeout",
                   "2.5",
                   "--connect-timeout",
                   "1",
                   "--peer-wait",
                   "0"};
  enum nc_source src = NC_SRC_DEFAULT;
  (void)state;
  setenv("NETCHECK_TIMEOUT", "9", 1);
  setenv("NETCHECK_EXPECT", "egress=reachable", 1);
  assert_int_equal(load(5, argv1), 0);
  assert_string_equal(cfg.region, "ap-south-1");
  assert_int_equal(expect_of("egress", &src), NC_EXPECT_BLOCKED + 1);
  assert_int_equal(src, NC_SRC_CONFIG);
  assert_int_equal(cfg.timeout_ms, 8000); /* --config over NETCHECK_TIMEOUT */
  assert_int_equal(cfg.connect_timeout_ms, 3000);
  assert_true(config_skips(&cfg, "clock"));
  assert_string_equal(cfg.buckets[cfg.n_buckets - 1].name, "extra-bucket");
  assert_string_equal(cfg.buckets[cfg.n_buckets - 1].prefix, "in/");
  assert_int_equal(load(15, argv2), 0);
  assert_string_equal(cfg.region, "sa-east-1");
  assert_int_equal(expect_of("egress", &src), NC_EXPECT_ANY + 1);
  assert_int_equal(src, NC_SRC_FLAG);
  assert_int_equal(cfg.timeout_ms, 2500);
  assert_int_equal(cfg.connect_timeout_ms, 1000);
  assert_int_equal(cfg.peer_wait_ms, 0);
  unsetenv("NETCHECK_TIMEOUT");
  unsetenv("NETCHECK_EXPECT");
}

static void test_environment_settings_are_read(void **state) {
  char *argv[] = {"netcheck", "--sm-config-dir", "tests/fixtures/sm-nulls"};
  enum nc_source src = NC_SRC_DEFAULT;
  (void)state;
  setenv("NETCHECK_EXPECT", "sts=reachable", 1);
  setenv("NETCHECK_ON_FAIL", "abort", 1);
  setenv("NETCHECK_SKIP", "peer", 1);
  setenv("NETCHECK_TIMEOUT", "not-a-number", 1);
  assert_int_equal(load(3, argv), 0);
  assert_int_equal(expect_of("sts", &src), NC_EXPECT_REACHABLE + 1);
  assert_int_equal(src, NC_SRC_ENV);
  assert_int_equal(cfg.on_fail, NC_ON_FAIL_ABORT);
  assert_true(config_skips(&cfg, "peer"));
  /* Never fatal: a problem naming the variable, and the default stays. */
  assert_int_equal(cfg.timeout_ms, 15000);
  assert_int_equal(cfg.n_problems, 1);
  assert_string_equal(cfg.problems[0].file, "environment");
  assert_string_equal(cfg.problems[0].field, "NETCHECK_TIMEOUT");
  unsetenv("NETCHECK_EXPECT");
  unsetenv("NETCHECK_ON_FAIL");
  unsetenv("NETCHECK_SKIP");
  unsetenv("NETCHECK_TIMEOUT");
}

static void test_internet_key_sets_the_egress_expectation(void **state) {
  const char *j = "{\"internet\": \"blocked\"}";
  const char *bad = "{\"internet\": \"sometimes\"}";
  enum nc_source src = NC_SRC_DEFAULT;
  (void)state;
  memset(&cfg, 0, sizeof cfg);
  assert_int_equal(config_parse_file(&cfg, j, strlen(j), err, sizeof err), 0);
  assert_int_equal(expect_of("egress", &src), NC_EXPECT_BLOCKED + 1);
  assert_int_equal(config_parse_file(&cfg, bad, strlen(bad), err, sizeof err), -1);
  assert_non_null(strstr(err, "internet"));
}

static void test_config_file_is_strict(void **state) {
  const char *j = "{\"timeout\": \"8\"}";
  (void)state;
  memset(&cfg, 0, sizeof cfg);
  assert_int_equal(config_parse_file(&cfg, j, strlen(j), err, sizeof err), -1);
  assert_non_null(strstr(err, "timeout: expected a number"));
}

static void test_defaults(void **state) {
  char *argv[] = {"netcheck", "--sm-config-dir", "tests/fixtures/sm-nulls"};
  (void)state;
  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  assert_int_equal(load(3, argv), 0);
  assert_int_equal(cfg.timeout_ms, 15000);
  assert_int_equal(cfg.connect_timeout_ms, 3000);
  assert_int_equal(cfg.peer_wait_ms, 120000);
  assert_int_equal(cfg.peer_port, 7191);
  assert_int_equal(cfg.on_fail, NC_ON_FAIL_WARN);
  assert_string_equal(cfg.region, "us-east-1");
  assert_int_equal(cfg.n_expectations, 0);
  assert_int_equal(cfg.n_problems, 0);
  assert_string_equal(cfg.egress_targets[0], "pypi.org");
}

static void test_bad_flag_values_are_usage_errors(void **state) {
  char *a1[] = {"netcheck", "--peer-port", "70000"};
  char *a2[] = {"netcheck", "--expect", "s3=maybe"};
  char *a3[] = {"netcheck", "--connect-timeout", "0"};
  char *a4[] = {"netcheck", "--bucket", "Bad_Bucket"};
  char *a5[] = {"netcheck", "stray"};
  (void)state;
  assert_int_equal(load(3, a1), NC_EXIT_USAGE);
  assert_non_null(strstr(err, "--peer-port"));
  assert_int_equal(load(3, a2), NC_EXIT_USAGE);
  assert_int_equal(load(3, a3), NC_EXIT_USAGE);
  assert_int_equal(load(3, a4), NC_EXIT_USAGE);
  assert_int_equal(load(2, a5), NC_EXIT_USAGE);
  assert_non_null(strstr(err, "after --"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_processing_job_gives_buckets_region_outputs),
      cmocka_unit_test(test_every_field_may_be_null),
      cmocka_unit_test(test_missing_fields_are_fine),
      cmocka_unit_test(test_wrong_type_is_a_problem_and_the_rest_is_used),
      cmocka_unit_test(test_job_environment_carries_settings),
      cmocka_unit_test(test_network_isolation_is_read),
      cmocka_unit_test(test_malformed_json_names_the_offset),
      cmocka_unit_test(test_huge_file_is_refused),
      cmocka_unit_test(test_resource_config_bad_hosts_are_problems),
      cmocka_unit_test(test_hosts_beyond_the_cap_are_reported),
      cmocka_unit_test(test_region_from_arn),
      cmocka_unit_test(test_s3_uri_split),
      cmocka_unit_test(test_host_names_are_sanitised),
      cmocka_unit_test(test_flags_override_file_override_discovery),
      cmocka_unit_test(test_environment_settings_are_read),
      cmocka_unit_test(test_internet_key_sets_the_egress_expectation),
      cmocka_unit_test(test_config_file_is_strict),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_bad_flag_values_are_usage_errors),
  };
  return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
