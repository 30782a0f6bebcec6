/*
 * fuzz_config_file.c - config_parse_file() (the --config FILE) on arbitrary
 * text, on top of the defaults, then the DNS plan built from the buckets and
 * targets it accepted.
 */
#include "fuzz.h"

#include "netcheck/dns.h"

FUZZ_SETUP_CONFIG()

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
  }

  fuzz_check_plan(&cfg);
  return 0;
}
