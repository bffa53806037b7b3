/*
 * test_cast.c - cy_column_cast between every supported pair, its range and parse errors,
 * and the pairs it refuses. Expected values are written out by hand.
 */
#include <math.h>

#include "test.h"

static cy_column *make(cy_type type, const void *values, const char *valid, int64_t n) {
  cy_error err;
  uint8_t flags[64];
  for (int64_t i = 0; valid && i < n; i++) flags[i] = valid[i] == '1';
  cy_column *c = NULL;
  if (cy_column_from_values(type, values, valid ? flags : NULL, n, &c, &err) != CY_OK)
    fprintf(stderr, "make: %s\n", err.message);
  return c;
}

static cy_column *strings(const char *const *s, int64_t n) {
  cy_error err;
  cy_column *c = NULL;
  if (cy_column_from_strings(s, n, &c, &err) != CY_OK) fprintf(stderr, "%s\n", err.message);
  return c;
}

static cy_column *cast(const cy_column *c, cy_type to) {
  cy_error err;
  cy_column *out = NULL;
  if (cy_column_cast(c, to, &out, &err) != CY_OK) fprintf(stderr, "cast: %s\n", err.message);
  return out;
}

/* Row i of a fixed-width column as raw bytes compared with want (width bytes). */
#define CHECK_ROW(col, i, T, want)                                                   \
  do {                                                                               \
    T want_ = (want);                                                                \
    CHECK((col) && cy_column_is_valid((col), (i)) &&                                 \
          memcmp((const T *)cy_column_data(col) + (i), &want_, sizeof(T)) == 0);     \
  } while (0)

/* Row i of a text column equals want (NULL: null). */
static void check_text(const cy_column *c, int64_t i, const char *want, int line) {
  if (c == NULL) {
    fprintf(stderr, "line %d: no column\n", line);
    test_failures++;
    return;
  }
  if (want == NULL) {
    if (cy_column_is_valid(c, i)) {
      fprintf(stderr, "line %d: row %lld should be null\n", line, (long long)i);
      test_failures++;
    }
    return;
  }
  int64_t len;
  const uint8_t *p = cy_column_is_valid(c, i) ? cy_column_bytes(c, i, &len) : NULL;
  if (p == NULL || len != (int64_t)strlen(want) || memcmp(p, want, (size_t)len) != 0) {
    fprintf(stderr, "line %d: row %lld: want \"%s\" got \"%.*s\"\n", line, (long long)i, want,
            p ? (int)len : 4, p ? (const char *)p : "null");
    test_failures++;
  }
}
#define CHECK_TEXT(c, i, want) check_text(c, i, want, __LINE__)

static cy_type T(cy_type_id id) { return cy_type_make(id); }

