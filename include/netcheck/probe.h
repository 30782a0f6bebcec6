/*
 * probe.h - the one interface between the engine and every probe family.
 *
 * A family (probes/FAMILY.c) exports a plan function that adds one struct
 * probe per report entry, each pointing at the family's struct probe_ops.
 * The engine alone calls the ops: start() once, on_event() for descriptors
 * the probe watches, on_timer() when the probe's wake time passes, and
 * on_timeout() when its deadline passes. A probe reports its result with
 * probe_finish() exactly once; the engine releases in-flight DNS and HTTP
 * work of a finished probe and calls cleanup(). A probe never blocks.
 */
#ifndef NETCHECK_PROBE_H
#define NETCHECK_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "netcheck/config.h"
#include "netcheck/diag.h"

struct engine;
struct cJSON;

enum nc_verdict { NC_VERDICT_PASS, NC_VERDICT_FAIL, NC_VERDICT_WARN, NC_VERDICT_SKIP };

/* Phase timings in milliseconds; negative = not measured. */
struct nc_timings {
  double dns, connect, tls, first_byte, total;
};

enum nc_probe_state { NC_PROBE_PLANNED, NC_PROBE_WAITING, NC_PROBE_RUNNING, NC_PROBE_DONE };

#define NC_PROBE_NEEDS_CREDS 0x1u /* start after the credentials probe finished */
#define NC_PROBE_PEER_PHASE 0x2u  /* deadline is --peer-wait, not --timeout */

struct probe {
  const struct probe_ops *ops;
  struct engine *eng;
  const struct nc_config *cfg;

  char id[320];     /* stable: "dns:s3.us-east-1.amazonaws.com", "s3:bucket" */
  char kind[16];    /* family name */
  char target[288]; /* host, URL or bucket */
  char arg[1024];   /* family parameter (prefix, path, ...) */
  int arg_int;
  enum nc_expect expect;
  int timeout_ms; /* this probe's own budget, inside the global deadline */

  /* engine-owned */
  enum nc_probe_state state;
  int64_t started_ms;
  int64_t deadline_ms;
  int64_t wake_ms; /* 0 = no timer; set with probe_wake_at() */

  /* result */
  enum nc_verdict verdict;
  enum nc_code code;
  char outcome[64];       /* wire-level: "resolved", "http_403", "connect_timeout" */
  char message[512];      /* one sentence for a person */
  char remediation[1536]; /* what to change, in VPC terms */
  struct nc_timings t;
  struct cJSON *details; /* object, created on demand by probe_details() */
  int local_errno;       /* a step ran out of descriptors or memory (probe_note_errno) */

  void *priv; /* family state */
  struct probe *next;
};

struct probe_ops {
  const char *family;
  unsigned flags;
  /* Begins the probe; may finish it at once. Returns 0, or -1 on an internal
   * error (the engine then finishes the probe as failed). */
  int (*start)(struct probe *p);
  /* Readiness of a descriptor the probe registered with engine_watch(). */
  void (*on_event)(struct probe *p, int fd, uint32_t events);
  /* The wake time set with probe_wake_at() has passed. */
  void (*on_timer)(struct probe *p);
  /* The probe's deadline passed: finish now with what is known. If it does
   * not, the engine finishes it with TIMEOUT_BUDGET. */
  void (*on_timeout)(struct probe *p);
  /* Frees priv; called once, after the probe finished. */
  void (*cleanup)(struct probe *p);
};

/* Records the result; the first call wins, later calls are ignored.
 * message is printf-style. When a step of the probe ran out of a local
 * resource (probe_note_errno), a result that is not a plain pass becomes
 * LOCAL_RESOURCE: verdict warn, and the message and remediation say what ran
 * out - never a network diagnosis. */
void probe_finish(struct probe *p, enum nc_verdict v, enum nc_code code, const char *outcome,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void probe_remediation(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Notes that a step of p failed for want of a local resource (err is an
 * errno for which nc_resource_errno holds; any other err is ignored): the
 * probe's result is then LOCAL_RESOURCE (see probe_finish). */
void probe_note_errno(struct probe *p, int err);

/* The probe's details object (created on first use). */
struct cJSON *probe_details(struct probe *p);

/* Verdict for "the target was reachable (or not)" judged against p->expect. */
enum nc_verdict probe_judge(const struct probe *p, bool reachable);

/* Sets the probe's single timer (absolute monotonic ms); 0 clears it. */
void probe_wake_at(struct probe *p, int64_t at_ms);

/* Milliseconds left before the probe's deadline (>= 0). */
int64_t probe_remaining_ms(const struct probe *p);

/* ---- plans ---- */

struct plan {
  struct probe *head, *tail;
  int count;
};

/* Adds a probe (copied strings; arg may be NULL). Returns the probe or NULL. */
struct probe *plan_add(struct plan *pl, const struct nc_config *cfg, const struct probe_ops *ops,
                       const char *id, const char *target, const char *arg, enum nc_expect expect,
                       int timeout_ms);
/* Builds the whole plan from the configuration, family by family. 0 or -1. */
int plan_build(struct plan *pl, const struct nc_config *cfg);
void plan_free(struct plan *pl);

/* True when the container has no interface but lo (network isolation). */
bool env_is_isolated(void);

/* Each family's plan function (probes/FAMILY.c). */
int env_plan(struct plan *pl, const struct nc_config *cfg);
int creds_plan(struct plan *pl, const struct nc_config *cfg);
int dns_plan(struct plan *pl, const struct nc_config *cfg);
int s3_plan(struct plan *pl, const struct nc_config *cfg);
int repo_plan(struct plan *pl, const struct nc_config *cfg);
int egress_plan(struct plan *pl, const struct nc_config *cfg);
int aws_plan(struct plan *pl, const struct nc_config *cfg);
int clock_plan(struct plan *pl, const struct nc_config *cfg);
int peer_plan(struct plan *pl, const struct nc_config *cfg);

#endif
