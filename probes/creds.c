/*
 * creds.c - the creds probe family: finds the credentials the job's SDKs
 * would use, in their order (environment keys, then the container
 * credentials endpoint), proves that they can be had, and hands them to the
 * plan (creds_probe_found) for the probes flagged NC_PROBE_NEEDS_CREDS,
 * which the engine starts only after this probe finished.
 *
 * Exactly one probe is planned: `creds:env`, `creds:container` or
 * `creds:none`. Secrets (the secret key, the session token, the
 * authorization token, the endpoint's response body) never reach the report,
 * a message or the log, and every buffer of ours that held one is wiped.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netcheck/aws.h"
#include "netcheck/common.h"
#include "netcheck/creds_probe.h"
#include "netcheck/engine.h"
#include "netcheck/http.h"
#include "netcheck/probe.h"
#include "netcheck/transport.h"

#define CREDS_ENV_KEY_ID "AWS_ACCESS_KEY_ID"
#define CREDS_ENV_SECRET "AWS_SECRET_ACCESS_KEY"
#define CREDS_ENV_SESSION_TOKEN "AWS_SESSION_TOKEN"
#define CREDS_ENV_RELATIVE_URI "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
#define CREDS_ENV_FULL_URI "AWS_CONTAINER_CREDENTIALS_FULL_URI"
#define CREDS_ENV_AUTH_TOKEN "AWS_CONTAINER_AUTHORIZATION_TOKEN"
#define CREDS_ENV_AUTH_TOKEN_FILE "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"

#define CREDS_CONTAINER_BASE "http://169.254.170.2" /* ECS/SageMaker credentials endpoint */
#define CREDS_HTTP_TIMEOUT_MS 2000 /* the endpoint is local: it answers at once or never */
#define CREDS_BODY_CAP (64 * 1024) /* the JSON around a token of AWS_SESSION_TOKEN_MAX */
#define CREDS_TOKEN_MAX 8192
#define CREDS_URL_MAX 1024
#define CREDS_KEY_PREFIX_LEN 4
#define CREDS_ELLIPSIS "\xe2\x80\xa6" /* U+2026, UTF-8 */

/* ---- pure helpers (include/netcheck/creds_probe.h, for the unit tests) ---- */

static const char *creds_getenv(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL; /* the SDKs treat an empty variable as unset */
}

/* AWS_CREDS_FROM_*: where the SDKs would get credentials. */
const char *creds_probe_source(void) {
  if (creds_getenv(CREDS_ENV_KEY_ID) && creds_getenv(CREDS_ENV_SECRET))
    return AWS_CREDS_FROM_ENV;
  if (creds_getenv(CREDS_ENV_RELATIVE_URI) || creds_getenv(CREDS_ENV_FULL_URI))
    return AWS_CREDS_FROM_CONTAINER;
  return AWS_CREDS_FROM_NONE;
}

static bool creds_clean_text(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s <= 0x20 || *s == 0x7f)
      return false;
  return true;
}

/* Whether plain http may go to the host at the start of s ("host[:port]/...",
 * "[v6]:port/..."): as in the AWS SDKs, only loopback and the ECS/EKS
 * credentials addresses, so that a token never crosses a network in clear. */
bool creds_probe_plain_host_allowed(const char *s) {
  static const char *const allowed[] = {"localhost", "169.254.170.2", "169.254.170.23",
                                        "fd00:ec2::23", "::1"};
  char host[64];
  size_t n = strcspn(s, "/?#");
  unsigned char v4[4];
  const char *at = memchr(s, '@', n);
  while (at) { /* user:password@ precedes the host */
    s = at + 1;
    n = strcspn(s, "/?#");
    at = memchr(s, '@', n);
  }
  if (*s == '[') {
    s++;
    n = strcspn(s, "]");
    if (s[n] != ']')
      return false;
  } else {
    n = strcspn(s, ":/?#");
  }
  if (n == 0 || n >= sizeof host)
    return false;
  memcpy(host, s, n);
  host[n] = '\0';
  for (size_t i = 0; i < NC_ARRAY_LEN(allowed); i++)
    if (!strcasecmp(host, allowed[i]))
      return true;
  return inet_pton(AF_INET, host, v4) == 1 && v4[0] == 127; /* 127.0.0.0/8 */
}

/* The endpoint URL from the relative URI (preferred, as in the SDKs) or the
 * full URI. Only http and https: curl would read file:// and more. Returns
 * 0, or -1 with a reason in err that names the variable, not its value. */
