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
 *    enforce the job deadline, and on the first failure abort: tell the workers, give the
 *    others a few seconds to stop and say how each rank ended, name the failure's cause by
 *    its rank (an invocation that died without a word, e.g. killed, is mapped to its rank
 *    through the job's keys), delete whatever was written under the temporary prefix and
 *    the job's keys, publish nothing.
 * 5. When every rank succeeded, publish OUTPUT/_manifest.json listing the parts, delete the
 *    job's keys, and print a summary: per-phase times across ranks, rows, the path each
 *    pair of ranks took (direct, or relayed by the rendezvous server), GB-seconds and the
 *    cost at Lambda's published x86 price.
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

/* After a failure, how long the other ranks get to stop (they notice the abort key within
 * a fifth of a second, a lost peer at once) before the scheduler stops waiting for them. */
#define SURVIVOR_GRACE_S 10.0
/* Each Invoke call may outlive the job's deadline by this much, so that the deadline is
 * reported as such rather than as a timed-out call. */
#define INVOKE_SLACK_S (SURVIVOR_GRACE_S + 5.0)

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
          "  --rendezvous H:P    ranks connect through this `cylon rendezvous` (NAT traversal;\n"
          "                      its token from CYLON_RENDEZVOUS_TOKEN)\n"
          "  --output URL        where the outputs are published (s3://bucket/prefix or a dir)\n"
          "  --timeout S         job deadline in seconds (default 900)\n"
          "  --memory MB         the function's memory, for GB-seconds and cost (default 1024)\n");
}

typedef struct rank_call {
  pthread_t thread;
  char *event; /* this invocation's event (it carries the invocation's number) */
  size_t event_len;
  int32_t rank;     /* the rank it took (from Redis), -1 if unknown */
  int64_t finished; /* the order in which the scheduler saw it end (1, 2, ...), 0: running */
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

/* The variables the workers get from the submitter's environment: storage settings, the
 * rendezvous token, NAT knobs (docs/nat.md), CYLON_DIRECT (docs/bootstrap.md) and the
 * fault tests' hook (worker.c). */
static const char *const passed_env[] = {
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_MAX_ATTEMPTS",
    "CYLON_S3_PATH_STYLE", "CYLON_RENDEZVOUS_TOKEN", "CYLON_DIRECT", "CYLON_TEST_FAULT"};
static const char *const passed_env_prefixes[] = {"CYLON_S3_", "CYLON_NAT_"};
#define NUM_PASSED_ENV (sizeof passed_env / sizeof *passed_env)
#define NUM_PASSED_PREFIXES (sizeof passed_env_prefixes / sizeof *passed_env_prefixes)
extern char **environ;

static bool passed_on(const char *name, size_t len) {
  for (size_t i = 0; i < NUM_PASSED_ENV; i++)
    if (strlen(passed_env[i]) == len && strncmp(passed_env[i], name, len) == 0) return true;
  for (size_t i = 0; i < NUM_PASSED_PREFIXES; i++)
    if (len > strlen(passed_env_prefixes[i]) &&
        strncmp(passed_env_prefixes[i], name, strlen(passed_env_prefixes[i])) == 0)
      return true;
  return false;
}

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

static void print_paths(cy_json_doc **docs, int64_t n);

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
  print_paths(docs, n);
  fprintf(stderr, "wall %.3f s; %.3f GB-s at %lld MB; estimated cost $%.8f "
          "($%.10f per GB-s + $0.20 per million requests, Lambda x86 us-east-1 list price)\n",
          wall, gb_s, (long long)a->memory_mb,
          gb_s * PRICE_PER_GB_SECOND + (double)n * PRICE_PER_REQUEST, PRICE_PER_GB_SECOND);
  for (int64_t r = 0; r < n; r++) cy_json_doc_free(docs[r]);
  free(v), free(docs);
}

