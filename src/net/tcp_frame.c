/*
 * tcp_frame.c - the tcp backend's frames and the wire layout of a message.
 *
 * A message of len bytes is nseg = max(1, ceil(len / TCP_SEG)) frames; frame k starts at
 * wire offset k * (TCP_HDR + TCP_SEG) with its header, followed by its payload. Because
 * the layout is a pure function of (len, position), the writer keeps a single wire
 * position per queue entry and rebuilds the iovecs for any position, headers included;
 * nothing about a message is stored besides where it is. All sizes are 64-bit.
 *
 * Header (little-endian): u8 kind, 3 bytes zero, i32 tag, i64 a, i64 seg.
 */
#include <string.h>

#include "net/tcp_internal.h"

void tcp_frame_encode(uint8_t *p, const tcp_frame *f) {
  p[0] = (uint8_t)f->kind;
  p[1] = p[2] = p[3] = 0;
  net_put_u32(p + 4, (uint32_t)f->tag);
  net_put_u64(p + 8, (uint64_t)f->a);
  net_put_u64(p + 16, (uint64_t)f->seg);
}

void tcp_frame_decode(const uint8_t *p, tcp_frame *f) {
  f->kind = p[0] | ((p[1] | p[2] | p[3]) ? 0x100 : 0); /* nonzero padding: not a kind */
  f->tag = (int32_t)net_get_u32(p + 4);
  f->a = (int64_t)net_get_u64(p + 8);
  f->seg = (int64_t)net_get_u64(p + 16);
}

static int64_t num_frames(int64_t len) { return len == 0 ? 1 : (len + TCP_SEG - 1) / TCP_SEG; }

int64_t tcp_wire_len(int64_t len) { return num_frames(len) * TCP_HDR + len; }

int64_t tcp_wire_frame_end(int64_t len, int64_t pos) {
  int64_t k = pos / (TCP_HDR + TCP_SEG);
  int64_t payload = len - k * TCP_SEG;
  if (payload > TCP_SEG) payload = TCP_SEG;
  return k * (TCP_HDR + TCP_SEG) + TCP_HDR + payload;
}

int tcp_wire_iov(int32_t tag, const uint8_t *data, int64_t len, int64_t pos, struct iovec *iov,
                 int max, uint8_t (*hdrs)[TCP_HDR], int *nhdrs, int64_t *bytes) {
  int64_t nseg = num_frames(len);
  int64_t k = pos / (TCP_HDR + TCP_SEG), in = pos % (TCP_HDR + TCP_SEG);
  int n = 0, h = *nhdrs;
  for (; k < nseg && n + 2 <= max; k++, in = 0) {
    int64_t off = k * TCP_SEG, seglen = len - off < TCP_SEG ? len - off : TCP_SEG;
    if (in < TCP_HDR) {
      tcp_frame f = {k == 0 ? TCP_MSG : TCP_DATA, tag, k == 0 ? len : off, seglen};
      tcp_frame_encode(hdrs[h], &f);
      iov[n].iov_base = hdrs[h] + in;
      iov[n].iov_len = (size_t)(TCP_HDR - in);
      *bytes += TCP_HDR - in;
      n++, h++;
      in = TCP_HDR;
    }
    int64_t done = in - TCP_HDR;
    if (seglen > done) {
      iov[n].iov_base = (void *)(data + off + done);
      iov[n].iov_len = (size_t)(seglen - done);
      *bytes += seglen - done;
      n++;
    }
  }
  *nhdrs = h;
  return n;
}
