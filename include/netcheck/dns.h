/*
 * dns.h - the dns probe family: which names are probed (probes/dns.c), and
 * the pure steps of a probe (probes/dns_answer.c: classifying one raw answer,
 * looking a name up in a hosts file, judging all servers' answers, wording
 * the result), exposed so tests/unit/test_dns.c can prove them without an
 * engine. Only probes/dns*.c and its tests include this header.
 */
#ifndef NETCHECK_DNS_H
#define NETCHECK_DNS_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/config.h"
#include "netcheck/diag.h"
#include "netcheck/probe.h"
#include "netcheck/resolve.h"

#define DNS_TYPE_A 1     /* ns_t_a */
#define DNS_TYPE_AAAA 28 /* ns_t_aaaa */

/* At most this many names are probed: one per bucket, the regional S3 name,
 * the AWS service endpoints, the repository hosts, the egress and TCP
 * targets, and room to spare. */
#define DNS_MAX_NAMES (NC_MAX_BUCKETS + 1 + 8 + 8 + 2 * NC_MAX_TARGETS)

/* A name to probe, with the tier and expectation it takes from the probes
 * that use it: reachable (at the strongest tier among them) when one needs
 * its target, else "any" (a name nobody needs may resolve or not). */
struct dns_name {
  char name[NC_HOST_MAX];
  enum nc_tier tier;
  enum nc_expect expect;
  enum nc_tier tier_other; /* strongest tier among users that do not need it */
  int users;
};

/* What one query got, from the best (an answer) to the least informative. */
enum dns_result {
  DNS_RES_PENDING,     /* not answered yet */
  DNS_RES_ANSWER,      /* NOERROR with at least one address */
  DNS_RES_NODATA,      /* NOERROR without an address of this family */
  DNS_RES_NXDOMAIN,    /* the name does not exist */
  DNS_RES_SERVFAIL,    /* the server failed to resolve it */
  DNS_RES_REFUSED,     /* the server refused to answer */
  DNS_RES_ERROR,       /* malformed answer, FORMERR, NOTIMP, ... */
  DNS_RES_UNREACHABLE, /* ICMP port unreachable: nothing listens there */
  DNS_RES_TIMEOUT      /* no answer within the probe's budget */
};

/* One query (A or AAAA) against one server. */
struct dns_answer {
  int type; /* DNS_TYPE_A or DNS_TYPE_AAAA */
  enum dns_result result;
  int rcode;         /* from the response header; -1 without a response */
  double latency_ms; /* negative without a response */
  int n;
  struct nc_addr addrs[NC_MAX_ADDRS];
};

struct dns_server_result {
  char server[64]; /* "IP:PORT" */
  struct dns_answer a, aaaa;
};

/* The verdict over every server's answers. */
struct dns_eval {
  bool resolved;         /* some server answered with an address */
  int answer_server;     /* index of the first server that did, -1 if none */
  int fail_server;       /* index of the server with the worst problem, -1 if none */
  enum dns_result worst; /* that problem (DNS_RES_ANSWER when none) */
  enum nc_code code;     /* its diagnosis code (NC_OK when none) */
};

/* The names to probe: every name a planned probe resolves (p->name) and the
 * --config tcp_targets, deduplicated case-insensitively, the required ones
 * first. Returns how many were written (at most max); invalid names are
 * skipped with a warning. */
int dns_plan_names(const struct plan *pl, const struct nc_config *cfg, struct dns_name *names,
                   int max);

/* Classifies a query's outcome from the c-ares status and, when a response
 * arrived, the raw response (rcode from the header, addresses parsed with
 * ares_parse_a_reply / ares_parse_aaaa_reply). out->type must be set; the
 * rest of out is overwritten. abuf may be NULL. */
void dns_parse_answer(int ares_status, const unsigned char *abuf, int alen, struct dns_answer *out);

/* The diagnosis code of a result (NC_OK for an answer or pending). */
enum nc_code dns_result_code(enum dns_result r);

/* Wire-level word for a result: "resolved", "nxdomain", "timeout", ... */
const char *dns_result_name(enum dns_result r);

/* Judges the servers' answers: pass when one answered, the worst problem
 * otherwise (NXDOMAIN > NODATA > SERVFAIL > REFUSED > ERROR > UNREACHABLE >
 * TIMEOUT). A server whose A query returned addresses has no problem with
 * the name whatever its AAAA answer (see dns_aaaa_note); one that failed
 * the A query while another family answered does. */
void dns_evaluate(const struct dns_server_result *s, int n, struct dns_eval *ev);

/* True when the server answered the A query with addresses but the AAAA
 * query with something other than addresses or NODATA (NXDOMAIN, SERVFAIL,
 * REFUSED, no answer): a note about the server, not about the name. *r gets
 * the AAAA result. */
bool dns_aaaa_note(const struct dns_server_result *s, enum dns_result *r);

/* Every distinct address in the answers, A before AAAA, in server order. */
void dns_collect_addrs(const struct dns_server_result *s, int n, struct nc_addrs *out);

/* The one-sentence message. cls is the class (resolve_addr_class) of the
 * first address when ev->resolved; timeout_ms words timeouts. 0, or 1 when
 * truncated. */
int dns_message(const char *name, const struct dns_server_result *s, int n,
                const struct dns_eval *ev, const char *cls, int timeout_ms, char *out, size_t len);

/* What to change, in VPC terms, for problem r on name (its fix template in
 * the diag table). 0, or -1 when a slot stayed unfilled; "" for an answer. */
int dns_remediation(const char *name, const char *region, enum dns_result r, char *out, size_t len);

/* "inside the VPC: interface endpoint" for "inside_vpc", ... */
const char *dns_class_phrase(const char *cls);

#endif
