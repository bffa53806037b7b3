/*
 * ipc_write.c - writing tables in the Arrow IPC stream and file formats: cy_ipc_write.
 *
 * A stream is the Schema message, one RecordBatch message per batch of rows, and the
 * end-of-stream marker (0xFFFFFFFF 0x00000000). A file is "ARROW1" and two bytes of
 * padding, the same stream, then the Footer (the schema and a Block per batch: where its
 * message starts, its metadata size and body size), the footer's int32 size and "ARROW1".
 * Every message is 0xFFFFFFFF, the int32 metadata size (the flatbuffer padded so that
 * the body starts on an 8-byte boundary), the flatbuffer, padding, then the body, whose
 * buffers are each padded to 8 bytes; so every message starts 8-aligned and readers can
 * use the body in place.
 *
 * Buffers are written straight from the columns, with no copy, except where a slice
 * makes the bytes differ from what the format wants: a bitmap whose slice does not start
 * on a byte boundary is shifted, and string offsets that do not start at zero are
 * rebased. A column without nulls gets no validity buffer (length 0, null count 0).
 *
 * All bytes go through a cy_output, which publishes the object only at commit, so a
 * failure leaves nothing behind.
 */
#include <lz4frame.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "io/ipc_format.h"

void cy_ipc_write_options_init(cy_ipc_write_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->file_format = false;
  opts->batch_rows = 0;
}

/* ---- the sink: the output and the position in it --------------------------------------- */

/* Small pieces (prefixes, metadata, padding, short buffers) are gathered in `small` and
 * handed to the output together, so a table of many columns does not cost a write call
 * per 8-byte prefix; large buffers go to the output directly, without a copy. */
#define SINK_BUFFER (64 * 1024)

typedef struct sink {
  cy_output *out;
  int64_t pos; /* bytes written so far, buffered ones included */
  uint8_t *small;
  int64_t held;
} sink;

static cy_status sink_flush(sink *s, cy_error *err) {
  if (s->held == 0) return CY_OK;
  cy_status st = s->out->write(s->out, s->small, s->held, err);
  s->held = 0;
  return st;
}

static cy_status sink_write(sink *s, const void *data, int64_t len, cy_error *err) {
  if (len == 0) return CY_OK;
  s->pos += len;
  if (s->held + len <= SINK_BUFFER) {
    memcpy(s->small + s->held, data, (size_t)len);
    s->held += len;
    return CY_OK;
  }
  CY_RETURN_NOT_OK(sink_flush(s, err));
  return s->out->write(s->out, data, len, err);
}

/* Zeros up to the next multiple of 8 after len bytes. */
static cy_status sink_pad(sink *s, int64_t len, cy_error *err) {
  static const uint8_t zeros[8] = {0};
  return sink_write(s, zeros, (8 - len % 8) % 8, err);
}

static int64_t pad8(int64_t n) { return (n + 7) & ~(int64_t)7; }

/* ---- one batch's body ------------------------------------------------------------------ */

/* One body buffer: bytes in a column, or in `owned` (a shifted bitmap, rebased offsets
 * or compressed bytes). A bitmap read in place may end inside a byte whose other bits
 * were never set (builders leave them uninitialised), so its last byte is written
 * masked with tail_mask (0: no mask): files come out the same every time, and no stray
 * memory leaks into them. */
typedef struct part {
  const uint8_t *data;
  int64_t len;
  uint8_t *owned;
  uint8_t tail_mask;
} part;

typedef struct batch_plan {
  ipc_node *nodes;
  int32_t num_nodes;
  part *parts;
  ipc_buffer_ref *refs;
  int32_t num_parts;
  int64_t body_length;
} batch_plan;

static void plan_reset(batch_plan *p) {
  for (int32_t i = 0; p->parts && i < p->num_parts; i++) free(p->parts[i].owned);
  free(p->nodes);
  free(p->parts);
  free(p->refs);
  memset(p, 0, sizeof *p);
}

static cy_status oom(cy_error *err, const char *what) {
  cy_error_set(err, "out of memory %s", what);
  return CY_ENOMEM;
}

