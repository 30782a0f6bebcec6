/*
 * causes_text.c - each cause in words (hosts, evidence, fix) and the
 * causes as JSON: what the summary, merge and the report's causes say.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causes_int.h"
#include "netcheck/causes.h"
#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/merge.h"
#include "netcheck/utf8.h"

/* ---- text ---- */

struct cs_buf {
  char *p;
  size_t len, used;
};

static void cb_init(struct cs_buf *b, char *p, size_t len) {
  b->p = p;
  b->len = len;
  b->used = 0;
  if (len)
    p[0] = '\0';
}

static void cb_add(struct cs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cb_add(struct cs_buf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  if (b->used + 1 >= b->len)
    return;
  va_start(ap, fmt);
  n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if (b->used + (size_t)n >= b->len) {
    utf8_trim_tail(b->p);
    b->used = strlen(b->p);
    b->len = b->used + 1; /* full: nothing more after a cut */
    return;
  }
  b->used += (size_t)n;
}

/* "a, b, c, +N more" */
static void cb_list(struct cs_buf *b, const char *const *items, int shown, int total) {
  for (int i = 0; i < shown; i++)
    cb_add(b, "%s%s", i ? ", " : "", items[i]);
  if (total > shown)
    cb_add(b, ", +%d more", total - shown);
}

static bool cs_directional(enum cause_pattern p) {
  return p == CAUSE_NO_INBOUND || p == CAUSE_NO_OUTBOUND || p == CAUSE_CUT_OFF;
}

static bool cs_in_hosts(const struct cause *c, int h) {
  for (int i = 0; i < c->n_hosts; i++)
    if (c->hosts[i] == h)
      return true;
  return false;
}

/* Adds s to out[] unless it is there already (out holds every string
 * seen so far when max is large enough; else only the first max). */
static void cs_distinct(const char **out, int max, int *shown, int *total, const char *s) {
  for (int i = 0; i < *shown; i++)
    if (!strcmp(out[i], s))
      return;
  if (*shown < max)
    out[(*shown)++] = s;
  (*total)++;
}

/* Distinct strings of the probes' key ("target" or "id"), only of probes
 * whose kind is (is_kind) or is not kind, when kind is given. The first
 * max go to out; *total counts them all. */
static int cs_probe_strings(const struct cause *c, const char *key, const char *kind, bool is_kind,
                            const char **out, int max, int *total) {
  const char **seen = NULL;
  int n_seen = 0, cap = 0, shown = 0;
  *total = 0;
  for (int i = 0; i < c->n_probes; i++) {
    const cJSON *p = c->probes[i].probe;
    const char *s = causes_str(p, key);
    int k;
    if (kind && (!strcmp(causes_str(p, "kind"), kind)) != is_kind)
      continue;
    for (k = 0; k < n_seen && strcmp(seen[k], s) != 0; k++)
      ;
    if (k < n_seen)
      continue;
    if (n_seen == cap) {
      const char **ns = realloc(seen, (size_t)(cap ? cap * 2 : 16) * sizeof(*seen));
      if (!ns)
        break; /* out of memory: what is counted so far */
      seen = ns;
      cap = cap ? cap * 2 : 16;
    }
    seen[n_seen++] = s;
    if (shown < max)
      out[shown++] = s;
    (*total)++;
  }
  free(seen);
  return shown;
}

int causes_targets(const struct causes *cs, const struct cause *c, const char **out, int max,
                   int *total) {
  int shown = 0;
  *total = 0;
  if (c->pattern == CAUSE_NEVER_STARTED || c->pattern == CAUSE_NO_REPORT ||
      c->pattern == CAUSE_INTERRUPTED) {
    for (int i = 0; i < c->n_hosts; i++)
      cs_distinct(out, max, &shown, total, cs->hosts[c->hosts[i]]);
    return shown;
  }
  if (c->n_links && !cs->single && cs->n_hosts <= NC_MAX_HOSTS) {
    bool seen[NC_MAX_HOSTS];
    memset(seen, 0, sizeof(seen));
    for (int l = 0; l < c->n_links; l++) {
      int ends[2] = {c->links[l].from, c->links[l].to};
      for (int e = 0; e < 2; e++)
        if (!cs_directional(c->pattern) || !cs_in_hosts(c, ends[e]))
          seen[ends[e]] = true;
    }
    for (int h = 0; h < cs->n_hosts; h++)
      if (seen[h]) {
        if (shown < max)
          out[shown++] = cs->hosts[h];
        (*total)++;
      }
    return shown;
  }
  return cs_probe_strings(c, "target", NULL, false, out, max, total);
}

/* Splits a name into its prefix and trailing number ("algo-12": 5, 12);
 * false when it has none. */
static bool cs_numbered(const char *s, size_t *prefix, long *num) {
  size_t n = strlen(s), i = n;
  while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9')
    i--;
  if (i == n || n - i > 9)
    return false;
  *prefix = i;
  *num = strtol(s + i, NULL, 10);
  return true;
}

void causes_hosts_text(const struct causes *cs, const struct cause *c, char *buf, size_t len) {
  struct cs_buf b;
  int runs = 0, i = 0;
  cb_init(&b, buf, len);
  if (c->n_hosts == 0) {
    cb_add(&b, "no host");
    return;
  }
  if (c->n_hosts == cs->n_hosts && cs->n_hosts > 1) {
    cb_add(&b, "%d/%d hosts", c->n_hosts, cs->n_hosts);
    return;
  }
  while (i < c->n_hosts && runs < CS_HOST_RUNS) {
    const char *first = cs->hosts[c->hosts[i]];
    size_t pl = 0, ql = 0;
    long num = 0, next = 0;
    int j = i + 1;
    if (cs_numbered(first, &pl, &num))
      while (j < c->n_hosts && cs_numbered(cs->hosts[c->hosts[j]], &ql, &next) && ql == pl &&
             !strncmp(first, cs->hosts[c->hosts[j]], pl) && next == num + (j - i))
        j++;
    cb_add(&b, "%s%s", runs ? ", " : "", first);
    if (j - i >= 3)
      cb_add(&b, "..%s", cs->hosts[c->hosts[j - 1]]);
    else
      j = i + 1;
    runs++;
    i = j;
  }
  if (i < c->n_hosts)
    cb_add(&b, ", +%d more", c->n_hosts - i);
  if (c->n_hosts > 1 || cs->n_hosts > 1)
    cb_add(&b, " (%d/%d host%s)", c->n_hosts, cs->n_hosts, cs->n_hosts > 1 ? "s" : "");
}

/* What a resolver did to the names, by the cause's code. */
static const char *cs_dns_verb(const char *code) {
  if (!strcmp(code, "DNS_NXDOMAIN"))
    return "answers NXDOMAIN (no such name) for";
  if (!strcmp(code, "DNS_SERVFAIL"))
    return "fails (SERVFAIL) for";
  if (!strcmp(code, "DNS_TIMEOUT"))
    return "does not answer for";
  if (!strcmp(code, "DNS_REFUSED"))
    return "refuses (REFUSED)";
  return "fails for";
}

static void cs_dns_evidence(const struct cause *c, struct cs_buf *b) {
  const char *names[CS_NAMED], *users[CS_NAMED], *servers[CS_NAMED], *codes[4];
  int n_names, t_names, n_users, t_users, n_servers = 0, t_servers = 0, n_codes = 0;
  int counts[4] = {0};
  const char *code = c->code ? c->code : "DNS";
  n_names = cs_probe_strings(c, "target", "dns", true, names, CS_NAMED, &t_names);
  n_users = cs_probe_strings(c, "id", "dns", false, users, CS_NAMED, &t_users);
  for (int i = 0; i < c->n_probes; i++) {
    const cJSON *p = c->probes[i].probe, *srv;
    const char *pc = causes_str(p, "code");
    int k;
    if (t_names && strcmp(causes_str(p, "kind"), "dns") != 0)
      continue;
    for (k = 0; k < n_codes && strcmp(codes[k], pc) != 0; k++)
      ;
    if (k == n_codes && n_codes < 4)
      codes[n_codes++] = pc;
    if (k < 4)
      counts[k]++;
    cJSON_ArrayForEach(srv, causes_detail(p, "servers")) {
      const char *st = causes_str(cJSON_GetObjectItemCaseSensitive(srv, "a"), "status");
      if (*causes_str(srv, "server") && strcmp(st, "resolved") != 0 && strcmp(st, "nodata") != 0)
        cs_distinct(servers, CS_NAMED, &n_servers, &t_servers, causes_str(srv, "server"));
    }
  }
  if (!strcmp(code, "DNS_NO_RESOLVER")) {
    cb_add(b, "no nameserver is configured: %d name%s cannot be resolved", t_names + t_users,
           t_names + t_users == 1 ? "" : "s");
    return;
  }
  if (!t_names) {
    cb_add(b, "%d probe%s could not resolve the names they need (%s): ", t_users,
           t_users == 1 ? "" : "s", code);
    cb_list(b, users, n_users, t_users);
    return;
  }
  if (n_servers) {
    cb_add(b, "nameserver%s ", t_servers > 1 ? "s" : "");
    cb_list(b, servers, n_servers, t_servers);
  } else {
    cb_add(b, "the resolver");
  }
  cb_add(b, " %s %d name%s (", n_codes > 1 ? "fails for" : cs_dns_verb(code), t_names,
         t_names == 1 ? "" : "s");
  cb_list(b, names, n_names, t_names);
  cb_add(b, ")");
  if (n_codes > 1) {
    cb_add(b, ": ");
    for (int k = 0; k < n_codes; k++)
      cb_add(b, "%s%d %s", k ? ", " : "", counts[k], codes[k]);
  }
  if (t_users) {
    cb_add(b, "; %d probe%s that need%s them fail%s with it (", t_users, t_users == 1 ? "" : "s",
           t_users == 1 ? "s" : "", t_users == 1 ? "s" : "");
    cb_list(b, users, n_users, t_users);
    cb_add(b, ")");
  }
}

static void cs_probes_evidence(const struct cause *c, struct cs_buf *b) {
  const char *ids[CS_NAMED];
  int n_ids, t_ids;
  if (strstr(c->key, "|dns") && !strstr(c->key, "|peer")) {
    cs_dns_evidence(c, b);
    return;
  }
  if (c->n_probes == 0)
    return;
  cb_add(b, "%s", causes_str(c->probes[0].probe, "message"));
  if (c->n_probes == 1)
    return;
  n_ids = cs_probe_strings(c, "id", NULL, false, ids, CS_NAMED, &t_ids);
  cb_add(b, " (%d probe%s: ", c->n_probes, c->n_probes == 1 ? "" : "s");
  cb_list(b, ids, n_ids, t_ids);
  cb_add(b, ")");
}

/* "a -> b, c <-> d, +N more" */
static void cs_links_list(const struct causes *cs, const struct cause *c, struct cs_buf *b) {
  int shown = 0, covered = 0;
  for (int l = 0; l < c->n_links && shown < CS_NAMED; l++) {
    const struct cause_link *k = &c->links[l];
    bool both = false, dup = false;
    for (int r = 0; r < c->n_links; r++)
      if (c->links[r].from == k->to && c->links[r].to == k->from) {
        both = true;
        dup = r < l;
        break;
      }
    if (dup)
      continue;
    cb_add(b, "%s%s %s %s", shown ? ", " : "", cs->hosts[k->from], both ? "<->" : "->",
           cs->hosts[k->to]);
    shown++;
    covered += both ? 2 : 1;
  }
  if (c->n_links > covered)
    cb_add(b, ", +%d more", c->n_links - covered);
}

static void cs_direction_evidence(const struct causes *cs, const struct cause *c,
                                  struct cs_buf *b) {
  const char *h = cs->hosts[c->hosts[0]];
  bool group = c->subnet && c->n_hosts > 1;
  char who[160];
  if (group)
    nc_snprintf(who, sizeof(who), "the %d hosts of %s", c->n_hosts, c->subject);
  else
    nc_strlcpy(who, h, sizeof(who));
  if (cs->single) {
    const char *peers[CS_NAMED];
    int n, t;
    n = cs_probe_strings(c, "target", NULL, false, peers, CS_NAMED, &t);
    if (c->pattern == CAUSE_NO_INBOUND)
      cb_add(b, "none of the %d peers that answer reaches %s, while %s reaches them all (",
             c->peers, h, h);
    else if (c->pattern == CAUSE_NO_OUTBOUND)
      cb_add(b, "%s reaches none of its %d peers, while they all reach it (", h, c->peers);
    else
      cb_add(b, "%s neither reaches nor hears from any of its %d peers (", h, c->peers);
    cb_list(b, peers, n, t);
    cb_add(b, ")");
    return;
  }
  if (c->pattern == CAUSE_NO_INBOUND)
    cb_add(b, "%s receive%s from none of %s %d peer%s%s, and reach%s them", who, group ? "" : "s",
           group ? "the" : "its", c->peers, c->peers == 1 ? "" : "s",
           group ? " in other subnets" : "", group ? "" : "es");
  else if (c->pattern == CAUSE_NO_OUTBOUND)
    cb_add(b, "%s reach%s none of %s %d peer%s%s, which all reach %s", who, group ? "" : "es",
           group ? "the" : "its", c->peers, c->peers == 1 ? "" : "s",
           group ? " in other subnets" : "", group ? "them" : "it");
  else
    cb_add(b, "%s neither reach%s nor hear%s from any of %s %d peer%s%s", who, group ? "" : "es",
           group ? "" : "s", group ? "the" : "its", c->peers, c->peers == 1 ? "" : "s",
           group ? " in other subnets" : "");
  if (group)
    cb_add(b, ", while they reach each other");
  else if (c->subnet)
    cb_add(b, " (it is the job's only host in %s)", c->subject);
}

void causes_evidence(const struct causes *cs, const struct cause *c, char *buf, size_t len) {
  struct cs_buf b;
  const char *h = c->n_hosts ? cs->hosts[c->hosts[0]] : "?";
  int port = c->port ? c->port : cs_peer_port(c);
  cb_init(&b, buf, len);
  switch (c->pattern) {
  case CAUSE_INTERRUPTED:
    cb_add(&b,
           "%s's run was stopped (SIGTERM or SIGINT) before its checks finished: its report is "
           "incomplete",
           h);
    break;
  case CAUSE_NEVER_STARTED:
    if (c->peers == 1)
      cb_add(&b, "%s wrote no report, and its one peer was refused on its port %d", h, port);
    else
      cb_add(&b, "%s wrote no report, and all %d peers that tried were refused on its port %d", h,
             c->peers, port);
    cb_add(&b, ": netcheck never ran there (not a network fault)");
    break;
  case CAUSE_NO_REPORT:
    if (c->dir == 0)
      cb_add(&b,
             "%s wrote no report, though its peers reached netcheck there: its report is not "
             "among the files merged",
             h);
    else if (c->dir == 1)
      cb_add(&b,
             "%s wrote no report, and none of its %d peers could reach it: it never started, "
             "or it is cut off",
             h, c->peers);
    else
      cb_add(&b, "%s wrote no report, and no other report has a result for it", h);
    break;
  case CAUSE_ALL_BLOCKED:
    cb_add(&b,
           "no host reaches any other: all %d links between the %d hosts are blocked (TCP to "
           "port %d unanswered)",
           c->n_links, c->n_hosts, port);
    break;
  case CAUSE_SUBNETS:
    cb_add(&b, "hosts in %s and in %s cannot reach each other (", c->subject, c->subject2);
    if (c->dir == 2)
      cb_add(&b, "both ways");
    else
      cb_add(&b, "from %s to %s; the other way works", c->dir == 0 ? c->subject : c->subject2,
             c->dir == 0 ? c->subject2 : c->subject);
    cb_add(&b, ", %d links), while hosts inside each subnet reach each other", c->n_links);
    break;
  case CAUSE_NO_INBOUND:
  case CAUSE_NO_OUTBOUND:
  case CAUSE_CUT_OFF:
    cs_direction_evidence(cs, c, &b);
    break;
  case CAUSE_PMTU:
  case CAUSE_LINKS:
    if (cs->single || !c->n_links) {
      cs_probes_evidence(c, &b);
      break;
    }
    if (c->pattern == CAUSE_PMTU)
      cb_add(&b, "large packets vanish while small ones pass on %d link%s: ", c->n_links,
             c->n_links == 1 ? "" : "s");
    else
      cb_add(&b, "%d link%s fail%s with %s: ", c->n_links, c->n_links == 1 ? "" : "s",
             c->n_links == 1 ? "s" : "", c->code ? c->code : "?");
    cs_links_list(cs, c, &b);
    if (c->dir)
      cb_add(&b, " (one way: the other direction works)");
    break;
  default:
    cs_probes_evidence(c, &b);
    break;
  }
}

/* The remediation of the first of the cause's probes that has one and
 * carries the cause's code (for a resolver, a dns probe's first); else of
 * any probe; "" when none has one. */
static const char *cs_probe_fix(const struct cause *c) {
  const char *any = "", *coded = "";
  bool dns = strstr(c->key, "|dns") != NULL;
  for (int i = 0; i < c->n_probes; i++) {
    const cJSON *p = c->probes[i].probe;
    const char *r = causes_str(p, "remediation");
    bool same = c->code && !strcmp(causes_str(p, "code"), c->code);
    if (!*r)
      continue;
    if (same && (!dns || !strcmp(causes_str(p, "kind"), "dns")))
      return r;
    if (same && !*coded)
      coded = r;
    if (!*any)
      any = r;
  }
  return *coded ? coded : any;
}

void causes_fix(const struct causes *cs, const struct cause *c, char *buf, size_t len) {
  struct cs_buf b;
  const char *h = c->n_hosts ? cs->hosts[c->hosts[0]] : "?";
  int port = c->port ? c->port : cs_peer_port(c);
  char where[160];
  cb_init(&b, buf, len);
  if (c->subnet && c->n_hosts > 1)
    nc_snprintf(where, sizeof(where), "%s", c->subject);
  else if (c->subject[0])
    nc_snprintf(where, sizeof(where), "%s's subnet (%s)", h, c->subject);
  else
    nc_snprintf(where, sizeof(where), "%s's subnet", h);
  switch (c->pattern) {
  case CAUSE_INTERRUPTED:
    cb_add(&b,
           "Find out what stopped %s (its log; the job's MaxRuntimeInSeconds) and run again for "
           "complete results.",
           h);
    break;
  case CAUSE_NEVER_STARTED:
    cb_add(
        &b,
        "Not a VPC change: read %s's own log (its CloudWatch stream) to see why netcheck did not "
        "run there (the container failed, or another entrypoint or --peer-port), and give every "
        "host the same image, entrypoint and netcheck options.",
        h);
    break;
  case CAUSE_NO_REPORT:
    if (c->dir == 0)
      cb_add(&b,
             "Collect every host's report (a ProcessingOutput named netcheck holds them all) "
             "and merge them together; %s's log says where its report went.",
             h);
    else
      cb_add(&b,
             "Read %s's log: if netcheck ran there, its report shows why no peer reached it; "
             "if it did not, the host never started.",
             h);
    break;
  case CAUSE_ALL_BLOCKED:
    cb_add(&b,
           "Give the job's security group a self-referencing inbound rule (all traffic, or at "
           "least TCP %d, from the group itself) and, if its outbound rules are restricted, an "
           "outbound rule to the group itself.",
           port);
    if (c->dir)
      cb_add(&b,
             " The hosts are in different subnets: their network ACLs must also allow TCP %d "
             "and the return ports 1024-65535 between them.",
             port);
    break;
  case CAUSE_SUBNETS:
    cb_add(&b,
           "Allow TCP %d and its return traffic (ports 1024-65535) between %s and %s in the "
           "network ACLs of both subnets, inbound and outbound: every host has the job's security "
           "groups, so it is not the self-referencing rule.",
           port, c->subject, c->subject2);
    break;
  case CAUSE_NO_INBOUND:
  case CAUSE_NO_OUTBOUND: {
    bool in = c->pattern == CAUSE_NO_INBOUND;
    cb_add(&b,
           "Allow %s TCP %d %s the job's subnets in the network ACL of %s, and %s replies %s "
           "ports 1024-65535: every host has the job's security groups, so a pattern of one %s is "
           "not the self-referencing rule.",
           in ? "inbound" : "outbound", port, in ? "from" : "to", where,
           in ? "outbound" : "inbound", in ? "to" : "on",
           c->subnet && c->n_hosts > 1 ? "subnet" : "host");
    if (c->subject2[0])
      cb_add(&b, " If that ACL allows it, the %s rules of %s's network ACL drop it.",
             in ? "outbound" : "inbound", c->subject2);
    break;
  }
  case CAUSE_CUT_OFF:
    if (cs->single && !c->subject[0]) {
      cb_add(&b, "%s", cs_probe_fix(c));
      break;
    }
    cb_add(&b,
           "Allow TCP %d and its return ports 1024-65535 in both directions between the job's "
           "subnets in the network ACL of %s (a network ACL is stateless: a rule missing either "
           "way drops the replies too), and check that subnet's route table; every host has the "
           "job's security groups.",
           port, where);
    break;
  default:
    cb_add(&b, "%s", cs_probe_fix(c));
    break;
  }
}

/* Cuts text to at most max bytes, at the end of a sentence when one ends
 * in the second half, else with "...". */
static void cs_cut(char *text, size_t max) {
  size_t n = strlen(text);
  if (n <= max || max < 8)
    return;
  for (size_t i = max; i > max / 2; i--)
    if (text[i - 1] == '.' && text[i] == ' ') {
      text[i] = '\0';
      return;
    }
  utf8_cut(text, max - 3);
  nc_strlcpy(text + strlen(text), "...", 4);
}

static void cs_trim_period(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '.' || s[n - 1] == ' '))
    s[--n] = '\0';
}

