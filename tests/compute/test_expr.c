/*
 * test_expr.c - the expression language: parsing (precedence, literals, quoting, errors
 * with positions), writing back, and evaluation and selection over a small table whose
 * every expected row is worked out by hand below.
 */
#include <math.h>

#include "test.h"

/* ---------------------------------------------------------------------------------------
 * Parsing and writing back
 * ------------------------------------------------------------------------------------- */

/* Parse text, check that it writes back as want, and that want parses to the same. */
static void check_format(const char *text, const char *want, int line) {
  cy_error err;
  cy_expr *e = NULL, *again = NULL;
  char buf[512], buf2[512];
  if (cy_expr_parse(text, &e, &err) != CY_OK) {
    fprintf(stderr, "line %d: parse of \"%s\" failed: %s\n", line, text, err.message);
    test_failures++;
    return;
  }
  cy_expr_format(e, buf, sizeof buf);
  if (strcmp(buf, want) != 0) {
    fprintf(stderr, "line %d: \"%s\" written as \"%s\", want \"%s\"\n", line, text, buf, want);
    test_failures++;
  }
  if (cy_expr_parse(buf, &again, &err) != CY_OK ||
      strcmp(cy_expr_format(again, buf2, sizeof buf2), buf) != 0) {
    fprintf(stderr, "line %d: \"%s\" does not read back\n", line, buf);
    test_failures++;
  }
  cy_expr_release(again);
  cy_expr_release(e);
}
#define CHECK_FORMAT(text, want) check_format(text, want, __LINE__)

static void test_format(void) {
  /* Precedence: * over +, and over or, not over and, comparison over not. */
  CHECK_FORMAT("a + b * c", "a + b * c");
  CHECK_FORMAT("(a + b) * c", "(a + b) * c");
  CHECK_FORMAT("a - (b - c)", "a - (b - c)");
  CHECK_FORMAT("a - b - c", "a - b - c");
  CHECK_FORMAT("a / (b * c)", "a / (b * c)");
  CHECK_FORMAT("((a))", "a");
  CHECK_FORMAT("a or b and c", "a or b and c");
  CHECK_FORMAT("(a or b) and c", "(a or b) and c");
  CHECK_FORMAT("NOT a = 1 AND b OR c", "not a = 1 and b or c");
  CHECK_FORMAT("not (a and b)", "not (a and b)");
  CHECK_FORMAT("(not a) = b", "(not a) = b");
  CHECK_FORMAT("(a = b) = c", "(a = b) = c");
  CHECK_FORMAT("a = (b = c)", "a = (b = c)");
  CHECK_FORMAT("a=1", "a = 1");
  CHECK_FORMAT("a == 1", "a = 1");
  CHECK_FORMAT("a != 1", "a <> 1");
  CHECK_FORMAT("a<>1", "a <> 1");
  CHECK_FORMAT("a<=1", "a <= 1");
  CHECK_FORMAT("a>=1", "a >= 1");
  CHECK_FORMAT("x IS NOT NULL", "x is not null");
  CHECK_FORMAT("x is null is null", "x is null is null");
  CHECK_FORMAT("a = 1 is null", "a = 1 is null");
  CHECK_FORMAT("not x is null", "not x is null");
  CHECK_FORMAT("x + 1 in (1, 2)", "x + 1 in (1, 2)");
  CHECK_FORMAT("(x = 1) in (true)", "(x = 1) in (true)");
  CHECK_FORMAT("x NOT IN (1, -2, 'a''b', NULL, date '2020-01-31', 2.5)",
               "x not in (1, -2, 'a''b', null, date '2020-01-31', 2.5)");
  CHECK_FORMAT("not x in (1)", "not x in (1)");
  /* Literals */
  CHECK_FORMAT("-9223372036854775808", "-9223372036854775808");
  CHECK_FORMAT("9223372036854775807", "9223372036854775807");
  CHECK_FORMAT("9223372036854775808", "9.223372036854776e+18"); /* too big: a double */
  CHECK_FORMAT("1e3", "1000.0");
  CHECK_FORMAT(".5", "0.5");
  CHECK_FORMAT("1.", "1.0");
  CHECK_FORMAT("2.5E-3", "0.0025");
  CHECK_FORMAT("1e999", "1e999"); /* infinity, written so that it reads back */
  CHECK_FORMAT("'it''s'", "'it''s'");
  CHECK_FORMAT("''", "''");
  CHECK_FORMAT("TRUE and False", "true and false");
  CHECK_FORMAT("timestamp '2020-01-31 12:00:00.5'", "timestamp '2020-01-31 12:00:00.5'");
  CHECK_FORMAT("timestamp '2020-01-31T12:00:00+01:00'", "timestamp '2020-01-31 11:00:00'");
  CHECK_FORMAT("DATE '2020-1-2'", "date '2020-01-02'");
  /* Minus */
  CHECK_FORMAT("-x", "-x");
  CHECK_FORMAT("- -x", "-(-x)");
  CHECK_FORMAT("-(-5)", "-(-5)");
  CHECK_FORMAT("- 5", "-5");
  CHECK_FORMAT("+5", "5");
  CHECK_FORMAT("a - -5", "a - -5");
  CHECK_FORMAT("-a * b", "-a * b");
  CHECK_FORMAT("-(a * b)", "-(a * b)");
  /* Names */
  CHECK_FORMAT("\"my col\" >= 1.5", "\"my col\" >= 1.5");
  CHECK_FORMAT("\"and\" = 1", "\"and\" = 1");
  CHECK_FORMAT("\"a\"\"b\"", "\"a\"\"b\"");
  CHECK_FORMAT("\"plain\"", "plain");
  CHECK_FORMAT("date = 1 and timestamp > 2", "date = 1 and timestamp > 2");
  CHECK_FORMAT("_x9 < 1", "_x9 < 1");

  /* A buffer too small cuts the text and still ends it. */
  cy_error err;
  cy_expr *e = NULL;
  OK(cy_expr_parse("abc + 1", &e, &err));
  char small[5];
  CHECK_EQ_STR(cy_expr_format(e, small, sizeof small), "abc ");
  CHECK(cy_expr_retain(e) == e);
  cy_expr_release(e);
  cy_expr_release(e);
}

