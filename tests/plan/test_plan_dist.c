/*
 * test_plan_dist.c - cy_plan_run on a communicator, at 1, 2, 3, 4 and 7 ranks (forks).
 *
 * The data is a directory of three CSV parts (13, 40 and 47 rows: ranks get uneven shares,
 * and some none at 4 and 7 ranks) holding k = 0..99 in order and v = k * 37 mod 100, so
 * every expected value is computed by hand here: v is a permutation of 0..99 whose inverse
 * is k = v * 73 mod 100 (37 * 73 = 2701). Checked: the result (a scalar aggregate) only on
 * rank 0 and once; the report totals; global head, tail and slice after a sort; top_k; a
 * single-file write gathered in order; a write of one part per rank read back as a
 * directory; and a failure on the one rank holding rows failing every rank.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "dist/dist_test.h"

static char dir[256];

static void write_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f == NULL) return;
  fputs(text, f);
  fclose(f);
}

static void write_parts(void) {
  char path[512];
  snprintf(path, sizeof path, "%s/data", dir);
  mkdir(path, 0777);
  int bounds[4] = {0, 13, 53, 100};
  for (int p = 0; p < 3; p++) {
    snprintf(path, sizeof path, "%s/data/part-%d.csv", dir, p);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL) return;
    fputs("k,v\n", f);
    for (int k = bounds[p]; k < bounds[p + 1]; k++) fprintf(f, "%d,%d\n", k, k * 37 % 100);
    fclose(f);
  }
}

static const char *plan_text =
    "{\"steps\": [\n"
    " {\"id\": \"a\", \"op\": \"read\", \"path\": \"data/\"},\n"
    " {\"id\": \"by_v\", \"op\": \"sort\", \"input\": \"a\", \"by\": [{\"column\": \"v\", \"desc\": true}]},\n"
    " {\"id\": \"top_v\", \"op\": \"head\", \"input\": \"by_v\", \"n\": 5},\n"
    " {\"op\": \"write\", \"input\": \"top_v\", \"path\": \"out/head.csv\"},\n"
    " {\"id\": \"by_k\", \"op\": \"sort\", \"input\": \"a\", \"by\": [\"k\"]},\n"
    " {\"op\": \"write\", \"input\": \"by_k\", \"path\": \"out/sorted.csv\"},\n"
    " {\"id\": \"last\", \"op\": \"tail\", \"input\": \"by_k\", \"n\": 3},\n"
    " {\"op\": \"write\", \"input\": \"last\", \"path\": \"out/tail.csv\"},\n"
    " {\"id\": \"mid\", \"op\": \"slice\", \"input\": \"by_k\", \"offset\": 10, \"length\": 5},\n"
    " {\"op\": \"write\", \"input\": \"mid\", \"path\": \"out/slice.csv\"},\n"
    " {\"id\": \"best\", \"op\": \"top_k\", \"input\": \"a\", \"by\": [{\"column\": \"v\", \"desc\": true}], \"k\": 4},\n"
    " {\"op\": \"write\", \"input\": \"best\", \"path\": \"out/topk.csv\"},\n"
    " {\"id\": \"big\", \"op\": \"filter\", \"input\": \"a\", \"where\": \"k >= 60\"},\n"
    " {\"op\": \"write\", \"input\": \"big\", \"path\": \"out/big/\"},\n"
    " {\"id\": \"total\", \"op\": \"aggregate\", \"input\": \"a\", \"output\": true,\n"
    "  \"aggs\": [{\"op\": \"count_all\", \"name\": \"n\"}, {\"column\": \"k\", \"op\": \"sum\"}]}\n"
    "]}\n";

/* One file goes whole to one rank; its cast fails there only. */
static const char *failing_text =
    "{\"steps\": [\n"
    " {\"id\": \"a\", \"op\": \"read\", \"path\": \"words.csv\"},\n"
    " {\"id\": \"c\", \"op\": \"cast\", \"input\": \"a\", \"columns\": {\"s\": \"int64\"}},\n"
    " {\"id\": \"s\", \"op\": \"sort\", \"input\": \"c\", \"by\": [\"k\"]}\n"
    "]}\n";

typedef struct totals {
  int64_t steps, read_rows;
} totals;

static void on_done(const cy_plan_step_report *r, void *ctx) {
  totals *t = ctx;
  t->steps++;
  if (r->index == 0) t->read_rows = r->total_rows;
}

static int worker(void *ctx) {
  (void)ctx;
  cy_error err;
  cy_comm *comm = dist_open(20000);
  char path[512];
  snprintf(path, sizeof path, "%s/plan.json", dir);
  cy_plan *plan = NULL;
  OK(cy_plan_load(path, &plan, &err));
  cy_plan_run_options ro;
  cy_plan_run_options_init(&ro);
  totals t = {0, 0};
  ro.comm = comm;
  ro.on_step_done = on_done;
  ro.ctx = &t;
  cy_table *result = NULL;
  OK(cy_plan_run(plan, &ro, &result, &err));
  CHECK_EQ_INT(t.steps, 15);
  CHECK_EQ_INT(t.read_rows, 100);
  if (cy_comm_rank(comm) == 0) {
    CHECK(result != NULL && result->num_rows == 1);
    if (result && result->num_rows == 1) {
      CHECK_EQ_INT(col_i64(result, 0, 0), 100);
      CHECK_EQ_INT(col_i64(result, 1, 0), 4950);
    }
  } else {
    CHECK(result == NULL);
  }
  cy_table_release(result);
  cy_plan_release(plan);
  cy_comm_close(comm);
  return test_failures ? 1 : 0;
}

