/*
 * lambda_local.c - a local host of AWS Lambda (`cylon lambda-local`): the Invoke API for
 * callers and the Runtime API for the function's processes, on loopback, so that the whole
 * serverless path (scheduler, Redis, S3, workers) runs and is tested on one machine.
 *
 * Model, as in Lambda:
 * - An execution environment is one process running the function's bootstrap (`cylon
 *   worker` by default) with the Lambda variables, its own Runtime API endpoint (a loopback
 *   port of its own: AWS_LAMBDA_RUNTIME_API), a memory limit (RLIMIT_AS) and a process
 *   group, so that a timeout kills everything it started.
 * - An invocation (POST /2015-03-31/functions/NAME/invocations) goes to an idle environment
 *   of that function that is waiting in `next`, else to a new one while fewer than
 *   `concurrency` run; otherwise it waits in a queue. RequestResponse callers get the
 *   function's answer (with X-Amz-Function-Error when it failed); Event callers get 202 at
 *   once and the outcome is logged.
 * - A new environment has 10 s to ask for its first event (init), then the invocation
 *   has the function's timeout from the moment it is handed out.
 * - Past its deadline an invocation's environment is killed and the caller answered with a
 *   Sandbox.Timedout error; an environment that exits while busy fails its invocation
 *   with Runtime.ExitError; /init/error fails it with the runtime's message.
 *
 * One thread, poll(), every connection closed after its answer (our clients make one
 * request per connection). Requests are parsed by http_server.c; anything malformed gets
 * 400. Signatures are required but not verified: the host listens on 127.0.0.1 only
 * (or on the --bind address of a test's private network).
 *
 * Test/lab option --worker-netns: each environment's process enters a network namespace
 * (set up by the test behind its own NAT router) before it execs, so workers reach the
 * host, Redis, S3 and the rendezvous server through NATs, as real functions do.
 */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "serverless/serverless_internal.h"

extern char **environ;

#define MAX_CONNS 1024
#define INIT_TIMEOUT_MS 10000 /* as Lambda: a runtime has 10 s to ask for its first event */
#define MAX_INVOCATIONS 4096
#define RUNTIME_PATH "/2018-06-01/runtime/"
#define INVOKE_PREFIX "/2015-03-31/functions/"

typedef struct conn {
  int fd; /* -1: free slot */
  int worker; /* the environment whose runtime port it came in on, or -1 (Invoke API) */
  char *in;
  size_t in_len, in_cap;
  bool head_done;
  http_request req;
  char *out; /* the answer being written; the connection closes after it */
  size_t out_len, out_off;
  bool parked; /* a `next` waiting for an invocation */
} conn;

typedef struct invocation {
  bool used;
  char id[40];
  char function[128];
  char *payload;
  size_t payload_len;
  int caller;        /* the RequestResponse caller's connection, or -1 */
  int worker;        /* -1 while queued */
  bool delivered;    /* handed out by `next` */
  int64_t deadline_ms;
  int64_t seq;       /* arrival order, for the queue */
} invocation;

typedef struct worker {
  bool used;
  pid_t pid;
  int listen_fd;
  char function[128];
  int invocation; /* -1 when idle */
  int parked_conn; /* its `next`, or -1 */
  bool dying;     /* killed; waiting to be reaped */
} worker;

typedef struct host {
  const cy_lambda_local_options *opts;
  int listen_fd;
  conn conns[MAX_CONNS];
  invocation *invs; /* MAX_INVOCATIONS */
  worker *workers;  /* opts->concurrency */
  int64_t next_seq;
  char exe[4096];
  unsigned rng;
} host;

void cy_lambda_local_options_init(cy_lambda_local_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->memory_mb = 1024;
  opts->timeout_s = 60;
  opts->concurrency = 64;
}

/* ---- sockets ---- */

