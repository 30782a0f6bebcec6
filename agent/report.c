/*
 * report.c - the JSON report, its write (atomic for files, through for
 * devices and FIFOs), the stderr summary and the one-line failure reason.
 */
#include "netcheck/report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "netcheck/causes.h"
#include "netcheck/common.h"
#include "netcheck/diag.h"
#include "netcheck/partition.h"
#include "netcheck/summary.h"
#include "netcheck/utf8.h"
#include "netcheck/version.h"

#define REPORT_FIX_MAX 400 /* bytes of a cause's fix on its summary line */
/* How long a device or FIFO the report is written through may take no data
 * before netcheck gives up on it. */
#define REPORT_STALL_MS 5000

const char *report_verdict_name(enum nc_verdict v) { return probe_verdict_name(v); }

void report_count(const struct plan *pl, struct report_counts *c) {
  memset(c, 0, sizeof *c);
  for (const struct probe *p = pl->head; p; p = p->next) {
    switch (p->verdict) {
    case NC_VERDICT_PASS:
      c->pass++;
      break;
    case NC_VERDICT_FAIL:
      c->fail++;
      break;
    case NC_VERDICT_WARN:
      c->warn++;
      break;
    case NC_VERDICT_INFO:
      c->info++;
      break;
    default:
      c->skip++;
      break;
    }
  }
}

const char *report_verdict(const struct report_counts *c, int interrupted) {
  if (interrupted)
    return "interrupted";
  if (c->fail)
    return "fail";
  return c->warn ? "warn" : "pass";
}

void report_host(const struct nc_config *cfg, char *out, size_t len) {
  char raw[NC_HOST_MAX];
  if (cfg->job.current_host[0])
    nc_strlcpy(raw, cfg->job.current_host, sizeof raw);
  else if (gethostname(raw, sizeof raw))
    nc_strlcpy(raw, "host", sizeof raw);
  raw[sizeof raw - 1] = '\0';
  config_sanitize_host(raw, out, len);
}

static void iso8601(long long ms, char *out, size_t len) {
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&s, &tm);
  nc_snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static void add_timing(cJSON *o, const char *name, double v) {
  if (v < 0)
    cJSON_AddNullToObject(o, name);
  else
    cJSON_AddNumberToObject(o, name, (double)(long long)(v * 10 + 0.5) / 10);
}

static cJSON *probe_json(const struct probe *p) {
  cJSON *o = cJSON_CreateObject(), *t;
  cJSON_AddStringToObject(o, "id", p->id);
  cJSON_AddStringToObject(o, "kind", p->kind);
  cJSON_AddStringToObject(o, "target", p->target);
  cJSON_AddStringToObject(o, "tier", probe_tier_name(p->tier));
  cJSON_AddStringToObject(o, "expect", config_expect_name(p->expect));
  cJSON_AddStringToObject(o, "expect_source", p->expect_source ? p->expect_source : "default");
  cJSON_AddStringToObject(o, "verdict", report_verdict_name(p->verdict));
  cJSON_AddStringToObject(o, "outcome", p->outcome);
  cJSON_AddStringToObject(o, "code", diag_name(p->code));
  cJSON_AddStringToObject(o, "message", p->message);
  cJSON_AddStringToObject(o, "remediation", p->remediation);
  t = cJSON_AddObjectToObject(o, "timings_ms");
  add_timing(t, "dns", p->t.dns);
  add_timing(t, "connect", p->t.connect);
  add_timing(t, "tls", p->t.tls);
  add_timing(t, "first_byte", p->t.first_byte);
  add_timing(t, "total", p->t.total);
  cJSON_AddItemToObject(o, "details",
                        p->details ? cJSON_Duplicate(p->details, 1) : cJSON_CreateObject());
  return o;
}

static cJSON *probes_array(const struct plan *pl) {
  cJSON *a = cJSON_CreateArray();
  for (const struct probe *p = pl->head; a && p; p = p->next)
    cJSON_AddItemToArray(a, probe_json(p));
  return a;
}

/* The host's failures grouped into causes (causes.h), from its probes[]. */
static int host_causes(const struct nc_config *cfg, const cJSON *probes, struct causes *cs,
                       char *host, size_t hostlen) {
  report_host(cfg, host, hostlen);
  causes_init(cs);
  return probes ? causes_of_host(cs, host, probes) : -1;
}

/* What the families found about the host (interfaces, routes, resolver
 * notes), each through its own hook; every field of the schema is present
 * even when a family was skipped. */
