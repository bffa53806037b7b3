/*
 * expr_parse.c - the expression language: parsing (cy_expr_parse), writing back
 * (cy_expr_format) and the tree's lifetime.
 *
 * Grammar (keywords in any case; precedence as in expr.h):
 *   or      := and (OR and)*
 *   and     := not (AND not)*
 *   not     := NOT not | is
 *   is      := compare (IS [NOT] NULL)*
 *   compare := in [(= | == | != | <> | < | <= | > | >=) in]
 *   in      := add [[NOT] IN '(' literal (',' literal)* ')']
 *   add     := mul (('+' | '-') mul)*
 *   mul     := unary (('*' | '/') unary)*
 *   unary   := ('-' | '+') unary | primary
 *   primary := number | 'text' | TRUE | FALSE | NULL | DATE 'text' | TIMESTAMP 'text'
 *            | name | "quoted name" | '(' or ')'
 * Numbers without '.' or an exponent are int64 (a minus sign directly before one is part
 * of it, so -9223372036854775808 is an int64; one too large for int64 is a float64);
 * others are float64. `date` and `timestamp` are keywords only before a string, so they
 * remain usable as column names.
 *
 * How: a hand-written lexer gives one token of lookahead to a recursive-descent parser,
 * one function per rule. The first error stops the parse and is reported as
 * "expression 'TEXT': at position N: expected WHAT but found TOKEN", N counting bytes
 * from 1. Nesting is limited so that no text can exhaust the stack.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compute/expr.h"
#include "core/text_format.h"
#include "core/text_parse.h"

/* Parser recursion, and the height of a tree (evaluating, writing and freeing one
 * recurse over it). */
enum { MAX_DEPTH = 200, MAX_HEIGHT = 1000 };

typedef enum tok_kind {
  T_END,
  T_NUMBER,
  T_STRING,
  T_NAME,   /* bare identifier or keyword */
  T_QNAME,  /* "quoted identifier" */
  T_OP,     /* + - * / = == != <> < <= > >= */
  T_LPAREN,
  T_RPAREN,
  T_COMMA,
  T_BAD     /* a character that starts no token, or an unterminated quote */
} tok_kind;

typedef struct token {
  tok_kind kind;
  const char *start;
  int64_t len;
  int64_t pos; /* byte offset in the text */
} token;

typedef struct parser {
  const char *text;
  int64_t len;
  int64_t at; /* where the next token starts */
  token tok;  /* the current token */
  int depth;
  bool failed;
  bool out_of_memory;
  cy_error *err;
} parser;

/* ---------------------------------------------------------------------------------------
 * Lexer
 * ------------------------------------------------------------------------------------- */

static bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (unsigned char)c >= 0x80;
}
static bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* The end of a quoted token starting at s[i] (a quote; doubled quotes inside), or -1. */
static int64_t quoted_end(const char *s, int64_t len, int64_t i) {
  char q = s[i];
  for (int64_t k = i + 1; k < len; k++) {
    if (s[k] != q) continue;
    if (k + 1 < len && s[k + 1] == q) k++;
    else return k + 1;
  }
  return -1;
}

static int64_t number_end(const char *s, int64_t len, int64_t i) {
  while (i < len && is_digit(s[i])) i++;
  if (i < len && s[i] == '.') {
    i++;
    while (i < len && is_digit(s[i])) i++;
  }
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    int64_t k = i + 1;
    if (k < len && (s[k] == '+' || s[k] == '-')) k++;
    if (k < len && is_digit(s[k])) {
      while (k < len && is_digit(s[k])) k++;
      i = k;
    }
  }
  return i;
}

static int64_t op_end(const char *s, int64_t len, int64_t i) {
  char c = s[i], d = i + 1 < len ? s[i + 1] : 0;
  if ((c == '<' && (d == '=' || d == '>')) || (c == '>' && d == '=') || (c == '!' && d == '=') ||
      (c == '=' && d == '='))
    return i + 2;
  if (c == '!') return -1; /* '!' alone is no operator */
  return i + 1;
}

