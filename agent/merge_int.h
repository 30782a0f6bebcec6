/*
 * merge_int.h - what agent/merge.c (loading the reports, the matrix, the
 * command) and merge_view.c (the JSON, terminal and HTML views) share.
 * Nothing outside agent/merge*.c includes it.
 */
#ifndef NETCHECK_MERGE_INT_H
#define NETCHECK_MERGE_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/causes.h"
#include "netcheck/common.h"
#include "netcheck/merge.h"

#define MERGE_USAGE "usage: netcheck merge [--json] [--html FILE] REPORT.json|DIR..."
#define MERGE_NAME_WIDTH 16     /* longer host names get numbered columns */
#define MERGE_HASH_SLOTS 1024   /* > 2 x NC_MAX_HOSTS */
#define MERGE_COLUMNS 80        /* terminal width when neither $COLUMNS nor the tty says */
#define MERGE_ROW_NAME_MAX 24   /* host names in the compact matrix's rows */
#define MERGE_FIX_MAX 400       /* bytes of a cause's fix on its line */
#define MERGE_HTML_COMPACT 16   /* more hosts: one glyph per cell in the HTML matrix */
#define MERGE_HTML_OPEN_ROWS 50 /* more failures: the table starts folded */

#define MG_RESET "\033[0m"
#define MG_GREEN "\033[32m"
#define MG_RED "\033[31m"
#define MG_YELLOW "\033[33m"
#define MG_DIM "\033[2m"
#define MG_BOLD "\033[1m"

static inline const char *mg_str(const cJSON *o, const char *key) { return causes_str(o, key); }

/* Report text on a terminal: no control, C1 or bidi character from the files. */
static inline void mg_put_safe(FILE *out, const char *s, size_t max) { nc_put_term(out, s, max); }

static inline void mg_put_term(FILE *out, const char *s) { mg_put_safe(out, s, 1024); }

static inline const cJSON *mg_probes(const cJSON *root) {
  return cJSON_GetObjectItemCaseSensitive(root, "probes");
}

/* A direction is fine when it passed or only warned. */
static inline bool mg_cell_ok(const struct merge_cell *c) {
  return !strcmp(c->verdict, "pass") || !strcmp(c->verdict, "warn");
}

static inline bool mg_cell_known(const struct merge_cell *c) {
  return !strcmp(c->verdict, "pass") || !strcmp(c->verdict, "fail");
}

#endif
