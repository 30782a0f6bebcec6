/*
 * dns.c - the dns probe family: one probe per name the job and the later
 * probes depend on (the regional S3 name, each bucket's virtual-hosted name,
 * the AWS service endpoints, the repository hosts, the egress targets),
 * queried for A and AAAA against every configured nameserver, so that a
 * failure names the server, the rcode and the latency, and every address is
 * classed (interface endpoint inside the VPC, or outside it).
 *
 * A name listed in /etc/hosts is reported from there and not queried: c-ares
 * and the workload's resolver would not query it either.
 *
 * This file is the planning and the I/O: which names, the queries on the
 * engine, the report's details. What an answer means (parsing, judging the
 * servers together, the wording) is pure and lives in dns_answer.c.
 */
#include "netcheck/dns.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_int.h"
#include "netcheck/common.h"
#include "netcheck/engine.h"
#include "netcheck/partition.h"
#include "netcheck/probe.h"
#include "netcheck/resolve.h"

#define DNS_HOSTS_PATH "/etc/hosts"
#define DNS_NAME_MAX 253
#define DNS_LABEL_MAX 63

/* ---- names ---- */

static bool dns_valid_name(const char *s) {
  size_t n = strlen(s), label = 0;
  if (n == 0 || n > DNS_NAME_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '.') {
      if (label == 0)
        return false;
      label = 0;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
    if (++label > DNS_LABEL_MAX)
      return false;
  }
  return label > 0;
}

