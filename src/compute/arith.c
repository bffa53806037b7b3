/*
 * arith.c - element-wise + - * / of numeric columns, and of dates with days.
 *
 * Result types: int64 when both sides are integers (an overflow is an error naming the
 * row and the operands); float64 when either side is a float, and always for division
 * (SQL's / on doubles), where x / 0 is null; date32 for date + days, days + date and
 * date - days; int64 days for date - date. A null on either side gives null. Decimals
 * and the other types are not supported yet: the error names both types.
 *
 * How: each side, a column or a scalar, is viewed as an array of int64 or of double -
 * the column's own values when it already is one, else a widened copy; a scalar is an
 * array of one read with stride 0 - and one tight loop per op computes every row, null
 * rows included (their values are whatever the buffer holds), so the loop never tests
 * validity. Integer overflow is gathered into a flag; only when it is set are the rows
 * searched for a valid one that overflowed. Rows are numbered from 0 in messages.
 */
#include <stdlib.h>

#include "compute/kernel.h"

typedef enum rkind { R_INT, R_FLOAT, R_DATE } rkind;

/* One side of an operation, viewed as 64-bit values. */
typedef struct operand {
  const cy_column *col; /* NULL for a scalar */
  cy_type type;
  const int64_t *i;     /* int view (R_INT, R_DATE) */
  const double *f;      /* float view (R_FLOAT) */
  int64_t stride;       /* 1 for a column, 0 for a scalar */
  void *owned;          /* widened copy (cy_alloc), or NULL */
  int64_t owned_bytes;
  int64_t si;           /* a scalar's value */
  double sf;
} operand;

static const char *const OP_TEXT[] = {"+", "-", "*", "/"};
static const char *const OP_VERB[] = {"add", "subtract", "multiply", "divide"};

static bool is_float_type(cy_type_id id) { return id == CY_FLOAT32 || id == CY_FLOAT64; }
static bool is_int_type(cy_type_id id) { return cy_type_is_integer(id); }

/* The kind of result a pair of types gives under op, or an error naming both. */
static cy_status result_kind(const cy_type *a, const cy_type *b, cy_arith_op op, rkind *out,
                             cy_error *err) {
  bool na = is_int_type(a->id) || is_float_type(a->id);
  bool nb = is_int_type(b->id) || is_float_type(b->id);
  if (na && nb) {
    *out = op == CY_DIV || is_float_type(a->id) || is_float_type(b->id) ? R_FLOAT : R_INT;
    return CY_OK;
  }
  bool da = a->id == CY_DATE32, db = b->id == CY_DATE32;
  if (da && is_int_type(b->id) && (op == CY_ADD || op == CY_SUB)) {
    *out = R_DATE;
    return CY_OK;
  }
  if (db && is_int_type(a->id) && op == CY_ADD) {
    *out = R_DATE;
    return CY_OK;
  }
  if (da && db && op == CY_SUB) {
    *out = R_INT; /* days between */
    return CY_OK;
  }
  ck_tname ta, tb;
  cy_error_set(err, "cannot %s %s and %s", OP_VERB[op], ck_type_str(a, &ta), ck_type_str(b, &tb));
  return CY_EINVAL;
}

#define WIDEN(SRC_T, DST_T, DST)                                          \
  do {                                                                    \
    const SRC_T *src_ = (const SRC_T *)cy_column_data(c);                 \
    DST_T *dst_ = (DST_T *)o->owned;                                      \
    for (int64_t r = 0; r < n; r++) dst_[r] = (DST_T)src_[r];             \
    o->DST = dst_;                                                        \
  } while (0)

/* A uint64 column's values as int64, which must all fit (null rows aside). */
static cy_status uint64_as_int(const cy_column *c, operand *o, cy_error *err) {
  const uint64_t *src = (const uint64_t *)cy_column_data(c);
  for (int64_t r = 0; r < c->length; r++) {
    if (src[r] > (uint64_t)INT64_MAX && cy_column_is_valid(c, r)) {
      cy_error_set(err, "uint64 value %llu at row %lld does not fit int64",
                   (unsigned long long)src[r], (long long)r);
      return CY_ERANGE;
    }
  }
  o->i = (const int64_t *)src; /* same bits; too-large ones only in null rows */
  return CY_OK;
}

