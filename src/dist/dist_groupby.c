/*
 * dist_groupby.c - distributed group-by and scalar aggregates.
 *
 * When every aggregate decomposes (count, count_all, sum, min, max, mean), each rank
 * first aggregates its own rows (partials: counts, sums, minima, maxima; a mean is a sum
 * and a count), so only one row per group and rank travels; the partials are shuffled on
 * the keys and aggregated again (sums of counts, sums of sums, min of minima ...), and a
 * mean is the total sum over the total count. The other aggregates (var, std, nunique,
 * median, quantile, first, last) need every value: the rows themselves (keys and the
 * aggregated columns only) are shuffled and the local group-by runs on them. The shuffle
 * keeps the global row order per group, so first and last are those of the whole table.
 *
 * The result's names and types are those of the local operator: it is run on a zero-row
 * slice first, which also checks the arguments identically on every rank. Scalar
 * aggregates gather the partials to every rank (a row each) and finish there; for
 * aggregates that need every value, the columns go to rank 0, which computes and
 * broadcasts the row.
 */
#include <stdio.h>

#include "dist/dist_internal.h"

static bool decomposable(cy_agg_op op) {
  return op == CY_AGG_COUNT || op == CY_AGG_COUNT_ALL || op == CY_AGG_SUM || op == CY_AGG_MIN ||
         op == CY_AGG_MAX || op == CY_AGG_MEAN;
}

typedef struct agg_plan agg_plan;
static cy_status agg_plan_make(const cy_aggregate *aggs, int32_t num, agg_plan *p,
                               cy_error *err);
static void agg_plan_reset(agg_plan *p);

/* The partial and final aggregates of a decomposable plan. Partial j (and j + 1 for a
 * mean's count) is named "\x01p<j>"; the final aggregates read the partials. */
struct agg_plan {
  cy_aggregate *partial, *final;
  int32_t n;
  int32_t *first; /* per requested aggregate: its first partial */
  char (*names)[24];
};

/* Whether every aggregate decomposes and its partials accept the columns' types (a mean
 * of a type that has no sum, say, runs on the rows instead). Decided on a zero-row slice,
 * so alike on every rank. */
static bool use_partials(cy_table *table, const char *const *by, int32_t num_by,
                         const cy_aggregate *aggs, int32_t num) {
  for (int32_t j = 0; j < num; j++)
    if (!decomposable(aggs[j].op)) return false;
  agg_plan p;
  cy_table *e = NULL, *probe = NULL;
  if (agg_plan_make(aggs, num, &p, NULL) != CY_OK) return false;
  bool ok = cy_table_slice(table, 0, 0, &e, NULL) == CY_OK &&
            (num_by > 0 ? cy_table_groupby(e, by, num_by, p.partial, p.n, &probe, NULL)
                        : cy_table_aggregate(e, p.partial, p.n, &probe, NULL)) == CY_OK;
  cy_table_release(probe);
  cy_table_release(e);
  agg_plan_reset(&p);
  return ok;
}

static void agg_plan_reset(agg_plan *p) {
  free(p->partial);
  free(p->final);
  free(p->first);
  free(p->names);
  memset(p, 0, sizeof *p);
}

static cy_status agg_plan_make(const cy_aggregate *aggs, int32_t num, agg_plan *p,
                               cy_error *err) {
  memset(p, 0, sizeof *p);
  p->partial = calloc((size_t)num * 2 + 1, sizeof *p->partial);
  p->final = calloc((size_t)num * 2 + 1, sizeof *p->final);
  p->first = calloc((size_t)num + 1, sizeof *p->first);
  p->names = calloc((size_t)num * 2 + 1, sizeof *p->names);
  if (!p->partial || !p->final || !p->first || !p->names) {
    agg_plan_reset(p);
    cy_error_set(err, "group-by: out of memory");
    return CY_ENOMEM;
  }
  for (int32_t j = 0; j < num; j++) {
    p->first[j] = p->n;
    cy_agg_op ops[2] = {aggs[j].op, CY_AGG_COUNT};
    int parts = 1;
    if (aggs[j].op == CY_AGG_MEAN) ops[0] = CY_AGG_SUM, parts = 2;
    for (int k = 0; k < parts; k++) {
      int32_t i = p->n++;
      snprintf(p->names[i], sizeof p->names[i], "\x01p%d", (int)i);
      p->partial[i] = aggs[j];
      p->partial[i].op = ops[k];
      p->partial[i].output_name = p->names[i];
      p->final[i].column = p->names[i];
      p->final[i].output_name = p->names[i];
      p->final[i].op = ops[k] == CY_AGG_MIN || ops[k] == CY_AGG_MAX ? ops[k] : CY_AGG_SUM;
    }
  }
  return CY_OK;
}

