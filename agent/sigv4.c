/*
 * sigv4.c - AWS Signature Version 4 (Authorization header) with OpenSSL.
 *
 * The s3, aws and creds probes describe a request in a struct sigv4_request
 * and get back the headers to send. Every input is bounded (SIGV4_MAX_*),
 * every intermediate buffer is checked, and buffers that held key material
 * or the session token are wiped before they are freed.
 */
#include "netcheck/aws.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netcheck/common.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_HDR_DATE "x-amz-date"
#define SIGV4_HDR_TOKEN "x-amz-security-token"
#define SIGV4_HDR_CONTENT_SHA256 "x-amz-content-sha256"
#define SIGV4_HDR_AUTHORIZATION "authorization"

#define SIGV4_MAX_METHOD 16
#define SIGV4_MAX_PATH 16384
#define SIGV4_MAX_QUERY 16384
#define SIGV4_MAX_QUERY_PARAMS 256
#define SIGV4_MAX_HEADERS 64 /* from the caller; sigv4_sign adds up to 3 */
#define SIGV4_ADDED_HEADERS 3
#define SIGV4_MAX_HEADER_NAME 128
#define SIGV4_MAX_HEADER_VALUE AWS_SESSION_TOKEN_MAX /* the longest: a session token */
#define SIGV4_MAX_SCOPE_PART 64                      /* region, service */
#define SIGV4_MAX_CANONICAL ((size_t)256 * 1024)
#define SIGV4_SHA256_LEN 32

/* ---- bounded string builder ---- */

struct sbuf {
  char *p;
  size_t len;
  size_t cap;
  size_t max; /* len never exceeds this */
  bool failed;
};

static void sbuf_init(struct sbuf *b, size_t max) {
  memset(b, 0, sizeof *b);
  b->max = max;
}

/* Grows by copying into a new block so that the old one can be wiped: the
 * canonical request may hold the session token. */
static bool sbuf_reserve(struct sbuf *b, size_t extra) {
  if (b->failed)
    return false;
  if (extra > b->max - b->len) {
    b->failed = true;
    return false;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap *= 2;
  char *p = malloc(cap);
  if (!p) {
    b->failed = true;
    return false;
  }
  if (b->p) {
    memcpy(p, b->p, b->len + 1);
    OPENSSL_cleanse(b->p, b->cap);
    free(b->p);
  }
  b->p = p;
  b->cap = cap;
  return true;
}

static void sbuf_add(struct sbuf *b, const void *data, size_t n) {
  if (!sbuf_reserve(b, n))
    return;
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sbuf_adds(struct sbuf *b, const char *s) { sbuf_add(b, s, strlen(s)); }

static void sbuf_addc(struct sbuf *b, char c) { sbuf_add(b, &c, 1); }

static void sbuf_free(struct sbuf *b) {
  if (b->p) {
    OPENSSL_cleanse(b->p, b->cap);
    free(b->p);
  }
  b->p = NULL;
  b->len = b->cap = 0;
}

/* ---- encoding ---- */

static const char hexdigits_upper[] = "0123456789ABCDEF";
static const char hexdigits_lower[] = "0123456789abcdef";

static bool is_unreserved(unsigned char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
         ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static bool keeps_byte(unsigned char ch, bool encode_slash) {
  return is_unreserved(ch) || (ch == '/' && !encode_slash);
}

int sigv4_uri_encode(const char *in, size_t inlen, bool encode_slash, char *out, size_t outlen) {
  if (!out || outlen == 0 || (!in && inlen))
    return -1;
  size_t o = 0;
  for (size_t i = 0; i < inlen; i++) {
    unsigned char ch = (unsigned char)in[i];
    size_t need = keeps_byte(ch, encode_slash) ? 1 : 3;
    if (need >= outlen - o) {
      out[0] = '\0';
      return -1;
    }
    if (need == 1) {
      out[o++] = (char)ch;
    } else {
      out[o++] = '%';
      out[o++] = hexdigits_upper[ch >> 4];
      out[o++] = hexdigits_upper[ch & 0x0f];
    }
  }
  out[o] = '\0';
  return 0;
}

static void sbuf_add_encoded(struct sbuf *b, const unsigned char *in, size_t n, bool encode_slash) {
  for (size_t i = 0; i < n; i++) {
    if (keeps_byte(in[i], encode_slash)) {
      sbuf_addc(b, (char)in[i]);
    } else {
      sbuf_addc(b, '%');
      sbuf_addc(b, hexdigits_upper[in[i] >> 4]);
      sbuf_addc(b, hexdigits_upper[in[i] & 0x0f]);
    }
  }
}

/* Decodes %XY escapes of in[0..n) into out (at least n bytes); a '%' that
 * does not start a valid escape stays literal. '+' stays '+': SigV4 callers
 * write a space as %20. Returns the decoded length. */
static size_t pct_decode(const char *in, size_t n, unsigned char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int hi, lo;
    if (in[i] == '%' && i + 2 < n && (hi = nc_hex_digit(in[i + 1])) >= 0 &&
        (lo = nc_hex_digit(in[i + 2])) >= 0) {
      out[o++] = (unsigned char)(hi << 4 | lo);
      i += 2;
    } else {
      out[o++] = (unsigned char)in[i];
    }
  }
  return o;
}

static void hex_lower(const unsigned char *in, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hexdigits_lower[in[i] >> 4];
    out[2 * i + 1] = hexdigits_lower[in[i] & 0x0f];
  }
  out[2 * n] = '\0';
}

/* ---- crypto ---- */

void sigv4_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  static const unsigned char empty[1] = {0};
  if (!data) {
    if (len) {
      out[0] = '\0';
      return;
    }
    data = empty;
  }
  if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != SIGV4_SHA256_LEN) {
    out[0] = '\0';
    return;
  }
  hex_lower(md, mdlen, out);
}

