/*
 * test_ipc_malformed.c - the Arrow IPC reader on hand-made and damaged input: every
 * error is a clear status and message, never a crash (run it under ASan).
 *
 * Hand-made messages (flatbuffers built here with the same builder the writer uses, but
 * with the fields chosen by the test) check each refusal and its message: bad prefixes
 * and sizes, a missing schema, old metadata versions, big-endian data, float16 and
 * nested fields (named), buffers outside the body or too short, offsets that go
 * backwards, bad null counts, dictionaries (decoded, deltas, unknown ids, indices out of
 * range, batches before their dictionary), date64 (exact days read as date32, others
 * refused), compressed buffers with lying lengths or corrupt data, the legacy prefix, a
 * second schema, a tensor message, and file footers that do not fit.
 *
 * Then damage: a valid stream and a valid file (every type, nulls, three batches) are
 * read after truncation at every length and after flipping bits at every byte. Each read
 * must succeed or fail with a message; a table that does come back must be sound: every
 * value formats, and it writes and reads back equal.
 */
#include "io/ipc_format.h"
#include "test.h"

static cy_error err;

/* ---- bytes ---------------------------------------------------------------------------- */

typedef struct bytes {
  uint8_t *p;
  size_t n, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
  }
  if (n) memcpy(b->p + b->n, src, n);
  b->n += n;
}

static void put_zeros(bytes *b, size_t n) {
  static const uint8_t z[64] = {0};
  put(b, z, n);
}

/* An encapsulated message: prefix, metadata padded to 8, body padded to 8. */
static void put_message(bytes *b, const uint8_t *meta, size_t len, const bytes *body,
                        bool legacy) {
  size_t pre = legacy ? 4 : 8, padded = ((pre + len + 7) & ~(size_t)7) - pre;
  uint32_t cont = IPC_CONTINUATION, size = (uint32_t)padded;
  if (!legacy) put(b, &cont, 4);
  put(b, &size, 4);
  put(b, meta, len);
  put_zeros(b, padded - len);
  if (body && body->n) {
    put(b, body->p, body->n);
    put_zeros(b, (8 - body->n % 8) % 8);
  }
}

static cy_status read_bytes(const bytes *b, cy_table **out) {
  cy_buffer *buf = NULL;
  *out = NULL;
  OK(cy_buffer_alloc((int64_t)b->n, &buf, &err));
  if (b->n) memcpy(buf->data, b->p, b->n);
  cy_status st = ipc_read_memory(buf, "test.arrows", out, &err);
  cy_buffer_release(buf);
  return st;
}

/* ---- hand-made metadata --------------------------------------------------------------- */

enum { T_INT = 2, T_FLOAT = 3, T_UTF8 = 5, T_DECIMAL = 7, T_DATE = 8, T_LIST = 12 };

typedef struct fspec {
  const char *name;
  uint8_t tag;
  int a, b;           /* Int: bits, signed; Float: precision; Date: unit; Decimal: p, s */
  int64_t dict_id;    /* -1: not dictionary-encoded */
  int index_bits;
} fspec;

static fb_ref type_table(fb_builder *fb, const fspec *f) {
  fb_table_start(fb);
  if (f->tag == T_INT) {
    fb_add_i32(fb, 0, f->a);
    fb_add_bool(fb, 1, f->b);
  } else if (f->tag == T_FLOAT || f->tag == T_DATE) {
    fb_add_i16(fb, 0, (int16_t)f->a);
  } else if (f->tag == T_DECIMAL) {
    fb_add_i32(fb, 0, f->a);
    fb_add_i32(fb, 1, f->b);
  }
  return fb_table_end(fb);
}

static fb_ref field_table(fb_builder *fb, const fspec *f) {
  fb_ref name = fb_create_string(fb, f->name, strlen(f->name));
  fb_ref type = type_table(fb, f);
  fb_ref dict = 0;
  if (f->dict_id >= 0) {
    fb_table_start(fb);
    fb_add_i32(fb, 0, f->index_bits);
    fb_add_bool(fb, 1, true);
    fb_ref index = fb_table_end(fb);
    fb_table_start(fb);
    fb_add_i64(fb, 0, f->dict_id);
    fb_add_ref(fb, 1, index);
    dict = fb_table_end(fb);
  }
  fb_table_start(fb);
  fb_add_ref(fb, 0, name);
  fb_add_bool(fb, 1, true);
  fb_add_u8(fb, 2, f->tag);
  fb_add_ref(fb, 3, type);
  if (dict) fb_add_ref(fb, 4, dict);
  return fb_table_end(fb);
}

