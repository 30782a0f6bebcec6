/*
 * dns_answer.c - what a DNS answer says, without I/O: the raw response
 * parsed into a result and its addresses (the rcode read from the header,
 * the addresses through c-ares' parsers), a name looked up in hosts-file
 * text, the servers' answers for one name judged together (dns_evaluate),
 * and the sentence and fix template that describe the outcome. The dns
 * probe (dns.c) calls it with what its queries got; the unit tests
 * (tests/unit/test_dns.c) and the fuzz target (fuzz_dns_answer.c) call it
 * with recorded answers, which is why it is apart from the probe's I/O.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "dns_int.h"
#include "netcheck/common.h"
#include "netcheck/diag.h"
#include "netcheck/dns.h"
#include "netcheck/partition.h"

#define DNS_HEADER_LEN 12
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5

/* ---- answers ---- */

static void dns_set_addr(struct nc_addr *a, int family, const void *bytes) {
  size_t len = family == AF_INET ? 4 : 16;
  memset(a, 0, sizeof *a);
  a->family = family;
  memcpy(a->bytes, bytes, len);
  if (!inet_ntop(family, bytes, a->text, sizeof a->text))
    a->text[0] = '\0';
}

static enum dns_result dns_result_from_status(int status) {
  switch (status) {
  case ARES_SUCCESS:
  case ARES_ENODATA:
    return DNS_RES_NODATA;
  case ARES_ENOTFOUND:
    return DNS_RES_NXDOMAIN;
  case ARES_ESERVFAIL:
    return DNS_RES_SERVFAIL;
  case ARES_EREFUSED:
    return DNS_RES_REFUSED;
  case ARES_ETIMEOUT:
    return DNS_RES_TIMEOUT;
  case ARES_ECONNREFUSED:
    return DNS_RES_UNREACHABLE;
  default:
    return DNS_RES_ERROR;
  }
}

/* Addresses of a NOERROR response; c-ares follows CNAME chains and checks the
 * question. */
static enum dns_result dns_parse_addrs(const unsigned char *abuf, int alen,
                                       struct dns_answer *out) {
  int n = NC_MAX_ADDRS, st;
  if (out->type == DNS_TYPE_AAAA) {
    struct ares_addr6ttl ttls[NC_MAX_ADDRS];
    st = ares_parse_aaaa_reply(abuf, alen, NULL, ttls, &n);
    if (st == ARES_SUCCESS)
      for (int i = 0; i < n && i < NC_MAX_ADDRS; i++)
        dns_set_addr(&out->addrs[out->n++], AF_INET6, &ttls[i].ip6addr);
  } else {
    struct ares_addrttl ttls[NC_MAX_ADDRS];
    st = ares_parse_a_reply(abuf, alen, NULL, ttls, &n);
    if (st == ARES_SUCCESS)
      for (int i = 0; i < n && i < NC_MAX_ADDRS; i++)
        dns_set_addr(&out->addrs[out->n++], AF_INET, &ttls[i].ipaddr);
  }
  if (st == ARES_SUCCESS)
    return out->n > 0 ? DNS_RES_ANSWER : DNS_RES_NODATA;
  return st == ARES_ENODATA ? DNS_RES_NODATA : DNS_RES_ERROR;
}

void dns_parse_answer(int ares_status, const unsigned char *abuf, int alen,
                      struct dns_answer *out) {
  out->n = 0;
  out->rcode = -1;
  if (!abuf || alen < DNS_HEADER_LEN) {
    /* No usable response: c-ares' status is all there is. */
    out->result = abuf && alen > 0 ? DNS_RES_ERROR : dns_result_from_status(ares_status);
    if (out->result == DNS_RES_NODATA && ares_status == ARES_SUCCESS)
      out->result = DNS_RES_ERROR; /* success without a response */
    return;
  }
  /* The rcode comes from the header: c-ares' status folds several together. */
  out->rcode = abuf[3] & 0x0f;
  switch (out->rcode) {
  case DNS_RCODE_NOERROR:
    out->result = dns_parse_addrs(abuf, alen, out);
    break;
  case DNS_RCODE_NXDOMAIN:
    out->result = DNS_RES_NXDOMAIN;
    break;
  case DNS_RCODE_SERVFAIL:
    out->result = DNS_RES_SERVFAIL;
    break;
  case DNS_RCODE_REFUSED:
    out->result = DNS_RES_REFUSED;
    break;
  default:
    out->result = DNS_RES_ERROR;
    break;
  }
}

