/*
 * config_json.c - the three JSON files netcheck reads: processingjobconfig.json
 * and resourceconfig.json (what SageMaker wrote: lenient, a field that cannot
 * be used is a problem, CONFIG_INVALID, never fatal) and the --config file
 * (strict: the first wrong field is a usage error).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"
#include "netcheck/common.h"
#include "netcheck/config.h"

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

enum jtype { J_STRING, J_OBJECT, J_ARRAY, J_NUMBER, J_BOOL, J_ANY };

static const char *const jtype_names[] = {"a string", "an object",     "an array",
                                          "a number", "true or false", "anything"};

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
  case J_ANY:
    return true;
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
    config_seterr(c->err, c->errlen, "%s: %s%s%s", c->file, field, *field ? ": " : "", what);
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

/* One field of a JSON object: its key, the type it must have, where its
 * value goes (offset into the struct jread fills) and the check that turns
 * the value into a setting. Without a check, a string is copied into
 * char[size] (size 0: its pointer is stored, valid while the tree lives),
 * a number stored as a double, true/false as a bool. */
struct jfield {
  const char *key;
  enum jtype type;
  size_t offset, size;
  /* 0, or what jbad returns: -1 when the file is strict */
  int (*check)(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst);
  double lo, hi; /* a number's range, for the check */
  size_t count;  /* a list's count (offset), for the check */
};

/* Reads the fields t[0..n) of obj (at path) into base, in t's order: 0, or
 * -1 at the first field a strict file gets wrong. Absent and null fields
 * are left alone; a wrong type in a lenient file is a problem, skipped. */
static int jread(struct jctx *c, const cJSON *obj, const char *path, const struct jfield *t,
                 size_t n, void *base) {
  for (size_t k = 0; k < n; k++) {
    const struct jfield *f = &t[k];
    void *dst = (char *)base + f->offset;
    const cJSON *it = NULL;
    int r = jget(c, obj, f->key, path, f->type, &it);
    if (r < 0)
      return -1;
    if (r == 0 || f->type == J_ANY)
      continue;
    if (f->check) {
      if (f->check(c, f, it, dst) < 0)
        return -1;
    } else if (f->type == J_STRING && f->size) {
      nc_strlcpy(dst, it->valuestring, f->size);
    } else if (f->type == J_STRING) {
      *(const char **)dst = it->valuestring;
    } else if (f->type == J_NUMBER) {
      *(double *)dst = it->valuedouble;
    } else if (f->type == J_BOOL) {
      *(bool *)dst = cJSON_IsTrue(it);
    }
  }
  return 0;
}

static cJSON *parse_json(struct jctx *c, const char *buf, size_t len) {
  const char *end = NULL;
  cJSON *root;
  if (len > CONFIG_FILE_MAX) {
    config_seterr(c->err, c->errlen, "%s: file too large (%zu bytes, limit %d)", c->file, len,
                  CONFIG_FILE_MAX);
    return NULL;
  }
  root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
  if (!root) {
    size_t off = end && end >= buf ? (size_t)(end - buf) : 0;
    config_seterr(c->err, c->errlen, "%s: malformed JSON near byte %zu", c->file, off);
    return NULL;
  }
  if (!cJSON_IsObject(root)) {
    config_seterr(c->err, c->errlen, "%s: expected a JSON object at the top level", c->file);
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

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
    config_add_not_applicable(c->cfg, role, name, field, "no S3 URI");
    return NULL;
  }
  if (config_add_location(c->cfg, s, NULL, role, name, field, why, sizeof why)) {
    jbad(c, path, key, "not an S3 location netcheck can probe: %s", why);
    return NULL;
  }
  return c->cfg->n_locations > before ? &c->cfg->locations[before] : NULL;
}

static int job_inputs(struct jctx *c, const struct jfield *f, const cJSON *arr, void *dst) {
  static const char *const datasets[] = {"AthenaDatasetDefinition", "RedshiftDatasetDefinition"};
  const cJSON *in;
  int i = 0;
  (void)f;
  (void)dst;
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
      config_add_not_applicable(c->cfg, NC_ROLE_INPUT, name, path,
                                "no S3Input or DatasetDefinition: nothing to reach in S3");
  }
  return 0;
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

