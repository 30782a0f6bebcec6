/*
 * test_dns.c - the dns probe's pure steps: classifying raw answers, the
 * hosts file, judging several servers, wording, and which names are planned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ares.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/dns.h"
#include "netcheck/probe.h"

/* ---- building DNS responses ---- */

struct pkt {
  unsigned char b[2048];
  int len;
};

static void put8(struct pkt *p, unsigned v) { p->b[p->len++] = (unsigned char)v; }
static void put16(struct pkt *p, unsigned v) {
  put8(p, (v >> 8) & 0xff);
  put8(p, v & 0xff);
}
static void put32(struct pkt *p, unsigned long v) {
  put16(p, (unsigned)(v >> 16) & 0xffff);
  put16(p, (unsigned)v & 0xffff);
}
static void put_name(struct pkt *p, const char *name) {
  while (*name) {
    size_t n = strcspn(name, ".");
    put8(p, (unsigned)n);
    memcpy(p->b + p->len, name, n);
    p->len += (int)n;
    name += n;
    if (*name == '.')
      name++;
  }
  put8(p, 0);
}

/* Header and question; answers are appended by the callers. */
static void pkt_start(struct pkt *p, const char *qname, int qtype, int rcode, int ancount) {
  memset(p, 0, sizeof *p);
  put16(p, 0x1234);
  put16(p, 0x8180 | (unsigned)rcode); /* QR, RD, RA */
  put16(p, 1);
  put16(p, (unsigned)ancount);
  put16(p, 0);
  put16(p, 0);
  put_name(p, qname);
  put16(p, (unsigned)qtype);
  put16(p, 1);
}

/* An answer record owned by the question name (compression pointer). */
static void pkt_addr(struct pkt *p, int type, const char *text) {
  unsigned char bytes[16];
  int fam = type == DNS_TYPE_A ? AF_INET : AF_INET6, len = fam == AF_INET ? 4 : 16;
  assert_int_equal(inet_pton(fam, text, bytes), 1);
  put16(p, 0xc00c);
  put16(p, (unsigned)type);
  put16(p, 1);
  put32(p, 60);
  put16(p, (unsigned)len);
  memcpy(p->b + p->len, bytes, (size_t)len);
  p->len += len;
}

static struct dns_answer parse(int type, int status, const struct pkt *p) {
  struct dns_answer q;
  memset(&q, 0, sizeof q);
  q.type = type;
  dns_parse_answer(status, p ? p->b : NULL, p ? p->len : 0, &q);
  return q;
}

/* ---- dns_parse_answer ---- */

static void test_a_answer_gives_every_address(void **state) {
  struct pkt p;
  struct dns_answer q;
  (void)state;
  pkt_start(&p, "s3.us-east-1.amazonaws.com", DNS_TYPE_A, 0, 2);
  pkt_addr(&p, DNS_TYPE_A, "198.19.1.10");
  pkt_addr(&p, DNS_TYPE_A, "198.19.1.11");
  q = parse(DNS_TYPE_A, ARES_SUCCESS, &p);
  assert_int_equal(q.result, DNS_RES_ANSWER);
  assert_int_equal(q.rcode, 0);
  assert_int_equal(q.n, 2);
  assert_string_equal(q.addrs[0].text, "198.19.1.10");
  assert_string_equal(q.addrs[1].text, "198.19.1.11");
  assert_int_equal(q.addrs[0].family, AF_INET);
}

static void test_aaaa_answer_gives_ipv6_addresses(void **state) {
  struct pkt p;
  struct dns_answer q;
  (void)state;
  pkt_start(&p, "pypi.org", DNS_TYPE_AAAA, 0, 1);
  pkt_addr(&p, DNS_TYPE_AAAA, "2001:db8::5");
  q = parse(DNS_TYPE_AAAA, ARES_SUCCESS, &p);
  assert_int_equal(q.result, DNS_RES_ANSWER);
  assert_int_equal(q.n, 1);
  assert_string_equal(q.addrs[0].text, "2001:db8::5");
  assert_int_equal(q.addrs[0].family, AF_INET6);
}

static void test_noerror_without_records_is_nodata(void **state) {
  struct pkt p;
  struct dns_answer q;
  (void)state;
  pkt_start(&p, "s3.us-east-1.amazonaws.com", DNS_TYPE_AAAA, 0, 0);
  /* c-ares' query layer reports ENODATA for this; the header decides. */
  q = parse(DNS_TYPE_AAAA, ARES_ENODATA, &p);
  assert_int_equal(q.result, DNS_RES_NODATA);
  assert_int_equal(q.rcode, 0);
  assert_int_equal(q.n, 0);
}

