/*
 * ipc_read.c - reading the Arrow IPC stream and file formats: cy_ipc_read, cy_ipc_open.
 *
 * Bytes come from a source: either the whole object already in one cy_buffer (cy_ipc_read
 * reads the file with one read; the fuzzer and tests pass memory), or a cy_input read on
 * demand, one message at a time (cy_ipc_open, so a stream of batches needs memory for
 * one batch). With a whole buffer, message bodies are views of it and columns end up
 * pointing into it (see ipc_decode.c).
 *
 * The two formats are told apart by the "ARROW1" magic at the start. A stream is read
 * message by message: the Schema first, then DictionaryBatch messages (which update the
 * dictionaries) and RecordBatch messages (each one batch), until the end-of-stream marker
 * or the end of the bytes. A file is read through its footer: the schema, then every
 * dictionary block, then the record batch blocks in order. Messages may carry the
 * continuation marker (0xFFFFFFFF then the int32 size) or only the older 4-byte size.
 *
 * Every error names the source and the message number (the schema is message 0) or the
 * footer, then what was wrong, e.g. "data.arrow: message 3 (record batch): field 'name':
 * buffer 5 holds 8 bytes where the column needs 16".
 */
#include <stdlib.h>
#include <string.h>

#include "cylon/compute.h"
#include "io/ipc_format.h"

/* ---- sources --------------------------------------------------------------------------- */

typedef struct ipc_source {
  cy_buffer *whole; /* the object in memory, or NULL */
  cy_input input;   /* otherwise read on demand */
  int64_t size;
  char *name;
} ipc_source;

static void source_close(ipc_source *s) {
  cy_buffer_release(s->whole);
  if (s->input.close) s->input.close(&s->input);
  free(s->name);
  memset(s, 0, sizeof *s);
}

static cy_status check_range(const ipc_source *s, int64_t offset, int64_t len, cy_error *err) {
  if (offset < 0 || len < 0 || offset > s->size || len > s->size - offset) {
    cy_error_set(err, "needs %lld bytes at byte %lld, past the end (%lld bytes): truncated?",
                 (long long)len, (long long)offset, (long long)s->size);
    return CY_EINVAL;
  }
  return CY_OK;
}

/* Copy len bytes at offset into buf. */
static cy_status source_copy(ipc_source *s, int64_t offset, int64_t len, void *buf,
                             cy_error *err) {
  CY_RETURN_NOT_OK(check_range(s, offset, len, err));
  if (s->whole) {
    memcpy(buf, s->whole->data + offset, (size_t)len);
    return CY_OK;
  }
  return s->input.read_at(&s->input, offset, len, buf, err);
}

static void release_parent(void *data, int64_t size, void *parent) {
  (void)data;
  (void)size;
  cy_buffer_release(parent);
}

/* The bytes [offset, offset + len) as a buffer: a view of the whole object, or read. */
static cy_status source_read(ipc_source *s, int64_t offset, int64_t len, cy_buffer **out,
                             cy_error *err) {
  CY_RETURN_NOT_OK(check_range(s, offset, len, err));
  if (s->whole)
    return cy_buffer_wrap(s->whole->data + offset, len, release_parent,
                          cy_buffer_retain(s->whole), out, err);
  CY_RETURN_NOT_OK(cy_buffer_alloc(len, out, err));
  cy_status st = len ? s->input.read_at(&s->input, offset, len, (*out)->data, err) : CY_OK;
  if (st != CY_OK) {
    cy_buffer_release(*out);
    *out = NULL;
  }
  return st;
}

/* ---- messages -------------------------------------------------------------------------- */

/* One encapsulated message: its decoded envelope, the bytes behind it, and its end. */
typedef struct ipc_msg {
  ipc_message msg;
  cy_buffer *meta; /* the flatbuffer, which msg.header points into */
  cy_buffer *body;
  int64_t end;     /* offset just past the body */
  bool eos;        /* end of stream: a zero size, or no bytes left */
} ipc_msg;

static void msg_reset(ipc_msg *m) {
  cy_buffer_release(m->meta);
  cy_buffer_release(m->body);
  memset(m, 0, sizeof *m);
}

