/*
 * sigv4.c - AWS Signature Version 4, written from AWS's published description of it
 * ("Authenticating Requests (AWS Signature Version 4)" in the Amazon S3 API reference).
 *
 *   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
 *                      SignedHeaders \n HashedPayload
 *   StringToSign     = "AWS4-HMAC-SHA256" \n amz-date \n date/region/service/aws4_request \n
 *                      hex(SHA256(CanonicalRequest))
 *   SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 *                           "aws4_request")
 *   Signature        = hex(HMAC(SigningKey, StringToSign))
 *
 * S3's canonical URI is the path encoded once (other services encode it twice); names and
 * values of the query are encoded with '/' encoded too, and sorted by name, then value; a
 * bare parameter ("?uploads") has an empty value ("uploads="). Header names are lower-cased,
 * values trimmed with inner runs of blanks collapsed to one space, and headers sorted by
 * name (repeated names joined with commas). HMAC and SHA-256 come from OpenSSL's libcrypto.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "io/sigv4.h"

#define ALGORITHM "AWS4-HMAC-SHA256"

/* ---- a growing string ---------------------------------------------------------------- */

typedef struct strbuf {
  char *p;
  size_t len, cap;
  bool oom;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *grown = realloc(b->p, cap);
    if (grown == NULL) {
      b->oom = true;
      return;
    }
    b->p = grown;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
}

static void sb_str(strbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

static void sb_encoded(strbuf *b, const char *s, bool keep_slash) {
  size_t n = strlen(s);
  char *tmp = malloc(3 * n + 1);
  if (tmp == NULL) {
    b->oom = true;
    return;
  }
  size_t m = sigv4_uri_encode(s, n, keep_slash, tmp);
  sb_put(b, tmp, m);
  free(tmp);
}

/* The string, owned by the caller (an empty string rather than NULL). */
static char *sb_take(strbuf *b) {
  if (b->p == NULL && !b->oom) sb_put(b, "", 0);
  char *p = b->p;
  b->p = NULL;
  return b->oom ? (free(p), NULL) : p;
}

/* ---- primitives ----------------------------------------------------------------------- */

size_t sigv4_uri_encode(const char *s, size_t n, bool keep_slash, char *out) {
  static const char hex[] = "0123456789ABCDEF";
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash);
    if (plain) {
      out[k++] = (char)c;
    } else {
      out[k++] = '%';
      out[k++] = hex[c >> 4];
      out[k++] = hex[c & 15];
    }
  }
  out[k] = 0;
  return k;
}

static void to_hex(const unsigned char *d, size_t n, char *out) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  out[2 * n] = 0;
}

void sigv4_sha256_hex(const void *data, size_t n, char out[65]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
  to_hex(md, 32, out);
}

static void hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32]) {
  unsigned int len = 32;
  HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), out, &len);
}

void sigv4_amz_date(time_t when, char out[17]) {
  struct tm tm;
  gmtime_r(&when, &tm);
  /* strftime rather than snprintf: its field widths are bounded by the format. */
  if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16) out[0] = 0;
}

/* ---- canonical parts ------------------------------------------------------------------ */

/* One query parameter or header after encoding / canonicalisation. */
typedef struct item {
  char *name;
  char *value;
} item;

static int by_name_value(const void *x, const void *y) {
  const item *a = x, *b = y;
  int c = strcmp(a->name, b->name);
  return c ? c : strcmp(a->value, b->value);
}

static void items_free(item *items, int n) {
  for (int i = 0; items && i < n; i++) {
    free(items[i].name);
    free(items[i].value);
  }
  free(items);
}

static char *encode(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(3 * n + 1);
  if (out) sigv4_uri_encode(s, n, false, out);
  return out;
}

