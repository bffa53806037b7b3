/*
 * test_csv_read.c - the CSV reader against hand-computed expectations: RFC 4180 quoting,
 * nulls, inference and widening, overrides, errors with positions, parallel reads of large
 * generated texts (checked value by value against the generator), and the stream.
 */
#include <math.h>
#include <unistd.h>

#include "test.h"

static cy_error err;

static cy_table *read_text(const char *text, const cy_csv_read_options *opts) {
  cy_table *t = NULL;
  cy_status st = cy_csv_read_buffer(text, (int64_t)strlen(text), "t.csv", opts, &t, &err);
  if (st != CY_OK) {
    fprintf(stderr, "read failed: %s\n", err.message);
    test_failures++;
    return NULL;
  }
  return t;
}

static int64_t i64(const cy_table *t, int c, int64_t r) {
  return ((const int64_t *)cy_column_data(t->columns[c]))[r];
}
static double f64(const cy_table *t, int c, int64_t r) {
  return ((const double *)cy_column_data(t->columns[c]))[r];
}
static int32_t i32(const cy_table *t, int c, int64_t r) {
  return ((const int32_t *)cy_column_data(t->columns[c]))[r];
}
static bool str_is(const cy_table *t, int c, int64_t r, const char *want) {
  int64_t n;
  const uint8_t *s = cy_column_bytes(t->columns[c], r, &n);
  return n == (int64_t)strlen(want) && memcmp(s, want, (size_t)n) == 0;
}
static bool valid(const cy_table *t, int c, int64_t r) {
  return cy_column_is_valid(t->columns[c], r);
}

static void test_types_and_values(void) {
  cy_table *t = read_text(
      "i,f,s,d,ts,b\n"
      "1,2.5,hello,2020-01-02,2020-01-02 03:04:05.25,true\n"
      "-9223372036854775808,-1e10,\"a,b\",1969-12-31,1970-01-01T00:00:00,FALSE\n"
      "9223372036854775807,.5,,2000-02-29,1969-12-31 23:59:59.5,\n",
      NULL);
  if (!t) return;
  CHECK_EQ_INT(t->num_rows, 3);
  CHECK_EQ_INT(t->schema.num_fields, 6);
  CHECK_EQ_INT(t->columns[0]->type.id, CY_INT64);
  CHECK_EQ_INT(t->columns[1]->type.id, CY_FLOAT64);
  CHECK_EQ_INT(t->columns[2]->type.id, CY_UTF8);
  CHECK_EQ_INT(t->columns[3]->type.id, CY_DATE32);
  CHECK_EQ_INT(t->columns[4]->type.id, CY_TIMESTAMP);
  CHECK_EQ_INT(t->columns[4]->type.unit, CY_MICRO);
  CHECK_EQ_INT(t->columns[5]->type.id, CY_BOOL);
  CHECK_EQ_INT(i64(t, 0, 0), 1);
  CHECK(i64(t, 0, 1) == INT64_MIN);
  CHECK(i64(t, 0, 2) == INT64_MAX);
  CHECK(f64(t, 1, 0) == 2.5 && f64(t, 1, 1) == -1e10 && f64(t, 1, 2) == 0.5);
  CHECK(str_is(t, 2, 0, "hello") && str_is(t, 2, 1, "a,b") && !valid(t, 2, 2));
  CHECK_EQ_INT(i32(t, 3, 0), 18263); /* days from 1970-01-01 to 2020-01-02 */
  CHECK_EQ_INT(i32(t, 3, 1), -1);
  CHECK_EQ_INT(i32(t, 3, 2), 11016);
  CHECK_EQ_INT(i64(t, 4, 0), 1577934245250000LL);
  CHECK_EQ_INT(i64(t, 4, 1), 0);
  CHECK_EQ_INT(i64(t, 4, 2), -500000);
  CHECK(cy_column_bool(t->columns[5], 0) && !cy_column_bool(t->columns[5], 1));
  CHECK(!valid(t, 5, 2));
  CHECK_EQ_INT(t->columns[5]->null_count, 1);
  cy_table_release(t);
}

