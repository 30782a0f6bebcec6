/*
 * fuzz_dns_answer.c - dns_parse_answer() on arbitrary DNS responses, as the
 * dns probe gets them from c-ares (rcode from the header, addresses through
 * ares_parse_a_reply / ares_parse_aaaa_reply), then the probe's judgement
 * and wording of that answer.
 *
 * Input: byte 0 selects the c-ares status, byte 1 bit 0 the query type
 * (A or AAAA); the rest is the response.
 */
#include "fuzz.h"

#include <ares.h>

#include "netcheck/dns.h"

FUZZ_SETUP()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const int statuses[] = {ARES_SUCCESS,      ARES_ENODATA,  ARES_ENOTFOUND,
                                 ARES_ESERVFAIL,    ARES_EREFUSED, ARES_ETIMEOUT,
                                 ARES_ECONNREFUSED, ARES_EBADRESP, ARES_EFORMERR};
  struct dns_server_result s;
  struct dns_eval ev;
  struct nc_addrs all;
  char msg[512], rem[512];

  if (size < 2 || size - 2 > 65535)
    return 0;
  memset(&s, 0, sizeof s);
  nc_strlcpy(s.server, "198.18.0.2:53", sizeof s.server);
  s.a.type = DNS_TYPE_A;
  s.aaaa.type = DNS_TYPE_AAAA;
  s.aaaa.result = DNS_RES_NODATA;
  struct dns_answer *ans = (data[1] & 1) ? &s.aaaa : &s.a;
  struct dns_answer *other = (data[1] & 1) ? &s.a : &s.aaaa;
  other->result = DNS_RES_NODATA;
  other->rcode = 0;

  /* A copy of exactly the response's size, so ASan sees any over-read. */
  size_t alen = size - 2;
  unsigned char *abuf = malloc(alen ? alen : 1);
  FUZZ_CHECK(abuf != NULL);
  if (alen)
    memcpy(abuf, data + 2, alen);
  dns_parse_answer(statuses[data[0] % NC_ARRAY_LEN(statuses)], abuf, (int)alen, ans);
  free(abuf);

  FUZZ_CHECK(ans->n >= 0 && ans->n <= NC_MAX_ADDRS);
  FUZZ_CHECK(ans->rcode >= -1 && ans->rcode <= 15);
  FUZZ_CHECK(ans->result != DNS_RES_PENDING);
  FUZZ_CHECK((ans->result == DNS_RES_ANSWER) == (ans->n > 0));
  for (int i = 0; i < ans->n; i++) {
    FUZZ_CHECK(ans->addrs[i].family == (ans->type == DNS_TYPE_A ? AF_INET : AF_INET6));
    FUZZ_TERMINATED(ans->addrs[i].text);
  }

  dns_evaluate(&s, 1, &ev);
  dns_collect_addrs(&s, 1, &all);
  FUZZ_CHECK(all.n >= 0 && all.n <= NC_MAX_ADDRS);
  const char *cls = all.n > 0 ? resolve_addr_class(&all.a[0]) : NULL;
  dns_message("s3.us-east-1.amazonaws.com", &s, 1, &ev, cls, 5000, msg, sizeof msg);
  dns_remediation("s3.us-east-1.amazonaws.com", "us-east-1", ev.worst, rem, sizeof rem);
  FUZZ_TERMINATED(msg);
  FUZZ_TERMINATED(rem);
  return 0;
}
