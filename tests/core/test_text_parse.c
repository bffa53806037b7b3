/*
 * test_text_parse.c - the text parsers behind CSV and the command line: integers at their
 * limits, doubles against the C library's correctly rounded strtod on many random texts,
 * dates and timestamps (zones, fractions, out-of-range years), decimals with rounding, and
 * the type lattice used by inference.
 */
#include <math.h>

#include "core/text_parse.h"
#include "test.h"

#define P(s) (s), strlen(s)

static void test_integers(void) {
  int64_t v;
  uint64_t u;
  CHECK(cy_parse_int64(P("9223372036854775807"), &v) && v == INT64_MAX);
  CHECK(cy_parse_int64(P("-9223372036854775808"), &v) && v == INT64_MIN);
  CHECK(!cy_parse_int64(P("9223372036854775808"), &v));
  CHECK(!cy_parse_int64(P("-9223372036854775809"), &v));
  CHECK(cy_parse_int64(P("+42"), &v) && v == 42);
  CHECK(cy_parse_int64(P("007"), &v) && v == 7);
  CHECK(!cy_parse_int64(P(""), &v) && !cy_parse_int64(P("-"), &v) && !cy_parse_int64(P("1 "), &v));
  CHECK(!cy_parse_int64(P("-+1"), &v) && !cy_parse_int64(P("1e3"), &v));
  CHECK(cy_parse_uint64(P("18446744073709551615"), &u) && u == UINT64_MAX);
  CHECK(!cy_parse_uint64(P("18446744073709551616"), &u) && !cy_parse_uint64(P("-1"), &u));
}

static uint64_t state = 7;
static uint64_t next(void) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void test_doubles(void) {
  double d;
  CHECK(cy_parse_double(P("0.1"), &d) && d == 0.1);
  CHECK(cy_parse_double(P(".5"), &d) && d == 0.5);
  CHECK(cy_parse_double(P("1."), &d) && d == 1.0);
  CHECK(cy_parse_double(P("-0"), &d) && d == 0.0 && signbit(d));
  CHECK(cy_parse_double(P("1e308"), &d) && d == 1e308);
  CHECK(cy_parse_double(P("1e400"), &d) && isinf(d));
  CHECK(cy_parse_double(P("4.9406564584124654e-324"), &d) && d == 4.9406564584124654e-324);
  CHECK(cy_parse_double(P("-Infinity"), &d) && isinf(d) && d < 0);
  CHECK(cy_parse_double(P("NaN"), &d) && isnan(d));
  CHECK(!cy_parse_double(P("."), &d) && !cy_parse_double(P("e5"), &d));
  CHECK(!cy_parse_double(P("1e"), &d) && !cy_parse_double(P("0x10"), &d));
  CHECK(!cy_parse_double(P("1,5"), &d) && !cy_parse_double(P(""), &d));
  /* Random texts in every shape: the result must equal glibc's correctly rounded strtod. */
  int bad = 0;
  for (int i = 0; i < 200000; i++) {
    char buf[64];
    uint64_t r = next();
    switch (i % 4) {
      case 0: snprintf(buf, sizeof buf, "%llu", (unsigned long long)(r >> (r & 63))); break;
      case 1:
        snprintf(buf, sizeof buf, "%lld.%06llu", (long long)(r % 100000) - 50000,
                 (unsigned long long)(next() % 1000000));
        break;
      case 2: {
        double x;
        uint64_t bits = next();
        memcpy(&x, &bits, 8);
        if (!isfinite(x)) x = 1.5;
        snprintf(buf, sizeof buf, "%.*g", (int)(r % 18) + 1, x);
        break;
      }
      default:
        snprintf(buf, sizeof buf, "%llu.%llue%d", (unsigned long long)(r % 1000000),
                 (unsigned long long)(next() % 100000000000ull), (int)(next() % 80) - 40);
    }
    double want = strtod(buf, NULL), got;
    if (!cy_parse_double(buf, strlen(buf), &got) || memcmp(&got, &want, 8) != 0) {
      if (bad++ < 5) fprintf(stderr, "parse_double(%s): %.17g, strtod: %.17g\n", buf, got, want);
    }
    float f, fwant = strtof(buf, NULL);
    if (!cy_parse_float(buf, strlen(buf), &f) || memcmp(&f, &fwant, 4) != 0) {
      if (bad++ < 5) fprintf(stderr, "parse_float(%s) differs from strtof\n", buf);
    }
  }
  CHECK_EQ_INT(bad, 0);
}

