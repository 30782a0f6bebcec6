/*
 * http.h - HTTP(S) requests through one libcurl multi handle, an engine
 * backend (http_backend, engine.h). Names are resolved by the caller
 * (resolve_name, or fetch_request: fetch.h) and pinned with
 * CURLOPT_RESOLVE, so DNS is timed and diagnosed on its own; a request that
 * the environment sends through a proxy (proxy.h) is not resolved locally.
 * TLS always verifies. Headers and bodies read from the network are capped.
 * A probe's connect budget (probe_connect_left_ms) bounds DNS and connect.
 */
#ifndef NETCHECK_HTTP_H
#define NETCHECK_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/common.h" /* struct nc_timings */

struct engine;
struct engine_backend;
struct probe;

#define NC_HTTP_MAX_HEADERS 12
#define NC_HTTP_DEFAULT_BODY_CAP (64 * 1024)
#define NC_HTTP_HEADER_CAP (32 * 1024) /* all response header bytes */

struct http_req {
  const char *method; /* "GET", "HEAD", "POST", "PUT", "DELETE" */
  const char *url;
  const char *pin_ip;                       /* address to connect to, NULL = resolve with curl */
  const char *headers[NC_HTTP_MAX_HEADERS]; /* "Name: value", NULL-terminated */
  const char *body;
  size_t body_len;
  size_t body_cap;   /* 0 = NC_HTTP_DEFAULT_BODY_CAP */
  int timeout_ms;    /* whole transfer */
  bool connect_only; /* TCP + TLS handshake, no request */
  bool sensitive;    /* the body holds secrets: wiped before it is freed */
  bool private_path; /* the URL's path is a capability (credentials URI): logs show the host */
  bool keep_alive;   /* keep this connection for the probe's next request (S3 HEAD, then
                        ListObjectsV2) */
  bool reuse;        /* a probe's later request: may go over a connection kept for it (to the
                        same host and port); without it the request opens its own, so that
                        its connect and TLS phases are its own (never another probe's) */
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
  char version_id[128];   /* x-amz-version-id (a versioned bucket's PutObject, DeleteObject) */
  char sse[32];           /* x-amz-server-side-encryption: how S3 stored an object */
  char delete_marker[8];  /* x-amz-delete-marker: "true" when a DeleteObject left one */
  char server[64];
  char location[512];
  char content_type[128];
  char proxy[128]; /* the proxy the request went through (no credentials), "" = direct */
  struct nc_timings t;
};

typedef void (*http_cb)(struct probe *p, const struct http_resp *r, void *arg);

/* The engine backend: the multi handle and the requests in flight. */
extern const struct engine_backend http_backend;

/* Starts a request; cb runs once, on the loop, unless p finishes first.
 * All strings are copied. 0 or -1. */
int http_request(struct engine *e, struct probe *p, const struct http_req *rq, http_cb cb,
                 void *arg);
/* The same, and arg belongs to the request: arg_free(arg) runs when the
 * request is freed if cb never ran (p finished first, or the engine was
 * freed); once cb runs, arg is the caller's again. On -1 arg stays the
 * caller's. */
int http_request_owned(struct engine *e, struct probe *p, const struct http_req *rq, http_cb cb,
                       void *arg, void (*arg_free)(void *));

/* The host and port of an http:// or https:// URL (443 or 80 unless it names one). 0 or -1. */
int http_url_host_port(const char *url, char *host, size_t hlen, int *port);

/* What became of a request, as the transport sees it (the diagnosis is
 * transport.h's). */
enum http_result {
  HTTP_OK,               /* an answer arrived (curl reported no error) */
  HTTP_UNTRUSTED,        /* the certificate was not trusted */
  HTTP_TLS_FAILED,       /* the TLS handshake failed */
  HTTP_REFUSED,          /* the connection was refused */
  HTTP_CONNECT_FAILED,   /* no connection for another reason */
  HTTP_CONNECT_TIMEOUT,  /* no TCP connection in time */
  HTTP_TLS_TIMEOUT,      /* connected; TLS did not complete in time */
  HTTP_RESPONSE_TIMEOUT, /* connected; the answer did not complete in time */
  HTTP_HEADERS_TOO_LARGE,
  HTTP_DNS_FAILED, /* curl could not resolve (a request through a proxy) */
  HTTP_BAD_RESPONSE
};
enum http_result http_classify(const struct http_resp *r);
/* The wire-level word of a result: "connect_timeout", "tls_untrusted", ... */
const char *http_result_name(enum http_result res);

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
