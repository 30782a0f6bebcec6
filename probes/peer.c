/*
 * peer.c - the peer probe family: one probe per other host of the job
 * ("peer:HOST"), plus one listener on --peer-port shared by all of them.
 *
 * Each probe resolves its host (retrying: names may appear late), connects,
 * speaks the protocol of agent/peerproto.c (HELLO, 3 PINGs, 1 MiB BULK) and
 * retries until it succeeds or --peer-wait passes. The listener answers the
 * other hosts' sessions and credits each finished one to the probe of that
 * host ("X reaches us"). A probe finishes when both directions are confirmed
 * (or the outbound result is final and nothing more can come in), else at
 * its deadline: that is the start barrier of the workload.
 *
 * The listener and the inbound connections belong to the family, not to a
 * probe: they are registered with the engine on behalf of one running peer
 * probe (the "owner"), whose timer also covers their deadlines; when the
 * owner finishes they move to another running peer probe, and when the last
 * one finishes they are closed. So the port keeps answering until this host
 * has been confirmed by every peer, or the peer phase ended.
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

/* Client side. */
#define PEER_RESOLVE_MS 5000
#define PEER_CONNECT_MS 3000 /* a SYN answered later than this is as good as dropped */
#define PEER_REPLY_MS 3000   /* HELLO_ACK, and each PONG */
/* Some of the bulk must be acknowledged within 5 s: none is a path-MTU black
 * hole (every full-size segment vanishes). Once some is, large packets pass
 * and the BULK_ACK is awaited until the peer deadline: 99 peers sending at
 * once share a host's link and CPU (peer_bulk_passes). */
#define PEER_BULK_MS 5000
#define PEER_RETRY_REFUSED_MS 500
#define PEER_RETRY_MS 1000
#define PEER_PING_ROUNDS PEERPROTO_CLIENT_PINGS
#define PEER_FOLD_MIN_MS 1000 /* an attempt cut by the deadline counts after this long */

/* Listener side. */
#define PEER_HELLO_MS 2000
/* Longer than the client's bulk bound (plus a PONG's worth), so that an
 * honest client whose bulk stalls judges it first; either way, a stalled
 * bulk is recorded as such on both ends (peer_conn_end, peer_bulk_lost). */
#define PEER_IDLE_MS (PEER_BULK_MS + PEER_REPLY_MS)
#define PEER_SESSION_MS 30000
#define PEER_CONNS_PER_HOST 4
#define PEER_CONNS_CAP 1024
#define PEER_CONNS_MIN 16
#define PEER_FD_RESERVE 64      /* descriptors left to the other families, resolver, stdio */
#define PEER_BACKLOG 128        /* at least; more with more hosts (all may connect at once) */
#define PEER_READS_PER_EVENT 16 /* one fast client must not hog the loop */
#define PEER_ACCEPT_PAUSE_MS 1000
#define PEER_CONN_OUT 512 /* HELLO_ACK plus a few PONGs; an honest client reads */

/* The bulk stream: 256 frames of 4096 bytes, written from two prebuilt
 * 16-frame chunks (the second one ends with the LAST frame). */
#define PEER_FRAME (PEERPROTO_HDR + PEERPROTO_MAX_PAYLOAD)
#define PEER_CHUNK_FRAMES 16
#define PEER_CHUNK (PEER_CHUNK_FRAMES * PEER_FRAME)
#define PEER_BULK_FRAMES (PEERPROTO_BULK_BYTES / PEERPROTO_MAX_PAYLOAD)
#define PEER_STREAM ((size_t)PEER_BULK_FRAMES * PEER_FRAME)
#define PEER_CHUNKS (PEER_BULK_FRAMES / PEER_CHUNK_FRAMES)

/* Outbound results, in the order of how far an attempt got: the report
 * keeps the furthest one (the latest among equals). */
enum peer_out {
  PEER_OUT_NONE,
  PEER_OUT_DNS,
  PEER_OUT_TIMEOUT,
  PEER_OUT_UNREACHABLE,
  PEER_OUT_REFUSED,
  PEER_OUT_NOT_NETCHECK,
  PEER_OUT_BROKEN,  /* the session broke after HELLO_ACK */
  PEER_OUT_STALLED, /* none of the bulk got through: path-MTU black hole */
  PEER_OUT_LATE,    /* the bulk got through (in part), no BULK_ACK by the deadline */
  PEER_OUT_OK
};

/* Inbound, in the order of how far the peer's sessions got. STALLED: a
 * session ended during the bulk (after the PINGs) with no BULK byte
 * received: the peer's large packets do not reach us. PARTIAL: bulk bytes
 * arrived (large packets pass), but not all of them before the session
 * ended: an overloaded host or link, not a black hole. */
enum peer_in { PEER_IN_NONE, PEER_IN_HELLO, PEER_IN_STALLED, PEER_IN_PARTIAL, PEER_IN_OK };

enum peer_phase {
  PEER_PH_IDLE, /* next attempt at retry_at */
  PEER_PH_RESOLVING,
  PEER_PH_CONNECTING,
  PEER_PH_HELLO,
  PEER_PH_PING,
  PEER_PH_BULK,
  PEER_PH_DONE /* no more attempts */
};

struct peer_state {
  struct probe *p;
  struct peer_state *next; /* the family's running probes */
  bool attached;

  enum peer_phase phase;
  enum peer_out out;
  bool out_final;
  char fail_detail[128]; /* what the recorded outcome saw */
  int64_t phase_ms, phase_deadline, retry_at;

  bool resolved;
  char resolved_from[8]; /* "literal", "hosts" or "dns" (a copy: the resolver's is gone) */
  struct nc_addrs addrs;
  int addr_next, attempts;
  char addr[46];

  int fd;
  uint32_t watching;
  uint8_t rx[PEERPROTO_HELLO_MAX];
  size_t rxlen;
  uint8_t tx[PEERPROTO_HELLO_MAX];
  size_t txlen, txoff;
  size_t bulk_off;
  int64_t
      bulk_acked; /* of the recorded stall: bulk bytes the peer's TCP acknowledged, -1 unknown */
  size_t bulk_written; /* of the recorded stall */

  int64_t t0_us, ping_us, bulk_us;
  uint64_t token;
  int pings;
  double rtt[PEER_PING_ROUNDS];
  double bulk_ms;
  char remote_name[PEERPROTO_NAME_MAX + 1];

  enum peer_in in;
  char in_addr[46];
  char in_detail[192]; /* what the furthest inbound session that failed saw */
};

struct peer_conn {
  struct peer_conn *next;
  int fd;
  uint32_t watching;
  int64_t accepted_ms, deadline_ms, last_rx_ms;
  char addr[46];
  bool done; /* BULK_ACK queued: close once flushed */
  size_t outlen, outoff;
  uint8_t out[PEER_CONN_OUT];
  struct peerproto_srv srv;
};

