/*
 * version.h - netcheck's version, and `netcheck --version`: the versions of
 * the libraries netcheck was built with (their headers) and runs with (what
 * the loaded code reports), like `curl -V`. The version string is compiled
 * into agent/version.c alone, so a new version rebuilds one object.
 */
#ifndef NETCHECK_VERSION_H
#define NETCHECK_VERSION_H

#include <stdio.h>

/* "0.1.0", or what `git describe` said at build time ("0.1.0-3-gabc1234"). */
extern const char nc_version[];

/* "netcheck/VERSION": the User-Agent of every HTTP request. */
extern const char *const nc_user_agent;

/* Prints the --version text: netcheck's version and target, the libraries
 * it runs with, the ones it was built with, libcurl's protocols and
 * features, and where the licenses are. */
void version_print(FILE *out);

#endif
