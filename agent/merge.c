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

#define MERGE_USAGE "usage: netcheck merge [--json] [--html FILE] REPORT.json|DIR..."
#define MERGE_NAME_WIDTH 16     /* longer host names get numbered columns */
#define MERGE_HASH_SLOTS 1024   /* > 2 x NC_MAX_HOSTS */
#define MERGE_COLUMNS 80        /* terminal width when neither $COLUMNS nor the tty says */
#define MERGE_ROW_NAME_MAX 24   /* host names in the compact matrix's rows */
#define MERGE_FIX_MAX 400       /* bytes of a cause's fix on its line */
#define MERGE_HTML_COMPACT 16   /* more hosts: one glyph per cell in the HTML matrix */
#define MERGE_HTML_OPEN_ROWS 50 /* more failures: the table starts folded */

#define MG_RESET "\033[0m"
#define MG_GREEN "\033[32m"
#define MG_RED "\033[31m"
#define MG_YELLOW "\033[33m"
#define MG_DIM "\033[2m"
#define MG_BOLD "\033[1m"

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

static const char *mg_str(const cJSON *o, const char *key) { return causes_str(o, key); }

/* Report text on a terminal: no control, C1 or bidi character from the files. */
static void mg_put_safe(FILE *out, const char *s, size_t max) { nc_put_term(out, s, max); }

static void mg_put_term(FILE *out, const char *s) { mg_put_safe(out, s, 1024); }