static void test_quoting(void) {
  cy_table *t = read_text(
      "name,note\r\n"
      "\"x\",\"she said \"\"hi\"\"\"\r\n"
      "\"multi\nline\",\"\"\r\n"
      "plain,\"a,b,\"\"c\"\"\"\r\n"
      "\"last\",unquoted",
      NULL);
  if (!t) return;
  CHECK_EQ_INT(t->num_rows, 4);
  CHECK(str_is(t, 0, 0, "x") && str_is(t, 1, 0, "she said \"hi\""));
  CHECK(str_is(t, 0, 1, "multi\nline"));
  CHECK(valid(t, 1, 1) && str_is(t, 1, 1, "")); /* quoted empty is an empty string */
  CHECK(str_is(t, 1, 2, "a,b,\"c\""));
  CHECK(str_is(t, 0, 3, "last") && str_is(t, 1, 3, "unquoted"));
  cy_table_release(t);

  /* A quote inside an unquoted field is data (as DuckDB reads it). */
  t = read_text("a,b\nx\"y,2\n", NULL);
  if (t) {
    CHECK(str_is(t, 0, 0, "x\"y"));
    CHECK_EQ_INT(i64(t, 1, 0), 2);
    cy_table_release(t);
  }
}

static void test_nulls_and_options(void) {
  const char *markers[] = {"NA", "null"};
  cy_csv_read_options o;
  cy_csv_read_options_init(&o);
  o.null_values = markers;
  o.num_null_values = 2;
  o.delimiter = ';';
  cy_table *t = read_text("a;b\nNA;x\n3;null\n4;\n", &o);
  if (t) {
    CHECK_EQ_INT(t->columns[0]->type.id, CY_INT64);
    CHECK(!valid(t, 0, 0) && i64(t, 0, 1) == 3 && i64(t, 0, 2) == 4);
    CHECK(str_is(t, 1, 0, "x") && !valid(t, 1, 1));
    CHECK(valid(t, 1, 2) && str_is(t, 1, 2, "")); /* "" is not a marker here */
    cy_table_release(t);
  }
  /* Quoted nulls only when asked. */
  cy_csv_read_options_init(&o);
  o.quoted_nulls = true;
  t = read_text("a,b\n\"\",1\n", &o);
  if (t) {
    CHECK(!valid(t, 0, 0));
    cy_table_release(t);
  }
  /* No header, tab delimiter, skipped leading rows, BOM. */
  cy_csv_read_options_init(&o);
  o.header = false;
  o.delimiter = '\t';
  o.skip_rows = 1;
  t = read_text("\xEF\xBB\xBFjunk line\n1\tx\n2\ty\n", &o);
  if (t) {
    CHECK_EQ_STR(t->schema.fields[0].name, "column0");
    CHECK_EQ_STR(t->schema.fields[1].name, "column1");
    CHECK_EQ_INT(t->num_rows, 2);
    CHECK(i64(t, 0, 1) == 2 && str_is(t, 1, 1, "y"));
    cy_table_release(t);
  }
  /* Duplicate and empty header names. */
  t = read_text("a,a,,a\n1,2,3,4\n", NULL);
  if (t) {
    CHECK_EQ_STR(t->schema.fields[1].name, "a_1");
    CHECK_EQ_STR(t->schema.fields[2].name, "column2");
    CHECK_EQ_STR(t->schema.fields[3].name, "a_2");
    cy_table_release(t);
  }
  /* A one-column file: blank lines are nulls, not skipped. */
  t = read_text("v\n1\n\n3\n", NULL);
  if (t) {
    CHECK_EQ_INT(t->num_rows, 3);
    CHECK(!valid(t, 0, 1) && i64(t, 0, 2) == 3);
    cy_table_release(t);
  }
  /* Several columns: blank lines separate nothing. */
  t = read_text("a,b\n1,2\n\n\r\n3,4\n", NULL);
  if (t) {
    CHECK_EQ_INT(t->num_rows, 2);
    cy_table_release(t);
  }
  /* Empty and header-only files. */
  t = read_text("", NULL);
  if (t) {
    CHECK_EQ_INT(t->schema.num_fields, 0);
    CHECK_EQ_INT(t->num_rows, 0);
    cy_table_release(t);
  }
  t = read_text("x,y\n", NULL);
  if (t) {
    CHECK_EQ_INT(t->schema.num_fields, 2);
    CHECK_EQ_INT(t->num_rows, 0);
    CHECK_EQ_INT(t->columns[0]->type.id, CY_UTF8);
    cy_table_release(t);
  }
}

