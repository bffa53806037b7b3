/*
 * ipc_decode.c - Arrow IPC message bodies to cylon columns: record batches, dictionary
 * batches (kept by id, deltas appended) and dictionary-encoded columns decoded into
 * plain ones.
 *
 * A batch's columns come in schema order, each taking the next FieldNode and the next
 * buffers its layout needs (validity, then values; or validity, offsets and data). Every
 * Buffer (offset, length) is checked against the body, and against what the node's length
 * needs, before a column is made; var-width offsets are checked in full (non-decreasing,
 * inside the data), since a kernel later trusts them blindly.
 *
 * Zero-copy: a buffer that lies aligned in the body becomes a view of it (a foreign
 * cy_buffer holding a reference to the body), so reading a file into one buffer gives
 * columns that point into it. A misaligned one is copied, as the C Data Interface import
 * does, because kernels read values through typed pointers.
 *
 * Compressed bodies (BodyCompression, codec LZ4_FRAME or ZSTD, method BUFFER): each
 * non-empty buffer is an int64 uncompressed length, then the compressed bytes (or, with
 * length -1, the bytes as they are). The claimed length is checked against what the
 * column needs before anything is allocated, so a hostile length cannot exhaust memory
 * (see decompress_buffer for how the length is used).
 */
#include <lz4frame.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "cylon/compute.h"
#include "io/ipc_format.h"

/* Rows beyond this would overflow byte-size arithmetic (16-byte decimals). */
#define MAX_ROWS (INT64_MAX / 32)
/* A decompressed buffer may exceed what its column needs by this much (writer padding). */
#define DECOMPRESS_SLACK 1024
#define MS_PER_DAY 86400000LL

/* Where the decoder is in a batch: the next node and buffer to take. */
typedef struct body_ctx {
  const ipc_batch_meta *m;
  cy_buffer *body;
  uint32_t node, buffer;
} body_ctx;

/* ---- buffers --------------------------------------------------------------------------- */

static void release_view(void *data, int64_t size, void *body) {
  (void)data;
  (void)size;
  cy_buffer_release(body);
}

/* A buffer over body[offset, offset + len): a view when aligned, else a copy. */
static cy_status body_view(cy_buffer *body, int64_t offset, int64_t len, int64_t align,
                           cy_buffer **out, cy_error *err) {
  uint8_t *p = body->data + offset;
  if (len == 0 || ((uintptr_t)p % (uintptr_t)align) != 0) {
    CY_RETURN_NOT_OK(cy_buffer_alloc(len, out, err));
    if (len) memcpy((*out)->data, p, (size_t)len);
    return CY_OK;
  }
  return cy_buffer_wrap(p, len, release_view, cy_buffer_retain(body), out, err);
}

/* Decompress one LZ4 frame of n bytes into at most cap bytes; *len is what it held. */
static cy_status lz4_frame_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                                      size_t *len, cy_error *err) {
  LZ4F_dctx *ctx;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
    cy_error_set(err, "out of memory starting LZ4 decompression");
    return CY_ENOMEM;
  }
  size_t in = 0, done = 0, ret = 1;
  while (in < n) {
    size_t dst_size = cap - done, src_size = n - in;
    ret = LZ4F_decompress(ctx, dst + done, &dst_size, src + in, &src_size, NULL);
    if (LZ4F_isError(ret)) break;
    in += src_size;
    done += dst_size;
    if (ret == 0 || (src_size == 0 && dst_size == 0)) break; /* frame end, or output full */
  }
  LZ4F_freeDecompressionContext(ctx);
  if (LZ4F_isError(ret)) {
    cy_error_set(err, "LZ4 frame: %s", LZ4F_getErrorName(ret));
    return CY_EINVAL;
  }
  if (ret != 0) {
    cy_error_set(err, "LZ4 frame is truncated or holds more than the %zu bytes expected", cap);
    return CY_EINVAL;
  }
  *len = done;
  return CY_OK;
}

static cy_status zstd_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                                 size_t *len, cy_error *err) {
  size_t got = ZSTD_decompress(dst, cap, src, n);
  if (ZSTD_isError(got)) {
    cy_error_set(err, "zstd: %s", ZSTD_getErrorName(got));
    return CY_EINVAL;
  }
  *len = got;
  return CY_OK;
}