static const cJSON *mg_probes(const cJSON *root) {
  return cJSON_GetObjectItemCaseSensitive(root, "probes");
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

/* The causes of the whole job, from causes.c's view of the merge. 0 or -1. */
static int mg_causes(struct merge *m) {
  size_t n = (size_t)m->n_hosts, nn = n * n;
  struct causes_report *reports = calloc(n ? n : 1, sizeof *reports);
  struct causes_link *links = calloc(nn ? nn : 1, sizeof *links);
  struct causes_job job = {.hosts = m->hosts, .n_hosts = m->n_hosts};
  int rc = -1;
  if (reports && links) {
    for (size_t h = 0; h < n; h++)
      reports[h].root = m->report_of[h] >= 0 ? m->reports[m->report_of[h]].root : NULL;
    for (size_t i = 0; i < nn; i++)
      links[i] = (struct causes_link){m->cells[i].code, m->cells[i].verdict};
    job.reports = reports;
    job.links = links;
    rc = causes_of_merge(&m->causes, &job);
  }
  free(reports);
  free(links);
  return rc;
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
  if (mg_causes(m) != 0) {
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

/* A direction is fine when it passed or only warned. */
static bool mg_cell_ok(const struct merge_cell *c) {
  return !strcmp(c->verdict, "pass") || !strcmp(c->verdict, "warn");
}

static bool mg_cell_known(const struct merge_cell *c) {
  return !strcmp(c->verdict, "pass") || !strcmp(c->verdict, "fail");
}

/* Every failed probe, failed link and missing report is in a cause that
 * fails; warnings and info are not failures. */
int merge_exit_code(const struct merge *m) {
  return !strcmp(causes_verdict(&m->causes), "fail") ? NC_EXIT_FAIL : NC_EXIT_OK;
}

struct mg_counts {
  int links, ok, failed, unknown;
  int probes_failed, probes_warned;
};

static void mg_count(const struct merge *m, struct mg_counts *c) {
  memset(c, 0, sizeof(*c));
  for (int i = 0; i < m->n_hosts; i++) {
    for (int j = 0; j < m->n_hosts; j++) {
      const struct merge_cell *cell = merge_cell(m, i, j);
      if (i == j)
        continue;
      c->links++;
      if (mg_cell_ok(cell))
        c->ok++;
      else if (!strcmp(cell->verdict, "fail"))
        c->failed++;
      else
        c->unknown++;
    }
  }
  for (int r = 0; r < m->n_reports; r++) {
    const cJSON *p;
    cJSON_ArrayForEach(p, mg_probes(m->reports[r].root)) {
      c->probes_failed += !strcmp(mg_str(p, "verdict"), "fail");
      c->probes_warned += !strcmp(mg_str(p, "verdict"), "warn");
    }
  }
}

/* What the reports say about the job: its name and region (the first
 * report's that has one), the first start and the last finish. */
struct mg_job {
  const char *name, *region, *started, *finished;
};

static void mg_job_info(const struct merge *m, struct mg_job *j) {
  j->name = j->region = j->started = j->finished = "";
  for (int h = 0; h < m->n_hosts; h++) {
    const cJSON *root, *job;
    const char *s, *f;
    if (m->report_of[h] < 0)
      continue;
    root = m->reports[m->report_of[h]].root;
    job = cJSON_GetObjectItemCaseSensitive(root, "job");
    if (!*j->name)
      j->name = mg_str(job, "name");
    if (!*j->region)
      j->region = mg_str(job, "region");
    s = mg_str(root, "started_at");
    f = mg_str(root, "finished_at");
    if (*s && (!*j->started || strcmp(s, j->started) < 0))
      j->started = s;
    if (*f && strcmp(f, j->finished) > 0)
      j->finished = f;
  }
}

/* "2024-05-01 10:00:00 to 10:00:17 UTC" from two ISO 8601 UTC timestamps
 * (the date again when it differs); the raw strings when they are not. */
static void mg_time_range(const struct mg_job *j, char *out, size_t len) {
  const char *a = j->started, *b = j->finished;
  bool iso = strlen(a) >= 20 && strlen(b) >= 20 && a[10] == 'T' && b[10] == 'T' &&
             a[strlen(a) - 1] == 'Z' && b[strlen(b) - 1] == 'Z';
  if (!iso) {
    nc_snprintf(out, len, "%.40s to %.40s", a, b);
    return;
  }
  if (!strncmp(a, b, 10))
    nc_snprintf(out, len, "%.10s %.8s to %.8s UTC", a, a + 11, b + 11);
  else
    nc_snprintf(out, len, "%.10s %.8s to %.10s %.8s UTC", a, a + 11, b, b + 11);
}

/* "region us-east-1, 16 hosts, 15 reports, 2024-05-01 10:00:00 to 10:00:17
 * UTC", report text written with put, the parts separated by sep. */
static void mg_print_meta(const struct merge *m, const struct mg_job *j, FILE *out,
                          void (*put)(FILE *, const char *), const char *sep) {
  if (*j->region) {
    fputs("region ", out);
    put(out, j->region);
    fputs(sep, out);
  }
  fprintf(out, "%d host%s%s%d report%s", m->n_hosts, m->n_hosts == 1 ? "" : "s", sep, m->n_reports,
          m->n_reports == 1 ? "" : "s");
  if (*j->started) {
    char when[96];
    mg_time_range(j, when, sizeof(when));
    fputs(sep, out);
    put(out, when);
  }
}

/* One line per host with two reports: which was kept; report text written
 * with put, the host between bold and unbold. */
static void mg_print_dups(const struct merge *m, FILE *out, void (*put)(FILE *, const char *),
                          const char *before, const char *unbold, const char *after) {
  for (int i = 0; i < m->n_dups; i++) {
    fputs(before, out);
    put(out, m->dups[i].host);
    fprintf(out, "%s: kept the newer ", unbold);
    put(out, m->dups[i].kept);
    fputs(", ignored ", out);
    put(out, m->dups[i].dropped);
    fputs(after, out);
  }
}

/* "2 causes (43 failed probes, 1 report missing); peer links 196 of 240 ok" */
static void mg_print_tally(const struct merge *m, const struct causes *cs,
                           const struct mg_counts *c, FILE *out) {
  int missing = 0;
  for (int h = 0; h < m->n_hosts; h++)
    missing += m->report_of[h] < 0;
  if (!cs->n)
    fputs("no failure and no warning on any host", out);
  else
    fprintf(out, "%d cause%s (%d failed probe%s", cs->n, cs->n == 1 ? "" : "s", c->probes_failed,
            c->probes_failed == 1 ? "" : "s");
  if (cs->n && c->probes_warned)
    fprintf(out, ", %d warned", c->probes_warned);
  if (cs->n && missing)
    fprintf(out, ", %d report%s missing", missing, missing == 1 ? "" : "s");
  if (cs->n)
    fputc(')', out);
  if (c->links)
    fprintf(out, "; peer links %d of %d ok", c->ok, c->links);
}

/* True when exactly one direction between hosts i and j works; *bad is the
 * one that does not. */
static bool mg_asymmetric(const struct merge *m, int i, int j, int *bad_from, int *bad_to) {
  const struct merge_cell *a = merge_cell(m, i, j), *b = merge_cell(m, j, i);
  if (!mg_cell_known(a) || !mg_cell_known(b) || mg_cell_ok(a) == mg_cell_ok(b))
    return false;
  *bad_from = mg_cell_ok(a) ? j : i;
  *bad_to = mg_cell_ok(a) ? i : j;
  return true;
}

/* What the failure lists show: every failed or warned probe. */
static bool mg_is_problem(const cJSON *p) {
  return !strcmp(mg_str(p, "verdict"), "fail") || !strcmp(mg_str(p, "verdict"), "warn");
}

/* Short cell text: "ok", or the code without the PEER_ prefix. */
static const char *mg_abbrev(const struct merge_cell *c) {
  if (!c->code)
    return !strcmp(c->verdict, "no_report") ? "n/a" : "?";
  if (!strcmp(c->verdict, "skip"))
    return "skip";
  if (!strcmp(c->code, "OK"))
    return !strcmp(c->verdict, "fail") ? "OPEN" : "ok"; /* reachable, expected blocked */
  if (!strcmp(c->code, "PEER_NOT_NETCHECK"))
    return "NOT_NC";
  if (!strcmp(c->code, "PEER_PMTU_BLACKHOLE"))
    return "PMTU";
  if (!strncmp(c->code, "PEER_", 5))
    return c->code + 5;
  return *c->code ? c->code : "?";
}

/* The compact matrix: one glyph per cell, explained by the legend. */
static const struct {
  char glyph;
  const char *code, *meaning;
} mg_glyphs[] = {
    {'.', "OK", "ok"},
    {'X', "PEER_BLOCKED", "blocked"},
    {'R', "PEER_REFUSED", "refused"},
    {'P', "PEER_PMTU_BLACKHOLE", "PMTU black hole"},
    {'D', "PEER_DNS", "name does not resolve"},
    {'N', "PEER_NOT_NETCHECK", "not netcheck"},
    {'T', "TIMEOUT_BUDGET", "too slow"},
    {'O', NULL, "reachable, expected blocked"},
    {'!', NULL, "other failure"},
    {'s', NULL, "skipped"},
    {'?', NULL, "no result"},
};

static char mg_glyph(const struct merge_cell *c) {
  if (!c->code)
    return '?';
  if (!strcmp(c->verdict, "skip"))
    return 's';
  if (!strcmp(c->code, "OK") && !strcmp(c->verdict, "fail"))
    return 'O';
  for (size_t k = 0; k < NC_ARRAY_LEN(mg_glyphs); k++)
    if (mg_glyphs[k].code && !strcmp(mg_glyphs[k].code, c->code))
      return mg_glyphs[k].glyph;
  return '!';
}

/* ---- JSON ---- */

static cJSON *mg_failure_json(const struct merge_report *r, const cJSON *p) {
  static const char *const keys[] = {"id",   "kind",    "target",     "verdict",
                                     "code", "message", "remediation"};
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "host", r->host);
  for (size_t k = 0; k < NC_ARRAY_LEN(keys); k++)
    cJSON_AddStringToObject(o, keys[k], mg_str(p, keys[k]));
  return o;
}

cJSON *merge_json(const struct merge *m) {
  cJSON *root = cJSON_CreateObject(), *hosts, *matrix, *fails, *asym, *missing, *sum, *job, *dups;
  cJSON *causes = causes_json(&m->causes);
  struct mg_counts c;
  struct mg_job ji;
  int bf, bt;

  mg_job_info(m, &ji);
  job = cJSON_AddObjectToObject(root, "job");
  cJSON_AddStringToObject(job, "name", ji.name);
  cJSON_AddStringToObject(job, "region", ji.region);
  cJSON_AddStringToObject(job, "started_at", ji.started);
  cJSON_AddStringToObject(job, "finished_at", ji.finished);
  if (causes)
    cJSON_AddItemToObject(root, "causes", causes);
  hosts = cJSON_AddArrayToObject(root, "hosts");
  matrix = cJSON_AddObjectToObject(root, "matrix");
  for (int i = 0; i < m->n_hosts; i++) {
    cJSON *row = cJSON_AddObjectToObject(matrix, m->hosts[i]);
    cJSON_AddItemToArray(hosts, cJSON_CreateString(m->hosts[i]));
    for (int j = 0; j < m->n_hosts; j++) {
      if (i == j)
        continue;
      const struct merge_cell *cell = merge_cell(m, i, j);
      cJSON *o = cJSON_AddObjectToObject(row, m->hosts[j]);
      if (cell->code)
        cJSON_AddStringToObject(o, "code", cell->code);
      else
        cJSON_AddNullToObject(o, "code");
      cJSON_AddStringToObject(o, "verdict", cell->verdict);
      if (cell->rtt_ms >= 0)
        cJSON_AddNumberToObject(o, "rtt_ms", cell->rtt_ms);
      else
        cJSON_AddNullToObject(o, "rtt_ms");
    }
  }
  fails = cJSON_AddArrayToObject(root, "failures");
  for (int h = 0; h < m->n_hosts; h++) {
    const cJSON *p;
    if (m->report_of[h] < 0)
      continue;
    cJSON_ArrayForEach(p, mg_probes(m->reports[m->report_of[h]].root)) {
      if (mg_is_problem(p))
        cJSON_AddItemToArray(fails, mg_failure_json(&m->reports[m->report_of[h]], p));
    }
  }
  asym = cJSON_AddArrayToObject(root, "asymmetric");
  for (int i = 0; i < m->n_hosts; i++)
    for (int j = i + 1; j < m->n_hosts; j++)
      if (mg_asymmetric(m, i, j, &bf, &bt)) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "from", m->hosts[bf]);
        cJSON_AddStringToObject(o, "to", m->hosts[bt]);
        cJSON_AddStringToObject(o, "code", merge_cell(m, bf, bt)->code);
        cJSON_AddItemToArray(asym, o);
      }
  missing = cJSON_AddArrayToObject(root, "missing_reports");
  for (int i = 0; i < m->n_hosts; i++)
    if (m->report_of[i] < 0)
      cJSON_AddItemToArray(missing, cJSON_CreateString(m->hosts[i]));
  dups = cJSON_AddArrayToObject(root, "duplicates");
  for (int i = 0; i < m->n_dups; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "host", m->dups[i].host);
    cJSON_AddStringToObject(o, "kept", m->dups[i].kept);
    cJSON_AddStringToObject(o, "ignored", m->dups[i].dropped);
    cJSON_AddItemToArray(dups, o);
  }
  mg_count(m, &c);
  sum = cJSON_AddObjectToObject(root, "summary");
  cJSON_AddNumberToObject(sum, "hosts", m->n_hosts);
  cJSON_AddNumberToObject(sum, "reports", m->n_reports);
  cJSON_AddNumberToObject(sum, "causes", m->causes.n);
  cJSON_AddNumberToObject(sum, "failed_probes", c.probes_failed);
  cJSON_AddNumberToObject(sum, "warned_probes", c.probes_warned);
  cJSON_AddNumberToObject(sum, "links", c.links);
  cJSON_AddNumberToObject(sum, "ok", c.ok);
  cJSON_AddNumberToObject(sum, "failed", c.failed);
  cJSON_AddNumberToObject(sum, "unknown", c.unknown);
  cJSON_AddStringToObject(sum, "verdict", causes_verdict(&m->causes));
  if (!causes || !sum || !missing || !fails || !asym || !dups || !job) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

