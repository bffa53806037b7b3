/*
 * test_parquet_read.c - unit tests of the Parquet reader's parts: the Thrift compact
 * protocol (encode, decode, hostile input), the codecs, the RLE / bit-packed hybrid and
 * DELTA decoders, with inputs built here and hostile variants of them. Whole files are
 * tested by test_parquet_files.c (built byte by byte) and tests/oracle/parquet_diff.mjs
 * (against DuckDB).
 */
#include <lz4.h>
#include <math.h>

#include "io/parquet_codec.h"
#include "io/parquet_decode.h"
#include "io/parquet_meta.h"
#include "io/parquet_reader.h"
#include "io/parquet_thrift.h"
#include "test.h"

/* ---- Thrift ----------------------------------------------------------------------- */

static void test_thrift_values(void) {
  pqt_writer w;
  pqt_writer_init(&w);
  pqt_write_struct_begin(&w);
  pqt_write_field_i32(&w, 1, -5);
  pqt_write_field_i64(&w, 40, INT64_MIN); /* long-form field header */
  pqt_write_field_bool(&w, 41, true);
  pqt_write_field_string(&w, 42, "hello");
  pqt_write_field_list_begin(&w, 43, PQT_I32, 20); /* long-form list header */
  for (int i = 0; i < 20; i++) pqt_write_zigzag(&w, i - 10);
  pqt_write_field_struct_begin(&w, 2); /* ids may go down */
  pqt_write_field_i32(&w, 1, 7);
  pqt_write_struct_end(&w);
  pqt_write_struct_end(&w);
  cy_error err;
  OK(pqt_writer_status(&w, "test", &err));

  pqt_reader r;
  pqt_reader_init(&r, w.data, w.len);
  pqt_struct_begin(&r);
  pqt_type t;
  int16_t id;
  int fields = 0;
  for (;;) {
    pqt_field_begin(&r, &t, &id);
    if (t == PQT_STOP) break;
    fields++;
    if (id == 1) CHECK_EQ_INT(pqt_read_i32(&r), -5);
    if (id == 40) CHECK(pqt_read_zigzag(&r) == INT64_MIN);
    if (id == 41) CHECK(t == PQT_BOOL_TRUE);
    if (id == 42) {
      int64_t n;
      const uint8_t *s = pqt_read_binary(&r, &n);
      CHECK(n == 5 && memcmp(s, "hello", 5) == 0);
    }
    if (id == 43) {
      pqt_type et;
      int64_t n;
      pqt_list_begin(&r, &et, &n);
      CHECK_EQ_INT(n, 20);
      for (int i = 0; i < n; i++) CHECK_EQ_INT(pqt_read_i32(&r), i - 10);
      pqt_list_end(&r);
    }
    if (id == 2) pqt_skip(&r, t);
  }
  pqt_struct_end(&r);
  CHECK_EQ_INT(fields, 6);
  OK(pqt_reader_status(&r, "test", &err));
  CHECK_EQ_INT(pqt_reader_offset(&r), w.len);

  /* Every truncation fails cleanly. */
  for (int64_t cut = 0; cut < w.len; cut++) {
    pqt_reader_init(&r, w.data, cut);
    pqt_skip(&r, PQT_STRUCT);
    CHECK(r.failed);
  }
  pqt_writer_reset(&w);

  /* Nesting deeper than the limit, and a list that claims more than the bytes hold. */
  uint8_t deep[200];
  for (int i = 0; i < 200; i++) deep[i] = 0x1c; /* field 1, struct */
  pqt_reader_init(&r, deep, sizeof deep);
  pqt_skip(&r, PQT_STRUCT);
  FAILS(pqt_reader_status(&r, "deep", &err), CY_EINVAL, "nesting");
  uint8_t lie[] = {0x19, 0xf5, 0xff, 0xff, 0xff, 0x0f, 1, 2}; /* list<i32> of 2^32-1 */
  pqt_reader_init(&r, lie, sizeof lie);
  pqt_skip(&r, PQT_STRUCT);
  FAILS(pqt_reader_status(&r, "lie", &err), CY_EINVAL, "cannot fit");
}

