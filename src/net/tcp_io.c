/*
 * tcp_io.c - the tcp backend's I/O thread: one per communicator, polling every socket.
 *
 * The thread sleeps in poll() on the sockets of all peers, the listener (strangers are
 * refused there, tcp_mesh.c) and a wake-up pipe that user threads write to when they
 * queue a send or when the communicator fails. Sockets are non-blocking; each round
 * reads and writes what the kernel takes, a bounded amount per peer so that one busy
 * connection cannot starve the others.
 *
 * Receiving: bytes land in a 64 KiB staging buffer where headers are parsed; once a
 * frame's payload is known to go to a message, it is read straight into the message's
 * buffer (readv into the rest of the frame plus the staging buffer, so the next header
 * comes with it), so large messages are not copied twice. Sending: the queue of a peer
 * becomes one sendmsg of up to TCP_IOV iovecs (headers and payload, many small messages
 * at once), straight from the caller's memory.
 *
 * Failure: when the communicator fails, this thread cuts every send queue short: the
 * frame on the wire is finished from a copy (so the caller's memory is released at once),
 * the rest is dropped, and a FAIL frame tells each peer why.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/tcp_internal.h"

#define RX_HEADER 0
#define RX_PAYLOAD 1
#define RX_TEXT 2
#define ROUND_BYTES ((int64_t)32 << 20) /* per peer and direction in one poll round */

int64_t tcp_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tcp_wake(tcp_comm *tc) {
  if (tc->wake_pending) return;
  tc->wake_pending = true;
  char b = 1;
  ssize_t n = write(tc->wake_fd[1], &b, 1); /* full pipe: a wake-up is pending anyway */
  (void)n;
}

/* ---- failing a peer's queue --------------------------------------------------------- */

static void out_free(tcp_out *o) {
  free(o->own);
  free(o);
}

/* Fail and drop every entry of p's send queue (lock held). */
static void drop_queue(tcp_comm *tc, tcp_peer *p, cy_status st, const char *why) {
  for (tcp_out *o = p->out_head, *next; o; o = next) {
    next = o->next;
    if (o->req) tcp_req_fail(tc, o->req, st, why);
    out_free(o);
  }
  p->out_head = p->out_tail = NULL;
  p->out_pos = 0;
}

static tcp_out *own_bytes(int64_t len) {
  tcp_out *o = calloc(1, sizeof *o);
  if (o && (o->own = malloc(len > 0 ? (size_t)len : 1)) == NULL) {
    free(o);
    return NULL;
  }
  if (o) o->len = len, o->data = o->own;
  return o;
}

/* The rest of the frame the head message is in the middle of, as our own bytes. */
static tcp_out *rest_of_frame(tcp_peer *p) {
  tcp_out *h = p->out_head;
  int64_t end = tcp_wire_frame_end(h->len, p->out_pos), n = end - p->out_pos, got = 0;
  tcp_out *o = own_bytes(n);
  if (o == NULL) return NULL;
  struct iovec iov[4];
  uint8_t hdrs[4][TCP_HDR];
  int nhdrs = 0;
  int k = tcp_wire_iov(h->tag, h->data, h->len, p->out_pos, iov, 4, hdrs, &nhdrs, &got);
  for (int i = 0, at = 0; i < k && at < n; i++) {
    size_t take = iov[i].iov_len < (size_t)(n - at) ? iov[i].iov_len : (size_t)(n - at);
    memcpy(o->own + at, iov[i].iov_base, take);
    at += (int)take;
  }
  return o;
}

static tcp_out *fail_frame(const char *why) {
  int64_t len = (int64_t)strlen(why);
  tcp_out *o = own_bytes(TCP_HDR + len);
  if (o == NULL) return NULL;
  tcp_frame f = {TCP_FAIL, 0, 0, len};
  tcp_frame_encode(o->own, &f);
  memcpy(o->own + TCP_HDR, why, (size_t)len);
  return o;
}

/* After a failure: finish the frame on the wire from a copy, drop the rest, say FAIL. */
static void abort_peer(tcp_comm *tc, tcp_peer *p) {
  tcp_out *keep = NULL;
  tcp_out *h = p->out_head;
  int64_t keep_pos = 0;
  if (h && p->out_pos > 0) {
    if (h->req) {
      keep = rest_of_frame(p);
    } else {
      keep = h; /* our own bytes stay valid: just finish them, from where they stand */
      keep_pos = p->out_pos;
      p->out_head = h->next;
    }
  }
  drop_queue(tc, p, CY_EIO, tc->fail_msg);
  p->out_pos = keep ? keep_pos : 0;
  tcp_out *fail = fail_frame(tc->fail_msg);
  if (keep == NULL && fail == NULL) return; /* out of memory: the peer learns from EOF */
  if (keep) keep->next = fail;
  p->out_head = keep ? keep : fail;
  p->out_tail = fail ? fail : keep;
}