/* ---- terminal ---- */

/* Terminal columns written for s (escapes are wider than what they stand
 * for; a multi-byte character is one column). */
static size_t mg_term_width(const char *s, size_t max) {
  char *buf = NULL;
  size_t len = 0, w = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    return strnlen(s, max);
  nc_put_term(f, s, max);
  fclose(f);
  if (buf)
    w = utf8_count(buf, len);
  free(buf);
  return w;
}

static void mg_pad(FILE *out, size_t used, size_t width) {
  for (; used < width; used++)
    fputc(' ', out);
}

static const char *mg_colour(const char *verdict) {
  if (!strcmp(verdict, "pass"))
    return MG_GREEN;
  if (!strcmp(verdict, "fail"))
    return MG_RED;
  if (!strcmp(verdict, "warn"))
    return MG_YELLOW;
  return MG_DIM;
}

/* The matrix with one column per host, as wide as its names; 0 when it
 * would be wider than columns (nothing printed then). */
static int mg_print_detailed(const struct merge *m, FILE *out, bool color, int columns) {
  size_t name_w = 9, col_w = 7, width; /* "from \\ to", "BLOCKED" */
  bool numbered = false;

  for (int i = 0; i < m->n_hosts; i++) {
    size_t l = mg_term_width(m->hosts[i], NC_HOST_MAX);
    numbered |= l > MERGE_NAME_WIDTH;
    if (l > name_w)
      name_w = l < 64 ? l : 64;
    if (l > col_w)
      col_w = l;
  }
  if (numbered)
    col_w = 7; /* columns labelled [1], [2]... like the rows */
  width = (numbered ? 5 : 0) + name_w + (size_t)m->n_hosts * (2 + col_w);
  if (width > (size_t)columns)
    return 0;

  fprintf(out, "%sfrom \\ to", numbered ? "     " : "");
  mg_pad(out, 9, name_w);
  for (int j = 0; j < m->n_hosts; j++) {
    char label[16];
    const char *text = m->hosts[j];
    if (numbered) {
      nc_snprintf(label, sizeof(label), "[%d]", j + 1);
      text = label;
    }
    fputs("  ", out);
    mg_put_safe(out, text, col_w);
    if (j + 1 < m->n_hosts)
      mg_pad(out, mg_term_width(text, col_w), col_w);
  }
  fputc('\n', out);
  for (int i = 0; i < m->n_hosts; i++) {
    if (numbered) {
      char label[16];
      nc_snprintf(label, sizeof(label), "[%d]", i + 1);
      fprintf(out, "%-5s", label);
    }
    mg_put_safe(out, m->hosts[i], name_w);
    mg_pad(out, mg_term_width(m->hosts[i], name_w), name_w);
    for (int j = 0; j < m->n_hosts; j++) {
      const struct merge_cell *cell = merge_cell(m, i, j);
      const char *text = i == j ? "-" : mg_abbrev(cell);
      fputs("  ", out);
      if (color && i != j)
        fputs(mg_colour(cell->verdict), out);
      mg_put_safe(out, text, col_w);
      if (color && i != j)
        fputs(MG_RESET, out);
      if (j + 1 < m->n_hosts)
        mg_pad(out, mg_term_width(text, col_w), col_w);
    }
    if (m->report_of[i] < 0)
      fputs("  (no report)", out);
    fputc('\n', out);
  }
  return 1;
}