int creds_probe_container_url(const char *relative, const char *full, char *url, size_t len,
                              char *err, size_t errlen) {
  if (relative && *relative) {
    if (relative[0] != '/' || !creds_clean_text(relative)) {
      nc_snprintf(err, errlen, "%s is not a path starting with /", CREDS_ENV_RELATIVE_URI);
      return -1;
    }
    if (strlen(relative) > CREDS_URL_MAX ||
        nc_snprintf(url, len, "%s%s", CREDS_CONTAINER_BASE, relative)) {
      nc_snprintf(err, errlen, "%s is too long", CREDS_ENV_RELATIVE_URI);
      return -1;
    }
    return 0;
  }
  if (full && *full) {
    bool plain = !strncasecmp(full, "http://", 7);
    const char *host = plain ? full + 7 : full + 8;
    if ((!plain && strncasecmp(full, "https://", 8)) || !creds_clean_text(full) || !*host ||
        strchr("/?#@", *host)) {
      nc_snprintf(err, errlen, "%s is not an http:// or https:// URL", CREDS_ENV_FULL_URI);
      return -1;
    }
    if (plain && !creds_probe_plain_host_allowed(host)) {
      nc_snprintf(err, errlen,
                  "%s uses plain http to a host that is neither loopback nor a container "
                  "credentials address; the AWS SDKs refuse it",
                  CREDS_ENV_FULL_URI);
      return -1;
    }
    if (strlen(full) > CREDS_URL_MAX || nc_snprintf(url, len, "%s", full)) {
      nc_snprintf(err, errlen, "%s is too long", CREDS_ENV_FULL_URI);
      return -1;
    }
    return 0;
  }
  nc_snprintf(err, errlen, "neither %s nor %s is set", CREDS_ENV_RELATIVE_URI, CREDS_ENV_FULL_URI);
  return -1;
}

/* "scheme://host[:port]" of url, for the report: the path may be a
 * capability and user:password@ a secret, so neither is kept. */
void creds_probe_endpoint(const char *url, char *out, size_t len) {
  const char *host = strstr(url, "://"), *at;
  size_t scheme, n;
  if (!host || len == 0) {
    if (len)
      out[0] = '\0';
    return;
  }
  scheme = (size_t)(host - url) + 3;
  host += 3;
  n = strcspn(host, "/?#");
  at = memchr(host, '@', n);
  if (at) {
    n -= (size_t)(at + 1 - host);
    host = at + 1;
  }
  if (scheme + n >= len) {
    out[0] = '\0';
    return;
  }
  memcpy(out, url, scheme);
  memcpy(out + scheme, host, n);
  out[scheme + n] = '\0';
}

/* "Authorization: TOKEN" from a token (trailing white space trimmed: token
 * files end with a newline). Returns 0, or -1 when the token is empty, too
 * long or holds a control character (it would split the header). */
int creds_probe_auth_header(const char *token, size_t token_len, char *out, size_t len) {
  static const char prefix[] = "Authorization: ";
  while (token_len && (token[token_len - 1] == '\n' || token[token_len - 1] == '\r' ||
                       token[token_len - 1] == ' ' || token[token_len - 1] == '\t'))
    token_len--;
  if (token_len == 0 || token_len > CREDS_TOKEN_MAX || sizeof prefix - 1 + token_len + 1 > len)
    return -1;
  for (size_t i = 0; i < token_len; i++)
    if ((unsigned char)token[i] < 0x20 || token[i] == 0x7f)
      return -1;
  memcpy(out, prefix, sizeof prefix - 1);
  memcpy(out + sizeof prefix - 1, token, token_len);
  out[sizeof prefix - 1 + token_len] = '\0';
  return 0;
}

/* The first characters of an access key id ("ASIA…"): enough to tell a
 * temporary key (ASIA) from a long-term one (AKIA), not the whole id. */
void creds_probe_key_prefix(const char *akid, char *out, size_t len) {
  size_t n = strnlen(akid, CREDS_KEY_PREFIX_LEN);
  if (len < n + sizeof CREDS_ELLIPSIS) {
    if (len)
      out[0] = '\0';
    return;
  }
  memcpy(out, akid, n);
  if (n)
    memcpy(out + n, CREDS_ELLIPSIS, sizeof CREDS_ELLIPSIS);
  else
    out[0] = '\0';
}

/* Why the endpoint gave no credentials, from the transport or the status;
 * never from the body. */
