/*
 * test_ipc.c - tables written in the Arrow IPC stream and file formats read back equal.
 *
 * A table with a column of every cylon type (extremes, -0.0, NaN, infinities, empty and
 * non-ASCII strings, every byte value in binary, negative dates, timestamps of every unit
 * with and without zones, 38-digit decimals) and nulls in every column is written with
 * cy_ipc_write and read with cy_ipc_read and cy_ipc_open, in both formats, and compared
 * bit for bit (row by row: validity, then the value's bytes). Variations: slices at odd
 * offsets (shifted bitmaps, rebased string offsets), many small batches, a table with no
 * rows, a table with no nulls, compressed bodies (LZ4 frame and zstd, through the
 * internal writer), and reading from memory, where columns must point into the buffer
 * read (zero-copy). Malformed inputs are in test_ipc_malformed.c.
 */
#include <math.h>
#include <unistd.h>

#include "io/ipc_format.h"
#include "test.h"

static cy_error err;
static char temp_dir[256];

#define ROWS 50

/* ---- comparing ------------------------------------------------------------------------ */

/* Row r of two columns of one type: same validity and the same bytes. */
static bool same_value(const cy_column *a, const cy_column *b, int64_t r) {
  bool va = cy_column_is_valid(a, r), vb = cy_column_is_valid(b, r);
  if (va != vb) return false;
  if (!va) return true;
  if (a->type.id == CY_BOOL) return cy_column_bool(a, r) == cy_column_bool(b, r);
  if (cy_type_is_var_width(a->type.id)) {
    int64_t na, nb;
    const uint8_t *pa = cy_column_bytes(a, r, &na), *pb = cy_column_bytes(b, r, &nb);
    return na == nb && memcmp(pa, pb, (size_t)na) == 0;
  }
  int w = cy_type_bit_width(a->type.id) / 8;
  return memcmp((const uint8_t *)cy_column_data(a) + r * w,
                (const uint8_t *)cy_column_data(b) + r * w, (size_t)w) == 0;
}

/* Checks that two tables have the same schema and the same bits; says where not. */
static void check_same(const cy_table *want, const cy_table *got, const char *what) {
  char sa[512], sb[512];
  if (got == NULL) {
    fprintf(stderr, "%s: no table\n", what);
    test_failures++;
    return;
  }
  if (!cy_schema_equals(&want->schema, &got->schema) || want->num_rows != got->num_rows) {
    fprintf(stderr, "%s: %s %lld rows vs %s %lld rows\n", what,
            cy_schema_format(&want->schema, sa, sizeof sa), (long long)want->num_rows,
            cy_schema_format(&got->schema, sb, sizeof sb), (long long)got->num_rows);
    test_failures++;
    return;
  }
  for (int32_t c = 0; c < want->schema.num_fields; c++) {
    for (int64_t r = 0; r < want->num_rows; r++) {
      if (same_value(want->columns[c], got->columns[c], r)) continue;
      cy_column_format_value(want->columns[c], r, "null", sa, sizeof sa);
      cy_column_format_value(got->columns[c], r, "null", sb, sizeof sb);
      fprintf(stderr, "%s: column %s row %lld: want %s, got %s\n", what,
              want->schema.fields[c].name, (long long)r, sa, sb);
      test_failures++;
      break;
    }
  }
}

/* ---- the table of every type ---------------------------------------------------------- */

static bool is_null_row(int c, int64_t r) { return (r + c) % 7 == 3 || r == ROWS - 1; }

static void append_int(cy_builder *b, cy_type_id id, int64_t r) {
  static const int64_t s8[] = {INT8_MIN, INT8_MAX, 0, -1, 1};
  static const int64_t s64[] = {INT64_MIN, INT64_MAX, 0, -1, 123456789012345LL};
  int64_t k = r % 5;
  switch (id) {
    case CY_INT8: OK(cy_builder_append_int(b, s8[k], &err)); break;
    case CY_INT16: OK(cy_builder_append_int(b, k ? INT16_MIN + r : INT16_MAX, &err)); break;
    case CY_INT32: OK(cy_builder_append_int(b, k ? INT32_MIN + r : INT32_MAX, &err)); break;
    case CY_INT64: OK(cy_builder_append_int(b, s64[k], &err)); break;
    case CY_UINT8: OK(cy_builder_append_uint(b, k ? (uint64_t)r : UINT8_MAX, &err)); break;
    case CY_UINT16: OK(cy_builder_append_uint(b, k ? (uint64_t)r * 999 : UINT16_MAX, &err)); break;
    case CY_UINT32: OK(cy_builder_append_uint(b, k ? (uint64_t)r << 20 : UINT32_MAX, &err)); break;
    default: OK(cy_builder_append_uint(b, k ? (uint64_t)r << 40 : UINT64_MAX, &err)); break;
  }
}

