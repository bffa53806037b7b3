/*
 * nulls.c - is_null / is_not_null, fill_null and drop_null.
 *
 * All three read the validity bitmap a byte at a time: is_null is the bitmap itself
 * (inverted), drop_null ANDs the bitmaps of the chosen columns into the mask it filters
 * by, and fill_null copies the values and writes the fill value into the null rows only.
 * A column or table without nulls comes back as a new reference, not a copy.
 */
#include <stdlib.h>

#include "compute/kernel.h"

cy_status cy_column_is_null(const cy_column *col, bool negate, cy_column **out,
                            cy_error *err) {
  int64_t n = col->length, bytes = cy_bitmap_bytes(n);
  cy_buffer *values;
  CY_RETURN_NOT_OK(cy_buffer_alloc(bytes, &values, err));
  uint8_t *v = values->data;
  if (col->null_count == 0) {
    cy_bitmap_fill(v, 0, n, negate); /* no nulls: is_null false, is_not_null true */
  } else {
    cy_bitmap_copy(v, 0, col->validity->data, col->offset, n); /* the valid rows */
    if (!negate)
      for (int64_t b = 0; b < bytes; b++) v[b] = (uint8_t)~v[b];
  }
  return ck_make_bool(n, values, NULL, out, err);
}

/* Copy col's values (fixed width) to a fresh buffer at offset 0 and write `fill` (a
 * one-row column of col's type) into every null row. */
static cy_status fill_fixed(const cy_column *col, const cy_column *fill, cy_column **out,
                            cy_error *err) {
  int64_t n = col->length;
  int bits = cy_type_bit_width(col->type.id);
  cy_buffer *values;
  if (bits == 1) {
    CY_RETURN_NOT_OK(cy_buffer_alloc(cy_bitmap_bytes(n), &values, err));
    cy_bitmap_copy(values->data, 0, col->values->data, col->offset, n);
    bool f = cy_column_bool(fill, 0);
    for (int64_t r = 0; r < n; r++)
      if (!cy_column_is_valid(col, r)) cy_bit_set_to(values->data, r, f);
  } else {
    int64_t w = bits / 8;
    CY_RETURN_NOT_OK(cy_buffer_alloc(n * w, &values, err));
    if (n > 0) memcpy(values->data, cy_column_data(col), (size_t)(n * w));
    const uint8_t *f = cy_column_data(fill);
    for (int64_t r = 0; r < n; r++)
      if (!cy_column_is_valid(col, r)) memcpy(values->data + r * w, f, (size_t)w);
  }
  return cy_column_make(col->type, n, 0, 0, NULL, values, NULL, out, err);
}

static cy_status fill_var(const cy_column *col, const cy_column *fill, cy_column **out,
                          cy_error *err) {
  int64_t flen;
  const uint8_t *f = cy_column_bytes(fill, 0, &flen);
  cy_builder b;
  CY_RETURN_NOT_OK(cy_builder_init(&b, col->type, col->length, err));
  cy_status st = CY_OK;
  for (int64_t r = 0; r < col->length && st == CY_OK; r++) {
    int64_t len = flen;
    const uint8_t *p = f;
    if (cy_column_is_valid(col, r)) p = cy_column_bytes(col, r, &len);
    st = cy_builder_append_bytes(&b, p, len, err);
  }
  if (st == CY_OK) st = cy_builder_finish(&b, out, err);
  cy_builder_reset(&b);
  return st;
}

cy_status cy_column_fill_null(const cy_column *col, const cy_scalar *value, cy_column **out,
                              cy_error *err) {
  if (col->null_count == 0 || !value->valid) {
    *out = cy_column_retain((cy_column *)col);
    return CY_OK;
  }
  /* The value as a one-row column of col's type: the cast does the checking. */
  cy_column *one, *fill;
  CY_RETURN_NOT_OK(ck_broadcast(value, 1, &one, err));
  cy_status st = cy_column_cast(one, col->type, &fill, err);
  cy_column_release(one);
  if (st != CY_OK) {
    cy_error_prefix(err, "fill_null: ");
    return st;
  }
  if (cy_type_is_var_width(col->type.id)) st = fill_var(col, fill, out, err);
  else st = fill_fixed(col, fill, out, err);
  cy_column_release(fill);
  return st;
}

cy_status cy_table_drop_null(cy_table *table, const char *const *columns, int32_t n,
                             cy_table **out, cy_error *err) {
  int32_t count = n > 0 ? n : table->schema.num_fields;
  int32_t *idx = malloc((count > 0 ? (size_t)count : 1) * sizeof(int32_t));
  if (idx == NULL) {
    cy_error_set(err, "out of memory in drop_null");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  if (n > 0) st = cy_find_columns(table, columns, n, "drop_null", idx, err);
  else
    for (int32_t c = 0; c < count; c++) idx[c] = c;
  bool any = false;
  for (int32_t c = 0; st == CY_OK && c < count; c++)
    any = any || table->columns[idx[c]]->null_count > 0;
  if (st != CY_OK || !any) {
    free(idx);
    if (st == CY_OK) *out = cy_table_retain(table);
    return st;
  }
  /* The mask: rows valid in every chosen column. */
  int64_t rows = table->num_rows;
  cy_buffer *mask_bits;
  cy_column *mask = NULL;
  st = cy_buffer_alloc(cy_bitmap_bytes(rows), &mask_bits, err);
  if (st == CY_OK) {
    cy_bitmap_fill(mask_bits->data, 0, rows, true);
    for (int32_t c = 0; c < count; c++) {
      const cy_column *col = table->columns[idx[c]];
      if (col->null_count > 0) ck_bits_and(mask_bits->data, col->validity->data, col->offset, rows);
    }
    st = ck_make_bool(rows, mask_bits, NULL, &mask, err);
  }
  free(idx);
  if (st == CY_OK) st = cy_table_filter(table, mask, out, err);
  cy_column_release(mask);
  return st;
}