/* View column c as int64s (as_float false) or doubles. */
static cy_status view_column(const cy_column *c, bool as_float, operand *o, cy_error *err) {
  int64_t n = c->length;
  cy_type_id id = c->type.id;
  o->stride = 1;
  if (!as_float && id == CY_INT64) {
    o->i = n ? cy_column_data(c) : NULL;
    return CY_OK;
  }
  if (as_float && id == CY_FLOAT64) {
    o->f = n ? cy_column_data(c) : NULL;
    return CY_OK;
  }
  if (!as_float && id == CY_UINT64) return uint64_as_int(c, o, err);
  o->owned_bytes = (n > 0 ? n : 1) * 8;
  o->owned = cy_alloc(o->owned_bytes);
  if (o->owned == NULL) {
    cy_error_set(err, "out of memory in arithmetic on %lld rows", (long long)n);
    return CY_ENOMEM;
  }
  if (as_float) {
    switch (id) {
      case CY_INT8: WIDEN(int8_t, double, f); break;
      case CY_INT16: WIDEN(int16_t, double, f); break;
      case CY_INT32: WIDEN(int32_t, double, f); break;
      case CY_INT64: WIDEN(int64_t, double, f); break;
      case CY_UINT8: WIDEN(uint8_t, double, f); break;
      case CY_UINT16: WIDEN(uint16_t, double, f); break;
      case CY_UINT32: WIDEN(uint32_t, double, f); break;
      case CY_UINT64: WIDEN(uint64_t, double, f); break;
      default: WIDEN(float, double, f); break;
    }
  } else {
    switch (id) {
      case CY_INT8: WIDEN(int8_t, int64_t, i); break;
      case CY_INT16: WIDEN(int16_t, int64_t, i); break;
      case CY_UINT8: WIDEN(uint8_t, int64_t, i); break;
      case CY_UINT16: WIDEN(uint16_t, int64_t, i); break;
      case CY_UINT32: WIDEN(uint32_t, int64_t, i); break;
      default: WIDEN(int32_t, int64_t, i); break; /* int32, date32 */
    }
  }
  return CY_OK;
}

#undef WIDEN

/* View a (valid) scalar as an int64 or a double. */
static cy_status view_scalar(const cy_scalar *s, bool as_float, operand *o, cy_error *err) {
  bool is_unsigned = s->type.id >= CY_UINT8 && s->type.id <= CY_UINT64;
  o->stride = 0;
  if (as_float) {
    o->sf = is_float_type(s->type.id) ? s->v.f : is_unsigned ? (double)s->v.u : (double)s->v.i;
    o->f = &o->sf;
    return CY_OK;
  }
  if (is_unsigned && s->v.u > (uint64_t)INT64_MAX) {
    cy_error_set(err, "uint64 value %llu does not fit int64", (unsigned long long)s->v.u);
    return CY_ERANGE;
  }
  o->si = is_unsigned ? (int64_t)s->v.u : s->v.i;
  o->i = &o->si;
  return CY_OK;
}

static void operand_reset(operand *o) {
  if (o->owned) cy_free(o->owned, o->owned_bytes);
  o->owned = NULL;
}

/* ---------------------------------------------------------------------------------------
 * The loops
 * ------------------------------------------------------------------------------------- */

/* out[r] = A op B over rows [0, n) for each stride shape, so the common shapes (column
 * with column, column with scalar) compile to loops without multiplications. */
#define SHAPED(STMT)                                                             \
  do {                                                                           \
    if (sa == 1 && sb == 1) {                                                    \
      for (int64_t r = 0; r < n; r++) { int64_t ra = r, rb = r; STMT; }          \
    } else if (sb == 0) {                                                        \
      for (int64_t r = 0; r < n; r++) { int64_t ra = r, rb = 0; STMT; }          \
    } else {                                                                     \
      for (int64_t r = 0; r < n; r++) { int64_t ra = 0, rb = r; STMT; }          \
    }                                                                            \
  } while (0)

