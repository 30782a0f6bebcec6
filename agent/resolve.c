/*
 * resolve.c - DNS through c-ares channels driven by the engine's epoll loop,
 * an engine backend (resolve_backend): it keeps its channels, its requests
 * and their deadlines, and the files every lookup consults (resolv.conf,
 * /etc/hosts), read once per run.
 *
 * The application channel (resolve_name) behaves like the job's own
 * resolver: /etc/hosts, then the nameservers. Diagnostics channels
 * (resolve_query) are raw: one per nameserver, responses returned as
 * they came (NOCHECKRESP) so SERVFAIL and REFUSED are seen, not retried.
 *
 * Every name is asked once per run: a raw query (server, name, type) is one
 * struct dns_q, shared by every request that asks it and kept with its answer
 * for the run. The dns probe asks each nameserver; resolve_name, with a single
 * nameserver and a name the resolver would ask as it is, joins the same A and
 * AAAA queries and builds the addresses from their answers. Addresses of
 * either family, or a timeout, are the answer; an error or no address makes
 * resolve_name ask the application channel as before, so the workload's view
 * of a fault is kept.
 */
#include "netcheck/resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/engine.h"
#include "netcheck/probe.h"

#define RESOLV_CONF_MAX (64 * 1024)
#define CHAN_TIMEOUT_MS 1000
#define CHAN_TRIES 3

/* The backend's state for one run. */
struct resolver {
  struct engine *e;
  const struct nc_config *cfg;
  struct dns_chan *chans;
  struct dns_req *reqs;
  struct dns_q *qs; /* every raw query of the run, with its answer */
  /* Files every lookup consults, read once per run. */
  struct resolv_conf resolv;
  int resolv_state; /* 0 not read, 1 read, -1 unreadable */
  char *hosts_buf;
  size_t hosts_len;
  int hosts_state; /* 0 not read, 1 read, -errno when missing or unreadable */
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
  struct resolver *rs;
  struct dns_chan *next;
};

enum dns_req_kind { REQ_RESOLVE, REQ_QUERY };

/* One raw query of the run (server, name, type), shared by the requests that ask it. */
struct dns_q {
  char name[256];
  char server[64]; /* "" = the configured servers */
  int type;
  struct resolver *rs;
  struct dns_chan *chan;    /* the channel it was asked on */
  struct dns_chan *private; /* the private channel of the retry, NULL before */
  int64_t sent_ms;
  bool done;
  int status;
  unsigned char *abuf; /* the answer as it came, NULL when none */
  int alen;
  double latency_ms;
  struct dns_q *next;
};

/* One lookup in flight. Freed on the timer turn after c-ares is done with
 * it (or with the backend); `cancelled` suppresses the callback once it ran
 * or its probe finished. */
struct dns_req {
  enum dns_req_kind kind;
  struct resolver *rs;
  struct probe *p;
  bool cancelled, delivered, done;
  int64_t started_ms;
  int64_t deadline_ms;
  union {
    resolve_cb resolve;
    dns_query_cb query;
  } cb;
  void *arg;
  void (*arg_free)(void *); /* freed with the request when cb never ran */
  struct nc_addrs addrs;    /* resolve: source of the answer */
  /* what was asked, to ask it once more on a private channel */
  char q_name[256];
  char q_server[64];
  int q_type;
  struct dns_chan *q_private; /* the private channel of the retry, NULL before */
  struct dns_chan *q_chan;    /* the shared channel the request was asked on */
  /* Raw queries the request waits for: resolve_query's one, or resolve_name's A and AAAA. */
  struct dns_q *q[2];
  int nq;
  bool cached; /* its queries were answered before it asked: answered at once (resolve_name's
                  address source "cached") */
  struct dns_req *next;
};

/* ---- resolv.conf ---- */

static void add_tokens(char (*arr)[256], int *n, int max, const char *s, size_t w) {
  while (*s) {
    size_t len;
    s += strspn(s, " \t");
    len = strcspn(s, " \t");
    if (!len)
      break;
    if (*n < max && len < w) {
      memcpy(arr[*n], s, len);
      arr[*n][len] = '\0';
      (*n)++;
    }
    s += len;
  }
}

void resolve_conf_parse(const char *buf, size_t len, struct resolv_conf *out) {
  const char *p = buf, *end = buf + len;
  memset(out, 0, sizeof *out);
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    char line[512];
    if (n >= sizeof line)
      n = sizeof line - 1;
    memcpy(line, p, n);
    line[n] = '\0';
    line[strcspn(line, "#;\r")] = '\0';
    p = nl ? nl + 1 : end;
    if (!strncmp(line, "nameserver", 10) && (line[10] == ' ' || line[10] == '\t')) {
      char *v = line + 10 + strspn(line + 10, " \t");
      v[strcspn(v, " \t")] = '\0';
      if (*v && out->n_nameservers < NC_MAX_SERVERS && strlen(v) < 64)
        nc_strlcpy(out->nameservers[out->n_nameservers++], v, 64);
    } else if ((!strncmp(line, "search", 6) && (line[6] == ' ' || line[6] == '\t')) ||
               (!strncmp(line, "domain", 6) && (line[6] == ' ' || line[6] == '\t'))) {
      out->n_search = 0; /* the last search/domain line wins, as in glibc */
      add_tokens(out->search, &out->n_search, 6, line + 6, 256);
    } else if (!strncmp(line, "options", 7) && (line[7] == ' ' || line[7] == '\t')) {
      char tmp[8][256];
      int n_tmp = 0;
      add_tokens(tmp, &n_tmp, 8, line + 7, 64);
      for (int i = 0; i < n_tmp && out->n_options < 8; i++)
        nc_strlcpy(out->options[out->n_options++], tmp[i], 64);
    }
  }
}

