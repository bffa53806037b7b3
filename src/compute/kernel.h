/*
 * kernel.h - what the element-wise column kernels share (private to the library): type
 * families, combining validity bitmaps, making bool columns, broadcasting a scalar, and
 * the exact comparisons of numbers and instants of different types.
 *
 * The kernels (compare.c, arith.c, cast.c, nulls.c and the expression evaluator) all work
 * on whole columns and produce columns with offset 0, so these helpers also bring a
 * column's bitmaps from its slice offset to offset 0 when they must.
 */
#ifndef CYLON_COMPUTE_KERNEL_H
#define CYLON_COMPUTE_KERNEL_H

#include <math.h>

#include "compute/row.h"

/* Kinds of type that compare (and compute) with each other. */
typedef enum ck_family {
  CK_FAM_BOOL,
  CK_FAM_NUMBER,   /* integers, floats, decimal128 */
  CK_FAM_STRING,   /* utf8, large utf8 */
  CK_FAM_BINARY,   /* binary, large binary */
  CK_FAM_TEMPORAL, /* date32, timestamp */
} ck_family;

ck_family ck_family_of(cy_type_id id);

/* A type's name in a small caller buffer, for messages. */
typedef struct ck_tname {
  char s[96];
} ck_tname;
const char *ck_type_str(const cy_type *type, ck_tname *buf);

/* Bits [offset, offset + n) of a bitmap starting at bit 0: the bitmap itself when offset
 * is 0, else a copy made in *scratch (cy_alloc'd, freed with ck_free_scratch). NULL (with
 * *scratch NULL) when the copy cannot be allocated. */
const uint8_t *ck_bits_at(const uint8_t *bits, int64_t offset, int64_t n, uint8_t **scratch);
void ck_free_scratch(uint8_t *scratch, int64_t n);

/* dst[0, n) &= bits [offset, offset + n) of src, a byte at a time. */
void ck_bits_and(uint8_t *dst, const uint8_t *src, int64_t offset, int64_t n);

/* The validity of rows [0, n) of a and b (b may be NULL) combined with AND, as a new
 * zero-offset bitmap; *out is NULL when no row of either is null. */
cy_status ck_validity_and(const cy_column *a, const cy_column *b, cy_buffer **out,
                          cy_error *err);

/* A bool column of n rows over `values` (a zero-offset bitmap) and `validity` (may be
 * NULL); takes over both references, also on failure. Value bits of null rows are
 * cleared so equal results are equal bit for bit. */
cy_status ck_make_bool(int64_t n, cy_buffer *values, cy_buffer *validity, cy_column **out,
                       cy_error *err);

/* A column of n copies of a scalar (n nulls when the scalar is null). */
cy_status ck_broadcast(const cy_scalar *s, int64_t n, cy_column **out, cy_error *err);

/* Ticks of a temporal type per day (1 for date32, 86400 for timestamp[s], ...). */
int64_t ck_ticks_per_day(const cy_type *type);

/* Floor division and its remainder (in [0, d)), for instants before the epoch. */
static inline int64_t ck_floor_div(int64_t a, int64_t d) {
  int64_t q = a / d;
  return (a % d != 0 && ((a < 0) != (d < 0))) ? q - 1 : q;
}

/* Order of two doubles as DuckDB has it: -0.0 equals 0.0, NaN equals NaN and is greater
 * than every other value. Returns -1, 0 or 1. */
static inline int ck_cmp_f64(double a, double b) {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a == b) return 0;
  return isnan(a) ? (isnan(b) ? 0 : 1) : -1;
}

/* Exact order of an int64 and a double (no rounding of the integer). */
static inline int ck_cmp_i64_f64(int64_t a, double b) {
  if (isnan(b) || b >= 9223372036854775808.0) return -1;
  if (b < -9223372036854775808.0) return 1;
  int64_t t = (int64_t)b; /* in range: truncation toward zero is exact */
  if (a != t) return a < t ? -1 : 1;
  double frac = b - (double)t; /* exact: the fraction of a double is a double */
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* Exact order of a uint64 and a double. */
static inline int ck_cmp_u64_f64(uint64_t a, double b) {
  if (isnan(b) || b >= 18446744073709551616.0) return -1;
  if (b < 0) return 1;
  uint64_t t = (uint64_t)b;
  if (a != t) return a < t ? -1 : 1;
  double frac = b - (double)t;
  return frac > 0 ? -1 : 0;
}

/* Exact order of an int64 and a uint64. */
static inline int ck_cmp_i64_u64(int64_t a, uint64_t b) {
  if (a < 0) return -1;
  return (uint64_t)a < b ? -1 : (uint64_t)a > b ? 1 : 0;
}

/* Order of two instants given as ticks with ticks-per-day factors fa and fb. */
int ck_cmp_ticks(int64_t a, int64_t fa, int64_t b, int64_t fb);

/* A decimal128 value of the given scale as the nearest double. */
double ck_decimal_to_double(uint64_t lo, int64_t hi, int32_t scale);

/* Parse a string as a value of a temporal type (a date column accepts a timestamp text
 * too, giving a timestamp[us] scalar). False when the text is neither. */
bool ck_parse_temporal(const char *s, int64_t n, const cy_type *type, cy_scalar *out);

/* Arithmetic with either side a column or a scalar (at least one a column): the engine
 * of cy_column_arith and cy_column_arith_scalar, also for a scalar on the left. */
cy_status ck_arith(const cy_column *ac, const cy_scalar *as, const cy_column *bc,
                   const cy_scalar *bs, cy_arith_op op, cy_column **out, cy_error *err);

/* The comparison that holds when the operands are swapped (a < b is b > a). */
static inline cy_compare_op ck_flip_compare(cy_compare_op op) {
  switch (op) {
    case CY_LT: return CY_GT;
    case CY_LE: return CY_GE;
    case CY_GT: return CY_LT;
    case CY_GE: return CY_LE;
    default: return op;
  }
}

#endif
