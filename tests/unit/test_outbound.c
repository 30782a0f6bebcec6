/*
 * test_outbound.c - the pure parts of the repo, egress and aws probe
 * families and of their shared step (probes/outbound.c): observing a
 * request's result, judging it against the expectation, the repository
 * targets and the Deny statement, egress target parsing, the STS answer
 * classifier, the plans (ids and flags), and which requests may go through
 * a proxy.
 */
#include <ares.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/diag.h"
#include "netcheck/http.h"
#include "netcheck/outbound.h"
#include "netcheck/probe.h"
#include "netcheck/proxy.h"
#include "netcheck/xml.h"

/* ---- helpers ---- */

static struct probe probe_expecting(enum nc_expect e) {
  struct probe p;
  memset(&p, 0, sizeof p);
  p.expect = e;
  return p;
}

static struct nc_addrs addrs_of(const char *ip) {
  struct nc_addrs a;
  memset(&a, 0, sizeof a);
  a.n = 1;
  a.a[0].family = AF_INET;
  inet_pton(AF_INET, ip, a.a[0].bytes);
  nc_strlcpy(a.a[0].text, ip, sizeof a.a[0].text);
  nc_strlcpy(a.source, "dns", sizeof a.source);
  return a;
}

static struct http_resp resp_status(long status, const char *body) {
  struct http_resp r;
  memset(&r, 0, sizeof r);
  r.status = status;
  r.body = (char *)body;
  r.body_len = body ? strlen(body) : 0;
  return r;
}

static struct http_resp resp_curl(int curl_code) {
  struct http_resp r;
  memset(&r, 0, sizeof r);
  r.curl_code = curl_code;
  r.t.dns = r.t.connect = r.t.tls = r.t.first_byte = r.t.total = -1; /* nothing measured */
  nc_strlcpy(r.error, "test transport error", sizeof r.error);
  return r;
}

static struct outbound_obs obs_answered(long status, const struct http_resp *r) {
  struct outbound_obs o;
  outbound_observe(0, NULL, r, false, NC_S3_NO_ROUTE, &o);
  assert_int_equal(o.status, status);
  return o;
}

static struct outbound_obs obs_stage(enum outbound_stage stage, enum nc_code code) {
  struct outbound_obs o;
  memset(&o, 0, sizeof o);
  o.stage = stage;
  o.code = code;
  return o;
}

static void nc_config_init(struct nc_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  nc_strlcpy(cfg->region, "us-east-1", sizeof cfg->region);
  cfg->timeout_ms = 5000;
  cfg->connect_timeout_ms = 3000;
}

static int plan_family(const char *name, struct plan *pl, const struct nc_config *cfg) {
  const struct probe_family *f = probe_family_find(name);
  assert_non_null(f);
  return f->plan(pl, cfg);
}

/* ---- outbound: observing ---- */

static void test_observe_dns_failure_gives_dns_code(void **state) {
  struct outbound_obs o;
  (void)state;
  outbound_observe(ARES_ENOTFOUND, NULL, NULL, false, NC_S3_NO_ROUTE, &o);
  assert_int_equal(o.stage, OUTBOUND_DNS_FAILED);
  assert_int_equal(o.code, NC_DNS_NXDOMAIN);
  assert_string_equal(o.outcome, "dns_nxdomain");
}

/* c-ares gives up on servers that all answered REFUSED with the status of
 * servers that never listened: the message must not claim a timeout. */
static void test_observe_ambiguous_dns_failure_claims_no_cause(void **state) {
  struct outbound_obs o;
  char what[256];
  (void)state;
  outbound_observe(ARES_ECONNREFUSED, NULL, NULL, false, NC_EGRESS_BLOCKED, &o);
  assert_int_equal(o.stage, OUTBOUND_DNS_FAILED);
  assert_true(o.dns_ambiguous);
  outbound_describe(&o, "pypi.org", what, sizeof what);
  assert_null(strstr(what, "DNS_TIMEOUT"));
  assert_non_null(strstr(what, "refused, failed or did not answer"));
}

static void test_observe_http_status_is_an_answer_even_when_the_body_was_cut(void **state) {
  struct http_resp r = resp_status(200, "x");
  struct outbound_obs o;
  (void)state;
  r.curl_code = CURLE_WRITE_ERROR; /* the body cap aborted the transfer */
  outbound_observe(0, NULL, &r, false, NC_S3_NO_ROUTE, &o);
  assert_int_equal(o.stage, OUTBOUND_ANSWERED);
  assert_int_equal(o.code, NC_OK);
  assert_string_equal(o.outcome, "http_200");
}

static void test_observe_connect_only_success_is_connected(void **state) {
  struct http_resp r = resp_curl(CURLE_OK);
  struct outbound_obs o;
  (void)state;
  outbound_observe(0, NULL, &r, true, NC_AWS_ENDPOINT_UNREACHABLE, &o);
  assert_int_equal(o.stage, OUTBOUND_CONNECTED);
  assert_int_equal(o.code, NC_OK);
}

static void test_observe_connect_timeout_gives_the_family_no_route_code(void **state) {
  struct http_resp r = resp_curl(CURLE_OPERATION_TIMEDOUT);
  struct outbound_obs o;
  (void)state;
  outbound_observe(0, NULL, &r, true, NC_AWS_ENDPOINT_UNREACHABLE, &o);
  assert_int_equal(o.stage, OUTBOUND_NO_CONNECT);
  assert_int_equal(o.code, NC_AWS_ENDPOINT_UNREACHABLE);
}

