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
 * (OpenMPI, under mpirun with the "env" bootstrap; only in builds where CMake found MPI,
 * else a clear error), "redis" (messages through a Redis server, for places where ranks
 * cannot connect to each other: the server of a redis:// bootstrap, else CYLON_REDIS).
 * Bootstraps tell a rank its rank, the world size and its peers: "env" (MPI's or CYLON_*
 * variables), "embedded" (cylon run --workers N starts the ranks itself),
 * "redis://[[USER]:PASSWORD@]HOST:PORT" (ranks handed out by a counter of the job in Redis,
 * endpoints exchanged through its keys, which are deleted at the end; docs/bootstrap.md).
 *
 * Nothing waits forever: every wait has a deadline (cy_comm_options.timeout_ms), after which
 * it fails with an error naming the rank that did not answer; a rank whose connection
 * closes makes every wait on it fail at once.
 *
 * Failures are collective: in a bulk-synchronous job nothing useful follows a lost rank,
 * so a lost connection, a wait past its deadline, or cy_comm_abort fails the whole
 * communicator on every rank: each pending and future request fails promptly with the
 * first cause, which names the rank at fault. A communicator may be used from several
 * threads at once; collectives must be called in the same order on every rank.
 *
 * Environment (the "env" and "embedded" bootstraps): CYLON_RANK and CYLON_WORLD_SIZE (else
 * OMPI_COMM_WORLD_RANK / _SIZE or PMI_RANK / PMI_SIZE; else a world of one),
 * CYLON_BOOTSTRAP_ADDR (HOST:PORT of the rendezvous where ranks exchange addresses),
 * CYLON_BOOTSTRAP_SERVE=1 (rank 0 serves that rendezvous itself), CYLON_JOB (the job id),
 * CYLON_ADVERTISE_HOST (tcp: the host others reach this rank at, when not bind_host).
 * The redis bootstrap reads CYLON_JOB and CYLON_WORLD_SIZE (when the options leave them
 * unset); the redis backend reads CYLON_REDIS=redis://... when the bootstrap is not redis.
 * CYLON_RENDEZVOUS and CYLON_RENDEZVOUS_TOKEN: tcp pairs connect through a rendezvous
 * server (NAT traversal; docs/nat.md) instead of listening.
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
  void *into;        /**< cy_comm_irecv_into: where the message goes (NULL otherwise) */
  int64_t into_len;  /**< cy_comm_irecv_into: the bytes expected there */
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
  const char *job;        /**< job id: ranks of different jobs never connect; NULL = CYLON_JOB,
                               else "cylon" (the launcher makes a random one) */
  int32_t world_size;     /**< for bootstraps that need it (redis); 0 = from the environment
                               (CYLON_WORLD_SIZE); elsewhere, if set, it must match */
  int64_t timeout_ms;     /**< deadline of bootstrap (whole), and of every wait: a wait fails
                               when its peer has been silent this long; default 60000 */
  const char *bind_host;  /**< tcp: the address to listen on; default 127.0.0.1 */
  /** tcp: "HOST:PORT" of a rendezvous server (`cylon rendezvous`, docs/nat.md): pairs of
   *  ranks connect through it (hole punching through NATs, else relayed by it) instead of
   *  listening; NULL = CYLON_RENDEZVOUS, unset = none. The bootstrap then only tells
   *  ranks and the world size; the server exchanges the addresses. */
  const char *rendezvous;
  /** the job's token for the rendezvous (the server pairs no one without it); NULL =
   *  CYLON_RENDEZVOUS_TOKEN */
  const char *rendezvous_token;
  /** redis bootstrap: this process's rank when the caller has numbered its ranks already
   *  (a serverless job: the scheduler's rank names the rank everywhere, errors included),
   *  instead of the next one from the job's counter (which still counts arrivals); the
   *  caller keeps ranks distinct. -1 (default): take the next. Other bootstraps ignore it. */
  int32_t rank;
} cy_comm_options;

/** Defaults: tcp, env, timeout 60 s, 127.0.0.1, rank -1. */
void cy_comm_options_init(cy_comm_options *opts);
/** Join the world described by opts (bootstrap, then connect). */
cy_status cy_comm_open(const cy_comm_options *opts, cy_comm **out, cy_error *err);
/** Leave: finish pending sends, say goodbye and wait (within the deadline) for the peers'
 *  goodbyes, close connections, free. Requests never waited for are freed. NULL is
 *  allowed. */
void cy_comm_close(cy_comm *comm);
/** Fail the communicator on purpose (a rank hit an error the others cannot see): every
 *  pending and future request here and on every other rank fails with why, which is
 *  sent along. */