static void abort_sends(tcp_comm *tc) {
  tc->abort_pending = false;
  for (int32_t r = 0; r < tc->world; r++)
    if (tc->peers[r].fd >= 0 && !tc->peers[r].shut_wr) abort_peer(tc, &tc->peers[r]);
  pthread_cond_broadcast(&tc->cond); /* sends have ended, and close may be waiting */
}

/* ---- a peer's stream ends ----------------------------------------------------------- */

/* Forget the message p was in the middle of (lock held): a receive it was bound to fails,
 * an unexpected one stays listed (freed at close), an orphan goes now. */
static void forget_partial(tcp_comm *tc, tcp_peer *p) {
  tcp_msg *m = p->rx_msg;
  if (m && m->req) {
    tcp_req *r = m->req;
    r->msg = NULL;
    m->req = NULL;
    m->orphan = true;
    tcp_req_fail(tc, r, CY_EIO, p->gone_msg);
  }
  if (m && m->orphan) tcp_msg_free(m);
  p->rx_msg = NULL;
  p->rx_state = RX_HEADER;
  p->stage_start = p->stage_end = 0;
}

/* Close p's socket (lock held: other threads look at fd). */
static void close_peer(tcp_peer *p) {
  close(p->fd);
  p->fd = -1;
}

/* p's stream ended (error 0) or broke (an errno). */
static void peer_ended(tcp_comm *tc, tcp_peer *p, int error) {
  pthread_mutex_lock(&tc->lock);
  close_peer(p);
  if (p->state == PEER_BYE && error == 0) {
    tcp_peer_gone(tc, p, PEER_CLOSED);
  } else if (p->state == PEER_OPEN || p->state == PEER_BYE) {
    p->state = PEER_LOST;
    if (error == 0)
      snprintf(p->gone_msg, sizeof p->gone_msg, "lost rank %d: its connection ended without "
               "a goodbye (the process exited or crashed)", (int)p->rank);
    else
      snprintf(p->gone_msg, sizeof p->gone_msg, "lost rank %d: %s", (int)p->rank,
               strerror(error));
    if (!tc->closing) tcp_fail(tc, CY_EIO, "%s", p->gone_msg);
  }
  drop_queue(tc, p, CY_EIO, p->gone_msg);
  forget_partial(tc, p);
  pthread_cond_broadcast(&tc->cond);
  pthread_mutex_unlock(&tc->lock);
}

/* Hang up on p after it broke the protocol (the communicator has failed already). */
static void drop_peer(tcp_comm *tc, tcp_peer *p) {
  pthread_mutex_lock(&tc->lock);
  close_peer(p);
  if (p->state != PEER_LOST) {
    p->state = PEER_LOST;
    snprintf(p->gone_msg, sizeof p->gone_msg, "%s", tc->fail_msg);
  }
  drop_queue(tc, p, CY_EIO, p->gone_msg);
  forget_partial(tc, p);
  pthread_cond_broadcast(&tc->cond);
  pthread_mutex_unlock(&tc->lock);
}

/* ---- receiving ---------------------------------------------------------------------- */

static bool protocol_error(tcp_comm *tc, tcp_peer *p, const char *what) {
  pthread_mutex_lock(&tc->lock);
  snprintf(p->gone_msg, sizeof p->gone_msg, "lost rank %d: it sent %s", (int)p->rank, what);
  p->state = PEER_LOST;
  tcp_fail(tc, CY_EIO, "%s", p->gone_msg);
  pthread_mutex_unlock(&tc->lock);
  return false;
}

/* The oldest receive posted on p for tag, when it wants exactly len bytes in its
 * caller's memory (lock held); NULL otherwise. */
static tcp_req *posted_into(tcp_peer *p, int32_t tag, int64_t len) {
  for (tcp_req *r = p->posted_head; r; r = r->next)
    if (r->tag == tag) return r->into && r->into_len == len ? r : NULL;
  return NULL;
}

/* A message starts: give it a buffer, then match it. Its buffer is set before anybody
 * else can see it: the caller's memory when the receive it will be bound to (the oldest
 * posted for its tag) reads into it, else a buffer of its own. */
