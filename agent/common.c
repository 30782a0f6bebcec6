/* common.c - logging, clocks and bounded string/file helpers. */
#include "netcheck/common.h"

#include "netcheck/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int nc_log_level = NC_LOG_WARN;

void nc_log(enum nc_log_level level, const char *fmt, ...) {
  static const char *const names[] = {"error", "warning", "info", "debug"};
  char line[1024];
  va_list ap;
  if ((int)level > nc_log_level)
    return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, NC_NAME ": %s: %s\n", names[level], line);
}

int64_t nc_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t nc_strlcpy(char *dst, const char *src, size_t size) {
  size_t n = strlen(src);
  if (size) {
    size_t c = n < size - 1 ? n : size - 1;
    memcpy(dst, src, c);
    dst[c] = '\0';
  }
  return n;
}

int nc_hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int nc_snprintf(char *dst, size_t size, const char *fmt, ...) {
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(dst, size, fmt, ap);
  va_end(ap);
  return (n < 0 || (size_t)n >= size) ? 1 : 0;
}

int nc_read_file(const char *path, size_t max, char **out, size_t *out_len) {
  /* O_NONBLOCK: opening a FIFO for reading would wait for a writer forever. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  struct stat st;
  char *buf = NULL;
  size_t len = 0, cap;
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE)
      nc_note_resource_failure(errno);
    return -1;
  }
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    int err = errno;
    close(fd);
    /* A FIFO, device or socket could hold the read forever, or never end. */
    errno = S_ISDIR(st.st_mode) ? EISDIR : S_ISREG(st.st_mode) ? err : NC_ENOTREG;
    return -1;
  }
  cap = (st.st_size > 0 && (size_t)st.st_size < max) ? (size_t)st.st_size + 1 : 4096;
  buf = malloc(cap + 1);
  if (!buf)
    goto fail;
  for (;;) {
    ssize_t r;
    if (len == cap) {
      char *nb;
      if (cap > max)
        break;
      cap *= 2;
      nb = realloc(buf, cap + 1);
      if (!nb)
        goto fail;
      buf = nb;
    }
    r = read(fd, buf + len, cap - len);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      goto fail;
    }
    if (r == 0)
      break;
    len += (size_t)r;
    if (len > max) {
      errno = EFBIG;
      goto fail;
    }
  }
  if (len > max) {
    errno = EFBIG;
    goto fail;
  }
  close(fd);
  buf[len] = '\0';
  *out = buf;
  if (out_len)
    *out_len = len;
  return 0;
fail : {
  int saved = errno;
  free(buf);
  close(fd);
  errno = saved;
  return -1;
}
}

bool nc_resource_errno(int err) {
  return err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS || err == EAGAIN;
}

static int resource_failure;

void nc_note_resource_failure(int err) {
  if (!resource_failure && nc_resource_errno(err))
    resource_failure = err;
}

int nc_resource_failure(void) { return resource_failure; }

const char *nc_read_error(int err) {
  switch (err) {
  case EFBIG:
    return "file too large";
  case NC_ENOTREG:
    return "not a regular file (a FIFO, device or socket)";
  default:
    return strerror(err);
  }
}

void nc_redact_url(const char *in, char *out, size_t len) {
  const char *authority = strstr(in, "://"), *cut;
  size_t o = 0, n;
  if (!len)
    return;
  if (authority) {
    const char *at;
    authority += 3;
    n = strcspn(authority, "/?#");
    at = memchr(authority, '@', n);
    /* scheme://, then *** for user:password@, then the host */
    o = (size_t)(authority - in);
    if (at) {
      if (nc_snprintf(out, len, "%.*s" NC_REDACTED "@", (int)o, in)) {
        out[0] = '\0';
        return;
      }
      o = strlen(out);
      in = at + 1;
    } else {
      o = 0;
    }
  }
  cut = in + strcspn(in, "?#");
  n = (size_t)(cut - in);
  nc_snprintf(out + o, len - o, "%.*s%s%s", (int)n, in, *cut ? (*cut == '?' ? "?" : "#") : "",
              *cut ? NC_REDACTED : "");
}

int nc_natcmp(const char *a, const char *b) {
  const char *a0 = a, *b0 = b;
  while (*a && *b) {
    if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
      const char *ea, *eb;
      size_t la, lb;
      int c;
      while (*a == '0' && a[1] >= '0' && a[1] <= '9')
        a++;
      while (*b == '0' && b[1] >= '0' && b[1] <= '9')
        b++;
      for (ea = a; *ea >= '0' && *ea <= '9'; ea++)
        ;
      for (eb = b; *eb >= '0' && *eb <= '9'; eb++)
        ;
      la = (size_t)(ea - a);
      lb = (size_t)(eb - b);
      if (la != lb)
        return la < lb ? -1 : 1;
      c = memcmp(a, b, la);
      if (c)
        return c < 0 ? -1 : 1;
      a = ea;
      b = eb;
      continue;
    }
    if (*a != *b)
      return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
    a++;
    b++;
  }
  if (*a || *b)
    return *a ? 1 : -1;
  return strcmp(a0, b0);
}

int nc_char_bidi(uint32_t cp) {
  return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

/* Characters that change how the text around them is shown. */
static int term_unsafe(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
         nc_char_bidi(cp);
}

void nc_put_term(FILE *out, const char *s, size_t max) {
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strnlen(s, max), i = 0;
  while (i < len) {
    uint32_t cp = 0;
    size_t n = utf8_seq(p + i, len - i, &cp);
    if (n == 0) {
      fprintf(out, "\\x%02x", p[i]);
      i++;
    } else if (term_unsafe(cp)) {
      fprintf(out, "\\u%04x", (unsigned)cp);
      i += n;
    } else {
      fwrite(p + i, 1, n, out);
      i += n;
    }
  }
}
