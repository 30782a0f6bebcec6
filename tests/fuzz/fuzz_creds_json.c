/*
 * fuzz_creds_json.c - creds_parse_container_json() on arbitrary bytes (the
 * container credentials endpoint's answer). aws.h promises an error that
 * never contains a secret: the fuzzer checks that the reason quotes neither
 * the secret key nor the token it may have read.
 */
#include "fuzz.h"

#include "netcheck/aws.h"

FUZZ_SETUP()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct aws_creds c;
  char err[256] = "";

  memset(&c, 0x5a, sizeof c); /* the parser must initialise what it sets */
  int rc = creds_parse_container_json((const char *)data, size, &c, err, sizeof err);
  FUZZ_TERMINATED(err);
  if (rc != 0) {
    FUZZ_CHECK(err[0] != '\0');
  } else {
    FUZZ_TERMINATED(c.access_key_id);
    FUZZ_TERMINATED(c.secret_access_key);
    FUZZ_TERMINATED(c.session_token);
    FUZZ_TERMINATED(c.expiration);
    FUZZ_TERMINATED(c.role_arn);
    FUZZ_TERMINATED(c.source);
    FUZZ_CHECK(c.access_key_id[0] != '\0' && c.secret_access_key[0] != '\0');
    /* Credentials go into HTTP headers: no control character may pass. */
    for (const char *s = c.access_key_id; *s; s++)
      FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
    for (const char *s = c.secret_access_key; *s; s++)
      FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
    for (const char *s = c.session_token; *s; s++)
      FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
  }
  creds_clear(&c);
  return 0;
}
