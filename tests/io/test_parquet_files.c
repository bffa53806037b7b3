/*
 * test_parquet_files.c - whole Parquet files built here byte by byte (the metadata
 * encoder plus a small page writer), read with the reader and checked against the values
 * they were built from.
 *
 * They cover what DuckDB (the oracle of tests/oracle/parquet_diff.mjs) does not write:
 * BIT_PACKED definition levels, INT96 timestamps, FIXED_LEN_BYTE_ARRAY decimals wider
 * than 16 bytes, float16, BYTE_STREAM_SPLIT on integers, DELTA_BYTE_ARRAY on fixed-size
 * values, the Hadoop LZ4 framing, index pages, page checksums, statistics of our own
 * making for row-group skipping, nested schemas. Corrupt variants must fail with a
 * message naming the file, the column, the row group and the page and what was wrong;
 * every single-byte change and every truncation of a file must either fail cleanly
 * (with a message, no table) or read a well-formed table.
 */
#include <lz4.h>
#include <math.h>

#include "io/parquet_codec.h"
#include "io/parquet_meta.h"
#include "io/parquet_reader.h"
#include "io/parquet_thrift.h"
#include "test.h"

/* ---- building files ------------------------------------------------------------- */

typedef struct bytes {
  uint8_t d[8192];
  int64_t n;
} bytes;

static void put_u8(bytes *b, uint8_t v) { b->d[b->n++] = v; }
static void put_uvarint(bytes *b, uint64_t v) {
  while (v >= 0x80) put_u8(b, (uint8_t)(v | 0x80)), v >>= 7;
  put_u8(b, (uint8_t)v);
}
static void put_raw(bytes *b, const void *p, int64_t n) {
  memcpy(b->d + b->n, p, (size_t)n);
  b->n += n;
}
static void put_i32(bytes *b, int32_t v) { put_raw(b, &v, 4); }
static void put_i64(bytes *b, int64_t v) { put_raw(b, &v, 8); }
static void put_str(bytes *b, const char *s) {
  put_i32(b, (int32_t)strlen(s));
  put_raw(b, s, (int64_t)strlen(s));
}
static void rle_run(bytes *b, uint64_t count, uint32_t v, int bw) {
  put_uvarint(b, count << 1);
  for (int i = 0; i < (bw + 7) / 8; i++) put_u8(b, (uint8_t)(v >> (8 * i)));
}
/* v1 definition levels: a 4-byte length, then the levels (bit width 1) one run per value. */
static void def_levels_v1(bytes *b, const int *defs, int n) {
  bytes l = {.n = 0};
  for (int i = 0; i < n; i++) rle_run(&l, 1, (uint32_t)defs[i], 1);
  put_i32(b, (int32_t)l.n);
  put_raw(b, l.d, l.n);
}

typedef struct tpage {
  int type;              /* PQ_PAGE_* */
  int num_values, num_nulls;
  int encoding, def_encoding;
  bytes levels;          /* v2: definition levels, no length prefix */
  bytes body;            /* v1: levels then values; v2: values; dictionary: values */
  bool crc, bad_crc, uncompressed_v2;
} tpage;

typedef struct tchunk {
  int codec;
  tpage *pages[6];
  int npages;
  bool has_stats;
  pq_statistics stats;
} tchunk;

typedef struct tfile {
  int ncols, ngroups;
  pq_schema_element el[8]; /* leaves (and groups: see nested) */
  int nel;
  int64_t rows[4];
  tchunk chunk[4][8];
} tfile;

static tpage *new_page(int type, int num_values, int encoding) {
  tpage *p = calloc(1, sizeof *p);
  p->type = type;
  p->num_values = num_values;
  p->encoding = encoding;
  p->def_encoding = PQ_ENC_RLE;
  return p;
}

static pq_schema_element leaf(const char *name, int type, int rep) {
  pq_schema_element e = pq_schema_element_init();
  e.name = name;
  e.has_type = true;
  e.type = type;
  e.has_repetition = true;
  e.repetition = rep;
  return e;
}