#define PARSE_FAILS(text, needle) parse_fails(text, needle, __LINE__)
static void parse_fails(const char *text, const char *needle, int line) {
  cy_error err;
  err.message[0] = 0;
  cy_expr *e = NULL;
  cy_status st = cy_expr_parse(text, &e, &err);
  if (st != CY_EINVAL || e != NULL || strstr(err.message, needle) == NULL) {
    fprintf(stderr, "line %d: parse of \"%s\": want EINVAL with \"%s\", got %s: %s\n", line,
            text, needle, cy_status_name(st), err.message);
    test_failures++;
  }
  cy_expr_release(e);
}

static void test_parse_errors(void) {
  PARSE_FAILS("a +", "expression 'a +': at position 4: expected a value, a column or '(' but "
                     "found the end of the expression");
  PARSE_FAILS("", "at position 1: expected a value, a column or '(' but found the end");
  PARSE_FAILS("a < b < c", "at position 7: expected and, or or the end of the comparison "
                           "(comparisons do not chain) but found '<'");
  PARSE_FAILS("(a", "at position 3: expected ')' but found the end of the expression");
  PARSE_FAILS("a)", "at position 2: expected the end of the expression (unbalanced ')') but found ')'");
  PARSE_FAILS("a = 'abc", "at position 5: expected a value, a column or '(' but found an "
                          "unterminated string");
  PARSE_FAILS("\"abc = 1", "found an unterminated quoted name");
  PARSE_FAILS("a in 1", "at position 6: expected '(' after in but found '1'");
  PARSE_FAILS("a in (b)", "at position 7: expected a literal in the in list but found 'b'");
  PARSE_FAILS("a in (1 2)", "at position 9: expected ',' or ')' but found '2'");
  PARSE_FAILS("a in ()", "at position 7: expected a value, a column or '(' but found ')'");
  PARSE_FAILS("a in (1, -(2))", "at position 10: expected a literal in the in list");
  PARSE_FAILS("date '2020-13-01'", "at position 6: expected a date (YYYY-MM-DD) but found "
                                   "''2020-13-01''");
  PARSE_FAILS("timestamp 'noon'", "at position 11: expected a timestamp");
  PARSE_FAILS("a # b", "at position 3: expected an operator, and, or or the end of the "
                       "expression but found '#'");
  PARSE_FAILS("a ! b", "at position 3: expected an operator");
  PARSE_FAILS("a is b", "at position 6: expected null or not null after is but found 'b'");
  PARSE_FAILS("a is not 1", "at position 10: expected null after is not but found '1'");
  PARSE_FAILS("a and", "at position 6: expected a value");
  PARSE_FAILS("and", "at position 1: expected a value, a column or '(' but found 'and'");
  PARSE_FAILS("a not b", "at position 3: expected an operator");
  PARSE_FAILS("1e", "at position 2: expected an operator, and, or or the end of the "
                    "expression but found 'e'");
  /* Nesting deep enough to threaten the stack is refused, not crashed on. */
  char deep[1200];
  int n = 0;
  for (int i = 0; i < 500; i++) deep[n++] = '(';
  deep[n++] = '1';
  for (int i = 0; i < 500; i++) deep[n++] = ')';
  deep[n] = 0;
  PARSE_FAILS(deep, "expected an expression nested less deeply");
  char *chain = malloc(6000);
  n = 0;
  for (int i = 0; i < 1500; i++) n += sprintf(chain + n, "a+");
  chain[n++] = 'a';
  chain[n] = 0;
  PARSE_FAILS(chain, "nested less deeply");
  free(chain);
  cy_error err;
  cy_expr *e = NULL;
  FAILS(cy_expr_parse(NULL, &e, &err), CY_EINVAL, "no text");
}