/* Finish a Message around header and add it to out. */
static void finish(fb_builder *fb, int16_t version, uint8_t type, fb_ref header,
                   const bytes *body, bytes *out, bool legacy) {
  fb_table_start(fb);
  fb_add_i16(fb, 0, version);
  fb_add_u8(fb, 1, type);
  fb_add_ref(fb, 2, header);
  fb_add_i64(fb, 3, body ? (int64_t)((body->n + 7) & ~(size_t)7) : 0);
  fb_ref m = fb_table_end(fb);
  const uint8_t *data;
  size_t len;
  CHECK(fb_finish(fb, m, &data, &len));
  put_message(out, data, len, body, legacy);
  fb_builder_reset(fb);
}

static void put_schema(bytes *out, const fspec *fields, int n, int16_t endianness,
                       int16_t version) {
  fb_builder fb;
  fb_builder_init(&fb, 8);
  fb_ref refs[8];
  for (int i = 0; i < n; i++) refs[i] = field_table(&fb, &fields[i]);
  fb_ref vec = fb_create_ref_vector(&fb, refs, (size_t)n);
  fb_table_start(&fb);
  fb_add_i16(&fb, 0, endianness);
  fb_add_ref(&fb, 1, vec);
  finish(&fb, version, IPC_HEADER_SCHEMA, fb_table_end(&fb), NULL, out, false);
}

/* A RecordBatch table (inside fb) over the given nodes and buffers. */
static fb_ref batch_table(fb_builder *fb, int64_t rows, const ipc_node *nodes, int nn,
                          const ipc_buffer_ref *bufs, int nb, int codec) {
  fb_ref n = fb_create_vector(fb, nodes, (size_t)nn, 16, 8);
  fb_ref b = fb_create_vector(fb, bufs, (size_t)nb, 16, 8);
  fb_ref comp = 0;
  if (codec >= 0) {
    fb_table_start(fb);
    fb_add_u8(fb, 0, (uint8_t)codec);
    comp = fb_table_end(fb);
  }
  fb_table_start(fb);
  fb_add_i64(fb, 0, rows);
  fb_add_ref(fb, 1, n);
  fb_add_ref(fb, 2, b);
  if (comp) fb_add_ref(fb, 3, comp);
  return fb_table_end(fb);
}

static void put_batch(bytes *out, int64_t rows, const ipc_node *nodes, int nn,
                      const ipc_buffer_ref *bufs, int nb, const bytes *body, int codec,
                      bool legacy) {
  fb_builder fb;
  fb_builder_init(&fb, 8);
  fb_ref rb = batch_table(&fb, rows, nodes, nn, bufs, nb, codec);
  finish(&fb, IPC_V5, IPC_HEADER_RECORD_BATCH, rb, body, out, legacy);
}

static void put_dictionary(bytes *out, int64_t id, bool delta, int64_t rows,
                           const ipc_node *nodes, const ipc_buffer_ref *bufs, int nb,
                           const bytes *body) {
  fb_builder fb;
  fb_builder_init(&fb, 8);
  fb_ref rb = batch_table(&fb, rows, nodes, 1, bufs, nb, -1);
  fb_table_start(&fb);
  fb_add_i64(&fb, 0, id);
  fb_add_ref(&fb, 1, rb);
  fb_add_bool(&fb, 2, delta);
  finish(&fb, IPC_V5, IPC_HEADER_DICTIONARY, fb_table_end(&fb), body, out, false);
}

static const fspec INT64_FIELD = {"n", T_INT, 64, 1, -1, 0};
static const fspec UTF8_FIELD = {"s", T_UTF8, 0, 0, -1, 0};

