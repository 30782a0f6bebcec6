/*
 * fuzz_processing_job.c - config_parse_processing_job() on arbitrary
 * processingjobconfig.json text, then what consumes its result: the report
 * path (built from the outputs' LocalPath and the host name) and the DNS
 * plan (every probe, and the dns names of the input and output buckets).
 */
#include "fuzz.h"

#include "netcheck/dns.h"
#include "netcheck/report.h"

FUZZ_SETUP_CONFIG()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256] = "";
  char path[NC_PATH_MAX + 128];

  cfg = base;
  if (config_parse_processing_job(&cfg, (const char *)data, size, err, sizeof err) != 0)
    FUZZ_CHECK(err[0] != '\0');
  FUZZ_TERMINATED(err);
  fuzz_check_config(&cfg);
  FUZZ_CHECK(cfg.job.instance_count >= 0);

  /* Only a region-shaped ARN component becomes the job's region. */
  for (const char *r = cfg.job.region; *r; r++)
    FUZZ_CHECK((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-');

  bool ours;
  if (report_path(&cfg, path, sizeof path, &ours) == 0)
    FUZZ_TERMINATED(path);

  fuzz_check_plan(&cfg);
  return 0;
}
