/*
 * plan_local.c - the local backend: each plan op on one process, through compute.h and
 * io.h.
 *
 * One run function per op, each a thin adapter from a step's parsed options to the
 * operator. Ops over a list of inputs fold the binary operator left to right (a union of
 * three is (a union b) union c). The backend table at the end lists what this build can
 * run; validation refuses a plan that uses anything else before it starts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plan/plan_internal.h"

#define RUN_FN(name)                                                                       \
  static cy_status name(void *ctx, const plan_step *step, cy_table *const *in, cy_table **out, \
                        cy_error *err)

/* ---- read and write ----------------------------------------------------------------- */

RUN_FN(run_read) {
  (void)ctx, (void)in;
  /* A dataset of one: a file, or every part file of a directory. */
  return cy_dataset_read(step->args.read.path, &step->args.read.opts, 0, 1, out, err);
}

/* Create the directories above path that do not exist yet (as mkdir -p). */
static cy_status make_parent_dirs(const char *path, cy_error *err) {
  if (strstr(path, "://") != NULL) return CY_OK;
  char *dir = strdup(path);
  if (dir == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  for (char *p = dir + 1; *p && st == CY_OK; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
      cy_error_set(err, "cannot create the directory %s: %s", dir, strerror(errno));
      st = CY_EIO;
    }
    *p = '/';
  }
  free(dir);
  return st;
}

void plan_part_name(const plan_step *step, int32_t rank, char *buf, size_t size) {
  const char *ext = "csv";
  if (step->args.write.opts.format == CY_FORMAT_PARQUET) ext = "parquet";
  else if (step->args.write.opts.format == CY_FORMAT_IPC) ext = "arrow";
  else if (step->args.write.opts.format == CY_FORMAT_HDF5) ext = "h5";
  snprintf(buf, size, "part-%05d.%s", (int)rank, ext);
}

cy_status plan_write_part(const plan_step *step, const cy_table *table, int32_t rank,
                          cy_error *err) {
  const char *path = step->args.write.path;
  size_t n = strlen(path);
  char *part = NULL;
  if (path[n - 1] == '/') {
    char name[32];
    plan_part_name(step, rank, name, sizeof name);
    if ((part = malloc(n + sizeof name)) == NULL) {
      cy_error_set(err, "out of memory");
      return CY_ENOMEM;
    }
    snprintf(part, n + sizeof name, "%s%s", path, name);
    path = part;
  }
  cy_status st = make_parent_dirs(path, err);
  if (st == CY_OK) st = cy_table_write_file(table, path, &step->args.write.opts, err);
  free(part);
  return st;
}

RUN_FN(run_write) {
  (void)ctx;
  *out = NULL;
  return plan_write_part(step, in[0], 0, err);
}

/* ---- shape -------------------------------------------------------------------------- */

