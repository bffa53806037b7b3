/*
 * parquet_write_sample.c - write tables of known values with cy_parquet_write under many
 * settings, and print those values, for tests/oracle/parquet_write_diff.mjs to check what
 * DuckDB reads from the files.
 *
 *   parquet_write_sample OUT_DIR [ROWS]   (ROWS generated rows after the hand-picked ones;
 *                                         default 20000)
 *
 * The table has a column of every type cylon writes: int8..int64, uint8..uint64, float32,
 * float64, utf8, large_utf8, binary, large_binary, date32, timestamps in s / ms / us / ns,
 * zoned timestamps, bool, decimal128 of precisions 9, 18, 25 and 38 (INT32, INT64 and
 * FIXED_LEN_BYTE_ARRAY storage), plus columns meant for dictionaries (few distinct values)
 * and a column of nulls only. Its first rows hold hand-picked values (extremes, -0.0, NaN,
 * infinities, empty strings, non-ASCII text, a string too long for statistics, negative
 * days and instants, 38-digit decimals, every byte value); then come rows from a fixed
 * pseudo-random formula; nulls are sprinkled in every column, and row 0 is null throughout.
 *
 * Files written (settings in the "files" line below): every compression, dictionaries on
 * and off (and a dictionary limit so small that chunks fall back to PLAIN), row groups of a
 * few thousand rows, pages from 300 bytes to the default 1 MiB, statistics off, an empty
 * table, a one-row table, and the default file again on one thread (it must be identical).
 *
 * Standard output: first a JSON array of {"name", "duck"} (the DuckDB type the column must
 * read as); then a JSON array of {"file", "compression", "row_group_rows", "dictionary",
 * "statistics", "first", "rows"} (the table's rows [first, first + rows) are in the file);
 * then one JSON array per row of the whole table. Values are computed here from the C
 * values, never through cylon: null; integers and decimals as decimal strings (decimals
 * unscaled); floats as "%.17g" strings ("nan", "inf", "-inf", "-0"); strings as JSON
 * strings; dates as days since 1970-01-01 (a JSON number); timestamps as a decimal string
 * of microseconds (nanoseconds for the ns column); bools as true / false; binary as
 * lower-case hex.
 *
 * Exit status 0 when every file was written, 1 otherwise (message on stderr).
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"

typedef __int128 i128;

enum { C_K, C_I8, C_I16, C_I32, C_U8, C_U16, C_U32, C_U64, C_X, C_F, C_S, C_LS, C_CAT,
       C_BIN, C_LBIN, C_D, C_TS_S, C_TS_MS, C_TS, C_TS_NS, C_TZ, C_TZ_MS, C_B, C_DEC9,
       C_DEC18, C_DEC25, C_DEC38, C_LOW, C_NULLS, NCOLS };

static const char *names[NCOLS] = {
    "k",     "i8",    "i16",   "i32",   "u8",    "u16", "u32",   "u64",   "x",   "f",
    "s",     "ls",    "cat",   "bin",   "lbin",  "d",   "ts_s",  "ts_ms", "ts",  "ts_ns",
    "tz",    "tz_ms", "b",     "dec9",  "dec18", "dec25", "dec38", "low", "nulls"};
static const char *duck_types[NCOLS] = {
    "BIGINT",    "TINYINT",   "SMALLINT",     "INTEGER",      "UTINYINT",
    "USMALLINT", "UINTEGER",  "UBIGINT",      "DOUBLE",       "FLOAT",
    "VARCHAR",   "VARCHAR",   "VARCHAR",      "BLOB",         "BLOB",
    "DATE",      "TIMESTAMP", "TIMESTAMP",    "TIMESTAMP",    "TIMESTAMP_NS",
    "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE",    "BOOLEAN",
    "DECIMAL(9,2)", "DECIMAL(18,3)", "DECIMAL(25,5)", "DECIMAL(38,10)", "INTEGER", "BIGINT"};

static cy_type column_type(int c) {
  switch (c) {
    case C_K: case C_NULLS: return cy_type_make(CY_INT64);
    case C_I8: return cy_type_make(CY_INT8);
    case C_I16: return cy_type_make(CY_INT16);
    case C_I32: case C_LOW: return cy_type_make(CY_INT32);
    case C_U8: return cy_type_make(CY_UINT8);
    case C_U16: return cy_type_make(CY_UINT16);
    case C_U32: return cy_type_make(CY_UINT32);
    case C_U64: return cy_type_make(CY_UINT64);
    case C_X: return cy_type_make(CY_FLOAT64);
    case C_F: return cy_type_make(CY_FLOAT32);
    case C_S: case C_CAT: return cy_type_make(CY_UTF8);
    case C_LS: return cy_type_make(CY_LARGE_UTF8);
    case C_BIN: return cy_type_make(CY_BINARY);
    case C_LBIN: return cy_type_make(CY_LARGE_BINARY);
    case C_D: return cy_type_make(CY_DATE32);
    case C_TS_S: return cy_type_timestamp(CY_SECOND, NULL);
    case C_TS_MS: return cy_type_timestamp(CY_MILLI, NULL);
    case C_TS: return cy_type_timestamp(CY_MICRO, NULL);
    case C_TS_NS: return cy_type_timestamp(CY_NANO, NULL);
    case C_TZ: return cy_type_timestamp(CY_MICRO, "UTC");
    case C_TZ_MS: return cy_type_timestamp(CY_MILLI, "Europe/Paris");
    case C_B: return cy_type_make(CY_BOOL);
    case C_DEC9: return cy_type_decimal128(9, 2);
    case C_DEC18: return cy_type_decimal128(18, 3);
    case C_DEC25: return cy_type_decimal128(25, 5);
    default: return cy_type_decimal128(38, 10);
  }
}

/* One value of any column. */
typedef struct value {
  bool null;
  int64_t i; /* signed ints, dates, timestamps, bools */
  uint64_t u; /* unsigned ints */
  double d;  /* float64, float32 (exactly a float) */
  i128 dec;
  const char *bytes; /* utf8 and binary */
  int64_t len;
} value;

