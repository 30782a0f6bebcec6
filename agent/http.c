/*
 * http.c - HTTP(S) through one libcurl multi handle on the engine's loop.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to call it back (CURLMOPT_TIMERFUNCTION); we never block in curl. Every
 * byte read from the network is capped: headers in total, bodies per
 * request. Names are pinned with CURLOPT_RESOLVE so curl never resolves.
 */
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/diag.h"
#include "netcheck/proxy.h"
#include "netcheck/version.h"

/* curl 7.88 reports CONNECT_TIME only once TLS is up too: remember when the TCP connection was
 * established (curl then waits to read on a connected socket), so that a TLS handshake that
 * stalls is not mistaken for a TCP connect that timed out. */
static void note_tcp_up(CURL *easy, curl_socket_t s) {
  struct req *r = NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (!easy || curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r) != CURLE_OK || !r ||
      r->tcp_up_ms)
    return;
  if (getpeername(s, (struct sockaddr *)&ss, &len) == 0)
    r->tcp_up_ms = nc_now_ms();
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
  struct engine *e = userp;
  (void)socketp;
  if (what == CURL_POLL_REMOVE) {
    engine_unwatch(e, s);
    return 0;
  }
  if (what & CURL_POLL_IN)
    note_tcp_up(easy, s);
  if (engine_watch_kind(
          e, s, ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u),
          WATCH_CURL, NULL))
    return -1;
  return 0;
}

/* curl's socket(), ours so that a failure is known for what it is: out of
 * descriptors is netcheck's problem, not the route's (curl would only say
 * "couldn't connect"). */
static curl_socket_t open_socket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *a) {
  struct req *r = clientp;
  int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
  (void)purpose;
  if (fd < 0) {
    r->sock_errno = errno;
    nc_note_resource_failure(r->sock_errno);
    return CURL_SOCKET_BAD;
  }
  r->sock_errno = 0;
  return fd; /* curl owns it */
}

/* A failed transfer whose own socket() ran out of descriptors or memory.
 * (Not CURLE_OUT_OF_MEMORY: curl 7.88 also returns it for a server's header
 * over 100 KiB. A CA file OpenSSL could not open for want of a descriptor
 * reads as CURLE_SSL_CACERT_BADFILE: probe_finish's run-wide rule covers it.) */
static void note_local_failure(struct req *r, CURLcode code) {
  if (code != CURLE_OK && nc_resource_errno(r->sock_errno))
    probe_note_errno(r->p, r->sock_errno);
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp) {
  struct engine *e = userp;
  (void)m;
  e->curl_deadline = timeout_ms < 0 ? -1 : nc_now_ms() + timeout_ms;
  return 0;
}

/* Where the usual Linux images keep their CA bundle: Debian/Ubuntu, Amazon
 * Linux/RHEL, Alpine/macOS-like, and the extracted Fedora/AL2023 bundle. */
static const char *const ca_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
};

/* One CA file for the whole run. With a file and no CA directory, libcurl
 * loads the file once and shares the store across transfers (its CA cache
 * needs CAPATH unset); otherwise every TLS connection parses the whole
 * bundle again, on the loop: milliseconds each with a system bundle. */
static void choose_ca_file(struct engine *e) {
  if (e->cfg->ca_bundle[0]) {
    nc_strlcpy(e->ca_file, e->cfg->ca_bundle, sizeof e->ca_file);
    return;
  }
  for (size_t i = 0; i < NC_ARRAY_LEN(ca_bundles); i++)
    if (access(ca_bundles[i], R_OK) == 0) {
      nc_strlcpy(e->ca_file, ca_bundles[i], sizeof e->ca_file);
      return;
    }
}

int http_init(struct engine *e) {
  static bool global_done;
  if (!global_done) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      NC_ERROR("http: curl_global_init failed");
      return -1;
    }
    global_done = true;
  }
  choose_ca_file(e);
  e->multi = curl_multi_init(); /* its wakeup socket pair needs two descriptors */
  if (!e->multi)
    return -1;
  curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
  curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
  curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
  return 0;
}

