/*
 * rendezvous.c - where the ranks of a job meet (rendezvous.h): the rank's side
 * (rdv_exchange) and the server, a poll-driven state machine that a launcher drives from
 * its own loop or that runs on a thread of its own (rdv_server_run).
 *
 * Wire format (each message is a u32 length and a body of little-endian fields):
 *   hello  (rank -> server): u32 magic "CYRV", u32 version, str job, u32 rank, u32 world,
 *                            u64 milliseconds the rank will wait, str endpoint
 *   answer (server -> rank): u32 magic, u32 status (0 ok, 1 refused, 2 failed), then
 *                            u32 world and world strs (ok) or str message (otherwise)
 * The server answers a waiting rank before that rank's own deadline (its wait minus a
 * margin), so a missing rank is reported by name rather than by a silent timeout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net_socket.h"
#include "net/rendezvous.h"

#define RDV_MAGIC 0x56525943u /* "CYRV" */
#define RDV_VERSION 1u
#define RDV_OK 0u
#define RDV_REFUSED 1u
#define RDV_FAILED 2u
#define RDV_MAX_HELLO 4096
#define RDV_STRANGERS 16 /* connections that have not said hello yet, beyond the world */

void comm_strings_free(char **strings, int32_t n) {
  if (strings == NULL) return;
  for (int32_t i = 0; i < n; i++) free(strings[i]);
  free(strings);
}

/* ---- the rank's side ---------------------------------------------------------------- */

static cy_status parse_answer(net_inbox *in, const char *addr, int32_t world, char ***all,
                              cy_error *err) {
  net_reader r = net_reader_of(in);
  uint32_t magic = net_read_u32(&r), status = net_read_u32(&r);
  if (!r.ok || magic != RDV_MAGIC) {
    cy_error_set(err, "bootstrap: %s does not speak the cylon rendezvous protocol", addr);
    return CY_EIO;
  }
  if (status != RDV_OK) {
    char msg[900];
    net_read_str(&r, msg, sizeof msg);
    cy_error_set(err, "bootstrap: %s", r.ok ? msg : "refused by the rendezvous");
    return status == RDV_FAILED ? ETIMEDOUT : ECONNREFUSED;
  }
  if (net_read_u32(&r) != (uint32_t)world || !r.ok) {
    cy_error_set(err, "bootstrap: the rendezvous at %s answered for another world size", addr);
    return CY_EIO;
  }
  char **out = calloc((size_t)world, sizeof *out);
  if (out == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < world && r.ok; i++) {
    char ep[COMM_ENDPOINT_MAX];
    net_read_str(&r, ep, sizeof ep);
    if (r.ok && (out[i] = strdup(ep)) == NULL) r.ok = false;
  }
  if (!r.ok) {
    comm_strings_free(out, world);
    cy_error_set(err, "bootstrap: a malformed answer from the rendezvous at %s", addr);
    return CY_EIO;
  }
  *all = out;
  return CY_OK;
}

cy_status rdv_exchange(const char *addr, const char *job, int32_t rank, int32_t world,
                       const char *endpoint, double deadline, char ***all, cy_error *err) {
  char host[256], what[320];
  int port, fd = -1;
  CY_RETURN_NOT_OK(net_split_hostport(addr, host, sizeof host, &port, err));
  snprintf(what, sizeof what, "the rendezvous at %s", addr);
  cy_status st = net_connect(host, port, deadline, true, what, &fd, err);
  if (st != CY_OK) {
    cy_error_prefix(err, "bootstrap: ");
    return st;
  }
  net_msg m;
  net_msg_init(&m);
  net_msg_u32(&m, RDV_MAGIC);
  net_msg_u32(&m, RDV_VERSION);
  net_msg_str(&m, job);
  net_msg_u32(&m, (uint32_t)rank);
  net_msg_u32(&m, (uint32_t)world);
  double left = (deadline - cy_now()) * 1000.0;
  net_msg_u64(&m, left > 0 ? (uint64_t)left : 0);
  net_msg_str(&m, endpoint);
  if (!net_msg_finish(&m)) {
    cy_error_set(err, "out of memory");
    st = CY_ENOMEM;
  }
  if (st == CY_OK) st = net_write_all(fd, m.data, m.len, deadline, what, err);
  net_msg_free(&m);
  net_inbox in = {.max_len = (size_t)world * (COMM_ENDPOINT_MAX + 4) + 1024};
  if (st == CY_OK) st = net_recv_msg(fd, &in, deadline, what, err);
  if (st == ETIMEDOUT)
    cy_error_set(err, "bootstrap: no answer from the rendezvous at %s in time (rank %d of %d)",
                 addr, (int)rank, (int)world);
  else if (st != CY_OK)
    cy_error_prefix(err, "bootstrap: ");
  else
    st = parse_answer(&in, addr, world, all, err);
  net_inbox_free(&in);
  close(fd);
  return st;
}

