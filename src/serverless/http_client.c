/*
 * http_client.c - one HTTP request through libcurl, for the Lambda Runtime API client and
 * the Invoke API client. The S3 client has its own (retries, streaming, XML errors); these
 * two need only a whole body in, a whole body out and a few response headers.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "serverless/serverless_internal.h"

int64_t sls_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double sls_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct body_sink {
  char *data;
  size_t len, cap;
  bool oom;
} body_sink;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ctx) {
  body_sink *b = ctx;
  size_t n = size * nmemb;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
      b->oom = true;
      return 0;
    }
    b->data = p, b->cap = cap;
  }
  memcpy(b->data + b->len, ptr, n);
  b->len += n;
  b->data[b->len] = 0;
  return n;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ctx) {
  http_reply *r = ctx;
  size_t n = size * nmemb;
  const char *colon = memchr(line, ':', n);
  if (!colon || r->num_headers >= 16) return n;
  size_t name_len = (size_t)(colon - line);
  const char *v = colon + 1, *end = line + n;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
  char *name = strndup(line, name_len), *value = strndup(v, (size_t)(end - v));
  if (!name || !value) {
    free(name), free(value);
    return 0;
  }
  r->header_names[r->num_headers] = name;
  r->header_values[r->num_headers++] = value;
  return n;
}

const char *http_reply_header(const http_reply *r, const char *name) {
  for (int i = 0; i < r->num_headers; i++)
    if (strcasecmp(r->header_names[i], name) == 0) return r->header_values[i];
  return NULL;
}

void http_reply_reset(http_reply *r) {
  free(r->body);
  for (int i = 0; i < r->num_headers; i++) free(r->header_names[i]), free(r->header_values[i]);
  memset(r, 0, sizeof *r);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

cy_status http_call(const char *method, const char *url, const http_header_pair *headers,
                    int num_headers, const char *body, size_t body_len, int64_t timeout_ms,
                    http_reply *reply, cy_error *err) {
  memset(reply, 0, sizeof *reply);
  pthread_once(&curl_once, curl_init);
  if (curl_init_rc != CURLE_OK) {
    cy_error_set(err, "libcurl failed to initialise: %s", curl_easy_strerror(curl_init_rc));
    return EIO;
  }
  CURL *c = curl_easy_init();
  if (!c) {
    cy_error_set(err, "out of memory starting an HTTP request to %s", url);
    return ENOMEM;
  }
  struct curl_slist *list = NULL;
  bool oom = false;
  /* No "Expect: 100-continue" round trip, and an explicit type for bodies. */
  struct curl_slist *t = curl_slist_append(list, "Expect:");
  if (t) list = t; else oom = true;
  for (int i = 0; i < num_headers && !oom; i++) {
    size_t n = strlen(headers[i].name) + strlen(headers[i].value) + 3;
    char *line = malloc(n);
    if (!line) { oom = true; break; }
    snprintf(line, n, "%s: %s", headers[i].name, headers[i].value);
    t = curl_slist_append(list, line);
    free(line);
    if (t) list = t; else oom = true;
  }
  if (oom) {
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    cy_error_set(err, "out of memory building an HTTP request to %s", url);
    return ENOMEM;
  }
  body_sink sink = {0};
  char curl_err[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, reply);
  if (strcmp(method, "GET") == 0) {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (body || strcmp(method, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  }
  if (timeout_ms > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
  CURLcode rc = curl_easy_perform(c);
  cy_status st = CY_OK;
  if (rc != CURLE_OK) {
    cy_error_set(err, "%s %s: %s", method, url, curl_err[0] ? curl_err : curl_easy_strerror(rc));
    st = rc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : ECONNREFUSED;
    free(sink.data);
    http_reply_reset(reply);
  } else if (sink.oom) {
    cy_error_set(err, "%s %s: out of memory receiving the answer", method, url);
    st = ENOMEM;
    free(sink.data);
    http_reply_reset(reply);
  } else {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
    if (!sink.data) sink.data = calloc(1, 1);
    reply->body = sink.data;
    reply->body_len = sink.len;
    if (!reply->body) {
      st = ENOMEM;
      cy_error_set(err, "out of memory");
    }
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return st;
}
