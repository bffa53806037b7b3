/*
 * fuzz_csv.c - libFuzzer target for the CSV reader.
 *
 * The first input byte picks options (delimiter, header, quoted nulls, a null marker,
 * given types); the rest is the CSV text. Beyond "no crash, no leak, no sanitizer report",
 * the reader must give the same answer however the work is cut: one thread with the
 * default block, and two threads with tiny blocks (which exercises record carry-over,
 * buffer growth and chunk alignment) must agree on success and on every value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"

static bool same_tables(const cy_table *a, const cy_table *b) {
  if (!cy_schema_equals(&a->schema, &b->schema) || a->num_rows != b->num_rows) return false;
  char x[256], y[256];
  for (int32_t c = 0; c < a->schema.num_fields; c++)
    for (int64_t r = 0; r < a->num_rows; r++) {
      int64_t nx = cy_column_format_value(a->columns[c], r, "\x01NULL", x, sizeof x);
      int64_t ny = cy_column_format_value(b->columns[c], r, "\x01NULL", y, sizeof y);
      if (nx != ny || strcmp(x, y) != 0) return false;
    }
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t flags = data[0];
  const char *text = (const char *)data + 1;
  int64_t len = (int64_t)size - 1;
  static const char delims[] = {',', ';', '\t', '|'};
  static const char *const nulls[] = {"", "NA"};
  static const char *const names[] = {"a", "column1"};
  cy_type types[] = {cy_type_make(CY_INT32), cy_type_decimal128(9, 3)};
  cy_csv_read_options o;
  cy_csv_read_options_init(&o);
  o.delimiter = delims[flags & 3];
  o.header = !(flags & 4);
  o.quoted_nulls = flags & 8;
  if (flags & 16) {
    o.null_values = nulls;
    o.num_null_values = 2;
  }
  if (flags & 32) {
    o.column_names = names;
    o.column_types = types;
    o.num_column_types = 1 + ((flags >> 6) & 1);
  }
  o.sample_rows = (flags & 128) ? 3 : 20480;
  cy_error err1, err2;
  cy_table *t1 = NULL, *t2 = NULL;
  o.num_threads = 1;
  cy_status s1 = cy_csv_read_buffer(text, len, "fuzz.csv", &o, &t1, &err1);
  o.num_threads = 2;
  o.block_bytes = 7 + (int64_t)(len % 29);
  cy_status s2 = cy_csv_read_buffer(text, len, "fuzz.csv", &o, &t2, &err2);
  if (s1 != s2) abort();
  if (s1 == CY_OK && !same_tables(t1, t2)) abort();
  if (s1 != CY_OK && strcmp(err1.message, err2.message) != 0) abort();
  cy_table_release(t1);
  cy_table_release(t2);
  return 0;
}
