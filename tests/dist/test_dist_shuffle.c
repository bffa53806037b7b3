/*
 * test_dist_shuffle.c - moving tables between ranks: shuffle, gather, allgather,
 * broadcast, rebalance and num_rows across 1, 2, 3, 4 and 7 ranks, with rows split
 * unevenly (empty ranks, everything on one rank), a heavy key, null keys, strings with
 * nulls, sliced inputs and chunks small enough that every part travels in many messages.
 * Also: a schema that differs on one rank fails on every rank with an error naming it,
 * and a rank that dies before a shuffle makes the others fail rather than hang.
 * Tables of fixed-width columns without nulls take the shuffle's fixed-width path (values
 * scattered straight into place): checked the same way, with one-row and many-row chunks,
 * both written straight into the other ranks' memory (cy_comm_direct_write, the default
 * for ranks on one machine) and sent through the sockets (CYLON_DIRECT=0).
 *
 * Expectations come from the generator: row i of the whole table is (k(i), i, s(i)), so
 * the value column v identifies each row and the others follow from it.
 */
#include <pthread.h>
#include <sys/prctl.h>

#include "dist_test.h"

#define N 6000
#define NKEYS 50

static bool key_null(int64_t i) { return i % 17 == 0; }
static int64_t key_of(int64_t i) { return i % 3 == 0 ? 7 : i % NKEYS; }
static const char *str_of(int64_t i, char *buf) {
  if (i % 11 == 0) return NULL;
  snprintf(buf, 64, "s%lld%s", (long long)(i % 13), i % 5 == 0 ? "-a-longer-string" : "");
  return buf;
}

static cy_table *whole_table(void) {
  static int64_t k[N], v[N];
  static uint8_t kv[N];
  static char bufs[N][64];
  static const char *s[N];
  for (int64_t i = 0; i < N; i++) {
    k[i] = key_of(i);
    kv[i] = !key_null(i);
    v[i] = i;
    s[i] = str_of(i, bufs[i]);
  }
  return make_kv(N, k, kv, v, s);
}

/* Row `row` of t is whole-table row v (its k and s as generated). */
static bool row_is(const cy_table *t, int64_t row, int64_t v) {
  char buf[64];
  const cy_column *k = t->columns[0], *s = t->columns[2];
  if (col_i64(t, 1, row) != v) return false;
  if (cy_column_is_valid(k, row) == key_null(v)) return false;
  if (!key_null(v) && col_i64(t, 0, row) != key_of(v)) return false;
  const char *want = str_of(v, buf);
  if (cy_column_is_valid(s, row) != (want != NULL)) return false;
  if (want) {
    int64_t len;
    const uint8_t *b = cy_column_bytes(s, row, &len);
    if (len != (int64_t)strlen(want) || memcmp(b, want, (size_t)len) != 0) return false;
  }
  return true;
}

/* t holds whole-table rows [from, from + n) in order. */
static void check_rows_in_order(const cy_table *t, int64_t from, int64_t n) {
  CHECK_EQ_INT(t->num_rows, n);
  if (t->num_rows != n) return;
  int bad = 0;
  for (int64_t i = 0; i < n; i++) bad += !row_is(t, i, from + i);
  CHECK_EQ_INT(bad, 0);
}

