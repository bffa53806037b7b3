/*
 * collectives.c - the collectives, built on non-blocking point-to-point messages, for
 * backends that have none of their own.
 *
 * Each call takes the communicator's next sequence number (every rank calls collectives
 * in the same order, so they agree on it) and tags its messages with it and a round
 * number above 2^30 (comm_coll_tag): a fast rank may start the next collective while a
 * slow one still finishes this one, and their messages never mix. Messages are self-sized
 * (a receive gets a buffer of whatever length was sent), so no round is spent on sizes.
 *
 *   barrier     dissemination: ceil(log2 P) rounds, rank r tells r + 2^k, hears r - 2^k
 *   bcast       binomial tree from the root: each rank forwards the buffer it received
 *   gather      every rank sends to the root, which receives from all at once
 *   allgather   ring: P - 1 steps, each rank passes on the block it got the step before,
 *               so every link carries each block once
 *   alltoall    every receive and send posted at once (sends in a rotated order, so ranks
 *               do not all start with rank 0), then one wait
 *   allreduce   binomial reduction to rank 0, then bcast: the result is computed once,
 *               so every rank gets the same bits (floats included)
 *
 * When posting fails part way, the communicator is failed (cy_comm_abort semantics) so the
 * requests already posted end at once, and all of them are waited for before returning:
 * nothing is left referring to the caller's memory.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net/comm_internal.h"

static uint32_t next_seq(cy_comm *comm) { return atomic_fetch_add(&comm->coll_seq, 1); }

/* Wait for n posted requests; post_status is a posting failure (with its message in err)
 * to report after the posted ones are finished. On failure no message is kept: those
 * that did arrive are released (and their data set to NULL). */
static cy_status finish(cy_comm *comm, cy_comm_request *reqs, int32_t n, cy_status post_status,
                        cy_error *err) {
  cy_status st = post_status;
  if (post_status == CY_OK) {
    st = cy_comm_wait_all(comm, n, reqs, err);
  } else {
    comm->ops->abort(comm, err ? err->message : "a collective failed");
    cy_comm_wait_all(comm, n, reqs, NULL);
  }
  for (int32_t i = 0; i < n && st != CY_OK; i++) {
    cy_buffer_release(reqs[i].data);
    reqs[i].data = NULL;
  }
  return st;
}

static cy_status out_of_memory(cy_error *err) {
  cy_error_set(err, "out of memory");
  return CY_ENOMEM;
}

static cy_status copy_buffer(const void *data, int64_t len, cy_buffer **out, cy_error *err) {
  CY_RETURN_NOT_OK(cy_buffer_alloc(len, out, err));
  if (len > 0) memcpy((*out)->data, data, (size_t)len);
  return CY_OK;
}

cy_status comm_generic_barrier(cy_comm *comm, cy_error *err) {
  int32_t p = comm->world, r = comm->rank;
  uint32_t seq = next_seq(comm);
  int round = 0;
  for (int32_t dist = 1; dist < p; dist <<= 1, round++) {
    cy_comm_request reqs[2];
    int32_t tag = comm_coll_tag(seq, round), n = 0;
    cy_status st = comm_irecv(comm, (r - dist + p) % p, tag, &reqs[0], err);
    if (st == CY_OK) {
      n = 1;
      st = comm_isend(comm, (r + dist) % p, tag, NULL, 0, &reqs[1], err);
      if (st == CY_OK) n = 2;
    }
    CY_RETURN_NOT_OK(finish(comm, reqs, n, st, err));
    cy_buffer_release(reqs[0].data);
  }
  return CY_OK;
}

/* The binomial tree of a bcast seen from virtual rank v (root = 0): v's parent is v minus
 * its lowest set bit; its children are v + m for the powers of two m below that bit. */
static int32_t lowest_bit_or_p(int32_t v, int32_t p) {
  int32_t m = 1;
  while (m < p && !(v & m)) m <<= 1;
  return m;
}

cy_status comm_generic_bcast(cy_comm *comm, int32_t root, const void *data, int64_t len,
                             cy_buffer **out, cy_error *err) {
  int32_t p = comm->world, v = (comm->rank - root + p) % p;
  uint32_t seq = next_seq(comm);
  int32_t tag = comm_coll_tag(seq, 0);
  int32_t top = lowest_bit_or_p(v, p);
  cy_buffer *got = NULL;
  if (v != 0) {
    cy_comm_request req;
    CY_RETURN_NOT_OK(comm_irecv(comm, (v - top + root) % p, tag, &req, err));
    CY_RETURN_NOT_OK(cy_comm_wait(comm, &req, err));
    got = req.data;
    data = got->data;
    len = got->size;
  }
  cy_comm_request reqs[32];
  int32_t n = 0;
  cy_status st = CY_OK;
  for (int32_t m = top >> 1; m >= 1 && st == CY_OK; m >>= 1) {
    if (v + m >= p) continue;
    st = comm_isend(comm, (v + m + root) % p, tag, data, len, &reqs[n], err);
    if (st == CY_OK) n++;
  }
  st = finish(comm, reqs, n, st, err);
  if (st == CY_OK && v == 0 && out) st = copy_buffer(data, len, out, err);
  else if (st == CY_OK && v != 0) *out = got, got = NULL;
  cy_buffer_release(got);
  return st;
}