static int hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                       unsigned char out[SIGV4_SHA256_LEN]) {
  unsigned int outlen = 0;
  if (keylen > INT32_MAX)
    return -1;
  if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &outlen) ||
      outlen != SIGV4_SHA256_LEN)
    return -1;
  return 0;
}

/* Signing keys already derived: one per secret, date, region and service, so that a run's
 * signatures for one service (the S3 checks: a dozen) derive it once. Wiped with the
 * credentials (creds_clear calls sigv4_forget). */
#define KEY_CACHE_N 4
static struct key_cache {
  bool used;
  char secret[sizeof(((struct aws_creds *)0)->secret_access_key)];
  char date8[9];
  char region[64];
  char service[32];
  unsigned char key[SIGV4_SHA256_LEN];
} key_cache[KEY_CACHE_N];
static unsigned key_cache_next;

void sigv4_forget(void) {
  OPENSSL_cleanse(key_cache, sizeof key_cache);
  key_cache_next = 0;
}

static bool key_cache_fits(const char *secret, const char *date8, const char *region,
                           const char *service) {
  return strlen(secret) < sizeof key_cache[0].secret && strlen(date8) < sizeof key_cache[0].date8 &&
         strlen(region) < sizeof key_cache[0].region &&
         strlen(service) < sizeof key_cache[0].service;
}

static struct key_cache *key_cache_find(const char *secret, const char *date8, const char *region,
                                        const char *service) {
  size_t slen = strlen(secret);
  for (int i = 0; i < KEY_CACHE_N; i++) {
    struct key_cache *k = &key_cache[i];
    if (k->used && strlen(k->secret) == slen && CRYPTO_memcmp(k->secret, secret, slen) == 0 &&
        !strcmp(k->date8, date8) && !strcmp(k->region, region) && !strcmp(k->service, service))
      return k;
  }
  return NULL;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
static int derive_key(const char *secret, const char *date8, const char *region,
                      const char *service, unsigned char key[SIGV4_SHA256_LEN]) {
  unsigned char kseed[4 + sizeof(((struct aws_creds *)0)->secret_access_key)];
  unsigned char k1[SIGV4_SHA256_LEN];
  int rc = -1;
  size_t slen = strlen(secret);

  if (slen > sizeof kseed - 4)
    goto done;
  /* A binary HMAC key, not a string. */
  memcpy(kseed, "AWS4", 4);        /* NOLINT(bugprone-not-null-terminated-result) */
  memcpy(kseed + 4, secret, slen); /* NOLINT(bugprone-not-null-terminated-result) */
  if (hmac_sha256(kseed, 4 + slen, date8, strlen(date8), k1) ||
      hmac_sha256(k1, sizeof k1, region, strlen(region), key) ||
      hmac_sha256(key, SIGV4_SHA256_LEN, service, strlen(service), k1) ||
      hmac_sha256(k1, sizeof k1, SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), key))
    goto done;
  rc = 0;
done:
  OPENSSL_cleanse(kseed, sizeof kseed);
  OPENSSL_cleanse(k1, sizeof k1);
  if (rc)
    OPENSSL_cleanse(key, SIGV4_SHA256_LEN);
  return rc;
}

