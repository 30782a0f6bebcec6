/*
 * partition.c - AWS partitions and the names derived from them (see
 * partition.h): one table, so that China's amazonaws.com.cn, GovCloud's FIPS
 * names and the default region live in one place. The rows follow the
 * partitions and endpoint rule sets the AWS SDKs ship (botocore's
 * partitions.json and each service's endpoint-rule-set-1.json).
 */
#include "netcheck/partition.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "netcheck/common.h"

/* Region name prefixes, most specific first; the aws partition matches
 * everything else, as the SDKs fall back to it. */
static const struct {
  const char *region_prefix;
  struct nc_partition p;
} partitions[] = {
    {"cn-", {"aws-cn", "amazonaws.com.cn", "cn.com.amazonaws", NC_REPOS_HOSTS}},
    {"us-gov-", {"aws-us-gov", "amazonaws.com", "com.amazonaws", NC_REPOS_HOSTS}},
    {"us-isob-", {"aws-iso-b", "sc2s.sgov.gov", "com.amazonaws", NC_REPOS_NONE}},
    {"us-isof-", {"aws-iso-f", "csp.hci.ic.gov", "com.amazonaws", NC_REPOS_NONE}},
    {"us-iso-", {"aws-iso", "c2s.ic.gov", "com.amazonaws", NC_REPOS_NONE}},
    {"eu-isoe-", {"aws-iso-e", "cloud.adc-e.uk", "com.amazonaws", NC_REPOS_NONE}},
    {"eusc-", {"aws-eusc", "amazonaws.eu", "eu.amazonaws", NC_REPOS_NONE}},
    {"", {"aws", "amazonaws.com", "com.amazonaws", NC_REPOS_ALL}},
};

const char *partition_region(const char *region) {
  return region && *region ? region : NC_DEFAULT_REGION;
}

const struct nc_partition *partition_of_region(const char *region) {
  size_t i;
  region = partition_region(region);
  for (i = 0; i + 1 < NC_ARRAY_LEN(partitions); i++)
    if (!strncmp(region, partitions[i].region_prefix, strlen(partitions[i].region_prefix)))
      break;
  return &partitions[i].p;
}

