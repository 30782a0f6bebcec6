/*
 * peer_listen.c - the peer family's listener on --peer-port and its inbound
 * connections: accept (capped, strangers evicted first), answer each
 * session with agent/peerproto.c's machine, credit a finished session to
 * the probe of that host, and the ownership of the listener by one running
 * peer probe at a time (see peer.c).
 */
#include <ares.h>
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/diag.h"
#include "netcheck/engine.h"
#include "netcheck/peerproto.h"
#include "netcheck/probe.h"
#include "netcheck/resolve.h"
#include "peer_int.h"

/* ---- the family: listener, inbound connections, ownership ---- */

static struct peer_state *peer_find_live(struct peer_fam *pf, const char *host) {
  for (struct peer_state *s = pf->live; s; s = s->next)
    if (strcasecmp(s->p->target, host) == 0)
      return s;
  return NULL;
}

void peer_watch(struct probe *p, int fd, uint32_t *watching, uint32_t events) {
  if (*watching == events)
    return;
  if (engine_watch(p->eng, p, fd, events) == 0)
    *watching = events;
}

static void peer_build_chunks(struct peer_fam *pf) {
  if (pf->chunks_built)
    return;
  for (int i = 0; i < PEER_CHUNK_FRAMES; i++) {
    uint8_t last = i == PEER_CHUNK_FRAMES - 1 ? PEERPROTO_FLAG_LAST : 0;
    /* With one chunk (the 32 KiB bulk) only the last one is sent: chunk_mid is never
     * written, so its pages (zero since the calloc) need not become resident. */
    if (PEER_CHUNKS > 1)
      peerproto_encode_bulk(pf->chunk_mid + i * PEER_FRAME, PEER_FRAME, PEERPROTO_MAX_PAYLOAD, 0);
    peerproto_encode_bulk(pf->chunk_end + i * PEER_FRAME, PEER_FRAME, PEERPROTO_MAX_PAYLOAD, last);
  }
  pf->chunks_built = true;
}

/* IP literals need no resolver (hosts may be listed by address). */
bool peer_literal(const char *host, struct nc_addr *a) {
  memset(a, 0, sizeof(*a));
  if (inet_pton(AF_INET, host, a->bytes) == 1)
    a->family = AF_INET;
  else if (inet_pton(AF_INET6, host, a->bytes) == 1)
    a->family = AF_INET6;
  else
    return false;
  nc_strlcpy(a->text, host, sizeof(a->text));
  return true;
}

socklen_t peer_sockaddr(const struct nc_addr *a, int port, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof(*ss));
  if (a->family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    memcpy(&s6->sin6_addr, a->bytes, 16);
    return sizeof(*s6);
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  s4->sin_family = AF_INET;
  s4->sin_port = htons((uint16_t)port);
  memcpy(&s4->sin_addr, a->bytes, 4);
  return sizeof(*s4);
}

/* Opens the listener: on the host's own address when its name is an IP
 * literal (so hosts can share a machine in tests), else on every address,
 * dual-stack when the kernel has IPv6. -1 with errno set. */
static int peer_listen_open(struct peer_fam *pf, const struct nc_config *cfg) {
  struct nc_addr any[2] = {{.family = AF_INET6}, {.family = AF_INET}}; /* zero bytes: any */
  const struct nc_addr *tries = pf->has_self ? &pf->self : any;
  int n = pf->has_self ? 1 : 2, saved = 0;

  for (int i = 0; i < n; i++) {
    struct sockaddr_storage ss;
    socklen_t len = peer_sockaddr(&tries[i], cfg->peer_port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      saved = errno;
      continue;
    }
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    /* Every peer may connect in the same moment (they retry a refused
     * port every 500 ms until this one opens); the kernel caps the
     * backlog at net.core.somaxconn. */
    int backlog = pf->max_conns > PEER_BACKLOG ? pf->max_conns : PEER_BACKLOG;
    if (bind(fd, (struct sockaddr *)&ss, len) == 0 && listen(fd, backlog) == 0)
      return fd;
    saved = errno;
    close(fd);
  }
  errno = saved;
  return -1;
}

