/*
 * test_causes.c - root causes (agent/causes.c) on synthetic reports: jobs
 * of 2 to 100 hosts built here with a chosen fault (a host that receives
 * from no peer, one that reaches none, one that never started, every pair
 * blocked, two subnets that cannot talk, a path-MTU black hole on some
 * paths, one broken resolver, one missing route), merged as `netcheck
 * merge` merges them, then the exact list of causes, their order, hosts,
 * counts and words; and one host's own view (causes_of_host).
 * Every failed or warned probe must land in exactly one cause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "netcheck/causes.h"
#include "netcheck/common.h"
#include "netcheck/merge.h"

#define MAXH 100
#define PORT 7191

/* The job to build: which hosts report, what each link does, what else fails. */
struct job {
  int n;
  bool silent[MAXH + 1]; /* never started: no report, its port refuses */
  int no_inbound;        /* host whose inbound is dropped (0: none) */
  int no_outbound;       /* host whose outbound is dropped */
  bool all_blocked;      /* every link dropped */
  int split;             /* hosts 1..split in subnet A, the rest in B (0: one subnet) */
  bool split_blocked;    /* links across the split dropped both ways */
  int pmtu_a, pmtu_b;    /* large packets vanish between these two */
  bool dns_broken;       /* every host's resolver answers NXDOMAIN */
  bool s3_no_route;      /* every host times out to S3 */
  int s3_warn_host;      /* this host's repo probe warns */
  int info_host;         /* this host has an "info" probe (issue 12's verdict) */
};

static const char *dns_names[] = {"s3.us-east-1.amazonaws.com",
                                  "nc-input-bucket.s3.us-east-1.amazonaws.com",
                                  "nc-output-bucket.s3.us-east-1.amazonaws.com",
                                  "sts.us-east-1.amazonaws.com",
                                  "logs.us-east-1.amazonaws.com",
                                  "monitoring.us-east-1.amazonaws.com",
                                  "api.ecr.us-east-1.amazonaws.com",
                                  "api.sagemaker.us-east-1.amazonaws.com",
                                  "repo.us-east-1.amazonaws.com",
                                  "packages.us-east-1.amazonaws.com",
                                  "amazonlinux.us-east-1.amazonaws.com",
                                  "amazonlinux-2-repos-us-east-1.s3.us-east-1.amazonaws.com",
                                  "al2023-repos-us-east-1-de612dc2.s3.us-east-1.amazonaws.com"};
static const char *dns_users[] = {"s3:nc-input-bucket", "s3:nc-output-bucket", "aws:sts",
                                  "aws:logs",           "aws:monitoring",      "aws:api.ecr",
                                  "aws:api.sagemaker"};

static int subnet_of(const struct job *j, int h) { return j->split && h > j->split ? 1 : 0; }

/* What host from's outbound attempt to host to ends with. */
static const char *outbound(const struct job *j, int from, int to) {
  if (j->silent[to])
    return "refused";
  if (j->all_blocked || to == j->no_inbound || from == j->no_outbound)
    return "timeout";
  if (j->split_blocked && subnet_of(j, from) != subnet_of(j, to))
    return "timeout";
  if ((from == j->pmtu_a && to == j->pmtu_b) || (from == j->pmtu_b && to == j->pmtu_a))
    return "stalled";
  return "ok";
}

static cJSON *probe(cJSON *probes, const char *id, const char *kind, const char *target,
                    const char *verdict, const char *code, const char *message,
                    const char *remediation) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "id", id);
  cJSON_AddStringToObject(p, "kind", kind);
  cJSON_AddStringToObject(p, "target", target);
  cJSON_AddStringToObject(p, "expect", "reachable");
  cJSON_AddStringToObject(p, "verdict", verdict);
  cJSON_AddStringToObject(p, "code", code);
  cJSON_AddStringToObject(p, "message", message);
  cJSON_AddStringToObject(p, "remediation", remediation);
  cJSON_AddObjectToObject(p, "details");
  cJSON_AddItemToArray(probes, p);
  return p;
}

