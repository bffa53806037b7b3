/*
 * compare.c - element-wise comparison (= != < <= > >=) of a column with a column or a
 * scalar, giving a bool column that is null where either input is null.
 *
 * Order: numbers compare by value across types, exactly (an int64 is never rounded to a
 * double to meet one); floats as DuckDB orders them (-0.0 = 0.0, NaN = NaN, NaN above
 * every other number); strings and binaries byte-wise, a prefix first; dates and
 * timestamps as instants whatever their units; false < true; decimals by value.
 *
 * How: a comparison with a scalar is first reduced, where it can be, to one of the
 * column's own physical type with a threshold of that type ("v < 5.5" on int32 becomes
 * "v <= 5"; a date against a timestamp becomes a date against a day; a threshold outside
 * the type's range makes the answer constant), so the hot loop is a native compare whose
 * results are packed into the output a byte (8 rows) at a time, split across threads for
 * long columns. Everything else - and every column-with-column comparison - runs through
 * a loop over both sides widened to 64 bits (int64, uint64, double or day-based ticks)
 * with the exact cross-type comparators of kernel.h, the scalar side read with stride 0.
 */
#include <stdlib.h>

#include "compute/kernel.h"

/* The rows an op keeps, by the sign of a comparison: bit 0 for <, bit 1 for =, bit 2 for >. */
static const unsigned OP_MASK[] = {[CY_EQ] = 2, [CY_NE] = 5, [CY_LT] = 1,
                                   [CY_LE] = 3, [CY_GT] = 4, [CY_GE] = 6};
#define HOLDS(mask, c) (((mask) >> ((c) + 1)) & 1u)
#define SIGN(x, y) (((x) > (y)) - ((x) < (y)))

/* Set the bits of rows [lo, hi) of out (lo a multiple of 8) to PRED, which may use the
 * row index `i`; one byte of output per 8 rows. */
#define PACK(lo, hi, out, PRED)                                \
  do {                                                         \
    int64_t at_ = (lo), end_ = (hi);                           \
    for (; at_ + 8 <= end_; at_ += 8) {                        \
      unsigned byte_ = 0;                                      \
      for (int k_ = 0; k_ < 8; k_++) {                         \
        int64_t i = at_ + k_;                                  \
        (void)i;                                               \
        byte_ |= (unsigned)(PRED) << k_;                       \
      }                                                        \
      (out)[at_ >> 3] = (uint8_t)byte_;                        \
    }                                                          \
    if (at_ < end_) {                                          \
      unsigned byte_ = 0;                                      \
      for (int k_ = 0; at_ + k_ < end_; k_++) {                \
        int64_t i = at_ + k_;                                  \
        (void)i;                                               \
        byte_ |= (unsigned)(PRED) << k_;                       \
      }                                                        \
      (out)[at_ >> 3] = (uint8_t)byte_;                        \
    }                                                          \
  } while (0)

/* ---------------------------------------------------------------------------------------
 * Native loops: a column of one physical type against a threshold of that type
 * ------------------------------------------------------------------------------------- */

typedef void (*native_fn)(const void *data, const void *threshold, cy_compare_op op,
                          int64_t lo, int64_t hi, uint8_t *out);

#define NATIVE_KERNEL(NAME, T)                                                         \
  static void NAME(const void *data, const void *threshold, cy_compare_op op, int64_t lo, \
                   int64_t hi, uint8_t *out) {                                         \
    const T *v = (const T *)data;                                                      \
    const T s = *(const T *)threshold;                                                 \
    switch (op) {                                                                      \
      case CY_EQ: PACK(lo, hi, out, v[i] == s); break;                                 \
      case CY_NE: PACK(lo, hi, out, v[i] != s); break;                                 \
      case CY_LT: PACK(lo, hi, out, v[i] < s); break;                                  \
      case CY_LE: PACK(lo, hi, out, v[i] <= s); break;                                 \
      case CY_GT: PACK(lo, hi, out, v[i] > s); break;                                  \
      case CY_GE: PACK(lo, hi, out, v[i] >= s); break;                                 \
    }                                                                                  \
  }

