/*
 * resolve.h - DNS through c-ares channels, an engine backend
 * (resolve_backend, engine.h).
 *
 * resolve_name(): what an application would get (/etc/hosts, then the
 * configured nameservers), for probes that need addresses.
 * resolve_query(): one raw query against one nameserver, for the dns
 * probe's diagnostics (rcode, answers, latency).
 * Callbacks run on the loop; none runs after its probe finished.
 * resolv.conf and /etc/hosts are read once per run and kept here, and so is
 * every raw query with its answer: a name is asked once per run
 * (docs/design.md, "DNS").
 */
#ifndef NETCHECK_RESOLVE_H
#define NETCHECK_RESOLVE_H

#include <stddef.h>

#include "netcheck/config.h" /* NC_MAX_SERVERS */

struct engine;
struct engine_backend;
struct probe;

#define NC_MAX_ADDRS 16

struct nc_addr {
  int family; /* AF_INET or AF_INET6 */
  unsigned char bytes[16];
  char text[46];
};

struct nc_addrs {
  int n;
  struct nc_addr a[NC_MAX_ADDRS];
  char source[8]; /* "hosts", "dns", or "cached": DNS answers another probe's lookup got */
};

/* status is an ARES_* status code (ARES_SUCCESS = 0). */
typedef void (*resolve_cb)(struct probe *p, int status, const struct nc_addrs *addrs, void *arg);
typedef void (*dns_query_cb)(struct probe *p, int status, const unsigned char *abuf, int alen,
                             double latency_ms, void *arg);

/* The engine backend: the channels, the requests in flight, the files read. */
extern const struct engine_backend resolve_backend;

/* Resolves name to IPv4 and IPv6 addresses within timeout_ms, reusing the
 * run's raw answers where the workload's resolver would get the same ones
 * (docs/design.md, "DNS"). 0 or -1. */
int resolve_name(struct engine *e, struct probe *p, const char *name, int timeout_ms, resolve_cb cb,
                 void *arg);
/* The same, and arg belongs to the request from before the lookup starts
 * (cb may run inside this call: an /etc/hosts answer, or DNS answers the
 * run already has): arg_free(arg) runs
 * when the request is freed if cb never ran; once cb runs, arg is the
 * caller's again. On -1 arg stays the caller's. */
int resolve_name_owned(struct engine *e, struct probe *p, const char *name, int timeout_ms,
                       resolve_cb cb, void *arg, void (*arg_free)(void *));

/* One query (type: ns_t_a / ns_t_aaaa) for name against server ("IP" or
 * "IP:PORT"; NULL = the configured servers), tries bounded by timeout_ms.
 * Asked once per run: a request for a query already asked (by resolve_name
 * or an earlier request) shares it, and gets an answer already in inside
 * this call; latency_ms is the server's, from the query's sending to its
 * answer. */
int resolve_query(struct engine *e, struct probe *p, const char *server, const char *name, int type,
                  int timeout_ms, dns_query_cb cb, void *arg);

/* /etc/hosts as read once per run: 0 with buf/len set, or -1 with errno
 * when it is missing or unreadable (warned once). */
int resolve_hosts_file(struct engine *e, const char **buf, size_t *len);

/* Adds to out (up to NC_MAX_ADDRS, without duplicates) every address that the
 * hosts-file text buf gives name (case-insensitive, trailing dot ignored).
 * buf need not be NUL-terminated. Returns out->n; sets out->source to "hosts"
 * when it found one. */
int resolve_hosts_lookup(const char *buf, size_t len, const char *name, struct nc_addrs *out);

/* The nameservers in use (from --dns-server or resolv.conf), as "IP:PORT". */
int resolve_nameservers(struct engine *e, char out[][64], int max);

/* resolv.conf as the env probe reports it and the engine uses it. */
struct resolv_conf {
  char nameservers[NC_MAX_SERVERS][64];
  int n_nameservers;
  char search[6][256];
  int n_search;
  char options[8][64];
  int n_options;
};

/* Parses resolv.conf text (capped, hostile-safe). Always succeeds. */
void resolve_conf_parse(const char *buf, size_t len, struct resolv_conf *out);
/* Reads and parses /etc/resolv.conf (or $NETCHECK_RESOLV_CONF); -1 if unreadable. */
int resolve_conf_load(struct resolv_conf *out);

/* Address class (docs/design.md, "Address classes"): "inside_vpc", "link_local", "outside",
 * "loopback". local_nets are the container's own interface subnets. */
const char *resolve_addr_class(const struct nc_addr *a);

/* What became of a lookup, as the transport sees it (the diagnosis is transport.h's). */
enum resolve_result {
  RESOLVE_OK,
  RESOLVE_NO_NAME, /* NXDOMAIN, or no address of the asked type */
  RESOLVE_TIMEOUT, /* no answer, or nothing answers at the nameserver's address */
  RESOLVE_REFUSED,
  RESOLVE_FAILED /* SERVFAIL and every other failure */
};
/* Reduces an ARES_* status (the callbacks' status) to the transport's result. */
enum resolve_result resolve_classify(int ares_status);

#endif
