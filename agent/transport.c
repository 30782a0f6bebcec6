/*
 * transport.c - transport results to diagnosis codes (transport.h): the
 * only module that knows both what curl and c-ares report (through http.h
 * and resolve.h) and the diagnosis codes (diag.h), so that the transports
 * stay below the diagnoses and the probes never read a library's codes.
 */
#include "netcheck/transport.h"

#include "netcheck/common.h"
#include "netcheck/diag.h"
#include "netcheck/http.h"
#include "netcheck/resolve.h"

int transport_http_code(const struct http_resp *r, int no_route_code, char *outcome, size_t len) {
  enum http_result res = http_classify(r);
  int code;
  switch (res) {
  case HTTP_OK:
    return -1;
  case HTTP_UNTRUSTED:
    code = NC_TLS_UNTRUSTED;
    break;
  case HTTP_TLS_FAILED:
    code = NC_TLS_HANDSHAKE;
    break;
  case HTTP_TLS_TIMEOUT:
  case HTTP_RESPONSE_TIMEOUT:
    code = NC_TIMEOUT_BUDGET;
    break;
  case HTTP_DNS_FAILED:
    code = NC_DNS_NXDOMAIN;
    break;
  default: /* refused, no connection, no answer, headers too large, bad response */
    code = no_route_code;
    break;
  }
  if (outcome)
    nc_strlcpy(outcome, http_result_name(res), len);
  return code;
}

int transport_dns_code(int ares_status) {
  switch (resolve_classify(ares_status)) {
  case RESOLVE_OK:
    return NC_OK;
  case RESOLVE_NO_NAME:
    return NC_DNS_NXDOMAIN;
  case RESOLVE_TIMEOUT:
    return NC_DNS_TIMEOUT;
  case RESOLVE_REFUSED:
    return NC_DNS_REFUSED;
  case RESOLVE_FAILED:
  default:
    return NC_DNS_SERVFAIL;
  }
}
