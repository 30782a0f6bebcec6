/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz/ share: their set-up
 * (FUZZ_SETUP, FUZZ_SETUP_CONFIG), a check that
 * aborts (libFuzzer reports the abort as a crash and keeps the input), a
 * NUL-terminated copy of the input for the parsers that take C strings, and
 * contract checks on the strings a parser hands back. Built by mk/fuzz.mk.
 */
#ifndef NETCHECK_FUZZ_H
#define NETCHECK_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/partition.h"
#include "netcheck/probe.h"
#include "netcheck/utf8.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise of the code under test: report it as a crash. */
#define FUZZ_CHECK(cond)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond);                  \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* Silences netcheck's log: parsers warn about bad input, which is all a
 * fuzzer sends. */
static inline void fuzz_quiet(void) { nc_log_level = -1; }

/* Heap copy of data[0..size) with a NUL after it: a C-string parser sees
 * the input up to its first NUL. Never NULL; free() it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s)
    abort();
  if (size)
    memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* True when the array s of cap bytes holds a NUL (the string stayed inside). */
static inline bool fuzz_terminated(const char *s, size_t cap) { return memchr(s, 0, cap) != NULL; }

#define FUZZ_TERMINATED(arr) FUZZ_CHECK(fuzz_terminated((arr), sizeof(arr)))

/* True when s is valid UTF-8 without C0 control characters or DEL: text that
 * can go into the report and the log as it is. */
static inline bool fuzz_printable_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    uint32_t cp;
    size_t n = utf8_seq(p, SIZE_MAX, &cp);
    if (n == 0 || cp < 0x20 || cp == 0x7f)
      return false;
    p += n;
  }
  return true;
}

/* The configuration netcheck starts from before it reads a file: its
 * defaults, discovery from an SageMaker config directory that has no files
 * ("/"), and no flags. */
static inline void fuzz_config_defaults(struct nc_config *cfg) {
  char err[256];
  char arg0[] = "netcheck";
  char *argv[] = {arg0, NULL};
  setenv("NETCHECK_SM_CONFIG_DIR", "/", 1);
  memset(cfg, 0, sizeof *cfg); /* config_load wants it zeroed */
  if (config_load(cfg, 1, argv, err, sizeof err) != 0) {
    fprintf(stderr, "fuzz: config_load: %s\n", err);
    abort();
  }
}

/* What every config parser promises, success or not: counts within their
 * arrays, every string terminated inside its field. */
