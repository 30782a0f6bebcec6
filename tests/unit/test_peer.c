/*
 * test_peer.c - the peer protocol (agent/peerproto.c: frames and the
 * listener's session machine), the peer plan, and the peer probe over
 * loopback with the real engine: two netchecks on 127.0.0.1 and 127.0.0.2
 * confirm each other, and fake peers (forked children) that refuse, answer
 * garbage, stay silent, stall the bulk transfer or never connect back get
 * the diagnosis they deserve. A stranger on the port gets nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/diag.h"
#include "netcheck/engine.h"
#include "netcheck/fetch.h"
#include "netcheck/peerproto.h"
#include "netcheck/probe.h"

#define JOB_HASH 0x1122334455667788ULL

/* ---- frames ---- */

static size_t hello(uint8_t *buf, const char *name) {
  return peerproto_encode_hello(buf, PEERPROTO_HELLO_MAX, PEERPROTO_HELLO, JOB_HASH, name);
}

/* Decodes one whole frame of this type and value (and sender's name unless
 * name is NULL) at buf; returns the bytes it used. */
static size_t assert_frame(const uint8_t *buf, size_t n, uint8_t type, uint64_t value,
                           const char *name) {
  struct peerproto_frame f;
  size_t used = 0;
  assert_int_equal(peerproto_decode(buf, n, &f, &used), PEERPROTO_OK);
  assert_int_equal(f.type, type);
  assert_true(f.value == value);
  if (name)
    assert_string_equal(f.name, name);
  return used;
}

static void test_job_hash_is_fnv1a_64(void **state) {
  (void)state;
  assert_true(peerproto_job_hash("") == 0xcbf29ce484222325ULL);
  assert_true(peerproto_job_hash("a") == 0xaf63dc4c8601ec8cULL);
  assert_true(peerproto_job_hash("foobar") == 0x85944171f73967e8ULL);
}

static void test_hello_round_trip_carries_job_hash_and_host_name(void **state) {
  uint8_t buf[PEERPROTO_HELLO_MAX];
  size_t n = hello(buf, "algo-2");
  (void)state;
  assert_int_equal(n, PEERPROTO_HDR + PEERPROTO_HELLO_FIXED + 6);
  assert_memory_equal(buf + PEERPROTO_HDR, "NCPR", 4);
  assert_int_equal(assert_frame(buf, n, PEERPROTO_HELLO, JOB_HASH, "algo-2"), n);
}

static void test_u64_frames_round_trip(void **state) {
  uint8_t buf[PEERPROTO_U64_FRAME];
  (void)state;
  assert_int_equal(peerproto_encode_u64(buf, sizeof buf, PEERPROTO_BULK_ACK, 65536),
                   PEERPROTO_U64_FRAME);
  assert_frame(buf, sizeof buf, PEERPROTO_BULK_ACK, 65536, NULL);
}

static void test_every_truncation_of_a_valid_frame_needs_more(void **state) {
  uint8_t buf[PEERPROTO_MAX_FRAME];
  struct peerproto_frame f;
  size_t used, n = hello(buf, "algo-1");
  (void)state;
  for (size_t k = 0; k < n; k++)
    assert_int_equal(peerproto_decode(buf, k, &f, &used), PEERPROTO_NEED_MORE);
  n = peerproto_encode_bulk(buf, sizeof buf, PEERPROTO_MAX_PAYLOAD, PEERPROTO_FLAG_LAST);
  assert_int_equal(n, PEERPROTO_MAX_FRAME);
  assert_int_equal(peerproto_decode(buf, n - 1, &f, &used), PEERPROTO_NEED_MORE);
  assert_int_equal(peerproto_decode(buf, n, &f, &used), PEERPROTO_OK);
  assert_int_equal(f.flags, PEERPROTO_FLAG_LAST);
}

static void test_oversize_length_is_rejected_from_the_header(void **state) {
  struct peerproto_frame f;
  size_t used;
  const uint8_t bulk[] = {PEERPROTO_BULK, 0, 0x10, 0x01};  /* 4097 */
  const uint8_t ping[] = {PEERPROTO_PING, 0, 0, 9};        /* must be 8 */
  const uint8_t helo[] = {PEERPROTO_HELLO, 0, 0x01, 0x0e}; /* 270 > 14 + 255 */
  const uint8_t empty[] = {PEERPROTO_BULK, 0, 0, 0};       /* empty bulk */
  (void)state;
  assert_int_equal(peerproto_decode(bulk, sizeof bulk, &f, &used), PEERPROTO_ERR_LENGTH);
  assert_int_equal(peerproto_decode(ping, sizeof ping, &f, &used), PEERPROTO_ERR_LENGTH);
  assert_int_equal(peerproto_decode(helo, sizeof helo, &f, &used), PEERPROTO_ERR_LENGTH);
  assert_int_equal(peerproto_decode(empty, sizeof empty, &f, &used), PEERPROTO_ERR_LENGTH);
}

static void test_wrong_magic_is_rejected_before_the_frame_is_complete(void **state) {
  uint8_t buf[PEERPROTO_HELLO_MAX];
  struct peerproto_frame f;
  size_t used;
  (void)state;
  hello(buf, "algo-1");
  buf[PEERPROTO_HDR + 1] = 'X'; /* "NXPR" */
  assert_int_equal(peerproto_decode(buf, PEERPROTO_HDR + 2, &f, &used), PEERPROTO_ERR_MAGIC);
}

