/*
 * fuzz_sigv4.c - SigV4 canonicalisation (sigv4_sign) with a fuzzed method,
 * path, query, headers, payload, signing time and options.
 *
 * Input: byte 0 options (bit 0 s3, bit 1 unsigned payload, bit 2 token
 * unsigned, bit 3 session token), bytes 1-8 the signing time (big-endian
 * signed seconds), byte 9 the header count, then NUL-terminated fields:
 * method, path, query, region, service, and a name and a value per header;
 * what is left is the payload. A missing field is "".
 *
 * Checks: signing is deterministic; a signed request has a 64-hex-digit
 * signature, an Authorization value without control characters (it goes
 * into an HTTP header) and a canonical request that starts with the method.
 */
#include "fuzz.h"

#include "netcheck/aws.h"

#define FUZZ_MAX_HEADERS 80 /* past SIGV4_MAX_HEADERS (64): the limit is fuzzed too */

struct cursor {
  const uint8_t *p, *end;
};

/* The next NUL-terminated field, or "" at the end. Fields point into a
 * NUL-terminated copy of the input, so the last one ends too. */
static const char *next_field(struct cursor *c) {
  const char *s = (const char *)c->p;
  if (c->p >= c->end)
    return "";
  const uint8_t *nul = memchr(c->p, 0, (size_t)(c->end - c->p));
  c->p = nul ? nul + 1 : c->end;
  return s;
}

static bool is_lower_hex(const char *s, size_t n) {
  if (strlen(s) != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

FUZZ_SETUP()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct aws_creds c;
  struct sigv4_header headers[FUZZ_MAX_HEADERS];
  struct sigv4_signed a, b;

  if (size < 10)
    return 0;
  uint8_t opt = data[0];
  int64_t now = 0;
  for (int i = 1; i <= 8; i++)
    now = (int64_t)((uint64_t)now << 8 | data[i]);
  size_t nh = data[9] % (FUZZ_MAX_HEADERS + 1);

  /* A copy with a NUL after it, so that the last field is terminated. */
  char *copy = fuzz_cstr(data + 10, size - 10);
  struct cursor cur = {(const uint8_t *)copy, (const uint8_t *)copy + size - 10};
  const char *method = next_field(&cur);
  const char *path = next_field(&cur);
  const char *query = next_field(&cur);
  const char *region = next_field(&cur);
  const char *service = next_field(&cur);
  for (size_t i = 0; i < nh; i++) {
    headers[i].name = next_field(&cur);
    headers[i].value = next_field(&cur);
  }
  struct sigv4_request rq = {
      .method = method,
      .path = path,
      .query = query,
      .headers = headers,
      .n_headers = nh,
      .payload = cur.p,
      .payload_len = (size_t)(cur.end - cur.p),
      .region = region,
      .service = service,
      .now = (time_t)now,
      .s3 = opt & 1,
      .unsigned_payload = opt & 2,
      .token_unsigned = opt & 4,
  };

  memset(&c, 0, sizeof c);
  nc_strlcpy(c.access_key_id, "AKIDEXAMPLE", sizeof c.access_key_id);
  nc_strlcpy(c.secret_access_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
             sizeof c.secret_access_key);
  if (opt & 8)
    nc_strlcpy(c.session_token, "IQoJb3JpZ2luX2VjEFUZZTOKEN==", sizeof c.session_token);

  int rc = sigv4_sign(&rq, &c, &a);
  int rc2 = sigv4_sign(&rq, &c, &b);
  FUZZ_CHECK(rc == rc2);
  if (rc == 0) {
    FUZZ_CHECK(a.canonical_request && a.string_to_sign);
    FUZZ_CHECK(is_lower_hex(a.signature, 64));
    FUZZ_CHECK(strcmp(a.signature, b.signature) == 0);
    FUZZ_CHECK(strcmp(a.canonical_request, b.canonical_request) == 0);
    FUZZ_CHECK(strncmp(a.authorization, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 40) == 0);
    for (const char *s = a.authorization; *s; s++)
      FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
    FUZZ_CHECK(strlen(a.amz_date) == 16);
    size_t ml = strlen(rq.method);
    FUZZ_CHECK(strncmp(a.canonical_request, rq.method, ml) == 0 && a.canonical_request[ml] == '\n');
  }
  sigv4_signed_free(&a);
  sigv4_signed_free(&b);
  free(copy);
  return 0;
}