static void test_rcode_comes_from_the_header(void **state) {
  struct pkt p;
  (void)state;
  pkt_start(&p, "nope.amazonaws.com", DNS_TYPE_A, 3, 0);
  /* ares_send() reports success for any response: the rcode still counts. */
  assert_int_equal(parse(DNS_TYPE_A, ARES_SUCCESS, &p).result, DNS_RES_NXDOMAIN);
  assert_int_equal(parse(DNS_TYPE_A, ARES_SUCCESS, &p).rcode, 3);
  pkt_start(&p, "x.amazonaws.com", DNS_TYPE_A, 2, 0);
  assert_int_equal(parse(DNS_TYPE_A, ARES_SUCCESS, &p).result, DNS_RES_SERVFAIL);
  pkt_start(&p, "x.amazonaws.com", DNS_TYPE_A, 5, 0);
  assert_int_equal(parse(DNS_TYPE_A, ARES_SUCCESS, &p).result, DNS_RES_REFUSED);
  pkt_start(&p, "x.amazonaws.com", DNS_TYPE_A, 4, 0);
  assert_int_equal(parse(DNS_TYPE_A, ARES_SUCCESS, &p).result, DNS_RES_ERROR);
}

static void test_cname_chain_is_followed(void **state) {
  struct pkt p;
  struct dns_answer q;
  int mark;
  (void)state;
  pkt_start(&p, "bucket.s3.us-east-1.amazonaws.com", DNS_TYPE_A, 0, 2);
  put16(&p, 0xc00c);
  put16(&p, 5); /* CNAME */
  put16(&p, 1);
  put32(&p, 60);
  put16(&p, 0); /* rdlength, set below */
  mark = p.len;
  put_name(&p, "s3-1-w.amazonaws.com");
  p.b[mark - 2] = 0;
  p.b[mark - 1] = (unsigned char)(p.len - mark);
  put_name(&p, "s3-1-w.amazonaws.com");
  put16(&p, DNS_TYPE_A);
  put16(&p, 1);
  put32(&p, 60);
  put16(&p, 4);
  put32(&p, 0xc6130105UL); /* 198.19.1.5 */
  q = parse(DNS_TYPE_A, ARES_SUCCESS, &p);
  assert_int_equal(q.result, DNS_RES_ANSWER);
  assert_int_equal(q.n, 1);
  assert_string_equal(q.addrs[0].text, "198.19.1.5");
}

static void test_record_past_the_end_is_an_error(void **state) {
  struct pkt p;
  struct dns_answer q;
  (void)state;
  pkt_start(&p, "s3.us-east-1.amazonaws.com", DNS_TYPE_A, 0, 1);
  pkt_addr(&p, DNS_TYPE_A, "198.19.1.10");
  p.len -= 3; /* rdata cut short */
  q = parse(DNS_TYPE_A, ARES_SUCCESS, &p);
  assert_int_equal(q.result, DNS_RES_ERROR);
  assert_int_equal(q.n, 0);
}

static void test_short_buffer_is_an_error(void **state) {
  struct pkt p;
  (void)state;
  pkt_start(&p, "a.b", DNS_TYPE_A, 0, 0);
  p.len = 11;
  assert_int_equal(parse(DNS_TYPE_A, ARES_SUCCESS, &p).result, DNS_RES_ERROR);
  assert_int_equal(parse(DNS_TYPE_A, ARES_SUCCESS, &p).rcode, -1);
}

static void test_addresses_are_capped(void **state) {
  struct pkt p;
  struct dns_answer q;
  char text[32];
  (void)state;
  pkt_start(&p, "many.example", DNS_TYPE_A, 0, NC_MAX_ADDRS + 8);
  for (int i = 0; i < NC_MAX_ADDRS + 8; i++) {
    snprintf(text, sizeof text, "198.19.2.%d", i + 1);
    pkt_addr(&p, DNS_TYPE_A, text);
  }
  q = parse(DNS_TYPE_A, ARES_SUCCESS, &p);
  assert_int_equal(q.result, DNS_RES_ANSWER);
  assert_int_equal(q.n, NC_MAX_ADDRS);
}

static void test_status_without_response_is_classified(void **state) {
  (void)state;
  assert_int_equal(parse(DNS_TYPE_A, ARES_ETIMEOUT, NULL).result, DNS_RES_TIMEOUT);
  assert_int_equal(parse(DNS_TYPE_A, ARES_ECONNREFUSED, NULL).result, DNS_RES_UNREACHABLE);
  assert_int_equal(parse(DNS_TYPE_A, ARES_ENOTFOUND, NULL).result, DNS_RES_NXDOMAIN);
  assert_int_equal(parse(DNS_TYPE_A, ARES_ESERVFAIL, NULL).result, DNS_RES_SERVFAIL);
  assert_int_equal(parse(DNS_TYPE_A, ARES_EBADRESP, NULL).result, DNS_RES_ERROR);
  assert_int_equal(parse(DNS_TYPE_A, ARES_SUCCESS, NULL).result, DNS_RES_ERROR);
  assert_int_equal(parse(DNS_TYPE_A, ARES_ETIMEOUT, NULL).rcode, -1);
}

/* ---- resolve_hosts_lookup ---- */

static const char hosts_file[] = "# static names\n"
                                 "127.0.0.1\tlocalhost\n"
                                 "198.18.0.10  S3.us-east-1.amazonaws.com  s3 # endpoint\n"
                                 "2001:db8::10 s3.us-east-1.amazonaws.com.\n"
                                 "not-an-ip s3.us-east-1.amazonaws.com\n"
                                 "198.18.0.10 s3.us-east-1.amazonaws.com\n"
                                 "# 198.18.0.99 s3.us-east-1.amazonaws.com\n"
                                 "198.18.0.11 algo-1";

