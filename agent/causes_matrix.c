/*
 * causes_matrix.c - the job's view of its peer links (causes_of_merge): the
 * matrix of who reaches whom read as patterns, hosts that never started
 * first, then every pair blocked (the security group), then subnets a
 * network ACL cuts off, then single hosts that receive from or reach no
 * peer, then path-MTU black holes, and what is left grouped by code.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causes_int.h"
#include "netcheck/causes.h"
#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/merge.h"
#include "netcheck/utf8.h"

/* ---- the job's view: the peer matrix ---- */

enum { LK_UNKNOWN, LK_OK, LK_FAIL };

struct cs_mx {
  const struct merge *m;
  struct causes *cs;
  int n;
  unsigned char *state; /* n x n, row = from */
  int *owner;           /* n x n: the cause that explains a failed link, -1 none */
  bool *active;         /* hosts the patterns still look at */
  char (*subnet)[CS_SUBNET_MAX];
};

#define MX_AT(x, i, j) ((size_t)(i) * (size_t)(x)->n + (size_t)(j))

static const char *mx_code(const struct cs_mx *x, int i, int j) {
  const char *c = merge_cell(x->m, i, j)->code;
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
  const struct merge *m = x->m;
  for (int h = 0; h < x->n; h++) {
    int refused = 0, blocked = 0, ok = 0, ci;
    char key[96];
    struct cause *c;
    bool never;
    if (m->report_of[h] >= 0)
      continue;
    for (int p = 0; p < x->n; p++) {
      if (p == h || m->report_of[p] < 0)
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
  const struct merge *m = x->m;
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
    if (m->report_of[h] < 0)
      continue;
    cJSON_ArrayForEach(
        p, cJSON_GetObjectItemCaseSensitive(m->reports[m->report_of[h]].root, "probes")) {
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

int causes_of_merge(struct causes *cs, const struct merge *m) {
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
    int r = m->report_of[h];
    x.active[h] = true;
    if (r < 0)
      continue;
    cs_subnet_of(m->reports[r].root, x.subnet[h], CS_SUBNET_MAX);
    cs_add_probes(cs, h, cJSON_GetObjectItemCaseSensitive(m->reports[r].root, "probes"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m->reports[r].root, "interrupted"))) {
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
      const char *v = i == j ? NULL : merge_cell(m, i, j)->verdict;
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
