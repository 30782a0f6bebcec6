/* Unit tests for agent/config.c: SageMaker discovery, --config, flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static void test_wrong_type_names_the_field(void **state) {
  (void)state;
  assert_int_equal(parse_job("{\"ProcessingInputs\": [{\"S3Input\": {\"S3Uri\": 5}}]}"), -1);
  assert_non_null(strstr(err, "ProcessingInputs[0].S3Input.S3Uri: expected a string"));
  assert_int_equal(parse_job("{\"ProcessingInputs\": {}}"), -1);
  assert_non_null(strstr(err, "ProcessingInputs: expected an array"));
  assert_int_equal(
      parse_job("{\"ProcessingResources\": {\"ClusterConfig\": {\"InstanceCount\": \"2\"}}}"), -1);
  assert_non_null(strstr(err, "InstanceCount: expected a number"));
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

static void test_resource_config_hosts_must_be_strings(void **state) {
  const char *j = "{\"current_host\": \"algo-1\", \"hosts\": [\"algo-1\", 2]}";
  (void)state;
  memset(&cfg, 0, sizeof cfg);
  assert_int_equal(config_parse_resource(&cfg, j, strlen(j), err, sizeof err), -1);
  assert_non_null(strstr(err, "hosts[1]: expected a string"));
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
                   "--peer-wait",
                   "0"};
  (void)state;
  assert_int_equal(load(5, argv1), 0);
  assert_string_equal(cfg.region, "ap-south-1");
  assert_int_equal(cfg.expect[NC_FAM_EGRESS], NC_EXPECT_BLOCKED);
  assert_int_equal(cfg.timeout_ms, 8000);
  assert_true(cfg.skip[NC_FAM_CLOCK]);
  assert_string_equal(cfg.buckets[cfg.n_buckets - 1].name, "extra-bucket");
  assert_string_equal(cfg.buckets[cfg.n_buckets - 1].prefix, "in/");
  assert_int_equal(load(13, argv2), 0);
  assert_string_equal(cfg.region, "sa-east-1");
  assert_int_equal(cfg.expect[NC_FAM_EGRESS], NC_EXPECT_ANY);
  assert_int_equal(cfg.timeout_ms, 2500);
  assert_int_equal(cfg.peer_wait_ms, 0);
}

static void test_internet_key_sets_the_egress_expectation(void **state) {
  const char *j = "{\"internet\": \"blocked\"}";
  const char *bad = "{\"internet\": \"sometimes\"}";
  (void)state;
  memset(&cfg, 0, sizeof cfg);
  assert_int_equal(config_parse_file(&cfg, j, strlen(j), err, sizeof err), 0);
  assert_int_equal(cfg.expect[NC_FAM_EGRESS], NC_EXPECT_BLOCKED);
  assert_int_equal(config_parse_file(&cfg, bad, strlen(bad), err, sizeof err), -1);
  assert_non_null(strstr(err, "internet"));
}

static void test_defaults(void **state) {
  char *argv[] = {"netcheck", "--sm-config-dir", "tests/fixtures/sm-nulls"};
  (void)state;
  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  assert_int_equal(load(3, argv), 0);
  assert_int_equal(cfg.timeout_ms, 15000);
  assert_int_equal(cfg.peer_wait_ms, 120000);
  assert_int_equal(cfg.peer_port, 7191);
  assert_int_equal(cfg.on_fail, NC_ON_FAIL_WARN);
  assert_string_equal(cfg.region, "us-east-1");
  assert_int_equal(cfg.expect[NC_FAM_REPO], NC_EXPECT_BLOCKED);
  assert_int_equal(cfg.expect[NC_FAM_S3], NC_EXPECT_REACHABLE);
  assert_int_equal(cfg.expect[NC_FAM_EGRESS], NC_EXPECT_ANY);
  assert_string_equal(cfg.egress_targets[0], "pypi.org");
}

static void test_bad_flag_values_are_usage_errors(void **state) {
  char *a1[] = {"netcheck", "--peer-port", "70000"};
  char *a2[] = {"netcheck", "--expect", "s3=maybe"};
  char *a3[] = {"netcheck", "--skip", "nosuch"};
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
      cmocka_unit_test(test_wrong_type_names_the_field),
      cmocka_unit_test(test_malformed_json_names_the_offset),
      cmocka_unit_test(test_huge_file_is_refused),
      cmocka_unit_test(test_resource_config_hosts_must_be_strings),
      cmocka_unit_test(test_region_from_arn),
      cmocka_unit_test(test_s3_uri_split),
      cmocka_unit_test(test_host_names_are_sanitised),
      cmocka_unit_test(test_flags_override_file_override_discovery),
      cmocka_unit_test(test_internet_key_sets_the_egress_expectation),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_bad_flag_values_are_usage_errors),
  };
  return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
