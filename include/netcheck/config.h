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

#define NC_DEFAULT_TIMEOUT_MS 15000
#define NC_DEFAULT_PEER_WAIT_MS 120000
#define NC_DEFAULT_PEER_PORT 7191
#define NC_DEFAULT_SM_CONFIG_DIR "/opt/ml/config"
#define NC_DEFAULT_MESSAGE_PATH "/opt/ml/output/message"

enum nc_expect { NC_EXPECT_REACHABLE, NC_EXPECT_BLOCKED, NC_EXPECT_ANY };
enum nc_on_fail { NC_ON_FAIL_WARN, NC_ON_FAIL_ABORT };
enum nc_summary { NC_SUMMARY_TEXT, NC_SUMMARY_JSON, NC_SUMMARY_NONE, NC_SUMMARY_JUNIT };

/* Probe families; the order is the order of the report. */
enum nc_family {
  NC_FAM_ENV,
  NC_FAM_CREDS,
  NC_FAM_DNS,
  NC_FAM_S3,
  NC_FAM_REPO,
  NC_FAM_EGRESS,
  NC_FAM_AWS,
  NC_FAM_CLOCK,
  NC_FAM_PEER,
  NC_FAM_COUNT
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
};

struct nc_job {
  char name[128];
  char arn[512];
  char region[32];
  int instance_count; /* 0 = unknown */
  char current_host[NC_HOST_MAX];
  char hosts[NC_MAX_HOSTS][NC_HOST_MAX];
  int n_hosts;
  char network_interface_name[32];
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
  enum nc_on_fail on_fail;
  bool init;
  bool dry_run;
  bool list_probes;
  bool help;    /* -h/--help: print the usage, read nothing else */
  bool version; /* -V/--version */
  int verbose;
  char **command; /* the workload: argv after "--", NULL when none */

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

  /* expectations and skips, per family */
  enum nc_expect expect[NC_FAM_COUNT];
  bool skip[NC_FAM_COUNT];
};

/* Family name as used in --config "expect"/"skip" and probe ids ("s3"). */
const char *config_family_name(enum nc_family f);
int config_family_from_name(const char *name); /* -1 when unknown */
const char *config_expect_name(enum nc_expect e);

/* Fills cfg with defaults, then discovery, then the --config file, then flags.
 * argv is the whole command line: options (never abbreviated), then "--"
 * and the workload (cfg->command). With --help or --version nothing but the
 * flags is read. Returns 0, or NC_EXIT_USAGE after writing one line to err
 * (err names the file or flag and what is wrong). */
int config_load(struct nc_config *cfg, int argc, char **argv, char *err, size_t errlen);

/* Parsers used by config_load and by the fuzz targets; each returns 0 or -1
 * with a one-line reason in err. buf need not be NUL-terminated. */
int config_parse_processing_job(struct nc_config *cfg, const char *buf, size_t len, char *err,
                                size_t errlen);
int config_parse_resource(struct nc_config *cfg, const char *buf, size_t len, char *err,
                          size_t errlen);
int config_parse_file(struct nc_config *cfg, const char *buf, size_t len, char *err, size_t errlen);

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