static void test_observe_resolution_failure_inside_curl_is_a_dns_failure(void **state) {
  struct http_resp r = resp_curl(CURLE_COULDNT_RESOLVE_HOST);
  struct outbound_obs o;
  (void)state;
  outbound_observe(0, NULL, &r, false, NC_EGRESS_BLOCKED, &o);
  assert_int_equal(o.stage, OUTBOUND_DNS_FAILED);
}

static void test_observe_untrusted_certificate_is_a_tls_failure(void **state) {
  struct http_resp r = resp_curl(CURLE_PEER_FAILED_VERIFICATION);
  struct outbound_obs o;
  (void)state;
  outbound_observe(0, NULL, &r, false, NC_EGRESS_BLOCKED, &o);
  assert_int_equal(o.stage, OUTBOUND_TLS_FAILED);
  assert_int_equal(o.code, NC_TLS_UNTRUSTED);
}

static void test_reached_counts_an_interceptor_but_not_a_failed_handshake(void **state) {
  struct outbound_obs untrusted = obs_stage(OUTBOUND_TLS_FAILED, NC_TLS_UNTRUSTED);
  struct outbound_obs handshake = obs_stage(OUTBOUND_TLS_FAILED, NC_TLS_HANDSHAKE);
  (void)state;
  assert_true(outbound_reached(&untrusted));
  assert_false(outbound_usable(&untrusted));
  assert_false(outbound_reached(&handshake));
}

static void test_describe_names_host_address_and_status(void **state) {
  struct http_resp r = resp_status(200, "hello");
  struct nc_addrs a = addrs_of("198.19.0.10");
  struct outbound_obs o;
  char text[256];
  (void)state;
  outbound_observe(0, &a, &r, false, NC_EGRESS_BLOCKED, &o);
  outbound_describe(&o, "pypi.org", text, sizeof text);
  assert_string_equal(text, "pypi.org at 198.19.0.10 answered HTTP 200 (5 bytes)");
}

static void test_advice_covers_dns_and_tls_codes_only(void **state) {
  (void)state;
  assert_true(outbound_transport_code(NC_DNS_NXDOMAIN));
  assert_true(outbound_transport_code(NC_TLS_UNTRUSTED));
  assert_false(outbound_transport_code(NC_REPO_NOT_BLOCKED));
}

/* ---- outbound: parsing ---- */

static void test_xml_text_extracts_and_decodes_an_element(void **state) {
  const char *b = "<E><Code>A&amp;B</Code><Message>x &lt;y&gt;</Message></E>";
  char out[64];
  (void)state;
  assert_int_equal(xml_text(b, strlen(b), "Code", out, sizeof out), 0);
  assert_string_equal(out, "A&B");
  assert_int_equal(xml_text(b, strlen(b), "Message", out, sizeof out), 0);
  assert_string_equal(out, "x <y>");
}

static void test_xml_text_fails_on_missing_or_unterminated_element(void **state) {
  const char *b = "<Code>open";
  char out[16];
  (void)state;
  assert_int_equal(xml_text(b, strlen(b), "Code", out, sizeof out), -1);
  assert_int_equal(xml_text(b, strlen(b), "Arn", out, sizeof out), -1);
}

static void test_xml_text_stays_inside_the_given_length(void **state) {
  const char *b = "<Code>AccessDenied</Code>";
  char out[32];
  (void)state;
  /* The closing tag lies past len: not found, and nothing read beyond. */
  assert_int_equal(xml_text(b, 12, "Code", out, sizeof out), -1);
}

/* The one rule of the XML scanner (S3's and STS's alike): control bytes
 * become spaces, valid UTF-8 stays, invalid bytes become '?'. */
static void test_xml_text_replaces_control_and_invalid_bytes(void **state) {
  const char *b = "<Arn>a\x1b[31m\xc3\xa9\xff\nb</Arn>";
  char out[64];
  (void)state;
  assert_int_equal(xml_text(b, strlen(b), "Arn", out, sizeof out), 0);
  assert_string_equal(out, "a [31m\xc3\xa9? b");
}

static void test_xml_text_truncates_to_the_output(void **state) {
  const char *b = "<Arn>arn:aws:iam::123456789012:role/x</Arn>";
  char out[8];
  (void)state;
  assert_int_equal(xml_text(b, strlen(b), "Arn", out, sizeof out), 0);
  assert_string_equal(out, "arn:aws");
}

static void test_url_host_takes_the_name_before_port_and_path(void **state) {
  char h[64];
  (void)state;
  assert_int_equal(outbound_url_host("https://pypi.org:443/simple/", h, sizeof h), 0);
  assert_string_equal(h, "pypi.org");
  assert_int_equal(outbound_url_host("HTTP://example.com", h, sizeof h), 0);
  assert_string_equal(h, "example.com");
}

static void test_url_host_rejects_userinfo_literals_and_other_schemes(void **state) {
  char h[64];
  (void)state;
  assert_int_equal(outbound_url_host("https://user@evil.example/", h, sizeof h), -1);
  assert_int_equal(outbound_url_host("https://[::1]/", h, sizeof h), -1);
  assert_int_equal(outbound_url_host("ftp://example.com/", h, sizeof h), -1);
  assert_int_equal(outbound_url_host("https:///x", h, sizeof h), -1);
}

/* ---- repo ---- */

