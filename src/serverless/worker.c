/*
 * worker.c - the plan handler of `cylon worker` (cy_lambda_plan_handler): one job event in,
 * one rank's run of the plan, metrics JSON out. The event (docs/serverless.md):
 *
 *   {"job": "j-…", "world": 4, "token": "…",
 *    "bootstrap": {"redis": "redis://host:port", "password": "…"},   (needed when world > 1)
 *    "rendezvous": "host:port",                                      (optional)
 *    "env": {"AWS_ENDPOINT_URL": "…", "AWS_ACCESS_KEY_ID": "…", …},  (AWS_* / CYLON_* only)
 *    "plan": {"steps": [...]},
 *    "output": "s3://bucket/_tmp/j-…",                               (optional)
 *    "invocation": 3}                    (optional: the scheduler's number for this call)
 *
 * With "output", every write step's path must be relative and is written under
 * OUTPUT/rank-RRRRR/PATH, so nothing lands where readers look until the scheduler
 * publishes a manifest. Progress goes to Redis (job_redis.h) when there is a bootstrap.
 *
 * Distributed runs: world > 1 opens a tcp communicator through the event's Redis
 * bootstrap and runs the communicator-based executor on it (run_rank); the job's abort key
 * aborts the communicator, so that every rank stops promptly. With "rendezvous", the pairs
 * connect through that server (`cylon rendezvous`, docs/nat.md: hole punching, else its
 * relay) and the metrics say which path each pair took.
 *
 * The job's rank (from the job's counter in Redis) is also the communicator's rank, so that
 * the scheduler's display, the output part's name and every error ("lost rank 2") agree.
 * The rank each invocation took is recorded, so the scheduler can name the rank of an
 * invocation that died without a word (killed, out of memory).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include "cylon/net.h"
#include "cylon/plan.h"
#include "serverless/job_redis.h"
#include "serverless/serverless_internal.h"

typedef struct job_event {
  cy_json_doc *doc;
  const char *job, *token, *redis, *password, *rendezvous, *output;
  int64_t world;
  int64_t invocation; /* -1: not given */
  const cy_json *plan, *env;
} job_event;

typedef struct step_metric {
  char op[32];
  char id[64];
  double seconds;
  int64_t rows;
} step_metric;

typedef struct run_state {
  job_redis *redis;
  const job_event *ev;
  int32_t rank;
  step_metric *steps;
  int32_t num_steps;
  double read_s, write_s, compute_s, connect_s;
  int64_t rows_read, rows_written, bytes_sent, bytes_received;
  int32_t comm_rank; /* the communicator's rank (world > 1), see run_rank */
  char paths[2048];  /* world > 1: this rank's path to each peer ("0:direct 2:relay") */
  bool fault_done;   /* the test hook (test_fault) has fired */
  bool connect_failed; /* the communicator could not be formed (a BootstrapError) */
} run_state;

static bool valid_job_id(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 100) return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
          (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
      return false;
  return true;
}

static cy_status want_string(const cy_json *root, const char *key, bool required,
                             const char **out, cy_error *err) {
  const cy_json *v = cy_json_get(root, key);
  *out = NULL;
  if (!v) {
    if (!required) return CY_OK;
    cy_error_set(err, "event: missing \"%s\"", key);
    return EINVAL;
  }
  if (v->kind != CY_JSON_STRING || strlen(v->u.str.data) != (size_t)v->u.str.len) {
    cy_error_set(err, "event: \"%s\" (line %d, column %d) must be a string, got %s", key,
                 (int)v->line, (int)v->column, cy_json_kind_name(v->kind));
    return EINVAL;
  }
  *out = v->u.str.data;
  return CY_OK;
}

