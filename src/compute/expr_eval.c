/*
 * expr_eval.c - evaluating a parsed expression over a table (cy_expr_evaluate) and
 * filtering by one (cy_table_select).
 *
 * Vectorised: every node produces a whole column from its children's with one kernel
 * call (compare.c, arith.c, nulls.c, and the bitwise three-valued logic below); a column
 * reference is the table's own column, not a copy. Literals stay scalars until they meet
 * a column, so "v < 5" is one column-with-scalar comparison, a scalar on the left is
 * handled by flipping the comparison, and parts made only of literals are computed once
 * on one-row columns. The result is broadcast to the table's length only at the end.
 *
 * Semantics are SQL's, as DuckDB has them: and, or and not use three-valued logic (true
 * or null is true, false and null is false, not null is null); a comparison or arithmetic
 * with a null is null; "x in (a, b)" is "x = a or x = b" (so a null in the list makes a
 * non-match null) and "x not in (...)" its negation; the literal null takes the type of
 * what it meets. Errors start "expression 'TEXT': " and name the part that failed.
 */
#include <stdlib.h>

#include "compute/expr.h"
#include "compute/kernel.h"

/* An intermediate result: a column, or a scalar not yet broadcast. */
typedef struct value {
  cy_column *col; /* NULL: the value is `s` */
  cy_scalar s;
  bool untyped_null;
} value;

typedef struct evaluator {
  cy_table *table;
  const cy_expr *root;
  bool annotated; /* the error already names the failing part */
  cy_error *err;
} evaluator;

static cy_status eval(evaluator *ev, const cy_expr *e, value *out);

static void value_reset(value *v) {
  cy_column_release(v->col);
  v->col = NULL;
}

static value scalar_value(cy_scalar s) {
  value v = {NULL, s, false};
  return v;
}

/* Name the failing node after the kernel's message: "... in 'v > 'abc''". */
static cy_status annotate(evaluator *ev, const cy_expr *e, cy_status st) {
  if (st == CY_OK || ev->annotated || ev->err == NULL) return st;
  ev->annotated = true;
  if (e == ev->root) return st;
  char part[256], msg[sizeof ev->err->message];
  snprintf(msg, sizeof msg, "%s", ev->err->message);
  cy_error_set(ev->err, "%s in '%s'", msg, cy_expr_format(e, part, sizeof part));
  return st;
}

static cy_status type_error(evaluator *ev, const cy_expr *e, const char *what,
                            const cy_type *type) {
  ck_tname tn;
  cy_error_set(ev->err, "%s, not %s", what, ck_type_str(type, &tn));
  return annotate(ev, e, CY_EINVAL);
}

static const cy_type *value_type(const value *v) { return v->col ? &v->col->type : &v->s.type; }

/* A one-row column holding a scalar, so literal-only parts reuse the column kernels. */
static cy_status lift(const value *v, cy_column **out, cy_error *err) {
  return ck_broadcast(&v->s, 1, out, err);
}

/* Row 0 of a one-row result as the scalar value (numbers and bools only: a string
 * scalar would point into the released column). */
static value lower(cy_column *one) {
  value v = scalar_value(cy_column_scalar(one, 0));
  cy_column_release(one);
  return v;
}

/* ---------------------------------------------------------------------------------------
 * Leaves
 * ------------------------------------------------------------------------------------- */

static cy_status eval_column(evaluator *ev, const cy_expr *e, value *out) {
  int32_t idx = cy_schema_find(&ev->table->schema, e->name);
  if (idx < 0) {
    char schema[512];
    cy_error_set(ev->err, "no column named '%s' in %s", e->name,
                 cy_schema_format(&ev->table->schema, schema, sizeof schema));
    ev->annotated = true;
    return CY_ENOENT;
  }
  out->col = cy_column_retain(ev->table->columns[idx]);
  return CY_OK;
}

/* ---------------------------------------------------------------------------------------
 * Arithmetic and comparison
 * ------------------------------------------------------------------------------------- */

/* The literal null takes the type of the other side (int64 when both are null). */
static void type_nulls(value *a, value *b) {
  if (a->untyped_null && !b->untyped_null) a->s = cy_scalar_null(*value_type(b));
  else if (b->untyped_null && !a->untyped_null) b->s = cy_scalar_null(*value_type(a));
  else if (a->untyped_null) a->s = b->s = cy_scalar_null(cy_type_make(CY_INT64));
}

static cy_status arith_values(evaluator *ev, value *a, value *b, cy_arith_op op, value *out) {
  cy_error *err = ev->err;
  type_nulls(a, b);
  if (a->col || b->col)
    return ck_arith(a->col, a->col ? NULL : &a->s, b->col, b->col ? NULL : &b->s, op, &out->col,
                    err);
  cy_column *one, *res;
  CY_RETURN_NOT_OK(lift(a, &one, err));
  cy_status st = ck_arith(one, NULL, NULL, &b->s, op, &res, err);
  cy_column_release(one);
  if (st == CY_OK) *out = lower(res);
  return st;
}