static void test_overrides_and_widening(void) {
  const char *names[] = {"a", "p"};
  cy_type types[] = {cy_type_make(CY_INT16), cy_type_decimal128(9, 2)};
  cy_csv_read_options o;
  cy_csv_read_options_init(&o);
  o.column_names = names;
  o.column_types = types;
  o.num_column_types = 2;
  cy_table *t = read_text("a,p\n12,3.456\n-7,-0.5\n", &o);
  if (t) {
    CHECK_EQ_INT(t->columns[0]->type.id, CY_INT16);
    CHECK_EQ_INT(((const int16_t *)cy_column_data(t->columns[0]))[1], -7);
    const int64_t *p = cy_column_data(t->columns[1]);
    CHECK_EQ_INT(p[0], 346); /* 3.456 rounded half away from zero to 2 places */
    CHECK_EQ_INT(p[2], -50);
    CHECK_EQ_INT(p[3], -1); /* the high half of a negative value */
    cy_table_release(t);
  }
  /* A value that does not fit a given type is an error naming line, column and text. */
  FAILS(cy_csv_read_buffer("a,p\n1,2\n70000,3\n", 16, "over.csv", &o, &t, &err), CY_EINVAL,
        "over.csv: line 3, column 1 (\"a\"): expected int16 but found \"70000\"");
  o.column_names = (const char *[]){"nope"};
  o.num_column_types = 1;
  FAILS(cy_csv_read_buffer("a\n1\n", 4, "x.csv", &o, &t, &err), CY_ENOENT, "'nope'");

  /* Inference from a two-row sample, then later values widen the columns. */
  cy_csv_read_options_init(&o);
  o.sample_rows = 2;
  t = read_text("i,j,d\n1,1,2020-01-01\n2,2,2020-01-02\n3,x,2020-01-03 10:00:00\n4.5,4,\n",
                &o);
  if (t) {
    CHECK_EQ_INT(t->columns[0]->type.id, CY_FLOAT64);
    CHECK(f64(t, 0, 0) == 1.0 && f64(t, 0, 3) == 4.5);
    CHECK_EQ_INT(t->columns[1]->type.id, CY_UTF8);
    CHECK(str_is(t, 1, 0, "1") && str_is(t, 1, 2, "x"));
    CHECK_EQ_INT(t->columns[2]->type.id, CY_TIMESTAMP);
    CHECK_EQ_INT(i64(t, 2, 1), 1577923200000000LL);
    CHECK_EQ_INT(i64(t, 2, 2), 1578045600000000LL);
    cy_table_release(t);
  }
}

static void test_errors(void) {
  cy_table *t = NULL;
  FAILS(cy_csv_read_buffer("a,b\n1,2\n3\n", 10, "few.csv", NULL, &t, &err), CY_EINVAL,
        "few.csv: line 3: expected 2 fields but found 1");
  FAILS(cy_csv_read_buffer("a,b\n1,2,3\n", 10, "many.csv", NULL, &t, &err), CY_EINVAL,
        "many.csv: line 2: expected 2 fields but found more");
  FAILS(cy_csv_read_buffer("a,b\n1,\"open\n2,3\n", 16, "q.csv", NULL, &t, &err), CY_EINVAL,
        "q.csv: line 2, column 2 (\"b\"): quoted field is never closed");
  FAILS(cy_csv_read_buffer("a,b\n1,\"x\"y\n", 11, "j.csv", NULL, &t, &err), CY_EINVAL,
        "j.csv: line 2, column 2 (\"b\"): unexpected character 'y' after a closing quote");
  FAILS(cy_csv_read_buffer("a\n\xff\xfe\n", 5, "u.csv", NULL, &t, &err), CY_EINVAL,
        "u.csv: line 2, column 1 (\"a\"): invalid UTF-8");
  FAILS(cy_csv_read("/nonexistent/dir/x.csv", NULL, &t, &err), CY_ENOENT,
        "/nonexistent/dir/x.csv: cannot open");
  cy_csv_read_options o;
  cy_csv_read_options_init(&o);
  o.delimiter = '"';
  FAILS(cy_csv_read_buffer("a\n", 2, "d.csv", &o, &t, &err), CY_EINVAL, "delimiter");
}

/* ---- large generated texts ---------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rng(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

typedef struct gen_row {
  int64_t k;
  bool k_null;
  double x;
  int str_kind; /* 0 plain, 1 quoted with comma+newline, 2 doubled quotes, 3 null, 4 stray */
  int64_t sid;
} gen_row;

static void row_string(const gen_row *r, char *buf, bool quoted_form) {
  switch (r->str_kind) {
    case 0: sprintf(buf, "s%lld", (long long)r->sid); break;
    case 1: sprintf(buf, quoted_form ? "\"line %lld,\nnext\"" : "line %lld,\nnext", (long long)r->sid); break;
    case 2: sprintf(buf, quoted_form ? "\"q\"\"%lld\"\"\"" : "q\"%lld\"", (long long)r->sid); break;
    case 3: buf[0] = 0; break;
    default: sprintf(buf, "st\"ray%lld", (long long)r->sid); break;
  }
}