/* Compress a page section; LZ4 means the Hadoop framing. */
static int64_t compress(int codec, const uint8_t *src, int64_t n, uint8_t *dst) {
  cy_error err;
  if (codec == PQ_CODEC_LZ4) {
    int c = LZ4_compress_default((const char *)src, (char *)dst + 8, (int)n, 60000);
    for (int i = 0; i < 4; i++) dst[i] = (uint8_t)(n >> (24 - 8 * i));
    for (int i = 0; i < 4; i++) dst[4 + i] = (uint8_t)(c >> (24 - 8 * i));
    return c + 8;
  }
  int64_t out;
  if (pq_compress(codec, 0, src, n, dst, 70000, &out, &err) != CY_OK) abort();
  return out;
}

static void write_page(pqt_writer *f, int codec, const tpage *p) {
  static uint8_t section[70000];
  int64_t lv = p->type == PQ_PAGE_DATA_V2 ? p->levels.n : 0;
  memcpy(section, p->levels.d, (size_t)lv);
  bool plain = codec == PQ_CODEC_UNCOMPRESSED || (p->type == PQ_PAGE_DATA_V2 && p->uncompressed_v2);
  int64_t body = plain ? (memcpy(section + lv, p->body.d, (size_t)p->body.n), p->body.n)
                       : compress(codec, p->body.d, p->body.n, section + lv);
  pq_page_header h;
  memset(&h, 0, sizeof h);
  h.type = p->type;
  h.uncompressed_page_size = (int32_t)(lv + p->body.n);
  h.compressed_page_size = (int32_t)(lv + body);
  h.has_crc = p->crc;
  h.crc = (int32_t)(pq_crc32(section, lv + body) ^ (p->bad_crc ? 1u : 0u));
  if (p->type == PQ_PAGE_DATA) {
    h.has_data_page_header = true;
    h.data_page_header = (pq_data_page_header){.num_values = p->num_values, .encoding = p->encoding,
        .definition_level_encoding = p->def_encoding, .repetition_level_encoding = PQ_ENC_RLE};
  } else if (p->type == PQ_PAGE_DATA_V2) {
    h.has_data_page_header_v2 = true;
    h.data_page_header_v2 = (pq_data_page_header_v2){.num_values = p->num_values,
        .num_nulls = p->num_nulls, .num_rows = p->num_values, .encoding = p->encoding,
        .definition_levels_byte_length = (int32_t)lv, .is_compressed = !p->uncompressed_v2};
  } else if (p->type == PQ_PAGE_DICTIONARY) {
    h.has_dictionary_page_header = true;
    h.dictionary_page_header = (pq_dictionary_page_header){.num_values = p->num_values,
        .encoding = PQ_ENC_PLAIN};
  }
  pq_page_header_encode(f, &h);
  pqt_write_bytes(f, section, lv + body);
}

