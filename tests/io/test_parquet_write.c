/*
 * test_parquet_write.c - the Parquet writer: its encoders checked against small decoders
 * written here (independent of the reader), then whole files checked structurally through
 * the footer and page headers (parquet_meta's decoders), then failures.
 *
 * DuckDB reading our files back is tests/oracle/parquet_write_diff.mjs; cylon's own
 * reader reading them back is test_parquet_write_read.c.
 */
#include <dirent.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/parquet_codec.h"
#include "io/parquet_encode.h"
#include "io/parquet_meta.h"
#include "test.h"

static char temp_dir[64];

/* ---- a decoder of the RLE / bit-packed hybrid, for checking the encoder --------------- */

static uint64_t read_uvarint(const uint8_t **p, const uint8_t *end) {
  uint64_t v = 0;
  for (int shift = 0; *p < end && shift < 64; shift += 7) {
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  return v;
}

/* Decode n values of width bw from p[0, len); returns how many were decoded. */
static int64_t rle_decode(const uint8_t *p, int64_t len, int bw, int64_t n, uint32_t *out) {
  const uint8_t *end = p + len;
  int64_t got = 0;
  while (got < n && p < end) {
    uint64_t h = read_uvarint(&p, end);
    if (h & 1) {
      int64_t count = (int64_t)(h >> 1) * 8;
      uint64_t acc = 0;
      int bits = 0;
      for (int64_t k = 0; k < count; k++) {
        while (bits < bw) {
          if (p >= end) return -1;
          acc |= (uint64_t)*p++ << bits;
          bits += 8;
        }
        uint32_t v = (uint32_t)(acc & (bw == 32 ? 0xffffffffull : ((1ull << bw) - 1)));
        acc >>= bw;
        bits -= bw;
        if (got < n) out[got++] = v;
      }
    } else {
      int64_t count = (int64_t)(h >> 1);
      uint32_t v = 0;
      for (int b = 0; b < (bw + 7) / 8; b++) v |= (uint32_t)*p++ << (8 * b);
      for (int64_t k = 0; k < count && got < n; k++) out[got++] = v;
    }
  }
  return got;
}

static uint64_t rng_state = 42;
static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void check_rle_roundtrip(const uint32_t *v, int64_t n, int bw) {
  cy_error err;
  pqw_buf b = {0};
  OK(pqw_rle_encode(&b, v, n, bw, &err));
  uint32_t *back = malloc((size_t)(n + 1) * sizeof(uint32_t));
  int64_t got = rle_decode(b.data, b.len, bw, n, back);
  CHECK_EQ_INT(got, n);
  int64_t bad = 0;
  for (int64_t i = 0; i < n && i < got; i++) bad += back[i] != v[i];
  CHECK_EQ_INT(bad, 0);
  free(back);
  pqw_buf_reset(&b);
}

static void test_rle(void) {
  static const int widths[] = {1, 2, 3, 5, 8, 9, 13, 17, 24, 31, 32};
  static const int64_t sizes[] = {0, 1, 7, 8, 9, 63, 64, 65, 1000, 100003};
  uint32_t *v = malloc(100003 * sizeof(uint32_t));
  for (int w = 0; w < (int)(sizeof widths / sizeof widths[0]); w++) {
    int bw = widths[w];
    uint32_t mask = bw == 32 ? 0xffffffffu : (1u << bw) - 1;
    for (int s = 0; s < (int)(sizeof sizes / sizeof sizes[0]); s++) {
      int64_t n = sizes[s];
      for (int pattern = 0; pattern < 4; pattern++) {
        for (int64_t i = 0; i < n; i++) {
          switch (pattern) {
            case 0: v[i] = mask; break;                                    /* one run */
            case 1: v[i] = (uint32_t)rnd() & mask; break;                  /* no runs */
            case 2: v[i] = (uint32_t)((i / (1 + rnd() % 12)) * 7) & mask; break; /* mixed */
            default: v[i] = (uint32_t)((i / 9) & 1) & mask; break;         /* runs of 9 */
          }
        }
        check_rle_roundtrip(v, n, bw);
      }
    }
  }
  /* A long run is one RLE run: a varint header and the value. */
  cy_error err;
  pqw_buf b = {0};
  for (int64_t i = 0; i < 100000; i++) v[i] = 5;
  OK(pqw_rle_encode(&b, v, 100000, 3, &err));
  CHECK_EQ_INT(b.len, 4); /* 3-byte varint of 200000, one value byte */
  pqw_buf_reset(&b);
  free(v);
}

static void test_def_levels(void) {
  cy_error err;
  uint8_t bits[40];
  for (int pattern = 0; pattern < 4; pattern++) {
    for (int i = 0; i < 40; i++)
      bits[i] = pattern == 0 ? 0xff : pattern == 1 ? 0 : pattern == 2 ? (uint8_t)rnd() : 0xf0;
    for (int64_t offset = 0; offset < 9; offset += 3) {
      for (int64_t n = 0; n < 300; n += 37) {
        pqw_buf b = {0};
        OK(pqw_def_levels_encode(&b, bits, offset, n, &err));
        uint32_t len = (uint32_t)b.data[0] | (uint32_t)b.data[1] << 8 |
                       (uint32_t)b.data[2] << 16 | (uint32_t)b.data[3] << 24;
        CHECK_EQ_INT(len, b.len - 4);
        uint32_t levels[300];
        CHECK_EQ_INT(rle_decode(b.data + 4, len, 1, n, levels), n);
        int bad = 0;
        for (int64_t i = 0; i < n; i++) bad += levels[i] != (uint32_t)cy_bit_get(bits, offset + i);
        CHECK_EQ_INT(bad, 0);
        pqw_buf_reset(&b);
      }
    }
  }
  /* No bitmap: all valid, one run. */
  pqw_buf b = {0};
  OK(pqw_def_levels_encode(&b, NULL, 0, 1000, &err));
  CHECK_EQ_INT(b.len, 4 + 2 + 1);
  pqw_buf_reset(&b);
}

/* ---- PLAIN, dictionaries, min / max ---------------------------------------------------- */

static void test_plain(void) {
  cy_error err;
  pqw_buf b = {0};
  uint8_t bools[11] = {1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1};
  pqw_values v = {PQW_BOOL, 11, bools, NULL};
  CHECK_EQ_INT(pqw_plain_size(&v), 2);
  OK(pqw_plain_encode(&b, &v, &err));
  CHECK_EQ_INT(b.len, 2);
  CHECK_EQ_INT(b.data[0], 0x8d);
  CHECK_EQ_INT(b.data[1], 0x05);
  b.len = 0;
  pqw_slice s[3] = {{(const uint8_t *)"", 0}, {(const uint8_t *)"ab", 2}, {(const uint8_t *)"xyz", 3}};
  pqw_values sv = {PQW_BYTES, 3, NULL, s};
  CHECK_EQ_INT(pqw_plain_size(&sv), 17);
  OK(pqw_plain_encode(&b, &sv, &err));
  CHECK(b.len == 17 && memcmp(b.data, "\0\0\0\0\2\0\0\0ab\3\0\0\0xyz", 17) == 0);
  pqw_values r = pqw_values_range(&sv, 1, 2);
  CHECK(r.count == 2 && r.bytes == s + 1);
  pqw_buf_reset(&b);
}

static void test_dictionary(void) {
  cy_error err;
  pqw_dict d;
  memset(&d, 0, sizeof(d));
  bool built;
  int64_t ints[6] = {5, 7, 5, 5, 9, 7};
  pqw_values v = {PQW_I64, 6, ints, NULL};
  OK(pqw_dict_build(&v, 1 << 20, &d, &built, &err));
  CHECK(built);
  CHECK_EQ_INT(d.entries.count, 3);
  CHECK_EQ_INT(d.plain_bytes, 24);
  CHECK_EQ_INT(d.bit_width, 2);
  const int64_t *e = d.entries.fixed;
  CHECK(e[0] == 5 && e[1] == 7 && e[2] == 9);
  CHECK(d.indices[0] == 0 && d.indices[1] == 1 && d.indices[3] == 0 && d.indices[4] == 2 &&
        d.indices[5] == 1);
  /* Too small a limit: no dictionary. */
  OK(pqw_dict_build(&v, 16, &d, &built, &err));
  CHECK(!built);

  /* Floats by their bits: 0.0 and -0.0 differ, one NaN equals itself. */
  double fl[5] = {0.0, -0.0, NAN, NAN, 0.0};
  pqw_values fv = {PQW_F64, 5, fl, NULL};
  OK(pqw_dict_build(&fv, 1 << 20, &d, &built, &err));
  CHECK(built && d.entries.count == 3 && d.indices[4] == 0 && d.indices[3] == 2);

  /* Strings by their bytes, wherever they are. */
  char a1[] = "apple", a2[] = "apple";
  pqw_slice s[4] = {{(uint8_t *)a1, 5}, {(uint8_t *)"pear", 4}, {(uint8_t *)a2, 5}, {(uint8_t *)"", 0}};
  pqw_values sv = {PQW_BYTES, 4, NULL, s};
  OK(pqw_dict_build(&sv, 1 << 20, &d, &built, &err));
  CHECK(built && d.entries.count == 3 && d.indices[2] == 0 && d.indices[3] == 2);
  CHECK_EQ_INT(d.plain_bytes, 4 * 3 + 9);

  /* Decimals (16 bytes), then a large int32 chunk, reusing the same dictionary. */
  uint8_t dec[3][16] = {{0}, {1}, {0}};
  pqw_values dv = {PQW_DEC16, 3, dec, NULL};
  OK(pqw_dict_build(&dv, 1 << 20, &d, &built, &err));
  CHECK(built && d.entries.count == 2 && d.indices[2] == 0);
  int64_t n = 200000;
  int32_t *many = malloc((size_t)n * sizeof(int32_t));
  for (int64_t i = 0; i < n; i++) many[i] = (int32_t)(rnd() % 1000) - 500;
  pqw_values mv = {PQW_I32, n, many, NULL};
  OK(pqw_dict_build(&mv, 1 << 20, &d, &built, &err));
  CHECK(built && d.entries.count == 1000 && d.bit_width == 10);
  int64_t bad = 0;
  for (int64_t i = 0; i < n; i++) bad += ((const int32_t *)d.entries.fixed)[d.indices[i]] != many[i];
  CHECK_EQ_INT(bad, 0);
  /* All distinct: given up early (the projection), whatever the limit. */
  for (int64_t i = 0; i < n; i++) many[i] = (int32_t)i;
  OK(pqw_dict_build(&mv, 1 << 30, &d, &built, &err));
  CHECK(!built);
  free(many);
  /* Booleans and empty chunks never get a dictionary. */
  uint8_t bo[2] = {0, 1};
  pqw_values bv = {PQW_BOOL, 2, bo, NULL};
  OK(pqw_dict_build(&bv, 1 << 20, &d, &built, &err));
  CHECK(!built);
  pqw_dict_free(&d);
}

static void test_minmax(void) {
  pqw_minmax m;
  int32_t i32[4] = {3, -5, 7, 0};
  pqw_values v = {PQW_I32, 4, i32, NULL};
  pqw_minmax_compute(&v, &m);
  int32_t lo, hi;
  memcpy(&lo, m.min, 4);
  memcpy(&hi, m.max, 4);
  CHECK(m.has && m.len == 4 && lo == -5 && hi == 7);
  uint32_t u32[3] = {1, 0xffffffffu, 7};
  v = (pqw_values){PQW_U32, 3, u32, NULL};
  pqw_minmax_compute(&v, &m);
  uint32_t ulo, uhi;
  memcpy(&ulo, m.min, 4);
  memcpy(&uhi, m.max, 4);
  CHECK(ulo == 1 && uhi == 0xffffffffu);
  uint64_t u64[2] = {UINT64_MAX, 1};
  v = (pqw_values){PQW_U64, 2, u64, NULL};
  pqw_minmax_compute(&v, &m);
  uint64_t u64lo;
  memcpy(&u64lo, m.min, 8);
  CHECK(u64lo == 1);
  /* NaN ignored; zero min is -0.0, zero max +0.0. */
  double d[4] = {NAN, 0.0, -0.0, -0.0};
  v = (pqw_values){PQW_F64, 4, d, NULL};
  pqw_minmax_compute(&v, &m);
  double dlo, dhi;
  memcpy(&dlo, m.min, 8);
  memcpy(&dhi, m.max, 8);
  CHECK(m.has && dlo == 0 && signbit(dlo) && dhi == 0 && !signbit(dhi));
  double nans[2] = {NAN, NAN};
  v = (pqw_values){PQW_F64, 2, nans, NULL};
  pqw_minmax_compute(&v, &m);
  CHECK(!m.has);
  float f[3] = {2.5f, -INFINITY, 1.0f};
  v = (pqw_values){PQW_F32, 3, f, NULL};
  pqw_minmax_compute(&v, &m);
  float flo, fhi;
  memcpy(&flo, m.min, 4);
  memcpy(&fhi, m.max, 4);
  CHECK(isinf(flo) && flo < 0 && fhi == 2.5f);
  /* Big-endian two's complement: -1 < 0 < 1. */
  uint8_t dec[3][16];
  memset(dec[0], 0xff, 16); /* -1 */
  memset(dec[1], 0, 16);
  dec[1][15] = 1;           /* 1 */
  memset(dec[2], 0, 16);    /* 0 */
  v = (pqw_values){PQW_DEC16, 3, dec, NULL};
  pqw_minmax_compute(&v, &m);
  CHECK(memcmp(m.min, dec[0], 16) == 0 && memcmp(m.max, dec[1], 16) == 0);
  /* Bytes: unsigned, shorter prefix first. */
  pqw_slice s[4] = {{(uint8_t *)"ab", 2}, {(uint8_t *)"a", 1}, {(uint8_t *)"\xff", 1}, {(uint8_t *)"b", 1}};
  v = (pqw_values){PQW_BYTES, 4, NULL, s};
  pqw_minmax_compute(&v, &m);
  CHECK(m.min_bytes.len == 1 && m.min_bytes.ptr[0] == 'a' && m.max_bytes.ptr[0] == 0xff);
  /* Empty. */
  v = (pqw_values){PQW_I64, 0, NULL, NULL};
  pqw_minmax_compute(&v, &m);
  CHECK(!m.has);
}

/* ---- whole files ------------------------------------------------------------------------ */

static uint8_t *read_file(const char *path, int64_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *data = malloc((size_t)*len + 1);
  if (fread(data, 1, (size_t)*len, f) != (size_t)*len) *len = -1;
  fclose(f);
  return data;
}

/* Decode the footer of a file in memory. */
static cy_status decode_footer(const uint8_t *data, int64_t len, pq_file_meta *meta,
                               cy_error *err) {
  if (len < 12 || memcmp(data, "PAR1", 4) != 0 || memcmp(data + len - 4, "PAR1", 4) != 0) {
    cy_error_set(err, "no PAR1 magic");
    return CY_EINVAL;
  }
  uint32_t n = (uint32_t)data[len - 8] | (uint32_t)data[len - 7] << 8 |
               (uint32_t)data[len - 6] << 16 | (uint32_t)data[len - 5] << 24;
  return pq_file_meta_decode(data + len - 8 - n, n, "test", meta, err);
}

/* Walk the pages of a column chunk: headers decode, pages decompress to their stated
 * size, and the chunk's sizes and value count add up. Returns the data pages seen. */
static int check_pages(const uint8_t *data, const pq_column_meta *m) {
  cy_error err;
  int64_t at = m->has_dictionary_page_offset ? m->dictionary_page_offset : m->data_page_offset;
  int64_t end = at + m->total_compressed_size, values = 0, uncompressed = 0;
  int pages = 0;
  bool first = true;
  while (at < end) {
    pq_page_header h;
    int64_t hlen;
    if (pq_page_header_decode(data + at, end - at, &h, &hlen, &err) != CY_OK) {
      fprintf(stderr, "page header at %lld: %s\n", (long long)at, err.message);
      test_failures++;
      return pages;
    }
    CHECK(first ? (h.type == (m->has_dictionary_page_offset ? PQ_PAGE_DICTIONARY : PQ_PAGE_DATA))
                : h.type == PQ_PAGE_DATA);
    if (h.type == PQ_PAGE_DATA) {
      CHECK(first || at != m->dictionary_page_offset);
      values += h.data_page_header.num_values;
      pages++;
    }
    uint8_t *page = malloc((size_t)h.uncompressed_page_size + 1);
    OK(pq_decompress(m->codec, data + at + hlen, h.compressed_page_size, page,
                     h.uncompressed_page_size, &err));
    free(page);
    uncompressed += hlen + h.uncompressed_page_size;
    at += hlen + h.compressed_page_size;
    first = false;
  }
  CHECK_EQ_INT(at, end);
  CHECK_EQ_INT(values, m->num_values);
  CHECK_EQ_INT(uncompressed, m->total_uncompressed_size);
  return pages;
}

static cy_table *make_table(int64_t n) {
  cy_error err;
  int32_t *i32 = malloc((size_t)n * sizeof(int32_t));
  uint64_t *u64 = malloc((size_t)n * sizeof(uint64_t));
  double *f64 = malloc((size_t)n * sizeof(double));
  int64_t *ts = malloc((size_t)n * sizeof(int64_t));
  uint8_t *valid = malloc((size_t)n);
  const char **str = malloc((size_t)n * sizeof(char *));
  static const char *words[] = {"alpha", "beta", "gamma", "delta"};
  for (int64_t i = 0; i < n; i++) {
    i32[i] = (int32_t)(i % 100) - 50;
    u64[i] = i == 5 ? UINT64_MAX : (uint64_t)i;
    f64[i] = i == 3 ? NAN : (double)i / 4;
    ts[i] = 1600000000 + i;
    valid[i] = i % 13 != 0;
    str[i] = i % 17 == 0 ? NULL : words[i % 4];
  }
  cy_column *cols[5] = {0};
  OK(cy_column_from_values(cy_type_make(CY_INT32), i32, valid, n, &cols[0], &err));
  OK(cy_column_from_values(cy_type_make(CY_UINT64), u64, NULL, n, &cols[1], &err));
  OK(cy_column_from_values(cy_type_make(CY_FLOAT64), f64, valid, n, &cols[2], &err));
  OK(cy_column_from_values(cy_type_timestamp(CY_SECOND, "UTC"), ts, NULL, n, &cols[3], &err));
  OK(cy_column_from_strings(str, n, &cols[4], &err));
  const char *names[5] = {"i", "u", "x", "t", "s"};
  cy_table *t = NULL;
  OK(cy_table_make(5, names, cols, &t, &err));
  for (int c = 0; c < 5; c++) cy_column_release(cols[c]);
  free(i32);
  free(u64);
  free(f64);
  free(ts);
  free(valid);
  free(str);
  return t;
}

static void check_schema(const pq_file_meta *m) {
  CHECK_EQ_INT(m->num_schema, 6);
  CHECK_EQ_INT(m->schema[0].num_children, 5);
  const pq_schema_element *e = m->schema;
  CHECK(e[1].type == PQ_INT32 && e[1].repetition == PQ_OPTIONAL &&
        e[1].logical.kind == PQ_LT_INTEGER && e[1].logical.bit_width == 32 &&
        e[1].logical.is_signed && e[1].converted_type == PQ_CT_INT_32);
  CHECK(e[2].type == PQ_INT64 && e[2].logical.kind == PQ_LT_INTEGER && !e[2].logical.is_signed &&
        e[2].converted_type == PQ_CT_UINT_64);
  CHECK(e[3].type == PQ_DOUBLE && e[3].logical.kind == PQ_LT_NONE);
  CHECK(e[4].type == PQ_INT64 && e[4].logical.kind == PQ_LT_TIMESTAMP &&
        e[4].logical.unit == PQ_UNIT_MILLIS && e[4].logical.is_adjusted_to_utc &&
        e[4].converted_type == PQ_CT_TIMESTAMP_MILLIS);
  CHECK(e[5].type == PQ_BYTE_ARRAY && e[5].logical.kind == PQ_LT_STRING &&
        e[5].converted_type == PQ_CT_UTF8);
  CHECK_EQ_INT(m->num_column_orders, 5);
  CHECK(m->created_by && strncmp(m->created_by, "cylon-c version ", 16) == 0);
  CHECK(m->num_key_value == 1 && strcmp(m->key_value[0].key, "cylon:schema") == 0);
  CHECK_EQ_STR(m->key_value[0].value,
               "[\"int32\",\"uint64\",\"float64\",\"timestamp[s, UTC]\",\"utf8\"]");
}

static void check_stats(const pq_file_meta *m, int64_t rg_rows) {
  for (int32_t g = 0; g < m->num_row_groups; g++) {
    const pq_row_group *rg = &m->row_groups[g];
    int64_t first = g * rg_rows, nulls = 0;
    for (int64_t i = first; i < first + rg->num_rows; i++) nulls += i % 13 == 0;
    const pq_statistics *s = &rg->columns[0].meta_data.statistics;
    CHECK(s->has_null_count && s->null_count == nulls);
    CHECK(s->has_min && s->has_min_value); /* signed INT32: legacy fields too */
    const pq_statistics *u = &rg->columns[1].meta_data.statistics;
    CHECK(u->has_max_value && !u->has_max); /* unsigned: only the new fields */
    uint64_t umax;
    memcpy(&umax, u->max_value.data, 8);
    CHECK(umax == (g == 0 ? UINT64_MAX : (uint64_t)(first + rg->num_rows - 1)));
    const pq_statistics *t = &rg->columns[3].meta_data.statistics;
    int64_t tmin;
    memcpy(&tmin, t->min_value.data, 8);
    CHECK_EQ_INT(tmin, (1600000000 + first) * 1000); /* seconds stored as milliseconds */
    const pq_statistics *s5 = &rg->columns[4].meta_data.statistics;
    CHECK(s5->has_min_value && s5->min_value.len == 5 && memcmp(s5->min_value.data, "alpha", 5) == 0);
    CHECK(s5->has_max_value && memcmp(s5->max_value.data, "gamma", 5) == 0);
    CHECK(!s5->has_min); /* byte arrays: only the new fields */
  }
}

static void test_file_structure(void) {
  cy_error err;
  cy_table *t = make_table(2500);
  static const cy_compression codecs[] = {CY_COMPRESSION_NONE, CY_COMPRESSION_SNAPPY,
                                          CY_COMPRESSION_GZIP, CY_COMPRESSION_ZSTD,
                                          CY_COMPRESSION_LZ4_RAW, CY_COMPRESSION_BROTLI};
  for (int k = 0; k < (int)(sizeof codecs / sizeof codecs[0]); k++) {
    char path[128];
    snprintf(path, sizeof path, "%s/t_%s.parquet", temp_dir, cy_compression_name(codecs[k]));
    cy_parquet_write_options o;
    cy_parquet_write_options_init(&o);
    o.compression = codecs[k];
    o.row_group_rows = 1000;
    o.page_bytes = k == 2 ? 100 : 1 << 20; /* gzip: tiny pages */
    OK(cy_parquet_write(t, path, &o, &err));
    int64_t len = 0;
    uint8_t *data = read_file(path, &len);
    CHECK(data != NULL && len > 0);
    if (data == NULL) continue;
    pq_file_meta m;
    memset(&m, 0, sizeof(m));
    OK(decode_footer(data, len, &m, &err));
    CHECK_EQ_INT(m.num_rows, 2500);
    CHECK_EQ_INT(m.num_row_groups, 3);
    if (m.num_row_groups == 3) {
      check_schema(&m);
      check_stats(&m, 1000);
      int64_t expect_offset = 4;
      for (int g = 0; g < 3; g++) {
        const pq_row_group *rg = &m.row_groups[g];
        CHECK_EQ_INT(rg->num_rows, g < 2 ? 1000 : 500);
        CHECK_EQ_INT(rg->file_offset, expect_offset);
        for (int c = 0; c < rg->num_columns; c++) {
          const pq_column_meta *cm = &rg->columns[c].meta_data;
          CHECK_EQ_INT(cm->codec, pq_codec_from_compression(codecs[k]));
          int64_t start = cm->has_dictionary_page_offset ? cm->dictionary_page_offset
                                                          : cm->data_page_offset;
          CHECK_EQ_INT(start, expect_offset);
          int pages = check_pages(data, cm);
          CHECK(k == 2 ? pages >= 2 : pages == 1);
          expect_offset += cm->total_compressed_size;
        }
        /* The string column (4 words) is dictionary-encoded, the unique uint64s are not. */
        CHECK(rg->columns[4].meta_data.has_dictionary_page_offset);
        CHECK(!rg->columns[1].meta_data.has_dictionary_page_offset);
      }
    }
    pq_file_meta_reset(&m);
    free(data);
    unlink(path);
  }
  cy_table_release(t);
}

static void test_empty_and_one_row(void) {
  cy_error err;
  cy_table *t = make_table(0);
  char path[128];
  snprintf(path, sizeof path, "%s/empty.parquet", temp_dir);
  OK(cy_parquet_write(t, path, NULL, &err));
  int64_t len = 0;
  uint8_t *data = read_file(path, &len);
  pq_file_meta m;
  memset(&m, 0, sizeof(m));
  OK(decode_footer(data, len, &m, &err));
  CHECK(m.num_rows == 0 && m.num_row_groups == 0 && m.num_schema == 6);
  pq_file_meta_reset(&m);
  free(data);
  cy_table_release(t);
  t = make_table(1);
  OK(cy_parquet_write(t, path, NULL, &err));
  data = read_file(path, &len);
  OK(decode_footer(data, len, &m, &err));
  CHECK(m.num_rows == 1 && m.num_row_groups == 1);
  pq_file_meta_reset(&m);
  free(data);
  cy_table_release(t);
  unlink(path);
}

/* True when temp_dir holds no file whose name contains `part`. */
static bool no_file_like(const char *part) {
  DIR *d = opendir(temp_dir);
  bool none = true;
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) none &= strstr(e->d_name, part) == NULL;
  if (d) closedir(d);
  return none;
}

