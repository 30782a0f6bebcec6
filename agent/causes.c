/*
 * causes.c - root causes of one host's or a whole job's failures: group,
 * localise, rank, and say each one in one line (see causes.h).
 *
 * Probes are grouped by what they have in common: their code (every DNS
 * code of one host is its resolver; S3 denials that name one bucket stay
 * per bucket), then the same group on several hosts is one cause. Peer
 * links are read as a matrix: hosts that never started first, then every
 * pair blocked, then subnets that a network ACL cuts off, then single hosts
 * that receive from or reach no peer, then path-MTU black holes, and what
 * is left grouped by code. All hosts of a job share its security groups,
 * so a pattern that involves one host or one subnet points at a network
 * ACL, and only "every pair blocked" at the security group.
 */
#include "netcheck/causes.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causes_int.h"
#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/utf8.h"

#define CS_DEFAULT_PORT 7191 /* the peer port when no probe says */

static const char *const pattern_names[CAUSE_PATTERN_COUNT] = {
    "probes",     "interrupted", "never_started", "no_report", "all_blocked", "subnets",
    "no_inbound", "no_outbound", "cut_off",       "pmtu",      "links"};

const char *causes_pattern_name(enum cause_pattern p) {
  return p < CAUSE_PATTERN_COUNT ? pattern_names[p] : "?";
}

const char *causes_str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

const cJSON *causes_detail(const cJSON *probe, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(probe, "details"), key);
}

void causes_init(struct causes *cs) { memset(cs, 0, sizeof(*cs)); }

void causes_free(struct causes *cs) {
  for (int i = 0; i < cs->n; i++) {
    free(cs->v[i].hosts);
    free(cs->v[i].probes);
    free(cs->v[i].links);
  }
  free(cs->v);
  causes_init(cs);
}

/* ---- building ---- */

/* Room for one more element of size sz in *v (capacity *cap); -1 when out
 * of memory. */
static int cs_grow(struct causes *cs, void **v, int *cap, int n, size_t sz) {
  void *nv;
  int ncap;
  if (n < *cap)
    return 0;
  ncap = *cap ? *cap * 2 : 8;
  nv = realloc(*v, (size_t)ncap * sz);
  if (!nv) {
    cs->oom = true;
    return -1;
  }
  *v = nv;
  *cap = ncap;
  return 0;
}

struct cause *cs_find(struct causes *cs, const char *key) {
  for (int i = 0; i < cs->n; i++)
    if (!strcmp(cs->v[i].key, key))
      return &cs->v[i];
  return NULL;
}

struct cause *cs_new(struct causes *cs, enum cause_pattern pattern, const char *code,
                     const char *key) {
  struct cause *c;
  if (cs_grow(cs, (void **)&cs->v, &cs->cap, cs->n, sizeof(*cs->v)))
    return NULL;
  c = &cs->v[cs->n++];
  memset(c, 0, sizeof(*c));
  c->pattern = pattern;
  c->code = code;
  nc_strlcpy(c->key, key, sizeof(c->key));
  return c;
}

void ca_host(struct causes *cs, struct cause *c, int h) {
  for (int i = 0; i < c->n_hosts; i++)
    if (c->hosts[i] == h)
      return;
  if (cs_grow(cs, (void **)&c->hosts, &c->cap_hosts, c->n_hosts, sizeof(int)) == 0)
    c->hosts[c->n_hosts++] = h;
}

void ca_probe(struct causes *cs, struct cause *c, int h, const cJSON *p) {
  if (cs_grow(cs, (void **)&c->probes, &c->cap_probes, c->n_probes, sizeof(*c->probes)) == 0)
    c->probes[c->n_probes++] = (struct cause_probe){h, p};
}

void ca_link(struct causes *cs, struct cause *c, int from, int to) {
  if (cs_grow(cs, (void **)&c->links, &c->cap_links, c->n_links, sizeof(*c->links)) == 0)
    c->links[c->n_links++] = (struct cause_link){from, to};
}

/* A failed or warned probe (pass, skip and info are not problems). */
bool cs_problem(const cJSON *p, bool *warn) {
  const char *v = causes_str(p, "verdict");
  *warn = !strcmp(v, "warn");
  return *warn || !strcmp(v, "fail");
}

bool causes_is_peer(const cJSON *p) {
  return !strcmp(causes_str(p, "kind"), "peer") || !strncmp(causes_str(p, "id"), "peer:", 5);
}

static bool cs_detail_is(const cJSON *p, const char *key, const char *word) {
  const cJSON *v = causes_detail(p, key);
  return cJSON_IsString(v) && !strcmp(v->valuestring, word);
}

static bool cs_dns_code(const char *code) { return !strncmp(code, "DNS_", 4); }

/* Codes whose cause is one target's own (one bucket's policy or region),
 * not something every target of the host shares (a route, a resolver). */
