/*
 * test_diag.c - diagnosis codes: names, parsing, explain pages, and
 * docs/diagnoses.md being exactly what diag_markdown() prints.
 *
 * Run from the repository root (the docs file is opened by relative path).
 * With NETCHECK_UPDATE_DOCS=1 the test first rewrites docs/diagnoses.md from
 * diag_markdown(), then checks it like any other run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/diag.h"

/* Declared here until diag.h declares them (identical redeclarations). */
const char *diag_summary(enum nc_code code);
void diag_markdown(FILE *out);

#define DOCS_PATH "docs/diagnoses.md"

static char *render_markdown(size_t *len) {
  char *buf = NULL;
  FILE *out = open_memstream(&buf, len);
  assert_non_null(out);
  diag_markdown(out);
  assert_int_equal(fclose(out), 0);
  assert_non_null(buf);
  return buf;
}

static char *read_docs(size_t *len) {
  FILE *in = fopen(DOCS_PATH, "rb");
  char *buf = NULL;
  long size;
  if (!in)
    fail_msg("cannot open %s (run the test from the repository root)", DOCS_PATH);
  assert_int_equal(fseek(in, 0, SEEK_END), 0);
  size = ftell(in);
  assert_true(size >= 0);
  assert_int_equal(fseek(in, 0, SEEK_SET), 0);
  buf = malloc((size_t)size + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)size, in), (size_t)size);
  buf[size] = '\0';
  fclose(in);
  *len = (size_t)size;
  return buf;
}

/* The explain page with every run of whitespace turned into one space, so
 * that phrases can be found wherever the text wraps. */
static char *squashed_page(enum nc_code code) {
  const char *page = diag_explain(code);
  char *out = malloc(strlen(page) + 1);
  size_t n = 0;
  assert_non_null(out);
  for (const char *c = page; *c; c++) {
    if (*c == ' ' || *c == '\n') {
      if (n > 0 && out[n - 1] != ' ')
        out[n++] = ' ';
    } else {
      out[n++] = *c;
    }
  }
  out[n] = '\0';
  return out;
}

static void every_code_has_an_upper_case_name(void **state) {
  (void)state;
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    const char *name = diag_name((enum nc_code)i);
    assert_non_null(name);
    assert_true(name[0] != '\0');
    for (const char *c = name; *c; c++)
      assert_true((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_');
  }
  assert_string_equal(diag_name(NC_OK), "OK");
  assert_string_equal(diag_name(NC_S3_DENIED), "S3_DENIED");
  assert_string_equal(diag_name(NC_TIMEOUT_BUDGET), "TIMEOUT_BUDGET");
}

static void names_round_trip_in_any_case(void **state) {
  (void)state;
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    const char *name = diag_name((enum nc_code)i);
    char lower[64];
    size_t n = strlen(name);
    assert_true(n < sizeof(lower));
    for (size_t k = 0; k <= n; k++)
      lower[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] - 'A' + 'a' : name[k]);
    assert_int_equal(diag_from_name(name), i);
    assert_int_equal(diag_from_name(lower), i);
  }
  assert_int_equal(diag_from_name("s3_Denied_Endpoint_Policy"), NC_S3_DENIED_ENDPOINT_POLICY);
}

static void unknown_names_give_minus_one(void **state) {
  (void)state;
  assert_int_equal(diag_from_name(NULL), -1);
  assert_int_equal(diag_from_name(""), -1);
  assert_int_equal(diag_from_name("NOPE"), -1);
  assert_int_equal(diag_from_name(" OK"), -1);
  assert_int_equal(diag_from_name("OK "), -1);
  assert_int_equal(diag_from_name("S3_DENIED_"), -1);
  assert_int_equal(diag_from_name("S3"), -1);
  assert_int_equal(diag_from_name("NC_OK"), -1);
}

static void out_of_range_codes_give_null(void **state) {
  (void)state;
  assert_null(diag_name(NC_CODE_COUNT));
  assert_null(diag_explain(NC_CODE_COUNT));
  assert_null(diag_summary(NC_CODE_COUNT));
  assert_null(diag_name((enum nc_code)(-1)));
  assert_null(diag_explain((enum nc_code)(-1)));
}

