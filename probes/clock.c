/*
 * clock.c - the clock probe (clock:s3.REGION.SUFFIX, the partition's regional
 * S3 name, s3-fips with --fips): the skew of the local clock against the
 * Date header of the regional S3 front.
 *
 * SigV4 refuses requests more than 15 minutes off, so a job with a bad
 * clock fails every AWS call with an error that names no network problem.
 * One HEAD to https://s3.REGION.amazonaws.com/ (any status will do: S3 dates
 * every answer); the server's second is compared with the local time at
 * the moment the answer arrived minus half the request's round trip.
 * When S3 cannot be reached the probe skips: the s3 probes name that
 * network problem, this one has nothing to add.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "netcheck/clock.h"
#include "netcheck/common.h"
#include "netcheck/http.h"
#include "netcheck/outbound.h"
#include "netcheck/partition.h"
#include "netcheck/s3.h"

/* ------------------------------------------------------------------------ */
/* RFC 7231 HTTP-date                                                       */

#define CLOCK_MAX_TIME INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

struct clock_cursor {
  const char *s;
};

static const char *const clock_months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const clock_days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const clock_days_long[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                               "Friday", "Saturday", "Sunday"};

static bool clock_lit(struct clock_cursor *c, const char *lit) {
  size_t n = strlen(lit);
  if (strncmp(c->s, lit, n) != 0)
    return false;
  c->s += n;
  return true;
}

/* Exactly n digits. */
static bool clock_digits(struct clock_cursor *c, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    char ch = c->s[i];
    if (ch < '0' || ch > '9')
      return false;
    v = v * 10 + (ch - '0');
  }
  c->s += n;
  *out = v;
  return true;
}

/* One of the names; the index in *out. Names are case-sensitive (RFC 7231). */
static bool clock_name(struct clock_cursor *c, const char *const *names, int n, int *out) {
  for (int i = 0; i < n; i++) {
    if (clock_lit(c, names[i])) {
      *out = i;
      return true;
    }
  }
  return false;
}

/* "HH:MM:SS" */
static bool clock_time(struct clock_cursor *c, int *h, int *m, int *sec) {
  return clock_digits(c, 2, h) && clock_lit(c, ":") && clock_digits(c, 2, m) && clock_lit(c, ":") &&
         clock_digits(c, 2, sec);
}

static bool clock_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static bool clock_valid(int y, int mon, int d, int h, int m, int s) {
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || y > 9999 || mon < 0 || mon > 11 || d < 1 || h > 23 || m > 59 || s > 60)
    return false;
  int last = mdays[mon] + (mon == 1 && clock_leap(y) ? 1 : 0);
  return d <= last;
}

