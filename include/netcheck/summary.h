/*
 * summary.h - machine-readable end-of-run summaries beyond text and JSON.
 *
 * summary_junit_print() prints the run as JUnit XML (`--summary junit`) for CI
 * pipelines: one <testsuite name="netcheck"> with one <testcase> per probe,
 * classname "netcheck.FAMILY" and name the probe id; a failed probe carries
 * <failure message="CODE: message" type="CODE">remediation</failure>, a
 * skipped one <skipped/>, a warned one passes with the warning in
 * <system-out>. Every string comes from the network or from files and is
 * escaped: the five XML specials become entities, and bytes XML 1.0 cannot
 * carry (control characters, invalid UTF-8, U+FFFE/U+FFFF) become U+FFFD.
 * report_print_summary() calls it when cfg->summary == NC_SUMMARY_JUNIT.
 */
#ifndef NETCHECK_SUMMARY_H
#define NETCHECK_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

/* Declared only: report.c includes this header, so it must not include report.h back. */
struct nc_config;
struct plan;
struct report_run;

/* Prints the whole JUnit XML document (UTF-8, with an XML declaration). */
void summary_junit_print(FILE *out, const struct nc_config *cfg, const struct plan *pl,
                         const struct report_run *run);

/* Writes s escaped for XML 1.0 character data, or for an attribute value
 * in double or single quotes when attr is true (then tab, newline and
 * carriage return are written as character references so that they survive
 * attribute-value normalisation). NULL writes nothing. */
void junit_xml_escape(FILE *out, const char *s, bool attr);

#endif
