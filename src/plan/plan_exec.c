/*
 * plan_exec.c - running a validated plan: steps in order, tables by step, early release.
 *
 * The executor owns one table slot per step. A step's inputs are borrowed from the slots
 * of earlier steps; its output goes into its own slot. After a step, every input whose
 * last reader it was is released (plan.c computed last_use), and an output nobody reads is
 * released at once unless it is the plan's result, so memory holds only tables that are
 * still needed. How each op runs is the backend's business (plan_internal.h); this file
 * only sequences, times and reports.
 *
 * On a communicator every rank runs the same steps; the distributed backend's entry is
 * used where it has one, else the local one (row-wise ops). After each step the ranks
 * share their rows, times and traffic for the reports. A rank whose step fails aborts the
 * communicator with its message, so the other ranks fail at their next exchange with an
 * error naming it; a last barrier makes sure no rank reports success when another failed.
 * The result is gathered to rank 0.
 */
#include <stdlib.h>
#include <string.h>

#include "cylon/dist.h"
#include "plan/plan_internal.h"

void cy_plan_run_options_init(cy_plan_run_options *opts) { memset(opts, 0, sizeof *opts); }

/* "steps[3] "g" (groupby): " to put before a failing step's message. */
static void prefix_step_error(const plan_step *s, cy_error *err) {
  if (s->id)
    cy_error_prefix(err, "steps[%d] \"%s\" (%s): ", (int)s->index, s->id, s->op_name);
  else
    cy_error_prefix(err, "steps[%d] (%s): ", (int)s->index, s->op_name);
}

static void start_report(const cy_plan *p, const plan_step *s, cy_table *const *inputs,
                         cy_plan_step_report *r) {
  memset(r, 0, sizeof *r);
  r->index = s->index;
  r->num_steps = p->num_steps;
  r->id = s->id;
  r->op = s->op_name;
  if (s->op->kind == PLAN_READ) r->detail = s->args.read.path;
  if (s->op->kind == PLAN_WRITE) r->detail = s->args.write.path;
  for (int32_t k = 0; k < s->num_inputs; k++) r->input_rows += inputs[k]->num_rows;
}

/* Release the tables that no step after s reads. */
static void release_done(const cy_plan *p, const plan_step *s, cy_table **tables) {
  for (int32_t k = 0; k < s->num_inputs; k++) {
    int32_t j = s->inputs[k];
    if (p->steps[j].last_use == s->index && j != p->result) {
      cy_table_release(tables[j]); /* NULL after a repeated input: fine */
      tables[j] = NULL;
    }
  }
  if (s->last_use < 0 && s->index != p->result) {
    cy_table_release(tables[s->index]);
    tables[s->index] = NULL;
  }
}

/* The totals of a step over all ranks (rows, slowest time, bytes sent). */
static cy_status share_totals(cy_comm *comm, cy_plan_step_report *r, cy_error *err) {
  int64_t sums[2] = {r->rows, r->bytes_sent};
  double slowest = r->seconds;
  CY_RETURN_NOT_OK(cy_comm_allreduce(comm, sums, 2, CY_REDUCE_INT64, CY_REDUCE_SUM, err));
  CY_RETURN_NOT_OK(
      cy_comm_allreduce(comm, &slowest, 1, CY_REDUCE_FLOAT64, CY_REDUCE_MAX, err));
  r->total_rows = sums[0];
  r->total_bytes_sent = sums[1];
  r->max_seconds = slowest;
  return CY_OK;
}

static cy_status run_step(const cy_plan *p, cy_comm *comm, const plan_step *s,
                          cy_table **tables, const cy_plan_run_options *opts, cy_error *err) {
  cy_table *stack_inputs[4];
  cy_table **inputs = stack_inputs;
  if (s->num_inputs > 4 && (inputs = malloc((size_t)s->num_inputs * sizeof *inputs)) == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  for (int32_t k = 0; k < s->num_inputs; k++) inputs[k] = tables[s->inputs[k]];
  cy_plan_step_report r;
  start_report(p, s, inputs, &r);
  r.world = 1;
  plan_run_fn run = plan_local_backend.run[s->op->kind];
  int64_t sent0 = 0, received0 = 0;
  if (comm) {
    r.rank = cy_comm_rank(comm);
    r.world = cy_comm_world_size(comm);
    if (plan_dist_backend.run[s->op->kind]) run = plan_dist_backend.run[s->op->kind];
    cy_comm_traffic(comm, &sent0, &received0);
  }
  if (opts->on_step_start) opts->on_step_start(&r, opts->ctx);
  double t0 = cy_now();
  cy_status st = run(comm, s, inputs, &tables[s->index], err);
  r.seconds = cy_now() - t0;
  if (inputs != stack_inputs) free(inputs);
  if (st != CY_OK) {
    prefix_step_error(s, err);
    return st;
  }
  r.output = tables[s->index];
  r.rows = r.output ? r.output->num_rows : r.input_rows;
  r.total_rows = r.rows;
  r.max_seconds = r.seconds;
  if (comm) {
    cy_comm_traffic(comm, &r.bytes_sent, &r.bytes_received);
    r.bytes_sent -= sent0;
    r.bytes_received -= received0;
    st = share_totals(comm, &r, err);
    if (st != CY_OK) return st;
  }
  if (opts->on_step_done) opts->on_step_done(&r, opts->ctx);
  release_done(p, s, tables);
  return CY_OK;
}

cy_status cy_plan_run(cy_plan *plan, const cy_plan_run_options *opts, cy_table **out,
                      cy_error *err) {
  cy_plan_run_options defaults;
  if (opts == NULL) {
    cy_plan_run_options_init(&defaults);
    opts = &defaults;
  }
  *out = NULL;
  cy_table **tables = calloc((size_t)plan->num_steps, sizeof *tables);
  if (tables == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  cy_comm *comm = opts->comm;
  cy_status st = CY_OK;
  for (int32_t i = 0; i < plan->num_steps && st == CY_OK; i++)
    st = run_step(plan, comm, &plan->steps[i], tables, opts, err);
  if (st == CY_OK && plan->result >= 0) {
    if (comm) {
      cy_table *all = NULL;
      st = cy_dist_gather(comm, tables[plan->result], 0, &all, err);
      if (st == CY_OK && cy_comm_rank(comm) == 0) *out = all;
      else cy_table_release(all);
      if (st != CY_OK) cy_error_prefix(err, "gathering the result: ");
    } else {
      *out = tables[plan->result];
      tables[plan->result] = NULL;
    }
  }
  if (comm) {
    /* Tell the others (a no-op when the failure came from them), then make sure nobody
     * ends with success while another rank failed. */
    if (st != CY_OK) cy_comm_abort(comm, err->message);
    else if ((st = cy_comm_barrier(comm, err)) != CY_OK) {
      cy_table_release(*out);
      *out = NULL;
    }
  }
  for (int32_t i = 0; i < plan->num_steps; i++) cy_table_release(tables[i]);
  free(tables);
  return st;
}
