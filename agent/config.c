/*
 * config.c - builds struct nc_config from defaults, SageMaker discovery, the
 * --config file and flags (in that order of increasing precedence).
 */
#include "netcheck/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "netcheck/common.h"
#include "netcheck/partition.h"
#include "netcheck/utf8.h"

#define CONFIG_FILE_MAX (1024 * 1024)

#define OPT_SM_CONFIG_DIR "sm-config-dir"
#define ENV_SM_CONFIG_DIR "NETCHECK_SM_CONFIG_DIR"
#define ENV_MESSAGE_FILE "NETCHECK_MESSAGE_FILE"

/* The job's settings, from its Environment (contract: README, "Expectations"). */
#define ENV_EXPECT "NETCHECK_EXPECT"
#define ENV_SKIP "NETCHECK_SKIP"
#define ENV_ON_FAIL "NETCHECK_ON_FAIL"
#define ENV_TIMEOUT "NETCHECK_TIMEOUT"

const char *config_expect_name(enum nc_expect e) {
  switch (e) {
  case NC_EXPECT_REACHABLE:
    return "reachable";
  case NC_EXPECT_BLOCKED:
    return "blocked";
  default:
    return "any";
  }
}

int config_expect_from_name(const char *s) {
  if (!strcmp(s, "reachable"))
    return NC_EXPECT_REACHABLE;
  if (!strcmp(s, "blocked"))
    return NC_EXPECT_BLOCKED;
  if (!strcmp(s, "any"))
    return NC_EXPECT_ANY;
  return -1;
}

const char *config_source_name(enum nc_source s) {
  switch (s) {
  case NC_SRC_JOB_ENV:
    return "the job's Environment";
  case NC_SRC_ENV:
    return "environment";
  case NC_SRC_CONFIG:
    return "--config";
  case NC_SRC_FLAG:
    return "command line";
  default:
    return "default";
  }
}

bool config_skips(const struct nc_config *cfg, const char *key) {
  for (int i = 0; i < cfg->n_skips; i++)
    if (!strcasecmp(cfg->skips[i], key))
      return true;
  return false;
}

