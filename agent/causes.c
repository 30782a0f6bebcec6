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

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/utf8.h"

#define CS_NAMED 3           /* targets named in one sentence before "+N more" */
#define CS_HOST_RUNS 6       /* host ranges named before "+N more" */
#define CS_DEFAULT_PORT 7191 /* the peer port when no probe says */
#define CS_SUBNET_MAX 48     /* "255.255.255.255/32" and more */

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

static struct cause *cs_find(struct causes *cs, const char *key) {
  for (int i = 0; i < cs->n; i++)
    if (!strcmp(cs->v[i].key, key))
      return &cs->v[i];
  return NULL;
}

static struct cause *cs_new(struct causes *cs, enum cause_pattern pattern, const char *code,
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

static void ca_host(struct causes *cs, struct cause *c, int h) {
  for (int i = 0; i < c->n_hosts; i++)
    if (c->hosts[i] == h)
      return;
  if (cs_grow(cs, (void **)&c->hosts, &c->cap_hosts, c->n_hosts, sizeof(int)) == 0)
    c->hosts[c->n_hosts++] = h;
}

static void ca_probe(struct causes *cs, struct cause *c, int h, const cJSON *p) {
  if (cs_grow(cs, (void **)&c->probes, &c->cap_probes, c->n_probes, sizeof(*c->probes)) == 0)
    c->probes[c->n_probes++] = (struct cause_probe){h, p};
}

static void ca_link(struct causes *cs, struct cause *c, int from, int to) {
  if (cs_grow(cs, (void **)&c->links, &c->cap_links, c->n_links, sizeof(*c->links)) == 0)
    c->links[c->n_links++] = (struct cause_link){from, to};
}

/* A failed or warned probe (pass, skip and info are not problems). */
static bool cs_problem(const cJSON *p, bool *warn) {
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
static void cs_add_probe(struct causes *cs, int h, const cJSON *p, bool warn) {
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
static void cs_add_probes(struct causes *cs, int h, const cJSON *probes) {
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

static int cs_peer_port(const struct cause *c) {
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

static void cs_finish(struct causes *cs) {
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

/* ---- the job's view: the peer matrix ---- */

enum { LK_UNKNOWN, LK_OK, LK_FAIL };

struct cs_mx {
  const struct causes_job *m;
  struct causes *cs;
  int n;
  unsigned char *state; /* n x n, row = from */
  int *owner;           /* n x n: the cause that explains a failed link, -1 none */
  bool *active;         /* hosts the patterns still look at */
  char (*subnet)[CS_SUBNET_MAX];
};

#define MX_AT(x, i, j) ((size_t)(i) * (size_t)(x)->n + (size_t)(j))

static const char *mx_code(const struct cs_mx *x, int i, int j) {
  const char *c = x->m->links[MX_AT(x, i, j)].code;
  return c && *c ? c : "?";
}

static bool mx_fail(const struct cs_mx *x, int i, int j) {
  return x->state[MX_AT(x, i, j)] == LK_FAIL && x->owner[MX_AT(x, i, j)] < 0;
}

/* A failed link no cause explains yet, dropped by the network. */
static bool mx_blocked(const struct cs_mx *x, int i, int j) {
  return mx_fail(x, i, j) && !strcmp(mx_code(x, i, j), "PEER_BLOCKED");
}

/* A link with a result that no cause explains yet. */
static bool mx_known(const struct cs_mx *x, int i, int j) {
  unsigned char s = x->state[MX_AT(x, i, j)];
  return s == LK_OK || (s == LK_FAIL && x->owner[MX_AT(x, i, j)] < 0);
}

static void mx_own(struct cs_mx *x, int ci, int i, int j) {
  if (mx_fail(x, i, j)) {
    x->owner[MX_AT(x, i, j)] = ci;
    ca_link(x->cs, &x->cs->v[ci], i, j);
  }
}

static struct cause *mx_new(struct cs_mx *x, enum cause_pattern p, const char *code,
                            const char *key, int *ci) {
  struct cause *c = cs_new(x->cs, p, code, key);
  *ci = c ? (int)(c - x->cs->v) : -1;
  return c;
}

/* Hosts without a report: never started (every peer refused), or cut off,
 * or a report that was not collected. */
static void mx_missing(struct cs_mx *x) {
  const struct causes_job *m = x->m;
  for (int h = 0; h < x->n; h++) {
    int refused = 0, blocked = 0, ok = 0, ci;
    char key[96];
    struct cause *c;
    bool never;
    if (m->reports[h].root)
      continue;
    for (int p = 0; p < x->n; p++) {
      if (p == h || !m->reports[p].root)
        continue;
      if (x->state[MX_AT(x, p, h)] == LK_OK)
        ok++;
      else if (x->state[MX_AT(x, p, h)] == LK_FAIL)
        *(!strcmp(mx_code(x, p, h), "PEER_REFUSED") ? &refused : &blocked) += 1;
    }
    never = refused > 0 && !blocked && !ok;
    nc_snprintf(key, sizeof(key), "%s|%d", never ? "never" : "noreport", h);
    c = mx_new(x, never ? CAUSE_NEVER_STARTED : CAUSE_NO_REPORT,
               never ? "PEER_REFUSED" : (blocked && !ok ? "PEER_BLOCKED" : NULL), key, &ci);
    if (!c)
      return;
    c->peers = refused + blocked + ok;
    c->dir = ok ? 0 : blocked ? 1 : 2; /* reached, not reached, no result */
    ca_host(x->cs, c, h);
    for (int p = 0; p < x->n; p++) {
      if (p == h)
        continue;
      mx_own(x, ci, p, h);
      mx_own(x, ci, h, p);
    }
    x->active[h] = false;
  }
}

/* Every link between the hosts blocked: the security group. */
static bool mx_all_blocked(struct cs_mx *x) {
  int hosts = 0, known = 0, blocked = 0, ci;
  struct cause *c;
  for (int i = 0; i < x->n; i++) {
    if (!x->active[i])
      continue;
    hosts++;
    for (int j = 0; j < x->n; j++)
      if (j != i && x->active[j] && mx_known(x, i, j)) {
        known++;
        blocked += mx_blocked(x, i, j);
      }
  }
  if (hosts < 2 || known < 2 || blocked != known)
    return false;
  c = mx_new(x, CAUSE_ALL_BLOCKED, "PEER_BLOCKED", "all_blocked", &ci);
  if (!c)
    return true;
  c->peers = hosts;
  for (int i = 0; i < x->n; i++) {
    if (!x->active[i])
      continue;
    ca_host(x->cs, &x->cs->v[ci], i);
    for (int j = 0; j < x->n; j++)
      if (j != i && x->active[j])
        mx_own(x, ci, i, j);
  }
  /* Several subnets and not one link inside a subnet to compare with: the
   * network ACLs between them could do the same (the fix says so). */
  {
    bool several = false, same = false;
    for (int i = 0; i < x->n; i++)
      for (int j = 0; j < x->n; j++)
        if (i != j && x->active[i] && x->active[j] && x->subnet[i][0] && x->subnet[j][0])
          *(strcmp(x->subnet[i], x->subnet[j]) ? &several : &same) = true;
    x->cs->v[ci].dir = several && !same;
  }
  return true;
}

/* The network of the host's interface (not loopback, not link-local), from
 * its report's environment: "198.18.1.0/24"; "" when unknown. */
static void cs_subnet_of(const cJSON *root, char *out, size_t len) {
  const cJSON *ifs = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(root, "environment"), "interfaces");
  const cJSON *i, *a;
  out[0] = '\0';
  cJSON_ArrayForEach(i, ifs) {
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(i, "loopback")))
      continue;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(i, "addresses")) {
      char ip[INET_ADDRSTRLEN];
      const char *s = cJSON_IsString(a) ? a->valuestring : "", *slash = strchr(s, '/');
      struct in_addr in;
      char *end;
      long bits;
      uint32_t v, mask;
      if (!slash || (size_t)(slash - s) >= sizeof(ip))
        continue;
      memcpy(ip, s, (size_t)(slash - s));
      ip[slash - s] = '\0';
      bits = strtol(slash + 1, &end, 10);
      if (*end || bits < 1 || bits > 32 || inet_pton(AF_INET, ip, &in) != 1)
        continue;
      v = ntohl(in.s_addr);
      if ((v >> 16) == 0xa9fe) /* 169.254.0.0/16 */
        continue;
      mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
      v &= mask;
      nc_snprintf(out, len, "%u.%u.%u.%u/%ld", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff,
                  bits);
      return;
    }
  }
}

struct mx_subnets {
  int n;
  int *of;   /* per host: subnet index, -1 */
  int *size; /* active hosts per subnet */
  const char **name;
};

/* Every failed link from subnet a to subnet b is blocked and unexplained,
 * and there is at least one. */
static bool mx_subnet_blocked(const struct cs_mx *x, const struct mx_subnets *s, int a, int b) {
  int known = 0;
  for (int i = 0; i < x->n; i++) {
    if (!x->active[i] || s->of[i] != a)
      continue;
    for (int j = 0; j < x->n; j++) {
      if (!x->active[j] || s->of[j] != b || !mx_known(x, i, j))
        continue;
      if (!mx_blocked(x, i, j))
        return false;
      known++;
    }
  }
  return known > 0;
}

static bool mx_subnet_inside_works(const struct cs_mx *x, const struct mx_subnets *s, int a) {
  for (int i = 0; i < x->n; i++)
    for (int j = 0; j < x->n; j++)
      if (i != j && x->active[i] && x->active[j] && s->of[i] == a && s->of[j] == a &&
          x->state[MX_AT(x, i, j)] == LK_OK)
        return true;
  return false;
}

/* Subnet a before b: the smaller first (the odd one out), then by name. */
static bool mx_subnet_before(const struct mx_subnets *s, int a, int b) {
  if (s->size[a] != s->size[b])
    return s->size[a] < s->size[b];
  return nc_natcmp(s->name[a], s->name[b]) < 0;
}

/* One subnet cut off from all others (a host alone in its subnet is one
 * too), then pairs of subnets that cannot talk. */
static void mx_subnet_causes(struct cs_mx *x, struct mx_subnets *s) {
  int *order = malloc((size_t)s->n * sizeof(int));
  if (!order) {
    x->cs->oom = true;
    return;
  }
  for (int k = 0; k < s->n; k++) { /* insertion sort: a few subnets */
    int j = k;
    for (; j > 0 && mx_subnet_before(s, k, order[j - 1]); j--)
      order[j] = order[j - 1];
    order[j] = k;
  }
  for (int o = 0; o < s->n; o++) {
    int t = order[o], others = 0, other = -1, peers = 0, ci;
    bool in_none = true, out_none = true;
    enum cause_pattern p;
    char key[96];
    struct cause *c;
    if (s->size[t] == 0 || (s->size[t] > 1 && !mx_subnet_inside_works(x, s, t)))
      continue;
    for (int k = 0; k < s->n; k++) {
      if (k == t || s->size[k] == 0)
        continue;
      others++;
      other = k;
      peers += s->size[k];
      in_none = in_none && mx_subnet_blocked(x, s, k, t);
      out_none = out_none && mx_subnet_blocked(x, s, t, k);
    }
    /* Two subnets of several hosts each, cut both ways: a pair (below). */
    if (!others || (!in_none && !out_none) ||
        (in_none && out_none && others == 1 && s->size[t] > 1))
      continue;
    p = in_none && out_none ? CAUSE_CUT_OFF : in_none ? CAUSE_NO_INBOUND : CAUSE_NO_OUTBOUND;
    nc_snprintf(key, sizeof(key), "subnet|%s|%s", causes_pattern_name(p), s->name[t]);
    c = mx_new(x, p, "PEER_BLOCKED", key, &ci);
    if (!c)
      break;
    c->subnet = true;
    c->peers = peers;
    nc_strlcpy(c->subject, s->name[t], sizeof(c->subject));
    if (others == 1)
      nc_strlcpy(c->subject2, s->name[other], sizeof(c->subject2));
    for (int i = 0; i < x->n; i++) {
      if (!x->active[i] || s->of[i] != t)
        continue;
      ca_host(x->cs, &x->cs->v[ci], i);
      for (int j = 0; j < x->n; j++) {
        if (!x->active[j] || s->of[j] == t)
          continue;
        if (in_none)
          mx_own(x, ci, j, i);
        if (out_none)
          mx_own(x, ci, i, j);
      }
    }
  }
  for (int a = 0; a < s->n; a++)
    for (int b = a + 1; b < s->n; b++) {
      bool ab = mx_subnet_blocked(x, s, a, b), ba = mx_subnet_blocked(x, s, b, a);
      char key[128];
      struct cause *c;
      int ci;
      if (!ab && !ba)
        continue;
      nc_snprintf(key, sizeof(key), "subnets|%s|%s", s->name[a], s->name[b]);
      c = mx_new(x, CAUSE_SUBNETS, "PEER_BLOCKED", key, &ci);
      if (!c)
        break;
      c->subnet = true;
      c->dir = ab && ba ? 2 : ab ? 0 : 1; /* both ways, a to b only, b to a only */
      nc_strlcpy(c->subject, s->name[a], sizeof(c->subject));
      nc_strlcpy(c->subject2, s->name[b], sizeof(c->subject2));
      for (int i = 0; i < x->n; i++) {
        if (!x->active[i] || (s->of[i] != a && s->of[i] != b))
          continue;
        ca_host(x->cs, &x->cs->v[ci], i);
        for (int j = 0; j < x->n; j++)
          if (x->active[j] &&
              ((s->of[i] == a && s->of[j] == b && ab) || (s->of[i] == b && s->of[j] == a && ba)))
            mx_own(x, ci, i, j);
      }
      x->cs->v[ci].peers = x->cs->v[ci].n_hosts;
    }
  free(order);
}

static void mx_subnets(struct cs_mx *x) {
  struct mx_subnets s = {0, NULL, NULL, NULL};
  size_t n = (size_t)(x->n > 0 ? x->n : 1);
  s.of = malloc(n * sizeof(int));
  s.size = calloc(n, sizeof(int));
  s.name = calloc(n, sizeof(char *));
  if (!s.of || !s.size || !s.name) {
    x->cs->oom = true;
    goto done;
  }
  for (int h = 0; h < x->n; h++) {
    int k;
    s.of[h] = -1;
    if (!x->active[h])
      continue;
    if (!x->subnet[h][0])
      goto done; /* a host whose subnet is unknown: no subnet can be judged */
    for (k = 0; k < s.n && strcmp(s.name[k], x->subnet[h]) != 0; k++)
      ;
    if (k == s.n)
      s.name[s.n++] = x->subnet[h];
    s.of[h] = k;
    s.size[k]++;
  }
  if (s.n >= 2)
    mx_subnet_causes(x, &s);
done:
  free(s.of);
  free(s.size);
  free(s.name);
}

/* One host that receives from no peer, reaches no peer, or neither. */
static void mx_hosts(struct cs_mx *x) {
  for (int h = 0; h < x->n; h++) {
    int in_known = 0, in_fail = 0, out_known = 0, out_fail = 0, ci;
    enum cause_pattern p;
    char key[64];
    struct cause *c;
    if (!x->active[h])
      continue;
    for (int q = 0; q < x->n; q++) {
      if (q == h || !x->active[q])
        continue;
      in_known += mx_known(x, q, h);
      in_fail += mx_blocked(x, q, h);
      out_known += mx_known(x, h, q);
      out_fail += mx_blocked(x, h, q);
    }
    if (in_known >= 2 && in_fail == in_known)
      p = out_known >= 1 && out_fail == out_known ? CAUSE_CUT_OFF : CAUSE_NO_INBOUND;
    else if (out_known >= 2 && out_fail == out_known)
      p = CAUSE_NO_OUTBOUND;
    else
      continue;
    nc_snprintf(key, sizeof(key), "host|%s|%d", causes_pattern_name(p), h);
    c = mx_new(x, p, "PEER_BLOCKED", key, &ci);
    if (!c)
      return;
    c->peers = in_known > out_known ? in_known : out_known;
    nc_strlcpy(c->subject, x->subnet[h], sizeof(c->subject));
    ca_host(x->cs, c, h);
    for (int q = 0; q < x->n; q++) {
      if (q == h || !x->active[q])
        continue;
      if (p != CAUSE_NO_OUTBOUND)
        mx_own(x, ci, q, h);
      if (p != CAUSE_NO_INBOUND)
        mx_own(x, ci, h, q);
    }
  }
}

/* What is left: path-MTU black holes in one cause, the rest by code. */
static void mx_rest(struct cs_mx *x) {
  for (int i = 0; i < x->n; i++)
    for (int j = 0; j < x->n; j++) {
      const char *code;
      char key[96];
      struct cause *c;
      int ci;
      if (i == j || !mx_fail(x, i, j))
        continue;
      code = mx_code(x, i, j);
      nc_snprintf(key, sizeof(key), "links|%s", code);
      c = cs_find(x->cs, key);
      if (c) {
        ci = (int)(c - x->cs->v);
      } else if (!mx_new(x, !strcmp(code, "PEER_PMTU_BLACKHOLE") ? CAUSE_PMTU : CAUSE_LINKS, code,
                         key, &ci)) {
        return;
      }
      ca_host(x->cs, &x->cs->v[ci], i);
      ca_host(x->cs, &x->cs->v[ci], j);
      mx_own(x, ci, i, j);
    }
}

/* A cause of failed links each of which works the other way is one-way. */
static void mx_one_way(struct cs_mx *x) {
  for (int k = 0; k < x->cs->n; k++) {
    struct cause *c = &x->cs->v[k];
    bool one_way = c->n_links > 0;
    if (c->pattern != CAUSE_LINKS && c->pattern != CAUSE_PMTU)
      continue;
    for (int l = 0; l < c->n_links && one_way; l++)
      one_way = x->state[MX_AT(x, c->links[l].to, c->links[l].from)] == LK_OK;
    c->dir = one_way;
  }
}

struct mx_name {
  const char *name;
  int index;
};

static int mx_name_cmp(const void *a, const void *b) {
  return strcmp(((const struct mx_name *)a)->name, ((const struct mx_name *)b)->name);
}

/* Every failed or warned peer probe goes to the cause of its link (this
 * host to the target, else the reverse); the others, by code. */
static void mx_assign_probes(struct cs_mx *x) {
  const struct causes_job *m = x->m;
  struct mx_name *names = malloc((size_t)(x->n ? x->n : 1) * sizeof(*names));
  if (!names) {
    x->cs->oom = true;
    return;
  }
  for (int h = 0; h < x->n; h++)
    names[h] = (struct mx_name){m->hosts[h], h};
  qsort(names, (size_t)x->n, sizeof(*names), mx_name_cmp);
  for (int h = 0; h < x->n; h++) {
    const cJSON *p;
    if (!m->reports[h].root)
      continue;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(m->reports[h].root, "probes")) {
      struct mx_name want = {causes_str(p, "target"), -1};
      const struct mx_name *t;
      int ci = -1;
      bool warn;
      if (!cJSON_IsObject(p) || !causes_is_peer(p) || !cs_problem(p, &warn))
        continue;
      t = bsearch(&want, names, (size_t)x->n, sizeof(*names), mx_name_cmp);
      if (t && t->index != h) {
        ci = x->owner[MX_AT(x, h, t->index)];
        if (ci < 0)
          ci = x->owner[MX_AT(x, t->index, h)];
      }
      if (ci >= 0)
        ca_probe(x->cs, &x->cs->v[ci], h, p);
      else
        cs_add_probe(x->cs, h, p, warn);
    }
  }
  free(names);
}

int causes_of_merge(struct causes *cs, const struct causes_job *m) {
  struct cs_mx x;
  size_t nn = (size_t)(m->n_hosts ? m->n_hosts : 1);
  causes_free(cs);
  cs->hosts = m->hosts;
  cs->n_hosts = m->n_hosts;
  memset(&x, 0, sizeof(x));
  x.m = m;
  x.cs = cs;
  x.n = m->n_hosts;
  x.state = calloc(nn * nn, 1);
  x.owner = malloc(nn * nn * sizeof(int));
  x.active = calloc(nn, sizeof(bool));
  x.subnet = calloc(nn, sizeof(*x.subnet));
  if (!x.state || !x.owner || !x.active || !x.subnet) {
    cs->oom = true;
    goto done;
  }
  for (int h = 0; h < x.n; h++) {
    const cJSON *r = m->reports[h].root;
    x.active[h] = true;
    if (!r)
      continue;
    cs_subnet_of(r, x.subnet[h], CS_SUBNET_MAX);
    cs_add_probes(cs, h, cJSON_GetObjectItemCaseSensitive(r, "probes"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "interrupted"))) {
      char key[64];
      struct cause *c;
      nc_snprintf(key, sizeof(key), "interrupted|%d", h);
      c = cs_new(cs, CAUSE_INTERRUPTED, NULL, key);
      if (c)
        ca_host(cs, c, h);
    }
  }
  for (int i = 0; i < x.n; i++)
    for (int j = 0; j < x.n; j++) {
      const char *v = i == j ? NULL : m->links[MX_AT(&x, i, j)].verdict;
      x.owner[MX_AT(&x, i, j)] = -1;
      if (!v)
        continue;
      if (!strcmp(v, "pass") || !strcmp(v, "warn"))
        x.state[MX_AT(&x, i, j)] = LK_OK;
      else if (!strcmp(v, "fail"))
        x.state[MX_AT(&x, i, j)] = LK_FAIL;
    }
  mx_missing(&x);
  if (!mx_all_blocked(&x)) {
    mx_subnets(&x);
    mx_hosts(&x);
  }
  mx_rest(&x);
  mx_one_way(&x);
  mx_assign_probes(&x);
  cs_finish(cs);
done:
  free(x.state);
  free(x.owner);
  free(x.active);
  free(x.subnet);
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

/* ---- text ---- */

struct cs_buf {
  char *p;
  size_t len, used;
};

static void cb_init(struct cs_buf *b, char *p, size_t len) {
  b->p = p;
  b->len = len;
  b->used = 0;
  if (len)
    p[0] = '\0';
}

static void cb_add(struct cs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cb_add(struct cs_buf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  if (b->used + 1 >= b->len)
    return;
  va_start(ap, fmt);
  n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if (b->used + (size_t)n >= b->len) {
    utf8_trim_tail(b->p);
    b->used = strlen(b->p);
    b->len = b->used + 1; /* full: nothing more after a cut */
    return;
  }
  b->used += (size_t)n;
}

/* "a, b, c, +N more" */
static void cb_list(struct cs_buf *b, const char *const *items, int shown, int total) {
  for (int i = 0; i < shown; i++)
    cb_add(b, "%s%s", i ? ", " : "", items[i]);
  if (total > shown)
    cb_add(b, ", +%d more", total - shown);
}

static bool cs_directional(enum cause_pattern p) {
  return p == CAUSE_NO_INBOUND || p == CAUSE_NO_OUTBOUND || p == CAUSE_CUT_OFF;
}

static bool cs_in_hosts(const struct cause *c, int h) {
  for (int i = 0; i < c->n_hosts; i++)
    if (c->hosts[i] == h)
      return true;
  return false;
}

/* Adds s to out[] unless it is there already (out holds every string
 * seen so far when max is large enough; else only the first max). */
static void cs_distinct(const char **out, int max, int *shown, int *total, const char *s) {
  for (int i = 0; i < *shown; i++)
    if (!strcmp(out[i], s))
      return;
  if (*shown < max)
    out[(*shown)++] = s;
  (*total)++;
}

/* Distinct strings of the probes' key ("target" or "id"), only of probes
 * whose kind is (is_kind) or is not kind, when kind is given. The first
 * max go to out; *total counts them all. */
static int cs_probe_strings(const struct cause *c, const char *key, const char *kind, bool is_kind,
                            const char **out, int max, int *total) {
  const char **seen = NULL;
  int n_seen = 0, cap = 0, shown = 0;
  *total = 0;
  for (int i = 0; i < c->n_probes; i++) {
    const cJSON *p = c->probes[i].probe;
    const char *s = causes_str(p, key);
    int k;
    if (kind && (!strcmp(causes_str(p, "kind"), kind)) != is_kind)
      continue;
    for (k = 0; k < n_seen && strcmp(seen[k], s) != 0; k++)
      ;
    if (k < n_seen)
      continue;
    if (n_seen == cap) {
      const char **ns = realloc(seen, (size_t)(cap ? cap * 2 : 16) * sizeof(*seen));
      if (!ns)
        break; /* out of memory: what is counted so far */
      seen = ns;
      cap = cap ? cap * 2 : 16;
    }
    seen[n_seen++] = s;
    if (shown < max)
      out[shown++] = s;
    (*total)++;
  }
  free(seen);
  return shown;
}

int causes_targets(const struct causes *cs, const struct cause *c, const char **out, int max,
                   int *total) {
  int shown = 0;
  *total = 0;
  if (c->pattern == CAUSE_NEVER_STARTED || c->pattern == CAUSE_NO_REPORT ||
      c->pattern == CAUSE_INTERRUPTED) {
    for (int i = 0; i < c->n_hosts; i++)
      cs_distinct(out, max, &shown, total, cs->hosts[c->hosts[i]]);
    return shown;
  }
  if (c->n_links && !cs->single && cs->n_hosts <= NC_MAX_HOSTS) {
    bool seen[NC_MAX_HOSTS];
    memset(seen, 0, sizeof(seen));
    for (int l = 0; l < c->n_links; l++) {
      int ends[2] = {c->links[l].from, c->links[l].to};
      for (int e = 0; e < 2; e++)
        if (!cs_directional(c->pattern) || !cs_in_hosts(c, ends[e]))
          seen[ends[e]] = true;
    }
    for (int h = 0; h < cs->n_hosts; h++)
      if (seen[h]) {
        if (shown < max)
          out[shown++] = cs->hosts[h];
        (*total)++;
      }
    return shown;
  }
  return cs_probe_strings(c, "target", NULL, false, out, max, total);
}

/* Splits a name into its prefix and trailing number ("algo-12": 5, 12);
 * false when it has none. */
static bool cs_numbered(const char *s, size_t *prefix, long *num) {
  size_t n = strlen(s), i = n;
  while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
    i--;
  if (i == n || n - i > 9)
    return false;
  *prefix = i;
  *num = strtol(s + i, NULL, 10);
  return true;
}

void causes_hosts_text(const struct causes *cs, const struct cause *c, char *buf, size_t len) {
  struct cs_buf b;
  int runs = 0, i = 0;
  cb_init(&b, buf, len);
  if (c->n_hosts == 0) {
    cb_add(&b, "no host");
    return;
  }
  if (c->n_hosts == cs->n_hosts && cs->n_hosts > 1) {
    cb_add(&b, "%d/%d hosts", c->n_hosts, cs->n_hosts);
    return;
  }
  while (i < c->n_hosts && runs < CS_HOST_RUNS) {
    const char *first = cs->hosts[c->hosts[i]];
    size_t pl = 0, ql = 0;
    long num = 0, next = 0;
    int j = i + 1;
    if (cs_numbered(first, &pl, &num))
      while (j < c->n_hosts && cs_numbered(cs->hosts[c->hosts[j]], &ql, &next) && ql == pl &&
             !strncmp(first, cs->hosts[c->hosts[j]], pl) && next == num + (j - i))
        j++;
    cb_add(&b, "%s%s", runs ? ", " : "", first);
    if (j - i >= 3)
      cb_add(&b, "..%s", cs->hosts[c->hosts[j - 1]]);
    else
      j = i + 1;
    runs++;
    i = j;
  }
  if (i < c->n_hosts)
    cb_add(&b, ", +%d more", c->n_hosts - i);
  if (c->n_hosts > 1 || cs->n_hosts > 1)
    cb_add(&b, " (%d/%d host%s)", c->n_hosts, cs->n_hosts, cs->n_hosts > 1 ? "s" : "");
}

/* What a resolver did to the names, by the cause's code. */
static const char *cs_dns_verb(const char *code) {
  if (!strcmp(code, "DNS_NXDOMAIN"))
    return "answers NXDOMAIN (no such name) for";
  if (!strcmp(code, "DNS_SERVFAIL"))
    return "fails (SERVFAIL) for";
  if (!strcmp(code, "DNS_TIMEOUT"))
    return "does not answer for";
  if (!strcmp(code, "DNS_REFUSED"))
    return "refuses (REFUSED)";
  return "fails for";
}

static void cs_dns_evidence(const struct cause *c, struct cs_buf *b) {
  const char *names[CS_NAMED], *users[CS_NAMED], *servers[CS_NAMED], *codes[4];
  int n_names, t_names, n_users, t_users, n_servers = 0, t_servers = 0, n_codes = 0;
  int counts[4] = {0};
  const char *code = c->code ? c->code : "DNS";
  n_names = cs_probe_strings(c, "target", "dns", true, names, CS_NAMED, &t_names);
  n_users = cs_probe_strings(c, "id", "dns", false, users, CS_NAMED, &t_users);
  for (int i = 0; i < c->n_probes; i++) {
    const cJSON *p = c->probes[i].probe, *srv;
    const char *pc = causes_str(p, "code");
    int k;
    if (t_names && strcmp(causes_str(p, "kind"), "dns") != 0)
      continue;
    for (k = 0; k < n_codes && strcmp(codes[k], pc) != 0; k++)
      ;
    if (k == n_codes && n_codes < 4)
      codes[n_codes++] = pc;
    if (k < 4)
      counts[k]++;
    cJSON_ArrayForEach(srv, causes_detail(p, "servers")) {
      const char *st = causes_str(cJSON_GetObjectItemCaseSensitive(srv, "a"), "status");
      if (*causes_str(srv, "server") && strcmp(st, "resolved") != 0 && strcmp(st, "nodata") != 0)
        cs_distinct(servers, CS_NAMED, &n_servers, &t_servers, causes_str(srv, "server"));
    }
  }
  if (!strcmp(code, "DNS_NO_RESOLVER")) {
    cb_add(b, "no nameserver is configured: %d name%s cannot be resolved", t_names + t_users,
           t_names + t_users == 1 ? "" : "s");
    return;
  }
  if (!t_names) {
    cb_add(b, "%d probe%s could not resolve the names they need (%s): ", t_users,
           t_users == 1 ? "" : "s", code);
    cb_list(b, users, n_users, t_users);
    return;
  }
  if (n_servers) {
    cb_add(b, "nameserver%s ", t_servers > 1 ? "s" : "");
    cb_list(b, servers, n_servers, t_servers);
  } else {
    cb_add(b, "the resolver");
  }
  cb_add(b, " %s %d name%s (", n_codes > 1 ? "fails for" : cs_dns_verb(code), t_names,
         t_names == 1 ? "" : "s");
  cb_list(b, names, n_names, t_names);
  cb_add(b, ")");
  if (n_codes > 1) {
    cb_add(b, ": ");
    for (int k = 0; k < n_codes; k++)
      cb_add(b, "%s%d %s", k ? ", " : "", counts[k], codes[k]);
  }
  if (t_users) {
    cb_add(b, "; %d probe%s that need%s them fail%s with it (", t_users, t_users == 1 ? "" : "s",
           t_users == 1 ? "s" : "", t_users == 1 ? "s" : "");
    cb_list(b, users, n_users, t_users);
    cb_add(b, ")");
  }
}

static void cs_probes_evidence(const struct cause *c, struct cs_buf *b) {
  const char *ids[CS_NAMED];
  int n_ids, t_ids;
  if (strstr(c->key, "|dns") && !strstr(c->key, "|peer")) {
    cs_dns_evidence(c, b);
    return;
  }
  if (c->n_probes == 0)
    return;
  cb_add(b, "%s", causes_str(c->probes[0].probe, "message"));
  if (c->n_probes == 1)
    return;
  n_ids = cs_probe_strings(c, "id", NULL, false, ids, CS_NAMED, &t_ids);
  cb_add(b, " (%d probe%s: ", c->n_probes, c->n_probes == 1 ? "" : "s");
  cb_list(b, ids, n_ids, t_ids);
  cb_add(b, ")");
}

/* "a -> b, c <-> d, +N more" */
static void cs_links_list(const struct causes *cs, const struct cause *c, struct cs_buf *b) {
  int shown = 0, covered = 0;
  for (int l = 0; l < c->n_links && shown < CS_NAMED; l++) {
    const struct cause_link *k = &c->links[l];
    bool both = false, dup = false;
    for (int r = 0; r < c->n_links; r++)
      if (c->links[r].from == k->to && c->links[r].to == k->from) {
        both = true;
        dup = r < l;
        break;
      }
    if (dup)
      continue;
    cb_add(b, "%s%s %s %s", shown ? ", " : "", cs->hosts[k->from], both ? "<->" : "->",
           cs->hosts[k->to]);
    shown++;
    covered += both ? 2 : 1;
  }
  if (c->n_links > covered)
    cb_add(b, ", +%d more", c->n_links - covered);
}

static void cs_direction_evidence(const struct causes *cs, const struct cause *c,
                                  struct cs_buf *b) {
  const char *h = cs->hosts[c->hosts[0]];
  bool group = c->subnet && c->n_hosts > 1;
  char who[160];
  if (group)
    nc_snprintf(who, sizeof(who), "the %d hosts of %s", c->n_hosts, c->subject);
  else
    nc_strlcpy(who, h, sizeof(who));
  if (cs->single) {
    const char *peers[CS_NAMED];
    int n, t;
    n = cs_probe_strings(c, "target", NULL, false, peers, CS_NAMED, &t);
    if (c->pattern == CAUSE_NO_INBOUND)
      cb_add(b, "none of the %d peers that answer reaches %s, while %s reaches them all (",
             c->peers, h, h);
    else if (c->pattern == CAUSE_NO_OUTBOUND)
      cb_add(b, "%s reaches none of its %d peers, while they all reach it (", h, c->peers);
    else
      cb_add(b, "%s neither reaches nor hears from any of its %d peers (", h, c->peers);
    cb_list(b, peers, n, t);
    cb_add(b, ")");
    return;
  }
  if (c->pattern == CAUSE_NO_INBOUND)
    cb_add(b, "%s receive%s from none of %s %d peer%s%s, and reach%s them", who, group ? "" : "s",
           group ? "the" : "its", c->peers, c->peers == 1 ? "" : "s",
           group ? " in other subnets" : "", group ? "" : "es");
  else if (c->pattern == CAUSE_NO_OUTBOUND)
    cb_add(b, "%s reach%s none of %s %d peer%s%s, which all reach %s", who, group ? "" : "es",
           group ? "the" : "its", c->peers, c->peers == 1 ? "" : "s",
           group ? " in other subnets" : "", group ? "them" : "it");
  else
    cb_add(b, "%s neither reach%s nor hear%s from any of %s %d peer%s%s", who, group ? "" : "es",
           group ? "" : "s", group ? "the" : "its", c->peers, c->peers == 1 ? "" : "s",
           group ? " in other subnets" : "");
  if (group)
    cb_add(b, ", while they reach each other");
  else if (c->subnet)
    cb_add(b, " (it is the job's only host in %s)", c->subject);
}

void causes_evidence(const struct causes *cs, const struct cause *c, char *buf, size_t len) {
  struct cs_buf b;
  const char *h = c->n_hosts ? cs->hosts[c->hosts[0]] : "?";
  int port = c->port ? c->port : cs_peer_port(c);
  cb_init(&b, buf, len);
  switch (c->pattern) {
  case CAUSE_INTERRUPTED:
    cb_add(&b,
           "%s's run was stopped (SIGTERM or SIGINT) before its checks finished: its report is "
           "incomplete",
           h);
    break;
  case CAUSE_NEVER_STARTED:
    if (c->peers == 1)
      cb_add(&b, "%s wrote no report, and its one peer was refused on its port %d", h, port);
    else
      cb_add(&b, "%s wrote no report, and all %d peers that tried were refused on its port %d", h,
             c->peers, port);
    cb_add(&b, ": netcheck never ran there (not a network fault)");
    break;
  case CAUSE_NO_REPORT:
    if (c->dir == 0)
      cb_add(&b,
             "%s wrote no report, though its peers reached netcheck there: its report is not "
             "among the files merged",
             h);
    else if (c->dir == 1)
      cb_add(&b,
             "%s wrote no report, and none of its %d peers could reach it: it never started, "
             "or it is cut off",
             h, c->peers);
    else
      cb_add(&b, "%s wrote no report, and no other report has a result for it", h);
    break;
  case CAUSE_ALL_BLOCKED:
    cb_add(&b,
           "no host reaches any other: all %d links between the %d hosts are blocked (TCP to "
           "port %d unanswered)",
           c->n_links, c->n_hosts, port);
    break;
  case CAUSE_SUBNETS:
    cb_add(&b, "hosts in %s and in %s cannot reach each other (", c->subject, c->subject2);
    if (c->dir == 2)
      cb_add(&b, "both ways");
    else
      cb_add(&b, "from %s to %s; the other way works", c->dir == 0 ? c->subject : c->subject2,
             c->dir == 0 ? c->subject2 : c->subject);
    cb_add(&b, ", %d links), while hosts inside each subnet reach each other", c->n_links);
    break;
  case CAUSE_NO_INBOUND:
  case CAUSE_NO_OUTBOUND:
  case CAUSE_CUT_OFF:
    cs_direction_evidence(cs, c, &b);
    break;
  case CAUSE_PMTU:
  case CAUSE_LINKS:
    if (cs->single || !c->n_links) {
      cs_probes_evidence(c, &b);
      break;
    }
    if (c->pattern == CAUSE_PMTU)
      cb_add(&b, "large packets vanish while small ones pass on %d link%s: ", c->n_links,
             c->n_links == 1 ? "" : "s");
    else
      cb_add(&b, "%d link%s fail%s with %s: ", c->n_links, c->n_links == 1 ? "" : "s",
             c->n_links == 1 ? "s" : "", c->code ? c->code : "?");
    cs_links_list(cs, c, &b);
    if (c->dir)
      cb_add(&b, " (one way: the other direction works)");
    break;
  default:
    cs_probes_evidence(c, &b);
    break;
  }
}

/* The remediation of the first of the cause's probes that has one and
 * carries the cause's code (for a resolver, a dns probe's first); else of
 * any probe; "" when none has one. */
static const char *cs_probe_fix(const struct cause *c) {
  const char *any = "", *coded = "";
  bool dns = strstr(c->key, "|dns") != NULL;
  for (int i = 0; i < c->n_probes; i++) {
    const cJSON *p = c->probes[i].probe;
    const char *r = causes_str(p, "remediation");
    bool same = c->code && !strcmp(causes_str(p, "code"), c->code);
    if (!*r)
      continue;
    if (same && (!dns || !strcmp(causes_str(p, "kind"), "dns")))
      return r;
    if (same && !*coded)
      coded = r;
    if (!*any)
      any = r;
  }
  return *coded ? coded : any;
}

void causes_fix(const struct causes *cs, const struct cause *c, char *buf, size_t len) {
  struct cs_buf b;
  const char *h = c->n_hosts ? cs->hosts[c->hosts[0]] : "?";
  int port = c->port ? c->port : cs_peer_port(c);
  char where[160];
  cb_init(&b, buf, len);
  if (c->subnet && c->n_hosts > 1)
    nc_snprintf(where, sizeof(where), "%s", c->subject);
  else if (c->subject[0])
    nc_snprintf(where, sizeof(where), "%s's subnet (%s)", h, c->subject);
  else
    nc_snprintf(where, sizeof(where), "%s's subnet", h);
  switch (c->pattern) {
  case CAUSE_INTERRUPTED:
    cb_add(&b,
           "Find out what stopped %s (its log; the job's MaxRuntimeInSeconds) and run again for "
           "complete results.",
           h);
    break;
  case CAUSE_NEVER_STARTED:
    cb_add(
        &b,
        "Not a VPC change: read %s's own log (its CloudWatch stream) to see why netcheck did not "
        "run there (the container failed, or another entrypoint or --peer-port), and give every "
        "host the same image, entrypoint and netcheck options.",
        h);
    break;
  case CAUSE_NO_REPORT:
    if (c->dir == 0)
      cb_add(&b,
             "Collect every host's report (a ProcessingOutput named netcheck holds them all) "
             "and merge them together; %s's log says where its report went.",
             h);
    else
      cb_add(&b,
             "Read %s's log: if netcheck ran there, its report shows why no peer reached it; "
             "if it did not, the host never started.",
             h);
    break;
  case CAUSE_ALL_BLOCKED:
    cb_add(&b,
           "Give the job's security group a self-referencing inbound rule (all traffic, or at "
           "least TCP %d, from the group itself) and, if its outbound rules are restricted, an "
           "outbound rule to the group itself.",
           port);
    if (c->dir)
      cb_add(&b,
             " The hosts are in different subnets: their network ACLs must also allow TCP %d "
             "and the return ports 1024-65535 between them.",
             port);
    break;
  case CAUSE_SUBNETS:
    cb_add(&b,
           "Allow TCP %d and its return traffic (ports 1024-65535) between %s and %s in the "
           "network ACLs of both subnets, inbound and outbound: every host has the job's security "
           "groups, so it is not the self-referencing rule.",
           port, c->subject, c->subject2);
    break;
  case CAUSE_NO_INBOUND:
  case CAUSE_NO_OUTBOUND: {
    bool in = c->pattern == CAUSE_NO_INBOUND;
    cb_add(&b,
           "Allow %s TCP %d %s the job's subnets in the network ACL of %s, and %s replies %s "
           "ports 1024-65535: every host has the job's security groups, so a pattern of one %s is "
           "not the self-referencing rule.",
           in ? "inbound" : "outbound", port, in ? "from" : "to", where,
           in ? "outbound" : "inbound", in ? "to" : "on",
           c->subnet && c->n_hosts > 1 ? "subnet" : "host");
    if (c->subject2[0])
      cb_add(&b, " If that ACL allows it, the %s rules of %s's network ACL drop it.",
             in ? "outbound" : "inbound", c->subject2);
    break;
  }
  case CAUSE_CUT_OFF:
    if (cs->single && !c->subject[0]) {
      cb_add(&b, "%s", cs_probe_fix(c));
      break;
    }
    cb_add(&b,
           "Allow TCP %d and its return ports 1024-65535 in both directions between the job's "
           "subnets in the network ACL of %s (a network ACL is stateless: a rule missing either "
           "way drops the replies too), and check that subnet's route table; every host has the "
           "job's security groups.",
           port, where);
    break;
  default:
    cb_add(&b, "%s", cs_probe_fix(c));
    break;
  }
}

/* Cuts text to at most max bytes, at the end of a sentence when one ends
 * in the second half, else with "...". */
static void cs_cut(char *text, size_t max) {
  size_t n = strlen(text);
  if (n <= max || max < 8)
    return;
  for (size_t i = max; i > max / 2; i--)
    if (text[i - 1] == '.' && text[i] == ' ') {
      text[i] = '\0';
      return;
    }
  utf8_cut(text, max - 3);
  nc_strlcpy(text + strlen(text), "...", 4);
}

static void cs_trim_period(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '.' || s[n - 1] == ' '))
    s[--n] = '\0';
}