static void check_shuffle(cy_comm *comm, cy_table *whole, int split, int64_t chunk_bytes) {
  cy_error err;
  int me = cy_comm_rank(comm);
  cy_table *part = split_table(comm, whole, split), *shuffled = NULL, *gathered = NULL;
  const char *keys[] = {"k"};
  cy_shuffle_options so;
  cy_shuffle_options_init(&so);
  so.chunk_bytes = chunk_bytes;
  OK(cy_dist_shuffle(comm, part, keys, 1, &so, &shuffled, &err));
  if (shuffled == NULL) {
    cy_table_release(part);
    return;
  }
  /* rows of one key keep their global order */
  int64_t last_v[NKEYS + 1];
  for (int i = 0; i <= NKEYS; i++) last_v[i] = -1;
  for (int64_t r = 0; r < shuffled->num_rows; r++) {
    int slot = cy_column_is_valid(shuffled->columns[0], r) ? (int)col_i64(shuffled, 0, r) : NKEYS;
    CHECK(col_i64(shuffled, 1, r) > last_v[slot]);
    last_v[slot] = col_i64(shuffled, 1, r);
  }
  /* every row arrives exactly once, intact, and each key on exactly one rank */
  int64_t owner_v[N];
  for (int64_t r = 0; r < shuffled->num_rows; r++) owner_v[r] = me;
  cy_column *owner = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), owner_v, NULL, shuffled->num_rows, &owner, &err));
  cy_column *cols[4] = {shuffled->columns[0], shuffled->columns[1], shuffled->columns[2], owner};
  const char *names[4] = {"k", "v", "s", "owner"};
  cy_table *with_owner = NULL;
  OK(cy_table_make(4, names, cols, &with_owner, &err));
  cy_column_release(owner);
  OK(cy_dist_gather(comm, with_owner, 0, &gathered, &err));
  if (me == 0 && gathered) {
    CHECK_EQ_INT(gathered->num_rows, N);
    static int seen[N];
    int key_owner[NKEYS + 1];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i <= NKEYS; i++) key_owner[i] = -1;
    int bad = 0;
    for (int64_t r = 0; r < gathered->num_rows; r++) {
      int64_t v = col_i64(gathered, 1, r);
      if (v < 0 || v >= N || seen[v]++ || !row_is(gathered, r, v)) bad++;
      int slot = cy_column_is_valid(gathered->columns[0], r) ? (int)col_i64(gathered, 0, r) : NKEYS;
      int o = (int)col_i64(gathered, 3, r);
      if (key_owner[slot] >= 0 && key_owner[slot] != o) bad++;
      key_owner[slot] = o;
    }
    CHECK_EQ_INT(bad, 0);
  } else if (gathered) {
    CHECK_EQ_INT(gathered->num_rows, 0);
  }
  cy_table_release(gathered);
  cy_table_release(with_owner);
  cy_table_release(shuffled);
  cy_table_release(part);
}

/* ---- the fixed-width path: int64 k (no nulls), int64 v, int32 w, float64 f ------------- */

static int32_t w_of(int64_t v) { return (int32_t)(v * 7 % 1000) - 500; }
static double f_of(int64_t v) { return (double)v * 0.5 + 0.25; }

static cy_table *fixed_table(void) {
  static int64_t k[N], v[N];
  static int32_t w[N];
  static double f[N];
  for (int64_t i = 0; i < N; i++) k[i] = key_of(i), v[i] = i, w[i] = w_of(i), f[i] = f_of(i);
  cy_error err;
  cy_column *cols[4] = {NULL, NULL, NULL, NULL};
  OK(cy_column_from_values(cy_type_make(CY_INT64), k, NULL, N, &cols[0], &err));
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, NULL, N, &cols[1], &err));
  OK(cy_column_from_values(cy_type_make(CY_INT32), w, NULL, N, &cols[2], &err));
  OK(cy_column_from_values(cy_type_make(CY_FLOAT64), f, NULL, N, &cols[3], &err));
  const char *names[4] = {"k", "v", "w", "f"};
  cy_table *t = NULL;
  OK(cy_table_make(4, names, cols, &t, &err));
  for (int i = 0; i < 4; i++) cy_column_release(cols[i]);
  return t;
}

