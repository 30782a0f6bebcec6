/*
 * peer_int.h - what the files of the peer family share: its constants (the
 * timing bounds of both sides and the bulk stream: one place), the state of
 * a probe (struct peer_state), of an inbound connection (struct peer_conn)
 * and of the family in a plan (struct peer_fam, the plan-wide family state
 * of probe.h), and the calls between peer.c (plan, probe ops),
 * peer_listen.c (listener, inbound connections, ownership), peer_client.c
 * (the outbound session) and peer_verdict.c (verdicts and their texts).
 * Nothing outside probes/peer*.c includes it.
 */
#ifndef NETCHECK_PEER_INT_H
#define NETCHECK_PEER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "netcheck/common.h"
#include "netcheck/peerproto.h"
#include "netcheck/probe.h"

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

/* The bulk stream: PEERPROTO_BULK_BYTES in frames of 4096 bytes, written
 * from prebuilt 8-frame chunks (the last chunk ends with the LAST frame;
 * at 32 KiB there is one). */
#define PEER_FRAME (PEERPROTO_HDR + PEERPROTO_MAX_PAYLOAD)
#define PEER_CHUNK_FRAMES 8
#define PEER_CHUNK (PEER_CHUNK_FRAMES * PEER_FRAME)
#define PEER_BULK_FRAMES (PEERPROTO_BULK_BYTES / PEERPROTO_MAX_PAYLOAD)
#define PEER_STREAM ((size_t)PEER_BULK_FRAMES * PEER_FRAME)
#define PEER_CHUNKS (PEER_BULK_FRAMES / PEER_CHUNK_FRAMES)
_Static_assert(PEER_CHUNKS >= 1 && PEER_BULK_FRAMES % PEER_CHUNK_FRAMES == 0,
               "bulk in whole chunks");

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
  char resolved_from[8]; /* "literal", "hosts", "dns", "cached" (a copy: the resolver's is gone) */
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

/* The family's plan-wide state (plan_family_state): one listener per plan. */
struct peer_fam {
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
};

extern const struct probe_family peer_family;

/* The family's state in the probe's plan (made by peer_plan). */
static inline struct peer_fam *peer_fam(const struct probe *p) {
  return plan_family_state_get(p->plan, &peer_family);
}

/* peer_client.c: clocks */
int64_t peer_now_us(void);
/* now + ms, but no later than the probe's deadline */
int64_t peer_min_deadline(const struct probe *p, int ms);

/* peer_listen.c: the listener, inbound connections, ownership */
void peer_watch(struct probe *p, int fd, uint32_t *watching, uint32_t events);
bool peer_literal(const char *host, struct nc_addr *a);
socklen_t peer_sockaddr(const struct nc_addr *a, int port, struct sockaddr_storage *ss);
void peer_family_join(struct peer_state *st);
void peer_family_leave(struct peer_state *st);
void peer_close_out(struct peer_state *st);
void peer_accept(struct peer_fam *pf);
void peer_conn_end(struct peer_fam *pf, struct peer_conn *c, const char *how);
void peer_conn_event(struct peer_fam *pf, struct peer_conn *c, uint32_t events);
void peer_conns_expire(struct peer_fam *pf, int64_t now);

/* peer_client.c: the outbound session */
int64_t peer_bulk_acked(const struct peer_state *st);
void peer_note(struct peer_state *st, enum peer_out out, const char *detail);
void peer_attempt_end(struct peer_state *st, enum peer_out out, bool final, const char *detail);
void peer_attempt(struct peer_state *st);
bool peer_parse_literal(struct peer_state *st);
enum peer_out peer_phase_out(enum peer_phase ph);
void peer_out_event(struct peer_state *st, uint32_t events);

/* peer_verdict.c: verdicts */
void peer_conclude(struct peer_state *st);
void peer_after(struct peer_fam *pf);

#endif
