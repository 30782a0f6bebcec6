/*
 * engine.h - the event loop: one thread, one epoll set driving the I/O
 * backends (resolve.c: c-ares; http.c: libcurl multi), the probes' own
 * non-blocking sockets and a signalfd, inside one global deadline.
 *
 * The engine knows no backend by name. Each fills in one struct
 * engine_backend, as c-ares' event backends do; main hands the list to
 * engine_new (fetch_backends, fetch.h). A backend keeps its own requests
 * and deadlines; the engine asks it for its next deadline, hands it the
 * events of the descriptors it watches and its timer turn, and tells it when
 * a probe finished so it drops that probe's requests. Backends use only the
 * descriptor calls below: nothing of the engine's bookkeeping.
 */
#ifndef NETCHECK_ENGINE_H
#define NETCHECK_ENGINE_H

#include <stdint.h>

struct engine;
struct nc_config;
struct plan;
struct probe;

/* One I/O backend. state is the backend's own, created by init. */
struct engine_backend {
  const char *name;
  /* Creates the backend's state for one run (0, or -1 with errno set). */
  int (*init)(struct engine *e, const struct nc_config *cfg, void **state);
  /* Readiness of a descriptor the backend watches (engine_watch_io). */
  void (*on_event)(void *state, void *owner, int fd, uint32_t events);
  /* Once per loop turn, after the events: requests past their deadline,
   * the library's own timers; frees the requests that completed. */
  void (*on_timer)(void *state, int64_t now);
  /* The earliest absolute monotonic ms the backend needs a turn, -1 = none. */
  int64_t (*next_deadline)(void *state, int64_t now);
  /* p finished: its requests are dropped, their callbacks never run. */
  void (*cancel)(void *state, const struct probe *p);
  /* Frees the state and every request left. */
  void (*fini)(void *state);
};

#define ENGINE_MAX_BACKENDS 4

/* backends: NULL-terminated, at most ENGINE_MAX_BACKENDS. Returns NULL after
 * logging why, with errno set (EMFILE: out of descriptors; 0 when unknown). */
struct engine *engine_new(const struct nc_config *cfg,
                          const struct engine_backend *const *backends);
void engine_free(struct engine *e);

/* Runs every probe of the plan until all finished, the deadlines passed or
 * a signal of sig_stop_set (signals.h) arrived (read with signalfd; main
 * blocks them).
 * Returns 0, or the signal number that interrupted the run. */
int engine_run(struct engine *e, struct plan *pl);

/* The signal that interrupted the run (0 if none). */
int engine_interrupted(const struct engine *e);

/* Watches fd for events (EPOLLIN/EPOLLOUT) on behalf of p; calling it again
 * changes the events. 0 or -1. */
int engine_watch(struct engine *e, struct probe *p, int fd, uint32_t events);
/* The same for a backend: its on_event gets owner. */
int engine_watch_io(struct engine *e, const struct engine_backend *b, int fd, uint32_t events,
                    void *owner);
void engine_unwatch(struct engine *e, int fd);

/* The state b's init created, NULL when b is not one of the engine's backends. */
void *engine_backend_state(const struct engine *e, const struct engine_backend *b);

#endif
