/*
 * merge.c - `netcheck merge`: reads every host's report and shows the job:
 * its verdict, the root causes of every failure (agent/causes.c) and who
 * reaches whom (the peer probes). See merge.h.
 */
#include "netcheck/merge.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/peerproto.h"
#include "netcheck/summary.h"
#include "netcheck/utf8.h"

#include "merge_int.h"

void merge_init(struct merge *m) { memset(m, 0, sizeof(*m)); }

void merge_free(struct merge *m) {
  for (int i = 0; i < m->n_reports; i++) {
    free(m->reports[i].file);
    cJSON_Delete(m->reports[i].root);
  }
  for (int i = 0; i < m->n_dups; i++) {
    free(m->dups[i].host);
    free(m->dups[i].kept);
    free(m->dups[i].dropped);
  }
  free(m->dups);
  causes_free(&m->causes);
  free(m->reports);
  free(m->hosts);
  free(m->report_of);
  free(m->cells);
  merge_init(m);
}

static bool mg_is_peer(const cJSON *probe) { return causes_is_peer(probe); }

/* Remembers that host had two reports (file names copied). 0 or -1. */
static int mg_note_dup(struct merge *m, const char *host, const char *kept, const char *dropped) {
  struct merge_duplicate *d;
  if (m->n_dups == m->cap_dups) {
    int cap = m->cap_dups ? m->cap_dups * 2 : 4;
    d = realloc(m->dups, (size_t)cap * sizeof(*d));
    if (!d)
      return -1;
    m->dups = d;
    m->cap_dups = cap;
  }
  d = &m->dups[m->n_dups];
  d->host = strdup(host);
  d->kept = strdup(kept);
  d->dropped = strdup(dropped);
  if (!d->host || !d->kept || !d->dropped) {
    free(d->host);
    free(d->kept);
    free(d->dropped);
    return -1;
  }
  m->n_dups++;
  return 0;
}

/* Drops what no view of the merge reads (timings, routes, most details),
 * so that 100 reports of 99 peers each fit in little memory. */
static void mg_prune(cJSON *root) {
  static const char *const peer_keys[] = {"outbound", "inbound", "port", "rtt_ms"};
  cJSON *env = cJSON_GetObjectItemCaseSensitive(root, "environment"), *p;
  cJSON_DeleteItemFromObjectCaseSensitive(env, "routes");
  cJSON_DeleteItemFromObjectCaseSensitive(env, "resolv");
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(root, "probes")) {
    cJSON *d = cJSON_GetObjectItemCaseSensitive(p, "details"), *k, *next;
    bool peer = mg_is_peer(p), dns = !strcmp(mg_str(p, "kind"), "dns");
    cJSON_DeleteItemFromObjectCaseSensitive(p, "timings_ms");
    for (k = d ? d->child : NULL; k; k = next) {
      bool keep = dns && k->string && !strcmp(k->string, "servers");
      next = k->next;
      for (size_t i = 0; peer && !keep && i < NC_ARRAY_LEN(peer_keys); i++)
        keep = k->string && !strcmp(k->string, peer_keys[i]);
      if (!keep)
        cJSON_Delete(cJSON_DetachItemViaPointer(d, k));
    }
  }
}

/* True when report b is at least as new as a (finished_at, an ISO 8601
 * UTC timestamp of the same form in every report; a tie or a missing one
 * goes to b, the later file). */
static bool mg_newer(const cJSON *a, const cJSON *b) {
  const char *ta = mg_str(a, "finished_at"), *tb = mg_str(b, "finished_at");
  return !*ta || !*tb || strcmp(tb, ta) >= 0;
}

