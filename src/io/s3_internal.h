/*
 * s3_internal.h - the pieces of the S3 client (private to the io layer):
 *
 *   sigv4.c       AWS Signature Version 4 (sigv4.h)
 *   s3_creds.c    credentials: environment, shared credentials file, container endpoint
 *   s3_config.c   endpoint, addressing style, region and tuning from the environment;
 *                 s3:// URLs
 *   s3_xml.c      a small XML reader for S3's responses (errors, listings, uploads)
 *   s3_client.c   one signed request over libcurl, with retries and S3 error messages
 *   object_s3.c   cy_input (ranged GETs), cy_output (PUT or multipart upload), listing
 *                 (ListObjectsV2) and delete, on top of s3_client.c
 *
 * No message made here ever contains a secret key or a session token.
 */
#ifndef CYLON_IO_S3_INTERNAL_H
#define CYLON_IO_S3_INTERNAL_H

#include <curl/curl.h>

#include "io/object_store.h"
#include "io/sigv4.h"

/* ---- s3_creds.c ---- */

typedef struct s3_creds {
  char *access_key;
  char *secret_key;
  char *session_token; /* NULL for long-term keys */
  const char *source;  /* where they came from, for messages: "environment", ... */
} s3_creds;

/* Find credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), then
 * the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile
 * AWS_PROFILE or "default"), then the container credentials endpoint
 * (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI). */
cy_status s3_creds_resolve(s3_creds *out, cy_error *err);
void s3_creds_reset(s3_creds *c);
/* Forget cached container credentials (tests). */
void s3_creds_clear_cache(void);

/* ---- s3_config.c ---- */

typedef struct s3_config {
  char *scheme;        /* "https" or "http" */
  char *host;          /* endpoint host[:port], or NULL for AWS's own endpoints */
  char *base_path;     /* a path the endpoint URL had ("" or "/prefix") */
  bool path_style;     /* http://host/bucket/key rather than http://bucket.host/key */
  char *region;
  s3_creds creds;
  int max_attempts;    /* tries per request, >= 1 */
  int64_t retry_base_ms;
  long stall_seconds;  /* a transfer slower than 1 byte/s this long is a timeout */
  long timeout_ms;     /* whole-request limit; 0 = none */
  int64_t part_bytes;  /* multipart part size */
  int list_page;       /* max-keys per ListObjectsV2 page */
} s3_config;

/* The settings from the environment (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION,
 * AWS_DEFAULT_REGION, AWS_MAX_ATTEMPTS, CYLON_S3_*) and credentials. */
cy_status s3_config_load(s3_config *cfg, cy_error *err);
void s3_config_reset(s3_config *cfg);

/* s3://BUCKET/KEY split in two; the key may be empty (a whole bucket). */
typedef struct s3_location {
  char *bucket;
  char *key;
} s3_location;

cy_status s3_location_parse(const char *url, s3_location *out, cy_error *err);
void s3_location_reset(s3_location *loc);

/* The Host header and the unencoded path of a request for bucket and key (key may be ""). */
cy_status s3_address(const s3_config *cfg, const char *bucket, const char *key, char **host,
                     char **path, cy_error *err);

/* ---- s3_xml.c ---- */

/* Called for each element that closes, with its path from the root ("Error/Code") and
 * its decoded text (only the text directly inside it; "" for elements with children).
 * Returning false stops the parse. */
typedef bool (*s3_xml_visit)(void *ctx, const char *path, const char *text, size_t len);

/* Parse an XML document; false when it is malformed (or the visitor stopped). */
bool s3_xml_parse(const char *doc, size_t len, s3_xml_visit visit, void *ctx);
/* The decoded text of the first element at path, as a new string, or NULL. */
char *s3_xml_text(const char *doc, size_t len, const char *path);

/* ---- s3_client.c ---- */

/* One request. The body (PUT, POST) is sent as it is; the response body goes to dest
 * (exactly dest_len bytes expected: ranged reads) or, when dest is NULL or the response
 * is an error, into s3_response.body. */
typedef struct s3_request {
  const char *method;
  const char *bucket;
  const char *key;          /* "" for bucket-level requests */
  const sigv4_pair *query;
  int num_query;
  const sigv4_pair *headers; /* signed and sent */
  int num_headers;
  const void *body;
  int64_t body_len;
  void *dest;
  int64_t dest_len;
  int64_t dest_skip;         /* bytes to drop first when a ranged GET comes back whole */
  const char *what;          /* what is being done, for messages ("reading 10 bytes at 0") */
  const char *name;          /* the URL for messages; NULL: s3://bucket/key */
} s3_request;

typedef struct s3_response {
  long status;
  char *body; /* NUL-terminated */
  size_t body_len;
  char etag[256];
  int64_t range_start, range_end, total_size; /* Content-Range, or -1 */
  int64_t received; /* bytes written to dest */
} s3_response;

void s3_response_reset(s3_response *r);

/* Curl's process-wide set-up, done once. */
cy_status s3_global_init(cy_error *err);

/* Send req with retries (5xx, 429, throttling, resets, timeouts) and fill resp. CY_OK for
 * a 2xx answer; otherwise err names the bucket and key, the S3 error code and message
 * and the HTTP status, and the status is CY_ENOENT (404), CY_EINVAL (4xx on bad input)
 * or CY_EIO. handle is a curl easy handle used by one thread at a time. */
cy_status s3_call(s3_config *cfg, CURL *handle, const s3_request *req, s3_response *resp,
                  cy_error *err);

#endif
