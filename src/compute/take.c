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

/* Row i of a selection: an int64 index list (-1 = null) or a uint32 one (CY_NO_ROW = null).
 * Operators that make many indices (joins) use the narrow form to halve their memory. */
typedef struct selection {
  const int64_t *i64;
  const uint32_t *u32;
} selection;

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

typedef struct take_job {
  cy_table *table;
  const int64_t *idx;
  int64_t n;
  cy_column **cols;
} take_job;

static cy_status take_one(void *ctx, int64_t c, cy_error *err) {
  take_job *j = ctx;
  return cy_column_take(j->table->columns[c], j->idx, j->n, &j->cols[c], err);
}

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
  int32_t nc = table->schema.num_fields;
  for (int64_t i = 0; i < n; i++) {
    if (idx[i] < -1 || idx[i] >= table->num_rows) {
      cy_error_set(err, "take: index %lld is outside a table of %lld rows",
                   (long long)idx[i], (long long)table->num_rows);
      return CY_EINVAL;
    }
  }
  cy_column **cols = calloc(nc > 0 ? (size_t)nc : 1, sizeof(cy_column *));
  if (cols == NULL) {
    cy_error_set(err, "out of memory taking rows");
    return CY_ENOMEM;
  }
  take_job job = {table, idx, n, cols};
  cy_status st = cy_parallel_for(nc, take_one, &job, err);
  if (st == CY_OK) {
    st = adopt(table, cols, out, err);
    if (st == CY_OK && nc == 0) (*out)->num_rows = n;
  }
  for (int32_t c = 0; c < nc; c++) cy_column_release(cols[c]);
  free(cols);
  return st;
}

cy_status cy_table_filter(cy_table *table, const cy_column *mask, cy_table **out,
                          cy_error *err) {
  if (mask->type.id != CY_BOOL || mask->length != table->num_rows) {
    char tn[96];
    cy_error_set(err, "filter: the mask must be a bool column of %lld rows, got %s of %lld",
                 (long long)table->num_rows, cy_type_name(&mask->type, tn, sizeof tn),
                 (long long)mask->length);
    return CY_EINVAL;
  }
  int64_t n = mask->length, kept = 0;
  int64_t *idx = malloc((n > 0 ? (size_t)n : 1) * sizeof(int64_t));
  if (idx == NULL) {
    cy_error_set(err, "out of memory filtering %lld rows", (long long)n);
    return CY_ENOMEM;
  }
  for (int64_t i = 0; i < n; i++) {
    idx[kept] = i;
    kept += cy_column_bool(mask, i) && cy_column_is_valid(mask, i);
  }
  cy_status st = cy_table_take(table, idx, kept, out, err);
  free(idx);
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
