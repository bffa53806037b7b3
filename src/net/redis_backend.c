/*
 * redis_backend.c - the "redis" communicator backend: messages through a Redis server,
 * for places where ranks cannot connect to each other (serverless functions behind NAT)
 * but all reach one server.
 *
 * Keys, with P = "cylon:JOB:SESSION:" (SESSION: a random id of rank 0, shared through the
 * bootstrap, so that two communicators of one job never mix):
 *   P m:S:D     list of frames from rank S to rank D, in order
 *   P alive:R   rank R's heartbeat (a short TTL, refreshed by its receiver thread; set to
 *               "closed" when R closes)
 *   P abort     the first cause of a failure (SET NX): every rank fails with it
 *   P closed    counter: the last rank to close deletes every key of the session
 * Every key has a TTL, so a session that crashes leaves nothing for long.
 *
 * A frame is one list element: u32 tag, u32 flags (1: the last frame of its message),
 * u64 the message's length, then up to FRAME_BYTES of payload. A send pushes its frames
 * at once (RPUSH, pipelined, under the per-rank send lock so that two threads' messages
 * never interleave in a list): Redis is the buffer, so sends complete without the
 * receiver. Each rank's receiver thread BLPOPs its world lists, assembles messages,
 * matches them to posted receives (per source and tag, in order) and, every heartbeat,
 * refreshes its own heartbeat and checks the others' and the abort key. A wait fails when
 * its peer has been silent for the timeout, when the peer's heartbeat stops (it died), or
 * when another rank failed the communicator. Collectives are the generic ones.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/net_socket.h"
#include "net/redis_conn.h"

#define FRAME_HEADER 16
#define FRAME_BYTES (1 << 20)
#define DRAIN_FRAMES "4" /* after a BLPOP, LPOP up to this many more from that list */
#define FRAME_LAST 1u
#define PREFIX_MAX (COMM_JOB_MAX + 48)
#define KEY_MAX (PREFIX_MAX + 32)

typedef struct rq_req rq_req;
struct rq_req {
  bool is_send, done, posted;
  int32_t peer, tag;
  cy_status status;
  cy_buffer *data;    /* a receive's message */
  rq_req *next_posted; /* in its source's posted receives */
  rq_req *prev_all, *next_all;
};

/* A complete message nobody asked for yet. */
typedef struct rq_msg {
  struct rq_msg *next;
  int32_t tag;
  cy_buffer *data;
} rq_msg;

typedef struct rq_source {
  cy_buffer *partial; /* the message being assembled */
  int32_t partial_tag;
  int64_t filled;
  rq_msg *unexpected, *unexpected_tail;
  rq_req *posted, *posted_tail;
  double last_heard;
  bool seen_alive; /* its heartbeat was seen: from then on, its absence means death */
} rq_source;

typedef struct redis_comm {
  cy_comm *comm;
  int32_t rank, world;
  char prefix[PREFIX_MAX];
  redis_url url;
  int64_t timeout_ms;
  long long ttl_s;
  double heartbeat_s, alive_ttl_s;

  pthread_mutex_t send_lock; /* send_conn, one message at a time */
  redis_conn send_conn;

  pthread_mutex_t lock; /* everything below */
  pthread_cond_t cond;
  rq_source *sources;
  rq_req *all; /* requests not yet waited for */
  bool stop, failed, thread_started;
  char why[sizeof(((cy_error *)0)->message)];
  pthread_t thread;
  redis_conn recv_conn;
} redis_comm;

static void key_msg(const redis_comm *rc, int32_t src, int32_t dst, char *key) {
  snprintf(key, KEY_MAX, "%sm:%d:%d", rc->prefix, (int)src, (int)dst);
}
static void key_name(const redis_comm *rc, const char *name, char *key) {
  snprintf(key, KEY_MAX, "%s%s", rc->prefix, name);
}

/* ---- failing ---------------------------------------------------------------------- */

/* Fail here (first cause wins); callers hold rc->lock. */
static void fail_locked(redis_comm *rc, const char *why) {
  if (rc->failed) return;
  rc->failed = true;
  comm_mark_failed(rc->comm);
  snprintf(rc->why, sizeof rc->why, "%s", why);
  pthread_cond_broadcast(&rc->cond);
}

