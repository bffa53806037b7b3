/*
 * redis_bootstrap.c - the "redis://[[USER]:PASSWORD@]HOST:PORT" bootstrap: ranks that
 * share nothing but a Redis server (and a job id and world size) learn their rank and
 * each other's endpoints through keys of the job. docs/bootstrap.md describes the keys
 * and the protocol; in short, with P = "cylon:JOB:":
 *
 *   P rank     counter: a rank is INCR - 1 (a number beyond the world is an error)
 *   P addr     hash: rank -> endpoint ("host:port" of the rank's tcp listener)
 *   P arrived  counter of ranks that published their endpoint
 *   P go       wake-up list: the last rank to arrive pushes world - 1 tokens, every
 *              other rank BLPOPs one (a barrier: counter + wake-up)
 *   P gone     counter of ranks done with the job's keys; the last one out (gone reaches
 *              the rank counter, checked atomically in a script) deletes them all
 *
 * Every key gets a TTL (timeout + 60 s), so a job that crashes leaves nothing for long.
 * Waits are BLPOPs of at most a second, always within the deadline; a rank gives up a
 * little before its deadline and says who is missing, from what the keys show.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/redis_conn.h"

#define KEY_MAX (COMM_JOB_MAX + 32)

typedef struct redis_bs {
  redis_conn conn;
  char prefix[COMM_JOB_MAX + 16]; /* "cylon:JOB:" */
  int64_t timeout_ms;
  long long ttl_s;
  bool done; /* gone counted (keys released) */
} redis_bs;

static void key_of(const redis_bs *s, const char *name, char *key) {
  snprintf(key, KEY_MAX, "%s%s", s->prefix, name);
}

/* When to stop waiting: a little before the deadline, so that the error can be told. */
static double give_up_at(const redis_bs *s, double deadline) {
  double margin = (double)s->timeout_ms / 1000.0 / 5.0;
  if (margin > 2.0) margin = 2.0;
  return deadline - margin;
}

/* Deadline for the commands that follow a give-up: the time left, and a bit more. */
static double after(double deadline) {
  double now = cy_now();
  return deadline > now + 0.5 ? deadline : now + 0.5;
}

/* Count this rank out; the last one deletes every key of the job. Atomic as a script, so
 * that exactly one rank sees gone reach the number of ranks that took a rank. */
static const char *const GONE_SCRIPT =
    "local g = redis.call('INCR', KEYS[1]) "
    "local r = tonumber(redis.call('GET', KEYS[2]) or '0') "
    "if g >= r then redis.call('DEL', unpack(KEYS)) return 1 end "
    "redis.call('EXPIRE', KEYS[1], ARGV[1]) return 0";

static void count_out(redis_bs *s, double deadline) {
  if (s->done || s->conn.ctx == NULL) return;
  s->done = true;
  char keys[5][KEY_MAX], ttl[32];
  static const char *const names[5] = {"gone", "rank", "addr", "arrived", "go"};
  const char *argv[9] = {"EVAL", GONE_SCRIPT, "5"};
  for (int i = 0; i < 5; i++) key_of(s, names[i], keys[i]), argv[3 + i] = keys[i];
  snprintf(ttl, sizeof ttl, "%lld", s->ttl_s);
  argv[8] = ttl;
  redisReply *r = NULL;
  cy_error ignored;
  if (redis_run(&s->conn, after(deadline), 9, argv, NULL, &r, &ignored) == CY_OK)
    freeReplyObject(r);
}

/* "missing rank 17 (no address published)", "missing ranks 3, 9 and 12 (...)". */
static void describe_missing(const bool *present, int32_t world, int32_t joined, char *buf,
                             size_t size) {
  int32_t missing = 0, listed = 0;
  for (int32_t r = 0; r < world; r++) missing += !present[r];
  size_t used = (size_t)snprintf(buf, size, "missing %s ", missing == 1 ? "rank" : "ranks");
  for (int32_t r = 0; r < world && listed < 16 && used < size; r++) {
    if (present[r]) continue;
    const char *sep = listed == 0 ? "" : listed == missing - 1 ? " and " : ", ";
    used += (size_t)snprintf(buf + used, size - used, "%s%d", sep, (int)r);
    listed++;
  }
  if (listed < missing && used < size)
    used += (size_t)snprintf(buf + used, size - used, ", ... (%d in all)", (int)missing);
  /* Ranks below the counter took a number but published nothing (they died or hang);
   * those at or above it never reached the server. */
  if (used < size)
    snprintf(buf + used, size - used, " (no address published%s)",
             joined < world ? "; fewer ranks took a number than the world size" : "");
}

