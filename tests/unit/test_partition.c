/* Unit tests for agent/partition.c: every partition's names, the FIPS
 * endpoint names, and every S3 URI form a job may use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netcheck/partition.h"

static void host_is(const char *service, const char *region, bool fips, const char *want) {
  char out[128];
  assert_int_equal(partition_service_host(service, region, fips, out, sizeof out), 0);
  assert_string_equal(out, want);
}

static void test_partition_of_region(void **state) {
  (void)state;
  assert_string_equal(partition_of_region("us-east-1")->name, "aws");
  assert_string_equal(partition_of_region("eu-west-1")->dns_suffix, "amazonaws.com");
  assert_string_equal(partition_of_region("cn-north-1")->name, "aws-cn");
  assert_string_equal(partition_of_region("cn-northwest-1")->dns_suffix, "amazonaws.com.cn");
  assert_string_equal(partition_of_region("us-gov-west-1")->name, "aws-us-gov");
  assert_string_equal(partition_of_region("us-gov-east-1")->dns_suffix, "amazonaws.com");
  assert_string_equal(partition_of_region("us-iso-east-1")->name, "aws-iso");
  assert_string_equal(partition_of_region("us-isob-east-1")->dns_suffix, "sc2s.sgov.gov");
  assert_string_equal(partition_of_region("eusc-de-east-1")->dns_suffix, "amazonaws.eu");
  /* a region of no known partition is treated as aws, as the SDKs do */
  assert_string_equal(partition_of_region("xx-new-1")->name, "aws");
  /* the default region lives in one place */
  assert_string_equal(partition_region(NULL), NC_DEFAULT_REGION);
  assert_string_equal(partition_region(""), "us-east-1");
  assert_string_equal(partition_region("eu-west-1"), "eu-west-1");
  assert_int_equal(partition_of_region("us-east-1")->repos, NC_REPOS_ALL);
  assert_int_equal(partition_of_region("cn-north-1")->repos, NC_REPOS_HOSTS);
  assert_int_equal(partition_of_region("us-gov-west-1")->repos, NC_REPOS_HOSTS);
  assert_int_equal(partition_of_region("us-iso-east-1")->repos, NC_REPOS_NONE);
}

static void test_service_hosts_per_partition(void **state) {
  (void)state;
  host_is("s3", "us-east-1", false, "s3.us-east-1.amazonaws.com");
  host_is("sts", "eu-west-1", false, "sts.eu-west-1.amazonaws.com");
  host_is("api.ecr", "us-west-2", false, "api.ecr.us-west-2.amazonaws.com");
  host_is("s3", "cn-north-1", false, "s3.cn-north-1.amazonaws.com.cn");
  host_is("sts", "cn-north-1", false, "sts.cn-north-1.amazonaws.com.cn");
  host_is("logs", "cn-northwest-1", false, "logs.cn-northwest-1.amazonaws.com.cn");
  host_is("api.sagemaker", "cn-north-1", false, "api.sagemaker.cn-north-1.amazonaws.com.cn");
  host_is("s3", "us-gov-west-1", false, "s3.us-gov-west-1.amazonaws.com");
  host_is("monitoring", "us-gov-east-1", false, "monitoring.us-gov-east-1.amazonaws.com");
  host_is("s3", "us-iso-east-1", false, "s3.us-iso-east-1.c2s.ic.gov");
}

/* The FIPS names of the SDKs' endpoint rules, per service and partition. */
static void test_fips_hosts(void **state) {
  (void)state;
  host_is("s3", "us-east-1", true, "s3-fips.us-east-1.amazonaws.com");
  host_is("s3", "us-gov-west-1", true, "s3-fips.us-gov-west-1.amazonaws.com");
  host_is("sts", "us-east-2", true, "sts-fips.us-east-2.amazonaws.com");
  host_is("sts", "us-gov-west-1", true, "sts.us-gov-west-1.amazonaws.com");
  host_is("logs", "us-west-2", true, "logs-fips.us-west-2.amazonaws.com");
  host_is("logs", "us-gov-east-1", true, "logs.us-gov-east-1.amazonaws.com");
  host_is("monitoring", "us-gov-west-1", true, "monitoring-fips.us-gov-west-1.amazonaws.com");
  host_is("api.ecr", "us-east-1", true, "api.ecr-fips.us-east-1.amazonaws.com");
  host_is("api.sagemaker", "us-east-1", true, "api-fips.sagemaker.us-east-1.amazonaws.com");
  host_is("api.sagemaker", "us-gov-west-1", true, "api-fips.sagemaker.us-gov-west-1.amazonaws.com");
  host_is("api.sagemaker", "cn-north-1", true, "api.sagemaker-fips.cn-north-1.amazonaws.com.cn");
}

