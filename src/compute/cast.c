/*
 * cast.c - converting a column to another type (cy_column_cast).
 *
 * Supported pairs:
 *   numbers and bool with each other: integers by value (out of range is an error naming
 *     the value and its row), floats to integers truncated toward zero, integers to
 *     floats rounded to nearest, float64 to float32 rounded (an overflow is an error),
 *     bool as 0 / 1 and a number as bool by being non-zero;
 *   decimal128 with numbers and other decimals, by value through its exact text
 *     (to an integer truncated toward zero);
 *   anything to utf8 / large_utf8 as the text formatters write it (text_format.h), and
 *     utf8 to anything with the parsers of text_parse.h (leading and trailing spaces are
 *     ignored, as DuckDB does; a bad text is an error naming it and its row);
 *   date32 with timestamps (midnight; a timestamp's date is its floor), timestamps
 *     between units (finer: exact or an error; coarser: floor) and zones (relabelled: the
 *     values are UTC instants);
 *   strings and binaries between their 32- and 64-bit offset forms, utf8 to binary as the
 *     same bytes, binary to utf8 as its \xHH text.
 * Other pairs are an error naming both types. Casting to the column's own type returns a
 * new reference to it. Rows are numbered from 0 in messages.
 *
 * How: numeric casts run in two tight passes - the source read into a 64-bit array
 * (int64, uint64 or double; the column itself when it already is one), then that array
 * written to the target type with a range test per row - so there is one loop per source
 * type and one per target type instead of one per pair. Rows that fail a test are only
 * reported when they are valid (a null row's value bytes are meaningless).
 */
#include <stdlib.h>

#include "compute/kernel.h"
#include "core/text_format.h"
#include "core/text_parse.h"

typedef enum wkind { W_I64, W_U64, W_F64 } wkind;

/* A source column read as 64-bit values. */
typedef struct wide {
  wkind kind;
  const void *p;
  void *owned;
  int64_t owned_bytes;
} wide;

static cy_status cast_error(const cy_column *col, const cy_type *to, cy_error *err) {
  ck_tname a, b;
  cy_error_set(err, "cannot cast %s to %s", ck_type_str(&col->type, &a), ck_type_str(to, &b));
  return CY_ENOTSUP;
}

static bool is_float(cy_type_id id) { return id == CY_FLOAT32 || id == CY_FLOAT64; }
static bool is_string(cy_type_id id) { return id == CY_UTF8 || id == CY_LARGE_UTF8; }

/* Output buffers for n rows of a fixed-width type (values) with col's validity. */
static cy_status start_fixed(const cy_column *col, const cy_type *to, cy_buffer **values,
                             cy_buffer **validity, cy_error *err) {
  int bits = cy_type_bit_width(to->id);
  int64_t n = col->length;
  CY_RETURN_NOT_OK(cy_buffer_alloc_zeroed(bits == 1 ? cy_bitmap_bytes(n) : n * (bits / 8),
                                          values, err));
  cy_status st = ck_validity_and(col, NULL, validity, err);
  if (st != CY_OK) cy_buffer_release(*values);
  return st;
}

static cy_status finish_fixed(const cy_column *col, const cy_type *to, cy_status st,
                              cy_buffer *values, cy_buffer *validity, cy_column **out,
                              cy_error *err) {
  if (st != CY_OK) {
    cy_buffer_release(values);
    cy_buffer_release(validity);
    return st;
  }
  return cy_column_make(*to, col->length, 0, validity ? -1 : 0, validity, values, NULL, out,
                        err);
}

/* ---------------------------------------------------------------------------------------
 * Numbers and bool
 * ------------------------------------------------------------------------------------- */

#define READ(SRC_T, DST_T)                                                     \
  do {                                                                         \
    const SRC_T *src_ = (const SRC_T *)cy_column_data(col);                    \
    DST_T *dst_ = (DST_T *)w->owned;                                           \
    for (int64_t r = 0; r < n; r++) dst_[r] = (DST_T)src_[r];                  \
  } while (0)

/* Decimal row r as an int64 truncated toward zero (*ok false when it does not fit). */
static int64_t decimal_to_int(const cy_column *col, int64_t r, bool *ok) {
  char text[CY_FORMAT_FIXED_MAX];
  int len = cy_format_fixed(col, r, text);
  int cut = 0;
  while (cut < len && text[cut] != '.' && text[cut] != 'e') cut++;
  int64_t v = 0;
  *ok = (cut == len || text[cut] != 'e') && cy_parse_int64(text, (size_t)cut, &v);
  return v;
}