static void check_fixed_shuffle(cy_comm *comm, cy_table *whole, int split, int64_t chunk_bytes) {
  cy_error err;
  int me = cy_comm_rank(comm);
  cy_table *part = split_table(comm, whole, split), *shuffled = NULL, *gathered = NULL;
  const char *keys[] = {"k"};
  cy_shuffle_options so;
  cy_shuffle_options_init(&so);
  so.chunk_bytes = chunk_bytes;
  OK(cy_dist_shuffle(comm, part, keys, 1, &so, &shuffled, &err));
  cy_table_release(part);
  if (shuffled == NULL) return;
  CHECK_EQ_INT(shuffled->schema.num_fields, 4);
  CHECK(shuffled->columns[2]->type.id == CY_INT32 && shuffled->columns[3]->type.id == CY_FLOAT64);
  int64_t last_v[NKEYS];
  for (int i = 0; i < NKEYS; i++) last_v[i] = -1;
  int bad = 0;
  const int32_t *w = cy_column_data(shuffled->columns[2]);
  const double *f = cy_column_data(shuffled->columns[3]);
  for (int64_t r = 0; r < shuffled->num_rows; r++) {
    int64_t k = col_i64(shuffled, 0, r), v = col_i64(shuffled, 1, r);
    if (v < 0 || v >= N || k != key_of(v) || w[r] != w_of(v) || f[r] != f_of(v)) {
      bad++;
      continue;
    }
    if (v <= last_v[k]) bad++; /* rows of one key keep their global order */
    last_v[k] = v;
  }
  CHECK_EQ_INT(bad, 0);
  /* every row arrives exactly once, and each key on exactly one rank */
  cy_table *kv = NULL, *owned = NULL;
  int32_t idx[2] = {0, 1};
  const char *kvn[2] = {"k", "v"};
  OK(cy_table_project(shuffled, 2, idx, kvn, &kv, &err));
  static int64_t owner_v[N];
  for (int64_t r = 0; r < shuffled->num_rows; r++) owner_v[r] = me;
  cy_column *owner = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), owner_v, NULL, shuffled->num_rows, &owner, &err));
  cy_column *cols[3] = {kv ? kv->columns[0] : NULL, kv ? kv->columns[1] : NULL, owner};
  const char *names[3] = {"k", "v", "owner"};
  if (kv) OK(cy_table_make(3, names, cols, &owned, &err));
  cy_column_release(owner);
  if (owned) OK(cy_dist_gather(comm, owned, 0, &gathered, &err));
  if (me == 0 && gathered) {
    CHECK_EQ_INT(gathered->num_rows, N);
    static int seen[N];
    int key_owner[NKEYS];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < NKEYS; i++) key_owner[i] = -1;
    bad = 0;
    for (int64_t r = 0; r < gathered->num_rows; r++) {
      int64_t v = col_i64(gathered, 1, r), k = col_i64(gathered, 0, r);
      int o = (int)col_i64(gathered, 2, r);
      if (v < 0 || v >= N || seen[v]++ || k < 0 || k >= NKEYS) {
        bad++;
        continue;
      }
      if (key_owner[k] >= 0 && key_owner[k] != o) bad++;
      key_owner[k] = o;
    }
    CHECK_EQ_INT(bad, 0);
  }
  cy_table_release(gathered);
  cy_table_release(owned);
  cy_table_release(kv);
  cy_table_release(shuffled);
}

static void check_moves(cy_comm *comm, cy_table *whole, int split) {
  cy_error err;
  int me = cy_comm_rank(comm), world = cy_comm_world_size(comm);
  cy_table *part = split_table(comm, whole, split), *out = NULL;
  int64_t start, len;
  split_range(N, me, world, split, &start, &len);

  int64_t total = -1;
  OK(cy_dist_num_rows(comm, part, &total, &err));
  CHECK_EQ_INT(total, N);

  int root = world - 1;
  OK(cy_dist_gather(comm, part, root, &out, &err));
  if (out) check_rows_in_order(out, 0, me == root ? N : 0);
  cy_table_release(out);
  out = NULL;

  OK(cy_dist_allgather(comm, part, &out, &err));
  if (out) check_rows_in_order(out, 0, N);
  cy_table_release(out);
  out = NULL;

  /* broadcast: only the root passes a table */
  int64_t rs, rl;
  split_range(N, root, world, split, &rs, &rl);
  OK(cy_dist_broadcast(comm, me == root ? part : NULL, root, &out, &err));
  if (out) check_rows_in_order(out, rs, rl);
  cy_table_release(out);
  out = NULL;

  OK(cy_dist_rebalance(comm, part, &out, &err));
  int64_t lo = (int64_t)N * me / world, hi = (int64_t)N * (me + 1) / world;
  if (out) check_rows_in_order(out, lo, hi - lo);
  cy_table_release(out);
  cy_table_release(part);
}