/* Integer op over all rows; returns whether any row overflowed. */
static bool int_loop(const operand *a, const operand *b, cy_arith_op op, int64_t n,
                     int64_t *out) {
  const int64_t *x = a->i, *y = b->i;
  int64_t sa = a->stride, sb = b->stride;
  bool ovf = false;
  switch (op) {
    case CY_ADD: SHAPED(ovf |= __builtin_add_overflow(x[ra], y[rb], &out[r])); break;
    case CY_SUB: SHAPED(ovf |= __builtin_sub_overflow(x[ra], y[rb], &out[r])); break;
    default: SHAPED(ovf |= __builtin_mul_overflow(x[ra], y[rb], &out[r])); break;
  }
  return ovf;
}

/* Float op over all rows; a zero divisor gives 0 here and null in the result. */
static void float_loop(const operand *a, const operand *b, cy_arith_op op, int64_t n,
                       double *out) {
  const double *x = a->f, *y = b->f;
  int64_t sa = a->stride, sb = b->stride;
  switch (op) {
    case CY_ADD: SHAPED(out[r] = x[ra] + y[rb]); break;
    case CY_SUB: SHAPED(out[r] = x[ra] - y[rb]); break;
    case CY_MUL: SHAPED(out[r] = x[ra] * y[rb]); break;
    case CY_DIV: SHAPED(out[r] = y[rb] != 0 ? x[ra] / y[rb] : 0); break;
  }
}

#undef SHAPED

static bool row_valid(const operand *o, int64_t r) {
  return o->col == NULL || cy_column_is_valid(o->col, o->stride ? r : 0);
}

/* The error for the first valid row whose integer result overflowed (none: CY_OK). */
static cy_status find_overflow(const operand *a, const operand *b, cy_arith_op op, int64_t n,
                               cy_error *err) {
  for (int64_t r = 0; r < n; r++) {
    if (!row_valid(a, r) || !row_valid(b, r)) continue;
    int64_t x = a->i[r * a->stride], y = b->i[r * b->stride], z;
    bool o = op == CY_ADD ? __builtin_add_overflow(x, y, &z)
             : op == CY_SUB ? __builtin_sub_overflow(x, y, &z)
                            : __builtin_mul_overflow(x, y, &z);
    if (o) {
      cy_error_set(err, "integer overflow at row %lld: %lld %s %lld does not fit int64",
                   (long long)r, (long long)x, OP_TEXT[op], (long long)y);
      return CY_ERANGE;
    }
  }
  return CY_OK;
}

/* Clear the validity of rows whose divisor is zero; *validity may be replaced. */
static cy_status null_zero_divisors(const operand *b, int64_t n, cy_buffer **validity,
                                    cy_error *err) {
  const double *y = b->f;
  int64_t sb = b->stride;
  bool any = false;
  for (int64_t r = 0; r < n && !any; r++) any = y[r * sb] == 0;
  if (!any) return CY_OK;
  /* A fresh bitmap: the one we hold may be shared with an input. */
  cy_buffer *fresh;
  CY_RETURN_NOT_OK(cy_buffer_alloc(cy_bitmap_bytes(n), &fresh, err));
  if (*validity) cy_bitmap_copy(fresh->data, 0, (*validity)->data, 0, n);
  else cy_bitmap_fill(fresh->data, 0, n, true);
  for (int64_t r = 0; r < n; r++)
    if (y[r * sb] == 0) cy_bit_clear(fresh->data, r);
  cy_buffer_release(*validity);
  *validity = fresh;
  return CY_OK;
}