/* From the final table (keys, then the plan's columns) make the result with the expected
 * schema: a mean is sum / count; types are cast to the expected ones where they differ. */
static cy_status agg_finish(cy_table *final, int32_t num_by, const cy_aggregate *aggs,
                            int32_t num, const agg_plan *p, const cy_schema *want,
                            cy_table **out, cy_error *err) {
  int32_t ncols = num_by + num;
  cy_column **cols = calloc((size_t)ncols + 1, sizeof *cols);
  const char **names = calloc((size_t)ncols + 1, sizeof *names);
  if (!cols || !names) {
    free(cols);
    free(names);
    cy_error_set(err, "group-by: out of memory");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  for (int32_t i = 0; i < ncols; i++) names[i] = want->fields[i].name;
  for (int32_t i = 0; i < num_by; i++) cols[i] = cy_column_retain(final->columns[i]);
  for (int32_t j = 0; j < num && st == CY_OK; j++) {
    cy_column *c = final->columns[num_by + p->first[j]], *made = NULL;
    if (aggs[j].op == CY_AGG_MEAN)
      st = cy_column_arith(c, final->columns[num_by + p->first[j] + 1], CY_DIV, &made, err);
    else
      made = cy_column_retain(c);
    const cy_type *t = &want->fields[num_by + j].type;
    if (st == CY_OK && !cy_type_equals(&made->type, t)) {
      cy_column *cast = NULL;
      st = cy_column_cast(made, *t, &cast, err);
      cy_column_release(made);
      made = cast;
    }
    cols[num_by + j] = made;
  }
  if (st == CY_OK) st = cy_table_make(ncols, names, cols, out, err);
  for (int32_t i = 0; i < ncols; i++) cy_column_release(cols[i]);
  free(cols);
  free(names);
  return st;
}

/* The columns a row shuffle must carry: the keys and every aggregated column, once. */
static cy_status needed_columns(cy_table *t, const char *const *by, int32_t num_by,
                                const cy_aggregate *aggs, int32_t num, cy_table **out,
                                cy_error *err) {
  int32_t *idx = calloc((size_t)(num_by + num) + 1, sizeof *idx), n = 0;
  if (idx == NULL) {
    cy_error_set(err, "group-by: out of memory");
    return CY_ENOMEM;
  }
  cy_status st = dist_columns(t, by, num_by, "group-by", idx, err);
  n = num_by;
  for (int32_t j = 0; st == CY_OK && j < num; j++) {
    if (aggs[j].op == CY_AGG_COUNT_ALL || aggs[j].column == NULL) continue;
    int32_t c = cy_schema_find(&t->schema, aggs[j].column);
    bool have = c < 0;
    for (int32_t i = 0; i < n && !have; i++) have = idx[i] == c;
    if (!have) idx[n++] = c;
  }
  if (st == CY_OK) st = cy_table_project(t, n, idx, NULL, out, err);
  free(idx);
  return st;
}

cy_status cy_dist_groupby(cy_comm *comm, cy_table *table, const char *const *by,
                          int32_t num_by, const cy_aggregate *aggs, int32_t num_aggs,
                          cy_table **out, cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(dist_check_schema(comm, table, "group-by", err));
  cy_table *e = NULL, *want = NULL;
  cy_status st = dist_empty_like(table, &e, err);
  if (st == CY_OK) st = cy_table_groupby(e, by, num_by, aggs, num_aggs, &want, err);
  cy_table_release(e);
  if (st != CY_OK) return st; /* the same on every rank */
  if (cy_comm_world_size(comm) == 1) {
    cy_table_release(want);
    return cy_table_groupby(table, by, num_by, aggs, num_aggs, out, err);
  }
  if (num_by == 0) {
    /* one group for the whole table: the scalar aggregate, kept on rank 0 only */
    cy_table *all = NULL;
    st = cy_dist_aggregate(comm, table, aggs, num_aggs, &all, err);
    if (st == CY_OK && cy_comm_rank(comm) != 0) {
      st = cy_table_slice(all, 0, 0, out, err);
      cy_table_release(all);
    } else if (st == CY_OK) {
      *out = all;
    }
    cy_table_release(want);
    return st;
  }
  int32_t *keys = calloc((size_t)num_by, sizeof *keys);
  for (int32_t i = 0; keys && i < num_by; i++) keys[i] = i;
  bool decomp = use_partials(table, by, num_by, aggs, num_aggs);
  if (keys == NULL) {
    cy_error_set(err, "group-by: out of memory");
    st = CY_ENOMEM;
  } else if (decomp) {
    agg_plan p;
    cy_table *partial = NULL, *sh = NULL, *final = NULL;
    st = agg_plan_make(aggs, num_aggs, &p, err);
    if (st == CY_OK) st = cy_table_groupby(table, by, num_by, p.partial, p.n, &partial, err);
    if (st == CY_OK) st = dist_shuffle_idx(comm, partial, keys, num_by, NULL, 0, &sh, err);
    if (st == CY_OK) st = cy_table_groupby(sh, by, num_by, p.final, p.n, &final, err);
    if (st == CY_OK) st = agg_finish(final, num_by, aggs, num_aggs, &p, &want->schema, out, err);
    cy_table_release(partial);
    cy_table_release(sh);
    cy_table_release(final);
    agg_plan_reset(&p);
  } else {
    cy_table *narrow = NULL, *sh = NULL;
    st = needed_columns(table, by, num_by, aggs, num_aggs, &narrow, err);
    if (st == CY_OK) st = dist_shuffle_idx(comm, narrow, keys, num_by, NULL, 0, &sh, err);
    if (st == CY_OK) st = cy_table_groupby(sh, by, num_by, aggs, num_aggs, out, err);
    cy_table_release(narrow);
    cy_table_release(sh);
  }
  free(keys);
  cy_table_release(want);
  return dist_fail(comm, st, err);
}

cy_status cy_dist_aggregate(cy_comm *comm, cy_table *table, const cy_aggregate *aggs,
                            int32_t num_aggs, cy_table **out, cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(dist_check_schema(comm, table, "aggregate", err));
  cy_table *e = NULL, *want = NULL;
  cy_status st = dist_empty_like(table, &e, err);
  if (st == CY_OK) st = cy_table_aggregate(e, aggs, num_aggs, &want, err);
  cy_table_release(e);
  if (st != CY_OK) return st;
  if (cy_comm_world_size(comm) == 1) {
    cy_table_release(want);
    return cy_table_aggregate(table, aggs, num_aggs, out, err);
  }
  bool decomp = use_partials(table, NULL, 0, aggs, num_aggs);
  if (decomp) {
    agg_plan p;
    cy_table *partial = NULL, *all = NULL, *final = NULL;
    st = agg_plan_make(aggs, num_aggs, &p, err);
    if (st == CY_OK) st = dist_fail(comm, cy_table_aggregate(table, p.partial, p.n, &partial, err), err);
    if (st == CY_OK) st = cy_dist_allgather(comm, partial, &all, err);
    if (st == CY_OK) st = cy_table_aggregate(all, p.final, p.n, &final, err);
    if (st == CY_OK) st = agg_finish(final, 0, aggs, num_aggs, &p, &want->schema, out, err);
    cy_table_release(partial);
    cy_table_release(all);
    cy_table_release(final);
    agg_plan_reset(&p);
  } else {
    cy_table *narrow = NULL, *gathered = NULL, *row = NULL;
    st = dist_fail(comm, needed_columns(table, NULL, 0, aggs, num_aggs, &narrow, err), err);
    if (st == CY_OK) st = cy_dist_gather(comm, narrow, 0, &gathered, err);
    if (st == CY_OK && cy_comm_rank(comm) == 0)
      st = dist_fail(comm, cy_table_aggregate(gathered, aggs, num_aggs, &row, err), err);
    if (st == CY_OK) st = cy_dist_broadcast(comm, row, 0, out, err);
    cy_table_release(narrow);
    cy_table_release(gathered);
    cy_table_release(row);
  }
  cy_table_release(want);
  return dist_fail(comm, st, err);
}
