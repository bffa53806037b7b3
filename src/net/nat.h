/*
 * nat.h - TCP NAT traversal through a rendezvous server (`cylon rendezvous`): the wire
 * messages (nat_wire.c), the server (rendezvous_server.c) and the rank's side, which
 * forms the tcp backend's mesh through the server (nat_client.c). docs/nat.md tells the
 * whole story; in short:
 *
 *   1. a rank connects out to the server from the local port it will use for its peers
 *      (SO_REUSEADDR + SO_REUSEPORT) and registers with the job's token; the server
 *      answers with the address and port it saw (the rank's public endpoint, as STUN does);
 *   2. once every rank of the job has registered, the server sends each one the list of
 *      public endpoints;
 *   3. every pair connects to each other at once from those local ports (TCP simultaneous
 *      open through the two NATs' fresh mappings: hole punching), retrying for a bounded
 *      time;
 *   4. a pair that could not connect so (a symmetric NAT maps every connection to a new
 *      port) asks the server to relay: both ranks open a connection to the server naming
 *      the pair, and the server splices the two.
 *
 * Not to be confused with rendezvous.h, the embedded bootstrap's address exchange.
 */
#ifndef CYLON_NET_NAT_H
#define CYLON_NET_NAT_H

#include <poll.h>
#include <stdio.h>

#include "net/comm_internal.h"
#include "net/net_socket.h"

/* ---- wire messages (nat_wire.c) ----------------------------------------------------- */

/* Every message is a u32 length and a body of little-endian fields (net_socket.h):
 *   request (rank -> server): u32 magic "CYNT", u32 version, u32 kind, str token, str job,
 *                             u32 rank, u32 world, u64 wait_ms, u32 peer (relay only)
 *   reply (server -> rank):   u32 magic, u32 kind, then
 *                             registered: str public endpoint
 *                             peers:      u32 world, world strs (public endpoints by rank)
 *                             spliced:    u32 peer
 *                             refused / failed: str reason */
#define NAT_MAGIC 0x544e5943u /* "CYNT" */
#define NAT_VERSION 1u
#define NAT_TOKEN_MAX 256
#define NAT_REQUEST_MAX 4096 /* longest request body the server reads */
#define NAT_REASON_MAX 512
#define NAT_WORLD_MAX 4096 /* ranks of one job the server pairs */

typedef enum nat_kind {
  NAT_REGISTER = 1, /* a rank's control connection, from its peer port */
  NAT_RELAY = 2,    /* a connection to be spliced with the peer's */
  NAT_REGISTERED = 10,
  NAT_PEERS = 11,
  NAT_SPLICED = 12,
  NAT_REFUSED = 20, /* a bad request: wrong token, job, rank ... */
  NAT_FAILED = 21   /* the job could not be paired in time */
} nat_kind;

typedef struct nat_request {
  uint32_t kind; /* NAT_REGISTER or NAT_RELAY */
  char token[NAT_TOKEN_MAX];
  char job[COMM_JOB_MAX];
  int32_t rank, world, peer;
  uint64_t wait_ms; /* how long the rank will wait for its answer */
} nat_request;

/* Encode a request (token compared by the server). False when out of memory. */
bool nat_request_encode(net_msg *m, const nat_request *rq);
/* Parse a request body: true, or false with why (a message naming what is wrong). Never
 * trusts a length or a count; checks ranks against the world. */
bool nat_request_parse(const uint8_t *body, size_t len, nat_request *out, char *why,
                       size_t why_size);

typedef struct nat_reply {
  uint32_t kind;
  char text[NAT_REASON_MAX]; /* registered: the endpoint; refused / failed: the reason */
  int32_t peer;              /* spliced */
  int32_t world;             /* peers */
  char **endpoints;          /* peers: world malloc'd strings (comm_strings_free) */
} nat_reply;

/* Parse a reply body (peers: expect_world endpoints). False with why when malformed. */
bool nat_reply_parse(const uint8_t *body, size_t len, int32_t expect_world, nat_reply *out,
                     char *why, size_t why_size);
void nat_reply_reset(nat_reply *r);

/* ---- the server (rendezvous_server.c) ----------------------------------------------- */

typedef struct nat_server nat_server;

typedef struct nat_server_options {
  const char *token;    /* ranks must present it */
  double hello_seconds; /* how long a new connection may take to say what it wants (10) */
  FILE *log;            /* a line per event, or NULL */
} nat_server_options;

/* A server on listen_fd (taken over: closed with the server). */
cy_status nat_server_new(int listen_fd, const nat_server_options *opts, nat_server **out,
                         cy_error *err);
/* Serve until *stop turns true (checked at least every 200 ms). */
cy_status nat_server_run(nat_server *s, volatile int *stop, cy_error *err);
/* One round of the loop: poll for at most max_ms and handle what came (for tests). */
cy_status nat_server_step(nat_server *s, int max_ms, cy_error *err);
/* Counters: jobs paired, connections refused, pairs spliced. */
void nat_server_counts(const nat_server *s, int64_t *paired, int64_t *refused,
                       int64_t *spliced);
void nat_server_free(nat_server *s);

/* ---- the rank's side (nat_client.c) ------------------------------------------------- */

/* Options of the rank's side, from cy_comm_options and the environment. */
typedef struct nat_client_options {
  const char *addr;  /* the server, HOST:PORT */
  const char *token; /* the job's token */
  int64_t punch_ms;  /* how long pairs try to punch through before relaying */
  bool force_relay;  /* skip punching (tests, or networks known to be symmetric) */
} nat_client_options;

/* Fill the rendezvous options from opts and the environment: CYLON_RENDEZVOUS,
 * CYLON_RENDEZVOUS_TOKEN, CYLON_NAT_PUNCH_MS, CYLON_NAT_RELAY=1. False when no
 * rendezvous is asked for. */
bool nat_client_options_get(const cy_comm_options *opts, nat_client_options *out);

/* Give comm a table of paths, every peer RELAY until known (nat_paths.c). */
cy_status nat_paths_new(cy_comm *comm, cy_error *err);

struct tcp_comm;
/* Form the tcp backend's mesh through the rendezvous: every peer's fd in tc->peers, and
 * the path each pair took in paths (world entries, CY_COMM_PATH_*), by the deadline. */
cy_status nat_mesh_form(struct tcp_comm *tc, const nat_client_options *o, uint8_t *paths,
                        double deadline, cy_error *err);

#endif
