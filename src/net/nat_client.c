/*
 * nat_client.c - the rank's side of NAT traversal (nat.h): forming the tcp backend's mesh
 * through a rendezvous server instead of listening and connecting directly.
 *
 * The rank binds one local port (its peer port) with SO_REUSEADDR and SO_REUSEPORT, so
 * that several sockets may use it at once: the control connection to the server, then one
 * outgoing connection per peer. A NAT maps the peer port to a public one when the control
 * connection goes out; a NAT with endpoint-independent mapping (most, and Linux's
 * masquerading when the port is free) keeps that mapping for every destination, so when
 * two ranks connect to each other's public endpoint at the same time, each one's SYN
 * opens its own NAT for the other's, and TCP's simultaneous open joins the two attempts
 * into one connection. An attempt that is refused (the other side's SYN has not gone out
 * yet) is repeated, every pair concurrently, for a bounded time (punch_ms). The peer port
 * also listens meanwhile: a peer's SYN that finds no attempt of ours to meet is accepted
 * rather than refused (with no NAT in between, as on loopback, that is how pairs meet).
 * A pair may then hold two connections; the one the lower rank made is kept (the hello
 * says which side connected), so both ends agree without another round trip.
 *
 * Pairs still unconnected then are relayed: each rank opens a connection to the server
 * per such peer and names the pair; the server splices the two. Every connection, direct
 * or relayed, starts with a hello both ways (job id, rank, world), so a rank never takes a
 * stranger's stream for its peer's. The path each pair took is recorded for summaries.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/nat.h"
#include "net/tcp_internal.h"

#define PAIR_MAGIC 0x504e5943u /* "CYNP": a hello between the two ends of a pair */
#define HELLO_MAX 1024
#define RETRY_SECONDS 0.05      /* pause after a refused attempt */
#define HELLO_GRACE_SECONDS 2.0 /* a connection made just before punch_ms ends may finish */
#define DEFAULT_PUNCH_MS 5000

bool nat_client_options_get(const cy_comm_options *opts, nat_client_options *out) {
  memset(out, 0, sizeof *out);
  out->addr = opts->rendezvous ? opts->rendezvous : getenv("CYLON_RENDEZVOUS");
  if (out->addr == NULL || out->addr[0] == 0) return false;
  out->token = opts->rendezvous_token ? opts->rendezvous_token : getenv("CYLON_RENDEZVOUS_TOKEN");
  if (out->token == NULL) out->token = "";
  out->punch_ms = DEFAULT_PUNCH_MS;
  const char *ms = getenv("CYLON_NAT_PUNCH_MS");
  char *end = NULL;
  long long v = ms ? strtoll(ms, &end, 10) : -1;
  if (ms && ms[0] && *end == 0 && v >= 0) out->punch_ms = v; /* else the default */
  const char *relay = getenv("CYLON_NAT_RELAY");
  out->force_relay = relay && strcmp(relay, "1") == 0;
  return true;
}

/* ---- addresses and sockets ---------------------------------------------------------- */

typedef struct nat_addr {
  struct sockaddr_storage sa;
  socklen_t len;
} nat_addr;

static cy_status resolve(const char *hostport, bool numeric, nat_addr *out, cy_error *err) {
  char host[256], service[16];
  int port;
  CY_RETURN_NOT_OK(net_split_hostport(hostport, host, sizeof host, &port, err));
  snprintf(service, sizeof service, "%d", port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  if (numeric) hints.ai_flags = AI_NUMERICHOST;
  struct addrinfo *ai;
  int rc = getaddrinfo(host, service, &hints, &ai);
  if (rc != 0) {
    cy_error_set(err, "cannot resolve '%s': %s", hostport, gai_strerror(rc));
    return CY_EINVAL;
  }
  memcpy(&out->sa, ai->ai_addr, ai->ai_addrlen);
  out->len = ai->ai_addrlen;
  freeaddrinfo(ai);
  return CY_OK;
}

static int port_of(const struct sockaddr_storage *ss) {
  return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
                                         : ((const struct sockaddr_in *)ss)->sin_port);
}

/* Start a non-blocking connect to dst from local port (0: any) with the port shared
 * (SO_REUSEADDR + SO_REUSEPORT). *fd is the socket; returns 0 or the errno of a failure
 * that is already known. */
