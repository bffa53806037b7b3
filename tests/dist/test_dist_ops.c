/*
 * test_dist_ops.c - the distributed operators across 1, 2, 3, 4 and 7 ranks with rows
 * split unevenly (empty ranks, all rows on one rank): group-by (pre-aggregated and
 * row-shuffled aggregates), scalar aggregates, joins (shuffle and broadcast, keys of
 * different integer types, left joins with null keys), unique keeping first and last,
 * sample sort (global order, a heavy key spread over ranks), set operations and equality.
 *
 * The whole table is generated from the row number, and every expectation is computed by
 * plain loops over the generator here, not by cylon's operators.
 */
#include <math.h>

#include "dist_test.h"

#define N 3000
#define NK 40
#define NULLK NK /* slot of the null key */

static bool k_null(int64_t i) { return i % 23 == 0; }
static int64_t k_of(int64_t i) { return i % 3 == 0 ? 7 : i % NK; }
static int slot_of(int64_t i) { return k_null(i) ? NULLK : (int)k_of(i); }
static bool f_null(int64_t i) { return i % 19 == 0; }
static double f_of(int64_t i) { return (double)(i % 100) / 4; }
static const char *s_of(int64_t i, char *buf) {
  if (i % 11 == 0) return NULL;
  snprintf(buf, 32, "s%04lld", (long long)(i * 7919 % 1000));
  return buf;
}

static cy_table *whole_table(void) {
  static int64_t k[N], v[N];
  static double f[N];
  static uint8_t kv[N], fv[N];
  static char bufs[N][32];
  static const char *s[N];
  for (int64_t i = 0; i < N; i++) {
    k[i] = k_of(i), kv[i] = !k_null(i), v[i] = i, f[i] = f_of(i), fv[i] = !f_null(i);
    s[i] = s_of(i, bufs[i]);
  }
  cy_error err;
  cy_column *cols[4] = {NULL, NULL, NULL, NULL};
  OK(cy_column_from_values(cy_type_make(CY_INT64), k, kv, N, &cols[0], &err));
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, NULL, N, &cols[1], &err));
  OK(cy_column_from_values(cy_type_make(CY_FLOAT64), f, fv, N, &cols[2], &err));
  OK(cy_column_from_strings(s, N, &cols[3], &err));
  const char *names[4] = {"k", "v", "f", "s"};
  cy_table *t = NULL;
  OK(cy_table_make(4, names, cols, &t, &err));
  for (int i = 0; i < 4; i++) cy_column_release(cols[i]);
  return t;
}

static double col_f64(const cy_table *t, int c, int64_t row) {
  return ((const double *)cy_column_data(t->columns[c]))[row];
}
static bool str_is(const cy_table *t, int c, int64_t row, const char *want) {
  if (!cy_column_is_valid(t->columns[c], row)) return want == NULL;
  int64_t len;
  const uint8_t *b = cy_column_bytes(t->columns[c], row, &len);
  return want && len == (int64_t)strlen(want) && memcmp(b, want, (size_t)len) == 0;
}
static int row_slot(const cy_table *t, int64_t row) {
  return cy_column_is_valid(t->columns[0], row) ? (int)col_i64(t, 0, row) : NULLK;
}
static bool near(double a, double b) { return fabs(a - b) <= 1e-9 * (1 + fabs(b)); }

/* ---- group-by and aggregates -------------------------------------------------------- */

