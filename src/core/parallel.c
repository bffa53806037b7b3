/*
 * parallel.c - a minimal fork-join loop over threads, and the clock.
 *
 * cy_parallel_for starts up to cy_num_threads() threads that take task indices from a
 * shared atomic counter, so uneven tasks balance themselves. Threads are created per call:
 * the calls this library makes are coarse (a chunk of a file, a partition of a table), so
 * a persistent pool would buy little and would be global state to manage.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cylon/core.h"

static int g_threads_override; /* 0 = default */

int cy_num_threads(void) {
  int n = __atomic_load_n(&g_threads_override, __ATOMIC_RELAXED);
  if (n > 0) return n;
  const char *env = getenv("CYLON_NUM_THREADS");
  if (env && atoi(env) > 0) return atoi(env);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return cpus > 0 ? (int)cpus : 1;
}

void cy_set_num_threads(int n) { __atomic_store_n(&g_threads_override, n > 0 ? n : 0, __ATOMIC_RELAXED); }

double cy_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct loop {
  int64_t n;
  int64_t next; /* next task index, taken atomically */
  cy_status (*fn)(void *ctx, int64_t i, cy_error *err);
  void *ctx;
  pthread_mutex_t lock;
  int64_t failed_at; /* lowest failing index, or n */
  cy_status status;
  cy_error error;
} loop;

static void *worker(void *arg) {
  loop *l = arg;
  cy_error err;
  for (;;) {
    int64_t i = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    if (i >= l->n) break;
    /* After a failure, tasks past it are pointless: their results will be thrown away. */
    if (i > __atomic_load_n(&l->failed_at, __ATOMIC_RELAXED)) break;
    err.message[0] = 0;
    cy_status st = l->fn(l->ctx, i, &err);
    if (st != CY_OK) {
      pthread_mutex_lock(&l->lock);
      if (i < l->failed_at) {
        __atomic_store_n(&l->failed_at, i, __ATOMIC_RELAXED);
        l->status = st;
        l->error = err;
      }
      pthread_mutex_unlock(&l->lock);
    }
  }
  return NULL;
}

cy_status cy_parallel_for(int64_t n, cy_status (*fn)(void *ctx, int64_t i, cy_error *err),
                          void *ctx, cy_error *err) {
  return cy_parallel_for_n(n, 0, fn, ctx, err);
}

cy_status cy_parallel_for_n(int64_t n, int threads,
                            cy_status (*fn)(void *ctx, int64_t i, cy_error *err), void *ctx,
                            cy_error *err) {
  if (n <= 0) return CY_OK;
  loop l;
  memset(&l, 0, sizeof(l));
  l.n = n;
  l.fn = fn;
  l.ctx = ctx;
  l.failed_at = n;
  pthread_mutex_init(&l.lock, NULL);
  if (threads <= 0) threads = cy_num_threads();
  if (threads > n) threads = (int)n;
  pthread_t *tids = calloc((size_t)threads, sizeof(pthread_t));
  int started = 0;
  /* The calling thread is one of the workers; start the others. If a thread cannot be
   * created, the ones we have (at least this one) still finish every task. */
  for (int t = 1; tids && t < threads; t++) {
    if (pthread_create(&tids[started], NULL, worker, &l) != 0) break;
    started++;
  }
  worker(&l);
  for (int t = 0; t < started; t++) pthread_join(tids[t], NULL);
  free(tids);
  pthread_mutex_destroy(&l.lock);
  if (l.status != CY_OK && err) *err = l.error;
  return l.status;
}
