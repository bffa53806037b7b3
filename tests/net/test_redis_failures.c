/*
 * test_redis_failures.c - failures on the redis backend, with real processes and a real
 * redis-server started here:
 *
 *   - a rank that dies in the middle of an alltoall (some of its frames pushed, no
 *     goodbye): every other rank's wait fails well within its deadline, naming the dead
 *     rank (its heartbeat stopped), and the launcher names it too;
 *   - a rank that stays silent (alive, but never sends what is waited for): the waiting
 *     ranks time out naming it, and the failure reaches the silent rank too;
 *   - cy_comm_abort: the reason reaches every rank;
 *   - keys left by a job that failed all expire (each has a TTL).
 */
#include <signal.h>
#include <unistd.h>

#include "net/redis_server.h"
#include "test.h"

#define TIMEOUT_MS 6000

static cy_comm *open_comm(void) {
  cy_error err;
  cy_comm_options o;
  cy_comm_options_init(&o);
  o.backend = "redis";
  o.bootstrap = "embedded";
  o.timeout_ms = TIMEOUT_MS;
  cy_comm *c = NULL;
  OK(cy_comm_open(&o, &c, &err));
  return c;
}

static int launch(int world, int (*fn)(void *), const int *want, cy_error *err,
                  cy_status *st) {
  int codes[8] = {0};
  cy_launch_options lo;
  cy_launch_options_init(&lo);
  lo.workers = world;
  lo.run = fn;
  lo.grace_ms = 20000; /* let every rank see the failure by itself */
  lo.exit_codes = codes;
  *st = cy_launch(&lo, err);
  int bad = 0;
  for (int r = 0; r < world; r++) {
    if (codes[r] != (want ? want[r] : 0)) {
      fprintf(stderr, "rank %d exited with %d, expected %d\n", r, codes[r], want ? want[r] : 0);
      bad++;
    }
  }
  test_failures += bad;
  return bad;
}

/* 0 when the failure names `needle` and came within `within` seconds. */
static int expect_failure(cy_status st, const cy_error *err, double seconds,
                          const char *needle, double within) {
  if (st != CY_OK && strstr(err->message, needle) && seconds < within) return 0;
  fprintf(stderr, "expected a failure naming '%s' within %.1f s; got %s after %.2f s: %s\n",
          needle, within, cy_status_name(st), seconds, st == CY_OK ? "" : err->message);
  return 10;
}

#define PART (3 << 20)

static int die_mid_alltoall(void *arg) {
  (void)arg;
  cy_error err;
  cy_comm *c = open_comm();
  if (c == NULL) return 1;
  int rank = cy_comm_rank(c), world = cy_comm_world_size(c);
  uint8_t *data = calloc(PART, 1);
  const void *parts[8];
  int64_t lens[8];
  for (int d = 0; d < world; d++) parts[d] = data, lens[d] = PART;
  OK(cy_comm_barrier(c, &err));
  if (rank == 2) {
    cy_comm_request req;
    cy_comm_isend(c, 0, 1, data, PART, &req, &err); /* not part of the alltoall's tags */
    _exit(3); /* as a crash would: no goodbye, no cleanup */
  }
  cy_buffer **out = NULL;
  double t0 = cy_now();
  cy_status st = cy_comm_alltoall(c, parts, lens, &out, &err);
  int rc = expect_failure(st, &err, cy_now() - t0, "rank 2", TIMEOUT_MS / 1000.0);
  CHECK(out == NULL);
  cy_comm_request req;
  FAILS(cy_comm_irecv(c, 0, 5, &req, &err) == CY_OK ? cy_comm_wait(c, &req, &err) : CY_EIO,
        CY_EIO, "rank 2");
  cy_comm_close(c);
  free(data);
  return rc ? rc : test_failures ? 1 : 0;
}

/* Rank 1 is alive but never sends what rank 0 and 2 wait for; it waits on nobody. */
static int silent_rank(void *arg) {
  (void)arg;
  cy_error err;
  cy_comm *c = open_comm();
  if (c == NULL) return 1;
  int rank = cy_comm_rank(c);
  cy_comm_request req;
  int rc = 0;
  if (rank == 1) {
    /* the failure reaches us through the abort key, before our own wait would time out */
    usleep(2000 * 1000);
    double t0 = cy_now();
    OK(cy_comm_irecv(c, 0, 7, &req, &err));
    cy_status st = cy_comm_wait(c, &req, &err); /* rank 0 never sends on tag 7 */
    rc = expect_failure(st, &err, cy_now() - t0, "rank 1 did not answer", TIMEOUT_MS / 1000.0);
  } else {
    double t0 = cy_now();
    OK(cy_comm_irecv(c, 1, 7, &req, &err));
    cy_status st = cy_comm_wait(c, &req, &err);
    rc = expect_failure(st, &err, cy_now() - t0, "rank 1 did not answer", 2 * TIMEOUT_MS / 1000.0);
  }
  cy_comm_close(c);
  return rc ? rc : test_failures ? 1 : 0;
}

static int aborting(void *arg) {
  (void)arg;
  cy_error err;
  cy_comm *c = open_comm();
  if (c == NULL) return 1;
  int rc = 0;
  if (cy_comm_rank(c) == 1) {
    cy_comm_abort(c, "the input file is corrupt");
  } else {
    double t0 = cy_now();
    cy_status st = cy_comm_barrier(c, &err);
    rc = expect_failure(st, &err, cy_now() - t0, "rank 1 aborted: the input file is corrupt",
                        TIMEOUT_MS / 1000.0);
  }
  cy_comm_close(c);
  return rc ? rc : test_failures ? 1 : 0;
}

int main(void) {
  test_redis s;
  test_redis_start(&s, NULL);
  setenv("CYLON_REDIS", s.url, 1);
  cy_error err;
  cy_status st;
  const int want_dead[4] = {0, 0, 3, 0};
  launch(4, die_mid_alltoall, want_dead, &err, &st);
  CHECK(st != CY_OK && strstr(err.message, "rank 2 failed (exit status 3)"));
  /* the dead rank never closed: its job's keys stay until their TTL */
  CHECK_EQ_INT(test_redis_scan(&s, "*", true), 0);
  launch(3, silent_rank, NULL, &err, &st);
  CHECK(st == CY_OK);
  launch(3, aborting, NULL, &err, &st);
  CHECK(st == CY_OK);
  CHECK_EQ_INT(test_redis_scan(&s, "*", true), 0);
  test_redis_stop(&s);
  TEST_MAIN_END();
}
