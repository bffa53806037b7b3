/*
 * redis_conn.c - connections to Redis with deadlines (redis_conn.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "net/net_socket.h"
#include "net/redis_conn.h"

cy_status redis_url_parse(const char *url, redis_url *out, cy_error *err) {
  memset(out, 0, sizeof *out);
  const char *prefix = "redis://";
  if (url == NULL || strncmp(url, prefix, strlen(prefix)) != 0) {
    cy_error_set(err, "redis: '%s' is not a redis://[:PASSWORD@]HOST:PORT address",
                 url ? url : "(null)");
    return CY_EINVAL;
  }
  const char *rest = url + strlen(prefix);
  const char *at = strrchr(rest, '@'); /* the last '@': a password may hold one */
  if (at) {
    const char *colon = memchr(rest, ':', (size_t)(at - rest));
    if (colon == NULL) {
      cy_error_set(err, "redis: '%s': the part before '@' must be [USER]:PASSWORD", url);
      return CY_EINVAL;
    }
    size_t ulen = (size_t)(colon - rest), plen = (size_t)(at - colon - 1);
    if (ulen >= sizeof out->user || plen >= sizeof out->password) {
      cy_error_set(err, "redis: the user or password in the address is too long");
      return CY_EINVAL;
    }
    memcpy(out->user, rest, ulen);
    memcpy(out->password, colon + 1, plen);
    rest = at + 1;
  }
  size_t n = strlen(rest);
  if (n > 0 && rest[n - 1] == '/') n--; /* "redis://host:port/" */
  char hostport[COMM_ENDPOINT_MAX];
  if (n == 0 || n >= sizeof hostport) {
    cy_error_set(err, "redis: '%s' has no HOST:PORT", url);
    return CY_EINVAL;
  }
  memcpy(hostport, rest, n);
  hostport[n] = 0;
  cy_error e;
  if (net_split_hostport(hostport, out->host, sizeof out->host, &out->port, &e) != CY_OK ||
      out->port <= 0) {
    cy_error_set(err, "redis: '%s': expected HOST:PORT after redis:// (%s)", url,
                 out->port <= 0 ? "no port" : e.message);
    return CY_EINVAL;
  }
  return CY_OK;
}

static struct timeval timeval_until(double deadline) {
  double left = deadline - cy_now();
  if (left < 0.001) left = 0.001;
  struct timeval tv = {(time_t)left, (suseconds_t)((left - (double)(time_t)left) * 1e6)};
  return tv;
}

/* The error of a failed connection: a timeout reads better than EAGAIN. */
static cy_status conn_failed(redis_conn *c, const char *what, cy_error *err) {
  const char *why = c->ctx ? c->ctx->errstr : "out of memory";
  if (c->ctx && c->ctx->err == REDIS_ERR_IO &&
      (strstr(why, "temporarily unavailable") || strstr(why, "timed out")))
    why = "no answer within the deadline";
  cy_error_set(err, "%s: %s: %s", c->where, what, why);
  return CY_EIO;
}