/* An IP literal needs no DNS. */
static bool dns_is_ip_literal(const char *s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Adds name (once, case-insensitively) as used by a probe of tier t that
 * expects e of it. Returns the entry, or NULL when name is not probed. */
static struct dns_name *dns_add_name(struct dns_name *names, int *n, int max, const char *name,
                                     enum nc_tier t, enum nc_expect e) {
  struct dns_name *d = NULL;
  if (!dns_valid_name(name) || dns_is_ip_literal(name))
    return NULL;
  for (int i = 0; i < *n && !d; i++)
    if (!strcasecmp(names[i].name, name))
      d = &names[i];
  if (!d) {
    if (*n >= max)
      return NULL;
    d = &names[(*n)++];
    memset(d, 0, sizeof *d);
    nc_strlcpy(d->name, name, sizeof d->name);
    d->tier = NC_TIER_INFORMATIONAL;
    d->expect = NC_EXPECT_ANY;
    d->tier_other = NC_TIER_INFORMATIONAL;
  }
  d->users++;
  if (e == NC_EXPECT_REACHABLE) {
    /* A user that needs the target needs its name to resolve. */
    if (d->expect != NC_EXPECT_REACHABLE || t < d->tier)
      d->tier = t;
    d->expect = NC_EXPECT_REACHABLE;
  } else if (t < d->tier_other) {
    d->tier_other = t;
  }
  return d;
}

/* The host of "host", "host:port", "scheme://[user@]host[:port]/path" or
 * "scheme://[v6]:port/"; "" when there is none. */
static void dns_target_host(const char *target, char *out, size_t len) {
  const char *s = strstr(target, "://"), *at;
  size_t n;
  s = s ? s + 3 : target;
  n = strcspn(s, "/?#");
  at = memchr(s, '@', n);
  if (at) /* user:password@ is no name, and never shown */
    s = at + 1;
  if (*s == '[') { /* an IPv6 literal: nothing to resolve */
    out[0] = '\0';
    return;
  }
  n = strcspn(s, ":/?#");
  if (n >= len)
    n = 0;
  memcpy(out, s, n);
  out[n] = '\0';
}

int dns_plan_names(const struct plan *pl, const struct nc_config *cfg, struct dns_name *names,
                   int max) {
  int n = 0, order[DNS_MAX_NAMES], k = 0;
  struct dns_name sorted[DNS_MAX_NAMES];
  char host[NC_HOST_MAX];
  memset(sorted, 0, sizeof sorted);
  if (max > DNS_MAX_NAMES)
    max = DNS_MAX_NAMES;
  for (const struct probe *p = pl->head; p; p = p->next)
    if (p->name[0] && !dns_add_name(names, &n, max, p->name, p->tier, p->expect) &&
        !dns_valid_name(p->name))
      NC_WARN("dns: %s names \"%.64s\", not a valid host name; not probed", p->id, p->name);
  /* Extra names to resolve from --config "tcp_targets": facts. */
  for (int i = 0; i < cfg->n_tcp_targets; i++) {
    dns_target_host(cfg->tcp_targets[i], host, sizeof host);
    if (host[0])
      dns_add_name(names, &n, max, host, NC_TIER_INFORMATIONAL, NC_EXPECT_REACHABLE);
  }
  /* Names nobody needs to resolve (every user expects its target blocked,
   * or does not care) are facts: resolving or not, both are fine. */
  for (int i = 0; i < n; i++)
    if (names[i].expect != NC_EXPECT_REACHABLE)
      names[i].tier = names[i].tier_other;
  /* Report order: the names the job needs first, else as the probes came. */
  for (int t = NC_TIER_REQUIRED; t <= NC_TIER_INFORMATIONAL; t++)
    for (int i = 0; i < n; i++)
      if ((int)names[i].tier == t)
        order[k++] = i;
  for (int i = 0; i < n; i++)
    sorted[i] = names[order[i]];
  memcpy(names, sorted, (size_t)n * sizeof *names);
  return n;
}

/* ---- the probe ---- */

/* What the family learns about each nameserver across names (the plan-wide
 * state): servers whose AAAA answers are odd while their A answers are
 * fine, reported once per server in the report's environment. */
struct dns_note {
  char server[64];
  enum dns_result result; /* of the AAAA queries */
  int names;
  char example[NC_HOST_MAX];
};

struct dns_family_state {
  struct dns_note notes[NC_MAX_SERVERS * 3];
  int n_notes;
};

const struct probe_family dns_family;

static void dns_note_add(struct probe *p, const struct dns_server_result *s, enum dns_result r) {
  void **slot = plan_family_state(p->plan, &dns_family);
  struct dns_family_state *fs = *slot;
  struct dns_note *n = NULL;
  if (!fs && !(fs = *slot = calloc(1, sizeof *fs)))
    return;
  for (int i = 0; i < fs->n_notes && !n; i++)
    if (!strcmp(fs->notes[i].server, s->server) && fs->notes[i].result == r)
      n = &fs->notes[i];
  if (!n) {
    if (fs->n_notes >= (int)NC_ARRAY_LEN(fs->notes))
      return;
    n = &fs->notes[fs->n_notes++];
    nc_strlcpy(n->server, s->server, sizeof n->server);
    n->result = r;
    nc_strlcpy(n->example, p->target, sizeof n->example);
  }
  n->names++;
}

static const char *dns_note_text(enum dns_result r) {
  switch (r) {
  case DNS_RES_UNREACHABLE:
  case DNS_RES_TIMEOUT:
    return "does not answer AAAA queries for names whose A query returns addresses: clients that "
           "ask for both (glibc getaddrinfo, the AWS SDKs) wait for its timeout on every lookup; "
           "the Route 53 Resolver answers NOERROR with no records";
  default:
    return "answers AAAA queries with an error for names whose A query returns addresses (the "
           "Route 53 Resolver answers NOERROR with no records): IPv4 clients still connect, but "
           "a caching resolver or client may remember the error for the name";
  }
}

static void dns_environment(const struct plan *pl, cJSON *env) {
  const struct dns_family_state *fs = plan_family_state_get(pl, &dns_family);
  cJSON *arr = cJSON_AddArrayToObject(env, "dns_notes");
  for (int i = 0; fs && arr && i < fs->n_notes; i++) {
    const struct dns_note *n = &fs->notes[i];
    cJSON *o = cJSON_CreateObject();
    char text[512];
    if (!o)
      return;
    nc_snprintf(text, sizeof text, "nameserver %s %s (%d name%s, e.g. %s)", n->server,
                dns_note_text(n->result), n->names, n->names == 1 ? "" : "s", n->example);
    cJSON_AddStringToObject(o, "server", n->server);
    cJSON_AddStringToObject(o, "query", "AAAA");
    cJSON_AddStringToObject(o, "answer", dns_result_name(n->result));
    cJSON_AddNumberToObject(o, "names", n->names);
    cJSON_AddStringToObject(o, "example", n->example);
    cJSON_AddStringToObject(o, "note", text);
    cJSON_AddItemToArray(arr, o);
  }
}

struct dns_state {
  int64_t started_ms;
  int n_servers;
  int pending;                        /* queries not answered yet */
  bool issuing;                       /* start() is still sending: do not judge yet */
  struct dns_server_result servers[]; /* n_servers of them (2.3 KB each) */
};

static void dns_details_addr(cJSON *arr, const struct nc_addr *a) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return;
  cJSON_AddStringToObject(o, "address", a->text);
  cJSON_AddStringToObject(o, "family", a->family == AF_INET6 ? "ipv6" : "ipv4");
  cJSON_AddStringToObject(o, "class", resolve_addr_class(a));
  cJSON_AddItemToArray(arr, o);
}