static cy_status eval_arith(evaluator *ev, const cy_expr *e, value *out) {
  value a = {0}, b = {0};
  cy_status st = eval(ev, e->left, &a);
  if (st == CY_OK) st = eval(ev, e->right, &b);
  if (st == CY_OK) st = annotate(ev, e, arith_values(ev, &a, &b, (cy_arith_op)e->op, out));
  value_reset(&a);
  value_reset(&b);
  return st;
}

static cy_status eval_negate(evaluator *ev, const cy_expr *e, value *out) {
  value a = {0};
  CY_RETURN_NOT_OK(eval(ev, e->left, &a));
  const cy_type *t = value_type(&a);
  cy_status st = CY_OK;
  if (!a.untyped_null && !cy_type_is_numeric(t->id)) {
    st = type_error(ev, e, "minus needs a number", t);
  } else {
    value minus_one = scalar_value(cy_scalar_int64(-1));
    st = annotate(ev, e, arith_values(ev, &a, &minus_one, CY_MUL, out));
  }
  value_reset(&a);
  return st;
}

static cy_status compare_values(evaluator *ev, value *a, value *b, cy_compare_op op,
                                value *out) {
  cy_error *err = ev->err;
  if ((!a->col && !a->s.valid) || (!b->col && !b->s.valid)) {
    *out = scalar_value(cy_scalar_null(cy_type_make(CY_BOOL)));
    return CY_OK;
  }
  if (a->col && b->col) return cy_column_compare(a->col, b->col, op, &out->col, err);
  if (a->col) return cy_column_compare_scalar(a->col, &b->s, op, &out->col, err);
  if (b->col) return cy_column_compare_scalar(b->col, &a->s, ck_flip_compare(op), &out->col, err);
  cy_column *one, *res;
  CY_RETURN_NOT_OK(lift(a, &one, err));
  cy_status st = cy_column_compare_scalar(one, &b->s, op, &res, err);
  cy_column_release(one);
  if (st == CY_OK) *out = lower(res);
  return st;
}

static cy_status eval_compare(evaluator *ev, const cy_expr *e, value *out) {
  value a = {0}, b = {0};
  cy_status st = eval(ev, e->left, &a);
  if (st == CY_OK) st = eval(ev, e->right, &b);
  if (st == CY_OK) st = annotate(ev, e, compare_values(ev, &a, &b, (cy_compare_op)e->op, out));
  value_reset(&a);
  value_reset(&b);
  return st;
}

/* ---------------------------------------------------------------------------------------
 * Three-valued logic
 * ------------------------------------------------------------------------------------- */

/* A bool column's value and validity bits from offset 0 (validity NULL: all valid). */
typedef struct bool_bits {
  const uint8_t *values, *valid;
  uint8_t *scratch_values, *scratch_valid;
  int64_t n;
} bool_bits;

static cy_status bits_of(const cy_column *c, bool_bits *b, cy_error *err) {
  b->n = c->length;
  b->values = ck_bits_at(c->values->data, c->offset, c->length, &b->scratch_values);
  b->valid = NULL;
  b->scratch_valid = NULL;
  if (b->values && c->null_count > 0)
    b->valid = ck_bits_at(c->validity->data, c->offset, c->length, &b->scratch_valid);
  if (b->values == NULL || (c->null_count > 0 && b->valid == NULL)) {
    ck_free_scratch(b->scratch_values, b->n);
    cy_error_set(err, "out of memory evaluating a condition");
    return CY_ENOMEM;
  }
  return CY_OK;
}

static void bits_reset(bool_bits *b) {
  ck_free_scratch(b->scratch_values, b->n);
  ck_free_scratch(b->scratch_valid, b->n);
}

