/*
 * probe.h - the one interface between the core and every probe family.
 *
 * A family (probes/FAMILY.c) is a struct probe_family: its name, its help
 * line, the tier and expectation its probes have by default, and a plan
 * function that adds one struct probe per report entry. probes/families.c
 * lists the families in report order; the core (agent/) iterates that list
 * and never names a family.
 *
 * Planning (docs/design.md, "Tiers"): every probe declares its tier
 * (required: the job uses it; policy: what the SageMaker guide recommends;
 * informational: facts for when the job needs them), its default
 * expectation, the DNS name it resolves (the dns family probes each name
 * once, with the tier and expectation of the probes that use it) and a typed
 * context of the family's own (ctx). plan_add() applies the user's
 * expectations (--expect, --config, NETCHECK_EXPECT): an explicit
 * expectation other than "any" makes a probe required.
 *
 * Running: the engine alone calls the ops: start() once, on_event() for
 * descriptors the probe watches, on_timer() when the probe's wake time
 * passes, and on_timeout() when its deadline passes. A probe reports its
 * result with probe_finish() exactly once, judged against its expectation;
 * probe_finish() then lowers a miss by tier (policy: warn, informational:
 * info). The engine releases in-flight DNS and HTTP work of a finished
 * probe (plan->on_finish, set by engine_run: probe.c does not know the
 * engine) and calls cleanup(). A probe never blocks.
 */
#ifndef NETCHECK_PROBE_H
#define NETCHECK_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "netcheck/config.h"
#include "netcheck/diag.h"

struct engine;
struct cJSON;
struct plan;

/* info: an informational probe's finding that is not judged (a fact). */
enum nc_verdict {
  NC_VERDICT_PASS,
  NC_VERDICT_FAIL,
  NC_VERDICT_WARN,
  NC_VERDICT_SKIP,
  NC_VERDICT_INFO
};

/* How a probe that misses its expectation is reported; strongest first. */
enum nc_tier { NC_TIER_REQUIRED, NC_TIER_POLICY, NC_TIER_INFORMATIONAL };

enum nc_probe_state { NC_PROBE_PLANNED, NC_PROBE_WAITING, NC_PROBE_RUNNING, NC_PROBE_DONE };

#define NC_PROBE_NEEDS_CREDS 0x1u    /* start after every NC_PROBE_PROVIDES_CREDS probe finished */
#define NC_PROBE_PEER_PHASE 0x2u     /* deadline is --peer-wait, not --timeout */
#define NC_PROBE_PROVIDES_CREDS 0x4u /* finds the credentials the others sign with */
#define NC_PROBE_LOCAL 0x8u          /* needs no network: runs in an isolated container too */

struct probe {
  const struct probe_ops *ops;
  struct plan *plan;
  struct engine *eng;
  const struct nc_config *cfg;

  char id[320];           /* stable: "dns:s3.us-east-1.amazonaws.com", "s3:bucket" */
  char kind[16];          /* family name */
  char target[288];       /* host, URL or bucket */
  char name[NC_HOST_MAX]; /* the DNS name the probe resolves, "" = none */
  char key[NC_KEY_MAX];   /* what --expect KEY=... names it by besides its id ("sts") */
  enum nc_tier tier;
  enum nc_expect expect;
  const char *expect_source; /* "default", "derived" (dns), or where the user set it */
  int timeout_ms;            /* this probe's own budget, inside the global deadline */
  int connect_ms;            /* DNS + connect budget (--connect-timeout); 0 = timeout_ms */
  void *ctx;                 /* the family's typed parameters, set at plan time */
  void (*ctx_free)(void *);  /* frees ctx (NULL: ctx is static or not owned) */

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

  void *priv; /* run-time state of the family */
  struct probe *next;
};

