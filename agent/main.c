/*
 * main.c - netcheck's entry point: subcommands, the run, the hand-over.
 *
 *   netcheck [OPTIONS] [-- COMMAND [ARG...]]
 *   netcheck merge REPORT.json...
 *   netcheck explain CODE | --all
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
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
#include "netcheck/fetch.h"
#include "netcheck/merge.h"
#include "netcheck/partition.h"
#include "netcheck/probe.h"
#include "netcheck/report.h"
#include "netcheck/signals.h"
#include "netcheck/version.h"
#include "netcheck/wrapper.h"

/* A closed standard descriptor would be the next open()'s: the epoll set or
 * a socket would get number 0, 1 or 2, and a log line would go into it. Each
 * missing one is opened on /dev/null (the workload inherits it); without a
 * /dev/null, on the root directory, which takes the number and refuses every
 * write. Returns a mask of the descriptors that were closed (bit fd). */
static unsigned reserve_std_fds(void) {
  unsigned closed = 0;
  for (int fd = 0; fd <= 2; fd++) {
    int got;
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
      continue;
    closed |= 1u << fd;
    got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (got < 0)
      got = open("/", O_RDONLY | O_DIRECTORY);
    if (got >= 0 && got != fd) /* cannot happen: the lower ones are open */
      close(got);
  }
  return closed;
}

/* Standard output was closed when netcheck started: `--report -` has
 * nowhere to go. */
static bool stdout_was_closed;

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
  printf("%-8s %-13s %-9s %s\n", "FAMILY", "TIER", "EXPECT", "WHAT IT CHECKS");
  for (int f = 0; probe_families[f]; f++) {
    const struct probe_family *fam = probe_families[f];
    printf("%-8s %-13s %-9s %s\n", fam->name, probe_tier_name(fam->tier),
           config_expect_name(fam->expect), fam->help);
    if (fam->tier_note)
      printf("%-8s %-13s %-9s (%s)\n", "", "", "", fam->tier_note);
  }
}

/* The probe whose target is exactly target (a location's s3:// URI: the
 * write check of an output), or NULL. */
static const struct probe *plan_probe_for_target(const struct plan *pl, const char *target) {
  for (const struct probe *p = pl->head; p; p = p->next)
    if (!strcmp(p->target, target))
      return p;
  return NULL;
}

/* What --dry-run shows before the probes: where the region came from, the
 * job's S3 locations with their roles, the hosts, where the report and the
 * message go. */
static void print_job(const struct nc_config *cfg, const struct plan *pl) {
  char path[NC_PATH_MAX + 128];
  bool ours;
  int kind;
  printf("region       %s (%s; partition %s%s)\n", cfg->region,
         config_region_source_text(cfg->region_source), partition_of_region(cfg->region)->name,
         cfg->fips ? ", FIPS endpoints" : "");
  if (cfg->region_note[0])
    printf("             note: %s\n", cfg->region_note);
  if (cfg->job.found)
    printf("job          %s%s%s\n", cfg->job.name[0] ? cfg->job.name : "(no name)",
           cfg->job.arn[0] ? "  " : "", cfg->job.arn);
  printf("hosts        ");
  if (cfg->job.n_hosts == 0)
    printf("%s only (resourceconfig.json names no hosts)",
           cfg->job.current_host[0] ? cfg->job.current_host : "this host");
  for (int i = 0; i < cfg->job.n_hosts; i++)
    printf("%s%s%s", i ? ", " : "", cfg->job.hosts[i],
           !strcmp(cfg->job.hosts[i], cfg->job.current_host) ? " (this host)" : "");
  putchar('\n');
  kind = report_path(cfg, path, sizeof path, &ours);
  printf("report       %s%s\n",
         kind == 1   ? "none"
         : kind == 2 ? "standard output"
                     : path,
         kind == 0 && !report_is_collected(cfg)
             ? " (not uploaded: add a ProcessingOutput named \"netcheck\")"
             : "");
  printf("message file %s (%s)\n", cfg->message_path,
         cfg->on_fail == NC_ON_FAIL_ABORT ? "written when a check fails: --on-fail abort"
                                          : "written only with --on-fail abort");
  if (cfg->job.output_kms_key[0])
    printf("output key   %s (ProcessingOutputConfig.KmsKeyId: SSE-KMS)\n", cfg->job.output_kms_key);
  printf("S3 locations%s\n", cfg->n_locations ? "" : "  none");
  for (int i = 0; i < cfg->n_locations; i++) {
    const struct nc_s3_location *l = &cfg->locations[i];
    char target[NC_PATH_MAX + 80], shown[sizeof l->prefix];
    const struct probe *w;
    if (!l->bucket[0]) {
      printf("  %-8s not applicable: %s  [%s%s%s]\n", l->role, l->note, l->field,
             l->name[0] ? " " : "", l->name);
      continue;
    }
    nc_redact_url(l->prefix, shown, sizeof shown);
    printf("  %-8s s3://%s/%s%s%s  [%s%s%s]\n", l->role, l->bucket, shown,
           l->region[0] ? "  region " : "", l->region, l->field, l->name[0] ? " " : "", l->name);
    nc_snprintf(target, sizeof target, "s3://%s/%s", l->bucket, shown);
    if ((w = plan_probe_for_target(pl, target)))
      printf("           checked by %s\n", w->id);
  }
}