static int connect_from(const nat_addr *dst, int port, int *fd) {
  *fd = -1;
  int s = socket(dst->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  int one = 1;
  struct sockaddr_storage local;
  memset(&local, 0, sizeof local);
  local.ss_family = dst->sa.ss_family;
  socklen_t llen;
  if (dst->sa.ss_family == AF_INET6) {
    ((struct sockaddr_in6 *)&local)->sin6_port = htons((uint16_t)port);
    llen = sizeof(struct sockaddr_in6);
  } else {
    ((struct sockaddr_in *)&local)->sin_port = htons((uint16_t)port);
    llen = sizeof(struct sockaddr_in);
  }
  if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      bind(s, (struct sockaddr *)&local, llen) != 0 ||
      (connect(s, (const struct sockaddr *)&dst->sa, dst->len) != 0 && errno != EINPROGRESS)) {
    int e = errno;
    close(s);
    return e;
  }
  *fd = s;
  return 0;
}

/* The outcome of a connect in progress once poll says it is ready: 0 or an errno. */
static int connect_result(int fd) {
  int e = 0;
  socklen_t len = sizeof e;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) e = errno;
  return e;
}

/* Connect to dst from port by the deadline, retrying while refused (a server that is not
 * up yet). */
static cy_status connect_wait(const nat_addr *dst, int port, double deadline,
                              const char *what, int *fd, cy_error *err) {
  int e = ETIMEDOUT;
  while (cy_now() < deadline) {
    e = connect_from(dst, port, fd);
    if (e == 0) {
      struct pollfd p = {.fd = *fd, .events = POLLOUT};
      while (poll(&p, 1, net_poll_ms(deadline, 1000)) == 0 && cy_now() < deadline) {
      }
      e = p.revents ? connect_result(*fd) : ETIMEDOUT;
      if (e == 0) return CY_OK;
      close(*fd);
      *fd = -1;
    }
    if (e != ECONNREFUSED && e != ENETUNREACH && e != EHOSTUNREACH && e != ECONNRESET) break;
    usleep(50000);
  }
  cy_error_set(err, "cannot connect to %s: %s", what,
               e == ETIMEDOUT ? "timed out" : strerror(e));
  return e == ETIMEDOUT ? ETIMEDOUT : CY_EIO;
}

static cy_status send_request(int fd, const nat_request *rq, double deadline, const char *what,
                              cy_error *err) {
  net_msg m;
  cy_status st = CY_ENOMEM;
  if (nat_request_encode(&m, rq)) st = net_write_all(fd, m.data, m.len, deadline, what, err);
  else cy_error_set(err, "out of memory");
  net_msg_free(&m);
  return st;
}

/* A reply of the server, by the deadline: refusals and failures become errors. */
static cy_status recv_reply(int fd, int32_t world, double deadline, const char *what,
                            int32_t rank, nat_reply *out, cy_error *err) {
  net_inbox in = {.max_len = (size_t)world * (COMM_ENDPOINT_MAX + 4) + 4096};
  cy_status st = net_recv_msg(fd, &in, deadline, what, err);
  char why[256];
  if (st == ETIMEDOUT)
    cy_error_set(err, "rank %d: no answer from %s in time", (int)rank, what);
  else if (st == CY_OK && !nat_reply_parse(in.body, in.body_len, world, out, why, sizeof why)) {
    cy_error_set(err, "rank %d: %s: %s", (int)rank, what, why);
    st = CY_EIO;
  } else if (st == CY_OK && out->kind == NAT_REFUSED) {
    cy_error_set(err, "rank %d: %s refused us: %s", (int)rank, what, out->text);
    st = ECONNREFUSED;
  } else if (st == CY_OK && out->kind == NAT_FAILED) {
    cy_error_set(err, "rank %d: %s: %s", (int)rank, what, out->text);
    st = ETIMEDOUT;
  }
  net_inbox_free(&in);
  return st;
}

/* ---- the hello between the two ends of a pair --------------------------------------- */

/* How a side came by its end of a connection. A pair may end up with two connections
 * (each side's attempt accepted by the other's listener), so both sides must agree on
 * one: a connection counts when the lower rank connected (ROLE_CONNECTED), whether the
 * higher one accepted it or connected too (simultaneous open). */
enum { ROLE_CONNECTED = 0, ROLE_ACCEPTED = 1 };