static void peer_conn_close(struct peer_fam *pf, struct peer_conn *c) {
  for (struct peer_conn **pp = &pf->conns; *pp; pp = &(*pp)->next) {
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  }
  if (c->watching)
    engine_unwatch(pf->owner->eng, c->fd);
  close(c->fd);
  free(c);
  pf->n_conns--;
}

/* Resumes accepting after a shortage of descriptors or memory. */
static void peer_listen_resume(struct peer_fam *pf) {
  if (!pf->listen_paused || !pf->owner)
    return;
  pf->listen_paused = false;
  peer_watch(pf->owner, pf->listen_fd, &pf->listen_watching, EPOLLIN);
}

static void peer_family_close(struct peer_fam *pf) {
  while (pf->conns)
    peer_conn_close(pf, pf->conns);
  if (pf->listen_fd >= 0) {
    if (pf->listen_watching)
      engine_unwatch(pf->owner->eng, pf->listen_fd);
    close(pf->listen_fd);
  }
  pf->listen_fd = -1;
  pf->listen_watching = 0;
  pf->listen_errno = 0;
  pf->listen_paused = false;
  pf->owner = NULL;
}

/* Moves the listener and the inbound connections to another owner. */
static void peer_family_hand_over(struct probe *to) {
  struct peer_fam *pf = peer_fam(to);
  struct probe *from = pf->owner;
  pf->owner = to;
  if (pf->listen_watching) {
    engine_unwatch(from->eng, pf->listen_fd);
    pf->listen_watching = 0;
    peer_watch(to, pf->listen_fd, &pf->listen_watching, EPOLLIN);
  }
  for (struct peer_conn *c = pf->conns; c; c = c->next) {
    uint32_t ev = c->watching;
    if (!ev)
      continue;
    engine_unwatch(from->eng, c->fd);
    c->watching = 0;
    peer_watch(to, c->fd, &c->watching, ev);
  }
}

/* The listener's bound: 4 x hosts, at most 1024, and within the descriptor
 * limit: one outbound socket per peer and a reserve for the rest come
 * first, so a crowd of inbound connections (strangers included) cannot
 * starve this host's own probes of descriptors. */
static int peer_max_conns(int hosts) {
  int n = hosts * PEER_CONNS_PER_HOST;
  struct rlimit rl;
  if (n > PEER_CONNS_CAP)
    n = PEER_CONNS_CAP;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    long room = (long)rl.rlim_cur - hosts - PEER_FD_RESERVE;
    if (room < n)
      n = room > PEER_CONNS_MIN ? (int)room : PEER_CONNS_MIN;
    if (room < hosts)
      NC_WARN("peer: the descriptor limit (%ld) is low for %d hosts: raise it (ulimit -n)",
              (long)rl.rlim_cur, hosts);
  }
  return n;
}

void peer_family_join(struct peer_state *st) {
  struct peer_fam *pf = peer_fam(st->p);
  struct probe *p = st->p;
  if (!pf->live) {
    pf->job_hash = peerproto_job_hash(p->cfg->job.name[0] ? p->cfg->job.name : p->cfg->job.arn);
    pf->max_conns = peer_max_conns(p->cfg->job.n_hosts);
    peer_build_chunks(pf);
    pf->has_self = peer_literal(p->cfg->job.current_host, &pf->self);
    pf->owner = p;
    pf->listen_fd = peer_listen_open(pf, p->cfg);
    if (pf->listen_fd < 0) {
      pf->listen_errno = errno;
      probe_note_errno(p, errno);
      NC_WARN("peer: cannot listen on port %d: %s", p->cfg->peer_port, strerror(errno));
    } else {
      peer_watch(p, pf->listen_fd, &pf->listen_watching, EPOLLIN);
    }
  }
  st->next = pf->live;
  pf->live = st;
  st->attached = true;
}

void peer_close_out(struct peer_state *st) {
  if (st->fd < 0)
    return;
  if (st->watching)
    engine_unwatch(st->p->eng, st->fd);
  close(st->fd);
  st->fd = -1;
  st->watching = 0;
}

