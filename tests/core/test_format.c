/*
 * test_format.c - values as text: the fast formatters of core/text_format.h and
 * cy_column_format_value.
 *
 * Expected strings are worked out by hand (and agree with what DuckDB and Python print).
 * Floats are also checked over a few hundred thousand random bit patterns: the text must
 * read back (strtod / strtof) to the same bits, and on a subset it must have as few digits
 * as the slow search over precisions with snprintf finds.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>

#include "core/text_format.h"
#include "test.h"

static char buf[256];

#define FMT(call) (buf[(call)] = 0, buf)

static void test_integers(void) {
  CHECK_EQ_STR(FMT(cy_format_int64(0, buf)), "0");
  CHECK_EQ_STR(FMT(cy_format_int64(7, buf)), "7");
  CHECK_EQ_STR(FMT(cy_format_int64(-1, buf)), "-1");
  CHECK_EQ_STR(FMT(cy_format_int64(10, buf)), "10");
  CHECK_EQ_STR(FMT(cy_format_int64(99, buf)), "99");
  CHECK_EQ_STR(FMT(cy_format_int64(100, buf)), "100");
  CHECK_EQ_STR(FMT(cy_format_int64(-1000000, buf)), "-1000000");
  CHECK_EQ_STR(FMT(cy_format_int64(1234567890123, buf)), "1234567890123");
  CHECK_EQ_STR(FMT(cy_format_int64(INT64_MAX, buf)), "9223372036854775807");
  CHECK_EQ_STR(FMT(cy_format_int64(INT64_MIN, buf)), "-9223372036854775808");
  CHECK_EQ_STR(FMT(cy_format_uint64(UINT64_MAX, buf)), "18446744073709551615");
  CHECK_EQ_STR(FMT(cy_format_uint64(10000000000000000000u, buf)), "10000000000000000000");
  /* Every power of ten and its neighbours, against printf. */
  for (uint64_t p = 1; p <= 1000000000000000000u; p *= 10) {
    for (int64_t d = -1; d <= 1; d++) {
      char want[32];
      snprintf(want, sizeof want, "%" PRId64, (int64_t)p + d);
      CHECK_EQ_STR(FMT(cy_format_int64((int64_t)p + d, buf)), want);
      snprintf(want, sizeof want, "%" PRId64, -((int64_t)p + d));
      CHECK_EQ_STR(FMT(cy_format_int64(-((int64_t)p + d), buf)), want);
    }
  }
  CHECK_EQ_STR(FMT(cy_format_bool(true, buf)), "true");
  CHECK_EQ_STR(FMT(cy_format_bool(false, buf)), "false");
}

