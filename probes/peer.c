/*
 * peer.c - the peer probe family: one probe per other host of the job
 * ("peer:HOST"), plus one listener on --peer-port shared by all of them.
 *
 * Each probe resolves its host (retrying: names may appear late), connects,
 * speaks the protocol of agent/peerproto.c (HELLO, 3 PINGs, a 32 KiB BULK) and
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
 *
 * This file plans the probes and holds the probe ops; the listener is
 * peer_listen.c, the outbound session peer_client.c, the verdicts and their
 * texts peer_verdict.c, what they share peer_int.h.
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

static const struct probe_ops peer_ops;

/* Frees the family's state (plan_free): the last probe to finish closed
 * the listener and the connections. */
static void peer_fam_free(void *state) { free(state); }

/* ---- plan ---- */

static int peer_plan(struct plan *pl, const struct nc_config *cfg) {
  const struct nc_job *j = &cfg->job;
  if (j->n_hosts < 2)
    return 0; /* a single-host job has no peer phase */
  if (!peerproto_name_valid(j->current_host)) {
    NC_WARN("peer: the current host name is unknown or not a host name; no peer phase");
    return 0;
  }
  void **slot = plan_family_state(pl, &peer_family);
  if (!*slot) {
    struct peer_fam *pf = calloc(1, sizeof(*pf));
    if (!pf)
      return -1;
    pf->listen_fd = -1;
    *slot = pf;
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

/* ---- probe ops ---- */

static int peer_start(struct probe *p) {
  struct peer_fam *pf = peer_fam(p);
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
  peer_after(pf);
  return 0;
}

static void peer_on_event(struct probe *p, int fd, uint32_t events) {
  struct peer_fam *pf = peer_fam(p);
  struct peer_state *st = p->priv;
  if (fd == st->fd) {
    peer_out_event(st, events);
  } else if (p == pf->owner && fd == pf->listen_fd) {
    peer_accept(pf);
  } else if (p == pf->owner) {
    for (struct peer_conn *c = pf->conns; c; c = c->next) {
      if (c->fd == fd) {
        peer_conn_event(pf, c, events);
        break;
      }
    }
  }
  peer_after(pf);
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
  struct peer_fam *pf = peer_fam(p);
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
  if (p == pf->owner)
    peer_conns_expire(pf, now);
  peer_after(pf);
}

static void peer_on_timeout(struct probe *p) {
  struct peer_fam *pf = peer_fam(p);
  struct peer_state *st = p->priv;
  if (st->attached)
    peer_conclude(st);
  peer_after(pf);
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
    .help = "mesh to every other host: connect, HELLO, RTT, " PEERPROTO_BULK_TEXT
            " transfer, start barrier",
    .tier = NC_TIER_REQUIRED,
    .expect = NC_EXPECT_REACHABLE,
    .tier_note = "multi-host jobs only",
    .plan = peer_plan,
    .free_state = peer_fam_free,
};
