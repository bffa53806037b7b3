/*
 * parquet_write_column.c - how each cylon type is stored in Parquet, and the gathering of
 * a column's rows into the dense physical values the encoders take.
 *
 * The mapping (physical type, then LogicalType and the legacy ConvertedType where one
 * exists, so that old readers still see the meaning):
 *
 *   bool                  BOOLEAN
 *   int8 / int16 / int32  INT32   INTEGER(8|16|32, signed)    INT_8 / INT_16 / INT_32
 *   uint8 / 16 / 32       INT32   INTEGER(8|16|32, unsigned)  UINT_8 / UINT_16 / UINT_32
 *   int64                 INT64   (none: plain INT64 is a signed 64-bit integer)
 *   uint64                INT64   INTEGER(64, unsigned)       UINT_64
 *   float32 / float64     FLOAT / DOUBLE
 *   utf8, large_utf8      BYTE_ARRAY  STRING                  UTF8
 *   binary, large_binary  BYTE_ARRAY
 *   date32                INT32   DATE                        DATE
 *   timestamp[unit, tz]   INT64   TIMESTAMP(isAdjustedToUTC = has a zone, unit); seconds
 *                         are stored as milliseconds (Parquet has no seconds); the
 *                         converted TIMESTAMP_MILLIS / _MICROS only for zoned ms / us, as
 *                         the legacy types mean UTC instants
 *   decimal128(p, s)      INT32 for p <= 9, INT64 for p <= 18, else FIXED_LEN_BYTE_ARRAY(16)
 *                         big-endian; DECIMAL(p, s) and the converted DECIMAL
 *
 * Every column is OPTIONAL (definition levels 0 / 1), whether or not it has nulls, as
 * DuckDB, pandas and Arrow write nullable columns: the levels of a column without nulls
 * are one RLE run per page (a few bytes), and the schema does not depend on the data.
 *
 * Gathering leaves nulls out (Parquet stores only the non-null values) and converts what
 * the physical type needs. A column without nulls whose values are already in physical
 * form (int32, int64, floats, dates, timestamps in ms / us / ns) is not copied at all.
 */
#include <stdlib.h>
#include <string.h>

#include "io/parquet_write.h"

/* ---- the mapping --------------------------------------------------------------------- */

static void set_integer(pqw_column *c, int32_t physical, int bits, bool is_signed,
                        int32_t converted) {
  c->schema.type = physical;
  c->schema.logical.kind = PQ_LT_INTEGER;
  c->schema.logical.bit_width = bits;
  c->schema.logical.is_signed = is_signed;
  c->schema.converted_type = converted;
  c->kind = physical == PQ_INT32 ? (is_signed ? PQW_I32 : PQW_U32)
                                 : (is_signed ? PQW_I64 : PQW_U64);
  c->legacy_stats = is_signed;
}

static void set_timestamp(pqw_column *c, const cy_type *t) {
  bool utc = t->timezone[0] != 0;
  c->schema.type = PQ_INT64;
  c->kind = PQW_I64;
  c->legacy_stats = true;
  c->schema.logical.kind = PQ_LT_TIMESTAMP;
  c->schema.logical.is_adjusted_to_utc = utc;
  switch (t->unit) {
    case CY_SECOND:
      c->multiplier = 1000;
      /* fall through */
    case CY_MILLI:
      c->schema.logical.unit = PQ_UNIT_MILLIS;
      if (utc) c->schema.converted_type = PQ_CT_TIMESTAMP_MILLIS;
      break;
    case CY_MICRO:
      c->schema.logical.unit = PQ_UNIT_MICROS;
      if (utc) c->schema.converted_type = PQ_CT_TIMESTAMP_MICROS;
      break;
    default:
      c->schema.logical.unit = PQ_UNIT_NANOS;
      break;
  }
}

static cy_status set_decimal(pqw_column *c, const cy_type *t, cy_error *err) {
  if (t->precision < 1 || t->precision > 38 || t->scale < 0 || t->scale > t->precision) {
    cy_error_set(err, "column \"%s\": decimal128(%d, %d) cannot be written to Parquet, "
                 "which needs 1 <= precision <= 38 and 0 <= scale <= precision",
                 c->name, (int)t->precision, (int)t->scale);
    return CY_ENOTSUP;
  }
  c->schema.logical.kind = PQ_LT_DECIMAL;
  c->schema.logical.precision = t->precision;
  c->schema.logical.scale = t->scale;
  c->schema.converted_type = PQ_CT_DECIMAL;
  c->schema.has_precision = c->schema.has_scale = true;
  c->schema.precision = t->precision;
  c->schema.scale = t->scale;
  if (t->precision <= 9) {
    c->schema.type = PQ_INT32;
    c->kind = PQW_I32;
    c->legacy_stats = true;
  } else if (t->precision <= 18) {
    c->schema.type = PQ_INT64;
    c->kind = PQW_I64;
    c->legacy_stats = true;
  } else {
    c->schema.type = PQ_FIXED_LEN_BYTE_ARRAY;
    c->schema.has_type_length = true;
    c->schema.type_length = 16;
    c->kind = PQW_DEC16;
  }
  return CY_OK;
}

