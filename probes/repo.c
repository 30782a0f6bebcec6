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
#include "netcheck/partition.h"
#include "netcheck/probe.h"
#include "netcheck/proxy.h"
#include "netcheck/xml.h"

#define REPO_BODY_CAP 8192 /* a mirror.list is a few lines */
#define REPO_URL_MAX 512

/* A repository: its probe id, mirror-list URL and bucket as partition_expand
 * templates ({r} region, {s} the partition's DNS suffix, {p} its name). */
struct repo_def {
  const char *id;
  const char *url;
  const char *bucket;
  const char *generation;
  bool host_scheme; /* REPO.REGION.SUFFIX, the yum $awsregion.$awsdomain scheme: known in
                       every partition with NC_REPOS_HOSTS; the S3 bucket names only in aws */
};

/* The packages.REGION path is a repository of the last AL1 release as its
 * mirror.list names it: an object that exists, so that a bucket without
 * anonymous ListBucket cannot answer 403 for a missing key and pass as
 * "blocked". */
static const struct repo_def repo_defs[REPO_TARGET_COUNT] = {
    {"repo:repo.{r}.{s}", "https://repo.{r}.{s}/latest/main/mirror.list", "repo.{r}.{s}",
     "Amazon Linux AMI (AL1)", true},
    {"repo:packages.{r}.{s}",
     "https://packages.{r}.{s}/2018.03/updates/c539f2128d87/x86_64/repodata/repomd.xml",
     "packages.{r}.{s}", "Amazon Linux AMI (AL1)", true},
    {"repo:amazonlinux.{r}.{s}", "https://amazonlinux.{r}.{s}/2/core/latest/x86_64/mirror.list",
     "amazonlinux.{r}.{s}", "Amazon Linux 2", true},
    {"repo:amazonlinux-2-repos-{r}",
     "https://amazonlinux-2-repos-{r}.s3.{r}.{s}/2/core/latest/x86_64/mirror.list",
     "amazonlinux-2-repos-{r}", "Amazon Linux 2", false},
    {"repo:al2023-repos-{r}-de612dc2",
     "https://al2023-repos-{r}-de612dc2.s3.{r}.{s}/core/mirrors/latest/x86_64/mirror.list",
     "al2023-repos-{r}-de612dc2", "Amazon Linux 2023", false},
};

/* Every repository bucket, wildcarded over regions. The AWS example policy
 * names only the first three; AL2 and AL2023 moved to the last two. */
static const char *const repo_deny_arns[] = {
    "arn:{p}:s3:::packages.*.{s}/*",    "arn:{p}:s3:::repo.*.{s}/*",
    "arn:{p}:s3:::amazonlinux.*.{s}/*", "arn:{p}:s3:::amazonlinux-2-repos-*/*",
    "arn:{p}:s3:::al2023-repos-*/*",
};

bool repo_target_known(int i, const char *region) {
  enum nc_repo_names known = partition_of_region(region)->repos;
  if (i < 0 || i >= REPO_TARGET_COUNT)
    return false;
  return known == NC_REPOS_ALL || (known == NC_REPOS_HOSTS && repo_defs[i].host_scheme);
}

int repo_target(int i, const char *region, char *id, size_t idlen, char *url, size_t urllen,
                char *bucket, size_t bucketlen) {
  if (i < 0 || i >= REPO_TARGET_COUNT)
    return -1;
  if (partition_expand(repo_defs[i].id, NULL, region, id, idlen) ||
      partition_expand(repo_defs[i].url, NULL, region, url, urllen) ||
      partition_expand(repo_defs[i].bucket, NULL, region, bucket, bucketlen))
    return -1;
  return 0;
}