/* ---- the hand-picked values -------------------------------------------------------- */

#define NSPECIAL 40 /* rows of hand-picked values; row 0 is null in every column */
#define S(lit) {false, 0, 0, 0, 0, lit, (int64_t)sizeof(lit) - 1}
#define LEN(a) (int)(sizeof(a) / sizeof((a)[0]))

static const int64_t special_k[] = {INT64_MIN, INT64_MAX, -1, 0, 1, 9007199254740993};
static const int64_t special_i8[] = {INT8_MIN, INT8_MAX, -1, 0, 1};
static const int64_t special_i16[] = {INT16_MIN, INT16_MAX, -1, 0, 300};
static const int64_t special_i32[] = {INT32_MIN, INT32_MAX, -1, 0, 70000};
static const uint64_t special_u8[] = {UINT8_MAX, 0, 128, 1};
static const uint64_t special_u16[] = {UINT16_MAX, 0, 32768, 1};
static const uint64_t special_u32[] = {UINT32_MAX, 0, 2147483648u, 1};
static const uint64_t special_u64[] = {UINT64_MAX, 0, 9223372036854775808u, 1};
static const double special_x[] = {-0.0, 0.0, INFINITY, -INFINITY, NAN, DBL_TRUE_MIN,
                                   DBL_MIN, DBL_MAX, -DBL_MAX, 0.1, 1.0 / 3.0, -2.5e-300};
static const double special_f[] = {-0.0, 0.0, INFINITY, -INFINITY, NAN, FLT_TRUE_MIN,
                                   FLT_MIN, FLT_MAX, (double)0.1f, (double)-3.4e38f};
