/*
 * transport.h - the one place where what a transport reports (http.h's
 * enum http_result, resolve.h's enum resolve_result) becomes a diagnosis
 * code (diag.h). The transports know nothing of diagnoses; the probes ask
 * here instead of reading curl or c-ares codes.
 */
#ifndef NETCHECK_TRANSPORT_H
#define NETCHECK_TRANSPORT_H

#include <stddef.h>

struct http_resp;

/* Transport-level diagnosis shared by every HTTPS probe: TLS_UNTRUSTED,
 * TLS_HANDSHAKE, no_route_code for timeouts/unreachable, TIMEOUT_BUDGET;
 * -1 when the transport worked (an HTTP status arrived). outcome gets a
 * wire-level word ("connect_timeout", "tls_untrusted", ...). */
int transport_http_code(const struct http_resp *r, int no_route_code, char *outcome, size_t len);

/* The DNS diagnosis code of an ARES_* status (OK for ARES_SUCCESS). */
int transport_dns_code(int ares_status);

#endif
