/*
 * outbound.h - the step the repo, egress and aws probe families share:
 * resolve a URL's host, make one HTTP(S) request through fetch_request(), and
 * reduce what happened to an observation (how far the request got, with the
 * DNS or transport diagnosis) that each family then judges against its
 * expectation. Also the pure classifiers of those three families, exported
 * for tests/unit/test_outbound.c; nothing else calls them.
 */
#ifndef NETCHECK_OUTBOUND_H
#define NETCHECK_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/diag.h"
#include "netcheck/http.h"
#include "netcheck/probe.h"
#include "netcheck/resolve.h"

/* How far a request got. */
enum outbound_stage {
  OUTBOUND_DNS_FAILED, /* the name did not resolve; code is a DNS_* code */
  OUTBOUND_NO_CONNECT, /* no connection or no answer in time; code from transport_http_code */
  OUTBOUND_TLS_FAILED, /* TCP connected, TLS failed; code TLS_UNTRUSTED or TLS_HANDSHAKE */
  OUTBOUND_CONNECTED,  /* connect_only request: TCP and TLS handshake succeeded */
  OUTBOUND_ANSWERED    /* an HTTP status arrived */
};

struct outbound_obs {
  enum outbound_stage stage;
  enum nc_code code;            /* the diagnosis of the stage; NC_OK when connected/answered */
  bool dns_ambiguous;           /* the resolver library gave up without telling why (c-ares'
                                   ECONNREFUSED: servers refused, failed or did not listen) */
  long status;                  /* HTTP status, 0 unless answered */
  char outcome[64];             /* wire-level word for the report */
  const struct nc_addrs *addrs; /* what the name resolved to; NULL when unknown */
  const struct http_resp *resp; /* NULL when the request never ran */
  enum nc_code prior;           /* code of the probe's previous request (a fallback), else OK */
};

/* A verdict and the code that explains it (NC_OK when the verdict is pass). */
struct outbound_judgement {
  enum nc_verdict verdict;
  enum nc_code code;
};

typedef void (*outbound_cb)(struct probe *p, const struct outbound_obs *o, void *arg);

/* Reduces fetch_request()'s result to an observation. Pure. no_route_code is
 * the family's code for "no connection" (S3_NO_ROUTE, AWS_ENDPOINT_UNREACHABLE). */
void outbound_observe(int dns_status, const struct nc_addrs *addrs, const struct http_resp *r,
                      bool connect_only, enum nc_code no_route_code, struct outbound_obs *o);

/* True when the packets got out: an HTTP answer, a completed handshake, or
 * a TLS server that presented an untrusted certificate (an interceptor). */
bool outbound_reached(const struct outbound_obs *o);
/* True when the path works for the workload: connected or answered. */
bool outbound_usable(const struct outbound_obs *o);

/* Judges reachability against p->expect. Expected reachable needs a usable
 * path; when there is none the code is dns_code for a DNS failure,
 * unreachable_code for no connection (NC_OK = keep the observation's own code
 * in either), and the observation's code for TLS failures and TIMEOUT_BUDGET.
 * Expected blocked fails with EGRESS_UNEXPECTED when the packets got out.
 * Any passes (probe_judge). */
void outbound_judge(const struct probe *p, const struct outbound_obs *o, enum nc_code dns_code,
                    enum nc_code unreachable_code, struct outbound_judgement *j);

/* One phrase for a person: "pypi.org at 151.101.0.223 answered HTTP 200
 * (1234 bytes)", "no connection to HOST at IP (connect_timeout)", ... */
void outbound_describe(const struct outbound_obs *o, const char *host, char *out, size_t len);

/* Starts rq through fetch_request() for p and calls cb once with the
 * observation (or, from outbound_on_timeout, with a budget observation).
 * Records timings and the common details (url, addresses, address_class,
 * primary_ip, http_status, bytes, error). rq->timeout_ms 0 = a little less
 * than the probe's remaining budget, so the transport reports before the
 * deadline. May be called again from cb (a follow-up request). 0 or -1.
 * p->priv belongs to this module: use outbound_cleanup as the ops' cleanup. */
