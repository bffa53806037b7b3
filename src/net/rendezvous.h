/*
 * rendezvous.h - the bootstrap rendezvous: a tiny TCP service where the ranks of a job
 * meet, each leaving its endpoint and getting back everyone's once all have arrived.
 *
 * The launcher of `cylon run --workers N` serves it (cy_launch), or rank 0 does when
 * CYLON_BOOTSTRAP_SERVE=1; ranks reach it at CYLON_BOOTSTRAP_ADDR. Nobody waits forever:
 * each rank says how long it will wait, and the server answers a rank, before that time
 * is up, with the list of ranks that never arrived. Ranks of another job (a wrong job id),
 * duplicates and ranks outside the world are refused. The wire format is in
 * docs/bootstrap.md.
 */
#ifndef CYLON_NET_RENDEZVOUS_H
#define CYLON_NET_RENDEZVOUS_H

#include <poll.h>

#include "net/comm_internal.h"

/* As a rank: leave endpoint at the rendezvous at addr (host:port) and get every rank's
 * (*all: world malloc'd strings, free with comm_strings_free) by the deadline. */
cy_status rdv_exchange(const char *addr, const char *job, int32_t rank, int32_t world,
                       const char *endpoint, double deadline, char ***all, cy_error *err);

typedef struct rdv_server rdv_server;

/* A server for world ranks of job on listen_fd (taken over: closed with the server);
 * it gives up at deadline if not everyone has arrived. */
cy_status rdv_server_new(int listen_fd, const char *job, int32_t world, double deadline,
                         rdv_server **out, cy_error *err);
/* The sockets to poll (at most max; 2 * world + 18 is always enough). */
int rdv_server_pollfds(rdv_server *s, struct pollfd *pfds, int max);
/* Handle the poll results of those sockets (revents), and any deadline that passed. */
void rdv_server_step(rdv_server *s, const struct pollfd *pfds, int n);
/* Milliseconds until the server's next deadline (at most max_ms). */
int rdv_server_poll_ms(const rdv_server *s, int max_ms);
/* Rank r will never arrive (its process ended): if it has not arrived yet, answer every
 * waiting rank with why, and fail. */
void rdv_server_rank_gone(rdv_server *s, int32_t rank, const char *why);
/* 0 while ranks are still arriving; 1 when every rank has its answer; -1 when the
 * rendezvous failed (err, if not NULL, says why). */
int rdv_server_state(const rdv_server *s, cy_error *err);
/* True when the rendezvous failed because ranks did not arrive in time (rather than
 * because one ended first). */
bool rdv_server_timed_out(const rdv_server *s);
/* Serve until done or failed (for a thread of its own). */
cy_status rdv_server_run(rdv_server *s, cy_error *err);
void rdv_server_free(rdv_server *s);

#endif