static void test_repo_targets_are_the_contract_ids_for_the_region(void **state) {
  static const char *const ids[REPO_TARGET_COUNT] = {
      "repo:repo.us-east-1.amazonaws.com", "repo:packages.us-east-1.amazonaws.com",
      "repo:amazonlinux.us-east-1.amazonaws.com", "repo:amazonlinux-2-repos-us-east-1",
      "repo:al2023-repos-us-east-1-de612dc2"};
  char id[320], url[512], bucket[128];
  (void)state;
  for (int i = 0; i < REPO_TARGET_COUNT; i++) {
    assert_int_equal(
        repo_target(i, "us-east-1", id, sizeof id, url, sizeof url, bucket, sizeof bucket), 0);
    assert_string_equal(id, ids[i]);
    assert_true(strncmp(url, "https://", 8) == 0);
  }
  repo_target(4, "eu-west-1", id, sizeof id, url, sizeof url, bucket, sizeof bucket);
  assert_string_equal(url, "https://al2023-repos-eu-west-1-de612dc2.s3.eu-west-1.amazonaws.com/"
                           "core/mirrors/latest/x86_64/mirror.list");
  assert_string_equal(bucket, "al2023-repos-eu-west-1-de612dc2");
}

static void test_repo_target_rejects_bad_index_and_small_buffers(void **state) {
  char id[320], url[16], bucket[128];
  (void)state;
  assert_int_equal(repo_target(REPO_TARGET_COUNT, "us-east-1", id, sizeof id, url, sizeof url,
                               bucket, sizeof bucket),
                   -1);
  assert_int_equal(
      repo_target(0, "us-east-1", id, sizeof id, url, sizeof url, bucket, sizeof bucket), -1);
}

static void test_repo_403_from_the_endpoint_is_blocked(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_BLOCKED);
  struct http_resp r = resp_status(403, "<Error><Code>AccessDenied</Code></Error>");
  struct outbound_obs o = obs_answered(403, &r);
  struct outbound_judgement j;
  (void)state;
  repo_judge(&p, &o, &j);
  assert_int_equal(j.verdict, NC_VERDICT_PASS);
  assert_int_equal(j.code, NC_OK);
}

static void test_repo_connect_timeout_and_dns_failure_are_blocked(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_BLOCKED);
  struct outbound_obs timeout = obs_stage(OUTBOUND_NO_CONNECT, NC_S3_NO_ROUTE);
  struct outbound_obs budget = obs_stage(OUTBOUND_NO_CONNECT, NC_TIMEOUT_BUDGET);
  struct outbound_obs dns = obs_stage(OUTBOUND_DNS_FAILED, NC_DNS_NXDOMAIN);
  struct outbound_judgement j;
  (void)state;
  repo_judge(&p, &timeout, &j);
  assert_int_equal(j.verdict, NC_VERDICT_PASS);
  repo_judge(&p, &budget, &j);
  assert_int_equal(j.verdict, NC_VERDICT_PASS);
  repo_judge(&p, &dns, &j);
  assert_int_equal(j.verdict, NC_VERDICT_PASS);
  assert_int_equal(j.code, NC_OK);
}

static void test_repo_content_is_not_blocked(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_BLOCKED);
  struct http_resp r = resp_status(200, "https://al2023-repos/core/guids/x/x86_64/\n");
  struct outbound_obs o = obs_answered(200, &r);
  struct outbound_judgement j;
  (void)state;
  repo_judge(&p, &o, &j);
  assert_int_equal(j.verdict, NC_VERDICT_FAIL);
  assert_int_equal(j.code, NC_REPO_NOT_BLOCKED);
}

static void test_repo_404_passed_the_policy_so_is_not_blocked(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_BLOCKED);
  struct http_resp r = resp_status(404, "<Error><Code>NoSuchKey</Code></Error>");
  struct outbound_obs o = obs_answered(404, &r);
  struct outbound_judgement j;
  (void)state;
  repo_judge(&p, &o, &j);
  assert_int_equal(j.verdict, NC_VERDICT_FAIL);
  assert_int_equal(j.code, NC_REPO_NOT_BLOCKED);
}

static void test_repo_tls_failure_warns_with_the_tls_code(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_BLOCKED);
  struct outbound_obs o = obs_stage(OUTBOUND_TLS_FAILED, NC_TLS_UNTRUSTED);
  struct outbound_judgement j;
  (void)state;
  repo_judge(&p, &o, &j);
  assert_int_equal(j.verdict, NC_VERDICT_WARN);
  assert_int_equal(j.code, NC_TLS_UNTRUSTED);
}

static void test_repo_plain_retry_without_answer_keeps_the_tls_warning(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_BLOCKED);
  struct outbound_obs o = obs_stage(OUTBOUND_NO_CONNECT, NC_S3_NO_ROUTE);
  struct outbound_judgement j;
  (void)state;
  o.prior = NC_TLS_HANDSHAKE;
  repo_judge(&p, &o, &j);
  assert_int_equal(j.verdict, NC_VERDICT_WARN);
  assert_int_equal(j.code, NC_TLS_HANDSHAKE);
}

static void test_repo_plain_retry_answered_403_is_blocked(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_BLOCKED);
  struct http_resp r = resp_status(403, "");
  struct outbound_obs o = obs_answered(403, &r);
  struct outbound_judgement j;
  (void)state;
  o.prior = NC_TLS_UNTRUSTED;
  repo_judge(&p, &o, &j);
  assert_int_equal(j.verdict, NC_VERDICT_PASS);
  assert_int_equal(j.code, NC_OK);
}

static void test_repo_expected_reachable_403_is_an_endpoint_policy_denial(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_REACHABLE);
  struct http_resp r = resp_status(403, "");
  struct outbound_obs o = obs_answered(403, &r);
  struct outbound_obs route = obs_stage(OUTBOUND_NO_CONNECT, NC_S3_NO_ROUTE);
  struct outbound_judgement j;
  (void)state;
  repo_judge(&p, &o, &j);
  assert_int_equal(j.verdict, NC_VERDICT_FAIL);
  assert_int_equal(j.code, NC_S3_DENIED_ENDPOINT_POLICY);
  repo_judge(&p, &route, &j);
  assert_int_equal(j.code, NC_S3_NO_ROUTE);
}

