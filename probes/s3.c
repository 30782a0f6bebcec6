/*
 * s3.c - the s3 probe family: one probe per bucket (s3:BUCKET).
 *
 * HEAD the bucket over HTTPS on its regional virtual-hosted name, signed
 * when credentials exist and anonymous otherwise, then a ListObjectsV2
 * (max-keys=1) on the job's input prefix pinned to the same address. The
 * HEAD alone proves the path; the GET's XML body says why S3 refused, which
 * a HEAD cannot (it has no body). What the answer means is decided without
 * I/O in s3answer.c (s3_classify); this file sends the requests, keeps the
 * state, and writes the result and its details.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "netcheck/aws.h"
#include "netcheck/common.h"
#include "netcheck/creds_probe.h"
#include "netcheck/engine.h"
#include "netcheck/fetch.h"
#include "netcheck/http.h"
#include "netcheck/outbound.h"
#include "netcheck/partition.h"
#include "netcheck/resolve.h"
#include "netcheck/s3.h"
#include "netcheck/utf8.h"

#define S3_BODY_CAP ((size_t)16 * 1024) /* S3 error bodies are < 2 KB; a 1-key listing too */
#define S3_TIMEOUT_MARGIN_MS 250        /* curl must time out before the probe does */
#define S3_RETRY_MIN_MS 1000            /* budget needed to try the next address */
#define S3_URL_MAX 512
#define S3_QUERY_MAX (3 * NC_PATH_MAX + 64) /* a prefix percent-encodes to 3x */

/* ------------------------------------------------------------------------ */
/* The probe                                                                */

enum s3_phase { S3_PHASE_HEAD, S3_PHASE_LIST };

/* What the plan decided for one bucket (the probe's ctx): where to reach
 * it, and which of the job's S3 locations are in it (indices into
 * cfg->locations, for the report). */
struct s3_bucket_plan {
  struct s3_target t;
  int loc[NC_MAX_LOCATIONS];
  int n_loc;
};

struct s3_state {
  enum s3_phase phase;
  char bucket[64];
  char host[320];
  char path[80]; /* "/" (virtual-hosted) or "/BUCKET" (path-style) */
  char head_url[S3_URL_MAX];
  char list_query[S3_QUERY_MAX];
  char list_url[S3_URL_MAX + S3_QUERY_MAX];
  bool is_signed;
  int64_t started_ms;

  struct nc_addrs addrs;
  bool have_addrs;
  char tried[NC_MAX_ADDRS][46];
  int n_tried;

  char first_failure[64]; /* outcome on the first address, when it failed */

  /* the HEAD's answer */
  double dns_ms; /* of the resolution: retries are pinned */
  long head_status;
  char head_region[64];
  char head_request_id[128];
  struct nc_timings t;

  struct s3_signed_headers sig; /* http_request copies the lines */
};

static void s3_add_string(cJSON *o, const char *name, const char *value) {
  if (value && *value)
    cJSON_AddStringToObject(o, name, value);
}

int s3_target_init(struct s3_target *t, const struct nc_config *cfg, const char *bucket,
                   const char *prefix, const char *region) {
  int trunc = 0;
  memset(t, 0, sizeof(*t));
  t->region_from_uri = region && *region && strcmp(region, cfg->region) != 0;
  nc_strlcpy(t->region, partition_region(region && *region ? region : cfg->region),
             sizeof(t->region));
  nc_strlcpy(t->partition, partition_of_region(t->region)->name, sizeof(t->partition));
  trunc |= nc_strlcpy(t->bucket, bucket, sizeof(t->bucket)) >= sizeof(t->bucket);
  trunc |= nc_strlcpy(t->prefix, prefix ? prefix : "", sizeof(t->prefix)) >= sizeof(t->prefix);
  /* Virtual-hosted style is what the SDKs use; a dotted bucket goes
   * path-style to the regional name (its certificate has no dots), and so
   * does a legacy name with uppercase letters or '_'. */
  if (!partition_bucket_virtual_hosted(bucket)) {
    trunc |= partition_service_host("s3", t->region, cfg->fips, t->host, sizeof(t->host)) != 0;
    trunc |= nc_snprintf(t->path, sizeof(t->path), "/%s", bucket);
  } else {
    trunc |= partition_s3_bucket_host(bucket, t->region, cfg->fips, t->host, sizeof(t->host)) != 0;
    nc_strlcpy(t->path, "/", sizeof(t->path));
  }
  return trunc ? -1 : 0;
}

