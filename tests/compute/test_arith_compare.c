/*
 * test_arith_compare.c - element-wise comparison and arithmetic (compare.c, arith.c).
 *
 * Every expectation is worked out by hand in the comments next to it: nulls in the first,
 * middle and last rows, slices at unaligned offsets, the int64 / double boundary, NaN and
 * -0.0, strings with embedded NULs, dates against timestamps, overflow and division by 0.
 */
#include <math.h>

#include "test.h"

/* A column of n fixed-width values; valid is "1" / "0" per row, or NULL for no nulls. */
static cy_column *make(cy_type_id id, const void *values, const char *valid, int64_t n) {
  cy_error err;
  uint8_t flags[64];
  for (int64_t i = 0; valid && i < n; i++) flags[i] = valid[i] == '1';
  cy_column *c = NULL;
  if (cy_column_from_values(cy_type_make(id), values, valid ? flags : NULL, n, &c, &err) != CY_OK)
    fprintf(stderr, "make: %s\n", err.message);
  return c;
}

/* Rows [start, start + len) of c, releasing c. */
static cy_column *slice(cy_column *c, int64_t start, int64_t len) {
  cy_error err;
  cy_column *s = NULL;
  cy_column_slice(c, start, len, &s, &err);
  cy_column_release(c);
  return s;
}

/* Check a bool result against "TFN..." (T true, F false, N null); releases col. */
#define CHECK_BOOLS(col, want) check_bools(col, want, __LINE__)
static void check_bools(cy_column *col, const char *want, int line) {
  if (col == NULL) {
    fprintf(stderr, "line %d: no column\n", line);
    test_failures++;
    return;
  }
  int64_t n = (int64_t)strlen(want);
  if (col->type.id != CY_BOOL || col->length != n) {
    fprintf(stderr, "line %d: want %lld bools, got type %d length %lld\n", line, (long long)n,
            (int)col->type.id, (long long)col->length);
    test_failures++;
  } else {
    for (int64_t i = 0; i < n; i++) {
      char got = !cy_column_is_valid(col, i) ? 'N' : cy_column_bool(col, i) ? 'T' : 'F';
      if (got != want[i]) {
        fprintf(stderr, "line %d: row %lld: want %c got %c (want %s)\n", line, (long long)i,
                want[i], got, want);
        test_failures++;
      }
    }
  }
  cy_column_release(col);
}

static cy_column *cmp_s(const cy_column *a, cy_scalar s, cy_compare_op op) {
  cy_error err;
  cy_column *out = NULL;
  if (cy_column_compare_scalar(a, &s, op, &out, &err) != CY_OK) fprintf(stderr, "%s\n", err.message);
  return out;
}

static cy_column *cmp_c(const cy_column *a, const cy_column *b, cy_compare_op op) {
  cy_error err;
  cy_column *out = NULL;
  if (cy_column_compare(a, b, op, &out, &err) != CY_OK) fprintf(stderr, "%s\n", err.message);
  return out;
}

static cy_scalar typed(cy_type type, int64_t i) {
  cy_scalar s = cy_scalar_null(type);
  s.valid = true;
  s.v.i = i;
  return s;
}

/* ---------------------------------------------------------------------------------------
 * Comparisons
 * ------------------------------------------------------------------------------------- */

static void test_int_scalar(void) {
  int64_t v[] = {0, 1, 5, 7, 0, -2, 5, 9, 100};
  cy_column *c = make(CY_INT64, v, "011101111", 9);
  /* rows: null 1 5 7 null -2 5 9 100, against 5 */
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(5), CY_EQ), "NFTFNFTFF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(5), CY_NE), "NTFTNTFTT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(5), CY_LT), "NTFFNTFFF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(5), CY_LE), "NTTFNTTFF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(5), CY_GT), "NFFTNFFTT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(5), CY_GE), "NFTTNFTTT");
  /* A null scalar makes every row null; an empty slice gives an empty result. */
  CHECK_BOOLS(cmp_s(c, cy_scalar_null(cy_type_make(CY_INT64)), CY_EQ), "NNNNNNNNN");
  /* Rows 3..7 (an unaligned offset): 7 null -2 5 9 */
  cy_column *s = slice(cy_column_retain(c), 3, 5);
  CHECK_BOOLS(cmp_s(s, cy_scalar_int64(5), CY_LT), "FNTFF");
  cy_column_release(s);
  s = slice(cy_column_retain(c), 4, 0);
  CHECK_BOOLS(cmp_s(s, cy_scalar_int64(5), CY_LT), "");
  cy_column_release(s);
  /* The last row null. */
  int64_t w[] = {3, 4, 5};
  cy_column *t = make(CY_INT64, w, "110", 3);
  CHECK_BOOLS(cmp_s(t, cy_scalar_int64(4), CY_GE), "FTN");
  cy_column_release(t);
  cy_column_release(c);
}