/* ---- judging ---- */

enum nc_code dns_result_code(enum dns_result r) {
  switch (r) {
  case DNS_RES_NXDOMAIN:
  case DNS_RES_NODATA:
    return NC_DNS_NXDOMAIN;
  case DNS_RES_REFUSED:
    return NC_DNS_REFUSED;
  case DNS_RES_SERVFAIL:
  case DNS_RES_ERROR:
    return NC_DNS_SERVFAIL;
  case DNS_RES_UNREACHABLE:
  case DNS_RES_TIMEOUT:
    return NC_DNS_TIMEOUT;
  case DNS_RES_PENDING:
  case DNS_RES_ANSWER:
    break;
  }
  return NC_OK;
}

const char *dns_result_name(enum dns_result r) {
  switch (r) {
  case DNS_RES_PENDING:
    return "pending";
  case DNS_RES_ANSWER:
    return "resolved";
  case DNS_RES_NODATA:
    return "nodata";
  case DNS_RES_NXDOMAIN:
    return "nxdomain";
  case DNS_RES_SERVFAIL:
    return "servfail";
  case DNS_RES_REFUSED:
    return "refused";
  case DNS_RES_ERROR:
    return "bad_response";
  case DNS_RES_UNREACHABLE:
    return "unreachable";
  case DNS_RES_TIMEOUT:
    return "timeout";
  }
  return "unknown";
}

/* How telling a problem is: a definite answer from a server outranks a
 * server that failed, which outranks one that never answered. */
static int dns_rank(enum dns_result r) {
  switch (r) {
  case DNS_RES_NXDOMAIN:
    return 7;
  case DNS_RES_NODATA:
    return 6;
  case DNS_RES_SERVFAIL:
    return 5;
  case DNS_RES_REFUSED:
    return 4;
  case DNS_RES_ERROR:
    return 3;
  case DNS_RES_UNREACHABLE:
    return 2;
  case DNS_RES_TIMEOUT:
  case DNS_RES_PENDING:
    return 1;
  case DNS_RES_ANSWER:
    break;
  }
  return 0;
}

/* dns_int.h: a query still pending when judged never answered. */
enum dns_result dns_settled(enum dns_result r) {
  return r == DNS_RES_PENDING ? DNS_RES_TIMEOUT : r;
}

static bool dns_server_answered(const struct dns_server_result *s) {
  return s->a.result == DNS_RES_ANSWER || s->aaaa.result == DNS_RES_ANSWER;
}

/* One server's problem (DNS_RES_ANSWER when none). NODATA for one family is
 * normal (S3 names have no AAAA); it is the problem only when both are. */
static enum dns_result dns_server_problem(const struct dns_server_result *s) {
  enum dns_result a = dns_settled(s->a.result), b = dns_settled(s->aaaa.result);
  if (a == DNS_RES_ANSWER) /* resolved; an odd AAAA answer is a note (dns_aaaa_note) */
    return DNS_RES_ANSWER;
  if (a == DNS_RES_NODATA && b == DNS_RES_NODATA)
    return DNS_RES_NODATA;
  if (a == DNS_RES_NODATA)
    a = DNS_RES_ANSWER;
  if (b == DNS_RES_NODATA)
    b = DNS_RES_ANSWER;
  return dns_rank(a) >= dns_rank(b) ? a : b;
}

bool dns_aaaa_note(const struct dns_server_result *s, enum dns_result *r) {
  enum dns_result b = dns_settled(s->aaaa.result);
  if (s->a.result != DNS_RES_ANSWER || b == DNS_RES_ANSWER || b == DNS_RES_NODATA)
    return false;
  *r = b;
  return true;
}