/* A stream of one int64 column of `rows` rows whose body holds values[] as given. */
static cy_status int64_stream(int64_t rows, int64_t nulls, const ipc_buffer_ref *bufs,
                              const int64_t *values, int nvalues, cy_table **out) {
  bytes s = {0}, body = {0};
  ipc_node node = {rows, nulls};
  put_schema(&s, &INT64_FIELD, 1, 0, IPC_V5);
  put(&body, values, (size_t)nvalues * 8);
  put_batch(&s, rows, &node, 1, bufs, 2, &body, -1, false);
  cy_status st = read_bytes(&s, out);
  free(s.p);
  free(body.p);
  return st;
}

/* ---- the hand-made cases -------------------------------------------------------------- */

static void test_framing(void) {
  cy_table *t = NULL;
  bytes s = {0};
  FAILS(read_bytes(&s, &t), CY_EINVAL, "does not start with a schema");
  put(&s, "ARROW1", 6);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "too short for an Arrow IPC file");
  put_zeros(&s, 20);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "no ARROW1 magic at the end");
  s.n = 0;
  put(&s, "ARROW1\0\0", 8);
  int32_t huge = 1 << 30;
  put(&s, &huge, 4);
  put(&s, "ARROW1", 6);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "footer size 1073741824 does not fit");
  s.n = 0;
  uint32_t bad[2] = {IPC_CONTINUATION, 0x80000000u};
  put(&s, bad, 8);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "metadata size -2147483648 is invalid");
  s.n = 0;
  bad[1] = 16;
  put(&s, bad, 8);
  put_zeros(&s, 16);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "malformed flatbuffer");
  s.n = 0;
  bad[1] = 1000;
  put(&s, bad, 8);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "past the end");
  /* A record batch first. */
  s.n = 0;
  ipc_node node = {0, 0};
  ipc_buffer_ref none[2] = {{0, 0}, {0, 0}};
  put_batch(&s, 0, &node, 1, none, 2, NULL, -1, false);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "does not start with a schema (found record batch)");
  free(s.p);
}

static void test_schemas(void) {
  cy_table *t = NULL;
  bytes s = {0};
  put_schema(&s, &INT64_FIELD, 1, 0, 2 /* V3 */);
  FAILS(read_bytes(&s, &t), CY_ENOTSUP, "metadata version V3 is not supported");
  s.n = 0;
  put_schema(&s, &INT64_FIELD, 1, 1, IPC_V5);
  FAILS(read_bytes(&s, &t), CY_ENOTSUP, "big-endian");
  s.n = 0;
  fspec half = {"h", T_FLOAT, 0, 0, -1, 0};
  put_schema(&s, &half, 1, 0, IPC_V5);
  FAILS(read_bytes(&s, &t), CY_ENOTSUP, "field 0 'h': float16");
  s.n = 0;
  fspec fields[2] = {INT64_FIELD, {"items", T_LIST, 0, 0, -1, 0}};
  put_schema(&s, fields, 2, 0, IPC_V5);
  FAILS(read_bytes(&s, &t), CY_ENOTSUP, "field 1 'items': nested type list");
  s.n = 0;
  fspec odd = {"i", T_INT, 24, 1, -1, 0};
  put_schema(&s, &odd, 1, 0, IPC_V5);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "integer width 24");
  s.n = 0;
  fspec dec = {"d", T_DECIMAL, 39, 2, -1, 0};
  put_schema(&s, &dec, 1, 0, IPC_V5);
  FAILS(read_bytes(&s, &t), CY_ENOTSUP, "decimal128(39, 2)");
  /* A schema alone is an empty table. */
  s.n = 0;
  put_schema(&s, fields, 1, 0, IPC_V4);
  OK(read_bytes(&s, &t));
  CHECK(t && t->num_rows == 0 && t->schema.num_fields == 1);
  cy_table_release(t);
  /* Two schemas. */
  put_schema(&s, fields, 1, 0, IPC_V5);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "message 1 (schema): a second schema");
  free(s.p);
}