static void test_narrow_ints_and_ranges(void) {
  int8_t v[] = {-128, 0, 127};
  cy_column *c = make(CY_INT8, v, NULL, 3);
  /* 300 and -129 are outside int8: every row is below / above them. */
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(300), CY_LT), "TTT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(300), CY_GT), "FFF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(300), CY_NE), "TTT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(-129), CY_EQ), "FFF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(-129), CY_GE), "TTT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(-128), CY_LE), "TFF");
  cy_column_release(c);

  int32_t w[] = {1, 2, 3};
  c = make(CY_INT32, w, NULL, 3);
  /* Against a fraction: 1 2 3 vs 2.5 */
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(2.5), CY_LT), "TTF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(2.5), CY_LE), "TTF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(2.5), CY_GT), "FFT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(2.5), CY_GE), "FFT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(2.5), CY_EQ), "FFF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(2.5), CY_NE), "TTT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(2.0), CY_EQ), "FTF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(-2.5), CY_GT), "TTT");
  /* NaN is above every number. */
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(NAN), CY_LT), "TTT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(NAN), CY_EQ), "FFF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(NAN), CY_GE), "FFF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(INFINITY), CY_LT), "TTT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(-INFINITY), CY_GT), "TTT");
  cy_column_release(c);

  uint64_t u[] = {UINT64_MAX, 0};
  c = make(CY_UINT64, u, NULL, 2);
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(-1), CY_GT), "TT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(1.8446744073709552e19), CY_LT), "TT"); /* 2^64 */
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(1.8446744073709550e19), CY_GT), "TF"); /* 2^64-2048 */
  int64_t s[] = {-1, 0};
  cy_column *d = make(CY_INT64, s, NULL, 2);
  CHECK_BOOLS(cmp_c(c, d, CY_EQ), "FT");
  CHECK_BOOLS(cmp_c(d, c, CY_LT), "TF");
  cy_column_release(d);
  cy_column_release(c);
}

static void test_int64_double_boundary(void) {
  /* 2^53 + 1 is not a double: as doubles it would equal 2^53. */
  int64_t v[] = {9007199254740993LL, INT64_MAX, INT64_MIN};
  cy_column *c = make(CY_INT64, v, NULL, 3);
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(9007199254740992.0), CY_EQ), "FFF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(9007199254740992.0), CY_GT), "TTF");
  /* 2^63 is above INT64_MAX; -2^63 equals INT64_MIN. */
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(9223372036854775808.0), CY_LT), "TTT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(-9223372036854775808.0), CY_EQ), "FFT");
  double f[] = {9007199254740992.0, 9223372036854775808.0, -9223372036854775808.0};
  cy_column *d = make(CY_FLOAT64, f, NULL, 3);
  CHECK_BOOLS(cmp_c(c, d, CY_EQ), "FFT");
  CHECK_BOOLS(cmp_c(c, d, CY_GT), "TFF");
  CHECK_BOOLS(cmp_c(d, c, CY_GT), "FTF");
  /* A float column against an integer a double cannot hold takes the exact path. */
  CHECK_BOOLS(cmp_s(d, cy_scalar_int64(9007199254740993LL), CY_LT), "TFT");
  CHECK_BOOLS(cmp_s(d, cy_scalar_int64(INT64_MAX), CY_GT), "FTF");
  cy_column_release(d);
  cy_column_release(c);
}