int s3_sign_headers(struct s3_signed_headers *h, const struct aws_creds *c, const char *method,
                    const char *host, const char *path, const char *query, const char *region,
                    const struct sigv4_header *extra, size_t n_extra) {
  struct sigv4_header hh[1 + S3_MAX_EXTRA_HEADERS];
  size_t n = 0;
  memset(h, 0, sizeof(*h));
  if (n_extra > S3_MAX_EXTRA_HEADERS || nc_snprintf(h->host, sizeof(h->host), "Host: %s", host))
    return -1;
  h->lines[n++] = h->host;
  hh[0].name = "Host";
  hh[0].value = host;
  for (size_t i = 0; i < n_extra; i++) {
    if (nc_snprintf(h->extra[i], sizeof(h->extra[i]), "%s: %s", extra[i].name, extra[i].value))
      return -1;
    h->lines[n++] = h->extra[i];
    hh[1 + i] = extra[i];
  }
  if (c != NULL && c->access_key_id[0]) {
    struct sigv4_request sr = {
        .method = method,
        .path = path,
        .query = query,
        .headers = hh,
        .n_headers = 1 + n_extra,
        .payload = "",
        .payload_len = 0,
        .region = region,
        .service = "s3",
        .now = time(NULL),
        .s3 = true,
        .unsigned_payload = false,
    };
    struct sigv4_signed sig;
    int rc;
    memset(&sig, 0, sizeof(sig));
    rc = sigv4_sign(&sr, c, &sig) || sigv4_header_lines(&sig, c, true, &h->sig);
    sigv4_signed_free(&sig);
    if (rc)
      return -1;
    for (int i = 0; h->sig.lines[i]; i++)
      h->lines[n++] = h->sig.lines[i];
    h->is_signed = true;
  }
  h->lines[n] = NULL;
  return 0;
}

/* Fills rq->headers: Host always, the SigV4 set when signing. 0 or -1. */
static int s3_headers(struct s3_state *st, struct probe *p, const char *method, const char *query,
                      struct http_req *rq) {
  const struct s3_bucket_plan *bp = p->ctx;
  const struct aws_creds *c = st->is_signed ? creds_probe_found(p->plan) : NULL;
  if (s3_sign_headers(&st->sig, c, method, st->host, st->path, query, bp->t.region, NULL, 0))
    return -1;
  st->is_signed = st->sig.is_signed;
  for (int i = 0; i < NC_HTTP_MAX_HEADERS; i++)
    rq->headers[i] = st->sig.lines[i];
  rq->sensitive = st->is_signed; /* the token travels in a header */
  return 0;
}

int s3_request_timeout_ms(const struct probe *p) {
  int64_t left = probe_remaining_ms(p) - S3_TIMEOUT_MARGIN_MS;
  return left < 500 ? 500 : (int)left;
}

static const char *s3_probed_address(const struct s3_state *st) {
  return st->n_tried > 0 ? st->tried[st->n_tried - 1] : "";
}

static bool s3_was_tried(const struct s3_state *st, const char *addr) {
  for (int i = 0; i < st->n_tried; i++)
    if (strcmp(st->tried[i], addr) == 0)
      return true;
  return false;
}

/* The next resolved address no request has used yet, or NULL. */
static const char *s3_untried_address(const struct s3_state *st) {
  for (int i = 0; st->have_addrs && i < st->addrs.n; i++)
    if (!s3_was_tried(st, st->addrs.a[i].text))
      return st->addrs.a[i].text;
  return NULL;
}

static void s3_note_address(struct s3_state *st, const char *addr) {
  if (addr && *addr && !s3_was_tried(st, addr) && st->n_tried < NC_MAX_ADDRS)
    nc_strlcpy(st->tried[st->n_tried++], addr, sizeof(st->tried[0]));
}

