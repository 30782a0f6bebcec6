/*
 * causes.h - root causes: the failed and warned probes of one host, or of
 * every host of a job, grouped into the few things a person has to change,
 * most important first, each with the hosts it touches, the evidence and
 * the fix. One broken resolver behind 13 names is one cause; the same code
 * on 16 hosts is one cause "on 16/16 hosts"; peer failures are read by
 * their pattern (a host that receives from no peer, a pair of subnets that
 * cannot talk, every pair blocked, a host that never started, a path-MTU
 * black hole on some paths).
 *
 * The same module serves the host's own summary and report
 * (causes_of_host) and `netcheck merge` (causes_of_merge): pure functions
 * over report JSON (probes[] arrays, and the merge's peer matrix). Every
 * failed or warned probe lands in exactly one cause; probes whose verdict
 * is pass, skip or info (a fact, not a judgement) in none.
 * Report text is untrusted: it is kept as is here and escaped by whoever
 * prints it (nc_put_term, merge_html_escape, cJSON).
 */
#ifndef NETCHECK_CAUSES_H
#define NETCHECK_CAUSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cJSON;
struct merge;

enum cause_pattern {
  CAUSE_PROBES,        /* probes of one code (DNS: of the resolver) on one host or more */
  CAUSE_INTERRUPTED,   /* a host's run was stopped before it finished */
  CAUSE_NEVER_STARTED, /* no report, and every peer was refused on its port */
  CAUSE_NO_REPORT,     /* no report, though its peers saw it (or could not reach it) */
  CAUSE_ALL_BLOCKED,   /* no host reaches any other */
  CAUSE_SUBNETS,       /* two subnets cannot reach each other */
  CAUSE_NO_INBOUND,    /* a host or a subnet receives from no peer, and reaches them */
  CAUSE_NO_OUTBOUND,   /* a host or a subnet reaches no peer, and they reach it */
  CAUSE_CUT_OFF,       /* a host or a subnet neither reaches nor hears from any peer */
  CAUSE_PMTU,          /* large packets vanish on some paths */
  CAUSE_LINKS,         /* other failed peer links of one code */
  CAUSE_PATTERN_COUNT
};

struct cause_probe {
  int host; /* index into causes.hosts */
  const struct cJSON *probe;
};

struct cause_link {
  int from, to; /* indexes into causes.hosts */
};

struct cause {
  enum cause_pattern pattern;
  const char *code; /* diagnosis code (borrowed); NULL when no probe has one */
  bool warn;        /* every probe of it only warned */
  bool subnet;      /* a peer pattern of a whole subnet (subject), not of one host */
  char key[128];    /* what makes two hosts' causes one */
  char subject[64]; /* subnet ("198.18.1.0/24") or nameservers */
  char subject2[64];
  int peers; /* peer patterns: the peers considered (the denominator) */
  int port;  /* peer patterns: the peer port */
  int dir;   /* a host's own peer causes: 0 inbound only, 1 outbound only, 2 both */
  int *hosts, n_hosts, cap_hosts;
  struct cause_probe *probes;
  int n_probes, cap_probes;
  struct cause_link *links;
  int n_links, cap_links;
};

struct causes {
  struct cause *v;
  int n, cap;
  const char *const *hosts; /* borrowed names */
  const char *one_host;     /* a host's own view: hosts points here */
  int n_hosts;
  bool single; /* one host's own view (causes_of_host) */
  bool oom;
};

void causes_init(struct causes *cs);
void causes_free(struct causes *cs);

/* One host's view: groups the failed and warned probes of probes[] (a
 * report's array); peer probes by what this host saw in each direction.
 * host names the host (borrowed). 0, or -1 when out of memory. */
int causes_of_host(struct causes *cs, const char *host, const struct cJSON *probes);

/* The job's view: every report's failures grouped, merged across hosts by
 * code and target, and the peer matrix of m read by pattern. m must have
 * been built (merge_build). 0, or -1 when out of memory. */
int causes_of_merge(struct causes *cs, const struct merge *m);

/* "pass", "warn" or "fail": the verdict the causes make. */
const char *causes_verdict(const struct causes *cs);

const char *causes_pattern_name(enum cause_pattern p);

/* "16/16 hosts", "algo-5", "algo-1..algo-4, algo-9 (5/16 hosts)". */
void causes_hosts_text(const struct causes *cs, const struct cause *c, char *buf, size_t len);

/* One sentence: what was seen, with counts and the first targets. */
void causes_evidence(const struct causes *cs, const struct cause *c, char *buf, size_t len);

/* What to change: a probe's remediation, or the text of the pattern. */
void causes_fix(const struct causes *cs, const struct cause *c, char *buf, size_t len);

/* The distinct targets of a cause (probe targets, peers, hosts), in order;
 * returns how many were written to out (at most max) and sets *total. */
int causes_targets(const struct causes *cs, const struct cause *c, const char **out, int max,
                   int *total);

/* One line: "FAIL CODE on HOSTS: EVIDENCE Fix: FIX" (no "on HOSTS" in a
 * host's own view), escaped for a terminal, after prefix; the fix is cut
 * to fix_max bytes. */
void causes_print_line(FILE *out, const struct causes *cs, const struct cause *c,
                       const char *prefix, bool colour, size_t fix_max);

/* [{code, verdict, pattern, hosts[], targets[], evidence, fix, probes[],
 * links[]}] (hosts and links only in a job's view); NULL when out of memory. */
struct cJSON *causes_json(const struct causes *cs);

/* Small readers of report JSON shared with merge.c: a string member ("" when
 * missing or not a string), and a member of a probe's details. */
const char *causes_str(const struct cJSON *o, const char *key);
const struct cJSON *causes_detail(const struct cJSON *probe, const char *key);

/* A peer probe (kind "peer", or an id "peer:HOST"). */
bool causes_is_peer(const struct cJSON *probe);

#endif
