/*
 * job_redis.c - a serverless job's state in Redis through hiredis (see job_redis.h for the
 * keys). Every command has the connection's timeout, so a dead Redis is an error, never a
 * hang.
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serverless/job_redis.h"

struct job_redis {
  redisContext *ctx;
  char where[300]; /* "redis 127.0.0.1:6379", for messages */
};

static void key(char *buf, size_t size, const char *job, const char *what) {
  snprintf(buf, size, "cylon:job:%s:%s", job, what);
}

/* Run a command; NULL and a message on a transport error or an error reply. */
static redisReply *run(job_redis *r, cy_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  redisReply *reply = redisvCommand(r->ctx, fmt, ap);
  va_end(ap);
  if (!reply) {
    cy_error_set(err, "%s: %s", r->where, r->ctx->errstr[0] ? r->ctx->errstr : "no answer");
    return NULL;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    cy_error_set(err, "%s: %s", r->where, reply->str);
    freeReplyObject(reply);
    return NULL;
  }
  return reply;
}

cy_status job_redis_connect(const char *url, const char *password, int64_t timeout_ms,
                            job_redis **out, cy_error *err) {
  *out = NULL;
  const char *p = url;
  if (strncmp(p, "redis://", 8) == 0) p += 8;
  char user_pass[256] = "", host[256] = "";
  const char *at = strrchr(p, '@');
  if (at) {
    snprintf(user_pass, sizeof user_pass, "%.*s", (int)(at - p), p);
    p = at + 1;
  }
  const char *colon = strrchr(p, ':');
  const char *end = p + strcspn(p, "/");
  long port = 6379;
  if (colon && colon < end) {
    char *e;
    port = strtol(colon + 1, &e, 10);
    if (e != end || port < 1 || port > 65535) {
      cy_error_set(err, "bad Redis address \"%s\": expected redis://HOST:PORT", url);
      return EINVAL;
    }
    end = colon;
  }
  if (end == p || (size_t)(end - p) >= sizeof host) {
    cy_error_set(err, "bad Redis address \"%s\": expected redis://HOST:PORT", url);
    return EINVAL;
  }
  memcpy(host, p, (size_t)(end - p));
  if (!password && user_pass[0]) {
    const char *c = strchr(user_pass, ':');
    password = c ? c + 1 : user_pass;
  }
  job_redis *r = calloc(1, sizeof *r);
  if (!r) {
    cy_error_set(err, "out of memory");
    return ENOMEM;
  }
  snprintf(r->where, sizeof r->where, "redis %s:%ld", host, port);
  struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
  r->ctx = redisConnectWithTimeout(host, (int)port, tv);
  if (!r->ctx || r->ctx->err) {
    cy_error_set(err, "%s unreachable: %s", r->where, r->ctx ? r->ctx->errstr : "out of memory");
    job_redis_close(r);
    return ECONNREFUSED;
  }
  redisSetTimeout(r->ctx, tv);
  if (password && password[0]) {
    redisReply *reply = run(r, err, "AUTH %s", password);
    if (!reply) {
      job_redis_close(r);
      return EACCES;
    }
    freeReplyObject(reply);
  }
  *out = r;
  return CY_OK;
}

void job_redis_close(job_redis *r) {
  if (!r) return;
  if (r->ctx) redisFree(r->ctx);
  free(r);
}

static cy_status simple(job_redis *r, cy_error *err, redisReply *reply) {
  if (!reply) return EIO;
  freeReplyObject(reply);
  (void)r;
  return CY_OK;
}

cy_status job_redis_create(job_redis *r, const char *job, const char *token, int64_t ttl_s,
                           cy_error *err) {
  char k[300];
  key(k, sizeof k, job, "token");
  redisReply *reply = run(r, err, "SET %s %s NX EX %lld", k, token, (long long)ttl_s);
  if (!reply) return EIO;
  bool created = reply->type == REDIS_REPLY_STATUS;
  freeReplyObject(reply);
  if (!created) {
    cy_error_set(err, "%s: job %s exists already", r->where, job);
    return EEXIST;
  }
  return CY_OK;
}

/* The job's own keys, then the keys of the communicator's Redis bootstrap for the same job
 * id ("cylon:JOB:NAME", docs/bootstrap.md): its last rank out deletes those, but a rank
 * that died mid-job never counts out, so the scheduler deletes them with the job's. */
static const char *const job_keys[] = {"token", "rank", "phase", "result", "abort",
                                       "invocation"};
static const char *const bootstrap_keys[] = {"rank", "addr", "arrived", "go", "gone"};
#define JOB_KEYS 6
#define ALL_KEYS 11

static void all_keys(const char *job, char k[ALL_KEYS][300]) {
  for (int i = 0; i < JOB_KEYS; i++) key(k[i], sizeof k[i], job, job_keys[i]);
  for (int i = 0; i < 5; i++) snprintf(k[JOB_KEYS + i], sizeof k[JOB_KEYS + i],
                                       "cylon:%s:%s", job, bootstrap_keys[i]);
}

cy_status job_redis_delete(job_redis *r, const char *job, cy_error *err) {
  char k[ALL_KEYS][300];
  all_keys(job, k);
  return simple(r, err, run(r, err, "DEL %s %s %s %s %s %s %s %s %s %s %s", k[0], k[1], k[2],
                            k[3], k[4], k[5], k[6], k[7], k[8], k[9], k[10]));
}

int64_t job_redis_count_keys(job_redis *r, const char *job, cy_error *err) {
  char k[ALL_KEYS][300];
  all_keys(job, k);
  redisReply *reply = run(r, err, "EXISTS %s %s %s %s %s %s %s %s %s %s %s", k[0], k[1], k[2],
                          k[3], k[4], k[5], k[6], k[7], k[8], k[9], k[10]);
  if (!reply) return -1;
  int64_t n = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
  freeReplyObject(reply);
  return n;
}