/* Takes the probe out of the family; the last one out closes the port. */
void peer_family_leave(struct peer_state *st) {
  struct peer_fam *pf = peer_fam(st->p);
  if (!st->attached)
    return;
  peer_close_out(st);
  for (struct peer_state **pp = &pf->live; *pp; pp = &(*pp)->next) {
    if (*pp == st) {
      *pp = st->next;
      break;
    }
  }
  st->attached = false;
  if (pf->owner != st->p)
    return;
  if (pf->live)
    peer_family_hand_over(pf->live->p);
  else
    peer_family_close(pf);
}

/* Credits an inbound session of host name (at least this far); detail says
 * what a session that did not finish saw. */
static void peer_credit(struct peer_fam *pf, const char *name, enum peer_in level, const char *addr,
                        const char *detail) {
  struct peer_state *s = peer_find_live(pf, name);
  if (!s || s->in >= level)
    return;
  s->in = level;
  nc_strlcpy(s->in_addr, addr, sizeof(s->in_addr));
  if (detail)
    nc_strlcpy(s->in_detail, detail, sizeof(s->in_detail));
  /* Its netcheck is up now: no need to wait out the retry delay. */
  if (s->phase == PEER_PH_IDLE)
    s->retry_at = nc_now_ms();
}

/* At the bound, the oldest connection that has not shown a HELLO makes
 * room: a flood of strangers then cannot keep the peers out, as a peer
 * sends its HELLO at once. */
static void peer_evict_stranger(struct peer_fam *pf) {
  struct peer_conn *oldest = NULL;
  for (struct peer_conn *c = pf->conns; c; c = c->next)
    if (c->srv.state == PEERPROTO_SRV_HELLO)
      oldest = c; /* the list is newest first */
  if (oldest)
    peer_conn_close(pf, oldest);
}

void peer_accept(struct peer_fam *pf) {
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    int fd = accept4(pf->listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* The listener would stay readable: stop watching it for a while
         * instead of spinning. */
        NC_WARN("peer: accept on port %d: %s", pf->owner->cfg->peer_port, strerror(errno));
        if (pf->listen_watching)
          engine_unwatch(pf->owner->eng, pf->listen_fd);
        pf->listen_watching = 0;
        pf->listen_paused = true;
        pf->listen_resume_ms = nc_now_ms() + PEER_ACCEPT_PAUSE_MS;
      }
      return; /* EAGAIN, or a connection that went away before accept */
    }
    if (pf->n_conns >= pf->max_conns)
      peer_evict_stranger(pf);
    struct peer_conn *c = pf->n_conns < pf->max_conns ? calloc(1, sizeof(*c)) : NULL;
    if (!c) {
      close(fd); /* over the bound: the newcomer gets nothing */
      continue;
    }
    c->fd = fd;
    c->accepted_ms = nc_now_ms();
    c->deadline_ms = c->accepted_ms + PEER_HELLO_MS;
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
    if (ss.ss_family == AF_INET)
      inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->addr, sizeof(c->addr));
    else if (IN6_IS_ADDR_V4MAPPED(a6)) /* the dual-stack listener: say 198.18.0.12 */
      inet_ntop(AF_INET, a6->s6_addr + 12, c->addr, sizeof(c->addr));
    else
      inet_ntop(AF_INET6, a6, c->addr, sizeof(c->addr));
    peerproto_srv_init(&c->srv, pf->job_hash, pf->owner->cfg->job.current_host);
    c->next = pf->conns;
    pf->conns = c;
    pf->n_conns++;
    peer_watch(pf->owner, fd, &c->watching, EPOLLIN);
  }
}

/* Closes an inbound connection whose session did not finish, first
 * crediting what it showed, whoever gives up first: a session that ends
 * during the bulk (after the PINGs, before the last BULK frame) with no
 * BULK byte received is the peer's large packets vanishing on their way
 * here (STALLED); with some received, an unfinished transfer (PARTIAL).
 * how: "nothing more for 8.0 s", "algo-2 closed the connection"... */
