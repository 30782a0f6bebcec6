/*
 * creds.c - AWS credentials from the environment or from the container
 * credentials endpoint's JSON.
 *
 * Called by the s3, aws and creds probes. Values are copied whole or
 * rejected (never truncated), and no error text ever quotes a value: the
 * reason names the field and what is wrong with it, nothing more.
 */
#include "netcheck/aws.h"
#include "netcheck/common.h"

#include <cjson/cJSON.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENV_ACCESS_KEY_ID "AWS_ACCESS_KEY_ID"
#define ENV_SECRET_ACCESS_KEY "AWS_SECRET_ACCESS_KEY"
#define ENV_SESSION_TOKEN "AWS_SESSION_TOKEN"

#define JSON_ACCESS_KEY_ID "AccessKeyId"
#define JSON_SECRET_ACCESS_KEY "SecretAccessKey"
#define JSON_TOKEN "Token"
#define JSON_EXPIRATION "Expiration"
#define JSON_ROLE_ARN "RoleArn"

#define CREDS_MAX_JSON ((size_t)64 * 1024)

static void wipe(void *p, size_t n) {
  volatile unsigned char *v = p;
  while (n--)
    *v++ = 0;
}

void creds_clear(struct aws_creds *c) {
  if (c)
    wipe(c, sizeof *c);
  sigv4_forget(); /* the signing keys derived from credentials go with them */
}

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...) {
  if (!err || errlen == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  if (vsnprintf(err, errlen, fmt, ap) < 0)
    err[0] = '\0';
  va_end(ap);
}

/* Control characters would let a value split an HTTP header. */
static bool has_control_chars(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x20 || ch == 0x7f)
      return true;
  }
  return false;
}

/* Copies src whole into dst[cap], or fails: never truncates. */
static int copy_whole(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap);
  if (n == cap)
    return -1;
  memcpy(dst, src, n);
  dst[n] = '\0';
  return 0;
}

/* ---- environment ---- */

static int env_field(const char *name, char *dst, size_t cap, bool required, char *err,
                     size_t errlen) {
  const char *v = getenv(name);
  if (!v || !v[0]) {
    if (required)
      set_err(err, errlen, "%s is not set", name);
    return required ? -1 : 0;
  }
  if (has_control_chars(v, strnlen(v, cap))) {
    set_err(err, errlen, "%s contains control characters", name);
    return -1;
  }
  if (copy_whole(dst, cap, v)) {
    set_err(err, errlen, "%s is longer than %zu bytes", name, cap - 1);
    return -1;
  }
  return 0;
}

int creds_from_env(struct aws_creds *c, char *err, size_t errlen) {
  if (err && errlen)
    err[0] = '\0';
  if (!c)
    return -1;
  creds_clear(c);
  if (env_field(ENV_ACCESS_KEY_ID, c->access_key_id, sizeof c->access_key_id, true, err, errlen) ||
      env_field(ENV_SECRET_ACCESS_KEY, c->secret_access_key, sizeof c->secret_access_key, true, err,
                errlen) ||
      env_field(ENV_SESSION_TOKEN, c->session_token, sizeof c->session_token, false, err, errlen)) {
    creds_clear(c);
    return -1;
  }
  nc_strlcpy(c->source, AWS_CREDS_FROM_ENV, sizeof c->source);
  return 0;
}

/* ---- container credentials endpoint ---- */

/* Reads one string field. Returns 0 when it was copied (or, when optional,
 * is missing or null), -1 with a reason naming the field otherwise. */
static int json_field(const cJSON *root, const char *key, char *dst, size_t cap, bool required,
                      char *err, size_t errlen) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
  dst[0] = '\0';
  if (!item || cJSON_IsNull(item)) {
    if (!required)
      return 0;
    set_err(err, errlen, "%s is %s", key, item ? "null" : "missing");
    return -1;
  }
  if (!cJSON_IsString(item) || !item->valuestring) {
    set_err(err, errlen, "%s is not a string", key);
    return -1;
  }
  const char *v = item->valuestring;
  size_t n = strnlen(v, cap);
  if (n == cap) {
    set_err(err, errlen, "%s is longer than %zu bytes", key, cap - 1);
    return -1;
  }
  if (n == 0 && required) {
    set_err(err, errlen, "%s is empty", key);
    return -1;
  }
  if (has_control_chars(v, n)) {
    set_err(err, errlen, "%s contains control characters", key);
    return -1;
  }
  memcpy(dst, v, n + 1);
  return 0;
}

/* cJSON frees its strings without wiping them: wipe them first. */
static void wipe_json_strings(cJSON *root) {
  for (cJSON *it = root ? root->child : NULL; it; it = it->next)
    if (cJSON_IsString(it) && it->valuestring)
      wipe(it->valuestring, strlen(it->valuestring));
}

int creds_parse_container_json(const char *buf, size_t len, struct aws_creds *c, char *err,
                               size_t errlen) {
  char *copy = NULL;
  cJSON *root = NULL;
  const char *end = NULL;
  int rc = -1;

  if (err && errlen)
    err[0] = '\0';
  if (!c) {
    set_err(err, errlen, "no credentials struct");
    return -1;
  }
  creds_clear(c);
  if (!buf || len == 0) {
    set_err(err, errlen, "empty response");
    goto done;
  }
  if (len > CREDS_MAX_JSON) {
    set_err(err, errlen, "response larger than %zu bytes", CREDS_MAX_JSON);
    goto done;
  }
  if (memchr(buf, '\0', len)) {
    set_err(err, errlen, "response contains a NUL byte");
    goto done;
  }
  copy = malloc(len + 1);
  if (!copy) {
    set_err(err, errlen, "out of memory");
    goto done;
  }
  memcpy(copy, buf, len);
  copy[len] = '\0';

  root = cJSON_ParseWithOpts(copy, &end, 1);
  if (!root) {
    /* An offset, never the text there: it may be part of a secret. */
    size_t at = (end && end >= copy && end <= copy + len) ? (size_t)(end - copy) : 0;
    set_err(err, errlen, "response is not valid JSON (error at byte %zu)", at);
    goto done;
  }
  if (!cJSON_IsObject(root)) {
    set_err(err, errlen, "response is not a JSON object");
    goto done;
  }
  if (json_field(root, JSON_ACCESS_KEY_ID, c->access_key_id, sizeof c->access_key_id, true, err,
                 errlen) ||
      json_field(root, JSON_SECRET_ACCESS_KEY, c->secret_access_key, sizeof c->secret_access_key,
                 true, err, errlen) ||
      json_field(root, JSON_TOKEN, c->session_token, sizeof c->session_token, false, err, errlen) ||
      json_field(root, JSON_EXPIRATION, c->expiration, sizeof c->expiration, false, err, errlen) ||
      json_field(root, JSON_ROLE_ARN, c->role_arn, sizeof c->role_arn, false, err, errlen))
    goto done;
  memcpy(c->source, "container", sizeof "container");
  rc = 0;
done:
  if (root) {
    wipe_json_strings(root);
    cJSON_Delete(root);
  }
  if (copy) {
    wipe(copy, len + 1);
    free(copy);
  }
  if (rc)
    creds_clear(c);
  return rc;
}
