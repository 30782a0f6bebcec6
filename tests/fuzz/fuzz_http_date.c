/*
 * fuzz_http_date.c - clock_parse_http_date() (clock.h) on arbitrary Date
 * header values. A date it accepts is a real calendar date: printed back
 * as an IMF-fixdate, it parses to the same time.
 */
#include "fuzz.h"

#include <time.h>

#include "netcheck/clock.h"
#include "netcheck/s3.h"

FUZZ_SETUP()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  time_t t;

  char *s = fuzz_cstr(data, size);
  if (clock_parse_http_date(s, &t) == 0) {
    time_t again;
    struct tm tm;
    char imf[64];
    FUZZ_CHECK(gmtime_r(&t, &tm) != NULL);
    FUZZ_CHECK(tm.tm_year + 1900 >= 1900 && tm.tm_year + 1900 <= 9999);
    FUZZ_CHECK(strftime(imf, sizeof imf, "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0);
    FUZZ_CHECK(clock_parse_http_date(imf, &again) == 0 && again == t);
  }
  free(s);
  return 0;
}