static cy_status add_part(batch_plan *p, const uint8_t *data, int64_t len, uint8_t *owned) {
  p->parts[p->num_parts++] = (part){data, len, owned, 0};
  return CY_OK;
}

/* length bits from bit `offset` of bits, starting at bit 0 as the format wants. */
static cy_status add_bitmap(batch_plan *p, const uint8_t *bits, int64_t offset, int64_t length,
                            cy_error *err) {
  int64_t bytes = cy_bitmap_bytes(length);
  if (offset % 8 == 0) {
    add_part(p, bits + offset / 8, bytes, NULL);
    if (length % 8) p->parts[p->num_parts - 1].tail_mask = (uint8_t)((1u << (length % 8)) - 1);
    return CY_OK;
  }
  uint8_t *shifted = calloc((size_t)(bytes ? bytes : 1), 1);
  if (shifted == NULL) return oom(err, "shifting a sliced bitmap");
  cy_bitmap_copy(shifted, 0, bits, offset, length);
  return add_part(p, shifted, bytes, shifted);
}

/* Offsets that start at zero (rebased when the slice starts later), then the data. */
static cy_status add_var_width(batch_plan *p, const cy_column *col, cy_error *err) {
  bool large = cy_type_is_large(col->type.id);
  int64_t w = large ? 8 : 4, n = col->length, k = col->offset;
  const uint8_t *raw = col->values->data + k * w;
  int64_t first = large ? ((const int64_t *)raw)[0] : ((const int32_t *)raw)[0];
  int64_t last = large ? ((const int64_t *)raw)[n] : ((const int32_t *)raw)[n];
  if (first == 0) {
    add_part(p, raw, (n + 1) * w, NULL);
  } else {
    uint8_t *rebased = malloc((size_t)((n + 1) * w));
    if (rebased == NULL) return oom(err, "rebasing string offsets");
    for (int64_t i = 0; i <= n; i++) {
      if (large)
        ((int64_t *)rebased)[i] = ((const int64_t *)raw)[i] - first;
      else
        ((int32_t *)rebased)[i] = (int32_t)(((const int32_t *)raw)[i] - first);
    }
    add_part(p, rebased, (n + 1) * w, rebased);
  }
  return add_part(p, col->data->data + first, last - first, NULL);
}

/* The node and buffers of one column: validity, then values (or offsets and data). */
static cy_status plan_column(batch_plan *p, const cy_column *col, cy_error *err) {
  p->nodes[p->num_nodes++] = (ipc_node){col->length, col->null_count};
  if (col->null_count > 0)
    CY_RETURN_NOT_OK(add_bitmap(p, col->validity->data, col->offset, col->length, err));
  else
    add_part(p, NULL, 0, NULL);
  if (cy_type_is_var_width(col->type.id)) return add_var_width(p, col, err);
  int bits = cy_type_bit_width(col->type.id);
  if (bits == 1) return add_bitmap(p, col->values->data, col->offset, col->length, err);
  return add_part(p, cy_column_data(col), col->length * (bits / 8), NULL);
}

/* Compress one part in place: int64 length, then the codec's bytes; or -1 and the raw
 * bytes when compression does not make it smaller (as the format allows). */
static cy_status compress_part(part *pt, ipc_codec codec, cy_error *err) {
  if (pt->len == 0) return CY_OK;
  size_t n = (size_t)pt->len;
  if (pt->tail_mask) { /* the codec needs the masked bytes in one piece */
    uint8_t *copy = malloc(n);
    if (copy == NULL) return oom(err, "compressing a bitmap");
    memcpy(copy, pt->data, n);
    copy[n - 1] &= pt->tail_mask;
    *pt = (part){copy, pt->len, copy, 0};
  }
  size_t bound = codec == IPC_CODEC_ZSTD ? ZSTD_compressBound(n) : LZ4F_compressFrameBound(n, NULL);
  uint8_t *dst = malloc(8 + (bound > n ? bound : n));
  if (dst == NULL) return oom(err, "compressing a buffer");
  size_t got = codec == IPC_CODEC_ZSTD ? ZSTD_compress(dst + 8, bound, pt->data, n, 1)
                                       : LZ4F_compressFrame(dst + 8, bound, pt->data, n, NULL);
  bool failed = codec == IPC_CODEC_ZSTD ? ZSTD_isError(got) : LZ4F_isError(got);
  int64_t prefix = (int64_t)n;
  if (failed || got >= n) {
    prefix = -1;
    memcpy(dst + 8, pt->data, n);
    got = n;
  }
  memcpy(dst, &prefix, 8);
  free(pt->owned);
  *pt = (part){dst, (int64_t)got + 8, dst, 0};
  return CY_OK;
}