/* "eu-west-1", "us-gov-west-1", "cn-north-1": two letters, words, a number. */
bool partition_region_shaped(const char *s, size_t n) {
  size_t last_dash = 2;
  if (n < 6 || n > 31 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z' || s[2] != '-')
    return false;
  for (size_t i = 3; i < n; i++) {
    char c = s[i];
    if (c == '-') {
      if (i == last_dash + 1)
        return false;
      last_dash = i;
    } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  if (last_dash + 1 >= n)
    return false;
  for (size_t i = last_dash + 1; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

/* FIPS host names differ per service and partition (the endpoint rule sets). */
static const char *fips_template(const char *service, const char *region,
                                 const struct nc_partition *p) {
  bool gov = !strcmp(p->name, "aws-us-gov");
  if (!strcmp(service, "sts"))
    return gov ? "sts.{r}.amazonaws.com" : "sts-fips.{r}.{s}";
  if (!strcmp(service, "logs"))
    return !strcmp(region, "us-gov-east-1") || !strcmp(region, "us-gov-west-1")
               ? "logs.{r}.amazonaws.com"
               : "logs-fips.{r}.{s}";
  if (!strcmp(service, "api.ecr"))
    return "api.ecr-fips.{r}.{s}";
  if (!strcmp(service, "api.sagemaker"))
    return gov || !strcmp(p->name, "aws") ? "api-fips.sagemaker.{r}.amazonaws.com"
                                          : "api.sagemaker-fips.{r}.{s}";
  return NULL; /* SERVICE-fips.{r}.{s}: s3, monitoring, ... */
}

int partition_expand(const char *tmpl, const char *service, const char *region, char *out,
                     size_t len) {
  const struct nc_partition *p;
  size_t n = 0;
  region = partition_region(region);
  p = partition_of_region(region);
  if (len == 0)
    return -1;
  while (*tmpl) {
    const char *piece = tmpl;
    size_t pl = 1;
    if (tmpl[0] == '{' && tmpl[1] && tmpl[2] == '}' && strchr("rspv", tmpl[1])) {
      piece = tmpl[1] == 'r'   ? region
              : tmpl[1] == 's' ? p->dns_suffix
              : tmpl[1] == 'p' ? p->name
                               : (service ? service : "");
      pl = strlen(piece);
      tmpl += 3;
    } else {
      tmpl++;
    }
    if (n + pl >= len) {
      out[0] = '\0';
      return -1;
    }
    memcpy(out + n, piece, pl);
    n += pl;
  }
  out[n] = '\0';
  return 0;
}

int partition_service_host(const char *service, const char *region, bool fips, char *out,
                           size_t len) {
  const char *tmpl = "{v}.{r}.{s}";
  region = partition_region(region);
  if (fips) {
    const char *t = fips_template(service, region, partition_of_region(region));
    tmpl = t ? t : "{v}-fips.{r}.{s}";
  }
  return partition_expand(tmpl, service, region, out, len);
}

int partition_s3_bucket_host(const char *bucket, const char *region, bool fips, char *out,
                             size_t len) {
  char s3[128];
  if (partition_service_host("s3", region, fips, s3, sizeof s3))
    return -1;
  return nc_snprintf(out, len, "%s.%s", bucket, s3) ? -1 : 0;
}

int partition_endpoint_service(const char *service, const char *region, char *out, size_t len) {
  region = partition_region(region);
  return nc_snprintf(out, len, "%s.%s.%s", partition_of_region(region)->endpoint_prefix, region,
                     service)
             ? -1
             : 0;
}

bool partition_bucket_name_ok(const char *b) {
  size_t n = strlen(b);
  if (n < 3 || n > 63)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = b[i];
    if (!(isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_'))
      return false;
  }
  return true;
}

bool partition_bucket_virtual_hosted(const char *b) {
  for (; *b; b++)
    if (!(islower((unsigned char)*b) || isdigit((unsigned char)*b) || *b == '-'))
      return false;
  return true;
}

/* ---- S3 URIs ---- */

static int why_set(char *why, size_t len, const char *text) {
  if (why && len)
    nc_strlcpy(why, text, len);
  return -1;
}

/* Percent-decodes s[0..n) into out; -1 on a bad escape, a NUL or no room. */
static int pct_decode(const char *s, size_t n, char *out, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 2 < n ? nc_hex_digit(s[i + 1]) : -1;
      int lo = i + 2 < n ? nc_hex_digit(s[i + 2]) : -1;
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        return -1;
      c = (char)(hi * 16 + lo);
      i += 2;
    }
    if (o + 1 >= len)
      return -1;
    out[o++] = c;
  }
  out[o] = '\0';
  return 0;
}

/* The DNS suffix host ends with (".amazonaws.com.cn" before ".amazonaws.com"),
 * and where it starts; NULL when it is no partition's. */
static const char *host_suffix(const char *host, size_t hn, size_t *at) {
  const char *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < NC_ARRAY_LEN(partitions); i++) {
    const char *sfx = partitions[i].p.dns_suffix;
    size_t sn = strlen(sfx);
    if (hn > sn + 1 && host[hn - sn - 1] == '.' && !strncmp(host + hn - sn, sfx, sn) &&
        sn > best_len) {
      best = sfx;
      best_len = sn;
    }
  }
  if (best)
    *at = hn - best_len - 1;
  return best;
}

/* Splits the labels of an S3 host before its suffix (host[0..n)) into the
 * bucket (labels before the S3 label, "" when none) and the region. */
static int s3_host_parts(const char *host, size_t n, char *bucket, size_t blen, char *region,
                         size_t rlen) {
  size_t s3_at = n; /* start of the S3 label */
  size_t i = 0;
  /* the S3 label is the last one that is "s3", "s3-fips" or "s3-REGION" */
  while (i < n) {
    size_t e = i;
    while (e < n && host[e] != '.')
      e++;
    if (e - i >= 2 && !strncmp(host + i, "s3", 2) && (e - i == 2 || host[i + 2] == '-'))
      s3_at = i;
    i = e + 1;
  }
  if (s3_at == n)
    return -1;
  region[0] = '\0';
  {
    size_t e = s3_at;
    const char *rest;
    size_t rn;
    while (e < n && host[e] != '.')
      e++;
    /* "s3-REGION": the legacy dash form names the region in the label */
    if (e - s3_at > 3 && !(e - s3_at == 7 && !strncmp(host + s3_at, "s3-fips", 7))) {
      const char *r = host + s3_at + 3;
      size_t len = e - s3_at - 3;
      if (!partition_region_shaped(r, len))
        return -1;
      if (len >= rlen)
        return -1;
      memcpy(region, r, len);
      region[len] = '\0';
    }
    rest = e < n ? host + e + 1 : host + n;
    rn = e < n ? n - e - 1 : 0;
    if (rn >= strlen("dualstack") && !strncmp(rest, "dualstack", strlen("dualstack")) &&
        (rn == strlen("dualstack") || rest[strlen("dualstack")] == '.')) {
      rest += strlen("dualstack");
      rn -= strlen("dualstack");
      if (rn) {
        rest++;
        rn--;
      }
    }
    if (rn) {
      if (region[0] || !partition_region_shaped(rest, rn) || rn >= rlen)
        return -1;
      memcpy(region, rest, rn);
      region[rn] = '\0';
    }
  }
  if (s3_at == 0) {
    bucket[0] = '\0';
    return 0;
  }
  if (s3_at - 1 >= blen)
    return -1;
  memcpy(bucket, host, s3_at - 1);
  bucket[s3_at - 1] = '\0';
  return 0;
}

int partition_s3_host(const char *host, char *bucket, size_t blen, char *region, size_t rlen) {
  size_t hn = strlen(host), at = 0;
  char b[64], r[32];
  if (!host_suffix(host, hn, &at) || s3_host_parts(host, at, b, sizeof b, r, sizeof r))
    return -1;
  if ((bucket && nc_snprintf(bucket, blen, "%s", b)) ||
      (region && nc_snprintf(region, rlen, "%s", r)))
    return -1;
  return 0;
}

static int parse_https(const char *uri, struct nc_s3_uri *out, char *why, size_t whylen) {
  const char *h = uri + strlen("https://");
  size_t hn = strcspn(h, "/?#"), at = 0;
  char host[NC_HOST_MAX] = "", path[NC_PATH_MAX + 64];
  const char *p = h + hn, *key;
  size_t pn;
  if (memchr(h, '@', hn))
    return why_set(why, whylen, "an https S3 URI with user information is not used");
  if (hn == 0 || hn >= sizeof host)
    return why_set(why, whylen, "no host name, or one longer than 255 bytes");
  for (size_t i = 0; i < hn; i++)
    host[i] = (char)tolower((unsigned char)h[i]);
  host[hn] = '\0';
  /* an explicit :443 is the same endpoint; any other port is not S3's */
  if (hn > 4 && !strcmp(host + hn - 4, ":443"))
    host[hn -= 4] = '\0';
  if (strchr(host, ':'))
    return why_set(why, whylen, "not an Amazon S3 endpoint (a port other than 443)");
  if (!host_suffix(host, hn, &at) ||
      s3_host_parts(host, at, out->bucket, sizeof out->bucket, out->region, sizeof out->region))
    return why_set(why, whylen,
                   "not an Amazon S3 endpoint name (BUCKET.s3.REGION.amazonaws.com or "
                   "s3.REGION.amazonaws.com/BUCKET)");
  if (out->region[0] && strcmp(partition_of_region(out->region)->dns_suffix, host + at + 1))
    return why_set(why, whylen, "the region it names is not in the partition of its host name");
  pn = strcspn(p, "?#");
  if (pct_decode(p, pn, path, sizeof path))
    return why_set(why, whylen, "a malformed percent escape, or a path that is too long");
  key = path[0] == '/' ? path + 1 : path;
  if (!out->bucket[0]) { /* path style: the first segment is the bucket */
    size_t bn = strcspn(key, "/");
    if (bn >= sizeof out->bucket)
      return why_set(why, whylen, "not a bucket name");
    memcpy(out->bucket, key, bn);
    out->bucket[bn] = '\0';
    key += bn;
    if (*key == '/')
      key++;
  }
  if (nc_strlcpy(out->prefix, key, sizeof out->prefix) >= sizeof out->prefix)
    return why_set(why, whylen, "a key prefix longer than 1023 bytes");
  out->https = true;
  return 0;
}

int partition_parse_s3_uri(const char *uri, struct nc_s3_uri *out, char *why, size_t whylen) {
  int rc;
  memset(out, 0, sizeof *out);
  if (!uri)
    return why_set(why, whylen, "no URI");
  if (!strncasecmp(uri, "s3://", 5)) {
    const char *b = uri + 5;
    size_t n = strcspn(b, "/");
    if (n >= sizeof out->bucket)
      return why_set(why, whylen, "not a bucket name");
    memcpy(out->bucket, b, n);
    out->bucket[n] = '\0';
    if (nc_strlcpy(out->prefix, b[n] ? b + n + 1 : "", sizeof out->prefix) >= sizeof out->prefix)
      return why_set(why, whylen, "a key prefix longer than 1023 bytes");
    rc = 0;
  } else if (!strncasecmp(uri, "https://", 8)) {
    rc = parse_https(uri, out, why, whylen);
  } else {
    return why_set(why, whylen, "not an s3:// or https:// URI");
  }
  if (rc == 0 && !partition_bucket_name_ok(out->bucket))
    rc = why_set(why, whylen, "not a bucket name (letters, digits, '.', '-', 3 to 63 characters)");
  if (rc)
    memset(out, 0, sizeof *out);
  return rc;
}
