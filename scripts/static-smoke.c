/*
 * static-smoke.c: offline check of the static dependency prefix built by
 * scripts/static-deps.sh (which compiles, links and runs this file).
 *
 * It touches every library the way netcheck does, without any network
 * access: libcurl (multi handle, version/feature info: c-ares resolver,
 * OpenSSL, HTTP/HTTPS only), c-ares, OpenSSL (SHA-256 and HMAC through EVP,
 * a TLS client context with the TLS 1.2/1.3 suites and groups we rely on,
 * ECDSA sign/verify, default CA locations) and cJSON.
 *
 * Build by hand (see "Link with:" in scripts/static-deps.sh):
 *   musl-gcc -static -Os -ffunction-sections -fdata-sections \
 *     -Wl,--gc-sections -s -DCURL_STATICLIB -DCARES_STATICLIB \
 *     -I$STATIC_PREFIX/include -idirafter build/static/kernel-headers \
 *     -o static-smoke scripts/static-smoke.c \
 *     -L$STATIC_PREFIX/lib -lcurl -lcares -lssl -lcrypto -lcjson
 *
 * Prints one line per library and "static-smoke: OK"; exits 1 on any
 * failed check.
 */
#include <stdio.h>
#include <string.h>
#include <sys/select.h> /* ares.h uses fd_set; musl's sys/types.h only pulls
                           it in with _GNU_SOURCE/_BSD_SOURCE */

#include <ares.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

static int failures;

#define CHECK(cond, what)                                                    \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "static-smoke: FAIL: %s\n", (what));             \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static void check_curl(void)
{
    const curl_version_info_data *vi;
    const char *const *proto;
    CURLM *multi;
    CURL *easy;
    int nproto = 0, http = 0, https = 0;

    CHECK(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK, "curl_global_init");
    vi = curl_version_info(CURLVERSION_NOW);
    CHECK(vi != NULL, "curl_version_info");
    if (!vi)
        return;

    printf("libcurl %s; TLS %s; resolver: c-ares %s\n", vi->version,
           vi->ssl_version ? vi->ssl_version : "(none)",
           vi->ares ? vi->ares : "(none: NOT c-ares)");
    printf("  protocols:");
    for (proto = vi->protocols; proto && *proto; proto++) {
        printf(" %s", *proto);
        nproto++;
        http |= strcmp(*proto, "http") == 0;
        https |= strcmp(*proto, "https") == 0;
    }
    printf("\n  features: %s%s%s%s%s%s\n",
           (vi->features & CURL_VERSION_ASYNCHDNS) ? "AsynchDNS " : "",
           (vi->features & CURL_VERSION_SSL) ? "SSL " : "",
           (vi->features & CURL_VERSION_IPV6) ? "IPv6 " : "",
           (vi->features & CURL_VERSION_LARGEFILE) ? "Largefile " : "",
           (vi->features & CURL_VERSION_HTTP2) ? "HTTP2 " : "",
           (vi->features & CURL_VERSION_LIBZ) ? "libz " : "");

    CHECK(vi->features & CURL_VERSION_ASYNCHDNS, "curl feature AsynchDNS");
    CHECK(vi->ares != NULL, "curl resolver is c-ares (curl_version_info()->ares)");
    CHECK(vi->features & CURL_VERSION_SSL, "curl feature SSL");
    CHECK(vi->ssl_version && strncmp(vi->ssl_version, "OpenSSL/", 8) == 0,
          "curl TLS backend is OpenSSL");
    CHECK(http && https && nproto == 2, "curl protocols are exactly http and https");
    CHECK(!(vi->features & (CURL_VERSION_HTTP2 | CURL_VERSION_LIBZ |
                            CURL_VERSION_IDN | CURL_VERSION_PSL |
                            CURL_VERSION_BROTLI | CURL_VERSION_ZSTD)),
          "curl has no http2/zlib/idn/psl/brotli/zstd");
    CHECK(vi->libz_version == NULL, "curl without zlib");
    CHECK(vi->libssh_version == NULL, "curl without ssh");
    CHECK(vi->cainfo && strcmp(vi->cainfo, "/etc/ssl/certs/ca-certificates.crt") == 0,
          "curl default CA bundle is /etc/ssl/certs/ca-certificates.crt");
    printf("  CA bundle: %s; CA path: %s\n", vi->cainfo ? vi->cainfo : "(none)",
           vi->capath ? vi->capath : "(none)");

    multi = curl_multi_init();
    CHECK(multi != NULL, "curl_multi_init");
    easy = curl_easy_init();
    CHECK(easy != NULL, "curl_easy_init");
    if (multi && easy) {
        /* Set up a transfer like the app does, but never drive it: no network. */
        CHECK(curl_easy_setopt(easy, CURLOPT_URL, "https://example.invalid/") == CURLE_OK,
              "CURLOPT_URL");
        CHECK(curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK,
              "CURLOPT_PROTOCOLS_STR");
        CHECK(curl_multi_add_handle(multi, easy) == CURLM_OK, "curl_multi_add_handle");
        CHECK(curl_multi_remove_handle(multi, easy) == CURLM_OK, "curl_multi_remove_handle");
    }
    if (easy)
        curl_easy_cleanup(easy);
    if (multi)
        curl_multi_cleanup(multi);
    curl_global_cleanup();
}

static void check_ares(void)
{
    ares_channel channel;
    struct ares_options opts;
    int version = 0;
    const char *vs;

    CHECK(ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS, "ares_library_init");
    vs = ares_version(&version);
    printf("c-ares %s (0x%06x)\n", vs, version);
    CHECK(version >= 0x011200, "c-ares >= 1.18");
    memset(&opts, 0, sizeof opts);
    opts.timeout = 1000;
    opts.tries = 1;
    /* Reads /etc/resolv.conf if present; sends nothing. */
    CHECK(ares_init_options(&channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) ==
              ARES_SUCCESS,
          "ares_init_options");
    ares_destroy(channel);
    ares_library_cleanup();
}