static void check_groupby(cy_comm *comm, cy_table *part) {
  cy_error err;
  const char *by[] = {"k"};
  cy_aggregate decomposed[] = {{"v", CY_AGG_COUNT, 0, NULL}, {"v", CY_AGG_SUM, 0, NULL},
                               {"f", CY_AGG_MIN, 0, NULL},   {"f", CY_AGG_MAX, 0, NULL},
                               {"f", CY_AGG_MEAN, 0, NULL},  {"f", CY_AGG_COUNT_ALL, 0, NULL},
                               {"f", CY_AGG_VAR, 0, NULL},   {"f", CY_AGG_STD, 0, NULL}};
  cy_aggregate by_rows[] = {{"s", CY_AGG_FIRST, 0, NULL}, {"s", CY_AGG_LAST, 0, NULL},
                            {"f", CY_AGG_VAR, 0, NULL},   {"v", CY_AGG_NUNIQUE, 0, NULL}};
  /* expectations */
  int64_t cnt[NK + 1] = {0}, sum[NK + 1] = {0}, fcnt[NK + 1] = {0}, first[NK + 1], last[NK + 1];
  double mn[NK + 1], mx[NK + 1], fs[NK + 1] = {0}, fss[NK + 1] = {0};
  char buf[32];
  for (int i = 0; i <= NK; i++) first[i] = last[i] = -1, mn[i] = INFINITY, mx[i] = -INFINITY;
  for (int64_t i = 0; i < N; i++) {
    int g = slot_of(i);
    cnt[g]++, sum[g] += i;
    if (!f_null(i)) {
      fcnt[g]++, fs[g] += f_of(i), fss[g] += f_of(i) * f_of(i);
      if (f_of(i) < mn[g]) mn[g] = f_of(i);
      if (f_of(i) > mx[g]) mx[g] = f_of(i);
    }
    if (s_of(i, buf)) {
      if (first[g] < 0) first[g] = i;
      last[g] = i;
    }
  }
  for (int pass = 0; pass < 2; pass++) {
    cy_table *res = NULL, *all = NULL;
    if (pass == 0) OK(cy_dist_groupby(comm, part, by, 1, decomposed, 8, &res, &err));
    else OK(cy_dist_groupby(comm, part, by, 1, by_rows, 4, &res, &err));
    if (res == NULL) continue;
    OK(cy_dist_gather(comm, res, 0, &all, &err));
    if (all && cy_comm_rank(comm) == 0) {
      CHECK_EQ_INT(all->num_rows, NK + 1 - 0 /* every key occurs, and the null key */ - 0);
      bool seen[NK + 1] = {false};
      int bad = 0;
      for (int64_t r = 0; r < all->num_rows; r++) {
        int g = row_slot(all, r);
        if (g < 0 || g > NK || seen[g]) {
          bad++;
          continue;
        }
        seen[g] = true;
        if (pass == 0) {
          bad += col_i64(all, 1, r) != cnt[g];
          bad += col_i64(all, 2, r) != sum[g];
          bad += fcnt[g] > 0 && !(col_f64(all, 3, r) == mn[g] && col_f64(all, 4, r) == mx[g]);
          bad += fcnt[g] > 0 && !near(col_f64(all, 5, r), fs[g] / (double)fcnt[g]);
          bad += col_i64(all, 6, r) != cnt[g];
          double var = (fss[g] - fs[g] * fs[g] / (double)fcnt[g]) / (double)(fcnt[g] - 1);
          bad += fcnt[g] > 1 && fabs(col_f64(all, 7, r) - var) > 1e-6 * (1 + var);
          bad += fcnt[g] > 1 && fabs(col_f64(all, 8, r) - sqrt(var)) > 1e-6 * (1 + var);
          bad += (fcnt[g] > 1) != cy_column_is_valid(all->columns[7], r);
        } else {
          bad += !str_is(all, 1, r, s_of(first[g], buf));
          bad += !str_is(all, 2, r, s_of(last[g], buf));
          double var = (fss[g] - fs[g] * fs[g] / (double)fcnt[g]) / (double)(fcnt[g] - 1);
          bad += fcnt[g] > 1 && fabs(col_f64(all, 3, r) - var) > 1e-6 * (1 + var);
          bad += col_i64(all, 4, r) != cnt[g];
        }
      }
      CHECK_EQ_INT(bad, 0);
      if (pass == 0) {
        CHECK_EQ_STR(all->schema.fields[1].name, "v_count");
        CHECK_EQ_STR(all->schema.fields[5].name, "f_mean");
      }
    }
    cy_table_release(all);
    cy_table_release(res);
  }
}