/* Host h's report, as netcheck writes it (the fields merge and causes read). */
static char *report(const struct job *j, int h) {
  cJSON *root = cJSON_CreateObject(), *job, *hosts, *env, *ifs, *eth, *addrs, *probes;
  char name[32], addr[32], id[64], msg[256];
  char *text;
  nc_snprintf(name, sizeof name, "algo-%d", h);
  cJSON_AddNumberToObject(root, "schema_version", 1);
  cJSON_AddStringToObject(root, "host", name);
  cJSON_AddStringToObject(root, "started_at", "2024-05-01T10:00:00.000Z");
  cJSON_AddStringToObject(root, "finished_at", "2024-05-01T10:00:17.000Z");
  cJSON_AddBoolToObject(root, "interrupted", 0);
  job = cJSON_AddObjectToObject(root, "job");
  cJSON_AddStringToObject(job, "name", "synthetic-job");
  cJSON_AddStringToObject(job, "region", "us-east-1");
  cJSON_AddStringToObject(job, "current_host", name);
  hosts = cJSON_AddArrayToObject(job, "hosts");
  for (int k = 1; k <= j->n; k++) {
    char other[32];
    nc_snprintf(other, sizeof other, "algo-%d", k);
    cJSON_AddItemToArray(hosts, cJSON_CreateString(other));
  }
  env = cJSON_AddObjectToObject(root, "environment");
  ifs = cJSON_AddArrayToObject(env, "interfaces");
  eth = cJSON_CreateObject();
  cJSON_AddStringToObject(eth, "name", "eth0");
  cJSON_AddBoolToObject(eth, "loopback", 0);
  addrs = cJSON_AddArrayToObject(eth, "addresses");
  nc_snprintf(addr, sizeof addr, "10.0.%d.%d/24", subnet_of(j, h), 10 + h);
  cJSON_AddItemToArray(addrs, cJSON_CreateString(addr));
  cJSON_AddItemToArray(ifs, eth);
  probes = cJSON_AddArrayToObject(root, "probes");

  for (size_t k = 0; k < NC_ARRAY_LEN(dns_names); k++) {
    cJSON *p, *servers, *srv, *a;
    nc_snprintf(id, sizeof id, "dns:%s", dns_names[k]);
    if (!j->dns_broken) {
      probe(probes, id, "dns", dns_names[k], "pass", "OK", "resolved", "");
      continue;
    }
    nc_snprintf(msg, sizeof msg, "%s did not resolve: nameserver 10.0.0.53 answered NXDOMAIN",
                dns_names[k]);
    p = probe(probes, id, "dns", dns_names[k], "fail", "DNS_NXDOMAIN", msg,
              "the VPC's resolver cannot resolve AWS names: use the AmazonProvidedDNS");
    servers = cJSON_AddArrayToObject(cJSON_GetObjectItem(p, "details"), "servers");
    srv = cJSON_CreateObject();
    cJSON_AddStringToObject(srv, "server", "10.0.0.53");
    a = cJSON_AddObjectToObject(srv, "a");
    cJSON_AddStringToObject(a, "status", "nxdomain");
    cJSON_AddItemToArray(servers, srv);
  }
  for (size_t k = 0; k < NC_ARRAY_LEN(dns_users); k++) {
    const char *kind = k < 2 ? "s3" : "aws";
    if (j->dns_broken)
      probe(probes, dns_users[k], kind, dns_users[k] + 3, "fail", "DNS_NXDOMAIN",
            "the name did not resolve (DNS_NXDOMAIN)",
            "The VPC resolver says the name does not exist");
    else if (k < 2 && j->s3_no_route)
      probe(probes, dns_users[k], kind, dns_users[k] + 3, "fail", "S3_NO_ROUTE",
            "no answer from S3 (connect_timeout)",
            "no route to S3 from this subnet: add an S3 gateway endpoint");
    else
      probe(probes, dns_users[k], kind, dns_users[k] + 3, "pass", "OK", "ok", "");
  }
  if (h == j->s3_warn_host)
    probe(probes, "repo:al2023-repos", "repo", "al2023-repos", "warn", "REPO_NOT_BLOCKED",
          "the mirror list is reachable", "Deny the repository buckets in the endpoint policy");
  if (h == j->info_host)
    probe(probes, "aws:api.ecr", "aws", "api.ecr", "info", "AWS_ENDPOINT_UNREACHABLE",
          "api.ecr is unreachable: no interface endpoint", "Create an interface endpoint");

  for (int k = 1; k <= j->n; k++) {
    const char *out, *in, *verdict = "pass", *code = "OK";
    const char *back;
    cJSON *p, *d;
    char peer[32];
    if (k == h)
      continue;
    nc_snprintf(peer, sizeof peer, "algo-%d", k);
    nc_snprintf(id, sizeof id, "peer:algo-%d", k);
    out = outbound(j, h, k);
    back = j->silent[k] ? "none" : outbound(j, k, h);
    in = !strcmp(back, "ok") ? "ok" : !strcmp(back, "stalled") ? "hello_only" : "missing";
    if (!strcmp(out, "refused"))
      code = "PEER_REFUSED";
    else if (!strcmp(out, "timeout")) /* blocked, whatever comes back */
      code = "PEER_BLOCKED";          // NOLINT(bugprone-branch-clone)
    else if (!strcmp(out, "stalled") || !strcmp(in, "hello_only"))
      code = "PEER_PMTU_BLACKHOLE";
    else if (strcmp(in, "ok") != 0)
      code = "PEER_BLOCKED";
    if (strcmp(code, "OK") != 0)
      verdict = "fail";
    nc_snprintf(msg, sizeof msg, "algo-%d -> algo-%d: outbound %s, inbound %s", h, k, out, in);
    p = probe(probes, id, "peer", peer, verdict, code, msg,
              strcmp(code, "OK") ? "Fix the peer link (remediation of the probe)" : "");
    d = cJSON_GetObjectItem(p, "details");
    cJSON_AddNumberToObject(d, "port", PORT);
    cJSON_AddStringToObject(d, "outbound", !strcmp(out, "timeout") ? "timeout" : out);
    cJSON_AddStringToObject(d, "inbound", in);
    if (!strcmp(out, "ok"))
      cJSON_AddNumberToObject(d, "rtt_ms", 0.25);
  }
  text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  return text;
}