struct probe_ops {
  const struct probe_family *family;
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

struct probe_family {
  const char *name;      /* "s3": probe ids, --skip, --expect, --list-probes */
  const char *help;      /* one line for --list-probes */
  enum nc_tier tier;     /* the tier of its probes unless they say otherwise */
  enum nc_expect expect; /* their default expectation */
  const char *tier_note; /* how the tier is decided, for --list-probes; NULL = fixed */
  /* Planning pass: 0 for most; the dns family plans in pass 1, after the
   * probes whose names it resolves; the config family in pass 2, after
   * every expectation has been matched. */
  int plan_pass;
  int (*plan)(struct plan *pl, const struct nc_config *cfg);
  /* Optional: adds the family's findings about the host to the report's
   * "environment" object (interfaces, resolver notes, ...). */
  void (*environment)(const struct plan *pl, struct cJSON *env);
  /* Optional: frees the family's plan-wide state (plan_family_state). */
  void (*free_state)(void *state);
};

/* The families in report order, NULL-terminated (probes/families.c). */
extern const struct probe_family *const probe_families[];
/* The family called name, or NULL. */
const struct probe_family *probe_family_find(const char *name);

/* Records the result; the first call wins, later calls are ignored.
 * message is printf-style. When a step of the probe ran out of a local
 * resource (probe_note_errno), a result that is not a plain pass becomes
 * LOCAL_RESOURCE: verdict warn, and the message and remediation say what ran
 * out - never a network diagnosis. A fail or warn of a policy or
 * informational probe is then lowered by its tier (policy: fail -> warn;
 * informational: fail and warn -> info). */
void probe_finish(struct probe *p, enum nc_verdict v, enum nc_code code, const char *outcome,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Sets the probe's remediation to the fix template of code (variant NULL:
 * the default) with its slots filled from facts (diag_fix, diag.h): the
 * one way a family writes a remediation. */
void probe_fix(struct probe *p, enum nc_code code, const char *variant,
               const struct diag_fact *facts);
/* Sets a remediation a pure classifier already rendered with diag_fix
 * (s3_classify); "" leaves none. */
void probe_set_fix(struct probe *p, const char *rendered);

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
/* A request's budget: timeout_ms, at most what is left of the probe's (all of it when
 * timeout_ms <= 0). The backends (http.c, resolve.c) time their requests with it. */
int probe_request_ms(const struct probe *p, int timeout_ms);
/* Milliseconds left to resolve and connect (the connect budget of a policy
 * or informational probe; else what is left of the whole budget). */
int64_t probe_connect_left_ms(const struct probe *p);

const char *probe_tier_name(enum nc_tier t);
const char *probe_verdict_name(enum nc_verdict v);

/* ---- plans ---- */

#define NC_MAX_FAMILIES 16
#define NC_MAX_PLAN_PROBLEMS 8

/* A problem found while planning (an expectation that matches no probe),
 * reported by the config family. */
struct plan_problem {
  char source[64]; /* where the setting came from: "NETCHECK_EXPECT", ... */
  char text[256];
};

struct plan {
  struct probe *head, *tail;
  int count;
  /* Set by a family during planning when the container has no network:
   * every probe without NC_PROBE_LOCAL is then skipped with this code. */
  bool no_network;
  enum nc_code no_network_code;
  char no_network_why[160];
  struct plan_problem problems[NC_MAX_PLAN_PROBLEMS];
  int n_problems;
  void *family_state[NC_MAX_FAMILIES]; /* see plan_family_state */
  /* Called by probe_finish, before cleanup(): the engine that runs the plan
   * (engine_run sets it) drops the probe's in-flight requests. NULL = none. */
  void (*on_finish)(struct engine *e, const struct probe *p);
};

/* What a family says about one probe it plans. */
struct probe_spec {
  const char *id;     /* "s3:bucket": family name, ':', the probe's own key */
  const char *target; /* host, URL or bucket */
  const char *name;   /* the DNS name it resolves (NULL/"" = none) */
  const char *key;    /* the key --expect KEY=... names it by besides its id: NULL = the
                         id after "family:" ("sts" of aws:sts), "" = none */
  enum nc_tier tier;  /* the family's tier for this probe */
  enum nc_expect expect;
  int timeout_ms; /* 0 = --timeout */
  void *ctx;      /* typed parameters; owned by the probe when ctx_free is set */
  void (*ctx_free)(void *);
};

/* Adds a probe (strings copied) and applies the user's expectations. On
 * failure (out of memory) ctx is freed and NULL returned. */
struct probe *plan_add(struct plan *pl, const struct nc_config *cfg, const struct probe_ops *ops,
                       const struct probe_spec *spec);
/* The family's plan-wide state slot (NULL until the family sets it; freed
 * by family->free_state in plan_free). */
void **plan_family_state(struct plan *pl, const struct probe_family *f);
/* Its value, for reading (NULL when unset). */
void *plan_family_state_get(const struct plan *pl, const struct probe_family *f);
/* Builds the whole plan from the configuration, family by family, in
 * report order. 0, -1 when out of memory, or NC_EXIT_USAGE with a line in
 * err when a command-line expectation matches no probe. */
int plan_build(struct plan *pl, const struct nc_config *cfg, char *err, size_t errlen);
void plan_free(struct plan *pl);

#endif
