/*
 * sigv4.h - AWS Signature Version 4 (private to the io layer): the signer of every S3
 * request, and of presigned URLs.
 *
 * A request is described by its method, Host header, unencoded path and query, the extra
 * headers to sign and the payload hash; the signer encodes the path and query the way
 * AWS's UriEncode does, builds the canonical request, the string to sign and the signing
 * key, and returns the headers to send (x-amz-date, x-amz-content-sha256,
 * x-amz-security-token, Authorization) along with the intermediate strings, which the
 * tests compare with AWS's published examples and with the official npm signer.
 *
 * Nothing the signer returns contains the secret key: only the access key id (in the
 * credential scope) and, when given, the session token (which is a header to send).
 */
#ifndef CYLON_IO_SIGV4_H
#define CYLON_IO_SIGV4_H

#include <time.h>

#include "cylon/core.h"

/* The SHA-256 of no bytes, the payload hash of a request without a body. */
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* A header or query parameter: unencoded name and value. */
typedef struct sigv4_pair {
  const char *name;
  const char *value;
} sigv4_pair;

typedef struct sigv4_request {
  const char *method;        /* "GET", "PUT", ... */
  const char *host;          /* the Host header as sent: "b.s3.amazonaws.com", "127.0.0.1:9000" */
  const char *path;          /* unencoded, starting with '/': "/bucket/my key.csv" */
  const sigv4_pair *query;   /* unencoded; a bare name ("?uploads") has value "" */
  int num_query;
  const sigv4_pair *headers; /* more headers to sign (range, date, x-amz-*), any case */
  int num_headers;
  const char *payload_hash;  /* lowercase hex SHA-256 of the body, or UNSIGNED-PAYLOAD */
} sigv4_request;

typedef struct sigv4_credentials {
  const char *access_key;
  const char *secret_key;
  const char *session_token; /* NULL or "" when the credentials are long-term */
} sigv4_credentials;

/* Where a signature is valid: region and service ("s3"). */
typedef struct sigv4_scope {
  const char *region;
  const char *service;
} sigv4_scope;

/* A signed request. Every string is owned (free with sigv4_signed_reset). */
typedef struct sigv4_signed {
  char amz_date[17];        /* "20130524T000000Z" */
  char signature[65];       /* lowercase hex */
  char *path;               /* the encoded path, to put in the URL */
  char *query;              /* the canonical (encoded, sorted) query, to put in the URL;
                               for a presigned request it ends with X-Amz-Signature */
  char *canonical_request;
  char *string_to_sign;
  char *signed_headers;     /* "host;range;x-amz-content-sha256;x-amz-date" */
  char *authorization;      /* the Authorization header's value (NULL when presigned) */
} sigv4_signed;

/* Sign req at time `when` for an Authorization header. The signed headers are host,
 * x-amz-content-sha256 (req->payload_hash), x-amz-date, x-amz-security-token (when the
 * credentials have a token) and req->headers. */
cy_status sigv4_sign(const sigv4_request *req, const sigv4_credentials *creds,
                     const sigv4_scope *scope, time_t when, sigv4_signed *out, cy_error *err);

/* Sign req as a presigned URL valid for `expires` seconds (1 .. 604800): the X-Amz-*
 * parameters go into the query, the payload is UNSIGNED-PAYLOAD unless req says
 * otherwise, and out->query is the whole query string to append after '?'. */
cy_status sigv4_presign(const sigv4_request *req, const sigv4_credentials *creds,
                        const sigv4_scope *scope, time_t when, int64_t expires,
                        sigv4_signed *out, cy_error *err);

void sigv4_signed_reset(sigv4_signed *s);

/* AWS's UriEncode of n bytes into out (room for 3 * n + 1): unreserved characters
 * (A-Z a-z 0-9 - . _ ~) as they are, '/' kept when keep_slash, every other byte as %XX
 * with upper-case hex. Returns the length written (out is NUL-terminated). */
size_t sigv4_uri_encode(const char *s, size_t n, bool keep_slash, char *out);

/* Lowercase hex SHA-256 of n bytes. */
void sigv4_sha256_hex(const void *data, size_t n, char out[65]);

/* "20130524T000000Z" for a time. */
void sigv4_amz_date(time_t when, char out[17]);

#endif