static char long_text[1500];
static value special_s[] = {S(""),    S("plain"),     S("a,b"),     S("ünïcödé ✓"),
                            S("日本語"), S("emoji 😀"), S("\xef\xbf\xbf"), S("z"),
                            S("line\nbreak"), {false, 0, 0, 0, 0, long_text, 1500}};
static const char *const categories[] = {"red", "green", "blue", "", "ünï"};
static const int64_t special_d[] = {0, -1, 1, 11016, -719162 /* 0001-01-01 */,
                                    2932896 /* 9999-12-31 */, -25567};
static const int64_t special_ts_s[] = {0, -1, 1, 1577840523, -62135596800, 253402300799};
static const int64_t special_ts_ms[] = {0, -1, 1, 1577840523500, -1500, 253402300799999,
                                        -62135596800000};
static const int64_t special_ts[] = {0, -1, 1, 1577840523123456, -62135596800000000,
                                     253402300799999999, 1000000, -1000001};
static const int64_t special_ts_ns[] = {0, -1, 1, 1577840523123456789, -999999999,
                                        9223372036854775806, -9223286400000000000};
static const int64_t special_b[] = {1, 0};
static i128 special_dec9[5], special_dec18[5], special_dec25[5], special_dec38[8];
static char all_bytes[256];
static value special_bin[] = {S(""), S("\0"), S("a\0b"), S("\xff"),
                              {false, 0, 0, 0, 0, all_bytes, 256}, S("\x80\x7f")};