static void test_repo_deny_statement_names_every_repository_bucket(void **state) {
  static const char *const arns[] = {
      "arn:aws:s3:::packages.*.amazonaws.com/*", "arn:aws:s3:::repo.*.amazonaws.com/*",
      "arn:aws:s3:::amazonlinux.*.amazonaws.com/*", "arn:aws:s3:::amazonlinux-2-repos-*/*",
      "arn:aws:s3:::al2023-repos-*/*"};
  char text[768];
  cJSON *st, *res;
  (void)state;
  assert_int_equal(repo_deny_statement("us-east-1", text, sizeof text), 0);
  st = cJSON_Parse(text);
  assert_non_null(st);
  assert_string_equal(cJSON_GetObjectItem(st, "Effect")->valuestring, "Deny");
  assert_string_equal(cJSON_GetObjectItem(st, "Action")->valuestring, "s3:GetObject");
  res = cJSON_GetObjectItem(st, "Resource");
  assert_int_equal(cJSON_GetArraySize(res), 5);
  for (int i = 0; i < 5; i++)
    assert_string_equal(cJSON_GetArrayItem(res, i)->valuestring, arns[i]);
  cJSON_Delete(st);
  assert_int_equal(repo_deny_statement("us-east-1", text, 40), -1);
  /* China: the partition's ARNs and DNS suffix */
  assert_int_equal(repo_deny_statement("cn-north-1", text, sizeof text), 0);
  assert_non_null(strstr(text, "\"arn:aws-cn:s3:::repo.*.amazonaws.com.cn/*\""));
  assert_null(strstr(text, "arn:aws:"));
}

/* Repository names per partition: all five in aws; the AL1 and AL2 hosts
 * (repo., packages., amazonlinux.REGION.SUFFIX) in aws-cn and aws-us-gov,
 * with one probe that says plainly the buckets were not checked; nothing
 * but that probe where no name is known. */
static void test_repo_names_per_partition(void **state) {
  static const struct {
    const char *region;
    int known;
    const char *first_id, *note_id;
  } cases[] = {
      {"eu-west-1", 5, "repo:repo.eu-west-1.amazonaws.com", NULL},
      {"cn-north-1", 3, "repo:repo.cn-north-1.amazonaws.com.cn", "repo:aws-cn"},
      {"us-gov-west-1", 3, "repo:repo.us-gov-west-1.amazonaws.com", "repo:aws-us-gov"},
      {"us-iso-east-1", 0, NULL, "repo:aws-iso"},
  };
  char err[256];
  (void)state;
  for (size_t c = 0; c < NC_ARRAY_LEN(cases); c++) {
    struct nc_config cfg;
    struct plan pl = {0};
    const struct probe *last = NULL;
    int n = 0;
    nc_config_init(&cfg);
    nc_strlcpy(cfg.region, cases[c].region, sizeof cfg.region);
    assert_int_equal(plan_family("repo", &pl, &cfg), 0);
    for (const struct probe *p = pl.head; p; p = p->next, n++)
      last = p;
    assert_int_equal(n, cases[c].known + (cases[c].note_id ? 1 : 0));
    if (cases[c].first_id)
      assert_string_equal(pl.head->id, cases[c].first_id);
    if (cases[c].note_id) {
      assert_non_null(last);
      assert_string_equal(last->id, cases[c].note_id);
      plan_free(&pl);
      /* the note finishes as skip with its text, without the network */
      memset(&pl, 0, sizeof pl);
      assert_int_equal(plan_build(&pl, &cfg, err, sizeof err), 0);
      for (struct probe *p = pl.head; p; p = p->next)
        if (!strcmp(p->id, cases[c].note_id)) {
          assert_int_equal(p->ops->start(p), 0);
          assert_int_equal(p->verdict, NC_VERDICT_SKIP);
          assert_non_null(strstr(p->message, cases[c].known ? "only the repository hosts"
                                                            : "no Amazon Linux repository names"));
        }
    }
    plan_free(&pl);
  }
  assert_true(repo_target_known(0, "cn-north-1"));
  assert_false(repo_target_known(3, "cn-north-1"));
  assert_false(repo_target_known(0, "us-isob-east-1"));
}

static void test_repo_plan_adds_the_five_contract_ids(void **state) {
  struct nc_config cfg;
  struct plan pl = {0};
  char id[320], url[512], bucket[128];
  int i = 0;
  (void)state;
  nc_config_init(&cfg);
  assert_int_equal(plan_family("repo", &pl, &cfg), 0);
  assert_int_equal(pl.count, REPO_TARGET_COUNT);
  for (struct probe *p = pl.head; p; p = p->next, i++) {
    repo_target(i, "us-east-1", id, sizeof id, url, sizeof url, bucket, sizeof bucket);
    assert_string_equal(p->id, id);
    assert_string_equal(p->target, url);
    assert_int_equal(p->expect, NC_EXPECT_BLOCKED);
    assert_int_equal(p->tier, NC_TIER_POLICY); /* the guide leaves it to the user */
  }
  plan_free(&pl);
}

static void test_repo_plan_honours_skip(void **state) {
  struct nc_config cfg;
  struct plan pl = {0};
  char err[256];
  (void)state;
  nc_config_init(&cfg);
  nc_strlcpy(cfg.skips[0], "repo", NC_KEY_MAX);
  cfg.skip_source[0] = NC_SRC_FLAG;
  cfg.n_skips = 1;
  assert_int_equal(plan_build(&pl, &cfg, err, sizeof err), 0);
  for (const struct probe *p = pl.head; p; p = p->next)
    assert_string_not_equal(p->kind, "repo");
  plan_free(&pl);
}

