/*
 * sets.c - unique (drop_duplicates), union, intersect, difference and isin.
 *
 * All of them group rows by value (groupby.h), where nulls equal nulls as SQL's set
 * operations have it. The two-table operations group the rows of both tables together
 * and look, per group, at which table its rows came from. Results keep the rows' first
 * appearance order, found without sorting by marking the chosen rows in a bitmap and
 * scanning it.
 */
#include <stdlib.h>

#include "compute/groupby.h"

/* The rows marked in `keep` (a bitmap over n rows), in order, as a table. */
static cy_status take_marked(cy_table *table, const uint8_t *keep, int64_t n, cy_table **out,
                             cy_error *err) {
  int64_t k = 0;
  int64_t *idx = malloc(((size_t)n + 1) * sizeof(int64_t));
  if (idx == NULL) {
    cy_error_set(err, "out of memory selecting rows");
    return CY_ENOMEM;
  }
  for (int64_t i = 0; i < n; i++)
    if (cy_bit_get(keep, i)) idx[k++] = i;
  cy_status st = cy_table_take(table, idx, k, out, err);
  free(idx);
  return st;
}

/* Group table by all its columns, or by the named ones. */
static cy_status group_by_names(cy_table *table, const char *const *names, int32_t n,
                                const char *what, grouping *g, cy_error *err) {
  int32_t count = n > 0 ? n : table->schema.num_fields;
  int32_t *keys = malloc(((size_t)count + 1) * sizeof(int32_t));
  if (keys == NULL) {
    cy_error_set(err, "out of memory grouping rows");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  if (n > 0)
    st = cy_find_columns(table, names, n, what, keys, err);
  else
    for (int32_t c = 0; c < count; c++) keys[c] = c;
  if (st == CY_OK) st = cy_grouping_make(table, keys, count, g, err);
  free(keys);
  return st;
}

cy_status cy_table_unique(cy_table *table, const char *const *columns, int32_t n,
                          cy_keep keep, cy_table **out, cy_error *err) {
  grouping g;
  CY_RETURN_NOT_OK(group_by_names(table, columns, n, "unique", &g, err));
  int64_t rows = table->num_rows;
  uint8_t *marks = calloc((size_t)cy_bitmap_bytes(rows) + 1, 1);
  uint32_t *last = keep == CY_KEEP_LAST ? malloc(((size_t)g.groups + 1) * sizeof(uint32_t)) : NULL;
  cy_status st = marks && (keep != CY_KEEP_LAST || last) ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory finding unique rows");
  if (st == CY_OK && keep == CY_KEEP_LAST) {
    /* Rows keep their order within a partition, so the last entry of a group wins. */
    for (int64_t e = 0; e < g.start[g.nparts]; e++) last[g.gid[e]] = g.rows[e];
    for (int64_t i = 0; i < g.groups && rows > 0; i++) cy_bit_set(marks, last[i]);
  } else if (st == CY_OK) {
    for (int64_t i = 0; i < g.groups && rows > 0; i++) cy_bit_set(marks, g.first[i]);
  }
  if (st == CY_OK) st = take_marked(table, marks, rows, out, err);
  free(marks);
  free(last);
  cy_grouping_reset(&g);
  return st;
}

/* The two tables as one (after checking that their schemas match). */
static cy_status stack(cy_table *a, cy_table *b, const char *what, cy_table **out,
                       cy_error *err) {
  if (!cy_schema_equals(&a->schema, &b->schema)) {
    char x[512], y[512];
    cy_error_set(err, "%s needs tables with the same columns: %s and %s", what,
                 cy_schema_format(&a->schema, x, sizeof x), cy_schema_format(&b->schema, y, sizeof y));
    return CY_EINVAL;
  }
  cy_table *both[2] = {a, b};
  return cy_table_concat(2, both, out, err);
}

cy_status cy_table_union(cy_table *a, cy_table *b, cy_table **out, cy_error *err) {
  cy_table *all = NULL;
  CY_RETURN_NOT_OK(stack(a, b, "union", &all, err));
  cy_status st = cy_table_unique(all, NULL, 0, CY_KEEP_FIRST, out, err);
  cy_table_release(all);
  return st;
}

/* Distinct rows of a present (want_in_b) or absent in b. */
static cy_status membership(cy_table *a, cy_table *b, bool want_in_b, const char *what,
                            cy_table **out, cy_error *err) {
  cy_table *all = NULL;
  CY_RETURN_NOT_OK(stack(a, b, what, &all, err));
  grouping g;
  cy_status st = group_by_names(all, NULL, 0, what, &g, err);
  if (st != CY_OK) {
    cy_table_release(all);
    return st;
  }
  int64_t na = a->num_rows;
  uint8_t *in_b = calloc((size_t)g.groups + 1, 1);
  uint8_t *marks = calloc((size_t)cy_bitmap_bytes(na) + 1, 1);
  if (!in_b || !marks) {
    cy_error_set(err, "out of memory for %s", what);
    st = CY_ENOMEM;
  }
  int64_t entries = g.start ? g.start[g.nparts] : 0;
  for (int64_t e = 0; st == CY_OK && e < entries; e++)
    if (g.rows[e] >= na) in_b[g.gid[e]] = 1;
  /* A group's first row comes from a when a has one: a's rows come first in `all`. */
  for (int64_t i = 0; st == CY_OK && i < g.groups; i++)
    if (g.first[i] < na && (in_b[i] != 0) == want_in_b) cy_bit_set(marks, g.first[i]);
  if (st == CY_OK) st = take_marked(a, marks, na, out, err);
  free(in_b);
  free(marks);
  cy_grouping_reset(&g);
  cy_table_release(all);
  return st;
}

cy_status cy_table_intersect(cy_table *a, cy_table *b, cy_table **out, cy_error *err) {
  return membership(a, b, true, "intersect", out, err);
}

cy_status cy_table_difference(cy_table *a, cy_table *b, cy_table **out, cy_error *err) {
  return membership(a, b, false, "difference", out, err);
}

cy_status cy_column_isin(const cy_column *col, const cy_column *values, cy_column **out,
                         cy_error *err) {
  if (!cy_types_compatible(&col->type, &values->type)) {
    char x[96], y[96];
    cy_error_set(err, "isin: a %s column cannot hold %s values",
                 cy_type_name(&col->type, x, sizeof x), cy_type_name(&values->type, y, sizeof y));
    return CY_EINVAL;
  }
  /* Numbers compare as numbers: both sides in their common type (13 is not in {13.5}). */
  cy_type type = col->type;
  if (!cy_type_equals(&col->type, &values->type) && cy_type_is_numeric(col->type.id))
    type = cy_common_numeric_type(&col->type, &values->type);
  cy_column *ccast = NULL, *vcast = NULL;
  cy_status st = CY_OK;
  if (!cy_type_equals(&col->type, &type)) st = cy_column_cast(col, type, &ccast, err);
  if (st == CY_OK && !cy_type_equals(&values->type, &type))
    st = cy_column_cast(values, type, &vcast, err);
  /* Both as one column: a row of col is in values when its group has a row past col. */
  cy_column *parts[2] = {ccast ? ccast : (cy_column *)col, vcast ? vcast : (cy_column *)values};
  cy_column *both = NULL;
  if (st == CY_OK) st = cy_column_concat(2, parts, &both, err);
  cy_column_release(ccast);
  cy_column_release(vcast);
  if (st != CY_OK) return st;
  cy_table *t = NULL;
  const char *name = "v";
  if (st == CY_OK) st = cy_table_make(1, &name, &both, &t, err);
  cy_column_release(both);
  grouping g;
  memset(&g, 0, sizeof g);
  int32_t key = 0;
  if (st == CY_OK) st = cy_grouping_make(t, &key, 1, &g, err);
  int64_t n = col->length;
  uint8_t *hit = st == CY_OK ? calloc((size_t)g.groups + 1, 1) : NULL;
  uint8_t *flags = st == CY_OK ? calloc((size_t)n + 1, 1) : NULL;
  if (st == CY_OK && (!hit || !flags)) {
    cy_error_set(err, "out of memory for isin");
    st = CY_ENOMEM;
  }
  int64_t entries = st == CY_OK ? g.start[g.nparts] : 0;
  for (int64_t e = 0; e < entries; e++)
    if (g.rows[e] >= n) hit[g.gid[e]] = 1;
  for (int64_t e = 0; e < entries; e++)
    if (g.rows[e] < n) flags[g.rows[e]] = hit[g.gid[e]];
  if (st == CY_OK) st = cy_column_from_values(cy_type_make(CY_BOOL), flags, NULL, n, out, err);
  free(hit);
  free(flags);
  cy_grouping_reset(&g);
  cy_table_release(t);
  return st;
}