static void append_value(cy_builder *b, int64_t r) {
  static const double doubles[] = {-0.0, 1e300, 0.1, 1.0 / 3, 5e-324, -1e-300, 42};
  static const char *const strings[] = {"", "a", "h\xc3\xa9llo", "comma, \"quote\"\n",
                                        "a longer string that is more than twelve bytes"};
  cy_type_id id = b->type.id;
  if (id == CY_BOOL) {
    OK(cy_builder_append_int(b, (r * 7 / 3) % 2, &err));
  } else if (id == CY_FLOAT32 || id == CY_FLOAT64) {
    double v = r == 2 ? NAN : r == 4 ? INFINITY : r == 5 ? -INFINITY : doubles[r % 7];
    OK(cy_builder_append_double(b, v, &err));
  } else if (id == CY_UTF8 || id == CY_LARGE_UTF8) {
    OK(cy_builder_append_bytes(b, strings[r % 5], (int64_t)strlen(strings[r % 5]), &err));
  } else if (id == CY_BINARY || id == CY_LARGE_BINARY) {
    uint8_t bytes[8];
    for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)(r * 8 + i) * 37;
    OK(cy_builder_append_bytes(b, bytes, r % 9, &err));
  } else if (id == CY_DATE32) {
    OK(cy_builder_append_int(b, (r - 25) * 4001, &err));
  } else if (id == CY_TIMESTAMP) {
    OK(cy_builder_append_int(b, r == 0 ? INT64_MIN : r == 1 ? INT64_MAX : (r - 20) * 86400123457LL, &err));
  } else if (id == CY_DECIMAL128) {
    /* 10^38 - 1 has high word 0x4B3B4CA85A86C47A; negatives by two's complement. */
    uint64_t lo = r == 0 ? 0x098A223FFFFFFFFFull : (uint64_t)r * 1234567;
    int64_t hi = r == 0 ? 0x4B3B4CA85A86C47ALL : (r % 2 ? -1 : 0);
    OK(cy_builder_append_decimal128(b, lo, hi, &err));
  } else {
    append_int(b, id, r);
  }
}

static cy_table *every_type_table(int64_t rows, bool nulls) {
  cy_type types[] = {
    cy_type_make(CY_BOOL), cy_type_make(CY_INT8), cy_type_make(CY_INT16),
    cy_type_make(CY_INT32), cy_type_make(CY_INT64), cy_type_make(CY_UINT8),
    cy_type_make(CY_UINT16), cy_type_make(CY_UINT32), cy_type_make(CY_UINT64),
    cy_type_make(CY_FLOAT32), cy_type_make(CY_FLOAT64), cy_type_make(CY_UTF8),
    cy_type_make(CY_LARGE_UTF8), cy_type_make(CY_BINARY), cy_type_make(CY_LARGE_BINARY),
    cy_type_make(CY_DATE32), cy_type_timestamp(CY_SECOND, NULL),
    cy_type_timestamp(CY_MILLI, "UTC"), cy_type_timestamp(CY_MICRO, "America/New_York"),
    cy_type_timestamp(CY_NANO, "+07:30"), cy_type_decimal128(38, 10),
    cy_type_decimal128(5, 0)};
  enum { N = sizeof types / sizeof *types };
  const char *names[N];
  char name_buf[N][32];
  cy_column *cols[N];
  for (int c = 0; c < N; c++) {
    char tn[64];
    snprintf(name_buf[c], sizeof name_buf[c], "c%d_%s", c, cy_type_name(&types[c], tn, sizeof tn));
    names[c] = name_buf[c];
    cy_builder b;
    OK(cy_builder_init(&b, types[c], rows, &err));
    for (int64_t r = 0; r < rows; r++) {
      if (nulls && is_null_row(c, r)) OK(cy_builder_append_null(&b, &err));
      else append_value(&b, r);
    }
    OK(cy_builder_finish(&b, &cols[c], &err));
    cy_builder_reset(&b);
  }
  cy_table *t = NULL;
  OK(cy_table_make(N, names, cols, &t, &err));
  for (int c = 0; c < N; c++) cy_column_release(cols[c]);
  return t;
}