/* ---- egress ---- */

static void test_egress_bare_pypi_host_fetches_the_simple_index(void **state) {
  char host[256], url[512];
  (void)state;
  assert_int_equal(egress_parse_target("pypi.org", host, sizeof host, url, sizeof url), 0);
  assert_string_equal(host, "pypi.org");
  assert_string_equal(url, EGRESS_DEFAULT_URL);
}

static void test_egress_bare_host_and_port_fetch_the_root(void **state) {
  char host[256], url[512];
  (void)state;
  assert_int_equal(egress_parse_target("example.com:8443", host, sizeof host, url, sizeof url), 0);
  assert_string_equal(host, "example.com");
  assert_string_equal(url, "https://example.com:8443/");
}

static void test_egress_url_target_is_fetched_as_given(void **state) {
  char host[256], url[512];
  (void)state;
  assert_int_equal(egress_parse_target("https://files.pythonhosted.org/packages/", host,
                                       sizeof host, url, sizeof url),
                   0);
  assert_string_equal(host, "files.pythonhosted.org");
  assert_string_equal(url, "https://files.pythonhosted.org/packages/");
  assert_int_equal(egress_parse_target("HTTP://example.com", host, sizeof host, url, sizeof url),
                   0);
  assert_string_equal(url, "http://example.com/");
}

static void test_egress_rejects_malformed_targets(void **state) {
  char host[256], url[512];
  (void)state;
  assert_int_equal(egress_parse_target("", host, sizeof host, url, sizeof url), -1);
  assert_int_equal(egress_parse_target("ftp://x.org/", host, sizeof host, url, sizeof url), -1);
  assert_int_equal(egress_parse_target("https://u@x.org/", host, sizeof host, url, sizeof url), -1);
  assert_int_equal(egress_parse_target("https://x.org/a b", host, sizeof host, url, sizeof url),
                   -1);
  assert_int_equal(egress_parse_target("x.org:http", host, sizeof host, url, sizeof url), -1);
  assert_int_equal(
      egress_parse_target("https://x.org:99999999/", host, sizeof host, url, sizeof url), -1);
  assert_int_equal(egress_parse_target("x.org/path", host, sizeof host, url, sizeof url), -1);
}

static void test_egress_expect_any_passes_whatever_happened(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_ANY);
  struct outbound_obs none = obs_stage(OUTBOUND_NO_CONNECT, NC_EGRESS_BLOCKED);
  struct outbound_obs tls = obs_stage(OUTBOUND_TLS_FAILED, NC_TLS_UNTRUSTED);
  struct outbound_judgement j;
  (void)state;
  outbound_judge(&p, &none, NC_EGRESS_BLOCKED, NC_EGRESS_BLOCKED, &j);
  assert_int_equal(j.verdict, NC_VERDICT_PASS);
  assert_int_equal(j.code, NC_OK);
  outbound_judge(&p, &tls, NC_EGRESS_BLOCKED, NC_EGRESS_BLOCKED, &j);
  assert_int_equal(j.verdict, NC_VERDICT_PASS);
}

static void test_egress_expected_reachable_without_dns_or_route_is_egress_blocked(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_REACHABLE);
  struct outbound_obs dns = obs_stage(OUTBOUND_DNS_FAILED, NC_DNS_NXDOMAIN);
  struct outbound_obs route = obs_stage(OUTBOUND_NO_CONNECT, NC_EGRESS_BLOCKED);
  struct outbound_judgement j;
  (void)state;
  outbound_judge(&p, &dns, NC_EGRESS_BLOCKED, NC_EGRESS_BLOCKED, &j);
  assert_int_equal(j.verdict, NC_VERDICT_FAIL);
  assert_int_equal(j.code, NC_EGRESS_BLOCKED);
  outbound_judge(&p, &route, NC_EGRESS_BLOCKED, NC_EGRESS_BLOCKED, &j);
  assert_int_equal(j.code, NC_EGRESS_BLOCKED);
}

static void test_egress_expected_reachable_interception_is_tls_untrusted(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_REACHABLE);
  struct outbound_obs tls = obs_stage(OUTBOUND_TLS_FAILED, NC_TLS_UNTRUSTED);
  struct outbound_judgement j;
  (void)state;
  outbound_judge(&p, &tls, NC_EGRESS_BLOCKED, NC_EGRESS_BLOCKED, &j);
  assert_int_equal(j.verdict, NC_VERDICT_FAIL);
  assert_int_equal(j.code, NC_TLS_UNTRUSTED);
}

static void test_egress_expected_blocked_any_answer_or_interceptor_is_unexpected(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_BLOCKED);
  struct http_resp r = resp_status(404, "");
  struct outbound_obs answered = obs_answered(404, &r);
  struct outbound_obs tls = obs_stage(OUTBOUND_TLS_FAILED, NC_TLS_UNTRUSTED);
  struct outbound_judgement j;
  (void)state;
  outbound_judge(&p, &answered, NC_EGRESS_BLOCKED, NC_EGRESS_BLOCKED, &j);
  assert_int_equal(j.verdict, NC_VERDICT_FAIL);
  assert_int_equal(j.code, NC_EGRESS_UNEXPECTED);
  outbound_judge(&p, &tls, NC_EGRESS_BLOCKED, NC_EGRESS_BLOCKED, &j);
  assert_int_equal(j.code, NC_EGRESS_UNEXPECTED);
}

