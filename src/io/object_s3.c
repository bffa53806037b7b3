/*
 * object_s3.c - s3:// objects as cy_input, cy_output, listings and deletes.
 *
 * Input: opening sends one GET for the last 64 KiB ("Range: bytes=-65536"), which tells
 * the object's size (Content-Range) and keeps its tail, where Parquet and Arrow IPC
 * footers are, so a footer costs no further request. Then each read_at is a ranged GET
 * straight into the caller's buffer; reads over 16 MiB are split into 8 MiB ranges fetched
 * in parallel, as one connection to S3 is far slower than several. Threads may read at
 * once: each read takes a curl handle from the input's small pool (handles are not
 * thread-safe, and a pooled one keeps its connection). A store that reads the suffix
 * range as a prefix (s3rver does) still works: Content-Range says which bytes came.
 *
 * Output: bytes collect in a part-sized buffer (CYLON_S3_PART_BYTES, 8 MiB). An object
 * that never fills it is sent by commit as one PutObject; a bigger one becomes a
 * multipart upload (CreateMultipartUpload when the first part is full, UploadPart per
 * part, CompleteMultipartUpload at commit), so memory stays at one part. Past every 1000
 * parts the part size doubles, to stay within S3's 10,000 parts. Abort, or any failure,
 * sends AbortMultipartUpload (best effort), so nothing is published.
 *
 * Listing: ListObjectsV2 pages (continuation tokens) under the key, keeping the objects
 * that are the key itself or lie below it as a directory ("data" matches "data/x.csv"
 * but not "data2.csv"); names with a component starting with '.' are skipped, as local
 * listings skip hidden files, and so are "directory" markers ending in '/'.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "io/s3_internal.h"

#define TAIL_BYTES 65536
#define SPLIT_BYTES ((int64_t)8 << 20)
#define SPLIT_THREADS 8
#define POOL_MAX 16
#define MAX_PARTS 10000

static cy_status oom(const char *url, cy_error *err) {
  cy_error_set(err, "out of memory for %s", url);
  return CY_ENOMEM;
}

static CURL *new_handle(const char *url, cy_error *err) {
  CURL *c = curl_easy_init();
  if (c == NULL) cy_error_set(err, "%s: cannot start a libcurl handle", url);
  return c;
}

/* ---- input ----------------------------------------------------------------------------- */

typedef struct s3_input {
  s3_config cfg;
  s3_location loc;
  char *url;
  pthread_mutex_t lock;
  CURL *pool[POOL_MAX];
  int pooled;
  char *cache; /* bytes [cache_at, cache_at + cache_len) of the object */
  int64_t cache_at, cache_len;
} s3_input;

static CURL *take_handle(s3_input *in, cy_error *err) {
  pthread_mutex_lock(&in->lock);
  CURL *c = in->pooled > 0 ? in->pool[--in->pooled] : NULL;
  pthread_mutex_unlock(&in->lock);
  return c ? c : new_handle(in->url, err);
}

static void give_handle(s3_input *in, CURL *c) {
  pthread_mutex_lock(&in->lock);
  if (in->pooled < POOL_MAX) {
    in->pool[in->pooled++] = c;
    c = NULL;
  }
  pthread_mutex_unlock(&in->lock);
  if (c) curl_easy_cleanup(c);
}

static void input_free(s3_input *in) {
  for (int i = 0; i < in->pooled; i++) curl_easy_cleanup(in->pool[i]);
  pthread_mutex_destroy(&in->lock);
  s3_config_reset(&in->cfg);
  s3_location_reset(&in->loc);
  free(in->url);
  free(in->cache);
  free(in);
}

/* One ranged GET of [offset, offset + len) into buf. */
static cy_status get_range(s3_input *in, int64_t offset, int64_t len, void *buf,
                           cy_error *err) {
  CURL *c = take_handle(in, err);
  if (c == NULL) return CY_EIO;
  char range[64], what[96];
  snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)offset,
           (long long)(offset + len - 1));
  snprintf(what, sizeof what, "reading %lld bytes at %lld", (long long)len, (long long)offset);
  sigv4_pair h[] = {{"Range", range}};
  s3_request req = {.method = "GET", .bucket = in->loc.bucket, .key = in->loc.key,
                    .headers = h, .num_headers = 1, .dest = buf, .dest_len = len,
                    .dest_skip = offset, .what = what};
  s3_response resp = {0};
  cy_status st = s3_call(&in->cfg, c, &req, &resp, err);
  s3_response_reset(&resp);
  give_handle(in, c);
  return st;
}