int resolve_conf_load(struct resolv_conf *out) {
  const char *path = getenv("NETCHECK_RESOLV_CONF");
  char *buf;
  size_t len;
  memset(out, 0, sizeof *out);
  if (nc_read_file(path && *path ? path : "/etc/resolv.conf", RESOLV_CONF_MAX, &buf, &len))
    return -1;
  resolve_conf_parse(buf, len, out);
  free(buf);
  return 0;
}

static int nameservers(struct resolver *rs, char out[][64], int max) {
  int n = 0;
  if (rs->cfg->n_dns_servers) {
    for (int i = 0; i < rs->cfg->n_dns_servers && n < max; i++)
      nc_strlcpy(out[n++], rs->cfg->dns_servers[i], 64);
    return n;
  }
  if (rs->resolv_state == 0)
    rs->resolv_state = resolve_conf_load(&rs->resolv) ? -1 : 1;
  for (int i = 0; rs->resolv_state > 0 && i < rs->resolv.n_nameservers && n < max; i++)
    nc_strlcpy(out[n++], rs->resolv.nameservers[i], 64);
  return n;
}

int resolve_nameservers(struct engine *e, char out[][64], int max) {
  struct resolver *rs = engine_backend_state(e, &resolve_backend);
  return rs ? nameservers(rs, out, max) : 0;
}

#define HOSTS_FILE_MAX (1024 * 1024) /* larger than any sane hosts file */

int resolve_hosts_file(struct engine *e, const char **buf, size_t *len) {
  struct resolver *rs = engine_backend_state(e, &resolve_backend);
  if (!rs) {
    errno = EINVAL;
    return -1;
  }
  if (rs->hosts_state == 0) {
    if (nc_read_file("/etc/hosts", HOSTS_FILE_MAX, &rs->hosts_buf, &rs->hosts_len) == 0) {
      rs->hosts_state = 1;
    } else {
      rs->hosts_state = errno ? -errno : -EIO;
      if (errno != ENOENT)
        NC_WARN("dns: /etc/hosts: %s; names are queried without it", strerror(errno));
    }
  }
  if (rs->hosts_state < 0) {
    errno = -rs->hosts_state;
    return -1;
  }
  *buf = rs->hosts_buf;
  *len = rs->hosts_len;
  return 0;
}

/* ---- /etc/hosts ---- */

#define HOSTS_TOKEN_MAX 256

static void hosts_add(struct nc_addrs *out, const char *tok) {
  unsigned char bytes[16];
  int family;
  if (inet_pton(AF_INET, tok, bytes) == 1)
    family = AF_INET;
  else if (inet_pton(AF_INET6, tok, bytes) == 1)
    family = AF_INET6;
  else
    return;
  for (int i = 0; i < out->n; i++)
    if (out->a[i].family == family && !memcmp(out->a[i].bytes, bytes, family == AF_INET ? 4 : 16))
      return;
  if (out->n >= NC_MAX_ADDRS)
    return;
  {
    struct nc_addr *a = &out->a[out->n++];
    memset(a, 0, sizeof *a);
    a->family = family;
    memcpy(a->bytes, bytes, family == AF_INET ? 4 : 16);
    if (!inet_ntop(family, bytes, a->text, sizeof a->text))
      a->text[0] = '\0';
  }
  nc_strlcpy(out->source, "hosts", sizeof out->source);
}

/* Compares a hosts-file token with name, ignoring case and a trailing dot on
 * either side. */
static bool hosts_name_eq(const char *tok, size_t tlen, const char *name) {
  size_t nlen = strlen(name);
  if (tlen && tok[tlen - 1] == '.')
    tlen--;
  if (nlen && name[nlen - 1] == '.')
    nlen--;
  return tlen == nlen && tlen > 0 && !strncasecmp(tok, name, tlen);
}

int resolve_hosts_lookup(const char *buf, size_t len, const char *name, struct nc_addrs *out) {
  size_t i = 0;
  while (i < len) {
    size_t end = i, stop;
    char addr[64] = "";
    bool first = true, match = false;
    while (end < len && buf[end] != '\n' && buf[end] != '\0')
      end++;
    stop = i;
    while (stop < end && buf[stop] != '#')
      stop++;
    /* Tokens of [i, stop): the address, then its names. */
    for (size_t t = i; t < stop;) {
      size_t s = t;
      while (s < stop && (buf[s] == ' ' || buf[s] == '\t' || buf[s] == '\r'))
        s++;
      t = s;
      while (t < stop && buf[t] != ' ' && buf[t] != '\t' && buf[t] != '\r')
        t++;
      if (t == s)
        break;
      if (first) {
        if (t - s >= sizeof addr)
          break; /* not an address */
        memcpy(addr, buf + s, t - s);
        addr[t - s] = '\0';
        first = false;
      } else if (t - s < HOSTS_TOKEN_MAX && hosts_name_eq(buf + s, t - s, name)) {
        match = true;
      }
    }
    if (match)
      hosts_add(out, addr);
    i = end + 1;
  }
  return out->n;
}