static void test_egress_expected_blocked_failed_handshake_or_timeout_passes(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_BLOCKED);
  struct outbound_obs sni = obs_stage(OUTBOUND_TLS_FAILED, NC_TLS_HANDSHAKE);
  struct outbound_obs route = obs_stage(OUTBOUND_NO_CONNECT, NC_EGRESS_BLOCKED);
  struct outbound_judgement j;
  (void)state;
  outbound_judge(&p, &sni, NC_EGRESS_BLOCKED, NC_EGRESS_BLOCKED, &j);
  assert_int_equal(j.verdict, NC_VERDICT_PASS);
  outbound_judge(&p, &route, NC_EGRESS_BLOCKED, NC_EGRESS_BLOCKED, &j);
  assert_int_equal(j.verdict, NC_VERDICT_PASS);
  assert_int_equal(j.code, NC_OK);
}

static void test_egress_plan_probes_each_host_once(void **state) {
  struct nc_config cfg;
  struct plan pl = {0};
  (void)state;
  nc_config_init(&cfg);
  nc_strlcpy(cfg.egress_targets[0], "pypi.org", NC_HOST_MAX);
  nc_strlcpy(cfg.egress_targets[1], "https://pypi.org/other/", NC_HOST_MAX);
  nc_strlcpy(cfg.egress_targets[2], "not a host", NC_HOST_MAX);
  nc_strlcpy(cfg.egress_targets[3], "https://example.com", NC_HOST_MAX);
  cfg.n_egress_targets = 4;
  assert_int_equal(plan_family("egress", &pl, &cfg), 0);
  assert_int_equal(pl.count, 2);
  assert_string_equal(pl.head->id, "egress:pypi.org");
  assert_string_equal(pl.head->target, "https://pypi.org/simple/");
  assert_int_equal(pl.head->expect, NC_EXPECT_REACHABLE);
  assert_int_equal(pl.head->tier, NC_TIER_INFORMATIONAL); /* a fact unless the job says */
  assert_int_equal(pl.head->connect_ms, 3000);
  assert_string_equal(pl.head->next->id, "egress:example.com");
  plan_free(&pl);
}

static void test_egress_plan_with_an_empty_list_probes_nothing(void **state) {
  struct nc_config cfg;
  struct plan pl = {0};
  (void)state;
  nc_config_init(&cfg);
  assert_int_equal(plan_family("egress", &pl, &cfg), 0);
  assert_int_equal(pl.count, 0);
}

/* ---- aws ---- */

static void test_aws_services_map_to_interface_endpoint_names(void **state) {
  (void)state;
  assert_string_equal(aws_service_name(0), "sts");
  assert_null(aws_service_name(AWS_SERVICE_COUNT));
  assert_string_equal(aws_endpoint_service("api.ecr"), "ecr.api");
  assert_string_equal(aws_endpoint_service("api.sagemaker"), "sagemaker.api");
  assert_string_equal(aws_endpoint_service("logs"), "logs");
}

static void test_aws_private_address_is_an_interface_endpoint(void **state) {
  struct nc_addrs priv = addrs_of("10.0.1.25");
  struct nc_addrs pub = addrs_of("52.94.0.1");
  struct nc_addrs none;
  (void)state;
  memset(&none, 0, sizeof none);
  assert_string_equal(aws_endpoint_kind(&priv), "interface");
  assert_string_equal(aws_endpoint_kind(&pub), "public");
  assert_null(aws_endpoint_kind(&none));
  assert_null(aws_endpoint_kind(NULL));
}

static void test_aws_no_connection_is_endpoint_unreachable(void **state) {
  struct probe p = probe_expecting(NC_EXPECT_REACHABLE);
  struct outbound_obs route = obs_stage(OUTBOUND_NO_CONNECT, NC_AWS_ENDPOINT_UNREACHABLE);
  struct outbound_obs dns = obs_stage(OUTBOUND_DNS_FAILED, NC_DNS_TIMEOUT);
  struct outbound_obs budget = obs_stage(OUTBOUND_NO_CONNECT, NC_TIMEOUT_BUDGET);
  struct outbound_judgement j;
  (void)state;
  outbound_judge(&p, &route, NC_OK, NC_AWS_ENDPOINT_UNREACHABLE, &j);
  assert_int_equal(j.code, NC_AWS_ENDPOINT_UNREACHABLE);
  outbound_judge(&p, &dns, NC_OK, NC_AWS_ENDPOINT_UNREACHABLE, &j);
  assert_int_equal(j.code, NC_DNS_TIMEOUT);
  outbound_judge(&p, &budget, NC_OK, NC_AWS_ENDPOINT_UNREACHABLE, &j);
  assert_int_equal(j.code, NC_TIMEOUT_BUDGET);
}

static void test_sts_caller_arn_is_reported(void **state) {
  const char *b = "<GetCallerIdentityResponse><GetCallerIdentityResult>"
                  "<Arn>arn:aws:sts::123456789012:assumed-role/SageMakerRole/SageMaker</Arn>"
                  "<UserId>AROAEXAMPLE:SageMaker</UserId><Account>123456789012</Account>"
                  "</GetCallerIdentityResult></GetCallerIdentityResponse>";
  struct sts_answer a;
  (void)state;
  aws_sts_classify(200, b, strlen(b), &a);
  assert_int_equal(a.verdict, NC_VERDICT_PASS);
  assert_int_equal(a.code, NC_OK);
  assert_string_equal(a.arn, "arn:aws:sts::123456789012:assumed-role/SageMakerRole/SageMaker");
  assert_string_equal(a.account, "123456789012");
}