/* ---------------------------------------------------------------------------------------
 * Evaluation over a table
 *
 *   row  i     f       s      d           b      "my col"
 *   0    1     0.5     "a"    2020-01-01  true   10
 *   1    2     NaN     "b"    2020-01-02  false  20
 *   2    null  2.0     null   2020-01-03  null   30
 *   3    4     null    ""     null        true   40
 *   4    5     -0.0    "abc"  2019-12-31  false  50
 *   5    -6    1e300   "B"    2020-02-29  null   60
 * ------------------------------------------------------------------------------------- */

static cy_table *make_table(void) {
  cy_error err;
  int64_t i[] = {1, 2, 0, 4, 5, -6};
  double f[] = {0.5, NAN, 2.0, 0, -0.0, 1e300};
  const char *s[] = {"a", "b", NULL, "", "abc", "B"};
  int32_t d[] = {18262, 18263, 18264, 0, 18261, 18321};
  uint8_t b[] = {1, 0, 0, 1, 0, 0};
  int32_t m[] = {10, 20, 30, 40, 50, 60};
  uint8_t vi[] = {1, 1, 0, 1, 1, 1}, vf[] = {1, 1, 1, 0, 1, 1}, vd[] = {1, 1, 1, 0, 1, 1},
          vb[] = {1, 1, 0, 1, 1, 0};
  cy_column *cols[6] = {0};
  OK(cy_column_from_values(cy_type_make(CY_INT64), i, vi, 6, &cols[0], &err));
  OK(cy_column_from_values(cy_type_make(CY_FLOAT64), f, vf, 6, &cols[1], &err));
  OK(cy_column_from_strings(s, 6, &cols[2], &err));
  OK(cy_column_from_values(cy_type_make(CY_DATE32), d, vd, 6, &cols[3], &err));
  OK(cy_column_from_values(cy_type_make(CY_BOOL), b, vb, 6, &cols[4], &err));
  OK(cy_column_from_values(cy_type_make(CY_INT32), m, NULL, 6, &cols[5], &err));
  const char *names[] = {"i", "f", "s", "d", "b", "my col"};
  cy_table *t = NULL;
  OK(cy_table_make(6, names, cols, &t, &err));
  for (int c = 0; c < 6; c++) cy_column_release(cols[c]);
  return t;
}

static cy_column *evaluate(cy_table *t, const char *text) {
  cy_error err;
  cy_expr *e = NULL;
  cy_column *out = NULL;
  if (cy_expr_parse(text, &e, &err) != CY_OK || cy_expr_evaluate(e, t, &out, &err) != CY_OK) {
    fprintf(stderr, "\"%s\": %s\n", text, err.message);
    out = NULL;
  }
  cy_expr_release(e);
  return out;
}

