/*
 * test_sort.c - hand-computed expectations for cy_table_sort_indices, cy_table_sort and
 * cy_table_top_k: stability, several keys in mixed directions, null placement per key,
 * NaN and -0.0, integer extremes, unsigned keys, strings with common prefixes and embedded
 * NULs, dates, timestamps, decimals, bools, empty and one-row tables, all-null keys,
 * sliced inputs, top-k edge cases and errors.
 *
 * Sorting switches method with the size of a group (a comparison sort for a few dozen
 * rows, the radix sort above that, threads above ~65,000), so most cases are run twice:
 * as written, and with every row repeated to a few hundred rows (the copies of a row side
 * by side, so the expected order follows from the small one's: each position of the
 * small order expands to its copies, in row order, and ties stay in row order).
 */
#include <math.h>
#include <stdint.h>

#include "test.h"

static cy_error err;

/* ---------------------------------------------------------------------------------------
 * Building tables
 * ------------------------------------------------------------------------------------- */

/* A column of n values of `type` from int64s (valid[i] == 0 makes a null; valid may be
 * NULL). */
static cy_column *int_col(cy_type_id type, const int64_t *v, const uint8_t *valid, int64_t n) {
  cy_builder b;
  cy_column *c = NULL;
  OK(cy_builder_init(&b, cy_type_make(type), n, &err));
  for (int64_t i = 0; i < n; i++) {
    if (valid && !valid[i]) OK(cy_builder_append_null(&b, &err));
    else OK(cy_builder_append_int(&b, v[i], &err));
  }
  OK(cy_builder_finish(&b, &c, &err));
  return c;
}

static cy_column *f64_col(const double *v, const uint8_t *valid, int64_t n) {
  cy_column *c = NULL;
  OK(cy_column_from_values(cy_type_make(CY_FLOAT64), v, valid, n, &c, &err));
  return c;
}

/* Strings given with explicit lengths, so they may hold NUL bytes; NULL is a null. */
static cy_column *bytes_col(cy_type_id type, const char *const *s, const int64_t *len,
                            int64_t n) {
  cy_builder b;
  cy_column *c = NULL;
  OK(cy_builder_init(&b, cy_type_make(type), n, &err));
  for (int64_t i = 0; i < n; i++) {
    if (!s[i]) OK(cy_builder_append_null(&b, &err));
    else OK(cy_builder_append_bytes(&b, s[i], len ? len[i] : (int64_t)strlen(s[i]), &err));
  }
  OK(cy_builder_finish(&b, &c, &err));
  return c;
}

/* A table of the given columns, named a, b, c, ...; the columns are released. */
static cy_table *make_table(int32_t n, cy_column **cols) {
  static const char *names[] = {"a", "b", "c", "d", "e", "f"};
  cy_table *t = NULL;
  OK(cy_table_make(n, names, cols, &t, &err));
  for (int32_t i = 0; i < n; i++) cy_column_release(cols[i]);
  return t;
}

static cy_table *table1(cy_column *a) { return make_table(1, &a); }

static cy_table *table2(cy_column *a, cy_column *b) {
  cy_column *cols[] = {a, b};
  return make_table(2, cols);
}

/* The table with every row repeated `times` times: row r is row r / times of t. */
static cy_table *repeat(cy_table *t, int64_t times) {
  int64_t n = t->num_rows;
  int64_t *idx = malloc((size_t)(n * times + 1) * sizeof(int64_t));
  for (int64_t r = 0; r < n * times; r++) idx[r] = r / times;
  cy_table *out = NULL;
  OK(cy_table_take(t, idx, n * times, &out, &err));
  free(idx);
  return out;
}

/* ---------------------------------------------------------------------------------------
 * Checking orders
 * ------------------------------------------------------------------------------------- */

static void check_order(cy_table *t, const cy_sort_key *keys, int32_t nk, const int64_t *want,
                        int64_t n, int line) {
  int64_t *idx = NULL;
  cy_status st = cy_table_sort_indices(t, keys, nk, &idx, &err);
  if (st != CY_OK) {
    fprintf(stderr, "line %d: sort failed: %s\n", line, err.message);
    test_failures++;
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    if (idx[i] != want[i]) {
      fprintf(stderr, "line %d: rows %lld: position %lld is row %lld, expected %lld\n", line,
              (long long)n, (long long)i, (long long)idx[i], (long long)want[i]);
      test_failures++;
      break;
    }
  }
  free(idx);
}