static void next_token(parser *p) {
  const char *s = p->text;
  int64_t i = p->at, len = p->len;
  while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
  token t = {T_END, s + i, 0, i};
  int64_t end = i;
  if (i >= len) {
    t.kind = T_END;
  } else if (is_digit(s[i]) || (s[i] == '.' && i + 1 < len && is_digit(s[i + 1]))) {
    t.kind = T_NUMBER;
    end = number_end(s, len, i);
  } else if (s[i] == '\'' || s[i] == '"') {
    end = quoted_end(s, len, i);
    t.kind = end < 0 ? T_BAD : s[i] == '\'' ? T_STRING : T_QNAME;
    if (end < 0) end = len;
  } else if (is_name_start(s[i])) {
    t.kind = T_NAME;
    for (end = i; end < len && is_name_char(s[end]);) end++;
  } else if (strchr("+-*/=<>!", s[i])) {
    end = op_end(s, len, i);
    t.kind = end < 0 ? T_BAD : T_OP;
    if (end < 0) end = i + 1;
  } else {
    t.kind = s[i] == '(' ? T_LPAREN : s[i] == ')' ? T_RPAREN : s[i] == ',' ? T_COMMA : T_BAD;
    end = i + 1;
  }
  t.len = end - i;
  p->tok = t;
  p->at = end;
}

static bool tok_is(const parser *p, tok_kind kind, const char *text) {
  if (p->tok.kind != kind) return false;
  if (text == NULL) return true;
  size_t n = strlen(text);
  if ((size_t)p->tok.len != n) return false;
  for (size_t k = 0; k < n; k++) {
    char c = p->tok.start[k];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != text[k]) return false;
  }
  return true;
}

static bool keyword(const parser *p, const char *kw) { return tok_is(p, T_NAME, kw); }
static bool op_is(const parser *p, const char *op) { return tok_is(p, T_OP, op); }

/* ---------------------------------------------------------------------------------------
 * Errors and nodes
 * ------------------------------------------------------------------------------------- */

/* Report "expected WHAT but found <the current token>" (the first error only). */
static void fail(parser *p, const char *expected) {
  if (p->failed) return;
  p->failed = true;
  char found[80];
  if (p->tok.kind == T_END)
    snprintf(found, sizeof found, "the end of the expression");
  else if (p->tok.kind == T_BAD && (p->tok.start[0] == '\'' || p->tok.start[0] == '"'))
    snprintf(found, sizeof found, "an unterminated %s",
             p->tok.start[0] == '\'' ? "string" : "quoted name");
  else
    snprintf(found, sizeof found, "'%.*s'%s", (int)(p->tok.len > 40 ? 40 : p->tok.len),
             p->tok.start, p->tok.len > 40 ? "..." : "");
  cy_error_set(p->err, "expression '%.400s': at position %lld: expected %s but found %s",
               p->text, (long long)p->tok.pos + 1, expected, found);
}

static void out_of_memory(parser *p) {
  if (!p->failed) cy_error_set(p->err, "out of memory parsing an expression");
  p->failed = p->out_of_memory = true;
}

static cy_expr *node(parser *p, expr_kind kind) {
  cy_expr *e = calloc(1, sizeof *e);
  if (e == NULL) {
    out_of_memory(p);
    return NULL;
  }
  e->refcount = 1;
  e->kind = kind;
  e->height = 1;
  return e;
}

/* A node over its operands (right is NULL for a unary node), which it takes over: they
 * are released on failure, and a NULL operand is a failure already reported. */
