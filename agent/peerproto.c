/*
 * peerproto.c - the peer protocol's framing and the listener's session
 * machine (pure: no I/O). The sockets, timers and verdicts live in
 * probes/peer.c.
 *
 * PROTOCOL (version 1)
 *
 * Every host of a job runs netcheck, which listens on TCP --peer-port
 * (default 7191) for the whole peer phase and connects to every other host.
 * The connecting side is the "client", the accepting side the "listener".
 *
 * Frame: a 4-byte header, then the payload. Integers are big-endian.
 *
 *     0      1      2             4
 *     +------+------+-------------+----------------------+
 *     | type | flags| length (16) | payload (length)     |
 *     +------+------+-------------+----------------------+
 *
 *   type      length    payload                                  flags
 *   1 HELLO     15..269 "NCPR", version (1 byte, = 1),           0
 *   2 HELLO_ACK         job hash (8), name length n (1, 1..255),
 *                       host name (n bytes of printable ASCII)
 *   3 PING      8       token (8)                                0
 *   4 PONG      8       the PING's token, echoed                 0
 *   5 BULK      1..4096 filler bytes                             LAST (0x01) on the last
 *   6 BULK_ACK  8       total BULK payload bytes received        0
 *
 * Any other type, length, flag, magic, version or name byte is invalid, and
 * is detected as soon as the offending byte arrives (a stranger's first byte
 * is usually enough: "GET " starts with 0x47, not a type).
 *
 * The job hash is 64-bit FNV-1a of the job name (or of its ARN when the
 * name is unknown): it tells two jobs apart that share a network and a port.
 *
 * Session, client's view:
 *   -> HELLO(job hash, own host name)
 *   <- HELLO_ACK(job hash, listener's host name)   proves "netcheck of this job"
 *   -> PING(t) <- PONG(t), three rounds, one at a time    round-trip time
 *   -> BULK x 8 (4096 bytes each, 32 KiB; the last one flagged LAST)
 *   <- BULK_ACK(32768)                                     path MTU: large segments pass
 *   both sides close.
 * The client's HELLO_ACK wait and each PING round are bounded (3 s). A bulk
 * of which the listener's TCP acknowledged nothing within min(5 s, what is
 * left of --peer-wait), after the small frames passed, is a path-MTU black
 * hole; so is a session the listener closes during the bulk with nothing of
 * it acknowledged (the listener gave up first: idle limit below). Once some
 * of the bulk is acknowledged, large packets pass: the client awaits the
 * BULK_ACK until the end of --peer-wait (many peers may send at once).
 *
 * Listener's rules (a stranger gets nothing and cannot stall anyone):
 *   - the first frame must be HELLO with this job's hash, within 2 s of the
 *     accept; otherwise the connection is closed without a byte sent back;
 *   - after HELLO: any PING/BULK order, at most 16 PINGs and 4 MiB of BULK,
 *     idle at most 8 s (longer than the client's 5 s bulk bound, so that a
 *     client normally judges its own stalled transfer first), 30 s in all;
 *     any other frame closes the connection;
 *   - a reply that does not fit the per-connection reply buffer (the client
 *     does not read) closes the connection;
 *   - at most 4 x hosts connections at once (cap 1024); more are closed at
 *     once.
 * A listener counts host X as "confirmed inbound" when X's session reached
 * BULK_ACK with the full 32 KiB: X reaches us with small and large packets.
 * A session of X that ends (idle limit, X closes or resets it, the peer
 * phase ends) after X's PINGs and before its last BULK frame, with no BULK
 * byte received, is X's bulk stalling on the way to us: the inbound half of
 * a path-MTU black hole (with some received: an unfinished transfer).
 */
#include "netcheck/peerproto.h"

#include <string.h>

#define PP_FNV_OFFSET 0xcbf29ce484222325ULL
#define PP_FNV_PRIME 0x100000001b3ULL

