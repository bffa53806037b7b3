/*
 * row.h - what the compute operators share about rows (private to the library): finding
 * columns by name, hashing values and rows, and comparing rows for equality and order.
 *
 * Hashes are per physical type: equal values of one type hash alike (an int32 5 and an
 * int64 5 do not necessarily), so operators bring keys to one type before hashing. Nulls
 * hash alike and, for the "nulls equal" comparisons, equal each other.
 */
#ifndef CYLON_COMPUTE_ROW_H
#define CYLON_COMPUTE_ROW_H

#include <string.h>

#include "cylon/compute.h"

/* A 32-bit row index that means "no row" (a null in the output), for cy_column_take32. */
#define CY_NO_ROW UINT32_MAX

/* Rows to gather: an int64 index list (-1 = null) or a uint32 one (CY_NO_ROW = null).
 * Operators that make many indices (joins) use the narrow form to halve their memory. */
typedef struct cy_selection {
  const int64_t *i64;
  const uint32_t *u32;
} cy_selection;

/* Gather n columns, each by its own selection of `rows` entries, on all threads (long
 * fixed-width columns split into row ranges). out gets n new columns. */
cy_status cy_take_columns(int32_t n, const cy_column *const *cols, const cy_selection *sels,
                          int64_t rows, cy_column **out, cy_error *err);

/* cy_column_take with 32-bit indices (CY_NO_ROW gives a null): half the index memory for
 * operators that make many indices. */
cy_status cy_column_take32(const cy_column *col, const uint32_t *idx, int64_t n,
                           cy_column **out, cy_error *err);

/* Resolve n column names to indices; the error says which name is missing, in `what`
 * ("join's left side"), with the table's schema. */
cy_status cy_find_columns(const cy_table *table, const char *const *names, int32_t n,
                          const char *what, int32_t *indices, cy_error *err);

/* A strong 64-bit mix (the splitmix64 finaliser): every input bit affects every output bit. */
static inline uint64_t cy_hash_u64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/* Combine a row's running hash with the next column's value hash (order matters). */
static inline uint64_t cy_hash_combine(uint64_t h, uint64_t v) {
  return cy_hash_u64(h * 0x9E3779B97F4A7C15ull + v);
}

/* Hash of a byte string. */
uint64_t cy_hash_bytes(const uint8_t *p, int64_t n);

/* The hash a null contributes. */
#define CY_HASH_NULL 0x5bd1e9955bd1e995ull

/* Hash rows [0, n) of col into h: h[i] = hash(value) when first, else combined into h[i]. */
void cy_hash_column(const cy_column *col, uint64_t *h, bool first);

/* cy_hash_column's vector part (hash_simd.c): hashes (or combines into h) the leading rows
 * of a fixed-width numeric column with AVX-512 when the CPU has it, exactly as the scalar
 * loop would (a null row's value hash is CY_HASH_NULL). Returns how many
 * rows it did: a multiple of 8, or 0 (no AVX-512, another architecture or type). */
int64_t cy_hash_column_simd(const cy_column *col, uint64_t *h, bool first);

/* Rows i of a and j of b equal over n column pairs of equal types; nulls equal nulls. */
bool cy_rows_equal(const cy_column *const *a, int64_t i, const cy_column *const *b, int64_t j,
                   int32_t n);

/* Order of row i of a against row j of b (same type): <0, 0, >0; nulls last. Floats put
 * NaN after every number (as DuckDB orders them). */
int cy_value_compare(const cy_column *a, int64_t i, const cy_column *b, int64_t j);

/* Two types that operators may treat as one key type (equal, or both numeric). */
bool cy_types_compatible(const cy_type *a, const cy_type *b);

/* The type two numeric types meet at: int64 for integers (uint64 if both unsigned 64),
 * float64 when either is a float. */
cy_type cy_common_numeric_type(const cy_type *a, const cy_type *b);

#endif