int merge_add(struct merge *m, const char *file, const char *buf, size_t len, char *err,
              size_t errlen) {
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
  const cJSON *job, *ver;
  const char *host;

  if (!root) {
    nc_snprintf(err, errlen, "%s: not valid JSON (near byte %zu)", file,
                end && end >= buf ? (size_t)(end - buf) : (size_t)0);
    return -1;
  }
  job = cJSON_GetObjectItemCaseSensitive(root, "job");
  host = mg_str(job, "current_host");
  if (!*host)
    host = mg_str(root, "host");
  ver = cJSON_GetObjectItemCaseSensitive(root, "schema_version");
  if (!cJSON_IsObject(root) || !cJSON_IsArray(mg_probes(root)) || !*host) {
    nc_snprintf(err, errlen, "%s: not a netcheck report (no host or no probes)", file);
    goto fail;
  }
  if (!cJSON_IsNumber(ver)) {
    nc_snprintf(err, errlen, "%s: report schema_version is %s, not the number 1", file,
                ver ? "not a number" : "missing");
    goto fail;
  }
  if (ver->valuedouble != 1) {
    nc_snprintf(err, errlen, "%s: report schema_version %g is not supported (1 is)", file,
                ver->valuedouble);
    goto fail;
  }
  if (strlen(host) >= NC_HOST_MAX) {
    nc_snprintf(err, errlen, "%s: host name longer than %d bytes", file, NC_HOST_MAX - 1);
    goto fail;
  }
  mg_prune(root);
  for (int i = 0; i < m->n_reports; i++) {
    struct merge_report *old = &m->reports[i];
    char *copy;
    if (strcmp(old->host, host) != 0)
      continue;
    if (!mg_newer(old->root, root)) { /* the one we have is newer: keep it */
      if (mg_note_dup(m, host, old->file, file))
        goto oom;
      cJSON_Delete(root);
      return 0;
    }
    copy = strdup(file);
    if (!copy || mg_note_dup(m, host, file, old->file)) {
      free(copy);
      goto oom;
    }
    free(old->file);
    cJSON_Delete(old->root);
    old->file = copy;
    old->root = root;
    old->host = host;
    return 0;
  }
  if (m->n_reports == m->cap_reports) {
    int cap = m->cap_reports ? m->cap_reports * 2 : 16;
    struct merge_report *r = realloc(m->reports, (size_t)cap * sizeof(*r));
    if (!r)
      goto oom;
    m->reports = r;
    m->cap_reports = cap;
  }
  struct merge_report *r = &m->reports[m->n_reports];
  r->file = strdup(file);
  if (!r->file)
    goto oom;
  r->root = root;
  r->host = host;
  m->n_reports++;
  return 0;
oom:
  nc_snprintf(err, errlen, "%s: out of memory", file);
fail:
  cJSON_Delete(root);
  return -1;
}

static int mg_load_file(struct merge *m, const char *path, char *err, size_t errlen) {
  char *buf = NULL;
  size_t len = 0;
  if (nc_read_file(path, MERGE_REPORT_MAX, &buf, &len) != 0) {
    nc_snprintf(err, errlen, "%s: %s", path,
                errno == EFBIG ? "larger than 16 MiB, not a report" : nc_read_error(errno));
    return -1;
  }
  int rc = merge_add(m, path, buf, len, err, errlen);
  free(buf);
  return rc;
}

static int mg_json_name(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return d->d_name[0] != '.' && n > 5 && !strcmp(d->d_name + n - 5, ".json");
}

int merge_load(struct merge *m, const char *path, char *err, size_t errlen) {
  struct stat st;
  struct dirent **list = NULL;
  int n, rc = 0;

  if (stat(path, &st) != 0) {
    nc_snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode))
    return mg_load_file(m, path, err, errlen);
  /* A directory of reports, as `aws s3 cp --recursive` leaves them. */
  n = scandir(path, &list, mg_json_name, alphasort);
  if (n < 0) {
    nc_snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  if (n == 0) {
    nc_snprintf(err, errlen, "%s: no *.json report in this directory", path);
    rc = -1;
  }
  for (int i = 0; i < n; i++) {
    char file[NC_PATH_MAX + 256];
    if (rc == 0 && nc_snprintf(file, sizeof(file), "%s/%s", path, list[i]->d_name)) {
      nc_snprintf(err, errlen, "%s: path too long", path);
      rc = -1;
    }
    if (rc == 0)
      rc = mg_load_file(m, file, err, errlen);
    free(list[i]);
  }
  free(list);
  return rc;
}

/* ---- the matrix ---- */

struct mg_index {
  int slot[MERGE_HASH_SLOTS]; /* host index + 1; 0 = empty */
};

static int mg_find(const struct merge *m, const struct mg_index *ix, const char *name, size_t *at) {
  size_t h = (size_t)peerproto_job_hash(name) & (MERGE_HASH_SLOTS - 1);
  while (ix->slot[h]) {
    if (!strcmp(m->hosts[ix->slot[h] - 1], name)) {
      *at = h;
      return ix->slot[h] - 1;
    }
    h = (h + 1) & (MERGE_HASH_SLOTS - 1);
  }
  *at = h;
  return -1;
}

/* Index of host name, added when new. -1 when the list is full. */
static int mg_host(struct merge *m, struct mg_index *ix, const char *name) {
  size_t at;
  int i = mg_find(m, ix, name, &at);
  if (i >= 0)
    return i;
  if (m->n_hosts >= NC_MAX_HOSTS)
    return -1;
  m->hosts[m->n_hosts] = name;
  ix->slot[at] = m->n_hosts + 1;
  return m->n_hosts++;
}

static const cJSON *mg_detail(const cJSON *probe, const char *key) {
  return causes_detail(probe, key);
}

