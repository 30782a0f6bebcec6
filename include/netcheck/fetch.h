/*
 * fetch.h - resolve-then-request, the step most probes share, on top of the
 * two transports (resolve.h, http.h), which know nothing of each other.
 * Also the list of the engine backends a run needs (main hands it to
 * engine_new).
 */
#ifndef NETCHECK_FETCH_H
#define NETCHECK_FETCH_H

#include "netcheck/http.h"
#include "netcheck/resolve.h"

struct engine;
struct engine_backend;
struct probe;

/* The backends of a run, NULL-terminated: HTTP (libcurl), then DNS (c-ares). */
extern const struct engine_backend *const fetch_backends[];

/* Resolves the URL's host with resolve_name() (timed into r->t.dns), pins
 * the first IPv4 address (else the first) and runs the request; through a
 * proxy the proxy resolves (addrs->source "proxy"). On a DNS failure cb gets
 * dns_status != 0 (an ARES_* status) and r == NULL. addrs lists every
 * address the name resolved to. cb runs once unless p finishes first. 0 or -1. */
typedef void (*fetch_cb)(struct probe *p, int dns_status, const struct nc_addrs *addrs,
                         const struct http_resp *r, void *arg);
int fetch_request(struct engine *e, struct probe *p, const struct http_req *rq, fetch_cb cb,
                  void *arg);

/* The address fetch_request pins among addrs: the first IPv4 one, else the
 * first. Probes name it when curl names none (the connection failed). */
const char *fetch_pin(const struct nc_addrs *addrs);

#endif
