/*
 * config.h - everything netcheck knows before it sends a packet: flags, the
 * --config file, the SageMaker config directory and the environment, merged
 * with precedence flags > file > discovery. Built once by config_load() in
 * main; read-only afterwards.
 */
#ifndef NETCHECK_CONFIG_H
#define NETCHECK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define NC_MAX_BUCKETS 32
#define NC_MAX_HOSTS 512
#define NC_MAX_OUTPUTS 32
#define NC_MAX_SERVERS 8
#define NC_MAX_TARGETS 16
#define NC_HOST_MAX 256
#define NC_PATH_MAX 1024

#define NC_MAX_EXPECTATIONS 64
#define NC_MAX_SKIPS 32
#define NC_MAX_PROBLEMS 16
#define NC_KEY_MAX 128

#define NC_DEFAULT_TIMEOUT_MS 15000
#define NC_DEFAULT_CONNECT_TIMEOUT_MS 3000
#define NC_DEFAULT_PEER_WAIT_MS 120000
#define NC_DEFAULT_PEER_PORT 7191
#define NC_DEFAULT_SM_CONFIG_DIR "/opt/ml/config"
#define NC_DEFAULT_MESSAGE_PATH "/opt/ml/output/message"
/* Where the report goes in a job without an output named "netcheck": not
 * uploaded with any dataset (docs/sagemaker.md, "Collecting the reports"). */
#define NC_DEFAULT_REPORT_DIR "/opt/ml/output/netcheck"
#define NC_REPORT_OUTPUT_NAME "netcheck"

enum nc_expect { NC_EXPECT_REACHABLE, NC_EXPECT_BLOCKED, NC_EXPECT_ANY };
enum nc_on_fail { NC_ON_FAIL_WARN, NC_ON_FAIL_ABORT };
enum nc_summary { NC_SUMMARY_TEXT, NC_SUMMARY_JSON, NC_SUMMARY_NONE, NC_SUMMARY_JUNIT };

/* Where a setting came from, in increasing precedence: the job's
 * Environment map in processingjobconfig.json, the process environment
 * (SageMaker puts the job's Environment there too), the --config file, the
 * command line. */
enum nc_source { NC_SRC_DEFAULT, NC_SRC_JOB_ENV, NC_SRC_ENV, NC_SRC_CONFIG, NC_SRC_FLAG };

/* --expect KEY=VALUE and its equivalents: KEY is a probe family ("aws"), or
 * one probe's key ("sts", "pypi.org", "s3:my-bucket"). */
struct nc_expectation {
  char key[NC_KEY_MAX];
  enum nc_expect expect;
  enum nc_source source;
};

/* A setting or a job config field that cannot be used: reported by the
 * config family as CONFIG_INVALID, never fatal in warn mode. */
struct nc_problem {
  char file[NC_PATH_MAX]; /* "processingjobconfig.json" path, or "environment" */
  char field[128];        /* "hosts[600]", "NETCHECK_EXPECT", "" for the whole file */
  char text[256];         /* what is wrong, one line */
};

/* A bucket to probe: from the job's inputs/outputs, --config or --bucket. */
struct nc_bucket {
  char name[64];
  char prefix[NC_PATH_MAX]; /* key prefix of the job's input, "" if none */
  char source[16];          /* "input", "output", "config", "flag" */
};

struct nc_output {
  char name[128];
  char local_path[NC_PATH_MAX];
  char s3_uri[NC_PATH_MAX]; /* S3Output.S3Uri when it is s3://, else "" */
};

struct nc_job {
  bool found; /* processingjobconfig.json was read: netcheck runs in a SageMaker job */
  char name[128];
  char arn[512];
  char region[32];
  int instance_count; /* 0 = unknown */
  char current_host[NC_HOST_MAX];
  char hosts[NC_MAX_HOSTS][NC_HOST_MAX];
  int n_hosts;
  char network_interface_name[32];
  int network_isolation; /* NetworkConfig.EnableNetworkIsolation: 1, 0, -1 unknown */
  struct nc_output outputs[NC_MAX_OUTPUTS];
  int n_outputs;
};

struct nc_config {
  /* where things come from */
  char sm_config_dir[NC_PATH_MAX];
  char config_file[NC_PATH_MAX]; /* "" = none */

