/*
 * bootstrap.c - how a rank learns its rank, the world size and its peers' endpoints from
 * its environment: the "env" and "embedded" bootstraps.
 *
 * "env" reads the rank and world size from CYLON_RANK and CYLON_WORLD_SIZE, else from the
 * variables mpirun sets (OMPI_COMM_WORLD_RANK / _SIZE, or PMI_RANK / PMI_SIZE), else it is
 * a world of one. Endpoints are exchanged at the rendezvous named by CYLON_BOOTSTRAP_ADDR
 * (rendezvous.c); with CYLON_BOOTSTRAP_SERVE=1, rank 0 serves that rendezvous itself on a
 * thread, which is how ranks started by mpirun or by hand find each other without a
 * launcher. "embedded" is the same, but insists on having been started by a launcher
 * (cy_launch, `cylon run --workers N`), which sets all four variables.
 *
 * The job id (options, else CYLON_JOB, else "cylon") goes into every handshake, so ranks
 * of different jobs never mix.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_socket.h"
#include "net/rendezvous.h"

typedef struct env_state {
  char addr[COMM_ENDPOINT_MAX]; /* the rendezvous; "" when none */
  bool serve;                   /* rank 0 serves it */
} env_state;

/* A whole-string non-negative integer from an environment variable; -1 when unset. */
static cy_status env_int(const char *name, int64_t max, int64_t *out, cy_error *err) {
  const char *v = getenv(name);
  *out = -1;
  if (v == NULL) return CY_OK;
  char *end = NULL;
  long long n = strtoll(v, &end, 10);
  if (v[0] == 0 || *end != 0 || n < 0 || n > max) {
    cy_error_set(err, "bootstrap: %s='%s' is not a number in [0, %lld]", name, v,
                 (long long)max);
    return CY_EINVAL;
  }
  *out = n;
  return CY_OK;
}

/* Rank and world from the first pair of variables that is set. */
static cy_status env_rank_world(int32_t *rank, int32_t *world, cy_error *err) {
  static const char *const pairs[][2] = {{"CYLON_RANK", "CYLON_WORLD_SIZE"},
                                         {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                         {"PMI_RANK", "PMI_SIZE"}};
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    int64_t r, w;
    CY_RETURN_NOT_OK(env_int(pairs[i][0], 1 << 24, &r, err));
    CY_RETURN_NOT_OK(env_int(pairs[i][1], 1 << 24, &w, err));
    if (r < 0 && w < 0) continue;
    if (r < 0 || w < 1 || r >= w) {
      cy_error_set(err, "bootstrap: %s and %s must both be set, with 0 <= rank < size",
                   pairs[i][0], pairs[i][1]);
      return CY_EINVAL;
    }
    *rank = (int32_t)r;
    *world = (int32_t)w;
    return CY_OK;
  }
  *rank = 0;
  *world = 1;
  return CY_OK;
}

/* The server thread of CYLON_BOOTSTRAP_SERVE. */
typedef struct serve_thread {
  rdv_server *server;
  cy_status status;
  cy_error err;
} serve_thread;

static void *serve_main(void *arg) {
  serve_thread *t = arg;
  t->status = rdv_server_run(t->server, &t->err);
  return NULL;
}

/* Rank 0 of a CYLON_BOOTSTRAP_SERVE job: serve the rendezvous while taking part in it. */
static cy_status serve_and_exchange(comm_bootstrap *bs, const env_state *s, const char *mine,
                                    char ***all, double deadline, cy_error *err) {
  char host[256];
  int port, fd, bound;
  CY_RETURN_NOT_OK(net_split_hostport(s->addr, host, sizeof host, &port, err));
  CY_RETURN_NOT_OK(net_listen(host, port, bs->world + 16, &fd, &bound, err));
  serve_thread t = {.status = CY_OK};
  CY_RETURN_NOT_OK(rdv_server_new(fd, bs->job, bs->world, deadline, &t.server, err));
  pthread_t th;
  if (pthread_create(&th, NULL, serve_main, &t) != 0) {
    rdv_server_free(t.server);
    cy_error_set(err, "bootstrap: cannot start the rendezvous thread");
    return CY_ENOMEM;
  }
  cy_status st = rdv_exchange(s->addr, bs->job, bs->rank, bs->world, mine, deadline, all, err);
  pthread_join(th, NULL);
  rdv_server_free(t.server);
  if (st == CY_OK && t.status != CY_OK) {
    comm_strings_free(*all, bs->world);
    *all = NULL;
    cy_error_set(err, "bootstrap: %s", t.err.message);
    st = t.status;
  }
  return st;
}