static void test_wrong_version_is_rejected(void **state) {
  uint8_t buf[PEERPROTO_HELLO_MAX];
  struct peerproto_frame f;
  size_t used, n = hello(buf, "algo-1");
  (void)state;
  buf[PEERPROTO_HDR + 4] = 2;
  assert_int_equal(peerproto_decode(buf, n, &f, &used), PEERPROTO_ERR_VERSION);
}

static void test_a_stranger_is_rejected_from_its_first_byte(void **state) {
  struct peerproto_frame f;
  size_t used;
  (void)state;
  assert_int_equal(peerproto_decode((const uint8_t *)"G", 1, &f, &used), PEERPROTO_ERR_TYPE);
  assert_int_equal(peerproto_decode((const uint8_t *)"\x16\x03\x01", 3, &f, &used),
                   PEERPROTO_ERR_TYPE); /* a TLS ClientHello */
  assert_int_equal(peerproto_decode((const uint8_t *)"\0", 1, &f, &used), PEERPROTO_ERR_TYPE);
}

static void test_unknown_flags_are_rejected(void **state) {
  const uint8_t ping[] = {PEERPROTO_PING, 0x01, 0, 8};
  const uint8_t bulk[] = {PEERPROTO_BULK, 0x02, 0, 1};
  struct peerproto_frame f;
  size_t used;
  (void)state;
  assert_int_equal(peerproto_decode(ping, sizeof ping, &f, &used), PEERPROTO_ERR_TYPE);
  assert_int_equal(peerproto_decode(bulk, sizeof bulk, &f, &used), PEERPROTO_ERR_TYPE);
}