/* The signature over the string to sign, with the (cached) signing key. */
static int compute_signature(const char *secret, const char *date8, const char *region,
                             const char *service, const char *sts, char out[65]) {
  unsigned char key[SIGV4_SHA256_LEN];
  unsigned char sig[SIGV4_SHA256_LEN];
  struct key_cache *k = key_cache_find(secret, date8, region, service);
  int rc = -1;

  if (k) {
    memcpy(key, k->key, sizeof key);
  } else {
    if (derive_key(secret, date8, region, service, key))
      goto done;
    if (key_cache_fits(secret, date8, region, service)) {
      k = &key_cache[key_cache_next++ % KEY_CACHE_N];
      OPENSSL_cleanse(k, sizeof *k);
      nc_strlcpy(k->secret, secret, sizeof k->secret);
      nc_strlcpy(k->date8, date8, sizeof k->date8);
      nc_strlcpy(k->region, region, sizeof k->region);
      nc_strlcpy(k->service, service, sizeof k->service);
      memcpy(k->key, key, sizeof k->key);
      k->used = true;
    }
  }
  if (hmac_sha256(key, sizeof key, sts, strlen(sts), sig))
    goto done;
  hex_lower(sig, sizeof sig, out);
  rc = 0;
done:
  OPENSSL_cleanse(key, sizeof key);
  OPENSSL_cleanse(sig, sizeof sig);
  return rc;
}

/* ---- canonical URI ---- */

struct segment {
  const char *p;
  size_t n;
};

/* Non-S3 services: remove "." and ".." segments and empty segments (what
 * AWS services and botocore do), then encode the wire path once more. */
static int add_normalised_path(struct sbuf *b, const char *path, size_t n) {
  size_t max_segments = n / 2 + 1;
  struct segment *seg = calloc(max_segments, sizeof *seg);
  size_t nseg = 0;
  if (!seg)
    return -1;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && path[j] != '/')
      j++;
    size_t len = j - i;
    if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
      if (nseg)
        nseg--;
    } else if (len > 0 && !(len == 1 && path[i] == '.')) {
      if (nseg == max_segments) {
        free(seg);
        return -1;
      }
      seg[nseg].p = path + i;
      seg[nseg].n = len;
      nseg++;
    }
    i = j + 1;
  }
  sbuf_addc(b, '/');
  for (size_t k = 0; k < nseg; k++) {
    if (k)
      sbuf_addc(b, '/');
    sbuf_add_encoded(b, (const unsigned char *)seg[k].p, seg[k].n, true);
  }
  if (nseg && path[n - 1] == '/')
    sbuf_addc(b, '/');
  free(seg);
  return 0;
}

/* S3: the key is taken as it is (no dot or slash handling) and encoded once:
 * decode the wire form, then encode per SigV4 keeping '/'. */
static int add_s3_path(struct sbuf *b, const char *path, size_t n) {
  unsigned char *dec = malloc(n ? n : 1);
  if (!dec)
    return -1;
  size_t dn = pct_decode(path, n, dec);
  sbuf_add_encoded(b, dec, dn, false);
  free(dec);
  return 0;
}

static int add_canonical_uri(struct sbuf *b, const struct sigv4_request *rq) {
  const char *path = rq->path && rq->path[0] ? rq->path : "/";
  size_t n = strnlen(path, SIGV4_MAX_PATH + 1);
  if (n > SIGV4_MAX_PATH || path[0] != '/')
    return -1;
  return rq->s3 ? add_s3_path(b, path, n) : add_normalised_path(b, path, n);
}

/* ---- canonical query string ---- */

