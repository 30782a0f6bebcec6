/*
 * s3answer.c - what an S3 answer says, without I/O: the fields of an S3
 * <Error> body and a listing's <KeyCount> (through the XML scanner,
 * agent/xml.c), the region an endpoint name carries, and s3_classify(),
 * which turns one answer (struct s3_response_view) into a diagnosis code, a
 * message, and the remediation rendered from the code's fix template in the
 * diag table. The s3 and s3-write probes call it; the unit tests and the
 * fuzz targets call it with recorded answers.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "netcheck/common.h"
#include "netcheck/diag.h"
#include "netcheck/partition.h"
#include "netcheck/s3.h"
#include "netcheck/utf8.h"
#include "netcheck/xml.h"

#define S3_DEFAULT_ACTION "s3:ListBucket" /* what a HeadBucket or a listing needs */

/* ------------------------------------------------------------------------ */
/* Error bodies and listings                                                */

int s3_parse_error_xml(const char *buf, size_t len, struct s3_error *out) {
  memset(out, 0, sizeof(*out));
  struct xml_field f[] = {
      {"Code", out->code, sizeof(out->code)},
      {"Message", out->message, sizeof(out->message)},
      {"Region", out->region, sizeof(out->region)},
      {"BucketRegion", out->bucket_region, sizeof(out->bucket_region)},
      {"Endpoint", out->endpoint, sizeof(out->endpoint)},
      {"Bucket", out->bucket, sizeof(out->bucket)},
      {"BucketName", out->bucket, sizeof(out->bucket)},
      {"RequestId", out->request_id, sizeof(out->request_id)},
      {"HostId", out->host_id, sizeof(out->host_id)},
  };
  if (xml_scan(buf, len, "Error", f, NC_ARRAY_LEN(f), false) != 0)
    return -1;
  return out->code[0] ? 0 : -1;
}