static bool cs_per_target(const char *code) {
  return !strcmp(code, "S3_DENIED") || !strcmp(code, "S3_NO_SUCH_BUCKET") ||
         !strcmp(code, "S3_WRONG_REGION") || !strcmp(code, "S3_WRITE_DENIED") ||
         !strcmp(code, "S3_WRITE_KMS_DENIED");
}

/* Adds one failed or warned probe of host h to the cause of its group. */
void cs_add_probe(struct causes *cs, int h, const cJSON *p, bool warn) {
  char key[sizeof(((struct cause *)0)->key)];
  const char *code = causes_str(p, "code");
  bool peer = causes_is_peer(p);
  struct cause *c;
  if (cs_dns_code(code) && !peer)
    nc_snprintf(key, sizeof(key), "%s|dns", warn ? "warn" : "fail");
  else if (cs_per_target(code))
    nc_snprintf(key, sizeof(key), "%s|%s|%s", warn ? "warn" : "fail", code,
                causes_str(p, "target"));
  else
    nc_snprintf(key, sizeof(key), "%s|%s%s", warn ? "warn" : "fail", code, peer ? "|peer" : "");
  c = cs_find(cs, key);
  if (!c) {
    c = cs_new(cs, peer ? CAUSE_LINKS : CAUSE_PROBES, code, key);
    if (!c)
      return;
    c->warn = warn;
  }
  ca_host(cs, c, h);
  ca_probe(cs, c, h, p);
}

/* Every failed or warned probe of host h but the peer probes (the caller
 * reads those by their pattern). */
void cs_add_probes(struct causes *cs, int h, const cJSON *probes) {
  const cJSON *p;
  cJSON_ArrayForEach(p, probes) {
    bool warn;
    if (cJSON_IsObject(p) && !causes_is_peer(p) && cs_problem(p, &warn))
      cs_add_probe(cs, h, p, warn);
  }
}

/* The code most of the cause's probes carry (ties: the first seen). */
static void cs_settle_code(struct cause *c) {
  const char *codes[16];
  int counts[16] = {0}, n = 0, best = -1;
  for (int i = 0; i < c->n_probes; i++) {
    const char *code = causes_str(c->probes[i].probe, "code");
    int k;
    for (k = 0; k < n && strcmp(codes[k], code) != 0; k++)
      ;
    if (k == n) {
      if (n == (int)NC_ARRAY_LEN(codes))
        continue;
      codes[n++] = code;
    }
    counts[k]++;
  }
  for (int k = 0; k < n; k++)
    if (best < 0 || counts[k] > counts[best])
      best = k;
  if (best >= 0)
    c->code = codes[best];
}

int cs_peer_port(const struct cause *c) {
  for (int i = 0; i < c->n_probes; i++) {
    const cJSON *port = causes_detail(c->probes[i].probe, "port");
    if (cJSON_IsNumber(port) && port->valuedouble > 0 && port->valuedouble < 65536)
      return (int)port->valuedouble;
  }
  return CS_DEFAULT_PORT;
}

/* ---- ranking ---- */

/* Most important first: a job configuration netcheck could not use (all
 * else is suspect), the run itself (stopped, isolated, no credentials),
 * what the job needs (DNS, S3, clock), the peers, hosts without a report,
 * then what the job may not use (policy and informational probes). */
enum cs_tier {
  CS_TIER_CONFIG,
  CS_TIER_RUN,
  CS_TIER_NEEDED,
  CS_TIER_PEERS,
  CS_TIER_MISSING,
  CS_TIER_OPTIONAL
};

static enum cs_tier cs_tier(const struct cause *c) {
  const char *code = c->code ? c->code : "";
  const char *tier = c->n_probes ? causes_str(c->probes[0].probe, "tier") : "";
  switch (c->pattern) {
  case CAUSE_INTERRUPTED:
    return CS_TIER_RUN;
  case CAUSE_NEVER_STARTED:
  case CAUSE_NO_REPORT:
    return CS_TIER_MISSING;
  case CAUSE_PROBES:
    break;
  default:
    return CS_TIER_PEERS;
  }
  if (!strcmp(code, "CONFIG_INVALID"))
    return CS_TIER_CONFIG;
  if (!strcmp(tier, "policy") || !strcmp(tier, "informational"))
    return CS_TIER_OPTIONAL;
  if (!strcmp(code, "NETWORK_ISOLATED") || !strcmp(code, "CREDS_UNAVAILABLE"))
    return CS_TIER_RUN;
  if (!strcmp(code, "AWS_ENDPOINT_UNREACHABLE") || !strncmp(code, "EGRESS_", 7) ||
      !strcmp(code, "REPO_NOT_BLOCKED") || !strcmp(code, "TIMEOUT_BUDGET"))
    return CS_TIER_OPTIONAL;
  return CS_TIER_NEEDED;
}