static void build(struct merge *m, const struct job *j) {
  char err[512], file[32];
  merge_init(m);
  for (int h = j->n; h >= 1; h--) { /* backwards: the order of the files must not matter */
    char *text;
    if (j->silent[h])
      continue;
    text = report(j, h);
    assert_non_null(text);
    nc_snprintf(file, sizeof file, "algo-%d.json", h);
    if (merge_add(m, file, text, strlen(text), err, sizeof err) != 0)
      fail_msg("%s", err);
    free(text);
  }
  if (merge_build(m, err, sizeof err) != 0)
    fail_msg("%s", err);
}

/* Builds the job's merge and checks it has one cause, of this pattern. */
static const struct cause *build_one(struct merge *m, const struct job *j,
                                     enum cause_pattern pattern) {
  build(m, j);
  assert_int_equal(m->causes.n, 1);
  assert_int_equal(m->causes.v[0].pattern, pattern);
  return &m->causes.v[0];
}

/* One of causes_evidence, causes_fix, causes_hosts_text into buf: buf. */
typedef void cause_text_fn(const struct causes *, const struct cause *, char *, size_t);
static const char *cause_text(cause_text_fn *fn, const struct merge *m, const struct cause *c,
                              char *buf, size_t size) {
  fn(&m->causes, c, buf, size);
  return buf;
}

/* Every failed or warned probe of every report is in exactly one cause. */
static void assert_every_problem_once(const struct merge *m) {
  int problems = 0, in_causes = 0;
  for (int r = 0; r < m->n_reports; r++) {
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(m->reports[r].root, "probes")) {
      const char *v = causes_str(p, "verdict");
      problems += !strcmp(v, "fail") || !strcmp(v, "warn");
    }
  }
  for (int i = 0; i < m->causes.n; i++) {
    const struct cause *c = &m->causes.v[i];
    for (int a = 0; a < c->n_probes; a++)
      for (int k = 0; k <= i; k++)
        for (int b = 0; b < m->causes.v[k].n_probes; b++)
          if ((k < i || b < a) && m->causes.v[k].probes[b].probe == c->probes[a].probe)
            fail_msg("probe %s in two causes", causes_str(c->probes[a].probe, "id"));
    in_causes += c->n_probes;
  }
  assert_int_equal(in_causes, problems);
}