static void test_integers(void) {
  cy_error err;
  cy_column *out = NULL;
  int64_t v[] = {1, -128, 127, 128};
  cy_column *c = make(T(CY_INT64), v, NULL, 4);
  FAILS(cy_column_cast(c, T(CY_INT8), &out, &err), CY_ERANGE,
        "cast to int8: value 128 at row 3 is out of range");
  FAILS(cy_column_cast(c, T(CY_UINT8), &out, &err), CY_ERANGE, "value -128 at row 1");
  cy_column_release(c);
  /* 1000 sits in a null row: not an error. */
  int64_t w[] = {1, 1000, -5};
  c = make(T(CY_INT64), w, "101", 3);
  out = cast(c, T(CY_INT8));
  CHECK(out && out->type.id == CY_INT8 && out->null_count == 1 && !cy_column_is_valid(out, 1));
  CHECK_ROW(out, 0, int8_t, 1);
  CHECK_ROW(out, 2, int8_t, -5);
  cy_column_release(out);
  /* Slice rows 1..2 (null, -5) to int16 */
  cy_column *s = NULL;
  OK(cy_column_slice(c, 1, 2, &s, &err));
  out = cast(s, T(CY_INT16));
  CHECK(out && out->length == 2 && !cy_column_is_valid(out, 0));
  CHECK_ROW(out, 1, int16_t, -5);
  cy_column_release(out);
  cy_column_release(s);
  cy_column_release(c);

  uint64_t u[] = {UINT64_MAX, 5};
  c = make(T(CY_UINT64), u, NULL, 2);
  FAILS(cy_column_cast(c, T(CY_INT64), &out, &err), CY_ERANGE,
        "value 18446744073709551615 at row 0 is out of range");
  out = cast(c, T(CY_FLOAT64));
  CHECK_ROW(out, 0, double, 18446744073709551616.0);
  cy_column_release(out);
  cy_column_release(c);
  int64_t neg[] = {-1};
  c = make(T(CY_INT64), neg, NULL, 1);
  FAILS(cy_column_cast(c, T(CY_UINT64), &out, &err), CY_ERANGE, "value -1 at row 0");
  cy_column_release(c);

  /* int64 to floats rounds to nearest (ties to even): 2^53 + 1 -> 2^53, 2^24 + 1 -> 2^24 */
  int64_t big[] = {9007199254740993LL, 16777217, INT64_MIN};
  c = make(T(CY_INT64), big, NULL, 3);
  out = cast(c, T(CY_FLOAT64));
  CHECK_ROW(out, 0, double, 9007199254740992.0);
  CHECK_ROW(out, 2, double, -9223372036854775808.0);
  cy_column_release(out);
  out = cast(c, T(CY_FLOAT32));
  CHECK_ROW(out, 1, float, 16777216.0f);
  cy_column_release(out);
  cy_column_release(c);
}

static void test_floats(void) {
  cy_error err;
  cy_column *out = NULL;
  /* Truncation toward zero. */
  double v[] = {1.9, -1.9, -0.5, 2147483647.9, -2147483648.9};
  cy_column *c = make(T(CY_FLOAT64), v, NULL, 5);
  out = cast(c, T(CY_INT32));
  CHECK_ROW(out, 0, int32_t, 1);
  CHECK_ROW(out, 1, int32_t, -1);
  CHECK_ROW(out, 2, int32_t, 0);
  CHECK_ROW(out, 3, int32_t, INT32_MAX);
  CHECK_ROW(out, 4, int32_t, INT32_MIN);
  cy_column_release(out);
  cy_column_release(c);
  double bad[] = {0, 2147483648.0};
  c = make(T(CY_FLOAT64), bad, NULL, 2);
  FAILS(cy_column_cast(c, T(CY_INT32), &out, &err), CY_ERANGE,
        "cast to int32: value 2147483648.0 at row 1 is out of range");
  cy_column_release(c);
  double specials[] = {NAN, INFINITY};
  c = make(T(CY_FLOAT64), specials, NULL, 2);
  FAILS(cy_column_cast(c, T(CY_INT64), &out, &err), CY_ERANGE, "value nan at row 0");
  cy_column_release(c);
  /* The int64 edges: -2^63 fits, 2^63 does not. */
  double edges[] = {-9223372036854775808.0, 9223372036854775808.0};
  c = make(T(CY_FLOAT64), edges, "10", 2);
  out = cast(c, T(CY_INT64));
  CHECK_ROW(out, 0, int64_t, INT64_MIN);
  cy_column_release(out);
  cy_column_release(c);
  c = make(T(CY_FLOAT64), edges, NULL, 2);
  FAILS(cy_column_cast(c, T(CY_INT64), &out, &err), CY_ERANGE, "at row 1");
  cy_column_release(c);
  /* uint8: -0.9 truncates to 0, 255.9 to 255; -1 and 256 do not fit. */
  double u8[] = {-0.9, 255.9, -1.0};
  c = make(T(CY_FLOAT64), u8, NULL, 3);
  FAILS(cy_column_cast(c, T(CY_UINT8), &out, &err), CY_ERANGE, "value -1.0 at row 2");
  cy_column_release(c);
  c = make(T(CY_FLOAT64), u8, NULL, 2);
  out = cast(c, T(CY_UINT8));
  CHECK_ROW(out, 0, uint8_t, 0);
  CHECK_ROW(out, 1, uint8_t, 255);
  cy_column_release(out);
  cy_column_release(c);

  /* float64 to float32: rounding, NaN stays NaN, an overflow is an error */
  double f[] = {0.1, NAN, 1e300};
  c = make(T(CY_FLOAT64), f, "110", 3);
  out = cast(c, T(CY_FLOAT32));
  CHECK_ROW(out, 0, float, 0.1f);
  CHECK(out && isnan(((const float *)cy_column_data(out))[1]) && !cy_column_is_valid(out, 2));
  cy_column_release(out);
  cy_column_release(c);
  c = make(T(CY_FLOAT64), f, NULL, 3);
  FAILS(cy_column_cast(c, T(CY_FLOAT32), &out, &err), CY_ERANGE, "value 1e+300 at row 2");
  cy_column_release(c);
}