void creds_probe_failure_reason(const struct http_resp *r, char *out, size_t len) {
  if (r->curl_code != 0) {
    if (r->error[0])
      nc_snprintf(out, len, "%.200s", r->error);
    else
      nc_snprintf(out, len, "transfer failed (curl error %d)", r->curl_code);
  } else if (r->status != 200) {
    nc_snprintf(out, len, "HTTP %ld", r->status);
  } else if (r->body_truncated) {
    nc_snprintf(out, len, "response larger than %d bytes", CREDS_BODY_CAP);
  } else {
    nc_snprintf(out, len, "empty response");
  }
}

/* ---- the probe ---- */

struct creds_state {
  char endpoint[CREDS_URL_MAX];
};

static void creds_add_string(cJSON *d, const char *key, const char *value) {
  if (value && *value)
    cJSON_AddStringToObject(d, key, value);
  else
    cJSON_AddNullToObject(d, key);
}

const struct probe_family creds_family;

/* The credentials found live in the plan (the creds family's state), wiped
 * when the plan is freed. */
static void creds_free_state(void *state) {
  struct aws_creds *c = state;
  creds_clear(c);
  free(c);
}

const struct aws_creds *creds_probe_found(const struct plan *pl) {
  return pl ? plan_family_state_get(pl, &creds_family) : NULL;
}

/* Keeps c for the probes that sign; 0 or -1 (out of memory). */
static int creds_keep(struct plan *pl, const struct aws_creds *c) {
  void **slot = plan_family_state(pl, &creds_family);
  if (!*slot && !(*slot = malloc(sizeof *c)))
    return -1;
  memcpy(*slot, c, sizeof *c);
  return 0;
}

/* Keeps c for the probes that sign and reports what is safe to report;
 * prefix gets the access key id's prefix for the message. */
static void creds_accept(struct probe *p, const struct aws_creds *c, char *prefix, size_t len) {
  cJSON *d = probe_details(p);
  if (creds_keep(p->plan, c))
    probe_note_errno(p, ENOMEM);
  creds_probe_key_prefix(c->access_key_id, prefix, len);
  if (d) {
    cJSON_AddStringToObject(d, "access_key_id_prefix", prefix);
    cJSON_AddBoolToObject(d, "session_token", c->session_token[0] != '\0');
    creds_add_string(d, "expiration", c->expiration);
    creds_add_string(d, "role_arn", c->role_arn);
  }
}

static int creds_env_start(struct probe *p) {
  struct aws_creds c;
  cJSON *d = probe_details(p);
  char prefix[16], err[160];
  if (d)
    cJSON_AddStringToObject(d, "source", AWS_CREDS_FROM_ENV);
  memset(&c, 0, sizeof c);
  if (creds_from_env(&c, err, sizeof err)) {
    creds_clear(&c);
    probe_fix(p, NC_CREDS_UNAVAILABLE, "env_invalid", NULL);
    probe_finish(p, probe_judge(p, false), NC_CREDS_UNAVAILABLE, "env_invalid",
                 "the credentials in the environment are unusable: %s", err);
    return 0;
  }
  nc_strlcpy(c.source, AWS_CREDS_FROM_ENV, sizeof c.source);
  creds_accept(p, &c, prefix, sizeof prefix);
  probe_finish(p, probe_judge(p, true), NC_OK, "env", "credentials from the environment (%s %s%s)",
               CREDS_ENV_KEY_ID, prefix, c.session_token[0] ? ", with a session token" : "");
  creds_clear(&c);
  return 0;
}

static void creds_fail(struct probe *p, const char *outcome, const char *reason) {
  struct creds_state *st = p->priv;
  probe_fix(p, NC_CREDS_UNAVAILABLE, NULL, NULL);
  probe_finish(p, probe_judge(p, false), NC_CREDS_UNAVAILABLE, outcome,
               "the container credentials endpoint %s gave no credentials: %s",
               st && st->endpoint[0] ? st->endpoint : CREDS_CONTAINER_BASE, reason);
}

/* The variables themselves are unusable: the SDKs would fail the same way. */
static void creds_fail_config(struct probe *p, const char *reason) {
  probe_fix(p, NC_CREDS_UNAVAILABLE, "misconfigured", NULL);
  probe_finish(p, probe_judge(p, false), NC_CREDS_UNAVAILABLE, "misconfigured",
               "the container credentials settings are unusable: %s", reason);
}