/* Lay out the buffers of a batch in its body. */
static cy_status plan_batch(const cy_table *batch, ipc_codec codec, batch_plan *p,
                            cy_error *err) {
  int32_t n = batch->schema.num_fields;
  memset(p, 0, sizeof *p);
  p->nodes = calloc(n ? (size_t)n : 1, sizeof(ipc_node));
  p->parts = calloc(3 * (size_t)(n ? n : 1), sizeof(part));
  p->refs = calloc(3 * (size_t)(n ? n : 1), sizeof(ipc_buffer_ref));
  if (!p->nodes || !p->parts || !p->refs) return oom(err, "planning a record batch");
  for (int32_t i = 0; i < n; i++) {
    CY_RETURN_NOT_OK(plan_column(p, batch->columns[i], err));
  }
  for (int32_t i = 0; i < p->num_parts; i++) {
    if (codec != IPC_CODEC_NONE) CY_RETURN_NOT_OK(compress_part(&p->parts[i], codec, err));
    p->refs[i] = (ipc_buffer_ref){p->body_length, p->parts[i].len};
    p->body_length += pad8(p->parts[i].len);
  }
  return CY_OK;
}

/* ---- messages -------------------------------------------------------------------------- */

/* A body buffer and its padding (the last byte masked when asked). */
static cy_status write_part(sink *s, const part *pt, cy_error *err) {
  if (pt->tail_mask == 0) {
    CY_RETURN_NOT_OK(sink_write(s, pt->data, pt->len, err));
  } else {
    uint8_t last = pt->data[pt->len - 1] & pt->tail_mask;
    CY_RETURN_NOT_OK(sink_write(s, pt->data, pt->len - 1, err));
    CY_RETURN_NOT_OK(sink_write(s, &last, 1, err));
  }
  return sink_pad(s, pt->len, err);
}

/* Write the continuation marker, the metadata size and the padded flatbuffer; *block
 * records where the message went. */
static cy_status write_metadata(sink *s, const uint8_t *meta, size_t len, int64_t body_length,
                                ipc_block *block, cy_error *err) {
  int64_t padded = pad8(8 + (int64_t)len) - 8;
  if (padded > IPC_MAX_METADATA) {
    cy_error_set(err, "IPC metadata of %lld bytes is too large", (long long)padded);
    return CY_EINVAL;
  }
  uint32_t head[2] = {IPC_CONTINUATION, (uint32_t)padded};
  *block = (ipc_block){s->pos, (int32_t)(8 + padded), body_length};
  CY_RETURN_NOT_OK(sink_write(s, head, 8, err));
  CY_RETURN_NOT_OK(sink_write(s, meta, (int64_t)len, err));
  return sink_pad(s, (int64_t)len, err);
}

static cy_status write_schema(sink *s, const cy_schema *schema, cy_error *err) {
  fb_builder b;
  const uint8_t *meta;
  size_t len;
  ipc_block unused;
  fb_builder_init(&b, 8);
  cy_status st = ipc_schema_message_encode(schema, &b, &meta, &len, err);
  if (st == CY_OK) st = write_metadata(s, meta, len, 0, &unused, err);
  fb_builder_reset(&b);
  return st;
}

static cy_status write_batch(sink *s, const cy_table *batch, ipc_codec codec, ipc_block *block,
                             cy_error *err) {
  batch_plan p;
  fb_builder b;
  const uint8_t *meta;
  size_t len;
  fb_builder_init(&b, 8);
  cy_status st = plan_batch(batch, codec, &p, err);
  if (st == CY_OK)
    st = ipc_batch_message_encode(batch->num_rows, p.nodes, p.num_nodes, p.refs, p.num_parts,
                                  codec, p.body_length, &b, &meta, &len, err);
  if (st == CY_OK) st = write_metadata(s, meta, len, p.body_length, block, err);
  for (int32_t i = 0; st == CY_OK && i < p.num_parts; i++) st = write_part(s, &p.parts[i], err);
  fb_builder_reset(&b);
  plan_reset(&p);
  return st;
}

