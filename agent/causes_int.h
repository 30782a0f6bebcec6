/*
 * causes_int.h - what agent/causes.c (grouping one host's probes, ranking),
 * causes_matrix.c (the job's peer matrix) and causes_text.c (each cause in
 * words and as JSON) share. Nothing outside agent/causes*.c includes it.
 */
#ifndef NETCHECK_CAUSES_INT_H
#define NETCHECK_CAUSES_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "netcheck/causes.h"

#define CS_NAMED 3       /* targets named in one sentence before "+N more" */
#define CS_HOST_RUNS 6   /* host ranges named before "+N more" */
#define CS_SUBNET_MAX 48 /* "255.255.255.255/32" and more */

/* The cause with this key, or NULL. */
struct cause *cs_find(struct causes *cs, const char *key);
/* A new cause (NULL when out of memory: cs->oom is set). */
struct cause *cs_new(struct causes *cs, enum cause_pattern pattern, const char *code,
                     const char *key);
/* Adds host h, probe p of host h, the link from -> to to cause c. */
void ca_host(struct causes *cs, struct cause *c, int h);
void ca_probe(struct causes *cs, struct cause *c, int h, const cJSON *p);
void ca_link(struct causes *cs, struct cause *c, int from, int to);
/* True when probe p failed or warned (*warn says which). */
bool cs_problem(const cJSON *p, bool *warn);
/* Puts a failed or warned probe p of host h into its cause; all of probes. */
void cs_add_probe(struct causes *cs, int h, const cJSON *p, bool warn);
void cs_add_probes(struct causes *cs, int h, const cJSON *probes);
/* Settles codes and sorts the causes, most important first. */
void cs_finish(struct causes *cs);
/* The peer port a cause's probes used (the default when none says). */
int cs_peer_port(const struct cause *c);

#endif