/* a and b / a or b over two bool columns of n rows, a byte (8 rows) at a time. */
static cy_status logic_columns(const cy_column *a, const cy_column *b, bool is_and,
                               cy_column **out, cy_error *err) {
  int64_t n = a->length, bytes = cy_bitmap_bytes(n);
  bool nulls = a->null_count > 0 || b->null_count > 0;
  bool_bits x, y;
  CY_RETURN_NOT_OK(bits_of(a, &x, err));
  cy_status st = bits_of(b, &y, err);
  bool have_y = st == CY_OK;
  cy_buffer *values = NULL, *validity = NULL;
  if (st == CY_OK) st = cy_buffer_alloc(bytes, &values, err);
  if (st == CY_OK && nulls) st = cy_buffer_alloc(bytes, &validity, err);
  if (st == CY_OK) {
    for (int64_t k = 0; k < bytes; k++) {
      unsigned xv = x.values[k], yv = y.values[k];
      unsigned xm = x.valid ? x.valid[k] : 0xffu, ym = y.valid ? y.valid[k] : 0xffu;
      /* A known false (for and) or known true (for or) decides the row alone. */
      unsigned xd = is_and ? xm & ~xv : xm & xv, yd = is_and ? ym & ~yv : ym & yv;
      values->data[k] = (uint8_t)(is_and ? xv & yv & xm & ym : xd | yd);
      if (validity) validity->data[k] = (uint8_t)((xm & ym) | xd | yd);
    }
  }
  if (have_y) bits_reset(&y);
  bits_reset(&x);
  if (st != CY_OK) {
    cy_buffer_release(values);
    cy_buffer_release(validity);
    return st;
  }
  return ck_make_bool(n, values, validity, out, err);
}

static cy_status not_column(const cy_column *a, cy_column **out, cy_error *err) {
  int64_t n = a->length, bytes = cy_bitmap_bytes(n);
  cy_buffer *values, *validity;
  CY_RETURN_NOT_OK(cy_buffer_alloc(bytes, &values, err));
  cy_bitmap_copy(values->data, 0, a->values->data, a->offset, n);
  for (int64_t k = 0; k < bytes; k++) values->data[k] = (uint8_t)~values->data[k];
  cy_status st = ck_validity_and(a, NULL, &validity, err);
  if (st != CY_OK) {
    cy_buffer_release(values);
    return st;
  }
  return ck_make_bool(n, values, validity, out, err);
}

/* Truth of a bool scalar: 0 false, 1 true, 2 null. */
static int truth(const value *v) { return v->s.valid ? v->s.v.b : 2; }

static value truth_value(int t) {
  return scalar_value(t == 2 ? cy_scalar_null(cy_type_make(CY_BOOL)) : cy_scalar_bool(t == 1));
}

static cy_status check_bool(evaluator *ev, const cy_expr *e, const value *v, const char *op) {
  const cy_type *t = value_type(v);
  if (v->untyped_null || t->id == CY_BOOL) return CY_OK;
  char what[64];
  snprintf(what, sizeof what, "%s needs bool operands", op);
  return type_error(ev, e, what, t);
}

/* A scalar side of and / or as a column of the table's length. */
static cy_status as_column(evaluator *ev, value *v) {
  if (v->col) return CY_OK;
  cy_scalar s = v->untyped_null ? cy_scalar_null(cy_type_make(CY_BOOL)) : v->s;
  return ck_broadcast(&s, ev->table->num_rows, &v->col, ev->err);
}

static cy_status eval_logic(evaluator *ev, const cy_expr *e, value *out) {
  bool is_and = e->kind == EXPR_AND;
  value a = {0}, b = {0};
  cy_status st = eval(ev, e->left, &a);
  if (st == CY_OK) st = eval(ev, e->right, &b);
  if (st == CY_OK) st = check_bool(ev, e, &a, is_and ? "and" : "or");
  if (st == CY_OK) st = check_bool(ev, e, &b, is_and ? "and" : "or");
  if (st == CY_OK && !a.col && !b.col) {
    int x = truth(&a), y = truth(&b);
    int decided = is_and ? 0 : 1;
    *out = truth_value(x == decided || y == decided ? decided : (x == 2 || y == 2) ? 2 : !decided);
  } else if (st == CY_OK) {
    st = as_column(ev, &a);
    if (st == CY_OK) st = as_column(ev, &b);
    if (st == CY_OK) st = annotate(ev, e, logic_columns(a.col, b.col, is_and, &out->col, ev->err));
  }
  value_reset(&a);
  value_reset(&b);
  return st;
}

static cy_status eval_not(evaluator *ev, const cy_expr *e, value *out) {
  value a = {0};
  CY_RETURN_NOT_OK(eval(ev, e->left, &a));
  cy_status st = check_bool(ev, e, &a, "not");
  if (st == CY_OK && !a.col) {
    int t = truth(&a);
    *out = truth_value(t == 2 ? 2 : !t);
  } else if (st == CY_OK) {
    st = annotate(ev, e, not_column(a.col, &out->col, ev->err));
  }
  value_reset(&a);
  return st;
}

/* ---------------------------------------------------------------------------------------
 * is null, in
 * ------------------------------------------------------------------------------------- */

static cy_status eval_is_null(evaluator *ev, const cy_expr *e, value *out) {
  value a = {0};
  CY_RETURN_NOT_OK(eval(ev, e->left, &a));
  cy_status st = CY_OK;
  if (a.col) st = annotate(ev, e, cy_column_is_null(a.col, e->negated, &out->col, ev->err));
  else *out = truth_value(a.s.valid == e->negated);
  value_reset(&a);
  return st;
}

