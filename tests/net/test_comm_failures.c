/*
 * test_comm_failures.c - what happens when things go wrong, with real processes:
 *
 *   - a rank that exits in the middle of an alltoall: every other rank's wait fails well
 *     within the deadline, with an error naming the dead rank, and the launcher names it;
 *   - a rank that never arrives: the others' bootstrap fails before their deadline, naming
 *     the missing rank;
 *   - strangers knocking on a rank's listener (a wrong job id, a rank that is already
 *     connected, garbage) are refused and the job carries on;
 *   - a rank that stays silent: the waiting rank times out naming it, and the failure
 *     reaches the silent rank too;
 *   - cy_comm_abort: the reason reaches every rank;
 *   - a rank killed by a signal, and a worker program that fails: the launcher says which.
 *
 * Each worker checks what it sees and exits 0 when it saw what it should; the launcher's
 * exit codes tell the parent.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/tcp_internal.h"
#include "test.h"

#define TIMEOUT_MS 20000
/* Bounds on how long a failure may take to show. They are loose on purpose (a loaded
 * 2-core CI machine can delay any process by seconds): what they prove is that a rank
 * fails by its deadline, or long before it when a peer is known to be gone, not how fast. */
#define PROMPT_S 10.0

static cy_comm *open_comm(int64_t timeout_ms) {
  cy_error err;
  cy_comm_options o;
  cy_comm_options_init(&o);
  o.bootstrap = "embedded";
  o.timeout_ms = timeout_ms;
  cy_comm *c = NULL;
  OK(cy_comm_open(&o, &c, &err));
  return c;
}

/* Run fn on world ranks; check each exit code against want (NULL: all 0). */
static cy_status launch(int world, int (*fn)(void *), const int *want, int64_t timeout_ms,
                        cy_error *err) {
  int codes[16] = {0};
  cy_launch_options lo;
  cy_launch_options_init(&lo);
  lo.workers = world;
  lo.run = fn;
  lo.timeout_ms = timeout_ms;
  lo.grace_ms = 20000; /* let every rank see the failure by itself */
  lo.exit_codes = codes;
  cy_status st = cy_launch(&lo, err);
  for (int r = 0; r < world; r++) {
    if (codes[r] != (want ? want[r] : 0)) {
      fprintf(stderr, "rank %d exited with %d, expected %d\n", r, codes[r], want ? want[r] : 0);
      test_failures++;
    }
  }
  return st;
}

/* The error and how long it took, on a rank that expects a failure naming rank who. */
static int expect_failure(cy_status st, const cy_error *err, double seconds, int who,
                          double within) {
  char name[32];
  snprintf(name, sizeof name, "rank %d", who);
  if (st != CY_OK && strstr(err->message, name) && seconds < within) return 0;
  fprintf(stderr, "expected a failure naming %s within %.1f s; got %s after %.2f s: %s\n",
          name, within, cy_status_name(st), seconds, err->message);
  return 10;
}

/* ---- a rank dies in the middle of an alltoall --------------------------------------- */

#define PART (16 << 20)

static int die_mid_alltoall(void *arg) {
  (void)arg;
  cy_error err;
  cy_comm *c = open_comm(TIMEOUT_MS);
  if (c == NULL) return 1;
  int rank = cy_comm_rank(c), world = cy_comm_world_size(c);
  uint8_t *data = calloc(PART, 1);
  const void *parts[8];
  int64_t lens[8];
  for (int d = 0; d < world; d++) parts[d] = data, lens[d] = PART;
  OK(cy_comm_barrier(c, &err));
  if (rank == 2) {
    cy_comm_request reqs[8];
    for (int d = 0; d < world; d++) cy_comm_isend(c, d, 1, data, PART, &reqs[d], &err);
    usleep(30 * 1000); /* some of it is on the way */
    _exit(3);          /* as a crash would: no goodbye, no cleanup */
  }
  cy_buffer **out = NULL;
  double t0 = cy_now();
  cy_status st = cy_comm_alltoall(c, parts, lens, &out, &err);
  int rc = expect_failure(st, &err, cy_now() - t0, 2, TIMEOUT_MS / 1000.0 / 2);
  CHECK(out == NULL);
  /* The communicator stays failed, with the same cause. */
  cy_comm_request req;
  FAILS(cy_comm_irecv(c, 0, 5, &req, &err), CY_EIO, "rank 2");
  cy_comm_close(c);
  free(data);
  return rc ? rc : test_failures ? 1 : 0;
}

static void test_dead_rank(void) {
  cy_error err;
  const int want[4] = {0, 0, 3, 0};
  FAILS(launch(4, die_mid_alltoall, want, 30000, &err), CY_EIO, "rank 2 failed (exit status 3)");
}

/* ---- a rank never arrives ----------------------------------------------------------- */