/* Fail here and tell the others through the abort key (best effort). */
static void fail_everywhere(redis_comm *rc, const char *why) {
  pthread_mutex_lock(&rc->lock);
  bool first = !rc->failed;
  fail_locked(rc, why);
  pthread_mutex_unlock(&rc->lock);
  if (!first) return;
  char key[KEY_MAX], ttl[32];
  key_name(rc, "abort", key);
  snprintf(ttl, sizeof ttl, "%lld", rc->ttl_s);
  cy_error ignored;
  pthread_mutex_lock(&rc->send_lock);
  if (rc->send_conn.ctx)
    redis_runv(&rc->send_conn, cy_now() + 2.0, NULL, &ignored, "SET", key, why, "NX", "EX",
               ttl, NULL);
  pthread_mutex_unlock(&rc->send_lock);
}

/* ---- the receiver thread ------------------------------------------------------------ */

/* A posted receive gets its message. */
static void deliver(rq_req *r, cy_buffer *data) {
  r->data = data;
  r->done = true;
  r->posted = false;
  r->status = CY_OK;
}

/* A whole message from src: to the first receive posted for its tag, else kept. */
static void message_complete(redis_comm *rc, int32_t src, int32_t tag, cy_buffer *data) {
  rq_source *s = &rc->sources[src];
  for (rq_req **p = &s->posted; *p; p = &(*p)->next_posted) {
    rq_req *r = *p;
    if (r->tag != tag) continue;
    *p = r->next_posted;
    if (s->posted_tail == r) {
      s->posted_tail = NULL;
      for (rq_req *q = s->posted; q; q = q->next_posted) s->posted_tail = q;
    }
    deliver(r, data);
    pthread_cond_broadcast(&rc->cond);
    return;
  }
  rq_msg *m = calloc(1, sizeof *m);
  if (m == NULL) {
    cy_buffer_release(data);
    fail_locked(rc, "out of memory keeping a received message");
    return;
  }
  m->tag = tag;
  m->data = data;
  if (s->unexpected_tail) s->unexpected_tail->next = m;
  else s->unexpected = m;
  s->unexpected_tail = m;
}

/* One frame popped from the list of src. */
static void frame_arrived(redis_comm *rc, int32_t src, const redisReply *el) {
  char why[200];
  if (el->type != REDIS_REPLY_STRING || el->len < FRAME_HEADER) {
    snprintf(why, sizeof why, "redis backend: a malformed frame from rank %d", (int)src);
    fail_locked(rc, why);
    return;
  }
  const uint8_t *p = (const uint8_t *)el->str;
  int32_t tag = (int32_t)net_get_u32(p);
  uint32_t flags = net_get_u32(p + 4);
  int64_t total = (int64_t)net_get_u64(p + 8), chunk = (int64_t)el->len - FRAME_HEADER;
  rq_source *s = &rc->sources[src];
  s->last_heard = cy_now();
  if (s->partial == NULL) {
    cy_error err;
    if (cy_buffer_alloc(total, &s->partial, &err) != CY_OK) {
      snprintf(why, sizeof why, "redis backend: no memory for a message of %lld bytes from "
               "rank %d", (long long)total, (int)src);
      fail_locked(rc, why);
      return;
    }
    s->partial->size = total;
    s->partial_tag = tag;
    s->filled = 0;
  }
  if (tag != s->partial_tag || s->filled + chunk > s->partial->size ||
      ((flags & FRAME_LAST) != 0) != (s->filled + chunk == s->partial->size)) {
    snprintf(why, sizeof why, "redis backend: the frames of a message from rank %d do not "
             "add up", (int)src);
    fail_locked(rc, why);
    return;
  }
  if (chunk > 0) memcpy(s->partial->data + s->filled, p + FRAME_HEADER, (size_t)chunk);
  s->filled += chunk;
  if (flags & FRAME_LAST) {
    cy_buffer *data = s->partial;
    if (src != rc->rank) atomic_fetch_add(&rc->comm->bytes_received, data->size);
    s->partial = NULL;
    message_complete(rc, src, tag, data);
  }
}

