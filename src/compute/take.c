/*
 * take.c - gathering rows by index, filtering by a mask, head, tail and the C-callback
 * select.
 *
 * take is the workhorse of every operator that reorders or repeats rows (sort, join,
 * filter): one pass per column over the index list, fixed-width values by typed copies,
 * strings in two passes (sizes, then bytes). Columns are gathered on all threads.
 */
#include <stdlib.h>
#include <string.h>

#include "compute/row.h"

typedef cy_selection selection;

static inline int64_t sel_at(selection s, int64_t i) {
  if (s.i64) return s.i64[i];
  return s.u32[i] == CY_NO_ROW ? -1 : (int64_t)s.u32[i];
}

#define GATHER(T)                                                                    \
  do {                                                                               \
    const T *src = (const T *)col->values->data + col->offset;                      \
    T *dst = (T *)values->data;                                                      \
    if (sel.u32) {                                                                   \
      const uint32_t *u = sel.u32;                                                   \
      for (int64_t i = 0; i < n; i++) dst[i] = u[i] != CY_NO_ROW ? src[u[i]] : (T)0; \
    } else {                                                                         \
      const int64_t *x = sel.i64;                                                    \
      for (int64_t i = 0; i < n; i++) dst[i] = x[i] >= 0 ? src[x[i]] : (T)0;         \
    }                                                                                \
  } while (0)

/* Validity of the result: from the source's bitmap, and null for index -1. NULL when no
 * row is null. */
static cy_status take_validity(const cy_column *col, selection sel, int64_t n,
                               cy_buffer **out, int64_t *nulls, cy_error *err) {
  *out = NULL;
  *nulls = 0;
  bool any_minus = false;
  for (int64_t i = 0; i < n && !any_minus; i++) any_minus = sel_at(sel, i) < 0;
  if (col->null_count == 0 && !any_minus) return CY_OK;
  CY_RETURN_NOT_OK(cy_buffer_alloc_zeroed(cy_bitmap_bytes(n), out, err));
  uint8_t *bits = (*out)->data;
  int64_t valid = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t k = sel_at(sel, i);
    bool v = k >= 0 && cy_column_is_valid(col, k);
    if (v) cy_bit_set(bits, i);
    valid += v;
  }
  *nulls = n - valid;
  return CY_OK;
}

static cy_status take_var(const cy_column *col, selection sel, int64_t n,
                          cy_buffer **values_out, cy_buffer **data_out, cy_type *type,
                          cy_error *err) {
  int64_t bytes = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t k = sel_at(sel, i);
    if (k < 0) continue;
    int64_t len;
    cy_column_bytes(col, k, &len);
    bytes += len;
  }
  /* Repeating rows (a join) can push small-offset strings past 2 GiB: switch to large. */
  bool large = cy_type_is_large(col->type.id) || bytes > INT32_MAX;
  if (large && !cy_type_is_large(col->type.id))
    type->id = col->type.id == CY_UTF8 ? CY_LARGE_UTF8 : CY_LARGE_BINARY;
  CY_RETURN_NOT_OK(cy_buffer_alloc((n + 1) * (large ? 8 : 4), values_out, err));
  cy_status st = cy_buffer_alloc(bytes, data_out, err);
  if (st != CY_OK) {
    cy_buffer_release(*values_out);
    return st;
  }
  uint8_t *data = (*data_out)->data;
  int64_t pos = 0;
  if (large) ((int64_t *)(*values_out)->data)[0] = 0;
  else ((int32_t *)(*values_out)->data)[0] = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t k = sel_at(sel, i);
    if (k >= 0) {
      int64_t len;
      const uint8_t *p = cy_column_bytes(col, k, &len);
      memcpy(data + pos, p, (size_t)len);
      pos += len;
    }
    if (large) ((int64_t *)(*values_out)->data)[i + 1] = pos;
    else ((int32_t *)(*values_out)->data)[i + 1] = (int32_t)pos;
  }
  return CY_OK;
}

