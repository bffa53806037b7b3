/*
 * comm_internal.h - what the net layer's files share: the cy_comm struct with its backend
 * table, the bootstrap interface, tags and deadlines.
 *
 * A communicator is a thin generic shell (comm.c) around a backend. The shell validates
 * arguments, counts traffic and owns the collective sequence number; the backend moves
 * bytes (comm_ops: isend, irecv, wait, close) and may bring native collectives (MPI
 * does); where it does not, collectives.c builds them on point-to-point messages.
 *
 * How ranks find each other is a bootstrap's job (comm_bootstrap): it learns this rank's
 * rank and the world size, and exchanges one endpoint string per rank (a backend that
 * needs addresses, like tcp, calls its allgather once). Backends and bootstraps are looked
 * up by name in small tables in comm.c, so the redis and MPI ones slot in there.
 */
#ifndef CYLON_NET_COMM_INTERNAL_H
#define CYLON_NET_COMM_INTERNAL_H

#include <stdatomic.h>

#include "cylon/net.h"

/* Tags at and above this are the collectives' (users get [0, 2^30)). */
#define COMM_COLL_TAG_BASE (1 << 30)
/* Longest job id the bootstraps and handshakes carry. */
#define COMM_JOB_MAX 128
/* Longest endpoint string ("host:port"). */
#define COMM_ENDPOINT_MAX 300
/* Default deadline of waits and bootstrap. */
#define COMM_DEFAULT_TIMEOUT_MS 60000

/* ---- bootstraps --------------------------------------------------------------------- */

typedef struct comm_bootstrap comm_bootstrap;

struct comm_bootstrap {
  int32_t rank, world;
  char job[COMM_JOB_MAX];
  /* Give every rank's endpoint string to every rank: on success *all holds world
   * malloc'd strings in rank order (free with comm_strings_free). Called at most once. */
  cy_status (*allgather)(comm_bootstrap *bs, const char *mine, char ***all, double deadline,
                         cy_error *err);
  /* Free what the bootstrap holds (and, for redis, delete the job's keys). */
  void (*release)(comm_bootstrap *bs);
  void *state;
};

/* Start a bootstrap: fill rank, world, job and the functions, or fail by the deadline. */
typedef cy_status (*comm_bootstrap_open_fn)(const cy_comm_options *opts, double deadline,
                                            comm_bootstrap *out, cy_error *err);

/* bootstrap.c: "env" (CYLON_* or MPI variables) and "embedded" (started by cy_launch). */
cy_status comm_bootstrap_env(const cy_comm_options *opts, double deadline,
                             comm_bootstrap *out, cy_error *err);
cy_status comm_bootstrap_embedded(const cy_comm_options *opts, double deadline,
                                  comm_bootstrap *out, cy_error *err);

/* redis_bootstrap.c: "redis://[[USER]:PASSWORD@]HOST:PORT" (docs/bootstrap.md). */
cy_status comm_bootstrap_redis(const cy_comm_options *opts, double deadline,
                               comm_bootstrap *out, cy_error *err);

void comm_strings_free(char **strings, int32_t n);

/* ---- backends ----------------------------------------------------------------------- */

/* A backend's functions. isend/irecv/wait/close are required; a collective left NULL is
 * built on point-to-point messages by collectives.c. Backends may be called from several
 * threads at once. */
typedef struct comm_ops {
  /* Start a send or receive; req->impl gets the backend's state. Tags are unchecked here
   * (the collectives use the reserved ones). */
  cy_status (*isend)(cy_comm *comm, int32_t dest, int32_t tag, const void *data, int64_t len,
                     cy_comm_request *req, cy_error *err);
  cy_status (*irecv)(cy_comm *comm, int32_t src, int32_t tag, cy_comm_request *req,
                     cy_error *err);
  /* Optional: receive into the caller's memory (req->into, req->into_len are set). The
   * message may still come back in req->data (then the shell copies it into place); one
   * read straight into req->into comes back as a buffer whose data is req->into. */
  cy_status (*irecv_into)(cy_comm *comm, int32_t src, int32_t tag, void *into, int64_t len,
                          cy_comm_request *req, cy_error *err);
  /* Wait for n requests; on return every one of them is finished and its impl freed (a
   * receive's message in req->data on success). The first failure is reported. */
  cy_status (*wait_all)(cy_comm *comm, int32_t n, cy_comm_request *reqs, cy_error *err);
  /* Fail the communicator here and on every peer (first cause wins). */
  void (*abort)(cy_comm *comm, const char *why);
  /* Finish pending sends, say goodbye, free the backend's state. */
  void (*close)(cy_comm *comm);

  /* Native collectives, optional (same contracts as the public functions). */
  cy_status (*barrier)(cy_comm *comm, cy_error *err);
  cy_status (*bcast)(cy_comm *comm, int32_t root, const void *data, int64_t len,
                     cy_buffer **out, cy_error *err);
  cy_status (*gather)(cy_comm *comm, int32_t root, const void *data, int64_t len,
                      cy_buffer ***out, cy_error *err);
  cy_status (*allgather)(cy_comm *comm, const void *data, int64_t len, cy_buffer ***out,
                         cy_error *err);
  cy_status (*alltoall)(cy_comm *comm, const void *const *parts, const int64_t *lens,
                        cy_buffer ***out, cy_error *err);
  cy_status (*allreduce)(cy_comm *comm, void *values, int64_t n, cy_reduce_type type,
                         cy_reduce_op op, cy_error *err);
} comm_ops;