/* Generate n rows as CSV text; kinds gives which string shapes to use. */
static char *generate(int64_t n, gen_row *rows, int kinds, int64_t *size) {
  int64_t cap = n * 64 + 64, len = 0;
  char *text = malloc((size_t)cap);
  len += sprintf(text, "k,x,s\n");
  for (int64_t i = 0; i < n; i++) {
    gen_row *r = &rows[i];
    r->k = (int64_t)(rng() % 2000000000000ull) - 1000000000000ll;
    r->k_null = rng() % 50 == 0;
    r->x = (double)(int64_t)(rng() % 2000001 - 1000000) / 1000.0;
    r->str_kind = (int)(rng() % (uint64_t)kinds);
    r->sid = i;
    char s[64];
    row_string(r, s, true);
    if (r->k_null)
      len += sprintf(text + len, ",%.3f,%s\n", r->x, s);
    else
      len += sprintf(text + len, "%lld,%.3f,%s\n", (long long)r->k, r->x, s);
  }
  *size = len;
  return text;
}

static void check_generated(const cy_table *t, const gen_row *rows, int64_t n) {
  CHECK_EQ_INT(t->num_rows, n);
  if (t->num_rows != n) return;
  int64_t bad = 0;
  for (int64_t i = 0; i < n && bad < 5; i++) {
    const gen_row *r = &rows[i];
    char s[64];
    row_string(r, s, false);
    bool ok = valid(t, 0, i) == !r->k_null && (r->k_null || i64(t, 0, i) == r->k) &&
              f64(t, 1, i) == r->x &&
              (r->str_kind == 3 ? !valid(t, 2, i) : str_is(t, 2, i, s));
    if (!ok) {
      fprintf(stderr, "row %lld differs from the generator\n", (long long)i);
      bad++;
    }
  }
  CHECK_EQ_INT(bad, 0);
}

static void test_large_parallel(int kinds, int threads) {
  int64_t n = 400000, size;
  gen_row *rows = malloc((size_t)n * sizeof(gen_row));
  rng_state = 42 + (uint64_t)kinds;
  char *text = generate(n, rows, kinds, &size);
  char path[] = "/tmp/cylon_csv_test_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0 && write(fd, text, (size_t)size) == size);
  close(fd);
  cy_csv_read_options o;
  cy_csv_read_options_init(&o);
  o.num_threads = threads;
  cy_table *t = NULL;
  OK(cy_csv_read(path, &o, &t, &err));
  if (t) {
    check_generated(t, rows, n);
    cy_table_release(t);
  }
  /* The same text from memory. */
  OK(cy_csv_read_buffer(text, size, "mem", &o, &t, &err));
  if (t) {
    check_generated(t, rows, n);
    cy_table_release(t);
  }
  /* Streamed in small batches: the batches add up to the same rows. */
  o.batch_rows = 5000;
  cy_batch_reader reader;
  OK(cy_csv_open(path, &o, &reader, &err));
  int64_t batches = 0;
  cy_table *all = NULL;
  if (reader.release) {
    OK(cy_batch_reader_read_all(&reader, &all, &err));
    reader.release(&reader);
  }
  if (all) {
    check_generated(all, rows, n);
    cy_table_release(all);
  }
  cy_memory_reset_peak();
  int64_t base = cy_memory_current();
  OK(cy_csv_open(path, &o, &reader, &err));
  if (reader.release) {
    int64_t max_batch = 0;
    for (;;) {
      cy_table *b = NULL;
      cy_status st = reader.next(&reader, &b, &err);
      CHECK(st == CY_OK);
      if (st != CY_OK || b == NULL) break;
      batches++;
      if (b->num_rows > max_batch) max_batch = b->num_rows;
      cy_table_release(b);
    }
    reader.release(&reader);
    CHECK(batches > 20);         /* many batches, not one */
    CHECK(max_batch < n / 10);   /* each about batch_rows, far below the whole */
    /* Memory stays near one batch (the first is the inference sample, 20480 rows): far
     * below the whole table, about 30 bytes a row. */
    CHECK(cy_memory_peak() - base < n * 30 / 4);
  }
  unlink(path);
  free(text);
  free(rows);
}

