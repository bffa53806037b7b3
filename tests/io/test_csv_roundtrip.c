/*
 * test_csv_roundtrip.c - tables written with cy_csv_write and read back with cy_csv_read
 * must hold exactly the values and nulls that were put in.
 *
 * The tables are built with builders from literal C values, one column of every type in
 * core.h (bool, int8..int64, uint8..uint64 at their extremes; float32 and float64 with
 * -0.0, infinities, NaN, subnormals, 1e300, 0.1 and 1/3; utf8 and large utf8 with quotes,
 * delimiters, LF, CR, empty strings and non-ASCII; binary and large binary with every byte
 * value; date32 with negative days and five-digit years; timestamps in s, ms, us and ns
 * with negative values, the int64 extremes and time zones; decimal128 with negative and
 * 38-digit values), nulls sprinkled in every column and two all-null rows. Read back with
 * the same types given explicitly, every value is compared with the one put in (bit for
 * bit for floats, NaN equal to NaN) and every null with its null; the text in between is
 * never looked at, so the test does not depend on how values are formatted.
 *
 * Variations: other delimiters, quotes and null markers; no header; a slice (offset) of a
 * table; reading in tiny blocks on several threads; reading as a stream of small batches;
 * a table with no rows. Then the types inference produces (int64, float64, utf8, date32,
 * timestamp[us], timestamp[us, UTC], bool) read back with no types given; and one-column
 * tables of empty strings and nulls, where a null is an empty line.
 */
#include <float.h>
#include <math.h>
#include <unistd.h>

#include "test.h"

static cy_error err;
static char temp_dir[256];
static int file_counter;

#define ROWS 48         /* rows of the wide table */
#define MAX_REPORTS 12  /* mismatches printed per comparison */

/* ---- comparing tables ---------------------------------------------------------------- */

static void print_bytes(const uint8_t *p, int64_t n) {
  fputc('"', stderr);
  for (int64_t i = 0; i < n && i < 80; i++) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') fputc(p[i], stderr);
    else fprintf(stderr, "\\x%02x", p[i]);
  }
  fprintf(stderr, n > 80 ? "\"... (%lld bytes)" : "\"", (long long)n);
}

/* One value (row r of c, which is valid) for a report. */
static void print_value(const cy_column *c, int64_t r) {
  cy_type_id id = c->type.id;
  if (id == CY_BOOL) {
    fprintf(stderr, "%s", cy_column_bool(c, r) ? "true" : "false");
  } else if (cy_type_is_var_width(id)) {
    int64_t n;
    const uint8_t *p = cy_column_bytes(c, r, &n);
    print_bytes(p, n);
  } else if (id == CY_FLOAT32) {
    fprintf(stderr, "%.9g", (double)((const float *)cy_column_data(c))[r]);
  } else if (id == CY_FLOAT64) {
    fprintf(stderr, "%.17g", ((const double *)cy_column_data(c))[r]);
  } else {
    int w = cy_type_bit_width(id) / 8;
    const uint8_t *p = (const uint8_t *)cy_column_data(c) + r * w;
    fprintf(stderr, "0x");
    for (int i = w - 1; i >= 0; i--) fprintf(stderr, "%02x", p[i]);
  }
}

/* Whether row r of a equals row r of b (both valid, same type). */
static bool same_value(const cy_column *a, const cy_column *b, int64_t r) {
  cy_type_id id = a->type.id;
  if (id == CY_BOOL) return cy_column_bool(a, r) == cy_column_bool(b, r);
  if (cy_type_is_var_width(id)) {
    int64_t na, nb;
    const uint8_t *pa = cy_column_bytes(a, r, &na), *pb = cy_column_bytes(b, r, &nb);
    return na == nb && (na == 0 || memcmp(pa, pb, (size_t)na) == 0);
  }
  if (id == CY_FLOAT32) {
    float x = ((const float *)cy_column_data(a))[r], y = ((const float *)cy_column_data(b))[r];
    if (isnan(x) || isnan(y)) return isnan(x) && isnan(y);
    return memcmp(&x, &y, sizeof x) == 0; /* -0.0 differs from 0.0 */
  }
  if (id == CY_FLOAT64) {
    double x = ((const double *)cy_column_data(a))[r];
    double y = ((const double *)cy_column_data(b))[r];
    if (isnan(x) || isnan(y)) return isnan(x) && isnan(y);
    return memcmp(&x, &y, sizeof x) == 0;
  }
  int w = cy_type_bit_width(id) / 8;
  return memcmp((const uint8_t *)cy_column_data(a) + r * w,
                (const uint8_t *)cy_column_data(b) + r * w, (size_t)w) == 0;
}

