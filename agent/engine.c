/*
 * engine.c - the event loop and the probe lifecycle.
 *
 * One epoll set carries every descriptor: c-ares sockets (resolve.c),
 * libcurl sockets (http.c), probes' own sockets and a signalfd for TERM and
 * INT. Deadlines are computed, not polled: each turn sleeps until the
 * earliest of the probes' deadlines and wake times, curl's timer, c-ares'
 * retransmits and the requests' own deadlines.
 */
#include "engine_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "netcheck/common.h"

#define MAX_EVENTS 64

void engine_signal_mask(void *sigset) {
  sigset_t *s = sigset;
  sigemptyset(s);
  sigaddset(s, SIGTERM);
  sigaddset(s, SIGINT);
}

struct engine *engine_new(const struct nc_config *cfg) {
  struct engine *e = calloc(1, sizeof *e);
  sigset_t set;
  if (!e) {
    NC_ERROR("engine: out of memory");
    return NULL;
  }
  e->cfg = cfg;
  e->sigfd = -1;
  e->curl_deadline = -1;
  e->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (e->epfd < 0) {
    NC_ERROR("engine: epoll_create1: %s", strerror(errno));
    free(e);
    return NULL;
  }
  engine_signal_mask(&set);
  e->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (e->sigfd < 0 || engine_watch_kind(e, e->sigfd, EPOLLIN, WATCH_SIGNAL, NULL)) {
    NC_ERROR("engine: signalfd: %s", strerror(errno));
    engine_free(e);
    return NULL;
  }
  if (http_init(e)) {
    engine_free(e);
    return NULL;
  }
  return e;
}

void engine_free(struct engine *e) {
  if (!e)
    return;
  /* Requests first: their curl handles and c-ares queries refer to the rest. */
  http_free_all(e);
  resolve_free_all(e);
  while (e->reqs)
    engine_req_free(e, e->reqs);
  if (e->sigfd >= 0)
    close(e->sigfd);
  if (e->epfd >= 0)
    close(e->epfd);
  free(e->watches);
  creds_clear(&e->creds);
  free(e);
}

/* ---- descriptors ---- */

int engine_watch_kind(struct engine *e, int fd, uint32_t events, enum watch_kind kind,
                      void *owner) {
  struct epoll_event ev;
  int op;
  if (fd < 0)
    return -1;
  if (fd >= e->n_watches) {
    int n = e->n_watches ? e->n_watches : 64;
    struct watch *w;
    while (n <= fd)
      n *= 2;
    w = realloc(e->watches, (size_t)n * sizeof *w);
    if (!w)
      return -1;
    memset(w + e->n_watches, 0, (size_t)(n - e->n_watches) * sizeof *w);
    e->watches = w;
    e->n_watches = n;
  }
  op = e->watches[fd].kind == WATCH_NONE ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(e->epfd, op, fd, &ev) < 0) {
    if (op == EPOLL_CTL_MOD && errno == ENOENT)
      op = EPOLL_CTL_ADD;
    else if (op == EPOLL_CTL_ADD && errno == EEXIST)
      op = EPOLL_CTL_MOD;
    else
      return -1;
    if (epoll_ctl(e->epfd, op, fd, &ev) < 0)
      return -1;
  }
  e->watches[fd].kind = kind;
  e->watches[fd].events = events;
  e->watches[fd].owner = owner;
  return 0;
}

int engine_watch(struct engine *e, struct probe *p, int fd, uint32_t events) {
  return engine_watch_kind(e, fd, events, WATCH_PROBE, p);
}

void engine_unwatch(struct engine *e, int fd) {
  if (fd < 0 || fd >= e->n_watches || e->watches[fd].kind == WATCH_NONE)
    return;
  epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
  e->watches[fd].kind = WATCH_NONE;
  e->watches[fd].owner = NULL;
}

/* ---- requests ---- */

struct req *engine_req_new(struct engine *e, struct probe *p, enum req_kind kind, int timeout_ms) {
  struct req *r = calloc(1, sizeof *r);
  int64_t left;
  if (!r)
    return NULL;
  r->kind = kind;
  r->e = e;
  r->p = p;
  r->started_ms = nc_now_ms();
  left = probe_remaining_ms(p);
  if (timeout_ms <= 0 || timeout_ms > left)
    timeout_ms = (int)left;
  r->deadline_ms = r->started_ms + timeout_ms;
  r->next = e->reqs;
  e->reqs = r;
  return r;
}

