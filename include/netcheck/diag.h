/*
 * diag.h - diagnosis codes (the report's `code`), their names and the text
 * `netcheck explain CODE` prints. The list is a contract (docs/design.md).
 */
#ifndef NETCHECK_DIAG_H
#define NETCHECK_DIAG_H

#include <stdio.h>

#define NC_DIAG_CODES(X)                                                                           \
  X(OK)                                                                                            \
  X(DNS_NO_RESOLVER)                                                                               \
  X(DNS_TIMEOUT)                                                                                   \
  X(DNS_NXDOMAIN)                                                                                  \
  X(DNS_SERVFAIL)                                                                                  \
  X(S3_NO_ROUTE)                                                                                   \
  X(S3_DENIED_ENDPOINT_POLICY)                                                                     \
  X(S3_DENIED)                                                                                     \
  X(S3_NO_SUCH_BUCKET)                                                                             \
  X(S3_WRONG_REGION)                                                                               \
  X(S3_SIGNATURE_MISMATCH)                                                                         \
  X(TLS_UNTRUSTED)                                                                                 \
  X(TLS_HANDSHAKE)                                                                                 \
  X(CLOCK_SKEW)                                                                                    \
  X(CREDS_UNAVAILABLE)                                                                             \
  X(REPO_NOT_BLOCKED)                                                                              \
  X(EGRESS_BLOCKED)                                                                                \
  X(EGRESS_UNEXPECTED)                                                                             \
  X(AWS_ENDPOINT_UNREACHABLE)                                                                      \
  X(PEER_DNS)                                                                                      \
  X(PEER_BLOCKED)                                                                                  \
  X(PEER_REFUSED)                                                                                  \
  X(PEER_NOT_NETCHECK)                                                                             \
  X(PEER_PMTU_BLACKHOLE)                                                                           \
  X(NETWORK_ISOLATED)                                                                              \
  X(TIMEOUT_BUDGET)                                                                                \
  X(DNS_REFUSED)                                                                                   \
  X(CONFIG_INVALID)                                                                                \
  X(LOCAL_RESOURCE)                                                                                \
  X(S3_WRITE_DENIED_ENDPOINT_POLICY)                                                               \
  X(S3_WRITE_DENIED)                                                                               \
  X(S3_WRITE_KMS_DENIED)                                                                           \
  X(S3_WRITE_MARKER_KEPT)

#define NC_DIAG_ENUM(name) NC_##name,
enum nc_code { NC_DIAG_CODES(NC_DIAG_ENUM) NC_CODE_COUNT };
#undef NC_DIAG_ENUM

/* "S3_DENIED" for NC_S3_DENIED. */
const char *diag_name(enum nc_code code);

/* Parses a code name (case-insensitive); returns -1 when unknown. */
int diag_from_name(const char *name);

/* Multi-line text for `netcheck explain`: when it matters, what was
 * observed, likely causes, fix. */
const char *diag_explain(enum nc_code code);

/* One line, under 80 characters. */
const char *diag_summary(enum nc_code code);

/* Prints docs/diagnoses.md (the same text as every explain page). */
void diag_markdown(FILE *out);

#endif