static int job_outputs(struct jctx *c, const struct jfield *f, const cJSON *o, void *dst) {
  const cJSON *arr = NULL, *out;
  int i = 0;
  (void)f;
  (void)dst;
  job_kms_key(c, o);
  if (jget(c, o, "Outputs", "ProcessingOutputConfig", J_ARRAY, &arr) != 1)
    return 0;
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
        config_add_not_applicable(cfg, NC_ROLE_OUTPUT, name, sub, note);
      } else {
        config_add_not_applicable(cfg, NC_ROLE_OUTPUT, name, path, "no S3Output: no S3 location");
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
  return 0;
}

/* ProcessingJobArn: the job's region, and its name when the name field is
 * absent (the ARN's last path component). */
static int job_arn(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  struct nc_job *j = &c->cfg->job;
  const char *s = it->valuestring;
  nc_strlcpy(dst, s, f->size);
  /* The SageMaker Python SDK's local mode writes the job name here. */
  if (config_region_from_arn(s, j->region, sizeof j->region)) {
    j->region[0] = '\0';
    nc_snprintf(j->arn_problem, sizeof j->arn_problem,
                "ProcessingJobArn \"%.64s\" is not an ARN (SageMaker local mode writes the job "
                "name there)",
                s);
  }
  if (!j->name[0] && strrchr(s, '/'))
    nc_strlcpy(j->name, strrchr(s, '/') + 1, sizeof j->name);
  return 0;
}

static int job_instance_count(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  (void)c;
  (void)f;
  if (it->valuedouble >= 0 && it->valuedouble <= 100000)
    *(int *)dst = (int)it->valuedouble;
  return 0;
}

/* A JSON true or false as 1 or 0 in an int whose -1 means "not said". */
static int job_tristate(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  (void)c;
  (void)f;
  *(int *)dst = cJSON_IsTrue(it) ? 1 : 0;
  return 0;
}

/* NETCHECK_* settings of the job's Environment (the process environment,
 * read later, has the same values inside SageMaker and wins). */
static int job_env_setting(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  (void)dst;
  config_apply_env(c->cfg, f->key, it->valuestring, NC_SRC_JOB_ENV, c->file);
  return 0;
}

/* AWS_REGION and AWS_DEFAULT_REGION of the job's Environment: SageMaker
 * puts them into the process environment, which wins; these count when
 * netcheck reads a copied config directory. */
static int job_env_region(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  (void)c;
  if (config_valid_region(it->valuestring))
    nc_strlcpy(dst, it->valuestring, f->size);
  return 0;
}

static int job_env_fips(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  (void)c;
  (void)f;
  *(int *)dst = !strcasecmp(it->valuestring, "true");
  return 0;
}

/* A field stored at member of struct nc_config. */
#define FIELD(key, type, member, check)                                                            \
  {                                                                                                \
    key, type, offsetof(struct nc_config, member), sizeof(((struct nc_config *)0)->member), check, \
        0, 0, 0                                                                                    \
  }

static int job_object(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst);

static const struct jfield job_cluster_fields[] = {
    FIELD("InstanceCount", J_NUMBER, job.instance_count, job_instance_count)};
static const struct jfield job_resources_fields[] = {
    FIELD("ClusterConfig", J_OBJECT, job, job_object)};
static const struct jfield job_network_fields[] = {
    FIELD("EnableNetworkIsolation", J_BOOL, job.network_isolation, job_tristate)};
static const struct jfield job_environment_fields[] = {
    FIELD(ENV_EXPECT, J_STRING, job, job_env_setting),
    FIELD(ENV_SKIP, J_STRING, job, job_env_setting),
    FIELD(ENV_ON_FAIL, J_STRING, job, job_env_setting),
    FIELD(ENV_TIMEOUT, J_STRING, job, job_env_setting),
    FIELD("AWS_REGION", J_STRING, job.env_region, job_env_region),
    FIELD("AWS_DEFAULT_REGION", J_STRING, job.env_default_region, job_env_region),
    FIELD("AWS_USE_FIPS_ENDPOINT", J_STRING, job.env_fips, job_env_fips)};

/* The top-level fields of processingjobconfig.json, in the order they are
 * read (problems are listed in this order). */
static const struct jfield job_fields[] = {
    FIELD("ProcessingJobName", J_STRING, job.name, NULL),
    FIELD("ProcessingJobArn", J_STRING, job.arn, job_arn),
    FIELD("ProcessingInputs", J_ARRAY, job, job_inputs),
    FIELD("ProcessingOutputConfig", J_OBJECT, job, job_outputs),
    FIELD("ProcessingResources", J_OBJECT, job, job_object),
    FIELD("NetworkConfig", J_OBJECT, job, job_object),
    FIELD("Environment", J_OBJECT, job, job_object)};

