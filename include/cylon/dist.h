/*
 * cylon/dist.h - the dist layer: table operators run bulk-synchronously by many ranks.
 *
 * Every rank of a communicator (cylon/net.h) holds a partition of each table: same schema,
 * any rows (possibly none). A distributed operator is called by every rank, in the same
 * order, with its own partition, and gives every rank its partition of the result: the
 * result's rows, gathered from all ranks, are those the local operator (compute.h) gives
 * on the whole data. Operators that need rows from other ranks move them with a shuffle:
 * hash-partition by key columns into world parts, send each part's column buffers (the
 * Arrow layout, not a re-encoding), receive and concatenate. Sending overlaps
 * partitioning, and memory stays bounded by sending in chunks.
 *
 * Errors are collective: when one rank fails (bad input, out of memory, a lost peer), the
 * others fail too, with an error naming the rank and its cause, never a hang (the
 * communicator's deadlines). A schema mismatch between ranks is an error naming the ranks.
 *
 * With a world of one, every operator is its local counterpart.
 */
#ifndef CYLON_DIST_H
#define CYLON_DIST_H

#include "cylon/compute.h"
#include "cylon/core.h"
#include "cylon/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Moving tables
 * ------------------------------------------------------------------------------------- */

typedef struct cy_shuffle_options {
  int64_t chunk_bytes; /**< largest message of a shuffle; default 8 MiB */
} cy_shuffle_options;

void cy_shuffle_options_init(cy_shuffle_options *opts);

/** Hash-partition the rows by the key columns (all columns when num_keys == 0) and send
 *  each row to the rank its hash picks: rows with equal keys (nulls equal) end on the same
 *  rank, the same rank for every table shuffled on keys of the same types. Each rank's
 *  result holds the rows from rank 0 first, then rank 1's ..., each in its original
 *  order, so rows with equal keys keep their global order. opts may be NULL. */
cy_status cy_dist_shuffle(cy_comm *comm, cy_table *table, const char *const *keys,
                          int32_t num_keys, const cy_shuffle_options *opts, cy_table **out,
                          cy_error *err);
/** Every rank's rows to root, in rank order (the whole table there; an empty table with
 *  the schema elsewhere). */
cy_status cy_dist_gather(cy_comm *comm, cy_table *table, int32_t root, cy_table **out,
                         cy_error *err);
/** Every rank's rows to every rank, in rank order. */
cy_status cy_dist_allgather(cy_comm *comm, cy_table *table, cy_table **out, cy_error *err);
/** root's table to every rank (the table argument is ignored elsewhere and may be NULL). */
cy_status cy_dist_broadcast(cy_comm *comm, cy_table *table, int32_t root, cy_table **out,
                            cy_error *err);
/** Even out the rows: rank r gets rows [r*N/P, (r+1)*N/P) of the table in rank order, so
 *  the global order is kept. */
cy_status cy_dist_rebalance(cy_comm *comm, cy_table *table, cy_table **out, cy_error *err);
/** Rows of the whole table on every rank together. */
cy_status cy_dist_num_rows(cy_comm *comm, const cy_table *table, int64_t *out, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Operators
 * ------------------------------------------------------------------------------------- */

typedef enum cy_dist_join_strategy {
  CY_DIST_JOIN_AUTO = 0,  /**< broadcast when a side is under broadcast_bytes, else shuffle */
  CY_DIST_JOIN_SHUFFLE,   /**< shuffle both sides on the keys, join locally */
  CY_DIST_JOIN_BROADCAST  /**< allgather the smaller side (the right one for left/anti/semi
                               joins, the left one for right joins); full joins shuffle */
} cy_dist_join_strategy;

/** Key columns of different numeric types (int32 against int64, integers against floats)
 *  are hashed in one common type (int64, or float64 with a float or uint64), so equal
 *  values meet on one rank; the local join then compares them exactly. */
typedef struct cy_dist_join_options {
  cy_join_options join;           /**< type, algorithm (hash or sort-merge, local), keys */
  cy_dist_join_strategy strategy; /**< default auto */
  int64_t broadcast_bytes;        /**< auto's limit on the small side's total; default 8 MiB */
} cy_dist_join_options;

void cy_dist_join_options_init(cy_dist_join_options *opts);
cy_status cy_dist_join(cy_comm *comm, cy_table *left, cy_table *right,
                       const cy_dist_join_options *opts, cy_table **out, cy_error *err);

cy_status cy_dist_union(cy_comm *comm, cy_table *a, cy_table *b, cy_table **out,
                        cy_error *err);
cy_status cy_dist_intersect(cy_comm *comm, cy_table *a, cy_table *b, cy_table **out,
                            cy_error *err);
cy_status cy_dist_difference(cy_comm *comm, cy_table *a, cy_table *b, cy_table **out,
                             cy_error *err);
/** Distinct rows by the columns; keep first / last refers to the global row order (rank
 *  order, then row order), as on the gathered table. */
cy_status cy_dist_unique(cy_comm *comm, cy_table *table, const char *const *columns,
                         int32_t n, cy_keep keep, cy_table **out, cy_error *err);
/** Group-by: local pre-aggregation where the aggregate allows it (count, sum, min, max,
 *  mean, var, std), shuffle on the keys, final aggregation; the others (nunique, median,
 *  quantile, first, last) shuffle the rows. Each group ends on exactly one rank. Integer
 *  sums and means are pre-aggregated exactly (as 32-bit halves), so one rank's part may
 *  exceed int64 where the total does not; a float sum is not (its rows travel), so it is
 *  rounded in row order exactly as the local sum; var and std merge each rank's count, mean and
 *  variance (Chan's update), which may differ from the local operator in the last bits. */
cy_status cy_dist_groupby(cy_comm *comm, cy_table *table, const char *const *by,
                          int32_t num_by, const cy_aggregate *aggs, int32_t num_aggs,
                          cy_table **out, cy_error *err);
/** Scalar aggregates of the whole table: the same one-row table on every rank. */
cy_status cy_dist_aggregate(cy_comm *comm, cy_table *table, const cy_aggregate *aggs,
                            int32_t num_aggs, cy_table **out, cy_error *err);
/** Sample sort: rank r's rows all sort at or before rank r+1's, and each rank's rows are
 *  sorted, so the partitions in rank order are the sorted table. Splitters come from a
 *  sample of every rank, and ties on a splitter are spread so that one heavy key does not
 *  land all on one rank; ranks holding few or no rows are fine. */
cy_status cy_dist_sort(cy_comm *comm, cy_table *table, const cy_sort_key *keys, int32_t n,
                       cy_table **out, cy_error *err);
/** Whether the two distributed tables are equal (ordered: in the global order); the same
 *  answer on every rank. */
cy_status cy_dist_equals(cy_comm *comm, cy_table *a, cy_table *b, bool ordered, bool *equal,
                         cy_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CYLON_DIST_H */