static void release_easy(struct req *r) {
  if (!r->easy)
    return;
  curl_multi_remove_handle(r->e->multi, r->easy);
  curl_easy_cleanup(r->easy);
  r->easy = NULL;
}

void http_free_all(struct engine *e) {
  for (struct req *r = e->reqs; r; r = r->next)
    if (r->kind == REQ_HTTP) {
      release_easy(r);
      r->done = true;
    }
  if (e->multi)
    curl_multi_cleanup(e->multi);
  e->multi = NULL;
}

/* ---- capped readers ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp) {
  struct req *r = userp;
  size_t n = size * nmemb, room = r->body_cap - r->resp.body_len;
  if (!r->resp.body) {
    r->resp.body = malloc(r->body_cap + 1);
    if (!r->resp.body)
      return 0;
  }
  if (n > room) {
    memcpy(r->resp.body + r->resp.body_len, data, room);
    r->resp.body_len += room;
    r->resp.body[r->resp.body_len] = '\0';
    r->resp.body_truncated = true;
    return 0; /* stop reading: the cap is reached */
  }
  memcpy(r->resp.body + r->resp.body_len, data, n);
  r->resp.body_len += n;
  r->resp.body[r->resp.body_len] = '\0';
  return n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t outlen) {
  size_t nl = strlen(name), v;
  if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return;
  v = nl + 1;
  while (v < n && (line[v] == ' ' || line[v] == '\t'))
    v++;
  while (n > v && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
    n--;
  if (n - v >= outlen)
    n = v + outlen - 1;
  memcpy(out, line + v, n - v);
  out[n - v] = '\0';
  /* Header values end up in reports: keep them printable. */
  for (char *c = out; *c; c++)
    if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
      *c = '?';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp) {
  struct req *r = userp;
  size_t n = size * nmemb;
  r->header_bytes += n;
  if (r->header_bytes > NC_HTTP_HEADER_CAP) {
    r->resp.headers_truncated = true;
    return 0;
  }
  header_value(data, n, "date", r->resp.date, sizeof r->resp.date);
  header_value(data, n, "x-amz-bucket-region", r->resp.bucket_region, sizeof r->resp.bucket_region);
  header_value(data, n, "x-amz-request-id", r->resp.request_id, sizeof r->resp.request_id);
  header_value(data, n, "x-amz-version-id", r->resp.version_id, sizeof r->resp.version_id);
  header_value(data, n, "x-amz-server-side-encryption", r->resp.sse, sizeof r->resp.sse);
  header_value(data, n, "x-amz-delete-marker", r->resp.delete_marker, sizeof r->resp.delete_marker);
  header_value(data, n, "server", r->resp.server, sizeof r->resp.server);
  header_value(data, n, "location", r->resp.location, sizeof r->resp.location);
  header_value(data, n, "content-type", r->resp.content_type, sizeof r->resp.content_type);
  return n;
}

/* ---- completion ---- */

static double phase_ms(curl_off_t a, curl_off_t b) { return a > 0 ? (double)(a - b) / 1000.0 : -1; }

static void fill_info(struct req *r) {
  curl_off_t nl = 0, conn = 0, app = 0, st = 0, tot = 0;
  char *ip = NULL;
  long verify = 0;
  CURL *h = r->easy;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->resp.status);
  curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &verify);
  r->resp.ssl_verify_result = verify;
  if (curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
    nc_strlcpy(r->resp.primary_ip, ip, sizeof r->resp.primary_ip);
  curl_easy_getinfo(h, CURLINFO_NAMELOOKUP_TIME_T, &nl);
  curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &conn);
  curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &app);
  curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &st);
  curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &tot);
  r->resp.t.dns = -1;
  r->resp.t.connect = phase_ms(conn, nl);
  if (r->resp.t.connect < 0 && r->tcp_up_ms > 0) /* TCP is up, TLS is not */
    r->resp.t.connect = (double)(r->tcp_up_ms - r->started_ms);
  r->resp.t.tls = conn > 0 ? phase_ms(app, conn) : -1;
  r->resp.t.first_byte = phase_ms(st, app > 0 ? app : conn);
  r->resp.t.total = (double)(nc_now_ms() - r->started_ms);
  (void)tot;
}

