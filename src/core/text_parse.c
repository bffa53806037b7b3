/*
 * text_parse.c - exact parsers for numbers, booleans, dates and timestamps, and the type
 * lattice used by CSV type inference.
 *
 * Doubles take a fast exact path when the significand fits in 53 bits and the power of ten
 * is at most 22 (both operands are then exact, and one IEEE multiply or divide rounds
 * correctly); everything else goes to strtod_l in the C locale, so results never depend on
 * the process locale and are always correctly rounded.
 */
#include "core/text_parse.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static inline bool is_digit(char c) { return (unsigned)(c - '0') < 10; }

bool cy_parse_uint64(const char *s, size_t n, uint64_t *out) {
  const char *p = s, *end = s + n;
  if (p < end && *p == '+') p++;
  if (p == end) return false;
  uint64_t v = 0;
  for (; p < end; p++) {
    if (!is_digit(*p)) return false;
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool cy_parse_int64(const char *s, size_t n, int64_t *out) {
  bool neg = n > 0 && s[0] == '-';
  if (neg) {
    s++;
    n--;
    if (n > 0 && s[0] == '+') return false;
  }
  uint64_t v;
  if (!cy_parse_uint64(s, n, &v)) return false;
  if (neg) {
    if (v > (uint64_t)INT64_MAX + 1) return false;
    *out = (int64_t)(0 - v);
  } else {
    if (v > (uint64_t)INT64_MAX) return false;
    *out = (int64_t)v;
  }
  return true;
}

static bool equals_nocase(const char *s, size_t n, const char *word) {
  return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* Slow path: the syntax is already checked, so strtod consumes exactly n bytes. With
 * single set, the text is rounded once, straight to float (rounding to double first and
 * then to float could round twice). */
static double strtod_exact(const char *s, size_t n, bool single) {
  char stack[128];
  char *buf = n < sizeof(stack) ? stack : malloc(n + 1);
  if (buf == NULL) return 0.0; /* cannot happen in practice; n is a field length */
  memcpy(buf, s, n);
  buf[n] = 0;
  pthread_once(&c_locale_once, make_c_locale);
  double v;
  if (single)
    v = c_locale ? strtof_l(buf, NULL, c_locale) : strtof(buf, NULL);
  else
    v = c_locale ? strtod_l(buf, NULL, c_locale) : strtod(buf, NULL);
  if (buf != stack) free(buf);
  return v;
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static bool parse_decimal_text(const char *s, size_t n, bool single, double *out);

bool cy_parse_double(const char *s, size_t n, double *out) {
  return parse_decimal_text(s, n, false, out);
}

bool cy_parse_float(const char *s, size_t n, float *out) {
  double v;
  if (!parse_decimal_text(s, n, true, &v)) return false;
  *out = (float)v; /* exact: v already holds a float value */
  return true;
}

static bool parse_decimal_text(const char *s, size_t n, bool single, double *out) {
  const char *p = s, *end = s + n;
  bool neg = false;
  if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
  size_t rest = (size_t)(end - p);
  if (rest > 0 && !is_digit(*p) && *p != '.') {
    if (equals_nocase(p, rest, "inf") || equals_nocase(p, rest, "infinity")) {
      *out = neg ? -__builtin_inf() : __builtin_inf();
      return true;
    }
    if (equals_nocase(p, rest, "nan")) {
      *out = neg ? -__builtin_nan("") : __builtin_nan("");
      return true;
    }
    return false;
  }
  uint64_t mant = 0;
  int sig = 0;       /* significant digits kept in mant */
  int64_t exp10 = 0; /* value = mant * 10^exp10 (before dropped digits) */
  bool inexact = false, any = false;
  for (; p < end && is_digit(*p); p++) {
    any = true;
    if (sig < 19) {
      mant = mant * 10 + (uint64_t)(*p - '0');
      if (mant) sig++;
    } else {
      exp10++;
      inexact |= *p != '0';
    }
  }
  if (p < end && *p == '.') {
    for (p++; p < end && is_digit(*p); p++) {
      any = true;
      if (sig < 19) {
        mant = mant * 10 + (uint64_t)(*p - '0');
        if (mant) sig++;
        exp10--;
      } else {
        inexact |= *p != '0';
      }
    }
  }
  if (!any) return false;
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    bool eneg = false;
    if (p < end && (*p == '-' || *p == '+')) eneg = *p++ == '-';
    if (p == end || !is_digit(*p)) return false;
    int64_t e = 0;
    for (; p < end && is_digit(*p); p++)
      if (e < 100000) e = e * 10 + (*p - '0');
    exp10 += eneg ? -e : e;
  }
  if (p != end) return false;
  double v;
  if (!single && !inexact && mant <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
    v = (double)mant;
    v = exp10 >= 0 ? v * pow10_exact[exp10] : v / pow10_exact[-exp10];
    if (neg) v = -v;
  } else {
    v = strtod_exact(s, n, single);
  }
  *out = v;
  return true;
}

bool cy_parse_bool(const char *s, size_t n, bool *out) {
  if (equals_nocase(s, n, "true")) {
    *out = true;
    return true;
  }
  if (equals_nocase(s, n, "false")) {
    *out = false;
    return true;
  }
  return false;
}

/* Read 1..max digits at *p into *v; advances *p. */
static bool read_digits(const char **p, const char *end, int min, int max, int64_t *v) {
  int k = 0;
  int64_t x = 0;
  while (*p < end && k < max && is_digit(**p)) {
    x = x * 10 + (**p - '0');
    (*p)++;
    k++;
  }
  if (k < min) return false;
  *v = x;
  return true;
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m) {
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* YYYY-MM-DD at *p, leaving *p after it. Years outside 0000..9999 take a sign or more
 * digits (-0001 is 2 BC, as ISO 8601 counts), which is how such dates are written. */
static bool parse_date_prefix(const char **p, const char *end, int64_t *days) {
  int64_t y, m, d;
  bool bc = *p < end && **p == '-';
  *p += bc;
  if (!read_digits(p, end, 4, 12, &y)) return false; /* int64 seconds reach 12-digit years */
  if (bc) y = -y;
  if (*p == end || **p != '-') return false;
  (*p)++;
  if (!read_digits(p, end, 1, 2, &m)) return false;
  if (*p == end || **p != '-') return false;
  (*p)++;
  if (!read_digits(p, end, 1, 2, &d)) return false;
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, (int)m)) return false;
  *days = cy_date_from_ymd(y, (int)m, (int)d);
  return true;
}

bool cy_parse_date32(const char *s, size_t n, int32_t *out) {
  const char *p = s, *end = s + n;
  int64_t days;
  if (!parse_date_prefix(&p, end, &days) || p != end) return false;
  if (days < INT32_MIN || days > INT32_MAX) return false;
  *out = (int32_t)days;
  return true;
}

bool cy_parse_timestamp(const char *s, size_t n, cy_time_unit unit, int64_t *out,
                        bool *has_zone) {
  static const int64_t units_per_second[4] = {1, 1000, 1000000, 1000000000};
  const char *p = s, *end = s + n;
  int64_t days, hh, mm, ss = 0;
  if (!parse_date_prefix(&p, end, &days)) return false;
  if (p == end) { /* a bare date is its midnight, as in SQL casts */
    int64_t v;
    if (__builtin_mul_overflow(days, 86400, &v) ||
        __builtin_mul_overflow(v, units_per_second[unit], &v))
      return false;
    *out = v;
    if (has_zone) *has_zone = false;
    return true;
  }
  if (*p != ' ' && *p != 'T') return false;
  p++;
  if (!read_digits(&p, end, 2, 2, &hh) || p == end || *p++ != ':') return false;
  if (!read_digits(&p, end, 2, 2, &mm)) return false;
  if (p < end && *p == ':') {
    p++;
    if (!read_digits(&p, end, 2, 2, &ss)) return false;
  }
  if (hh > 23 || mm > 59 || ss > 59) return false;
  /* Fraction: keep up to 9 digits (nanoseconds), round to the unit below. */
  int64_t frac_ns = 0;
  if (p < end && *p == '.') {
    p++;
    int k = 0;
    bool any = false;
    for (; p < end && is_digit(*p); p++, any = true)
      if (k < 9) frac_ns = frac_ns * 10 + (*p - '0'), k++;
    if (!any) return false;
    for (; k < 9; k++) frac_ns *= 10;
  }
  int64_t offset_s = 0;
  bool zone = false;
  if (p < end && *p == ' ') p++; /* "2020-01-01 00:00:00 +02:00" */
  if (p < end && (*p == 'Z' || *p == 'z')) {
    p++;
    zone = true;
  } else if (p < end && (*p == '+' || *p == '-')) {
    int sign = *p++ == '-' ? -1 : 1;
    int64_t oh, om = 0;
    if (!read_digits(&p, end, 2, 2, &oh)) return false;
    if (p < end && *p == ':') p++;
    if (p < end && !read_digits(&p, end, 2, 2, &om)) return false;
    if (oh > 23 || om > 59) return false;
    offset_s = sign * (oh * 3600 + om * 60);
    zone = true;
  }
  if (p != end) return false;
  /* 12-digit years can overflow days * 86400; before 1970 the midnight alone can be out of
   * range while the instant is not, so borrow a day there (the time of day pays it back). */
  int64_t tod = hh * 3600 + mm * 60 + ss - offset_s, secs;
  bool borrow = days < 0;
  if (__builtin_mul_overflow(days + borrow, 86400, &secs) ||
      __builtin_add_overflow(secs, tod - (borrow ? 86400 : 0), &secs))
    return false;
  int64_t per = units_per_second[unit];
  int64_t ns_per_unit = 1000000000 / per;
  int64_t sub = (frac_ns + ns_per_unit / 2) / ns_per_unit; /* round half up (frac >= 0) */
  int64_t v;
  /* Near the unit's negative end, secs * per alone may overflow while the value with its
   * (non-negative) fraction fits: borrow one second. */
  if (secs < 0 && sub > 0) {
    secs += 1;
    sub -= per;
  }
  /* Out of the unit's range (e.g. past 2262 in nanoseconds) is not a timestamp. */
  if (__builtin_mul_overflow(secs, per, &v) || __builtin_add_overflow(v, sub, &v)) return false;
  *out = v;
  if (has_zone) *has_zone = zone;
  return true;
}

bool cy_parse_decimal128(const char *s, size_t n, int32_t precision, int32_t scale,
                         uint64_t *lo, int64_t *hi) {
  const char *p = s, *end = s + n;
  bool neg = false;
  if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
  unsigned __int128 v = 0;
  int digits = 0, frac = 0;
  bool any = false, in_frac = false, round_up = false;
  for (; p < end; p++) {
    if (*p == '.' && !in_frac) {
      in_frac = true;
      continue;
    }
    if (!is_digit(*p)) break;
    any = true;
    if (in_frac && frac >= scale) {
      /* The first dropped digit decides rounding; later ones are ignored. */
      if (frac == scale) round_up = *p >= '5';
      frac++;
      continue;
    }
    v = v * 10 + (unsigned)(*p - '0');
    if (v) digits++;
    if (digits > 38) return false;
    if (in_frac) frac++;
  }
  if (!any || p != end) return false;
  if (precision < 1 || precision > 38 || scale < 0 || scale > precision) return false;
  if (frac > scale) frac = scale;
  /* Scaling adds digits; past the precision the value cannot fit (and 128 bits would
   * wrap), so stop before multiplying. */
  if (v != 0 && digits + (scale - frac) > precision) return false;
  for (; frac < scale; frac++) v *= 10;
  if (round_up) v += 1;
  unsigned __int128 limit = 1;
  for (int i = 0; i < precision; i++) limit *= 10;
  if (v >= limit) return false;
  __int128 sv = neg ? -(__int128)v : (__int128)v;
  *lo = (uint64_t)sv;
  *hi = (int64_t)(sv >> 64);
  return true;
}

cy_text_kind cy_text_classify(const char *s, size_t n) {
  if (n == 0) return CY_TEXT_STRING;
  char c = s[0];
  if (is_digit(c) || c == '-' || c == '+' || c == '.') {
    int64_t i;
    if (cy_parse_int64(s, n, &i)) return CY_TEXT_INT64;
    double d;
    if (cy_parse_double(s, n, &d)) return CY_TEXT_FLOAT64;
    int32_t day;
    if (cy_parse_date32(s, n, &day)) return CY_TEXT_DATE;
    int64_t ts;
    bool zone;
    if (cy_parse_timestamp(s, n, CY_MICRO, &ts, &zone))
      return zone ? CY_TEXT_TIMESTAMP_TZ : CY_TEXT_TIMESTAMP;
    return CY_TEXT_STRING;
  }
  bool b;
  if (cy_parse_bool(s, n, &b)) return CY_TEXT_BOOL;
  double d;
  if (cy_parse_double(s, n, &d)) return CY_TEXT_FLOAT64; /* inf, nan */
  return CY_TEXT_STRING;
}

cy_text_kind cy_text_kind_join(cy_text_kind a, cy_text_kind b) {
  if (a == CY_TEXT_NULL) return b;
  if (b == CY_TEXT_NULL || a == b) return a;
  if (a > b) {
    cy_text_kind t = a;
    a = b;
    b = t;
  }
  if (a == CY_TEXT_INT64 && b == CY_TEXT_FLOAT64) return CY_TEXT_FLOAT64;
  if (a == CY_TEXT_DATE && (b == CY_TEXT_TIMESTAMP || b == CY_TEXT_TIMESTAMP_TZ)) return b;
  if (a == CY_TEXT_TIMESTAMP && b == CY_TEXT_TIMESTAMP_TZ) return b;
  return CY_TEXT_STRING;
}

cy_type cy_text_kind_type(cy_text_kind kind) {
  switch (kind) {
    case CY_TEXT_BOOL: return cy_type_make(CY_BOOL);
    case CY_TEXT_INT64: return cy_type_make(CY_INT64);
    case CY_TEXT_FLOAT64: return cy_type_make(CY_FLOAT64);
    case CY_TEXT_DATE: return cy_type_make(CY_DATE32);
    case CY_TEXT_TIMESTAMP: return cy_type_timestamp(CY_MICRO, NULL);
    case CY_TEXT_TIMESTAMP_TZ: return cy_type_timestamp(CY_MICRO, "UTC");
    default: return cy_type_make(CY_UTF8);
  }
}