static void check_aggregate(cy_comm *comm, cy_table *part) {
  cy_error err;
  cy_aggregate a1[] = {{"v", CY_AGG_SUM, 0, NULL}, {"f", CY_AGG_MEAN, 0, NULL},
                       {"k", CY_AGG_COUNT, 0, NULL}, {"s", CY_AGG_MAX, 0, NULL}};
  cy_aggregate a2[] = {{"v", CY_AGG_MEDIAN, 0, NULL}, {"f", CY_AGG_STD, 0, NULL}};
  cy_aggregate a3[] = {{"f", CY_AGG_STD, 0, NULL}, {"v", CY_AGG_MIN, 0, NULL}};
  int64_t kc = 0;
  double fs = 0, fss = 0, fc = 0;
  const char *smax = "";
  char buf[32], maxbuf[32] = "";
  for (int64_t i = 0; i < N; i++) {
    kc += !k_null(i);
    if (!f_null(i)) fs += f_of(i), fss += f_of(i) * f_of(i), fc++;
    const char *s = s_of(i, buf);
    if (s && strcmp(s, maxbuf) > 0) snprintf(maxbuf, sizeof maxbuf, "%s", s);
  }
  smax = maxbuf;
  cy_table *r = NULL;
  OK(cy_dist_aggregate(comm, part, a1, 4, &r, &err));
  if (r) {
    CHECK_EQ_INT(r->num_rows, 1);
    CHECK_EQ_INT(col_i64(r, 0, 0), (int64_t)N * (N - 1) / 2);
    CHECK(near(col_f64(r, 1, 0), fs / fc));
    CHECK_EQ_INT(col_i64(r, 2, 0), kc);
    CHECK(str_is(r, 3, 0, smax));
  }
  cy_table_release(r);
  r = NULL;
  OK(cy_dist_aggregate(comm, part, a2, 2, &r, &err));
  if (r) {
    CHECK_EQ_INT(r->num_rows, 1);
    CHECK(near(col_f64(r, 0, 0), (N - 1) / 2.0));
    CHECK(fabs(col_f64(r, 1, 0) - sqrt((fss - fs * fs / fc) / (fc - 1))) < 1e-6);
  }
  cy_table_release(r);
  r = NULL;
  OK(cy_dist_aggregate(comm, part, a3, 2, &r, &err)); /* std from merged partials */
  if (r) {
    CHECK_EQ_INT(r->num_rows, 1);
    CHECK(fabs(col_f64(r, 0, 0) - sqrt((fss - fs * fs / fc) / (fc - 1))) < 1e-6);
    CHECK_EQ_INT(col_i64(r, 1, 0), 0);
    CHECK_EQ_STR(r->schema.fields[0].name, "f_std");
  }
  cy_table_release(r);
}

/* ---- joins ------------------------------------------------------------------------------ */

#define NR 60
/* The right table: rk = j % 45 (so keys 0..14 twice), w = j; as int32 when narrow. */
static cy_table *right_table(bool narrow) {
  int64_t k[NR], w[NR];
  int32_t k32[NR];
  for (int j = 0; j < NR; j++) k[j] = k32[j] = j % 45, w[j] = j;
  cy_error err;
  cy_column *cols[2] = {NULL, NULL};
  if (narrow) OK(cy_column_from_values(cy_type_make(CY_INT32), k32, NULL, NR, &cols[0], &err));
  else OK(cy_column_from_values(cy_type_make(CY_INT64), k, NULL, NR, &cols[0], &err));
  OK(cy_column_from_values(cy_type_make(CY_INT64), w, NULL, NR, &cols[1], &err));
  const char *names[2] = {"rk", "w"};
  cy_table *t = NULL;
  OK(cy_table_make(2, names, cols, &t, &err));
  cy_column_release(cols[0]);
  cy_column_release(cols[1]);
  return t;
}

