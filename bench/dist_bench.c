/*
 * dist_bench.c - time the distributed operators on P ranks on this machine and print one
 * JSON line.
 *
 *   cylon_dist_bench memcpy [--bytes N]
 *   cylon_dist_bench shuffle --ranks P --rows N [--threads T] [--backend tcp]
 *   cylon_dist_bench join --ranks P --rows N [--unique F] [--threads T] [--backend tcp]
 *
 * bench/dist.mjs runs it for each rank count and compares it with DuckDB on the same data.
 *
 * The ranks are forks of this process (cy_launch with a run function, the embedded
 * bootstrap). Each makes its share of the data in memory, so no file reading is timed and
 * DuckDB can make the very same rows with SQL: N rows in all, row i (i in [0, N)) being
 *   left:  k = (i * 2654435761 + 1) mod M,  v = i
 *   right: k = (i * 2246822519 + 7) mod M,  v = i        with M = max(1, F * N)
 * and rank r holding rows [r * N / P, (r + 1) * N / P). After a barrier, every rank runs the
 * operator twice, cold then warm (see rank_main); the time is the slowest rank's (allreduce
 * max). Traffic is every rank's bytes
 * sent to other ranks during the operator, summed.
 *
 *   memcpy:  one thread copying a --bytes buffer (default 256 MiB), best of 5: the
 *            machine's memory bandwidth to compare the shuffle with (GB/s of bytes copied);
 *   shuffle: cy_dist_shuffle of the left table (k, v) on k: GB/s = bytes moved between
 *            ranks / seconds;
 *   join:    cy_dist_join (inner on k, the shuffle strategy) of left and right.
 *
 * --threads sets each rank's compute threads (default: the machine's cores / P, at least
 * 1, so P ranks never use more cores than one rank would).
 *
 * Output fields: task, ranks, rows, threads, seconds (warm), cold_seconds, cpu_max and
 * cpu_sum (CPU seconds of the warm run, user + system with all threads: the busiest rank's
 * and all ranks' together), out_rows (join: result rows of all ranks), bytes_moved, gbps (shuffle, memcpy), peak_bytes (largest cy_memory_peak of a rank
 * over the operator), backend and transfer: "direct" when the ranks copy rows straight into
 * each other's memory (cy_comm_direct_available; CYLON_DIRECT=0 turns it off), "sockets"
 * when everything goes through the backend.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cylon/cylon.h"
#include "cylon/dist.h"

typedef struct bench_args {
  const char *task;
  int32_t ranks;
  int64_t rows;
  double unique;
  int threads;
  int64_t bytes;
  const char *backend;
  int warm; /* warm runs after the cold one (for profiling; the last one is reported) */
} bench_args;

static void usage(void) {
  fprintf(stderr, "usage: cylon_dist_bench memcpy [--bytes N]\n"
                  "       cylon_dist_bench shuffle|join --ranks P --rows N [--unique F] "
                  "[--threads T] [--backend tcp]\n");
}

/* ---- memory bandwidth -------------------------------------------------------------- */

static int run_memcpy(const bench_args *a) {
  size_t n = (size_t)a->bytes;
  char *src = malloc(n), *dst = malloc(n);
  if (src == NULL || dst == NULL) return fprintf(stderr, "cylon_dist_bench: out of memory\n"), 1;
  memset(src, 1, n);
  memset(dst, 2, n); /* fault both in before timing */
  double best = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = cy_now();
    memcpy(dst, src, n);
    double t = cy_now() - t0;
    if (t < best) best = t;
    src[rep] = dst[n - 1 - (size_t)rep]; /* keep the copies observable */
  }
  printf("{\"task\": \"memcpy\", \"bytes\": %lld, \"seconds\": %.6f, \"gbps\": %.3f}\n",
         (long long)n, best, (double)n / best / 1e9);
  free(src);
  free(dst);
  return 0;
}

/* ---- the ranks ---------------------------------------------------------------------- */

/* CPU seconds (user + system) this process has used, all its threads: on a machine shared
 * with others, wall times stretch with their load, CPU times much less. */
