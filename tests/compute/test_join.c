/*
 * test_join.c - joins against hand-computed results: every join type with both algorithms
 * (which must agree), null keys, duplicate keys, several key columns of mixed types,
 * numeric keys of different widths, clashing names, empty sides, cross joins, and errors.
 */
#include "ops_test.h"

static cy_table *join(cy_table *l, cy_table *r, cy_join_type type, cy_join_algorithm alg,
                      int32_t nkeys, const char *const *lon, const char *const *ron) {
  cy_join_options o;
  cy_join_options_init(&o);
  o.type = type;
  o.algorithm = alg;
  o.num_keys = nkeys;
  o.left_on = lon;
  o.right_on = ron;
  cy_table *out = NULL;
  OK(cy_table_join(l, r, &o, &out, &err));
  return out;
}

static const char *K[] = {"k"};

static void test_types(cy_join_algorithm alg) {
  cy_table *l = T("k,a\n1,x\n2,y\n2,z\n,n\n5,w\n", "k:int64,a:utf8");
  cy_table *r = T("k,b\n2,B2\n2,C2\n3,B3\n,N\n1,B1\n", "k:int64,b:utf8");
  EXPECT_TABLE(join(l, r, CY_JOIN_INNER, alg, 1, K, NULL),
               T("k,a,b\n1,x,B1\n2,y,B2\n2,y,C2\n2,z,B2\n2,z,C2\n", "k:int64,a:utf8,b:utf8"),
               false);
  /* Null keys never match, but outer joins keep their rows. */
  EXPECT_TABLE(join(l, r, CY_JOIN_LEFT, alg, 1, K, NULL),
               T("k,a,b\n1,x,B1\n2,y,B2\n2,y,C2\n2,z,B2\n2,z,C2\n,n,\n5,w,\n",
                 "k:int64,a:utf8,b:utf8"),
               false);
  /* Right and full joins coalesce the shared key column, as USING does. */
  EXPECT_TABLE(join(l, r, CY_JOIN_RIGHT, alg, 1, K, NULL),
               T("k,a,b\n1,x,B1\n2,y,B2\n2,y,C2\n2,z,B2\n2,z,C2\n3,,B3\n,,N\n",
                 "k:int64,a:utf8,b:utf8"),
               false);
  EXPECT_TABLE(join(l, r, CY_JOIN_FULL, alg, 1, K, NULL),
               T("k,a,b\n1,x,B1\n2,y,B2\n2,y,C2\n2,z,B2\n2,z,C2\n,n,\n5,w,\n3,,B3\n,,N\n",
                 "k:int64,a:utf8,b:utf8"),
               false);
  /* Semi and anti keep the left rows in order; a null key has no match (anti keeps it). */
  EXPECT_TABLE(join(l, r, CY_JOIN_SEMI, alg, 1, K, NULL),
               T("k,a\n1,x\n2,y\n2,z\n", "k:int64,a:utf8"), true);
  EXPECT_TABLE(join(l, r, CY_JOIN_ANTI, alg, 1, K, NULL),
               T("k,a\n,n\n5,w\n", "k:int64,a:utf8"), true);
  cy_table_release(l);
  cy_table_release(r);
}

static void test_keys_and_names(cy_join_algorithm alg) {
  /* Two keys, string and int32 against int64 (compared as numbers), different names on
   * each side (both kept), and a clashing payload name (suffixed). */
  cy_table *l = T("s,n,v\na,1,10\na,2,20\nb,1,30\n,1,40\n", "s:utf8,n:int32,v:int64");
  cy_table *r = T("name,num,v\na,1,100\nb,1,300\nb,1,301\nc,2,400\n",
                  "name:utf8,num:int64,v:int64");
  const char *lon[] = {"s", "n"}, *ron[] = {"name", "num"};
  EXPECT_TABLE(join(l, r, CY_JOIN_INNER, alg, 2, lon, ron),
               T("s,n,v_x,name,num,v_y\na,1,10,a,1,100\nb,1,30,b,1,300\nb,1,30,b,1,301\n",
                 "s:utf8,n:int32,v_x:int64,name:utf8,num:int64,v_y:int64"),
               false);
  cy_table_release(r);
  /* Empty sides. */
  cy_table *e = T("name,num,v\n", "name:utf8,num:int64,v:int64");
  EXPECT_TABLE(join(l, e, CY_JOIN_INNER, alg, 2, lon, ron),
               T("s,n,v_x,name,num,v_y\n", "s:utf8,n:int32,v_x:int64,name:utf8,num:int64,v_y:int64"),
               false);
  EXPECT_TABLE(join(l, e, CY_JOIN_ANTI, alg, 2, lon, ron),
               T("s,n,v\na,1,10\na,2,20\nb,1,30\n,1,40\n", "s:utf8,n:int32,v:int64"), true);
  cy_table_release(e);
  cy_table_release(l);
}