/* A URL for the log: scheme, host and path, without user information or
 * query (neither is a place for secrets in netcheck's own URLs; a user's
 * egress target might be); without the path either when it is private. */
static void log_url(const char *url, bool private_path, char *out, size_t len) {
  const char *h = strstr(url, "://"), *at, *end;
  size_t n;
  h = h ? h + 3 : url;
  end = h + strcspn(h, "/?#");
  at = memchr(h, '@', (size_t)(end - h));
  n = (size_t)(h - url);
  h = at ? at + 1 : h;
  nc_snprintf(out, len, "%.*s%.*s%s", (int)n, url,
              (int)(private_path ? (size_t)(end - h) : strcspn(h, "?#")), h,
              private_path && *end == '/' ? "/..." : "");
}

static double log_ms(double v) { return v < 0 ? 0 : v; }

/* -v: the connect, TLS, request and answer phases of one request. */
static void log_answer(const struct req *r, const char *how) {
  char url[300];
  if (nc_log_level < NC_LOG_INFO)
    return;
  log_url(r->url ? r->url : "", r->private_path, url, sizeof url);
  if (r->resp.status > 0)
    NC_INFO("%s: %s %s: connect %.0f ms, TLS %.0f ms, answer HTTP %ld after %.0f ms (%s%s%s)",
            r->p ? r->p->id : "-", how, url, log_ms(r->resp.t.connect), log_ms(r->resp.t.tls),
            r->resp.status, log_ms(r->resp.t.first_byte), r->resp.primary_ip,
            r->resp.error[0] ? "; " : "", r->resp.error);
  else
    NC_INFO("%s: %s %s: no answer (%s%s%s) after %.0f ms", r->p ? r->p->id : "-", how, url,
            r->resp.error[0] ? r->resp.error : curl_easy_strerror((CURLcode)r->resp.curl_code),
            r->resp.t.connect >= 0 ? "; connected" : "", r->resp.t.tls >= 0 ? ", TLS done" : "",
            log_ms(r->resp.t.total));
}

static void complete(struct req *r, CURLcode code) {
  note_local_failure(r, code);
  r->resp.curl_code = (int)code;
  /* Our own caps stop curl with a write error: the answer itself arrived. */
  if (code == CURLE_WRITE_ERROR && r->resp.body_truncated) {
    r->resp.curl_code = CURLE_OK;
    r->resp.error[0] = '\0';
  }
  fill_info(r);
  release_easy(r);
  if (!r->cancelled) {
    r->cancelled = true;
    log_answer(r, "done");
    r->cb.http(r->p, &r->resp, r->arg);
  }
  r->done = true;
}

static void check_done(struct engine *e) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(e->multi, &left))) {
    struct req *r = NULL;
    if (m->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
    if (r)
      complete(r, m->data.result);
  }
}

void http_on_event(struct engine *e, int fd, uint32_t events) {
  int running, flags = 0;
  if (events & EPOLLIN)
    flags |= CURL_CSELECT_IN;
  if (events & EPOLLOUT)
    flags |= CURL_CSELECT_OUT;
  if (events & (EPOLLERR | EPOLLHUP))
    flags |= CURL_CSELECT_ERR;
  curl_multi_socket_action(e->multi, fd, flags, &running);
  check_done(e);
}

void http_on_timer(struct engine *e) {
  int running;
  curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(e);
}