static void check_openssl(void)
{
    static const char sha_abc[] =
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    /* RFC 4231-style example from Wikipedia's HMAC page. */
    static const char hmac_fox[] =
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
    static const char fox[] = "The quick brown fox jumps over the lazy dog";
    unsigned char md[EVP_MAX_MD_SIZE], sig[256];
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    unsigned int mdlen = 0;
    size_t siglen = sizeof sig;
    SSL_CTX *ctx;
    EVP_PKEY *key;
    EVP_MD_CTX *mctx;
    EVP_CIPHER *cipher;
    STACK_OF(SSL_CIPHER) *ciphers;

    printf("%s; OPENSSLDIR %s; default CA file %s, dir %s\n",
           OpenSSL_version(OPENSSL_VERSION), OpenSSL_version(OPENSSL_DIR),
           X509_get_default_cert_file(), X509_get_default_cert_dir());
    CHECK(strcmp(X509_get_default_cert_dir(), "/etc/ssl/certs") == 0,
          "OpenSSL default CA dir is /etc/ssl/certs");

    CHECK(EVP_Digest("abc", 3, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32,
          "EVP_Digest SHA-256");
    to_hex(md, mdlen, hex);
    CHECK(strcmp(hex, sha_abc) == 0, "SHA-256 test vector");

    mdlen = 0;
    CHECK(HMAC(EVP_sha256(), "key", 3, (const unsigned char *)fox, strlen(fox), md,
               &mdlen) != NULL && mdlen == 32,
          "HMAC-SHA256");
    to_hex(md, mdlen, hex);
    CHECK(strcmp(hex, hmac_fox) == 0, "HMAC-SHA256 test vector");
    printf("  SHA-256(\"abc\") and HMAC-SHA256 test vectors match\n");

    cipher = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    CHECK(cipher != NULL, "AES-128-GCM available");
    EVP_CIPHER_free(cipher);
    /* Left out on purpose (scripts/static-deps.sh: no-chacha no-poly1305). */
    cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
    CHECK(cipher == NULL, "ChaCha20-Poly1305 left out");
    EVP_CIPHER_free(cipher);

    /* ECDSA P-256 sign + verify. */
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CHECK(key != NULL, "EC P-256 keygen");
    mctx = EVP_MD_CTX_new();
    if (key && mctx) {
        CHECK(EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, key) == 1 &&
                  EVP_DigestSign(mctx, sig, &siglen, (const unsigned char *)fox,
                                 strlen(fox)) == 1,
              "ECDSA sign");
        EVP_MD_CTX_reset(mctx);
        CHECK(EVP_DigestVerifyInit(mctx, NULL, EVP_sha256(), NULL, key) == 1 &&
                  EVP_DigestVerify(mctx, sig, siglen, (const unsigned char *)fox,
                                   strlen(fox)) == 1,
              "ECDSA verify");
    }
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_free(key);
    key = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    CHECK(key != NULL, "X25519 keygen");
    EVP_PKEY_free(key);

    /* A TLS client context with exactly the suites and groups we need. */
    ctx = SSL_CTX_new(TLS_client_method());
    CHECK(ctx != NULL, "SSL_CTX_new(TLS_client_method())");
    if (!ctx)
        return;
    CHECK(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1, "min TLS 1.2");
    CHECK(SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1, "max TLS 1.3");
    CHECK(SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") == 1,
          "groups X25519, P-256, P-384");
    CHECK(SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384") == 1,
          "TLS 1.3 suites");
    CHECK(SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:"
                                       "ECDHE-RSA-AES128-GCM-SHA256:"
                                       "ECDHE-ECDSA-AES256-GCM-SHA384:"
                                       "ECDHE-RSA-AES256-GCM-SHA384") == 1,
          "TLS 1.2 cipher list");
    ciphers = SSL_CTX_get_ciphers(ctx);
    /* 2 TLS 1.3 suites + all 4 TLS 1.2 ECDHE AES-GCM suites must have survived. */
    CHECK(ciphers && sk_SSL_CIPHER_num(ciphers) == 6, "all 6 requested ciphersuites present");
    printf("  TLS client context: %d ciphersuites (TLS 1.2 ECDHE-RSA/ECDSA + TLS 1.3)\n",
           ciphers ? sk_SSL_CIPHER_num(ciphers) : -1);
    CHECK(SSL_CTX_set_default_verify_paths(ctx) == 1, "default verify paths");
    SSL_CTX_free(ctx);
}

static void check_cjson(void)
{
    cJSON *root = cJSON_Parse("{\"ok\":true,\"n\":42,\"s\":\"h\\u00e9\",\"a\":[1,2.5]}");
    const cJSON *n;
    char *out;

    CHECK(root != NULL, "cJSON_Parse");
    if (!root)
        return;
    n = cJSON_GetObjectItemCaseSensitive(root, "n");
    CHECK(cJSON_IsNumber(n) && n->valueint == 42, "cJSON number");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "ok")), "cJSON bool");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "a")) == 2, "cJSON array");
    out = cJSON_PrintUnformatted(root);
    CHECK(out != NULL, "cJSON_PrintUnformatted");
    printf("cJSON %s: %s\n", cJSON_Version(), out ? out : "(null)");
    cJSON_free(out);
    cJSON_Delete(root);
}

int main(void)
{
    check_curl();
    check_ares();
    check_openssl();
    check_cjson();
    if (failures) {
        fprintf(stderr, "static-smoke: %d check(s) failed\n", failures);
        return 1;
    }
    printf("static-smoke: OK\n");
    return 0;
}