static const char *host_of(const struct merge *m, const struct cause *c, int i) {
  return m->hosts[c->hosts[i]];
}

static char *text_of(const struct merge *m, int columns) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  merge_print_text(m, f, false, columns);
  fclose(f);
  return buf;
}

static int lines(const char *s) {
  int n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static void test_healthy_100_hosts_have_no_cause(void **state) {
  struct job j = {.n = 100};
  struct merge m;
  (void)state;
  build(&m, &j);
  assert_int_equal(m.n_hosts, 100);
  assert_int_equal(m.causes.n, 0);
  assert_string_equal(causes_verdict(&m.causes), "pass");
  assert_int_equal(merge_exit_code(&m), 0);
  merge_free(&m);
}

static void test_a_host_that_receives_from_no_peer_of_100(void **state) {
  struct job j = {.n = 100, .no_inbound = 37};
  struct merge m;
  const struct cause *c;
  char ev[1024], fix[2048];
  (void)state;
  c = build_one(&m, &j, CAUSE_NO_INBOUND);
  assert_string_equal(c->code, "PEER_BLOCKED");
  assert_int_equal(c->n_hosts, 1);
  assert_string_equal(host_of(&m, c, 0), "algo-37");
  assert_int_equal(c->n_links, 99);
  /* both ends report the link: 99 probes of the others, 99 of algo-37 */
  assert_int_equal(c->n_probes, 198);
  assert_string_equal(cause_text(causes_evidence, &m, c, ev, sizeof ev),
                      "algo-37 receives from none of its 99 peers, and reaches them");
  assert_non_null(strstr(cause_text(causes_fix, &m, c, fix, sizeof fix),
                         "network ACL of algo-37's subnet (10.0.0.0/24)"));
  assert_non_null(strstr(fix, "not the self-referencing rule"));
  assert_every_problem_once(&m);
  merge_free(&m);
}

/* The job: one host's inbound dropped, one host never started:
 * exactly those two causes, the network one first. */
static void test_no_inbound_and_never_started_are_the_only_two_causes(void **state) {
  struct job j = {.n = 16, .no_inbound = 5};
  struct merge m;
  char ev[1024], *text;
  (void)state;
  j.silent[16] = true;
  build(&m, &j);
  assert_int_equal(m.causes.n, 2);
  assert_int_equal(m.causes.v[0].pattern, CAUSE_NO_INBOUND);
  assert_string_equal(host_of(&m, &m.causes.v[0], 0), "algo-5");
  assert_int_equal(m.causes.v[0].peers, 14);
  assert_int_equal(m.causes.v[1].pattern, CAUSE_NEVER_STARTED);
  assert_string_equal(m.causes.v[1].code, "PEER_REFUSED");
  assert_string_equal(host_of(&m, &m.causes.v[1], 0), "algo-16");
  causes_evidence(&m.causes, &m.causes.v[1], ev, sizeof ev);
  assert_non_null(strstr(ev, "all 15 peers that tried were refused on its port 7191"));
  assert_non_null(strstr(ev, "not a network fault"));
  assert_int_equal(merge_exit_code(&m), 1);
  assert_every_problem_once(&m);
  text = text_of(&m, 120);
  assert_non_null(strstr(text, "  1. FAIL PEER_BLOCKED on algo-5 (1/16 hosts): algo-5 receives"));
  assert_non_null(strstr(text, "  2. FAIL PEER_REFUSED on algo-16 (1/16 hosts): algo-16 wrote no"));
  assert_null(strstr(text, "  3. "));
  free(text);
  merge_free(&m);
}

static void test_a_host_that_reaches_no_peer(void **state) {
  struct job j = {.n = 12, .no_outbound = 3};
  struct merge m;
  const struct cause *c;
  char ev[1024], fix[2048];
  (void)state;
  c = build_one(&m, &j, CAUSE_NO_OUTBOUND);
  assert_string_equal(host_of(&m, c, 0), "algo-3");
  assert_string_equal(cause_text(causes_evidence, &m, c, ev, sizeof ev),
                      "algo-3 reaches none of its 11 peers, which all reach it");
  assert_non_null(
      strstr(cause_text(causes_fix, &m, c, fix, sizeof fix), "Allow outbound TCP 7191"));
  assert_every_problem_once(&m);
  merge_free(&m);
}

static void test_every_pair_blocked_is_the_security_group(void **state) {
  struct job j = {.n = 100, .all_blocked = true};
  struct merge m;
  const struct cause *c;
  char ev[1024], fix[2048], hosts[256];
  (void)state;
  c = build_one(&m, &j, CAUSE_ALL_BLOCKED);
  assert_int_equal(c->n_links, 9900);
  assert_int_equal(c->n_probes, 9900);
  assert_string_equal(cause_text(causes_hosts_text, &m, c, hosts, sizeof hosts), "100/100 hosts");
  assert_non_null(strstr(cause_text(causes_evidence, &m, c, ev, sizeof ev),
                         "all 9900 links between the 100 hosts are blocked"));
  assert_non_null(
      strstr(cause_text(causes_fix, &m, c, fix, sizeof fix), "self-referencing inbound rule"));
  assert_null(strstr(fix, "different subnets")); /* one subnet: only the group */
  assert_every_problem_once(&m);
  merge_free(&m);
}

static void test_two_subnets_that_cannot_talk(void **state) {
  struct job j = {.n = 100, .split = 50, .split_blocked = true};
  struct merge m;
  const struct cause *c;
  char ev[1024];
  (void)state;
  c = build_one(&m, &j, CAUSE_SUBNETS);
  assert_int_equal(c->n_links, 5000);
  assert_string_equal(cause_text(causes_evidence, &m, c, ev, sizeof ev),
                      "hosts in 10.0.0.0/24 and in 10.0.1.0/24 cannot reach each other (both "
                      "ways, 5000 links), while hosts inside each subnet reach each other");
  assert_every_problem_once(&m);
  merge_free(&m);
}

/* A host alone in its subnet that hears from nobody: the host's words,
 * naming the subnet and the other subnet's outbound side too. */
static void test_a_host_alone_in_its_subnet_receives_from_none(void **state) {
  struct job j = {.n = 16, .split = 15, .no_inbound = 16};
  struct merge m;
  const struct cause *c;
  char ev[1024], fix[2048];
  (void)state;
  c = build_one(&m, &j, CAUSE_NO_INBOUND);
  assert_true(c->subnet);
  assert_string_equal(cause_text(causes_evidence, &m, c, ev, sizeof ev),
                      "algo-16 receives from none of its 15 peers, and reaches them (it is the "
                      "job's only host in 10.0.1.0/24)");
  assert_non_null(strstr(cause_text(causes_fix, &m, c, fix, sizeof fix),
                         "the outbound rules of 10.0.0.0/24's network ACL"));
  merge_free(&m);
}

static void test_pmtu_black_hole_on_one_path(void **state) {
  struct job j = {.n = 8, .pmtu_a = 2, .pmtu_b = 7};
  struct merge m;
  const struct cause *c;
  char ev[1024], hosts[256];
  (void)state;
  c = build_one(&m, &j, CAUSE_PMTU);
  assert_int_equal(c->n_links, 2);
  assert_string_equal(cause_text(causes_evidence, &m, c, ev, sizeof ev),
                      "large packets vanish while small ones pass on 2 links: "
                      "algo-2 <-> algo-7");
  assert_string_equal(cause_text(causes_hosts_text, &m, c, hosts, sizeof hosts),
                      "algo-2, algo-7 (2/8 hosts)");
  assert_every_problem_once(&m);
  merge_free(&m);
}

/* One broken resolver behind 13 names and 7 probes on 16 hosts: one cause,
 * "on 16/16 hosts". */
static void test_one_resolver_on_every_host_is_one_cause(void **state) {
  struct job j = {.n = 16, .dns_broken = true};
  struct merge m;
  const struct cause *c;
  char ev[1024], hosts[256], fix[2048], *text;
  (void)state;
  c = build_one(&m, &j, CAUSE_PROBES);
  assert_string_equal(c->code, "DNS_NXDOMAIN");
  assert_int_equal(c->n_probes, 16 * 20);
  assert_string_equal(cause_text(causes_hosts_text, &m, c, hosts, sizeof hosts), "16/16 hosts");
  assert_string_equal(cause_text(causes_evidence, &m, c, ev, sizeof ev),
                      "nameserver 10.0.0.53 answers NXDOMAIN (no such name) for 13 names "
                      "(s3.us-east-1.amazonaws.com, nc-input-bucket.s3.us-east-1.amazonaws.com, "
                      "nc-output-bucket.s3.us-east-1.amazonaws.com, +10 more); 7 probes that "
                      "need them fail with it (s3:nc-input-bucket, s3:nc-output-bucket, "
                      "aws:sts, +4 more)");
  assert_string_equal(cause_text(causes_fix, &m, c, fix, sizeof fix),
                      "the VPC's resolver cannot resolve AWS names: use the AmazonProvidedDNS");
  text = text_of(&m, 120);
  assert_non_null(strstr(text, "1. FAIL DNS_NXDOMAIN on 16/16 hosts: nameserver 10.0.0.53"));
  assert_true(lines(text) <= 25);
  free(text);
  assert_every_problem_once(&m);
  merge_free(&m);
}

/* merge judges everything: healthy peers, S3 unreachable from every host. */
static void test_failures_beside_healthy_peers_fail_the_merge(void **state) {
  struct job j = {.n = 4, .s3_no_route = true};
  struct merge m;
  cJSON *json;
  (void)state;
  build(&m, &j);
  assert_int_equal(m.causes.n, 1);
  assert_string_equal(m.causes.v[0].code, "S3_NO_ROUTE");
  assert_int_equal(m.causes.v[0].n_hosts, 4);
  assert_int_equal(merge_exit_code(&m), 1);
  json = merge_json(&m);
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetObjectItem(json, "summary"), "verdict")->valuestring, "fail");
  cJSON_Delete(json);
  merge_free(&m);
}