/* Heartbeat: refresh ours; check the abort key and the heartbeats of ranks we wait on. */
static cy_status heartbeat(redis_comm *rc, redis_conn *c, cy_error *err) {
  char alive[KEY_MAX], abort_key[KEY_MAX], px[32];
  snprintf(alive, sizeof alive, "%salive:%d", rc->prefix, (int)rc->rank);
  key_name(rc, "abort", abort_key);
  snprintf(px, sizeof px, "%lld", (long long)(rc->alive_ttl_s * 1000));
  double d = cy_now() + rc->alive_ttl_s;
  const char *set[6] = {"SET", alive, "1", "PX", px, NULL};
  const char *get[2] = {"GET", abort_key};
  /* MGET of every rank's heartbeat */
  char (*keys)[KEY_MAX] = malloc((size_t)rc->world * KEY_MAX);
  const char **mget = malloc(((size_t)rc->world + 1) * sizeof *mget);
  if (keys == NULL || mget == NULL) {
    free(keys);
    free(mget);
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  mget[0] = "MGET";
  for (int32_t r = 0; r < rc->world; r++) {
    snprintf(keys[r], KEY_MAX, "%salive:%d", rc->prefix, (int)r);
    mget[1 + r] = keys[r];
  }
  redisReply *replies[3] = {NULL, NULL, NULL};
  cy_status st = redis_append(c, 5, set, NULL, err);
  if (st == CY_OK) st = redis_append(c, 2, get, NULL, err);
  if (st == CY_OK) st = redis_append(c, rc->world + 1, mget, NULL, err);
  if (st == CY_OK) st = redis_collect(c, d, 3, replies, err);
  free(keys);
  free(mget);
  if (st != CY_OK) return st;
  pthread_mutex_lock(&rc->lock);
  if (replies[1]->type == REDIS_REPLY_STRING) fail_locked(rc, replies[1]->str);
  for (int32_t r = 0; r < rc->world && (size_t)r < replies[2]->elements; r++) {
    /* A rank whose heartbeat is gone (not closed: "closed") died or hangs. Only ranks we
     * expect something from matter. */
    rq_source *s = &rc->sources[r];
    if (replies[2]->element[r]->type != REDIS_REPLY_NIL) {
      s->seen_alive = true;
      continue;
    }
    /* (a rank that dies before its first heartbeat is caught by the silence timeout) */
    if (!s->seen_alive || (s->posted == NULL && s->partial == NULL)) continue;
    char why[200];
    snprintf(why, sizeof why, "rank %d is gone: its heartbeat in Redis stopped (the process "
             "died or hangs)", (int)r);
    pthread_mutex_unlock(&rc->lock);
    fail_everywhere(rc, why);
    pthread_mutex_lock(&rc->lock);
    break;
  }
  pthread_mutex_unlock(&rc->lock);
  for (int i = 0; i < 3; i++) freeReplyObject(replies[i]);
  return CY_OK;
}

static void *receiver_main(void *arg) {
  redis_comm *rc = arg;
  redis_conn *c = &rc->recv_conn;
  const char **argv = malloc(((size_t)rc->world + 2) * sizeof *argv);
  char (*keys)[KEY_MAX] = malloc((size_t)rc->world * KEY_MAX);
  cy_error err;
  cy_status st = CY_OK;
  if (argv == NULL || keys == NULL) {
    cy_error_set(&err, "out of memory");
    st = CY_ENOMEM;
  }
  for (int32_t s = 0; st == CY_OK && s < rc->world; s++) {
    key_msg(rc, s, rc->rank, keys[s]);
    argv[1 + s] = keys[s];
  }
  double next_beat = 0;
  char block[32];
  snprintf(block, sizeof block, "%.3f", rc->heartbeat_s < 0.2 ? rc->heartbeat_s : 0.2);
  while (st == CY_OK) {
    pthread_mutex_lock(&rc->lock);
    bool stop = rc->stop;
    pthread_mutex_unlock(&rc->lock);
    if (stop) break;
    if (cy_now() >= next_beat) {
      st = heartbeat(rc, c, &err);
      next_beat = cy_now() + rc->heartbeat_s;
      if (st != CY_OK) break;
    }
    argv[0] = "BLPOP";
    argv[rc->world + 1] = block;
    redisReply *r = NULL;
    st = redis_run(c, cy_now() + atof(block) + rc->alive_ttl_s, rc->world + 2, argv, NULL, &r,
                   &err);
    if (st != CY_OK) break;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
      /* which list: the key's source rank */
      int32_t src = -1;
      for (int32_t s = 0; s < rc->world && src < 0; s++)
        if (strcmp(r->element[0]->str, keys[s]) == 0) src = s;
      pthread_mutex_lock(&rc->lock);
      if (src >= 0) frame_arrived(rc, src, r->element[1]);
      pthread_mutex_unlock(&rc->lock);
      /* More frames are likely behind it (a message of many frames): take them in one
       * round trip. */
      redisReply *more = NULL;
      if (src >= 0)
        st = redis_runv(c, cy_now() + rc->alive_ttl_s + 5.0, &more, &err, "LPOP", keys[src],
                        DRAIN_FRAMES, NULL);
      if (more && more->type == REDIS_REPLY_ARRAY) {
        pthread_mutex_lock(&rc->lock);
        for (size_t i = 0; i < more->elements; i++) frame_arrived(rc, src, more->element[i]);
        pthread_mutex_unlock(&rc->lock);
      }
      freeReplyObject(more);
    }
    freeReplyObject(r);
  }
  if (st != CY_OK) {
    char why[sizeof err.message + 40];
    snprintf(why, sizeof why, "redis backend, rank %d: %s", (int)rc->rank, err.message);
    fail_everywhere(rc, why);
  }
  free(argv);
  free(keys);
  return NULL;
}

