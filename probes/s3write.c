/*
 * s3write.c - the s3-write family: the output upload that SageMaker makes at
 * the end of the job, tried before the job's work starts. One probe per
 * output location (s3-write:BUCKET/PREFIX):
 *
 *   1. PutObject of a zero-byte marker PREFIX/.netcheck/HOST-TIMESTAMP,
 *      signed with the job's credentials like every S3 request of netcheck,
 *      with Content-MD5 (a bucket with Object Lock refuses a PUT without
 *      one), and with the server-side encryption SageMaker uses for the
 *      job's outputs: ProcessingOutputConfig.KmsKeyId means SSE-KMS with that
 *      key (x-amz-server-side-encryption: aws:kms and
 *      x-amz-server-side-encryption-aws-kms-key-id); without it, no
 *      encryption header (the bucket's default encryption applies). When S3
 *      refuses that plain upload on a bucket policy, it is tried once more
 *      with SSE-KMS: a bucket that "denies unencrypted uploads" accepts that
 *      one, and the probe says so instead of only "denied".
 *   2. DeleteObject of the marker (of its version, in a versioned bucket;
 *      when that is refused, a plain DeleteObject hides it behind a delete
 *      marker). A delete that fails is a note (S3_WRITE_MARKER_KEPT, verdict
 *      pass): the write works, and the report says where the marker stays.
 *
 * The requests reuse the PutObject's connection and address. Without
 * credentials nothing is written: the probe is skipped.
 */
#include <stdlib.h>
#include <string.h>
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
#include "netcheck/report.h"
#include "netcheck/resolve.h"
#include "netcheck/s3.h"

#define W_BODY_CAP ((size_t)16 * 1024) /* S3 error bodies are < 2 KB */
#define W_RETRY_MIN_MS 1000            /* budget the SSE-KMS retry needs */
#define W_MARKER_DIR ".netcheck"
#define W_EMPTY_MD5 "1B2M2Y8AsgTpgAmY7PHtcQ==" /* Content-MD5 of zero bytes */
#define W_KEY_MAX (NC_PATH_MAX + 128)
#define W_PATH_MAX (3 * W_KEY_MAX + 80)

/* The probe's ctx: the output location and which of the job's locations
 * it stands for (indices into cfg->locations). */
struct w_plan {
  struct s3_target t;
  char shown_prefix[sizeof(((struct s3_target *)0)->prefix)]; /* nc_redact_url of t.prefix */
  int loc[NC_MAX_LOCATIONS];
  int n_loc;
};

enum w_phase { W_PUT, W_PUT_KMS, W_DELETE_VERSION, W_DELETE };

/* One S3 answer, as kept for the report and the diagnosis. */
struct w_answer {
  long status;
  char outcome[64];
  struct s3_error e;
  char request_id[128];
  char bucket_region[64];
};

struct w_state {
  enum w_phase phase;
  int64_t started_ms;
  bool is_signed;
  bool sse_kms; /* the current PutObject asks for SSE-KMS */
  char key[W_KEY_MAX];
  char path[W_PATH_MAX];
  char url[W_PATH_MAX + 400];
  char query[300];
  char addr[46]; /* the PutObject's address: the deletes go there too */
  struct nc_addrs addrs;
  bool have_addrs;
  struct nc_timings t;

  struct w_answer put;     /* the first PutObject's refusal, when it was refused */
  struct w_answer put_kms; /* the retry with SSE-KMS */
  bool retried_kms;
  bool written; /* a PutObject succeeded */
  char version_id[128];
  char stored_sse[32];

  struct w_answer del; /* the last refused delete */
  bool del_retried;    /* a delete that S3 failed (5xx) is sent once more, as the SDKs do */
  bool deleted;        /* the marker is gone */
  bool hidden;         /* versioned: a delete marker hides it, its version stays */

  struct s3_signed_headers sig;
};

static const char *w_or(const char *s, const char *dflt) { return (s && *s) ? s : dflt; }

/* The reason part of an extended AccessDenied message ("with an explicit
 * deny in a resource-based policy", "because no identity-based policy
 * allows ..."), else the whole message: the principal and resource are in
 * the report's details. */
static const char *w_reason(const char *message) {
  const char *r = strstr(message, "\" with ");
  const char *b = strstr(message, "\" because ");
  if (r && (!b || r < b))
    return r + 2;
  if (b)
    return b + 2;
  return message;
}