static void test_dates_and_times(void) {
  int32_t day;
  CHECK(cy_parse_date32(P("1970-01-01"), &day) && day == 0);
  CHECK(cy_parse_date32(P("2000-2-29"), &day) && day == 11016);
  CHECK(!cy_parse_date32(P("1900-02-29"), &day)); /* not a leap year */
  CHECK(!cy_parse_date32(P("2020-13-01"), &day) && !cy_parse_date32(P("2020-04-31"), &day));
  CHECK(cy_parse_date32(P("0000-01-01"), &day) && day == -719528);  /* 1 BC, a leap year */
  CHECK(cy_parse_date32(P("-0001-01-01"), &day) && day == -719893); /* 2 BC */
  CHECK(cy_parse_date32(P("10000-01-01"), &day) && day == 2932897);
  CHECK(!cy_parse_date32(P("99999999-01-01"), &day));
  int64_t ts;
  bool zone;
  CHECK(cy_parse_timestamp(P("2020-01-02 03:04:05.25"), CY_MICRO, &ts, &zone) &&
        ts == 1577934245250000LL && !zone);
  CHECK(cy_parse_timestamp(P("2020-01-02T03:04:05Z"), CY_SECOND, &ts, &zone) &&
        ts == 1577934245LL && zone);
  CHECK(cy_parse_timestamp(P("2020-01-02 03:04:05+02:30"), CY_SECOND, &ts, &zone) &&
        ts == 1577934245LL - 9000 && zone);
  CHECK(cy_parse_timestamp(P("1969-12-31 23:59:59.9999995"), CY_MICRO, &ts, NULL) && ts == 0);
  CHECK(cy_parse_timestamp(P("2020-01-01"), CY_MILLI, &ts, NULL) && ts == 1577836800000LL);
  CHECK(cy_parse_timestamp(P("2020-01-01 10:00"), CY_SECOND, &ts, NULL) && ts == 1577872800LL);
  CHECK(!cy_parse_timestamp(P("2020-01-01 24:00:00"), CY_SECOND, &ts, NULL));
  CHECK(!cy_parse_timestamp(P("2263-01-01"), CY_NANO, &ts, NULL));     /* past int64 ns */
  CHECK(!cy_parse_timestamp(P("9999999-01-01 00:00:00"), CY_MICRO, &ts, NULL));
}

static void test_decimals(void) {
  uint64_t lo;
  int64_t hi;
  CHECK(cy_parse_decimal128(P("123.456"), 10, 2, &lo, &hi) && lo == 12346 && hi == 0);
  CHECK(cy_parse_decimal128(P("-0.005"), 10, 2, &lo, &hi) && (int64_t)lo == -1 && hi == -1);
  CHECK(cy_parse_decimal128(P("7"), 5, 3, &lo, &hi) && lo == 7000);
  CHECK(!cy_parse_decimal128(P("123.4"), 4, 2, &lo, &hi)); /* 12340 needs 5 digits */
  CHECK(cy_parse_decimal128(P("99999999999999999999999999999999999999"), 38, 0, &lo, &hi));
  unsigned __int128 v = ((unsigned __int128)(uint64_t)hi << 64) | lo;
  unsigned __int128 want = 0;
  for (int i = 0; i < 38; i++) want = want * 10 + 9;
  CHECK(v == want);
  CHECK(!cy_parse_decimal128(P("1.2.3"), 10, 2, &lo, &hi) && !cy_parse_decimal128(P(""), 10, 2, &lo, &hi));
}

static void test_lattice(void) {
  CHECK_EQ_INT(cy_text_classify(P("12")), CY_TEXT_INT64);
  CHECK_EQ_INT(cy_text_classify(P("1e3")), CY_TEXT_FLOAT64);
  CHECK_EQ_INT(cy_text_classify(P("99999999999999999999")), CY_TEXT_FLOAT64);
  CHECK_EQ_INT(cy_text_classify(P("2020-01-01")), CY_TEXT_DATE);
  CHECK_EQ_INT(cy_text_classify(P("2020-01-01 00:00:00")), CY_TEXT_TIMESTAMP);
  CHECK_EQ_INT(cy_text_classify(P("2020-01-01 00:00:00+01")), CY_TEXT_TIMESTAMP_TZ);
  CHECK_EQ_INT(cy_text_classify(P("TRUE")), CY_TEXT_BOOL);
  CHECK_EQ_INT(cy_text_classify(P("inf")), CY_TEXT_FLOAT64);
  CHECK_EQ_INT(cy_text_classify(P("abc")), CY_TEXT_STRING);
  CHECK_EQ_INT(cy_text_kind_join(CY_TEXT_INT64, CY_TEXT_FLOAT64), CY_TEXT_FLOAT64);
  CHECK_EQ_INT(cy_text_kind_join(CY_TEXT_DATE, CY_TEXT_TIMESTAMP), CY_TEXT_TIMESTAMP);
  CHECK_EQ_INT(cy_text_kind_join(CY_TEXT_BOOL, CY_TEXT_INT64), CY_TEXT_STRING);
  CHECK_EQ_INT(cy_text_kind_join(CY_TEXT_NULL, CY_TEXT_DATE), CY_TEXT_DATE);
  CHECK_EQ_INT(cy_text_kind_join(CY_TEXT_INT64, CY_TEXT_DATE), CY_TEXT_STRING);
}

int main(void) {
  test_integers();
  test_doubles();
  test_dates_and_times();
  test_decimals();
  test_lattice();
  TEST_MAIN_END();
}