static void test_buffers(void) {
  cy_table *t = NULL;
  const int64_t v[3] = {7, 8, 9};
  ipc_buffer_ref ok[2] = {{0, 0}, {0, 24}};
  OK(int64_stream(3, 0, ok, v, 3, &t));
  CHECK(t && t->num_rows == 3 && ((const int64_t *)cy_column_data(t->columns[0]))[2] == 9);
  cy_table_release(t);
  ipc_buffer_ref outside[2] = {{0, 0}, {16, 24}};
  FAILS(int64_stream(3, 0, outside, v, 3, &t), CY_EINVAL, "lies outside the 24-byte body");
  ipc_buffer_ref negative[2] = {{0, 0}, {-8, 8}};
  FAILS(int64_stream(3, 0, negative, v, 3, &t), CY_EINVAL, "lies outside");
  ipc_buffer_ref shorter[2] = {{0, 0}, {0, 16}};
  FAILS(int64_stream(3, 0, shorter, v, 3, &t), CY_EINVAL,
        "field 'n': buffer 1 holds 16 bytes where the column needs 24");
  FAILS(int64_stream(3, 4, ok, v, 3, &t), CY_EINVAL, "null count 4");
  FAILS(int64_stream(3, 1, ok, v, 3, &t), CY_EINVAL, "buffer 0 holds 0 bytes");
  FAILS(int64_stream(-1, 0, ok, v, 3, &t), CY_EINVAL, "negative row count");
  /* Nulls: bitmap 0b101 in the first 8 bytes. */
  const int64_t with_bits[4] = {5, 7, 8, 9};
  ipc_buffer_ref bits[2] = {{0, 1}, {8, 24}};
  OK(int64_stream(3, 1, bits, with_bits, 4, &t));
  CHECK(t && t->columns[0]->null_count == 1 && !cy_column_is_valid(t->columns[0], 1));
  cy_table_release(t);
  /* Too few buffers and nodes. */
  bytes s = {0}, body = {0};
  ipc_node node = {3, 0};
  put_schema(&s, &INT64_FIELD, 1, 0, IPC_V5);
  put(&body, v, 24);
  put_batch(&s, 3, &node, 1, ok, 1, &body, -1, false);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "lists 1 buffers, fewer than its columns need");
  s.n = 0;
  put_schema(&s, &INT64_FIELD, 1, 0, IPC_V5);
  put_batch(&s, 3, &node, 0, ok, 2, &body, -1, false);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "message 1 (record batch): field 'n': the batch lists 0 field nodes");
  s.n = 0;
  put_schema(&s, &INT64_FIELD, 1, 0, IPC_V5);
  put_batch(&s, 2, &node, 1, ok, 2, &body, -1, false);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "column has 3 rows, the batch 2");
  free(s.p);
  free(body.p);
}

static cy_status utf8_stream(const int32_t *offsets, int rows, cy_table **out) {
  bytes s = {0}, body = {0};
  ipc_node node = {rows, 0};
  put_schema(&s, &UTF8_FIELD, 1, 0, IPC_V5);
  put(&body, offsets, (size_t)(rows + 1) * 4);
  put_zeros(&body, (8 - body.n % 8) % 8);
  size_t data_at = body.n;
  put(&body, "abcdefgh", 8);
  ipc_buffer_ref bufs[3] = {{0, 0}, {0, (rows + 1) * 4}, {(int64_t)data_at, 8}};
  put_batch(&s, rows, &node, 1, bufs, 3, &body, -1, false);
  cy_status st = read_bytes(&s, out);
  free(s.p);
  free(body.p);
  return st;
}

static void test_offsets(void) {
  cy_table *t = NULL;
  const int32_t good[4] = {0, 3, 3, 8}, back[4] = {0, 5, 2, 8}, neg[4] = {-1, 0, 1, 2},
                past[4] = {0, 1, 2, 9};
  OK(utf8_stream(good, 3, &t));
  int64_t n = 0;
  const uint8_t *p = t ? cy_column_bytes(t->columns[0], 2, &n) : NULL;
  CHECK(p && n == 5 && memcmp(p, "defgh", 5) == 0);
  cy_table_release(t);
  FAILS(utf8_stream(back, 3, &t), CY_EINVAL, "offset 2 at row 2 is below the one before");
  FAILS(utf8_stream(neg, 3, &t), CY_EINVAL, "offset -1 at row 0 is negative");
  FAILS(utf8_stream(past, 3, &t), CY_EINVAL, "holds 8 bytes where the column needs 9");
}