/* got must equal want: names, types, row count, and every value and null. */
static void check_tables(const char *what, const cy_table *want, const cy_table *got) {
  if (got == NULL) {
    fprintf(stderr, "%s: no table read\n", what);
    test_failures++;
    return;
  }
  if (want->schema.num_fields != got->schema.num_fields || want->num_rows != got->num_rows) {
    char a[2048], b[2048];
    fprintf(stderr, "%s: wrote %lld rows %s, read %lld rows %s\n", what,
            (long long)want->num_rows, cy_schema_format(&want->schema, a, sizeof a),
            (long long)got->num_rows, cy_schema_format(&got->schema, b, sizeof b));
    test_failures++;
    return;
  }
  int reports = 0;
  for (int32_t c = 0; c < want->schema.num_fields; c++) {
    const cy_field *fw = &want->schema.fields[c], *fg = &got->schema.fields[c];
    char ta[96], tb[96];
    if (strcmp(fw->name, fg->name) != 0 || !cy_type_equals(&fw->type, &fg->type)) {
      fprintf(stderr, "%s: column %d is %s: %s, read %s: %s\n", what, (int)c, fw->name,
              cy_type_name(&fw->type, ta, sizeof ta), fg->name,
              cy_type_name(&fg->type, tb, sizeof tb));
      test_failures++;
      continue;
    }
    const cy_column *a = want->columns[c], *b = got->columns[c];
    if (a->null_count != b->null_count) {
      fprintf(stderr, "%s: column %s has %lld nulls, read %lld\n", what, fw->name,
              (long long)a->null_count, (long long)b->null_count);
      test_failures++;
    }
    for (int64_t r = 0; r < want->num_rows; r++) {
      bool va = cy_column_is_valid(a, r), vb = cy_column_is_valid(b, r);
      if (va == vb && (!va || same_value(a, b, r))) continue;
      test_failures++;
      if (reports++ >= MAX_REPORTS) continue;
      fprintf(stderr, "%s: column %s (%s), row %lld: wrote ", what, fw->name,
              cy_type_name(&fw->type, ta, sizeof ta), (long long)r);
      if (va) print_value(a, r);
      else fprintf(stderr, "null");
      fprintf(stderr, ", read ");
      if (vb) print_value(b, r);
      else fprintf(stderr, "null");
      fputc('\n', stderr);
    }
  }
  if (reports > MAX_REPORTS)
    fprintf(stderr, "%s: ... %d more mismatches\n", what, reports - MAX_REPORTS);
}

/* ---- building columns from literal values ------------------------------------------- */

typedef struct bytes {
  const char *p;
  int64_t n;
} bytes;
#define B(lit) {lit, (int64_t)sizeof(lit) - 1}

typedef __int128 i128;

typedef enum vkind { V_INT, V_UINT, V_DOUBLE, V_BYTES, V_DEC } vkind;

/* A column: its name, type, and the list of values its valid rows cycle through. */
typedef struct colspec {
  const char *name;
  cy_type type;
  vkind kind;
  int n;
  const int64_t *i;
  const uint64_t *u;
  const double *d;
  const bytes *s;
  const i128 *dec;
} colspec;

/* Rows 0 and ROWS - 1 are null in every column; others where a column-dependent pattern
 * says so, a few per column, never the same rows in all columns. */
static bool null_at(int c, int64_t r, int64_t rows) {
  return r == 0 || r == rows - 1 || (r * 5 + c * 3) % 7 == 2;
}

