/*
 * probe.c - the plan (every probe of a run, family by family, with its tier
 * and the user's expectations applied) and the result helpers every probe
 * uses. The families themselves are listed in probes/families.c; nothing
 * here names one.
 */
#include "netcheck/probe.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "netcheck/common.h"
#include "netcheck/diag.h"
#include "netcheck/utf8.h"

/* Text from the network ends up in messages: keep it printable, one line. */
static void scrub(char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
      *s = ' ';
}

const char *probe_tier_name(enum nc_tier t) {
  switch (t) {
  case NC_TIER_REQUIRED:
    return "required";
  case NC_TIER_POLICY:
    return "policy";
  default:
    return "informational";
  }
}

const char *probe_verdict_name(enum nc_verdict v) {
  switch (v) {
  case NC_VERDICT_PASS:
    return "pass";
  case NC_VERDICT_FAIL:
    return "fail";
  case NC_VERDICT_WARN:
    return "warn";
  case NC_VERDICT_INFO:
    return "info";
  default:
    return "skip";
  }
}

/* A miss counts as much as the probe's tier says. */
static enum nc_verdict lower_by_tier(enum nc_tier tier, enum nc_verdict v) {
  if (tier == NC_TIER_INFORMATIONAL && (v == NC_VERDICT_FAIL || v == NC_VERDICT_WARN))
    return NC_VERDICT_INFO;
  if (tier == NC_TIER_POLICY && v == NC_VERDICT_FAIL)
    return NC_VERDICT_WARN;
  return v;
}

void probe_note_errno(struct probe *p, int err) {
  nc_note_resource_failure(err);
  if (p && nc_resource_errno(err) && !p->local_errno)
    p->local_errno = err;
}

/* A failure that carries no answer from the network - nothing connected,
 * nothing resolved, no certificate could be checked - which a netcheck out
 * of descriptors produces too. An HTTP status, a DNS answer or a reset from
 * a peer is the network's own word and stands. */
static bool failure_without_answer(enum nc_code code, const char *outcome) {
  if (!strncmp(outcome, "http_", 5))
    return false;
  switch (code) {
  case NC_DNS_NO_RESOLVER:
  case NC_DNS_TIMEOUT:
  case NC_S3_NO_ROUTE:
  case NC_TLS_UNTRUSTED:
  case NC_TLS_HANDSHAKE:
  case NC_CREDS_UNAVAILABLE:
  case NC_EGRESS_BLOCKED:
  case NC_AWS_ENDPOINT_UNREACHABLE:
  case NC_PEER_DNS:
  case NC_PEER_BLOCKED:
  case NC_PEER_PMTU_BLACKHOLE:
  case NC_TIMEOUT_BUDGET:
    return true;
  default:
    return false;
  }
}

/* What ran out, for the message: "netcheck ran out of file descriptors
 * (Too many open files; its open-file limit is 16)". */
