/*
 * cmd_submit.c - `cylon submit PLAN.json --platform lambda --workers N ...`: the scheduler
 * of a serverless job (DESIGN.md §6).
 *
 * 1. Check the plan whole (an unknown operator fails here, before anything is invoked).
 * 2. Make a job id and a secret token; create the job in Redis (job_redis.h).
 * 3. Invoke N functions at once (one thread each, RequestResponse: each thread learns its
 *    rank's outcome directly, while progress comes from Redis), each event carrying the
 *    plan, the bootstrap, the storage variables and a temporary output prefix.
 * 4. Show each rank's phase (redrawn in place on a terminal, a line per change otherwise),
 *    enforce the job deadline, and on the first failure abort: tell the workers, delete
 *    the job's keys and whatever was written under the temporary prefix, publish nothing.
 * 5. When every rank succeeded, publish OUTPUT/_manifest.json listing the parts, delete the
 *    job's keys, and print a summary: per-phase times across ranks, rows, GB-seconds and
 *    the cost at Lambda's published x86 price.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "plan/json.h"
#include "serverless/job_redis.h"

/* Lambda's published on-demand prices (us-east-1, x86, first tier), as of 2024-2026. */
#define PRICE_PER_GB_SECOND 0.0000166667
#define PRICE_PER_REQUEST (0.20 / 1e6)

void help_submit(FILE *out) {
  fprintf(out,
          "usage: cylon submit PLAN.json --platform lambda --workers N --bootstrap redis://H:P\n"
          "                    [--function NAME] [--endpoint URL] [--region R] [--output URL]\n"
          "                    [--rendezvous HOST:PORT] [--timeout S] [--memory MB]\n\n"
          "Run a plan on N Lambda functions: invoke them in parallel (SigV4-signed Invoke\n"
          "API), follow each rank's progress in Redis, and publish the outputs (the plan's\n"
          "write steps, relative paths) under --output with a manifest only when every rank\n"
          "succeeded; on any failure nothing is published and the job's keys are deleted.\n"
          "Storage settings (AWS_ENDPOINT_URL, keys, region) are passed on to the workers.\n\n"
          "  --workers N         ranks (functions invoked)\n"
          "  --function NAME     the function (default cylon)\n"
          "  --endpoint URL      the Lambda endpoint (default AWS's; cylon lambda-local's)\n"
          "  --bootstrap URL     Redis: redis://[:PASSWORD@]HOST:PORT\n"
          "  --output URL        where the outputs are published (s3://bucket/prefix or a dir)\n"
          "  --timeout S         job deadline in seconds (default 900)\n"
          "  --memory MB         the function's memory, for GB-seconds and cost (default 1024)\n");
}

typedef struct rank_call {
  pthread_t thread;
  cy_lambda_invoke_request req;
  cy_lambda_invoke_response resp;
  cy_status status;
  cy_error err;
  double seconds;
  volatile int done;
} rank_call;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *invoke_thread(void *arg) {
  rank_call *c = arg;
  double t0 = now_s();
  c->status = cy_lambda_invoke(&c->req, &c->resp, &c->err);
  c->seconds = now_s() - t0;
  __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static void random_hex(char *out, size_t n_hex) {
  unsigned char b[64] = {0};
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t got = fd >= 0 ? read(fd, b, (n_hex + 1) / 2) : -1;
  if (fd >= 0) close(fd);
  if (got < (ssize_t)((n_hex + 1) / 2)) {
    unsigned s = (unsigned)time(NULL) ^ (unsigned)getpid();
    for (size_t i = 0; i < sizeof b; i++) s = s * 1103515245u + 12345u, b[i] = (unsigned char)(s >> 16);
  }
  for (size_t i = 0; i < n_hex; i++) out[i] = "0123456789abcdef"[(b[i / 2] >> (i % 2 ? 0 : 4)) & 15];
  out[n_hex] = 0;
}

/* The storage variables the workers get. */
static const char *const passed_env[] = {
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "CYLON_S3_PATH_STYLE"};
#define NUM_PASSED_ENV (sizeof passed_env / sizeof *passed_env)

typedef struct submit_args {
  const char *plan_path, *platform, *function, *endpoint, *region, *bootstrap, *output,
      *rendezvous, *worker_token;
  int64_t workers, timeout_s, memory_mb;
} submit_args;

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (cap - n < 65536) {
      char *p = realloc(buf, cap = cap ? cap * 2 : 65536);
      if (!p) break;
      buf = p;
    }
    size_t r = fread(buf + n, 1, cap - n - 1, f);
    n += r;
    if (r == 0) break;
  }
  fclose(f);
  if (buf) buf[n] = 0;
  *len = n;
  return buf;
}

