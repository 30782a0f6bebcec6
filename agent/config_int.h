/*
 * config_int.h - what agent/config.c, config_cli.c and config_json.c share:
 * the validated helpers every configuration source uses, and the flags the
 * command line parsed. Nothing outside agent/config*.c includes it.
 */
#ifndef NETCHECK_CONFIG_INT_H
#define NETCHECK_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/config.h"

#define CONFIG_FILE_MAX (1024 * 1024)

#define OPT_SM_CONFIG_DIR "sm-config-dir"
#define ENV_SM_CONFIG_DIR "NETCHECK_SM_CONFIG_DIR"
#define ENV_MESSAGE_FILE "NETCHECK_MESSAGE_FILE"

/* The job's settings, from its Environment (contract: README, "Expectations"). */
#define ENV_EXPECT "NETCHECK_EXPECT"
#define ENV_SKIP "NETCHECK_SKIP"
#define ENV_ON_FAIL "NETCHECK_ON_FAIL"
#define ENV_TIMEOUT "NETCHECK_TIMEOUT"
#define CONFIG_N_ENV 4
extern const char *const config_env_settings[CONFIG_N_ENV];

/* Applies one NETCHECK_* value from src. A value that cannot be used is a
 * problem of `where`, never fatal: the job must still start. */
void config_apply_env(struct nc_config *cfg, const char *var, const char *value, enum nc_source src,
                      const char *where);

void config_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies a path whole into dst[NC_PATH_MAX], or fails with one line naming
 * `what` (a flag, a variable, a file's key): a cut path names another file. */
int config_copy_path(char *dst, const char *src, const char *what, char *err, size_t errlen);

int config_parse_int(const char *s, long lo, long hi, long *out);
/* Seconds, possibly fractional ("2.5"), into milliseconds. */
int config_parse_seconds_ms(const char *s, long lo_ms, long hi_ms, int *out);
int config_valid_region(const char *r);
/* NC_ON_FAIL_* for "warn" or "abort", NC_SUMMARY_* for "text", "json",
 * "junit" or "none"; -1 for anything else. */
int config_on_fail_from_name(const char *s);
int config_summary_from_name(const char *s);

/* Adds an S3 location; uri is "s3://...", "https://..." or (--bucket,
 * --config) "BUCKET[/PREFIX]". 0, or -1 with the reason in why. */
int config_add_location(struct nc_config *cfg, const char *uri, const char *prefix,
                        const char *role, const char *name, const char *field, char *why,
                        size_t whylen);
/* An input or output with no S3 location: listed, never an error. */
void config_add_not_applicable(struct nc_config *cfg, const char *role, const char *name,
                               const char *field, const char *note);
/* Adds s to arr[*n] (max entries) unless it is there: -1 when empty, too
 * long or full. */
int config_add_string(char (*arr)[NC_HOST_MAX], int *n, int max, const char *s);
int config_add_dns_server(struct nc_config *cfg, const char *s);
/* One expectation key[0..klen)=e from src; -1 when it cannot be one. */
int config_add_expectation_key(struct nc_config *cfg, const char *key, size_t klen, int e,
                               enum nc_source src);

/* Flag values, applied after discovery and the file. */
struct config_flags {
  const char *sm_config_dir, *config, *report, *region, *ca_bundle, *message;
  const char *last_value; /* the last option's value (NULL: none), to tell it from a "--" */
  char **command;         /* after "--" */
  bool init, dry_run, list_probes, help, version;
  int timeout_ms, connect_timeout_ms, peer_wait_ms, peer_port;
  int on_fail, summary;
  bool fips;
  const char *buckets[NC_MAX_BUCKETS];
  int n_buckets;
  const char *dns[NC_MAX_SERVERS];
  int n_dns;
  const char *egress[NC_MAX_TARGETS];
  int n_egress;
  const char *expects[NC_MAX_EXPECTATIONS];
  int n_expects;
  const char *skips[NC_MAX_SKIPS];
  int n_skips;
};

/* One getopt_long pass over argv into f (zeroed by the caller, -1 in the
 * values whose 0 is meaningful). 0, or -1 with err set. */
int config_cli_parse(struct config_flags *f, int argc, char **argv, int *verbose, char *err,
                     size_t errlen);

#endif