/* One rank's table has another type in column s: every rank fails naming that rank, and
 * the communicator stays usable (nobody aborted). */
static void check_schema_mismatch(cy_comm *comm) {
  cy_error err;
  int me = cy_comm_rank(comm), world = cy_comm_world_size(comm);
  if (world == 1) return;
  int64_t k[2] = {1, 2}, v[2] = {3, 4};
  const char *s[2] = {"a", "b"};
  cy_table *t = make_kv(2, k, NULL, v, s);
  cy_table *odd = NULL, *out = NULL;
  if (me == world - 1) {
    int32_t idx[3] = {0, 1, 1};
    const char *names[3] = {"k", "v", "s"};
    OK(cy_table_project(t, 3, idx, names, &odd, &err));
  }
  char want[64];
  snprintf(want, sizeof want, "the schema on rank %d", world - 1);
  const char *keys[] = {"k"};
  FAILS(cy_dist_shuffle(comm, odd ? odd : t, keys, 1, NULL, &out, &err), CY_EINVAL, want);
  CHECK(out == NULL);
  CHECK(strstr(err.message, "s: int64") != NULL && strstr(err.message, "s: utf8") != NULL);
  FAILS(cy_dist_gather(comm, odd ? odd : t, 0, &out, &err), CY_EINVAL, want);
  OK(cy_comm_barrier(comm, &err));
  /* and a good call works afterwards */
  OK(cy_dist_shuffle(comm, t, keys, 1, NULL, &out, &err));
  cy_table_release(out);
  cy_table_release(odd);
  cy_table_release(t);
}

static int worker(void *arg) {
  int world = *(int *)arg;
  cy_comm *comm = dist_open(0);
  if (comm == NULL) return 1;
  CHECK_EQ_INT(cy_comm_world_size(comm), world);
  cy_table *whole = whole_table(), *fixed = fixed_table();
  /* ranks forked on one machine can write into each other's memory: the fixed-width
   * shuffle does so, unless CYLON_DIRECT=0 sends it through the sockets */
  bool direct = false;
  cy_error err;
  OK(cy_comm_direct_available(comm, &direct, &err));
  CHECK(direct || world == 1);
  for (int split = 0; split < SPLIT_KINDS; split++) {
    check_shuffle(comm, whole, split, 0);
    check_shuffle(comm, whole, split, 1000); /* many chunks per destination */
    for (int sockets = 0; sockets < 2; sockets++) {
      setenv("CYLON_DIRECT", sockets ? "0" : "1", 1);
      check_fixed_shuffle(comm, fixed, split, 0);
      check_fixed_shuffle(comm, fixed, split, 24);  /* one row per chunk */
      check_fixed_shuffle(comm, fixed, split, 500); /* many rows per chunk */
    }
    unsetenv("CYLON_DIRECT");
    check_moves(comm, whole, split);
  }
  cy_table_release(fixed);
  /* an input that is a slice at an odd offset: bitmaps and offsets are re-based */
  cy_table *sliced = NULL;
  OK(cy_table_slice(whole, 3, N - 3, &sliced, &err));
  cy_table *part = split_table(comm, sliced, SPLIT_UNEVEN), *all = NULL;
  OK(cy_dist_allgather(comm, part, &all, &err));
  if (all) check_rows_in_order(all, 3, N - 3);
  cy_table_release(all);
  cy_table_release(part);
  cy_table_release(sliced);
  check_schema_mismatch(comm);
  cy_table_release(whole);
  cy_comm_close(comm);
  return test_failures ? 1 : 0;
}

static void *die_soon(void *arg) {
  usleep((useconds_t)(*(int *)arg) * 1000);
  _exit(3);
  return NULL;
}

/* The last rank dies before (when = 0) or during (when = 1) a shuffle; the others must
 * fail, naming it, rather than hang: the shuffle fails, or if the dying rank had already
 * sent everything, the barrier after it does. When 2 and 3: the same with the fixed-width
 * table, whose rows the ranks copy straight into each other's memory. */
