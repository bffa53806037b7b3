/*
 * collective_checks.h - the communicator checks every backend's test runs on every rank
 * (test_collectives.c over tcp, test_redis_collectives.c over redis, test_mpi_collectives.c
 * over MPI): barrier, bcast, gather, allgather, alltoall, allreduce, point-to-point (also
 * into the caller's memory) and threads, each against hand-computed expectations.
 *
 * Every payload is a pattern computed from (source, destination, byte index), so a
 * receiver checks every byte against what the sender computed without having seen it.
 * Sizes come from a seeded generator that every rank runs identically, so all ranks agree
 * on who sends how much without telling each other. check_all runs them in order.
 */
#ifndef CYLON_TEST_COLLECTIVE_CHECKS_H
#define CYLON_TEST_COLLECTIVE_CHECKS_H

#include <math.h>
#include <pthread.h>
#include <unistd.h>

#include "test.h"

#define MB (1 << 20)

/* The big payloads (bcast 10 MB, alltoall 64 MB in all) are divided by this: backends
 * that are slow by design (redis) test the same shapes with less data. */
static int check_scale = 1;

static uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15u;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
  return x ^ (x >> 31);
}

/* Byte i of the message from src to dst in a test called what: byte i % 8 of word i / 8. */
static uint64_t key_of(int src, int dst, int what) {
  return mix(((uint64_t)what << 40) ^ ((uint64_t)src << 20) ^ (uint64_t)dst);
}

static void fill(uint8_t *p, int64_t len, uint64_t key) {
  int64_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w = mix(key ^ (uint64_t)(i / 8));
    memcpy(p + i, &w, 8);
  }
  if (i < len) {
    uint64_t w = mix(key ^ (uint64_t)(i / 8));
    memcpy(p + i, &w, (size_t)(len - i));
  }
}

/* True when p holds exactly the pattern of key. */
static bool matches(const uint8_t *p, int64_t len, uint64_t key) {
  for (int64_t i = 0; i < len; i += 8) {
    uint64_t w = mix(key ^ (uint64_t)(i / 8));
    if (memcmp(p + i, &w, (size_t)(len - i < 8 ? len - i : 8)) != 0) {
      fprintf(stderr, "pattern differs at byte %lld of %lld\n", (long long)i, (long long)len);
      return false;
    }
  }
  return true;
}

static uint8_t *pattern(int64_t len, uint64_t key) {
  uint8_t *p = malloc(len > 0 ? (size_t)len : 1);
  fill(p, len, key);
  return p;
}

typedef struct ctx {
  cy_comm *comm;
  int rank, world;
} ctx;

/* ---- the checks, run on every rank -------------------------------------------------- */

static void check_barrier(ctx *c) {
  cy_error err;
  for (int i = 0; i < 5; i++) OK(cy_comm_barrier(c->comm, &err));
}

static void check_bcast_one(ctx *c, int root, int64_t len, int what) {
  cy_error err;
  uint8_t *data = c->rank == root ? pattern(len, key_of(root, 0, what)) : NULL;
  cy_buffer *out = NULL;
  OK(cy_comm_bcast(c->comm, root, data, len, &out, &err));
  CHECK(out != NULL);
  if (out) {
    CHECK_EQ_INT(out->size, len);
    CHECK(out->size == len && matches(out->data, len, key_of(root, 0, what)));
  }
  cy_buffer_release(out);
  free(data);
}

static void check_bcast(ctx *c) {
  check_bcast_one(c, 0, 0, 1);
  check_bcast_one(c, c->world / 2, 1, 2);
  check_bcast_one(c, c->world - 1, 10 * 1000 * 1000 / check_scale, 3);
  /* on the root, out may be NULL */
  cy_error err;
  if (c->rank == 0) {
    OK(cy_comm_bcast(c->comm, 0, "x", 1, NULL, &err));
  } else {
    cy_buffer *out = NULL;
    OK(cy_comm_bcast(c->comm, 0, NULL, 0, &out, &err));
    CHECK(out && out->size == 1 && out->data[0] == 'x');
    cy_buffer_release(out);
  }
}

/* Rank r's contribution to the gathers: rank-dependent sizes, some of them zero. */
static int64_t gather_len(int r) { return r % 3 == 0 ? 0 : (int64_t)r * 100003 + 5; }

static void check_gathered(ctx *c, cy_buffer **bufs, int what) {
  for (int r = 0; r < c->world; r++) {
    CHECK(bufs[r] != NULL);
    if (bufs[r] == NULL) continue;
    CHECK_EQ_INT(bufs[r]->size, gather_len(r));
    CHECK(bufs[r]->size == gather_len(r) && matches(bufs[r]->data, gather_len(r),
                                                    key_of(r, 0, what)));
  }
}

