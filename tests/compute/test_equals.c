/*
 * test_equals.c - cy_table_equals, ordered and unordered: equal and unequal values, null
 * positions, NaN (any payload) equal to NaN, -0.0 equal to 0.0, schemas differing in
 * names, types or column order, row counts, multiplicities, sliced inputs (whose buffers
 * start before the rows), bools at bit offsets, strings, large tables compared in
 * parallel chunks, and bad arguments.
 */
#include <math.h>
#include <stdint.h>

#include "test.h"

static cy_error err;

static cy_column *i64(const int64_t *v, const uint8_t *valid, int64_t n) {
  cy_column *c = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, valid, n, &c, &err));
  return c;
}

static cy_column *f64(const double *v, const uint8_t *valid, int64_t n) {
  cy_column *c = NULL;
  OK(cy_column_from_values(cy_type_make(CY_FLOAT64), v, valid, n, &c, &err));
  return c;
}

static cy_column *str(const char *const *s, int64_t n) {
  cy_column *c = NULL;
  OK(cy_column_from_strings(s, n, &c, &err));
  return c;
}

/* A table of columns named by `names` (comma-free list); the columns are released. */
static cy_table *table(int32_t n, const char *const *names, cy_column **cols) {
  cy_table *t = NULL;
  OK(cy_table_make(n, names, cols, &t, &err));
  for (int32_t i = 0; i < n; i++) cy_column_release(cols[i]);
  return t;
}

static const char *AB[] = {"a", "b"};

static cy_table *t2(cy_column *a, cy_column *b) {
  cy_column *cols[] = {a, b};
  return table(2, AB, cols);
}

/* equals(a, b, ordered) must be `want`, and the same with the sides swapped. */
static void expect(cy_table *a, cy_table *b, bool ordered, bool want, int line) {
  for (int swap = 0; swap < 2; swap++) {
    bool eq = !want;
    cy_status st = cy_table_equals(swap ? b : a, swap ? a : b, ordered, &eq, &err);
    if (st != CY_OK || eq != want) {
      fprintf(stderr, "line %d: equals(%s, %s) gave %s (%s), expected %s\n", line,
              ordered ? "ordered" : "unordered", swap ? "swapped" : "as given",
              eq ? "true" : "false", st ? err.message : "ok", want ? "true" : "false");
      test_failures++;
    }
  }
}

#define EXPECT(a, b, ordered, want) expect(a, b, ordered, want, __LINE__)

static void test_ordered(void) {
  int64_t v[] = {1, 2, 3, 4};
  int64_t w[] = {1, 2, 3, 5};
  uint8_t nv[] = {1, 0, 1, 1};
  const char *s[] = {"x", "", NULL, "yy"};
  const char *s2[] = {"x", "", NULL, "yz"};
  cy_table *a = t2(i64(v, nv, 4), str(s, 4)), *b = t2(i64(v, nv, 4), str(s, 4));
  EXPECT(a, b, true, true);
  EXPECT(a, b, false, true);
  cy_table *c = t2(i64(w, nv, 4), str(s, 4));
  EXPECT(a, c, true, false);
  EXPECT(a, c, false, false);
  cy_table *d = t2(i64(v, nv, 4), str(s2, 4));
  EXPECT(a, d, true, false);
  /* A null against a value that its slot happens to hold. */
  cy_table *e = t2(i64(v, NULL, 4), str(s, 4));
  EXPECT(a, e, true, false);
  EXPECT(a, e, false, false);
  cy_table_release(a);
  cy_table_release(b);
  cy_table_release(c);
  cy_table_release(d);
  cy_table_release(e);
}

static double nan_with(uint64_t payload) {
  uint64_t bits = 0x7FF0000000000000ull | payload;
  double d;
  memcpy(&d, &bits, 8);
  return d;
}

