/*
 * xml.c - one bounded scanner for the small XML documents AWS answers with:
 * S3's flat <Error> and <ListBucketResult>, STS's <ErrorResponse> and
 * <GetCallerIdentityResponse>. Not a parser: it finds elements by name and
 * copies their text, decoded and made printable, never reading past the
 * length it is given (the input need not be NUL-terminated). Fuzzed through
 * tests/fuzz/fuzz_s3_error.c and fuzz_sts.c.
 */
#include "netcheck/xml.h"

#include <string.h>

#include "netcheck/common.h"
#include "netcheck/utf8.h"

static bool xml_is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool xml_is_name_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.' || c == ':' || c >= 0x80;
}

static bool xml_has_prefix(const char *s, size_t len, const char *lit) {
  size_t n = strlen(lit);
  return len >= n && memcmp(s, lit, n) == 0;
}

/* Index just past the first occurrence of end at or after i, or len. */
static size_t xml_skip_past(const char *buf, size_t len, size_t i, const char *end) {
  size_t n = strlen(end);
  while (i < len) {
    if (len - i >= n && memcmp(buf + i, end, n) == 0)
      return i + n;
    i++;
  }
  return len;
}

/* Index of the '>' closing the tag that starts before i, honouring quoted
 * attribute values (they may contain '>'), or len when the tag is cut. */
static size_t xml_tag_end(const char *buf, size_t len, size_t i) {
  char quote = 0;
  for (; i < len; i++) {
    char c = buf[i];
    if (quote) {
      if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i;
    }
  }
  return len;
}

/* Appends the n bytes of unit to dst when all of them fit; false otherwise,
 * so a field is cut between characters, never inside one. */
static bool xml_out_put(char *dst, size_t cap, size_t *used, const char *unit, size_t n) {
  if (*used + n + 1 > cap)
    return false;
  memcpy(dst + *used, unit, n);
  *used += n;
  dst[*used] = '\0';
  return true;
}

/* Decodes the entity at s ('&' first, n bytes available) into a code point;
 * returns the entity's length, or 0 when it is not one we know. */
