/*
 * http.c - HTTP(S) through one libcurl multi handle on the engine's loop,
 * an engine backend (http_backend): the engine hands it curl's socket
 * events and a timer turn; it keeps its own requests and their deadlines.
 *
 * curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when
 * to call it back (CURLMOPT_TIMERFUNCTION); we never block in curl. Every
 * byte read from the network is capped: headers in total, bodies per
 * request. Names are pinned with CURLOPT_RESOLVE so curl never resolves.
 * The multi handle and everything shared across transfers (CA file) are set
 * up in one place, http_setup_multi.
 */
#include "netcheck/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netcheck/cabundle.h"
#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/engine.h"
#include "netcheck/probe.h"
#include "netcheck/proxy.h"
#include "netcheck/version.h"

/* curl's read buffer per request (its minimum is 1 KiB, default 16 KiB) and send buffer (its
 * minimum, 16 KiB; default 64 KiB). */
#define NC_HTTP_READ_BUFFER 4096L
#define NC_HTTP_SEND_BUFFER 16384L

/* The backend's state for one run. */
struct http_multi {
  struct engine *e;
  const struct nc_config *cfg;
  CURLM *multi;
  int64_t curl_deadline; /* -1 = none */
  char ca_file[1024];    /* the CA bundle every TLS connection uses, "" = curl's default */
  X509_STORE *ca_store;  /* ca_file, decoded on demand (cabundle.h); NULL = curl loads ca_file */
  struct http_xfer *xfers;
};

/* One request in flight. Freed on the timer turn after it completed (or with
 * the backend); `cancelled` suppresses the callback once it ran or its probe
 * finished. */
struct http_xfer {
  struct http_multi *m;
  struct probe *p;
  bool cancelled, delivered, done;
  int64_t started_ms;
  int64_t deadline_ms;
  http_cb cb;
  void *arg;
  void (*arg_free)(void *); /* freed with the request when cb never ran */
  CURL *easy;
  struct curl_slist *hdrs, *resolve_list;
  char *url;
  size_t body_cap, header_bytes;
  int64_t tcp_up_ms; /* when curl first waited to read on a connected socket; 0 = not yet */
  int sock_errno;    /* errno of the last socket() for this request, 0 when it worked */
  struct http_resp resp;
  bool sensitive;
  bool private_path; /* -v logs scheme and host only */
  struct http_xfer *next;
};

/* curl 7.88 reports CONNECT_TIME only once TLS is up too: remember when the TCP connection was
 * established (curl then waits to read on a connected socket), so that a TLS handshake that
 * stalls is not mistaken for a TCP connect that timed out. */
static void note_tcp_up(CURL *easy, curl_socket_t s) {
  struct http_xfer *r = NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (!easy || curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r) != CURLE_OK || !r ||
      r->tcp_up_ms)
    return;
  if (getpeername(s, (struct sockaddr *)&ss, &len) == 0)
    r->tcp_up_ms = nc_now_ms();
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
  struct http_multi *m = userp;
  (void)socketp;
  if (what == CURL_POLL_REMOVE) {
    engine_unwatch(m->e, s);
    return 0;
  }
  if (what & CURL_POLL_IN)
    note_tcp_up(easy, s);
  if (engine_watch_io(
          m->e, &http_backend, s,
          ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u), NULL))
    return -1;
  return 0;
}

/* curl's socket(), ours so that a failure is known for what it is: out of
 * descriptors is netcheck's problem, not the route's (curl would only say
 * "couldn't connect"). */
