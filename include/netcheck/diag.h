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

/* ---- fix templates: the one place a report's `remediation` text lives ----
 *
 * Every code has one or more fix templates in the diag table: the default
 * (variant NULL) and named variants ("inside_vpc", "anonymous", ...) for
 * the cases a probe tells apart. A template is one sentence with named
 * slots, "{bucket}", "{region}", ...; a probe passes the facts, and
 * diag_fix() writes the sentence. "{{" and "}}" stand for braces. */
struct diag_fact {
  const char *slot;  /* "bucket" for {bucket} */
  const char *value; /* NULL counts as missing */
};
/* A NULL-terminated list of facts: DIAG_FACTS({"bucket", b}, {"region", r}). */
#define DIAG_FACTS(...) ((const struct diag_fact[]){__VA_ARGS__, {NULL, NULL}})

/* Writes the fix of code (variant NULL: the default) into out, its slots
 * filled from facts (NULL-terminated; NULL = none). Returns the number of
 * slots no fact filled (each is written as "{slot}" and counted by
 * diag_fix_unfilled), 0 when all were filled, or -1 when the code has no
 * such template (out is then ""). The output is cut at len on a UTF-8
 * boundary. */
int diag_fix(char *out, size_t len, enum nc_code code, const char *variant,
             const struct diag_fact *facts);

/* The template of code's variant (NULL: default), or NULL. */
const char *diag_fix_template(enum nc_code code, const char *variant);

/* The i-th variant name of code (the default is "" at i = 0), or NULL past
 * the last: for tests and the docs. */
const char *diag_fix_variant(enum nc_code code, int i);

/* Renders since the process started that left a slot unfilled: tests
 * assert it stays 0 after running a classifier. */
unsigned diag_fix_unfilled(void);

#endif