/* A compressed buffer at body[offset, offset + len): an int64 length, then the data.
 *
 * The format says the length is the uncompressed size, but apache-arrow (JS) 21 writes
 * the compressed size there, and its own reader looks only for -1 (not compressed). So,
 * like that reader, we decompress into room for what the column needs (or the length,
 * when larger but plausible) and let next_buffer check the result against the need. */
static cy_status decompress_buffer(const body_ctx *c, int64_t offset, int64_t len,
                                   int64_t need, int64_t align, cy_buffer **out,
                                   cy_error *err) {
  if (len == 0) return cy_buffer_alloc(0, out, err);
  if (len < 8) {
    cy_error_set(err, "compressed buffer of %lld bytes has no length prefix", (long long)len);
    return CY_EINVAL;
  }
  int64_t raw = fb_load_i64(c->body->data + offset);
  if (raw == -1) return body_view(c->body, offset + 8, len - 8, align, out, err);
  if (raw < 0 || raw > need + DECOMPRESS_SLACK) {
    cy_error_set(err, "compressed buffer claims %lld bytes where the column needs %lld",
                 (long long)raw, (long long)need);
    return CY_EINVAL;
  }
  int64_t cap = (raw > need ? raw : need) + DECOMPRESS_SLACK;
  size_t got = 0;
  CY_RETURN_NOT_OK(cy_buffer_alloc(cap, out, err));
  const uint8_t *src = c->body->data + offset + 8;
  cy_status st = c->m->codec == IPC_CODEC_ZSTD
                     ? zstd_decompress(src, (size_t)(len - 8), (*out)->data, (size_t)cap, &got, err)
                     : lz4_frame_decompress(src, (size_t)(len - 8), (*out)->data, (size_t)cap,
                                            &got, err);
  if (st == CY_OK) st = cy_buffer_resize(*out, (int64_t)got, err);
  if (st != CY_OK) {
    cy_buffer_release(*out);
    *out = NULL;
  }
  return st;
}

/* The batch's next Buffer, which must hold at least need bytes; align is the element
 * width the column reads it with. */
static cy_status next_buffer(body_ctx *c, int64_t need, int64_t align, cy_buffer **out,
                             cy_error *err) {
  uint32_t i = c->buffer++;
  int64_t offset, len;
  *out = NULL;
  if (i >= c->m->buffers.len) {
    cy_error_set(err, "the batch lists %u buffers, fewer than its columns need",
                 (unsigned)c->m->buffers.len);
    return CY_EINVAL;
  }
  ipc_batch_buffer(c->m, i, &offset, &len);
  if (offset < 0 || len < 0 || offset > c->body->size || len > c->body->size - offset) {
    cy_error_set(err, "buffer %u (%lld bytes at %lld) lies outside the %lld-byte body",
                 (unsigned)i, (long long)len, (long long)offset, (long long)c->body->size);
    return CY_EINVAL;
  }
  cy_status st = c->m->codec == IPC_CODEC_NONE
                     ? body_view(c->body, offset, len, align, out, err)
                     : decompress_buffer(c, offset, len, need, align, out, err);
  if (st != CY_OK) {
    cy_error_prefix(err, "buffer %u: ", (unsigned)i);
    return st;
  }
  if ((*out)->size < need) {
    cy_error_set(err, "buffer %u holds %lld bytes where the column needs %lld", (unsigned)i,
                 (long long)(*out)->size, (long long)need);
    cy_buffer_release(*out);
    *out = NULL;
    return CY_EINVAL;
  }
  return CY_OK;
}

/* The next FieldNode, checked. */
static cy_status next_node(body_ctx *c, int64_t *length, int64_t *nulls, cy_error *err) {
  uint32_t i = c->node++;
  if (i >= c->m->nodes.len) {
    cy_error_set(err, "the batch lists %u field nodes, fewer than its columns",
                 (unsigned)c->m->nodes.len);
    return CY_EINVAL;
  }
  ipc_batch_node(c->m, i, length, nulls);
  if (*length < 0 || *length > MAX_ROWS || *nulls < 0 || *nulls > *length) {
    cy_error_set(err, "field node %u has length %lld and null count %lld", (unsigned)i,
                 (long long)*length, (long long)*nulls);
    return CY_EINVAL;
  }
  return CY_OK;
}

