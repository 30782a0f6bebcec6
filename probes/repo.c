/*
 * repo.c - the repo probe family: can the job download Amazon Linux packages
 * through the S3 endpoint? One anonymous GET (as yum and dnf make) per
 * repository bucket of every Amazon Linux generation: AL1 (repo.REGION and
 * packages.REGION), AL2 (amazonlinux.REGION and amazonlinux-2-repos-REGION)
 * and AL2023 (al2023-repos-REGION-de612dc2). Expected blocked: an endpoint
 * policy that denies them answers 403; any other HTTP answer, even a 404,
 * means the request passed the policy.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netcheck/common.h"
#include "netcheck/outbound.h"
#include "netcheck/probe.h"
#include "netcheck/proxy.h"

#define REPO_BODY_CAP 8192 /* a mirror.list is a few lines */
#define REPO_URL_MAX 512
#define REPO_REGION_TOKEN "{region}"

struct repo_def {
  const char *id;
  const char *url;
  const char *bucket;
  const char *generation;
};

/* The packages.REGION path is a repository of the last AL1 release as its
 * mirror.list names it: an object that exists, so that a bucket without
 * anonymous ListBucket cannot answer 403 for a missing key and pass as
 * "blocked". */
static const struct repo_def repo_defs[REPO_TARGET_COUNT] = {
    {"repo:repo.{region}.amazonaws.com",
     "https://repo.{region}.amazonaws.com/latest/main/mirror.list", "repo.{region}.amazonaws.com",
     "Amazon Linux AMI (AL1)"},
    {"repo:packages.{region}.amazonaws.com",
     "https://packages.{region}.amazonaws.com/2018.03/updates/c539f2128d87/x86_64/repodata/"
     "repomd.xml",
     "packages.{region}.amazonaws.com", "Amazon Linux AMI (AL1)"},
    {"repo:amazonlinux.{region}.amazonaws.com",
     "https://amazonlinux.{region}.amazonaws.com/2/core/latest/x86_64/mirror.list",
     "amazonlinux.{region}.amazonaws.com", "Amazon Linux 2"},
    {"repo:amazonlinux-2-repos-{region}",
     "https://amazonlinux-2-repos-{region}.s3.{region}.amazonaws.com/2/core/latest/x86_64/"
     "mirror.list",
     "amazonlinux-2-repos-{region}", "Amazon Linux 2"},
    {"repo:al2023-repos-{region}-de612dc2",
     "https://al2023-repos-{region}-de612dc2.s3.{region}.amazonaws.com/core/mirrors/latest/"
     "x86_64/mirror.list",
     "al2023-repos-{region}-de612dc2", "Amazon Linux 2023"},
};

/* Every repository bucket, wildcarded over regions. The AWS example policy
 * names only the first three; AL2 and AL2023 moved to the last two. */
static const char *const repo_deny_arns[] = {
    "arn:aws:s3:::packages.*.amazonaws.com/*",
    "arn:aws:s3:::repo.*.amazonaws.com/*",
    "arn:aws:s3:::amazonlinux.*.amazonaws.com/*",
    "arn:aws:s3:::amazonlinux-2-repos-*/*",
    "arn:aws:s3:::al2023-repos-*/*",
};

/* Copies tmpl with every {region} replaced; 0, or -1 when out is too small. */
static int repo_expand(const char *tmpl, const char *region, char *out, size_t len) {
  size_t n = 0, tl = strlen(REPO_REGION_TOKEN), rl = strlen(region);
  while (*tmpl) {
    const char *piece = tmpl;
    size_t pl = 1;
    if (!strncmp(tmpl, REPO_REGION_TOKEN, tl)) {
      piece = region;
      pl = rl;
      tmpl += tl;
    } else {
      tmpl++;
    }
    if (n + pl >= len)
      return -1;
    memcpy(out + n, piece, pl);
    n += pl;
  }
  if (n >= len)
    return -1;
  out[n] = '\0';
  return 0;
}

int repo_target(int i, const char *region, char *id, size_t idlen, char *url, size_t urllen,
                char *bucket, size_t bucketlen) {
  if (i < 0 || i >= REPO_TARGET_COUNT)
    return -1;
  if (repo_expand(repo_defs[i].id, region, id, idlen) ||
      repo_expand(repo_defs[i].url, region, url, urllen) ||
      repo_expand(repo_defs[i].bucket, region, bucket, bucketlen))
    return -1;
  return 0;
}

