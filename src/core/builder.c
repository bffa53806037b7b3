/*
 * builder.c - growing a column one value (or one range of another column) at a time.
 *
 * Buffers grow geometrically. The validity bitmap is only made at the first null, so
 * columns without nulls never carry one. Typed appends check ranges, so a value that does
 * not fit is an error rather than a silent wrap-around.
 */
#include <stdlib.h>
#include <string.h>

#include "cylon/core.h"

static int64_t values_bytes(cy_type_id id, int64_t rows) {
  if (cy_type_is_var_width(id)) return (rows + 1) * (cy_type_is_large(id) ? 8 : 4);
  int bits = cy_type_bit_width(id);
  return bits == 1 ? cy_bitmap_bytes(rows) : rows * (bits / 8);
}

cy_status cy_builder_init(cy_builder *b, cy_type type, int64_t capacity, cy_error *err) {
  memset(b, 0, sizeof(*b));
  char tn[96];
  if (cy_type_bit_width(type.id) == 0 && !cy_type_is_var_width(type.id)) {
    cy_error_set(err, "cannot build a column of type %s", cy_type_name(&type, tn, sizeof tn));
    return CY_EINVAL;
  }
  b->type = type;
  if (capacity < 0) capacity = 0;
  CY_RETURN_NOT_OK(cy_buffer_alloc(values_bytes(type.id, capacity), &b->values, err));
  b->capacity = capacity;
  if (cy_type_is_var_width(type.id)) {
    memset(b->values->data, 0, cy_type_is_large(type.id) ? 8 : 4); /* first offset */
    cy_status st = cy_buffer_alloc(0, &b->data, err);
    if (st != CY_OK) {
      cy_builder_reset(b);
      return st;
    }
  }
  return CY_OK;
}

void cy_builder_reset(cy_builder *b) {
  cy_buffer_release(b->validity);
  cy_buffer_release(b->values);
  cy_buffer_release(b->data);
  memset(b, 0, sizeof(*b));
}

cy_status cy_builder_reserve(cy_builder *b, int64_t n, int64_t data_bytes, cy_error *err) {
  int64_t need = b->length + n;
  if (need > b->capacity) {
    int64_t cap = b->capacity * 2;
    if (cap < need) cap = need;
    if (cap < 16) cap = 16;
    CY_RETURN_NOT_OK(cy_buffer_reserve(b->values, values_bytes(b->type.id, cap), err));
    if (b->validity) {
      int64_t old = b->validity->capacity;
      CY_RETURN_NOT_OK(cy_buffer_reserve(b->validity, cy_bitmap_bytes(cap), err));
      if (b->validity->capacity > old)
        memset(b->validity->data + old, 0, (size_t)(b->validity->capacity - old));
    }
    b->capacity = cap;
  }
  if (b->data && b->data_length + data_bytes > b->data->capacity) {
    int64_t cap = b->data->capacity * 2;
    if (cap < b->data_length + data_bytes) cap = b->data_length + data_bytes;
    CY_RETURN_NOT_OK(cy_buffer_reserve(b->data, cap, err));
  }
  return CY_OK;
}

/* Make the validity bitmap at the first null: all rows so far are valid. */
static cy_status ensure_validity(cy_builder *b, cy_error *err) {
  if (b->validity) return CY_OK;
  int64_t bytes = cy_bitmap_bytes(b->capacity);
  CY_RETURN_NOT_OK(cy_buffer_alloc_zeroed(bytes, &b->validity, err));
  cy_bitmap_fill(b->validity->data, 0, b->length, true);
  return CY_OK;
}

/* Record row `length` as valid and close its offsets entry for var-width types. */
static void end_row(cy_builder *b, bool valid) {
  if (b->validity) cy_bit_set_to(b->validity->data, b->length, valid);
  if (b->data) {
    if (cy_type_is_large(b->type.id))
      ((int64_t *)b->values->data)[b->length + 1] = b->data_length;
    else
      ((int32_t *)b->values->data)[b->length + 1] = (int32_t)b->data_length;
  }
  b->length++;
}

cy_status cy_builder_append_nulls(cy_builder *b, int64_t n, cy_error *err) {
  if (n <= 0) return CY_OK;
  CY_RETURN_NOT_OK(cy_builder_reserve(b, n, 0, err));
  CY_RETURN_NOT_OK(ensure_validity(b, err));
  int width = cy_type_bit_width(b->type.id);
  if (width == 1)
    cy_bitmap_fill(b->values->data, b->length, n, false);
  else if (width > 0)
    memset(b->values->data + b->length * (width / 8), 0, (size_t)(n * (width / 8)));
  for (int64_t i = 0; i < n; i++) end_row(b, false);
  b->null_count += n;
  return CY_OK;
}

