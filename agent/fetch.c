/*
 * fetch.c - resolve, then request: the one place that puts the DNS backend
 * (resolve.c) and the HTTP backend (http.c) together, so that neither calls
 * the other. The name is resolved the way the job's resolver would, timed on
 * its own, and the request is pinned to the answer (CURLOPT_RESOLVE), so DNS
 * and the connection are diagnosed apart.
 */
#include "netcheck/fetch.h"

#include <ares.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netcheck/common.h"
#include "netcheck/engine.h"
#include "netcheck/probe.h"
#include "netcheck/proxy.h"

const struct engine_backend *const fetch_backends[] = {&http_backend, &resolve_backend, NULL};

/* What one fetch_request owns: copies of the request's strings, the
 * caller's callback, the DNS answer. Owned by the resolve request, then by
 * the HTTP request (each frees it if its callback never ran), then freed
 * after the caller's callback. */
struct fetch_ctx {
  struct engine *e;
  struct http_req rq;
  char *strs[NC_HTTP_MAX_HEADERS + 3];
  fetch_cb cb;
  void *arg;
  struct nc_addrs addrs;
  int64_t dns_started;
  double dns_ms;
};

static void fetch_ctx_free(void *v) {
  struct fetch_ctx *c = v;
  for (size_t i = 0; i < NC_ARRAY_LEN(c->strs); i++)
    free(c->strs[i]);
  free(c);
}

static void fetch_on_http(struct probe *p, const struct http_resp *resp, void *arg) {
  struct fetch_ctx *c = arg;
  struct http_resp r = *resp;
  r.t.dns = c->dns_ms;
  if (c->dns_ms > 0)
    r.t.total = resp->t.total + c->dns_ms;
  c->cb(p, 0, &c->addrs, &r, c->arg);
  fetch_ctx_free(c);
}

static void fetch_on_resolved(struct probe *p, int status, const struct nc_addrs *addrs,
                              void *arg) {
  struct fetch_ctx *c = arg;
  c->dns_ms = (double)(nc_now_ms() - c->dns_started);
  c->addrs = *addrs;
  if (status != ARES_SUCCESS) {
    c->cb(p, status, &c->addrs, NULL, c->arg);
    fetch_ctx_free(c);
    return;
  }
  c->rq.pin_ip = fetch_pin(addrs);
  c->rq.timeout_ms = 0; /* what is left of the probe's budget */
  if (http_request_owned(c->e, p, &c->rq, fetch_on_http, c, fetch_ctx_free)) {
    struct http_resp fail;
    probe_note_errno(p, errno);
    memset(&fail, 0, sizeof fail);
    fail.curl_code = CURLE_FAILED_INIT;
    nc_strlcpy(fail.error, "could not start the request", sizeof fail.error);
    fail.t.dns = c->dns_ms;
    c->cb(p, 0, &c->addrs, &fail, c->arg);
    fetch_ctx_free(c);
  }
}

/* Prefer IPv4: it is what the job's SDKs reach first in a VPC. */
const char *fetch_pin(const struct nc_addrs *addrs) {
  for (int i = 0; i < addrs->n; i++)
    if (addrs->a[i].family == AF_INET)
      return addrs->a[i].text;
  return addrs->a[0].text;
}

int fetch_request(struct engine *e, struct probe *p, const struct http_req *rq, fetch_cb cb,
                  void *arg) {
  struct fetch_ctx *c = calloc(1, sizeof *c);
  char host[256];
  int port, k = 0;
  if (!c)
    return -1;
  if (http_url_host_port(rq->url, host, sizeof host, &port))
    goto fail;
  c->e = e;
  c->rq = *rq;
  c->cb = cb;
  c->arg = arg;
  if (!(c->strs[k++] = strdup(rq->url)))
    goto fail;
  c->rq.url = c->strs[0];
  for (int i = 0; i < NC_HTTP_MAX_HEADERS && rq->headers[i]; i++) {
    if (!(c->strs[k] = strdup(rq->headers[i])))
      goto fail;
    c->rq.headers[i] = c->strs[k++];
  }
  if (rq->body) {
    if (!(c->strs[k] = malloc(rq->body_len + 1)))
      goto fail;
    memcpy(c->strs[k], rq->body, rq->body_len);
    c->strs[k][rq->body_len] = '\0';
    c->rq.body = c->strs[k++];
  }
  if (rq->method) {
    if (!(c->strs[k] = strdup(rq->method)))
      goto fail;
    c->rq.method = c->strs[k++];
  }
  c->dns_started = nc_now_ms();
  if (!rq->no_proxy && proxy_for_url(c->rq.url, NULL, 0)) {
    /* The proxy resolves the name, not the job: connect to the proxy. */
    nc_strlcpy(c->addrs.source, "proxy", sizeof c->addrs.source);
    c->dns_ms = -1;
    if (http_request_owned(e, p, &c->rq, fetch_on_http, c, fetch_ctx_free))
      goto fail;
    return 0;
  }
  {
    int dns_ms = rq->timeout_ms;
    int64_t conn = probe_connect_left_ms(p);
    if (dns_ms <= 0 || dns_ms > conn)
      dns_ms = conn > 0 ? (int)conn : 1;
    /* c-ares may answer from /etc/hosts inside this call: c belongs to the
     * request from before the lookup starts. */
    if (resolve_name_owned(e, p, host, dns_ms, fetch_on_resolved, c, fetch_ctx_free))
      goto fail;
  }
  return 0;
fail:
  fetch_ctx_free(c);
  return -1;
}