static int listen_loopback(const char *bind_addr, int port, int *bound_port, cy_error *err) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    cy_error_set(err, "socket: %s", strerror(errno));
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind_addr && inet_pton(AF_INET, bind_addr, &a.sin_addr) != 1) {
    cy_error_set(err, "--bind: \"%s\" is not an IPv4 address", bind_addr);
    close(fd);
    return -1;
  }
  socklen_t len = sizeof a;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 256) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    cy_error_set(err, "listening on %s:%d: %s", bind_addr ? bind_addr : "127.0.0.1", port,
                 strerror(errno));
    close(fd);
    return -1;
  }
  *bound_port = ntohs(a.sin_port);
  return fd;
}

static void conn_close(host *h, int ci) {
  conn *c = &h->conns[ci];
  if (c->fd < 0) return;
  close(c->fd);
  free(c->in);
  free(c->out);
  /* A caller that hung up no longer gets an answer; a parked `next` is gone. */
  for (int i = 0; i < MAX_INVOCATIONS; i++)
    if (h->invs[i].used && h->invs[i].caller == ci) h->invs[i].caller = -1;
  if (c->worker >= 0 && h->workers[c->worker].parked_conn == ci)
    h->workers[c->worker].parked_conn = -1;
  memset(c, 0, sizeof *c);
  c->fd = -1;
  c->worker = -1;
}

/* Queue an answer on connection ci; it is written by the poll loop, then closed. */
static void respond(host *h, int ci, int status, const char *reason, const char *headers,
                    const char *body, size_t body_len) {
  conn *c = &h->conns[ci];
  if (c->fd < 0) return;
  if (!headers) headers = "";
  size_t cap = 256 + strlen(headers) + body_len;
  char *out = malloc(cap);
  if (!out) {
    conn_close(h, ci);
    return;
  }
  int n = snprintf(out, cap,
                   "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
                   status, reason, body_len, headers);
  memcpy(out + n, body, body_len);
  free(c->out);
  c->out = out;
  c->out_len = (size_t)n + body_len;
  c->out_off = 0;
  c->parked = false;
}

/* An error document {"errorMessage","errorType"} as the answer. */
static void respond_error(host *h, int ci, int status, const char *reason, const char *type,
                          const char *message) {
  char *body = NULL;
  size_t len = 0;
  cy_error err;
  if (sls_error_json(type, message, &body, &len, &err) != CY_OK) {
    conn_close(h, ci);
    return;
  }
  char headers[160];
  snprintf(headers, sizeof headers,
           "Content-Type: application/json\r\nX-Amzn-ErrorType: %s\r\n", type);
  respond(h, ci, status, reason, headers, body, len);
  free(body);
}

/* ---- invocations and environments ---- */

static void invocation_free(invocation *inv) {
  free(inv->payload);
  memset(inv, 0, sizeof *inv);
}

/* The invocation's outcome: to its caller (RequestResponse) or to the log (Event). */
static void complete(host *h, int ii, bool function_error, const char *body, size_t len) {
  invocation *inv = &h->invs[ii];
  if (inv->caller >= 0) {
    const char *headers = function_error ? "Content-Type: application/json\r\n"
                                           "X-Amz-Function-Error: Unhandled\r\n"
                                           "X-Amz-Executed-Version: $LATEST\r\n"
                                         : "Content-Type: application/json\r\n"
                                           "X-Amz-Executed-Version: $LATEST\r\n";
    respond(h, inv->caller, 200, "OK", headers, body, len);
  } else {
    fprintf(stderr, "lambda-local: %s %s (event) %s: %.*s\n", inv->function, inv->id,
            function_error ? "failed" : "done", (int)(len > 300 ? 300 : len), body);
  }
  if (inv->worker >= 0 && h->workers[inv->worker].invocation == ii)
    h->workers[inv->worker].invocation = -1;
  invocation_free(inv);
}

