/*
 * format.c - values as text: integers, booleans, dates, timestamps, decimals, blobs, and
 * cy_column_format_value on top of them.
 *
 * The formats are described in text_format.h; floats live in format_float.c. These are the
 * inner loops of the CSV writer, so they write into caller buffers without snprintf:
 * integers two digits at a time from a table of digit pairs, dates through the era-based
 * civil calendar in temporal.c, timestamps by flooring to whole seconds and days first (so
 * instants before 1970 come out right), decimals with 128-bit integer arithmetic.
 */
#include <string.h>

#include "core/text_format.h"

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static int count_digits(uint64_t v) {
  int n = 1;
  for (;;) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v /= 10000;
    n += 4;
  }
}

/* Write the n digits of v ending at out + n. */
static void write_digits(uint64_t v, int n, char *out) {
  char *p = out + n;
  while (v >= 100) {
    unsigned r = (unsigned)(v % 100);
    v /= 100;
    p -= 2;
    memcpy(p, digit_pairs + 2 * r, 2);
  }
  if (v >= 10) {
    p -= 2;
    memcpy(p, digit_pairs + 2 * v, 2);
  } else {
    *--p = (char)('0' + v);
  }
}

/* Exactly two digits of v (0 <= v < 100). */
static inline void write2(char *out, int64_t v) { memcpy(out, digit_pairs + 2 * v, 2); }

int cy_format_uint64(uint64_t v, char *out) {
  int n = count_digits(v);
  write_digits(v, n, out);
  return n;
}

int cy_format_int64(int64_t v, char *out) {
  if (v >= 0) return cy_format_uint64((uint64_t)v, out);
  *out = '-';
  /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
  return 1 + cy_format_uint64(UINT64_C(0) - (uint64_t)v, out + 1);
}

int cy_format_bool(bool v, char *out) {
  if (v) {
    memcpy(out, "true", 4);
    return 4;
  }
  memcpy(out, "false", 5);
  return 5;
}

/* YYYY-MM-DD for a day count of any int64 range a timestamp can produce. */
static int write_ymd(int64_t days, char *out) {
  int64_t year;
  int month, day;
  cy_date_to_ymd(days, &year, &month, &day);
  char *p = out;
  uint64_t y = (uint64_t)year;
  if (year < 0) {
    *p++ = '-';
    y = UINT64_C(0) - (uint64_t)year;
  }
  int n = count_digits(y);
  if (n < 4) { /* at least four digits: 0042 */
    memset(p, '0', (size_t)(4 - n));
    p += 4 - n;
  }
  write_digits(y, n, p);
  p += n;
  *p++ = '-';
  write2(p, month);
  p[2] = '-';
  write2(p + 3, day);
  return (int)(p + 5 - out);
}

int cy_format_date32(int32_t days, char *out) { return write_ymd(days, out); }

static const int64_t units_per_second[4] = {1, 1000, 1000000, 1000000000};
static const int fraction_digits[4] = {0, 3, 6, 9};

int cy_format_timestamp(int64_t v, cy_time_unit unit, char *out) {
  int u = (unsigned)unit <= CY_NANO ? (int)unit : CY_SECOND;
  int64_t per = units_per_second[u];
  /* Floor division, so that -1 ms is 23:59:59.999 of the day before. */
  int64_t secs = v / per, frac = v % per;
  if (frac < 0) {
    frac += per;
    secs--;
  }
  int64_t days = secs / 86400, sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days--;
  }
  char *p = out + write_ymd(days, out);
  *p++ = ' ';
  write2(p, sod / 3600);
  p[2] = ':';
  write2(p + 3, sod / 60 % 60);
  p[5] = ':';
  write2(p + 6, sod % 60);
  p += 8;
  if (frac != 0) {
    int n = fraction_digits[u];
    while (frac % 10 == 0) { /* trailing zeros say nothing: .500 is .5 */
      frac /= 10;
      n--;
    }
    *p++ = '.';
    int len = count_digits((uint64_t)frac);
    memset(p, '0', (size_t)(n - len));
    write_digits((uint64_t)frac, len, p + n - len);
    p += n;
  }
  return (int)(p - out);
}

/* Decimal digits of a 128-bit unsigned integer; returns the count (1..39). */
static int u128_digits(unsigned __int128 u, char *out) {
  const uint64_t e19 = UINT64_C(10000000000000000000);
  uint64_t parts[3];
  int k = 0;
  while (u >= e19) {
    parts[k++] = (uint64_t)(u % e19);
    u /= e19;
  }
  int n = cy_format_uint64((uint64_t)u, out);
  while (k > 0) { /* lower parts have exactly 19 digits, zero-padded */
    uint64_t part = parts[--k];
    int len = count_digits(part);
    memset(out + n, '0', (size_t)(19 - len));
    write_digits(part, len, out + n + 19 - len);
    n += 19;
  }
  return n;
}