static void test_bad_host_names_are_rejected(void **state) {
  uint8_t buf[PEERPROTO_HELLO_MAX];
  struct peerproto_frame f;
  size_t used, n = hello(buf, "algo-1");
  char long_name[300];
  (void)state;
  buf[n - 1] = '\n';
  assert_int_equal(peerproto_decode(buf, n, &f, &used), PEERPROTO_ERR_NAME);
  n = hello(buf, "algo-1");
  buf[PEERPROTO_HDR + 13] = 5; /* name length disagrees with the frame length */
  assert_int_equal(peerproto_decode(buf, n, &f, &used), PEERPROTO_ERR_NAME);
  memset(long_name, 'a', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  assert_int_equal(hello(buf, long_name), 0);
  assert_int_equal(hello(buf, ""), 0);
  assert_int_equal(hello(buf, "two words"), 0);
}

static void test_encoders_refuse_what_does_not_fit(void **state) {
  uint8_t buf[PEERPROTO_MAX_FRAME];
  (void)state;
  assert_int_equal(peerproto_encode_u64(buf, PEERPROTO_U64_FRAME - 1, PEERPROTO_PING, 1), 0);
  assert_int_equal(peerproto_encode_u64(buf, sizeof buf, PEERPROTO_BULK, 1), 0);
  assert_int_equal(peerproto_encode_bulk(buf, sizeof buf, PEERPROTO_MAX_PAYLOAD + 1, 0), 0);
  assert_int_equal(peerproto_encode_bulk(buf, 100, 200, 0), 0);
  assert_int_equal(peerproto_encode_hello(buf, 10, PEERPROTO_HELLO, JOB_HASH, "algo-1"), 0);
}

/* ---- the listener's session machine ---- */

struct session {
  struct peerproto_srv srv;
  uint8_t out[512];
  size_t outlen;
};

static int feed(struct session *s, const uint8_t *buf, size_t n) {
  return peerproto_srv_feed(&s->srv, buf, n, s->out, sizeof s->out, &s->outlen);
}

static void session_start(struct session *s) {
  uint8_t buf[PEERPROTO_HELLO_MAX];
  memset(s, 0, sizeof *s);
  peerproto_srv_init(&s->srv, JOB_HASH, "algo-1");
  assert_int_equal(feed(s, buf, hello(buf, "algo-2")), PEERPROTO_EV_HELLO);
  s->outlen = 0;
}

static void test_listener_answers_hello_of_its_job_with_hello_ack(void **state) {
  uint8_t buf[PEERPROTO_HELLO_MAX];
  struct session s;
  (void)state;
  memset(&s, 0, sizeof s);
  peerproto_srv_init(&s.srv, JOB_HASH, "algo-1");
  assert_int_equal(feed(&s, buf, hello(buf, "algo-2")), PEERPROTO_EV_HELLO);
  assert_string_equal(s.srv.peer, "algo-2");
  assert_frame(s.out, s.outlen, PEERPROTO_HELLO_ACK, JOB_HASH, "algo-1");
}

static void test_listener_answers_nothing_to_another_job(void **state) {
  uint8_t buf[PEERPROTO_HELLO_MAX];
  struct session s;
  size_t n;
  (void)state;
  memset(&s, 0, sizeof s);
  peerproto_srv_init(&s.srv, JOB_HASH + 1, "algo-1");
  n = hello(buf, "algo-2");
  assert_int_equal(feed(&s, buf, n), PEERPROTO_ERR_JOB);
  assert_int_equal(s.outlen, 0);
}

static void test_listener_answers_nothing_to_garbage(void **state) {
  struct session s;
  const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  (void)state;
  memset(&s, 0, sizeof s);
  peerproto_srv_init(&s.srv, JOB_HASH, "algo-1");
  assert_true(feed(&s, (const uint8_t *)http, strlen(http)) < 0);
  assert_int_equal(s.outlen, 0);
}

static void test_listener_rejects_any_frame_before_hello(void **state) {
  uint8_t buf[PEERPROTO_U64_FRAME];
  struct session s;
  (void)state;
  memset(&s, 0, sizeof s);
  peerproto_srv_init(&s.srv, JOB_HASH, "algo-1");
  assert_int_equal(feed(&s, buf, peerproto_encode_u64(buf, sizeof buf, PEERPROTO_PING, 1)),
                   PEERPROTO_ERR_ORDER);
  assert_int_equal(s.outlen, 0);
}

/* A whole client session, fed in odd-sized pieces as TCP may deliver it. */
static void test_listener_echoes_pings_and_acks_the_whole_bulk(void **state) {
  struct session s;
  uint8_t *stream = malloc(PEERPROTO_BULK_BYTES + 4096);
  size_t n = 0, frames = PEERPROTO_BULK_BYTES / PEERPROTO_MAX_PAYLOAD;
  int ev = 0;
  size_t off = 0;
  (void)state;
  assert_non_null(stream);
  session_start(&s);
  for (uint64_t t = 7; t < 10; t++)
    n += peerproto_encode_u64(stream + n, PEERPROTO_U64_FRAME, PEERPROTO_PING, t);
  for (size_t i = 0; i < frames; i++)
    n += peerproto_encode_bulk(stream + n, PEERPROTO_MAX_FRAME, PEERPROTO_MAX_PAYLOAD,
                               i + 1 == frames ? PEERPROTO_FLAG_LAST : 0);
  for (size_t k = 0; k < n; k += 997) {
    int rc = feed(&s, stream + k, n - k < 997 ? n - k : 997);
    assert_true(rc >= 0);
    ev |= rc;
  }
  assert_int_equal(ev, PEERPROTO_EV_BULK_DONE);
  assert_true(s.srv.bulk_bytes == PEERPROTO_BULK_BYTES);
  for (uint64_t t = 7; t < 10; t++) {
    off += assert_frame(s.out + off, s.outlen - off, PEERPROTO_PONG, t, NULL);
  }
  assert_frame(s.out + off, s.outlen - off, PEERPROTO_BULK_ACK, PEERPROTO_BULK_BYTES, NULL);
  /* Nothing may follow the last bulk frame. */
  assert_int_equal(feed(&s, stream, 1), PEERPROTO_ERR_ORDER);
  free(stream);
}

static void test_listener_limits_pings(void **state) {
  struct session s;
  uint8_t buf[PEERPROTO_U64_FRAME];
  (void)state;
  session_start(&s);
  for (int i = 0; i < PEERPROTO_PINGS_MAX; i++) {
    assert_int_equal(feed(&s, buf, peerproto_encode_u64(buf, sizeof buf, PEERPROTO_PING, 1)), 0);
    s.outlen = 0;
  }
  assert_int_equal(feed(&s, buf, peerproto_encode_u64(buf, sizeof buf, PEERPROTO_PING, 1)),
                   PEERPROTO_ERR_LIMIT);
}

static void test_listener_limits_bulk_bytes(void **state) {
  struct session s;
  uint8_t buf[PEERPROTO_MAX_FRAME];
  size_t n = peerproto_encode_bulk(buf, sizeof buf, PEERPROTO_MAX_PAYLOAD, 0);
  int rc = 0;
  (void)state;
  session_start(&s);
  for (size_t i = 0; rc == 0 && i <= PEERPROTO_BULK_CAP / PEERPROTO_MAX_PAYLOAD; i++)
    rc = feed(&s, buf, n);
  assert_int_equal(rc, PEERPROTO_ERR_LIMIT);
}

static void test_listener_gives_up_on_a_client_that_does_not_read(void **state) {
  struct session s;
  uint8_t buf[PEERPROTO_U64_FRAME];
  int rc = 0;
  (void)state;
  session_start(&s);
  s.outlen = sizeof s.out - PEERPROTO_U64_FRAME + 1; /* replies never sent */
  rc = feed(&s, buf, peerproto_encode_u64(buf, sizeof buf, PEERPROTO_PING, 1));
  assert_int_equal(rc, PEERPROTO_ERR_LIMIT);
}

/* The listener tells when a session is in the bulk transfer: after the
 * client's PINGs (or its first BULK frame), until the last BULK frame. */
static void test_listener_knows_when_a_session_is_in_its_bulk(void **state) {
  struct session s;
  uint8_t buf[PEERPROTO_MAX_FRAME];
  (void)state;
  memset(&s, 0, sizeof s);
  peerproto_srv_init(&s.srv, JOB_HASH, "algo-1");
  assert_false(peerproto_srv_in_bulk(&s.srv)); /* no HELLO yet */
  assert_int_equal(feed(&s, buf, hello(buf, "algo-2")), PEERPROTO_EV_HELLO);
  for (int i = 0; i < PEERPROTO_CLIENT_PINGS; i++) {
    assert_false(peerproto_srv_in_bulk(&s.srv)); /* still in the PINGs */
    assert_int_equal(feed(&s, buf, peerproto_encode_u64(buf, sizeof buf, PEERPROTO_PING, 1)), 0);
  }
  assert_true(peerproto_srv_in_bulk(&s.srv)); /* PINGs done, bulk not arrived: a stall */
  assert_int_equal(feed(&s, buf, peerproto_encode_bulk(buf, sizeof buf, 100, 0)), 0);
  assert_true(peerproto_srv_in_bulk(&s.srv));
  assert_int_equal(feed(&s, buf, peerproto_encode_bulk(buf, sizeof buf, 100, PEERPROTO_FLAG_LAST)),
                   PEERPROTO_EV_BULK_DONE);
  assert_false(peerproto_srv_in_bulk(&s.srv)); /* done */

  /* A bulk frame without PINGs starts the bulk too. */
  memset(&s, 0, sizeof s);
  session_start(&s);
  assert_false(peerproto_srv_in_bulk(&s.srv));
  assert_int_equal(feed(&s, buf, peerproto_encode_bulk(buf, sizeof buf, 1, 0)), 0);
  assert_true(peerproto_srv_in_bulk(&s.srv));
}

/* ---- plan ---- */

static struct nc_config *config_new(const char *self, const char *const *hosts, int n) {
  struct nc_config *cfg = calloc(1, sizeof *cfg);
  assert_non_null(cfg);
  nc_strlcpy(cfg->job.name, "job-test", sizeof cfg->job.name);
  nc_strlcpy(cfg->job.current_host, self, sizeof cfg->job.current_host);
  for (int i = 0; i < n; i++)
    nc_strlcpy(cfg->job.hosts[i], hosts[i], sizeof cfg->job.hosts[i]);
  cfg->job.n_hosts = n;
  cfg->peer_port = NC_DEFAULT_PEER_PORT;
  cfg->peer_wait_ms = 2000;
  cfg->timeout_ms = 2000;
  return cfg;
}

/* The peer family plans its probes for cfg into an empty plan. */
static void plan_peers(struct plan *pl, const struct nc_config *cfg) {
  memset(pl, 0, sizeof *pl);
  assert_int_equal(probe_family_find("peer")->plan(pl, cfg), 0);
}

static void test_single_host_job_has_no_peer_phase(void **state) {
  const char *hosts[] = {"algo-1"};
  struct nc_config *cfg = config_new("algo-1", hosts, 1);
  struct plan pl;
  (void)state;
  plan_peers(&pl, cfg);
  assert_int_equal(pl.count, 0);
  free(cfg);
}

static void test_plan_has_one_probe_per_other_host(void **state) {
  const char *hosts[] = {"algo-1", "algo-2", "algo-3", "algo-2", "ALGO-1"};
  struct nc_config *cfg = config_new("algo-1", hosts, 5);
  struct plan pl;
  (void)state;
  plan_peers(&pl, cfg);
  assert_int_equal(pl.count, 2);
  assert_string_equal(pl.head->id, "peer:algo-2");
  assert_string_equal(pl.head->target, "algo-2");
  assert_string_equal(pl.head->next->id, "peer:algo-3");
  assert_int_equal(pl.head->timeout_ms, cfg->peer_wait_ms);
  assert_true(pl.head->ops->flags & NC_PROBE_PEER_PHASE);
  plan_free(&pl);
  free(cfg);
}

static void test_no_peer_phase_without_a_current_host(void **state) {
  const char *hosts[] = {"algo-1", "algo-2"};
  struct nc_config *cfg = config_new("", hosts, 2);
  struct plan pl;
  (void)state;
  plan_peers(&pl, cfg);
  assert_int_equal(pl.count, 0);
  free(cfg);
}

/* ---- over loopback, with the engine ---- */

#define SELF "127.0.0.1"
#define PEER "127.0.0.2"

/* A port for one test: below the kernel's ephemeral range (32768-60999), so an
 * outgoing connection elsewhere on the machine never holds it, spread by PID
 * so that parallel runs differ, and one that nothing is bound to right now
 * (another test run may hold a port of this PID's slot). */
static int test_port(void) {
  static int k;
  for (int tries = 0; tries < 64; tries++) {
    int port = 20000 + (int)(getpid() % 750) * 16 + (k++ % 16);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0)
      return port;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool free_now = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    if (free_now)
      return port;
  }
  return 20000 + (int)(getpid() % 750) * 16;
}