NATIVE_KERNEL(native_i8, int8_t)
NATIVE_KERNEL(native_i16, int16_t)
NATIVE_KERNEL(native_i32, int32_t)
NATIVE_KERNEL(native_i64, int64_t)
NATIVE_KERNEL(native_u8, uint8_t)
NATIVE_KERNEL(native_u16, uint16_t)
NATIVE_KERNEL(native_u32, uint32_t)
NATIVE_KERNEL(native_u64, uint64_t)

/* Floats against a double threshold, with NaN above everything and equal to itself:
 * "v > s" is "not v <= s" so that a NaN v counts as greater. */
#define FLOAT_KERNEL(NAME, T)                                                          \
  static void NAME(const void *data, const void *threshold, cy_compare_op op, int64_t lo, \
                   int64_t hi, uint8_t *out) {                                         \
    const T *v = (const T *)data;                                                      \
    const double s = *(const double *)threshold;                                       \
    if (isnan(s)) {                                                                    \
      switch (op) {                                                                    \
        case CY_EQ: case CY_GE: PACK(lo, hi, out, v[i] != v[i]); break;                \
        case CY_NE: case CY_LT: PACK(lo, hi, out, v[i] == v[i]); break;                \
        case CY_LE: PACK(lo, hi, out, 1); break;                                       \
        case CY_GT: PACK(lo, hi, out, 0); break;                                       \
      }                                                                                \
      return;                                                                          \
    }                                                                                  \
    switch (op) {                                                                      \
      case CY_EQ: PACK(lo, hi, out, (double)v[i] == s); break;                         \
      case CY_NE: PACK(lo, hi, out, !((double)v[i] == s)); break;                      \
      case CY_LT: PACK(lo, hi, out, (double)v[i] < s); break;                          \
      case CY_LE: PACK(lo, hi, out, (double)v[i] <= s); break;                         \
      case CY_GT: PACK(lo, hi, out, !((double)v[i] <= s)); break;                      \
      case CY_GE: PACK(lo, hi, out, !((double)v[i] < s)); break;                       \
    }                                                                                  \
  }

FLOAT_KERNEL(native_f32, float)
FLOAT_KERNEL(native_f64, double)

#undef NATIVE_KERNEL
#undef FLOAT_KERNEL

typedef struct native_job {
  native_fn fn;
  const void *data;
  const void *threshold;
  cy_compare_op op;
  int64_t n;
  uint8_t *out;
} native_job;

enum { CHUNK_ROWS = 1 << 16 }; /* a multiple of 8, so chunks write whole bytes */

static cy_status native_chunk(void *ctx, int64_t c, cy_error *err) {
  native_job *j = ctx;
  int64_t lo = c * CHUNK_ROWS, hi = lo + CHUNK_ROWS < j->n ? lo + CHUNK_ROWS : j->n;
  j->fn(j->data, j->threshold, j->op, lo, hi, j->out);
  return CY_OK;
}

/* Run a native loop over n rows, on all threads when the column is long enough to pay
 * for starting them. */
static void run_native(native_fn fn, const void *data, const void *threshold,
                       cy_compare_op op, int64_t n, uint8_t *out) {
  native_job j = {fn, data, threshold, op, n, out};
  int64_t chunks = (n + CHUNK_ROWS - 1) / CHUNK_ROWS;
  if (chunks < 4 || cy_num_threads() < 2)
    fn(data, threshold, op, 0, n, out);
  else
    cy_parallel_for(chunks, native_chunk, &j, NULL);
}

/* ---------------------------------------------------------------------------------------
 * Reducing a scalar to a threshold of the column's type
 * ------------------------------------------------------------------------------------- */

typedef __int128 i128;

/* A comparison made constant (-1: not constant; 0 or 1: every row's answer). */
typedef struct reduced {
  int constant;
  cy_compare_op op;
  i128 bound; /* integer columns */
  double f;   /* float columns */
} reduced;

/* The answer of "v op b" for every v when b is below (above = false) or above every
 * value of the column's type. */
static int outside(cy_compare_op op, bool above) {
  switch (op) {
    case CY_EQ: return 0;
    case CY_NE: return 1;
    case CY_LT: case CY_LE: return above;
    default: return !above;
  }
}