/* Check the order of t and of t repeated to over 300 rows (see the header comment). */
static void check_both(cy_table *t, const cy_sort_key *keys, int32_t nk, const int64_t *want,
                       int line) {
  int64_t n = t->num_rows;
  check_order(t, keys, nk, want, n, line);
  if (n == 0) return;
  int64_t times = 300 / n + 1;
  cy_table *big = repeat(t, times);
  int64_t *bw = malloc((size_t)(n * times) * sizeof(int64_t)), o = 0;
  for (int64_t p = 0; p < n; p++)
    for (int64_t c = 0; c < times; c++) bw[o++] = want[p] * times + c;
  check_order(big, keys, nk, bw, n * times, line);
  free(bw);
  cy_table_release(big);
}

#define CHECK_ORDER(t, keys, nk, ...)                                   \
  do {                                                                  \
    const int64_t want_[] = {__VA_ARGS__};                              \
    check_both(t, keys, nk, want_, __LINE__);                           \
  } while (0)

static cy_sort_key key(const char *col, bool desc, bool nulls_first) {
  return (cy_sort_key){col, desc, nulls_first};
}

/* ---------------------------------------------------------------------------------------
 * Cases
 * ------------------------------------------------------------------------------------- */

static void test_stable_ints(void) {
  int64_t v[] = {3, 1, 3, 1, 2};
  for (cy_type_id type = CY_INT8; type <= CY_UINT64; type++) {
    cy_table *t = table1(int_col(type, v, NULL, 5));
    cy_sort_key k = key("a", false, false);
    CHECK_ORDER(t, &k, 1, 1, 3, 4, 0, 2);
    k.descending = true;
    CHECK_ORDER(t, &k, 1, 0, 2, 4, 1, 3);
    cy_table_release(t);
  }
}

static void test_multi_key(void) {
  int64_t a[] = {1, 1, 2, 2, 1, 2};
  const char *b[] = {"x", "y", "x", "y", "z", "x"};
  cy_table *t = table2(int_col(CY_INT64, a, NULL, 6), bytes_col(CY_UTF8, b, NULL, 6));
  cy_sort_key k[] = {key("a", false, false), key("b", true, false)};
  CHECK_ORDER(t, k, 2, 4, 1, 0, 3, 2, 5);
  k[0].descending = true;
  k[1].descending = false;
  CHECK_ORDER(t, k, 2, 2, 5, 3, 0, 1, 4);
  cy_sort_key r[] = {key("b", false, false), key("a", true, false)};
  CHECK_ORDER(t, r, 2, 2, 5, 0, 3, 1, 4); /* x: a=2 (2, 5), then a=1 (0); y: 3, 1; z: 4 */
  cy_table_release(t);
}

static void test_nulls_per_key(void) {
  int64_t v[] = {2, 0, 1, 0, 3};
  uint8_t ok[] = {1, 0, 1, 0, 1};
  cy_table *t = table1(int_col(CY_INT64, v, ok, 5));
  cy_sort_key k = key("a", false, false);
  CHECK_ORDER(t, &k, 1, 2, 0, 4, 1, 3);
  k.nulls_first = true;
  CHECK_ORDER(t, &k, 1, 1, 3, 2, 0, 4);
  k.descending = true;
  CHECK_ORDER(t, &k, 1, 1, 3, 4, 0, 2);
  k.nulls_first = false;
  CHECK_ORDER(t, &k, 1, 4, 0, 2, 1, 3);
  cy_table_release(t);

  /* Each key places its own nulls. */
  int64_t a[] = {1, 0, 1, 0}, b[] = {0, 5, 3, 1};
  uint8_t av[] = {1, 0, 1, 0}, bv[] = {0, 1, 1, 1};
  t = table2(int_col(CY_INT32, a, av, 4), int_col(CY_INT64, b, bv, 4));
  cy_sort_key two[] = {key("a", false, false), key("b", false, true)};
  CHECK_ORDER(t, two, 2, 0, 2, 3, 1);
  two[0].nulls_first = true;
  two[1] = key("b", true, false);
  CHECK_ORDER(t, two, 2, 1, 3, 2, 0);
  cy_table_release(t);
}

