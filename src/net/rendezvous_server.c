/*
 * rendezvous_server.c - the server of `cylon rendezvous` (nat.h): it tells ranks behind
 * NATs their public endpoints, pairs the ranks of a job, and relays pairs that cannot
 * reach each other directly.
 *
 * One thread, one poll loop over the listener and every connection. A connection starts
 * as a newcomer with a few seconds to send its request; a request without the server's
 * token, or malformed, is refused with the reason and closed. A REGISTER connection then
 * stays open as the rank's control connection: the server answers with the address and
 * port it sees (the NAT's mapping of the rank's peer port), and once all of the job's
 * ranks have registered it sends each of them everyone's public endpoint. A job whose
 * ranks do not all arrive within the first rank's wait is failed, naming who is missing,
 * before that rank gives up. A RELAY connection waits (within its own wait) for its
 * mirror image (the peer asking for the same pair); then both are told and spliced: bytes
 * read from one are written to the other through a bounded buffer per direction, and an
 * end of stream is passed on as a half-close, so the ranks' goodbyes work as they do on
 * a direct connection.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "net/nat.h"

#define NAT_MAX_CONNS 1024
#define SPLICE_BUF (256 * 1024)
#define MAX_WAIT_SECONDS 3600.0 /* a rank's wait is capped: nothing is kept for ever */

typedef enum conn_state {
  CONN_FREE = 0,
  CONN_NEW,        /* has not sent its request yet */
  CONN_RANK,       /* a registered rank's control connection */
  CONN_RELAY_WAIT, /* a relay request waiting for the peer's */
  CONN_SPLICED     /* half of a relayed pair */
} conn_state;

typedef struct nat_job nat_job;

typedef struct nat_conn {
  int fd;
  conn_state state;
  net_inbox in;
  double deadline; /* NEW and RELAY_WAIT: when to give up */
  char seen[COMM_ENDPOINT_MAX]; /* the address and port the connection comes from */
  char job[COMM_JOB_MAX];
  nat_job *owner; /* RANK: its job */
  int32_t rank, peer, world;
  int other;      /* SPLICED: the index of the other half */
  uint8_t *buf;   /* SPLICED: bytes read here, to be written to the other half */
  size_t buf_start, buf_end;
  bool rd_eof, wr_shut;
  int64_t relayed; /* bytes passed on from this half */
} nat_conn;

struct nat_job {
  nat_job *next;
  char job[COMM_JOB_MAX];
  int32_t world, registered;
  int *conn_of_rank; /* -1 until the rank registers (and after its control connection ends) */
  char **endpoints;  /* the public endpoint of each registered rank */
  double started, deadline;
  bool paired;
};

struct nat_server {
  int listen_fd;
  char token[NAT_TOKEN_MAX];
  double hello_seconds;
  FILE *log;
  nat_conn *conns;
  struct pollfd *pfds;
  int *pfd_conn; /* which connection each pollfd is (-1: the listener) */
  nat_job *jobs;
  int64_t paired, refused, spliced;
};