/* One glyph per cell: rows "N name", columns numbered vertically; a space
 * every ten columns when that still fits. */
static void mg_print_compact(const struct merge *m, FILE *out, bool color, int columns) {
  int n = m->n_hosts, digits = n >= 100 ? 3 : n >= 10 ? 2 : 1;
  size_t name_w = 1, label_w;
  bool groups, used[NC_ARRAY_LEN(mg_glyphs)] = {false};

  for (int i = 0; i < n; i++) {
    size_t l = mg_term_width(m->hosts[i], MERGE_ROW_NAME_MAX);
    if (l > name_w)
      name_w = l;
  }
  label_w = (size_t)digits + 1 + name_w + 2;
  groups = label_w + (size_t)n + (size_t)(n - 1) / 10 <= (size_t)columns;
  for (int d = digits - 1; d >= 0; d--) {
    int div = d == 2 ? 100 : d == 1 ? 10 : 1;
    mg_pad(out, 0, label_w);
    for (int j = 0; j < n; j++) {
      int v = j + 1;
      if (groups && j && j % 10 == 0)
        fputc(' ', out);
      fputc(v >= div ? '0' + (v / div) % 10 : ' ', out);
    }
    fputc('\n', out);
  }
  for (int i = 0; i < n; i++) {
    fprintf(out, "%*d ", digits, i + 1);
    mg_put_safe(out, m->hosts[i], MERGE_ROW_NAME_MAX);
    mg_pad(out, mg_term_width(m->hosts[i], MERGE_ROW_NAME_MAX), name_w + 2);
    for (int j = 0; j < n; j++) {
      const struct merge_cell *cell = merge_cell(m, i, j);
      char g = i == j ? '-' : mg_glyph(cell);
      if (groups && j && j % 10 == 0)
        fputc(' ', out);
      for (size_t k = 0; k < NC_ARRAY_LEN(mg_glyphs); k++)
        used[k] |= mg_glyphs[k].glyph == g;
      if (color && i != j)
        fprintf(out, "%s%c%s", mg_colour(cell->verdict), g, MG_RESET);
      else
        fputc(g, out);
    }
    fputc('\n', out);
  }
  fputs("legend:", out);
  for (size_t k = 0; k < NC_ARRAY_LEN(mg_glyphs); k++)
    if (used[k])
      fprintf(out, "  %c %s", mg_glyphs[k].glyph, mg_glyphs[k].meaning);
  fputs("  - self\n", out);
}