static double make_nan(uint64_t bits) {
  double d;
  memcpy(&d, &bits, 8);
  return d;
}

static void test_floats(void) {
  double v[] = {NAN, 1.0, -0.0, -INFINITY, 0.0, INFINITY, -1.5, make_nan(0xFFF8000000000001ull)};
  cy_table *t = table1(f64_col(v, NULL, 8));
  cy_sort_key k = key("a", false, false);
  CHECK_ORDER(t, &k, 1, 3, 6, 2, 4, 1, 5, 0, 7); /* -0.0 ties with 0.0; NaN after inf */
  k.descending = true;
  CHECK_ORDER(t, &k, 1, 0, 7, 5, 1, 2, 4, 6, 3);
  cy_table_release(t);

  float f[] = {2.5f, NAN, -0.0f, -2.5f, 0.0f, 1e-30f};
  uint8_t ok[] = {1, 1, 1, 1, 1, 1};
  cy_column *c = NULL;
  OK(cy_column_from_values(cy_type_make(CY_FLOAT32), f, ok, 6, &c, &err));
  t = table1(c);
  k.descending = false;
  CHECK_ORDER(t, &k, 1, 3, 2, 4, 5, 0, 1);
  cy_table_release(t);

  /* NaN is a value, not a null: nulls still go where asked. */
  double w[] = {NAN, 0, 1};
  uint8_t wv[] = {1, 0, 1};
  t = table1(f64_col(w, wv, 3));
  k.nulls_first = true;
  CHECK_ORDER(t, &k, 1, 1, 2, 0);
  cy_table_release(t);
}

static void test_int_extremes(void) {
  int64_t v[] = {INT64_MAX, INT64_MIN, 0, -1, 1, INT64_MIN + 1, INT64_MAX - 1};
  cy_table *t = table1(int_col(CY_INT64, v, NULL, 7));
  cy_sort_key k = key("a", false, false);
  CHECK_ORDER(t, &k, 1, 1, 5, 3, 2, 4, 6, 0);
  k.descending = true;
  CHECK_ORDER(t, &k, 1, 0, 6, 4, 2, 3, 5, 1);
  cy_table_release(t);

  int64_t s[] = {INT8_MIN, INT8_MAX, -1, 0};
  t = table1(int_col(CY_INT8, s, NULL, 4));
  k.descending = false;
  CHECK_ORDER(t, &k, 1, 0, 2, 3, 1);
  cy_table_release(t);

  uint64_t u[] = {UINT64_MAX, 0, 1ull << 63, 5, (1ull << 63) - 1};
  cy_column *c = NULL;
  OK(cy_column_from_values(cy_type_make(CY_UINT64), u, NULL, 5, &c, &err));
  t = table1(c);
  CHECK_ORDER(t, &k, 1, 1, 3, 4, 2, 0);
  cy_table_release(t);
}

static void test_strings(void) {
  /* Byte order: a prefix first; NUL and 0x01 after the end of a string; 0xff last. */
  const char *s[] = {"abcdefgh", "abcdefg", "abcdefghi", "", "abcdefg\0", "abcdefg\x01", "b",
                     "abcdefgh\0", "\xff", "abcdefghijklmnopqrstu", "abcdefghijklmnopqrstv",
                     NULL, "abcdefghijklmn", "abcdefghijklm\0"};
  int64_t len[] = {8, 7, 9, 0, 8, 8, 1, 9, 1, 21, 21, 0, 14, 14};
  cy_type_id types[] = {CY_UTF8, CY_LARGE_UTF8, CY_BINARY, CY_LARGE_BINARY};
  for (int ti = 0; ti < 4; ti++) {
    cy_table *t = table1(bytes_col(types[ti], s, len, 14));
    cy_sort_key k = key("a", false, false);
    CHECK_ORDER(t, &k, 1, 3, 1, 4, 5, 0, 7, 2, 13, 12, 9, 10, 6, 8, 11);
    k.descending = true;
    k.nulls_first = true;
    CHECK_ORDER(t, &k, 1, 11, 8, 6, 10, 9, 12, 13, 2, 7, 0, 5, 4, 1, 3);
    cy_table_release(t);
  }
}