/* A table written by the plan, read whole (a file or a directory of parts). */
static cy_table *read_out(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/out/%s", dir, name);
  cy_error err;
  cy_table *t = NULL;
  OK(cy_dataset_read(path, NULL, 0, 1, &t, &err));
  return t;
}

static void check_outputs(int world) {
  cy_table *t = read_out("head.csv");
  CHECK(t && t->num_rows == 5);
  for (int64_t i = 0; t && i < t->num_rows && i < 5; i++) {
    CHECK_EQ_INT(col_i64(t, 1, i), 99 - i);
    CHECK_EQ_INT(col_i64(t, 0, i), (99 - i) * 73 % 100);
  }
  cy_table_release(t);
  t = read_out("sorted.csv");
  CHECK(t && t->num_rows == 100);
  for (int64_t i = 0; t && i < t->num_rows; i++) CHECK_EQ_INT(col_i64(t, 0, i), i);
  cy_table_release(t);
  t = read_out("tail.csv");
  CHECK(t && t->num_rows == 3);
  for (int64_t i = 0; t && i < t->num_rows && i < 3; i++) CHECK_EQ_INT(col_i64(t, 0, i), 97 + i);
  cy_table_release(t);
  t = read_out("slice.csv");
  CHECK(t && t->num_rows == 5);
  for (int64_t i = 0; t && i < t->num_rows && i < 5; i++) CHECK_EQ_INT(col_i64(t, 0, i), 10 + i);
  cy_table_release(t);
  t = read_out("topk.csv");
  CHECK(t && t->num_rows == 4);
  for (int64_t i = 0; t && i < t->num_rows && i < 4; i++) CHECK_EQ_INT(col_i64(t, 1, i), 99 - i);
  cy_table_release(t);
  /* One part per rank holding rows (CSV), in rank order: the filter keeps the global
   * order. The rows k >= 60 are in the last part file, which the last rank(s) read. */
  char path[512];
  int parts = 0;
  for (int r = 0; r < world + 1; r++) {
    snprintf(path, sizeof path, "%s/out/big/part-%05d.csv", dir, r);
    parts += access(path, F_OK) == 0;
  }
  CHECK(parts >= 1 && parts <= world);
  snprintf(path, sizeof path, "%s/out/big/part-%05d.csv", dir, world - 1);
  CHECK(access(path, F_OK) == 0);
  t = read_out("big/");
  CHECK(t && t->num_rows == 40);
  for (int64_t i = 0; t && i < t->num_rows; i++) CHECK_EQ_INT(col_i64(t, 0, i), 60 + i);
  cy_table_release(t);
}

/* The cast fails on the rank that read words.csv, and only there; every rank fails. */
static int failing_worker(void *ctx) {
  (void)ctx;
  cy_error err;
  cy_comm *comm = dist_open(20000);
  char path[512];
  snprintf(path, sizeof path, "%s/failing.json", dir);
  cy_plan *plan = NULL;
  OK(cy_plan_load(path, &plan, &err));
  cy_plan_run_options ro;
  cy_plan_run_options_init(&ro);
  ro.comm = comm;
  cy_table *result = NULL;
  cy_status st = cy_plan_run(plan, &ro, &result, &err);
  CHECK(st != CY_OK);
  CHECK(result == NULL);
  /* The failing step is named on every rank: its own error, or the abort it sent. */
  CHECK(strstr(err.message, "steps[1] \"c\" (cast)") != NULL);
  if (strstr(err.message, "steps[1]") == NULL) fprintf(stderr, "got: %s\n", err.message);
  cy_plan_release(plan);
  cy_comm_close(comm);
  return test_failures ? 1 : 0;
}

int main(void) {
  snprintf(dir, sizeof dir, "%s/cylon-plan-dist.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  write_parts();
  write_file("plan.json", plan_text);
  write_file("failing.json", failing_text);
  write_file("words.csv", "k,s\n1,12\n2,twelve\n");
  for (int i = 0; i < DIST_NUM_WORLDS; i++) {
    int world = dist_worlds[i];
    cy_launch_options lo;
    cy_launch_options_init(&lo);
    lo.workers = world;
    lo.run = worker;
    cy_error err;
    if (cy_launch(&lo, &err) != CY_OK) {
      fprintf(stderr, "world of %d: %s\n", world, err.message);
      test_failures++;
      continue;
    }
    check_outputs(world);
  }
  cy_launch_options lo;
  cy_launch_options_init(&lo);
  lo.workers = 3;
  lo.run = failing_worker;
  cy_error err;
  CHECK(cy_launch(&lo, &err) == CY_OK); /* each worker checks its own failure */
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
  if (test_failures) fprintf(stderr, "%d check(s) failed\n", test_failures);
  return test_failures ? 1 : 0;
}
