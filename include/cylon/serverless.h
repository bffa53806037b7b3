/*
 * cylon/serverless.h - the serverless layer: Cylon as AWS Lambda functions (DESIGN.md §6).
 *
 * - The Lambda Runtime API client: cy_lambda_runtime_loop turns any C program into a Lambda
 *   function (the `bootstrap` of a custom runtime): it asks the runtime for the next
 *   invocation, calls a handler with the event bytes and the deadline, and posts the
 *   handler's response or error back, per the published Runtime API (2018-06-01).
 * - The plan handler (cy_lambda_plan_handler): what `cylon worker` runs for each event: a
 *   job event carrying a plan, run as one rank, answered with metrics JSON.
 * - The Invoke API client (cy_lambda_invoke): one SigV4-signed call of
 *   POST /2015-03-31/functions/NAME/invocations, used by `cylon submit` to fan out.
 * - The local Lambda host (cy_lambda_local_serve): the Invoke API and the Runtime API on a
 *   loopback port, starting one worker process per concurrent invocation, so the whole
 *   serverless path runs on one machine (`cylon lambda-local`).
 */
#ifndef CYLON_SERVERLESS_H
#define CYLON_SERVERLESS_H

#include <stddef.h>
#include <stdint.h>

#include "cylon/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Runtime API client ------------------------------------------------------------ */

/** One invocation as the handler sees it. Strings are borrowed for the call. */
typedef struct cy_lambda_invocation {
  const char *request_id;   /**< Lambda-Runtime-Aws-Request-Id */
  int64_t deadline_ms;      /**< Lambda-Runtime-Deadline-Ms: Unix epoch milliseconds */
  const char *function_arn; /**< Lambda-Runtime-Invoked-Function-Arn, or "" */
  const char *trace_id;     /**< Lambda-Runtime-Trace-Id, or "" */
  const char *event;        /**< the event bytes (NUL-terminated for convenience) */
  size_t event_len;
} cy_lambda_invocation;

/** What a handler produces: on success a response body (malloc'ed, taken by the loop);
 *  on failure an error type ("PlanError") and a message, sent as the function's error. */
typedef struct cy_lambda_result {
  char *response; /**< malloc'ed; freed by the loop */
  size_t response_len;
  char error_type[64];
  cy_error error; /**< the message when the handler returns a non-OK status */
} cy_lambda_result;

/** A handler: returns CY_OK with result->response set, or an error status with
 *  result->error (and optionally result->error_type) filled. */
typedef cy_status (*cy_lambda_handler)(const cy_lambda_invocation *inv, void *ctx,
                                       cy_lambda_result *result);

typedef struct cy_lambda_runtime_options {
  /** "HOST:PORT" of the Runtime API; NULL (default) reads AWS_LAMBDA_RUNTIME_API. */
  const char *runtime_api;
  /** Stop after this many invocations (0, the default: loop until the runtime goes away,
   *  as a Lambda function does). For tests and one-shot workers. */
  int64_t max_invocations;
  /** An init step run once before the first `next`; a failure is reported to
   *  /runtime/init/error and the loop returns that error. May be NULL. */
  cy_status (*init)(void *ctx, cy_error *err);
} cy_lambda_runtime_options;

void cy_lambda_runtime_options_init(cy_lambda_runtime_options *opts);

/** Run the Runtime API loop: next -> handler -> response or error, until the runtime is
 *  gone (a connection failure on `next` after at least one invocation returns CY_OK) or
 *  max_invocations is reached. Errors: no runtime address, init failure, a malformed
 *  `next` answer (missing request id). */
cy_status cy_lambda_runtime_loop(cy_lambda_handler handler, void *ctx,
                                 const cy_lambda_runtime_options *opts, cy_error *err);

/* ---- The plan handler (cylon worker) ------------------------------------------------ */

/** The handler of `cylon worker`: the event is a job (docs/serverless.md): job id, rank
 *  count, token, bootstrap and rendezvous addresses, storage variables, the plan, an
 *  output prefix. It runs the plan as one rank and answers with metrics JSON. ctx unused. */
cy_status cy_lambda_plan_handler(const cy_lambda_invocation *inv, void *ctx,
                                 cy_lambda_result *result);

/* ---- Invoke API client -------------------------------------------------------------- */

typedef struct cy_lambda_invoke_request {
  const char *endpoint;   /**< "http://127.0.0.1:9001"; NULL: https://lambda.REGION.amazonaws.com */
  const char *region;     /**< NULL: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1 */
  const char *function;   /**< function name or ARN */
  const char *payload;
  size_t payload_len;
  int asynchronous;       /**< 1: InvocationType Event (answer 202 at once) */
  int64_t timeout_ms;     /**< whole-call limit; 0: 15 minutes */
} cy_lambda_invoke_request;

typedef struct cy_lambda_invoke_response {
  long status;          /**< HTTP status: 200, 202 ... */
  int function_error;   /**< X-Amz-Function-Error was present: the function failed */
  char *body;           /**< malloc'ed, NUL-terminated; the result or the error JSON */
  size_t body_len;
} cy_lambda_invoke_response;

/** Call the Invoke API, signed with SigV4 (service "lambda") with credentials from the
 *  environment. A non-2xx answer is an error carrying the service's message; a function
 *  error (200 with X-Amz-Function-Error) is CY_OK with function_error set. */
cy_status cy_lambda_invoke(const cy_lambda_invoke_request *req, cy_lambda_invoke_response *out,
                           cy_error *err);
void cy_lambda_invoke_response_reset(cy_lambda_invoke_response *r);

/* ---- Local Lambda host -------------------------------------------------------------- */

typedef struct cy_lambda_local_options {
  int port;                 /**< loopback port to listen on; 0 picks a free one */
  int64_t memory_mb;        /**< per worker (RLIMIT_AS) and AWS_LAMBDA_FUNCTION_MEMORY_SIZE; default 1024 */
  int64_t timeout_s;        /**< per invocation; default 60 */
  int32_t concurrency;      /**< most worker processes at once; default 64 */
  char *const *bootstrap;   /**< the worker's argv (NULL-terminated); NULL: {"cylon","worker"} of this executable */
  const char *ready_file;   /**< when set, the chosen port is written there once listening */
  volatile int *stop;       /**< when set and nonzero, the server returns */
  const char *bind;         /**< IPv4 address to listen on (and to give workers); NULL: 127.0.0.1 */
  const char *worker_netns; /**< test/lab option: "ns1,ns2,..." network namespaces (names under
                                 /var/run/netns or paths); environment slot k runs in the
                                 (k mod n)-th. NULL: the host's own namespace */
} cy_lambda_local_options;

void cy_lambda_local_options_init(cy_lambda_local_options *opts);
/** Serve until *opts->stop (or SIGTERM/SIGINT when run from the CLI). */
cy_status cy_lambda_local_serve(const cy_lambda_local_options *opts, cy_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CYLON_SERVERLESS_H */