static void dns_details_addrs(struct probe *p, const struct nc_addrs *all) {
  cJSON *d = probe_details(p), *arr;
  if (!d)
    return;
  cJSON_AddStringToObject(d, "source", all->source[0] ? all->source : "dns");
  arr = cJSON_AddArrayToObject(d, "addresses");
  for (int i = 0; arr && i < all->n; i++)
    dns_details_addr(arr, &all->a[i]);
}

static cJSON *dns_details_query(const struct dns_answer *q) {
  static const char *const rcodes[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                       "NXDOMAIN", "NOTIMP",  "REFUSED"};
  cJSON *o = cJSON_CreateObject(), *arr;
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "status", dns_result_name(dns_settled(q->result)));
  if (q->rcode >= 0 && (size_t)q->rcode < NC_ARRAY_LEN(rcodes))
    cJSON_AddStringToObject(o, "rcode", rcodes[q->rcode]);
  else if (q->rcode >= 0)
    cJSON_AddNumberToObject(o, "rcode", q->rcode);
  else
    cJSON_AddNullToObject(o, "rcode");
  arr = cJSON_AddArrayToObject(o, "answers");
  for (int i = 0; arr && i < q->n; i++)
    cJSON_AddItemToArray(arr, cJSON_CreateString(q->addrs[i].text));
  if (q->latency_ms >= 0)
    cJSON_AddNumberToObject(o, "latency_ms", (double)(int64_t)(q->latency_ms * 10 + 0.5) / 10);
  else
    cJSON_AddNullToObject(o, "latency_ms");
  return o;
}

static void dns_details_servers(struct probe *p, const struct dns_state *st) {
  cJSON *d = probe_details(p), *arr;
  if (!d)
    return;
  arr = cJSON_AddArrayToObject(d, "servers");
  for (int i = 0; arr && i < st->n_servers; i++) {
    cJSON *o = cJSON_CreateObject();
    if (!o)
      return;
    cJSON_AddStringToObject(o, "server", st->servers[i].server);
    cJSON_AddItemToObject(o, "a", dns_details_query(&st->servers[i].a));
    cJSON_AddItemToObject(o, "aaaa", dns_details_query(&st->servers[i].aaaa));
    cJSON_AddItemToArray(arr, o);
  }
}

/* A name nobody needs to resolve (its users expect their targets blocked,
 * or do not care) is a fact whatever the resolver says; otherwise resolving
 * is judged, and a server that fails beside one that answers is a warning
 * (it would stall or mislead the workload's resolver). */
static enum nc_verdict dns_verdict(const struct probe *p, bool resolved, enum nc_code code) {
  enum nc_verdict v;
  if (p->expect == NC_EXPECT_ANY)
    return code == NC_OK ? NC_VERDICT_PASS : NC_VERDICT_INFO;
  v = probe_judge(p, resolved);
  return resolved && code != NC_OK && v == NC_VERDICT_PASS ? NC_VERDICT_WARN : v;
}

