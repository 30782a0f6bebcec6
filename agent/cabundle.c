/*
 * cabundle.c - a CA bundle as an X509_STORE that decodes certificates on demand (cabundle.h).
 *
 * The file is read once: each PEM "CERTIFICATE" block is base64-decoded, its DER walked to the
 * subject (Certificate, TBSCertificate, then version, serial, signature, issuer, validity), and
 * the subject's hash kept (X509_NAME_hash_ex: canonical, as OpenSSL's hashed directories use).
 * A lookup method (get_by_subject) decodes the certificates whose subject hash matches, keeps
 * those whose subject equals the name asked for (X509_NAME_cmp), and adds them to the store, where
 * the next verification finds them without asking again.
 */
#include "netcheck/cabundle.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUNDLE_MAX (64L * 1024 * 1024) /* a bundle larger than this is not a CA bundle */

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

struct ca_entry {
  unsigned long subject_hash;
  size_t off, len; /* the DER in der */
  bool decoded;
};

struct ca_index {
  unsigned char *der;
  size_t der_len;
  struct ca_entry *e;
  size_t n, decoded;
};

static void index_free(struct ca_index *ix) {
  if (!ix)
    return;
  free(ix->der);
  free(ix->e);
  free(ix);
}

/* The whole file, NUL-terminated; NULL when it cannot be read. */
static char *read_file(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  char *buf = NULL;
  size_t got = 0;
  if (fd < 0)
    return NULL;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > BUNDLE_MAX)
    goto done;
  buf = malloc((size_t)st.st_size + 1);
  if (!buf)
    goto done;
  while (got < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  buf[got] = '\0';
  *len = got;
done:
  close(fd);
  return buf;
}

/* Skips one DER element at *p (before end); its start and total length in *start, *total. */
static bool der_next(const unsigned char **p, const unsigned char *end, int want_tag,
                     const unsigned char **start, long *total) {
  const unsigned char *q = *p;
  long len = 0;
  int tag = 0, cls = 0;
  int ret;
  if (q >= end)
    return false;
  ret = ASN1_get_object(&q, &len, &tag, &cls, end - q);
  if ((ret & 0x80) || (ret & 0x01) || len > end - q) /* error, or indefinite length */
    return false;
  if (want_tag >= 0 && (tag != want_tag || cls != V_ASN1_UNIVERSAL))
    return false;
  if (start)
    *start = *p;
  if (total)
    *total = (q - *p) + len;
  *p = q + len;
  return true;
}

/* The subject's hash of one DER certificate; false when it is not a certificate's shape. */
static bool der_subject_hash(const unsigned char *der, size_t len, unsigned long *hash) {
  const unsigned char *p = der, *end = der + len, *q, *subj = NULL;
  long l = 0, sl = 0;
  int tag, cls, ret, ok = 0;
  X509_NAME *name;
  /* Certificate SEQUENCE, then into TBSCertificate SEQUENCE */
  ret = ASN1_get_object(&p, &l, &tag, &cls, end - p);
  if ((ret & 0x80) || !(ret & V_ASN1_CONSTRUCTED) || tag != V_ASN1_SEQUENCE || l > end - p)
    return false;
  end = p + l;
  ret = ASN1_get_object(&p, &l, &tag, &cls, end - p);
  if ((ret & 0x80) || !(ret & V_ASN1_CONSTRUCTED) || tag != V_ASN1_SEQUENCE || l > end - p)
    return false;
  end = p + l;
  /* [0] version, when present */
  q = p;
  ret = ASN1_get_object(&q, &l, &tag, &cls, end - q);
  if (ret & 0x80)
    return false;
  if (cls == V_ASN1_CONTEXT_SPECIFIC && tag == 0 && !der_next(&p, end, -1, NULL, NULL))
    return false;
  if (!der_next(&p, end, V_ASN1_INTEGER, NULL, NULL) ||  /* serialNumber */
      !der_next(&p, end, V_ASN1_SEQUENCE, NULL, NULL) || /* signature */
      !der_next(&p, end, V_ASN1_SEQUENCE, NULL, NULL) || /* issuer */
      !der_next(&p, end, V_ASN1_SEQUENCE, NULL, NULL) || /* validity */
      !der_next(&p, end, V_ASN1_SEQUENCE, &subj, &sl))   /* subject */
    return false;
  q = subj;
  name = d2i_X509_NAME(NULL, &q, sl);
  if (!name)
    return false;
  *hash = X509_NAME_hash_ex(name, NULL, NULL, &ok);
  X509_NAME_free(name);
  return ok != 0;
}