static void logf_(nat_server *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void logf_(nat_server *s, const char *fmt, ...) {
  if (s->log == NULL) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(s->log, "rendezvous: ");
  vfprintf(s->log, fmt, ap);
  fprintf(s->log, "\n");
  fflush(s->log);
  va_end(ap);
}

cy_status nat_server_new(int listen_fd, const nat_server_options *opts, nat_server **out,
                         cy_error *err) {
  *out = NULL;
  if (opts->token == NULL || opts->token[0] == 0 || strlen(opts->token) >= NAT_TOKEN_MAX) {
    close(listen_fd);
    cy_error_set(err, "rendezvous: a token (1 to %d bytes) is needed, so that only the ranks "
                 "of your jobs are paired", NAT_TOKEN_MAX - 1);
    return CY_EINVAL;
  }
  nat_server *s = calloc(1, sizeof *s);
  if (s) {
    s->conns = calloc(NAT_MAX_CONNS, sizeof *s->conns);
    s->pfds = calloc(NAT_MAX_CONNS + 1, sizeof *s->pfds);
    s->pfd_conn = calloc(NAT_MAX_CONNS + 1, sizeof *s->pfd_conn);
  }
  if (s == NULL || s->conns == NULL || s->pfds == NULL || s->pfd_conn == NULL) {
    if (s) free(s->conns), free(s->pfds), free(s->pfd_conn), free(s);
    close(listen_fd);
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  for (int i = 0; i < NAT_MAX_CONNS; i++) s->conns[i].fd = -1;
  s->listen_fd = listen_fd;
  snprintf(s->token, sizeof s->token, "%s", opts->token);
  s->hello_seconds = opts->hello_seconds > 0 ? opts->hello_seconds : 10.0;
  s->log = opts->log;
  *out = s;
  return CY_OK;
}

/* ---- connections -------------------------------------------------------------------- */

static void job_free(nat_server *s, nat_job *j) {
  for (nat_job **p = &s->jobs; *p; p = &(*p)->next) {
    if (*p != j) continue;
    *p = j->next;
    break;
  }
  comm_strings_free(j->endpoints, j->world);
  free(j->conn_of_rank);
  free(j);
}

/* A rank's control connection is gone: forget the rank (it may register again while the
 * job is still gathering), and the job once none of its ranks is left. */
static void rank_gone(nat_server *s, nat_conn *c) {
  nat_job *j = c->owner;
  c->owner = NULL;
  if (j == NULL) return;
  int idx = (int)(c - s->conns);
  if (j->conn_of_rank[c->rank] == idx) {
    j->conn_of_rank[c->rank] = -1;
    if (!j->paired) {
      free(j->endpoints[c->rank]);
      j->endpoints[c->rank] = NULL;
      j->registered--;
    }
  }
  bool any = false;
  for (int32_t r = 0; r < j->world; r++) any = any || j->conn_of_rank[r] >= 0;
  if (!any) job_free(s, j);
}

static void conn_drop(nat_server *s, nat_conn *c) {
  if (c->state == CONN_RANK) rank_gone(s, c);
  if (c->fd >= 0) close(c->fd);
  net_inbox_free(&c->in);
  free(c->buf);
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

/* Send a reply (best effort, bounded: the other side may be gone or stalled). */
static bool send_msg(nat_conn *c, net_msg *m) {
  bool ok = net_msg_finish(m) &&
            net_write_all(c->fd, m->data, m->len, cy_now() + 1.0, "a rank", NULL) == CY_OK;
  net_msg_free(m);
  return ok;
}

static bool reply_text(nat_conn *c, nat_kind kind, const char *text) {
  net_msg m;
  net_msg_init(&m);
  net_msg_u32(&m, NAT_MAGIC);
  net_msg_u32(&m, kind);
  net_msg_str(&m, text);
  return send_msg(c, &m);
}

static void refuse(nat_server *s, nat_conn *c, const char *why) {
  s->refused++;
  logf_(s, "refused %s: %s", c->seen, why);
  reply_text(c, NAT_REFUSED, why);
  conn_drop(s, c);
}

static void accept_new(nat_server *s) {
  int fd;
  while ((fd = net_accept(s->listen_fd)) >= 0) {
    nat_conn *slot = NULL;
    for (int i = 0; i < NAT_MAX_CONNS && slot == NULL; i++)
      if (s->conns[i].state == CONN_FREE) slot = &s->conns[i];
    if (slot == NULL) {
      close(fd); /* full: the rank's connect sees the end and retries or fails */
      continue;
    }
    memset(slot, 0, sizeof *slot);
    slot->fd = fd;
    slot->state = CONN_NEW;
    slot->in.max_len = NAT_REQUEST_MAX;
    slot->deadline = cy_now() + s->hello_seconds;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
      if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        /* An IPv4 rank on a dual-stack listener: its plain IPv4 address. */
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
          inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], host, sizeof host);
        else
          inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
      } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
      }
    }
    if (strchr(host, ':')) snprintf(slot->seen, sizeof slot->seen, "[%s]:%d", host, port);
    else snprintf(slot->seen, sizeof slot->seen, "%s:%d", host, port);
  }
}

/* The token, compared in time that does not depend on where the first difference is. */
static bool token_ok(const nat_server *s, const char *token) {
  size_t a = strlen(s->token), b = strlen(token);
  unsigned diff = a != b;
  for (size_t i = 0; i < a; i++) diff |= (unsigned)(s->token[i] ^ (i < b ? token[i] : 0));
  return diff == 0;
}

