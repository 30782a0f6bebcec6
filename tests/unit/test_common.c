/*
 * test_common.c - the shared helpers of agent/common.c that guard what
 * netcheck shows and reads: nc_redact_url (no password, query or fragment
 * of a URL is ever shown or stored) and nc_read_file (only regular files,
 * never blocking on a FIFO).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcheck/common.h"

static void redact(const char *in, const char *want) {
  char out[256];
  nc_redact_url(in, out, sizeof out);
  assert_string_equal(out, want);
}

static void redacts_user_information_query_and_fragment(void **state) {
  (void)state;
  redact("https://user:PASS@host.example/x?token=T#frag", "https://***@host.example/x?***");
  redact("https://TOKEN@github.com/", "https://***@github.com/");
  redact("http://u@h:8080/p", "http://***@h:8080/p");
  redact("https://example.com/x?a=1&b=2", "https://example.com/x?***");
  redact("https://example.org/#F", "https://example.org/#***");
  redact("s3://bucket/data/part?X-Amz-Signature=S", "s3://bucket/data/part?***");
  redact("data/part?X-Amz-Signature=S", "data/part?***");
  /* An @ in the path is no user information. */
  redact("https://host/a@b", "https://host/a@b");
}

static void leaves_plain_urls_and_names_alone(void **state) {
  (void)state;
  redact("https://pypi.org/simple/", "https://pypi.org/simple/");
  redact("pypi.org", "pypi.org");
  redact("pypi.org:443", "pypi.org:443");
  redact("", "");
}

static void a_short_buffer_never_shows_the_secret(void **state) {
  (void)state;
  const char *url = "https://user:PASSWORD@h/?q=SECRETVALUE";
  for (size_t len = 1; len < 48; len++) {
    char out[48];
    memset(out, 'Z', sizeof out);
    nc_redact_url(url, out, len);
    assert_true(strlen(out) < len);
    assert_null(strstr(out, "PASS"));
    assert_null(strstr(out, "SECRET"));
  }
}

static void read_file_refuses_what_is_not_a_regular_file(void **state) {
  (void)state;
  char dir[] = "/tmp/nc-test-common.XXXXXX", fifo[64], file[64];
  char *buf = NULL;
  size_t len = 0;
  assert_non_null(mkdtemp(dir));
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  snprintf(file, sizeof file, "%s/file", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  /* A FIFO nobody writes: refused at once (a blocking open would hang). */
  assert_int_equal(nc_read_file(fifo, 1024, &buf, &len), -1);
  assert_int_equal(errno, NC_ENOTREG);
  assert_string_equal(nc_read_error(NC_ENOTREG), "not a regular file (a FIFO, device or socket)");
  assert_int_equal(nc_read_file("/dev/zero", 1024, &buf, &len), -1);
  assert_int_equal(errno, NC_ENOTREG);
  assert_int_equal(nc_read_file(dir, 1024, &buf, &len), -1);
  assert_int_equal(errno, EISDIR);
  /* A regular file is read whole; one over the cap is EFBIG. */
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fputs("{\"a\": 1}", f);
  fclose(f);
  assert_int_equal(nc_read_file(file, 1024, &buf, &len), 0);
  assert_int_equal(len, 8);
  assert_string_equal(buf, "{\"a\": 1}");
  free(buf);
  assert_int_equal(nc_read_file(file, 4, &buf, &len), -1);
  assert_int_equal(errno, EFBIG);
  unlink(fifo);
  unlink(file);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(redacts_user_information_query_and_fragment),
      cmocka_unit_test(leaves_plain_urls_and_names_alone),
      cmocka_unit_test(a_short_buffer_never_shows_the_secret),
      cmocka_unit_test(read_file_refuses_what_is_not_a_regular_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
