/*
 * dist_dump.c - ops_dump (tests/compute/ops_dump.c) with the distributed operators, for
 * the differential test against DuckDB (tests/oracle/ops_diff.mjs run with --workers).
 *
 *   dist_dump --workers N [ops_dump's arguments]
 *
 * It starts N ranks (cy_launch, forks of this process); each reads the whole input
 * tables as ops_dump does, keeps its own uneven share of their rows (rank 1 none when
 * there are 3 or more ranks; all rows on the last rank when a table's row count is a
 * multiple of 3), runs the cy_dist_* operator, and the result is gathered to rank 0,
 * which prints it in ops_dump's format (other ranks print nothing). Operators covered:
 * join, groupby, aggregate, union, intersect, difference, unique, sort, equals; ops_dump's
 * calls of the local operators are redirected here by macros, so the argument parsing
 * and printing are ops_dump's own.
 *
 * The communicator's backend comes from CYLON_TEST_BACKEND: "tcp" (the default), "redis"
 * (the redis backend on the server CYLON_REDIS names; tests/oracle/with_redis.sh starts
 * one) or "mpi" (dist_dump runs itself under `mpirun -np N`, and each MPI process is one
 * rank: no fork).
 *
 * unique: each row carries its global row number through the operator, and the gathered
 * result is put back in that order, so the rows kept (first / last) are compared exactly.
 * sort: the gathered result is the ranks' partitions in rank order, so its order is the
 * global order the sample sort promises.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cylon/cylon.h"

static cy_comm *dd_comm;

static const char *dd_backend(void) {
  const char *b = getenv("CYLON_TEST_BACKEND");
  return b && *b ? b : "tcp";
}

/* This rank's share of rows [*start, *start + *len) of a table of n rows. */
static void dd_range(int64_t n, int64_t *start, int64_t *len) {
  int world = cy_comm_world_size(dd_comm), me = cy_comm_rank(dd_comm);
  int64_t total = 0, before = 0, mine = 0;
  for (int r = 0; r < world; r++) {
    int64_t w = n % 3 == 0 ? (r == world - 1) : (world >= 3 && r == 1 ? 0 : (int64_t)(r + 1) * (r + 2));
    if (r < me) before += w;
    if (r == me) mine = w;
    total += w;
  }
  *start = n * before / total;
  *len = n * (before + mine) / total - *start;
}

static cy_status dd_part(cy_table *t, cy_table **out, cy_error *err) {
  int64_t start, len;
  dd_range(t->num_rows, &start, &len);
  return cy_table_slice(t, start, len, out, err);
}

/* Gather a result to rank 0 (consuming res). */
static cy_status dd_gather(cy_status st, cy_table *res, cy_table **out, cy_error *err) {
  if (st == CY_OK) st = cy_dist_gather(dd_comm, res, 0, out, err);
  cy_table_release(res);
  return st;
}

static cy_status dd_join(cy_table *l, cy_table *r, const cy_join_options *jo, cy_table **out,
                         cy_error *err) {
  cy_table *lp = NULL, *rp = NULL, *res = NULL;
  cy_status st = dd_part(l, &lp, err);
  if (st == CY_OK) st = dd_part(r, &rp, err);
  cy_dist_join_options o;
  cy_dist_join_options_init(&o);
  o.join = *jo;
  /* vary the strategy with the data: broadcast for small right sides, else auto / shuffle */
  int64_t n = l->num_rows + r->num_rows;
  o.strategy = n % 4 == 0 ? CY_DIST_JOIN_BROADCAST : n % 4 == 1 ? CY_DIST_JOIN_AUTO : CY_DIST_JOIN_SHUFFLE;
  if (st == CY_OK) st = cy_dist_join(dd_comm, lp, rp, &o, &res, err);
  cy_table_release(lp);
  cy_table_release(rp);
  return dd_gather(st, res, out, err);
}

static cy_status dd_groupby(cy_table *t, const char *const *by, int32_t nb,
                            const cy_aggregate *aggs, int32_t na, cy_table **out, cy_error *err) {
  cy_table *p = NULL, *res = NULL;
  cy_status st = dd_part(t, &p, err);
  if (st == CY_OK) st = cy_dist_groupby(dd_comm, p, by, nb, aggs, na, &res, err);
  cy_table_release(p);
  return dd_gather(st, res, out, err);
}