/* Dates: int64 day counts back to date32, each (valid) row checked for range. */
static cy_status narrow_dates(const int64_t *days, int64_t n, const cy_buffer *validity,
                              cy_buffer *out, cy_error *err) {
  int32_t *d = (int32_t *)out->data;
  for (int64_t r = 0; r < n; r++) {
    bool valid = validity == NULL || cy_bit_get(validity->data, r);
    if (valid && (days[r] < INT32_MIN || days[r] > INT32_MAX)) {
      cy_error_set(err, "date arithmetic at row %lld: %lld days from 1970-01-01 is outside date32",
                   (long long)r, (long long)days[r]);
      return CY_ERANGE;
    }
    d[r] = valid ? (int32_t)days[r] : 0;
  }
  return CY_OK;
}

/* Compute into fresh buffers; the operands are already viewed. */
static cy_status compute(const operand *a, const operand *b, cy_arith_op op, rkind kind,
                         int64_t n, cy_buffer **values, cy_buffer **validity, cy_error *err) {
  CY_RETURN_NOT_OK(cy_buffer_alloc(n * 8, values, err));
  if (kind == R_FLOAT) {
    float_loop(a, b, op, n, (double *)(*values)->data);
    return op == CY_DIV ? null_zero_divisors(b, n, validity, err) : CY_OK;
  }
  int64_t *o = (int64_t *)(*values)->data;
  if (int_loop(a, b, op, n, o)) CY_RETURN_NOT_OK(find_overflow(a, b, op, n, err));
  if (kind != R_DATE) return CY_OK;
  cy_buffer *dates;
  CY_RETURN_NOT_OK(cy_buffer_alloc(n * 4, &dates, err));
  cy_status st = narrow_dates(o, n, *validity, dates, err);
  cy_buffer_release(*values);
  *values = dates;
  return st;
}

static cy_type kind_type(rkind kind) {
  return cy_type_make(kind == R_FLOAT ? CY_FLOAT64 : kind == R_DATE ? CY_DATE32 : CY_INT64);
}

cy_status ck_arith(const cy_column *ac, const cy_scalar *as, const cy_column *bc,
                   const cy_scalar *bs, cy_arith_op op, cy_column **out, cy_error *err) {
  if ((unsigned)op > CY_DIV) {
    cy_error_set(err, "arithmetic: unknown operator %d", (int)op);
    return CY_EINVAL;
  }
  operand a = {.col = ac, .type = ac ? ac->type : as->type};
  operand b = {.col = bc, .type = bc ? bc->type : bs->type};
  int64_t n = ac ? ac->length : bc->length;
  if (ac && bc && ac->length != bc->length) {
    cy_error_set(err, "arithmetic: columns of %lld and %lld rows", (long long)ac->length,
                 (long long)bc->length);
    return CY_EINVAL;
  }
  rkind kind;
  CY_RETURN_NOT_OK(result_kind(&a.type, &b.type, op, &kind, err));
  if ((as && !as->valid) || (bs && !bs->valid))
    return cy_column_nulls(kind_type(kind), n, out, err);
  bool fl = kind == R_FLOAT;
  cy_status st = ac ? view_column(ac, fl, &a, err) : view_scalar(as, fl, &a, err);
  if (st == CY_OK) st = bc ? view_column(bc, fl, &b, err) : view_scalar(bs, fl, &b, err);
  cy_buffer *values = NULL, *validity = NULL;
  if (st == CY_OK) st = ck_validity_and(ac ? ac : bc, ac && bc ? bc : NULL, &validity, err);
  if (st == CY_OK) st = compute(&a, &b, op, kind, n, &values, &validity, err);
  operand_reset(&a);
  operand_reset(&b);
  if (st != CY_OK) {
    cy_buffer_release(values);
    cy_buffer_release(validity);
    return st;
  }
  return cy_column_make(kind_type(kind), n, 0, validity ? -1 : 0, validity, values, NULL, out,
                        err);
}

cy_status cy_column_arith(const cy_column *a, const cy_column *b, cy_arith_op op,
                          cy_column **out, cy_error *err) {
  return ck_arith(a, NULL, b, NULL, op, out, err);
}

cy_status cy_column_arith_scalar(const cy_column *a, const cy_scalar *b, cy_arith_op op,
                                 cy_column **out, cy_error *err) {
  return ck_arith(a, NULL, NULL, b, op, out, err);
}
