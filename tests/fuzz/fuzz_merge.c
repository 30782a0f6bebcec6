/*
 * fuzz_merge.c - `netcheck merge` on arbitrary reports (merge.h: "reports
 * are untrusted input"): merge_add() for each report, then the matrix, the
 * JSON, the terminal and the HTML views, and the exit code.
 *
 * Input: up to four reports separated by NUL bytes (JSON text has none).
 */
#include "fuzz.h"

#include <cjson/cJSON.h>

#include "netcheck/merge.h"

#define FUZZ_MAX_REPORTS 4

static FILE *devnull;

static void open_devnull(void) {
  devnull = fopen("/dev/null", "w");
  if (!devnull)
    abort();
}

FUZZ_SETUP(open_devnull())

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct merge m;
  char err[512];
  const char *p = (const char *)data, *end = p + size;

  merge_init(&m);
  for (int i = 0; i < FUZZ_MAX_REPORTS && p <= end; i++) {
    const char *nul = memchr(p, 0, (size_t)(end - p));
    size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);
    char file[32];
    nc_snprintf(file, sizeof file, "algo-%d.json", i + 1);
    err[0] = '\0';
    if (merge_add(&m, file, p, len, err, sizeof err) != 0)
      FUZZ_CHECK(err[0] != '\0');
    FUZZ_TERMINATED(err);
    if (!nul)
      break;
    p = nul + 1;
  }
  if (m.n_reports > 0 && merge_build(&m, err, sizeof err) == 0) {
    cJSON *j = merge_json(&m);
    if (j) {
      char *text = cJSON_PrintUnformatted(j);
      free(text);
      cJSON_Delete(j);
    }
    merge_print_text(&m, devnull, size & 1, size & 2 ? 80 : 200);
    merge_print_html(&m, devnull);
    int rc = merge_exit_code(&m);
    FUZZ_CHECK(rc == 0 || rc == 1);
  }
  merge_free(&m);
  return 0;
}