static int cs_rank_cmp(const void *pa, const void *pb) {
  const struct cause *a = pa, *b = pb;
  int ta = cs_tier(a), tb = cs_tier(b), wa = a->n_probes + a->n_links,
      wb = b->n_probes + b->n_links;
  if (a->warn != b->warn)
    return a->warn ? 1 : -1;
  if (ta != tb)
    return ta < tb ? -1 : 1;
  if (ta == CS_TIER_PEERS && wa != wb) /* peer patterns: the one behind more links first */
    return wa > wb ? -1 : 1;
  if (a->n_hosts != b->n_hosts)
    return a->n_hosts > b->n_hosts ? -1 : 1;
  if (wa != wb)
    return wa > wb ? -1 : 1;
  return strcmp(a->key, b->key);
}

static int cs_int_cmp(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

void cs_finish(struct causes *cs) {
  for (int i = 0; i < cs->n; i++) {
    struct cause *c = &cs->v[i];
    if (c->pattern == CAUSE_PROBES || (c->pattern == CAUSE_LINKS && c->n_links == 0))
      cs_settle_code(c);
    if (c->n_hosts > 1)
      qsort(c->hosts, (size_t)c->n_hosts, sizeof(int), cs_int_cmp);
  }
  if (cs->n > 1)
    qsort(cs->v, (size_t)cs->n, sizeof(*cs->v), cs_rank_cmp);
}

/* ---- one host's own view ---- */

enum cs_dir { CS_DIR_IN, CS_DIR_OUT, CS_DIR_BOTH };

static const char *cs_dir_word(enum cs_dir d) {
  return d == CS_DIR_IN ? "in" : d == CS_DIR_OUT ? "out" : "both";
}

/* A peer whose netcheck answered or whose path dropped the packets (not
 * one that refused, did not resolve or is something else). */
static bool cs_peer_considered(const char *code) {
  return !strcmp(code, "OK") || !strcmp(code, "PEER_BLOCKED") ||
         !strcmp(code, "PEER_PMTU_BLACKHOLE") || !strcmp(code, "TIMEOUT_BUDGET");
}

static void cs_host_peers(struct causes *cs, const cJSON *probes) {
  const cJSON *p;
  int considered = 0, in_ok = 0, out_ok = 0;
  cJSON_ArrayForEach(p, probes) {
    const char *code = causes_str(p, "code");
    bool o, i, warn;
    if (!cJSON_IsObject(p) || !causes_is_peer(p))
      continue;
    o = cs_detail_is(p, "outbound", "ok");
    i = cs_detail_is(p, "inbound", "ok");
    if (cs_peer_considered(code)) {
      considered++;
      in_ok += i;
      out_ok += o;
    }
    if (cs_problem(p, &warn)) {
      char key[sizeof(((struct cause *)0)->key)];
      enum cs_dir d = CS_DIR_BOTH;
      struct cause *c;
      if (o != i)
        d = o ? CS_DIR_IN : CS_DIR_OUT;
      nc_snprintf(key, sizeof(key), "%s|peer|%s|%s", warn ? "warn" : "fail", code,
                  !strcmp(code, "PEER_BLOCKED") ? cs_dir_word(d) : "");
      c = cs_find(cs, key);
      if (!c) {
        c = cs_new(cs, !strcmp(code, "PEER_PMTU_BLACKHOLE") ? CAUSE_PMTU : CAUSE_LINKS, code, key);
        if (!c)
          return;
        c->warn = warn;
        c->dir = (int)d;
        ca_host(cs, c, 0);
      }
      ca_probe(cs, c, 0, p);
    }
  }
  for (int k = 0; k < cs->n; k++) {
    struct cause *c = &cs->v[k];
    enum cs_dir d;
    if (c->pattern != CAUSE_LINKS || !c->code || strcmp(c->code, "PEER_BLOCKED"))
      continue;
    d = (enum cs_dir)c->dir;
    c->peers = considered;
    if (c->n_probes < 2)
      continue;
    if (d == CS_DIR_IN && in_ok == 0)
      c->pattern = CAUSE_NO_INBOUND;
    else if (d == CS_DIR_OUT && out_ok == 0)
      c->pattern = CAUSE_NO_OUTBOUND;
    else if (d == CS_DIR_BOTH && in_ok == 0 && out_ok == 0)
      c->pattern = CAUSE_CUT_OFF;
  }
}

int causes_of_host(struct causes *cs, const char *host, const cJSON *probes) {
  causes_free(cs);
  cs->single = true;
  cs->one_host = host;
  cs->hosts = &cs->one_host;
  cs->n_hosts = 1;
  cs_add_probes(cs, 0, probes);
  cs_host_peers(cs, probes);
  for (int i = 0; i < cs->n; i++)
    if (cs->v[i].pattern != CAUSE_PROBES && !cs->v[i].peers)
      cs->v[i].peers = cs->v[i].n_probes;
  cs_finish(cs);
  return cs->oom ? -1 : 0;
}

const char *causes_verdict(const struct causes *cs) {
  bool warn = false;
  for (int i = 0; i < cs->n; i++) {
    if (!cs->v[i].warn)
      return "fail";
    warn = true;
  }
  return warn ? "warn" : "pass";
}
