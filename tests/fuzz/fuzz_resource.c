/*
 * fuzz_resource.c - config_parse_resource() on arbitrary resourceconfig.json
 * text, then config_sanitize_host() on every host name it accepted: those
 * names become report file names.
 */
#include "fuzz.h"

FUZZ_SETUP_CONFIG()

/* config.h: [A-Za-z0-9._-], no leading dot, never empty, at most 64 bytes. */
static void check_safe_host(const char *in) {
  char out[NC_HOST_MAX];
  config_sanitize_host(in, out, sizeof out);
  size_t n = strlen(out);
  FUZZ_CHECK(n > 0 && n <= 64);
  FUZZ_CHECK(out[0] != '.');
  FUZZ_CHECK(strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n);
  FUZZ_CHECK(strcmp(out, ".") != 0 && strcmp(out, "..") != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256] = "";

  cfg = base;
  if (config_parse_resource(&cfg, (const char *)data, size, err, sizeof err) != 0)
    FUZZ_CHECK(err[0] != '\0');
  FUZZ_TERMINATED(err);
  fuzz_check_config(&cfg);

  check_safe_host(cfg.job.current_host);
  for (int i = 0; i < cfg.job.n_hosts; i++) {
    FUZZ_CHECK(cfg.job.hosts[i][0] != '\0');
    check_safe_host(cfg.job.hosts[i]);
  }
  return 0;
}
