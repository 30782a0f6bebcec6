/*
 * creds_probe.h - the creds probe's pure steps (probes/creds.c), declared
 * once for the probe and its unit tests: which source the SDKs would use,
 * the container endpoint URL and its checks, and the report's safe views of
 * what was found (no secret ever).
 */
#ifndef NETCHECK_CREDS_PROBE_H
#define NETCHECK_CREDS_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/http.h"

struct aws_creds;
struct plan;

/* The credentials the creds probe found in this plan, NULL = anonymous (or
 * not found yet: the probes flagged NC_PROBE_NEEDS_CREDS start after it). */
const struct aws_creds *creds_probe_found(const struct plan *pl);

const char *creds_probe_source(void);
bool creds_probe_plain_host_allowed(const char *s);
int creds_probe_container_url(const char *relative, const char *full, char *url, size_t len,
                              char *err, size_t errlen);
void creds_probe_endpoint(const char *url, char *out, size_t len);
int creds_probe_auth_header(const char *token, size_t token_len, char *out, size_t len);
void creds_probe_key_prefix(const char *akid, char *out, size_t len);
void creds_probe_failure_reason(const struct http_resp *r, char *out, size_t len);

#endif
