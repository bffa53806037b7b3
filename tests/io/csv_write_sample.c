/*
 * csv_write_sample.c - write a table of known values with cy_csv_write, and print those
 * values, for tests/oracle/csv_write_diff.mjs to check what DuckDB reads from the file.
 *
 *   csv_write_sample OUT.csv [ROWS]   (ROWS generated rows after the hand-picked ones;
 *                                      default 20000)
 *
 * The table has one column per type DuckDB can read back from CSV: int64, int32, uint64,
 * float64, float32, utf8, date32, timestamp in s, ms, us and ns, timestamp[us, UTC], bool,
 * decimal128(18, 3), decimal128(38, 10) and binary. Its first rows hold hand-picked values
 * (extremes, -0.0, NaN, infinities, subnormals, quotes, delimiters, newlines, CR, empty
 * strings, non-ASCII, negative days and instants, 38-digit decimals, every byte value);
 * after them come rows from a fixed pseudo-random formula; nulls are sprinkled in every
 * column, and one row is null throughout.
 *
 * Standard output, the expected values, computed here from the C values and never through
 * cylon's text formatting: first a JSON array of {"name", "duck"} (the DuckDB type to read
 * the column as), then one JSON array per row. Value forms: null; integers and decimals as
 * decimal strings (decimals unscaled: 1.5 in DECIMAL(18, 3) is "1500"); floats as "%.17g"
 * strings ("nan", "inf", "-inf", "-0"), which read back to the same double; strings as JSON
 * strings; dates as days since 1970-01-01 (a JSON number); timestamps as a decimal string
 * of microseconds (nanoseconds for the ns column); bools as true / false; binary as
 * lower-case hex.
 *
 * Exit status 0 when the file was written, 1 otherwise (message on stderr).
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"

typedef __int128 i128;

enum { C_K, C_I32, C_U64, C_X, C_F, C_S, C_D, C_TS_S, C_TS_MS, C_TS, C_TS_NS, C_TZ, C_B,
       C_DEC, C_DEC38, C_BIN, NCOLS };

static const char *names[NCOLS] = {"k",     "i32",   "u64", "x",   "f",     "s",
                                   "d",     "ts_s",  "ts_ms", "ts", "ts_ns", "tz",
                                   "b",     "dec",   "dec38", "bin"};
static const char *duck_types[NCOLS] = {
    "BIGINT",    "INTEGER",   "UBIGINT",      "DOUBLE",       "FLOAT",   "VARCHAR",
    "DATE",      "TIMESTAMP", "TIMESTAMP",    "TIMESTAMP",    "TIMESTAMP_NS",
    "TIMESTAMPTZ", "BOOLEAN", "DECIMAL(18,3)", "DECIMAL(38,10)", "BLOB"};

static cy_type column_type(int c) {
  switch (c) {
    case C_K: return cy_type_make(CY_INT64);
    case C_I32: return cy_type_make(CY_INT32);
    case C_U64: return cy_type_make(CY_UINT64);
    case C_X: return cy_type_make(CY_FLOAT64);
    case C_F: return cy_type_make(CY_FLOAT32);
    case C_S: return cy_type_make(CY_UTF8);
    case C_D: return cy_type_make(CY_DATE32);
    case C_TS_S: return cy_type_timestamp(CY_SECOND, NULL);
    case C_TS_MS: return cy_type_timestamp(CY_MILLI, NULL);
    case C_TS: return cy_type_timestamp(CY_MICRO, NULL);
    case C_TS_NS: return cy_type_timestamp(CY_NANO, NULL);
    case C_TZ: return cy_type_timestamp(CY_MICRO, "UTC");
    case C_B: return cy_type_make(CY_BOOL);
    case C_DEC: return cy_type_decimal128(18, 3);
    case C_DEC38: return cy_type_decimal128(38, 10);
    default: return cy_type_make(CY_BINARY);
  }
}

/* One value of any column. */
typedef struct value {
  bool null;
  int64_t i; /* ints, dates, timestamps, bools */
  uint64_t u;
  double d;  /* float64, float32 (exactly a float) */
  i128 dec;
  const char *bytes; /* utf8 and binary */
  int64_t len;
} value;

/* ---- the hand-picked values -------------------------------------------------------- */

#define NSPECIAL 24 /* rows of hand-picked values; row 0 is null in every column */
#define S(lit) {false, 0, 0, 0, 0, lit, (int64_t)sizeof(lit) - 1}

