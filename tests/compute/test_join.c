/*
 * test_join.c - joins against hand-computed results: every join type with both algorithms
 * (which must agree), null keys, duplicate keys, several key columns of mixed types,
 * numeric keys of different widths, clashing names, empty sides, cross joins, and errors;
 * and hash_join_ordered.c's joins on one int64 key (inner, left, right; keys indexed
 * directly or hashed; distinct, duplicate, missing and null keys; 2 to 8 threads) against
 * the pairs listed from each key's rows.
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

/* A mixing of a (left row, right row) pair (-1: none), for order-free sums of pairs. */
static uint64_t pair_hash(int64_t l, int64_t r) {
  uint64_t h = (uint64_t)(l + 1) * 0x9E3779B97F4A7C15ull;
  h ^= (uint64_t)(r + 1) * 0xC2B2AE3D27D4EB4Full;
  h ^= h >> 29;
  return h * 0xBF58476D1CE4E5B9ull;
}

/* An int64 column with valid bytes. */
static cy_column *ints(const int64_t *v, const uint8_t *valid, int64_t n) {
  cy_column *c = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, valid, n, &c, &err));
  return c;
}

/* Key shapes for check_ordered: id -> key. */
enum { KEYS_DENSE, KEYS_SIGNED, KEYS_SPREAD };
static int64_t join_key(int shape, int64_t id) {
  switch (shape) {
    case KEYS_DENSE: return id;
    case KEYS_SIGNED: return id - 1500;
    default: return (id % 2 ? -1 : 1) * id * 1000003LL;
  }
}

/* hash_join_ordered.c: left (k, v = row) joined with right (k, w = row) on k, checked
 * against the pairs listed here from each key's rows on both sides: the number of rows, an
 * order-free sum over the (v, w) pairs, and each row's key. Ids below 0 are null keys.
 * unique_all: every left id matches one right row, so an inner or left join must share the
 * left columns (the rows as they are). */
