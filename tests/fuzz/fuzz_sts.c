/*
 * fuzz_sts.c - the STS GetCallerIdentity answer (aws_sts_classify) and the
 * XML scanner's element lookup it and the repo probe use (xml_text) on
 * arbitrary bodies: what they extract goes into the report as it is:
 * printable, valid UTF-8, terminated inside its array.
 */
#include "fuzz.h"

#include "netcheck/outbound.h"
#include "netcheck/xml.h"

FUZZ_SETUP()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const long statuses[] = {200, 400, 403, 500};
  const char *body = (const char *)data;
  struct sts_answer a;
  char text[64];

  aws_sts_classify(statuses[size % NC_ARRAY_LEN(statuses)], body, size, &a);
  FUZZ_TERMINATED(a.arn);
  FUZZ_TERMINATED(a.account);
  FUZZ_TERMINATED(a.error_code);
  FUZZ_TERMINATED(a.error_message);
  FUZZ_CHECK(fuzz_printable_utf8(a.arn) && fuzz_printable_utf8(a.account));
  FUZZ_CHECK(fuzz_printable_utf8(a.error_code) && fuzz_printable_utf8(a.error_message));

  /* A small output buffer: the cut must stay inside it. */
  if (xml_text(body, size, "Code", text, sizeof text) == 0) {
    FUZZ_TERMINATED(text);
    FUZZ_CHECK(fuzz_printable_utf8(text));
  }
  return 0;
}
