/*
 * config.c - the config probe family: what netcheck was told but could not
 * use. A field of processingjobconfig.json or resourceconfig.json of an
 * unexpected shape, more hosts than netcheck probes, a NETCHECK_* setting in
 * the job's environment that names no probe: each file (or the environment)
 * with a problem becomes one probe, config:FILE, that fails with
 * CONFIG_INVALID and lists the problems in its details. Never fatal: what
 * could be used was used, and in warn mode the workload starts as always.
 * Problems of the command line and of --config are usage errors instead
 * (exit 2 before anything runs).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/probe.h"

#define CONFIG_ENVIRONMENT "environment"

const struct probe_family config_family;

/* The probe's ctx: the file whose problems it reports. */
struct config_target {
  char file[NC_PATH_MAX];
};

static const char *config_base(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash && slash[1] ? slash + 1 : path;
}

/* Every problem of the probe's file, in its details; the first in the message. */
static int config_start(struct probe *p) {
  const struct config_target *t = p->ctx;
  const struct nc_config *cfg = p->cfg;
  const struct plan *pl = p->plan;
  cJSON *arr = cJSON_AddArrayToObject(probe_details(p), "problems");
  char first[512] = "";
  int n = 0;
  cJSON_AddStringToObject(p->details, "file", t->file);
  for (int i = 0; i < cfg->n_problems; i++) {
    const struct nc_problem *pr = &cfg->problems[i];
    cJSON *o;
    if (strcmp(pr->file, t->file))
      continue;
    if (!n++)
      nc_snprintf(first, sizeof first, "%s%s%s", pr->field, pr->field[0] ? ": " : "", pr->text);
    if ((o = cJSON_CreateObject())) {
      cJSON_AddStringToObject(o, "field", pr->field);
      cJSON_AddStringToObject(o, "problem", pr->text);
      cJSON_AddItemToArray(arr, o);
    }
  }
  for (int i = 0; !strcmp(t->file, CONFIG_ENVIRONMENT) && i < pl->n_problems; i++) {
    cJSON *o;
    if (!n++)
      nc_snprintf(first, sizeof first, "%s: %s", pl->problems[i].source, pl->problems[i].text);
    if ((o = cJSON_CreateObject())) {
      cJSON_AddStringToObject(o, "field", pl->problems[i].source);
      cJSON_AddStringToObject(o, "problem", pl->problems[i].text);
      cJSON_AddItemToArray(arr, o);
    }
  }
  probe_fix(p, NC_CONFIG_INVALID, !strcmp(t->file, CONFIG_ENVIRONMENT) ? "env" : NULL,
            DIAG_FACTS({"file", t->file}));
  probe_finish(p, NC_VERDICT_FAIL, NC_CONFIG_INVALID, "config_invalid", "%s: %s%s",
               config_base(t->file), first, n > 1 ? " (and more: see details.problems)" : "");
  return 0;
}

static const struct probe_ops config_ops = {
    .family = &config_family,
    .flags = NC_PROBE_LOCAL,
    .start = config_start,
};

static int config_add(struct plan *pl, const struct nc_config *cfg, const char *file) {
  struct config_target *t;
  char id[sizeof pl->head->id];
  for (const struct probe *q = pl->head; q; q = q->next)
    if (q->ops == &config_ops && !strcmp(((const struct config_target *)q->ctx)->file, file))
      return 0;
  if (!(t = calloc(1, sizeof *t)))
    return -1;
  nc_strlcpy(t->file, file, sizeof t->file);
  nc_snprintf(id, sizeof id, "config:%s", config_base(file));
  struct probe_spec spec = {.id = id,
                            .target = file,
                            .key = "",
                            .tier = NC_TIER_REQUIRED,
                            .expect = NC_EXPECT_REACHABLE,
                            .ctx = t,
                            .ctx_free = free};
  return plan_add(pl, cfg, &config_ops, &spec) ? 0 : -1;
}

/* Plans last: the expectations were matched against every other probe. */
static int config_plan(struct plan *pl, const struct nc_config *cfg) {
  for (int i = 0; i < cfg->n_problems; i++)
    if (config_add(pl, cfg, cfg->problems[i].file))
      return -1;
  if (pl->n_problems && config_add(pl, cfg, CONFIG_ENVIRONMENT))
    return -1;
  return 0;
}

const struct probe_family config_family = {
    .name = "config",
    .help = "job config fields and NETCHECK_* settings netcheck could not use (CONFIG_INVALID)",
    .tier = NC_TIER_REQUIRED,
    .expect = NC_EXPECT_REACHABLE,
    .tier_note = "planned only when there is a problem",
    .plan_pass = 2,
    .plan = config_plan,
};