static size_t xml_entity(const char *s, size_t n, unsigned long *cp) {
  static const struct {
    const char *text;
    char c;
  } named[] = {{"&quot;", '"'}, {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&apos;", '\''}};
  for (size_t k = 0; k < NC_ARRAY_LEN(named); k++) {
    if (xml_has_prefix(s, n, named[k].text)) {
      *cp = (unsigned char)named[k].c;
      return strlen(named[k].text);
    }
  }
  if (n < 4 || s[1] != '#')
    return 0;
  bool hex = s[2] == 'x' || s[2] == 'X';
  size_t i = hex ? 3 : 2;
  size_t digits = 0;
  unsigned long v = 0;
  /* at most 8 digits: anything longer is past U+10FFFF anyway */
  for (; i < n && digits < 8; i++, digits++) {
    char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (hex && c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else if (hex && c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      break;
    v = v * (hex ? 16u : 10u) + d;
  }
  if (digits == 0 || i >= n || s[i] != ';')
    return 0;
  *cp = v;
  return i + 1;
}

/* Copies the text s[0..n) into dst: trimmed, entity-decoded, control
 * characters as spaces, invalid UTF-8 and code points as '?', capped. */
static void xml_copy_text(const char *s, size_t n, char *dst, size_t cap) {
  size_t used = 0;
  size_t i = 0;
  if (cap == 0)
    return;
  dst[0] = '\0';
  while (n > 0 && xml_is_space((unsigned char)s[n - 1]))
    n--;
  while (i < n && xml_is_space((unsigned char)s[i]))
    i++;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    char unit[4];
    size_t ulen = 1;
    size_t adv = 1;
    unsigned long cp;
    uint32_t ucp;
    size_t elen;
    if (c == '&' && (elen = xml_entity(s + i, n - i, &cp)) > 0) {
      adv = elen;
      if (cp < 0x20 || cp == 0x7f)
        unit[0] = ' ';
      else if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        unit[0] = '?';
      else
        ulen = utf8_encode((uint32_t)cp, unit);
    } else if (c < 0x20 || c == 0x7f) {
      unit[0] = ' ';
    } else if (c < 0x80) {
      unit[0] = (char)c;
    } else if ((ulen = utf8_seq((const unsigned char *)s + i, n - i, &ucp)) > 0) {
      memcpy(unit, s + i, ulen);
      adv = ulen;
    } else {
      unit[0] = '?';
      ulen = 1;
    }
    if (!xml_out_put(dst, cap, &used, unit, ulen))
      break;
    i += adv;
  }
  while (used > 0 && dst[used - 1] == ' ')
    dst[--used] = '\0';
}

static bool xml_name_is(const char *name, size_t n, const char *lit) {
  return strlen(lit) == n && memcmp(name, lit, n) == 0;
}

/* Copies the text after the start tag buf[ns..ne) (closed at gt) into the
 * first field of that name still empty. With any_depth the text must be
 * followed by markup: an element cut off by the end of the body is absent. */
static void xml_take(const char *buf, size_t len, size_t ns, size_t ne, size_t gt,
                     struct xml_field *f, size_t nf, bool any_depth) {
  for (size_t k = 0; k < nf; k++) {
    if (f[k].cap == 0 || f[k].dst[0] != '\0' || !xml_name_is(buf + ns, ne - ns, f[k].name))
      continue;
    size_t te = gt + 1;
    while (te < len && buf[te] != '<')
      te++;
    if (!any_depth || te < len)
      xml_copy_text(buf + gt + 1, te - (gt + 1), f[k].dst, f[k].cap);
    return;
  }
}

int xml_scan(const char *buf, size_t len, const char *root, struct xml_field *f, size_t nf,
             bool any_depth) {
  size_t i = 0;
  size_t depth = 0;
  bool in_root = false;

  for (size_t k = 0; k < nf; k++)
    if (f[k].cap > 0)
      f[k].dst[0] = '\0';
  if (buf == NULL)
    return -1;

  while (i < len) {
    if (buf[i] != '<') {
      i++;
      continue;
    }
    if (xml_has_prefix(buf + i, len - i, "<?")) {
      i = xml_skip_past(buf, len, i + 2, "?>");
    } else if (xml_has_prefix(buf + i, len - i, "<!--")) {
      i = xml_skip_past(buf, len, i + 4, "-->");
    } else if (xml_has_prefix(buf + i, len - i, "<![CDATA[")) {
      i = xml_skip_past(buf, len, i + 9, "]]>");
    } else if (xml_has_prefix(buf + i, len - i, "<!")) {
      i = xml_tag_end(buf, len, i + 2) + 1;
    } else if (xml_has_prefix(buf + i, len - i, "</")) {
      if (in_root && depth > 0)
        depth--;
      if (in_root && depth == 0)
        return 0; /* the root closed: trailing bytes cannot add fields */
      i = xml_tag_end(buf, len, i + 2) + 1;
    } else {
      size_t ns = i + 1;
      size_t ne = ns;
      while (ne < len && xml_is_name_char((unsigned char)buf[ne]))
        ne++;
      if (ne == ns) { /* a stray '<' in text */
        i++;
        continue;
      }
      size_t gt = xml_tag_end(buf, len, ne);
      if (gt >= len)
        break; /* cut inside a tag */
      bool empty = buf[gt - 1] == '/';
      if (!in_root) {
        if (root && !xml_name_is(buf + ns, ne - ns, root))
          return -1;
        if (any_depth && !empty)
          xml_take(buf, len, ns, ne, gt, f, nf, any_depth);
        if (empty)
          return 0;
        in_root = true;
        depth = 1;
        i = gt + 1;
        continue;
      }
      if ((depth == 1 || any_depth) && !empty)
        xml_take(buf, len, ns, ne, gt, f, nf, any_depth);
      if (!empty)
        depth++;
      i = gt + 1;
    }
  }
  return in_root ? 0 : -1;
}

int xml_text(const char *buf, size_t len, const char *tag, char *out, size_t outlen) {
  struct xml_field f = {tag, out, outlen};
  if (outlen == 0 || xml_scan(buf, len, NULL, &f, 1, true) != 0 || out[0] == '\0')
    return -1;
  return 0;
}
