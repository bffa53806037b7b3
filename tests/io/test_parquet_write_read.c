/*
 * test_parquet_write_read.c - tables written by cy_parquet_write and read back by
 * cy_parquet_read come back equal: every type cylon writes, with nulls, NaN, -0.0 and
 * infinities, under every compression, with dictionaries on and off (and a dictionary
 * limit small enough to fall back to PLAIN), row groups of a few hundred rows, small
 * pages, an empty table and a single row. Page checksums: the CRC-32 in the first page's
 * header is the one a bitwise CRC-32 (written here) computes over the page's bytes; one
 * damaged byte is reported as a checksum mismatch naming the column, or read silently
 * when checking is off or the file has no checksums.
 *
 * Types come back as Parquet keeps them unless the reader restores them exactly: large
 * strings and binaries as their 32-bit-offset forms, timestamps in seconds as
 * milliseconds, a named time zone as UTC (the instants are the same). Values are compared
 * as text, which shows the same instant alike in any unit.
 */
#include <math.h>
#include <unistd.h>

#include "io/parquet_meta.h"
#include "test.h"

static char temp_dir[64];

static const struct {
  cy_type_id id;
  cy_time_unit unit;
  const char *tz;
  int32_t precision, scale;
} rt_types[] = {
    {CY_BOOL, 0, NULL, 0, 0},       {CY_INT8, 0, NULL, 0, 0},       {CY_INT16, 0, NULL, 0, 0},
    {CY_INT32, 0, NULL, 0, 0},      {CY_INT64, 0, NULL, 0, 0},      {CY_UINT8, 0, NULL, 0, 0},
    {CY_UINT16, 0, NULL, 0, 0},     {CY_UINT32, 0, NULL, 0, 0},     {CY_UINT64, 0, NULL, 0, 0},
    {CY_FLOAT32, 0, NULL, 0, 0},    {CY_FLOAT64, 0, NULL, 0, 0},    {CY_UTF8, 0, NULL, 0, 0},
    {CY_LARGE_UTF8, 0, NULL, 0, 0}, {CY_BINARY, 0, NULL, 0, 0},     {CY_LARGE_BINARY, 0, NULL, 0, 0},
    {CY_DATE32, 0, NULL, 0, 0},     {CY_TIMESTAMP, CY_SECOND, NULL, 0, 0},
    {CY_TIMESTAMP, CY_MILLI, NULL, 0, 0}, {CY_TIMESTAMP, CY_MICRO, NULL, 0, 0},
    {CY_TIMESTAMP, CY_NANO, NULL, 0, 0},  {CY_TIMESTAMP, CY_MICRO, "UTC", 0, 0},
    {CY_TIMESTAMP, CY_MILLI, "Asia/Tokyo", 0, 0}, {CY_DECIMAL128, 0, NULL, 7, 2},
    {CY_DECIMAL128, 0, NULL, 15, 3}, {CY_DECIMAL128, 0, NULL, 30, 4}};
#define RT_COLS (int)(sizeof rt_types / sizeof rt_types[0])

static cy_type rt_type(int c) {
  if (rt_types[c].id == CY_TIMESTAMP) return cy_type_timestamp(rt_types[c].unit, rt_types[c].tz);
  if (rt_types[c].id == CY_DECIMAL128)
    return cy_type_decimal128(rt_types[c].precision, rt_types[c].scale);
  return cy_type_make(rt_types[c].id);
}

/* Value i of column c: a mix of small repeating values (dictionary material), extremes
 * and spread-out values; every 11th row (shifted per column) is null. */