static cy_status parse_event(const char *text, size_t len, job_event *ev, cy_error *err) {
  memset(ev, 0, sizeof *ev);
  cy_json_parse_options po;
  cy_json_parse_options_init(&po);
  po.name = "event";
  CY_RETURN_NOT_OK(cy_json_parse(text, len, &po, &ev->doc, err));
  const cy_json *root = cy_json_doc_root(ev->doc);
  if (root->kind != CY_JSON_OBJECT) {
    cy_error_set(err, "event: expected an object, got %s", cy_json_kind_name(root->kind));
    return EINVAL;
  }
  static const char *const known[] = {"job", "world", "token", "bootstrap", "rendezvous",
                                      "env", "plan", "output", "invocation"};
  for (int64_t i = 0; i < root->u.obj.len; i++) {
    bool ok = false;
    for (size_t k = 0; k < sizeof known / sizeof *known; k++)
      ok = ok || strcmp(root->u.obj.members[i].key, known[k]) == 0;
    if (!ok) {
      cy_error_set(err, "event: unknown key \"%s\" (line %d)", root->u.obj.members[i].key,
                   (int)root->u.obj.members[i].key_line);
      return EINVAL;
    }
  }
  CY_RETURN_NOT_OK(want_string(root, "job", true, &ev->job, err));
  if (!valid_job_id(ev->job)) {
    cy_error_set(err, "event: \"job\" must be 1 to 100 letters, digits, '-' or '_'");
    return EINVAL;
  }
  CY_RETURN_NOT_OK(want_string(root, "token", false, &ev->token, err));
  CY_RETURN_NOT_OK(want_string(root, "rendezvous", false, &ev->rendezvous, err));
  CY_RETURN_NOT_OK(want_string(root, "output", false, &ev->output, err));
  const cy_json *world = cy_json_get(root, "world");
  ev->world = 1;
  if (world) {
    if (world->kind != CY_JSON_INT || world->u.i < 1 || world->u.i > 100000) {
      cy_error_set(err, "event: \"world\" must be an integer from 1 to 100000");
      return EINVAL;
    }
    ev->world = world->u.i;
  }
  const cy_json *invocation = cy_json_get(root, "invocation");
  ev->invocation = -1;
  if (invocation) {
    if (invocation->kind != CY_JSON_INT || invocation->u.i < 0 || invocation->u.i > 1000000) {
      cy_error_set(err, "event: \"invocation\" must be an integer from 0 to 1000000");
      return EINVAL;
    }
    ev->invocation = invocation->u.i;
  }
  const cy_json *boot = cy_json_get(root, "bootstrap");
  if (boot) {
    if (boot->kind != CY_JSON_OBJECT) {
      cy_error_set(err, "event: \"bootstrap\" must be an object {\"redis\": URL, \"password\": ...}");
      return EINVAL;
    }
    CY_RETURN_NOT_OK(want_string(boot, "redis", true, &ev->redis, err));
    CY_RETURN_NOT_OK(want_string(boot, "password", false, &ev->password, err));
  }
  if (ev->world > 1 && !ev->redis) {
    cy_error_set(err, "event: a job with world > 1 needs \"bootstrap\": {\"redis\": URL}");
    return EINVAL;
  }
  ev->plan = cy_json_get(root, "plan");
  if (!ev->plan || ev->plan->kind != CY_JSON_OBJECT) {
    cy_error_set(err, "event: \"plan\" must be a plan object {\"steps\": [...]}");
    return EINVAL;
  }
  ev->env = cy_json_get(root, "env");
  if (ev->env) {
    if (ev->env->kind != CY_JSON_OBJECT) {
      cy_error_set(err, "event: \"env\" must be an object of strings");
      return EINVAL;
    }
    for (int64_t i = 0; i < ev->env->u.obj.len; i++) {
      const cy_json_member *m = &ev->env->u.obj.members[i];
      if ((strncmp(m->key, "AWS_", 4) != 0 && strncmp(m->key, "CYLON_", 6) != 0) ||
          m->value.kind != CY_JSON_STRING || strchr(m->key, '=') ||
          strlen(m->value.u.str.data) != (size_t)m->value.u.str.len) {
        cy_error_set(err, "event: env \"%s\" (line %d): only AWS_* and CYLON_* variables with "
                     "string values are passed on", m->key, (int)m->key_line);
        return EINVAL;
      }
    }
  }
  return CY_OK;
}