static cy_buffer **new_buffers(int32_t p) { return calloc((size_t)p, sizeof(cy_buffer *)); }

static void free_buffers(cy_buffer **bufs, int32_t p) {
  if (bufs == NULL) return;
  for (int32_t i = 0; i < p; i++) cy_buffer_release(bufs[i]);
  free(bufs);
}

cy_status comm_generic_gather(cy_comm *comm, int32_t root, const void *data, int64_t len,
                              cy_buffer ***out, cy_error *err) {
  int32_t p = comm->world, r = comm->rank;
  int32_t tag = comm_coll_tag(next_seq(comm), 0);
  if (r != root) {
    cy_comm_request req;
    CY_RETURN_NOT_OK(comm_isend(comm, root, tag, data, len, &req, err));
    return cy_comm_wait(comm, &req, err);
  }
  cy_buffer **bufs = new_buffers(p);
  cy_comm_request *reqs = calloc((size_t)p, sizeof *reqs);
  int32_t n = 0;
  cy_status st = bufs && reqs ? copy_buffer(data, len, &bufs[r], err) : out_of_memory(err);
  for (int32_t k = 1; k < p && st == CY_OK; k++) {
    st = comm_irecv(comm, (r + k) % p, tag, &reqs[n], err);
    if (st == CY_OK) n++;
  }
  if (reqs) st = finish(comm, reqs, n, st, err);
  for (int32_t i = 0; i < n && st == CY_OK; i++) bufs[reqs[i].peer] = reqs[i].data;
  free(reqs);
  if (st != CY_OK) free_buffers(bufs, p);
  else *out = bufs;
  return st;
}

cy_status comm_generic_allgather(cy_comm *comm, const void *data, int64_t len,
                                 cy_buffer ***out, cy_error *err) {
  int32_t p = comm->world, r = comm->rank;
  uint32_t seq = next_seq(comm);
  cy_buffer **bufs = new_buffers(p);
  cy_status st = bufs ? copy_buffer(data, len, &bufs[r], err) : out_of_memory(err);
  int32_t left = (r - 1 + p) % p, right = (r + 1) % p;
  for (int32_t step = 0; step < p - 1 && st == CY_OK; step++) {
    int32_t tag = comm_coll_tag(seq, step), n = 0;
    const cy_buffer *pass = bufs[(r - step + p) % p];
    cy_comm_request reqs[2];
    st = comm_irecv(comm, left, tag, &reqs[0], err);
    if (st == CY_OK) {
      n = 1;
      st = comm_isend(comm, right, tag, pass->data, pass->size, &reqs[1], err);
      if (st == CY_OK) n = 2;
    }
    st = finish(comm, reqs, n, st, err);
    if (st == CY_OK) bufs[(r - step - 1 + p) % p] = reqs[0].data;
  }
  if (st != CY_OK) free_buffers(bufs, p);
  else *out = bufs;
  return st;
}

cy_status comm_generic_alltoall(cy_comm *comm, const void *const *parts, const int64_t *lens,
                                cy_buffer ***out, cy_error *err) {
  int32_t p = comm->world, r = comm->rank;
  int32_t tag = comm_coll_tag(next_seq(comm), 0);
  cy_buffer **bufs = new_buffers(p);
  cy_comm_request *reqs = calloc((size_t)(2 * p), sizeof *reqs);
  int32_t n = 0;
  cy_status st = bufs && reqs ? CY_OK : out_of_memory(err);
  for (int32_t k = 1; k < p && st == CY_OK; k++) {
    st = comm_irecv(comm, (r - k + p) % p, tag, &reqs[n], err);
    if (st == CY_OK) n++;
  }
  int32_t nrecv = n;
  for (int32_t k = 1; k < p && st == CY_OK; k++) {
    int32_t d = (r + k) % p;
    st = comm_isend(comm, d, tag, parts[d], lens[d], &reqs[n], err);
    if (st == CY_OK) n++;
  }
  if (st == CY_OK) st = copy_buffer(parts[r], lens[r], &bufs[r], err);
  if (reqs) st = finish(comm, reqs, n, st, err);
  for (int32_t i = 0; i < nrecv && st == CY_OK; i++) bufs[reqs[i].peer] = reqs[i].data;
  free(reqs);
  if (st != CY_OK) free_buffers(bufs, p);
  else *out = bufs;
  return st;
}