struct qparam {
  const char *name;
  const char *value;
};

static int qparam_cmp(const void *a, const void *b) {
  const struct qparam *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : strcmp(x->value, y->value);
}

/* Writes the decoded-then-encoded form of in[0..n) at arena + *used. */
static const char *arena_encode(char *arena, size_t *used, size_t arena_len, unsigned char *tmp,
                                const char *in, size_t n) {
  size_t dn = pct_decode(in, n, tmp);
  char *dst = arena + *used;
  if (sigv4_uri_encode((const char *)tmp, dn, true, dst, arena_len - *used))
    return NULL;
  *used += strlen(dst) + 1;
  return dst;
}

static int add_canonical_query(struct sbuf *b, const char *query) {
  if (!query || !query[0])
    return 0;
  size_t qlen = strnlen(query, SIGV4_MAX_QUERY + 1);
  if (qlen > SIGV4_MAX_QUERY)
    return -1;

  size_t nparams = 0;
  for (size_t i = 0; i < qlen;) {
    size_t j = i;
    while (j < qlen && query[j] != '&')
      j++;
    if (j > i)
      nparams++;
    i = j + 1;
  }
  if (nparams == 0)
    return 0;
  if (nparams > SIGV4_MAX_QUERY_PARAMS)
    return -1;

  /* Every byte encodes to at most 3; each name and value ends with NUL. */
  size_t arena_len = 3 * qlen + 2 * nparams + 1;
  struct qparam *params = calloc(nparams, sizeof *params);
  char *arena = malloc(arena_len);
  unsigned char *tmp = malloc(qlen);
  size_t used = 0, k = 0;
  int rc = -1;
  if (!params || !arena || !tmp)
    goto done;

  for (size_t i = 0; i < qlen;) {
    size_t j = i;
    while (j < qlen && query[j] != '&')
      j++;
    if (j > i) {
      const char *eq = memchr(query + i, '=', j - i);
      size_t nlen = eq ? (size_t)(eq - (query + i)) : j - i;
      params[k].name = arena_encode(arena, &used, arena_len, tmp, query + i, nlen);
      params[k].value =
          eq ? arena_encode(arena, &used, arena_len, tmp, eq + 1, (size_t)(query + j - eq - 1))
             : arena_encode(arena, &used, arena_len, tmp, "", 0);
      if (!params[k].name || !params[k].value)
        goto done;
      k++;
    }
    i = j + 1;
  }
  qsort(params, nparams, sizeof *params, qparam_cmp);
  for (k = 0; k < nparams; k++) {
    if (k)
      sbuf_addc(b, '&');
    sbuf_adds(b, params[k].name);
    sbuf_addc(b, '=');
    sbuf_adds(b, params[k].value);
  }
  rc = 0;
done:
  free(params);
  free(arena);
  free(tmp);
  return rc;
}

/* ---- canonical headers ---- */

struct hentry {
  char name[SIGV4_MAX_HEADER_NAME]; /* lowercase */
  const char *value;
  size_t order; /* position given: duplicates keep their order */
};

static int hentry_cmp(const void *a, const void *b) {
  const struct hentry *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  if (c)
    return c;
  return (x->order > y->order) - (x->order < y->order);
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t'; }

#define HTTP_SEPARATORS "()<>@,;:\\\"/[]?={}"

/* Token characters of RFC 9110, lowercased into out. */
static int lower_header_name(const char *name, char out[SIGV4_MAX_HEADER_NAME]) {
  if (!name)
    return -1;
  size_t n = strnlen(name, SIGV4_MAX_HEADER_NAME);
  if (n == 0 || n >= SIGV4_MAX_HEADER_NAME)
    return -1;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)name[i];
    if (ch <= 0x20 || ch >= 0x7f || strchr(HTTP_SEPARATORS, ch))
      return -1;
    if (ch >= 'A' && ch <= 'Z')
      ch = (unsigned char)(ch - 'A' + 'a');
    out[i] = (char)ch;
  }
  out[n] = '\0';
  return 0;
}

static void trim_span(const char *s, size_t n, const char **start, size_t *len) {
  const char *e = s + n;
  while (s < e && is_blank(*s))
    s++;
  while (e > s && is_blank(e[-1]))
    e--;
  *start = s;
  *len = (size_t)(e - s);
}

