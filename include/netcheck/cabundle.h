/*
 * cabundle.h - a CA bundle (PEM file) as an OpenSSL X509_STORE that decodes a certificate only
 * when a verification asks for its subject.
 *
 * OpenSSL 3.0 decodes a certificate's public key through its provider decoders: about a million
 * instructions per certificate. X509_STORE_load_file decodes the whole bundle, 146 certificates
 * in Debian's: most of a healthy run's CPU, on the event loop, for the two or three issuers a run
 * needs. The index reads the file once, keeps each certificate's DER and the hash of its subject
 * (X509_NAME_hash_ex, as a hashed CA directory names its files), and a lookup method decodes the
 * certificates of one subject when the chain builder asks for them, adding them to the store.
 */
#ifndef NETCHECK_CABUNDLE_H
#define NETCHECK_CABUNDLE_H

#include <openssl/x509.h>

/* A store over the bundle at path, or NULL when the file cannot be read, holds no certificate,
 * or holds anything but PEM "CERTIFICATE" blocks with a well-formed subject (then the caller lets
 * libcurl load the file, with its own errors). Free with X509_STORE_free. */
X509_STORE *cabundle_store(const char *path);

/* The number of certificates the store's index holds, and how many it decoded so far. */
size_t cabundle_count(X509_STORE *store, size_t *decoded);

#endif