static void test_long_common_prefix(void) {
  /* Longer shared prefixes than the radix rounds go (they finish by comparison). */
  enum { N = 60, LEN = 1000 };
  char *buf[N];
  int64_t len[N];
  for (int i = 0; i < N; i++) {
    buf[i] = malloc(LEN + 2);
    memset(buf[i], 'q', LEN);
    buf[i][LEN] = (char)('a' + (i * 7) % N % 26); /* a..z, some repeated */
    len[i] = LEN + 1 - (i % 3 == 0); /* every third has only the prefix */
  }
  cy_table *t = table1(bytes_col(CY_UTF8, (const char *const *)buf, len, N));
  cy_sort_key k = key("a", false, false);
  int64_t *idx = NULL;
  OK(cy_table_sort_indices(t, &k, 1, &idx, &err));
  for (int i = 1; idx && i < N; i++) {
    int64_t a = idx[i - 1], b = idx[i];
    int c = memcmp(buf[a], buf[b], (size_t)(len[a] < len[b] ? len[a] : len[b]));
    bool in_order = c < 0 || (c == 0 && (len[a] < len[b] || (len[a] == len[b] && a < b)));
    CHECK(in_order);
  }
  free(idx);
  for (int i = 0; i < N; i++) free(buf[i]);
  cy_table_release(t);
}

static void test_dates_times_bools(void) {
  int64_t d[] = {18000, -1, 0, 18000, -719162};
  cy_table *t = table1(int_col(CY_DATE32, d, NULL, 5));
  cy_sort_key k = key("a", false, false);
  CHECK_ORDER(t, &k, 1, 4, 1, 2, 0, 3);
  cy_table_release(t);

  cy_builder b;
  cy_column *c = NULL;
  OK(cy_builder_init(&b, cy_type_timestamp(CY_MICRO, "UTC"), 4, &err));
  int64_t ts[] = {1600000000000000, -5, 1600000000000001, 0};
  for (int i = 0; i < 4; i++) OK(cy_builder_append_int(&b, ts[i], &err));
  OK(cy_builder_finish(&b, &c, &err));
  t = table1(c);
  k.descending = true;
  CHECK_ORDER(t, &k, 1, 2, 0, 3, 1);
  cy_table_release(t);

  int64_t v[] = {1, 0, 0, 1, 0};
  uint8_t ok[] = {1, 1, 0, 1, 1};
  t = table1(int_col(CY_BOOL, v, ok, 5));
  k.descending = false;
  CHECK_ORDER(t, &k, 1, 1, 4, 0, 3, 2);
  k.descending = true;
  k.nulls_first = true;
  CHECK_ORDER(t, &k, 1, 2, 0, 3, 1, 4);
  cy_table_release(t);
}

static void test_decimals(void) {
  cy_builder b;
  cy_column *c = NULL;
  OK(cy_builder_init(&b, cy_type_decimal128(38, 2), 6, &err));
  /* (lo, hi): 5, -1 (all ones), 2^64 + 1, 2^64, -2^64, and 3 */
  uint64_t lo[] = {5, UINT64_MAX, 1, 0, 0, 3};
  int64_t hi[] = {0, -1, 1, 1, -1, 0};
  for (int i = 0; i < 6; i++) OK(cy_builder_append_decimal128(&b, lo[i], hi[i], &err));
  OK(cy_builder_finish(&b, &c, &err));
  cy_table *t = table1(c);
  cy_sort_key k = key("a", false, false);
  CHECK_ORDER(t, &k, 1, 4, 1, 5, 0, 3, 2);
  k.descending = true;
  CHECK_ORDER(t, &k, 1, 2, 3, 0, 5, 1, 4);
  cy_table_release(t);
}