static void test_bools(void) {
  uint8_t b[] = {1, 0, 1};
  cy_column *c = make(T(CY_BOOL), b, "110", 3);
  cy_column *out = cast(c, T(CY_INT32));
  CHECK_ROW(out, 0, int32_t, 1);
  CHECK_ROW(out, 1, int32_t, 0);
  CHECK(out && !cy_column_is_valid(out, 2));
  cy_column_release(out);
  out = cast(c, T(CY_FLOAT64));
  CHECK_ROW(out, 0, double, 1.0);
  cy_column_release(out);
  cy_column_release(c);
  int64_t v[] = {0, 5, -1};
  c = make(T(CY_INT64), v, NULL, 3);
  out = cast(c, T(CY_BOOL));
  CHECK(out && !cy_column_bool(out, 0) && cy_column_bool(out, 1) && cy_column_bool(out, 2));
  cy_column_release(out);
  cy_column_release(c);
  double f[] = {0.0, -0.0, 0.25};
  c = make(T(CY_FLOAT64), f, NULL, 3);
  out = cast(c, T(CY_BOOL));
  CHECK(out && !cy_column_bool(out, 0) && !cy_column_bool(out, 1) && cy_column_bool(out, 2));
  cy_column_release(out);
  cy_column_release(c);
}

static void test_to_text(void) {
  cy_error err;
  int64_t v[] = {-5, 0, INT64_MIN};
  cy_column *c = make(T(CY_INT64), v, "101", 3);
  cy_column *out = cast(c, T(CY_UTF8));
  CHECK_TEXT(out, 0, "-5");
  CHECK_TEXT(out, 1, NULL);
  CHECK_TEXT(out, 2, "-9223372036854775808");
  cy_column_release(out);
  out = cast(c, T(CY_LARGE_UTF8));
  CHECK(out && out->type.id == CY_LARGE_UTF8);
  CHECK_TEXT(out, 2, "-9223372036854775808");
  cy_column_release(out);
  cy_column_release(c);

  double f[] = {1.0, 0.1, -0.0, NAN, 1e16, -INFINITY};
  c = make(T(CY_FLOAT64), f, NULL, 6);
  out = cast(c, T(CY_UTF8));
  const char *want[] = {"1.0", "0.1", "-0.0", "nan", "1e+16", "-inf"};
  for (int i = 0; i < 6; i++) CHECK_TEXT(out, i, want[i]);
  cy_column_release(out);
  cy_column_release(c);

  uint8_t b[] = {1, 0};
  c = make(T(CY_BOOL), b, NULL, 2);
  out = cast(c, T(CY_UTF8));
  CHECK_TEXT(out, 0, "true");
  CHECK_TEXT(out, 1, "false");
  cy_column_release(out);
  cy_column_release(c);

  int32_t days[] = {18292, -1}; /* 2020-01-31, 1969-12-31 */
  c = make(T(CY_DATE32), days, NULL, 2);
  out = cast(c, T(CY_UTF8));
  CHECK_TEXT(out, 0, "2020-01-31");
  CHECK_TEXT(out, 1, "1969-12-31");
  cy_column_release(out);
  cy_column_release(c);

  int64_t us[] = {(int64_t)18292 * 86400000000LL + 43200500000LL}; /* 2020-01-31 12:00:00.5 */
  c = make(cy_type_timestamp(CY_MICRO, NULL), us, NULL, 1);
  out = cast(c, T(CY_UTF8));
  CHECK_TEXT(out, 0, "2020-01-31 12:00:00.5");
  cy_column_release(out);
  cy_column_release(c);

  int64_t dec[] = {12345, 0}; /* 123.45 */
  c = make(cy_type_decimal128(10, 2), dec, NULL, 1);
  out = cast(c, T(CY_UTF8));
  CHECK_TEXT(out, 0, "123.45");
  cy_column_release(out);
  cy_column_release(c);

  /* Binary: printable bytes as themselves, others as \xHH */
  cy_builder bld;
  OK(cy_builder_init(&bld, T(CY_BINARY), 2, &err));
  OK(cy_builder_append_bytes(&bld, "a\0b\xff", 4, &err));
  OK(cy_builder_append_null(&bld, &err));
  OK(cy_builder_finish(&bld, &c, &err));
  cy_builder_reset(&bld);
  out = cast(c, T(CY_UTF8));
  CHECK_TEXT(out, 0, "a\\x00b\\xFF");
  CHECK_TEXT(out, 1, NULL);
  cy_column_release(out);
  cy_column_release(c);
}

