/*
 * test_groupby.c - group-by and whole-table aggregates against hand-computed values: every
 * aggregate, null keys as a group, several keys, groups with only nulls, empty tables,
 * many groups on one key both ways (groupby_direct.c and partitioned), groupby_direct.c's
 * split of the rows between up to 7 threads for keys of both signs, far from zero, spread
 * out, int32, bool and null,
 * output names and types, and the errors (unknown column, a sum of strings, overflow).
 */
#include <math.h>

#include "ops_test.h"

static cy_table *groupby(cy_table *t, int32_t nby, const char *const *by,
                         const cy_aggregate *aggs, int32_t naggs) {
  cy_table *out = NULL;
  OK(nby ? cy_table_groupby(t, by, nby, aggs, naggs, &out, &err)
         : cy_table_aggregate(t, aggs, naggs, &out, &err));
  return out;
}

static void test_aggregates(void) {
  /* Group a: 4, 1, null, 7; group b: null, null; null key group: 2; group c: 5. */
  cy_table *t = T("g,x,s\na,4,p\na,1,q\na,,q\nb,,r\nb,,\n,2,z\na,7,\nc,5,y\n",
                  "g:utf8,x:int64,s:utf8");
  const char *by[] = {"g"};
  cy_aggregate aggs[] = {
      {"x", CY_AGG_COUNT, 0, NULL},   {"x", CY_AGG_COUNT_ALL, 0, "rows"},
      {"x", CY_AGG_SUM, 0, NULL},     {"x", CY_AGG_MIN, 0, NULL},
      {"x", CY_AGG_MAX, 0, NULL},     {"x", CY_AGG_MEAN, 0, NULL},
      {"s", CY_AGG_NUNIQUE, 0, NULL}, {"s", CY_AGG_FIRST, 0, NULL},
      {"s", CY_AGG_LAST, 0, NULL},    {"s", CY_AGG_MAX, 0, NULL},
  };
  EXPECT_TABLE(groupby(t, 1, by, aggs, 10),
               T("g,x_count,rows,x_sum,x_min,x_max,x_mean,s_nunique,s_first,s_last,s_max\n"
                 "a,3,4,12,1,7,4.0,2,p,q,q\n"
                 "b,0,2,,,,,1,r,r,r\n"
                 ",1,1,2,2,2,2.0,1,z,z,z\n"
                 "c,1,1,5,5,5,5.0,1,y,y,y\n",
                 "g:utf8,x_count:int64,rows:int64,x_sum:int64,x_min:int64,x_max:int64,"
                 "x_mean:float64,s_nunique:int64,s_first:utf8,s_last:utf8,s_max:utf8"),
               false);
  /* var, std, median and quantile of 1, 4, 7 (a) and of one value (c: no variance). */
  cy_aggregate stats[] = {{"x", CY_AGG_VAR, 0, NULL},
                          {"x", CY_AGG_STD, 0, NULL},
                          {"x", CY_AGG_MEDIAN, 0, NULL},
                          {"x", CY_AGG_QUANTILE, 0.25, "q"}};
  cy_table *out = groupby(t, 1, by, stats, 4);
  if (out) {
    for (int64_t i = 0; i < out->num_rows; i++) {
      int64_t len;
      const uint8_t *g = cy_column_is_valid(out->columns[0], i)
                             ? cy_column_bytes(out->columns[0], i, &len)
                             : (const uint8_t *)"-";
      const double *var = cy_column_data(out->columns[1]), *sd = cy_column_data(out->columns[2]);
      const double *med = cy_column_data(out->columns[3]), *q = cy_column_data(out->columns[4]);
      if (*g == 'a') { /* mean 4, squared deviations 9 + 0 + 9 over n - 1 = 2 */
        CHECK(var[i] == 9.0 && fabs(sd[i] - 3.0) < 1e-12 && med[i] == 4.0);
        CHECK(q[i] == 2.5); /* rank 0.5 between 1 and 4 */
      } else if (*g == 'c') {
        CHECK(!cy_column_is_valid(out->columns[1], i) && med[i] == 5.0 && q[i] == 5.0);
      } else if (*g == 'b') {
        CHECK(!cy_column_is_valid(out->columns[3], i));
      }
    }
    cy_table_release(out);
  }
  /* Whole-table aggregates: one row, also for an empty table (count 0, sum null). */
  cy_aggregate whole[] = {{"x", CY_AGG_SUM, 0, "total"}, {"x", CY_AGG_COUNT, 0, "n"},
                          {"s", CY_AGG_MIN, 0, "first_s"}};
  EXPECT_TABLE(groupby(t, 0, NULL, whole, 3),
               T("total,n,first_s\n19,5,p\n", "total:int64,n:int64,first_s:utf8"), true);
  cy_table *empty = T("g,x,s\n", "g:utf8,x:int64,s:utf8");
  EXPECT_TABLE(groupby(empty, 0, NULL, whole, 3),
               T("total,n,first_s\n,0,\n", "total:int64,n:int64,first_s:utf8"), true);
  EXPECT_TABLE(groupby(empty, 1, by, whole, 3),
               T("g,total,n,first_s\n", "g:utf8,total:int64,n:int64,first_s:utf8"), true);
  cy_table_release(empty);
  cy_table_release(t);
}