static void complete_error(host *h, int ii, const char *type, const char *message) {
  char *body = NULL;
  size_t len = 0;
  cy_error err;
  if (sls_error_json(type, message, &body, &len, &err) != CY_OK) {
    complete(h, ii, true, "{}", 2);
    return;
  }
  complete(h, ii, true, body, len);
  free(body);
}

/* Hand invocation ii to worker w's parked `next`. */
static void deliver(host *h, int w, int ii) {
  worker *wk = &h->workers[w];
  invocation *inv = &h->invs[ii];
  inv->deadline_ms = sls_now_ms() + h->opts->timeout_s * 1000; /* the handler's time */
  char headers[1024];
  snprintf(headers, sizeof headers,
           "Content-Type: application/json\r\n"
           "Lambda-Runtime-Aws-Request-Id: %s\r\n"
           "Lambda-Runtime-Deadline-Ms: %lld\r\n"
           "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:local:000000000000:function:%s\r\n"
           "Lambda-Runtime-Trace-Id: Root=1-00000000-%s\r\n",
           inv->id, (long long)inv->deadline_ms, inv->function, inv->id);
  respond(h, wk->parked_conn, 200, "OK", headers, inv->payload, inv->payload_len);
  wk->parked_conn = -1;
  inv->delivered = true;
}

static void kill_worker(worker *wk) {
  if (wk->dying) return;
  kill(-wk->pid, SIGKILL); /* its process group: the bootstrap and anything it started */
  kill(wk->pid, SIGKILL);
  wk->dying = true;
}

static int live_workers(const host *h) {
  int n = 0;
  for (int i = 0; i < h->opts->concurrency; i++) n += h->workers[i].used;
  return n;
}

/* The network namespace environment slot w runs in (--worker-netns, a test/lab option):
 * an open fd of its (w mod n)-th entry, or -1 when unset. Opened here, in the host, so a
 * bad name is reported to the caller; the child only calls setns(2) on it, before exec,
 * which puts the worker behind that namespace's NAT router. */
static int open_worker_netns(const host *h, int w, cy_error *err) {
  const char *list = h->opts->worker_netns;
  if (!list || !*list) return -1;
  int n = 1;
  for (const char *c = list; *c; c++) n += *c == ',';
  const char *name = list;
  for (int k = w % n; k > 0; k--) name = strchr(name, ',') + 1;
  size_t len = strcspn(name, ",");
  if (len == 0) {
    cy_error_set(err, "--worker-netns: empty namespace name in \"%s\"", list);
    return -1;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s%.*s", memchr(name, '/', len) ? "" : "/var/run/netns/",
           (int)len, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) cy_error_set(err, "--worker-netns: cannot open %s: %s", path, strerror(errno));
  return fd;
}