static int never_arrive(void *arg) {
  (void)arg;
  const char *r = getenv("CYLON_RANK");
  if (r && strcmp(r, "1") == 0) {
    usleep(3500 * 1000);
    return 0;
  }
  cy_error err;
  cy_comm_options o;
  cy_comm_options_init(&o);
  o.bootstrap = "embedded";
  o.timeout_ms = 2000;
  cy_comm *c = NULL;
  double t0 = cy_now();
  cy_status st = cy_comm_open(&o, &c, &err);
  int rc = expect_failure(st, &err, cy_now() - t0, 1, 2.0 + PROMPT_S);
  if (rc == 0 && strstr(err.message, "never arrived") == NULL) rc = 11;
  if (rc) fprintf(stderr, "got: %s\n", err.message);
  cy_comm_close(c);
  return rc;
}

static void test_missing_rank(void) {
  cy_error err;
  OK(launch(3, never_arrive, NULL, 2000, &err));
}

/* ---- strangers ---------------------------------------------------------------------- */

/* Knock on rank 0's listener with a hello; the answer's reason, or "" when accepted. */
static void knock(tcp_comm *tc, const char *job, int32_t rank, char *why, size_t size) {
  char host[256];
  int port, fd;
  cy_error err;
  why[0] = 0;
  OK(net_split_hostport(tc->endpoints[0], host, sizeof host, &port, &err));
  OK(net_connect(host, port, cy_now() + 2, false, "rank 0", &fd, &err));
  net_msg m;
  tcp_hello_encode(&m, job, rank, tc->world);
  OK(net_write_all(fd, m.data, m.len, cy_now() + 2, "rank 0", &err));
  net_msg_free(&m);
  net_inbox in = {.max_len = 4096};
  OK(net_recv_msg(fd, &in, cy_now() + 3, "rank 0", &err));
  bool accepted = false;
  int32_t who;
  CHECK(tcp_answer_decode(&in, &accepted, &who, why, size));
  CHECK(!accepted);
  net_inbox_free(&in);
  close(fd);
}

static int strangers(void *arg) {
  (void)arg;
  cy_error err;
  cy_comm *c = open_comm(TIMEOUT_MS);
  if (c == NULL) return 1;
  /* Once past a barrier, rank 0's mesh is formed: every knock below is a stranger's. */
  OK(cy_comm_barrier(c, &err));
  if (cy_comm_rank(c) == 1) {
    tcp_comm *tc = c->impl;
    char why[256];
    knock(tc, "intruder", 1, why, sizeof why);
    if (strstr(why, "wrong job id") == NULL) fprintf(stderr, "got '%s'\n", why), test_failures++;
    knock(tc, tc->job, 1, why, sizeof why);
    if (strstr(why, "all connections are made") == NULL)
      fprintf(stderr, "got '%s'\n", why), test_failures++;
    /* garbage, and a connection that says nothing: both just closed */
    char host[256];
    int port, fd;
    OK(net_split_hostport(tc->endpoints[0], host, sizeof host, &port, &err));
    OK(net_connect(host, port, cy_now() + 2, false, "rank 0", &fd, &err));
    OK(net_write_all(fd, "\x10\0\0\0GET / HTTP/1.0\r\n\r\n", 20, cy_now() + 2, "rank 0", &err));
    int silent;
    OK(net_connect(host, port, cy_now() + 2, false, "rank 0", &silent, &err));
    close(fd);
    close(silent);
  }
  /* The job carries on. */
  OK(cy_comm_barrier(c, &err));
  int64_t v = 1;
  OK(cy_comm_allreduce(c, &v, 1, CY_REDUCE_INT64, CY_REDUCE_SUM, &err));
  CHECK_EQ_INT(v, 2);
  cy_comm_close(c);
  return test_failures ? 1 : 0;
}

static void test_strangers(void) {
  cy_error err;
  OK(launch(2, strangers, NULL, 30000, &err));
}

/* ---- silence and abort -------------------------------------------------------------- */

static int silence(void *arg) {
  (void)arg;
  cy_error err;
  cy_comm *c = open_comm(1000);
  if (c == NULL) return 1;
  int rank = cy_comm_rank(c), rc;
  cy_comm_request req;
  double t0 = cy_now();
  OK(cy_comm_irecv(c, 1 - rank, rank == 0 ? 7 : 8, &req, &err));
  if (rank == 1) usleep(200 * 1000); /* rank 0's deadline comes first */
  cy_status st = cy_comm_wait(c, &req, &err);
  rc = expect_failure(st, &err, cy_now() - t0, 1, 1.0 + PROMPT_S);
  if (rank == 0 && strstr(err.message, "timed out") == NULL) rc = 12;
  if (rank == 1 && strstr(err.message, "reported by rank 0") == NULL) rc = 13;
  if (rc) fprintf(stderr, "rank %d got: %s\n", rank, err.message);
  CHECK(req.data == NULL && req.impl == NULL);
  cy_comm_close(c);
  return rc;
}