/* Pass 1: the source read as int64 (signed integers, bool, decimals to integer targets),
 * uint64 or double. */
static cy_status read_wide(const cy_column *col, const cy_type *to, wide *w, cy_error *err) {
  int64_t n = col->length;
  cy_type_id id = col->type.id;
  memset(w, 0, sizeof *w);
  w->kind = is_float(id) ? W_F64 : id == CY_UINT64 ? W_U64 : W_I64;
  if (id == CY_DECIMAL128) w->kind = is_float(to->id) ? W_F64 : W_I64;
  if (id == CY_INT64 || id == CY_UINT64 || id == CY_FLOAT64) {
    w->p = n ? cy_column_data(col) : NULL;
    return CY_OK;
  }
  w->owned_bytes = (n > 0 ? n : 1) * 8;
  w->owned = cy_alloc(w->owned_bytes);
  if (w->owned == NULL) {
    cy_error_set(err, "out of memory casting %lld rows", (long long)n);
    return CY_ENOMEM;
  }
  w->p = w->owned;
  switch (id) {
    case CY_INT8: READ(int8_t, int64_t); break;
    case CY_INT16: READ(int16_t, int64_t); break;
    case CY_INT32: READ(int32_t, int64_t); break;
    case CY_UINT8: READ(uint8_t, int64_t); break;
    case CY_UINT16: READ(uint16_t, int64_t); break;
    case CY_UINT32: READ(uint32_t, int64_t); break;
    case CY_FLOAT32: READ(float, double); break;
    case CY_BOOL: {
      int64_t *dst = w->owned;
      for (int64_t r = 0; r < n; r++) dst[r] = cy_column_bool(col, r);
      break;
    }
    default: { /* decimal128 */
      for (int64_t r = 0; r < n; r++) {
        if (!cy_column_is_valid(col, r)) {
          ((int64_t *)w->owned)[r] = 0;
        } else if (w->kind == W_F64) {
          const uint64_t *d = (const uint64_t *)cy_column_data(col) + 2 * r;
          ((double *)w->owned)[r] = ck_decimal_to_double(d[0], (int64_t)d[1], col->type.scale);
        } else {
          bool ok;
          ((int64_t *)w->owned)[r] = decimal_to_int(col, r, &ok);
          if (!ok) {
            char text[CY_FORMAT_FIXED_MAX + 1];
            text[cy_format_fixed(col, r, text)] = 0;
            cy_error_set(err, "cast to integer: value %s at row %lld is out of range", text,
                         (long long)r);
            return CY_ERANGE;
          }
        }
      }
    }
  }
  return CY_OK;
}

#undef READ

static void wide_reset(wide *w) {
  if (w->owned) cy_free(w->owned, w->owned_bytes);
}

/* The error for the first valid row of a failed range test. */
static cy_status range_error(const cy_column *col, const wide *w, const cy_type *to,
                             int64_t r, cy_error *err) {
  char text[CY_FORMAT_DOUBLE_MAX + 1];
  if (w->kind == W_F64) text[cy_format_double(((const double *)w->p)[r], text)] = 0;
  else if (w->kind == W_U64) text[cy_format_uint64(((const uint64_t *)w->p)[r], text)] = 0;
  else text[cy_format_int64(((const int64_t *)w->p)[r], text)] = 0;
  ck_tname tn;
  cy_error_set(err, "cast to %s: value %s at row %lld is out of range",
               ck_type_str(to, &tn), text, (long long)r);
  return CY_ERANGE;
}

/* Pass 2 for integer targets of range [LO, HI] (IHI: HI as an int64, clamped). The
 * first failing valid row (if any) is left in *bad. */
