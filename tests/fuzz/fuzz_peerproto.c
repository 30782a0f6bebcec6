/*
 * fuzz_peerproto.c - the peer port's framing on arbitrary bytes (what a
 * stranger, or a broken peer, sends to the listener):
 *   - peerproto_decode() over the input, frame after frame: every frame it
 *     accepts re-encodes to the same bytes (HELLO, HELLO_ACK, PING, PONG,
 *     BULK_ACK) or to the same header (BULK);
 *   - the listener's session machine fed the whole input at once and fed it
 *     in small pieces must answer the same bytes and end the same way:
 *     TCP may cut the stream anywhere.
 */
#include "fuzz.h"

#include "netcheck/peerproto.h"

#define FUZZ_JOB "nc-fuzz-job"
#define FUZZ_SELF "algo-1"
#define FUZZ_OUT_CAP (64 * 1024)

struct feed_result {
  int status; /* first negative return, else 0 */
  int events; /* every PEERPROTO_EV_* seen */
  size_t outlen;
};

static struct peerproto_srv srv;
static uint8_t out_whole[FUZZ_OUT_CAP], out_split[FUZZ_OUT_CAP];

static void check_roundtrip(const uint8_t *frame, size_t used, const struct peerproto_frame *f) {
  uint8_t again[PEERPROTO_MAX_FRAME];
  size_t n = 0;
  switch (f->type) {
  case PEERPROTO_HELLO:
  case PEERPROTO_HELLO_ACK:
    FUZZ_CHECK(peerproto_name_valid(f->name));
    n = peerproto_encode_hello(again, sizeof again, (enum peerproto_type)f->type, f->value,
                               f->name);
    break;
  case PEERPROTO_PING:
  case PEERPROTO_PONG:
  case PEERPROTO_BULK_ACK:
    n = peerproto_encode_u64(again, sizeof again, (enum peerproto_type)f->type, f->value);
    break;
  case PEERPROTO_BULK:
    n = peerproto_encode_bulk(again, sizeof again, f->len, f->flags);
    FUZZ_CHECK(n == used && memcmp(again, frame, PEERPROTO_HDR) == 0);
    return;
  default:
    FUZZ_CHECK(!"decoded an unknown frame type");
  }
  FUZZ_CHECK(n == used && memcmp(again, frame, n) == 0);
}

static void feed(const uint8_t *data, size_t size, size_t piece, uint8_t *out,
                 struct feed_result *r) {
  peerproto_srv_init(&srv, peerproto_job_hash(FUZZ_JOB), FUZZ_SELF);
  memset(r, 0, sizeof *r);
  for (size_t off = 0; off < size;) {
    size_t n = size - off < piece ? size - off : piece;
    int rc = peerproto_srv_feed(&srv, data + off, n, out, FUZZ_OUT_CAP, &r->outlen);
    FUZZ_CHECK(r->outlen <= FUZZ_OUT_CAP);
    FUZZ_CHECK(srv.inlen <= sizeof srv.in);
    if (rc < 0) {
      r->status = rc;
      return;
    }
    r->events |= rc;
    off += n;
  }
}

FUZZ_SETUP()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct peerproto_frame f;
  struct feed_result whole, split;

  for (size_t off = 0; off < size;) {
    size_t used = 0;
    int rc = peerproto_decode(data + off, size - off, &f, &used);
    if (rc != PEERPROTO_OK)
      break;
    FUZZ_CHECK(used >= PEERPROTO_HDR && used <= size - off && used <= PEERPROTO_MAX_FRAME);
    FUZZ_CHECK(f.payload == data + off + PEERPROTO_HDR);
    FUZZ_TERMINATED(f.name);
    check_roundtrip(data + off, used, &f);
    off += used;
  }

  feed(data, size, size ? size : 1, out_whole, &whole);
  /* Pieces of 1 to 7 bytes: every frame arrives cut. */
  feed(data, size, 1 + size % 7, out_split, &split);
  FUZZ_CHECK(whole.status == split.status);
  /* An error drops the events of the call that hit it, so compare them
   * only when the stream was fine. */
  if (whole.status == 0)
    FUZZ_CHECK(whole.events == split.events);
  FUZZ_CHECK(whole.outlen == split.outlen && memcmp(out_whole, out_split, whole.outlen) == 0);
  if (split.events & PEERPROTO_EV_HELLO)
    FUZZ_CHECK(peerproto_name_valid(srv.peer));
  return 0;
}