/* "v op (b + frac)" with 0 < frac < 1, for integer v, as a comparison with b alone. */
static void drop_fraction(reduced *r) {
  switch (r->op) {
    case CY_EQ: r->constant = 0; break;
    case CY_NE: r->constant = 1; break;
    case CY_LT: case CY_LE: r->op = CY_LE; break;
    default: r->op = CY_GT;
  }
}

static void int_range(cy_type_id id, i128 *lo, i128 *hi) {
  switch (id) {
    case CY_INT8: *lo = INT8_MIN; *hi = INT8_MAX; break;
    case CY_INT16: *lo = INT16_MIN; *hi = INT16_MAX; break;
    case CY_INT32: case CY_DATE32: *lo = INT32_MIN; *hi = INT32_MAX; break;
    case CY_UINT8: *lo = 0; *hi = UINT8_MAX; break;
    case CY_UINT16: *lo = 0; *hi = UINT16_MAX; break;
    case CY_UINT32: *lo = 0; *hi = UINT32_MAX; break;
    case CY_UINT64: *lo = 0; *hi = UINT64_MAX; break;
    default: *lo = INT64_MIN; *hi = INT64_MAX;
  }
}

/* The bound for an integer (or temporal) column of type ct from scalar s; false when
 * the pair needs the general loop. */
static bool integer_bound(const cy_type *ct, const cy_scalar *s, reduced *r) {
  bool frac = false;
  if (ck_family_of(ct->id) == CK_FAM_TEMPORAL) {
    int64_t fc = ck_ticks_per_day(ct), fs = ck_ticks_per_day(&s->type);
    if (fs <= fc) {
      r->bound = (i128)s->v.i * (fc / fs);
    } else {
      int64_t q = ck_floor_div(s->v.i, fs / fc);
      r->bound = q;
      frac = s->v.i != q * (fs / fc);
    }
  } else if (cy_type_is_integer(s->type.id)) {
    bool is_unsigned = s->type.id >= CY_UINT8 && s->type.id <= CY_UINT64;
    r->bound = is_unsigned ? (i128)s->v.u : (i128)s->v.i;
  } else if (s->type.id == CY_FLOAT32 || s->type.id == CY_FLOAT64) {
    double d = s->v.f;
    if (isnan(d) || d >= 18446744073709551616.0) {
      r->bound = (i128)UINT64_MAX + 1; /* above every integer */
    } else if (d < -9223372036854775808.0) {
      r->bound = (i128)INT64_MIN - 1; /* below every integer */
    } else {
      double fl = floor(d);
      r->bound = (i128)fl;
      frac = fl != d;
    }
  } else {
    return false; /* decimal */
  }
  if (frac) drop_fraction(r);
  if (r->constant < 0) {
    i128 lo, hi;
    int_range(ct->id, &lo, &hi);
    if (r->bound < lo) r->constant = outside(r->op, false);
    if (r->bound > hi) r->constant = outside(r->op, true);
  }
  return true;
}

/* The native loop for a column's physical type. */
static native_fn native_for(cy_type_id id) {
  switch (id) {
    case CY_INT8: return native_i8;
    case CY_INT16: return native_i16;
    case CY_INT32: case CY_DATE32: return native_i32;
    case CY_INT64: case CY_TIMESTAMP: return native_i64;
    case CY_UINT8: return native_u8;
    case CY_UINT16: return native_u16;
    case CY_UINT32: return native_u32;
    case CY_UINT64: return native_u64;
    case CY_FLOAT32: return native_f32;
    case CY_FLOAT64: return native_f64;
    default: return NULL;
  }
}

