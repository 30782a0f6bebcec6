/*
 * proxy.h - which proxy a request goes through, decided once, the way
 * libcurl and the AWS SDKs read the environment (https_proxy/HTTPS_PROXY,
 * http_proxy, all_proxy/ALL_PROXY, no_proxy/NO_PROXY), so that netcheck
 * takes the path the workload takes. Never a proxy for loopback and
 * link-local addresses (the credentials endpoints), as botocore's container
 * provider. Used by http.c (CURLOPT_PROXY is always set from it) and by the
 * plan (a name reached through a proxy is resolved by the proxy, not by
 * the job).
 */
#ifndef NETCHECK_PROXY_H
#define NETCHECK_PROXY_H

#include <stdbool.h>
#include <stddef.h>

/* The proxy URL for url ("http://host:port"), or "" when it goes direct.
 * Returns true when a proxy applies. out may be NULL. */
bool proxy_for_url(const char *url, char *out, size_t outlen);

/* Pure matcher, for the tests: true when host (a name or an address) is
 * excluded by a no_proxy list ("*", names matched as domain suffixes,
 * leading dots ignored, IPv4 CIDR blocks). */
bool proxy_no_proxy_match(const char *no_proxy, const char *host);

/* The proxy URL without user:password, for reports and logs. */
void proxy_redact(const char *proxy, char *out, size_t outlen);

#endif
