/*
 * parquet_stats.c - skipping row groups by their min/max statistics.
 *
 * A predicate (the expression tree of cy_expr) is evaluated over a row group's column
 * statistics in a three-valued abstraction: for each node, "can some row make it TRUE?"
 * and "can some row make it FALSE?". SQL logic lets NULLs make neither, which is why both
 * questions are kept: NOT swaps them, AND needs both sides possibly true, OR either. A row
 * group is skipped only when the predicate cannot be true for any row. Every node this
 * code does not understand (arithmetic, column against column, an unknown type, missing
 * or untrustworthy statistics) answers "both possible", so nothing is skipped wrongly.
 *
 * Statistics are trusted as the format defines them: min_value / max_value when the
 * footer's column order for the column is the type-defined order; otherwise the legacy
 * min / max only where their signed order agrees with the column's (signed integers,
 * floats, booleans). Float bounds that are NaN are ignored, and a float column may hold
 * NaNs (which compare greater than everything, as DuckDB and cylon order them) unless its
 * nan_count says it does not.
 */
#include <math.h>
#include <string.h>

#include "compute/expr.h"
#include "compute/kernel.h"
#include "io/parquet_reader.h"

/* A bound from the statistics, decoded. */
typedef struct bound {
  int64_t i;   /* signed integers, dates, timestamps, decimals (unscaled) */
  uint64_t u;  /* unsigned integers */
  double f;    /* floats */
  bool b;      /* booleans */
  pq_bytes s;  /* byte arrays */
} bound;

/* What a row group's statistics say about one column. */
typedef struct colstats {
  const pq_field *fld;
  bool has_bounds;
  bound min, max;
  bool nulls_known;  /* null_count present */
  int64_t nulls;
  int64_t rows;
  bool may_have_nan; /* float columns */
} colstats;

/* Possible truth values of a predicate over a row group's rows. */
typedef struct tv {
  bool can_true, can_false;
} tv;

static const tv UNKNOWN = {true, true};
static const tv NEVER = {false, false}; /* always NULL */

static bool decode_bound(const pq_field *fld, pq_bytes v, bound *out) {
  switch (fld->order) {
    case PQ_ORDER_SIGNED:
    case PQ_ORDER_UNSIGNED:
      if (fld->physical == PQ_INT32 && v.len == 4) {
        int32_t x;
        memcpy(&x, v.data, 4);
        out->i = x;
        out->u = (uint32_t)x;
        return true;
      }
      if (fld->physical == PQ_INT64 && v.len == 8) {
        memcpy(&out->i, v.data, 8);
        out->u = (uint64_t)out->i;
        return true;
      }
      return false;
    case PQ_ORDER_FLOAT:
      if (fld->physical == PQ_FLOAT && v.len == 4) {
        float x;
        memcpy(&x, v.data, 4);
        out->f = x;
      } else if (fld->physical == PQ_DOUBLE && v.len == 8) {
        memcpy(&out->f, v.data, 8);
      } else {
        return false;
      }
      return !isnan(out->f);
    case PQ_ORDER_BOOL:
      if (v.len < 1) return false;
      out->b = v.data[0] & 1;
      return true;
    case PQ_ORDER_BYTES:
      out->s = v;
      return true;
    default:
      return false;
  }
}

static bool load_stats(const pq_file *f, int32_t rg, const pq_field *fld, colstats *cs) {
  memset(cs, 0, sizeof *cs);
  cs->fld = fld;
  cs->rows = f->meta.row_groups[rg].num_rows;
  const pq_column_chunk *cc = &f->meta.row_groups[rg].columns[fld->leaf];
  if (!cc->has_meta_data || !cc->meta_data.has_statistics) return false;
  const pq_statistics *st = &cc->meta_data.statistics;
  cs->nulls_known = st->has_null_count && st->null_count >= 0;
  cs->nulls = st->null_count;
  cs->may_have_nan = fld->order == PQ_ORDER_FLOAT && !(st->has_nan_count && st->nan_count == 0);
  const pq_file_meta *m = &f->meta;
  bool type_defined = m->column_orders && fld->leaf < m->num_column_orders &&
                      m->column_orders[fld->leaf] == PQ_ORDER_TYPE_DEFINED;
  if (type_defined && st->has_min_value && st->has_max_value) {
    cs->has_bounds = decode_bound(fld, st->min_value, &cs->min) &&
                     decode_bound(fld, st->max_value, &cs->max);
  } else if (st->has_min && st->has_max &&
             (fld->order == PQ_ORDER_SIGNED || fld->order == PQ_ORDER_FLOAT ||
              fld->order == PQ_ORDER_BOOL)) {
    cs->has_bounds = decode_bound(fld, st->min, &cs->min) && decode_bound(fld, st->max, &cs->max);
  }
  return true;
}

