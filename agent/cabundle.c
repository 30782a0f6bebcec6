/*
 * cabundle.c - a CA bundle as an X509_STORE that decodes certificates on demand (cabundle.h).
 *
 * The file is read once: each PEM "CERTIFICATE" block is base64-decoded and its DER walked to the
 * subject (Certificate, TBSCertificate, then version, serial, signature, issuer, validity), whose
 * bytes are kept. A lookup method (get_by_subject) decodes the certificates whose subject has the
 * DER of the name asked for, and adds them to the store, where the next verification finds them
 * without asking again. A name no subject matches byte for byte (another string type, other
 * case or spaces) is compared as OpenSSL compares names (X509_NAME_hash_ex and X509_NAME_cmp:
 * canonical); the canonical hashes are computed then, once, for every certificate.
 */
#include "netcheck/cabundle.h"

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"

#define BUNDLE_MAX ((size_t)64 * 1024 * 1024) /* a bundle larger than this is not a CA bundle */

static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

struct ca_entry {
  size_t off, len;           /* the certificate's DER in der */
  size_t subj_off, subj_len; /* its subject's DER in der */
  unsigned long canon_hash;  /* X509_NAME_hash_ex of the subject, once have_canon */
  bool decoded;
};

struct ca_index {
  unsigned char *der;
  size_t der_len;
  struct ca_entry *e;
  size_t n, decoded;
  bool have_canon;
};

static void index_free(struct ca_index *ix) {
  if (!ix)
    return;
  free(ix->der);
  free(ix->e);
  free(ix);
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

/* The subject of one DER certificate (its offset and length); false when it is not a
 * certificate's shape. */
static bool der_subject(const unsigned char *der, size_t len, size_t *off, size_t *slen) {
  const unsigned char *p = der, *end = der + len, *q, *subj = NULL;
  long l = 0, sl = 0;
  int tag, cls, ret;
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
  *off = (size_t)(subj - der);
  *slen = (size_t)sl;
  return true;
}

/* Base64 (RFC 4648, with the line breaks and spaces of PEM) into out; its length, or -1. out
 * has room for n * 3 / 4 bytes. (EVP_DecodeUpdate costs as much again as the rest of the
 * index.) */
static long b64_decode(const char *in, size_t n, unsigned char *out) {
  static signed char val[256];
  static bool init;
  unsigned long acc = 0;
  long len = 0;
  int bits = 0, pad = 0;
  if (!init) {
    const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    memset(val, -1, sizeof val);
    for (int i = 0; a[i]; i++)
      val[(unsigned char)a[i]] = (signed char)i;
    init = true;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
      continue;
    if (c == '=') {
      pad++;
      continue;
    }
    if (val[c] < 0 || pad) /* not base64, or data after the padding */
      return -1;
    acc = (acc << 6) | (unsigned long)val[c];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[len++] = (unsigned char)(acc >> bits);
    }
  }
  if (pad > 2 || (pad && bits == 0))
    return -1;
  return len;
}

/* Appends the DER of one base64 block to ix->der. */
static bool add_block(struct ca_index *ix, const char *b64, size_t n, size_t *cap_e) {
  size_t off = ix->der_len, subj_off = 0, subj_len = 0;
  /* ix->der has room for the whole file's base64 decoded (3/4 of it, and more) */
  long len = b64_decode(b64, n, ix->der + off);
  if (len <= 0 || !der_subject(ix->der + off, (size_t)len, &subj_off, &subj_len))
    return false;
  if (ix->n == *cap_e) {
    size_t cap = *cap_e ? *cap_e * 2 : 64;
    struct ca_entry *e = realloc(ix->e, cap * sizeof *e);
    if (!e)
      return false;
    ix->e = e;
    *cap_e = cap;
  }
  ix->e[ix->n++] = (struct ca_entry){off, (size_t)len, off + subj_off, subj_len, 0, false};
  ix->der_len += (size_t)len;
  return true;
}

/* The canonical hash of every subject, for the names no subject matches byte for byte. */
static void index_canon(struct ca_index *ix) {
  for (size_t i = 0; i < ix->n; i++) {
    struct ca_entry *e = &ix->e[i];
    const unsigned char *p = ix->der + e->subj_off;
    X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)e->subj_len);
    int ok = 0;
    e->canon_hash = name ? X509_NAME_hash_ex(name, NULL, NULL, &ok) : 0;
    if (!ok)
      e->canon_hash = 0;
    X509_NAME_free(name);
  }
  ix->have_canon = true;
}

