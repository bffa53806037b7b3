/*
 * fuzz_http.c - libFuzzer target for the HTTP/1.1 request-head parser of the local Lambda
 * host (src/serverless/http_server.c): any bytes must give OK, INCOMPLETE or BAD (with a
 * message), never a crash, and an OK head must lie within the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serverless/serverless_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  http_request req;
  cy_error err;
  http_parse_result r = http_parse_request((const char *)data, size, &req, &err);
  if (r == HTTP_PARSE_OK) {
    if (req.head_len > size || req.body_len > HTTP_MAX_BODY_BYTES || req.target[0] != '/')
      abort();
    (void)http_request_header(&req, "content-length");
  } else if (r == HTTP_PARSE_BAD) {
    if (!strstr(err.message, "malformed HTTP request")) abort();
  }
  return 0;
}
