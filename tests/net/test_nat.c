/*
 * test_nat.c - the rendezvous server and NAT traversal (docs/nat.md), on loopback:
 *
 *   - a job of 4 ranks meshed through the rendezvous: every pair punched (simultaneous
 *     open works on loopback as through a NAT), the collectives give the hand-computed
 *     results, and every path reads "direct";
 *   - the same with punching skipped (CYLON_NAT_RELAY=1): every pair relayed by the
 *     server, the same results (messages of megabytes through the splice), "relay";
 *   - a wrong token: every rank fails with the server's refusal;
 *   - a rank that never comes: the others fail before their deadline, naming it;
 *   - raw requests: garbage, an unknown kind, a rank outside the world, a duplicate, a
 *     world size that disagrees, a silent connection and a relay whose peer never comes
 *     are each refused or failed with the reason; two relay requests of a pair are
 *     spliced, bytes pass both ways and an end of stream is passed on.
 *
 * With --worker, this program is instead one rank of the network-namespace test
 * (test_nat_netns.sh): it opens a communicator with the env bootstrap and the rendezvous
 * of CYLON_RENDEZVOUS, checks the collectives, and prints its paths.
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/nat.h"
#include "test.h"

#define TOKEN "s3cret-token"
#define TIMEOUT_MS 20000

static char server_addr[64];
static pid_t server_pid = -1;

/* ---- the checks every rank runs ----------------------------------------------------- */

/* Rank r sends rank d (r + d + 1) * 40000 int64 values, each r * 100 + d: parts of up to
 * 2.2 MB, so relayed messages cross the splice's buffers many times. */
static int64_t part_count(int r, int d) { return (int64_t)(r + d + 1) * 40000; }

static int check_collectives(cy_comm *c) {
  cy_error err;
  int fails = 0;
  int r = cy_comm_rank(c), w = cy_comm_world_size(c);
#define EXPECT(cond, ...)                                  \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "rank %d: ", r);                     \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
      fails++;                                             \
    }                                                      \
  } while (0)
  /* allreduce: sums of r + 1 and 10 r are w(w+1)/2 and 10 w(w-1)/2; max of 1.5 r. */
  int64_t sums[2] = {r + 1, 10 * r};
  cy_status st = cy_comm_allreduce(c, sums, 2, CY_REDUCE_INT64, CY_REDUCE_SUM, &err);
  EXPECT(st == CY_OK, "allreduce: %s", err.message);
  EXPECT(sums[0] == (int64_t)w * (w + 1) / 2 && sums[1] == 10 * (int64_t)w * (w - 1) / 2,
         "allreduce sums %lld %lld", (long long)sums[0], (long long)sums[1]);
  double mx = 1.5 * r;
  st = cy_comm_allreduce(c, &mx, 1, CY_REDUCE_FLOAT64, CY_REDUCE_MAX, &err);
  EXPECT(st == CY_OK && mx == 1.5 * (w - 1), "allreduce max %g: %s", mx, err.message);
  /* alltoall */
  int64_t **parts = calloc((size_t)w, sizeof *parts);
  int64_t *lens = calloc((size_t)w, sizeof *lens);
  for (int d = 0; d < w; d++) {
    parts[d] = malloc((size_t)part_count(r, d) * sizeof(int64_t));
    for (int64_t i = 0; i < part_count(r, d); i++) parts[d][i] = r * 100 + d;
    lens[d] = part_count(r, d) * (int64_t)sizeof(int64_t);
  }
  cy_buffer **got = NULL;
  st = cy_comm_alltoall(c, (const void *const *)parts, lens, &got, &err);
  EXPECT(st == CY_OK, "alltoall: %s", err.message);
  for (int s = 0; st == CY_OK && s < w; s++) {
    bool same = got[s]->size == part_count(s, r) * (int64_t)sizeof(int64_t);
    const int64_t *v = (const int64_t *)got[s]->data;
    for (int64_t i = 0; same && i < part_count(s, r); i++) same = v[i] == s * 100 + r;
    EXPECT(same, "alltoall: the part from rank %d is wrong (%lld bytes)", s,
           (long long)got[s]->size);
  }
  if (got) cy_comm_buffers_free(c, got);
  for (int d = 0; d < w; d++) free(parts[d]);
  free(parts);
  free(lens);
  /* allgather of "rank r" */
  char mine[32];
  snprintf(mine, sizeof mine, "rank %d", r);
  st = cy_comm_allgather(c, mine, (int64_t)strlen(mine), &got, &err);
  EXPECT(st == CY_OK, "allgather: %s", err.message);
  for (int s = 0; st == CY_OK && s < w; s++) {
    char want[32];
    snprintf(want, sizeof want, "rank %d", s);
    EXPECT(got[s]->size == (int64_t)strlen(want) && memcmp(got[s]->data, want, strlen(want)) == 0,
           "allgather: rank %d's entry is wrong", s);
  }
  if (got) cy_comm_buffers_free(c, got);
  st = cy_comm_barrier(c, &err);
  EXPECT(st == CY_OK, "barrier: %s", err.message);