/* Delete everything under prefix (the temporary outputs of a failed job). */
static void delete_prefix(const char *prefix) {
  cy_object_info *list = NULL;
  int64_t n = 0;
  cy_error err;
  if (cy_object_list(prefix, &list, &n, &err) != CY_OK) return;
  for (int64_t i = 0; i < n; i++) cy_object_delete(list[i].url, &err);
  cy_object_list_free(list, n);
}

/* The manifest: {"job", "world", "files": [{"url", "size"}...]}. */
static cy_status publish_manifest(const char *job, int64_t world, const char *tmp,
                                  const char *output, char *manifest_url, size_t url_size,
                                  cy_error *err) {
  cy_object_info *list = NULL;
  int64_t n = 0;
  CY_RETURN_NOT_OK(cy_object_list(tmp, &list, &n, err));
  cy_json_member *m = calloc((size_t)n * 2 + 1, sizeof *m);
  cy_json *files = calloc((size_t)n + 1, sizeof *files);
  cy_status st = CY_OK;
  if (!m || !files) {
    cy_error_set(err, "out of memory");
    st = ENOMEM;
  }
  for (int64_t i = 0; st == CY_OK && i < n; i++) {
    m[2 * i] = (cy_json_member){.key = "url", .key_len = 3,
                                .value = {.kind = CY_JSON_STRING,
                                          .u.str = {list[i].url, (int64_t)strlen(list[i].url)}}};
    m[2 * i + 1] = (cy_json_member){.key = "size", .key_len = 4,
                                    .value = {.kind = CY_JSON_INT, .u.i = list[i].size}};
    files[i] = (cy_json){.kind = CY_JSON_OBJECT, .u.obj = {&m[2 * i], 2}};
  }
  char *text = NULL;
  size_t len = 0;
  if (st == CY_OK) {
    cy_json_member top[3] = {
        {.key = "job", .key_len = 3,
         .value = {.kind = CY_JSON_STRING, .u.str = {job, (int64_t)strlen(job)}}},
        {.key = "world", .key_len = 5, .value = {.kind = CY_JSON_INT, .u.i = world}},
        {.key = "files", .key_len = 5, .value = {.kind = CY_JSON_ARRAY, .u.arr = {files, n}}}};
    cy_json doc = {.kind = CY_JSON_OBJECT, .u.obj = {top, 3}};
    st = cy_json_write(&doc, &text, &len, err);
  }
  if (st == CY_OK) {
    snprintf(manifest_url, url_size, "%s%s_manifest.json", output,
             output[strlen(output) - 1] == '/' ? "" : "/");
    cy_output o;
    st = cy_output_open(manifest_url, &o, err);
    if (st == CY_OK) {
      st = o.write(&o, text, (int64_t)len, err);
      if (st == CY_OK) st = o.commit(&o, err);
      else o.abort(&o);
    }
  }
  free(text), free(m), free(files);
  cy_object_list_free(list, n);
  return st;
}