/* The file's tail: the end-of-stream marker, the footer, its size and the magic. */
static cy_status write_footer(sink *s, const cy_schema *schema, const ipc_block *blocks,
                              int64_t n, cy_error *err) {
  fb_builder b;
  const uint8_t *meta;
  size_t len;
  fb_builder_init(&b, 8);
  cy_status st = ipc_footer_encode(schema, blocks, n, &b, &meta, &len, err);
  if (st == CY_OK) st = sink_write(s, meta, (int64_t)len, err);
  int32_t size = (int32_t)len;
  if (st == CY_OK) st = sink_write(s, &size, 4, err);
  if (st == CY_OK) st = sink_write(s, IPC_MAGIC, IPC_MAGIC_LEN, err);
  fb_builder_reset(&b);
  return st;
}

/* ---- tables ---------------------------------------------------------------------------- */

static cy_status write_batches(sink *s, const cy_table *table, int64_t rows_per_batch,
                               ipc_codec codec, ipc_block *blocks, cy_error *err) {
  int64_t i = 0;
  for (int64_t start = 0; start < table->num_rows; start += rows_per_batch, i++) {
    cy_table *batch;
    /* Slicing only takes references; the cast drops const for cy_table_slice's sake. */
    CY_RETURN_NOT_OK(cy_table_slice((cy_table *)table, start, rows_per_batch, &batch, err));
    cy_status st = write_batch(s, batch, codec, &blocks[i], err);
    cy_table_release(batch);
    if (st != CY_OK) {
      cy_error_prefix(err, "record batch %lld: ", (long long)i);
      return st;
    }
  }
  return CY_OK;
}

cy_status ipc_write_output(const cy_table *table, cy_output *out,
                           const cy_ipc_write_options *opts, ipc_codec codec, cy_error *err) {
  cy_ipc_write_options defaults;
  if (opts == NULL) {
    cy_ipc_write_options_init(&defaults);
    opts = &defaults;
  }
  int64_t rows = table->num_rows;
  int64_t per = opts->batch_rows > 0 && opts->batch_rows < rows ? opts->batch_rows : rows;
  int64_t num_batches = rows == 0 ? 0 : (rows + per - 1) / per;
  ipc_block *blocks = calloc(num_batches ? (size_t)num_batches : 1, sizeof(ipc_block));
  if (blocks == NULL) return oom(err, "listing record batches");
  static const uint8_t file_head[8] = {'A', 'R', 'R', 'O', 'W', '1', 0, 0};
  static const uint32_t eos[2] = {IPC_CONTINUATION, 0};
  sink s = {out, 0, malloc(SINK_BUFFER), 0};
  if (s.small == NULL) {
    free(blocks);
    return oom(err, "starting to write");
  }
  cy_status st = opts->file_format ? sink_write(&s, file_head, 8, err) : CY_OK;
  if (st == CY_OK) st = write_schema(&s, &table->schema, err);
  if (st == CY_OK) st = write_batches(&s, table, per, codec, blocks, err);
  if (st == CY_OK) st = sink_write(&s, eos, 8, err);
  if (st == CY_OK && opts->file_format)
    st = write_footer(&s, &table->schema, blocks, num_batches, err);
  if (st == CY_OK) st = sink_flush(&s, err);
  free(s.small);
  free(blocks);
  return st;
}

cy_status cy_ipc_write(const cy_table *table, const char *url, const cy_ipc_write_options *opts,
                       cy_error *err) {
  cy_output out;
  CY_RETURN_NOT_OK(cy_output_open(url, &out, err));
  cy_status st = ipc_write_output(table, &out, opts, IPC_CODEC_NONE, err);
  if (st != CY_OK) {
    out.abort(&out);
    cy_error_prefix(err, "writing %s: ", url);
    return st;
  }
  return out.commit(&out, err);
}