static cy_column *build_column(const colspec *cs, int c, int64_t rows) {
  cy_builder b;
  cy_column *out = NULL;
  OK(cy_builder_init(&b, cs->type, rows, &err));
  int k = 0; /* next value of the list */
  for (int64_t r = 0; r < rows; r++) {
    if (null_at(c, r, rows)) {
      OK(cy_builder_append_null(&b, &err));
      continue;
    }
    int v = k++ % cs->n;
    switch (cs->kind) {
      case V_INT: OK(cy_builder_append_int(&b, cs->i[v], &err)); break;
      case V_UINT: OK(cy_builder_append_uint(&b, cs->u[v], &err)); break;
      case V_DOUBLE: OK(cy_builder_append_double(&b, cs->d[v], &err)); break;
      case V_BYTES: OK(cy_builder_append_bytes(&b, cs->s[v].p, cs->s[v].n, &err)); break;
      case V_DEC: {
        unsigned __int128 x = (unsigned __int128)cs->dec[v];
        OK(cy_builder_append_decimal128(&b, (uint64_t)x, (int64_t)(x >> 64), &err));
        break;
      }
    }
  }
  /* Every listed value must have made it into the column. */
  if (k < cs->n) {
    fprintf(stderr, "column %s: only %d of its %d values fit in %lld rows\n", cs->name, k,
            cs->n, (long long)rows);
    test_failures++;
  }
  OK(cy_builder_finish(&b, &out, &err));
  cy_builder_reset(&b);
  return out;
}

static cy_table *build_table(const colspec *specs, int ncols, int64_t rows) {
  cy_column *cols[64];
  const char *names[64];
  for (int c = 0; c < ncols; c++) {
    cols[c] = build_column(&specs[c], c, rows);
    names[c] = specs[c].name;
  }
  cy_table *t = NULL;
  OK(cy_table_make(ncols, names, cols, &t, &err));
  for (int c = 0; c < ncols; c++) cy_column_release(cols[c]);
  return t;
}

#define LIST(arr) (int)(sizeof(arr) / sizeof((arr)[0]))
#define INTS(name, ty, arr) {name, ty, V_INT, LIST(arr), arr, NULL, NULL, NULL, NULL}
#define UINTS(name, ty, arr) {name, ty, V_UINT, LIST(arr), NULL, arr, NULL, NULL, NULL}
#define DOUBLES(name, ty, arr) {name, ty, V_DOUBLE, LIST(arr), NULL, NULL, arr, NULL, NULL}
#define BYTES(name, ty, arr) {name, ty, V_BYTES, LIST(arr), NULL, NULL, NULL, arr, NULL}
#define DECS(name, ty, arr) {name, ty, V_DEC, LIST(arr), NULL, NULL, NULL, NULL, arr}

/* ---- the values ---------------------------------------------------------------------- */

static const int64_t bools[] = {1, 0, 0, 1};
static const int64_t i8s[] = {INT8_MIN, -1, 0, 1, INT8_MAX};
static const int64_t i16s[] = {INT16_MIN, -1, 0, 255, INT16_MAX};
static const int64_t i32s[] = {INT32_MIN, -1, 0, 1, 65536, INT32_MAX};
static const int64_t i64s[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, 9007199254740993,
                               INT64_MAX - 1, INT64_MAX};
static const uint64_t u8s[] = {0, 1, 128, UINT8_MAX};
static const uint64_t u16s[] = {0, 1, 32768, UINT16_MAX};
static const uint64_t u32s[] = {0, 1, 2147483648u, UINT32_MAX};
static const uint64_t u64s[] = {0, 1, 9223372036854775807u, 9223372036854775808u,
                                UINT64_MAX - 1, UINT64_MAX};
static const double f32s[] = {
    -0.0, 0.0, INFINITY, -INFINITY, NAN, FLT_MIN, FLT_TRUE_MIN, -FLT_TRUE_MIN,
    (double)0x1.fffffcp-127f /* the largest subnormal */, (double)1e-40f, FLT_MAX, -FLT_MAX,
    (double)0.1f, (double)(1.0f / 3.0f), 16777216.0, 16777218.0, (double)1e10f,
    (double)123456.789f, -2.5, (double)3.4e38f, (double)1e-5f, (double)1e16f};
static const double f64s[] = {
    -0.0, 0.0, INFINITY, -INFINITY, NAN, -NAN, DBL_MIN, DBL_TRUE_MIN, -DBL_TRUE_MIN,
    0x1.ffffffffffffep-1023 /* the largest subnormal */, 2.2250738585072011e-308, 1e300,
    -1e300, DBL_MAX, -DBL_MAX, 0.1, 1.0 / 3.0, 2.0 / 3.0, 0.1 + 0.2, 1e16, 1e15,
    123456789012345678.0, 5e-5, 1e-5, 1e-4, 9007199254740993.0, 9007199254740991.0, -1.5,
    1e22, 1e23, 100.0, 1.0, 0x1.fffffffffffffp-1};
