/*
 * tcp_mesh.c - forming the tcp backend's full mesh, and refusing strangers.
 *
 * Every rank listens before the bootstrap publishes its endpoint, so by the time a rank
 * knows its peers' addresses, all of them accept connections. Rank r then connects to
 * every higher rank and says hello (magic, version, job id, rank, world); it accepts one
 * connection from every lower rank and answers each hello. Connecting never waits for the
 * other side's code (the kernel completes it from the listen backlog) and hellos are small
 * enough to sit in socket buffers, so the one poll loop below, which accepts, answers and
 * reads answers as they come, cannot deadlock.
 *
 * A hello is accepted only with our job id, our world size, a rank below ours that is not
 * connected yet; anything else is answered with the reason and closed. After the mesh is
 * formed the listener stays open and the I/O thread keeps refusing newcomers the same way,
 * so a stranger neither disturbs the job nor hangs a thread.
 *
 *   hello:  u32 "CYTC", u32 version, str job, u32 rank, u32 world
 *   answer: u32 "CYTC", u32 status (0 accepted, 1 refused), then
 *           u32 rank and str job (accepted), or str reason (refused)
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/tcp_internal.h"

#define TCP_MAGIC 0x43545943u /* "CYTC" */
#define TCP_VERSION 1u
#define HELLO_MAX 1024
#define NEWCOMER_SECONDS 5.0 /* how long a connection may take to say who it is */

bool tcp_hello_encode(net_msg *m, const char *job, int32_t rank, int32_t world) {
  net_msg_init(m);
  net_msg_u32(m, TCP_MAGIC);
  net_msg_u32(m, TCP_VERSION);
  net_msg_str(m, job);
  net_msg_u32(m, (uint32_t)rank);
  net_msg_u32(m, (uint32_t)world);
  return net_msg_finish(m);
}

bool tcp_answer_decode(const net_inbox *in, bool *accepted, int32_t *rank, char *why,
                       size_t why_size) {
  net_reader r = net_reader_of(in);
  uint32_t magic = net_read_u32(&r), status = net_read_u32(&r);
  *accepted = status == 0;
  *rank = -1;
  why[0] = 0;
  if (status == 0) {
    *rank = (int32_t)net_read_u32(&r);
    net_read_str(&r, why, why_size); /* the acceptor's job id */
  } else {
    net_read_str(&r, why, why_size);
  }
  return r.ok && magic == TCP_MAGIC;
}

/* Send an answer; best effort for refusals (the stranger may be gone already). */
static cy_status send_answer(tcp_comm *tc, int fd, bool accept, const char *why,
                             cy_error *err) {
  net_msg m;
  net_msg_init(&m);
  net_msg_u32(&m, TCP_MAGIC);
  net_msg_u32(&m, accept ? 0u : 1u);
  if (accept) {
    net_msg_u32(&m, (uint32_t)tc->rank);
    net_msg_str(&m, tc->job);
  } else {
    net_msg_str(&m, why);
  }
  cy_status st = CY_ENOMEM;
  if (net_msg_finish(&m)) st = net_write_all(fd, m.data, m.len, cy_now() + 1.0, "a newcomer", err);
  net_msg_free(&m);
  return st;
}

/* Whether a hello may join: returns the rank, or -1 with why filled. */
static int32_t judge_hello(tcp_comm *tc, const net_inbox *in, char *why, size_t size) {
  net_reader r = net_reader_of(in);
  char job[COMM_JOB_MAX];
  uint32_t magic = net_read_u32(&r), version = net_read_u32(&r);
  net_read_str(&r, job, sizeof job);
  int32_t rank = (int32_t)net_read_u32(&r), world = (int32_t)net_read_u32(&r);
  if (!r.ok || magic != TCP_MAGIC || version != TCP_VERSION)
    snprintf(why, size, "not a cylon tcp hello");
  else if (strcmp(job, tc->job) != 0)
    snprintf(why, size, "rank %d refused a connection: wrong job id", (int)tc->rank);
  else if (world != tc->world)
    snprintf(why, size, "rank %d refused a connection: world size %d, not %d", (int)tc->rank,
             (int)world, (int)tc->world);
  else if (tc->mesh_formed)
    snprintf(why, size, "rank %d refused a connection claiming rank %d: all connections are "
             "made", (int)tc->rank, (int)rank);
  else if (rank < 0 || rank >= tc->rank)
    snprintf(why, size, "rank %d refused a connection from rank %d: only lower ranks connect",
             (int)tc->rank, (int)rank);
  else if (tc->peers[rank].fd >= 0)
    snprintf(why, size, "rank %d refused a connection from rank %d: it is already connected",
             (int)tc->rank, (int)rank);
  else
    return rank;
  return -1;
}

static void newcomer_drop(tcp_newcomer *n) {
  if (n->fd >= 0) close(n->fd);
  net_inbox_free(&n->in);
  n->fd = -1;
}

static tcp_newcomer *newcomer_free_slot(tcp_comm *tc) {
  for (int i = 0; i < TCP_NEWCOMERS; i++)
    if (tc->newcomers[i].fd < 0) return &tc->newcomers[i];
  return NULL;
}