typedef struct split_read {
  s3_input *in;
  int64_t offset, len;
  char *buf;
} split_read;

static cy_status split_task(void *ctx, int64_t i, cy_error *err) {
  split_read *s = ctx;
  int64_t from = i * SPLIT_BYTES;
  int64_t n = s->len - from < SPLIT_BYTES ? s->len - from : SPLIT_BYTES;
  return get_range(s->in, s->offset + from, n, s->buf + from, err);
}

static cy_status s3_read_at(cy_input *self, int64_t offset, int64_t len, void *buf,
                            cy_error *err) {
  s3_input *in = self->private_data;
  if (offset < 0 || len < 0 || offset > self->size || len > self->size - offset) {
    cy_error_set(err, "%s: read of %lld bytes at %lld is past the end (%lld bytes)", in->url,
                 (long long)len, (long long)offset, (long long)self->size);
    return CY_EIO;
  }
  if (len == 0) return CY_OK;
  if (offset >= in->cache_at && offset + len <= in->cache_at + in->cache_len) {
    memcpy(buf, in->cache + (offset - in->cache_at), (size_t)len);
    return CY_OK;
  }
  if (len <= 2 * SPLIT_BYTES) return get_range(in, offset, len, buf, err);
  split_read s = {in, offset, len, buf};
  return cy_parallel_for_n((len + SPLIT_BYTES - 1) / SPLIT_BYTES, SPLIT_THREADS, split_task, &s,
                           err);
}

static void s3_close(cy_input *self) {
  if (self->private_data) input_free(self->private_data);
  self->private_data = NULL;
  self->read_at = NULL;
  self->close = NULL;
}

/* The opening GET: the object's size and its last (or, from some stores, first) bytes. */
static cy_status probe(s3_input *in, int64_t *size, cy_error *err) {
  CURL *c = take_handle(in, err);
  if (c == NULL) return CY_EIO;
  char range[32];
  snprintf(range, sizeof range, "bytes=-%d", TAIL_BYTES);
  sigv4_pair h[] = {{"Range", range}};
  s3_request req = {.method = "GET", .bucket = in->loc.bucket, .key = in->loc.key,
                    .headers = h, .num_headers = 1, .what = "opening"};
  s3_response resp = {0};
  cy_status st = s3_call(&in->cfg, c, &req, &resp, err);
  give_handle(in, c);
  if (st != CY_OK && resp.status == 416) { /* an empty object has no last bytes */
    *size = resp.total_size > 0 ? resp.total_size : 0;
    s3_response_reset(&resp);
    return CY_OK;
  }
  if (st == CY_OK) {
    int64_t got = (int64_t)resp.body_len;
    bool ranged = resp.status == 206 && resp.total_size >= 0 && resp.range_start >= 0 &&
                  resp.range_end - resp.range_start + 1 == got;
    *size = ranged ? resp.total_size : got;
    in->cache_at = ranged ? resp.range_start : 0;
    in->cache_len = got;
    in->cache = resp.body;
    resp.body = NULL;
  }
  s3_response_reset(&resp);
  return st;
}

cy_status cy_s3_input_open(const char *url, cy_input *out, cy_error *err) {
  s3_input *in = calloc(1, sizeof(*in));
  if (in == NULL) return oom(url, err);
  pthread_mutex_init(&in->lock, NULL);
  cy_status st = s3_location_parse(url, &in->loc, err);
  if (st == CY_OK && in->loc.key[0] == 0) {
    cy_error_set(err, "%s: names a bucket, not an object (s3://BUCKET/KEY)", url);
    st = CY_EINVAL;
  }
  if (st == CY_OK && (st = s3_config_load(&in->cfg, err)) != CY_OK)
    cy_error_prefix(err, "%s: ", url);
  if (st == CY_OK && (in->url = strdup(url)) == NULL) st = oom(url, err);
  int64_t size = 0;
  if (st == CY_OK) st = probe(in, &size, err);
  if (st != CY_OK) {
    input_free(in);
    return st;
  }
  out->read_at = s3_read_at;
  out->close = s3_close;
  out->size = size;
  out->name = in->url;
  out->private_data = in;
  return CY_OK;
}

/* ---- output ---------------------------------------------------------------------------- */

