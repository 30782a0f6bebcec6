/*
 * http.h - HTTP(S) requests through the engine's libcurl multi handle.
 * Names are resolved by the caller (engine_resolve) and pinned with
 * CURLOPT_RESOLVE, so DNS is timed and diagnosed on its own. TLS always
 * verifies. Headers and bodies read from the network are capped.
 */
#ifndef NETCHECK_HTTP_H
#define NETCHECK_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/probe.h"
#include "netcheck/resolve.h"

#define NC_HTTP_MAX_HEADERS 8
#define NC_HTTP_DEFAULT_BODY_CAP (64 * 1024)
#define NC_HTTP_HEADER_CAP (32 * 1024) /* all response header bytes */

struct http_req {
  const char *method; /* "GET", "HEAD", "POST" */
  const char *url;
  const char *pin_ip;                       /* address to connect to, NULL = resolve with curl */
  const char *headers[NC_HTTP_MAX_HEADERS]; /* "Name: value", NULL-terminated */
  const char *body;
  size_t body_len;
  size_t body_cap;   /* 0 = NC_HTTP_DEFAULT_BODY_CAP */
  int timeout_ms;    /* whole transfer */
  bool connect_only; /* TCP + TLS handshake, no request */
  bool sensitive;    /* the body holds secrets: wiped before it is freed */
  bool keep_alive;   /* reuse a kept connection to the same host and address, and keep
                        this one for the next request (S3 HEAD, then ListObjectsV2) */
  bool no_proxy;     /* never through a proxy (the credentials endpoint) */
};

struct http_resp {
  int curl_code; /* CURLcode */
  char error[256];
  long status;
  long ssl_verify_result;
  char primary_ip[46];
  char *body; /* NUL-terminated, at most body_cap bytes */
  size_t body_len;
  bool body_truncated;
  bool headers_truncated;
  /* interesting response headers ("" when absent) */
  char date[64];
  char bucket_region[64]; /* x-amz-bucket-region */
  char request_id[128];   /* x-amz-request-id */
  char server[64];
  char location[512];
  char content_type[128];
  struct nc_timings t;
};

typedef void (*http_cb)(struct probe *p, const struct http_resp *r, void *arg);

/* Starts a request; cb runs once, on the loop, unless p finishes first.
 * All strings are copied. 0 or -1. */
int engine_http(struct engine *e, struct probe *p, const struct http_req *rq, http_cb cb,
                void *arg);

/* Resolve-then-request, the step most probes share: resolves the URL's host
 * with engine_resolve() (timed into r->t.dns), pins the first address and
 * runs the request. On a DNS failure cb gets dns_status != 0 and r == NULL.
 * addrs lists every address the name resolved to. */
typedef void (*fetch_cb)(struct probe *p, int dns_status, const struct nc_addrs *addrs,
                         const struct http_resp *r, void *arg);
int engine_fetch(struct engine *e, struct probe *p, const struct http_req *rq, fetch_cb cb,
                 void *arg);

/* The proxy a request to url goes through, as the AWS SDKs choose it
 * (botocore: urllib's environment): https_proxy or HTTPS_PROXY for https,
 * http_proxy or HTTP_PROXY for http (lower case first), never ALL_PROXY;
 * NULL for none. libcurl then applies NO_PROXY/no_proxy. Nothing for a
 * request with no_proxy, nor for an address that only the host itself can
 * reach (http_address_is_local). */
const char *http_proxy_for(const struct http_req *rq);

/* True for the addresses no proxy can reach for us and no SDK sends through
 * one: IPv4 link-local 169.254.0.0/16 (the container credentials endpoint
 * 169.254.170.2, IMDS 169.254.169.254), IPv6 link-local fe80::/10, and
 * fd00:ec2::/64, where EC2 serves IMDS (fd00:ec2::254), the EKS Pod Identity
 * agent (fd00:ec2::23), the DNS resolver (::253) and the time service
 * (::123). ip is an address's text; a name is never local. */
bool http_address_is_local(const char *ip);

/* Transport-level diagnosis shared by every HTTPS probe: TLS_UNTRUSTED,
 * TLS_HANDSHAKE, no_route_code for timeouts/unreachable, TIMEOUT_BUDGET;
 * -1 when the transport worked (an HTTP status arrived). outcome gets a
 * wire-level word ("connect_timeout", "tls_untrusted", ...). */
int http_transport_code(const struct http_resp *r, int no_route_code, char *outcome, size_t len);

/* True when the curl code means the certificate was not trusted. */
bool http_error_is_untrusted(const struct http_resp *r);
/* True when the curl code is a TLS handshake failure (not trust). */
bool http_error_is_tls(const struct http_resp *r);
/* True when the connection timed out or the route dropped the packets. */
bool http_error_is_no_route(const struct http_resp *r);
/* A status line arrived, then the deadline: the head or the body never completed. */
bool http_answer_timed_out(const struct http_resp *r);
/* A status line arrived, then the rest was refused: more headers than the cap (ours, or
 * curl's 100 KiB for one header), or a response curl could not parse. A body over the cap is
 * not this. */
bool http_answer_unusable(const struct http_resp *r);

#endif
