/*
 * groupby.h - rows assigned to groups, and the aggregate kernels that run over them
 * (private to the library).
 *
 * A grouping lists every row in partition order (rows of a partition keep their original
 * order) with its group number; the groups of partition p are numbered consecutively from
 * base[p]. Kernels therefore run on all threads a partition at a time, each partition
 * writing only its own groups' results, and see each group's rows in their original order
 * (which first and last rely on).
 */
#ifndef CYLON_COMPUTE_GROUPBY_H
#define CYLON_COMPUTE_GROUPBY_H

#include "compute/hash_keys.h"

typedef struct grouping {
  hash_keys keys;     /* the key columns (kept for equality checks) */
  hash_parts parts;   /* the rows by partition */
  int64_t groups;     /* number of groups */
  int nparts;
  int64_t *start;     /* nparts + 1: partition p's rows are entries [start[p], start[p + 1]) */
  const uint32_t *rows; /* per entry: the row */
  uint32_t *gid;      /* per entry: the group */
  int64_t *base;      /* nparts + 1: partition p's groups are [base[p], base[p + 1]) */
  uint32_t *first;    /* per group: its first row (for the key values) */
} grouping;

/* Group the rows of table by the key columns keys[0..nkeys) (none: one group holding
 * every row, even when there are no rows). Null keys are a group of their own. */
cy_status cy_grouping_make(cy_table *table, const int32_t *keys, int32_t nkeys, grouping *g,
                           cy_error *err);
void cy_grouping_reset(grouping *g);

/* One aggregate's input and output while kernels run. */
typedef struct agg_state {
  cy_aggregate agg;
  const cy_column *col; /* NULL for count_all */
  cy_type out_type;
  uint8_t *valid;       /* per group: has a result (bytes; packed at the end) */
  void *values;         /* per group: the result (int64, double, or a row number for
                           min/max of strings, first and last) */
  uint64_t *hashes;     /* nunique: value hashes per row */
  bool by_row;          /* values holds row numbers to take from col */
} agg_state;

/* Check that op fits the column's type and give the output type; errors name both. */
cy_status cy_agg_output_type(const cy_aggregate *agg, const cy_column *col, cy_type *out,
                             cy_error *err);
/* Allocate an aggregate's per-group state for g groups. */
cy_status cy_agg_state_init(agg_state *s, int64_t groups, cy_error *err);
void cy_agg_state_reset(agg_state *s);
/* Whether an aggregate reads only values (not row numbers), so it can run on a copy of
 * the partition's values gathered once for every such aggregate of its column. */
bool cy_agg_reads_values(const agg_state *s);
/* Run one aggregate over partition p of the grouping; values, when not NULL, is the
 * partition's values of the aggregate's column in entry order. */
cy_status cy_agg_run_partition(agg_state *s, const grouping *g, int64_t p,
                               const cy_column *values, cy_error *err);
/* Whether per-group states of the aggregate over disjoint sets of rows combine into the
 * state over their union (count, sum, mean, var, std; min and max of int64 and float64). */
bool cy_agg_combinable(const cy_aggregate *agg, const cy_column *col);
/* Run a combinable aggregate over rows row0 .. row0 + n - 1, row row0 + e in group gid[e]. */
cy_status cy_agg_run_range(agg_state *s, int64_t row0, const uint32_t *gid, int64_t n,
                           cy_error *err);
/* Whether s counts every row of a group (count_all; count, mean, var or std of a column
 * without nulls), so that cy_agg_rows_in tells which groups have rows. */
bool cy_agg_counts_rows(const agg_state *s);
/* The rows a state of cy_agg_counts_rows has counted in group g. */
int64_t cy_agg_rows_in(const agg_state *s, int64_t g);
/* Whether s (a sum or count) can be had from a mean of the same column, as
 * cy_agg_from_mean makes it, instead of running it over the rows. */
bool cy_agg_follows_mean(const agg_state *s, const agg_state *mean);
/* Fill s's groups [0, groups) from the running sums and counts of mean (which ran over
 * the same rows): the same values as running s over them. */
void cy_agg_from_mean(agg_state *s, const agg_state *mean, int64_t groups);
/* Combine the state of src's groups [0, n) into dst's groups to[0..n) (same aggregate). */
void cy_agg_merge(agg_state *dst, const agg_state *src, const uint32_t *to, int64_t n);

/* Group by one key held as 64-bit values (hash_keys' ints) and run combinable aggregates
 * in the same pass over the rows, a range of rows per thread (groupby_direct.c). When the
 * key has more distinct values than suit this way, returns CY_OK with *done false and the
 * caller partitions instead; otherwise initialises states for *groups groups and gives
 * either each group's first row in *first (malloc'd), for the caller to take the keys
 * from, or the output key column itself in *keys. */
cy_status cy_groupby_direct(cy_table *table, int32_t key, agg_state *states, int32_t nstates,
                            int64_t *groups, uint32_t **first, cy_column **keys, bool *done,
                            cy_error *err);

/* The result column of an aggregate (consumes its per-group values). */
cy_status cy_agg_finish(agg_state *s, int64_t groups, cy_column **out, cy_error *err);

#endif
