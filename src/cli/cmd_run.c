/*
 * cmd_run.c - `cylon run PLAN.json`: run a plan (docs/plan.md) on this machine.
 *
 * The plan is loaded and validated whole first, so a typo in the last step fails before
 * the first file is read. While it runs, each step gets a line on standard error with its
 * row count and time (on a terminal the line shows the step as running and is then
 * rewritten in place, so each step still ends as one line). The plan's result table, if
 * it is not written by the plan, is printed as a box on standard output.
 */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

void help_run(FILE *out) {
  fprintf(out,
          "usage: cylon run PLAN.json [options]\n\n"
          "Run a plan: a JSON list of steps (read, filter, join, groupby, sort, write, ...)\n"
          "described in docs/plan.md. Relative paths in the plan are relative to the plan\n"
          "file's directory. The whole plan is checked before anything runs.\n\n"
          "Each step's rows and time go to standard error; the plan's result (the step\n"
          "marked \"output\": true, else the last step unless it is a write) is shown on\n"
          "standard output.\n\n"
          "  -v, --verbose       also each step's columns and memory\n"
          "  -q, --quiet         no step lines\n"
          "  -n, --rows N        rows of the result to show (default 10)\n"
          "  -w, --width W       widest the box may be (default 120)\n"
          "  --check             check the plan and exit without running it\n"
          "  --workers N         number of workers (only 1 so far)\n"
          "  --platform NAME     where to run (only local so far)\n");
}

typedef struct run_view {
  bool tty, verbose, quiet;
  int label_width;
} run_view;

/* "j (join)" for a step. */
static const char *step_label(const cy_plan_step_report *r, char *buf, size_t size) {
  if (r->id) snprintf(buf, size, "%s (%s)", r->id, r->op);
  else snprintf(buf, size, "(%s)", r->op);
  return buf;
}

static int digits(int32_t n) {
  int d = 1;
  while (n >= 10) n /= 10, d++;
  return d;
}

static void on_start(const cy_plan_step_report *r, void *ctx) {
  run_view *v = ctx;
  if (v->quiet || !v->tty) return;
  char label[160];
  fprintf(stderr, "[%*d/%d] %-*s running...", digits(r->num_steps), (int)r->index + 1,
          (int)r->num_steps, v->label_width, step_label(r, label, sizeof label));
  fflush(stderr);
}

static void on_done(const cy_plan_step_report *r, void *ctx) {
  run_view *v = ctx;
  if (v->quiet) return;
  char label[160], rows[32], mem[32], peak[32];
  if (v->tty) fputs("\r\033[K", stderr);
  int cols = r->output ? r->output->schema.num_fields : 0;
  fprintf(stderr, "[%*d/%d] %-*s %14s %s", digits(r->num_steps), (int)r->index + 1,
          (int)r->num_steps, v->label_width, step_label(r, label, sizeof label),
          cli_count(r->rows, rows, sizeof rows), r->rows == 1 ? "row " : "rows");
  if (r->output) fprintf(stderr, " x %-3d", cols);
  else fprintf(stderr, "      ");
  fprintf(stderr, " %8.3f s", r->seconds);
  if (r->detail) fprintf(stderr, "  %s", r->detail);
  fputc('\n', stderr);
  if (!v->verbose) return;
  if (r->output) {
    char schema[512];
    fprintf(stderr, "      columns %s\n",
            cy_schema_format(&r->output->schema, schema, sizeof schema));
  }
  fprintf(stderr, "      memory %s (peak %s), from %s input rows\n",
          cli_bytes(cy_memory_current(), mem, sizeof mem),
          cli_bytes(cy_memory_peak(), peak, sizeof peak),
          cli_count(r->input_rows, rows, sizeof rows));
}

typedef struct run_args {
  const char *plan;
  int64_t rows;
  int width;
  bool check;
  run_view view;
} run_args;

