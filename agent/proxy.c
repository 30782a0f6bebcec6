/*
 * proxy.c - the proxy a request takes (proxy.h). libcurl 7.88 reads
 * http_proxy (lower case only, for http), https_proxy or HTTPS_PROXY,
 * all_proxy or ALL_PROXY, and no_proxy or NO_PROXY; the AWS SDKs read the
 * same names. netcheck decides once here and hands curl the answer, so that
 * the report says which path was tested.
 */
#include "netcheck/proxy.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "netcheck/common.h"

#define PROXY_HOST_MAX 256

static const char *env_first(const char *a, const char *b) {
  const char *v = getenv(a);
  if (v && *v)
    return v;
  v = b ? getenv(b) : NULL;
  return v && *v ? v : NULL;
}

/* "198.18.0.0/15" contains host (IPv4 only). */
static bool cidr4_match(const char *entry, size_t n, const char *host) {
  char net[32];
  const char *slash = memchr(entry, '/', n);
  struct in_addr a, h;
  long bits;
  char *end;
  if (!slash || (size_t)(slash - entry) >= sizeof net)
    return false;
  memcpy(net, entry, (size_t)(slash - entry));
  net[slash - entry] = '\0';
  bits = strtol(slash + 1, &end, 10);
  if (end != entry + n || bits < 0 || bits > 32 || inet_pton(AF_INET, net, &a) != 1 ||
      inet_pton(AF_INET, host, &h) != 1)
    return false;
  if (bits == 0)
    return true;
  uint32_t mask = htonl(0xffffffffu << (32 - bits));
  return (a.s_addr & mask) == (h.s_addr & mask);
}

bool proxy_no_proxy_match(const char *no_proxy, const char *host) {
  size_t hl = strlen(host);
  const char *s = no_proxy;
  if (!no_proxy || !hl)
    return false;
  while (*s) {
    size_t n;
    while (*s == ',' || *s == ' ' || *s == '\t')
      s++;
    n = strcspn(s, ", \t");
    if (n == 0)
      break;
    if (n == 1 && *s == '*')
      return true;
    if (memchr(s, '/', n)) {
      if (cidr4_match(s, n, host))
        return true;
    } else {
      const char *e = s;
      size_t en = n;
      if (*e == '.') /* ".example.com" and "example.com" both cover subdomains */
        e++, en--;
      if (en && en <= hl && !strncasecmp(host + hl - en, e, en) &&
          (en == hl || host[hl - en - 1] == '.'))
        return true;
    }
    s += n;
  }
  return false;
}

/* Loopback and link-local: never through a proxy. */
static bool never_proxied(const char *host) {
  unsigned char a[16];
  if (!strcasecmp(host, "localhost"))
    return true;
  if (inet_pton(AF_INET, host, a) == 1)
    return a[0] == 127 || (a[0] == 169 && a[1] == 254);
  if (inet_pton(AF_INET6, host, a) == 1) {
    static const unsigned char lo[16] = {[15] = 1};
    return !memcmp(a, lo, 16) || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
           (a[0] == 0xfd && a[1] == 0x00 && a[2] == 0x0e && a[3] == 0xc2); /* fd00:ec2::/32 */
  }
  return false;
}

/* Host of an http(s) URL, brackets of an IPv6 literal removed; "" if none. */
static void url_host(const char *url, char *host, size_t len) {
  const char *h = strstr(url, "://"), *end;
  size_t n;
  host[0] = '\0';
  if (!h)
    return;
  h += 3;
  end = h + strcspn(h, "/?#");
  if (memchr(h, '@', (size_t)(end - h))) /* user info is not the host */
    h = (const char *)memchr(h, '@', (size_t)(end - h)) + 1;
  if (*h == '[') {
    const char *rb = memchr(h, ']', (size_t)(end - h));
    if (!rb)
      return;
    n = (size_t)(rb - h - 1);
    h++;
  } else {
    n = strcspn(h, ":/?#");
  }
  if (n >= len)
    return;
  memcpy(host, h, n);
  host[n] = '\0';
}

bool proxy_for_url(const char *url, char *out, size_t outlen) {
  char host[PROXY_HOST_MAX];
  const char *proxy = NULL;
  if (out && outlen)
    out[0] = '\0';
  url_host(url, host, sizeof host);
  if (!host[0] || never_proxied(host))
    return false;
  if (!strncasecmp(url, "https://", 8))
    proxy = env_first("https_proxy", "HTTPS_PROXY");
  else if (!strncasecmp(url, "http://", 7))
    proxy = env_first("http_proxy", NULL); /* curl ignores HTTP_PROXY (httpoxy) */
  if (!proxy)
    proxy = env_first("all_proxy", "ALL_PROXY");
  if (!proxy || proxy_no_proxy_match(env_first("no_proxy", "NO_PROXY"), host))
    return false;
  if (out && nc_strlcpy(out, proxy, outlen) >= outlen)
    return false; /* a proxy URL that long is not one curl would take either */
  return true;
}

void proxy_redact(const char *proxy, char *out, size_t outlen) {
  const char *scheme = strstr(proxy, "://"), *at;
  const char *rest = scheme ? scheme + 3 : proxy;
  at = strchr(rest, '@');
  if (at && (size_t)(at - rest) < strcspn(rest, "/?#"))
    nc_snprintf(out, outlen, "%.*s%s", (int)(rest - proxy), proxy, at + 1);
  else
    nc_strlcpy(out, proxy, outlen);
}