void dns_evaluate(const struct dns_server_result *s, int n, struct dns_eval *ev) {
  ev->resolved = false;
  ev->answer_server = -1;
  ev->fail_server = -1;
  ev->worst = DNS_RES_ANSWER;
  ev->code = n > 0 ? NC_OK : NC_DNS_NO_RESOLVER;
  for (int i = 0; i < n; i++) {
    enum dns_result pr = dns_server_problem(&s[i]);
    if (dns_server_answered(&s[i]) && ev->answer_server < 0) {
      ev->answer_server = i;
      ev->resolved = true;
    }
    if (pr != DNS_RES_ANSWER && dns_rank(pr) > dns_rank(ev->worst)) {
      ev->worst = pr;
      ev->fail_server = i;
    }
  }
  if (n > 0)
    ev->code = dns_result_code(ev->worst);
}

static void dns_collect_one(const struct dns_answer *q, struct nc_addrs *out) {
  for (int i = 0; i < q->n && out->n < NC_MAX_ADDRS; i++) {
    const struct nc_addr *a = &q->addrs[i];
    bool dup = false;
    for (int j = 0; j < out->n && !dup; j++)
      dup = out->a[j].family == a->family && !memcmp(out->a[j].bytes, a->bytes, 16);
    if (!dup)
      out->a[out->n++] = *a;
  }
}

void dns_collect_addrs(const struct dns_server_result *s, int n, struct nc_addrs *out) {
  memset(out, 0, sizeof *out);
  nc_strlcpy(out->source, "dns", sizeof out->source);
  for (int i = 0; i < n; i++)
    dns_collect_one(&s[i].a, out);
  for (int i = 0; i < n; i++)
    dns_collect_one(&s[i].aaaa, out);
}

/* ---- wording ---- */

const char *dns_class_phrase(const char *cls) {
  if (!cls)
    return "unknown class";
  if (!strcmp(cls, "inside_vpc"))
    return "inside the VPC: interface endpoint";
  if (!strcmp(cls, "outside"))
    return "outside the VPC: gateway endpoint or internet";
  if (!strcmp(cls, "link_local"))
    return "link-local";
  if (!strcmp(cls, "loopback"))
    return "loopback";
  return cls;
}

static int dns_ms(double ms) { return ms < 0 ? 0 : (int)(ms + 0.5); }

/* "A query", "AAAA query" or "A and AAAA queries": those of s that ended in
 * r, or in a result with r's diagnosis (a timeout beside a port unreachable
 * is one dead server, not two findings). */
static const char *dns_families(const struct dns_server_result *s, enum dns_result r) {
  enum nc_code c = dns_result_code(r);
  bool a = dns_result_code(dns_settled(s->a.result)) == c;
  bool b = dns_result_code(dns_settled(s->aaaa.result)) == c;
  if (a && b)
    return "A and AAAA queries";
  return b ? "AAAA query" : "A query";
}

/* "did not answer the A query within 5000 ms", ... for server s. */
static void dns_problem_phrase(const struct dns_server_result *s, enum dns_result r, int timeout_ms,
                               char *out, size_t len) {
  const char *fam = dns_families(s, r);
  switch (r) {
  case DNS_RES_NXDOMAIN:
    nc_snprintf(out, len, "answered the %s with NXDOMAIN (no such name)", fam);
    break;
  case DNS_RES_NODATA:
    nc_snprintf(out, len, "has no A or AAAA record for it");
    break;
  case DNS_RES_SERVFAIL:
    nc_snprintf(out, len, "answered the %s with SERVFAIL", fam);
    break;
  case DNS_RES_REFUSED:
    nc_snprintf(out, len, "refused the %s", fam);
    break;
  case DNS_RES_ERROR:
    nc_snprintf(out, len, "sent an unusable answer to the %s", fam);
    break;
  case DNS_RES_UNREACHABLE:
    nc_snprintf(out, len,
                "refused or dropped the %s (port unreachable, or a TCP connection closed "
                "without an answer)",
                fam);
    break;
  case DNS_RES_TIMEOUT:
  case DNS_RES_PENDING:
    nc_snprintf(out, len, "did not answer the %s within %d ms", fam, timeout_ms);
    break;
  case DNS_RES_ANSWER:
    nc_snprintf(out, len, "answered");
    break;
  }
}

/* dns_int.h: the latency of the query that gave the first address. */
double dns_answer_latency(const struct dns_server_result *s) {
  return s->a.result == DNS_RES_ANSWER ? s->a.latency_ms : s->aaaa.latency_ms;
}