static void sts_error(const char *code, const char *message, struct sts_answer *a) {
  char b[512];
  nc_snprintf(b, sizeof b,
              "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message>"
              "</Error><RequestId>1</RequestId></ErrorResponse>",
              code, message);
  aws_sts_classify(403, b, strlen(b), a);
}

static void test_sts_rejected_token_is_creds_unavailable(void **state) {
  struct sts_answer a;
  (void)state;
  sts_error("InvalidClientTokenId", "The security token included in the request is invalid.", &a);
  assert_int_equal(a.verdict, NC_VERDICT_FAIL);
  assert_int_equal(a.code, NC_CREDS_UNAVAILABLE);
  assert_string_equal(a.error_code, "InvalidClientTokenId");
  sts_error("ExpiredToken", "The security token included in the request is expired", &a);
  assert_int_equal(a.code, NC_CREDS_UNAVAILABLE);
}

static void test_sts_expired_signature_is_clock_skew(void **state) {
  struct sts_answer a;
  (void)state;
  sts_error("SignatureDoesNotMatch",
            "Signature expired: 20240101T000000Z is now earlier than 20240101T001000Z "
            "(20240101T001500Z - 5 min.)",
            &a);
  assert_int_equal(a.verdict, NC_VERDICT_FAIL);
  assert_int_equal(a.code, NC_CLOCK_SKEW);
  sts_error("SignatureDoesNotMatch", "Signature not yet current: 20250101T000000Z is still later",
            &a);
  assert_int_equal(a.code, NC_CLOCK_SKEW);
  sts_error("RequestExpired", "Request has expired.", &a);
  assert_int_equal(a.code, NC_CLOCK_SKEW);
}

static void test_sts_signature_mismatch_is_a_wrong_secret_key(void **state) {
  struct sts_answer a;
  (void)state;
  sts_error("SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.", &a);
  assert_int_equal(a.verdict, NC_VERDICT_FAIL);
  assert_int_equal(a.code, NC_CREDS_UNAVAILABLE);
}

static void test_sts_other_answers_warn_without_a_code(void **state) {
  const char *html = "<html>proxy</html>";
  struct sts_answer a;
  (void)state;
  sts_error("AccessDenied", "denied by the VPC endpoint policy", &a);
  assert_int_equal(a.verdict, NC_VERDICT_WARN);
  assert_int_equal(a.code, NC_OK);
  aws_sts_classify(200, html, strlen(html), &a);
  assert_int_equal(a.verdict, NC_VERDICT_WARN);
  aws_sts_classify(503, NULL, 0, &a);
  assert_int_equal(a.verdict, NC_VERDICT_WARN);
}

static void test_aws_plan_flags_only_sts_as_needing_credentials(void **state) {
  static const char *const ids[] = {"aws:sts", "aws:logs", "aws:monitoring", "aws:api.ecr",
                                    "aws:api.sagemaker"};
  struct nc_config cfg;
  struct plan pl = {0};
  int i = 0;
  (void)state;
  nc_config_init(&cfg);
  assert_int_equal(plan_family("aws", &pl, &cfg), 0);
  assert_int_equal(pl.count, AWS_SERVICE_COUNT);
  for (struct probe *p = pl.head; p; p = p->next, i++) {
    assert_string_equal(p->id, ids[i]);
    assert_int_equal((p->ops->flags & NC_PROBE_NEEDS_CREDS) != 0, i == 0);
    assert_int_equal(p->tier, NC_TIER_INFORMATIONAL);
  }
  assert_string_equal(pl.head->next->next->next->target, "api.ecr.us-east-1.amazonaws.com");
  plan_free(&pl);
}

/* ---- proxies ---- */

static void test_local_addresses_are_never_proxied(void **state) {
  (void)state;
  const char *local[] = {"http://169.254.170.2/v2/credentials/x", "http://169.254.169.254/",
                         "http://169.254.170.23/creds",           "http://[fe80::1]/",
                         "http://[fd00:ec2::23]/creds",           "http://[fd00:ec2::254]/",
                         "http://127.0.0.1:8080/creds",           "http://localhost:8080/creds"};
  const char *not_local[] = {"https://s3.us-east-1.amazonaws.com/", "https://198.18.0.10/",
                             "https://169.253.255.255/", "https://[2001:db8::1]/"};
  setenv("https_proxy", "http://proxy:3128", 1);
  setenv("http_proxy", "http://proxy:3128", 1);
  for (size_t i = 0; i < NC_ARRAY_LEN(local); i++)
    assert_false(proxy_for_url(local[i], NULL, 0));
  for (size_t i = 0; i < NC_ARRAY_LEN(not_local); i++)
    assert_true(proxy_for_url(not_local[i], NULL, 0));
  unsetenv("https_proxy");
  unsetenv("http_proxy");
}

/* NO_PROXY as the SDKs read it: names match as domain suffixes (a leading
 * dot or none), "*" matches all, IPv4 CIDR blocks match addresses. */
