/*
 * plan_fixture.h - the hand-built plan that test_junit.c and test_summary.c
 * render: a config, a plan and a run, and add() to put one finished probe in
 * the plan (no probe runs), and the cmocka teardown that frees the fixture.
 * Include after <cmocka.h>.
 */
#ifndef NC_TEST_PLAN_FIXTURE_H
#define NC_TEST_PLAN_FIXTURE_H

#include <stdlib.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/probe.h"
#include "netcheck/report.h"

struct fixture {
  struct nc_config cfg;
  struct plan pl;
  struct report_run run;
};

/* One required probe, done, with this verdict, code, message and time. */
static struct probe *add(struct fixture *f, const struct probe_ops *ops, const char *id,
                         const char *target, enum nc_verdict v, enum nc_code code,
                         const char *message, const char *remediation, double total_ms) {
  struct probe_spec spec = {.id = id,
                            .target = target,
                            .tier = NC_TIER_REQUIRED,
                            .expect = NC_EXPECT_REACHABLE,
                            .timeout_ms = 1000};
  struct probe *p = plan_add(&f->pl, &f->cfg, ops, &spec);
  assert_non_null(p);
  p->verdict = v;
  p->code = code;
  p->state = NC_PROBE_DONE;
  nc_strlcpy(p->message, message, sizeof p->message);
  nc_strlcpy(p->remediation, remediation, sizeof p->remediation);
  p->t.total = total_ms;
  return p;
}

/* cmocka teardown of a fixture a setup allocated into *state. */
static int teardown(void **state) {
  struct fixture *f = *state;
  plan_free(&f->pl);
  free(f);
  return 0;
}

#endif