/* The plan's text with each write step's path moved under OUTPUT/rank-RRRRR/. */
static cy_status plan_text(const job_event *ev, int32_t rank, char **out, size_t *len,
                           cy_error *err) {
  if (!ev->output) return cy_json_write(ev->plan, out, len, err);
  const cy_json *steps = cy_json_get(ev->plan, "steps");
  if (!steps || steps->kind != CY_JSON_ARRAY) return cy_json_write(ev->plan, out, len, err);
  /* Copies of the containers on the way down; strings stay in the event's document. */
  int64_t n = steps->u.arr.len, root_n = ev->plan->u.obj.len;
  cy_json *items = calloc((size_t)n + 1, sizeof *items);
  cy_json_member *root_members = calloc((size_t)root_n + 1, sizeof *root_members);
  cy_json_member **step_members = calloc((size_t)n + 1, sizeof *step_members);
  char **paths = calloc((size_t)n + 1, sizeof *paths);
  cy_status st = CY_OK;
  if (!items || !root_members || !step_members || !paths) {
    cy_error_set(err, "out of memory");
    st = ENOMEM;
    goto done;
  }
  for (int64_t i = 0; i < n && st == CY_OK; i++) {
    items[i] = steps->u.arr.items[i];
    const cy_json *op = cy_json_get(&items[i], "op");
    const cy_json *path = cy_json_get(&items[i], "path");
    if (!op || op->kind != CY_JSON_STRING || strcmp(op->u.str.data, "write") != 0 || !path ||
        path->kind != CY_JSON_STRING)
      continue; /* the plan parser reports anything malformed */
    const char *p = path->u.str.data;
    if (p[0] == '/' || strstr(p, "://") || strstr(p, "..")) {
      cy_error_set(err, "plan: steps[%lld] (write): path \"%s\" must be relative (and without "
                   "\"..\"): a serverless job writes under its output prefix", (long long)i, p);
      st = EINVAL;
      break;
    }
    size_t plen = strlen(ev->output) + strlen(p) + 32;
    paths[i] = malloc(plen);
    int64_t nm = items[i].u.obj.len;
    step_members[i] = malloc(sizeof(cy_json_member) * (size_t)nm);
    if (!paths[i] || !step_members[i]) {
      cy_error_set(err, "out of memory");
      st = ENOMEM;
      break;
    }
    const char *sep = ev->output[strlen(ev->output) - 1] == '/' ? "" : "/";
    snprintf(paths[i], plen, "%s%srank-%05d/%s", ev->output, sep, (int)rank, p);
    for (int64_t k = 0; k < nm; k++) {
      step_members[i][k] = items[i].u.obj.members[k];
      if (strcmp(step_members[i][k].key, "path") == 0)
        step_members[i][k].value = sls_jstr(paths[i]);
    }
    items[i].u.obj.members = step_members[i];
  }
  if (st == CY_OK) {
    cy_json new_steps = *steps;
    new_steps.u.arr.items = items;
    for (int64_t k = 0; k < root_n; k++) {
      root_members[k] = ev->plan->u.obj.members[k];
      if (strcmp(root_members[k].key, "steps") == 0) root_members[k].value = new_steps;
    }
    cy_json root = *ev->plan;
    root.u.obj.members = root_members;
    st = cy_json_write(&root, out, len, err);
  }
done:
  if (paths)
    for (int64_t i = 0; i < n; i++) free(paths[i]), free(step_members[i]);
  free(items), free(root_members), free(step_members), free(paths);
  return st;
}

/* Whether the scheduler has given up on the job (aborted it, or deleted it already). */
static bool job_abandoned(run_state *s) {
  return s->redis && (job_redis_aborted(s->redis, s->ev->job) ||
                      !job_redis_exists(s->redis, s->ev->job));
}

/* Test hooks of the fault tests (tests/serverless/faults_test.mjs), set through the
 * event's env and inert otherwise. CYLON_TEST_FAULT="kill:RANK:OP": rank RANK SIGKILLs
 * itself as its first step of operator OP starts (a worker lost mid-job: its peers are
 * then in that step's exchange, waiting for its part). "sleep:RANK:OP:SECONDS": it stalls
 * there for SECONDS or until the scheduler gives up on the job (a step too slow for the
 * job's deadline; like the communicator's waits, it notices the abort). */