static void test_no_proxy_matches_as_the_sdks_do(void **state) {
  const char *list = " .s3.us-east-1.amazonaws.com, internal.example ,10.0.0.0/8,169.254.170.2";
  char out[128];
  (void)state;
  assert_true(proxy_no_proxy_match(list, "nc-input.s3.us-east-1.amazonaws.com"));
  assert_true(proxy_no_proxy_match(list, "s3.us-east-1.amazonaws.com"));
  assert_true(proxy_no_proxy_match(list, "INTERNAL.example"));
  assert_true(proxy_no_proxy_match(list, "db.internal.example"));
  assert_false(proxy_no_proxy_match(list, "notinternal.example"));
  assert_true(proxy_no_proxy_match(list, "10.200.3.4"));
  assert_false(proxy_no_proxy_match(list, "11.0.0.1"));
  assert_false(proxy_no_proxy_match(list, "sts.us-east-1.amazonaws.com"));
  assert_true(proxy_no_proxy_match("*", "anything.example"));
  assert_false(proxy_no_proxy_match("", "anything.example"));
  setenv("HTTPS_PROXY", "http://user:pw@proxy.internal:3128", 1);
  setenv("NO_PROXY", list, 1);
  assert_true(proxy_for_url("https://sts.us-east-1.amazonaws.com/", out, sizeof out));
  assert_false(proxy_for_url("https://b.s3.us-east-1.amazonaws.com/", out, sizeof out));
  unsetenv("NO_PROXY");
  /* The SDKs never use ALL_PROXY; neither does netcheck. */
  unsetenv("HTTPS_PROXY");
  setenv("ALL_PROXY", "http://proxy.internal:3128", 1);
  assert_false(proxy_for_url("https://sts.us-east-1.amazonaws.com/", out, sizeof out));
  unsetenv("ALL_PROXY");
  proxy_redact("http://user:pw@proxy.internal:3128", out, sizeof out);
  assert_string_equal(out, "http://proxy.internal:3128");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_observe_dns_failure_gives_dns_code),
      cmocka_unit_test(test_observe_ambiguous_dns_failure_claims_no_cause),
      cmocka_unit_test(test_observe_http_status_is_an_answer_even_when_the_body_was_cut),
      cmocka_unit_test(test_observe_connect_only_success_is_connected),
      cmocka_unit_test(test_observe_connect_timeout_gives_the_family_no_route_code),
      cmocka_unit_test(test_observe_resolution_failure_inside_curl_is_a_dns_failure),
      cmocka_unit_test(test_observe_untrusted_certificate_is_a_tls_failure),
      cmocka_unit_test(test_reached_counts_an_interceptor_but_not_a_failed_handshake),
      cmocka_unit_test(test_describe_names_host_address_and_status),
      cmocka_unit_test(test_advice_covers_dns_and_tls_codes_only),
      cmocka_unit_test(test_xml_text_extracts_and_decodes_an_element),
      cmocka_unit_test(test_xml_text_fails_on_missing_or_unterminated_element),
      cmocka_unit_test(test_xml_text_stays_inside_the_given_length),
      cmocka_unit_test(test_xml_text_replaces_control_and_invalid_bytes),
      cmocka_unit_test(test_xml_text_truncates_to_the_output),
      cmocka_unit_test(test_url_host_takes_the_name_before_port_and_path),
      cmocka_unit_test(test_url_host_rejects_userinfo_literals_and_other_schemes),
      cmocka_unit_test(test_repo_targets_are_the_contract_ids_for_the_region),
      cmocka_unit_test(test_repo_target_rejects_bad_index_and_small_buffers),
      cmocka_unit_test(test_repo_403_from_the_endpoint_is_blocked),
      cmocka_unit_test(test_repo_connect_timeout_and_dns_failure_are_blocked),
      cmocka_unit_test(test_repo_content_is_not_blocked),
      cmocka_unit_test(test_repo_404_passed_the_policy_so_is_not_blocked),
      cmocka_unit_test(test_repo_tls_failure_warns_with_the_tls_code),
      cmocka_unit_test(test_repo_plain_retry_without_answer_keeps_the_tls_warning),
      cmocka_unit_test(test_repo_plain_retry_answered_403_is_blocked),
      cmocka_unit_test(test_repo_expected_reachable_403_is_an_endpoint_policy_denial),
      cmocka_unit_test(test_repo_deny_statement_names_every_repository_bucket),
      cmocka_unit_test(test_repo_names_per_partition),
      cmocka_unit_test(test_repo_plan_adds_the_five_contract_ids),
      cmocka_unit_test(test_repo_plan_honours_skip),
      cmocka_unit_test(test_egress_bare_pypi_host_fetches_the_simple_index),
      cmocka_unit_test(test_egress_bare_host_and_port_fetch_the_root),
      cmocka_unit_test(test_egress_url_target_is_fetched_as_given),
      cmocka_unit_test(test_egress_rejects_malformed_targets),
      cmocka_unit_test(test_egress_expect_any_passes_whatever_happened),
      cmocka_unit_test(test_egress_expected_reachable_without_dns_or_route_is_egress_blocked),
      cmocka_unit_test(test_egress_expected_reachable_interception_is_tls_untrusted),
      cmocka_unit_test(test_egress_expected_blocked_any_answer_or_interceptor_is_unexpected),
      cmocka_unit_test(test_egress_expected_blocked_failed_handshake_or_timeout_passes),
      cmocka_unit_test(test_egress_plan_probes_each_host_once),
      cmocka_unit_test(test_egress_plan_with_an_empty_list_probes_nothing),
      cmocka_unit_test(test_aws_services_map_to_interface_endpoint_names),
      cmocka_unit_test(test_aws_private_address_is_an_interface_endpoint),
      cmocka_unit_test(test_aws_no_connection_is_endpoint_unreachable),
      cmocka_unit_test(test_sts_caller_arn_is_reported),
      cmocka_unit_test(test_sts_rejected_token_is_creds_unavailable),
      cmocka_unit_test(test_sts_expired_signature_is_clock_skew),
      cmocka_unit_test(test_sts_signature_mismatch_is_a_wrong_secret_key),
      cmocka_unit_test(test_sts_other_answers_warn_without_a_code),
      cmocka_unit_test(test_aws_plan_flags_only_sts_as_needing_credentials),
      cmocka_unit_test(test_local_addresses_are_never_proxied),
      cmocka_unit_test(test_no_proxy_matches_as_the_sdks_do),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