static void check_join(cy_comm *comm, cy_table *part, int split) {
  cy_error err;
  int64_t inner_rows = 0, inner_wsum = 0, left_rows = 0;
  for (int64_t i = 0; i < N; i++) {
    int64_t m = 0, ws = 0;
    for (int j = 0; j < NR && !k_null(i); j++)
      if (j % 45 == k_of(i)) m++, ws += j;
    inner_rows += m, inner_wsum += ws, left_rows += m ? m : 1;
  }
  for (int variant = 0; variant < 4; variant++) {
    cy_table *whole_right = right_table(variant == 2), *rpart = split_table(comm, whole_right, (split + 1) % SPLIT_KINDS);
    cy_dist_join_options o;
    cy_dist_join_options_init(&o);
    const char *lk[] = {"k"}, *rk[] = {"rk"};
    o.join.num_keys = 1;
    o.join.left_on = lk;
    o.join.right_on = rk;
    o.strategy = variant == 1 ? CY_DIST_JOIN_BROADCAST : CY_DIST_JOIN_SHUFFLE;
    if (variant == 3) o.join.type = CY_JOIN_LEFT, o.strategy = CY_DIST_JOIN_AUTO;
    if (variant == 2) o.join.algorithm = CY_JOIN_SORT_MERGE;
    cy_table *res = NULL;
    OK(cy_dist_join(comm, part, rpart, &o, &res, &err));
    if (res) {
      int64_t agg[2] = {res->num_rows, 0};
      int wcol = cy_schema_find(&res->schema, "w");
      for (int64_t r = 0; r < res->num_rows; r++)
        if (cy_column_is_valid(res->columns[wcol], r)) agg[1] += col_i64(res, wcol, r);
      OK(cy_comm_allreduce(comm, agg, 2, CY_REDUCE_INT64, CY_REDUCE_SUM, &err));
      CHECK_EQ_INT(agg[0], variant == 3 ? left_rows : inner_rows);
      CHECK_EQ_INT(agg[1], inner_wsum);
    }
    cy_table_release(res);
    cy_table_release(rpart);
    cy_table_release(whole_right);
  }
}

/* ---- unique, sort, sets, equals --------------------------------------------------------- */

static void check_unique(cy_comm *comm, cy_table *part) {
  cy_error err;
  const char *cols[] = {"k"};
  for (int keep = 0; keep < 2; keep++) {
    int64_t want[NK + 1];
    for (int g = 0; g <= NK; g++) want[g] = -1;
    for (int64_t i = 0; i < N; i++)
      if (keep == CY_KEEP_LAST || want[slot_of(i)] < 0) want[slot_of(i)] = i;
    cy_table *res = NULL, *all = NULL;
    OK(cy_dist_unique(comm, part, cols, 1, (cy_keep)keep, &res, &err));
    if (res) OK(cy_dist_gather(comm, res, 0, &all, &err));
    if (all && cy_comm_rank(comm) == 0) {
      CHECK_EQ_INT(all->num_rows, NK + 1);
      int bad = 0;
      for (int64_t r = 0; r < all->num_rows; r++) bad += col_i64(all, 1, r) != want[row_slot(all, r)];
      CHECK_EQ_INT(bad, 0);
    }
    cy_table_release(all);
    cy_table_release(res);
  }
}

/* Expected order: k descending with nulls first, then f ascending (nulls last), then the
 * row number (the sort is stable). */
static int cmp_rows(const void *pa, const void *pb) {
  int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
  if (k_null(a) != k_null(b)) return k_null(a) ? -1 : 1;
  if (!k_null(a) && k_of(a) != k_of(b)) return k_of(a) > k_of(b) ? -1 : 1;
  if (f_null(a) != f_null(b)) return f_null(a) ? 1 : -1;
  if (!f_null(a) && f_of(a) != f_of(b)) return f_of(a) < f_of(b) ? -1 : 1;
  return a < b ? -1 : a > b;
}