/* Returns 0, or the exit status for bad usage. */
static int parse_args(int argc, char **argv, run_args *a) {
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    int64_t n;
    if (strcmp(s, "-v") == 0 || strcmp(s, "--verbose") == 0) {
      a->view.verbose = true;
    } else if (strcmp(s, "-q") == 0 || strcmp(s, "--quiet") == 0) {
      a->view.quiet = true;
    } else if (strcmp(s, "--check") == 0) {
      a->check = true;
    } else if ((strcmp(s, "-n") == 0 || strcmp(s, "--rows") == 0) && value) {
      if (!cli_parse_int(value, &a->rows) || a->rows < 0)
        return fprintf(stderr, "cylon run: bad %s '%s' (a row count)\n", s, value), 2;
      i++;
    } else if ((strcmp(s, "-w") == 0 || strcmp(s, "--width") == 0) && value) {
      if (!cli_parse_int(value, &n) || n < 20 || n > 100000)
        return fprintf(stderr, "cylon run: bad %s '%s' (a width of 20 or more)\n", s, value), 2;
      a->width = (int)n;
      i++;
    } else if (strcmp(s, "--workers") == 0 && value) {
      if (!cli_parse_int(value, &n) || n < 1)
        return fprintf(stderr, "cylon run: bad --workers '%s' (a count)\n", value), 2;
      if (n != 1)
        return fprintf(stderr, "cylon run: --workers %s: this build runs plans on one "
                       "worker only\n", value), 2;
      i++;
    } else if (strcmp(s, "--platform") == 0 && value) {
      if (strcmp(value, "local") != 0)
        return fprintf(stderr, "cylon run: --platform %s: this build runs plans locally "
                       "only\n", value), 2;
      i++;
    } else if (s[0] == '-' && s[1] != 0) {
      return fprintf(stderr, "cylon run: unknown option or missing value '%s' (see cylon run "
                     "--help)\n", s), 2;
    } else if (a->plan == NULL) {
      a->plan = s;
    } else {
      return fprintf(stderr, "cylon run: one plan at a time\n"), 2;
    }
  }
  if (a->plan == NULL) return fprintf(stderr, "cylon run: which plan? (see cylon run --help)\n"), 2;
  return 0;
}

/* The widest "id (op)" label, so step lines line up. */
static int label_width(const cy_plan *plan) {
  int w = 0;
  for (int32_t i = 0; i < cy_plan_num_steps(plan); i++) {
    const char *id = cy_plan_step_id(plan, i);
    int n = (int)strlen(cy_plan_step_op(plan, i)) + 2 + (id ? (int)strlen(id) + 1 : 0);
    if (n > w) w = n;
  }
  return w > 40 ? 40 : w;
}

static int show_result(cy_table *result, const run_args *a) {
  cy_print_options po;
  cy_print_options_init(&po);
  po.max_rows = a->rows;
  if (a->width > 0) po.max_width = a->width;
  cy_error err;
  cy_status st = cy_table_print(result, &po, stdout, &err);
  return st == CY_OK ? 0 : cli_fail("run", "%s", err.message);
}

int cmd_run(int argc, char **argv) {
  run_args a;
  memset(&a, 0, sizeof a);
  a.rows = 10;
  int rc = parse_args(argc, argv, &a);
  if (rc != 0) return rc;
  cy_error err;
  cy_plan *plan = NULL;
  if (cy_plan_load(a.plan, &plan, &err) != CY_OK) return cli_fail("run", "%s", err.message);
  if (a.check) {
    printf("%s: %d steps, valid\n", a.plan, (int)cy_plan_num_steps(plan));
    cy_plan_release(plan);
    return 0;
  }
  a.view.tty = isatty(STDERR_FILENO);
  a.view.label_width = label_width(plan);
  cy_plan_run_options ro;
  cy_plan_run_options_init(&ro);
  ro.on_step_start = on_start;
  ro.on_step_done = on_done;
  ro.ctx = &a.view;
  cy_memory_reset_peak();
  double t0 = cy_now();
  cy_table *result = NULL;
  cy_status st = cy_plan_run(plan, &ro, &result, &err);
  double seconds = cy_now() - t0;
  int32_t steps = cy_plan_num_steps(plan);
  cy_plan_release(plan);
  if (st != CY_OK) {
    if (a.view.tty && !a.view.quiet) fputs("\r\033[K", stderr);
    return cli_fail("run", "%s", err.message);
  }
  if (!a.view.quiet) {
    char peak[32];
    fprintf(stderr, "done: %d steps in %.3f s, peak memory %s\n", (int)steps, seconds,
            cli_bytes(cy_memory_peak(), peak, sizeof peak));
  }
  rc = result ? show_result(result, &a) : 0;
  cy_table_release(result);
  return rc;
}