static void test_bucket_hosts_and_endpoint_services(void **state) {
  char out[128];
  (void)state;
  assert_int_equal(partition_s3_bucket_host("b-1", "cn-north-1", false, out, sizeof out), 0);
  assert_string_equal(out, "b-1.s3.cn-north-1.amazonaws.com.cn");
  assert_int_equal(partition_s3_bucket_host("b-1", "us-gov-east-1", true, out, sizeof out), 0);
  assert_string_equal(out, "b-1.s3-fips.us-gov-east-1.amazonaws.com");
  assert_int_equal(partition_endpoint_service("s3", "us-east-1", out, sizeof out), 0);
  assert_string_equal(out, "com.amazonaws.us-east-1.s3");
  assert_int_equal(partition_endpoint_service("s3", "cn-north-1", out, sizeof out), 0);
  assert_string_equal(out, "cn.com.amazonaws.cn-north-1.s3");
  assert_int_equal(partition_endpoint_service("sts", "us-gov-west-1", out, sizeof out), 0);
  assert_string_equal(out, "com.amazonaws.us-gov-west-1.sts");
  assert_int_equal(
      partition_expand("arn:{p}:s3:::repo.*.{s}/*", NULL, "cn-north-1", out, sizeof out), 0);
  assert_string_equal(out, "arn:aws-cn:s3:::repo.*.amazonaws.com.cn/*");
  assert_int_equal(partition_service_host("s3", "us-east-1", false, out, 10), -1);
}

/* One URI and what it must give: bucket, prefix, region ("" = none). */
struct uri_case {
  const char *uri, *bucket, *prefix, *region;
};

static void test_every_s3_uri_form(void **state) {
  static const struct uri_case cases[] = {
      /* s3:// */
      {"s3://my-bucket/a/b/", "my-bucket", "a/b/", ""},
      {"s3://my-bucket", "my-bucket", "", ""},
      {"s3://my-bucket/", "my-bucket", "", ""},
      {"s3://my.dotted.bucket/x", "my.dotted.bucket", "x", ""},
      {"s3://ap-1-abcdefghij1234567890abcdefghij-s3alias/k",
       "ap-1-abcdefghij1234567890abcdefghij-s3alias", "k", ""},
      /* virtual-hosted, regional */
      {"https://my-bucket.s3.eu-west-1.amazonaws.com/data/x", "my-bucket", "data/x", "eu-west-1"},
      {"https://my-bucket.s3.eu-west-1.amazonaws.com", "my-bucket", "", "eu-west-1"},
      {"HTTPS://My-Bucket.S3.EU-WEST-1.amazonaws.com/Key", "my-bucket", "Key", "eu-west-1"},
      {"https://my.dotted.bucket.s3.us-west-2.amazonaws.com/k", "my.dotted.bucket", "k",
       "us-west-2"},
      {"https://b-1.s3.dualstack.ap-south-1.amazonaws.com/p/", "b-1", "p/", "ap-south-1"},
      {"https://b-1.s3-fips.us-gov-west-1.amazonaws.com/p", "b-1", "p", "us-gov-west-1"},
      {"https://b-1.s3.cn-north-1.amazonaws.com.cn/p", "b-1", "p", "cn-north-1"},
      /* virtual-hosted, legacy */
      {"https://b-1.s3-eu-west-1.amazonaws.com/p", "b-1", "p", "eu-west-1"},
      {"https://b-1.s3.amazonaws.com/p", "b-1", "p", ""},
      /* path style */
      {"https://s3.eu-west-1.amazonaws.com/b-1/p/q", "b-1", "p/q", "eu-west-1"},
      {"https://s3.eu-west-1.amazonaws.com/b-1", "b-1", "", "eu-west-1"},
      {"https://s3-ap-southeast-2.amazonaws.com/b-1/p", "b-1", "p", "ap-southeast-2"},
      {"https://s3.amazonaws.com/b-1/p", "b-1", "p", ""},
      {"https://s3.cn-northwest-1.amazonaws.com.cn/b-1/p", "b-1", "p", "cn-northwest-1"},
      {"https://s3.dualstack.us-east-2.amazonaws.com/b-1/p", "b-1", "p", "us-east-2"},
      /* port 443, percent escapes, query and fragment */
      {"https://s3.us-east-1.amazonaws.com:443/b-1/a%20b%2Fc", "b-1", "a b/c", "us-east-1"},
      {"https://b-1.s3.us-east-1.amazonaws.com/p?versionId=1#f", "b-1", "p", "us-east-1"},
  };
  struct nc_s3_uri u;
  char why[160];
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc = partition_parse_s3_uri(cases[i].uri, &u, why, sizeof why);
    if (rc != 0)
      fail_msg("%s: %s", cases[i].uri, why);
    assert_string_equal(u.bucket, cases[i].bucket);
    assert_string_equal(u.prefix, cases[i].prefix);
    assert_string_equal(u.region, cases[i].region);
    assert_int_equal(u.https, cases[i].uri[0] != 's');
  }
}