/* The probe's own verdict rule (probe_judge) applied to one direction. */
static const char *mg_judge(const cJSON *probe, bool reachable) {
  const char *expect = mg_str(probe, "expect");
  if (!strcmp(expect, "any"))
    return "pass";
  if (!strcmp(expect, "blocked"))
    return reachable ? "fail" : "pass";
  return reachable ? "pass" : "fail";
}

static double mg_rtt(const cJSON *probe) {
  const cJSON *v = mg_detail(probe, "rtt_ms");
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* from -> to, from from's probe of to (out), else to's probe of from (in). */
static void mg_direction(struct merge_cell *c, const cJSON *out, const cJSON *in, bool reported) {
  c->rtt_ms = -1;
  c->verdict = reported ? "missing" : "no_report";
  if (out) {
    const cJSON *o = mg_detail(out, "outbound");
    c->probe = out;
    c->rtt_ms = mg_rtt(out);
    if (!cJSON_IsString(o)) { /* skipped or cut short: the probe's word */
      c->code = mg_str(out, "code");
      c->verdict = mg_str(out, "verdict");
    } else if (!strcmp(o->valuestring, "ok")) {
      c->code = "OK";
      c->verdict = mg_judge(out, true);
    } else {
      c->code = mg_str(out, "code"); /* the probe's code is the outbound failure's */
      c->verdict = mg_judge(out, false);
    }
  } else if (!reported && in) {
    const char *i =
        cJSON_IsString(mg_detail(in, "inbound")) ? mg_detail(in, "inbound")->valuestring : "";
    if (!strcmp(i, "ok") || !strcmp(i, "hello_only")) {
      c->probe = in;
      c->rtt_ms = mg_rtt(in);
      c->code = !strcmp(i, "ok") ? "OK" : "PEER_PMTU_BLACKHOLE";
      c->verdict = mg_judge(in, !strcmp(i, "ok"));
    } else if (!strcmp(i, "partial")) { /* the bulk started, then stopped short */
      c->probe = in;
      c->rtt_ms = mg_rtt(in);
      c->code = "TIMEOUT_BUDGET";
      c->verdict = mg_judge(in, false);
    }
  }
}

static int mg_host_cmp(const void *a, const void *b) {
  return nc_natcmp(*(const char *const *)a, *(const char *const *)b);
}

int merge_build(struct merge *m, char *err, size_t errlen) {
  struct mg_index *ix = calloc(1, sizeof(*ix));
  const cJSON **probe_of = NULL; /* from x to: from's peer probe of to */
  size_t at, n;

  free(m->hosts);
  free(m->report_of);
  free(m->cells);
  m->n_hosts = 0;
  m->hosts = calloc(NC_MAX_HOSTS, sizeof(*m->hosts));
  m->report_of = NULL;
  m->cells = NULL;
  if (!ix || !m->hosts)
    goto oom;

  /* Hosts: every report's own name, its job's host list, its peers. */
  for (int r = 0; r < m->n_reports; r++) {
    const cJSON *root = m->reports[r].root, *h, *p;
    const cJSON *hosts =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "job"), "hosts");
    int bad = mg_host(m, ix, m->reports[r].host) < 0;
    cJSON_ArrayForEach(h, hosts) {
      if (cJSON_IsString(h) && h->valuestring[0] && strlen(h->valuestring) < NC_HOST_MAX)
        bad |= mg_host(m, ix, h->valuestring) < 0;
    }
    cJSON_ArrayForEach(p, mg_probes(root)) {
      const char *t = mg_str(p, "target");
      if (mg_is_peer(p) && *t && strlen(t) < NC_HOST_MAX)
        bad |= mg_host(m, ix, t) < 0;
    }
    if (bad) {
      nc_snprintf(err, errlen, "%s: more than %d hosts in the reports", m->reports[r].file,
                  NC_MAX_HOSTS);
      free(ix);
      return -1;
    }
  }

  /* Natural order everywhere (algo-2 before algo-10), then the index anew. */
  qsort(m->hosts, (size_t)m->n_hosts, sizeof(*m->hosts), mg_host_cmp);
  memset(ix, 0, sizeof(*ix));
  for (int i = 0; i < m->n_hosts; i++) {
    mg_find(m, ix, m->hosts[i], &at);
    ix->slot[at] = i + 1;
  }

  n = (size_t)m->n_hosts;
  m->report_of = malloc((n ? n : 1) * sizeof(*m->report_of));
  m->cells = calloc(n ? n * n : 1, sizeof(*m->cells));
  probe_of = calloc(n ? n * n : 1, sizeof(const cJSON *));
  if (!m->report_of || !m->cells || !probe_of)
    goto oom;
  for (size_t i = 0; i < n; i++)
    m->report_of[i] = -1;
  for (int r = 0; r < m->n_reports; r++) {
    const cJSON *p;
    int from = mg_find(m, ix, m->reports[r].host, &at);
    m->report_of[from] = r;
    cJSON_ArrayForEach(p, mg_probes(m->reports[r].root)) {
      int to = mg_is_peer(p) ? mg_find(m, ix, mg_str(p, "target"), &at) : -1;
      if (to >= 0 && to != from)
        probe_of[(size_t)from * n + (size_t)to] = p;
    }
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++)
      if (i != j)
        mg_direction(&m->cells[i * n + j], probe_of[i * n + j], probe_of[j * n + i],
                     m->report_of[i] >= 0);
  free(probe_of);
  free(ix);
  if (causes_of_merge(&m->causes, m) != 0) {
    nc_snprintf(err, errlen, "out of memory");
    return -1;
  }
  return 0;