static const int64_t special_k[] = {INT64_MIN, INT64_MAX, -1, 0, 1, 9007199254740993};
static const int64_t special_i32[] = {INT32_MIN, INT32_MAX, -1, 0};
static const uint64_t special_u64[] = {UINT64_MAX, 0, 9223372036854775808u, 1};
static const double special_x[] = {-0.0, 0.0, INFINITY, -INFINITY, NAN, DBL_TRUE_MIN,
                                   DBL_MIN, DBL_MAX, -DBL_MAX, 1e300, 0.1, 1.0 / 3.0,
                                   0x1.ffffffffffffep-1023, 1e16, 1e-5, 123456789.125,
                                   0.1 + 0.2, 1e22, -2.5e-300};
static const double special_f[] = {-0.0, 0.0, INFINITY, -INFINITY, NAN, FLT_TRUE_MIN,
                                   FLT_MIN, FLT_MAX, (double)0.1f, (double)(1.0f / 3.0f),
                                   (double)1e-40f, 16777216.0, (double)3.4e38f};
static const value special_s[] = {S(""),           S("plain"),       S("a,b"),
                                  S("say \"hi\""), S("\""),          S("line\nbreak"),
                                  S("cr\rx"),      S("crlf\r\n"),    S(" lead"),
                                  S("trail "),     S("ünïcödé ✓"),   S("日本語"),
                                  S("NULL"),       S("\\N"),         S("x\n\n\ny"),
                                  S("tab\tx"),     S("#hash"),       S("'q'"),
                                  S("1"),          S("2020-01-01"),  S("emoji 😀")};
static const int64_t special_d[] = {0, -1, 1, 11016, -719162 /* 0001-01-01 */,
                                    -719893 /* -0001-01-01, 2 BC */, 2932896 /* 9999-12-31 */,
                                    2932897 /* 10000-01-01 */, -25567, -1000000};
static const int64_t special_ts_s[] = {0, -1, 1, 1577840523, -62135596800, 253402300799,
                                       -62167219200 /* 0000-01-01 */};
static const int64_t special_ts_ms[] = {0, -1, 1, 1577840523500, -1500, 253402300799999,
                                        -62135596800000};
static const int64_t special_ts[] = {0, -1, 1, 1577840523123456, -62135596800000000,
                                     253402300799999999, 1000000, -1000001};
static const int64_t special_ts_ns[] = {0, -1, 1, 1577840523123456789, -999999999,
                                        9223372036854775806 /* 2262-04-11, DuckDB's last */,
                                        -9223286400000000000 /* 1677-09-22 */};
static const int64_t special_tz[] = {0, -1, 1577840523123456, -62135596800000000,
                                     253402300799999999};
static const int64_t special_b[] = {1, 0};
static i128 special_dec[6], special_dec38[8];
static char all_bytes[256];
static value special_bin[] = {S(""), S("\0"), S("a\0b"), S("\\"), S("\""), S("\xff"),
                              {false, 0, 0, 0, 0, all_bytes, 256}, S(","), S("\n"),
                              S("\\x41"), S("NULL"), S("é")};

#define LEN(a) (int)(sizeof(a) / sizeof((a)[0]))

static void init_specials(void) {
  for (int i = 0; i < 256; i++) all_bytes[i] = (char)i;
  i128 p18 = 1, p38 = 1;
  for (int i = 0; i < 18; i++) p18 *= 10;
  for (int i = 0; i < 38; i++) p38 *= 10;
  const i128 a[6] = {p18 - 1, -(p18 - 1), 0, 1500, -1, 123456789};
  memcpy(special_dec, a, sizeof a);
  i128 big = 0; /* 12345678901234567890123456789012345678 */
  for (int i = 0; i < 38; i++) big = big * 10 + (i % 10 + 1) % 10;
  const i128 b[8] = {p38 - 1, -(p38 - 1), 0, 1, -1, big, -big, (i128)1 << 100};
  memcpy(special_dec38, b, sizeof b);
}