/* ---- round trips through files -------------------------------------------------------- */

static cy_table *read_with_reader(const char *path) {
  cy_batch_reader reader;
  cy_table *t = NULL;
  OK(cy_ipc_open(path, &reader, &err));
  if (reader.release == NULL) return NULL;
  cy_schema schema;
  OK(reader.get_schema(&reader, &schema, &err));
  cy_schema_reset(&schema);
  OK(cy_batch_reader_read_all(&reader, &t, &err));
  reader.release(&reader);
  return t;
}

static void round_trip_file(cy_table *t, bool file_format, int64_t batch_rows, const char *what) {
  char path[512], label[256];
  snprintf(path, sizeof path, "%s/%s.%s", temp_dir, what, file_format ? "arrow" : "arrows");
  cy_ipc_write_options o;
  cy_ipc_write_options_init(&o);
  o.file_format = file_format;
  o.batch_rows = batch_rows;
  OK(cy_ipc_write(t, path, &o, &err));
  cy_table *got = NULL;
  OK(cy_ipc_read(path, &got, &err));
  snprintf(label, sizeof label, "%s (%s, read)", what, file_format ? "file" : "stream");
  check_same(t, got, label);
  cy_table_release(got);
  got = read_with_reader(path);
  snprintf(label, sizeof label, "%s (%s, batch reader)", what, file_format ? "file" : "stream");
  check_same(t, got, label);
  cy_table_release(got);
}

static void test_every_type(void) {
  cy_table *t = every_type_table(ROWS, true);
  for (int f = 0; f < 2; f++) {
    round_trip_file(t, f, 0, "every_type");
    round_trip_file(t, f, 7, "every_type_batches");
    round_trip_file(t, f, 1, "every_type_rows");
  }
  cy_table *no_nulls = every_type_table(ROWS, false);
  round_trip_file(no_nulls, true, 16, "no_nulls");
  round_trip_file(no_nulls, false, 16, "no_nulls");
  cy_table_release(no_nulls);
  cy_table_release(t);
}

/* Slices whose offsets are not multiples of 8 (bitmaps shift) nor start strings at 0. */
static void test_slices(void) {
  cy_table *t = every_type_table(ROWS, true);
  const int64_t cuts[][2] = {{3, 17}, {1, 48}, {8, 8}, {13, 1}, {49, 1}, {5, 0}};
  for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
    cy_table *s = NULL;
    char what[64];
    OK(cy_table_slice(t, cuts[i][0], cuts[i][1], &s, &err));
    snprintf(what, sizeof what, "slice_%lld_%lld", (long long)cuts[i][0], (long long)cuts[i][1]);
    round_trip_file(s, true, 0, what);
    round_trip_file(s, false, 3, what);
    cy_table_release(s);
  }
  cy_table_release(t);
}

static void test_empty(void) {
  cy_table *t = every_type_table(0, true);
  round_trip_file(t, true, 0, "empty");
  round_trip_file(t, false, 0, "empty");
  cy_table_release(t);
  /* A table with no columns at all. */
  cy_schema none = {0, NULL};
  cy_table *z = NULL;
  OK(cy_table_make_empty(&none, &z, &err));
  round_trip_file(z, true, 0, "no_columns");
  round_trip_file(z, false, 0, "no_columns");
  cy_table_release(z);
}

/* ---- in memory: compression and zero-copy --------------------------------------------- */

typedef struct mem_out {
  uint8_t *data;
  int64_t len, cap;
} mem_out;

static cy_status mem_write(cy_output *self, const void *p, int64_t n, cy_error *e) {
  mem_out *m = self->private_data;
  if (m->len + n > m->cap) {
    int64_t cap = (m->len + n) * 2;
    uint8_t *g = realloc(m->data, (size_t)cap);
    if (g == NULL) {
      cy_error_set(e, "out of memory");
      return CY_ENOMEM;
    }
    m->data = g;
    m->cap = cap;
  }
  memcpy(m->data + m->len, p, (size_t)n);
  m->len += n;
  return CY_OK;
}

