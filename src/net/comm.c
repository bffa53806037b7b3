/*
 * comm.c - the communicator shell: options, the backend and bootstrap tables, argument
 * checks, and dispatch to the backend (or to the generic collectives).
 *
 * Opening a communicator is: find the bootstrap by name and start it (rank, world size,
 * job id), find the backend by name and let it join the world through the bootstrap,
 * release the bootstrap. Both lookups go through the small tables below; an entry
 * without a function is a name we know but this build does not offer (the mpi backend
 * when CMake found no MPI), which gives a clear error rather than "unknown".
 */
#include <stdlib.h>
#include <string.h>

#include "net/comm_internal.h"

typedef struct backend_def {
  const char *name;
  comm_backend_open_fn open; /* NULL: not in this build */
  const char *why_missing;   /* and why */
} backend_def;

#ifdef CYLON_HAVE_MPI
#define COMM_MPI_OPEN comm_mpi_open
#else
#define COMM_MPI_OPEN NULL
#endif

static const backend_def backends[] = {
    {"tcp", comm_tcp_open, NULL},
    {"mpi", COMM_MPI_OPEN,
     "this build has no MPI (CMake found none: install libopenmpi-dev, e.g. with "
     "scripts/install-deps, and rebuild)"},
    {"redis", comm_redis_open, NULL},
};

typedef struct bootstrap_def {
  const char *name; /* the whole name, or a prefix ending in "://" */
  comm_bootstrap_open_fn open;
} bootstrap_def;

static const bootstrap_def bootstraps[] = {
    {"env", comm_bootstrap_env},
    {"embedded", comm_bootstrap_embedded},
    {"redis://", comm_bootstrap_redis},
};

void cy_comm_options_init(cy_comm_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->backend = "tcp";
  opts->bootstrap = "env";
  opts->timeout_ms = COMM_DEFAULT_TIMEOUT_MS;
  opts->bind_host = "127.0.0.1";
  opts->rank = -1;
}

static bool name_matches(const char *def, const char *name) {
  size_t n = strlen(def);
  bool prefix = n > 3 && strcmp(def + n - 3, "://") == 0;
  return prefix ? strncmp(def, name, n) == 0 : strcmp(def, name) == 0;
}

static cy_status find_bootstrap(const char *name, comm_bootstrap_open_fn *out, cy_error *err) {
  for (size_t i = 0; i < sizeof bootstraps / sizeof bootstraps[0]; i++) {
    if (!name_matches(bootstraps[i].name, name)) continue;
    if (bootstraps[i].open == NULL) {
      cy_error_set(err, "the bootstrap '%s' is not available in this build", name);
      return CY_ENOTSUP;
    }
    *out = bootstraps[i].open;
    return CY_OK;
  }
  cy_error_set(err, "unknown bootstrap '%s' (env, embedded or redis://HOST:PORT)", name);
  return CY_EINVAL;
}

static cy_status find_backend(const char *name, const backend_def **out, cy_error *err) {
  for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
    if (strcmp(backends[i].name, name) != 0) continue;
    if (backends[i].open == NULL) {
      cy_error_set(err, "the communicator backend '%s' is not available: %s", name,
                   backends[i].why_missing ? backends[i].why_missing : "not in this build");
      return CY_ENOTSUP;
    }
    *out = &backends[i];
    return CY_OK;
  }
  cy_error_set(err, "unknown communicator backend '%s' (tcp, mpi or redis)", name);
  return CY_EINVAL;
}