oom:
  free(probe_of);
  free(ix);
  nc_snprintf(err, errlen, "out of memory");
  return -1;
}

const struct merge_cell *merge_cell(const struct merge *m, int from, int to) {
  return &m->cells[(size_t)from * (size_t)m->n_hosts + (size_t)to];
}

/* Every failed probe, failed link and missing report is in a cause that
 * fails; warnings and info are not failures. */
int merge_exit_code(const struct merge *m) {
  return !strcmp(causes_verdict(&m->causes), "fail") ? NC_EXIT_FAIL : NC_EXIT_OK;
}

/* ---- command ---- */

static int mg_usage(const char *why) {
  fprintf(stderr, NC_NAME " merge: %s\n" MERGE_USAGE "\n", why);
  return NC_EXIT_USAGE;
}

static int mg_write_html(const struct merge *m, const char *path) {
  FILE *f = !strcmp(path, "-") ? stdout : fopen(path, "w");
  if (!f) {
    fprintf(stderr, NC_NAME " merge: %s: %s\n", path, strerror(errno));
    return -1;
  }
  merge_print_html(m, f);
  if ((f == stdout ? fflush(f) : fclose(f)) != 0) {
    fprintf(stderr, NC_NAME " merge: %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

/* $COLUMNS, else the terminal's width, else 80. */
static int mg_columns(void) {
  const char *env = getenv("COLUMNS");
  struct winsize ws;
  if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (!*end && v >= 20 && v <= 10000)
      return (int)v;
  }
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
    return ws.ws_col;
  return MERGE_COLUMNS;
}

int merge_main(int argc, char **argv) {
  bool json = false, opts = true;
  const char *html = NULL;
  struct merge m;
  char err[512];
  int rc = NC_EXIT_USAGE, files = 0;

  merge_init(&m);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (opts && !strcmp(a, "--")) {
      opts = false;
    } else if (opts && !strcmp(a, "--json")) {
      json = true;
    } else if (opts && !strcmp(a, "--html")) {
      if (++i >= argc) {
        merge_free(&m);
        return mg_usage("--html needs a FILE");
      }
      html = argv[i];
    } else if (opts && !strncmp(a, "--html=", 7)) {
      html = a + 7;
    } else if (opts && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
      merge_free(&m);
      printf("%s\n", MERGE_USAGE);
      return NC_EXIT_OK;
    } else if (opts && a[0] == '-' && a[1]) {
      nc_snprintf(err, sizeof(err), "unknown option '%.64s'", a);
      merge_free(&m);
      return mg_usage(err);
    } else {
      files++;
      if (merge_load(&m, a, err, sizeof(err)) != 0) {
        fprintf(stderr, NC_NAME " merge: %s\n", err);
        merge_free(&m);
        return NC_EXIT_USAGE;
      }
    }
  }
  if (!files) {
    merge_free(&m);
    return mg_usage("no report given");
  }
  if (html && !*html) {
    merge_free(&m);
    return mg_usage("--html needs a FILE");
  }
  if (merge_build(&m, err, sizeof(err)) != 0) {
    fprintf(stderr, NC_NAME " merge: %s\n", err);
    merge_free(&m);
    return NC_EXIT_USAGE;
  }

  if (json) {
    cJSON *j = merge_json(&m);
    char *text = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (!text) {
      fprintf(stderr, NC_NAME " merge: out of memory\n");
      merge_free(&m);
      return NC_EXIT_INTERNAL;
    }
    puts(text);
    free(text);
  } else if (!html || strcmp(html, "-") != 0) {
    const char *nc = getenv("NO_COLOR");
    merge_print_text(&m, stdout, isatty(STDOUT_FILENO) && !(nc && *nc), mg_columns());
  }
  rc = merge_exit_code(&m);
  if (html && mg_write_html(&m, html) != 0)
    rc = NC_EXIT_USAGE;
  fflush(stdout);
  merge_free(&m);
  return rc;
}
