/*
 * mpi_backend.c - the "mpi" communicator backend (OpenMPI from Debian), built only when
 * CMake finds MPI (CYLON_HAVE_MPI); without it comm.c says this build has no MPI.
 *
 * Rank and world come from MPI_COMM_WORLD (initialized here, with MPI_THREAD_MULTIPLE,
 * unless the program did it; then finalized at exit); they must agree with the bootstrap
 * ("env" reads OMPI_COMM_WORLD_RANK/SIZE, which mpirun sets). Each communicator works on
 * its own duplicate of MPI_COMM_WORLD, so two of them never mix.
 *
 * Point-to-point: MPI_Isend of any size (a message above INT_MAX bytes is sent as one
 * element of a derived type of 1 GiB blocks plus the rest); a receive does not know its
 * size, so it is matched with MPI_Improbe, sized with MPI_Get_elements_x and received with
 * MPI_Imrecv into a buffer of that size. Receives are matched in the order they were
 * posted, per source and tag, which keeps MPI's message order. Waits poll (MPI_Test,
 * MPI_Improbe), never blocking inside MPI, so every MPI call can run under one lock and
 * MPI's thread level does not matter; a wait fails when its peer was silent for the
 * timeout. Collectives: barrier, bcast and integer allreduce are MPI's own (nonblocking
 * ones, polled); the rest (gathers, alltoall, float reductions with their NaN order) are
 * the generic ones on point-to-point. Failures: cy_comm_abort is MPI_Abort, and a rank
 * that dies makes mpirun end the job.
 */
#include "net/comm_internal.h"

#ifdef CYLON_HAVE_MPI

#include <limits.h>
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BIG_BLOCK ((MPI_Count)1 << 30)

typedef struct mpi_req mpi_req;
struct mpi_req {
  bool is_send, matched, done;
  int32_t peer, tag;
  MPI_Request req;
  MPI_Datatype type; /* a derived type to free, or MPI_DATATYPE_NULL */
  cy_buffer *data;
  double started;
  mpi_req *next_posted; /* unmatched receives, in posting order */
  mpi_req *prev_all, *next_all;
};

typedef struct mpi_comm {
  cy_comm *comm;
  MPI_Comm mc;
  pthread_mutex_t lock; /* every MPI call, and the lists */
  mpi_req *posted, *all;
  bool failed;
  char why[sizeof(((cy_error *)0)->message)];
} mpi_comm;

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static void finalize_at_exit(void) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

/* MPI_Init_thread once per process, unless the program did. */
static cy_status ensure_init(cy_error *err) {
  pthread_mutex_lock(&init_lock);
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  cy_status st = CY_OK;
  if (finalized) {
    cy_error_set(err, "mpi backend: MPI is already finalized in this process");
    st = CY_EINVAL;
  } else if (!initialized) {
    int provided = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
      cy_error_set(err, "mpi backend: MPI_Init_thread failed");
      st = CY_EIO;
    } else {
      atexit(finalize_at_exit);
    }
  }
  pthread_mutex_unlock(&init_lock);
  return st;
}

/* The (count, type) that carries len bytes: bytes up to INT_MAX, else one element of
 * a derived type (1 GiB blocks and the rest), to free with MPI_Type_free. */
static int carrier(int64_t len, int *count, MPI_Datatype *type) {
  if (len <= INT_MAX) {
    *count = (int)len;
    *type = MPI_BYTE;
    return MPI_SUCCESS;
  }
  MPI_Datatype block, blocks;
  int rc = MPI_Type_contiguous((int)BIG_BLOCK, MPI_BYTE, &block);
  if (rc == MPI_SUCCESS) rc = MPI_Type_contiguous((int)(len / BIG_BLOCK), block, &blocks);
  if (rc != MPI_SUCCESS) return rc;
  int lens[2] = {1, (int)(len % BIG_BLOCK)};
  MPI_Aint displs[2] = {0, (MPI_Aint)(len / BIG_BLOCK * BIG_BLOCK)};
  MPI_Datatype types[2] = {blocks, MPI_BYTE};
  rc = MPI_Type_create_struct(2, lens, displs, types, type);
  if (rc == MPI_SUCCESS) rc = MPI_Type_commit(type);
  MPI_Type_free(&block);
  MPI_Type_free(&blocks);
  *count = 1;
  return rc;
}