/* ---- address classes ---- */

struct local_net {
  int family;
  unsigned char addr[16], mask[16];
};

static struct local_net local_nets[32];
static int n_local_nets = -1;

static void load_local_nets(void) {
  struct ifaddrs *ifa, *i;
  n_local_nets = 0;
  if (getifaddrs(&ifa))
    return;
  for (i = ifa; i && n_local_nets < (int)NC_ARRAY_LEN(local_nets); i = i->ifa_next) {
    struct local_net *ln = &local_nets[n_local_nets];
    if (!i->ifa_addr || !i->ifa_netmask)
      continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      ln->family = AF_INET;
      memcpy(ln->addr, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
      memcpy(ln->mask, &((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      ln->family = AF_INET6;
      memcpy(ln->addr, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, 16);
      memcpy(ln->mask, &((struct sockaddr_in6 *)(void *)i->ifa_netmask)->sin6_addr, 16);
    } else {
      continue;
    }
    n_local_nets++;
  }
  freeifaddrs(ifa);
}

static bool in_local_net(const struct nc_addr *a) {
  if (n_local_nets < 0)
    load_local_nets();
  for (int i = 0; i < n_local_nets; i++) {
    const struct local_net *ln = &local_nets[i];
    int len = ln->family == AF_INET ? 4 : 16;
    bool match = true, loop = true;
    if (ln->family != a->family)
      continue;
    for (int b = 0; b < len; b++) {
      if ((a->bytes[b] & ln->mask[b]) != (ln->addr[b] & ln->mask[b]))
        match = false;
      if (ln->mask[b] != 0xff)
        loop = false;
    }
    /* A /32 (or /128) host route says nothing about a subnet. */
    if (match && !loop)
      return true;
  }
  return false;
}

const char *resolve_addr_class(const struct nc_addr *a) {
  const unsigned char *b = a->bytes;
  if (a->family == AF_INET) {
    if (b[0] == 127)
      return "loopback";
    if (b[0] == 169 && b[1] == 254)
      return "link_local";
    if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
        (b[0] == 100 && (b[1] & 0xc0) == 64))
      return "inside_vpc";
  } else {
    static const unsigned char loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (!memcmp(b, loop6, 16))
      return "loopback";
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
      return "link_local";
    if ((b[0] & 0xfe) == 0xfc)
      return "inside_vpc";
  }
  return in_local_net(a) ? "inside_vpc" : "outside";
}

enum resolve_result resolve_classify(int st) {
  switch (st) {
  case ARES_SUCCESS:
    return RESOLVE_OK;
  case ARES_ENOTFOUND:
  case ARES_ENODATA:
  case ARES_ENONAME:
    return RESOLVE_NO_NAME;
  case ARES_ETIMEOUT:
  case ARES_ECONNREFUSED: /* nothing answers at the nameserver's address */
    return RESOLVE_TIMEOUT;
  case ARES_EREFUSED:
    return RESOLVE_REFUSED;
  default:
    return RESOLVE_FAILED;
  }
}

/* ---- channels ---- */

static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable) {
  struct dns_chan *c = data;
  if (!readable && !writable) {
    engine_unwatch(c->rs->e, fd);
    return;
  }
  if (engine_watch_io(c->rs->e, &resolve_backend, fd,
                      (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0), c))
    NC_WARN("dns: cannot watch socket %d: %s", fd, strerror(errno));
}

/* c-ares's socket calls, ours so that a socket() that fails is known for
 * what it is: c-ares 1.18 skips the server and ends the query with
 * ARES_ECONNREFUSED, which reads as a dead nameserver, when netcheck only ran
 * out of descriptors. With these set, c-ares leaves the socket's setup to us:
 * non-blocking, close-on-exec, and TCP_NODELAY as c-ares does. */
static ares_socket_t chan_socket(int af, int type, int protocol, void *data) {
  struct dns_chan *c = data;
  int one = 1, fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    c->sock_errno = errno;
    nc_note_resource_failure(c->sock_errno);
    return ARES_SOCKET_BAD;
  }
  c->sock_errno = 0;
  if (type == SOCK_STREAM)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd; /* c-ares owns it */
}

static int chan_close(ares_socket_t fd, void *data) {
  (void)data;
  return close(fd);
}

static int chan_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len,
                        void *data) {
  (void)data;
  return connect(fd, sa, len);
}

static ares_ssize_t chan_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
                                  struct sockaddr *from, ares_socklen_t *from_len, void *data) {
  (void)data;
  return recvfrom(fd, buf, len, flags, from, from_len);
}

static ares_ssize_t chan_sendv(ares_socket_t fd, const struct iovec *iov, int n, void *data) {
  struct msghdr m;
  (void)data;
  memset(&m, 0, sizeof m);
  m.msg_iov = (struct iovec *)iov;
  m.msg_iovlen = (size_t)n;
  return sendmsg(fd, &m, MSG_NOSIGNAL); /* a TCP peer that closed: EPIPE, no signal */
}