static cy_status dd_aggregate(cy_table *t, const cy_aggregate *aggs, int32_t na, cy_table **out,
                              cy_error *err) {
  cy_table *p = NULL;
  cy_status st = dd_part(t, &p, err);
  if (st == CY_OK) st = cy_dist_aggregate(dd_comm, p, aggs, na, out, err); /* on every rank */
  cy_table_release(p);
  return st;
}

typedef cy_status (*dd_set_fn)(cy_comm *, cy_table *, cy_table *, cy_table **, cy_error *);
static cy_status dd_set(dd_set_fn fn, cy_table *a, cy_table *b, cy_table **out, cy_error *err) {
  cy_table *ap = NULL, *bp = NULL, *res = NULL;
  cy_status st = dd_part(a, &ap, err);
  if (st == CY_OK) st = dd_part(b, &bp, err);
  if (st == CY_OK) st = fn(dd_comm, ap, bp, &res, err);
  cy_table_release(ap);
  cy_table_release(bp);
  return dd_gather(st, res, out, err);
}
static cy_status dd_union(cy_table *a, cy_table *b, cy_table **out, cy_error *err) {
  return dd_set(cy_dist_union, a, b, out, err);
}
static cy_status dd_intersect(cy_table *a, cy_table *b, cy_table **out, cy_error *err) {
  return dd_set(cy_dist_intersect, a, b, out, err);
}
static cy_status dd_difference(cy_table *a, cy_table *b, cy_table **out, cy_error *err) {
  return dd_set(cy_dist_difference, a, b, out, err);
}

#define DD_ROW "\x01row"

static cy_status dd_unique(cy_table *t, const char *const *cols, int32_t n, cy_keep keep,
                           cy_table **out, cy_error *err) {
  int64_t start, len;
  dd_range(t->num_rows, &start, &len);
  int32_t nf = t->schema.num_fields;
  int64_t *rows = malloc((size_t)(len > 0 ? len : 1) * sizeof *rows);
  cy_column **c = calloc((size_t)nf + 1, sizeof *c);
  const char **names = calloc((size_t)nf + 1, sizeof *names);
  cy_table *p = NULL, *tagged = NULL, *res = NULL, *all = NULL, *sorted = NULL;
  cy_status st = rows && c && names ? CY_OK : CY_ENOMEM;
  for (int64_t i = 0; st == CY_OK && i < len; i++) rows[i] = start + i;
  if (st == CY_OK) st = cy_table_slice(t, start, len, &p, err);
  for (int32_t i = 0; st == CY_OK && i < nf; i++) {
    c[i] = cy_column_retain(p->columns[i]);
    names[i] = t->schema.fields[i].name;
  }
  names[nf] = DD_ROW;
  if (st == CY_OK) st = cy_column_from_values(cy_type_make(CY_INT64), rows, NULL, len, &c[nf], err);
  if (st == CY_OK) st = cy_table_make(nf + 1, names, c, &tagged, err);
  /* all columns: name them, so the row number is not one of them */
  if (st == CY_OK) st = cy_dist_unique(dd_comm, tagged, n > 0 ? cols : names, n > 0 ? n : nf, keep, &res, err);
  if (st == CY_OK) st = cy_dist_gather(dd_comm, res, 0, &all, err);
  cy_sort_key key = {DD_ROW, false, false};
  if (st == CY_OK) st = cy_table_sort(all, &key, 1, &sorted, err);
  int32_t *idx = calloc((size_t)nf + 1, sizeof *idx);
  for (int32_t i = 0; idx && i < nf; i++) idx[i] = i;
  if (st == CY_OK) st = cy_table_project(sorted, nf, idx, NULL, out, err);
  free(idx);
  for (int32_t i = 0; c && i <= nf; i++) cy_column_release(c[i]);
  free(c);
  free(names);
  free(rows);
  cy_table_release(p);
  cy_table_release(tagged);
  cy_table_release(res);
  cy_table_release(all);
  cy_table_release(sorted);
  return st;
}