static void check_gather(ctx *c) {
  cy_error err;
  for (int root = 0; root < c->world; root += c->world > 2 ? c->world - 1 : 1) {
    uint8_t *mine = pattern(gather_len(c->rank), key_of(c->rank, 0, 4));
    cy_buffer **bufs = NULL;
    OK(cy_comm_gather(c->comm, root, mine, gather_len(c->rank), &bufs, &err));
    if (c->rank == root) {
      CHECK(bufs != NULL);
      if (bufs) check_gathered(c, bufs, 4);
    } else {
      CHECK(bufs == NULL);
    }
    cy_comm_buffers_free(c->comm, bufs);
    free(mine);
  }
}

static void check_allgather(ctx *c) {
  cy_error err;
  uint8_t *mine = pattern(gather_len(c->rank), key_of(c->rank, 0, 5));
  cy_buffer **bufs = NULL;
  OK(cy_comm_allgather(c->comm, mine, gather_len(c->rank), &bufs, &err));
  CHECK(bufs != NULL);
  if (bufs) check_gathered(c, bufs, 5);
  cy_comm_buffers_free(c->comm, bufs);
  free(mine);
}

/* alltoallv sizes: 64 MB over all pairs, a fifth of them empty, odd sizes, seeded. */
static int64_t *alltoall_sizes(int world) {
  int64_t *sizes = calloc((size_t)(world * world), sizeof *sizes);
  uint64_t weights = 0, *w = calloc((size_t)(world * world), sizeof *w);
  for (int i = 0; i < world * world; i++) {
    uint64_t x = mix(42 + (uint64_t)i * 7919 + (uint64_t)world);
    w[i] = x % 5 == 0 ? 0 : 1 + (x >> 8) % 1000;
    weights += w[i];
  }
  for (int i = 0; i < world * world && weights > 0; i++)
    sizes[i] = (int64_t)((double)w[i] / (double)weights * 64.0 * MB / check_scale) + (w[i] ? i % 7 : 0);
  free(w);
  return sizes;
}

static void check_alltoall(ctx *c) {
  cy_error err;
  int64_t *sizes = alltoall_sizes(c->world);
  const void **parts = calloc((size_t)c->world, sizeof *parts);
  int64_t *lens = calloc((size_t)c->world, sizeof *lens);
  for (int d = 0; d < c->world; d++) {
    lens[d] = sizes[c->rank * c->world + d];
    parts[d] = pattern(lens[d], key_of(c->rank, d, 6));
  }
  cy_buffer **bufs = NULL;
  OK(cy_comm_alltoall(c->comm, parts, lens, &bufs, &err));
  for (int s = 0; bufs && s < c->world; s++) {
    int64_t want = sizes[s * c->world + c->rank];
    CHECK(bufs[s] && bufs[s]->size == want);
    if (bufs[s] && bufs[s]->size == want && !matches(bufs[s]->data, want, key_of(s, c->rank, 6))) {
      fprintf(stderr, "alltoall: the part from rank %d to rank %d differs\n", s, c->rank);
      test_failures++;
    }
  }
  cy_comm_buffers_free(c->comm, bufs);
  for (int d = 0; d < c->world; d++) free((void *)parts[d]);
  free(parts);
  free(lens);
  free(sizes);
}

static void check_allreduce_ints(ctx *c) {
  cy_error err;
  enum { N = 1000 };
  int64_t v[N];
  for (int op = CY_REDUCE_SUM; op <= CY_REDUCE_MAX; op++) {
    for (int i = 0; i < N; i++) v[i] = (int64_t)c->rank * 1000 + i - 500 * (i % 3);
    OK(cy_comm_allreduce(c->comm, v, N, CY_REDUCE_INT64, (cy_reduce_op)op, &err));
    for (int i = 0; i < N; i++) {
      int64_t want = op == CY_REDUCE_MAX ? INT64_MIN : op == CY_REDUCE_MIN ? INT64_MAX : 0;
      for (int r = 0; r < c->world; r++) {
        int64_t x = (int64_t)r * 1000 + i - 500 * (i % 3);
        want = op == CY_REDUCE_SUM ? want + x : op == CY_REDUCE_MIN ? (x < want ? x : want)
                                                                    : (x > want ? x : want);
      }
      if (v[i] != want) {
        CHECK_EQ_INT(v[i], want);
        break;
      }
    }
  }
  uint64_t u[3] = {UINT64_MAX - (uint64_t)c->rank, (uint64_t)1 << 63 | (uint64_t)c->rank, 7};
  OK(cy_comm_allreduce(c->comm, u, 3, CY_REDUCE_UINT64, CY_REDUCE_MIN, &err));
  CHECK(u[0] == UINT64_MAX - (uint64_t)(c->world - 1) && u[1] == (uint64_t)1 << 63 && u[2] == 7);
  OK(cy_comm_allreduce(c->comm, NULL, 0, CY_REDUCE_UINT64, CY_REDUCE_SUM, &err));
}