static curl_socket_t open_socket_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *a) {
  struct http_xfer *r = clientp;
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
static void note_local_failure(struct http_xfer *r, CURLcode code) {
  if (code != CURLE_OK && nc_resource_errno(r->sock_errno))
    probe_note_errno(r->p, r->sock_errno);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp) {
  struct http_multi *m = userp;
  (void)multi;
  m->curl_deadline = timeout_ms < 0 ? -1 : nc_now_ms() + timeout_ms;
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

/* One CA file for the whole run, read once into a store that every TLS
 * connection shares (through CURLOPT_SSL_CTX_FUNCTION) and that decodes a
 * certificate only when a chain needs its subject (cabundle.h): OpenSSL 3.0
 * spends about a million instructions per certificate it decodes, and
 * X509_STORE_load_file decodes a system bundle's 140 and more, on the loop.
 * A file the index refuses (unreadable, empty, not only certificates) goes
 * to libcurl as CURLOPT_CAINFO, as before, with libcurl's own errors; with a
 * file and no CA directory libcurl then loads it once (its CA cache needs
 * CAPATH unset). */
static void choose_ca_file(struct http_multi *m) {
  if (m->cfg->ca_bundle[0]) {
    nc_strlcpy(m->ca_file, m->cfg->ca_bundle, sizeof m->ca_file);
  } else {
    for (size_t i = 0; i < NC_ARRAY_LEN(ca_bundles); i++)
      if (access(ca_bundles[i], R_OK) == 0) {
        nc_strlcpy(m->ca_file, ca_bundles[i], sizeof m->ca_file);
        break;
      }
  }
  if (m->ca_file[0])
    m->ca_store = cabundle_store(m->ca_file);
}

/* Every TLS connection's context gets the run's store (libcurl 7.88 fills
 * the context's store after this callback: it then sets its verify flags on
 * ours, loads nothing, as CAINFO and CAPATH are unset, and caches it for the
 * next connections). */
static CURLcode ssl_ctx_cb(CURL *curl, void *ssl_ctx, void *userp) {
  struct http_multi *m = userp;
  (void)curl;
  SSL_CTX_set1_cert_store(ssl_ctx, m->ca_store);
  return CURLE_OK;
}

/* Everything curl shares across the run's transfers: the global init, the
 * CA file, the multi handle and its callbacks. A share handle for TLS sessions would go
 * here: measured, it resumed no session in a healthy run (no probe connects twice to one
 * host one after the other; the S3 bucket check and the output write run at the same time). */
static int http_setup_multi(struct http_multi *m) {
  static bool global_done;
  if (!global_done) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      NC_ERROR("http: curl_global_init failed");
      return -1;
    }
    global_done = true;
  }
  choose_ca_file(m);
  m->multi = curl_multi_init(); /* its wakeup socket pair needs two descriptors */
  if (!m->multi)
    return -1;
  curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
  curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
  curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
  return 0;
}

static void release_easy(struct http_xfer *r) {
  if (!r->easy)
    return;
  curl_multi_remove_handle(r->m->multi, r->easy);
  curl_easy_cleanup(r->easy);
  r->easy = NULL;
}

static void xfer_free(struct http_multi *m, struct http_xfer *r) {
  struct http_xfer **pp;
  for (pp = &m->xfers; *pp; pp = &(*pp)->next)
    if (*pp == r) {
      *pp = r->next;
      break;
    }
  if (r->resp.body) {
    if (r->sensitive)
      explicit_bzero(r->resp.body, r->body_cap);
    free(r->resp.body);
  }
  if (!r->delivered && r->arg_free)
    r->arg_free(r->arg);
  if (r->sensitive) /* request headers may carry a token too */
    for (struct curl_slist *h = r->hdrs; h; h = h->next)
      explicit_bzero(h->data, strlen(h->data));
  curl_slist_free_all(r->hdrs);
  curl_slist_free_all(r->resolve_list);
  free(r->url);
  free(r);
}

static int http_init(struct engine *e, const struct nc_config *cfg, void **state) {
  struct http_multi *m = calloc(1, sizeof *m);
  *state = m;
  if (!m) {
    errno = ENOMEM;
    return -1;
  }
  m->e = e;
  m->cfg = cfg;
  m->curl_deadline = -1;
  return http_setup_multi(m);
}

static void http_fini(void *state) {
  struct http_multi *m = state;
  for (struct http_xfer *r = m->xfers; r; r = r->next) {
    release_easy(r);
    r->done = true;
  }
  if (m->multi)
    curl_multi_cleanup(m->multi);
  while (m->xfers)
    xfer_free(m, m->xfers);
  X509_STORE_free(m->ca_store);
  free(m);
}

/* ---- capped readers ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp) {
  struct http_xfer *r = userp;
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
  struct http_xfer *r = userp;
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

static void fill_info(struct http_xfer *r) {
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
static void log_answer(const struct http_xfer *r, const char *how) {
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

/* Runs the callback once, unless the probe finished first. */
static void deliver(struct http_xfer *r, const char *how) {
  if (!r->cancelled) {
    r->cancelled = true;
    r->delivered = true;
    log_answer(r, how);
    r->cb(r->p, &r->resp, r->arg);
  }
  r->done = true;
}

