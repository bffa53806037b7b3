/*
 * cmd_run.c - `cylon run PLAN.json`: run a plan (docs/plan.md) on this process or on
 * several workers.
 *
 * The plan is loaded and validated whole first, so a typo in the last step fails before
 * the first file is read (and, with --workers, before any worker starts). Three ways to
 * run:
 *   - alone (the default): this process, the local operators;
 *   - --workers N: this process becomes a launcher (cy_launch) that starts N copies of
 *     itself on this machine with the embedded bootstrap over tcp, passes their standard
 *     error on prefixed "[rank r]", and fails naming the rank when one fails;
 *   - as one rank of a world started elsewhere: --bootstrap redis://HOST:PORT (with --job
 *     and --world-size), --platform mpi (under mpirun), or --bootstrap env.
 * While it runs, rank 0 (every rank with --progress ranks) writes a line per step with
 * its rows, time and traffic (on a terminal, alone, the line shows the step as running and
 * is then rewritten in place). Rank 0 ends with a summary and prints the plan's result
 * table, gathered from every rank, on standard output.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
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
          "  -v, --verbose         also each step's columns and memory\n"
          "  -q, --quiet           no step lines\n"
          "  -n, --rows N          rows of the result to show (default 10)\n"
          "  -w, --width W         widest the box may be (default 120)\n"
          "  --check               check the plan and exit without running it\n"
          "  --progress WHAT       steps (default: rank 0's lines with totals of all\n"
          "                        ranks), ranks (every rank's own lines too) or none\n"
          "  --metrics FILE        write each step's rows, time (slowest rank) and bytes\n"
          "                        moved, and the totals, as JSON to FILE (rank 0)\n\n"
          "Workers (docs/plan.md, \"Workers\"):\n"
          "  --workers N           start N workers on this machine (tcp between them)\n"
          "  --bootstrap B         run as one rank of a world found through B: env (the\n"
          "                        CYLON_* or MPI variables), redis://HOST:PORT, embedded\n"
          "  --job ID              the job id ranks of one world share (redis bootstrap)\n"
          "  --world-size N        ranks in the world (redis; else CYLON_WORLD_SIZE)\n"
          "  --backend NAME        tcp (default), mpi or redis\n"
          "  --platform NAME       local (default) or mpi (mpirun -np N cylon run PLAN.json\n"
          "                        --platform mpi)\n"
          "  --timeout SECONDS     longest wait for a silent worker (default 60)\n");
}

typedef enum progress_mode { PROGRESS_STEPS = 0, PROGRESS_RANKS, PROGRESS_NONE } progress_mode;

/* One step's figures for --metrics (totals over all ranks, the slowest rank's time). */
typedef struct step_metric {
  int64_t rows, bytes_moved;
  double seconds;
} step_metric;

