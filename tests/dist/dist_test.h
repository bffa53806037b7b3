/*
 * dist_test.h - what the dist tests share: launching worlds of 1, 2, 3, 4 and 7 ranks
 * (forks of the test running a worker function), opening the communicator, and splitting
 * a table that every rank builds identically into uneven row ranges per rank (empty ranks
 * and all rows on one rank included), so that expected results are computed on the whole
 * table by hand, never by the code under test.
 */
#ifndef CYLON_DIST_TEST_H
#define CYLON_DIST_TEST_H

#include <unistd.h>

#include "test.h"

static const int dist_worlds[] = {1, 2, 3, 4, 7};
#define DIST_NUM_WORLDS ((int)(sizeof dist_worlds / sizeof dist_worlds[0]))

/* How rows are spread: 0 uneven (rank r gets a share growing with r, rank 1 none when
 * there are 3 or more ranks), 1 all rows on the last rank, 2 even. */
enum { SPLIT_UNEVEN = 0, SPLIT_ONE = 1, SPLIT_EVEN = 2, SPLIT_KINDS = 3 };

/* Rows [*start, *start + *len) of n rows for rank r of world under a split kind. */
static inline void split_range(int64_t n, int r, int world, int kind, int64_t *start, int64_t *len) {
  int64_t w_total = 0, before = 0, mine = 0;
  for (int i = 0; i < world; i++) {
    int64_t w = kind == SPLIT_EVEN ? 1
                : kind == SPLIT_ONE ? (i == world - 1)
                                    : (world >= 3 && i == 1 ? 0 : (int64_t)(i + 1) * (i + 1));
    if (i < r) before += w;
    if (i == r) mine = w;
    w_total += w;
  }
  *start = n * before / w_total;
  *len = n * (before + mine) / w_total - *start;
}

/* This rank's slice of a table every rank holds whole. */
static inline cy_table *split_table(cy_comm *comm, cy_table *whole, int kind) {
  int64_t start, len;
  cy_error err;
  split_range(whole->num_rows, cy_comm_rank(comm), cy_comm_world_size(comm), kind, &start, &len);
  cy_table *part = NULL;
  OK(cy_table_slice(whole, start, len, &part, &err));
  return part;
}

static inline cy_comm *dist_open(int64_t timeout_ms) {
  cy_error err;
  cy_comm_options o;
  cy_comm_options_init(&o);
  o.bootstrap = "embedded";
  if (timeout_ms > 0) o.timeout_ms = timeout_ms;
  cy_comm *comm = NULL;
  OK(cy_comm_open(&o, &comm, &err));
  return comm;
}

/* Run worker(world) as `world` ranks for every world size; returns the failures. */
static inline int dist_run_worlds(int (*worker)(void *)) {
  int failures = 0;
  for (int i = 0; i < DIST_NUM_WORLDS; i++) {
    cy_error err;
    int world = dist_worlds[i];
    cy_launch_options lo;
    cy_launch_options_init(&lo);
    lo.workers = world;
    lo.run = worker;
    lo.ctx = &world;
    cy_status st = cy_launch(&lo, &err);
    if (st != CY_OK) {
      fprintf(stderr, "world of %d failed: %s\n", world, err.message);
      failures++;
    }
  }
  return failures;
}

/* A table of int64 / utf8 columns from C arrays (NULL string = null; kvalid may be NULL). */
static inline cy_table *make_kv(int64_t n, const int64_t *k, const uint8_t *kvalid, const int64_t *v,
                         const char *const *s) {
  cy_error err;
  cy_column *cols[3] = {NULL, NULL, NULL};
  OK(cy_column_from_values(cy_type_make(CY_INT64), k, kvalid, n, &cols[0], &err));
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, NULL, n, &cols[1], &err));
  OK(cy_column_from_strings(s, n, &cols[2], &err));
  const char *names[3] = {"k", "v", "s"};
  cy_table *t = NULL;
  OK(cy_table_make(3, names, cols, &t, &err));
  for (int i = 0; i < 3; i++) cy_column_release(cols[i]);
  return t;
}

static inline int64_t col_i64(const cy_table *t, int c, int64_t row) {
  return ((const int64_t *)cy_column_data(t->columns[c]))[row];
}

#endif