/* Every block of the file; NULL unless each one is a well-formed certificate and one at least. */
static struct ca_index *index_load(const char *path) {
  size_t len = 0, cap_e = 0;
  char *text = NULL;
  const char *s, *b;
  struct ca_index *ix;
  if (nc_read_file(path, BUNDLE_MAX, &text, &len) != 0 || len == 0) {
    free(text);
    return NULL;
  }
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

/* The store's own copy of x (X509_STORE_add_cert keeps an equal certificate it already holds
 * rather than x), or NULL. */
static X509 *stored_copy(X509_STORE *store, X509 *x) {
  X509_OBJECT *probe = X509_OBJECT_new();
  X509 *in = NULL;
  if (probe && X509_OBJECT_set1_X509(probe, x) && X509_STORE_lock(store)) {
    X509_OBJECT *o = X509_OBJECT_retrieve_match(X509_STORE_get0_objects(store), probe);
    in = o ? X509_OBJECT_get0_X509(o) : NULL;
    X509_STORE_unlock(store);
  }
  X509_OBJECT_free(probe);
  return in;
}

/* Decodes entry e and adds it to the store when its subject is name; 1 when it did. The first
 * one found goes to ret as OpenSSL's own lookups return theirs: the store's object, without a
 * reference of its own (X509_STORE_CTX_get_by_subject takes one for its caller). */
static int add_match(struct ca_index *ix, struct ca_entry *e, X509_STORE *store,
                     const X509_NAME *name, X509_OBJECT *ret, int found) {
  const unsigned char *p = ix->der + e->off;
  X509 *x = d2i_X509(NULL, &p, (long)e->len), *in;
  int added = 0;
  if (!x)
    return 0;
  if (X509_NAME_cmp(X509_get_subject_name(x), name) == 0 && X509_STORE_add_cert(store, x) &&
      (in = stored_copy(store, x)) != NULL) {
    e->decoded = true;
    ix->decoded++;
    added = 1;
    if (!found) {
      if (X509_OBJECT_set1_X509(ret, in))
        X509_free(in); /* the store's reference is the one ret holds */
      else
        added = 0;
    }
  }
  X509_free(x);
  return added;
}

static int lookup_by_subject(X509_LOOKUP *lu, X509_LOOKUP_TYPE type, const X509_NAME *name,
                             X509_OBJECT *ret) {
  struct ca_index *ix = X509_LOOKUP_get_method_data(lu);
  X509_STORE *store = X509_LOOKUP_get_store(lu);
  const unsigned char *der = NULL;
  size_t der_len = 0;
  unsigned long hash;
  int ok = 0, found = 0;
  if (!ix || !store || type != X509_LU_X509 || !name || !X509_NAME_get0_der(name, &der, &der_len))
    return 0;
  for (size_t i = 0; i < ix->n; i++) {
    struct ca_entry *e = &ix->e[i];
    if (!e->decoded && e->subj_len == der_len && memcmp(ix->der + e->subj_off, der, der_len) == 0)
      found |= add_match(ix, e, store, name, ret, found);
  }
  if (found)
    return 1;
  hash = X509_NAME_hash_ex(name, NULL, NULL, &ok);
  if (!ok)
    return 0;
  if (!ix->have_canon)
    index_canon(ix);
  for (size_t i = 0; i < ix->n; i++) {
    struct ca_entry *e = &ix->e[i];
    if (!e->decoded && e->canon_hash == hash)
      found |= add_match(ix, e, store, name, ret, found);
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
  /* The verify flags libcurl 7.88 sets on the store it fills (partial chains: a bundle may hold
   * an intermediate as the anchor; trusted certificates first). It sets them on this store
   * too, after the SSL_CTX callback; a libcurl that fills its store before the callback would
   * set them on the store this one replaces. */
  X509_STORE_set_flags(store, X509_V_FLAG_TRUSTED_FIRST | X509_V_FLAG_PARTIAL_CHAIN);
  X509_STORE_set_ex_data(store, ex_index, ix);
  return store;
}

size_t cabundle_count(X509_STORE *store, size_t *decoded) {
  const struct ca_index *ix =
      store && ex_index >= 0 ? X509_STORE_get_ex_data(store, ex_index) : NULL;
  if (decoded)
    *decoded = ix ? ix->decoded : 0;
  return ix ? ix->n : 0;
}