void merge_print_text(const struct merge *m, FILE *out, bool color, int columns) {
  const struct causes *cs = &m->causes;
  const char *verdict = causes_verdict(cs);
  struct mg_counts c;
  struct mg_job ji;

  mg_count(m, &c);
  mg_job_info(m, &ji);
  fputs("netcheck merge: job ", out);
  mg_put_term(out, *ji.name ? ji.name : "(unnamed)");
  fputs(": ", out);
  mg_print_meta(m, &ji, out, mg_put_term, ", ");
  fprintf(out, "\n%sverdict %s%s: ", color ? mg_colour(verdict) : "", verdict,
          color ? MG_RESET : "");
  mg_print_tally(m, cs, &c, out);
  fputc('\n', out);
  for (int i = 0; i < cs->n; i++) {
    char prefix[16];
    nc_snprintf(prefix, sizeof(prefix), "%3d. ", i + 1);
    causes_print_line(out, cs, &cs->v[i], prefix, color, MERGE_FIX_MAX);
  }
  if (m->n_hosts > 1) {
    fputs("\npeer links (rows: from, columns: to):\n", out);
    if (!mg_print_detailed(m, out, color, columns))
      mg_print_compact(m, out, color, columns);
  }
  mg_print_dups(m, out, mg_put_term, "note: two reports for ", "", "\n");
  if (cs->n)
    fputs("every failed probe with its message and fix: netcheck merge --json, or --html FILE\n",
          out);
}