static pq_file_meta sample_meta(pq_schema_element *schema, pq_row_group *rg,
                                pq_column_chunk *cc, pq_key_value *kv, int32_t *orders,
                                int32_t *encodings, const char **path) {
  memset(schema, 0, 3 * sizeof *schema);
  schema[0] = pq_schema_element_init();
  schema[0].name = "schema";
  schema[0].has_num_children = true;
  schema[0].num_children = 2;
  schema[1] = pq_schema_element_init();
  schema[1].name = "a";
  schema[1].has_type = true;
  schema[1].type = PQ_INT64;
  schema[1].has_repetition = true;
  schema[1].repetition = PQ_OPTIONAL;
  schema[1].logical.kind = PQ_LT_TIMESTAMP;
  schema[1].logical.unit = PQ_UNIT_NANOS;
  schema[1].logical.is_adjusted_to_utc = true;
  schema[2] = pq_schema_element_init();
  schema[2].name = "b";
  schema[2].has_type = true;
  schema[2].type = PQ_FIXED_LEN_BYTE_ARRAY;
  schema[2].has_type_length = true;
  schema[2].type_length = 9;
  schema[2].has_repetition = true;
  schema[2].repetition = PQ_REQUIRED;
  schema[2].converted_type = PQ_CT_DECIMAL;
  schema[2].has_scale = schema[2].has_precision = true;
  schema[2].scale = 3;
  schema[2].precision = 20;
  schema[2].logical.kind = PQ_LT_DECIMAL;
  schema[2].logical.scale = 3;
  schema[2].logical.precision = 20;
  memset(cc, 0, 2 * sizeof *cc);
  for (int i = 0; i < 2; i++) {
    cc[i].has_meta_data = true;
    pq_column_meta *m = &cc[i].meta_data;
    m->type = schema[1 + i].type;
    m->encodings = encodings;
    m->num_encodings = 2;
    m->path = &path[i];
    m->path_len = 1;
    m->codec = PQ_CODEC_ZSTD;
    m->num_values = 100;
    m->total_compressed_size = 1000 + i;
    m->total_uncompressed_size = 2000 + i;
    m->data_page_offset = 4 + 1000 * i;
    m->has_statistics = true;
    m->statistics.has_min_value = m->statistics.has_max_value = true;
    m->statistics.min_value = (pq_bytes){(const uint8_t *)"\x01\x02", 2};
    m->statistics.max_value = (pq_bytes){(const uint8_t *)"\xff", 1};
    m->statistics.has_null_count = true;
    m->statistics.null_count = 3;
  }
  cc[0].meta_data.key_value = kv;
  cc[0].meta_data.num_key_value = 2;
  memset(rg, 0, sizeof *rg);
  rg->columns = cc;
  rg->num_columns = 2;
  rg->num_rows = 100;
  rg->total_byte_size = 4001;
  rg->has_ordinal = true;
  rg->ordinal = 0;
  pq_file_meta m;
  memset(&m, 0, sizeof m);
  m.version = 1;
  m.schema = schema;
  m.num_schema = 3;
  m.num_rows = 100;
  m.row_groups = rg;
  m.num_row_groups = 1;
  m.key_value = kv;
  m.num_key_value = 2;
  m.created_by = "cylon test";
  m.column_orders = orders;
  m.num_column_orders = 2;
  return m;
}