static void test_hosts_file_gives_every_address_once(void **state) {
  struct nc_addrs a;
  (void)state;
  memset(&a, 0, sizeof a);
  assert_int_equal(
      resolve_hosts_lookup(hosts_file, strlen(hosts_file), "s3.us-east-1.amazonaws.com", &a), 2);
  assert_string_equal(a.a[0].text, "198.18.0.10");
  assert_string_equal(a.a[1].text, "2001:db8::10");
  assert_int_equal(a.a[1].family, AF_INET6);
  assert_string_equal(a.source, "hosts");
}

static void test_hosts_file_ignores_comments_and_substrings(void **state) {
  struct nc_addrs a;
  (void)state;
  memset(&a, 0, sizeof a);
  assert_int_equal(
      resolve_hosts_lookup(hosts_file, strlen(hosts_file), "us-east-1.amazonaws.com", &a), 0);
  assert_int_equal(resolve_hosts_lookup(hosts_file, strlen(hosts_file), "endpoint", &a), 0);
  assert_int_equal(resolve_hosts_lookup(hosts_file, strlen(hosts_file), "static", &a), 0);
  assert_string_equal(a.source, "");
}

static void test_hosts_file_last_line_needs_no_newline(void **state) {
  struct nc_addrs a;
  (void)state;
  memset(&a, 0, sizeof a);
  assert_int_equal(resolve_hosts_lookup(hosts_file, strlen(hosts_file), "ALGO-1.", &a), 1);
  assert_string_equal(a.a[0].text, "198.18.0.11");
}

static void test_hosts_file_is_read_within_its_length(void **state) {
  char buf[] = "198.18.0.12 peer-2XXXXXXXXX";
  struct nc_addrs a;
  (void)state;
  memset(&a, 0, sizeof a);
  /* Not NUL-terminated where the length stops. */
  assert_int_equal(resolve_hosts_lookup(buf, strlen("198.18.0.12 peer-2"), "peer-2", &a), 1);
}

/* ---- dns_evaluate ---- */

static void set_answer(struct dns_answer *q, int type, enum dns_result r, const char *addr,
                       double ms) {
  memset(q, 0, sizeof *q);
  q->type = type;
  q->result = r;
  q->rcode = r == DNS_RES_TIMEOUT || r == DNS_RES_PENDING ? -1 : 0;
  q->latency_ms = ms;
  if (addr) {
    q->n = 1;
    q->addrs[0].family = type == DNS_TYPE_A ? AF_INET : AF_INET6;
    inet_pton(q->addrs[0].family, addr, q->addrs[0].bytes);
    snprintf(q->addrs[0].text, sizeof q->addrs[0].text, "%s", addr);
  }
}

static void set_server(struct dns_server_result *s, const char *server, enum dns_result a,
                       const char *addr, enum dns_result aaaa) {
  memset(s, 0, sizeof *s);
  snprintf(s->server, sizeof s->server, "%s", server);
  set_answer(&s->a, DNS_TYPE_A, a, addr, 3.2);
  set_answer(&s->aaaa, DNS_TYPE_AAAA, aaaa, NULL, 2.0);
}

static void test_a_answer_with_aaaa_nodata_passes(void **state) {
  struct dns_server_result s[1];
  struct dns_eval ev;
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_ANSWER, "198.19.1.10", DNS_RES_NODATA);
  dns_evaluate(s, 1, &ev);
  assert_true(ev.resolved);
  assert_int_equal(ev.answer_server, 0);
  assert_int_equal(ev.fail_server, -1);
  assert_int_equal(ev.code, NC_OK);
}

static void test_nxdomain_outranks_timeout(void **state) {
  struct dns_server_result s[2];
  struct dns_eval ev;
  (void)state;
  set_server(&s[0], "198.18.0.3:53", DNS_RES_TIMEOUT, NULL, DNS_RES_TIMEOUT);
  set_server(&s[1], "198.18.0.2:53", DNS_RES_NXDOMAIN, NULL, DNS_RES_NXDOMAIN);
  dns_evaluate(s, 2, &ev);
  assert_false(ev.resolved);
  assert_int_equal(ev.fail_server, 1);
  assert_int_equal(ev.worst, DNS_RES_NXDOMAIN);
  assert_int_equal(ev.code, NC_DNS_NXDOMAIN);
}

static void test_servfail_outranks_timeout(void **state) {
  struct dns_server_result s[2];
  struct dns_eval ev;
  (void)state;
  set_server(&s[0], "198.18.0.3:53", DNS_RES_TIMEOUT, NULL, DNS_RES_TIMEOUT);
  set_server(&s[1], "198.18.0.2:53", DNS_RES_SERVFAIL, NULL, DNS_RES_SERVFAIL);
  dns_evaluate(s, 2, &ev);
  assert_int_equal(ev.code, NC_DNS_SERVFAIL);
  assert_int_equal(ev.fail_server, 1);
}

static void test_one_server_failing_while_another_answers_is_reported(void **state) {
  struct dns_server_result s[2];
  struct dns_eval ev;
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_ANSWER, "198.19.1.10", DNS_RES_NODATA);
  set_server(&s[1], "198.18.0.3:53", DNS_RES_TIMEOUT, NULL, DNS_RES_TIMEOUT);
  dns_evaluate(s, 2, &ev);
  assert_true(ev.resolved);
  assert_int_equal(ev.answer_server, 0);
  assert_int_equal(ev.fail_server, 1);
  assert_int_equal(ev.code, NC_DNS_TIMEOUT);
}