/* The validity buffer: read only when there are nulls (a writer may leave it empty). */
static cy_status validity_buffer(body_ctx *c, int64_t length, int64_t nulls, cy_buffer **out,
                                 cy_error *err) {
  if (nulls > 0) return next_buffer(c, cy_bitmap_bytes(length), 1, out, err);
  *out = NULL;
  c->buffer++;
  return CY_OK;
}

/* ---- columns --------------------------------------------------------------------------- */

/* Offsets of a var-width column: non-decreasing from a non-negative start; *last is the
 * data size they need. */
static cy_status check_offsets(const cy_buffer *offsets, bool large, int64_t length,
                               int64_t *last, cy_error *err) {
  int64_t prev = 0;
  for (int64_t i = 0; i <= length; i++) {
    int64_t v = large ? ((const int64_t *)offsets->data)[i] : ((const int32_t *)offsets->data)[i];
    if (v < prev) {
      cy_error_set(err, "offset %lld at row %lld is %s", (long long)v, (long long)i,
                   i ? "below the one before" : "negative");
      return CY_EINVAL;
    }
    prev = v;
  }
  *last = prev;
  return CY_OK;
}

static cy_status var_width_buffers(body_ctx *c, const cy_type *type, int64_t length,
                                   cy_buffer **offsets, cy_buffer **data, cy_error *err) {
  int64_t w = cy_type_is_large(type->id) ? 8 : 4, last = 0;
  /* An empty column may come with an empty offsets buffer instead of one zero. */
  CY_RETURN_NOT_OK(next_buffer(c, length ? (length + 1) * w : 0, w, offsets, err));
  if (length == 0 && (*offsets)->size < w) {
    cy_buffer_release(*offsets);
    CY_RETURN_NOT_OK(cy_buffer_alloc_zeroed(w, offsets, err));
  }
  cy_status st = check_offsets(*offsets, w == 8, length, &last, err);
  if (st == CY_OK) st = next_buffer(c, last, 1, data, err);
  if (st != CY_OK) {
    cy_buffer_release(*offsets);
    *offsets = NULL;
  }
  return st;
}

/* int64 milliseconds to int32 days, for rows that are valid; each must be a whole day. */
static cy_status date64_to_date32(const cy_buffer *ms, const cy_buffer *validity, int64_t length,
                                  cy_buffer **out, cy_error *err) {
  CY_RETURN_NOT_OK(cy_buffer_alloc_zeroed(length * 4, out, err));
  const int64_t *src = (const int64_t *)ms->data;
  int32_t *dst = (int32_t *)(*out)->data;
  for (int64_t i = 0; i < length; i++) {
    if (validity && !cy_bit_get(validity->data, i)) continue;
    int64_t days = src[i] / MS_PER_DAY;
    if (src[i] % MS_PER_DAY != 0 || days < INT32_MIN || days > INT32_MAX) {
      cy_error_set(err, "date64 value %lld ms at row %lld is not a whole day that fits date32",
                   (long long)src[i], (long long)i);
      cy_buffer_release(*out);
      *out = NULL;
      return CY_EINVAL;
    }
    dst[i] = (int32_t)days;
  }
  return CY_OK;
}

static cy_status values_buffer(body_ctx *c, const cy_type *type, bool date64, int64_t length,
                               const cy_buffer *validity, cy_buffer **out, cy_error *err) {
  if (date64) {
    cy_buffer *ms;
    CY_RETURN_NOT_OK(next_buffer(c, length * 8, 8, &ms, err));
    cy_status st = date64_to_date32(ms, validity, length, out, err);
    cy_buffer_release(ms);
    return st;
  }
  int bits = cy_type_bit_width(type->id);
  if (bits == 1) return next_buffer(c, cy_bitmap_bytes(length), 1, out, err);
  return next_buffer(c, length * (bits / 8), bits / 8 < 8 ? bits / 8 : 8, out, err);
}