/* Take pending connections into free slots. Beyond them: while the mesh forms, the rest
 * wait in the listen backlog (more than TCP_NEWCOMERS lower ranks may knock at once);
 * afterwards every knock is a stranger's, and is hung up on at once. */
static void newcomers_accept(tcp_comm *tc, double deadline) {
  int fd;
  for (;;) {
    tcp_newcomer *slot = newcomer_free_slot(tc);
    if (slot == NULL && !tc->mesh_formed) return;
    if ((fd = net_accept(tc->listen_fd)) < 0) return;
    if (slot == NULL) {
      close(fd);
      continue;
    }
    memset(slot, 0, sizeof *slot);
    slot->fd = fd;
    slot->in.max_len = HELLO_MAX;
    slot->deadline = deadline;
  }
}

/* Read from a newcomer; once its hello is whole, admit it as a peer (returns its rank) or
 * refuse it. -1 otherwise. */
static int32_t newcomer_read(tcp_comm *tc, tcp_newcomer *n) {
  const char *why_io = NULL;
  int rc = net_inbox_read(n->fd, &n->in, &why_io);
  if (rc < 0) newcomer_drop(n);
  if (rc <= 0) return -1;
  char why[256];
  int32_t rank = judge_hello(tc, &n->in, why, sizeof why);
  if (rank < 0 || send_answer(tc, n->fd, true, NULL, NULL) != CY_OK) {
    if (rank < 0) send_answer(tc, n->fd, false, why, NULL);
    newcomer_drop(n);
    return -1;
  }
  tc->peers[rank].fd = n->fd;
  net_inbox_free(&n->in);
  n->fd = -1;
  return rank;
}

int tcp_newcomers_pollfds(tcp_comm *tc, struct pollfd *pfds, int max) {
  int k = 0;
  /* a full house while the mesh forms: leave the listener alone until a slot frees */
  if (tc->listen_fd >= 0 && k < max && (tc->mesh_formed || newcomer_free_slot(tc)))
    pfds[k++] = (struct pollfd){.fd = tc->listen_fd, .events = POLLIN};
  for (int i = 0; i < TCP_NEWCOMERS && k < max; i++)
    if (tc->newcomers[i].fd >= 0)
      pfds[k++] = (struct pollfd){.fd = tc->newcomers[i].fd, .events = POLLIN};
  return k;
}

/* Hang up on newcomers that took too long to say who they are. */
static void newcomers_expire(tcp_comm *tc) {
  double now = cy_now();
  for (int i = 0; i < TCP_NEWCOMERS; i++)
    if (tc->newcomers[i].fd >= 0 && now >= tc->newcomers[i].deadline)
      newcomer_drop(&tc->newcomers[i]);
}

static tcp_newcomer *newcomer_of_fd(tcp_comm *tc, int fd) {
  for (int i = 0; i < TCP_NEWCOMERS; i++)
    if (tc->newcomers[i].fd == fd) return &tc->newcomers[i];
  return NULL;
}

void tcp_newcomers_step(tcp_comm *tc, const struct pollfd *pfds, int n) {
  for (int i = 0; i < n; i++) {
    if (pfds[i].revents == 0) continue;
    if (pfds[i].fd == tc->listen_fd) {
      newcomers_accept(tc, cy_now() + NEWCOMER_SECONDS);
      continue;
    }
    tcp_newcomer *nc = newcomer_of_fd(tc, pfds[i].fd);
    /* The mesh is formed, so judge_hello refuses every hello now. */
    if (nc) newcomer_read(tc, nc);
  }
  newcomers_expire(tc);
}

void tcp_newcomers_close(tcp_comm *tc) {
  for (int i = 0; i < TCP_NEWCOMERS; i++) newcomer_drop(&tc->newcomers[i]);
}

/* ---- forming the mesh --------------------------------------------------------------- */