static cy_status env_allgather(comm_bootstrap *bs, const char *mine, char ***all,
                               double deadline, cy_error *err) {
  env_state *s = bs->state;
  if (bs->world == 1) {
    char **one = calloc(1, sizeof *one);
    if (one == NULL || (one[0] = strdup(mine)) == NULL) {
      free(one);
      cy_error_set(err, "out of memory");
      return CY_ENOMEM;
    }
    *all = one;
    return CY_OK;
  }
  if (s->addr[0] == 0) {
    cy_error_set(err, "bootstrap: rank %d of %d needs a rendezvous to find its peers: set "
                 "CYLON_BOOTSTRAP_ADDR=HOST:PORT (and CYLON_BOOTSTRAP_SERVE=1 to have rank 0 "
                 "serve it)", (int)bs->rank, (int)bs->world);
    return CY_EINVAL;
  }
  if (s->serve && bs->rank == 0) return serve_and_exchange(bs, s, mine, all, deadline, err);
  return rdv_exchange(s->addr, bs->job, bs->rank, bs->world, mine, deadline, all, err);
}

static void env_release(comm_bootstrap *bs) {
  free(bs->state);
  bs->state = NULL;
}

cy_status comm_bootstrap_env(const cy_comm_options *opts, double deadline,
                             comm_bootstrap *out, cy_error *err) {
  (void)deadline;
  memset(out, 0, sizeof *out);
  CY_RETURN_NOT_OK(env_rank_world(&out->rank, &out->world, err));
  if (opts->world_size > 0 && opts->world_size != out->world) {
    cy_error_set(err, "bootstrap: the world size is %d, but the environment says %d",
                 (int)opts->world_size, (int)out->world);
    return CY_EINVAL;
  }
  const char *job = opts->job ? opts->job : getenv("CYLON_JOB");
  if (job == NULL || job[0] == 0) job = "cylon";
  const char *addr = getenv("CYLON_BOOTSTRAP_ADDR");
  if (strlen(job) >= COMM_JOB_MAX || (addr && strlen(addr) >= COMM_ENDPOINT_MAX)) {
    cy_error_set(err, "bootstrap: the job id or CYLON_BOOTSTRAP_ADDR is too long");
    return CY_EINVAL;
  }
  env_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  snprintf(out->job, sizeof out->job, "%s", job);
  if (addr) snprintf(s->addr, sizeof s->addr, "%s", addr);
  const char *serve = getenv("CYLON_BOOTSTRAP_SERVE");
  s->serve = serve && strcmp(serve, "1") == 0;
  out->state = s;
  out->allgather = env_allgather;
  out->release = env_release;
  return CY_OK;
}

cy_status comm_bootstrap_embedded(const cy_comm_options *opts, double deadline,
                                  comm_bootstrap *out, cy_error *err) {
  if (getenv("CYLON_BOOTSTRAP_ADDR") == NULL || getenv("CYLON_RANK") == NULL) {
    cy_error_set(err, "bootstrap: the embedded bootstrap is for workers started by a "
                 "launcher (cylon run --workers N, cy_launch), which sets CYLON_RANK and "
                 "CYLON_BOOTSTRAP_ADDR; they are not set here");
    return CY_EINVAL;
  }
  return comm_bootstrap_env(opts, deadline, out, err);
}