/* Try the native path for column a against scalar s; false when it does not apply. */
static bool compare_native(const cy_column *a, const cy_scalar *s, cy_compare_op op,
                           uint8_t *out) {
  reduced r = {.constant = -1, .op = op};
  native_fn fn = native_for(a->type.id);
  if (fn == NULL || s->type.id == CY_DECIMAL128) return false;
  bool float_col = a->type.id == CY_FLOAT32 || a->type.id == CY_FLOAT64;
  union {
    int8_t i8; int16_t i16; int32_t i32; int64_t i64;
    uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64; double f;
  } t;
  if (float_col) {
    /* Integers meet a float column as doubles only when the double is exact. */
    if (s->type.id == CY_FLOAT32 || s->type.id == CY_FLOAT64) t.f = s->v.f;
    else if (s->type.id == CY_UINT64 || s->type.id == CY_UINT32 || s->type.id == CY_UINT16 ||
             s->type.id == CY_UINT8) {
      t.f = (double)s->v.u;
      if (ck_cmp_u64_f64(s->v.u, t.f) != 0) return false;
    } else {
      t.f = (double)s->v.i;
      if (ck_cmp_i64_f64(s->v.i, t.f) != 0) return false;
    }
  } else {
    if (!integer_bound(&a->type, s, &r)) return false;
    switch (a->type.id) {
      case CY_INT8: t.i8 = (int8_t)r.bound; break;
      case CY_INT16: t.i16 = (int16_t)r.bound; break;
      case CY_INT32: case CY_DATE32: t.i32 = (int32_t)r.bound; break;
      case CY_UINT8: t.u8 = (uint8_t)r.bound; break;
      case CY_UINT16: t.u16 = (uint16_t)r.bound; break;
      case CY_UINT32: t.u32 = (uint32_t)r.bound; break;
      case CY_UINT64: t.u64 = (uint64_t)r.bound; break;
      default: t.i64 = (int64_t)r.bound;
    }
  }
  if (r.constant >= 0)
    cy_bitmap_fill(out, 0, a->length, r.constant == 1);
  else if (a->length > 0)
    run_native(fn, cy_column_data(a), &t, r.op, a->length, out);
  return true;
}

/* ---------------------------------------------------------------------------------------
 * The general loop: both sides widened to 64 bits
 * ------------------------------------------------------------------------------------- */

typedef enum wkind { W_I64, W_U64, W_F64, W_TICKS, W_DEC, W_BYTES, W_BOOL } wkind;

typedef struct wide {
  wkind kind;
  const cy_column *col;
  const void *p;     /* W_I64, W_U64, W_F64, W_TICKS: 64-bit values from row 0; W_DEC */
  void *owned;       /* a widened copy (cy_alloc), or NULL */
  int64_t owned_bytes;
  int64_t factor;    /* W_TICKS: ticks per day */
  int32_t scale;     /* W_DEC */
} wide;

#define WIDEN(SRC_T, DST_T)                                                    \
  do {                                                                         \
    const SRC_T *src_ = (const SRC_T *)cy_column_data(c);                      \
    DST_T *dst_ = (DST_T *)w->owned;                                           \
    for (int64_t i = 0; i < c->length; i++) dst_[i] = (DST_T)src_[i];          \
  } while (0)

static cy_status widen(const cy_column *c, wide *w, cy_error *err) {
  memset(w, 0, sizeof *w);
  w->col = c;
  cy_type_id id = c->type.id;
  switch (ck_family_of(id)) {
    case CK_FAM_BOOL: w->kind = W_BOOL; return CY_OK;
    case CK_FAM_STRING: case CK_FAM_BINARY: w->kind = W_BYTES; return CY_OK;
    case CK_FAM_TEMPORAL: w->kind = W_TICKS; w->factor = ck_ticks_per_day(&c->type); break;
    default:
      w->kind = id == CY_DECIMAL128                     ? W_DEC
                : id == CY_FLOAT32 || id == CY_FLOAT64  ? W_F64
                : id >= CY_UINT8 && id <= CY_UINT64     ? (id == CY_UINT64 ? W_U64 : W_I64)
                                                        : W_I64;
      w->scale = c->type.scale;
  }
  if (id == CY_INT64 || id == CY_UINT64 || id == CY_FLOAT64 || id == CY_TIMESTAMP ||
      id == CY_DECIMAL128) {
    w->p = c->length > 0 ? cy_column_data(c) : NULL;
    return CY_OK;
  }
  w->owned_bytes = (c->length > 0 ? c->length : 1) * 8;
  w->owned = cy_alloc(w->owned_bytes);
  if (w->owned == NULL) {
    cy_error_set(err, "out of memory comparing %lld rows", (long long)c->length);
    return CY_ENOMEM;
  }
  switch (id) {
    case CY_INT8: WIDEN(int8_t, int64_t); break;
    case CY_INT16: WIDEN(int16_t, int64_t); break;
    case CY_INT32: case CY_DATE32: WIDEN(int32_t, int64_t); break;
    case CY_UINT8: WIDEN(uint8_t, int64_t); break;
    case CY_UINT16: WIDEN(uint16_t, int64_t); break;
    case CY_UINT32: WIDEN(uint32_t, int64_t); break;
    default: WIDEN(float, double); break; /* float32 */
  }
  w->p = w->owned;
  return CY_OK;
}