/* Connect to every higher rank and say hello. */
static cy_status connect_up(tcp_comm *tc, net_inbox *answers, double deadline,
                            cy_error *err) {
  net_msg hello;
  if (!tcp_hello_encode(&hello, tc->job, tc->rank, tc->world)) {
    net_msg_free(&hello);
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  for (int32_t r = tc->rank + 1; r < tc->world && st == CY_OK; r++) {
    char host[256], what[64];
    int port;
    snprintf(what, sizeof what, "rank %d", (int)r);
    st = net_split_hostport(tc->endpoints[r], host, sizeof host, &port, err);
    if (st == CY_OK) st = net_connect(host, port, deadline, true, what, &tc->peers[r].fd, err);
    if (st == CY_OK)
      st = net_write_all(tc->peers[r].fd, hello.data, hello.len, deadline, what, err);
    answers[r].max_len = HELLO_MAX;
  }
  net_msg_free(&hello);
  return st;
}

/* A higher rank's answer to our hello has arrived whole: check it. */
static cy_status check_answer(tcp_comm *tc, int32_t r, const net_inbox *in, cy_error *err) {
  bool accepted;
  int32_t their_rank;
  char why[256];
  if (!tcp_answer_decode(in, &accepted, &their_rank, why, sizeof why)) {
    cy_error_set(err, "the address of rank %d (%s) does not speak cylon's tcp protocol",
                 (int)r, tc->endpoints[r]);
    return CY_EIO;
  }
  if (!accepted) {
    cy_error_set(err, "rank %d refused our connection: %s", (int)r, why);
    return ECONNREFUSED;
  }
  if (their_rank != r || strcmp(why, tc->job) != 0) {
    cy_error_set(err, "the address of rank %d (%s) answered as rank %d of another job",
                 (int)r, tc->endpoints[r], (int)their_rank);
    return ECONNREFUSED;
  }
  return CY_OK;
}

/* "rank 1 did not connect, rank 5 did not answer" for a timeout. */
static void describe_missing(tcp_comm *tc, const bool *answered, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = 0;
  for (int32_t r = 0; r < tc->world && used < size; r++) {
    bool in = r < tc->rank && tc->peers[r].fd < 0, out = r > tc->rank && !answered[r];
    if (!in && !out) continue;
    used += (size_t)snprintf(buf + used, size - used, "%srank %d %s", used ? ", " : "",
                             (int)r, in ? "did not connect" : "did not answer");
  }
}

/* One round of the handshake loop: returns the number of connections still missing. */
static int handshake_round(tcp_comm *tc, net_inbox *answers, bool *answered, double deadline,
                           struct pollfd *pfds, cy_status *st, cy_error *err) {
  int n = tcp_newcomers_pollfds(tc, pfds, TCP_NEWCOMERS + 1);
  int32_t first_up = n;
  for (int32_t r = tc->rank + 1; r < tc->world; r++)
    if (!answered[r]) pfds[n++] = (struct pollfd){.fd = tc->peers[r].fd, .events = POLLIN};
  if (poll(pfds, (nfds_t)n, net_poll_ms(deadline, 1000)) < 0 && errno != EINTR) {
    cy_error_set(err, "poll: %s", strerror(errno));
    *st = CY_EIO;
    return 1;
  }
  for (int i = 0; i < first_up; i++) {
    if (pfds[i].revents == 0) continue;
    tcp_newcomer *nc = newcomer_of_fd(tc, pfds[i].fd);
    if (pfds[i].fd == tc->listen_fd) newcomers_accept(tc, cy_now() + NEWCOMER_SECONDS);
    else if (nc) newcomer_read(tc, nc);
  }
  newcomers_expire(tc);
  for (int32_t r = tc->rank + 1, i = first_up; r < tc->world && *st == CY_OK; r++) {
    if (answered[r]) continue;
    if (pfds[i++].revents == 0) continue;
    const char *why = NULL;
    char what[64];
    int rc = net_inbox_read(tc->peers[r].fd, &answers[r], &why);
    if (rc < 0) {
      snprintf(what, sizeof what, "rank %d", (int)r);
      cy_error_set(err, "handshake with %s at %s: %s", what, tc->endpoints[r], why);
      *st = CY_EIO;
    } else if (rc > 0) {
      *st = check_answer(tc, r, &answers[r], err);
      answered[r] = true;
    }
  }
  int missing = 0;
  for (int32_t r = 0; r < tc->world; r++)
    missing += (r < tc->rank && tc->peers[r].fd < 0) || (r > tc->rank && !answered[r]);
  return missing;
}

cy_status tcp_mesh_form(tcp_comm *tc, double deadline, cy_error *err) {
  net_inbox *answers = calloc((size_t)tc->world, sizeof *answers);
  bool *answered = calloc((size_t)tc->world, sizeof *answered);
  struct pollfd *pfds = calloc((size_t)tc->world + TCP_NEWCOMERS + 2, sizeof *pfds);
  cy_status st = CY_OK;
  if (answers == NULL || answered == NULL || pfds == NULL) {
    cy_error_set(err, "out of memory");
    st = CY_ENOMEM;
  }
  if (st == CY_OK) st = connect_up(tc, answers, deadline, err);
  int missing = 1;
  while (st == CY_OK && missing > 0) {
    missing = handshake_round(tc, answers, answered, deadline, pfds, &st, err);
    if (st == CY_OK && missing > 0 && cy_now() >= deadline) {
      char list[512];
      describe_missing(tc, answered, list, sizeof list);
      cy_error_set(err, "rank %d timed out forming the tcp mesh: %s", (int)tc->rank, list);
      st = ETIMEDOUT;
    }
  }
  for (int32_t r = 0; answers && r < tc->world; r++) net_inbox_free(&answers[r]);
  /* Newcomers not judged yet stay for the I/O thread to answer: closing them here, with
   * their hello unread, would reset the connection instead of telling them why. */
  free(answers);
  free(answered);
  free(pfds);
  for (int32_t r = 0; st == CY_OK && r < tc->world; r++)
    if (tc->peers[r].fd >= 0) net_set_nodelay(tc->peers[r].fd);
  return st;
}
