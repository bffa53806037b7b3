/*
 * expr.h - the expression tree (private to the library): what cy_expr_parse builds,
 * cy_expr_format writes back and cy_expr_evaluate runs.
 *
 * A tree is immutable once parsed. Every node is a cy_expr with its own reference count;
 * a parent owns one reference to each child, so releasing the root frees the tree.
 */
#ifndef CYLON_COMPUTE_EXPR_H
#define CYLON_COMPUTE_EXPR_H

#include "cylon/compute.h"

typedef enum expr_kind {
  EXPR_LITERAL, /* value (the literal null: untyped_null) */
  EXPR_COLUMN,  /* name */
  EXPR_NEGATE,  /* -left */
  EXPR_ARITH,   /* left op right, op a cy_arith_op */
  EXPR_COMPARE, /* left op right, op a cy_compare_op */
  EXPR_AND,     /* left and right */
  EXPR_OR,      /* left or right */
  EXPR_NOT,     /* not left */
  EXPR_IS_NULL, /* left is [not] null */
  EXPR_IN       /* left [not] in (items) */
} expr_kind;

struct cy_expr {
  int64_t refcount; /* accessed atomically */
  expr_kind kind;
  int op;
  bool negated;      /* is NOT null, NOT in */
  bool untyped_null; /* the literal null, which takes the type of what it meets */
  cy_scalar value;   /* EXPR_LITERAL; a string literal's bytes are `name` */
  char *name;        /* EXPR_COLUMN: the column's name; string literals: their bytes */
  int64_t name_len;
  cy_expr *left, *right;
  cy_expr **items; /* EXPR_IN: literals */
  int32_t num_items;
  int32_t height;  /* levels of the tree below and including this node */
  char *source; /* the root only: the text it was parsed from, for messages */
};

/* Binding strength, loosest first (SQL's, as PostgreSQL and DuckDB have it): or, and,
 * not, is [not] null, comparisons (which do not chain), [not] in, + -, * /, unary minus,
 * then literals, columns and parentheses. */
enum {
  PREC_OR = 1,
  PREC_AND,
  PREC_NOT,
  PREC_IS,
  PREC_COMPARE,
  PREC_IN,
  PREC_ADD,
  PREC_MUL,
  PREC_NEGATE,
  PREC_ATOM
};

/* How strongly a node binds as written by cy_expr_format. */
int expr_precedence(const cy_expr *e);

#endif
