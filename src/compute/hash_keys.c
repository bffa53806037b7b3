/*
 * hash_keys.c - preparing key columns for hashing, and radix partitioning rows by hash.
 *
 * Partitioning runs on all threads in two passes over the rows: each thread counts its
 * range's rows per partition, the counts give every (thread, partition) a place to write,
 * and the second pass scatters (row, hash) pairs there. Rows keep their order within a
 * partition, which keeps "first"/"last" semantics and stable outputs possible.
 */
#include "compute/hash_keys.h"

#include <math.h>
#include <stdlib.h>

/* Whether a single key of this type can be one 64-bit value per row. */
static bool fits_u64(cy_type_id id) {
  return id != CY_DECIMAL128 && cy_type_bit_width(id) > 0;
}

static uint64_t canonical_double(double d) {
  if (d == 0.0) d = 0.0; /* -0.0 equals 0.0 */
  if (isnan(d)) return 0x7ff8000000000000ull;
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

/* Write the 64-bit value of every row of col (nulls as 0). */
static void to_u64(const cy_column *col, uint64_t *out) {
  int64_t n = col->length;
  const uint8_t *p = col->values->data;
  int64_t o = col->offset;
  switch (col->type.id) {
    case CY_BOOL: for (int64_t i = 0; i < n; i++) out[i] = cy_column_bool(col, i); break;
    case CY_INT8: for (int64_t i = 0; i < n; i++) out[i] = (uint64_t)(int64_t)((const int8_t *)p)[o + i]; break;
    case CY_UINT8: for (int64_t i = 0; i < n; i++) out[i] = p[o + i]; break;
    case CY_INT16: for (int64_t i = 0; i < n; i++) out[i] = (uint64_t)(int64_t)((const int16_t *)p)[o + i]; break;
    case CY_UINT16: for (int64_t i = 0; i < n; i++) out[i] = ((const uint16_t *)p)[o + i]; break;
    case CY_INT32: case CY_DATE32:
      for (int64_t i = 0; i < n; i++) out[i] = (uint64_t)(int64_t)((const int32_t *)p)[o + i];
      break;
    case CY_UINT32: for (int64_t i = 0; i < n; i++) out[i] = ((const uint32_t *)p)[o + i]; break;
    case CY_FLOAT32: for (int64_t i = 0; i < n; i++) out[i] = canonical_double(((const float *)p)[o + i]); break;
    case CY_FLOAT64: for (int64_t i = 0; i < n; i++) out[i] = canonical_double(((const double *)p)[o + i]); break;
    default: for (int64_t i = 0; i < n; i++) out[i] = ((const uint64_t *)p)[o + i]; break;
  }
  if (col->null_count > 0)
    for (int64_t i = 0; i < n; i++)
      if (!cy_column_is_valid(col, i)) out[i] = 0;
}

void hash_keys_reset(hash_keys *k) {
  for (int32_t c = 0; k->cols && c < k->n; c++) cy_column_release(k->cols[c]);
  free(k->cols);
  free(k->owned_ints);
  free(k->hashes);
  free(k->null_rows);
  memset(k, 0, sizeof(*k));
}

cy_status hash_keys_init(hash_keys *k, cy_table *table, const int32_t *cols, int32_t n,
                         const cy_type *types, cy_error *err) {
  memset(k, 0, sizeof(*k));
  k->n = n;
  k->rows = table->num_rows;
  k->cols = calloc(n > 0 ? (size_t)n : 1, sizeof(cy_column *));
  if (k->cols == NULL) goto oom;
  for (int32_t c = 0; c < n; c++) {
    cy_column *col = table->columns[cols[c]];
    if (types && !cy_type_equals(&types[c], &col->type)) {
      cy_status st = cy_column_cast(col, types[c], &k->cols[c], err);
      if (st != CY_OK) {
        hash_keys_reset(k);
        return st;
      }
    } else {
      k->cols[c] = cy_column_retain(col);
    }
    if (k->cols[c]->null_count > 0) {
      if (k->null_rows == NULL && (k->null_rows = calloc((size_t)k->rows + 1, 1)) == NULL)
        goto oom;
      for (int64_t i = 0; i < k->rows; i++)
        k->null_rows[i] |= !cy_column_is_valid(k->cols[c], i);
    }
  }
  for (int64_t i = 0; k->null_rows && i < k->rows; i++) k->null_count += k->null_rows[i];
  if (n == 1 && fits_u64(k->cols[0]->type.id)) {
    cy_column *col = k->cols[0];
    if (cy_type_bit_width(col->type.id) == 64 && col->type.id != CY_FLOAT64 &&
        col->null_count == 0) {
      k->ints = (const uint64_t *)col->values->data + col->offset; /* borrowed */
    } else {
      if ((k->owned_ints = malloc(((size_t)k->rows + 1) * sizeof(uint64_t))) == NULL) goto oom;
      to_u64(col, k->owned_ints);
      k->ints = k->owned_ints;
    }
    return CY_OK;
  }
  if ((k->hashes = malloc(((size_t)k->rows + 1) * sizeof(uint64_t))) == NULL) goto oom;
  for (int32_t c = 0; c < n; c++) cy_hash_column(k->cols[c], k->hashes, c == 0);
  return CY_OK;
oom:
  hash_keys_reset(k);
  cy_error_set(err, "out of memory preparing key columns");
  return CY_ENOMEM;
}

typedef struct bounds_job {
  const hash_keys *k;
  int tasks;
  key_bounds *bounds; /* per task */
} bounds_job;

static cy_status bounds_task(void *ctx, int64_t t, cy_error *err) {
  (void)err;
  bounds_job *j = ctx;
  int64_t a = j->k->rows * t / j->tasks, b = j->k->rows * (t + 1) / j->tasks;
  const int64_t *ints = (const int64_t *)j->k->ints;
  const uint8_t *nulls = j->k->null_rows;
  /* Two of each bound, for two rows at a time (the compares do not wait on each other). */
  int64_t lo0 = INT64_MAX, hi0 = INT64_MIN, lo1 = INT64_MAX, hi1 = INT64_MIN;
  if (nulls == NULL) {
    int64_t r = a;
    for (; r + 1 < b; r += 2) {
      int64_t x = ints[r], y = ints[r + 1];
      lo0 = x < lo0 ? x : lo0;
      hi0 = x > hi0 ? x : hi0;
      lo1 = y < lo1 ? y : lo1;
      hi1 = y > hi1 ? y : hi1;
    }
    for (; r < b; r++) {
      lo0 = ints[r] < lo0 ? ints[r] : lo0;
      hi0 = ints[r] > hi0 ? ints[r] : hi0;
    }
  } else {
    for (int64_t r = a; r < b; r++) {
      if (nulls[r]) continue;
      lo0 = ints[r] < lo0 ? ints[r] : lo0;
      hi0 = ints[r] > hi0 ? ints[r] : hi0;
    }
  }
  j->bounds[t].lo = lo0 < lo1 ? lo0 : lo1;
  j->bounds[t].hi = hi0 > hi1 ? hi0 : hi1;
  return CY_OK;
}

cy_status hash_keys_bounds(const hash_keys *k, int threads, key_bounds *out, cy_error *err) {
  *out = (key_bounds){INT64_MAX, INT64_MIN};
  int tasks = threads < 1 ? 1 : threads;
  while (tasks > 1 && k->rows < (int64_t)tasks * 65536) tasks--; /* not worth a thread */
  key_bounds *bounds = calloc((size_t)tasks, sizeof(key_bounds));
  if (bounds == NULL) {
    cy_error_set(err, "out of memory reading key bounds");
    return CY_ENOMEM;
  }
  bounds_job job = {k, tasks, bounds};
  cy_status st = cy_parallel_for_n(tasks, tasks, bounds_task, &job, err);
  for (int t = 0; st == CY_OK && t < tasks; t++) {
    out->lo = bounds[t].lo < out->lo ? bounds[t].lo : out->lo;
    out->hi = bounds[t].hi > out->hi ? bounds[t].hi : out->hi;
  }
  free(bounds);
  return st;
}

bool key_bounds_dense(const key_bounds *b, uint64_t max_span, uint64_t *lo, uint64_t *span) {
  if (b->lo > b->hi) return false; /* no keys */
  uint64_t s = (uint64_t)b->hi - (uint64_t)b->lo;
  if (s >= max_span) return false;
  *lo = (uint64_t)b->lo;
  *span = s + 1;
  return true;
}

int hash_parts_bits(int64_t rows, int threads) {
  /* About 16K rows a partition keeps a partition's table within L2; at least a few
   * partitions per thread so that they balance. */
  int bits = 0;
  while (bits < 12 && (rows >> bits) > 16384) bits++;
  while (bits < 12 && (1 << bits) < threads * 4 && rows > 4096) bits++;
  return bits;
}

typedef struct part_job {
  const hash_keys *k;
  int bits;
  bool skip_nulls;
  int threads;
  int64_t *counts; /* threads x parts */
  hash_parts *out;
} part_job;

static void thread_range(int64_t rows, int threads, int64_t t, int64_t *lo, int64_t *hi) {
  *lo = rows * t / threads;
  *hi = rows * (t + 1) / threads;
}

static cy_status count_task(void *ctx, int64_t t, cy_error *err) {
  part_job *j = ctx;
  int64_t lo, hi, parts = (int64_t)1 << j->bits;
  thread_range(j->k->rows, j->threads, t, &lo, &hi);
  int64_t *counts = j->counts + t * parts;
  int shift = 64 - j->bits;
  for (int64_t i = lo; i < hi; i++) {
    if (j->skip_nulls && j->k->null_rows && j->k->null_rows[i]) continue;
    counts[j->bits ? hash_keys_hash(j->k, i) >> shift : 0]++;
  }
  return CY_OK;
}

static cy_status scatter_task(void *ctx, int64_t t, cy_error *err) {
  part_job *j = ctx;
  int64_t lo, hi, parts = (int64_t)1 << j->bits;
  thread_range(j->k->rows, j->threads, t, &lo, &hi);
  int64_t *pos = j->counts + t * parts; /* turned into write positions */
  int shift = 64 - j->bits;
  uint32_t *rows = j->out->rows;
  uint64_t *hashes = j->out->hashes;
  for (int64_t i = lo; i < hi; i++) {
    if (j->skip_nulls && j->k->null_rows && j->k->null_rows[i]) continue;
    uint64_t h = hash_keys_hash(j->k, i);
    int64_t at = pos[j->bits ? h >> shift : 0]++;
    rows[at] = (uint32_t)i;
    hashes[at] = h;
  }
  return CY_OK;
}

void hash_parts_reset(hash_parts *p) {
  free(p->start);
  cy_free(p->rows, (p->count + 1) * (int64_t)sizeof(uint32_t));
  cy_free(p->hashes, (p->count + 1) * (int64_t)sizeof(uint64_t));
  memset(p, 0, sizeof(*p));
}

cy_status hash_parts_make(const hash_keys *k, int bits, bool skip_nulls, hash_parts *out,
                          cy_error *err) {
  memset(out, 0, sizeof(*out));
  if (k->rows >= (int64_t)CY_NO_ROW) {
    cy_error_set(err, "a table of %lld rows is too large for one hash operation (limit %lld)",
                 (long long)k->rows, (long long)CY_NO_ROW - 1);
    return CY_ENOTSUP;
  }
  int threads = cy_num_threads();
  if (k->rows < 65536) threads = 1;
  int64_t parts = (int64_t)1 << bits;
  out->bits = bits;
  out->count = k->rows - (skip_nulls ? k->null_count : 0);
  out->start = calloc((size_t)parts + 1, sizeof(int64_t));
  /* Big and short-lived: from the accounted allocator, which maps large blocks with huge
   * pages (a page fault per 2 MiB instead of per 4 KiB). */
  out->rows = cy_alloc((out->count + 1) * (int64_t)sizeof(uint32_t));
  out->hashes = cy_alloc((out->count + 1) * (int64_t)sizeof(uint64_t));
  int64_t *counts = calloc((size_t)(threads * parts), sizeof(int64_t));
  if (!out->start || !out->rows || !out->hashes || !counts) {
    free(counts);
    hash_parts_reset(out);
    cy_error_set(err, "out of memory partitioning %lld rows", (long long)k->rows);
    return CY_ENOMEM;
  }
  part_job job = {k, bits, skip_nulls, threads, counts, out};
  cy_status st = cy_parallel_for_n(threads, threads, count_task, &job, err);
  /* Partition p starts after all earlier partitions; within it, thread t after threads
   * before it, so rows keep their order. */
  int64_t at = 0;
  for (int64_t p = 0; p < parts; p++) {
    out->start[p] = at;
    for (int t = 0; t < threads; t++) {
      int64_t c = counts[t * parts + p];
      counts[t * parts + p] = at;
      at += c;
    }
  }
  out->start[parts] = at;
  if (st == CY_OK) st = cy_parallel_for_n(threads, threads, scatter_task, &job, err);
  free(counts);
  if (st != CY_OK) hash_parts_reset(out);
  return st;
}

cy_status u32_vec_reserve(u32_vec *v, int64_t cap, cy_error *err) {
  if (cap <= v->cap) return CY_OK;
  uint32_t *grown = v->borrowed ? cy_alloc(cap * 4) : cy_realloc(v->data, v->cap * 4, cap * 4);
  if (grown == NULL) {
    cy_error_set(err, "out of memory collecting %lld rows", (long long)cap);
    return CY_ENOMEM;
  }
  if (v->borrowed && v->len > 0) memcpy(grown, v->data, (size_t)v->len * 4);
  v->data = grown;
  v->cap = cap;
  v->borrowed = false;
  return CY_OK;
}

cy_status u32_vec_grow(u32_vec *v, cy_error *err) {
  return u32_vec_reserve(v, v->cap ? v->cap * 2 : 256, err);
}

void u32_vec_reset(u32_vec *v) {
  if (!v->borrowed) cy_free(v->data, v->cap * 4);
  memset(v, 0, sizeof(*v));
}
