/*
 * column.c - immutable, reference-counted columns over shared buffers.
 *
 * A column is made once from its buffers (checked against its length so a bad import or a
 * builder bug fails here, not in a kernel later) and never changes; slicing makes a new
 * column over the same buffers with a larger offset.
 */
#include <stdlib.h>
#include <string.h>

#include "cylon/core.h"

static int64_t offset_at(const cy_buffer *offsets, bool large, int64_t k) {
  return large ? ((const int64_t *)offsets->data)[k] : ((const int32_t *)offsets->data)[k];
}

/* Check that the buffers are big enough for offset + length rows. */
static cy_status check_buffers(const cy_type *type, int64_t length, int64_t offset,
                               const cy_buffer *validity, const cy_buffer *values,
                               const cy_buffer *data, cy_error *err) {
  char tn[96];
  if (length < 0 || offset < 0 || length > INT64_MAX - offset - 1) {
    cy_error_set(err, "column length %lld and offset %lld must be non-negative and not overflow",
                 (long long)length, (long long)offset);
    return CY_EINVAL;
  }
  int64_t end = offset + length;
  if (validity && validity->size < cy_bitmap_bytes(end)) {
    cy_error_set(err, "validity bitmap of %lld bytes is too short for %lld rows",
                 (long long)validity->size, (long long)end);
    return CY_EINVAL;
  }
  if (values == NULL) {
    cy_error_set(err, "column of type %s has no values buffer", cy_type_name(type, tn, sizeof tn));
    return CY_EINVAL;
  }
  if (cy_type_is_var_width(type->id)) {
    bool large = cy_type_is_large(type->id);
    int64_t need = (end + 1) * (large ? 8 : 4);
    if (values->size < need) {
      cy_error_set(err, "offsets buffer of %lld bytes is too short for %lld rows",
                   (long long)values->size, (long long)end);
      return CY_EINVAL;
    }
    int64_t first = offset_at(values, large, offset), last = offset_at(values, large, end);
    int64_t data_size = data ? data->size : 0;
    if (first < 0 || last < first || last > data_size) {
      cy_error_set(err, "offsets [%lld, %lld] fall outside the %lld-byte data buffer",
                   (long long)first, (long long)last, (long long)data_size);
      return CY_EINVAL;
    }
    return CY_OK;
  }
  int bits = cy_type_bit_width(type->id);
  if (bits == 0) {
    cy_error_set(err, "unknown type id %d", (int)type->id);
    return CY_EINVAL;
  }
  int64_t need = bits == 1 ? cy_bitmap_bytes(end) : end * (bits / 8);
  if (values->size < need) {
    cy_error_set(err, "values buffer of %lld bytes is too short for %lld rows of %s",
                 (long long)values->size, (long long)end, cy_type_name(type, tn, sizeof tn));
    return CY_EINVAL;
  }
  return CY_OK;
}

cy_status cy_column_make(cy_type type, int64_t length, int64_t offset, int64_t null_count,
                         cy_buffer *validity, cy_buffer *values, cy_buffer *data,
                         cy_column **out, cy_error *err) {
  cy_status st = CY_OK;
  if (null_count > length || (null_count > 0 && validity == NULL)) {
    cy_error_set(err, "null count %lld does not fit a column of %lld rows%s",
                 (long long)null_count, (long long)length,
                 validity == NULL ? " without a validity bitmap" : "");
    st = CY_EINVAL;
  }
  /* Var-width columns always have a data buffer, so readers never test for NULL. */
  if (st == CY_OK && data == NULL && cy_type_is_var_width(type.id))
    st = cy_buffer_alloc(0, &data, err);
  if (st == CY_OK) st = check_buffers(&type, length, offset, validity, values, data, err);
  cy_column *c = NULL;
  if (st == CY_OK) {
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
      cy_error_set(err, "out of memory allocating a column");
      st = CY_ENOMEM;
    }
  }
  if (st != CY_OK) {
    cy_buffer_release(validity);
    cy_buffer_release(values);
    cy_buffer_release(data);
    return st;
  }
  if (!cy_type_is_var_width(type.id)) {
    cy_buffer_release(data);
    data = NULL;
  }
  if (validity && null_count < 0)
    null_count = length - cy_bitmap_count_set(validity->data, offset, length);
  if (validity == NULL) null_count = 0;
  /* A bitmap with no nulls in range is dead weight for every kernel; drop it. */
  if (validity && null_count == 0) {
    cy_buffer_release(validity);
    validity = NULL;
  }
  c->type = type;
  c->length = length;
  c->offset = offset;
  c->null_count = null_count;
  c->validity = validity;
  c->values = values;
  c->data = data;
  c->refcount = 1;
  *out = c;
  return CY_OK;
}