static void creds_on_response(struct probe *p, const struct http_resp *r, void *arg) {
  struct aws_creds c;
  char reason[320], err[200], prefix[16];
  cJSON *d = probe_details(p);
  (void)arg;
  p->t = r->t;
  if (d && r->status > 0)
    cJSON_AddNumberToObject(d, "http_status", (double)r->status);
  if (r->curl_code != 0 || r->status != 200 || r->body_truncated || !r->body) {
    char outcome[64];
    creds_probe_failure_reason(r, reason, sizeof reason);
    /* When the transport failed, outcome names how; else the status does. */
    if (transport_http_code(r, NC_CREDS_UNAVAILABLE, outcome, sizeof outcome) < 0) {
      if (r->body_truncated)
        nc_strlcpy(outcome, "body_too_large", sizeof outcome);
      else
        nc_snprintf(outcome, sizeof outcome, "http_%ld", r->status);
    }
    if (r->body)
      explicit_bzero(r->body, r->body_len);
    creds_fail(p, outcome, reason);
    return;
  }
  memset(&c, 0, sizeof c);
  err[0] = '\0';
  if (creds_parse_container_json(r->body, r->body_len, &c, err, sizeof err)) {
    explicit_bzero(r->body, r->body_len);
    creds_clear(&c);
    nc_snprintf(reason, sizeof reason, "unparsable JSON: %s", err[0] ? err : "invalid");
    creds_fail(p, "bad_json", reason);
    return;
  }
  /* Wiped now, not only when the engine frees it (rq.sensitive). */
  explicit_bzero(r->body, r->body_len);
  nc_strlcpy(c.source, AWS_CREDS_FROM_CONTAINER, sizeof c.source);
  creds_accept(p, &c, prefix, sizeof prefix);
  probe_finish(p, probe_judge(p, true), NC_OK, "http_200",
               "credentials (%s %s) from the container endpoint %s%s%s%s%s", CREDS_ENV_KEY_ID,
               prefix, ((struct creds_state *)p->priv)->endpoint, c.role_arn[0] ? " for " : "",
               c.role_arn, c.expiration[0] ? ", expiring " : "", c.expiration);
  creds_clear(&c);
}

/* The Authorization header for the full URI: the token file wins over the
 * token variable, as in the SDKs. 0 with hdr set or empty, -1 on an error
 * (reason in err). */
static int creds_auth(char *hdr, size_t len, const char **how, char *err, size_t errlen) {
  const char *file = creds_getenv(CREDS_ENV_AUTH_TOKEN_FILE), *tok;
  hdr[0] = '\0';
  *how = "none";
  if (file) {
    char *buf = NULL;
    size_t n = 0;
    int rc;
    if (nc_read_file(file, CREDS_TOKEN_MAX + 2, &buf, &n)) {
      nc_snprintf(err, errlen, "cannot read %s: %s", CREDS_ENV_AUTH_TOKEN_FILE,
                  nc_read_error(errno));
      return -1;
    }
    rc = creds_probe_auth_header(buf, n, hdr, len);
    explicit_bzero(buf, n);
    free(buf);
    if (rc) {
      nc_snprintf(err, errlen, "the token in %s is empty or malformed", CREDS_ENV_AUTH_TOKEN_FILE);
      return -1;
    }
    *how = "token_file";
    return 0;
  }
  if ((tok = creds_getenv(CREDS_ENV_AUTH_TOKEN))) {
    if (creds_probe_auth_header(tok, strlen(tok), hdr, len)) {
      nc_snprintf(err, errlen, "%s is malformed", CREDS_ENV_AUTH_TOKEN);
      return -1;
    }
    *how = "token";
  }
  return 0;
}