/* Judges every server's answers and finishes the probe. */
static void dns_conclude(struct probe *p) {
  struct dns_state *st = p->priv;
  struct dns_eval ev;
  struct nc_addrs all;
  char msg[sizeof p->message];
  struct dns_fix fix;
  const char *cls = NULL;
  enum nc_verdict v;

  dns_evaluate(st->servers, st->n_servers, &ev);
  dns_collect_addrs(st->servers, st->n_servers, &all);
  if (all.n > 0)
    cls = resolve_addr_class(&all.a[0]);
  dns_details_servers(p, st);
  dns_details_addrs(p, &all);
  p->t.total = (double)(nc_now_ms() - st->started_ms);
  if (ev.resolved) {
    const struct dns_server_result *ok = &st->servers[ev.answer_server];
    p->t.dns = dns_answer_latency(ok);
  }
  for (int i = 0; i < st->n_servers; i++) {
    enum dns_result r;
    if (dns_aaaa_note(&st->servers[i], &r))
      dns_note_add(p, &st->servers[i], r);
  }
  dns_message(p->target, st->servers, st->n_servers, &ev, cls, p->timeout_ms, msg, sizeof msg);
  if (dns_fix_case(p->target, p->cfg->region, ev.worst, &fix))
    probe_fix(p, fix.code, fix.variant, DNS_FIX_FACTS(&fix));
  v = dns_verdict(p, ev.resolved, ev.code);
  probe_finish(p, v, ev.code, ev.resolved ? "resolved" : dns_result_name(ev.worst), "%s%s", msg,
               !ev.resolved && p->expect == NC_EXPECT_ANY
                   ? " (no probe of this job needs it to resolve)"
                   : "");
}

static void dns_on_answer(struct probe *p, int status, const unsigned char *abuf, int alen,
                          double latency_ms, void *arg) {
  struct dns_state *st = p->priv;
  struct dns_answer *q = arg;
  if (q->result != DNS_RES_PENDING)
    return; /* answered already (a late duplicate) */
  dns_parse_answer(status, abuf, alen, q);
  q->latency_ms = abuf ? latency_ms : -1;
  if (q->result == DNS_RES_PENDING)
    q->result = DNS_RES_ERROR;
  if (--st->pending == 0 && !st->issuing)
    dns_conclude(p);
}

/* Answers from /etc/hosts, the way the workload's resolver would: the name
 * passes without a query. Returns true when it finished the probe. */
static bool dns_try_hosts(struct probe *p) {
  struct nc_addrs found;
  const char *buf;
  char more[32] = "";
  size_t len = 0;
  const char *cls;
  memset(&found, 0, sizeof found);
  if (resolve_hosts_file(p->eng, &buf, &len))
    return false; /* missing (fine) or unreadable (the engine warned once) */
  resolve_hosts_lookup(buf, len, p->target, &found);
  if (found.n == 0)
    return false;
  dns_details_addrs(p, &found);
  cls = resolve_addr_class(&found.a[0]);
  if (found.n > 1)
    nc_snprintf(more, sizeof more, " and %d more", found.n - 1);
  p->t.dns = 0;
  p->t.total = 0;
  probe_finish(p, probe_judge(p, true), NC_OK, "hosts",
               "%s is %s%s (%s) in " DNS_HOSTS_PATH "; not queried", p->target, found.a[0].text,
               more, dns_class_phrase(cls));
  return true;
}