static void check_sort(cy_comm *comm, cy_table *part, int split) {
  cy_error err;
  cy_sort_key keys[] = {{"k", true, true}, {"f", false, false}};
  cy_table *res = NULL, *all = NULL;
  OK(cy_dist_sort(comm, part, keys, 2, &res, &err));
  if (res == NULL) return;
  /* the heavy key 7 (a third of the rows) is spread over several ranks */
  int64_t has7 = 0;
  for (int64_t r = 0; r < res->num_rows && !has7; r++) has7 = row_slot(res, r) == 7;
  OK(cy_comm_allreduce(comm, &has7, 1, CY_REDUCE_INT64, CY_REDUCE_SUM, &err));
  if (cy_comm_world_size(comm) >= 3 && split == SPLIT_EVEN) CHECK(has7 >= 2);
  OK(cy_dist_gather(comm, res, 0, &all, &err));
  if (all && cy_comm_rank(comm) == 0) {
    static int64_t order[N];
    for (int64_t i = 0; i < N; i++) order[i] = i;
    qsort(order, N, sizeof order[0], cmp_rows);
    CHECK_EQ_INT(all->num_rows, N);
    int bad = 0;
    for (int64_t r = 0; r < all->num_rows && r < N; r++) bad += col_i64(all, 1, r) != order[r];
    CHECK_EQ_INT(bad, 0);
  }
  cy_table_release(all);
  cy_table_release(res);
}

/* Sets over single int64 columns: a = {i % 50 : i < N} with nulls, b = {i % 70 + 30}. */
static void check_sets(cy_comm *comm, int split) {
  cy_error err;
  static int64_t av[N], bv[N];
  static uint8_t avalid[N];
  for (int64_t i = 0; i < N; i++) av[i] = i % 50, avalid[i] = i % 29 != 0, bv[i] = i % 70 + 30;
  cy_column *ac = NULL, *bc = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), av, avalid, N, &ac, &err));
  OK(cy_column_from_values(cy_type_make(CY_INT64), bv, NULL, N, &bc, &err));
  const char *names[] = {"x"};
  cy_table *a = NULL, *b = NULL;
  OK(cy_table_make(1, names, &ac, &a, &err));
  OK(cy_table_make(1, names, &bc, &b, &err));
  cy_column_release(ac);
  cy_column_release(bc);
  cy_table *ap = split_table(comm, a, split), *bp = split_table(comm, b, (split + 2) % SPLIT_KINDS);
  /* a: 0..49 and null (51 distinct); b: 30..99 (70); a & b: 30..49 (20) */
  int64_t want[3] = {51 + 50, 20, 31};
  for (int op = 0; op < 3; op++) {
    cy_table *res = NULL;
    if (op == 0) OK(cy_dist_union(comm, ap, bp, &res, &err));
    if (op == 1) OK(cy_dist_intersect(comm, ap, bp, &res, &err));
    if (op == 2) OK(cy_dist_difference(comm, ap, bp, &res, &err));
    int64_t n = res ? res->num_rows : -1;
    OK(cy_comm_allreduce(comm, &n, 1, CY_REDUCE_INT64, CY_REDUCE_SUM, &err));
    CHECK_EQ_INT(n, want[op]);
    cy_table_release(res);
  }
  /* equality: a against its own rebalanced and shuffled forms, and against b */
  cy_table *rb = NULL, *sh = NULL;
  bool eq = false;
  OK(cy_dist_rebalance(comm, ap, &rb, &err));
  OK(cy_dist_equals(comm, ap, rb, true, &eq, &err));
  CHECK(eq);
  OK(cy_dist_shuffle(comm, ap, NULL, 0, NULL, &sh, &err));
  OK(cy_dist_equals(comm, ap, sh, false, &eq, &err));
  CHECK(eq);
  if (N > 100) {
    OK(cy_dist_equals(comm, ap, sh, true, &eq, &err));
    CHECK(cy_comm_world_size(comm) == 1 ? eq : !eq);
  }
  OK(cy_dist_equals(comm, ap, bp, false, &eq, &err));
  CHECK(!eq);
  cy_table_release(rb);
  cy_table_release(sh);
  cy_table_release(ap);
  cy_table_release(bp);
  cy_table_release(a);
  cy_table_release(b);
}

