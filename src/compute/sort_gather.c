/*
 * sort_gather.c - building the sorted table from what the sort left (a cy_sorted).
 *
 * cy_table_take would do, but gathers one column per thread (leaving a core idle on the
 * common two-column table), gathers the key column by random reads although the sort has
 * just produced its values in order, and allocates every output afresh, while the sort's
 * scratch arrays lie free (fresh memory costs as much as the sort itself on a virtual
 * machine). So here:
 *   - the key column of a sort by one integer-like key is rebuilt from the sorted
 *     normalised keys: a sequential pass, and for 64-bit keys in place, the keys array
 *     becoming the column's buffer;
 *   - fixed-width columns without nulls are gathered in row chunks on all threads, the
 *     first 64-bit one into the sort's spare scratch array;
 *   - any other column (nulls, bools, strings, decimals) goes to cy_column_take whole, as
 *     one task among the others.
 * The rows to gather come from the permutation or, when the sort left none, from the low
 * bits of the packed keys; if a cy_column_take needs a permutation it is unpacked first.
 * Phases: unpack (when needed), gather and take, then rebuild (which may overwrite the
 * packed keys the gathers read).
 */
#include <stdlib.h>

#include "compute/sort.h"

#define CHUNKS_PER_COLUMN 16
#define SIGN_BIT 0x8000000000000000ull

typedef enum { BUILD_TAKE, BUILD_GATHER, BUILD_REBUILD } build_kind;

typedef struct build_job {
  cy_table *table;
  const cy_sort_col *key;
  cy_sorted *sorted;
  const uint64_t *keys; /* sorted->keys, also once a buffer has taken the array over */
  int64_t n;
  uint64_t row_mask;  /* rows from sorted->keys & row_mask when sorted->idx is NULL */
  build_kind *kind;   /* per column */
  cy_buffer **values; /* per column: the new values (gather and rebuild) */
  cy_column **cols;   /* per column: the result */
  int64_t *tasks;     /* phase tasks: column * CHUNKS_PER_COLUMN + chunk */
  int64_t ntasks;
} build_job;

bool cy_sort_can_rebuild(const cy_column *col) {
  cy_type_id id = col->type.id;
  return col->null_count == 0 && id != CY_BOOL && id != CY_FLOAT32 && id != CY_FLOAT64 &&
         id != CY_DECIMAL128 && !cy_type_is_var_width(id);
}

static void chunk_bounds(const build_job *j, int64_t chunk, int64_t *b, int64_t *e) {
  *b = j->n * chunk / CHUNKS_PER_COLUMN;
  *e = j->n * (chunk + 1) / CHUNKS_PER_COLUMN;
}

/* ---------------------------------------------------------------------------------------
 * The kernels
 * ------------------------------------------------------------------------------------- */

#define REBUILD(T)                                                          \
  do {                                                                      \
    T *dst = (T *)j->values[c]->data;                                       \
    for (int64_t i = b; i < e; i++)                                         \
      dst[i] = (T)((((keys[i] >> shift) + min) ^ flip) ^ sign);             \
  } while (0)

/* Values from normalised keys: add the minimum back, undo the complement of a descending
 * key and the sign flip of a signed one. In place when the keys array is the buffer. */
static void rebuild(const build_job *j, int64_t c, int64_t b, int64_t e) {
  const uint64_t *keys = j->keys;
  int shift = j->sorted->shift;
  uint64_t min = j->sorted->min, flip = j->key->descending ? ~(uint64_t)0 : 0;
  cy_type_id id = j->key->col->type.id;
  uint64_t sign = id >= CY_UINT8 && id <= CY_UINT64 ? 0 : SIGN_BIT;
  switch (cy_type_bit_width(id)) {
    case 8: REBUILD(uint8_t); break;
    case 16: REBUILD(uint16_t); break;
    case 32: REBUILD(uint32_t); break;
    default: REBUILD(uint64_t); break;
  }
}

#undef REBUILD

#define GATHER(T)                                                           \
  do {                                                                      \
    const T *src = (const T *)col->values->data + col->offset;              \
    T *dst = (T *)j->values[c]->data;                                       \
    if (idx)                                                                \
      for (int64_t i = b; i < e; i++) dst[i] = src[idx[i]];                 \
    else                                                                    \
      for (int64_t i = b; i < e; i++) dst[i] = src[keys[i] & j->row_mask];  \
  } while (0)