static bool all_null(const colstats *cs) { return cs->nulls_known && cs->nulls == cs->rows; }

/* ---- comparing a bound with a literal ------------------------------------------------ */

/* 10^k as a 128-bit integer (k <= 38). */
static __int128 pow10_128(int k) {
  __int128 p = 1;
  while (k-- > 0) p *= 10;
  return p;
}

/* A literal as an unscaled value at `scale`; false when it is not exactly one. */
static bool literal_decimal(const cy_scalar *lit, int32_t scale, __int128 *out) {
  __int128 v, limit = pow10_128(38);
  int32_t s;
  switch (lit->type.id) {
    case CY_INT8: case CY_INT16: case CY_INT32: case CY_INT64: v = lit->v.i, s = 0; break;
    case CY_UINT8: case CY_UINT16: case CY_UINT32: case CY_UINT64: v = lit->v.u, s = 0; break;
    case CY_DECIMAL128:
      v = (__int128)(((unsigned __int128)(uint64_t)lit->v.d.hi << 64) | lit->v.d.lo);
      s = lit->type.scale;
      break;
    default: return false;
  }
  if (s > scale || scale - s > 38) return false;
  __int128 m = pow10_128(scale - s);
  if (v > limit / m || v < -limit / m) return false;
  *out = v * m;
  return true;
}

static int sign128(__int128 a, __int128 b) { return a < b ? -1 : a > b; }