static void test_both_families_nodata_is_a_missing_name(void **state) {
  struct dns_server_result s[1];
  struct dns_eval ev;
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_NODATA, NULL, DNS_RES_NODATA);
  dns_evaluate(s, 1, &ev);
  assert_false(ev.resolved);
  assert_int_equal(ev.worst, DNS_RES_NODATA);
  assert_int_equal(ev.code, NC_DNS_NXDOMAIN);
}

static void test_nodata_does_not_hide_a_timeout(void **state) {
  struct dns_server_result s[1];
  struct dns_eval ev;
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_TIMEOUT, NULL, DNS_RES_NODATA);
  dns_evaluate(s, 1, &ev);
  assert_int_equal(ev.worst, DNS_RES_TIMEOUT);
  assert_int_equal(ev.code, NC_DNS_TIMEOUT);
}

static void test_pending_query_counts_as_timeout(void **state) {
  struct dns_server_result s[1];
  struct dns_eval ev;
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_PENDING, NULL, DNS_RES_PENDING);
  dns_evaluate(s, 1, &ev);
  assert_int_equal(ev.worst, DNS_RES_TIMEOUT);
  assert_int_equal(ev.code, NC_DNS_TIMEOUT);
}

/* A name whose A query returned addresses is resolved: an odd AAAA answer
 * beside it is a note about the server, not a problem of the name. */
static void test_a_answer_with_aaaa_error_resolves_and_notes_the_server(void **state) {
  static const enum dns_result odd[] = {DNS_RES_NXDOMAIN, DNS_RES_SERVFAIL, DNS_RES_REFUSED,
                                        DNS_RES_TIMEOUT};
  struct dns_server_result s[1];
  struct dns_eval ev;
  enum dns_result r;
  (void)state;
  for (size_t i = 0; i < NC_ARRAY_LEN(odd); i++) {
    set_server(&s[0], "198.18.0.3:53", DNS_RES_ANSWER, "198.19.1.10", odd[i]);
    dns_evaluate(s, 1, &ev);
    assert_true(ev.resolved);
    assert_int_equal(ev.fail_server, -1);
    assert_int_equal(ev.code, NC_OK);
    assert_true(dns_aaaa_note(&s[0], &r));
    assert_int_equal(r, odd[i]);
  }
  set_server(&s[0], "198.18.0.2:53", DNS_RES_ANSWER, "198.19.1.10", DNS_RES_NODATA);
  assert_false(dns_aaaa_note(&s[0], &r));
}

static void test_aaaa_answer_with_a_failing_is_a_problem(void **state) {
  struct dns_server_result s[1];
  struct dns_eval ev;
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_SERVFAIL, NULL, DNS_RES_NODATA);
  set_answer(&s[0].aaaa, DNS_TYPE_AAAA, DNS_RES_ANSWER, "2001:db8::1", 1);
  dns_evaluate(s, 1, &ev);
  assert_true(ev.resolved);
  assert_int_equal(ev.fail_server, 0);
  assert_int_equal(ev.code, NC_DNS_SERVFAIL);
}

static void test_refused_has_its_own_code(void **state) {
  struct dns_server_result s[1];
  struct dns_eval ev;
  (void)state;
  set_server(&s[0], "198.18.0.3:53", DNS_RES_REFUSED, NULL, DNS_RES_REFUSED);
  dns_evaluate(s, 1, &ev);
  assert_false(ev.resolved);
  assert_int_equal(ev.code, NC_DNS_REFUSED);
  assert_int_equal(dns_result_code(DNS_RES_SERVFAIL), NC_DNS_SERVFAIL);
}

static void test_no_server_is_no_resolver(void **state) {
  struct dns_eval ev;
  (void)state;
  dns_evaluate(NULL, 0, &ev);
  assert_false(ev.resolved);
  assert_int_equal(ev.code, NC_DNS_NO_RESOLVER);
}

static void test_collected_addresses_are_distinct(void **state) {
  struct dns_server_result s[2];
  struct nc_addrs all;
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_ANSWER, "198.19.1.10", DNS_RES_NODATA);
  set_server(&s[1], "198.18.0.3:53", DNS_RES_ANSWER, "198.19.1.10", DNS_RES_NODATA);
  set_answer(&s[1].aaaa, DNS_TYPE_AAAA, DNS_RES_ANSWER, "2001:db8::1", 1);
  dns_collect_addrs(s, 2, &all);
  assert_int_equal(all.n, 2);
  assert_string_equal(all.a[0].text, "198.19.1.10");
  assert_string_equal(all.a[1].text, "2001:db8::1");
  assert_string_equal(all.source, "dns");
}

/* ---- wording ---- */

static void test_message_names_address_class_and_latency(void **state) {
  struct dns_server_result s[1];
  struct dns_eval ev;
  char msg[512];
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_ANSWER, "198.19.1.10", DNS_RES_NODATA);
  dns_evaluate(s, 1, &ev);
  assert_int_equal(
      dns_message("s3.us-east-1.amazonaws.com", s, 1, &ev, "outside", 5000, msg, sizeof msg), 0);
  assert_string_equal(msg, "s3.us-east-1.amazonaws.com resolved to 198.19.1.10 (outside the VPC: "
                           "gateway endpoint or internet) in 3 ms");
}