/* Appends the DER of one base64 block to ix->der. */
static bool add_block(struct ca_index *ix, const char *b64, size_t n, size_t *cap_e) {
  EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
  int out = 0, fin = 0;
  bool ok = false;
  size_t off = ix->der_len;
  unsigned long hash = 0;
  if (!ctx || n > INT32_MAX)
    goto done;
  EVP_DecodeInit(ctx);
  /* ix->der has room for the whole file's base64 decoded (3/4 of it, and more) */
  if (EVP_DecodeUpdate(ctx, ix->der + off, &out, (const unsigned char *)b64, (int)n) < 0 ||
      EVP_DecodeFinal(ctx, ix->der + off + out, &fin) != 1 || out + fin <= 0)
    goto done;
  if (!der_subject_hash(ix->der + off, (size_t)(out + fin), &hash))
    goto done;
  if (ix->n == *cap_e) {
    size_t cap = *cap_e ? *cap_e * 2 : 64;
    struct ca_entry *e = realloc(ix->e, cap * sizeof *e);
    if (!e)
      goto done;
    ix->e = e;
    *cap_e = cap;
  }
  ix->e[ix->n++] = (struct ca_entry){hash, off, (size_t)(out + fin), false};
  ix->der_len += (size_t)(out + fin);
  ok = true;
done:
  EVP_ENCODE_CTX_free(ctx);
  return ok;
}

/* Every block of the file; NULL unless each one is a well-formed certificate and one at least. */
static struct ca_index *index_load(const char *path) {
  size_t len = 0, cap_e = 0;
  char *text = read_file(path, &len);
  const char *s, *b;
  struct ca_index *ix;
  if (!text)
    return NULL;
  ix = calloc(1, sizeof *ix);
  if (!ix || !(ix->der = malloc(len / 4 * 3 + 4)))
    goto fail;
  for (s = text; (b = strstr(s, "-----BEGIN ")) != NULL;) {
    const char *body, *e;
    if (strncmp(b, pem_begin, sizeof pem_begin - 1) != 0)
      goto fail; /* a key, a CRL, a TRUSTED CERTIFICATE: libcurl's loader decides */
    body = b + sizeof pem_begin - 1;
    e = strstr(body, pem_end);
    if (!e || !add_block(ix, body, (size_t)(e - body), &cap_e))
      goto fail;
    s = e + sizeof pem_end - 1;
  }
  if (ix->n == 0)
    goto fail;
  free(text);
  return ix;
fail:
  free(text);
  index_free(ix);
  return NULL;
}

/* ---- the lookup method ---- */

static int ex_index = -1;

static int lookup_by_subject(X509_LOOKUP *lu, X509_LOOKUP_TYPE type, const X509_NAME *name,
                             X509_OBJECT *ret) {
  struct ca_index *ix = X509_LOOKUP_get_method_data(lu);
  X509_STORE *store = X509_LOOKUP_get_store(lu);
  unsigned long hash;
  int ok = 0, found = 0;
  if (!ix || !store || type != X509_LU_X509 || !name)
    return 0;
  hash = X509_NAME_hash_ex(name, NULL, NULL, &ok);
  if (!ok)
    return 0;
  for (size_t i = 0; i < ix->n; i++) {
    struct ca_entry *e = &ix->e[i];
    const unsigned char *p = ix->der + e->off;
    X509 *x;
    if (e->subject_hash != hash || e->decoded)
      continue;
    x = d2i_X509(NULL, &p, (long)e->len);
    if (!x)
      continue;
    e->decoded = true;
    ix->decoded++;
    if (X509_NAME_cmp(X509_get_subject_name(x), name) == 0) {
      (void)X509_STORE_add_cert(store, x); /* a duplicate is fine */
      if (!found && X509_OBJECT_set1_X509(ret, x))
        found = 1;
    } else {
      e->decoded = false; /* a hash collision: not this name's */
      ix->decoded--;
    }
    X509_free(x);
  }
  return found;
}

static void lookup_free(X509_LOOKUP *lu) {
  index_free(X509_LOOKUP_get_method_data(lu));
  X509_LOOKUP_set_method_data(lu, NULL);
}

static X509_LOOKUP_METHOD *lookup_method(void) {
  static X509_LOOKUP_METHOD *m;
  if (!m) {
    m = X509_LOOKUP_meth_new("netcheck CA bundle, decoded on demand");
    if (m && (!X509_LOOKUP_meth_set_get_by_subject(m, lookup_by_subject) ||
              !X509_LOOKUP_meth_set_free(m, lookup_free))) {
      X509_LOOKUP_meth_free(m);
      m = NULL;
    }
  }
  return m;
}

X509_STORE *cabundle_store(const char *path) {
  X509_LOOKUP_METHOD *m = lookup_method();
  struct ca_index *ix;
  X509_STORE *store;
  X509_LOOKUP *lu;
  if (!m || !path || !*path)
    return NULL;
  if (ex_index < 0) {
    ex_index = X509_STORE_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    if (ex_index < 0)
      return NULL;
  }
  ix = index_load(path);
  if (!ix)
    return NULL;
  store = X509_STORE_new();
  lu = store ? X509_STORE_add_lookup(store, m) : NULL;
  if (!lu) {
    X509_STORE_free(store);
    index_free(ix);
    return NULL;
  }
  X509_LOOKUP_set_method_data(lu, ix); /* the lookup owns it from here */
  X509_STORE_set_ex_data(store, ex_index, ix);
  return store;
}

size_t cabundle_count(X509_STORE *store, size_t *decoded) {
  const struct ca_index *ix = store && ex_index >= 0 ? X509_STORE_get_ex_data(store, ex_index) : NULL;
  if (decoded)
    *decoded = ix ? ix->decoded : 0;
  return ix ? ix->n : 0;
}
