/*
 * test_nulls.c - is_null / is_not_null, fill_null and drop_null, with nulls first, in the
 * middle and last, slices at unaligned offsets, and columns and tables without nulls.
 */
#include "test.h"

static cy_column *make(cy_type_id id, const void *values, const char *valid, int64_t n) {
  cy_error err;
  uint8_t flags[64];
  for (int64_t i = 0; valid && i < n; i++) flags[i] = valid[i] == '1';
  cy_column *c = NULL;
  if (cy_column_from_values(cy_type_make(id), values, valid ? flags : NULL, n, &c, &err) != CY_OK)
    fprintf(stderr, "make: %s\n", err.message);
  return c;
}

/* A bool column with no nulls equals "TF..." */
static void check_bools(cy_column *c, const char *want, int line) {
  int64_t n = (int64_t)strlen(want);
  bool ok = c && c->type.id == CY_BOOL && c->length == n && c->null_count == 0;
  for (int64_t i = 0; ok && i < n; i++) ok = cy_column_bool(c, i) == (want[i] == 'T');
  if (!ok) {
    fprintf(stderr, "line %d: bools differ from %s\n", line, want);
    test_failures++;
  }
  cy_column_release(c);
}

static cy_column *is_null(const cy_column *c, bool negate) {
  cy_error err;
  cy_column *out = NULL;
  if (cy_column_is_null(c, negate, &out, &err) != CY_OK) fprintf(stderr, "%s\n", err.message);
  return out;
}

static void test_is_null(void) {
  cy_error err;
  int64_t v[] = {0, 1, 0, 3, 4, 5, 6, 7, 8, 0};
  cy_column *c = make(CY_INT64, v, "0101111110", 10);
  check_bools(is_null(c, false), "TFTFFFFFFT", __LINE__);
  check_bools(is_null(c, true), "FTFTTTTTTF", __LINE__);
  cy_column *s = NULL;
  OK(cy_column_slice(c, 2, 7, &s, &err)); /* rows 2..8: null 3 4 5 6 7 8 */
  check_bools(is_null(s, false), "TFFFFFF", __LINE__);
  cy_column_release(s);
  OK(cy_column_slice(c, 9, 0, &s, &err));
  check_bools(is_null(s, false), "", __LINE__);
  cy_column_release(s);
  cy_column_release(c);
  c = make(CY_INT64, v, NULL, 3);
  check_bools(is_null(c, false), "FFF", __LINE__);
  check_bools(is_null(c, true), "TTT", __LINE__);
  cy_column_release(c);
}

static void test_fill_null(void) {
  cy_error err;
  cy_column *out = NULL;
  int64_t v[] = {0, 2, 0, 4};
  cy_column *c = make(CY_INT64, v, "0101", 4);
  cy_scalar seven = cy_scalar_int64(7);
  OK(cy_column_fill_null(c, &seven, &out, &err));
  CHECK(out && out->null_count == 0 && out->type.id == CY_INT64);
  const int64_t want[] = {7, 2, 7, 4};
  CHECK(out && memcmp(cy_column_data(out), want, sizeof want) == 0);
  cy_column_release(out);
  /* The value is cast to the column's type: 2.9 truncates to 2. */
  cy_scalar f = cy_scalar_float64(2.9);
  OK(cy_column_fill_null(c, &f, &out, &err));
  CHECK(out && ((const int64_t *)cy_column_data(out))[0] == 2);
  cy_column_release(out);
  /* A null fill value, or a column without nulls: the same column back. */
  cy_scalar none = cy_scalar_null(cy_type_make(CY_INT64));
  OK(cy_column_fill_null(c, &none, &out, &err));
  CHECK(out == c);
  cy_column_release(out);
  /* A slice: rows 1..3 are 2 null 4 */
  cy_column *s = NULL;
  OK(cy_column_slice(c, 1, 3, &s, &err));
  OK(cy_column_fill_null(s, &seven, &out, &err));
  const int64_t want_s[] = {2, 7, 4};
  CHECK(out && out->length == 3 && memcmp(cy_column_data(out), want_s, sizeof want_s) == 0);
  cy_column_release(out);
  cy_column_release(s);
  cy_column_release(c);

  int8_t small[] = {0, 1};
  c = make(CY_INT8, small, "01", 2);
  cy_scalar big = cy_scalar_int64(300);
  FAILS(cy_column_fill_null(c, &big, &out, &err), CY_ERANGE,
        "fill_null: cast to int8: value 300 at row 0 is out of range");
  cy_scalar word = cy_scalar_string("x");
  FAILS(cy_column_fill_null(c, &word, &out, &err), CY_EINVAL, "'x' at row 0 is not a valid int8");
  cy_column_release(c);

  const char *strs[] = {NULL, "ab", NULL};
  OK(cy_column_from_strings(strs, 3, &c, &err));
  OK(cy_column_fill_null(c, &word, &out, &err));
  int64_t len;
  CHECK(out && out->null_count == 0 && cy_column_bytes(out, 0, &len)[0] == 'x' && len == 1);
  CHECK(out && memcmp(cy_column_bytes(out, 1, &len), "ab", 2) == 0 && len == 2);
  CHECK(out && cy_column_bytes(out, 2, &len)[0] == 'x' && len == 1);
  cy_column_release(out);
  cy_column_release(c);

  int32_t days[] = {0, 5};
  c = make(CY_DATE32, days, "01", 2);
  cy_scalar day = cy_scalar_string("2020-01-31");
  OK(cy_column_fill_null(c, &day, &out, &err));
  CHECK(out && ((const int32_t *)cy_column_data(out))[0] == 18292 &&
        ((const int32_t *)cy_column_data(out))[1] == 5);
  cy_column_release(out);
  cy_column_release(c);

  uint8_t bits[] = {0, 0, 1};
  c = make(CY_BOOL, bits, "101", 3);
  cy_scalar yes = cy_scalar_bool(true);
  OK(cy_column_fill_null(c, &yes, &out, &err));
  CHECK(out && !cy_column_bool(out, 0) && cy_column_bool(out, 1) && cy_column_bool(out, 2) &&
        out->null_count == 0);
  cy_column_release(out);
  cy_column_release(c);
}

