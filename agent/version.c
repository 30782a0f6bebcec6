/*
 * version.c - the version string (NC_VERSION, set by the Makefile from
 * `git describe`) and `netcheck --version`.
 *
 * The static binary carries its own copies of libcurl, OpenSSL, c-ares and
 * cJSON, the dynamic one loads Debian's: the first line names what runs
 * (each library's own version call), "Built with" what the headers said at
 * compile time. The two differ only when a dynamic build meets newer
 * shared libraries than it was compiled against.
 */
#include "netcheck/version.h"

#include <ares.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "netcheck/common.h"

#ifndef NC_VERSION
#define NC_VERSION "0.0.0-unknown" /* only when compiled outside the Makefile */
#endif

#define NC_STR2(x) #x
#define NC_STR(x) NC_STR2(x)
#define CJSON_BUILT_VERSION                                                                        \
  NC_STR(CJSON_VERSION_MAJOR) "." NC_STR(CJSON_VERSION_MINOR) "." NC_STR(CJSON_VERSION_PATCH)

#if defined(__x86_64__)
#define NC_ARCH "x86_64"
#elif defined(__aarch64__)
#define NC_ARCH "aarch64"
#else
#define NC_ARCH "unknown"
#endif

/* glibc defines __GLIBC__ in every header; musl defines nothing. */
#if defined(__GLIBC__)
#define NC_TARGET NC_ARCH "-linux-gnu"
#else
#define NC_TARGET NC_ARCH "-linux-musl, static"
#endif

const char nc_version[] = NC_VERSION;
const char *const nc_user_agent = NC_NAME "/" NC_VERSION;

/* libcurl's names of its feature bits, in curl -V's spelling. */
static const struct {
  int bit;
  const char *name;
} curl_features[] = {
    {CURL_VERSION_ASYNCHDNS, "AsynchDNS"},
    {CURL_VERSION_HTTPS_PROXY, "HTTPS-proxy"},
    {CURL_VERSION_IPV6, "IPv6"},
    {CURL_VERSION_LARGEFILE, "Largefile"},
    {CURL_VERSION_SSL, "SSL"},
    {CURL_VERSION_THREADSAFE, "threadsafe"},
    {CURL_VERSION_LIBZ, "libz"},
    {CURL_VERSION_HTTP2, "HTTP2"},
};

void version_print(FILE *out) {
  const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

  fprintf(out, NC_NAME " %s (" NC_TARGET ") libcurl/%s OpenSSL/%s c-ares/%s cJSON/%s\n", nc_version,
          cv->version, OpenSSL_version(OPENSSL_VERSION_STRING), ares_version(NULL),
          cJSON_Version());
  fputs("Built with: libcurl/" LIBCURL_VERSION " OpenSSL/" OPENSSL_VERSION_STR
        " c-ares/" ARES_VERSION_STR " cJSON/" CJSON_BUILT_VERSION "\n",
        out);
  fputs("Protocols:", out);
  for (const char *const *p = cv->protocols; p && *p; p++)
    fprintf(out, " %s", *p);
  fputs("\nFeatures:", out);
  for (size_t i = 0; i < NC_ARRAY_LEN(curl_features); i++)
    if (cv->features & curl_features[i].bit)
      fprintf(out, " %s", curl_features[i].name);
  fputs("\nLicense: Apache-2.0 (LICENSE). Third-party licenses: THIRD_PARTY_NOTICES\n", out);
}