#undef EXPECT
  return fails;
}

/* Open a communicator through the rendezvous (CYLON_RENDEZVOUS), check, print paths. */
static int worker_main(const char *want_path) {
  cy_error err;
  cy_comm_options o;
  cy_comm_options_init(&o);
  o.timeout_ms = TIMEOUT_MS;
  cy_comm *c = NULL;
  if (cy_comm_open(&o, &c, &err) != CY_OK) {
    fprintf(stderr, "cy_comm_open: %s\n", err.message);
    return 3;
  }
  int fails = check_collectives(c);
  char paths[256];
  cy_comm_paths(c, paths, sizeof paths);
  printf("rank %d paths: %s\n", cy_comm_rank(c), paths);
  fflush(stdout);
  for (int p = 0; want_path && p < cy_comm_world_size(c); p++) {
    if (p == cy_comm_rank(c)) continue;
    if (strcmp(cy_comm_path_name(cy_comm_peer_path(c, p)), want_path) != 0) {
      fprintf(stderr, "rank %d: the path to rank %d is %s, expected %s\n", cy_comm_rank(c), p,
              cy_comm_path_name(cy_comm_peer_path(c, p)), want_path);
      fails++;
    }
  }
  cy_comm_close(c);
  return fails ? 1 : 0;
}

/* ---- the server, in a child process -------------------------------------------------- */

static volatile int server_stop;
static void on_term(int sig) { (void)sig; server_stop = 1; }

static void start_server(void) {
  int fd, port, pipefd[2];
  cy_error err;
  if (pipe(pipefd) != 0) abort();
  OK(net_listen("127.0.0.1", 0, 64, &fd, &port, &err));
  pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    signal(SIGTERM, on_term);
    nat_server *s;
    nat_server_options o = {.token = TOKEN, .hello_seconds = 1.0,
                            .log = getenv("TEST_NAT_LOG") ? stderr : NULL};
    if (nat_server_new(fd, &o, &s, &err) != CY_OK) _exit(90);
    if (write(pipefd[1], "k", 1) != 1) _exit(91);
    close(pipefd[1]);
    cy_status st = nat_server_run(s, &server_stop, &err);
    nat_server_free(s);
    _exit(st == CY_OK ? 0 : 92);
  }
  close(fd);
  close(pipefd[1]);
  char k;
  CHECK(read(pipefd[0], &k, 1) == 1);
  close(pipefd[0]);
  server_pid = pid;
  snprintf(server_addr, sizeof server_addr, "127.0.0.1:%d", port);
}