static i128 pow10_i128(int n) {
  i128 p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

static void init_specials(void) {
  for (int i = 0; i < 256; i++) all_bytes[i] = (char)i;
  for (int i = 0; i < LEN(long_text); i++) long_text[i] = (char)('a' + i % 26);
  const i128 p9 = pow10_i128(9), p18 = pow10_i128(18), p25 = pow10_i128(25),
             p38 = pow10_i128(38);
  const i128 a[5] = {p9 - 1, -(p9 - 1), 0, 150, -1};
  memcpy(special_dec9, a, sizeof a);
  const i128 b[5] = {p18 - 1, -(p18 - 1), 0, 1500, -1};
  memcpy(special_dec18, b, sizeof b);
  const i128 c[5] = {p25 - 1, -(p25 - 1), 0, (i128)1 << 70, -1};
  memcpy(special_dec25, c, sizeof c);
  i128 big = 0; /* 12345678901234567890123456789012345678 */
  for (int i = 0; i < 38; i++) big = big * 10 + (i % 10 + 1) % 10;
  const i128 d[8] = {p38 - 1, -(p38 - 1), 0, 1, -1, big, -big, (i128)1 << 100};
  memcpy(special_dec38, d, sizeof d);
}

/* Row r < NSPECIAL of column c. */
static value special_value(int c, int r) {
  value v = {0};
  if (r == 0 || c == C_NULLS || (r * 7 + c * 5) % 11 == 3) {
    v.null = true;
    return v;
  }
  int k = r - 1;
  switch (c) {
    case C_K: v.i = special_k[k % LEN(special_k)]; break;
    case C_I8: v.i = special_i8[k % LEN(special_i8)]; break;
    case C_I16: v.i = special_i16[k % LEN(special_i16)]; break;
    case C_I32: v.i = special_i32[k % LEN(special_i32)]; break;
    case C_U8: v.u = special_u8[k % LEN(special_u8)]; break;
    case C_U16: v.u = special_u16[k % LEN(special_u16)]; break;
    case C_U32: v.u = special_u32[k % LEN(special_u32)]; break;
    case C_U64: v.u = special_u64[k % LEN(special_u64)]; break;
    case C_X: v.d = special_x[k % LEN(special_x)]; break;
    case C_F: v.d = special_f[k % LEN(special_f)]; break;
    case C_S: case C_LS: v = special_s[k % LEN(special_s)]; break;
    case C_CAT: v.bytes = categories[k % LEN(categories)]; v.len = (int64_t)strlen(v.bytes); break;
    case C_BIN: case C_LBIN: v = special_bin[k % LEN(special_bin)]; break;
    case C_D: v.i = special_d[k % LEN(special_d)]; break;
    case C_TS_S: v.i = special_ts_s[k % LEN(special_ts_s)]; break;
    case C_TS_MS: case C_TZ_MS: v.i = special_ts_ms[k % LEN(special_ts_ms)]; break;
    case C_TS: case C_TZ: v.i = special_ts[k % LEN(special_ts)]; break;
    case C_TS_NS: v.i = special_ts_ns[k % LEN(special_ts_ns)]; break;
    case C_B: v.i = special_b[k % LEN(special_b)]; break;
    case C_DEC9: v.dec = special_dec9[k % LEN(special_dec9)]; break;
    case C_DEC18: v.dec = special_dec18[k % LEN(special_dec18)]; break;
    case C_DEC25: v.dec = special_dec25[k % LEN(special_dec25)]; break;
    case C_DEC38: v.dec = special_dec38[k % LEN(special_dec38)]; break;
    default: v.i = k % 3; break; /* C_LOW */
  }
  return v;
}

/* ---- the generated values ----------------------------------------------------------- */

static uint64_t mix(uint64_t z) { /* splitmix64 */
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Text pieces for generated strings: whole UTF-8 characters of 1 to 4 bytes. */
static const char *const pieces[] = {"a", "b", "Z", "0", ",", "\"", "\n", " ",
                                     "é", "✓", "\\", "'", "😀", "日", "\t", "~"};
static char gen_text[1 << 23]; /* generated strings and blobs live here */
static size_t gen_used;

static value gen_string(uint64_t y, uint64_t z) {
  value v = {0};
  int n = (int)(z % 11);
  v.bytes = gen_text + gen_used;
  for (int i = 0; i < n; i++) {
    const char *p = pieces[(y >> (4 * i)) & 15];
    size_t len = strlen(p);
    memcpy(gen_text + gen_used, p, len);
    gen_used += len;
  }
  v.len = gen_text + gen_used - v.bytes;
  return v;
}

static value gen_blob(uint64_t y, uint64_t z) {
  value v = {0};
  int n = (int)(z % 9);
  v.bytes = gen_text + gen_used;
  for (int i = 0; i < n; i++) gen_text[gen_used++] = (char)(y >> (8 * (i % 8)) ^ (uint64_t)i);
  v.len = n;
  return v;
}

/* Row r of column c, from a formula of (r, c) alone. */
static value generated_value(int c, int64_t r) {
  uint64_t s = mix((uint64_t)r * 0x9E3779B97F4A7C15ull + (uint64_t)c * 0xD1B54A32D192ED03ull);
  uint64_t y = mix(s), z = mix(s + 1);
  value v = {0};
  if (s % 10 == 0 || c == C_NULLS) {
    v.null = true;
    return v;
  }
  switch (c) {
    case C_K: v.i = (int64_t)y; break;
    case C_I8: v.i = (int8_t)y; break;
    case C_I16: v.i = (int16_t)y; break;
    case C_I32: v.i = (int32_t)(uint32_t)y; break;
    case C_U8: v.u = (uint8_t)y; break;
    case C_U16: v.u = (uint16_t)y; break;
    case C_U32: v.u = (uint32_t)y; break;
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
    case C_S: case C_LS: v = gen_string(y, z); break;
    case C_CAT:
      v.bytes = categories[y % LEN(categories)];
      v.len = (int64_t)strlen(v.bytes);
      break;
    case C_BIN: case C_LBIN: v = gen_blob(y, z); break;
    case C_D: v.i = (int64_t)(y % 1460000) - 730000; break;
    case C_TS_S: v.i = (int64_t)(y % 20000000000ull) - 10000000000; break;
    case C_TS_MS: case C_TZ_MS: v.i = (int64_t)(y % 20000000000000ull) - 10000000000000; break;
    case C_TS: case C_TZ: v.i = (int64_t)(y % 20000000000000000ull) - 10000000000000000; break;
    case C_TS_NS: {
      int64_t m = (int64_t)(y % 9000000000000000000ull);
      v.i = (z >> 62) & 1 ? -m : m;
      break;
    }
    case C_B: v.i = (int64_t)(y & 1); break;
    case C_DEC9: v.dec = (i128)(y % 1999999999ull) - 999999999; break;
    case C_DEC18: v.dec = (i128)(y % 2000000000000000000ull) - 1000000000000000000; break;
    case C_DEC25: {
      i128 m = (i128)(y % 10000000000000ull) * 1000000000000ll + (i128)(z % 1000000000000ull);
      v.dec = (z >> 63) ? -m : m;
      break;
    }
    case C_DEC38: {
      i128 p19 = 10000000000000000000ull;
      i128 m = (i128)(y % 10000000000000000000ull) * p19 + (i128)(z % 10000000000000000000ull);
      v.dec = (z >> 63) ? -m : m;
      break;
    }
    default: v.i = (int64_t)(y % 50) - 10; break; /* C_LOW */
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
    case C_U8: case C_U16: case C_U32: case C_U64: printf("\"%" PRIu64 "\"", v->u); break;
    case C_X: case C_F: print_double(v->d); break;
    case C_S: case C_LS: case C_CAT: print_json_string(v->bytes, v->len); break;
    case C_D: printf("%" PRId64, v->i); break;
    case C_TS_S: printf("\"%" PRId64 "\"", v->i * 1000000); break;
    case C_TS_MS: case C_TZ_MS: printf("\"%" PRId64 "\"", v->i * 1000); break;
    case C_B: printf(v->i ? "true" : "false"); break;
    case C_DEC9: case C_DEC18: case C_DEC25: case C_DEC38:
      putchar('"');
      print_i128(v->dec);
      putchar('"');
      break;
    case C_BIN: case C_LBIN:
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
    case C_U8: case C_U16: case C_U32: case C_U64: return cy_builder_append_uint(b, v->u, err);
    case C_X: case C_F: return cy_builder_append_double(b, v->d, err);
    case C_S: case C_LS: case C_CAT: case C_BIN: case C_LBIN:
      return cy_builder_append_bytes(b, v->bytes, v->len, err);
    case C_DEC9: case C_DEC18: case C_DEC25: case C_DEC38: {
      unsigned __int128 x = (unsigned __int128)v->dec;
      return cy_builder_append_decimal128(b, (uint64_t)x, (int64_t)(x >> 64), err);
    }
    default: return cy_builder_append_int(b, v->i, err);
  }
}

/* ---- the files ---------------------------------------------------------------------- */

typedef struct file_spec {
  const char *file;
  cy_compression compression;
  int level;
  int64_t row_group_rows, page_bytes, dictionary_page_bytes;
  bool dictionary, statistics;
  int threads;
  int64_t first, rows; /* -1 rows: the whole table */
} file_spec;

#define MIB (1 << 20)
static const file_spec files[] = {
    {"default.parquet", CY_COMPRESSION_SNAPPY, 0, 1 << 20, MIB, MIB, true, true, 0, 0, -1},
    {"default_t1.parquet", CY_COMPRESSION_SNAPPY, 0, 1 << 20, MIB, MIB, true, true, 1, 0, -1},
    {"none_plain.parquet", CY_COMPRESSION_NONE, 0, 5000, 4096, MIB, false, true, 0, 0, -1},
    {"gzip_small.parquet", CY_COMPRESSION_GZIP, 0, 3000, 1000, MIB, true, true, 0, 0, -1},
    {"zstd_tiny.parquet", CY_COMPRESSION_ZSTD, 0, 7000, 300, MIB, true, true, 0, 0, -1},
    {"zstd_9.parquet", CY_COMPRESSION_ZSTD, 9, 1 << 20, MIB, MIB, true, true, 0, 0, -1},
    {"lz4_raw.parquet", CY_COMPRESSION_LZ4_RAW, 0, 10000, 65536, MIB, false, true, 0, 0, -1},
    {"brotli_fallback.parquet", CY_COMPRESSION_BROTLI, 0, 4096, 8192, 64, true, true, 0, 0, -1},
    {"nostats.parquet", CY_COMPRESSION_SNAPPY, 0, 2500, MIB, MIB, true, false, 0, 0, -1},
    {"empty.parquet", CY_COMPRESSION_SNAPPY, 0, 1 << 20, MIB, MIB, true, true, 0, 0, 0},
    {"one_row.parquet", CY_COMPRESSION_ZSTD, 0, 1 << 20, MIB, MIB, true, true, 0, 7, 1},
};
#define NFILES (int)(sizeof(files) / sizeof(files[0]))

static cy_status write_file(cy_table *t, const char *dir, const file_spec *f, cy_error *err) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, f->file);
  cy_parquet_write_options o;
  cy_parquet_write_options_init(&o);
  o.compression = f->compression;
  o.compression_level = f->level;
  o.row_group_rows = f->row_group_rows;
  o.page_bytes = f->page_bytes;
  o.dictionary = f->dictionary;
  o.dictionary_page_bytes = f->dictionary_page_bytes;
  o.statistics = f->statistics;
  o.num_threads = f->threads;
  cy_table *part = NULL;
  cy_status st = cy_table_slice(t, f->first, f->rows < 0 ? t->num_rows : f->rows, &part, err);
  if (st == CY_OK) st = cy_parquet_write(part, path, &o, err);
  cy_table_release(part);
  return st;
}