int cy_format_decimal128(uint64_t lo, int64_t hi, int32_t scale, char *out) {
  unsigned __int128 u = ((unsigned __int128)(uint64_t)hi << 64) | lo;
  char *p = out;
  if (hi < 0) {
    *p++ = '-';
    u = -u; /* two's complement magnitude; right for the most negative value too */
  }
  char digits[40];
  int n = u128_digits(u, digits);
  if (scale > 38 || scale < -38) { /* outside any precision: exponent form */
    memcpy(p, digits, (size_t)n);
    p += n;
    *p++ = 'e';
    return (int)(p - out) + cy_format_int64(-(int64_t)scale, p);
  }
  if (scale <= 0) {
    memcpy(p, digits, (size_t)n);
    p += n;
    if (u != 0) {
      memset(p, '0', (size_t)-scale);
      p += -scale;
    }
  } else if (n <= scale) {
    *p++ = '0';
    *p++ = '.';
    memset(p, '0', (size_t)(scale - n));
    p += scale - n;
    memcpy(p, digits, (size_t)n);
    p += n;
  } else {
    memcpy(p, digits, (size_t)(n - scale));
    p += n - scale;
    *p++ = '.';
    memcpy(p, digits + n - scale, (size_t)scale);
    p += scale;
  }
  return (int)(p - out);
}

/* Bytes a blob shows as themselves: printable ASCII but the backslash and the quotes. */
static inline bool blob_plain(uint8_t c) {
  return c >= 0x20 && c < 0x7f && c != '\\' && c != '"' && c != '\'';
}

int64_t cy_format_binary_length(const uint8_t *bytes, int64_t n) {
  int64_t len = n;
  for (int64_t i = 0; i < n; i++)
    if (!blob_plain(bytes[i])) len += 3;
  return len;
}

int64_t cy_format_binary(const uint8_t *bytes, int64_t n, char *out) {
  static const char hex[] = "0123456789ABCDEF";
  char *p = out;
  for (int64_t i = 0; i < n; i++) {
    uint8_t c = bytes[i];
    if (blob_plain(c)) {
      *p++ = (char)c;
    } else {
      p[0] = '\\';
      p[1] = 'x';
      p[2] = hex[c >> 4];
      p[3] = hex[c & 15];
      p += 4;
    }
  }
  return p - out;
}

int cy_format_fixed(const cy_column *col, int64_t i, char *out) {
  const void *d = col->type.id == CY_BOOL ? NULL : cy_column_data(col);
  switch (col->type.id) {
    case CY_BOOL: return cy_format_bool(cy_column_bool(col, i), out);
    case CY_INT8: return cy_format_int64(((const int8_t *)d)[i], out);
    case CY_INT16: return cy_format_int64(((const int16_t *)d)[i], out);
    case CY_INT32: return cy_format_int64(((const int32_t *)d)[i], out);
    case CY_INT64: return cy_format_int64(((const int64_t *)d)[i], out);
    case CY_UINT8: return cy_format_uint64(((const uint8_t *)d)[i], out);
    case CY_UINT16: return cy_format_uint64(((const uint16_t *)d)[i], out);
    case CY_UINT32: return cy_format_uint64(((const uint32_t *)d)[i], out);
    case CY_UINT64: return cy_format_uint64(((const uint64_t *)d)[i], out);
    case CY_FLOAT32: return cy_format_float(((const float *)d)[i], out);
    case CY_FLOAT64: return cy_format_double(((const double *)d)[i], out);
    case CY_DATE32: return cy_format_date32(((const int32_t *)d)[i], out);
    case CY_TIMESTAMP: {
      int n = cy_format_timestamp(((const int64_t *)d)[i], col->type.unit, out);
      if (col->type.timezone[0]) { /* values are UTC instants; say so */
        memcpy(out + n, "+00", 3);
        n += 3;
      }
      return n;
    }
    case CY_DECIMAL128: {
      const uint64_t *w = (const uint64_t *)d + 2 * i;
      return cy_format_decimal128(w[0], (int64_t)w[1], col->type.scale, out);
    }
    default: return 0;
  }
}

/* Copy n bytes to buf truncated to size (NUL-terminated); returns n. */
static int64_t copy_out(const void *src, int64_t n, char *buf, size_t size) {
  if (size > 0) {
    size_t m = (uint64_t)n < size ? (size_t)n : size - 1;
    if (m > 0) memcpy(buf, src, m);
    buf[m] = 0;
  }
  return n;
}

/* A blob's escaped text into buf, truncated to size; returns the full length. */
static int64_t blob_out(const uint8_t *bytes, int64_t n, char *buf, size_t size) {
  int64_t len = 0;
  char piece[4];
  for (int64_t i = 0; i < n; i++) {
    int64_t k = cy_format_binary(bytes + i, 1, piece);
    for (int64_t j = 0; j < k; j++, len++)
      if ((uint64_t)len + 1 < size) buf[len] = piece[j];
  }
  if (size > 0) buf[(uint64_t)len < size ? (size_t)len : size - 1] = 0;
  return len;
}

int64_t cy_column_format_value(const cy_column *col, int64_t i, const char *null_text,
                               char *buf, size_t size) {
  if (i < 0 || i >= col->length || !cy_column_is_valid(col, i)) {
    const char *s = null_text ? null_text : "";
    return copy_out(s, (int64_t)strlen(s), buf, size);
  }
  if (cy_type_is_var_width(col->type.id)) {
    int64_t len;
    const uint8_t *bytes = cy_column_bytes(col, i, &len);
    if (col->type.id == CY_BINARY || col->type.id == CY_LARGE_BINARY)
      return blob_out(bytes, len, buf, size);
    return copy_out(bytes, len, buf, size);
  }
  char tmp[CY_FORMAT_FIXED_MAX];
  return copy_out(tmp, cy_format_fixed(col, i, tmp), buf, size);
}
