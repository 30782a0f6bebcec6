/*
 * engine_int.h - the engine's private state, shared by engine.c (loop and
 * probe lifecycle), resolve.c (c-ares) and http.c (libcurl multi).
 * Nothing outside agent/engine*.c, resolve.c and http.c includes it.
 */
#ifndef NETCHECK_ENGINE_INT_H
#define NETCHECK_ENGINE_INT_H

#include <ares.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "netcheck/aws.h"
#include "netcheck/engine.h"
#include "netcheck/http.h"
#include "netcheck/resolve.h"

enum watch_kind { WATCH_NONE, WATCH_PROBE, WATCH_ARES, WATCH_CURL, WATCH_SIGNAL };

struct watch {
  enum watch_kind kind;
  uint32_t events;
  void *owner; /* struct probe * or struct dns_chan * */
};

struct dns_chan {
  ares_channel ch;
  char server[64]; /* "" = the configured servers */
  bool raw;        /* per-server diagnostics channel */
  /* A private channel for one name whose query failed on a shared channel: c-ares 1.18
   * (handle_error) fails every query in flight to a server when one TCP answer breaks, so a
   * query that ends in ARES_ECONNREFUSED is asked once more, alone. Destroyed when idle. */
  char name[256];
  int inflight;
  bool transient, idle;
  int sock_errno; /* errno of the channel's last socket(), 0 when it worked */
  struct engine *e;
  struct dns_chan *next;
};

enum req_kind { REQ_RESOLVE, REQ_QUERY, REQ_HTTP };

/* One in-flight request of a probe. Freed by the engine when it completes
 * (or when the engine is freed); `cancelled` suppresses the callback once
 * its probe has finished. */
struct req {
  enum req_kind kind;
  struct engine *e;
  struct probe *p;
  bool cancelled;
  bool done;
  int64_t started_ms;
  int64_t deadline_ms;
  void *arg;
  union {
    resolve_cb resolve;
    dns_query_cb query;
    http_cb http;
  } cb;
  /* state the request owns (e.g. engine_fetch's pending HTTP request) */
  void *owned;
  void (*owned_free)(void *);
  /* http */
  CURL *easy;
  struct curl_slist *hdrs, *resolve_list;
  char *url, *body_out;
  size_t body_cap, header_bytes;
  int64_t tcp_up_ms; /* when curl first waited to read on a connected socket; 0 = not yet */
  int sock_errno;    /* errno of the last socket() for this request, 0 when it worked */
  struct http_resp resp;
  bool sensitive;
  bool private_path;     /* -v logs scheme and host only */
  struct nc_addrs addrs; /* resolve: source of the answer */
  /* resolve and query: what was asked, to ask it once more on a private channel */
  char q_name[256];
  char q_server[64];
  int q_type;
  struct dns_chan *q_private; /* the private channel of the retry, NULL before */
  struct dns_chan *q_chan;    /* the shared channel the request was asked on */
  struct req *next;
};

struct engine {
  const struct nc_config *cfg;
  int epfd;
  int sigfd;
  struct watch *watches;
  int n_watches; /* size of watches[], indexed by fd */
  CURLM *multi;
  int64_t curl_deadline; /* -1 = none */
  struct dns_chan *chans;
  struct req *reqs;
  struct plan *plan;
  int interrupted;
  char ca_file[1024]; /* the CA bundle every TLS connection uses, "" = curl's default */
  /* Files every dns probe consults, read once per run (resolve.c). */
  struct resolv_conf resolv;
  int resolv_state; /* 0 not read, 1 read, -1 unreadable */
  char *hosts_buf;
  size_t hosts_len;
  int hosts_state; /* 0 not read, 1 read, -errno when missing or unreadable */
  bool have_creds;
  struct aws_creds creds;
};

/* engine.c */
int engine_watch_kind(struct engine *e, int fd, uint32_t events, enum watch_kind kind, void *owner);
struct req *engine_req_new(struct engine *e, struct probe *p, enum req_kind kind, int timeout_ms);
void engine_req_free(struct engine *e, struct req *r);

/* resolve.c */
/* Starts engine_resolve's lookup. owned (freed with owned_free) belongs to
 * the request from before the lookup starts: c-ares may answer from
 * /etc/hosts inside this call. arg NULL passes the request itself. */
struct req *resolve_start(struct engine *e, struct probe *p, const char *name, int timeout_ms,
                          resolve_cb cb, void *arg, void *owned, void (*owned_free)(void *));
void resolve_on_event(struct engine *e, struct dns_chan *c, int fd, uint32_t events);
int64_t resolve_next_deadline(struct engine *e, int64_t now);
void resolve_process_timeouts(struct engine *e);
void resolve_req_timeout(struct req *r);
void resolve_free_all(struct engine *e);

/* http.c */
int http_init(struct engine *e);
void http_on_event(struct engine *e, int fd, uint32_t events);
void http_on_timer(struct engine *e);
void http_req_cancel(struct req *r);
void http_req_timeout(struct req *r);
void http_free_all(struct engine *e);

#endif
