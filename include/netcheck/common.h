/*
 * common.h - exit codes, logging, time and string helpers shared by every module.
 * Every other netcheck module includes this header.
 */
#ifndef NETCHECK_COMMON_H
#define NETCHECK_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define NC_NAME "netcheck"

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

/* Drops an incomplete UTF-8 sequence at the end of s (left by a cut). */
void nc_utf8_trim_tail(char *s);

/* Reads a whole file of at most max bytes into a NUL-terminated heap buffer.
 * Returns 0 on success; on failure returns -1 with errno set (EFBIG when the
 * file is larger than max). */
int nc_read_file(const char *path, size_t max, char **out, size_t *out_len);

#define NC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