/* The result of text over t equals "TFN..." (T true, F false, N null). */
#define CHECK_EXPR(t, text, want) check_expr(t, text, want, __LINE__)
static void check_expr(cy_table *t, const char *text, const char *want, int line) {
  cy_column *c = evaluate(t, text);
  int64_t n = (int64_t)strlen(want);
  if (c == NULL || c->type.id != CY_BOOL || c->length != n) {
    fprintf(stderr, "line %d: \"%s\" did not give %lld bools\n", line, text, (long long)n);
    test_failures++;
  } else {
    for (int64_t r = 0; r < n; r++) {
      char got = !cy_column_is_valid(c, r) ? 'N' : cy_column_bool(c, r) ? 'T' : 'F';
      if (got != want[r]) {
        fprintf(stderr, "line %d: \"%s\" row %lld: want %c got %c\n", line, text, (long long)r,
                want[r], got);
        test_failures++;
      }
    }
  }
  cy_column_release(c);
}

static void test_comparisons(cy_table *t) {
  CHECK_EXPR(t, "i > 1", "FTNTTF");
  CHECK_EXPR(t, "1 < i", "FTNTTF");
  CHECK_EXPR(t, "i = 2", "FTNFFF");
  CHECK_EXPR(t, "i <> 2", "TFNTTT");
  CHECK_EXPR(t, "i >= 2.5", "FFNTTF");
  CHECK_EXPR(t, "f > 1", "FTTNFT");    /* NaN is above every number */
  CHECK_EXPR(t, "f = 0", "FFFNTF");    /* -0.0 = 0 */
  CHECK_EXPR(t, "f = f", "TTTNTT");    /* NaN = NaN */
  CHECK_EXPR(t, "s < 'b'", "TFNTTT");  /* "" and "B" sort before "b" */
  CHECK_EXPR(t, "s = ''", "FFNTFF");
  CHECK_EXPR(t, "'abc' = s", "FFNFTF");
  CHECK_EXPR(t, "d > '2020-01-01'", "FTTNFT");
  CHECK_EXPR(t, "d >= date '2020-01-02'", "FTTNFT");
  CHECK_EXPR(t, "d < timestamp '2020-01-01 00:00:01'", "TFFNTF");
  CHECK_EXPR(t, "timestamp '2020-01-01 00:00:01' > d", "TFFNTF");
  CHECK_EXPR(t, "b = true", "TFNTFN");
  CHECK_EXPR(t, "b = (i > 1)", "FFNTFN");
  CHECK_EXPR(t, "i = f", "FFNNFF");
  CHECK_EXPR(t, "\"my col\" > 25", "FFTTTT");
  CHECK_EXPR(t, "\"my col\" = i * 10", "TTNTTF");
  CHECK_EXPR(t, "i = null", "NNNNNN");
  CHECK_EXPR(t, "null <> s", "NNNNNN");
}

static void test_logic(cy_table *t) {
  CHECK_EXPR(t, "i >= 2 and b", "FFNTFF");
  CHECK_EXPR(t, "i >= 2 or b", "TTNTTN");
  CHECK_EXPR(t, "not b", "FTNFTN");
  CHECK_EXPR(t, "b or null", "TNNTNN");
  CHECK_EXPR(t, "b and null", "NFNNFN");
  CHECK_EXPR(t, "null or true", "TTTTTT");
  CHECK_EXPR(t, "null and false", "FFFFFF");
  CHECK_EXPR(t, "not null", "NNNNNN");
  CHECK_EXPR(t, "true", "TTTTTT");
  CHECK_EXPR(t, "null", "NNNNNN");
  CHECK_EXPR(t, "1 = 1 and i > 4", "FFNFTF");
  CHECK_EXPR(t, "1 + 1 = 2", "TTTTTT");
  CHECK_EXPR(t, "2 < 1 or b", "TFNTFN");
  /* Precedence: i = 1 or (i = 2 and b) */
  CHECK_EXPR(t, "i = 1 or i = 2 and b", "TFNFFF");
  CHECK_EXPR(t, "(i = 1 or i = 2) and b", "TFNFFF");
  CHECK_EXPR(t, "not i > 1 and b", "TFNFFN");
  CHECK_EXPR(t, "not (i > 1) is null", "TTFTTT");
  CHECK_EXPR(t, "not not b", "TFNTFN");
  CHECK_EXPR(t, "i is null", "FFTFFF");
  CHECK_EXPR(t, "i is not null", "TTFTTT");
  CHECK_EXPR(t, "s is null or d is null", "FFTTFF");
  CHECK_EXPR(t, "(i > 1) is null", "FFTFFF");
  CHECK_EXPR(t, "null is null", "TTTTTT");
  CHECK_EXPR(t, "1 is not null", "TTTTTT");
}

