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
#include <stdio.h>

#include "netcheck/common.h" /* NC_HOST_MAX, NC_PATH_MAX */

#define NC_MAX_BUCKETS 32   /* distinct buckets the s3 family probes */
#define NC_MAX_LOCATIONS 64 /* S3 locations read from the job, --config and flags */
#define NC_MAX_HOSTS 512
#define NC_MAX_OUTPUTS 32
#define NC_MAX_SERVERS 8
#define NC_MAX_TARGETS 16

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

/* What the job does at an S3 location (docs/sagemaker.md, "S3 locations"). */
#define NC_ROLE_INPUT "input"     /* ProcessingInputs[].S3Input.S3Uri: SageMaker reads it */
#define NC_ROLE_DATASET "dataset" /* ...DatasetDefinition.*.OutputS3Uri: a query's output */
#define NC_ROLE_OUTPUT "output"   /* ProcessingOutputConfig.Outputs[].S3Output.S3Uri */
#define NC_ROLE_CONFIG "config"   /* --config buckets */
#define NC_ROLE_FLAG "flag"       /* --bucket */

/* One S3 location of the job (its inputs, dataset definitions and outputs),
 * or one given with --config or --bucket; an input or output with no S3
 * location (a FeatureStoreOutput, a null S3Input) is listed with bucket ""
 * and a note: not applicable, never an error. */
struct nc_s3_location {
  char bucket[64];          /* a bucket name or access point alias; "" = not applicable */
  char prefix[NC_PATH_MAX]; /* key prefix, "" for the whole bucket */
  char region[32]; /* the region an https URI names (used for this bucket), "" = the job's */
  char role[16];   /* NC_ROLE_* */
  char name[128];  /* InputName or OutputName, "" when none */
  char field[96];  /* where: "ProcessingInputs[0].S3Input.S3Uri", "--bucket", ... */
  char note[128];  /* why it is not applicable, "" otherwise */
};

/* Where the effective region came from, in increasing precedence. */
enum nc_region_source {
  NC_REGION_DEFAULT,            /* nothing named one: NC_DEFAULT_REGION, a guess */
  NC_REGION_S3_URI,             /* the first https S3 URI that names one */
  NC_REGION_AWS_DEFAULT_REGION, /* the environment (or the job's Environment) */
  NC_REGION_AWS_REGION,
  NC_REGION_ARN, /* ProcessingJobArn */
  NC_REGION_CONFIG,
  NC_REGION_FLAG
};

struct nc_output {
  char name[128];
  char local_path[NC_PATH_MAX];
  char s3_uri[NC_PATH_MAX]; /* S3Output.S3Uri as s3://BUCKET/PREFIX (any form the job wrote), else
                               "" */
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
  char output_kms_key[2049]; /* ProcessingOutputConfig.KmsKeyId: the outputs' SSE-KMS key */
  char arn_problem[160];     /* why ProcessingJobArn gave no region, "" when it did */
  /* The job's Environment map, for when the process environment lacks them. */
  char env_region[32];         /* AWS_REGION */
  char env_default_region[32]; /* AWS_DEFAULT_REGION */
  int env_fips;                /* AWS_USE_FIPS_ENDPOINT: 1 true, 0 false, -1 absent */
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
  bool help;    /* -h/--help: print the usage, read nothing else */
  bool version; /* -V/--version */
  int verbose;
  char **command; /* the workload: argv after "--", NULL when none */

  /* targets */
  struct nc_job job;
  char region[32]; /* effective region */
  enum nc_region_source region_source;
  char region_note[256]; /* why the region is a guess, or what was passed over; "" if nothing */
  bool fips;             /* FIPS endpoints: --fips, "fips" in --config, AWS_USE_FIPS_ENDPOINT */
  struct nc_s3_location locations[NC_MAX_LOCATIONS];
  int n_locations;
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

/* cfg must be all zero (calloc it: the pages of the fixed-size tables a job does not
 * fill are then never touched). Fills cfg with defaults, then discovery (the SageMaker config
 * directory, the job's Environment map, the process environment), then the --config file, then
 * flags. argv is the whole command line: options (never abbreviated), then "--" and the workload
 * (cfg->command); with --help or
 * --version nothing but the flags is read.
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

/* "flag", "config", "job_arn", "AWS_REGION", "AWS_DEFAULT_REGION", "s3_uri", "default"
 * (the report's job.region_source). */
const char *config_region_source_name(enum nc_region_source s);
/* The same for people: "from --region", "from the job ARN", ..., "a guess: nothing names one". */
const char *config_region_source_text(enum nc_region_source s);

/* Region from "arn:aws:sagemaker:REGION:ACCOUNT:processing-job/NAME"; 0 or -1. */
int config_region_from_arn(const char *arn, char *region, size_t len);

/* Turns a host name from a file into a safe file name component
 * ([A-Za-z0-9._-], no leading dot, never empty, at most 64 bytes). */
void config_sanitize_host(const char *in, char *out, size_t outlen);

/* Prints --help to the stream. */
void config_usage(FILE *stream);

#endif
