/*
 * engine.c - the event loop and the probe lifecycle.
 *
 * One epoll set carries every descriptor: the backends' (resolve.c: c-ares,
 * http.c: libcurl), the probes' own sockets and a signalfd for the signals
 * that stop the checks (signals.h). Deadlines are computed, not polled: each turn sleeps until the
 * earliest of the probes' deadlines and wake times and the backends' next deadlines (their
 * requests' own deadlines, curl's timer, c-ares' retransmits). The engine drives the backends
 * through struct engine_backend only (engine.h): it never names one, and they never touch its
 * probe or request bookkeeping.
 */
#include "netcheck/engine.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/probe.h"
#include "netcheck/signals.h"

#define MAX_EVENTS 64

enum watch_kind { WATCH_NONE, WATCH_PROBE, WATCH_IO, WATCH_SIGNAL };

struct watch {
  enum watch_kind kind;
  uint32_t events;
  int backend; /* WATCH_IO: index in backends[] */
  void *owner; /* WATCH_PROBE: the struct probe; WATCH_IO: the backend's */
};

struct engine {
  const struct nc_config *cfg;
  int epfd;
  int sigfd;
  struct watch *watches;
  int n_watches; /* size of watches[], indexed by fd */
  const struct engine_backend *backends[ENGINE_MAX_BACKENDS];
  void *state[ENGINE_MAX_BACKENDS];
  int n_backends;
  struct plan *plan;
  int interrupted;
};

static int watch_fd(struct engine *e, int fd, uint32_t events, enum watch_kind kind, int backend,
                    void *owner);

struct engine *engine_new(const struct nc_config *cfg,
                          const struct engine_backend *const *backends) {
  struct engine *e = calloc(1, sizeof *e);
  sigset_t set;
  const char *step;
  int err;
  if (!e) {
    NC_ERROR("engine: out of memory");
    errno = ENOMEM;
    return NULL;
  }
  e->cfg = cfg;
  e->sigfd = -1;
  errno = 0;
  step = "epoll_create1";
  e->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (e->epfd < 0)
    goto fail;
  step = "signalfd";
  sig_stop_set(&set, e->cfg->init);
  e->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (e->sigfd < 0 || watch_fd(e, e->sigfd, EPOLLIN, WATCH_SIGNAL, -1, NULL))
    goto fail;
  for (; backends && backends[e->n_backends]; e->n_backends++) {
    const struct engine_backend *b = backends[e->n_backends];
    if (e->n_backends == ENGINE_MAX_BACKENDS) {
      errno = 0;
      step = "too many backends";
      goto fail;
    }
    step = b->name;
    e->backends[e->n_backends] = b;
    if (b->init(e, cfg, &e->state[e->n_backends]))
      goto fail;
  }
  return e;
fail:
  err = errno;
  nc_note_resource_failure(err);
  NC_ERROR("engine: %s: %s", step, err ? strerror(err) : "failed");
  engine_free(e);
  errno = err;
  return NULL;
}

void engine_free(struct engine *e) {
  if (!e)
    return;
  /* Backends first, in the order given: their requests refer to the rest. */
  for (int i = 0; i < e->n_backends; i++)
    if (e->state[i])
      e->backends[i]->fini(e->state[i]);
  if (e->sigfd >= 0)
    close(e->sigfd);
  if (e->epfd >= 0)
    close(e->epfd);
  free(e->watches);
  free(e);
}

/* ---- descriptors ---- */

static int watch_fd(struct engine *e, int fd, uint32_t events, enum watch_kind kind, int backend,
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
  e->watches[fd].backend = backend;
  e->watches[fd].owner = owner;
  return 0;
}

int engine_watch(struct engine *e, struct probe *p, int fd, uint32_t events) {
  return watch_fd(e, fd, events, WATCH_PROBE, -1, p);
}

static int backend_index(const struct engine *e, const struct engine_backend *b) {
  for (int i = 0; i < e->n_backends; i++)
    if (e->backends[i] == b)
      return i;
  return -1;
}