typedef struct s3_output {
  s3_config cfg;
  s3_location loc;
  char *url;
  CURL *curl;
  char *buf;
  int64_t len, part_bytes;
  char *upload_id; /* NULL until the object needs more than one part */
  char **etags;
  int32_t parts;
} s3_output;

static void output_free(s3_output *o) {
  if (o->curl) curl_easy_cleanup(o->curl);
  for (int32_t i = 0; i < o->parts; i++) free(o->etags[i]);
  free(o->etags);
  free(o->upload_id);
  free(o->buf);
  free(o->url);
  s3_location_reset(&o->loc);
  s3_config_reset(&o->cfg);
  free(o);
}

static cy_status call(s3_output *o, const char *method, const sigv4_pair *q, int nq,
                      const void *body, int64_t len, const char *what, s3_response *resp,
                      cy_error *err) {
  s3_request req = {.method = method, .bucket = o->loc.bucket, .key = o->loc.key,
                    .query = q, .num_query = nq, .body = body, .body_len = len, .what = what};
  return s3_call(&o->cfg, o->curl, &req, resp, err);
}

static cy_status start_upload(s3_output *o, cy_error *err) {
  sigv4_pair q[] = {{"uploads", ""}};
  s3_response resp = {0};
  cy_status st = call(o, "POST", q, 1, NULL, 0, "starting a multipart upload", &resp, err);
  if (st == CY_OK) {
    o->upload_id = s3_xml_text(resp.body, resp.body_len, "InitiateMultipartUploadResult/UploadId");
    if (o->upload_id == NULL || o->upload_id[0] == 0) {
      cy_error_set(err, "%s: starting a multipart upload: the answer has no UploadId", o->url);
      st = CY_EIO;
    }
  }
  s3_response_reset(&resp);
  return st;
}

/* Upload buf[0, n) as the next part. */
static cy_status upload_part(s3_output *o, const char *data, int64_t n, cy_error *err) {
  if (o->parts == MAX_PARTS) {
    cy_error_set(err, "%s: more than %d parts", o->url, MAX_PARTS);
    return CY_ERANGE;
  }
  char **grown = realloc(o->etags, (size_t)(o->parts + 1) * sizeof(char *));
  if (grown == NULL) return oom(o->url, err);
  o->etags = grown;
  char number[16], what[64];
  snprintf(number, sizeof number, "%d", o->parts + 1);
  snprintf(what, sizeof what, "uploading part %d", o->parts + 1);
  sigv4_pair q[] = {{"partNumber", number}, {"uploadId", o->upload_id}};
  s3_response resp = {0};
  cy_status st = call(o, "PUT", q, 2, data, n, what, &resp, err);
  if (st == CY_OK && resp.etag[0] == 0) {
    cy_error_set(err, "%s: %s: the answer has no ETag", o->url, what);
    st = CY_EIO;
  }
  if (st == CY_OK && (o->etags[o->parts] = strdup(resp.etag)) == NULL) st = oom(o->url, err);
  if (st == CY_OK) o->parts++;
  s3_response_reset(&resp);
  return st;
}

/* Send the full buffer as a part, starting the upload first if needed. */
static cy_status flush_part(s3_output *o, cy_error *err) {
  if (o->upload_id == NULL) CY_RETURN_NOT_OK(start_upload(o, err));
  CY_RETURN_NOT_OK(upload_part(o, o->buf, o->len, err));
  o->len = 0;
  if (o->parts % 1000 == 0 && o->part_bytes < ((int64_t)5 << 30)) {
    char *grown = realloc(o->buf, (size_t)(o->part_bytes * 2));
    if (grown == NULL) return oom(o->url, err);
    o->buf = grown;
    o->part_bytes *= 2;
  }
  return CY_OK;
}

static void abort_upload(s3_output *o) {
  if (o->upload_id == NULL) return;
  sigv4_pair q[] = {{"uploadId", o->upload_id}};
  s3_response resp = {0};
  cy_error ignored; /* best effort: the output is being given up anyway */
  call(o, "DELETE", q, 1, NULL, 0, "aborting the multipart upload", &resp, &ignored);
  s3_response_reset(&resp);
}

