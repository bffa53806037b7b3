/*
 * tcp.c - the tcp backend: a full mesh of sockets between ranks, one I/O thread per
 * communicator (tcp_io.c), and matching of messages to receives.
 *
 * Opening: listen on bind_host (127.0.0.1 by default) on an ephemeral port, publish
 * "host:port" through the bootstrap, form the mesh (tcp_mesh.c), start the I/O thread.
 *
 * Matching: messages from one peer arrive in order. When a message starts arriving, it
 * is bound to the oldest posted receive for its (source, tag); if there is none it waits
 * in the peer's unexpected list, and a later receive takes the oldest one with its tag
 * (whole or still arriving). So, for each (source, tag), either no receive is posted or no
 * message is waiting, and order is kept. Messages to ourselves are copied and matched the
 * same way.
 *
 * Failure: a connection that ends without a goodbye, a wait that hears nothing from its
 * peer for timeout_ms, or a FAIL frame from a peer fails the whole communicator: in a
 * bulk-synchronous job nothing useful can follow, so every pending and future request
 * fails at once with the first cause (which names the rank), and the I/O thread tells
 * every peer (FAIL) so that they stop too, instead of each discovering it by timeout.
 *
 * Closing: pending sends are finished, then each peer gets a goodbye (BYE) and a
 * half-close; we keep reading until each peer's stream ends too, so closing a socket never
 * resets a connection that still carries data the other side has not read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/nat.h"
#include "net/tcp_internal.h"

/* ---- request bookkeeping (lock held) ------------------------------------------------ */

static void live_add(tcp_comm *tc, tcp_req *r) {
  r->live_next = tc->live;
  if (tc->live) tc->live->live_prev = r;
  tc->live = r;
}

static void live_remove(tcp_comm *tc, tcp_req *r) {
  if (r->live_prev) r->live_prev->live_next = r->live_next;
  else tc->live = r->live_next;
  if (r->live_next) r->live_next->live_prev = r->live_prev;
}

void tcp_req_fail(tcp_comm *tc, tcp_req *r, cy_status status, const char *message) {
  r->done = true;
  r->status = status;
  r->error = message;
  pthread_cond_broadcast(&tc->cond);
}

void tcp_msg_free(tcp_msg *m) {
  cy_buffer_release(m->buf);
  free(m);
}

void tcp_msg_arrived(tcp_comm *tc, tcp_peer *p, tcp_msg *m) {
  if (tc->failed) {
    m->orphan = true;
    return;
  }
  for (tcp_req *r = p->posted_head, *prev = NULL; r; prev = r, r = r->next) {
    if (r->tag != m->tag) continue;
    if (prev) prev->next = r->next;
    else p->posted_head = r->next;
    if (p->posted_tail == r) p->posted_tail = prev;
    r->msg = m;
    m->req = r;
    return;
  }
  if (p->unexp_tail) p->unexp_tail->next = m;
  else p->unexp_head = m;
  p->unexp_tail = m;
}

void tcp_msg_completed(tcp_comm *tc, tcp_peer *p, tcp_msg *m) {
  m->complete = true;
  if (p->rank != tc->rank) atomic_fetch_add(&tc->comm->bytes_received, m->len);
  if (m->req) {
    tcp_req *r = m->req;
    r->buf = m->buf;
    r->msg = NULL;
    m->buf = NULL;
    r->done = true;
    tcp_msg_free(m);
    pthread_cond_broadcast(&tc->cond);
  } else if (m->orphan) {
    tcp_msg_free(m);
  }
}

void tcp_send_completed(tcp_comm *tc, tcp_out *o) {
  atomic_fetch_add(&tc->comm->bytes_sent, o->len);
  o->req->done = true;
  pthread_cond_broadcast(&tc->cond);
}