int engine_watch_io(struct engine *e, const struct engine_backend *b, int fd, uint32_t events,
                    void *owner) {
  int i = backend_index(e, b);
  return i < 0 ? -1 : watch_fd(e, fd, events, WATCH_IO, i, owner);
}

void *engine_backend_state(const struct engine *e, const struct engine_backend *b) {
  int i = backend_index(e, b);
  return i < 0 ? NULL : e->state[i];
}

void engine_unwatch(struct engine *e, int fd) {
  if (fd < 0 || fd >= e->n_watches || e->watches[fd].kind == WATCH_NONE)
    return;
  epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
  e->watches[fd].kind = WATCH_NONE;
  e->watches[fd].owner = NULL;
}

/* ---- probes ---- */

/* plan->on_finish: called by probe_finish. */
static void probe_finished(struct engine *e, const struct probe *p) {
  for (int i = 0; i < e->n_backends; i++)
    e->backends[i]->cancel(e->state[i], p);
  /* Descriptors a finished probe forgot to close no longer reach it. */
  for (int fd = 0; fd < e->n_watches; fd++)
    if (e->watches[fd].kind == WATCH_PROBE && e->watches[fd].owner == p)
      engine_unwatch(e, fd);
}

int engine_interrupted(const struct engine *e) { return e->interrupted; }

/* ---- the loop ---- */

static bool creds_pending(const struct plan *pl) {
  for (const struct probe *p = pl->head; p; p = p->next)
    if ((p->ops->flags & NC_PROBE_PROVIDES_CREDS) && p->state != NC_PROBE_DONE)
      return true;
  return false;
}

/* A probe that needs credentials, started after a credentials probe that
 * netcheck's own resources cut short (LOCAL_RESOURCE: no descriptor, no
 * memory), runs without them, and what it sees then (an anonymous request's
 * plain Access Denied, say) says nothing about the job's access: it carries
 * that error, so that a failure of its own is LOCAL_RESOURCE too (probe.c);
 * a pass stands. */
static void inherit_creds_failure(const struct plan *pl, struct probe *p) {
  for (const struct probe *c = pl->head; c && !p->local_errno; c = c->next)
    if ((c->ops->flags & NC_PROBE_PROVIDES_CREDS) && c->state == NC_PROBE_DONE &&
        c->code == NC_LOCAL_RESOURCE)
      p->local_errno = c->local_errno ? c->local_errno : nc_resource_failure();
}

static void probe_begin(struct engine *e, struct probe *p, int64_t now, int64_t deadline) {
  p->state = NC_PROBE_RUNNING;
  p->started_ms = now;
  p->deadline_ms = now + p->timeout_ms;
  if (p->deadline_ms > deadline)
    p->deadline_ms = deadline;
  errno = 0;
  if (p->ops->start(p) && p->state != NC_PROBE_DONE) {
    /* What made it fail set errno: out of descriptors or memory is
     * LOCAL_RESOURCE (an EAGAIN left by a non-blocking call is not). */
    if (errno != EAGAIN)
      probe_note_errno(p, errno);
    probe_finish(p, NC_VERDICT_FAIL, NC_TIMEOUT_BUDGET, "internal_error",
                 "the %s probe could not start", p->kind);
  }
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
    if (p->ops->flags & NC_PROBE_NEEDS_CREDS)
      inherit_creds_failure(pl, p);
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
  for (int i = 0; i < e->n_backends; i++) {
    int64_t d = e->backends[i]->next_deadline(e->state[i], now);
    if (d >= 0 && d < t)
      t = d;
  }
  return t;
}

static void run_timers(struct engine *e, struct plan *pl) {
  int64_t now = nc_now_ms();
  /* Each backend: its requests' own deadlines, its library's timers. */
  for (int i = 0; i < e->n_backends; i++)
    e->backends[i]->on_timer(e->state[i], now);
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
  char name[32];
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
                   sig_name(e->interrupted, name, sizeof name));
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
  pl->on_finish = probe_finished;
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
      case WATCH_IO:
        e->backends[w->backend]->on_event(e->state[w->backend], w->owner, fd, evs[i].events);
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
