/*
 * ops_test.h - helpers for the operator tests: tables written as CSV text with explicit
 * types, and a check that a result equals a hand-written expected table (in order, or as a
 * multiset where the operator leaves the order open).
 */
#ifndef CYLON_OPS_TEST_H
#define CYLON_OPS_TEST_H

#include "test.h"

static cy_error err;

/* A table from CSV text; types is "name:type,..." for every column ("" = infer). */
static cy_table *T(const char *csv, const char *types) {
  cy_csv_read_options o;
  cy_csv_read_options_init(&o);
  char *names[32];
  cy_type tys[32];
  int n = 0;
  char *copy = strdup(types), *save = NULL;
  for (char *item = strtok_r(copy, ",", &save); item && n < 32; item = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(item, ':');
    *colon = 0;
    names[n] = item;
    if (cy_type_parse(colon + 1, &tys[n], &err) != CY_OK) fprintf(stderr, "bad type %s\n", colon + 1);
    n++;
  }
  o.column_names = (const char *const *)names;
  o.column_types = tys;
  o.num_column_types = n;
  cy_table *t = NULL;
  if (cy_csv_read_buffer(csv, (int64_t)strlen(csv), "test", &o, &t, &err) != CY_OK) {
    fprintf(stderr, "test table: %s\n", err.message);
    test_failures++;
  }
  free(copy);
  return t;
}

/* Check result against expected (both consumed); ordered or as multisets. */
#define EXPECT_TABLE(result, expected, ordered) \
  expect_table((result), (expected), (ordered), __FILE__, __LINE__)

static void expect_table(cy_table *got, cy_table *want, bool ordered, const char *file,
                         int line) {
  bool eq = false;
  if (got && want && cy_table_equals(got, want, ordered, &eq, &err) != CY_OK)
    fprintf(stderr, "%s:%d: equals failed: %s\n", file, line, err.message);
  if (!eq) {
    fprintf(stderr, "%s:%d: result differs from the expected table\n", file, line);
    cy_print_options po;
    cy_print_options_init(&po);
    po.max_rows = 40;
    if (got) {
      fprintf(stderr, "got:\n");
      cy_table_print(got, &po, stderr, &err);
    }
    if (want) {
      fprintf(stderr, "expected:\n");
      cy_table_print(want, &po, stderr, &err);
    }
    test_failures++;
  }
  cy_table_release(got);
  cy_table_release(want);
}

#endif