int repo_deny_statement(char *out, size_t len) {
  size_t n;
  if (nc_snprintf(out, len,
                  "{\"Sid\":\"DenyAmazonLinuxRepositories\",\"Effect\":\"Deny\","
                  "\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":["))
    return -1;
  for (size_t i = 0; i < NC_ARRAY_LEN(repo_deny_arns); i++) {
    n = strlen(out);
    if (nc_snprintf(out + n, len - n, "%s\"%s\"", i ? "," : "", repo_deny_arns[i]))
      return -1;
  }
  n = strlen(out);
  return nc_snprintf(out + n, len - n, "]}") ? -1 : 0;
}

static bool repo_is_tls(enum nc_code code) {
  return code == NC_TLS_UNTRUSTED || code == NC_TLS_HANDSHAKE;
}

void repo_judge(const struct probe *p, const struct outbound_obs *o, struct outbound_judgement *j) {
  bool no_answer = o->stage == OUTBOUND_DNS_FAILED || o->stage == OUTBOUND_NO_CONNECT;
  bool blocked;
  /* TLS failed (and the plain-HTTP retry got no answer either): the server
   * is there but the policy was never asked, so nothing can be said. */
  if (o->stage == OUTBOUND_TLS_FAILED || (no_answer && repo_is_tls(o->prior))) {
    j->verdict = p->expect == NC_EXPECT_ANY ? NC_VERDICT_PASS : NC_VERDICT_WARN;
    j->code = p->expect == NC_EXPECT_ANY        ? NC_OK
              : o->stage == OUTBOUND_TLS_FAILED ? o->code
                                                : o->prior;
    return;
  }
  blocked = no_answer || (o->stage == OUTBOUND_ANSWERED && o->status == 403);
  j->verdict = probe_judge(p, !blocked);
  if (j->verdict == NC_VERDICT_PASS)
    j->code = NC_OK;
  else if (p->expect == NC_EXPECT_BLOCKED)
    j->code = NC_REPO_NOT_BLOCKED;
  else if (o->stage == OUTBOUND_ANSWERED)
    j->code = NC_S3_DENIED_ENDPOINT_POLICY;
  else
    j->code = o->code;
}

/* ---- the probe ---- */

static void repo_on_result(struct probe *p, const struct outbound_obs *o, void *arg);

static int repo_get(struct probe *p, const char *url) {
  struct http_req rq;
  memset(&rq, 0, sizeof rq);
  rq.method = "GET";
  rq.url = url;
  rq.body_cap = REPO_BODY_CAP;
  return outbound_fetch(p, &rq, NC_S3_NO_ROUTE, repo_on_result, NULL);
}

/* yum on AL1 fetched these over plain HTTP, and not every repository host
 * has a certificate for its name: when TLS fails, ask the policy over HTTP. */
static bool repo_retry_plain(struct probe *p, const struct outbound_obs *o) {
  char url[REPO_URL_MAX];
  if (o->stage != OUTBOUND_TLS_FAILED || o->prior != NC_OK || strncmp(p->target, "https://", 8) ||
      probe_remaining_ms(p) <= 0 || nc_snprintf(url, sizeof url, "http://%s", p->target + 8))
    return false;
  cJSON_AddStringToObject(probe_details(p), "https_outcome", o->outcome);
  if (o->resp && o->resp->error[0])
    cJSON_AddStringToObject(probe_details(p), "https_error", o->resp->error);
  return repo_get(p, url) == 0;
}

/* The wire outcome of the HTTPS attempt before the plain-HTTP retry. */
static const char *repo_https_outcome(struct probe *p, enum nc_code code) {
  const char *s =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p->details, "https_outcome"));
  return s ? s : diag_name(code);
}

static void repo_remedy(struct probe *p, const struct outbound_judgement *j, const char *bucket) {
  char deny[768];
  const char *advice = outbound_advice(j->code);
  switch (j->code) {
  case NC_REPO_NOT_BLOCKED:
    if (repo_deny_statement(deny, sizeof deny))
      deny[0] = '\0';
    probe_remediation(p,
                      "Add this statement to the S3 gateway endpoint's policy of the job's VPC "
                      "(the AWS example policy misses the amazonlinux-2-repos-* and "
                      "al2023-repos-* buckets of Amazon Linux 2 and 2023): %s",
                      deny);
    break;
  case NC_S3_DENIED_ENDPOINT_POLICY:
    probe_remediation(p,
                      "The S3 endpoint policy denies s3:GetObject on arn:aws:s3:::%s/*: remove "
                      "that Deny if this job must install Amazon Linux packages.",
                      bucket);
    break;
  case NC_S3_NO_ROUTE:
    probe_remediation(p,
                      "Add the S3 gateway endpoint (com.amazonaws.%s.s3) to the route table of "
                      "the job's subnets, and allow outbound TCP 443 to its prefix list in the "
                      "job's security group.",
                      p->cfg->region);
    break;
  default:
    if (advice)
      probe_remediation(p, "%s", advice);
    break;
  }
}

/* The probe's ctx: the repository and its bucket in the job's region. */
struct repo_target {
  const struct repo_def *def;
  char bucket[128];
};

static void repo_on_result(struct probe *p, const struct outbound_obs *o, void *arg) {
  const struct repo_target *t = p->ctx;
  char host[256], what[384], s3code[64];
  const char *generation = t->def->generation;
  const struct http_resp *r = o->resp;
  struct outbound_judgement j;
  cJSON *d;
  (void)arg;
  if (repo_retry_plain(p, o))
    return;
  d = probe_details(p);
  cJSON_AddStringToObject(d, "bucket", t->bucket);
  cJSON_AddStringToObject(d, "generation", generation);
  if (outbound_url_host(p->target, host, sizeof host))
    nc_strlcpy(host, p->target, sizeof host);
  s3code[0] = '\0';
  if (o->stage == OUTBOUND_ANSWERED && r && r->body &&
      !outbound_xml_text(r->body, r->body_len, "Code", s3code, sizeof s3code))
    cJSON_AddStringToObject(d, "s3_error", s3code);
  repo_judge(p, o, &j);
  outbound_describe(o, host, what, sizeof what);
  if (j.code == NC_REPO_NOT_BLOCKED)
    probe_finish(p, j.verdict, j.code, o->outcome,
                 "%s%s%s: the S3 endpoint lets the job download %s packages", what,
                 s3code[0] ? ", " : "", s3code, generation);
  else if (j.verdict == NC_VERDICT_WARN && o->stage != OUTBOUND_TLS_FAILED)
    /* The plain-HTTP retry got nowhere either: report the TLS failure. */
    probe_finish(p, j.verdict, j.code, repo_https_outcome(p, j.code),
                 "TLS to %s failed (%s) and plain HTTP got no answer (%s), so whether the "
                 "endpoint policy blocks the %s repository is unknown",
                 host, repo_https_outcome(p, j.code), o->outcome, generation);
  else if (j.verdict == NC_VERDICT_WARN)
    probe_finish(p, j.verdict, j.code, o->outcome,
                 "%s, so whether the endpoint policy blocks the %s repository is unknown", what,
                 generation);
  else if (o->stage == OUTBOUND_ANSWERED && o->status == 403)
    probe_finish(p, j.verdict, j.code, o->outcome, "%s%s%s: the %s repository is denied", what,
                 s3code[0] ? ", " : "", s3code, generation);
  else if (o->stage == OUTBOUND_ANSWERED)
    probe_finish(p, j.verdict, j.code, o->outcome, "%s%s%s: the %s repository is reachable", what,
                 s3code[0] ? ", " : "", s3code, generation);
  else
    probe_finish(p, j.verdict, j.code, o->outcome, "%s: the %s repository is unreachable", what,
                 generation);
  if (j.verdict != NC_VERDICT_PASS)
    repo_remedy(p, &j, t->bucket);
}

static int repo_start(struct probe *p) { return repo_get(p, p->target); }

const struct probe_family repo_family;

static const struct probe_ops repo_ops = {
    .family = &repo_family,
    .flags = 0,
    .start = repo_start,
    .on_timeout = outbound_on_timeout,
    .cleanup = outbound_cleanup,
};

static int repo_plan(struct plan *pl, const struct nc_config *cfg) {
  char id[320], url[REPO_URL_MAX], host[256];
  if (!cfg->region[0]) {
    NC_WARN("repo: no region; the repository probes are not run");
    return 0;
  }
  for (int i = 0; i < REPO_TARGET_COUNT; i++) {
    struct repo_target *t = calloc(1, sizeof *t);
    if (!t)
      return -1;
    t->def = &repo_defs[i];
    if (repo_target(i, cfg->region, id, sizeof id, url, sizeof url, t->bucket, sizeof t->bucket) ||
        outbound_url_host(url, host, sizeof host)) {
      free(t);
      return -1;
    }
    /* The SageMaker guide leaves this to the user: a warning by default. */
    struct probe_spec spec = {.id = id,
                              .target = url,
                              .name = proxy_for_url(url, NULL, 0) ? NULL : host,
                              .tier = NC_TIER_POLICY,
                              .expect = NC_EXPECT_BLOCKED,
                              .ctx = t,
                              .ctx_free = free};
    if (!plan_add(pl, cfg, &repo_ops, &spec))
      return -1;
  }
  return 0;
}

const struct probe_family repo_family = {
    .name = "repo",
    .help = "Amazon Linux 1/2/2023 mirror lists through the S3 endpoint (blocked recommended)",
    .tier = NC_TIER_POLICY,
    .expect = NC_EXPECT_BLOCKED,
    .plan = repo_plan,
};