int dns_message(const char *name, const struct dns_server_result *s, int n,
                const struct dns_eval *ev, const char *cls, int timeout_ms, char *out, size_t len) {
  char problem[160];
  if (n <= 0)
    return nc_snprintf(out, len,
                       "%s not queried: no nameserver configured (resolv.conf has none and no "
                       "--dns-server was given)",
                       name);
  if (ev->fail_server >= 0)
    dns_problem_phrase(&s[ev->fail_server], ev->worst, timeout_ms, problem, sizeof problem);
  if (ev->resolved) {
    const struct dns_server_result *ok = &s[ev->answer_server];
    const struct dns_answer *q = ok->a.result == DNS_RES_ANSWER ? &ok->a : &ok->aaaa;
    struct nc_addrs all;
    char more[32] = "";
    dns_collect_addrs(s, n, &all);
    if (all.n > 1)
      nc_snprintf(more, sizeof more, " and %d more", all.n - 1);
    if (ev->fail_server < 0)
      return nc_snprintf(out, len, "%s resolved to %s%s (%s) in %d ms", name, q->addrs[0].text,
                         more, dns_class_phrase(cls), dns_ms(dns_answer_latency(ok)));
    if (ev->fail_server == ev->answer_server)
      return nc_snprintf(out, len, "%s resolved to %s%s (%s) via %s in %d ms, but the server %s",
                         name, q->addrs[0].text, more, dns_class_phrase(cls), ok->server,
                         dns_ms(dns_answer_latency(ok)), problem);
    return nc_snprintf(out, len, "%s resolved to %s%s (%s) via %s in %d ms, but nameserver %s %s",
                       name, q->addrs[0].text, more, dns_class_phrase(cls), ok->server,
                       dns_ms(dns_answer_latency(ok)), s[ev->fail_server].server, problem);
  }
  if (ev->fail_server < 0) /* cannot happen with n > 0; stay truthful anyway */
    return nc_snprintf(out, len, "%s did not resolve", name);
  if (n == 2)
    return nc_snprintf(out, len, "%s did not resolve: nameserver %s %s (both nameservers failed)",
                       name, s[ev->fail_server].server, problem);
  if (n > 2)
    return nc_snprintf(out, len, "%s did not resolve: nameserver %s %s (all %d nameservers failed)",
                       name, s[ev->fail_server].server, problem, n);
  return nc_snprintf(out, len, "%s did not resolve: nameserver %s %s", name,
                     s[ev->fail_server].server, problem);
}

static bool dns_has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcasecmp(s + n - m, suffix);
}

bool dns_fix_case(const char *name, const char *region, enum dns_result r, struct dns_fix *f) {
  char s3dot[132], fips[128], fipsdot[132], sfx[64];
  bool aws, bucket;
  f->code = r == DNS_RES_PENDING ? NC_DNS_TIMEOUT : dns_result_code(r);
  if (f->code == NC_OK)
    return false;
  f->name = name;
  f->suffix = partition_of_region(region)->dns_suffix;
  nc_snprintf(sfx, sizeof sfx, ".%s", f->suffix);
  aws = dns_has_suffix(name, sfx);
  f->zone = aws ? f->suffix : "the domain";
  partition_service_host("s3", region, false, f->s3, sizeof f->s3);
  partition_service_host("s3", region, true, fips, sizeof fips);
  nc_snprintf(s3dot, sizeof s3dot, ".%s", f->s3);
  nc_snprintf(fipsdot, sizeof fipsdot, ".%s", fips);
  bucket = dns_has_suffix(name, s3dot) || dns_has_suffix(name, fipsdot);
  if (dns_has_suffix(name, fipsdot))
    nc_strlcpy(f->s3, fips, sizeof f->s3);
  f->variant = r == DNS_RES_NXDOMAIN ? (aws && bucket ? "dns_bucket"
                                        : aws         ? "dns_aws"
                                                      : "dns_name")
               : r == DNS_RES_NODATA ? "dns_nodata"
                                     : "dns";
  return true;
}

int dns_remediation(const char *name, const char *region, enum dns_result r, char *out,
                    size_t len) {
  struct dns_fix f;
  if (!dns_fix_case(name, region, r, &f)) {
    if (len)
      out[0] = '\0';
    return 0;
  }
  return diag_fix(out, len, f.code, f.variant, DNS_FIX_FACTS(&f)) == 0 ? 0 : -1;
}
