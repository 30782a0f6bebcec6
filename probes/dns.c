/*
 * dns.c - the dns probe family: one probe per name the job and the later
 * probes depend on (the regional S3 name, each bucket's virtual-hosted name,
 * the AWS service endpoints, the repository hosts, the egress targets),
 * queried for A and AAAA against every configured nameserver, so that a
 * failure names the server, the rcode and the latency, and every address is
 * classed (interface endpoint inside the VPC, or outside it).
 *
 * A name listed in /etc/hosts is reported from there and not queried: c-ares
 * and the workload's resolver would not query it either.
 */
#include "netcheck/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netcheck/common.h"
#include "netcheck/engine.h"
#include "netcheck/probe.h"
#include "netcheck/resolve.h"

#define DNS_HOSTS_PATH "/etc/hosts"
#define DNS_HEADER_LEN 12
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5
#define DNS_NAME_MAX 253
#define DNS_LABEL_MAX 63
#define DNS_HOSTS_TOKEN_MAX 256

/* The AWS service endpoints the aws probe family checks. */
static const char *const dns_aws_services[] = {"sts", "logs", "monitoring", "api.ecr",
                                               "api.sagemaker"};

/* ---- names ---- */

static bool dns_valid_name(const char *s) {
  size_t n = strlen(s), label = 0;
  if (n == 0 || n > DNS_NAME_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '.') {
      if (label == 0)
        return false;
      label = 0;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
    if (++label > DNS_LABEL_MAX)
      return false;
  }
  return label > 0;
}

