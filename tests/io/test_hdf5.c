/*
 * test_hdf5.c - the HDF5 reader and writer in C: a hand-made table with every type cylon
 * writes to HDF5 and nulls in every column, written and read back in windows smaller than
 * the table (chunk_rows 3 and 2 over 7 rows, also from a slice at an odd offset, so bitmaps
 * are shifted), in both layouts and with both kinds of strings; compared with the values
 * it was made from. Then the refusals: types HDF5 cannot hold, nulls in the compound
 * layout, bad keys, missing files and keys; a refused write leaves no file. Files written
 * by h5py are tested in tests/python/test_hdf5.py; this test runs leak-checked under ASan.
 */
#include <math.h>
#include <unistd.h>

#include "test.h"

static cy_error err;
static char dir[256];

#define ROWS 7

/* valid[i] = 0 makes row i null; every column has a null somewhere, none has all. */
static const uint8_t valid[ROWS] = {1, 0, 1, 1, 1, 0, 1};

static cy_table *make_table(void) {
  int8_t i8[ROWS] = {-128, 0, 127, 1, -1, 0, 5};
  int16_t i16[ROWS] = {-32768, 0, 32767, 2, -2, 0, 6};
  int32_t i32[ROWS] = {INT32_MIN, 0, INT32_MAX, 3, -3, 0, 7};
  int64_t i64[ROWS] = {INT64_MIN, 0, INT64_MAX, 4, -4, 0, 8};
  uint8_t u8[ROWS] = {0, 0, 255, 1, 2, 0, 9};
  uint16_t u16[ROWS] = {0, 0, 65535, 1, 2, 0, 10};
  uint32_t u32[ROWS] = {0, 0, UINT32_MAX, 1, 2, 0, 11};
  uint64_t u64[ROWS] = {0, 0, UINT64_MAX, 1, 2, 0, 12};
  float f32[ROWS] = {-0.0f, 0, INFINITY, 1.5f, -1e30f, 0, 3.25f};
  double f64[ROWS] = {-0.0, 0, -INFINITY, 0.1, 1e300, 0, NAN};
  uint8_t b[ROWS] = {1, 0, 0, 1, 1, 0, 1};
  int32_t days[ROWS] = {0, 0, -1, 19000, -719162, 0, 2932896};
  int64_t micros[ROWS] = {0, 0, -1, 1600000000123456LL, INT64_MIN / 2, 0, INT64_MAX / 2};
  const char *s[ROWS] = {"", NULL, "héllo", "a", "longer string, with, commas", NULL, "z"};
  const char *names[] = {"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32",
                         "f64", "b", "d", "ts", "s", "ls"};
  const void *values[] = {i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, b, days, micros};
  cy_type types[] = {cy_type_make(CY_INT8),   cy_type_make(CY_INT16),
                     cy_type_make(CY_INT32),  cy_type_make(CY_INT64),
                     cy_type_make(CY_UINT8),  cy_type_make(CY_UINT16),
                     cy_type_make(CY_UINT32), cy_type_make(CY_UINT64),
                     cy_type_make(CY_FLOAT32), cy_type_make(CY_FLOAT64),
                     cy_type_make(CY_BOOL),   cy_type_make(CY_DATE32),
                     cy_type_timestamp(CY_MICRO, "UTC")};
  cy_column *cols[15] = {0};
  for (int i = 0; i < 13; i++) {
    uint8_t v[ROWS];
    for (int r = 0; r < ROWS; r++) v[r] = valid[(r + i) % ROWS]; /* nulls move around */
    OK(cy_column_from_values(types[i], values[i], v, ROWS, &cols[i], &err));
  }
  OK(cy_column_from_strings(s, ROWS, &cols[13], &err));
  /* The same strings as large_utf8 (int64 offsets). */
  cy_builder lb;
  OK(cy_builder_init(&lb, cy_type_make(CY_LARGE_UTF8), ROWS, &err));
  for (int r = 0; r < ROWS; r++)
    OK(s[r] ? cy_builder_append_bytes(&lb, s[r], (int64_t)strlen(s[r]), &err)
            : cy_builder_append_null(&lb, &err));
  OK(cy_builder_finish(&lb, &cols[14], &err));
  cy_builder_reset(&lb);
  cy_table *t = NULL;
  OK(cy_table_make(15, names, cols, &t, &err));
  for (int i = 0; i < 15; i++) cy_column_release(cols[i]);
  return t;
}

/* Write t to path with opts, read it back in windows of read_rows and compare. */
static void roundtrip(cy_table *t, const char *path, const cy_hdf5_write_options *w,
                      int64_t read_rows) {
  OK(cy_hdf5_write(t, path, w, &err));
  cy_hdf5_read_options r;
  cy_hdf5_read_options_init(&r);
  r.chunk_rows = read_rows;
  r.key = w->key;
  cy_table *back = NULL;
  OK(cy_hdf5_read(path, &r, &back, &err));
  bool equal = false;
  if (back) OK(cy_table_equals(t, back, true, &equal, &err));
  if (!equal) {
    char a[1024], b[1024];
    fprintf(stderr, "%s%s: read back differs:\n  %s\n  %s\n", path, w->key ? w->key : "",
            cy_schema_format(&t->schema, a, sizeof a),
            back ? cy_schema_format(&back->schema, b, sizeof b) : "(nothing)");
    if (back) cy_table_print(back, NULL, stderr, &err);
  }
  CHECK(equal);
  cy_table_release(back);
}