static double json_number(const cy_json *v) {
  if (!v) return 0;
  return v->kind == CY_JSON_INT ? (double)v->u.i : v->kind == CY_JSON_DOUBLE ? v->u.d : 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void print_summary(rank_call *calls, int64_t n, const submit_args *a, double wall) {
  static const char *const phases[] = {"bootstrap", "connect", "read", "compute", "write", "total"};
  double *v = calloc((size_t)n, sizeof *v);
  cy_json_doc **docs = calloc((size_t)n, sizeof *docs);
  if (!v || !docs) {
    free(v), free(docs);
    return;
  }
  int64_t rows_written = 0, rows_read = 0, sent = 0, received = 0, peak = 0;
  for (int64_t r = 0; r < n; r++) {
    cy_error err;
    if (cy_json_parse(calls[r].resp.body, calls[r].resp.body_len, NULL, &docs[r], &err) != CY_OK)
      continue;
    const cy_json *root = cy_json_doc_root(docs[r]);
    rows_written += (int64_t)json_number(cy_json_get(root, "rows_written"));
    rows_read += (int64_t)json_number(cy_json_get(root, "rows_read"));
    sent += (int64_t)json_number(cy_json_get(root, "bytes_sent"));
    received += (int64_t)json_number(cy_json_get(root, "bytes_received"));
    int64_t p = (int64_t)json_number(cy_json_get(root, "peak_memory_bytes"));
    if (p > peak) peak = p;
  }
  fprintf(stderr, "\nphase        min s    median s    max s   (across %lld ranks)\n", (long long)n);
  for (size_t k = 0; k < sizeof phases / sizeof *phases; k++) {
    for (int64_t r = 0; r < n; r++)
      v[r] = docs[r] ? json_number(cy_json_get(cy_json_get(cy_json_doc_root(docs[r]), "seconds"),
                                               phases[k]))
                     : 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    fprintf(stderr, "%-10s %8.3f %10.3f %9.3f\n", phases[k], v[0], v[n / 2], v[n - 1]);
  }
  double billed = 0;
  for (int64_t r = 0; r < n; r++) billed += ceil(calls[r].seconds * 1000) / 1000;
  double gb_s = billed * (double)a->memory_mb / 1024.0;
  char b1[32], b2[32], b3[32], c1[32], c2[32];
  fprintf(stderr, "rows read %s, written %s; bytes sent %s, received %s; peak memory %s\n",
          cli_count(rows_read, c1, sizeof c1), cli_count(rows_written, c2, sizeof c2),
          cli_bytes(sent, b1, sizeof b1), cli_bytes(received, b2, sizeof b2),
          cli_bytes(peak, b3, sizeof b3));
  fprintf(stderr, "wall %.3f s; %.3f GB-s at %lld MB; estimated cost $%.8f "
          "($%.10f per GB-s + $0.20 per million requests, Lambda x86 us-east-1 list price)\n",
          wall, gb_s, (long long)a->memory_mb,
          gb_s * PRICE_PER_GB_SECOND + (double)n * PRICE_PER_REQUEST, PRICE_PER_GB_SECOND);
  for (int64_t r = 0; r < n; r++) cy_json_doc_free(docs[r]);
  free(v), free(docs);
}

/* The event every rank gets (the rank itself comes from Redis). */
static cy_status build_event(const submit_args *a, const char *job, const char *token,
                             const cy_json *plan, const char *tmp, char **out, size_t *len,
                             cy_error *err) {
  cy_json_member env[NUM_PASSED_ENV];
  int ne = 0;
  for (size_t i = 0; i < NUM_PASSED_ENV; i++) {
    const char *v = getenv(passed_env[i]);
    if (!v) continue;
    env[ne++] = (cy_json_member){.key = passed_env[i], .key_len = (int64_t)strlen(passed_env[i]),
                                 .value = {.kind = CY_JSON_STRING, .u.str = {v, (int64_t)strlen(v)}}};
  }
  cy_json_member boot[1] = {{.key = "redis", .key_len = 5,
                             .value = {.kind = CY_JSON_STRING,
                                       .u.str = {a->bootstrap, (int64_t)strlen(a->bootstrap)}}}};
  cy_json_member top[8];
  int n = 0;
#define STR_MEMBER(k, s) \
  top[n++] = (cy_json_member){.key = k, .key_len = (int64_t)strlen(k), \
                              .value = {.kind = CY_JSON_STRING, .u.str = {s, (int64_t)strlen(s)}}}
  STR_MEMBER("job", job);
  top[n++] = (cy_json_member){.key = "world", .key_len = 5,
                              .value = {.kind = CY_JSON_INT, .u.i = a->workers}};
  STR_MEMBER("token", token);
  top[n++] = (cy_json_member){.key = "bootstrap", .key_len = 9,
                              .value = {.kind = CY_JSON_OBJECT, .u.obj = {boot, 1}}};
  if (a->rendezvous) STR_MEMBER("rendezvous", a->rendezvous);
  top[n++] = (cy_json_member){.key = "env", .key_len = 3,
                              .value = {.kind = CY_JSON_OBJECT, .u.obj = {env, ne}}};
  top[n++] = (cy_json_member){.key = "plan", .key_len = 4, .value = *plan};
  if (tmp) STR_MEMBER("output", tmp);
#undef STR_MEMBER
  cy_json doc = {.kind = CY_JSON_OBJECT, .u.obj = {top, n}};
  return cy_json_write(&doc, out, len, err);
}

static int parse_args(int argc, char **argv, submit_args *a) {
  memset(a, 0, sizeof *a);
  a->function = "cylon";
  a->timeout_s = 900;
  a->memory_mb = 1024;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    const char **s = NULL;
    int64_t *n = NULL;
    if (o[0] != '-') {
      if (a->plan_path) return cli_fail("submit", "more than one plan: %s", o);
      a->plan_path = o;
      continue;
    }
    if (strcmp(o, "--platform") == 0) s = &a->platform;
    else if (strcmp(o, "--function") == 0) s = &a->function;
    else if (strcmp(o, "--endpoint") == 0) s = &a->endpoint;
    else if (strcmp(o, "--region") == 0) s = &a->region;
    else if (strcmp(o, "--bootstrap") == 0) s = &a->bootstrap;
    else if (strcmp(o, "--output") == 0) s = &a->output;
    else if (strcmp(o, "--rendezvous") == 0) s = &a->rendezvous;
    else if (strcmp(o, "--worker-token") == 0) s = &a->worker_token; /* tests: a wrong token */
    else if (strcmp(o, "--workers") == 0) n = &a->workers;
    else if (strcmp(o, "--timeout") == 0) n = &a->timeout_s;
    else if (strcmp(o, "--memory") == 0) n = &a->memory_mb;
    else return cli_fail("submit", "unknown option %s (see cylon submit --help)", o);
    if (i + 1 >= argc) return cli_fail("submit", "%s needs a value", o);
    if (s) *s = argv[++i];
    else if (!cli_parse_int(argv[++i], n) || *n < 1 || *n > 100000)
      return cli_fail("submit", "%s: bad value \"%s\"", o, argv[i]);
  }
  if (!a->plan_path) return cli_fail("submit", "no plan given (cylon submit PLAN.json ...)");
  if (!a->platform || strcmp(a->platform, "lambda") != 0)
    return cli_fail("submit", "--platform lambda is the only platform so far");
  if (!a->workers) return cli_fail("submit", "--workers N is required");
  if (!a->bootstrap) return cli_fail("submit", "--bootstrap redis://HOST:PORT is required");
  return 0;
}