static double wait_seconds(uint64_t wait_ms) {
  double w = (double)wait_ms / 1000.0;
  return w > MAX_WAIT_SECONDS ? MAX_WAIT_SECONDS : w;
}

/* ---- registration and pairing ------------------------------------------------------- */

static nat_job *job_find(nat_server *s, const char *job) {
  for (nat_job *j = s->jobs; j; j = j->next)
    if (strcmp(j->job, job) == 0) return j;
  return NULL;
}

static nat_job *job_new(nat_server *s, const nat_request *rq) {
  nat_job *j = calloc(1, sizeof *j);
  if (j == NULL) return NULL;
  j->conn_of_rank = malloc((size_t)rq->world * sizeof *j->conn_of_rank);
  j->endpoints = calloc((size_t)rq->world, sizeof *j->endpoints);
  if (j->conn_of_rank == NULL || j->endpoints == NULL) {
    free(j->conn_of_rank), free(j->endpoints), free(j);
    return NULL;
  }
  for (int32_t r = 0; r < rq->world; r++) j->conn_of_rank[r] = -1;
  snprintf(j->job, sizeof j->job, "%s", rq->job);
  j->world = rq->world;
  j->started = cy_now();
  /* Answer before the first rank gives up: keep a tenth of its wait (at most 1 s) spare. */
  double w = wait_seconds(rq->wait_ms), margin = w / 10 < 1.0 ? w / 10 : 1.0;
  j->deadline = j->started + w - margin;
  j->next = s->jobs;
  s->jobs = j;
  return j;
}

/* Every rank is here: send each one everyone's public endpoint. */
static void job_pair(nat_server *s, nat_job *j) {
  net_msg m;
  net_msg_init(&m);
  net_msg_u32(&m, NAT_MAGIC);
  net_msg_u32(&m, NAT_PEERS);
  net_msg_u32(&m, (uint32_t)j->world);
  for (int32_t r = 0; r < j->world; r++) net_msg_str(&m, j->endpoints[r]);
  if (!net_msg_finish(&m)) {
    net_msg_free(&m);
    return; /* out of memory: the job's deadline will fail it */
  }
  j->paired = true;
  s->paired++;
  logf_(s, "job %s: all %d ranks registered in %.2f s; sent the peers", j->job, (int)j->world,
        cy_now() - j->started);
  for (int32_t r = 0; r < j->world; r++) {
    nat_conn *c = &s->conns[j->conn_of_rank[r]];
    if (net_write_all(c->fd, m.data, m.len, cy_now() + 1.0, "a rank", NULL) != CY_OK)
      logf_(s, "job %s: could not send rank %d its peers", j->job, (int)r);
  }
  net_msg_free(&m);
}

/* "ranks 1, 4 and 5" of those not registered (the first 16 at most). */
static void missing_list(const nat_job *j, char *buf, size_t size) {
  int32_t missing = j->world - j->registered, listed = 0;
  size_t used = (size_t)snprintf(buf, size, "%s ", missing == 1 ? "rank" : "ranks");
  for (int32_t r = 0; r < j->world && listed < 16 && used < size; r++) {
    if (j->conn_of_rank[r] >= 0) continue;
    const char *sep = listed == 0 ? "" : listed == missing - 1 ? " and " : ", ";
    used += (size_t)snprintf(buf + used, size - used, "%s%d", sep, (int)r);
    listed++;
  }
  if (listed < missing && used < size)
    snprintf(buf + used, size - used, ", ... (%d in all)", (int)missing);
}

/* The job's ranks did not all register in time: tell those that did, and forget it. */
static void job_fail(nat_server *s, nat_job *j) {
  char list[256], why[NAT_REASON_MAX];
  missing_list(j, list, sizeof list);
  snprintf(why, sizeof why, "job %s: %s of %d never registered at the rendezvous (%d of %d "
           "did within %.1f s)", j->job, list, (int)j->world, (int)j->registered, (int)j->world,
           cy_now() - j->started);
  logf_(s, "%s", why);
  for (int32_t r = 0; r < j->world; r++) {
    if (j->conn_of_rank[r] < 0) continue;
    nat_conn *c = &s->conns[j->conn_of_rank[r]];
    c->owner = NULL; /* the job goes below, whoever is connected */
    reply_text(c, NAT_FAILED, why);
    conn_drop(s, c);
  }
  job_free(s, j);
}

