/*
 * peer_verdict.c - the peer probe's verdict from both directions: the
 * report's details, the outbound failure's message, the remediation
 * texts, and when a probe may finish (conclude, settle, rearm).
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
  struct peer_fam *pf = peer_fam(st->p);
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
  if (pf->listen_errno)
    cJSON_AddStringToObject(d, "listen_error", strerror(pf->listen_errno));
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

/* The fix, in what a managed job lets a user change (the PEER_* templates
 * of agent/diag.c). out_ok / in_ok: this host reached the peer / the peer
 * reached this host. */
static void peer_remedy(struct probe *p, enum nc_code code, bool out_ok, bool in_ok) {
  const char *peer = p->target, *self = p->cfg->job.current_host;
  /* PEER_BLOCKED one way only: the same security groups are on every host. */
  const char *from = out_ok ? peer : self, *to = out_ok ? self : peer;
  char port[16];
  switch (code) {
  case NC_PEER_DNS:
  case NC_PEER_BLOCKED:
  case NC_PEER_REFUSED:
  case NC_PEER_NOT_NETCHECK:
  case NC_PEER_PMTU_BLACKHOLE:
    nc_snprintf(port, sizeof port, "%d", p->cfg->peer_port);
    probe_fix(
        p, code, code == NC_PEER_BLOCKED && out_ok != in_ok ? "one_way" : NULL,
        DIAG_FACTS({"port", port}, {"peer", peer}, {"self", self}, {"from", from}, {"to", to}));
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
void peer_conclude(struct peer_state *st) {
  struct peer_fam *pf = peer_fam(st->p);
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
  for (struct peer_conn *c = pf->conns; c && st->in < PEER_IN_STALLED; c = c->next) {
    int64_t quiet = nc_now_ms() - c->last_rx_ms;
    if (peerproto_srv_in_bulk(&c->srv) && strcasecmp(c->srv.peer, peer) == 0 &&
        (c->srv.bulk_bytes > 0 || quiet >= PEER_FOLD_MIN_MS)) {
      char how[96];
      if (c->srv.bulk_bytes > 0)
        nc_strlcpy(how, "the peer deadline came", sizeof(how));
      else
        nc_snprintf(how, sizeof(how), "nothing more for %.1f s before the peer deadline",
                    (double)quiet / 1000.0);
      peer_conn_end(pf, c, how);
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
  } else if (out_ok && pf->listen_errno) {
    code = NC_PEER_REFUSED;
    outcome = "listen_failed";
    nc_snprintf(msg, sizeof(msg),
                "%s could not listen on port %d (%s), so %s cannot reach it (%s reaches %s)", self,
                port, strerror(pf->listen_errno), peer, self, peer);
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
static void peer_settle(struct peer_fam *pf) {
  bool again = true;
  while (again) {
    again = false;
    for (struct peer_state *s = pf->live; s; s = s->next) {
      bool in_done = s->in == PEER_IN_OK || (pf->listen_fd < 0 && pf->listen_errno);
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
  struct peer_fam *pf = peer_fam(st->p);
  int64_t w = 0;
  if (st->phase == PEER_PH_IDLE)
    w = st->retry_at;
  else if (st->phase >= PEER_PH_CONNECTING && st->phase <= PEER_PH_BULK)
    w = st->phase_deadline;
  if (pf->owner == st->p) {
    for (const struct peer_conn *c = pf->conns; c; c = c->next)
      if (!w || c->deadline_ms < w)
        w = c->deadline_ms;
    if (pf->listen_paused && (!w || pf->listen_resume_ms < w))
      w = pf->listen_resume_ms;
  }
  /* What falls at or after the deadline is on_timeout's to settle. */
  if (w && st->p->deadline_ms && w >= st->p->deadline_ms)
    w = 0;
  probe_wake_at(st->p, w);
}

/* After any event: finish who can, re-arm who is left. */
void peer_after(struct peer_fam *pf) {
  peer_settle(pf);
  for (struct peer_state *s = pf->live; s; s = s->next)
    peer_rearm(s);
}