static void test_floats(void) {
  double x[] = {NAN, -0.0, 1.5, INFINITY};
  double y[] = {nan_with(0x8000000000001ull) * -1.0, 0.0, 1.5, INFINITY};
  double z[] = {NAN, 0.0, 1.5, -INFINITY};
  int64_t k[] = {1, 2, 3, 4};
  cy_table *a = t2(f64(x, NULL, 4), i64(k, NULL, 4));
  cy_table *b = t2(f64(y, NULL, 4), i64(k, NULL, 4));
  cy_table *c = t2(f64(z, NULL, 4), i64(k, NULL, 4));
  EXPECT(a, b, true, true);
  EXPECT(a, b, false, true);
  EXPECT(a, c, true, false);
  EXPECT(a, c, false, false);
  cy_table_release(a);
  cy_table_release(b);
  cy_table_release(c);

  float f[] = {NAN, -0.0f}, g[] = {NAN, 0.0f};
  cy_column *fc = NULL, *gc = NULL;
  OK(cy_column_from_values(cy_type_make(CY_FLOAT32), f, NULL, 2, &fc, &err));
  OK(cy_column_from_values(cy_type_make(CY_FLOAT32), g, NULL, 2, &gc, &err));
  a = table(1, AB, &fc);
  b = table(1, AB, &gc);
  EXPECT(a, b, true, true);
  cy_table_release(a);
  cy_table_release(b);
}

static void test_schemas(void) {
  int64_t v[] = {1, 2};
  int32_t v32[] = {1, 2};
  cy_table *a = t2(i64(v, NULL, 2), i64(v, NULL, 2));
  const char *other[] = {"a", "c"};
  cy_column *cols[] = {i64(v, NULL, 2), i64(v, NULL, 2)};
  cy_table *b = table(2, other, cols);
  EXPECT(a, b, true, false);
  EXPECT(a, b, false, false);
  cy_column *c32 = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT32), v32, NULL, 2, &c32, &err));
  cy_table *c = t2(i64(v, NULL, 2), c32);
  EXPECT(a, c, true, false);
  const char *ba[] = {"b", "a"};
  cy_column *cols2[] = {i64(v, NULL, 2), i64(v, NULL, 2)};
  cy_table *d = table(2, ba, cols2);
  EXPECT(a, d, true, false);
  cy_table *e = NULL;
  OK(cy_table_head(a, 1, &e, &err));
  EXPECT(a, e, true, false);
  EXPECT(a, e, false, false);
  cy_table *f = NULL, *g = NULL;
  OK(cy_table_head(a, 0, &f, &err));
  OK(cy_table_head(d, 0, &g, &err));
  cy_table *h = NULL;
  OK(cy_table_head(b, 0, &h, &err));
  EXPECT(f, f, true, true);
  EXPECT(f, g, false, false); /* no rows, but different schemas */
  EXPECT(f, h, true, false);
  cy_table *none = NULL, *none2 = NULL;
  OK(cy_table_make(0, NULL, NULL, &none, &err));
  OK(cy_table_make(0, NULL, NULL, &none2, &err));
  if (none && none2) EXPECT(none, none2, false, true);
  cy_table *tabs[] = {a, b, c, d, e, f, g, h, none, none2};
  for (int i = 0; i < 10; i++) cy_table_release(tabs[i]);
}

static void test_unordered(void) {
  int64_t a1[] = {1, 2, 1, 3, 0, 2}, a2[] = {2, 1, 0, 2, 3, 1};
  uint8_t v1[] = {1, 1, 1, 1, 0, 1}, v2[] = {1, 1, 0, 1, 1, 1};
  double f1[] = {0.5, NAN, 0.5, -0.0, 7, NAN}, f2[] = {NAN, 0.5, 7, NAN, 0.0, 0.5};
  /* The same six rows: (1, .5) (2, nan) (1, .5) (3, -0) (null, 7) (2, nan). */
  cy_table *a = t2(i64(a1, v1, 6), f64(f1, NULL, 6)), *b = t2(i64(a2, v2, 6), f64(f2, NULL, 6));
  EXPECT(a, b, false, true);
  EXPECT(a, b, true, false);
  /* Same values per column but paired differently. */
  double f3[] = {0.5, NAN, 7, NAN, 0.0, 0.5};
  cy_table *c = t2(i64(a2, v2, 6), f64(f3, NULL, 6));
  EXPECT(a, c, false, false);
  /* Multiplicities: {1, 1, 2} against {1, 2, 2}. */
  int64_t m1[] = {1, 1, 2}, m2[] = {2, 1, 2};
  const char *one[] = {"a"};
  cy_column *mc1 = i64(m1, NULL, 3), *mc2 = i64(m2, NULL, 3);
  cy_table *d = table(1, one, &mc1), *e = table(1, one, &mc2);
  EXPECT(d, e, false, false);
  const char *s1[] = {"b", NULL, "a", "a"}, *s2[] = {"a", "b", "a", NULL};
  cy_column *sc1 = str(s1, 4), *sc2 = str(s2, 4);
  cy_table *f = table(1, one, &sc1), *g = table(1, one, &sc2);
  EXPECT(f, g, false, true);
  EXPECT(f, g, true, false);
  cy_table *tabs[] = {a, b, c, d, e, f, g};
  for (int i = 0; i < 7; i++) cy_table_release(tabs[i]);
}