static void test_meta_roundtrip(void) {
  pq_schema_element schema[3];
  pq_row_group rg;
  pq_column_chunk cc[2];
  pq_key_value kv[2] = {{"foo", "bar"}, {"novalue", NULL}};
  int32_t orders[2] = {PQ_ORDER_TYPE_DEFINED, PQ_ORDER_TYPE_DEFINED};
  int32_t encodings[2] = {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY};
  const char *path[2] = {"a", "b"};
  pq_file_meta m = sample_meta(schema, &rg, cc, kv, orders, encodings, path);
  pqt_writer w;
  pqt_writer_init(&w);
  pq_file_meta_encode(&w, &m);
  cy_error err;
  OK(pqt_writer_status(&w, "footer", &err));
  pq_file_meta d;
  OK(pq_file_meta_decode(w.data, w.len, "x.parquet", &d, &err));
  CHECK_EQ_INT(d.num_schema, 3);
  CHECK_EQ_STR(d.schema[1].name, "a");
  CHECK_EQ_INT(d.schema[1].logical.kind, PQ_LT_TIMESTAMP);
  CHECK_EQ_INT(d.schema[1].logical.unit, PQ_UNIT_NANOS);
  CHECK(d.schema[1].logical.is_adjusted_to_utc);
  CHECK_EQ_INT(d.schema[2].type_length, 9);
  CHECK_EQ_INT(d.schema[2].logical.precision, 20);
  CHECK_EQ_INT(d.schema[2].converted_type, PQ_CT_DECIMAL);
  CHECK_EQ_INT(d.schema[0].converted_type, PQ_CT_NONE);
  CHECK_EQ_INT(d.num_row_groups, 1);
  CHECK_EQ_INT(d.row_groups[0].num_columns, 2);
  CHECK(d.row_groups[0].has_ordinal);
  const pq_column_meta *cm = &d.row_groups[0].columns[1].meta_data;
  CHECK_EQ_INT(cm->data_page_offset, 1004);
  CHECK_EQ_INT(cm->total_compressed_size, 1001);
  CHECK_EQ_INT(cm->codec, PQ_CODEC_ZSTD);
  CHECK_EQ_STR(cm->path[0], "b");
  CHECK_EQ_INT(cm->encodings[1], PQ_ENC_RLE_DICTIONARY);
  CHECK(cm->statistics.has_null_count && cm->statistics.null_count == 3);
  CHECK(cm->statistics.min_value.len == 2 && cm->statistics.min_value.data[1] == 2);
  CHECK_EQ_INT(d.row_groups[0].columns[0].meta_data.num_key_value, 2);
  CHECK(d.row_groups[0].columns[0].meta_data.key_value[1].value == NULL);
  CHECK_EQ_STR(d.created_by, "cylon test");
  CHECK_EQ_INT(d.column_orders[1], PQ_ORDER_TYPE_DEFINED);
  pq_file_meta_reset(&d);

  /* Truncated footers fail with a message naming the file. */
  for (int64_t cut = 0; cut < w.len; cut += 3) {
    cy_status st = pq_file_meta_decode(w.data, cut, "x.parquet", &d, &err);
    CHECK(st != CY_OK);
    CHECK(strstr(err.message, "x.parquet") != NULL);
  }
  pqt_writer_reset(&w);

  /* Page headers: v1 with statistics and a CRC, v2, dictionary. */
  pq_page_header h;
  memset(&h, 0, sizeof h);
  h.type = PQ_PAGE_DATA_V2;
  h.uncompressed_page_size = 77;
  h.compressed_page_size = 55;
  h.has_crc = true;
  h.crc = (int32_t)0xdeadbeef;
  h.has_data_page_header_v2 = true;
  h.data_page_header_v2 = (pq_data_page_header_v2){.num_values = 9, .num_nulls = 2, .num_rows = 9,
      .encoding = PQ_ENC_DELTA_BINARY_PACKED, .definition_levels_byte_length = 3,
      .repetition_levels_byte_length = 0, .is_compressed = false};
  pqt_writer_init(&w);
  pq_page_header_encode(&w, &h);
  pq_page_header g;
  int64_t used;
  OK(pq_page_header_decode(w.data, w.len, &g, &used, &err));
  CHECK_EQ_INT(used, w.len);
  CHECK((uint32_t)g.crc == 0xdeadbeef && g.has_crc);
  CHECK(!g.data_page_header_v2.is_compressed);
  CHECK_EQ_INT(g.data_page_header_v2.definition_levels_byte_length, 3);
  CHECK_EQ_INT(g.data_page_header_v2.encoding, PQ_ENC_DELTA_BINARY_PACKED);
  pqt_writer_reset(&w);
}