static bool start_message(tcp_comm *tc, tcp_peer *p, const tcp_frame *f) {
  int64_t first = f->a < TCP_SEG ? f->a : TCP_SEG;
  if (p->rx_msg || f->a < 0 || f->seg != first) return protocol_error(tc, p, "a bad frame");
  tcp_msg *m = calloc(1, sizeof *m);
  cy_status st = m ? CY_OK : CY_ENOMEM;
  bool listed = false;
  if (m) {
    m->tag = f->tag;
    m->len = f->a;
    pthread_mutex_lock(&tc->lock);
    tcp_req *r = tc->failed ? NULL : posted_into(p, f->tag, f->a);
    if (r) st = cy_buffer_wrap(r->into, f->a, NULL, NULL, &m->buf, NULL);
    if (r && st == CY_OK) {
      m->user = true;
      tcp_msg_arrived(tc, p, m); /* bound to r */
      listed = true;
    }
    pthread_mutex_unlock(&tc->lock);
  }
  if (st == CY_OK && !listed) st = cy_buffer_alloc(f->a, &m->buf, NULL);
  pthread_mutex_lock(&tc->lock);
  if (st != CY_OK) {
    if (m) cy_buffer_release(m->buf);
    free(m);
    tcp_fail(tc, CY_ENOMEM, "rank %d is out of memory for a message of %lld bytes from rank %d",
             (int)tc->rank, (long long)f->a, (int)p->rank);
    pthread_mutex_unlock(&tc->lock);
    return false;
  }
  if (!listed) tcp_msg_arrived(tc, p, m);
  pthread_mutex_unlock(&tc->lock);
  p->rx_msg = m;
  p->rx_left = f->seg;
  p->rx_state = RX_PAYLOAD;
  return true;
}

/* A frame's payload is all in: complete the message if it was the last one. */
static void frame_done(tcp_comm *tc, tcp_peer *p) {
  p->rx_state = RX_HEADER;
  tcp_msg *m = p->rx_msg;
  if (m->got < m->len) return;
  p->rx_msg = NULL;
  pthread_mutex_lock(&tc->lock);
  tcp_msg_completed(tc, p, m);
  pthread_mutex_unlock(&tc->lock);
}

static void text_done(tcp_comm *tc, tcp_peer *p) {
  p->rx_state = RX_HEADER;
  int64_t n = p->rx_text_len < (int64_t)sizeof p->rx_text ? p->rx_text_len
                                                           : (int64_t)sizeof p->rx_text - 1;
  p->rx_text[n] = 0;
  pthread_mutex_lock(&tc->lock);
  tcp_fail(tc, CY_EIO, "%s (reported by rank %d)", p->rx_text, (int)p->rank);
  pthread_mutex_unlock(&tc->lock);
}

static bool take_header(tcp_comm *tc, tcp_peer *p, const uint8_t *h) {
  tcp_frame f;
  tcp_frame_decode(h, &f);
  switch (f.kind) {
    case TCP_MSG:
      if (!start_message(tc, p, &f)) return false;
      if (f.seg == 0) frame_done(tc, p);
      return true;
    case TCP_DATA: {
      tcp_msg *m = p->rx_msg;
      int64_t left = m ? m->len - m->got : 0;
      if (m == NULL || f.a != m->got || f.seg != (left < TCP_SEG ? left : TCP_SEG) || f.seg == 0)
        return protocol_error(tc, p, "a frame out of place");
      p->rx_left = f.seg;
      p->rx_state = RX_PAYLOAD;
      return true;
    }
    case TCP_BYE:
      if (p->rx_msg) return protocol_error(tc, p, "a goodbye in the middle of a message");
      pthread_mutex_lock(&tc->lock);
      tcp_peer_gone(tc, p, PEER_BYE);
      pthread_mutex_unlock(&tc->lock);
      return true;
    case TCP_FAIL:
      if (f.seg < 0 || f.seg > (1 << 20)) return protocol_error(tc, p, "a bad failure frame");
      p->rx_text_len = 0;
      p->rx_left = f.seg;
      p->rx_state = RX_TEXT;
      if (f.seg == 0) text_done(tc, p);
      return true;
    default:
      return protocol_error(tc, p, "a frame of unknown kind");
  }
}

