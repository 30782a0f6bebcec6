/*
 * config.c - builds struct nc_config from defaults, SageMaker discovery, the
 * --config file and flags (in that order of increasing precedence): the
 * names of the config's enums, the validated helpers every source shares
 * (locations, targets, expectations, NETCHECK_* settings), discovery and
 * precedence (config_load). The command line is config_cli.c, the three
 * JSON files config_json.c.
 */
#include "netcheck/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config_int.h"
#include "netcheck/common.h"
#include "netcheck/partition.h"
#include "netcheck/utf8.h"

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

void config_seterr(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* Copies a path whole into dst[NC_PATH_MAX], or fails with one line naming
 * `what` (a flag, a variable, a file's key): a cut path names another file. */
int config_copy_path(char *dst, const char *src, const char *what, char *err, size_t errlen) {
  if (strlen(src) >= NC_PATH_MAX) {
    config_seterr(err, errlen, "%s: a path of %zu bytes, more than %d: %s", what, strlen(src),
                  NC_PATH_MAX - 1, strerror(ENAMETOOLONG));
    return -1;
  }
  nc_strlcpy(dst, src, NC_PATH_MAX);
  return 0;
}

/* ---- small validated parsers ---- */

int config_parse_int(const char *s, long lo, long hi, long *out) {
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
int config_parse_seconds_ms(const char *s, long lo_ms, long hi_ms, int *out) {
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

int config_on_fail_from_name(const char *s) {
  if (!strcmp(s, "warn"))
    return NC_ON_FAIL_WARN;
  return strcmp(s, "abort") ? -1 : NC_ON_FAIL_ABORT;
}

int config_summary_from_name(const char *s) {
  static const struct {
    const char *name;
    enum nc_summary v;
  } names[] = {{"text", NC_SUMMARY_TEXT},
               {"json", NC_SUMMARY_JSON},
               {"none", NC_SUMMARY_NONE},
               {"junit", NC_SUMMARY_JUNIT}};
  for (size_t i = 0; i < NC_ARRAY_LEN(names); i++)
    if (!strcmp(s, names[i].name))
      return (int)names[i].v;
  return -1;
}

int config_valid_region(const char *r) {
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
int config_add_location(struct nc_config *cfg, const char *uri, const char *prefix,
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
void config_add_not_applicable(struct nc_config *cfg, const char *role, const char *name,
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

int config_add_string(char (*arr)[NC_HOST_MAX], int *n, int max, const char *s) {
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

int config_add_dns_server(struct nc_config *cfg, const char *s) {
  if (!*s || strlen(s) >= sizeof cfg->dns_servers[0] || cfg->n_dns_servers >= NC_MAX_SERVERS)
    return -1;
  nc_strlcpy(cfg->dns_servers[cfg->n_dns_servers++], s, sizeof cfg->dns_servers[0]);
  return 0;
}

/* ---- the job's settings in its environment (NETCHECK_*) ---- */

/* Applies one NETCHECK_* value from src. A value that cannot be used is a
 * problem of `where`, never fatal: the job must still start. */
void config_apply_env(struct nc_config *cfg, const char *var, const char *value, enum nc_source src,
                      const char *where) {
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
    int v = config_on_fail_from_name(value);
    if (v >= 0)
      cfg->on_fail = (enum nc_on_fail)v;
    else
      config_problem(cfg, where, var, "expected warn or abort, got \"%.32s\"", value);
  } else if (!strcmp(var, ENV_TIMEOUT)) {
    int ms;
    if (config_parse_seconds_ms(value, 100, 3600000, &ms) == 0)
      cfg->timeout_ms = ms;
    else
      config_problem(cfg, where, var, "expected seconds between 0.1 and 3600, got \"%.32s\"",
                     value);
  }
}

const char *const config_env_settings[CONFIG_N_ENV] = {ENV_EXPECT, ENV_SKIP, ENV_ON_FAIL,
                                                       ENV_TIMEOUT};

int config_add_expectation_key(struct nc_config *cfg, const char *key, size_t klen, int e,
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
    config_seterr(err, errlen, "longer than %zu bytes", sizeof buf - 1);
    return -1;
  }
  for (tok = list ? strtok_r(buf, ",", &save) : buf; tok;
       tok = list ? strtok_r(NULL, ",", &save) : NULL) {
    char *eq = strchr(tok, '='), *key, *value;
    if (!eq) {
      if (list && !*trim_blanks(tok))
        continue; /* "a=b,,c=d" */
      config_seterr(err, errlen, "expected KEY=reachable|blocked|any, got \"%.64s\"",
                    trim_blanks(tok));
      return -1;
    }
    *eq = '\0';
    key = trim_blanks(tok);
    value = trim_blanks(eq + 1);
    if (config_add_expectation_key(cfg, key, strlen(key), config_expect_from_name(value), src)) {
      config_seterr(err, errlen, "expected KEY=reachable|blocked|any, got \"%.64s=%.32s\"", key,
                    value);
      return -1;
    }
  }
  return 0;
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

/* cfg arrives zeroed (config_load's contract): no memset here. The fixed-size tables (512
 * hosts, 64 S3 locations, 32 outputs: about 340 KiB) sit in a calloc of fresh zero pages, and
 * only the pages a job's content is written to ever become resident; a memset would make the
 * whole struct resident (peak RSS of a healthy run, bench/RESULTS.md). */
static void apply_defaults(struct nc_config *cfg) {
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
  } else if (((env = getenv("AWS_REGION")) && config_valid_region(env)) ||
             *(env = cfg->job.env_region)) {
    pick = env;
    src = NC_REGION_AWS_REGION;
  } else if (((env = getenv("AWS_DEFAULT_REGION")) && config_valid_region(env)) ||
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
  struct config_flags f;
  const char *env;
  char *buf;
  size_t len;
  struct stat st;

  memset(&f, 0, sizeof f);
  f.on_fail = f.summary = f.peer_wait_ms = -1;
  apply_defaults(cfg);
  if (config_cli_parse(&f, argc, argv, &cfg->verbose, err, errlen))
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
    if (config_copy_path(cfg->sm_config_dir, f.sm_config_dir, "--" OPT_SM_CONFIG_DIR, err, errlen))
      return NC_EXIT_USAGE;
  } else if ((env = getenv(ENV_SM_CONFIG_DIR)) && *env) {
    if (config_copy_path(cfg->sm_config_dir, env, ENV_SM_CONFIG_DIR, err, errlen))
      return NC_EXIT_USAGE;
  }
  if (stat(cfg->sm_config_dir, &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      if (f.sm_config_dir || getenv(ENV_SM_CONFIG_DIR)) {
        config_seterr(err, errlen, "%s: not a directory", cfg->sm_config_dir);
        return NC_EXIT_USAGE;
      }
      config_problem(cfg, cfg->sm_config_dir, "", "not a directory: the job config was not read");
    } else {
      load_sm_file(cfg, cfg->sm_config_dir, "processingjobconfig.json",
                   config_parse_processing_job);
      load_sm_file(cfg, cfg->sm_config_dir, "resourceconfig.json", config_parse_resource);
    }
  } else if (f.sm_config_dir || getenv(ENV_SM_CONFIG_DIR)) {
    config_seterr(err, errlen, "%s: %s", cfg->sm_config_dir, strerror(errno));
    return NC_EXIT_USAGE;
  }
  if ((env = getenv("AWS_USE_FIPS_ENDPOINT")) && *env)
    cfg->fips = !strcasecmp(env, "true");
  else if (cfg->job.env_fips >= 0)
    cfg->fips = cfg->job.env_fips == 1;
  /* A variable a flag overrides is not read. */
  if (!f.ca_bundle && (env = getenv("AWS_CA_BUNDLE")) && *env &&
      config_copy_path(cfg->ca_bundle, env, "AWS_CA_BUNDLE", err, errlen))
    return NC_EXIT_USAGE;
  if (!f.message && (env = getenv(ENV_MESSAGE_FILE)) && *env &&
      config_copy_path(cfg->message_path, env, ENV_MESSAGE_FILE, err, errlen))
    return NC_EXIT_USAGE;
  for (size_t k = 0; k < NC_ARRAY_LEN(config_env_settings); k++)
    config_apply_env(cfg, config_env_settings[k], getenv(config_env_settings[k]), NC_SRC_ENV,
                     "environment");

  /* The --config file overrides discovery. */
  if (f.config) {
    if (config_copy_path(cfg->config_file, f.config, "--config", err, errlen))
      return NC_EXIT_USAGE;
    if (nc_read_file(f.config, CONFIG_FILE_MAX, &buf, &len)) {
      config_seterr(err, errlen, "%s: %s", f.config, nc_read_error(errno));
      return NC_EXIT_USAGE;
    }
    if (config_parse_file(cfg, buf, len, err, errlen)) {
      free(buf);
      return NC_EXIT_USAGE;
    }
    free(buf);
  }

  /* Flags override both. */
  if ((f.report && config_copy_path(cfg->report_path, f.report, "--report", err, errlen)) ||
      (f.ca_bundle && config_copy_path(cfg->ca_bundle, f.ca_bundle, "--ca-bundle", err, errlen)) ||
      (f.message && config_copy_path(cfg->message_path, f.message, "--message-file", err, errlen)))
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
    if (config_add_location(cfg, f.buckets[i], NULL, NC_ROLE_FLAG, NULL, "--bucket", why,
                            sizeof why)) {
      char shown[NC_PATH_MAX];
      nc_redact_url(f.buckets[i], shown, sizeof shown);
      config_seterr(err, errlen, "--bucket: \"%.64s\": %s", shown, why);
      return NC_EXIT_USAGE;
    }
  }
  if (f.n_dns)
    cfg->n_dns_servers = 0;
  for (int i = 0; i < f.n_dns; i++)
    if (config_add_dns_server(cfg, f.dns[i])) {
      config_seterr(err, errlen, "--dns-server: \"%.64s\" is not IP[:PORT]", f.dns[i]);
      return NC_EXIT_USAGE;
    }
  if (f.n_egress)
    cfg->n_egress_targets = 0;
  for (int i = 0; i < f.n_egress; i++)
    if (config_add_string(cfg->egress_targets, &cfg->n_egress_targets, NC_MAX_TARGETS,
                          f.egress[i])) {
      char shown[NC_PATH_MAX];
      nc_redact_url(f.egress[i], shown, sizeof shown);
      config_seterr(err, errlen, "--egress-target: \"%.64s\" is not a host name", shown);
      return NC_EXIT_USAGE;
    }
  /* Keys are checked against the plan (plan_build): they may name targets. */
  for (int i = 0; i < f.n_expects; i++) {
    char why[256];
    if (config_add_expectations(cfg, f.expects[i], false, NC_SRC_FLAG, why, sizeof why)) {
      config_seterr(err, errlen, "--expect: %s", why);
      return NC_EXIT_USAGE;
    }
  }
  for (int i = 0; i < f.n_skips; i++) {
    if (!*f.skips[i] || strlen(f.skips[i]) >= NC_KEY_MAX || cfg->n_skips >= NC_MAX_SKIPS) {
      config_seterr(err, errlen, "--skip: \"%.64s\" is not a probe family", f.skips[i]);
      return NC_EXIT_USAGE;
    }
    cfg->skip_source[cfg->n_skips] = NC_SRC_FLAG;
    nc_strlcpy(cfg->skips[cfg->n_skips++], f.skips[i], NC_KEY_MAX);
  }
  nc_log_level = NC_LOG_WARN + cfg->verbose;
  resolve_region(cfg, f.region);
  return 0;
}
