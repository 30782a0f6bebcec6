/*
 * test_s3.c - the pure parts of the s3 and clock probes: S3's XML error
 * bodies (tests/fixtures/s3/, recorded in S3's own format), the diagnosis of
 * every answer the s3 probe can get, and the HTTP Date parser of the clock
 * probe. Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netcheck/clock.h"
#include "netcheck/s3.h"

#define FIXTURES "tests/fixtures/s3/"

/* Reads a fixture into an exact-size heap buffer (no terminator), so a read
 * past len shows up under ASan. */
static char *load(const char *name, size_t *len) {
  char path[256];
  snprintf(path, sizeof(path), FIXTURES "%s", name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char tmp[8192];
  size_t n = fread(tmp, 1, sizeof(tmp), f);
  fclose(f);
  assert_true(n > 0 && n < sizeof(tmp));
  char *buf = malloc(n);
  assert_non_null(buf);
  memcpy(buf, tmp, n);
  *len = n;
  return buf;
}

static void parse_fixture(const char *name, struct s3_error *e) {
  size_t len;
  char *buf = load(name, &len);
  assert_int_equal(s3_parse_error_xml(buf, len, e), 0);
  free(buf);
}

struct classified {
  enum nc_code code;
  char msg[512];
  char rem[1536];
};

/* What the s3 probe sees after a ListObjectsV2 answered with the fixture. */
static void classify_fixture(const char *name, long status, bool is_signed, const char *hdr_region,
                             struct classified *out) {
  struct s3_error e;
  parse_fixture(name, &e);
  char breg[64] = "";
  if (hdr_region)
    snprintf(breg, sizeof(breg), "%s", hdr_region);
  else if (e.region[0])
    snprintf(breg, sizeof(breg), "%s", e.region);
  else if (e.endpoint[0])
    assert_int_equal(s3_region_from_endpoint(e.endpoint, breg, sizeof(breg)), 0);
  struct s3_response_view v = {
      .bucket = "nc-input-bucket",
      .region = "us-east-1",
      .operation = "ListObjectsV2",
      .is_signed = is_signed,
      .transport = -1,
      .outcome = "http_x",
      .host = "nc-input-bucket.s3.us-east-1.amazonaws.com",
      .address = "198.19.0.10",
      .address_class = "outside",
      .status = status,
      .s3_code = e.code,
      .s3_message = e.message,
      .bucket_region = breg,
  };
  out->code = s3_classify(&v, out->msg, sizeof(out->msg), out->rem, sizeof(out->rem));
}

/* What the s3-write probe sees when its PutObject got the fixture. */
static void classify_write(const char *name, long status, const char *kms_key,
                           struct classified *out) {
  struct s3_error e;
  parse_fixture(name, &e);
  struct s3_response_view v = {
      .bucket = "nc-output-bucket",
      .region = "us-east-1",
      .partition = "aws",
      .operation = "PutObject",
      .is_signed = true,
      .write = true,
      .prefix = "results/",
      .kms_key = kms_key,
      .sse_kms = kms_key && *kms_key,
      .transport = -1,
      .outcome = "http_x",
      .host = "nc-output-bucket.s3.us-east-1.amazonaws.com",
      .address = "198.19.0.10",
      .address_class = "outside",
      .status = status,
      .s3_code = e.code,
      .s3_message = e.message,
      .bucket_region = "",
  };
  out->code = s3_classify(&v, out->msg, sizeof(out->msg), out->rem, sizeof(out->rem));
}

static struct s3_response_view transport_view(int code, const char *outcome, const char *cls) {
  struct s3_response_view v = {
      .bucket = "nc-input-bucket",
      .region = "us-east-1",
      .operation = "HeadBucket",
      .is_signed = true,
      .transport = code,
      .outcome = outcome,
      .transport_error = "curl said so",
      .host = "nc-input-bucket.s3.us-east-1.amazonaws.com",
      .address = "198.19.0.10",
      .address_class = cls,
  };
  return v;
}

static struct s3_response_view status_view(long status, const char *bucket_region) {
  struct s3_response_view v = {
      .bucket = "nc-input-bucket",
      .region = "us-east-1",
      .operation = "HeadBucket",
      .is_signed = true,
      .transport = -1,
      .outcome = "http",
      .host = "nc-input-bucket.s3.us-east-1.amazonaws.com",
      .status = status,
      .bucket_region = bucket_region,
  };
  return v;
}

/* ---- parser: fixtures ---- */

static void test_parse_access_denied_plain(void **state) {
  (void)state;
  struct s3_error e;
  parse_fixture("access_denied_plain.xml", &e);
  assert_string_equal(e.code, "AccessDenied");
  assert_string_equal(e.message, "Access Denied");
  assert_string_equal(e.request_id, "7XQ3K9B1M2N4P6R8");
  assert_true(strncmp(e.host_id, "hQ3mX7vK2pL9", 12) == 0);
}

static void test_parse_decodes_quot_in_vpce_message(void **state) {
  (void)state;
  struct s3_error e;
  parse_fixture("access_denied_vpce_implicit.xml", &e);
  assert_non_null(strstr(e.message, "on resource: \"arn:aws:s3:::nc-input-bucket\" because no VPC "
                                    "endpoint policy allows the s3:ListBucket action"));
}

static void test_parse_permanent_redirect_endpoint_and_bucket(void **state) {
  (void)state;
  struct s3_error e;
  parse_fixture("permanent_redirect.xml", &e);
  assert_string_equal(e.code, "PermanentRedirect");
  assert_string_equal(e.endpoint, "nc-input-bucket.s3.eu-west-1.amazonaws.com");
  assert_string_equal(e.bucket, "nc-input-bucket");
}

static void test_parse_no_such_bucket_bucket_name(void **state) {
  (void)state;
  struct s3_error e;
  parse_fixture("no_such_bucket.xml", &e);
  assert_string_equal(e.code, "NoSuchBucket");
  assert_string_equal(e.bucket, "nc-missing-bucket");
}

static void test_parse_region_and_apos(void **state) {
  (void)state;
  struct s3_error e;
  parse_fixture("authorization_header_malformed.xml", &e);
  assert_string_equal(e.region, "eu-west-1");
  assert_non_null(strstr(e.message, "the region 'us-east-1' is wrong"));
}

static void test_parse_signature_mismatch_ignores_extra_fields(void **state) {
  (void)state;
  struct s3_error e;
  parse_fixture("signature_does_not_match.xml", &e);
  assert_string_equal(e.code, "SignatureDoesNotMatch");
  assert_string_equal(e.request_id, "7F9B1D3E5A7C9E1F");
}

static void test_parse_every_error_fixture(void **state) {
  (void)state;
  static const char *const names[] = {"access_denied_plain.xml",
                                      "access_denied_vpce_implicit.xml",
                                      "access_denied_vpce_explicit.xml",
                                      "access_denied_identity.xml",
                                      "no_such_bucket.xml",
                                      "permanent_redirect.xml",
                                      "authorization_header_malformed.xml",
                                      "signature_does_not_match.xml",
                                      "request_time_too_skewed.xml",
                                      "invalid_access_key_id.xml",
                                      "expired_token.xml",
                                      "invalid_token.xml",
                                      "slow_down.xml"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    struct s3_error e;
    parse_fixture(names[i], &e);
    assert_true(e.code[0] != '\0');
    assert_true(e.request_id[0] != '\0');
  }
}

/* ---- parser: hostile and odd input ---- */

static int parse_str(const char *s, struct s3_error *e) {
  return s3_parse_error_xml(s, strlen(s), e);
}

static void test_parse_tolerates_whitespace_and_pretty_printing(void **state) {
  (void)state;
  struct s3_error e;
  assert_int_equal(parse_str("\n  <?xml version=\"1.0\"?>\r\n<!-- c -->\n<Error>\n  <Code>\n"
                             "    NoSuchBucket\n  </Code>\n\t<Message>  a\tb  </Message >\n"
                             "</Error>\n",
                             &e),
                   0);
  assert_string_equal(e.code, "NoSuchBucket");
  assert_string_equal(e.message, "a b");
}

static void test_parse_decodes_all_entities(void **state) {
  (void)state;
  struct s3_error e;
  assert_int_equal(parse_str("<Error><Code>X</Code><Message>&quot;&amp;&lt;&gt;&apos;&#65;&#x42;"
                             "&#x27;&bogus;&#;&#xZZ;</Message></Error>",
                             &e),
                   0);
  assert_string_equal(e.message, "\"&<>'AB'&bogus;&#;&#xZZ;");
}

static void test_parse_rejects_other_roots(void **state) {
  (void)state;
  struct s3_error e;
  assert_int_equal(parse_str("<ListBucketResult><Code>X</Code></ListBucketResult>", &e), -1);
  assert_int_equal(parse_str("<html><body>Access Denied</body></html>", &e), -1);
  assert_int_equal(parse_str("Access Denied", &e), -1);
  assert_int_equal(parse_str("", &e), -1);
  assert_int_equal(s3_parse_error_xml(NULL, 0, &e), -1);
  assert_string_equal(e.code, "");
}

static void test_parse_needs_a_code(void **state) {
  (void)state;
  struct s3_error e;
  assert_int_equal(parse_str("<Error><Message>m</Message></Error>", &e), -1);
  assert_string_equal(e.message, "m");
  assert_int_equal(parse_str("<Error/>", &e), -1);
}

static void test_parse_only_direct_children_count(void **state) {
  (void)state;
  struct s3_error e;
  assert_int_equal(
      parse_str("<Error><Detail><Code>Inner</Code></Detail><Code>Outer</Code></Error>", &e), 0);
  assert_string_equal(e.code, "Outer");
}

static void test_parse_first_occurrence_wins(void **state) {
  (void)state;
  struct s3_error e;
  assert_int_equal(parse_str("<Error><Code>A</Code><Code>B</Code></Error>", &e), 0);
  assert_string_equal(e.code, "A");
}

static void test_parse_ignores_fields_after_root_closes(void **state) {
  (void)state;
  struct s3_error e;
  assert_int_equal(parse_str("<Error><Code>A</Code></Error><Message>late</Message>", &e), 0);
  assert_string_equal(e.message, "");
}

static void test_parse_truncated_body_keeps_what_arrived(void **state) {
  (void)state;
  const char *full = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
                     "<RequestId>ABC</RequestId></Error>";
  struct s3_error e;
  for (size_t n = 0; n <= strlen(full); n++) {
    char *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    memcpy(buf, full, n);
    int rc = s3_parse_error_xml(buf, n, &e);
    if (n >= strlen("<Error><Code>AccessDenied<")) {
      assert_int_equal(rc, 0);
      assert_string_equal(e.code, "AccessDenied");
    }
    free(buf);
  }
}

static void test_parse_caps_long_fields(void **state) {
  (void)state;
  char buf[4096];
  int n = snprintf(buf, sizeof(buf), "<Error><Code>");
  for (int i = 0; i < 200; i++)
    buf[n++] = 'C';
  n += snprintf(buf + n, sizeof(buf) - (size_t)n, "</Code></Error>");
  struct s3_error e;
  assert_int_equal(s3_parse_error_xml(buf, (size_t)n, &e), 0);
  assert_int_equal(strlen(e.code), sizeof(e.code) - 1);
}

static void test_parse_cuts_utf8_on_a_character_boundary(void **state) {
  (void)state;
  char buf[4096];
  int n = snprintf(buf, sizeof(buf), "<Error><Code>");
  for (int i = 0; i < 40; i++)
    n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\xc3\xa9"); /* e-acute */
  n += snprintf(buf + n, sizeof(buf) - (size_t)n, "</Code></Error>");
  struct s3_error e;
  assert_int_equal(s3_parse_error_xml(buf, (size_t)n, &e), 0);
  assert_int_equal(strlen(e.code) % 2, 0);
  assert_true(strlen(e.code) >= sizeof(e.code) - 2);
}

static void test_parse_replaces_controls_and_invalid_utf8(void **state) {
  (void)state;
  struct s3_error e;
  assert_int_equal(parse_str("<Error><Code>X</Code><Message>a\x01"
                             "b\xff"
                             "c\xc3"
                             "d&#1;e&#xD800;f\xe2\x82\xac</Message></Error>",
                             &e),
                   0);
  assert_string_equal(e.message, "a b?c?d e?f\xe2\x82\xac");
}

static void test_parse_skips_cdata_and_quoted_gt(void **state) {
  (void)state;
  struct s3_error e;
  assert_int_equal(
      parse_str("<Error a=\"x>y\"><![CDATA[<Code>no</Code>]]><Code>yes</Code></Error>", &e), 0);
  assert_string_equal(e.code, "yes");
}

static void test_parse_survives_garbage(void **state) {
  (void)state;
  /* deterministic pseudo-random bytes around XML-ish tokens */
  static const char *const tok[] = {
      "<",  ">",  "</",        "/>",  "<Error>", "</Error>", "<Code>", "</Code>",
      "&",  "&#", "&#x",       ";",   "\"",      "'",        "<!--",   "-->",
      "<?", "?>", "<![CDATA[", "]]>", "\xc3",    "\xf0\x9f", "x"};
  uint32_t seed = 12345;
  for (int round = 0; round < 2000; round++) {
    char tmp[512];
    size_t n = 0;
    while (n < sizeof(tmp) - 16) {
      seed = seed * 1103515245u + 12345u;
      const char *t = tok[(seed >> 16) % (sizeof(tok) / sizeof(tok[0]))];
      size_t tl = strlen(t);
      memcpy(tmp + n, t, tl);
      n += tl;
      if (((seed >> 8) & 7) == 0)
        break;
    }
    char *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    memcpy(buf, tmp, n);
    struct s3_error e;
    (void)s3_parse_error_xml(buf, n, &e);
    assert_true(strlen(e.code) < sizeof(e.code));
    long kc;
    (void)s3_parse_key_count(buf, n, &kc);
    free(buf);
  }
}

static void test_parse_key_count(void **state) {
  (void)state;
  size_t len;
  long kc = -1;
  char *buf = load("list_objects_v2.xml", &len);
  assert_int_equal(s3_parse_key_count(buf, len, &kc), 0);
  assert_int_equal(kc, 1);
  free(buf);
  buf = load("list_objects_v2_empty.xml", &len);
  assert_int_equal(s3_parse_key_count(buf, len, &kc), 0);
  assert_int_equal(kc, 0);
  free(buf);
  const char *bad = "<ListBucketResult><KeyCount>-1</KeyCount></ListBucketResult>";
  assert_int_equal(s3_parse_key_count(bad, strlen(bad), &kc), -1);
  const char *err = "<Error><KeyCount>3</KeyCount></Error>";
  assert_int_equal(s3_parse_key_count(err, strlen(err), &kc), -1);
}

static void test_region_from_endpoint(void **state) {
  (void)state;
  char r[32];
  assert_int_equal(s3_region_from_endpoint("b.s3.eu-west-1.amazonaws.com", r, sizeof(r)), 0);
  assert_string_equal(r, "eu-west-1");
  assert_int_equal(s3_region_from_endpoint("s3-ap-southeast-2.amazonaws.com", r, sizeof(r)), 0);
  assert_string_equal(r, "ap-southeast-2");
  assert_int_equal(
      s3_region_from_endpoint("b.s3.dualstack.us-gov-west-1.amazonaws.com", r, sizeof(r)), 0);
  assert_string_equal(r, "us-gov-west-1");
  assert_int_equal(s3_region_from_endpoint("s3-fips.us-east-2.amazonaws.com", r, sizeof(r)), 0);
  assert_string_equal(r, "us-east-2");
  assert_int_equal(s3_region_from_endpoint("b.s3.amazonaws.com", r, sizeof(r)), -1);
  assert_int_equal(s3_region_from_endpoint("s3-external-1.amazonaws.com", r, sizeof(r)), -1);
  assert_int_equal(s3_region_from_endpoint("example.com", r, sizeof(r)), -1);
}

/* ---- classification: one test per diagnosis ---- */

static void test_classify_ok_on_list_200(void **state) {
  (void)state;
  struct s3_response_view v = status_view(200, "us-east-1");
  v.operation = "ListObjectsV2";
  char msg[512];
  assert_int_equal(s3_classify(&v, msg, sizeof(msg), NULL, 0), NC_OK);
  assert_non_null(strstr(msg, "signed"));
}

static void test_classify_vpce_implicit_is_endpoint_policy(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("access_denied_vpce_implicit.xml", 403, true, NULL, &c);
  assert_int_equal(c.code, NC_S3_DENIED_ENDPOINT_POLICY);
  assert_non_null(strstr(
      c.rem, "the S3 endpoint's policy must allow s3:ListBucket on arn:aws:s3:::nc-input-bucket"));
}

static void test_classify_vpce_explicit_is_endpoint_policy(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("access_denied_vpce_explicit.xml", 403, true, NULL, &c);
  assert_int_equal(c.code, NC_S3_DENIED_ENDPOINT_POLICY);
  assert_non_null(strstr(c.msg, "explicit deny in a VPC endpoint policy"));
  assert_non_null(strstr(c.rem, "Deny statement in the S3 VPC endpoint's policy"));
}

static void test_classify_plain_denied_signed(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("access_denied_plain.xml", 403, true, NULL, &c);
  assert_int_equal(c.code, NC_S3_DENIED);
  assert_non_null(strstr(c.msg, "candidates"));
  assert_non_null(strstr(c.rem, "arn:aws:s3:::nc-input-bucket"));
}

static void test_classify_plain_denied_anonymous_says_what_is_unknown(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("access_denied_plain.xml", 403, false, NULL, &c);
  assert_int_equal(c.code, NC_S3_DENIED);
  assert_non_null(strstr(c.msg, "anonymous"));
  assert_non_null(strstr(c.msg, "network path to S3 works"));
  assert_non_null(strstr(c.msg, "not known"));
  assert_non_null(strstr(c.rem, "no credentials were found"));
}

static void test_classify_identity_policy_denial_names_the_role(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("access_denied_identity.xml", 403, true, NULL, &c);
  assert_int_equal(c.code, NC_S3_DENIED);
  assert_non_null(strstr(c.msg, "execution role's IAM"));
}

static void test_classify_no_such_bucket(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("no_such_bucket.xml", 404, true, NULL, &c);
  assert_int_equal(c.code, NC_S3_NO_SUCH_BUCKET);
  assert_non_null(strstr(c.msg, "nc-input-bucket"));
}

static void test_classify_permanent_redirect_names_region_from_endpoint(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("permanent_redirect.xml", 301, true, NULL, &c);
  assert_int_equal(c.code, NC_S3_WRONG_REGION);
  assert_non_null(strstr(c.msg, "is in eu-west-1, not in us-east-1"));
  assert_non_null(strstr(c.rem, "own Region"));
}

static void test_classify_wrong_region_from_header_on_head_301(void **state) {
  (void)state;
  struct s3_response_view v = status_view(301, "ap-northeast-1");
  char msg[512];
  char rem[1536];
  assert_int_equal(s3_classify(&v, msg, sizeof(msg), rem, sizeof(rem)), NC_S3_WRONG_REGION);
  assert_non_null(strstr(msg, "ap-northeast-1"));
  assert_non_null(strstr(rem, "ap-northeast-1"));
}

static void test_classify_authorization_header_malformed_region(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("authorization_header_malformed.xml", 400, true, NULL, &c);
  assert_int_equal(c.code, NC_S3_WRONG_REGION);
  assert_non_null(strstr(c.msg, "eu-west-1"));
}

static void test_classify_signature_mismatch(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("signature_does_not_match.xml", 403, true, NULL, &c);
  assert_int_equal(c.code, NC_S3_SIGNATURE_MISMATCH);
  assert_non_null(strstr(c.rem, "proxy"));
}

static void test_classify_request_time_too_skewed_is_clock_skew(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("request_time_too_skewed.xml", 403, true, NULL, &c);
  assert_int_equal(c.code, NC_CLOCK_SKEW);
  assert_non_null(strstr(c.rem, "169.254.169.123"));
}

static void test_classify_invalid_access_key_is_creds_unavailable(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("invalid_access_key_id.xml", 403, true, NULL, &c);
  assert_int_equal(c.code, NC_CREDS_UNAVAILABLE);
  assert_non_null(strstr(c.rem, "unknown to AWS"));
}

static void test_classify_expired_token_is_creds_unavailable(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("expired_token.xml", 400, true, NULL, &c);
  assert_int_equal(c.code, NC_CREDS_UNAVAILABLE);
  assert_non_null(strstr(c.rem, "expired or invalid"));
}

static void test_classify_invalid_token_is_creds_unavailable(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("invalid_token.xml", 400, true, NULL, &c);
  assert_int_equal(c.code, NC_CREDS_UNAVAILABLE);
}

static void test_classify_s3_5xx_is_ok_path_works(void **state) {
  (void)state;
  struct classified c;
  classify_fixture("slow_down.xml", 503, true, NULL, &c);
  assert_int_equal(c.code, NC_OK);
  assert_non_null(strstr(c.msg, "network path works"));
}

static void test_classify_proxy_502_is_no_route(void **state) {
  (void)state;
  struct s3_response_view v = status_view(502, NULL);
  assert_int_equal(s3_classify(&v, NULL, 0, NULL, 0), NC_S3_NO_ROUTE);
}

static void test_classify_head_403_without_body_is_denied(void **state) {
  (void)state;
  struct s3_response_view v = status_view(403, "us-east-1");
  assert_int_equal(s3_classify(&v, NULL, 0, NULL, 0), NC_S3_DENIED);
}

static void test_classify_head_404_without_body_is_no_such_bucket(void **state) {
  (void)state;
  struct s3_response_view v = status_view(404, NULL);
  assert_int_equal(s3_classify(&v, NULL, 0, NULL, 0), NC_S3_NO_SUCH_BUCKET);
}

static void test_classify_ignores_implausible_region_header(void **state) {
  (void)state;
  struct s3_response_view v = status_view(301, "<script>");
  char msg[512];
  assert_int_equal(s3_classify(&v, msg, sizeof(msg), NULL, 0), NC_S3_WRONG_REGION);
  assert_null(strstr(msg, "<script>"));
}

static void test_classify_connect_timeout_is_no_route_gateway_advice(void **state) {
  (void)state;
  struct s3_response_view v = transport_view(NC_S3_NO_ROUTE, "connect_timeout", "outside");
  char msg[512];
  char rem[1536];
  assert_int_equal(s3_classify(&v, msg, sizeof(msg), rem, sizeof(rem)), NC_S3_NO_ROUTE);
  assert_non_null(strstr(msg, "connect_timeout"));
  assert_non_null(strstr(rem, "no route to S3 from this subnet: add an S3 gateway endpoint"));
  assert_non_null(strstr(rem, "security group's outbound rules"));
}

static void test_classify_no_route_to_interface_endpoint_names_its_security_group(void **state) {
  (void)state;
  struct s3_response_view v = transport_view(NC_S3_NO_ROUTE, "connect_timeout", "inside_vpc");
  char rem[1536];
  assert_int_equal(s3_classify(&v, NULL, 0, rem, sizeof(rem)), NC_S3_NO_ROUTE);
  assert_non_null(strstr(rem, "interface endpoint"));
}

static void test_classify_tls_untrusted(void **state) {
  (void)state;
  struct s3_response_view v = transport_view(NC_TLS_UNTRUSTED, "tls_untrusted", "outside");
  char rem[1536];
  assert_int_equal(s3_classify(&v, NULL, 0, rem, sizeof(rem)), NC_TLS_UNTRUSTED);
  assert_non_null(strstr(rem, "--ca-bundle"));
}

static void test_classify_tls_handshake(void **state) {
  (void)state;
  struct s3_response_view v = transport_view(NC_TLS_HANDSHAKE, "tls_handshake", "outside");
  assert_int_equal(s3_classify(&v, NULL, 0, NULL, 0), NC_TLS_HANDSHAKE);
}

static void test_classify_dns_nxdomain_passes_through(void **state) {
  (void)state;
  struct s3_response_view v = transport_view(NC_DNS_NXDOMAIN, "dns_nxdomain", NULL);
  char rem[1536];
  assert_int_equal(s3_classify(&v, NULL, 0, rem, sizeof(rem)), NC_DNS_NXDOMAIN);
  assert_non_null(strstr(rem, "enableDnsSupport"));
}

static void test_classify_timeout_budget(void **state) {
  (void)state;
  struct s3_response_view v = transport_view(NC_TIMEOUT_BUDGET, "timeout", NULL);
  assert_int_equal(s3_classify(&v, NULL, 0, NULL, 0), NC_TIMEOUT_BUDGET);
}

static void test_classify_tiny_buffers_stay_terminated(void **state) {
  (void)state;
  struct s3_error e;
  parse_fixture("access_denied_vpce_implicit.xml", &e);
  struct s3_response_view v = status_view(403, NULL);
  v.s3_code = e.code;
  v.s3_message = e.message;
  char msg[8];
  char rem[8];
  assert_int_equal(s3_classify(&v, msg, sizeof(msg), rem, sizeof(rem)),
                   NC_S3_DENIED_ENDPOINT_POLICY);
  assert_int_equal(strlen(msg), 7);
  assert_int_equal(strlen(rem), 7);
}

static void test_classify_truncates_on_a_character_boundary(void **state) {
  (void)state;
  char text[600];
  for (int i = 0; i < 290; i++)
    memcpy(text + 2 * i, "\xc3\xa9", 2); /* e-acute, two bytes */
  text[580] = '\0';
  struct s3_response_view v = status_view(400, NULL);
  v.s3_code = "InvalidRequest";
  v.s3_message = text;
  for (size_t len = 100; len < 140; len++) {
    char msg[140];
    (void)s3_classify(&v, msg, len, NULL, 0);
    size_t n = strlen(msg);
    assert_true(n > 0 && n < len);
    /* the tail is a whole e-acute, never its lead byte alone */
    assert_int_not_equal((unsigned char)msg[n - 1], 0xc3);
  }
}

/* ---- clock: HTTP dates ---- */

static void test_clock_parses_imf_fixdate(void **state) {
  (void)state;
  time_t t;
  assert_int_equal(clock_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
  assert_int_equal((long long)t, 784111777LL);
  assert_int_equal(clock_parse_http_date("  Wed, 01 May 2024 12:00:00 GMT\r\n", &t), 0);
  assert_int_equal((long long)t, 1714564800LL);
}

static void test_clock_parses_rfc850_and_asctime(void **state) {
  (void)state;
  time_t t;
  assert_int_equal(clock_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
  assert_int_equal((long long)t, 784111777LL);
  assert_int_equal(clock_parse_http_date("Sun Nov  6 08:49:37 1994", &t), 0);
  assert_int_equal((long long)t, 784111777LL);
  assert_int_equal(clock_parse_http_date("Thu Feb 29 00:00:00 2024", &t), 0);
}

static void test_clock_leap_days(void **state) {
  (void)state;
  time_t t;
  assert_int_equal(clock_parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT", &t), 0);
  assert_int_equal(clock_parse_http_date("Wed, 29 Feb 2023 00:00:00 GMT", &t), -1);
  assert_int_equal(clock_parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT", &t), 0);
  assert_int_equal(clock_parse_http_date("Thu, 29 Feb 1900 00:00:00 GMT", &t), -1);
}

static void test_clock_accepts_leap_second_inside_range(void **state) {
  (void)state;
  time_t t;
  assert_int_equal(clock_parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT", &t), 0);
  assert_int_equal((long long)t, 1483228800LL);
  assert_int_equal(clock_parse_http_date("Fri, 31 Dec 9999 23:59:60 GMT", &t), -1);
}

static void test_clock_rejects_malformed_dates(void **state) {
  (void)state;
  static const char *const bad[] = {
      "",
      "Sun, 06 Nov 1994 08:49:37",
      "Sun, 06 Nov 1994 08:49:37 gmt",
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "sun, 06 Nov 1994 08:49:37 GMT",
      "Sun, 6 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nob 1994 08:49:37 GMT",
      "Sun, 31 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 08:60:00 GMT",
      "Sun, 06 Nov 1994 08:49:61 GMT",
      "Sun, 00 Nov 1994 08:49:37 GMT",
      "Sun, 06 Nov 94 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMT junk",
      "Sun,06 Nov 1994 08:49:37 GMT",
      "2024-05-01T12:00:00Z",
      "Sun Nov 6 08:49:37 1994",
  };
  time_t t;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(clock_parse_http_date(bad[i], &t), -1);
  assert_int_equal(clock_parse_http_date(NULL, &t), -1);
}

/* ---- the write check (s3-write): refusals of a PutObject ---- */

#define KEY_ARN "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

static void test_write_denied_by_the_endpoint_policy(void **state) {
  struct classified c;
  (void)state;
  classify_write("put_denied_vpce.xml", 403, "", &c);
  assert_int_equal(c.code, NC_S3_WRITE_DENIED_ENDPOINT_POLICY);
  assert_non_null(strstr(c.msg, "no VPC endpoint policy allows s3:PutObject"));
  assert_non_null(strstr(c.rem, "s3:PutObject on arn:aws:s3:::nc-output-bucket/results/*"));
}

static void test_write_denied_by_a_bucket_policy_names_encryption(void **state) {
  struct classified c;
  (void)state;
  classify_write("put_denied_bucket_policy.xml", 403, "", &c);
  assert_int_equal(c.code, NC_S3_WRITE_DENIED);
  assert_non_null(strstr(c.msg, "the bucket policy does not allow s3:PutObject"));
  assert_non_null(strstr(c.rem, "ProcessingOutputConfig.KmsKeyId"));
  /* a plain Access Denied (another account) is a write denial too */
  classify_write("access_denied_plain.xml", 403, "", &c);
  assert_int_equal(c.code, NC_S3_WRITE_DENIED);
  assert_non_null(strstr(c.rem, "s3:x-amz-server-side-encryption"));
}

static void test_write_kms_refusals(void **state) {
  struct classified c;
  (void)state;
  classify_write("put_denied_kms.xml", 403, KEY_ARN, &c);
  assert_int_equal(c.code, NC_S3_WRITE_KMS_DENIED);
  assert_non_null(strstr(c.msg, "with SSE-KMS key " KEY_ARN));
  assert_non_null(strstr(c.rem, "kms:GenerateDataKey on the KMS key " KEY_ARN));
  assert_non_null(strstr(c.rem, "kms:Decrypt"));
  classify_write("put_kms_not_found.xml", 400, "alias/outputs", &c);
  assert_int_equal(c.code, NC_S3_WRITE_KMS_DENIED);
  assert_non_null(strstr(c.rem, "no usable key alias/outputs"));
  classify_write("put_kms_disabled.xml", 400, KEY_ARN, &c);
  assert_int_equal(c.code, NC_S3_WRITE_KMS_DENIED);
  assert_non_null(strstr(c.rem, "disabled or pending deletion"));
  assert_true(s3_error_is_kms("KMS.KMSInvalidStateException", "pending deletion"));
  assert_true(s3_error_is_kms("InvalidArgument", "Invalid KMS key id"));
  assert_false(s3_error_is_kms("AccessDenied", "Access Denied"));
  assert_false(s3_error_is_kms("InvalidRequest", "Object Lock"));
}

/* A read that S3 denies for KMS reasons keeps the read codes; a write's
 * other answers are diagnosed as a read's (here NoSuchBucket, the clock). */
static void test_write_other_answers_keep_their_codes(void **state) {
  struct classified c;
  (void)state;
  classify_write("no_such_bucket.xml", 404, "", &c);
  assert_int_equal(c.code, NC_S3_NO_SUCH_BUCKET);
  classify_write("request_time_too_skewed.xml", 403, "", &c);
  assert_int_equal(c.code, NC_CLOCK_SKEW);
  classify_write("put_object_lock_no_md5.xml", 400, "", &c);
  assert_int_equal(c.code, NC_S3_WRITE_DENIED);
  assert_non_null(strstr(c.msg, "Object Lock"));
  classify_fixture("access_denied_vpce_implicit.xml", 403, true, NULL, &c);
  assert_int_equal(c.code, NC_S3_DENIED_ENDPOINT_POLICY);
}

static void test_object_lock_delete_refusal_parses(void **state) {
  struct s3_error e;
  (void)state;
  parse_fixture("delete_object_lock.xml", &e);
  assert_string_equal(e.code, "AccessDenied");
  assert_string_equal(e.message, "Access Denied because object protected by object lock.");
}

/* Remediations name the ARNs of the bucket's partition. */
static void test_remediations_use_the_partition(void **state) {
  struct s3_error e;
  char msg[512], rem[1536];
  (void)state;
  parse_fixture("access_denied_vpce_implicit.xml", &e);
  struct s3_response_view v = {
      .bucket = "cn-bucket",
      .region = "cn-north-1",
      .partition = "aws-cn",
      .operation = "ListObjectsV2",
      .is_signed = true,
      .transport = -1,
      .status = 403,
      .s3_code = e.code,
      .s3_message = e.message,
  };
  assert_int_equal(s3_classify(&v, msg, sizeof(msg), rem, sizeof(rem)),
                   NC_S3_DENIED_ENDPOINT_POLICY);
  assert_non_null(strstr(rem, "arn:aws-cn:s3:::cn-bucket"));
  assert_null(strstr(rem, "arn:aws:s3"));
  v.transport = NC_S3_NO_ROUTE;
  v.address_class = "outside";
  assert_int_equal(s3_classify(&v, msg, sizeof(msg), rem, sizeof(rem)), NC_S3_NO_ROUTE);
  assert_non_null(strstr(rem, "cn.com.amazonaws.cn-north-1.s3"));
}

/* Runs last: no remediation written by the classifier above left a slot of
 * its fix template unfilled. */
static void test_no_fix_left_a_slot_unfilled(void **state) {
  (void)state;
  assert_int_equal(diag_fix_unfilled(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_write_denied_by_the_endpoint_policy),
      cmocka_unit_test(test_write_denied_by_a_bucket_policy_names_encryption),
      cmocka_unit_test(test_write_kms_refusals),
      cmocka_unit_test(test_write_other_answers_keep_their_codes),
      cmocka_unit_test(test_object_lock_delete_refusal_parses),
      cmocka_unit_test(test_remediations_use_the_partition),
      cmocka_unit_test(test_parse_access_denied_plain),
      cmocka_unit_test(test_parse_decodes_quot_in_vpce_message),
      cmocka_unit_test(test_parse_permanent_redirect_endpoint_and_bucket),
      cmocka_unit_test(test_parse_no_such_bucket_bucket_name),
      cmocka_unit_test(test_parse_region_and_apos),
      cmocka_unit_test(test_parse_signature_mismatch_ignores_extra_fields),
      cmocka_unit_test(test_parse_every_error_fixture),
      cmocka_unit_test(test_parse_tolerates_whitespace_and_pretty_printing),
      cmocka_unit_test(test_parse_decodes_all_entities),
      cmocka_unit_test(test_parse_rejects_other_roots),
      cmocka_unit_test(test_parse_needs_a_code),
      cmocka_unit_test(test_parse_only_direct_children_count),
      cmocka_unit_test(test_parse_first_occurrence_wins),
      cmocka_unit_test(test_parse_ignores_fields_after_root_closes),
      cmocka_unit_test(test_parse_truncated_body_keeps_what_arrived),
      cmocka_unit_test(test_parse_caps_long_fields),
      cmocka_unit_test(test_parse_cuts_utf8_on_a_character_boundary),
      cmocka_unit_test(test_parse_replaces_controls_and_invalid_utf8),
      cmocka_unit_test(test_parse_skips_cdata_and_quoted_gt),
      cmocka_unit_test(test_parse_survives_garbage),
      cmocka_unit_test(test_parse_key_count),
      cmocka_unit_test(test_region_from_endpoint),
      cmocka_unit_test(test_classify_ok_on_list_200),
      cmocka_unit_test(test_classify_vpce_implicit_is_endpoint_policy),
      cmocka_unit_test(test_classify_vpce_explicit_is_endpoint_policy),
      cmocka_unit_test(test_classify_plain_denied_signed),
      cmocka_unit_test(test_classify_plain_denied_anonymous_says_what_is_unknown),
      cmocka_unit_test(test_classify_identity_policy_denial_names_the_role),
      cmocka_unit_test(test_classify_no_such_bucket),
      cmocka_unit_test(test_classify_permanent_redirect_names_region_from_endpoint),
      cmocka_unit_test(test_classify_wrong_region_from_header_on_head_301),
      cmocka_unit_test(test_classify_authorization_header_malformed_region),
      cmocka_unit_test(test_classify_signature_mismatch),
      cmocka_unit_test(test_classify_request_time_too_skewed_is_clock_skew),
      cmocka_unit_test(test_classify_invalid_access_key_is_creds_unavailable),
      cmocka_unit_test(test_classify_expired_token_is_creds_unavailable),
      cmocka_unit_test(test_classify_invalid_token_is_creds_unavailable),
      cmocka_unit_test(test_classify_s3_5xx_is_ok_path_works),
      cmocka_unit_test(test_classify_proxy_502_is_no_route),
      cmocka_unit_test(test_classify_head_403_without_body_is_denied),
      cmocka_unit_test(test_classify_head_404_without_body_is_no_such_bucket),
      cmocka_unit_test(test_classify_ignores_implausible_region_header),
      cmocka_unit_test(test_classify_connect_timeout_is_no_route_gateway_advice),
      cmocka_unit_test(test_classify_no_route_to_interface_endpoint_names_its_security_group),
      cmocka_unit_test(test_classify_tls_untrusted),
      cmocka_unit_test(test_classify_tls_handshake),
      cmocka_unit_test(test_classify_dns_nxdomain_passes_through),
      cmocka_unit_test(test_classify_timeout_budget),
      cmocka_unit_test(test_classify_tiny_buffers_stay_terminated),
      cmocka_unit_test(test_classify_truncates_on_a_character_boundary),
      cmocka_unit_test(test_clock_parses_imf_fixdate),
      cmocka_unit_test(test_clock_parses_rfc850_and_asctime),
      cmocka_unit_test(test_clock_leap_days),
      cmocka_unit_test(test_clock_accepts_leap_second_inside_range),
      cmocka_unit_test(test_clock_rejects_malformed_dates),
      cmocka_unit_test(test_no_fix_left_a_slot_unfilled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