static cy_status take_column(const cy_column *col, selection sel, int64_t n, cy_column **out,
                             cy_error *err) {
  cy_buffer *validity, *values = NULL, *data = NULL;
  int64_t nulls;
  CY_RETURN_NOT_OK(take_validity(col, sel, n, &validity, &nulls, err));
  cy_type type = col->type;
  cy_status st = CY_OK;
  int bits = cy_type_bit_width(col->type.id);
  if (bits == 0) {
    st = take_var(col, sel, n, &values, &data, &type, err);
  } else if (bits == 1) {
    st = cy_buffer_alloc_zeroed(cy_bitmap_bytes(n), &values, err);
    for (int64_t i = 0; st == CY_OK && i < n; i++) {
      int64_t k = sel_at(sel, i);
      if (k >= 0 && cy_column_bool(col, k)) cy_bit_set(values->data, i);
    }
  } else {
    st = cy_buffer_alloc(n * (bits / 8), &values, err);
    if (st == CY_OK) {
      switch (bits) {
        case 8: GATHER(uint8_t); break;
        case 16: GATHER(uint16_t); break;
        case 32: GATHER(uint32_t); break;
        case 64: GATHER(uint64_t); break;
        default: { /* decimal128: two words a value */
          const uint64_t *src = (const uint64_t *)col->values->data + 2 * col->offset;
          uint64_t *dst = (uint64_t *)values->data;
          for (int64_t i = 0; i < n; i++) {
            int64_t k = sel_at(sel, i);
            dst[2 * i] = k >= 0 ? src[2 * k] : 0;
            dst[2 * i + 1] = k >= 0 ? src[2 * k + 1] : 0;
          }
        }
      }
    }
  }
  if (st != CY_OK) {
    cy_buffer_release(validity);
    return st;
  }
  return cy_column_make(type, n, 0, nulls, validity, values, data, out, err);
}

#undef GATHER

cy_status cy_column_take(const cy_column *col, const int64_t *idx, int64_t n, cy_column **out,
                         cy_error *err) {
  selection sel = {idx, NULL};
  return take_column(col, sel, n, out, err);
}

cy_status cy_column_take32(const cy_column *col, const uint32_t *idx, int64_t n,
                           cy_column **out, cy_error *err) {
  selection sel = {NULL, idx};
  return take_column(col, sel, n, out, err);
}

/* ---- many columns on all threads ----------------------------------------------------- */

/* Rows a task of the parallel gather copies; a multiple of 8, so that no two tasks write
 * one byte of a validity bitmap. */
#define GATHER_RANGE (1 << 20)
/* How many rows ahead gather_range asks for the value it will read. */
#define GATHER_AHEAD 32

/* A fixed-width column being gathered in row ranges. */
typedef struct split_col {
  bool split;          /* gathered by ranges (else whole, by take_column) */
  int width;           /* bytes a value */
  cy_buffer *values, *validity;
  int64_t *valid_rows; /* per range: valid rows written */
} split_col;

typedef struct gather_all_job {
  const cy_column *const *cols;
  const selection *sels;
  int64_t rows, ranges;
  split_col *split;
  cy_column **out;
} gather_all_job;