static const struct ares_socket_functions chan_sock_funcs = {chan_socket, chan_close, chan_connect,
                                                             chan_recvfrom, chan_sendv};

/* The request's query ended as c-ares ends one whose socket() failed
 * (ARES_ECONNREFUSED): when its channel's last socket() ran out of
 * descriptors or memory, that is why (probe_note_errno). */
static void note_chan_failure(struct dns_req *r, int status) {
  const struct dns_chan *c = r->q_private ? r->q_private : r->q_chan;
  if (status == ARES_ECONNREFUSED && c)
    probe_note_errno(r->p, c->sock_errno);
}

static struct dns_chan *new_chan(struct resolver *rs, const char *server, bool raw) {
  struct dns_chan *c;
  struct ares_options o;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS |
             ARES_OPT_LOOKUPS;
  const char *rc = getenv("NETCHECK_RESOLV_CONF");
  char csv[NC_MAX_SERVERS * 66] = "";

  c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->rs = rs;
  c->raw = raw;
  nc_strlcpy(c->server, server ? server : "", sizeof c->server);
  memset(&o, 0, sizeof o);
  o.sock_state_cb = sock_state_cb;
  o.sock_state_cb_data = c;
  o.timeout = CHAN_TIMEOUT_MS;
  o.tries = CHAN_TRIES;
  o.flags = raw ? (ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH) : 0;
  o.lookups = (char *)(raw ? "b" : "fb");
  if (rc && *rc) {
    o.resolvconf_path = (char *)rc;
    mask |= ARES_OPT_RESOLVCONF;
  }
  if (ares_init_options(&c->ch, &o, mask) != ARES_SUCCESS) {
    free(c);
    return NULL;
  }
  ares_set_socket_functions(c->ch, &chan_sock_funcs, c);
  if (server && *server) {
    nc_strlcpy(csv, server, sizeof csv);
  } else {
    /* The servers netcheck read once (--dns-server, else resolv.conf), set
     * explicitly: a channel created later, when c-ares cannot open
     * resolv.conf (out of descriptors), would silently ask 127.0.0.1. */
    char ns[NC_MAX_SERVERS][64];
    int n = nameservers(rs, ns, NC_MAX_SERVERS);
    for (int i = 0; i < n; i++) {
      size_t l = strlen(csv);
      nc_snprintf(csv + l, sizeof csv - l, "%s%s", i ? "," : "", ns[i]);
    }
  }
  if (*csv && ares_set_servers_ports_csv(c->ch, csv) != ARES_SUCCESS) {
    /* From resolv.conf (a scoped fe80::1%eth0 is not csv): c-ares read it too. */
    if (!(server && *server) && !rs->cfg->n_dns_servers) {
      NC_DEBUG("dns: nameservers \"%s\" left to c-ares", csv);
    } else {
      NC_WARN("dns: cannot use nameserver \"%s\"", csv);
      ares_destroy(c->ch);
      free(c);
      return NULL;
    }
  }
  c->next = rs->chans;
  rs->chans = c;
  return c;
}

static struct dns_chan *get_chan(struct resolver *rs, const char *server, bool raw) {
  for (struct dns_chan *c = rs->chans; c; c = c->next)
    if (!c->transient && c->raw == raw && !strcmp(c->server, server ? server : ""))
      return c;
  return new_chan(rs, server, raw);
}

/* The private channel for name (shared by its A and AAAA queries), created on demand. */
static struct dns_chan *private_chan(struct resolver *rs, const char *server, bool raw,
                                     const char *name) {
  struct dns_chan *c;
  for (c = rs->chans; c; c = c->next)
    if (c->transient && !c->idle && c->raw == raw && !strcmp(c->server, server) &&
        !strcasecmp(c->name, name))
      return c;
  c = new_chan(rs, server, raw);
  if (c) {
    c->transient = true;
    nc_strlcpy(c->name, name, sizeof c->name);
  }
  return c;
}

static void private_done(struct dns_req *r) {
  if (r->q_private && --r->q_private->inflight == 0)
    r->q_private->idle = true; /* destroyed by resolve_on_timer, outside c-ares */
}

/* A query that failed with ECONNREFUSED on a shared channel may only have shared the fate of
 * another name's broken TCP answer: ask once more on a private channel. */
static bool retry_alone(struct dns_req *r, int status) {
  if (status != ARES_ECONNREFUSED || r->cancelled || r->q_private || !r->q_name[0] ||
      r->deadline_ms - nc_now_ms() < 100)
    return false;
  r->q_private = private_chan(r->rs, r->q_server, r->kind == REQ_QUERY, r->q_name);
  if (!r->q_private)
    return false;
  r->q_private->inflight++;
  return true;
}

