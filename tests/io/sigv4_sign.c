/*
 * sigv4_sign.c - sign one request described on the command line with cylon's SigV4
 * signer and print the result as JSON, for tests/oracle/sigv4_diff.mjs to compare with
 * the official AWS signer (@smithy/signature-v4).
 *
 *   sigv4_sign --method M --host H --path /RAW/PATH --time EPOCH_SECONDS
 *              --region R --service S --access-key AK --secret-key SK [--token T]
 *              [--query NAME=VALUE]... [--header NAME:VALUE]...
 *              [--payload-hash HEX | --payload TEXT] [--presign EXPIRES]
 *
 * Paths, query names and values are given unencoded (the signer encodes them). Without a
 * payload the hash is that of no bytes (UNSIGNED-PAYLOAD when presigning).
 *
 * Output: {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token",
 * "path", "query", "canonicalRequest", "stringToSign", "signature"} (absent fields are
 * null). Exit status 0 when signed, 1 when the signer refused, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/sigv4.h"

#define MAX_PAIRS 64

static void json_string(const char *s) {
  if (s == NULL) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p == '\n') fputs("\\n", stdout);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

static void field(const char *name, const char *value, bool last) {
  json_string(name);
  putchar(':');
  json_string(value);
  fputs(last ? "}\n" : ",", stdout);
}

static int usage(void) {
  fprintf(stderr, "usage: sigv4_sign --method M --host H --path P --time T --region R "
                  "--service S --access-key AK --secret-key SK [--token T] [--query N=V]... "
                  "[--header N:V]... [--payload-hash H | --payload TEXT] [--presign SECONDS]\n");
  return 2;
}

/* Split "name<sep>value" in place. */
static bool split(char *arg, char sep, sigv4_pair *out) {
  char *at = strchr(arg, sep);
  if (at == NULL) return false;
  *at = 0;
  out->name = arg;
  out->value = at + 1;
  return true;
}

int main(int argc, char **argv) {
  sigv4_request req = {0};
  sigv4_credentials creds = {0};
  sigv4_scope scope = {0};
  sigv4_pair query[MAX_PAIRS], headers[MAX_PAIRS];
  long long when = 0, presign = 0;
  char hash[65];
  req.query = query;
  req.headers = headers;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) return usage();
    char *v = argv[++i];
    if (strcmp(a, "--method") == 0) req.method = v;
    else if (strcmp(a, "--host") == 0) req.host = v;
    else if (strcmp(a, "--path") == 0) req.path = v;
    else if (strcmp(a, "--time") == 0) when = atoll(v);
    else if (strcmp(a, "--region") == 0) scope.region = v;
    else if (strcmp(a, "--service") == 0) scope.service = v;
    else if (strcmp(a, "--access-key") == 0) creds.access_key = v;
    else if (strcmp(a, "--secret-key") == 0) creds.secret_key = v;
    else if (strcmp(a, "--token") == 0) creds.session_token = v;
    else if (strcmp(a, "--payload-hash") == 0) req.payload_hash = v;
    else if (strcmp(a, "--presign") == 0) presign = atoll(v);
    else if (strcmp(a, "--payload") == 0) {
      sigv4_sha256_hex(v, strlen(v), hash);
      req.payload_hash = hash;
    } else if (strcmp(a, "--query") == 0 && req.num_query < MAX_PAIRS) {
      if (!split(v, '=', &query[req.num_query++])) return usage();
    } else if (strcmp(a, "--header") == 0 && req.num_headers < MAX_PAIRS) {
      if (!split(v, ':', &headers[req.num_headers++])) return usage();
    } else {
      return usage();
    }
  }
  if (!scope.region || !scope.service) return usage();
  cy_error err;
  sigv4_signed s;
  cy_status st = presign ? sigv4_presign(&req, &creds, &scope, (time_t)when, presign, &s, &err)
                         : sigv4_sign(&req, &creds, &scope, (time_t)when, &s, &err);
  if (st != CY_OK) {
    fprintf(stderr, "sigv4_sign: %s\n", err.message);
    return 1;
  }
  const char *payload = req.payload_hash ? req.payload_hash
                        : presign         ? SIGV4_UNSIGNED_PAYLOAD
                                          : SIGV4_EMPTY_SHA256;
  putchar('{');
  field("authorization", s.authorization, false);
  field("x-amz-date", presign ? NULL : s.amz_date, false);
  field("x-amz-content-sha256", presign ? NULL : payload, false);
  field("x-amz-security-token", presign ? NULL : creds.session_token, false);
  field("path", s.path, false);
  field("query", s.query, false);
  field("canonicalRequest", s.canonical_request, false);
  field("stringToSign", s.string_to_sign, false);
  field("signature", s.signature, true);
  sigv4_signed_reset(&s);
  return 0;
}