/* The next column of a plain (not dictionary-encoded) field. */
static cy_status read_column(body_ctx *c, const cy_type *type, bool date64, cy_column **out,
                             cy_error *err) {
  int64_t length, nulls;
  cy_buffer *validity = NULL, *values = NULL, *data = NULL;
  CY_RETURN_NOT_OK(next_node(c, &length, &nulls, err));
  CY_RETURN_NOT_OK(validity_buffer(c, length, nulls, &validity, err));
  cy_status st = cy_type_is_var_width(type->id)
                     ? var_width_buffers(c, type, length, &values, &data, err)
                     : values_buffer(c, type, date64, length, validity, &values, err);
  if (st != CY_OK) {
    cy_buffer_release(validity);
    return st;
  }
  /* Count the nulls from the bitmap rather than trust the node's figure. */
  return cy_column_make(*type, length, 0, validity ? -1 : 0, validity, values, data, out, err);
}

/* Index i of a dictionary-encoded column's indices, as int64; false past INT64_MAX. */
static bool index_at(const uint8_t *p, int bits, bool is_signed, int64_t i, int64_t *out) {
  switch (bits) {
    case 8:
      *out = is_signed ? (int64_t)((const int8_t *)p)[i] : (int64_t)p[i];
      return true;
    case 16:
      *out = is_signed ? (int64_t)((const int16_t *)p)[i] : (int64_t)((const uint16_t *)p)[i];
      return true;
    case 32:
      *out = is_signed ? (int64_t)((const int32_t *)p)[i] : (int64_t)((const uint32_t *)p)[i];
      return true;
    default:
      *out = ((const int64_t *)p)[i];
      return is_signed || *out >= 0;
  }
}

/* Dictionary indices (with validity) to row numbers for cy_column_take; -1 for nulls. */
static cy_status dictionary_rows(const ipc_field *f, const cy_buffer *indices,
                                 const cy_buffer *validity, int64_t length, int64_t dict_len,
                                 int64_t *rows, cy_error *err) {
  for (int64_t i = 0; i < length; i++) {
    int64_t k = -1;
    if (validity && !cy_bit_get(validity->data, i)) {
      rows[i] = -1;
      continue;
    }
    if (!index_at(indices->data, f->index_bits, f->index_signed, i, &k) || k < 0 ||
        k >= dict_len) {
      cy_error_set(err, "dictionary index %lld at row %lld is outside the %lld-entry "
                   "dictionary %lld", (long long)k, (long long)i, (long long)dict_len,
                   (long long)f->dict_id);
      return CY_EINVAL;
    }
    rows[i] = k;
  }
  return CY_OK;
}

/* The next column of a dictionary-encoded field, decoded through its dictionary. */
static cy_status read_dictionary_column(body_ctx *c, const ipc_field *f, const cy_column *dict,
                                        cy_column **out, cy_error *err) {
  int64_t length, nulls;
  cy_buffer *validity = NULL, *indices = NULL;
  CY_RETURN_NOT_OK(next_node(c, &length, &nulls, err));
  CY_RETURN_NOT_OK(validity_buffer(c, length, nulls, &validity, err));
  int64_t width = f->index_bits / 8;
  cy_status st = next_buffer(c, length * width, width, &indices, err);
  int64_t *rows = NULL;
  if (st == CY_OK && (rows = malloc((size_t)(length ? length : 1) * sizeof(int64_t))) == NULL) {
    cy_error_set(err, "out of memory decoding %lld dictionary indices", (long long)length);
    st = CY_ENOMEM;
  }
  if (st == CY_OK) st = dictionary_rows(f, indices, validity, length, dict->length, rows, err);
  if (st == CY_OK) st = cy_column_take(dict, rows, length, out, err);
  free(rows);
  cy_buffer_release(indices);
  cy_buffer_release(validity);
  return st;
}

/* ---- dictionaries ---------------------------------------------------------------------- */

static ipc_dict *find_dict(const ipc_dicts *d, int64_t id) {
  for (int32_t i = 0; i < d->count; i++)
    if (d->items[i].id == id) return &d->items[i];
  return NULL;
}

