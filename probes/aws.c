/*
 * aws.c - the aws probe family: the AWS service endpoints a processing job
 * talks to besides S3 (sts, logs, monitoring, api.ecr, api.sagemaker) in its
 * region. Each is resolved (a private address means an interface endpoint
 * with private DNS), then connected to with TCP and TLS. When credentials
 * exist, the sts probe goes one step further and makes a signed
 * GetCallerIdentity, which proves credentials, endpoint and clock together
 * and names the caller; no key ever reaches the report.
 */
#include <cjson/cJSON.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "netcheck/aws.h"
#include "netcheck/common.h"
#include "netcheck/creds_probe.h"
#include "netcheck/engine.h"
#include "netcheck/outbound.h"
#include "netcheck/partition.h"
#include "netcheck/probe.h"
#include "netcheck/proxy.h"
#include "netcheck/xml.h"

#define AWS_STS_BODY "Action=GetCallerIdentity&Version=2011-06-15"
#define AWS_STS_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"
#define AWS_STS_BODY_CAP 16384
#define AWS_URL_MAX 320

/* Host label and the interface endpoint's service name (they differ for
 * the ".api" services). A probe's ctx points at its entry. */
struct aws_service {
  const char *name;
  const char *endpoint;
};

static const struct aws_service aws_services[AWS_SERVICE_COUNT] = {
    {"sts", "sts"},
    {"logs", "logs"},
    {"monitoring", "monitoring"},
    {"api.ecr", "ecr.api"},
    {"api.sagemaker", "sagemaker.api"},
};

/* STS error codes that mean the credentials themselves are not usable. */
static const char *const aws_sts_creds_errors[] = {
    "InvalidClientTokenId",        "ExpiredToken",       "ExpiredTokenException",
    "UnrecognizedClientException", "InvalidAccessKeyId", "MissingAuthenticationToken",
    "IncompleteSignature",         "InvalidToken",       "AuthFailure",
};

const char *aws_service_name(int i) {
  return i >= 0 && i < AWS_SERVICE_COUNT ? aws_services[i].name : NULL;
}

const char *aws_endpoint_service(const char *name) {
  for (int i = 0; i < AWS_SERVICE_COUNT; i++)
    if (!strcmp(aws_services[i].name, name))
      return aws_services[i].endpoint;
  return name;
}

const char *aws_endpoint_kind(const struct nc_addrs *addrs) {
  if (!addrs || addrs->n <= 0)
    return NULL;
  /* The first address is the one connected to. */
  return strcmp(resolve_addr_class(&addrs->a[0]), "inside_vpc") ? "public" : "interface";
}

void aws_sts_classify(long status, const char *body, size_t len, struct sts_answer *out) {
  memset(out, 0, sizeof *out);
  out->verdict = NC_VERDICT_WARN;
  out->code = NC_OK;
  if (!body)
    len = 0;
  if (status == 200) {
    if (!xml_text(body, len, "Arn", out->arn, sizeof out->arn) && out->arn[0]) {
      out->verdict = NC_VERDICT_PASS;
      xml_text(body, len, "Account", out->account, sizeof out->account);
    } else {
      nc_strlcpy(out->error_message, "the answer has no <Arn>: not STS?",
                 sizeof out->error_message);
    }
    return;
  }
  xml_text(body, len, "Code", out->error_code, sizeof out->error_code);
  xml_text(body, len, "Message", out->error_message, sizeof out->error_message);
  for (size_t i = 0; i < NC_ARRAY_LEN(aws_sts_creds_errors); i++)
    if (!strcmp(out->error_code, aws_sts_creds_errors[i])) {
      out->verdict = NC_VERDICT_FAIL;
      out->code = NC_CREDS_UNAVAILABLE;
      return;
    }
  if (!strcmp(out->error_code, "RequestExpired") ||
      ((!strcmp(out->error_code, "SignatureDoesNotMatch") ||
        !strcmp(out->error_code, "InvalidSignatureException")) &&
       (strstr(out->error_message, "Signature expired") ||
        strstr(out->error_message, "Signature not yet current")))) {
    out->verdict = NC_VERDICT_FAIL;
    out->code = NC_CLOCK_SKEW;
    return;
  }
  if (!strcmp(out->error_code, "SignatureDoesNotMatch") ||
      !strcmp(out->error_code, "InvalidSignatureException")) {
    /* The clock is fine: the secret key does not belong to the key ID. */
    out->verdict = NC_VERDICT_FAIL;
    out->code = NC_CREDS_UNAVAILABLE;
  }
  /* Anything else (AccessDenied from an endpoint policy, throttling, 5xx):
   * the endpoint works, the identity is unproven. */
}

/* ---- the probe ---- */