cy_status cy_builder_append_null(cy_builder *b, cy_error *err) {
  return cy_builder_append_nulls(b, 1, err);
}

static cy_status out_of_range(cy_builder *b, bool negative, uint64_t magnitude,
                              cy_error *err) {
  char tn[96];
  cy_error_set(err, "value %s%llu is out of range for %s", negative ? "-" : "",
               (unsigned long long)magnitude, cy_type_name(&b->type, tn, sizeof tn));
  return CY_ERANGE;
}
#define INT_OUT_OF_RANGE(v) out_of_range(b, (v) < 0, (v) < 0 ? 0 - (uint64_t)(v) : (uint64_t)(v), err)

cy_status cy_builder_append_int(cy_builder *b, int64_t v, cy_error *err) {
  CY_RETURN_NOT_OK(cy_builder_reserve(b, 1, 0, err));
  uint8_t *p = b->values->data;
  int64_t i = b->length;
  switch (b->type.id) {
    case CY_BOOL:
      if (v != 0 && v != 1) return INT_OUT_OF_RANGE(v);
      cy_bit_set_to(p, i, v != 0);
      break;
    case CY_INT8:
      if (v < INT8_MIN || v > INT8_MAX) return INT_OUT_OF_RANGE(v);
      ((int8_t *)p)[i] = (int8_t)v;
      break;
    case CY_INT16:
      if (v < INT16_MIN || v > INT16_MAX) return INT_OUT_OF_RANGE(v);
      ((int16_t *)p)[i] = (int16_t)v;
      break;
    case CY_INT32:
    case CY_DATE32:
      if (v < INT32_MIN || v > INT32_MAX) return INT_OUT_OF_RANGE(v);
      ((int32_t *)p)[i] = (int32_t)v;
      break;
    case CY_INT64:
    case CY_TIMESTAMP:
      ((int64_t *)p)[i] = v;
      break;
    case CY_UINT8: case CY_UINT16: case CY_UINT32: case CY_UINT64:
      if (v < 0) return INT_OUT_OF_RANGE(v);
      return cy_builder_append_uint(b, (uint64_t)v, err);
    case CY_FLOAT32:
      ((float *)p)[i] = (float)v;
      break;
    case CY_FLOAT64:
      ((double *)p)[i] = (double)v;
      break;
    case CY_DECIMAL128:
      return cy_builder_append_decimal128(b, (uint64_t)v, v < 0 ? -1 : 0, err);
    default: {
      char tn[96];
      cy_error_set(err, "cannot append an integer to a %s column",
                   cy_type_name(&b->type, tn, sizeof tn));
      return CY_EINVAL;
    }
  }
  end_row(b, true);
  return CY_OK;
}

cy_status cy_builder_append_uint(cy_builder *b, uint64_t v, cy_error *err) {
  CY_RETURN_NOT_OK(cy_builder_reserve(b, 1, 0, err));
  uint8_t *p = b->values->data;
  int64_t i = b->length;
  switch (b->type.id) {
    case CY_UINT8:
      if (v > UINT8_MAX) return out_of_range(b, false, v, err);
      ((uint8_t *)p)[i] = (uint8_t)v;
      break;
    case CY_UINT16:
      if (v > UINT16_MAX) return out_of_range(b, false, v, err);
      ((uint16_t *)p)[i] = (uint16_t)v;
      break;
    case CY_UINT32:
      if (v > UINT32_MAX) return out_of_range(b, false, v, err);
      ((uint32_t *)p)[i] = (uint32_t)v;
      break;
    case CY_UINT64:
      ((uint64_t *)p)[i] = v;
      break;
    default:
      if (v > INT64_MAX) return out_of_range(b, false, v, err);
      return cy_builder_append_int(b, (int64_t)v, err);
  }
  end_row(b, true);
  return CY_OK;
}

cy_status cy_builder_append_double(cy_builder *b, double v, cy_error *err) {
  CY_RETURN_NOT_OK(cy_builder_reserve(b, 1, 0, err));
  if (b->type.id == CY_FLOAT64) {
    ((double *)b->values->data)[b->length] = v;
  } else if (b->type.id == CY_FLOAT32) {
    ((float *)b->values->data)[b->length] = (float)v;
  } else {
    char tn[96];
    cy_error_set(err, "cannot append a float to a %s column",
                 cy_type_name(&b->type, tn, sizeof tn));
    return CY_EINVAL;
  }
  end_row(b, true);
  return CY_OK;
}