#define WRITE_INT(T, LO, HI, IHI)                                                            \
  do {                                                                                    \
    T *dst = (T *)out;                                                                    \
    if (w->kind == W_I64) {                                                               \
      const int64_t *v = w->p;                                                            \
      for (int64_t r = 0; r < n; r++) {                                                   \
        bool ok = v[r] >= (int64_t)(LO) && v[r] <= (int64_t)(IHI);                         \
        dst[r] = ok ? (T)v[r] : 0;                                                        \
        if (!ok && *bad < 0 && cy_column_is_valid(col, r)) *bad = r;                      \
      }                                                                                   \
    } else if (w->kind == W_U64) {                                                        \
      const uint64_t *v = w->p;                                                           \
      for (int64_t r = 0; r < n; r++) {                                                   \
        bool ok = v[r] <= (uint64_t)(HI);                                                 \
        dst[r] = ok ? (T)v[r] : 0;                                                        \
        if (!ok && *bad < 0 && cy_column_is_valid(col, r)) *bad = r;                      \
      }                                                                                   \
    } else {                                                                              \
      const double *v = w->p;                                                             \
      for (int64_t r = 0; r < n; r++) {                                                   \
        double t = trunc(v[r]);                                                           \
        bool ok = t >= (double)(LO) && t < (double)(HI) + 1.0;                            \
        dst[r] = ok ? (T)t : 0;                                                           \
        if (!ok && *bad < 0 && cy_column_is_valid(col, r)) *bad = r;                      \
      }                                                                                   \
    }                                                                                     \
  } while (0)

#define WRITE_FLOAT(T)                                                                    \
  do {                                                                                    \
    T *dst = (T *)out;                                                                    \
    for (int64_t r = 0; r < n; r++) {                                                     \
      double d = w->kind == W_F64 ? ((const double *)w->p)[r]                             \
                 : w->kind == W_U64 ? (double)((const uint64_t *)w->p)[r]                 \
                                    : (double)((const int64_t *)w->p)[r];                 \
      dst[r] = (T)d;                                                                      \
      if (isinf((double)dst[r]) && !isinf(d) && *bad < 0 && cy_column_is_valid(col, r))   \
        *bad = r;                                                                         \
    }                                                                                     \
  } while (0)

/* Pass 2: write the wide values as `to` into out; *bad is the first valid row out of
 * range, or -1. */
static void write_numeric(const cy_column *col, const wide *w, const cy_type *to,
                          uint8_t *out, int64_t *bad) {
  int64_t n = col->length;
  *bad = -1;
  switch (to->id) {
    case CY_INT8: WRITE_INT(int8_t, INT8_MIN, INT8_MAX, INT8_MAX); break;
    case CY_INT16: WRITE_INT(int16_t, INT16_MIN, INT16_MAX, INT16_MAX); break;
    case CY_INT32: WRITE_INT(int32_t, INT32_MIN, INT32_MAX, INT32_MAX); break;
    case CY_INT64: WRITE_INT(int64_t, INT64_MIN, INT64_MAX, INT64_MAX); break;
    case CY_UINT8: WRITE_INT(uint8_t, 0, UINT8_MAX, UINT8_MAX); break;
    case CY_UINT16: WRITE_INT(uint16_t, 0, UINT16_MAX, UINT16_MAX); break;
    case CY_UINT32: WRITE_INT(uint32_t, 0, UINT32_MAX, UINT32_MAX); break;
    case CY_UINT64: WRITE_INT(uint64_t, 0, UINT64_MAX, INT64_MAX); break;
    case CY_FLOAT32: WRITE_FLOAT(float); break;
    case CY_FLOAT64: WRITE_FLOAT(double); break;
    default: /* bool: non-zero is true */
      for (int64_t r = 0; r < n; r++) {
        bool v = w->kind == W_F64 ? ((const double *)w->p)[r] != 0
                                  : ((const uint64_t *)w->p)[r] != 0;
        if (v) cy_bit_set(out, r);
      }
  }
}

#undef WRITE_INT
#undef WRITE_FLOAT

static cy_status cast_numeric(const cy_column *col, const cy_type *to, cy_column **out,
                              cy_error *err) {
  wide w;
  CY_RETURN_NOT_OK(read_wide(col, to, &w, err));
  cy_buffer *values, *validity;
  cy_status st = start_fixed(col, to, &values, &validity, err);
  if (st == CY_OK) {
    int64_t bad;
    write_numeric(col, &w, to, values->data, &bad);
    if (bad >= 0) st = range_error(col, &w, to, bad, err);
    st = finish_fixed(col, to, st, values, validity, out, err);
  }
  wide_reset(&w);
  return st;
}

/* ---------------------------------------------------------------------------------------
 * Dates and timestamps
 * ------------------------------------------------------------------------------------- */

