/*
 * aws.h - AWS credentials and Signature Version 4.
 *
 * creds_*: find credentials the way the AWS SDKs do (environment keys, then
 * the container credentials endpoint, which the creds probe fetches), and
 * parse the endpoint's JSON. sigv4_*: sign a request with OpenSSL EVP
 * SHA-256/HMAC. Secrets never leave this module's structs: nothing here logs.
 */
#ifndef NETCHECK_AWS_H
#define NETCHECK_AWS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Where credentials came from (aws_creds.source, the creds probe's id and details). */
#define AWS_CREDS_FROM_ENV "env"
#define AWS_CREDS_FROM_CONTAINER "container"
#define AWS_CREDS_FROM_NONE "none"

/* The longest session token accepted. STS documents no maximum ("the size
 * of the security token that STS API operations return is not fixed"; the
 * typical one is under 4 KiB, chained and tagged sessions run past it), and
 * S3 refuses a request header section over 8 KiB (RequestHeaderSectionTooLarge,
 * MaxSizeAllowed 8192): twice that admits every token a service accepts. */
#define AWS_SESSION_TOKEN_MAX 16384

struct aws_creds {
  char access_key_id[128];
  char secret_access_key[128];
  char session_token[AWS_SESSION_TOKEN_MAX + 1]; /* "" when none */
  char expiration[64];                           /* ISO 8601 from the endpoint, "" when unknown */
  char role_arn[256];                            /* from the endpoint, "" when unknown */
  char source[16]; /* AWS_CREDS_FROM_ENV or AWS_CREDS_FROM_CONTAINER */
};

/* ---- credentials ---- */

/* From AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
 * Returns 0 when both keys are set and every value is usable, else -1 with
 * a one-line reason in err naming the variable (never its value): not set,
 * longer than the cap, or holding a control character. err may be NULL. */
int creds_from_env(struct aws_creds *c, char *err, size_t errlen);

/* Parses the container credentials endpoint's JSON
 * ({"AccessKeyId","SecretAccessKey","Token","Expiration","RoleArn"}).
 * buf need not be NUL-terminated. Returns 0, or -1 with a one-line reason
 * in err that never contains a secret. */
int creds_parse_container_json(const char *buf, size_t len, struct aws_creds *c, char *err,
                               size_t errlen);

/* Wipes secrets (explicit_bzero-like), and the signing keys derived from them (sigv4_forget). */
void creds_clear(struct aws_creds *c);

/* ---- SigV4 ---- */

struct sigv4_header {
  const char *name;  /* as sent; compared case-insensitively */
  const char *value; /* as sent; sigv4 trims and collapses spaces */
};

struct sigv4_request {
  const char *method;
  const char *path;                   /* as sent on the wire (already percent-encoded), e.g. "/" */
  const char *query;                  /* as sent, without '?', may be NULL or "" */
  const struct sigv4_header *headers; /* every header to sign, including Host */
  size_t n_headers;
  const void *payload;
  size_t payload_len;
  const char *region;
  const char *service;
  time_t now; /* signing time (UTC) */
  /* S3 rules: no path normalisation or double encoding (the path is
   * percent-decoded once and encoded per SigV4, keeping '/'), and the
   * payload hash is sent as x-amz-content-sha256 (and signed). Other
   * services: dot segments and empty segments are removed, then the wire
   * path is encoded once more ('%' becomes %25), as botocore does. */
  bool s3;
  /* When true, the payload hash is "UNSIGNED-PAYLOAD". */
  bool unsigned_payload;
  /* When true and c has a session token, X-Amz-Security-Token is left out
   * of the signed headers (the caller adds it after signing, as some
   * services expect); when false it is signed. Ignored when rq->headers
   * already carries the token: then it is signed as given. */
  bool token_unsigned;
};

struct sigv4_signed {
  char amz_date[17];        /* X-Amz-Date: YYYYMMDDTHHMMSSZ */
  char content_sha256[65];  /* hex payload hash or "UNSIGNED-PAYLOAD" */
  char authorization[1024]; /* full Authorization header value */
  char signed_headers[512];
  char signature[65];
  char *canonical_request; /* heap, for tests and debugging */
  char *string_to_sign;    /* heap */
};

/* Signs rq with c. The caller sends Host, X-Amz-Date (out->amz_date),
 * X-Amz-Security-Token when c has a session token, x-amz-content-sha256 for
 * S3, and Authorization. Those headers are added to the signed set by
 * sigv4_sign itself when absent from rq->headers. An X-Amz-Date given in
 * rq->headers must match rq->now; an x-amz-content-sha256 given there is
 * used as the payload hash. Returns 0 or -1 (bad input, a limit exceeded,
 * or an OpenSSL failure). Free with sigv4_signed_free, also after -1. */
int sigv4_sign(const struct sigv4_request *rq, const struct aws_creds *c, struct sigv4_signed *out);
void sigv4_signed_free(struct sigv4_signed *out);
/* Wipes the signing keys sigv4_sign keeps (one per secret, date, region and service, so that
 * the requests to one service derive theirs once); creds_clear calls it. */
void sigv4_forget(void);

/* The header lines that carry a signature, as every signed request here
 * sends them: "X-Amz-Date: ...", "X-Amz-Content-SHA256: ..." when
 * content_sha256 (S3), "X-Amz-Security-Token: ..." when c has a session
 * token, then "Authorization: ...". lines is NULL-terminated and points into
 * the struct, which holds the token: wipe it (explicit_bzero) after use. */
struct sigv4_lines {
  char date[48];
  char sha[96];
  char token[sizeof(((struct aws_creds *)0)->session_token) + 32];
  char auth[sizeof(((struct sigv4_signed *)0)->authorization) + 32];
  const char *lines[5];
};
/* 0, or -1 when a line does not fit (out is then wiped). */
int sigv4_header_lines(const struct sigv4_signed *sig, const struct aws_creds *c,
                       bool content_sha256, struct sigv4_lines *out);

/* URI-encodes per SigV4 (unreserved A-Za-z0-9-._~ kept, every other byte
 * as %XY in uppercase hex, '%' included); encode_slash false keeps '/'.
 * Returns 0, or -1 when out is too small. */
int sigv4_uri_encode(const char *in, size_t inlen, bool encode_slash, char *out, size_t outlen);

/* Lowercase hex SHA-256 of data into out[65] ("" if OpenSSL fails). */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

#endif