static const char *s3_address_class(const struct s3_state *st, const char *addr) {
  for (int i = 0; st->have_addrs && i < st->addrs.n; i++)
    if (strcmp(st->addrs.a[i].text, addr) == 0)
      return resolve_addr_class(&st->addrs.a[i]);
  return NULL;
}

static void s3_view_init(const struct probe *p, const struct s3_state *st,
                         struct s3_response_view *v, const char *op) {
  memset(v, 0, sizeof(*v));
  v->bucket = st->bucket;
  v->region = ((const struct s3_bucket_plan *)p->ctx)->t.region;
  v->partition = ((const struct s3_bucket_plan *)p->ctx)->t.partition;
  v->operation = op;
  v->is_signed = st->is_signed;
  v->transport = -1;
  v->host = st->host;
  v->address = s3_probed_address(st);
  v->address_class = s3_address_class(st, v->address);
}

void s3_target_details(struct cJSON *d, const struct s3_target *t, const struct nc_config *cfg) {
  s3_add_string(d, "region", t->region);
  if (t->region_from_uri) {
    char note[160];
    nc_snprintf(note, sizeof(note), "the S3 URI names %s; the job runs in %s", t->region,
                cfg->region);
    s3_add_string(d, "region_note", note);
  }
}

void s3_locations_details(struct cJSON *d, const struct nc_config *cfg, const int *loc, int n) {
  cJSON *a = cJSON_AddArrayToObject(d, "locations");
  for (int i = 0; a && i < n; i++) {
    const struct nc_s3_location *l = &cfg->locations[loc[i]];
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
      return;
    char shown[sizeof l->prefix];
    nc_redact_url(l->prefix, shown, sizeof shown);
    cJSON_AddStringToObject(o, "role", l->role);
    cJSON_AddStringToObject(o, "prefix", shown);
    s3_add_string(o, "name", l->name);
    cJSON_AddStringToObject(o, "field", l->field);
    cJSON_AddItemToArray(a, o);
  }
}

/* Writes the details every s3 result carries. e and list may be NULL. */
static void s3_details(struct probe *p, const struct s3_state *st, const struct s3_error *e,
                       const struct http_resp *list, long key_count, const char *bucket_region) {
  cJSON *d = probe_details(p);
  if (d == NULL)
    return;
  const struct s3_bucket_plan *bp = p->ctx;
  s3_add_string(d, "url", st->head_url);
  {
    char shown[sizeof bp->t.prefix];
    nc_redact_url(bp->t.prefix, shown, sizeof shown); /* a pasted presigned URL's signature */
    s3_add_string(d, "prefix", shown);
  }
  s3_target_details(d, &bp->t, p->cfg);
  s3_locations_details(d, p->cfg, bp->loc, bp->n_loc);
  cJSON_AddBoolToObject(d, "signed", st->is_signed);
  cJSON *addrs = st->have_addrs ? cJSON_AddArrayToObject(d, "addresses") : NULL;
  for (int i = 0; addrs && i < st->addrs.n; i++)
    cJSON_AddItemToArray(addrs, cJSON_CreateString(st->addrs.a[i].text));
  const char *probed = s3_probed_address(st);
  s3_add_string(d, "probed_address", probed);
  s3_add_string(d, "address_class", s3_address_class(st, probed));
  if (st->n_tried > 1) {
    cJSON *tried = cJSON_AddArrayToObject(d, "addresses_tried");
    for (int i = 0; tried && i < st->n_tried; i++)
      cJSON_AddItemToArray(tried, cJSON_CreateString(st->tried[i]));
  }
  if (st->head_status > 0)
    cJSON_AddNumberToObject(d, "http_status", (double)st->head_status);
  if (e) {
    s3_add_string(d, "s3_code", e->code);
    s3_add_string(d, "s3_message", e->message);
    s3_add_string(d, "s3_endpoint", e->endpoint);
    s3_add_string(d, "host_id", e->host_id);
  }
  const char *rid = (e && e->request_id[0])         ? e->request_id
                    : (list && list->request_id[0]) ? list->request_id
                                                    : st->head_request_id;
  s3_add_string(d, "request_id", rid);
  s3_add_string(d, "bucket_region", bucket_region);
  if (list && list->status > 0) {
    cJSON *l = cJSON_AddObjectToObject(d, "list");
    if (l) {
      cJSON_AddNumberToObject(l, "status", (double)list->status);
      if (key_count >= 0)
        cJSON_AddNumberToObject(l, "key_count", (double)key_count);
    }
  }
}

