/*
 * cylon/plan.h - the plan layer: a JSON pipeline of table operators and its executor.
 *
 * A plan is a list of steps; each step has an op, names its inputs by the ids of earlier
 * steps and carries its options (docs/plan.md lists every op and key):
 *
 *   {"steps": [
 *     {"id": "a", "op": "read", "path": "a.csv"},
 *     {"id": "b", "op": "read", "path": "b.csv"},
 *     {"id": "j", "op": "join", "left": "a", "right": "b", "on": ["k"]},
 *     {"id": "g", "op": "groupby", "input": "j", "by": ["k"], "aggs": {"v": ["sum"]}},
 *     {"op": "write", "input": "g", "path": "out/g.csv"}]}
 *
 * Loading a plan checks all of it before anything runs: the JSON, every op and key, value
 * types, ids and references, expressions and type names. Errors name the step by index
 * and id ("steps[3] "g" (groupby): ...") and the key, with the line and column of the
 * offending value. Running executes the steps in order, keeps each step's output table
 * under its id, and releases a table as soon as no later step uses it.
 *
 * The same plan runs on one process (the local operators of compute.h) or on every rank of
 * a communicator (cy_plan_run_options.comm): each rank then reads its share of every input
 * (cy_dataset_read), runs the distributed operators of dist.h for steps that need other
 * ranks' rows (join, groupby, sort, unique, sets, aggregate, cross_join) and the local ones
 * for row-wise steps, and the result is gathered to rank 0 (docs/plan.md, "Workers").
 */
#ifndef CYLON_PLAN_H
#define CYLON_PLAN_H

#include "cylon/compute.h"
#include "cylon/core.h"
#include "cylon/io.h"
#include "cylon/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A validated plan, ready to run (possibly several times). */
typedef struct cy_plan cy_plan;

typedef struct cy_plan_options {
  /** Directory that relative paths of read and write steps are resolved against; NULL
   *  (the default) leaves them relative to the working directory. */
  const char *base_dir;
  /** Name for error messages (the plan's file name); default NULL. */
  const char *name;
} cy_plan_options;

/** Fill opts with the defaults above. */
void cy_plan_options_init(cy_plan_options *opts);

/** Parse and validate a plan from len bytes of JSON text; opts may be NULL. */
cy_status cy_plan_parse(const char *text, size_t len, const cy_plan_options *opts,
                        cy_plan **out, cy_error *err);
/** Read, parse and validate a plan file. Relative paths inside it are resolved against
 *  the file's own directory, so a plan runs the same from any working directory. */
cy_status cy_plan_load(const char *path, cy_plan **out, cy_error *err);
/** Free a plan; NULL is allowed. */
void cy_plan_release(cy_plan *plan);

/** Number of steps. */
int32_t cy_plan_num_steps(const cy_plan *plan);
/** Step i's id, or NULL when it has none. */
const char *cy_plan_step_id(const cy_plan *plan, int32_t i);
/** Step i's op as written in the plan ("join", "concat"...). */
const char *cy_plan_step_op(const cy_plan *plan, int32_t i);
/** The step whose table cy_plan_run returns: the one marked "output": true, else the last
 *  step when it makes a table; -1 when there is none (the last step is a write). */
int32_t cy_plan_result_step(const cy_plan *plan);

/** What a step did, for progress reports. */
typedef struct cy_plan_step_report {
  int32_t index;      /**< 0-based position in "steps" */
  int32_t num_steps;
  const char *id;     /**< NULL when the step has none */
  const char *op;     /**< as written */
  const char *detail; /**< the path of a read or write, else NULL */
  int64_t input_rows; /**< rows of the step's inputs together */
  /* After the step only (zero in a start report): */
  double seconds;
  const cy_table *output; /**< the step's table (this rank's part); NULL for a write.
                               Borrowed for the call. */
  int64_t rows;           /**< rows produced here (a write: rows written) */
  /* With a communicator (else rank 0, world 1 and the totals equal the local figures);
   * the totals are the same on every rank: */
  int32_t rank, world;
  int64_t total_rows;        /**< rows of all ranks together */
  double max_seconds;        /**< the slowest rank's time */
  int64_t bytes_sent;        /**< this rank's traffic during the step */
  int64_t bytes_received;
  int64_t total_bytes_sent;  /**< all ranks' bytes sent during the step */
} cy_plan_step_report;

typedef struct cy_plan_run_options {
  /** Called before and after each step (either may be NULL); ctx is passed along. */
  void (*on_step_start)(const cy_plan_step_report *report, void *ctx);
  void (*on_step_done)(const cy_plan_step_report *report, void *ctx);
  void *ctx;
  /** Run on every rank of this communicator (each rank calls cy_plan_run with the same
   *  plan); NULL (the default) runs on this process alone. */
  cy_comm *comm;
} cy_plan_run_options;

/** No callbacks, no communicator. */
void cy_plan_run_options_init(cy_plan_run_options *opts);

/** Run the plan's steps in order; opts may be NULL. *out receives the table of
 *  cy_plan_result_step, or NULL when there is none; with a communicator, rank 0 gets the
 *  whole result (gathered) and the other ranks NULL. A failing step's error is prefixed
 *  with the step ("steps[3] "g" (groupby): ..."); tables made so far are released, and
 *  files are only ever written whole. With a communicator a failure is collective: the
 *  failing rank aborts the communicator, so every rank fails, naming the rank at fault. */
cy_status cy_plan_run(cy_plan *plan, const cy_plan_run_options *opts, cy_table **out,
                      cy_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CYLON_PLAN_H */