/* A warning is a cause of its own, after the failures; "info" is a fact. */
static void test_warnings_rank_last_and_info_is_no_cause(void **state) {
  struct job j = {.n = 4, .s3_warn_host = 2, .info_host = 3};
  struct merge m;
  (void)state;
  build(&m, &j);
  assert_int_equal(m.causes.n, 1);
  assert_true(m.causes.v[0].warn);
  assert_string_equal(m.causes.v[0].code, "REPO_NOT_BLOCKED");
  assert_string_equal(causes_verdict(&m.causes), "warn");
  assert_int_equal(merge_exit_code(&m), 0);
  merge_free(&m);
  j.no_inbound = 4;
  build(&m, &j);
  assert_int_equal(m.causes.n, 2);
  assert_false(m.causes.v[0].warn);
  assert_true(m.causes.v[1].warn);
  assert_int_equal(merge_exit_code(&m), 1);
  merge_free(&m);
}

static void test_hosts_are_in_natural_order_and_ranges_are_folded(void **state) {
  struct job j = {.n = 16, .all_blocked = false};
  struct merge m;
  struct cause c = {0};
  int idx[] = {0, 1, 2, 3, 8, 10, 11};
  char text[256];
  (void)state;
  build(&m, &j);
  assert_string_equal(m.hosts[1], "algo-2");
  assert_string_equal(m.hosts[9], "algo-10");
  c.hosts = idx;
  c.n_hosts = (int)NC_ARRAY_LEN(idx);
  causes_hosts_text(&m.causes, &c, text, sizeof text);
  assert_string_equal(text, "algo-1..algo-4, algo-9, algo-11, algo-12 (7/16 hosts)");
  merge_free(&m);
}