static void test_floats(void) {
  double v[] = {NAN, 1.0, -0.0, INFINITY, 0.0};
  cy_column *c = make(CY_FLOAT64, v, "11110", 5);
  /* NaN above everything and equal to itself; -0.0 equals 0.0. */
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(0.0), CY_EQ), "FFTFN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(0.0), CY_GT), "TTFTN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(0.0), CY_LT), "FFFFN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(0.0), CY_NE), "TTFTN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(NAN), CY_EQ), "TFFFN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(NAN), CY_NE), "FTTTN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(NAN), CY_LT), "FTTTN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(NAN), CY_LE), "TTTTN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(NAN), CY_GT), "FFFFN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(NAN), CY_GE), "TFFFN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(INFINITY), CY_GE), "TFFTN");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(1), CY_EQ), "FTFFN");
  double w[] = {NAN, 2.0, 0.0, INFINITY, 1.0};
  cy_column *d = make(CY_FLOAT64, w, NULL, 5);
  CHECK_BOOLS(cmp_c(c, d, CY_EQ), "TFTTN");
  CHECK_BOOLS(cmp_c(c, d, CY_LT), "FTFFN");
  cy_column_release(d);
  cy_column_release(c);
  /* float32 0.1f is 0.100000001490116..., above the double 0.1 */
  float g[] = {0.1f, 0.5f};
  c = make(CY_FLOAT32, g, NULL, 2);
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(0.1), CY_GT), "TT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(0.5), CY_EQ), "FT");
  cy_column_release(c);
}

static void test_strings(void) {
  cy_error err;
  cy_builder b;
  OK(cy_builder_init(&b, cy_type_make(CY_UTF8), 8, &err));
  const char *vals[] = {"a", "", NULL, "ab", "b", "a\0b", "A"};
  int64_t lens[] = {1, 0, 0, 2, 1, 3, 1};
  for (int i = 0; i < 7; i++) {
    if (vals[i]) OK(cy_builder_append_bytes(&b, vals[i], lens[i], &err));
    else OK(cy_builder_append_null(&b, &err));
  }
  cy_column *c = NULL;
  OK(cy_builder_finish(&b, &c, &err));
  cy_builder_reset(&b);
  /* Byte order: "" < "A" (0x41) < "a" (0x61) < "a\0b" < "ab" < "b" */
  CHECK_BOOLS(cmp_s(c, cy_scalar_string("a"), CY_EQ), "TFNFFFF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_string("a"), CY_NE), "FTNTTTT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_string("a"), CY_LT), "FTNFFFT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_string("a"), CY_GE), "TFNTTTF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_string(""), CY_EQ), "FTNFFFF");
  cy_scalar nul = cy_scalar_string("a");
  nul.v.s.data = "a\0b";
  nul.v.s.len = 3;
  CHECK_BOOLS(cmp_s(c, nul, CY_EQ), "FFNFFTF");
  CHECK_BOOLS(cmp_s(c, nul, CY_GT), "FFNTTFF");
  /* Column against column, large offsets against small: rows 1..6 vs 0..5 */
  cy_column *large = NULL;
  OK(cy_column_cast(c, cy_type_make(CY_LARGE_UTF8), &large, &err));
  cy_column *x = slice(cy_column_retain(c), 1, 6), *y = slice(large, 0, 6);
  /* "" vs "a": LT; null; "ab" vs null: N; "b" vs "ab": GT; "a\0b" vs "b": LT; "A" vs "a\0b": LT */
  CHECK_BOOLS(cmp_c(x, y, CY_LT), "TNNFTT");
  CHECK_BOOLS(cmp_c(y, y, CY_EQ), "TTNTTT");
  cy_column_release(x);
  cy_column_release(y);
  /* Strings meet numbers: an error naming both types. */
  cy_column *out = NULL;
  cy_scalar five = cy_scalar_int64(5);
  FAILS(cy_column_compare_scalar(c, &five, CY_EQ, &out, &err), CY_EINVAL,
        "cannot compare utf8 with int64");
  cy_column_release(c);
}

