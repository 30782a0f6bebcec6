/*
 * test_cabundle.c - agent/cabundle.c: a CA bundle as a store that decodes a certificate only
 * when a chain asks for its subject. Certificates are made here (EC P-256, OpenSSL): a CA, a
 * server certificate it signed, and other CAs around it in the bundle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netcheck/cabundle.h"

static EVP_PKEY *new_key(void) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  assert_non_null(k);
  return k;
}

static X509_NAME *name_cn(const char *cn, int type) {
  X509_NAME *n = X509_NAME_new();
  assert_non_null(n);
  assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", type, (const unsigned char *)cn, -1, -1, 0),
                   1);
  return n;
}

static void add_ext(X509 *x, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
  X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  assert_non_null(e);
  assert_int_equal(X509_add_ext(x, e, -1), 1);
  X509_EXTENSION_free(e);
}

/* A certificate for key with subject, issued under issuer and signed by signer; a CA's when
 * subject is issuer. */
static X509 *make_cert(EVP_PKEY *key, const X509_NAME *subject, const X509_NAME *issuer,
                       EVP_PKEY *signer, long serial) {
  X509 *x = X509_new();
  assert_non_null(x);
  assert_int_equal(X509_set_version(x, 2), 1);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
  assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
  assert_int_equal(X509_set_subject_name(x, subject), 1);
  assert_int_equal(X509_set_issuer_name(x, issuer), 1);
  assert_int_equal(X509_set_pubkey(x, key), 1);
  if (key == signer) {
    add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign");
  }
  assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
  return x;
}

static X509 *make_ca(const char *cn, EVP_PKEY **key, long serial) {
  X509_NAME *n = name_cn(cn, MBSTRING_UTF8);
  *key = new_key();
  X509 *x = make_cert(*key, n, n, *key, serial);
  X509_NAME_free(n);
  return x;
}

static void write_pem(FILE *f, X509 *x) { assert_int_equal(PEM_write_X509(f, x), 1); }

static char path[64];

static FILE *bundle_open(void) {
  strcpy(path, "/tmp/nc-cabundle-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  return f;
}

/* 0 when leaf verifies against store. */
static int verify(X509_STORE *store, X509 *leaf) {
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  assert_non_null(ctx);
  assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
  int ok = X509_verify_cert(ctx);
  int err = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  return ok == 1 ? 0 : (err ? err : -1);
}

static void verifies_and_decodes_only_the_issuer(void **state) {
  EVP_PKEY *ka, *kb, *kc, *kleaf = new_key();
  X509 *a = make_ca("Other CA 1", &ka, 1), *b = make_ca("netcheck test CA", &kb, 2),
       *c = make_ca("Other CA 2", &kc, 3);
  X509_NAME *subj = name_cn("s3.example", MBSTRING_UTF8);
  X509 *leaf = make_cert(kleaf, subj, X509_get_subject_name(b), kb, 10);
  size_t decoded = 9;
  (void)state;
  FILE *f = bundle_open();
  fputs("# a comment line, as Debian's bundle has none but others do\n", f);
  write_pem(f, a);
  write_pem(f, b);
  write_pem(f, c);
  fclose(f);
  X509_STORE *store = cabundle_store(path);
  assert_non_null(store);
  /* the verify flags libcurl 7.88 sets on a store it fills, whatever libcurl does with ours */
  assert_true(X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(store)) &
              X509_V_FLAG_PARTIAL_CHAIN);
  assert_true(X509_VERIFY_PARAM_get_flags(X509_STORE_get0_param(store)) &
              X509_V_FLAG_TRUSTED_FIRST);
  assert_int_equal(cabundle_count(store, &decoded), 3);
  assert_int_equal(decoded, 0);
  assert_int_equal(verify(store, leaf), 0);
  assert_int_equal(cabundle_count(store, &decoded), 3);
  assert_int_equal(decoded, 1);             /* the issuer alone */
  assert_int_equal(verify(store, leaf), 0); /* from the store, no second decode */
  assert_int_equal(cabundle_count(store, &decoded), 3);
  assert_int_equal(decoded, 1);
  X509_STORE_free(store);
  unlink(path);
  X509_free(a);
  X509_free(b);
  X509_free(c);
  X509_free(leaf);
  X509_NAME_free(subj);
  EVP_PKEY_free(ka);
  EVP_PKEY_free(kb);
  EVP_PKEY_free(kc);
  EVP_PKEY_free(kleaf);
}