/* Classifies v and finishes the probe. S3's own 5xx warns (the path works,
 * S3 failed); a forced verdict overrides the judgement. p->priv is gone
 * afterwards: probe_finish runs cleanup. */
static void s3_finish_view(struct probe *p, const struct s3_response_view *v,
                           const enum nc_verdict *force, const char *suffix) {
  struct s3_state *st = p->priv;
  char msg[sizeof(p->message)];
  char rem[sizeof(p->remediation)];
  char retried[160] = "";
  enum nc_code code = s3_classify(v, msg, sizeof(msg), rem, sizeof(rem));
  enum nc_verdict verdict;
  if (force)
    verdict = *force;
  else if (code == NC_OK && v->status >= 500)
    verdict = NC_VERDICT_WARN;
  else
    verdict = probe_judge(p, code == NC_OK);
  /* The job's SDK meets the failing address too, and waits its own connect
   * timeout on it before it tries the next one. */
  if (st->first_failure[0]) {
    nc_snprintf(retried, sizeof(retried), "; %s failed first (%s)", st->tried[0],
                st->first_failure);
    if (code == NC_OK && verdict == NC_VERDICT_PASS)
      verdict = NC_VERDICT_WARN;
  }
  p->t = st->t;
  p->t.total = (double)(nc_now_ms() - st->started_ms);
  char full[sizeof(p->message)];
  char where[128] = "";
  const struct s3_target *t = &((const struct s3_bucket_plan *)p->ctx)->t;
  if (t->region_from_uri)
    nc_snprintf(where, sizeof(where), " [in %s, as its S3 URI says; the job runs in %s]", t->region,
                p->cfg->region);
  nc_snprintf(full, sizeof(full), "%s%s%s%s", msg, suffix ? suffix : "", retried, where);
  utf8_trim_tail(full);
  if (rem[0])
    probe_set_fix(p, rem);
  probe_finish(p, verdict, code, v->outcome && *v->outcome ? v->outcome : "error", "%s", full);
}

/* Finishes with HeadBucket's answer alone: outcome "http_STATUS" and tail,
 * suffix after the message; a 2xx HEAD is a warning, not a clean pass, when
 * warn_ok says something else went wrong. */
static void s3_finish_head(struct probe *p, struct s3_state *st, const char *tail,
                           const char *suffix, bool warn_ok) {
  struct s3_response_view v;
  char outcome[32];
  const char *breg = s3_region_ok(st->head_region) ? st->head_region : "";
  s3_view_init(p, st, &v, "HeadBucket");
  nc_snprintf(outcome, sizeof(outcome), "http_%ld%s", st->head_status, tail);
  v.outcome = outcome;
  v.status = st->head_status;
  v.bucket_region = breg;
  s3_details(p, st, NULL, NULL, -1, breg);
  const enum nc_verdict warn = NC_VERDICT_WARN;
  bool head_ok = st->head_status >= 200 && st->head_status < 300;
  s3_finish_view(p, &v, warn_ok && head_ok ? &warn : NULL, suffix);
}

/* Finishes with what the HEAD said: the GET did not answer (why), or was
 * not needed (why NULL). */
static void s3_finish_head_only(struct probe *p, struct s3_state *st, const char *why) {
  char suffix[160] = "";
  if (why)
    nc_snprintf(suffix, sizeof(suffix), "; ListObjectsV2 got no answer (%s)", why);
  /* the bucket answers but listing did not: not a clean pass */
  s3_finish_head(p, st, "", suffix, why != NULL);
}

