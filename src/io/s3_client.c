/*
 * s3_client.c - one S3 request over libcurl: address, sign, send, retry, explain.
 *
 * Each attempt is signed afresh (the signature covers the time) and sent on the caller's
 * curl easy handle, which keeps its connection alive between requests; a handle is only
 * ever used by one thread at a time (object_s3.c keeps a pool per input). Responses go
 * either straight into the caller's memory (ranged reads: no copy, and a server that
 * ignores Range and sends the whole object is handled by dropping the bytes before the
 * range) or into a growing body (listings, errors).
 *
 * Retries: connection failures, resets, timeouts and stalls, HTTP 500/502/503/504, 429 and
 * 408, S3's SlowDown / InternalError / RequestTimeout, and a 200 whose body is an <Error>
 * (CompleteMultipartUpload can answer so) are tried again up to max_attempts times, after
 * exponential backoff with jitter (base, 2 base, 4 base ... capped at 10 s, each a random
 * time between half and all of that). Two more cases are corrected and tried again without
 * counting as failures: RequestTimeTooSkewed (the clock is corrected by the server's Date)
 * and a bucket in another region than configured (AWS names it in x-amz-bucket-region).
 *
 * Errors name the object (s3://bucket/key), what was being done, the S3 error code and
 * message from the XML body and the HTTP status; never the credentials, which appear
 * only in the Authorization and x-amz-security-token headers.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "io/s3_internal.h"

#define MAX_BODY ((size_t)256 << 20) /* a listing page is ~300 KB; errors are tiny */
#define BACKOFF_CAP_MS 10000

/* ---- process-wide state ----------------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_FAILED_INIT;
static int64_t clock_offset; /* seconds to add to time(): the servers' clock minus ours */

static void global_init(void) { init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

cy_status s3_global_init(cy_error *err) {
  pthread_once(&init_once, global_init);
  if (init_rc != CURLE_OK) {
    cy_error_set(err, "libcurl failed to initialise: %s", curl_easy_strerror(init_rc));
    return CY_EIO;
  }
  return CY_OK;
}

void s3_response_reset(s3_response *r) {
  free(r->body);
  memset(r, 0, sizeof(*r));
  r->range_start = r->range_end = r->total_size = -1;
}

/* ---- transfer callbacks ---------------------------------------------------------------- */

typedef struct transfer {
  CURL *curl;
  const s3_request *req;
  s3_response *resp;
  int64_t to_skip;   /* bytes still to drop before the range (whole-object answers) */
  bool started;      /* the first body byte was seen */
  bool whole;        /* a ranged GET was answered with the whole object */
  bool overflow;     /* more bytes than fit: not retried */
  bool filled;       /* dest got every byte it wanted and the rest was cut off */
  size_t body_cap;
  int64_t sent;      /* bytes of the request body handed to curl */
  time_t server_date;
  char bucket_region[64];
} transfer;

static bool to_dest(transfer *t) {
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  return t->req->dest != NULL && status / 100 == 2;
}

static size_t body_append(transfer *t, const char *p, size_t n) {
  s3_response *r = t->resp;
  if (r->body_len + n + 1 > t->body_cap) {
    size_t cap = t->body_cap ? t->body_cap : 4096;
    while (cap < r->body_len + n + 1) cap *= 2;
    if (cap > MAX_BODY + 1) return 0;
    char *grown = realloc(r->body, cap);
    if (grown == NULL) return 0;
    r->body = grown;
    t->body_cap = cap;
  }
  memcpy(r->body + r->body_len, p, n);
  r->body_len += n;
  r->body[r->body_len] = 0;
  return n;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ctx) {
  transfer *t = ctx;
  size_t n = size * nmemb;
  if (!to_dest(t)) return body_append(t, ptr, n);
  if (!t->started) {
    t->started = true;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    /* 200 to a ranged GET: the server sent the whole object; drop what comes before. */
    t->whole = status == 200;
    t->to_skip = t->whole ? t->req->dest_skip : 0;
    if (!t->whole && t->resp->range_start >= 0 && t->resp->range_start != t->req->dest_skip) {
      t->overflow = true; /* another range than the one asked for */
      return 0;
    }
  }
  size_t used = 0;
  if (t->to_skip > 0) {
    used = (size_t)t->to_skip < n ? (size_t)t->to_skip : n;
    t->to_skip -= (int64_t)used;
  }
  int64_t room = t->req->dest_len - t->resp->received;
  size_t take = n - used;
  if ((int64_t)take > room) {
    take = (size_t)room;
    if (t->whole) t->filled = true; /* the range is complete: stop the download */
    else t->overflow = true;
  }
  memcpy((char *)t->req->dest + t->resp->received, ptr + used, take);
  t->resp->received += (int64_t)take;
  return t->filled || t->overflow ? 0 : n;
}

/* Case-insensitive "Name:" at the start of a header line; the value (trimmed) or NULL. */
static const char *header_value(const char *line, size_t n, const char *name, char *buf,
                                size_t cap) {
  size_t k = strlen(name);
  if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':') return NULL;
  const char *v = line + k + 1;
  const char *end = line + n;
  while (v < end && (*v == ' ' || *v == '\t')) v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
  size_t len = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
  memcpy(buf, v, len);
  buf[len] = 0;
  return buf;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ctx) {
  transfer *t = ctx;
  size_t n = size * nmemb;
  s3_response *r = t->resp;
  char v[512];
  if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) { /* a new response (after 100, redirects) */
    r->etag[0] = 0;
    r->range_start = r->range_end = r->total_size = -1;
    t->bucket_region[0] = 0;
  } else if (header_value(line, n, "ETag", r->etag, sizeof r->etag)) {
  } else if (header_value(line, n, "Content-Range", v, sizeof v)) {
    long long a, b, total;
    if (sscanf(v, "bytes %lld-%lld/%lld", &a, &b, &total) == 3) {
      r->range_start = a;
      r->range_end = b;
      r->total_size = total;
    } else if (sscanf(v, "bytes */%lld", &total) == 1) {
      r->total_size = total;
    }
  } else if (header_value(line, n, "x-amz-bucket-region", t->bucket_region,
                          sizeof t->bucket_region)) {
  } else if (header_value(line, n, "Date", v, sizeof v)) {
    t->server_date = curl_getdate(v, NULL);
  }
  return n;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *ctx) {
  transfer *t = ctx;
  int64_t left = t->req->body_len - t->sent;
  size_t n = size * nmemb;
  if ((int64_t)n > left) n = (size_t)left;
  memcpy(buf, (const char *)t->req->body + t->sent, n);
  t->sent += (int64_t)n;
  return n;
}