static bool pair_hello(net_msg *m, const tcp_comm *tc, uint32_t role) {
  net_msg_init(m);
  net_msg_u32(m, PAIR_MAGIC);
  net_msg_str(m, tc->job);
  net_msg_u32(m, (uint32_t)tc->rank);
  net_msg_u32(m, (uint32_t)tc->world);
  net_msg_u32(m, role);
  return net_msg_finish(m);
}

/* The rank whose hello `in` is (another rank of our job), with its role; -1 if none. */
static int32_t hello_from(const tcp_comm *tc, const net_inbox *in, uint32_t *role) {
  net_reader r = net_reader_of(in);
  char job[COMM_JOB_MAX];
  uint32_t magic = net_read_u32(&r);
  net_read_str(&r, job, sizeof job);
  uint32_t rank = net_read_u32(&r), world = net_read_u32(&r);
  *role = net_read_u32(&r);
  bool ok = r.ok && r.left == 0 && magic == PAIR_MAGIC && strcmp(job, tc->job) == 0 &&
            world == (uint32_t)tc->world && rank < world && rank != (uint32_t)tc->rank &&
            *role <= ROLE_ACCEPTED;
  return ok ? (int32_t)rank : -1;
}

/* Whether a connection with peer counts, given each side's role. */
static bool counts(const tcp_comm *tc, int32_t peer, uint32_t mine, uint32_t theirs) {
  return (tc->rank < peer ? mine : theirs) == ROLE_CONNECTED;
}

/* ---- pairs -------------------------------------------------------------------------- */

typedef enum link_state {
  LINK_IDLE = 0,   /* no attempt in progress (punch: try again at retry_at) */
  LINK_CONNECTING, /* a connect in progress */
  LINK_SPLICE,     /* relay: waiting for the server to pair us */
  LINK_HELLO,      /* connected, our hello sent, waiting for theirs */
  LINK_DONE
} link_state;

typedef struct nat_link {
  link_state state;
  int fd;
  double retry_at;
  net_inbox in;
  int attempts;
  int last_error;
} nat_link;

#define INCOMING_MAX 64

typedef struct nat_ctx {
  tcp_comm *tc;
  const nat_client_options *o;
  nat_link *links;   /* by peer: our attempt, then the connection */
  nat_link incoming[INCOMING_MAX]; /* accepted on our peer port, hello not yet read */
  int listen_fd;
  nat_addr *public_of; /* each rank's public endpoint */
  nat_addr server;
  int port; /* our peer port */
  net_msg hello, hello_accepted;
} nat_ctx;

static void link_reset(nat_link *l, double retry_at) {
  if (l->fd >= 0) close(l->fd);
  l->fd = -1;
  net_inbox_free(&l->in);
  l->state = LINK_IDLE;
  l->retry_at = retry_at;
}

/* The connection is made: say hello and wait for the peer's. */
static void link_connected(nat_ctx *x, nat_link *l, const net_msg *hello, double deadline) {
  if (net_write_all(l->fd, hello->data, hello->len, deadline, "a peer", NULL) != CY_OK) {
    l->last_error = EIO;
    link_reset(l, cy_now() + RETRY_SECONDS);
    return;
  }
  l->state = LINK_HELLO;
  l->in.max_len = HELLO_MAX;
}

/* Listen on our peer port too, so that a peer's attempt that finds no attempt of ours to
 * meet (simultaneous open needs both SYNs in flight) is not refused but accepted. */
static void listen_on_port(nat_ctx *x) {
  int s = socket(x->server.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
  struct sockaddr_storage local;
  memset(&local, 0, sizeof local);
  local.ss_family = x->server.sa.ss_family;
  socklen_t llen = sizeof(struct sockaddr_in);
  if (local.ss_family == AF_INET6) {
    ((struct sockaddr_in6 *)&local)->sin6_port = htons((uint16_t)x->port);
    llen = sizeof(struct sockaddr_in6);
  } else {
    ((struct sockaddr_in *)&local)->sin_port = htons((uint16_t)x->port);
  }
  x->listen_fd = -1;
  if (s < 0) return;
  if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      bind(s, (struct sockaddr *)&local, llen) != 0 || listen(s, INCOMING_MAX) != 0) {
    close(s); /* punching still works without it, through simultaneous open alone */
    return;
  }
  x->listen_fd = s;
}