/* "a=1&b=2": parameters encoded, sorted by name then value. NULL when out of memory. */
static char *canonical_query(const sigv4_pair *q, int n) {
  item *items = calloc((size_t)(n > 0 ? n : 1), sizeof(item));
  if (items == NULL) return NULL;
  bool oom = false;
  for (int i = 0; i < n && !oom; i++) {
    items[i].name = encode(q[i].name);
    items[i].value = encode(q[i].value ? q[i].value : "");
    oom = !items[i].name || !items[i].value;
  }
  strbuf b = {0};
  if (!oom) {
    qsort(items, (size_t)n, sizeof(item), by_name_value);
    for (int i = 0; i < n; i++) {
      if (i) sb_str(&b, "&");
      sb_str(&b, items[i].name);
      sb_str(&b, "=");
      sb_str(&b, items[i].value);
    }
  }
  items_free(items, n);
  if (oom) return NULL;
  return sb_take(&b);
}

/* A header value trimmed, with runs of blanks (and line breaks) made one space. */
static char *trim_value(const char *v) {
  size_t n = strlen(v);
  char *out = malloc(n + 1);
  if (out == NULL) return NULL;
  size_t k = 0;
  bool blank = false;
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      blank = k > 0;
      continue;
    }
    if (blank) out[k++] = ' ';
    blank = false;
    out[k++] = c;
  }
  out[k] = 0;
  return out;
}