static void test_temporal_and_bool(void) {
  cy_error err;
  int32_t days[] = {18262, 18263, 0}; /* 2020-01-01, 2020-01-02, null */
  cy_column *d = make(CY_DATE32, days, "110", 3);
  CHECK_BOOLS(cmp_s(d, cy_scalar_string("2020-01-02"), CY_EQ), "FTN");
  CHECK_BOOLS(cmp_s(d, cy_scalar_string("2020-01-01 12:00:00"), CY_GT), "FTN");
  cy_type us = cy_type_timestamp(CY_MICRO, NULL);
  int64_t noon = (int64_t)18262 * 86400000000LL + 43200000000LL; /* 2020-01-01 12:00 */
  CHECK_BOOLS(cmp_s(d, typed(us, noon), CY_LT), "TFN");
  CHECK_BOOLS(cmp_s(d, typed(us, noon), CY_LE), "TFN");
  CHECK_BOOLS(cmp_s(d, typed(us, noon), CY_EQ), "FFN");
  CHECK_BOOLS(cmp_s(d, typed(us, (int64_t)18263 * 86400000000LL), CY_EQ), "FTN");
  cy_column *out = NULL;
  cy_scalar bad = cy_scalar_string("2020-02-30");
  FAILS(cy_column_compare_scalar(d, &bad, CY_EQ, &out, &err), CY_EINVAL, "not a date");
  cy_scalar num = cy_scalar_int64(1);
  FAILS(cy_column_compare_scalar(d, &num, CY_EQ, &out, &err), CY_EINVAL,
        "cannot compare date32 with int64");

  /* timestamp[s] against a date and against a finer timestamp with a fraction */
  int64_t secs[] = {-1, 0, 86400};
  cy_column *t = NULL;
  OK(cy_column_from_values(cy_type_timestamp(CY_SECOND, NULL), secs, NULL, 3, &t, &err));
  CHECK_BOOLS(cmp_s(t, typed(cy_type_make(CY_DATE32), 0), CY_EQ), "FTF");
  CHECK_BOOLS(cmp_s(t, typed(cy_type_make(CY_DATE32), 0), CY_LT), "TFF");
  CHECK_BOOLS(cmp_s(t, typed(cy_type_timestamp(CY_MILLI, NULL), -500), CY_LT), "TFF");
  CHECK_BOOLS(cmp_s(t, typed(cy_type_timestamp(CY_MILLI, NULL), -500), CY_GT), "FTT");
  /* Column against column across kinds: -1 s vs day -1; 0 s vs day 0; 86400 s vs day 0 */
  int32_t other[] = {-1, 0, 0};
  cy_column *dd = make(CY_DATE32, other, NULL, 3);
  CHECK_BOOLS(cmp_c(t, dd, CY_GT), "TFT");
  CHECK_BOOLS(cmp_c(dd, t, CY_EQ), "FTF");
  cy_column_release(dd);
  cy_column_release(t);
  cy_column_release(d);

  uint8_t bools[] = {1, 0, 0};
  cy_column *b = make(CY_BOOL, bools, "110", 3);
  CHECK_BOOLS(cmp_s(b, cy_scalar_bool(true), CY_EQ), "TFN");
  CHECK_BOOLS(cmp_s(b, cy_scalar_bool(true), CY_LT), "FTN");
  cy_column_release(b);
}

static void test_decimals(void) {
  cy_error err;
  /* decimal128(10, 2): 123.45, -1.00 */
  int64_t raw[] = {12345, 0, -100, -1};
  cy_column *c = NULL;
  OK(cy_column_from_values(cy_type_decimal128(10, 2), raw, NULL, 2, &c, &err));
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(123), CY_GT), "TF");
  CHECK_BOOLS(cmp_s(c, cy_scalar_int64(-1), CY_EQ), "FT");
  CHECK_BOOLS(cmp_s(c, cy_scalar_float64(123.45), CY_EQ), "TF");
  cy_scalar d = cy_scalar_null(cy_type_decimal128(5, 1));
  d.valid = true;
  d.v.d.lo = 1235; /* 123.5 */
  d.v.d.hi = 0;
  CHECK_BOOLS(cmp_s(c, d, CY_LT), "TT");
  cy_column_release(c);
}