/* ---- allreduce ---------------------------------------------------------------------- */

/* NaN is the largest float: it wins a max, and loses a min to any number. */
static double fmin_nan_last(double a, double b) { return isnan(a) ? b : isnan(b) ? a : a < b ? a : b; }
static double fmax_nan_last(double a, double b) {
  return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
}

/* acc[i] = acc[i] op in[i]. */
static void combine(void *acc, const void *in, int64_t n, cy_reduce_type type, cy_reduce_op op) {
  if (type == CY_REDUCE_FLOAT64) {
    double *a = acc, b;
    for (int64_t i = 0; i < n; i++) {
      memcpy(&b, (const uint8_t *)in + 8 * i, 8);
      a[i] = op == CY_REDUCE_SUM ? a[i] + b : op == CY_REDUCE_MIN ? fmin_nan_last(a[i], b)
                                                                   : fmax_nan_last(a[i], b);
    }
  } else if (type == CY_REDUCE_INT64) {
    int64_t *a = acc, b;
    for (int64_t i = 0; i < n; i++) {
      memcpy(&b, (const uint8_t *)in + 8 * i, 8);
      a[i] = op == CY_REDUCE_SUM ? (int64_t)((uint64_t)a[i] + (uint64_t)b)
             : op == CY_REDUCE_MIN ? (b < a[i] ? b : a[i])
                                   : (b > a[i] ? b : a[i]);
    }
  } else {
    uint64_t *a = acc, b;
    for (int64_t i = 0; i < n; i++) {
      memcpy(&b, (const uint8_t *)in + 8 * i, 8);
      a[i] = op == CY_REDUCE_SUM ? a[i] + b : op == CY_REDUCE_MIN ? (b < a[i] ? b : a[i])
                                                                  : (b > a[i] ? b : a[i]);
    }
  }
}

/* Binomial reduction to rank 0: at bit m, a rank with that bit set sends its partial
 * result to rank - m and is done; the others take one from rank + m. */
static cy_status reduce_to_zero(cy_comm *comm, void *values, int64_t n, cy_reduce_type type,
                                cy_reduce_op op, cy_error *err) {
  int32_t p = comm->world, r = comm->rank;
  uint32_t seq = next_seq(comm);
  int round = 0;
  for (int32_t m = 1; m < p; m <<= 1, round++) {
    cy_comm_request req;
    int32_t tag = comm_coll_tag(seq, round);
    if (r & m) {
      CY_RETURN_NOT_OK(comm_isend(comm, r - m, tag, values, n * 8, &req, err));
      return cy_comm_wait(comm, &req, err);
    }
    if (r + m >= p) continue;
    CY_RETURN_NOT_OK(comm_irecv(comm, r + m, tag, &req, err));
    CY_RETURN_NOT_OK(cy_comm_wait(comm, &req, err));
    cy_status st = CY_OK;
    if (req.data->size != n * 8) {
      cy_error_set(err, "allreduce: rank %d sent %lld values, this rank has %lld",
                   (int)(r + m), (long long)(req.data->size / 8), (long long)n);
      st = CY_EINVAL;
    } else {
      combine(values, req.data->data, n, type, op);
    }
    cy_buffer_release(req.data);
    CY_RETURN_NOT_OK(st);
  }
  return CY_OK;
}

cy_status comm_generic_allreduce(cy_comm *comm, void *values, int64_t n, cy_reduce_type type,
                                 cy_reduce_op op, cy_error *err) {
  if (comm->world == 1) return CY_OK;
  cy_status st = reduce_to_zero(comm, values, n, type, op, err);
  if (st != CY_OK) {
    comm->ops->abort(comm, err ? err->message : "allreduce failed");
    return st;
  }
  cy_buffer *result = NULL;
  CY_RETURN_NOT_OK(comm_generic_bcast(comm, 0, values, n * 8, comm->rank ? &result : NULL, err));
  if (comm->rank != 0 && result->size != n * 8) {
    cy_error_set(err, "allreduce: rank 0 has %lld values, this rank has %lld",
                 (long long)(result->size / 8), (long long)n);
    st = CY_EINVAL;
  } else if (comm->rank != 0 && n > 0) {
    memcpy(values, result->data, (size_t)(n * 8));
  }
  cy_buffer_release(result);
  return st;
}