static void test_message_names_the_failing_server(void **state) {
  struct dns_server_result s[2];
  struct dns_eval ev;
  char msg[512];
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_ANSWER, "198.18.0.20", DNS_RES_NODATA);
  set_server(&s[1], "198.18.0.3:53", DNS_RES_TIMEOUT, NULL, DNS_RES_TIMEOUT);
  dns_evaluate(s, 2, &ev);
  dns_message("sts.us-east-1.amazonaws.com", s, 2, &ev, "inside_vpc", 5000, msg, sizeof msg);
  assert_string_equal(msg, "sts.us-east-1.amazonaws.com resolved to 198.18.0.20 (inside the VPC: "
                           "interface endpoint) via 198.18.0.2:53 in 3 ms, but nameserver "
                           "198.18.0.3:53 did not answer the A and AAAA queries within 5000 ms");
}

static void test_message_for_nxdomain(void **state) {
  struct dns_server_result s[1];
  struct dns_eval ev;
  char msg[512];
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_NXDOMAIN, NULL, DNS_RES_NXDOMAIN);
  dns_evaluate(s, 1, &ev);
  dns_message("s3.us-east-1.amazonaws.com", s, 1, &ev, NULL, 5000, msg, sizeof msg);
  assert_string_equal(msg, "s3.us-east-1.amazonaws.com did not resolve: nameserver 198.18.0.2:53 "
                           "answered the A and AAAA queries with NXDOMAIN (no such name)");
}

static void test_message_treats_one_dead_server_as_one_finding(void **state) {
  struct dns_server_result s[2];
  struct dns_eval ev;
  char msg[512];
  (void)state;
  set_server(&s[0], "198.18.0.2:53", DNS_RES_SERVFAIL, NULL, DNS_RES_SERVFAIL);
  set_server(&s[1], "198.18.0.9:53", DNS_RES_TIMEOUT, NULL, DNS_RES_UNREACHABLE);
  dns_evaluate(s, 2, &ev);
  assert_int_equal(ev.fail_server, 0);
  set_server(&s[0], "198.18.0.2:53", DNS_RES_TIMEOUT, NULL, DNS_RES_TIMEOUT);
  dns_evaluate(s, 2, &ev);
  assert_int_equal(ev.fail_server, 1);
  assert_int_equal(ev.code, NC_DNS_TIMEOUT);
  dns_message("pypi.org", s, 2, &ev, NULL, 5000, msg, sizeof msg);
  assert_string_equal(msg, "pypi.org did not resolve: nameserver 198.18.0.9:53 refused or "
                           "dropped the A and AAAA queries (port unreachable, or a TCP connection "
                           "closed without an answer) (both nameservers failed)");
}

static void test_message_without_nameserver(void **state) {
  struct dns_eval ev;
  char msg[512];
  (void)state;
  dns_evaluate(NULL, 0, &ev);
  dns_message("pypi.org", NULL, 0, &ev, NULL, 5000, msg, sizeof msg);
  assert_non_null(strstr(msg, "no nameserver configured"));
}

static void test_remediation_for_aws_names_points_at_amazon_dns(void **state) {
  char fix[1536];
  (void)state;
  dns_remediation("s3.us-east-1.amazonaws.com", "us-east-1", DNS_RES_NXDOMAIN, fix, sizeof fix);
  assert_string_equal(fix, "the VPC's resolver cannot resolve AWS names: use the "
                           "AmazonProvidedDNS (VPC CIDR base +2) or forward amazonaws.com to it; "
                           "check the DHCP options set and enableDnsSupport");
}

static void test_remediation_for_bucket_names_mentions_the_wildcard(void **state) {
  char fix[1536];
  (void)state;
  dns_remediation("nc-input-bucket.s3.us-east-1.amazonaws.com", "us-east-1", DNS_RES_NXDOMAIN, fix,
                  sizeof fix);
  assert_non_null(strstr(fix, "*.s3.us-east-1.amazonaws.com"));
}

/* China's names end in amazonaws.com.cn; FIPS bucket names are bucket names too. */
static void test_remediation_follows_the_partition(void **state) {
  char fix[1536];
  (void)state;
  dns_remediation("b-1.s3.cn-north-1.amazonaws.com.cn", "cn-north-1", DNS_RES_NXDOMAIN, fix,
                  sizeof fix);
  assert_non_null(strstr(fix, "forward amazonaws.com.cn to it"));
  assert_non_null(strstr(fix, "*.s3.cn-north-1.amazonaws.com.cn"));
  dns_remediation("b-1.s3-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1", DNS_RES_NXDOMAIN, fix,
                  sizeof fix);
  assert_non_null(strstr(fix, "*.s3-fips.us-gov-west-1.amazonaws.com"));
}