/* The terminal matrix of 64 hosts fits 120 columns: one glyph per cell. */
static void test_64_hosts_fit_120_columns(void **state) {
  struct job j = {.n = 64, .no_inbound = 9};
  struct merge m;
  char *text, *line, *save = NULL;
  size_t widest = 0;
  (void)state;
  build(&m, &j);
  text = text_of(&m, 120);
  assert_non_null(strstr(text, "legend:"));
  assert_non_null(strstr(text, "\n 9 algo-9   ........-. .......... .........."));
  for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    if (strncmp(line, "  1. ", 5) != 0 && strlen(line) > widest) /* cause lines may wrap */
      widest = strlen(line);
  assert_true(widest <= 120);
  free(text);
  /* ... and 2 hosts keep the detailed form */
  merge_free(&m);
  j = (struct job){.n = 2};
  build(&m, &j);
  text = text_of(&m, 120);
  assert_non_null(strstr(text, "from \\ to  algo-1   algo-2"));
  free(text);
  merge_free(&m);
}

static void test_json_carries_the_causes(void **state) {
  struct job j = {.n = 16, .no_inbound = 5};
  struct merge m;
  cJSON *json;
  const cJSON *c;
  (void)state;
  j.silent[16] = true;
  build(&m, &j);
  json = merge_json(&m);
  c = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "causes"), 0);
  assert_string_equal(cJSON_GetObjectItem(c, "code")->valuestring, "PEER_BLOCKED");
  assert_string_equal(cJSON_GetObjectItem(c, "pattern")->valuestring, "no_inbound");
  assert_string_equal(cJSON_GetObjectItem(c, "verdict")->valuestring, "fail");
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "hosts"), 0)->valuestring,
                      "algo-5");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "targets")), 14);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "links")), 14);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "probes")), 28);
  assert_non_null(strstr(cJSON_GetObjectItem(c, "evidence")->valuestring, "receives from none"));
  assert_non_null(strstr(cJSON_GetObjectItem(c, "fix")->valuestring, "network ACL"));
  assert_string_equal(cJSON_GetObjectItem(json, "job")->child->valuestring, "synthetic-job");
  cJSON_Delete(json);
  merge_free(&m);
}

