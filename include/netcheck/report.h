/*
 * report.h - the JSON report (schema version 1, docs/report.schema.json),
 * written atomically; the stderr summary; the one-line failure reason for
 * --on-fail abort. main calls these once the engine has run the plan.
 */
#ifndef NETCHECK_REPORT_H
#define NETCHECK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "netcheck/config.h"
#include "netcheck/probe.h"

#define NC_SCHEMA_VERSION 1

struct cJSON;

struct report_run {
  long long started_wall_ms; /* CLOCK_REALTIME, for timestamps */
  long long finished_wall_ms;
  long long duration_ms; /* monotonic */
  int interrupted;       /* signal number, 0 if none */
};

struct report_counts {
  int pass, fail, warn, skip, info;
};

void report_count(const struct plan *pl, struct report_counts *c);

/* "pass", "warn", "fail" or "interrupted". */
const char *report_verdict(const struct report_counts *c, int interrupted);

/* The host name the report is named after: current_host, else gethostname(). */
void report_host(const struct nc_config *cfg, char *out, size_t len);

/* Builds the whole report. Caller frees with cJSON_Delete. */
struct cJSON *report_build(const struct nc_config *cfg, const struct plan *pl,
                           const struct report_run *run);

/* Where the report goes: --report PATH (a directory gets HOST.json), else
 * the LocalPath of the ProcessingOutput named "netcheck", else, inside a
 * SageMaker job, NC_DEFAULT_REPORT_DIR/HOST.json, which no output uploads.
 * Returns 0 with path set, 1 when no report is to be written ("none", or
 * outside SageMaker without --report), 2 for stdout. *ours is true when the
 * report's directory is netcheck's own to create (NC_DEFAULT_REPORT_DIR). */
int report_path(const struct nc_config *cfg, char *path, size_t len, bool *ours);

/* False when the report lands where SageMaker does not upload it (no
 * output named "netcheck" and no --report): the verdict line says how to
 * collect it. */
bool report_is_collected(const struct nc_config *cfg);

/* Writes text to path atomically: temp file in the same directory, fsync,
 * rename, fsync of the directory. 0, or -1 with errno set and nothing left
 * behind. mkdir_parent creates the last directory component if missing. */
int report_write_atomic(const char *path, const char *text, size_t len, int mkdir_parent);

/* Prints the summary selected by cfg->summary to out. */
void report_print_summary(FILE *out, const struct nc_config *cfg, const struct plan *pl,
                          const struct report_run *run, const char *report_where);

/* The one-line reason (UTF-8, under 1 KB, ends without newline) naming the
 * first failed probe, for /opt/ml/output/message. */
void report_failure_line(const struct plan *pl, char *out, size_t len);

const char *report_verdict_name(enum nc_verdict v);

#endif