static void accept_incoming(nat_ctx *x, double deadline) {
  int fd;
  while ((fd = net_accept(x->listen_fd)) >= 0) {
    nat_link *slot = NULL;
    for (int i = 0; i < INCOMING_MAX && slot == NULL; i++)
      if (x->incoming[i].fd < 0) slot = &x->incoming[i];
    if (slot == NULL) {
      close(fd);
      continue;
    }
    slot->fd = fd;
    link_connected(x, slot, &x->hello_accepted, deadline);
  }
}

/* A hello came on an accepted connection: it becomes its pair's connection if it counts. */
static void incoming_hello(nat_ctx *x, nat_link *in) {
  uint32_t role;
  int32_t p = hello_from(x->tc, &in->in, &role);
  if (p < 0 || x->links[p].state == LINK_DONE || !counts(x->tc, p, ROLE_ACCEPTED, role)) {
    link_reset(in, 0);
    return;
  }
  nat_link *l = &x->links[p];
  link_reset(l, 0); /* our own attempt, if any, is not needed */
  l->fd = in->fd;
  l->state = LINK_DONE;
  in->fd = -1;
  link_reset(in, 0);
}

/* A hello came on our attempt to reach peer p. */
static void attempt_hello(nat_ctx *x, nat_link *l, int32_t p) {
  uint32_t role;
  int32_t from = hello_from(x->tc, &l->in, &role);
  if (from == p && counts(x->tc, p, ROLE_CONNECTED, role)) {
    l->state = LINK_DONE;
    net_inbox_free(&l->in);
    return;
  }
  l->last_error = from == p ? EALREADY : EPROTO; /* the other connection will count */
  link_reset(l, cy_now() + RETRY_SECONDS);
}

/* One round of punching: start due attempts, poll, handle. Returns the pairs pending. */
static int punch_round(nat_ctx *x, double until, double deadline, struct pollfd *pfds,
                       int32_t *who, cy_status *st, cy_error *err) {
  tcp_comm *tc = x->tc;
  double now = cy_now();
  int n = 0, pending = 0;
  bool in_time = now < until, in_grace = now < until + HELLO_GRACE_SECONDS && now < deadline;
  for (int32_t p = 0; p < tc->world; p++) {
    nat_link *l = &x->links[p];
    if (p == tc->rank || l->state == LINK_DONE) continue;
    /* A connection already made may finish its hello a little after punch_ms. */
    if (!in_time && !(in_grace && l->state == LINK_HELLO)) {
      link_reset(l, 0);
      continue;
    }
    pending++;
    if (l->state == LINK_IDLE && now >= l->retry_at) {
      l->attempts++;
      int e = connect_from(&x->public_of[p], x->port, &l->fd);
      if (e != 0) l->last_error = e, l->retry_at = now + RETRY_SECONDS;
      else l->state = LINK_CONNECTING;
    }
    if (l->state == LINK_CONNECTING || l->state == LINK_HELLO) {
      pfds[n] = (struct pollfd){.fd = l->fd,
                                .events = l->state == LINK_CONNECTING ? POLLOUT : POLLIN};
      who[n++] = p;
    }
  }
  if (pending == 0) return 0;
  int first_incoming = n;
  if (x->listen_fd >= 0) {
    pfds[n] = (struct pollfd){.fd = x->listen_fd, .events = POLLIN};
    who[n++] = -1;
  }
  for (int i = 0; i < INCOMING_MAX; i++)
    if (x->incoming[i].fd >= 0)
      pfds[n] = (struct pollfd){.fd = x->incoming[i].fd, .events = POLLIN}, who[n++] = -2 - i;
  if (poll(pfds, (nfds_t)n, net_poll_ms(now + RETRY_SECONDS, 50)) < 0 && errno != EINTR) {
    cy_error_set(err, "poll: %s", strerror(errno));
    *st = CY_EIO;
    return 0;
  }
  for (int i = 0; i < n; i++) {
    if (pfds[i].revents == 0) continue;
    if (who[i] == -1) {
      accept_incoming(x, deadline);
      continue;
    }
    nat_link *l = i < first_incoming ? &x->links[who[i]] : &x->incoming[-2 - who[i]];
    if (l->fd != pfds[i].fd || l->state == LINK_DONE) continue; /* taken over meanwhile */
    if (l->state == LINK_CONNECTING) {
      int e = connect_result(l->fd);
      if (e != 0) l->last_error = e, link_reset(l, cy_now() + RETRY_SECONDS);
      else link_connected(x, l, &x->hello, deadline);
      continue;
    }
    const char *why = NULL;
    int rc = net_inbox_read(l->fd, &l->in, &why);
    if (rc < 0) l->last_error = EIO, link_reset(l, cy_now() + RETRY_SECONDS);
    else if (rc > 0 && i < first_incoming) attempt_hello(x, l, who[i]);
    else if (rc > 0) incoming_hello(x, l);
  }
  return pending;
}