/* Trims the value and collapses runs of blanks into one space. A value
 * folded over several lines (obsolete line folding, the suite's
 * get-header-value-multiline) becomes its non-empty lines joined with ','. */
static void add_header_value(struct sbuf *b, const char *v) {
  bool wrote_line = false;
  for (const char *p = v;;) {
    size_t linelen = strcspn(p, "\r\n");
    const char *s;
    size_t n;
    trim_span(p, linelen, &s, &n);
    if (n) {
      if (wrote_line)
        sbuf_addc(b, ',');
      wrote_line = true;
      bool pending_space = false;
      for (size_t i = 0; i < n; i++) {
        if (is_blank(s[i])) {
          pending_space = true;
          continue;
        }
        if (pending_space)
          sbuf_addc(b, ' ');
        pending_space = false;
        sbuf_addc(b, s[i]);
      }
    }
    if (p[linelen] == '\0')
      break;
    p += linelen + 1;
  }
}

static const struct sigv4_header *find_header(const struct sigv4_request *rq, const char *lname) {
  for (size_t i = 0; i < rq->n_headers; i++)
    if (rq->headers[i].name && strcasecmp(rq->headers[i].name, lname) == 0)
      return &rq->headers[i];
  return NULL;
}

/* ---- validation ---- */

static bool is_scope_part(const char *s) {
  size_t n = s ? strnlen(s, SIGV4_MAX_SCOPE_PART + 1) : 0;
  if (n == 0 || n > SIGV4_MAX_SCOPE_PART)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '-' || ch == '_' || ch == '.'))
      return false;
  }
  return true;
}

static bool is_method(const char *s) {
  size_t n = s ? strnlen(s, SIGV4_MAX_METHOD + 1) : 0;
  if (n == 0 || n > SIGV4_MAX_METHOD)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < 'A' || s[i] > 'Z')
      return false;
  return true;
}

/* Printable ASCII without the characters that would break the
 * Authorization header's Credential=AKID/scope syntax. */
static bool is_access_key_id(const char *s, size_t cap) {
  size_t n = strnlen(s, cap);
  if (n == 0 || n == cap)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == ',' || ch == '=')
      return false;
  }
  return true;
}

static bool is_printable_field(const char *s, size_t cap, bool allow_empty) {
  size_t n = strnlen(s, cap);
  if (n == cap || (n == 0 && !allow_empty))
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x20 || ch == 0x7f)
      return false;
  }
  return true;
}

static bool creds_usable(const struct aws_creds *c) {
  return is_access_key_id(c->access_key_id, sizeof c->access_key_id) &&
         is_printable_field(c->secret_access_key, sizeof c->secret_access_key, false) &&
         is_printable_field(c->session_token, sizeof c->session_token, true);
}

/* ---- signing ---- */

static int format_amz_date(time_t now, char out[17]) {
  struct tm tm;
  if (!gmtime_r(&now, &tm))
    return -1;
  if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
    return -1;
  return 0;
}

/* Fills out->content_sha256: the caller's x-amz-content-sha256 if given,
 * else UNSIGNED-PAYLOAD or the payload's hash. */
static int payload_hash(const struct sigv4_request *rq, const struct sigv4_header *given,
                        struct sigv4_signed *out) {
  if (given) {
    const char *s;
    size_t n;
    if (!given->value)
      return -1;
    trim_span(given->value, strnlen(given->value, SIGV4_MAX_HEADER_VALUE + 1), &s, &n);
    if (n == 0 || n >= sizeof out->content_sha256)
      return -1;
    memcpy(out->content_sha256, s, n);
    out->content_sha256[n] = '\0';
    return 0;
  }
  if (rq->unsigned_payload) {
    memcpy(out->content_sha256, SIGV4_UNSIGNED_PAYLOAD, sizeof SIGV4_UNSIGNED_PAYLOAD);
    return 0;
  }
  if (!rq->payload && rq->payload_len)
    return -1;
  sigv4_sha256_hex(rq->payload, rq->payload_len, out->content_sha256);
  return out->content_sha256[0] ? 0 : -1;
}

/* Collects the caller's headers plus the ones sigv4 adds, lowercased and
 * sorted by name (stable for duplicates). */