static cy_status cast_temporal(const cy_column *col, const cy_type *to, cy_column **out,
                               cy_error *err) {
  int64_t fs = ck_ticks_per_day(&col->type), ft = ck_ticks_per_day(to), n = col->length;
  cy_buffer *values, *validity;
  CY_RETURN_NOT_OK(start_fixed(col, to, &values, &validity, err));
  cy_status st = CY_OK;
  for (int64_t r = 0; r < n && st == CY_OK; r++) {
    if (!cy_column_is_valid(col, r)) continue;
    int64_t v = col->type.id == CY_DATE32 ? ((const int32_t *)cy_column_data(col))[r]
                                          : ((const int64_t *)cy_column_data(col))[r];
    int64_t t = v;
    bool ok = true;
    if (ft > fs) ok = !__builtin_mul_overflow(v, ft / fs, &t);
    else if (ft < fs) t = ck_floor_div(v, fs / ft);
    if (to->id == CY_DATE32) {
      ok = ok && t >= INT32_MIN && t <= INT32_MAX;
      ((int32_t *)values->data)[r] = (int32_t)t;
    } else {
      ((int64_t *)values->data)[r] = t;
    }
    if (!ok) {
      char text[CY_FORMAT_FIXED_MAX + 1];
      text[cy_format_fixed(col, r, text)] = 0;
      ck_tname tn;
      cy_error_set(err, "cast to %s: value %s at row %lld is out of range",
                   ck_type_str(to, &tn), text, (long long)r);
      st = CY_ERANGE;
    }
  }
  return finish_fixed(col, to, st, values, validity, out, err);
}

/* ---------------------------------------------------------------------------------------
 * To text
 * ------------------------------------------------------------------------------------- */

static cy_status cast_to_string(const cy_column *col, const cy_type *to, cy_column **out,
                                cy_error *err) {
  int64_t n = col->length;
  cy_builder b;
  CY_RETURN_NOT_OK(cy_builder_init(&b, *to, n, err));
  cy_status st = CY_OK;
  char fixed[CY_FORMAT_FIXED_MAX];
  char *text = NULL;
  int64_t text_cap = 0;
  bool binary = col->type.id == CY_BINARY || col->type.id == CY_LARGE_BINARY;
  for (int64_t r = 0; r < n && st == CY_OK; r++) {
    if (!cy_column_is_valid(col, r)) {
      st = cy_builder_append_null(&b, err);
    } else if (!binary) {
      st = cy_builder_append_bytes(&b, fixed, cy_format_fixed(col, r, fixed), err);
    } else {
      int64_t len;
      const uint8_t *p = cy_column_bytes(col, r, &len);
      int64_t need = cy_format_binary_length(p, len);
      if (need > text_cap) {
        char *grown = realloc(text, (size_t)need);
        if (grown == NULL) {
          cy_error_set(err, "out of memory casting to text");
          st = CY_ENOMEM;
          break;
        }
        text = grown;
        text_cap = need;
      }
      st = cy_builder_append_bytes(&b, text, cy_format_binary(p, len, text), err);
    }
  }
  free(text);
  if (st == CY_OK) st = cy_builder_finish(&b, out, err);
  cy_builder_reset(&b);
  return st;
}

/* Strings and binaries between offset widths and between each other (same bytes): the
 * data buffer is shared, only the offsets are rewritten when their width changes. */
static cy_status cast_var_width(const cy_column *col, const cy_type *to, cy_column **out,
                                cy_error *err) {
  bool from_large = cy_type_is_large(col->type.id), to_large = cy_type_is_large(to->id);
  if (from_large == to_large)
    return cy_column_make(*to, col->length, col->offset, col->null_count,
                          cy_buffer_retain(col->validity), cy_buffer_retain(col->values),
                          cy_buffer_retain(col->data), out, err);
  int64_t n = col->length;
  cy_buffer *offsets, *validity;
  CY_RETURN_NOT_OK(cy_buffer_alloc((n + 1) * (to_large ? 8 : 4), &offsets, err));
  cy_status st = ck_validity_and(col, NULL, &validity, err);
  if (st != CY_OK) {
    cy_buffer_release(offsets);
    return st;
  }
  for (int64_t k = 0; k <= n; k++) {
    int64_t o = from_large ? ((const int64_t *)col->values->data)[col->offset + k]
                           : ((const int32_t *)col->values->data)[col->offset + k];
    if (to_large) {
      ((int64_t *)offsets->data)[k] = o;
    } else if (o > INT32_MAX) {
      ck_tname tn;
      cy_error_set(err, "cast to %s: the column's %lld bytes of data exceed 2 GiB",
                   ck_type_str(to, &tn), (long long)o);
      cy_buffer_release(offsets);
      cy_buffer_release(validity);
      return CY_ERANGE;
    } else {
      ((int32_t *)offsets->data)[k] = (int32_t)o;
    }
  }
  return cy_column_make(*to, n, 0, validity ? -1 : 0, validity, offsets,
                        cy_buffer_retain(col->data), out, err);
}

