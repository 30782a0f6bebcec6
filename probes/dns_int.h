/*
 * dns_int.h - what the two files of the dns family share beyond the tested
 * interface of netcheck/dns.h: the fix template a problem takes (struct
 * dns_fix, chosen in dns_answer.c, rendered by the probe in dns.c through
 * probe_fix) and the small judgements both use. Nothing outside
 * probes/dns*.c includes it.
 */
#ifndef NETCHECK_DNS_INT_H
#define NETCHECK_DNS_INT_H

#include <stdbool.h>

#include "netcheck/diag.h"
#include "netcheck/dns.h"

/* Which fix template problem r on name takes (its code and variant), and
 * the facts it fills in. */
struct dns_fix {
  enum nc_code code;
  const char *variant;
  const char *name;
  const char *suffix; /* the partition's DNS suffix: amazonaws.com */
  const char *zone;   /* what to forward: the suffix for AWS names */
  char s3[128];       /* the regional S3 name a bucket name ends with */
};
#define DNS_FIX_FACTS(f)                                                                           \
  DIAG_FACTS({"name", (f)->name}, {"suffix", (f)->suffix}, {"s3_host", (f)->s3},                   \
             {"zone", (f)->zone})

/* Fills f for problem r on name in region; false for an answer. */
bool dns_fix_case(const char *name, const char *region, enum dns_result r, struct dns_fix *f);

/* A query still pending when judged never answered. */
enum dns_result dns_settled(enum dns_result r);

/* The latency of the query that gave the first address. */
double dns_answer_latency(const struct dns_server_result *s);

#endif