#undef WIDEN

static void wide_reset(wide *w) {
  if (w->owned) cy_free(w->owned, w->owned_bytes);
  w->owned = NULL;
}

static int cmp_bytes(const uint8_t *a, int64_t la, const uint8_t *b, int64_t lb) {
  int c = memcmp(a, b, (size_t)(la < lb ? la : lb));
  return c != 0 ? (c < 0 ? -1 : 1) : SIGN(la, lb);
}

/* A decimal's 128-bit value at row i. */
static i128 dec_at(const wide *w, int64_t i) {
  uint64_t lo, hi;
  memcpy(&lo, (const uint8_t *)w->p + 16 * i, 8);
  memcpy(&hi, (const uint8_t *)w->p + 16 * i + 8, 8);
  return (i128)(((unsigned __int128)hi << 64) | lo);
}

/* Order of a * 10^-sa and b * 10^-sb, exactly. */
static int cmp_scaled(i128 a, int32_t sa, i128 b, int32_t sb) {
  if (sa > sb) return -cmp_scaled(b, sb, a, sa);
  for (int32_t k = sa; k < sb && a != 0; k++) {
    i128 next;
    if (__builtin_mul_overflow(a, (i128)10, &next)) return a < 0 ? -1 : 1; /* beyond b */
    a = next;
  }
  return SIGN(a, b);
}

/* A number of the general loop as (value, scale) or a double. */
static bool number_as_decimal(const wide *w, int64_t i, i128 *v, int32_t *scale) {
  *scale = 0;
  switch (w->kind) {
    case W_I64: *v = ((const int64_t *)w->p)[i]; return true;
    case W_U64: *v = ((const uint64_t *)w->p)[i]; return true;
    case W_DEC: *v = dec_at(w, i); *scale = w->scale; return true;
    default: return false;
  }
}

static double number_as_double(const wide *w, int64_t i) {
  if (w->kind == W_F64) return ((const double *)w->p)[i];
  i128 v = dec_at(w, i);
  return ck_decimal_to_double((uint64_t)v, (int64_t)(v >> 64), w->scale);
}

/* Row i of a against row j of b, for the pairs without a loop of their own. */
static int cmp_general(const wide *a, int64_t i, const wide *b, int64_t j) {
  switch (a->kind) {
    case W_BOOL: return SIGN(cy_column_bool(a->col, i), cy_column_bool(b->col, j));
    case W_BYTES: {
      int64_t la, lb;
      const uint8_t *pa = cy_column_bytes(a->col, i, &la), *pb = cy_column_bytes(b->col, j, &lb);
      return cmp_bytes(pa, la, pb, lb);
    }
    case W_TICKS:
      return ck_cmp_ticks(((const int64_t *)a->p)[i], a->factor, ((const int64_t *)b->p)[j],
                          b->factor);
    default: { /* numbers, one of them a decimal */
      i128 x, y;
      int32_t sx, sy;
      if (number_as_decimal(a, i, &x, &sx) && number_as_decimal(b, j, &y, &sy))
        return cmp_scaled(x, sx, y, sy);
      return ck_cmp_f64(number_as_double(a, i), number_as_double(b, j));
    }
  }
}