static void test_roundtrips(void) {
  cy_table *t = make_table();
  char path[512];
  snprintf(path, sizeof path, "%s/t.h5", dir);
  cy_hdf5_write_options w;
  cy_hdf5_write_options_init(&w);
  w.chunk_rows = 3;
  roundtrip(t, path, &w, 2);
  w.fixed_strings = true;
  w.compression_level = 6;
  w.key = "/deep/er/table";
  roundtrip(t, path, &w, 5);
  /* Without a key: no /table, so the root's only member, /deep, which holds no columns. */
  cy_table *back = NULL;
  FAILS(cy_hdf5_read(path, NULL, &back, &err), CY_EINVAL,
        "t.h5:/deep: the group holds no datasets to read as columns");
  CHECK(back == NULL);

  /* A slice at an odd offset: shifted bitmaps and string offsets. */
  cy_table *slice = NULL;
  OK(cy_table_slice(t, 1, 5, &slice, &err));
  cy_hdf5_write_options_init(&w);
  w.chunk_rows = 2;
  snprintf(path, sizeof path, "%s/slice.h5:/s", dir);
  roundtrip(slice, path, &w, 3);

  /* The compound layout holds no nulls: the null-free rows 2..4 of the first columns. */
  cy_table *part = NULL, *no_nulls = NULL;
  int32_t cols[] = {0, 7, 13, 14}; /* i8, u64, s, ls: nulls only at rows 1 and 5 */
  OK(cy_table_project(t, 4, cols, NULL, &part, &err));
  OK(cy_table_slice(part, 2, 3, &no_nulls, &err));
  bool any_null = false;
  for (int i = 0; no_nulls && i < 4; i++)
    for (int64_t r = 0; r < 3; r++) any_null |= !cy_column_is_valid(no_nulls->columns[i], r);
  CHECK(!any_null);
  cy_hdf5_write_options_init(&w);
  w.layout = CY_HDF5_COMPOUND;
  w.chunk_rows = 2;
  snprintf(path, sizeof path, "%s/c.h5", dir);
  if (no_nulls && !any_null) roundtrip(no_nulls, path, &w, 2);
  /* Appending a second table to the same file keeps the first. */
  w.append = true;
  w.key = "/second";
  w.layout = CY_HDF5_COLUMNS;
  roundtrip(t, path, &w, 4);
  w.key = "/table";
  w.layout = CY_HDF5_COMPOUND;
  if (no_nulls && !any_null) roundtrip(no_nulls, path, &w, 1);

  /* An empty table. */
  cy_table *empty = NULL;
  OK(cy_table_slice(t, 0, 0, &empty, &err));
  cy_hdf5_write_options_init(&w);
  snprintf(path, sizeof path, "%s/empty.h5", dir);
  roundtrip(empty, path, &w, 2);
  cy_table_release(empty);
  cy_table_release(no_nulls);
  cy_table_release(part);
  cy_table_release(slice);
  cy_table_release(t);
}

static void test_refusals(void) {
  char path[512], missing[512];
  snprintf(path, sizeof path, "%s/refused.h5", dir);
  snprintf(missing, sizeof missing, "%s/missing.h5", dir);
  /* binary and decimal columns, nulls in a compound dataset: nothing written. */
  const char *bin[] = {"a", "b"};
  cy_column *c = NULL;
  OK(cy_column_from_strings(bin, 2, &c, &err));
  cy_column *binary = NULL;
  if (c)
    OK(cy_column_make(cy_type_make(CY_BINARY), 2, 0, 0, NULL, cy_buffer_retain(c->values),
                      cy_buffer_retain(c->data), &binary, &err));
  const char *name = "raw";
  cy_table *t = NULL;
  OK(cy_table_make(1, &name, &binary, &t, &err));
  FAILS(cy_hdf5_write(t, path, NULL, &err), CY_ENOTSUP, "column 'raw' is binary");
  CHECK(access(path, F_OK) != 0);
  cy_table_release(t);
  cy_column_release(binary);
  cy_column_release(c);

  int64_t v[2] = {1, 2};
  uint8_t ok[2] = {1, 0};
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, ok, 2, &c, &err));
  name = "x";
  OK(cy_table_make(1, &name, &c, &t, &err));
  cy_hdf5_write_options w;
  cy_hdf5_write_options_init(&w);
  w.layout = CY_HDF5_COMPOUND;
  FAILS(cy_hdf5_write(t, path, &w, &err), CY_ENOTSUP, "column 'x' has nulls");
  CHECK(access(path, F_OK) != 0);
  w.layout = CY_HDF5_COLUMNS;
  w.key = "table";
  FAILS(cy_hdf5_write(t, path, &w, &err), CY_EINVAL, "bad HDF5 key 'table'");
  CHECK(access(path, F_OK) != 0);
  w.key = NULL;
  OK(cy_hdf5_write(t, path, &w, &err));
  cy_table *back = NULL;
  FAILS(cy_hdf5_read(missing, NULL, &back, &err), CY_ENOENT, "missing.h5: No such file");
  cy_hdf5_read_options r;
  cy_hdf5_read_options_init(&r);
  r.key = "/nope/deeper";
  FAILS(cy_hdf5_read(path, &r, &back, &err), CY_ENOENT,
        "refused.h5:/nope/deeper: no such group or dataset (the file's root holds /table)");
  r.key = "/table/_validity"; /* a group of bools: readable as a table of its own */
  OK(cy_hdf5_read(path, &r, &back, &err));
  CHECK(back && back->num_rows == 2 && back->columns[0]->type.id == CY_BOOL);
  cy_table_release(back);
  back = NULL;
  FAILS(cy_hdf5_read("s3://bucket/x.h5", NULL, &back, &err), CY_ENOTSUP, "local paths only");
  CHECK(back == NULL);
  cy_table_release(t);
  cy_column_release(c);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/cylon_test_hdf5_XXXXXX");
  if (mkdtemp(dir) == NULL) return 1;
  test_roundtrips();
  test_refusals();
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  TEST_MAIN_END();
}