static char long_text[6000];
static bytes utf8s[] = {
    B(""), B("plain"), B("a,b"), B("say \"hi\""), B("\""), B("\"\""), B("line\nbreak"),
    B("cr\rx"), B("crlf\r\n"), B("\n"), B("\r"), B(","), B(" lead"), B("trail "),
    B("ünïcödé ✓"), B("日本語"), B("emoji 😀"), B("tab\tx"), B("NULL"), B("null"), B("\\N"),
    B("\\backslash\\"), B("#hash"), B("'single'"), B("it's"), B("x\n\n\ny"), B("\"\n\",;"),
    B(";"), B("1"), B("true"), {long_text, 0}};
static const bytes large_utf8s[] = {B("big"), B(""), B("é\""), B("a\nb"), B("x,y"),
                                    B("\r\n"), B("NULL"), B("\\N"), B("ok")};
static char all_bytes[256];
static bytes binaries[] = {B(""), B("\0"), B("a\0b"), B("\\"), B("\""), B("\xff"),
                           {all_bytes, 256}, B(","), B("\n"), B("\\x41"), B("plain"),
                           B("NULL"), B("\\N"), B("\r\n"), B("'"), B("\x7f"), B("é"),
                           B("x\"\"y")};
static const bytes large_binaries[] = {B("\0\xff"), B(""), B("\\x"), B("q\"q"), B("a,b")};
static const int64_t dates[] = {0, -1, 1, 11016 /* 2000-02-29 */, -719162 /* 0001-01-01 */,
                                -719893 /* -0001-01-01 */, 2932896 /* 9999-12-31 */,
                                2932897 /* 10000-01-01 */, -25567 /* 1900-01-01 */,
                                -100000, INT32_MIN, INT32_MAX};
static const int64_t secs[] = {0, -1, 1, 1577840523, -62135596800 /* 0001-01-01 */,
                               253402300799 /* 9999-12-31 23:59:59 */, -86401, 951782400};
static const int64_t millis[] = {0, -1, 1, 1577840523500, 1577840523120, -62135596800000,
                                 253402300799999, -1500};
static const int64_t micros[] = {0, -1, 1, 1577840523123456, -62135596800000000,
                                 253402300799999999, 1000000, -1000001, INT64_MAX,
                                 -9223372036000000000 /* -290308-12-21 20:13:20 */};
/* (the int64 extremes of every unit have a test of their own, test_timestamp_extremes) */
static const int64_t nanos[] = {0, -1, 1, 1577840523000000001, 1577840523123456789,
                                -999999999, 1000000000, INT64_MAX,
                                -9223372036000000000 /* 1677-09-21 00:12:44 */};
static const int64_t zoned[] = {0, -1, 1577840523123456, -62135596800000000,
                                253402300799999999};
static i128 dec38_0[8], dec10_2[8], dec38_38[6], dec20_10[6];

static void init_values(void) {
  for (int i = 0; i < 256; i++) all_bytes[i] = (char)i;
  /* 6000 bytes of everything a field can hold. */
  static const char piece[] = "ab,\"\n\r;'ü ";
  size_t n = 0;
  while (n + sizeof piece - 1 <= sizeof long_text) {
    memcpy(long_text + n, piece, sizeof piece - 1);
    n += sizeof piece - 1;
  }
  utf8s[LIST(utf8s) - 1].n = (int64_t)n;
  i128 p38 = 1; /* 10^38 */
  for (int i = 0; i < 38; i++) p38 *= 10;
  i128 big = 0; /* 12345678901234567890123456789012345678 */
  for (int i = 0; i < 38; i++) big = big * 10 + (i % 10 + 1) % 10;
  const i128 a[8] = {0, 1, -1, p38 - 1, -(p38 - 1), big, (i128)INT64_MAX + 1,
                     -((i128)1 << 64)};
  memcpy(dec38_0, a, sizeof a);
  const i128 b[8] = {-5, 12345, 0, 9999999999, -9999999999, 1, -1, 100};
  memcpy(dec10_2, b, sizeof b);
  const i128 c[6] = {p38 - 1, -(p38 - 1), 1, -1, 0, p38 / 2};
  memcpy(dec38_38, c, sizeof c);
  const i128 d[6] = {(i128)99999999999 * 1000000000 + 999999999, -1, 5, 10000000000,
                     -12345678901234567, 0};
  memcpy(dec20_10, d, sizeof d);
}

