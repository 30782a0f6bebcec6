/*
 * peerproto.h - the wire format netcheck speaks between the hosts of one job
 * on the peer port (probes/peer.c), as pure functions: frame encode/decode
 * and the listener's per-connection session machine. No I/O, no clock, so
 * the unit tests and the fuzz target drive them with plain buffers.
 * The protocol itself is documented at the top of agent/peerproto.c.
 */
#ifndef NETCHECK_PEERPROTO_H
#define NETCHECK_PEERPROTO_H

#include <stddef.h>
#include <stdint.h>

#define PEERPROTO_MAGIC "NCPR"
#define PEERPROTO_VERSION 1
#define PEERPROTO_HDR 4          /* type, flags, 16-bit payload length */
#define PEERPROTO_HELLO_FIXED 14 /* magic, version, job hash, name length */
#define PEERPROTO_NAME_MAX 255
#define PEERPROTO_MAX_PAYLOAD 4096 /* largest frame payload (BULK) */
#define PEERPROTO_MAX_FRAME (PEERPROTO_HDR + PEERPROTO_MAX_PAYLOAD)
#define PEERPROTO_HELLO_MAX (PEERPROTO_HDR + PEERPROTO_HELLO_FIXED + PEERPROTO_NAME_MAX)
#define PEERPROTO_U64_FRAME (PEERPROTO_HDR + 8) /* PING, PONG, BULK_ACK */
/* Payload bytes a client sends: a few full-size segments, with DF set, for a
 * path-MTU black hole to show (3 at the VPC's MTU of 9001, 22 at 1500; one
 * 4 KiB frame, 2 full-size segments at 1500, already shows it), and nothing
 * more: the mesh sends it over every pair of hosts (tests/vpc/SCALE.md). At
 * 9001 it fits TCP's initial window (10 segments): one flight.
 * PEERPROTO_BULK_TEXT says it in the messages. */
#define PEERPROTO_BULK_BYTES (32u * 1024u)
#define PEERPROTO_BULK_TEXT "32 KiB"
/* Most a listener accepts: 4 MiB, as when a client sent 1 MiB, so that such
 * a client of an older netcheck in the same job is still confirmed. */
#define PEERPROTO_BULK_CAP (4u * 1024u * 1024u)
#define PEERPROTO_PINGS_MAX 16   /* most PINGs a listener answers per connection */
#define PEERPROTO_CLIENT_PINGS 3 /* PING rounds a client makes before its BULK */

enum peerproto_type {
  PEERPROTO_HELLO = 1,
  PEERPROTO_HELLO_ACK = 2,
  PEERPROTO_PING = 3,
  PEERPROTO_PONG = 4,
  PEERPROTO_BULK = 5,
  PEERPROTO_BULK_ACK = 6
};

#define PEERPROTO_FLAG_LAST 0x01u /* BULK: last frame of the transfer */

enum peerproto_status {
  PEERPROTO_OK = 0,
  PEERPROTO_NEED_MORE = 1,   /* the bytes so far are a valid prefix */
  PEERPROTO_ERR_TYPE = -1,   /* unknown frame type */
  PEERPROTO_ERR_LENGTH = -2, /* length not allowed for the type */
  PEERPROTO_ERR_MAGIC = -3,
  PEERPROTO_ERR_VERSION = -4,
  PEERPROTO_ERR_NAME = -5,  /* empty name, bad byte, or length mismatch */
  PEERPROTO_ERR_JOB = -6,   /* HELLO of another job (session machine) */
  PEERPROTO_ERR_ORDER = -7, /* valid frame at the wrong time (session machine) */
  PEERPROTO_ERR_LIMIT = -8  /* too many pings or bulk bytes, reply buffer full */
};

struct peerproto_frame {
  uint8_t type;
  uint8_t flags;
  uint16_t len;           /* payload length */
  const uint8_t *payload; /* points into the decoded buffer */
  uint64_t value;         /* HELLO/HELLO_ACK: job hash; PING/PONG: token; BULK_ACK: total */
  char name[PEERPROTO_NAME_MAX + 1]; /* HELLO/HELLO_ACK: sender's host name */
};

/* 64-bit FNV-1a of s (the job identity carried by HELLO). */
uint64_t peerproto_job_hash(const char *s);

/* Decodes the frame at the start of buf. Returns PEERPROTO_OK with *used set
 * to the frame's size, PEERPROTO_NEED_MORE when buf is a valid but incomplete
 * prefix, or a negative PEERPROTO_ERR_* as soon as the bytes present cannot
 * start a valid frame (an invalid type is detected from one byte). */
int peerproto_decode(const uint8_t *buf, size_t len, struct peerproto_frame *f, size_t *used);

/* Encoders write one frame into out and return its size, or 0 when it does
 * not fit or an argument is invalid. hello: type is PEERPROTO_HELLO or
 * PEERPROTO_HELLO_ACK, name 1..255 printable ASCII bytes. */
size_t peerproto_encode_hello(uint8_t *out, size_t cap, enum peerproto_type type, uint64_t job_hash,
                              const char *name);
/* PING, PONG or BULK_ACK with its 64-bit value. */
size_t peerproto_encode_u64(uint8_t *out, size_t cap, enum peerproto_type type, uint64_t value);
/* A BULK frame of payload_len (1..PEERPROTO_MAX_PAYLOAD) pattern bytes. */
size_t peerproto_encode_bulk(uint8_t *out, size_t cap, size_t payload_len, uint8_t flags);

/* True when name is 1..255 bytes of printable ASCII (what HELLO may carry). */
int peerproto_name_valid(const char *name);

/* ---- the listener's side of one connection ---- */

enum peerproto_srv_state { PEERPROTO_SRV_HELLO, PEERPROTO_SRV_SESSION, PEERPROTO_SRV_DONE };

#define PEERPROTO_EV_HELLO 0x1     /* a valid HELLO of this job arrived; s->peer is set */
#define PEERPROTO_EV_BULK_DONE 0x2 /* the last BULK frame arrived; BULK_ACK was queued */

struct peerproto_srv {
  uint64_t job_hash;
  const char *self_name; /* borrowed; answered in HELLO_ACK */
  enum peerproto_srv_state state;
  char peer[PEERPROTO_NAME_MAX + 1];
  uint64_t bulk_bytes;
  unsigned pings;
  size_t inlen;
  uint8_t in[PEERPROTO_MAX_FRAME];
};

void peerproto_srv_init(struct peerproto_srv *s, uint64_t job_hash, const char *self_name);

/* Feeds bytes read from the connection. Replies are appended to out[*outlen..
 * outcap). Returns a mask of PEERPROTO_EV_* (0: nothing new), or a negative
 * PEERPROTO_ERR_* meaning: close the connection now, send nothing more. Any
 * byte after the last BULK frame is an error. */
int peerproto_srv_feed(struct peerproto_srv *s, const uint8_t *in, size_t len, uint8_t *out,
                       size_t outcap, size_t *outlen);

/* True when the client of this session has done its PINGs (or begun its
 * BULK) and the last BULK frame has not arrived: the session is in the bulk
 * transfer. A session that goes quiet or away in this state is the path-MTU
 * black-hole signature seen from the listener (small frames passed, the
 * large ones do not arrive). */
int peerproto_srv_in_bulk(const struct peerproto_srv *s);

/* "wrong magic" etc. for logs and the report. */
const char *peerproto_strerror(int status);

#endif