void http_req_cancel(struct req *r) {
  release_easy(r);
  r->done = true;
}

void http_req_timeout(struct req *r) {
  if (r->easy)
    fill_info(r);
  release_easy(r);
  r->resp.curl_code = CURLE_OPERATION_TIMEDOUT;
  nc_strlcpy(r->resp.error, "request deadline reached", sizeof r->resp.error);
  if (!r->cancelled) {
    r->cancelled = true;
    log_answer(r, "deadline");
    r->cb.http(r->p, &r->resp, r->arg);
  }
  r->done = true;
}

/* ---- starting requests ---- */

static int url_host_port(const char *url, char *host, size_t hlen, int *port) {
  const char *h, *end;
  size_t n;
  *port = 443;
  if (!strncmp(url, "https://", 8)) {
    h = url + 8;
  } else if (!strncmp(url, "http://", 7)) {
    h = url + 7;
    *port = 80;
  } else {
    return -1;
  }
  if (*h == '[') { /* IPv6 literal */
    end = strchr(h, ']');
    if (!end)
      return -1;
    n = (size_t)(end - h - 1);
    if (n >= hlen)
      return -1;
    memcpy(host, h + 1, n);
    host[n] = '\0';
    end++;
  } else {
    n = strcspn(h, ":/?#");
    if (n == 0 || n >= hlen)
      return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    end = h + n;
  }
  if (*end == ':') {
    long v = strtol(end + 1, NULL, 10);
    if (v < 1 || v > 65535)
      return -1;
    *port = (int)v;
  }
  return 0;
}

static struct req *http_start(struct engine *e, struct probe *p, const struct http_req *rq,
                              http_cb cb, void *arg) {
  struct req *r;
  CURL *h;
  char host[256];
  int port;
  if (url_host_port(rq->url, host, sizeof host, &port))
    return NULL;
  errno = 0; /* a failure below that sets it ran out of memory */
  r = engine_req_new(e, p, REQ_HTTP, rq->timeout_ms);
  if (!r)
    return NULL;
  r->cb.http = cb;
  r->arg = arg;
  r->sensitive = rq->sensitive;
  r->private_path = rq->private_path;
  r->body_cap = rq->body_cap ? rq->body_cap : NC_HTTP_DEFAULT_BODY_CAP;
  r->url = strdup(rq->url);
  h = r->easy = curl_easy_init();
  if (!r->url || !h) {
    errno = ENOMEM;
    goto fail;
  }
  curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)r);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket_cb);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, r);
  curl_easy_setopt(h, CURLOPT_URL, r->url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->resp.error);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L); /* S3 keys may hold "//" or "/../" */
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!rq->keep_alive) { /* fresh connections keep every probe's timings honest */
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
  }
  curl_easy_setopt(h, CURLOPT_USERAGENT, nc_user_agent);
  {
    /* The connect phase (TCP, TLS) of a policy or informational probe has
     * its own budget (--connect-timeout): a black hole there never holds
     * the workload for the whole --timeout. */
    long total = (long)(r->deadline_ms - r->started_ms);
    long conn = (long)probe_connect_left_ms(p);
    char proxy[512];
    if (conn <= 0 || conn > total)
      conn = conn <= 0 ? 1 : total;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, conn);
    /* The environment's proxy as the SDKs take it, decided once (proxy.c):
     * set even when empty, so that curl never makes a different choice.
     * Never for the credentials request (no_proxy), whatever its host. */
    if (!rq->no_proxy && proxy_for_url(r->url, proxy, sizeof proxy)) {
      curl_easy_setopt(h, CURLOPT_PROXY, proxy);
      proxy_redact(proxy, r->resp.proxy, sizeof r->resp.proxy);
    } else {
      curl_easy_setopt(h, CURLOPT_PROXY, "");
    }
  }
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->body_cap * 4);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  if (e->ca_file[0]) {
    curl_easy_setopt(h, CURLOPT_CAINFO, e->ca_file);
    curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
  }
  if (rq->pin_ip && *rq->pin_ip) {
    char entry[400];
    nc_snprintf(entry, sizeof entry, strchr(rq->pin_ip, ':') ? "%s:%d:[%s]" : "%s:%d:%s", host,
                port, rq->pin_ip);
    r->resolve_list = curl_slist_append(NULL, entry);
    if (!r->resolve_list)
      goto fail;
    curl_easy_setopt(h, CURLOPT_RESOLVE, r->resolve_list);
  }
  for (int i = 0; i < NC_HTTP_MAX_HEADERS && rq->headers[i]; i++) {
    struct curl_slist *l = curl_slist_append(r->hdrs, rq->headers[i]);
    if (!l)
      goto fail;
    r->hdrs = l;
  }
  {
    /* curl adds these on its own unless told not to; SigV4 signed what we send. */
    struct curl_slist *l = curl_slist_append(r->hdrs, "Accept:");
    if (!l)
      goto fail;
    r->hdrs = l;
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->hdrs);
  if (rq->connect_only) {
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
  } else if (!rq->method || !strcmp(rq->method, "GET")) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (!strcmp(rq->method, "HEAD")) {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    if (rq->body) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
      curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, rq->body);
    }
  }
  if (curl_multi_add_handle(e->multi, h) != CURLM_OK)
    goto fail;
  if (nc_log_level >= NC_LOG_INFO) {
    char url[300];
    log_url(r->url, r->private_path, url, sizeof url);
    NC_INFO("%s: request %s %s to %s%s", p ? p->id : "-",
            rq->connect_only ? "(TCP and TLS only)" : (rq->method ? rq->method : "GET"), url,
            rq->pin_ip && *rq->pin_ip ? rq->pin_ip : host,
            r->resp.proxy[0] ? " through the proxy" : "");
  }
  return r;