void engine_req_free(struct engine *e, struct req *r) {
  struct req **pp;
  for (pp = &e->reqs; *pp; pp = &(*pp)->next)
    if (*pp == r) {
      *pp = r->next;
      break;
    }
  if (r->resp.body) {
    if (r->sensitive)
      explicit_bzero(r->resp.body, r->body_cap);
    free(r->resp.body);
  }
  if (r->owned && r->owned_free)
    r->owned_free(r->owned);
  if (r->sensitive) /* request headers may carry a token too */
    for (struct curl_slist *h = r->hdrs; h; h = h->next)
      explicit_bzero(h->data, strlen(h->data));
  curl_slist_free_all(r->hdrs);
  curl_slist_free_all(r->resolve_list);
  free(r->url);
  free(r);
}

void engine_probe_finished(struct engine *e, const struct probe *p) {
  for (struct req *r = e->reqs; r; r = r->next)
    if (r->p == p && !r->done) {
      r->cancelled = true;
      if (r->kind == REQ_HTTP)
        http_req_cancel(r);
    }
  /* Descriptors a finished probe forgot to close no longer reach it. */
  for (int fd = 0; fd < e->n_watches; fd++)
    if (e->watches[fd].kind == WATCH_PROBE && e->watches[fd].owner == p)
      engine_unwatch(e, fd);
}

/* ---- credentials ---- */

const struct aws_creds *engine_creds(const struct engine *e) {
  return e->have_creds ? &e->creds : NULL;
}

void engine_set_creds(struct engine *e, const struct aws_creds *c) {
  e->creds = *c;
  e->have_creds = true;
}

int engine_interrupted(const struct engine *e) { return e->interrupted; }

/* ---- the loop ---- */

static bool creds_pending(const struct plan *pl) {
  for (const struct probe *p = pl->head; p; p = p->next)
    if ((p->ops->flags & NC_PROBE_PROVIDES_CREDS) && p->state != NC_PROBE_DONE)
      return true;
  return false;
}

static void probe_begin(struct engine *e, struct probe *p, int64_t now, int64_t deadline) {
  p->state = NC_PROBE_RUNNING;
  p->started_ms = now;
  p->deadline_ms = now + p->timeout_ms;
  if (p->deadline_ms > deadline)
    p->deadline_ms = deadline;
  if (p->ops->start(p) && p->state != NC_PROBE_DONE)
    probe_finish(p, NC_VERDICT_FAIL, NC_TIMEOUT_BUDGET, "internal_error",
                 "the %s probe could not start (out of resources?)", p->kind);
  (void)e;
}

static void start_ready(struct engine *e, struct plan *pl, int64_t global_deadline,
                        int64_t peer_deadline) {
  int64_t now = nc_now_ms();
  for (struct probe *p = pl->head; p; p = p->next) {
    if (p->state != NC_PROBE_PLANNED && p->state != NC_PROBE_WAITING)
      continue;
    /* Asked per probe: a credentials probe earlier in the plan may just have finished. */
    if ((p->ops->flags & NC_PROBE_NEEDS_CREDS) && creds_pending(pl)) {
      p->state = NC_PROBE_WAITING;
      continue;
    }
    probe_begin(e, p, now, (p->ops->flags & NC_PROBE_PEER_PHASE) ? peer_deadline : global_deadline);
  }
}

static int64_t next_deadline(struct engine *e, struct plan *pl, int64_t now) {
  int64_t t = now + 60000;
  for (struct probe *p = pl->head; p; p = p->next) {
    if (p->state != NC_PROBE_RUNNING)
      continue;
    if (p->deadline_ms < t)
      t = p->deadline_ms;
    if (p->wake_ms && p->wake_ms < t)
      t = p->wake_ms;
  }
  for (struct req *r = e->reqs; r; r = r->next)
    if (!r->done && !r->cancelled && r->deadline_ms < t)
      t = r->deadline_ms;
  if (e->curl_deadline >= 0 && e->curl_deadline < t)
    t = e->curl_deadline;
  {
    int64_t d = resolve_next_deadline(e, now);
    if (d >= 0 && d < t)
      t = d;
  }
  return t;
}