/* ---- codecs ----------------------------------------------------------------------- */

static void test_codecs(void) {
  cy_error err;
  uint8_t src[5000];
  for (int i = 0; i < 5000; i++) src[i] = (uint8_t)(i % 7 == 0 ? i : 'a' + i % 3);
  int32_t codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD,
                      PQ_CODEC_LZ4_RAW, PQ_CODEC_BROTLI};
  for (size_t k = 0; k < sizeof codecs / sizeof codecs[0]; k++) {
    int64_t cap = pq_compress_bound(codecs[k], 5000), n;
    uint8_t *c = malloc((size_t)cap), back[5000], big[6000];
    OK(pq_compress(codecs[k], 0, src, 5000, c, cap, &n, &err));
    OK(pq_decompress(codecs[k], c, n, back, 5000, &err));
    CHECK(memcmp(src, back, 5000) == 0);
    /* A header that lies about the size is an error, either way. */
    CHECK(pq_decompress(codecs[k], c, n, back, 4999, &err) != CY_OK);
    CHECK(pq_decompress(codecs[k], c, n, big, 5001, &err) != CY_OK);
    if (n > 8) CHECK(pq_decompress(codecs[k], c, n / 2, back, 5000, &err) != CY_OK);
    free(c);
  }
  /* Two gzip members in one page. */
  int64_t cap = pq_compress_bound(PQ_CODEC_GZIP, 2500), n1, n2;
  uint8_t *two = malloc((size_t)(2 * cap)), back[5000];
  OK(pq_compress(PQ_CODEC_GZIP, 0, src, 2500, two, cap, &n1, &err));
  OK(pq_compress(PQ_CODEC_GZIP, 0, src + 2500, 2500, two + n1, cap, &n2, &err));
  OK(pq_decompress(PQ_CODEC_GZIP, two, n1 + n2, back, 5000, &err));
  CHECK(memcmp(src, back, 5000) == 0);
  free(two);
  /* The Hadoop LZ4 framing: [BE32 raw][BE32 compressed][block], twice. */
  uint8_t framed[12000];
  int64_t at = 0;
  for (int half = 0; half < 2; half++) {
    int c = LZ4_compress_default((const char *)src + 2500 * half, (char *)framed + at + 8, 2500,
                                 4000);
    uint32_t raw = 2500, comp = (uint32_t)c;
    for (int i = 0; i < 4; i++) framed[at + i] = (uint8_t)(raw >> (24 - 8 * i));
    for (int i = 0; i < 4; i++) framed[at + 4 + i] = (uint8_t)(comp >> (24 - 8 * i));
    at += 8 + c;
  }
  OK(pq_decompress(PQ_CODEC_LZ4, framed, at, back, 5000, &err));
  CHECK(memcmp(src, back, 5000) == 0);
  FAILS(pq_decompress(PQ_CODEC_LZO, framed, at, back, 5000, &err), CY_ENOTSUP, "LZO");
  CHECK_EQ_INT(pq_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
  cy_compression c;
  OK(cy_compression_parse("ZSTD", &c, &err));
  CHECK_EQ_INT(c, CY_COMPRESSION_ZSTD);
  CHECK_EQ_STR(cy_compression_name(CY_COMPRESSION_LZ4_RAW), "lz4_raw");
  FAILS(cy_compression_parse("lzma", &c, &err), CY_EINVAL, "lzma");
}

/* ---- encodings -------------------------------------------------------------------- */

/* A little byte writer for the tests' hand-made streams. */
typedef struct bytes {
  uint8_t d[65536];
  int64_t n;
} bytes;