/* The order of bound b and the literal: -1, 0, 1; false when they do not compare here. */
static bool compare_bound(const pq_field *fld, const bound *b, const cy_scalar *lit, int *out) {
  cy_type_id lt = lit->type.id;
  bool lit_int = lt >= CY_INT8 && lt <= CY_INT64, lit_uint = lt >= CY_UINT8 && lt <= CY_UINT64;
  bool lit_float = lt == CY_FLOAT32 || lt == CY_FLOAT64;
  if (lit_float && isnan(lit->v.f)) return false;
  cy_type_id ft = fld->type.id;
  if (ft == CY_DECIMAL128) {
    __int128 v;
    if (literal_decimal(lit, fld->type.scale, &v)) {
      *out = sign128(b->i, v);
      return true;
    }
    if (!lit_float) return false;
    /* Against a float: the bound's value in long double (exact for the int64 unscaled
     * value, nearly so after scaling); too close to call is "cannot tell". */
    long double x = (long double)b->i, y = lit->v.f;
    for (int32_t k = 0; k < fld->type.scale; k++) x /= 10;
    long double d = x - y, tol = 1e-12L * (fabsl(y) > 1 ? fabsl(y) : 1);
    if (fabsl(d) <= tol) return false;
    *out = d < 0 ? -1 : 1;
    return true;
  }
  if (ft == CY_DATE32 || ft == CY_TIMESTAMP) {
    cy_scalar t = *lit;
    if (lt == CY_UTF8 || lt == CY_LARGE_UTF8) {
      if (!ck_parse_temporal(lit->v.s.data, lit->v.s.len, &fld->type, &t)) return false;
    } else if (lt != CY_DATE32 && lt != CY_TIMESTAMP) {
      return false;
    }
    *out = ck_cmp_ticks(b->i, ck_ticks_per_day(&fld->type), t.v.i, ck_ticks_per_day(&t.type));
    return true;
  }
  switch (fld->order) {
    case PQ_ORDER_SIGNED:
      if (lit_int) *out = b->i < lit->v.i ? -1 : b->i > lit->v.i;
      else if (lit_uint) *out = ck_cmp_i64_u64(b->i, lit->v.u);
      else if (lit_float) *out = ck_cmp_i64_f64(b->i, lit->v.f);
      else return false;
      return true;
    case PQ_ORDER_UNSIGNED:
      if (lit_int) *out = -ck_cmp_i64_u64(lit->v.i, b->u);
      else if (lit_uint) *out = b->u < lit->v.u ? -1 : b->u > lit->v.u;
      else if (lit_float) *out = ck_cmp_u64_f64(b->u, lit->v.f);
      else return false;
      return true;
    case PQ_ORDER_FLOAT:
      if (lit_int) *out = -ck_cmp_i64_f64(lit->v.i, b->f);
      else if (lit_uint) *out = -ck_cmp_u64_f64(lit->v.u, b->f);
      else if (lit_float) *out = ck_cmp_f64(b->f, lit->v.f);
      else return false;
      return true;
    case PQ_ORDER_BOOL:
      if (lt != CY_BOOL) return false;
      *out = (int)b->b - (int)lit->v.b;
      return true;
    case PQ_ORDER_BYTES: {
      bool text = ft == CY_UTF8 || ft == CY_LARGE_UTF8;
      bool lit_text = lt == CY_UTF8 || lt == CY_LARGE_UTF8;
      bool lit_bin = lt == CY_BINARY || lt == CY_LARGE_BINARY;
      if (!(text ? lit_text : (lit_bin || lit_text))) return false;
      int64_t n = b->s.len < lit->v.s.len ? b->s.len : lit->v.s.len;
      int c = n ? memcmp(b->s.data, lit->v.s.data, (size_t)n) : 0;
      *out = c ? (c < 0 ? -1 : 1) : (b->s.len < lit->v.s.len ? -1 : b->s.len > lit->v.s.len);
      return true;
    }
    default:
      return false;
  }
}

/* ---- the three-valued evaluation ----------------------------------------------------- */

typedef struct ctx {
  const pq_file *f;
  int32_t rg;
} ctx;

/* The statistics of the column a node names, or false. */
static bool column_stats(const ctx *c, const cy_expr *e, colstats *cs) {
  if (!e || e->kind != EXPR_COLUMN || !e->name) return false;
  for (int32_t i = 0; i < c->f->num_fields; i++) {
    const pq_field *fld = &c->f->fields[i];
    if (!fld->unreadable && strcmp(fld->name, e->name) == 0) return load_stats(c->f, c->rg, fld, cs);
  }
  return false;
}

/* The literal a node holds (strings: their bytes), or false. */
static bool literal(const cy_expr *e, cy_scalar *out, bool *is_null) {
  if (!e || e->kind != EXPR_LITERAL) return false;
  *is_null = e->untyped_null || !e->value.valid;
  *out = e->value;
  cy_type_id t = out->type.id;
  if (cy_type_is_var_width(t) && e->name) {
    out->v.s.data = e->name;
    out->v.s.len = e->name_len;
  }
  return true;
}

static tv compare_tv(const colstats *cs, cy_compare_op op, const cy_scalar *lit) {
  if (all_null(cs)) return NEVER;
  if (!cs->has_bounds) return UNKNOWN;
  int lo, hi; /* min vs literal, max vs literal */
  if (!compare_bound(cs->fld, &cs->min, lit, &lo) || !compare_bound(cs->fld, &cs->max, lit, &hi))
    return UNKNOWN;
  tv r;
  switch (op) {
    case CY_LT: r.can_true = lo < 0, r.can_false = hi >= 0; break;
    case CY_LE: r.can_true = lo <= 0, r.can_false = hi > 0; break;
    case CY_GT: r.can_true = hi > 0, r.can_false = lo <= 0; break;
    case CY_GE: r.can_true = hi >= 0, r.can_false = lo < 0; break;
    case CY_EQ: r.can_true = lo <= 0 && hi >= 0, r.can_false = !(lo == 0 && hi == 0); break;
    case CY_NE: r.can_true = !(lo == 0 && hi == 0), r.can_false = lo <= 0 && hi >= 0; break;
    default: return UNKNOWN;
  }
  if (cs->may_have_nan) { /* NaN is above everything and equal to nothing but NaN */
    if (op == CY_GT || op == CY_GE || op == CY_NE) r.can_true = true;
    r.can_false = true;
  }
  return r;
}