/* HeadBucket's status arrived but the rest of the answer was unusable (why). */
static void s3_finish_unusable(struct probe *p, struct s3_state *st, const char *why) {
  char suffix[200];
  nc_snprintf(suffix, sizeof(suffix), ", but no S3 client can use that answer: %s", why);
  s3_finish_head(p, st, "_unusable", suffix, true);
}

static void s3_unusable_why(const struct http_resp *r, char *out, size_t len) {
  if (r->headers_truncated)
    nc_snprintf(out, len, "its response head exceeds %d KiB", NC_HTTP_HEADER_CAP / 1024);
  else if (r->error[0])
    nc_snprintf(out, len, "%s", r->error);
  else
    nc_snprintf(out, len, "a response head curl refuses (malformed, or one header over 100 KiB)");
}

static void s3_on_list(struct probe *p, const struct http_resp *r, void *arg) {
  struct s3_state *st = p->priv;
  struct outbound_obs o;
  (void)arg;
  outbound_observe(0, NULL, r, false, NC_S3_NO_ROUTE, &o);
  if (o.stage == OUTBOUND_ANSWERED && http_answer_timed_out(r)) {
    s3_finish_head_only(p, st, "response_timeout");
    return;
  }
  if (o.stage == OUTBOUND_ANSWERED && http_answer_unusable(r)) {
    s3_finish_head_only(p, st, r->headers_truncated ? "headers_too_large" : "bad_response");
    return;
  }
  if (o.stage != OUTBOUND_ANSWERED) {
    s3_finish_head_only(p, st, o.outcome);
    return;
  }

  struct s3_error e;
  long key_count = -1;
  if (r->status >= 200 && r->status < 300)
    (void)s3_parse_key_count(r->body, r->body_len, &key_count);
  (void)s3_parse_error_xml(r->body, r->body_len, &e);

  /* the header first: it is S3's own statement of the bucket's Region */
  char breg[64] = "";
  if (s3_region_ok(r->bucket_region))
    nc_strlcpy(breg, r->bucket_region, sizeof(breg));
  else if (s3_region_ok(st->head_region))
    nc_strlcpy(breg, st->head_region, sizeof(breg));
  else if (s3_region_ok(e.bucket_region))
    nc_strlcpy(breg, e.bucket_region, sizeof(breg));
  else if (s3_region_ok(e.region))
    nc_strlcpy(breg, e.region, sizeof(breg));
  else if (e.endpoint[0])
    (void)s3_region_from_endpoint(e.endpoint, breg, sizeof(breg));

  struct s3_response_view v;
  s3_view_init(p, st, &v, "ListObjectsV2");
  v.outcome = o.outcome;
  v.status = r->status;
  v.s3_code = e.code;
  v.s3_message = e.message;
  v.bucket_region = breg;
  s3_details(p, st, &e, r, key_count, breg);

  char suffix[96] = "";
  if (key_count >= 0)
    nc_snprintf(suffix, sizeof(suffix), " (%ld key%s under the prefix)", key_count,
                key_count == 1 ? "" : "s");
  else if (st->head_status >= 200 && st->head_status < 300)
    nc_snprintf(suffix, sizeof(suffix), "; HeadBucket itself succeeded (HTTP %ld)",
                st->head_status);
  /* S3 answers every ListObjectsV2 with a ListBucketResult that has a KeyCount */
  bool not_s3 = r->status >= 200 && r->status < 300 && key_count < 0;
  if (not_s3)
    nc_snprintf(suffix, sizeof(suffix), ", but the body is not S3's ListBucketResult%s",
                r->body_truncated ? " (cut at the body cap: it went on)" : "");
  const enum nc_verdict warn = NC_VERDICT_WARN;
  s3_finish_view(p, &v, not_s3 ? &warn : NULL, suffix);
}