/* ---- HTML ---- */

/* XML attribute escaping is safe in HTML text and attributes alike. */
void merge_html_escape(FILE *out, const char *s) { junit_xml_escape(out, s, true); }

/* CSS class of a verdict: one of a fixed set, never report text. */
static const char *mg_class(const char *verdict) {
  if (!strcmp(verdict, "pass") || !strcmp(verdict, "fail") || !strcmp(verdict, "warn"))
    return verdict;
  return "none";
}

static const char mg_css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#222;overflow-wrap:anywhere}"
    "h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.4em 0 .4em}"
    ".meta{color:#555;margin:0}.verdict{font-weight:bold;margin:.4em 0}"
    ".verdict.fail,.tag.fail{color:#b00020}.verdict.warn,.tag.warn{color:#8a6d00}"
    ".verdict.pass{color:#1b6e2a}"
    "ol.causes{padding-left:2em;margin:.3em 0}ol.causes li{margin:.45em 0}"
    ".tag{font-weight:bold}code{font-size:.95em}.fix{color:#0b5394}"
    "th{white-space:nowrap;background:#f4f4f4;font-weight:600}"
    "table{border-collapse:collapse;margin:.6em 0}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:center}"
    "td.pass{background:#d8f3dc}td.fail{background:#f8d7da;font-weight:bold}"
    "td.warn{background:#fff3cd}td.none{background:#eee;color:#888}"
    "td.self{background:#fafafa;color:#bbb}small{color:#555}"
    "table.compact{table-layout:fixed;font:10px/11px ui-monospace,monospace}"
    "table.compact td{width:10px;height:11px;padding:0;font-weight:normal}"
    "table.compact th{padding:0 3px;font-size:10px}"
    "table.compact thead th.to{writing-mode:vertical-rl;transform:rotate(180deg);"
    "text-align:left;padding:3px 0;width:10px}"
    "table.compact tbody th{text-align:right}"
    ".legend span{margin-right:1.2em;white-space:nowrap}"
    "table.problems{width:100%;table-layout:fixed}"
    "table.problems td{text-align:left;vertical-align:top}"
    "table.problems col.host{width:9em}table.problems col.probe{width:18em}"
    "table.problems col.verdict{width:5em}table.problems col.code{width:16em}"
    "span.fail{color:#b00020;font-weight:bold}span.warn{color:#8a6d00;font-weight:bold}";