static void aws_remedy(struct probe *p, const struct outbound_judgement *j, const char *kind,
                       const struct outbound_obs *o, const struct sts_answer *sts) {
  char svc[128], dns_advice[512] = "";
  enum nc_code fix = j->code;
  const char *variant = NULL, *addr = "";
  /* com.amazonaws.REGION.SERVICE, cn.com.amazonaws.REGION.SERVICE in China */
  partition_endpoint_service(((const struct aws_service *)p->ctx)->endpoint, p->cfg->region, svc,
                             sizeof svc);
  switch (j->code) {
  case NC_AWS_ENDPOINT_UNREACHABLE:
    if (kind && !strcmp(kind, "interface")) {
      variant = "inside_vpc";
      addr = o->addrs->a[0].text;
    }
    break;
  case NC_DNS_NXDOMAIN:
  case NC_DNS_SERVFAIL:
  case NC_DNS_REFUSED:
  case NC_DNS_TIMEOUT:
  case NC_DNS_NO_RESOLVER: /* the DNS fix, then what an interface endpoint changes */
    diag_fix(dns_advice, sizeof dns_advice, j->code, NULL, NULL);
    fix = NC_AWS_ENDPOINT_UNREACHABLE;
    variant = "dns";
    break;
  case NC_EGRESS_UNEXPECTED:
  case NC_CREDS_UNAVAILABLE:
  case NC_CLOCK_SKEW:
    variant = j->code == NC_EGRESS_UNEXPECTED ? "aws" : "sts";
    break;
  default:
    if (!outbound_transport_code(j->code))
      return;
    break;
  }
  probe_fix(p, fix, variant,
            DIAG_FACTS({"host", p->target}, {"address", addr}, {"service", svc},
                       {"dns_advice", dns_advice},
                       {"error", sts && sts->error_code[0] ? sts->error_code : "no reason given"}));
}

/* The signed GetCallerIdentity answered: judge the identity, not the path. */
static void aws_finish_sts(struct probe *p, const struct outbound_obs *o, const char *kind) {
  const struct http_resp *r = o->resp;
  struct sts_answer a;
  struct outbound_judgement j;
  cJSON *d = probe_details(p);
  aws_sts_classify(o->status, r ? r->body : NULL, r ? r->body_len : 0, &a);
  if (a.arn[0])
    cJSON_AddStringToObject(d, "caller_arn", a.arn);
  if (a.account[0])
    cJSON_AddStringToObject(d, "account", a.account);
  if (a.error_code[0])
    cJSON_AddStringToObject(d, "sts_error", a.error_code);
  if (a.error_message[0])
    cJSON_AddStringToObject(d, "sts_message", a.error_message);
  if (p->expect == NC_EXPECT_ANY && a.verdict != NC_VERDICT_PASS) {
    a.verdict = NC_VERDICT_PASS; /* report only */
    a.code = NC_OK;
  }
  j.verdict = a.verdict;
  j.code = a.code;
  if (a.verdict == NC_VERDICT_PASS && a.arn[0])
    probe_finish(p, a.verdict, a.code, o->outcome,
                 "STS GetCallerIdentity through the %s endpoint succeeded as %s: credentials, "
                 "endpoint and clock work",
                 kind ? kind : "?", a.arn);
  else if (a.code == NC_CLOCK_SKEW)
    probe_finish(p, a.verdict, a.code, o->outcome,
                 "STS refused the signed request as expired (%s): the container clock is off",
                 a.error_code);
  else if (a.code == NC_CREDS_UNAVAILABLE)
    probe_finish(p, a.verdict, a.code, o->outcome,
                 "STS answered HTTP %ld %s: the credentials are not usable", o->status,
                 a.error_code);
  else
    probe_finish(p, a.verdict, a.code, o->outcome,
                 "STS answered HTTP %ld%s%s but did not confirm the caller%s%s: the endpoint "
                 "works, the identity is unproven",
                 o->status, a.error_code[0] ? " " : "", a.error_code,
                 a.error_message[0] ? ": " : "", a.error_message);
  if (j.verdict != NC_VERDICT_PASS)
    aws_remedy(p, &j, kind, o, &a);
}

static void aws_on_result(struct probe *p, const struct outbound_obs *o, void *arg) {
  const struct aws_service *svc = p->ctx;
  const char *kind = o->resp && o->resp->proxy[0] ? "proxy" : aws_endpoint_kind(o->addrs);
  struct outbound_judgement j;
  char what[384];
  (void)arg;
  if (kind)
    cJSON_AddStringToObject(probe_details(p), "endpoint", kind);
  outbound_judge(p, o, NC_OK, NC_AWS_ENDPOINT_UNREACHABLE, &j);
  if (j.verdict == NC_VERDICT_PASS && o->stage == OUTBOUND_ANSWERED &&
      p->expect != NC_EXPECT_BLOCKED) {
    aws_finish_sts(p, o, kind);
    return;
  }
  outbound_describe(o, p->target, what, sizeof what);
  if (outbound_usable(o))
    probe_finish(p, j.verdict, j.code, o->outcome, "%s: the %s endpoint is %s%s", what, svc->name,
                 kind && !strcmp(kind, "interface") ? "an interface endpoint in the VPC"
                 : kind && !strcmp(kind, "proxy")   ? "reached through the proxy"
                                                    : "public (reached through a NAT or proxy)",
                 (p->ops->flags & NC_PROBE_NEEDS_CREDS) ? "; no credentials, identity not checked"
                                                        : "");
  else
    probe_finish(p, j.verdict, j.code, o->outcome, "%s: the job cannot use %s", what, svc->name);
  if (j.verdict != NC_VERDICT_PASS)
    aws_remedy(p, &j, kind, o, NULL);
}

