/*
 * families.c - the probe families netcheck runs, in report order. The core
 * (agent/) knows families only through this list and struct probe_family
 * (include/netcheck/probe.h): adding a family means writing
 * probes/FAMILY.c and adding it here.
 */
#include "netcheck/probe.h"

extern const struct probe_family env_family, config_family, creds_family, dns_family, s3_family,
    s3_write_family, repo_family, egress_family, aws_family, clock_family, peer_family;

/* What netcheck could not use of its configuration comes first: it says
 * which checks did not run as asked. */
const struct probe_family *const probe_families[] = {
    &config_family, &env_family,    &creds_family, &dns_family,   &s3_family,   &s3_write_family,
    &repo_family,   &egress_family, &aws_family,   &clock_family, &peer_family, NULL};