/* An object of the job file whose fields have their own table. */
static int job_object(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  static const struct {
    const char *key, *path;
    const struct jfield *t;
    size_t n;
  } objects[] = {
      {"ProcessingResources", "ProcessingResources", job_resources_fields,
       NC_ARRAY_LEN(job_resources_fields)},
      {"ClusterConfig", "ProcessingResources.ClusterConfig", job_cluster_fields,
       NC_ARRAY_LEN(job_cluster_fields)},
      {"NetworkConfig", "NetworkConfig", job_network_fields, NC_ARRAY_LEN(job_network_fields)},
      {"Environment", "Environment", job_environment_fields, NC_ARRAY_LEN(job_environment_fields)}};
  (void)dst;
  for (size_t k = 0; k < NC_ARRAY_LEN(objects); k++)
    if (!strcmp(f->key, objects[k].key))
      return jread(c, it, objects[k].path, objects[k].t, objects[k].n, c->cfg);
  return 0;
}

int config_parse_processing_job(struct nc_config *cfg, const char *buf, size_t len, char *err,
                                size_t errlen) {
  struct jctx c = {cfg, "processingjobconfig.json", true, err, errlen};
  cJSON *root = parse_json(&c, buf, len);
  if (!root)
    return -1;
  cfg->job.found = true;
  cfg->job.env_fips = -1;
  jread(&c, root, "", job_fields, NC_ARRAY_LEN(job_fields), cfg);
  cJSON_Delete(root);
  return 0;
}

/* resourceconfig.json: this host's name and every host's. */

static int res_host(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  const char *s = it->valuestring;
  if (!*s || strlen(s) >= NC_HOST_MAX)
    return jbad(c, "", f->key, "empty or longer than %d bytes", NC_HOST_MAX - 1);
  nc_strlcpy(dst, s, f->size);
  return 0;
}

static int res_hosts(struct jctx *c, const struct jfield *f, const cJSON *arr, void *dst) {
  struct nc_job *j = &c->cfg->job;
  const cJSON *h;
  int i = 0, beyond = 0;
  (void)dst;
  cJSON_ArrayForEach(h, arr) {
    char path[32];
    nc_snprintf(path, sizeof path, "hosts[%d]", i++);
    if (!cJSON_IsString(h) || !h->valuestring) {
      jbad(c, path, "", "expected a string");
      continue;
    }
    if (!*h->valuestring || strlen(h->valuestring) >= NC_HOST_MAX) {
      jbad(c, path, "", "empty or longer than %d bytes", NC_HOST_MAX - 1);
      continue;
    }
    if (j->n_hosts >= NC_MAX_HOSTS) {
      beyond++;
      continue;
    }
    config_add_string(j->hosts, &j->n_hosts, NC_MAX_HOSTS, h->valuestring);
  }
  if (beyond)
    config_problem(c->cfg, c->file, f->key,
                   "%d hosts beyond the first %d are not probed (netcheck's limit)", beyond,
                   NC_MAX_HOSTS);
  return 0;
}

static const struct jfield resource_fields[] = {
    FIELD("current_host", J_STRING, job.current_host, res_host),
    FIELD("network_interface_name", J_STRING, job.network_interface_name, NULL),
    FIELD("hosts", J_ARRAY, job.hosts, res_hosts)};

int config_parse_resource(struct nc_config *cfg, const char *buf, size_t len, char *err,
                          size_t errlen) {
  struct jctx c = {cfg, "resourceconfig.json", true, err, errlen};
  cJSON *root = parse_json(&c, buf, len);
  if (!root)
    return -1;
  jread(&c, root, "", resource_fields, NC_ARRAY_LEN(resource_fields), cfg);
  cJSON_Delete(root);
  return 0;
}

/* --config FILE: extra targets and expectations. Each check stores one
 * field of the file into the config or fails with err set (the file is
 * strict); they run in the table's order, so the first wrong field is the
 * one reported. */

static int cf_region(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  if (!config_valid_region(it->valuestring))
    return jbad(c, "", f->key, "\"%.40s\" is not a region name", it->valuestring);
  nc_strlcpy(dst, it->valuestring, f->size);
  c->cfg->region_source = NC_REGION_CONFIG;
  return 0;
}

static int cf_bool(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  (void)c;
  (void)f;
  *(bool *)dst = cJSON_IsTrue(it);
  return 0;
}