/* Start an environment for function, reserved for invocation ii. */
static int spawn(host *h, int ii, cy_error *err) {
  int w = -1;
  for (int i = 0; i < h->opts->concurrency; i++)
    if (!h->workers[i].used) {
      w = i;
      break;
    }
  if (w < 0) return -1;
  invocation *inv = &h->invs[ii];
  worker *wk = &h->workers[w];
  int port = 0;
  int lfd = listen_loopback(h->opts->bind, 0, &port, err);
  if (lfd < 0) return -1;
  int netns_fd = open_worker_netns(h, w, err);
  if (netns_fd < 0 && h->opts->worker_netns && *h->opts->worker_netns) {
    close(lfd);
    return -1;
  }

  /* The environment is built before fork: the child only execs. */
  char vars[10][512];
  int nv = 0;
  snprintf(vars[nv++], 512, "AWS_LAMBDA_RUNTIME_API=%s:%d",
           h->opts->bind ? h->opts->bind : "127.0.0.1", port);
  snprintf(vars[nv++], 512, "AWS_LAMBDA_FUNCTION_NAME=%s", inv->function);
  snprintf(vars[nv++], 512, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%lld",
           (long long)(h->opts->memory_mb > 0 ? h->opts->memory_mb : 1024));
  snprintf(vars[nv++], 512, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
  snprintf(vars[nv++], 512, "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s", inv->function);
  snprintf(vars[nv++], 512, "AWS_LAMBDA_LOG_STREAM_NAME=local/%d", port);
  snprintf(vars[nv++], 512, "AWS_EXECUTION_ENV=cylon-lambda-local");
  snprintf(vars[nv++], 512, "_HANDLER=cylon.worker");
  size_t base = 0;
  while (environ[base]) base++;
  char **envp = calloc(base + (size_t)nv + 1, sizeof *envp);
  if (!envp) {
    close(lfd);
    if (netns_fd >= 0) close(netns_fd);
    cy_error_set(err, "out of memory");
    return -1;
  }
  size_t k = 0;
  for (size_t i = 0; i < base; i++) {
    bool replaced = false;
    for (int v = 0; v < nv && !replaced; v++) {
      size_t name_len = (size_t)(strchr(vars[v], '=') - vars[v]) + 1;
      replaced = strncmp(environ[i], vars[v], name_len) == 0;
    }
    if (!replaced) envp[k++] = environ[i];
  }
  for (int v = 0; v < nv; v++) envp[k++] = vars[v];
  envp[k] = NULL;
  char *default_argv[] = {h->exe, "worker", NULL};
  char *const *argv = h->opts->bootstrap ? h->opts->bootstrap : default_argv;
  struct rlimit limit = {0};
  if (h->opts->memory_mb > 0)
    limit.rlim_cur = limit.rlim_max = (rlim_t)h->opts->memory_mb * 1024 * 1024;

  pid_t pid = fork();
  if (pid < 0) {
    cy_error_set(err, "fork: %s", strerror(errno));
    free(envp);
    close(lfd);
    if (netns_fd >= 0) close(netns_fd);
    return -1;
  }
  if (pid == 0) {
    setpgid(0, 0);
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) _exit(126);
    if (h->opts->memory_mb > 0) setrlimit(RLIMIT_AS, &limit);
    environ = envp;
    execvp(argv[0], argv);
    _exit(127);
  }
  setpgid(pid, pid); /* also here, so a kill right after fork finds the group */
  free(envp);
  if (netns_fd >= 0) close(netns_fd);
  memset(wk, 0, sizeof *wk);
  wk->used = true;
  wk->pid = pid;
  wk->listen_fd = lfd;
  wk->parked_conn = -1;
  wk->invocation = ii;
  snprintf(wk->function, sizeof wk->function, "%s", inv->function);
  inv->worker = w;
  inv->deadline_ms = sls_now_ms() + INIT_TIMEOUT_MS; /* until its first `next` */
  return w;
}

/* Give queued invocations, oldest first, to idle environments or new ones. */
static void dispatch(host *h) {
  for (;;) {
    int ii = -1;
    for (int i = 0; i < MAX_INVOCATIONS; i++)
      if (h->invs[i].used && h->invs[i].worker < 0 && (ii < 0 || h->invs[i].seq < h->invs[ii].seq))
        ii = i;
    if (ii < 0) return;
    invocation *inv = &h->invs[ii];
    int idle = -1, evictable = -1;
    for (int i = 0; i < h->opts->concurrency; i++) {
      worker *wk = &h->workers[i];
      if (!wk->used || wk->dying || wk->invocation >= 0 || wk->parked_conn < 0) continue;
      if (strcmp(wk->function, inv->function) == 0) idle = i;
      else evictable = i;
    }
    if (idle >= 0) {
      h->workers[idle].invocation = ii;
      inv->worker = idle;
      deliver(h, idle, ii);
      continue;
    }
    if (live_workers(h) >= h->opts->concurrency) {
      /* Full: make room by ending an idle environment of another function. */
      if (evictable >= 0) kill_worker(&h->workers[evictable]);
      return;
    }
    cy_error err;
    if (spawn(h, ii, &err) < 0) {
      complete_error(h, ii, "Runtime.StartError", err.message);
    }
  }
}