/* A dictionary-encoded utf8 field (int16 indices) with dictionary 7. */
static void dictionary_stream(bytes *s, const char *const *words, int nwords, bool delta) {
  static const fspec f = {"word", T_UTF8, 0, 0, 7, 16};
  bytes body = {0};
  int32_t offsets[9] = {0};
  for (int i = 0; i < nwords; i++) offsets[i + 1] = offsets[i] + (int32_t)strlen(words[i]);
  if (!delta) put_schema(s, &f, 1, 0, IPC_V5);
  put(&body, offsets, (size_t)(nwords + 1) * 4);
  put_zeros(&body, (8 - body.n % 8) % 8);
  size_t at = body.n;
  for (int i = 0; i < nwords; i++) put(&body, words[i], strlen(words[i]));
  ipc_node node = {nwords, 0};
  ipc_buffer_ref bufs[3] = {{0, 0}, {0, (nwords + 1) * 4}, {(int64_t)at, offsets[nwords]}};
  put_dictionary(s, 7, delta, nwords, &node, bufs, 3, &body);
  free(body.p);
}

static void put_indices(bytes *s, const int16_t *idx, int n, uint8_t valid_bits) {
  bytes body = {0};
  put(&body, &valid_bits, 1);
  put_zeros(&body, 7);
  put(&body, idx, (size_t)n * 2);
  ipc_node node = {n, valid_bits == 0xFF ? 0 : 1};
  ipc_buffer_ref bufs[2] = {{0, 1}, {8, n * 2}};
  put_batch(s, n, &node, 1, bufs, 2, &body, -1, false);
  free(body.p);
}

static void test_dictionaries(void) {
  static const char *const w1[] = {"red", "green"}, *const w2[] = {"blue"};
  cy_table *t = NULL;
  bytes s = {0};
  const int16_t idx[4] = {1, 0, 5, 1}, idx2[4] = {2, 0, 1, 2}, bad[4] = {0, 3, 0, 0};
  dictionary_stream(&s, w1, 2, false);
  put_indices(&s, idx, 4, 0xFB); /* row 2 null: its index 5 is never looked at */
  dictionary_stream(&s, w2, 1, true);
  put_indices(&s, idx2, 4, 0xFF);
  OK(read_bytes(&s, &t));
  const char *want[8] = {"green", "red", NULL, "green", "blue", "red", "green", "blue"};
  CHECK(t && t->num_rows == 8 && t->schema.fields[0].type.id == CY_UTF8);
  for (int64_t r = 0; t && r < 8; r++) {
    char buf[32];
    cy_column_format_value(t->columns[0], r, "(null)", buf, sizeof buf);
    CHECK_EQ_STR(buf, want[r] ? want[r] : "(null)");
  }
  cy_table_release(t);
  s.n = 0;
  dictionary_stream(&s, w1, 2, false);
  put_indices(&s, bad, 4, 0xFF);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "dictionary index 3 at row 1 is outside the 2-entry dictionary 7");
  s.n = 0;
  put_schema(&s, &(fspec){"word", T_UTF8, 0, 0, 7, 16}, 1, 0, IPC_V5);
  put_indices(&s, idx2, 4, 0xFF);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "dictionary 7 has not been sent before the batch");
  s.n = 0;
  put_schema(&s, &UTF8_FIELD, 1, 0, IPC_V5);
  bytes tail = {0};
  dictionary_stream(&tail, w1, 2, true); /* a dictionary batch only, for id 7 */
  put(&s, tail.p, tail.n);
  FAILS(read_bytes(&s, &t), CY_EINVAL, "dictionary batch for id 7, which no field uses");
  free(tail.p);
  free(s.p);
}

static cy_status date64_stream(const int64_t *ms, int n, cy_table **out) {
  static const fspec f = {"d", T_DATE, 1, 0, -1, 0};
  bytes s = {0}, body = {0};
  put_schema(&s, &f, 1, 0, IPC_V5);
  put(&body, ms, (size_t)n * 8);
  ipc_node node = {n, 0};
  ipc_buffer_ref bufs[2] = {{0, 0}, {0, n * 8}};
  put_batch(&s, n, &node, 1, bufs, 2, &body, -1, false);
  cy_status st = read_bytes(&s, out);
  free(s.p);
  free(body.p);
  return st;
}