static void resolve_on_event(void *state, void *owner, int fd, uint32_t events) {
  struct dns_chan *c = owner;
  (void)state;
  ares_process_fd(c->ch, (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? fd : ARES_SOCKET_BAD,
                  (events & EPOLLOUT) ? fd : ARES_SOCKET_BAD);
}

static int64_t resolve_next_deadline(void *state, int64_t now) {
  struct resolver *rs = state;
  int64_t best = -1;
  for (struct dns_chan *c = rs->chans; c; c = c->next) {
    struct timeval tv, *t = ares_timeout(c->ch, NULL, &tv);
    int64_t d;
    if (!t)
      continue;
    d = now + (int64_t)t->tv_sec * 1000 + t->tv_usec / 1000;
    if (best < 0 || d < best)
      best = d;
  }
  for (const struct dns_req *r = rs->reqs; r; r = r->next)
    if (!r->done && !r->cancelled && (best < 0 || r->deadline_ms < best))
      best = r->deadline_ms;
  return best;
}

static void req_free(struct resolver *rs, struct dns_req *r) {
  struct dns_req **pp;
  for (pp = &rs->reqs; *pp; pp = &(*pp)->next)
    if (*pp == r) {
      *pp = r->next;
      break;
    }
  if (!r->delivered && r->arg_free)
    r->arg_free(r->arg);
  free(r);
}

static void req_timeout(struct dns_req *r);

static void resolve_on_timer(void *state, int64_t now) {
  struct resolver *rs = state;
  struct dns_req *r, *next;
  /* Requests c-ares is done with, whose callbacks ran or were muted, are garbage. */
  for (r = rs->reqs; r; r = next) {
    next = r->next;
    if (r->done)
      req_free(rs, r);
  }
  /* Request deadlines: each request's own budget inside its probe's. The
   * callbacks may finish probes and start requests: rescan afterwards. */
  for (r = rs->reqs; r; r = next) {
    next = r->next;
    if (r->done || r->cancelled || r->deadline_ms > now)
      continue;
    req_timeout(r);
    next = rs->reqs;
  }
  for (struct dns_chan *c = rs->chans; c; c = c->next)
    ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  for (struct dns_chan **pp = &rs->chans; *pp;) {
    struct dns_chan *c = *pp;
    if (c->transient && c->idle) {
      *pp = c->next;
      ares_destroy(c->ch); /* no query left: no callback */
      free(c);
    } else {
      pp = &c->next;
    }
  }
}

static void resolve_cancel(void *state, const struct probe *p) {
  struct resolver *rs = state;
  /* The c-ares query stays in flight until c-ares is done with it; its callback is muted. */
  for (struct dns_req *r = rs->reqs; r; r = r->next)
    if (r->p == p && !r->done)
      r->cancelled = true;
}

static int resolve_init(struct engine *e, const struct nc_config *cfg, void **state) {
  struct resolver *rs = calloc(1, sizeof *rs);
  *state = rs;
  if (!rs) {
    errno = ENOMEM;
    return -1;
  }
  rs->e = e;
  rs->cfg = cfg;
  return 0;
}

static void resolve_fini(void *state) {
  struct resolver *rs = state;
  free(rs->hosts_buf);
  while (rs->chans) {
    struct dns_chan *c = rs->chans;
    rs->chans = c->next;
    ares_destroy(c->ch); /* fires pending callbacks with ARES_EDESTRUCTION */
    free(c);
  }
  while (rs->reqs)
    req_free(rs, rs->reqs);
  while (rs->qs) {
    struct dns_q *q = rs->qs;
    rs->qs = q->next;
    free(q->abuf);
    free(q);
  }
  free(rs);
}

const struct engine_backend resolve_backend = {
    .name = "c-ares",
    .init = resolve_init,
    .on_event = resolve_on_event,
    .on_timer = resolve_on_timer,
    .next_deadline = resolve_next_deadline,
    .cancel = resolve_cancel,
    .fini = resolve_fini,
};

static struct dns_req *req_new(struct resolver *rs, struct probe *p, enum dns_req_kind kind,
                               int timeout_ms) {
  struct dns_req *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->kind = kind;
  r->rs = rs;
  r->p = p;
  r->started_ms = nc_now_ms();
  r->deadline_ms = r->started_ms + probe_request_ms(p, timeout_ms);
  r->next = rs->reqs;
  rs->reqs = r;
  return r;
}

/* ---- shared raw queries ---- */

static void on_query(void *arg, int status, int timeouts, unsigned char *abuf, int alen);
static void req_answered(struct dns_req *r);

/* The run's query (server, name, type), created (not yet asked) when there is none. */
static struct dns_q *q_get(struct resolver *rs, const char *server, const char *name, int type) {
  struct dns_q *q;
  server = server ? server : "";
  for (q = rs->qs; q; q = q->next)
    if (q->type == type && !strcmp(q->server, server) && !strcasecmp(q->name, name))
      return q;
  if (strlen(name) >= sizeof q->name || strlen(server) >= sizeof q->server)
    return NULL;
  q = calloc(1, sizeof *q);
  if (!q)
    return NULL;
  q->rs = rs;
  q->type = type;
  nc_strlcpy(q->name, name, sizeof q->name);
  nc_strlcpy(q->server, server, sizeof q->server);
  q->next = rs->qs;
  rs->qs = q;
  return q;
}

/* Asks q on the server's raw channel unless it was asked already. -1 when no channel. The
 * answer may come inside this call (c-ares fails a query at once when it cannot send it). */
static int q_ask(struct dns_q *q) {
  if (q->chan)
    return 0;
  q->chan = get_chan(q->rs, q->server[0] ? q->server : NULL, true);
  if (!q->chan)
    return -1;
  q->sent_ms = nc_now_ms();
  ares_query(q->chan->ch, q->name, ns_c_in, q->type, on_query, q);
  return 0;
}

/* Whether a request still waiting for q has 100 ms left for a retry. */
static bool q_wanted(const struct dns_q *q) {
  int64_t now = nc_now_ms();
  for (const struct dns_req *r = q->rs->reqs; r; r = r->next)
    if (!r->cancelled && !r->done && (r->q[0] == q || r->q[1] == q) && r->deadline_ms - now >= 100)
      return true;
  return false;
}

static void on_query(void *arg, int status, int timeouts, unsigned char *abuf, int alen) {
  struct dns_q *q = arg;
  struct resolver *rs = q->rs;
  const struct dns_chan *c = q->private ? q->private : q->chan;
  int sock_errno = c ? c->sock_errno : 0;
  (void)timeouts;
  if (q->private && --q->private->inflight == 0)
    q->private->idle = true; /* destroyed by resolve_on_timer, outside c-ares */
  if (status == ARES_EDESTRUCTION) {
    q->done = true;
    q->status = ARES_ETIMEOUT; /* never answered */
    return;
  }
  /* A query that failed with ECONNREFUSED on a shared channel may only have shared the fate
   * of another name's broken TCP answer: ask once more on a private channel. */
  if (status == ARES_ECONNREFUSED && !q->private && q_wanted(q)) {
    q->private = private_chan(rs, q->server, true, q->name);
    if (q->private) {
      q->private->inflight++;
      ares_query(q->private->ch, q->name, ns_c_in, q->type, on_query, q);
      return;
    }
  }
  q->done = true;
  q->status = status;
  q->latency_ms = (double)(nc_now_ms() - q->sent_ms);
  if (abuf && alen > 0 && (q->abuf = malloc((size_t)alen)) != NULL) {
    memcpy(q->abuf, abuf, (size_t)alen);
    q->alen = alen;
  }
  /* Every request waiting for it. Callbacks may start requests (added at the head) or
   * finish probes (requests muted, freed only on the timer turn): the list stays valid. */
  for (struct dns_req *r = rs->reqs; r; r = r->next) {
    if (r->done || (r->q[0] != q && r->q[1] != q))
      continue;
    if (status == ARES_ECONNREFUSED && !r->cancelled)
      probe_note_errno(r->p, sock_errno); /* out of descriptors, not a dead nameserver */
    req_answered(r);
  }
}

/* ---- resolve_name ---- */

static void addrs_from_ai(const struct ares_addrinfo *ai, struct nc_addrs *out) {
  for (const struct ares_addrinfo_node *n = ai ? ai->nodes : NULL; n && out->n < NC_MAX_ADDRS;
       n = n->ai_next) {
    struct nc_addr *a = &out->a[out->n];
    const void *src;
    int dup = 0;
    if (n->ai_family == AF_INET) {
      src = &((const struct sockaddr_in *)(const void *)n->ai_addr)->sin_addr;
      memcpy(a->bytes, src, 4);
    } else if (n->ai_family == AF_INET6) {
      src = &((const struct sockaddr_in6 *)(const void *)n->ai_addr)->sin6_addr;
      memcpy(a->bytes, src, 16);
    } else {
      continue;
    }
    a->family = n->ai_family;
    inet_ntop(a->family, src, a->text, sizeof a->text);
    for (int i = 0; i < out->n; i++)
      if (!strcmp(out->a[i].text, a->text))
        dup = 1;
    if (!dup)
      out->n++;
  }
}

/* -v: the resolve phase of a probe (names and addresses are no secrets). */
static void log_resolved(const struct dns_req *r, int status, const struct nc_addrs *addrs) {
  char list[200] = "";
  size_t n = 0;
  if (nc_log_level < NC_LOG_INFO)
    return;
  for (int i = 0; i < addrs->n && n + 50 < sizeof list; i++)
    n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? " " : "", addrs->a[i].text);
  NC_INFO("%s: resolve %s (%s): %s in %lld ms", r->p ? r->p->id : "-", r->q_name,
          r->addrs.source[0] ? r->addrs.source : "dns",
          status == ARES_SUCCESS ? list : ares_strerror(status),
          (long long)(nc_now_ms() - r->started_ms));
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *ai) {
  struct dns_req *r = arg;
  struct nc_addrs addrs;
  (void)timeouts;
  note_chan_failure(r, status);
  private_done(r);
  if (retry_alone(r, status)) {
    struct ares_addrinfo_hints hints;
    if (ai)
      ares_freeaddrinfo(ai);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = ARES_AI_NOSORT;
    ares_getaddrinfo(r->q_private->ch, r->q_name, NULL, &hints, on_addrinfo, r);
    return;
  }
  memset(&addrs, 0, sizeof addrs);
  if (status == ARES_SUCCESS)
    addrs_from_ai(ai, &addrs);
  nc_strlcpy(addrs.source, r->addrs.source[0] ? r->addrs.source : "dns", sizeof addrs.source);
  if (ai)
    ares_freeaddrinfo(ai);
  if (status == ARES_SUCCESS && addrs.n == 0)
    status = ARES_ENODATA;
  if (!r->cancelled && status != ARES_EDESTRUCTION) {
    r->cancelled = true;
    r->delivered = true;
    log_resolved(r, status, &addrs);
    r->cb.resolve(r->p, status, &addrs, r->arg);
  }
  r->done = true;
}