static int cf_buckets(struct jctx *c, const struct jfield *f, const cJSON *arr, void *dst) {
  struct bucket {
    const char *name, *prefix, *role;
  };
  static const struct jfield fields[] = {
      {"name", J_STRING, offsetof(struct bucket, name), 0, NULL, 0, 0, 0},
      {"prefix", J_STRING, offsetof(struct bucket, prefix), 0, NULL, 0, 0, 0},
      {"role", J_STRING, offsetof(struct bucket, role), 0, NULL, 0, 0, 0}};
  const cJSON *it;
  int i = 0;
  (void)f;
  (void)dst;
  cJSON_ArrayForEach(it, arr) {
    struct bucket b = {NULL, NULL, NC_ROLE_CONFIG};
    char path[32], why[160] = "expected a bucket name, an S3 URI or {\"name\",\"prefix\",\"role\"}";
    nc_snprintf(path, sizeof path, "buckets[%d]", i++);
    if (cJSON_IsString(it)) {
      b.name = it->valuestring;
    } else if (cJSON_IsObject(it)) {
      if (jread(c, it, path, fields, NC_ARRAY_LEN(fields), &b))
        return -1;
      /* "output": the location also gets the write check */
      if (strcmp(b.role, NC_ROLE_CONFIG) && strcmp(b.role, NC_ROLE_INPUT) &&
          strcmp(b.role, NC_ROLE_OUTPUT))
        return jbad(c, path, "role", "expected \"input\" or \"output\"");
    }
    if (!b.name ||
        config_add_location(c->cfg, b.name, b.prefix, b.role, NULL, path, why, sizeof why))
      return jbad(c, path, "", "%s", why);
  }
  return 0;
}

static int cf_expect(struct jctx *c, const struct jfield *f, const cJSON *o, void *dst) {
  const cJSON *it;
  (void)f;
  (void)dst;
  cJSON_ArrayForEach(it, o) {
    int e = cJSON_IsString(it) ? config_expect_from_name(it->valuestring) : -1;
    if (!it->string ||
        config_add_expectation_key(c->cfg, it->string, strlen(it->string), e, NC_SRC_CONFIG)) {
      config_seterr(c->err, c->errlen,
                    "%s: expect.%.32s: expected a probe family or target and \"reachable\", "
                    "\"blocked\" or \"any\"",
                    c->file, it->string ? it->string : "");
      return -1;
    }
  }
  return 0;
}

/* "internet" (docs/design.md) is shorthand for expect.egress. */
static int cf_internet(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  (void)dst;
  if (config_add_expectation_key(c->cfg, "egress", strlen("egress"),
                                 config_expect_from_name(it->valuestring), NC_SRC_CONFIG))
    return jbad(c, "", f->key, "expected \"reachable\", \"blocked\" or \"any\"");
  return 0;
}

static int cf_skip(struct jctx *c, const struct jfield *f, const cJSON *arr, void *dst) {
  struct nc_config *cfg = c->cfg;
  const cJSON *it;
  (void)dst;
  cJSON_ArrayForEach(it, arr) {
    if (!cJSON_IsString(it) || !*it->valuestring || strlen(it->valuestring) >= NC_KEY_MAX ||
        cfg->n_skips >= NC_MAX_SKIPS)
      return jbad(c, "", f->key, "expected probe family names (netcheck --list-probes)");
    cfg->skip_source[cfg->n_skips] = NC_SRC_CONFIG;
    nc_strlcpy(cfg->skips[cfg->n_skips++], it->valuestring, NC_KEY_MAX);
  }
  return 0;
}

/* A list of host names at dst, its count at f->count: the file replaces
 * the defaults. */
static int cf_targets(struct jctx *c, const struct jfield *f, const cJSON *arr, void *dst) {
  int *n = (int *)((char *)c->cfg + f->count);
  const cJSON *it;
  *n = 0;
  cJSON_ArrayForEach(it, arr) {
    if (!cJSON_IsString(it) || config_add_string(dst, n, NC_MAX_TARGETS, it->valuestring))
      return jbad(c, "", f->key, "expected at most %d non-empty strings", NC_MAX_TARGETS);
  }
  return 0;
}

static int cf_dns(struct jctx *c, const struct jfield *f, const cJSON *arr, void *dst) {
  const cJSON *it;
  (void)dst;
  c->cfg->n_dns_servers = 0;
  cJSON_ArrayForEach(it, arr) {
    if (!cJSON_IsString(it) || config_add_dns_server(c->cfg, it->valuestring))
      return jbad(c, "", f->key, "expected at most %d \"IP[:PORT]\" strings", NC_MAX_SERVERS);
  }
  return 0;
}

