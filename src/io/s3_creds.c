/*
 * s3_creds.c - where S3 credentials come from, in the order the AWS SDKs use:
 *
 *   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, for temporary
 *      credentials, AWS_SESSION_TOKEN (what AWS Lambda gives a function);
 *   2. the shared credentials file: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
 *      section AWS_PROFILE (or "default"): aws_access_key_id, aws_secret_access_key,
 *      aws_session_token;
 *   3. the container credentials endpoint (ECS, EKS Pod Identity, and anything that
 *      imitates them): http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, or
 *      AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback or the link-local
 *      container hosts only), with the Authorization header from
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN. It
 *      answers JSON {AccessKeyId, SecretAccessKey, Token, Expiration}; the answer is cached
 *      for the process until five minutes before it expires.
 *
 * Messages say which source was used or what was missing, never a key's value.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/s3_internal.h"

#define CONTAINER_HOST "http://169.254.170.2"
#define REFRESH_MARGIN 300 /* seconds before expiry when cached credentials are renewed */

void s3_creds_reset(s3_creds *c) {
  /* Wipe the secret before freeing, so it does not linger in freed memory. */
  if (c->secret_key) memset(c->secret_key, 0, strlen(c->secret_key));
  if (c->session_token) memset(c->session_token, 0, strlen(c->session_token));
  free(c->access_key);
  free(c->secret_key);
  free(c->session_token);
  memset(c, 0, sizeof(*c));
}

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

static cy_status set_creds(s3_creds *out, const char *ak, const char *sk, const char *tok,
                           const char *source, cy_error *err) {
  out->access_key = strdup(ak);
  out->secret_key = strdup(sk);
  out->session_token = tok && *tok ? strdup(tok) : NULL;
  out->source = source;
  if (!out->access_key || !out->secret_key || (tok && *tok && !out->session_token)) {
    s3_creds_reset(out);
    cy_error_set(err, "out of memory reading AWS credentials");
    return CY_ENOMEM;
  }
  return CY_OK;
}

/* ---- the shared credentials file ------------------------------------------------------ */

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  char *e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) *--e = 0;
  return s;
}

/* The keys of one profile. found: 0 = no file, 1 = file without the profile, 2 = found. */
typedef struct profile_keys {
  char ak[256], sk[256], tok[4096];
  int found;
} profile_keys;

static void read_profile(const char *path, const char *profile, profile_keys *k) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return;
  k->found = 1;
  char line[8192];
  bool in = false;
  while (fgets(line, sizeof line, f)) {
    char *s = trim(line);
    if (*s == '#' || *s == ';' || *s == 0) continue;
    if (*s == '[') {
      char *close = strchr(s, ']');
      if (close) *close = 0;
      char *name = trim(s + 1);
      if (strncmp(name, "profile ", 8) == 0) name = trim(name + 8);
      in = strcmp(name, profile) == 0;
      if (in) k->found = 2;
      continue;
    }
    char *eq = strchr(s, '=');
    if (!in || eq == NULL) continue;
    *eq = 0;
    char *key = trim(s), *value = trim(eq + 1);
    char *dst = strcmp(key, "aws_access_key_id") == 0       ? k->ak
                : strcmp(key, "aws_secret_access_key") == 0 ? k->sk
                : strcmp(key, "aws_session_token") == 0     ? k->tok
                                                            : NULL;
    size_t cap = dst == k->tok ? sizeof k->tok : sizeof k->ak;
    if (dst && strlen(value) < cap) memcpy(dst, value, strlen(value) + 1);
  }
  memset(line, 0, sizeof line);
  fclose(f);
}

/* 1 when found (out filled), 0 when this source has nothing, or an error status. */
static int from_file(s3_creds *out, cy_error *err) {
  const char *path = env("AWS_SHARED_CREDENTIALS_FILE");
  char home_path[4096];
  if (path == NULL) {
    const char *home = env("HOME");
    if (home == NULL) return 0;
    snprintf(home_path, sizeof home_path, "%s/.aws/credentials", home);
    path = home_path;
  }
  const char *profile = env("AWS_PROFILE");
  if (profile == NULL) profile = env("AWS_DEFAULT_PROFILE");
  bool named = profile != NULL;
  if (profile == NULL) profile = "default";
  profile_keys *k = calloc(1, sizeof(*k));
  if (k == NULL) {
    cy_error_set(err, "out of memory reading AWS credentials");
    return -CY_ENOMEM;
  }
  read_profile(path, profile, k);
  int rc = 0;
  if (k->found == 2 && k->ak[0] && k->sk[0]) {
    cy_status st = set_creds(out, k->ak, k->sk, k->tok, "the shared credentials file", err);
    rc = st == CY_OK ? 1 : -st;
  } else if (k->found == 2 || (named && k->found == 1)) {
    /* A profile that was asked for by name, or that exists but is incomplete, is a
     * mistake to report rather than a reason to look elsewhere. */
    cy_error_set(err, "AWS profile '%s' in %s %s", profile, path,
                 k->found == 1 ? "does not exist"
                               : "lacks aws_access_key_id or aws_secret_access_key");
    rc = -CY_EINVAL;
  }
  memset(k, 0, sizeof(*k));
  free(k);
  return rc;
}