static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* Rows [lo, hi) of the left (mult 2654435761, add 1) or right table. */
static cy_status make_table(int64_t lo, int64_t hi, int64_t total, double unique, bool right,
                            cy_table **out, cy_error *err) {
  int64_t n = hi - lo;
  int64_t m = (int64_t)(unique * (double)total);
  if (m < 1) m = 1;
  uint64_t mult = right ? 2246822519u : 2654435761u, add = right ? 7 : 1;
  int64_t *k = malloc((size_t)(n ? n : 1) * sizeof *k);
  int64_t *v = malloc((size_t)(n ? n : 1) * sizeof *v);
  if (k == NULL || v == NULL) {
    free(k), free(v);
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  for (int64_t i = 0; i < n; i++) {
    uint64_t row = (uint64_t)(lo + i);
    k[i] = (int64_t)((row * mult + add) % (uint64_t)m);
    v[i] = (int64_t)row;
  }
  cy_column *cols[2] = {NULL, NULL};
  cy_type t = cy_type_make(CY_INT64);
  cy_status st = cy_column_from_values(t, k, NULL, n, &cols[0], err);
  if (st == CY_OK) st = cy_column_from_values(t, v, NULL, n, &cols[1], err);
  free(k);
  free(v);
  const char *names[2] = {"k", "v"};
  if (st == CY_OK) st = cy_table_make(2, names, cols, out, err);
  cy_column_release(cols[0]);
  cy_column_release(cols[1]);
  return st;
}

static int rank_main(void *ctx) {
  const bench_args *a = ctx;
  cy_error err;
  cy_comm *comm = NULL;
  cy_comm_options co;
  cy_comm_options_init(&co);
  co.bootstrap = "embedded";
  if (a->backend) co.backend = a->backend;
  if (cy_comm_open(&co, &comm, &err) != CY_OK) {
    fprintf(stderr, "cylon_dist_bench: %s\n", err.message);
    return 1;
  }
  int32_t rank = cy_comm_rank(comm), world = cy_comm_world_size(comm);
  int64_t lo = a->rows * rank / world, hi = a->rows * (rank + 1) / world;
  bool join = strcmp(a->task, "join") == 0;
  cy_table *left = NULL, *right = NULL, *out = NULL;
  cy_status st = make_table(lo, hi, a->rows, a->unique, false, &left, &err);
  if (st == CY_OK && join) st = make_table(lo, hi, a->rows, a->unique, true, &right, &err);
  if (st == CY_OK) st = cy_comm_barrier(comm, &err);
  bool direct = false; /* fixed-width shuffles copy straight into the peers' memory */
  if (st == CY_OK) st = cy_comm_direct_available(comm, &direct, &err);
  /* Twice: cold (the first operation of a fresh process: every block it allocates is
   * fresh memory, which the kernel zeroes on first touch, very slowly on some virtual
   * machines) and warm (again, as a long-running worker would, on the blocks the first
   * run freed); `seconds` is the warm run's, `cold_seconds` the first's. */
  int64_t sent0 = 0, received0 = 0, sent = 0, received = 0, mem0 = 0;
  double seconds = 0, cold_seconds = 0, cpu = 0;
  for (int run = 0; run < 1 + a->warm && st == CY_OK; run++) {
    cy_table_release(out);
    out = NULL;
    if (run > 0) st = cy_comm_barrier(comm, &err);
    cy_comm_traffic(comm, &sent0, &received0);
    cy_memory_reset_peak();
    mem0 = cy_memory_current();
    double t0 = cy_now(), c0 = cpu_seconds();
    if (st == CY_OK && join) {
      cy_dist_join_options jo;
      cy_dist_join_options_init(&jo);
      const char *keys[1] = {"k"};
      jo.join.num_keys = 1;
      jo.join.left_on = keys;
      jo.strategy = CY_DIST_JOIN_SHUFFLE;
      st = cy_dist_join(comm, left, right, &jo, &out, &err);
    } else if (st == CY_OK) {
      const char *keys[1] = {"k"};
      st = cy_dist_shuffle(comm, left, keys, 1, NULL, &out, &err);
    }
    seconds = cy_now() - t0;
    cpu = cpu_seconds() - c0;
    if (run == 0) cold_seconds = seconds;
  }
  cy_comm_traffic(comm, &sent, &received);
  /* [seconds, cold, cpu] max; [cpu] sum; [out rows, bytes sent] sum; [peak] max */
  int64_t sums[2] = {out ? out->num_rows : 0, sent - sent0};
  int64_t peak = cy_memory_peak() - mem0;
  double times[3] = {seconds, cold_seconds, cpu}, cpu_all = cpu;
  if (st == CY_OK) st = cy_comm_allreduce(comm, times, 3, CY_REDUCE_FLOAT64, CY_REDUCE_MAX, &err);
  if (st == CY_OK) st = cy_comm_allreduce(comm, &cpu_all, 1, CY_REDUCE_FLOAT64, CY_REDUCE_SUM, &err);
  if (st == CY_OK) st = cy_comm_allreduce(comm, sums, 2, CY_REDUCE_INT64, CY_REDUCE_SUM, &err);
  if (st == CY_OK) st = cy_comm_allreduce(comm, &peak, 1, CY_REDUCE_INT64, CY_REDUCE_MAX, &err);
  if (st == CY_OK && rank == 0)
    printf("{\"task\": \"%s\", \"ranks\": %d, \"rows\": %lld, \"unique\": %g, \"threads\": %d, "
           "\"seconds\": %.6f, \"cold_seconds\": %.6f, \"cpu_max\": %.6f, \"cpu_sum\": %.6f, \"out_rows\": %lld, \"bytes_moved\": %lld, \"gbps\": %.3f, "
           "\"peak_bytes\": %lld, \"backend\": \"%s\", \"transfer\": \"%s\"}\n",
           a->task, (int)world, (long long)a->rows, a->unique, cy_num_threads(), times[0],
           times[1], times[2], cpu_all, (long long)sums[0], (long long)sums[1], (double)sums[1] / times[0] / 1e9,
           (long long)peak, cy_comm_backend(comm), direct ? "direct" : "sockets");
  fflush(stdout);
  if (st != CY_OK) fprintf(stderr, "cylon_dist_bench: %s\n", err.message);
  cy_table_release(left);
  cy_table_release(right);
  cy_table_release(out);
  cy_comm_close(comm);
  return st == CY_OK ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage(), 2;
  bench_args a = {.task = argv[1], .ranks = 1, .rows = 0, .unique = 0.9, .threads = 0,
                  .bytes = 256 << 20, .backend = NULL, .warm = 1};
  for (int i = 2; i < argc; i += 2) { /* every option takes a value */
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) return usage(), 2;
    if (strcmp(argv[i], "--ranks") == 0) a.ranks = atoi(v);
    else if (strcmp(argv[i], "--rows") == 0) a.rows = atoll(v);
    else if (strcmp(argv[i], "--unique") == 0) a.unique = atof(v);
    else if (strcmp(argv[i], "--threads") == 0) a.threads = atoi(v);
    else if (strcmp(argv[i], "--bytes") == 0) a.bytes = atoll(v);
    else if (strcmp(argv[i], "--backend") == 0) a.backend = v;
    else if (strcmp(argv[i], "--warm") == 0) a.warm = atoi(v);
    else return usage(), 2;
  }
  if (strcmp(a.task, "memcpy") == 0) return run_memcpy(&a);
  if ((strcmp(a.task, "shuffle") != 0 && strcmp(a.task, "join") != 0) || a.ranks < 1 ||
      a.rows < 1 || a.bytes < 1 || a.warm < 1)
    return usage(), 2;
  if (a.threads <= 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    a.threads = cores / a.ranks > 1 ? (int)(cores / a.ranks) : 1;
  }
  cy_set_num_threads(a.threads);
  cy_launch_options lo;
  cy_launch_options_init(&lo);
  lo.workers = a.ranks;
  lo.run = rank_main;
  lo.ctx = &a;
  cy_error err;
  fflush(stdout);
  if (cy_launch(&lo, &err) != CY_OK) {
    fprintf(stderr, "cylon_dist_bench: %s\n", err.message);
    return 1;
  }
  return 0;
}