/* Row r < NSPECIAL of column c. */
static value special_value(int c, int r) {
  value v = {0};
  /* Row 0 null throughout; otherwise a column-dependent sprinkle of nulls. */
  if (r == 0 || (r * 7 + c * 5) % 11 == 3) {
    v.null = true;
    return v;
  }
  int k = r - 1;
  switch (c) {
    case C_K: v.i = special_k[k % LEN(special_k)]; break;
    case C_I32: v.i = special_i32[k % LEN(special_i32)]; break;
    case C_U64: v.u = special_u64[k % LEN(special_u64)]; break;
    case C_X: v.d = special_x[k % LEN(special_x)]; break;
    case C_F: v.d = special_f[k % LEN(special_f)]; break;
    case C_S: v = special_s[k % LEN(special_s)]; break;
    case C_D: v.i = special_d[k % LEN(special_d)]; break;
    case C_TS_S: v.i = special_ts_s[k % LEN(special_ts_s)]; break;
    case C_TS_MS: v.i = special_ts_ms[k % LEN(special_ts_ms)]; break;
    case C_TS: v.i = special_ts[k % LEN(special_ts)]; break;
    case C_TS_NS: v.i = special_ts_ns[k % LEN(special_ts_ns)]; break;
    case C_TZ: v.i = special_tz[k % LEN(special_tz)]; break;
    case C_B: v.i = special_b[k % LEN(special_b)]; break;
    case C_DEC: v.dec = special_dec[k % LEN(special_dec)]; break;
    case C_DEC38: v.dec = special_dec38[k % LEN(special_dec38)]; break;
    default: v = special_bin[k % LEN(special_bin)]; break;
  }
  return v;
}

/* ---- the generated values ----------------------------------------------------------- */