static void put_u8(bytes *b, uint8_t v) { b->d[b->n++] = v; }
static void put_uvarint(bytes *b, uint64_t v) {
  while (v >= 0x80) put_u8(b, (uint8_t)(v | 0x80)), v >>= 7;
  put_u8(b, (uint8_t)v);
}
static void put_zigzag(bytes *b, int64_t v) { put_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }
/* An RLE run of `count` copies of v at bit width bw. */
static void rle_run(bytes *b, uint64_t count, uint32_t v, int bw) {
  put_uvarint(b, count << 1);
  for (int i = 0; i < (bw + 7) / 8; i++) put_u8(b, (uint8_t)(v >> (8 * i)));
}
/* A bit-packed run of n values (n a multiple of 8), LSB first. */
static void packed_run(bytes *b, const uint64_t *v, int n, int bw) {
  put_uvarint(b, ((uint64_t)(n / 8) << 1) | 1);
  int64_t start = b->n, bits = (int64_t)n * bw;
  memset(b->d + start, 0, (size_t)((bits + 7) / 8));
  for (int i = 0; i < n; i++)
    for (int k = 0; k < bw; k++)
      if ((v[i] >> k) & 1) {
        int64_t bit = (int64_t)i * bw + k;
        b->d[start + bit / 8] |= (uint8_t)(1 << (bit % 8));
      }
  b->n += (bits + 7) / 8;
}

static void test_rle(void) {
  cy_error err;
  bytes b = {.n = 0};
  uint64_t v[16];
  for (int i = 0; i < 16; i++) v[i] = (uint64_t)(i * 5 % 8);
  rle_run(&b, 5, 6, 3);
  packed_run(&b, v, 16, 3);
  rle_run(&b, 300, 1, 3);
  uint32_t out[321];
  pqd_rle r;
  pqd_rle_init(&r, b.d, b.n, 3, 321);
  OK(pqd_rle_get(&r, out, 100, &err));
  OK(pqd_rle_get(&r, out + 100, 221, &err));
  for (int i = 0; i < 5; i++) CHECK_EQ_INT(out[i], 6);
  for (int i = 0; i < 16; i++) CHECK_EQ_INT(out[5 + i], v[i]);
  for (int i = 21; i < 321; i++) CHECK_EQ_INT(out[i], 1);
  /* A run past the values the stream should hold. */
  pqd_rle_init(&r, b.d, b.n, 3, 320);
  FAILS(pqd_rle_get(&r, out, 320, &err), CY_EINVAL, "RLE run of 300 values exceeds");
  /* Data that ends early. */
  pqd_rle_init(&r, b.d, b.n - 3, 3, 321);
  FAILS(pqd_rle_get(&r, out, 321, &err), CY_EINVAL, "ends after 21 of 321");
  pqd_rle_init(&r, b.d, b.n - 2, 3, 321);
  FAILS(pqd_rle_get(&r, out, 321, &err), CY_EINVAL, "bad RLE run header after 21 values");
  /* A value wider than the bit width. */
  bytes w = {.n = 0};
  rle_run(&w, 4, 9, 3);
  pqd_rle_init(&r, w.d, w.n, 3, 4);
  FAILS(pqd_rle_get(&r, out, 4, &err), CY_EINVAL, "does not fit in 3 bits");
  /* Bit width 0: all zeros, no value bytes. */
  bytes z = {.n = 0};
  put_uvarint(&z, 10 << 1);
  pqd_rle_init(&r, z.d, z.n, 0, 10);
  OK(pqd_rle_get(&r, out, 10, &err));
  CHECK_EQ_INT(out[9], 0);
  /* Levels as bits at an unaligned offset. */
  bytes l = {.n = 0};
  uint64_t lv[8] = {1, 0, 1, 1, 0, 0, 1, 0};
  rle_run(&l, 3, 1, 1);
  packed_run(&l, lv, 8, 1);
  rle_run(&l, 2, 0, 1);
  uint8_t bits[4] = {0};
  int64_t ones;
  pqd_rle_init(&r, l.d, l.n, 1, 13);
  OK(pqd_rle_get_bits(&r, bits, 5, 13, &ones, &err));
  CHECK_EQ_INT(ones, 7);
  int expect[13] = {1, 1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0};
  for (int i = 0; i < 13; i++) CHECK_EQ_INT(cy_bit_get(bits, 5 + i), expect[i]);
}