static tv eval(const ctx *c, const cy_expr *e);

static tv eval_compare(const ctx *c, const cy_expr *e) {
  colstats cs;
  cy_scalar lit;
  bool is_null;
  cy_compare_op op = (cy_compare_op)e->op;
  const cy_expr *col = e->left, *val = e->right;
  if (col && col->kind == EXPR_LITERAL) {
    col = e->right;
    val = e->left;
    op = ck_flip_compare(op);
  }
  if (!literal(val, &lit, &is_null)) return UNKNOWN;
  if (is_null) return NEVER; /* a comparison with NULL is NULL */
  if (!column_stats(c, col, &cs)) return UNKNOWN;
  return compare_tv(&cs, op, &lit);
}

static tv eval_in(const ctx *c, const cy_expr *e) {
  colstats cs;
  if (!column_stats(c, e->left, &cs)) return UNKNOWN;
  tv r = {false, true}; /* IN: false is always conservatively possible */
  if (all_null(&cs)) {
    r = NEVER;
  } else {
    for (int32_t i = 0; i < e->num_items && !r.can_true; i++) {
      cy_scalar lit;
      bool is_null;
      if (!literal(e->items[i], &lit, &is_null)) return UNKNOWN;
      if (!is_null) r.can_true = compare_tv(&cs, CY_EQ, &lit).can_true;
    }
  }
  if (e->negated) { /* NOT IN is NOT (IN) */
    tv n = {r.can_false, r.can_true};
    return n;
  }
  return r;
}

static tv eval_is_null(const ctx *c, const cy_expr *e) {
  colstats cs;
  if (!column_stats(c, e->left, &cs) || !cs.nulls_known) return UNKNOWN;
  tv r = {cs.nulls > 0, cs.nulls < cs.rows};
  if (e->negated) {
    tv n = {r.can_false, r.can_true};
    return n;
  }
  return r;
}

static tv eval(const ctx *c, const cy_expr *e) {
  if (!e) return UNKNOWN;
  switch (e->kind) {
    case EXPR_AND: {
      tv a = eval(c, e->left), b = eval(c, e->right);
      tv r = {a.can_true && b.can_true, a.can_false || b.can_false};
      return r;
    }
    case EXPR_OR: {
      tv a = eval(c, e->left), b = eval(c, e->right);
      tv r = {a.can_true || b.can_true, a.can_false && b.can_false};
      return r;
    }
    case EXPR_NOT: {
      tv a = eval(c, e->left);
      tv r = {a.can_false, a.can_true};
      return r;
    }
    case EXPR_COMPARE: return eval_compare(c, e);
    case EXPR_IN: return eval_in(c, e);
    case EXPR_IS_NULL: return eval_is_null(c, e);
    case EXPR_LITERAL:
      if (e->untyped_null || !e->value.valid) return NEVER;
      if (e->value.type.id == CY_BOOL) {
        tv r = {e->value.v.b, !e->value.v.b};
        return r;
      }
      return UNKNOWN;
    case EXPR_COLUMN: {
      colstats cs;
      if (!column_stats(c, e, &cs) || cs.fld->type.id != CY_BOOL) return UNKNOWN;
      if (all_null(&cs)) return NEVER;
      if (!cs.has_bounds) return UNKNOWN;
      tv r = {cs.max.b, !cs.min.b};
      return r;
    }
    default:
      return UNKNOWN;
  }
}

bool pq_row_group_may_match(const pq_file *f, int32_t rg, const cy_expr *predicate) {
  if (!predicate) return true;
  if (f->meta.row_groups[rg].num_rows == 0) return false;
  ctx c = {f, rg};
  return eval(&c, predicate).can_true;
}
