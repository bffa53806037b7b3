/*
 * http_server.c - a strict parser for the head of an HTTP/1.1 request (RFC 9112), for the
 * local Lambda host. Anything it does not understand is refused (400) rather than guessed
 * at: the host faces only local clients, but a parser that guesses is how request
 * smuggling and crashes start. Fuzzed by fuzz/fuzz_http.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "serverless/serverless_internal.h"

/* RFC 9110 tchar. */
static bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A visible ASCII character of a request target. */
static bool is_target_char(unsigned char c) { return c > 0x20 && c < 0x7f; }

/* Field values: visible characters, spaces, tabs and obs-text; never CR, LF or NUL. */
static bool is_value_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

static http_parse_result bad(cy_error *err, const char *what, size_t line) {
  cy_error_set(err, "malformed HTTP request: %s (line %zu)", what, line);
  return HTTP_PARSE_BAD;
}

const char *http_request_header(const http_request *req, const char *name) {
  for (int i = 0; i < req->num_headers; i++)
    if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
  return NULL;
}

http_parse_result http_parse_request(const char *data, size_t n, http_request *req,
                                     cy_error *err) {
  memset(req, 0, sizeof *req);
  /* The head ends at the first CRLF CRLF; until then, wait (up to the size limit). */
  const char *end = NULL;
  for (size_t i = 0; i + 3 < n; i++)
    if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') {
      end = data + i + 2; /* the head's last line ends here; the blank line follows */
      break;
    }
  if (!end) {
    if (n >= HTTP_MAX_HEAD_BYTES) return bad(err, "request head larger than 16 KiB", 1);
    /* A bare LF or a NUL early on is malformed whatever follows. */
    for (size_t i = 0; i < n; i++) {
      if (data[i] == '\0') return bad(err, "NUL byte in the request head", 1);
      if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
        return bad(err, "line not ended by CRLF", 1);
    }
    return HTTP_PARSE_INCOMPLETE;
  }
  if ((size_t)(end - data) + 2 > HTTP_MAX_HEAD_BYTES)
    return bad(err, "request head larger than 16 KiB", 1);
  req->head_len = (size_t)(end - data) + 2;

  const char *p = data;
  size_t line = 1;
  /* Request line: method SP target SP version CRLF. */
  size_t k = 0;
  while (p < end && is_tchar((unsigned char)*p)) {
    if (k + 1 >= sizeof req->method) return bad(err, "method too long", line);
    req->method[k++] = *p++;
  }
  if (k == 0 || p >= end || *p != ' ') return bad(err, "expected a method and one space", line);
  p++;
  k = 0;
  if (p >= end || *p != '/') return bad(err, "the target must start with '/'", line);
  while (p < end && is_target_char((unsigned char)*p)) {
    if (k + 1 >= sizeof req->target) return bad(err, "request target too long", line);
    req->target[k++] = *p++;
  }
  if (p >= end || *p != ' ') return bad(err, "expected one space after the target", line);
  p++;
  if (end - p < 10 || (memcmp(p, "HTTP/1.1\r\n", 10) != 0 && memcmp(p, "HTTP/1.0\r\n", 10) != 0))
    return bad(err, "expected HTTP/1.1 or HTTP/1.0 then CRLF", line);
  p += 10;

  bool have_length = false;
  while (p < end) {
    line++;
    const char *eol = p;
    while (eol < end && *eol != '\r') eol++;
    if (eol >= end || eol[1] != '\n') return bad(err, "line not ended by CRLF", line);
    if (*p == ' ' || *p == '\t') return bad(err, "obsolete line folding", line);
    const char *name = p;
    while (p < eol && is_tchar((unsigned char)*p)) p++;
    size_t name_len = (size_t)(p - name);
    if (name_len == 0 || p >= eol || *p != ':')
      return bad(err, "expected a header name and ':'", line);
    if (name_len >= sizeof req->headers[0].name) return bad(err, "header name too long", line);
    p++;
    while (p < eol && (*p == ' ' || *p == '\t')) p++;
    const char *value = p, *vend = eol;
    while (vend > value && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
    for (const char *q = value; q < vend; q++)
      if (!is_value_char((unsigned char)*q)) return bad(err, "control character in a header", line);
    size_t value_len = (size_t)(vend - value);
    if (value_len >= sizeof req->headers[0].value) return bad(err, "header value too long", line);
    if (req->num_headers >= HTTP_MAX_HEADERS) return bad(err, "more than 32 headers", line);
    memcpy(req->headers[req->num_headers].name, name, name_len);
    memcpy(req->headers[req->num_headers].value, value, value_len);
    const char *hv = req->headers[req->num_headers].value;
    const char *hn = req->headers[req->num_headers].name;
    req->num_headers++;
    if (strcasecmp(hn, "Transfer-Encoding") == 0)
      return bad(err, "Transfer-Encoding is not supported (send Content-Length)", line);
    if (strcasecmp(hn, "Content-Length") == 0) {
      if (have_length) return bad(err, "more than one Content-Length", line);
      have_length = true;
      if (!hv[0]) return bad(err, "empty Content-Length", line);
      size_t len = 0;
      for (const char *q = hv; *q; q++) {
        if (*q < '0' || *q > '9') return bad(err, "Content-Length is not a number", line);
        len = len * 10 + (size_t)(*q - '0');
        if (len > HTTP_MAX_BODY_BYTES) return bad(err, "body larger than 6 MB", line);
      }
      req->body_len = len;
    }
    p = eol + 2;
  }
  return HTTP_PARSE_OK;
}