static cJSON *environment_json(const struct plan *pl) {
  cJSON *env = cJSON_CreateObject();
  for (int f = 0; probe_families[f]; f++)
    if (probe_families[f]->environment)
      probe_families[f]->environment(pl, env);
  if (!cJSON_HasObjectItem(env, "interfaces"))
    cJSON_AddArrayToObject(env, "interfaces");
  if (!cJSON_HasObjectItem(env, "routes"))
    cJSON_AddArrayToObject(env, "routes");
  if (!cJSON_HasObjectItem(env, "resolv")) {
    cJSON *r = cJSON_AddObjectToObject(env, "resolv");
    cJSON_AddArrayToObject(r, "nameservers");
    cJSON_AddArrayToObject(r, "search");
    cJSON_AddArrayToObject(r, "options");
  }
  if (!cJSON_HasObjectItem(env, "isolated"))
    cJSON_AddBoolToObject(env, "isolated", 0);
  if (!cJSON_HasObjectItem(env, "dns_notes"))
    cJSON_AddArrayToObject(env, "dns_notes");
  return env;
}

/* Where the region came from, and the partition and endpoints it implies. */
static void job_region_json(const struct nc_config *cfg, cJSON *o) {
  cJSON_AddStringToObject(o, "region_source", config_region_source_name(cfg->region_source));
  cJSON_AddStringToObject(o, "region_note", cfg->region_note);
  cJSON_AddStringToObject(o, "partition", partition_of_region(cfg->region)->name);
  cJSON_AddBoolToObject(o, "fips", cfg->fips);
}

/* Every S3 location of the job with its role; inputs and outputs without one
 * are listed with their note (not applicable). */
static void job_locations_json(const struct nc_config *cfg, cJSON *o) {
  cJSON *a = cJSON_AddArrayToObject(o, "s3_locations");
  for (int i = 0; a && i < cfg->n_locations; i++) {
    const struct nc_s3_location *l = &cfg->locations[i];
    cJSON *x = cJSON_CreateObject();
    char shown[sizeof l->prefix];
    if (!x)
      return;
    nc_redact_url(l->prefix, shown, sizeof shown); /* a pasted presigned URL's signature */
    cJSON_AddStringToObject(x, "role", l->role);
    cJSON_AddStringToObject(x, "name", l->name);
    cJSON_AddStringToObject(x, "field", l->field);
    cJSON_AddStringToObject(x, "bucket", l->bucket);
    cJSON_AddStringToObject(x, "prefix", shown);
    cJSON_AddStringToObject(x, "region", l->region);
    if (!l->bucket[0])
      cJSON_AddStringToObject(x, "not_applicable", l->note);
    cJSON_AddItemToArray(a, x);
  }
}

cJSON *report_build(const struct nc_config *cfg, const struct plan *pl,
                    const struct report_run *run) {
  cJSON *root = cJSON_CreateObject(), *o, *a;
  char host[80], ts[40];
  struct report_counts c;

  cJSON_AddNumberToObject(root, "schema_version", NC_SCHEMA_VERSION);
  o = cJSON_AddObjectToObject(root, "tool");
  cJSON_AddStringToObject(o, "name", NC_NAME);
  cJSON_AddStringToObject(o, "version", nc_version);
  report_host(cfg, host, sizeof host);
  cJSON_AddStringToObject(root, "host", host);
  iso8601(run->started_wall_ms, ts, sizeof ts);
  cJSON_AddStringToObject(root, "started_at", ts);
  iso8601(run->finished_wall_ms, ts, sizeof ts);
  cJSON_AddStringToObject(root, "finished_at", ts);
  cJSON_AddNumberToObject(root, "duration_ms", (double)run->duration_ms);
  cJSON_AddBoolToObject(root, "interrupted", run->interrupted != 0);

  o = cJSON_AddObjectToObject(root, "job");
  cJSON_AddStringToObject(o, "name", cfg->job.name);
  cJSON_AddStringToObject(o, "arn", cfg->job.arn);
  cJSON_AddStringToObject(o, "region", cfg->region);
  job_region_json(cfg, o);
  cJSON_AddNumberToObject(o, "instance_count", cfg->job.instance_count);
  cJSON_AddStringToObject(o, "current_host", cfg->job.current_host);
  a = cJSON_AddArrayToObject(o, "hosts");
  for (int i = 0; i < cfg->job.n_hosts; i++)
    cJSON_AddItemToArray(a, cJSON_CreateString(cfg->job.hosts[i]));
  job_locations_json(cfg, o);

  cJSON_AddItemToObject(root, "environment", environment_json(pl));

  a = probes_array(pl);
  cJSON_AddItemToObject(root, "probes", a);
  {
    struct causes cs;
    char name[80];
    if (host_causes(cfg, a, &cs, name, sizeof name) == 0)
      cJSON_AddItemToObject(root, "causes", causes_json(&cs));
    causes_free(&cs);
  }

  report_count(pl, &c);
  o = cJSON_AddObjectToObject(root, "summary");
  cJSON_AddNumberToObject(o, "pass", c.pass);
  cJSON_AddNumberToObject(o, "fail", c.fail);
  cJSON_AddNumberToObject(o, "warn", c.warn);
  cJSON_AddNumberToObject(o, "skip", c.skip);
  cJSON_AddNumberToObject(o, "info", c.info);
  cJSON_AddStringToObject(o, "verdict", report_verdict(&c, run->interrupted));
  return root;
}

