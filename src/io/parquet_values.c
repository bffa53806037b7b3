/*
 * parquet_values.c - physical Parquet values to cylon's in-memory values: conversions
 * between representations, spreading dense values over the non-null rows, and gathering
 * dictionary entries.
 *
 * Pages store only the non-null values, densely. The column decoder writes them densely
 * at the start of the page's rows in the output and then spreads them backwards into
 * their rows (a value never moves to an earlier row, so one backward pass in place is
 * enough), zeroing the null rows so the output is deterministic.
 */
#include <math.h>
#include <string.h>

#include "io/parquet_reader.h"

int pqv_physical_width(const pq_field *fld) {
  switch (fld->physical) {
    case PQ_INT32: case PQ_FLOAT: return 4;
    case PQ_INT64: case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FIXED_LEN_BYTE_ARRAY: return fld->type_length;
    default: return 0;
  }
}

/* Julian day number of 1970-01-01, and nanoseconds per day, for INT96 timestamps. */
#define JULIAN_EPOCH 2440588
#define NANOS_PER_DAY 86400000000000LL

static void int96_to_ns(const uint8_t *src, int64_t n, int64_t *dst) {
  for (int64_t i = 0; i < n; i++, src += 12) {
    int64_t nanos;
    int32_t day;
    memcpy(&nanos, src, 8);
    memcpy(&day, src + 8, 4);
    /* Wrapping arithmetic: values beyond timestamp[ns]'s range wrap instead of being UB. */
    uint64_t v = (uint64_t)((int64_t)day - JULIAN_EPOCH) * (uint64_t)NANOS_PER_DAY + (uint64_t)nanos;
    dst[i] = (int64_t)v;
  }
}

/* A big-endian two's complement integer of len bytes as a 16-byte little-endian one. */
static bool be_to_dec128(const uint8_t *p, int64_t len, uint8_t *out) {
  uint8_t sign = len > 0 && (p[0] & 0x80) ? 0xff : 0;
  if (len > 16) {
    for (int64_t i = 0; i < len - 16; i++)
      if (p[i] != sign) return false;
    if ((p[len - 16] & 0x80) != (sign & 0x80)) return false;
    p += len - 16;
    len = 16;
  }
  memset(out, sign, 16);
  for (int64_t i = 0; i < len; i++) out[i] = p[len - 1 - i];
  return true;
}

static float half_to_float(uint16_t h) {
  int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0)
    v = ldexpf((float)mant, -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = ldexpf((float)(mant | 0x400), exp - 25);
  return sign ? -v : v;
}

static cy_status too_wide(int64_t len, cy_error *err) {
  cy_error_set(err, "a decimal value of %lld bytes does not fit in 128 bits", (long long)len);
  return CY_EINVAL;
}

cy_status pqv_convert(const pq_field *fld, const uint8_t *src, int64_t n, uint8_t *dst,
                      cy_error *err) {
  switch (fld->conv) {
    case PQ_CONV_COPY:
      if (n) memcpy(dst, src, (size_t)(n * fld->width));
      return CY_OK;
    case PQ_CONV_I32_I8:
      for (int64_t i = 0; i < n; i++) {
        int32_t v;
        memcpy(&v, src + 4 * i, 4);
        dst[i] = (uint8_t)v;
      }
      return CY_OK;
    case PQ_CONV_I32_I16:
      for (int64_t i = 0; i < n; i++) {
        int32_t v;
        memcpy(&v, src + 4 * i, 4);
        uint16_t w = (uint16_t)v;
        memcpy(dst + 2 * i, &w, 2);
      }
      return CY_OK;
    case PQ_CONV_I32_DEC:
    case PQ_CONV_I64_DEC: {
      int pw = fld->conv == PQ_CONV_I32_DEC ? 4 : 8;
      for (int64_t i = 0; i < n; i++) {
        int64_t v;
        if (pw == 4) {
          int32_t v32;
          memcpy(&v32, src + 4 * i, 4);
          v = v32;
        } else {
          memcpy(&v, src + 8 * i, 8);
        }
        int64_t hi = v < 0 ? -1 : 0;
        memcpy(dst + 16 * i, &v, 8);
        memcpy(dst + 16 * i + 8, &hi, 8);
      }
      return CY_OK;
    }
    case PQ_CONV_INT96_NS:
      int96_to_ns(src, n, (int64_t *)(void *)dst);
      return CY_OK;
    case PQ_CONV_FLBA_DEC:
      for (int64_t i = 0; i < n; i++)
        if (!be_to_dec128(src + i * fld->type_length, fld->type_length, dst + 16 * i))
          return too_wide(fld->type_length, err);
      return CY_OK;
    case PQ_CONV_F16_F32:
      for (int64_t i = 0; i < n; i++) {
        uint16_t h = (uint16_t)(src[2 * i] | src[2 * i + 1] << 8);
        float f = half_to_float(h);
        memcpy(dst + 4 * i, &f, 4);
      }
      return CY_OK;
    default:
      cy_error_set(err, "internal error: conversion %d is not for fixed-width values",
                   (int)fld->conv);
      return CY_EINVAL;
  }
}