static void take_register(nat_server *s, nat_conn *c, const nat_request *rq) {
  char why[NAT_REASON_MAX];
  nat_job *j = job_find(s, rq->job);
  if (j && j->world != rq->world) {
    snprintf(why, sizeof why, "rank %d of job %s says the world has %d ranks, but it has %d",
             (int)rq->rank, rq->job, (int)rq->world, (int)j->world);
    refuse(s, c, why);
    return;
  }
  if (j && (j->conn_of_rank[rq->rank] >= 0 || j->paired)) {
    snprintf(why, sizeof why, "rank %d of job %s has already registered", (int)rq->rank,
             rq->job);
    refuse(s, c, why);
    return;
  }
  if (j == NULL && (j = job_new(s, rq)) == NULL) {
    refuse(s, c, "the rendezvous server is out of memory");
    return;
  }
  if ((j->endpoints[rq->rank] = strdup(c->seen)) == NULL) {
    refuse(s, c, "the rendezvous server is out of memory");
    return;
  }
  c->state = CONN_RANK;
  c->owner = j;
  c->rank = rq->rank;
  j->conn_of_rank[rq->rank] = (int)(c - s->conns);
  j->registered++;
  logf_(s, "job %s: rank %d of %d registered from %s", j->job, (int)rq->rank, (int)j->world,
        c->seen);
  if (!reply_text(c, NAT_REGISTERED, c->seen)) {
    conn_drop(s, c);
    return;
  }
  if (j->registered == j->world) job_pair(s, j);
}

/* ---- relaying ----------------------------------------------------------------------- */

static bool reply_spliced(nat_conn *c) {
  net_msg m;
  net_msg_init(&m);
  net_msg_u32(&m, NAT_MAGIC);
  net_msg_u32(&m, NAT_SPLICED);
  net_msg_u32(&m, (uint32_t)c->peer);
  return send_msg(c, &m);
}

static void take_relay(nat_server *s, nat_conn *c, const nat_request *rq) {
  c->rank = rq->rank;
  c->peer = rq->peer;
  c->world = rq->world;
  snprintf(c->job, sizeof c->job, "%s", rq->job);
  for (int i = 0; i < NAT_MAX_CONNS; i++) {
    nat_conn *o = &s->conns[i];
    if (o->state != CONN_RELAY_WAIT || o->rank != c->peer || o->peer != c->rank ||
        o->world != c->world || strcmp(o->job, c->job) != 0)
      continue;
    if ((c->buf = malloc(SPLICE_BUF)) == NULL || (o->buf = malloc(SPLICE_BUF)) == NULL) {
      refuse(s, c, "the rendezvous server is out of memory");
      return;
    }
    if (!reply_spliced(c) || !reply_spliced(o)) {
      logf_(s, "job %s: the relay of ranks %d and %d broke at once", c->job, (int)c->rank,
            (int)c->peer);
      conn_drop(s, c);
      conn_drop(s, o);
      return;
    }
    c->state = o->state = CONN_SPLICED;
    c->other = i;
    o->other = (int)(c - s->conns);
    s->spliced++;
    logf_(s, "job %s: relaying ranks %d (%s) and %d (%s)", c->job, (int)o->rank, o->seen,
          (int)c->rank, c->seen);
    return;
  }
  c->state = CONN_RELAY_WAIT;
  c->deadline = cy_now() + wait_seconds(rq->wait_ms);
}

/* Close both halves of a relayed pair. */
static void splice_end(nat_server *s, nat_conn *c, const char *how) {
  nat_conn *o = &s->conns[c->other];
  logf_(s, "job %s: relay of ranks %d and %d %s (%lld and %lld bytes passed on)", c->job,
        (int)c->rank, (int)c->peer, how, (long long)c->relayed, (long long)o->relayed);
  conn_drop(s, o);
  conn_drop(s, c);
}

/* Move what can be moved between the halves of a pair, and pass ends of stream on.
 * False when the pair was closed. */
