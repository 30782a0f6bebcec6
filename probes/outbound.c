/*
 * outbound.c - resolve, request and observe: the step the repo, egress and
 * aws families share (outbound.h). The families differ only in how they
 * judge an observation; everything about running the request, timing it,
 * and recording addresses, status and errors in the report lives here once.
 */
#include "netcheck/outbound.h"

#include <ares.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netcheck/common.h"
#include "netcheck/fetch.h"
#include "netcheck/http.h"
#include "netcheck/resolve.h"
#include "netcheck/transport.h"

#define OUTBOUND_URL_MAX 1024
#define OUTBOUND_TAG_MAX 64
/* The transport must report before the probe's deadline, or the probe only
 * learns "deadline" instead of "connect_timeout": keep this much in hand. */
#define OUTBOUND_MARGIN_MS 500

/* p->priv of a probe that uses outbound_fetch. */
struct outbound_ctx {
  outbound_cb cb;
  void *arg;
  enum nc_code no_route_code;
  enum nc_code prior; /* code of the previous request's observation */
  bool connect_only;
  bool requested;
  int64_t started_ms; /* times a DNS failure, which comes without a response */
  char url[OUTBOUND_URL_MAX];
};

/* ---- observing ---- */

static void outbound_lower_name(enum nc_code code, char *out, size_t len) {
  size_t i;
  nc_strlcpy(out, diag_name(code), len);
  for (i = 0; out[i]; i++)
    if (out[i] >= 'A' && out[i] <= 'Z')
      out[i] = (char)(out[i] - 'A' + 'a');
}

void outbound_observe(int dns_status, const struct nc_addrs *addrs, const struct http_resp *r,
                      bool connect_only, enum nc_code no_route_code, struct outbound_obs *o) {
  int code;
  memset(o, 0, sizeof *o);
  o->addrs = addrs;
  o->resp = r;
  if (dns_status != 0 || !r) {
    code = dns_status ? transport_dns_code(dns_status) : NC_DNS_SERVFAIL;
    /* c-ares 1.18 ends a lookup whose servers all answered REFUSED or
     * SERVFAIL with the same status as one where none listened: the dns
     * probe of the name, which asks each server itself, tells which. */
    o->dns_ambiguous = dns_status == ARES_ECONNREFUSED;
    o->stage = OUTBOUND_DNS_FAILED;
    o->code = code == NC_OK ? NC_DNS_SERVFAIL : (enum nc_code)code;
    outbound_lower_name(o->code, o->outcome, sizeof o->outcome); /* "dns_nxdomain" */
    return;
  }
  if (r->status > 0) {
    /* An answer counts even when the body was cut at the cap (a write error). */
    o->stage = OUTBOUND_ANSWERED;
    o->code = NC_OK;
    o->status = r->status;
    nc_snprintf(o->outcome, sizeof o->outcome, "http_%ld", r->status);
    return;
  }
  if (connect_only && r->curl_code == 0) { /* CURLE_OK */
    o->stage = OUTBOUND_CONNECTED;
    o->code = NC_OK;
    nc_strlcpy(o->outcome, "connected", sizeof o->outcome);
    return;
  }
  code = transport_http_code(r, no_route_code, o->outcome, sizeof o->outcome);
  if (code < 0 || code == NC_OK) {
    /* The transport claims success yet no status came: treat it as no answer. */
    code = no_route_code;
    nc_strlcpy(o->outcome, "no_answer", sizeof o->outcome);
  }
  if (!o->outcome[0])
    nc_strlcpy(o->outcome, "transport_error", sizeof o->outcome);
  o->code = (enum nc_code)code;
  if (code == NC_TLS_UNTRUSTED || code == NC_TLS_HANDSHAKE)
    o->stage = OUTBOUND_TLS_FAILED;
  else if (code == NC_DNS_NXDOMAIN || code == NC_DNS_SERVFAIL || code == NC_DNS_TIMEOUT ||
           code == NC_DNS_NO_RESOLVER || code == NC_DNS_REFUSED)
    o->stage = OUTBOUND_DNS_FAILED; /* curl resolved by itself and failed */
  else
    o->stage = OUTBOUND_NO_CONNECT;
}

bool outbound_reached(const struct outbound_obs *o) {
  return o->stage == OUTBOUND_ANSWERED || o->stage == OUTBOUND_CONNECTED ||
         (o->stage == OUTBOUND_TLS_FAILED && o->code == NC_TLS_UNTRUSTED);
}

