/*
 * test_http.c - the local Lambda host's HTTP request-head parser (http_server.c): what it
 * accepts, what it waits for, and what it refuses, each case written out by hand from
 * RFC 9112.
 */
#include <string.h>

#include "serverless/serverless_internal.h"
#include "test.h"

static http_parse_result parse(const char *text, http_request *req, cy_error *err) {
  return http_parse_request(text, strlen(text), req, err);
}

int main(void) {
  http_request req;
  cy_error err;

  const char *ok = "POST /2015-03-31/functions/f/invocations?Qualifier=1 HTTP/1.1\r\n"
                   "Host: 127.0.0.1:9001\r\ncontent-length:  12 \r\n"
                   "X-Amz-Invocation-Type: Event\r\n\r\n{\"a\":1}";
  CHECK_EQ_INT(parse(ok, &req, &err), HTTP_PARSE_OK);
  CHECK_EQ_STR(req.method, "POST");
  CHECK_EQ_STR(req.target, "/2015-03-31/functions/f/invocations?Qualifier=1");
  CHECK_EQ_INT(req.num_headers, 3);
  CHECK_EQ_INT(req.body_len, 12);
  CHECK_EQ_INT(req.head_len, strlen(ok) - strlen("{\"a\":1}"));
  CHECK_EQ_STR(http_request_header(&req, "CONTENT-LENGTH"), "12");
  CHECK_EQ_STR(http_request_header(&req, "x-amz-invocation-type"), "Event");
  CHECK(http_request_header(&req, "Authorization") == NULL);

  CHECK_EQ_INT(parse("GET /next HTTP/1.0\r\n\r\n", &req, &err), HTTP_PARSE_OK);
  CHECK_EQ_INT(req.body_len, 0);

  /* Not all there yet. */
  CHECK_EQ_INT(parse("", &req, &err), HTTP_PARSE_INCOMPLETE);
  CHECK_EQ_INT(parse("GET / HTTP/1.1\r\nHost: x\r\n", &req, &err), HTTP_PARSE_INCOMPLETE);

  /* Refused, with the reason. */
  static const struct { const char *text, *reason; } bad[] = {
      {"GET / HTTP/1.1\nHost: x\r\n\r\n", "CRLF"},
      {"GET  / HTTP/1.1\r\n\r\n", "the target must start with '/'"},
      {"GET http://x/ HTTP/1.1\r\n\r\n", "the target must start with '/'"},
      {"G(T / HTTP/1.1\r\n\r\n", "expected a method"},
      {"GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 or HTTP/1.0"},
      {"GET / HTTP/1.1\r\n folded\r\n\r\n", "obsolete line folding"},
      {"GET / HTTP/1.1\r\nNo Colon\r\n\r\n", "header name"},
      {"GET / HTTP/1.1\r\nA: b\x01c\r\n\r\n", "control character"},
      {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", "more than one"},
      {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "not a number"},
      {"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", "larger than 6 MB"},
      {"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding"},
      {"GET / HTTP/1.1\r\nA\0: b\r\n\r\n", "header name"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    size_t n = strlen(bad[i].text);
    if (i == sizeof bad / sizeof *bad - 1) n = 26; /* the NUL case: past the NUL */
    err.message[0] = 0;
    http_parse_result r = http_parse_request(bad[i].text, n, &req, &err);
    if (r != HTTP_PARSE_BAD || !strstr(err.message, bad[i].reason)) {
      fprintf(stderr, "case %zu: expected BAD with \"%s\", got %d \"%s\"\n", i, bad[i].reason,
              (int)r, err.message);
      test_failures++;
    }
  }
  /* A head that never ends is refused at 16 KiB. */
  static char big[HTTP_MAX_HEAD_BYTES + 10];
  memset(big, 'a', sizeof big);
  memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
  CHECK_EQ_INT(http_parse_request(big, sizeof big, &req, &err), HTTP_PARSE_BAD);
  CHECK(strstr(err.message, "16 KiB") != NULL);
  TEST_MAIN_END();
}
