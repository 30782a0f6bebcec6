/*
 * clock.h - the clock probe's pure part (probes/clock.c): its thresholds and
 * the HTTP Date parser, for the unit tests and the fuzz target.
 */
#ifndef NETCHECK_CLOCK_H
#define NETCHECK_CLOCK_H

#include <time.h>

#define CLOCK_WARN_SECONDS 60  /* above: warn */
#define CLOCK_FAIL_SECONDS 300 /* above: CLOCK_SKEW (SigV4 itself refuses 900) */

/* Parses an HTTP Date (RFC 7231 7.1.1.1): the IMF-fixdate
 * "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete RFC 850 and asctime
 * forms recipients must accept. Locale-independent; surrounding blanks
 * allowed; day names are checked for form, not against the date.
 * Returns 0 and the UTC time in *out, or -1. */
int clock_parse_http_date(const char *s, time_t *out);

#endif