static void test_column_errors_and_empty(void) {
  cy_error err;
  int64_t v[] = {1, 2};
  cy_column *a = make(CY_INT64, v, NULL, 2), *b = make(CY_INT64, v, NULL, 1), *out = NULL;
  FAILS(cy_column_compare(a, b, CY_EQ, &out, &err), CY_EINVAL, "columns of 2 and 1 rows");
  cy_column *s = NULL;
  const char *strs[] = {"x", "y"};
  OK(cy_column_from_strings(strs, 2, &s, &err));
  FAILS(cy_column_compare(a, s, CY_LT, &out, &err), CY_EINVAL, "cannot compare int64 with utf8");
  cy_column *e = slice(cy_column_retain(a), 2, 0);
  CHECK_BOOLS(cmp_c(e, e, CY_EQ), "");
  cy_column_release(e);
  cy_column_release(s);
  cy_column_release(a);
  cy_column_release(b);
}

/* Long enough for the threaded path: row i holds i; every 1000th row is null. */
static void test_long_column(void) {
  cy_error err;
  int64_t n = 300001;
  int64_t *v = malloc((size_t)n * sizeof *v);
  uint8_t *valid = malloc((size_t)n);
  for (int64_t i = 0; i < n; i++) {
    v[i] = i;
    valid[i] = i % 1000 != 0;
  }
  cy_column *c = NULL, *out = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, valid, n, &c, &err));
  cy_scalar s = cy_scalar_float64(150000.5);
  OK(cy_column_compare_scalar(c, &s, CY_LT, &out, &err));
  /* Rows 0..150000 are below; of them 0, 1000, ..., 150000 (151 rows) are null. */
  int64_t trues = 0, nulls = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!cy_column_is_valid(out, i)) nulls++;
    else trues += cy_column_bool(out, i);
  }
  CHECK_EQ_INT(trues, 150001 - 151);
  CHECK_EQ_INT(nulls, 301);
  CHECK(cy_column_is_valid(out, 149999) && cy_column_bool(out, 149999));
  CHECK(!cy_column_is_valid(out, 150000));
  CHECK(cy_column_is_valid(out, 150001) && !cy_column_bool(out, 150001));
  CHECK(cy_column_is_valid(out, 299999) && !cy_column_bool(out, 299999));
  cy_column_release(out);
  cy_column_release(c);
  free(v);
  free(valid);
}

/* ---------------------------------------------------------------------------------------
 * Arithmetic
 * ------------------------------------------------------------------------------------- */

static void check_i64(cy_column *c, const int64_t *want, const char *valid, int64_t n, int line) {
  if (c == NULL || c->type.id != CY_INT64 || c->length != n) {
    fprintf(stderr, "line %d: want %lld int64 rows\n", line, (long long)n);
    test_failures++;
  } else {
    for (int64_t i = 0; i < n; i++) {
      bool v = cy_column_is_valid(c, i);
      if (v != (valid[i] == '1') || (v && ((const int64_t *)cy_column_data(c))[i] != want[i])) {
        fprintf(stderr, "line %d: row %lld differs\n", line, (long long)i);
        test_failures++;
      }
    }
  }
  cy_column_release(c);
}

static void check_f64(cy_column *c, const double *want, const char *valid, int64_t n, int line) {
  if (c == NULL || c->type.id != CY_FLOAT64 || c->length != n) {
    fprintf(stderr, "line %d: want %lld float64 rows\n", line, (long long)n);
    test_failures++;
  } else {
    for (int64_t i = 0; i < n; i++) {
      bool v = cy_column_is_valid(c, i);
      double got = ((const double *)cy_column_data(c))[i];
      if (v != (valid[i] == '1') || (v && memcmp(&got, &want[i], 8) != 0)) {
        fprintf(stderr, "line %d: row %lld: got %.17g want %.17g\n", line, (long long)i, got, want[i]);
        test_failures++;
      }
    }
  }
  cy_column_release(c);
}