cy_status pqv_convert_slices(const pq_field *fld, const pqd_slice *src, int64_t n,
                             uint8_t *dst, cy_error *err) {
  if (fld->conv != PQ_CONV_BYTES_DEC) {
    cy_error_set(err, "internal error: conversion %d is not for byte arrays", (int)fld->conv);
    return CY_EINVAL;
  }
  for (int64_t i = 0; i < n; i++)
    if (!be_to_dec128(src[i].ptr, src[i].len, dst + 16 * i)) return too_wide(src[i].len, err);
  return CY_OK;
}

#define SPREAD(T)                                         \
  do {                                                    \
    T *d = (T *)(void *)dst;                              \
    for (; i >= 0 && k < i; i--) {                        \
      if (cy_bit_get(valid, bit0 + i)) {                  \
        d[i] = d[k--];                                    \
      } else {                                            \
        memset(&d[i], 0, sizeof(T));                      \
      }                                                   \
    }                                                     \
  } while (0)

void pqv_spread(uint8_t *dst, int width, int64_t n, int64_t nn, const uint8_t *valid,
                int64_t bit0) {
  int64_t i = n - 1, k = nn - 1;
  switch (width) {
    case 1: SPREAD(uint8_t); return;
    case 2: SPREAD(uint16_t); return;
    case 4: SPREAD(uint32_t); return;
    case 8: SPREAD(uint64_t); return;
    default:
      for (; i >= 0 && k < i; i--) {
        if (cy_bit_get(valid, bit0 + i))
          memmove(dst + i * width, dst + (k--) * width, (size_t)width);
        else
          memset(dst + i * width, 0, (size_t)width);
      }
  }
}

void pqv_spread_bits(uint8_t *bits, int64_t bit0, int64_t n, int64_t nn,
                     const uint8_t *valid) {
  for (int64_t i = n - 1, k = nn - 1; i >= 0 && k < i; i--) {
    if (cy_bit_get(valid, bit0 + i))
      cy_bit_set_to(bits, bit0 + i, cy_bit_get(bits, bit0 + (k--)));
    else
      cy_bit_clear(bits, bit0 + i);
  }
}

#define GATHER(T)                                           \
  do {                                                      \
    T *d = (T *)(void *)dst;                                \
    const T *s = (const T *)(const void *)dict;             \
    for (int64_t i = 0; i < n; i++) d[i] = s[idx[i]];       \
  } while (0)

void pqv_gather(uint8_t *dst, int width, const uint8_t *dict, const uint32_t *idx, int64_t n) {
  switch (width) {
    case 1: GATHER(uint8_t); return;
    case 2: GATHER(uint16_t); return;
    case 4: GATHER(uint32_t); return;
    case 8: GATHER(uint64_t); return;
    default:
      for (int64_t i = 0; i < n; i++)
        memcpy(dst + i * width, dict + (int64_t)idx[i] * width, (size_t)width);
  }
}