static cy_status rt_append(cy_builder *b, int c, int64_t i, cy_error *err) {
  if ((i + c) % 11 == 0) return cy_builder_append_null(b, err);
  uint64_t r = (uint64_t)i * 0x9E3779B97F4A7C15ull ^ (uint64_t)c * 0xD1B54A32D192ED03ull;
  r ^= r >> 29;
  bool few = (i / 100) % 2 == 0; /* stretches of few distinct values */
  int64_t small = (int64_t)(r % 7) - 3;
  cy_type_id id = rt_types[c].id;
  switch (id) {
    case CY_BOOL: return cy_builder_append_int(b, (int64_t)(r & 1), err);
    case CY_INT8: return cy_builder_append_int(b, few ? small : (int8_t)r, err);
    case CY_INT16: return cy_builder_append_int(b, few ? small : (int16_t)r, err);
    case CY_INT32: return cy_builder_append_int(b, few ? small : (int32_t)r, err);
    case CY_INT64: return cy_builder_append_int(b, few ? small : (int64_t)r, err);
    case CY_UINT8: return cy_builder_append_uint(b, few ? (uint64_t)(small + 3) : (uint8_t)r, err);
    case CY_UINT16: return cy_builder_append_uint(b, few ? (uint64_t)(small + 3) : (uint16_t)r, err);
    case CY_UINT32: return cy_builder_append_uint(b, few ? (uint64_t)(small + 3) : (uint32_t)r, err);
    case CY_UINT64: return cy_builder_append_uint(b, few ? (uint64_t)(small + 3) : r, err);
    case CY_FLOAT32:
    case CY_FLOAT64: {
      double d = i == 1 ? NAN : i == 2 ? -0.0 : i == 3 ? -INFINITY : few ? small / 4.0 : (double)(int64_t)r / 1e6;
      if (id == CY_FLOAT32) d = (double)(float)d;
      return cy_builder_append_double(b, d, err);
    }
    case CY_UTF8: case CY_LARGE_UTF8: case CY_BINARY: case CY_LARGE_BINARY: {
      char text[32];
      int n = few ? snprintf(text, sizeof text, "w%d", (int)small)
                  : snprintf(text, sizeof text, "%llx\xc3\xa9", (unsigned long long)r);
      if (id == CY_BINARY || id == CY_LARGE_BINARY) text[0] = (char)(r >> 56);
      return cy_builder_append_bytes(b, text, n, err);
    }
    case CY_DATE32: return cy_builder_append_int(b, few ? 18000 + small : (int64_t)(r % 2000000) - 1000000, err);
    case CY_TIMESTAMP: {
      int64_t range = rt_types[c].unit == CY_SECOND ? 100000000000ll : 4000000000000000000ll;
      return cy_builder_append_int(b, few ? small : (int64_t)(r % (uint64_t)range) - range / 2, err);
    }
    default: {
      int64_t lo = few ? small : (int64_t)(r % 1000000000) - 500000000;
      int64_t hi = rt_types[c].precision > 18 && !few ? (int64_t)(r % 1000000) - 500000 : (lo < 0 ? -1 : 0);
      return cy_builder_append_decimal128(b, (uint64_t)lo, hi, err);
    }
  }
}

static cy_table *rt_table(int64_t n) {
  cy_error err;
  cy_column *cols[RT_COLS] = {0};
  char names[RT_COLS][8];
  const char *name_ptrs[RT_COLS];
  for (int c = 0; c < RT_COLS; c++) {
    cy_builder b;
    OK(cy_builder_init(&b, rt_type(c), n, &err));
    for (int64_t i = 0; i < n; i++) OK(rt_append(&b, c, i, &err));
    OK(cy_builder_finish(&b, &cols[c], &err));
    cy_builder_reset(&b);
    snprintf(names[c], sizeof names[c], "c%d", c);
    name_ptrs[c] = names[c];
  }
  cy_table *t = NULL;
  OK(cy_table_make(RT_COLS, name_ptrs, cols, &t, &err));
  for (int c = 0; c < RT_COLS; c++) cy_column_release(cols[c]);
  return t;
}

/* The type a column comes back as: exact, or what Parquet keeps of it (large offsets
 * and a time zone's name are not stored; seconds are stored as milliseconds). */