/* An issuer name encoded unlike the CA's subject (PrintableString, other case) still finds it:
 * OpenSSL compares names canonically, and so does the lookup when no bytes match. */
static void finds_an_issuer_by_its_canonical_name(void **state) {
  EVP_PKEY *kb, *kleaf = new_key();
  X509 *b = make_ca("Netcheck Test CA", &kb, 2);
  X509_NAME *issuer = name_cn("netcheck  test ca", MBSTRING_ASC); /* PrintableString */
  X509_NAME *subj = name_cn("s3.example", MBSTRING_UTF8);
  X509 *leaf = make_cert(kleaf, subj, issuer, kb, 10);
  size_t decoded = 0;
  (void)state;
  FILE *f = bundle_open();
  write_pem(f, b);
  fclose(f);
  X509_STORE *store = cabundle_store(path);
  assert_non_null(store);
  assert_int_equal(verify(store, leaf), 0);
  assert_int_equal(cabundle_count(store, &decoded), 1);
  assert_int_equal(decoded, 1);
  X509_STORE_free(store);
  unlink(path);
  X509_free(b);
  X509_free(leaf);
  X509_NAME_free(issuer);
  X509_NAME_free(subj);
  EVP_PKEY_free(kb);
  EVP_PKEY_free(kleaf);
}

static void an_unknown_issuer_fails_as_with_a_loaded_bundle(void **state) {
  EVP_PKEY *ka, *kr, *kleaf = new_key();
  X509 *a = make_ca("netcheck test CA", &ka, 1), *rogue = make_ca("Corp TLS Inspection CA", &kr, 2);
  X509_NAME *subj = name_cn("s3.example", MBSTRING_UTF8);
  X509 *leaf = make_cert(kleaf, subj, X509_get_subject_name(rogue), kr, 10);
  (void)state;
  FILE *f = bundle_open();
  write_pem(f, a);
  fclose(f);
  X509_STORE *lazy = cabundle_store(path);
  X509_STORE *full = X509_STORE_new();
  assert_non_null(lazy);
  assert_non_null(full);
  assert_int_equal(X509_STORE_load_file(full, path), 1);
  assert_int_equal(verify(lazy, leaf), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  assert_int_equal(verify(full, leaf), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  X509_STORE_free(lazy);
  X509_STORE_free(full);
  unlink(path);
  X509_free(a);
  X509_free(rogue);
  X509_free(leaf);
  X509_NAME_free(subj);
  EVP_PKEY_free(ka);
  EVP_PKEY_free(kr);
  EVP_PKEY_free(kleaf);
}

static void refuses(const char *text) {
  FILE *f = bundle_open();
  fputs(text, f);
  fclose(f);
  assert_null(cabundle_store(path));
  unlink(path);
}

/* What the index does not take goes to libcurl's loader, with libcurl's errors. */
static void refuses_what_is_not_only_certificates(void **state) {
  EVP_PKEY *ka;
  X509 *a = make_ca("netcheck test CA", &ka, 1);
  char *pem = NULL;
  long n;
  BIO *bio = BIO_new(BIO_s_mem());
  (void)state;
  assert_non_null(bio);
  assert_int_equal(PEM_write_bio_X509(bio, a), 1);
  n = BIO_get_mem_data(bio, &pem);
  assert_true(n > 0);
  char *good = malloc((size_t)n + 1); /* the BIO's data is not NUL-terminated */
  assert_non_null(good);
  memcpy(good, pem, (size_t)n);
  good[n] = '\0';

  refuses("");
  refuses("no PEM at all\n");
  refuses("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  refuses("-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n");
  refuses("-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n"); /* no cert */
  refuses("-----BEGIN CERTIFICATE-----\nMIIB\n");                                /* no END */
  {
    char both[8192];
    snprintf(both, sizeof both, "%s-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", good);
    refuses(both);
  }
  assert_null(cabundle_store("/nonexistent/ca.pem"));
  assert_null(cabundle_store("/tmp"));
  assert_null(cabundle_store(""));
  assert_null(cabundle_store(NULL));
  free(good);
  BIO_free(bio);
  X509_free(a);
  EVP_PKEY_free(ka);
}

int main(void) {
  static const struct CMUnitTest tests[] = {
      cmocka_unit_test(verifies_and_decodes_only_the_issuer),
      cmocka_unit_test(finds_an_issuer_by_its_canonical_name),
      cmocka_unit_test(an_unknown_issuer_fails_as_with_a_loaded_bundle),
      cmocka_unit_test(refuses_what_is_not_only_certificates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
