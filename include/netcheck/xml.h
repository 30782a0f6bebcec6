/*
 * xml.h - the bounded XML scanner (agent/xml.c) every AWS answer goes
 * through. Pure: no I/O, any byte sequence is safe.
 */
#ifndef NETCHECK_XML_H
#define NETCHECK_XML_H

#include <stdbool.h>
#include <stddef.h>

/* An element to copy: its name and where its text goes. The text is capped
 * at cap (cut on a UTF-8 boundary), entity-decoded (&quot; &amp; &lt; &gt;
 * &apos; and numeric references), trimmed, control characters turned into
 * spaces and invalid UTF-8 into '?'. */
struct xml_field {
  const char *name;
  char *dst;
  size_t cap;
};

/* Scans a document whose root element is named root (NULL: any) and copies
 * the text of the first non-empty element of each field's name: among the
 * root's direct children, or with any_depth anywhere in the document (the
 * root included; an element cut off by the end of the input is absent).
 * CDATA sections are skipped, comments and processing instructions ignored.
 * Every dst is set ("" when absent). Returns 0 when the root matched, -1
 * otherwise. */
int xml_scan(const char *buf, size_t len, const char *root, struct xml_field *f, size_t nf,
             bool any_depth);

/* The text of the first non-empty <tag> element anywhere in buf: 0, or -1
 * when there is none. */
int xml_text(const char *buf, size_t len, const char *tag, char *out, size_t outlen);

#endif
