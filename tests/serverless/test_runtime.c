/*
 * test_runtime.c - the Lambda Runtime API loop (cy_lambda_runtime_loop), the Invoke API
 * client (cy_lambda_invoke) and the local Lambda host (`cylon lambda-local`), against each
 * other on loopback. The test starts `cylon lambda-local` with this very program as the
 * function's bootstrap (`test_runtime --handler`), whose handler does what the event says:
 *
 *   "echo:TEXT"  answer TEXT             "fail"   answer an error (TestError)
 *   "sleep"      outlive the timeout     "exit"   exit(3) mid-invocation
 *   "deadline"   answer ms left          "env"    answer the Lambda variables it got
 *   "hold:TEXT"  answer TEXT after 300 ms, with this process's pid
 *
 * and whose init fails when the function is called "initfail". Expected answers are the
 * Runtime API's and Invoke API's published behaviour, written out by hand below.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serverless/serverless_internal.h"
#include "test.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#endif

/* ---- the function (bootstrap mode) ---- */

static cy_status test_init(void *ctx, cy_error *err) {
  (void)ctx;
  const char *name = getenv("AWS_LAMBDA_FUNCTION_NAME");
  if (name && strcmp(name, "initfail") == 0) {
    cy_error_set(err, "init refused on purpose");
    return EINVAL;
  }
  return CY_OK;
}

static cy_status answer(cy_lambda_result *r, const char *text) {
  r->response = strdup(text);
  r->response_len = strlen(text);
  return r->response ? CY_OK : ENOMEM;
}

static cy_status test_handler(const cy_lambda_invocation *inv, void *ctx, cy_lambda_result *r) {
  (void)ctx;
  const char *e = inv->event;
  char buf[512];
  if (strncmp(e, "echo:", 5) == 0) return answer(r, e + 5);
  if (strncmp(e, "hold:", 5) == 0) {
    usleep(300000);
    snprintf(buf, sizeof buf, "%s %d", e + 5, (int)getpid());
    return answer(r, buf);
  }
  if (strcmp(e, "fail") == 0) {
    snprintf(r->error_type, sizeof r->error_type, "TestError");
    cy_error_set(&r->error, "failed on purpose, with \"quotes\"");
    return EINVAL;
  }
  if (strcmp(e, "sleep") == 0) {
    sleep(60);
    return answer(r, "woke");
  }
  if (strcmp(e, "exit") == 0) _exit(3);
  if (strcmp(e, "deadline") == 0) {
    snprintf(buf, sizeof buf, "%lld", (long long)(inv->deadline_ms - sls_now_ms()));
    return answer(r, buf);
  }
  if (strcmp(e, "env") == 0) {
    snprintf(buf, sizeof buf, "%s %s %s", getenv("AWS_LAMBDA_FUNCTION_NAME"),
             getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), inv->request_id[0] ? "id" : "noid");
    return answer(r, buf);
  }
  cy_error_set(&r->error, "unknown test event");
  return EINVAL;
}

static int run_as_function(void) {
  cy_lambda_runtime_options o;
  cy_lambda_runtime_options_init(&o);
  o.init = test_init;
  cy_error err;
  if (cy_lambda_runtime_loop(test_handler, NULL, &o, &err) != CY_OK) {
    fprintf(stderr, "test function: %s\n", err.message);
    return 1;
  }
  return 0;
}

/* ---- the host ---- */

static pid_t host_pid;
static char endpoint[64];

static void start_host(void) {
  char ready[256], self[4096], cylon[4096];
  snprintf(ready, sizeof ready, "/tmp/cylon-test-ll-%d.port", (int)getpid());
  unlink(ready);
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n > 0 ? n : 0] = 0;
  const char *bin = getenv("CYLON_BINARY_DIR");
  snprintf(cylon, sizeof cylon, "%s/cylon", bin ? bin : ".");
#ifdef UNDER_ASAN
  const char *memory = "0"; /* ASan reserves terabytes of address space: no RLIMIT_AS */
#else
  const char *memory = "512";
