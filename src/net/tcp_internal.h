/*
 * tcp_internal.h - what the tcp backend's files share: the wire frames, the connection and
 * request state, and the functions each file offers the others.
 *
 *   tcp_frame.c  frames: encoding, and the wire layout of a message as iovecs (pure code);
 *   tcp_mesh.c   forming the full mesh (listen, connect, handshake) and refusing strangers;
 *   tcp_io.c     the I/O thread: poll over all sockets, read, write, abort;
 *   tcp.c        the backend API: isend, irecv, wait, matching, failure, close.
 *
 * Threads: user threads post requests and wait; one I/O thread per communicator does all
 * socket I/O. Everything shared is guarded by tcp_comm.lock, except what only the I/O
 * thread touches (marked "I/O thread"). Payload bytes move outside the lock: a send's
 * bytes are read from the caller's memory and a message's bytes are written into its own
 * buffer, which nobody else sees until the message is complete.
 */
#ifndef CYLON_NET_TCP_INTERNAL_H
#define CYLON_NET_TCP_INTERNAL_H

#include <poll.h>
#include <pthread.h>
#include <sys/uio.h>

#include "net/comm_internal.h"
#include "net/net_socket.h"

/* ---- frames (tcp_frame.c) ----------------------------------------------------------- */

/* A message travels as frames of a 24-byte header and at most TCP_SEG payload bytes: the
 * first (MSG) carries the message length, the rest (DATA) their offset. Cutting messages
 * into segments lets a failing rank stop a long message at a frame boundary and tell its
 * peers why (FAIL), instead of leaving them a stream they cannot parse. */
#define TCP_HDR 24
#define TCP_SEG ((int64_t)1 << 20)

enum {
  TCP_MSG = 1,  /* a message starts: a = its length, seg bytes follow */
  TCP_DATA = 2, /* the message continues: a = offset of these seg bytes */
  TCP_BYE = 3,  /* the sender has closed its communicator: nothing more will come */
  TCP_FAIL = 4  /* the sender's communicator failed; seg bytes of reason follow */
};

typedef struct tcp_frame {
  int kind;
  int32_t tag;
  int64_t a;
  int64_t seg;
} tcp_frame;

void tcp_frame_encode(uint8_t *p, const tcp_frame *f);
void tcp_frame_decode(const uint8_t *p, tcp_frame *f);
/* Bytes a message of len bytes takes on the wire (headers included). */
int64_t tcp_wire_len(int64_t len);
/* Where the frame holding wire byte pos of a message of len bytes ends. */
int64_t tcp_wire_frame_end(int64_t len, int64_t pos);
/* The wire bytes of a message from pos on, as at most max iovecs (max >= 2). Headers are
 * written into hdrs from hdrs[*nhdrs] on (one per iovec at most, so hdrs needs room for
 * as many headers as iovecs in all), advancing *nhdrs. Returns the iovec count and adds
 * their length to *bytes. */
int tcp_wire_iov(int32_t tag, const uint8_t *data, int64_t len, int64_t pos, struct iovec *iov,
                 int max, uint8_t (*hdrs)[TCP_HDR], int *nhdrs, int64_t *bytes);

/* ---- requests and messages ---------------------------------------------------------- */

typedef struct tcp_msg tcp_msg;

/* One isend or irecv, from posting until its wait. */
typedef struct tcp_req {
  struct tcp_req *next;             /* in a peer's posted receives */
  struct tcp_req *live_prev, *live_next; /* every request not yet waited for */
  bool is_send, done;
  cy_status status;
  const char *error; /* on failure: a message that outlives the request */
  int32_t peer, tag;
  int64_t len;    /* send: bytes */
  uint8_t *into;  /* irecv_into: the caller's memory for exactly into_len bytes */
  int64_t into_len;
  cy_buffer *buf; /* receive: the message, once done */
  tcp_msg *msg;   /* receive: the incoming message it is bound to, while it arrives */
} tcp_req;

/* An incoming message: bound to a receive, or waiting for one (unexpected). */
struct tcp_msg {
  tcp_msg *next; /* in the peer's unexpected list */
  int32_t tag;
  int64_t len, got;
  cy_buffer *buf;
  tcp_req *req;  /* the receive it completes, or NULL */
  bool complete;
  bool orphan;   /* nobody will take it (the communicator failed): drop when complete */
  bool user;     /* buf wraps its receive's caller memory (irecv_into): only the I/O thread
                    finishes that receive, so no byte lands there after its wait returns */
  bool detach;   /* user, and the communicator failed: the I/O thread lets go of it */
  bool sink;     /* let go: the rest of its bytes are read and dropped (I/O thread) */
};

/* An entry of a peer's send queue: a user's message, or bytes of our own (BYE, FAIL,
 * the rest of a frame cut short). */
typedef struct tcp_out {
  struct tcp_out *next;
  tcp_req *req; /* NULL for own bytes */
  int32_t tag;
  const uint8_t *data;
  int64_t len;      /* message bytes (user) or raw bytes (own) */
  uint8_t *own;     /* own bytes, freed with the entry */
  bool shutdown_after; /* BYE: half-close the socket once it is out */
} tcp_out;