static void test_errors(void) {
  cy_error err;
  char path[128];
  snprintf(path, sizeof path, "%s/fail.parquet", temp_dir);
  cy_parquet_write_options o;
  cy_parquet_write_options_init(&o);

  cy_schema empty_schema = {0, NULL};
  cy_table *none = NULL;
  OK(cy_table_make_empty(&empty_schema, &none, &err));
  FAILS(cy_parquet_write(none, path, NULL, &err), CY_EINVAL, "at least one column");
  cy_table_release(none);

  cy_table *t = make_table(3000);
  o.compression = CY_COMPRESSION_LZ4;
  FAILS(cy_parquet_write(t, path, &o, &err), CY_ENOTSUP, "lz4_raw");
  cy_parquet_write_options_init(&o);
  o.row_group_rows = 0;
  FAILS(cy_parquet_write(t, path, &o, &err), CY_EINVAL, "row_group_rows");
  cy_parquet_write_options_init(&o);
  o.page_bytes = -1;
  FAILS(cy_parquet_write(t, path, &o, &err), CY_EINVAL, "page_bytes");
  CHECK(no_file_like("fail"));

  /* Decimals Parquet cannot hold. */
  int64_t one = 1;
  cy_column *dec = NULL;
  cy_builder b;
  OK(cy_builder_init(&b, cy_type_decimal128(5, -2), 1, &err));
  OK(cy_builder_append_decimal128(&b, (uint64_t)one, 0, &err));
  OK(cy_builder_finish(&b, &dec, &err));
  cy_builder_reset(&b);
  const char *dname = "price";
  cy_table *dt = NULL;
  OK(cy_table_make(1, &dname, &dec, &dt, &err));
  FAILS(cy_parquet_write(dt, path, NULL, &err), CY_ENOTSUP, "\"price\"");
  cy_table_release(dt);
  cy_column_release(dec);

  /* A timestamp in seconds too large for milliseconds, in the third row group: nothing
   * is left behind, and an existing file of that name is untouched. */
  FILE *f = fopen(path, "wb");
  fputs("old", f);
  fclose(f);
  int64_t ts[3000];
  for (int i = 0; i < 3000; i++) ts[i] = i == 2500 ? INT64_MAX / 10 : i;
  cy_column *tc = NULL;
  OK(cy_column_from_values(cy_type_timestamp(CY_SECOND, NULL), ts, NULL, 3000, &tc, &err));
  const char *tname = "when";
  cy_table *tt = NULL;
  OK(cy_table_make(1, &tname, &tc, &tt, &err));
  cy_parquet_write_options_init(&o);
  o.row_group_rows = 1000;
  FAILS(cy_parquet_write(tt, path, &o, &err), CY_ERANGE, "row 2500");
  int64_t len = 0;
  uint8_t *data = read_file(path, &len);
  CHECK(data && len == 3 && memcmp(data, "old", 3) == 0);
  free(data);
  CHECK(no_file_like(".tmp"));
  unlink(path);
  cy_table_release(tt);
  cy_column_release(tc);

  /* A path below a regular file cannot be created. */
  char bad[160];
  snprintf(bad, sizeof bad, "%s/afile", temp_dir);
  f = fopen(bad, "wb");
  fclose(f);
  snprintf(bad, sizeof bad, "%s/afile/x.parquet", temp_dir);
  err.message[0] = 0;
  CHECK(cy_parquet_write(t, bad, NULL, &err) != CY_OK && strstr(err.message, "afile") != NULL);
  snprintf(bad, sizeof bad, "%s/afile", temp_dir);
  unlink(bad);
  cy_table_release(t);
}