/* ---- point to point ----------------------------------------------------------------- */

static rq_req *req_new(redis_comm *rc, bool is_send, int32_t peer, int32_t tag) {
  rq_req *r = calloc(1, sizeof *r);
  if (r == NULL) return NULL;
  r->is_send = is_send;
  r->peer = peer;
  r->tag = tag;
  pthread_mutex_lock(&rc->lock);
  r->next_all = rc->all;
  if (rc->all) rc->all->prev_all = r;
  rc->all = r;
  pthread_mutex_unlock(&rc->lock);
  return r;
}

/* Unlink and free (lock held). */
static void req_free_locked(redis_comm *rc, rq_req *r) {
  if (r->posted) {
    rq_source *s = &rc->sources[r->peer];
    for (rq_req **p = &s->posted; *p; p = &(*p)->next_posted) {
      if (*p != r) continue;
      *p = r->next_posted;
      break;
    }
    s->posted_tail = NULL;
    for (rq_req *q = s->posted; q; q = q->next_posted) s->posted_tail = q;
  }
  if (r->prev_all) r->prev_all->next_all = r->next_all;
  else rc->all = r->next_all;
  if (r->next_all) r->next_all->prev_all = r->prev_all;
  cy_buffer_release(r->data);
  free(r);
}

static cy_status redis_isend(cy_comm *comm, int32_t dest, int32_t tag, const void *data,
                             int64_t len, cy_comm_request *req, cy_error *err) {
  redis_comm *rc = comm->impl;
  pthread_mutex_lock(&rc->lock);
  bool failed = rc->failed;
  if (failed) cy_error_set(err, "%s", rc->why);
  pthread_mutex_unlock(&rc->lock);
  if (failed) return CY_EIO;
  rq_req *r = req_new(rc, true, dest, tag);
  int64_t frame_cap = len < FRAME_BYTES ? len : FRAME_BYTES;
  uint8_t *frame = malloc((size_t)frame_cap + FRAME_HEADER);
  if (r == NULL || frame == NULL) {
    free(frame);
    if (r) {
      pthread_mutex_lock(&rc->lock);
      req_free_locked(rc, r);
      pthread_mutex_unlock(&rc->lock);
    }
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  char key[KEY_MAX], ttl[32];
  key_msg(rc, rc->rank, dest, key);
  snprintf(ttl, sizeof ttl, "%lld", rc->ttl_s);
  cy_status st = CY_OK;
  int queued = 0;
  double deadline = comm_deadline_in(rc->timeout_ms);
  pthread_mutex_lock(&rc->send_lock);
  /* Frames go out in batches of pipelined RPUSHes: each is copied into the request
   * buffer of hiredis, so a batch bounds that memory. */
  int64_t off = 0;
  do {
    int64_t n = len - off < FRAME_BYTES ? len - off : FRAME_BYTES;
    bool last = off + n == len;
    net_put_u32(frame, (uint32_t)tag);
    net_put_u32(frame + 4, last ? FRAME_LAST : 0u);
    net_put_u64(frame + 8, (uint64_t)len);
    if (n > 0) memcpy(frame + FRAME_HEADER, (const uint8_t *)data + off, (size_t)n);
    const char *argv[3] = {"RPUSH", key, (const char *)frame};
    size_t lens[3] = {5, strlen(key), (size_t)n + FRAME_HEADER};
    st = redis_append(&rc->send_conn, 3, argv, lens, err);
    queued++;
    off += n;
    if (st == CY_OK && last) {
      const char *ex[3] = {"EXPIRE", key, ttl};
      st = redis_append(&rc->send_conn, 3, ex, NULL, err);
      queued++;
    }
    if (st == CY_OK && (last || queued >= 8)) {
      st = redis_collect(&rc->send_conn, deadline, queued, NULL, err);
      queued = 0;
    }
  } while (st == CY_OK && off < len);
  pthread_mutex_unlock(&rc->send_lock);
  free(frame);
  if (st == CY_OK && dest != rc->rank) atomic_fetch_add(&comm->bytes_sent, len);
  if (st != CY_OK) {
    char why[sizeof err->message + 40];
    snprintf(why, sizeof why, "sending to rank %d: %s", (int)dest, err->message);
    fail_everywhere(rc, why);
  }
  pthread_mutex_lock(&rc->lock);
  r->done = true;
  r->status = st;
  pthread_mutex_unlock(&rc->lock);
  req->impl = r;
  return CY_OK; /* a failure shows at the wait, and everywhere */
}

static cy_status redis_irecv(cy_comm *comm, int32_t src, int32_t tag, cy_comm_request *req,
                             cy_error *err) {
  redis_comm *rc = comm->impl;
  rq_req *r = req_new(rc, false, src, tag);
  if (r == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  pthread_mutex_lock(&rc->lock);
  rq_source *s = &rc->sources[src];
  rq_msg *prev = NULL, *m = s->unexpected;
  while (m && m->tag != tag) prev = m, m = m->next;
  if (m) {
    if (prev) prev->next = m->next;
    else s->unexpected = m->next;
    if (s->unexpected_tail == m) s->unexpected_tail = prev;
    deliver(r, m->data);
    free(m);
  } else {
    r->posted = true;
    if (s->posted_tail) s->posted_tail->next_posted = r;
    else s->posted = r;
    s->posted_tail = r;
  }
  pthread_mutex_unlock(&rc->lock);
  req->impl = r;
  return CY_OK;
}

static cy_status redis_wait_all(cy_comm *comm, int32_t n, cy_comm_request *reqs,
                                cy_error *err) {
  redis_comm *rc = comm->impl;
  double started = cy_now(), timeout = (double)rc->timeout_ms / 1000.0;
  pthread_mutex_lock(&rc->lock);
  for (;;) {
    bool all_done = true;
    int32_t silent = -1;
    double now = cy_now();
    for (int32_t i = 0; i < n; i++) {
      rq_req *r = reqs[i].impl;
      if (r == NULL || r->done) continue;
      all_done = false;
      double heard = rc->sources[r->peer].last_heard;
      if (now - (heard > started ? heard : started) > timeout && silent < 0) silent = r->peer;
    }
    if (all_done || rc->failed) break;
    if (silent >= 0) {
      char why[200];
      snprintf(why, sizeof why, "rank %d did not answer within %g s (redis backend, rank %d "
               "waiting)", (int)silent, timeout, (int)rc->rank);
      pthread_mutex_unlock(&rc->lock);
      fail_everywhere(rc, why);
      pthread_mutex_lock(&rc->lock);
      break;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 100 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    pthread_cond_timedwait(&rc->cond, &rc->lock, &ts);
  }
  /* Finish every request: success, or the communicator's failure. */
  cy_status st = CY_OK;
  for (int32_t i = 0; i < n; i++) {
    rq_req *r = reqs[i].impl;
    reqs[i].data = NULL;
    if (r == NULL) continue;
    cy_status rs = !r->done ? CY_EIO : r->status != CY_OK ? r->status
                                                          : rc->failed ? CY_EIO : CY_OK;
    if (rs == CY_OK && !r->is_send) {
      reqs[i].data = r->data;
      r->data = NULL;
    }
    if (rs != CY_OK && st == CY_OK) {
      st = rs;
      cy_error_set(err, "%s", rc->failed ? rc->why : "redis backend: a request failed");
    }
    req_free_locked(rc, r);
    reqs[i].impl = NULL;
  }
  pthread_mutex_unlock(&rc->lock);
  if (st != CY_OK) {
    /* every request of the set is finished; a receive that did complete is dropped */
    for (int32_t i = 0; i < n; i++) {
      cy_buffer_release(reqs[i].data);
      reqs[i].data = NULL;
    }
  }
  return st;
}

static void redis_abort(cy_comm *comm, const char *why) {
  redis_comm *rc = comm->impl;
  char msg[sizeof rc->why];
  snprintf(msg, sizeof msg, "rank %d aborted: %s", (int)rc->rank, why);
  fail_everywhere(rc, msg);
}

/* The last rank to close deletes every key of the session (one script: exactly one rank
 * sees the counter reach the world). */
static const char *const CLOSE_SCRIPT =
    "local p, w = ARGV[1], tonumber(ARGV[2]) "
    "local c = redis.call('INCR', p .. 'closed') "
    "redis.call('EXPIRE', p .. 'closed', ARGV[3]) "
    "if c < w then return 0 end "
    "local keys = {p .. 'closed', p .. 'abort'} "
    "for s = 0, w - 1 do "
    "  keys[#keys + 1] = p .. 'alive:' .. s "
    "  for d = 0, w - 1 do keys[#keys + 1] = p .. 'm:' .. s .. ':' .. d end "
    "  if #keys > 4000 then redis.call('DEL', unpack(keys)) keys = {} end "
    "end "
    "if #keys > 0 then redis.call('DEL', unpack(keys)) end "
    "return 1";

static void redis_free(redis_comm *rc) {
  if (rc->thread_started) {
    pthread_mutex_lock(&rc->lock);
    rc->stop = true;
    pthread_mutex_unlock(&rc->lock);
    pthread_join(rc->thread, NULL);
  }
  while (rc->all) req_free_locked(rc, rc->all);
  for (int32_t s = 0; rc->sources && s < rc->world; s++) {
    cy_buffer_release(rc->sources[s].partial);
    for (rq_msg *m = rc->sources[s].unexpected, *next; m; m = next) {
      next = m->next;
      cy_buffer_release(m->data);
      free(m);
    }
  }
  free(rc->sources);
  redis_conn_close(&rc->send_conn);
  redis_conn_close(&rc->recv_conn);
  pthread_mutex_destroy(&rc->lock);
  pthread_mutex_destroy(&rc->send_lock);
  pthread_cond_destroy(&rc->cond);
  free(rc);
}

static void redis_close(cy_comm *comm) {
  redis_comm *rc = comm->impl;
  if (rc == NULL) return;
  if (rc->thread_started) {
    pthread_mutex_lock(&rc->lock);
    rc->stop = true;
    pthread_mutex_unlock(&rc->lock);
    pthread_join(rc->thread, NULL);
    rc->thread_started = false;
  }
  if (rc->send_conn.ctx) {
    char alive[KEY_MAX], world[16], ttl[32];
    snprintf(alive, sizeof alive, "%salive:%d", rc->prefix, (int)rc->rank);
    snprintf(world, sizeof world, "%d", (int)rc->world);
    snprintf(ttl, sizeof ttl, "%lld", rc->ttl_s);
    double d = comm_deadline_in(rc->timeout_ms);
    cy_error ignored;
    /* "closed", not gone: a peer waiting on us is not told we died */
    redis_runv(&rc->send_conn, d, NULL, &ignored, "SET", alive, "closed", "EX", ttl, NULL);
    redis_runv(&rc->send_conn, d, NULL, &ignored, "EVAL", CLOSE_SCRIPT, "0", rc->prefix,
               world, ttl, NULL);
  }
  redis_free(rc);
  comm->impl = NULL;
}

static const comm_ops redis_ops = {
    .isend = redis_isend,
    .irecv = redis_irecv,
    .wait_all = redis_wait_all,
    .abort = redis_abort,
    .close = redis_close,
};

/* The server: a redis:// bootstrap's, else CYLON_REDIS. */
static cy_status server_url(const cy_comm_options *opts, redis_url *url, cy_error *err) {
  const char *u = opts->bootstrap && strncmp(opts->bootstrap, "redis://", 8) == 0
                      ? opts->bootstrap
                      : getenv("CYLON_REDIS");
  if (u == NULL || u[0] == 0) {
    cy_error_set(err, "the redis backend needs a Redis server: use a redis://HOST:PORT "
                 "bootstrap, or set CYLON_REDIS=redis://[:PASSWORD@]HOST:PORT");
    return CY_EINVAL;
  }
  return redis_url_parse(u, url, err);
}

cy_status comm_redis_open(cy_comm *comm, comm_bootstrap *bs, const cy_comm_options *opts,
                          double deadline, cy_error *err) {
  redis_comm *rc = calloc(1, sizeof *rc);
  if (rc == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  pthread_mutex_init(&rc->lock, NULL);
  pthread_mutex_init(&rc->send_lock, NULL);
  pthread_cond_init(&rc->cond, NULL);
  rc->comm = comm;
  rc->rank = bs->rank;
  rc->world = bs->world;
  rc->timeout_ms = comm->timeout_ms;
  rc->ttl_s = rc->timeout_ms / 1000 + 60;
  /* A heartbeat that lives half the timeout, refreshed five times as often: a dead rank is
   * found before the timeout, and a busy one (a loaded machine, sanitizers) is not taken
   * for dead. */
  rc->alive_ttl_s = (double)rc->timeout_ms / 1000.0 / 2.0;
  if (rc->alive_ttl_s > 10.0) rc->alive_ttl_s = 10.0;
  if (rc->alive_ttl_s < 1.0) rc->alive_ttl_s = 1.0;
  rc->heartbeat_s = rc->alive_ttl_s / 5.0;
  rc->sources = calloc((size_t)rc->world, sizeof *rc->sources);
  cy_status st = rc->sources ? server_url(opts, &rc->url, err) : CY_ENOMEM;
  if (rc->sources == NULL) cy_error_set(err, "out of memory");
  if (st == CY_OK) st = redis_conn_open(&rc->url, deadline, &rc->send_conn, err);
  if (st == CY_OK) st = redis_conn_open(&rc->url, deadline, &rc->recv_conn, err);
  /* The session: rank 0's random id, through the bootstrap. */
  char mine[64], **all = NULL;
  if (st == CY_OK) {
    uint64_t nonce = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f == NULL || fread(&nonce, sizeof nonce, 1, f) != 1)
      nonce = (uint64_t)(cy_now() * 1e9) ^ (uint64_t)getpid();
    if (f) fclose(f);
    snprintf(mine, sizeof mine, "%016llx", (unsigned long long)nonce);
    st = bs->allgather(bs, mine, &all, deadline, err);
  }
  if (st == CY_OK) {
    snprintf(rc->prefix, sizeof rc->prefix, "cylon:%s:%s:", bs->job, all[0]);
    comm_strings_free(all, rc->world);
    double now = cy_now();
    for (int32_t s = 0; s < rc->world; s++) rc->sources[s].last_heard = now;
    st = heartbeat(rc, &rc->send_conn, err);
  }
  if (st == CY_OK) {
    if (pthread_create(&rc->thread, NULL, receiver_main, rc) != 0) {
      cy_error_set(err, "cannot start the redis backend's receiver thread");
      st = CY_ENOMEM;
    } else {
      rc->thread_started = true;
    }
  }
  if (st != CY_OK) {
    redis_free(rc);
    return st;
  }
  comm->ops = &redis_ops;
  comm->impl = rc;
  return CY_OK;
}