/* ---- the container credentials endpoint -------------------------------------------- */

/* The character a JSON escape stands for (after the backslash), or -1. */
static int json_escape(char e) {
  switch (e) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
  }
}

/* Decode the JSON string body at q (after its opening quote); NULL when malformed.
 * Credentials are ASCII, so a \uXXXX beyond it becomes '?' rather than UTF-8. */
static char *json_decode(const char *q) {
  char *out = malloc(strlen(q) + 1);
  size_t n = 0;
  while (out && *q != '"') {
    if (*q == 0) goto bad;
    if (*q != '\\') {
      out[n++] = *q++;
      continue;
    }
    q++;
    if (*q == 'u') {
      unsigned cp = 0;
      for (int i = 1; i <= 4; i++) {
        char h = q[i];
        int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
              : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0) goto bad;
        cp = cp * 16 + (unsigned)d;
      }
      out[n++] = cp > 0 && cp < 0x80 ? (char)cp : '?';
      q += 5;
      continue;
    }
    int c = json_escape(*q);
    if (c < 0) goto bad;
    out[n++] = (char)c;
    q++;
  }
  if (out) out[n] = 0;
  return out;
bad:
  free(out);
  return NULL;
}

static const char *skip_space(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
  return p;
}

/* A string value of a top-level key of a JSON object, decoded; NULL when absent. */
static char *json_string(const char *doc, const char *key) {
  size_t klen = strlen(key);
  int depth = 0;
  for (const char *p = doc; *p;) {
    char c = *p;
    if (c == '{' || c == '[') depth++;
    if (c == '}' || c == ']') depth--;
    if (c != '"') {
      p++;
      continue;
    }
    const char *start = ++p;
    while (*p && *p != '"') p += (*p == '\\' && p[1]) ? 2 : 1;
    if (!*p) return NULL;
    const char *stop = p++;
    const char *q = skip_space(p);
    if (depth != 1 || *q != ':' || (size_t)(stop - start) != klen ||
        memcmp(start, key, klen) != 0)
      continue;
    q = skip_space(q + 1);
    return *q == '"' ? json_decode(q + 1) : NULL;
  }
  return NULL;
}

typedef struct fetch_buf {
  char *data;
  size_t len;
} fetch_buf;

static size_t fetch_write(char *ptr, size_t size, size_t n, void *ctx) {
  fetch_buf *b = ctx;
  size_t add = size * n;
  if (b->len + add > (1 << 20)) return 0; /* no credential document is this big */
  char *grown = realloc(b->data, b->len + add + 1);
  if (grown == NULL) return 0;
  memcpy(grown + b->len, ptr, add);
  b->data = grown;
  b->len += add;
  b->data[b->len] = 0;
  return add;
}

/* http is allowed only to the container hosts and loopback, as the AWS SDKs do. */
static bool allowed_uri(const char *uri) {
  if (strncmp(uri, "https://", 8) == 0) return true;
  if (strncmp(uri, "http://", 7) != 0) return false;
  const char *h = uri + 7;
  static const char *const hosts[] = {"127.", "localhost", "[::1]", "169.254.170.2",
                                      "169.254.170.23", "[fd00:ec2::23]"};
  for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
    size_t n = strlen(hosts[i]);
    if (strncmp(h, hosts[i], n) != 0) continue;
    char next = h[n];
    if (hosts[i][n - 1] == '.' || next == 0 || next == ':' || next == '/') return true;
  }
  return false;
}

/* The Authorization header's value, from the token file or the variable. */
static char *container_token(cy_error *err, bool *failed) {
  *failed = false;
  const char *file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  if (file) {
    FILE *f = fopen(file, "r");
    char buf[8192] = {0};
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    if (f == NULL) {
      cy_error_set(err, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (%s)", file);
      *failed = true;
      return NULL;
    }
    buf[n] = 0;
    char *t = strdup(trim(buf));
    memset(buf, 0, sizeof buf);
    return t;
  }
  const char *t = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  return t ? strdup(t) : NULL;
}

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char *uri;
  s3_creds creds;
  time_t expires; /* 0 = never */
} cache;

void s3_creds_clear_cache(void) {
  pthread_mutex_lock(&cache_lock);
  free(cache.uri);
  cache.uri = NULL;
  s3_creds_reset(&cache.creds);
  pthread_mutex_unlock(&cache_lock);
}