struct run {
  enum nc_verdict verdict;
  enum nc_code code;
  char outcome[64];
  char message[512];
  char outbound[32], inbound[32];
  char resolved_from[32], outbound_error[192], inbound_error[256];
  int64_t ms;
};

static void detail_str(const cJSON *details, const char *key, char *dst, size_t len) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(details, key);
  nc_strlcpy(dst, cJSON_IsString(v) ? v->valuestring : "", len);
}

/* Runs this host's peer phase (one peer) and returns what its probe said. */
static struct run run_peer_phase(const char *self, const char *peer, int port, int wait_ms) {
  const char *hosts[] = {self, peer};
  struct nc_config *cfg = config_new(self, hosts, 2);
  struct plan pl;
  struct engine *e;
  struct run r;
  int64_t t0 = nc_now_ms();

  cfg->peer_port = port;
  cfg->peer_wait_ms = wait_ms;
  memset(&pl, 0, sizeof pl);
  memset(&r, 0, sizeof r);
  assert_int_equal(probe_family_find("peer")->plan(&pl, cfg), 0);
  assert_int_equal(pl.count, 1);
  e = engine_new(cfg, fetch_backends);
  assert_non_null(e);
  engine_run(e, &pl);
  r.ms = nc_now_ms() - t0;
  r.verdict = pl.head->verdict;
  r.code = pl.head->code;
  nc_strlcpy(r.outcome, pl.head->outcome, sizeof r.outcome);
  nc_strlcpy(r.message, pl.head->message, sizeof r.message);
  detail_str(pl.head->details, "outbound", r.outbound, sizeof r.outbound);
  detail_str(pl.head->details, "inbound", r.inbound, sizeof r.inbound);
  detail_str(pl.head->details, "resolved_from", r.resolved_from, sizeof r.resolved_from);
  detail_str(pl.head->details, "outbound_error", r.outbound_error, sizeof r.outbound_error);
  detail_str(pl.head->details, "inbound_error", r.inbound_error, sizeof r.inbound_error);
  plan_free(&pl);
  engine_free(e);
  free(cfg);
  return r;
}