cy_status cy_comm_open(const cy_comm_options *opts, cy_comm **out, cy_error *err) {
  cy_comm_options o;
  if (opts) o = *opts;
  else cy_comm_options_init(&o);
  if (o.backend == NULL) o.backend = "tcp";
  if (o.bootstrap == NULL) o.bootstrap = "env";
  if (o.timeout_ms <= 0) o.timeout_ms = COMM_DEFAULT_TIMEOUT_MS;
  *out = NULL;
  const backend_def *backend;
  comm_bootstrap_open_fn bootstrap;
  CY_RETURN_NOT_OK(find_backend(o.backend, &backend, err));
  CY_RETURN_NOT_OK(find_bootstrap(o.bootstrap, &bootstrap, err));
  cy_comm *c = calloc(1, sizeof *c);
  if (c == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  double deadline = comm_deadline_in(o.timeout_ms);
  comm_bootstrap bs;
  cy_status st = bootstrap(&o, deadline, &bs, err);
  if (st != CY_OK) {
    free(c);
    return st;
  }
  c->rank = bs.rank;
  c->world = bs.world;
  c->backend_name = backend->name;
  c->timeout_ms = o.timeout_ms;
  snprintf(c->job, sizeof c->job, "%s", bs.job);
  st = backend->open(c, &bs, &o, deadline, err);
  bs.release(&bs);
  if (st != CY_OK) {
    free(c->paths);
    free(c);
    return st;
  }
  *out = c;
  return CY_OK;
}

void cy_comm_close(cy_comm *comm) {
  if (comm == NULL) return;
  comm->ops->close(comm);
  comm_direct_release(comm);
  free(comm->paths);
  free(comm);
}

void cy_comm_abort(cy_comm *comm, const char *why) {
  comm->ops->abort(comm, why ? why : "aborted");
}

int32_t cy_comm_rank(const cy_comm *comm) { return comm->rank; }
int32_t cy_comm_world_size(const cy_comm *comm) { return comm->world; }
const char *cy_comm_backend(const cy_comm *comm) { return comm->backend_name; }

void cy_comm_traffic(const cy_comm *comm, int64_t *sent, int64_t *received) {
  if (sent) *sent = atomic_load(&comm->bytes_sent);
  if (received) *received = atomic_load(&comm->bytes_received);
}

/* ---- point to point ----------------------------------------------------------------- */

static cy_status check_peer(const cy_comm *comm, const char *what, int32_t peer,
                            cy_comm_request *req, cy_error *err) {
  if (req == NULL) {
    cy_error_set(err, "%s: no request to fill", what);
    return CY_EINVAL;
  }
  memset(req, 0, sizeof *req);
  if (peer < 0 || peer >= comm->world) {
    cy_error_set(err, "%s: rank %d is outside the world of %d", what, (int)peer,
                 (int)comm->world);
    return CY_EINVAL;
  }
  return CY_OK;
}

cy_status comm_isend(cy_comm *comm, int32_t dest, int32_t tag, const void *data, int64_t len,
                     cy_comm_request *req, cy_error *err) {
  CY_RETURN_NOT_OK(check_peer(comm, "send", dest, req, err));
  if (len < 0 || (len > 0 && data == NULL)) {
    cy_error_set(err, "send: %lld bytes at %p", (long long)len, data);
    return CY_EINVAL;
  }
  req->peer = dest;
  req->tag = tag;
  return comm->ops->isend(comm, dest, tag, data, len, req, err);
}

cy_status comm_irecv(cy_comm *comm, int32_t src, int32_t tag, cy_comm_request *req,
                     cy_error *err) {
  CY_RETURN_NOT_OK(check_peer(comm, "receive", src, req, err));
  req->peer = src;
  req->tag = tag;
  return comm->ops->irecv(comm, src, tag, req, err);
}

static cy_status check_tag(int32_t tag, cy_error *err) {
  if (tag >= 0 && tag < COMM_COLL_TAG_BASE) return CY_OK;
  cy_error_set(err, "tag %d is outside [0, 2^30) (higher tags are the collectives')",
               (int)tag);
  return CY_EINVAL;
}

cy_status cy_comm_isend(cy_comm *comm, int32_t dest, int32_t tag, const void *data, int64_t len,
                        cy_comm_request *req, cy_error *err) {
  CY_RETURN_NOT_OK(check_tag(tag, err));
  return comm_isend(comm, dest, tag, data, len, req, err);
}

cy_status cy_comm_irecv(cy_comm *comm, int32_t src, int32_t tag, cy_comm_request *req,
                        cy_error *err) {
  CY_RETURN_NOT_OK(check_tag(tag, err));
  return comm_irecv(comm, src, tag, req, err);
}

cy_status cy_comm_irecv_into(cy_comm *comm, int32_t src, int32_t tag, void *into, int64_t len,
                             cy_comm_request *req, cy_error *err) {
  CY_RETURN_NOT_OK(check_tag(tag, err));
  CY_RETURN_NOT_OK(check_peer(comm, "receive", src, req, err));
  if (len < 0 || (len > 0 && into == NULL)) {
    cy_error_set(err, "receive: %lld bytes into %p", (long long)len, into);
    return CY_EINVAL;
  }
  req->peer = src;
  req->tag = tag;
  req->into = into;
  req->into_len = len;
  if (comm->ops->irecv_into) return comm->ops->irecv_into(comm, src, tag, into, len, req, err);
  return comm->ops->irecv(comm, src, tag, req, err);
}

cy_status cy_comm_wait(cy_comm *comm, cy_comm_request *req, cy_error *err) {
  return cy_comm_wait_all(comm, 1, req, err);
}

/* A received message of an irecv_into request to its place (unless the backend read it
 * there already); the first failure is kept in *st. */
static void land_message(cy_comm_request *req, cy_status *st, cy_error *err) {
  cy_buffer *b = req->data;
  req->data = NULL;
  if (b == NULL) return;
  if (b->size != req->into_len) {
    if (*st == CY_OK)
      cy_error_set(err, "receive from rank %d: a message of %lld bytes where %lld were expected",
                   (int)req->peer, (long long)b->size, (long long)req->into_len);
    *st = *st == CY_OK ? CY_EINVAL : *st;
  } else if (b->data != req->into && b->size > 0) {
    memcpy(req->into, b->data, (size_t)b->size);
  }
  cy_buffer_release(b);
}

cy_status cy_comm_wait_all(cy_comm *comm, int32_t n, cy_comm_request *reqs, cy_error *err) {
  if (n <= 0) return CY_OK;
  cy_status st = comm->ops->wait_all(comm, n, reqs, err);
  for (int32_t i = 0; i < n; i++)
    if (reqs[i].into) land_message(&reqs[i], &st, err);
  return st;
}

/* ---- collectives: the backend's own, else the generic ones -------------------------- */

cy_status cy_comm_barrier(cy_comm *comm, cy_error *err) {
  return comm->ops->barrier ? comm->ops->barrier(comm, err) : comm_generic_barrier(comm, err);
}

static cy_status check_root(const cy_comm *comm, int32_t root, cy_error *err) {
  if (root >= 0 && root < comm->world) return CY_OK;
  cy_error_set(err, "root %d is outside the world of %d", (int)root, (int)comm->world);
  return CY_EINVAL;
}

static cy_status check_bytes(const void *data, int64_t len, cy_error *err) {
  if (len >= 0 && (len == 0 || data != NULL)) return CY_OK;
  cy_error_set(err, "%lld bytes at %p", (long long)len, data);
  return CY_EINVAL;
}

cy_status cy_comm_bcast(cy_comm *comm, int32_t root, const void *data, int64_t len,
                        cy_buffer **out, cy_error *err) {
  if (out) *out = NULL;
  CY_RETURN_NOT_OK(check_root(comm, root, err));
  if (comm->rank == root) CY_RETURN_NOT_OK(check_bytes(data, len, err));
  if (comm->rank != root && out == NULL) {
    cy_error_set(err, "bcast: ranks other than the root need somewhere to put the data");
    return CY_EINVAL;
  }
  if (comm->ops->bcast) return comm->ops->bcast(comm, root, data, len, out, err);
  return comm_generic_bcast(comm, root, data, len, out, err);
}

cy_status cy_comm_gather(cy_comm *comm, int32_t root, const void *data, int64_t len,
                         cy_buffer ***out, cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(check_root(comm, root, err));
  CY_RETURN_NOT_OK(check_bytes(data, len, err));
  if (comm->ops->gather) return comm->ops->gather(comm, root, data, len, out, err);
  return comm_generic_gather(comm, root, data, len, out, err);
}

cy_status cy_comm_allgather(cy_comm *comm, const void *data, int64_t len, cy_buffer ***out,
                            cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(check_bytes(data, len, err));
  if (comm->ops->allgather) return comm->ops->allgather(comm, data, len, out, err);
  return comm_generic_allgather(comm, data, len, out, err);
}

cy_status cy_comm_alltoall(cy_comm *comm, const void *const *parts, const int64_t *lens,
                           cy_buffer ***out, cy_error *err) {
  *out = NULL;
  for (int32_t d = 0; d < comm->world; d++) {
    if (check_bytes(parts[d], lens[d], err) != CY_OK) {
      cy_error_prefix(err, "alltoall: the part for rank %d: ", (int)d);
      return CY_EINVAL;
    }
  }
  if (comm->ops->alltoall) return comm->ops->alltoall(comm, parts, lens, out, err);
  return comm_generic_alltoall(comm, parts, lens, out, err);
}

cy_status cy_comm_allreduce(cy_comm *comm, void *values, int64_t n, cy_reduce_type type,
                            cy_reduce_op op, cy_error *err) {
  if (n < 0 || (n > 0 && values == NULL) || (int)type < 0 || type > CY_REDUCE_FLOAT64 ||
      (int)op < 0 || op > CY_REDUCE_MAX) {
    cy_error_set(err, "allreduce: bad arguments (%lld values, type %d, op %d)", (long long)n,
                 (int)type, (int)op);
    return CY_EINVAL;
  }
  if (comm->ops->allreduce) return comm->ops->allreduce(comm, values, n, type, op, err);
  return comm_generic_allreduce(comm, values, n, type, op, err);
}

void cy_comm_buffers_free(cy_comm *comm, cy_buffer **bufs) {
  if (bufs == NULL) return;
  for (int32_t i = 0; i < comm->world; i++) cy_buffer_release(bufs[i]);
  free(bufs);
}