/* ---- requests ---- */

static bool valid_function_name(const char *s, size_t n) {
  if (n == 0 || n > 64) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_'))
      return false;
  }
  return true;
}

static void on_invoke(host *h, int ci) {
  conn *c = &h->conns[ci];
  const char *target = c->req.target;
  const char *name = target + strlen(INVOKE_PREFIX);
  const char *slash = strchr(name, '/');
  if (strncmp(target, INVOKE_PREFIX, strlen(INVOKE_PREFIX)) != 0 || !slash ||
      strncmp(slash, "/invocations", 12) != 0 || (slash[12] && slash[12] != '?')) {
    respond_error(h, ci, 404, "Not Found", "ResourceNotFoundException",
                  "unknown path: this host serves POST /2015-03-31/functions/NAME/invocations");
    return;
  }
  if (strcmp(c->req.method, "POST") != 0) {
    respond_error(h, ci, 405, "Method Not Allowed", "InvalidRequestContentException",
                  "invocations must be POSTed");
    return;
  }
  size_t name_len = (size_t)(slash - name);
  if (!valid_function_name(name, name_len)) {
    respond_error(h, ci, 400, "Bad Request", "InvalidParameterValueException",
                  "the function name must be 1 to 64 letters, digits, '-' or '_'");
    return;
  }
  const char *type = http_request_header(&c->req, "X-Amz-Invocation-Type");
  bool event = false;
  if (!type || strcmp(type, "RequestResponse") == 0) event = false;
  else if (strcmp(type, "Event") == 0) event = true;
  else if (strcmp(type, "DryRun") == 0) {
    respond(h, ci, 204, "No Content", NULL, "", 0);
    return;
  } else {
    respond_error(h, ci, 400, "Bad Request", "InvalidParameterValueException",
                  "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun");
    return;
  }
  /* The signature is not verified (loopback only), but an unsigned request is refused as
   * AWS refuses it, so a client that forgets to sign fails here too. */
  const char *auth = http_request_header(&c->req, "Authorization");
  if (!auth || strncmp(auth, "AWS4-HMAC-SHA256 Credential=", 28) != 0 ||
      !strstr(auth, "SignedHeaders=") || !strstr(auth, "Signature=")) {
    respond_error(h, ci, 403, "Forbidden", "MissingAuthenticationTokenException",
                  "the request is not signed with AWS Signature Version 4");
    return;
  }
  if (event && c->req.body_len > 256 * 1024) {
    respond_error(h, ci, 413, "Request Entity Too Large", "RequestTooLargeException",
                  "an Event payload may be at most 256 KB");
    return;
  }
  int ii = -1;
  for (int i = 0; i < MAX_INVOCATIONS; i++)
    if (!h->invs[i].used) {
      ii = i;
      break;
    }
  if (ii < 0) {
    respond_error(h, ci, 429, "Too Many Requests", "TooManyRequestsException",
                  "too many invocations waiting");
    return;
  }
  invocation *inv = &h->invs[ii];
  memset(inv, 0, sizeof *inv);
  inv->payload = malloc(c->req.body_len + 1);
  if (!inv->payload) {
    respond_error(h, ci, 500, "Internal Server Error", "ServiceException", "out of memory");
    return;
  }
  memcpy(inv->payload, c->in + c->req.head_len, c->req.body_len);
  inv->payload[c->req.body_len] = 0;
  inv->payload_len = c->req.body_len;
  inv->used = true;
  h->rng = h->rng * 1103515245u + 12345u;
  snprintf(inv->id, sizeof inv->id, "%08x-%04x-%04x-%012llx", h->rng, (unsigned)ii & 0xffff,
           (unsigned)getpid() & 0xffff, (unsigned long long)h->next_seq);
  memcpy(inv->function, name, name_len);
  inv->function[name_len] = 0;
  inv->worker = -1;
  inv->seq = h->next_seq++;
  inv->caller = event ? -1 : ci;
  if (event) respond(h, ci, 202, "Accepted", NULL, "", 0);
  dispatch(h);
}