static cy_expr *operator_node(parser *p, expr_kind kind, int op, cy_expr *left,
                              cy_expr *right, bool binary) {
  cy_expr *e = NULL;
  int32_t height = 1 + (left ? left->height : 0);
  if (right && right->height >= height) height = right->height + 1;
  if (left && (right || !binary)) {
    if (height > MAX_HEIGHT) fail(p, "an expression nested less deeply");
    else e = node(p, kind);
  }
  if (e == NULL) {
    cy_expr_release(left);
    cy_expr_release(right);
    return NULL;
  }
  e->op = op;
  e->left = left;
  e->right = right;
  e->height = height;
  return e;
}

/* ---------------------------------------------------------------------------------------
 * Literals
 * ------------------------------------------------------------------------------------- */

/* A number token (after an optional minus sign) as an int64 or float64 literal. */
static cy_expr *number_literal(parser *p, bool negative) {
  const char *s = p->tok.start;
  size_t n = (size_t)p->tok.len;
  cy_expr *e = node(p, EXPR_LITERAL);
  if (e == NULL) return NULL;
  bool integral = memchr(s, '.', n) == NULL && memchr(s, 'e', n) == NULL &&
                  memchr(s, 'E', n) == NULL;
  uint64_t u;
  double d;
  if (integral && cy_parse_uint64(s, n, &u) &&
      (u <= (uint64_t)INT64_MAX || (negative && u == (uint64_t)INT64_MAX + 1))) {
    e->value = cy_scalar_int64(negative ? (int64_t)(0 - u) : (int64_t)u);
  } else if (cy_parse_double(s, n, &d)) {
    e->value = cy_scalar_float64(negative ? -d : d);
  } else {
    fail(p, "a number");
    cy_expr_release(e);
    return NULL;
  }
  next_token(p);
  return e;
}

/* The current string token's contents, quotes removed and doubled quotes undone. */
static char *unquote(parser *p, int64_t *len) {
  const char *s = p->tok.start;
  char q = s[0];
  char *out = malloc((size_t)p->tok.len);
  if (out == NULL) {
    out_of_memory(p);
    return NULL;
  }
  int64_t n = 0;
  for (int64_t k = 1; k < p->tok.len - 1; k++) {
    out[n++] = s[k];
    if (s[k] == q) k++; /* the second of a doubled quote */
  }
  out[n] = 0;
  *len = n;
  return out;
}

static cy_expr *string_literal(parser *p) {
  cy_expr *e = node(p, EXPR_LITERAL);
  if (e == NULL) return NULL;
  e->name = unquote(p, &e->name_len);
  if (e->name == NULL) {
    cy_expr_release(e);
    return NULL;
  }
  e->value = cy_scalar_string(e->name);
  e->value.v.s.len = e->name_len;
  next_token(p);
  return e;
}

/* date 'YYYY-MM-DD' or timestamp '...': the keyword is the current token. */
static cy_expr *temporal_literal(parser *p, bool is_date) {
  next_token(p);
  int64_t len;
  char *text = unquote(p, &len);
  if (text == NULL) return NULL;
  cy_type type = is_date ? cy_type_make(CY_DATE32) : cy_type_timestamp(CY_MICRO, NULL);
  cy_scalar v = cy_scalar_null(type);
  int32_t days;
  bool ok = is_date ? cy_parse_date32(text, (size_t)len, &days)
                    : cy_parse_timestamp(text, (size_t)len, CY_MICRO, &v.v.i, NULL);
  free(text);
  if (!ok) {
    fail(p, is_date ? "a date (YYYY-MM-DD)" : "a timestamp (YYYY-MM-DD HH:MM:SS)");
    return NULL;
  }
  if (is_date) v.v.i = days;
  v.valid = true;
  cy_expr *e = node(p, EXPR_LITERAL);
  if (e == NULL) return NULL;
  e->value = v;
  next_token(p);
  return e;
}

static cy_expr *keyword_literal(parser *p) {
  cy_expr *e = node(p, EXPR_LITERAL);
  if (e == NULL) return NULL;
  if (keyword(p, "null")) {
    e->value = cy_scalar_null(cy_type_make(CY_BOOL));
    e->untyped_null = true;
  } else {
    e->value = cy_scalar_bool(keyword(p, "true"));
  }
  next_token(p);
  return e;
}