/* The file's bytes (malloc'ed) and size. Pages are freed. */
static uint8_t *build(tfile *t, int64_t *size) {
  pqt_writer f;
  pqt_writer_init(&f);
  pqt_write_bytes(&f, "PAR1", 4);
  static pq_column_chunk cc[4][8];
  static pq_row_group rg[4];
  static const char *paths[8];
  static int32_t enc[1] = {PQ_ENC_PLAIN};
  memset(cc, 0, sizeof cc);
  int leaf_index = 0;
  for (int e = 0; e < t->nel; e++)
    if (t->el[e].has_type) paths[leaf_index++] = t->el[e].name;
  for (int g = 0; g < t->ngroups; g++) {
    for (int c = 0; c < t->ncols; c++) {
      tchunk *ch = &t->chunk[g][c];
      int64_t start = f.len, data_off = -1, dict_off = -1;
      for (int p = 0; p < ch->npages; p++) {
        if (ch->pages[p]->type == PQ_PAGE_DICTIONARY) dict_off = f.len;
        else if (data_off < 0 && ch->pages[p]->type != PQ_PAGE_INDEX) data_off = f.len;
        write_page(&f, ch->codec, ch->pages[p]);
        free(ch->pages[p]);
      }
      pq_column_meta *m = &cc[g][c].meta_data;
      cc[g][c].has_meta_data = true;
      m->type = 0;
      for (int e = 0, k = 0; e < t->nel; e++)
        if (t->el[e].has_type && k++ == c) m->type = t->el[e].type;
      m->encodings = enc;
      m->num_encodings = 1;
      m->path = &paths[c];
      m->path_len = 1;
      m->codec = ch->codec;
      m->num_values = t->rows[g];
      m->total_compressed_size = m->total_uncompressed_size = f.len - start;
      m->data_page_offset = data_off < 0 ? start : data_off;
      m->has_dictionary_page_offset = dict_off >= 0;
      m->dictionary_page_offset = dict_off;
      m->has_statistics = ch->has_stats;
      m->statistics = ch->stats;
    }
    rg[g] = (pq_row_group){.columns = cc[g], .num_columns = t->ncols, .num_rows = t->rows[g]};
  }
  static pq_schema_element schema[9];
  schema[0] = pq_schema_element_init();
  schema[0].name = "schema";
  schema[0].has_num_children = true;
  schema[0].num_children = 0;
  for (int e = 0; e < t->nel; e++) {
    schema[1 + e] = t->el[e];
    if (e == 0 || !t->el[e - 1].has_num_children) schema[0].num_children++; /* top level */
  }
  static int32_t orders[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  pq_file_meta m = {.version = 1, .schema = schema, .num_schema = 1 + t->nel,
                    .row_groups = rg, .num_row_groups = t->ngroups, .created_by = "cylon test",
                    .column_orders = orders, .num_column_orders = t->ncols};
  for (int g = 0; g < t->ngroups; g++) m.num_rows += t->rows[g];
  int64_t footer = f.len;
  pq_file_meta_encode(&f, &m);
  uint32_t len = (uint32_t)(f.len - footer);
  pqt_write_bytes(&f, &len, 4);
  pqt_write_bytes(&f, "PAR1", 4);
  *size = f.len;
  return f.data;
}

static cy_status read_mem(const uint8_t *data, int64_t size, const cy_parquet_read_options *o,
                          cy_table **out, pq_read_report *rep, cy_error *err) {
  cy_input in;
  pq_memory_input(data, size, "t.parquet", &in);
  return pq_read_input(&in, o, out, rep, err);
}

static cy_column *col(cy_table *t, const char *name) { return cy_table_column_by_name(t, name); }

/* ---- types and encodings DuckDB does not write ------------------------------------ */

static void put_be(uint8_t *dst, int width, __int128 v) {
  for (int i = width - 1; i >= 0; i--, v >>= 8) dst[i] = (uint8_t)(v & 0xff);
}

static void add_types(tfile *t) {
  t->ngroups = 1;
  t->rows[0] = 4;
  /* INT96: (nanoseconds of day, Julian day) */
  t->el[t->nel++] = leaf("i96", PQ_INT96, PQ_REQUIRED);
  tpage *p = new_page(PQ_PAGE_DATA, 4, PQ_ENC_PLAIN);
  int64_t nanos[4] = {0, 86399999999999LL, 1, 43200000000000LL};
  int32_t days[4] = {2440588, 2440587, 2440589, 2415021};
  for (int i = 0; i < 4; i++) put_i64(&p->body, nanos[i]), put_i32(&p->body, days[i]);
  t->chunk[0][t->ncols++] = (tchunk){.codec = PQ_CODEC_SNAPPY, .pages = {p}, .npages = 1};
  /* FIXED_LEN_BYTE_ARRAY(20) DECIMAL(38, 2), optional */
  pq_schema_element e = leaf("dec", PQ_FIXED_LEN_BYTE_ARRAY, PQ_OPTIONAL);
  e.has_type_length = true;
  e.type_length = 20;
  e.logical = (pq_logical_type){.kind = PQ_LT_DECIMAL, .precision = 38, .scale = 2};
  t->el[t->nel++] = e;
  p = new_page(PQ_PAGE_DATA, 4, PQ_ENC_PLAIN);
  int defs[4] = {1, 0, 1, 1};
  def_levels_v1(&p->body, defs, 4);
  __int128 big = 1;
  for (int i = 0; i < 30; i++) big *= 10;
  __int128 dv[3] = {-12345, 1, big};
  for (int i = 0; i < 3; i++) put_be(p->body.d + p->body.n, 20, dv[i]), p->body.n += 20;
  t->chunk[0][t->ncols++] = (tchunk){.codec = PQ_CODEC_GZIP, .pages = {p}, .npages = 1};
  /* FLOAT16 */
  e = leaf("f16", PQ_FIXED_LEN_BYTE_ARRAY, PQ_REQUIRED);
  e.has_type_length = true;
  e.type_length = 2;
  e.logical.kind = PQ_LT_FLOAT16;
  t->el[t->nel++] = e;
  p = new_page(PQ_PAGE_DATA, 4, PQ_ENC_PLAIN);
  uint16_t halves[4] = {0x3c00, 0xc000, 0x7c00, 0x0001};
  put_raw(&p->body, halves, 8);
  t->chunk[0][t->ncols++] = (tchunk){.codec = PQ_CODEC_UNCOMPRESSED, .pages = {p}, .npages = 1};
  /* BYTE_STREAM_SPLIT INT32 in a v2 page */
  t->el[t->nel++] = leaf("bss", PQ_INT32, PQ_REQUIRED);
  p = new_page(PQ_PAGE_DATA_V2, 4, PQ_ENC_BYTE_STREAM_SPLIT);
  int32_t iv[4] = {1, -2, 0x01020304, INT32_MIN};
  for (int k = 0; k < 4; k++)
    for (int i = 0; i < 4; i++) put_u8(&p->body, (uint8_t)((uint32_t)iv[i] >> (8 * k)));
  t->chunk[0][t->ncols++] = (tchunk){.codec = PQ_CODEC_ZSTD, .pages = {p}, .npages = 1};
  /* DELTA_BYTE_ARRAY on FIXED_LEN_BYTE_ARRAY(3): abc abd xyz xyz */
  e = leaf("dba", PQ_FIXED_LEN_BYTE_ARRAY, PQ_REQUIRED);
  e.has_type_length = true;
  e.type_length = 3;
  t->el[t->nel++] = e;
  p = new_page(PQ_PAGE_DATA_V2, 4, PQ_ENC_DELTA_BYTE_ARRAY);
  p->uncompressed_v2 = true;
  /* prefix lengths 0 2 0 3: first 0, deltas 2 -2 3 (min -2: 4 0 5 at 3 bits) */
  int64_t pl[4] = {0, 2, 0, 3}, sl[4] = {3, 1, 3, 0};
  int64_t *lists[2] = {pl, sl};
  for (int which = 0; which < 2; which++) { /* two DELTA_BINARY_PACKED streams */
    int64_t *v = lists[which], min = INT64_MAX;
    put_uvarint(&p->body, 128), put_uvarint(&p->body, 4), put_uvarint(&p->body, 4);
    put_uvarint(&p->body, (uint64_t)(v[0] << 1));
    for (int i = 1; i < 4; i++) min = v[i] - v[i - 1] < min ? v[i] - v[i - 1] : min;
    put_uvarint(&p->body, ((uint64_t)min << 1) ^ (uint64_t)(min >> 63));
    put_u8(&p->body, 8), put_u8(&p->body, 0), put_u8(&p->body, 0), put_u8(&p->body, 0);
    for (int i = 0; i < 32; i++) put_u8(&p->body, i < 3 ? (uint8_t)(v[i + 1] - v[i] - min) : 0);
  }
  put_raw(&p->body, "abcdxyz", 7);
  t->chunk[0][t->ncols++] = (tchunk){.codec = PQ_CODEC_BROTLI, .pages = {p}, .npages = 1};
  /* INT64 optional with the deprecated BIT_PACKED levels: 5 null 7 null */
  t->el[t->nel++] = leaf("bp", PQ_INT64, PQ_OPTIONAL);
  p = new_page(PQ_PAGE_DATA, 4, PQ_ENC_PLAIN);
  p->def_encoding = PQ_ENC_BIT_PACKED;
  put_u8(&p->body, 0xA0);
  put_i64(&p->body, 5), put_i64(&p->body, 7);
  t->chunk[0][t->ncols++] = (tchunk){.codec = PQ_CODEC_LZ4_RAW, .pages = {p}, .npages = 1};
}

static void test_types(void) {
  tfile t = {0};
  add_types(&t);
  int64_t size;
  uint8_t *file = build(&t, &size);
  cy_error err;
  cy_table *tab = NULL;
  OK(read_mem(file, size, NULL, &tab, NULL, &err));
  if (!tab) return;
  CHECK_EQ_INT(tab->num_rows, 4);
  cy_column *c = col(tab, "i96");
  char name[64];
  CHECK_EQ_STR(cy_type_name(&c->type, name, sizeof name), "timestamp[ns]");
  const int64_t *ts = cy_column_data(c);
  CHECK(ts[0] == 0 && ts[1] == -1 && ts[2] == 86400000000001LL);
  CHECK(ts[3] == -2208945600000000000LL); /* 1900-01-01 12:00 */
  c = col(tab, "dec");
  CHECK_EQ_STR(cy_type_name(&c->type, name, sizeof name), "decimal128(38, 2)");
  CHECK_EQ_INT(c->null_count, 1);
  const uint8_t *dp = cy_column_data(c);
  __int128 d0, d2, d3;
  memcpy(&d0, dp, 16), memcpy(&d2, dp + 32, 16), memcpy(&d3, dp + 48, 16);
  CHECK(d0 == -12345 && d2 == 1 && !cy_column_is_valid(c, 1));
  __int128 big = 1;
  for (int i = 0; i < 30; i++) big *= 10;
  CHECK(d3 == big);
  c = col(tab, "f16");
  const float *f = cy_column_data(c);
  CHECK(f[0] == 1.0f && f[1] == -2.0f && isinf(f[2]) && f[3] == ldexpf(1, -24));
  c = col(tab, "bss");
  const int32_t *iv = cy_column_data(c);
  CHECK(iv[0] == 1 && iv[1] == -2 && iv[2] == 0x01020304 && iv[3] == INT32_MIN);
  c = col(tab, "dba");
  const char *want[4] = {"abc", "abd", "xyz", "xyz"};
  for (int i = 0; i < 4; i++) {
    int64_t len;
    const uint8_t *s = cy_column_bytes(c, i, &len);
    CHECK(len == 3 && memcmp(s, want[i], 3) == 0);
  }
  c = col(tab, "bp");
  const int64_t *bp = cy_column_data(c);
  CHECK(bp[0] == 5 && bp[2] == 7 && !cy_column_is_valid(c, 1) && !cy_column_is_valid(c, 3));
  cy_table_release(tab);
  free(file);
}

/* ---- dictionaries, checksums, index pages, LZ4, booleans ---------------------------- */

typedef enum variant { GOOD, BAD_INDEX, BAD_CRC, LONG_RUN, TOO_MANY, SHORT_CHUNK, NEG_DICT } variant;

static void add_dict(tfile *t, variant v) {
  t->ngroups = 1;
  t->rows[0] = 10;
  t->el[t->nel++] = leaf("x", PQ_INT32, PQ_OPTIONAL);
  tpage *dict = new_page(PQ_PAGE_DICTIONARY, v == NEG_DICT ? -3 : 3, PQ_ENC_PLAIN);
  put_i32(&dict->body, 10), put_i32(&dict->body, 20), put_i32(&dict->body, 30);
  dict->crc = true;
  /* rows 0-5 in a v1 page: 10 null 30 20 null 10 */
  tpage *a = new_page(PQ_PAGE_DATA, 6, PQ_ENC_PLAIN_DICTIONARY);
  int defs[6] = {1, 0, 1, 1, 0, 1};
  if (v == LONG_RUN) {
    put_i32(&a->body, 3);
    rle_run(&a->body, 1200, 1, 1);
  } else {
    def_levels_v1(&a->body, defs, 6);
  }
  put_u8(&a->body, 2); /* index bit width */
  rle_run(&a->body, 1, 0, 2), rle_run(&a->body, 1, v == BAD_INDEX ? 3 : 2, 2);
  rle_run(&a->body, 1, 1, 2), rle_run(&a->body, 1, 0, 2);
  a->crc = true;
  a->bad_crc = v == BAD_CRC;
  tpage *index = new_page(PQ_PAGE_INDEX, 0, 0);
  put_raw(&index->body, "junk", 4);
  /* rows 6-9 in a v2 page: 30 30 30 null */
  tpage *b = new_page(PQ_PAGE_DATA_V2, v == TOO_MANY ? 5 : 4, PQ_ENC_RLE_DICTIONARY);
  b->num_nulls = 1;
  rle_run(&b->levels, 3, 1, 1), rle_run(&b->levels, v == TOO_MANY ? 2 : 1, 0, 1);
  put_u8(&b->body, 2);
  rle_run(&b->body, 3, 2, 2);
  b->crc = true;
  t->chunk[0][t->ncols] = (tchunk){.codec = PQ_CODEC_LZ4, .pages = {dict, a, index, b},
                                   .npages = v == SHORT_CHUNK ? 2 : 4};
  if (v == SHORT_CHUNK) free(index), free(b);
  t->ncols++;
  /* utf8 dictionary column, snappy, and booleans in RLE (v2) */
  pq_schema_element s = leaf("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
  s.converted_type = PQ_CT_UTF8;
  t->el[t->nel++] = s;
  dict = new_page(PQ_PAGE_DICTIONARY, 2, PQ_ENC_PLAIN);
  put_str(&dict->body, "hello"), put_str(&dict->body, "");
  a = new_page(PQ_PAGE_DATA, 10, PQ_ENC_RLE_DICTIONARY);
  put_u8(&a->body, 1);
  rle_run(&a->body, 4, 0, 1), rle_run(&a->body, 6, 1, 1);
  t->chunk[0][t->ncols++] = (tchunk){.codec = PQ_CODEC_SNAPPY, .pages = {dict, a}, .npages = 2};
  t->el[t->nel++] = leaf("b", PQ_BOOLEAN, PQ_REQUIRED);
  b = new_page(PQ_PAGE_DATA_V2, 10, PQ_ENC_RLE);
  bytes r = {.n = 0};
  rle_run(&r, 7, 1, 1), rle_run(&r, 3, 0, 1);
  put_i32(&b->body, (int32_t)r.n);
  put_raw(&b->body, r.d, r.n);
  t->chunk[0][t->ncols++] = (tchunk){.codec = PQ_CODEC_ZSTD, .pages = {b}, .npages = 1};
}

static void test_dict(void) {
  tfile t = {0};
  add_dict(&t, GOOD);
  int64_t size;
  uint8_t *file = build(&t, &size);
  cy_error err;
  cy_table *tab = NULL;
  OK(read_mem(file, size, NULL, &tab, NULL, &err));
  if (!tab) return;
  cy_column *x = col(tab, "x");
  const int32_t *xv = cy_column_data(x);
  int32_t want[10] = {10, 0, 30, 20, 0, 10, 30, 30, 30, 0};
  bool valid[10] = {1, 0, 1, 1, 0, 1, 1, 1, 1, 0};
  for (int i = 0; i < 10; i++) {
    CHECK_EQ_INT(cy_column_is_valid(x, i), valid[i]);
    CHECK_EQ_INT(xv[i], want[i]); /* nulls are zeroed */
  }
  cy_column *s = col(tab, "s"), *b = col(tab, "b");
  for (int i = 0; i < 10; i++) {
    int64_t len;
    cy_column_bytes(s, i, &len);
    CHECK_EQ_INT(len, i < 4 ? 5 : 0);
    CHECK_EQ_INT(cy_column_bool(b, i), i < 7);
  }
  cy_table_release(tab);
  free(file);
}

static void check_variant(variant v, const char *needle) {
  tfile t = {0};
  add_dict(&t, v);
  int64_t size;
  uint8_t *file = build(&t, &size);
  cy_error err;
  cy_table *tab = NULL;
  FAILS(read_mem(file, size, NULL, &tab, NULL, &err), CY_EINVAL, needle);
  CHECK(tab == NULL);
  if (v == BAD_CRC) { /* without verification the page reads */
    cy_parquet_read_options o;
    cy_parquet_read_options_init(&o);
    o.verify_checksums = false;
    OK(read_mem(file, size, &o, &tab, NULL, &err));
    cy_table_release(tab);
  }
  free(file);
}

static void test_errors(void) {
  check_variant(BAD_INDEX, "t.parquet: column 'x', row group 0, page 1: dictionary index 3 is "
                           "past the dictionary's 3 entries");
  check_variant(BAD_CRC, "t.parquet: column 'x', row group 0, page 1: checksum mismatch");
  check_variant(LONG_RUN, "t.parquet: column 'x', row group 0, page 1: RLE run of 1200 values "
                          "exceeds the 6 values left");
  check_variant(TOO_MANY, "page 3: page has 5 values but only 4 of the row group's 10 rows remain");
  check_variant(SHORT_CHUNK, "page 2: the column chunk ends after 6 of the row group's 10 rows");
  check_variant(NEG_DICT, "page 0: dictionary page claims -3 values");
}

/* Every single-byte change and every truncation fails cleanly or reads a sound table. */
static void test_mutations(void) {
  tfile t = {0};
  add_dict(&t, GOOD);
  int64_t size;
  uint8_t *file = build(&t, &size);
  uint8_t *copy = malloc((size_t)size);
  static const int ops[4] = {0xff, 0x01, 0x80, 0x00};
  int failures = 0, reads = 0;
  for (int64_t i = 0; i < size; i++)
    for (int k = 0; k < 4; k++) {
      memcpy(copy, file, (size_t)size);
      copy[i] = k == 3 ? 0 : copy[i] ^ (uint8_t)ops[k];
      cy_error err;
      err.message[0] = 0;
      cy_table *tab = NULL;
      cy_status st = read_mem(copy, size, NULL, &tab, NULL, &err);
      if (st != CY_OK) {
        failures++;
        CHECK(tab == NULL && err.message[0] != 0);
      } else {
        reads++;
        for (int32_t c = 0; c < tab->schema.num_fields; c++)
          CHECK(tab->columns[c]->length == tab->num_rows);
        cy_table_release(tab);
      }
    }
  for (int64_t cut = 0; cut < size; cut++) {
    cy_error err;
    cy_table *tab = NULL;
    CHECK(read_mem(file, cut, NULL, &tab, NULL, &err) != CY_OK && tab == NULL);
  }
  CHECK(failures > 0 && reads > 0);
  free(copy);
  free(file);
}

/* ---- statistics, nested schemas, the info -------------------------------------------- */

static void test_stats_and_nested(void) {
  tfile t = {0};
  t.ngroups = 3;
  /* a struct group {i: int32} first, then k: int64 with statistics per group */
  pq_schema_element g = pq_schema_element_init();
  g.name = "st";
  g.has_num_children = true;
  g.num_children = 1;
  g.has_repetition = true;
  g.repetition = PQ_OPTIONAL;
  t.el[t.nel++] = g;
  t.el[t.nel++] = leaf("i", PQ_INT32, PQ_OPTIONAL);
  t.el[t.nel++] = leaf("k", PQ_INT64, PQ_REQUIRED);
  static int64_t bounds[3][2] = {{0, 9}, {10, 19}, {20, 29}};
  for (int rg = 0; rg < 3; rg++) {
    t.rows[rg] = 10;
    tpage *p = new_page(PQ_PAGE_DATA, 10, PQ_ENC_PLAIN);
    int defs[10] = {0};
    def_levels_v1(&p->body, defs, 10);
    t.chunk[rg][0] = (tchunk){.codec = PQ_CODEC_UNCOMPRESSED, .pages = {p}, .npages = 1};
    p = new_page(PQ_PAGE_DATA, 10, PQ_ENC_PLAIN);
    for (int64_t k = bounds[rg][0]; k <= bounds[rg][1]; k++) put_i64(&p->body, k);
    pq_statistics st = {.has_min_value = true, .has_max_value = true, .has_null_count = true};
    st.min_value = (pq_bytes){(const uint8_t *)&bounds[rg][0], 8};
    st.max_value = (pq_bytes){(const uint8_t *)&bounds[rg][1], 8};
    t.chunk[rg][1] = (tchunk){.codec = PQ_CODEC_UNCOMPRESSED, .pages = {p}, .npages = 1,
                              .has_stats = true, .stats = st};
  }
  t.ncols = 2;
  int64_t size;
  uint8_t *file = build(&t, &size);
  cy_error err;
  cy_table *tab = NULL;
  FAILS(read_mem(file, size, NULL, &tab, NULL, &err), CY_ENOTSUP,
        "t.parquet: column 'st': nested struct column is not supported");
  cy_parquet_read_options o;
  cy_parquet_read_options_init(&o);
  const char *cols[] = {"k"};
  o.columns = cols;
  o.num_columns = 1;
  cy_expr *pred;
  OK(cy_expr_parse("k >= 12 and k < 15 or k = 29", &pred, &err));
  o.predicate = pred;
  pq_read_report rep;
  OK(read_mem(file, size, &o, &tab, &rep, &err));
  CHECK_EQ_INT(rep.row_groups_read, 2);
  CHECK_EQ_INT(rep.row_groups_skipped, 1);
  if (tab) {
    CHECK_EQ_INT(tab->num_rows, 20);
    CHECK_EQ_INT(((const int64_t *)cy_column_data(tab->columns[0]))[0], 10);
  }
  cy_table_release(tab);
  cy_expr_release(pred);
  /* Row groups chosen by number, in the order given. */
  int32_t groups[] = {2, 0};
  o.predicate = NULL;
  o.row_groups = groups;
  o.num_row_groups = 2;
  OK(read_mem(file, size, &o, &tab, &rep, &err));
  if (tab) CHECK_EQ_INT(((const int64_t *)cy_column_data(tab->columns[0]))[10], 0);
  cy_table_release(tab);
  cy_input in;
  pq_memory_input(file, size, "t.parquet", &in);
  cy_parquet_info info;
  OK(pq_read_info_input(&in, &info, &err));
  CHECK_EQ_INT(info.num_rows, 30);
  CHECK_EQ_INT(info.num_row_groups, 3);
  CHECK_EQ_INT(info.schema.num_fields, 1);
  CHECK_EQ_STR(info.unreadable, "st: nested struct column is not supported");
  cy_parquet_info_reset(&info);
  free(file);
}

int main(void) {
  test_types();
  test_dict();
  test_errors();
  test_mutations();
  test_stats_and_nested();
  TEST_MAIN_END();
}
