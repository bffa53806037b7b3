/*
 * fuzz_parquet.c - libFuzzer target for the Parquet reader.
 *
 * The input is a Parquet file held in memory (a cy_input over the bytes). The reader
 * reads its footer (cy_parquet_read_info's path) and then all of it; when a column cannot
 * be held (nested, TIME, ...) it reads again with those projected away, so the pages of
 * the other columns are decoded too. Beyond "no crash, no leak, no sanitizer report", a
 * failure must come with a message and no table, a success with a table whose columns
 * all have its row count, and a one-thread read must agree with a two-thread read.
 * The reader's allocation budget is lowered so that hostile sizes fail fast instead of
 * hitting libFuzzer's memory limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"
#include "io/parquet_reader.h"

static bool same_tables(const cy_table *a, const cy_table *b) {
  if (!cy_schema_equals(&a->schema, &b->schema) || a->num_rows != b->num_rows) return false;
  char x[128], y[128];
  for (int32_t c = 0; c < a->schema.num_fields; c++)
    for (int64_t r = 0; r < a->num_rows; r++) {
      cy_column_format_value(a->columns[c], r, "\x01NULL", x, sizeof x);
      cy_column_format_value(b->columns[c], r, "\x01NULL", y, sizeof y);
      if (strcmp(x, y) != 0) return false;
    }
  return true;
}

static void check(cy_status st, cy_table *t, const cy_error *err) {
  if (st != CY_OK && (t != NULL || err->message[0] == 0)) abort();
  if (st == CY_OK) {
    if (!t) abort();
    for (int32_t c = 0; c < t->schema.num_fields; c++)
      if (t->columns[c]->length != t->num_rows) abort();
  }
}

static void read_twice(cy_input *in, cy_parquet_read_options *o) {
  cy_error e1, e2;
  e1.message[0] = e2.message[0] = 0;
  cy_table *t1 = NULL, *t2 = NULL;
  o->num_threads = 1;
  cy_status s1 = pq_read_input(in, o, &t1, NULL, &e1);
  check(s1, t1, &e1);
  o->num_threads = 2;
  cy_status s2 = pq_read_input(in, o, &t2, NULL, &e2);
  check(s2, t2, &e2);
  if ((s1 == CY_OK) != (s2 == CY_OK)) abort();
  if (s1 == CY_OK && !same_tables(t1, t2)) abort();
  cy_table_release(t1);
  cy_table_release(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pq_read_limits.min_budget = 64 << 20;
  pq_read_limits.per_byte = 256;
  cy_input in;
  pq_memory_input(data, (int64_t)size, "fuzz.parquet", &in);
  cy_parquet_info info;
  cy_error err;
  err.message[0] = 0;
  if (pq_read_info_input(&in, &info, &err) != CY_OK) {
    if (err.message[0] == 0) abort();
    return 0;
  }
  cy_parquet_read_options o;
  cy_parquet_read_options_init(&o);
  read_twice(&in, &o);
  if (info.unreadable && info.schema.num_fields > 0) {
    const char **names = malloc(sizeof(char *) * (size_t)info.schema.num_fields);
    for (int32_t i = 0; i < info.schema.num_fields; i++) names[i] = info.schema.fields[i].name;
    o.columns = names;
    o.num_columns = info.schema.num_fields;
    read_twice(&in, &o);
    free(names);
  }
  cy_parquet_info_reset(&info);
  return 0;
}