static char *lower(const char *s) {
  char *out = strdup(s);
  for (char *p = out; p && *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  return out;
}

/* The canonical header block ("name:value\n" each) and the signed header list. */
static cy_status canonical_headers(const sigv4_pair *h, int n, char **block, char **list,
                                   cy_error *err) {
  item *items = calloc((size_t)(n > 0 ? n : 1), sizeof(item));
  bool oom = items == NULL;
  for (int i = 0; i < n && !oom; i++) {
    items[i].name = lower(h[i].name);
    items[i].value = trim_value(h[i].value ? h[i].value : "");
    oom = !items[i].name || !items[i].value;
  }
  strbuf b = {0}, l = {0};
  if (!oom) {
    /* Stable order for repeated names: sort by name, keeping the given order of values. */
    for (int i = 1; i < n; i++)
      for (int j = i; j > 0 && strcmp(items[j - 1].name, items[j].name) > 0; j--) {
        item t = items[j];
        items[j] = items[j - 1];
        items[j - 1] = t;
      }
    for (int i = 0; i < n; i++) {
      bool repeat = i > 0 && strcmp(items[i - 1].name, items[i].name) == 0;
      if (repeat) {
        b.len--; /* drop the newline: the value joins the previous one */
        sb_str(&b, ",");
      } else {
        if (i) sb_str(&l, ";");
        sb_str(&l, items[i].name);
        sb_str(&b, items[i].name);
        sb_str(&b, ":");
      }
      sb_str(&b, items[i].value);
      sb_str(&b, "\n");
    }
  }
  if (items) items_free(items, n);
  *block = sb_take(&b);
  *list = sb_take(&l);
  if (oom || !*block || !*list) {
    free(*block);
    free(*list);
    *block = *list = NULL;
    cy_error_set(err, "out of memory signing a request");
    return CY_ENOMEM;
  }
  return CY_OK;
}

/* ---- signing -------------------------------------------------------------------------- */

void sigv4_signed_reset(sigv4_signed *s) {
  free(s->path);
  free(s->query);
  free(s->canonical_request);
  free(s->string_to_sign);
  free(s->signed_headers);
  free(s->authorization);
  memset(s, 0, sizeof(*s));
}

/* The headers to sign: the request's plus host, x-amz-content-sha256, x-amz-date and the
 * token (for header signing; presigning signs host and the request's only). */
static sigv4_pair *headers_to_sign(const sigv4_request *req, const sigv4_credentials *c,
                                   const char *amz_date, bool presign, int *count) {
  sigv4_pair *h = malloc((size_t)(req->num_headers + 4) * sizeof(sigv4_pair));
  if (h == NULL) return NULL;
  int n = 0;
  h[n++] = (sigv4_pair){"host", req->host};
  if (!presign) {
    h[n++] = (sigv4_pair){"x-amz-content-sha256", req->payload_hash};
    h[n++] = (sigv4_pair){"x-amz-date", amz_date};
    if (c->session_token && *c->session_token)
      h[n++] = (sigv4_pair){"x-amz-security-token", c->session_token};
  }
  for (int i = 0; i < req->num_headers; i++) h[n++] = req->headers[i];
  *count = n;
  return h;
}

/* Canonical request, string to sign and signature from the parts made so far. */
static cy_status finish(const sigv4_request *req, const sigv4_credentials *creds,
                        const sigv4_scope *scope, const char *headers_block,
                        const char *payload_hash, sigv4_signed *out, cy_error *err) {
  char date[9];
  memcpy(date, out->amz_date, 8);
  date[8] = 0;
  strbuf cr = {0};
  sb_str(&cr, req->method);
  sb_str(&cr, "\n");
  sb_str(&cr, out->path);
  sb_str(&cr, "\n");
  sb_str(&cr, out->query);
  sb_str(&cr, "\n");
  sb_str(&cr, headers_block);
  sb_str(&cr, "\n");
  sb_str(&cr, out->signed_headers);
  sb_str(&cr, "\n");
  sb_str(&cr, payload_hash);
  out->canonical_request = sb_take(&cr);
  if (out->canonical_request == NULL) goto oom;

  char hash[65];
  sigv4_sha256_hex(out->canonical_request, strlen(out->canonical_request), hash);
  strbuf ss = {0};
  sb_str(&ss, ALGORITHM "\n");
  sb_str(&ss, out->amz_date);
  sb_str(&ss, "\n");
  sb_str(&ss, date);
  sb_str(&ss, "/");
  sb_str(&ss, scope->region);
  sb_str(&ss, "/");
  sb_str(&ss, scope->service);
  sb_str(&ss, "/aws4_request\n");
  sb_str(&ss, hash);
  out->string_to_sign = sb_take(&ss);
  if (out->string_to_sign == NULL) goto oom;

  /* "AWS4" + secret: a short stack buffer would cut long secrets, so allocate. */
  size_t secret_len = strlen(creds->secret_key);
  char *k0 = malloc(secret_len + 5);
  if (k0 == NULL) goto oom;
  memcpy(k0, "AWS4", 4);
  memcpy(k0 + 4, creds->secret_key, secret_len + 1);
  unsigned char k1[32], k2[32], k3[32], key[32], sig[32];
  hmac(k0, secret_len + 4, date, k1);
  OPENSSL_cleanse(k0, secret_len + 4);
  free(k0);
  hmac(k1, 32, scope->region, k2);
  hmac(k2, 32, scope->service, k3);
  hmac(k3, 32, "aws4_request", key);
  hmac(key, 32, out->string_to_sign, sig);
  OPENSSL_cleanse(key, sizeof key);
  to_hex(sig, 32, out->signature);
  return CY_OK;
oom:
  cy_error_set(err, "out of memory signing a request");
  return CY_ENOMEM;
}

static cy_status check_request(const sigv4_request *req, const sigv4_credentials *c,
                               cy_error *err) {
  if (!req->method || !req->host || !req->path || req->path[0] != '/' || !c->access_key ||
      !c->secret_key || !*c->access_key) {
    cy_error_set(err, "cannot sign a request without a method, host, path and credentials");
    return CY_EINVAL;
  }
  return CY_OK;
}

cy_status sigv4_sign(const sigv4_request *req, const sigv4_credentials *creds,
                     const sigv4_scope *scope, time_t when, sigv4_signed *out, cy_error *err) {
  memset(out, 0, sizeof(*out));
  CY_RETURN_NOT_OK(check_request(req, creds, err));
  sigv4_amz_date(when, out->amz_date);
  const char *payload = req->payload_hash ? req->payload_hash : SIGV4_EMPTY_SHA256;
  sigv4_request r = *req;
  r.payload_hash = payload;
  int nh = 0;
  sigv4_pair *h = headers_to_sign(&r, creds, out->amz_date, false, &nh);
  char *block = NULL;
  cy_status st = h ? CY_OK : CY_ENOMEM;
  if (st == CY_OK) st = canonical_headers(h, nh, &block, &out->signed_headers, err);
  free(h);
  if (st == CY_OK) {
    strbuf p = {0};
    sb_encoded(&p, req->path, true);
    out->path = sb_take(&p);
    out->query = canonical_query(req->query, req->num_query);
    st = out->path && out->query ? CY_OK : CY_ENOMEM;
  }
  if (st == CY_OK) st = finish(&r, creds, scope, block, payload, out, err);
  free(block);
  if (st == CY_OK) {
    strbuf a = {0};
    char date[9];
    memcpy(date, out->amz_date, 8);
    date[8] = 0;
    sb_str(&a, ALGORITHM " Credential=");
    sb_str(&a, creds->access_key);
    sb_str(&a, "/");
    sb_str(&a, date);
    sb_str(&a, "/");
    sb_str(&a, scope->region);
    sb_str(&a, "/");
    sb_str(&a, scope->service);
    sb_str(&a, "/aws4_request,SignedHeaders=");
    sb_str(&a, out->signed_headers);
    sb_str(&a, ",Signature=");
    sb_str(&a, out->signature);
    out->authorization = sb_take(&a);
    if (out->authorization == NULL) st = CY_ENOMEM;
  }
  if (st != CY_OK) {
    if (st == CY_ENOMEM) cy_error_set(err, "out of memory signing a request");
    sigv4_signed_reset(out);
  }
  return st;
}

cy_status sigv4_presign(const sigv4_request *req, const sigv4_credentials *creds,
                        const sigv4_scope *scope, time_t when, int64_t expires,
                        sigv4_signed *out, cy_error *err) {
  memset(out, 0, sizeof(*out));
  CY_RETURN_NOT_OK(check_request(req, creds, err));
  if (expires < 1 || expires > 604800) {
    cy_error_set(err, "a presigned URL lasts 1 to 604800 seconds, not %lld", (long long)expires);
    return CY_EINVAL;
  }
  sigv4_amz_date(when, out->amz_date);
  const char *payload = req->payload_hash ? req->payload_hash : SIGV4_UNSIGNED_PAYLOAD;
  int nh = 0;
  sigv4_pair *h = headers_to_sign(req, creds, out->amz_date, true, &nh);
  char *block = NULL;
  cy_status st = h ? CY_OK : CY_ENOMEM;
  if (st == CY_OK) st = canonical_headers(h, nh, &block, &out->signed_headers, err);
  free(h);
  /* The X-Amz-* parameters join the request's own query and are signed with it. */
  char date[9], credential[512], expiry[24];
  memcpy(date, out->amz_date, 8);
  date[8] = 0;
  snprintf(credential, sizeof credential, "%s/%s/%s/%s/aws4_request", creds->access_key, date,
           scope->region, scope->service);
  snprintf(expiry, sizeof expiry, "%lld", (long long)expires);
  int nq = req->num_query;
  sigv4_pair *q = malloc((size_t)(nq + 6) * sizeof(sigv4_pair));
  if (q == NULL) st = CY_ENOMEM;
  if (st == CY_OK) {
    if (nq) memcpy(q, req->query, (size_t)nq * sizeof(sigv4_pair));
    q[nq++] = (sigv4_pair){"X-Amz-Algorithm", ALGORITHM};
    q[nq++] = (sigv4_pair){"X-Amz-Credential", credential};
    q[nq++] = (sigv4_pair){"X-Amz-Date", out->amz_date};
    q[nq++] = (sigv4_pair){"X-Amz-Expires", expiry};
    if (creds->session_token && *creds->session_token)
      q[nq++] = (sigv4_pair){"X-Amz-Security-Token", creds->session_token};
    q[nq++] = (sigv4_pair){"X-Amz-SignedHeaders", out->signed_headers};
    strbuf p = {0};
    sb_encoded(&p, req->path, true);
    out->path = sb_take(&p);
    out->query = canonical_query(q, nq);
    st = out->path && out->query ? CY_OK : CY_ENOMEM;
  }
  free(q);
  if (st == CY_OK) st = finish(req, creds, scope, block, payload, out, err);
  free(block);
  if (st == CY_OK) {
    strbuf full = {0};
    sb_str(&full, out->query);
    sb_str(&full, "&X-Amz-Signature=");
    sb_str(&full, out->signature);
    char *query = sb_take(&full);
    if (query == NULL) {
      st = CY_ENOMEM;
    } else {
      free(out->query);
      out->query = query;
    }
  }
  if (st != CY_OK) {
    if (st == CY_ENOMEM) cy_error_set(err, "out of memory signing a request");
    sigv4_signed_reset(out);
  }
  return st;
}
