/*
 * plan_internal.h - what the plan layer's files share: steps, their parsed options, the
 * op table and the executor's backend table.
 *
 * plan.c reads the JSON into steps (ids, inputs, common keys) and offers the key readers
 * that report errors in the plan's terms; plan_args.c turns each op's keys into the
 * typed options of compute.h and io.h (this is where validation of values happens);
 * plan_exec.c runs the steps through a backend; plan_local.c is the local backend.
 *
 * A backend is a table of run functions, one per op kind. The executor knows nothing of
 * how an op is carried out, so a distributed backend (later: shuffles over a communicator)
 * can replace some entries and keep the local ones for ops that work partition by
 * partition (filter, project, cast...). An entry left NULL means the op is not available
 * in that backend, which validation reports before anything runs.
 */
#ifndef CYLON_PLAN_INTERNAL_H
#define CYLON_PLAN_INTERNAL_H

#include "cylon/plan.h"
#include "plan/json.h"

typedef enum plan_op_kind {
  PLAN_READ = 0,
  PLAN_WRITE,
  PLAN_FILTER,
  PLAN_PROJECT,
  PLAN_WITH_COLUMN,
  PLAN_JOIN,
  PLAN_CROSS_JOIN,
  PLAN_UNION_ALL,
  PLAN_UNION,
  PLAN_INTERSECT,
  PLAN_DIFFERENCE,
  PLAN_UNIQUE,
  PLAN_SORT,
  PLAN_TOP_K,
  PLAN_GROUPBY,
  PLAN_AGGREGATE,
  PLAN_HEAD,
  PLAN_TAIL,
  PLAN_SLICE,
  PLAN_CAST,
  PLAN_FILL_NULL,
  PLAN_DROP_NULL,
  PLAN_OP_COUNT
} plan_op_kind;

/* Parsed options, one struct per family of ops. Strings point into the plan's JSON
 * document or into allocations the plan owns (plan_alloc), so steps need no frees except
 * for the reference-counted expressions. */
typedef struct plan_read_args {
  char *path; /* resolved against the plan's base directory */
  cy_table_read_options opts;
} plan_read_args;

typedef struct plan_write_args {
  char *path;
  cy_table_write_options opts;
} plan_write_args;

typedef struct plan_project_args {
  int32_t n;
  const char **columns; /* source columns, in output order */
  const char **names;   /* output names (equal to columns when not renamed) */
} plan_project_args;

typedef struct plan_expr_args {
  cy_expr *expr;    /* filter: the predicate; with_column: the value */
  const char *name; /* with_column: the new column's name */
} plan_expr_args;

typedef struct plan_join_args {
  cy_join_options opts;
  int strategy; /* on workers: 0 auto, 1 shuffle, 2 broadcast (cy_dist_join_strategy) */
} plan_join_args;

typedef struct plan_columns_args {
  int32_t n; /* unique, drop_null: 0 = all columns */
  const char **columns;
  cy_keep keep; /* unique */
} plan_columns_args;

typedef struct plan_sort_args {
  int32_t n;
  cy_sort_key *keys;
  int64_t k; /* top_k */
} plan_sort_args;

typedef struct plan_agg_args {
  int32_t num_by;
  const char **by;
  int32_t num_aggs;
  cy_aggregate *aggs;
} plan_agg_args;

typedef struct plan_rows_args {
  int64_t offset; /* slice */
  int64_t n;      /* head, tail: rows; slice: length */
} plan_rows_args;

typedef struct plan_cast_args {
  int32_t n;
  const char **columns;
  cy_type *types;     /* cast */
  cy_scalar *values;  /* fill_null */
} plan_cast_args;

typedef union plan_args {
  plan_read_args read;
  plan_write_args write;
  plan_project_args project;
  plan_expr_args expr;
  plan_join_args join;
  plan_columns_args columns;
  plan_sort_args sort;
  plan_agg_args agg;
  plan_rows_args rows;
  plan_cast_args cast;
} plan_args;

struct plan_op_def;

typedef struct plan_step {
  int32_t index;
  const char *id;      /* NULL when the step has none */
  const char *op_name; /* as written */
  const struct plan_op_def *op;
  const cy_json *json; /* the step's object */
  int32_t num_inputs;
  int32_t *inputs;  /* indices of earlier steps */
  bool output;      /* "output": true */
  int32_t last_use; /* index of the last step that reads this one's table; -1: none */
  plan_args args;
} plan_step;

struct cy_plan {
  cy_json_doc *doc;
  char *name;     /* for messages; may be NULL */
  char *base_dir; /* may be NULL */
  int32_t num_steps;
  plan_step *steps;
  int32_t result; /* cy_plan_result_step */
  void **allocs;  /* everything plan_alloc handed out */
  int32_t num_allocs, cap_allocs;
};