  /* where things go */
  char report_path[NC_PATH_MAX]; /* "" = discover, "-" = stdout, "none" */
  char message_path[NC_PATH_MAX];
  enum nc_summary summary;

  /* behaviour */
  int timeout_ms;
  int connect_timeout_ms; /* DNS + connect budget of policy and informational probes */
  enum nc_on_fail on_fail;
  bool init;
  bool dry_run;
  bool list_probes;
  int verbose;

  /* targets */
  struct nc_job job;
  char region[32]; /* effective region */
  struct nc_bucket buckets[NC_MAX_BUCKETS];
  int n_buckets;
  char dns_servers[NC_MAX_SERVERS][64]; /* "IP" or "IP:PORT"; empty = resolv.conf */
  int n_dns_servers;
  char ca_bundle[NC_PATH_MAX];                      /* "" = system default */
  char egress_targets[NC_MAX_TARGETS][NC_HOST_MAX]; /* "host" or "https://host/path" */
  int n_egress_targets;
  char tcp_targets[NC_MAX_TARGETS][NC_HOST_MAX]; /* "host:port" */
  int n_tcp_targets;
  int peer_port;
  int peer_wait_ms;

  /* expectations and skips: keys are families or probe keys (validated by
   * plan_build, which knows the families) */
  struct nc_expectation expectations[NC_MAX_EXPECTATIONS];
  int n_expectations;
  char skips[NC_MAX_SKIPS][NC_KEY_MAX];
  enum nc_source skip_source[NC_MAX_SKIPS];
  int n_skips;

  /* settings and job config fields that could not be used */
  struct nc_problem problems[NC_MAX_PROBLEMS];
  int n_problems;
};

const char *config_expect_name(enum nc_expect e);
int config_expect_from_name(const char *name); /* -1 when unknown */
/* "default", "NETCHECK_* in the job's Environment", "environment", "--config", "command line" */
const char *config_source_name(enum nc_source s);
/* True when key (a family name) was skipped by any source. */
bool config_skips(const struct nc_config *cfg, const char *key);
/* Records a problem (dropped silently beyond NC_MAX_PROBLEMS). */
void config_problem(struct nc_config *cfg, const char *file, const char *field, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

/* Fills cfg with defaults, then discovery (the SageMaker config directory,
 * the job's Environment map, the process environment), then the --config
 * file, then flags. argv is the option part only (main splits at "--").
 * Returns 0, or NC_EXIT_USAGE after writing one line to err for a problem
 * of the command line or the --config file (err names the flag or file).
 * Problems of what SageMaker wrote (the job config files, NETCHECK_* in the
 * job's environment) are never fatal: they are recorded in cfg->problems and
 * reported as CONFIG_INVALID, and what can be used is used. */
int config_load(struct nc_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* Parsers used by config_load and by the fuzz targets. buf need not be
 * NUL-terminated. The job config parsers are lenient: a field that cannot
 * be used is recorded with config_problem() and skipped; they return -1
 * (with a one-line reason in err) only when the whole file is unusable
 * (too large, malformed JSON, not an object). The --config parser is strict:
 * any problem returns -1 with the reason in err. */
int config_parse_processing_job(struct nc_config *cfg, const char *buf, size_t len, char *err,
                                size_t errlen);
int config_parse_resource(struct nc_config *cfg, const char *buf, size_t len, char *err,
                          size_t errlen);
int config_parse_file(struct nc_config *cfg, const char *buf, size_t len, char *err, size_t errlen);

/* Parses "KEY=reachable|blocked|any[,KEY=...]" (list allows commas) into
 * cfg->expectations with source src. 0, or -1 with a reason in err. */
int config_add_expectations(struct nc_config *cfg, const char *text, bool list, enum nc_source src,
                            char *err, size_t errlen);

/* Splits "s3://bucket/prefix" into bucket and prefix; 0 or -1. */
int config_split_s3_uri(const char *uri, char *bucket, size_t blen, char *prefix, size_t plen);

/* Region from "arn:aws:sagemaker:REGION:ACCOUNT:processing-job/NAME"; 0 or -1. */
int config_region_from_arn(const char *arn, char *region, size_t len);

/* Turns a host name from a file into a safe file name component
 * ([A-Za-z0-9._-], no leading dot, never empty, at most 64 bytes). */
void config_sanitize_host(const char *in, char *out, size_t outlen);

/* Prints --help to the stream. */
void config_usage(void *stream);

#endif