/* ---- one attempt ------------------------------------------------------------------------- */

static struct curl_slist *add_header(struct curl_slist *list, bool *oom, const char *name,
                                     const char *value) {
  if (*oom) return list;
  size_t n = strlen(name) + strlen(value) + 3;
  char *line = malloc(n);
  struct curl_slist *grown = NULL;
  if (line) {
    snprintf(line, n, "%s: %s", name, value);
    grown = curl_slist_append(list, line);
    memset(line, 0, n); /* it may hold the Authorization or the token */
    free(line);
  }
  if (grown == NULL) *oom = true;
  return grown ? grown : list;
}

static void free_headers(struct curl_slist *list) {
  for (struct curl_slist *h = list; h; h = h->next) memset(h->data, 0, strlen(h->data));
  curl_slist_free_all(list);
}

/* The request's headers: the signed ones, the caller's, and a few for curl's sake. */
static struct curl_slist *build_headers(const s3_request *req, const char *host,
                                        const sigv4_signed *sig, const char *payload_hash,
                                        const s3_creds *creds, cy_error *err) {
  bool oom = false;
  struct curl_slist *h = NULL;
  h = add_header(h, &oom, "Host", host);
  h = add_header(h, &oom, "x-amz-date", sig->amz_date);
  h = add_header(h, &oom, "x-amz-content-sha256", payload_hash);
  if (creds->session_token) h = add_header(h, &oom, "x-amz-security-token", creds->session_token);
  h = add_header(h, &oom, "Authorization", sig->authorization);
  for (int i = 0; i < req->num_headers; i++)
    h = add_header(h, &oom, req->headers[i].name, req->headers[i].value);
  /* No "Expect: 100-continue" round trip, and no form content type on POSTs. */
  h = add_header(h, &oom, "Expect", "");
  if (strcmp(req->method, "POST") == 0) h = add_header(h, &oom, "Content-Type", "application/xml");
  if (oom) {
    free_headers(h);
    cy_error_set(err, "out of memory building an S3 request");
    return NULL;
  }
  return h;
}

static void set_method(CURL *c, const s3_request *req) {
  const char *m = req->method;
  if (strcmp(m, "HEAD") == 0) {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (strcmp(m, "PUT") == 0) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
  } else if (strcmp(m, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body_len > 0 ? req->body : "");
  } else if (strcmp(m, "GET") != 0) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
  }
}

