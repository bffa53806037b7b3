/*
 * redis_conn.h - a connection to a Redis server with deadlines, shared by the redis
 * bootstrap (redis_bootstrap.c) and the redis backend (redis_backend.c).
 *
 * A thin layer over hiredis's blocking API: parse "redis://[[USER]:PASSWORD@]HOST:PORT",
 * connect and AUTH by a deadline, run commands (argv form, binary-safe) with the socket
 * timeout set to what is left of the deadline, and turn every failure (no connection, no
 * answer in time, an error reply, a reply of the wrong type) into a cy_error that names
 * the server and the command. After an I/O failure the connection is unusable: callers
 * treat it as fatal.
 */
#ifndef CYLON_NET_REDIS_CONN_H
#define CYLON_NET_REDIS_CONN_H

#include <hiredis.h>

#include "net/comm_internal.h"

typedef struct redis_url {
  char host[256];
  int port;
  char user[128];     /* "" = the default user */
  char password[256]; /* "" = no AUTH */
} redis_url;

typedef struct redis_conn {
  redisContext *ctx;
  char where[300]; /* "redis at HOST:PORT" for errors */
} redis_conn;

/* Parse "redis://[[USER]:PASSWORD@]HOST:PORT". */
cy_status redis_url_parse(const char *url, redis_url *out, cy_error *err);
/* Connect and authenticate by the deadline. */
cy_status redis_conn_open(const redis_url *url, double deadline, redis_conn *c, cy_error *err);
void redis_conn_close(redis_conn *c);

/* Run one command by the deadline; on success *reply is the reply (freeReplyObject), which
 * is never an error reply. lens may be NULL for NUL-terminated arguments. */
cy_status redis_run(redis_conn *c, double deadline, int argc, const char **argv,
                    const size_t *lens, redisReply **reply, cy_error *err);
/* The same with printf-free convenience: up to 8 string arguments, NULL-terminated. */
cy_status redis_runv(redis_conn *c, double deadline, redisReply **reply, cy_error *err, ...);
/* Queue commands (pipelining), then collect n replies in order (each checked as above;
 * the first failure is reported, and every reply is read so the connection stays in
 * step). replies may be NULL to discard them all. */
cy_status redis_append(redis_conn *c, int argc, const char **argv, const size_t *lens,
                       cy_error *err);
cy_status redis_collect(redis_conn *c, double deadline, int n, redisReply **replies,
                        cy_error *err);
/* A reply's integer (INTEGER replies, or STRING replies holding a number). */
bool redis_reply_int(const redisReply *r, long long *out);

#endif