static int dying_worker(void *arg) {
  int when = *(int *)arg % 2;
  bool fixed = *(int *)arg >= 2; /* the fixed-width path: direct transfers between forks */
  cy_comm *comm = dist_open(3000);
  if (comm == NULL) return 1;
  int me = cy_comm_rank(comm), world = cy_comm_world_size(comm);
  cy_error err;
  cy_table *whole = fixed ? fixed_table() : whole_table();
  cy_table *part = split_table(comm, whole, SPLIT_EVEN), *out = NULL;
  /* a barrier that ends on the dying rank may still be in flight elsewhere: give it time */
  cy_comm_barrier(comm, &err);
  if (me == world - 1) {
    static int delay_ms = 200;
    if (when == 0) die_soon(&delay_ms);
    static int soon_ms = 5;
    pthread_t t;
    pthread_create(&t, NULL, die_soon, &soon_ms);
  }
  const char *keys[] = {"k"};
  cy_shuffle_options so;
  cy_shuffle_options_init(&so);
  so.chunk_bytes = 512; /* many small messages: the death lands among them */
  cy_status st = CY_OK;
  for (int i = 0; i < 20 && st == CY_OK; i++) {
    st = cy_dist_shuffle(comm, part, keys, 1, &so, &out, &err);
    cy_table_release(out);
    out = NULL;
  }
  if (st == CY_OK) st = cy_comm_barrier(comm, &err);
  CHECK(st != CY_OK);
  if (st != CY_OK) CHECK(strstr(err.message, "rank") != NULL);
  if (me == world - 1) pause(); /* the thread ends us */
  cy_table_release(part);
  cy_table_release(whole);
  cy_comm_close(comm);
  return test_failures ? 1 : 0;
}

/* Rank 1 becomes another user (nobody) before the communicator decides on direct
 * transfers: it may not write into the other rank's memory, so the test write fails, every
 * rank learns that direct transfers are off, and the fixed-width shuffle goes through the
 * sockets, as correct as ever. */
static int other_user_worker(void *arg) {
  (void)arg;
  cy_comm *comm = dist_open(0);
  if (comm == NULL) return 1;
  if (cy_comm_rank(comm) == 1) {
    CHECK(setuid(65534) == 0);
    prctl(PR_SET_DUMPABLE, 1); /* a uid change clears it; LeakSanitizer needs it */
  }
  cy_error err;
  bool direct = true;
  OK(cy_comm_direct_available(comm, &direct, &err));
  CHECK(!direct);
  cy_table *fixed = fixed_table();
  check_fixed_shuffle(comm, fixed, SPLIT_UNEVEN, 0);
  check_fixed_shuffle(comm, fixed, SPLIT_EVEN, 500);
  cy_table_release(fixed);
  cy_comm_close(comm);
  return test_failures ? 1 : 0;
}

int main(void) {
  test_failures += dist_run_worlds(worker);
  if (geteuid() == 0) { /* only root can become another user */
    cy_error err;
    cy_launch_options lo;
    cy_launch_options_init(&lo);
    lo.workers = 2;
    lo.run = other_user_worker;
    OK(cy_launch(&lo, &err));
  } else {
    fprintf(stderr, "test_dist_shuffle: not root, so the fallback from direct transfers "
                    "for a rank of another user is not checked\n");
  }
  for (int world = 2; world <= 4; world += 2) {
    for (int when = 0; when < 4; when++) { /* before or during; general or fixed width */
      cy_error err;
      int codes[8] = {0};
      cy_launch_options lo;
      cy_launch_options_init(&lo);
      lo.workers = world;
      lo.run = dying_worker;
      lo.ctx = &when;
      lo.grace_ms = 10000; /* the survivors end on their own, well before this */
      lo.exit_codes = codes;
      CHECK(cy_launch(&lo, &err) != CY_OK);
      for (int r = 0; r < world; r++) CHECK_EQ_INT(codes[r], r == world - 1 ? 3 : 0);
    }
  }
  TEST_MAIN_END();
}