cy_status cy_column_from_values(cy_type type, const void *values, const uint8_t *valid,
                                int64_t n, cy_column **out, cy_error *err) {
  int bits = cy_type_bit_width(type.id);
  char tn[96];
  if (bits == 0) {
    cy_error_set(err, "cy_column_from_values needs a fixed-width type, got %s",
                 cy_type_name(&type, tn, sizeof tn));
    return CY_EINVAL;
  }
  cy_buffer *vals = NULL, *bitmap = NULL;
  if (bits == 1) {
    CY_RETURN_NOT_OK(cy_buffer_alloc_zeroed(cy_bitmap_bytes(n), &vals, err));
    const uint8_t *v = values;
    for (int64_t i = 0; i < n; i++)
      if (v[i]) cy_bit_set(vals->data, i);
  } else {
    CY_RETURN_NOT_OK(cy_buffer_alloc(n * (bits / 8), &vals, err));
    if (n > 0) memcpy(vals->data, values, (size_t)(n * (bits / 8)));
  }
  int64_t nulls = 0;
  if (valid) {
    cy_status st = cy_buffer_alloc_zeroed(cy_bitmap_bytes(n), &bitmap, err);
    if (st != CY_OK) {
      cy_buffer_release(vals);
      return st;
    }
    for (int64_t i = 0; i < n; i++) {
      if (valid[i])
        cy_bit_set(bitmap->data, i);
      else
        nulls++;
    }
  }
  return cy_column_make(type, n, 0, nulls, bitmap, vals, NULL, out, err);
}

cy_status cy_column_from_strings(const char *const *strings, int64_t n, cy_column **out,
                                 cy_error *err) {
  cy_builder b;
  int64_t bytes = 0;
  for (int64_t i = 0; i < n; i++)
    if (strings[i]) bytes += (int64_t)strlen(strings[i]);
  cy_type type = cy_type_make(bytes > INT32_MAX ? CY_LARGE_UTF8 : CY_UTF8);
  CY_RETURN_NOT_OK(cy_builder_init(&b, type, n, err));
  cy_status st = cy_builder_reserve(&b, n, bytes, err);
  for (int64_t i = 0; st == CY_OK && i < n; i++) {
    if (strings[i])
      st = cy_builder_append_bytes(&b, strings[i], (int64_t)strlen(strings[i]), err);
    else
      st = cy_builder_append_null(&b, err);
  }
  if (st == CY_OK) st = cy_builder_finish(&b, out, err);
  cy_builder_reset(&b);
  return st;
}

cy_status cy_column_nulls(cy_type type, int64_t n, cy_column **out, cy_error *err) {
  cy_builder b;
  CY_RETURN_NOT_OK(cy_builder_init(&b, type, n, err));
  cy_status st = cy_builder_append_nulls(&b, n, err);
  if (st == CY_OK) st = cy_builder_finish(&b, out, err);
  cy_builder_reset(&b);
  return st;
}

cy_status cy_column_slice(cy_column *col, int64_t start, int64_t length, cy_column **out,
                          cy_error *err) {
  if (start < 0) start = 0;
  if (start > col->length) start = col->length;
  if (length < 0 || length > col->length - start) length = col->length - start;
  return cy_column_make(col->type, length, col->offset + start, col->validity ? -1 : 0,
                        cy_buffer_retain(col->validity), cy_buffer_retain(col->values),
                        cy_buffer_retain(col->data), out, err);
}

cy_column *cy_column_retain(cy_column *col) {
  if (col) __atomic_fetch_add(&col->refcount, 1, __ATOMIC_RELAXED);
  return col;
}

void cy_column_release(cy_column *col) {
  if (col == NULL) return;
  if (__atomic_fetch_sub(&col->refcount, 1, __ATOMIC_ACQ_REL) != 1) return;
  cy_buffer_release(col->validity);
  cy_buffer_release(col->values);
  cy_buffer_release(col->data);
  free(col);
}
