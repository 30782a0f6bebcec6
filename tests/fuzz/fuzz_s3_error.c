/*
 * fuzz_s3_error.c - the S3 body parsers (s3_parse_error_xml,
 * s3_parse_key_count) on arbitrary bytes, then what the s3 probe does with
 * a parsed error: the region named by its <Endpoint>, and the diagnosis.
 * s3.h promises fields that can go into the report as they are: printable,
 * valid UTF-8, terminated inside their arrays.
 */
#include "fuzz.h"

#include "netcheck/s3.h"

static void check_field(const char *s, size_t cap) {
  FUZZ_CHECK(fuzz_terminated(s, cap));
  FUZZ_CHECK(fuzz_printable_utf8(s));
  size_t n = strlen(s);
  FUZZ_CHECK(n == 0 || s[n - 1] != ' '); /* trimmed */
}

#define CHECK_FIELD(f) check_field((f), sizeof(f))

FUZZ_SETUP()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct s3_error e;
  const char *buf = (const char *)data;
  char region[64], msg[1024], rem[1024];
  long keys = -1;

  int rc = s3_parse_error_xml(buf, size, &e);
  CHECK_FIELD(e.code);
  CHECK_FIELD(e.message);
  CHECK_FIELD(e.region);
  CHECK_FIELD(e.bucket_region);
  CHECK_FIELD(e.endpoint);
  CHECK_FIELD(e.bucket);
  CHECK_FIELD(e.request_id);
  CHECK_FIELD(e.host_id);
  if (rc == 0)
    FUZZ_CHECK(e.code[0] != '\0');

  if (s3_parse_key_count(buf, size, &keys) == 0)
    FUZZ_CHECK(keys >= 0);

  if (s3_region_from_endpoint(e.endpoint, region, sizeof region) == 0)
    FUZZ_CHECK(region[0] != '\0' && fuzz_terminated(region, sizeof region));

  /* The probe's view of a 403/301/400 carrying this body. */
  static const long statuses[] = {301, 400, 403, 404, 503};
  struct s3_response_view v = {
      .bucket = "nc-fuzz-bucket",
      .region = "us-east-1",
      .operation = "HeadBucket",
      .is_signed = size & 1,
      .transport = -1,
      .outcome = "http",
      .host = "nc-fuzz-bucket.s3.us-east-1.amazonaws.com",
      .address = "198.18.0.10",
      .address_class = "inside_vpc",
      .status = statuses[size % NC_ARRAY_LEN(statuses)],
      .s3_code = e.code,
      .s3_message = e.message,
      .bucket_region = e.bucket_region[0] ? e.bucket_region : e.region,
  };
  s3_classify(&v, msg, sizeof msg, rem, sizeof rem);
  FUZZ_TERMINATED(msg);
  FUZZ_TERMINATED(rem);
  FUZZ_CHECK(fuzz_printable_utf8(msg));
  FUZZ_CHECK(fuzz_printable_utf8(rem));
  return 0;
}