static void test_keys(void) {
  /* Two keys with nulls; floats sum as float64; bools sum as counts of true. */
  cy_table *t = T("a,b,f,ok\n1,x,0.5,true\n1,x,0.25,false\n1,,1.0,true\n,x,2.0,true\n"
                  "1,,4.0,true\n",
                  "a:int32,b:utf8,f:float64,ok:bool");
  const char *by[] = {"a", "b"};
  cy_aggregate aggs[] = {{"f", CY_AGG_SUM, 0, NULL}, {"ok", CY_AGG_SUM, 0, NULL}};
  EXPECT_TABLE(groupby(t, 2, by, aggs, 2),
               T("a,b,f_sum,ok_sum\n1,x,0.75,1\n1,,5.0,2\n,x,2.0,1\n",
                 "a:int32,b:utf8,f_sum:float64,ok_sum:int64"),
               false);
  cy_table_release(t);
}

static void test_errors(void) {
  cy_table *t = T("g,x,s\na,9223372036854775807,p\na,1,q\n", "g:utf8,x:int64,s:utf8");
  const char *by[] = {"g"};
  cy_table *out = NULL;
  cy_aggregate sum_s = {"s", CY_AGG_SUM, 0, NULL};
  FAILS(cy_table_groupby(t, by, 1, &sum_s, 1, &out, &err), CY_EINVAL,
        "cannot take the sum of column 's' of type utf8");
  cy_aggregate sum_x = {"x", CY_AGG_SUM, 0, NULL};
  FAILS(cy_table_groupby(t, by, 1, &sum_x, 1, &out, &err), CY_ERANGE,
        "the sum of column 'x' overflows int64");
  cy_aggregate q = {"x", CY_AGG_QUANTILE, 1.5, NULL};
  FAILS(cy_table_groupby(t, by, 1, &q, 1, &out, &err), CY_EINVAL, "outside [0, 1]");
  const char *missing[] = {"nope"};
  FAILS(cy_table_groupby(t, missing, 1, &sum_x, 1, &out, &err), CY_ENOENT,
        "group-by keys: no column named 'nope'");
  cy_agg_op op;
  OK(cy_agg_parse("avg", &op, &err));
  CHECK_EQ_INT(op, CY_AGG_MEAN);
  FAILS(cy_agg_parse("total", &op, &err), CY_EINVAL, "unknown aggregate 'total'");
  cy_table_release(t);
}

/* Many groups across partitions and threads: sums and counts per key checked against
 * values accumulated directly while the table text was made. Key k is written as
 * k * stride: stride 1 keeps the keys in a small range (groupby_direct.c's slot per key),
 * a large one spreads them (its hash table); more groups than it takes (2^18 a thread)
 * make it give way to partitioning part-way through. */