void causes_print_line(FILE *out, const struct causes *cs, const struct cause *c,
                       const char *prefix, bool colour, size_t fix_max) {
  char ev[1024], fix[1700];
  const char *label = c->code                           ? c->code
                      : c->pattern == CAUSE_INTERRUPTED ? "INTERRUPTED"
                                                        : "NO_REPORT";
  causes_evidence(cs, c, ev, sizeof(ev));
  causes_fix(cs, c, fix, sizeof(fix));
  cs_trim_period(ev);
  cs_cut(fix, fix_max);
  fputs(prefix, out);
  fprintf(out, "%s%s%s ", colour ? (c->warn ? "\033[33m" : "\033[31m") : "",
          c->warn ? "WARN" : "FAIL", colour ? "\033[0m" : "");
  nc_put_term(out, label, 64);
  if (!cs->single) {
    char hosts[512];
    causes_hosts_text(cs, c, hosts, sizeof(hosts));
    fputs(" on ", out);
    nc_put_term(out, hosts, sizeof(hosts));
  }
  fputs(": ", out);
  nc_put_term(out, ev, sizeof(ev));
  if (fix[0]) {
    fputs(". Fix: ", out);
    nc_put_term(out, fix, sizeof(fix));
  }
  fputc('\n', out);
}

cJSON *causes_json(const struct causes *cs) {
  cJSON *arr = cJSON_CreateArray();
  char text[1700];
  for (int i = 0; arr && i < cs->n; i++) {
    const struct cause *c = &cs->v[i];
    cJSON *o = cJSON_CreateObject(), *a;
    const char **targets;
    int total = 0;
    if (!o)
      goto oom;
    cJSON_AddItemToArray(arr, o);
    if (c->code)
      cJSON_AddStringToObject(o, "code", c->code);
    else
      cJSON_AddNullToObject(o, "code");
    cJSON_AddStringToObject(o, "verdict", c->warn ? "warn" : "fail");
    cJSON_AddStringToObject(o, "pattern", causes_pattern_name(c->pattern));
    if (!cs->single) {
      a = cJSON_AddArrayToObject(o, "hosts");
      for (int h = 0; a && h < c->n_hosts; h++)
        cJSON_AddItemToArray(a, cJSON_CreateString(cs->hosts[c->hosts[h]]));
    }
    if (c->subnet) {
      cJSON_AddStringToObject(o, "subnet", c->subject);
      if (c->subject2[0])
        cJSON_AddStringToObject(o, "other_subnet", c->subject2);
    }
    causes_targets(cs, c, NULL, 0, &total);
    targets = malloc((size_t)(total ? total : 1) * sizeof(*targets));
    if (!targets)
      goto oom;
    total = causes_targets(cs, c, targets, total, &total);
    a = cJSON_AddArrayToObject(o, "targets");
    for (int t = 0; a && t < total; t++)
      cJSON_AddItemToArray(a, cJSON_CreateString(targets[t]));
    free(targets);
    causes_evidence(cs, c, text, sizeof(text));
    cs_trim_period(text);
    cJSON_AddStringToObject(o, "evidence", text);
    causes_fix(cs, c, text, sizeof(text));
    cJSON_AddStringToObject(o, "fix", text);
    a = cJSON_AddArrayToObject(o, "probes");
    for (int p = 0; a && p < c->n_probes; p++) {
      const char *id = causes_str(c->probes[p].probe, "id");
      if (cs->single) {
        cJSON_AddItemToArray(a, cJSON_CreateString(id));
      } else {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "host", cs->hosts[c->probes[p].host]);
        cJSON_AddStringToObject(r, "id", id);
        cJSON_AddItemToArray(a, r);
      }
    }
    if (c->n_links && !cs->single) {
      a = cJSON_AddArrayToObject(o, "links");
      for (int l = 0; a && l < c->n_links; l++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "from", cs->hosts[c->links[l].from]);
        cJSON_AddStringToObject(r, "to", cs->hosts[c->links[l].to]);
        cJSON_AddItemToArray(a, r);
      }
    }
  }
  return arr;
oom:
  cJSON_Delete(arr);
  return NULL;
}
