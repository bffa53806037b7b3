/*
 * plan_dist.c - the distributed backend: each plan op on every rank of a communicator,
 * through dist.h.
 *
 * Every rank holds a partition of each step's table; the partitions in rank order are the
 * table. Reads give each rank its share of the input (cy_dataset_read); ops that need
 * other ranks' rows use the distributed operators (join, groupby, sort, unique, the set
 * operations, aggregate); ops that work row by row (filter, project, with_column, cast,
 * fill_null, drop_null, union_all) are the local backend's, run on each partition, so
 * this table lists only the ops that differ and the executor falls back to the local
 * entry for the others.
 *
 * Row positions (head, tail, slice) are global: ranks share their row counts and each
 * keeps the part of the global range it holds, so no rows move. top_k is a local top-k
 * on each rank, gathered to rank 0, and a top-k of those. A scalar aggregate's row is kept
 * on rank 0 only, so that the gathered result has it once.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cylon/dist.h"
#include "plan/plan_internal.h"

#define RUN_FN(name)                                                                       \
  static cy_status name(void *ctx, const plan_step *step, cy_table *const *in, cy_table **out, \
                        cy_error *err)

/* ---- read and write ----------------------------------------------------------------- */

RUN_FN(dist_read) {
  cy_comm *comm = ctx;
  (void)in;
  return cy_dataset_read(step->args.read.path, &step->args.read.opts, cy_comm_rank(comm),
                         cy_comm_world_size(comm), out, err);
}

/* Remove the part files ("part-*") a previous run left in dir, so that the directory
 * holds this run's parts only (a run on fewer workers writes fewer parts). */
static cy_status remove_old_parts(const char *dir, cy_error *err) {
  if (strstr(dir, "://") != NULL) return CY_OK;
  DIR *d = opendir(dir);
  if (d == NULL) return CY_OK; /* not there yet: nothing to remove */
  cy_status st = CY_OK;
  size_t n = strlen(dir);
  struct dirent *e;
  while (st == CY_OK && (e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, "part-", 5) != 0) continue;
    size_t len = n + strlen(e->d_name) + 1;
    char *path = malloc(len);
    if (path == NULL) {
      cy_error_set(err, "out of memory");
      st = CY_ENOMEM;
      break;
    }
    snprintf(path, len, "%s%s", dir, e->d_name);
    if (unlink(path) != 0 && errno != ENOENT) {
      cy_error_set(err, "cannot remove the old part %s: %s", path, strerror(errno));
      st = CY_EIO;
    }
    free(path);
  }
  closedir(d);
  return st;
}

RUN_FN(dist_write) {
  cy_comm *comm = ctx;
  int32_t rank = cy_comm_rank(comm);
  const char *path = step->args.write.path;
  *out = NULL;
  if (path[strlen(path) - 1] == '/') {
    /* One part per rank; rank 0 clears old parts before anyone writes. A failure there
     * aborts the communicator, so the barrier fails on every rank. */
    if (rank == 0) {
      cy_status st = remove_old_parts(path, err);
      if (st != CY_OK) {
        cy_comm_abort(comm, err->message);
        return st;
      }
    }
    CY_RETURN_NOT_OK(cy_comm_barrier(comm, err));
    /* A CSV part without rows would hold only a header, from which a reader cannot tell
     * the column types: ranks without rows write none, unless no rank has any (rank 0
     * then writes the header, so that the directory reads back as an empty table). */
    if (step->args.write.opts.format == CY_FORMAT_CSV) {
      int64_t total;
      CY_RETURN_NOT_OK(cy_dist_num_rows(comm, in[0], &total, err));
      if (in[0]->num_rows == 0 && (total > 0 || rank != 0)) return CY_OK;
    }
    return plan_write_part(step, in[0], rank, err);
  }
  /* One file: the whole table, written by rank 0. */
  cy_table *all = NULL;
  CY_RETURN_NOT_OK(cy_dist_gather(comm, in[0], 0, &all, err));
  cy_status st = rank == 0 ? plan_write_part(step, all, 0, err) : CY_OK;
  cy_table_release(all);
  return st;
}

/* ---- rows by global position -------------------------------------------------------- */

/* This rank's part of the global rows [lo, hi) (clamped to the table). */
static cy_status global_range(cy_comm *comm, cy_table *t, int64_t lo, int64_t hi,
                              cy_table **out, cy_error *err) {
  int64_t mine = t->num_rows, start = 0;
  cy_buffer **counts = NULL;
  CY_RETURN_NOT_OK(cy_comm_allgather(comm, &mine, sizeof mine, &counts, err));
  int32_t rank = cy_comm_rank(comm), world = cy_comm_world_size(comm);
  int64_t total = 0;
  for (int32_t r = 0; r < world; r++) {
    int64_t n;
    memcpy(&n, counts[r]->data, sizeof n);
    if (r < rank) start += n;
    total += n;
  }
  cy_comm_buffers_free(comm, counts);
  if (lo < 0) lo = 0;
  if (hi > total) hi = total;
  int64_t a = lo > start ? lo : start;
  int64_t b = hi < start + mine ? hi : start + mine;
  if (b < a) b = a = start;
  return cy_table_slice(t, a - start, b - a, out, err);
}

RUN_FN(dist_head) {
  return global_range(ctx, in[0], 0, step->args.rows.n, out, err);
}