static void complete(struct http_xfer *r, CURLcode code) {
  note_local_failure(r, code);
  r->resp.curl_code = (int)code;
  /* Our own caps stop curl with a write error: the answer itself arrived. */
  if (code == CURLE_WRITE_ERROR && r->resp.body_truncated) {
    r->resp.curl_code = CURLE_OK;
    r->resp.error[0] = '\0';
  }
  fill_info(r);
  release_easy(r);
  deliver(r, "done");
}

static void check_done(struct http_multi *m) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(m->multi, &left))) {
    struct http_xfer *r = NULL;
    if (msg->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
    if (r)
      complete(r, msg->data.result);
  }
}

static void http_on_event(void *state, void *owner, int fd, uint32_t events) {
  struct http_multi *m = state;
  int running, flags = 0;
  (void)owner;
  if (events & EPOLLIN)
    flags |= CURL_CSELECT_IN;
  if (events & EPOLLOUT)
    flags |= CURL_CSELECT_OUT;
  if (events & (EPOLLERR | EPOLLHUP))
    flags |= CURL_CSELECT_ERR;
  curl_multi_socket_action(m->multi, fd, flags, &running);
  check_done(m);
}

/* A request outlived its own deadline: report a timeout now. */
static void xfer_timeout(struct http_xfer *r) {
  if (r->easy)
    fill_info(r);
  release_easy(r);
  r->resp.curl_code = CURLE_OPERATION_TIMEDOUT;
  nc_strlcpy(r->resp.error, "request deadline reached", sizeof r->resp.error);
  deliver(r, "deadline");
}

static void http_on_timer(void *state, int64_t now) {
  struct http_multi *m = state;
  struct http_xfer *r, *next;
  /* Requests that completed on an earlier turn are garbage. */
  for (r = m->xfers; r; r = next) {
    next = r->next;
    if (r->done)
      xfer_free(m, r);
  }
  /* Request deadlines: each request's own budget inside its probe's. The
   * callbacks may finish probes and start requests: rescan afterwards. */
  for (r = m->xfers; r; r = next) {
    next = r->next;
    if (r->done || r->cancelled || r->deadline_ms > now)
      continue;
    xfer_timeout(r);
    next = m->xfers;
  }
  if (m->curl_deadline >= 0 && m->curl_deadline <= now) {
    int running;
    m->curl_deadline = -1;
    curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(m);
  }
}

static int64_t http_next_deadline(void *state, int64_t now) {
  struct http_multi *m = state;
  int64_t t = m->curl_deadline;
  (void)now;
  for (const struct http_xfer *r = m->xfers; r; r = r->next)
    if (!r->done && !r->cancelled && (t < 0 || r->deadline_ms < t))
      t = r->deadline_ms;
  return t;
}

static void http_cancel(void *state, const struct probe *p) {
  struct http_multi *m = state;
  for (struct http_xfer *r = m->xfers; r; r = r->next)
    if (r->p == p && !r->done) {
      r->cancelled = true;
      release_easy(r);
      r->done = true;
    }
}

const struct engine_backend http_backend = {
    .name = "libcurl",
    .init = http_init,
    .on_event = http_on_event,
    .on_timer = http_on_timer,
    .next_deadline = http_next_deadline,
    .cancel = http_cancel,
    .fini = http_fini,
};

/* ---- starting requests ---- */