/* PREFIX/.netcheck/HOST-YYYYMMDDTHHMMSSZ: under the output's prefix, where
 * SageMaker writes, in a directory of its own that says what it is. */
static int w_marker_key(const struct probe *p, const char *prefix, char *out, size_t len) {
  char host[80], stamp[32];
  size_t n = strlen(prefix);
  time_t now = time(NULL);
  struct tm tm;
  report_host(p->cfg, host, sizeof(host));
  if (gmtime_r(&now, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
    return -1;
  while (n > 0 && prefix[n - 1] == '/')
    n--;
  return nc_snprintf(out, len, "%.*s%s" W_MARKER_DIR "/%s-%s", (int)n, prefix, n ? "/" : "", host,
                     stamp)
             ? -1
             : 0;
}

static const char *w_addr_class(const struct w_state *st) {
  for (int i = 0; st->have_addrs && i < st->addrs.n; i++)
    if (strcmp(st->addrs.a[i].text, st->addr) == 0)
      return resolve_addr_class(&st->addrs.a[i]);
  return NULL;
}

static void w_view(const struct probe *p, const struct w_state *st, const struct w_answer *a,
                   const char *op, struct s3_response_view *v) {
  const struct s3_target *t = &((const struct w_plan *)p->ctx)->t;
  memset(v, 0, sizeof(*v));
  v->bucket = t->bucket;
  v->region = t->region;
  v->partition = t->partition;
  v->operation = op;
  v->is_signed = st->is_signed;
  v->write = true;
  v->prefix = ((const struct w_plan *)p->ctx)->shown_prefix; /* for texts only */
  v->kms_key = p->cfg->job.output_kms_key;
  v->sse_kms = st->sse_kms;
  v->transport = -1;
  v->host = t->host;
  v->address = st->addr;
  v->address_class = w_addr_class(st);
  if (a) {
    v->outcome = a->outcome;
    v->status = a->status;
    v->s3_code = a->e.code;
    v->s3_message = a->e.message;
    v->bucket_region = a->bucket_region;
  }
}

static cJSON *w_answer_json(cJSON *d, const char *name, const struct w_answer *a) {
  cJSON *o = cJSON_AddObjectToObject(d, name);
  if (o == NULL)
    return NULL;
  if (a->status > 0)
    cJSON_AddNumberToObject(o, "status", (double)a->status);
  cJSON_AddStringToObject(o, "outcome", a->outcome);
  if (a->e.code[0])
    cJSON_AddStringToObject(o, "s3_code", a->e.code);
  if (a->e.message[0])
    cJSON_AddStringToObject(o, "s3_message", a->e.message);
  if (a->e.request_id[0] || a->request_id[0])
    cJSON_AddStringToObject(o, "request_id", a->e.request_id[0] ? a->e.request_id : a->request_id);
  return o;
}

static void w_details(struct probe *p, const struct w_state *st) {
  const struct w_plan *wp = p->ctx;
  cJSON *d = probe_details(p);
  char marker[W_KEY_MAX + 80];
  if (d == NULL)
    return;
  nc_snprintf(marker, sizeof(marker), "s3://%s/%s", wp->t.bucket, st->key);
  cJSON_AddStringToObject(d, "marker", marker);
  cJSON_AddStringToObject(d, "url", st->url);
  s3_target_details(d, &wp->t, p->cfg);
  s3_locations_details(d, p->cfg, wp->loc, wp->n_loc);
  cJSON_AddBoolToObject(d, "signed", st->is_signed);
  cJSON_AddStringToObject(d, "encryption", st->sse_kms ? "aws:kms" : "none (the bucket's default)");
  if (st->sse_kms && p->cfg->job.output_kms_key[0])
    cJSON_AddStringToObject(d, "kms_key_id", p->cfg->job.output_kms_key);
  if (st->addr[0])
    cJSON_AddStringToObject(d, "probed_address", st->addr);
  if (w_addr_class(st))
    cJSON_AddStringToObject(d, "address_class", w_addr_class(st));
  if (st->put.status > 0 || st->put.outcome[0])
    w_answer_json(d, "put_refused", &st->put);
  if (st->retried_kms)
    w_answer_json(d, "put_with_sse_kms", &st->put_kms);
  if (st->written) {
    cJSON *w = cJSON_AddObjectToObject(d, "written");
    if (w && st->version_id[0])
      cJSON_AddStringToObject(w, "version_id", st->version_id);
    if (w && st->stored_sse[0])
      cJSON_AddStringToObject(w, "stored_encryption", st->stored_sse);
    cJSON_AddBoolToObject(d, "marker_kept", !st->deleted);
    if (!st->deleted && (st->del.status > 0 || st->del.outcome[0]))
      w_answer_json(d, "delete_refused", &st->del);
  }
}

/* Problems of the bucket's path, not of writing: the s3 probe of the same
 * bucket meets them on its own and names them (one root cause, one line), so
 * the write check says how far it got instead of repeating them, unless the
 * s3 family does not run. */
static bool w_path_problem(enum nc_code code) {
  switch (code) {
  case NC_DNS_NO_RESOLVER:
  case NC_DNS_TIMEOUT:
  case NC_DNS_NXDOMAIN:
  case NC_DNS_SERVFAIL:
  case NC_DNS_REFUSED:
  case NC_S3_NO_ROUTE:
  case NC_TLS_UNTRUSTED:
  case NC_TLS_HANDSHAKE:
  case NC_TIMEOUT_BUDGET:
  case NC_S3_NO_SUCH_BUCKET:
  case NC_S3_WRONG_REGION:
  case NC_CLOCK_SKEW:
  case NC_CREDS_UNAVAILABLE:
  case NC_S3_SIGNATURE_MISMATCH:
    return true;
  default:
    return false;
  }
}

/* Finishes a write that got no usable answer or was refused. */
static void w_finish_refused(struct probe *p, enum nc_verdict verdict, enum nc_code code,
                             const char *outcome, const char *msg, const char *rem) {
  const struct s3_target *t = &((const struct w_plan *)p->ctx)->t;
  if (w_path_problem(code) && !config_skips(p->cfg, "s3")) {
    probe_finish(p, NC_VERDICT_SKIP, NC_OK, outcome,
                 "not tried to the end: %s (%s, which s3:%s names)", msg, diag_name(code),
                 t->bucket);
    return;
  }
  probe_set_fix(p, rem);
  probe_finish(p, verdict, code, outcome, "%s", msg);
}

/* Finishes the probe from what happened. */
static void w_finish(struct probe *p, struct w_state *st) {
  const struct w_plan *wp = p->ctx;
  char msg[sizeof(p->message)], head[512];
  const char *fix = NULL; /* the variant of the fix below, when there is one */
  enum nc_code code;
  enum nc_verdict verdict;
  struct s3_response_view v;
  const char *part = wp->t.partition;

  p->t = st->t;
  p->t.total = (double)(nc_now_ms() - st->started_ms);
  w_details(p, st);
  if (!st->written) {
    /* The write was refused, or never got an answer: the diagnosis of the
     * (first) PutObject's answer. */
    char rem[sizeof(p->remediation)];
    if (st->put.status == 0 && st->put.outcome[0] == '\0')
      nc_strlcpy(st->put.outcome, "timeout", sizeof(st->put.outcome));
    w_view(p, st, &st->put, "PutObject", &v);
    if (st->put.status == 0) /* the deadline passed before an answer */
      v.transport = NC_TIMEOUT_BUDGET;
    code = s3_classify(&v, msg, sizeof(msg), rem, sizeof(rem));
    verdict = code == NC_OK && v.status >= 500 ? NC_VERDICT_WARN : probe_judge(p, code == NC_OK);
    if (st->retried_kms)
      nc_snprintf(head, sizeof(head), "%s; a second PutObject with SSE-KMS %s (%s)", msg,
                  st->put_kms.status > 0 ? "was refused too" : "got no answer",
                  w_or(st->put_kms.e.code, st->put_kms.outcome));
    else
      nc_strlcpy(head, msg, sizeof(head));
    w_finish_refused(p, verdict, code, w_or(st->put.outcome, "error"), head, rem);
    return;
  }

  code = NC_OK;
  verdict = probe_judge(p, true);
  if (st->retried_kms) {
    /* Refused without encryption, accepted with SSE-KMS: the bucket policy
     * requires it, and this job names no key. Whether SageMaker's own upload
     * asks for SSE-KMS without a key is not documented for processing jobs:
     * a warning, not a failure. */
    code = NC_S3_WRITE_DENIED;
    verdict = NC_VERDICT_WARN;
    nc_snprintf(head, sizeof(head),
                "S3 refused the signed PutObject of a zero-byte object under s3://%s/%s without "
                "encryption (%s%s%s) and accepted it with SSE-KMS: the bucket policy requires "
                "SSE-KMS, and the job names no ProcessingOutputConfig.KmsKeyId",
                wp->t.bucket, wp->shown_prefix, w_or(st->put.e.code, st->put.outcome),
                st->put.e.message[0] ? ", " : "", w_reason(st->put.e.message));
    fix = "kms_required";
  } else {
    nc_snprintf(
        head, sizeof(head),
        "S3 accepted the signed PutObject of a zero-byte object under s3://%s/%s (%s%s%s%s)",
        wp->t.bucket, wp->shown_prefix, st->sse_kms ? "SSE-KMS with key " : "no encryption header",
        st->sse_kms ? w_or(p->cfg->job.output_kms_key, "aws/s3") : "",
        st->stored_sse[0] ? "; stored as " : "", st->stored_sse);
  }
  if (st->deleted) {
    nc_snprintf(msg, sizeof(msg), "%s; DeleteObject removed it", head);
  } else {
    const char *why = w_or(st->del.e.code, st->del.outcome);
    bool locked = strcasestr(st->del.e.message, "object lock") != NULL;
    if (st->hidden)
      nc_snprintf(msg, sizeof(msg),
                  "%s; its version %s stays in the versioned bucket at s3://%s/%s, hidden behind "
                  "a delete marker: deleting the version was refused (%s%s%s)%s",
                  head, st->version_id, wp->t.bucket, st->key, why,
                  st->del.e.message[0] ? ", " : "", w_reason(st->del.e.message),
                  locked ? "; Object Lock keeps it until its retention ends" : "");
    else
      nc_snprintf(msg, sizeof(msg), "%s; the marker stays at s3://%s/%s: DeleteObject %s (%s%s%s)",
                  head, wp->t.bucket, st->key, st->del.status > 0 ? "was refused" : "got no answer",
                  why, st->del.e.message[0] ? ", " : "", w_reason(st->del.e.message));
    if (code == NC_OK)
      code = NC_S3_WRITE_MARKER_KEPT;
  }
  if (fix) {
    probe_fix(p, NC_S3_WRITE_DENIED, fix, NULL);
  } else if (code == NC_S3_WRITE_MARKER_KEPT) {
    /* PREFIX/.netcheck/: where every marker of this output goes */
    const char *dir = strstr(st->key, W_MARKER_DIR "/");
    size_t dirlen = dir ? (size_t)(dir - st->key) + strlen(W_MARKER_DIR "/") : 0;
    char dirs[sizeof(st->key)], version_arg[sizeof(st->version_id) + 16] = "";
    nc_snprintf(dirs, sizeof(dirs), "%.*s", (int)dirlen, st->key);
    if (st->version_id[0])
      nc_snprintf(version_arg, sizeof(version_arg), " --version-id %s", st->version_id);
    probe_fix(p, NC_S3_WRITE_MARKER_KEPT, NULL,
              DIAG_FACTS({"bucket", wp->t.bucket}, {"key", st->key}, {"version_arg", version_arg},
                         {"version_action", st->version_id[0] ? " and s3:DeleteObjectVersion" : ""},
                         {"partition", part}, {"dir", dirs}));
  }
  probe_finish(p, verdict, code, st->deleted ? "written_and_deleted" : "written_marker_kept", "%s",
               msg);
}

static int w_send(struct probe *p, struct w_state *st, const char *method, const char *query,
                  http_cb cb);

/* Fills a from a refused answer (r may be NULL: no answer). */
static void w_keep(struct w_answer *a, const struct outbound_obs *o, const struct http_resp *r) {
  memset(a, 0, sizeof(*a));
  nc_strlcpy(a->outcome, o->outcome, sizeof(a->outcome));
  if (r == NULL)
    return;
  a->status = o->stage == OUTBOUND_ANSWERED ? r->status : 0;
  nc_strlcpy(a->request_id, r->request_id, sizeof(a->request_id));
  nc_strlcpy(a->bucket_region, r->bucket_region, sizeof(a->bucket_region));
  if (a->status > 0)
    (void)s3_parse_error_xml(r->body, r->body_len, &a->e);
}

static bool w_ok(const struct outbound_obs *o) {
  return o->stage == OUTBOUND_ANSWERED && o->status >= 200 && o->status < 300;
}

static void w_on_delete(struct probe *p, const struct http_resp *r, void *arg) {
  struct w_state *st = p->priv;
  struct outbound_obs o;
  (void)arg;
  outbound_observe(0, NULL, r, false, NC_S3_NO_ROUTE, &o);
  if (w_ok(&o)) {
    if (st->phase == W_DELETE && st->version_id[0])
      st->hidden = true; /* the fallback: a delete marker over the version */
    else
      st->deleted = true;
    w_finish(p, st);
    return;
  }
  w_keep(&st->del, &o, r);
  if (o.stage == OUTBOUND_ANSWERED && o.status >= 500 && !st->del_retried &&
      probe_remaining_ms(p) > W_RETRY_MIN_MS) {
    st->del_retried = true;
    if (w_send(p, st, "DELETE", st->phase == W_DELETE_VERSION ? st->query : NULL, w_on_delete) == 0)
      return;
  }
  /* The version could not be deleted: hide it at least, so that nothing
   * that lists the output's prefix meets it. */
  if (st->phase == W_DELETE_VERSION && probe_remaining_ms(p) > W_RETRY_MIN_MS) {
    st->phase = W_DELETE;
    if (w_send(p, st, "DELETE", NULL, w_on_delete) == 0)
      return;
  }
  w_finish(p, st);
}

static void w_start_delete(struct probe *p, struct w_state *st) {
  char enc[3 * sizeof(st->version_id) + 1];
  if (st->version_id[0] &&
      sigv4_uri_encode(st->version_id, strlen(st->version_id), true, enc, sizeof(enc)) == 0 &&
      nc_snprintf(st->query, sizeof(st->query), "versionId=%s", enc) == 0) {
    st->phase = W_DELETE_VERSION;
    if (w_send(p, st, "DELETE", st->query, w_on_delete) == 0)
      return;
  }
  st->phase = W_DELETE;
  if (w_send(p, st, "DELETE", NULL, w_on_delete) != 0) {
    nc_strlcpy(st->del.outcome, "could not start the request", sizeof(st->del.outcome));
    w_finish(p, st);
  }
}

/* A refusal worth one more try with SSE-KMS: a bucket policy (or an unnamed
 * one) denied the unencrypted write of a job that names no key. */
static bool w_retry_with_kms(const struct probe *p, const struct w_state *st) {
  const char *m = st->put.e.message;
  return !st->sse_kms && !p->cfg->job.output_kms_key[0] && st->put.status == 403 &&
         !strcmp(st->put.e.code, "AccessDenied") && !strcasestr(m, "VPC endpoint policy") &&
         !strcasestr(m, "identity-based policy") && !s3_error_is_kms(st->put.e.code, m) &&
         probe_remaining_ms(p) > W_RETRY_MIN_MS;
}

static void w_on_put_http(struct probe *p, const struct http_resp *r, void *arg);

static void w_on_put(struct probe *p, int dns_status, const struct http_resp *r) {
  struct w_state *st = p->priv;
  struct outbound_obs o;
  s3_observe(dns_status, st->have_addrs ? &st->addrs : NULL, r, &o);
  if (r) {
    if (r->primary_ip[0])
      nc_strlcpy(st->addr, r->primary_ip, sizeof(st->addr));
    if (st->phase == W_PUT)
      st->t = r->t;
  }
  if (w_ok(&o)) {
    st->written = true;
    nc_strlcpy(st->version_id, r->version_id, sizeof(st->version_id));
    nc_strlcpy(st->stored_sse, r->sse, sizeof(st->stored_sse));
    w_start_delete(p, st);
    return;
  }
  if (st->phase == W_PUT_KMS) {
    w_keep(&st->put_kms, &o, r);
    w_finish(p, st);
    return;
  }
  w_keep(&st->put, &o, r);
  if (o.stage != OUTBOUND_ANSWERED) {
    /* No HTTP answer: the transport's diagnosis. */
    struct s3_response_view v;
    char msg[sizeof(p->message)], rem[sizeof(p->remediation)];
    enum nc_code code;
    w_view(p, st, &st->put, "PutObject", &v);
    v.transport = (int)o.code;
    v.transport_error = r ? r->error : NULL;
    p->t = st->t;
    p->t.total = (double)(nc_now_ms() - st->started_ms);
    w_details(p, st);
    code = s3_classify(&v, msg, sizeof(msg), rem, sizeof(rem));
    w_finish_refused(p, probe_judge(p, false), code, o.outcome, msg, rem);
    return;
  }
  if (w_retry_with_kms(p, st)) {
    st->retried_kms = true;
    st->sse_kms = true;
    st->phase = W_PUT_KMS;
    if (w_send(p, st, "PUT", NULL, w_on_put_http) == 0)
      return;
    st->retried_kms = false;
    st->sse_kms = false;
  }
  w_finish(p, st);
}

static void w_on_put_http(struct probe *p, const struct http_resp *r, void *arg) {
  (void)arg;
  w_on_put(p, 0, r);
}

static void w_on_fetch(struct probe *p, int dns_status, const struct nc_addrs *addrs,
                       const struct http_resp *r, void *arg) {
  struct w_state *st = p->priv;
  (void)arg;
  if (addrs && addrs->n > 0) {
    st->addrs = *addrs;
    st->have_addrs = true;
    /* curl names no address when the connection failed: name the one
     * fetch_request pinned */
    nc_strlcpy(st->addr, fetch_pin(addrs), sizeof(st->addr));
  }
  w_on_put(p, dns_status, r);
}

/* Sends method on the marker: the first PutObject resolves the name, every
 * later request goes to the same address on the kept connection. */
static int w_send(struct probe *p, struct w_state *st, const char *method, const char *query,
                  http_cb cb) {
  const struct s3_target *t = &((const struct w_plan *)p->ctx)->t;
  const struct aws_creds *c = creds_probe_found(p->plan);
  struct sigv4_header extra[S3_MAX_EXTRA_HEADERS];
  size_t n = 0;
  struct http_req rq;
  char url[sizeof(st->url) + sizeof(st->query) + 2];
  bool put = strcmp(method, "PUT") == 0;
  if (put) {
    extra[n++] = (struct sigv4_header){"Content-MD5", W_EMPTY_MD5};
    extra[n++] = (struct sigv4_header){"Content-Type", "application/octet-stream"};
    if (st->sse_kms) {
      extra[n++] = (struct sigv4_header){"x-amz-server-side-encryption", "aws:kms"};
      if (p->cfg->job.output_kms_key[0])
        extra[n++] = (struct sigv4_header){"x-amz-server-side-encryption-aws-kms-key-id",
                                           p->cfg->job.output_kms_key};
    }
  }
  if (s3_sign_headers(&st->sig, c, method, t->host, st->path, query, t->region, extra, n))
    return -1;
  st->is_signed = st->sig.is_signed;
  if (nc_snprintf(url, sizeof(url), "%s%s%s", st->url, query ? "?" : "", query ? query : ""))
    return -1;
  memset(&rq, 0, sizeof(rq));
  rq.method = method;
  rq.url = url;
  rq.keep_alive = true;
  rq.reuse = st->phase != W_PUT; /* the PutObject's own connection is timed */
  rq.body_cap = W_BODY_CAP;
  rq.timeout_ms = s3_request_timeout_ms(p);
  rq.sensitive = true; /* the token travels in a header */
  if (put) {           /* zero bytes, sent with Content-Length: 0 */
    rq.body = "";
    rq.body_len = 0;
  }
  for (int i = 0; i < NC_HTTP_MAX_HEADERS; i++)
    rq.headers[i] = st->sig.lines[i];
  if (st->phase == W_PUT)
    return fetch_request(p->eng, p, &rq, w_on_fetch, NULL);
  rq.pin_ip = st->addr;
  return http_request(p->eng, p, &rq, cb, NULL);
}

static int w_start(struct probe *p) {
  const struct w_plan *wp = p->ctx;
  const struct aws_creds *c = creds_probe_found(p->plan);
  struct w_state *st;
  char enc[3 * W_KEY_MAX + 1];
  if (c == NULL || !c->access_key_id[0]) {
    probe_finish(p, NC_VERDICT_SKIP, NC_OK, "no_credentials",
                 "not tried: no credentials to sign with (the job's execution role writes the "
                 "outputs; an anonymous write says nothing about it)");
    return 0;
  }
  st = calloc(1, sizeof(*st));
  if (st == NULL)
    return -1;
  p->priv = st;
  st->started_ms = nc_now_ms();
  st->t.dns = st->t.connect = st->t.tls = st->t.first_byte = st->t.total = -1;
  st->sse_kms = p->cfg->job.output_kms_key[0] != '\0';
  st->phase = W_PUT;
  if (w_marker_key(p, wp->t.prefix, st->key, sizeof(st->key)) ||
      sigv4_uri_encode(st->key, strlen(st->key), false, enc, sizeof(enc)) ||
      nc_snprintf(st->path, sizeof(st->path), "%s%s%s", wp->t.path,
                  wp->t.path[strlen(wp->t.path) - 1] == '/' ? "" : "/", enc) ||
      nc_snprintf(st->url, sizeof(st->url), "https://%s%s", wp->t.host, st->path))
    return -1;
  return w_send(p, st, "PUT", NULL, w_on_put_http);
}

static void w_on_timeout(struct probe *p) {
  struct w_state *st = p->priv;
  if (st == NULL)
    return;
  if (st->written && !st->deleted && !st->del.outcome[0])
    nc_strlcpy(st->del.outcome, "timeout", sizeof(st->del.outcome));
  if (st->phase == W_PUT_KMS && !st->written)
    nc_strlcpy(st->put_kms.outcome, "timeout", sizeof(st->put_kms.outcome));
  w_finish(p, st);
}

static void w_cleanup(struct probe *p) { s3_state_free(p, sizeof(struct w_state)); }

const struct probe_family s3_write_family;

static const struct probe_ops w_ops = {
    .family = &s3_write_family,
    .flags = NC_PROBE_NEEDS_CREDS,
    .start = w_start,
    .on_timeout = w_on_timeout,
    .cleanup = w_cleanup,
};

/* True when a is an output location at l's bucket and prefix. */
static bool w_same_output(const struct nc_s3_location *a, const struct nc_s3_location *l) {
  return !strcmp(a->role, NC_ROLE_OUTPUT) && !strcmp(a->bucket, l->bucket) &&
         !strcmp(a->prefix, l->prefix);
}

/* One probe per output location (bucket and prefix), in the region its S3
 * URI names (else the job's). Inputs and dataset query outputs are read
 * only, by SageMaker before the container starts: no write there. */
static int w_plan(struct plan *pl, const struct nc_config *cfg) {
  for (int i = 0; i < cfg->n_locations; i++) {
    const struct nc_s3_location *l = &cfg->locations[i];
    char id[sizeof(((struct probe *)0)->id)];
    char target[sizeof(((struct probe *)0)->target)];
    struct w_plan *wp;
    bool seen = false;
    if (!l->bucket[0] || strcmp(l->role, NC_ROLE_OUTPUT) != 0)
      continue;
    for (int j = 0; j < i && !seen; j++)
      seen = w_same_output(&cfg->locations[j], l);
    if (seen)
      continue;
    wp = calloc(1, sizeof(*wp));
    if (wp == NULL)
      return -1;
    for (int j = i; j < cfg->n_locations; j++)
      if (w_same_output(&cfg->locations[j], l))
        wp->loc[wp->n_loc++] = j;
    if (s3_target_init(&wp->t, cfg, l->bucket, l->prefix, l->region) != 0) {
      free(wp);
      return -1;
    }
    /* What is shown and stored never carries what may be a secret. */
    nc_redact_url(l->prefix, wp->shown_prefix, sizeof(wp->shown_prefix));
    nc_snprintf(id, sizeof(id), "s3-write:%s/%s", l->bucket, wp->shown_prefix);
    nc_snprintf(target, sizeof(target), "s3://%s/%s", l->bucket, wp->shown_prefix);
    if (s3_plan_add(pl, cfg, &w_ops, id, target, wp->t.host, wp) != 0)
      return -1;
  }
  return 0;
}

const struct probe_family s3_write_family = {
    .name = "s3-write",
    .help = "zero-byte PutObject (with the job's SSE-KMS key) and DeleteObject under each output",
    .tier = NC_TIER_REQUIRED,
    .expect = NC_EXPECT_REACHABLE,
    .plan = w_plan,
};