static void test_in(cy_table *t) {
  CHECK_EXPR(t, "i in (1, 5)", "TFNFTF");
  CHECK_EXPR(t, "i in (1, 5, null)", "TNNNTN");
  CHECK_EXPR(t, "i not in (1, 5)", "FTNTFT");
  CHECK_EXPR(t, "i not in (1, null)", "FNNNNN");
  CHECK_EXPR(t, "i in (2.0, -6)", "FTNFFT");
  CHECK_EXPR(t, "f in (0, 2)", "FFTNTF");
  CHECK_EXPR(t, "s in ('a', 'B', '')", "TFNTFT");
  CHECK_EXPR(t, "d in ('2020-01-02', date '2020-02-29')", "FTFNFT");
  CHECK_EXPR(t, "1 in (1, 2)", "TTTTTT");
  CHECK_EXPR(t, "null in (1)", "NNNNNN");
  CHECK_EXPR(t, "'x' not in ('y')", "TTTTTT");
}

static void test_arithmetic(cy_table *t) {
  CHECK_EXPR(t, "i * 2 + 1 > 5", "FFNTTF");
  CHECK_EXPR(t, "i / 2 = 0.5", "TFNFFF");
  CHECK_EXPR(t, "i / 0 is null", "TTTTTT");
  CHECK_EXPR(t, "-i > 0", "FFNFFT");
  CHECK_EXPR(t, "- -i = i", "TTNTTT");
  CHECK_EXPR(t, "10 - i = 9", "TFNFFF");
  CHECK_EXPR(t, "12 / i = 6", "FTNFFF");
  CHECK_EXPR(t, "i + f > 3", "FTNNTT");
  CHECK_EXPR(t, "d + 1 = date '2020-03-01'", "FFFNFT");
  CHECK_EXPR(t, "d - 1 = '2019-12-30'", "FFFNTF");
  CHECK_EXPR(t, "d - d = 0", "TTTNTT");
  CHECK_EXPR(t, "i + null is null", "TTTTTT");

  /* Non-bool results come back as columns of their own type. */
  cy_column *c = evaluate(t, "i * 10");
  CHECK(c && c->type.id == CY_INT64 && !cy_column_is_valid(c, 2) &&
        ((const int64_t *)cy_column_data(c))[5] == -60);
  cy_column_release(c);
  c = evaluate(t, "f * 2");
  CHECK(c && c->type.id == CY_FLOAT64 && ((const double *)cy_column_data(c))[0] == 1.0);
  cy_column_release(c);
  c = evaluate(t, "'x'");
  int64_t len;
  CHECK(c && c->type.id == CY_UTF8 && c->length == 6 && cy_column_bytes(c, 5, &len)[0] == 'x');
  cy_column_release(c);
  c = evaluate(t, "2 * 3");
  CHECK(c && c->type.id == CY_INT64 && c->length == 6 && ((const int64_t *)cy_column_data(c))[3] == 6);
  cy_column_release(c);
  /* A column reference is the table's own column, not a copy. */
  c = evaluate(t, "d");
  CHECK(c == t->columns[3]);
  cy_column_release(c);
}

#define EVAL_FAILS(t, text, code, needle) eval_fails(t, text, code, needle, __LINE__)
static void eval_fails(cy_table *t, const char *text, cy_status code, const char *needle,
                       int line) {
  cy_error err;
  cy_expr *e = NULL;
  cy_column *out = NULL;
  err.message[0] = 0;
  cy_status st = cy_expr_parse(text, &e, &err);
  if (st == CY_OK) st = cy_expr_evaluate(e, t, &out, &err);
  if (st != code || out != NULL || strstr(err.message, needle) == NULL) {
    fprintf(stderr, "line %d: \"%s\": want %s with \"%s\", got %s: %s\n", line, text,
            cy_status_name(code), needle, cy_status_name(st), err.message);
    test_failures++;
  }
  cy_column_release(out);
  cy_expr_release(e);
}