static bool rt_type_ok(const cy_type *wrote, const cy_type *got) {
  if (cy_type_equals(wrote, got)) return true;
  cy_type want = *wrote;
  if (want.id == CY_LARGE_UTF8) want.id = CY_UTF8;
  if (want.id == CY_LARGE_BINARY) want.id = CY_BINARY;
  if (want.id == CY_TIMESTAMP) {
    if (want.unit == CY_SECOND) want.unit = CY_MILLI;
    if (want.timezone[0]) snprintf(want.timezone, sizeof want.timezone, "UTC");
  }
  return cy_type_equals(&want, got);
}

/* Same values row by row, compared as text (the same instant prints alike in any unit). */
static void rt_compare(const cy_table *wrote, const cy_table *got, const char *what) {
  CHECK_EQ_INT(got->num_rows, wrote->num_rows);
  CHECK_EQ_INT(got->schema.num_fields, wrote->schema.num_fields);
  if (got->num_rows != wrote->num_rows || got->schema.num_fields != wrote->schema.num_fields) return;
  for (int c = 0; c < wrote->schema.num_fields; c++) {
    CHECK_EQ_STR(got->schema.fields[c].name, wrote->schema.fields[c].name);
    if (!rt_type_ok(&wrote->schema.fields[c].type, &got->schema.fields[c].type)) {
      char a[96], b[96];
      fprintf(stderr, "%s: column %d written as %s, read as %s\n", what, c,
              cy_type_name(&wrote->schema.fields[c].type, a, sizeof a),
              cy_type_name(&got->schema.fields[c].type, b, sizeof b));
      test_failures++;
      continue;
    }
    int64_t bad = 0;
    for (int64_t i = 0; i < wrote->num_rows; i++) {
      char x[512], y[512];
      cy_column_format_value(wrote->columns[c], i, "<null>", x, sizeof x);
      cy_column_format_value(got->columns[c], i, "<null>", y, sizeof y);
      if (strcmp(x, y) != 0 && bad++ < 3)
        fprintf(stderr, "%s: column %d row %lld: wrote %s, read %s\n", what, c, (long long)i, x, y);
    }
    CHECK_EQ_INT(bad, 0);
  }
}

static void test_read_back(void) {
  cy_error err;
  cy_table *t = rt_table(5000);
  static const cy_compression codecs[] = {CY_COMPRESSION_NONE, CY_COMPRESSION_SNAPPY,
                                          CY_COMPRESSION_GZIP, CY_COMPRESSION_ZSTD,
                                          CY_COMPRESSION_LZ4_RAW, CY_COMPRESSION_BROTLI};
  char path[128];
  snprintf(path, sizeof path, "%s/rt.parquet", temp_dir);
  for (int k = 0; k < (int)(sizeof codecs / sizeof codecs[0]); k++) {
    for (int dict = 0; dict < 2; dict++) {
      cy_parquet_write_options o;
      cy_parquet_write_options_init(&o);
      o.compression = codecs[k];
      o.dictionary = dict;
      o.row_group_rows = k % 2 ? 777 : 1 << 20;
      o.page_bytes = k == 3 ? 512 : 1 << 20;
      o.dictionary_page_bytes = k == 5 ? 100 : 1 << 20;
      OK(cy_parquet_write(t, path, &o, &err));
      cy_table *back = NULL;
      OK(cy_parquet_read(path, NULL, &back, &err));
      char what[64];
      snprintf(what, sizeof what, "%s, dictionary %s", cy_compression_name(codecs[k]),
               dict ? "on" : "off");
      if (back) rt_compare(t, back, what);
      cy_table_release(back);
    }
  }
  /* An empty table and one row. */
  for (int64_t rows = 0; rows < 2; rows++) {
    cy_table *part = NULL;
    OK(cy_table_slice(t, 3, rows, &part, &err));
    OK(cy_parquet_write(part, path, NULL, &err));
    cy_table *back = NULL;
    OK(cy_parquet_read(path, NULL, &back, &err));
    if (back) rt_compare(part, back, rows ? "one row" : "empty");
    cy_table_release(back);
    cy_table_release(part);
  }
  unlink(path);
  cy_table_release(t);
}