static bool splice_pump(nat_server *s, nat_conn *c, short revents) {
  nat_conn *o = &s->conns[c->other];
  if (revents & POLLIN && !c->rd_eof && c->buf_end < SPLICE_BUF) {
    ssize_t n = recv(c->fd, c->buf + c->buf_end, SPLICE_BUF - c->buf_end, 0);
    if (n > 0) c->buf_end += (size_t)n;
    else if (n == 0) c->rd_eof = true;
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      splice_end(s, c, "broke");
      return false;
    }
  }
  if (revents & POLLOUT && o->buf_end > o->buf_start) {
    ssize_t n = send(c->fd, o->buf + o->buf_start, o->buf_end - o->buf_start, MSG_NOSIGNAL);
    if (n > 0) {
      o->buf_start += (size_t)n;
      o->relayed += n;
      if (o->buf_start == o->buf_end) o->buf_start = o->buf_end = 0;
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      splice_end(s, c, "broke");
      return false;
    }
  }
  if ((revents & (POLLERR | POLLNVAL)) || ((revents & POLLHUP) && !(revents & POLLIN) &&
                                           o->buf_end == o->buf_start)) {
    splice_end(s, c, "was cut");
    return false;
  }
  /* An end of stream whose bytes are all out goes on as a half-close. */
  for (int k = 0; k < 2; k++) {
    nat_conn *from = k ? o : c, *to = k ? c : o;
    if (from->rd_eof && from->buf_end == from->buf_start && !to->wr_shut) {
      shutdown(to->fd, SHUT_WR);
      to->wr_shut = true;
    }
  }
  if (c->wr_shut && o->wr_shut) {
    splice_end(s, c, "ended");
    return false;
  }
  return true;
}

/* ---- the loop ----------------------------------------------------------------------- */

static void take_request(nat_server *s, nat_conn *c) {
  nat_request rq;
  char why[NAT_REASON_MAX];
  if (!nat_request_parse(c->in.body, c->in.body_len, &rq, why, sizeof why)) {
    refuse(s, c, why);
    return;
  }
  net_inbox_free(&c->in);
  if (!token_ok(s, rq.token)) {
    snprintf(why, sizeof why, "wrong token for job %s: the rendezvous pairs only ranks that "
             "hold their job's token", rq.job);
    refuse(s, c, why);
    return;
  }
  if (rq.kind == NAT_REGISTER) take_register(s, c, &rq);
  else take_relay(s, c, &rq);
}

static void on_ready(nat_server *s, nat_conn *c, short revents) {
  if (c->state == CONN_SPLICED) {
    splice_pump(s, c, revents);
    return;
  }
  if (c->state == CONN_NEW) {
    const char *why = NULL;
    int rc = net_inbox_read(c->fd, &c->in, &why);
    if (rc > 0) take_request(s, c);
    else if (rc < 0 && strcmp(why, "message too long") == 0) refuse(s, c, "a request too long");
    else if (rc < 0) conn_drop(s, c);
    return;
  }
  /* A control connection or a waiting relay sends nothing more: bytes are dropped, and an
   * end of stream means the rank has gone. */
  char junk[256];
  ssize_t n = recv(c->fd, junk, sizeof junk, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    if (c->state == CONN_RANK && c->owner && !c->owner->paired)
      logf_(s, "job %s: rank %d left before its job was paired", c->owner->job, (int)c->rank);
    conn_drop(s, c);
  }
}

static void expire(nat_server *s) {
  double now = cy_now();
  for (int i = 0; i < NAT_MAX_CONNS; i++) {
    nat_conn *c = &s->conns[i];
    if (c->state == CONN_NEW && now >= c->deadline) {
      refuse(s, c, "no request in time");
    } else if (c->state == CONN_RELAY_WAIT && now >= c->deadline) {
      char why[NAT_REASON_MAX];
      snprintf(why, sizeof why, "job %s: rank %d never asked to be relayed to rank %d",
               c->job, (int)c->peer, (int)c->rank);
      logf_(s, "%s", why);
      reply_text(c, NAT_FAILED, why);
      conn_drop(s, c);
    }
  }
  for (nat_job *j = s->jobs, *next; j; j = next) {
    next = j->next;
    if (!j->paired && now >= j->deadline) job_fail(s, j);
  }
}

static double next_deadline(const nat_server *s, double limit) {
  double d = limit;
  for (int i = 0; i < NAT_MAX_CONNS; i++) {
    const nat_conn *c = &s->conns[i];
    if ((c->state == CONN_NEW || c->state == CONN_RELAY_WAIT) && c->deadline < d)
      d = c->deadline;
  }
  for (const nat_job *j = s->jobs; j; j = j->next)
    if (!j->paired && j->deadline < d) d = j->deadline;
  return d;
}

