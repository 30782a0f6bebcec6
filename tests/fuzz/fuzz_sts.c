/*
 * fuzz_sts.c - the STS GetCallerIdentity answer (aws_sts_classify) and the
 * XML text extractor it and the repo probe share (outbound_xml_text) on
 * arbitrary bodies: what they extract goes into the report as printable
 * ASCII.
 */
#include "fuzz.h"

#include "netcheck/outbound.h"

static bool printable_ascii(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
      return false;
  return true;
}

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
  FUZZ_CHECK(printable_ascii(a.arn) && printable_ascii(a.account));
  FUZZ_CHECK(printable_ascii(a.error_code) && printable_ascii(a.error_message));

  /* A small output buffer: the cut must stay inside it. */
  if (outbound_xml_text(body, size, "Code", text, sizeof text) == 0) {
    FUZZ_TERMINATED(text);
    FUZZ_CHECK(printable_ascii(text));
  }
  return 0;
}
