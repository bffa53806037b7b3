/*
 * hash_keys.h - key columns prepared for hashing, and rows radix-partitioned by key hash
 * (private to the library; used by joins, group-by and the set operations).
 *
 * A single fixed-width key (any integer, date, timestamp, bool, or float by its canonical
 * bits) becomes one 64-bit value per row, and its hash is a bijection of that value: equal
 * hashes then mean equal keys, so those operators never compare keys. Other keys (strings,
 * several columns, decimals) get a hash array and are compared with cy_rows_equal.
 *
 * Partitioning groups row numbers by the top bits of their hash so that each partition's
 * hash table fits in cache and partitions can be processed on different threads; the low
 * bits then place rows within a partition's table.
 */
#ifndef CYLON_COMPUTE_HASH_KEYS_H
#define CYLON_COMPUTE_HASH_KEYS_H

#include "compute/row.h"

typedef struct hash_keys {
  int32_t n;             /* key columns */
  cy_column **cols;      /* references, cast to the requested types */
  int64_t rows;
  const uint64_t *ints;  /* single fixed-width key: the value of each row, else NULL */
  uint64_t *owned_ints;  /* ints when they had to be made (not borrowed from the column) */
  uint64_t *hashes;      /* general keys: the hash of each row */
  uint8_t *null_rows;    /* 1 where a key is null; NULL when no key is null */
  int64_t null_count;    /* rows with a null key */
} hash_keys;

/* Prepare n key columns of table (indices cols). types, when not NULL, gives a type per
 * key to cast to first (so that two tables' keys compare as one type). */
cy_status hash_keys_init(hash_keys *k, cy_table *table, const int32_t *cols, int32_t n,
                         const cy_type *types, cy_error *err);
void hash_keys_reset(hash_keys *k);

static inline bool hash_keys_null(const hash_keys *k, int64_t row) {
  return k->null_rows && k->null_rows[row];
}

static inline uint64_t hash_keys_hash(const hash_keys *k, int64_t row) {
  if (!k->ints) return k->hashes[row];
  return hash_keys_null(k, row) ? CY_HASH_NULL : cy_hash_u64(k->ints[row]);
}

/* Keys of row i of a and row j of b are equal, given equal hashes. For single 64-bit keys
 * the hash is a bijection of the value, so equal hashes of two non-null keys are equal
 * keys; only nullness can still differ (a null's hash could equal one value's). */
static inline bool hash_keys_equal(const hash_keys *a, int64_t i, const hash_keys *b,
                                   int64_t j) {
  if (a->ints) return hash_keys_null(a, i) == hash_keys_null(b, j);
  return cy_rows_equal((const cy_column *const *)a->cols, i, (const cy_column *const *)b->cols,
                       j, a->n);
}

/* The smallest and largest non-null key of a single 64-bit key (ints) as signed values
 * (every integer type but uint64 past INT64_MAX keeps its order so); lo > hi when there
 * is none. */
typedef struct key_bounds {
  int64_t lo, hi;
} key_bounds;

/* The bounds of k's keys (k->ints must be set), on up to `threads` threads. */
cy_status hash_keys_bounds(const hash_keys *k, int threads, key_bounds *out, cy_error *err);
/* Whether the keys within b span at most max_span values; then key - *lo (mod 2^64) is
 * below *span for every key, and increases with the key (as a signed value). */
bool key_bounds_dense(const key_bounds *b, uint64_t max_span, uint64_t *lo, uint64_t *span);

/* Rows grouped by partition: partition p holds entries [start[p], start[p + 1]). */
typedef struct hash_parts {
  int bits;          /* 2^bits partitions */
  int64_t *start;    /* 2^bits + 1 offsets */
  uint32_t *rows;    /* row numbers */
  uint64_t *hashes;  /* their hashes */
  int64_t count;     /* entries */
} hash_parts;

/* How many partition bits suit `rows` rows on `threads` threads. */
int hash_parts_bits(int64_t rows, int threads);
/* Partition the rows of k (leaving out rows with a null key when skip_nulls). Rows keep
 * their order within a partition. */
cy_status hash_parts_make(const hash_keys *k, int bits, bool skip_nulls, hash_parts *out,
                          cy_error *err);
void hash_parts_reset(hash_parts *p);

/* A growable array of uint32 (row numbers), for per-partition results. Its first room
 * may be borrowed (a slice of a larger block the caller owns, see u32_vec_borrow): growing
 * then moves it to its own memory, and reset leaves borrowed memory alone. */
typedef struct u32_vec {
  uint32_t *data;
  int64_t len;
  int64_t cap;
  bool borrowed;
} u32_vec;

/* Start an empty vector on cap entries of someone else's memory. */
static inline void u32_vec_borrow(u32_vec *v, uint32_t *room, int64_t cap) {
  v->data = room;
  v->len = 0;
  v->cap = cap;
  v->borrowed = true;
}

/* Room for cap entries. */
cy_status u32_vec_reserve(u32_vec *v, int64_t cap, cy_error *err);
/* Double the room (the slow path of push). */
cy_status u32_vec_grow(u32_vec *v, cy_error *err);
static inline cy_status u32_vec_push(u32_vec *v, uint32_t x, cy_error *err) {
  if (v->len == v->cap) CY_RETURN_NOT_OK(u32_vec_grow(v, err));
  v->data[v->len++] = x;
  return CY_OK;
}
void u32_vec_reset(u32_vec *v);

#endif