/* Sign and send once. *rc gets curl's result; the response fills t->resp. */
static cy_status attempt(s3_config *cfg, CURL *c, const s3_request *req, const char *host,
                         const char *path, const char *payload_hash, transfer *t, CURLcode *rc,
                         char *curl_err, cy_error *err) {
  sigv4_request sr = {req->method, host, path, req->query, req->num_query,
                      req->headers, req->num_headers, payload_hash};
  sigv4_credentials cr = {cfg->creds.access_key, cfg->creds.secret_key,
                          cfg->creds.session_token};
  sigv4_scope scope = {cfg->region, "s3"};
  time_t now = time(NULL) + (time_t)__atomic_load_n(&clock_offset, __ATOMIC_RELAXED);
  sigv4_signed sig;
  CY_RETURN_NOT_OK(sigv4_sign(&sr, &cr, &scope, now, &sig, err));
  size_t n = strlen(cfg->scheme) + strlen(host) + strlen(sig.path) + strlen(sig.query) + 8;
  char *url = malloc(n);
  struct curl_slist *headers = build_headers(req, host, &sig, payload_hash, &cfg->creds, err);
  if (url == NULL || headers == NULL) {
    free(url);
    free_headers(headers);
    sigv4_signed_reset(&sig);
    if (url == NULL) cy_error_set(err, "out of memory building an S3 request");
    return CY_ENOMEM;
  }
  snprintf(url, n, "%s://%s%s%s%s", cfg->scheme, host, sig.path, *sig.query ? "?" : "",
           sig.query);
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* keys may hold "/./": send them as signed */
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, cfg->stall_seconds);
  if (cfg->timeout_ms > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
  /* CURL_CA_BUNDLE, as the curl tool reads it: a binary packaged on another distribution
   * (deploy/aws/) has its libcurl's compiled-in CA path, which need not exist here. */
  const char *ca_bundle = getenv("CURL_CA_BUNDLE");
  if (ca_bundle && *ca_bundle) curl_easy_setopt(c, CURLOPT_CAINFO, ca_bundle);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(c, CURLOPT_READDATA, t);
  set_method(c, req);
  curl_err[0] = 0;
  *rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t->resp->status);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  free_headers(headers);
  free(url);
  sigv4_signed_reset(&sig);
  return CY_OK;
}

/* ---- classification and messages ---------------------------------------------------- */

typedef enum outcome { DONE, RETRY, AGAIN, FAIL } outcome; /* AGAIN: retry for free */

static bool retryable_curl(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
      return true;
    default:
      return false;
  }
}

static bool retryable_code(const char *code) {
  static const char *const codes[] = {"SlowDown", "InternalError", "RequestTimeout",
                                      "ServiceUnavailable", "Throttling",
                                      "ThrottlingException", "RequestLimitExceeded"};
  for (size_t i = 0; code && i < sizeof codes / sizeof codes[0]; i++)
    if (strcmp(code, codes[i]) == 0) return true;
  return false;
}

static char *error_field(const s3_response *r, const char *field) {
  if (r->body == NULL) return NULL;
  char path[32];
  snprintf(path, sizeof path, "Error/%s", field);
  return s3_xml_text(r->body, r->body_len, path);
}

static outcome classify(s3_config *cfg, const s3_request *req, CURLcode rc, transfer *t,
                        bool *region_moved) {
  s3_response *r = t->resp;
  if (t->filled) return DONE;
  if (t->overflow) return FAIL;
  if (rc != CURLE_OK) return retryable_curl(rc) ? RETRY : FAIL;
  long s = r->status;
  char *code = s / 100 == 2 ? NULL : error_field(r, "Code");
  if (s == 200 && req->dest == NULL && r->body && strstr(r->body, "<Error>"))
    code = error_field(r, "Code"); /* an error inside a 200 (CompleteMultipartUpload) */
  outcome o;
  if (s / 100 == 2 && code == NULL) {
    bool short_read = req->dest && r->received != req->dest_len;
    o = short_read ? RETRY : DONE;
  } else if (code && strcmp(code, "RequestTimeTooSkewed") == 0 && t->server_date > 0) {
    __atomic_store_n(&clock_offset, (int64_t)(t->server_date - time(NULL)), __ATOMIC_RELAXED);
    o = AGAIN;
  } else if (t->bucket_region[0] && cfg->host == NULL && !*region_moved &&
             strcmp(t->bucket_region, cfg->region) != 0 && (s == 301 || s == 400 || s == 403)) {
    char *region = strdup(t->bucket_region);
    if (region) {
      free(cfg->region);
      cfg->region = region;
    }
    *region_moved = true;
    o = region ? AGAIN : FAIL;
  } else {
    o = s >= 500 || s == 429 || s == 408 || retryable_code(code) ? RETRY : FAIL;
  }
  free(code);
  return o;
}