int repo_deny_statement(const char *region, char *out, size_t len) {
  size_t n;
  if (nc_snprintf(out, len,
                  "{\"Sid\":\"DenyAmazonLinuxRepositories\",\"Effect\":\"Deny\","
                  "\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":["))
    return -1;
  for (size_t i = 0; i < NC_ARRAY_LEN(repo_deny_arns); i++) {
    char arn[128];
    n = strlen(out);
    if (partition_expand(repo_deny_arns[i], NULL, region, arn, sizeof arn) ||
        nc_snprintf(out + n, len - n, "%s\"%s\"", i ? "," : "", arn))
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
  char deny[768] = "", svc[96] = "";
  const char *variant = "repo";
  switch (j->code) {
  case NC_REPO_NOT_BLOCKED:
    if (repo_deny_statement(p->cfg->region, deny, sizeof deny))
      deny[0] = '\0';
    variant = NULL;
    break;
  case NC_S3_DENIED_ENDPOINT_POLICY:
    break;
  case NC_S3_NO_ROUTE:
    partition_endpoint_service("s3", p->cfg->region, svc, sizeof svc);
    break;
  default:
    if (!outbound_transport_code(j->code))
      return;
    variant = NULL;
    break;
  }
  probe_fix(p, j->code, variant,
            DIAG_FACTS({"statement", deny}, {"bucket", bucket},
                       {"partition", partition_of_region(p->cfg->region)->name}, {"service", svc}));
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
      !xml_text(r->body, r->body_len, "Code", s3code, sizeof s3code))
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

/* The partition has repositories netcheck knows no names for: one probe
 * says so plainly instead of guessing names (its ctx is the text). */
static int repo_unknown_start(struct probe *p) {
  probe_finish(p, NC_VERDICT_SKIP, NC_OK, "no_known_names", "%s", (const char *)p->ctx);
  return 0;
}

const struct probe_family repo_family;

static const struct probe_ops repo_ops = {
    .family = &repo_family,
    .flags = 0,
    .start = repo_start,
    .on_timeout = outbound_on_timeout,
    .cleanup = outbound_cleanup,
};

static const struct probe_ops repo_unknown_ops = {
    .family = &repo_family,
    .flags = NC_PROBE_LOCAL,
    .start = repo_unknown_start,
};

static int repo_plan_unknown(struct plan *pl, const struct nc_config *cfg, int known) {
  const struct nc_partition *part = partition_of_region(cfg->region);
  char id[64], text[320];
  nc_snprintf(id, sizeof id, "repo:%s", part->name);
  if (known == 0)
    nc_snprintf(text, sizeof text,
                "no Amazon Linux repository names are known in partition %s (region %s): not "
                "checked; netcheck knows them for aws, and the AL1 and AL2 repository hosts for "
                "aws-cn and aws-us-gov",
                part->name, cfg->region);
  else
    nc_snprintf(text, sizeof text,
                "the S3 buckets of the Amazon Linux 2 and 2023 repositories "
                "(amazonlinux-2-repos-REGION, al2023-repos-REGION-...) have no known names in "
                "partition %s: only the repository hosts were checked",
                part->name);
  char *ctx = strdup(text);
  if (!ctx)
    return -1;
  struct probe_spec spec = {.id = id,
                            .target = part->name,
                            .tier = NC_TIER_POLICY,
                            .expect = NC_EXPECT_BLOCKED,
                            .ctx = ctx,
                            .ctx_free = free};
  return plan_add(pl, cfg, &repo_unknown_ops, &spec) ? 0 : -1;
}

static int repo_plan(struct plan *pl, const struct nc_config *cfg) {
  char id[320], url[REPO_URL_MAX], host[256];
  int known = 0;
  for (int i = 0; i < REPO_TARGET_COUNT; i++) {
    struct repo_target *t;
    if (!repo_target_known(i, cfg->region))
      continue;
    known++;
    t = calloc(1, sizeof *t);
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
  return known < REPO_TARGET_COUNT ? repo_plan_unknown(pl, cfg, known) : 0;
}

const struct probe_family repo_family = {
    .name = "repo",
    .help = "Amazon Linux 1/2/2023 mirror lists through the S3 endpoint (blocked recommended)",
    .tier = NC_TIER_POLICY,
    .expect = NC_EXPECT_BLOCKED,
    .plan = repo_plan,
};