static void test_errors(cy_table *t) {
  EVAL_FAILS(t, "nosuch > 1", CY_ENOENT,
             "expression 'nosuch > 1': no column named 'nosuch' in (i: int64, f: float64, s: "
             "utf8, d: date32, b: bool, my col: int32)");
  EVAL_FAILS(t, "i > 'abc'", CY_EINVAL, "expression 'i > 'abc'': cannot compare int64 with utf8");
  EVAL_FAILS(t, "s > 1 and b", CY_EINVAL,
             "expression 's > 1 and b': cannot compare utf8 with int64 in 's > 1'");
  EVAL_FAILS(t, "s in ('a', 1)", CY_EINVAL, "expression 's in ('a', 1)': cannot compare utf8 with int64");
  EVAL_FAILS(t, "b or s in ('a', 1)", CY_EINVAL, "cannot compare utf8 with int64 in 's in ('a', 1)'");
  EVAL_FAILS(t, "i and b", CY_EINVAL, "expression 'i and b': and needs bool operands, not int64");
  EVAL_FAILS(t, "not s", CY_EINVAL, "not needs bool operands, not utf8");
  EVAL_FAILS(t, "-s = 'a'", CY_EINVAL, "minus needs a number, not utf8 in '-s'");
  EVAL_FAILS(t, "s + 1 > 0", CY_EINVAL, "cannot add utf8 and int64 in 's + 1'");
  EVAL_FAILS(t, "d = 'nope'", CY_EINVAL, "cannot compare date32 with 'nope': not a date");
  EVAL_FAILS(t, "i * 9223372036854775807 > 0", CY_ERANGE,
             "integer overflow at row 1: 2 * 9223372036854775807 does not fit int64 in "
             "'i * 9223372036854775807'");
  EVAL_FAILS(t, "9223372036854775807 + 1 = 0", CY_ERANGE, "integer overflow at row 0");

  /* Callers may pass no error struct. */
  cy_expr *e = NULL;
  cy_column *out = NULL;
  CHECK(cy_expr_parse("a +", &e, NULL) == CY_EINVAL && e == NULL);
  CHECK(cy_expr_parse("s > 1 or nosuch", &e, NULL) == CY_OK);
  CHECK(cy_expr_evaluate(e, t, &out, NULL) == CY_EINVAL && out == NULL);
  cy_expr_release(e);
}

static void test_select(cy_table *t) {
  cy_error err;
  cy_expr *e = NULL;
  cy_table *out = NULL;
  OK(cy_expr_parse("i > 1", &e, &err));
  OK(cy_table_select(t, e, &out, &err));
  /* Rows 1, 3, 4: i = 2, 4, 5 and s = "b", "", "abc" */
  CHECK(out && out->num_rows == 3 && out->schema.num_fields == 6);
  if (out && out->num_rows == 3) {
    const int64_t *i = cy_column_data(out->columns[0]);
    CHECK(i[0] == 2 && i[1] == 4 && i[2] == 5);
    int64_t len;
    CHECK(cy_column_bytes(out->columns[2], 1, &len) && len == 0);
    CHECK(memcmp(cy_column_bytes(out->columns[2], 2, &len), "abc", 3) == 0 && len == 3);
  }
  cy_table_release(out);
  /* A slice at an unaligned offset: rows 1..4 (i = 2, null, 4, 5) */
  cy_table *s = NULL;
  OK(cy_table_slice(t, 1, 4, &s, &err));
  OK(cy_table_select(s, e, &out, &err));
  CHECK(out && out->num_rows == 3 && ((const int64_t *)cy_column_data(out->columns[0]))[0] == 2);
  cy_table_release(out);
  cy_table_release(s);
  /* An empty table. */
  OK(cy_table_slice(t, 6, 0, &s, &err));
  OK(cy_table_select(s, e, &out, &err));
  CHECK(out && out->num_rows == 0 && out->schema.num_fields == 6);
  cy_table_release(out);
  cy_table_release(s);
  cy_expr_release(e);

  OK(cy_expr_parse("null", &e, &err));
  OK(cy_table_select(t, e, &out, &err));
  CHECK(out && out->num_rows == 0);
  cy_table_release(out);
  cy_expr_release(e);
  OK(cy_expr_parse("true", &e, &err));
  OK(cy_table_select(t, e, &out, &err));
  CHECK(out && out->num_rows == 6);
  cy_table_release(out);
  cy_expr_release(e);

  OK(cy_expr_parse("i + 1", &e, &err));
  FAILS(cy_table_select(t, e, &out, &err), CY_EINVAL,
        "expression 'i + 1': gives int64, not bool: a filter needs a condition");
  cy_expr_release(e);
}

int main(void) {
  test_format();
  test_parse_errors();
  cy_table *t = make_table();
  test_comparisons(t);
  test_logic(t);
  test_in(t);
  test_arithmetic(t);
  test_errors(t);
  test_select(t);
  cy_table_release(t);
  TEST_MAIN_END();
}