uint64_t peerproto_job_hash(const char *s) {
  uint64_t h = PP_FNV_OFFSET;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    h ^= *c;
    h *= PP_FNV_PRIME;
  }
  return h;
}

static void pp_put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void pp_put64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (uint8_t)v;
    v >>= 8;
  }
}

static uint64_t pp_get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}

static int pp_name_byte_ok(uint8_t c) { return c > 0x20 && c < 0x7f; }

int peerproto_name_valid(const char *name) {
  size_t n = 0;
  if (!name)
    return 0;
  for (; name[n]; n++)
    if (n >= PEERPROTO_NAME_MAX || !pp_name_byte_ok((uint8_t)name[n]))
      return 0;
  return n > 0;
}

/* Flags a frame of this type may carry. */
static uint8_t pp_allowed_flags(uint8_t type) {
  return type == PEERPROTO_BULK ? PEERPROTO_FLAG_LAST : 0;
}

static int pp_length_ok(uint8_t type, uint16_t len) {
  switch (type) {
  case PEERPROTO_HELLO:
  case PEERPROTO_HELLO_ACK:
    return len > PEERPROTO_HELLO_FIXED && len <= PEERPROTO_HELLO_FIXED + PEERPROTO_NAME_MAX;
  case PEERPROTO_PING:
  case PEERPROTO_PONG:
  case PEERPROTO_BULK_ACK:
    return len == 8;
  case PEERPROTO_BULK:
    return len >= 1 && len <= PEERPROTO_MAX_PAYLOAD;
  default:
    return 0;
  }
}

/* Checks the part of a HELLO payload that is present (avail bytes of plen). */
static int pp_check_hello(const uint8_t *pl, size_t avail, uint16_t plen) {
  size_t m = avail < 4 ? avail : 4;
  if (memcmp(pl, PEERPROTO_MAGIC, m) != 0)
    return PEERPROTO_ERR_MAGIC;
  if (avail > 4 && pl[4] != PEERPROTO_VERSION)
    return PEERPROTO_ERR_VERSION;
  if (avail > 13 && (size_t)pl[13] + PEERPROTO_HELLO_FIXED != plen)
    return PEERPROTO_ERR_NAME;
  for (size_t i = PEERPROTO_HELLO_FIXED; i < avail; i++)
    if (!pp_name_byte_ok(pl[i]))
      return PEERPROTO_ERR_NAME;
  return PEERPROTO_OK;
}

int peerproto_decode(const uint8_t *buf, size_t len, struct peerproto_frame *f, size_t *used) {
  if (len == 0)
    return PEERPROTO_NEED_MORE;
  uint8_t type = buf[0];
  if (type < PEERPROTO_HELLO || type > PEERPROTO_BULK_ACK)
    return PEERPROTO_ERR_TYPE;
  if (len < 2)
    return PEERPROTO_NEED_MORE;
  if (buf[1] & (uint8_t)~pp_allowed_flags(type))
    return PEERPROTO_ERR_TYPE;
  if (len < PEERPROTO_HDR)
    return PEERPROTO_NEED_MORE;
  uint16_t plen = (uint16_t)((buf[2] << 8) | buf[3]);
  if (!pp_length_ok(type, plen))
    return PEERPROTO_ERR_LENGTH;

  const uint8_t *pl = buf + PEERPROTO_HDR;
  size_t avail = len - PEERPROTO_HDR;
  if (avail > plen)
    avail = plen;
  int hello = type == PEERPROTO_HELLO || type == PEERPROTO_HELLO_ACK;
  if (hello) {
    int rc = pp_check_hello(pl, avail, plen);
    if (rc != PEERPROTO_OK)
      return rc;
  }
  if (avail < plen)
    return PEERPROTO_NEED_MORE;

  memset(f, 0, sizeof(*f));
  f->type = type;
  f->flags = buf[1];
  f->len = plen;
  f->payload = pl;
  if (hello) {
    f->value = pp_get64(pl + 5);
    memcpy(f->name, pl + PEERPROTO_HELLO_FIXED, pl[13]);
    f->name[pl[13]] = '\0';
  } else if (plen == 8 && type != PEERPROTO_BULK) {
    f->value = pp_get64(pl);
  }
  *used = PEERPROTO_HDR + (size_t)plen;
  return PEERPROTO_OK;
}