static void check_many_groups(int64_t n, int64_t groups, int64_t stride, int threads) {
  cy_set_num_threads(threads);
  int64_t *sum = calloc((size_t)groups, sizeof(int64_t)), *cnt = calloc((size_t)groups, sizeof(int64_t));
  char *text = malloc((size_t)n * 24 + 16);
  int64_t len = sprintf(text, "k,v\n");
  uint64_t s = 99;
  for (int64_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    int64_t k = (int64_t)((s >> 33) % (uint64_t)groups), v = (int64_t)((s >> 13) % 1000);
    len += sprintf(text + len, "%lld,%lld\n", (long long)(k * stride), (long long)v);
    sum[k] += v;
    cnt[k]++;
  }
  cy_table *t = T(text, "k:int64,v:int64");
  const char *by[] = {"k"};
  cy_aggregate aggs[] = {{"v", CY_AGG_SUM, 0, NULL}, {"v", CY_AGG_COUNT, 0, NULL}};
  cy_table *out = groupby(t, 1, by, aggs, 2);
  if (out) {
    int64_t seen = 0, bad = 0;
    const int64_t *k = cy_column_data(out->columns[0]), *sm = cy_column_data(out->columns[1]);
    const int64_t *c = cy_column_data(out->columns[2]);
    for (int64_t i = 0; i < out->num_rows; i++) {
      int64_t g = k[i] / stride;
      bad += k[i] % stride != 0 || g < 0 || g >= groups || sm[i] != sum[g] || c[i] != cnt[g];
      if (bad == 0) seen += cnt[g] > 0;
    }
    int64_t nonempty = 0;
    for (int64_t g = 0; g < groups; g++) nonempty += cnt[g] > 0;
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(out->num_rows, nonempty);
    CHECK_EQ_INT(seen, nonempty);
    cy_table_release(out);
  }
  cy_table_release(t);
  free(sum);
  free(cnt);
  free(text);
  cy_set_num_threads(0);
}

static void test_many_groups(void) {
  check_many_groups(300000, 40000, 1, 0);
  check_many_groups(300000, 40000, 1, 3);
  check_many_groups(300000, 40000, 1000003, 2);
  check_many_groups(400000, 1000000, 1000003, 1); /* past 2^18 groups */
}

/* A column of n int64 / float64 / other fixed-width values with valid bytes. */
static cy_column *column_of(cy_type_id type, const void *values, const uint8_t *valid,
                            int64_t n) {
  cy_column *c = NULL;
  OK(cy_column_from_values(cy_type_make(type), values, valid, n, &c, &err));
  return c;
}

/* Key shapes for check_row_split: id -> key value. */
enum { SHAPE_SIGNED, SHAPE_HIGH, SHAPE_SPREAD };
static int64_t key_of(int shape, int64_t id) {
  switch (shape) {
    case SHAPE_SIGNED: return id - 500;                  /* both signs, a small range */
    case SHAPE_HIGH: return 1000000000000LL + id;        /* a small range far from zero */
    default: return (id % 2 ? -1 : 1) * id * 1000003LL;  /* spread: open addressing */
  }
}

/* groupby_direct.c's split of the rows between threads, on many threads (each a range of a
 * few blocks), against per-key values accumulated here in one pass: count, sum, mean, min,
 * max and var of a float column with nulls (quarters, so that every order of adding gives
 * the same sum), sum, count and mean of an int64 column, count_all; null keys as a group;
 * int64 or int32 keys of the shapes above (directly indexed by value or hashed). */