typedef struct run_view {
  bool tty, verbose, quiet;
  bool distributed; /* on a communicator */
  progress_mode progress;
  int label_width;
  int64_t bytes_moved; /* all ranks' bytes sent, summed over the steps */
  step_metric *metrics; /* --metrics: one entry per step done, on rank 0 */
  int32_t num_metrics;
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

/* One step line: position, label, rows (x columns), seconds, traffic, file. */
static void step_line(const run_view *v, const cy_plan_step_report *r, int64_t rows,
                      double seconds, int64_t sent, int64_t received, bool totals) {
  char label[160], count[32], b1[32], b2[32];
  int cols = r->output ? r->output->schema.num_fields : 0;
  fprintf(stderr, "[%*d/%d] %-*s %14s %s", digits(r->num_steps), (int)r->index + 1,
          (int)r->num_steps, v->label_width, step_label(r, label, sizeof label),
          cli_count(rows, count, sizeof count), rows == 1 ? "row " : "rows");
  if (r->output) fprintf(stderr, " x %-3d", cols);
  else fprintf(stderr, "      ");
  fprintf(stderr, " %8.3f s", seconds);
  if (v->distributed) {
    if (totals) fprintf(stderr, "  moved %9s", cli_bytes(sent, b1, sizeof b1));
    else fprintf(stderr, "  sent %9s recv %9s", cli_bytes(sent, b1, sizeof b1),
                 cli_bytes(received, b2, sizeof b2));
  }
  if (r->detail) fprintf(stderr, "  %s", r->detail);
  fputc('\n', stderr);
}

static void on_done(const cy_plan_step_report *r, void *ctx) {
  run_view *v = ctx;
  v->bytes_moved += r->total_bytes_sent;
  if (v->metrics && r->rank == 0 && r->index >= 0 && r->index < r->num_steps) {
    v->metrics[r->index] = (step_metric){.rows = r->total_rows, .bytes_moved = r->total_bytes_sent,
                                         .seconds = r->max_seconds};
    if (r->index + 1 > v->num_metrics) v->num_metrics = r->index + 1;
  }
  if (v->quiet || v->progress == PROGRESS_NONE) return;
  if (v->tty) fputs("\r\033[K", stderr);
  if (v->progress == PROGRESS_RANKS && r->world > 1)
    step_line(v, r, r->rows, r->seconds, r->bytes_sent, r->bytes_received, false);
  if (r->rank == 0) {
    if (v->progress == PROGRESS_RANKS && r->world > 1) fprintf(stderr, "all ranks: ");
    step_line(v, r, r->total_rows, r->max_seconds, r->total_bytes_sent, 0, true);
  }
  if (!v->verbose || r->rank != 0) return;
  char schema[512], mem[32], peak[32], rows[32];
  if (r->output)
    fprintf(stderr, "      columns %s\n",
            cy_schema_format(&r->output->schema, schema, sizeof schema));
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
  int64_t workers;          /* --workers; 0 = not given */
  const char *bootstrap;    /* --bootstrap; NULL = not given */
  const char *backend;      /* --backend */
  const char *job;          /* --job */
  int64_t world_size;       /* --world-size */
  const char *platform;     /* --platform */
  int64_t timeout_ms;       /* --timeout */
  const char *metrics;      /* --metrics FILE */
} run_args;

static bool is_one_of(const char *s, const char *const *names) {
  for (int i = 0; names[i]; i++)
    if (strcmp(s, names[i]) == 0) return true;
  return false;
}

/* Returns 0, or the exit status for bad usage. */
static int parse_args(int argc, char **argv, run_args *a) {
  static const char *const platforms[] = {"local", "mpi", NULL};
  static const char *const backends[] = {"tcp", "mpi", "redis", NULL};
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
    } else if (strcmp(s, "--progress") == 0 && value) {
      if (strcmp(value, "steps") == 0) a->view.progress = PROGRESS_STEPS;
      else if (strcmp(value, "ranks") == 0) a->view.progress = PROGRESS_RANKS;
      else if (strcmp(value, "none") == 0) a->view.progress = PROGRESS_NONE;
      else
        return fprintf(stderr, "cylon run: bad --progress '%s' (steps, ranks or none)\n",
                       value), 2;
      i++;
    } else if (strcmp(s, "--workers") == 0 && value) {
      if (!cli_parse_int(value, &a->workers) || a->workers < 1 || a->workers > 1024)
        return fprintf(stderr, "cylon run: bad --workers '%s' (a count from 1 to 1024)\n",
                       value), 2;
      i++;
    } else if (strcmp(s, "--world-size") == 0 && value) {
      if (!cli_parse_int(value, &a->world_size) || a->world_size < 1 ||
          a->world_size > INT32_MAX)
        return fprintf(stderr, "cylon run: bad --world-size '%s' (a count)\n", value), 2;
      i++;
    } else if (strcmp(s, "--timeout") == 0 && value) {
      double sec;
      if (!cli_parse_double(value, &sec) || !(sec > 0 && sec < 1e6))
        return fprintf(stderr, "cylon run: bad --timeout '%s' (seconds)\n", value), 2;
      a->timeout_ms = (int64_t)(sec * 1000 + 0.5);
      i++;
    } else if (strcmp(s, "--metrics") == 0 && value) {
      a->metrics = value;
      i++;
    } else if (strcmp(s, "--bootstrap") == 0 && value) {
      a->bootstrap = value;
      i++;
    } else if (strcmp(s, "--job") == 0 && value) {
      a->job = value;
      i++;
    } else if (strcmp(s, "--backend") == 0 && value) {
      if (!is_one_of(value, backends))
        return fprintf(stderr, "cylon run: bad --backend '%s' (tcp, mpi or redis)\n", value), 2;
      a->backend = value;
      i++;
    } else if (strcmp(s, "--platform") == 0 && value) {
      if (!is_one_of(value, platforms))
        return fprintf(stderr, "cylon run: bad --platform '%s' (local or mpi)\n", value), 2;
      a->platform = value;
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
  bool mpi = a->platform && strcmp(a->platform, "mpi") == 0;
  if (a->workers > 0 && (a->bootstrap || mpi))
    return fprintf(stderr, "cylon run: --workers starts workers on this machine; it does not "
                   "go with --bootstrap or --platform mpi\n"), 2;
  if (mpi && a->bootstrap && strcmp(a->bootstrap, "env") != 0)
    return fprintf(stderr, "cylon run: --platform mpi takes its ranks from mpirun; drop "
                   "--bootstrap %s\n", a->bootstrap), 2;
  if (mpi && a->backend && strcmp(a->backend, "mpi") != 0)
    return fprintf(stderr, "cylon run: --platform mpi runs on the mpi backend, not %s\n",
                   a->backend), 2;
  if (mpi) a->backend = "mpi", a->bootstrap = "env";
  if ((a->job || a->world_size || a->backend) && !a->bootstrap && a->workers == 0)
    return fprintf(stderr, "cylon run: --job, --world-size and --backend are for a run on "
                   "workers (--workers N, --bootstrap B or --platform mpi)\n"), 2;
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
  fflush(stdout);
  return st == CY_OK ? 0 : cli_fail("run", "%s", err.message);
}

/* ---- the launcher: --workers N -------------------------------------------------------- */

/* Start N copies of this program as `cylon run ... --bootstrap embedded` (the arguments
 * given, without --workers) and wait for them. */
static int launch_workers(int argc, char **argv, const run_args *a) {
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) return cli_fail("run", "cannot find this program (/proc/self/exe)");
  exe[len] = 0;
  char **args = calloc((size_t)argc + 4, sizeof *args);
  if (args == NULL) return cli_fail("run", "out of memory");
  int k = 0;
  args[k++] = exe;
  args[k++] = argv[0]; /* "run" */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--workers") == 0) {
      i++;
      continue;
    }
    args[k++] = argv[i];
  }
  args[k++] = "--bootstrap";
  args[k++] = "embedded";
  args[k] = NULL;
  cy_launch_options lo;
  cy_launch_options_init(&lo);
  lo.workers = (int32_t)a->workers;
  lo.program = exe;
  lo.argv = args;
  lo.job = a->job;
  if (a->timeout_ms > 0) lo.timeout_ms = a->timeout_ms;
  int *codes = calloc((size_t)a->workers, sizeof *codes);
  if (codes == NULL) {
    free(args);
    return cli_fail("run", "out of memory");
  }
  lo.exit_codes = codes;
  cy_error err;
  fflush(stdout);
  cy_status st = cy_launch(&lo, &err);
  free(args);
  if (st == CY_OK) {
    free(codes);
    return 0;
  }
  /* A worker killed from outside is the cause even when a rank that lost it ended first;
   * the ones the launcher stopped itself got SIGTERM or SIGKILL after the first failure,
   * so only a killed rank the launcher did not name first is worth naming. */
  int32_t killed = -1;
  for (int32_t r = 0; r < lo.workers && killed < 0; r++)
    if (codes[r] > 128 && codes[r] != 128 + 15) killed = r;
  int signal = killed >= 0 ? codes[killed] - 128 : 0;
  free(codes);
  if (killed >= 0 && strstr(err.message, "killed") == NULL)
    return cli_fail("run", "rank %d was killed by signal %d (%s), and %s", (int)killed,
                    signal, strsignal(signal), err.message);
  return cli_fail("run", "%s", err.message);
}