static void check_ordered(int shape, const int64_t *lid, int64_t nl, const int64_t *rid,
                          int64_t nr, int64_t ids, bool unique_all) {
  int64_t *lk = malloc((size_t)nl * sizeof(int64_t)), *lv = malloc((size_t)nl * sizeof(int64_t));
  int64_t *rk = malloc((size_t)nr * sizeof(int64_t)), *rw = malloc((size_t)nr * sizeof(int64_t));
  uint8_t *lok = malloc((size_t)nl), *rok = malloc((size_t)nr);
  /* Rows per id on each side, as lists: first[id], then next[row]. */
  int64_t *lfirst = malloc((size_t)ids * sizeof(int64_t));
  int64_t *rfirst = malloc((size_t)ids * sizeof(int64_t));
  int64_t *lnext = malloc((size_t)nl * sizeof(int64_t));
  int64_t *rnext = malloc((size_t)nr * sizeof(int64_t));
  for (int64_t i = 0; i < ids; i++) lfirst[i] = rfirst[i] = -1;
  for (int64_t i = nl - 1; i >= 0; i--) {
    lok[i] = lid[i] >= 0;
    lk[i] = lok[i] ? join_key(shape, lid[i]) : 0;
    lv[i] = i;
    if (lok[i]) {
      lnext[i] = lfirst[lid[i]];
      lfirst[lid[i]] = i;
    }
  }
  for (int64_t i = nr - 1; i >= 0; i--) {
    rok[i] = rid[i] >= 0;
    rk[i] = rok[i] ? join_key(shape, rid[i]) : 0;
    rw[i] = i;
    if (rok[i]) {
      rnext[i] = rfirst[rid[i]];
      rfirst[rid[i]] = i;
    }
  }
  cy_column *lc[2] = {ints(lk, lok, nl), ints(lv, NULL, nl)};
  cy_column *rc[2] = {ints(rk, rok, nr), ints(rw, NULL, nr)};
  const char *ln[] = {"k", "v"}, *rn[] = {"k", "w"};
  cy_table *l = NULL, *r = NULL;
  OK(cy_table_make(2, ln, lc, &l, &err));
  OK(cy_table_make(2, rn, rc, &r, &err));
  for (int c = 0; c < 2; c++) {
    cy_column_release(lc[c]);
    cy_column_release(rc[c]);
  }
  cy_join_type types[] = {CY_JOIN_INNER, CY_JOIN_LEFT, CY_JOIN_RIGHT};
  for (int ti = 0; ti < 3 && l && r; ti++) {
    cy_join_type type = types[ti];
    /* The expected pairs, from the side whose unmatched rows are kept (left for inner). */
    bool from_right = type == CY_JOIN_RIGHT;
    const int64_t *pid = from_right ? rid : lid, *ofirst = from_right ? lfirst : rfirst;
    const int64_t *onext = from_right ? lnext : rnext;
    int64_t np = from_right ? nr : nl, want_rows = 0;
    uint64_t want_sum = 0;
    for (int64_t i = 0; i < np; i++) {
      int64_t o = pid[i] >= 0 ? ofirst[pid[i]] : -1;
      if (o < 0 && type != CY_JOIN_INNER) {
        want_rows++;
        want_sum += from_right ? pair_hash(-1, i) : pair_hash(i, -1);
      }
      for (; o >= 0; o = onext[o]) {
        want_rows++;
        want_sum += from_right ? pair_hash(o, i) : pair_hash(i, o);
      }
    }
    cy_table *out = join(l, r, type, CY_JOIN_HASH, 1, K, NULL);
    if (out == NULL) continue;
    CHECK_EQ_INT(out->num_rows, want_rows);
    CHECK_EQ_INT(out->schema.num_fields, 3);
    const int64_t *k = cy_column_data(out->columns[0]), *v = cy_column_data(out->columns[1]);
    const int64_t *w = cy_column_data(out->columns[2]);
    uint64_t sum = 0;
    int64_t bad = 0;
    for (int64_t i = 0; i < out->num_rows; i++) {
      int64_t li = cy_column_is_valid(out->columns[1], i) ? v[i] : -1;
      int64_t ri = cy_column_is_valid(out->columns[2], i) ? w[i] : -1;
      sum += pair_hash(li, ri);
      /* The key: the left row's, or for a right join's unmatched rows the right row's. */
      bool key_ok = cy_column_is_valid(out->columns[0], i);
      int64_t want_key = li >= 0 ? lk[li] : ri >= 0 ? rk[ri] : 0;
      bool want_ok = li >= 0 ? lok[li] : ri >= 0 && rok[ri];
      bad += key_ok != want_ok || (key_ok && k[i] != want_key);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(sum == want_sum);
    if (unique_all && type != CY_JOIN_RIGHT)
      CHECK(out->columns[0] == l->columns[0] && out->columns[1] == l->columns[1]);
    cy_table_release(out);
  }
  cy_table_release(l);
  cy_table_release(r);
  free(lk);
  free(lv);
  free(rk);
  free(rw);
  free(lok);
  free(rok);
  free(lfirst);
  free(rfirst);
  free(lnext);
  free(rnext);
}

static void test_ordered(void) {
  enum { NL = 70000, NR = 4000, IDS = 2000 }; /* NL: two chunks of probe rows */
  int64_t *lid = malloc(NL * sizeof(int64_t)), *rid = malloc(NR * sizeof(int64_t));
  uint64_t s = 99;
  for (int shape = KEYS_DENSE; shape <= KEYS_SPREAD; shape++) {
    cy_set_num_threads(2 + 3 * shape); /* 2, 5, 8 */
    /* Every left key once on the right (right: a shuffled list of the ids). */
    for (int64_t i = 0; i < IDS; i++) rid[i] = i;
    for (int64_t i = IDS - 1; i > 0; i--) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      int64_t j = (int64_t)((s >> 33) % (uint64_t)(i + 1)), x = rid[i];
      rid[i] = rid[j];
      rid[j] = x;
    }
    for (int64_t i = 0; i < NL; i++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      lid[i] = (int64_t)((s >> 33) % IDS);
    }
    check_ordered(shape, lid, NL, rid, IDS, IDS, true);
    /* Duplicates, missing ids and null keys on both sides; a right side larger than the
     * left (an inner join then builds on the left). */
    for (int64_t i = 0; i < NR; i++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      rid[i] = (s >> 33) % 20 == 0 ? -1 : (int64_t)((s >> 40) % (IDS - 200));
    }
    for (int64_t i = 0; i < NL; i++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      lid[i] = (s >> 33) % 30 == 0 ? -1 : (int64_t)((s >> 40) % IDS);
    }
    check_ordered(shape, lid, NL, rid, NR, IDS, false);
    check_ordered(shape, rid, NR / 2, lid, 4 * NR, IDS, false);
  }
  cy_set_num_threads(0);
  free(lid);
  free(rid);
}

int main(void) {
  test_types(CY_JOIN_HASH);
  test_types(CY_JOIN_SORT_MERGE);
  test_keys_and_names(CY_JOIN_HASH);
  test_keys_and_names(CY_JOIN_SORT_MERGE);
  test_cross_and_errors();
  test_algorithms_agree();
  test_ordered();
  CHECK_EQ_INT(cy_memory_current(), 0);
  TEST_MAIN_END();
}