static uint64_t mix(uint64_t z) { /* splitmix64 */
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Text pieces for generated strings: whole UTF-8 characters and the bytes CSV cares about. */
static const char *const pieces[] = {"a", "b", "Z", "0", ",", "\"", "\n", "\r", " ",
                                     ";", "é", "✓", "\\", "'", "|", "\t"};
static char gen_text[1 << 22]; /* generated strings and blobs live here */
static size_t gen_used;

/* Row r of column c, from a formula of (r, c) alone. */
static value generated_value(int c, int64_t r) {
  uint64_t s = mix((uint64_t)r * 0x9E3779B97F4A7C15ull + (uint64_t)c * 0xD1B54A32D192ED03ull);
  uint64_t y = mix(s), z = mix(s + 1);
  value v = {0};
  if (s % 10 == 0) {
    v.null = true;
    return v;
  }
  switch (c) {
    case C_K: v.i = (int64_t)y; break;
    case C_I32: v.i = (int32_t)(uint32_t)y; break;
    case C_U64: v.u = y; break;
    case C_X: { /* exact doubles of every magnitude from 2^-70 to 2^70 */
      double m = (double)(y >> 11);
      v.d = ldexp(m, (int)(z % 140) - 70 - 53) * ((z >> 32) & 1 ? -1 : 1);
      break;
    }
    case C_F: {
      float m = (float)(y >> 40); /* 24 bits: exactly a float */
      v.d = (double)ldexpf(m, (int)(z % 60) - 30 - 24) * ((z >> 32) & 1 ? -1 : 1);
      break;
    }
    case C_S: {
      int n = (int)(z % 11);
      v.bytes = gen_text + gen_used;
      for (int i = 0; i < n; i++) {
        const char *p = pieces[(y >> (4 * i)) & 15];
        size_t len = strlen(p);
        memcpy(gen_text + gen_used, p, len);
        gen_used += len;
      }
      v.len = gen_text + gen_used - v.bytes;
      break;
    }
    case C_D: v.i = (int64_t)(y % 1460000) - 730000; break; /* about 28 BC to 3968 */
    case C_TS_S: v.i = (int64_t)(y % 20000000000ull) - 10000000000; break;
    case C_TS_MS: v.i = (int64_t)(y % 20000000000000ull) - 10000000000000; break;
    case C_TS: v.i = (int64_t)(y % 20000000000000000ull) - 10000000000000000; break;
    case C_TS_NS: { /* within DuckDB's TIMESTAMP_NS, 1677-09-22 to 2262-04-11 */
      int64_t m = (int64_t)(y % 9000000000000000000ull);
      v.i = (z >> 62) & 1 ? -m : m;
      break;
    }
    case C_TZ: v.i = (int64_t)(y % 20000000000000000ull) - 10000000000000000; break;
    case C_B: v.i = (int64_t)(y & 1); break;
    case C_DEC: v.dec = (i128)(y % 2000000000000000000ull) - 1000000000000000000; break;
    case C_DEC38: {
      i128 p19 = 10000000000000000000ull;
      i128 m = (i128)(y % 10000000000000000000ull) * p19 + (i128)(z % 10000000000000000000ull);
      v.dec = (z >> 63) ? -m : m;
      break;
    }
    default: {
      int n = (int)(z % 9);
      v.bytes = gen_text + gen_used;
      for (int i = 0; i < n; i++) gen_text[gen_used++] = (char)(y >> (8 * (i % 8)) ^ (uint64_t)i);
      v.len = n;
      break;
    }
  }
  return v;
}

/* ---- output ------------------------------------------------------------------------ */

static void print_i128(i128 v) {
  char buf[48];
  int n = 0;
  unsigned __int128 m = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
  do {
    buf[n++] = (char)('0' + (int)(m % 10));
    m /= 10;
  } while (m);
  if (v < 0) putchar('-');
  while (n) putchar(buf[--n]);
}

static void print_json_string(const char *s, int64_t n) {
  putchar('"');
  for (int64_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\') printf("\\%c", ch);
    else if (ch < 0x20) printf("\\u%04x", ch);
    else putchar(ch);
  }
  putchar('"');
}

static void print_double(double d) {
  if (isnan(d)) printf("\"nan\"");
  else if (isinf(d)) printf(d > 0 ? "\"inf\"" : "\"-inf\"");
  else printf("\"%.17g\"", d);
}

static void print_value(int c, const value *v) {
  if (v->null) {
    printf("null");
    return;
  }
  switch (c) {
    case C_U64: printf("\"%" PRIu64 "\"", v->u); break;
    case C_X: case C_F: print_double(v->d); break;
    case C_S: print_json_string(v->bytes, v->len); break;
    case C_D: printf("%" PRId64, v->i); break;
    case C_TS_S: printf("\"%" PRId64 "\"", v->i * 1000000); break;
    case C_TS_MS: printf("\"%" PRId64 "\"", v->i * 1000); break;
    case C_B: printf(v->i ? "true" : "false"); break;
    case C_DEC: case C_DEC38: putchar('"'); print_i128(v->dec); putchar('"'); break;
    case C_BIN:
      putchar('"');
      for (int64_t i = 0; i < v->len; i++) printf("%02x", (unsigned char)v->bytes[i]);
      putchar('"');
      break;
    default: printf("\"%" PRId64 "\"", v->i); break; /* ints, us and ns timestamps */
  }
}

static cy_status append(cy_builder *b, int c, const value *v, cy_error *err) {
  if (v->null) return cy_builder_append_null(b, err);
  switch (c) {
    case C_U64: return cy_builder_append_uint(b, v->u, err);
    case C_X: case C_F: return cy_builder_append_double(b, v->d, err);
    case C_S: case C_BIN: return cy_builder_append_bytes(b, v->bytes, v->len, err);
    case C_DEC: case C_DEC38: {
      unsigned __int128 x = (unsigned __int128)v->dec;
      return cy_builder_append_decimal128(b, (uint64_t)x, (int64_t)(x >> 64), err);
    }
    default: return cy_builder_append_int(b, v->i, err);
  }
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: csv_write_sample OUT.csv [ROWS]\n");
    return 2;
  }
  int64_t generated = argc == 3 ? strtoll(argv[2], NULL, 10) : 20000;
  int64_t rows = NSPECIAL + generated;
  init_specials();
  cy_error err;
  cy_builder builders[NCOLS];
  for (int c = 0; c < NCOLS; c++) {
    if (cy_builder_init(&builders[c], column_type(c), rows, &err) != CY_OK) {
      fprintf(stderr, "csv_write_sample: %s\n", err.message);
      return 1;
    }
  }
  printf("[");
  for (int c = 0; c < NCOLS; c++)
    printf("%s{\"name\": \"%s\", \"duck\": \"%s\"}", c ? ", " : "", names[c], duck_types[c]);
  printf("]\n");
  cy_status st = CY_OK;
  for (int64_t r = 0; r < rows && st == CY_OK; r++) {
    putchar('[');
    for (int c = 0; c < NCOLS && st == CY_OK; c++) {
      value v = r < NSPECIAL ? special_value(c, (int)r) : generated_value(c, r);
      if (c) printf(", ");
      print_value(c, &v);
      st = append(&builders[c], c, &v, &err);
    }
    printf("]\n");
    if (gen_used > sizeof gen_text - 256) {
      fprintf(stderr, "csv_write_sample: too many rows for the text buffer\n");
      return 1;
    }
  }
  cy_column *cols[NCOLS] = {0};
  for (int c = 0; c < NCOLS; c++) {
    if (st == CY_OK) st = cy_builder_finish(&builders[c], &cols[c], &err);
    cy_builder_reset(&builders[c]);
  }
  cy_table *t = NULL;
  if (st == CY_OK) st = cy_table_make(NCOLS, names, cols, &t, &err);
  if (st == CY_OK) st = cy_csv_write(t, argv[1], NULL, &err);
  for (int c = 0; c < NCOLS; c++) cy_column_release(cols[c]);
  cy_table_release(t);
  if (st != CY_OK) {
    fprintf(stderr, "csv_write_sample: %s\n", err.message);
    return 1;
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