static void test_stream_errors(void) {
  char path[] = "/tmp/cylon_csv_test_XXXXXX";
  int fd = mkstemp(path);
  /* The type is inferred from the first rows; a late misfit is an error with a hint. */
  const char *head = "a,b\n";
  CHECK(write(fd, head, strlen(head)) == (ssize_t)strlen(head));
  for (int i = 0; i < 100; i++) {
    char line[32];
    int n = sprintf(line, "%d,%d\n", i, i);
    CHECK(write(fd, line, (size_t)n) == n);
  }
  CHECK(write(fd, "oops,1\n", 7) == 7);
  close(fd);
  cy_csv_read_options o;
  cy_csv_read_options_init(&o);
  o.sample_rows = 10;
  cy_batch_reader reader;
  OK(cy_csv_open(path, &o, &reader, &err));
  cy_table *t = NULL;
  if (reader.release) {
    FAILS(cy_batch_reader_read_all(&reader, &t, &err), CY_EINVAL,
          "line 102, column 1 (\"a\"): expected int64 but found \"oops\" (column types were "
          "inferred from the first 10 rows");
    reader.release(&reader);
  }
  /* The whole-file read widens instead. */
  OK(cy_csv_read(path, &o, &t, &err));
  if (t) {
    CHECK_EQ_INT(t->columns[0]->type.id, CY_UTF8);
    CHECK(str_is(t, 0, 100, "oops"));
    cy_table_release(t);
  }
  unlink(path);
}

/* Review findings, each once a crash or a wrong answer. */
static void test_regressions(void) {
  cy_table *t = NULL;
  /* A bad record in the first chunk of a big single-block input (later chunks skipped). */
  int64_t n = 200000;
  char *big = malloc((size_t)n * 4 + 16);
  int64_t len = sprintf(big, "a,b\n1,2,3\n");
  for (int64_t i = 0; i < n; i++) len += sprintf(big + len, "i,i\n");
  cy_csv_read_options o;
  cy_csv_read_options_init(&o);
  o.num_threads = 1;
  FAILS(cy_csv_read_buffer(big, len, "big.csv", &o, &t, &err), CY_EINVAL,
        "big.csv: line 2: expected 2 fields but found more");
  free(big);
  /* Null markers of 64 bytes and more apply to strings as to other types. */
  char marker[80];
  memset(marker, 'N', 70);
  marker[70] = 0;
  const char *markers[] = {marker, ""};
  cy_csv_read_options_init(&o);
  o.null_values = markers;
  o.num_null_values = 2;
  char text[256];
  snprintf(text, sizeof text, "s,k\nabc,1\n%s,2\n", marker);
  t = read_text(text, &o);
  if (t) {
    CHECK(str_is(t, 0, 0, "abc") && !valid(t, 0, 1));
    cy_table_release(t);
  }
  /* A zone seen only after the sample widens a zone-less timestamp column to UTC, so the
   * type does not depend on the sample size. */
  cy_csv_read_options_init(&o);
  o.sample_rows = 1;
  t = read_text("t\n2020-01-01 10:00:00\n2020-01-01 10:00:00+05:00\n", &o);
  if (t) {
    CHECK_EQ_STR(t->columns[0]->type.timezone, "UTC");
    CHECK_EQ_INT(i64(t, 0, 1), 1577854800000000LL); /* 05:00 UTC */
    cy_table_release(t);
  }
  /* A decimal too wide for its precision is an error, not a wrapped value. */
  const char *dn[] = {"x"};
  cy_type dt = cy_type_decimal128(38, 10);
  cy_csv_read_options_init(&o);
  o.column_names = dn;
  o.column_types = &dt;
  o.num_column_types = 1;
  const char *wide = "x\n307418529630741852963074185296\n";
  FAILS(cy_csv_read_buffer(wide, (int64_t)strlen(wide), "d.csv", &o, &t, &err), CY_EINVAL,
        "expected decimal128(38, 10) but found \"307418529630741852963074185296\"");
  /* The stream keeps its own copy of the path for later error messages. */
  char path[] = "/tmp/cylon_csv_test_XXXXXX";
  int fd = mkstemp(path);
  const char *body = "a\n1\n2\nx\n";
  CHECK(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
  close(fd);
  char *copy = strdup(path);
  cy_csv_read_options_init(&o);
  o.sample_rows = 1;
  cy_batch_reader r;
  OK(cy_csv_open(copy, &o, &r, &err));
  free(copy);
  if (r.release) {
    FAILS(cy_batch_reader_read_all(&r, &t, &err), CY_EINVAL, path);
    r.release(&r);
  }
  unlink(path);
}

int main(void) {
  test_types_and_values();
  test_quoting();
  test_nulls_and_options();
  test_overrides_and_widening();
  test_errors();
  test_large_parallel(4, 2); /* quoted fields with newlines and doubled quotes */
  test_large_parallel(5, 2); /* plus stray quotes that mislead the parity split */
  test_large_parallel(5, 1);
  test_stream_errors();
  test_regressions();
  CHECK_EQ_INT(cy_memory_current(), 0);
  TEST_MAIN_END();
}