/* Read the message starting at pos. */
static cy_status read_message(ipc_source *s, int64_t pos, ipc_msg *out, cy_error *err) {
  uint8_t prefix[8];
  int64_t prefix_len = 4;
  memset(out, 0, sizeof *out);
  if (pos == s->size) {
    out->eos = true; /* a stream may simply stop */
    return CY_OK;
  }
  CY_RETURN_NOT_OK(source_copy(s, pos, 4, prefix, err));
  int32_t len = fb_load_i32(prefix);
  if (fb_load_u32(prefix) == IPC_CONTINUATION) {
    if (pos + 4 == s->size) { /* a marker with nothing after it: the end */
      out->eos = true;
      return CY_OK;
    }
    CY_RETURN_NOT_OK(source_copy(s, pos + 4, 4, prefix + 4, err));
    len = fb_load_i32(prefix + 4);
    prefix_len = 8;
  }
  if (len == 0) {
    out->eos = true;
    return CY_OK;
  }
  if (len < 0 || len > IPC_MAX_METADATA) {
    cy_error_set(err, "metadata size %d is invalid", (int)len);
    return CY_EINVAL;
  }
  int64_t meta_at = pos + prefix_len, body_at = meta_at + len;
  cy_status st = source_read(s, meta_at, len, &out->meta, err);
  if (st == CY_OK) st = ipc_message_decode(out->meta->data, len, &out->msg, err);
  if (st == CY_OK) st = source_read(s, body_at, out->msg.body_length, &out->body, err);
  if (st != CY_OK) {
    msg_reset(out);
    return st;
  }
  out->end = body_at + out->msg.body_length;
  return CY_OK;
}

static const char *header_name(uint8_t type) {
  switch (type) {
    case IPC_HEADER_SCHEMA: return "schema";
    case IPC_HEADER_DICTIONARY: return "dictionary batch";
    case IPC_HEADER_RECORD_BATCH: return "record batch";
    case IPC_HEADER_TENSOR: return "tensor";
    case IPC_HEADER_SPARSE_TENSOR: return "sparse tensor";
    default: return "unknown";
  }
}

/* ---- the reader ------------------------------------------------------------------------ */

typedef struct ipc_reader {
  ipc_source src;
  bool file;
  ipc_schema schema;
  ipc_dicts dicts;
  int64_t message;  /* number of the next message, for errors */
  int64_t pos;      /* stream: where the next message starts */
  bool done;
  ipc_footer footer; /* file: its footer, whose vectors point into footer_bytes */
  cy_buffer *footer_bytes;
  uint32_t next_block;
} ipc_reader;

static void reader_free(ipc_reader *r) {
  ipc_dicts_reset(&r->dicts);
  ipc_schema_reset(&r->schema);
  ipc_footer_reset(&r->footer);
  cy_buffer_release(r->footer_bytes);
  source_close(&r->src);
  free(r);
}

/* Apply a dictionary batch message. */
static cy_status apply_dictionary(ipc_reader *r, ipc_msg *m, cy_error *err) {
  int64_t id;
  bool delta;
  ipc_batch_meta meta;
  CY_RETURN_NOT_OK(ipc_dictionary_meta_decode(&m->msg.header, &id, &delta, &meta, err));
  return ipc_dicts_apply(&r->dicts, id, delta, &meta, m->body, err);
}

static cy_status decode_batch(ipc_reader *r, ipc_msg *m, cy_table **out, cy_error *err) {
  ipc_batch_meta meta;
  CY_RETURN_NOT_OK(ipc_batch_meta_decode(&m->msg.header, &meta, err));
  return ipc_batch_decode(&r->schema, &r->dicts, &meta, m->body, out, err);
}

/* Handle one stream message; *out is set when it was a record batch. */
static cy_status stream_message(ipc_reader *r, ipc_msg *m, cy_table **out, cy_error *err) {
  switch (m->msg.header_type) {
    case IPC_HEADER_DICTIONARY: return apply_dictionary(r, m, err);
    case IPC_HEADER_RECORD_BATCH: return decode_batch(r, m, out, err);
    case IPC_HEADER_SCHEMA:
      cy_error_set(err, "a second schema in one stream");
      return CY_EINVAL;
    default:
      cy_error_set(err, "%s messages are not supported", header_name(m->msg.header_type));
      return CY_ENOTSUP;
  }
}

static cy_status stream_next(ipc_reader *r, cy_table **out, cy_error *err) {
  while (*out == NULL && !r->done) {
    ipc_msg m;
    int64_t number = r->message++;
    cy_status st = read_message(&r->src, r->pos, &m, err);
    if (st == CY_OK && m.eos) r->done = true;
    if (st == CY_OK && !m.eos) st = stream_message(r, &m, out, err);
    if (st != CY_OK) {
      if (m.meta)
        cy_error_prefix(err, "message %lld (%s): ", (long long)number,
                        header_name(m.msg.header_type));
      else
        cy_error_prefix(err, "message %lld at byte %lld: ", (long long)number, (long long)r->pos);
      msg_reset(&m);
      r->done = true;
      return st;
    }
    r->pos = m.end;
    msg_reset(&m);
  }
  return CY_OK;
}