/* Hole punching: every pair tries at once until all are connected or until `until`. */
static cy_status punch(nat_ctx *x, double until, double deadline, cy_error *err) {
  tcp_comm *tc = x->tc;
  size_t cap = (size_t)tc->world + 1 + INCOMING_MAX;
  struct pollfd *pfds = calloc(cap, sizeof *pfds);
  int32_t *who = calloc(cap, sizeof *who);
  cy_status st = CY_OK;
  if (pfds == NULL || who == NULL) {
    cy_error_set(err, "out of memory");
    st = CY_ENOMEM;
  }
  if (st == CY_OK && cy_now() < until) listen_on_port(x);
  while (st == CY_OK && punch_round(x, until, deadline, pfds, who, &st, err) > 0) {
  }
  if (x->listen_fd >= 0) close(x->listen_fd);
  x->listen_fd = -1;
  for (int i = 0; i < INCOMING_MAX; i++) link_reset(&x->incoming[i], 0);
  free(pfds);
  free(who);
  return st;
}

/* Relaying: one connection to the server per unconnected peer, all asked at once (a rank
 * waiting for one pair at a time could wait for a peer that waits for a third). */
static cy_status relay(nat_ctx *x, double deadline, cy_error *err) {
  tcp_comm *tc = x->tc;
  char what[COMM_ENDPOINT_MAX + 64];
  snprintf(what, sizeof what, "the rendezvous at %s", x->o->addr);
  nat_request rq = {.kind = NAT_RELAY, .rank = tc->rank, .world = tc->world};
  snprintf(rq.token, sizeof rq.token, "%s", x->o->token);
  snprintf(rq.job, sizeof rq.job, "%s", tc->job);
  for (int32_t p = 0; p < tc->world; p++) {
    nat_link *l = &x->links[p];
    if (p == tc->rank || l->state == LINK_DONE) continue;
    double left = (deadline - cy_now()) * 1000.0;
    rq.peer = p;
    rq.wait_ms = left > 0 ? (uint64_t)left : 0;
    CY_RETURN_NOT_OK(connect_wait(&x->server, 0, deadline, what, &l->fd, err));
    CY_RETURN_NOT_OK(send_request(l->fd, &rq, deadline, what, err));
    l->state = LINK_SPLICE;
  }
  for (int32_t p = 0; p < tc->world; p++) {
    nat_link *l = &x->links[p];
    if (l->state != LINK_SPLICE) continue;
    nat_reply reply;
    cy_status st = recv_reply(l->fd, tc->world, deadline, what, tc->rank, &reply, err);
    if (st == CY_OK && (reply.kind != NAT_SPLICED || reply.peer != p)) {
      cy_error_set(err, "rank %d: %s answered a relay request out of turn", (int)tc->rank,
                   what);
      st = CY_EIO;
    }
    nat_reply_reset(&reply);
    if (st != CY_OK) {
      cy_error_prefix(err, "relay to rank %d: ", (int)p);
      return st;
    }
    CY_RETURN_NOT_OK(net_write_all(l->fd, x->hello.data, x->hello.len, deadline, what, err));
    l->in.max_len = HELLO_MAX;
    st = net_recv_msg(l->fd, &l->in, deadline, "a relayed peer", err);
    uint32_t role;
    if (st == CY_OK && hello_from(tc, &l->in, &role) != p) {
      cy_error_set(err, "rank %d: the relay to rank %d carried a stranger's hello",
                   (int)tc->rank, (int)p);
      st = CY_EIO;
    }
    if (st != CY_OK) {
      cy_error_prefix(err, "relay to rank %d: ", (int)p);
      return st;
    }
    l->state = LINK_DONE;
  }
  return CY_OK;
}