static void test_small_tables(void) {
  cy_table *t = table1(int_col(CY_INT64, NULL, NULL, 0));
  cy_sort_key k = key("a", false, false);
  int64_t *idx = NULL;
  OK(cy_table_sort_indices(t, &k, 1, &idx, &err));
  CHECK(idx != NULL);
  free(idx);
  cy_table *out = NULL;
  OK(cy_table_sort(t, &k, 1, &out, &err));
  CHECK(out && out->num_rows == 0 && out->schema.num_fields == 1);
  cy_table_release(out);
  OK(cy_table_top_k(t, &k, 1, 5, &out, &err));
  CHECK(out && out->num_rows == 0);
  cy_table_release(out);
  cy_table_release(t);

  int64_t one = 42;
  t = table1(int_col(CY_INT64, &one, NULL, 1));
  CHECK_ORDER(t, &k, 1, 0);
  cy_table_release(t);

  /* No keys: the rows as they are. */
  int64_t v[] = {3, 1, 2};
  t = table1(int_col(CY_INT64, v, NULL, 3));
  CHECK_ORDER(t, NULL, 0, 0, 1, 2);
  cy_table *big = repeat(t, 100);
  OK(cy_table_sort(big, NULL, 0, &out, &err));
  bool equal = false;
  if (out) OK(cy_table_equals(out, big, true, &equal, &err));
  CHECK(equal);
  cy_table_release(out);
  cy_table_release(big);
  cy_table_release(t);
}

static void test_all_null_key(void) {
  int64_t a[] = {0, 0, 0, 0, 0}, b[] = {5, 3, 5, 1, 3};
  uint8_t none[] = {0, 0, 0, 0, 0};
  cy_table *t = table2(int_col(CY_INT64, a, none, 5), int_col(CY_INT64, b, NULL, 5));
  cy_sort_key k[] = {key("a", true, true), key("b", false, false)};
  CHECK_ORDER(t, k, 1, 0, 1, 2, 3, 4);
  CHECK_ORDER(t, k, 2, 3, 1, 4, 0, 2);
  cy_table_release(t);
}

static void test_sliced(void) {
  int64_t a[] = {9, 9, 9, 4, 2, 4, 1, 9}, b[] = {0, 0, 0, 7, 0, 6, 0, 0};
  uint8_t av[] = {1, 1, 1, 1, 0, 1, 1, 1};
  const char *s[] = {"z", "z", "z", "m", "k", "m", "a", "z"};
  cy_column *cols[] = {int_col(CY_INT64, a, av, 8), int_col(CY_INT16, b, NULL, 8),
                       bytes_col(CY_UTF8, s, NULL, 8)};
  cy_table *t = make_table(3, cols), *sl = NULL;
  OK(cy_table_slice(t, 3, 4, &sl, &err)); /* a: 4, null, 4, 1; b: 7, 0, 6, 0 */
  cy_sort_key k[] = {key("a", false, false), key("b", false, false)};
  CHECK_ORDER(sl, k, 2, 3, 2, 0, 1);
  cy_sort_key ks = key("c", true, false);
  CHECK_ORDER(sl, &ks, 1, 0, 2, 1, 3);
  cy_table *out = NULL;
  OK(cy_table_sort(sl, k, 2, &out, &err));
  if (out) {
    const int64_t *va = cy_column_data(out->columns[0]);
    const int16_t *vb = cy_column_data(out->columns[1]);
    CHECK_EQ_INT(va[0], 1);
    CHECK_EQ_INT(va[1], 4);
    CHECK_EQ_INT(vb[1], 6);
    CHECK_EQ_INT(vb[2], 7);
    CHECK(!cy_column_is_valid(out->columns[0], 3));
    int64_t len;
    CHECK(memcmp(cy_column_bytes(out->columns[2], 0, &len), "a", 1) == 0);
  }
  cy_table_release(out);
  cy_table_release(sl);
  cy_table_release(t);
}

/* cy_table_sort must give the rows of cy_table_take over the sorting permutation (it
 * rebuilds an integer key column from the sorted keys rather than gathering it). */