static int s3_start_list(struct probe *p, struct s3_state *st) {
  struct http_req rq;
  memset(&rq, 0, sizeof(rq));
  rq.method = "GET";
  rq.url = st->list_url;
  rq.keep_alive = true; /* the HEAD's connection: one TLS handshake per bucket */
  rq.reuse = true;
  rq.pin_ip = s3_probed_address(st);
  rq.body_cap = S3_BODY_CAP;
  rq.timeout_ms = s3_request_timeout_ms(p);
  if (rq.pin_ip[0] == '\0' || s3_headers(st, p, "GET", st->list_query, &rq) != 0)
    return -1;
  st->phase = S3_PHASE_LIST;
  return http_request(p->eng, p, &rq, s3_on_list, NULL);
}

static int s3_start_head(struct probe *p, struct s3_state *st, const char *pin);

void s3_observe(int dns_status, const struct nc_addrs *addrs, const struct http_resp *r,
                struct outbound_obs *o) {
  outbound_observe(dns_status, addrs, r, false, NC_S3_NO_ROUTE, o);
  if (o->stage == OUTBOUND_ANSWERED && r && http_answer_timed_out(r)) {
    /* a status line is not an answer: the head never completed */
    o->stage = OUTBOUND_NO_CONNECT;
    o->code = NC_TIMEOUT_BUDGET;
    nc_strlcpy(o->outcome, "response_timeout", sizeof(o->outcome));
  }
}

/* The HEAD's outcome (dns_status != 0: its name did not resolve). */
static void s3_on_head_answer(struct probe *p, int dns_status, const struct http_resp *r) {
  struct s3_state *st = p->priv;
  struct outbound_obs o;
  s3_observe(dns_status, st->have_addrs ? &st->addrs : NULL, r, &o);
  if (r) {
    s3_note_address(st, r->primary_ip);
    if (st->n_tried <= 1)
      st->dns_ms = r->t.dns;
    st->t = r->t;
    st->t.dns = st->dns_ms;
  } else {
    st->t.dns = (double)(nc_now_ms() - st->started_ms);
  }

  if (o.stage != OUTBOUND_ANSWERED || r == NULL) {
    /* another address of the same name may route differently (an interface
     * endpoint has one per subnet): try it while the budget allows, once we
     * know which address failed */
    const char *next = s3_untried_address(st);
    if (o.stage == OUTBOUND_NO_CONNECT && o.code != NC_TIMEOUT_BUDGET && st->n_tried > 0 && next &&
        probe_remaining_ms(p) > S3_RETRY_MIN_MS) {
      if (!st->first_failure[0])
        nc_strlcpy(st->first_failure, o.outcome, sizeof(st->first_failure));
      if (s3_start_head(p, st, next) == 0)
        return;
    }
    struct s3_response_view v;
    s3_view_init(p, st, &v, "HeadBucket");
    v.transport = (int)o.code;
    v.outcome = o.outcome;
    v.transport_error = r ? r->error : NULL;
    s3_details(p, st, NULL, NULL, -1, NULL);
    s3_finish_view(p, &v, NULL, NULL);
    return;
  }

  st->head_status = r->status;
  nc_strlcpy(st->head_region, r->bucket_region, sizeof(st->head_region));
  nc_strlcpy(st->head_request_id, r->request_id, sizeof(st->head_request_id));
  if (http_answer_unusable(r)) {
    char why[160];
    s3_unusable_why(r, why, sizeof(why));
    s3_finish_unusable(p, st, why);
    return;
  }
  /* a redirect already names the bucket's Region in x-amz-bucket-region;
   * every other answer needs the GET's body to say why */
  if ((r->status == 301 || r->status == 307) && s3_region_ok(r->bucket_region)) {
    s3_finish_head_only(p, st, NULL);
    return;
  }
  if (s3_start_list(p, st) != 0)
    s3_finish_head_only(p, st, "could not start the request");
}

static void s3_on_head_http(struct probe *p, const struct http_resp *r, void *arg) {
  (void)arg;
  s3_on_head_answer(p, 0, r);
}

static void s3_on_fetch(struct probe *p, int dns_status, const struct nc_addrs *addrs,
                        const struct http_resp *r, void *arg) {
  struct s3_state *st = p->priv;
  (void)arg;
  if (addrs && addrs->n > 0) {
    st->addrs = *addrs;
    st->have_addrs = true;
  }
  /* curl names no address when the connection failed: name the one
   * fetch_request pinned */
  if (r && !r->primary_ip[0] && st->have_addrs)
    s3_note_address(st, fetch_pin(&st->addrs));
  s3_on_head_answer(p, dns_status, r);
}