void tcp_fail(tcp_comm *tc, cy_status status, const char *fmt, ...) {
  if (tc->failed) return;
  tc->failed = true;
  comm_mark_failed(tc->comm);
  tc->fail_status = status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tc->fail_msg, sizeof tc->fail_msg, fmt, ap);
  va_end(ap);
  for (tcp_req *r = tc->live; r; r = r->live_next) {
    if (r->done || r->is_send) continue; /* sends are the I/O thread's (abort_sends) */
    if (r->msg && r->msg->user) { /* being read into its caller's memory: see detach */
      r->status = status;
      r->error = tc->fail_msg;
      r->msg->detach = true;
      continue;
    }
    if (r->msg) {
      r->msg->req = NULL;
      r->msg->orphan = true;
      r->msg = NULL;
    }
    tcp_req_fail(tc, r, status, tc->fail_msg);
  }
  for (int32_t i = 0; i < tc->world; i++) tc->peers[i].posted_head = tc->peers[i].posted_tail = NULL;
  tc->abort_pending = true;
  tcp_wake(tc);
  pthread_cond_broadcast(&tc->cond);
}

void tcp_peer_gone(tcp_comm *tc, tcp_peer *p, tcp_peer_state state) {
  p->state = state;
  snprintf(p->gone_msg, sizeof p->gone_msg, "rank %d has closed its communicator",
           (int)p->rank);
  for (tcp_req *r = p->posted_head; r; r = r->next) tcp_req_fail(tc, r, CY_EIO, p->gone_msg);
  p->posted_head = p->posted_tail = NULL;
  pthread_cond_broadcast(&tc->cond);
}

/* ---- posting ------------------------------------------------------------------------ */