cy_status pqw_column_init(pqw_column *c, const cy_field *field, cy_error *err) {
  memset(c, 0, sizeof(*c));
  c->name = field->name;
  c->type = field->type;
  c->multiplier = 1;
  c->schema = pq_schema_element_init();
  c->schema.name = field->name;
  c->schema.has_type = true;
  c->schema.has_repetition = true;
  c->schema.repetition = PQ_OPTIONAL;
  switch (field->type.id) {
    case CY_BOOL:
      c->schema.type = PQ_BOOLEAN;
      c->kind = PQW_BOOL;
      c->legacy_stats = true;
      return CY_OK;
    case CY_INT8: set_integer(c, PQ_INT32, 8, true, PQ_CT_INT_8); return CY_OK;
    case CY_INT16: set_integer(c, PQ_INT32, 16, true, PQ_CT_INT_16); return CY_OK;
    case CY_INT32: set_integer(c, PQ_INT32, 32, true, PQ_CT_INT_32); return CY_OK;
    case CY_UINT8: set_integer(c, PQ_INT32, 8, false, PQ_CT_UINT_8); return CY_OK;
    case CY_UINT16: set_integer(c, PQ_INT32, 16, false, PQ_CT_UINT_16); return CY_OK;
    case CY_UINT32: set_integer(c, PQ_INT32, 32, false, PQ_CT_UINT_32); return CY_OK;
    case CY_UINT64: set_integer(c, PQ_INT64, 64, false, PQ_CT_UINT_64); return CY_OK;
    case CY_INT64:
      c->schema.type = PQ_INT64;
      c->kind = PQW_I64;
      c->legacy_stats = true;
      return CY_OK;
    case CY_FLOAT32:
    case CY_FLOAT64:
      c->schema.type = field->type.id == CY_FLOAT32 ? PQ_FLOAT : PQ_DOUBLE;
      c->kind = field->type.id == CY_FLOAT32 ? PQW_F32 : PQW_F64;
      c->legacy_stats = true;
      return CY_OK;
    case CY_UTF8:
    case CY_LARGE_UTF8:
      c->schema.logical.kind = PQ_LT_STRING;
      c->schema.converted_type = PQ_CT_UTF8;
      /* fall through */
    case CY_BINARY:
    case CY_LARGE_BINARY:
      c->schema.type = PQ_BYTE_ARRAY;
      c->kind = PQW_BYTES;
      return CY_OK;
    case CY_DATE32:
      c->schema.type = PQ_INT32;
      c->schema.logical.kind = PQ_LT_DATE;
      c->schema.converted_type = PQ_CT_DATE;
      c->kind = PQW_I32;
      c->legacy_stats = true;
      return CY_OK;
    case CY_TIMESTAMP: set_timestamp(c, &field->type); return CY_OK;
    case CY_DECIMAL128: return set_decimal(c, &field->type, err);
  }
  char name[96];
  cy_error_set(err, "column \"%s\": type %s cannot be written to Parquet", field->name,
               cy_type_name(&field->type, name, sizeof(name)));
  return CY_ENOTSUP;
}

/* ---- gathering ----------------------------------------------------------------------- */

/* Row indices [start, start + n) of col that hold values, for the converting loops. */
#define FOR_VALID(col, start, n, i)                                                    \
  for (int64_t i = (start); i < (start) + (n); i++)                                   \
    if ((col)->validity == NULL || cy_bit_get((col)->validity->data, (col)->offset + i))

static cy_status no_memory(const pqw_column *c, cy_error *err) {
  cy_error_set(err, "out of memory writing column \"%s\" to Parquet", c->name);
  return CY_ENOMEM;
}

/* Widen int8 / int16 / uint8 / uint16 to int32 (unsigned ones by zero extension). */
#define WIDEN(T)                                                     \
  do {                                                               \
    const T *src = (const T *)col->values->data + col->offset;       \
    int32_t *dst = buf;                                              \
    FOR_VALID(col, start, n, i) *dst++ = (int32_t)src[i];            \
  } while (0)

/* Copy the non-null values of a column already in physical form. */
static void compact(const cy_column *col, int64_t start, int64_t n, int width, uint8_t *dst) {
  const uint8_t *src = (const uint8_t *)col->values->data + col->offset * width;
  FOR_VALID(col, start, n, i) {
    memcpy(dst, src + i * width, (size_t)width);
    dst += width;
  }
}

static cy_status gather_seconds(const pqw_column *c, const cy_column *col, int64_t start,
                                int64_t n, int64_t *dst, cy_error *err) {
  const int64_t *src = (const int64_t *)col->values->data + col->offset;
  FOR_VALID(col, start, n, i) {
    if (__builtin_mul_overflow(src[i], c->multiplier, dst)) {
      cy_error_set(err, "column \"%s\", row %lld: timestamp %lld s is out of Parquet's "
                   "range (milliseconds in 64 bits)", c->name, (long long)i,
                   (long long)src[i]);
      return CY_ERANGE;
    }
    dst++;
  }
  return CY_OK;
}

