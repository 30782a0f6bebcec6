/*
 * test_utf8.c - agent/utf8.c, the one UTF-8 module: what counts as a valid
 * sequence, encoding round trips, and that a cut never leaves half a
 * character (while invalid bytes at the end are handled as they always
 * were by the report, probe and config texts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "netcheck/utf8.h"

static size_t seq(const char *s, size_t n, uint32_t *cp) {
  return utf8_seq((const unsigned char *)s, n, cp);
}

static void decodes_valid_sequences(void **state) {
  uint32_t cp = 0;
  (void)state;
  assert_int_equal(seq("A", 1, &cp), 1);
  assert_int_equal(cp, 'A');
  assert_int_equal(seq("\xc3\xa9", 2, &cp), 2);
  assert_int_equal(cp, 0xe9);
  assert_int_equal(seq("\xe2\x80\xa6", 3, &cp), 3);
  assert_int_equal(cp, 0x2026);
  assert_int_equal(seq("\xf0\x9f\x98\x80", 4, &cp), 4);
  assert_int_equal(cp, 0x1f600);
  assert_int_equal(seq("\xf4\x8f\xbf\xbf", 4, &cp), 4);
  assert_int_equal(cp, 0x10ffff);
}

static void rejects_invalid_sequences(void **state) {
  uint32_t cp = 0;
  (void)state;
  assert_int_equal(seq("\x80", 1, &cp), 0);             /* lone continuation */
  assert_int_equal(seq("\xc0\x80", 2, &cp), 0);         /* overlong NUL */
  assert_int_equal(seq("\xc1\xbf", 2, &cp), 0);         /* overlong */
  assert_int_equal(seq("\xe0\x80\x80", 3, &cp), 0);     /* overlong */
  assert_int_equal(seq("\xed\xa0\x80", 3, &cp), 0);     /* surrogate D800 */
  assert_int_equal(seq("\xf0\x80\x80\x80", 4, &cp), 0); /* overlong */
  assert_int_equal(seq("\xf4\x90\x80\x80", 4, &cp), 0); /* above U+10FFFF */
  assert_int_equal(seq("\xf5\x80\x80\x80", 4, &cp), 0);
  assert_int_equal(seq("\xff", 1, &cp), 0);
  assert_int_equal(seq("\xc3"
                       "A",
                       2, &cp),
                   0); /* missing continuation */
  assert_int_equal(seq("", 0, &cp), 0);
}

static void never_reads_past_n_or_a_nul(void **state) {
  uint32_t cp = 0;
  (void)state;
  /* A valid sequence cut by n is no sequence. */
  assert_int_equal(seq("\xe2\x80\xa6", 2, &cp), 0);
  assert_int_equal(seq("\xf0\x9f\x98\x80", 3, &cp), 0);
  /* A NUL is no continuation byte: SIZE_MAX is safe on a C string. */
  assert_int_equal(seq("\xe2\x80", SIZE_MAX, &cp), 0);
  assert_int_equal(seq("\xe2\x80\xa6", SIZE_MAX, &cp), 3);
}

static void encodes_what_it_decodes(void **state) {
  (void)state;
  for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
    char out[4];
    uint32_t back = 0;
    size_t n = utf8_encode(cp, out);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      assert_int_equal(n, 0);
      continue;
    }
    assert_int_equal(n, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
    assert_int_equal(seq(out, n, &back), n);
    assert_int_equal(back, cp);
  }
  assert_int_equal(utf8_encode(0x110000, (char[4]){0}), 0);
}

/* Every byte of s starts a valid sequence or belongs to one. */
static void assert_valid(const char *s) {
  size_t n = strlen(s), i = 0;
  uint32_t cp;
  while (i < n) {
    size_t k = seq(s + i, n - i, &cp);
    assert_true(k > 0);
    i += k;
  }
}

static const char mixed[] = "a\xc3\xa9"
                            "b\xe2\x80\xa6"
                            "c\xf0\x9f\x98\x80"
                            "d";

static void a_cut_never_splits_a_character(void **state) {
  (void)state;
  for (size_t max = 0; max <= sizeof mixed; max++) {
    char buf[sizeof mixed];
    size_t got;
    memcpy(buf, mixed, sizeof mixed);
    utf8_cut(buf, max);
    got = strlen(buf);
    assert_true(got <= max);
    assert_memory_equal(buf, mixed, got); /* a prefix of the original */
    assert_valid(buf);
    /* the longest such prefix: the next byte starts a character */
    if (got < sizeof mixed - 1)
      assert_true(((unsigned char)mixed[got] & 0xc0) != 0x80);
    assert_true(max - got < 4);
  }
}

static void trim_tail_drops_only_an_incomplete_character(void **state) {
  (void)state;
  for (size_t cut = 0; cut < sizeof mixed; cut++) {
    char buf[sizeof mixed];
    memcpy(buf, mixed, cut);
    buf[cut] = '\0';
    utf8_trim_tail(buf);
    assert_valid(buf);
    assert_true(cut - strlen(buf) < 4);
    assert_memory_equal(buf, mixed, strlen(buf));
  }
  char whole[] = "x\xf0\x9f\x98\x80";
  utf8_trim_tail(whole);
  assert_string_equal(whole, "x\xf0\x9f\x98\x80");
}

/* Invalid bytes at the end are handled as nc_utf8_trim_tail always did:
 * a byte that is no lead byte of the right length goes, and a stray
 * continuation byte takes the character before it along. */
static void trim_tail_on_invalid_bytes_as_before(void **state) {
  char a[] = "ab\xff", b[] = "ab\x80", c[] = "\x80\x80\x80\x80", d[] = "ok\xc3\xa9\x80";
  (void)state;
  utf8_trim_tail(a);
  assert_string_equal(a, "ab");
  utf8_trim_tail(b);
  assert_string_equal(b, "a");
  utf8_trim_tail(c);
  assert_string_equal(c, "");
  utf8_trim_tail(d);
  assert_string_equal(d, "ok");
}

static void next_start_and_count(void **state) {
  size_t n = strlen(mixed);
  (void)state;
  assert_int_equal(utf8_next_start(mixed, 0, n), 0);
  assert_int_equal(utf8_next_start(mixed, 2, n), 3);      /* inside é */
  assert_int_equal(utf8_next_start(mixed, 5, n), 7);      /* inside … */
  assert_int_equal(utf8_next_start(mixed, 9, n), 12);     /* inside the emoji */
  assert_int_equal(utf8_next_start("\x80\x80", 0, 2), 2); /* never past n */
  assert_int_equal(utf8_count(mixed, n), 7);
  assert_int_equal(utf8_count("", 0), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(decodes_valid_sequences),
      cmocka_unit_test(rejects_invalid_sequences),
      cmocka_unit_test(never_reads_past_n_or_a_nul),
      cmocka_unit_test(encodes_what_it_decodes),
      cmocka_unit_test(a_cut_never_splits_a_character),
      cmocka_unit_test(trim_tail_drops_only_an_incomplete_character),
      cmocka_unit_test(trim_tail_on_invalid_bytes_as_before),
      cmocka_unit_test(next_start_and_count),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