static int listen_on(const char *ip, int port) {
  struct sockaddr_in a;
  int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(fd, 8), 0);
  return fd;
}

static int connect_to(const char *ip, int port) {
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* FAKE_BLACKHOLE: answers HELLO and the PINGs, then reads nothing more (its
 * kernel still acknowledges what fits in the receive buffer: a peer that
 * stops reading, not a black hole). FAKE_CLOSE_AT_BULK: answers HELLO and
 * the PINGs, the last PONG and its FIN in one segment, before any bulk byte
 * could arrive: a listener that gave up on a bulk of which nothing came
 * (what it sees in a path-MTU black hole) before the client did. */
enum fake { FAKE_GARBAGE, FAKE_SILENT, FAKE_BLACKHOLE, FAKE_SERVE_ONLY, FAKE_CLOSE_AT_BULK };

static bool at_bulk_mode(enum fake mode) {
  return mode == FAKE_BLACKHOLE || mode == FAKE_CLOSE_AT_BULK;
}

/* A fake peer on PEER:port, in a child, for ms milliseconds. */
static pid_t fake_peer(enum fake mode, int port, int ms) {
  int lfd = listen_on(PEER, port);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid > 0) {
    close(lfd);
    return pid;
  }
  alarm((unsigned)(ms / 1000 + 2));
  int64_t end = nc_now_ms() + ms;
  int held[8], n_held = 0;
  while (nc_now_ms() < end) {
    struct pollfd pfd = {.fd = lfd, .events = POLLIN};
    if (poll(&pfd, 1, 50) <= 0)
      continue;
    int c = accept(lfd, NULL, NULL);
    if (c < 0)
      continue;
    if (mode == FAKE_GARBAGE) {
      const char *g = "HTTP/1.1 400 Bad Request\r\n\r\n";
      ssize_t w = write(c, g, strlen(g));
      (void)w;
      close(c);
      continue;
    }
    if (mode == FAKE_SILENT) {
      if (n_held < 8)
        held[n_held++] = c;
      continue;
    }
    /* Serve the session; the black hole stops reading at the bulk. */
    struct peerproto_srv srv;
    uint8_t buf[4096], out[512];
    peerproto_srv_init(&srv, peerproto_job_hash("job-test"), PEER);
    for (;;) {
      size_t outlen = 0;
      bool at_bulk = at_bulk_mode(mode);
      ssize_t r = read(c, buf, at_bulk ? PEERPROTO_U64_FRAME : sizeof buf);
      if (r <= 0 || peerproto_srv_feed(&srv, buf, (size_t)r, out, sizeof out, &outlen) < 0)
        break;
      if (mode == FAKE_CLOSE_AT_BULK && srv.pings == 3) {
        int one = 1; /* hold the PONG back; shutdown sends it with the FIN */
        setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof one);
      }
      if (outlen && write(c, out, outlen) != (ssize_t)outlen)
        break;
      if (mode == FAKE_CLOSE_AT_BULK && srv.pings == 3)
        shutdown(c, SHUT_WR);
      if (srv.state == PEERPROTO_SRV_DONE || (at_bulk && srv.pings == 3))
        break;
    }
    if (at_bulk_mode(mode) && n_held < 8)
      held[n_held++] = c; /* keep it open: nothing more is read */
    else
      close(c);
  }
  (void)held;
  _exit(0);
}

static void reap(pid_t pid) {
  int status;
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
}