RUN_FN(run_project) {
  (void)ctx;
  const plan_project_args *a = &step->args.project;
  if (a->names == a->columns) return cy_table_select_columns(in[0], a->n, a->columns, out, err);
  int32_t *idx = malloc((size_t)a->n * sizeof *idx);
  if (idx == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  for (int32_t i = 0; i < a->n && st == CY_OK; i++) {
    idx[i] = cy_schema_find(&in[0]->schema, a->columns[i]);
    if (idx[i] < 0) {
      char schema[512];
      cy_error_set(err, "no column named '%s' in %s", a->columns[i],
                   cy_schema_format(&in[0]->schema, schema, sizeof schema));
      st = CY_ENOENT;
    }
  }
  if (st == CY_OK) st = cy_table_project(in[0], a->n, idx, a->names, out, err);
  free(idx);
  return st;
}

RUN_FN(run_head) {
  (void)ctx;
  return cy_table_head(in[0], step->args.rows.n, out, err);
}

RUN_FN(run_tail) {
  (void)ctx;
  return cy_table_tail(in[0], step->args.rows.n, out, err);
}

RUN_FN(run_slice) {
  (void)ctx;
  return cy_table_slice(in[0], step->args.rows.offset, step->args.rows.n, out, err);
}

RUN_FN(run_union_all) {
  (void)ctx;
  return cy_table_concat(step->num_inputs, in, out, err);
}

/* Fold a binary table operator over the inputs, left to right. */
static cy_status fold(cy_status (*fn)(cy_table *, cy_table *, cy_table **, cy_error *),
                      int32_t n, cy_table *const *in, cy_table **out, cy_error *err) {
  cy_table *acc = cy_table_retain(in[0]);
  for (int32_t i = 1; i < n; i++) {
    cy_table *next = NULL;
    cy_status st = fn(acc, in[i], &next, err);
    cy_table_release(acc);
    if (st != CY_OK) return st;
    acc = next;
  }
  *out = acc;
  return CY_OK;
}

RUN_FN(run_union) {
  (void)ctx;
  return fold(cy_table_union, step->num_inputs, in, out, err);
}

RUN_FN(run_intersect) {
  (void)ctx;
  return fold(cy_table_intersect, step->num_inputs, in, out, err);
}

RUN_FN(run_difference) {
  (void)ctx;
  return fold(cy_table_difference, step->num_inputs, in, out, err);
}

RUN_FN(run_unique) {
  (void)ctx;
  const plan_columns_args *a = &step->args.columns;
  return cy_table_unique(in[0], a->columns, a->n, a->keep, out, err);
}

/* ---- rows: filter, sort, nulls ------------------------------------------------------ */

RUN_FN(run_filter) {
  (void)ctx;
  return cy_table_select(in[0], step->args.expr.expr, out, err);
}

RUN_FN(run_sort) {
  (void)ctx;
  return cy_table_sort(in[0], step->args.sort.keys, step->args.sort.n, out, err);
}

RUN_FN(run_top_k) {
  (void)ctx;
  const plan_sort_args *a = &step->args.sort;
  return cy_table_top_k(in[0], a->keys, a->n, a->k, out, err);
}

RUN_FN(run_drop_null) {
  (void)ctx;
  return cy_table_drop_null(in[0], step->args.columns.columns, step->args.columns.n, out, err);
}

/* ---- columns: with_column, cast, fill_null ------------------------------------------ */

/* The table with n named columns set: each replaces the column of its name where there is
 * one, else is appended. */
static cy_status set_columns(cy_table *t, int32_t n, const char *const *names,
                             cy_column *const *cols, cy_table **out, cy_error *err) {
  int32_t nf = t->schema.num_fields, total = nf;
  const char **all_names = malloc((size_t)(nf + n) * sizeof *all_names);
  cy_column **all_cols = malloc((size_t)(nf + n) * sizeof *all_cols);
  cy_status st = all_names && all_cols ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory");
  for (int32_t i = 0; st == CY_OK && i < nf; i++) {
    all_names[i] = t->schema.fields[i].name;
    all_cols[i] = t->columns[i];
  }
  for (int32_t i = 0; st == CY_OK && i < n; i++) {
    int32_t at = cy_schema_find(&t->schema, names[i]);
    if (at < 0) {
      at = total++;
      all_names[at] = names[i];
    }
    all_cols[at] = cols[i];
  }
  if (st == CY_OK) st = cy_table_make(total, all_names, all_cols, out, err);
  free(all_names);
  free(all_cols);
  return st;
}

RUN_FN(run_with_column) {
  (void)ctx;
  cy_column *col = NULL;
  CY_RETURN_NOT_OK(cy_expr_evaluate(step->args.expr.expr, in[0], &col, err));
  cy_status st = set_columns(in[0], 1, &step->args.expr.name, &col, out, err);
  cy_column_release(col);
  return st;
}

/* Cast or fill each listed column (which must exist), then set them in the table. */
static cy_status map_columns(const plan_step *step, cy_table *t, bool cast, cy_table **out,
                             cy_error *err) {
  const plan_cast_args *a = &step->args.cast;
  cy_column **cols = calloc((size_t)a->n, sizeof *cols);
  if (cols == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  for (int32_t i = 0; i < a->n && st == CY_OK; i++) {
    int32_t at = cy_schema_find(&t->schema, a->columns[i]);
    if (at < 0) {
      char schema[512];
      cy_error_set(err, "no column named '%s' in %s", a->columns[i],
                   cy_schema_format(&t->schema, schema, sizeof schema));
      st = CY_ENOENT;
    } else if (cast) {
      st = cy_column_cast(t->columns[at], a->types[i], &cols[i], err);
    } else {
      st = cy_column_fill_null(t->columns[at], &a->values[i], &cols[i], err);
    }
    if (st != CY_OK && at >= 0) cy_error_prefix(err, "column '%s': ", a->columns[i]);
  }
  if (st == CY_OK) st = set_columns(t, a->n, a->columns, cols, out, err);
  for (int32_t i = 0; i < a->n; i++) cy_column_release(cols[i]);
  free(cols);
  return st;
}

RUN_FN(run_cast) {
  (void)ctx;
  return map_columns(step, in[0], true, out, err);
}

RUN_FN(run_fill_null) {
  (void)ctx;
  return map_columns(step, in[0], false, out, err);
}

/* ---- joins -------------------------------------------------------------------------- */

RUN_FN(run_join) {
  (void)ctx;
  return cy_table_join(in[0], in[1], &step->args.join.opts, out, err);
}

RUN_FN(run_cross_join) {
  (void)ctx, (void)step;
  return cy_table_cross_join(in[0], in[1], out, err);
}

/* ---- aggregation -------------------------------------------------------------------- */

RUN_FN(run_groupby) {
  (void)ctx;
  const plan_agg_args *a = &step->args.agg;
  return cy_table_groupby(in[0], a->by, a->num_by, a->aggs, a->num_aggs, out, err);
}

RUN_FN(run_aggregate) {
  (void)ctx;
  const plan_agg_args *a = &step->args.agg;
  return cy_table_aggregate(in[0], a->aggs, a->num_aggs, out, err);
}

/* ---- the backend -------------------------------------------------------------------- */

const plan_backend plan_local_backend = {
    .name = "local",
    .run = {
        [PLAN_READ] = run_read,
        [PLAN_WRITE] = run_write,
        [PLAN_FILTER] = run_filter,
        [PLAN_PROJECT] = run_project,
        [PLAN_WITH_COLUMN] = run_with_column,
        [PLAN_JOIN] = run_join,
        [PLAN_CROSS_JOIN] = run_cross_join,
        [PLAN_UNION_ALL] = run_union_all,
        [PLAN_UNION] = run_union,
        [PLAN_INTERSECT] = run_intersect,
        [PLAN_DIFFERENCE] = run_difference,
        [PLAN_UNIQUE] = run_unique,
        [PLAN_SORT] = run_sort,
        [PLAN_TOP_K] = run_top_k,
        [PLAN_GROUPBY] = run_groupby,
        [PLAN_AGGREGATE] = run_aggregate,
        [PLAN_HEAD] = run_head,
        [PLAN_TAIL] = run_tail,
        [PLAN_SLICE] = run_slice,
        [PLAN_CAST] = run_cast,
        [PLAN_FILL_NULL] = run_fill_null,
        [PLAN_DROP_NULL] = run_drop_null,
    },
};
