/*
 * row.c - hashing, comparing and naming rows and columns for the operators.
 *
 * Hashing is done a column at a time over all rows (one tight loop per type), combining
 * into an array of row hashes; this is far faster than hashing row by row through a switch.
 */
#include "compute/row.h"

#include <math.h>

cy_status cy_find_columns(const cy_table *table, const char *const *names, int32_t n,
                          const char *what, int32_t *indices, cy_error *err) {
  for (int32_t i = 0; i < n; i++) {
    indices[i] = names[i] ? cy_schema_find(&table->schema, names[i]) : -1;
    if (indices[i] < 0) {
      char buf[512];
      cy_error_set(err, "%s: no column named '%s' in %s", what, names[i] ? names[i] : "(null)",
                   cy_schema_format(&table->schema, buf, sizeof buf));
      return CY_ENOENT;
    }
  }
  return CY_OK;
}

uint64_t cy_hash_bytes(const uint8_t *p, int64_t n) {
  uint64_t h = 0x243F6A8885A308D3ull ^ (uint64_t)n;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ cy_hash_u64(w)) * 0x9E3779B97F4A7C15ull;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  memcpy(&tail, p, (size_t)n);
  return cy_hash_u64(h ^ tail);
}

/* Canonical bits of a double: -0.0 as 0.0 and every NaN as one NaN, so equal values (by
 * the equality operators use) hash alike. */