static int collect_headers(const struct sigv4_request *rq, const struct aws_creds *c,
                           const struct sigv4_signed *out, struct hentry *h, size_t *nh) {
  size_t n = 0;
  for (size_t i = 0; i < rq->n_headers; i++) {
    const char *v = rq->headers[i].value;
    if (lower_header_name(rq->headers[i].name, h[n].name) || !v ||
        strnlen(v, SIGV4_MAX_HEADER_VALUE + 1) > SIGV4_MAX_HEADER_VALUE)
      return -1;
    if (strcmp(h[n].name, SIGV4_HDR_AUTHORIZATION) == 0)
      return -1;
    h[n].value = v;
    h[n].order = n;
    n++;
  }
  if (!find_header(rq, SIGV4_HDR_DATE)) {
    memcpy(h[n].name, SIGV4_HDR_DATE, sizeof SIGV4_HDR_DATE);
    h[n].value = out->amz_date;
    h[n].order = n;
    n++;
  }
  if (c->session_token[0] && !rq->token_unsigned && !find_header(rq, SIGV4_HDR_TOKEN)) {
    memcpy(h[n].name, SIGV4_HDR_TOKEN, sizeof SIGV4_HDR_TOKEN);
    h[n].value = c->session_token;
    h[n].order = n;
    n++;
  }
  if (rq->s3 && !find_header(rq, SIGV4_HDR_CONTENT_SHA256)) {
    memcpy(h[n].name, SIGV4_HDR_CONTENT_SHA256, sizeof SIGV4_HDR_CONTENT_SHA256);
    h[n].value = out->content_sha256;
    h[n].order = n;
    n++;
  }
  qsort(h, n, sizeof *h, hentry_cmp);
  *nh = n;
  return 0;
}

/* Appends "name:v1,v2\n" per distinct name to creq and "a;b;c" to
 * out->signed_headers. */
static int add_canonical_headers(struct sbuf *creq, const struct hentry *h, size_t nh,
                                 struct sigv4_signed *out) {
  struct sbuf sh;
  int rc = -1;
  sbuf_init(&sh, sizeof out->signed_headers - 1);
  for (size_t i = 0; i < nh; i++) {
    bool same_as_previous = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
    if (same_as_previous) {
      sbuf_addc(creq, ',');
    } else {
      if (i > 0) {
        sbuf_addc(creq, '\n');
        sbuf_addc(&sh, ';');
      }
      sbuf_adds(creq, h[i].name);
      sbuf_addc(creq, ':');
      sbuf_adds(&sh, h[i].name);
    }
    add_header_value(creq, h[i].value);
  }
  sbuf_addc(creq, '\n');
  if (sh.failed || !sh.p)
    goto done;
  memcpy(out->signed_headers, sh.p, sh.len + 1);
  rc = 0;
done:
  sbuf_free(&sh);
  return rc;
}

static int check_given_date(const struct sigv4_header *given, const char *amz_date) {
  const char *s;
  size_t n;
  if (!given)
    return 0;
  if (!given->value)
    return -1;
  trim_span(given->value, strnlen(given->value, SIGV4_MAX_HEADER_VALUE + 1), &s, &n);
  return (n == strlen(amz_date) && memcmp(s, amz_date, n) == 0) ? 0 : -1;
}