/* One host's own view: 20 DNS failures are one line; the peers it cannot
 * hear from are one line. */
static void test_one_host_view(void **state) {
  struct job j = {.n = 16, .dns_broken = true, .no_inbound = 3};
  struct causes cs;
  char *text = report(&j, 3), ev[1024];
  cJSON *root = cJSON_Parse(text);
  (void)state;
  causes_init(&cs);
  assert_int_equal(causes_of_host(&cs, "algo-3", cJSON_GetObjectItem(root, "probes")), 0);
  assert_int_equal(cs.n, 2);
  assert_string_equal(cs.v[0].code, "DNS_NXDOMAIN");
  assert_int_equal(cs.v[0].n_probes, 20);
  assert_int_equal(cs.v[1].pattern, CAUSE_NO_INBOUND);
  assert_int_equal(cs.v[1].n_probes, 15);
  causes_evidence(&cs, &cs.v[1], ev, sizeof ev);
  assert_string_equal(ev, "none of the 15 peers that answer reaches algo-3, while algo-3 reaches "
                          "them all (algo-1, algo-2, algo-4, +12 more)");
  causes_free(&cs);
  cJSON_Delete(root);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_healthy_100_hosts_have_no_cause),
      cmocka_unit_test(test_a_host_that_receives_from_no_peer_of_100),
      cmocka_unit_test(test_no_inbound_and_never_started_are_the_only_two_causes),
      cmocka_unit_test(test_a_host_that_reaches_no_peer),
      cmocka_unit_test(test_every_pair_blocked_is_the_security_group),
      cmocka_unit_test(test_two_subnets_that_cannot_talk),
      cmocka_unit_test(test_a_host_alone_in_its_subnet_receives_from_none),
      cmocka_unit_test(test_pmtu_black_hole_on_one_path),
      cmocka_unit_test(test_one_resolver_on_every_host_is_one_cause),
      cmocka_unit_test(test_failures_beside_healthy_peers_fail_the_merge),
      cmocka_unit_test(test_warnings_rank_last_and_info_is_no_cause),
      cmocka_unit_test(test_hosts_are_in_natural_order_and_ranges_are_folded),
      cmocka_unit_test(test_64_hosts_fit_120_columns),
      cmocka_unit_test(test_json_carries_the_causes),
      cmocka_unit_test(test_one_host_view),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