static void test_uris_netcheck_refuses(void **state) {
  static const char *const bad[] = {
      "https://example.com/bucket/x",                  /* not S3 */
      "https://b-1.s3.cn-north-1.amazonaws.com/x",     /* a China region outside .com.cn */
      "https://b-1.s3.eu-west-1.amazonaws.com.cn/x",   /* and the other way round */
      "https://b-1.s3.eu-west-1.amazonaws.com:8443/x", /* another port */
      "https://b-1.s3-accesspoint.eu-west-1.amazonaws.com/x",
      "https://s3.eu-west-1.amazonaws.com/",          /* no bucket */
      "https://s3.eu-west-1.amazonaws.com/a%zz/x",    /* bad escape */
      "https://s3.eu-west-1.amazonaws.com/b-1/a%00b", /* NUL */
      "s3://a b/x",
      "s3://ab",
      "s3://bad;name/x",
      "s3://bad%2fname/x",
      "ftp://b-1/x",
      "",
  };
  struct nc_s3_uri u;
  char why[160];
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (partition_parse_s3_uri(bad[i], &u, why, sizeof why) == 0)
      fail_msg("accepted %s", bad[i]);
    assert_true(why[0] != '\0');
    assert_string_equal(u.bucket, "");
  }
  /* user information is refused without being repeated */
  assert_int_equal(
      partition_parse_s3_uri("https://AKIA:secret@b-1.s3.amazonaws.com/x", &u, why, sizeof why),
      -1);
  assert_null(strstr(why, "secret"));
}

static void test_s3_host_names(void **state) {
  char b[64], r[32];
  (void)state;
  assert_int_equal(partition_s3_host("b.s3.eu-west-1.amazonaws.com", b, sizeof b, r, sizeof r), 0);
  assert_string_equal(b, "b");
  assert_string_equal(r, "eu-west-1");
  assert_int_equal(partition_s3_host("s3-fips.us-east-2.amazonaws.com", b, sizeof b, r, sizeof r),
                   0);
  assert_string_equal(b, "");
  assert_string_equal(r, "us-east-2");
  assert_int_equal(partition_s3_host("example.com", b, sizeof b, r, sizeof r), -1);
  assert_true(partition_region_shaped("us-gov-west-1", 13));
  assert_false(partition_region_shaped("external-1", 10));
  assert_true(partition_bucket_name_ok("a.b-c"));
  assert_false(partition_bucket_name_ok("a/b"));
  /* legacy us-east-1 names: accepted, path style */
  assert_true(partition_bucket_name_ok("Legacy_Bucket"));
  assert_false(partition_bucket_virtual_hosted("Legacy_Bucket"));
  assert_false(partition_bucket_virtual_hosted("a.b"));
  assert_true(partition_bucket_virtual_hosted("my-bucket-s3alias"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_partition_of_region),
      cmocka_unit_test(test_service_hosts_per_partition),
      cmocka_unit_test(test_fips_hosts),
      cmocka_unit_test(test_bucket_hosts_and_endpoint_services),
      cmocka_unit_test(test_every_s3_uri_form),
      cmocka_unit_test(test_uris_netcheck_refuses),
      cmocka_unit_test(test_s3_host_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