static void stop_server(void) {
  int status = 0;
  kill(server_pid, SIGTERM);
  waitpid(server_pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- jobs on loopback --------------------------------------------------------------- */

static const char *want_path;
static int rank_ok(void *arg) {
  (void)arg;
  return worker_main(want_path);
}

static void run_job(int world, int (*fn)(void *), const int *want_codes) {
  cy_error err;
  int codes[8] = {0};
  cy_launch_options lo;
  cy_launch_options_init(&lo);
  lo.workers = world;
  lo.run = fn;
  lo.timeout_ms = TIMEOUT_MS;
  lo.grace_ms = 20000;
  lo.exit_codes = codes;
  cy_status st = cy_launch(&lo, &err);
  bool all_zero = true;
  for (int r = 0; r < world; r++) {
    int want = want_codes ? want_codes[r] : 0;
    all_zero = all_zero && want == 0;
    if (codes[r] != want) {
      fprintf(stderr, "rank %d exited with %d, expected %d\n", r, codes[r], want);
      test_failures++;
    }
  }
  if (all_zero) OK(st);
}

static void test_punched(void) {
  setenv("CYLON_RENDEZVOUS", server_addr, 1);
  setenv("CYLON_RENDEZVOUS_TOKEN", TOKEN, 1);
  unsetenv("CYLON_NAT_RELAY");
  want_path = "direct";
  run_job(4, rank_ok, NULL);
}

static void test_relayed(void) {
  setenv("CYLON_NAT_RELAY", "1", 1);
  want_path = "relay";
  run_job(4, rank_ok, NULL);
  unsetenv("CYLON_NAT_RELAY");
}

/* A rank that expects its communicator to fail with a message containing needle. */
static const char *needle;
static int rank_refused(void *arg) {
  (void)arg;
  cy_error err;
  cy_comm_options o;
  cy_comm_options_init(&o);
  o.timeout_ms = 3000;
  cy_comm *c = NULL;
  double t0 = cy_now();
  cy_status st = cy_comm_open(&o, &c, &err);
  double took = cy_now() - t0;
  if (st == CY_OK) {
    cy_comm_close(c);
    fprintf(stderr, "the communicator opened, but should have failed (%s)\n", needle);
    return 1;
  }
  if (strstr(err.message, needle) == NULL || took > 3.0) {
    fprintf(stderr, "expected a failure with '%s' within 3 s; got after %.2f s: %s\n", needle,
            took, err.message);
    return 1;
  }
  return 0;
}

static void test_wrong_token(void) {
  setenv("CYLON_RENDEZVOUS_TOKEN", "not-the-token", 1);
  needle = "wrong token";
  run_job(2, rank_refused, NULL);
  setenv("CYLON_RENDEZVOUS_TOKEN", TOKEN, 1);
}

/* Rank 2 of 3 never comes: the server tells the others, naming it, before they give up. */
static int rank_missing(void *arg) {
  (void)arg;
  if (atoi(getenv("CYLON_RANK")) == 2) return 0;
  return rank_refused(NULL);
}

static void test_missing_rank(void) {
  needle = "rank 2 of 3 never registered";
  run_job(3, rank_missing, NULL);
}

/* ---- raw requests ------------------------------------------------------------------- */

static int raw_connect(void) {
  char host[64];
  int port, fd = -1;
  cy_error err;
  OK(net_split_hostport(server_addr, host, sizeof host, &port, &err));
  OK(net_connect(host, port, cy_now() + 5, false, "the server", &fd, &err));
  return fd;
}

static void raw_send(int fd, const nat_request *rq) {
  net_msg m;
  CHECK(nat_request_encode(&m, rq));
  cy_error err;
  OK(net_write_all(fd, m.data, m.len, cy_now() + 5, "the server", &err));
  net_msg_free(&m);
}

/* The next reply on fd: its kind, and its text in text. */
static uint32_t raw_reply(int fd, char *text, size_t size, double seconds) {
  net_inbox in = {.max_len = 65536};
  cy_error err;
  nat_reply r;
  char why[256];
  uint32_t kind = 0;
  text[0] = 0;
  if (net_recv_msg(fd, &in, cy_now() + seconds, "the server", &err) == CY_OK &&
      nat_reply_parse(in.body, in.body_len, 2, &r, why, sizeof why)) {
    kind = r.kind;
    snprintf(text, size, "%s", r.text);
    nat_reply_reset(&r);
  } else {
    snprintf(text, size, "%s", err.message);
  }
  net_inbox_free(&in);
  return kind;
}

static nat_request request(nat_kind kind, const char *job, int rank, int world, int peer) {
  nat_request rq = {.kind = kind, .rank = rank, .world = world, .peer = peer, .wait_ms = 5000};
  snprintf(rq.token, sizeof rq.token, "%s", TOKEN);
  snprintf(rq.job, sizeof rq.job, "%s", job);
  return rq;
}

static void expect_refusal(const nat_request *rq, const char *raw, size_t raw_len,
                           uint32_t kind, const char *text) {
  int fd = raw_connect();
  if (rq) raw_send(fd, rq);
  cy_error err;
  if (raw) OK(net_write_all(fd, raw, raw_len, cy_now() + 5, "the server", &err));
  char got[1100];
  uint32_t k = raw_reply(fd, got, sizeof got, 5);
  if (k != kind || strstr(got, text) == NULL) {
    fprintf(stderr, "expected reply %u with '%s'; got %u: %s\n", kind, text, k, got);
    test_failures++;
  }
  close(fd);
}

static void test_raw_refusals(void) {
  /* garbage, with a plausible length */
  static const char garbage[] = "\x0c\x00\x00\x00GET / HTTP/1.0";
  expect_refusal(NULL, garbage, sizeof garbage - 1, NAT_REFUSED, "not a cylon rendezvous");
  /* a length beyond what the server reads */
  expect_refusal(NULL, "\xff\xff\xff\x7f", 4, NAT_REFUSED, "too long");
  nat_request rq = request(7, "j", 0, 2, -1);
  expect_refusal(&rq, NULL, 0, NAT_REFUSED, "unknown kind 7");
  rq = request(NAT_REGISTER, "j", 5, 2, -1);
  expect_refusal(&rq, NULL, 0, NAT_REFUSED, "rank 5 is outside the world of 2");
  rq = request(NAT_RELAY, "j", 1, 2, 1);
  expect_refusal(&rq, NULL, 0, NAT_REFUSED, "asked to be relayed to rank 1");
  rq = request(NAT_REGISTER, "j", 0, 2, -1);
  snprintf(rq.token, sizeof rq.token, "guess");
  expect_refusal(&rq, NULL, 0, NAT_REFUSED, "wrong token for job j");
  /* a duplicate registration and a world size that disagrees, while rank 0 waits */
  int first = raw_connect();
  rq = request(NAT_REGISTER, "dup", 0, 2, -1);
  raw_send(first, &rq);
  char text[1100];
  CHECK_EQ_INT(raw_reply(first, text, sizeof text, 5), NAT_REGISTERED);
  CHECK(strncmp(text, "127.0.0.1:", 10) == 0); /* the endpoint it saw */
  expect_refusal(&rq, NULL, 0, NAT_REFUSED, "rank 0 of job dup has already registered");
  rq = request(NAT_REGISTER, "dup", 1, 3, -1);
  expect_refusal(&rq, NULL, 0, NAT_REFUSED, "the world has 3 ranks, but it has 2");
  close(first);
  /* silence: dropped after the server's hello time (1 s here) */
  int fd = raw_connect();
  double t0 = cy_now();
  CHECK_EQ_INT(raw_reply(fd, text, sizeof text, 5), NAT_REFUSED);
  CHECK(strstr(text, "no request in time") != NULL && cy_now() - t0 < 4.0);
  close(fd);
  /* a relay whose peer never comes: failed after the wait, naming the peer */
  fd = raw_connect();
  rq = request(NAT_RELAY, "lonely", 0, 2, 1);
  rq.wait_ms = 500;
  raw_send(fd, &rq);
  CHECK_EQ_INT(raw_reply(fd, text, sizeof text, 5), NAT_FAILED);
  CHECK(strstr(text, "rank 1 never asked to be relayed to rank 0") != NULL);
  close(fd);
}

static void test_raw_splice(void) {
  int a = raw_connect(), b = raw_connect();
  nat_request ra = request(NAT_RELAY, "pair", 0, 2, 1), rb = request(NAT_RELAY, "pair", 1, 2, 0);
  raw_send(a, &ra);
  raw_send(b, &rb);
  char text[1100];
  CHECK_EQ_INT(raw_reply(a, text, sizeof text, 5), NAT_SPLICED);
  CHECK_EQ_INT(raw_reply(b, text, sizeof text, 5), NAT_SPLICED);
  cy_error err;
  char buf[16] = {0};
  OK(net_write_all(a, "ping", 4, cy_now() + 5, "a", &err));
  OK(net_read_all(b, buf, 4, cy_now() + 5, "b", &err));
  CHECK(memcmp(buf, "ping", 4) == 0);
  OK(net_write_all(b, "pong!", 5, cy_now() + 5, "b", &err));
  OK(net_read_all(a, buf, 5, cy_now() + 5, "a", &err));
  CHECK(memcmp(buf, "pong!", 5) == 0);
  /* a's end of stream reaches b, and b can still answer */
  shutdown(a, SHUT_WR);
  CHECK(net_read_all(b, buf, 1, cy_now() + 5, "b", &err) == CY_EIO &&
        strstr(err.message, "closed") != NULL);
  OK(net_write_all(b, "bye", 3, cy_now() + 5, "b", &err));
  OK(net_read_all(a, buf, 3, cy_now() + 5, "a", &err));
  CHECK(memcmp(buf, "bye", 3) == 0);
  close(a);
  close(b);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--worker") == 0)
    return worker_main(argc > 2 ? argv[2] : NULL);
  signal(SIGPIPE, SIG_IGN);
  start_server();
  test_raw_refusals();
  test_raw_splice();
  test_punched();
  test_relayed();
  test_wrong_token();
  test_missing_rank();
  stop_server();
  if (test_failures) fprintf(stderr, "%d check(s) failed\n", test_failures);
  return test_failures ? 1 : 0;
}