static void check_allreduce_floats(ctx *c) {
  cy_error err;
  double d[4] = {c->rank + 0.5, -c->rank * 0.25, c->rank == 1 ? NAN : 1.0, 3.0};
  double sum[4], mn[4], mx[4];
  memcpy(sum, d, sizeof d), memcpy(mn, d, sizeof d), memcpy(mx, d, sizeof d);
  OK(cy_comm_allreduce(c->comm, sum, 4, CY_REDUCE_FLOAT64, CY_REDUCE_SUM, &err));
  OK(cy_comm_allreduce(c->comm, mn, 4, CY_REDUCE_FLOAT64, CY_REDUCE_MIN, &err));
  OK(cy_comm_allreduce(c->comm, mx, 4, CY_REDUCE_FLOAT64, CY_REDUCE_MAX, &err));
  double w = c->world, s0 = w * (w - 1) / 2 + 0.5 * w, s1 = -0.25 * w * (w - 1) / 2;
  CHECK(sum[0] == s0 && sum[1] == s1 && sum[3] == 3.0 * w);
  CHECK(c->world > 1 ? isnan(sum[2]) : sum[2] == 1.0);
  CHECK(mn[0] == 0.5 && mn[1] == -0.25 * (w - 1) && mn[2] == 1.0 && mn[3] == 3.0);
  CHECK(mx[0] == w - 0.5 && mx[1] == 0.0 && (c->world > 1 ? isnan(mx[2]) : mx[2] == 1.0));
}

/* Point to point: order within a tag, tags matched independently, messages to ourselves,
 * sizes across frame boundaries, receives posted before and after the messages came. */
static void check_p2p(ctx *c) {
  cy_error err;
  int to = (c->rank + 1) % c->world, from = (c->rank - 1 + c->world) % c->world;
  const int64_t sizes[4] = {0, 3, 2 * MB + 5, MB};
  uint8_t *out[4];
  cy_comm_request sends[5], recvs[5];
  for (int i = 0; i < 4; i++) {
    out[i] = pattern(sizes[i], key_of(c->rank, to, 10 + i));
    OK(cy_comm_isend(c->comm, to, i == 3 ? 6 : 5, out[i], sizes[i], &sends[i], &err));
  }
  OK(cy_comm_isend(c->comm, c->rank, 9, "self", 4, &sends[4], &err));
  if (c->rank % 2) OK(cy_comm_barrier(c->comm, &err)); /* odd ranks receive late */
  OK(cy_comm_irecv(c->comm, from, 6, &recvs[3], &err));
  for (int i = 0; i < 3; i++) OK(cy_comm_irecv(c->comm, from, 5, &recvs[i], &err));
  OK(cy_comm_irecv(c->comm, c->rank, 9, &recvs[4], &err));
  if (c->rank % 2 == 0) OK(cy_comm_barrier(c->comm, &err));
  OK(cy_comm_wait_all(c->comm, 5, recvs, &err));
  OK(cy_comm_wait_all(c->comm, 5, sends, &err));
  for (int i = 0; i < 4; i++) {
    cy_buffer *b = recvs[i].data;
    CHECK(b && b->size == sizes[i] && matches(b->data, sizes[i], key_of(from, c->rank, 10 + i)));
    cy_buffer_release(b);
    free(out[i]);
  }
  CHECK(recvs[4].data && recvs[4].data->size == 4 && memcmp(recvs[4].data->data, "self", 4) == 0);
  cy_buffer_release(recvs[4].data);
  cy_comm_request zero;
  memset(&zero, 0, sizeof zero);
  OK(cy_comm_wait(c->comm, &zero, &err));
}

/* Receives into the caller's memory: posted before the messages come (tcp reads them
 * straight there) and after (copied there), one spanning several frames; a message of
 * another size fails its wait, naming both sizes. */