static cy_expr *column_ref(parser *p) {
  cy_expr *e = node(p, EXPR_COLUMN);
  if (e == NULL) return NULL;
  if (p->tok.kind == T_QNAME) {
    e->name = unquote(p, &e->name_len);
  } else {
    e->name = malloc((size_t)p->tok.len + 1);
    if (e->name) {
      memcpy(e->name, p->tok.start, (size_t)p->tok.len);
      e->name[p->tok.len] = 0;
      e->name_len = p->tok.len;
    } else {
      out_of_memory(p);
    }
  }
  if (e->name == NULL) {
    cy_expr_release(e);
    return NULL;
  }
  next_token(p);
  return e;
}

/* ---------------------------------------------------------------------------------------
 * The grammar, one function per rule
 * ------------------------------------------------------------------------------------- */

static cy_expr *parse_or(parser *p);
static cy_expr *parse_unary(parser *p);

static bool deeper(parser *p) {
  if (++p->depth <= MAX_DEPTH) return true;
  fail(p, "an expression nested less deeply");
  return false;
}

/* Is the token after a `date` / `timestamp` name a string (making it a literal)? */
static bool string_follows(const parser *p) {
  parser peek = *p;
  next_token(&peek);
  return peek.tok.kind == T_STRING;
}

static cy_expr *parse_primary(parser *p) {
  const char *expected = "a value, a column or '('";
  switch (p->tok.kind) {
    case T_NUMBER: return number_literal(p, false);
    case T_STRING: return string_literal(p);
    case T_QNAME: return column_ref(p);
    case T_LPAREN: {
      next_token(p);
      cy_expr *e = parse_or(p);
      if (e && p->tok.kind != T_RPAREN) {
        fail(p, "')'");
        cy_expr_release(e);
        return NULL;
      }
      if (e) next_token(p);
      return e;
    }
    case T_NAME:
      if (keyword(p, "null") || keyword(p, "true") || keyword(p, "false"))
        return keyword_literal(p);
      if ((keyword(p, "date") || keyword(p, "timestamp")) && string_follows(p))
        return temporal_literal(p, keyword(p, "date"));
      if (keyword(p, "and") || keyword(p, "or") || keyword(p, "not") || keyword(p, "is") ||
          keyword(p, "in"))
        break;
      return column_ref(p);
    default: break;
  }
  fail(p, expected);
  return NULL;
}

static cy_expr *parse_unary(parser *p) {
  if (!deeper(p)) return NULL;
  cy_expr *e;
  if (op_is(p, "-") || op_is(p, "+")) {
    bool minus = op_is(p, "-");
    next_token(p);
    if (p->tok.kind == T_NUMBER) e = number_literal(p, minus);
    else if (minus) e = operator_node(p, EXPR_NEGATE, 0, parse_unary(p), NULL, false);
    else e = parse_unary(p);
  } else {
    e = parse_primary(p);
  }
  p->depth--;
  return e;
}

static cy_expr *parse_mul(parser *p) {
  cy_expr *e = parse_unary(p);
  while (e && (op_is(p, "*") || op_is(p, "/"))) {
    int op = op_is(p, "*") ? CY_MUL : CY_DIV;
    next_token(p);
    e = operator_node(p, EXPR_ARITH, op, e, parse_unary(p), true);
  }
  return e;
}

static cy_expr *parse_add(parser *p) {
  cy_expr *e = parse_mul(p);
  while (e && (op_is(p, "+") || op_is(p, "-"))) {
    int op = op_is(p, "+") ? CY_ADD : CY_SUB;
    next_token(p);
    e = operator_node(p, EXPR_ARITH, op, e, parse_mul(p), true);
  }
  return e;
}

