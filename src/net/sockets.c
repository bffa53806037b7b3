/*
 * sockets.c - socket plumbing for the net layer (net_socket.h).
 *
 * Sockets are made non-blocking and close-on-exec from the start: the tcp backend's I/O
 * thread needs non-blocking ones, and close-on-exec keeps them out of the workers a
 * launcher starts. The whole-message helpers poll between partial reads and writes, so a
 * deadline bounds them however slowly the peer moves. Names are resolved with getaddrinfo,
 * so both IPv4 and IPv6 hosts work.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net_socket.h"

cy_status net_split_hostport(const char *s, char *host, size_t host_size, int *port,
                             cy_error *err) {
  const char *colon = NULL, *h = s, *h_end;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (close && close[1] == ':') colon = close + 1;
    h = s + 1;
    h_end = close;
  } else {
    colon = strrchr(s, ':');
    h_end = colon;
  }
  char *end = NULL;
  long p = colon ? strtol(colon + 1, &end, 10) : -1;
  if (colon == NULL || h_end == NULL || end == colon + 1 || *end != 0 || p < 0 ||
      p > 65535 || (size_t)(h_end - h) >= host_size) {
    cy_error_set(err, "bad address '%s' (expected HOST:PORT)", s);
    return CY_EINVAL;
  }
  memcpy(host, h, (size_t)(h_end - h));
  host[h_end - h] = 0;
  *port = (int)p;
  return CY_OK;
}

static cy_status resolve(const char *host, int port, bool passive, struct addrinfo **out,
                         cy_error *err) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  char service[16];
  snprintf(service, sizeof service, "%d", port);
  int rc = getaddrinfo(host[0] ? host : NULL, service, &hints, out);
  if (rc != 0) {
    cy_error_set(err, "cannot resolve '%s': %s", host, gai_strerror(rc));
    return CY_EINVAL;
  }
  return CY_OK;
}

static int new_socket(int family) {
  return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

cy_status net_listen(const char *host, int port, int backlog, int *fd, int *bound_port,
                     cy_error *err) {
  struct addrinfo *ai;
  CY_RETURN_NOT_OK(resolve(host, port, true, &ai, err));
  int s = new_socket(ai->ai_family);
  int one = 1;
  int e = 0;
  if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s, backlog) != 0)
    e = errno;
  freeaddrinfo(ai);
  if (e != 0) {
    if (s >= 0) close(s);
    cy_error_set(err, "cannot listen on %s:%d: %s", host, port, strerror(e));
    return CY_EIO;
  }
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname(s, (struct sockaddr *)&ss, &len);
  *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
  *fd = s;
  return CY_OK;
}

int net_poll_ms(double deadline, int max_ms) {
  double ms = (deadline - cy_now()) * 1000.0;
  if (ms <= 0) return 0;
  if (ms >= max_ms) return max_ms;
  return (int)ms + 1;
}

/* One non-blocking connect attempt, waited for until the deadline: 0, or an errno. */
static int connect_once(const struct addrinfo *ai, double deadline, int *fd) {
  int s = new_socket(ai->ai_family);
  if (s < 0) return errno;
  if (connect(s, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
    int e = errno;
    close(s);
    return e;
  }
  struct pollfd p = {.fd = s, .events = POLLOUT};
  for (;;) {
    int n = poll(&p, 1, net_poll_ms(deadline, 1000));
    if (n > 0) break;
    if (n < 0 && errno != EINTR) break;
    if (n == 0 && cy_now() >= deadline) {
      close(s);
      return ETIMEDOUT;
    }
  }
  int e = 0;
  socklen_t len = sizeof e;
  if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &len) != 0) e = errno;
  if (e != 0) {
    close(s);
    return e;
  }
  *fd = s;
  return 0;
}

cy_status net_connect(const char *host, int port, double deadline, bool retry,
                      const char *what, int *fd, cy_error *err) {
  struct addrinfo *ai;
  CY_RETURN_NOT_OK(resolve(host, port, false, &ai, err));
  int e;
  double pause = 0.005;
  for (;;) {
    e = connect_once(ai, deadline, fd);
    bool again = e == ECONNREFUSED || e == ENETUNREACH || e == EHOSTUNREACH ||
                 e == ECONNRESET || e == EAGAIN;
    if (e == 0 || !retry || !again || cy_now() + pause >= deadline) break;
    usleep((useconds_t)(pause * 1e6)); /* the peer is not listening yet: try again soon */
    if (pause < 0.2) pause *= 2;
  }
  freeaddrinfo(ai);
  if (e != 0) {
    cy_error_set(err, "cannot connect to %s at %s:%d: %s", what, host, port,
                 e == ETIMEDOUT ? "timed out" : strerror(e));
    return e == ETIMEDOUT ? ETIMEDOUT : CY_EIO;
  }
  net_set_nodelay(*fd);
  return CY_OK;
}

int net_accept(int listen_fd) {
  for (;;) {
    int s = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (s >= 0 || errno != EINTR) return s;
  }
}

void net_set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Wait until fd is ready for events or the deadline passes. */
static cy_status wait_ready(int fd, short events, double deadline, const char *what,
                            const char *doing, cy_error *err) {
  struct pollfd p = {.fd = fd, .events = events};
  for (;;) {
    int n = poll(&p, 1, net_poll_ms(deadline, 1000));
    if (n > 0) return CY_OK;
    if (n < 0 && errno != EINTR) {
      cy_error_set(err, "%s %s: %s", doing, what, strerror(errno));
      return CY_EIO;
    }
    if (n == 0 && cy_now() >= deadline) {
      cy_error_set(err, "%s %s: timed out", doing, what);
      return ETIMEDOUT;
    }
  }
}

