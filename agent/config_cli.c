/*
 * config_cli.c - the command line: one getopt_long pass over argv into
 * struct config_flags (modes, values, the workload after "--"), and --help.
 * Values are checked here; config_load applies them over the files.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config_int.h"
#include "netcheck/common.h"
#include "netcheck/config.h"
#include "netcheck/partition.h"

enum {
  OPT_CONFIG = 256,
  OPT_SM_DIR,
  OPT_REPORT,
  OPT_TIMEOUT,
  OPT_CONNECT_TIMEOUT,
  OPT_ON_FAIL,
  OPT_REGION,
  OPT_BUCKET,
  OPT_DNS,
  OPT_CA,
  OPT_PEER_PORT,
  OPT_PEER_WAIT,
  OPT_SUMMARY,
  OPT_INIT,
  OPT_EXPECT,
  OPT_SKIP,
  OPT_EGRESS,
  OPT_MESSAGE,
  OPT_DRY_RUN,
  OPT_LIST,
  OPT_FIPS,
};

static const struct option long_opts[] = {
    {OPT_SM_CONFIG_DIR, required_argument, NULL, OPT_SM_DIR},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"report", required_argument, NULL, OPT_REPORT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"on-fail", required_argument, NULL, OPT_ON_FAIL},
    {"region", required_argument, NULL, OPT_REGION},
    {"bucket", required_argument, NULL, OPT_BUCKET},
    {"dns-server", required_argument, NULL, OPT_DNS},
    {"ca-bundle", required_argument, NULL, OPT_CA},
    {"peer-port", required_argument, NULL, OPT_PEER_PORT},
    {"peer-wait", required_argument, NULL, OPT_PEER_WAIT},
    {"summary", required_argument, NULL, OPT_SUMMARY},
    {"expect", required_argument, NULL, OPT_EXPECT},
    {"skip", required_argument, NULL, OPT_SKIP},
    {"egress-target", required_argument, NULL, OPT_EGRESS},
    {"message-file", required_argument, NULL, OPT_MESSAGE},
    {"init", no_argument, NULL, OPT_INIT},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"list-probes", no_argument, NULL, OPT_LIST},
    {"fips", no_argument, NULL, OPT_FIPS},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

void config_usage(FILE *stream) {
  fputs("Usage: netcheck [OPTIONS] [-- COMMAND [ARG...]]\n"
        "       netcheck merge [--json | --html FILE] REPORT.json...\n"
        "       netcheck explain CODE | --all\n"
        "\n"
        "Tests the network of a SageMaker Processing container the way the job will use it\n"
        "(DNS, every S3 location of the job through the VPC endpoint, a zero-byte upload\n"
        "under each output, package repositories, egress, AWS endpoints, peers), writes a\n"
        "JSON report, prints a verdict, then execs COMMAND.\n"
        "\n"
        "Every probe has a tier: required (what the job uses: its buckets, credentials,\n"
        "peers, clock) fails the verdict; policy (the Amazon Linux repositories blocked)\n"
        "warns; informational (AWS service endpoints, internet egress) is reported as a\n"
        "fact. An expectation given with --expect, --config or NETCHECK_EXPECT makes a\n"
        "probe required.\n"
        "\n"
        "Options:\n"
        "  --sm-config-dir DIR   SageMaker config directory (default /opt/ml/config,\n"
        "                        or $NETCHECK_SM_CONFIG_DIR)\n"
        "  --config FILE         JSON file with extra targets, expectations and skips\n"
        "  --report PATH|-|none  where to write the JSON report (default: the output named\n"
        "                        'netcheck', else " NC_DEFAULT_REPORT_DIR "/HOST.json)\n"
        "  --timeout SEC         deadline for every check but the peer phase (default 15)\n"
        "  --connect-timeout SEC DNS + connect budget of policy and informational probes\n"
        "                        (default 3): what the job may not use never holds it longer\n"
        "  --on-fail warn|abort  on a failed expectation: start COMMAND anyway (warn, the\n"
        "                        default) or exit 1 without starting it (abort)\n"
        "  --region REGION       AWS region (default: from the job ARN, AWS_REGION,\n"
        "                        AWS_DEFAULT_REGION, an https S3 URI of the job, else\n"
        "                        " NC_DEFAULT_REGION " with a warning); its partition names the\n"
        "                        endpoints (amazonaws.com, amazonaws.com.cn)\n"
        "  --fips                FIPS endpoint names (also AWS_USE_FIPS_ENDPOINT=true)\n"
        "  --bucket NAME[/PREFIX] also probe this bucket, or an s3:// or https S3 URI\n"
        "                        (repeatable)\n"
        "  --dns-server IP[:PORT] query this nameserver instead of resolv.conf (repeatable)\n"
        "  --ca-bundle FILE      CA certificates for TLS (default $AWS_CA_BUNDLE or system)\n"
        "  --peer-port N         port of the peer check (default 7191)\n"
        "  --peer-wait SEC       how long to wait for peers that start late (default 120)\n"
        "  --expect KEY=reachable|blocked|any\n"
        "                        expectation of a probe family (aws, egress, repo, ...) or\n"
        "                        of one target (sts, logs, pypi.org, ...); repeatable\n"
        "  --skip FAMILY         do not run a probe family (repeatable); --skip s3-write:\n"
        "                        no upload under the outputs\n"
        "  --egress-target HOST  public target for the egress check (repeatable;\n"
        "                        default pypi.org)\n"
        "  --summary text|json|junit|none\n"
        "                        what to print on stderr at the end (default text)\n"
        "  --message-file PATH   failure reason file for --on-fail abort\n"
        "                        (default /opt/ml/output/message)\n"
        "  --init                stay as PID 1: forward signals, reap zombies\n"
        "  --list-probes         list the probe families, their tiers and exit\n"
        "  --dry-run             print the region and its source, the job's S3 locations,\n"
        "                        hosts, report path and message file, then every probe\n"
        "                        with its tier and expectation, and exit\n"
        "  -v, --verbose         log more (repeatable): -v logs each probe's phases\n"
        "                        (resolve, connect, TLS, request, answer) without secrets\n"
        "  -h, --help            show this help and exit\n"
        "  -V, --version         show the version and exit\n",
        stream);
  /* Two strings: C11 promises string literals of 4095 bytes, no more. */
  fputs("\n"
        "The job's Environment (no new image needed): NETCHECK_EXPECT=\"sts=reachable,...\",\n"
        "NETCHECK_SKIP=FAMILY,..., NETCHECK_ON_FAIL=warn|abort, NETCHECK_TIMEOUT=SEC.\n"
        "Precedence: flags > --config file > environment > what is discovered.\n"
        "Long options are never abbreviated.\n"
        "\n"
        "Exit codes: 0 all expectations met; 1 an expectation failed; 2 usage or\n"
        "configuration error; 3 internal error. With -- COMMAND: COMMAND's status\n"
        "(127 not found, 126 not executable); 128+N when stopped by signal N.\n",
        stream);
}

