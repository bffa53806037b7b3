/*
 * cylon/net.h - the net layer: communicators between ranks, and how ranks find each other.
 *
 * A communicator (cy_comm) joins `world` processes, each with a rank in [0, world). It moves
 * byte messages between ranks, without blocking the caller (isend / irecv, then wait), in
 * any size, and offers the collectives the distributed operators need (barrier, bcast,
 * gather(v), allgather(v), alltoall(v), allreduce), built on point-to-point messages unless
 * a backend has its own (MPI). Messages between one pair of ranks with one tag arrive in the
 * order they were sent.
 *
 * Backends: "tcp" (a full mesh of sockets: the default for local runs and serverless), "mpi"
 * (OpenMPI), "redis" (messages through a Redis server, for places where ranks cannot
 * connect to each other). Bootstraps tell a rank its rank, the world size and its peers:
 * "env" (MPI's or CYLON_* variables), "embedded" (cylon run --workers N starts the ranks
 * itself), "redis" (a job key in Redis; docs/bootstrap.md).
 *
 * Nothing waits forever: every wait has a deadline (cy_comm_options.timeout_ms), after which
 * it fails with an error naming the rank that did not answer; a rank whose connection
 * closes makes every wait on it fail at once.
 */
#ifndef CYLON_NET_H
#define CYLON_NET_H

#include "cylon/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cy_comm cy_comm;

/** A message in flight. Filled by cy_comm_isend / cy_comm_irecv; wait for it with
 *  cy_comm_wait. */
typedef struct cy_comm_request {
  void *impl;        /**< the backend's state */
  cy_buffer *data;   /**< for a receive, once complete: the message (caller's reference) */
  int32_t peer, tag;
} cy_comm_request;

/** Operations of reductions. */
typedef enum cy_reduce_op { CY_REDUCE_SUM = 0, CY_REDUCE_MIN, CY_REDUCE_MAX } cy_reduce_op;
/** Element types of reductions. */
typedef enum cy_reduce_type {
  CY_REDUCE_INT64 = 0,
  CY_REDUCE_UINT64,
  CY_REDUCE_FLOAT64
} cy_reduce_type;

typedef struct cy_comm_options {
  const char *backend;    /**< "tcp" (default), "mpi", "redis" */
  const char *bootstrap;  /**< "env" (default), "embedded", "redis://[:PASSWORD@]HOST:PORT" */
  const char *job;        /**< job id for the redis bootstrap and channel */
  int32_t world_size;     /**< for bootstraps that need it (redis); 0 = from the environment */
  int64_t timeout_ms;     /**< deadline of every wait and of bootstrap; default 60000 */
  const char *bind_host;  /**< tcp: the address to listen on; default 127.0.0.1 */
} cy_comm_options;

void cy_comm_options_init(cy_comm_options *opts);
/** Join the world described by opts (bootstrap, then connect). */
cy_status cy_comm_open(const cy_comm_options *opts, cy_comm **out, cy_error *err);
/** Leave: finish pending sends, close connections, free. */
void cy_comm_close(cy_comm *comm);

int32_t cy_comm_rank(const cy_comm *comm);
int32_t cy_comm_world_size(const cy_comm *comm);
/** The backend's name ("tcp", "mpi", "redis"). */
const char *cy_comm_backend(const cy_comm *comm);

/** Start sending len bytes of data to rank dest with tag (0 <= tag < 2^30; higher tags are
 *  the collectives'). data must stay valid until the request completes. */
cy_status cy_comm_isend(cy_comm *comm, int32_t dest, int32_t tag, const void *data, int64_t len,
                        cy_comm_request *req, cy_error *err);
/** Start receiving the next message from rank src with tag (any size). */
cy_status cy_comm_irecv(cy_comm *comm, int32_t src, int32_t tag, cy_comm_request *req,
                        cy_error *err);
/** Wait for a request to complete (or its deadline; the error names the peer). */
cy_status cy_comm_wait(cy_comm *comm, cy_comm_request *req, cy_error *err);
/** Wait for n requests. */
cy_status cy_comm_wait_all(cy_comm *comm, int32_t n, cy_comm_request *reqs, cy_error *err);

/** Every rank waits until all have arrived. */
cy_status cy_comm_barrier(cy_comm *comm, cy_error *err);
/** root's buffer to every rank: on root, *data is input (len bytes); elsewhere *out gets a
 *  new buffer. */
cy_status cy_comm_bcast(cy_comm *comm, int32_t root, const void *data, int64_t len,
                        cy_buffer **out, cy_error *err);
/** Every rank's bytes, in rank order, to root (gatherv: sizes may differ); on root *out
 *  gets world buffers (the caller releases each and frees the array), NULL elsewhere. */
cy_status cy_comm_gather(cy_comm *comm, int32_t root, const void *data, int64_t len,
                         cy_buffer ***out, cy_error *err);
/** Every rank's bytes to every rank (allgatherv). */
cy_status cy_comm_allgather(cy_comm *comm, const void *data, int64_t len, cy_buffer ***out,
                            cy_error *err);
/** Rank r sends parts[d] (lens[d] bytes) to rank d and receives from every rank
 *  (alltoallv); *out gets world buffers, in source rank order. */
cy_status cy_comm_alltoall(cy_comm *comm, const void *const *parts, const int64_t *lens,
                           cy_buffer ***out, cy_error *err);
/** Element-wise reduction of n values across ranks, result on every rank (in place). */
cy_status cy_comm_allreduce(cy_comm *comm, void *values, int64_t n, cy_reduce_type type,
                            cy_reduce_op op, cy_error *err);
/** Release and free an array of world buffers from the collectives. */
void cy_comm_buffers_free(cy_comm *comm, cy_buffer **bufs);

/** Bytes sent and received so far (for metrics). */
void cy_comm_traffic(const cy_comm *comm, int64_t *sent, int64_t *received);

#ifdef __cplusplus
}
#endif

#endif /* CYLON_NET_H */