typedef enum tcp_peer_state {
  PEER_OPEN = 0,
  PEER_BYE,    /* it said goodbye: no more messages will come from it */
  PEER_CLOSED, /* its stream ended after the goodbye */
  PEER_LOST    /* its stream ended or broke without one */
} tcp_peer_state;

#define TCP_STAGE (64 * 1024)
#define TCP_IOV 64

typedef struct tcp_peer {
  int32_t rank;
  int fd; /* -1 for ourselves and once closed */
  tcp_peer_state state;
  char gone_msg[1024]; /* why requests on this peer fail, once it is not OPEN */
  /* send queue (guarded by the lock; the head is advanced by the I/O thread only) */
  tcp_out *out_head, *out_tail;
  int64_t out_pos; /* wire bytes of the head already written */
  bool shut_wr;
  /* matching (guarded) */
  tcp_req *posted_head, *posted_tail;
  tcp_msg *unexp_head, *unexp_tail;
  _Atomic int64_t last_heard_ns; /* when bytes last moved on this connection */
  /* receiving (I/O thread) */
  uint8_t *stage;
  int64_t stage_start, stage_end;
  int rx_state;
  int64_t rx_left;
  tcp_msg *rx_msg;
  char rx_text[1024];
  int64_t rx_text_len;
  uint8_t hdrs[TCP_IOV][TCP_HDR]; /* headers of the write in progress (I/O thread) */
} tcp_peer;

/* A connection that has not introduced itself yet. */
typedef struct tcp_newcomer {
  int fd; /* -1 when the slot is free */
  net_inbox in;
  double deadline;
} tcp_newcomer;

#define TCP_NEWCOMERS 16

typedef struct tcp_comm {
  cy_comm *comm;
  int32_t rank, world;
  int64_t timeout_ms;
  char job[COMM_JOB_MAX];
  char **endpoints; /* by rank, from the bootstrap */
  tcp_peer *peers;  /* world of them; ours has fd -1 */
  int listen_fd;
  int wake_fd[2]; /* a pipe that wakes the I/O thread */
  pthread_t io_thread;
  bool io_started;
  pthread_mutex_t lock;
  pthread_cond_t cond; /* broadcast on every completion and state change */
  bool failed;
  cy_status fail_status;
  char fail_msg[1024];
  bool closing; /* our goodbye is out: peers that vanish now are no failure */
  bool abort_pending; /* the I/O thread has yet to cut the send queues short */
  bool stopping;
  bool wake_pending;
  bool mesh_formed; /* every connection is made: newcomers are all refused */
  tcp_req *live;
  tcp_newcomer newcomers[TCP_NEWCOMERS]; /* I/O thread (after the mesh is formed) */
} tcp_comm;

/* ---- tcp_mesh.c --------------------------------------------------------------------- */

/* Connect to every peer (lower ranks connect to higher ones) and shake hands, by the
 * deadline. Strangers are refused along the way. */
cy_status tcp_mesh_form(tcp_comm *tc, double deadline, cy_error *err);
/* Encode a hello (for the handshake, and for tests that play a stranger). */
bool tcp_hello_encode(net_msg *m, const char *job, int32_t rank, int32_t world);
/* Decode an answer to a hello: accepted (with the acceptor's rank) or refused (why). */
bool tcp_answer_decode(const net_inbox *in, bool *accepted, int32_t *rank, char *why,
                       size_t why_size);
/* After the mesh is formed: take new connections on the listener and refuse each one
 * once it has said who it is (I/O thread). */
int tcp_newcomers_pollfds(tcp_comm *tc, struct pollfd *pfds, int max);
void tcp_newcomers_step(tcp_comm *tc, const struct pollfd *pfds, int n);
void tcp_newcomers_close(tcp_comm *tc);

/* ---- tcp_io.c ----------------------------------------------------------------------- */

void *tcp_io_main(void *arg);
/* Wake the I/O thread (with the lock held). */
void tcp_wake(tcp_comm *tc);
int64_t tcp_now_ns(void);

/* ---- tcp.c: what the I/O thread calls (with the lock held) ---------------------------- */

/* A message from peer p starts: bind it to a posted receive or keep it as unexpected. */
void tcp_msg_arrived(tcp_comm *tc, tcp_peer *p, tcp_msg *m);
/* Its last byte came: complete its receive, or leave it for one. */
void tcp_msg_completed(tcp_comm *tc, tcp_peer *p, tcp_msg *m);
/* A send's last byte went out. */
void tcp_send_completed(tcp_comm *tc, tcp_out *o);
/* Finish a request with an error (message must outlive it). */
void tcp_req_fail(tcp_comm *tc, tcp_req *r, cy_status status, const char *message);
/* The communicator has failed: every pending and future request fails with status and
 * why (the first failure wins); peers are told. */
void tcp_fail(tcp_comm *tc, cy_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Peer p said goodbye (or its stream ended after one): receives from it fail. */
void tcp_peer_gone(tcp_comm *tc, tcp_peer *p, tcp_peer_state state);
void tcp_msg_free(tcp_msg *m);

#endif