/* Read the message of a footer block, which must be of the given header type. */
static cy_status block_message(ipc_reader *r, const fb_vector *blocks, uint32_t i,
                               uint8_t type, ipc_msg *m, cy_error *err) {
  ipc_block b = ipc_footer_block(blocks, i);
  cy_status st = CY_OK;
  memset(m, 0, sizeof *m);
  if (b.offset < IPC_MAGIC_LEN) {
    cy_error_set(err, "block offset %lld is invalid", (long long)b.offset);
    st = CY_EINVAL;
  }
  if (st == CY_OK) st = read_message(&r->src, b.offset, m, err);
  if (st == CY_OK && (m->eos || m->msg.header_type != type)) {
    cy_error_set(err, "the block at byte %lld holds %s, not a %s", (long long)b.offset,
                 m->eos ? "the end of stream" : header_name(m->msg.header_type),
                 header_name(type));
    msg_reset(m);
    st = CY_EINVAL;
  }
  if (st != CY_OK)
    cy_error_prefix(err, "%s block %u: ", type == IPC_HEADER_DICTIONARY ? "dictionary" : "batch",
                    (unsigned)i);
  return st;
}

static cy_status file_next(ipc_reader *r, cy_table **out, cy_error *err) {
  if (r->done || r->next_block >= r->footer.batches.len) return CY_OK;
  ipc_msg m;
  cy_status st = block_message(r, &r->footer.batches, r->next_block, IPC_HEADER_RECORD_BATCH,
                               &m, err);
  if (st == CY_OK) {
    st = decode_batch(r, &m, out, err);
    if (st != CY_OK) cy_error_prefix(err, "batch block %u: ", (unsigned)r->next_block);
  }
  msg_reset(&m);
  r->next_block++;
  if (st != CY_OK) r->done = true;
  return st;
}

/* ---- opening --------------------------------------------------------------------------- */

static cy_status open_stream(ipc_reader *r, cy_error *err) {
  ipc_msg m;
  r->message = 1;
  cy_status st = read_message(&r->src, 0, &m, err);
  if (st == CY_OK && (m.eos || m.msg.header_type != IPC_HEADER_SCHEMA)) {
    cy_error_set(err, "the stream does not start with a schema (found %s)",
                 m.eos ? "the end of stream" : header_name(m.msg.header_type));
    st = CY_EINVAL;
  }
  if (st == CY_OK) st = ipc_schema_decode(&m.msg.header, &r->schema, err);
  if (st != CY_OK) cy_error_prefix(err, "message 0 (schema): ");
  r->pos = m.end;
  msg_reset(&m);
  return st;
}

/* Read and decode the footer: ... footer, int32 footer size, "ARROW1". */
static cy_status read_footer(ipc_reader *r, cy_error *err) {
  uint8_t tail[4 + IPC_MAGIC_LEN];
  int64_t size = r->src.size, min = 2 * IPC_MAGIC_LEN + 2 + 4;
  if (size < min) {
    cy_error_set(err, "%lld bytes is too short for an Arrow IPC file", (long long)size);
    return CY_EINVAL;
  }
  CY_RETURN_NOT_OK(source_copy(&r->src, size - (int64_t)sizeof tail, sizeof tail, tail, err));
  if (memcmp(tail + 4, IPC_MAGIC, IPC_MAGIC_LEN) != 0) {
    cy_error_set(err, "no ARROW1 magic at the end of the file: truncated?");
    return CY_EINVAL;
  }
  int32_t len = fb_load_i32(tail);
  int64_t at = size - (int64_t)sizeof tail - len;
  if (len <= 0 || at < IPC_MAGIC_LEN + 2) {
    cy_error_set(err, "footer size %d does not fit the file", (int)len);
    return CY_EINVAL;
  }
  CY_RETURN_NOT_OK(source_read(&r->src, at, len, &r->footer_bytes, err));
  return ipc_footer_decode(r->footer_bytes->data, len, &r->footer, err);
}

static cy_status open_file(ipc_reader *r, cy_error *err) {
  cy_status st = read_footer(r, err);
  if (st != CY_OK) {
    cy_error_prefix(err, "footer: ");
    return st;
  }
  /* The schema moves from the footer to the reader (the footer keeps an empty one). */
  r->schema = r->footer.schema;
  memset(&r->footer.schema, 0, sizeof r->footer.schema);
  return CY_OK;
}