/* Consume n payload or text bytes from src. */
static void take_bytes(tcp_comm *tc, tcp_peer *p, const uint8_t *src, int64_t n) {
  if (p->rx_state == RX_PAYLOAD) {
    tcp_msg *m = p->rx_msg;
    if (!m->sink) memcpy(m->buf->data + m->got, src, (size_t)n);
    m->got += n;
    if ((p->rx_left -= n) == 0) frame_done(tc, p);
  } else {
    int64_t room = (int64_t)sizeof p->rx_text - 1 - p->rx_text_len;
    if (room > 0) memcpy(p->rx_text + p->rx_text_len, src, (size_t)(n < room ? n : room));
    p->rx_text_len += n < room ? n : (room > 0 ? room : 0);
    if ((p->rx_left -= n) == 0) text_done(tc, p);
  }
}

/* Parse what is staged; false when the peer is to be dropped. */
static bool parse_stage(tcp_comm *tc, tcp_peer *p) {
  while (p->stage_start < p->stage_end) {
    int64_t avail = p->stage_end - p->stage_start;
    if (p->rx_state == RX_HEADER) {
      if (avail < TCP_HDR) break;
      p->stage_start += TCP_HDR;
      if (!take_header(tc, p, p->stage + p->stage_start - TCP_HDR)) return false;
    } else {
      int64_t n = avail < p->rx_left ? avail : p->rx_left;
      p->stage_start += n;
      take_bytes(tc, p, p->stage + p->stage_start - n, n);
    }
  }
  if (p->stage_start == p->stage_end) p->stage_start = p->stage_end = 0;
  return true;
}

/* One readv: straight into the message when a payload is due, the rest into staging. */
static ssize_t read_some(tcp_peer *p, int64_t *direct) {
  if (p->stage_start > 0) { /* a partial header: move it to the front */
    memmove(p->stage, p->stage + p->stage_start, (size_t)(p->stage_end - p->stage_start));
    p->stage_end -= p->stage_start;
    p->stage_start = 0;
  }
  struct iovec iov[2];
  int k = 0;
  *direct = 0;
  if (p->rx_state == RX_PAYLOAD && p->stage_end == 0 && !p->rx_msg->sink) {
    tcp_msg *m = p->rx_msg;
    iov[k++] = (struct iovec){m->buf->data + m->got, (size_t)p->rx_left};
    *direct = p->rx_left;
  }
  iov[k++] = (struct iovec){p->stage + p->stage_end, (size_t)(TCP_STAGE - p->stage_end)};
  ssize_t n;
  do n = readv(p->fd, iov, k);
  while (n < 0 && errno == EINTR);
  return n;
}

static void do_read(tcp_comm *tc, tcp_peer *p) {
  for (int64_t moved = 0; moved < ROUND_BYTES && p->fd >= 0;) {
    int64_t direct;
    ssize_t n = read_some(p, &direct);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      peer_ended(tc, p, n == 0 ? 0 : errno);
      return;
    }
    atomic_store_explicit(&p->last_heard_ns, tcp_now_ns(), memory_order_relaxed);
    moved += n;
    int64_t into_msg = n < direct ? n : direct;
    p->stage_end += n - into_msg;
    if (into_msg > 0) {
      p->rx_msg->got += into_msg;
      if ((p->rx_left -= into_msg) == 0) frame_done(tc, p);
    }
    if (!parse_stage(tc, p)) {
      drop_peer(tc, p);
      return;
    }
  }
}

/* ---- sending ------------------------------------------------------------------------ */

/* The iovecs of p's queue from its write position (lock held). */
static int gather_queue(tcp_peer *p, struct iovec *iov, int64_t *bytes) {
  int n = 0, nhdrs = 0;
  int64_t pos = p->out_pos;
  *bytes = 0;
  for (tcp_out *o = p->out_head; o && n + 2 <= TCP_IOV; o = o->next, pos = 0) {
    if (o->req == NULL) {
      iov[n++] = (struct iovec){o->own + pos, (size_t)(o->len - pos)};
      *bytes += o->len - pos;
    } else {
      n += tcp_wire_iov(o->tag, o->data, o->len, pos, iov + n, TCP_IOV - n, p->hdrs, &nhdrs,
                        bytes);
    }
  }
  return n;
}