static int aborts(void *arg) {
  (void)arg;
  cy_error err;
  cy_comm *c = open_comm(TIMEOUT_MS);
  if (c == NULL) return 1;
  int rank = cy_comm_rank(c), rc = 0;
  if (rank == 1) {
    /* (no barrier first: rank 1 could leave it while the others are still in it) */
    cy_comm_abort(c, "cannot read part-1.parquet");
  } else {
    double t0 = cy_now();
    cy_status st = cy_comm_barrier(c, &err);
    rc = expect_failure(st, &err, cy_now() - t0, 1, PROMPT_S);
    if (strstr(err.message, "cannot read part-1.parquet") == NULL) rc = 14;
    if (rc) fprintf(stderr, "got: %s\n", err.message);
  }
  cy_comm_close(c);
  return rc;
}

/* Rank 0 gives up while rank 1 keeps sending to it: rank 1 fails with rank 0's cause,
 * not with what follows from it. Its I/O thread can read rank 0's FAIL and the end of
 * the stream in one go while a send is still queued, and that send then fails with "lost
 * rank 0": the wait must still report the first cause. Many small sends make that likely. */
static int aborts_mid_send(void *arg) {
  (void)arg;
  cy_error err;
  cy_comm *c = open_comm(TIMEOUT_MS);
  if (c == NULL) return 1;
  int rc = 0;
  if (cy_comm_rank(c) == 0) {
    cy_comm_abort(c, "cannot read part-0.parquet");
  } else {
    uint8_t small[64] = {0};
    cy_status st = CY_OK;
    double t0 = cy_now();
    for (int i = 0; i < 10000000 && st == CY_OK; i++) {
      cy_comm_request req;
      st = cy_comm_isend(c, 0, 5, small, sizeof small, &req, &err);
      if (st == CY_OK) st = cy_comm_wait(c, &req, &err);
    }
    rc = expect_failure(st, &err, cy_now() - t0, 0, PROMPT_S);
    if (strstr(err.message, "cannot read part-0.parquet") == NULL) rc = 15;
    if (rc) fprintf(stderr, "got: %s\n", err.message);
  }
  cy_comm_close(c);
  return rc;
}

static int killed(void *arg) {
  (void)arg;
  cy_error err;
  cy_comm *c = open_comm(TIMEOUT_MS);
  if (c == NULL) return 1;
  if (cy_comm_rank(c) == 1) raise(SIGKILL);
  double t0 = cy_now();
  cy_status st = cy_comm_barrier(c, &err);
  int rc = expect_failure(st, &err, cy_now() - t0, 1, PROMPT_S);
  cy_comm_close(c);
  return rc;
}

static void test_silence_abort_kill(void) {
  cy_error err;
  OK(launch(2, silence, NULL, 30000, &err));
  OK(launch(3, aborts, NULL, 30000, &err));
  for (int i = 0; i < 4; i++) OK(launch(2, aborts_mid_send, NULL, 30000, &err));
  const int want[2] = {0, 128 + SIGKILL};
  FAILS(launch(2, killed, want, 30000, &err), CY_EIO, "rank 1 was killed by signal 9");
}

/* ---- the launcher with a program: stderr lines, exit statuses ----------------------- */

static void test_launch_program(void) {
  char path[] = "/tmp/cylon-launch-XXXXXX";
  int fd = mkstemp(path);
  pid_t pid = fork();
  if (pid == 0) { /* a launcher whose standard error we can read */
    dup2(fd, STDERR_FILENO);
    char *argv[] = {"sh", "-c", "echo \"line one of $CYLON_RANK/$CYLON_WORLD_SIZE\" >&2; "
                    "printf 'no newline' >&2; [ \"$CYLON_RANK\" != 1 ] || exit 4", NULL};
    cy_launch_options lo;
    cy_launch_options_init(&lo);
    lo.workers = 3;
    lo.program = "/bin/sh";
    lo.argv = argv;
    cy_error err;
    cy_status st = cy_launch(&lo, &err);
    fprintf(stderr, "launch: %s\n", st == CY_OK ? "ok" : err.message);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  char text[4096] = {0};
  ssize_t n = pread(fd, text, sizeof text - 1, 0);
  CHECK(n > 0);
  close(fd);
  unlink(path);
  CHECK(strstr(text, "[rank 0] line one of 0/3\n") != NULL);
  CHECK(strstr(text, "[rank 2] line one of 2/3\n") != NULL);
  CHECK(strstr(text, "[rank 1] no newline\n") != NULL);
  CHECK(strstr(text, "launch: rank 1 failed (exit status 4)") != NULL);
  if (test_failures) fprintf(stderr, "launcher output:\n%s", text);
}

int main(void) {
  test_dead_rank();
  test_missing_rank();
  test_strangers();
  test_silence_abort_kill();
  test_launch_program();
  TEST_MAIN_END();
}