/* The error of a bootstrap that ran out of time, from what the keys show. */
static void explain_timeout(redis_bs *s, const comm_bootstrap *bs, double deadline,
                            cy_error *err) {
  char addr[KEY_MAX], rank[KEY_MAX];
  key_of(s, "addr", addr);
  key_of(s, "rank", rank);
  redisReply *keys = NULL, *counter = NULL;
  cy_error e;
  double d = after(deadline);
  bool *present = calloc((size_t)bs->world, sizeof *present);
  int32_t arrived = 0;
  long long joined = 0;
  if (present && redis_runv(&s->conn, d, &keys, &e, "HKEYS", addr, NULL) == CY_OK &&
      keys->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < keys->elements; i++) {
      long long r;
      if (redis_reply_int(keys->element[i], &r) && r >= 0 && r < bs->world && !present[r]) {
        present[r] = true;
        arrived++;
      }
    }
  }
  if (redis_runv(&s->conn, d, &counter, &e, "GET", rank, NULL) == CY_OK)
    redis_reply_int(counter, &joined);
  char missing[512] = "";
  if (present) describe_missing(present, bs->world, (int32_t)joined, missing, sizeof missing);
  cy_error_set(err, "bootstrap of job %s: %d of %d ranks arrived by the deadline (%g s); %s",
               bs->job, (int)arrived, (int)bs->world, (double)s->timeout_ms / 1000.0,
               missing);
  free(present);
  freeReplyObject(keys);
  freeReplyObject(counter);
}

/* The barrier: count this rank in at counter; the last one wakes the others through the
 * list go (world - 1 tokens), the others wait for a token until give_up. */
static cy_status gate(redis_bs *s, comm_bootstrap *bs, const char *counter, const char *go,
                      double deadline, bool *timed_out, cy_error *err) {
  char ttl[32];
  snprintf(ttl, sizeof ttl, "%lld", s->ttl_s);
  *timed_out = false;
  redisReply *r = NULL;
  CY_RETURN_NOT_OK(redis_runv(&s->conn, deadline, &r, err, "INCR", counter, NULL));
  long long n = 0;
  redis_reply_int(r, &n);
  freeReplyObject(r);
  CY_RETURN_NOT_OK(redis_runv(&s->conn, deadline, NULL, err, "EXPIRE", counter, ttl, NULL));
  if (n >= bs->world) {
    if (bs->world == 1) return CY_OK;
    /* RPUSH go 1 1 ... (world - 1 tokens), then its TTL */
    const char **argv = malloc(((size_t)bs->world + 1) * sizeof *argv);
    if (argv == NULL) {
      cy_error_set(err, "out of memory");
      return CY_ENOMEM;
    }
    argv[0] = "RPUSH";
    argv[1] = go;
    for (int32_t i = 0; i < bs->world - 1; i++) argv[2 + i] = "1";
    cy_status st = redis_run(&s->conn, deadline, bs->world + 1, argv, NULL, &r, err);
    free(argv);
    freeReplyObject(r);
    CY_RETURN_NOT_OK(st);
    return redis_runv(&s->conn, deadline, NULL, err, "EXPIRE", go, ttl, NULL);
  }
  double stop = give_up_at(s, deadline);
  for (;;) {
    double left = stop - cy_now();
    if (left <= 0) {
      *timed_out = true;
      return CY_EIO;
    }
    char block[32];
    snprintf(block, sizeof block, "%.3f", left < 1.0 ? (left < 0.01 ? 0.01 : left) : 1.0);
    CY_RETURN_NOT_OK(redis_runv(&s->conn, cy_now() + atof(block) + 5.0, &r, err, "BLPOP",
                                go, block, NULL));
    bool woken = r->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    if (woken) return CY_OK;
  }
}

static cy_status redis_allgather(comm_bootstrap *bs, const char *mine, char ***all,
                                 double deadline, cy_error *err) {
  redis_bs *s = bs->state;
  char addr[KEY_MAX], arrived[KEY_MAX], go[KEY_MAX], field[16], ttl[32];
  key_of(s, "addr", addr);
  key_of(s, "arrived", arrived);
  key_of(s, "go", go);
  snprintf(field, sizeof field, "%d", (int)bs->rank);
  snprintf(ttl, sizeof ttl, "%lld", s->ttl_s);
  *all = NULL;
  cy_status st = redis_runv(&s->conn, deadline, NULL, err, "HSET", addr, field, mine, NULL);
  if (st == CY_OK) st = redis_runv(&s->conn, deadline, NULL, err, "EXPIRE", addr, ttl, NULL);
  bool timed_out = false;
  if (st == CY_OK) st = gate(s, bs, arrived, go, deadline, &timed_out, err);
  if (timed_out) explain_timeout(s, bs, deadline, err);
  redisReply *r = NULL;
  if (st == CY_OK) st = redis_runv(&s->conn, deadline, &r, err, "HGETALL", addr, NULL);
  char **out = NULL;
  if (st == CY_OK) {
    out = calloc((size_t)bs->world, sizeof *out);
    if (out == NULL) {
      cy_error_set(err, "out of memory");
      st = CY_ENOMEM;
    }
  }
  for (size_t i = 0; st == CY_OK && i + 1 < r->elements; i += 2) {
    long long rank;
    if (redis_reply_int(r->element[i], &rank) && rank >= 0 && rank < bs->world &&
        out[rank] == NULL && (out[rank] = strdup(r->element[i + 1]->str)) == NULL) {
      cy_error_set(err, "out of memory");
      st = CY_ENOMEM;
    }
  }
  for (int32_t i = 0; st == CY_OK && i < bs->world; i++) {
    if (out[i] == NULL) {
      cy_error_set(err, "bootstrap of job %s: the endpoint of rank %d vanished from %s "
                   "(were the job's keys deleted by another job of the same id?)",
                   bs->job, (int)i, s->conn.where);
      st = CY_EIO;
    }
  }
  freeReplyObject(r);
  /* Done with the keys either way: the last rank out deletes them. */
  count_out(s, deadline);
  if (st != CY_OK) {
    if (out) comm_strings_free(out, bs->world);
    return st;
  }
  *all = out;
  return CY_OK;
}

