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
#include "netcheck/merge.h"
#include "netcheck/probe.h"
#include "netcheck/report.h"
#include "netcheck/signals.h"
#include "netcheck/wrapper.h"

static const char *const family_help[NC_FAM_COUNT] = {
    "interfaces, addresses, MTU, routes, resolv.conf, network isolation",
    "container credentials endpoint or environment keys",
    "A/AAAA of S3 and service names against every nameserver; address class",
    "HEAD bucket and ListObjectsV2 on each job bucket (SigV4 when credentials exist)",
    "Amazon Linux 1/2/2023 mirror lists through the S3 endpoint (expected blocked)",
    "HTTPS to public targets (default pypi.org; expectation from --expect/--config)",
    "sts, logs, monitoring, api.ecr, api.sagemaker: DNS, TCP, TLS; STS GetCallerIdentity",
    "clock skew against the S3 endpoint's Date header",
    "mesh to every other host: connect, HELLO, RTT, 1 MiB transfer, start barrier"};

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

static void print_plan(const struct plan *pl) {
  printf("%-6s  %-9s  %-44s  %s\n", "FAMILY", "EXPECT", "PROBE", "TARGET");
  for (const struct probe *p = pl->head; p; p = p->next)
    printf("%-6s  %-9s  %-44s  %s\n", p->kind, config_expect_name(p->expect), p->id, p->target);
  printf("%d probes\n", pl->count);
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
  int kind = report_path(cfg, path, sizeof path), rc = 0;
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
    /* The <output>/netcheck/ folder is ours to create; anything above is not. */
    int mk = !cfg->report_path[0];
    const char *why;
    int w = report_write(path, text, strlen(text), mk, &why);
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

static void write_message(const struct nc_config *cfg, const struct plan *pl) {
  char line[1024];
  const char *why;
  report_failure_line(pl, line, sizeof line);
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
      printf(NC_NAME " %s\n", NC_VERSION);
    free(cfg);
    return NC_EXIT_OK;
  }
  cmd = cfg->command;
  /* --init: from here on no signal is lost before the workload gets it. */
  if (cfg->init && cmd)
    wrapper_init_prepare();
  if (cfg->list_probes) {
    for (int f = 0; f < NC_FAM_COUNT; f++)
      printf("%-7s %-9s %s\n", config_family_name((enum nc_family)f),
             config_expect_name(cfg->expect[f]), family_help[f]);
    free(cfg);
    return NC_EXIT_OK;
  }
  if (plan_build(&pl, cfg)) {
    NC_ERROR("cannot plan the probes: out of memory");
    plan_free(&pl);
    free(cfg);
    return NC_EXIT_INTERNAL;
  }
  if (cfg->dry_run) {
    print_plan(&pl);
    plan_free(&pl);
    free(cfg);
    return NC_EXIT_OK;
  }

  run.started_wall_ms = wall_ms();
  t0 = nc_now_ms();
  e = engine_new(cfg);
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
    write_message(cfg, &pl);
    plan_free(&pl);
    free(cfg);
    return NC_EXIT_FAIL;
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