static void check_p2p_into(ctx *c) {
  cy_error err;
  int to = (c->rank + 1) % c->world, from = (c->rank - 1 + c->world) % c->world;
  const int64_t sizes[4] = {0, 5, 2 * MB + 5, MB};
  uint8_t *out[4], *in[4];
  cy_comm_request sends[5], recvs[5];
  for (int i = 0; i < 4; i++) {
    out[i] = pattern(sizes[i], key_of(c->rank, to, 20 + i));
    in[i] = calloc((size_t)sizes[i] + 1, 1);
  }
  for (int i = 0; i < 2; i++)
    OK(cy_comm_irecv_into(c->comm, from, 11, in[i], sizes[i], &recvs[i], &err));
  OK(cy_comm_barrier(c->comm, &err));
  for (int i = 0; i < 4; i++) OK(cy_comm_isend(c->comm, to, 11, out[i], sizes[i], &sends[i], &err));
  OK(cy_comm_isend(c->comm, to, 12, "seven..", 7, &sends[4], &err));
  OK(cy_comm_barrier(c->comm, &err));
  for (int i = 2; i < 4; i++)
    OK(cy_comm_irecv_into(c->comm, from, 11, in[i], sizes[i], &recvs[i], &err));
  OK(cy_comm_wait_all(c->comm, 4, recvs, &err));
  for (int i = 0; i < 4; i++)
    CHECK(recvs[i].data == NULL && matches(in[i], sizes[i], key_of(from, c->rank, 20 + i)));
  uint8_t eight[8];
  OK(cy_comm_irecv_into(c->comm, from, 12, eight, 8, &recvs[4], &err));
  FAILS(cy_comm_wait(c->comm, &recvs[4], &err), CY_EINVAL, "7 bytes where 8");
  OK(cy_comm_wait_all(c->comm, 5, sends, &err));
  for (int i = 0; i < 4; i++) {
    free(out[i]);
    free(in[i]);
  }
}

static void check_bad_arguments(ctx *c) {
  cy_error err;
  cy_comm_request req;
  FAILS(cy_comm_isend(c->comm, 0, 1 << 30, NULL, 0, &req, &err), CY_EINVAL, "tag");
  FAILS(cy_comm_irecv(c->comm, c->world, 0, &req, &err), CY_EINVAL, "outside the world");
  FAILS(cy_comm_isend(c->comm, 0, 0, NULL, 5, &req, &err), CY_EINVAL, "5 bytes");
  FAILS(cy_comm_bcast(c->comm, -1, NULL, 0, NULL, &err), CY_EINVAL, "root -1");
}

/* Two threads exchanging on the same communicator with their own tags. */
typedef struct thread_arg {
  ctx *c;
  int tag;
  int failures;
} thread_arg;

static void *ring_thread(void *p) {
  thread_arg *a = p;
  ctx *c = a->c;
  cy_error err;
  int to = (c->rank + 1) % c->world, from = (c->rank - 1 + c->world) % c->world;
  for (int i = 0; i < 50; i++) {
    int64_t len = 1000 * i + a->tag;
    uint8_t *data = pattern(len, key_of(c->rank, to, a->tag * 100 + i));
    cy_comm_request r[2];
    bool ok = cy_comm_irecv(c->comm, from, a->tag, &r[0], &err) == CY_OK &&
              cy_comm_isend(c->comm, to, a->tag, data, len, &r[1], &err) == CY_OK &&
              cy_comm_wait_all(c->comm, 2, r, &err) == CY_OK;
    ok = ok && r[0].data->size == len &&
         matches(r[0].data->data, len, key_of(from, c->rank, a->tag * 100 + i));
    a->failures += !ok;
    if (ok) cy_buffer_release(r[0].data);
    free(data);
    if (!ok) break;
  }
  return NULL;
}

static void check_threads(ctx *c) {
  pthread_t t[2];
  thread_arg a[2] = {{c, 100, 0}, {c, 101, 0}};
  for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, ring_thread, &a[i]);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  CHECK_EQ_INT(a[0].failures + a[1].failures, 0);
}

/* Every check, in the same order on every rank; times per check on rank 0 with
 * NET_TEST_TIMES=1. Returns the process's exit status. */
static int check_all(cy_comm *comm, int world, const char *backend) {
  cy_error err;
  ctx c = {comm, cy_comm_rank(comm), cy_comm_world_size(comm)};
  CHECK_EQ_INT(c.world, world);
  CHECK_EQ_STR(cy_comm_backend(comm), backend);
  double t0 = cy_now();
#define TIMED(call) do { double t_ = cy_now(); call; if (getenv("NET_TEST_TIMES") && c.rank == 0) fprintf(stderr, "%s %.3f\n", #call, cy_now() - t_); } while (0)
  TIMED(check_barrier(&c));
  TIMED(check_bcast(&c));
  TIMED(check_gather(&c));
  TIMED(check_allgather(&c));
  TIMED(check_alltoall(&c));
  TIMED(check_allreduce_ints(&c));
  TIMED(check_allreduce_floats(&c));
  TIMED(check_p2p(&c));
  TIMED(check_p2p_into(&c));
  TIMED(check_threads(&c));
  TIMED(check_bad_arguments(&c));
#undef TIMED
  OK(cy_comm_barrier(comm, &err));
  int64_t sent, received;
  cy_comm_traffic(comm, &sent, &received);
  CHECK(world == 1 ? sent == 0 && received == 0 : sent > 0 && received > 0);
  if (c.rank == 0)
    fprintf(stderr, "%s, %d ranks: checks took %.2f s, rank 0 sent %.1f MB\n", backend, world,
            cy_now() - t0, (double)sent / MB);
  return test_failures ? 1 : 0;
}

#endif
