/*
 * common.h - exit codes, logging, time and string helpers shared by every module.
 * Every other netcheck module includes this header.
 */
#ifndef NETCHECK_COMMON_H
#define NETCHECK_COMMON_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NC_NAME "netcheck"

/* Sizes of names every layer shares: a DNS name, a path or S3 key. */
#define NC_HOST_MAX 256
#define NC_PATH_MAX 1024

/* Phase timings of one network exchange in milliseconds; negative = not measured. */
struct nc_timings {
  double dns, connect, tls, first_byte, total;
};

/* Exit codes: part of the command-line contract (docs/design.md). */
#define NC_EXIT_OK 0       /* every expectation met */
#define NC_EXIT_FAIL 1     /* an expectation failed */
#define NC_EXIT_USAGE 2    /* usage or configuration error */
#define NC_EXIT_INTERNAL 3 /* internal error */

enum nc_log_level { NC_LOG_ERROR, NC_LOG_WARN, NC_LOG_INFO, NC_LOG_DEBUG };

/* Current verbosity (NC_LOG_WARN by default; --verbose raises it). */
extern int nc_log_level;

/* Writes "netcheck: LEVEL: message\n" to stderr when level <= nc_log_level. */
void nc_log(enum nc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define NC_ERROR(...) nc_log(NC_LOG_ERROR, __VA_ARGS__)
#define NC_WARN(...) nc_log(NC_LOG_WARN, __VA_ARGS__)
#define NC_INFO(...) nc_log(NC_LOG_INFO, __VA_ARGS__)
#define NC_DEBUG(...) nc_log(NC_LOG_DEBUG, __VA_ARGS__)

/* Monotonic clock in milliseconds. */
int64_t nc_now_ms(void);

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t nc_strlcpy(char *dst, const char *src, size_t size);

/* snprintf that never overflows and returns 0 on success, 1 on truncation. */
int nc_snprintf(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* True for an errno of socket(), open(), epoll_create1() and the like that
 * means netcheck itself ran out of something - descriptors (EMFILE, ENFILE),
 * memory or buffers (ENOMEM, ENOBUFS, EAGAIN) - rather than anything the
 * network did. */
bool nc_resource_errno(int err);

/* Notes that netcheck ran out of a local resource (err as above; any other
 * err is ignored), once per run; nc_resource_failure() returns the first
 * such errno, 0 while none. The wrappers of socket() and the engine call it:
 * results after it cannot be trusted to be the network's doing. */
void nc_note_resource_failure(int err);
int nc_resource_failure(void);

/* What stands for a redacted secret. */
#define NC_REDACTED "***"

/* Copies a URL (or an S3 URI, or a prefix) to out with what may be a secret
 * replaced by NC_REDACTED: the user information (user:password@) and
 * everything after the first '?' or '#' (a presigned signature, a token).
 * The one place URLs are made fit to show or store: logs, the report, the
 * plan. Cut to len. */
void nc_redact_url(const char *in, char *out, size_t len);

/* The value of hexadecimal digit c (either case), or -1. */
int nc_hex_digit(char c);

/* errno of nc_read_file for a path that is not a regular file (Linux has no
 * EFTYPE; nothing else here returns ENOSTR). */
#define NC_ENOTREG ENOSTR

/* Reads a whole regular file of at most max bytes into a NUL-terminated heap
 * buffer, never blocking on what is not one (a FIFO, a device). Returns 0
 * on success; on failure returns -1 with errno set: EFBIG when the file is
 * larger than max, EISDIR for a directory, NC_ENOTREG for anything else that
 * is not a regular file. */
int nc_read_file(const char *path, size_t max, char **out, size_t *out_len);

/* The reason for an nc_read_file errno, for a one-line message. */
const char *nc_read_error(int err);

/* Natural order of names: runs of digits compare as numbers, so "algo-2"
 * sorts before "algo-10". Ties (leading zeros) fall back to strcmp. */
int nc_natcmp(const char *a, const char *b);

/* True for the bidirectional formatting characters (U+061C, U+200E,
 * U+200F, U+202A-U+202E, U+2066-U+2069): they reorder the text around them. */
int nc_char_bidi(uint32_t cp);

/* Writes at most max bytes of s for a terminal or a log: every control
 * character (C0, DEL, C1 such as U+009B, the 8-bit CSI), every
 * bidirectional or line-breaking formatting character (U+061C, U+200E,
 * U+200F, U+2028-U+202E, U+2066-U+2069) and every byte of invalid UTF-8
 * becomes a visible escape ("\u009b", "\xff"), so no report string can
 * move the cursor, recolour, reorder or split what is printed around it. */
void nc_put_term(FILE *out, const char *s, size_t max);

#define NC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