/* ---------------------------------------------------------------------------------------
 * From text, and numbers to decimals (through their text)
 * ------------------------------------------------------------------------------------- */

/* Store an integer known to fit into row r of an integer column's values. */
static void store_int(uint8_t *values, int64_t r, cy_type_id id, int64_t i, uint64_t u) {
  switch (id) {
    case CY_INT8: ((int8_t *)values)[r] = (int8_t)i; break;
    case CY_INT16: ((int16_t *)values)[r] = (int16_t)i; break;
    case CY_INT32: ((int32_t *)values)[r] = (int32_t)i; break;
    case CY_INT64: ((int64_t *)values)[r] = i; break;
    case CY_UINT8: ((uint8_t *)values)[r] = (uint8_t)u; break;
    case CY_UINT16: ((uint16_t *)values)[r] = (uint16_t)u; break;
    case CY_UINT32: ((uint32_t *)values)[r] = (uint32_t)u; break;
    default: ((uint64_t *)values)[r] = u; break;
  }
}

/* Parse an integer of type id (checking its range) into row r. */
static bool parse_int_into(const char *s, size_t n, cy_type_id id, uint8_t *values, int64_t r) {
  static const uint64_t umax[] = {[CY_UINT8] = UINT8_MAX, [CY_UINT16] = UINT16_MAX,
                                  [CY_UINT32] = UINT32_MAX, [CY_UINT64] = UINT64_MAX};
  static const int64_t smax[] = {[CY_INT8] = INT8_MAX, [CY_INT16] = INT16_MAX,
                                 [CY_INT32] = INT32_MAX, [CY_INT64] = INT64_MAX};
  int64_t i = 0;
  uint64_t u = 0;
  if (id >= CY_UINT8 && id <= CY_UINT64) {
    if (!cy_parse_uint64(s, n, &u) || u > umax[id]) return false;
  } else if (!cy_parse_int64(s, n, &i) || i > smax[id] || i < -smax[id] - 1) {
    return false;
  }
  store_int(values, r, id, i, u);
  return true;
}

/* Parse one text as a value of `to` into row r of values; false when it is not one. */
static bool parse_into(const char *s, size_t n, const cy_type *to, uint8_t *values,
                       int64_t r) {
  switch (to->id) {
    case CY_BOOL: {
      bool v;
      if (!cy_parse_bool(s, n, &v)) return false;
      if (v) cy_bit_set(values, r);
      return true;
    }
    case CY_FLOAT32: return cy_parse_float(s, n, &((float *)values)[r]);
    case CY_FLOAT64: return cy_parse_double(s, n, &((double *)values)[r]);
    case CY_DATE32: return cy_parse_date32(s, n, &((int32_t *)values)[r]);
    case CY_TIMESTAMP:
      return cy_parse_timestamp(s, n, to->unit, &((int64_t *)values)[r], NULL);
    case CY_DECIMAL128: {
      uint64_t lo;
      int64_t hi;
      if (!cy_parse_decimal128(s, n, to->precision, to->scale, &lo, &hi)) return false;
      memcpy(values + 16 * r, &lo, 8);
      memcpy(values + 16 * r + 8, &hi, 8);
      return true;
    }
    default: return parse_int_into(s, n, to->id, values, r);
  }
}

/* Rewrite a number's text in plain notation ("1.5e+20" -> "150000000000000000000") so
 * the decimal parser, which takes no exponent, can read it. out holds 400 bytes. */
static size_t plain_notation(const char *s, size_t n, char *out) {
  const char *e = memchr(s, 'e', n);
  if (e == NULL) {
    memcpy(out, s, n);
    return n;
  }
  int exp = 0;
  bool exp_neg = false;
  for (const char *q = e + 1; q < s + n; q++) { /* the text is not NUL-terminated */
    if (*q == '-') exp_neg = true;
    else if (*q >= '0' && *q <= '9' && exp < 100000) exp = exp * 10 + (*q - '0');
  }
  if (exp_neg) exp = -exp;
  if (exp > 340 || exp < -340) { /* not a number a decimal128 holds anyway */
    memcpy(out, s, n);
    return n;
  }
  size_t o = 0, k = 0, m = (size_t)(e - s);
  if (s[0] == '-') out[o++] = '-', k = 1;
  char digits[64];
  int nd = 0, point = -1;
  for (; k < m && nd < (int)sizeof digits; k++) {
    if (s[k] == '.') point = nd;
    else digits[nd++] = s[k];
  }
  int pos = (point < 0 ? nd : point) + exp; /* digits before the decimal point */
  if (pos <= 0) {
    out[o++] = '0';
    out[o++] = '.';
    for (int z = 0; z < -pos; z++) out[o++] = '0';
    for (int d = 0; d < nd; d++) out[o++] = digits[d];
  } else {
    for (int d = 0; d < pos || d < nd; d++) {
      if (d == pos) out[o++] = '.';
      out[o++] = d < nd ? digits[d] : '0';
    }
  }
  return o;
}

