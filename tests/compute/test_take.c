/*
 * test_take.c - take, filter, head, tail and the C-callback select, with values computed
 * directly in the test: indices with -1 (null), strings, bools, sliced inputs and masks at
 * odd offsets with nulls, across the filter's chunk boundaries, and the many-column gather
 * of joins on columns long enough to be split into row ranges (32-bit row numbers, some
 * "no row"), with and without nulls in the source.
 */
#include "ops_test.h"

#include "compute/row.h"

static void test_take(void) {
  cy_table *t = T("k,s,b\n10,a,true\n20,,false\n30,ccc,\n40,d,true\n", "k:int64,s:utf8,b:bool");
  const int64_t idx[] = {3, -1, 0, 0, 2};
  cy_table *out = NULL;
  OK(cy_table_take(t, idx, 5, &out, &err));
  EXPECT_TABLE(out, T("k,s,b\n40,d,true\n,,\n10,a,true\n10,a,true\n30,ccc,\n",
                      "k:int64,s:utf8,b:bool"),
               true);
  const int64_t bad[] = {4};
  FAILS(cy_table_take(t, bad, 1, &out, &err), CY_EINVAL, "index 4 is outside a table of 4 rows");
  OK(cy_table_head(t, 2, &out, &err));
  EXPECT_TABLE(out, T("k,s,b\n10,a,true\n20,,false\n", "k:int64,s:utf8,b:bool"), true);
  OK(cy_table_tail(t, 10, &out, &err));
  EXPECT_TABLE(out, cy_table_retain(t), true);
  cy_table_release(t);
}

static bool even_key(const cy_table *t, int64_t row, void *ctx) {
  (void)ctx;
  return ((const int64_t *)cy_column_data(t->columns[0]))[row] % 2 == 0;
}

static void test_filter(void) {
  /* 200,003 rows: the mask keeps rows where i % 3 == 0, except that every 7th mask value
   * is null (dropped); the mask is a slice at offset 5 of a longer column. */
  int64_t n = 200003, pad = 5;
  uint8_t *mv = malloc((size_t)(n + pad)), *mvalid = malloc((size_t)(n + pad));
  int64_t *vals = malloc((size_t)n * sizeof(int64_t));
  for (int64_t i = 0; i < n + pad; i++) {
    int64_t r = i - pad;
    mv[i] = r >= 0 && r % 3 == 0;
    mvalid[i] = !(r >= 0 && r % 7 == 0);
  }
  for (int64_t i = 0; i < n; i++) vals[i] = i * 10;
  cy_column *mfull = NULL, *mask = NULL, *col = NULL;
  OK(cy_column_from_values(cy_type_make(CY_BOOL), mv, mvalid, n + pad, &mfull, &err));
  OK(cy_column_slice(mfull, pad, n, &mask, &err));
  OK(cy_column_from_values(cy_type_make(CY_INT64), vals, NULL, n, &col, &err));
  const char *name = "v";
  cy_table *t = NULL, *out = NULL;
  OK(cy_table_make(1, &name, &col, &t, &err));
  OK(cy_table_filter(t, mask, &out, &err));
  if (out) {
    int64_t want = 0, bad = 0;
    const int64_t *v = cy_column_data(out->columns[0]);
    for (int64_t i = 0; i < n; i++) {
      if (i % 3 != 0 || i % 7 == 0) continue;
      if (want < out->num_rows && v[want] != i * 10) bad++;
      want++;
    }
    CHECK_EQ_INT(out->num_rows, want);
    CHECK_EQ_INT(bad, 0);
    cy_table_release(out);
  }
  FAILS(cy_table_filter(t, col, &out, &err), CY_EINVAL, "the mask must be a bool column");
  OK(cy_table_select_fn(t, even_key, NULL, &out, &err));
  if (out) {
    CHECK_EQ_INT(out->num_rows, n); /* every value is a multiple of 10 */
    cy_table_release(out);
  }
  cy_table_release(t);
  cy_column_release(col);
  cy_column_release(mask);
  cy_column_release(mfull);
  free(mv);
  free(mvalid);
  free(vals);
}

/* cy_take_columns on 2.5M output rows (three of its row ranges), by 32-bit selections that
 * read at random: an int64 column without nulls by a selection without CY_NO_ROW (the
 * prefetching path), and the same values with every 5th null by the same selection with
 * CY_NO_ROW every 1000th row. Value i of the source is i * 7. */
static void test_take_columns_long(void) {
  int64_t n = 1500000, rows = 2500000;
  int64_t *vals = malloc((size_t)n * sizeof(int64_t));
  uint8_t *valid = malloc((size_t)n);
  uint32_t *all = malloc((size_t)rows * sizeof(uint32_t));
  uint32_t *sel = malloc((size_t)rows * sizeof(uint32_t));
  for (int64_t i = 0; i < n; i++) vals[i] = i * 7, valid[i] = i % 5 != 0;
  uint64_t x = 99;
  for (int64_t i = 0; i < rows; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    all[i] = (uint32_t)((x >> 33) % (uint64_t)n);
    sel[i] = i % 1000 == 3 ? CY_NO_ROW : all[i];
  }
  cy_column *plain = NULL, *nully = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), vals, NULL, n, &plain, &err));
  OK(cy_column_from_values(cy_type_make(CY_INT64), vals, valid, n, &nully, &err));
  const cy_column *cols[2] = {plain, nully};
  cy_selection sels[2] = {{NULL, all}, {NULL, sel}};
  cy_column *out[2] = {NULL, NULL};
  OK(cy_take_columns(2, cols, sels, rows, out, &err));
  if (out[0] && out[1]) {
    int64_t bad = 0, nulls1 = 0;
    const int64_t *v0 = cy_column_data(out[0]), *v1 = cy_column_data(out[1]);
    for (int64_t i = 0; i < rows; i++) {
      bool none = sel[i] == CY_NO_ROW;
      bool null1 = none || sel[i] % 5 == 0;
      nulls1 += null1;
      if (v0[i] != (int64_t)all[i] * 7) bad++;
      if (cy_column_is_valid(out[1], i) == null1) bad++;
      if (!null1 && v1[i] != (int64_t)sel[i] * 7) bad++;
    }
    CHECK_EQ_INT(out[0]->length, rows);
    CHECK_EQ_INT(out[0]->null_count, 0);
    CHECK_EQ_INT(out[1]->null_count, nulls1);
    CHECK_EQ_INT(bad, 0);
  }
  cy_column_release(out[0]);
  cy_column_release(out[1]);
  cy_column_release(plain);
  cy_column_release(nully);
  free(vals);
  free(valid);
  free(sel);
  free(all);
}

int main(void) {
  test_take();
  test_filter();
  test_take_columns_long();
  CHECK_EQ_INT(cy_memory_current(), 0);
  TEST_MAIN_END();
}