static cy_status s3_write(cy_output *self, const void *data, int64_t len, cy_error *err) {
  s3_output *o = self->private_data;
  const char *p = data;
  while (len > 0) {
    int64_t n = o->part_bytes - o->len < len ? o->part_bytes - o->len : len;
    memcpy(o->buf + o->len, p, (size_t)n);
    o->len += n;
    p += n;
    len -= n;
    if (o->len == o->part_bytes) CY_RETURN_NOT_OK(flush_part(o, err));
  }
  return CY_OK;
}

static void s3_abort(cy_output *self) {
  s3_output *o = self->private_data;
  if (o) {
    abort_upload(o);
    output_free(o);
  }
  self->private_data = NULL;
}

/* The CompleteMultipartUpload document listing every part and its ETag (XML-escaped). */
static char *complete_body(const s3_output *o) {
  size_t cap = 64;
  for (int32_t i = 0; i < o->parts; i++) cap += 64 + strlen(o->etags[i]) * 5;
  char *doc = malloc(cap);
  if (doc == NULL) return NULL;
  char *p = doc;
  p += sprintf(p, "<CompleteMultipartUpload>");
  for (int32_t i = 0; i < o->parts; i++) {
    p += sprintf(p, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
    for (const char *e = o->etags[i]; *e; e++) {
      if (*e == '&') p += sprintf(p, "&amp;");
      else if (*e == '<') p += sprintf(p, "&lt;");
      else if (*e == '>') p += sprintf(p, "&gt;");
      else *p++ = *e;
    }
    p += sprintf(p, "</ETag></Part>");
  }
  sprintf(p, "</CompleteMultipartUpload>");
  return doc;
}

static cy_status s3_commit(cy_output *self, cy_error *err) {
  s3_output *o = self->private_data;
  cy_status st = CY_OK;
  s3_response resp = {0};
  if (o->upload_id == NULL) {
    st = call(o, "PUT", NULL, 0, o->buf, o->len, "writing", &resp, err);
  } else {
    if (o->len > 0) st = upload_part(o, o->buf, o->len, err);
    char *doc = st == CY_OK ? complete_body(o) : NULL;
    if (st == CY_OK && doc == NULL) st = oom(o->url, err);
    sigv4_pair q[] = {{"uploadId", o->upload_id}};
    if (st == CY_OK)
      st = call(o, "POST", q, 1, doc, (int64_t)strlen(doc), "completing the multipart upload",
                &resp, err);
    free(doc);
    if (st != CY_OK) abort_upload(o);
  }
  s3_response_reset(&resp);
  output_free(o);
  self->private_data = NULL;
  return st;
}

cy_status cy_s3_output_open(const char *url, cy_output *out, cy_error *err) {
  s3_output *o = calloc(1, sizeof(*o));
  if (o == NULL) return oom(url, err);
  cy_status st = s3_location_parse(url, &o->loc, err);
  if (st == CY_OK && (o->loc.key[0] == 0 || o->loc.key[strlen(o->loc.key) - 1] == '/')) {
    cy_error_set(err, "%s: an object to write needs a key that does not end in '/'", url);
    st = CY_EINVAL;
  }
  if (st == CY_OK && (st = s3_config_load(&o->cfg, err)) != CY_OK)
    cy_error_prefix(err, "%s: ", url);
  if (st == CY_OK) st = s3_global_init(err);
  if (st == CY_OK && (o->curl = new_handle(url, err)) == NULL) st = CY_EIO;
  if (st == CY_OK) {
    o->part_bytes = o->cfg.part_bytes;
    o->url = strdup(url);
    o->buf = malloc((size_t)o->part_bytes);
    if (!o->url || !o->buf) st = oom(url, err);
  }
  if (st != CY_OK) {
    output_free(o);
    return st;
  }
  out->write = s3_write;
  out->commit = s3_commit;
  out->abort = s3_abort;
  out->name = o->url;
  out->private_data = o;
  return CY_OK;
}

/* ---- listing ------------------------------------------------------------------------- */

typedef struct raw_entry {
  char *key;
  int64_t size;
} raw_entry;

/* One ListObjectsV2 page as it is parsed. */
typedef struct page {
  raw_entry *entries;
  int64_t n, cap;
  char *key; /* of the <Contents> being read */
  int64_t size;
  char *token;
  bool truncated, url_encoded, oom;
} page;

static char *dup_text(const char *text, size_t len) {
  char *s = malloc(len + 1);
  if (s) {
    memcpy(s, text, len);
    s[len] = 0;
  }
  return s;
}

static bool page_visit(void *ctx, const char *path, const char *text, size_t len) {
  page *p = ctx;
  if (strcmp(path, "ListBucketResult/Contents/Key") == 0) {
    free(p->key);
    p->oom |= (p->key = dup_text(text, len)) == NULL;
  } else if (strcmp(path, "ListBucketResult/Contents/Size") == 0) {
    p->size = strtoll(text, NULL, 10);
  } else if (strcmp(path, "ListBucketResult/Contents") == 0 && p->key) {
    if (p->n == p->cap) {
      int64_t cap = p->cap ? 2 * p->cap : 256;
      raw_entry *grown = realloc(p->entries, (size_t)cap * sizeof(raw_entry));
      if (grown == NULL) {
        p->oom = true;
        return false;
      }
      p->entries = grown;
      p->cap = cap;
    }
    p->entries[p->n++] = (raw_entry){p->key, p->size};
    p->key = NULL;
    p->size = 0;
  } else if (strcmp(path, "ListBucketResult/IsTruncated") == 0) {
    p->truncated = len == 4 && memcmp(text, "true", 4) == 0;
  } else if (strcmp(path, "ListBucketResult/NextContinuationToken") == 0) {
    free(p->token);
    p->oom |= (p->token = dup_text(text, len)) == NULL;
  } else if (strcmp(path, "ListBucketResult/EncodingType") == 0) {
    p->url_encoded = len == 3 && memcmp(text, "url", 3) == 0;
  }
  return !p->oom;
}

static void page_reset(page *p) {
  for (int64_t i = 0; i < p->n; i++) free(p->entries[i].key);
  free(p->entries);
  free(p->key);
  free(p->token);
  memset(p, 0, sizeof(*p));
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Undo encoding-type=url in place ("%2F" -> '/', '+' -> ' '). */
static void url_decode(char *s) {
  char *w = s;
  for (char *r = s; *r; r++) {
    int hi = *r == '%' ? hex_value(r[1]) : -1;
    int lo = hi >= 0 ? hex_value(r[2]) : -1;
    if (lo >= 0) {
      *w++ = (char)(hi * 16 + lo);
      r += 2;
    } else {
      *w++ = *r == '+' ? ' ' : *r;
    }
  }
  *w = 0;
}

/* Whether key belongs to the listing of prefix (see the header comment). */
static bool listed(const char *prefix, const char *key) {
  size_t n = strlen(prefix);
  if (strncmp(key, prefix, n) != 0) return false;
  size_t kn = strlen(key);
  if (kn == 0 || key[kn - 1] == '/') return false; /* a "directory" marker */
  if (kn == n) return true;                         /* the object itself */
  if (n > 0 && prefix[n - 1] != '/' && key[n] != '/') return false; /* "data2" under "data" */
  for (const char *p = key + n; *p; p++)
    if (*p == '.' && (p == key + n || p[-1] == '/')) return false; /* hidden */
  return true;
}

typedef struct list_out {
  cy_object_info *items;
  int64_t n, cap;
} list_out;

static cy_status take_page(page *p, const char *bucket, const char *prefix, list_out *out,
                           cy_error *err) {
  for (int64_t i = 0; i < p->n; i++) {
    char *key = p->entries[i].key;
    if (p->url_encoded) url_decode(key);
    if (!listed(prefix, key)) continue;
    if (out->n == out->cap) {
      int64_t cap = out->cap ? 2 * out->cap : 256;
      cy_object_info *grown = realloc(out->items, (size_t)cap * sizeof(cy_object_info));
      if (grown == NULL) return oom(bucket, err);
      out->items = grown;
      out->cap = cap;
    }
    size_t len = strlen(bucket) + strlen(key) + 7;
    char *url = malloc(len);
    if (url == NULL) return oom(bucket, err);
    snprintf(url, len, "s3://%s/%s", bucket, key);
    out->items[out->n++] = (cy_object_info){url, p->entries[i].size};
  }
  return CY_OK;
}

static int by_url(const void *x, const void *y) {
  return strcmp(((const cy_object_info *)x)->url, ((const cy_object_info *)y)->url);
}

/* Request pages until the listing is not truncated. */
static cy_status list_pages(s3_config *cfg, CURL *c, const char *url, const s3_location *loc,
                            list_out *out, cy_error *err) {
  char page_size[16];
  snprintf(page_size, sizeof page_size, "%d", cfg->list_page);
  char *token = NULL;
  cy_status st = CY_OK;
  for (int pages = 0; st == CY_OK; pages++) {
    sigv4_pair q[5] = {{"list-type", "2"}, {"prefix", loc->key}, {"max-keys", page_size},
                       {"encoding-type", "url"}, {"continuation-token", token}};
    char what[64];
    snprintf(what, sizeof what, "listing (page %d)", pages + 1);
    s3_request req = {.method = "GET", .bucket = loc->bucket, .key = "", .query = q,
                      .num_query = token ? 5 : 4, .what = what, .name = url};
    s3_response resp = {0};
    st = s3_call(cfg, c, &req, &resp, err);
    page p;
    memset(&p, 0, sizeof p);
    if (st == CY_OK && !s3_xml_parse(resp.body, resp.body_len, page_visit, &p)) {
      cy_error_set(err, "%s: %s: %s", url, what,
                   p.oom ? "out of memory" : "the answer is not a ListBucketResult");
      st = p.oom ? CY_ENOMEM : CY_EIO;
    }
    if (st == CY_OK) st = take_page(&p, loc->bucket, loc->key, out, err);
    s3_response_reset(&resp);
    free(token);
    token = p.token;
    p.token = NULL;
    bool more = p.truncated;
    page_reset(&p);
    if (st == CY_OK && more && (token == NULL || *token == 0)) {
      cy_error_set(err, "%s: %s: truncated, but no continuation token", url, what);
      st = CY_EIO;
    }
    if (!more) break;
  }
  free(token);
  return st;
}

cy_status cy_s3_list(const char *url, cy_object_info **out, int64_t *count, cy_error *err) {
  s3_location loc;
  s3_config cfg;
  CY_RETURN_NOT_OK(s3_location_parse(url, &loc, err));
  cy_status st = s3_config_load(&cfg, err);
  if (st != CY_OK) {
    cy_error_prefix(err, "%s: ", url);
    s3_location_reset(&loc);
    return st;
  }
  list_out acc = {NULL, 0, 0};
  st = s3_global_init(err);
  CURL *c = st == CY_OK ? new_handle(url, err) : NULL;
  if (c == NULL && st == CY_OK) st = CY_EIO;
  if (st == CY_OK) st = list_pages(&cfg, c, url, &loc, &acc, err);
  if (c) curl_easy_cleanup(c);
  if (st == CY_OK && acc.n == 0) {
    cy_error_set(err, "%s: no objects there", url);
    st = CY_ENOENT;
  }
  if (st == CY_OK) {
    qsort(acc.items, (size_t)acc.n, sizeof(cy_object_info), by_url);
    *out = acc.items;
    *count = acc.n;
  } else {
    cy_object_list_free(acc.items, acc.n);
  }
  s3_config_reset(&cfg);
  s3_location_reset(&loc);
  return st;
}

/* ---- delete ---------------------------------------------------------------------------- */

cy_status cy_s3_delete(const char *url, cy_error *err) {
  s3_location loc;
  s3_config cfg;
  CY_RETURN_NOT_OK(s3_location_parse(url, &loc, err));
  cy_status st = loc.key[0] ? CY_OK : CY_EINVAL;
  if (st != CY_OK) cy_error_set(err, "%s: names a bucket, not an object", url);
  if (st == CY_OK && (st = s3_config_load(&cfg, err)) != CY_OK) {
    cy_error_prefix(err, "%s: ", url);
    s3_location_reset(&loc);
    return st;
  }
  if (st != CY_OK) {
    s3_location_reset(&loc);
    return st;
  }
  st = s3_global_init(err);
  CURL *c = st == CY_OK ? new_handle(url, err) : NULL;
  if (c == NULL && st == CY_OK) st = CY_EIO;
  s3_response resp = {0};
  if (st == CY_OK) {
    s3_request req = {.method = "DELETE", .bucket = loc.bucket, .key = loc.key,
                      .what = "deleting"};
    st = s3_call(&cfg, c, &req, &resp, err);
    /* A missing key is what a delete wants anyway; a missing bucket is a mistake. */
    char *code = st == CY_ENOENT ? s3_xml_text(resp.body, resp.body_len, "Error/Code") : NULL;
    if (code && strcmp(code, "NoSuchKey") == 0) st = CY_OK;
    free(code);
  }
  s3_response_reset(&resp);
  if (c) curl_easy_cleanup(c);
  s3_config_reset(&cfg);
  s3_location_reset(&loc);
  return st;
}