static void pause_briefly(int *spins) {
  if ((*spins)++ < 100) return;
  struct timespec ts = {0, 50 * 1000};
  nanosleep(&ts, NULL);
}

static void fail_locked(mpi_comm *m, const char *why) {
  if (m->failed) return;
  m->failed = true;
  snprintf(m->why, sizeof m->why, "%s", why);
}

/* ---- requests ----------------------------------------------------------------------- */

static mpi_req *req_new(mpi_comm *m, bool is_send, int32_t peer, int32_t tag) {
  mpi_req *r = calloc(1, sizeof *r);
  if (r == NULL) return NULL;
  r->is_send = is_send;
  r->peer = peer;
  r->tag = tag;
  r->req = MPI_REQUEST_NULL;
  r->type = MPI_DATATYPE_NULL;
  r->started = cy_now();
  r->next_all = m->all;
  if (m->all) m->all->prev_all = r;
  m->all = r;
  return r;
}

static void req_free_locked(mpi_comm *m, mpi_req *r) {
  if (!r->is_send && !r->matched) {
    for (mpi_req **p = &m->posted; *p; p = &(*p)->next_posted)
      if (*p == r) {
        *p = r->next_posted;
        break;
      }
  }
  if (r->req != MPI_REQUEST_NULL) {
    /* never waited for: let it go (a send's data may be gone by now, so cancel) */
    MPI_Cancel(&r->req);
    MPI_Request_free(&r->req);
  }
  if (r->type != MPI_DATATYPE_NULL) MPI_Type_free(&r->type);
  if (r->prev_all) r->prev_all->next_all = r->next_all;
  else m->all = r->next_all;
  if (r->next_all) r->next_all->prev_all = r->prev_all;
  cy_buffer_release(r->data);
  free(r);
}

static cy_status mpi_isend(cy_comm *comm, int32_t dest, int32_t tag, const void *data,
                           int64_t len, cy_comm_request *req, cy_error *err) {
  mpi_comm *m = comm->impl;
  static const uint8_t nothing = 0;
  pthread_mutex_lock(&m->lock);
  mpi_req *r = req_new(m, true, dest, tag);
  int count, rc = MPI_ERR_OTHER;
  if (r) {
    rc = carrier(len, &count, &r->type);
    if (r->type == MPI_BYTE) r->type = MPI_DATATYPE_NULL;
    if (rc == MPI_SUCCESS)
      rc = MPI_Isend(len ? data : &nothing, count,
                     r->type == MPI_DATATYPE_NULL ? MPI_BYTE : r->type, dest, tag, m->mc,
                     &r->req);
  }
  if (rc != MPI_SUCCESS) {
    if (r) req_free_locked(m, r);
    pthread_mutex_unlock(&m->lock);
    cy_error_set(err, "mpi backend: MPI_Isend of %lld bytes to rank %d failed",
                 (long long)len, (int)dest);
    return r ? CY_EIO : CY_ENOMEM;
  }
  pthread_mutex_unlock(&m->lock);
  if (dest != comm->rank) atomic_fetch_add(&comm->bytes_sent, len);
  req->impl = r;
  return CY_OK;
}

