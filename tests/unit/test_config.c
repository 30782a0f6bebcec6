/* Unit tests for agent/config.c: SageMaker discovery, --config, flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "netcheck/common.h"
#include "netcheck/config.h"

static struct nc_config cfg;
static char err[1024];

static int load(int argc, char **argv) {
  memset(err, 0, sizeof err);
  memset(&cfg, 0, sizeof cfg); /* config_load wants it zeroed */
  return config_load(&cfg, argc, argv, err, sizeof err);
}

/* The locations that name a bucket (the others are listed as not applicable). */
static int n_buckets(void) {
  int n = 0;
  for (int i = 0; i < cfg.n_locations; i++)
    n += cfg.locations[i].bucket[0] != '\0';
  return n;
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
  assert_int_equal(cfg.region_source, NC_REGION_ARN);
  assert_int_equal(n_buckets(), 3);
  assert_string_equal(cfg.locations[0].bucket, "nc-fixture-input");
  assert_string_equal(cfg.locations[0].prefix, "data/2026/");
  assert_string_equal(cfg.locations[0].role, "input");
  assert_string_equal(cfg.locations[0].name, "input-1");
  assert_string_equal(cfg.locations[0].field, "ProcessingInputs[0].S3Input.S3Uri");
  assert_string_equal(cfg.locations[2].bucket, "nc-fixture-output");
  assert_string_equal(cfg.locations[2].role, "output");
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
  assert_int_equal(n_buckets(), 0);
  assert_int_equal(cfg.job.n_hosts, 0);
  assert_string_equal(cfg.job.current_host, "");
}

