/*
 * s3_config.c - how to reach S3, from the environment, and what an s3:// URL names.
 *
 *   AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL  an S3-compatible store ("http://127.0.0.1:9000",
 *                                          "https://minio.example/prefix"); requests then
 *                                          use path-style addressing (host/bucket/key),
 *                                          which every such store understands. Without
 *                                          one: AWS itself, virtual-hosted style
 *                                          (bucket.s3.REGION.amazonaws.com/key), or path
 *                                          style for bucket names with dots (TLS
 *                                          certificates do not cover them).
 *   AWS_REGION, AWS_DEFAULT_REGION         the signing region; default us-east-1
 *   AWS_MAX_ATTEMPTS                       tries per request (default 6)
 *   CYLON_S3_ADDRESSING                    "path" or "virtual", to override the above
 *   CYLON_S3_RETRY_BASE_MS                 first backoff (default 100 ms; doubles, with
 *                                          jitter, up to 10 s)
 *   CYLON_S3_STALL_SECONDS                 a transfer stalled (under 1 byte/s) this long
 *                                          is a timeout (default 30)
 *   CYLON_S3_TIMEOUT_MS                    a limit on each whole request (default none)
 *   CYLON_S3_PART_BYTES                    multipart part size (default 8 MiB, min 5 MiB)
 *   CYLON_S3_LIST_PAGE                     keys per ListObjectsV2 page (default 1000)
 *   CURL_CA_BUNDLE                         the CA file for https (read per request by
 *                                          s3_client.c; default: libcurl's own)
 */
#include <stdlib.h>
#include <string.h>

#include "io/s3_internal.h"

#define MIB ((int64_t)1 << 20)

void s3_config_reset(s3_config *cfg) {
  free(cfg->scheme);
  free(cfg->host);
  free(cfg->base_path);
  free(cfg->region);
  s3_creds_reset(&cfg->creds);
  memset(cfg, 0, sizeof(*cfg));
}

static const char *env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/* An integer setting in [lo, hi], or def when unset; an error names the variable. */
static cy_status env_int(const char *name, int64_t def, int64_t lo, int64_t hi, int64_t *out,
                         cy_error *err) {
  const char *v = env(name);
  *out = def;
  if (v == NULL) return CY_OK;
  char *end;
  long long x = strtoll(v, &end, 10);
  if (*end != 0 || x < lo || x > hi) {
    cy_error_set(err, "%s must be an integer from %lld to %lld, not '%s'", name,
                 (long long)lo, (long long)hi, v);
    return CY_EINVAL;
  }
  *out = x;
  return CY_OK;
}

/* Split "scheme://authority/path" into its parts. */
static cy_status parse_endpoint(s3_config *cfg, const char *url, const char *var,
                                cy_error *err) {
  const char *sep = strstr(url, "://");
  bool ok = sep && (sep - url == 4 || sep - url == 5) &&
            (strncmp(url, "http", 4) == 0) && (sep - url == 4 || url[4] == 's');
  const char *auth = sep ? sep + 3 : NULL;
  size_t alen = auth ? strcspn(auth, "/?#") : 0;
  if (!ok || alen == 0 || memchr(auth, '@', alen)) {
    cy_error_set(err, "%s='%s' is not an http:// or https:// URL of a host", var, url);
    return CY_EINVAL;
  }
  for (size_t i = 0; i < alen; i++) {
    char c = auth[i];
    if (c <= ' ' || c >= 127) {
      cy_error_set(err, "%s='%s' has a character a host name cannot have", var, url);
      return CY_EINVAL;
    }
  }
  const char *path = auth + alen;
  size_t plen = strcspn(path, "?#");
  while (plen > 0 && path[plen - 1] == '/') plen--;
  cfg->scheme = strndup(url, (size_t)(sep - url));
  cfg->host = strndup(auth, alen);
  cfg->base_path = strndup(path, plen);
  if (!cfg->scheme || !cfg->host || !cfg->base_path) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  return CY_OK;
}

