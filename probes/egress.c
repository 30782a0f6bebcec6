/*
 * egress.c - the egress probe family: can the job reach the internet? One
 * HTTPS GET per configured public target (default PyPI's simple index, what
 * pip fetches first). Any HTTP status proves a way out (NAT gateway, internet
 * gateway or proxy); no DNS answer or no connection means none. Report only
 * by default; "reachable" or "blocked" from --config makes it an expectation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netcheck/common.h"
#include "netcheck/outbound.h"
#include "netcheck/probe.h"
#include "netcheck/proxy.h"

#define EGRESS_BODY_CAP 4096 /* only the status matters */
#define EGRESS_URL_MAX 1024

/* Paths worth asking a bare host for: what the workload's tools fetch. */
static const struct {
  const char *host;
  const char *path;
} egress_known_paths[] = {
    {"pypi.org", "/simple/"}, /* EGRESS_DEFAULT_URL */
};

static bool egress_valid_host(const char *h, size_t n) {
  if (n == 0 || n >= NC_HOST_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = h[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.' || c == '_'))
      return false;
  }
  return true;
}

int egress_parse_target(const char *target, char *host, size_t hostlen, char *url, size_t urllen) {
  const char *path = "/";
  size_t n;
  if (strstr(target, "://")) {
    const char *rest;
    if (outbound_url_host(target, host, hostlen))
      return -1;
    rest = strstr(target, "://") + 3 + strlen(host);
    if (*rest == ':') { /* a port: digits only */
      size_t d = strspn(rest + 1, "0123456789");
      if (d == 0 || d > 5 || (rest[1 + d] && rest[1 + d] != '/'))
        return -1;
    } else if (*rest && *rest != '/') {
      return -1; /* a query or fragment without a path */
    }
    for (const char *c = target; *c; c++)
      if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
        return -1;
    /* The scheme in lower case (the engine matches it so); "https://host"
     * alone gets the root path. */
    return nc_snprintf(url, urllen, "%s%s%s",
                       strncasecmp(target, "https://", 8) ? "http://" : "https://",
                       strstr(target, "://") + 3, *rest ? "" : "/")
               ? -1
               : 0;
  }
  /* "host" or "host:port": HTTPS, and the path the workload would fetch. */
  n = strcspn(target, ":");
  if (!egress_valid_host(target, n) || n >= hostlen)
    return -1;
  memcpy(host, target, n);
  host[n] = '\0';
  if (target[n] == ':') {
    size_t d = strspn(target + n + 1, "0123456789");
    if (d == 0 || d > 5 || target[n + 1 + d])
      return -1;
  }
  for (size_t i = 0; i < NC_ARRAY_LEN(egress_known_paths); i++)
    if (!strcasecmp(host, egress_known_paths[i].host))
      path = egress_known_paths[i].path;
  return nc_snprintf(url, urllen, "https://%s%s", target, path) ? -1 : 0;
}

static void egress_remedy(struct probe *p, const struct outbound_obs *o,
                          const struct outbound_judgement *j, const char *host) {
  char dns_advice[512] = "";
  if (j->code == NC_EGRESS_BLOCKED && o->stage == OUTBOUND_DNS_FAILED &&
      outbound_transport_code(o->code)) { /* the DNS fix too, after a space */
    dns_advice[0] = ' ';
    diag_fix(dns_advice + 1, sizeof dns_advice - 1, o->code, NULL, NULL);
  }
  if (j->code != NC_EGRESS_BLOCKED && j->code != NC_EGRESS_UNEXPECTED &&
      !outbound_transport_code(j->code))
    return;
  probe_fix(p, j->code, NULL, DIAG_FACTS({"host", host}, {"dns_advice", dns_advice}));
}

/* p->ctx: the target's host name, and its URL whole (the report's target is
 * the URL as shown, redacted). */
struct egress_ctx {
  char host[NC_HOST_MAX];
  char url[EGRESS_URL_MAX];
};

static void egress_on_result(struct probe *p, const struct outbound_obs *o, void *arg) {
  struct outbound_judgement j;
  char what[384];
  const struct egress_ctx *ctx = p->ctx;
  const char *host = ctx->host;
  const char *meaning;
  (void)arg;
  outbound_judge(p, o, NC_EGRESS_BLOCKED, NC_EGRESS_BLOCKED, &j);
  if (o->stage == OUTBOUND_TLS_FAILED && o->code == NC_TLS_UNTRUSTED)
    meaning = "something on the way out intercepts TLS (a proxy or firewall with its own CA)";
  else if (outbound_usable(o))
    meaning = "this subnet reaches the internet (a NAT gateway, internet gateway or proxy)";
  else if (o->code == NC_TIMEOUT_BUDGET)
    meaning = "the internet was not reached in time";
  else if (o->stage == OUTBOUND_DNS_FAILED)
    meaning = "the job cannot reach it by name";
  else
    meaning = "this subnet has no way to the internet";
  outbound_describe(o, host, what, sizeof what);
  probe_finish(p, j.verdict, j.code, o->outcome, "%s: %s", what, meaning);
  if (j.verdict != NC_VERDICT_PASS)
    egress_remedy(p, o, &j, host);
}

static int egress_start(struct probe *p) {
  struct http_req rq;
  memset(&rq, 0, sizeof rq);
  rq.method = "GET";
  rq.url = ((const struct egress_ctx *)p->ctx)->url;
  rq.body_cap = EGRESS_BODY_CAP;
  return outbound_fetch(p, &rq, NC_EGRESS_BLOCKED, egress_on_result, NULL);
}

const struct probe_family egress_family;

static const struct probe_ops egress_ops = {
    .family = &egress_family,
    .flags = 0,
    .start = egress_start,
    .on_timeout = outbound_on_timeout,
    .cleanup = outbound_cleanup,
};

static int egress_plan(struct plan *pl, const struct nc_config *cfg) {
  char host[NC_HOST_MAX], url[EGRESS_URL_MAX], shown[EGRESS_URL_MAX], id[320];
  /* config_load starts the list with pypi.org; an empty list means none. */
  for (int i = 0; i < cfg->n_egress_targets && i < NC_MAX_TARGETS; i++) {
    const char *t = cfg->egress_targets[i];
    bool dup = false;
    struct egress_ctx *ctx;
    if (egress_parse_target(t, host, sizeof host, url, sizeof url)) {
      nc_redact_url(t, shown, sizeof shown);
      NC_WARN("egress: target \"%.64s\" is not a host or an http(s) URL; not probed", shown);
      continue;
    }
    /* The report, the plan and the log show the URL without a password or
     * a query; the request uses it whole. */
    nc_redact_url(url, shown, sizeof shown);
    nc_snprintf(id, sizeof id, "egress:%s", host);
    for (const struct probe *q = pl->head; q; q = q->next)
      dup = dup || !strcasecmp(q->id, id);
    if (dup) {
      NC_WARN("egress: %s is listed twice; probed once", host);
      continue;
    }
    if (!(ctx = calloc(1, sizeof *ctx)))
      return -1;
    nc_strlcpy(ctx->host, host, sizeof ctx->host);
    nc_strlcpy(ctx->url, url, sizeof ctx->url);
    /* A fact unless the job says it needs (or must not have) the internet. */
    struct probe_spec spec = {.id = id,
                              .target = shown,
                              .name = proxy_for_url(url, NULL, 0) ? NULL : host,
                              .tier = NC_TIER_INFORMATIONAL,
                              .expect = NC_EXPECT_REACHABLE,
                              .ctx = ctx,
                              .ctx_free = free};
    if (!plan_add(pl, cfg, &egress_ops, &spec))
      return -1;
  }
  return 0;
}

const struct probe_family egress_family = {
    .name = "egress",
    .help =
        "HTTPS to public targets (default pypi.org), directly or through the environment's proxy",
    .tier = NC_TIER_INFORMATIONAL,
    .expect = NC_EXPECT_REACHABLE,
    .plan = egress_plan,
};