void causes_print_line(FILE *out, const struct causes *cs, const struct cause *c,
                       const char *prefix, bool colour, size_t fix_max) {
  char ev[1024], fix[1700];
  const char *label = c->code                           ? c->code
                      : c->pattern == CAUSE_INTERRUPTED ? "INTERRUPTED"
                                                        : "NO_REPORT";
  causes_evidence(cs, c, ev, sizeof(ev));
  causes_fix(cs, c, fix, sizeof(fix));
  cs_trim_period(ev);
  cs_cut(fix, fix_max);
  fputs(prefix, out);
  fprintf(out, "%s%s%s ", colour ? (c->warn ? "\033[33m" : "\033[31m") : "",
          c->warn ? "WARN" : "FAIL", colour ? "\033[0m" : "");
  nc_put_term(out, label, 64);
  if (!cs->single) {
    char hosts[512];
    causes_hosts_text(cs, c, hosts, sizeof(hosts));
    fputs(" on ", out);
    nc_put_term(out, hosts, sizeof(hosts));
  }
  fputs(": ", out);
  nc_put_term(out, ev, sizeof(ev));
  if (fix[0]) {
    fputs(". Fix: ", out);
    nc_put_term(out, fix, sizeof(fix));
  }
  fputc('\n', out);
}

cJSON *causes_json(const struct causes *cs) {
  cJSON *arr = cJSON_CreateArray();
  char text[1700];
  for (int i = 0; arr && i < cs->n; i++) {
    const struct cause *c = &cs->v[i];
    cJSON *o = cJSON_CreateObject(), *a;
    const char **targets;
    int total = 0;
    if (!o)
      goto oom;
    cJSON_AddItemToArray(arr, o);
    if (c->code)
      cJSON_AddStringToObject(o, "code", c->code);
    else
      cJSON_AddNullToObject(o, "code");
    cJSON_AddStringToObject(o, "verdict", c->warn ? "warn" : "fail");
    cJSON_AddStringToObject(o, "pattern", causes_pattern_name(c->pattern));
    if (!cs->single) {
      a = cJSON_AddArrayToObject(o, "hosts");
      for (int h = 0; a && h < c->n_hosts; h++)
        cJSON_AddItemToArray(a, cJSON_CreateString(cs->hosts[c->hosts[h]]));
    }
    if (c->subnet) {
      cJSON_AddStringToObject(o, "subnet", c->subject);
      if (c->subject2[0])
        cJSON_AddStringToObject(o, "other_subnet", c->subject2);
    }
    causes_targets(cs, c, NULL, 0, &total);
    targets = malloc((size_t)(total ? total : 1) * sizeof(*targets));
    if (!targets)
      goto oom;
    total = causes_targets(cs, c, targets, total, &total);
    a = cJSON_AddArrayToObject(o, "targets");
    for (int t = 0; a && t < total; t++)
      cJSON_AddItemToArray(a, cJSON_CreateString(targets[t]));
    free(targets);
    causes_evidence(cs, c, text, sizeof(text));
    cs_trim_period(text);
    cJSON_AddStringToObject(o, "evidence", text);
    causes_fix(cs, c, text, sizeof(text));
    cJSON_AddStringToObject(o, "fix", text);
    a = cJSON_AddArrayToObject(o, "probes");
    for (int p = 0; a && p < c->n_probes; p++) {
      const char *id = causes_str(c->probes[p].probe, "id");
      if (cs->single) {
        cJSON_AddItemToArray(a, cJSON_CreateString(id));
      } else {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "host", cs->hosts[c->probes[p].host]);
        cJSON_AddStringToObject(r, "id", id);
        cJSON_AddItemToArray(a, r);
      }
    }
    if (c->n_links && !cs->single) {
      a = cJSON_AddArrayToObject(o, "links");
      for (int l = 0; a && l < c->n_links; l++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "from", cs->hosts[c->links[l].from]);
        cJSON_AddStringToObject(r, "to", cs->hosts[c->links[l].to]);
        cJSON_AddItemToArray(a, r);
      }
    }
  }
  return arr;
oom:
  cJSON_Delete(arr);
  return NULL;
}
