/*
 * peer_client.c - one peer probe's outbound session: resolve (retrying),
 * connect, HELLO, PINGs, the bulk stream, and each attempt's result.
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

int64_t peer_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t peer_min_deadline(const struct probe *p, int ms) {
  int64_t left = probe_remaining_ms(p);
  return nc_now_ms() + (left < ms ? left : ms);
}

/* ---- outbound ---- */

/* Bulk bytes the peer's TCP acknowledged on the open connection (what left
 * the send queue), or -1 when unknown. HELLO and PINGs were acknowledged
 * before the bulk began (their answers came back). */
int64_t peer_bulk_acked(const struct peer_state *st) {
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
void peer_note(struct peer_state *st, enum peer_out out, const char *detail) {
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
void peer_attempt_end(struct peer_state *st, enum peer_out out, bool final, const char *detail) {
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

static void peer_phase(struct peer_state *st, enum peer_phase ph, int bound_ms) {
  st->phase = ph;
  st->phase_ms = nc_now_ms();
  st->phase_deadline = peer_min_deadline(st->p, bound_ms);
}

/* Starts the next attempt: resolve first, until the name resolves once. */
void peer_attempt(struct peer_state *st) {
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

bool peer_parse_literal(struct peer_state *st) {
  memset(&st->addrs, 0, sizeof(st->addrs));
  if (!peer_literal(st->p->target, &st->addrs.a[0]))
    return false;
  st->addrs.n = 1;
  st->resolved = true;
  nc_strlcpy(st->resolved_from, "literal", sizeof(st->resolved_from));
  return true;
}

static void peer_on_resolved(struct probe *p, int status, const struct nc_addrs *addrs, void *arg) {
  struct peer_fam *pf = peer_fam(p);
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
  peer_after(pf);
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
  struct peer_fam *pf = peer_fam(st->p);
  while (st->txoff < st->txlen) {
    ssize_t n = send(st->fd, st->tx + st->txoff, st->txlen - st->txoff, MSG_NOSIGNAL);
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    st->txoff += (size_t)n;
  }
  while (st->phase == PEER_PH_BULK && st->bulk_off < PEER_STREAM) {
    size_t idx = st->bulk_off / PEER_CHUNK, off = st->bulk_off % PEER_CHUNK;
    const uint8_t *chunk = idx == PEER_CHUNKS - 1 ? pf->chunk_end : pf->chunk_mid;
    ssize_t n = send(st->fd, chunk + off, PEER_CHUNK - off, MSG_NOSIGNAL);
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    st->bulk_off += (size_t)n;
  }
  return 0;
}

static void peer_connected(struct peer_state *st) {
  struct peer_fam *pf = peer_fam(st->p);
  struct probe *p = st->p;
  p->t.connect = (double)(peer_now_us() - st->t0_us) / 1000.0;
  st->rxlen = 0;
  st->pings = 0;
  st->bulk_off = 0;
  peer_send_frame(st, peerproto_encode_hello(st->tx, sizeof(st->tx), PEERPROTO_HELLO, pf->job_hash,
                                             p->cfg->job.current_host));
  peer_phase(st, PEER_PH_HELLO, PEER_REPLY_MS);
  st->t0_us = peer_now_us();
}

static void peer_connect(struct peer_state *st) {
  struct peer_fam *pf = peer_fam(st->p);
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
  if (pf->has_self && pf->self.family == a->family) {
    /* Speak from the address the peers know this host by. */
    struct sockaddr_storage src;
    socklen_t slen = peer_sockaddr(&pf->self, 0, &src);
    if (bind(st->fd, (struct sockaddr *)&src, slen) != 0)
      NC_DEBUG("peer: cannot bind to %s: %s", pf->self.text, strerror(errno));
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
  struct peer_fam *pf = peer_fam(st->p);
  struct probe *p = st->p;
  if (st->phase == PEER_PH_HELLO) {
    if (f->type != PEERPROTO_HELLO_ACK || f->value != pf->job_hash) {
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
enum peer_out peer_phase_out(enum peer_phase ph) {
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
                  "closed the connection during the " PEERPROTO_BULK_TEXT
                  " transfer (%lld bytes acknowledged)",
                  (long long)acked);
    else
      nc_snprintf(why, sizeof(why),
                  "reset the connection during the " PEERPROTO_BULK_TEXT " transfer (%s)",
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

void peer_out_event(struct peer_state *st, uint32_t events) {
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