static void test_cross_and_errors(void) {
  cy_table *l = T("a\n1\n2\n", "a:int64"), *r = T("a,b\nx,1\ny,2\nz,3\n", "a:utf8,b:int64");
  cy_table *out = NULL;
  OK(cy_table_cross_join(l, r, &out, &err));
  EXPECT_TABLE(out,
               T("a_x,a_y,b\n1,x,1\n1,y,2\n1,z,3\n2,x,1\n2,y,2\n2,z,3\n",
                 "a_x:int64,a_y:utf8,b:int64"),
               true);
  cy_join_options o;
  cy_join_options_init(&o);
  o.num_keys = 1;
  o.left_on = (const char *[]){"a"};
  FAILS(cy_table_join(l, r, &o, &out, &err), CY_EINVAL,
        "join key 'a' is int64 on the left but 'a' is utf8 on the right");
  o.left_on = (const char *[]){"nope"};
  FAILS(cy_table_join(l, r, &o, &out, &err), CY_ENOENT,
        "join's left side: no column named 'nope' in (a: int64)");
  o.num_keys = 0;
  FAILS(cy_table_join(l, r, &o, &out, &err), CY_EINVAL, "no key columns");
  cy_table_release(l);
  cy_table_release(r);
}

/* Both algorithms on a bigger random table with duplicate and null keys must give the
 * same rows, and the count of an inner join must be the sum over keys of the products of
 * the two sides' counts (computed here directly). */
static void test_algorithms_agree(void) {
  int64_t nl = 20000, nr = 15000, cl[101] = {0}, cr[101] = {0};
  char *lt = malloc((size_t)(nl * 24 + 16)), *rt = malloc((size_t)(nr * 24 + 16));
  int64_t a = sprintf(lt, "k,v\n"), b = sprintf(rt, "k,w\n");
  uint64_t s = 12345;
  for (int64_t i = 0; i < nl; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    int k = (int)((s >> 33) % 101);
    if (k == 100) a += sprintf(lt + a, ",%lld\n", (long long)i); /* null key */
    else a += sprintf(lt + a, "%d,%lld\n", k, (long long)i);
    cl[k]++;
  }
  for (int64_t i = 0; i < nr; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    int k = (int)((s >> 33) % 101);
    if (k == 100) b += sprintf(rt + b, ",%lld\n", (long long)i);
    else b += sprintf(rt + b, "%d,%lld\n", k, (long long)i);
    cr[k]++;
  }
  cy_table *l = T(lt, "k:int64,v:int64"), *r = T(rt, "k:int64,w:int64");
  int64_t want = 0, semi = 0;
  for (int k = 0; k < 100; k++) {
    want += cl[k] * cr[k];
    semi += cr[k] > 0 ? cl[k] : 0;
  }
  for (int type = CY_JOIN_INNER; type <= CY_JOIN_ANTI; type++) {
    cy_table *h = join(l, r, (cy_join_type)type, CY_JOIN_HASH, 1, K, NULL);
    cy_table *m = join(l, r, (cy_join_type)type, CY_JOIN_SORT_MERGE, 1, K, NULL);
    if (type == CY_JOIN_INNER && h) CHECK_EQ_INT(h->num_rows, want);
    if (type == CY_JOIN_SEMI && h) CHECK_EQ_INT(h->num_rows, semi);
    if (type == CY_JOIN_ANTI && h) CHECK_EQ_INT(h->num_rows, nl - semi); /* incl. null keys */
    EXPECT_TABLE(h, m, type >= CY_JOIN_SEMI);
  }
  cy_table_release(l);
  cy_table_release(r);
  free(lt);
  free(rt);
}

int main(void) {
  test_types(CY_JOIN_HASH);
  test_types(CY_JOIN_SORT_MERGE);
  test_keys_and_names(CY_JOIN_HASH);
  test_keys_and_names(CY_JOIN_SORT_MERGE);
  test_cross_and_errors();
  test_algorithms_agree();
  CHECK_EQ_INT(cy_memory_current(), 0);
  TEST_MAIN_END();
}