static void gather(const build_job *j, int64_t c, int64_t b, int64_t e) {
  const cy_column *col = j->table->columns[c];
  const int64_t *idx = j->sorted->idx;
  const uint64_t *keys = j->keys;
  switch (cy_type_bit_width(col->type.id)) {
    case 8: GATHER(uint8_t); break;
    case 16: GATHER(uint16_t); break;
    case 32: GATHER(uint32_t); break;
    default: GATHER(uint64_t); break;
  }
}

#undef GATHER

static cy_status unpack_task(void *ctx, int64_t chunk, cy_error *err) {
  build_job *j = ctx;
  int64_t b, e;
  chunk_bounds(j, chunk, &b, &e);
  for (int64_t i = b; i < e; i++) j->sorted->idx[i] = (int64_t)(j->keys[i] & j->row_mask);
  return CY_OK;
}

static cy_status column_task(void *ctx, int64_t t, cy_error *err) {
  build_job *j = ctx;
  int64_t c = j->tasks[t] / CHUNKS_PER_COLUMN, b, e;
  if (j->kind[c] == BUILD_TAKE)
    return cy_column_take(j->table->columns[c], j->sorted->idx, j->n, &j->cols[c], err);
  chunk_bounds(j, j->tasks[t] % CHUNKS_PER_COLUMN, &b, &e);
  if (j->kind[c] == BUILD_REBUILD)
    rebuild(j, c, b, e);
  else
    gather(j, c, b, e);
  return CY_OK;
}

/* ---------------------------------------------------------------------------------------
 * Planning: what each column gets, and where its values go
 * ------------------------------------------------------------------------------------- */

static void release_words(void *data, int64_t size, void *private_data) { cy_free(data, size); }

/* A buffer over a words array of the sort (taken over, also on failure). */
static cy_status adopt_words(build_job *j, uint64_t **words, cy_buffer **out, cy_error *err) {
  uint64_t *p = *words;
  *words = NULL;
  return cy_buffer_wrap(p, j->n * (int64_t)sizeof(uint64_t), release_words, NULL, out, err);
}

/* What a column gets; only one column is rebuilt, even if the key column appears twice
 * (its rebuild may overwrite the keys in place). */
static build_kind kind_of(const build_job *j, const cy_column *col, bool rebuild_taken) {
  int w = cy_type_bit_width(col->type.id);
  if (j->key && col == j->key->col && j->sorted->keys && !rebuild_taken &&
      cy_sort_can_rebuild(col))
    return BUILD_REBUILD;
  return col->null_count == 0 && w >= 8 && w <= 64 ? BUILD_GATHER : BUILD_TAKE;
}

/* A permutation for the whole-column takes, unpacked into the spare array if free. */
static cy_status need_idx(build_job *j, cy_error *err) {
  cy_sorted *s = j->sorted;
  if (s->idx) return CY_OK;
  int64_t *idx = (int64_t *)s->spare;
  s->spare = NULL;
  if (!idx && !(idx = cy_alloc(j->n * (int64_t)sizeof(int64_t)))) {
    cy_error_set(err, "sort: out of memory for %lld row numbers", (long long)j->n);
    return CY_ENOMEM;
  }
  s->idx = idx;
  s->idx_owned = true;
  return cy_parallel_for(CHUNKS_PER_COLUMN, unpack_task, j, err);
}

/* The values buffer of a gathered or rebuilt column. The rebuilt 64-bit key takes the
 * keys array over (rebuilt in place after every gather has read it). */
static cy_status values_buffer(build_job *j, int32_t c, cy_error *err) {
  cy_sorted *s = j->sorted;
  int w = cy_type_bit_width(j->table->columns[c]->type.id);
  if (w == 64 && j->kind[c] == BUILD_REBUILD)
    return adopt_words(j, &s->keys, &j->values[c], err);
  if (w == 64 && s->spare) return adopt_words(j, &s->spare, &j->values[c], err);
  return cy_buffer_alloc(j->n * (w / 8), &j->values[c], err);
}