static void test_date64(void) {
  cy_table *t = NULL;
  const int64_t days[3] = {0, -86400000LL * 3, 86400000LL * 20000}, partial[2] = {0, 5};
  OK(date64_stream(days, 3, &t));
  CHECK(t && t->schema.fields[0].type.id == CY_DATE32);
  const int32_t *d = t ? cy_column_data(t->columns[0]) : NULL;
  CHECK(d && d[0] == 0 && d[1] == -3 && d[2] == 20000);
  cy_table_release(t);
  FAILS(date64_stream(partial, 2, &t), CY_EINVAL, "date64 value 5 ms at row 1 is not a whole day");
}

/* One int64 column of 64 rows in a compressed body: buffer 1 is prefix + payload. */
static cy_status compressed_stream(int codec, int64_t prefix, const void *payload, size_t n,
                                   cy_table **out) {
  bytes s = {0}, body = {0};
  put_schema(&s, &INT64_FIELD, 1, 0, IPC_V5);
  put(&body, &prefix, 8);
  put(&body, payload, n);
  ipc_node node = {64, 0};
  ipc_buffer_ref bufs[2] = {{0, 0}, {0, (int64_t)(8 + n)}};
  put_batch(&s, 64, &node, 1, bufs, 2, &body, codec, false);
  cy_status st = read_bytes(&s, out);
  free(s.p);
  free(body.p);
  return st;
}

static void test_compression(void) {
  cy_table *t = NULL;
  int64_t v[64];
  for (int i = 0; i < 64; i++) v[i] = i;
  OK(compressed_stream(IPC_CODEC_ZSTD, -1, v, sizeof v, &t)); /* stored as is */
  CHECK(t && ((const int64_t *)cy_column_data(t->columns[0]))[63] == 63);
  cy_table_release(t);
  FAILS(compressed_stream(IPC_CODEC_ZSTD, 1 << 30, v, 16, &t), CY_EINVAL,
        "claims 1073741824 bytes where the column needs 512");
  FAILS(compressed_stream(IPC_CODEC_ZSTD, 512, v, 16, &t), CY_EINVAL, "zstd:");
  FAILS(compressed_stream(IPC_CODEC_LZ4_FRAME, 512, v, 16, &t), CY_EINVAL, "LZ4 frame");
  FAILS(compressed_stream(IPC_CODEC_ZSTD, 512, v, 4, &t), CY_EINVAL, "zstd:");
}

static void test_other_messages(void) {
  cy_table *t = NULL;
  bytes s = {0};
  const int64_t v[3] = {1, 2, 3};
  put_schema(&s, &INT64_FIELD, 1, 0, IPC_V5);
  fb_builder fb;
  fb_builder_init(&fb, 8);
  fb_table_start(&fb);
  finish(&fb, IPC_V5, IPC_HEADER_TENSOR, fb_table_end(&fb), NULL, &s, false);
  FAILS(read_bytes(&s, &t), CY_ENOTSUP, "message 1 (tensor): tensor messages are not supported");
  /* The legacy prefix (no continuation marker), ended by a 4-byte zero. */
  s.n = 0;
  bytes schema = {0}, body = {0};
  put_schema(&schema, &INT64_FIELD, 1, 0, IPC_V5);
  put(&s, schema.p + 4, schema.n - 4); /* drop the marker: size, then metadata */
  put(&body, v, 24);
  ipc_node node = {3, 0};
  ipc_buffer_ref bufs[2] = {{0, 0}, {0, 24}};
  put_batch(&s, 3, &node, 1, bufs, 2, &body, -1, true);
  put_zeros(&s, 4);
  OK(read_bytes(&s, &t));
  CHECK(t && t->num_rows == 3);
  cy_table_release(t);
  free(schema.p);
  free(body.p);
  free(s.p);
}

/* ---- damage --------------------------------------------------------------------------- */