static cy_column *ar_c(const cy_column *a, const cy_column *b, cy_arith_op op) {
  cy_error err;
  cy_column *out = NULL;
  if (cy_column_arith(a, b, op, &out, &err) != CY_OK) fprintf(stderr, "%s\n", err.message);
  return out;
}

static cy_column *ar_s(const cy_column *a, cy_scalar s, cy_arith_op op) {
  cy_error err;
  cy_column *out = NULL;
  if (cy_column_arith_scalar(a, &s, op, &out, &err) != CY_OK) fprintf(stderr, "%s\n", err.message);
  return out;
}

static void test_int_arith(void) {
  cy_error err;
  int64_t a[] = {0, 5, -7, 9, 0};
  int32_t b[] = {3, 4, 2, 0, 1};
  cy_column *x = make(CY_INT64, a, "01110", 5), *y = make(CY_INT32, b, "11101", 5);
  /* null 5 -7 9 null  with  3 4 2 null 1 */
  check_i64(ar_c(x, y, CY_ADD), (int64_t[]){0, 9, -5, 0, 0}, "01100", 5, __LINE__);
  check_i64(ar_c(x, y, CY_SUB), (int64_t[]){0, 1, -9, 0, 0}, "01100", 5, __LINE__);
  check_i64(ar_c(x, y, CY_MUL), (int64_t[]){0, 20, -14, 0, 0}, "01100", 5, __LINE__);
  check_f64(ar_c(x, y, CY_DIV), (double[]){0, 1.25, -3.5, 0, 0}, "01100", 5, __LINE__);
  check_i64(ar_s(x, cy_scalar_int64(-2), CY_MUL), (int64_t[]){0, -10, 14, -18, 0}, "01110", 5,
            __LINE__);
  /* An unaligned slice: rows 1..3 of x are 5 -7 9 */
  cy_column *s = slice(cy_column_retain(x), 1, 3);
  check_i64(ar_s(s, cy_scalar_int64(1), CY_ADD), (int64_t[]){6, -6, 10}, "111", 3, __LINE__);
  cy_column_release(s);
  /* A null scalar: all null, still int64. */
  check_i64(ar_s(x, cy_scalar_null(cy_type_make(CY_INT64)), CY_ADD), (int64_t[]){0, 0, 0, 0, 0},
            "00000", 5, __LINE__);

  /* Division: 7/2 = 3.5, 1/0 = null, 0/5 = 0, -1/-0.0 = null (a zero divisor of either sign) */
  int64_t n[] = {7, 1, 0, -1};
  double d[] = {2, 0, 5, -0.0};
  cy_column *p = make(CY_INT64, n, NULL, 4), *q = make(CY_FLOAT64, d, NULL, 4);
  check_f64(ar_c(p, q, CY_DIV), (double[]){3.5, 0, 0, 0}, "1010", 4, __LINE__);
  check_f64(ar_s(p, cy_scalar_int64(0), CY_DIV), (double[]){0, 0, 0, 0}, "0000", 4, __LINE__);
  check_f64(ar_s(q, cy_scalar_float64(0.5), CY_MUL), (double[]){1, 0, 2.5, -0.0}, "1111", 4, __LINE__);
  cy_column_release(p);
  cy_column_release(q);

  /* Overflow is an error naming the row; in a null row it is not. */
  int64_t big[] = {1, INT64_MAX, INT64_MIN};
  cy_column *m = make(CY_INT64, big, NULL, 3), *out = NULL;
  cy_scalar one = cy_scalar_int64(1), minus_one = cy_scalar_int64(-1);
  FAILS(cy_column_arith_scalar(m, &one, CY_ADD, &out, &err), CY_ERANGE,
        "integer overflow at row 1: 9223372036854775807 + 1");
  FAILS(cy_column_arith_scalar(m, &one, CY_SUB, &out, &err), CY_ERANGE, "at row 2");
  FAILS(cy_column_arith_scalar(m, &minus_one, CY_MUL, &out, &err), CY_ERANGE, "at row 2");
  FAILS(cy_column_arith(m, m, CY_MUL, &out, &err), CY_ERANGE, "at row 1");
  cy_column *mn = make(CY_INT64, big, "100", 3);
  check_i64(ar_s(mn, one, CY_ADD), (int64_t[]){2, 0, 0}, "100", 3, __LINE__);
  cy_column *first_two = slice(cy_column_retain(m), 0, 2);
  check_i64(ar_s(first_two, minus_one, CY_ADD), (int64_t[]){0, INT64_MAX - 1}, "11", 2, __LINE__);
  cy_column_release(first_two);
  cy_column_release(mn);
  cy_column_release(m);

  /* uint64 beyond int64 cannot take part in integer arithmetic, but can in float. */
  uint64_t u[] = {UINT64_MAX};
  cy_column *uc = make(CY_UINT64, u, NULL, 1);
  FAILS(cy_column_arith_scalar(uc, &one, CY_ADD, &out, &err), CY_ERANGE,
        "uint64 value 18446744073709551615 at row 0 does not fit int64");
  check_f64(ar_s(uc, cy_scalar_int64(2), CY_DIV), (double[]){9223372036854775808.0}, "1", 1,
            __LINE__);
  cy_column_release(uc);
  cy_column_release(x);
  cy_column_release(y);
}

