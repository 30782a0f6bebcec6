/*
 * fuzz_config_file.c - config_parse_file() (the --config FILE) on arbitrary
 * text, on top of the defaults, then the DNS plan built from the buckets and
 * targets it accepted.
 */
#include "fuzz.h"

#include "netcheck/dns.h"

static struct nc_config base, cfg;
static char names[DNS_MAX_NAMES][NC_HOST_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_quiet();
  fuzz_config_defaults(&base);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256] = "";

  cfg = base;
  int rc = config_parse_file(&cfg, (const char *)data, size, err, sizeof err);
  FUZZ_TERMINATED(err);
  fuzz_check_config(&cfg);
  if (rc != 0) {
    FUZZ_CHECK(err[0] != '\0');
  } else {
    /* Accepted values are within the ranges the file format allows. */
    FUZZ_CHECK(cfg.timeout_ms >= 100 && cfg.timeout_ms <= 3600 * 1000);
    FUZZ_CHECK(cfg.peer_wait_ms >= 0 && cfg.peer_wait_ms <= 3600 * 1000);
    FUZZ_CHECK(cfg.peer_port >= 1 && cfg.peer_port <= 65535);
    for (int f = 0; f < NC_FAM_COUNT; f++)
      FUZZ_CHECK(cfg.expect[f] == NC_EXPECT_REACHABLE || cfg.expect[f] == NC_EXPECT_BLOCKED ||
                 cfg.expect[f] == NC_EXPECT_ANY);
  }

  int n = dns_plan_names(&cfg, names, DNS_MAX_NAMES);
  FUZZ_CHECK(n >= 0 && n <= DNS_MAX_NAMES);
  for (int i = 0; i < n; i++)
    FUZZ_CHECK(names[i][0] != '\0' && fuzz_terminated(names[i], NC_HOST_MAX));
  return 0;
}