static void every_summary_is_one_short_plain_line(void **state) {
  (void)state;
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    const char *name = diag_name((enum nc_code)i);
    const char *summary = diag_summary((enum nc_code)i);
    assert_non_null(summary);
    assert_true(summary[0] != '\0');
    assert_true(strlen(summary) < 80);
    /* "NAME: summary" is the first line of the explain page. */
    assert_true(strlen(name) + 2 + strlen(summary) <= 78);
    assert_null(strpbrk(summary, "\n|`"));
  }
}

static void every_explain_page_has_all_sections(void **state) {
  (void)state;
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    const char *name = diag_name((enum nc_code)i);
    const char *page = diag_explain((enum nc_code)i);
    const char *observed, *causes, *fix, *see;
    assert_non_null(page);
    assert_int_equal(strncmp(page, name, strlen(name)), 0);
    assert_int_equal(page[strlen(name)], ':');
    observed = strstr(page, "\nObserved:\n");
    causes = strstr(page, "\nLikely causes:\n  - ");
    fix = strstr(page, "\nFix:\n  - ");
    see = strstr(page, "\nSee also: ");
    assert_non_null(observed);
    assert_non_null(causes);
    assert_non_null(fix);
    assert_non_null(see);
    assert_true(observed < causes && causes < fix && fix < see);
    assert_true(page[strlen(page) - 1] == '\n');
  }
}

static void explain_pages_are_ascii_and_fit_80_columns(void **state) {
  (void)state;
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    const char *line = diag_explain((enum nc_code)i);
    while (*line) {
      size_t n = strcspn(line, "\n");
      for (size_t k = 0; k < n; k++)
        assert_true((unsigned char)line[k] >= 0x20 && (unsigned char)line[k] < 0x7f);
      if (n > 80)
        fail_msg("%s: line of %zu columns: %.*s", diag_name((enum nc_code)i), n, (int)n, line);
      line += n;
      if (*line)
        line++;
    }
  }
}

static void plain_text_drops_markdown_backticks(void **state) {
  (void)state;
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    /* Backticks mark code in Markdown; a terminal shows them as noise. */
    assert_null(strchr(diag_explain((enum nc_code)i), '`'));
  }
}

static void see_also_names_only_real_codes(void **state) {
  (void)state;
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    const char *see = strstr(diag_explain((enum nc_code)i), "\nSee also: ");
    char list[512];
    size_t n;
    char *tok, *save = NULL;
    assert_non_null(see);
    see += strlen("\nSee also: ");
    n = strlen(see);
    assert_true(n > 1 && n < sizeof(list));
    memcpy(list, see, n + 1);
    for (tok = strtok_r(list, ", \n", &save); tok; tok = strtok_r(NULL, ", \n", &save)) {
      int code = diag_from_name(tok);
      assert_true(code >= 0);
      assert_int_not_equal(code, i);
    }
  }
}

static void explain_returns_the_same_page_every_time(void **state) {
  (void)state;
  assert_ptr_equal(diag_explain(NC_CLOCK_SKEW), diag_explain(NC_CLOCK_SKEW));
}

static void repo_page_denies_all_five_repository_buckets(void **state) {
  static const char *const arns[] = {
      "\"arn:aws:s3:::packages.REGION.amazonaws.com/*\"",
      "\"arn:aws:s3:::repo.REGION.amazonaws.com/*\"",
      "\"arn:aws:s3:::amazonlinux.REGION.amazonaws.com/*\"",
      "\"arn:aws:s3:::amazonlinux-2-repos-REGION/*\"",
      "\"arn:aws:s3:::al2023-repos-REGION-de612dc2/*\"",
  };
  const char *page = diag_explain(NC_REPO_NOT_BLOCKED);
  (void)state;
  for (size_t i = 0; i < sizeof(arns) / sizeof(arns[0]); i++)
    assert_non_null(strstr(page, arns[i]));
  assert_non_null(strstr(page, "\"Effect\": \"Deny\""));
  /* A policy with only the Deny would allow nothing at all. */
  assert_non_null(strstr(page, "\"Effect\": \"Allow\""));
}