/* 0 when the argument names the long option in full ("--name" or
 * "--name=value"): getopt_long also takes any unambiguous prefix, and an
 * abbreviation would change meaning the day an option is added. */
static int unabbreviated(const char *arg, const char *name) {
  size_t n;
  if (strncmp(arg, "--", 2))
    return -1;
  arg += 2;
  n = strcspn(arg, "=");
  return n == strlen(name) && !strncmp(arg, name, n) ? 0 : -1;
}

int config_cli_parse(struct config_flags *f, int argc, char **argv, int *verbose, char *err,
                     size_t errlen) {
  long v;
  opterr = 0;
  optind = 0; /* 0, not 1: glibc and musl then reset all of getopt's state */
  for (;;) {
    int at = optind ? optind : 1, idx = -1;
    /* "+": options end at the first argument that is not one, never
     * permuted, so that argv[at] is the option getopt_long reads now. */
    int ch = getopt_long(argc, argv, "+:vhV", long_opts, &idx);
    if (ch == -1)
      break;
    if (idx >= 0 && unabbreviated(argv[at], long_opts[idx].name)) {
      config_seterr(err, errlen, "option '%.64s' is abbreviated: write --%s (see --help)", argv[at],
                    long_opts[idx].name);
      return -1;
    }
    f->last_value = optarg; /* NULL for an option without a value */
    switch (ch) {
    case OPT_SM_DIR:
      f->sm_config_dir = optarg;
      break;
    case OPT_CONFIG:
      f->config = optarg;
      break;
    case OPT_REPORT:
      f->report = optarg;
      break;
    case OPT_TIMEOUT:
      if (config_parse_seconds_ms(optarg, 100, 3600000, &f->timeout_ms)) {
        config_seterr(err, errlen,
                      "--timeout: expected seconds between 0.1 and 3600, got \"%.32s\"", optarg);
        return -1;
      }
      break;
    case OPT_CONNECT_TIMEOUT:
      if (config_parse_seconds_ms(optarg, 100, 3600000, &f->connect_timeout_ms)) {
        config_seterr(err, errlen,
                      "--connect-timeout: expected seconds between 0.1 and 3600, got \"%.32s\"",
                      optarg);
        return -1;
      }
      break;
    case OPT_PEER_WAIT:
      if (config_parse_seconds_ms(optarg, 0, 3600000, &f->peer_wait_ms)) {
        config_seterr(err, errlen,
                      "--peer-wait: expected seconds between 0 and 3600, got \"%.32s\"", optarg);
        return -1;
      }
      break;
    case OPT_PEER_PORT:
      if (config_parse_int(optarg, 1, 65535, &v)) {
        config_seterr(err, errlen, "--peer-port: expected a port number, got \"%.32s\"", optarg);
        return -1;
      }
      f->peer_port = (int)v;
      break;
    case OPT_ON_FAIL:
      if ((f->on_fail = config_on_fail_from_name(optarg)) < 0) {
        config_seterr(err, errlen, "--on-fail: expected warn or abort, got \"%.32s\"", optarg);
        return -1;
      }
      break;
    case OPT_SUMMARY:
      if ((f->summary = config_summary_from_name(optarg)) < 0) {
        config_seterr(err, errlen, "--summary: expected text, json, junit or none, got \"%.32s\"",
                      optarg);
        return -1;
      }
      break;
    case OPT_REGION:
      if (!config_valid_region(optarg)) {
        config_seterr(err, errlen, "--region: \"%.40s\" is not a region name", optarg);
        return -1;
      }
      f->region = optarg;
      break;
    case OPT_BUCKET:
      if (f->n_buckets >= NC_MAX_BUCKETS) {
        config_seterr(err, errlen, "--bucket: at most %d buckets", NC_MAX_BUCKETS);
        return -1;
      }
      f->buckets[f->n_buckets++] = optarg;
      break;
    case OPT_DNS:
      if (f->n_dns >= NC_MAX_SERVERS) {
        config_seterr(err, errlen, "--dns-server: at most %d servers", NC_MAX_SERVERS);
        return -1;
      }
      f->dns[f->n_dns++] = optarg;
      break;
    case OPT_EGRESS:
      if (f->n_egress >= NC_MAX_TARGETS) {
        config_seterr(err, errlen, "--egress-target: at most %d targets", NC_MAX_TARGETS);
        return -1;
      }
      f->egress[f->n_egress++] = optarg;
      break;
    case OPT_EXPECT:
      if (f->n_expects >= (int)NC_ARRAY_LEN(f->expects)) {
        config_seterr(err, errlen, "--expect: too many");
        return -1;
      }
      f->expects[f->n_expects++] = optarg;
      break;
    case OPT_SKIP:
      if (f->n_skips >= (int)NC_ARRAY_LEN(f->skips)) {
        config_seterr(err, errlen, "--skip: too many");
        return -1;
      }
      f->skips[f->n_skips++] = optarg;
      break;
    case OPT_CA:
      f->ca_bundle = optarg;
      break;
    case OPT_MESSAGE:
      f->message = optarg;
      break;
    case OPT_FIPS:
      f->fips = true;
      break;
    /* Modes are set here and nowhere else: a value that reads like one
     * ("--report --init") is a value. */
    case OPT_INIT:
      f->init = true;
      break;
    case OPT_DRY_RUN:
      f->dry_run = true;
      break;
    case OPT_LIST:
      f->list_probes = true;
      break;
    case 'h':
      f->help = true;
      break;
    case 'V':
      f->version = true;
      break;
    case 'v':
      (*verbose)++;
      break;
    case ':':
      config_seterr(err, errlen, "option '%.64s' needs a value (see --help)", argv[optind - 1]);
      return -1;
    default:
      config_seterr(err, errlen, "unknown option '%.64s' (see --help)", argv[optind - 1]);
      return -1;
    }
  }
  /* getopt_long stepped over a "--" that was not an option's value: the
   * workload follows it. */
  if (optind > 1 && !strcmp(argv[optind - 1], "--") && argv[optind - 1] != f->last_value) {
    f->command = optind < argc ? argv + optind : NULL;
    return 0;
  }
  if (optind < argc) {
    config_seterr(err, errlen, "unexpected argument '%.64s' (the workload goes after --)",
                  argv[optind]);
    return -1;
  }
  return 0;
}