fail:
  if (r->easy) {
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
  }
  engine_req_free(e, r);
  return NULL;
}

int engine_http(struct engine *e, struct probe *p, const struct http_req *rq, http_cb cb,
                void *arg) {
  return http_start(e, p, rq, cb, arg) ? 0 : -1;
}

/* ---- engine_fetch: resolve, then request ---- */

struct fetch_ctx {
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
}

static void fetch_on_resolved(struct probe *p, int status, const struct nc_addrs *addrs,
                              void *arg) {
  struct req *rr = arg;
  struct fetch_ctx *c = rr->owned;
  struct req *hr;
  const char *pin = NULL;
  c->dns_ms = (double)(nc_now_ms() - c->dns_started);
  c->addrs = *addrs;
  if (status != ARES_SUCCESS) {
    c->cb(p, status, &c->addrs, NULL, c->arg);
    return;
  }
  /* Prefer IPv4: it is what the job's SDKs reach first in a VPC. */
  for (int i = 0; i < addrs->n && !pin; i++)
    if (addrs->a[i].family == AF_INET)
      pin = addrs->a[i].text;
  if (!pin)
    pin = addrs->a[0].text;
  c->rq.pin_ip = pin;
  c->rq.timeout_ms = 0; /* what is left of the probe's budget */
  hr = http_start(rr->e, p, &c->rq, fetch_on_http, c);
  if (!hr) {
    struct http_resp fail;
    probe_note_errno(p, errno);
    memset(&fail, 0, sizeof fail);
    fail.curl_code = CURLE_FAILED_INIT;
    nc_strlcpy(fail.error, "could not start the request", sizeof fail.error);
    fail.t.dns = c->dns_ms;
    c->cb(p, 0, &c->addrs, &fail, c->arg);
    return;
  }
  /* The HTTP request owns the context from now on. */
  rr->owned = NULL;
  hr->owned = c;
  hr->owned_free = fetch_ctx_free;
}