static void test_from_text(void) {
  cy_error err;
  cy_column *out = NULL;
  const char *ints[] = {" 42 ", NULL, "-7"};
  cy_column *c = strings(ints, 3);
  out = cast(c, T(CY_INT64));
  CHECK_ROW(out, 0, int64_t, 42);
  CHECK(out && !cy_column_is_valid(out, 1));
  CHECK_ROW(out, 2, int64_t, -7);
  cy_column_release(out);
  FAILS(cy_column_cast(c, T(CY_UINT32), &out, &err), CY_EINVAL,
        "cast utf8 to uint32: '-7' at row 2 is not a valid uint32");
  cy_column_release(c);

  const char *bad[] = {"1", "abc"};
  c = strings(bad, 2);
  FAILS(cy_column_cast(c, T(CY_INT64), &out, &err), CY_EINVAL,
        "cast utf8 to int64: 'abc' at row 1 is not a valid int64");
  cy_column_release(c);
  const char *wide[] = {"300"};
  c = strings(wide, 1);
  FAILS(cy_column_cast(c, T(CY_INT8), &out, &err), CY_EINVAL, "'300' at row 0 is not a valid int8");
  cy_column_release(c);

  /* An embedded NUL makes the text no number. */
  cy_builder b;
  OK(cy_builder_init(&b, T(CY_UTF8), 1, &err));
  OK(cy_builder_append_bytes(&b, "4\0" "2", 3, &err));
  OK(cy_builder_finish(&b, &c, &err));
  cy_builder_reset(&b);
  FAILS(cy_column_cast(c, T(CY_INT64), &out, &err), CY_EINVAL, "at row 0 is not a valid int64");
  cy_column_release(c);

  const char *mixed[] = {"1.5", "nan", "-inf", "1e3"};
  c = strings(mixed, 4);
  out = cast(c, T(CY_FLOAT64));
  CHECK_ROW(out, 0, double, 1.5);
  CHECK(out && isnan(((const double *)cy_column_data(out))[1]));
  CHECK_ROW(out, 2, double, -INFINITY);
  CHECK_ROW(out, 3, double, 1000.0);
  cy_column_release(out);
  cy_column_release(c);

  const char *bools[] = {"true", "FALSE"};
  c = strings(bools, 2);
  out = cast(c, T(CY_BOOL));
  CHECK(out && cy_column_bool(out, 0) && !cy_column_bool(out, 1));
  cy_column_release(out);
  cy_column_release(c);

  const char *dates[] = {"2020-01-31", "2020-02-30"};
  c = strings(dates, 2);
  FAILS(cy_column_cast(c, T(CY_DATE32), &out, &err), CY_EINVAL,
        "'2020-02-30' at row 1 is not a valid date32");
  cy_column *one = NULL;
  OK(cy_column_slice(c, 0, 1, &one, &err));
  out = cast(one, T(CY_DATE32));
  CHECK_ROW(out, 0, int32_t, 18292);
  cy_column_release(out);
  out = cast(one, cy_type_timestamp(CY_SECOND, NULL));
  CHECK_ROW(out, 0, int64_t, (int64_t)18292 * 86400);
  cy_column_release(out);
  cy_column_release(one);
  cy_column_release(c);

  /* Decimal: 12.345 to two places rounds half away from zero. */
  const char *decs[] = {"12.345", "-0.005"};
  c = strings(decs, 2);
  out = cast(c, cy_type_decimal128(10, 2));
  CHECK_ROW(out, 0, int64_t, 1235); /* low word; the high word is 0 */
  CHECK(out && ((const int64_t *)cy_column_data(out))[1] == 0);
  CHECK(out && ((const int64_t *)cy_column_data(out))[2] == -1 &&
        ((const int64_t *)cy_column_data(out))[3] == -1); /* -0.01 */
  cy_column_release(out);
  cy_column_release(c);
}