/* ---- running ------------------------------------------------------------------------ */

/* A JSON string of s (ids and ops are the plan's own strings: escape what JSON needs). */
static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

/* --metrics FILE: the plan's figures as one JSON object (benchmarks read it: bench/scaling). */
static int write_metrics(const run_args *a, const cy_plan *plan, cy_comm *comm, double seconds) {
  FILE *f = fopen(a->metrics, "w");
  if (f == NULL) return cli_fail("run", "cannot write --metrics %s: %s", a->metrics, strerror(errno));
  fprintf(f, "{\"world\": %d, \"backend\": ", comm ? (int)cy_comm_world_size(comm) : 1);
  json_string(f, comm ? cy_comm_backend(comm) : "local");
  fprintf(f, ", \"seconds\": %.6f, \"bytes_moved\": %lld, \"peak_memory_bytes\": %lld, "
          "\"steps\": [", seconds, (long long)a->view.bytes_moved, (long long)cy_memory_peak());
  for (int32_t i = 0; i < a->view.num_metrics; i++) {
    const step_metric *m = &a->view.metrics[i];
    fprintf(f, "%s\n  {\"index\": %d, \"id\": ", i ? "," : "", (int)i);
    const char *id = cy_plan_step_id(plan, i);
    if (id) json_string(f, id);
    else fputs("null", f);
    fputs(", \"op\": ", f);
    json_string(f, cy_plan_step_op(plan, i));
    fprintf(f, ", \"rows\": %lld, \"seconds\": %.6f, \"bytes_moved\": %lld}",
            (long long)m->rows, m->seconds, (long long)m->bytes_moved);
  }
  fputs("]}\n", f);
  if (fclose(f) != 0) return cli_fail("run", "cannot write --metrics %s", a->metrics);
  return 0;
}