/* Decimals: 16-byte little-endian two's complement in, the physical form out. */
static cy_status gather_decimal(const pqw_column *c, const cy_column *col, int64_t start,
                                int64_t n, void *buf, cy_error *err) {
  const uint8_t *src = col->values->data + col->offset * 16;
  uint8_t *out = buf;
  FOR_VALID(col, start, n, i) {
    uint64_t lo;
    int64_t hi;
    memcpy(&lo, src + 16 * i, 8);
    memcpy(&hi, src + 16 * i + 8, 8);
    if (c->kind == PQW_DEC16) {
      for (int b = 0; b < 16; b++) out[b] = src[16 * i + 15 - b];
      out += 16;
      continue;
    }
    int64_t v = (int64_t)lo;
    bool fits = hi == (v < 0 ? -1 : 0) && (c->kind == PQW_I64 || (v >= INT32_MIN && v <= INT32_MAX));
    if (!fits) {
      cy_error_set(err, "column \"%s\", row %lld: decimal value has more digits than its "
                   "precision %d allows", c->name, (long long)i, (int)c->type.precision);
      return CY_ERANGE;
    }
    if (c->kind == PQW_I64) {
      memcpy(out, &v, 8);
      out += 8;
    } else {
      int32_t v32 = (int32_t)v;
      memcpy(out, &v32, 4);
      out += 4;
    }
  }
  return CY_OK;
}

static cy_status gather_bytes(const pqw_column *c, const cy_column *col, int64_t start,
                              int64_t n, pqw_slice *out, cy_error *err) {
  if (cy_type_is_large(col->type.id)) {
    const int64_t *o = (const int64_t *)col->values->data + col->offset;
    FOR_VALID(col, start, n, i) {
      out->ptr = col->data->data + o[i];
      (out++)->len = o[i + 1] - o[i];
    }
  } else {
    const int32_t *o = (const int32_t *)col->values->data + col->offset;
    FOR_VALID(col, start, n, i) {
      out->ptr = col->data->data + o[i];
      (out++)->len = (int64_t)o[i + 1] - o[i];
    }
  }
  return CY_OK;
}

/* The values need converting (or compacting around nulls) into a buffer. */
static cy_status gather_into(const pqw_column *c, const cy_column *col, int64_t start,
                             int64_t n, void *buf, cy_error *err) {
  switch (col->type.id) {
    case CY_BOOL: {
      uint8_t *dst = buf;
      FOR_VALID(col, start, n, i) *dst++ = cy_column_bool(col, i);
      return CY_OK;
    }
    case CY_INT8: WIDEN(int8_t); return CY_OK;
    case CY_INT16: WIDEN(int16_t); return CY_OK;
    case CY_UINT8: WIDEN(uint8_t); return CY_OK;
    case CY_UINT16: WIDEN(uint16_t); return CY_OK;
    case CY_TIMESTAMP:
      if (c->multiplier != 1) return gather_seconds(c, col, start, n, buf, err);
      compact(col, start, n, 8, buf);
      return CY_OK;
    case CY_DECIMAL128: return gather_decimal(c, col, start, n, buf, err);
    case CY_UTF8:
    case CY_LARGE_UTF8:
    case CY_BINARY:
    case CY_LARGE_BINARY: return gather_bytes(c, col, start, n, buf, err);
    default: compact(col, start, n, pqw_kind_width(c->kind), buf); return CY_OK;
  }
}

/* True when the column's own buffer already holds the chunk's values as they are stored. */
static bool borrowable(const pqw_column *c, const cy_column *col) {
  if (col->null_count > 0 || c->multiplier != 1) return false;
  switch (col->type.id) {
    case CY_INT32:
    case CY_UINT32:
    case CY_INT64:
    case CY_UINT64:
    case CY_FLOAT32:
    case CY_FLOAT64:
    case CY_DATE32:
    case CY_TIMESTAMP: return true;
    default: return false;
  }
}

cy_status pqw_gather(const pqw_column *c, const cy_column *col, int64_t start, int64_t n,
                     pqw_values *out, void **buf, int64_t *cap, cy_error *err) {
  memset(out, 0, sizeof(*out));
  out->kind = c->kind;
  int width = pqw_kind_width(c->kind);
  if (borrowable(c, col)) {
    out->count = n;
    out->fixed = (const uint8_t *)col->values->data + (col->offset + start) * width;
    return CY_OK;
  }
  int64_t count = col->validity ? cy_bitmap_count_set(col->validity->data, col->offset + start, n)
                                : n;
  int64_t need = (count > 0 ? count : 1) * (c->kind == PQW_BYTES ? (int64_t)sizeof(pqw_slice) : width);
  if (need > *cap) {
    void *grown = realloc(*buf, (size_t)need);
    if (grown == NULL) return no_memory(c, err);
    *buf = grown;
    *cap = need;
  }
  CY_RETURN_NOT_OK(gather_into(c, col, start, n, *buf, err));
  out->count = count;
  if (c->kind == PQW_BYTES)
    out->bytes = *buf;
  else
    out->fixed = *buf;
  return CY_OK;
}