static cy_status dd_sort(cy_table *t, const cy_sort_key *keys, int32_t n, cy_table **out,
                         cy_error *err) {
  cy_table *p = NULL, *res = NULL;
  cy_status st = dd_part(t, &p, err);
  if (st == CY_OK) st = cy_dist_sort(dd_comm, p, keys, n, &res, err);
  cy_table_release(p);
  return dd_gather(st, res, out, err);
}

static cy_status dd_equals(cy_table *a, cy_table *b, bool ordered, bool *equal, cy_error *err) {
  cy_table *ap = NULL, *bp = NULL;
  cy_status st = dd_part(a, &ap, err);
  if (st == CY_OK) st = dd_part(b, &bp, err);
  if (st == CY_OK) st = cy_dist_equals(dd_comm, ap, bp, ordered, equal, err);
  cy_table_release(ap);
  cy_table_release(bp);
  return st;
}

#define cy_table_join dd_join
#define cy_table_groupby dd_groupby
#define cy_table_aggregate dd_aggregate
#define cy_table_union dd_union
#define cy_table_intersect dd_intersect
#define cy_table_difference dd_difference
#define cy_table_unique dd_unique
#define cy_table_sort dd_sort
#define cy_table_equals dd_equals
#define main ops_dump_main
#include "../compute/ops_dump.c"
#undef main

typedef struct dd_args {
  int argc;
  char **argv;
} dd_args;

static int dd_worker(void *ctx) {
  dd_args *a = ctx;
  cy_error err;
  cy_comm_options o;
  cy_comm_options_init(&o);
  bool mpi = strcmp(dd_backend(), "mpi") == 0;
  o.backend = dd_backend();
  o.bootstrap = mpi ? "env" : "embedded";
  if (cy_comm_open(&o, &dd_comm, &err) != CY_OK) {
    fprintf(stderr, "dist_dump: %s\n", err.message);
    return 1;
  }
  if (cy_comm_rank(dd_comm) != 0 && freopen("/dev/null", "w", stdout) == NULL) return 1;
  int rc = ops_dump_main(a->argc, a->argv);
  fflush(stdout);
  cy_comm_close(dd_comm);
  return rc;
}

int main(int argc, char **argv) {
  int workers = 0;
  char **rest = calloc((size_t)argc + 1, sizeof *rest);
  int n = 0;
  for (int i = 0; i < argc; i++) {
    if (i > 0 && strcmp(argv[i], "--workers") == 0 && i + 1 < argc) workers = atoi(argv[++i]);
    else rest[n++] = argv[i];
  }
  if (workers < 1 || workers > 64) {
    fprintf(stderr, "dist_dump: --workers N (1..64) is required\n");
    free(rest);
    return 2;
  }
  dd_args a = {n, rest};
  if (strcmp(dd_backend(), "mpi") == 0) {
    if (getenv("OMPI_COMM_WORLD_SIZE")) { /* one MPI process: one rank */
      int rc = dd_worker(&a);
      free(rest);
      return rc;
    }
    /* Start the ranks under mpirun: the same arguments, one process per rank. */
    char np[16];
    snprintf(np, sizeof np, "%d", workers);
    char **mv = calloc((size_t)n + 8, sizeof *mv);
    int k = 0;
    mv[k++] = "mpirun";
    mv[k++] = "--allow-run-as-root";
    mv[k++] = "--oversubscribe";
    mv[k++] = "-np";
    mv[k++] = np;
    mv[k++] = argv[0];
    mv[k++] = "--workers";
    mv[k++] = np;
    for (int i = 1; i < n; i++) mv[k++] = rest[i];
    mv[k] = NULL;
    fflush(NULL);
    execvp("mpirun", mv);
    fprintf(stderr, "dist_dump: cannot run mpirun (scripts/install-deps installs OpenMPI)\n");
    return 1;
  }
  int codes[64] = {0};
  cy_error err;
  cy_launch_options lo;
  cy_launch_options_init(&lo);
  lo.workers = workers;
  lo.run = dd_worker;
  lo.ctx = &a;
  lo.exit_codes = codes;
  cy_status st = cy_launch(&lo, &err);
  free(rest);
  if (st == CY_OK) return 0;
  /* the operator failed (1) or the usage was bad (2) on rank 0: say so as ops_dump does */
  if (codes[0] == 1 || codes[0] == 2) return codes[0];
  fprintf(stderr, "dist_dump: %s\n", err.message);
  return 1;
}