/* The Runtime API of environment w. */
static void on_runtime(host *h, int ci) {
  conn *c = &h->conns[ci];
  int w = c->worker;
  worker *wk = &h->workers[w];
  const char *path = c->req.target;
  if (strncmp(path, RUNTIME_PATH, strlen(RUNTIME_PATH)) != 0) {
    respond_error(h, ci, 404, "Not Found", "InvalidRequest", "unknown Runtime API path");
    return;
  }
  path += strlen(RUNTIME_PATH);
  bool get = strcmp(c->req.method, "GET") == 0, post = strcmp(c->req.method, "POST") == 0;
  if (get && strcmp(path, "invocation/next") == 0) {
    if (wk->invocation >= 0 && h->invs[wk->invocation].delivered) {
      complete_error(h, wk->invocation, "Runtime.NoResponse",
                     "the runtime asked for the next invocation without answering this one");
    }
    if (wk->parked_conn >= 0) conn_close(h, wk->parked_conn);
    wk->parked_conn = ci;
    c->parked = true;
    if (wk->invocation >= 0) deliver(h, w, wk->invocation); /* the one it was started for */
    else dispatch(h);
    return;
  }
  if (post && strcmp(path, "init/error") == 0) {
    respond(h, ci, 202, "Accepted", "Content-Type: application/json\r\n", "{\"status\":\"OK\"}", 15);
    if (wk->invocation >= 0) {
      const char *body = c->in + c->req.head_len;
      if (c->req.body_len > 0) complete(h, wk->invocation, true, body, c->req.body_len);
      else complete_error(h, wk->invocation, "Runtime.InitError", "init failed");
    }
    kill_worker(wk);
    return;
  }
  if (post && strncmp(path, "invocation/", 11) == 0) {
    const char *id = path + 11, *slash = strchr(id, '/');
    if (!slash || (strcmp(slash, "/response") != 0 && strcmp(slash, "/error") != 0)) {
      respond_error(h, ci, 404, "Not Found", "InvalidRequest", "unknown Runtime API path");
      return;
    }
    int ii = wk->invocation;
    if (ii < 0 || !h->invs[ii].delivered || strlen(h->invs[ii].id) != (size_t)(slash - id) ||
        strncmp(h->invs[ii].id, id, (size_t)(slash - id)) != 0) {
      respond_error(h, ci, 400, "Bad Request", "InvalidRequestID",
                    "no such invocation in progress in this environment");
      return;
    }
    bool is_error = strcmp(slash, "/error") == 0;
    if (!is_error && c->req.body_len > 6 * 1024 * 1024) {
      respond_error(h, ci, 413, "Request Entity Too Large", "RequestEntityTooLarge",
                    "response larger than 6 MB");
      return;
    }
    respond(h, ci, 202, "Accepted", "Content-Type: application/json\r\n", "{\"status\":\"OK\"}", 15);
    complete(h, ii, is_error, c->in + c->req.head_len, c->req.body_len);
    dispatch(h);
    return;
  }
  respond_error(h, ci, 404, "Not Found", "InvalidRequest", "unknown Runtime API path");
}