static cy_status status_for(long http) {
  if (http == 404) return CY_ENOENT;
  if (http == 400 || http == 411 || http == 416) return CY_EINVAL;
  return CY_EIO;
}

static void explain(const s3_request *req, CURLcode rc, const transfer *t, const char *curl_err,
                    int attempts, cy_error *err) {
  const s3_response *r = t->resp;
  char where[64] = "";
  if (attempts > 1) snprintf(where, sizeof where, ", after %d attempts", attempts);
  const char *what = req->what ? req->what : req->method;
  char name[1200];
  if (req->name) snprintf(name, sizeof name, "%s", req->name);
  else snprintf(name, sizeof name, "s3://%s/%s", req->bucket, req->key ? req->key : "");
  const char *key = req->key ? req->key : "";
  if (t->overflow) {
    cy_error_set(err, "%s: %s: the server answered with another range than asked for", name,
                 what);
  } else if (rc != CURLE_OK && !t->filled) {
    bool detail = curl_err[0] != 0;
    cy_error_set(err, "%s: %s: %s%s%s%s%s", name, what, curl_easy_strerror(rc),
                 detail ? " (" : "", curl_err, detail ? ")" : "", where);
  } else if (r->status / 100 == 2 && req->dest && r->received != req->dest_len) {
    cy_error_set(err, "%s: %s: the answer had %lld of %lld bytes%s", name, what,
                 (long long)r->received, (long long)req->dest_len, where);
  } else {
    char *code = error_field(r, "Code"), *msg = error_field(r, "Message");
    if (code == NULL && r->status == 404)
      code = strdup(*key ? "NoSuchKey" : "NoSuchBucket"); /* HEAD answers have no body */
    cy_error_set(err, "%s: %s: %s%s%s (HTTP %ld%s)", name, what,
                 code ? code : "error", msg ? ": " : "", msg ? msg : "", r->status, where);
    free(code);
    free(msg);
  }
}

/* Sleep before attempt `n` (n >= 1 failures so far). */
static void backoff(const s3_config *cfg, int n, unsigned *seed) {
  int64_t ms = cfg->retry_base_ms;
  for (int i = 1; i < n && ms < BACKOFF_CAP_MS; i++) ms *= 2;
  if (ms > BACKOFF_CAP_MS) ms = BACKOFF_CAP_MS;
  *seed = *seed * 1103515245u + 12345u;
  ms = ms / 2 + (ms > 1 ? (int64_t)((*seed >> 8) % (unsigned)(ms / 2 + 1)) : 0);
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

cy_status s3_call(s3_config *cfg, CURL *handle, const s3_request *req, s3_response *resp,
                  cy_error *err) {
  s3_response_reset(resp);
  CY_RETURN_NOT_OK(s3_global_init(err));
  char payload_hash[65];
  if (req->body_len > 0) sigv4_sha256_hex(req->body, (size_t)req->body_len, payload_hash);
  else memcpy(payload_hash, SIGV4_EMPTY_SHA256, sizeof payload_hash);
  char curl_err[CURL_ERROR_SIZE];
  unsigned seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)resp;
  bool region_moved = false;
  int failures = 0, free_tries = 0;
  for (;;) {
    char *host = NULL, *path = NULL;
    CY_RETURN_NOT_OK(s3_address(cfg, req->bucket, req->key ? req->key : "", &host, &path, err));
    transfer t;
    memset(&t, 0, sizeof t);
    t.curl = handle;
    t.req = req;
    t.resp = resp;
    s3_response_reset(resp);
    CURLcode rc = CURLE_OK;
    cy_status st = attempt(cfg, handle, req, host, path, payload_hash, &t, &rc, curl_err, err);
    free(host);
    free(path);
    if (st != CY_OK) return st;
    outcome o = classify(cfg, req, rc, &t, &region_moved);
    if (o == DONE) return CY_OK;
    if (o == AGAIN && ++free_tries <= 2) continue;
    if (o == RETRY && ++failures < cfg->max_attempts) {
      backoff(cfg, failures, &seed);
      continue;
    }
    explain(req, rc, &t, curl_err, failures + (o == RETRY ? 0 : 1), err);
    return rc != CURLE_OK && !t.filled ? CY_EIO : status_for(resp->status);
  }
}