static void redis_release(comm_bootstrap *bs) {
  redis_bs *s = bs->state;
  if (s == NULL) return;
  count_out(s, comm_deadline_in(s->timeout_ms));
  redis_conn_close(&s->conn);
  free(s);
  bs->state = NULL;
}

/* The world size: options, else CYLON_WORLD_SIZE. */
static cy_status world_size(const cy_comm_options *opts, int32_t *world, cy_error *err) {
  if (opts->world_size > 0) {
    *world = opts->world_size;
    return CY_OK;
  }
  const char *v = getenv("CYLON_WORLD_SIZE");
  char *end = NULL;
  long long n = v ? strtoll(v, &end, 10) : 0;
  if (v == NULL || v[0] == 0 || *end != 0 || n < 1 || n > (1 << 24)) {
    cy_error_set(err, "bootstrap: the redis bootstrap needs the world size (options "
                 "world_size, or CYLON_WORLD_SIZE=N with N >= 1)%s%s%s",
                 v ? "; CYLON_WORLD_SIZE='" : "", v ? v : "", v ? "' is not one" : "");
    return CY_EINVAL;
  }
  *world = (int32_t)n;
  return CY_OK;
}

cy_status comm_bootstrap_redis(const cy_comm_options *opts, double deadline,
                               comm_bootstrap *out, cy_error *err) {
  memset(out, 0, sizeof *out);
  redis_url url;
  CY_RETURN_NOT_OK(redis_url_parse(opts->bootstrap, &url, err));
  CY_RETURN_NOT_OK(world_size(opts, &out->world, err));
  const char *job = opts->job ? opts->job : getenv("CYLON_JOB");
  if (job == NULL || job[0] == 0) job = "cylon";
  if (strlen(job) >= COMM_JOB_MAX) {
    cy_error_set(err, "bootstrap: the job id is longer than %d bytes", COMM_JOB_MAX - 1);
    return CY_EINVAL;
  }
  snprintf(out->job, sizeof out->job, "%s", job);
  redis_bs *s = calloc(1, sizeof *s);
  if (s == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  snprintf(s->prefix, sizeof s->prefix, "cylon:%s:", job);
  s->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : COMM_DEFAULT_TIMEOUT_MS;
  s->ttl_s = (long long)ceil((double)s->timeout_ms / 1000.0) + 60;
  cy_status st = redis_conn_open(&url, deadline, &s->conn, err);
  if (st != CY_OK) {
    char why[sizeof err->message];
    snprintf(why, sizeof why, "%s", err->message);
    cy_error_set(err, "bootstrap of job %s: %s", job, why);
    free(s);
    return st;
  }
  char rank_key[KEY_MAX], ttl[32];
  key_of(s, "rank", rank_key);
  snprintf(ttl, sizeof ttl, "%lld", s->ttl_s);
  redisReply *r = NULL;
  st = redis_runv(&s->conn, deadline, &r, err, "INCR", rank_key, NULL);
  long long n = 0;
  if (st == CY_OK) {
    redis_reply_int(r, &n);
    st = redis_runv(&s->conn, deadline, NULL, err, "EXPIRE", rank_key, ttl, NULL);
  }
  freeReplyObject(r);
  out->state = s;
  out->release = redis_release;
  out->allgather = redis_allgather;
  if (st == CY_OK && n > out->world) {
    cy_error_set(err, "bootstrap of job %s: this is rank %lld to arrive, but the world has "
                 "%d ranks (more processes than the world size, or another job of the same "
                 "id: its keys %s* in %s expire in %lld s)", job, n, (int)out->world,
                 s->prefix, s->conn.where, s->ttl_s);
    st = CY_EINVAL;
  }
  if (st == CY_OK && opts->rank >= out->world) {
    cy_error_set(err, "bootstrap of job %s: rank %d was given, but the world has %d ranks",
                 job, (int)opts->rank, (int)out->world);
    st = CY_EINVAL;
  }
  if (st != CY_OK) {
    redis_release(out);
    return st;
  }
  /* A rank given by the caller (already distinct) wins; the counter only counted us in. */
  out->rank = opts->rank >= 0 ? opts->rank : (int32_t)(n - 1);
  return CY_OK;
}