#endif
  host_pid = fork();
  if (host_pid == 0) {
    execl(cylon, cylon, "lambda-local", "--port", "0", "--ready-file", ready, "--timeout", "2",
          "--memory", memory, "--concurrency", "40", "--", self, "--handler", (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 400; i++) {
    FILE *f = fopen(ready, "r");
    int port = 0;
    if (f) {
      if (fscanf(f, "%d", &port) == 1) snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", port);
      fclose(f);
    }
    if (endpoint[0]) break;
    usleep(25000);
  }
  unlink(ready);
}

static void stop_host(void) {
  if (host_pid > 0) {
    kill(host_pid, SIGTERM);
    int status;
    waitpid(host_pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
}

static cy_status invoke(const char *function, const char *payload, bool event,
                        cy_lambda_invoke_response *out, cy_error *err) {
  cy_lambda_invoke_request req = {.endpoint = endpoint, .function = function, .payload = payload,
                                  .payload_len = strlen(payload), .asynchronous = event,
                                  .timeout_ms = 30000};
  return cy_lambda_invoke(&req, out, err);
}

/* Send raw bytes; return the status line's code (0 when no answer). */
static int raw_status(const char *bytes, size_t n) {
  int port = atoi(strrchr(endpoint, ':') + 1);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return 0;
  }
  send(fd, bytes, n, MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);
  char buf[256] = {0};
  ssize_t got = recv(fd, buf, sizeof buf - 1, MSG_WAITALL);
  close(fd);
  int code = 0;
  if (got > 12) sscanf(buf, "HTTP/1.1 %d", &code);
  return code;
}

typedef struct fan {
  pthread_t t;
  int i;
  cy_status st;
  char body[128];
} fan;

static void *fan_one(void *arg) {
  fan *f = arg;
  char payload[64];
  snprintf(payload, sizeof payload, "hold:r%d", f->i);
  cy_lambda_invoke_response resp;
  cy_error err;
  f->st = invoke("fan", payload, false, &resp, &err);
  if (f->st == CY_OK) snprintf(f->body, sizeof f->body, "%s", resp.body);
  else fprintf(stderr, "fan %d: %s\n", f->i, err.message);
  cy_lambda_invoke_response_reset(&resp);
  return NULL;
}

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--handler") == 0) return run_as_function();
  cy_error err;

  /* Without a runtime address the loop says what is missing. */
  unsetenv("AWS_LAMBDA_RUNTIME_API");
  FAILS(cy_lambda_runtime_loop(test_handler, NULL, NULL, &err), EINVAL, "AWS_LAMBDA_RUNTIME_API");

  setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  setenv("AWS_REGION", "us-east-1", 1);
  start_host();
  CHECK(endpoint[0]);
  if (!endpoint[0]) {
    stop_host();
    TEST_MAIN_END();
  }
  cy_lambda_invoke_response r;

  /* A response, as is. */
  OK(invoke("f", "echo:{\"a\":1}", false, &r, &err));
  CHECK_EQ_INT(r.status, 200);
  CHECK(!r.function_error);
  CHECK_EQ_STR(r.body, "{\"a\":1}");
  cy_lambda_invoke_response_reset(&r);

  /* The environment a function gets. */
  OK(invoke("myfn", "env", false, &r, &err));
#ifdef UNDER_ASAN
  CHECK_EQ_STR(r.body, "myfn 1024 id");
#else
  CHECK_EQ_STR(r.body, "myfn 512 id");
#endif
  cy_lambda_invoke_response_reset(&r);

  /* The deadline is the timeout (2 s) from now, give or take the start. */
  OK(invoke("f", "deadline", false, &r, &err));
  long long left = r.body ? atoll(r.body) : -1;
  CHECK(left > 0 && left <= 2000);
  cy_lambda_invoke_response_reset(&r);

  /* A handler error: 200 with X-Amz-Function-Error and the error document. */
  OK(invoke("f", "fail", false, &r, &err));
  CHECK_EQ_INT(r.status, 200);
  CHECK(r.function_error);
  CHECK_EQ_STR(r.body, "{\"errorMessage\":\"failed on purpose, with \\\"quotes\\\"\","
                       "\"errorType\":\"TestError\"}");
  cy_lambda_invoke_response_reset(&r);

  /* Past the deadline the process is killed and the caller told. */
  OK(invoke("f", "sleep", false, &r, &err));
  CHECK(r.function_error);
  CHECK_EQ_STR(r.body, "{\"errorMessage\":\"Task timed out after 2 seconds\","
                       "\"errorType\":\"Sandbox.Timedout\"}");
  cy_lambda_invoke_response_reset(&r);

  /* A runtime that dies mid-invocation. */
  OK(invoke("f", "exit", false, &r, &err));
  CHECK(r.function_error);
  CHECK(r.body && strstr(r.body, "Runtime.ExitError") && strstr(r.body, "status 3"));
  cy_lambda_invoke_response_reset(&r);

  /* An init error reaches the caller with the runtime's message. */
  OK(invoke("initfail", "echo:x", false, &r, &err));
  CHECK(r.function_error);
  CHECK_EQ_STR(r.body, "{\"errorMessage\":\"init refused on purpose\","
                       "\"errorType\":\"Runtime.InitError\"}");
  cy_lambda_invoke_response_reset(&r);

  /* Event: accepted at once, nothing back. */
  OK(invoke("f", "echo:later", true, &r, &err));
  CHECK_EQ_INT(r.status, 202);
  CHECK_EQ_INT(r.body_len, 0);
  cy_lambda_invoke_response_reset(&r);

  /* Bad requests get 400 / 404, and the host keeps serving. */
  CHECK_EQ_INT(raw_status("GARBAGE\r\n\r\n", 11), 400);
  const char *two_lengths = "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\n"
                            "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx";
  CHECK_EQ_INT(raw_status(two_lengths, strlen(two_lengths)), 400);
  const char *chunked = "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n";
  CHECK_EQ_INT(raw_status(chunked, strlen(chunked)), 400);
  const char *bad_type = "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\n"
                         "X-Amz-Invocation-Type: Sometimes\r\nContent-Length: 0\r\n\r\n";
  CHECK_EQ_INT(raw_status(bad_type, strlen(bad_type)), 400);
  const char *bad_name = "POST /2015-03-31/functions/a%2Fb/invocations HTTP/1.1\r\n\r\n";
  CHECK_EQ_INT(raw_status(bad_name, strlen(bad_name)), 400);
  const char *unsigned_call = "POST /2015-03-31/functions/f/invocations HTTP/1.1\r\n"
                              "Content-Length: 6\r\n\r\necho:x";
  CHECK_EQ_INT(raw_status(unsigned_call, strlen(unsigned_call)), 403);
  const char *nowhere = "GET /elsewhere HTTP/1.1\r\n\r\n";
  CHECK_EQ_INT(raw_status(nowhere, strlen(nowhere)), 404);
  CHECK_EQ_INT(raw_status("\x01\x02\x03\r\n\r\n", 7), 400);
  err.message[0] = 0;
  cy_lambda_invoke_request to_nothing = {.endpoint = endpoint, .function = "bad name!",
                                         .payload = "", .payload_len = 0};
  FAILS(cy_lambda_invoke(&to_nothing, &r, &err), EIO, "InvalidParameterValueException");
  OK(invoke("f", "echo:still here", false, &r, &err));
  CHECK_EQ_STR(r.body, "still here");
  cy_lambda_invoke_response_reset(&r);

  /* 32 concurrent invocations, each answered with its own payload. */
  enum { N = 32 };
  fan fans[N];
  double t0 = mono();
  for (int i = 0; i < N; i++) {
    fans[i].i = i;
    fans[i].body[0] = 0;
    pthread_create(&fans[i].t, NULL, fan_one, &fans[i]);
  }
  int pids[N], distinct = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(fans[i].t, NULL);
    CHECK_EQ_INT(fans[i].st, CY_OK);
    char want[16];
    snprintf(want, sizeof want, "r%d ", i);
    if (strncmp(fans[i].body, want, strlen(want)) != 0) {
      fprintf(stderr, "invocation %d answered %s\n", i, fans[i].body);
      test_failures++;
    }
    int pid = atoi(fans[i].body + strlen(want));
    bool seen = false;
    for (int k = 0; k < distinct; k++) seen = seen || pids[k] == pid;
    if (!seen) pids[distinct++] = pid;
  }
  fprintf(stderr, "32 concurrent invocations (300 ms each) answered in %.3f s by %d processes\n",
          mono() - t0, distinct);

  stop_host();
  TEST_MAIN_END();
}