/* The family's shared state: one listener per process. */
static struct {
  struct peer_state *live;
  struct probe *owner;
  int listen_fd;
  int listen_errno; /* why the listener could not be opened (0 = fine) */
  uint32_t listen_watching;
  bool listen_paused;
  int64_t listen_resume_ms;
  struct peer_conn *conns;
  int n_conns, max_conns;
  uint64_t job_hash;
  bool has_self; /* this host is named by an IP literal: bind to it */
  struct nc_addr self;
  bool chunks_built;
  uint8_t chunk_mid[PEER_CHUNK], chunk_end[PEER_CHUNK];
} pf = {.listen_fd = -1};

static const struct probe_ops peer_ops;
const struct probe_family peer_family;

static int64_t peer_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t peer_min_deadline(const struct probe *p, int ms) {
  int64_t left = probe_remaining_ms(p);
  return nc_now_ms() + (left < ms ? left : ms);
}

/* ---- plan ---- */

static int peer_plan(struct plan *pl, const struct nc_config *cfg) {
  const struct nc_job *j = &cfg->job;
  if (j->n_hosts < 2)
    return 0; /* a single-host job has no peer phase */
  if (!peerproto_name_valid(j->current_host)) {
    NC_WARN("peer: the current host name is unknown or not a host name; no peer phase");
    return 0;
  }
  for (int i = 0; i < j->n_hosts; i++) {
    const char *h = j->hosts[i];
    bool dup = !peerproto_name_valid(h) || strcasecmp(h, j->current_host) == 0;
    for (int k = 0; k < i && !dup; k++)
      dup = strcasecmp(h, j->hosts[k]) == 0;
    if (dup)
      continue;
    char id[320];
    if (nc_snprintf(id, sizeof(id), "peer:%s", h))
      continue;
    /* Peers resolve through /etc/hosts (SageMaker writes it): no dns probe. */
    struct probe_spec spec = {.id = id,
                              .target = h,
                              .tier = NC_TIER_REQUIRED,
                              .expect = NC_EXPECT_REACHABLE,
                              .timeout_ms = cfg->peer_wait_ms};
    if (!plan_add(pl, cfg, &peer_ops, &spec))
      return -1;
  }
  return 0;
}

/* ---- the family: listener, inbound connections, ownership ---- */

static struct peer_state *peer_find_live(const char *host) {
  for (struct peer_state *s = pf.live; s; s = s->next)
    if (strcasecmp(s->p->target, host) == 0)
      return s;
  return NULL;
}

static void peer_watch(struct probe *p, int fd, uint32_t *watching, uint32_t events) {
  if (*watching == events)
    return;
  if (engine_watch(p->eng, p, fd, events) == 0)
    *watching = events;
}

static void peer_build_chunks(void) {
  if (pf.chunks_built)
    return;
  for (int i = 0; i < PEER_CHUNK_FRAMES; i++) {
    uint8_t last = i == PEER_CHUNK_FRAMES - 1 ? PEERPROTO_FLAG_LAST : 0;
    peerproto_encode_bulk(pf.chunk_mid + i * PEER_FRAME, PEER_FRAME, PEERPROTO_MAX_PAYLOAD, 0);
    peerproto_encode_bulk(pf.chunk_end + i * PEER_FRAME, PEER_FRAME, PEERPROTO_MAX_PAYLOAD, last);
  }
  pf.chunks_built = true;
}