bool outbound_usable(const struct outbound_obs *o) {
  return o->stage == OUTBOUND_ANSWERED || o->stage == OUTBOUND_CONNECTED;
}

void outbound_judge(const struct probe *p, const struct outbound_obs *o, enum nc_code dns_code,
                    enum nc_code unreachable_code, struct outbound_judgement *j) {
  bool expect_blocked = p->expect == NC_EXPECT_BLOCKED;
  /* Blocked means nothing got out; reachable means the workload could use it. */
  j->verdict = probe_judge(p, expect_blocked ? outbound_reached(o) : outbound_usable(o));
  if (j->verdict == NC_VERDICT_PASS) {
    j->code = NC_OK;
    return;
  }
  if (expect_blocked) {
    j->code = NC_EGRESS_UNEXPECTED;
    return;
  }
  j->code = o->code;
  if (o->stage == OUTBOUND_DNS_FAILED && dns_code != NC_OK)
    j->code = dns_code;
  else if (o->stage == OUTBOUND_NO_CONNECT && o->code != NC_TIMEOUT_BUDGET &&
           unreachable_code != NC_OK)
    j->code = unreachable_code;
}

void outbound_describe(const struct outbound_obs *o, const char *host, char *out, size_t len) {
  const struct http_resp *r = o->resp;
  const char *ip = r && r->primary_ip[0]         ? r->primary_ip
                   : o->addrs && o->addrs->n > 0 ? o->addrs->a[0].text
                                                 : "?";
  switch (o->stage) {
  case OUTBOUND_DNS_FAILED:
    if (o->dns_ambiguous)
      nc_snprintf(out, len,
                  "%s did not resolve (the nameservers refused, failed or did not answer: its "
                  "dns probe says which)",
                  host);
    else
      nc_snprintf(out, len, "%s did not resolve (%s)", host, diag_name(o->code));
    break;
  case OUTBOUND_NO_CONNECT:
    if (o->code == NC_TIMEOUT_BUDGET)
      nc_snprintf(out, len, "%s gave no answer before the deadline", host);
    else
      nc_snprintf(out, len, "no connection to %s at %s (%s)", host, ip, o->outcome);
    break;
  case OUTBOUND_TLS_FAILED:
    nc_snprintf(out, len, "TLS to %s at %s failed (%s)", host, ip, o->outcome);
    break;
  case OUTBOUND_CONNECTED:
    nc_snprintf(out, len, "TCP and TLS to %s at %s succeeded", host, ip);
    break;
  case OUTBOUND_ANSWERED:
    nc_snprintf(out, len, "%s at %s answered HTTP %ld (%zu bytes)", host, ip, o->status,
                r ? r->body_len : (size_t)0);
    break;
  }
}

bool outbound_transport_code(enum nc_code code) {
  switch (code) {
  case NC_DNS_NXDOMAIN:
  case NC_DNS_SERVFAIL:
  case NC_DNS_REFUSED:
  case NC_DNS_TIMEOUT:
  case NC_DNS_NO_RESOLVER:
  case NC_TLS_UNTRUSTED:
  case NC_TLS_HANDSHAKE:
  case NC_TIMEOUT_BUDGET:
    return true;
  default:
    return false;
  }
}

/* ---- running ---- */

/* Replaces key in obj: a follow-up request must not leave two "url" keys. */
static void outbound_set(cJSON *obj, const char *key, cJSON *item) {
  if (!obj || !item) {
    cJSON_Delete(item);
    return;
  }
  if (cJSON_GetObjectItemCaseSensitive(obj, key))
    cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
  else
    cJSON_AddItemToObject(obj, key, item);
}