/* The ProcessingOutput named "netcheck", or NULL. */
static const struct nc_output *report_output(const struct nc_config *cfg) {
  for (int i = 0; i < cfg->job.n_outputs; i++)
    if (!strcmp(cfg->job.outputs[i].name, NC_REPORT_OUTPUT_NAME))
      return &cfg->job.outputs[i];
  return NULL;
}

int report_path(const struct nc_config *cfg, char *path, size_t len, bool *ours) {
  char host[80];
  const struct nc_output *out = report_output(cfg);
  struct stat st;
  *ours = false;
  report_host(cfg, host, sizeof host);
  if (!strcmp(cfg->report_path, "none"))
    return 1;
  if (!strcmp(cfg->report_path, "-"))
    return 2;
  if (cfg->report_path[0]) {
    /* An existing directory gets HOST.json inside it. */
    if (stat(cfg->report_path, &st) == 0 && S_ISDIR(st.st_mode))
      return nc_snprintf(path, len, "%s/%s.json", cfg->report_path, host) ? 1 : 0;
    return nc_strlcpy(path, cfg->report_path, len) >= len ? 1 : 0;
  }
  /* Inside a job's output named "netcheck". (An output whose LocalPath was
   * too long is not kept: config.c reports it.) */
  if (out)
    return nc_snprintf(path, len, "%s/%s.json", out->local_path, host) ? 1 : 0;
  /* Inside a job without a "netcheck" output: a place no output uploads,
   * never another output's LocalPath (that is the user's dataset). */
  if (cfg->job.found) {
    *ours = true; /* the last directory is netcheck's to create */
    return nc_snprintf(path, len, "%s/%s.json", NC_DEFAULT_REPORT_DIR, host) ? 1 : 0;
  }
  return 1;
}

int report_s3_uri(const struct nc_config *cfg, const char *path, char *uri, size_t len) {
  for (int i = 0; path && i < cfg->job.n_outputs; i++) {
    const struct nc_output *o = &cfg->job.outputs[i];
    size_t n = strlen(o->local_path), b = strlen(o->s3_uri);
    while (n > 1 && o->local_path[n - 1] == '/')
      n--;
    while (b > 5 && o->s3_uri[b - 1] == '/')
      b--;
    if (!o->s3_uri[0] || !n || strncmp(path, o->local_path, n) != 0 || path[n] != '/')
      continue;
    if (nc_snprintf(uri, len, "%.*s/%s", (int)b, o->s3_uri, path + n + 1))
      return -1;
    return 0;
  }
  return -1;
}