static cy_status new_req(bool is_send, int32_t peer, int32_t tag, int64_t len, tcp_req **out,
                         cy_error *err) {
  tcp_req *r = calloc(1, sizeof *r);
  if (r == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  r->is_send = is_send;
  r->peer = peer;
  r->tag = tag;
  r->len = len;
  *out = r;
  return CY_OK;
}

/* Why nothing can be posted on p now (lock held), or NULL. */
static const char *cannot_post(tcp_comm *tc, tcp_peer *p, bool send) {
  if (tc->failed) return tc->fail_msg;
  if (p->state == PEER_LOST || p->state == PEER_CLOSED) return p->gone_msg;
  if (send && p->state == PEER_BYE && p->shut_wr) return p->gone_msg;
  return NULL;
}

static cy_status refuse(tcp_comm *tc, tcp_req *r, const char *why, cy_error *err) {
  cy_status st = tc->failed ? tc->fail_status : CY_EIO;
  cy_error_set(err, "%s", why);
  pthread_mutex_unlock(&tc->lock);
  free(r);
  return st;
}

/* A message to ourselves: copy it and match it at once. */
static cy_status send_self(tcp_comm *tc, tcp_req *r, const void *data, int64_t len,
                           cy_error *err) {
  tcp_msg *m = calloc(1, sizeof *m);
  if (m == NULL || cy_buffer_alloc(len, &m->buf, err) != CY_OK) {
    free(m);
    free(r);
    cy_error_set(err, "out of memory copying a message of %lld bytes", (long long)len);
    return CY_ENOMEM;
  }
  if (len > 0) memcpy(m->buf->data, data, (size_t)len);
  m->tag = r->tag;
  m->len = m->got = len;
  pthread_mutex_lock(&tc->lock);
  if (tc->failed) {
    tcp_msg_free(m);
    return refuse(tc, r, tc->fail_msg, err);
  }
  tcp_peer *self = &tc->peers[tc->rank];
  tcp_msg_arrived(tc, self, m);
  tcp_msg_completed(tc, self, m);
  r->done = true;
  live_add(tc, r);
  pthread_mutex_unlock(&tc->lock);
  return CY_OK;
}

static cy_status tcp_isend(cy_comm *comm, int32_t dest, int32_t tag, const void *data,
                           int64_t len, cy_comm_request *req, cy_error *err) {
  tcp_comm *tc = comm->impl;
  tcp_req *r;
  CY_RETURN_NOT_OK(new_req(true, dest, tag, len, &r, err));
  req->impl = r;
  if (dest == tc->rank) {
    cy_status st = send_self(tc, r, data, len, err);
    if (st != CY_OK) req->impl = NULL;
    return st;
  }
  tcp_out *o = calloc(1, sizeof *o);
  pthread_mutex_lock(&tc->lock);
  tcp_peer *p = &tc->peers[dest];
  const char *why = o ? cannot_post(tc, p, true) : "out of memory";
  if (why) {
    free(o);
    req->impl = NULL;
    return refuse(tc, r, why, err);
  }
  o->req = r;
  o->tag = tag;
  o->data = data;
  o->len = len;
  if (p->out_tail) p->out_tail->next = o;
  else p->out_head = o;
  p->out_tail = o;
  live_add(tc, r);
  tcp_wake(tc);
  pthread_mutex_unlock(&tc->lock);
  return CY_OK;
}

/* The oldest unexpected message from p with tag, unlinked; NULL when none. */
static tcp_msg *take_unexpected(tcp_peer *p, int32_t tag) {
  for (tcp_msg *m = p->unexp_head, *prev = NULL; m; prev = m, m = m->next) {
    if (m->tag != tag) continue;
    if (prev) prev->next = m->next;
    else p->unexp_head = m->next;
    if (p->unexp_tail == m) p->unexp_tail = prev;
    m->next = NULL;
    return m;
  }
  return NULL;
}

/* A receive; into (NULL for none) is where its message goes when it arrives after this. */
static cy_status post_recv(cy_comm *comm, int32_t src, int32_t tag, void *into, int64_t len,
                           cy_comm_request *req, cy_error *err) {
  tcp_comm *tc = comm->impl;
  tcp_req *r;
  CY_RETURN_NOT_OK(new_req(false, src, tag, 0, &r, err));
  r->into = into;
  r->into_len = len;
  pthread_mutex_lock(&tc->lock);
  tcp_peer *p = &tc->peers[src];
  tcp_msg *m = tc->failed ? NULL : take_unexpected(p, tag);
  const char *why = m ? NULL : cannot_post(tc, p, false);
  if (why) {
    req->impl = NULL;
    return refuse(tc, r, why, err);
  }
  if (m && m->complete) {
    r->buf = m->buf;
    m->buf = NULL;
    r->done = true;
    tcp_msg_free(m);
  } else if (m) {
    m->req = r;
    r->msg = m;
  } else {
    if (p->posted_tail) p->posted_tail->next = r;
    else p->posted_head = r;
    p->posted_tail = r;
  }
  live_add(tc, r);
  pthread_mutex_unlock(&tc->lock);
  req->impl = r;
  return CY_OK;
}

static cy_status tcp_irecv(cy_comm *comm, int32_t src, int32_t tag, cy_comm_request *req,
                           cy_error *err) {
  return post_recv(comm, src, tag, NULL, 0, req, err);
}

static cy_status tcp_irecv_into(cy_comm *comm, int32_t src, int32_t tag, void *into,
                                int64_t len, cy_comm_request *req, cy_error *err) {
  return post_recv(comm, src, tag, into, len, req, err);
}

/* ---- waiting ------------------------------------------------------------------------ */

/* Sleep on the condition until woken or until the deadline (a tcp_now_ns time). */
static void sleep_until(tcp_comm *tc, int64_t deadline_ns) {
  struct timespec ts = {(time_t)(deadline_ns / 1000000000), (long)(deadline_ns % 1000000000)};
  pthread_cond_timedwait(&tc->cond, &tc->lock, &ts);
}

/* When a wait on r gives up: timeout_ms after the later of start and the last time
 * anything moved on r's connection. */
static int64_t idle_deadline(tcp_comm *tc, const tcp_req *r, int64_t start_ns) {
  int64_t heard = atomic_load_explicit(&tc->peers[r->peer].last_heard_ns, memory_order_relaxed);
  return (heard > start_ns ? heard : start_ns) + tc->timeout_ms * 1000000;
}

static void fail_timeout(tcp_comm *tc, const tcp_req *r) {
  char what[96];
  if (r->is_send) snprintf(what, sizeof what, "send %lld bytes to it", (long long)r->len);
  else snprintf(what, sizeof what, "receive from it");
  char tag[48] = "in a collective";
  if (r->tag < COMM_COLL_TAG_BASE) snprintf(tag, sizeof tag, "tag %d", (int)r->tag);
  tcp_fail(tc, ETIMEDOUT, "rank %d timed out: nothing from rank %d%s for %.1f s while "
           "waiting to %s (%s)", (int)tc->rank, (int)r->peer,
           r->peer == tc->rank ? " (itself)" : "", (double)tc->timeout_ms / 1000.0, what, tag);
}

/* Wait (lock held) until every request is done. A failure of one fails the
 * communicator, so that the others finish at once too. */
static void wait_done(tcp_comm *tc, int32_t n, cy_comm_request *reqs) {
  int64_t start = tcp_now_ns();
  for (;;) {
    const tcp_req *soonest = NULL, *bad = NULL;
    int64_t soonest_at = INT64_MAX;
    for (int32_t i = 0; i < n; i++) {
      const tcp_req *r = reqs[i].impl;
      if (r == NULL) continue;
      if (r->done) {
        if (r->status != CY_OK && bad == NULL) bad = r;
        continue;
      }
      int64_t at = idle_deadline(tc, r, start);
      if (at < soonest_at) soonest_at = at, soonest = r;
    }
    if (soonest == NULL) return;
    if (bad && !tc->failed) tcp_fail(tc, bad->status, "%s", bad->error);
    if (!tc->failed && tcp_now_ns() >= soonest_at) fail_timeout(tc, soonest);
    /* Once failed, the I/O thread finishes the sends promptly: just wait for it. */
    sleep_until(tc, tc->failed ? tcp_now_ns() + 100000000 : soonest_at);
  }
}

static cy_status tcp_wait_all(cy_comm *comm, int32_t n, cy_comm_request *reqs, cy_error *err) {
  tcp_comm *tc = comm->impl;
  pthread_mutex_lock(&tc->lock);
  wait_done(tc, n, reqs);
  cy_status st = CY_OK;
  for (int32_t i = 0; i < n && st == CY_OK; i++) {
    const tcp_req *r = reqs[i].impl;
    if (r && r->status != CY_OK) {
      st = r->status;
      cy_error_set(err, "%s", r->error);
    }
  }
  /* A failed set reports the communicator's first cause: a request can fail later with a
   * consequence of it (a peer that failed first hangs up, and a send still queued to it
   * fails with "lost rank N"), which would hide the cause the user needs. */
  if (st != CY_OK && tc->failed) {
    st = tc->fail_status;
    cy_error_set(err, "%s", tc->fail_msg);
  }
  /* All or nothing, as the other backends: when the set failed, a receive that did
   * complete is dropped too, so callers bailing out on the error leak nothing. */
  for (int32_t i = 0; i < n; i++) {
    tcp_req *r = reqs[i].impl;
    if (r == NULL) continue;
    if (st == CY_OK && !r->is_send) reqs[i].data = r->buf;
    else cy_buffer_release(r->buf);
    live_remove(tc, r);
    free(r);
    reqs[i].impl = NULL;
  }
  pthread_mutex_unlock(&tc->lock);
  return st;
}

/* ---- closing ------------------------------------------------------------------------ */

/* The peer that has been silent longest among those whose queue is not empty (or, with
 * ends, whose stream has not ended), and when its silence runs out. */
static tcp_peer *slowest(tcp_comm *tc, bool ends, int64_t start, int64_t *at) {
  tcp_peer *who = NULL;
  *at = INT64_MAX;
  for (int32_t r = 0; r < tc->world; r++) {
    tcp_peer *p = &tc->peers[r];
    bool waiting = ends ? r != tc->rank && (p->state == PEER_OPEN || p->state == PEER_BYE)
                        : p->out_head != NULL && p->fd >= 0;
    if (!waiting) continue;
    int64_t heard = atomic_load_explicit(&p->last_heard_ns, memory_order_relaxed);
    int64_t t = (heard > start ? heard : start) + tc->timeout_ms * 1000000;
    if (t < *at) *at = t, who = p;
  }
  return who;
}

/* Wait (lock held) for the send queues to drain (ends false) or for every peer's stream
 * to end (ends true); false when a peer stayed silent past the deadline. */
static bool wait_peers(tcp_comm *tc, bool ends, int64_t cap_ns, int32_t *silent) {
  int64_t start = tcp_now_ns(), at;
  tcp_peer *p;
  while ((p = slowest(tc, ends, start, &at)) != NULL) {
    if (at > start + cap_ns) at = start + cap_ns;
    if (tcp_now_ns() >= at) {
      *silent = p->rank;
      return false;
    }
    sleep_until(tc, at);
  }
  return true;
}

static void say_goodbye(tcp_comm *tc) {
  static const tcp_frame bye = {TCP_BYE, 0, 0, 0};
  for (int32_t r = 0; r < tc->world; r++) {
    tcp_peer *p = &tc->peers[r];
    if (r == tc->rank || p->fd < 0 || p->state == PEER_LOST || p->state == PEER_CLOSED) continue;
    tcp_out *o = calloc(1, sizeof *o);
    if (o && (o->own = malloc(TCP_HDR)) == NULL) free(o), o = NULL;
    if (o == NULL) continue; /* out of memory: the peer will see our stream end */
    tcp_frame_encode(o->own, &bye);
    o->data = o->own;
    o->len = TCP_HDR;
    o->shutdown_after = true;
    if (p->out_tail) p->out_tail->next = o;
    else p->out_head = o;
    p->out_tail = o;
  }
  tc->closing = true;
  tcp_wake(tc);
}

/* Finish sends, say goodbye and wait for the peers' own, then stop the I/O thread. */
static void shut_down(tcp_comm *tc) {
  const int64_t forever = INT64_MAX / 4, brief = 2000000000;
  int32_t silent = -1;
  pthread_mutex_lock(&tc->lock);
  if (!tc->failed && !wait_peers(tc, false, forever, &silent))
    tcp_fail(tc, ETIMEDOUT, "rank %d timed out closing: rank %d took nothing for %.1f s",
             (int)tc->rank, (int)silent, (double)tc->timeout_ms / 1000.0);
  if (!tc->failed) {
    say_goodbye(tc);
    wait_peers(tc, false, forever, &silent);
    wait_peers(tc, true, forever, &silent);
  } else {
    while (tc->abort_pending) sleep_until(tc, tcp_now_ns() + 100000000);
    wait_peers(tc, false, brief, &silent); /* the FAIL frames, as far as they go */
  }
  tc->stopping = true;
  tcp_wake(tc);
  pthread_mutex_unlock(&tc->lock);
  pthread_join(tc->io_thread, NULL);
  tc->io_started = false;
}

static void free_peer(tcp_peer *p) {
  if (p->fd >= 0) close(p->fd);
  for (tcp_out *o = p->out_head, *next; o; o = next) {
    next = o->next;
    free(o->own);
    free(o);
  }
  for (tcp_msg *m = p->unexp_head, *next; m; m = next) {
    next = m->next;
    if (m == p->rx_msg) p->rx_msg = NULL;
    tcp_msg_free(m);
  }
  if (p->rx_msg && (p->rx_msg->orphan || p->rx_msg->req)) {
    if (p->rx_msg->req) p->rx_msg->req->msg = NULL;
    tcp_msg_free(p->rx_msg);
  }
  free(p->stage);
}

static void tcp_free(tcp_comm *tc) {
  if (tc->io_started) {
    pthread_mutex_lock(&tc->lock);
    tc->stopping = true;
    tcp_wake(tc);
    pthread_mutex_unlock(&tc->lock);
    pthread_join(tc->io_thread, NULL);
  }
  for (int32_t r = 0; tc->peers && r < tc->world; r++) free_peer(&tc->peers[r]);
  for (tcp_req *r = tc->live, *next; r; r = next) { /* requests nobody waited for */
    next = r->live_next;
    if (r->msg) r->msg->req = NULL;
    cy_buffer_release(r->buf);
    free(r);
  }
  tcp_newcomers_close(tc);
  if (tc->listen_fd >= 0) close(tc->listen_fd);
  if (tc->wake_fd[0] >= 0) close(tc->wake_fd[0]), close(tc->wake_fd[1]);
  comm_strings_free(tc->endpoints, tc->world);
  free(tc->peers);
  pthread_cond_destroy(&tc->cond);
  pthread_mutex_destroy(&tc->lock);
  free(tc);
}

static void tcp_close(cy_comm *comm) {
  tcp_comm *tc = comm->impl;
  if (tc->io_started) shut_down(tc);
  tcp_free(tc);
  comm->impl = NULL;
}

/* ---- opening ------------------------------------------------------------------------ */

static void tcp_abort(cy_comm *comm, const char *why) {
  tcp_comm *tc = comm->impl;
  pthread_mutex_lock(&tc->lock);
  tcp_fail(tc, CY_EIO, "rank %d aborted: %s", (int)tc->rank, why);
  pthread_mutex_unlock(&tc->lock);
}

static const comm_ops tcp_ops = {
    .isend = tcp_isend,
    .irecv = tcp_irecv,
    .irecv_into = tcp_irecv_into,
    .wait_all = tcp_wait_all,
    .abort = tcp_abort,
    .close = tcp_close,
};

static cy_status tcp_new(cy_comm *comm, comm_bootstrap *bs, tcp_comm **out, cy_error *err) {
  tcp_comm *tc = calloc(1, sizeof *tc);
  *out = tc;
  if (tc == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  tc->comm = comm;
  tc->rank = bs->rank;
  tc->world = bs->world;
  tc->timeout_ms = comm->timeout_ms;
  snprintf(tc->job, sizeof tc->job, "%s", bs->job);
  tc->listen_fd = tc->wake_fd[0] = tc->wake_fd[1] = -1;
  for (int i = 0; i < TCP_NEWCOMERS; i++) tc->newcomers[i].fd = -1;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&tc->cond, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&tc->lock, NULL);
  tc->peers = calloc((size_t)tc->world, sizeof *tc->peers);
  bool ok = tc->peers != NULL && pipe2(tc->wake_fd, O_NONBLOCK | O_CLOEXEC) == 0;
  int64_t now = tcp_now_ns();
  for (int32_t r = 0; ok && r < tc->world; r++) {
    tcp_peer *p = &tc->peers[r];
    p->rank = r;
    p->fd = -1;
    atomic_store(&p->last_heard_ns, now);
    ok = r == tc->rank || (p->stage = malloc(TCP_STAGE)) != NULL;
  }
  if (!ok) {
    cy_error_set(err, "out of memory (or out of file descriptors) opening a communicator");
    return CY_ENOMEM;
  }
  return CY_OK;
}

/* Listen, and the "host:port" others reach us at. */
static cy_status tcp_listen(tcp_comm *tc, const char *bind_host, char *endpoint, size_t size,
                            cy_error *err) {
  int port;
  CY_RETURN_NOT_OK(net_listen(bind_host, 0, tc->world + 16, &tc->listen_fd, &port, err));
  char host[256];
  snprintf(host, sizeof host, "%s", bind_host);
  const char *adv = getenv("CYLON_ADVERTISE_HOST");
  if (adv && adv[0]) snprintf(host, sizeof host, "%s", adv);
  else if (host[0] == 0 || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
    gethostname(host, sizeof host - 1); /* a wildcard is no address: others need a name */
  if (strchr(host, ':')) snprintf(endpoint, size, "[%s]:%d", host, port);
  else snprintf(endpoint, size, "%s:%d", host, port);
  return CY_OK;
}

cy_status comm_tcp_open(cy_comm *comm, comm_bootstrap *bs, const cy_comm_options *opts,
                        double deadline, cy_error *err) {
  tcp_comm *tc;
  cy_status st = tcp_new(comm, bs, &tc, err);
  if (tc == NULL) return st;
  /* Pairs connect through a rendezvous server instead, when one is given (nat.h). */
  nat_client_options nat;
  bool via_nat = st == CY_OK && tc->world > 1 && nat_client_options_get(opts, &nat);
  if (via_nat) st = nat_paths_new(comm, err);
  if (via_nat && st == CY_OK) st = nat_mesh_form(tc, &nat, comm->paths, deadline, err);
  if (st == CY_OK && tc->world > 1 && !via_nat) {
    char endpoint[COMM_ENDPOINT_MAX];
    const char *host = opts->bind_host ? opts->bind_host : "127.0.0.1";
    st = tcp_listen(tc, host, endpoint, sizeof endpoint, err);
    if (st == CY_OK) st = bs->allgather(bs, endpoint, &tc->endpoints, deadline, err);
    if (st == CY_OK) st = tcp_mesh_form(tc, deadline, err);
  }
  tc->mesh_formed = true;
  if (st == CY_OK && pthread_create(&tc->io_thread, NULL, tcp_io_main, tc) != 0) {
    cy_error_set(err, "cannot start the communicator's I/O thread");
    st = CY_ENOMEM;
  }
  if (st != CY_OK) {
    tcp_free(tc);
    return st;
  }
  tc->io_started = true;
  comm->ops = &tcp_ops;
  comm->impl = tc;
  return CY_OK;
}