static inline uint64_t double_bits(double d) {
  if (d == 0.0) d = 0.0;
  if (isnan(d)) return 0x7ff8000000000000ull;
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

/* The hash a row of col contributes: x, or CY_HASH_NULL for a null row (whose value bytes
 * are meaningless, so must not reach the hash). */
#define OR_NULL(x) (nulls && !cy_column_is_valid(col, i) ? CY_HASH_NULL : (x))

/* The first rows go through the AVX-512 kernels where the CPU has them (hash_simd.c, same
 * hashes); the scalar loop does the rest: all rows, or the last few. */
#define HASH_LOOP(T, EXPR)                                                               \
  do {                                                                                   \
    const T *v = (const T *)col->values->data + col->offset;                             \
    int64_t i = cy_hash_column_simd(col, h, first);                                      \
    if (first)                                                                           \
      for (; i < n; i++) h[i] = OR_NULL(cy_hash_u64(EXPR));                              \
    else                                                                                 \
      for (; i < n; i++) h[i] = cy_hash_combine(h[i], OR_NULL(cy_hash_u64(EXPR)));       \
  } while (0)

void cy_hash_column(const cy_column *col, uint64_t *h, bool first) {
  int64_t n = col->length;
  bool nulls = col->null_count > 0;
  switch (col->type.id) {
    case CY_INT8: HASH_LOOP(int8_t, (uint64_t)(int64_t)v[i]); break;
    case CY_UINT8: HASH_LOOP(uint8_t, (uint64_t)v[i]); break;
    case CY_INT16: HASH_LOOP(int16_t, (uint64_t)(int64_t)v[i]); break;
    case CY_UINT16: HASH_LOOP(uint16_t, (uint64_t)v[i]); break;
    case CY_INT32: case CY_DATE32: HASH_LOOP(int32_t, (uint64_t)(int64_t)v[i]); break;
    case CY_UINT32: HASH_LOOP(uint32_t, (uint64_t)v[i]); break;
    case CY_INT64: case CY_TIMESTAMP: case CY_UINT64: HASH_LOOP(uint64_t, v[i]); break;
    case CY_FLOAT32: HASH_LOOP(float, double_bits((double)v[i])); break;
    case CY_FLOAT64: HASH_LOOP(double, double_bits(v[i])); break;
    case CY_DECIMAL128: { /* two words a value: the offset counts values, not words */
      const uint64_t *v = (const uint64_t *)col->values->data + 2 * col->offset;
      for (int64_t i = 0; i < n; i++) {
        uint64_t x = OR_NULL(cy_hash_u64(v[2 * i] ^ cy_hash_u64(v[2 * i + 1])));
        h[i] = first ? x : cy_hash_combine(h[i], x);
      }
      break;
    }
    case CY_BOOL:
      for (int64_t i = 0; i < n; i++) {
        uint64_t x = OR_NULL(cy_hash_u64(cy_column_bool(col, i)));
        h[i] = first ? x : cy_hash_combine(h[i], x);
      }
      break;
    default: /* var-width */
      for (int64_t i = 0; i < n; i++) {
        int64_t len;
        const uint8_t *p = cy_column_bytes(col, i, &len);
        uint64_t x = OR_NULL(cy_hash_bytes(p, len));
        h[i] = first ? x : cy_hash_combine(h[i], x);
      }
  }
}

#undef HASH_LOOP
#undef OR_NULL

cy_status cy_table_hash_rows(const cy_table *table, const int32_t *columns, int32_t n,
                             uint64_t *hashes, cy_error *err) {
  if (n == 0) {
    for (int64_t i = 0; i < table->num_rows; i++) hashes[i] = CY_HASH_NULL;
    return CY_OK;
  }
  for (int32_t c = 0; c < n; c++) {
    if (columns[c] < 0 || columns[c] >= table->schema.num_fields) {
      cy_error_set(err, "column index %d is out of range for a table of %d columns",
                   (int)columns[c], (int)table->schema.num_fields);
      return CY_EINVAL;
    }
    cy_hash_column(table->columns[columns[c]], hashes, c == 0);
  }
  return CY_OK;
}

/* Value equality of row i of a and row j of b, both valid, same type. */
static bool values_equal(const cy_column *a, int64_t i, const cy_column *b, int64_t j) {
  int64_t ai = a->offset + i, bj = b->offset + j;
  switch (a->type.id) {
    case CY_BOOL: return cy_column_bool(a, i) == cy_column_bool(b, j);
    case CY_INT8: case CY_UINT8: return a->values->data[ai] == b->values->data[bj];
    case CY_INT16: case CY_UINT16:
      return ((const uint16_t *)a->values->data)[ai] == ((const uint16_t *)b->values->data)[bj];
    case CY_INT32: case CY_UINT32: case CY_DATE32:
      return ((const uint32_t *)a->values->data)[ai] == ((const uint32_t *)b->values->data)[bj];
    case CY_INT64: case CY_UINT64: case CY_TIMESTAMP:
      return ((const uint64_t *)a->values->data)[ai] == ((const uint64_t *)b->values->data)[bj];
    case CY_FLOAT32: {
      float x = ((const float *)a->values->data)[ai], y = ((const float *)b->values->data)[bj];
      return x == y || (isnan(x) && isnan(y));
    }
    case CY_FLOAT64: {
      double x = ((const double *)a->values->data)[ai], y = ((const double *)b->values->data)[bj];
      return x == y || (isnan(x) && isnan(y));
    }
    case CY_DECIMAL128:
      return memcmp(a->values->data + ai * 16, b->values->data + bj * 16, 16) == 0;
    default: {
      int64_t la, lb;
      const uint8_t *pa = cy_column_bytes(a, i, &la), *pb = cy_column_bytes(b, j, &lb);
      return la == lb && memcmp(pa, pb, (size_t)la) == 0;
    }
  }
}

bool cy_rows_equal(const cy_column *const *a, int64_t i, const cy_column *const *b, int64_t j,
                   int32_t n) {
  for (int32_t c = 0; c < n; c++) {
    bool va = cy_column_is_valid(a[c], i), vb = cy_column_is_valid(b[c], j);
    if (va != vb) return false;
    if (va && !values_equal(a[c], i, b[c], j)) return false;
  }
  return true;
}

#define CMP(x, y) ((x) < (y) ? -1 : (x) > (y) ? 1 : 0)

int cy_value_compare(const cy_column *a, int64_t i, const cy_column *b, int64_t j) {
  bool va = cy_column_is_valid(a, i), vb = cy_column_is_valid(b, j);
  if (!va || !vb) return va == vb ? 0 : va ? -1 : 1; /* nulls last */
  int64_t ai = a->offset + i, bj = b->offset + j;
  const uint8_t *pa = a->values->data, *pb = b->values->data;
  switch (a->type.id) {
    case CY_BOOL: return CMP(cy_column_bool(a, i), cy_column_bool(b, j));
    case CY_INT8: return CMP(((const int8_t *)pa)[ai], ((const int8_t *)pb)[bj]);
    case CY_UINT8: return CMP(pa[ai], pb[bj]);
    case CY_INT16: return CMP(((const int16_t *)pa)[ai], ((const int16_t *)pb)[bj]);
    case CY_UINT16: return CMP(((const uint16_t *)pa)[ai], ((const uint16_t *)pb)[bj]);
    case CY_INT32: case CY_DATE32: return CMP(((const int32_t *)pa)[ai], ((const int32_t *)pb)[bj]);
    case CY_UINT32: return CMP(((const uint32_t *)pa)[ai], ((const uint32_t *)pb)[bj]);
    case CY_INT64: case CY_TIMESTAMP: return CMP(((const int64_t *)pa)[ai], ((const int64_t *)pb)[bj]);
    case CY_UINT64: return CMP(((const uint64_t *)pa)[ai], ((const uint64_t *)pb)[bj]);
    case CY_FLOAT32: case CY_FLOAT64: {
      double x = a->type.id == CY_FLOAT32 ? ((const float *)pa)[ai] : ((const double *)pa)[ai];
      double y = b->type.id == CY_FLOAT32 ? ((const float *)pb)[bj] : ((const double *)pb)[bj];
      if (isnan(x) || isnan(y)) return isnan(x) == isnan(y) ? 0 : isnan(x) ? 1 : -1;
      return CMP(x, y);
    }
    case CY_DECIMAL128: {
      int64_t ha, hb;
      uint64_t la, lb;
      memcpy(&la, pa + ai * 16, 8);
      memcpy(&ha, pa + ai * 16 + 8, 8);
      memcpy(&lb, pb + bj * 16, 8);
      memcpy(&hb, pb + bj * 16 + 8, 8);
      return ha != hb ? CMP(ha, hb) : CMP(la, lb);
    }
    default: {
      int64_t la, lb;
      const uint8_t *sa = cy_column_bytes(a, i, &la), *sb = cy_column_bytes(b, j, &lb);
      int c = memcmp(sa, sb, (size_t)(la < lb ? la : lb));
      return c != 0 ? (c < 0 ? -1 : 1) : CMP(la, lb);
    }
  }
}

#undef CMP

bool cy_types_compatible(const cy_type *a, const cy_type *b) {
  if (cy_type_equals(a, b)) return true;
  if (cy_type_is_numeric(a->id) && cy_type_is_numeric(b->id)) return true;
  /* utf8 with large utf8, binary with large binary */
  bool sa = a->id == CY_UTF8 || a->id == CY_LARGE_UTF8, sb = b->id == CY_UTF8 || b->id == CY_LARGE_UTF8;
  bool ba = a->id == CY_BINARY || a->id == CY_LARGE_BINARY, bb = b->id == CY_BINARY || b->id == CY_LARGE_BINARY;
  return (sa && sb) || (ba && bb);
}

cy_type cy_common_numeric_type(const cy_type *a, const cy_type *b) {
  bool fa = a->id == CY_FLOAT32 || a->id == CY_FLOAT64, fb = b->id == CY_FLOAT32 || b->id == CY_FLOAT64;
  if (fa || fb) return cy_type_make(CY_FLOAT64);
  if (a->id == CY_UINT64 && b->id == CY_UINT64) return cy_type_make(CY_UINT64);
  return cy_type_make(CY_INT64);
}