/* Join the world a started bootstrap describes: fill comm->ops and comm->impl. The
 * bootstrap is released by the caller afterwards. */
typedef cy_status (*comm_backend_open_fn)(cy_comm *comm, comm_bootstrap *bs,
                                          const cy_comm_options *opts, double deadline,
                                          cy_error *err);

/* tcp.c */
cy_status comm_tcp_open(cy_comm *comm, comm_bootstrap *bs, const cy_comm_options *opts,
                        double deadline, cy_error *err);
#ifdef CYLON_HAVE_MPI
/* mpi_backend.c: OpenMPI (only in builds where CMake found MPI). */
cy_status comm_mpi_open(cy_comm *comm, comm_bootstrap *bs, const cy_comm_options *opts,
                        double deadline, cy_error *err);
#endif
/* redis_backend.c: messages through Redis (the redis:// bootstrap's server, or
 * CYLON_REDIS). */
cy_status comm_redis_open(cy_comm *comm, comm_bootstrap *bs, const cy_comm_options *opts,
                          double deadline, cy_error *err);

struct cy_comm {
  int32_t rank, world;
  const char *backend_name;
  const comm_ops *ops;
  void *impl;
  int64_t timeout_ms;
  char job[COMM_JOB_MAX];
  _Atomic uint32_t coll_seq; /* collectives started so far (all ranks agree) */
  _Atomic int64_t bytes_sent, bytes_received;
  uint8_t *paths; /* per peer, how its connection was made (cy_comm_path); NULL: every
                     peer DIRECT for tcp, NONE otherwise (nat_paths.c) */
  _Atomic bool failed; /* set by the backend when the communicator fails (comm_mark_failed) */
  /* direct.c: 0 not asked yet, 1 direct transfers work, -1 they do not; the peers' pids;
   * the probe array peers write into; buffers held until close */
  int8_t direct;
  int64_t *direct_pids;
  uint8_t *direct_probe;
  cy_buffer **held;
  int32_t num_held, held_cap;
};

/* The communicator has failed (backends call it where they record their first cause). */
static inline void comm_mark_failed(cy_comm *comm) { atomic_store(&comm->failed, true); }

/* direct.c: free what cy_comm_direct_* kept (at close, after the backend's close). */
void comm_direct_release(cy_comm *comm);

/* ---- collectives.c ------------------------------------------------------------------ */

/* The tag of a collective's round: base | sequence | round, so that two collectives never
 * mix even when a fast rank starts the next before a slow one has finished this one. */
static inline int32_t comm_coll_tag(uint32_t seq, int round) {
  return (int32_t)(COMM_COLL_TAG_BASE | ((seq & 0xFFFFFu) << 10) | ((uint32_t)round & 0x3FFu));
}

/* Point-to-point with any tag (the public functions keep users below the collectives'). */
cy_status comm_isend(cy_comm *comm, int32_t dest, int32_t tag, const void *data, int64_t len,
                     cy_comm_request *req, cy_error *err);
cy_status comm_irecv(cy_comm *comm, int32_t src, int32_t tag, cy_comm_request *req,
                     cy_error *err);

cy_status comm_generic_barrier(cy_comm *comm, cy_error *err);
cy_status comm_generic_bcast(cy_comm *comm, int32_t root, const void *data, int64_t len,
                             cy_buffer **out, cy_error *err);
cy_status comm_generic_gather(cy_comm *comm, int32_t root, const void *data, int64_t len,
                              cy_buffer ***out, cy_error *err);
cy_status comm_generic_allgather(cy_comm *comm, const void *data, int64_t len,
                                 cy_buffer ***out, cy_error *err);
cy_status comm_generic_alltoall(cy_comm *comm, const void *const *parts, const int64_t *lens,
                                cy_buffer ***out, cy_error *err);
cy_status comm_generic_allreduce(cy_comm *comm, void *values, int64_t n, cy_reduce_type type,
                                 cy_reduce_op op, cy_error *err);

/* ---- time --------------------------------------------------------------------------- */

/* Absolute monotonic time (cy_now seconds) ms milliseconds from now. */
static inline double comm_deadline_in(int64_t ms) { return cy_now() + (double)ms / 1000.0; }

#endif