/* Seconds between f->lo and f->hi, stored as int milliseconds. */
static int cf_seconds(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  double d = it->valuedouble;
  if (d < f->lo || d > f->hi)
    return jbad(c, "", f->key, "expected seconds between %g and %g", f->lo, f->hi);
  *(int *)dst = (int)(d * 1000);
  return 0;
}

static int cf_port(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  double d = it->valuedouble;
  if (d < 1 || d > 65535 || d != (int)d)
    return jbad(c, "", f->key, "expected a port number");
  *(int *)dst = (int)d;
  return 0;
}

static int cf_path(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  char what[NC_PATH_MAX + 32];
  nc_snprintf(what, sizeof what, "%s: %s", c->file, f->key);
  return config_copy_path(dst, it->valuestring, what, c->err, c->errlen);
}

static int cf_on_fail(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  int v = config_on_fail_from_name(it->valuestring);
  if (v < 0)
    return jbad(c, "", f->key, "expected \"warn\" or \"abort\"");
  *(enum nc_on_fail *)dst = (enum nc_on_fail)v;
  return 0;
}

static int cf_summary(struct jctx *c, const struct jfield *f, const cJSON *it, void *dst) {
  int v = config_summary_from_name(it->valuestring);
  if (v < 0)
    return jbad(c, "", f->key, "expected text, json, junit or none");
  *(enum nc_summary *)dst = (enum nc_summary)v;
  return 0;
}

#define CF_SECONDS(key, field, lo, hi)                                                             \
  { key, J_NUMBER, offsetof(struct nc_config, field), 0, cf_seconds, lo, hi, 0 }

/* Every key the file may have, in the order they are applied. */
static const struct jfield config_file_fields[] = {
    FIELD("region", J_STRING, region, cf_region),
    FIELD("fips", J_BOOL, fips, cf_bool),
    FIELD("buckets", J_ARRAY, locations, cf_buckets),
    FIELD("expect", J_OBJECT, expectations, cf_expect),
    FIELD("internet", J_STRING, expectations, cf_internet),
    FIELD("skip", J_ARRAY, skips, cf_skip),
    {"egress_targets", J_ARRAY, offsetof(struct nc_config, egress_targets), 0, cf_targets, 0, 0,
     offsetof(struct nc_config, n_egress_targets)},
    {"tcp_targets", J_ARRAY, offsetof(struct nc_config, tcp_targets), 0, cf_targets, 0, 0,
     offsetof(struct nc_config, n_tcp_targets)},
    FIELD("dns_servers", J_ARRAY, dns_servers, cf_dns),
    CF_SECONDS("timeout", timeout_ms, 0.1, 3600),
    CF_SECONDS("connect_timeout", connect_timeout_ms, 0.1, 3600),
    CF_SECONDS("peer_wait", peer_wait_ms, 0, 3600),
    FIELD("peer_port", J_NUMBER, peer_port, cf_port),
    FIELD("ca_bundle", J_STRING, ca_bundle, cf_path),
    FIELD("report", J_STRING, report_path, cf_path),
    FIELD("on_fail", J_STRING, on_fail, cf_on_fail),
    FIELD("summary", J_STRING, summary, cf_summary),
    /* read by editors and people, not by netcheck */
    {"$schema", J_ANY, 0, 0, NULL, 0, 0, 0},
    {"comment", J_ANY, 0, 0, NULL, 0, 0, 0},
};

int config_parse_file(struct nc_config *cfg, const char *buf, size_t len, char *err,
                      size_t errlen) {
  struct jctx c = {cfg, cfg->config_file[0] ? cfg->config_file : "--config", false, err, errlen};
  const cJSON *it;
  int rc = -1;
  cJSON *root = parse_json(&c, buf, len);
  if (!root)
    return -1;
  for (it = root->child; it; it = it->next) {
    size_t k;
    for (k = 0; k < NC_ARRAY_LEN(config_file_fields); k++)
      if (it->string && !strcmp(it->string, config_file_fields[k].key))
        break;
    if (k == NC_ARRAY_LEN(config_file_fields)) {
      config_seterr(err, errlen, "%s: unknown key \"%.64s\"", c.file, it->string ? it->string : "");
      goto done;
    }
  }
  rc = jread(&c, root, "", config_file_fields, NC_ARRAY_LEN(config_file_fields), cfg);
done:
  cJSON_Delete(root);
  return rc;
}