static void run_timers(struct engine *e, struct plan *pl) {
  int64_t now = nc_now_ms();
  struct req *r, *next;
  /* Request deadlines: each request's own budget inside its probe's. */
  for (r = e->reqs; r; r = next) {
    next = r->next;
    if (r->done || r->cancelled || r->deadline_ms > now)
      continue;
    /* The timeout handlers call back into the probe, which may finish it and
     * cancel other requests: restart the scan afterwards. */
    if (r->kind == REQ_HTTP)
      http_req_timeout(r);
    else
      resolve_req_timeout(r);
    next = e->reqs; /* callbacks may have changed the list */
  }
  if (e->curl_deadline >= 0 && e->curl_deadline <= now) {
    e->curl_deadline = -1;
    http_on_timer(e);
  }
  resolve_process_timeouts(e);
  now = nc_now_ms();
  for (struct probe *p = pl->head; p; p = p->next) {
    if (p->state != NC_PROBE_RUNNING)
      continue;
    if (p->wake_ms && p->wake_ms <= now) {
      p->wake_ms = 0;
      if (p->ops->on_timer)
        p->ops->on_timer(p);
    }
    if (p->state == NC_PROBE_RUNNING && p->deadline_ms <= now) {
      if (p->ops->on_timeout)
        p->ops->on_timeout(p);
      if (p->state != NC_PROBE_DONE)
        probe_finish(p, NC_VERDICT_FAIL, NC_TIMEOUT_BUDGET, "deadline",
                     "no answer within the %d ms budget", p->timeout_ms);
    }
  }
}

static void on_signal(struct engine *e, struct plan *pl) {
  struct signalfd_siginfo si;
  while (read(e->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (!e->interrupted)
      e->interrupted = (int)si.ssi_signo;
  }
  if (!e->interrupted)
    return;
  for (struct probe *p = pl->head; p; p = p->next)
    if (p->state != NC_PROBE_DONE)
      probe_finish(p, NC_VERDICT_SKIP, NC_OK, "interrupted",
                   "interrupted by %s before the probe finished",
                   e->interrupted == SIGINT ? "SIGINT" : "SIGTERM");
}

static bool all_done(const struct plan *pl) {
  for (const struct probe *p = pl->head; p; p = p->next)
    if (p->state != NC_PROBE_DONE)
      return false;
  return true;
}

int engine_run(struct engine *e, struct plan *pl) {
  int64_t start = nc_now_ms();
  int64_t global_deadline = start + e->cfg->timeout_ms;
  int64_t peer_deadline = start + e->cfg->peer_wait_ms;
  struct epoll_event evs[MAX_EVENTS];

  e->plan = pl;
  for (struct probe *p = pl->head; p; p = p->next)
    p->eng = e;
  start_ready(e, pl, global_deadline, peer_deadline);
  while (!all_done(pl) && !e->interrupted) {
    int64_t now = nc_now_ms();
    int64_t wait = next_deadline(e, pl, now) - now;
    int n;
    if (wait < 0)
      wait = 0;
    n = epoll_wait(e->epfd, evs, MAX_EVENTS, (int)wait);
    if (n < 0 && errno != EINTR) {
      NC_ERROR("engine: epoll_wait: %s", strerror(errno));
      break;
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      struct watch *w;
      if (fd < 0 || fd >= e->n_watches)
        continue;
      w = &e->watches[fd];
      switch (w->kind) {
      case WATCH_SIGNAL:
        on_signal(e, pl);
        break;
      case WATCH_ARES:
        resolve_on_event(e, w->owner, fd, evs[i].events);
        break;
      case WATCH_CURL:
        http_on_event(e, fd, evs[i].events);
        break;
      case WATCH_PROBE: {
        struct probe *p = w->owner;
        if (p && p->state == NC_PROBE_RUNNING && p->ops->on_event)
          p->ops->on_event(p, fd, evs[i].events);
        break;
      }
      default:
        break;
      }
    }
    run_timers(e, pl);
    /* Requests whose probe finished and whose callbacks fired are garbage. */
    for (struct req *r = e->reqs, *next; r; r = next) {
      next = r->next;
      if (r->done)
        engine_req_free(e, r);
    }
    start_ready(e, pl, global_deadline, peer_deadline);
  }
  if (e->interrupted)
    on_signal(e, pl);
  for (struct probe *p = pl->head; p; p = p->next)
    if (p->state != NC_PROBE_DONE)
      probe_finish(p, NC_VERDICT_FAIL, NC_TIMEOUT_BUDGET, "deadline",
                   "the run ended before the probe finished");
  return e->interrupted;
}
