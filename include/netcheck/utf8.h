/*
 * utf8.h - the one UTF-8 module: decoding and encoding one sequence, cutting
 * a string on a character boundary, counting characters.
 *
 * Text netcheck shows comes from S3, job files, peers and the system; it is
 * cut to fixed buffers everywhere. Every cut and every decode goes through
 * here so that no report, log line or summary ends in half a character and
 * every module agrees on what valid UTF-8 is (RFC 3629: no overlong forms,
 * no UTF-16 surrogates, nothing above U+10FFFF).
 */
#ifndef NETCHECK_UTF8_H
#define NETCHECK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1-4) of the valid UTF-8 sequence at s, which has n bytes
 * available, with its code point in *cp; 0 when the bytes there are not one
 * (bad lead byte, missing or truncated continuation, overlong form,
 * surrogate, beyond U+10FFFF) or n is 0. A NUL is never a continuation byte,
 * so n may be SIZE_MAX for a NUL-terminated string. */
size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes the UTF-8 encoding of cp to out and returns its length (1-4); 0
 * for a surrogate or a value above U+10FFFF (nothing written). */
size_t utf8_encode(uint32_t cp, char out[4]);

/* Drops what a cut left at the end of s: the last sequence when it is
 * incomplete, or when the bytes there do not start with a lead byte of the
 * right length (a stray continuation byte goes together with the character
 * before it). A complete sequence stays. */
void utf8_trim_tail(char *s);

/* Cuts s to at most max bytes, never in the middle of a character. */
void utf8_cut(char *s, size_t max);

/* The first index at or after i (and at most n) that is not a continuation
 * byte: where the next character starts. */
size_t utf8_next_start(const char *s, size_t i, size_t n);

/* Number of characters (bytes that are not continuation bytes) in s[0..n). */
size_t utf8_count(const char *s, size_t n);

#endif
