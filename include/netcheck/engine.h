/*
 * engine.h - the event loop: one thread, one epoll set driving c-ares
 * (socket-state callbacks), libcurl multi (socket and timer callbacks) and
 * the probes' own non-blocking sockets, inside one global deadline.
 * main creates it, runs a plan through it, and frees it; probes use the
 * request helpers below (and resolve.h, http.h).
 */
#ifndef NETCHECK_ENGINE_H
#define NETCHECK_ENGINE_H

#include <stdint.h>

#include "netcheck/config.h"
#include "netcheck/probe.h"

struct engine;
struct aws_creds;

/* Returns NULL after logging why, with errno set (EMFILE: out of
 * descriptors; 0 when unknown). */
struct engine *engine_new(const struct nc_config *cfg);
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
void engine_unwatch(struct engine *e, int fd);

/* Credentials found by the creds probe (NULL = anonymous). */
const struct aws_creds *engine_creds(const struct engine *e);
/* Called by the creds probe; the engine copies them. */
void engine_set_creds(struct engine *e, const struct aws_creds *c);

/* Called by probe_finish: cancels the probe's in-flight requests. */
void engine_probe_finished(struct engine *e, const struct probe *p);

#endif