static void test_remediation_for_other_names_names_them(void **state) {
  char fix[1536];
  (void)state;
  dns_remediation("pypi.org", "us-east-1", DNS_RES_NXDOMAIN, fix, sizeof fix);
  assert_non_null(strstr(fix, "cannot resolve pypi.org"));
  dns_remediation("pypi.org", "us-east-1", DNS_RES_TIMEOUT, fix, sizeof fix);
  assert_non_null(strstr(fix, "port 53"));
  dns_remediation("pypi.org", "us-east-1", DNS_RES_ANSWER, fix, sizeof fix);
  assert_string_equal(fix, "");
}

static void test_class_phrases(void **state) {
  (void)state;
  assert_string_equal(dns_class_phrase("inside_vpc"), "inside the VPC: interface endpoint");
  assert_string_equal(dns_class_phrase("outside"), "outside the VPC: gateway endpoint or internet");
  assert_string_equal(dns_class_phrase("link_local"), "link-local");
}

/* ---- names: planned from the probes that resolve them ---- */

static struct nc_config *base_config(void) {
  struct nc_config *cfg = calloc(1, sizeof *cfg);
  assert_non_null(cfg);
  snprintf(cfg->region, sizeof cfg->region, "us-east-1");
  snprintf(cfg->locations[0].bucket, sizeof cfg->locations[0].bucket, "nc-input-bucket");
  snprintf(cfg->locations[1].bucket, sizeof cfg->locations[1].bucket, "nc-output-bucket");
  cfg->n_locations = 2;
  snprintf(cfg->egress_targets[0], NC_HOST_MAX, "pypi.org");
  cfg->n_egress_targets = 1;
  cfg->timeout_ms = 5000;
  cfg->connect_timeout_ms = 3000;
  return cfg;
}

static void skip_family(struct nc_config *cfg, const char *family) {
  snprintf(cfg->skips[cfg->n_skips], NC_KEY_MAX, "%s", family);
  cfg->skip_source[cfg->n_skips++] = NC_SRC_FLAG;
}

/* Skips each family of a space-separated list. */
static void skip_families(struct nc_config *cfg, const char *families) {
  char name[NC_KEY_MAX];
  for (const char *f = families; *f; f += strspn(f, " ")) {
    size_t len = strcspn(f, " ");
    nc_snprintf(name, sizeof name, "%.*s", (int)len, f);
    skip_family(cfg, name);
    f += len;
  }
}

static void expect_key(struct nc_config *cfg, const char *key, enum nc_expect e) {
  struct nc_expectation *x = &cfg->expectations[cfg->n_expectations++];
  snprintf(x->key, sizeof x->key, "%s", key);
  x->expect = e;
  x->source = NC_SRC_ENV;
}

static struct plan plan;

static void free_plan(struct nc_config *cfg) {
  plan_free(&plan);
  free(cfg);
}

/* The dns probes of cfg's whole plan, in report order. */
static int dns_probes(const struct nc_config *cfg, const struct probe **out, int max) {
  char err[256];
  int n = 0;
  plan_free(&plan);
  assert_int_equal(plan_build(&plan, cfg, err, sizeof err), 0);
  for (const struct probe *p = plan.head; p; p = p->next)
    if (!strcmp(p->kind, "dns") && n < max)
      out[n++] = p;
  return n;
}

static void test_plan_names_cover_every_later_probe(void **state) {
  /* The names the job needs first (its buckets, the regional name of the
   * clock), then the repositories (policy), then the facts. */
  static const char *const want[] = {"nc-input-bucket.s3.us-east-1.amazonaws.com",
                                     "nc-output-bucket.s3.us-east-1.amazonaws.com",
                                     "s3.us-east-1.amazonaws.com",
                                     "repo.us-east-1.amazonaws.com",
                                     "packages.us-east-1.amazonaws.com",
                                     "amazonlinux.us-east-1.amazonaws.com",
                                     "amazonlinux-2-repos-us-east-1.s3.us-east-1.amazonaws.com",
                                     "al2023-repos-us-east-1-de612dc2.s3.us-east-1.amazonaws.com",
                                     "pypi.org",
                                     "sts.us-east-1.amazonaws.com",
                                     "logs.us-east-1.amazonaws.com",
                                     "monitoring.us-east-1.amazonaws.com",
                                     "api.ecr.us-east-1.amazonaws.com",
                                     "api.sagemaker.us-east-1.amazonaws.com"};
  struct nc_config *cfg = base_config();
  const struct probe *d[DNS_MAX_NAMES];
  int n = dns_probes(cfg, d, DNS_MAX_NAMES);
  (void)state;
  assert_int_equal(n, (int)NC_ARRAY_LEN(want));
  for (int i = 0; i < n; i++)
    assert_string_equal(d[i]->target, want[i]);
  free_plan(cfg);
}

/* DNS follows its users: the tier and expectation of the probes that use a name. */
static void test_dns_takes_the_tier_of_its_users(void **state) {
  struct nc_config *cfg = base_config();
  const struct probe *d[DNS_MAX_NAMES];
  int n = dns_probes(cfg, d, DNS_MAX_NAMES);
  (void)state;
  assert_int_equal(d[0]->tier, NC_TIER_REQUIRED); /* a bucket */
  assert_int_equal(d[0]->expect, NC_EXPECT_REACHABLE);
  assert_int_equal(d[2]->tier, NC_TIER_REQUIRED); /* regional: clock and repos */
  assert_int_equal(d[3]->tier, NC_TIER_POLICY);   /* repo.REGION: expected blocked */
  assert_int_equal(d[3]->expect, NC_EXPECT_ANY);
  assert_int_equal(d[8]->tier, NC_TIER_INFORMATIONAL); /* pypi.org: egress */
  assert_int_equal(d[8]->expect, NC_EXPECT_REACHABLE);
  assert_string_equal(d[8]->expect_source, "derived");
  /* A fact gets the connect budget as its whole budget. */
  assert_int_equal(d[8]->timeout_ms, 3000);
  assert_int_equal(d[0]->timeout_ms, 5000);
  assert_int_equal(n, 14);
  free_plan(cfg);
}

