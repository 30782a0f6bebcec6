/* probe.c - the result helpers every probe uses, and the plan. */
#include "netcheck/probe.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "netcheck/common.h"
#include "netcheck/diag.h"
#include "netcheck/engine.h"

/* Text from the network ends up in messages: keep it printable, one line. */
static void scrub(char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
      *s = ' ';
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
  p->verdict = NC_VERDICT_WARN;
  p->code = NC_LOCAL_RESOURCE;
  nc_strlcpy(p->outcome, "local_resource", sizeof p->outcome);
  nc_snprintf(p->message, sizeof p->message,
              "not tested: %s, so the probe could not run; this says nothing about the network",
              what);
  nc_snprintf(p->remediation, sizeof p->remediation,
              "Raise the open-file limit of the process that starts netcheck (ulimit -n 4096 in "
              "the entrypoint, or the container's nofile limit) and leave it memory, then run "
              "again; nothing in the VPC needs to change for this result.");
  return true;
}

void probe_finish(struct probe *p, enum nc_verdict v, enum nc_code code, const char *outcome,
                  const char *fmt, ...) {
  va_list ap;
  if (p->state == NC_PROBE_DONE)
    return;
  p->state = NC_PROBE_DONE;
  p->verdict = v;
  p->code = code;
  nc_strlcpy(p->outcome, outcome ? outcome : "", sizeof p->outcome);
  va_start(ap, fmt);
  vsnprintf(p->message, sizeof p->message, fmt, ap);
  va_end(ap);
  local_resource_result(p, v, code);
  nc_utf8_trim_tail(p->message);
  scrub(p->message);
  p->wake_ms = 0;
  if (p->eng)
    engine_probe_finished(p->eng, p);
  if (p->ops->cleanup)
    p->ops->cleanup(p);
}

void probe_remediation(struct probe *p, const char *fmt, ...) {
  va_list ap;
  if (p->state == NC_PROBE_DONE && p->code == NC_LOCAL_RESOURCE)
    return; /* a family's network advice does not apply */
  va_start(ap, fmt);
  vsnprintf(p->remediation, sizeof p->remediation, fmt, ap);
  va_end(ap);
  nc_utf8_trim_tail(p->remediation);
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

struct probe *plan_add(struct plan *pl, const struct nc_config *cfg, const struct probe_ops *ops,
                       const char *id, const char *target, const char *arg, enum nc_expect expect,
                       int timeout_ms) {
  struct probe *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->ops = ops;
  p->cfg = cfg;
  nc_strlcpy(p->id, id, sizeof p->id);
  nc_strlcpy(p->kind, ops->family, sizeof p->kind);
  nc_strlcpy(p->target, target ? target : "", sizeof p->target);
  nc_strlcpy(p->arg, arg ? arg : "", sizeof p->arg);
  p->expect = expect;
  p->timeout_ms = timeout_ms > 0 ? timeout_ms : cfg->timeout_ms;
  p->t.dns = p->t.connect = p->t.tls = p->t.first_byte = p->t.total = -1;
  if (pl->tail)
    pl->tail->next = p;
  else
    pl->head = p;
  pl->tail = p;
  pl->count++;
  return p;
}

int plan_build(struct plan *pl, const struct nc_config *cfg) {
  static int (*const families[NC_FAM_COUNT])(struct plan *, const struct nc_config *) = {
      env_plan,    creds_plan, dns_plan,   s3_plan,  repo_plan,
      egress_plan, aws_plan,   clock_plan, peer_plan};
  memset(pl, 0, sizeof *pl);
  for (int f = 0; f < NC_FAM_COUNT; f++) {
    if (cfg->skip[f])
      continue;
    if (families[f](pl, cfg))
      return -1;
  }
  /* Without a network, every network probe would fail for the same reason:
   * the env probe names it once, the others are skipped with its code. */
  if (!cfg->skip[NC_FAM_ENV] && env_is_isolated()) {
    for (struct probe *p = pl->head; p; p = p->next) {
      if (!strcmp(p->kind, "env"))
        continue;
      probe_finish(p, NC_VERDICT_SKIP, NC_NETWORK_ISOLATED, "isolated",
                   "not tested: the container has no network interface but lo");
    }
  }
  return 0;
}

void plan_free(struct plan *pl) {
  struct probe *p = pl->head;
  while (p) {
    struct probe *next = p->next;
    if (p->state != NC_PROBE_DONE && p->ops->cleanup)
      p->ops->cleanup(p);
    cJSON_Delete(p->details);
    free(p);
    p = next;
  }
  memset(pl, 0, sizeof *pl);
}
