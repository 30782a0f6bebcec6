/*
 * fuzz_cabundle.c - cabundle_store() (the --ca-bundle file: PEM blocks indexed by subject,
 * decoded on demand) on arbitrary text, then lookups through the store: the subject of every
 * certificate OpenSSL's own PEM reader finds in the input, and a fixed name no certificate has
 * (which makes the index hash every subject canonically). A certificate the store returns has
 * the subject asked for.
 */
#include "fuzz.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/mman.h>
#include <unistd.h>

#include "netcheck/cabundle.h"

FUZZ_SETUP()

static void lookup(X509_STORE *store, const X509_NAME *name) {
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  if (ctx && X509_STORE_CTX_init(ctx, store, NULL, NULL)) {
    X509_OBJECT *o = X509_STORE_CTX_get_obj_by_subject(ctx, X509_LU_X509, name);
    if (o) {
      X509 *x = X509_OBJECT_get0_X509(o);
      FUZZ_CHECK(x != NULL && X509_NAME_cmp(X509_get_subject_name(x), name) == 0);
      X509_OBJECT_free(o);
    }
  }
  X509_STORE_CTX_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[64];
  X509_STORE *store;
  size_t decoded = 0, n;
  int fd = memfd_create("cabundle", 0);
  if (fd < 0)
    return 0;
  for (size_t off = 0; off < size;) {
    ssize_t w = write(fd, data + off, size - off);
    if (w <= 0) {
      close(fd);
      return 0;
    }
    off += (size_t)w;
  }
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  store = cabundle_store(path);
  close(fd);
  if (!store)
    return 0;
  n = cabundle_count(store, &decoded);
  FUZZ_CHECK(n >= 1 && decoded == 0);

  BIO *bio = BIO_new_mem_buf(data, (int)size);
  X509 *x;
  for (int i = 0; bio && i < 8 && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL; i++) {
    lookup(store, X509_get_subject_name(x));
    X509_free(x);
  }
  BIO_free(bio);

  X509_NAME *none = X509_NAME_new();
  if (none &&
      X509_NAME_add_entry_by_txt(none, "CN", MBSTRING_ASC,
                                 (const unsigned char *)"netcheck fuzz: no such CA", -1, -1, 0))
    lookup(store, none);
  X509_NAME_free(none);

  n = cabundle_count(store, &decoded);
  FUZZ_CHECK(decoded <= n);
  X509_STORE_free(store);
  return 0;
}