/* Apply every dictionary of a file (they all come before its batches). */
static cy_status file_dictionaries(ipc_reader *r, cy_error *err) {
  for (uint32_t i = 0; i < r->footer.dictionaries.len; i++) {
    ipc_msg m;
    cy_status st = block_message(r, &r->footer.dictionaries, i, IPC_HEADER_DICTIONARY, &m, err);
    if (st == CY_OK) {
      st = apply_dictionary(r, &m, err);
      if (st != CY_OK) cy_error_prefix(err, "dictionary block %u: ", (unsigned)i);
    }
    msg_reset(&m);
    if (st != CY_OK) return st;
  }
  return CY_OK;
}

static cy_status reader_start(ipc_reader *r, cy_error *err) {
  uint8_t magic[IPC_MAGIC_LEN];
  r->file = r->src.size >= IPC_MAGIC_LEN &&
            source_copy(&r->src, 0, IPC_MAGIC_LEN, magic, NULL) == CY_OK &&
            memcmp(magic, IPC_MAGIC, IPC_MAGIC_LEN) == 0;
  CY_RETURN_NOT_OK(r->file ? open_file(r, err) : open_stream(r, err));
  CY_RETURN_NOT_OK(ipc_dicts_init(&r->schema, &r->dicts, err));
  return r->file ? file_dictionaries(r, err) : CY_OK;
}

/* ---- cy_batch_reader ------------------------------------------------------------------- */

static cy_status reader_get_schema(cy_batch_reader *self, cy_schema *out, cy_error *err) {
  ipc_reader *r = self->private_data;
  return ipc_schema_to_cylon(&r->schema, out, err);
}

static cy_status reader_next(cy_batch_reader *self, cy_table **out, cy_error *err) {
  ipc_reader *r = self->private_data;
  *out = NULL;
  cy_status st = r->file ? file_next(r, out, err) : stream_next(r, out, err);
  if (st != CY_OK) cy_error_prefix(err, "%s: ", r->src.name);
  return st;
}

static void reader_release(cy_batch_reader *self) {
  if (self->private_data) reader_free(self->private_data);
  memset(self, 0, sizeof *self);
}

/* Make a batch reader over a source (moved into it, also on failure). */
static cy_status open_source(ipc_source *src, cy_batch_reader *out, cy_error *err) {
  memset(out, 0, sizeof *out);
  ipc_reader *r = calloc(1, sizeof *r);
  if (r == NULL) {
    source_close(src);
    cy_error_set(err, "out of memory opening an Arrow IPC reader");
    return CY_ENOMEM;
  }
  r->src = *src;
  memset(src, 0, sizeof *src);
  cy_status st = reader_start(r, err);
  if (st != CY_OK) {
    cy_error_prefix(err, "%s: ", r->src.name);
    reader_free(r);
    return st;
  }
  out->get_schema = reader_get_schema;
  out->next = reader_next;
  out->release = reader_release;
  out->private_data = r;
  return CY_OK;
}

static cy_status source_name(ipc_source *s, const char *name, cy_error *err) {
  if ((s->name = strdup(name ? name : "arrow ipc")) == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  return CY_OK;
}

cy_status ipc_open_memory(cy_buffer *whole, const char *name, cy_batch_reader *out,
                          cy_error *err) {
  ipc_source src = {0};
  memset(out, 0, sizeof *out);
  CY_RETURN_NOT_OK(source_name(&src, name, err));
  src.whole = cy_buffer_retain(whole);
  src.size = whole->size;
  return open_source(&src, out, err);
}

cy_status ipc_read_memory(cy_buffer *whole, const char *name, cy_table **out, cy_error *err) {
  cy_batch_reader reader;
  *out = NULL;
  CY_RETURN_NOT_OK(ipc_open_memory(whole, name, &reader, err));
  cy_status st = cy_batch_reader_read_all(&reader, out, err);
  reader.release(&reader);
  return st;
}

cy_status cy_ipc_open(const char *url, cy_batch_reader *out, cy_error *err) {
  ipc_source src = {0};
  memset(out, 0, sizeof *out);
  CY_RETURN_NOT_OK(cy_input_open(url, &src.input, err));
  src.size = src.input.size;
  cy_status st = source_name(&src, src.input.name, err);
  if (st != CY_OK) {
    source_close(&src);
    return st;
  }
  return open_source(&src, out, err);
}

cy_status cy_ipc_read(const char *url, cy_table **out, cy_error *err) {
  cy_input in;
  cy_buffer *whole = NULL;
  *out = NULL;
  CY_RETURN_NOT_OK(cy_input_open(url, &in, err));
  /* One read of the whole object; the columns then point into it. */
  cy_status st = cy_buffer_alloc(in.size, &whole, err);
  if (st == CY_OK && in.size > 0) st = in.read_at(&in, 0, in.size, whole->data, err);
  if (st == CY_OK) st = ipc_read_memory(whole, in.name, out, err);
  in.close(&in);
  cy_buffer_release(whole);
  return st;
}