/* One escaped evidence or fix sentence of a cause. */
static void mg_html_cause(const struct merge *m, const struct cause *c, FILE *out) {
  char text[1700];
  const char *label = c->code                           ? c->code
                      : c->pattern == CAUSE_INTERRUPTED ? "INTERRUPTED"
                                                        : "NO_REPORT";
  fprintf(out, "<li><span class=\"tag %s\">%s</span> <code>", c->warn ? "warn" : "fail",
          c->warn ? "WARN" : "FAIL");
  merge_html_escape(out, label);
  fputs("</code> on <b>", out);
  causes_hosts_text(&m->causes, c, text, sizeof(text));
  merge_html_escape(out, text);
  fputs("</b>: ", out);
  causes_evidence(&m->causes, c, text, sizeof(text));
  merge_html_escape(out, text);
  causes_fix(&m->causes, c, text, sizeof(text));
  if (text[0]) {
    fputs("<div class=\"fix\">Fix: ", out);
    merge_html_escape(out, text);
    fputs("</div>", out);
  }
  fputs("</li>\n", out);
}

static void mg_html_matrix(const struct merge *m, FILE *out) {
  bool compact = m->n_hosts > MERGE_HTML_COMPACT;
  bool used[NC_ARRAY_LEN(mg_glyphs)] = {false};
  fprintf(out, "<table class=\"matrix%s\"><thead><tr><th>from \\ to</th>",
          compact ? " compact" : "");
  for (int j = 0; j < m->n_hosts; j++) {
    fputs("<th class=\"to\">", out);
    merge_html_escape(out, m->hosts[j]);
    fputs("</th>", out);
  }
  fputs("</tr></thead><tbody>\n", out);
  for (int i = 0; i < m->n_hosts; i++) {
    fputs("<tr><th>", out);
    merge_html_escape(out, m->hosts[i]);
    if (m->report_of[i] < 0)
      fputs(compact ? " *" : " <small>(no report)</small>", out);
    fputs("</th>", out);
    for (int j = 0; j < m->n_hosts; j++) {
      const struct merge_cell *cell = merge_cell(m, i, j);
      if (i == j) {
        fputs(compact ? "<td class=\"self\"></td>" : "<td class=\"self\">&ndash;</td>", out);
        continue;
      }
      fprintf(out, "<td class=\"%s\" title=\"", mg_class(cell->verdict));
      merge_html_escape(out, m->hosts[i]);
      fputs(" to ", out);
      merge_html_escape(out, m->hosts[j]);
      fputs(": ", out);
      merge_html_escape(out, cell->probe ? mg_str(cell->probe, "message") : "no result");
      fputs("\">", out);
      if (compact) {
        char g = mg_glyph(cell);
        for (size_t k = 0; k < NC_ARRAY_LEN(mg_glyphs); k++)
          used[k] |= mg_glyphs[k].glyph == g;
        if (g != '.')
          fputc(g, out);
      } else {
        merge_html_escape(out, mg_abbrev(cell));
        if (cell->rtt_ms >= 0)
          fprintf(out, "<br><small>%.2f ms</small>", cell->rtt_ms);
      }
      fputs("</td>", out);
    }
    fputs("</tr>\n", out);
  }
  fputs("</tbody></table>\n", out);
  if (compact) {
    fputs("<p class=\"legend\"><span>green: ok</span>", out);
    for (size_t k = 1; k < NC_ARRAY_LEN(mg_glyphs); k++)
      if (used[k])
        fprintf(out, "<span><b>%c</b> %s</span>", mg_glyphs[k].glyph, mg_glyphs[k].meaning);
    fputs("<span>* no report</span><span>hover a cell for its probe's message</span></p>\n", out);
  }
}