int clock_parse_http_date(const char *s, time_t *out) {
  struct clock_cursor c = {s};
  int wd, d = 0, mon = 0, y = 0, h = 0, m = 0, sec = 0;
  bool ok = false;
  if (s == NULL || out == NULL)
    return -1;
  while (*c.s == ' ' || *c.s == '\t')
    c.s++;

  const char *start = c.s;
  /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
  if (clock_name(&c, clock_days, 7, &wd) && clock_lit(&c, ", ") && clock_digits(&c, 2, &d) &&
      clock_lit(&c, " ") && clock_name(&c, clock_months, 12, &mon) && clock_lit(&c, " ") &&
      clock_digits(&c, 4, &y) && clock_lit(&c, " ") && clock_time(&c, &h, &m, &sec) &&
      clock_lit(&c, " GMT"))
    ok = true;
  /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit year is taken
   * in 1970-2069, which is all an HTTP client can still meet */
  if (!ok) {
    c.s = start;
    if (clock_name(&c, clock_days_long, 7, &wd) && clock_lit(&c, ", ") && clock_digits(&c, 2, &d) &&
        clock_lit(&c, "-") && clock_name(&c, clock_months, 12, &mon) && clock_lit(&c, "-") &&
        clock_digits(&c, 2, &y) && clock_lit(&c, " ") && clock_time(&c, &h, &m, &sec) &&
        clock_lit(&c, " GMT")) {
      y += y < 70 ? 2000 : 1900;
      ok = true;
    }
  }
  /* asctime: "Sun Nov  6 08:49:37 1994" */
  if (!ok) {
    c.s = start;
    if (clock_name(&c, clock_days, 7, &wd) && clock_lit(&c, " ") &&
        clock_name(&c, clock_months, 12, &mon) && clock_lit(&c, " ")) {
      if (clock_lit(&c, " "))
        ok = clock_digits(&c, 1, &d);
      else
        ok = clock_digits(&c, 2, &d);
      ok = ok && clock_lit(&c, " ") && clock_time(&c, &h, &m, &sec) && clock_lit(&c, " ") &&
           clock_digits(&c, 4, &y);
    }
  }
  if (!ok)
    return -1;
  /* a header value may still carry its line end */
  while (*c.s == ' ' || *c.s == '\t' || *c.s == '\r' || *c.s == '\n')
    c.s++;
  if (*c.s != '\0' || !clock_valid(y, mon, d, h, m, sec))
    return -1;

  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = y - 1900;
  tm.tm_mon = mon;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  if (t == (time_t)-1 && !(y == 1969 && mon == 11 && d == 31 && h == 23 && m == 59 && sec == 59))
    return -1;
  /* a leap second (:60) at the very end of 9999 would leave the range */
  if ((int64_t)t > CLOCK_MAX_TIME)
    return -1;
  *out = t;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* The probe                                                                */

static int64_t clock_realtime_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "2024-05-01T12:00:00.250Z" */
static void clock_iso8601(int64_t ms, char *out, size_t len) {
  time_t sec = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int frac = (int)(ms - (int64_t)sec * 1000);
  struct tm tm;
  if (gmtime_r(&sec, &tm) == NULL) {
    nc_strlcpy(out, "", len);
    return;
  }
  nc_snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static void clock_on_answer(struct probe *p, const struct outbound_obs *o, void *arg) {
  /* first: every later step only adds to the error */
  int64_t arrived_ms = clock_realtime_ms();
  const struct http_resp *r = o->resp;
  const char *host = p->name; /* the regional S3 name the plan chose */
  int host_len = (int)strlen(host);
  time_t server;
  (void)arg;

  /* Nothing is known about the clock then. A network failure is the s3
   * probes' finding, not this one's: skip with OK. */
  if (o->stage != OUTBOUND_ANSWERED || r == NULL) {
    probe_finish(p, NC_VERDICT_SKIP, NC_OK, o->outcome,
                 "the clock could not be checked: %.*s %s (%s; the s3 probes name the network "
                 "problem)",
                 host_len, host,
                 o->stage == OUTBOUND_DNS_FAILED ? "did not resolve" : "did not answer",
                 o->outcome);
    return;
  }
  if (clock_parse_http_date(r->date, &server) != 0) {
    probe_finish(p, NC_VERDICT_SKIP, NC_OK, o->outcome,
                 "the clock could not be checked: %.*s answered HTTP %ld without a usable Date "
                 "header",
                 host_len, host, r->status);
    return;
  }

  /* S3 stamped its Date while handling the request: about half a round
   * trip before the answer arrived. The request's round trip is the wait
   * for the first byte (timings are per phase). Date has whole seconds,
   * truncated: S3's true time was half a second later on average. */
  double rtt_ms = r->t.first_byte >= 0 ? r->t.first_byte : 0;
  double local_ms = (double)arrived_ms - rtt_ms / 2;
  double server_ms = (double)server * 1000 + 500;
  double skew = (local_ms - server_ms) / 1000;
  double mag = skew < 0 ? -skew : skew;

  cJSON *d = probe_details(p);
  if (d) {
    char iso[40];
    clock_iso8601((int64_t)server * 1000, iso, sizeof(iso));
    cJSON_AddStringToObject(d, "server_date", iso);
    clock_iso8601((int64_t)local_ms, iso, sizeof(iso));
    cJSON_AddStringToObject(d, "local_date", iso);
    /* > 0: the local clock is ahead; tenths, the precision is about that */
    cJSON_AddNumberToObject(d, "skew_seconds",
                            (double)(int64_t)(skew * 10 + (skew >= 0 ? 0.5 : -0.5)) / 10);
    cJSON_AddNumberToObject(d, "rtt_ms", rtt_ms);
  }

  const char *dir = skew >= 0 ? "ahead of" : "behind";
  if (mag <= CLOCK_WARN_SECONDS) {
    probe_finish(p, NC_VERDICT_PASS, NC_OK, o->outcome, "the local clock is %.1f s %s S3's (%.*s)",
                 mag, dir, host_len, host);
    return;
  }
  enum nc_verdict v = mag > CLOCK_FAIL_SECONDS ? NC_VERDICT_FAIL : NC_VERDICT_WARN;
  if (v == NC_VERDICT_FAIL && p->expect == NC_EXPECT_ANY)
    v = NC_VERDICT_WARN;
  probe_fix(p, NC_CLOCK_SKEW, NULL, NULL);
  probe_finish(p, v, NC_CLOCK_SKEW, o->outcome,
               "the local clock is %.0f s %s S3's (%.*s): SigV4 refuses requests more than 15 "
               "minutes off%s",
               mag, dir, host_len, host,
               mag > CLOCK_FAIL_SECONDS ? "" : "; this is still inside that limit");
}

static int clock_start(struct probe *p) {
  struct http_req rq;
  memset(&rq, 0, sizeof(rq));
  rq.method = "HEAD"; /* any status will do: S3 dates every answer */
  rq.url = p->target;
  rq.body_cap = 1024;
  return outbound_fetch(p, &rq, NC_S3_NO_ROUTE, clock_on_answer, NULL);
}

const struct probe_family clock_family;

static const struct probe_ops clock_ops = {
    .family = &clock_family,
    .flags = 0,
    .start = clock_start,
    .on_event = NULL,
    .on_timer = NULL,
    .on_timeout = outbound_on_timeout,
    .cleanup = outbound_cleanup,
};

static int clock_plan(struct plan *pl, const struct nc_config *cfg) {
  char id[160], url[160], host[128];
  if (partition_service_host("s3", cfg->region, cfg->fips, host, sizeof(host)))
    return -1;
  nc_snprintf(id, sizeof(id), "clock:%s", host);
  nc_snprintf(url, sizeof(url), "https://%s/", host);
  struct probe_spec spec = {.id = id,
                            .target = url,
                            .name = host,
                            .tier = NC_TIER_REQUIRED,
                            .expect = NC_EXPECT_REACHABLE};
  return plan_add(pl, cfg, &clock_ops, &spec) ? 0 : -1;
}

const struct probe_family clock_family = {
    .name = "clock",
    .help = "clock skew against the S3 endpoint's Date header",
    .tier = NC_TIER_REQUIRED,
    .expect = NC_EXPECT_REACHABLE,
    .plan = clock_plan,
};
