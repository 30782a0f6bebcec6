/*
 * merge.c - `netcheck merge`: reads every host's report and shows the
 * cluster: who reaches whom (the peer probes), and every failure with its
 * remediation. See merge.h.
 */
#include "netcheck/merge.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/peerproto.h"
#include "netcheck/summary.h"

#define MERGE_USAGE "usage: netcheck merge [--json] [--html FILE] REPORT.json|DIR..."
#define MERGE_NAME_WIDTH 16   /* longer host names get numbered columns */
#define MERGE_HASH_SLOTS 1024 /* > 2 x NC_MAX_HOSTS */

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
  free(m->reports);
  free(m->hosts);
  free(m->report_of);
  free(m->cells);
  merge_init(m);
}

static const char *mg_str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

static const cJSON *mg_probes(const cJSON *root) {
  return cJSON_GetObjectItemCaseSensitive(root, "probes");
}

static bool mg_is_peer(const cJSON *probe) {
  return !strcmp(mg_str(probe, "kind"), "peer") || !strncmp(mg_str(probe, "id"), "peer:", 5);
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
  if (cJSON_IsNumber(ver) && ver->valuedouble != 1) {
    nc_snprintf(err, errlen, "%s: report schema_version %g is not supported (1 is)", file,
                ver->valuedouble);
    goto fail;
  }
  if (strlen(host) >= NC_HOST_MAX) {
    nc_snprintf(err, errlen, "%s: host name longer than %d bytes", file, NC_HOST_MAX - 1);
    goto fail;
  }
  for (int i = 0; i < m->n_reports; i++) {
    if (!strcmp(m->reports[i].host, host)) {
      nc_snprintf(err, errlen, "%s: a second report for host %.64s (the first is %s)", file, host,
                  m->reports[i].file);
      goto fail;
    }
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
  return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(probe, "details"), key);
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

int merge_exit_code(const struct merge *m) {
  for (int i = 0; i < m->n_hosts; i++)
    for (int j = 0; j < m->n_hosts; j++)
      if (i != j && !mg_cell_ok(merge_cell(m, i, j)))
        return NC_EXIT_FAIL;
  return NC_EXIT_OK;
}

struct mg_counts {
  int links, ok, failed, unknown;
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
  cJSON *root = cJSON_CreateObject(), *hosts, *matrix, *fails, *asym, *missing, *sum;
  const cJSON *p;
  struct mg_counts c;
  int bf, bt;

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
  for (int r = 0; r < m->n_reports; r++)
    cJSON_ArrayForEach(p, mg_probes(m->reports[r].root)) {
      if (mg_is_problem(p))
        cJSON_AddItemToArray(fails, mg_failure_json(&m->reports[r], p));
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
  mg_count(m, &c);
  sum = cJSON_AddObjectToObject(root, "summary");
  cJSON_AddNumberToObject(sum, "reports", m->n_reports);
  cJSON_AddNumberToObject(sum, "links", c.links);
  cJSON_AddNumberToObject(sum, "ok", c.ok);
  cJSON_AddNumberToObject(sum, "failed", c.failed);
  cJSON_AddNumberToObject(sum, "unknown", c.unknown);
  cJSON_AddStringToObject(sum, "verdict", merge_exit_code(m) ? "fail" : "pass");
  if (!sum || !missing || !fails || !asym) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

/* ---- terminal ---- */

/* Report text on a terminal: no escape sequences from the files. */
static void mg_put_safe(FILE *out, const char *s, size_t max) {
  for (size_t i = 0; i < max && s[i]; i++) {
    unsigned char ch = (unsigned char)s[i];
    fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, out);
  }
}

static void mg_put_term(FILE *out, const char *s) { mg_put_safe(out, s, 1024); }

/* "asymmetric: A cannot reach B (CODE), but B reaches A", each report
 * string written with put. */
static void mg_print_asymmetric(const struct merge *m, FILE *out, int bad_from, int bad_to,
                                void (*put)(FILE *, const char *), const char *before,
                                const char *after) {
  fprintf(out, "%sasymmetric: ", before);
  put(out, m->hosts[bad_from]);
  fputs(" cannot reach ", out);
  put(out, m->hosts[bad_to]);
  fputs(" (", out);
  put(out, merge_cell(m, bad_from, bad_to)->code);
  fputs("), but ", out);
  put(out, m->hosts[bad_to]);
  fputs(" reaches ", out);
  put(out, m->hosts[bad_from]);
  fputs(after, out);
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

void merge_print_text(const struct merge *m, FILE *out, bool color) {
  size_t name_w = 9, col_w = 7; /* "from \ to", "BLOCKED" */
  bool numbered = false, header = false;
  struct mg_counts c;
  const cJSON *p;
  int bf, bt;

  for (int i = 0; i < m->n_hosts; i++) {
    size_t l = strlen(m->hosts[i]);
    numbered |= l > MERGE_NAME_WIDTH;
    if (l > name_w)
      name_w = l < 64 ? l : 64;
    if (l > col_w)
      col_w = l;
  }
  if (numbered)
    col_w = 7; /* columns labelled [1], [2]... like the rows */

  fprintf(out, "netcheck merge: %d host(s), %d report(s)\n\n", m->n_hosts, m->n_reports);
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
      mg_pad(out, strlen(text), col_w);
  }
  fputc('\n', out);
  for (int i = 0; i < m->n_hosts; i++) {
    if (numbered) {
      char label[16];
      nc_snprintf(label, sizeof(label), "[%d]", i + 1);
      fprintf(out, "%-5s", label);
    }
    mg_put_safe(out, m->hosts[i], name_w);
    mg_pad(out, strlen(m->hosts[i]), name_w);
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
        mg_pad(out, strlen(text), col_w);
    }
    if (m->report_of[i] < 0)
      fputs("  (no report)", out);
    fputc('\n', out);
  }

  mg_count(m, &c);
  fprintf(out, "\npeer links: %d of %d ok", c.ok, c.links);
  if (c.failed)
    fprintf(out, ", %d failed", c.failed);
  if (c.unknown)
    fprintf(out, ", %d without a result", c.unknown);
  fputs("\n", out);
  for (int i = 0; i < m->n_hosts; i++)
    for (int j = i + 1; j < m->n_hosts; j++)
      if (mg_asymmetric(m, i, j, &bf, &bt))
        mg_print_asymmetric(m, out, bf, bt, mg_put_term, "", "\n");

  for (int r = 0; r < m->n_reports; r++)
    cJSON_ArrayForEach(p, mg_probes(m->reports[r].root)) {
      const char *v = mg_str(p, "verdict");
      if (!mg_is_problem(p))
        continue;
      if (!header)
        fputs("\nfailures and warnings:\n", out);
      header = true;
      fputs("  ", out);
      mg_put_safe(out, m->reports[r].host, 255);
      fputs("  ", out);
      mg_put_safe(out, mg_str(p, "id"), 320);
      fprintf(out, "  %s%s%s  ", color ? mg_colour(v) : "", !strcmp(v, "fail") ? "FAIL" : "WARN",
              color ? MG_RESET : "");
      mg_put_safe(out, mg_str(p, "code"), 64);
      fputs("\n      ", out);
      mg_put_safe(out, mg_str(p, "message"), 1024);
      if (*mg_str(p, "remediation")) {
        fputs("\n      fix: ", out);
        mg_put_safe(out, mg_str(p, "remediation"), 2048);
      }
      fputc('\n', out);
    }
  for (int i = 0; i < m->n_hosts; i++) {
    if (m->report_of[i] >= 0)
      continue;
    fputs("  ", out);
    mg_put_safe(out, m->hosts[i], 255);
    fputs("  no report: its netcheck did not run, or its report was not among the files\n", out);
  }
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
    "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:center}"
    "th{background:#f4f4f4}td.pass{background:#d8f3dc}td.fail{background:#f8d7da;"
    "font-weight:bold}td.warn{background:#fff3cd}td.none{background:#eee;color:#888}"
    "td.self{background:#fafafa;color:#bbb}small{color:#555}"
    ".problems td{text-align:left;vertical-align:top}.fix{color:#0b5394}"
    "span.fail{color:#b00020;font-weight:bold}span.warn{color:#8a6d00;font-weight:bold}";

void merge_print_html(const struct merge *m, FILE *out) {
  struct mg_counts c;
  const cJSON *p;
  bool any = false;
  int bf, bt;

  mg_count(m, &c);
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n<title>netcheck: cluster view</title>\n<style>",
        out);
  fputs(mg_css, out);
  fprintf(out, "</style></head><body>\n<h1>netcheck: %d host(s)</h1>\n", m->n_hosts);
  fprintf(out, "<p>peer links: %d of %d ok, %d failed, %d without a result</p>\n", c.ok, c.links,
          c.failed, c.unknown);

  fputs("<table class=\"matrix\"><tr><th>from \\ to</th>", out);
  for (int j = 0; j < m->n_hosts; j++) {
    fputs("<th>", out);
    merge_html_escape(out, m->hosts[j]);
    fputs("</th>", out);
  }
  fputs("</tr>\n", out);
  for (int i = 0; i < m->n_hosts; i++) {
    fputs("<tr><th>", out);
    merge_html_escape(out, m->hosts[i]);
    if (m->report_of[i] < 0)
      fputs("<br><small>no report</small>", out);
    fputs("</th>", out);
    for (int j = 0; j < m->n_hosts; j++) {
      const struct merge_cell *cell = merge_cell(m, i, j);
      if (i == j) {
        fputs("<td class=\"self\">&ndash;</td>", out);
        continue;
      }
      fprintf(out, "<td class=\"%s\" title=\"", mg_class(cell->verdict));
      merge_html_escape(out, cell->probe ? mg_str(cell->probe, "message") : "no result");
      fputs("\">", out);
      merge_html_escape(out, mg_abbrev(cell));
      if (cell->rtt_ms >= 0)
        fprintf(out, "<br><small>%.2f ms</small>", cell->rtt_ms);
      fputs("</td>", out);
    }
    fputs("</tr>\n", out);
  }
  fputs("</table>\n", out);
  for (int i = 0; i < m->n_hosts; i++)
    for (int j = i + 1; j < m->n_hosts; j++)
      if (mg_asymmetric(m, i, j, &bf, &bt))
        mg_print_asymmetric(m, out, bf, bt, merge_html_escape, "<p>", "</p>\n");
  fputs("<h2>Failures and warnings</h2>\n", out);

  for (int r = 0; r < m->n_reports; r++)
    cJSON_ArrayForEach(p, mg_probes(m->reports[r].root)) {
      const char *v = mg_str(p, "verdict");
      if (!mg_is_problem(p))
        continue;
      if (!any)
        fputs("<table class=\"problems\"><tr><th>host</th><th>probe</th><th>verdict</th>"
              "<th>code</th><th>what happened, and the fix</th></tr>\n",
              out);
      any = true;
      fputs("<tr><td>", out);
      merge_html_escape(out, m->reports[r].host);
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
  fputs(any ? "</table>\n" : "<p>None.</p>\n", out);
  for (int i = 0; i < m->n_hosts; i++) {
    if (m->report_of[i] >= 0)
      continue;
    fputs("<p><b>", out);
    merge_html_escape(out, m->hosts[i]);
    fputs("</b>: no report (its netcheck did not run, or its report was not merged)</p>\n", out);
  }
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
    merge_print_text(&m, stdout, isatty(STDOUT_FILENO) && !(nc && *nc));
  }
  rc = merge_exit_code(&m);
  if (html && mg_write_html(&m, html) != 0)
    rc = NC_EXIT_USAGE;
  fflush(stdout);
  merge_free(&m);
  return rc;
}