#define CMP_F64_I64(x, y) (-ck_cmp_i64_f64((y), (x)))
#define CMP_F64_U64(x, y) (-ck_cmp_u64_f64((y), (x)))
#define CMP_U64_I64(x, y) (-ck_cmp_i64_u64((y), (x)))
#define PAIR_LOOP(TA, TB, CMP)                                                     \
  do {                                                                             \
    const TA *x_ = (const TA *)a->p;                                               \
    const TB *y_ = (const TB *)b->p;                                               \
    PACK(0, n, out, HOLDS(mask, CMP(x_[i], y_[i * sb])));                          \
  } while (0)

/* Bits of "a op b" for rows [0, n); b's row is i * sb (sb = 0: b is one scalar row). */
static void compare_wide(const wide *a, const wide *b, int64_t sb, cy_compare_op op,
                         int64_t n, uint8_t *out) {
  unsigned mask = OP_MASK[op];
  wkind ka = a->kind, kb = b->kind;
  if (ka == W_I64 && kb == W_I64) PAIR_LOOP(int64_t, int64_t, SIGN);
  else if (ka == W_U64 && kb == W_U64) PAIR_LOOP(uint64_t, uint64_t, SIGN);
  else if (ka == W_F64 && kb == W_F64) PAIR_LOOP(double, double, ck_cmp_f64);
  else if (ka == W_I64 && kb == W_F64) PAIR_LOOP(int64_t, double, ck_cmp_i64_f64);
  else if (ka == W_F64 && kb == W_I64) PAIR_LOOP(double, int64_t, CMP_F64_I64);
  else if (ka == W_U64 && kb == W_F64) PAIR_LOOP(uint64_t, double, ck_cmp_u64_f64);
  else if (ka == W_F64 && kb == W_U64) PAIR_LOOP(double, uint64_t, CMP_F64_U64);
  else if (ka == W_I64 && kb == W_U64) PAIR_LOOP(int64_t, uint64_t, ck_cmp_i64_u64);
  else if (ka == W_U64 && kb == W_I64) PAIR_LOOP(uint64_t, int64_t, CMP_U64_I64);
  else if (ka == W_TICKS && a->factor == b->factor) PAIR_LOOP(int64_t, int64_t, SIGN);
  else PACK(0, n, out, HOLDS(mask, cmp_general(a, i, b, i * sb)));
}

#undef PAIR_LOOP

/* Strings against one string: the common filter on a text column. */
#define STRING_SCALAR_LOOP(O)                                                           \
  do {                                                                                  \
    const O *off = (const O *)a->values->data + a->offset;                              \
    const uint8_t *d = a->data->data;                                                   \
    if (op == CY_EQ || op == CY_NE) {                                                   \
      unsigned want = op == CY_EQ;                                                      \
      PACK(0, n, out, (unsigned)(off[i + 1] - off[i] == sl &&                           \
                                 memcmp(d + off[i], sp, (size_t)sl) == 0) == want);     \
    } else {                                                                            \
      PACK(0, n, out, HOLDS(mask, cmp_bytes(d + off[i], off[i + 1] - off[i], sp, sl))); \
    }                                                                                   \
  } while (0)

static void compare_string_scalar(const cy_column *a, const cy_scalar *s, cy_compare_op op,
                                  uint8_t *out) {
  unsigned mask = OP_MASK[op];
  int64_t n = a->length, sl = s->v.s.len;
  const uint8_t *sp = (const uint8_t *)s->v.s.data;
  if (sp == NULL) sp = (const uint8_t *)"";
  if (cy_type_is_large(a->type.id)) STRING_SCALAR_LOOP(int64_t);
  else STRING_SCALAR_LOOP(int32_t);
}

#undef STRING_SCALAR_LOOP

/* ---------------------------------------------------------------------------------------
 * The public kernels
 * ------------------------------------------------------------------------------------- */

static cy_status type_mismatch(const cy_type *a, const cy_type *b, cy_error *err) {
  ck_tname ta, tb;
  cy_error_set(err, "cannot compare %s with %s", ck_type_str(a, &ta), ck_type_str(b, &tb));
  return CY_EINVAL;
}