static void test_temporal(void) {
  cy_error err;
  cy_column *out = NULL;
  int32_t days[] = {18262, -1, 0};
  cy_column *c = make(T(CY_DATE32), days, "110", 3);
  out = cast(c, cy_type_timestamp(CY_SECOND, NULL));
  CHECK_ROW(out, 0, int64_t, (int64_t)18262 * 86400);
  CHECK_ROW(out, 1, int64_t, -86400);
  CHECK(out && !cy_column_is_valid(out, 2));
  cy_column_release(out);
  cy_column_release(c);
  /* A timestamp's date is its floor: -1 us is 1969-12-31. */
  int64_t us[] = {-1, 86400000000LL};
  c = make(cy_type_timestamp(CY_MICRO, NULL), us, NULL, 2);
  out = cast(c, T(CY_DATE32));
  CHECK_ROW(out, 0, int32_t, -1);
  CHECK_ROW(out, 1, int32_t, 1);
  cy_column_release(out);
  out = cast(c, cy_type_timestamp(CY_NANO, "UTC"));
  CHECK_ROW(out, 0, int64_t, -1000);
  CHECK(out && strcmp(out->type.timezone, "UTC") == 0);
  cy_column_release(out);
  cy_column_release(c);
  int64_t ms[] = {-1500};
  c = make(cy_type_timestamp(CY_MILLI, NULL), ms, NULL, 1);
  out = cast(c, cy_type_timestamp(CY_SECOND, NULL));
  CHECK_ROW(out, 0, int64_t, -2);
  cy_column_release(out);
  cy_column_release(c);
  int64_t far[] = {10000000000LL}; /* 10^10 s is beyond int64 nanoseconds */
  c = make(cy_type_timestamp(CY_SECOND, NULL), far, NULL, 1);
  FAILS(cy_column_cast(c, cy_type_timestamp(CY_NANO, NULL), &out, &err), CY_ERANGE,
        "cast to timestamp[ns]: value 2286-11-20 17:46:40 at row 0 is out of range");
  cy_column_release(c);
}