/* The literals of an in list: '(' literal (',' literal)* ')'. */
static bool parse_in_list(parser *p, cy_expr *in) {
  if (p->tok.kind != T_LPAREN) {
    fail(p, "'(' after in");
    return false;
  }
  next_token(p);
  for (;;) {
    token at = p->tok;
    cy_expr *item = parse_unary(p);
    if (item == NULL) return false;
    if (item->kind != EXPR_LITERAL) {
      cy_expr_release(item);
      p->tok = at; /* report where the item began */
      fail(p, "a literal in the in list");
      return false;
    }
    cy_expr **grown = realloc(in->items, (size_t)(in->num_items + 1) * sizeof *grown);
    if (grown == NULL) {
      cy_expr_release(item);
      out_of_memory(p);
      return false;
    }
    in->items = grown;
    in->items[in->num_items++] = item;
    if (p->tok.kind == T_RPAREN) break;
    if (p->tok.kind != T_COMMA) {
      fail(p, "',' or ')'");
      return false;
    }
    next_token(p);
  }
  next_token(p);
  return true;
}

static cy_expr *parse_in(parser *p) {
  cy_expr *e = parse_add(p);
  if (e == NULL) return NULL;
  bool negated = false;
  if (keyword(p, "not")) {
    parser peek = *p;
    next_token(&peek);
    if (!keyword(&peek, "in")) return e; /* a not that is not ours: the caller reports it */
    next_token(p);
    negated = true;
  }
  if (!keyword(p, "in")) return e;
  next_token(p);
  cy_expr *in = operator_node(p, EXPR_IN, 0, e, NULL, false);
  if (in == NULL) return NULL;
  in->negated = negated;
  if (!parse_in_list(p, in)) {
    cy_expr_release(in);
    return NULL;
  }
  return in;
}

static int compare_op(const parser *p) {
  if (op_is(p, "=") || op_is(p, "==")) return CY_EQ;
  if (op_is(p, "!=") || op_is(p, "<>")) return CY_NE;
  if (op_is(p, "<")) return CY_LT;
  if (op_is(p, "<=")) return CY_LE;
  if (op_is(p, ">")) return CY_GT;
  if (op_is(p, ">=")) return CY_GE;
  return -1;
}

static cy_expr *parse_compare(parser *p) {
  cy_expr *e = parse_in(p);
  int op = e ? compare_op(p) : -1;
  if (op < 0) return e;
  next_token(p);
  e = operator_node(p, EXPR_COMPARE, op, e, parse_in(p), true);
  if (e && compare_op(p) >= 0) {
    fail(p, "and, or or the end of the comparison (comparisons do not chain)");
    cy_expr_release(e);
    return NULL;
  }
  return e;
}

static cy_expr *parse_is(parser *p) {
  cy_expr *e = parse_compare(p);
  while (e && keyword(p, "is")) {
    next_token(p);
    bool negated = keyword(p, "not");
    if (negated) next_token(p);
    if (!keyword(p, "null")) {
      fail(p, negated ? "null after is not" : "null or not null after is");
      cy_expr_release(e);
      return NULL;
    }
    next_token(p);
    e = operator_node(p, EXPR_IS_NULL, 0, e, NULL, false);
    if (e) e->negated = negated;
  }
  return e;
}

static cy_expr *parse_not(parser *p) {
  if (!keyword(p, "not")) return parse_is(p);
  if (!deeper(p)) return NULL;
  next_token(p);
  cy_expr *e = operator_node(p, EXPR_NOT, 0, parse_not(p), NULL, false);
  p->depth--;
  return e;
}

static cy_expr *parse_and(parser *p) {
  cy_expr *e = parse_not(p);
  while (e && keyword(p, "and")) {
    next_token(p);
    e = operator_node(p, EXPR_AND, 0, e, parse_not(p), true);
  }
  return e;
}

static cy_expr *parse_or(parser *p) {
  if (!deeper(p)) return NULL;
  cy_expr *e = parse_and(p);
  while (e && keyword(p, "or")) {
    next_token(p);
    e = operator_node(p, EXPR_OR, 0, e, parse_and(p), true);
  }
  p->depth--;
  return e;
}