#define NUM_WIDE 27

/* One column of every type; names include some that need quoting. */
static void wide_specs(colspec *s) {
  colspec all[NUM_WIDE] = {
      BYTES("text, \"quoted\"", cy_type_make(CY_UTF8), utf8s),
      INTS("b", cy_type_make(CY_BOOL), bools),
      INTS("i8", cy_type_make(CY_INT8), i8s),
      INTS("i16", cy_type_make(CY_INT16), i16s),
      INTS("i32", cy_type_make(CY_INT32), i32s),
      INTS("i64", cy_type_make(CY_INT64), i64s),
      UINTS("u8", cy_type_make(CY_UINT8), u8s),
      UINTS("u16", cy_type_make(CY_UINT16), u16s),
      UINTS("u32", cy_type_make(CY_UINT32), u32s),
      UINTS("u64", cy_type_make(CY_UINT64), u64s),
      DOUBLES("f32", cy_type_make(CY_FLOAT32), f32s),
      DOUBLES("f64", cy_type_make(CY_FLOAT64), f64s),
      BYTES("large", cy_type_make(CY_LARGE_UTF8), large_utf8s),
      BYTES("bin", cy_type_make(CY_BINARY), binaries),
      BYTES("large_bin", cy_type_make(CY_LARGE_BINARY), large_binaries),
      INTS("date", cy_type_make(CY_DATE32), dates),
      INTS("ts_s", cy_type_timestamp(CY_SECOND, NULL), secs),
      INTS("ts_ms", cy_type_timestamp(CY_MILLI, NULL), millis),
      INTS("ts_us", cy_type_timestamp(CY_MICRO, NULL), micros),
      INTS("ts_ns", cy_type_timestamp(CY_NANO, NULL), nanos),
      INTS("ts_utc", cy_type_timestamp(CY_MICRO, "UTC"), zoned),
      INTS("ts_ny_ms", cy_type_timestamp(CY_MILLI, "America/New_York"), millis),
      INTS("ts_utc_s", cy_type_timestamp(CY_SECOND, "UTC"), secs),
      DECS("dec38_0", cy_type_decimal128(38, 0), dec38_0),
      DECS("dec10_2", cy_type_decimal128(10, 2), dec10_2),
      DECS("dec38_38", cy_type_decimal128(38, 38), dec38_38),
      DECS("dec20_10", cy_type_decimal128(20, 10), dec20_10),
  };
  memcpy(s, all, sizeof all);
}

/* ---- writing and reading --------------------------------------------------------------- */

static void temp_path(char *buf, size_t size) {
  snprintf(buf, size, "%s/t%d.csv", temp_dir, file_counter++);
}

/* Read options that give every column of t its own type by name. */
typedef struct typed_options {
  cy_csv_read_options o;
  const char *names[64];
  cy_type types[64];
} typed_options;

static void typed_options_init(typed_options *to, const cy_table *t) {
  cy_csv_read_options_init(&to->o);
  for (int32_t c = 0; c < t->schema.num_fields; c++) {
    to->names[c] = t->schema.fields[c].name;
    to->types[c] = t->schema.fields[c].type;
  }
  to->o.column_names = to->names;
  to->o.column_types = to->types;
  to->o.num_column_types = t->schema.num_fields;
}

/* Write t to a new file with wopts and read it back with ropts; returns what was read. */
static cy_table *round_trip(const char *what, const cy_table *t, const cy_csv_write_options *wopts,
                            const cy_csv_read_options *ropts, char *path, size_t path_size) {
  temp_path(path, path_size);
  cy_status st = cy_csv_write(t, path, wopts, &err);
  if (st != CY_OK) {
    fprintf(stderr, "%s: cy_csv_write failed: %s\n", what, err.message);
    test_failures++;
    return NULL;
  }
  cy_table *got = NULL;
  st = cy_csv_read(path, ropts, &got, &err);
  if (st != CY_OK) {
    fprintf(stderr, "%s: cy_csv_read failed: %s\n", what, err.message);
    test_failures++;
    return NULL;
  }
  return got;
}

/* ---- the tests --------------------------------------------------------------------------- */

