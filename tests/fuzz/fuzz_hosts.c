/*
 * fuzz_hosts.c - resolve_hosts_lookup() on arbitrary hosts-file text (the
 * container's /etc/hosts, which SageMaker writes), for a fixed name and for
 * a name taken from the input.
 *
 * Input: the name to look up up to the first newline, then the file.
 */
#include "fuzz.h"

#include <arpa/inet.h>

#include "netcheck/dns.h"

static void check_addrs(const struct nc_addrs *a, int n) {
  FUZZ_CHECK(n == a->n && n >= 0 && n <= NC_MAX_ADDRS);
  for (int i = 0; i < n; i++) {
    FUZZ_CHECK(a->a[i].family == AF_INET || a->a[i].family == AF_INET6);
    FUZZ_TERMINATED(a->a[i].text);
    for (int j = 0; j < i; j++)
      FUZZ_CHECK(a->a[i].family != a->a[j].family ||
                 memcmp(a->a[i].bytes, a->a[j].bytes, sizeof a->a[i].bytes) != 0);
  }
  if (n > 0)
    FUZZ_CHECK(strcmp(a->source, "hosts") == 0);
}

FUZZ_SETUP()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct nc_addrs out;
  const char *nl = memchr(data, '\n', size);
  size_t name_len = nl ? (size_t)(nl - (const char *)data) : 0;
  const char *file = nl ? nl + 1 : (const char *)data;
  size_t file_len = size - (size_t)(file - (const char *)data);

  memset(&out, 0, sizeof out);
  check_addrs(&out, resolve_hosts_lookup(file, file_len, "algo-2", &out));

  char *name = fuzz_cstr(data, name_len);
  memset(&out, 0, sizeof out);
  check_addrs(&out, resolve_hosts_lookup(file, file_len, name, &out));
  free(name);
  return 0;
}