static void test_two_netchecks_confirm_each_other(void **state) {
  int port = test_port(), status;
  pid_t pid;
  (void)state;
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    struct run r = run_peer_phase(PEER, SELF, port, 5000);
    _exit(r.verdict == NC_VERDICT_PASS && r.code == NC_OK ? 0 : 1);
  }
  struct run r = run_peer_phase(SELF, PEER, port, 5000);
  waitpid(pid, &status, 0);
  assert_string_equal(r.outcome, "ok");
  assert_int_equal(r.verdict, NC_VERDICT_PASS);
  assert_int_equal(r.code, NC_OK);
  assert_string_equal(r.outbound, "ok");
  assert_string_equal(r.inbound, "ok");
  assert_true(r.ms < 3000); /* the barrier lifts when both directions are confirmed */
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_peer_that_never_starts_is_refused(void **state) {
  struct run r = run_peer_phase(SELF, PEER, test_port(), 1500);
  (void)state;
  assert_int_equal(r.verdict, NC_VERDICT_FAIL);
  assert_int_equal(r.code, NC_PEER_REFUSED);
  assert_string_equal(r.inbound, "missing");
  assert_true(r.ms >= 1400);
}

/* Our peer phase (1.5 s) against a fake peer of this mode (3 s) on a fresh
 * port, which it leaves in *port_out unless that is NULL. */
static struct run run_against_fake(enum fake mode, int *port_out) {
  int port = test_port();
  pid_t pid = fake_peer(mode, port, 3000);
  struct run r = run_peer_phase(SELF, PEER, port, 1500);
  reap(pid);
  if (port_out)
    *port_out = port;
  return r;
}

static void test_name_that_never_resolves_is_peer_dns(void **state) {
  struct run r = run_peer_phase(SELF, "nc-no-such-peer.invalid", test_port(), 1500);
  (void)state;
  assert_int_equal(r.verdict, NC_VERDICT_FAIL);
  assert_int_equal(r.code, NC_PEER_DNS);
  assert_string_equal(r.outcome, "dns_failed");
  assert_string_equal(r.outbound, "dns");
}

static void test_garbage_answer_is_not_netcheck(void **state) {
  struct run r = run_against_fake(FAKE_GARBAGE, NULL);
  (void)state;
  assert_int_equal(r.code, NC_PEER_NOT_NETCHECK);
  assert_string_equal(r.outbound, "not_netcheck");
  assert_non_null(strstr(r.message, "invalid frame"));
}

static void test_silent_listener_is_not_netcheck(void **state) {
  struct run r = run_against_fake(FAKE_SILENT, NULL);
  (void)state;
  assert_int_equal(r.code, NC_PEER_NOT_NETCHECK);
}

/* The peer's kernel acknowledges bulk bytes (large packets pass) but its
 * netcheck never answers: late (an overloaded host), not a black hole,
 * however long it takes. */
static void test_peer_that_stops_reading_the_bulk_is_late_not_a_black_hole(void **state) {
  struct run r = run_against_fake(FAKE_BLACKHOLE, NULL);
  (void)state;
  assert_int_equal(r.code, NC_TIMEOUT_BUDGET);
  assert_string_equal(r.outcome, "bulk_unanswered");
  assert_string_equal(r.outbound, "late");
  assert_non_null(strstr(r.outbound_error, "acknowledged, no BULK_ACK before the peer deadline"));
  assert_null(strstr(r.outbound_error, " 0 acknowledged"));
}

/* The listener gives up on the stalled bulk first and closes the session,
 * nothing of the bulk acknowledged: still the black-hole signature (small
 * frames passed, the bulk did not), not a broken session or a blocked port. */
static void test_listener_closing_during_the_bulk_is_a_pmtu_black_hole(void **state) {
  struct run r = run_against_fake(FAKE_CLOSE_AT_BULK, NULL);
  (void)state;
  assert_int_equal(r.code, NC_PEER_PMTU_BLACKHOLE);
  assert_string_equal(r.outcome, "bulk_stalled");
  assert_string_equal(r.outbound, "stalled");
  assert_non_null(strstr(r.outbound_error, "0 acknowledged, then " PEER " closed the connection"));
  assert_non_null(strstr(r.message, "path-MTU black hole"));
}

/* A peer (a forked child) connects to our port, passes HELLO and the PINGs,
 * sends bulk_frames BULK frames (not the last) and gives up (closes), while
 * a fake peer serves our own session to it: returns what our probe said. */
static struct run inbound_gives_up(int bulk_frames) {
  int port = test_port(), status;
  pid_t server = fake_peer(FAKE_SERVE_ONLY, port, 4000);
  pid_t client = fork();
  assert_true(client >= 0);
  if (client == 0) {
    uint8_t buf[PEERPROTO_MAX_FRAME], in[PEERPROTO_HELLO_MAX];
    struct peerproto_frame f;
    size_t used, n = 0, len;
    int fd = -1;
    alarm(5);
    for (int i = 0; i < 100 && fd < 0; i++) {
      fd = connect_to(SELF, port);
      if (fd < 0)
        poll(NULL, 0, 20);
    }
    if (fd < 0)
      _exit(2);
    len = peerproto_encode_hello(buf, sizeof buf, PEERPROTO_HELLO, peerproto_job_hash("job-test"),
                                 PEER);
    if (write(fd, buf, len) != (ssize_t)len)
      _exit(3);
    for (int want = 0; want < 1 + PEERPROTO_CLIENT_PINGS; want++) {
      for (;;) { /* one answer: HELLO_ACK, then a PONG per PING */
        if (n && peerproto_decode(in, n, &f, &used) == PEERPROTO_OK)
          break;
        ssize_t r = read(fd, in + n, sizeof in - n);
        if (r <= 0)
          _exit(4);
        n += (size_t)r;
      }
      memmove(in, in + used, n - used);
      n -= used;
      if (want < PEERPROTO_CLIENT_PINGS) {
        len = peerproto_encode_u64(buf, sizeof buf, PEERPROTO_PING, (uint64_t)want);
        if (write(fd, buf, len) != (ssize_t)len)
          _exit(5);
      }
    }
    len = peerproto_encode_bulk(buf, sizeof buf, PEERPROTO_MAX_PAYLOAD, 0);
    for (int i = 0; i < bulk_frames; i++)
      if (write(fd, buf, len) != (ssize_t)len)
        _exit(6);
    poll(NULL, 0, 100);
    close(fd); /* gives up before the last BULK frame */
    _exit(0);
  }
  struct run r = run_peer_phase(SELF, PEER, port, 1500);
  waitpid(client, &status, 0);
  reap(server);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  return r;
}