/* Every type with explicit types, under several dialects and read paths. */
static void test_every_type(void) {
  colspec specs[NUM_WIDE];
  wide_specs(specs);
  cy_table *t = build_table(specs, NUM_WIDE, ROWS);
  if (t == NULL) return;
  CHECK_EQ_INT(t->num_rows, ROWS);
  char path[512];
  typed_options to;

  /* Defaults. */
  typed_options_init(&to, t);
  cy_table *got = round_trip("defaults", t, NULL, &to.o, path, sizeof path);
  check_tables("defaults", t, got);
  cy_table_release(got);

  /* The same file read in 64-byte blocks on 4 threads: record boundaries inside quoted
   * newlines land in every position. */
  typed_options_init(&to, t);
  to.o.num_threads = 4;
  to.o.block_bytes = 64;
  got = NULL;
  OK(cy_csv_read(path, &to.o, &got, &err));
  check_tables("defaults, 64-byte blocks on 4 threads", t, got);
  cy_table_release(got);

  /* The same file as a stream of 5-row batches. */
  typed_options_init(&to, t);
  to.o.batch_rows = 5;
  cy_batch_reader reader = {0};
  got = NULL;
  OK(cy_csv_open(path, &to.o, &reader, &err));
  if (reader.next) OK(cy_batch_reader_read_all(&reader, &got, &err));
  if (reader.release) reader.release(&reader);
  check_tables("defaults, streamed in 5-row batches", t, got);
  cy_table_release(got);

  /* Tab delimiter and "NULL" for nulls: the strings "NULL" must come back as strings. */
  cy_csv_write_options w;
  cy_csv_write_options_init(&w);
  w.delimiter = '\t';
  w.null_value = "NULL";
  typed_options_init(&to, t);
  const char *null_marker[] = {"NULL"};
  to.o.delimiter = '\t';
  to.o.null_values = null_marker;
  to.o.num_null_values = 1;
  got = round_trip("tab, NULL", t, &w, &to.o, path, sizeof path);
  check_tables("tab, NULL", t, got);
  cy_table_release(got);

  /* ';' and the single quote. */
  cy_csv_write_options_init(&w);
  w.delimiter = ';';
  w.quote = '\'';
  typed_options_init(&to, t);
  to.o.delimiter = ';';
  to.o.quote = '\'';
  got = round_trip("';' and '", t, &w, &to.o, path, sizeof path);
  check_tables("';' and '", t, got);
  cy_table_release(got);

  /* No header, \N for nulls, names given to the reader. */
  cy_csv_write_options_init(&w);
  w.header = false;
  w.null_value = "\\N";
  typed_options_init(&to, t);
  const char *backslash_n[] = {"\\N"};
  to.o.header = false;
  to.o.names = to.names;
  to.o.num_names = t->schema.num_fields;
  to.o.null_values = backslash_n;
  to.o.num_null_values = 1;
  got = round_trip("no header, \\N", t, &w, &to.o, path, sizeof path);
  check_tables("no header, \\N", t, got);
  cy_table_release(got);

  /* A slice: the writer starts at the slice's own first row in every buffer. */
  cy_table *slice = NULL;
  OK(cy_table_slice(t, 7, 30, &slice, &err));
  if (slice) {
    typed_options_init(&to, slice);
    got = round_trip("slice 7..37", slice, NULL, &to.o, path, sizeof path);
    check_tables("slice 7..37", slice, got);
    cy_table_release(got);
    cy_table_release(slice);
  }

  /* No rows: only the header, and the same schema back. */
  cy_table *empty = NULL;
  OK(cy_table_make_empty(&t->schema, &empty, &err));
  if (empty) {
    typed_options_init(&to, empty);
    got = round_trip("no rows", empty, NULL, &to.o, path, sizeof path);
    check_tables("no rows", empty, got);
    cy_table_release(got);
    cy_table_release(empty);
  }
  cy_table_release(t);
}

/* The types inference produces come back as themselves with no types given. */
static const int64_t inf_ints[] = {INT64_MIN, -1, 0, 42, INT64_MAX};
static const double inf_doubles[] = {0.1, -0.0, 1e300, 1.0 / 3.0, INFINITY, -INFINITY, NAN,
                                     DBL_TRUE_MIN, 1.0, 2.5, -1e-300, 1e16};
static const bytes inf_strings[] = {B("hello"), B(""), B("a,b"), B("123"), B("true"),
                                    B("2020-01-01"), B("1.5"), B("line\nbreak"), B("ü"),
                                    B("\"")};
