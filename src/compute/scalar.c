/*
 * scalar.c - single values: constructors and reading one out of a column.
 */
#include <string.h>

#include "cylon/compute.h"

cy_scalar cy_scalar_null(cy_type type) {
  cy_scalar s;
  memset(&s, 0, sizeof s);
  s.type = type;
  return s;
}

cy_scalar cy_scalar_int64(int64_t v) {
  cy_scalar s = cy_scalar_null(cy_type_make(CY_INT64));
  s.valid = true;
  s.v.i = v;
  return s;
}

cy_scalar cy_scalar_float64(double v) {
  cy_scalar s = cy_scalar_null(cy_type_make(CY_FLOAT64));
  s.valid = true;
  s.v.f = v;
  return s;
}

cy_scalar cy_scalar_bool(bool v) {
  cy_scalar s = cy_scalar_null(cy_type_make(CY_BOOL));
  s.valid = true;
  s.v.b = v;
  return s;
}

cy_scalar cy_scalar_string(const char *str) {
  cy_scalar s = cy_scalar_null(cy_type_make(CY_UTF8));
  s.valid = true;
  s.v.s.data = str;
  s.v.s.len = (int64_t)strlen(str);
  return s;
}

cy_scalar cy_column_scalar(const cy_column *col, int64_t i) {
  cy_scalar s = cy_scalar_null(col->type);
  if (!cy_column_is_valid(col, i)) return s;
  s.valid = true;
  const uint8_t *p = col->values->data;
  int64_t k = col->offset + i;
  switch (col->type.id) {
    case CY_BOOL: s.v.b = cy_column_bool(col, i); break;
    case CY_INT8: s.v.i = ((const int8_t *)p)[k]; break;
    case CY_INT16: s.v.i = ((const int16_t *)p)[k]; break;
    case CY_INT32: case CY_DATE32: s.v.i = ((const int32_t *)p)[k]; break;
    case CY_INT64: case CY_TIMESTAMP: s.v.i = ((const int64_t *)p)[k]; break;
    case CY_UINT8: s.v.u = p[k]; break;
    case CY_UINT16: s.v.u = ((const uint16_t *)p)[k]; break;
    case CY_UINT32: s.v.u = ((const uint32_t *)p)[k]; break;
    case CY_UINT64: s.v.u = ((const uint64_t *)p)[k]; break;
    case CY_FLOAT32: s.v.f = ((const float *)p)[k]; break;
    case CY_FLOAT64: s.v.f = ((const double *)p)[k]; break;
    case CY_DECIMAL128:
      memcpy(&s.v.d.lo, p + k * 16, 8);
      memcpy(&s.v.d.hi, p + k * 16 + 8, 8);
      break;
    default: {
      int64_t len;
      s.v.s.data = (const char *)cy_column_bytes(col, i, &len);
      s.v.s.len = len;
    }
  }
  return s;
}