bool report_is_collected(const struct nc_config *cfg) {
  return cfg->report_path[0] || report_output(cfg) || !cfg->job.found;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int write_atomic(const char *path, const char *text, size_t len, int mkdir_parent) {
  char dir[PATH_MAX], tmp[PATH_MAX + 16];
  const char *slash = strrchr(path, '/');
  int fd, dfd, saved;
  if (slash) {
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) {
      errno = ENAMETOOLONG;
      return -1;
    }
    memcpy(dir, path, n ? n : 1);
    dir[n ? n : 1] = '\0';
  } else {
    nc_strlcpy(dir, ".", sizeof dir);
  }
  if (mkdir_parent && mkdir(dir, 0755) && errno != EEXIST)
    return -1;
  /* A dot file: what a SIGKILL leaves behind stays out of `ls` and *.json. */
  if (nc_snprintf(tmp, sizeof tmp, "%s/.%s.tmp.XXXXXX", dir, slash ? slash + 1 : path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (write_all(fd, text, len) || fsync(fd) || fchmod(fd, 0644))
    goto fail;
  if (close(fd)) {
    fd = -1;
    goto fail;
  }
  fd = -1;
  if (rename(tmp, path))
    goto fail;
  /* The rename itself must survive a crash too. */
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return 0;
fail:
  saved = errno;
  if (fd >= 0)
    close(fd);
  unlink(tmp);
  errno = saved;
  return -1;
}

/* Writes all of text to a non-blocking descriptor, waiting for room at
 * most REPORT_STALL_MS at a time: a reader that stops reading cannot hold
 * netcheck (ETIMEDOUT). */
static int write_bounded(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      struct pollfd pfd = {.fd = fd, .events = POLLOUT};
      int r;
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN)
        return -1;
      r = poll(&pfd, 1, REPORT_STALL_MS);
      if (r == 0)
        errno = ETIMEDOUT;
      if (r <= 0 && !(r < 0 && errno == EINTR))
        return -1;
      continue;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* A character device or a FIFO: opened without O_CREAT (nothing is ever
 * created or replaced) and without blocking (a FIFO nobody reads fails at
 * once with ENXIO), then written. */
static int write_through(const char *path, const char *text, size_t len, const char **why) {
  struct stat st;
  int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), rc;
  if (fd < 0)
    return -1;
  /* What was checked before the open may have been swapped since. */
  if (fstat(fd, &st) || !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
    close(fd);
    *why = "changed while netcheck opened it";
    errno = EINVAL;
    return -1;
  }
  rc = write_bounded(fd, text, len);
  if (close(fd) && !rc && errno != EINTR)
    rc = -1;
  return rc;
}

/* The same file as an open descriptor of ours (a /dev/stdout redirected to
 * a file). */
static bool same_file(const struct stat *st, int fd) {
  struct stat o;
  return fstat(fd, &o) == 0 && o.st_dev == st->st_dev && o.st_ino == st->st_ino;
}

int report_write(const char *path, const char *text, size_t len, int mkdir_parent,
                 const char **why) {
  struct stat lst, st;
  *why = NULL;
  if (lstat(path, &lst)) {
    if (errno == ENOENT)
      return write_atomic(path, text, len, mkdir_parent) ? -1 : REPORT_WRITTEN;
    return -1;
  }
  if (S_ISREG(lst.st_mode))
    return write_atomic(path, text, len, mkdir_parent) ? -1 : REPORT_WRITTEN;
  if (stat(path, &st)) {
    if (errno == ENOENT)
      *why = "a symbolic link to nothing";
    return -1;
  }
  if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) /* /dev/null, however named */
    return REPORT_DISCARDED;
  if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
    return write_through(path, text, len, why) ? -1 : REPORT_WRITTEN;
  if (S_ISREG(st.st_mode)) {
    /* /dev/stdout redirected to a file: appended where the shell put it. */
    for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++)
      if (same_file(&st, fd))
        return write_all(fd, text, len) ? -1 : REPORT_WRITTEN;
    /* Another link to a file: the file is replaced, the link stays. */
    char real[PATH_MAX];
    if (!realpath(path, real))
      return -1;
    return write_atomic(real, text, len, 0) ? -1 : REPORT_WRITTEN;
  }
  *why = S_ISSOCK(st.st_mode)  ? "a socket, not a file"
         : S_ISBLK(st.st_mode) ? "a block device, not a file"
         : S_ISDIR(st.st_mode) ? "a directory"
                               : "not a file";
  errno = EINVAL;
  return -1;
}

/* ---- summaries ---- */

static const struct probe *first_failure(const struct plan *pl) {
  const struct probe *warn = NULL;
  for (const struct probe *p = pl->head; p; p = p->next) {
    if (p->verdict == NC_VERDICT_FAIL)
      return p;
    if (p->verdict == NC_VERDICT_WARN && !warn)
      warn = p;
  }
  return warn;
}

/* Cuts s to at most max bytes (max >= 8) by replacing its middle with
 * "...", never splitting a UTF-8 sequence: both ends of a path or URI say
 * more than either alone. */
static void cut_middle(char *s, size_t max) {
  size_t n = strlen(s), head, tail;
  if (n <= max)
    return;
  head = (max - 3) / 2;
  tail = utf8_next_start(s, n - (max - 3 - head), n);
  utf8_cut(s, head);
  head = strlen(s);
  memmove(s + head + 3, s + tail, n - tail + 1);
  memcpy(s + head, "...", 3);
}