static void endpoint_policy_page_quotes_both_s3_messages(void **state) {
  char *page = squashed_page(NC_S3_DENIED_ENDPOINT_POLICY);
  (void)state;
  assert_non_null(strstr(page, "because no VPC endpoint policy allows"));
  assert_non_null(strstr(page, "with an explicit deny in a VPC endpoint policy"));
  assert_non_null(strstr(page, "anonymous requests only ever get a plain "
                               "\"Access Denied\""));
  free(page);
}

static void clock_page_states_the_thresholds(void **state) {
  char *page = squashed_page(NC_CLOCK_SKEW);
  (void)state;
  assert_non_null(strstr(page, "warns above 60 seconds"));
  assert_non_null(strstr(page, "fails above 5 minutes"));
  assert_non_null(strstr(page, "beyond 15 minutes"));
  assert_non_null(strstr(page, "169.254.169.123"));
  free(page);
}

static void markdown_has_one_section_per_code_in_enum_order(void **state) {
  size_t len;
  char *md = render_markdown(&len);
  const char *at = md;
  (void)state;
  assert_int_equal(strncmp(md, "# ", 2), 0);
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    char heading[80];
    char row[120];
    const char *name = diag_name((enum nc_code)i);
    snprintf(heading, sizeof(heading), "\n## %s\n", name);
    snprintf(row, sizeof(row), "| [`%s`](#", name);
    assert_non_null(strstr(md, row));
    at = strstr(at, heading);
    if (!at)
      fail_msg("section for %s missing or out of order", name);
    at++;
  }
  assert_int_equal(md[len - 1], '\n');
  assert_int_not_equal(md[len - 2], '\n');
  free(md);
}

static void docs_file_matches_diag_markdown(void **state) {
  size_t md_len, docs_len, i;
  char *md = render_markdown(&md_len);
  char *docs;
  const char *update = getenv("NETCHECK_UPDATE_DOCS");
  (void)state;
  if (update && strcmp(update, "1") == 0) {
    FILE *out = fopen(DOCS_PATH, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(md, 1, md_len, out), md_len);
    assert_int_equal(fclose(out), 0);
  }
  docs = read_docs(&docs_len);
  for (i = 0; i < md_len && i < docs_len && md[i] == docs[i]; i++)
    ;
  if (i != md_len || i != docs_len)
    fail_msg("%s differs from diag_markdown() at byte %zu; regenerate it "
             "with NETCHECK_UPDATE_DOCS=1",
             DOCS_PATH, i);
  free(docs);
  free(md);
}

/* ---- fix templates ---- */

/* The slots of a template ("bucket" for {bucket}), at most max. */
static int template_slots(const char *t, char names[][32], int max) {
  int n = 0;
  while ((t = strchr(t, '{')) != NULL) {
    if (t[1] == '{') {
      t += 2;
      continue;
    }
    size_t len = strcspn(t + 1, "{}");
    assert_int_equal(t[1 + len], '}');
    assert_true(len > 0 && len < 32);
    if (n < max) {
      memcpy(names[n], t + 1, len);
      names[n][len] = '\0';
      n++;
    }
    t += len + 2;
  }
  return n;
}

static void every_code_has_a_fix_template(void **state) {
  (void)state;
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    const char *t = diag_fix_template((enum nc_code)i, NULL);
    if (!t)
      fail_msg("%s has no fix template", diag_name((enum nc_code)i));
    if (i != NC_OK && !t[0])
      fail_msg("%s has an empty fix template", diag_name((enum nc_code)i));
  }
  assert_string_equal(diag_fix_template(NC_OK, NULL), "");
  assert_null(diag_fix_template(NC_S3_DENIED, "no-such-variant"));
  assert_null(diag_fix_template(NC_CODE_COUNT, NULL));
}

/* Every template of every code, rendered with a fact for each of its slots,
 * leaves no slot unfilled; rendered with none, it reports each one. */