void config_problem(struct nc_config *cfg, const char *file, const char *field, const char *fmt,
                    ...) {
  struct nc_problem *pr;
  va_list ap;
  if (cfg->n_problems >= NC_MAX_PROBLEMS)
    return;
  pr = &cfg->problems[cfg->n_problems++];
  nc_strlcpy(pr->file, file ? file : "", sizeof pr->file);
  nc_strlcpy(pr->field, field ? field : "", sizeof pr->field);
  va_start(ap, fmt);
  vsnprintf(pr->text, sizeof pr->text, fmt, ap);
  va_end(ap);
  utf8_trim_tail(pr->text);
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* Copies a path whole into dst[NC_PATH_MAX], or fails with one line naming
 * `what` (a flag, a variable, a file's key): a cut path names another file. */
static int copy_path(char *dst, const char *src, const char *what, char *err, size_t errlen) {
  if (strlen(src) >= NC_PATH_MAX) {
    seterr(err, errlen, "%s: a path of %zu bytes, more than %d: %s", what, strlen(src),
           NC_PATH_MAX - 1, strerror(ENAMETOOLONG));
    return -1;
  }
  nc_strlcpy(dst, src, NC_PATH_MAX);
  return 0;
}

/* ---- small validated parsers ---- */

static int parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return -1;
  *out = v;
  return 0;
}

/* Seconds, possibly fractional ("2.5"), into milliseconds. */
static int parse_seconds_ms(const char *s, long lo_ms, long hi_ms, int *out) {
  char *end;
  double v;
  errno = 0;
  v = strtod(s, &end);
  if (errno || end == s || *end || v != v || v * 1000 < lo_ms || v * 1000 > hi_ms)
    return -1;
  *out = (int)(v * 1000 + 0.5);
  return 0;
}

const char *config_region_source_name(enum nc_region_source src) {
  static const char *const names[] = {
      "default", "s3_uri", "AWS_DEFAULT_REGION", "AWS_REGION", "job_arn", "config", "flag"};
  return (size_t)src < NC_ARRAY_LEN(names) ? names[src] : "default";
}

const char *config_region_source_text(enum nc_region_source src) {
  static const char *const texts[] = {"a guess: nothing names one",
                                      "from an https S3 URI of the job",
                                      "from AWS_DEFAULT_REGION",
                                      "from AWS_REGION",
                                      "from the job ARN",
                                      "from --config",
                                      "from --region"};
  return (size_t)src < NC_ARRAY_LEN(texts) ? texts[src] : texts[0];
}

int config_region_from_arn(const char *arn, char *region, size_t len) {
  /* arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE */
  const char *p = arn;
  size_t n;
  if (!arn || strncmp(arn, "arn:", 4) != 0)
    return -1;
  for (int i = 0; i < 3; i++) {
    p = strchr(p, ':');
    if (!p)
      return -1;
    p++;
  }
  n = strcspn(p, ":");
  if (n == 0 || n >= len || p[n] != ':')
    return -1;
  for (size_t i = 0; i < n; i++)
    if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
      return -1;
  memcpy(region, p, n);
  region[n] = '\0';
  return 0;
}

void config_sanitize_host(const char *in, char *out, size_t outlen) {
  size_t o = 0, max = outlen > 64 ? 64 : outlen - 1;
  for (; in && *in && o < max; in++) {
    char c = *in;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_' || (c == '.' && o > 0);
    out[o++] = ok ? c : '_';
  }
  out[o] = '\0';
  if (o == 0 || strspn(out, "._") == o)
    nc_strlcpy(out, "host", outlen);
}

static int valid_region(const char *r) {
  size_t n = strlen(r);
  if (n == 0 || n > 31)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
      return 0;
  return 1;
}

/* Adds an S3 location; uri is "s3://...", "https://..." or (--bucket,
 * --config) "BUCKET[/PREFIX]". 0, or -1 with the reason in why (also when
 * NC_MAX_LOCATIONS are taken: a job has at most 20, so only --config can get
 * there, and says so). */
static int add_location(struct nc_config *cfg, const char *uri, const char *prefix,
                        const char *role, const char *name, const char *field, char *why,
                        size_t whylen) {
  char buf[NC_PATH_MAX + 80];
  struct nc_s3_uri u;
  struct nc_s3_location *l;
  if (strncasecmp(uri, "s3://", 5) && strncasecmp(uri, "https://", 8)) {
    if (nc_snprintf(buf, sizeof buf, "s3://%s", uri)) {
      nc_strlcpy(why, "longer than a bucket and a key prefix can be", whylen);
      return -1;
    }
    uri = buf;
  }
  if (partition_parse_s3_uri(uri, &u, why, whylen))
    return -1;
  if (prefix && *prefix)
    nc_strlcpy(u.prefix, prefix, sizeof u.prefix);
  if (cfg->n_locations >= NC_MAX_LOCATIONS) {
    nc_snprintf(why, whylen, "more than %d S3 locations: not probed", NC_MAX_LOCATIONS);
    return -1;
  }
  l = &cfg->locations[cfg->n_locations++];
  memset(l, 0, sizeof *l);
  nc_strlcpy(l->bucket, u.bucket, sizeof l->bucket);
  nc_strlcpy(l->prefix, u.prefix, sizeof l->prefix);
  nc_strlcpy(l->region, u.region, sizeof l->region);
  nc_strlcpy(l->role, role, sizeof l->role);
  nc_strlcpy(l->name, name ? name : "", sizeof l->name);
  nc_strlcpy(l->field, field, sizeof l->field);
  return 0;
}

/* An input or output with no S3 location: listed, never an error. */
static void add_not_applicable(struct nc_config *cfg, const char *role, const char *name,
                               const char *field, const char *note) {
  struct nc_s3_location *l;
  if (cfg->n_locations >= NC_MAX_LOCATIONS)
    return;
  l = &cfg->locations[cfg->n_locations++];
  memset(l, 0, sizeof *l);
  nc_strlcpy(l->role, role, sizeof l->role);
  nc_strlcpy(l->name, name ? name : "", sizeof l->name);
  nc_strlcpy(l->field, field, sizeof l->field);
  nc_strlcpy(l->note, note, sizeof l->note);
}

static int add_string(char (*arr)[NC_HOST_MAX], int *n, int max, const char *s) {
  if (!*s || strlen(s) >= NC_HOST_MAX)
    return -1;
  for (int i = 0; i < *n; i++)
    if (!strcmp(arr[i], s))
      return 0;
  if (*n >= max)
    return -1;
  nc_strlcpy(arr[*n], s, NC_HOST_MAX);
  (*n)++;
  return 0;
}

static int add_dns_server(struct nc_config *cfg, const char *s) {
  if (!*s || strlen(s) >= sizeof cfg->dns_servers[0] || cfg->n_dns_servers >= NC_MAX_SERVERS)
    return -1;
  nc_strlcpy(cfg->dns_servers[cfg->n_dns_servers++], s, sizeof cfg->dns_servers[0]);
  return 0;
}

/* ---- JSON fields: a missing or null field is "absent"; a wrong type is a problem ---- */

/* A lenient file (what SageMaker wrote) records a wrong field as a problem
 * and skips it; a strict one (--config) fails with err set. */
struct jctx {
  struct nc_config *cfg;
  const char *file;
  bool lenient;
  char *err;
  size_t errlen;
};

enum jtype { J_STRING, J_OBJECT, J_ARRAY, J_NUMBER, J_BOOL };

static const char *const jtype_names[] = {"a string", "an object", "an array", "a number",
                                          "true or false"};

static bool jtype_is(const cJSON *it, enum jtype t) {
  switch (t) {
  case J_STRING:
    return cJSON_IsString(it) && it->valuestring;
  case J_OBJECT:
    return cJSON_IsObject(it);
  case J_ARRAY:
    return cJSON_IsArray(it);
  case J_NUMBER:
    return cJSON_IsNumber(it);
  default:
    return cJSON_IsBool(it);
  }
}

/* Complains about path.key (either may be ""): a problem of a lenient file
 * (the field is skipped), err of a strict one. Returns what the reader
 * returns then: 0 when lenient (absent), -1 when strict. */
static int jbad(struct jctx *c, const char *path, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int jbad(struct jctx *c, const char *path, const char *key, const char *fmt, ...) {
  char field[128], what[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  nc_snprintf(field, sizeof field, "%s%s%s", path, *path && *key ? "." : "", key);
  if (c->lenient)
    config_problem(c->cfg, c->file, field, "%s", what);
  else
    seterr(c->err, c->errlen, "%s: %s%s%s", c->file, field, *field ? ": " : "", what);
  return c->lenient ? 0 : -1;
}

/* 1 and *out set when obj.key has type t, 0 when absent or null (or wrong
 * in a lenient file), -1 when wrong in a strict one. */
static int jget(struct jctx *c, const cJSON *obj, const char *key, const char *path, enum jtype t,
                const cJSON **out) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  *out = NULL;
  if (!it || cJSON_IsNull(it))
    return 0;
  if (!jtype_is(it, t)) {
    jbad(c, path, key, "expected %s", jtype_names[t]);
    return c->lenient ? 0 : -1;
  }
  *out = it;
  return 1;
}

static int jstr(struct jctx *c, const cJSON *obj, const char *key, const char *path,
                const char **out) {
  const cJSON *it = NULL;
  int r = jget(c, obj, key, path, J_STRING, &it);
  if (r != 1 || !it || !it->valuestring)
    return r < 0 ? -1 : 0;
  *out = it->valuestring;
  return 1;
}

static int jnum(struct jctx *c, const cJSON *obj, const char *key, const char *path, double *out) {
  const cJSON *it = NULL;
  int r = jget(c, obj, key, path, J_NUMBER, &it);
  if (r != 1 || !it)
    return r < 0 ? -1 : 0;
  *out = it->valuedouble;
  return 1;
}

static cJSON *parse_json(struct jctx *c, const char *buf, size_t len) {
  const char *end = NULL;
  cJSON *root;
  if (len > CONFIG_FILE_MAX) {
    seterr(c->err, c->errlen, "%s: file too large (%zu bytes, limit %d)", c->file, len,
           CONFIG_FILE_MAX);
    return NULL;
  }
  root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
  if (!root) {
    size_t off = end && end >= buf ? (size_t)(end - buf) : 0;
    seterr(c->err, c->errlen, "%s: malformed JSON near byte %zu", c->file, off);
    return NULL;
  }
  if (!cJSON_IsObject(root)) {
    seterr(c->err, c->errlen, "%s: expected a JSON object at the top level", c->file);
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

/* ---- the job's settings in its environment (NETCHECK_*) ---- */

/* Applies one NETCHECK_* value from src. A value that cannot be used is a
 * problem of `where`, never fatal: the job must still start. */
static void apply_env_setting(struct nc_config *cfg, const char *var, const char *value,
                              enum nc_source src, const char *where) {
  if (!value || !*value)
    return;
  if (!strcmp(var, ENV_EXPECT)) {
    char err[256];
    if (config_add_expectations(cfg, value, true, src, err, sizeof err))
      config_problem(cfg, where, var, "%s", err);
  } else if (!strcmp(var, ENV_SKIP)) {
    char buf[1024];
    char *save = NULL, *tok;
    if (nc_strlcpy(buf, value, sizeof buf) >= sizeof buf) {
      config_problem(cfg, where, var, "longer than %zu bytes: ignored", sizeof buf - 1);
      return;
    }
    for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
      if (strlen(tok) >= NC_KEY_MAX || cfg->n_skips >= NC_MAX_SKIPS) {
        config_problem(cfg, where, var, "\"%.64s\": too long, or too many skips", tok);
        continue;
      }
      cfg->skip_source[cfg->n_skips] = src;
      nc_strlcpy(cfg->skips[cfg->n_skips++], tok, NC_KEY_MAX);
    }
  } else if (!strcmp(var, ENV_ON_FAIL)) {
    if (!strcmp(value, "warn") || !strcmp(value, "abort"))
      cfg->on_fail = strcmp(value, "abort") ? NC_ON_FAIL_WARN : NC_ON_FAIL_ABORT;
    else
      config_problem(cfg, where, var, "expected warn or abort, got \"%.32s\"", value);
  } else if (!strcmp(var, ENV_TIMEOUT)) {
    int ms;
    if (parse_seconds_ms(value, 100, 3600000, &ms) == 0)
      cfg->timeout_ms = ms;
    else
      config_problem(cfg, where, var, "expected seconds between 0.1 and 3600, got \"%.32s\"",
                     value);
  }
}

static const char *const env_settings[] = {ENV_EXPECT, ENV_SKIP, ENV_ON_FAIL, ENV_TIMEOUT};

/* ---- processingjobconfig.json ---- */

/* One S3 URI of the job: a location, or a problem naming the field when it
 * is not one netcheck can probe (the reason never repeats the URI: it may
 * carry user information). */
static const struct nc_s3_location *job_uri(struct jctx *c, const cJSON *obj, const char *key,
                                            const char *path, const char *role, const char *name) {
  char field[96], why[160];
  const char *s = NULL;
  int before = c->cfg->n_locations;
  nc_snprintf(field, sizeof field, "%s.%s", path, key);
  if (jstr(c, obj, key, path, &s) != 1) {
    add_not_applicable(c->cfg, role, name, field, "no S3 URI");
    return NULL;
  }
  if (add_location(c->cfg, s, NULL, role, name, field, why, sizeof why)) {
    jbad(c, path, key, "not an S3 location netcheck can probe: %s", why);
    return NULL;
  }
  return c->cfg->n_locations > before ? &c->cfg->locations[before] : NULL;
}

static void job_inputs(struct jctx *c, const cJSON *root) {
  static const char *const datasets[] = {"AthenaDatasetDefinition", "RedshiftDatasetDefinition"};
  const cJSON *arr = NULL, *in;
  int i = 0;
  if (jget(c, root, "ProcessingInputs", "", J_ARRAY, &arr) != 1)
    return;
  cJSON_ArrayForEach(in, arr) {
    char path[64], sub[160];
    const cJSON *s3in = NULL, *ds = NULL, *def = NULL;
    const char *name = "";
    bool any = false;
    nc_snprintf(path, sizeof path, "ProcessingInputs[%d]", i++);
    if (cJSON_IsNull(in))
      continue;
    if (!cJSON_IsObject(in)) {
      jbad(c, path, "", "expected an object");
      continue;
    }
    jstr(c, in, "InputName", path, &name);
    if (jget(c, in, "S3Input", path, J_OBJECT, &s3in) == 1) {
      nc_snprintf(sub, sizeof sub, "%s.S3Input", path);
      job_uri(c, s3in, "S3Uri", sub, NC_ROLE_INPUT, name);
      any = true;
    }
    /* A dataset definition: the query's results land at OutputS3Uri, and
     * SageMaker downloads them from there into the container. */
    if (jget(c, in, "DatasetDefinition", path, J_OBJECT, &ds) == 1) {
      for (size_t k = 0; k < NC_ARRAY_LEN(datasets); k++) {
        nc_snprintf(sub, sizeof sub, "%s.DatasetDefinition", path);
        if (jget(c, ds, datasets[k], sub, J_OBJECT, &def) != 1)
          continue;
        nc_snprintf(sub, sizeof sub, "%s.DatasetDefinition.%s", path, datasets[k]);
        job_uri(c, def, "OutputS3Uri", sub, NC_ROLE_DATASET, name);
        any = true;
      }
    }
    if (!any)
      add_not_applicable(c->cfg, NC_ROLE_INPUT, name, path,
                         "no S3Input or DatasetDefinition: nothing to reach in S3");
  }
}

/* ProcessingOutputConfig.KmsKeyId: a key ID, key ARN, alias or alias ARN
 * ([a-zA-Z0-9:/_-], at most 2048, as the API says). It goes into a request
 * header, so nothing else is accepted. */
static void job_kms_key(struct jctx *c, const cJSON *o) {
  const char *s = NULL;
  if (jstr(c, o, "KmsKeyId", "ProcessingOutputConfig", &s) != 1 || !*s)
    return;
  if (strlen(s) >= sizeof c->cfg->job.output_kms_key ||
      strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/_-") !=
          strlen(s)) {
    jbad(c, "ProcessingOutputConfig", "KmsKeyId",
         "not a KMS key ID, key ARN or alias: the write check sends no key");
    return;
  }
  nc_strlcpy(c->cfg->job.output_kms_key, s, sizeof c->cfg->job.output_kms_key);
}

static void job_outputs(struct jctx *c, const cJSON *root) {
  const cJSON *o = NULL, *arr = NULL, *out;
  int i = 0;
  if (jget(c, root, "ProcessingOutputConfig", "", J_OBJECT, &o) != 1)
    return;
  job_kms_key(c, o);
  if (jget(c, o, "Outputs", "ProcessingOutputConfig", J_ARRAY, &arr) != 1)
    return;
  cJSON_ArrayForEach(out, arr) {
    char path[64], sub[96];
    const cJSON *s3out = NULL, *fs = NULL;
    const char *name = "", *lp = NULL, *group = NULL;
    const struct nc_s3_location *loc;
    struct nc_config *cfg = c->cfg;
    nc_snprintf(path, sizeof path, "ProcessingOutputConfig.Outputs[%d]", i++);
    if (cJSON_IsNull(out))
      continue;
    if (!cJSON_IsObject(out)) {
      jbad(c, path, "", "expected an object");
      continue;
    }
    jstr(c, out, "OutputName", path, &name);
    if (jget(c, out, "S3Output", path, J_OBJECT, &s3out) != 1) {
      /* A feature group is written through the Feature Store API, not S3. */
      if (jget(c, out, "FeatureStoreOutput", path, J_OBJECT, &fs) == 1) {
        char note[128];
        nc_snprintf(sub, sizeof sub, "%s.FeatureStoreOutput", path);
        jstr(c, fs, "FeatureGroupName", sub, &group);
        nc_snprintf(note, sizeof note, "FeatureStoreOutput%s%.64s%s: no S3 location",
                    group ? " (feature group " : "", group ? group : "", group ? ")" : "");
        add_not_applicable(cfg, NC_ROLE_OUTPUT, name, sub, note);
      } else {
        add_not_applicable(cfg, NC_ROLE_OUTPUT, name, path, "no S3Output: no S3 location");
      }
      continue;
    }
    nc_snprintf(sub, sizeof sub, "%s.S3Output", path);
    loc = job_uri(c, s3out, "S3Uri", sub, NC_ROLE_OUTPUT, name);
    if (jstr(c, s3out, "LocalPath", sub, &lp) == 1 && cfg->job.n_outputs < NC_MAX_OUTPUTS) {
      struct nc_output *no = &cfg->job.outputs[cfg->job.n_outputs];
      /* Never cut: a cut path names another directory. Not used, so the
       * report goes where it goes without this output. */
      if (strlen(lp) >= sizeof no->local_path) {
        char field[128];
        nc_snprintf(field, sizeof field, "%s.LocalPath", sub);
        config_problem(cfg, c->file, field, "a path of %zu bytes, more than %zu: %s; not used",
                       strlen(lp), sizeof no->local_path - 1, strerror(ENAMETOOLONG));
        continue;
      }
      cfg->job.n_outputs++;
      nc_strlcpy(no->name, name ? name : "", sizeof no->name);
      nc_strlcpy(no->local_path, lp, sizeof no->local_path);
      /* its s3:// form, whatever form the job wrote (too long: none) */
      if (loc && nc_snprintf(no->s3_uri, sizeof no->s3_uri, "s3://%s/%s", loc->bucket, loc->prefix))
        no->s3_uri[0] = '\0';
    }
  }
}

/* AWS_REGION, AWS_DEFAULT_REGION and AWS_USE_FIPS_ENDPOINT of the job's
 * Environment: SageMaker puts them into the process environment, which
 * wins; these count when netcheck reads a copied config directory. */
static void job_aws_env(struct jctx *c, const cJSON *env) {
  struct nc_job *j = &c->cfg->job;
  const char *s = NULL;
  if (jstr(c, env, "AWS_REGION", "Environment", &s) == 1 && valid_region(s))
    nc_strlcpy(j->env_region, s, sizeof j->env_region);
  if (jstr(c, env, "AWS_DEFAULT_REGION", "Environment", &s) == 1 && valid_region(s))
    nc_strlcpy(j->env_default_region, s, sizeof j->env_default_region);
  if (jstr(c, env, "AWS_USE_FIPS_ENDPOINT", "Environment", &s) == 1)
    j->env_fips = !strcasecmp(s, "true");
}

int config_parse_processing_job(struct nc_config *cfg, const char *buf, size_t len, char *err,
                                size_t errlen) {
  struct jctx c = {cfg, "processingjobconfig.json", true, err, errlen};
  const cJSON *o = NULL, *cl = NULL, *env = NULL, *iso = NULL;
  const char *s = NULL;
  double d;
  cJSON *root = parse_json(&c, buf, len);
  if (!root)
    return -1;
  cfg->job.found = true;
  if (jstr(&c, root, "ProcessingJobName", "", &s) == 1)
    nc_strlcpy(cfg->job.name, s, sizeof cfg->job.name);
  cfg->job.env_fips = -1;
  if (jstr(&c, root, "ProcessingJobArn", "", &s) == 1) {
    nc_strlcpy(cfg->job.arn, s, sizeof cfg->job.arn);
    /* The SageMaker Python SDK's local mode writes the job name here. */
    if (config_region_from_arn(s, cfg->job.region, sizeof cfg->job.region)) {
      cfg->job.region[0] = '\0';
      nc_snprintf(cfg->job.arn_problem, sizeof cfg->job.arn_problem,
                  "ProcessingJobArn \"%.64s\" is not an ARN (SageMaker local mode writes the job "
                  "name there)",
                  s);
    }
    /* The name is the ARN's last path component when the name field is absent. */
    if (!cfg->job.name[0] && strrchr(s, '/'))
      nc_strlcpy(cfg->job.name, strrchr(s, '/') + 1, sizeof cfg->job.name);
  }
  job_inputs(&c, root);
  job_outputs(&c, root);
  if (jget(&c, root, "ProcessingResources", "", J_OBJECT, &o) == 1 &&
      jget(&c, o, "ClusterConfig", "ProcessingResources", J_OBJECT, &cl) == 1 &&
      jnum(&c, cl, "InstanceCount", "ProcessingResources.ClusterConfig", &d) == 1 && d >= 0 &&
      d <= 100000)
    cfg->job.instance_count = (int)d;
  if (jget(&c, root, "NetworkConfig", "", J_OBJECT, &o) == 1 &&
      jget(&c, o, "EnableNetworkIsolation", "NetworkConfig", J_BOOL, &iso) == 1)
    cfg->job.network_isolation = cJSON_IsTrue(iso) ? 1 : 0;
  /* The job's Environment: NETCHECK_* settings (the process environment,
   * read later, has the same values inside SageMaker and wins). */
  if (jget(&c, root, "Environment", "", J_OBJECT, &env) == 1) {
    for (size_t k = 0; k < NC_ARRAY_LEN(env_settings); k++)
      if (jstr(&c, env, env_settings[k], "Environment", &s) == 1)
        apply_env_setting(cfg, env_settings[k], s, NC_SRC_JOB_ENV, c.file);
    job_aws_env(&c, env);
  }
  cJSON_Delete(root);
  return 0;
}

int config_parse_resource(struct nc_config *cfg, const char *buf, size_t len, char *err,
                          size_t errlen) {
  struct jctx c = {cfg, "resourceconfig.json", true, err, errlen};
  const cJSON *arr = NULL, *h;
  const char *s = NULL;
  int beyond = 0;
  cJSON *root = parse_json(&c, buf, len);
  if (!root)
    return -1;
  if (jstr(&c, root, "current_host", "", &s) == 1) {
    if (!*s || strlen(s) >= NC_HOST_MAX)
      jbad(&c, "", "current_host", "empty or longer than %d bytes", NC_HOST_MAX - 1);
    else
      nc_strlcpy(cfg->job.current_host, s, sizeof cfg->job.current_host);
  }
  if (jstr(&c, root, "network_interface_name", "", &s) == 1)
    nc_strlcpy(cfg->job.network_interface_name, s, sizeof cfg->job.network_interface_name);
  if (jget(&c, root, "hosts", "", J_ARRAY, &arr) == 1) {
    int i = 0;
    cJSON_ArrayForEach(h, arr) {
      char path[32];
      nc_snprintf(path, sizeof path, "hosts[%d]", i++);
      if (!cJSON_IsString(h) || !h->valuestring) {
        jbad(&c, path, "", "expected a string");
        continue;
      }
      if (!*h->valuestring || strlen(h->valuestring) >= NC_HOST_MAX) {
        jbad(&c, path, "", "empty or longer than %d bytes", NC_HOST_MAX - 1);
        continue;
      }
      if (cfg->job.n_hosts >= NC_MAX_HOSTS) {
        beyond++;
        continue;
      }
      add_string(cfg->job.hosts, &cfg->job.n_hosts, NC_MAX_HOSTS, h->valuestring);
    }
  }
  if (beyond)
    config_problem(cfg, c.file, "hosts",
                   "%d hosts beyond the first %d are not probed (netcheck's limit)", beyond,
                   NC_MAX_HOSTS);
  cJSON_Delete(root);
  return 0;
}

static int add_expectation(struct nc_config *cfg, const char *key, size_t klen, int e,
                           enum nc_source src) {
  struct nc_expectation *x;
  if (klen == 0 || klen >= NC_KEY_MAX || e < 0 || cfg->n_expectations >= NC_MAX_EXPECTATIONS)
    return -1;
  x = &cfg->expectations[cfg->n_expectations++];
  memcpy(x->key, key, klen);
  x->key[klen] = '\0';
  x->expect = (enum nc_expect)e;
  x->source = src;
  return 0;
}

/* s without leading and trailing blanks (in place). */
static char *trim_blanks(char *s) {
  size_t n;
  while (*s == ' ' || *s == '\t')
    s++;
  n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    s[--n] = '\0';
  return s;
}

int config_add_expectations(struct nc_config *cfg, const char *text, bool list, enum nc_source src,
                            char *err, size_t errlen) {
  char buf[1024];
  char *save = NULL, *tok;
  if (nc_strlcpy(buf, text, sizeof buf) >= sizeof buf) {
    seterr(err, errlen, "longer than %zu bytes", sizeof buf - 1);
    return -1;
  }
  for (tok = list ? strtok_r(buf, ",", &save) : buf; tok;
       tok = list ? strtok_r(NULL, ",", &save) : NULL) {
    char *eq = strchr(tok, '='), *key, *value;
    if (!eq) {
      if (list && !*trim_blanks(tok))
        continue; /* "a=b,,c=d" */
      seterr(err, errlen, "expected KEY=reachable|blocked|any, got \"%.64s\"", trim_blanks(tok));
      return -1;
    }
    *eq = '\0';
    key = trim_blanks(tok);
    value = trim_blanks(eq + 1);
    if (add_expectation(cfg, key, strlen(key), config_expect_from_name(value), src)) {
      seterr(err, errlen, "expected KEY=reachable|blocked|any, got \"%.64s=%.32s\"", key, value);
      return -1;
    }
  }
  return 0;
}

/* --config FILE: extra targets and expectations. */
int config_parse_file(struct nc_config *cfg, const char *buf, size_t len, char *err,
                      size_t errlen) {
  struct jctx c = {cfg, cfg->config_file[0] ? cfg->config_file : "--config", false, err, errlen};
  const cJSON *arr = NULL, *o = NULL, *it;
  const char *s = NULL;
  double d;
  int rc = -1, r;
  cJSON *root = parse_json(&c, buf, len);
  if (!root)
    return -1;

  for (it = root->child; it; it = it->next) {
    static const char *const known[] = {
        "region",      "buckets", "expect",          "skip",      "egress_targets", "tcp_targets",
        "dns_servers", "timeout", "connect_timeout", "peer_wait", "peer_port",      "ca_bundle",
        "on_fail",     "report",  "summary",         "$schema",   "comment",        "internet",
        "fips"};
    size_t k;
    for (k = 0; k < NC_ARRAY_LEN(known); k++)
      if (it->string && !strcmp(it->string, known[k]))
        break;
    if (k == NC_ARRAY_LEN(known)) {
      seterr(err, errlen, "%s: unknown key \"%.64s\"", c.file, it->string ? it->string : "");
      goto done;
    }
  }
  if ((r = jstr(&c, root, "region", "", &s)) < 0)
    goto done;
  if (r) {
    if (!valid_region(s)) {
      seterr(err, errlen, "%s: region: \"%.40s\" is not a region name", c.file, s);
      goto done;
    }
    nc_strlcpy(cfg->region, s, sizeof cfg->region);
    cfg->region_source = NC_REGION_CONFIG;
  }
  if ((r = jget(&c, root, "fips", "", J_BOOL, &o)) < 0)
    goto done;
  if (r)
    cfg->fips = cJSON_IsTrue(o);
  if ((r = jget(&c, root, "buckets", "", J_ARRAY, &arr)) < 0)
    goto done;
  if (r) {
    int i = 0;
    cJSON_ArrayForEach(it, arr) {
      const char *name = NULL, *prefix = NULL, *role = NC_ROLE_CONFIG;
      char path[32],
          why[160] = "expected a bucket name, an S3 URI or {\"name\",\"prefix\",\"role\"}";
      nc_snprintf(path, sizeof path, "buckets[%d]", i++);
      if (cJSON_IsString(it)) {
        name = it->valuestring;
      } else if (cJSON_IsObject(it)) {
        if (jstr(&c, it, "name", path, &name) < 0 || jstr(&c, it, "prefix", path, &prefix) < 0 ||
            jstr(&c, it, "role", path, &role) < 0)
          goto done;
        /* "output": the location also gets the write check */
        if (strcmp(role, NC_ROLE_CONFIG) && strcmp(role, NC_ROLE_INPUT) &&
            strcmp(role, NC_ROLE_OUTPUT)) {
          seterr(err, errlen, "%s: %s.role: expected \"input\" or \"output\"", c.file, path);
          goto done;
        }
      }
      if (!name || add_location(cfg, name, prefix, role, NULL, path, why, sizeof why)) {
        seterr(err, errlen, "%s: %s: %s", c.file, path, why);
        goto done;
      }
    }
  }
  if ((r = jget(&c, root, "expect", "", J_OBJECT, &o)) < 0)
    goto done;
  if (r) {
    cJSON_ArrayForEach(it, o) {
      int e = cJSON_IsString(it) ? config_expect_from_name(it->valuestring) : -1;
      if (!it->string || add_expectation(cfg, it->string, strlen(it->string), e, NC_SRC_CONFIG)) {
        seterr(err, errlen,
               "%s: expect.%.32s: expected a probe family or target and \"reachable\", "
               "\"blocked\" or \"any\"",
               c.file, it->string ? it->string : "");
        goto done;
      }
    }
  }
  /* "internet" (docs/design.md) is shorthand for expect.egress. */
  if ((r = jstr(&c, root, "internet", "", &s)) < 0)
    goto done;
  if (r &&
      add_expectation(cfg, "egress", strlen("egress"), config_expect_from_name(s), NC_SRC_CONFIG)) {
    seterr(err, errlen, "%s: internet: expected \"reachable\", \"blocked\" or \"any\"", c.file);
    goto done;
  }
  if ((r = jget(&c, root, "skip", "", J_ARRAY, &arr)) < 0)
    goto done;
  if (r) {
    cJSON_ArrayForEach(it, arr) {
      if (!cJSON_IsString(it) || !*it->valuestring || strlen(it->valuestring) >= NC_KEY_MAX ||
          cfg->n_skips >= NC_MAX_SKIPS) {
        seterr(err, errlen, "%s: skip: expected probe family names (netcheck --list-probes)",
               c.file);
        goto done;
      }
      cfg->skip_source[cfg->n_skips] = NC_SRC_CONFIG;
      nc_strlcpy(cfg->skips[cfg->n_skips++], it->valuestring, NC_KEY_MAX);
    }
  }
  struct {
    const char *key;
    char (*arr)[NC_HOST_MAX];
    int *n;
  } lists[] = {{"egress_targets", cfg->egress_targets, &cfg->n_egress_targets},
               {"tcp_targets", cfg->tcp_targets, &cfg->n_tcp_targets}};
  for (size_t l = 0; l < NC_ARRAY_LEN(lists); l++) {
    if ((r = jget(&c, root, lists[l].key, "", J_ARRAY, &arr)) < 0)
      goto done;
    if (!r)
      continue;
    *lists[l].n = 0; /* the file replaces the defaults */
    cJSON_ArrayForEach(it, arr) {
      if (!cJSON_IsString(it) ||
          add_string(lists[l].arr, lists[l].n, NC_MAX_TARGETS, it->valuestring)) {
        seterr(err, errlen, "%s: %s: expected at most %d non-empty strings", c.file, lists[l].key,
               NC_MAX_TARGETS);
        goto done;
      }
    }
  }
  if ((r = jget(&c, root, "dns_servers", "", J_ARRAY, &arr)) < 0)
    goto done;
  if (r) {
    cfg->n_dns_servers = 0;
    cJSON_ArrayForEach(it, arr) {
      if (!cJSON_IsString(it) || add_dns_server(cfg, it->valuestring)) {
        seterr(err, errlen, "%s: dns_servers: expected at most %d \"IP[:PORT]\" strings", c.file,
               NC_MAX_SERVERS);
        goto done;
      }
    }
  }
  if ((r = jnum(&c, root, "timeout", "", &d)) < 0)
    goto done;
  if (r) {
    if (d < 0.1 || d > 3600) {
      seterr(err, errlen, "%s: timeout: expected seconds between 0.1 and 3600", c.file);
      goto done;
    }
    cfg->timeout_ms = (int)(d * 1000);
  }
  if ((r = jnum(&c, root, "connect_timeout", "", &d)) < 0)
    goto done;
  if (r) {
    if (d < 0.1 || d > 3600) {
      seterr(err, errlen, "%s: connect_timeout: expected seconds between 0.1 and 3600", c.file);
      goto done;
    }
    cfg->connect_timeout_ms = (int)(d * 1000);
  }
  if ((r = jnum(&c, root, "peer_wait", "", &d)) < 0)
    goto done;
  if (r) {
    if (d < 0 || d > 3600) {
      seterr(err, errlen, "%s: peer_wait: expected seconds between 0 and 3600", c.file);
      goto done;
    }
    cfg->peer_wait_ms = (int)(d * 1000);
  }
  if ((r = jnum(&c, root, "peer_port", "", &d)) < 0)
    goto done;
  if (r) {
    if (d < 1 || d > 65535 || d != (int)d) {
      seterr(err, errlen, "%s: peer_port: expected a port number", c.file);
      goto done;
    }
    cfg->peer_port = (int)d;
  }
  if ((r = jstr(&c, root, "ca_bundle", "", &s)) < 0)
    goto done;
  if (r) {
    char what[NC_PATH_MAX + 32];
    nc_snprintf(what, sizeof what, "%s: ca_bundle", c.file);
    if (copy_path(cfg->ca_bundle, s, what, err, errlen))
      goto done;
  }
  if ((r = jstr(&c, root, "report", "", &s)) < 0)
    goto done;
  if (r) {
    char what[NC_PATH_MAX + 32];
    nc_snprintf(what, sizeof what, "%s: report", c.file);
    if (copy_path(cfg->report_path, s, what, err, errlen))
      goto done;
  }
  if ((r = jstr(&c, root, "on_fail", "", &s)) < 0)
    goto done;
  if (r) {
    if (strcmp(s, "warn") && strcmp(s, "abort")) {
      seterr(err, errlen, "%s: on_fail: expected \"warn\" or \"abort\"", c.file);
      goto done;
    }
    cfg->on_fail = strcmp(s, "abort") ? NC_ON_FAIL_WARN : NC_ON_FAIL_ABORT;
  }
  if ((r = jstr(&c, root, "summary", "", &s)) < 0)
    goto done;
  if (r) {
    if (!strcmp(s, "text"))
      cfg->summary = NC_SUMMARY_TEXT;
    else if (!strcmp(s, "json"))
      cfg->summary = NC_SUMMARY_JSON;
    else if (!strcmp(s, "none"))
      cfg->summary = NC_SUMMARY_NONE;
    else if (!strcmp(s, "junit"))
      cfg->summary = NC_SUMMARY_JUNIT;
    else {
      seterr(err, errlen, "%s: summary: expected text, json, junit or none", c.file);
      goto done;
    }
  }
  rc = 0;
done:
  cJSON_Delete(root);
  return rc;
}

/* ---- loading ---- */

/* Reads dir/name into cfg with parse(). A missing file is fine; one that
 * cannot be read or parsed is a problem of the job config (CONFIG_INVALID),
 * never fatal: what SageMaker wrote must not keep the workload from starting. */
static void load_sm_file(struct nc_config *cfg, const char *dir, const char *name,
                         int (*parse)(struct nc_config *, const char *, size_t, char *, size_t)) {
  char path[NC_PATH_MAX + 64], err[512];
  char *buf;
  size_t len;
  int first = cfg->n_problems;
  nc_snprintf(path, sizeof path, "%s/%s", dir, name);
  if (nc_read_file(path, CONFIG_FILE_MAX, &buf, &len)) {
    if (errno != ENOENT)
      config_problem(cfg, path, "", "%s: the file was not used",
                     errno == EFBIG ? "larger than 1 MiB" : nc_read_error(errno));
    return;
  }
  if (parse(cfg, buf, len, err, sizeof err)) {
    const char *rest = strchr(err, ':'); /* after the base name the parser knows */
    config_problem(cfg, path, "", "%s: the file was not used", rest ? rest + 2 : err);
  }
  free(buf);
  /* The parser knows only the base name: problems name the full path. */
  for (int i = first; i < cfg->n_problems; i++)
    nc_strlcpy(cfg->problems[i].file, path, sizeof cfg->problems[i].file);
}

/* Flag values, applied after discovery and the file. */
struct flags {
  const char *sm_config_dir, *config, *report, *region, *ca_bundle, *message;
  const char *last_value; /* the last option's value (NULL: none), to tell it from a "--" */
  char **command;         /* after "--" */
  bool init, dry_run, list_probes, help, version;
  int timeout_ms, connect_timeout_ms, peer_wait_ms, peer_port;
  int on_fail, summary;
  bool fips;
  const char *buckets[NC_MAX_BUCKETS];
  int n_buckets;
  const char *dns[NC_MAX_SERVERS];
  int n_dns;
  const char *egress[NC_MAX_TARGETS];
  int n_egress;
  const char *expects[NC_MAX_EXPECTATIONS];
  int n_expects;
  const char *skips[NC_MAX_SKIPS];
  int n_skips;
};

enum {
  OPT_CONFIG = 256,
  OPT_SM_DIR,
  OPT_REPORT,
  OPT_TIMEOUT,
  OPT_CONNECT_TIMEOUT,
  OPT_ON_FAIL,
  OPT_REGION,
  OPT_BUCKET,
  OPT_DNS,
  OPT_CA,
  OPT_PEER_PORT,
  OPT_PEER_WAIT,
  OPT_SUMMARY,
  OPT_INIT,
  OPT_EXPECT,
  OPT_SKIP,
  OPT_EGRESS,
  OPT_MESSAGE,
  OPT_DRY_RUN,
  OPT_LIST,
  OPT_FIPS,
};

static const struct option long_opts[] = {
    {OPT_SM_CONFIG_DIR, required_argument, NULL, OPT_SM_DIR},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"report", required_argument, NULL, OPT_REPORT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"on-fail", required_argument, NULL, OPT_ON_FAIL},
    {"region", required_argument, NULL, OPT_REGION},
    {"bucket", required_argument, NULL, OPT_BUCKET},
    {"dns-server", required_argument, NULL, OPT_DNS},
    {"ca-bundle", required_argument, NULL, OPT_CA},
    {"peer-port", required_argument, NULL, OPT_PEER_PORT},
    {"peer-wait", required_argument, NULL, OPT_PEER_WAIT},
    {"summary", required_argument, NULL, OPT_SUMMARY},
    {"expect", required_argument, NULL, OPT_EXPECT},
    {"skip", required_argument, NULL, OPT_SKIP},
    {"egress-target", required_argument, NULL, OPT_EGRESS},
    {"message-file", required_argument, NULL, OPT_MESSAGE},
    {"init", no_argument, NULL, OPT_INIT},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"list-probes", no_argument, NULL, OPT_LIST},
    {"fips", no_argument, NULL, OPT_FIPS},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

void config_usage(FILE *stream) {
  fputs("Usage: netcheck [OPTIONS] [-- COMMAND [ARG...]]\n"
        "       netcheck merge [--json | --html FILE] REPORT.json...\n"
        "       netcheck explain CODE | --all\n"
        "\n"
        "Tests the network of a SageMaker Processing container the way the job will use it\n"
        "(DNS, every S3 location of the job through the VPC endpoint, a zero-byte upload\n"
        "under each output, package repositories, egress, AWS endpoints, peers), writes a\n"
        "JSON report, prints a verdict, then execs COMMAND.\n"
        "\n"
        "Every probe has a tier: required (what the job uses: its buckets, credentials,\n"
        "peers, clock) fails the verdict; policy (the Amazon Linux repositories blocked)\n"
        "warns; informational (AWS service endpoints, internet egress) is reported as a\n"
        "fact. An expectation given with --expect, --config or NETCHECK_EXPECT makes a\n"
        "probe required.\n"
        "\n"
        "Options:\n"
        "  --sm-config-dir DIR   SageMaker config directory (default /opt/ml/config,\n"
        "                        or $NETCHECK_SM_CONFIG_DIR)\n"
        "  --config FILE         JSON file with extra targets, expectations and skips\n"
        "  --report PATH|-|none  where to write the JSON report (default: the output named\n"
        "                        'netcheck', else " NC_DEFAULT_REPORT_DIR "/HOST.json)\n"
        "  --timeout SEC         deadline for every check but the peer phase (default 15)\n"
        "  --connect-timeout SEC DNS + connect budget of policy and informational probes\n"
        "                        (default 3): what the job may not use never holds it longer\n"
        "  --on-fail warn|abort  on a failed expectation: start COMMAND anyway (warn, the\n"
        "                        default) or exit 1 without starting it (abort)\n"
        "  --region REGION       AWS region (default: from the job ARN, AWS_REGION,\n"
        "                        AWS_DEFAULT_REGION, an https S3 URI of the job, else\n"
        "                        " NC_DEFAULT_REGION " with a warning); its partition names the\n"
        "                        endpoints (amazonaws.com, amazonaws.com.cn)\n"
        "  --fips                FIPS endpoint names (also AWS_USE_FIPS_ENDPOINT=true)\n"
        "  --bucket NAME[/PREFIX] also probe this bucket, or an s3:// or https S3 URI\n"
        "                        (repeatable)\n"
        "  --dns-server IP[:PORT] query this nameserver instead of resolv.conf (repeatable)\n"
        "  --ca-bundle FILE      CA certificates for TLS (default $AWS_CA_BUNDLE or system)\n"
        "  --peer-port N         port of the peer check (default 7191)\n"
        "  --peer-wait SEC       how long to wait for peers that start late (default 120)\n"
        "  --expect KEY=reachable|blocked|any\n"
        "                        expectation of a probe family (aws, egress, repo, ...) or\n"
        "                        of one target (sts, logs, pypi.org, ...); repeatable\n"
        "  --skip FAMILY         do not run a probe family (repeatable); --skip s3-write:\n"
        "                        no upload under the outputs\n"
        "  --egress-target HOST  public target for the egress check (repeatable;\n"
        "                        default pypi.org)\n"
        "  --summary text|json|junit|none\n"
        "                        what to print on stderr at the end (default text)\n"
        "  --message-file PATH   failure reason file for --on-fail abort\n"
        "                        (default /opt/ml/output/message)\n"
        "  --init                stay as PID 1: forward signals, reap zombies\n"
        "  --list-probes         list the probe families, their tiers and exit\n"
        "  --dry-run             print the region and its source, the job's S3 locations,\n"
        "                        hosts, report path and message file, then every probe\n"
        "                        with its tier and expectation, and exit\n"
        "  -v, --verbose         log more (repeatable): -v logs each probe's phases\n"
        "                        (resolve, connect, TLS, request, answer) without secrets\n"
        "  -h, --help            show this help and exit\n"
        "  -V, --version         show the version and exit\n",
        (FILE *)stream);
  /* Two strings: C11 promises string literals of 4095 bytes, no more. */
  fputs("\n"
        "The job's Environment (no new image needed): NETCHECK_EXPECT=\"sts=reachable,...\",\n"
        "NETCHECK_SKIP=FAMILY,..., NETCHECK_ON_FAIL=warn|abort, NETCHECK_TIMEOUT=SEC.\n"
        "Precedence: flags > --config file > environment > what is discovered.\n"
        "Long options are never abbreviated.\n"
        "\n"
        "Exit codes: 0 all expectations met; 1 an expectation failed; 2 usage or\n"
        "configuration error; 3 internal error. With -- COMMAND: COMMAND's status\n"
        "(127 not found, 126 not executable); 128+N when stopped by signal N.\n",
        (FILE *)stream);
}

/* 0 when the argument names the long option in full ("--name" or
 * "--name=value"): getopt_long also takes any unambiguous prefix, and an
 * abbreviation would change meaning the day an option is added. */
static int unabbreviated(const char *arg, const char *name) {
  size_t n;
  if (strncmp(arg, "--", 2))
    return -1;
  arg += 2;
  n = strcspn(arg, "=");
  return n == strlen(name) && !strncmp(arg, name, n) ? 0 : -1;
}

static int parse_flags(struct flags *f, int argc, char **argv, int *verbose, char *err,
                       size_t errlen) {
  long v;
  opterr = 0;
  optind = 0; /* 0, not 1: glibc and musl then reset all of getopt's state */
  for (;;) {
    int at = optind ? optind : 1, idx = -1;
    /* "+": options end at the first argument that is not one, never
     * permuted, so that argv[at] is the option getopt_long reads now. */
    int ch = getopt_long(argc, argv, "+:vhV", long_opts, &idx);
    if (ch == -1)
      break;
    if (idx >= 0 && unabbreviated(argv[at], long_opts[idx].name)) {
      seterr(err, errlen, "option '%.64s' is abbreviated: write --%s (see --help)", argv[at],
             long_opts[idx].name);
      return -1;
    }
    f->last_value = optarg; /* NULL for an option without a value */
    switch (ch) {
    case OPT_SM_DIR:
      f->sm_config_dir = optarg;
      break;
    case OPT_CONFIG:
      f->config = optarg;
      break;
    case OPT_REPORT:
      f->report = optarg;
      break;
    case OPT_TIMEOUT:
      if (parse_seconds_ms(optarg, 100, 3600000, &f->timeout_ms)) {
        seterr(err, errlen, "--timeout: expected seconds between 0.1 and 3600, got \"%.32s\"",
               optarg);
        return -1;
      }
      break;
    case OPT_CONNECT_TIMEOUT:
      if (parse_seconds_ms(optarg, 100, 3600000, &f->connect_timeout_ms)) {
        seterr(err, errlen,
               "--connect-timeout: expected seconds between 0.1 and 3600, got \"%.32s\"", optarg);
        return -1;
      }
      break;
    case OPT_PEER_WAIT:
      if (parse_seconds_ms(optarg, 0, 3600000, &f->peer_wait_ms)) {
        seterr(err, errlen, "--peer-wait: expected seconds between 0 and 3600, got \"%.32s\"",
               optarg);
        return -1;
      }
      break;
    case OPT_PEER_PORT:
      if (parse_int(optarg, 1, 65535, &v)) {
        seterr(err, errlen, "--peer-port: expected a port number, got \"%.32s\"", optarg);
        return -1;
      }
      f->peer_port = (int)v;
      break;
    case OPT_ON_FAIL:
      if (strcmp(optarg, "warn") && strcmp(optarg, "abort")) {
        seterr(err, errlen, "--on-fail: expected warn or abort, got \"%.32s\"", optarg);
        return -1;
      }
      f->on_fail = strcmp(optarg, "abort") ? NC_ON_FAIL_WARN : NC_ON_FAIL_ABORT;
      break;
    case OPT_SUMMARY:
      if (!strcmp(optarg, "text"))
        f->summary = NC_SUMMARY_TEXT;
      else if (!strcmp(optarg, "json"))
        f->summary = NC_SUMMARY_JSON;
      else if (!strcmp(optarg, "none"))
        f->summary = NC_SUMMARY_NONE;
      else if (!strcmp(optarg, "junit"))
        f->summary = NC_SUMMARY_JUNIT;
      else {
        seterr(err, errlen, "--summary: expected text, json, junit or none, got \"%.32s\"", optarg);
        return -1;
      }
      break;
    case OPT_REGION:
      if (!valid_region(optarg)) {
        seterr(err, errlen, "--region: \"%.40s\" is not a region name", optarg);
        return -1;
      }
      f->region = optarg;
      break;
    case OPT_BUCKET:
      if (f->n_buckets >= NC_MAX_BUCKETS) {
        seterr(err, errlen, "--bucket: at most %d buckets", NC_MAX_BUCKETS);
        return -1;
      }
      f->buckets[f->n_buckets++] = optarg;
      break;
    case OPT_DNS:
      if (f->n_dns >= NC_MAX_SERVERS) {
        seterr(err, errlen, "--dns-server: at most %d servers", NC_MAX_SERVERS);
        return -1;
      }
      f->dns[f->n_dns++] = optarg;
      break;
    case OPT_EGRESS:
      if (f->n_egress >= NC_MAX_TARGETS) {
        seterr(err, errlen, "--egress-target: at most %d targets", NC_MAX_TARGETS);
        return -1;
      }
      f->egress[f->n_egress++] = optarg;
      break;
    case OPT_EXPECT:
      if (f->n_expects >= (int)NC_ARRAY_LEN(f->expects)) {
        seterr(err, errlen, "--expect: too many");
        return -1;
      }
      f->expects[f->n_expects++] = optarg;
      break;
    case OPT_SKIP:
      if (f->n_skips >= (int)NC_ARRAY_LEN(f->skips)) {
        seterr(err, errlen, "--skip: too many");
        return -1;
      }
      f->skips[f->n_skips++] = optarg;
      break;
    case OPT_CA:
      f->ca_bundle = optarg;
      break;
    case OPT_MESSAGE:
      f->message = optarg;
      break;
    case OPT_FIPS:
      f->fips = true;
      break;
    /* Modes are set here and nowhere else: a value that reads like one
     * ("--report --init") is a value. */
    case OPT_INIT:
      f->init = true;
      break;
    case OPT_DRY_RUN:
      f->dry_run = true;
      break;
    case OPT_LIST:
      f->list_probes = true;
      break;
    case 'h':
      f->help = true;
      break;
    case 'V':
      f->version = true;
      break;
    case 'v':
      (*verbose)++;
      break;
    case ':':
      seterr(err, errlen, "option '%.64s' needs a value (see --help)", argv[optind - 1]);
      return -1;
    default:
      seterr(err, errlen, "unknown option '%.64s' (see --help)", argv[optind - 1]);
      return -1;
    }
  }
  /* getopt_long stepped over a "--" that was not an option's value: the
   * workload follows it. */
  if (optind > 1 && !strcmp(argv[optind - 1], "--") && argv[optind - 1] != f->last_value) {
    f->command = optind < argc ? argv + optind : NULL;
    return 0;
  }
  if (optind < argc) {
    seterr(err, errlen, "unexpected argument '%.64s' (the workload goes after --)", argv[optind]);
    return -1;
  }
  return 0;
}

static void apply_defaults(struct nc_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  nc_strlcpy(cfg->sm_config_dir, NC_DEFAULT_SM_CONFIG_DIR, sizeof cfg->sm_config_dir);
  nc_strlcpy(cfg->message_path, NC_DEFAULT_MESSAGE_PATH, sizeof cfg->message_path);
  cfg->timeout_ms = NC_DEFAULT_TIMEOUT_MS;
  cfg->connect_timeout_ms = NC_DEFAULT_CONNECT_TIMEOUT_MS;
  cfg->peer_wait_ms = NC_DEFAULT_PEER_WAIT_MS;
  cfg->peer_port = NC_DEFAULT_PEER_PORT;
  cfg->summary = NC_SUMMARY_TEXT;
  cfg->on_fail = NC_ON_FAIL_WARN;
  cfg->job.network_isolation = -1;
  cfg->job.env_fips = -1;
  nc_strlcpy(cfg->egress_targets[0], "pypi.org", NC_HOST_MAX);
  cfg->n_egress_targets = 1;
}

/* The region, by precedence: --region, --config, the job ARN, AWS_REGION,
 * AWS_DEFAULT_REGION (the process environment, then the job's Environment),
 * the region an https S3 URI of the job names, else NC_DEFAULT_REGION with a
 * warning that says it is a guess. */
static void resolve_region(struct nc_config *cfg, const char *flag_region) {
  const char *env, *pick = NULL;
  enum nc_region_source src = NC_REGION_DEFAULT;
  if (flag_region) {
    pick = flag_region;
    src = NC_REGION_FLAG;
  } else if (cfg->region_source == NC_REGION_CONFIG && cfg->region[0]) {
    pick = cfg->region;
    src = NC_REGION_CONFIG;
  } else if (cfg->job.region[0]) {
    pick = cfg->job.region;
    src = NC_REGION_ARN;
  } else if (((env = getenv("AWS_REGION")) && valid_region(env)) || *(env = cfg->job.env_region)) {
    pick = env;
    src = NC_REGION_AWS_REGION;
  } else if (((env = getenv("AWS_DEFAULT_REGION")) && valid_region(env)) ||
             *(env = cfg->job.env_default_region)) {
    pick = env;
    src = NC_REGION_AWS_DEFAULT_REGION;
  } else {
    for (int i = 0; i < cfg->n_locations && !pick; i++)
      if (cfg->locations[i].region[0])
        pick = cfg->locations[i].region;
    src = pick ? NC_REGION_S3_URI : NC_REGION_DEFAULT;
  }
  nc_strlcpy(cfg->region, pick ? pick : NC_DEFAULT_REGION, sizeof cfg->region);
  cfg->region_source = src;
  cfg->region_note[0] = '\0';
  if (src == NC_REGION_DEFAULT) {
    if (cfg->job.arn_problem[0])
      nc_snprintf(cfg->region_note, sizeof cfg->region_note,
                  "%s, and no AWS_REGION, AWS_DEFAULT_REGION or https S3 URI names one",
                  cfg->job.arn_problem);
    else
      nc_strlcpy(cfg->region_note,
                 "no job ARN, AWS_REGION, AWS_DEFAULT_REGION or https S3 URI names one",
                 sizeof cfg->region_note);
    /* Said where the guess matters: inside a job (SageMaker's local mode
     * writes no ARN), or with buckets to reach. */
    if (!cfg->list_probes && (cfg->job.found || cfg->n_locations > 0))
      NC_WARN("region %s is a guess: %s; pass --region or set AWS_REGION", cfg->region,
              cfg->region_note);
  } else if (cfg->job.arn_problem[0] && src < NC_REGION_ARN) {
    nc_snprintf(cfg->region_note, sizeof cfg->region_note, "%s; the region is taken %s",
                cfg->job.arn_problem, config_region_source_text(src));
  }
}

int config_load(struct nc_config *cfg, int argc, char **argv, char *err, size_t errlen) {
  struct flags f;
  const char *env;
  char *buf;
  size_t len;
  struct stat st;

  memset(&f, 0, sizeof f);
  f.on_fail = f.summary = f.peer_wait_ms = -1;
  apply_defaults(cfg);
  if (parse_flags(&f, argc, argv, &cfg->verbose, err, errlen))
    return NC_EXIT_USAGE;
  cfg->init = f.init;
  cfg->dry_run = f.dry_run;
  cfg->list_probes = f.list_probes;
  cfg->help = f.help;
  cfg->version = f.version;
  cfg->command = f.command;
  /* --help and --version read nothing else. */
  if (cfg->help || cfg->version)
    return 0;

  /* Discovery: the SageMaker config directory (with the job's Environment),
   * then the process environment. */
  if (f.sm_config_dir) {
    if (copy_path(cfg->sm_config_dir, f.sm_config_dir, "--" OPT_SM_CONFIG_DIR, err, errlen))
      return NC_EXIT_USAGE;
  } else if ((env = getenv(ENV_SM_CONFIG_DIR)) && *env) {
    if (copy_path(cfg->sm_config_dir, env, ENV_SM_CONFIG_DIR, err, errlen))
      return NC_EXIT_USAGE;
  }
  if (stat(cfg->sm_config_dir, &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      if (f.sm_config_dir || getenv(ENV_SM_CONFIG_DIR)) {
        seterr(err, errlen, "%s: not a directory", cfg->sm_config_dir);
        return NC_EXIT_USAGE;
      }
      config_problem(cfg, cfg->sm_config_dir, "", "not a directory: the job config was not read");
    } else {
      load_sm_file(cfg, cfg->sm_config_dir, "processingjobconfig.json",
                   config_parse_processing_job);
      load_sm_file(cfg, cfg->sm_config_dir, "resourceconfig.json", config_parse_resource);
    }
  } else if (f.sm_config_dir || getenv(ENV_SM_CONFIG_DIR)) {
    seterr(err, errlen, "%s: %s", cfg->sm_config_dir, strerror(errno));
    return NC_EXIT_USAGE;
  }
  if ((env = getenv("AWS_USE_FIPS_ENDPOINT")) && *env)
    cfg->fips = !strcasecmp(env, "true");
  else if (cfg->job.env_fips >= 0)
    cfg->fips = cfg->job.env_fips == 1;
  /* A variable a flag overrides is not read. */
  if (!f.ca_bundle && (env = getenv("AWS_CA_BUNDLE")) && *env &&
      copy_path(cfg->ca_bundle, env, "AWS_CA_BUNDLE", err, errlen))
    return NC_EXIT_USAGE;
  if (!f.message && (env = getenv(ENV_MESSAGE_FILE)) && *env &&
      copy_path(cfg->message_path, env, ENV_MESSAGE_FILE, err, errlen))
    return NC_EXIT_USAGE;
  for (size_t k = 0; k < NC_ARRAY_LEN(env_settings); k++)
    apply_env_setting(cfg, env_settings[k], getenv(env_settings[k]), NC_SRC_ENV, "environment");

  /* The --config file overrides discovery. */
  if (f.config) {
    if (copy_path(cfg->config_file, f.config, "--config", err, errlen))
      return NC_EXIT_USAGE;
    if (nc_read_file(f.config, CONFIG_FILE_MAX, &buf, &len)) {
      seterr(err, errlen, "%s: %s", f.config, nc_read_error(errno));
      return NC_EXIT_USAGE;
    }
    if (config_parse_file(cfg, buf, len, err, errlen)) {
      free(buf);
      return NC_EXIT_USAGE;
    }
    free(buf);
  }

  /* Flags override both. */
  if ((f.report && copy_path(cfg->report_path, f.report, "--report", err, errlen)) ||
      (f.ca_bundle && copy_path(cfg->ca_bundle, f.ca_bundle, "--ca-bundle", err, errlen)) ||
      (f.message && copy_path(cfg->message_path, f.message, "--message-file", err, errlen)))
    return NC_EXIT_USAGE;
  if (f.timeout_ms)
    cfg->timeout_ms = f.timeout_ms;
  if (f.connect_timeout_ms)
    cfg->connect_timeout_ms = f.connect_timeout_ms;
  if (f.peer_wait_ms >= 0) /* --peer-wait 0 is a valid value */
    cfg->peer_wait_ms = f.peer_wait_ms;
  if (f.peer_port)
    cfg->peer_port = f.peer_port;
  if (f.on_fail >= 0)
    cfg->on_fail = (enum nc_on_fail)f.on_fail;
  if (f.summary >= 0)
    cfg->summary = (enum nc_summary)f.summary;
  if (f.fips)
    cfg->fips = true;
  for (int i = 0; i < f.n_buckets; i++) {
    char why[160];
    if (add_location(cfg, f.buckets[i], NULL, NC_ROLE_FLAG, NULL, "--bucket", why, sizeof why)) {
      char shown[NC_PATH_MAX];
      nc_redact_url(f.buckets[i], shown, sizeof shown);
      seterr(err, errlen, "--bucket: \"%.64s\": %s", shown, why);
      return NC_EXIT_USAGE;
    }
  }
  if (f.n_dns)
    cfg->n_dns_servers = 0;
  for (int i = 0; i < f.n_dns; i++)
    if (add_dns_server(cfg, f.dns[i])) {
      seterr(err, errlen, "--dns-server: \"%.64s\" is not IP[:PORT]", f.dns[i]);
      return NC_EXIT_USAGE;
    }
  if (f.n_egress)
    cfg->n_egress_targets = 0;
  for (int i = 0; i < f.n_egress; i++)
    if (add_string(cfg->egress_targets, &cfg->n_egress_targets, NC_MAX_TARGETS, f.egress[i])) {
      char shown[NC_PATH_MAX];
      nc_redact_url(f.egress[i], shown, sizeof shown);
      seterr(err, errlen, "--egress-target: \"%.64s\" is not a host name", shown);
      return NC_EXIT_USAGE;
    }
  /* Keys are checked against the plan (plan_build): they may name targets. */
  for (int i = 0; i < f.n_expects; i++) {
    char why[256];
    if (config_add_expectations(cfg, f.expects[i], false, NC_SRC_FLAG, why, sizeof why)) {
      seterr(err, errlen, "--expect: %s", why);
      return NC_EXIT_USAGE;
    }
  }
  for (int i = 0; i < f.n_skips; i++) {
    if (!*f.skips[i] || strlen(f.skips[i]) >= NC_KEY_MAX || cfg->n_skips >= NC_MAX_SKIPS) {
      seterr(err, errlen, "--skip: \"%.64s\" is not a probe family", f.skips[i]);
      return NC_EXIT_USAGE;
    }
    cfg->skip_source[cfg->n_skips] = NC_SRC_FLAG;
    nc_strlcpy(cfg->skips[cfg->n_skips++], f.skips[i], NC_KEY_MAX);
  }
  nc_log_level = NC_LOG_WARN + cfg->verbose;
  resolve_region(cfg, f.region);
  return 0;
}