/* Copy rows [lo, hi) of one split column; returns how many are valid. */
static int64_t gather_range(const cy_column *col, selection sel, split_col *sc, int64_t lo,
                            int64_t hi) {
  const uint8_t *src = col->values->data + col->offset * sc->width;
  uint8_t *dst = sc->values->data;
  uint8_t *bits = sc->validity ? sc->validity->data : NULL;
  int64_t valid = 0;
  if (bits == NULL && sel.u32 && sc->width == 8) {
    /* The common case of a join's output: 64-bit values by 32-bit row numbers, read at
     * random from a column far larger than the cache. Asking for the value a few rows
     * ahead keeps several of those misses in flight at once. */
    const uint32_t *ix = sel.u32;
    const uint64_t *s8 = (const uint64_t *)src;
    uint64_t *d8 = (uint64_t *)dst;
    for (int64_t i = lo; i < hi; i++) {
      if (i + GATHER_AHEAD < hi && ix[i + GATHER_AHEAD] != CY_NO_ROW)
        __builtin_prefetch(s8 + ix[i + GATHER_AHEAD]); /* gcc and clang, as hash_join_ordered.c */
      d8[i] = ix[i] != CY_NO_ROW ? s8[ix[i]] : 0;
    }
    return hi - lo;
  }
  for (int64_t i = lo; i < hi; i++) {
    int64_t k = sel_at(sel, i);
    bool ok = k >= 0;
    switch (sc->width) {
      case 1: dst[i] = ok ? src[k] : 0; break;
      case 2: ((uint16_t *)dst)[i] = ok ? ((const uint16_t *)src)[k] : 0; break;
      case 4: ((uint32_t *)dst)[i] = ok ? ((const uint32_t *)src)[k] : 0; break;
      default: ((uint64_t *)dst)[i] = ok ? ((const uint64_t *)src)[k] : 0; break;
    }
    if (bits) {
      ok = ok && cy_column_is_valid(col, k);
      cy_bit_set_to(bits, i, ok);
      valid += ok;
    }
  }
  return bits ? valid : hi - lo;
}

static cy_status gather_task(void *ctx, int64_t t, cy_error *err) {
  gather_all_job *j = ctx;
  int64_t c = t / j->ranges, r = t % j->ranges;
  split_col *sc = &j->split[c];
  if (!sc->split) return r == 0 ? take_column(j->cols[c], j->sels[c], j->rows, &j->out[c], err)
                                : CY_OK;
  int64_t lo = r * GATHER_RANGE, hi = lo + GATHER_RANGE < j->rows ? lo + GATHER_RANGE : j->rows;
  if (lo < hi) sc->valid_rows[r] = gather_range(j->cols[c], j->sels[c], sc, lo, hi);
  return CY_OK;
}