static void test_dns_of_a_target_expected_blocked_is_not_expected_to_resolve(void **state) {
  struct nc_config *cfg = base_config();
  const struct probe *d[DNS_MAX_NAMES];
  int n;
  (void)state;
  expect_key(cfg, "egress", NC_EXPECT_BLOCKED);
  expect_key(cfg, "sts", NC_EXPECT_REACHABLE);
  n = dns_probes(cfg, d, DNS_MAX_NAMES);
  for (int i = 0; i < n; i++) {
    if (!strcmp(d[i]->target, "pypi.org")) {
      assert_int_equal(d[i]->expect, NC_EXPECT_ANY);
      assert_int_equal(d[i]->tier, NC_TIER_REQUIRED); /* egress became required */
    }
    if (!strcmp(d[i]->target, "sts.us-east-1.amazonaws.com")) {
      assert_int_equal(d[i]->expect, NC_EXPECT_REACHABLE);
      assert_int_equal(d[i]->tier, NC_TIER_REQUIRED);
      assert_int_equal(d[i]->connect_ms, 0);
    }
    if (!strcmp(d[i]->target, "logs.us-east-1.amazonaws.com"))
      assert_int_equal(d[i]->tier, NC_TIER_INFORMATIONAL);
  }
  free_plan(cfg);
}

/* "pypi.org" names the egress probe; the dns probe follows it. */
static void test_a_target_key_does_not_name_its_dns_probe(void **state) {
  struct nc_config *cfg = base_config();
  const struct probe *d[DNS_MAX_NAMES];
  int n;
  (void)state;
  expect_key(cfg, "pypi.org", NC_EXPECT_BLOCKED);
  n = dns_probes(cfg, d, DNS_MAX_NAMES);
  for (int i = 0; i < n; i++)
    if (!strcmp(d[i]->target, "pypi.org"))
      assert_int_equal(d[i]->expect, NC_EXPECT_ANY);
  for (const struct probe *p = plan.head; p; p = p->next)
    if (!strcmp(p->id, "egress:pypi.org")) {
      assert_int_equal(p->expect, NC_EXPECT_BLOCKED);
      assert_int_equal(p->tier, NC_TIER_REQUIRED);
    }
  free_plan(cfg);
}

static void test_plan_names_follow_skipped_families(void **state) {
  struct nc_config *cfg = base_config();
  const struct probe *d[DNS_MAX_NAMES];
  int n;
  (void)state;
  skip_families(cfg, "s3 aws repo egress");
  n = dns_probes(cfg, d, DNS_MAX_NAMES);
  assert_int_equal(n, 1);
  assert_string_equal(d[0]->target, "s3.us-east-1.amazonaws.com");
  free_plan(cfg);
}

static void test_plan_names_take_hosts_from_targets(void **state) {
  struct nc_config *cfg = base_config();
  const struct probe *d[DNS_MAX_NAMES];
  int n;
  (void)state;
  skip_families(cfg, "s3 aws repo");
  snprintf(cfg->egress_targets[1], NC_HOST_MAX, "https://files.pythonhosted.org:443/simple");
  snprintf(cfg->egress_targets[2], NC_HOST_MAX, "https://198.19.5.5/");
  snprintf(cfg->egress_targets[3], NC_HOST_MAX, "https://[2001:db8::1]/");
  snprintf(cfg->egress_targets[4], NC_HOST_MAX, "PyPI.org");
  cfg->n_egress_targets = 5;
  snprintf(cfg->tcp_targets[0], NC_HOST_MAX, "db.internal:5432");
  cfg->n_tcp_targets = 1;
  n = dns_probes(cfg, d, DNS_MAX_NAMES);
  assert_int_equal(n, 4);
  assert_string_equal(d[0]->target, "s3.us-east-1.amazonaws.com");
  assert_string_equal(d[1]->target, "pypi.org");
  assert_string_equal(d[2]->target, "files.pythonhosted.org");
  assert_string_equal(d[3]->target, "db.internal");
  free_plan(cfg);
}

/* A bucket the plan cannot name directly (not a DNS name, or dotted, which
 * virtual-hosted TLS cannot cover) leaves its name to the regional one. */
static void assert_bucket_left_to_the_regional_name(const char *bucket) {
  struct nc_config *cfg = base_config();
  const struct probe *d[DNS_MAX_NAMES];
  int n;
  skip_families(cfg, "aws repo egress");
  snprintf(cfg->locations[1].bucket, sizeof cfg->locations[1].bucket, "%s", bucket);
  n = dns_probes(cfg, d, DNS_MAX_NAMES);
  assert_int_equal(n, 2);
  assert_string_equal(d[0]->target, "nc-input-bucket.s3.us-east-1.amazonaws.com");
  assert_string_equal(d[1]->target, "s3.us-east-1.amazonaws.com");
  free_plan(cfg);
}