/* The addresses of q's answer (CNAMEs followed), added to out without duplicates. */
static void addrs_from_answer(const struct dns_q *q, struct nc_addrs *out) {
  struct ares_addrttl v4[NC_MAX_ADDRS];
  struct ares_addr6ttl v6[NC_MAX_ADDRS];
  int n = NC_MAX_ADDRS;
  if (!q->abuf)
    return;
  if (q->type == ns_t_a ? ares_parse_a_reply(q->abuf, q->alen, NULL, v4, &n)
                        : ares_parse_aaaa_reply(q->abuf, q->alen, NULL, v6, &n))
    return;
  for (int i = 0; i < n && out->n < NC_MAX_ADDRS; i++) {
    struct nc_addr *a = &out->a[out->n];
    int dup = 0;
    a->family = q->type == ns_t_a ? AF_INET : AF_INET6;
    if (q->type == ns_t_a)
      memcpy(a->bytes, &v4[i].ipaddr, 4);
    else
      memcpy(a->bytes, &v6[i].ip6addr, 16);
    inet_ntop(a->family, a->bytes, a->text, sizeof a->text);
    for (int k = 0; k < out->n; k++)
      if (!strcmp(out->a[k].text, a->text))
        dup = 1;
    if (!dup)
      out->n++;
  }
}