static void every_template_renders_with_its_slots_filled(void **state) {
  (void)state;
  int templates = 0;
  for (int i = 0; i < NC_CODE_COUNT; i++) {
    const char *variant;
    for (int k = 0; (variant = diag_fix_variant((enum nc_code)i, k)) != NULL; k++) {
      const char *t = diag_fix_template((enum nc_code)i, variant);
      char names[16][32];
      struct diag_fact facts[17];
      char out[2048];
      int n = template_slots(t, names, 16);
      assert_true(n <= 16);
      for (int f = 0; f < n; f++)
        facts[f] = (struct diag_fact){names[f], "VALUE"};
      facts[n] = (struct diag_fact){NULL, NULL};
      unsigned before = diag_fix_unfilled();
      if (diag_fix(out, sizeof(out), (enum nc_code)i, variant, facts) != 0)
        fail_msg("%s/%s left a slot unfilled: %s", diag_name((enum nc_code)i), variant, out);
      assert_null(strchr(out, '{'));
      assert_true(strlen(out) < sizeof(out) - 1); /* a template fits a remediation */
      assert_int_equal(diag_fix_unfilled(), before);
      if (n > 0) {
        int missing = diag_fix(out, sizeof(out), (enum nc_code)i, variant, NULL);
        assert_true(missing > 0);
        assert_non_null(strchr(out, '{'));
        assert_int_equal(diag_fix_unfilled(), before + 1);
      }
      templates++;
    }
  }
  assert_true(templates > NC_CODE_COUNT);
}

static void fix_renderer_fills_escapes_and_cuts(void **state) {
  (void)state;
  char out[64];
  /* a code like S3_WRITE_DENIED uses S3_DENIED's variants */
  assert_non_null(diag_fix_template(NC_S3_WRITE_DENIED, "anonymous"));
  assert_int_equal(diag_fix(out, sizeof(out), NC_S3_WRONG_REGION, "redirect",
                            DIAG_FACTS({"region", "eu-west-1"}, {"unused", "x"})),
                   0);
  assert_string_equal(out, "S3 gateway and interface endpoints serve only buckets in their ");
  assert_int_equal(diag_fix(out, sizeof(out), NC_S3_DENIED, "missing", NULL), -1);
  assert_string_equal(out, "");
  /* the output is cut at the buffer size */
  char small[8];
  assert_int_equal(diag_fix(small, sizeof(small), NC_PEER_NOT_NETCHECK, NULL,
                            DIAG_FACTS({"port", "1"}, {"peer", "p"})),
                   0);
  assert_string_equal(small, "Another");
  assert_int_equal(diag_fix(small, 1, NC_PEER_NOT_NETCHECK, NULL, NULL), 2);
  assert_string_equal(small, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_code_has_an_upper_case_name),
      cmocka_unit_test(names_round_trip_in_any_case),
      cmocka_unit_test(unknown_names_give_minus_one),
      cmocka_unit_test(out_of_range_codes_give_null),
      cmocka_unit_test(every_summary_is_one_short_plain_line),
      cmocka_unit_test(every_explain_page_has_all_sections),
      cmocka_unit_test(explain_pages_are_ascii_and_fit_80_columns),
      cmocka_unit_test(plain_text_drops_markdown_backticks),
      cmocka_unit_test(see_also_names_only_real_codes),
      cmocka_unit_test(explain_returns_the_same_page_every_time),
      cmocka_unit_test(repo_page_denies_all_five_repository_buckets),
      cmocka_unit_test(endpoint_policy_page_quotes_both_s3_messages),
      cmocka_unit_test(clock_page_states_the_thresholds),
      cmocka_unit_test(markdown_has_one_section_per_code_in_enum_order),
      cmocka_unit_test(docs_file_matches_diag_markdown),
      cmocka_unit_test(every_code_has_a_fix_template),
      cmocka_unit_test(every_template_renders_with_its_slots_filled),
      cmocka_unit_test(fix_renderer_fills_escapes_and_cuts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