int s3_parse_key_count(const char *buf, size_t len, long *key_count) {
  char text[24];
  struct xml_field f[] = {{"KeyCount", text, sizeof(text)}};
  if (xml_scan(buf, len, "ListBucketResult", f, 1, false) != 0 || text[0] == '\0')
    return -1;
  long v = 0;
  for (const char *c = text; *c; c++) {
    if (*c < '0' || *c > '9' || v > 100000000L)
      return -1;
    v = v * 10 + (*c - '0');
  }
  *key_count = v;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Regions                                                                  */

bool s3_region_ok(const char *s) { return s != NULL && partition_region_shaped(s, strlen(s)); }

int s3_region_from_endpoint(const char *host, char *region, size_t len) {
  char lower[NC_HOST_MAX];
  size_t n;
  if (host == NULL || region == NULL || len == 0 || (n = strlen(host)) >= sizeof(lower))
    return -1;
  for (size_t i = 0; i <= n; i++)
    lower[i] = (char)tolower((unsigned char)host[i]);
  if (partition_s3_host(lower, NULL, 0, region, len) != 0 || region[0] == '\0') {
    region[0] = '\0';
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Classification                                                           */

static const char *s3_or(const char *s, const char *dflt) { return (s && *s) ? s : dflt; }

static bool s3_code_is(const char *code, const char *lit) {
  return code != NULL && strcmp(code, lit) == 0;
}

/* The action an extended AccessDenied message names ("perform: s3:GetObject",
 * "perform: kms:GenerateDataKey"), else dflt. */
static void s3_denied_action(const char *message, const char *dflt, char *out, size_t len) {
  const char *a = message ? strstr(message, "perform: ") : NULL;
  nc_strlcpy(out, dflt, len);
  if (a == NULL)
    return;
  a += strlen("perform: ");
  size_t n = 0;
  while (a[n] && a[n] != ' ' && n < 63)
    n++;
  if (n > 4 && (strncmp(a, "s3:", 3) == 0 || strncmp(a, "kms:", 4) == 0) && n < len) {
    memcpy(out, a, n);
    out[n] = '\0';
  }
}

/* The principal an extended AccessDenied message names ("User: ARN is not
 * authorized"); ARNs are not secrets. "" when absent. */
static void s3_denied_principal(const char *message, char *out, size_t len) {
  const char *a = message ? strstr(message, "User: ") : NULL;
  const char *b = a ? strstr(a, " is not authorized") : NULL;
  out[0] = '\0';
  if (a == NULL || b == NULL)
    return;
  a += strlen("User: ");
  size_t n = (size_t)(b - a);
  if (n > 0 && n < len) {
    memcpy(out, a, n);
    out[n] = '\0';
  }
}

/* The policy kinds an extended AccessDenied message can blame (other than
 * the VPC endpoint policy): what the message says, and the variant of the
 * S3_DENIED fix template that says what must change. */
struct s3_policy_kind {
  const char *needle;
  const char *what;
  const char *fix; /* variant of S3_DENIED's fix */
};

static const struct s3_policy_kind *s3_denied_policy(const char *message) {
  static const struct s3_policy_kind kinds[] = {
      {"identity-based policy", "the execution role's IAM policy", "identity"},
      {"resource-based policy", "the bucket policy", "resource"},
      {"service control policy", "an AWS Organizations service control policy", "scp"},
      {"resource control policy", "an AWS Organizations resource control policy", "rcp"},
      {"permissions boundary", "the role's permissions boundary", "boundary"},
      {"session policy", "the session policy", "session"},
  };
  if (message == NULL)
    return NULL;
  for (size_t k = 0; k < NC_ARRAY_LEN(kinds); k++)
    if (strcasestr(message, kinds[k].needle))
      return &kinds[k];
  return NULL;
}

/* No HTTP answer. DNS, TLS and budget advice is the same for every family
 * (the code's default fix); only "no route" has an S3-specific fix. */
static enum nc_code s3_classify_transport(const struct s3_response_view *v, char *msg,
                                          size_t msglen, char *rem, size_t remlen) {
  const char *host = s3_or(v->host, "the S3 endpoint");
  const char *addr = s3_or(v->address, "its address");
  const char *outcome = s3_or(v->outcome, "no answer");
  const char *err = s3_or(v->transport_error, outcome);
  enum nc_code code = (enum nc_code)v->transport;

  switch (code) {
  case NC_DNS_NXDOMAIN:
  case NC_DNS_TIMEOUT:
  case NC_DNS_SERVFAIL:
  case NC_DNS_REFUSED:
  case NC_DNS_NO_RESOLVER:
    nc_snprintf(msg, msglen, "%s did not resolve (%s): the request never left the container", host,
                diag_name(code));
    break;
  case NC_S3_NO_ROUTE:
    nc_snprintf(msg, msglen, "no answer from %s at %s (%s): %s", host, addr, outcome, err);
    if (s3_code_is(v->address_class, "inside_vpc")) {
      diag_fix(rem, remlen, code, "inside_vpc", DIAG_FACTS({"address", addr}));
    } else {
      char svc[96];
      if (partition_endpoint_service("s3", s3_or(v->region, "REGION"), svc, sizeof(svc)))
        nc_strlcpy(svc, "com.amazonaws.REGION.s3", sizeof(svc));
      diag_fix(rem, remlen, code, NULL, DIAG_FACTS({"service", svc}));
    }
    return code;
  case NC_TLS_UNTRUSTED:
    nc_snprintf(msg, msglen, "the TLS certificate presented for %s at %s is not trusted (%s)", host,
                addr, err);
    break;
  case NC_TLS_HANDSHAKE:
    nc_snprintf(msg, msglen, "the TLS handshake with %s at %s failed (%s)", host, addr, err);
    break;
  case NC_TIMEOUT_BUDGET:
    nc_snprintf(msg, msglen, "no answer from %s before the probe's deadline (%s)", host, outcome);
    break;
  default:
    nc_snprintf(msg, msglen, "%s failed for %s (%s): %s", s3_or(v->operation, "the request"), host,
                outcome, err);
    return code; /* no advice for what the transport could not name */
  }
  diag_fix(rem, remlen, code, NULL, NULL);
  return code;
}

/* The ARN a remediation names: the bucket (reads), or the objects under
 * the key prefix (writes), in the request's partition. */
static void s3_resource_arn(const struct s3_response_view *v, char *out, size_t len) {
  const char *part = s3_or(v->partition, "aws");
  const char *bucket = s3_or(v->bucket, "BUCKET");
  if (v->write)
    nc_snprintf(out, len, "arn:%s:s3:::%s/%s*", part, bucket, s3_or(v->prefix, ""));
  else
    nc_snprintf(out, len, "arn:%s:s3:::%s", part, bucket);
}

static enum nc_code s3_classify_denied(const struct s3_response_view *v, char *msg, size_t msglen,
                                       char *rem, size_t remlen) {
  const char *bucket = s3_or(v->bucket, "BUCKET");
  const char *op = s3_or(v->operation, "the request");
  const char *smsg = s3_or(v->s3_message, "");
  const char *part = s3_or(v->partition, "aws");
  const enum nc_code endpoint_code =
      v->write ? NC_S3_WRITE_DENIED_ENDPOINT_POLICY : NC_S3_DENIED_ENDPOINT_POLICY;
  const enum nc_code denied_code = v->write ? NC_S3_WRITE_DENIED : NC_S3_DENIED;
  char action[64];
  char principal[256];
  char as[300] = "";
  char arn[NC_PATH_MAX + 128];
  char hint[512] = "";
  s3_denied_action(smsg, v->write ? "s3:PutObject" : S3_DEFAULT_ACTION, action, sizeof(action));
  s3_denied_principal(smsg, principal, sizeof(principal));
  s3_resource_arn(v, arn, sizeof(arn));
  if (principal[0])
    nc_snprintf(as, sizeof(as), " (as %s)", principal);
  if (v->write) /* what a bucket policy that denies a write often tests */
    diag_fix(hint, sizeof(hint), NC_S3_WRITE_DENIED, "sse_hint", NULL);
  const struct diag_fact *facts = DIAG_FACTS({"action", action}, {"arn", arn}, {"partition", part},
                                             {"bucket", bucket}, {"sse_hint", hint});

  if (strcasestr(smsg, "no VPC endpoint policy allows")) {
    nc_snprintf(msg, msglen, "S3 denied %s on %s because no VPC endpoint policy allows %s%s", op,
                bucket, action, as);
    diag_fix(rem, remlen, endpoint_code, NULL, facts);
    return endpoint_code;
  }
  if (strcasestr(smsg, "explicit deny in a VPC endpoint policy")) {
    nc_snprintf(msg, msglen,
                "S3 denied %s on %s: an explicit deny in a VPC endpoint policy matches %s%s", op,
                bucket, action, as);
    diag_fix(rem, remlen, endpoint_code, "deny", facts);
    return endpoint_code;
  }
  if (!v->is_signed) {
    nc_snprintf(msg, msglen,
                "S3 denied the anonymous %s on %s with a plain 'Access Denied': the network path "
                "to S3 works, but S3 never says why to an anonymous request, so whether the VPC "
                "endpoint policy, the bucket policy or Block Public Access refused it is not "
                "known",
                op, bucket);
    diag_fix(rem, remlen, denied_code, "anonymous", facts);
    return denied_code;
  }
  const struct s3_policy_kind *kind = s3_denied_policy(smsg);
  if (kind) {
    nc_snprintf(msg, msglen, "S3 denied %s on %s: %s does not allow %s%s", op, bucket, kind->what,
                action, as);
    diag_fix(rem, remlen, denied_code, kind->fix, facts);
    return denied_code;
  }
  nc_snprintf(msg, msglen,
              "S3 denied the signed %s on %s (%s%s%s): S3 names the denying policy only for "
              "callers in the bucket owner's account or organization, so the VPC endpoint policy, "
              "the bucket policy and the role's IAM policy all remain candidates",
              op, bucket, s3_or(v->s3_code, "HTTP 403"), smsg[0] ? ": " : "", smsg);
  diag_fix(rem, remlen, denied_code, NULL, facts);
  return denied_code;
}

static enum nc_code s3_classify_region(const struct s3_response_view *v, const char *real,
                                       char *msg, size_t msglen, char *rem, size_t remlen) {
  const char *bucket = s3_or(v->bucket, "BUCKET");
  const char *region = s3_or(v->region, "REGION");
  char why[80];
  if (v->s3_code && v->s3_code[0])
    nc_strlcpy(why, v->s3_code, sizeof(why));
  else
    nc_snprintf(why, sizeof(why), "HTTP %ld", v->status);
  if (real[0]) {
    nc_snprintf(msg, msglen, "bucket %s is in %s, not in %s (%s)", bucket, real, region, why);
    diag_fix(rem, remlen, NC_S3_WRONG_REGION, NULL,
             DIAG_FACTS({"region", region}, {"bucket_region", real}));
  } else {
    nc_snprintf(msg, msglen, "S3 redirected the request for bucket %s: it is not in %s (%s)",
                bucket, region, why);
    diag_fix(rem, remlen, NC_S3_WRONG_REGION, "redirect", DIAG_FACTS({"region", region}));
  }
  return NC_S3_WRONG_REGION;
}

bool s3_error_is_kms(const char *code, const char *message) {
  code = s3_or(code, "");
  message = s3_or(message, "");
  if (strncmp(code, "KMS.", 4) == 0)
    return true;
  if (s3_code_is(code, "AccessDenied")) /* "perform: kms:GenerateDataKey", "arn:aws:kms:..." */
    return strstr(message, "kms:") != NULL;
  if (s3_code_is(code, "InvalidArgument") || s3_code_is(code, "KMSKeyNotFoundException"))
    return strcasestr(message, "kms") != NULL;
  return false;
}

/* A write S3 refused because of its SSE-KMS key: S3 asks KMS for a data key
 * as the caller, so the role needs the key, and the key must be usable. */
static enum nc_code s3_classify_kms(const struct s3_response_view *v, char *msg, size_t msglen,
                                    char *rem, size_t remlen) {
  const char *bucket = s3_or(v->bucket, "BUCKET");
  const char *code = s3_or(v->s3_code, "HTTP error");
  const char *smsg = s3_or(v->s3_message, "");
  const char *key = s3_or(v->kms_key, "S3's AWS managed key (aws/s3)");
  char action[64];
  s3_denied_action(smsg, "kms:GenerateDataKey", action, sizeof(action));
  nc_snprintf(msg, msglen, "S3 refused the signed %s on %s with SSE-KMS key %s (%s%s%s)",
              s3_or(v->operation, "PutObject"), bucket, key, code, smsg[0] ? ": " : "", smsg);
  const char *variant = NULL;
  if (s3_code_is(code, "KMS.NotFoundException") || strcasestr(smsg, "invalid arn") ||
      strcasestr(smsg, "not found") || strcasestr(smsg, "does not exist"))
    variant = "not_found";
  else if (s3_code_is(code, "KMS.DisabledException") ||
           s3_code_is(code, "KMS.KMSInvalidStateException") || strcasestr(smsg, "disabled") ||
           strcasestr(smsg, "pending deletion"))
    variant = "disabled";
  diag_fix(rem, remlen, NC_S3_WRITE_KMS_DENIED, variant,
           DIAG_FACTS({"key", key}, {"action", action},
                      {"region", s3_or(v->region, "the bucket's Region")}));
  return NC_S3_WRITE_KMS_DENIED;
}

static enum nc_code s3_classify_answer(const struct s3_response_view *v, char *msg, size_t msglen,
                                       char *rem, size_t remlen) {
  if (v->transport >= 0)
    return s3_classify_transport(v, msg, msglen, rem, remlen);

  const char *bucket = s3_or(v->bucket, "BUCKET");
  const char *op = s3_or(v->operation, "the request");
  const char *code = s3_or(v->s3_code, "");
  const char *smsg = s3_or(v->s3_message, "");
  const char *who = v->is_signed ? "signed" : "anonymous";
  long status = v->status;
  char real[32] = "";
  if (s3_region_ok(v->bucket_region))
    nc_strlcpy(real, v->bucket_region, sizeof(real));
  bool region_differs = real[0] && v->region && strcmp(real, v->region) != 0;

  if (status >= 200 && status < 300) {
    nc_snprintf(msg, msglen, "S3 answered the %s %s on %s with HTTP %ld", who, op, bucket, status);
    return NC_OK;
  }
  if (s3_code_is(code, "RequestTimeTooSkewed")) {
    nc_snprintf(msg, msglen,
                "S3 refused the signed %s on %s because the request time differs from S3's by "
                "more than 15 minutes (RequestTimeTooSkewed)",
                op, bucket);
    diag_fix(rem, remlen, NC_CLOCK_SKEW, "s3", NULL);
    return NC_CLOCK_SKEW;
  }
  if (s3_code_is(code, "InvalidAccessKeyId") || s3_code_is(code, "InvalidToken") ||
      s3_code_is(code, "ExpiredToken") || s3_code_is(code, "TokenRefreshRequired")) {
    nc_snprintf(msg, msglen, "S3 rejected the credentials of the signed %s on %s (%s: %s)", op,
                bucket, code, smsg);
    char why[128];
    diag_fix(why, sizeof(why), NC_CREDS_UNAVAILABLE,
             s3_code_is(code, "InvalidAccessKeyId") ? "why_unknown_key" : "why_bad_token", NULL);
    diag_fix(rem, remlen, NC_CREDS_UNAVAILABLE, "s3", DIAG_FACTS({"why", why}));
    return NC_CREDS_UNAVAILABLE;
  }
  if (s3_code_is(code, "SignatureDoesNotMatch") ||
      (s3_code_is(code, "AuthorizationHeaderMalformed") && !region_differs)) {
    nc_snprintf(msg, msglen, "S3 did not accept the signature of the signed %s on %s (%s: %s)", op,
                bucket, code, smsg);
    diag_fix(rem, remlen, NC_S3_SIGNATURE_MISMATCH, NULL, NULL);
    return NC_S3_SIGNATURE_MISMATCH;
  }
  if (v->write && s3_error_is_kms(code, smsg))
    return s3_classify_kms(v, msg, msglen, rem, remlen);
  if (s3_code_is(code, "NoSuchBucket") || (!code[0] && status == 404)) {
    nc_snprintf(msg, msglen, "S3 says bucket %s does not exist (%s on %s: HTTP %ld)", bucket,
                code[0] ? code : "no such bucket", op, status);
    diag_fix(rem, remlen, NC_S3_NO_SUCH_BUCKET, NULL, NULL);
    return NC_S3_NO_SUCH_BUCKET;
  }
  if (s3_code_is(code, "PermanentRedirect") || s3_code_is(code, "TemporaryRedirect") ||
      s3_code_is(code, "AuthorizationHeaderMalformed") ||
      s3_code_is(code, "IllegalLocationConstraintException") || status == 301 || status == 307)
    return s3_classify_region(v, region_differs ? real : "", msg, msglen, rem, remlen);
  if (s3_code_is(code, "AccessDenied") || s3_code_is(code, "AllAccessDisabled") ||
      (!code[0] && status == 403))
    return s3_classify_denied(v, msg, msglen, rem, remlen);
  if (region_differs && status >= 300)
    return s3_classify_region(v, real, msg, msglen, rem, remlen);
  if (status >= 500) {
    if (!code[0] && (status == 502 || status == 504)) {
      nc_snprintf(msg, msglen,
                  "a proxy or gateway answered HTTP %ld for %s on %s: it could not reach S3",
                  status, op, bucket);
      diag_fix(rem, remlen, NC_S3_NO_ROUTE, "proxy", NULL);
      return NC_S3_NO_ROUTE;
    }
    nc_snprintf(msg, msglen,
                "S3 answered the %s %s on %s with HTTP %ld%s%s: the network path works, S3 "
                "itself failed",
                who, op, bucket, status, code[0] ? " " : "", code);
    return NC_OK;
  }
  nc_snprintf(msg, msglen, "S3 refused the %s %s on %s with HTTP %ld%s%s%s%s", who, op, bucket,
              status, code[0] ? " " : "", code, smsg[0] ? ": " : "", smsg);
  return v->write ? NC_S3_WRITE_DENIED : NC_S3_DENIED;
}

enum nc_code s3_classify(const struct s3_response_view *v, char *msg, size_t msglen, char *rem,
                         size_t remlen) {
  char mdummy[1];
  char rdummy[1];
  if (msg == NULL || msglen == 0) {
    msg = mdummy;
    msglen = sizeof(mdummy);
  }
  if (rem == NULL || remlen == 0) {
    rem = rdummy;
    remlen = sizeof(rdummy);
  }
  msg[0] = '\0';
  rem[0] = '\0';
  enum nc_code code = s3_classify_answer(v, msg, msglen, rem, remlen);
  utf8_trim_tail(msg);
  utf8_trim_tail(rem);
  return code;
}