int engine_fetch(struct engine *e, struct probe *p, const struct http_req *rq, fetch_cb cb,
                 void *arg) {
  struct fetch_ctx *c = calloc(1, sizeof *c);
  char host[256];
  int port, k = 0;
  struct req *rr;
  if (!c)
    return -1;
  if (url_host_port(rq->url, host, sizeof host, &port))
    goto fail;
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
    struct req *hr = http_start(e, p, &c->rq, fetch_on_http, c);
    if (!hr)
      goto fail;
    nc_strlcpy(c->addrs.source, "proxy", sizeof c->addrs.source);
    c->dns_ms = -1;
    hr->owned = c;
    hr->owned_free = fetch_ctx_free;
    return 0;
  }
  {
    int dns_ms = rq->timeout_ms;
    int64_t conn = probe_connect_left_ms(p);
    if (dns_ms <= 0 || dns_ms > conn)
      dns_ms = conn > 0 ? (int)conn : 1;
    rr = resolve_start(e, p, host, dns_ms, fetch_on_resolved, NULL, c, fetch_ctx_free);
  }
  if (!rr)
    goto fail;
  return 0;
fail:
  fetch_ctx_free(c);
  return -1;
}

/* ---- transport diagnosis ---- */

bool http_error_is_untrusted(const struct http_resp *r) {
  return r->curl_code == CURLE_PEER_FAILED_VERIFICATION || r->curl_code == CURLE_SSL_CACERT_BADFILE;
}

bool http_error_is_tls(const struct http_resp *r) {
  switch (r->curl_code) {
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
  case CURLE_SSL_SHUTDOWN_FAILED:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
    return true;
  default:
    return false;
  }
}

bool http_answer_timed_out(const struct http_resp *r) {
  return r->status > 0 && r->curl_code == CURLE_OPERATION_TIMEDOUT;
}

bool http_answer_unusable(const struct http_resp *r) {
  return r->status > 0 && (r->headers_truncated ||
                           (r->curl_code != CURLE_OK && r->curl_code != CURLE_OPERATION_TIMEDOUT &&
                            r->curl_code != CURLE_FILESIZE_EXCEEDED));
}

bool http_error_is_no_route(const struct http_resp *r) {
  return (r->curl_code == CURLE_OPERATION_TIMEDOUT && r->t.connect < 0) ||
         r->curl_code == CURLE_COULDNT_CONNECT;
}

int http_transport_code(const struct http_resp *r, int no_route_code, char *outcome, size_t len) {
  const char *o;
  int code;
  if (r->curl_code == CURLE_OK)
    return -1;
  if (http_error_is_untrusted(r)) {
    o = "tls_untrusted";
    code = NC_TLS_UNTRUSTED;
  } else if (http_error_is_tls(r)) {
    o = "tls_handshake_failed";
    code = NC_TLS_HANDSHAKE;
  } else if (r->curl_code == CURLE_COULDNT_CONNECT) {
    o = strstr(r->error, "refused") ? "connect_refused" : "connect_failed";
    code = no_route_code;
  } else if (r->curl_code == CURLE_OPERATION_TIMEDOUT) {
    if (r->t.connect < 0) {
      o = "connect_timeout";
      code = no_route_code;
    } else if (r->t.tls < 0 && r->t.first_byte < 0) {
      o = "tls_timeout";
      code = NC_TIMEOUT_BUDGET;
    } else {
      o = "response_timeout";
      code = NC_TIMEOUT_BUDGET;
    }
  } else if (r->headers_truncated) {
    o = "headers_too_large";
    code = no_route_code;
  } else if (r->curl_code == CURLE_COULDNT_RESOLVE_HOST) {
    o = "dns_failed";
    code = NC_DNS_NXDOMAIN;
  } else {
    o = "bad_response";
    code = no_route_code;
  }
  if (outcome)
    nc_strlcpy(outcome, o, len);
  return code;
}