cy_status redis_conn_open(const redis_url *url, double deadline, redis_conn *c,
                          cy_error *err) {
  memset(c, 0, sizeof *c);
  snprintf(c->where, sizeof c->where, "redis at %s:%d", url->host, url->port);
  for (;;) {
    c->ctx = redisConnectWithTimeout(url->host, url->port, timeval_until(deadline));
    if (c->ctx && c->ctx->err == 0) break;
    /* A server that is starting refuses connections for a moment: retry until the
     * deadline. */
    bool refused = c->ctx && strstr(c->ctx->errstr, "refused") != NULL;
    if (!refused || cy_now() + 0.05 >= deadline) {
      cy_status st = conn_failed(c, "cannot connect", err);
      redis_conn_close(c);
      return st;
    }
    redisFree(c->ctx);
    c->ctx = NULL;
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (url->password[0]) {
    const char *argv[3] = {"AUTH", url->user, url->password};
    int argc = url->user[0] ? 3 : 2;
    if (argc == 2) argv[1] = url->password;
    redisReply *r = NULL;
    cy_status st = redis_run(c, deadline, argc, argv, NULL, &r, err);
    freeReplyObject(r);
    if (st != CY_OK) {
      redis_conn_close(c);
      return st;
    }
  }
  return CY_OK;
}

void redis_conn_close(redis_conn *c) {
  if (c->ctx) redisFree(c->ctx);
  c->ctx = NULL;
}

/* Check one reply: an error reply becomes a cy_error naming the command. */
static cy_status check_reply(redis_conn *c, const char *cmd, redisReply *r, cy_error *err) {
  if (r->type != REDIS_REPLY_ERROR) return CY_OK;
  const char *hint = "";
  if (strncmp(r->str, "NOAUTH", 6) == 0)
    hint = " (the server wants a password: redis://:PASSWORD@HOST:PORT)";
  else if (strncmp(r->str, "WRONGPASS", 9) == 0 || strstr(r->str, "invalid password"))
    hint = " (wrong password in the redis:// address)";
  cy_error_set(err, "%s: %s: %s%s", c->where, cmd, r->str, hint);
  return strncmp(r->str, "NOAUTH", 6) == 0 || strncmp(r->str, "WRONGPASS", 9) == 0
             ? CY_EINVAL
             : CY_EIO;
}

cy_status redis_append(redis_conn *c, int argc, const char **argv, const size_t *lens,
                       cy_error *err) {
  if (redisAppendCommandArgv(c->ctx, argc, argv, lens) != REDIS_OK)
    return conn_failed(c, argv[0], err);
  return CY_OK;
}

cy_status redis_collect(redis_conn *c, double deadline, int n, redisReply **replies,
                        cy_error *err) {
  cy_status st = CY_OK;
  redisSetTimeout(c->ctx, timeval_until(deadline));
  for (int i = 0; i < n; i++) {
    void *r = NULL;
    if (replies) replies[i] = NULL;
    if (redisGetReply(c->ctx, &r) != REDIS_OK) {
      /* The connection is broken: the remaining replies will never come. */
      if (st == CY_OK) st = conn_failed(c, "reading a reply", err);
      for (int j = 0; replies && j < i; j++) freeReplyObject(replies[j]), replies[j] = NULL;
      return st;
    }
    if (st == CY_OK) st = check_reply(c, "command", r, err);
    if (replies) replies[i] = r;
    else freeReplyObject(r);
  }
  if (st != CY_OK && replies) {
    for (int i = 0; i < n; i++) freeReplyObject(replies[i]), replies[i] = NULL;
  }
  return st;
}

cy_status redis_run(redis_conn *c, double deadline, int argc, const char **argv,
                    const size_t *lens, redisReply **reply, cy_error *err) {
  *reply = NULL;
  redisSetTimeout(c->ctx, timeval_until(deadline));
  redisReply *r = redisCommandArgv(c->ctx, argc, argv, lens);
  if (r == NULL) return conn_failed(c, argv[0], err);
  cy_status st = check_reply(c, argv[0], r, err);
  if (st != CY_OK) {
    freeReplyObject(r);
    return st;
  }
  *reply = r;
  return CY_OK;
}

cy_status redis_runv(redis_conn *c, double deadline, redisReply **reply, cy_error *err, ...) {
  const char *argv[8];
  int argc = 0;
  va_list ap;
  va_start(ap, err);
  for (const char *a; argc < 8 && (a = va_arg(ap, const char *)) != NULL;) argv[argc++] = a;
  va_end(ap);
  redisReply *r = NULL;
  cy_status st = redis_run(c, deadline, argc, argv, NULL, &r, err);
  if (reply) *reply = r;
  else freeReplyObject(r);
  return st;
}

bool redis_reply_int(const redisReply *r, long long *out) {
  if (r == NULL) return false;
  if (r->type == REDIS_REPLY_INTEGER) {
    *out = r->integer;
    return true;
  }
  if (r->type == REDIS_REPLY_STRING) {
    char *end = NULL;
    *out = strtoll(r->str, &end, 10);
    return end != r->str && *end == 0;
  }
  return false;
}