/* Whether resolve_name may use the raw A and AAAA answers of server for name: what the
 * application channel would ask first, and the only thing it would ask on success. That is
 * one nameserver (with more, a failing first one makes c-ares move on), a name it asks as it
 * is (no search list: as many dots as ndots, or a final dot), and no IP literal. */
static bool shareable(struct resolver *rs, const char *name, char server[64]) {
  char ns[NC_MAX_SERVERS][64];
  unsigned char lit[16];
  int dots = 0, ndots = 1;
  size_t len = strlen(name);
  if (nameservers(rs, ns, NC_MAX_SERVERS) != 1 || !len || getenv("RES_OPTIONS") ||
      inet_pton(AF_INET, name, lit) == 1 || inet_pton(AF_INET6, name, lit) == 1)
    return false;
  if (rs->resolv_state == 0)
    rs->resolv_state = resolve_conf_load(&rs->resolv) ? -1 : 1;
  for (int i = 0; rs->resolv_state > 0 && i < rs->resolv.n_options; i++)
    if (!strncmp(rs->resolv.options[i], "ndots:", 6))
      ndots = (int)strtol(rs->resolv.options[i] + 6, NULL, 10);
  for (size_t i = 0; i < len; i++)
    dots += name[i] == '.';
  if (name[len - 1] != '.' && dots < ndots)
    return false;
  nc_strlcpy(server, ns[0], 64);
  return true;
}

/* The application channel's lookup (/etc/hosts, then the nameservers, search list and
 * failover as configured), answered in on_addrinfo. 0 or -1. */
static int app_lookup(struct dns_req *r) {
  struct dns_chan *c = get_chan(r->rs, NULL, false);
  struct ares_addrinfo_hints hints;
  if (!c)
    return -1;
  r->q_chan = c;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_flags = ARES_AI_NOSORT;
  ares_getaddrinfo(c->ch, r->q_name, NULL, &hints, on_addrinfo, r);
  return 0;
}

static void deliver_resolve(struct dns_req *r, int status, const struct nc_addrs *addrs) {
  r->cancelled = true;
  r->delivered = true;
  r->done = true;
  if (addrs != &r->addrs)
    nc_strlcpy(r->addrs.source, addrs->source, sizeof r->addrs.source);
  log_resolved(r, status, addrs);
  r->cb.resolve(r->p, status, addrs, r->arg);
}

/* r's queries are answered (or r has its /etc/hosts answer): deliver, or for
 * resolve_name without a clean answer, ask the application channel. */
static void req_answered(struct dns_req *r) {
  struct nc_addrs addrs;
  int status = ARES_SUCCESS;
  for (int k = 0; k < r->nq; k++)
    if (!r->q[k]->done)
      return; /* the other one is still on its way */
  if (r->cancelled) {
    r->done = true;
    return;
  }
  if (r->kind == REQ_QUERY) {
    const struct dns_q *q = r->q[0];
    r->cancelled = true;
    r->delivered = true;
    r->done = true;
    NC_INFO("%s: query %s %s%s%s: %s, %d bytes in %.0f ms%s", r->p ? r->p->id : "-",
            q->type == ns_t_aaaa ? "AAAA" : "A", q->name, q->server[0] ? " @" : "", q->server,
            q->status == ARES_SUCCESS ? "answered" : ares_strerror(q->status), q->alen,
            q->latency_ms, r->cached ? " (answered before, for another probe)" : "");
    r->cb.query(r->p, q->status, q->abuf, q->alen, q->latency_ms, r->arg);
    return;
  }
  if (r->nq == 0) { /* /etc/hosts */
    deliver_resolve(r, ARES_SUCCESS, &r->addrs);
    return;
  }
  memset(&addrs, 0, sizeof addrs);
  for (int k = 0; k < r->nq; k++) {
    int st = r->q[k]->status;
    if (st != ARES_SUCCESS && st != ARES_ENODATA && status == ARES_SUCCESS)
      status = st;
    addrs_from_answer(r->q[k], &addrs);
  }
  r->q[0] = r->q[1] = NULL;
  r->nq = 0;
  /* Addresses of either family are the answer, as getaddrinfo gives them when the other
   * family failed (both waited for already). A timeout alone is too: the application
   * channel would ask the one server the same question with the same limits and wait as
   * long again (a resolver that drops AAAA would double every probe's DNS time). */
  if (addrs.n > 0 || status == ARES_ETIMEOUT) {
    nc_strlcpy(addrs.source, r->cached ? "cached" : "dns", sizeof addrs.source);
    deliver_resolve(r, addrs.n > 0 ? ARES_SUCCESS : status, &addrs);
    return;
  }
  /* An error or no address: what the workload's resolver does about it (the search list,
   * its own retries of a refused or failed answer) is the application channel's to find. */
  if (app_lookup(r) == 0)
    return;
  nc_strlcpy(addrs.source, "dns", sizeof addrs.source);
  deliver_resolve(r, status == ARES_SUCCESS ? ARES_ENODATA : status, &addrs);
}