void peer_conn_end(struct peer_fam *pf, struct peer_conn *c, const char *how) {
  if (peerproto_srv_in_bulk(&c->srv)) {
    char why[192];
    bool none = c->srv.bulk_bytes == 0;
    nc_snprintf(why, sizeof(why),
                "%s's " PEERPROTO_BULK_TEXT
                " transfer %s after the handshake and %u PING(s): %llu of %u bytes "
                "arrived, then %s",
                c->srv.peer, none ? "stalled" : "did not finish", c->srv.pings,
                (unsigned long long)c->srv.bulk_bytes, PEERPROTO_BULK_BYTES, how);
    NC_DEBUG("peer: session from %s (%s): %s", c->srv.peer, c->addr, why);
    peer_credit(pf, c->srv.peer, none ? PEER_IN_STALLED : PEER_IN_PARTIAL, c->addr, why);
  }
  peer_conn_close(pf, c);
}

/* Writes what is queued for an inbound connection. 0, or -1: close it. */
static int peer_conn_flush(struct peer_conn *c) {
  while (c->outoff < c->outlen) {
    ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    c->outoff += (size_t)n;
  }
  c->outoff = c->outlen = 0;
  return 0;
}

void peer_conn_event(struct peer_fam *pf, struct peer_conn *c, uint32_t events) {
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    uint8_t buf[16384];
    for (int i = 0; i < PEER_READS_PER_EVENT; i++) {
      ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n <= 0) { /* EOF or error: the client is gone */
        char how[96];
        if (n < 0)
          nc_snprintf(how, sizeof(how), "the connection failed (%s)", strerror(errno));
        else
          nc_snprintf(how, sizeof(how), "%s closed the connection", c->srv.peer);
        peer_conn_end(pf, c, how);
        return;
      }
      c->last_rx_ms = nc_now_ms();
      int rc = peerproto_srv_feed(&c->srv, buf, (size_t)n, c->out, sizeof(c->out), &c->outlen);
      if (rc < 0) {
        NC_DEBUG("peer: closing connection from %s: %s", c->addr, peerproto_strerror(rc));
        peer_conn_close(pf, c);
        return;
      }
      if (rc & PEERPROTO_EV_HELLO)
        peer_credit(pf, c->srv.peer, PEER_IN_HELLO, c->addr, NULL);
      if (rc & PEERPROTO_EV_BULK_DONE)
        c->done = true;
      if (c->srv.state != PEERPROTO_SRV_HELLO) {
        int64_t idle = nc_now_ms() + PEER_IDLE_MS, cap = c->accepted_ms + PEER_SESSION_MS;
        c->deadline_ms = idle < cap ? idle : cap;
      }
    }
  }
  if (peer_conn_flush(c) != 0) {
    char how[96];
    nc_snprintf(how, sizeof(how), "the connection failed (%s)", strerror(errno));
    peer_conn_end(pf, c, how);
    return;
  }
  if (c->done && c->outlen == 0) {
    /* The BULK_ACK is with the kernel: the client reaches us both ways. */
    if (c->srv.bulk_bytes >= PEERPROTO_BULK_BYTES)
      peer_credit(pf, c->srv.peer, PEER_IN_OK, c->addr, NULL);
    peer_conn_close(pf, c);
    return;
  }
  peer_watch(pf->owner, c->fd, &c->watching, EPOLLIN | (c->outlen ? EPOLLOUT : 0));
}

void peer_conns_expire(struct peer_fam *pf, int64_t now) {
  struct peer_conn *c = pf->conns;
  while (c) {
    struct peer_conn *next = c->next;
    if (now >= c->deadline_ms) {
      char how[64];
      NC_DEBUG("peer: closing connection from %s: %s", c->addr,
               c->srv.state == PEERPROTO_SRV_HELLO ? "no HELLO in time" : "idle");
      nc_snprintf(how, sizeof(how), "nothing more for %.1f s",
                  (double)(now - (c->last_rx_ms ? c->last_rx_ms : c->accepted_ms)) / 1000.0);
      peer_conn_end(pf, c, how);
    }
    c = next;
  }
  if (pf->listen_paused && now >= pf->listen_resume_ms)
    peer_listen_resume(pf);
}
