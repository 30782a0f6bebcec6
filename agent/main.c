/*
 * main.c - netcheck's entry point: subcommands, the run, the hand-over.
 *
 *   netcheck [OPTIONS] [-- COMMAND [ARG...]]
 *   netcheck merge REPORT.json...
 *   netcheck explain CODE | --all
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/diag.h"
#include "netcheck/engine.h"
#include "netcheck/merge.h"
#include "netcheck/probe.h"
#include "netcheck/report.h"
#include "netcheck/wrapper.h"

static long long wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int explain_main(int argc, char **argv) {
  int code;
  if (argc != 2) {
    fprintf(stderr, NC_NAME ": usage: netcheck explain CODE | --all\n");
    return NC_EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--all")) {
    diag_markdown(stdout);
    return NC_EXIT_OK;
  }
  code = diag_from_name(argv[1]);
  if (code < 0) {
    fprintf(stderr,
            NC_NAME ": unknown diagnosis code '%.64s' (netcheck explain --all lists them)\n",
            argv[1]);
    return NC_EXIT_USAGE;
  }
  fputs(diag_explain((enum nc_code)code), stdout);
  return NC_EXIT_OK;
}

static void print_families(void) {
  printf("%-7s %-13s %-9s %s\n", "FAMILY", "TIER", "EXPECT", "WHAT IT CHECKS");
  for (int f = 0; probe_families[f]; f++) {
    const struct probe_family *fam = probe_families[f];
    printf("%-7s %-13s %-9s %s\n", fam->name, probe_tier_name(fam->tier),
           config_expect_name(fam->expect), fam->help);
    if (fam->tier_note)
      printf("%-7s %-13s %-9s (%s)\n", "", "", "", fam->tier_note);
  }
}

static void print_plan(const struct nc_config *cfg, const struct plan *pl) {
  printf("%-6s  %-13s  %-9s  %-44s  %s\n", "FAMILY", "TIER", "EXPECT", "PROBE", "TARGET");
  for (const struct probe *p = pl->head; p; p = p->next) {
    printf("%-6s  %-13s  %-9s  %-44s  %s", p->kind, probe_tier_name(p->tier),
           config_expect_name(p->expect), p->id, p->target);
    if (strcmp(p->expect_source, "default") && strcmp(p->expect_source, "derived"))
      printf("  (expectation: %s)", p->expect_source);
    putchar('\n');
  }
  printf("%d probes\n", pl->count);
  /* What the config probes will report as CONFIG_INVALID. */
  for (int i = 0; i < cfg->n_problems; i++)
    printf("config problem: %s: %s%s%s\n", cfg->problems[i].file, cfg->problems[i].field,
           cfg->problems[i].field[0] ? ": " : "", cfg->problems[i].text);
  for (int i = 0; i < pl->n_problems; i++)
    printf("config problem: %s: %s\n", pl->problems[i].source, pl->problems[i].text);
}

/* A failure that is netcheck's configuration, not the network. */
static bool config_failed(const struct plan *pl) {
  for (const struct probe *p = pl->head; p; p = p->next)
    if (p->verdict == NC_VERDICT_FAIL && p->code == NC_CONFIG_INVALID)
      return true;
  return false;
}

/* A TERM or INT that came after the engine's last turn still stops the job. */
static int pending_stop_signal(void) {
  sigset_t stop;
  struct timespec zero = {0, 0};
  int sig;
  engine_signal_mask(&stop);
  sig = sigtimedwait(&stop, NULL, &zero);
  return sig > 0 ? sig : 0;
}