int http_url_host_port(const char *url, char *host, size_t hlen, int *port) {
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

int http_request_owned(struct engine *e, struct probe *p, const struct http_req *rq, http_cb cb,
                       void *arg, void (*arg_free)(void *)) {
  struct http_multi *m = engine_backend_state(e, &http_backend);
  struct http_xfer *r;
  CURL *h;
  char host[256];
  int port;
  if (!m || http_url_host_port(rq->url, host, sizeof host, &port))
    return -1;
  errno = 0; /* a failure below that sets it ran out of memory */
  r = calloc(1, sizeof *r);
  if (!r)
    return -1;
  r->m = m;
  r->p = p;
  r->started_ms = nc_now_ms();
  r->deadline_ms = r->started_ms + probe_request_ms(p, rq->timeout_ms);
  r->next = m->xfers;
  m->xfers = r;
  r->cb = cb;
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
  /* Fresh connections keep every probe's timings honest: only a probe's later request may use
   * a connection kept by its first one. */
  curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, rq->reuse ? 0L : 1L);
  curl_easy_setopt(h, CURLOPT_FORBID_REUSE, rq->keep_alive ? 0L : 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, nc_user_agent);
  bool tls_proxy = false;
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
      tls_proxy = strncasecmp(proxy, "https://", 8) == 0;
    } else {
      curl_easy_setopt(h, CURLOPT_PROXY, "");
    }
  }
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->body_cap * 4);
  /* Small buffers: the answers are capped (a few KiB), the requests are headers and at most a
   * small body. curl's defaults are 16 KiB to read and 64 KiB to send, each per request in
   * flight; the send buffer is allocated for every HTTPS request (curl copies the request
   * into it). */
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, NC_HTTP_READ_BUFFER);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, NC_HTTP_SEND_BUFFER);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  /* Not through a TLS proxy: libcurl 7.88 also gives the proxy's handshake this callback, then
   * loads the proxy's CA settings (its built-in system bundle and directory) into the store
   * it holds, ours, which every connection shares: the bundle would then trust more than the
   * job's SDK does. There the bundle goes to libcurl as CURLOPT_CAINFO, loaded per connection. */
  if (m->ca_store && !tls_proxy) {
    curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
    curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
    curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, m);
  } else if (m->ca_file[0]) {
    curl_easy_setopt(h, CURLOPT_CAINFO, m->ca_file);
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
  if (curl_multi_add_handle(m->multi, h) != CURLM_OK)
    goto fail;
  if (nc_log_level >= NC_LOG_INFO) {
    char url[300];
    log_url(r->url, r->private_path, url, sizeof url);
    NC_INFO("%s: request %s %s to %s%s", p ? p->id : "-",
            rq->connect_only ? "(TCP and TLS only)" : (rq->method ? rq->method : "GET"), url,
            rq->pin_ip && *rq->pin_ip ? rq->pin_ip : host,
            r->resp.proxy[0] ? " through the proxy" : "");
  }
  r->arg_free = arg_free; /* from here on, the request owns arg */
  return 0;
fail:
  if (r->easy) {
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
  }
  xfer_free(m, r);
  return -1;
}

int http_request(struct engine *e, struct probe *p, const struct http_req *rq, http_cb cb,
                 void *arg) {
  return http_request_owned(e, p, rq, cb, arg, NULL);
}

/* ---- results ---- */

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

enum http_result http_classify(const struct http_resp *r) {
  if (r->curl_code == CURLE_OK)
    return HTTP_OK;
  if (http_error_is_untrusted(r))
    return HTTP_UNTRUSTED;
  if (http_error_is_tls(r))
    return HTTP_TLS_FAILED;
  if (r->curl_code == CURLE_COULDNT_CONNECT)
    return strstr(r->error, "refused") ? HTTP_REFUSED : HTTP_CONNECT_FAILED;
  if (r->curl_code == CURLE_OPERATION_TIMEDOUT) {
    if (r->t.connect < 0)
      return HTTP_CONNECT_TIMEOUT;
    return r->t.tls < 0 && r->t.first_byte < 0 ? HTTP_TLS_TIMEOUT : HTTP_RESPONSE_TIMEOUT;
  }
  if (r->headers_truncated)
    return HTTP_HEADERS_TOO_LARGE;
  if (r->curl_code == CURLE_COULDNT_RESOLVE_HOST)
    return HTTP_DNS_FAILED;
  return HTTP_BAD_RESPONSE;
}

const char *http_result_name(enum http_result res) {
  switch (res) {
  case HTTP_OK:
    return "ok";
  case HTTP_UNTRUSTED:
    return "tls_untrusted";
  case HTTP_TLS_FAILED:
    return "tls_handshake_failed";
  case HTTP_REFUSED:
    return "connect_refused";
  case HTTP_CONNECT_FAILED:
    return "connect_failed";
  case HTTP_CONNECT_TIMEOUT:
    return "connect_timeout";
  case HTTP_TLS_TIMEOUT:
    return "tls_timeout";
  case HTTP_RESPONSE_TIMEOUT:
    return "response_timeout";
  case HTTP_HEADERS_TOO_LARGE:
    return "headers_too_large";
  case HTTP_DNS_FAILED:
    return "dns_failed";
  case HTTP_BAD_RESPONSE:
  default:
    return "bad_response";
  }
}