/* Output bitmap and validity for a result of col's length. */
static cy_status start_result(const cy_column *a, const cy_column *b, cy_buffer **values,
                              cy_buffer **validity, cy_error *err) {
  CY_RETURN_NOT_OK(cy_buffer_alloc(cy_bitmap_bytes(a->length), values, err));
  cy_status st = ck_validity_and(a, b, validity, err);
  if (st != CY_OK) cy_buffer_release(*values);
  return st;
}

/* Compare through the general loop, b being the other column or a one-row scalar. */
static cy_status compare_general(const cy_column *a, const cy_column *b, int64_t sb,
                                 cy_compare_op op, uint8_t *out, cy_error *err) {
  wide wa, wb;
  CY_RETURN_NOT_OK(widen(a, &wa, err));
  cy_status st = widen(b, &wb, err);
  if (st == CY_OK) {
    compare_wide(&wa, &wb, sb, op, a->length, out);
    wide_reset(&wb);
  }
  wide_reset(&wa);
  return st;
}

cy_status cy_column_compare(const cy_column *a, const cy_column *b, cy_compare_op op,
                            cy_column **out, cy_error *err) {
  if ((unsigned)op > CY_GE) {
    cy_error_set(err, "compare: unknown operator %d", (int)op);
    return CY_EINVAL;
  }
  if (ck_family_of(a->type.id) != ck_family_of(b->type.id))
    return type_mismatch(&a->type, &b->type, err);
  if (a->length != b->length) {
    cy_error_set(err, "compare: columns of %lld and %lld rows", (long long)a->length,
                 (long long)b->length);
    return CY_EINVAL;
  }
  cy_buffer *values, *validity;
  CY_RETURN_NOT_OK(start_result(a, b, &values, &validity, err));
  cy_status st = compare_general(a, b, 1, op, values->data, err);
  if (st != CY_OK) {
    cy_buffer_release(values);
    cy_buffer_release(validity);
    return st;
  }
  return ck_make_bool(a->length, values, validity, out, err);
}

/* A string scalar against a date or timestamp column is read as one. */
static cy_status coerce_scalar(const cy_column *a, const cy_scalar *b, cy_scalar *out,
                               cy_error *err) {
  *out = *b;
  ck_family fa = ck_family_of(a->type.id), fb = ck_family_of(b->type.id);
  if (fa == CK_FAM_TEMPORAL && fb == CK_FAM_STRING) {
    if (!ck_parse_temporal(b->v.s.data, b->v.s.len, &a->type, out)) {
      ck_tname ta;
      cy_error_set(err, "cannot compare %s with '%.*s': not a %s", ck_type_str(&a->type, &ta),
                   (int)(b->v.s.len > 200 ? 200 : b->v.s.len), b->v.s.data,
                   a->type.id == CY_DATE32 ? "date" : "timestamp");
      return CY_EINVAL;
    }
    return CY_OK;
  }
  return fa == fb ? CY_OK : type_mismatch(&a->type, &b->type, err);
}

cy_status cy_column_compare_scalar(const cy_column *a, const cy_scalar *b, cy_compare_op op,
                                   cy_column **out, cy_error *err) {
  if ((unsigned)op > CY_GE) {
    cy_error_set(err, "compare: unknown operator %d", (int)op);
    return CY_EINVAL;
  }
  if (!b->valid) return cy_column_nulls(cy_type_make(CY_BOOL), a->length, out, err);
  cy_scalar s;
  CY_RETURN_NOT_OK(coerce_scalar(a, b, &s, err));
  cy_buffer *values, *validity;
  CY_RETURN_NOT_OK(start_result(a, NULL, &values, &validity, err));
  cy_status st = CY_OK;
  ck_family fam = ck_family_of(a->type.id);
  if (fam == CK_FAM_STRING || fam == CK_FAM_BINARY) {
    compare_string_scalar(a, &s, op, values->data);
  } else if (!compare_native(a, &s, op, values->data)) {
    cy_column *one;
    st = ck_broadcast(&s, 1, &one, err);
    if (st == CY_OK) {
      st = compare_general(a, one, 0, op, values->data, err);
      cy_column_release(one);
    }
  }
  if (st != CY_OK) {
    cy_buffer_release(values);
    cy_buffer_release(validity);
    return st;
  }
  return ck_make_bool(a->length, values, validity, out, err);
}