/* Read what is there; when a whole request is in, answer it. */
static void on_readable(host *h, int ci) {
  conn *c = &h->conns[ci];
  if (c->out || c->parked) {
    /* Nothing more is expected from this client: a read of 0 means it hung up. */
    char tmp[256];
    ssize_t r = recv(c->fd, tmp, sizeof tmp, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) conn_close(h, ci);
    return;
  }
  if (c->in_cap - c->in_len < 65536) {
    size_t cap = c->in_cap ? c->in_cap * 2 : 65536;
    char *p = realloc(c->in, cap);
    if (!p) {
      conn_close(h, ci);
      return;
    }
    c->in = p, c->in_cap = cap;
  }
  ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
  if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
    conn_close(h, ci);
    return;
  }
  if (r < 0) return;
  c->in_len += (size_t)r;
  if (!c->head_done) {
    cy_error err;
    http_parse_result pr = http_parse_request(c->in, c->in_len, &c->req, &err);
    if (pr == HTTP_PARSE_INCOMPLETE) return;
    if (pr == HTTP_PARSE_BAD) {
      respond_error(h, ci, 400, "Bad Request", "InvalidRequestContentException", err.message);
      return;
    }
    c->head_done = true;
  }
  if (c->in_len < c->req.head_len + c->req.body_len) return;
  if (c->worker >= 0) on_runtime(h, ci);
  else on_invoke(h, ci);
}

static void on_writable(host *h, int ci) {
  conn *c = &h->conns[ci];
  while (c->out_off < c->out_len) {
    ssize_t r = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      break;
    }
    c->out_off += (size_t)r;
  }
  conn_close(h, ci);
}

static void accept_on(host *h, int lfd, int w) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int ci = -1;
    for (int i = 0; i < MAX_CONNS; i++)
      if (h->conns[i].fd < 0) {
        ci = i;
        break;
      }
    if (ci < 0) {
      close(fd); /* full: the client sees a reset and may retry */
      continue;
    }
    h->conns[ci].fd = fd;
    h->conns[ci].worker = w;
  }
}

/* Reap environments that ended; fail what they were doing; kill those past deadlines. */
static void housekeeping(host *h) {
  int64_t now = sls_now_ms();
  for (int w = 0; w < h->opts->concurrency; w++) {
    worker *wk = &h->workers[w];
    if (!wk->used) continue;
    if (wk->invocation >= 0 && !wk->dying && now > h->invs[wk->invocation].deadline_ms) {
      char msg[128];
      if (h->invs[wk->invocation].delivered)
        snprintf(msg, sizeof msg, "Task timed out after %lld seconds",
                 (long long)h->opts->timeout_s);
      else
        snprintf(msg, sizeof msg, "the runtime did not ask for its first event within %d s",
                 INIT_TIMEOUT_MS / 1000);
      complete_error(h, wk->invocation, "Sandbox.Timedout", msg);
      kill_worker(wk);
    }
    int status;
    pid_t r = waitpid(wk->pid, &status, WNOHANG);
    if (r != wk->pid) continue;
    kill(-wk->pid, SIGKILL); /* anything the bootstrap left behind in its group */
    if (wk->invocation >= 0) {
      char msg[160];
      if (WIFEXITED(status))
        snprintf(msg, sizeof msg, "the runtime exited with status %d before answering%s",
                 WEXITSTATUS(status), WEXITSTATUS(status) == 127 ? " (could not start it?)" : "");
      else
        snprintf(msg, sizeof msg, "the runtime was killed by signal %d before answering%s",
                 WTERMSIG(status), h->opts->memory_mb > 0 ? " (out of memory?)" : "");
      complete_error(h, wk->invocation, "Runtime.ExitError", msg);
    }
    for (int i = 0; i < MAX_CONNS; i++)
      if (h->conns[i].fd >= 0 && h->conns[i].worker == w) conn_close(h, i);
    close(wk->listen_fd);
    memset(wk, 0, sizeof *wk);
  }
  dispatch(h);
}

