/*
 * join.h - what the join algorithms share (private): building the output table from
 * matched row pairs, and the sort-merge algorithm's entry point.
 */
#ifndef CYLON_COMPUTE_JOIN_H
#define CYLON_COMPUTE_JOIN_H

#include "compute/row.h"

/* The joined table from n pairs (lidx[i], ridx[i]) of left and right rows (CY_NO_ROW for a
 * missing side), named and coalesced as cy_table_join documents. */
cy_status cy_join_output(cy_table *left, cy_table *right, const uint32_t *lidx,
                         const uint32_t *ridx, int64_t n, const int32_t *lkeys,
                         const int32_t *rkeys, const cy_join_options *o, cy_table **out,
                         cy_error *err);
/* cy_join_output where left_as_is (right_as_is) says that the pairs list every row of that
 * side in order (n is its row count; its idx is not read): the output shares its columns
 * instead of copying them. */
cy_status cy_join_output_sharing(cy_table *left, cy_table *right, const uint32_t *lidx,
                                 const uint32_t *ridx, bool left_as_is, bool right_as_is,
                                 int64_t n, const int32_t *lkeys, const int32_t *rkeys,
                                 const cy_join_options *o, cy_table **out, cy_error *err);

/* cy_table_join's inner, left and right joins on one 64-bit key (lk, rk; types as
 * cy_sort_merge_join's) by looking the probe side's rows up in order in a table of the
 * build side (hash_join_ordered.c). Sets *done false, and does nothing else, when the
 * join does not suit that way. */
cy_status cy_join_ordered(cy_table *left, cy_table *right, const int32_t *lk, const int32_t *rk,
                          const cy_type *types, const cy_join_options *o, cy_table **out,
                          bool *done, cy_error *err);

/* The left rows with (want) or without a match, in their order: semi and anti joins. */
cy_status cy_join_filter_left(cy_table *left, const uint8_t *matched, bool want,
                              cy_table **out, cy_error *err);

/* cy_table_join by sorting both sides on the keys and merging. Keys are resolved (lk, rk)
 * and types gives the type each key pair is compared as. */
cy_status cy_sort_merge_join(cy_table *left, cy_table *right, const int32_t *lk,
                             const int32_t *rk, const cy_type *types,
                             const cy_join_options *o, cy_table **out, cy_error *err);

#endif
