/*
 * net_socket.h - the socket plumbing the net layer shares: host:port strings, listening,
 * connecting and whole reads and writes with deadlines, and little-endian wire fields.
 *
 * Every socket made here is close-on-exec and non-blocking; reads and writes of whole
 * messages poll until done or until the deadline (a cy_now() time), so nothing blocks
 * forever. Wire integers are little-endian whatever the host, so ranks on different
 * machines agree.
 */
#ifndef CYLON_NET_SOCKET_H
#define CYLON_NET_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "cylon/core.h"

/* Split "host:port" (or "[v6addr]:port") into host and port. */
cy_status net_split_hostport(const char *s, char *host, size_t host_size, int *port,
                             cy_error *err);
/* Listen on host:port (port 0: an ephemeral one, reported in *bound_port). */
cy_status net_listen(const char *host, int port, int backlog, int *fd, int *bound_port,
                     cy_error *err);
/* Connect to host:port by the deadline; with retry, refused or unreachable attempts are
 * repeated (the other side may not be listening yet). what names the peer in errors. */
cy_status net_connect(const char *host, int port, double deadline, bool retry,
                      const char *what, int *fd, cy_error *err);
/* Accept one pending connection (non-blocking, close-on-exec); -1 when none. */
int net_accept(int listen_fd);
/* Write or read exactly len bytes by the deadline. */
cy_status net_write_all(int fd, const void *data, size_t len, double deadline,
                        const char *what, cy_error *err);
cy_status net_read_all(int fd, void *data, size_t len, double deadline, const char *what,
                       cy_error *err);
/* Milliseconds until the deadline for poll(): at least 0, at most max_ms. */
int net_poll_ms(double deadline, int max_ms);
void net_set_nodelay(int fd);
/* A printable copy of at most size - 1 bytes of untrusted text. */
void net_printable(char *dst, size_t size, const uint8_t *src, size_t len);

/* ---- little-endian fields ----------------------------------------------------------- */

static inline void net_put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void net_put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t net_get_u32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
  return v;
}
static inline uint64_t net_get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* A small message being written (handshakes, rendezvous): fields appended in order, sent
 * as a u32 length and the body. */
typedef struct net_msg {
  uint8_t *data; /* data[0, 4) is room for the length */
  size_t len, cap;
  bool failed; /* out of memory */
} net_msg;

void net_msg_init(net_msg *m);
void net_msg_u32(net_msg *m, uint32_t v);
void net_msg_u64(net_msg *m, uint64_t v);
/* A string as a u32 length and its bytes. */
void net_msg_str(net_msg *m, const char *s);
/* Fill in the length prefix; the message is data[0, len). False when out of memory. */
bool net_msg_finish(net_msg *m);
void net_msg_free(net_msg *m);

/* A message being received on a non-blocking socket: a u32 length, then the body. */
typedef struct net_inbox {
  uint8_t head[4];
  uint8_t *body;
  size_t have; /* bytes of head and body so far */
  size_t body_len, max_len;
} net_inbox;

/* Read what is available: 1 once the message is whole (body[0, body_len)), 0 when more is
 * to come, -1 on end of stream, error, or a length above max_len (*why says which). */
int net_inbox_read(int fd, net_inbox *in, const char **why);
void net_inbox_free(net_inbox *in);
/* Read one whole message by the deadline into in (max_len set by the caller). */
cy_status net_recv_msg(int fd, net_inbox *in, double deadline, const char *what,
                       cy_error *err);

/* Reading a received message: fields taken in order; ok turns false past the end. */
typedef struct net_reader {
  const uint8_t *p;
  size_t left;
  bool ok;
} net_reader;

static inline net_reader net_reader_of(const net_inbox *in) {
  net_reader r = {in->body, in->body_len, true};
  return r;
}
uint32_t net_read_u32(net_reader *r);
uint64_t net_read_u64(net_reader *r);
/* A string into dst (NUL-terminated); fails (ok = false) when longer than size - 1 or when
 * it holds a NUL byte. */
void net_read_str(net_reader *r, char *dst, size_t size);

#endif