int resolve_name_owned(struct engine *e, struct probe *p, const char *name, int timeout_ms,
                       resolve_cb cb, void *arg, void (*arg_free)(void *)) {
  struct resolver *rs = engine_backend_state(e, &resolve_backend);
  struct dns_req *r;
  const char *hosts;
  size_t hosts_len;
  char server[64];
  if (!rs || !(r = req_new(rs, p, REQ_RESOLVE, timeout_ms)))
    return -1;
  r->cb.resolve = cb;
  r->arg = arg;
  r->arg_free = arg_free;
  nc_strlcpy(r->q_name, name, sizeof r->q_name);
  nc_strlcpy(r->addrs.source, "dns", sizeof r->addrs.source);
  /* /etc/hosts first, as read once for the run (and as the dns probe reads it). */
  if (!resolve_hosts_file(e, &hosts, &hosts_len) &&
      resolve_hosts_lookup(hosts, hosts_len, name, &r->addrs) > 0) {
    req_answered(r); /* at once, as c-ares answered from the file */
    return 0;
  }
  if (shareable(rs, name, server)) {
    struct dns_q *a = q_get(rs, server, name, ns_t_a), *aaaa = q_get(rs, server, name, ns_t_aaaa);
    if (a && aaaa) {
      r->q[0] = a;
      r->q[1] = aaaa;
      r->nq = 2;
      r->cached = a->done && aaaa->done;
      if (r->cached) {
        req_answered(r); /* at once: the probe waits 0 ms for DNS */
        return 0;
      }
      /* Either answer may come inside q_ask; req_answered waits for both. */
      if (q_ask(a) == 0 && (r->done || r->nq == 0 || q_ask(aaaa) == 0))
        return 0;
      if (r->done || r->nq == 0)
        return 0; /* answered, or handed to the application channel, meanwhile */
      r->q[0] = r->q[1] = NULL;
      r->nq = 0;
    }
  }
  if (app_lookup(r) == 0)
    return 0;
  r->delivered = true; /* -1: arg stays the caller's */
  req_free(rs, r);
  return -1;
}

int resolve_name(struct engine *e, struct probe *p, const char *name, int timeout_ms, resolve_cb cb,
                 void *arg) {
  return resolve_name_owned(e, p, name, timeout_ms, cb, arg, NULL);
}

/* ---- resolve_query ---- */

int resolve_query(struct engine *e, struct probe *p, const char *server, const char *name, int type,
                  int timeout_ms, dns_query_cb cb, void *arg) {
  struct resolver *rs = engine_backend_state(e, &resolve_backend);
  struct dns_q *q = rs ? q_get(rs, server, name, type) : NULL;
  struct dns_req *r;
  if (!q || !(r = req_new(rs, p, REQ_QUERY, timeout_ms)))
    return -1;
  r->cb.query = cb;
  r->arg = arg;
  nc_strlcpy(r->q_name, name, sizeof r->q_name);
  nc_strlcpy(r->q_server, server ? server : "", sizeof r->q_server);
  r->q_type = type;
  r->q[0] = q;
  r->nq = 1;
  if (q->done) {
    r->cached = true;
    req_answered(r);
    return 0;
  }
  if (q_ask(q) == 0)
    return 0;
  r->delivered = true;
  req_free(rs, r);
  return -1;
}

/* A request outlived its own deadline: report a timeout now. The c-ares
 * query stays in flight until c-ares gives up; its callback is muted. */
static void req_timeout(struct dns_req *r) {
  struct nc_addrs none;
  r->cancelled = true;
  r->delivered = true;
  memset(&none, 0, sizeof none);
  NC_INFO("%s: %s %s: no answer before the deadline", r->p ? r->p->id : "-",
          r->kind == REQ_RESOLVE ? "resolve" : "query", r->q_name);
  if (r->kind == REQ_RESOLVE)
    r->cb.resolve(r->p, ARES_ETIMEOUT, &none, r->arg);
  else
    r->cb.query(r->p, ARES_ETIMEOUT, NULL, 0, (double)(nc_now_ms() - r->started_ms), r->arg);
}