/* Nothing of the peer's bulk arrives after its handshake and PINGs passed:
 * the inbound half of a black hole. Our own session to it succeeds, so this
 * host reports the black hole from the inbound side, and says what it saw. */
static void test_peer_whose_bulk_to_us_never_arrives_is_an_inbound_black_hole(void **state) {
  struct run r = inbound_gives_up(0);
  (void)state;
  assert_int_equal(r.code, NC_PEER_PMTU_BLACKHOLE);
  assert_string_equal(r.outcome, "inbound_bulk_stalled");
  assert_string_equal(r.outbound, "ok");
  assert_string_equal(r.inbound, "hello_only");
  assert_non_null(strstr(r.inbound_error, "stalled after the handshake and 3 PING(s): 0 of 32768 "
                                          "bytes arrived, then " PEER " closed the connection"));
}

/* Part of the peer's bulk arrives (large packets pass), then it gives up:
 * an unfinished transfer (an overloaded host or link), not a black hole. */
static void test_peer_whose_bulk_to_us_stops_midway_is_incomplete(void **state) {
  struct run r = inbound_gives_up(2);
  (void)state;
  assert_int_equal(r.code, NC_TIMEOUT_BUDGET);
  assert_string_equal(r.outcome, "inbound_bulk_incomplete");
  assert_string_equal(r.inbound, "partial");
  assert_non_null(strstr(r.inbound_error, "8192 of 32768 bytes arrived"));
}

/* details.resolved_from names where the address came from, also after the
 * resolver's answer is gone (it was a pointer into it: garbage bytes). */
static void test_resolved_from_says_where_the_address_came_from(void **state) {
  /* localhost is in /etc/hosts; nothing listens on 127.0.0.1:port. */
  struct run r = run_peer_phase(PEER, "localhost", test_port(), 1200);
  (void)state;
  assert_int_equal(r.code, NC_PEER_REFUSED);
  assert_string_equal(r.resolved_from, "hosts");
  r = run_peer_phase(SELF, PEER, test_port(), 600);
  assert_string_equal(r.resolved_from, "literal");
}

static void test_peer_that_never_connects_back_is_reported_blocked_inbound(void **state) {
  int port;
  struct run r = run_against_fake(FAKE_SERVE_ONLY, &port);
  (void)state;
  assert_int_equal(r.verdict, NC_VERDICT_FAIL);
  assert_int_equal(r.code, NC_PEER_BLOCKED);
  assert_string_equal(r.outcome, "inbound_missing");
  assert_string_equal(r.outbound, "ok");
  char want[256];
  nc_snprintf(want, sizeof want,
              "%s cannot reach %s on port %d (%s reaches %s): inbound from %s blocked", PEER, SELF,
              port, SELF, PEER, PEER);
  assert_string_equal(r.message, want);
}

/* A stranger connects to our port: it gets no byte, and is closed: at once
 * when it sends garbage, after the HELLO deadline when it sends nothing. */