static void check_row_split(int shape, cy_type_id key_type, int threads) {
  enum { N = 60000, IDS = 1001 };
  cy_set_num_threads(threads);
  int64_t *k = malloc(N * sizeof(int64_t)), *y = malloc(N * sizeof(int64_t));
  int32_t *k32 = malloc(N * sizeof(int32_t));
  double *x = malloc(N * sizeof(double));
  uint8_t *kv = malloc(N), *xv = malloc(N);
  /* Per id (IDS: the null key): rows, float count / sum / sum of squares / min / max, int sum. */
  int64_t *rows = calloc(IDS + 1, sizeof(int64_t)), *xn = calloc(IDS + 1, sizeof(int64_t));
  int64_t *ys = calloc(IDS + 1, sizeof(int64_t));
  double *xs = calloc(IDS + 1, sizeof(double)), *xq = calloc(IDS + 1, sizeof(double));
  double *xmin = calloc(IDS + 1, sizeof(double)), *xmax = calloc(IDS + 1, sizeof(double));
  uint64_t s = 7;
  for (int64_t i = 0; i < N; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    int64_t id = (int64_t)((s >> 33) % (IDS + 40)); /* past IDS - 1: a null key */
    kv[i] = id < IDS;
    id = id < IDS ? id : IDS;
    k[i] = kv[i] ? key_of(shape, id) : 0;
    k32[i] = (int32_t)k[i];
    xv[i] = (s >> 20) % 9 != 0;
    x[i] = (double)((int64_t)((s >> 24) % 801) - 400) / 4;
    y[i] = (int64_t)((s >> 40) % 100000) - 50000;
    rows[id]++;
    ys[id] += y[i];
    if (!xv[i]) continue;
    if (xn[id] == 0 || x[i] < xmin[id]) xmin[id] = x[i];
    if (xn[id] == 0 || x[i] > xmax[id]) xmax[id] = x[i];
    xn[id]++;
    xs[id] += x[i];
    xq[id] += x[i] * x[i];
  }
  cy_column *cols[3] = {key_type == CY_INT32 ? column_of(CY_INT32, k32, kv, N)
                                             : column_of(CY_INT64, k, kv, N),
                        column_of(CY_FLOAT64, x, xv, N), column_of(CY_INT64, y, NULL, N)};
  const char *names[] = {"k", "x", "y"};
  cy_table *t = NULL;
  OK(cy_table_make(3, names, cols, &t, &err));
  for (int c = 0; c < 3; c++) cy_column_release(cols[c]);
  const char *by[] = {"k"};
  cy_aggregate aggs[] = {{"x", CY_AGG_COUNT, 0, NULL}, {"x", CY_AGG_SUM, 0, NULL},
                         {"x", CY_AGG_MEAN, 0, NULL},  {"x", CY_AGG_MIN, 0, NULL},
                         {"x", CY_AGG_MAX, 0, NULL},   {"x", CY_AGG_VAR, 0, NULL},
                         {"y", CY_AGG_SUM, 0, NULL},   {"y", CY_AGG_COUNT_ALL, 0, "n"},
                         {"y", CY_AGG_MEAN, 0, NULL}};
  cy_table *out = t ? groupby(t, 1, by, aggs, 9) : NULL;
  if (out) {
    int64_t bad = 0, groups = 0;
    for (int64_t id = 0; id <= IDS; id++) groups += rows[id] > 0;
    CHECK_EQ_INT(out->num_rows, groups);
    cy_column *const *oc = out->columns;
    CHECK(oc[0]->type.id == key_type);
    const double *sum = cy_column_data(oc[2]), *mean = cy_column_data(oc[3]);
    const double *mn = cy_column_data(oc[4]), *mx = cy_column_data(oc[5]);
    const double *var = cy_column_data(oc[6]), *ymean = cy_column_data(oc[9]);
    const int64_t *cnt = cy_column_data(oc[1]), *ysum = cy_column_data(oc[7]);
    const int64_t *n = cy_column_data(oc[8]);
    uint8_t *met = calloc(IDS + 1, 1);
    for (int64_t g = 0; g < out->num_rows; g++) {
      int64_t id = IDS;
      if (cy_column_is_valid(oc[0], g)) {
        int64_t key = key_type == CY_INT32 ? ((const int32_t *)cy_column_data(oc[0]))[g]
                                           : ((const int64_t *)cy_column_data(oc[0]))[g];
        for (id = 0; id < IDS && key_of(shape, id) != key; id++) {
        }
        if (id == IDS) { /* not a key of the input */
          bad++;
          continue;
        }
      }
      bad += met[id]++ != 0 || rows[id] == 0 || n[g] != rows[id] || cnt[g] != xn[id] ||
             ysum[g] != ys[id] || ymean[g] != (double)ys[id] / (double)rows[id];
      bad += cy_column_is_valid(oc[2], g) != (xn[id] > 0);
      if (xn[id] > 0)
        bad += sum[g] != xs[id] || mean[g] != xs[id] / (double)xn[id] || mn[g] != xmin[id] ||
               mx[g] != xmax[id];
      if (xn[id] > 1) {
        double want = (xq[id] - xs[id] * xs[id] / (double)xn[id]) / (double)(xn[id] - 1);
        bad += fabs(var[g] - want) > 1e-9 * (fabs(want) + 1);
      }
    }
    CHECK_EQ_INT(bad, 0);
    free(met);
    cy_table_release(out);
  }
  /* The sum alone (of a column with nulls: nothing else tells which groups have rows). */
  cy_aggregate sum_only[] = {{"x", CY_AGG_SUM, 0, NULL}};
  out = t ? groupby(t, 1, by, sum_only, 1) : NULL;
  if (out) {
    int64_t bad = 0, groups = 0, seen = 0;
    for (int64_t id = 0; id <= IDS; id++) groups += rows[id] > 0;
    const double *sum = cy_column_data(out->columns[1]);
    for (int64_t g = 0; g < out->num_rows; g++) {
      int64_t id = IDS;
      if (cy_column_is_valid(out->columns[0], g)) {
        int64_t key = key_type == CY_INT32 ? ((const int32_t *)cy_column_data(out->columns[0]))[g]
                                           : ((const int64_t *)cy_column_data(out->columns[0]))[g];
        for (id = 0; id < IDS && key_of(shape, id) != key; id++) {
        }
        if (id == IDS) { /* not a key of the input */
          bad++;
          continue;
        }
      }
      seen += rows[id] > 0;
      bad += cy_column_is_valid(out->columns[1], g) != (xn[id] > 0) ||
             (xn[id] > 0 && sum[g] != xs[id]);
    }
    CHECK_EQ_INT(out->num_rows, groups);
    CHECK_EQ_INT(seen, groups);
    CHECK_EQ_INT(bad, 0);
    cy_table_release(out);
  }
  cy_table_release(t);
  free(k);
  free(k32);
  free(y);
  free(x);
  free(kv);
  free(xv);
  free(rows);
  free(xn);
  free(ys);
  free(xs);
  free(xq);
  free(xmin);
  free(xmax);
  cy_set_num_threads(0);
}