static int fill_pollfds(nat_server *s) {
  int n = 0;
  s->pfds[n] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
  s->pfd_conn[n++] = -1;
  for (int i = 0; i < NAT_MAX_CONNS; i++) {
    nat_conn *c = &s->conns[i];
    if (c->state == CONN_FREE) continue;
    short ev = 0;
    if (c->state != CONN_SPLICED) ev = POLLIN;
    else {
      const nat_conn *o = &s->conns[c->other];
      if (!c->rd_eof && c->buf_end < SPLICE_BUF) ev |= POLLIN;
      if (o->buf_end > o->buf_start) ev |= POLLOUT;
    }
    s->pfds[n] = (struct pollfd){.fd = c->fd, .events = ev};
    s->pfd_conn[n++] = i;
  }
  return n;
}

cy_status nat_server_step(nat_server *s, int max_ms, cy_error *err) {
  int n = fill_pollfds(s);
  int ms = net_poll_ms(next_deadline(s, cy_now() + max_ms / 1000.0), max_ms);
  if (poll(s->pfds, (nfds_t)n, ms) < 0 && errno != EINTR) {
    cy_error_set(err, "rendezvous: poll failed: %s", strerror(errno));
    return CY_EIO;
  }
  for (int i = 0; i < n; i++) {
    if (s->pfds[i].revents == 0) continue;
    if (s->pfd_conn[i] < 0) {
      accept_new(s);
      continue;
    }
    nat_conn *c = &s->conns[s->pfd_conn[i]];
    /* A connection closed earlier in this round (the other half of a pair) is skipped. */
    if (c->fd != s->pfds[i].fd || c->state == CONN_FREE) continue;
    on_ready(s, c, s->pfds[i].revents);
  }
  expire(s);
  return CY_OK;
}

cy_status nat_server_run(nat_server *s, volatile int *stop, cy_error *err) {
  while (!*stop) CY_RETURN_NOT_OK(nat_server_step(s, 200, err));
  return CY_OK;
}

void nat_server_counts(const nat_server *s, int64_t *paired, int64_t *refused,
                       int64_t *spliced) {
  if (paired) *paired = s->paired;
  if (refused) *refused = s->refused;
  if (spliced) *spliced = s->spliced;
}

void nat_server_free(nat_server *s) {
  if (s == NULL) return;
  for (int i = 0; i < NAT_MAX_CONNS; i++)
    if (s->conns[i].state != CONN_FREE) conn_drop(s, &s->conns[i]);
  while (s->jobs) job_free(s, s->jobs);
  if (s->listen_fd >= 0) close(s->listen_fd);
  free(s->conns);
  free(s->pfds);
  free(s->pfd_conn);
  free(s);
}

/* ---- the public face (net.h) -------------------------------------------------------- */

struct cy_rendezvous {
  nat_server *server;
  int port;
};

cy_status cy_rendezvous_open(const char *bind_host, int port, const char *token, bool log,
                             cy_rendezvous **out, cy_error *err) {
  *out = NULL;
  cy_rendezvous *r = calloc(1, sizeof *r);
  if (r == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  int fd;
  nat_server_options o = {.token = token, .log = log ? stderr : NULL};
  cy_status st = net_listen(bind_host ? bind_host : "0.0.0.0", port, 1024, &fd, &r->port, err);
  if (st == CY_OK) st = nat_server_new(fd, &o, &r->server, err);
  if (st != CY_OK) {
    free(r);
    return st;
  }
  *out = r;
  return CY_OK;
}

int cy_rendezvous_port(const cy_rendezvous *server) { return server->port; }

cy_status cy_rendezvous_run(cy_rendezvous *server, volatile int *stop, cy_error *err) {
  return nat_server_run(server->server, stop, err);
}

void cy_rendezvous_counts(const cy_rendezvous *server, int64_t *paired, int64_t *refused,
                          int64_t *relayed) {
  nat_server_counts(server->server, paired, refused, relayed);
}

void cy_rendezvous_close(cy_rendezvous *server) {
  if (server == NULL) return;
  nat_server_free(server->server);
  free(server);
}