/* n more bytes of p's queue are out: complete what is whole (lock held). */
static void advance_queue(tcp_comm *tc, tcp_peer *p, int64_t n) {
  p->out_pos += n;
  while (p->out_head) {
    tcp_out *o = p->out_head;
    int64_t wire = o->req ? tcp_wire_len(o->len) : o->len;
    if (p->out_pos < wire) break;
    p->out_pos -= wire;
    p->out_head = o->next;
    if (p->out_head == NULL) p->out_tail = NULL;
    if (o->req) tcp_send_completed(tc, o);
    if (o->shutdown_after) {
      shutdown(p->fd, SHUT_WR);
      p->shut_wr = true;
    }
    out_free(o);
  }
}

static void do_write(tcp_comm *tc, tcp_peer *p) {
  for (int64_t moved = 0; moved < ROUND_BYTES && p->fd >= 0;) {
    struct iovec iov[TCP_IOV];
    int64_t bytes;
    pthread_mutex_lock(&tc->lock);
    int k = gather_queue(p, iov, &bytes);
    pthread_mutex_unlock(&tc->lock);
    if (k == 0) return;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)k};
    ssize_t n;
    do n = sendmsg(p->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0) {
      peer_ended(tc, p, errno);
      return;
    }
    atomic_store_explicit(&p->last_heard_ns, tcp_now_ns(), memory_order_relaxed);
    moved += n;
    pthread_mutex_lock(&tc->lock);
    advance_queue(tc, p, n);
    pthread_mutex_unlock(&tc->lock);
    if (n < bytes) return; /* the socket is full */
  }
}

/* ---- the loop ----------------------------------------------------------------------- */

/* Which sockets to watch, under the lock; returns the count (peers first, in rank order,
 * then the wake pipe). */
static int watch_list(tcp_comm *tc, struct pollfd *pfds, int32_t *who) {
  int n = 0;
  for (int32_t r = 0; r < tc->world; r++) {
    tcp_peer *p = &tc->peers[r];
    if (p->fd < 0) continue;
    short ev = POLLIN;
    if (p->out_head && !p->shut_wr) ev |= POLLOUT;
    who[n] = r;
    pfds[n++] = (struct pollfd){.fd = p->fd, .events = ev};
  }
  who[n] = -1;
  pfds[n++] = (struct pollfd){.fd = tc->wake_fd[0], .events = POLLIN};
  return n;
}

/* After a failure (lock held): receives being read straight into their callers' memory
 * are let go here, in the I/O thread, between reads, so no byte lands there once their
 * waits have returned; the rest of such a message is read and dropped. */
static void detach_user_receives(tcp_comm *tc) {
  for (int32_t i = 0; i < tc->world; i++) {
    tcp_msg *m = tc->peers[i].rx_msg;
    if (m == NULL || !m->user || !m->detach || m->req == NULL) continue;
    tcp_req *r = m->req;
    r->msg = NULL;
    r->done = true; /* its status and error were set by tcp_fail */
    m->req = NULL;
    m->orphan = true;
    m->sink = true;
    pthread_cond_broadcast(&tc->cond);
  }
}

static void drain_wake(tcp_comm *tc) {
  char buf[256];
  while (read(tc->wake_fd[0], buf, sizeof buf) > 0) {
  }
}

void *tcp_io_main(void *arg) {
  tcp_comm *tc = arg;
  int cap = tc->world + TCP_NEWCOMERS + 2;
  struct pollfd *pfds = calloc((size_t)cap, sizeof *pfds);
  int32_t *who = calloc((size_t)cap, sizeof *who);
  for (;;) {
    pthread_mutex_lock(&tc->lock);
    tc->wake_pending = false;
    if (tc->abort_pending) abort_sends(tc);
    if (tc->failed) detach_user_receives(tc);
    bool stop = tc->stopping || pfds == NULL || who == NULL;
    int n = stop ? 0 : watch_list(tc, pfds, who);
    pthread_mutex_unlock(&tc->lock);
    if (stop) break;
    int peers_n = n - 1;
    n += tcp_newcomers_pollfds(tc, pfds + n, cap - n);
    int waiting_newcomers = n - peers_n - 1 - (tc->listen_fd >= 0);
    if (poll(pfds, (nfds_t)n, waiting_newcomers > 0 ? 500 : -1) < 0) continue;
    if (pfds[peers_n].revents) drain_wake(tc);
    for (int i = 0; i < peers_n; i++) {
      tcp_peer *p = &tc->peers[who[i]];
      if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) do_read(tc, p);
      if ((pfds[i].revents & POLLOUT) && p->fd >= 0) do_write(tc, p);
    }
    tcp_newcomers_step(tc, pfds + peers_n + 1, n - peers_n - 1);
  }
  free(pfds);
  free(who);
  return NULL;
}