cy_status job_redis_abort(job_redis *r, const char *job, cy_error *err) {
  char k[300];
  key(k, sizeof k, job, "abort");
  return simple(r, err, run(r, err, "SET %s 1 EX 3600", k));
}

bool job_redis_exists(job_redis *r, const char *job) {
  char k[300];
  cy_error err;
  key(k, sizeof k, job, "token");
  redisReply *reply = run(r, &err, "EXISTS %s", k);
  if (!reply) return true;
  bool yes = reply->type != REDIS_REPLY_INTEGER || reply->integer > 0;
  freeReplyObject(reply);
  return yes;
}

bool job_redis_aborted(job_redis *r, const char *job) {
  char k[300];
  cy_error err;
  key(k, sizeof k, job, "abort");
  redisReply *reply = run(r, &err, "EXISTS %s", k);
  if (!reply) return false;
  bool yes = reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;
  freeReplyObject(reply);
  return yes;
}

/* Workers write to a job's keys only while the job exists (its token key), atomically in
 * one script: a rank that is still running when the scheduler aborts and deletes the job
 * cannot bring its keys back. Each key gets the token's remaining TTL. */
static const char join_script[] =
    "local t = redis.call('GET', KEYS[1]) "
    "if not t then return -1 end "
    "if t ~= ARGV[1] then return -2 end "
    "local n = redis.call('INCR', KEYS[2]) "
    "redis.call('EXPIRE', KEYS[2], math.max(redis.call('TTL', KEYS[1]), 1)) "
    "return n";
static const char hset_script[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) "
    "redis.call('EXPIRE', KEYS[2], math.max(redis.call('TTL', KEYS[1]), 1)) "
    "return 1";

cy_status job_redis_join(job_redis *r, const char *job, const char *token, int32_t world,
                         int32_t *rank, cy_error *err) {
  char tk[300], rk[300];
  key(tk, sizeof tk, job, "token");
  key(rk, sizeof rk, job, "rank");
  redisReply *reply = run(r, err, "EVAL %s 2 %s %s %s", join_script, tk, rk, token ? token : "");
  if (!reply) return EIO;
  long long n = reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0;
  freeReplyObject(reply);
  if (n == -1) {
    cy_error_set(err, "%s: job %s is unknown (expired, ended, or never submitted)", r->where, job);
    return EACCES;
  }
  if (n == -2) {
    cy_error_set(err, "%s: the token of this event does not match job %s's: refused", r->where,
                 job);
    return EACCES;
  }
  if (n < 1 || n > world) {
    cy_error_set(err, "job %s: rank %lld is beyond the world size %d (a worker invoked twice?)",
                 job, n - 1, (int)world);
    return ERANGE;
  }
  *rank = (int32_t)(n - 1);
  return CY_OK;
}

static cy_status hset(job_redis *r, const char *job, const char *what, int64_t field_num,
                      const char *value, cy_error *err) {
  char tk[300], k[300], field[32];
  key(tk, sizeof tk, job, "token");
  key(k, sizeof k, job, what);
  snprintf(field, sizeof field, "%lld", (long long)field_num);
  return simple(r, err, run(r, err, "EVAL %s 2 %s %s %s %s", hset_script, tk, k, field, value));
}

cy_status job_redis_set_invocation(job_redis *r, const char *job, int64_t invocation,
                                   int32_t rank, cy_error *err) {
  char value[16];
  snprintf(value, sizeof value, "%d", (int)rank);
  return hset(r, job, "invocation", invocation, value, err);
}

int32_t job_redis_rank_of(job_redis *r, const char *job, int64_t invocation) {
  char k[300], field[32];
  cy_error err;
  key(k, sizeof k, job, "invocation");
  snprintf(field, sizeof field, "%lld", (long long)invocation);
  redisReply *reply = run(r, &err, "HGET %s %s", k, field);
  if (!reply) return -1;
  char *end = NULL;
  long rank = reply->type == REDIS_REPLY_STRING ? strtol(reply->str, &end, 10) : -1;
  if (end == NULL || *end != 0 || rank < 0 || rank > INT32_MAX) rank = -1;
  freeReplyObject(reply);
  return (int32_t)rank;
}

cy_status job_redis_set_phase(job_redis *r, const char *job, int32_t rank, const char *phase,
                              cy_error *err) {
  return hset(r, job, "phase", rank, phase, err);
}

cy_status job_redis_set_result(job_redis *r, const char *job, int32_t rank, const char *json,
                               cy_error *err) {
  return hset(r, job, "result", rank, json, err);
}

cy_status job_redis_poll(job_redis *r, const char *job, int32_t world, char **phases,
                         char **results, cy_error *err) {
  for (int pass = 0; pass < 2; pass++) {
    char k[300];
    key(k, sizeof k, job, pass == 0 ? "phase" : "result");
    char **dest = pass == 0 ? phases : results;
    redisReply *reply = run(r, err, "HGETALL %s", k);
    if (!reply) return EIO;
    for (int32_t i = 0; i < world; i++) free(dest[i]), dest[i] = NULL;
    if (reply->type == REDIS_REPLY_ARRAY)
      for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        long rank = strtol(reply->element[i]->str, NULL, 10);
        if (rank >= 0 && rank < world && reply->element[i + 1]->str)
          dest[rank] = strdup(reply->element[i + 1]->str);
      }
    freeReplyObject(reply);
  }
  return CY_OK;
}