static void print_files(int64_t rows) {
  printf("[");
  for (int i = 0; i < NFILES; i++) {
    const file_spec *f = &files[i];
    printf("%s{\"file\": \"%s\", \"compression\": \"%s\", \"row_group_rows\": %lld, "
           "\"dictionary\": %s, \"statistics\": %s, \"first\": %lld, \"rows\": %lld}",
           i ? ", " : "", f->file, cy_compression_name(f->compression),
           (long long)f->row_group_rows, f->dictionary ? "true" : "false",
           f->statistics ? "true" : "false", (long long)f->first,
           (long long)(f->rows < 0 ? rows : f->rows));
  }
  printf("]\n");
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: parquet_write_sample OUT_DIR [ROWS]\n");
    return 2;
  }
  int64_t generated = argc == 3 ? strtoll(argv[2], NULL, 10) : 20000;
  int64_t rows = NSPECIAL + generated;
  init_specials();
  cy_error err;
  cy_builder builders[NCOLS];
  for (int c = 0; c < NCOLS; c++) {
    if (cy_builder_init(&builders[c], column_type(c), rows, &err) != CY_OK) {
      fprintf(stderr, "parquet_write_sample: %s\n", err.message);
      return 1;
    }
  }
  printf("[");
  for (int c = 0; c < NCOLS; c++)
    printf("%s{\"name\": \"%s\", \"duck\": \"%s\"}", c ? ", " : "", names[c], duck_types[c]);
  printf("]\n");
  print_files(rows);
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
    if (gen_used > sizeof gen_text - 1024) {
      fprintf(stderr, "parquet_write_sample: too many rows for the text buffer\n");
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
  for (int i = 0; i < NFILES && st == CY_OK; i++) st = write_file(t, argv[1], &files[i], &err);
  for (int c = 0; c < NCOLS; c++) cy_column_release(cols[c]);
  cy_table_release(t);
  if (st != CY_OK) {
    fprintf(stderr, "parquet_write_sample: %s\n", err.message);
    return 1;
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