/* ---- the server --------------------------------------------------------------------- */

typedef struct rdv_conn {
  int fd;
  net_inbox in;
  int32_t rank; /* -1 until its hello is accepted */
} rdv_conn;

struct rdv_server {
  int listen_fd;
  char job[COMM_JOB_MAX];
  int32_t world, arrived;
  double started, deadline;
  rdv_conn *conns; /* world + RDV_STRANGERS slots; fd -1 when free */
  int nconns;
  char **endpoints;  /* by rank */
  double *rank_deadline; /* when each arrived rank must have its answer */
  int state;
  bool timed_out;
  char error[1024];
};

cy_status rdv_server_new(int listen_fd, const char *job, int32_t world, double deadline,
                         rdv_server **out, cy_error *err) {
  rdv_server *s = calloc(1, sizeof *s);
  if (s) {
    s->nconns = world + RDV_STRANGERS;
    s->conns = calloc((size_t)s->nconns, sizeof *s->conns);
    s->endpoints = calloc((size_t)world, sizeof *s->endpoints);
    s->rank_deadline = calloc((size_t)world, sizeof *s->rank_deadline);
  }
  if (s == NULL || s->conns == NULL || s->endpoints == NULL || s->rank_deadline == NULL) {
    if (s) free(s->conns), free(s->endpoints), free(s->rank_deadline), free(s);
    close(listen_fd);
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  for (int i = 0; i < s->nconns; i++) s->conns[i].fd = -1;
  s->listen_fd = listen_fd;
  snprintf(s->job, sizeof s->job, "%s", job);
  s->world = world;
  s->started = cy_now();
  s->deadline = deadline;
  *out = s;
  return CY_OK;
}

static void drop_conn(rdv_conn *c) {
  if (c->fd >= 0) close(c->fd);
  net_inbox_free(&c->in);
  c->fd = -1;
  c->rank = -1;
}

/* Send a short answer (best effort: the rank may be gone) and hang up. */
static void answer(rdv_conn *c, uint32_t status, const char *message) {
  net_msg m;
  net_msg_init(&m);
  net_msg_u32(&m, RDV_MAGIC);
  net_msg_u32(&m, status);
  net_msg_str(&m, message);
  if (net_msg_finish(&m)) net_write_all(c->fd, m.data, m.len, cy_now() + 0.5, "a rank", NULL);
  net_msg_free(&m);
  drop_conn(c);
}

static void close_all(rdv_server *s) {
  for (int i = 0; i < s->nconns; i++) drop_conn(&s->conns[i]);
  if (s->listen_fd >= 0) close(s->listen_fd);
  s->listen_fd = -1;
}

static void fail(rdv_server *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Answer every waiting rank with the failure, and stop. */
static void fail(rdv_server *s, const char *fmt, ...) {
  if (s->state != 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->error, sizeof s->error, fmt, ap);
  va_end(ap);
  for (int i = 0; i < s->nconns; i++)
    if (s->conns[i].fd >= 0 && s->conns[i].rank >= 0) answer(&s->conns[i], RDV_FAILED, s->error);
  close_all(s);
  s->state = -1;
}

/* "ranks 1, 4 and 5" of those that have not arrived (the first 16 at most). */
static void missing_list(const rdv_server *s, char *buf, size_t size) {
  int32_t missing = s->world - s->arrived, listed = 0;
  size_t used = (size_t)snprintf(buf, size, "%s ", missing == 1 ? "rank" : "ranks");
  for (int32_t r = 0; r < s->world && listed < 16 && used < size; r++) {
    if (s->endpoints[r]) continue;
    const char *sep = listed == 0 ? "" : listed == missing - 1 ? " and " : ", ";
    used += (size_t)snprintf(buf + used, size - used, "%s%d", sep, (int)r);
    listed++;
  }
  if (listed < missing && used < size)
    snprintf(buf + used, size - used, ", ... (%d in all)", (int)missing);
}

static void fail_missing(rdv_server *s) {
  char list[256];
  s->timed_out = true;
  missing_list(s, list, sizeof list);
  fail(s, "%s of %d never arrived at the rendezvous (%d of %d arrived within %.1f s)", list,
       (int)s->world, (int)s->arrived, (int)s->world, cy_now() - s->started);
}

static void finish(rdv_server *s) {
  net_msg m;
  net_msg_init(&m);
  net_msg_u32(&m, RDV_MAGIC);
  net_msg_u32(&m, RDV_OK);
  net_msg_u32(&m, (uint32_t)s->world);
  for (int32_t r = 0; r < s->world; r++) net_msg_str(&m, s->endpoints[r]);
  bool ok = net_msg_finish(&m);
  for (int i = 0; i < s->nconns && ok; i++) {
    rdv_conn *c = &s->conns[i];
    if (c->fd >= 0 && c->rank >= 0)
      net_write_all(c->fd, m.data, m.len, cy_now() + 2.0, "a rank", NULL);
  }
  net_msg_free(&m);
  if (!ok) {
    fail(s, "out of memory answering the ranks");
    return;
  }
  close_all(s);
  s->state = 1;
}

/* A whole hello arrived on c: take the rank in, or refuse it. */
static void take_hello(rdv_server *s, rdv_conn *c) {
  net_reader r = net_reader_of(&c->in);
  char job[COMM_JOB_MAX], ep[COMM_ENDPOINT_MAX], why[160];
  uint32_t magic = net_read_u32(&r), version = net_read_u32(&r);
  net_read_str(&r, job, sizeof job);
  int32_t rank = (int32_t)net_read_u32(&r), world = (int32_t)net_read_u32(&r);
  uint64_t wait_ms = net_read_u64(&r);
  net_read_str(&r, ep, sizeof ep);
  why[0] = 0;
  if (!r.ok || magic != RDV_MAGIC || version != RDV_VERSION)
    snprintf(why, sizeof why, "not a cylon rendezvous hello");
  else if (strcmp(job, s->job) != 0)
    snprintf(why, sizeof why, "refused rank %d: wrong job id", (int)rank);
  else if (world != s->world)
    snprintf(why, sizeof why, "refused rank %d: world size %d, but the job has %d", (int)rank,
             (int)world, (int)s->world);
  else if (rank < 0 || rank >= s->world)
    snprintf(why, sizeof why, "refused rank %d: outside the world of %d", (int)rank,
             (int)s->world);
  else if (s->endpoints[rank] != NULL)
    snprintf(why, sizeof why, "refused rank %d: it has already arrived", (int)rank);
  if (why[0] == 0 && (s->endpoints[rank] = strdup(ep)) == NULL)
    snprintf(why, sizeof why, "out of memory");
  if (why[0] != 0) {
    answer(c, RDV_REFUSED, why);
    return;
  }
  c->rank = rank;
  /* Answer before the rank gives up: keep a tenth of its wait (at most a second) spare. */
  double wait = (double)wait_ms / 1000.0, margin = wait / 10 < 1.0 ? wait / 10 : 1.0;
  s->rank_deadline[rank] = cy_now() + wait - margin;
  if (++s->arrived == s->world) finish(s);
}

static void accept_new(rdv_server *s) {
  int fd;
  while ((fd = net_accept(s->listen_fd)) >= 0) {
    rdv_conn *slot = NULL;
    for (int i = 0; i < s->nconns && slot == NULL; i++)
      if (s->conns[i].fd < 0) slot = &s->conns[i];
    if (slot == NULL) {
      close(fd); /* more strangers than we care to hear */
      continue;
    }
    memset(slot, 0, sizeof *slot);
    slot->fd = fd;
    slot->rank = -1;
    slot->in.max_len = RDV_MAX_HELLO;
  }
}

int rdv_server_pollfds(rdv_server *s, struct pollfd *pfds, int max) {
  int n = 0;
  if (s->state != 0) return 0;
  if (n < max) pfds[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
  for (int i = 0; i < s->nconns && n < max; i++)
    if (s->conns[i].fd >= 0) pfds[n++] = (struct pollfd){.fd = s->conns[i].fd, .events = POLLIN};
  return n;
}

static double next_deadline(const rdv_server *s) {
  double d = s->deadline;
  for (int32_t r = 0; r < s->world; r++)
    if (s->endpoints[r] && s->rank_deadline[r] < d) d = s->rank_deadline[r];
  return d;
}

int rdv_server_poll_ms(const rdv_server *s, int max_ms) {
  return s->state != 0 ? max_ms : net_poll_ms(next_deadline(s), max_ms);
}

static rdv_conn *conn_of_fd(rdv_server *s, int fd) {
  for (int i = 0; i < s->nconns; i++)
    if (s->conns[i].fd == fd) return &s->conns[i];
  return NULL;
}

void rdv_server_step(rdv_server *s, const struct pollfd *pfds, int n) {
  for (int i = 0; i < n && s->state == 0; i++) {
    if (pfds[i].revents == 0) continue;
    if (pfds[i].fd == s->listen_fd) {
      accept_new(s);
      continue;
    }
    rdv_conn *c = conn_of_fd(s, pfds[i].fd);
    if (c == NULL) continue;
    if (c->rank >= 0) {
      /* An arrived rank hung up before the answer: it has given up, so must we. */
      char junk[64];
      ssize_t k = recv(c->fd, junk, sizeof junk, 0);
      if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        fail(s, "rank %d left the rendezvous before everyone arrived", (int)c->rank);
      continue;
    }
    const char *why = NULL;
    int rc = net_inbox_read(c->fd, &c->in, &why);
    if (rc > 0) take_hello(s, c);
    else if (rc < 0) drop_conn(c);
  }
  if (s->state == 0 && cy_now() >= next_deadline(s)) fail_missing(s);
}

void rdv_server_rank_gone(rdv_server *s, int32_t rank, const char *why) {
  if (s->state != 0 || rank < 0 || rank >= s->world || s->endpoints[rank] != NULL) return;
  fail(s, "rank %d ended before it reached the rendezvous (%s)", (int)rank, why);
}

bool rdv_server_timed_out(const rdv_server *s) { return s->state < 0 && s->timed_out; }

int rdv_server_state(const rdv_server *s, cy_error *err) {
  if (s->state < 0) cy_error_set(err, "%s", s->error);
  return s->state;
}

cy_status rdv_server_run(rdv_server *s, cy_error *err) {
  struct pollfd *pfds = malloc((size_t)(s->nconns + 1) * sizeof *pfds);
  if (pfds == NULL) {
    fail(s, "out of memory");
    cy_error_set(err, "%s", s->error);
    return CY_ENOMEM;
  }
  while (s->state == 0) {
    int n = rdv_server_pollfds(s, pfds, s->nconns + 1);
    if (poll(pfds, (nfds_t)n, rdv_server_poll_ms(s, 1000)) < 0 && errno != EINTR) {
      fail(s, "rendezvous poll failed: %s", strerror(errno));
      break;
    }
    rdv_server_step(s, pfds, n);
  }
  free(pfds);
  return rdv_server_state(s, err) > 0 ? CY_OK : ETIMEDOUT;
}

void rdv_server_free(rdv_server *s) {
  if (s == NULL) return;
  close_all(s);
  comm_strings_free(s->endpoints, s->world);
  free(s->rank_deadline);
  free(s->conns);
  free(s);
}