static const int64_t inf_dates[] = {0, -1, 11016, 2932896, -719162, -719893};
static const int64_t inf_micros[] = {0, -1, 1577840523123456, -62135596800000000,
                                     253402300799999999, 1000000};
static const int64_t inf_bools[] = {1, 0};

static void test_inferred_types(void) {
  colspec specs[] = {
      INTS("i", cy_type_make(CY_INT64), inf_ints),
      DOUBLES("f", cy_type_make(CY_FLOAT64), inf_doubles),
      BYTES("s", cy_type_make(CY_UTF8), inf_strings),
      INTS("d", cy_type_make(CY_DATE32), inf_dates),
      INTS("ts", cy_type_timestamp(CY_MICRO, NULL), inf_micros),
      INTS("tz", cy_type_timestamp(CY_MICRO, "UTC"), inf_micros),
      INTS("b", cy_type_make(CY_BOOL), inf_bools),
  };
  int n = LIST(specs);
  cy_table *t = build_table(specs, n, 24);
  char path[512];
  cy_table *got = round_trip("inferred", t, NULL, NULL, path, sizeof path);
  check_tables("inferred", t, got);
  cy_table_release(got);
  /* The same from a 3-row sample (row 0 is all null; rows 1 and 2 give every column a
   * value) and on 3 threads in 100-byte blocks. */
  cy_csv_read_options o;
  cy_csv_read_options_init(&o);
  o.sample_rows = 3;
  o.num_threads = 3;
  o.block_bytes = 100;
  got = NULL;
  OK(cy_csv_read(path, &o, &got, &err));
  check_tables("inferred from a 3-row sample, 100-byte blocks", t, got);
  cy_table_release(got);
  cy_table_release(t);
}

/* One string column: an empty string is written "" and a null as an empty line, so
 * neither may be lost or taken for the other, first, last or in a run. */
static cy_table *one_column(cy_type type, const char *name, const bytes *values,
                            const int64_t *ints, int n) {
  cy_builder b;
  cy_column *col = NULL;
  OK(cy_builder_init(&b, type, n, &err));
  for (int i = 0; i < n; i++) {
    bool is_null = values ? values[i].p == NULL : ints[i] == INT64_MIN;
    if (is_null) OK(cy_builder_append_null(&b, &err));
    else if (values) OK(cy_builder_append_bytes(&b, values[i].p, values[i].n, &err));
    else OK(cy_builder_append_int(&b, ints[i], &err));
  }
  OK(cy_builder_finish(&b, &col, &err));
  cy_builder_reset(&b);
  cy_table *t = NULL;
  OK(cy_table_make(1, &name, &col, &t, &err));
  cy_column_release(col);
  return t;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  char *buf = calloc(1, 4096);
  if (buf) buf[fread(buf, 1, 4095, f)] = 0;
  fclose(f);
  return buf;
}

static void one_column_case(const char *what, cy_type type, const bytes *values,
                            const int64_t *ints, int n, bool header, const char *want_text) {
  cy_table *t = one_column(type, "s", values, ints, n);
  if (t == NULL) return;
  cy_csv_write_options w;
  cy_csv_write_options_init(&w);
  w.header = header;
  char path[512], name[256];
  typed_options to;
  typed_options_init(&to, t);
  to.o.header = header;
  const char *names[] = {"s"};
  if (!header) {
    to.o.names = names;
    to.o.num_names = 1;
  }
  snprintf(name, sizeof name, "%s, typed", what);
  cy_table *got = round_trip(name, t, &w, &to.o, path, sizeof path);
  check_tables(name, t, got);
  cy_table_release(got);
  /* The file is what the writer promises (this only explains a failure above; the
   * values are what is checked). */
  char *text = slurp(path);
  if (want_text && (text == NULL || strcmp(text, want_text) != 0)) {
    fprintf(stderr, "%s: the file holds [%s], expected [%s]\n", what, text ? text : "?",
            want_text);
    test_failures++;
  }
  free(text);
  /* And with the type inferred (utf8 and int64 are what inference gives these): the same
   * values, or for a column of nulls only, as many rows. */
  if (type.id == CY_UTF8 || type.id == CY_INT64) {
    cy_csv_read_options o;
    cy_csv_read_options_init(&o);
    o.header = header;
    if (!header) {
      o.names = names;
      o.num_names = 1;
    }
    got = NULL;
    OK(cy_csv_read(path, &o, &got, &err));
    snprintf(name, sizeof name, "%s, inferred", what);
    if (t->columns[0]->null_count < n) check_tables(name, t, got);
    else if (got) CHECK_EQ_INT(got->num_rows, n);
    cy_table_release(got);
  }
  cy_table_release(t);
}