/* Integer sums travel as exact halves: a rank's part may overflow int64 while the total
 * fits (no error), and a total that does not fit fails on every rank. */
static void check_wide_sums(cy_comm *comm) {
  cy_error err;
  int me = cy_comm_rank(comm), world = cy_comm_world_size(comm);
  int64_t all[3] = {INT64_MAX, 1, -10}, g[3] = {1, 1, 1};
  int64_t lo = world == 1 ? 0 : me == 0 ? 0 : me == 1 ? 2 : 3, hi = world == 1 || me == 1 ? 3 : me == 0 ? 2 : 3;
  for (int over = 0; over < 2; over++) {
    if (over) all[2] = 10;
    cy_column *cols[2] = {NULL, NULL};
    OK(cy_column_from_values(cy_type_make(CY_INT64), g + lo, NULL, hi - lo, &cols[0], &err));
    OK(cy_column_from_values(cy_type_make(CY_INT64), all + lo, NULL, hi - lo, &cols[1], &err));
    const char *names[2] = {"g", "x"}, *by[1] = {"g"};
    cy_table *t = NULL, *r = NULL;
    OK(cy_table_make(2, names, cols, &t, &err));
    cy_aggregate aggs[2] = {{"x", CY_AGG_SUM, 0, NULL}, {"x", CY_AGG_MEAN, 0, NULL}};
    if (!over) {
      OK(cy_dist_aggregate(comm, t, aggs, 2, &r, &err));
      if (r) CHECK_EQ_INT(col_i64(r, 0, 0), INT64_MAX - 9);
      if (r) CHECK(col_f64(r, 1, 0) == (double)(INT64_MAX - 9) / 3);
      cy_table_release(r);
      r = NULL;
      OK(cy_dist_groupby(comm, t, by, 1, aggs, 2, &r, &err));
      int64_t n = r ? r->num_rows : 0, v = r && n ? col_i64(r, 1, 0) : 0;
      OK(cy_comm_allreduce(comm, &n, 1, CY_REDUCE_INT64, CY_REDUCE_SUM, &err));
      CHECK_EQ_INT(n, 1);
      if (r && r->num_rows) CHECK_EQ_INT(v, INT64_MAX - 9);
      cy_table_release(r);
    } else {
      FAILS(cy_dist_aggregate(comm, t, aggs, 2, &r, &err), CY_ERANGE, "overflows int64");
    }
    cy_table_release(t);
    cy_column_release(cols[0]);
    cy_column_release(cols[1]);
  }
}

static int worker(void *arg) {
  int world = *(int *)arg;
  cy_comm *comm = dist_open(0);
  if (comm == NULL) return 1;
  CHECK_EQ_INT(cy_comm_world_size(comm), world);
  cy_table *whole = whole_table();
  for (int split = 0; split < SPLIT_KINDS; split++) {
    cy_table *part = split_table(comm, whole, split);
    check_groupby(comm, part);
    check_aggregate(comm, part);
    check_join(comm, part, split);
    check_unique(comm, part);
    check_sort(comm, part, split);
    check_sets(comm, split);
    cy_table_release(part);
  }
  check_wide_sums(comm);
  /* a bad column fails alike everywhere, and the communicator is still usable */
  cy_error err;
  cy_table *out = NULL;
  const char *bad[] = {"nope"};
  FAILS(cy_dist_unique(comm, whole, bad, 1, CY_KEEP_FIRST, &out, &err), CY_ENOENT, "nope");
  OK(cy_comm_barrier(comm, &err));
  cy_table_release(whole);
  cy_comm_close(comm);
  return test_failures ? 1 : 0;
}

int main(void) {
  test_failures += dist_run_worlds(worker);
  TEST_MAIN_END();
}