/* DELTA_BINARY_PACKED of `vals` with a block of 128 in 4 miniblocks (32 values each). */
static void delta_encode(bytes *b, const int64_t *vals, int n) {
  put_uvarint(b, 128);
  put_uvarint(b, 4);
  put_uvarint(b, (uint64_t)n);
  put_zigzag(b, n ? vals[0] : 0);
  for (int start = 1; start < n; start += 128) {
    int cnt = n - start < 128 ? n - start : 128;
    int64_t d[128], min = INT64_MAX;
    for (int i = 0; i < cnt; i++) {
      d[i] = (int64_t)((uint64_t)vals[start + i] - (uint64_t)vals[start + i - 1]);
      if (d[i] < min) min = d[i];
    }
    put_zigzag(b, min);
    int64_t width_at = b->n;
    b->n += 4;
    for (int m = 0; m < 4; m++) {
      uint64_t rel[32] = {0}, max = 0;
      for (int i = 0; i < 32 && m * 32 + i < cnt; i++) {
        rel[i] = (uint64_t)d[m * 32 + i] - (uint64_t)min;
        if (rel[i] > max) max = rel[i];
      }
      int bw = 0;
      while (bw < 64 && (max >> bw)) bw++;
      b->d[width_at + m] = (uint8_t)(m * 32 < cnt ? bw : 0);
      if (m * 32 >= cnt) continue;
      int64_t s = b->n;
      memset(b->d + s, 0, (size_t)(32 * bw / 8));
      for (int i = 0; i < 32; i++)
        for (int k = 0; k < bw; k++)
          if ((rel[i] >> k) & 1) b->d[s + (i * bw + k) / 8] |= (uint8_t)(1 << ((i * bw + k) % 8));
      b->n += 32 * bw / 8;
    }
  }
}

static void test_delta(void) {
  cy_error err;
  int64_t vals[300], out[300], count, used;
  for (int i = 0; i < 300; i++) vals[i] = (i % 3 ? 1 : -1) * (int64_t)i * i * 1000003 + (i == 7 ? INT64_MIN / 2 : 0);
  bytes b = {.n = 0};
  delta_encode(&b, vals, 300);
  put_u8(&b, 0xAB); /* what follows the stream */
  OK(pqd_delta_binary(b.d, b.n, false, 300, out, &count, &used, &err));
  CHECK_EQ_INT(count, 300);
  CHECK_EQ_INT(used, b.n - 1);
  for (int i = 0; i < 300; i++) CHECK(out[i] == vals[i]);
  FAILS(pqd_delta_binary(b.d, b.n, false, 299, out, &count, &used, &err), CY_EINVAL, "holds 300");
  FAILS(pqd_delta_binary(b.d, 20, false, 300, out, &count, &used, &err), CY_EINVAL, "truncated");
  /* INT32 values whose deltas need 33 bits wrap back to 32. */
  int64_t v32[3] = {INT32_MIN, INT32_MAX, INT32_MIN};
  bytes c = {.n = 0};
  delta_encode(&c, v32, 3);
  OK(pqd_delta_binary(c.d, c.n, true, 3, out, &count, &used, &err));
  CHECK(out[0] == INT32_MIN && out[1] == INT32_MAX && out[2] == INT32_MIN);
  /* A bad header. */
  uint8_t bad[] = {100, 4, 5, 2};
  FAILS(pqd_delta_binary(bad, 4, false, 10, out, &count, &used, &err), CY_EINVAL, "invalid");
}

int main(void) {
  test_thrift_values();
  test_meta_roundtrip();
  test_codecs();
  test_rle();
  test_delta();
  TEST_MAIN_END();
}