int outbound_fetch(struct probe *p, const struct http_req *rq, enum nc_code no_route_code,
                   outbound_cb cb, void *arg);

/* probe_ops.on_timeout for families using outbound_fetch: hands cb an
 * OUTBOUND_NO_CONNECT observation with code TIMEOUT_BUDGET and outcome "timeout". */
void outbound_on_timeout(struct probe *p);
/* probe_ops.cleanup for families using outbound_fetch. */
void outbound_cleanup(struct probe *p);

/* True for the DNS, TLS and budget diagnoses, whose fix (the code's default
 * template in the diag table) is the same whichever family saw them. */
bool outbound_transport_code(enum nc_code code);

/* Host part of an http(s) URL ("https://host:443/x" -> "host"). 0 or -1. */
int outbound_url_host(const char *url, char *host, size_t hostlen);

/* ---- repo (probes/repo.c) ---- */

#define REPO_TARGET_COUNT 5

/* The id, URL and bucket of repository target i (0..REPO_TARGET_COUNT-1) in
 * region, named in the region's partition (repo.cn-north-1.amazonaws.com.cn);
 * 0, or -1 when i is out of range or a buffer is too small. */
int repo_target(int i, const char *region, char *id, size_t idlen, char *url, size_t urllen,
                char *bucket, size_t bucketlen);

/* Whether target i has a known name in region's partition (all of them in
 * aws, the AL1/AL2 hosts in aws-cn and aws-us-gov, none elsewhere): the
 * family plans the known ones, and one probe repo:PARTITION that says which
 * were not checked. */
bool repo_target_known(int i, const char *region);

/* Blocked: no DNS, no connection, or 403; anything else that answered got
 * through the endpoint policy. TLS failures warn (the check could not run). */
void repo_judge(const struct probe *p, const struct outbound_obs *o, struct outbound_judgement *j);

/* The endpoint-policy Deny statement that blocks every Amazon Linux
 * repository bucket (the AWS example misses the AL2 and AL2023 ones), with
 * the ARNs of region's partition. */
int repo_deny_statement(const char *region, char *out, size_t len);

/* ---- egress (probes/egress.c) ---- */

/* What the default target, pypi.org, is asked for: the index pip reads first. */
#define EGRESS_DEFAULT_URL "https://pypi.org/simple/"

/* Parses a target ("host", "host:port" or "http(s)://host[:port][/path]")
 * into its host and the URL to fetch. 0, or -1 when malformed. */
int egress_parse_target(const char *target, char *host, size_t hostlen, char *url, size_t urllen);

/* The egress judgement is outbound_judge(p, o, EGRESS_BLOCKED,
 * EGRESS_BLOCKED, j): TLS_HANDSHAKE counts as blocked (SNI filtering),
 * TLS_UNTRUSTED as reached (interception). */

/* ---- aws (probes/aws.c) ---- */

#define AWS_SERVICE_COUNT 5

/* Name (host label, "api.ecr") and interface-endpoint service suffix
 * ("ecr.api") of service i; NULL when out of range. */
const char *aws_service_name(int i);
const char *aws_endpoint_service(const char *name);

/* "interface" when the name resolved inside the VPC (an interface endpoint
 * with private DNS), "public" otherwise, NULL when there are no addresses. */
const char *aws_endpoint_kind(const struct nc_addrs *addrs);

struct sts_answer {
  enum nc_verdict verdict; /* pass, warn or fail */
  enum nc_code code;
  char arn[256];
  char account[16];
  char error_code[64];
  char error_message[256];
};

/* Classifies the answer to a signed GetCallerIdentity. Pure. */
void aws_sts_classify(long status, const char *body, size_t len, struct sts_answer *out);

#endif