static void test_fault(run_state *s, const char *op) {
  const char *f = getenv("CYLON_TEST_FAULT");
  if (f == NULL || f[0] == 0 || s->fault_done) return;
  char what[16], fault_op[32];
  int rank = -1;
  double seconds = 0;
  int n = sscanf(f, "%15[a-z]:%d:%31[a-z_]:%lf", what, &rank, fault_op, &seconds);
  if (n < 3 || rank != s->rank || strcmp(fault_op, op) != 0) return;
  s->fault_done = true;
  if (strcmp(what, "kill") == 0) {
    fprintf(stderr, "cylon worker: rank %d: CYLON_TEST_FAULT: killed at %s\n", rank, op);
    raise(SIGKILL);
  }
  if (strcmp(what, "sleep") == 0 && n == 4) {
    fprintf(stderr, "cylon worker: rank %d: CYLON_TEST_FAULT: stalling %g s at %s\n", rank,
            seconds, op);
    for (double t0 = sls_seconds(); sls_seconds() - t0 < seconds && !job_abandoned(s);)
      nanosleep(&(struct timespec){.tv_nsec = 100 * 1000000L}, NULL);
  }
}

static void on_step_start(const cy_plan_step_report *r, void *ctx) {
  run_state *s = ctx;
  if (s->redis) {
    char phase[96];
    snprintf(phase, sizeof phase, "%s%s%s", r->op, r->id ? " " : "", r->id ? r->id : "");
    cy_error ignored;
    job_redis_set_phase(s->redis, s->ev->job, s->rank, phase, &ignored);
  }
  test_fault(s, r->op);
}

static void on_step_done(const cy_plan_step_report *r, void *ctx) {
  run_state *s = ctx;
  if (r->index >= s->num_steps) return;
  step_metric *m = &s->steps[r->index];
  snprintf(m->op, sizeof m->op, "%s", r->op);
  snprintf(m->id, sizeof m->id, "%s", r->id ? r->id : "");
  m->seconds = r->seconds;
  m->rows = r->rows;
  if (strcmp(r->op, "read") == 0) s->read_s += r->seconds, s->rows_read += r->rows;
  else if (strcmp(r->op, "write") == 0) s->write_s += r->seconds, s->rows_written += r->rows;
  else s->compute_s += r->seconds;
}

/* Watches the job's abort key while a distributed run is under way: when the scheduler
 * aborts the job (another rank failed, or the deadline), the communicator is aborted, so
 * that this rank and, through it, every peer still waiting fail at once. */
typedef struct abort_watch {
  const job_event *ev;
  cy_comm *comm;
  job_redis *redis; /* its own connection: the main thread's is busy with progress */
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_t thread;
  bool stop;
} abort_watch;

