/* utf8.c - the one UTF-8 module (see utf8.h): decode, encode, cut on a
 * character boundary, count. Pure functions over caller buffers. */
#include "netcheck/utf8.h"

#include <string.h>

static int is_cont(unsigned char c) { return (c & 0xc0) == 0x80; }

size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned char c, lo = 0x80, hi = 0xbf;
  size_t len;
  if (n == 0)
    return 0;
  c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    *cp = c & 0x1fu;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    *cp = c & 0x0fu;
    if (c == 0xe0)
      lo = 0xa0; /* no overlong forms */
    else if (c == 0xed)
      hi = 0x9f; /* no UTF-16 surrogates */
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    *cp = c & 0x07u;
    if (c == 0xf0)
      lo = 0x90; /* no overlong forms */
    else if (c == 0xf4)
      hi = 0x8f; /* nothing above U+10FFFF */
  } else {
    return 0;
  }
  for (size_t i = 1; i < len; i++) {
    unsigned char b;
    if (i >= n)
      return 0;
    b = s[i]; /* a NUL stops here: it is no continuation byte */
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf))
      return 0;
    *cp = (*cp << 6) | (b & 0x3fu);
  }
  return len;
}

size_t utf8_encode(uint32_t cp, char out[4]) {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

void utf8_trim_tail(char *s) {
  size_t n = strlen(s), start, need;
  unsigned char lead;
  if (n == 0)
    return;
  start = n - 1;
  while (start > 0 && n - start < 4 && is_cont((unsigned char)s[start]))
    start--;
  lead = (unsigned char)s[start];
  need = lead < 0x80             ? 1
         : (lead & 0xe0) == 0xc0 ? 2
         : (lead & 0xf0) == 0xe0 ? 3
         : (lead & 0xf8) == 0xf0 ? 4
                                 : 0;
  if (need != n - start)
    s[start] = '\0';
}

void utf8_cut(char *s, size_t max) {
  if (strlen(s) <= max)
    return;
  s[max] = '\0';
  utf8_trim_tail(s);
}

size_t utf8_next_start(const char *s, size_t i, size_t n) {
  while (i < n && is_cont((unsigned char)s[i]))
    i++;
  return i;
}

size_t utf8_count(const char *s, size_t n) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    w += !is_cont((unsigned char)s[i]);
  return w;
}