RUN_FN(dist_tail) {
  cy_comm *comm = ctx;
  int64_t total;
  CY_RETURN_NOT_OK(cy_dist_num_rows(comm, in[0], &total, err));
  int64_t n = step->args.rows.n < total ? step->args.rows.n : total;
  return global_range(comm, in[0], total - n, total, out, err);
}

RUN_FN(dist_slice) {
  int64_t off = step->args.rows.offset, n = step->args.rows.n;
  int64_t hi = n > INT64_MAX - off ? INT64_MAX : off + n;
  return global_range(ctx, in[0], off, hi, out, err);
}

/* The first k rows of the global sorted order, on rank 0: each rank's own top k, gathered
 * in rank order (so ties keep the global order), and their top k. */
RUN_FN(dist_top_k) {
  cy_comm *comm = ctx;
  const plan_sort_args *a = &step->args.sort;
  cy_table *mine = NULL, *all = NULL;
  CY_RETURN_NOT_OK(cy_table_top_k(in[0], a->keys, a->n, a->k, &mine, err));
  cy_status st = cy_dist_gather(comm, mine, 0, &all, err);
  cy_table_release(mine);
  if (st != CY_OK) return st;
  if (cy_comm_rank(comm) == 0) st = cy_table_top_k(all, a->keys, a->n, a->k, out, err);
  else *out = cy_table_retain(all); /* empty, with the schema */
  cy_table_release(all);
  return st;
}

RUN_FN(dist_sort) {
  return cy_dist_sort(ctx, in[0], step->args.sort.keys, step->args.sort.n, out, err);
}

/* ---- joins and sets ----------------------------------------------------------------- */

RUN_FN(dist_join) {
  cy_dist_join_options o;
  cy_dist_join_options_init(&o);
  o.join = step->args.join.opts;
  o.strategy = (cy_dist_join_strategy)step->args.join.strategy;
  return cy_dist_join(ctx, in[0], in[1], &o, out, err);
}

/* Every rank's left rows with all right rows: the right side goes to every rank. */
RUN_FN(dist_cross_join) {
  (void)step;
  cy_table *right = NULL;
  CY_RETURN_NOT_OK(cy_dist_allgather(ctx, in[1], &right, err));
  cy_status st = cy_table_cross_join(in[0], right, out, err);
  cy_table_release(right);
  return st;
}

typedef cy_status (*dist_set_fn)(cy_comm *, cy_table *, cy_table *, cy_table **, cy_error *);

/* Fold a distributed set operation over the inputs, left to right. */
static cy_status dist_fold(cy_comm *comm, dist_set_fn fn, int32_t n, cy_table *const *in,
                           cy_table **out, cy_error *err) {
  cy_table *acc = cy_table_retain(in[0]);
  for (int32_t i = 1; i < n; i++) {
    cy_table *next = NULL;
    cy_status st = fn(comm, acc, in[i], &next, err);
    cy_table_release(acc);
    if (st != CY_OK) return st;
    acc = next;
  }
  *out = acc;
  return CY_OK;
}

RUN_FN(dist_union) { return dist_fold(ctx, cy_dist_union, step->num_inputs, in, out, err); }

RUN_FN(dist_intersect) {
  return dist_fold(ctx, cy_dist_intersect, step->num_inputs, in, out, err);
}

RUN_FN(dist_difference) {
  return dist_fold(ctx, cy_dist_difference, step->num_inputs, in, out, err);
}

RUN_FN(dist_unique) {
  const plan_columns_args *a = &step->args.columns;
  return cy_dist_unique(ctx, in[0], a->columns, a->n, a->keep, out, err);
}

/* ---- aggregation -------------------------------------------------------------------- */

RUN_FN(dist_groupby) {
  const plan_agg_args *a = &step->args.agg;
  return cy_dist_groupby(ctx, in[0], a->by, a->num_by, a->aggs, a->num_aggs, out, err);
}

RUN_FN(dist_aggregate) {
  cy_comm *comm = ctx;
  const plan_agg_args *a = &step->args.agg;
  cy_table *row = NULL;
  CY_RETURN_NOT_OK(cy_dist_aggregate(comm, in[0], a->aggs, a->num_aggs, &row, err));
  if (cy_comm_rank(comm) == 0) {
    *out = row;
    return CY_OK;
  }
  /* Every rank has the row; only rank 0 keeps it. */
  cy_status st = cy_table_slice(row, 0, 0, out, err);
  cy_table_release(row);
  return st;
}

/* ---- the backend -------------------------------------------------------------------- */

const plan_backend plan_dist_backend = {
    .name = "dist",
    .run = {
        [PLAN_READ] = dist_read,
        [PLAN_WRITE] = dist_write,
        [PLAN_JOIN] = dist_join,
        [PLAN_CROSS_JOIN] = dist_cross_join,
        [PLAN_UNION] = dist_union,
        [PLAN_INTERSECT] = dist_intersect,
        [PLAN_DIFFERENCE] = dist_difference,
        [PLAN_UNIQUE] = dist_unique,
        [PLAN_SORT] = dist_sort,
        [PLAN_TOP_K] = dist_top_k,
        [PLAN_GROUPBY] = dist_groupby,
        [PLAN_AGGREGATE] = dist_aggregate,
        [PLAN_HEAD] = dist_head,
        [PLAN_TAIL] = dist_tail,
        [PLAN_SLICE] = dist_slice,
    },
};