static void mg_html_problems(const struct merge *m, FILE *out, int rows) {
  fprintf(out, "<details%s><summary>%d failed or warned probe%s, by host</summary>\n",
          rows <= MERGE_HTML_OPEN_ROWS ? " open" : "", rows, rows == 1 ? "" : "s");
  fputs("<table class=\"problems\"><colgroup><col class=\"host\"><col class=\"probe\">"
        "<col class=\"verdict\"><col class=\"code\"><col></colgroup>"
        "<thead><tr><th>host</th><th>probe</th><th>verdict</th><th>code</th>"
        "<th>what happened, and the fix</th></tr></thead><tbody>\n",
        out);
  for (int h = 0; h < m->n_hosts; h++) {
    const cJSON *p;
    if (m->report_of[h] < 0)
      continue;
    cJSON_ArrayForEach(p, mg_probes(m->reports[m->report_of[h]].root)) {
      const char *v = mg_str(p, "verdict");
      if (!mg_is_problem(p))
        continue;
      fputs("<tr><td>", out);
      merge_html_escape(out, m->hosts[h]);
      fputs("</td><td>", out);
      merge_html_escape(out, mg_str(p, "id"));
      fprintf(out, "</td><td><span class=\"%s\">%s</span></td><td>", mg_class(v),
              !strcmp(v, "fail") ? "fail" : "warn");
      merge_html_escape(out, mg_str(p, "code"));
      fputs("</td><td>", out);
      merge_html_escape(out, mg_str(p, "message"));
      if (*mg_str(p, "remediation")) {
        fputs("<br><span class=\"fix\">Fix: ", out);
        merge_html_escape(out, mg_str(p, "remediation"));
        fputs("</span>", out);
      }
      fputs("</td></tr>\n", out);
    }
  }
  fputs("</tbody></table></details>\n", out);
}

void merge_print_html(const struct merge *m, FILE *out) {
  const struct causes *cs = &m->causes;
  const char *verdict = causes_verdict(cs);
  struct mg_counts c;
  struct mg_job ji;

  mg_count(m, &c);
  mg_job_info(m, &ji);
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n<title>netcheck: ",
        out);
  merge_html_escape(out, *ji.name ? ji.name : "job");
  fputs("</title>\n<style>", out);
  fputs(mg_css, out);
  fputs("</style></head><body>\n<h1>netcheck: ", out);
  merge_html_escape(out, *ji.name ? ji.name : "(unnamed job)");
  fputs("</h1>\n<p class=\"meta\">", out);
  mg_print_meta(m, &ji, out, merge_html_escape, " &middot; ");
  fprintf(out, "</p>\n<p class=\"verdict %s\">verdict %s: ", mg_class(verdict), verdict);
  mg_print_tally(m, cs, &c, out);
  fputs("</p>\n<h2>Causes, most important first</h2>\n", out);
  if (cs->n) {
    fputs("<ol class=\"causes\">\n", out);
    for (int i = 0; i < cs->n; i++)
      mg_html_cause(m, &cs->v[i], out);
    fputs("</ol>\n", out);
  } else {
    fputs("<p>None.</p>\n", out);
  }
  mg_print_dups(m, out, merge_html_escape, "<p>Note: two reports for <b>", "</b>", "</p>\n");
  if (m->n_hosts > 1) {
    fputs("<h2>Peer links <small>(rows: from, columns: to)</small></h2>\n", out);
    mg_html_matrix(m, out);
  }
  fputs("<h2>Failures and warnings</h2>\n", out);
  if (c.probes_failed + c.probes_warned)
    mg_html_problems(m, out, c.probes_failed + c.probes_warned);
  else
    fputs("<p>None.</p>\n", out);
  fputs("</body></html>\n", out);
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