static void test_sliced_and_bools(void) {
  int64_t v[] = {9, 1, 2, 3, 9};
  int64_t w[] = {1, 2, 3};
  uint8_t bv[] = {1, 0, 1, 1, 0}, bw[] = {0, 1, 1};
  cy_column *b1 = NULL, *b2 = NULL;
  OK(cy_column_from_values(cy_type_make(CY_BOOL), bv, NULL, 5, &b1, &err));
  OK(cy_column_from_values(cy_type_make(CY_BOOL), bw, NULL, 3, &b2, &err));
  cy_table *big = t2(i64(v, NULL, 5), b1), *small = t2(i64(w, NULL, 3), b2), *sl = NULL;
  OK(cy_table_slice(big, 1, 3, &sl, &err));
  EXPECT(sl, small, true, true);
  EXPECT(sl, small, false, true);
  cy_table *sl2 = NULL;
  OK(cy_table_slice(big, 2, 3, &sl2, &err));
  EXPECT(sl2, small, true, false);
  cy_table_release(sl);
  cy_table_release(sl2);
  cy_table_release(big);
  cy_table_release(small);
}

static void test_large(void) {
  enum { N = 300000 };
  int64_t *v = malloc(N * sizeof(int64_t)), *r = malloc(N * sizeof(int64_t));
  for (int64_t i = 0; i < N; i++) {
    v[i] = (i * 7919) % 1000;
    r[i] = (N - 1 - i) * 7919 % 1000; /* the same rows reversed */
  }
  const char *one[] = {"a"};
  cy_column *c1 = i64(v, NULL, N), *c2 = i64(v, NULL, N), *c3 = i64(r, NULL, N);
  cy_table *a = table(1, one, &c1), *b = table(1, one, &c2), *rev = table(1, one, &c3);
  EXPECT(a, b, true, true);
  EXPECT(a, rev, true, false);
  EXPECT(a, rev, false, true);
  v[N - 1] += 1; /* differs in the last row only */
  cy_column *c4 = i64(v, NULL, N);
  cy_table *d = table(1, one, &c4);
  EXPECT(a, d, true, false);
  EXPECT(a, d, false, false);
  cy_table_release(a);
  cy_table_release(b);
  cy_table_release(rev);
  cy_table_release(d);
  free(v);
  free(r);
}

static void test_errors(void) {
  int64_t v[] = {1};
  const char *one[] = {"a"};
  cy_column *c = i64(v, NULL, 1);
  cy_table *a = table(1, one, &c);
  bool eq;
  FAILS(cy_table_equals(a, NULL, true, &eq, &err), CY_EINVAL, "second table");
  FAILS(cy_table_equals(NULL, a, false, &eq, &err), CY_EINVAL, "first table");
  FAILS(cy_table_equals(a, a, false, NULL, &err), CY_EINVAL, "result");
  cy_table_release(a);
}

int main(void) {
  test_ordered();
  test_floats();
  test_schemas();
  test_unordered();
  test_sliced_and_bools();
  test_large();
  test_errors();
  TEST_MAIN_END();
}
