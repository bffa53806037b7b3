/*
 * serverless_internal.h - pieces shared inside the serverless layer (private):
 *
 *   http_client.c   one HTTP request through libcurl (the Runtime API and Invoke clients)
 *   http_server.c   a strict HTTP/1.1 request parser and a poll()-based connection set
 *                   (the local Lambda host); fuzzed by fuzz/fuzz_http.c
 *   runtime.c       the Runtime API loop (cy_lambda_runtime_loop)
 *   invoke.c        the Invoke API client (cy_lambda_invoke)
 *   lambda_local.c  the local Lambda host (cy_lambda_local_serve)
 *   worker.c        the plan handler of `cylon worker`
 */
#ifndef CYLON_SERVERLESS_INTERNAL_H
#define CYLON_SERVERLESS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "cylon/serverless.h"
#include "plan/json.h"

/* ---- http_client.c ---- */

typedef struct http_header_pair {
  const char *name;
  const char *value;
} http_header_pair;

typedef struct http_reply {
  long status;
  char *body; /* malloc'ed, NUL-terminated */
  size_t body_len;
  /* Response headers kept by name (case-insensitive); values malloc'ed. */
  int num_headers;
  char *header_names[16];
  char *header_values[16];
} http_reply;

/* Send one request: method, full URL, extra headers, body (may be NULL). timeout_ms 0 is
 * no limit. A transport failure is an error naming the URL and curl's reason; any HTTP
 * status is CY_OK with reply->status set. */
cy_status http_call(const char *method, const char *url, const http_header_pair *headers,
                    int num_headers, const char *body, size_t body_len, int64_t timeout_ms,
                    http_reply *reply, cy_error *err);
/* A response header's value, or NULL. */
const char *http_reply_header(const http_reply *r, const char *name);
void http_reply_reset(http_reply *r);

/* ---- http_server.c ---- */

#define HTTP_MAX_HEADERS 32
#define HTTP_MAX_HEAD_BYTES 16384
#define HTTP_MAX_BODY_BYTES (6 * 1024 * 1024) /* Lambda's synchronous payload limit */

typedef struct http_request {
  char method[16];
  char target[1024]; /* the request target as sent (origin form: "/path?query") */
  int num_headers;
  struct {
    char name[64];
    char value[512];
  } headers[HTTP_MAX_HEADERS];
  size_t head_len; /* bytes of the request line and headers, with the blank line */
  size_t body_len; /* Content-Length (0 without one) */
} http_request;

typedef enum http_parse_result {
  HTTP_PARSE_INCOMPLETE = 0, /* need more bytes */
  HTTP_PARSE_OK = 1,         /* head parsed; the body follows (body_len bytes) */
  HTTP_PARSE_BAD = -1        /* malformed: answer 400 (message in err) */
} http_parse_result;

/* Parse the head of an HTTP/1.1 request from the n bytes received so far. Strict: method
 * is a token, target starts with '/', version is HTTP/1.0 or HTTP/1.1, header names are
 * tokens, no obsolete line folding, at most one Content-Length (digits only, at most
 * HTTP_MAX_BODY_BYTES), no Transfer-Encoding (chunked bodies are refused), lines end with
 * CRLF. */
http_parse_result http_parse_request(const char *data, size_t n, http_request *req,
                                     cy_error *err);
/* A request header's value (case-insensitive name), or NULL. */
const char *http_request_header(const http_request *req, const char *name);

/* ---- shared helpers ---- */

/* Values for building small JSON answers on the stack, written with cy_json_write (the
 * plan layer's writer), so every string is escaped by the one writer we test. */
static inline cy_json sls_jstr(const char *s) {
  cy_json v = {.kind = CY_JSON_STRING};
  v.u.str.data = s ? s : "";
  v.u.str.len = (int64_t)strlen(v.u.str.data);
  return v;
}
static inline cy_json sls_jint(int64_t i) {
  cy_json v = {.kind = CY_JSON_INT};
  v.u.i = i;
  return v;
}
static inline cy_json sls_jdouble(double d) {
  cy_json v = {.kind = CY_JSON_DOUBLE};
  v.u.d = d;
  return v;
}
static inline cy_json sls_jobj(const cy_json_member *m, int64_t n) {
  cy_json v = {.kind = CY_JSON_OBJECT};
  v.u.obj.members = m;
  v.u.obj.len = n;
  return v;
}
static inline cy_json_member sls_jmember(const char *key, cy_json value) {
  cy_json_member m = {.key = key, .key_len = (int64_t)strlen(key), .value = value};
  return m;
}
/* {"errorMessage": message, "errorType": type}: the Runtime API's error document. */
cy_status sls_error_json(const char *type, const char *message, char **out, size_t *len,
                         cy_error *err);

/* Milliseconds since the Unix epoch (wall clock, as Lambda's deadlines are). */
int64_t sls_now_ms(void);
/* Seconds on a monotonic clock. */
double sls_seconds(void);

#endif
