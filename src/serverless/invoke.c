/*
 * invoke.c - the Lambda Invoke API client (POST /2015-03-31/functions/NAME/invocations),
 * signed with SigV4 for service "lambda" with the S3 client's signer and credential chain.
 * The endpoint is https://lambda.REGION.amazonaws.com, or any other (`cylon lambda-local`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/s3_internal.h"
#include "io/sigv4.h"
#include "serverless/serverless_internal.h"

void cy_lambda_invoke_response_reset(cy_lambda_invoke_response *r) {
  free(r->body);
  memset(r, 0, sizeof *r);
}

cy_status cy_lambda_invoke(const cy_lambda_invoke_request *req, cy_lambda_invoke_response *out,
                           cy_error *err) {
  memset(out, 0, sizeof *out);
  const char *region = req->region;
  if (!region || !region[0]) region = getenv("AWS_REGION");
  if (!region || !region[0]) region = getenv("AWS_DEFAULT_REGION");
  if (!region || !region[0]) region = "us-east-1";
  char endpoint[512];
  if (req->endpoint && req->endpoint[0])
    snprintf(endpoint, sizeof endpoint, "%s", req->endpoint);
  else
    snprintf(endpoint, sizeof endpoint, "https://lambda.%s.amazonaws.com", region);
  size_t el = strlen(endpoint);
  while (el > 0 && endpoint[el - 1] == '/') endpoint[--el] = 0;
  const char *host = strstr(endpoint, "://");
  if (!host || !host[3] || strchr(host + 3, '/')) {
    cy_error_set(err, "bad Lambda endpoint \"%s\": expected http[s]://HOST[:PORT]", endpoint);
    return EINVAL;
  }
  host += 3;
  if (!req->function || !req->function[0] || strlen(req->function) > 140) {
    cy_error_set(err, "no function name to invoke");
    return EINVAL;
  }
  s3_creds creds;
  CY_RETURN_NOT_OK(s3_creds_resolve(&creds, err));
  char path[256];
  snprintf(path, sizeof path, "/2015-03-31/functions/%s/invocations", req->function);
  char payload_hash[65];
  sigv4_sha256_hex(req->payload ? req->payload : "", req->payload_len, payload_hash);
  const char *type = req->asynchronous ? "Event" : "RequestResponse";
  sigv4_pair signed_headers[1] = {{"x-amz-invocation-type", type}};
  sigv4_request sr = {.method = "POST", .host = host, .path = path,
                      .headers = signed_headers, .num_headers = 1,
                      .payload_hash = payload_hash};
  sigv4_credentials sc = {creds.access_key, creds.secret_key, creds.session_token};
  sigv4_scope scope = {region, "lambda"};
  sigv4_signed sig;
  memset(&sig, 0, sizeof sig);
  cy_status st = sigv4_sign(&sr, &sc, &scope, time(NULL), &sig, err);
  if (st != CY_OK) {
    s3_creds_reset(&creds);
    return st;
  }
  size_t url_len = strlen(endpoint) + strlen(sig.path) + 2;
  char *url = malloc(url_len);
  if (!url) {
    sigv4_signed_reset(&sig);
    s3_creds_reset(&creds);
    cy_error_set(err, "out of memory");
    return ENOMEM;
  }
  snprintf(url, url_len, "%s%s", endpoint, sig.path);
  http_header_pair h[6];
  int nh = 0;
  h[nh++] = (http_header_pair){"Content-Type", "application/json"};
  h[nh++] = (http_header_pair){"X-Amz-Invocation-Type", type};
  h[nh++] = (http_header_pair){"X-Amz-Date", sig.amz_date};
  h[nh++] = (http_header_pair){"X-Amz-Content-Sha256", payload_hash};
  h[nh++] = (http_header_pair){"Authorization", sig.authorization};
  if (sc.session_token && sc.session_token[0])
    h[nh++] = (http_header_pair){"X-Amz-Security-Token", sc.session_token};
  http_reply reply;
  int64_t timeout = req->timeout_ms > 0 ? req->timeout_ms : 15 * 60 * 1000 + 30000;
  st = http_call("POST", url, h, nh, req->payload ? req->payload : "", req->payload_len,
                 timeout, &reply, err);
  sigv4_signed_reset(&sig);
  s3_creds_reset(&creds);
  if (st != CY_OK) {
    free(url);
    return st;
  }
  out->status = reply.status;
  out->function_error = http_reply_header(&reply, "X-Amz-Function-Error") != NULL;
  if (reply.status < 200 || reply.status > 299) {
    const char *etype = http_reply_header(&reply, "X-Amzn-ErrorType");
    cy_error_set(err, "invoking %s at %s: %ld %s: %.300s", req->function, endpoint,
                 reply.status, etype ? etype : "", reply.body);
    st = reply.status == 429 ? EAGAIN : reply.status == 404 ? ENOENT
         : reply.status == 403 ? EACCES : EIO;
  } else {
    out->body = reply.body;
    out->body_len = reply.body_len;
    reply.body = NULL;
  }
  free(url);
  http_reply_reset(&reply);
  return st;
}