static cy_status mpi_irecv(cy_comm *comm, int32_t src, int32_t tag, cy_comm_request *req,
                           cy_error *err) {
  mpi_comm *m = comm->impl;
  pthread_mutex_lock(&m->lock);
  mpi_req *r = req_new(m, false, src, tag);
  if (r) {
    mpi_req **p = &m->posted;
    while (*p) p = &(*p)->next_posted;
    *p = r;
  }
  pthread_mutex_unlock(&m->lock);
  if (r == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  req->impl = r;
  return CY_OK;
}

/* Match what can be matched: for each (source, tag), only its earliest posted receive
 * may take the next message, so messages keep their order. Lock held. */
static void match_posted(mpi_comm *m) {
  for (mpi_req **p = &m->posted; *p;) {
    mpi_req *r = *p;
    bool earlier = false;
    for (mpi_req *q = m->posted; q != r && !earlier; q = q->next_posted)
      earlier = q->peer == r->peer && q->tag == r->tag;
    int flag = 0;
    MPI_Message msg;
    MPI_Status status;
    if (!earlier) MPI_Improbe(r->peer, r->tag, m->mc, &flag, &msg, &status);
    if (!flag) {
      p = &r->next_posted;
      continue;
    }
    MPI_Count len = 0;
    MPI_Get_elements_x(&status, MPI_BYTE, &len);
    cy_error e;
    int count = 0, rc = MPI_ERR_OTHER;
    if (cy_buffer_alloc(len, &r->data, &e) == CY_OK) {
      r->data->size = len;
      rc = carrier(len, &count, &r->type);
      if (r->type == MPI_BYTE) r->type = MPI_DATATYPE_NULL;
    }
    if (rc == MPI_SUCCESS)
      rc = MPI_Imrecv(r->data->data, count, r->type == MPI_DATATYPE_NULL ? MPI_BYTE : r->type,
                      &msg, &r->req);
    if (rc != MPI_SUCCESS) {
      char why[160];
      snprintf(why, sizeof why, "mpi backend: cannot receive %lld bytes from rank %d",
               (long long)len, (int)r->peer);
      fail_locked(m, why);
      /* the matched message must still be taken off MPI's hands */
      MPI_Mrecv(NULL, 0, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
    }
    r->matched = true;
    *p = r->next_posted;
    r->next_posted = NULL;
  }
}

static cy_status mpi_wait_all(cy_comm *comm, int32_t n, cy_comm_request *reqs,
                              cy_error *err) {
  mpi_comm *m = comm->impl;
  double timeout = (double)comm->timeout_ms / 1000.0;
  int spins = 0;
  pthread_mutex_lock(&m->lock);
  for (;;) {
    bool all_done = true;
    int32_t late = -1;
    bool unmatched = false;
    for (int32_t i = 0; i < n; i++) unmatched |= reqs[i].impl && !((mpi_req *)reqs[i].impl)->is_send &&
                                                 !((mpi_req *)reqs[i].impl)->matched;
    if (unmatched) match_posted(m);
    double now = cy_now();
    for (int32_t i = 0; i < n; i++) {
      mpi_req *r = reqs[i].impl;
      if (r == NULL || r->done) continue;
      if (r->req != MPI_REQUEST_NULL) {
        int flag = 0;
        MPI_Test(&r->req, &flag, MPI_STATUS_IGNORE);
        if (flag) {
          r->done = true;
          continue;
        }
      }
      all_done = false;
      if (now - r->started > timeout && late < 0) late = r->peer;
    }
    if (all_done || m->failed) break;
    if (late >= 0) {
      char why[160];
      snprintf(why, sizeof why, "rank %d did not answer within %g s (mpi backend, rank %d "
               "waiting)", (int)late, timeout, (int)comm->rank);
      fail_locked(m, why);
      break;
    }
    pthread_mutex_unlock(&m->lock);
    pause_briefly(&spins);
    pthread_mutex_lock(&m->lock);
  }
  cy_status st = CY_OK;
  for (int32_t i = 0; i < n; i++) {
    mpi_req *r = reqs[i].impl;
    reqs[i].data = NULL;
    if (r == NULL) continue;
    /* All or nothing: the set fails only with the communicator, and then no receive
     * hands out its data. */
    if (r->done && !m->failed && !r->is_send) {
      reqs[i].data = r->data;
      if (r->peer != comm->rank) atomic_fetch_add(&comm->bytes_received, r->data->size);
      r->data = NULL;
    }
    if ((!r->done || m->failed) && st == CY_OK) {
      st = CY_EIO;
      cy_error_set(err, "%s", m->why);
    }
    req_free_locked(m, r);
    reqs[i].impl = NULL;
  }
  pthread_mutex_unlock(&m->lock);
  return st;
}

/* Poll a nonblocking collective to its end (deadline: the timeout). */
static cy_status wait_collective(mpi_comm *m, MPI_Request *req, const char *what,
                                 cy_error *err) {
  double deadline = comm_deadline_in(m->comm->timeout_ms);
  int spins = 0;
  for (;;) {
    int flag = 0;
    pthread_mutex_lock(&m->lock);
    MPI_Test(req, &flag, MPI_STATUS_IGNORE);
    bool late = !flag && cy_now() > deadline;
    if (late) {
      char why[160];
      snprintf(why, sizeof why, "mpi backend: %s did not finish within %g s on rank %d", what,
               (double)m->comm->timeout_ms / 1000.0, (int)m->comm->rank);
      fail_locked(m, why);
    }
    pthread_mutex_unlock(&m->lock);
    if (flag) return CY_OK;
    if (late) {
      cy_error_set(err, "%s", m->why);
      return CY_EIO;
    }
    pause_briefly(&spins);
  }
}

static cy_status check_failed(mpi_comm *m, cy_error *err) {
  pthread_mutex_lock(&m->lock);
  bool failed = m->failed;
  if (failed) cy_error_set(err, "%s", m->why);
  pthread_mutex_unlock(&m->lock);
  return failed ? CY_EIO : CY_OK;
}

static cy_status mpi_barrier(cy_comm *comm, cy_error *err) {
  mpi_comm *m = comm->impl;
  CY_RETURN_NOT_OK(check_failed(m, err));
  MPI_Request req;
  pthread_mutex_lock(&m->lock);
  MPI_Ibarrier(m->mc, &req);
  pthread_mutex_unlock(&m->lock);
  return wait_collective(m, &req, "a barrier", err);
}

static cy_status mpi_bcast(cy_comm *comm, int32_t root, const void *data, int64_t len,
                           cy_buffer **out, cy_error *err) {
  mpi_comm *m = comm->impl;
  CY_RETURN_NOT_OK(check_failed(m, err));
  int64_t n = comm->rank == root ? len : 0;
  MPI_Request req;
  pthread_mutex_lock(&m->lock);
  MPI_Ibcast(&n, 1, MPI_INT64_T, root, m->mc, &req);
  pthread_mutex_unlock(&m->lock);
  CY_RETURN_NOT_OK(wait_collective(m, &req, "a broadcast", err));
  cy_buffer *buf = NULL;
  if (comm->rank != root || out != NULL) {
    CY_RETURN_NOT_OK(cy_buffer_alloc(n, &buf, err));
    buf->size = n;
    if (comm->rank == root && n > 0) memcpy(buf->data, data, (size_t)n);
  }
  if (n > 0) {
    void *p = comm->rank == root ? (void *)data : buf->data;
    int count;
    MPI_Datatype type;
    pthread_mutex_lock(&m->lock);
    int rc = carrier(n, &count, &type);
    if (rc == MPI_SUCCESS) rc = MPI_Ibcast(p, count, type, root, m->mc, &req);
    if (type != MPI_BYTE) MPI_Type_free(&type);
    pthread_mutex_unlock(&m->lock);
    cy_status st = rc == MPI_SUCCESS ? wait_collective(m, &req, "a broadcast", err) : CY_EIO;
    if (rc != MPI_SUCCESS) cy_error_set(err, "mpi backend: MPI_Ibcast failed");
    if (st != CY_OK) {
      cy_buffer_release(buf);
      return st;
    }
  }
  if (out) *out = buf;
  else cy_buffer_release(buf);
  if (comm->rank != root) atomic_fetch_add(&comm->bytes_received, n);
  return CY_OK;
}

static cy_status mpi_allreduce(cy_comm *comm, void *values, int64_t n, cy_reduce_type type,
                               cy_reduce_op op, cy_error *err) {
  /* Floats keep the generic reduction: the same bits everywhere and NaN as the largest
   * value are promises MPI's MIN/MAX/SUM do not make. So do counts beyond an int. */
  if (type == CY_REDUCE_FLOAT64 || n > INT_MAX)
    return comm_generic_allreduce(comm, values, n, type, op, err);
  mpi_comm *m = comm->impl;
  CY_RETURN_NOT_OK(check_failed(m, err));
  if (n == 0) return mpi_barrier(comm, err);
  /* Integer sums wrap around: add as unsigned, which has the same bits. */
  MPI_Datatype t = type == CY_REDUCE_UINT64 || op == CY_REDUCE_SUM ? MPI_UINT64_T : MPI_INT64_T;
  MPI_Op o = op == CY_REDUCE_SUM ? MPI_SUM : op == CY_REDUCE_MIN ? MPI_MIN : MPI_MAX;
  MPI_Request req;
  pthread_mutex_lock(&m->lock);
  MPI_Iallreduce(MPI_IN_PLACE, values, (int)n, t, o, m->mc, &req);
  pthread_mutex_unlock(&m->lock);
  return wait_collective(m, &req, "an allreduce", err);
}

static void mpi_abort(cy_comm *comm, const char *why) {
  mpi_comm *m = comm->impl;
  fprintf(stderr, "cylon: rank %d aborts the MPI job: %s\n", (int)comm->rank, why);
  fflush(stderr);
  MPI_Abort(m->mc, 1);
}

static void mpi_free(mpi_comm *m) {
  pthread_mutex_lock(&m->lock);
  while (m->all) req_free_locked(m, m->all);
  if (m->mc != MPI_COMM_NULL) MPI_Comm_free(&m->mc);
  pthread_mutex_unlock(&m->lock);
  pthread_mutex_destroy(&m->lock);
  free(m);
}

static void mpi_close(cy_comm *comm) {
  mpi_comm *m = comm->impl;
  if (m == NULL) return;
  mpi_free(m);
  comm->impl = NULL;
}

static const comm_ops mpi_ops = {
    .isend = mpi_isend,
    .irecv = mpi_irecv,
    .wait_all = mpi_wait_all,
    .abort = mpi_abort,
    .close = mpi_close,
    .barrier = mpi_barrier,
    .bcast = mpi_bcast,
    .allreduce = mpi_allreduce,
};

cy_status comm_mpi_open(cy_comm *comm, comm_bootstrap *bs, const cy_comm_options *opts,
                        double deadline, cy_error *err) {
  (void)opts;
  (void)deadline;
  CY_RETURN_NOT_OK(ensure_init(err));
  int rank = 0, world = 0, *tag_ub = NULL, has_ub = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  if (rank != bs->rank || world != bs->world) {
    cy_error_set(err, "mpi backend: MPI says rank %d of %d, the bootstrap says rank %d of %d "
                 "(use the env bootstrap under mpirun)", rank, world, (int)bs->rank,
                 (int)bs->world);
    return CY_EINVAL;
  }
  MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &has_ub);
  if (!has_ub || *tag_ub < INT_MAX) {
    cy_error_set(err, "mpi backend: this MPI allows tags up to %d; cylon needs 2^31 - 1",
                 has_ub ? *tag_ub : -1);
    return CY_ENOTSUP;
  }
  mpi_comm *m = calloc(1, sizeof *m);
  if (m == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  m->comm = comm;
  pthread_mutex_init(&m->lock, NULL);
  if (MPI_Comm_dup(MPI_COMM_WORLD, &m->mc) != MPI_SUCCESS) {
    m->mc = MPI_COMM_NULL;
    mpi_free(m);
    cy_error_set(err, "mpi backend: MPI_Comm_dup failed");
    return CY_EIO;
  }
  comm->ops = &mpi_ops;
  comm->impl = m;
  return CY_OK;
}

#endif /* CYLON_HAVE_MPI */