int sigv4_sign(const struct sigv4_request *rq, const struct aws_creds *c,
               struct sigv4_signed *out) {
  struct sbuf creq, sts;
  struct hentry *h = NULL;
  size_t nh = 0;
  char date8[9];
  char creq_hash[65];
  int n;
  int rc = -1;

  if (!out)
    return -1;
  memset(out, 0, sizeof *out);
  sbuf_init(&creq, SIGV4_MAX_CANONICAL);
  sbuf_init(&sts, 1024);
  if (!rq || !c || !is_method(rq->method) || !is_scope_part(rq->region) ||
      !is_scope_part(rq->service) || !creds_usable(c) || rq->n_headers > SIGV4_MAX_HEADERS ||
      (rq->n_headers && !rq->headers))
    goto done;

  if (format_amz_date(rq->now, out->amz_date) ||
      check_given_date(find_header(rq, SIGV4_HDR_DATE), out->amz_date) ||
      payload_hash(rq, find_header(rq, SIGV4_HDR_CONTENT_SHA256), out))
    goto done;
  memcpy(date8, out->amz_date, 8);
  date8[8] = '\0';

  h = calloc(rq->n_headers + SIGV4_ADDED_HEADERS, sizeof *h);
  if (!h || collect_headers(rq, c, out, h, &nh))
    goto done;

  /* CanonicalRequest = Method \n URI \n Query \n Headers \n SignedHeaders \n Hash */
  sbuf_adds(&creq, rq->method);
  sbuf_addc(&creq, '\n');
  if (add_canonical_uri(&creq, rq))
    goto done;
  sbuf_addc(&creq, '\n');
  if (add_canonical_query(&creq, rq->query))
    goto done;
  sbuf_addc(&creq, '\n');
  if (add_canonical_headers(&creq, h, nh, out))
    goto done;
  sbuf_addc(&creq, '\n');
  sbuf_adds(&creq, out->signed_headers);
  sbuf_addc(&creq, '\n');
  sbuf_adds(&creq, out->content_sha256);
  if (creq.failed)
    goto done;

  sigv4_sha256_hex(creq.p, creq.len, creq_hash);
  if (!creq_hash[0])
    goto done;

  sbuf_adds(&sts, SIGV4_ALGORITHM "\n");
  sbuf_adds(&sts, out->amz_date);
  sbuf_addc(&sts, '\n');
  sbuf_adds(&sts, date8);
  sbuf_addc(&sts, '/');
  sbuf_adds(&sts, rq->region);
  sbuf_addc(&sts, '/');
  sbuf_adds(&sts, rq->service);
  sbuf_adds(&sts, "/" SIGV4_TERMINATOR "\n");
  sbuf_adds(&sts, creq_hash);
  if (sts.failed)
    goto done;

  if (compute_signature(c->secret_access_key, date8, rq->region, rq->service, sts.p,
                        out->signature))
    goto done;

  n = snprintf(out->authorization, sizeof out->authorization,
               SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/" SIGV4_TERMINATOR
                               ", SignedHeaders=%s, Signature=%s",
               c->access_key_id, date8, rq->region, rq->service, out->signed_headers,
               out->signature);
  if (n < 0 || (size_t)n >= sizeof out->authorization)
    goto done;

  out->canonical_request = creq.p;
  out->string_to_sign = sts.p;
  creq.p = NULL;
  sts.p = NULL;
  rc = 0;
done:
  free(h);
  sbuf_free(&creq);
  sbuf_free(&sts);
  if (rc) {
    sigv4_signed_free(out);
    memset(out, 0, sizeof *out);
  }
  return rc;
}

void sigv4_signed_free(struct sigv4_signed *out) {
  if (!out)
    return;
  if (out->canonical_request) {
    /* It holds the session token when that is signed. */
    OPENSSL_cleanse(out->canonical_request, strlen(out->canonical_request));
    free(out->canonical_request);
  }
  free(out->string_to_sign);
  out->canonical_request = NULL;
  out->string_to_sign = NULL;
}

int sigv4_header_lines(const struct sigv4_signed *sig, const struct aws_creds *c,
                       bool content_sha256, struct sigv4_lines *out) {
  int n = 0, trunc = 0;
  memset(out, 0, sizeof(*out));
  trunc |= nc_snprintf(out->date, sizeof(out->date), "X-Amz-Date: %s", sig->amz_date);
  out->lines[n++] = out->date;
  if (content_sha256) {
    trunc |=
        nc_snprintf(out->sha, sizeof(out->sha), "X-Amz-Content-SHA256: %s", sig->content_sha256);
    out->lines[n++] = out->sha;
  }
  if (c->session_token[0]) {
    trunc |=
        nc_snprintf(out->token, sizeof(out->token), "X-Amz-Security-Token: %s", c->session_token);
    out->lines[n++] = out->token;
  }
  trunc |= nc_snprintf(out->auth, sizeof(out->auth), "Authorization: %s", sig->authorization);
  out->lines[n++] = out->auth;
  out->lines[n] = NULL;
  if (trunc) {
    explicit_bzero(out, sizeof(*out));
    return -1;
  }
  return 0;
}