void report_failure_line(const struct nc_config *cfg, const struct plan *pl, const char *where,
                         char *out, size_t len) {
  const struct probe *p = first_failure(pl);
  char host[80], loc[NC_PATH_MAX + 128], id[sizeof p->id], more[48] = "";
  const char *code;
  cJSON *probes;
  struct causes cs;
  size_t max = len > REPORT_MESSAGE_MAX ? REPORT_MESSAGE_MAX : len - 1, fixed, room;
  int nfail = 0;
  if (!len)
    return;
  for (const struct probe *q = pl->head; q; q = q->next)
    nfail += q->verdict == NC_VERDICT_FAIL;
  report_host(cfg, host, sizeof host);
  if (!p || p->verdict != NC_VERDICT_FAIL) {
    nc_snprintf(out, len, "netcheck %s: no network check failed", host);
    return;
  }
  code = diag_name(p->code);
  nc_strlcpy(id, p->id, sizeof id);
  /* The most important cause's code and first probe, when they can be had. */
  probes = probes_array(pl);
  if (host_causes(cfg, probes, &cs, host, sizeof host) == 0 && cs.n && !cs.v[0].warn &&
      cs.v[0].n_probes) {
    const char *c = causes_str(cs.v[0].probes[0].probe, "code");
    for (int d = 0; d < NC_CODE_COUNT; d++) /* a static name: cs is freed below */
      if (!strcmp(diag_name((enum nc_code)d), c))
        code = diag_name((enum nc_code)d);
    nc_strlcpy(id, causes_str(cs.v[0].probes[0].probe, "id"), sizeof id);
  }
  causes_free(&cs);
  cJSON_Delete(probes);
  if (nfail > 1)
    nc_snprintf(more, sizeof more, " (+%d more failed)", nfail - 1);
  if (!where || report_s3_uri(cfg, where, loc, sizeof loc) != 0)
    nc_strlcpy(loc, where ? where : "not written", sizeof loc);
  /* "netcheck HOST: CODE ID (+N more failed); report LOC" in max bytes: the
   * probe id and the location give way, in the middle. */
  fixed =
      strlen("netcheck : ") + strlen(host) + strlen(code) + 1 + strlen(more) + strlen("; report ");
  room = fixed < max ? max - fixed : 0;
  if (strlen(id) + strlen(loc) > room) {
    size_t id_max = room / 3 < 24 ? 24 : room / 3;
    cut_middle(id, id_max);
    if (strlen(id) + strlen(loc) > room)
      cut_middle(loc, room > strlen(id) + 8 ? room - strlen(id) : 8);
  }
  nc_snprintf(out, len, "netcheck %s: %s %s%s; report %s", host, code, id, more, loc);
  utf8_cut(out, max);
}

static void print_json_summary(FILE *out, const struct nc_config *cfg, const struct plan *pl,
                               const struct report_run *run, const char *where) {
  struct report_counts c;
  cJSON *o = cJSON_CreateObject(), *fails, *probes = probes_array(pl);
  struct causes cs;
  char *s, host[80];
  report_count(pl, &c);
  cJSON_AddStringToObject(o, "verdict", report_verdict(&c, run->interrupted));
  cJSON_AddNumberToObject(o, "pass", c.pass);
  cJSON_AddNumberToObject(o, "fail", c.fail);
  cJSON_AddNumberToObject(o, "warn", c.warn);
  cJSON_AddNumberToObject(o, "skip", c.skip);
  cJSON_AddNumberToObject(o, "info", c.info);
  cJSON_AddNumberToObject(o, "duration_ms", (double)run->duration_ms);
  cJSON_AddStringToObject(o, "report", where ? where : "");
  fails = cJSON_AddArrayToObject(o, "problems");
  for (const struct probe *p = pl->head; p; p = p->next) {
    cJSON *f;
    if (p->verdict != NC_VERDICT_FAIL && p->verdict != NC_VERDICT_WARN)
      continue;
    f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "id", p->id);
    cJSON_AddStringToObject(f, "verdict", report_verdict_name(p->verdict));
    cJSON_AddStringToObject(f, "code", diag_name(p->code));
    cJSON_AddStringToObject(f, "message", p->message);
    cJSON_AddStringToObject(f, "remediation", p->remediation);
    cJSON_AddItemToArray(fails, f);
  }
  if (host_causes(cfg, probes, &cs, host, sizeof host) == 0)
    cJSON_AddItemToObject(o, "causes", causes_json(&cs));
  s = cJSON_PrintUnformatted(o);
  causes_free(&cs);
  cJSON_Delete(probes);
  if (s) {
    fprintf(out, "%s\n", s);
    free(s);
  }
  cJSON_Delete(o);
}