static void pp_put_header(uint8_t *out, uint8_t type, uint8_t flags, uint16_t len) {
  out[0] = type;
  out[1] = flags;
  pp_put16(out + 2, len);
}

size_t peerproto_encode_hello(uint8_t *out, size_t cap, enum peerproto_type type, uint64_t job_hash,
                              const char *name) {
  if ((type != PEERPROTO_HELLO && type != PEERPROTO_HELLO_ACK) || !peerproto_name_valid(name))
    return 0;
  size_t n = strlen(name);
  size_t total = PEERPROTO_HDR + PEERPROTO_HELLO_FIXED + n;
  if (total > cap)
    return 0;
  pp_put_header(out, (uint8_t)type, 0, (uint16_t)(PEERPROTO_HELLO_FIXED + n));
  uint8_t *pl = out + PEERPROTO_HDR;
  memcpy(pl, PEERPROTO_MAGIC, 4);
  pl[4] = PEERPROTO_VERSION;
  pp_put64(pl + 5, job_hash);
  pl[13] = (uint8_t)n;
  memcpy(pl + PEERPROTO_HELLO_FIXED, name, n);
  return total;
}

size_t peerproto_encode_u64(uint8_t *out, size_t cap, enum peerproto_type type, uint64_t value) {
  if (type != PEERPROTO_PING && type != PEERPROTO_PONG && type != PEERPROTO_BULK_ACK)
    return 0;
  if (cap < PEERPROTO_U64_FRAME)
    return 0;
  pp_put_header(out, (uint8_t)type, 0, 8);
  pp_put64(out + PEERPROTO_HDR, value);
  return PEERPROTO_U64_FRAME;
}

size_t peerproto_encode_bulk(uint8_t *out, size_t cap, size_t payload_len, uint8_t flags) {
  if (payload_len < 1 || payload_len > PEERPROTO_MAX_PAYLOAD || (flags & ~PEERPROTO_FLAG_LAST))
    return 0;
  if (cap < PEERPROTO_HDR + payload_len)
    return 0;
  pp_put_header(out, PEERPROTO_BULK, flags, (uint16_t)payload_len);
  /* Varied filler, so nothing on the path can shrink the transfer. */
  for (size_t i = 0; i < payload_len; i++)
    out[PEERPROTO_HDR + i] = (uint8_t)(i * 131u + 7u);
  return PEERPROTO_HDR + payload_len;
}

void peerproto_srv_init(struct peerproto_srv *s, uint64_t job_hash, const char *self_name) {
  memset(s, 0, sizeof(*s));
  s->job_hash = job_hash;
  s->self_name = self_name;
  s->state = PEERPROTO_SRV_HELLO;
}