/* The same bytes whatever the thread count, and whatever the wave a chunk falls in. */
static void test_deterministic(void) {
  cy_error err;
  cy_table *t = make_table(20000);
  char p1[128], p2[128];
  snprintf(p1, sizeof p1, "%s/d1.parquet", temp_dir);
  snprintf(p2, sizeof p2, "%s/d2.parquet", temp_dir);
  cy_parquet_write_options o;
  cy_parquet_write_options_init(&o);
  o.row_group_rows = 700;
  o.num_threads = 1;
  OK(cy_parquet_write(t, p1, &o, &err));
  o.num_threads = 4;
  OK(cy_parquet_write(t, p2, &o, &err));
  int64_t l1 = 0, l2 = 0;
  uint8_t *a = read_file(p1, &l1), *b = read_file(p2, &l2);
  CHECK(a && b && l1 == l2 && memcmp(a, b, (size_t)l1) == 0);
  free(a);
  free(b);
  unlink(p1);
  unlink(p2);
  cy_table_release(t);
}

int main(void) {
  snprintf(temp_dir, sizeof temp_dir, "/tmp/cylon_parquet_write_XXXXXX");
  if (mkdtemp(temp_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_rle();
  test_def_levels();
  test_plain();
  test_dictionary();
  test_minmax();
  test_file_structure();
  test_empty_and_one_row();
  test_errors();
  test_deterministic();
  rmdir(temp_dir);
  TEST_MAIN_END();
}