static void test_double_cases(void) {
  static const struct {
    double v;
    const char *text;
  } cases[] = {
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {1.0, "1.0"},
      {-1.5, "-1.5"},
      {100.0, "100.0"},
      {0.1, "0.1"},
      {0.3, "0.3"},
      {1.0 / 3.0, "0.3333333333333333"},
      {2.0 / 3.0, "0.6666666666666666"},
      {123.456, "123.456"},
      {1e300, "1e+300"},
      {5e-324, "5e-324"},
      {123456789012345680.0, "1.2345678901234568e+17"},
      {1e15, "1000000000000000.0"},
      {1e16, "1e+16"},
      {9007199254740992.0, "9007199254740992.0"},
      {0.0001, "0.0001"},
      {0.00012345, "0.00012345"},
      {1e-5, "1e-05"},
      {1.5e-7, "1.5e-07"},
      {1e22, "1e+22"},
      {1e23, "1e+23"},
      {DBL_MAX, "1.7976931348623157e+308"},
      {DBL_MIN, "2.2250738585072014e-308"},
      {-DBL_MAX, "-1.7976931348623157e+308"},
      {2.5e-323, "2.5e-323"},
      {INFINITY, "inf"},
      {-INFINITY, "-inf"},
      {NAN, "nan"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK_EQ_STR(FMT(cy_format_double(cases[i].v, buf)), cases[i].text);
  CHECK_EQ_STR(FMT(cy_format_double(-NAN, buf)), "nan");
}

static void test_float_cases(void) {
  static const struct {
    float v;
    const char *text;
  } cases[] = {
      {0.0f, "0.0"},
      {-0.0f, "-0.0"},
      {0.1f, "0.1"},
      {0.3f, "0.3"},
      {1.0f / 3.0f, "0.33333334"},
      {16777216.0f, "16777216.0"},
      {1e30f, "1e+30"},
      {FLT_MAX, "3.4028235e+38"},
      {FLT_MIN, "1.1754944e-38"},
      {1e-45f, "1e-45"},
      {-2.5f, "-2.5"},
      {INFINITY, "inf"},
      {NAN, "nan"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CHECK_EQ_STR(FMT(cy_format_float(cases[i].v, buf)), cases[i].text);
}

/* xorshift64*: a small, seeded generator so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t next_random(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1du;
}

/* Significant digits of a formatted number (without leading and trailing zeros). */
static int significant_digits(const char *s) {
  int first = -1, last = -1, k = 0;
  for (const char *p = s; *p && *p != 'e'; p++) {
    if (*p < '0' || *p > '9') continue;
    if (*p != '0') {
      if (first < 0) first = k;
      last = k;
    }
    k++;
  }
  return first < 0 ? 1 : last - first + 1;
}

/* The fewest significant digits that read back to v, by trying each precision. */
static int slow_shortest(double v, bool is_float) {
  char t[64];
  for (int p = 1; p <= 17; p++) {
    snprintf(t, sizeof t, "%.*e", p - 1, v);
    if (is_float ? strtof(t, NULL) == (float)v : strtod(t, NULL) == v) return p;
  }
  return 99;
}

static void test_double_random(void) {
  int bad = 0;
  for (int i = 0; i < 300000; i++) {
    uint64_t bits = next_random();
    if (i % 3 == 1) /* also plenty of moderate exponents, where layout changes */
      bits = (bits & 0x800fffffffffffffu) | ((uint64_t)(1023 + (int)(next_random() % 90) - 45) << 52);
    double v;
    memcpy(&v, &bits, sizeof v);
    if (isnan(v)) continue;
    int n = cy_format_double(v, buf);
    buf[n] = 0;
    double back = strtod(buf, NULL);
    bool ok = memcmp(&back, &v, sizeof v) == 0 && n <= CY_FORMAT_DOUBLE_MAX;
    if (ok && i % 16 == 0 && v != 0) ok = significant_digits(buf) == slow_shortest(v, false);
    if (!ok && bad++ < 10) fprintf(stderr, "double %016" PRIx64 " -> %s\n", bits, buf);
  }
  CHECK_EQ_INT(bad, 0);
  /* Decimals with few digits, the common case in data. */
  bad = 0;
  for (int i = 0; i < 100000; i++) {
    int64_t m = (int64_t)(next_random() % 2000001) - 1000000;
    double v = (double)m / pow(10, (double)(next_random() % 9));
    int n = cy_format_double(v, buf);
    buf[n] = 0;
    if (strtod(buf, NULL) != v || (v != 0 && significant_digits(buf) != slow_shortest(v, false)))
      if (bad++ < 10) fprintf(stderr, "double %.17g -> %s\n", v, buf);
  }
  CHECK_EQ_INT(bad, 0);
}

static void test_float_random(void) {
  int bad = 0;
  for (int i = 0; i < 200000; i++) {
    uint32_t bits = (uint32_t)next_random();
    float v;
    memcpy(&v, &bits, sizeof v);
    if (isnan(v)) continue;
    int n = cy_format_float(v, buf);
    buf[n] = 0;
    float back = strtof(buf, NULL);
    bool ok = memcmp(&back, &v, sizeof v) == 0 && n <= CY_FORMAT_FLOAT_MAX;
    if (ok && i % 8 == 0 && v != 0) ok = significant_digits(buf) == slow_shortest(v, true);
    if (!ok && bad++ < 10) fprintf(stderr, "float %08x -> %s\n", bits, buf);
  }
  CHECK_EQ_INT(bad, 0);
}

static void test_dates(void) {
  CHECK_EQ_STR(FMT(cy_format_date32(0, buf)), "1970-01-01");
  CHECK_EQ_STR(FMT(cy_format_date32(-1, buf)), "1969-12-31");
  CHECK_EQ_STR(FMT(cy_format_date32(11016, buf)), "2000-02-29");
  CHECK_EQ_STR(FMT(cy_format_date32(18262, buf)), "2020-01-01");
  CHECK_EQ_STR(FMT(cy_format_date32(-719162, buf)), "0001-01-01");
  CHECK_EQ_STR(FMT(cy_format_date32(-719163, buf)), "0000-12-31");
  CHECK_EQ_STR(FMT(cy_format_date32(-719893, buf)), "-0001-01-01");
  CHECK_EQ_STR(FMT(cy_format_date32(2932896, buf)), "9999-12-31");
  CHECK_EQ_STR(FMT(cy_format_date32(2932897, buf)), "10000-01-01");
  /* The extremes: no crash, fits the bound, and reads back through the calendar. */
  int32_t extremes[] = {INT32_MIN, INT32_MAX};
  for (int i = 0; i < 2; i++) {
    int n = cy_format_date32(extremes[i], buf);
    buf[n] = 0;
    CHECK(n <= CY_FORMAT_DATE_MAX);
    long long y;
    int m, d;
    CHECK(sscanf(buf, "%lld-%d-%d", &y, &m, &d) == 3);
    CHECK_EQ_INT(cy_date_from_ymd(y, m, d), extremes[i]);
  }
  CHECK_EQ_STR(FMT(cy_format_date32(INT32_MIN, buf)), "-5877641-06-23");
  CHECK_EQ_STR(FMT(cy_format_date32(INT32_MAX, buf)), "5881580-07-11");
}

static void test_timestamps(void) {
  const int64_t t = 1577840523; /* 2020-01-01 01:02:03 UTC */
  CHECK_EQ_STR(FMT(cy_format_timestamp(0, CY_SECOND, buf)), "1970-01-01 00:00:00");
  CHECK_EQ_STR(FMT(cy_format_timestamp(t, CY_SECOND, buf)), "2020-01-01 01:02:03");
  CHECK_EQ_STR(FMT(cy_format_timestamp(t * 1000, CY_MILLI, buf)), "2020-01-01 01:02:03");
  CHECK_EQ_STR(FMT(cy_format_timestamp(t * 1000 + 500, CY_MILLI, buf)), "2020-01-01 01:02:03.5");
  CHECK_EQ_STR(FMT(cy_format_timestamp(t * 1000 + 120, CY_MILLI, buf)), "2020-01-01 01:02:03.12");
  CHECK_EQ_STR(FMT(cy_format_timestamp(t * 1000 + 7, CY_MILLI, buf)), "2020-01-01 01:02:03.007");
  CHECK_EQ_STR(FMT(cy_format_timestamp(t * 1000000 + 123456, CY_MICRO, buf)),
               "2020-01-01 01:02:03.123456");
  CHECK_EQ_STR(FMT(cy_format_timestamp(t * 1000000 + 10, CY_MICRO, buf)),
               "2020-01-01 01:02:03.00001");
  CHECK_EQ_STR(FMT(cy_format_timestamp(t * 1000000000 + 123456789, CY_NANO, buf)),
               "2020-01-01 01:02:03.123456789");
  /* Before 1970: floor, not truncation. */
  CHECK_EQ_STR(FMT(cy_format_timestamp(-1, CY_SECOND, buf)), "1969-12-31 23:59:59");
  CHECK_EQ_STR(FMT(cy_format_timestamp(-86400, CY_SECOND, buf)), "1969-12-31 00:00:00");
  CHECK_EQ_STR(FMT(cy_format_timestamp(-86401, CY_SECOND, buf)), "1969-12-30 23:59:59");
  CHECK_EQ_STR(FMT(cy_format_timestamp(-1, CY_MILLI, buf)), "1969-12-31 23:59:59.999");
  CHECK_EQ_STR(FMT(cy_format_timestamp(-500, CY_MILLI, buf)), "1969-12-31 23:59:59.5");
  CHECK_EQ_STR(FMT(cy_format_timestamp(-1, CY_MICRO, buf)), "1969-12-31 23:59:59.999999");
  CHECK_EQ_STR(FMT(cy_format_timestamp(-1, CY_NANO, buf)), "1969-12-31 23:59:59.999999999");
  CHECK_EQ_STR(FMT(cy_format_timestamp(-62135596800, CY_SECOND, buf)), "0001-01-01 00:00:00");
  /* The int64 nanosecond range (pandas' Timestamp.min and max). */
  CHECK_EQ_STR(FMT(cy_format_timestamp(INT64_MIN, CY_NANO, buf)),
               "1677-09-21 00:12:43.145224192");
  CHECK_EQ_STR(FMT(cy_format_timestamp(INT64_MAX, CY_NANO, buf)),
               "2262-04-11 23:47:16.854775807");
  /* Seconds at the int64 extremes: no overflow, within the bound. */
  CHECK(cy_format_timestamp(INT64_MIN, CY_SECOND, buf) <= CY_FORMAT_TIMESTAMP_MAX);
  CHECK(cy_format_timestamp(INT64_MAX, CY_SECOND, buf) <= CY_FORMAT_TIMESTAMP_MAX);
  CHECK(cy_format_timestamp(INT64_MIN, CY_MILLI, buf) <= CY_FORMAT_TIMESTAMP_MAX);
}

/* The decimal128 words of a signed 128-bit integer. */
static void words(__int128 v, uint64_t *lo, int64_t *hi) {
  *lo = (uint64_t)v;
  *hi = (int64_t)(v >> 64);
}

static const char *dec(__int128 v, int32_t scale) {
  uint64_t lo;
  int64_t hi;
  words(v, &lo, &hi);
  int n = cy_format_decimal128(lo, hi, scale, buf);
  CHECK(n <= CY_FORMAT_DECIMAL_MAX);
  buf[n] = 0;
  return buf;
}

static void test_decimals(void) {
  const __int128 e19 = (__int128)10000000000000000000u;
  __int128 big = (__int128)1234567890123456789 * e19 + 123456789012345678; /* 38 digits */
  __int128 max = (__int128)(((unsigned __int128)1 << 127) - 1);
  CHECK_EQ_STR(dec(12345, 2), "123.45");
  CHECK_EQ_STR(dec(-12345, 2), "-123.45");
  CHECK_EQ_STR(dec(-5, 2), "-0.05");
  CHECK_EQ_STR(dec(5, 0), "5");
  CHECK_EQ_STR(dec(0, 0), "0");
  CHECK_EQ_STR(dec(0, 2), "0.00");
  CHECK_EQ_STR(dec(100, 2), "1.00");
  CHECK_EQ_STR(dec(big, 0), "12345678901234567890123456789012345678");
  CHECK_EQ_STR(dec(-big, 0), "-12345678901234567890123456789012345678");
  CHECK_EQ_STR(dec(big, 38), "0.12345678901234567890123456789012345678");
  CHECK_EQ_STR(dec(-big, 10), "-1234567890123456789012345678.9012345678");
  CHECK_EQ_STR(dec(-15 * (__int128)1000000000000000000 * 1000000000000000000, 37),
               "-1.5000000000000000000000000000000000000");
  CHECK_EQ_STR(dec(max, 0), "170141183460469231731687303715884105727");
  CHECK_EQ_STR(dec(-max - 1, 0), "-170141183460469231731687303715884105728");
  CHECK_EQ_STR(dec(e19, 0), "10000000000000000000");
  CHECK_EQ_STR(dec(123, -2), "12300");
  CHECK_EQ_STR(dec(0, -2), "0");
  CHECK_EQ_STR(dec(12, 40), "12e-40");
  CHECK_EQ_STR(dec(-12, -40), "-12e40");
}

static void test_binary(void) {
  const uint8_t bytes[] = {'a', 0, 'b', 0xff, '\\', '"', '\'', ' ', '~', 0x7f, '\n'};
  int64_t n = cy_format_binary(bytes, sizeof bytes, buf);
  buf[n] = 0;
  CHECK_EQ_STR(buf, "a\\x00b\\xFF\\x5C\\x22\\x27 ~\\x7F\\x0A");
  CHECK_EQ_INT(cy_format_binary_length(bytes, sizeof bytes), n);
}

/* cy_column_format_value over every type, nulls, slices and truncation. */
static void test_column_values(void) {
  cy_error err;
  cy_column *col = NULL;
  char out[64];
  int64_t ints[] = {5, -42, 0, 123456};
  uint8_t valid[] = {1, 1, 0, 1};
  OK(cy_column_from_values(cy_type_make(CY_INT64), ints, valid, 4, &col, &err));
  CHECK_EQ_INT(cy_column_format_value(col, 1, "NULL", out, sizeof out), 3);
  CHECK_EQ_STR(out, "-42");
  CHECK_EQ_INT(cy_column_format_value(col, 2, "NULL", out, sizeof out), 4);
  CHECK_EQ_STR(out, "NULL");
  CHECK_EQ_INT(cy_column_format_value(col, 2, NULL, out, sizeof out), 0);
  CHECK_EQ_STR(out, "");
  /* Truncated to the buffer, returning the length it needed, like snprintf. */
  CHECK_EQ_INT(cy_column_format_value(col, 3, "", out, 4), 6);
  CHECK_EQ_STR(out, "123");
  CHECK_EQ_INT(cy_column_format_value(col, 3, "", NULL, 0), 6);
  cy_column *slice = NULL;
  OK(cy_column_slice(col, 1, 3, &slice, &err));
  cy_column_format_value(slice, 0, "", out, sizeof out);
  CHECK_EQ_STR(out, "-42");
  cy_column_format_value(slice, 2, "", out, sizeof out);
  CHECK_EQ_STR(out, "123456");
  cy_column_release(slice);
  cy_column_release(col);

  const char *strs[] = {"héllo, \"world\"\n", "", NULL};
  OK(cy_column_from_strings(strs, 3, &col, &err));
  cy_column_format_value(col, 0, "", out, sizeof out);
  CHECK_EQ_STR(out, "héllo, \"world\"\n"); /* strings are raw */
  CHECK_EQ_INT(cy_column_format_value(col, 1, "N", out, sizeof out), 0);
  CHECK_EQ_INT(cy_column_format_value(col, 2, "N", out, sizeof out), 1);
  cy_column_release(col);

  cy_builder b;
  OK(cy_builder_init(&b, cy_type_make(CY_BINARY), 2, &err));
  OK(cy_builder_append_bytes(&b, "\x00\xff" "A", 3, &err));
  OK(cy_builder_finish(&b, &col, &err));
  cy_builder_reset(&b);
  CHECK_EQ_INT(cy_column_format_value(col, 0, "", out, sizeof out), 9);
  CHECK_EQ_STR(out, "\\x00\\xFFA");
  CHECK_EQ_INT(cy_column_format_value(col, 0, "", out, 6), 9);
  CHECK_EQ_STR(out, "\\x00\\");
  cy_column_release(col);

  int64_t micros[] = {1577840523500000};
  OK(cy_column_from_values(cy_type_timestamp(CY_MICRO, "UTC"), micros, NULL, 1, &col, &err));
  cy_column_format_value(col, 0, "", out, sizeof out);
  CHECK_EQ_STR(out, "2020-01-01 01:02:03.5+00");
  cy_column_release(col);
  OK(cy_column_from_values(cy_type_timestamp(CY_MICRO, NULL), micros, NULL, 1, &col, &err));
  cy_column_format_value(col, 0, "", out, sizeof out);
  CHECK_EQ_STR(out, "2020-01-01 01:02:03.5");
  cy_column_release(col);

  uint8_t flags[] = {1, 0};
  OK(cy_column_from_values(cy_type_make(CY_BOOL), flags, NULL, 2, &col, &err));
  cy_column_format_value(col, 1, "", out, sizeof out);
  CHECK_EQ_STR(out, "false");
  cy_column_release(col);

  int32_t days[] = {11016};
  OK(cy_column_from_values(cy_type_make(CY_DATE32), days, NULL, 1, &col, &err));
  cy_column_format_value(col, 0, "", out, sizeof out);
  CHECK_EQ_STR(out, "2000-02-29");
  cy_column_release(col);

  float f32[] = {0.1f};
  OK(cy_column_from_values(cy_type_make(CY_FLOAT32), f32, NULL, 1, &col, &err));
  cy_column_format_value(col, 0, "", out, sizeof out);
  CHECK_EQ_STR(out, "0.1");
  cy_column_release(col);

  int8_t i8[] = {-128};
  OK(cy_column_from_values(cy_type_make(CY_INT8), i8, NULL, 1, &col, &err));
  cy_column_format_value(col, 0, "", out, sizeof out);
  CHECK_EQ_STR(out, "-128");
  cy_column_release(col);

  uint16_t u16[] = {65535};
  OK(cy_column_from_values(cy_type_make(CY_UINT16), u16, NULL, 1, &col, &err));
  cy_column_format_value(col, 0, "", out, sizeof out);
  CHECK_EQ_STR(out, "65535");
  cy_column_release(col);

  uint64_t d128[] = {(uint64_t)-12345, UINT64_MAX}; /* -12345 as {lo, hi} */
  OK(cy_column_from_values(cy_type_decimal128(10, 3), d128, NULL, 1, &col, &err));
  cy_column_format_value(col, 0, "", out, sizeof out);
  CHECK_EQ_STR(out, "-12.345");
  cy_column_release(col);
}

int main(void) {
  test_integers();
  test_double_cases();
  test_float_cases();
  test_double_random();
  test_float_random();
  test_dates();
  test_timestamps();
  test_decimals();
  test_binary();
  test_column_values();
  TEST_MAIN_END();
}