static void check_sorted_table(cy_table *t, const cy_sort_key *keys, int32_t nk, int line) {
  int64_t *idx = NULL;
  cy_table *got = NULL, *want = NULL;
  bool equal = false;
  OK(cy_table_sort_indices(t, keys, nk, &idx, &err));
  OK(cy_table_sort(t, keys, nk, &got, &err));
  if (idx) OK(cy_table_take(t, idx, t->num_rows, &want, &err));
  if (got && want) OK(cy_table_equals(got, want, true, &equal, &err));
  if (!equal) {
    fprintf(stderr, "line %d: the sorted table is not the permuted table\n", line);
    test_failures++;
  }
  free(idx);
  cy_table_release(got);
  cy_table_release(want);
}

static void test_sorted_table(void) {
  int64_t v[] = {INT64_MIN, 5, -3, INT64_MAX, 0, -3, 7};
  int64_t same[] = {-9, -9, -9, -9, -9, -9, -9};
  int64_t w[] = {1, 2, 3, 4, 5, 6, 7};
  cy_type_id types[] = {CY_INT8, CY_INT16, CY_INT32, CY_INT64, CY_UINT8, CY_UINT16,
                        CY_UINT32, CY_UINT64, CY_DATE32, CY_BOOL, CY_FLOAT64};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    for (int s = 0; s < 2; s++) {
      int64_t vals[7];
      for (int r = 0; r < 7; r++) { /* fit the type: keep the low bits, positive if unsigned */
        int bits = cy_type_bit_width(types[i]);
        int64_t x = s ? same[r] : v[r];
        if (types[i] == CY_BOOL) x = x & 1;
        else if (types[i] >= CY_UINT8 && types[i] <= CY_UINT64) x = x < 0 ? -(x + 1) : x;
        if (bits < 64 && types[i] != CY_BOOL) x = x % (1ll << (bits - 2));
        vals[r] = x;
      }
      cy_table *small = NULL;
      if (types[i] == CY_FLOAT64) {
        double d[7] = {-0.0, 0.0, NAN, -1, 1e9, -0.0, 3};
        small = table2(f64_col(d, NULL, 7), int_col(CY_INT64, w, NULL, 7));
      } else {
        small = table2(int_col(types[i], vals, NULL, 7), int_col(CY_INT64, w, NULL, 7));
      }
      cy_table *big = repeat(small, 40);
      for (int desc = 0; desc < 2; desc++) {
        cy_sort_key k = key("a", desc, false);
        check_sorted_table(small, &k, 1, __LINE__);
        check_sorted_table(big, &k, 1, __LINE__);
      }
      cy_table_release(big);
      cy_table_release(small);
    }
  }
}

/* The key column twice under two names, with nulls elsewhere: each copy is right. */
static void test_key_column_twice(void) {
  enum { N = 500 };
  int64_t v[N], w[N];
  uint8_t wv[N];
  for (int i = 0; i < N; i++) {
    v[i] = (i * 7919) % 1000 - 500;
    w[i] = i;
    wv[i] = i % 3 != 0;
  }
  cy_column *a = int_col(CY_INT64, v, NULL, N), *b = int_col(CY_INT32, w, wv, N);
  cy_column *cols[] = {a, a, b};
  const char *names[] = {"a", "a2", "b"};
  cy_table *t = NULL;
  OK(cy_table_make(3, names, cols, &t, &err));
  cy_column_release(a);
  cy_column_release(b);
  for (int desc = 0; desc < 2; desc++) {
    cy_sort_key k = key("a", desc, false);
    check_sorted_table(t, &k, 1, __LINE__);
    k.column = "a2";
    check_sorted_table(t, &k, 1, __LINE__);
  }
  cy_table_release(t);
}

/* ---------------------------------------------------------------------------------------
 * top-k
 * ------------------------------------------------------------------------------------- */

static void check_top_k(cy_table *t, const cy_sort_key *keys, int32_t nk, int64_t k,
                        int line) {
  int64_t *idx = NULL;
  cy_table *top = NULL, *want = NULL;
  OK(cy_table_sort_indices(t, keys, nk, &idx, &err));
  OK(cy_table_top_k(t, keys, nk, k, &top, &err));
  int64_t m = k < t->num_rows ? k : t->num_rows;
  if (idx) OK(cy_table_take(t, idx, m, &want, &err));
  bool equal = false;
  if (top && want) OK(cy_table_equals(top, want, true, &equal, &err));
  if (!equal) {
    fprintf(stderr, "line %d: top_k(%lld) differs from the head of the sort\n", line,
            (long long)k);
    test_failures++;
  }
  free(idx);
  cy_table_release(top);
  cy_table_release(want);
}

