/*
 * s3.h - what the s3 and s3-write families share (probes/s3answer.c,
 * probes/s3.c, probes/s3write.c): S3's XML error bodies, the diagnosis of
 * an S3 answer, where a bucket is reached (struct s3_target) and the signed
 * request headers. Nothing here touches the network, so the unit tests and
 * the fuzz targets call these directly with recorded S3 bodies.
 */
#ifndef NETCHECK_S3_H
#define NETCHECK_S3_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/aws.h"
#include "netcheck/config.h"
#include "netcheck/diag.h"
#include "netcheck/http.h"

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

/* True when s has the shape of a region name ("eu-west-1"). */
bool s3_region_ok(const char *s);

/* Region named by an S3 endpoint host ("b.s3.eu-west-1.amazonaws.com",
 * "s3-eu-west-1.amazonaws.com", "s3.dualstack.eu-west-1.amazonaws.com").
 * Returns 0, or -1 when the host names no region. */
int s3_region_from_endpoint(const char *host, char *region, size_t len);

/* Everything s3_classify looks at: one S3 answer (or its absence) and what
 * was asked. Strings may be NULL or "" when unknown. */
struct s3_response_view {
  const char *bucket;    /* asked bucket */
  const char *region;    /* region the request was sent to (and signed for) */
  const char *partition; /* "aws", "aws-cn", ...: the ARNs of remediations (NULL: "aws") */
  const char *operation; /* "HeadBucket", "ListObjectsV2", "PutObject", for messages */
  bool is_signed;        /* SigV4-signed (false: anonymous) */
  /* A write (PutObject): denials have the S3_WRITE_* codes, KMS errors count. */
  bool write;
  const char *prefix;  /* the key prefix written under (remediations name its ARN) */
  const char *kms_key; /* the SSE-KMS key the request named, "" = none or S3's own */
  bool sse_kms;        /* the request asked for SSE-KMS */
  /* Transport: an nc_code when no HTTP answer arrived (a DNS_* code from
   * transport_dns_code, or S3_NO_ROUTE / TLS_UNTRUSTED / TLS_HANDSHAKE /
   * TIMEOUT_BUDGET from transport_http_code), -1 when one did. */
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
 * there is nothing to fix). Never fails; msg and rem may be NULL. A write's
 * refusal is S3_WRITE_DENIED_ENDPOINT_POLICY, S3_WRITE_DENIED or
 * S3_WRITE_KMS_DENIED (a KMS.* code, or an AccessDenied that names a kms:
 * action); its other answers are diagnosed as a read's. */
enum nc_code s3_classify(const struct s3_response_view *v, char *msg, size_t msglen, char *rem,
                         size_t remlen);

/* True when an S3 answer to a write blames the encryption key (KMS.*, or an
 * AccessDenied or InvalidArgument naming KMS). */
bool s3_error_is_kms(const char *code, const char *message);

/* ---- where a bucket is reached (the s3 and s3-write families) ---- */

/* A bucket as the plan decided to reach it: its region (the job's, or the
 * one an https S3 URI names), partition and endpoint name. */
struct s3_target {
  char bucket[64];
  char prefix[NC_PATH_MAX]; /* the key prefix listed (s3) or written under (s3-write) */
  char region[32];          /* signed for, and in the host name */
  char partition[16];       /* "aws", "aws-cn", ... */
  char host[320];           /* virtual-hosted, or the regional name for a dotted bucket */
  char path[80];            /* "/" (virtual-hosted) or "/BUCKET" (path-style) */
  bool region_from_uri;     /* the region is the URI's, not the job's */
};

/* Fills t for bucket and prefix: region "" means cfg->region. Dotted and
 * legacy names go path-style to the regional name
 * (partition_bucket_virtual_hosted), as the SDKs do; FIPS names when
 * cfg->fips. 0, or -1 when a name does not fit. */
int s3_target_init(struct s3_target *t, const struct nc_config *cfg, const char *bucket,
                   const char *prefix, const char *region);

struct nc_addrs;
struct outbound_obs;
struct plan;
struct probe_ops;

/* outbound_observe() for an S3 request (NC_S3_NO_ROUTE when there is no
 * route), where a response whose head timed out counts as no connection:
 * a status line is not an answer. */
void s3_observe(int dns_status, const struct nc_addrs *addrs, const struct http_resp *r,
                struct outbound_obs *o);

/* Adds one probe of the s3 families to pl: required, its target expected
 * reachable, ctx freed with free(). name is the host the dns family
 * probes for it (NULL for none). 0, or -1 when the plan is full. */
int s3_plan_add(struct plan *pl, const struct nc_config *cfg, const struct probe_ops *ops,
                const char *id, const char *target, const char *name, void *ctx);

/* Frees p->priv, a state of size bytes that holds signed headers
 * (credentials): wiped first. */
void s3_state_free(struct probe *p, size_t size);

/* A request's own timeout: what is left of the probe's budget minus a margin,
 * so that the transport reports ("connect_timeout") before the probe's
 * deadline does ("timeout"). */
int s3_request_timeout_ms(const struct probe *p);

/* Adds a target's "region" (and "region_note" when an S3 URI chose it) and
 * the job's S3 locations loc[0..n) (indices into cfg->locations) to a
 * probe's details. */
struct cJSON;
void s3_target_details(struct cJSON *d, const struct s3_target *t, const struct nc_config *cfg);
void s3_locations_details(struct cJSON *d, const struct nc_config *cfg, const int *loc, int n);

/* The request headers of one S3 request: Host, then extra (signed too), then
 * the SigV4 set when c has keys (x-amz-date, x-amz-content-sha256 of an empty
 * body, x-amz-security-token, Authorization). lines is NULL-terminated and
 * points into the struct, which holds credentials: wipe it after use. */
#define S3_MAX_EXTRA_HEADERS 4
struct s3_signed_headers {
  char host[340];
  struct sigv4_lines sig;                 /* the lines that carry the signature */
  char extra[S3_MAX_EXTRA_HEADERS][2200]; /* "Name: value" (a KMS key ARN is up to 2048) */
  const char *lines[NC_HTTP_MAX_HEADERS + 1];
  bool is_signed;
};
/* path and query as sent (already encoded). 0, or -1 (a header too long,
 * too many, or signing failed). */
int s3_sign_headers(struct s3_signed_headers *h, const struct aws_creds *c, const char *method,
                    const char *host, const char *path, const char *query, const char *region,
                    const struct sigv4_header *extra, size_t n_extra);

#endif