/* x in (a, b, ...) as x = a or x = b or ..., over x as a column. */
static cy_status in_column(evaluator *ev, const cy_expr *e, const cy_column *x,
                           cy_column **out) {
  cy_column *acc = NULL;
  cy_status st = CY_OK;
  for (int32_t k = 0; k < e->num_items && st == CY_OK; k++) {
    const cy_expr *item = e->items[k];
    cy_column *eq, *both;
    if (item->untyped_null) st = cy_column_nulls(cy_type_make(CY_BOOL), x->length, &eq, ev->err);
    else st = cy_column_compare_scalar(x, &item->value, CY_EQ, &eq, ev->err);
    if (st != CY_OK) break;
    if (acc == NULL) {
      acc = eq;
      continue;
    }
    st = logic_columns(acc, eq, false, &both, ev->err);
    cy_column_release(eq);
    cy_column_release(acc);
    acc = st == CY_OK ? both : NULL;
  }
  if (st == CY_OK && e->negated) {
    st = not_column(acc, out, ev->err);
    cy_column_release(acc);
  } else if (st == CY_OK) {
    *out = acc;
  } else {
    cy_column_release(acc);
  }
  return st;
}

static cy_status eval_in(evaluator *ev, const cy_expr *e, value *out) {
  value a = {0};
  CY_RETURN_NOT_OK(eval(ev, e->left, &a));
  cy_status st = CY_OK;
  if (a.untyped_null) {
    *out = truth_value(2);
  } else if (a.col) {
    st = annotate(ev, e, in_column(ev, e, a.col, &out->col));
  } else {
    cy_column *one, *res;
    st = lift(&a, &one, ev->err);
    if (st == CY_OK) {
      st = annotate(ev, e, in_column(ev, e, one, &res));
      cy_column_release(one);
      if (st == CY_OK) *out = lower(res);
    }
  }
  value_reset(&a);
  return st;
}

/* ---------------------------------------------------------------------------------------
 * The entry points
 * ------------------------------------------------------------------------------------- */

static cy_status eval(evaluator *ev, const cy_expr *e, value *out) {
  memset(out, 0, sizeof *out);
  switch (e->kind) {
    case EXPR_LITERAL:
      out->s = e->value;
      out->untyped_null = e->untyped_null;
      return CY_OK;
    case EXPR_COLUMN: return eval_column(ev, e, out);
    case EXPR_NEGATE: return eval_negate(ev, e, out);
    case EXPR_ARITH: return eval_arith(ev, e, out);
    case EXPR_COMPARE: return eval_compare(ev, e, out);
    case EXPR_AND: case EXPR_OR: return eval_logic(ev, e, out);
    case EXPR_NOT: return eval_not(ev, e, out);
    case EXPR_IS_NULL: return eval_is_null(ev, e, out);
    case EXPR_IN: return eval_in(ev, e, out);
  }
  cy_error_set(ev->err, "unknown expression node %d", (int)e->kind);
  return CY_EINVAL;
}

/* "expression 'TEXT': " before whatever went wrong. */
static cy_status with_source(const cy_expr *expr, cy_status st, cy_error *err) {
  if (st != CY_OK && err) {
    char text[300];
    const char *source = expr->source ? expr->source : cy_expr_format(expr, text, sizeof text);
    cy_error_prefix(err, "expression '%.300s': ", source);
  }
  return st;
}

cy_status cy_expr_evaluate(const cy_expr *expr, cy_table *table, cy_column **out,
                           cy_error *err) {
  evaluator ev = {table, expr, false, err};
  value v;
  cy_status st = eval(&ev, expr, &v);
  if (st == CY_OK && v.col) {
    *out = v.col;
  } else if (st == CY_OK) {
    cy_scalar s = v.untyped_null ? cy_scalar_null(cy_type_make(CY_BOOL)) : v.s;
    st = ck_broadcast(&s, table->num_rows, out, err);
  }
  return with_source(expr, st, err);
}

cy_status cy_table_select(cy_table *table, const cy_expr *predicate, cy_table **out,
                          cy_error *err) {
  cy_column *mask;
  CY_RETURN_NOT_OK(cy_expr_evaluate(predicate, table, &mask, err));
  cy_status st;
  if (mask->type.id != CY_BOOL) {
    ck_tname tn;
    cy_error_set(err, "gives %s, not bool: a filter needs a condition",
                 ck_type_str(&mask->type, &tn));
    st = with_source(predicate, CY_EINVAL, err);
  } else {
    st = cy_table_filter(table, mask, out, err);
  }
  cy_column_release(mask);
  return st;
}