/* CRC-32 (IEEE, reflected, polynomial 0xEDB88320) one bit at a time: the oracle for the
 * table-driven zlib CRC the writer uses. */
static uint32_t crc32_bitwise(const uint8_t *p, int64_t n) {
  uint32_t crc = 0xFFFFFFFFu;
  for (int64_t i = 0; i < n; i++) {
    crc ^= p[i];
    for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

static uint8_t *read_whole(const char *path, int64_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *data = malloc((size_t)*len);
  if (data && fread(data, 1, (size_t)*len, f) != (size_t)*len) {
    free(data);
    data = NULL;
  }
  fclose(f);
  return data;
}

static void write_whole(const char *path, const uint8_t *data, int64_t len) {
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return;
  CHECK(fwrite(data, 1, (size_t)len, f) == (size_t)len);
  fclose(f);
}

static void test_checksums(void) {
  cy_error err;
  enum { N = 10000 };
  static int64_t v[N];
  for (int i = 0; i < N; i++) v[i] = (int64_t)i * 7919;
  cy_column *col = NULL;
  cy_table *t = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, NULL, N, &col, &err));
  const char *names[] = {"v"};
  OK(cy_table_make(1, names, &col, &t, &err));
  cy_column_release(col);
  char path[128];
  snprintf(path, sizeof path, "%s/crc.parquet", temp_dir);
  for (int with_crc = 0; with_crc < 2; with_crc++) {
    cy_parquet_write_options o;
    cy_parquet_write_options_init(&o);
    CHECK(o.checksums); /* on by default */
    o.checksums = with_crc;
    o.compression = CY_COMPRESSION_NONE;
    o.dictionary = false;
    OK(cy_parquet_write(t, path, &o, &err));
    int64_t len = 0;
    uint8_t *data = read_whole(path, &len);
    CHECK(data != NULL && len > 4 + N * 8);
    if (!data) continue;
    /* The first page header follows the "PAR1" magic. */
    pq_page_header h;
    int64_t hlen = 0;
    OK(pq_page_header_decode(data + 4, len - 4, &h, &hlen, &err));
    CHECK_EQ_INT(h.has_crc, with_crc);
    const uint8_t *body = data + 4 + hlen;
    CHECK(h.compressed_page_size > 1000 && 4 + hlen + h.compressed_page_size < len);
    if (with_crc) CHECK_EQ_INT((uint32_t)h.crc, crc32_bitwise(body, h.compressed_page_size));
    /* Damage one byte in the middle of the first page's values. */
    data[4 + hlen + h.compressed_page_size / 2] ^= 0x40;
    write_whole(path, data, len);
    free(data);
    cy_table *back = NULL;
    if (with_crc) {
      FAILS(cy_parquet_read(path, NULL, &back, &err), CY_EINVAL, "checksum mismatch");
      CHECK(strstr(err.message, "column 'v'") != NULL);
    } else {
      OK(cy_parquet_read(path, NULL, &back, &err));
      cy_table_release(back);
      back = NULL;
    }
    /* Checking off: the damaged value is read as it is. */
    cy_parquet_read_options ro;
    cy_parquet_read_options_init(&ro);
    ro.verify_checksums = false;
    OK(cy_parquet_read(path, &ro, &back, &err));
    if (back) {
      const int64_t *got = (const int64_t *)cy_column_data(back->columns[0]);
      int differ = 0;
      for (int i = 0; i < N; i++) differ += got[i] != v[i];
      CHECK_EQ_INT(differ, 1);
    }
    cy_table_release(back);
  }
  unlink(path);
  cy_table_release(t);
}

int main(void) {
  snprintf(temp_dir, sizeof temp_dir, "/tmp/cylon_parquet_rt_XXXXXX");
  if (mkdtemp(temp_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_read_back();
  test_checksums();
  rmdir(temp_dir);
  TEST_MAIN_END();
}