/* The HEAD: through fetch_request (resolve, then pin) the first time, pinned
 * to pin with http_request when retrying another address. */
static int s3_start_head(struct probe *p, struct s3_state *st, const char *pin) {
  struct http_req rq;
  memset(&rq, 0, sizeof(rq));
  rq.method = "HEAD";
  rq.url = st->head_url;
  rq.keep_alive = true;
  rq.pin_ip = pin;
  rq.body_cap = S3_BODY_CAP;
  rq.timeout_ms = s3_request_timeout_ms(p);
  if (s3_headers(st, p, "HEAD", NULL, &rq) != 0)
    return -1;
  st->phase = S3_PHASE_HEAD;
  if (pin == NULL)
    return fetch_request(p->eng, p, &rq, s3_on_fetch, NULL);
  s3_note_address(st, pin);
  return http_request(p->eng, p, &rq, s3_on_head_http, NULL);
}

/* Host, path and URLs for the bucket. Dotted names cannot use the
 * virtual-hosted name over HTTPS (the wildcard certificate covers one
 * label), so they go path-style like the SDKs do. 0 or -1. */
/* The URLs of the HEAD and the ListObjectsV2 of the planned target. */
static int s3_build_target(struct s3_state *st, const struct s3_target *t) {
  int trunc = 0;
  nc_strlcpy(st->bucket, t->bucket, sizeof(st->bucket));
  nc_strlcpy(st->host, t->host, sizeof(st->host));
  nc_strlcpy(st->path, t->path, sizeof(st->path));
  trunc |= nc_snprintf(st->head_url, sizeof(st->head_url), "https://%s%s", st->host, st->path);
  if (t->prefix[0]) {
    char enc[3 * NC_PATH_MAX + 1];
    if (sigv4_uri_encode(t->prefix, strlen(t->prefix), true, enc, sizeof(enc)) != 0)
      return -1;
    trunc |= nc_snprintf(st->list_query, sizeof(st->list_query), "list-type=2&max-keys=1&prefix=%s",
                         enc);
  } else {
    trunc |= nc_snprintf(st->list_query, sizeof(st->list_query), "list-type=2&max-keys=1");
  }
  trunc |= nc_snprintf(st->list_url, sizeof(st->list_url), "%s?%s", st->head_url, st->list_query);
  return trunc ? -1 : 0;
}

static int s3_start(struct probe *p) {
  const struct s3_target *t = &((const struct s3_bucket_plan *)p->ctx)->t;
  struct s3_state *st = calloc(1, sizeof(*st));
  if (st == NULL)
    return -1;
  p->priv = st;
  st->started_ms = nc_now_ms();
  st->t.dns = st->t.connect = st->t.tls = st->t.first_byte = st->t.total = -1;
  if (!partition_bucket_name_ok(t->bucket)) {
    nc_strlcpy(st->bucket, t->bucket, sizeof(st->bucket));
    probe_fix(p, NC_S3_NO_SUCH_BUCKET, "invalid_name", NULL);
    probe_finish(p, NC_VERDICT_FAIL, NC_S3_NO_SUCH_BUCKET, "invalid_bucket_name",
                 "'%s' is not a valid S3 bucket name", t->bucket);
    return 0;
  }
  if (s3_build_target(st, t) != 0)
    return -1;
  const struct aws_creds *c = creds_probe_found(p->plan);
  st->is_signed = c != NULL && c->access_key_id[0];
  return s3_start_head(p, st, NULL);
}

static void s3_on_timeout(struct probe *p) {
  struct s3_state *st = p->priv;
  if (st == NULL)
    return;
  if (st->phase == S3_PHASE_LIST) {
    s3_finish_head_only(p, st, "timeout");
    return;
  }
  struct s3_response_view v;
  s3_view_init(p, st, &v, "HeadBucket");
  v.transport = NC_TIMEOUT_BUDGET;
  v.outcome = "timeout";
  s3_details(p, st, NULL, NULL, -1, NULL);
  s3_finish_view(p, &v, NULL, NULL);
}