static int dns_start(struct probe *p) {
  struct dns_state *st;
  char servers[NC_MAX_SERVERS][64];
  int64_t started_ms = nc_now_ms();
  int n, sent = 0;
  if (dns_try_hosts(p))
    return 0;
  n = resolve_nameservers(p->eng, servers, NC_MAX_SERVERS);
  if (n > NC_MAX_SERVERS)
    n = NC_MAX_SERVERS;
  /* Sized to the servers asked, not NC_MAX_SERVERS (18 KB) of them. */
  st = calloc(1, sizeof *st + (size_t)(n > 0 ? n : 0) * sizeof st->servers[0]);
  if (!st)
    return -1;
  p->priv = st;
  st->started_ms = started_ms;
  if (n <= 0) {
    char msg[sizeof p->message];
    struct dns_eval ev;
    struct nc_addrs none;
    memset(&none, 0, sizeof none);
    dns_evaluate(st->servers, 0, &ev);
    dns_message(p->target, st->servers, 0, &ev, NULL, p->timeout_ms, msg, sizeof msg);
    dns_details_servers(p, st);
    dns_details_addrs(p, &none);
    probe_fix(p, NC_DNS_NO_RESOLVER, "dns", NULL);
    probe_finish(p, dns_verdict(p, false, ev.code), ev.code, "no_resolver", "%s", msg);
    return 0;
  }
  st->n_servers = n;
  st->issuing = true;
  for (int i = 0; i < n; i++) {
    struct dns_server_result *s = &st->servers[i];
    struct dns_answer *qs[2] = {&s->a, &s->aaaa};
    nc_strlcpy(s->server, servers[i], sizeof s->server);
    s->a.type = DNS_TYPE_A;
    s->aaaa.type = DNS_TYPE_AAAA;
    for (int k = 0; k < 2; k++) {
      qs[k]->rcode = -1;
      qs[k]->latency_ms = -1;
      qs[k]->result = DNS_RES_PENDING;
      st->pending++;
      /* c-ares retries inside the probe's whole budget. */
      if (resolve_query(p->eng, p, s->server, p->target, qs[k]->type, p->timeout_ms, dns_on_answer,
                        qs[k])) {
        qs[k]->result = DNS_RES_ERROR;
        st->pending--;
      } else {
        sent++;
      }
    }
  }
  st->issuing = false;
  if (sent == 0)
    return -1; /* no query could even be sent: an internal error, not a DNS finding */
  if (st->pending == 0)
    dns_conclude(p);
  return 0;
}

static void dns_on_timeout(struct probe *p) {
  /* Pending queries count as timeouts; answers already in still count. */
  if (p->priv)
    dns_conclude(p);
}

static void dns_cleanup(struct probe *p) {
  free(p->priv);
  p->priv = NULL;
}

static void dns_free_state(void *state) { free(state); }

static const struct probe_ops dns_ops = {
    .family = &dns_family,
    .flags = 0,
    .start = dns_start,
    .on_event = NULL,
    .on_timer = NULL,
    .on_timeout = dns_on_timeout,
    .cleanup = dns_cleanup,
};

/* Plans after the other families: one probe per name they resolve, with
 * the tier and expectation of the probes that use it. */
static int dns_plan(struct plan *pl, const struct nc_config *cfg) {
  struct dns_name *names = calloc(DNS_MAX_NAMES, sizeof *names);
  int n;
  if (!names)
    return -1;
  n = dns_plan_names(pl, cfg, names, DNS_MAX_NAMES);
  for (int i = 0; i < n; i++) {
    char id[sizeof pl->head->id];
    struct probe *p;
    struct probe_spec spec = {.id = id,
                              .target = names[i].name,
                              .key = "", /* "pypi.org" names the egress probe, not this one */
                              .tier = names[i].tier,
                              .expect = names[i].expect};
    nc_snprintf(id, sizeof id, "dns:%s", names[i].name);
    if (!(p = plan_add(pl, cfg, &dns_ops, &spec))) {
      free(names);
      return -1;
    }
    p->expect_source = strcmp(p->expect_source, "default") ? p->expect_source : "derived";
    /* A name only facts depend on gets the connect budget as its whole budget. */
    if (p->connect_ms > 0)
      p->timeout_ms = p->connect_ms;
  }
  free(names);
  return 0;
}

const struct probe_family dns_family = {
    .name = "dns",
    .help = "A/AAAA of every name the other probes use, against every nameserver; address class",
    .tier = NC_TIER_INFORMATIONAL,
    .expect = NC_EXPECT_ANY,
    .tier_note = "each name takes the tier of the probes that use it",
    .plan_pass = 1,
    .plan = dns_plan,
    .environment = dns_environment,
    .free_state = dns_free_state,
};