static void test_float_and_date_arith(void) {
  cy_error err;
  float f[] = {0.5f, 1.5f};
  int8_t i[] = {1, -2};
  cy_column *a = make(CY_FLOAT32, f, NULL, 2), *b = make(CY_INT8, i, NULL, 2);
  check_f64(ar_c(a, b, CY_ADD), (double[]){1.5, -0.5}, "11", 2, __LINE__);
  check_f64(ar_c(b, a, CY_SUB), (double[]){0.5, -3.5}, "11", 2, __LINE__);
  cy_column_release(a);
  cy_column_release(b);
  double g[] = {0.1, NAN};
  a = make(CY_FLOAT64, g, NULL, 2);
  check_f64(ar_s(a, cy_scalar_float64(0.2), CY_ADD), (double[]){0.30000000000000004, NAN}, "11", 2,
            __LINE__);
  cy_column_release(a);

  int32_t days[] = {18262, 0}; /* 2020-01-01, null */
  cy_column *d = make(CY_DATE32, days, "10", 2), *out = NULL;
  cy_column *plus = ar_s(d, cy_scalar_int64(60), CY_ADD); /* 2020-03-01 (leap year) */
  CHECK(plus && plus->type.id == CY_DATE32 && ((const int32_t *)cy_column_data(plus))[0] == 18322 &&
        !cy_column_is_valid(plus, 1));
  check_i64(ar_c(plus, d, CY_SUB), (int64_t[]){60, 0}, "10", 2, __LINE__);
  cy_column_release(plus);
  cy_scalar two = cy_scalar_int64(2), big = cy_scalar_int64(INT32_MAX);
  FAILS(cy_column_arith_scalar(d, &two, CY_MUL, &out, &err), CY_EINVAL,
        "cannot multiply date32 and int64");
  FAILS(cy_column_arith_scalar(d, &big, CY_ADD, &out, &err), CY_ERANGE, "outside date32");
  cy_column_release(d);

  const char *strs[] = {"a"};
  cy_column *s = NULL;
  OK(cy_column_from_strings(strs, 1, &s, &err));
  FAILS(cy_column_arith_scalar(s, &two, CY_ADD, &out, &err), CY_EINVAL, "cannot add utf8 and int64");
  cy_column *e = slice(s, 1, 0);
  int64_t none[1] = {0};
  cy_column *ei = make(CY_INT64, none, NULL, 0);
  check_i64(ar_c(ei, ei, CY_ADD), none, "", 0, __LINE__);
  cy_column_release(ei);
  cy_column_release(e);
}

int main(void) {
  test_int_scalar();
  test_narrow_ints_and_ranges();
  test_int64_double_boundary();
  test_floats();
  test_strings();
  test_temporal_and_bool();
  test_decimals();
  test_column_errors_and_empty();
  test_long_column();
  test_int_arith();
  test_float_and_date_arith();
  TEST_MAIN_END();
}