cy_status ipc_dicts_init(const ipc_schema *schema, ipc_dicts *out, cy_error *err) {
  memset(out, 0, sizeof *out);
  out->items = calloc(schema->num_fields ? (size_t)schema->num_fields : 1, sizeof(ipc_dict));
  if (out->items == NULL) {
    cy_error_set(err, "out of memory reading a schema's dictionaries");
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < schema->num_fields; i++) {
    const ipc_field *f = &schema->fields[i];
    if (!f->dictionary) continue;
    ipc_dict *d = find_dict(out, f->dict_id);
    if (d == NULL) {
      out->items[out->count++] = (ipc_dict){f->dict_id, f, NULL};
    } else if (!cy_type_equals(&d->field->type, &f->type) || d->field->date64 != f->date64) {
      cy_error_set(err, "fields '%s' and '%s' share dictionary %lld but differ in type",
                   d->field->name, f->name, (long long)f->dict_id);
      ipc_dicts_reset(out);
      return CY_EINVAL;
    }
  }
  return CY_OK;
}

void ipc_dicts_reset(ipc_dicts *d) {
  for (int32_t i = 0; d->items && i < d->count; i++) cy_column_release(d->items[i].values);
  free(d->items);
  memset(d, 0, sizeof *d);
}

cy_status ipc_dicts_apply(ipc_dicts *d, int64_t id, bool is_delta, const ipc_batch_meta *m,
                          cy_buffer *body, cy_error *err) {
  ipc_dict *dict = find_dict(d, id);
  if (dict == NULL) {
    cy_error_set(err, "dictionary batch for id %lld, which no field uses", (long long)id);
    return CY_EINVAL;
  }
  body_ctx c = {m, body, 0, 0};
  cy_column *values = NULL;
  cy_status st = read_column(&c, &dict->field->type, dict->field->date64, &values, err);
  if (st != CY_OK) {
    cy_error_prefix(err, "dictionary %lld (field '%s'): ", (long long)id, dict->field->name);
    return st;
  }
  if (is_delta && dict->values) {
    cy_column *both[2] = {dict->values, values}, *joined;
    st = cy_column_concat(2, both, &joined, err);
    cy_column_release(values);
    if (st != CY_OK) return st;
    values = joined;
  }
  cy_column_release(dict->values);
  dict->values = values;
  return CY_OK;
}

/* ---- batches --------------------------------------------------------------------------- */

static cy_status batch_column(body_ctx *c, const ipc_field *f, const ipc_dicts *dicts,
                              int64_t rows, cy_column **out, cy_error *err) {
  cy_status st;
  if (f->dictionary) {
    const ipc_dict *d = find_dict(dicts, f->dict_id);
    if (d == NULL || d->values == NULL) {
      cy_error_set(err, "dictionary %lld has not been sent before the batch", (long long)f->dict_id);
      return CY_EINVAL;
    }
    st = read_dictionary_column(c, f, d->values, out, err);
  } else {
    st = read_column(c, &f->type, f->date64, out, err);
  }
  if (st == CY_OK && (*out)->length != rows) {
    cy_error_set(err, "column has %lld rows, the batch %lld", (long long)(*out)->length,
                 (long long)rows);
    cy_column_release(*out);
    *out = NULL;
    st = CY_EINVAL;
  }
  return st;
}

cy_status ipc_batch_decode(const ipc_schema *schema, const ipc_dicts *dicts,
                           const ipc_batch_meta *m, cy_buffer *body, cy_table **out,
                           cy_error *err) {
  int32_t n = schema->num_fields;
  cy_column **cols = calloc(n ? (size_t)n : 1, sizeof(cy_column *));
  const char **names = calloc(n ? (size_t)n : 1, sizeof(char *));
  cy_status st = CY_OK;
  if (cols == NULL || names == NULL) {
    cy_error_set(err, "out of memory decoding a batch of %d columns", (int)n);
    st = CY_ENOMEM;
  }
  body_ctx c = {m, body, 0, 0};
  for (int32_t i = 0; st == CY_OK && i < n; i++) {
    names[i] = schema->fields[i].name;
    st = batch_column(&c, &schema->fields[i], dicts, m->length, &cols[i], err);
    if (st != CY_OK) cy_error_prefix(err, "field '%s': ", schema->fields[i].name);
  }
  if (st == CY_OK && n == 0 && m->length != 0) {
    cy_error_set(err, "a batch of %lld rows without columns", (long long)m->length);
    st = CY_EINVAL;
  }
  if (st == CY_OK) st = cy_table_make(n, names, cols, out, err);
  for (int32_t i = 0; cols && i < n; i++) cy_column_release(cols[i]);
  free(cols);
  free(names);
  return st;
}