/* IP literals need no resolver (hosts may be listed by address). */
static bool peer_literal(const char *host, struct nc_addr *a) {
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

static socklen_t peer_sockaddr(const struct nc_addr *a, int port, struct sockaddr_storage *ss) {
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
static int peer_listen_open(const struct nc_config *cfg) {
  struct nc_addr any[2] = {{.family = AF_INET6}, {.family = AF_INET}}; /* zero bytes: any */
  const struct nc_addr *tries = pf.has_self ? &pf.self : any;
  int n = pf.has_self ? 1 : 2, saved = 0;

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
    int backlog = pf.max_conns > PEER_BACKLOG ? pf.max_conns : PEER_BACKLOG;
    if (bind(fd, (struct sockaddr *)&ss, len) == 0 && listen(fd, backlog) == 0)
      return fd;
    saved = errno;
    close(fd);
  }
  errno = saved;
  return -1;
}

static void peer_conn_close(struct peer_conn *c) {
  for (struct peer_conn **pp = &pf.conns; *pp; pp = &(*pp)->next) {
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  }
  if (c->watching)
    engine_unwatch(pf.owner->eng, c->fd);
  close(c->fd);
  free(c);
  pf.n_conns--;
}

/* Resumes accepting after a shortage of descriptors or memory. */
static void peer_listen_resume(void) {
  if (!pf.listen_paused || !pf.owner)
    return;
  pf.listen_paused = false;
  peer_watch(pf.owner, pf.listen_fd, &pf.listen_watching, EPOLLIN);
}

static void peer_family_close(void) {
  while (pf.conns)
    peer_conn_close(pf.conns);
  if (pf.listen_fd >= 0) {
    if (pf.listen_watching)
      engine_unwatch(pf.owner->eng, pf.listen_fd);
    close(pf.listen_fd);
  }
  pf.listen_fd = -1;
  pf.listen_watching = 0;
  pf.listen_errno = 0;
  pf.listen_paused = false;
  pf.owner = NULL;
}

/* Moves the listener and the inbound connections to another owner. */
static void peer_family_hand_over(struct probe *to) {
  struct probe *from = pf.owner;
  pf.owner = to;
  if (pf.listen_watching) {
    engine_unwatch(from->eng, pf.listen_fd);
    pf.listen_watching = 0;
    peer_watch(to, pf.listen_fd, &pf.listen_watching, EPOLLIN);
  }
  for (struct peer_conn *c = pf.conns; c; c = c->next) {
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

static void peer_family_join(struct peer_state *st) {
  struct probe *p = st->p;
  if (!pf.live) {
    pf.job_hash = peerproto_job_hash(p->cfg->job.name[0] ? p->cfg->job.name : p->cfg->job.arn);
    pf.max_conns = peer_max_conns(p->cfg->job.n_hosts);
    peer_build_chunks();
    pf.has_self = peer_literal(p->cfg->job.current_host, &pf.self);
    pf.owner = p;
    pf.listen_fd = peer_listen_open(p->cfg);
    if (pf.listen_fd < 0) {
      pf.listen_errno = errno;
      probe_note_errno(p, errno);
      NC_WARN("peer: cannot listen on port %d: %s", p->cfg->peer_port, strerror(errno));
    } else {
      peer_watch(p, pf.listen_fd, &pf.listen_watching, EPOLLIN);
    }
  }
  st->next = pf.live;
  pf.live = st;
  st->attached = true;
}

static void peer_close_out(struct peer_state *st) {
  if (st->fd < 0)
    return;
  if (st->watching)
    engine_unwatch(st->p->eng, st->fd);
  close(st->fd);
  st->fd = -1;
  st->watching = 0;
}

/* Takes the probe out of the family; the last one out closes the port. */
static void peer_family_leave(struct peer_state *st) {
  if (!st->attached)
    return;
  peer_close_out(st);
  for (struct peer_state **pp = &pf.live; *pp; pp = &(*pp)->next) {
    if (*pp == st) {
      *pp = st->next;
      break;
    }
  }
  st->attached = false;
  if (pf.owner != st->p)
    return;
  if (pf.live)
    peer_family_hand_over(pf.live->p);
  else
    peer_family_close();
}

/* Credits an inbound session of host name (at least this far); detail says
 * what a session that did not finish saw. */
static void peer_credit(const char *name, enum peer_in level, const char *addr,
                        const char *detail) {
  struct peer_state *s = peer_find_live(name);
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
static void peer_evict_stranger(void) {
  struct peer_conn *oldest = NULL;
  for (struct peer_conn *c = pf.conns; c; c = c->next)
    if (c->srv.state == PEERPROTO_SRV_HELLO)
      oldest = c; /* the list is newest first */
  if (oldest)
    peer_conn_close(oldest);
}

static void peer_accept(void) {
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    int fd = accept4(pf.listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* The listener would stay readable: stop watching it for a while
         * instead of spinning. */
        NC_WARN("peer: accept on port %d: %s", pf.owner->cfg->peer_port, strerror(errno));
        if (pf.listen_watching)
          engine_unwatch(pf.owner->eng, pf.listen_fd);
        pf.listen_watching = 0;
        pf.listen_paused = true;
        pf.listen_resume_ms = nc_now_ms() + PEER_ACCEPT_PAUSE_MS;
      }
      return; /* EAGAIN, or a connection that went away before accept */
    }
    if (pf.n_conns >= pf.max_conns)
      peer_evict_stranger();
    struct peer_conn *c = pf.n_conns < pf.max_conns ? calloc(1, sizeof(*c)) : NULL;
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
    peerproto_srv_init(&c->srv, pf.job_hash, pf.owner->cfg->job.current_host);
    c->next = pf.conns;
    pf.conns = c;
    pf.n_conns++;
    peer_watch(pf.owner, fd, &c->watching, EPOLLIN);
  }
}

/* Closes an inbound connection whose session did not finish, first
 * crediting what it showed, whoever gives up first: a session that ends
 * during the bulk (after the PINGs, before the last BULK frame) with no
 * BULK byte received is the peer's large packets vanishing on their way
 * here (STALLED); with some received, an unfinished transfer (PARTIAL).
 * how: "nothing more for 8.0 s", "algo-2 closed the connection"... */
static void peer_conn_end(struct peer_conn *c, const char *how) {
  if (peerproto_srv_in_bulk(&c->srv)) {
    char why[192];
    bool none = c->srv.bulk_bytes == 0;
    nc_snprintf(why, sizeof(why),
                "%s's 1 MiB transfer %s after the handshake and %u PING(s): %llu of %u bytes "
                "arrived, then %s",
                c->srv.peer, none ? "stalled" : "did not finish", c->srv.pings,
                (unsigned long long)c->srv.bulk_bytes, PEERPROTO_BULK_BYTES, how);
    NC_DEBUG("peer: session from %s (%s): %s", c->srv.peer, c->addr, why);
    peer_credit(c->srv.peer, none ? PEER_IN_STALLED : PEER_IN_PARTIAL, c->addr, why);
  }
  peer_conn_close(c);
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

static void peer_conn_event(struct peer_conn *c, uint32_t events) {
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
        peer_conn_end(c, how);
        return;
      }
      c->last_rx_ms = nc_now_ms();
      int rc = peerproto_srv_feed(&c->srv, buf, (size_t)n, c->out, sizeof(c->out), &c->outlen);
      if (rc < 0) {
        NC_DEBUG("peer: closing connection from %s: %s", c->addr, peerproto_strerror(rc));
        peer_conn_close(c);
        return;
      }
      if (rc & PEERPROTO_EV_HELLO)
        peer_credit(c->srv.peer, PEER_IN_HELLO, c->addr, NULL);
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
    peer_conn_end(c, how);
    return;
  }
  if (c->done && c->outlen == 0) {
    /* The BULK_ACK is with the kernel: the client reaches us both ways. */
    if (c->srv.bulk_bytes >= PEERPROTO_BULK_BYTES)
      peer_credit(c->srv.peer, PEER_IN_OK, c->addr, NULL);
    peer_conn_close(c);
    return;
  }
  peer_watch(pf.owner, c->fd, &c->watching, EPOLLIN | (c->outlen ? EPOLLOUT : 0));
}

static void peer_conns_expire(int64_t now) {
  struct peer_conn *c = pf.conns;
  while (c) {
    struct peer_conn *next = c->next;
    if (now >= c->deadline_ms) {
      char how[64];
      NC_DEBUG("peer: closing connection from %s: %s", c->addr,
               c->srv.state == PEERPROTO_SRV_HELLO ? "no HELLO in time" : "idle");
      nc_snprintf(how, sizeof(how), "nothing more for %.1f s",
                  (double)(now - (c->last_rx_ms ? c->last_rx_ms : c->accepted_ms)) / 1000.0);
      peer_conn_end(c, how);
    }
    c = next;
  }
  if (pf.listen_paused && now >= pf.listen_resume_ms)
    peer_listen_resume();
}

/* ---- outbound ---- */

/* Bulk bytes the peer's TCP acknowledged on the open connection (what left
 * the send queue), or -1 when unknown. HELLO and PINGs were acknowledged
 * before the bulk began (their answers came back). */
static int64_t peer_bulk_acked(const struct peer_state *st) {
  int queued = 0;
  struct tcp_info ti;
  socklen_t len = sizeof(ti);
  if (st->fd < 0 || ioctl(st->fd, TIOCOUTQ, &queued) != 0 || queued < 0)
    return -1;
  /* A reset connection has dropped its send queue: nothing to tell. */
  if (getsockopt(st->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 || ti.tcpi_state == TCP_CLOSE)
    return -1;
  return (size_t)queued >= st->bulk_off ? 0 : (int64_t)(st->bulk_off - (size_t)queued);
}

/* Records an outcome when it got at least as far as the recorded one. A
 * bulk outcome (STALLED, LATE) is measured on the connection, so call this
 * before closing it; detail then says how the bulk ended. */
static void peer_note(struct peer_state *st, enum peer_out out, const char *detail) {
  static const int stage[] = {0, 1, 2, 2, 2, 3, 4, 5, 6, 7};
  if (stage[out] < stage[st->out])
    return;
  st->out = out;
  if (out == PEER_OUT_STALLED || out == PEER_OUT_LATE) {
    char acked[48] = "";
    st->bulk_written = st->bulk_off;
    st->bulk_acked = peer_bulk_acked(st);
    if (st->bulk_acked >= 0)
      nc_snprintf(acked, sizeof(acked), ", %lld acknowledged", (long long)st->bulk_acked);
    nc_snprintf(st->fail_detail, sizeof(st->fail_detail), "%zu bytes written%s, %s",
                st->bulk_written, acked, detail ? detail : "no BULK_ACK");
    return;
  }
  nc_strlcpy(st->fail_detail, detail ? detail : "", sizeof(st->fail_detail));
}

static enum peer_out peer_errno_out(int err) {
  switch (err) {
  case ECONNREFUSED:
    return PEER_OUT_REFUSED;
  case ETIMEDOUT:
    return PEER_OUT_TIMEOUT;
  default:
    return PEER_OUT_UNREACHABLE; /* EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL... */
  }
}

/* Ends the current attempt; final stops retrying. */
static void peer_attempt_end(struct peer_state *st, enum peer_out out, bool final,
                             const char *detail) {
  peer_note(st, out, detail);
  peer_close_out(st);
  if (final) {
    st->out_final = true;
    st->phase = PEER_PH_DONE;
    return;
  }
  st->phase = PEER_PH_IDLE;
  st->retry_at = nc_now_ms() + (out == PEER_OUT_REFUSED ? PEER_RETRY_REFUSED_MS : PEER_RETRY_MS);
}

static void peer_on_resolved(struct probe *p, int status, const struct nc_addrs *addrs, void *arg);
static void peer_connect(struct peer_state *st);
static void peer_after(void);

static void peer_phase(struct peer_state *st, enum peer_phase ph, int bound_ms) {
  st->phase = ph;
  st->phase_ms = nc_now_ms();
  st->phase_deadline = peer_min_deadline(st->p, bound_ms);
}

/* Starts the next attempt: resolve first, until the name resolves once. */
static void peer_attempt(struct peer_state *st) {
  struct probe *p = st->p;
  if (st->out_final || st->phase != PEER_PH_IDLE)
    return;
  if (st->resolved) {
    peer_connect(st);
    return;
  }
  peer_phase(st, PEER_PH_RESOLVING, PEER_RESOLVE_MS);
  st->t0_us = peer_now_us();
  /* The engine clips the query to what is left of the probe's deadline. */
  if (resolve_name(p->eng, p, p->target, PEER_RESOLVE_MS, peer_on_resolved, st) != 0)
    peer_attempt_end(st, PEER_OUT_DNS, false, "the resolver could not start a query");
}

static bool peer_parse_literal(struct peer_state *st) {
  memset(&st->addrs, 0, sizeof(st->addrs));
  if (!peer_literal(st->p->target, &st->addrs.a[0]))
    return false;
  st->addrs.n = 1;
  st->resolved = true;
  nc_strlcpy(st->resolved_from, "literal", sizeof(st->resolved_from));
  return true;
}

static void peer_on_resolved(struct probe *p, int status, const struct nc_addrs *addrs, void *arg) {
  struct peer_state *st = arg;
  if (st->phase != PEER_PH_RESOLVING)
    return;
  p->t.dns = (double)(peer_now_us() - st->t0_us) / 1000.0;
  if (status != 0 || !addrs || addrs->n <= 0) {
    char why[128];
    nc_snprintf(why, sizeof(why), "%s", status ? ares_strerror(status) : "no addresses");
    peer_attempt_end(st, PEER_OUT_DNS, false, why);
  } else {
    st->addrs = *addrs;
    if (st->addrs.n > NC_MAX_ADDRS)
      st->addrs.n = NC_MAX_ADDRS;
    st->resolved = true;
    /* A copy: addrs (and its source) live only during this call. */
    nc_strlcpy(st->resolved_from, addrs->source[0] ? addrs->source : "dns",
               sizeof(st->resolved_from));
    st->phase = PEER_PH_IDLE;
    peer_connect(st);
  }
  peer_after();
}

static void peer_sync_watch(struct peer_state *st) {
  bool pending = st->txoff < st->txlen || (st->phase == PEER_PH_BULK && st->bulk_off < PEER_STREAM);
  peer_watch(st->p, st->fd, &st->watching, EPOLLIN | (pending ? EPOLLOUT : 0));
}

static void peer_send_frame(struct peer_state *st, size_t n) {
  st->txoff = 0;
  st->txlen = n;
}

static void peer_send_ping(struct peer_state *st) {
  st->token = ((uint64_t)st->attempts << 32) | (uint64_t)st->pings;
  peer_send_frame(st, peerproto_encode_u64(st->tx, sizeof(st->tx), PEERPROTO_PING, st->token));
  st->ping_us = peer_now_us();
  peer_phase(st, PEER_PH_PING, PEER_REPLY_MS);
}

/* Writes queued frames, then as much of the bulk stream as the socket
 * takes. 0, or -1 with errno set. */
static int peer_flush(struct peer_state *st) {
  while (st->txoff < st->txlen) {
    ssize_t n = send(st->fd, st->tx + st->txoff, st->txlen - st->txoff, MSG_NOSIGNAL);
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    st->txoff += (size_t)n;
  }
  while (st->phase == PEER_PH_BULK && st->bulk_off < PEER_STREAM) {
    size_t idx = st->bulk_off / PEER_CHUNK, off = st->bulk_off % PEER_CHUNK;
    const uint8_t *chunk = idx == PEER_CHUNKS - 1 ? pf.chunk_end : pf.chunk_mid;
    ssize_t n = send(st->fd, chunk + off, PEER_CHUNK - off, MSG_NOSIGNAL);
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    st->bulk_off += (size_t)n;
  }
  return 0;
}

static void peer_connected(struct peer_state *st) {
  struct probe *p = st->p;
  p->t.connect = (double)(peer_now_us() - st->t0_us) / 1000.0;
  st->rxlen = 0;
  st->pings = 0;
  st->bulk_off = 0;
  peer_send_frame(st, peerproto_encode_hello(st->tx, sizeof(st->tx), PEERPROTO_HELLO, pf.job_hash,
                                             p->cfg->job.current_host));
  peer_phase(st, PEER_PH_HELLO, PEER_REPLY_MS);
  st->t0_us = peer_now_us();
}

static void peer_connect(struct peer_state *st) {
  struct probe *p = st->p;
  const struct nc_addr *a = &st->addrs.a[st->addr_next++ % st->addrs.n];
  struct sockaddr_storage ss;
  socklen_t len = peer_sockaddr(a, p->cfg->peer_port, &ss);

  nc_strlcpy(st->addr, a->text, sizeof(st->addr));
  st->attempts++;
  st->t0_us = peer_now_us();

  st->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (st->fd < 0) {
    probe_note_errno(p, errno); /* out of descriptors: not the peer's fault */
    peer_attempt_end(st, PEER_OUT_UNREACHABLE, false, strerror(errno));
    return;
  }
  int one = 1;
  setsockopt(st->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* PINGs go out at once */
  if (pf.has_self && pf.self.family == a->family) {
    /* Speak from the address the peers know this host by. */
    struct sockaddr_storage src;
    socklen_t slen = peer_sockaddr(&pf.self, 0, &src);
    if (bind(st->fd, (struct sockaddr *)&src, slen) != 0)
      NC_DEBUG("peer: cannot bind to %s: %s", pf.self.text, strerror(errno));
  }
  if (connect(st->fd, (struct sockaddr *)&ss, len) == 0) {
    peer_connected(st);
  } else if (errno == EINPROGRESS) {
    peer_phase(st, PEER_PH_CONNECTING, PEER_CONNECT_MS);
    peer_watch(p, st->fd, &st->watching, EPOLLOUT);
    return;
  } else {
    int err = errno;
    peer_attempt_end(st, peer_errno_out(err), false, strerror(err));
    return;
  }
  if (peer_flush(st) != 0) {
    peer_attempt_end(st, PEER_OUT_NOT_NETCHECK, false, strerror(errno));
    return;
  }
  peer_sync_watch(st);
}

/* One frame from the listener; returns false when the attempt ended. */
static bool peer_client_frame(struct peer_state *st, const struct peerproto_frame *f) {
  struct probe *p = st->p;
  if (st->phase == PEER_PH_HELLO) {
    if (f->type != PEERPROTO_HELLO_ACK || f->value != pf.job_hash) {
      peer_attempt_end(st, PEER_OUT_NOT_NETCHECK, true, "answered HELLO with a wrong frame");
      return false;
    }
    p->t.first_byte = (double)(peer_now_us() - st->t0_us) / 1000.0;
    nc_strlcpy(st->remote_name, f->name, sizeof(st->remote_name));
    peer_send_ping(st);
    return true;
  }
  if (st->phase == PEER_PH_PING) {
    if (f->type != PEERPROTO_PONG || f->value != st->token) {
      peer_attempt_end(st, PEER_OUT_NOT_NETCHECK, true, "answered PING with a wrong frame");
      return false;
    }
    st->rtt[st->pings++] = (double)(peer_now_us() - st->ping_us) / 1000.0;
    if (st->pings < PEER_PING_ROUNDS) {
      peer_send_ping(st);
      return true;
    }
    peer_phase(st, PEER_PH_BULK, PEER_BULK_MS);
    st->bulk_us = peer_now_us();
    return true;
  }
  if (st->phase == PEER_PH_BULK && f->type == PEERPROTO_BULK_ACK &&
      f->value == PEERPROTO_BULK_BYTES && st->bulk_off == PEER_STREAM) {
    st->bulk_ms = (double)(peer_now_us() - st->bulk_us) / 1000.0;
    peer_attempt_end(st, PEER_OUT_OK, true, NULL);
    return false;
  }
  peer_attempt_end(st, PEER_OUT_NOT_NETCHECK, true, "sent an unexpected frame");
  return false;
}

/* What an attempt that went away in this phase amounts to. */
static enum peer_out peer_phase_out(enum peer_phase ph) {
  switch (ph) {
  case PEER_PH_RESOLVING:
    return PEER_OUT_DNS;
  case PEER_PH_CONNECTING:
    return PEER_OUT_TIMEOUT;
  case PEER_PH_HELLO:
    return PEER_OUT_NOT_NETCHECK;
  case PEER_PH_PING:
    return PEER_OUT_BROKEN;
  case PEER_PH_BULK:
    return PEER_OUT_STALLED;
  default:
    return PEER_OUT_NONE;
  }
}

/* The listener closed (err 0) or reset (err) the connection mid-session.
 * During the bulk, after HELLO and the PINGs passed, with nothing of the
 * bulk acknowledged, that is the stall seen from the other end (the
 * listener gave up on a bulk that never arrived before we did): recorded
 * as a stall, whichever end gives up first, and retried (a later attempt
 * may still succeed). */
static void peer_session_lost(struct peer_state *st, int err) {
  char why[160];
  const char *peer = st->p->target;
  if (st->phase == PEER_PH_BULK) {
    int64_t acked = err ? -1 : peer_bulk_acked(st);
    if (acked == 0) {
      nc_snprintf(why, sizeof(why), "then %s closed the connection without a BULK_ACK", peer);
      peer_attempt_end(st, PEER_OUT_STALLED, false, why);
      return;
    }
    /* Bulk bytes got through, or a reset: the listener closed with our
     * bytes unread, so they arrived. Large packets pass: a broken session. */
    if (acked > 0)
      nc_snprintf(why, sizeof(why),
                  "closed the connection during the 1 MiB transfer (%lld bytes acknowledged)",
                  (long long)acked);
    else
      nc_snprintf(why, sizeof(why), "reset the connection during the 1 MiB transfer (%s)",
                  strerror(err));
    peer_attempt_end(st, PEER_OUT_BROKEN, false, why);
    return;
  }
  if (err)
    nc_strlcpy(why, strerror(err), sizeof(why));
  else
    nc_snprintf(why, sizeof(why), "closed the connection %s",
                st->phase == PEER_PH_HELLO ? "without a HELLO_ACK" : "during the session");
  peer_attempt_end(st, peer_phase_out(st->phase), false, why);
}

static void peer_client_read(struct peer_state *st) {
  for (;;) {
    ssize_t n = recv(st->fd, st->rx + st->rxlen, sizeof(st->rx) - st->rxlen, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (n <= 0) {
      peer_session_lost(st, n < 0 ? errno : 0);
      return;
    }
    st->rxlen += (size_t)n;
    for (;;) {
      struct peerproto_frame f;
      size_t used = 0;
      int rc = peerproto_decode(st->rx, st->rxlen, &f, &used);
      if (rc == PEERPROTO_NEED_MORE && st->rxlen < sizeof(st->rx))
        break;
      if (rc != PEERPROTO_OK) {
        char why[128];
        nc_snprintf(why, sizeof(why), "answered with an invalid frame (%s)",
                    rc == PEERPROTO_NEED_MORE ? "too long" : peerproto_strerror(rc));
        peer_attempt_end(st, PEER_OUT_NOT_NETCHECK, true, why);
        return;
      }
      if (!peer_client_frame(st, &f))
        return;
      memmove(st->rx, st->rx + used, st->rxlen - used);
      st->rxlen -= used;
    }
  }
}

static void peer_out_event(struct peer_state *st, uint32_t events) {
  if (st->phase == PEER_PH_CONNECTING) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
      err = errno;
    if (err) {
      peer_attempt_end(st, peer_errno_out(err), false, strerror(err));
      return;
    }
    struct sockaddr_storage ss;
    socklen_t slen = sizeof(ss);
    /* A stale event for a reused descriptor number must not pass for a
     * finished connect. */
    if (!(events & EPOLLOUT) || getpeername(st->fd, (struct sockaddr *)&ss, &slen) != 0)
      return;
    peer_connected(st);
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
    peer_client_read(st);
    if (st->fd < 0)
      return;
  }
  if (peer_flush(st) != 0) {
    int err = errno;
    if (st->phase == PEER_PH_HELLO)
      peer_attempt_end(st, PEER_OUT_NOT_NETCHECK, false, strerror(err));
    else
      peer_session_lost(st, err);
    return;
  }
  peer_sync_watch(st);
}

/* ---- verdicts ---- */

static const char *peer_out_word(enum peer_out o) {
  static const char *const words[] = {"none",         "dns",    "timeout", "unreachable", "refused",
                                      "not_netcheck", "broken", "stalled", "late",        "ok"};
  return words[o];
}

static double peer_rtt(const struct peer_state *st, int which) {
  double v = st->rtt[0], sum = 0;
  for (int i = 0; i < st->pings; i++) {
    sum += st->rtt[i];
    if ((which < 0 && st->rtt[i] < v) || (which > 0 && st->rtt[i] > v))
      v = st->rtt[i];
  }
  return which == 0 ? sum / st->pings : v;
}

static double peer_mbps(const struct peer_state *st) {
  return st->bulk_ms > 0 ? PEERPROTO_BULK_BYTES * 8.0 / (st->bulk_ms * 1000.0) : 0;
}

static double peer_round(double v, double scale) {
  return (double)(long long)(v * scale + 0.5) / scale;
}

static void peer_fill_details(struct peer_state *st) {
  struct probe *p = st->p;
  cJSON *d = probe_details(p);
  /* "hello_only" also for a stalled bulk (inbound_error tells): the word
   * the merge and older reports know for "handshake passed, bulk did not". */
  static const char *const in_words[] = {"missing", "hello_only", "hello_only", "partial", "ok"};
  if (!d)
    return;
  cJSON_AddStringToObject(d, "address", st->addr);
  cJSON_AddNumberToObject(d, "port", p->cfg->peer_port);
  if (st->resolved) {
    cJSON *list = cJSON_AddArrayToObject(d, "addresses");
    for (int i = 0; list && i < st->addrs.n; i++)
      cJSON_AddItemToArray(list, cJSON_CreateString(st->addrs.a[i].text));
    cJSON_AddStringToObject(d, "resolved_from", st->resolved_from);
  }
  cJSON_AddNumberToObject(d, "attempts", st->attempts);
  cJSON_AddStringToObject(d, "outbound", peer_out_word(st->out));
  if (st->out != PEER_OUT_OK && st->fail_detail[0])
    cJSON_AddStringToObject(d, "outbound_error", st->fail_detail);
  cJSON_AddStringToObject(d, "inbound", in_words[st->in]);
  if (st->in != PEER_IN_NONE)
    cJSON_AddStringToObject(d, "inbound_address", st->in_addr);
  if ((st->in == PEER_IN_STALLED || st->in == PEER_IN_PARTIAL) && st->in_detail[0])
    cJSON_AddStringToObject(d, "inbound_error", st->in_detail);
  if (pf.listen_errno)
    cJSON_AddStringToObject(d, "listen_error", strerror(pf.listen_errno));
  if (st->remote_name[0])
    cJSON_AddStringToObject(d, "remote_host", st->remote_name);
  if (st->pings > 0) {
    cJSON_AddNumberToObject(d, "rtt_ms", peer_round(peer_rtt(st, 0), 1000));
    cJSON_AddNumberToObject(d, "rtt_min_ms", peer_round(peer_rtt(st, -1), 1000));
    cJSON_AddNumberToObject(d, "rtt_max_ms", peer_round(peer_rtt(st, 1), 1000));
  }
  if (st->out == PEER_OUT_OK) {
    cJSON_AddNumberToObject(d, "bulk_bytes", PEERPROTO_BULK_BYTES);
    cJSON_AddNumberToObject(d, "bulk_mbps", peer_round(peer_mbps(st), 10));
  } else if (st->out == PEER_OUT_STALLED || st->out == PEER_OUT_LATE) {
    cJSON_AddNumberToObject(d, "bulk_bytes", 0);
    cJSON_AddNumberToObject(d, "bulk_written", (double)st->bulk_written);
    if (st->bulk_acked >= 0)
      cJSON_AddNumberToObject(d, "bulk_acked", (double)st->bulk_acked);
  }
}

/* The fix, in what a managed job lets a user change. out_ok / in_ok: this
 * host reached the peer / the peer reached this host. */
static void peer_remedy(struct probe *p, enum nc_code code, bool out_ok, bool in_ok) {
  int port = p->cfg->peer_port;
  const char *peer = p->target, *self = p->cfg->job.current_host;
  switch (code) {
  case NC_PEER_DNS:
    probe_remediation(p,
                      "SageMaker writes the job's host names (algo-1..N) into /etc/hosts of "
                      "every container: make sure %s is one of this job's hosts, that nothing "
                      "replaces /etc/hosts or the system resolver (a custom --dns-server must "
                      "answer these names), and that DNS resolution is enabled on the VPC "
                      "(enableDnsSupport).",
                      peer);
    break;
  case NC_PEER_BLOCKED:
    if (out_ok != in_ok) {
      /* One way only: the same security groups are on every host. */
      const char *from = out_ok ? peer : self, *to = out_ok ? self : peer;
      probe_remediation(p,
                        "Allow inbound TCP %d from %s's subnet in the network ACL of %s's subnet, "
                        "and outbound TCP %d to %s's subnet in the network ACL of %s's subnet, "
                        "with the replies on ports 1024-65535 both ways: %s reaches %s but not "
                        "the other way round, and every host of the job has the same security "
                        "groups, so it is not the self-referencing rule.",
                        port, from, to, port, to, from, to, from);
      break;
    }
    probe_remediation(p,
                      "Give the job's security group a self-referencing inbound rule (all "
                      "traffic, or at least TCP %d, from the security group itself), and make "
                      "sure the network ACLs of the job's subnets allow TCP between them in both "
                      "directions, including the return traffic on ports 1024-65535.",
                      port);
    break;
  case NC_PEER_REFUSED:
    probe_remediation(p,
                      "Run netcheck as the entrypoint on every instance of the job with the same "
                      "--peer-port (%d); if another program holds the port on %s, choose another "
                      "--peer-port for every host.",
                      port, peer);
    break;
  case NC_PEER_NOT_NETCHECK:
    probe_remediation(p,
                      "Another program (or netcheck of another job) listens on port %d of %s: "
                      "choose a free --peer-port for every host of the job.",
                      port, peer);
    break;
  case NC_PEER_PMTU_BLACKHOLE:
    probe_remediation(p,
                      "Allow ICMP 'fragmentation needed' (type 3, code 4) in the job's security "
                      "group and in the network ACLs of its subnets, and look for a firewall, "
                      "inspection appliance or transit gateway (8500-byte MTU) routed between "
                      "the hosts' subnets: large packets between %s and %s vanish while small "
                      "ones pass, and a managed job's instance MTU is not yours to change, the "
                      "path's is.",
                      self, peer);
    break;
  default:
    break;
  }
}

/* Outbound failure: code, outcome word and sentence. */
static enum nc_code peer_out_failure(const struct peer_state *st, char *msg, size_t len,
                                     const char **outcome) {
  const struct probe *p = st->p;
  const char *self = p->cfg->job.current_host, *peer = p->target;
  int port = p->cfg->peer_port, secs = (int)((nc_now_ms() - p->started_ms + 500) / 1000);
  switch (st->out) {
  case PEER_OUT_DNS:
    *outcome = "dns_failed";
    nc_snprintf(msg, len, "%s did not resolve (%s) in %d s of retries", peer, st->fail_detail,
                secs);
    return NC_PEER_DNS;
  case PEER_OUT_TIMEOUT:
  case PEER_OUT_NONE:
    *outcome = "connect_timeout";
    nc_snprintf(msg, len,
                "%s cannot reach %s on port %d: TCP connect timed out (SYN unanswered) on %d "
                "attempt(s) in %d s",
                self, peer, port, st->attempts, secs);
    return NC_PEER_BLOCKED;
  case PEER_OUT_UNREACHABLE:
    *outcome = "connect_unreachable";
    nc_snprintf(msg, len, "%s cannot reach %s on port %d: %s", self, peer, port, st->fail_detail);
    return NC_PEER_BLOCKED;
  case PEER_OUT_REFUSED:
    *outcome = "connect_refused";
    nc_snprintf(msg, len,
                "%s is up but nothing listens on port %d (connection refused, %d attempt(s) in "
                "%d s): netcheck is not running there, or with another --peer-port",
                peer, port, st->attempts, secs);
    return NC_PEER_REFUSED;
  case PEER_OUT_NOT_NETCHECK:
    *outcome = "not_netcheck";
    nc_snprintf(msg, len, "%s:%d accepted the connection but is not netcheck of this job: %s", peer,
                port, st->fail_detail[0] ? st->fail_detail : "no HELLO_ACK in time");
    return NC_PEER_NOT_NETCHECK;
  case PEER_OUT_BROKEN:
    *outcome = "session_broken";
    nc_snprintf(msg, len, "%s reaches netcheck on %s:%d but the session broke: %s", self, peer,
                port, st->fail_detail[0] ? st->fail_detail : "no answer in time");
    return NC_PEER_BLOCKED;
  case PEER_OUT_LATE:
    *outcome = "bulk_unanswered";
    nc_snprintf(msg, len,
                "%s reaches %s on port %d with small and large packets, but the 1 MiB transfer "
                "was not confirmed before the peer deadline (%s): the host or the link is "
                "overloaded",
                self, peer, port, st->fail_detail);
    return NC_TIMEOUT_BUDGET;
  case PEER_OUT_STALLED:
  default:
    *outcome = "bulk_stalled";
    nc_snprintf(msg, len,
                "%s reaches %s on port %d with small packets, but the 1 MiB transfer stalled "
                "(%s): large packets vanish (path-MTU black hole)",
                self, peer, port, st->fail_detail);
    return NC_PEER_PMTU_BLACKHOLE;
  }
}

/* Settles the probe with what is known and finishes it. */
static void peer_conclude(struct peer_state *st) {
  struct probe *p = st->p;
  const char *self = p->cfg->job.current_host, *peer = p->target;
  int port = p->cfg->peer_port;
  char msg[512];
  const char *outcome = "ok";
  enum nc_code code = NC_OK;

  /* An attempt still running counts when it is all we have, or when it
   * had time to show something (not when it began just before the end). */
  if (!st->out_final && st->phase != PEER_PH_IDLE &&
      (st->out == PEER_OUT_NONE || nc_now_ms() - st->phase_ms >= PEER_FOLD_MIN_MS)) {
    enum peer_out o = peer_phase_out(st->phase);
    if (o == PEER_OUT_STALLED && peer_bulk_acked(st) > 0)
      o = PEER_OUT_LATE;
    peer_note(st, o,
              st->phase == PEER_PH_BULK ? "no BULK_ACK before the peer deadline"
                                        : "no answer before the peer deadline");
  }
  /* Likewise an inbound session still in its bulk: with bytes arrived, it
   * did not finish in time; with none for that long, it stalled. */
  for (struct peer_conn *c = pf.conns; c && st->in < PEER_IN_STALLED; c = c->next) {
    int64_t quiet = nc_now_ms() - c->last_rx_ms;
    if (peerproto_srv_in_bulk(&c->srv) && strcasecmp(c->srv.peer, peer) == 0 &&
        (c->srv.bulk_bytes > 0 || quiet >= PEER_FOLD_MIN_MS)) {
      char how[96];
      if (c->srv.bulk_bytes > 0)
        nc_strlcpy(how, "the peer deadline came", sizeof(how));
      else
        nc_snprintf(how, sizeof(how), "nothing more for %.1f s before the peer deadline",
                    (double)quiet / 1000.0);
      peer_conn_end(c, how);
      break; /* c is gone */
    }
  }
  p->t.total = (double)(nc_now_ms() - p->started_ms);
  peer_fill_details(st);
  bool out_ok = st->out == PEER_OUT_OK, in_ok = st->in == PEER_IN_OK;

  if (out_ok && in_ok) {
    nc_snprintf(msg, sizeof(msg),
                "%s and %s reach each other on port %d (rtt %.2f ms, 1 MiB at %.0f Mbit/s)", self,
                peer, port, peer_rtt(st, 0), peer_mbps(st));
  } else if (out_ok && (st->in == PEER_IN_HELLO || st->in == PEER_IN_STALLED)) {
    code = NC_PEER_PMTU_BLACKHOLE;
    outcome = "inbound_bulk_stalled";
    nc_snprintf(msg, sizeof(msg),
                "%s's 1 MiB transfer to %s on port %d stalled after its handshake passed (%s "
                "reaches %s): large packets from %s vanish (path-MTU black hole)",
                peer, self, port, self, peer, peer);
  } else if (out_ok && st->in == PEER_IN_PARTIAL) {
    code = NC_TIMEOUT_BUDGET;
    outcome = "inbound_bulk_incomplete";
    nc_snprintf(msg, sizeof(msg),
                "%s's 1 MiB transfer to %s on port %d got through in part but did not finish (%s "
                "reaches %s): the host or the link is overloaded",
                peer, self, port, self, peer);
  } else if (out_ok && pf.listen_errno) {
    code = NC_PEER_REFUSED;
    outcome = "listen_failed";
    nc_snprintf(msg, sizeof(msg),
                "%s could not listen on port %d (%s), so %s cannot reach it (%s reaches %s)", self,
                port, strerror(pf.listen_errno), peer, self, peer);
  } else if (out_ok) {
    code = NC_PEER_BLOCKED;
    outcome = "inbound_missing";
    nc_snprintf(msg, sizeof(msg),
                "%s cannot reach %s on port %d (%s reaches %s): inbound from %s blocked", peer,
                self, port, self, peer, peer);
  } else {
    char why[400];
    code = peer_out_failure(st, why, sizeof(why), &outcome);
    if (in_ok)
      nc_snprintf(msg, sizeof(msg), "%s (%s reaches %s)", why, peer, self);
    else if (st->in == PEER_IN_STALLED)
      nc_snprintf(msg, sizeof(msg), "%s; %s's transfer to %s stalled too", why, peer, self);
    else if (st->in == PEER_IN_PARTIAL)
      nc_snprintf(msg, sizeof(msg), "%s; %s's transfer to %s did not finish either", why, peer,
                  self);
    else if (st->in == PEER_IN_HELLO)
      nc_snprintf(msg, sizeof(msg), "%s; %s's session to %s did not finish either", why, peer,
                  self);
    else
      nc_snprintf(msg, sizeof(msg), "%s; %s did not reach %s either", why, peer, self);
  }
  if (code != NC_OK)
    peer_remedy(p, code, out_ok, in_ok);
  enum nc_verdict v = probe_judge(p, out_ok && in_ok);
  peer_family_leave(st);
  /* Last use of st: cleanup may free it inside probe_finish. */
  probe_finish(p, v, code, outcome, "%s", msg);
}

/* Finishes every probe that knows all it can know before the deadline. */
static void peer_settle(void) {
  bool again = true;
  while (again) {
    again = false;
    for (struct peer_state *s = pf.live; s; s = s->next) {
      bool in_done = s->in == PEER_IN_OK || (pf.listen_fd < 0 && pf.listen_errno);
      if (s->out_final && in_done) {
        peer_conclude(s);
        again = true;
        break;
      }
    }
  }
}

/* One timer per probe: the earliest of its own deadlines and, for the
 * owner, the inbound connections'. */
static void peer_rearm(struct peer_state *st) {
  int64_t w = 0;
  if (st->phase == PEER_PH_IDLE)
    w = st->retry_at;
  else if (st->phase >= PEER_PH_CONNECTING && st->phase <= PEER_PH_BULK)
    w = st->phase_deadline;
  if (pf.owner == st->p) {
    for (const struct peer_conn *c = pf.conns; c; c = c->next)
      if (!w || c->deadline_ms < w)
        w = c->deadline_ms;
    if (pf.listen_paused && (!w || pf.listen_resume_ms < w))
      w = pf.listen_resume_ms;
  }
  /* What falls at or after the deadline is on_timeout's to settle. */
  if (w && st->p->deadline_ms && w >= st->p->deadline_ms)
    w = 0;
  probe_wake_at(st->p, w);
}

/* After any event: finish who can, re-arm who is left. */
static void peer_after(void) {
  peer_settle();
  for (struct peer_state *s = pf.live; s; s = s->next)
    peer_rearm(s);
}

/* ---- probe ops ---- */

static int peer_start(struct probe *p) {
  struct peer_state *st = calloc(1, sizeof(*st));
  if (!st)
    return -1;
  st->p = p;
  st->fd = -1;
  p->priv = st;
  peer_family_join(st);
  peer_parse_literal(st);
  st->phase = PEER_PH_IDLE;
  peer_attempt(st);
  peer_after();
  return 0;
}

static void peer_on_event(struct probe *p, int fd, uint32_t events) {
  struct peer_state *st = p->priv;
  if (fd == st->fd) {
    peer_out_event(st, events);
  } else if (p == pf.owner && fd == pf.listen_fd) {
    peer_accept();
  } else if (p == pf.owner) {
    for (struct peer_conn *c = pf.conns; c; c = c->next) {
      if (c->fd == fd) {
        peer_conn_event(c, events);
        break;
      }
    }
  }
  peer_after();
}

/* At the bulk bound: when some of the bulk was acknowledged, large packets
 * pass and the transfer is only slow (a busy host or link: 99 peers may
 * send at once); the BULK_ACK is then awaited until the peer deadline,
 * where the attempt counts as late. Only a bulk of which nothing got
 * through is a stall. True when the attempt goes on. */
static bool peer_bulk_passes(struct peer_state *st) {
  if (peer_bulk_acked(st) <= 0)
    return false;
  st->phase_deadline = st->p->deadline_ms;
  return true;
}

static void peer_on_timer(struct probe *p) {
  struct peer_state *st = p->priv;
  int64_t now = nc_now_ms();
  if (st->phase == PEER_PH_IDLE && now >= st->retry_at) {
    peer_attempt(st);
  } else if (st->phase >= PEER_PH_CONNECTING && st->phase <= PEER_PH_BULK &&
             now >= st->phase_deadline && probe_remaining_ms(p) > 0) {
    static const char *const why[] = {"",
                                      "",
                                      "connect timed out",
                                      "no HELLO_ACK in time",
                                      "no PONG in time",
                                      "no BULK_ACK in time"};
    enum peer_out o = peer_phase_out(st->phase);
    if (o != PEER_OUT_STALLED || !peer_bulk_passes(st))
      peer_attempt_end(st, o, o == PEER_OUT_STALLED, why[st->phase]);
  }
  if (p == pf.owner)
    peer_conns_expire(now);
  peer_after();
}

static void peer_on_timeout(struct probe *p) {
  struct peer_state *st = p->priv;
  if (st->attached)
    peer_conclude(st);
  peer_after();
}

static void peer_cleanup(struct probe *p) {
  struct peer_state *st = p->priv;
  if (!st)
    return;
  peer_family_leave(st);
  free(st);
  p->priv = NULL;
}

static const struct probe_ops peer_ops = {
    .family = &peer_family,
    .flags = NC_PROBE_PEER_PHASE,
    .start = peer_start,
    .on_event = peer_on_event,
    .on_timer = peer_on_timer,
    .on_timeout = peer_on_timeout,
    .cleanup = peer_cleanup,
};

const struct probe_family peer_family = {
    .name = "peer",
    .help = "mesh to every other host: connect, HELLO, RTT, 1 MiB transfer, start barrier",
    .tier = NC_TIER_REQUIRED,
    .expect = NC_EXPECT_REACHABLE,
    .tier_note = "multi-host jobs only",
    .plan = peer_plan,
};