cy_status net_write_all(int fd, const void *data, size_t len, double deadline,
                        const char *what, cy_error *err) {
  const uint8_t *p = data;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n > 0) {
      p += n;
      len -= (size_t)n;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      CY_RETURN_NOT_OK(wait_ready(fd, POLLOUT, deadline, what, "writing to", err));
    } else if (n < 0 && errno != EINTR) {
      cy_error_set(err, "writing to %s: %s", what, strerror(errno));
      return CY_EIO;
    }
  }
  return CY_OK;
}

cy_status net_read_all(int fd, void *data, size_t len, double deadline, const char *what,
                       cy_error *err) {
  uint8_t *p = data;
  while (len > 0) {
    ssize_t n = recv(fd, p, len, 0);
    if (n > 0) {
      p += n;
      len -= (size_t)n;
    } else if (n == 0) {
      cy_error_set(err, "reading from %s: the connection was closed", what);
      return CY_EIO;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      CY_RETURN_NOT_OK(wait_ready(fd, POLLIN, deadline, what, "reading from", err));
    } else if (errno != EINTR) {
      cy_error_set(err, "reading from %s: %s", what, strerror(errno));
      return CY_EIO;
    }
  }
  return CY_OK;
}

void net_printable(char *dst, size_t size, const uint8_t *src, size_t len) {
  size_t j = 0;
  for (size_t i = 0; i < len && j + 1 < size; i++)
    dst[j++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
  if (size > 0) dst[j] = 0;
}

/* ---- small messages ----------------------------------------------------------------- */

void net_msg_init(net_msg *m) {
  memset(m, 0, sizeof *m);
  m->len = 4;
}

static void msg_bytes(net_msg *m, const void *p, size_t n) {
  if (m->failed) return;
  if (m->len + n > m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 256;
    while (cap < m->len + n) cap *= 2;
    uint8_t *d = realloc(m->data, cap);
    if (d == NULL) {
      m->failed = true;
      return;
    }
    m->data = d;
    m->cap = cap;
  }
  memcpy(m->data + m->len, p, n);
  m->len += n;
}

void net_msg_u32(net_msg *m, uint32_t v) {
  uint8_t b[4];
  net_put_u32(b, v);
  msg_bytes(m, b, 4);
}

void net_msg_u64(net_msg *m, uint64_t v) {
  uint8_t b[8];
  net_put_u64(b, v);
  msg_bytes(m, b, 8);
}

void net_msg_str(net_msg *m, const char *s) {
  size_t n = strlen(s);
  net_msg_u32(m, (uint32_t)n);
  msg_bytes(m, s, n);
}

bool net_msg_finish(net_msg *m) {
  if (m->data == NULL) msg_bytes(m, "", 0); /* an empty body still needs its length */
  if (m->failed || m->data == NULL) return false;
  net_put_u32(m->data, (uint32_t)(m->len - 4));
  return true;
}

void net_msg_free(net_msg *m) {
  free(m->data);
  m->data = NULL;
}

int net_inbox_read(int fd, net_inbox *in, const char **why) {
  for (;;) {
    uint8_t *dst;
    size_t want;
    if (in->have < 4) {
      dst = in->head + in->have;
      want = 4 - in->have;
    } else {
      if (in->body == NULL) {
        in->body_len = net_get_u32(in->head);
        if (in->body_len > in->max_len) return *why = "message too long", -1;
        if ((in->body = malloc(in->body_len ? in->body_len : 1)) == NULL)
          return *why = "out of memory", -1;
      }
      if (in->have == 4 + in->body_len) return 1;
      dst = in->body + (in->have - 4);
      want = 4 + in->body_len - in->have;
    }
    ssize_t n = recv(fd, dst, want, 0);
    if (n > 0) {
      in->have += (size_t)n;
    } else if (n == 0) {
      return *why = "the connection was closed", -1;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return 0;
    } else if (errno != EINTR) {
      return *why = strerror(errno), -1;
    }
  }
}

void net_inbox_free(net_inbox *in) {
  free(in->body);
  in->body = NULL;
  in->have = 0;
}

cy_status net_recv_msg(int fd, net_inbox *in, double deadline, const char *what,
                       cy_error *err) {
  for (;;) {
    const char *why = NULL;
    int rc = net_inbox_read(fd, in, &why);
    if (rc > 0) return CY_OK;
    if (rc < 0) {
      cy_error_set(err, "reading from %s: %s", what, why);
      return CY_EIO;
    }
    CY_RETURN_NOT_OK(wait_ready(fd, POLLIN, deadline, what, "reading from", err));
  }
}

uint32_t net_read_u32(net_reader *r) {
  if (!r->ok || r->left < 4) return r->ok = false, 0;
  uint32_t v = net_get_u32(r->p);
  r->p += 4, r->left -= 4;
  return v;
}

uint64_t net_read_u64(net_reader *r) {
  if (!r->ok || r->left < 8) return r->ok = false, 0;
  uint64_t v = net_get_u64(r->p);
  r->p += 8, r->left -= 8;
  return v;
}

void net_read_str(net_reader *r, char *dst, size_t size) {
  uint32_t n = net_read_u32(r);
  dst[0] = 0;
  if (!r->ok || n >= size || n > r->left || memchr(r->p, 0, n) != NULL) {
    r->ok = false;
    return;
  }
  memcpy(dst, r->p, n);
  dst[n] = 0;
  r->p += n, r->left -= n;
}