static cy_status load_settings(s3_config *cfg, cy_error *err) {
  const char *var = env("AWS_ENDPOINT_URL_S3") ? "AWS_ENDPOINT_URL_S3" : "AWS_ENDPOINT_URL";
  const char *endpoint = env(var);
  if (endpoint) {
    CY_RETURN_NOT_OK(parse_endpoint(cfg, endpoint, var, err));
    cfg->path_style = true;
  } else {
    cfg->scheme = strdup("https");
    cfg->base_path = strdup("");
  }
  const char *region = env("AWS_REGION");
  if (region == NULL) region = env("AWS_DEFAULT_REGION");
  cfg->region = strdup(region ? region : "us-east-1");
  if (!cfg->scheme || !cfg->base_path || !cfg->region) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  const char *style = env("CYLON_S3_ADDRESSING");
  if (style && strcmp(style, "path") != 0 && strcmp(style, "virtual") != 0) {
    cy_error_set(err, "CYLON_S3_ADDRESSING must be 'path' or 'virtual', not '%s'", style);
    return CY_EINVAL;
  }
  if (style) cfg->path_style = strcmp(style, "path") == 0;
  int64_t attempts, stall, timeout, page;
  CY_RETURN_NOT_OK(env_int("AWS_MAX_ATTEMPTS", 6, 1, 100, &attempts, err));
  CY_RETURN_NOT_OK(env_int("CYLON_S3_RETRY_BASE_MS", 100, 0, 60000, &cfg->retry_base_ms, err));
  CY_RETURN_NOT_OK(env_int("CYLON_S3_STALL_SECONDS", 30, 1, 3600, &stall, err));
  CY_RETURN_NOT_OK(env_int("CYLON_S3_TIMEOUT_MS", 0, 0, 86400000, &timeout, err));
  CY_RETURN_NOT_OK(env_int("CYLON_S3_PART_BYTES", 8 * MIB, 5 * MIB, 5120 * MIB,
                           &cfg->part_bytes, err));
  CY_RETURN_NOT_OK(env_int("CYLON_S3_LIST_PAGE", 1000, 1, 1000, &page, err));
  cfg->max_attempts = (int)attempts;
  cfg->stall_seconds = (long)stall;
  cfg->timeout_ms = (long)timeout;
  cfg->list_page = (int)page;
  return CY_OK;
}

cy_status s3_config_load(s3_config *cfg, cy_error *err) {
  memset(cfg, 0, sizeof(*cfg));
  cy_status st = load_settings(cfg, err);
  if (st == CY_OK) st = s3_creds_resolve(&cfg->creds, err);
  if (st != CY_OK) s3_config_reset(cfg);
  return st;
}

/* ---- URLs and addresses --------------------------------------------------------------- */

void s3_location_reset(s3_location *loc) {
  free(loc->bucket);
  free(loc->key);
  loc->bucket = loc->key = NULL;
}

cy_status s3_location_parse(const char *url, s3_location *out, cy_error *err) {
  memset(out, 0, sizeof(*out));
  if (strncmp(url, "s3://", 5) != 0) {
    cy_error_set(err, "%s: not an s3:// URL", url);
    return CY_EINVAL;
  }
  const char *b = url + 5;
  size_t blen = strcspn(b, "/");
  /* Bucket names are DNS labels (legacy ones also have capitals and '_'); anything else
   * could not be a bucket and might smuggle characters into the Host header. */
  bool ok = blen > 0 && blen <= 255;
  for (size_t i = 0; ok && i < blen; i++) {
    char c = b[i];
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '-' || c == '_';
  }
  if (!ok) {
    cy_error_set(err, "%s: '%.*s' is not a bucket name (s3://BUCKET/KEY)", url, (int)blen, b);
    return CY_EINVAL;
  }
  out->bucket = strndup(b, blen);
  out->key = strdup(b[blen] == '/' ? b + blen + 1 : "");
  if (!out->bucket || !out->key) {
    s3_location_reset(out);
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  return CY_OK;
}

static char *join3(const char *a, const char *b, const char *c) {
  size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s%s%s", a, b, c);
  return s;
}

cy_status s3_address(const s3_config *cfg, const char *bucket, const char *key, char **host,
                     char **path, cy_error *err) {
  *host = *path = NULL;
  bool path_style = cfg->path_style || strchr(bucket, '.') != NULL;
  if (cfg->host) {
    *host = path_style ? strdup(cfg->host) : join3(bucket, ".", cfg->host);
  } else {
    const char *domain = strncmp(cfg->region, "cn-", 3) == 0 ? "amazonaws.com.cn"
                                                             : "amazonaws.com";
    char aws[256];
    snprintf(aws, sizeof aws, "s3.%s.%s", cfg->region, domain);
    *host = path_style ? strdup(aws) : join3(bucket, ".", aws);
  }
  if (path_style) {
    /* "/bucket" for the bucket itself, "/bucket/key" for an object. */
    char *b = join3(cfg->base_path, "/", bucket);
    *path = b && *key ? join3(b, "/", key) : b;
    if (*path != b) free(b);
  } else {
    *path = join3(cfg->base_path, "/", key);
  }
  if (*host == NULL || *path == NULL) {
    free(*host);
    free(*path);
    *host = *path = NULL;
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  return CY_OK;
}