static void test_row_split(void) {
  for (int threads = 1; threads <= 7; threads += 3) {
    check_row_split(SHAPE_SIGNED, CY_INT64, threads);
    check_row_split(SHAPE_SIGNED, CY_INT32, threads);
    check_row_split(SHAPE_HIGH, CY_INT64, threads);
    check_row_split(SHAPE_SPREAD, CY_INT64, threads);
  }
  /* A bool key: a direct index that keeps each group's first row for the key. */
  cy_set_num_threads(3);
  enum { N = 30000 };
  uint8_t *b = malloc(N), *bv = malloc(N);
  int64_t *v = malloc(N * sizeof(int64_t)), want[3] = {0, 0, 0}, rows[3] = {0, 0, 0};
  for (int64_t i = 0; i < N; i++) {
    b[i] = (uint8_t)(i % 3 == 1);
    bv[i] = i % 7 != 0;
    v[i] = i;
    int g = bv[i] ? b[i] : 2;
    want[g] += i;
    rows[g]++;
  }
  cy_column *cols[2] = {column_of(CY_BOOL, b, bv, N), column_of(CY_INT64, v, NULL, N)};
  const char *names[] = {"b", "v"};
  cy_table *t = NULL;
  OK(cy_table_make(2, names, cols, &t, &err));
  cy_column_release(cols[0]);
  cy_column_release(cols[1]);
  char text[256];
  snprintf(text, sizeof text, "b,v_sum,v_count\nfalse,%lld,%lld\ntrue,%lld,%lld\n,%lld,%lld\n",
           (long long)want[0], (long long)rows[0], (long long)want[1], (long long)rows[1],
           (long long)want[2], (long long)rows[2]);
  const char *by[] = {"b"};
  cy_aggregate aggs[] = {{"v", CY_AGG_SUM, 0, NULL}, {"v", CY_AGG_COUNT, 0, NULL}};
  EXPECT_TABLE(groupby(t, 1, by, aggs, 2), T(text, "b:bool,v_sum:int64,v_count:int64"), false);
  cy_table_release(t);
  free(b);
  free(bv);
  free(v);
  cy_set_num_threads(0);
}

int main(void) {
  test_aggregates();
  test_keys();
  test_errors();
  test_many_groups();
  test_row_split();
  CHECK_EQ_INT(cy_memory_current(), 0);
  TEST_MAIN_END();
}