cy_status cy_builder_append_bytes(cy_builder *b, const void *bytes, int64_t len,
                                  cy_error *err) {
  if (!cy_type_is_var_width(b->type.id)) {
    char tn[96];
    cy_error_set(err, "cannot append bytes to a %s column",
                 cy_type_name(&b->type, tn, sizeof tn));
    return CY_EINVAL;
  }
  if (!cy_type_is_large(b->type.id) && b->data_length + len > INT32_MAX) {
    cy_error_set(err, "string data exceeds 2 GiB; use large_utf8 or large_binary");
    return CY_ERANGE;
  }
  CY_RETURN_NOT_OK(cy_builder_reserve(b, 1, len, err));
  if (len > 0) memcpy(b->data->data + b->data_length, bytes, (size_t)len);
  b->data_length += len;
  end_row(b, true);
  return CY_OK;
}

cy_status cy_builder_append_decimal128(cy_builder *b, uint64_t lo, int64_t hi, cy_error *err) {
  if (b->type.id != CY_DECIMAL128) {
    char tn[96];
    cy_error_set(err, "cannot append a decimal to a %s column",
                 cy_type_name(&b->type, tn, sizeof tn));
    return CY_EINVAL;
  }
  CY_RETURN_NOT_OK(cy_builder_reserve(b, 1, 0, err));
  uint8_t *p = b->values->data + b->length * 16;
  memcpy(p, &lo, 8);
  memcpy(p + 8, &hi, 8);
  end_row(b, true);
  return CY_OK;
}

cy_status cy_builder_append_column(cy_builder *b, const cy_column *col, int64_t start,
                                   int64_t n, cy_error *err) {
  char t1[96], t2[96];
  if (!cy_type_equals(&b->type, &col->type)) {
    cy_error_set(err, "cannot append a %s column to a %s builder",
                 cy_type_name(&col->type, t1, sizeof t1), cy_type_name(&b->type, t2, sizeof t2));
    return CY_EINVAL;
  }
  if (start < 0 || n < 0 || start + n > col->length) {
    cy_error_set(err, "rows [%lld, %lld) are outside a column of %lld rows", (long long)start,
                 (long long)(start + n), (long long)col->length);
    return CY_EINVAL;
  }
  if (n == 0) return CY_OK;
  int64_t src = col->offset + start;
  int64_t data_bytes = 0, first = 0;
  bool large = cy_type_is_large(col->type.id);
  if (b->data) {
    first = large ? ((const int64_t *)col->values->data)[src]
                  : ((const int32_t *)col->values->data)[src];
    int64_t last = large ? ((const int64_t *)col->values->data)[src + n]
                         : ((const int32_t *)col->values->data)[src + n];
    data_bytes = last - first;
    if (!large && b->data_length + data_bytes > INT32_MAX) {
      cy_error_set(err, "string data exceeds 2 GiB; use large_utf8 or large_binary");
      return CY_ERANGE;
    }
  }
  CY_RETURN_NOT_OK(cy_builder_reserve(b, n, data_bytes, err));
  if (col->null_count > 0) CY_RETURN_NOT_OK(ensure_validity(b, err));
  if (b->validity) {
    if (col->validity)
      cy_bitmap_copy(b->validity->data, b->length, col->validity->data, src, n);
    else
      cy_bitmap_fill(b->validity->data, b->length, n, true);
  }
  int bits = cy_type_bit_width(col->type.id);
  if (bits == 1) {
    cy_bitmap_copy(b->values->data, b->length, col->values->data, src, n);
  } else if (bits > 0) {
    memcpy(b->values->data + b->length * (bits / 8), col->values->data + src * (bits / 8),
           (size_t)(n * (bits / 8)));
  } else {
    memcpy(b->data->data + b->data_length, col->data->data + first, (size_t)data_bytes);
    int64_t shift = b->data_length - first;
    if (large) {
      const int64_t *so = (const int64_t *)col->values->data + src + 1;
      int64_t *dst = (int64_t *)b->values->data + b->length + 1;
      for (int64_t i = 0; i < n; i++) dst[i] = so[i] + shift;
    } else {
      const int32_t *so = (const int32_t *)col->values->data + src + 1;
      int32_t *dst = (int32_t *)b->values->data + b->length + 1;
      for (int64_t i = 0; i < n; i++) dst[i] = (int32_t)(so[i] + shift);
    }
    b->data_length += data_bytes;
  }
  b->length += n;
  if (col->validity) b->null_count += n - cy_bitmap_count_set(col->validity->data, src, n);
  return CY_OK;
}

cy_status cy_builder_finish(cy_builder *b, cy_column **out, cy_error *err) {
  b->values->size = values_bytes(b->type.id, b->length);
  if (b->validity) b->validity->size = cy_bitmap_bytes(b->length);
  if (b->data) b->data->size = b->data_length;
  cy_status st = cy_column_make(b->type, b->length, 0, b->null_count, b->validity, b->values,
                                b->data, out, err);
  /* cy_column_make took the buffers whatever happened. */
  b->validity = b->values = b->data = NULL;
  cy_builder_reset(b);
  return st;
}