static void test_decimal(void) {
  cy_error err;
  cy_column *out = NULL;
  int64_t dec[] = {12345, 0, -199, -1}; /* 123.45, -1.99 */
  cy_column *c = make(cy_type_decimal128(10, 2), dec, NULL, 2);
  out = cast(c, T(CY_FLOAT64));
  CHECK_ROW(out, 0, double, 123.45);
  CHECK_ROW(out, 1, double, -1.99);
  cy_column_release(out);
  out = cast(c, T(CY_INT64));
  CHECK_ROW(out, 0, int64_t, 123);
  CHECK_ROW(out, 1, int64_t, -1);
  cy_column_release(out);
  out = cast(c, cy_type_decimal128(5, 1)); /* 123.5 (half away), -2.0 */
  CHECK(out && ((const int64_t *)cy_column_data(out))[0] == 1235 &&
        ((const int64_t *)cy_column_data(out))[2] == -20);
  cy_column_release(out);
  cy_column_release(c);

  int64_t v[] = {7, 123456};
  c = make(T(CY_INT64), v, NULL, 2);
  FAILS(cy_column_cast(c, cy_type_decimal128(5, 2), &out, &err), CY_ERANGE,
        "cast to decimal128(5, 2): value 123456 at row 1 is out of range");
  cy_column_release(c);
  c = make(T(CY_INT64), v, NULL, 1);
  out = cast(c, cy_type_decimal128(5, 2));
  CHECK_ROW(out, 0, int64_t, 700);
  cy_column_release(out);
  cy_column_release(c);

  /* A double's shortest text, rounded half away: 0.125 -> 0.13; 1e20 in plain digits. */
  double f[] = {0.125, 1e20};
  c = make(T(CY_FLOAT64), f, NULL, 2);
  out = cast(c, cy_type_decimal128(38, 2));
  CHECK_ROW(out, 0, int64_t, 13);
  CHECK(out && ((const uint64_t *)cy_column_data(out))[2] == 0x19e0c9bab2400000ull /* low 64 bits of 10^22 */);
  cy_column_release(out);
  cy_column_release(c);
}

static void test_strings_and_identity(void) {
  cy_error err;
  cy_column *out = NULL;
  const char *s[] = {"a", NULL, "bc", "d"};
  cy_column *c = strings(s, 4), *sl = NULL;
  OK(cy_column_slice(c, 1, 3, &sl, &err));
  cy_column *large = cast(sl, T(CY_LARGE_UTF8));
  CHECK(large && large->type.id == CY_LARGE_UTF8 && large->length == 3);
  CHECK_TEXT(large, 0, NULL);
  CHECK_TEXT(large, 1, "bc");
  cy_column *back = cast(large, T(CY_UTF8));
  CHECK_TEXT(back, 2, "d");
  cy_column *bin = cast(back, T(CY_BINARY));
  CHECK(bin && bin->type.id == CY_BINARY && bin->data == back->data); /* the same bytes */
  cy_column_release(bin);
  cy_column_release(back);
  cy_column_release(large);
  /* The same type: a new reference to the same column. */
  int64_t before = sl->refcount;
  out = cast(sl, T(CY_UTF8));
  CHECK(out == sl && sl->refcount == before + 1);
  cy_column_release(out);
  cy_column_release(sl);

  /* Pairs that make no sense are refused with both types named. */
  int32_t d[] = {1};
  cy_column *date = make(T(CY_DATE32), d, NULL, 1);
  FAILS(cy_column_cast(date, T(CY_INT64), &out, &err), CY_ENOTSUP, "cannot cast date32 to int64");
  cy_column_release(date);
  uint8_t b[] = {1};
  cy_column *bl = make(T(CY_BOOL), b, NULL, 1);
  FAILS(cy_column_cast(bl, T(CY_DATE32), &out, &err), CY_ENOTSUP, "cannot cast bool to date32");
  cy_column_release(bl);
  cy_column *bin2 = cast(c, T(CY_BINARY));
  FAILS(cy_column_cast(bin2, T(CY_INT64), &out, &err), CY_ENOTSUP, "cannot cast binary to int64");
  cy_column_release(bin2);
  /* Empty columns cast to empty columns. */
  cy_column *empty = NULL;
  OK(cy_column_slice(c, 4, 0, &empty, &err));
  out = cast(empty, T(CY_INT64));
  CHECK(out && out->length == 0 && out->type.id == CY_INT64);
  cy_column_release(out);
  cy_column_release(empty);
  cy_column_release(c);
}

int main(void) {
  test_integers();
  test_floats();
  test_bools();
  test_to_text();
  test_from_text();
  test_temporal();
  test_decimal();
  test_strings_and_identity();
  TEST_MAIN_END();
}