static cy_table *sample(void) {
  cy_table *batches[3];
  for (int b = 0; b < 3; b++) {
    int64_t iv[4] = {b, -1, INT64_MAX, 4};
    uint8_t valid[4] = {1, 0, 1, 1};
    const char *sv[4] = {"a", NULL, "", "longer string here"};
    cy_column *cols[3];
    OK(cy_column_from_values(cy_type_make(CY_INT64), iv, valid, 4 - b, &cols[0], &err));
    OK(cy_column_from_strings(sv, 4 - b, &cols[1], &err));
    OK(cy_column_from_values(cy_type_make(CY_BOOL), valid, NULL, 4 - b, &cols[2], &err));
    const char *names[3] = {"i", "s", "b"};
    OK(cy_table_make(3, names, cols, &batches[b], &err));
    for (int c = 0; c < 3; c++) cy_column_release(cols[c]);
  }
  cy_table *t = NULL;
  OK(cy_table_concat(3, batches, &t, &err));
  for (int b = 0; b < 3; b++) cy_table_release(batches[b]);
  return t;
}

typedef struct mem_out {
  bytes b;
} mem_out;

static cy_status mem_write(cy_output *self, const void *p, int64_t n, cy_error *e) {
  (void)e;
  put(&((mem_out *)self->private_data)->b, p, (size_t)n);
  return CY_OK;
}

static bytes write_bytes(const cy_table *t, bool file_format, int64_t batch_rows) {
  mem_out m = {{0}};
  cy_output out = {.write = mem_write, .name = "memory", .private_data = &m};
  cy_ipc_write_options o;
  cy_ipc_write_options_init(&o);
  o.file_format = file_format;
  o.batch_rows = batch_rows;
  OK(ipc_write_output(t, &out, &o, IPC_CODEC_NONE, &err));
  return m.b;
}

/* A damaged input either fails with a message or gives a sound table. */
static int64_t damaged_reads, damaged_ok;

static void read_damaged(const bytes *b) {
  cy_table *t = NULL;
  err.message[0] = 0;
  cy_status st = read_bytes(b, &t);
  damaged_reads++;
  if (st != CY_OK) {
    CHECK(t == NULL && err.message[0] != 0);
    return;
  }
  damaged_ok++;
  char buf[64];
  for (int32_t c = 0; c < t->schema.num_fields; c++)
    for (int64_t r = 0; r < t->num_rows; r++)
      cy_column_format_value(t->columns[c], r, "null", buf, sizeof buf);
  bytes again = write_bytes(t, false, 0);
  cy_table *t2 = NULL;
  bool same = false;
  OK(read_bytes(&again, &t2));
  if (t2) OK(cy_table_equals(t, t2, true, &same, &err));
  CHECK(same);
  cy_table_release(t2);
  cy_table_release(t);
  free(again.p);
}

static void test_damage(void) {
  cy_table *t = sample();
  for (int f = 0; f < 2; f++) {
    bytes good = write_bytes(t, f, 4), b = {0};
    cy_table *back = NULL;
    bool same = false;
    OK(read_bytes(&good, &back));
    if (back) OK(cy_table_equals(t, back, true, &same, &err));
    CHECK(same);
    cy_table_release(back);
    for (size_t n = 0; n < good.n; n++) {
      b.n = 0;
      put(&b, good.p, n);
      read_damaged(&b);
    }
    static const uint8_t flips[] = {0xFF, 0x01, 0x80, 0x10};
    for (size_t i = 0; i < good.n; i++) {
      for (size_t k = 0; k < sizeof flips; k++) {
        b.n = 0;
        put(&b, good.p, good.n);
        b.p[i] ^= flips[k];
        read_damaged(&b);
      }
    }
    free(b.p);
    free(good.p);
  }
  cy_table_release(t);
  fprintf(stderr, "damaged inputs: %lld read, %lld of them gave a table\n",
          (long long)damaged_reads, (long long)damaged_ok);
}

int main(void) {
  int64_t base = cy_memory_current();
  test_framing();
  test_schemas();
  test_buffers();
  test_offsets();
  test_dictionaries();
  test_date64();
  test_compression();
  test_other_messages();
  test_damage();
  CHECK_EQ_INT(cy_memory_current(), base);
  TEST_MAIN_END();
}