static void test_drop_null(void) {
  cy_error err;
  int64_t a[] = {1, 2, 3, 4, 5};
  double b[] = {0.5, 0, 1.5, 2.5, 0};
  cy_column *ca = make(CY_INT64, a, "11011", 5), *cb = make(CY_FLOAT64, b, "10110", 5);
  const char *names[] = {"a", "b"};
  cy_column *cols[] = {ca, cb};
  cy_table *t = NULL, *out = NULL;
  OK(cy_table_make(2, names, cols, &t, &err));
  /* a is null in row 2, b in rows 1 and 4. */
  OK(cy_table_drop_null(t, NULL, 0, &out, &err));
  CHECK(out && out->num_rows == 2 && ((const int64_t *)cy_column_data(out->columns[0]))[0] == 1 &&
        ((const int64_t *)cy_column_data(out->columns[0]))[1] == 4);
  cy_table_release(out);
  const char *only_a[] = {"a"};
  OK(cy_table_drop_null(t, only_a, 1, &out, &err));
  CHECK(out && out->num_rows == 4 && ((const int64_t *)cy_column_data(out->columns[0]))[2] == 4);
  CHECK(out && !cy_column_is_valid(out->columns[1], 1)); /* b's nulls stay */
  cy_table_release(out);
  const char *missing[] = {"zz"};
  FAILS(cy_table_drop_null(t, missing, 1, &out, &err), CY_ENOENT, "no column named 'zz'");
  /* A slice at an unaligned offset: rows 1..4. a: 2 null 4 5; b: null 1.5 2.5 null */
  cy_table *s = NULL;
  OK(cy_table_slice(t, 1, 4, &s, &err));
  OK(cy_table_drop_null(s, NULL, 0, &out, &err));
  CHECK(out && out->num_rows == 1 && ((const int64_t *)cy_column_data(out->columns[0]))[0] == 4);
  cy_table_release(out);
  cy_table_release(s);
  /* No nulls among the chosen columns: the same table. */
  OK(cy_table_slice(t, 0, 1, &s, &err));
  OK(cy_table_drop_null(s, NULL, 0, &out, &err));
  CHECK(out == s);
  cy_table_release(out);
  cy_table_release(s);
  OK(cy_table_slice(t, 5, 0, &s, &err));
  OK(cy_table_drop_null(s, NULL, 0, &out, &err));
  CHECK(out && out->num_rows == 0);
  cy_table_release(out);
  cy_table_release(s);
  cy_table_release(t);
  cy_column_release(ca);
  cy_column_release(cb);
}

int main(void) {
  test_is_null();
  test_fill_null();
  test_drop_null();
  TEST_MAIN_END();
}