static cy_status parse_error(const cy_column *col, const cy_type *to, const char *s, size_t n,
                             int64_t r, cy_error *err) {
  ck_tname ta, tb;
  cy_error_set(err, "cast %s to %s: '%.*s' at row %lld is not a valid %s",
               ck_type_str(&col->type, &ta), ck_type_str(to, &tb), (int)(n > 200 ? 200 : n), s,
               (long long)r, tb.s);
  return CY_EINVAL;
}

/* Strings parsed, and numbers to decimal through their text. */
static cy_status cast_by_text(const cy_column *col, const cy_type *to, cy_column **out,
                              cy_error *err) {
  cy_buffer *values, *validity;
  CY_RETURN_NOT_OK(start_fixed(col, to, &values, &validity, err));
  cy_status st = CY_OK;
  bool from_text = is_string(col->type.id);
  for (int64_t r = 0; r < col->length && st == CY_OK; r++) {
    if (!cy_column_is_valid(col, r)) continue;
    char fixed[CY_FORMAT_FIXED_MAX], plain[400];
    const char *s;
    size_t n;
    if (from_text) {
      int64_t len;
      s = (const char *)cy_column_bytes(col, r, &len);
      n = (size_t)len;
      while (n > 0 && *s == ' ') s++, n--;
      while (n > 0 && s[n - 1] == ' ') n--;
    } else {
      n = plain_notation(fixed, (size_t)cy_format_fixed(col, r, fixed), plain);
      s = plain;
    }
    if (!parse_into(s, n, to, values->data, r)) {
      if (from_text) {
        st = parse_error(col, to, s, n, r, err);
      } else {
        ck_tname tn;
        cy_error_set(err, "cast to %s: value %.*s at row %lld is out of range",
                     ck_type_str(to, &tn), (int)n, s, (long long)r);
        st = CY_ERANGE;
      }
    }
  }
  return finish_fixed(col, to, st, values, validity, out, err);
}

/* ---------------------------------------------------------------------------------------
 * The dispatcher
 * ------------------------------------------------------------------------------------- */

cy_status cy_column_cast(const cy_column *col, cy_type to, cy_column **out, cy_error *err) {
  if (cy_type_equals(&col->type, &to)) {
    *out = cy_column_retain((cy_column *)col);
    return CY_OK;
  }
  cy_type_id from = col->type.id;
  ck_family ff = ck_family_of(from), ft = ck_family_of(to.id);
  bool from_num = (ff == CK_FAM_NUMBER && from != CY_DECIMAL128) || ff == CK_FAM_BOOL;
  bool to_num = (ft == CK_FAM_NUMBER && to.id != CY_DECIMAL128) || ft == CK_FAM_BOOL;
  if (cy_type_bit_width(to.id) == 0 && !cy_type_is_var_width(to.id))
    return cast_error(col, &to, err);
  if (ft == CK_FAM_STRING && ff == CK_FAM_STRING) return cast_var_width(col, &to, out, err);
  if (ft == CK_FAM_BINARY && (ff == CK_FAM_STRING || ff == CK_FAM_BINARY))
    return cast_var_width(col, &to, out, err);
  if (ft == CK_FAM_STRING) return cast_to_string(col, &to, out, err);
  if (ff == CK_FAM_STRING && ft != CK_FAM_BINARY) return cast_by_text(col, &to, out, err);
  if (from_num && to_num) return cast_numeric(col, &to, out, err);
  if (from == CY_DECIMAL128 && to_num && to.id != CY_BOOL) return cast_numeric(col, &to, out, err);
  if (to.id == CY_DECIMAL128 && (from_num || from == CY_DECIMAL128) && from != CY_BOOL)
    return cast_by_text(col, &to, out, err);
  if (ff == CK_FAM_TEMPORAL && ft == CK_FAM_TEMPORAL) return cast_temporal(col, &to, out, err);
  return cast_error(col, &to, err);
}
