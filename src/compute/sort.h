/*
 * sort.h - the pieces of sorting that sort.c, sort_keys.c, sort_radix.c, sort_gather.c,
 * top_k.c and equals.c share (private to the library; other operators that need a sorted
 * order, such as a sort-merge join, may use cy_sort_run or cy_sort_permutation).
 *
 * A sort key is brought to "normalised" 64-bit unsigned integers whose unsigned order is
 * the key's order (sign bit flipped for signed integers, IEEE bits flipped for floats,
 * complemented for descending keys), so one radix sort serves every type. Keys wider than
 * 64 bits are normalised a chunk at a time: strings 7 bytes per round plus a length byte,
 * decimal128 its high word and then its low word; ties of one round are refined by the
 * next. Nulls are never normalised: they are partitioned out first.
 */
#ifndef CYLON_COMPUTE_SORT_H
#define CYLON_COMPUTE_SORT_H

#include "compute/row.h"

/* One resolved sort key. */
typedef struct cy_sort_col {
  const cy_column *col;
  bool descending;
  bool nulls_first;
} cy_sort_col;

/* Resolve the public keys against a table (the error names a missing column and the
 * table's columns); out has n entries. */
cy_status cy_sort_resolve(const cy_table *table, const cy_sort_key *keys, int32_t n,
                          const char *what, cy_sort_col *out, cy_error *err);

/* Order of rows a and b over keys[from, n), each with its direction and null placement;
 * 0 when equal on all of them (the caller breaks ties by row number for stability). */
int cy_sort_compare_rows(const cy_sort_col *keys, int32_t from, int32_t n, int64_t a,
                         int64_t b);

/* Normalise round `round` of key `key` for rows[0, n) into out[0, n) (rows must be valid
 * in the key's column); rows NULL means rows start, start + 1, ... Round 0 is the key's
 * first chunk; see cy_sort_key_continues. */
void cy_sort_normalize(const cy_sort_col *key, const int64_t *rows, int64_t start, int64_t n,
                       int64_t round, uint64_t *out);

/* Whether rows tied on normalised value v of round `round` may still differ in a later
 * round of the same key (a string longer than this chunk, a decimal's low word). v is the
 * value as cy_sort_normalize wrote it. */
bool cy_sort_key_continues(const cy_sort_col *key, uint64_t v, int64_t round);

/* Stable radix sort of keys[0, n) by bits [lo, hi): bits at and above hi must be the same
 * in every key, those below lo ride along unsorted. rows[] (when not NULL) is carried
 * along; ktmp and rtmp are scratch of n entries (rtmp only with rows). On `threads` > 1
 * threads the first pass is split across threads and its buckets sorted in parallel. */
void cy_radix_sort(uint64_t *keys, uint64_t *ktmp, int64_t *rows, int64_t *rtmp, int64_t n,
                   int lo, int hi, int threads);

/* Stable merge sort of rows[0, n) by cy_sort_compare_rows over keys[from, nk); tmp is
 * scratch of n entries. */
void cy_sort_rows_by_compare(const cy_sort_col *keys, int32_t from, int32_t nk,
                             int64_t *rows, int64_t *tmp, int64_t n);

/* What a sort leaves behind. Arrays are n words each, cy_alloc'd unless said otherwise,
 * and cy_sorted_reset frees them. */
typedef struct cy_sorted {
  int64_t n;
  int64_t *idx;   /* the permutation; NULL when the rows are packed in `keys` */
  bool idx_owned; /* idx is cy_alloc'd here rather than the caller's */
  /* NULL, or the first key's normalised values in sorted order: (keys[i] >> shift) + min;
   * when idx is NULL the low `shift` bits of keys[i] hold the row number. Kept only for
   * a sort by one key with no nulls. */
  uint64_t *keys;
  int shift;
  uint64_t min;
  uint64_t *spare; /* NULL, or free scratch */
} cy_sorted;

/* Sort the first num_rows rows over resolved keys, stably. With idx (num_rows entries,
 * the caller's) the permutation always ends there; without, it may be left packed in
 * out->keys (a one-key sort whose values and row numbers fit one word). */
cy_status cy_sort_run(const cy_sort_col *keys, int32_t nk, int64_t num_rows, int64_t *idx,
                      cy_sorted *out, cy_error *err);

/* Free what a cy_sorted holds (the caller's idx excepted) and clear it. */
void cy_sorted_reset(cy_sorted *s);

/* The stable sorting permutation into idx (num_rows entries): cy_sort_run, keeping only
 * the permutation. */
cy_status cy_sort_permutation(const cy_sort_col *keys, int32_t nk, int64_t num_rows,
                              int64_t *idx, cy_error *err);

/* Whether a key column's values can be rebuilt exactly from their normalised form. */
bool cy_sort_can_rebuild(const cy_column *col);

/* The table's rows in sorted order, from what cy_sort_run left (consumed, also on
 * failure); key is the first sort key, or NULL for none (sort_gather.c). */
cy_status cy_sort_build(cy_table *table, const cy_sort_col *key, cy_sorted *sorted,
                        cy_table **out, cy_error *err);

#endif