static void outbound_record(struct probe *p, const struct outbound_ctx *c,
                            const struct outbound_obs *o) {
  cJSON *d = probe_details(p);
  const struct http_resp *r = o->resp;
  char shown[NC_PATH_MAX];
  nc_redact_url(c->url, shown, sizeof shown);
  outbound_set(d, "url", cJSON_CreateString(shown));
  if (o->addrs && o->addrs->n > 0) {
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < o->addrs->n && i < NC_MAX_ADDRS; i++)
      cJSON_AddItemToArray(list, cJSON_CreateString(o->addrs->a[i].text));
    outbound_set(d, "addresses", list);
    outbound_set(d, "address_class", cJSON_CreateString(resolve_addr_class(&o->addrs->a[0])));
    if (o->addrs->source[0])
      outbound_set(d, "address_source", cJSON_CreateString(o->addrs->source));
  }
  if (!r) {
    if (o->stage == OUTBOUND_DNS_FAILED && c->started_ms > 0)
      p->t.dns = p->t.total = (double)(nc_now_ms() - c->started_ms);
    return;
  }
  p->t = r->t;
  if (r->primary_ip[0])
    outbound_set(d, "primary_ip", cJSON_CreateString(r->primary_ip));
  if (outbound_usable(o)) /* a follow-up request worked: drop the earlier one's error */
    cJSON_DeleteItemFromObjectCaseSensitive(d, "error");
  if (o->stage == OUTBOUND_ANSWERED) {
    outbound_set(d, "http_status", cJSON_CreateNumber((double)r->status));
    outbound_set(d, "bytes", cJSON_CreateNumber((double)r->body_len));
    if (r->body_truncated)
      outbound_set(d, "body_truncated", cJSON_CreateBool(1));
    if (r->server[0])
      outbound_set(d, "server", cJSON_CreateString(r->server));
  } else if (o->stage != OUTBOUND_CONNECTED && r->error[0]) {
    outbound_set(d, "error", cJSON_CreateString(r->error));
  }
}

static void outbound_on_fetch(struct probe *p, int dns_status, const struct nc_addrs *addrs,
                              const struct http_resp *r, void *arg) {
  struct outbound_ctx *c = arg;
  struct outbound_obs o;
  outbound_observe(dns_status, addrs, r, c->connect_only, c->no_route_code, &o);
  o.prior = c->prior;
  c->requested = false;
  outbound_record(p, c, &o);
  c->prior = o.code;
  c->cb(p, &o, c->arg);
}

int outbound_fetch(struct probe *p, const struct http_req *rq, enum nc_code no_route_code,
                   outbound_cb cb, void *arg) {
  struct outbound_ctx *c = p->priv;
  struct http_req req = *rq;
  if (!c) {
    c = calloc(1, sizeof *c);
    if (!c)
      return -1;
    c->prior = NC_OK;
    p->priv = c;
  }
  c->cb = cb;
  c->arg = arg;
  c->no_route_code = no_route_code;
  c->connect_only = rq->connect_only;
  nc_strlcpy(c->url, rq->url, sizeof c->url);
  if (req.timeout_ms <= 0) {
    int64_t left = probe_remaining_ms(p);
    int64_t margin = left / 10 < OUTBOUND_MARGIN_MS ? left / 10 : OUTBOUND_MARGIN_MS;
    req.timeout_ms = left - margin > 0 ? (int)(left - margin) : 1;
  }
  c->requested = true;
  c->started_ms = nc_now_ms();
  if (fetch_request(p->eng, p, &req, outbound_on_fetch, c)) {
    c->requested = false;
    return -1;
  }
  return 0;
}

void outbound_on_timeout(struct probe *p) {
  struct outbound_ctx *c = p->priv;
  struct outbound_obs o;
  if (!c || !c->requested)
    return; /* the engine finishes it with TIMEOUT_BUDGET */
  memset(&o, 0, sizeof o);
  o.stage = OUTBOUND_NO_CONNECT;
  o.code = NC_TIMEOUT_BUDGET;
  o.prior = c->prior;
  nc_strlcpy(o.outcome, "timeout", sizeof o.outcome);
  c->requested = false;
  outbound_record(p, c, &o);
  c->cb(p, &o, c->arg);
}

void outbound_cleanup(struct probe *p) {
  free(p->priv);
  p->priv = NULL;
}

/* ---- parsing ---- */

int outbound_url_host(const char *url, char *host, size_t hostlen) {
  const char *s;
  size_t n;
  if (!strncasecmp(url, "https://", 8))
    s = url + 8;
  else if (!strncasecmp(url, "http://", 7))
    s = url + 7;
  else
    return -1;
  n = strcspn(s, ":/?#@[");
  if (n == 0 || n >= hostlen || s[n] == '@' || s[n] == '[')
    return -1; /* no user info, no IPv6 literals: targets are names */
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.' || c == '_'))
      return -1;
  }
  memcpy(host, s, n);
  host[n] = '\0';
  return 0;
}