cy_status cy_take_columns(int32_t n, const cy_column *const *cols, const cy_selection *sels,
                          int64_t rows, cy_column **out, cy_error *err) {
  int64_t ranges = rows > GATHER_RANGE ? (rows + GATHER_RANGE - 1) / GATHER_RANGE : 1;
  split_col *split = calloc((size_t)n + 1, sizeof(split_col));
  if (split == NULL) {
    cy_error_set(err, "out of memory gathering rows");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  /* Long fixed-width columns (but not bools: bit-packed) are split into row ranges so that
   * one big column still keeps every core busy. */
  for (int32_t c = 0; st == CY_OK && c < n; c++) {
    int bits = cy_type_bit_width(cols[c]->type.id);
    split_col *sc = &split[c];
    if (ranges == 1 || bits < 8 || bits > 64) continue;
    sc->split = true;
    sc->width = bits / 8;
    bool minus = false;
    for (int64_t i = 0; i < rows && !minus; i++) minus = sel_at(sels[c], i) < 0;
    st = cy_buffer_alloc(rows * sc->width, &sc->values, err);
    if (st == CY_OK && (cols[c]->null_count > 0 || minus))
      st = cy_buffer_alloc_zeroed(cy_bitmap_bytes(rows), &sc->validity, err);
    if (st == CY_OK && (sc->valid_rows = calloc((size_t)ranges, sizeof(int64_t))) == NULL) {
      cy_error_set(err, "out of memory gathering rows");
      st = CY_ENOMEM;
    }
  }
  if (st == CY_OK) {
    gather_all_job job = {cols, sels, rows, ranges, split, out};
    st = cy_parallel_for((int64_t)n * ranges, gather_task, &job, err);
  }
  for (int32_t c = 0; c < n; c++) {
    split_col *sc = &split[c];
    if (sc->split && st == CY_OK) {
      int64_t valid = 0;
      for (int64_t r = 0; r < ranges; r++) valid += sc->valid_rows[r];
      st = cy_column_make(cols[c]->type, rows, 0, rows - valid, sc->validity, sc->values, NULL,
                          &out[c], err);
      sc->validity = sc->values = NULL; /* taken by the column */
    }
    cy_buffer_release(sc->values);
    cy_buffer_release(sc->validity);
    free(sc->valid_rows);
  }
  free(split);
  if (st != CY_OK)
    for (int32_t c = 0; c < n; c++) {
      cy_column_release(out[c]);
      out[c] = NULL;
    }
  return st;
}

/* Every column of table gathered by one selection, as a table with the same names. */
static cy_status take_table(cy_table *table, selection sel, int64_t n, cy_table **out,
                            cy_error *err);

/* Make a table with `table`'s names from freshly made columns (released here). */
static cy_status adopt(cy_table *table, cy_column **cols, cy_table **out, cy_error *err) {
  int32_t nc = table->schema.num_fields;
  const char **names = malloc((nc > 0 ? (size_t)nc : 1) * sizeof(char *));
  cy_status st = names ? CY_OK : CY_ENOMEM;
  if (names) {
    for (int32_t c = 0; c < nc; c++) names[c] = table->schema.fields[c].name;
    st = cy_table_make(nc, names, cols, out, err);
  } else {
    cy_error_set(err, "out of memory making a table");
  }
  free(names);
  return st;
}

cy_status cy_table_take(cy_table *table, const int64_t *idx, int64_t n, cy_table **out,
                        cy_error *err) {
  for (int64_t i = 0; i < n; i++) {
    if (idx[i] < -1 || idx[i] >= table->num_rows) {
      cy_error_set(err, "take: index %lld is outside a table of %lld rows",
                   (long long)idx[i], (long long)table->num_rows);
      return CY_EINVAL;
    }
  }
  selection sel = {idx, NULL};
  return take_table(table, sel, n, out, err);
}

static cy_status take_table(cy_table *table, selection sel, int64_t n, cy_table **out,
                            cy_error *err) {
  int32_t nc = table->schema.num_fields;
  cy_column **cols = calloc((size_t)nc + 1, sizeof(cy_column *));
  selection *sels = calloc((size_t)nc + 1, sizeof(selection));
  cy_status st = cols && sels ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory taking rows");
  for (int32_t c = 0; st == CY_OK && c < nc; c++) sels[c] = sel;
  if (st == CY_OK)
    st = cy_take_columns(nc, (const cy_column *const *)table->columns, sels, n, cols, err);
  if (st == CY_OK) {
    st = adopt(table, cols, out, err);
    if (st == CY_OK && nc == 0) (*out)->num_rows = n;
  }
  for (int32_t c = 0; cols && c < nc; c++) cy_column_release(cols[c]);
  free(cols);
  free(sels);
  return st;
}

/* ---- filter ------------------------------------------------------------------------ */

#define FILTER_CHUNK 65536 /* rows a task scans; a multiple of 64 */

typedef struct filter_job {
  const cy_column *mask;
  int64_t *counts; /* per chunk: rows kept, then (after the prefix sum) the first position */
  uint32_t *idx;
} filter_job;

/* The 64 mask bits (true and valid) starting at row r, whatever the slice offset. */
static inline uint64_t mask_word(const cy_column *m, int64_t r, int64_t n) {
  int64_t bit = m->offset + r;
  uint64_t w = 0;
  int64_t take = n - r < 64 ? n - r : 64;
  if ((bit & 7) == 0 && take == 64) {
    memcpy(&w, m->values->data + (bit >> 3), 8);
    if (m->validity) {
      uint64_t v;
      memcpy(&v, m->validity->data + (bit >> 3), 8);
      w &= v;
    }
    return w;
  }
  for (int64_t k = 0; k < take; k++)
    if (cy_column_bool(m, r + k) && cy_column_is_valid(m, r + k)) w |= 1ull << k;
  return w;
}

static cy_status filter_count(void *ctx, int64_t c, cy_error *err) {
  filter_job *j = ctx;
  int64_t n = j->mask->length, lo = c * FILTER_CHUNK, hi = lo + FILTER_CHUNK < n ? lo + FILTER_CHUNK : n;
  int64_t kept = 0;
  for (int64_t r = lo; r < hi; r += 64) kept += __builtin_popcountll(mask_word(j->mask, r, hi));
  j->counts[c] = kept;
  return CY_OK;
}

static cy_status filter_fill(void *ctx, int64_t c, cy_error *err) {
  filter_job *j = ctx;
  int64_t n = j->mask->length, lo = c * FILTER_CHUNK, hi = lo + FILTER_CHUNK < n ? lo + FILTER_CHUNK : n;
  uint32_t *out = j->idx + j->counts[c];
  for (int64_t r = lo; r < hi; r += 64)
    for (uint64_t w = mask_word(j->mask, r, hi); w; w &= w - 1)
      *out++ = (uint32_t)(r + __builtin_ctzll(w));
  return CY_OK;
}

/* The rows the mask keeps, as a list made on all threads: counts per chunk, their prefix
 * sums, then each chunk writes its rows at its place. 32-bit row numbers from the huge-page
 * allocator keep the list small and quick to fault in. */
cy_status cy_table_filter(cy_table *table, const cy_column *mask, cy_table **out,
                          cy_error *err) {
  if (mask->type.id != CY_BOOL || mask->length != table->num_rows) {
    char tn[96];
    cy_error_set(err, "filter: the mask must be a bool column of %lld rows, got %s of %lld",
                 (long long)table->num_rows, cy_type_name(&mask->type, tn, sizeof tn),
                 (long long)mask->length);
    return CY_EINVAL;
  }
  int64_t n = mask->length;
  if (n >= (int64_t)CY_NO_ROW) {
    cy_error_set(err, "filter: %lld rows is too many for one table", (long long)n);
    return CY_ENOTSUP;
  }
  int64_t chunks = (n + FILTER_CHUNK - 1) / FILTER_CHUNK;
  filter_job job = {mask, calloc((size_t)chunks + 1, sizeof(int64_t)), NULL};
  if (job.counts == NULL) {
    cy_error_set(err, "out of memory filtering %lld rows", (long long)n);
    return CY_ENOMEM;
  }
  cy_status st = cy_parallel_for(chunks, filter_count, &job, err);
  int64_t kept = 0;
  for (int64_t c = 0; c < chunks; c++) {
    int64_t k = job.counts[c];
    job.counts[c] = kept;
    kept += k;
  }
  int64_t bytes = (kept + 1) * (int64_t)sizeof(uint32_t);
  if (st == CY_OK && (job.idx = cy_alloc(bytes)) == NULL) {
    cy_error_set(err, "out of memory filtering %lld rows", (long long)n);
    st = CY_ENOMEM;
  }
  if (st == CY_OK) st = cy_parallel_for(chunks, filter_fill, &job, err);
  selection sel = {NULL, job.idx};
  if (st == CY_OK) st = take_table(table, sel, kept, out, err);
  cy_free(job.idx, bytes);
  free(job.counts);
  return st;
}

cy_status cy_table_select_fn(cy_table *table,
                             bool (*fn)(const cy_table *table, int64_t row, void *ctx),
                             void *ctx, cy_table **out, cy_error *err) {
  int64_t n = table->num_rows, kept = 0;
  int64_t *idx = malloc((n > 0 ? (size_t)n : 1) * sizeof(int64_t));
  if (idx == NULL) {
    cy_error_set(err, "out of memory selecting rows");
    return CY_ENOMEM;
  }
  for (int64_t i = 0; i < n; i++)
    if (fn(table, i, ctx)) idx[kept++] = i;
  cy_status st = cy_table_take(table, idx, kept, out, err);
  free(idx);
  return st;
}

cy_status cy_table_head(cy_table *table, int64_t n, cy_table **out, cy_error *err) {
  if (n < 0) n = 0;
  return cy_table_slice(table, 0, n, out, err);
}

cy_status cy_table_tail(cy_table *table, int64_t n, cy_table **out, cy_error *err) {
  if (n < 0) n = 0;
  if (n > table->num_rows) n = table->num_rows;
  return cy_table_slice(table, table->num_rows - n, n, out, err);
}