static void test_top_k(void) {
  /* Ties: the first rows of the stable order. Columns b tells the rows apart. */
  int64_t a[] = {5, 1, 5, 1, 3, 1}, b[] = {0, 1, 2, 3, 4, 5};
  cy_table *t = table2(int_col(CY_INT64, a, NULL, 6), int_col(CY_INT64, b, NULL, 6));
  cy_sort_key k = key("a", false, false);
  cy_table *out = NULL;
  OK(cy_table_top_k(t, &k, 1, 2, &out, &err));
  if (out) {
    CHECK_EQ_INT(out->num_rows, 2);
    CHECK_EQ_INT(((const int64_t *)cy_column_data(out->columns[1]))[0], 1);
    CHECK_EQ_INT(((const int64_t *)cy_column_data(out->columns[1]))[1], 3);
  }
  cy_table_release(out);
  OK(cy_table_top_k(t, &k, 1, 0, &out, &err));
  CHECK(out && out->num_rows == 0 && out->schema.num_fields == 2);
  cy_table_release(out);
  for (int64_t n = 0; n <= 8; n++) check_top_k(t, &k, 1, n, __LINE__);
  k.descending = true;
  check_top_k(t, &k, 1, 3, __LINE__);
  cy_table *big = repeat(t, 1000); /* 6000 rows: the heap path for small k */
  for (int64_t n = 1; n <= 700; n = n * 3 + 1) check_top_k(big, &k, 1, n, __LINE__);
  cy_sort_key two[] = {key("a", false, false), key("b", true, false)};
  check_top_k(big, two, 2, 10, __LINE__);
  cy_table_release(big);
  cy_table_release(t);

  /* Nulls and NaN. */
  double f[] = {NAN, 2, 0, -1, NAN, 7};
  uint8_t fv[] = {1, 1, 0, 1, 1, 0};
  t = table1(f64_col(f, fv, 6));
  big = repeat(t, 500);
  cy_sort_key kf = key("a", true, true);
  for (int64_t n = 1; n < 40; n += 7) check_top_k(big, &kf, 1, n, __LINE__);
  kf = key("a", false, false);
  check_top_k(big, &kf, 1, 5, __LINE__);
  cy_table_release(big);
  cy_table_release(t);
}

/* ---------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------- */

static void test_errors(void) {
  int64_t v[] = {1, 2};
  cy_table *t = table2(int_col(CY_INT64, v, NULL, 2), int_col(CY_INT64, v, NULL, 2));
  cy_sort_key k = key("nope", false, false);
  int64_t *idx = NULL;
  cy_table *out = NULL;
  FAILS(cy_table_sort_indices(t, &k, 1, &idx, &err), CY_ENOENT, "'nope'");
  CHECK(strstr(err.message, "a: int64") != NULL); /* the table's columns are listed */
  FAILS(cy_table_sort(t, &k, 1, &out, &err), CY_ENOENT, "sort");
  FAILS(cy_table_top_k(t, &k, 1, 1, &out, &err), CY_ENOENT, "top_k");
  k.column = NULL;
  FAILS(cy_table_sort(t, &k, 1, &out, &err), CY_ENOENT, "(null)");
  k.column = "a";
  FAILS(cy_table_top_k(t, &k, 1, -1, &out, &err), CY_EINVAL, "-1");
  FAILS(cy_table_sort(t, NULL, 1, &out, &err), CY_EINVAL, "sort");
  FAILS(cy_table_sort_indices(NULL, &k, 1, &idx, &err), CY_EINVAL, "table");
  CHECK(out == NULL);
  cy_table_release(t);
}

int main(void) {
  test_stable_ints();
  test_multi_key();
  test_nulls_per_key();
  test_floats();
  test_int_extremes();
  test_strings();
  test_long_common_prefix();
  test_dates_times_bools();
  test_decimals();
  test_small_tables();
  test_all_null_key();
  test_sliced();
  test_sorted_table();
  test_key_column_twice();
  test_top_k();
  test_errors();
  TEST_MAIN_END();
}