/* POST GetCallerIdentity, signed with c. The session token only passes
 * through buffers wiped here and the engine's own copy. */
static int aws_sts_send(struct probe *p, const char *url, const struct aws_creds *c) {
  struct sigv4_header sh[] = {{"Host", p->target}, {"Content-Type", AWS_STS_CONTENT_TYPE}};
  struct sigv4_request sr;
  struct sigv4_signed sig;
  struct http_req rq;
  struct sigv4_lines sl;
  int n = 0, rc = -1;
  memset(&sr, 0, sizeof sr);
  memset(&sig, 0, sizeof sig);
  memset(&rq, 0, sizeof rq);
  memset(&sl, 0, sizeof sl);
  sr.method = "POST";
  sr.path = "/";
  sr.query = "";
  sr.headers = sh;
  sr.n_headers = NC_ARRAY_LEN(sh);
  sr.payload = AWS_STS_BODY;
  sr.payload_len = strlen(AWS_STS_BODY);
  sr.region = p->cfg->region;
  sr.service = "sts";
  sr.now = time(NULL);
  if (sigv4_sign(&sr, c, &sig))
    goto done;
  rq.method = "POST";
  rq.url = url;
  rq.body = AWS_STS_BODY;
  rq.body_len = strlen(AWS_STS_BODY);
  rq.body_cap = AWS_STS_BODY_CAP;
  rq.headers[n++] = "Content-Type: " AWS_STS_CONTENT_TYPE;
  if (sigv4_header_lines(&sig, c, false, &sl))
    goto done;
  for (int i = 0; sl.lines[i]; i++)
    rq.headers[n++] = sl.lines[i];
  rq.headers[n] = NULL;
  rc = outbound_fetch(p, &rq, NC_AWS_ENDPOINT_UNREACHABLE, aws_on_result, NULL);
done:
  explicit_bzero(&sl, sizeof sl);
  sigv4_signed_free(&sig);
  return rc;
}

static int aws_start(struct probe *p) {
  const struct aws_creds *c =
      (p->ops->flags & NC_PROBE_NEEDS_CREDS) ? creds_probe_found(p->plan) : NULL;
  char url[AWS_URL_MAX];
  struct http_req rq;
  if (nc_snprintf(url, sizeof url, "https://%s/", p->target))
    return -1;
  if (c)
    return aws_sts_send(p, url, c);
  memset(&rq, 0, sizeof rq);
  rq.method = "GET";
  rq.url = url;
  rq.connect_only = true;
  return outbound_fetch(p, &rq, NC_AWS_ENDPOINT_UNREACHABLE, aws_on_result, NULL);
}

const struct probe_family aws_family;

static const struct probe_ops aws_ops = {
    .family = &aws_family,
    .flags = 0,
    .start = aws_start,
    .on_timeout = outbound_on_timeout,
    .cleanup = outbound_cleanup,
};

/* Same probe; waits for the credentials so that it can sign. */
static const struct probe_ops aws_sts_ops = {
    .family = &aws_family,
    .flags = NC_PROBE_NEEDS_CREDS,
    .start = aws_start,
    .on_timeout = outbound_on_timeout,
    .cleanup = outbound_cleanup,
};

static int aws_plan(struct plan *pl, const struct nc_config *cfg) {
  char id[64], target[AWS_URL_MAX], url[AWS_URL_MAX + 16];
  for (int i = 0; i < AWS_SERVICE_COUNT; i++) {
    const struct aws_service *svc = &aws_services[i];
    nc_snprintf(id, sizeof id, "aws:%s", svc->name);
    /* The name the SDKs use: the partition's suffix, the FIPS name when asked. */
    if (partition_service_host(svc->name, cfg->region, cfg->fips, target, sizeof target))
      return -1;
    nc_snprintf(url, sizeof url, "https://%s/", target);
    /* Only what the job uses fails it: its code may never call these. */
    struct probe_spec spec = {.id = id,
                              .target = target,
                              .name = proxy_for_url(url, NULL, 0) ? NULL : target,
                              .key = svc->name,
                              .tier = NC_TIER_INFORMATIONAL,
                              .expect = NC_EXPECT_REACHABLE,
                              .ctx = (void *)svc};
    if (!plan_add(pl, cfg, strcmp(svc->name, "sts") ? &aws_ops : &aws_sts_ops, &spec))
      return -1;
  }
  return 0;
}

const struct probe_family aws_family = {
    .name = "aws",
    .help = "sts, logs, monitoring, api.ecr, api.sagemaker: DNS, TCP, TLS; STS GetCallerIdentity",
    .tier = NC_TIER_INFORMATIONAL,
    .expect = NC_EXPECT_REACHABLE,
    .plan = aws_plan,
};