/* The event every rank gets (the rank itself comes from Redis). */
static cy_status build_event(const submit_args *a, const char *job, const char *token,
                             const cy_json *plan, const char *tmp, int64_t invocation,
                             char **out, size_t *len, cy_error *err) {
  size_t nenv = 0;
  while (environ[nenv]) nenv++;
  cy_json_member *env = calloc(nenv + 1, sizeof *env);
  if (!env) {
    cy_error_set(err, "out of memory");
    return ENOMEM;
  }
  int ne = 0;
  for (size_t i = 0; i < nenv; i++) {
    const char *eq = strchr(environ[i], '=');
    if (!eq || !passed_on(environ[i], (size_t)(eq - environ[i]))) continue;
    env[ne++] = (cy_json_member){.key = environ[i], .key_len = eq - environ[i],
                                 .value = {.kind = CY_JSON_STRING,
                                           .u.str = {eq + 1, (int64_t)strlen(eq + 1)}}};
  }
  cy_json_member boot[1] = {{.key = "redis", .key_len = 5,
                             .value = {.kind = CY_JSON_STRING,
                                       .u.str = {a->bootstrap, (int64_t)strlen(a->bootstrap)}}}};
  cy_json_member top[9];
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
  top[n++] = (cy_json_member){.key = "invocation", .key_len = 10,
                              .value = {.kind = CY_JSON_INT, .u.i = invocation}};
  cy_json doc = {.kind = CY_JSON_OBJECT, .u.obj = {top, n}};
  cy_status st = cy_json_write(&doc, out, len, err);
  free(env);
  return st;
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

/* ---- failures ------------------------------------------------------------------------ */

/* The worker's own error types (worker.c); anything else came from the platform: the
 * process died (Runtime.ExitError), ran out of time (Sandbox.Timedout), or the call failed. */
static const char *const worker_error_types[] = {"EventError", "BootstrapError", "PlanError",
                                                 "Aborted"};

/* How an ended invocation failed, "TYPE: message" (into buf), and how likely it is the
 * cause rather than a consequence: 0 the platform's (nothing else kills a process), 1 the
 * worker's own error, 2 stopped by the abort; -1: it succeeded. */
static int describe_end(const rank_call *c, char *buf, size_t size) {
  if (c->status != CY_OK) {
    snprintf(buf, size, "%s", c->err.message);
    return 0;
  }
  if (!c->resp.function_error) {
    snprintf(buf, size, "succeeded");
    return -1;
  }
  cy_json_doc *doc = NULL;
  cy_error err;
  int cls = 0;
  if (cy_json_parse(c->resp.body, c->resp.body_len, NULL, &doc, &err) == CY_OK) {
    const cy_json *root = cy_json_doc_root(doc);
    const cy_json *type = cy_json_get(root, "errorType");
    const cy_json *msg = cy_json_get(root, "errorMessage");
    const char *t = type && type->kind == CY_JSON_STRING ? type->u.str.data : "Error";
    snprintf(buf, size, "%s: %s", t,
             msg && msg->kind == CY_JSON_STRING ? msg->u.str.data : c->resp.body);
    for (size_t i = 0; i < sizeof worker_error_types / sizeof *worker_error_types; i++)
      if (strcmp(t, worker_error_types[i]) == 0) cls = strcmp(t, "Aborted") == 0 ? 2 : 1;
  } else {
    snprintf(buf, size, "%s", c->resp.body);
  }
  cy_json_doc_free(doc);
  return cls;
}

/* "rank 2" or, for an invocation that never took a rank, "invocation 5 (before joining)". */
static const char *who(const rank_call *c, int64_t invocation, char *buf, size_t size) {
  if (c->rank >= 0) snprintf(buf, size, "rank %d", (int)c->rank);
  else snprintf(buf, size, "invocation %lld (before taking a rank)", (long long)invocation);
  return buf;
}

/* The failure to report: the likeliest cause (describe_end's class), then the first seen. */
static int64_t root_cause(const rank_call *calls, int64_t n) {
  int64_t best = -1;
  int best_class = 3;
  char buf[8];
  for (int64_t i = 0; i < n; i++) {
    if (!calls[i].finished) continue;
    int cls = describe_end(&calls[i], buf, sizeof buf);
    if (cls < 0) continue;
    if (cls < best_class || (cls == best_class && calls[i].finished < calls[best].finished))
      best = i, best_class = cls;
  }
  return best;
}

/* After a failure: how each rank ended, in rank order (invocations without a rank last). */
static void report_ends(const rank_call *calls, int64_t n, double waited) {
  fprintf(stderr, "how each rank ended:\n");
  for (int pass = 0; pass < 2; pass++)
    for (int64_t r = 0; r < n; r++) {
      int64_t i = -1;
      if (pass == 0) {
        for (int64_t k = 0; k < n && i < 0; k++)
          if (calls[k].rank == r) i = k;
      } else if (calls[r].rank < 0) {
        i = r;
      }
      if (i < 0) continue;
      char name[64], what[1400];
      if (!calls[i].finished)
        snprintf(what, sizeof what, "still running after %.0f s (it stops at the abort key "
                 "or its own deadline)", waited);
      else if (describe_end(&calls[i], what, sizeof what) < 0)
        snprintf(what, sizeof what, "succeeded (its part is discarded)");
      fprintf(stderr, "  %s: %s\n", who(&calls[i], i, name, sizeof name), what);
    }
}

/* The summary's line on paths: each pair once, as its lower rank saw it ("0:direct
 * 2:relay" in the metrics' "paths"); listed pair by pair for small jobs. */
static void print_paths(cy_json_doc **docs, int64_t n) {
  enum { LIST_MAX = 16 };
  char matrix[LIST_MAX * LIST_MAX];
  memset(matrix, 0, sizeof matrix);
  int64_t direct = 0, relay = 0, other = 0;
  for (int64_t r = 0; r < n; r++) {
    if (!docs[r]) continue;
    const cy_json *root = cy_json_doc_root(docs[r]);
    const cy_json *paths = cy_json_get(root, "paths");
    int64_t me = (int64_t)json_number(cy_json_get(root, "rank"));
    if (!paths || paths->kind != CY_JSON_STRING) continue;
    for (const char *p = paths->u.str.data; *p;) {
      char *end;
      long peer = strtol(p, &end, 10);
      if (end == p || *end != ':') break;
      const char *name = end + 1;
      size_t len = strcspn(name, " ");
      char code = strncmp(name, "direct", len) == 0 && len == 6 ? 'd'
                  : strncmp(name, "relay", len) == 0 && len == 5 ? 'r' : '?';
      if (peer > me) code == 'd' ? direct++ : code == 'r' ? relay++ : other++;
      if (n <= LIST_MAX && peer >= 0 && peer < n && me >= 0 && me < n)
        matrix[me * LIST_MAX + peer] = code;
      p = name + len + (name[len] == ' ');
    }
  }
  if (direct + relay + other == 0) return;
  fprintf(stderr, "pairs: %lld direct, %lld relayed by the rendezvous server", (long long)direct,
          (long long)relay);
  if (other) fprintf(stderr, ", %lld other", (long long)other);
  fprintf(stderr, "\n");
  if (n > LIST_MAX) return;
  int shown = 0;
  for (int64_t a = 0; a < n; a++)
    for (int64_t b = a + 1; b < n; b++) {
      char x = matrix[a * LIST_MAX + b], y = matrix[b * LIST_MAX + a];
      const char *nx = x == 'd' ? "direct" : x == 'r' ? "relay" : "?";
      const char *ny = y == 'd' ? "direct" : y == 'r' ? "relay" : "?";
      fprintf(stderr, "%s%lld-%lld %s%s%s", shown % 6 ? "  " : "  path ", (long long)a,
              (long long)b, nx, x == y ? "" : "/", x == y ? "" : ny);
      if (++shown % 6 == 0) fprintf(stderr, "\n");
    }
  if (shown % 6) fprintf(stderr, "\n");
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
  rank_call *calls = NULL;
  int64_t started = 0;
  bool detached = false;
  if (job_redis_connect(a.bootstrap, NULL, 5000, &redis, &err) != CY_OK ||
      job_redis_create(redis, job, token, a.timeout_s + 300, &err) != CY_OK) {
    cli_fail("submit", "%s", err.message);
    goto done;
  }
  calls = calloc((size_t)a.workers, sizeof *calls);
  if (!calls) {
    cli_fail("submit", "out of memory");
    goto cleanup;
  }
  for (int64_t r = 0; r < a.workers; r++) {
    calls[r].rank = -1;
    if (build_event(&a, job, a.worker_token ? a.worker_token : token, cy_json_doc_root(plan_doc),
                    a.output ? tmp : NULL, r, &calls[r].event, &calls[r].event_len, &err) != CY_OK) {
      cli_fail("submit", "%s", err.message);
      goto cleanup;
    }
  }
  fprintf(stderr, "job %s: %lld ranks of %s at %s%s%s\n", job, (long long)a.workers, a.function,
          a.endpoint ? a.endpoint : "AWS Lambda", a.rendezvous ? ", rendezvous at " : "",
          a.rendezvous ? a.rendezvous : "");

  /* 3. Fan out. */
  double t0 = now_s();
  for (int64_t r = 0; r < a.workers; r++) {
    calls[r].req = (cy_lambda_invoke_request){
        .endpoint = a.endpoint, .region = a.region, .function = a.function,
        .payload = calls[r].event, .payload_len = calls[r].event_len,
        .timeout_ms = (a.timeout_s + (int64_t)INVOKE_SLACK_S) * 1000};
    if (pthread_create(&calls[r].thread, NULL, invoke_thread, &calls[r]) != 0) {
      cli_fail("submit", "cannot start invocation thread %lld", (long long)r);
      break;
    }
    started++;
  }
  double fanout = now_s() - t0;

  /* 4. Follow. After the first failure (or the deadline) the job is aborted at once, and
   * the loop goes on until every invocation has ended or SURVIVOR_GRACE_S has passed: the
   * others stop, and the cause can be told from its consequences (root_cause). */
  bool tty = isatty(STDERR_FILENO);
  char **phases = calloc((size_t)a.workers, sizeof *phases);
  char **results = calloc((size_t)a.workers, sizeof *results);
  char **shown = calloc((size_t)a.workers, sizeof *shown);
  bool failed = false, deadline_passed = false, aborted = false;
  double failed_at = 0;
  char failure_buf[3000] = "";
  int64_t drawn = 0, ended = 0;
  while (phases && results && shown && started == a.workers) {
    for (int64_t r = 0; r < a.workers; r++) {
      if (calls[r].finished || !__atomic_load_n(&calls[r].done, __ATOMIC_ACQUIRE)) continue;
      calls[r].finished = ++ended;
      if (!failed && (calls[r].status != CY_OK || calls[r].resp.function_error))
        failed = true, failed_at = now_s();
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
    if (ended == a.workers) break;
    if (!failed && now_s() - t0 > (double)a.timeout_s) {
      /* The deadline: name it, and where the ranks still running were (as many as fit). */
      size_t used = (size_t)snprintf(failure_buf, sizeof failure_buf,
                                     "the job's deadline (--timeout %lld s) passed with ",
                                     (long long)a.timeout_s);
      int64_t running = 0;
      for (int64_t r = 0; r < a.workers && used + 200 < sizeof failure_buf; r++) {
        if (phases[r] && (strcmp(phases[r], "done") == 0 || strcmp(phases[r], "failed") == 0))
          continue;
        used += (size_t)snprintf(failure_buf + used, sizeof failure_buf - used, "%srank %lld (%.96s)",
                                 running++ ? ", " : "", (long long)r,
                                 phases[r] ? phases[r] : "not started");
      }
      snprintf(failure_buf + used, sizeof failure_buf - used, "%s",
               running ? " still running" : "ranks unfinished");
      deadline_passed = failed = true;
      failed_at = now_s();
    }
    if (failed && !aborted) { /* at once: the others stop while the cause is sorted out */
      cy_error ignored;
      job_redis_abort(redis, job, &ignored);
      aborted = true;
    }
    if (failed && now_s() - failed_at > SURVIVOR_GRACE_S) break;
    usleep(100000);
  }
  double wall = now_s() - t0;
  const char *failure = NULL;
  if (!phases || !results || !shown) failure = "out of memory";
  else if (started < a.workers) failure = "not every rank could be invoked";
  if (failed || failure) {
    /* 5a. Abort: workers stop, nothing is published, no key is left. */
    cy_error ignored;
    job_redis_abort(redis, job, &ignored);
    for (int64_t r = 0; r < started; r++) calls[r].rank = job_redis_rank_of(redis, job, r);
    if (!failure && deadline_passed) {
      failure = failure_buf;
    } else if (!failure) {
      int64_t cause = root_cause(calls, started);
      char name[64], what[2800];
      if (cause >= 0) describe_end(&calls[cause], what, sizeof what);
      snprintf(failure_buf, sizeof failure_buf, "%s failed: %s",
               cause >= 0 ? who(&calls[cause], cause, name, sizeof name) : "a rank",
               cause >= 0 ? what : "?");
      failure = failure_buf;
    }
    fprintf(stderr, "job %s failed: %s\n", job, failure);
    if (started == a.workers) report_ends(calls, a.workers, now_s() - failed_at);
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
  /* Ranks still running after the grace are not waited for (they stop on the abort key or
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
  if (!detached && calls) /* else still in use by those threads */
    for (int64_t r = 0; r < a.workers; r++) free(calls[r].event);
  if (!detached) free(calls);
  job_redis_close(redis);
  cy_json_doc_free(plan_doc);
  return rc;
}