static void test_plan_names_skip_invalid_names(void **state) {
  (void)state;
  assert_bucket_left_to_the_regional_name("bad name;rm");
}

static void test_plan_names_leave_dotted_buckets_to_the_regional_name(void **state) {
  (void)state;
  assert_bucket_left_to_the_regional_name("my.dotted.bucket");
}

static void test_plan_is_empty_when_dns_is_skipped(void **state) {
  struct nc_config *cfg = base_config();
  const struct probe *d[DNS_MAX_NAMES];
  (void)state;
  skip_family(cfg, "dns");
  assert_int_equal(dns_probes(cfg, d, DNS_MAX_NAMES), 0);
  free_plan(cfg);
}

static void test_dns_probes_need_no_credentials(void **state) {
  struct nc_config *cfg = base_config();
  const struct probe *d[DNS_MAX_NAMES] = {0};
  (void)state;
  assert_true(dns_probes(cfg, d, DNS_MAX_NAMES) > 0);
  if (!d[0]) { /* what assert_non_null checks, in a form clang-analyzer follows */
    fail_msg("no dns probe");
    return;
  }
  assert_int_equal(d[0]->ops->flags & NC_PROBE_NEEDS_CREDS, 0);
  assert_string_equal(d[0]->id, "dns:nc-input-bucket.s3.us-east-1.amazonaws.com");
  free_plan(cfg);
}

/* Runs last: no remediation above left a slot of its fix template unfilled. */
static void test_no_fix_left_a_slot_unfilled(void **state) {
  (void)state;
  assert_int_equal(diag_fix_unfilled(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_answer_gives_every_address),
      cmocka_unit_test(test_aaaa_answer_gives_ipv6_addresses),
      cmocka_unit_test(test_noerror_without_records_is_nodata),
      cmocka_unit_test(test_rcode_comes_from_the_header),
      cmocka_unit_test(test_cname_chain_is_followed),
      cmocka_unit_test(test_record_past_the_end_is_an_error),
      cmocka_unit_test(test_short_buffer_is_an_error),
      cmocka_unit_test(test_addresses_are_capped),
      cmocka_unit_test(test_status_without_response_is_classified),
      cmocka_unit_test(test_hosts_file_gives_every_address_once),
      cmocka_unit_test(test_hosts_file_ignores_comments_and_substrings),
      cmocka_unit_test(test_hosts_file_last_line_needs_no_newline),
      cmocka_unit_test(test_hosts_file_is_read_within_its_length),
      cmocka_unit_test(test_a_answer_with_aaaa_nodata_passes),
      cmocka_unit_test(test_nxdomain_outranks_timeout),
      cmocka_unit_test(test_servfail_outranks_timeout),
      cmocka_unit_test(test_one_server_failing_while_another_answers_is_reported),
      cmocka_unit_test(test_both_families_nodata_is_a_missing_name),
      cmocka_unit_test(test_nodata_does_not_hide_a_timeout),
      cmocka_unit_test(test_pending_query_counts_as_timeout),
      cmocka_unit_test(test_a_answer_with_aaaa_error_resolves_and_notes_the_server),
      cmocka_unit_test(test_aaaa_answer_with_a_failing_is_a_problem),
      cmocka_unit_test(test_refused_has_its_own_code),
      cmocka_unit_test(test_no_server_is_no_resolver),
      cmocka_unit_test(test_collected_addresses_are_distinct),
      cmocka_unit_test(test_message_names_address_class_and_latency),
      cmocka_unit_test(test_message_names_the_failing_server),
      cmocka_unit_test(test_message_for_nxdomain),
      cmocka_unit_test(test_message_treats_one_dead_server_as_one_finding),
      cmocka_unit_test(test_message_without_nameserver),
      cmocka_unit_test(test_remediation_for_aws_names_points_at_amazon_dns),
      cmocka_unit_test(test_remediation_for_bucket_names_mentions_the_wildcard),
      cmocka_unit_test(test_remediation_follows_the_partition),
      cmocka_unit_test(test_remediation_for_other_names_names_them),
      cmocka_unit_test(test_class_phrases),
      cmocka_unit_test(test_plan_names_cover_every_later_probe),
      cmocka_unit_test(test_dns_takes_the_tier_of_its_users),
      cmocka_unit_test(test_dns_of_a_target_expected_blocked_is_not_expected_to_resolve),
      cmocka_unit_test(test_a_target_key_does_not_name_its_dns_probe),
      cmocka_unit_test(test_plan_names_follow_skipped_families),
      cmocka_unit_test(test_plan_names_take_hosts_from_targets),
      cmocka_unit_test(test_plan_names_skip_invalid_names),
      cmocka_unit_test(test_plan_names_leave_dotted_buckets_to_the_regional_name),
      cmocka_unit_test(test_plan_is_empty_when_dns_is_skipped),
      cmocka_unit_test(test_dns_probes_need_no_credentials),
      cmocka_unit_test(test_no_fix_left_a_slot_unfilled),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
