/*
 * merge.h - `netcheck merge`: the job's view built from every host's
 * report: the root causes of every failed or warned probe of every host
 * (agent/causes.c), most important first, and an N-by-N matrix of the peer
 * probes (rows: from, columns: to), for the terminal, JSON for machines and
 * a self-contained HTML page. Hosts sort naturally (algo-2 before algo-10).
 * main.c calls merge_main(); the steps are public for the unit tests.
 * Reports are untrusted input: every read is capped, every string escaped.
 */
#ifndef NETCHECK_MERGE_H
#define NETCHECK_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "netcheck/causes.h"

#define MERGE_REPORT_MAX (16 * 1024 * 1024) /* bytes read from one report */

struct cJSON;

struct merge_report {
  char *file; /* where it came from, for messages */
  struct cJSON *root;
  const char *host; /* job.current_host, else host; borrowed from root */
};

/* One direction of one pair of hosts. */
struct merge_cell {
  const char *code;          /* diagnosis of this direction; NULL = no result */
  const char *verdict;       /* pass, fail, warn, skip, missing (no probe), no_report */
  double rtt_ms;             /* < 0 = not measured */
  const struct cJSON *probe; /* the probe that says so, or NULL */
};

/* Two reports for one host: the newest (finished_at, else the later file)
 * is kept. */
struct merge_duplicate {
  char *host, *kept, *dropped;
};

struct merge {
  struct merge_report *reports;
  int n_reports, cap_reports;
  struct merge_duplicate *dups;
  int n_dups, cap_dups;
  /* filled by merge_build() */
  const char **hosts; /* borrowed from the reports, natural order */
  int n_hosts;
  int *report_of;           /* per host: index into reports[], -1 = no report */
  struct merge_cell *cells; /* n_hosts x n_hosts, row = from, column = to */
  struct causes causes;     /* every failure of every host, grouped */
};

/* The cell from -> to (indexes into hosts[]). */
const struct merge_cell *merge_cell(const struct merge *m, int from, int to);

void merge_init(struct merge *m);
void merge_free(struct merge *m);

/* Adds one report held in buf (file names it in errors). A report must
 * have schema_version 1 (the number). A second report for a host is not an
 * error: the newest is kept and the pair is listed in dups. 0, or -1 with a
 * one-line reason naming the file in err. */
int merge_add(struct merge *m, const char *file, const char *buf, size_t len, char *err,
              size_t errlen);

/* Reads path (a report, or a directory whose *.json files are reports) and
 * adds it. 0, or -1 with a one-line reason in err. */
int merge_load(struct merge *m, const char *path, char *err, size_t errlen);

/* Computes the host list, the matrix and the causes. A cell from A to B is
 * A's outbound result in its probe "peer:B" (details.outbound), so a probe
 * that failed only because B never reached A leaves A -> B ok; without A's
 * report, B's inbound view of A fills it. 0, or -1 with a reason in err. */
int merge_build(struct merge *m, char *err, size_t errlen);

/* {job{}, causes[], hosts[], matrix{from:{to:{code,verdict,rtt_ms}}},
 *  failures[], asymmetric[], missing_reports[], duplicates[], summary{}};
 *  NULL when out of memory. */
struct cJSON *merge_json(const struct merge *m);

/* The terminal view: the job, the verdict, one line per cause, the matrix
 * (one column per host when it fits in columns, else one glyph per cell
 * and a legend); color adds ANSI colours. */
void merge_print_text(const struct merge *m, FILE *out, bool color, int columns);

/* The HTML page: inline CSS, no script, no external URL. */
void merge_print_html(const struct merge *m, FILE *out);

/* Writes s with & < > " ' escaped and control characters and invalid UTF-8
 * replaced (U+FFFD), fit for HTML text and attribute values. */
void merge_html_escape(FILE *out, const char *s);

/* 0 when no probe of any host failed, every host reported and every peer
 * link works (warnings and info do not count), else 1. */
int merge_exit_code(const struct merge *m);

/* `netcheck merge [--json] [--html FILE] REPORT.json|DIR...`; argv[0] is
 * "merge". Returns 0 (nothing failed), 1 (a probe or a link failed, or a
 * report is missing) or 2 (usage, unreadable or invalid report: one line
 * on stderr). */
int merge_main(int argc, char **argv);

#endif