static void test_missing_fields_are_fine(void **state) {
  (void)state;
  assert_int_equal(parse_job("{}"), 0);
  assert_int_equal(parse_job("{\"ProcessingInputs\": [{}, {\"S3Input\": {}}]}"), 0);
  assert_int_equal(n_buckets(), 0);
  assert_int_equal(cfg.n_problems, 0);
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
  assert_int_equal(n_buckets(), 1);
  assert_string_equal(cfg.locations[1].bucket, "good-bucket");
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

/* Every S3 location of a job, with its role: inputs, dataset definitions'
 * query outputs, outputs; what has none is listed, never an error. */
static void test_every_s3_location_has_its_role(void **state) {
  (void)state;
  assert_int_equal(
      parse_job(
          "{\"ProcessingInputs\": ["
          "{\"InputName\": \"raw\", \"S3Input\": {\"S3Uri\": \"s3://in-bucket/raw/\"}},"
          "{\"InputName\": \"athena\", \"DatasetDefinition\": {\"AthenaDatasetDefinition\":"
          " {\"Catalog\": \"c\", \"OutputS3Uri\": \"s3://query-bucket/athena/\"}}},"
          "{\"InputName\": \"redshift\", \"DatasetDefinition\": {\"RedshiftDatasetDefinition\":"
          " {\"OutputS3Uri\": \"https://query-bucket.s3.eu-central-1.amazonaws.com/rs/\"}}},"
          "{\"InputName\": \"nothing\", \"S3Input\": null}],"
          " \"ProcessingOutputConfig\": {\"KmsKeyId\": \"alias/outputs\", \"Outputs\": ["
          "{\"OutputName\": \"features\", \"FeatureStoreOutput\": {\"FeatureGroupName\":"
          " \"fg\"}},"
          "{\"OutputName\": \"out\", \"S3Output\": {\"S3Uri\":"
          " \"https://s3.us-west-2.amazonaws.com/out-bucket-s3alias/results\","
          " \"LocalPath\": \"/opt/ml/processing/out\"}}]}}"),
      0);
  assert_int_equal(cfg.n_problems, 0);
  assert_int_equal(cfg.n_locations, 6);
  assert_string_equal(cfg.locations[0].role, NC_ROLE_INPUT);
  assert_string_equal(cfg.locations[1].role, NC_ROLE_DATASET);
  assert_string_equal(cfg.locations[1].bucket, "query-bucket");
  assert_string_equal(cfg.locations[1].field,
                      "ProcessingInputs[1].DatasetDefinition.AthenaDatasetDefinition.OutputS3Uri");
  assert_string_equal(cfg.locations[2].role, NC_ROLE_DATASET);
  assert_string_equal(cfg.locations[2].region, "eu-central-1");
  assert_string_equal(cfg.locations[2].prefix, "rs/");
  /* An input with no S3 location: listed, not a problem. */
  assert_string_equal(cfg.locations[3].bucket, "");
  assert_string_equal(cfg.locations[3].name, "nothing");
  assert_non_null(strstr(cfg.locations[3].note, "no S3Input"));
  assert_string_equal(cfg.locations[4].bucket, "");
  assert_string_equal(cfg.locations[4].field,
                      "ProcessingOutputConfig.Outputs[0].FeatureStoreOutput");
  assert_non_null(strstr(cfg.locations[4].note, "feature group fg"));
  /* An access point alias works like a bucket name. */
  assert_string_equal(cfg.locations[5].bucket, "out-bucket-s3alias");
  assert_string_equal(cfg.locations[5].prefix, "results");
  assert_string_equal(cfg.locations[5].region, "us-west-2");
  assert_string_equal(cfg.locations[5].role, NC_ROLE_OUTPUT);
  assert_string_equal(cfg.job.output_kms_key, "alias/outputs");
}

/* A URI netcheck cannot probe is a problem of its field; a KmsKeyId that
 * could inject a header is refused. */
static void test_unusable_s3_uris_and_keys_are_problems(void **state) {
  (void)state;
  assert_int_equal(
      parse_job("{\"ProcessingInputs\": [{\"S3Input\": {\"S3Uri\": \"https://example.com/b/x\"}},"
                " {\"S3Input\": {\"S3Uri\": \"https://user:secret@b.s3.amazonaws.com/x\"}}],"
                " \"ProcessingOutputConfig\": {\"KmsKeyId\": \"k\\r\\nX-Evil: 1\","
                " \"Outputs\": []}}"),
      0);
  assert_int_equal(cfg.n_problems, 3);
  assert_string_equal(cfg.problems[0].field, "ProcessingInputs[0].S3Input.S3Uri");
  assert_non_null(strstr(cfg.problems[0].text, "not an S3 location"));
  assert_null(strstr(cfg.problems[1].text, "secret"));
  assert_string_equal(cfg.problems[2].field, "ProcessingOutputConfig.KmsKeyId");
  assert_string_equal(cfg.job.output_kms_key, "");
  assert_int_equal(n_buckets(), 0);
}

static const char *const region_env[] = {"AWS_REGION", "AWS_DEFAULT_REGION",
                                         "AWS_USE_FIPS_ENDPOINT"};

static void clear_region_env(void) {
  for (size_t i = 0; i < NC_ARRAY_LEN(region_env); i++)
    unsetenv(region_env[i]);
}

/* Writes a processingjobconfig.json into dir (created) and loads it. */
static int load_job_dir(const char *dir, const char *json, int extra_argc, char **extra) {
  char path[256];
  char *argv[8] = {"netcheck", "--sm-config-dir", (char *)dir};
  int argc = 3;
  FILE *f;
  mkdir(dir, 0700);
  snprintf(path, sizeof path, "%s/processingjobconfig.json", dir);
  f = fopen(path, "w");
  assert_non_null(f);
  fputs(json, f);
  fclose(f);
  for (int i = 0; i < extra_argc && argc < 8; i++)
    argv[argc++] = extra[i];
  return load(argc, argv);
}

static void remove_job_dir(const char *dir) {
  char path[256];
  snprintf(path, sizeof path, "%s/processingjobconfig.json", dir);
  unlink(path);
  rmdir(dir);
}

/* The region: the job ARN, AWS_REGION, AWS_DEFAULT_REGION, an https S3 URI,
 * else a guess that says so; flags and --config win over all. A
 * ProcessingJobArn that is not an ARN (local mode) never falls back
 * silently. */
static void test_region_sources(void **state) {
  char dir[] = "/tmp/nc-test-region-XXXXXX";
  char *flag[] = {"--region", "ap-northeast-2"};
  (void)state;
  assert_non_null(mkdtemp(dir));
  clear_region_env();
  setenv("AWS_REGION", "eu-west-3", 1);
  assert_int_equal(load_job_dir(dir,
                                "{\"ProcessingJobArn\": "
                                "\"arn:aws-cn:sagemaker:cn-north-1:1:processing-job/j\"}",
                                0, NULL),
                   0);
  assert_string_equal(cfg.region, "cn-north-1");
  assert_int_equal(cfg.region_source, NC_REGION_ARN);
  assert_string_equal(cfg.region_note, "");
  /* local mode: the job name where the ARN should be */
  assert_int_equal(load_job_dir(dir, "{\"ProcessingJobArn\": \"local-job-1\"}", 0, NULL), 0);
  assert_string_equal(cfg.region, "eu-west-3");
  assert_int_equal(cfg.region_source, NC_REGION_AWS_REGION);
  assert_non_null(strstr(cfg.region_note, "is not an ARN"));
  unsetenv("AWS_REGION");
  setenv("AWS_DEFAULT_REGION", "ca-central-1", 1);
  assert_int_equal(load_job_dir(dir, "{\"ProcessingJobArn\": \"local-job-1\"}", 0, NULL), 0);
  assert_string_equal(cfg.region, "ca-central-1");
  assert_int_equal(cfg.region_source, NC_REGION_AWS_DEFAULT_REGION);
  unsetenv("AWS_DEFAULT_REGION");
  assert_int_equal(
      load_job_dir(dir,
                   "{\"ProcessingJobArn\": \"local-job-1\", \"ProcessingInputs\": [{\"S3Input\":"
                   " {\"S3Uri\": \"https://b-1.s3.us-gov-west-1.amazonaws.com/x\"}}]}",
                   0, NULL),
      0);
  assert_string_equal(cfg.region, "us-gov-west-1");
  assert_int_equal(cfg.region_source, NC_REGION_S3_URI);
  assert_int_equal(load_job_dir(dir, "{\"ProcessingJobArn\": \"local-job-1\"}", 0, NULL), 0);
  assert_string_equal(cfg.region, "us-east-1");
  assert_int_equal(cfg.region_source, NC_REGION_DEFAULT);
  assert_non_null(strstr(cfg.region_note, "is not an ARN"));
  /* the job's Environment counts when the process environment is silent */
  assert_int_equal(load_job_dir(dir,
                                "{\"ProcessingJobArn\": \"local-job-1\", \"Environment\":"
                                " {\"AWS_REGION\": \"sa-east-1\","
                                " \"AWS_USE_FIPS_ENDPOINT\": \"true\"}}",
                                0, NULL),
                   0);
  assert_string_equal(cfg.region, "sa-east-1");
  assert_true(cfg.fips);
  assert_int_equal(load_job_dir(dir, "{}", 2, flag), 0);
  assert_string_equal(cfg.region, "ap-northeast-2");
  assert_int_equal(cfg.region_source, NC_REGION_FLAG);
  assert_string_equal(config_region_source_name(NC_REGION_S3_URI), "s3_uri");
  clear_region_env();
  remove_job_dir(dir);
}

static void test_fips_sources(void **state) {
  char dir[] = "/tmp/nc-test-fips-XXXXXX";
  char *flag[] = {"--fips"};
  (void)state;
  assert_non_null(mkdtemp(dir));
  clear_region_env();
  assert_int_equal(load_job_dir(dir, "{}", 0, NULL), 0);
  assert_false(cfg.fips);
  setenv("AWS_USE_FIPS_ENDPOINT", "TRUE", 1);
  assert_int_equal(load_job_dir(dir, "{}", 0, NULL), 0);
  assert_true(cfg.fips);
  setenv("AWS_USE_FIPS_ENDPOINT", "false", 1);
  assert_int_equal(load_job_dir(dir, "{}", 1, flag), 0);
  assert_true(cfg.fips);
  clear_region_env();
  remove_job_dir(dir);
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
  assert_string_equal(cfg.locations[cfg.n_locations - 1].bucket, "extra-bucket");
  assert_string_equal(cfg.locations[cfg.n_locations - 1].prefix, "in/");
  assert_string_equal(cfg.locations[cfg.n_locations - 1].role, NC_ROLE_CONFIG);
  assert_int_equal(cfg.region_source, NC_REGION_CONFIG);
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
  char *a4[] = {"netcheck", "--bucket", "bad bucket;x"};
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
      cmocka_unit_test(test_every_s3_location_has_its_role),
      cmocka_unit_test(test_unusable_s3_uris_and_keys_are_problems),
      cmocka_unit_test(test_region_sources),
      cmocka_unit_test(test_fips_sources),
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