static void local_resource_phrase(int err, char *out, size_t len) {
  struct rlimit rl;
  char limit[64] = "";
  if (err == EMFILE && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    nc_snprintf(limit, sizeof limit, "; its open-file limit is %llu",
                (unsigned long long)rl.rlim_cur);
  nc_snprintf(out, len, "%s (%s%s)",
              err == EMFILE   ? "netcheck ran out of file descriptors"
              : err == ENFILE ? "the system ran out of file descriptors"
                              : "netcheck ran out of memory or socket buffers",
              strerror(err), limit);
}

/* A probe cut short by netcheck's own resources tested nothing: say so,
 * whatever the family made of the failure. That is the case when one of its
 * own steps ran out (p->local_errno), and, once netcheck has run out of
 * something in this run, for a failure without an answer from the network
 * (c-ares, for one, reads /etc/hosts and resolv.conf with descriptors of its
 * own and fails quietly without them). A plain pass stands: the target
 * answered, so the network works. */
static bool local_resource_result(struct probe *p, enum nc_verdict v, enum nc_code code) {
  char what[160];
  int err = p->local_errno;
  if (!err && v != NC_VERDICT_PASS && failure_without_answer(code, p->outcome))
    err = nc_resource_failure();
  if (!err || (v == NC_VERDICT_PASS && code == NC_OK && p->expect == NC_EXPECT_REACHABLE))
    return false;
  local_resource_phrase(err, what, sizeof what);
  p->verdict = lower_by_tier(p->tier, NC_VERDICT_WARN);
  p->code = NC_LOCAL_RESOURCE;
  nc_strlcpy(p->outcome, "local_resource", sizeof p->outcome);
  nc_snprintf(p->message, sizeof p->message,
              "not tested: %s, so the probe could not run; this says nothing about the network",
              what);
  diag_fix(p->remediation, sizeof p->remediation, NC_LOCAL_RESOURCE, NULL, NULL);
  return true;
}

void probe_finish(struct probe *p, enum nc_verdict v, enum nc_code code, const char *outcome,
                  const char *fmt, ...) {
  va_list ap;
  if (p->state == NC_PROBE_DONE)
    return;
  p->state = NC_PROBE_DONE;
  p->verdict = lower_by_tier(p->tier, v);
  p->code = code;
  nc_strlcpy(p->outcome, outcome ? outcome : "", sizeof p->outcome);
  va_start(ap, fmt);
  vsnprintf(p->message, sizeof p->message, fmt, ap);
  va_end(ap);
  local_resource_result(p, v, code);
  utf8_trim_tail(p->message);
  scrub(p->message);
  p->wake_ms = 0;
  if (p->eng && p->plan && p->plan->on_finish)
    p->plan->on_finish(p->eng, p);
  if (p->ops->cleanup)
    p->ops->cleanup(p);
}

void probe_fix(struct probe *p, enum nc_code code, const char *variant,
               const struct diag_fact *facts) {
  if (p->state == NC_PROBE_DONE && p->code == NC_LOCAL_RESOURCE)
    return; /* a family's network advice does not apply */
  diag_fix(p->remediation, sizeof p->remediation, code, variant, facts);
  scrub(p->remediation);
}

void probe_set_fix(struct probe *p, const char *rendered) {
  if (!rendered[0] || (p->state == NC_PROBE_DONE && p->code == NC_LOCAL_RESOURCE))
    return;
  nc_strlcpy(p->remediation, rendered, sizeof p->remediation);
  utf8_trim_tail(p->remediation);
  scrub(p->remediation);
}

struct cJSON *probe_details(struct probe *p) {
  if (!p->details)
    p->details = cJSON_CreateObject();
  return p->details;
}

enum nc_verdict probe_judge(const struct probe *p, bool reachable) {
  switch (p->expect) {
  case NC_EXPECT_REACHABLE:
    return reachable ? NC_VERDICT_PASS : NC_VERDICT_FAIL;
  case NC_EXPECT_BLOCKED:
    return reachable ? NC_VERDICT_FAIL : NC_VERDICT_PASS;
  default:
    return NC_VERDICT_PASS;
  }
}

void probe_wake_at(struct probe *p, int64_t at_ms) { p->wake_ms = at_ms; }

int64_t probe_remaining_ms(const struct probe *p) {
  int64_t left = p->deadline_ms - nc_now_ms();
  return left > 0 ? left : 0;
}

int probe_request_ms(const struct probe *p, int timeout_ms) {
  int64_t left = probe_remaining_ms(p);
  return timeout_ms <= 0 || timeout_ms > left ? (int)left : timeout_ms;
}

int64_t probe_connect_left_ms(const struct probe *p) {
  int64_t left = probe_remaining_ms(p), budget;
  if (p->connect_ms <= 0)
    return left;
  budget = p->started_ms + p->connect_ms - nc_now_ms();
  if (budget < 0)
    budget = 0;
  return budget < left ? budget : left;
}

/* ---- expectations ---- */

/* How well an expectation's key names p: 2 the probe (its id or its key),
 * 1 its family, 0 not at all. */
static int expectation_match(const struct nc_expectation *x, const struct probe *p) {
  if (!strcasecmp(x->key, p->id) || (p->key[0] && !strcasecmp(x->key, p->key)))
    return 2;
  return strcasecmp(x->key, p->kind) ? 0 : 1;
}

/* The expectation that applies to p: the most specific key, then the
 * highest precedence, then the last given. NULL when none. */
static const struct nc_expectation *expectation_for(const struct nc_config *cfg,
                                                    const struct probe *p) {
  const struct nc_expectation *best = NULL;
  int best_match = 0;
  for (int i = 0; i < cfg->n_expectations; i++) {
    const struct nc_expectation *x = &cfg->expectations[i];
    int m = expectation_match(x, p);
    if (m == 0)
      continue;
    if (!best || m > best_match || (m == best_match && x->source >= best->source)) {
      best = x;
      best_match = m;
    }
  }
  return best;
}

/* ---- plans ---- */

const struct probe_family *probe_family_find(const char *name) {
  for (int i = 0; probe_families[i]; i++)
    if (name && !strcasecmp(probe_families[i]->name, name))
      return probe_families[i];
  return NULL;
}

static int family_index(const struct probe_family *f) {
  for (int i = 0; i < NC_MAX_FAMILIES && probe_families[i]; i++)
    if (probe_families[i] == f)
      return i;
  return NC_MAX_FAMILIES - 1; /* unreachable for a listed family */
}

void **plan_family_state(struct plan *pl, const struct probe_family *f) {
  return &pl->family_state[family_index(f)];
}

void *plan_family_state_get(const struct plan *pl, const struct probe_family *f) {
  return pl->family_state[family_index(f)];
}

struct probe *plan_add(struct plan *pl, const struct nc_config *cfg, const struct probe_ops *ops,
                       const struct probe_spec *spec) {
  struct probe *p = calloc(1, sizeof *p);
  const struct nc_expectation *x;
  if (!p) {
    if (spec->ctx_free)
      spec->ctx_free(spec->ctx);
    return NULL;
  }
  p->ops = ops;
  p->plan = pl;
  p->cfg = cfg;
  nc_strlcpy(p->id, spec->id, sizeof p->id);
  nc_strlcpy(p->kind, ops->family->name, sizeof p->kind);
  nc_strlcpy(p->target, spec->target ? spec->target : "", sizeof p->target);
  nc_strlcpy(p->name, spec->name ? spec->name : "", sizeof p->name);
  /* The short key --expect KEY=... names the probe by: the family's, else
   * the id after "family:". */
  if (spec->key)
    nc_strlcpy(p->key, spec->key, sizeof p->key);
  else
    nc_strlcpy(p->key, strchr(p->id, ':') ? strchr(p->id, ':') + 1 : p->id, sizeof p->key);
  p->ctx = spec->ctx;
  p->ctx_free = spec->ctx_free;
  p->tier = spec->tier;
  p->expect = spec->expect;
  p->expect_source = "default";
  /* The user's word: an expectation other than "any" means the job needs
   * this outcome, so a miss fails whatever the family's tier. */
  x = expectation_for(cfg, p);
  if (x) {
    p->expect = x->expect;
    p->expect_source = config_source_name(x->source);
    if (x->expect != NC_EXPECT_ANY)
      p->tier = NC_TIER_REQUIRED;
  }
  p->timeout_ms = spec->timeout_ms > 0 ? spec->timeout_ms : cfg->timeout_ms;
  /* What the job may not need never holds it for more than the connect budget. */
  if (p->tier != NC_TIER_REQUIRED && cfg->connect_timeout_ms > 0 &&
      cfg->connect_timeout_ms < p->timeout_ms)
    p->connect_ms = cfg->connect_timeout_ms;
  p->t.dns = p->t.connect = p->t.tls = p->t.first_byte = p->t.total = -1;
  if (pl->tail)
    pl->tail->next = p;
  else
    pl->head = p;
  pl->tail = p;
  pl->count++;
  return p;
}

static void plan_problem(struct plan *pl, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void plan_problem(struct plan *pl, const char *source, const char *fmt, ...) {
  va_list ap;
  struct plan_problem *pr;
  if (pl->n_problems >= NC_MAX_PLAN_PROBLEMS)
    return;
  pr = &pl->problems[pl->n_problems++];
  nc_strlcpy(pr->source, source, sizeof pr->source);
  va_start(ap, fmt);
  vsnprintf(pr->text, sizeof pr->text, fmt, ap);
  va_end(ap);
}

/* Keys of --skip and --expect name a family or (expectations) a planned
 * probe. A wrong one on the command line or in --config is a usage error;
 * one from the job's environment is reported, never fatal. */
static int plan_check_keys(struct plan *pl, const struct nc_config *cfg, char *err, size_t errlen) {
  for (int i = 0; i < cfg->n_skips; i++) {
    if (probe_family_find(cfg->skips[i]))
      continue;
    if (cfg->skip_source[i] >= NC_SRC_CONFIG) {
      nc_snprintf(err, errlen, "%s: --skip %.64s: not a probe family (netcheck --list-probes)",
                  config_source_name(cfg->skip_source[i]), cfg->skips[i]);
      return NC_EXIT_USAGE;
    }
    plan_problem(pl, "NETCHECK_SKIP", "\"%.64s\" is not a probe family: ignored", cfg->skips[i]);
  }
  for (int i = 0; i < cfg->n_expectations; i++) {
    const struct nc_expectation *x = &cfg->expectations[i];
    bool found = probe_family_find(x->key) != NULL;
    for (const struct probe *p = pl->head; p && !found; p = p->next)
      found = expectation_match(x, p) > 0;
    if (found)
      continue;
    if (x->source >= NC_SRC_CONFIG) {
      nc_snprintf(err, errlen,
                  "%s: expectation \"%.64s\": no probe family or planned probe of that name "
                  "(netcheck --dry-run lists them)",
                  config_source_name(x->source), x->key);
      return NC_EXIT_USAGE;
    }
    plan_problem(pl, "NETCHECK_EXPECT",
                 "\"%.64s\" names no probe family or planned probe of this job: ignored", x->key);
  }
  return 0;
}

/* Report order is family order: a family that plans in a later pass still
 * comes at its place in the list. Stable. */
static void plan_sort(struct plan *pl) {
  struct probe *head = NULL, *tail = NULL;
  for (int f = 0; probe_families[f]; f++) {
    struct probe **pp = &pl->head;
    while (*pp) {
      struct probe *p = *pp;
      if (p->ops->family != probe_families[f]) {
        pp = &p->next;
        continue;
      }
      *pp = p->next;
      p->next = NULL;
      if (tail)
        tail->next = p;
      else
        head = p;
      tail = p;
    }
  }
  pl->head = head;
  pl->tail = tail;
}

int plan_build(struct plan *pl, const struct nc_config *cfg, char *err, size_t errlen) {
  int rc;
  memset(pl, 0, sizeof *pl);
  for (int pass = 0; pass < 3; pass++) {
    for (int f = 0; probe_families[f]; f++) {
      const struct probe_family *fam = probe_families[f];
      if (fam->plan_pass != pass || config_skips(cfg, fam->name))
        continue;
      if (fam->plan(pl, cfg))
        return -1;
    }
    /* Every expectation can be matched once the probes and their names exist. */
    if (pass == 1 && (rc = plan_check_keys(pl, cfg, err, errlen)))
      return rc;
  }
  plan_sort(pl);
  /* Without a network every network probe would fail for the same reason:
   * the family that found it names it once, the others are skipped. */
  if (pl->no_network)
    for (struct probe *p = pl->head; p; p = p->next)
      if (!(p->ops->flags & NC_PROBE_LOCAL))
        probe_finish(p, NC_VERDICT_SKIP, pl->no_network_code, "isolated", "not tested: %s",
                     pl->no_network_why);
  return 0;
}

void plan_free(struct plan *pl) {
  struct probe *p = pl->head;
  while (p) {
    struct probe *next = p->next;
    if (p->state != NC_PROBE_DONE && p->ops->cleanup)
      p->ops->cleanup(p);
    if (p->ctx_free)
      p->ctx_free(p->ctx);
    cJSON_Delete(p->details);
    free(p);
    p = next;
  }
  for (int f = 0; f < NC_MAX_FAMILIES && probe_families[f]; f++)
    if (pl->family_state[f] && probe_families[f]->free_state)
      probe_families[f]->free_state(pl->family_state[f]);
  memset(pl, 0, sizeof *pl);
}
