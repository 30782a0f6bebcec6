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
#define REPORT_MESSAGE_MAX 200 /* bytes of the failure line: SageMaker keeps 1 KB of all hosts' */

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

/* The S3 URI that path (a report inside a ProcessingOutput's LocalPath)
 * is uploaded to: the output's S3Uri plus the path below LocalPath. 0, or
 * -1 when path is in no output with an s3:// S3Uri. */
int report_s3_uri(const struct nc_config *cfg, const char *path, char *uri, size_t len);

/* Prints the summary selected by cfg->summary to out. The text summary is
 * one line per root cause (causes.h), then the verdict line, which names
 * the report and, inside a ProcessingOutput, its S3 URI. */
void report_print_summary(FILE *out, const struct nc_config *cfg, const struct plan *pl,
                          const struct report_run *run, const char *report_where);

/* The one-line reason for /opt/ml/output/message (UTF-8, at most
 * REPORT_MESSAGE_MAX bytes, no newline): "netcheck HOST: CODE PROBE (+N more
 * failed); report LOCATION", the code and probe of the most important
 * cause, the location the report's S3 URI when it goes to a
 * ProcessingOutput, else where (the path), else "not written". */
void report_failure_line(const struct nc_config *cfg, const struct plan *pl, const char *where,
                         char *out, size_t len);

const char *report_verdict_name(enum nc_verdict v);

#endif