/* Join the world the options describe. */
static cy_status open_comm(const run_args *a, cy_comm **comm, cy_error *err) {
  cy_comm_options co;
  cy_comm_options_init(&co);
  if (a->backend) co.backend = a->backend;
  co.bootstrap = a->bootstrap;
  co.job = a->job;
  co.world_size = (int32_t)a->world_size;
  if (a->timeout_ms > 0) co.timeout_ms = a->timeout_ms;
  return cy_comm_open(&co, comm, err);
}

static void summary(const run_args *a, cy_comm *comm, int32_t steps, double seconds) {
  char peak[32], moved[32];
  fprintf(stderr, "done: %d steps in %.3f s", (int)steps, seconds);
  if (comm)
    fprintf(stderr, " on %d worker%s (%s), %s moved between workers",
            (int)cy_comm_world_size(comm), cy_comm_world_size(comm) == 1 ? "" : "s",
            cy_comm_backend(comm), cli_bytes(a->view.bytes_moved, moved, sizeof moved));
  fprintf(stderr, ", peak memory %s%s\n", cli_bytes(cy_memory_peak(), peak, sizeof peak),
          comm ? " (rank 0)" : "");
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
  if (a.workers > 0) {
    cy_plan_release(plan);
    return launch_workers(argc, argv, &a);
  }
  cy_comm *comm = NULL;
  if (a.bootstrap && open_comm(&a, &comm, &err) != CY_OK) {
    cy_plan_release(plan);
    return cli_fail("run", "%s", err.message);
  }
  int32_t rank = comm ? cy_comm_rank(comm) : 0;
  a.view.distributed = comm != NULL;
  a.view.tty = comm == NULL && isatty(STDERR_FILENO);
  a.view.label_width = label_width(plan);
  if (rank != 0 && a.view.progress != PROGRESS_RANKS) a.view.quiet = true;
  if (a.metrics && rank == 0) {
    a.view.metrics = calloc((size_t)cy_plan_num_steps(plan) + 1, sizeof *a.view.metrics);
    if (a.view.metrics == NULL) {
      cy_plan_release(plan);
      cy_comm_close(comm);
      return cli_fail("run", "out of memory");
    }
  }
  cy_plan_run_options ro;
  cy_plan_run_options_init(&ro);
  ro.on_step_start = on_start;
  ro.on_step_done = on_done;
  ro.ctx = &a.view;
  ro.comm = comm;
  cy_memory_reset_peak();
  double t0 = cy_now();
  cy_table *result = NULL;
  cy_status st = cy_plan_run(plan, &ro, &result, &err);
  double seconds = cy_now() - t0;
  int32_t steps = cy_plan_num_steps(plan);
  if (st != CY_OK) {
    if (a.view.tty && !a.view.quiet) fputs("\r\033[K", stderr);
    cy_plan_release(plan);
    free(a.view.metrics);
    cy_comm_close(comm);
    return cli_fail("run", "%s", err.message);
  }
  if (rank == 0 && !a.view.quiet && a.view.progress != PROGRESS_NONE)
    summary(&a, comm, steps, seconds);
  rc = a.view.metrics ? write_metrics(&a, plan, comm, seconds) : 0;
  cy_plan_release(plan); /* after the metrics: they name the steps by its ids and ops */
  free(a.view.metrics);
  if (rc != 0) {
    cy_table_release(result);
    cy_comm_close(comm);
    return rc;
  }
  rc = result ? show_result(result, &a) : 0;
  cy_table_release(result);
  cy_comm_close(comm);
  return rc;
}