/* Colour only for a person at a terminal: never in CloudWatch, pipes or
 * files, and never when NO_COLOR is set (https://no-color.org). */
static bool use_colour(FILE *out) {
  const char *term = getenv("TERM");
  const char *no = getenv("NO_COLOR");
  return isatty(fileno(out)) && !(no && *no) && !(term && !strcmp(term, "dumb"));
}

static const char *verdict_colour(const char *v) {
  if (!strcmp(v, "pass"))
    return "\033[32m";
  if (!strcmp(v, "warn") || !strcmp(v, "interrupted"))
    return "\033[33m";
  return "\033[31m";
}

/* Informational findings are facts, not alarms: one line names them (the
 * job may not use any of them), the report has the detail. */
#define REPORT_FACTS_SHOWN 6
static void print_facts(FILE *out, const struct plan *pl) {
  int n = 0;
  for (const struct probe *p = pl->head; p; p = p->next) {
    if (p->verdict != NC_VERDICT_INFO)
      continue;
    if (n < REPORT_FACTS_SHOWN)
      fprintf(out, "%s%s %s",
              n ? ", " : NC_NAME ": info: not usable from here (fine unless the job uses them): ",
              p->id, diag_name(p->code));
    n++;
  }
  if (n > REPORT_FACTS_SHOWN)
    fprintf(out, " and %d more", n - REPORT_FACTS_SHOWN);
  if (n)
    fputs("; NETCHECK_EXPECT=KEY=reachable makes one required\n", out);
}

void report_print_summary(FILE *out, const struct nc_config *cfg, const struct plan *pl,
                          const struct report_run *run, const char *where) {
  struct report_counts c;
  char first[384];
  const char *verdict;
  cJSON *probes;
  struct causes cs;
  char host[80], uri[NC_PATH_MAX + 128];
  bool colour;
  if (cfg->summary == NC_SUMMARY_NONE)
    return;
  if (cfg->summary == NC_SUMMARY_JSON) {
    print_json_summary(out, cfg, pl, run, where);
    return;
  }
  if (cfg->summary == NC_SUMMARY_JUNIT) {
    summary_junit_print(out, cfg, pl, run);
    return;
  }
  colour = use_colour(out);
  report_count(pl, &c);
  verdict = report_verdict(&c, run->interrupted);
  /* One line per cause (CloudWatch shows each line as one event); every
   * failed probe with its message and fix stays in the report. */
  probes = probes_array(pl);
  first[0] = '\0';
  if (host_causes(cfg, probes, &cs, host, sizeof host) == 0) {
    for (int i = 0; i < cs.n; i++)
      causes_print_line(out, &cs, &cs.v[i], NC_NAME ": ", colour, REPORT_FIX_MAX);
    /* The verdict line names the most important cause, as the lines above. */
    if (cs.n > 0 && !cs.v[0].warn && cs.v[0].code) {
      const struct cause *top = &cs.v[0];
      const char *id = top->n_probes > 0
                           ? cJSON_GetStringValue(cJSON_GetObjectItem(top->probes[0].probe, "id"))
                           : NULL;
      if (id)
        nc_snprintf(first, sizeof first, "; first cause %s on %s%s", top->code, id,
                    top->n_probes > 1 ? " (and more)" : "");
      else
        nc_snprintf(first, sizeof first, "; first cause %s", top->code);
    }
  }
  causes_free(&cs);
  cJSON_Delete(probes);
  print_facts(out, pl);
  fprintf(out,
          NC_NAME ": %sverdict %s%s: %d passed, %d failed, %d warnings, %d informational, %d "
                  "skipped in %lld ms%s",
          colour ? verdict_colour(verdict) : "", verdict, colour ? "\033[0m" : "", c.pass, c.fail,
          c.warn, c.info, c.skip, run->duration_ms, first);
  fprintf(out, "; report %s", where ? where : "not written");
  if (where && report_s3_uri(cfg, where, uri, sizeof uri) == 0)
    fprintf(out, " (%s)", uri);
  else if (where && !report_is_collected(cfg))
    fprintf(out, " (not uploaded: add a ProcessingOutput named \"" NC_REPORT_OUTPUT_NAME
                 "\" to collect the reports)");
  fputc('\n', out);
}