static void test_a_stranger_on_the_port_gets_nothing(void **state) {
  int port = test_port(), status;
  pid_t pid = fork();
  (void)state;
  assert_true(pid >= 0);
  if (pid == 0) {
    int fd = -1, bad = 0;
    char buf[64];
    alarm(5);
    for (int i = 0; i < 100 && fd < 0; i++) {
      fd = connect_to(SELF, port);
      if (fd < 0)
        poll(NULL, 0, 20);
    }
    int quiet = connect_to(SELF, port);
    if (fd < 0 || quiet < 0)
      _exit(2);
    int64_t t0 = nc_now_ms();
    if (write(fd, "GET / HTTP/1.0\r\n\r\n", 18) != 18)
      _exit(3);
    bad |= read(fd, buf, sizeof buf) != 0; /* EOF, no byte */
    bad |= (nc_now_ms() - t0 > 500) << 1;  /* at once */
    bad |= (read(quiet, buf, sizeof buf) != 0) << 2;
    int64_t waited = nc_now_ms() - t0;
    bad |= (waited < 1500 || waited > 3500) << 3; /* the 2 s HELLO deadline */
    _exit(bad ? 10 + bad : 0);
  }
  struct run r = run_peer_phase(SELF, PEER, port, 3000);
  waitpid(pid, &status, 0);
  assert_int_equal(r.code, NC_PEER_REFUSED);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* The listener takes 4 x hosts connections; when strangers hold them all,
 * the oldest stranger makes room for a newcomer, so a peer's HELLO still
 * gets its HELLO_ACK. */
static void test_strangers_holding_every_slot_do_not_keep_a_peer_out(void **state) {
  int port = test_port(), status;
  pid_t pid = fork();
  (void)state;
  assert_true(pid >= 0);
  if (pid == 0) {
    int held[9], fd = -1;
    uint8_t buf[PEERPROTO_HELLO_MAX];
    struct peerproto_frame f;
    size_t used, n = 0;
    alarm(5);
    for (int i = 0; i < 100 && fd < 0; i++) {
      fd = connect_to(SELF, port);
      if (fd < 0)
        poll(NULL, 0, 20);
    }
    held[0] = fd;
    for (int i = 1; i < 9; i++) /* one more than the 2 x 4 slots */
      held[i] = connect_to(SELF, port);
    poll(NULL, 0, 200); /* all accepted, none says HELLO */
    fd = connect_to(SELF, port);
    if (fd < 0 || held[8] < 0)
      _exit(2);
    size_t len = peerproto_encode_hello(buf, sizeof buf, PEERPROTO_HELLO,
                                        peerproto_job_hash("job-test"), PEER);
    if (write(fd, buf, len) != (ssize_t)len)
      _exit(3);
    while (n < sizeof buf) {
      ssize_t r = read(fd, buf + n, sizeof buf - n);
      if (r <= 0)
        _exit(4); /* closed: kept out */
      n += (size_t)r;
      if (peerproto_decode(buf, n, &f, &used) == PEERPROTO_OK)
        _exit(f.type == PEERPROTO_HELLO_ACK ? 0 : 5);
    }
    _exit(6);
  }
  run_peer_phase(SELF, PEER, port, 1500);
  waitpid(pid, &status, 0);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* Last: every remediation the tests above wrote had all its slots filled
 * (the PEER_* fix templates of agent/diag.c). */
static void test_every_fix_slot_was_filled(void **state) {
  (void)state;
  assert_int_equal(diag_fix_unfilled(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_job_hash_is_fnv1a_64),
      cmocka_unit_test(test_hello_round_trip_carries_job_hash_and_host_name),
      cmocka_unit_test(test_u64_frames_round_trip),
      cmocka_unit_test(test_every_truncation_of_a_valid_frame_needs_more),
      cmocka_unit_test(test_oversize_length_is_rejected_from_the_header),
      cmocka_unit_test(test_wrong_magic_is_rejected_before_the_frame_is_complete),
      cmocka_unit_test(test_wrong_version_is_rejected),
      cmocka_unit_test(test_a_stranger_is_rejected_from_its_first_byte),
      cmocka_unit_test(test_unknown_flags_are_rejected),
      cmocka_unit_test(test_bad_host_names_are_rejected),
      cmocka_unit_test(test_encoders_refuse_what_does_not_fit),
      cmocka_unit_test(test_listener_answers_hello_of_its_job_with_hello_ack),
      cmocka_unit_test(test_listener_answers_nothing_to_another_job),
      cmocka_unit_test(test_listener_answers_nothing_to_garbage),
      cmocka_unit_test(test_listener_rejects_any_frame_before_hello),
      cmocka_unit_test(test_listener_echoes_pings_and_acks_the_whole_bulk),
      cmocka_unit_test(test_listener_limits_pings),
      cmocka_unit_test(test_listener_limits_bulk_bytes),
      cmocka_unit_test(test_listener_gives_up_on_a_client_that_does_not_read),
      cmocka_unit_test(test_listener_knows_when_a_session_is_in_its_bulk),
      cmocka_unit_test(test_single_host_job_has_no_peer_phase),
      cmocka_unit_test(test_plan_has_one_probe_per_other_host),
      cmocka_unit_test(test_no_peer_phase_without_a_current_host),
      cmocka_unit_test(test_two_netchecks_confirm_each_other),
      cmocka_unit_test(test_peer_that_never_starts_is_refused),
      cmocka_unit_test(test_name_that_never_resolves_is_peer_dns),
      cmocka_unit_test(test_garbage_answer_is_not_netcheck),
      cmocka_unit_test(test_silent_listener_is_not_netcheck),
      cmocka_unit_test(test_peer_that_stops_reading_the_bulk_is_late_not_a_black_hole),
      cmocka_unit_test(test_listener_closing_during_the_bulk_is_a_pmtu_black_hole),
      cmocka_unit_test(test_peer_whose_bulk_to_us_never_arrives_is_an_inbound_black_hole),
      cmocka_unit_test(test_peer_whose_bulk_to_us_stops_midway_is_incomplete),
      cmocka_unit_test(test_resolved_from_says_where_the_address_came_from),
      cmocka_unit_test(test_peer_that_never_connects_back_is_reported_blocked_inbound),
      cmocka_unit_test(test_a_stranger_on_the_port_gets_nothing),
      cmocka_unit_test(test_strangers_holding_every_slot_do_not_keep_a_peer_out),
      cmocka_unit_test(test_every_fix_slot_was_filled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