cy_status cy_expr_parse(const char *text, cy_expr **out, cy_error *err) {
  *out = NULL;
  if (text == NULL) {
    cy_error_set(err, "expression: no text given");
    return CY_EINVAL;
  }
  parser p = {.text = text, .len = (int64_t)strlen(text), .err = err};
  next_token(&p);
  cy_expr *e = parse_or(&p);
  if (e && p.tok.kind != T_END) {
    fail(&p, p.tok.kind == T_RPAREN ? "the end of the expression (unbalanced ')')"
                                    : "an operator, and, or or the end of the expression");
    cy_expr_release(e);
    e = NULL;
  }
  if (e) {
    e->source = strdup(text);
    if (e->source == NULL) {
      out_of_memory(&p);
      cy_expr_release(e);
      e = NULL;
    }
  }
  if (e == NULL) return p.out_of_memory ? CY_ENOMEM : CY_EINVAL;
  *out = e;
  return CY_OK;
}

/* ---------------------------------------------------------------------------------------
 * Lifetime
 * ------------------------------------------------------------------------------------- */

cy_expr *cy_expr_retain(cy_expr *expr) {
  if (expr) __atomic_fetch_add(&expr->refcount, 1, __ATOMIC_RELAXED);
  return expr;
}

void cy_expr_release(cy_expr *expr) {
  if (expr == NULL || __atomic_sub_fetch(&expr->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
  cy_expr_release(expr->left);
  cy_expr_release(expr->right);
  for (int32_t k = 0; k < expr->num_items; k++) cy_expr_release(expr->items[k]);
  free(expr->items);
  free(expr->name);
  free(expr->source);
  free(expr);
}

/* ---------------------------------------------------------------------------------------
 * Writing back
 * ------------------------------------------------------------------------------------- */

typedef struct writer {
  char *buf;
  size_t size, len; /* len may pass size: the text is then cut */
} writer;

static void put(writer *w, const char *s, size_t n) {
  for (size_t k = 0; k < n; k++, w->len++)
    if (w->len + 1 < w->size) w->buf[w->len] = s[k];
}
static void puts_(writer *w, const char *s) { put(w, s, strlen(s)); }

/* A quoted text, the quote character doubled inside. */
static void put_quoted(writer *w, const char *s, int64_t n, char q) {
  put(w, &q, 1);
  for (int64_t k = 0; k < n; k++) {
    if (s[k] == q) put(w, &q, 1);
    put(w, s + k, 1);
  }
  put(w, &q, 1);
}

static bool is_reserved(const char *name) {
  static const char *const words[] = {"and", "or", "not", "is", "null", "in", "true", "false"};
  for (size_t k = 0; k < sizeof words / sizeof *words; k++)
    if (strcasecmp(name, words[k]) == 0) return true;
  return false;
}

static void put_name(writer *w, const cy_expr *e) {
  bool bare = e->name_len > 0 && is_name_start(e->name[0]) && !is_reserved(e->name) &&
              (int64_t)strlen(e->name) == e->name_len;
  for (int64_t k = 0; bare && k < e->name_len; k++) bare = is_name_char(e->name[k]);
  if (bare) put(w, e->name, (size_t)e->name_len);
  else put_quoted(w, e->name, e->name_len, '"');
}

static void put_literal(writer *w, const cy_expr *e) {
  const cy_scalar *v = &e->value;
  char text[CY_FORMAT_TIMESTAMP_MAX + CY_FORMAT_DOUBLE_MAX];
  if (!v->valid) {
    puts_(w, "null");
    return;
  }
  switch (v->type.id) {
    case CY_BOOL: puts_(w, v->v.b ? "true" : "false"); break;
    case CY_FLOAT64:
      if (isinf(v->v.f)) puts_(w, v->v.f > 0 ? "1e999" : "-1e999"); /* reads back as inf */
      else put(w, text, (size_t)cy_format_double(v->v.f, text));
      break;
    case CY_DATE32:
      puts_(w, "date '");
      put(w, text, (size_t)cy_format_date32((int32_t)v->v.i, text));
      puts_(w, "'");
      break;
    case CY_TIMESTAMP:
      puts_(w, "timestamp '");
      put(w, text, (size_t)cy_format_timestamp(v->v.i, v->type.unit, text));
      puts_(w, "'");
      break;
    case CY_UTF8: put_quoted(w, e->name, e->name_len, '\''); break;
    default: put(w, text, (size_t)cy_format_int64(v->v.i, text)); break;
  }
}

int expr_precedence(const cy_expr *e) {
  switch (e->kind) {
    case EXPR_LITERAL: {
      bool negative = e->value.valid && ((e->value.type.id == CY_INT64 && e->value.v.i < 0) ||
                                         (e->value.type.id == CY_FLOAT64 && signbit(e->value.v.f)));
      return negative ? PREC_NEGATE : PREC_ATOM;
    }
    case EXPR_COLUMN: return PREC_ATOM;
    case EXPR_NEGATE: return PREC_NEGATE;
    case EXPR_ARITH: return e->op == CY_ADD || e->op == CY_SUB ? PREC_ADD : PREC_MUL;
    case EXPR_COMPARE: return PREC_COMPARE;
    case EXPR_AND: return PREC_AND;
    case EXPR_OR: return PREC_OR;
    case EXPR_NOT: return PREC_NOT;
    case EXPR_IS_NULL: return PREC_IS;
    default: return PREC_IN;
  }
}

static void write_node(writer *w, const cy_expr *e, int min_prec);

static void write_binary(writer *w, const cy_expr *e, const char *op, int prec, int left_min) {
  write_node(w, e->left, left_min);
  puts_(w, op);
  write_node(w, e->right, prec + 1);
}

static void write_node(writer *w, const cy_expr *e, int min_prec) {
  static const char *const arith[] = {" + ", " - ", " * ", " / "};
  static const char *const cmp[] = {" = ", " <> ", " < ", " <= ", " > ", " >= "};
  int prec = expr_precedence(e);
  bool parens = prec < min_prec;
  if (parens) puts_(w, "(");
  switch (e->kind) {
    case EXPR_LITERAL: put_literal(w, e); break;
    case EXPR_COLUMN: put_name(w, e); break;
    case EXPR_NEGATE: puts_(w, "-"); write_node(w, e->left, PREC_NEGATE + 1); break;
    case EXPR_ARITH: write_binary(w, e, arith[e->op], prec, prec); break;
    case EXPR_COMPARE: write_binary(w, e, cmp[e->op], prec, prec + 1); break;
    case EXPR_AND: write_binary(w, e, " and ", prec, prec); break;
    case EXPR_OR: write_binary(w, e, " or ", prec, prec); break;
    case EXPR_NOT: puts_(w, "not "); write_node(w, e->left, PREC_NOT); break;
    case EXPR_IS_NULL:
      write_node(w, e->left, PREC_IS);
      puts_(w, e->negated ? " is not null" : " is null");
      break;
    case EXPR_IN:
      write_node(w, e->left, PREC_IN + 1);
      puts_(w, e->negated ? " not in (" : " in (");
      for (int32_t k = 0; k < e->num_items; k++) {
        if (k) puts_(w, ", ");
        put_literal(w, e->items[k]);
      }
      puts_(w, ")");
      break;
  }
  if (parens) puts_(w, ")");
}

const char *cy_expr_format(const cy_expr *expr, char *buf, size_t size) {
  if (size == 0) return buf;
  writer w = {buf, size, 0};
  if (expr) write_node(&w, expr, 0);
  buf[w.len < size ? w.len : size - 1] = 0;
  return buf;
}