void cy_comm_abort(cy_comm *comm, const char *why);

int32_t cy_comm_rank(const cy_comm *comm);
int32_t cy_comm_world_size(const cy_comm *comm);
/** The backend's name ("tcp", "mpi", "redis"). */
const char *cy_comm_backend(const cy_comm *comm);

/** Start sending len bytes of data to rank dest with tag (0 <= tag < 2^30; higher tags are
 *  the collectives'). data must stay valid until cy_comm_wait returns for the request.
 *  Every started request must be waited for (or freed by cy_comm_close). */
cy_status cy_comm_isend(cy_comm *comm, int32_t dest, int32_t tag, const void *data, int64_t len,
                        cy_comm_request *req, cy_error *err);
/** Start receiving the next message from rank src with tag (any size). */
cy_status cy_comm_irecv(cy_comm *comm, int32_t src, int32_t tag, cy_comm_request *req,
                        cy_error *err);
/** Start receiving the next message from rank src with tag into the caller's memory: the
 *  message must be exactly len bytes (a message of another size fails the wait, naming
 *  both sizes). into must stay valid until cy_comm_wait returns for the request; after a
 *  successful wait the bytes are there and req->data is NULL. A backend that can, reads
 *  the message straight into it (tcp); the others copy it there when it is waited for. */
cy_status cy_comm_irecv_into(cy_comm *comm, int32_t src, int32_t tag, void *into, int64_t len,
                             cy_comm_request *req, cy_error *err);
/** Wait for a request to complete (or its deadline; the error names the peer). On return,
 *  success or not, the request is finished: a send's data is no longer used, and a
 *  receive's message is in req->data (the caller's reference; NULL on failure). Waiting
 *  for a zeroed request (impl NULL) does nothing. */
cy_status cy_comm_wait(cy_comm *comm, cy_comm_request *req, cy_error *err);
/** Wait for n requests; all of them are finished on return. When one fails, the
 *  communicator fails, so the others end at once; the first failure is reported, and no
 *  receive of the set returns data (one that did complete is dropped). */
cy_status cy_comm_wait_all(cy_comm *comm, int32_t n, cy_comm_request *reqs, cy_error *err);

/** Every rank waits until all have arrived. */
cy_status cy_comm_barrier(cy_comm *comm, cy_error *err);
/** root's buffer to every rank: on root, data is the input (len bytes) and *out, if out is
 *  not NULL, gets a copy; elsewhere data and len are ignored and *out gets a new buffer. */
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
/** Element-wise reduction of n values across ranks, result on every rank (in place; the
 *  same bits everywhere, floats included). Integer sums wrap around on overflow; for
 *  min and max of floats NaN is the largest value (DuckDB's order). */
cy_status cy_comm_allreduce(cy_comm *comm, void *values, int64_t n, cy_reduce_type type,
                            cy_reduce_op op, cy_error *err);
/** Release and free an array of world buffers from the collectives. */
void cy_comm_buffers_free(cy_comm *comm, cy_buffer **bufs);

/** Payload bytes sent to and received from other ranks so far (for metrics). */
void cy_comm_traffic(const cy_comm *comm, int64_t *sent, int64_t *received);

/* ---- direct transfers between ranks on one machine (direct.c) ---------------------- */

/** Collective: whether every rank can copy bytes straight into every other rank's memory
 *  (ranks of one machine, one user, one pid namespace: process_vm_writev, as MPI's
 *  shared-memory transports do), so that large transfers can skip the sockets. Every rank
 *  gets the same answer. The first call finds it out (an allgather, a test write to every
 *  peer and an allreduce); later calls return it without communicating. No when any rank
 *  has CYLON_DIRECT=0 in its environment, when ranks are on different machines, or when a
 *  test write fails (another user, a seccomp filter, a ptrace policy). */
cy_status cy_comm_direct_available(cy_comm *comm, bool *available, cy_error *err);
/** Whether this process allows direct transfers: true unless CYLON_DIRECT=0 is in its
 *  environment now (an operation may ask again each time, to let a caller switch). */
bool cy_comm_direct_wanted(void);
/** Copy n pieces of our memory (local[i], lens[i] bytes) into peer's memory at remote[i],
 *  addresses the peer gave us, once cy_comm_direct_available said yes. The bytes are there
 *  when this returns; the peer learns it from a message or collective sent afterwards.
 *  Fails, writing nothing more, once the communicator has failed. Counts as bytes sent. */
