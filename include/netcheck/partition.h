/*
 * partition.h - AWS partitions, the one place that knows them: which DNS
 * suffix a region's endpoints have (amazonaws.com, amazonaws.com.cn, ...),
 * the host names of the endpoints netcheck probes (and their FIPS variants,
 * as the SDKs' endpoint rules build them), the interface endpoint service
 * names, which Amazon Linux repository names exist there, and the S3 URI
 * forms a job may name a bucket with. Used by the configuration (the region
 * and the job's S3 locations), the s3, s3-write, clock, aws, repo and dns
 * families. Pure: no I/O, so tests/unit/test_partition.c proves every row.
 */
#ifndef NETCHECK_PARTITION_H
#define NETCHECK_PARTITION_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/common.h"

/* The region when nothing names one (a guess: netcheck says so). */
#define NC_DEFAULT_REGION "us-east-1"

/* Which Amazon Linux repository names are known in a partition. */
enum nc_repo_names {
  NC_REPOS_ALL,   /* the hosts of AL1/AL2 and the S3 buckets of AL2/AL2023 */
  NC_REPOS_HOSTS, /* only the hosts REPO.REGION.SUFFIX (the yum $awsdomain scheme) */
  NC_REPOS_NONE   /* none known: the repo family says so instead of guessing */
};

struct nc_partition {
  const char *name;            /* "aws", "aws-cn", "aws-us-gov", ...: ARNs name it */
  const char *dns_suffix;      /* "amazonaws.com", "amazonaws.com.cn", ... */
  const char *endpoint_prefix; /* interface endpoint service names: "com.amazonaws", ... */
  enum nc_repo_names repos;
};

/* The partition of region (its name's prefix, as the SDKs match it); the
 * aws partition for a name of no known partition. Never NULL. */
const struct nc_partition *partition_of_region(const char *region);

/* region, or NC_DEFAULT_REGION when it is NULL or "". */
const char *partition_region(const char *region);

/* Copies tmpl with {r} = region, {s} = its partition's DNS suffix, {p} =
 * the partition's name, {v} = service. 0, or -1 when out is too small. */
int partition_expand(const char *tmpl, const char *service, const char *region, char *out,
                     size_t len);

/* The host of an AWS service endpoint in region ("s3", "sts", "logs",
 * "monitoring", "api.ecr", "api.sagemaker", or any SERVICE as
 * SERVICE.REGION.SUFFIX), the FIPS variant when fips. 0, or -1 when out
 * is too small. */
int partition_service_host(const char *service, const char *region, bool fips, char *out,
                           size_t len);

/* The virtual-hosted S3 name of bucket in region: BUCKET.s3[-fips].REGION.SUFFIX. */
int partition_s3_bucket_host(const char *bucket, const char *region, bool fips, char *out,
                             size_t len);

/* The interface (or gateway) endpoint service name of SERVICE in region:
 * "com.amazonaws.us-east-1.s3", "cn.com.amazonaws.cn-north-1.s3". */
int partition_endpoint_service(const char *service, const char *region, char *out, size_t len);

/* True when name has the shape of a region ("eu-west-1", "us-gov-west-1"). */
bool partition_region_shaped(const char *name, size_t len);

/* ---- S3 URIs ---- */

/* Splits an S3 endpoint name (lowercase, no port: "b.s3.eu-west-1.amazonaws.com",
 * "s3-eu-west-1.amazonaws.com", "b.s3.dualstack.REGION.SUFFIX", "s3-fips.REGION.SUFFIX",
 * "b.s3.amazonaws.com") into the bucket ("" for the service's own name) and
 * the region ("" when the name has none). 0, or -1 when host is no S3
 * endpoint name of a partition. */
int partition_s3_host(const char *host, char *bucket, size_t blen, char *region, size_t rlen);

/* An S3 location named by a URI. */
struct nc_s3_uri {
  char bucket[64];          /* a bucket name or an access point alias (...-s3alias) */
  char prefix[NC_PATH_MAX]; /* key prefix, "" for the whole bucket */
  char region[32];          /* the region an https URI names, "" when none */
  bool https;               /* an https URI (virtual-hosted or path style) */
};

/* Parses the S3Uri forms CreateProcessingJob accepts:
 *   s3://BUCKET[/PREFIX]
 *   https://BUCKET.s3.REGION.SUFFIX[/PREFIX]       virtual-hosted (also s3.dualstack.REGION,
 *   https://BUCKET.s3-REGION.amazonaws.com[/PREFIX] s3-fips.REGION, and the legacy s3-REGION
 *   https://BUCKET.s3.amazonaws.com[/PREFIX]        and global s3.amazonaws.com names)
 *   https://s3.REGION.SUFFIX/BUCKET[/PREFIX]        path style (same host forms)
 * SUFFIX is a partition's DNS suffix, and must be the one of REGION. The
 * host is case-insensitive; an https path is percent-decoded; a query or
 * fragment is ignored. Returns 0, or -1 with a one-line reason in why that
 * never repeats user information of the URI. */
int partition_parse_s3_uri(const char *uri, struct nc_s3_uri *out, char *why, size_t whylen);

/* True when b can be a bucket name in a request: [a-z0-9.-], 3-63 (every
 * bucket and access point alias), and the uppercase letters and '_' of
 * legacy us-east-1 buckets. Nothing else reaches a URL. */
bool partition_bucket_name_ok(const char *b);

/* True when b works as a virtual-hosted name (BUCKET.s3.REGION...) over
 * HTTPS: [a-z0-9-] only. Dotted names (the wildcard certificate covers one
 * label) and legacy names go path-style, as the SDKs do. */
bool partition_bucket_virtual_hosted(const char *b);

#endif