/* Register at the server from a fresh peer port, and wait for everyone's public endpoint. */
static cy_status register_rank(nat_ctx *x, int *control, char ***publics, double deadline,
                               cy_error *err) {
  tcp_comm *tc = x->tc;
  char what[COMM_ENDPOINT_MAX + 64];
  snprintf(what, sizeof what, "the rendezvous at %s", x->o->addr);
  CY_RETURN_NOT_OK(connect_wait(&x->server, 0, deadline, what, control, err));
  struct sockaddr_storage local;
  socklen_t len = sizeof local;
  getsockname(*control, (struct sockaddr *)&local, &len);
  x->port = port_of(&local);
  nat_request rq = {.kind = NAT_REGISTER, .rank = tc->rank, .world = tc->world, .peer = -1};
  snprintf(rq.token, sizeof rq.token, "%s", x->o->token);
  snprintf(rq.job, sizeof rq.job, "%s", tc->job);
  double left = (deadline - cy_now()) * 1000.0;
  rq.wait_ms = left > 0 ? (uint64_t)left : 0;
  CY_RETURN_NOT_OK(send_request(*control, &rq, deadline, what, err));
  nat_reply reply;
  CY_RETURN_NOT_OK(recv_reply(*control, tc->world, deadline, what, tc->rank, &reply, err));
  nat_kind kind = reply.kind;
  nat_reply_reset(&reply);
  if (kind != NAT_REGISTERED) {
    cy_error_set(err, "rank %d: %s answered a registration out of turn", (int)tc->rank, what);
    return CY_EIO;
  }
  CY_RETURN_NOT_OK(recv_reply(*control, tc->world, deadline, what, tc->rank, &reply, err));
  if (reply.kind != NAT_PEERS) {
    nat_reply_reset(&reply);
    cy_error_set(err, "rank %d: %s sent no list of peers", (int)tc->rank, what);
    return CY_EIO;
  }
  *publics = reply.endpoints; /* taken over */
  return CY_OK;
}

cy_status nat_mesh_form(tcp_comm *tc, const nat_client_options *o, uint8_t *paths,
                        double deadline, cy_error *err) {
  nat_ctx x = {.tc = tc, .o = o, .listen_fd = -1};
  for (int i = 0; i < INCOMING_MAX; i++) x.incoming[i].fd = -1;
  int control = -1;
  cy_status st = resolve(o->addr, false, &x.server, err);
  if (st != CY_OK) {
    cy_error_prefix(err, "rendezvous: ");
    return st;
  }
  x.links = calloc((size_t)tc->world, sizeof *x.links);
  x.public_of = calloc((size_t)tc->world, sizeof *x.public_of);
  if (x.links == NULL || x.public_of == NULL || !pair_hello(&x.hello, tc, ROLE_CONNECTED) ||
      !pair_hello(&x.hello_accepted, tc, ROLE_ACCEPTED)) {
    cy_error_set(err, "out of memory");
    st = CY_ENOMEM;
  }
  for (int32_t p = 0; x.links && p < tc->world; p++) x.links[p].fd = -1;
  if (st == CY_OK) st = register_rank(&x, &control, &tc->endpoints, deadline, err);
  for (int32_t p = 0; st == CY_OK && p < tc->world; p++)
    st = resolve(tc->endpoints[p], true, &x.public_of[p], err);
  double until = cy_now() + (o->force_relay ? 0 : (double)o->punch_ms / 1000.0);
  if (until > deadline) until = deadline;
  if (st == CY_OK) st = punch(&x, until, deadline, err);
  for (int32_t p = 0; st == CY_OK && p < tc->world; p++)
    if (p != tc->rank && x.links[p].state == LINK_DONE) paths[p] = CY_COMM_PATH_DIRECT;
  if (st == CY_OK) st = relay(&x, deadline, err);
  for (int32_t p = 0; st == CY_OK && p < tc->world; p++) {
    if (p == tc->rank) continue;
    if (paths[p] != CY_COMM_PATH_DIRECT) paths[p] = CY_COMM_PATH_RELAY;
    tc->peers[p].fd = x.links[p].fd;
    x.links[p].fd = -1;
    net_set_nodelay(tc->peers[p].fd);
  }
  for (int32_t p = 0; x.links && p < tc->world; p++) link_reset(&x.links[p], 0);
  if (control >= 0) close(control);
  net_msg_free(&x.hello);
  net_msg_free(&x.hello_accepted);
  free(x.links);
  free(x.public_of);
  return st;
}