static inline void fuzz_check_config(const struct nc_config *cfg) {
  FUZZ_CHECK(cfg->n_locations >= 0 && cfg->n_locations <= NC_MAX_LOCATIONS);
  FUZZ_CHECK(cfg->job.n_hosts >= 0 && cfg->job.n_hosts <= NC_MAX_HOSTS);
  FUZZ_CHECK(cfg->job.n_outputs >= 0 && cfg->job.n_outputs <= NC_MAX_OUTPUTS);
  FUZZ_CHECK(cfg->n_dns_servers >= 0 && cfg->n_dns_servers <= NC_MAX_SERVERS);
  FUZZ_CHECK(cfg->n_egress_targets >= 0 && cfg->n_egress_targets <= NC_MAX_TARGETS);
  FUZZ_CHECK(cfg->n_tcp_targets >= 0 && cfg->n_tcp_targets <= NC_MAX_TARGETS);
  FUZZ_TERMINATED(cfg->job.name);
  FUZZ_TERMINATED(cfg->job.arn);
  FUZZ_TERMINATED(cfg->job.region);
  FUZZ_TERMINATED(cfg->job.current_host);
  FUZZ_TERMINATED(cfg->job.network_interface_name);
  FUZZ_TERMINATED(cfg->region);
  FUZZ_TERMINATED(cfg->ca_bundle);
  FUZZ_TERMINATED(cfg->report_path);
  FUZZ_TERMINATED(cfg->job.output_kms_key);
  FUZZ_TERMINATED(cfg->job.arn_problem);
  FUZZ_TERMINATED(cfg->region_note);
  for (int i = 0; i < cfg->n_locations; i++) {
    const struct nc_s3_location *l = &cfg->locations[i];
    FUZZ_TERMINATED(l->bucket);
    FUZZ_TERMINATED(l->prefix);
    FUZZ_TERMINATED(l->region);
    FUZZ_TERMINATED(l->role);
    FUZZ_TERMINATED(l->name);
    FUZZ_TERMINATED(l->field);
    FUZZ_TERMINATED(l->note);
    /* a location names a usable bucket, or is not applicable and says why */
    FUZZ_CHECK(l->bucket[0] ? partition_bucket_name_ok(l->bucket) : l->note[0] != '\0');
  }
  /* a KMS key id goes into a request header: nothing but its own alphabet */
  FUZZ_CHECK(strspn(cfg->job.output_kms_key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789:/_-") == strlen(cfg->job.output_kms_key));
  for (int i = 0; i < cfg->job.n_hosts; i++)
    FUZZ_TERMINATED(cfg->job.hosts[i]);
  FUZZ_CHECK(cfg->n_expectations >= 0 && cfg->n_expectations <= NC_MAX_EXPECTATIONS);
  FUZZ_CHECK(cfg->n_skips >= 0 && cfg->n_skips <= NC_MAX_SKIPS);
  FUZZ_CHECK(cfg->n_problems >= 0 && cfg->n_problems <= NC_MAX_PROBLEMS);
  for (int i = 0; i < cfg->n_expectations; i++) {
    FUZZ_TERMINATED(cfg->expectations[i].key);
    FUZZ_CHECK(cfg->expectations[i].expect == NC_EXPECT_REACHABLE ||
               cfg->expectations[i].expect == NC_EXPECT_BLOCKED ||
               cfg->expectations[i].expect == NC_EXPECT_ANY);
  }
  for (int i = 0; i < cfg->n_skips; i++)
    FUZZ_TERMINATED(cfg->skips[i]);
  for (int i = 0; i < cfg->n_problems; i++) {
    FUZZ_TERMINATED(cfg->problems[i].file);
    FUZZ_TERMINATED(cfg->problems[i].field);
    FUZZ_TERMINATED(cfg->problems[i].text);
  }
  for (int i = 0; i < cfg->job.n_outputs; i++) {
    FUZZ_TERMINATED(cfg->job.outputs[i].name);
    FUZZ_TERMINATED(cfg->job.outputs[i].local_path);
  }
  for (int i = 0; i < cfg->n_dns_servers; i++)
    FUZZ_TERMINATED(cfg->dns_servers[i]);
  for (int i = 0; i < cfg->n_egress_targets; i++)
    FUZZ_TERMINATED(cfg->egress_targets[i]);
  for (int i = 0; i < cfg->n_tcp_targets; i++)
    FUZZ_TERMINATED(cfg->tcp_targets[i]);
}

/* Plans the probes of cfg as a run would (nothing is sent): every planned
 * probe's strings are terminated, every dns probe names a name, and a key
 * that names nothing is a usage error with a reason, never a crash. */
static inline void fuzz_check_plan(const struct nc_config *cfg) {
  struct plan pl;
  char err[256] = "";
  int rc = plan_build(&pl, cfg, err, sizeof err);
  FUZZ_TERMINATED(err);
  if (rc == NC_EXIT_USAGE)
    FUZZ_CHECK(err[0] != '\0');
  for (const struct probe *p = pl.head; p; p = p->next) {
    FUZZ_TERMINATED(p->id);
    FUZZ_TERMINATED(p->target);
    FUZZ_TERMINATED(p->name);
    if (!strcmp(p->kind, "dns"))
      FUZZ_CHECK(p->target[0] != '\0');
  }
  plan_free(&pl);
}

/* The set-up every target shares, as its LLVMFuzzerInitialize: netcheck's
 * log silenced, then the target's own statements, if any. Used at file
 * scope without a semicolon: FUZZ_SETUP() or FUZZ_SETUP(stmt; stmt). */
#define FUZZ_SETUP(...)                                                                            \
  int LLVMFuzzerInitialize(int *argc, char ***argv) {                                              \
    (void)argc;                                                                                    \
    (void)argv;                                                                                    \
    fuzz_quiet();                                                                                  \
    __VA_ARGS__;                                                                                   \
    return 0;                                                                                      \
  }

/* A target over the configuration parsers: `base` holds the defaults every
 * input starts from (fuzz_config_defaults), `cfg` the copy an input is
 * parsed into. */
#define FUZZ_SETUP_CONFIG()                                                                        \
  static struct nc_config base, cfg;                                                               \
  FUZZ_SETUP(fuzz_config_defaults(&base))

#endif
