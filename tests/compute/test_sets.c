/*
 * test_sets.c - unique, union, intersect, difference and isin against hand-computed
 * results: nulls equal nulls, first-appearance order, keep first or last, subsets of
 * columns, empty tables, and schema mismatches.
 */
#include "ops_test.h"

static void test_unique(void) {
  cy_table *t = T("k,s,v\n1,x,1\n2,y,2\n2,y,3\n,n,4\n,n,5\n1,x,6\n,,7\n", "k:int64,s:utf8,v:int64");
  cy_table *out = NULL;
  const char *sub[] = {"k", "s"};
  OK(cy_table_unique(t, sub, 2, CY_KEEP_FIRST, &out, &err));
  EXPECT_TABLE(out, T("k,s,v\n1,x,1\n2,y,2\n,n,4\n,,7\n", "k:int64,s:utf8,v:int64"), true);
  OK(cy_table_unique(t, sub, 2, CY_KEEP_LAST, &out, &err));
  EXPECT_TABLE(out, T("k,s,v\n2,y,3\n,n,5\n1,x,6\n,,7\n", "k:int64,s:utf8,v:int64"), true);
  OK(cy_table_unique(t, NULL, 0, CY_KEEP_FIRST, &out, &err)); /* all columns: all distinct */
  EXPECT_TABLE(out, cy_table_retain(t), true);
  const char *bad[] = {"zz"};
  FAILS(cy_table_unique(t, bad, 1, CY_KEEP_FIRST, &out, &err), CY_ENOENT, "'zz'");
  cy_table_release(t);
}

static void test_set_ops(void) {
  cy_table *a = T("k,s\n1,x\n2,y\n2,y\n,n\n,n\n5,w\n3,\n", "k:int64,s:utf8");
  cy_table *b = T("k,s\n2,y\n,n\n7,q\n3,\n", "k:int64,s:utf8");
  cy_table *out = NULL;
  OK(cy_table_union(a, b, &out, &err));
  EXPECT_TABLE(out, T("k,s\n1,x\n2,y\n,n\n5,w\n3,\n7,q\n", "k:int64,s:utf8"), true);
  OK(cy_table_intersect(a, b, &out, &err));
  EXPECT_TABLE(out, T("k,s\n2,y\n,n\n3,\n", "k:int64,s:utf8"), true);
  OK(cy_table_difference(a, b, &out, &err));
  EXPECT_TABLE(out, T("k,s\n1,x\n5,w\n", "k:int64,s:utf8"), true);
  OK(cy_table_difference(b, a, &out, &err));
  EXPECT_TABLE(out, T("k,s\n7,q\n", "k:int64,s:utf8"), true);
  cy_table *e = T("k,s\n", "k:int64,s:utf8");
  OK(cy_table_intersect(a, e, &out, &err));
  EXPECT_TABLE(out, T("k,s\n", "k:int64,s:utf8"), true);
  OK(cy_table_union(e, e, &out, &err));
  EXPECT_TABLE(out, T("k,s\n", "k:int64,s:utf8"), true);
  cy_table *other = T("k,t\n1,x\n", "k:int64,t:utf8");
  FAILS(cy_table_union(a, other, &out, &err), CY_EINVAL,
        "union needs tables with the same columns: (k: int64, s: utf8) and (k: int64, t: utf8)");
  cy_table_release(other);
  cy_table_release(e);
  cy_table_release(a);
  cy_table_release(b);
}

static void test_isin(void) {
  cy_table *a = T("k\n1\n2\n\n5\n3\n", "k:int64");
  cy_table *b = T("v\n3\n\n2\n", "v:int32"); /* another width: cast to int64 */
  cy_column *m = NULL;
  OK(cy_column_isin(a->columns[0], b->columns[0], &m, &err));
  if (m) {
    const bool want[] = {false, true, true, false, true};
    for (int i = 0; i < 5; i++) CHECK(cy_column_bool(m, i) == want[i]);
    CHECK_EQ_INT(m->null_count, 0);
    cy_column_release(m);
  }
  cy_table *s = T("v\nx\n", "v:utf8");
  FAILS(cy_column_isin(a->columns[0], s->columns[0], &m, &err), CY_EINVAL,
        "isin: a int64 column cannot hold utf8 values");
  cy_table_release(s);
  cy_table_release(a);
  cy_table_release(b);
}

int main(void) {
  test_unique();
  test_set_ops();
  test_isin();
  CHECK_EQ_INT(cy_memory_current(), 0);
  TEST_MAIN_END();
}