/* Parse "2024-05-01T12:00:00Z" (fractions and offsets other than Z are not used here). */
static time_t parse_expiration(const char *s) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  if (s == NULL || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                          &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

/* GET the endpoint (a few tries: it is local, but it may be starting). */
static cy_status container_fetch(const char *uri, const char *token, fetch_buf *body,
                                 cy_error *err) {
  CY_RETURN_NOT_OK(s3_global_init(err));
  CURL *c = curl_easy_init();
  if (c == NULL) {
    cy_error_set(err, "cannot start libcurl to reach the container credentials endpoint");
    return CY_EIO;
  }
  struct curl_slist *h = NULL;
  char *auth = NULL;
  if (token) {
    size_t n = strlen(token) + 32;
    auth = malloc(n);
    if (auth) snprintf(auth, n, "Authorization: %s", token);
    if (auth) h = curl_slist_append(NULL, auth);
  }
  long status = 0;
  CURLcode rc = CURLE_OK;
  for (int attempt = 0; attempt < 3; attempt++) {
    free(body->data);
    body->data = NULL;
    body->len = 0;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, uri);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_PROXY, ""); /* link-local and loopback: never via a proxy */
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK && status < 500) break;
  }
  curl_slist_free_all(h);
  if (auth) memset(auth, 0, strlen(auth));
  free(auth);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK || status != 200) {
    /* The URI may carry an identifier and the answer may echo the token: name neither. */
    if (rc != CURLE_OK)
      cy_error_set(err, "the container credentials endpoint did not answer: %s",
                   curl_easy_strerror(rc));
    else
      cy_error_set(err, "the container credentials endpoint answered HTTP %ld", status);
    return CY_EIO;
  }
  return CY_OK;
}

static int from_container(s3_creds *out, cy_error *err) {
  const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!rel && !full) return 0;
  char uri[4096];
  snprintf(uri, sizeof uri, "%s%s", rel ? CONTAINER_HOST : "", rel ? rel : full);
  if (!rel && !allowed_uri(full)) {
    cy_error_set(err, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a "
                      "loopback address or a container credentials host");
    return -CY_EINVAL;
  }
  pthread_mutex_lock(&cache_lock);
  time_t now = time(NULL);
  if (cache.uri && strcmp(cache.uri, uri) == 0 &&
      (cache.expires == 0 || now + REFRESH_MARGIN < cache.expires)) {
    cy_status st = set_creds(out, cache.creds.access_key, cache.creds.secret_key,
                             cache.creds.session_token, "the container credentials endpoint",
                             err);
    pthread_mutex_unlock(&cache_lock);
    return st == CY_OK ? 1 : -st;
  }
  bool failed;
  char *token = container_token(err, &failed);
  fetch_buf body = {NULL, 0};
  cy_status st = failed ? CY_EIO : container_fetch(uri, token, &body, err);
  if (token) memset(token, 0, strlen(token));
  free(token);
  char *ak = NULL, *sk = NULL, *tok = NULL, *exp = NULL;
  if (st == CY_OK) {
    ak = json_string(body.data, "AccessKeyId");
    sk = json_string(body.data, "SecretAccessKey");
    tok = json_string(body.data, "Token");
    exp = json_string(body.data, "Expiration");
    if (!ak || !sk || !*ak || !*sk) {
      cy_error_set(err, "the container credentials endpoint's answer has no AccessKeyId "
                        "and SecretAccessKey");
      st = CY_EIO;
    }
  }
  if (st == CY_OK) st = set_creds(out, ak, sk, tok, "the container credentials endpoint", err);
  if (st == CY_OK) {
    free(cache.uri);
    s3_creds_reset(&cache.creds);
    cache.uri = strdup(uri);
    if (cache.uri == NULL ||
        set_creds(&cache.creds, ak, sk, tok, out->source, NULL) != CY_OK) {
      free(cache.uri);
      cache.uri = NULL;
    }
    cache.expires = parse_expiration(exp);
  }
  pthread_mutex_unlock(&cache_lock);
  if (body.data) memset(body.data, 0, body.len);
  free(body.data);
  if (sk) memset(sk, 0, strlen(sk));
  if (tok) memset(tok, 0, strlen(tok));
  free(ak);
  free(sk);
  free(tok);
  free(exp);
  return st == CY_OK ? 1 : -st;
}

cy_status s3_creds_resolve(s3_creds *out, cy_error *err) {
  memset(out, 0, sizeof(*out));
  const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
  if (ak && sk)
    return set_creds(out, ak, sk, env("AWS_SESSION_TOKEN"), "the environment", err);
  int rc = from_file(out, err);
  if (rc == 0) rc = from_container(out, err);
  if (rc == 1) return CY_OK;
  if (rc < 0) return -rc;
  cy_error_set(err, "no AWS credentials found: set AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, or write a profile in ~/.aws/credentials "
                    "(AWS_PROFILE chooses it), or run where the container credentials "
                    "endpoint is set (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)");
  return CY_EINVAL;
}