int cmd_submit(int argc, char **argv) {
  submit_args a;
  if (parse_args(argc, argv, &a) != 0) return 1;
  cy_error err;
  /* 1. The whole plan is checked before anything happens. */
  cy_plan *checked = NULL;
  if (cy_plan_load(a.plan_path, &checked, &err) != CY_OK) return cli_fail("submit", "%s", err.message);
  bool writes = false;
  for (int32_t i = 0; i < cy_plan_num_steps(checked); i++)
    writes = writes || strcmp(cy_plan_step_op(checked, i), "write") == 0;
  cy_plan_release(checked);
  if (writes && !a.output)
    return cli_fail("submit", "the plan writes: give --output URL, where the results are published");
  size_t plan_len = 0;
  char *plan_text = read_file(a.plan_path, &plan_len);
  cy_json_doc *plan_doc = NULL;
  if (!plan_text || cy_json_parse(plan_text, plan_len, NULL, &plan_doc, &err) != CY_OK) {
    free(plan_text);
    return cli_fail("submit", "%s: cannot read the plan", a.plan_path);
  }
  free(plan_text);

  /* 2. The job. */
  char job[48], token[40], rnd[9];
  random_hex(rnd, 8);
  random_hex(token, 32);
  snprintf(job, sizeof job, "j-%lld-%s", (long long)time(NULL), rnd);
  char tmp[2048] = "";
  if (a.output) snprintf(tmp, sizeof tmp, "%s%s_tmp/%s", a.output,
                         a.output[strlen(a.output) - 1] == '/' ? "" : "/", job);
  job_redis *redis = NULL;
  int rc = 1;
  char *event = NULL;
  size_t event_len = 0;
  rank_call *calls = NULL;
  int64_t started = 0;
  bool detached = false;
  if (job_redis_connect(a.bootstrap, NULL, 5000, &redis, &err) != CY_OK ||
      job_redis_create(redis, job, token, a.timeout_s + 300, &err) != CY_OK) {
    cli_fail("submit", "%s", err.message);
    goto done;
  }
  if (build_event(&a, job, a.worker_token ? a.worker_token : token, cy_json_doc_root(plan_doc),
                  a.output ? tmp : NULL, &event, &event_len, &err) != CY_OK) {
    cli_fail("submit", "%s", err.message);
    goto cleanup;
  }
  fprintf(stderr, "job %s: %lld ranks of %s at %s\n", job, (long long)a.workers, a.function,
          a.endpoint ? a.endpoint : "AWS Lambda");

  /* 3. Fan out. */
  calls = calloc((size_t)a.workers, sizeof *calls);
  if (!calls) {
    cli_fail("submit", "out of memory");
    goto cleanup;
  }
  double t0 = now_s();
  for (int64_t r = 0; r < a.workers; r++) {
    calls[r].req = (cy_lambda_invoke_request){.endpoint = a.endpoint, .region = a.region,
                                              .function = a.function, .payload = event,
                                              .payload_len = event_len,
                                              .timeout_ms = a.timeout_s * 1000};
    if (pthread_create(&calls[r].thread, NULL, invoke_thread, &calls[r]) != 0) {
      cli_fail("submit", "cannot start invocation thread %lld", (long long)r);
      break;
    }
    started++;
  }
  double fanout = now_s() - t0;

  /* 4. Follow. */
  bool tty = isatty(STDERR_FILENO);
  char **phases = calloc((size_t)a.workers, sizeof *phases);
  char **results = calloc((size_t)a.workers, sizeof *results);
  char **shown = calloc((size_t)a.workers, sizeof *shown);
  const char *failure = NULL;
  char failure_buf[1400];
  int64_t drawn = 0;
  while (phases && results && shown && started == a.workers) {
    int64_t done = 0;
    for (int64_t r = 0; r < a.workers; r++) {
      if (!__atomic_load_n(&calls[r].done, __ATOMIC_ACQUIRE)) continue;
      done++;
      if (!failure && (calls[r].status != CY_OK || calls[r].resp.function_error)) {
        snprintf(failure_buf, sizeof failure_buf, "invocation %lld failed: %s", (long long)r,
                 calls[r].status != CY_OK ? calls[r].err.message : calls[r].resp.body);
        failure = failure_buf;
      }
    }
    cy_error perr;
    if (job_redis_poll(redis, job, (int32_t)a.workers, phases, results, &perr) == CY_OK) {
      if (tty && drawn) fprintf(stderr, "\033[%lldA", (long long)drawn);
      drawn = 0;
      for (int64_t r = 0; r < a.workers; r++) {
        const char *p = phases[r] ? phases[r] : "waiting";
        if (tty) {
          fprintf(stderr, "\r\033[K  rank %-4lld %-24s %7.1f s\n", (long long)r, p, now_s() - t0);
          drawn++;
        } else if (!shown[r] || strcmp(shown[r], p) != 0) {
          fprintf(stderr, "  rank %lld: %s (%.1f s)\n", (long long)r, p, now_s() - t0);
        }
        if (!shown[r] || strcmp(shown[r], p) != 0) {
          free(shown[r]);
          shown[r] = strdup(p);
        }
      }
    }
    if (failure || done == a.workers) break;
    if (now_s() - t0 > (double)a.timeout_s) {
      snprintf(failure_buf, sizeof failure_buf, "the job's deadline of %lld s passed",
               (long long)a.timeout_s);
      failure = failure_buf;
      break;
    }
    usleep(100000);
  }
  double wall = now_s() - t0;
  if (!phases || !results || !shown) failure = "out of memory";
  if (started < a.workers && !failure) failure = "not every rank could be invoked";
  if (failure) {
    /* 5a. Abort: workers stop, nothing is published, no key is left. */
    fprintf(stderr, "job %s failed: %s\n", job, failure);
    cy_error ignored;
    job_redis_abort(redis, job, &ignored);
    if (tmp[0]) delete_prefix(tmp);
  } else {
    char manifest[2200] = "";
    if (a.output &&
        publish_manifest(job, a.workers, tmp, a.output, manifest, sizeof manifest, &err) != CY_OK) {
      fprintf(stderr, "job %s failed publishing the manifest: %s\n", job, err.message);
      delete_prefix(tmp);
    } else {
      fprintf(stderr, "job %s succeeded: %lld ranks, fan-out %.3f s (invocations sent)\n", job,
              (long long)a.workers, fanout);
      print_summary(calls, a.workers, &a, wall);
      if (manifest[0]) printf("%s\n", manifest);
      for (int64_t r = 0; !a.output && r < a.workers; r++) printf("%s\n", calls[r].resp.body);
      rc = 0;
    }
  }
  if (phases)
    for (int64_t r = 0; r < a.workers; r++) free(phases[r]), free(results[r]), free(shown[r]);
  free(phases), free(results), free(shown);
cleanup:
  if (redis && job_redis_delete(redis, job, &err) != CY_OK)
    fprintf(stderr, "cylon submit: could not delete job %s's keys: %s\n", job, err.message);
done:
  /* Ranks still running after a failure are not waited for (they stop on the abort key or
   * their own deadline); their threads end with the process. */
  for (int64_t r = 0; r < started; r++) {
    if (__atomic_load_n(&calls[r].done, __ATOMIC_ACQUIRE) || rc == 0) {
      pthread_join(calls[r].thread, NULL);
      cy_lambda_invoke_response_reset(&calls[r].resp);
    } else {
      pthread_detach(calls[r].thread);
      detached = true;
    }
  }
  if (!detached) free(calls), free(event); /* else still in use by those threads */
  job_redis_close(redis);
  cy_json_doc_free(plan_doc);
  return rc;
}