/* ---- plan.c: reading keys while validating a step ----------------------------------- */

/* Where validation is: the plan, the step being read, and the error to fill. */
typedef struct plan_ctx {
  cy_plan *plan;
  plan_step *step;
  cy_error *err;
} plan_ctx;

/* Zeroed memory owned by the plan (freed with it); NULL after reporting ENOMEM. */
void *plan_alloc(plan_ctx *c, size_t n, size_t size);
/* Fail with "steps[i] "id" (op): MESSAGE (line L, column C)"; at may be NULL. */
cy_status plan_fail(plan_ctx *c, const cy_json *at, cy_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* The value of key in the step, or NULL; required keys that are absent are an error
 * (*st set), optional ones are not. */
const cy_json *plan_key(plan_ctx *c, const char *key, bool required, cy_status *st);
/* A string value without NUL bytes (a column name, a path, a type name...). */
cy_status plan_as_string(plan_ctx *c, const char *key, const cy_json *v, const char **out);
cy_status plan_string(plan_ctx *c, const char *key, bool required, const char **out);
cy_status plan_bool(plan_ctx *c, const char *key, bool *out);
/* An integer of at least min. */
cy_status plan_int(plan_ctx *c, const char *key, bool required, int64_t min, int64_t *out);
/* A number (an integer or not) in [lo, hi]. */
cy_status plan_number(plan_ctx *c, const char *key, const cy_json *v, double lo, double hi,
                      double *out);
/* A column name or an array of them (at least min); *n = 0 and *out = NULL when an
 * optional key is absent. */
cy_status plan_strings(plan_ctx *c, const char *key, bool required, int32_t min,
                       const char ***out, int32_t *n);
/* One of names (a NULL-terminated list); *out is its index; unchanged when absent. */
cy_status plan_enum(plan_ctx *c, const char *key, const char *const *names, int *out);
/* A path resolved against the plan's base directory. */
cy_status plan_path(plan_ctx *c, const char *key, char **out);
/* The object that maps names to values (cast, fill_null, types...): non-empty. */
cy_status plan_object(plan_ctx *c, const char *key, bool required, const cy_json **out);

/* ---- plan_args.c: the ops and their keys -------------------------------------------- */

/* How an op names its inputs. */
typedef enum plan_input_style {
  PLAN_NO_INPUT = 0, /* read */
  PLAN_ONE_INPUT,    /* "input" */
  PLAN_TWO_INPUTS,   /* "left" and "right" */
  PLAN_LIST_INPUTS   /* "inputs": [...], at least min_inputs */
} plan_input_style;

typedef struct plan_op_def {
  const char *name;
  plan_op_kind kind;
  plan_input_style inputs;
  int32_t min_inputs;
  bool makes_table;          /* false for write */
  const char *const *keys;   /* the op's own keys (besides id, op, output, comment and
                                the input keys), NULL-terminated */
  cy_status (*parse)(plan_ctx *c); /* read the keys into c->step->args */
} plan_op_def;

/* The op called name (aliases included), or NULL. */
const plan_op_def *plan_find_op(const char *name);
/* Fill names with every op name (at most cap - 1) and a NULL; returns the count. */
int plan_op_names(const char **names, int cap);
/* Release what a step's parsed options hold (expressions). */
void plan_args_reset(plan_step *step);

/* ---- plan_exec.c and backends ------------------------------------------------------- */

typedef cy_status (*plan_run_fn)(void *ctx, const plan_step *step, cy_table *const *inputs,
                                 cy_table **out, cy_error *err);

typedef struct plan_backend {
  const char *name;
  plan_run_fn run[PLAN_OP_COUNT];
} plan_backend;

/* The single-process backend over compute.h and io.h (plan_local.c); its ctx is NULL. */
extern const plan_backend plan_local_backend;
/* The backend over dist.h (plan_dist.c); its ctx is the cy_comm. It uses the local run
 * functions for the ops that work partition by partition. */
extern const plan_backend plan_dist_backend;

/* Write a table as a write step says: to its file, or, for a path ending in '/', as the
 * part file "part-RRRRR.EXT" of rank `rank` in that directory (made when missing). */
cy_status plan_write_part(const plan_step *step, const cy_table *table, int32_t rank,
                          cy_error *err);
/* The file name of rank's part in a write to a directory ("part-00003.csv"). */
void plan_part_name(const plan_step *step, int32_t rank, char *buf, size_t size);

/* Closest name to `word` among names by edit distance, when close enough to be a likely
 * typo; else NULL. */
const char *plan_did_you_mean(const char *word, const char *const *names);

#endif
