/*
 * fuzz_resolv_conf.c - resolve_conf_parse() on arbitrary resolv.conf text
 * (resolve.h: "capped, hostile-safe, always succeeds").
 */
#include "fuzz.h"

#include "netcheck/resolve.h"

FUZZ_SETUP()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct resolv_conf rc;

  memset(&rc, 0x5a, sizeof rc); /* the parser must initialise everything */
  resolve_conf_parse((const char *)data, size, &rc);
  FUZZ_CHECK(rc.n_nameservers >= 0 && rc.n_nameservers <= NC_MAX_SERVERS);
  FUZZ_CHECK(rc.n_search >= 0 && rc.n_search <= (int)NC_ARRAY_LEN(rc.search));
  FUZZ_CHECK(rc.n_options >= 0 && rc.n_options <= (int)NC_ARRAY_LEN(rc.options));
  for (int i = 0; i < rc.n_nameservers; i++) {
    FUZZ_TERMINATED(rc.nameservers[i]);
    FUZZ_CHECK(rc.nameservers[i][0] != '\0');
    FUZZ_CHECK(strpbrk(rc.nameservers[i], " \t\r\n#;") == NULL);
  }
  for (int i = 0; i < rc.n_search; i++) {
    FUZZ_TERMINATED(rc.search[i]);
    FUZZ_CHECK(rc.search[i][0] != '\0');
    FUZZ_CHECK(strpbrk(rc.search[i], " \t\r\n") == NULL);
  }
  for (int i = 0; i < rc.n_options; i++) {
    FUZZ_TERMINATED(rc.options[i]);
    FUZZ_CHECK(rc.options[i][0] != '\0');
    FUZZ_CHECK(strpbrk(rc.options[i], " \t\r\n") == NULL);
  }
  return 0;
}