/* Acts on one decoded frame; returns PEERPROTO_EV_* or a negative error. */
static int pp_srv_frame(struct peerproto_srv *s, const struct peerproto_frame *f, uint8_t *out,
                        size_t outcap, size_t *outlen) {
  uint8_t *o = out + *outlen;
  size_t room = outcap - *outlen;
  size_t n;

  if (s->state == PEERPROTO_SRV_HELLO) {
    if (f->type != PEERPROTO_HELLO)
      return PEERPROTO_ERR_ORDER;
    if (f->value != s->job_hash)
      return PEERPROTO_ERR_JOB;
    n = peerproto_encode_hello(o, room, PEERPROTO_HELLO_ACK, s->job_hash, s->self_name);
    if (n == 0)
      return PEERPROTO_ERR_LIMIT;
    memcpy(s->peer, f->name, sizeof(s->peer));
    s->state = PEERPROTO_SRV_SESSION;
    *outlen += n;
    return PEERPROTO_EV_HELLO;
  }
  if (s->state != PEERPROTO_SRV_SESSION)
    return PEERPROTO_ERR_ORDER;

  switch (f->type) {
  case PEERPROTO_PING:
    if (++s->pings > PEERPROTO_PINGS_MAX)
      return PEERPROTO_ERR_LIMIT;
    n = peerproto_encode_u64(o, room, PEERPROTO_PONG, f->value);
    if (n == 0)
      return PEERPROTO_ERR_LIMIT;
    *outlen += n;
    return 0;
  case PEERPROTO_BULK:
    s->bulk_bytes += f->len;
    if (s->bulk_bytes > PEERPROTO_BULK_CAP)
      return PEERPROTO_ERR_LIMIT;
    if (!(f->flags & PEERPROTO_FLAG_LAST))
      return 0;
    n = peerproto_encode_u64(o, room, PEERPROTO_BULK_ACK, s->bulk_bytes);
    if (n == 0)
      return PEERPROTO_ERR_LIMIT;
    *outlen += n;
    s->state = PEERPROTO_SRV_DONE;
    return PEERPROTO_EV_BULK_DONE;
  default:
    return PEERPROTO_ERR_ORDER;
  }
}

int peerproto_srv_feed(struct peerproto_srv *s, const uint8_t *in, size_t len, uint8_t *out,
                       size_t outcap, size_t *outlen) {
  int ev = 0;
  if (*outlen > outcap)
    return PEERPROTO_ERR_LIMIT;
  for (;;) {
    size_t take = sizeof(s->in) - s->inlen;
    if (take > len)
      take = len;
    if (take)
      memcpy(s->in + s->inlen, in, take);
    s->inlen += take;
    in += take;
    len -= take;

    size_t off = 0;
    while (off < s->inlen) {
      struct peerproto_frame f;
      size_t used = 0;
      if (s->state == PEERPROTO_SRV_DONE)
        return PEERPROTO_ERR_ORDER;
      int rc = peerproto_decode(s->in + off, s->inlen - off, &f, &used);
      if (rc == PEERPROTO_NEED_MORE)
        break;
      if (rc != PEERPROTO_OK)
        return rc;
      rc = pp_srv_frame(s, &f, out, outcap, outlen);
      if (rc < 0)
        return rc;
      ev |= rc;
      off += used;
    }
    memmove(s->in, s->in + off, s->inlen - off);
    s->inlen -= off;
    /* A full buffer always holds a whole frame, so this loop always
     * makes progress while input remains. */
    if (len == 0)
      return ev;
  }
}

int peerproto_srv_in_bulk(const struct peerproto_srv *s) {
  return s->state == PEERPROTO_SRV_SESSION &&
         (s->bulk_bytes > 0 || s->pings >= PEERPROTO_CLIENT_PINGS);
}

const char *peerproto_strerror(int status) {
  switch (status) {
  case PEERPROTO_OK:
    return "ok";
  case PEERPROTO_NEED_MORE:
    return "incomplete frame";
  case PEERPROTO_ERR_TYPE:
    return "unknown frame type or flags";
  case PEERPROTO_ERR_LENGTH:
    return "frame length not allowed";
  case PEERPROTO_ERR_MAGIC:
    return "wrong magic";
  case PEERPROTO_ERR_VERSION:
    return "unsupported protocol version";
  case PEERPROTO_ERR_NAME:
    return "invalid host name";
  case PEERPROTO_ERR_JOB:
    return "HELLO of another job";
  case PEERPROTO_ERR_ORDER:
    return "unexpected frame";
  case PEERPROTO_ERR_LIMIT:
    return "limit exceeded";
  default:
    return "unknown error";
  }
}
