/*
 * runtime.c - the AWS Lambda Runtime API client (API version 2018-06-01): the loop of a
 * custom runtime, as a library call so that any C program can be a Lambda function.
 *
 *   GET  /2018-06-01/runtime/invocation/next          -> the event, with the request id
 *        and the deadline in the Lambda-Runtime-* headers (long-polls until there is one)
 *   POST /2018-06-01/runtime/invocation/ID/response   <- the handler's answer
 *   POST /2018-06-01/runtime/invocation/ID/error      <- {"errorMessage", "errorType"}
 *   POST /2018-06-01/runtime/init/error               <- when initialisation failed
 *
 * The runtime address comes from AWS_LAMBDA_RUNTIME_API ("host:port"). Lambda freezes or
 * ends the process between invocations; when the runtime goes away (connection refused on
 * `next`) after serving, the loop ends normally.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serverless/serverless_internal.h"

#define RUNTIME_PREFIX "/2018-06-01/runtime"

void cy_lambda_runtime_options_init(cy_lambda_runtime_options *opts) {
  memset(opts, 0, sizeof *opts);
}

cy_status sls_error_json(const char *type, const char *message, char **out, size_t *len,
                         cy_error *err) {
  cy_json_member m[2] = {sls_jmember("errorMessage", sls_jstr(message)),
                         sls_jmember("errorType", sls_jstr(type))};
  cy_json doc = sls_jobj(m, 2);
  return cy_json_write(&doc, out, len, err);
}

/* POST an error document to url (an invocation's /error or /init/error). */
static cy_status post_error(const char *url, const char *type, const char *message,
                            cy_error *err) {
  char *body = NULL;
  size_t len = 0;
  cy_status st = sls_error_json(type, message, &body, &len, err);
  if (st != CY_OK) return st;
  http_header_pair h[2] = {{"Content-Type", "application/json"},
                           {"Lambda-Runtime-Function-Error-Type", type}};
  http_reply reply;
  st = http_call("POST", url, h, 2, body, len, 30000, &reply, err);
  free(body);
  if (st == CY_OK && reply.status != 202) {
    cy_error_set(err, "POST %s: the runtime answered %ld: %.200s", url, reply.status,
                 reply.body);
    st = EPROTO;
  }
  http_reply_reset(&reply);
  return st;
}

/* Serve one invocation from a `next` answer. Returns an error only when the runtime could
 * not be told the outcome (a handler error is posted and is not an error of the loop). */
static cy_status serve(const char *base, http_reply *next, cy_lambda_handler handler,
                       void *ctx, cy_error *err) {
  const char *id = http_reply_header(next, "Lambda-Runtime-Aws-Request-Id");
  const char *deadline = http_reply_header(next, "Lambda-Runtime-Deadline-Ms");
  if (!id || !id[0] || strchr(id, '/') || strlen(id) > 200) {
    cy_error_set(err, "GET %s/invocation/next: the answer has no valid "
                 "Lambda-Runtime-Aws-Request-Id header", base);
    return EPROTO;
  }
  cy_lambda_invocation inv = {.request_id = id, .event = next->body,
                              .event_len = next->body_len};
  const char *arn = http_reply_header(next, "Lambda-Runtime-Invoked-Function-Arn");
  const char *trace = http_reply_header(next, "Lambda-Runtime-Trace-Id");
  inv.function_arn = arn ? arn : "";
  inv.trace_id = trace ? trace : "";
  inv.deadline_ms = deadline ? strtoll(deadline, NULL, 10) : 0;

  cy_lambda_result result;
  memset(&result, 0, sizeof result);
  cy_status hs = handler(&inv, ctx, &result);
  size_t url_len = strlen(base) + strlen(id) + 64;
  char *url = malloc(url_len);
  if (!url) {
    free(result.response);
    cy_error_set(err, "out of memory");
    return ENOMEM;
  }
  cy_status st;
  if (hs == CY_OK) {
    snprintf(url, url_len, "%s/invocation/%s/response", base, id);
    http_reply reply;
    http_header_pair h[1] = {{"Content-Type", "application/json"}};
    st = http_call("POST", url, h, 1, result.response ? result.response : "",
                   result.response ? result.response_len : 0, 30000, &reply, err);
    if (st == CY_OK && reply.status != 202) {
      /* 413: the response is too large; tell the invoker through /error instead. */
      char msg[256];
      snprintf(msg, sizeof msg, "the runtime refused the response (%ld): %.150s",
               reply.status, reply.body);
      snprintf(url, url_len, "%s/invocation/%s/error", base, id);
      st = post_error(url, "Runtime.ResponseRejected", msg, err);
    }
    http_reply_reset(&reply);
  } else {
    snprintf(url, url_len, "%s/invocation/%s/error", base, id);
    if (!result.error.message[0]) snprintf(result.error.message, sizeof result.error.message,
                                           "the handler failed (%s)", strerror(hs));
    st = post_error(url, result.error_type[0] ? result.error_type : "Function.Error",
                    result.error.message, err);
  }
  free(url);
  free(result.response);
  return st;
}

cy_status cy_lambda_runtime_loop(cy_lambda_handler handler, void *ctx,
                                 const cy_lambda_runtime_options *opts, cy_error *err) {
  cy_lambda_runtime_options defaults;
  if (!opts) cy_lambda_runtime_options_init(&defaults), opts = &defaults;
  const char *api = opts->runtime_api ? opts->runtime_api : getenv("AWS_LAMBDA_RUNTIME_API");
  if (!api || !api[0]) {
    cy_error_set(err, "AWS_LAMBDA_RUNTIME_API is not set: this program is meant to run as a "
                 "Lambda function (or under `cylon lambda-local`)");
    return EINVAL;
  }
  size_t base_len = strlen(api) + sizeof "http://" RUNTIME_PREFIX;
  char *base = malloc(base_len), *next_url = malloc(base_len + 32);
  if (!base || !next_url) {
    free(base), free(next_url);
    cy_error_set(err, "out of memory");
    return ENOMEM;
  }
  snprintf(base, base_len, "http://%s" RUNTIME_PREFIX, api);
  snprintf(next_url, base_len + 32, "%s/invocation/next", base);

  cy_status st = CY_OK;
  if (opts->init) {
    cy_error init_err = {{0}};
    cy_status is = opts->init(ctx, &init_err);
    if (is != CY_OK) {
      char url[512];
      snprintf(url, sizeof url, "%s/init/error", base);
      cy_error post_err;
      if (post_error(url, "Runtime.InitError", init_err.message, &post_err) != CY_OK)
        fprintf(stderr, "cylon: could not report the init error: %s\n", post_err.message);
      cy_error_set(err, "init failed: %s", init_err.message);
      free(base), free(next_url);
      return is;
    }
  }
  for (int64_t served = 0; opts->max_invocations == 0 || served < opts->max_invocations;) {
    http_reply next;
    /* `next` long-polls: no timeout. */
    st = http_call("GET", next_url, NULL, 0, NULL, 0, 0, &next, err);
    if (st != CY_OK) {
      if (served > 0 && st == ECONNREFUSED) st = CY_OK; /* the runtime went away */
      break;
    }
    if (next.status != 200) {
      cy_error_set(err, "GET %s: the runtime answered %ld: %.200s", next_url, next.status,
                   next.body);
      http_reply_reset(&next);
      st = EPROTO;
      break;
    }
    st = serve(base, &next, handler, ctx, err);
    http_reply_reset(&next);
    if (st != CY_OK) break;
    served++;
  }
  free(base), free(next_url);
  return st;
}