/* Write t to memory and return the bytes as a cy_buffer (64-byte aligned). */
static cy_buffer *write_memory(const cy_table *t, bool file_format, int64_t batch_rows,
                               ipc_codec codec) {
  mem_out m = {0};
  cy_output out = {.write = mem_write, .name = "memory", .private_data = &m};
  cy_ipc_write_options o;
  cy_ipc_write_options_init(&o);
  o.file_format = file_format;
  o.batch_rows = batch_rows;
  OK(ipc_write_output(t, &out, &o, codec, &err));
  cy_buffer *b = NULL;
  OK(cy_buffer_alloc(m.len, &b, &err));
  if (b && m.len) memcpy(b->data, m.data, (size_t)m.len);
  free(m.data);
  return b;
}

static void test_compression(void) {
  cy_table *t = every_type_table(ROWS, true);
  /* A long repetitive column, which the codecs do shrink (the small ones they do not,
   * and go out uncompressed with length -1). */
  const ipc_codec codecs[] = {IPC_CODEC_LZ4_FRAME, IPC_CODEC_ZSTD};
  for (int c = 0; c < 2; c++) {
    for (int f = 0; f < 2; f++) {
      cy_buffer *b = write_memory(t, f, 9, codecs[c]);
      cy_table *got = NULL;
      OK(ipc_read_memory(b, "compressed", &got, &err));
      check_same(t, got, codecs[c] == IPC_CODEC_ZSTD ? "zstd" : "lz4");
      cy_table_release(got);
      cy_buffer_release(b);
    }
  }
  int64_t n = 100000;
  int64_t *v = malloc(sizeof(int64_t) * (size_t)n);
  for (int64_t i = 0; i < n; i++) v[i] = i % 10;
  cy_column *col = NULL;
  cy_table *big = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, NULL, n, &col, &err));
  const char *name = "k";
  OK(cy_table_make(1, &name, &col, &big, &err));
  for (int c = 0; c < 2; c++) {
    cy_buffer *b = write_memory(big, false, 0, codecs[c]);
    CHECK(b->size < n * 8 / 4);
    cy_table *got = NULL;
    OK(ipc_read_memory(b, "compressed", &got, &err));
    check_same(big, got, "big compressed");
    cy_table_release(got);
    cy_buffer_release(b);
  }
  cy_table_release(big);
  cy_column_release(col);
  free(v);
  cy_table_release(t);
}

static bool points_into(const cy_buffer *buf, const cy_buffer *whole) {
  return buf == NULL || buf->size == 0 ||
         (buf->data >= whole->data && buf->data + buf->size <= whole->data + whole->size);
}

/* Read from one buffer, the columns' buffers are views of it. */
static void test_zero_copy(void) {
  cy_table *t = every_type_table(ROWS, true);
  for (int f = 0; f < 2; f++) {
    cy_buffer *b = write_memory(t, f, 0, IPC_CODEC_NONE);
    cy_table *got = NULL;
    OK(ipc_read_memory(b, "memory", &got, &err));
    check_same(t, got, "zero copy");
    for (int32_t c = 0; got && c < got->schema.num_fields; c++) {
      const cy_column *col = got->columns[c];
      CHECK(points_into(col->validity, b) && points_into(col->values, b) &&
            points_into(col->data, b));
    }
    cy_buffer_release(b);
    /* The table keeps the bytes alive after the caller lets go of them. */
    check_same(t, got, "zero copy after release");
    cy_table_release(got);
  }
  cy_table_release(t);
}

/* The streaming reader yields one batch per record batch, with the sizes written. */
static void test_batches(void) {
  cy_table *t = every_type_table(ROWS, true);
  cy_buffer *b = write_memory(t, false, 16, IPC_CODEC_NONE);
  cy_batch_reader r;
  OK(ipc_open_memory(b, "memory", &r, &err));
  int64_t sizes[8], n = 0;
  for (cy_table *batch = NULL; n < 8; n++) {
    OK(r.next(&r, &batch, &err));
    if (batch == NULL) break;
    sizes[n] = batch->num_rows;
    cy_table_release(batch);
  }
  r.release(&r);
  CHECK_EQ_INT(n, 4);
  CHECK(n == 4 && sizes[0] == 16 && sizes[3] == 2);
  cy_buffer_release(b);
  cy_table_release(t);
}

int main(void) {
  int64_t base = cy_memory_current();
  snprintf(temp_dir, sizeof temp_dir, "/tmp/cylon_test_ipc_XXXXXX");
  if (mkdtemp(temp_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_every_type();
  test_slices();
  test_empty();
  test_compression();
  test_zero_copy();
  test_batches();
  CHECK_EQ_INT(cy_memory_current(), base);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", temp_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", temp_dir);
  TEST_MAIN_END();
}
