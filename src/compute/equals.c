/*
 * equals.c - whether two tables hold the same rows, in the same order or as multisets.
 *
 * Ordered: the schemas (names and types) must be equal and every column equal value by
 * value, nulls at the same rows. Unordered: both tables are sorted by all their columns
 * and the sorted orders compared row by row; the sort's notion of equal (floats by value,
 * -0.0 equal to 0.0, NaN equal to NaN, strings by bytes) is the one used to compare, so
 * equal multisets line up exactly. Columns are compared in row chunks on all threads,
 * stopping early once a difference is seen.
 */
#include <stdlib.h>

#include "compute/sort.h"

#define CHUNK_ROWS (1 << 16)

typedef struct equals_job {
  const cy_table *a, *b;
  const int64_t *ia, *ib; /* row orders to compare in, or NULL for 0, 1, ... */
  int64_t chunks;         /* per column */
  int differ;             /* set (atomically) at the first difference */
} equals_job;

/* Whole fixed-width values with no nulls and no floats compare as bytes. */
static bool bytes_comparable(const cy_column *a, const cy_column *b) {
  cy_type_id id = a->type.id;
  return a->null_count == 0 && b->null_count == 0 && id != CY_BOOL && id != CY_FLOAT32 &&
         id != CY_FLOAT64 && cy_type_bit_width(id) >= 8;
}

static bool chunk_equal(const equals_job *j, const cy_column *a, const cy_column *b,
                        int64_t from, int64_t to) {
  if (!j->ia && bytes_comparable(a, b)) {
    int64_t w = cy_type_bit_width(a->type.id) / 8;
    return memcmp(a->values->data + (a->offset + from) * w,
                  b->values->data + (b->offset + from) * w, (size_t)((to - from) * w)) == 0;
  }
  for (int64_t i = from; i < to; i++) {
    int64_t ra = j->ia ? j->ia[i] : i, rb = j->ib ? j->ib[i] : i;
    if (!cy_rows_equal(&a, ra, &b, rb, 1)) return false;
  }
  return true;
}

static cy_status equals_task(void *ctx, int64_t t, cy_error *err) {
  equals_job *j = ctx;
  if (__atomic_load_n(&j->differ, __ATOMIC_RELAXED)) return CY_OK;
  int64_t c = t / j->chunks, part = t % j->chunks, n = j->a->num_rows;
  int64_t from = n * part / j->chunks, to = n * (part + 1) / j->chunks;
  if (!chunk_equal(j, j->a->columns[c], j->b->columns[c], from, to))
    __atomic_store_n(&j->differ, 1, __ATOMIC_RELAXED);
  return CY_OK;
}

static bool rows_equal(const cy_table *a, const cy_table *b, const int64_t *ia,
                       const int64_t *ib) {
  equals_job j = {.a = a, .b = b, .ia = ia, .ib = ib,
                  .chunks = (a->num_rows + CHUNK_ROWS - 1) / CHUNK_ROWS};
  if (j.chunks == 0) return true;
  cy_parallel_for(j.chunks * a->schema.num_fields, equals_task, &j, NULL);
  return !j.differ;
}

static int64_t rows_bytes(const cy_table *t) { return t->num_rows * (int64_t)sizeof(int64_t); }

/* The sorting permutation of a table by all its columns, ascending (cy_alloc'd). */
static cy_status sort_all(const cy_table *t, int64_t **out, cy_error *err) {
  int32_t nc = t->schema.num_fields;
  cy_sort_col *keys = malloc((nc > 0 ? (size_t)nc : 1) * sizeof *keys);
  int64_t *idx = cy_alloc(rows_bytes(t));
  cy_status st = CY_OK;
  if (!keys || !idx) {
    cy_error_set(err, "equals: out of memory for %lld rows", (long long)t->num_rows);
    st = CY_ENOMEM;
  } else {
    for (int32_t c = 0; c < nc; c++) keys[c] = (cy_sort_col){.col = t->columns[c]};
    st = cy_sort_permutation(keys, nc, t->num_rows, idx, err);
  }
  free(keys);
  if (st != CY_OK) {
    if (idx) cy_free(idx, rows_bytes(t));
    return st;
  }
  *out = idx;
  return CY_OK;
}

cy_status cy_table_equals(cy_table *a, cy_table *b, bool ordered, bool *equal, cy_error *err) {
  if (!a || !b || !equal) {
    cy_error_set(err, "equals: %s is NULL", !a ? "the first table" : !b ? "the second table"
                                                                       : "the result pointer");
    return CY_EINVAL;
  }
  *equal = false;
  if (!cy_schema_equals(&a->schema, &b->schema) || a->num_rows != b->num_rows) return CY_OK;
  if (ordered) {
    *equal = rows_equal(a, b, NULL, NULL);
    return CY_OK;
  }
  int64_t *ia = NULL, *ib = NULL;
  cy_status st = sort_all(a, &ia, err);
  if (st == CY_OK) st = sort_all(b, &ib, err);
  if (st == CY_OK) *equal = rows_equal(a, b, ia, ib);
  if (ia) cy_free(ia, rows_bytes(a));
  if (ib) cy_free(ib, rows_bytes(b));
  return st;
}