static void print_plan(const struct nc_config *cfg, const struct plan *pl) {
  print_job(cfg, pl);
  putchar('\n');
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

/* The engine could not be created (err: its errno): every probe is reported
 * as not run, LOCAL_RESOURCE when netcheck ran out of descriptors or memory. */
static void fail_unrun(struct plan *pl, int err) {
  for (struct probe *p = pl->head; p; p = p->next) {
    if (p->state == NC_PROBE_DONE)
      continue;
    probe_note_errno(p, err);
    probe_finish(p, NC_VERDICT_FAIL, NC_TIMEOUT_BUDGET, "internal_error",
                 "not tested: netcheck could not start its event loop (%s)",
                 err ? strerror(err) : "unknown error");
  }
}

/* A stop signal that came after the engine's last turn still stops the job. */
static int pending_stop_signal(const struct nc_config *cfg) {
  sigset_t stop;
  struct timespec zero = {0, 0};
  int sig;
  sig_stop_set(&stop, cfg->init);
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
    /* Errors surface at the flush, if not before: check every step. */
    errno = EBADF;
    if (stdout_was_closed || fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF ||
        fflush(stdout) == EOF || ferror(stdout)) {
      NC_ERROR("cannot write the report to standard output: %s",
               stdout_was_closed ? "it was closed when netcheck started" : strerror(errno));
      rc = -1;
    } else {
      nc_strlcpy(where, "stdout", wlen);
    }
  } else {
    /* NC_DEFAULT_REPORT_DIR is ours to create; anything above it, and any
     * output's LocalPath, is not. */
    const char *why;
    int w = report_write(path, text, strlen(text), ours, &why);
    if (w < 0) {
      NC_ERROR("cannot write the report to %s: %s", path, why ? why : strerror(errno));
      rc = -1;
    } else if (w == REPORT_WRITTEN) {
      nc_strlcpy(where, path, wlen);
    }
  }
  free(text);
  return rc;
}

static void write_message(const struct nc_config *cfg, const struct plan *pl, const char *where) {
  char line[1024];
  const char *why;
  report_failure_line(cfg, pl, where, line, sizeof line);
  if (report_write(cfg->message_path, line, strlen(line), 0, &why) < 0)
    NC_ERROR("cannot write the failure reason to %s: %s", cfg->message_path,
             why ? why : strerror(errno));
}

int main(int argc, char **argv) {
  struct nc_config *cfg;
  struct plan pl;
  struct engine *e;
  struct report_run run;
  struct report_counts counts;
  cJSON *report;
  char err[1024], where[NC_PATH_MAX + 128] = "";
  char **cmd;
  int interrupted, report_failed, rc;
  int64_t t0;

  stdout_was_closed = reserve_std_fds() & (1u << STDOUT_FILENO);
  if (argc > 1 && !strcmp(argv[1], "merge"))
    return merge_main(argc - 1, argv + 1);
  if (argc > 1 && !strcmp(argv[1], "explain"))
    return explain_main(argc - 1, argv + 1);
  if (argc > 1 && !strncmp(argv[1], WRAPPER_SUPERVISOR_ARG, strlen(WRAPPER_SUPERVISOR_ARG)))
    return wrapper_supervisor_main(argc, argv);
  cfg = calloc(1, sizeof *cfg);
  if (!cfg) {
    fprintf(stderr, NC_NAME ": out of memory\n");
    return NC_EXIT_INTERNAL;
  }
  /* Signals that arrive from here on are read by the engine, never lost. */
  sig_init();

  if (config_load(cfg, argc, argv, err, sizeof err)) {
    fprintf(stderr, NC_NAME ": %s\n", err);
    free(cfg);
    return NC_EXIT_USAGE;
  }
  if (cfg->help || cfg->version) {
    if (cfg->help)
      config_usage(stdout);
    else
      version_print(stdout);
    free(cfg);
    return NC_EXIT_OK;
  }
  cmd = cfg->command;
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
  e = engine_new(cfg, fetch_backends);
  if (e) {
    interrupted = engine_run(e, &pl);
    /* Closes every descriptor of ours before the workload inherits the process. */
    engine_free(e);
  } else {
    /* No event loop, no checks: the report says why, and in warn mode the
     * workload still starts. */
    fail_unrun(&pl, errno);
    interrupted = 0;
  }
  if (!interrupted)
    interrupted = pending_stop_signal(cfg);
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
      return wrapper_init_reexec(cmd);
    return wrapper_exec(cmd);
  }
  rc = counts.fail ? NC_EXIT_FAIL : NC_EXIT_OK;
  if (report_failed && rc == NC_EXIT_OK)
    rc = NC_EXIT_INTERNAL;
  free(cfg);
  return rc;
}