cy_status cy_comm_direct_write(cy_comm *comm, int32_t peer, int32_t n, const uint64_t *remote,
                               const void *const *local, const int64_t *lens, cy_error *err);
/** Keep buf (a reference is taken) until the communicator closes: for memory whose
 *  address peers were given when the transfer into it failed, as a peer may still be
 *  writing until it sees the failure. */
void cy_comm_direct_hold(cy_comm *comm, cy_buffer *buf);

/** How this rank's connection to a peer was made. */
typedef enum cy_comm_path {
  CY_COMM_PATH_SELF = 0, /**< the rank itself */
  CY_COMM_PATH_DIRECT,   /**< a direct connection (listen and connect, or punched through
                              NATs by simultaneous open) */
  CY_COMM_PATH_RELAY,    /**< relayed by the rendezvous server (punching failed) */
  CY_COMM_PATH_NONE      /**< a backend without connections of its own (mpi, redis) */
} cy_comm_path;

/** The path to peer (CY_COMM_PATH_NONE for a rank outside the world). */
cy_comm_path cy_comm_peer_path(const cy_comm *comm, int32_t peer);
/** "self", "direct", "relay" or "none". */
const char *cy_comm_path_name(cy_comm_path path);
/** This rank's path to every other rank, for a job's summary: "0:direct 2:relay 3:direct"
 *  (peers in rank order, this rank left out; cut to size - 1 bytes). Returns buf. */
char *cy_comm_paths(const cy_comm *comm, char *buf, size_t size);

/* ---------------------------------------------------------------------------------------
 * The rendezvous server for NAT traversal (`cylon rendezvous`, docs/nat.md)
 * ------------------------------------------------------------------------------------- */

typedef struct cy_rendezvous cy_rendezvous;

/** Listen on bind_host:port (NULL: every IPv4 address, "::" for IPv6 too; port 0: an
 *  ephemeral one) for ranks that hold token (required). With log, a line per event goes to
 *  standard error. */
cy_status cy_rendezvous_open(const char *bind_host, int port, const char *token, bool log,
                             cy_rendezvous **out, cy_error *err);
/** The port it listens on. */
int cy_rendezvous_port(const cy_rendezvous *server);
/** Serve until *stop turns non-zero (checked at least every 200 ms, e.g. from a signal
 *  handler). */
cy_status cy_rendezvous_run(cy_rendezvous *server, volatile int *stop, cy_error *err);
/** Jobs paired, connections refused and pairs relayed so far. */
void cy_rendezvous_counts(const cy_rendezvous *server, int64_t *paired, int64_t *refused,
                          int64_t *relayed);
/** Close every connection and free. NULL is allowed. */
void cy_rendezvous_close(cy_rendezvous *server);

/* ---------------------------------------------------------------------------------------
 * Launching ranks on this machine (the "embedded" bootstrap)
 * ------------------------------------------------------------------------------------- */

/** How cy_launch starts and watches its workers. */
typedef struct cy_launch_options {
  int32_t workers;        /**< ranks to start (>= 1) */
  const char *program;    /**< executable each worker runs (execv) ... */
  char *const *argv;      /**< ... with these arguments (argv[0] first, NULL-terminated) */
  /** When program is NULL: each worker is a fork of this process that returns run(ctx) as
   *  its exit status (call cy_launch from a single-threaded process then). */
  int (*run)(void *ctx);
  void *ctx;
  int64_t timeout_ms; /**< every rank must reach the rendezvous by then; default 60000 */
  int64_t grace_ms;   /**< after a worker fails, how long the others may take to end on
                           their own before they are killed; default 3000 */
  const char *job;    /**< job id; NULL = a random one */
  int *exit_codes;    /**< if not NULL: workers entries, filled with each worker's exit
                           status (128 + signal number when it was killed) */
} cy_launch_options;

/** Defaults: no workers, no program, timeout 60 s, grace 3 s. */
void cy_launch_options_init(cy_launch_options *opts);

/** Start opts->workers ranks on this machine and supervise them until all have ended.
 *  Each worker finds the others through a rendezvous on loopback that the launcher
 *  serves (CYLON_RANK, CYLON_WORLD_SIZE, CYLON_BOOTSTRAP_ADDR and CYLON_JOB are set for
 *  it; it opens its communicator with the "embedded" or "env" bootstrap). Each line a
 *  worker writes to standard error is passed on to ours prefixed "[rank r] ". When a
 *  worker fails or is killed, the others get grace_ms to end, then are killed, and the
 *  error names the rank that failed first. CY_OK when every worker exits with 0. */
cy_status cy_launch(const cy_launch_options *opts, cy_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CYLON_NET_H */