cy_status cy_lambda_local_serve(const cy_lambda_local_options *opts, cy_error *err) {
  if (opts->concurrency < 1 || opts->concurrency > 1000 || opts->timeout_s < 1 ||
      opts->memory_mb < 0) {
    cy_error_set(err, "lambda-local: concurrency must be 1..1000, timeout >= 1 s, memory >= 0");
    return EINVAL;
  }
  host *h = calloc(1, sizeof *h);
  if (!h) {
    cy_error_set(err, "out of memory");
    return ENOMEM;
  }
  h->opts = opts;
  h->listen_fd = -1;
  for (int i = 0; i < MAX_CONNS; i++) h->conns[i].fd = -1, h->conns[i].worker = -1;
  h->invs = calloc(MAX_INVOCATIONS, sizeof *h->invs);
  h->workers = calloc((size_t)opts->concurrency, sizeof *h->workers);
  struct pollfd *pfd = calloc(1 + (size_t)opts->concurrency + MAX_CONNS, sizeof *pfd);
  int *pfd_conn = calloc(1 + (size_t)opts->concurrency + MAX_CONNS, sizeof *pfd_conn);
  cy_status st = CY_OK;
  if (!h->invs || !h->workers || !pfd || !pfd_conn) {
    cy_error_set(err, "out of memory");
    st = ENOMEM;
    goto done;
  }
  ssize_t n = readlink("/proc/self/exe", h->exe, sizeof h->exe - 1);
  if (n <= 0) snprintf(h->exe, sizeof h->exe, "cylon");
  h->rng = (unsigned)getpid() ^ (unsigned)sls_now_ms();
  int port = 0;
  h->listen_fd = listen_loopback(opts->bind, opts->port, &port, err);
  if (h->listen_fd < 0) {
    st = EADDRINUSE;
    goto done;
  }
  printf("lambda-local: listening on %s:%d\n", opts->bind ? opts->bind : "127.0.0.1", port);
  fflush(stdout);
  if (opts->ready_file) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", opts->ready_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, opts->ready_file) != 0) {
      cy_error_set(err, "writing %s: %s", opts->ready_file, strerror(errno));
      st = EIO;
      goto done;
    }
  }
  while (!(opts->stop && *opts->stop)) {
    int np = 0;
    pfd[np] = (struct pollfd){.fd = h->listen_fd, .events = POLLIN};
    pfd_conn[np++] = -1;
    for (int w = 0; w < opts->concurrency; w++)
      if (h->workers[w].used) {
        pfd[np] = (struct pollfd){.fd = h->workers[w].listen_fd, .events = POLLIN};
        pfd_conn[np++] = -2 - w;
      }
    for (int i = 0; i < MAX_CONNS; i++)
      if (h->conns[i].fd >= 0) {
        pfd[np] = (struct pollfd){.fd = h->conns[i].fd,
                                  .events = (short)(h->conns[i].out ? POLLOUT : POLLIN)};
        pfd_conn[np++] = i;
      }
    int r = poll(pfd, (nfds_t)np, 50);
    if (r < 0 && errno != EINTR) {
      cy_error_set(err, "poll: %s", strerror(errno));
      st = EIO;
      break;
    }
    for (int i = 0; r > 0 && i < np; i++) {
      if (!pfd[i].revents) continue;
      int tag = pfd_conn[i];
      if (tag == -1) accept_on(h, h->listen_fd, -1);
      else if (tag <= -2) {
        if (h->workers[-2 - tag].used) accept_on(h, h->workers[-2 - tag].listen_fd, -2 - tag);
      } else if (h->conns[tag].fd == pfd[i].fd) {
        if (h->conns[tag].out && (pfd[i].revents & (POLLOUT | POLLERR | POLLHUP)))
          on_writable(h, tag);
        else if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
          on_readable(h, tag);
      }
    }
    housekeeping(h);
  }
done:
  if (h->workers) {
    for (int w = 0; w < opts->concurrency; w++)
      if (h->workers[w].used) {
        kill_worker(&h->workers[w]);
        waitpid(h->workers[w].pid, NULL, 0);
        close(h->workers[w].listen_fd);
      }
  }
  for (int i = 0; i < MAX_CONNS; i++) conn_close(h, i);
  if (h->invs)
    for (int i = 0; i < MAX_INVOCATIONS; i++) invocation_free(&h->invs[i]);
  if (h->listen_fd >= 0) close(h->listen_fd);
  free(h->invs), free(h->workers), free(pfd), free(pfd_conn), free(h);
  return st;
}
