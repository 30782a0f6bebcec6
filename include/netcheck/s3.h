/*
 * s3.h - the pure parts of the s3 and clock probes (probes/s3.c,
 * probes/clock.c): S3's XML error bodies, the diagnosis of an S3 answer and
 * the HTTP Date header. Nothing here touches the network, so the unit tests
 * and the fuzz targets call these directly with recorded S3 bodies.
 */
#ifndef NETCHECK_S3_H
#define NETCHECK_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "netcheck/diag.h"

/* Fields of an S3 <Error> document; "" when absent. Every field is capped at
 * its size (cut on a UTF-8 boundary), entity-decoded, trimmed, and holds
 * only printable text: control characters become spaces and invalid UTF-8
 * becomes '?', so a field can go into the report as it is. */
struct s3_error {
  char code[64];          /* <Code>: "AccessDenied", "NoSuchBucket", ... */
  char message[1024];     /* <Message>: may name ARNs, never secrets */
  char region[64];        /* <Region> (AuthorizationHeaderMalformed) */
  char bucket_region[64]; /* <BucketRegion> */
  char endpoint[256];     /* <Endpoint> (PermanentRedirect) */
  char bucket[64];        /* <Bucket> (PermanentRedirect) or <BucketName> */
  char request_id[128];   /* <RequestId> */
  char host_id[256];      /* <HostId> */
};

/* Parses an S3 error body. buf need not be NUL-terminated and is never read
 * past len; any byte sequence is safe (the parser is fuzzed). Only direct
 * children of the root <Error> element count; CDATA sections are skipped,
 * comments and processing instructions ignored. Entities &quot; &amp; &lt;
 * &gt; &apos; and numeric references are decoded.
 * Returns 0 when the root element is <Error> and it has a non-empty <Code>,
 * -1 otherwise; out is always initialised (empty fields when absent). */
int s3_parse_error_xml(const char *buf, size_t len, struct s3_error *out);

/* <KeyCount> of a ListObjectsV2 <ListBucketResult> body, same rules as above.
 * Returns 0 and sets *key_count, or -1 when absent or not a number. */
int s3_parse_key_count(const char *buf, size_t len, long *key_count);

/* Region named by an S3 endpoint host ("b.s3.eu-west-1.amazonaws.com",
 * "s3-eu-west-1.amazonaws.com", "s3.dualstack.eu-west-1.amazonaws.com").
 * Returns 0, or -1 when the host names no region. */
int s3_region_from_endpoint(const char *host, char *region, size_t len);

/* Everything s3_classify looks at: one S3 answer (or its absence) and what
 * was asked. Strings may be NULL or "" when unknown. */
struct s3_response_view {
  const char *bucket;    /* asked bucket */
  const char *region;    /* region the request was sent to (and signed for) */
  const char *operation; /* "HeadBucket" or "ListObjectsV2", for messages */
  bool is_signed;        /* SigV4-signed (false: anonymous) */
  /* Transport: an nc_code when no HTTP answer arrived (a DNS_* code from
   * resolve_status_code, or S3_NO_ROUTE / TLS_UNTRUSTED / TLS_HANDSHAKE /
   * TIMEOUT_BUDGET from http_transport_code), -1 when one did. */
  int transport;
  const char *outcome;         /* wire word ("connect_timeout", "http_403") */
  const char *transport_error; /* curl's text, for the message */
  const char *host;            /* name that was resolved / connected to */
  const char *address;         /* address connected to */
  const char *address_class;   /* resolve_addr_class() of it */
  long status;                 /* HTTP status, 0 when none */
  const char *s3_code;         /* <Code> of the body */
  const char *s3_message;      /* <Message> of the body */
  const char *bucket_region;   /* x-amz-bucket-region, else from the body */
};

/* Diagnoses one S3 answer: returns the code (NC_OK when access works, also
 * for an S3 5xx that proves the path works: the caller warns on status >= 500)
 * and writes a one-sentence message and a remediation in VPC terms ("" when
 * there is nothing to fix). Never fails; msg and rem may be NULL. */
enum nc_code s3_classify(const struct s3_response_view *v, char *msg, size_t msglen, char *rem,
                         size_t remlen);

/* ---- clock probe ---- */

#define CLOCK_WARN_SECONDS 60  /* above: warn */
#define CLOCK_FAIL_SECONDS 300 /* above: CLOCK_SKEW (SigV4 itself refuses 900) */

/* Parses an HTTP Date (RFC 7231 7.1.1.1): the IMF-fixdate
 * "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete RFC 850 and asctime
 * forms recipients must accept. Locale-independent; surrounding blanks
 * allowed; day names are checked for form, not against the date.
 * Returns 0 and the UTC time in *out, or -1. */
int clock_parse_http_date(const char *s, time_t *out);

#endif