void s3_state_free(struct probe *p, size_t size) {
  if (p->priv) {
    /* the token and signature lines are credentials */
    explicit_bzero(p->priv, size);
    free(p->priv);
  }
  p->priv = NULL;
}

static void s3_cleanup(struct probe *p) { s3_state_free(p, sizeof(struct s3_state)); }

const struct probe_family s3_family;

static const struct probe_ops s3_ops = {
    .family = &s3_family,
    .flags = NC_PROBE_NEEDS_CREDS,
    .start = s3_start,
    .on_event = NULL,
    .on_timer = NULL,
    .on_timeout = s3_on_timeout,
    .cleanup = s3_cleanup,
};

int s3_plan_add(struct plan *pl, const struct nc_config *cfg, const struct probe_ops *ops,
                const char *id, const char *target, const char *name, void *ctx) {
  struct probe_spec spec = {.id = id,
                            .target = target,
                            .name = name,
                            .tier = NC_TIER_REQUIRED,
                            .expect = NC_EXPECT_REACHABLE,
                            .ctx = ctx,
                            .ctx_free = free};
  return plan_add(pl, cfg, ops, &spec) == NULL ? -1 : 0;
}

/* Roles whose prefix the ListObjectsV2 lists first: what the job reads. */
static bool s3_role_reads(const char *role) { return strcmp(role, NC_ROLE_OUTPUT) != 0; }

/* One probe per bucket (s3:BUCKET), whatever its locations: the path, the
 * endpoint policy and the bucket policy are the bucket's. It lists the
 * prefix of the first location the job reads (else of the first one), in
 * the region of the first location that names one (else the job's); the
 * report lists every location. */
static int s3_plan(struct plan *pl, const struct nc_config *cfg) {
  int planned = 0;
  for (int i = 0; i < cfg->n_locations; i++) {
    const struct nc_s3_location *l = &cfg->locations[i];
    bool seen = false;
    char id[sizeof(((struct probe *)0)->id)];
    char url[sizeof(((struct probe *)0)->target)];
    const char *prefix = NULL, *region = NULL;
    struct s3_bucket_plan *bp;
    if (l->bucket[0] == '\0')
      continue;
    for (int j = 0; j < i && !seen; j++)
      seen = strcmp(cfg->locations[j].bucket, l->bucket) == 0;
    if (seen)
      continue;
    if (planned++ >= NC_MAX_BUCKETS) {
      NC_WARN("s3: more than %d buckets: %s and the ones after it are not probed", NC_MAX_BUCKETS,
              l->bucket);
      break;
    }
    bp = calloc(1, sizeof(*bp));
    if (bp == NULL)
      return -1;
    for (int j = i; j < cfg->n_locations; j++) {
      const struct nc_s3_location *m = &cfg->locations[j];
      if (strcmp(m->bucket, l->bucket) != 0)
        continue;
      bp->loc[bp->n_loc++] = j;
      if (!prefix && s3_role_reads(m->role))
        prefix = m->prefix;
      if (!region && m->region[0])
        region = m->region;
    }
    if (s3_target_init(&bp->t, cfg, l->bucket, prefix ? prefix : l->prefix, region) != 0) {
      free(bp);
      return -1;
    }
    nc_snprintf(id, sizeof(id), "s3:%s", l->bucket);
    nc_snprintf(url, sizeof(url), "https://%s%s", bp->t.host, bp->t.path);
    if (s3_plan_add(pl, cfg, &s3_ops, id, url,
                    partition_bucket_name_ok(l->bucket) ? bp->t.host : NULL, bp) != 0)
      return -1;
  }
  return 0;
}

const struct probe_family s3_family = {
    .name = "s3",
    .help = "HEAD bucket and ListObjectsV2 on each job bucket (SigV4 when credentials exist)",
    .tier = NC_TIER_REQUIRED,
    .expect = NC_EXPECT_REACHABLE,
    .plan = s3_plan,
};
