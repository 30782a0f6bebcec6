/*
 * sigv4_cli.c - signs one request described on the command line with
 * netcheck's sigv4_sign and prints the headers to send. Used by
 * tests/unit/botocore_compare.py to compare netcheck with botocore.
 *
 * Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN (creds_from_env). Output on stdout:
 *   Authorization: ...
 *   X-Amz-Date: ...
 *   X-Amz-Content-SHA256: ...      (with --s3)
 * --debug also prints the canonical request and the string to sign on
 * stderr. Exit codes: 0 signed, 1 signing failed, 2 usage error.
 */
#include "netcheck/aws.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLI_MAX_HEADERS 64

#define USAGE                                                                                      \
  "usage: sigv4_cli --method M --path P [--query Q] --region R --service S\n"                      \
  "                 --time YYYYMMDDTHHMMSSZ [--header 'Name: value']... [--payload DATA]\n"        \
  "                 [--s3] [--unsigned-payload] [--token-unsigned] [--debug]\n"

static int parse_time(const char *s, time_t *out) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
  if (!end || *end)
    return 1;
  *out = timegm(&tm);
  return 0;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"method", required_argument, NULL, 'm'},
      {"path", required_argument, NULL, 'p'},
      {"query", required_argument, NULL, 'q'},
      {"region", required_argument, NULL, 'r'},
      {"service", required_argument, NULL, 's'},
      {"time", required_argument, NULL, 't'},
      {"header", required_argument, NULL, 'H'},
      {"payload", required_argument, NULL, 'd'},
      {"s3", no_argument, NULL, '3'},
      {"unsigned-payload", no_argument, NULL, 'u'},
      {"token-unsigned", no_argument, NULL, 'T'},
      {"debug", no_argument, NULL, 'D'},
      {NULL, 0, NULL, 0},
  };
  struct sigv4_header headers[CLI_MAX_HEADERS];
  struct sigv4_request rq;
  bool debug = false, have_time = false;
  int ch;

  memset(&rq, 0, sizeof rq);
  rq.headers = headers;
  while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (ch) {
    case 'm':
      rq.method = optarg;
      break;
    case 'p':
      rq.path = optarg;
      break;
    case 'q':
      rq.query = optarg;
      break;
    case 'r':
      rq.region = optarg;
      break;
    case 's':
      rq.service = optarg;
      break;
    case 'd':
      rq.payload = optarg;
      rq.payload_len = strlen(optarg);
      break;
    case '3':
      rq.s3 = true;
      break;
    case 'u':
      rq.unsigned_payload = true;
      break;
    case 'T':
      rq.token_unsigned = true;
      break;
    case 'D':
      debug = true;
      break;
    case 't':
      if (parse_time(optarg, &rq.now)) {
        fprintf(stderr, "sigv4_cli: bad --time %s\n%s", optarg, USAGE);
        return 2;
      }
      have_time = true;
      break;
    case 'H': {
      char *colon = strchr(optarg, ':');
      if (!colon || rq.n_headers == CLI_MAX_HEADERS) {
        fprintf(stderr, "sigv4_cli: bad or too many --header\n%s", USAGE);
        return 2;
      }
      *colon = '\0';
      headers[rq.n_headers].name = optarg;
      headers[rq.n_headers].value = colon + 1;
      rq.n_headers++;
      break;
    }
    default:
      fputs(USAGE, stderr);
      return 2;
    }
  }
  if (optind != argc || !rq.method || !rq.path || !rq.region || !rq.service || !have_time) {
    fputs(USAGE, stderr);
    return 2;
  }

  static struct aws_creds c;
  char err[160];
  if (creds_from_env(&c, err, sizeof err)) {
    fprintf(stderr, "sigv4_cli: %s\n", err);
    return 2;
  }
  struct sigv4_signed out;
  int rc = sigv4_sign(&rq, &c, &out);
  creds_clear(&c);
  if (rc) {
    fputs("sigv4_cli: sigv4_sign failed\n", stderr);
    sigv4_signed_free(&out);
    return 1;
  }
  if (debug)
    fprintf(stderr, "--- canonical request\n%s\n--- string to sign\n%s\n---\n",
            out.canonical_request, out.string_to_sign);
  printf("Authorization: %s\nX-Amz-Date: %s\n", out.authorization, out.amz_date);
  if (rq.s3)
    printf("X-Amz-Content-SHA256: %s\n", out.content_sha256);
  sigv4_signed_free(&out);
  return fflush(stdout) == 0 ? 0 : 1;
}