/* Every int64 is a timestamp in every unit (as in Arrow), and the writer writes each one;
 * the reader must read each back. One file per value, so a failure names the value. */
static void test_timestamp_extremes(void) {
  static const char *unit_names[] = {"s", "ms", "us", "ns"};
  const int64_t values[] = {INT64_MIN, INT64_MIN + 1, INT64_MAX,
                            -9223372036000000001 /* in ns, 1677-09-21 00:12:43.999999999 */};
  for (int u = CY_SECOND; u <= CY_NANO; u++) {
    for (int k = 0; k < LIST(values); k++) {
      cy_type type = cy_type_timestamp((cy_time_unit)u, NULL);
      const int64_t one[] = {values[k]};
      colspec spec = INTS("ts", type, one);
      cy_column *col = NULL;
      cy_builder b;
      OK(cy_builder_init(&b, type, 1, &err));
      OK(cy_builder_append_int(&b, spec.i[0], &err));
      OK(cy_builder_finish(&b, &col, &err));
      cy_builder_reset(&b);
      cy_table *t = NULL;
      const char *name = "ts";
      OK(cy_table_make(1, &name, &col, &t, &err));
      cy_column_release(col);
      if (t == NULL) continue;
      char what[128], path[512];
      snprintf(what, sizeof what, "timestamp[%s] %lld", unit_names[u], (long long)values[k]);
      typed_options to;
      typed_options_init(&to, t);
      cy_table *got = round_trip(what, t, NULL, &to.o, path, sizeof path);
      if (got) check_tables(what, t, got);
      cy_table_release(got);
      cy_table_release(t);
    }
  }
}

#define NUL {NULL, 0}
static void test_one_column(void) {
  cy_type utf8 = cy_type_make(CY_UTF8);
  const bytes mixed[] = {B(""), NUL, B(""), B("x"), NUL, NUL, B("")};
  one_column_case("empty strings and nulls", utf8, mixed, NULL, 7, true,
                  "s\n\"\"\n\n\"\"\nx\n\n\n\"\"\n");
  const bytes null_first_last[] = {NUL, B("a"), B(""), NUL};
  one_column_case("null first and last", utf8, null_first_last, NULL, 4, true,
                  "s\n\na\n\"\"\n\n");
  const bytes only_empty[] = {B(""), B(""), B("")};
  one_column_case("only empty strings", utf8, only_empty, NULL, 3, true,
                  "s\n\"\"\n\"\"\n\"\"\n");
  const bytes only_null[] = {NUL, NUL};
  one_column_case("only nulls", utf8, only_null, NULL, 2, true, "s\n\n\n");
  const bytes no_header[] = {B(""), NUL, B("a"), B("")};
  one_column_case("no header", utf8, no_header, NULL, 4, false, "\"\"\n\na\n\"\"\n");
  const bytes large[] = {NUL, B(""), B("\n"), B("")};
  one_column_case("large utf8", cy_type_make(CY_LARGE_UTF8), large, NULL, 4, true,
                  "s\n\n\"\"\n\"\n\"\n\"\"\n");
  const bytes blobs[] = {B(""), NUL, B("\0"), B("")};
  one_column_case("binary", cy_type_make(CY_BINARY), blobs, NULL, 4, true, NULL);
  const int64_t ints[] = {INT64_MIN, 1, INT64_MIN, INT64_MIN, -3, INT64_MIN};
  one_column_case("int64 with nulls", cy_type_make(CY_INT64), NULL, ints, 6, true,
                  "s\n\n1\n\n\n-3\n\n");
}

int main(void) {
  snprintf(temp_dir, sizeof temp_dir, "/tmp/cylon_csv_roundtrip_XXXXXX");
  if (mkdtemp(temp_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  init_values();
  test_every_type();
  test_inferred_types();
  test_one_column();
  test_timestamp_extremes();
  for (int i = 0; i < file_counter; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/t%d.csv", temp_dir, i);
    unlink(path);
  }
  rmdir(temp_dir);
  TEST_MAIN_END();
}