/* An IP literal needs no DNS. */
static bool dns_is_ip_literal(const char *s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static void dns_add_name(char names[][NC_HOST_MAX], int *n, int max, const char *name,
                         const char *what) {
  if (!dns_valid_name(name)) {
    NC_WARN("dns: %s \"%.64s\" is not a valid host name; not probed", what, name);
    return;
  }
  for (int i = 0; i < *n; i++)
    if (!strcasecmp(names[i], name))
      return;
  if (*n >= max)
    return;
  nc_strlcpy(names[*n], name, NC_HOST_MAX);
  (*n)++;
}

/* The host of "host", "host:port", "scheme://[user@]host[:port]/path" or
 * "scheme://[v6]:port/"; "" when there is none. */
static void dns_target_host(const char *target, char *out, size_t len) {
  const char *s = strstr(target, "://"), *at;
  size_t n;
  s = s ? s + 3 : target;
  n = strcspn(s, "/?#");
  at = memchr(s, '@', n);
  if (at) /* user:password@ is no name, and never shown */
    s = at + 1;
  if (*s == '[') { /* an IPv6 literal: nothing to resolve */
    out[0] = '\0';
    return;
  }
  n = strcspn(s, ":/?#");
  if (n >= len)
    n = 0;
  memcpy(out, s, n);
  out[n] = '\0';
}

static void dns_add_target(char names[][NC_HOST_MAX], int *n, int max, const char *target) {
  char host[NC_HOST_MAX];
  dns_target_host(target, host, sizeof host);
  if (host[0] && !dns_is_ip_literal(host))
    dns_add_name(names, n, max, host, "target");
}

int dns_plan_names(const struct nc_config *cfg, char names[][NC_HOST_MAX], int max) {
  const char *r = cfg->region;
  char name[NC_HOST_MAX];
  int n = 0;

  if (r[0]) {
    nc_snprintf(name, sizeof name, "s3.%s.amazonaws.com", r);
    dns_add_name(names, &n, max, name, "region");
  }
  if (r[0] && !cfg->skip[NC_FAM_S3])
    for (int i = 0; i < cfg->n_buckets; i++) {
      /* Virtual-hosted style is what the SDKs (and the s3 probe) use; a
       * dotted bucket goes path-style to the regional name, probed above. */
      if (strchr(cfg->buckets[i].name, '.') ||
          nc_snprintf(name, sizeof name, "%s.s3.%s.amazonaws.com", cfg->buckets[i].name, r))
        continue;
      dns_add_name(names, &n, max, name, "bucket");
    }
  if (r[0] && !cfg->skip[NC_FAM_AWS])
    for (size_t i = 0; i < NC_ARRAY_LEN(dns_aws_services); i++) {
      nc_snprintf(name, sizeof name, "%s.%s.amazonaws.com", dns_aws_services[i], r);
      dns_add_name(names, &n, max, name, "service");
    }
  if (r[0] && !cfg->skip[NC_FAM_REPO]) {
    /* The Amazon Linux repositories: three hosts, and two buckets reached
     * through the regional S3 name (the repo probe's targets). */
    static const char *const hosts[] = {"repo", "packages", "amazonlinux"};
    for (size_t i = 0; i < NC_ARRAY_LEN(hosts); i++) {
      nc_snprintf(name, sizeof name, "%s.%s.amazonaws.com", hosts[i], r);
      dns_add_name(names, &n, max, name, "repository");
    }
    nc_snprintf(name, sizeof name, "amazonlinux-2-repos-%s.s3.%s.amazonaws.com", r, r);
    dns_add_name(names, &n, max, name, "repository");
    nc_snprintf(name, sizeof name, "al2023-repos-%s-de612dc2.s3.%s.amazonaws.com", r, r);
    dns_add_name(names, &n, max, name, "repository");
  }
  if (!cfg->skip[NC_FAM_EGRESS]) {
    for (int i = 0; i < cfg->n_egress_targets; i++)
      dns_add_target(names, &n, max, cfg->egress_targets[i]);
    for (int i = 0; i < cfg->n_tcp_targets; i++)
      dns_add_target(names, &n, max, cfg->tcp_targets[i]);
  }
  return n;
}

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

/* ---- /etc/hosts ---- */

static void dns_hosts_add(struct nc_addrs *out, const char *tok) {
  unsigned char bytes[16];
  int family;
  if (inet_pton(AF_INET, tok, bytes) == 1)
    family = AF_INET;
  else if (inet_pton(AF_INET6, tok, bytes) == 1)
    family = AF_INET6;
  else
    return;
  for (int i = 0; i < out->n; i++)
    if (out->a[i].family == family && !memcmp(out->a[i].bytes, bytes, family == AF_INET ? 4 : 16))
      return;
  if (out->n >= NC_MAX_ADDRS)
    return;
  dns_set_addr(&out->a[out->n++], family, bytes);
  nc_strlcpy(out->source, "hosts", sizeof out->source);
}

/* Compares a hosts-file token with name, ignoring case and a trailing dot on
 * either side. */
static bool dns_name_eq(const char *tok, size_t tlen, const char *name) {
  size_t nlen = strlen(name);
  if (tlen && tok[tlen - 1] == '.')
    tlen--;
  if (nlen && name[nlen - 1] == '.')
    nlen--;
  return tlen == nlen && tlen > 0 && !strncasecmp(tok, name, tlen);
}

int dns_hosts_lookup(const char *buf, size_t len, const char *name, struct nc_addrs *out) {
  size_t i = 0;
  while (i < len) {
    size_t end = i, stop;
    char addr[64] = "";
    bool first = true, match = false;
    while (end < len && buf[end] != '\n' && buf[end] != '\0')
      end++;
    stop = i;
    while (stop < end && buf[stop] != '#')
      stop++;
    /* Tokens of [i, stop): the address, then its names. */
    for (size_t t = i; t < stop;) {
      size_t s = t;
      while (s < stop && (buf[s] == ' ' || buf[s] == '\t' || buf[s] == '\r'))
        s++;
      t = s;
      while (t < stop && buf[t] != ' ' && buf[t] != '\t' && buf[t] != '\r')
        t++;
      if (t == s)
        break;
      if (first) {
        if (t - s >= sizeof addr)
          break; /* not an address */
        memcpy(addr, buf + s, t - s);
        addr[t - s] = '\0';
        first = false;
      } else if (t - s < DNS_HOSTS_TOKEN_MAX && dns_name_eq(buf + s, t - s, name)) {
        match = true;
      }
    }
    if (match)
      dns_hosts_add(out, addr);
    i = end + 1;
  }
  return out->n;
}

/* ---- judging ---- */

enum nc_code dns_result_code(enum dns_result r) {
  switch (r) {
  case DNS_RES_NXDOMAIN:
  case DNS_RES_NODATA:
    return NC_DNS_NXDOMAIN;
  case DNS_RES_SERVFAIL:
  case DNS_RES_REFUSED:
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

/* A query still pending when judged never answered. */
static enum dns_result dns_settled(enum dns_result r) {
  return r == DNS_RES_PENDING ? DNS_RES_TIMEOUT : r;
}

static bool dns_server_answered(const struct dns_server_result *s) {
  return s->a.result == DNS_RES_ANSWER || s->aaaa.result == DNS_RES_ANSWER;
}

/* One server's problem (DNS_RES_ANSWER when none). NODATA for one family is
 * normal (S3 names have no AAAA); it is the problem only when both are. */
static enum dns_result dns_server_problem(const struct dns_server_result *s) {
  enum dns_result a = dns_settled(s->a.result), b = dns_settled(s->aaaa.result);
  if (a == DNS_RES_NODATA && b == DNS_RES_NODATA)
    return DNS_RES_NODATA;
  if (a == DNS_RES_NODATA)
    a = DNS_RES_ANSWER;
  if (b == DNS_RES_NODATA)
    b = DNS_RES_ANSWER;
  return dns_rank(a) >= dns_rank(b) ? a : b;
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

/* The latency of the query that gave the first address. */
static double dns_answer_latency(const struct dns_server_result *s) {
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

int dns_remediation(const char *name, const char *region, enum dns_result r, char *out,
                    size_t len) {
  char s3[96], s3dot[100];
  bool aws = dns_has_suffix(name, ".amazonaws.com");
  bool bucket;
  nc_snprintf(s3, sizeof s3, "s3.%s.amazonaws.com", region);
  nc_snprintf(s3dot, sizeof s3dot, ".%s", s3);
  bucket = dns_has_suffix(name, s3dot);
  switch (r) {
  case DNS_RES_NXDOMAIN:
    if (aws && bucket)
      return nc_snprintf(
          out, len,
          "the VPC's resolver cannot resolve AWS names: use the AmazonProvidedDNS (VPC CIDR base "
          "+2) or forward amazonaws.com to it; check the DHCP options set and enableDnsSupport. "
          "A private hosted zone for %s (e.g. made for an S3 interface endpoint) also needs the "
          "wildcard record *.%s for bucket names",
          s3, s3);
    if (aws)
      return nc_snprintf(out, len,
                         "the VPC's resolver cannot resolve AWS names: use the AmazonProvidedDNS "
                         "(VPC CIDR base +2) or forward amazonaws.com to it; check the DHCP "
                         "options set and enableDnsSupport");
    return nc_snprintf(out, len,
                       "the VPC's resolver cannot resolve %s: check the name, the DHCP options "
                       "set's domain-name-servers and any Route 53 Resolver rule or private "
                       "hosted zone covering it (AmazonProvidedDNS resolves public names even "
                       "without a NAT gateway)",
                       name);
  case DNS_RES_NODATA:
    return nc_snprintf(out, len,
                       "%s exists but has no address record at this resolver: a private hosted "
                       "zone or Route 53 Resolver rule shadows it; add the record (for an "
                       "interface endpoint, enable its private DNS) or remove the zone so that "
                       "the AmazonProvidedDNS (VPC CIDR base +2) answers",
                       name);
  case DNS_RES_SERVFAIL:
  case DNS_RES_ERROR:
    return nc_snprintf(out, len,
                       "the nameserver fails to resolve %s: if it is a custom DNS server, make "
                       "it forward %s to the AmazonProvidedDNS (VPC CIDR base +2); check Route "
                       "53 Resolver outbound endpoints and forwarding rules, and DNS Firewall "
                       "rules for the domain",
                       name, aws ? "amazonaws.com" : "the domain");
  case DNS_RES_REFUSED:
    return nc_snprintf(out, len,
                       "the nameserver refuses queries from this subnet: allow the VPC CIDR in "
                       "its access list, or use the AmazonProvidedDNS (VPC CIDR base +2) through "
                       "the DHCP options set; check DNS Firewall rules for the domain");
  case DNS_RES_UNREACHABLE:
  case DNS_RES_TIMEOUT:
  case DNS_RES_PENDING:
    return nc_snprintf(out, len,
                       "the nameserver does not answer: allow UDP and TCP port 53 to it in the "
                       "security group and network ACL, and check that it runs (the "
                       "AmazonProvidedDNS is the VPC CIDR base +2 or 169.254.169.253 and needs "
                       "enableDnsSupport on the VPC); or name a working one with --dns-server");
  case DNS_RES_ANSWER:
    break;
  }
  if (len)
    out[0] = '\0';
  return 0;
}

/* ---- the probe ---- */

#define DNS_NO_RESOLVER_FIX                                                                        \
  "the container has no nameserver: SageMaker writes /etc/resolv.conf from the VPC's DHCP "        \
  "options set, so give it domain-name-servers AmazonProvidedDNS and enable enableDnsSupport "     \
  "and enableDnsHostnames on the VPC; or name one with --dns-server"

struct dns_state {
  int64_t started_ms;
  int n_servers;
  int pending;  /* queries not answered yet */
  bool issuing; /* start() is still sending: do not judge yet */
  struct dns_server_result servers[NC_MAX_SERVERS];
};

static void dns_details_addr(cJSON *arr, const struct nc_addr *a) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return;
  cJSON_AddStringToObject(o, "address", a->text);
  cJSON_AddStringToObject(o, "family", a->family == AF_INET6 ? "ipv6" : "ipv4");
  cJSON_AddStringToObject(o, "class", resolve_addr_class(a));
  cJSON_AddItemToArray(arr, o);
}

static void dns_details_addrs(struct probe *p, const struct nc_addrs *all) {
  cJSON *d = probe_details(p), *arr;
  if (!d)
    return;
  cJSON_AddStringToObject(d, "source", all->source[0] ? all->source : "dns");
  arr = cJSON_AddArrayToObject(d, "addresses");
  for (int i = 0; arr && i < all->n; i++)
    dns_details_addr(arr, &all->a[i]);
}

static cJSON *dns_details_query(const struct dns_answer *q) {
  static const char *const rcodes[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                       "NXDOMAIN", "NOTIMP",  "REFUSED"};
  cJSON *o = cJSON_CreateObject(), *arr;
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "status", dns_result_name(dns_settled(q->result)));
  if (q->rcode >= 0 && (size_t)q->rcode < NC_ARRAY_LEN(rcodes))
    cJSON_AddStringToObject(o, "rcode", rcodes[q->rcode]);
  else if (q->rcode >= 0)
    cJSON_AddNumberToObject(o, "rcode", q->rcode);
  else
    cJSON_AddNullToObject(o, "rcode");
  arr = cJSON_AddArrayToObject(o, "answers");
  for (int i = 0; arr && i < q->n; i++)
    cJSON_AddItemToArray(arr, cJSON_CreateString(q->addrs[i].text));
  if (q->latency_ms >= 0)
    cJSON_AddNumberToObject(o, "latency_ms", (double)(int64_t)(q->latency_ms * 10 + 0.5) / 10);
  else
    cJSON_AddNullToObject(o, "latency_ms");
  return o;
}

static void dns_details_servers(struct probe *p, const struct dns_state *st) {
  cJSON *d = probe_details(p), *arr;
  if (!d)
    return;
  arr = cJSON_AddArrayToObject(d, "servers");
  for (int i = 0; arr && i < st->n_servers; i++) {
    cJSON *o = cJSON_CreateObject();
    if (!o)
      return;
    cJSON_AddStringToObject(o, "server", st->servers[i].server);
    cJSON_AddItemToObject(o, "a", dns_details_query(&st->servers[i].a));
    cJSON_AddItemToObject(o, "aaaa", dns_details_query(&st->servers[i].aaaa));
    cJSON_AddItemToArray(arr, o);
  }
}

/* Judges every server's answers and finishes the probe. */
static void dns_conclude(struct probe *p) {
  struct dns_state *st = p->priv;
  struct dns_eval ev;
  struct nc_addrs all;
  char msg[sizeof p->message], fix[sizeof p->remediation];
  const char *cls = NULL;
  enum nc_verdict v;

  dns_evaluate(st->servers, st->n_servers, &ev);
  dns_collect_addrs(st->servers, st->n_servers, &all);
  if (all.n > 0)
    cls = resolve_addr_class(&all.a[0]);
  dns_details_servers(p, st);
  dns_details_addrs(p, &all);
  p->t.total = (double)(nc_now_ms() - st->started_ms);
  if (ev.resolved) {
    const struct dns_server_result *ok = &st->servers[ev.answer_server];
    p->t.dns = dns_answer_latency(ok);
  }
  dns_message(p->target, st->servers, st->n_servers, &ev, cls, p->timeout_ms, msg, sizeof msg);
  dns_remediation(p->target, p->cfg->region, ev.worst, fix, sizeof fix);
  if (fix[0])
    probe_remediation(p, "%s", fix);
  v = probe_judge(p, ev.resolved);
  if (ev.resolved && ev.fail_server >= 0 && v == NC_VERDICT_PASS)
    v = NC_VERDICT_WARN; /* one server answers, another would stall or mislead */
  probe_finish(p, v, ev.code, ev.resolved ? "resolved" : dns_result_name(ev.worst), "%s", msg);
}

static void dns_on_answer(struct probe *p, int status, const unsigned char *abuf, int alen,
                          double latency_ms, void *arg) {
  struct dns_state *st = p->priv;
  struct dns_answer *q = arg;
  if (q->result != DNS_RES_PENDING)
    return; /* answered already (a late duplicate) */
  dns_parse_answer(status, abuf, alen, q);
  q->latency_ms = abuf ? latency_ms : -1;
  if (q->result == DNS_RES_PENDING)
    q->result = DNS_RES_ERROR;
  if (--st->pending == 0 && !st->issuing)
    dns_conclude(p);
}

/* Answers from /etc/hosts, the way the workload's resolver would: the name
 * passes without a query. Returns true when it finished the probe. */
static bool dns_try_hosts(struct probe *p) {
  struct nc_addrs found;
  const char *buf;
  char more[32] = "";
  size_t len = 0;
  const char *cls;
  memset(&found, 0, sizeof found);
  if (engine_hosts_file(p->eng, &buf, &len))
    return false; /* missing (fine) or unreadable (the engine warned once) */
  dns_hosts_lookup(buf, len, p->target, &found);
  if (found.n == 0)
    return false;
  dns_details_addrs(p, &found);
  cls = resolve_addr_class(&found.a[0]);
  if (found.n > 1)
    nc_snprintf(more, sizeof more, " and %d more", found.n - 1);
  p->t.dns = 0;
  p->t.total = 0;
  probe_finish(p, probe_judge(p, true), NC_OK, "hosts",
               "%s is %s%s (%s) in " DNS_HOSTS_PATH "; not queried", p->target, found.a[0].text,
               more, dns_class_phrase(cls));
  return true;
}

static int dns_start(struct probe *p) {
  struct dns_state *st = calloc(1, sizeof *st);
  char servers[NC_MAX_SERVERS][64];
  int n, sent = 0;
  if (!st)
    return -1;
  p->priv = st;
  st->started_ms = nc_now_ms();
  if (dns_try_hosts(p))
    return 0;
  n = engine_nameservers(p->eng, servers, NC_MAX_SERVERS);
  if (n <= 0) {
    char msg[sizeof p->message];
    struct dns_eval ev;
    struct nc_addrs none;
    memset(&none, 0, sizeof none);
    dns_evaluate(st->servers, 0, &ev);
    dns_message(p->target, st->servers, 0, &ev, NULL, p->timeout_ms, msg, sizeof msg);
    dns_details_servers(p, st);
    dns_details_addrs(p, &none);
    probe_remediation(p, "%s", DNS_NO_RESOLVER_FIX);
    probe_finish(p, probe_judge(p, false), ev.code, "no_resolver", "%s", msg);
    return 0;
  }
  if (n > NC_MAX_SERVERS)
    n = NC_MAX_SERVERS;
  st->n_servers = n;
  st->issuing = true;
  for (int i = 0; i < n; i++) {
    struct dns_server_result *s = &st->servers[i];
    struct dns_answer *qs[2] = {&s->a, &s->aaaa};
    nc_strlcpy(s->server, servers[i], sizeof s->server);
    s->a.type = DNS_TYPE_A;
    s->aaaa.type = DNS_TYPE_AAAA;
    for (int k = 0; k < 2; k++) {
      qs[k]->rcode = -1;
      qs[k]->latency_ms = -1;
      qs[k]->result = DNS_RES_PENDING;
      st->pending++;
      /* c-ares retries inside the probe's whole budget. */
      if (engine_dns_query(p->eng, p, s->server, p->target, qs[k]->type, p->timeout_ms,
                           dns_on_answer, qs[k])) {
        qs[k]->result = DNS_RES_ERROR;
        st->pending--;
      } else {
        sent++;
      }
    }
  }
  st->issuing = false;
  if (sent == 0)
    return -1; /* no query could even be sent: an internal error, not a DNS finding */
  if (st->pending == 0)
    dns_conclude(p);
  return 0;
}

static void dns_on_timeout(struct probe *p) {
  /* Pending queries count as timeouts; answers already in still count. */
  if (p->priv)
    dns_conclude(p);
}

static void dns_cleanup(struct probe *p) {
  free(p->priv);
  p->priv = NULL;
}

static const struct probe_ops dns_ops = {
    .family = "dns",
    .flags = 0,
    .start = dns_start,
    .on_event = NULL,
    .on_timer = NULL,
    .on_timeout = dns_on_timeout,
    .cleanup = dns_cleanup,
};

int dns_plan(struct plan *pl, const struct nc_config *cfg) {
  char(*names)[NC_HOST_MAX];
  int n;
  if (cfg->skip[NC_FAM_DNS])
    return 0;
  names = calloc(DNS_MAX_NAMES, sizeof *names);
  if (!names)
    return -1;
  n = dns_plan_names(cfg, names, DNS_MAX_NAMES);
  for (int i = 0; i < n; i++) {
    char id[sizeof pl->head->id];
    nc_snprintf(id, sizeof id, "dns:%s", names[i]);
    if (!plan_add(pl, cfg, &dns_ops, id, names[i], NULL, cfg->expect[NC_FAM_DNS],
                  cfg->timeout_ms)) {
      free(names);
      return -1;
    }
  }
  free(names);
  return 0;
}