static int creds_container_start(struct probe *p) {
  struct creds_state *st = calloc(1, sizeof *st);
  const char *relative = creds_getenv(CREDS_ENV_RELATIVE_URI), *how = "none";
  char url[CREDS_URL_MAX + 64], err[256];
  char auth[CREDS_TOKEN_MAX + 32];
  struct http_req rq;
  cJSON *d = probe_details(p);
  int rc;

  if (!st)
    return -1;
  p->priv = st;
  if (d) {
    cJSON_AddStringToObject(d, "source", AWS_CREDS_FROM_CONTAINER);
    cJSON_AddStringToObject(d, "uri_from", relative ? CREDS_ENV_RELATIVE_URI : CREDS_ENV_FULL_URI);
  }
  if (creds_probe_container_url(relative, creds_getenv(CREDS_ENV_FULL_URI), url, sizeof url, err,
                                sizeof err)) {
    creds_fail_config(p, err);
    return 0;
  }
  creds_probe_endpoint(url, st->endpoint, sizeof st->endpoint);
  if (d)
    cJSON_AddStringToObject(d, "endpoint", st->endpoint);
  auth[0] = '\0';
  /* Only the full URI carries the authorization token (EKS Pod Identity and
   * the like, as in botocore); the SageMaker endpoint takes the relative URI
   * alone. */
  if (!relative && creds_auth(auth, sizeof auth, &how, err, sizeof err)) {
    creds_fail_config(p, err);
    return 0;
  }
  if (d)
    cJSON_AddStringToObject(d, "authorization", how);

  memset(&rq, 0, sizeof rq);
  rq.method = "GET";
  rq.url = url;
  rq.headers[0] = auth[0] ? auth : NULL;
  rq.body_cap = CREDS_BODY_CAP;
  rq.sensitive = true;    /* the body holds the secret key and token */
  rq.private_path = true; /* the URI's path is what opens that door: -v shows the host */
  /* Never to a proxy, as in botocore's container fetcher: the request (and
   * the Authorization token) would cross a network in clear. */
  rq.no_proxy = true;
  rq.timeout_ms = p->timeout_ms < CREDS_HTTP_TIMEOUT_MS ? p->timeout_ms : CREDS_HTTP_TIMEOUT_MS;
  rc = http_request(p->eng, p, &rq, creds_on_response, NULL);
  explicit_bzero(auth, sizeof auth); /* the engine copied it */
  return rc ? -1 : 0;
}

static void creds_container_on_timeout(struct probe *p) {
  char reason[96];
  nc_snprintf(reason, sizeof reason, "no answer within %d ms", p->timeout_ms);
  creds_fail(p, "timeout", reason);
}

static int creds_none_start(struct probe *p) {
  cJSON *d = probe_details(p);
  if (d)
    cJSON_AddStringToObject(d, "source", AWS_CREDS_FROM_NONE);
  probe_finish(p, NC_VERDICT_SKIP, NC_OK, "none",
               "no credentials configured: S3 requests are anonymous");
  return 0;
}

static void creds_cleanup(struct probe *p) {
  free(p->priv);
  p->priv = NULL;
}

/* They are what the NC_PROBE_NEEDS_CREDS probes wait for. */
static const struct probe_ops creds_env_ops = {.family = &creds_family,
                                               .flags = NC_PROBE_PROVIDES_CREDS,
                                               .start = creds_env_start,
                                               .cleanup = creds_cleanup};
static const struct probe_ops creds_container_ops = {.family = &creds_family,
                                                     .flags = NC_PROBE_PROVIDES_CREDS,
                                                     .start = creds_container_start,
                                                     .on_timeout = creds_container_on_timeout,
                                                     .cleanup = creds_cleanup};
static const struct probe_ops creds_none_ops = {.family = &creds_family,
                                                .flags = NC_PROBE_PROVIDES_CREDS,
                                                .start = creds_none_start,
                                                .cleanup = creds_cleanup};

static int creds_plan(struct plan *pl, const struct nc_config *cfg) {
  const char *src = creds_probe_source();
  char id[32], url[CREDS_URL_MAX + 64], endpoint[CREDS_URL_MAX], err[256];
  struct probe_spec spec = {
      .id = id, .target = "none", .tier = NC_TIER_REQUIRED, .expect = NC_EXPECT_REACHABLE};
  const struct probe_ops *ops = &creds_none_ops;
  if (!strcmp(src, AWS_CREDS_FROM_ENV)) {
    ops = &creds_env_ops;
    spec.target = "environment";
  } else if (!strcmp(src, AWS_CREDS_FROM_CONTAINER)) {
    ops = &creds_container_ops;
    spec.target = "invalid";
    if (!creds_probe_container_url(creds_getenv(CREDS_ENV_RELATIVE_URI),
                                   creds_getenv(CREDS_ENV_FULL_URI), url, sizeof url, err,
                                   sizeof err)) {
      creds_probe_endpoint(url, endpoint, sizeof endpoint);
      spec.target = endpoint;
    }
  } else {
    spec.tier = NC_TIER_INFORMATIONAL; /* a job without credentials signs nothing */
  }
  nc_snprintf(id, sizeof id, "creds:%s", src);
  return plan_add(pl, cfg, ops, &spec) ? 0 : -1;
}

const struct probe_family creds_family = {
    .name = "creds",
    .help = "container credentials endpoint or environment keys",
    .tier = NC_TIER_REQUIRED,
    .expect = NC_EXPECT_REACHABLE,
    .tier_note = "informational when the job has no credentials",
    .plan = creds_plan,
    .free_state = creds_free_state,
};