static int write_report(const struct nc_config *cfg, cJSON *report, char *where, size_t wlen) {
  char path[NC_PATH_MAX + 128];
  char *text;
  bool ours;
  int kind = report_path(cfg, path, sizeof path, &ours), rc = 0;
  where[0] = '\0';
  if (kind == 1)
    return 0;
  text = cJSON_Print(report);
  if (!text) {
    NC_ERROR("cannot render the report: out of memory");
    return -1;
  }
  if (kind == 2) {
    fputs(text, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    nc_strlcpy(where, "stdout", wlen);
  } else {
    /* NC_DEFAULT_REPORT_DIR is ours to create; anything above it, and any
     * output's LocalPath, is not. */
    if (report_write_atomic(path, text, strlen(text), ours)) {
      NC_ERROR("cannot write the report to %s: %s", path, strerror(errno));
      rc = -1;
    } else {
      nc_strlcpy(where, path, wlen);
    }
  }
  free(text);
  return rc;
}

static void write_message(const struct nc_config *cfg, const struct plan *pl, const char *where) {
  char line[1024];
  report_failure_line(cfg, pl, where, line, sizeof line);
  if (report_write_atomic(cfg->message_path, line, strlen(line), 0))
    NC_ERROR("cannot write the failure reason to %s: %s", cfg->message_path, strerror(errno));
}

int main(int argc, char **argv) {
  struct nc_config *cfg;
  struct plan pl;
  struct engine *e;
  struct report_run run;
  struct report_counts counts;
  sigset_t mask;
  struct sigaction ign;
  cJSON *report;
  char err[1024], where[NC_PATH_MAX + 128] = "";
  char **cmd = NULL;
  int opt_argc = argc, interrupted, report_failed, rc;
  int64_t t0;

  if (argc > 1 && !strcmp(argv[1], "merge"))
    return merge_main(argc - 1, argv + 1);
  if (argc > 1 && !strcmp(argv[1], "explain"))
    return explain_main(argc - 1, argv + 1);
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--")) {
      opt_argc = i;
      if (i + 1 < argc)
        cmd = argv + i + 1;
      break;
    }
  for (int i = 1; i < opt_argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      config_usage(stdout);
      return NC_EXIT_OK;
    }
    if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
      printf(NC_NAME " %s\n", NC_VERSION);
      return NC_EXIT_OK;
    }
  }

  cfg = calloc(1, sizeof *cfg);
  if (!cfg) {
    fprintf(stderr, NC_NAME ": out of memory\n");
    return NC_EXIT_INTERNAL;
  }
  /* Signals that arrive from here on are read by the engine, never lost. */
  engine_signal_mask(&mask);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, NULL);

  if (config_load(cfg, opt_argc, argv, err, sizeof err)) {
    fprintf(stderr, NC_NAME ": %s\n", err);
    free(cfg);
    return NC_EXIT_USAGE;
  }
  /* --init: from here on no signal is lost before the workload gets it. */
  if (cfg->init && cmd)
    wrapper_init_prepare();
  if (cfg->list_probes) {
    print_families();
    free(cfg);
    return NC_EXIT_OK;
  }
  rc = plan_build(&pl, cfg, err, sizeof err);
  if (rc) {
    if (rc == NC_EXIT_USAGE)
      fprintf(stderr, NC_NAME ": %s\n", err);
    else
      NC_ERROR("cannot plan the probes: out of memory");
    plan_free(&pl);
    free(cfg);
    return rc == NC_EXIT_USAGE ? NC_EXIT_USAGE : NC_EXIT_INTERNAL;
  }
  if (cfg->dry_run) {
    print_plan(cfg, &pl);
    plan_free(&pl);
    free(cfg);
    return NC_EXIT_OK;
  }

  run.started_wall_ms = wall_ms();
  t0 = nc_now_ms();
  e = engine_new(cfg);
  if (!e) {
    plan_free(&pl);
    free(cfg);
    return NC_EXIT_INTERNAL;
  }
  interrupted = engine_run(e, &pl);
  /* Closes every descriptor of ours before the workload inherits the process. */
  engine_free(e);
  if (!interrupted)
    interrupted = pending_stop_signal();
  run.finished_wall_ms = wall_ms();
  run.duration_ms = nc_now_ms() - t0;
  run.interrupted = interrupted;

  report = report_build(cfg, &pl, &run);
  report_failed = !report || write_report(cfg, report, where, sizeof where);
  cJSON_Delete(report);
  report_print_summary(stderr, cfg, &pl, &run, where[0] ? where : NULL);
  report_count(&pl, &counts);

  if (interrupted) {
    plan_free(&pl);
    free(cfg);
    return 128 + interrupted;
  }
  if (counts.fail && cfg->on_fail == NC_ON_FAIL_ABORT) {
    /* A configuration netcheck could not use is a usage problem (2). */
    rc = config_failed(&pl) ? NC_EXIT_USAGE : NC_EXIT_FAIL;
    write_message(cfg, &pl, where[0] ? where : NULL);
    plan_free(&pl);
    free(cfg);
    return rc;
  }
  plan_free(&pl);
  if (cmd) {
    int init = cfg->init;
    free(cfg);
    if (init)
      return wrapper_init(cmd, 1);
    return wrapper_exec(cmd);
  }
  rc = counts.fail ? NC_EXIT_FAIL : NC_EXIT_OK;
  if (report_failed && rc == NC_EXIT_OK)
    rc = NC_EXIT_INTERNAL;
  free(cfg);
  return rc;
}