static cy_status plan(build_job *j, int32_t nc, cy_error *err) {
  bool any_take = false, rebuild_taken = false;
  for (int32_t c = 0; c < nc; c++) {
    j->kind[c] = kind_of(j, j->table->columns[c], rebuild_taken);
    any_take = any_take || j->kind[c] == BUILD_TAKE;
    rebuild_taken = rebuild_taken || j->kind[c] == BUILD_REBUILD;
  }
  if (any_take) CY_RETURN_NOT_OK(need_idx(j, err));
  for (int32_t c = 0; c < nc; c++)
    if (j->kind[c] != BUILD_TAKE) CY_RETURN_NOT_OK(values_buffer(j, c, err));
  return CY_OK;
}

/* Run the tasks of the columns of one kind class: takes and gathers, or rebuilds. */
static cy_status run_phase(build_job *j, int32_t nc, bool rebuilds, cy_error *err) {
  j->ntasks = 0;
  for (int32_t c = 0; c < nc; c++) /* whole-column takes first: they are the longest */
    if (!rebuilds && j->kind[c] == BUILD_TAKE)
      j->tasks[j->ntasks++] = (int64_t)c * CHUNKS_PER_COLUMN;
  for (int32_t c = 0; c < nc; c++) {
    if (j->kind[c] == BUILD_TAKE || (j->kind[c] == BUILD_REBUILD) != rebuilds) continue;
    for (int k = 0; k < CHUNKS_PER_COLUMN; k++)
      j->tasks[j->ntasks++] = (int64_t)c * CHUNKS_PER_COLUMN + k;
  }
  return cy_parallel_for(j->ntasks, column_task, j, err);
}

/* The columns made, as a table with the input's names. */
static cy_status assemble(build_job *j, int32_t nc, cy_table **out, cy_error *err) {
  const char **names = malloc((size_t)(nc > 0 ? nc : 1) * sizeof(char *));
  if (!names) {
    cy_error_set(err, "sort: out of memory");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  for (int32_t c = 0; c < nc; c++) {
    names[c] = j->table->schema.fields[c].name;
    if (j->kind[c] == BUILD_TAKE || st != CY_OK) continue;
    st = cy_column_make(j->table->columns[c]->type, j->n, 0, 0, NULL, j->values[c], NULL,
                        &j->cols[c], err);
    j->values[c] = NULL; /* cy_column_make took it, also on failure */
  }
  if (st == CY_OK) st = cy_table_make(nc, names, j->cols, out, err);
  free(names);
  return st;
}

cy_status cy_sort_build(cy_table *table, const cy_sort_col *key, cy_sorted *sorted,
                        cy_table **out, cy_error *err) {
  int32_t nc = table->schema.num_fields;
  size_t slots = (size_t)(nc > 0 ? nc : 1);
  build_job j = {.table = table, .key = key, .sorted = sorted, .keys = sorted->keys, .n = sorted->n,
                 .row_mask = sorted->shift ? ((uint64_t)1 << sorted->shift) - 1 : 0};
  j.kind = calloc(slots, sizeof *j.kind);
  j.values = calloc(slots, sizeof *j.values);
  j.cols = calloc(slots, sizeof *j.cols);
  j.tasks = calloc(slots * CHUNKS_PER_COLUMN, sizeof *j.tasks);
  cy_status st = CY_OK;
  if (!j.kind || !j.values || !j.cols || !j.tasks) {
    cy_error_set(err, "sort: out of memory");
    st = CY_ENOMEM;
  }
  if (st == CY_OK) st = plan(&j, nc, err);
  if (st == CY_OK) st = run_phase(&j, nc, false, err);
  if (st == CY_OK) st = run_phase(&j, nc, true, err);
  if (st == CY_OK) st = assemble(&j, nc, out, err);
  for (int32_t c = 0; j.cols && c < nc; c++) {
    if (j.values) cy_buffer_release(j.values[c]);
    cy_column_release(j.cols[c]);
  }
  free(j.kind);
  free(j.values);
  free(j.cols);
  free(j.tasks);
  cy_sorted_reset(sorted);
  return st;
}