static void *abort_watch_main(void *arg) {
  abort_watch *w = arg;
  pthread_mutex_lock(&w->lock);
  while (!w->stop) {
    pthread_mutex_unlock(&w->lock);
    bool aborted = job_redis_aborted(w->redis, w->ev->job) ||
                   !job_redis_exists(w->redis, w->ev->job);
    pthread_mutex_lock(&w->lock);
    if (aborted && !w->stop) {
      cy_comm_abort(w->comm, "the scheduler aborted the job");
      break;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 200 * 1000000L; /* poll 5 times a second: cheap, and prompt enough */
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    if (!w->stop) pthread_cond_timedwait(&w->wake, &w->lock, &until);
  }
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

/* Run `plan` as one rank of the job. world == 1 is the local executor over all of the
 * inputs. world > 1 opens a tcp communicator through the event's Redis bootstrap and runs
 * the communicator-based executor, which reads this rank's share of every input.
 *
 * Ranks: the job's rank (from job_redis_join, the one the scheduler shows and the output
 * part is named after) and the communicator's rank (from the bootstrap's own counter) are
 * both a permutation of 0..world-1 but need not agree. Either works for the plan, which
 * only needs the communicator's ranks to be distinct; the worker keeps the job's rank as
 * its name and reports the other as "comm_rank". The bootstrap's keys are "cylon:JOB:*",
 * the job's "cylon:job:JOB:*" (a job id has no ':'), so they never collide; the bootstrap's
 * last rank out deletes its keys, and the scheduler deletes both sets on abort. */
static cy_status run_rank(cy_plan *plan, const job_event *ev, int64_t deadline_ms,
                          run_state *state, cy_error *err) {
  cy_plan_run_options ro;
  cy_plan_run_options_init(&ro);
  ro.on_step_start = on_step_start;
  ro.on_step_done = on_step_done;
  ro.ctx = state;
  cy_comm *comm = NULL;
  abort_watch watch = {.ev = ev};
  bool watching = false;
  if (ev->world > 1) {
    if (!ev->redis) {
      cy_error_set(err, "event: world %lld needs \"bootstrap\": {\"redis\": ...} (ranks "
                   "find each other through it)", (long long)ev->world);
      return EINVAL;
    }
    char url[1200];
    if (ev->password && !strchr(ev->redis, '@'))
      snprintf(url, sizeof url, "redis://:%s@%s", ev->password,
               ev->redis + (strncmp(ev->redis, "redis://", 8) == 0 ? 8 : 0));
    else snprintf(url, sizeof url, "%s", ev->redis);
    cy_comm_options co;
    cy_comm_options_init(&co);
    co.backend = "tcp";
    co.bootstrap = url;
    co.job = ev->job;
    co.world_size = (int32_t)ev->world;
    co.rank = state->rank; /* the job's rank: see the header comment */
    co.rendezvous = ev->rendezvous; /* its token: CYLON_RENDEZVOUS_TOKEN, from the event's env */
    const char *bind = getenv("CYLON_BIND_HOST");
    if (bind && *bind) co.bind_host = bind;
    /* Every wait ends before the invocation's deadline, so a lost peer is reported by
     * this rank rather than by Lambda cutting it off. */
    int64_t left = deadline_ms > 0 ? deadline_ms - sls_now_ms() - 1000 : 60000;
    co.timeout_ms = left < 60000 ? (left > 2000 ? left : 2000) : 60000;
    double t0 = sls_seconds();
    if (state->redis) {
      cy_error ignored;
      job_redis_set_phase(state->redis, ev->job, state->rank, "connect", &ignored);
    }
    cy_status st = cy_comm_open(&co, &comm, err);
    state->connect_s = sls_seconds() - t0;
    if (st != CY_OK) {
      state->connect_failed = true;
      return st;
    }
    state->comm_rank = cy_comm_rank(comm);
    cy_comm_paths(comm, state->paths, sizeof state->paths);
    ro.comm = comm;
    watch.comm = comm;
    pthread_mutex_init(&watch.lock, NULL);
    pthread_cond_init(&watch.wake, NULL);
    cy_error ignored;
    if (job_redis_connect(ev->redis, ev->password, 5000, &watch.redis, &ignored) == CY_OK)
      watching = pthread_create(&watch.thread, NULL, abort_watch_main, &watch) == 0;
  }
  cy_table *result = NULL;
  cy_status st = cy_plan_run(plan, &ro, &result, err);
  if (result) cy_table_release(result);
  if (comm) {
    cy_comm_traffic(comm, &state->bytes_sent, &state->bytes_received);
    if (st != CY_OK) cy_comm_abort(comm, err->message);
    if (watching) {
      pthread_mutex_lock(&watch.lock);
      watch.stop = true;
      pthread_cond_signal(&watch.wake);
      pthread_mutex_unlock(&watch.lock);
      pthread_join(watch.thread, NULL);
    }
    job_redis_close(watch.redis);
    pthread_cond_destroy(&watch.wake);
    pthread_mutex_destroy(&watch.lock);
    cy_comm_close(comm);
  }
  return st;
}

static void remove_rank_output(const job_event *ev, int32_t rank) {
  char prefix[4096];
  snprintf(prefix, sizeof prefix, "%s%srank-%05d/", ev->output,
           ev->output[strlen(ev->output) - 1] == '/' ? "" : "/", (int)rank);
  cy_object_info *list = NULL;
  int64_t n = 0;
  cy_error ignored;
  if (cy_object_list(prefix, &list, &n, &ignored) != CY_OK) return;
  for (int64_t i = 0; i < n; i++) cy_object_delete(list[i].url, &ignored);
  cy_object_list_free(list, n);
}

/* The event's env is set in the process for the run; the next event starts from the
 * environment as it was before (a warm worker must not carry one job's settings, a test
 * hook or credentials into the next job, nor lose Lambda's own AWS_* variables). */
typedef struct saved_var {
  char *name, *value; /* value NULL: was unset */
} saved_var;
static saved_var *saved_vars;
static int64_t num_saved_vars;

static void event_env_restore(void) {
  for (int64_t i = num_saved_vars - 1; i >= 0; i--) { /* last first: a name set twice */
    if (saved_vars[i].value) setenv(saved_vars[i].name, saved_vars[i].value, 1);
    else unsetenv(saved_vars[i].name);
    free(saved_vars[i].name), free(saved_vars[i].value);
  }
  free(saved_vars);
  saved_vars = NULL;
  num_saved_vars = 0;
}

static cy_status event_env_apply(const cy_json *env, cy_error *err) {
  saved_vars = calloc((size_t)env->u.obj.len + 1, sizeof *saved_vars);
  if (!saved_vars) {
    cy_error_set(err, "out of memory");
    return ENOMEM;
  }
  for (int64_t i = 0; i < env->u.obj.len; i++) {
    const cy_json_member *m = &env->u.obj.members[i];
    const char *old = getenv(m->key);
    saved_var *v = &saved_vars[num_saved_vars];
    v->name = strdup(m->key);
    v->value = old ? strdup(old) : NULL;
    if (!v->name || (old && !v->value)) {
      free(v->name), free(v->value);
      cy_error_set(err, "out of memory");
      return ENOMEM;
    }
    num_saved_vars++;
    setenv(m->key, m->value.u.str.data, 1);
  }
  return CY_OK;
}

static cy_status metrics_json(const job_event *ev, const run_state *s, double bootstrap_s,
                              double total_s, char **out, size_t *len, cy_error *err) {
  cy_json_member *steps = calloc((size_t)s->num_steps * 4 + 1, sizeof *steps);
  cy_json *items = calloc((size_t)s->num_steps + 1, sizeof *items);
  if (!steps || !items) {
    free(steps), free(items);
    cy_error_set(err, "out of memory");
    return ENOMEM;
  }
  for (int32_t i = 0; i < s->num_steps; i++) {
    cy_json_member *m = &steps[i * 4];
    m[0] = sls_jmember("op", sls_jstr(s->steps[i].op));
    m[1] = sls_jmember("id", sls_jstr(s->steps[i].id));
    m[2] = sls_jmember("seconds", sls_jdouble(s->steps[i].seconds));
    m[3] = sls_jmember("rows", sls_jint(s->steps[i].rows));
    items[i] = sls_jobj(m, 4);
  }
  cy_json steps_arr = {.kind = CY_JSON_ARRAY};
  steps_arr.u.arr.items = items;
  steps_arr.u.arr.len = s->num_steps;
  cy_json_member phases[6] = {
      sls_jmember("bootstrap", sls_jdouble(bootstrap_s)),
      sls_jmember("connect", sls_jdouble(s->connect_s)), /* 0 at world 1: no peers */
      sls_jmember("read", sls_jdouble(s->read_s)),
      sls_jmember("compute", sls_jdouble(s->compute_s)),
      sls_jmember("write", sls_jdouble(s->write_s)),
      sls_jmember("total", sls_jdouble(total_s))};
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  cy_json_member top[13] = {
      sls_jmember("job", sls_jstr(ev->job)),
      sls_jmember("rank", sls_jint(s->rank)),
      sls_jmember("world", sls_jint(ev->world)),
      sls_jmember("ok", (cy_json){.kind = CY_JSON_BOOL, .u.b = true}),
      sls_jmember("seconds", sls_jobj(phases, 6)),
      sls_jmember("steps", steps_arr),
      sls_jmember("rows_read", sls_jint(s->rows_read)),
      sls_jmember("rows_written", sls_jint(s->rows_written)),
      sls_jmember("comm_rank", sls_jint(ev->world > 1 ? s->comm_rank : s->rank)),
      sls_jmember("bytes_sent", sls_jint(s->bytes_sent)),
      sls_jmember("bytes_received", sls_jint(s->bytes_received)),
      sls_jmember("peak_memory_bytes", sls_jint((int64_t)ru.ru_maxrss * 1024)),
      sls_jmember("paths", sls_jstr(s->paths))};
  cy_json doc = sls_jobj(top, 13);
  cy_status st = cy_json_write(&doc, out, len, err);
  free(steps), free(items);
  return st;
}

cy_status cy_lambda_plan_handler(const cy_lambda_invocation *inv, void *ctx,
                                 cy_lambda_result *result) {
  (void)ctx;
  double t0 = sls_seconds();
  cy_error *err = &result->error;
  job_event ev;
  run_state state;
  memset(&state, 0, sizeof state);
  state.ev = &ev;
  bool joined = false;
  cy_plan *plan = NULL;
  char *text = NULL;
  size_t text_len = 0;
  double bootstrap_s = 0;
  const char *type = "EventError";
  cy_status st = parse_event(inv->event, inv->event_len, &ev, err);
  event_env_restore();
  if (st == CY_OK && ev.env) st = event_env_apply(ev.env, err);
  if (st == CY_OK && ev.redis) {
    type = "BootstrapError";
    int64_t left = inv->deadline_ms > 0 ? inv->deadline_ms - sls_now_ms() : 10000;
    st = job_redis_connect(ev.redis, ev.password, left < 10000 ? (left > 100 ? left : 100) : 10000,
                           &state.redis, err);
    if (st == CY_OK) st = job_redis_join(state.redis, ev.job, ev.token, (int32_t)ev.world,
                                         &state.rank, err);
    joined = st == CY_OK;
    if (st == CY_OK && ev.invocation >= 0)
      st = job_redis_set_invocation(state.redis, ev.job, ev.invocation, state.rank, err);
    if (st == CY_OK) st = job_redis_set_phase(state.redis, ev.job, state.rank, "bootstrap", err);
    bootstrap_s = sls_seconds() - t0;
  }
  if (st == CY_OK) {
    type = "PlanError";
    st = plan_text(&ev, state.rank, &text, &text_len, err);
    cy_plan_options po;
    cy_plan_options_init(&po);
    po.name = "plan";
    if (st == CY_OK) st = cy_plan_parse(text, text_len, &po, &plan, err);
  }
  if (st == CY_OK) {
    state.num_steps = cy_plan_num_steps(plan);
    state.steps = calloc((size_t)state.num_steps + 1, sizeof *state.steps);
    if (!state.steps) st = ENOMEM, cy_error_set(err, "out of memory");
  }
  if (st == CY_OK) st = run_rank(plan, &ev, inv->deadline_ms, &state, err);
  if (state.connect_failed) type = "BootstrapError";
  /* Stopped because the scheduler gave up (another rank failed, or the deadline): say so,
   * so that the scheduler tells this consequence from the cause. */
  if (st != CY_OK && joined && job_abandoned(&state)) type = "Aborted";
  if (st == CY_OK && joined && ev.output &&
      (!job_redis_exists(state.redis, ev.job) || job_redis_aborted(state.redis, ev.job))) {
    /* The scheduler gave up on the job (another rank failed, or the deadline) and has
     * cleaned up already: take this rank's part back so nothing is left behind. */
    remove_rank_output(&ev, state.rank);
    cy_error_set(err, "job %s was aborted by the scheduler; this rank's output is removed",
                 ev.job);
    type = "Aborted";
    st = ECANCELED;
  }
  if (st == CY_OK)
    st = metrics_json(&ev, &state, bootstrap_s, sls_seconds() - t0, &result->response,
                      &result->response_len, err);
  if (st != CY_OK) {
    snprintf(result->error_type, sizeof result->error_type, "%s", type);
    if (joined) {
      char *ej = NULL;
      size_t ejl;
      cy_error ignored;
      char msg[1200];
      snprintf(msg, sizeof msg, "rank %d: %s", (int)state.rank, err->message);
      if (sls_error_json(type, msg, &ej, &ejl, &ignored) == CY_OK) {
        job_redis_set_result(state.redis, ev.job, state.rank, ej, &ignored);
        job_redis_set_phase(state.redis, ev.job, state.rank, "failed", &ignored);
      }
      free(ej);
    }
  } else if (state.redis) {
    cy_error ignored;
    job_redis_set_result(state.redis, ev.job, state.rank, result->response, &ignored);
    job_redis_set_phase(state.redis, ev.job, state.rank, "done", &ignored);
  }
  job_redis_close(state.redis);
  cy_plan_release(plan);
  free(text);
  free(state.steps);
  cy_json_doc_free(ev.doc);
  return st;
}
