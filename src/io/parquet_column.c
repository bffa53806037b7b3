/*
 * parquet_column.c - decoding one column chunk: its pages, one after another, into the
 * rows of one row group of one flat column.
 *
 * A chunk is an optional dictionary page followed by data pages (v1 or v2), each a Thrift
 * PageHeader and its bytes. For every page the decoder checks the CRC (when asked and
 * present), decompresses into a scratch buffer reused across pages, reads the definition
 * levels straight into the validity bitmap (bit width 1: RLE runs become fills, bit-packed
 * runs bitmap copies), then decodes the non-null values with the page's encoding densely
 * into the output at the page's first row and spreads them over the valid rows.
 * Dictionaries are kept already converted to the output representation, so a
 * dictionary-encoded page is an index decode and a gather.
 *
 * Every size comes from the file and is checked before use: page sizes against the chunk,
 * value counts against the rows left in the row group, decompressed sizes against a
 * codec's largest possible ratio, dictionary indices against the dictionary's size, and
 * output growth against the read's budget. Errors name the file, the column, the row
 * group and the page.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/parquet_codec.h"
#include "io/parquet_reader.h"

typedef struct chunk {
  pq_file *f;
  const pq_field *fld;
  const pq_column_meta *cm;
  int32_t rg;
  int32_t page;       /* index of the page being decoded, for messages */
  int64_t num_rows;   /* rows of the row group */
  int64_t row;        /* rows decoded so far */
  pq_chunk_out *out;
  cy_error *err;
  /* scratch, reused across pages */
  uint8_t *page_buf;
  int64_t page_cap;
  uint8_t *scratch;
  int64_t scratch_cap;
  uint8_t *scratch2;
  int64_t scratch2_cap;
  uint8_t *store;
  int64_t store_cap;
  /* the dictionary, in the output representation */
  bool has_dict;
  int64_t dict_n;
  uint8_t *dict_values;  /* fixed-width fields */
  int64_t *dict_offsets; /* var-width fields: dict_n + 1 */
  uint8_t *dict_data;
} chunk;

/* Prefix the message already in err with where the chunk decoder is. */
static cy_status where(chunk *c, cy_status st) {
  cy_error_prefix(c->err, "%s: column '%s', row group %d, page %d: ", c->f->name,
                  c->fld->name, c->rg, c->page);
  return st;
}

static cy_status fail(chunk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cy_status fail(chunk *c, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cy_error_set(c->err, "%s", msg);
  return where(c, CY_EINVAL);
}

/* Make *buf hold at least n bytes (contents not kept). */
static cy_status reserve(chunk *c, uint8_t **buf, int64_t *cap, int64_t n) {
  if (n <= *cap) return CY_OK;
  int64_t want = n > 2 * *cap ? n : 2 * *cap;
  free(*buf);
  *buf = malloc((size_t)(want > 0 ? want : 1));
  if (!*buf) {
    *cap = 0;
    cy_error_set(c->err, "out of memory for %lld bytes of scratch", (long long)want);
    return where(c, CY_ENOMEM);
  }
  *cap = want;
  return CY_OK;
}

/* Room for `more` bytes of var-width data past out->data_len, charged to the budget. */
static cy_status reserve_data(chunk *c, int64_t more) {
  pq_chunk_out *o = c->out;
  if (more <= o->data_cap - o->data_len) return CY_OK;
  int64_t want = o->data_len + more;
  if (want < 2 * o->data_cap) want = 2 * o->data_cap;
  if (!pq_budget_take(c->f, want - o->data_cap))
    return fail(c, "decoded values would pass the reader's limit for a file of this size "
                   "(%lld bytes of data so far, %lld more)", (long long)o->data_len,
                (long long)more);
  uint8_t *d = realloc(o->data, (size_t)want);
  if (!d) {
    cy_error_set(c->err, "out of memory for %lld bytes of values", (long long)want);
    return where(c, CY_ENOMEM);
  }
  o->data = d;
  o->data_cap = want;
  return CY_OK;
}

static bool row_valid(const chunk *c, int64_t i) {
  return c->out->validity == NULL || cy_bit_get(c->out->validity, c->row + i);
}

/* ---- emitting values into the output --------------------------------------------- */

/* n rows, nn of them valid: dense fixed-width physical values at src. */
static cy_status emit_fixed(chunk *c, const uint8_t *src, int64_t n, int64_t nn) {
  const pq_field *fld = c->fld;
  pq_chunk_out *o = c->out;
  if (fld->conv == PQ_CONV_FLBA_BYTES) { /* fixed-size values into var-width output */
    int64_t w = fld->type_length;
    CY_RETURN_NOT_OK(reserve_data(c, nn * w));
    int64_t *off = o->offsets + c->row;
    for (int64_t i = 0, k = 0; i < n; i++) {
      if (row_valid(c, i)) {
        memcpy(o->data + o->data_len, src + (k++) * w, (size_t)w);
        o->data_len += w;
      }
      off[i + 1] = o->data_len;
    }
    return CY_OK;
  }
  uint8_t *dst = o->values + c->row * fld->width;
  cy_status st = pqv_convert(fld, src, nn, dst, c->err);
  if (st != CY_OK) return where(c, st);
  if (nn < n) pqv_spread(dst, fld->width, n, nn, o->validity, c->row);
  return CY_OK;
}

/* n rows, nn valid: dense byte-array values. */
static cy_status emit_slices(chunk *c, const pqd_slice *s, int64_t n, int64_t nn) {
  const pq_field *fld = c->fld;
  pq_chunk_out *o = c->out;
  if (fld->conv == PQ_CONV_BYTES_DEC) {
    uint8_t *dst = o->values + c->row * 16;
    cy_status st = pqv_convert_slices(fld, s, nn, dst, c->err);
    if (st != CY_OK) return where(c, st);
    if (nn < n) pqv_spread(dst, 16, n, nn, o->validity, c->row);
    return CY_OK;
  }
  if (fld->conv == PQ_CONV_FLBA_BYTES || fld->conv == PQ_CONV_FLBA_DEC ||
      fld->conv == PQ_CONV_F16_F32) { /* DELTA_BYTE_ARRAY of fixed-size values */
    int64_t w = fld->type_length;
    CY_RETURN_NOT_OK(reserve(c, &c->scratch2, &c->scratch2_cap, nn * w));
    for (int64_t k = 0; k < nn; k++) {
      if (s[k].len != w) return fail(c, "value %lld has %lld bytes, the column's are %lld",
                                     (long long)k, (long long)s[k].len, (long long)w);
      memcpy(c->scratch2 + k * w, s[k].ptr, (size_t)w);
    }
    return emit_fixed(c, c->scratch2, n, nn);
  }
  int64_t total = 0;
  for (int64_t k = 0; k < nn; k++) total += s[k].len;
  CY_RETURN_NOT_OK(reserve_data(c, total));
  int64_t *off = o->offsets + c->row;
  uint8_t *d = o->data;
  int64_t len = o->data_len;
  if (nn == n) {
    for (int64_t i = 0; i < n; i++) {
      memcpy(d + len, s[i].ptr, (size_t)s[i].len);
      len += s[i].len;
      off[i + 1] = len;
    }
  } else {
    for (int64_t i = 0, k = 0; i < n; i++) {
      if (row_valid(c, i)) {
        memcpy(d + len, s[k].ptr, (size_t)s[k].len);
        len += s[k++].len;
      }
      off[i + 1] = len;
    }
  }
  o->data_len = len;
  return CY_OK;
}

/* n rows, nn valid: dense bits from bit 0 of src. */
static void emit_bits(chunk *c, const uint8_t *src, int64_t n, int64_t nn) {
  cy_bitmap_copy(c->out->bits, c->row, src, 0, nn);
  if (nn < n) pqv_spread_bits(c->out->bits, c->row, n, nn, c->out->validity);
}

/* ---- values by encoding ---------------------------------------------------------- */

/* Dense slices of nn byte arrays (in c->scratch) from BYTE_ARRAY / FLBA data. */
static cy_status decode_byte_arrays(chunk *c, int encoding, const uint8_t *p, int64_t len,
                                    int64_t nn, pqd_slice **out) {
  CY_RETURN_NOT_OK(reserve(c, &c->scratch, &c->scratch_cap, nn * (int64_t)sizeof(pqd_slice)));
  pqd_slice *s = (pqd_slice *)(void *)c->scratch;
  int64_t used;
  cy_status st;
  if (encoding == PQ_ENC_PLAIN) {
    st = pqd_plain_byte_arrays(p, len, nn, s, &used, c->err);
  } else {
    int64_t k = encoding == PQ_ENC_DELTA_BYTE_ARRAY ? 2 : 1;
    CY_RETURN_NOT_OK(reserve(c, &c->scratch2, &c->scratch2_cap, k * nn * 8 + 8));
    int64_t *lens = (int64_t *)(void *)c->scratch2;
    if (encoding == PQ_ENC_DELTA_LENGTH_BYTE_ARRAY)
      st = pqd_delta_length_byte_arrays(p, len, nn, lens, s, &used, c->err);
    else
      st = pqd_delta_byte_arrays(p, len, nn, lens, s, &c->store, &c->store_cap, c->err);
  }
  if (st != CY_OK) return where(c, st);
  *out = s;
  return CY_OK;
}

/* Dense fixed-width physical values (nn of pw bytes) from PLAIN / DELTA / BSS data. */
static cy_status decode_fixed(chunk *c, int encoding, const uint8_t *p, int64_t len,
                              int64_t nn, const uint8_t **out) {
  int pw = pqv_physical_width(c->fld);
  cy_status st = CY_OK;
  switch (encoding) {
    case PQ_ENC_PLAIN:
      if (len < nn * pw)
        return fail(c, "PLAIN data has %lld bytes for %lld values of %d bytes", (long long)len,
                    (long long)nn, pw);
      *out = p;
      return CY_OK;
    case PQ_ENC_BYTE_STREAM_SPLIT:
      CY_RETURN_NOT_OK(reserve(c, &c->scratch, &c->scratch_cap, nn * pw));
      st = pqd_byte_stream_split(p, len, nn, pw, c->scratch, c->err);
      break;
    case PQ_ENC_DELTA_BINARY_PACKED: {
      if (c->fld->physical != PQ_INT32 && c->fld->physical != PQ_INT64)
        return fail(c, "DELTA_BINARY_PACKED encoding for a %s column",
                    pq_type_name(c->fld->physical));
      CY_RETURN_NOT_OK(reserve(c, &c->scratch, &c->scratch_cap, nn * 8 + 8));
      int64_t *v = (int64_t *)(void *)c->scratch, count, used;
      bool is32 = c->fld->physical == PQ_INT32;
      st = pqd_delta_binary(p, len, is32, nn, v, &count, &used, c->err);
      if (st == CY_OK && count != nn)
        return fail(c, "DELTA_BINARY_PACKED holds %lld values, the page has %lld non-null",
                    (long long)count, (long long)nn);
      if (st == CY_OK && is32) /* narrow in place to INT32's width */
        for (int64_t i = 0; i < nn; i++) {
          int32_t x = (int32_t)v[i];
          memcpy(c->scratch + 4 * i, &x, 4);
        }
      break;
    }
    default:
      return fail(c, "%s encoding is not supported for %s", pq_encoding_name(encoding),
                  pq_type_name(c->fld->physical));
  }
  if (st != CY_OK) return where(c, st);
  *out = c->scratch;
  return CY_OK;
}

static cy_status decode_bools(chunk *c, int encoding, const uint8_t *p, int64_t len,
                              int64_t n, int64_t nn) {
  if (encoding == PQ_ENC_PLAIN) {
    if (len < cy_bitmap_bytes(nn))
      return fail(c, "PLAIN booleans need %lld bytes, the page has %lld",
                  (long long)cy_bitmap_bytes(nn), (long long)len);
    emit_bits(c, p, n, nn);
    return CY_OK;
  }
  if (encoding != PQ_ENC_RLE)
    return fail(c, "%s encoding is not supported for BOOLEAN", pq_encoding_name(encoding));
  if (len < 4) return fail(c, "RLE booleans without their length");
  int64_t l = pqd_load_u32(p);
  if (l > len - 4)
    return fail(c, "RLE booleans claim %lld bytes, the page has %lld", (long long)l,
                (long long)(len - 4));
  CY_RETURN_NOT_OK(reserve(c, &c->scratch, &c->scratch_cap, cy_bitmap_bytes(nn) + 8));
  pqd_rle r;
  pqd_rle_init(&r, p + 4, l, 1, nn);
  int64_t ones;
  cy_status st = pqd_rle_get_bits(&r, c->scratch, 0, nn, &ones, c->err);
  if (st != CY_OK) return where(c, st);
  emit_bits(c, c->scratch, n, nn);
  return CY_OK;
}

static cy_status decode_dict_indices(chunk *c, const uint8_t *p, int64_t len, int64_t n,
                                     int64_t nn) {
  if (!c->has_dict) return fail(c, "dictionary-encoded page without a dictionary page");
  if (len < 1 && nn > 0) return fail(c, "dictionary indices without their bit width");
  int bw = len > 0 ? p[0] : 0;
  if (bw > 32) return fail(c, "dictionary index bit width %d is over 32", bw);
  CY_RETURN_NOT_OK(reserve(c, &c->scratch, &c->scratch_cap, nn * 4 + 4));
  uint32_t *idx = (uint32_t *)(void *)c->scratch;
  pqd_rle r;
  pqd_rle_init(&r, p + (len > 0), len - (len > 0), bw, nn);
  cy_status st = pqd_rle_get(&r, idx, nn, c->err);
  if (st != CY_OK) return where(c, st);
  uint32_t max = 0;
  for (int64_t k = 0; k < nn; k++) max = idx[k] > max ? idx[k] : max;
  if (nn > 0 && max >= c->dict_n)
    return fail(c, "dictionary index %u is past the dictionary's %lld entries", max,
                (long long)c->dict_n);
  const pq_field *fld = c->fld;
  pq_chunk_out *o = c->out;
  if (fld->width > 0) {
    uint8_t *dst = o->values + c->row * fld->width;
    pqv_gather(dst, fld->width, c->dict_values, idx, nn);
    if (nn < n) pqv_spread(dst, fld->width, n, nn, o->validity, c->row);
    return CY_OK;
  }
  int64_t total = 0;
  for (int64_t k = 0; k < nn; k++) total += c->dict_offsets[idx[k] + 1] - c->dict_offsets[idx[k]];
  CY_RETURN_NOT_OK(reserve_data(c, total));
  int64_t *off = o->offsets + c->row, dl = o->data_len;
  for (int64_t i = 0, k = 0; i < n; i++) {
    if (nn == n || row_valid(c, i)) {
      uint32_t j = idx[k++];
      int64_t s = c->dict_offsets[j], l = c->dict_offsets[j + 1] - s;
      if (l) memcpy(o->data + dl, c->dict_data + s, (size_t)l);
      dl += l;
    }
    off[i + 1] = dl;
  }
  o->data_len = dl;
  return CY_OK;
}

/* The values of a data page: n rows of which nn are valid, in `encoding`. */
static cy_status decode_values(chunk *c, int encoding, const uint8_t *p, int64_t len,
                               int64_t n, int64_t nn) {
  if (encoding == PQ_ENC_PLAIN_DICTIONARY || encoding == PQ_ENC_RLE_DICTIONARY)
    return decode_dict_indices(c, p, len, n, nn);
  int32_t phys = c->fld->physical;
  if (phys == PQ_BOOLEAN) return decode_bools(c, encoding, p, len, n, nn);
  if (phys == PQ_BYTE_ARRAY ||
      (phys == PQ_FIXED_LEN_BYTE_ARRAY && encoding == PQ_ENC_DELTA_BYTE_ARRAY)) {
    if (encoding != PQ_ENC_PLAIN && encoding != PQ_ENC_DELTA_LENGTH_BYTE_ARRAY &&
        encoding != PQ_ENC_DELTA_BYTE_ARRAY)
      return fail(c, "%s encoding is not supported for %s", pq_encoding_name(encoding),
                  pq_type_name(phys));
    if (phys == PQ_FIXED_LEN_BYTE_ARRAY && encoding != PQ_ENC_DELTA_BYTE_ARRAY)
      return fail(c, "%s encoding is not supported for %s", pq_encoding_name(encoding),
                  pq_type_name(phys));
    pqd_slice *s;
    CY_RETURN_NOT_OK(decode_byte_arrays(c, encoding, p, len, nn, &s));
    return emit_slices(c, s, n, nn);
  }
  const uint8_t *src = NULL;
  CY_RETURN_NOT_OK(decode_fixed(c, encoding, p, len, nn, &src));
  return emit_fixed(c, src, n, nn);
}


/* ---- pages ------------------------------------------------------------------------- */

/* The largest decompressed / compressed size ratio a codec can produce (with some room):
 * a page claiming more is corrupt, and is refused before its buffer is allocated. */
static int64_t max_ratio(int32_t codec) {
  switch (codec) {
    case PQ_CODEC_SNAPPY: return 32;
    case PQ_CODEC_LZ4: case PQ_CODEC_LZ4_RAW: return 300;
    case PQ_CODEC_GZIP: return 1100;
    case PQ_CODEC_ZSTD: return 1 << 16;
    case PQ_CODEC_BROTLI: return 1 << 20;
    default: return 1;
  }
}

/* Decompress src[0, clen) into the page buffer, which must come to exactly ulen bytes. */
static cy_status decompress(chunk *c, const uint8_t *src, int64_t clen, int64_t ulen,
                            bool compressed, const uint8_t **out) {
  int32_t codec = compressed ? c->cm->codec : PQ_CODEC_UNCOMPRESSED;
  if (codec == PQ_CODEC_UNCOMPRESSED || ulen == 0) {
    if (clen != ulen && !(ulen == 0 && codec != PQ_CODEC_UNCOMPRESSED))
      return fail(c, "uncompressed page of %lld bytes, the header says %lld", (long long)clen,
                  (long long)ulen);
    *out = src;
    return CY_OK;
  }
  if (ulen > (clen + 1) * max_ratio(codec) + (1 << 20))
    return fail(c, "%s page of %lld bytes claims to decompress to %lld", pq_codec_name(codec),
                (long long)clen, (long long)ulen);
  CY_RETURN_NOT_OK(reserve(c, &c->page_buf, &c->page_cap, ulen));
  cy_status st = pq_decompress(codec, src, clen, c->page_buf, ulen, c->err);
  if (st != CY_OK) return where(c, st);
  *out = c->page_buf;
  return CY_OK;
}

static cy_status check_count(chunk *c, int64_t n) {
  if (n < 0) return fail(c, "negative value count %lld", (long long)n);
  if (n > c->num_rows - c->row)
    return fail(c, "page has %lld values but only %lld of the row group's %lld rows remain",
                (long long)n, (long long)(c->num_rows - c->row), (long long)c->num_rows);
  return CY_OK;
}

/* A dictionary page: its values, converted to the output representation, kept. */
static cy_status read_dictionary(chunk *c, const pq_page_header *h, const uint8_t *p,
                                 int64_t len) {
  if (!h->has_dictionary_page_header) return fail(c, "dictionary page without its header");
  if (c->has_dict) return fail(c, "a second dictionary page");
  const pq_dictionary_page_header *d = &h->dictionary_page_header;
  int64_t n = d->num_values;
  const pq_field *fld = c->fld;
  int32_t phys = fld->physical;
  if (n < 0) return fail(c, "dictionary page claims %lld values", (long long)n);
  if (d->encoding != PQ_ENC_PLAIN && d->encoding != PQ_ENC_PLAIN_DICTIONARY)
    return fail(c, "dictionary page in %s encoding", pq_encoding_name(d->encoding));
  if (phys == PQ_BOOLEAN) return fail(c, "dictionary page for a BOOLEAN column");
  int pw = pqv_physical_width(fld);
  int64_t min_bytes = phys == PQ_BYTE_ARRAY ? 4 : pw;
  if (n > len / (min_bytes > 0 ? min_bytes : 1))
    return fail(c, "dictionary of %lld values cannot fit in its %lld bytes", (long long)n,
                (long long)len);
  pqd_slice *s = NULL;
  if (phys == PQ_BYTE_ARRAY) CY_RETURN_NOT_OK(decode_byte_arrays(c, PQ_ENC_PLAIN, p, len, n, &s));
  if (fld->width > 0) {
    c->dict_values = malloc((size_t)(n * fld->width + 1));
    if (!c->dict_values) return fail(c, "out of memory for a dictionary of %lld values", (long long)n);
    cy_status st = s ? pqv_convert_slices(fld, s, n, c->dict_values, c->err)
                     : pqv_convert(fld, p, n, c->dict_values, c->err);
    if (st != CY_OK) return where(c, st);
  } else {
    int64_t total = 0;
    for (int64_t k = 0; k < n; k++) total += s ? s[k].len : pw;
    c->dict_offsets = malloc((size_t)(n + 1) * sizeof(int64_t));
    c->dict_data = malloc((size_t)(total + 1));
    if (!c->dict_offsets || !c->dict_data)
      return fail(c, "out of memory for a dictionary of %lld values", (long long)n);
    int64_t at = 0;
    c->dict_offsets[0] = 0;
    for (int64_t k = 0; k < n; k++) {
      const uint8_t *v = s ? s[k].ptr : p + k * pw;
      int64_t l = s ? s[k].len : pw;
      memcpy(c->dict_data + at, v, (size_t)l);
      at += l;
      c->dict_offsets[k + 1] = at;
    }
  }
  c->has_dict = true;
  c->dict_n = n;
  return CY_OK;
}

static cy_status read_data_v1(chunk *c, const pq_page_header *h, const uint8_t *p,
                              int64_t len) {
  if (!h->has_data_page_header) return fail(c, "data page without its header");
  const pq_data_page_header *d = &h->data_page_header;
  int64_t n = d->num_values, nn = n;
  CY_RETURN_NOT_OK(check_count(c, n));
  if (c->fld->max_def > 0) {
    if (d->definition_level_encoding == PQ_ENC_RLE) {
      if (len < 4) return fail(c, "definition levels without their length");
      int64_t l = pqd_load_u32(p);
      if (l > len - 4)
        return fail(c, "definition levels claim %lld bytes, the page has %lld", (long long)l,
                    (long long)(len - 4));
      pqd_rle r;
      pqd_rle_init(&r, p + 4, l, 1, n);
      cy_status st = pqd_rle_get_bits(&r, c->out->validity, c->row, n, &nn, c->err);
      if (st != CY_OK) return where(c, st);
      p += 4 + l;
      len -= 4 + l;
    } else if (d->definition_level_encoding == PQ_ENC_BIT_PACKED) {
      cy_status st = pqd_bitpacked_msb_bits(p, len, c->out->validity, c->row, n, &nn, c->err);
      if (st != CY_OK) return where(c, st);
      p += cy_bitmap_bytes(n);
      len -= cy_bitmap_bytes(n);
    } else {
      return fail(c, "definition levels in %s encoding",
                  pq_encoding_name(d->definition_level_encoding));
    }
  }
  CY_RETURN_NOT_OK(decode_values(c, d->encoding, p, len, n, nn));
  c->row += n;
  return CY_OK;
}

static cy_status read_data_v2(chunk *c, const pq_page_header *h, const uint8_t *body) {
  if (!h->has_data_page_header_v2) return fail(c, "data page v2 without its header");
  const pq_data_page_header_v2 *d = &h->data_page_header_v2;
  int64_t n = d->num_values, nn = n;
  CY_RETURN_NOT_OK(check_count(c, n));
  int64_t rl = d->repetition_levels_byte_length, dl = d->definition_levels_byte_length;
  int64_t clen = h->compressed_page_size, ulen = h->uncompressed_page_size;
  if (rl < 0 || dl < 0 || rl + dl > clen || rl + dl > ulen)
    return fail(c, "levels of %lld + %lld bytes do not fit in the page (%lld bytes, %lld "
                   "uncompressed)", (long long)rl, (long long)dl, (long long)clen,
                (long long)ulen);
  if (c->fld->max_def > 0) {
    if (dl == 0 && d->num_nulls == 0) {
      cy_bitmap_fill(c->out->validity, c->row, n, true);
    } else {
      pqd_rle r;
      pqd_rle_init(&r, body + rl, dl, 1, n);
      cy_status st = pqd_rle_get_bits(&r, c->out->validity, c->row, n, &nn, c->err);
      if (st != CY_OK) return where(c, st);
    }
  }
  const uint8_t *values;
  CY_RETURN_NOT_OK(decompress(c, body + rl + dl, clen - rl - dl, ulen - rl - dl,
                              d->is_compressed, &values));
  CY_RETURN_NOT_OK(decode_values(c, d->encoding, values, ulen - rl - dl, n, nn));
  c->row += n;
  return CY_OK;
}

/* One page at chunk[*pos]: header, checksum, then its kind's decoder. */
static cy_status read_page(chunk *c, const uint8_t *data, int64_t len, int64_t *pos,
                           bool verify) {
  pq_page_header h;
  int64_t hlen;
  cy_status st = pq_page_header_decode(data + *pos, len - *pos, &h, &hlen, c->err);
  if (st != CY_OK) return where(c, st);
  *pos += hlen;
  int64_t clen = h.compressed_page_size;
  if (clen > len - *pos)
    return fail(c, "page of %lld bytes runs past the column chunk (%lld bytes left)",
                (long long)clen, (long long)(len - *pos));
  const uint8_t *body = data + *pos;
  *pos += clen;
  if (verify && h.has_crc) {
    uint32_t crc = pq_crc32(body, clen);
    if (crc != (uint32_t)h.crc)
      return fail(c, "checksum mismatch: the page's CRC-32 is %08x, its header says %08x", crc,
                  (uint32_t)h.crc);
  }
  const uint8_t *p;
  switch (h.type) {
    case PQ_PAGE_DICTIONARY:
      CY_RETURN_NOT_OK(decompress(c, body, clen, h.uncompressed_page_size, true, &p));
      return read_dictionary(c, &h, p, h.uncompressed_page_size);
    case PQ_PAGE_DATA:
      CY_RETURN_NOT_OK(decompress(c, body, clen, h.uncompressed_page_size, true, &p));
      return read_data_v1(c, &h, p, h.uncompressed_page_size);
    case PQ_PAGE_DATA_V2:
      return read_data_v2(c, &h, body);
    default:
      return CY_OK; /* index pages and unknown kinds: skipped */
  }
}

static cy_status alloc_outputs(chunk *c) {
  pq_chunk_out *o = c->out;
  int64_t n = c->num_rows;
  if (c->fld->max_def > 0 && !(o->validity = calloc((size_t)cy_bitmap_bytes(n) + 1, 1)))
    return fail(c, "out of memory for %lld rows", (long long)n);
  if (c->fld->type.id == CY_BOOL && !(o->bits = calloc((size_t)cy_bitmap_bytes(n) + 1, 1)))
    return fail(c, "out of memory for %lld rows", (long long)n);
  if (cy_type_is_var_width(c->fld->type.id)) {
    if (!(o->offsets = malloc((size_t)(n + 1) * sizeof(int64_t))))
      return fail(c, "out of memory for %lld rows", (long long)n);
    o->offsets[0] = 0;
  }
  return CY_OK;
}

void pq_chunk_out_free(pq_chunk_out *o) {
  free(o->validity);
  free(o->bits);
  free(o->offsets);
  free(o->data);
  uint8_t *values = o->values;
  memset(o, 0, sizeof *o);
  o->values = values;
}

cy_status pq_chunk_range(const pq_file *f, int32_t rg, int32_t fi, int64_t *offset,
                         int64_t *len, cy_error *err) {
  const pq_field *fld = &f->fields[fi];
  const pq_column_chunk *cc = &f->meta.row_groups[rg].columns[fld->leaf];
  char why[128] = "";
  cy_status st = CY_ENOTSUP;
  if (cc->encrypted)
    snprintf(why, sizeof why, "is encrypted, which is not supported");
  else if (!cc->has_meta_data)
    snprintf(why, sizeof why, "has no metadata"), st = CY_EINVAL;
  else if (cc->file_path)
    snprintf(why, sizeof why, "is in another file, which is not supported");
  else if (cc->meta_data.type != fld->physical)
    snprintf(why, sizeof why, "is %s, the schema says %s", pq_type_name(cc->meta_data.type),
             pq_type_name(fld->physical)), st = CY_EINVAL;
  else if (!pq_codec_supported(cc->meta_data.codec))
    snprintf(why, sizeof why, "uses %s compression, which is not supported",
             pq_codec_name(cc->meta_data.codec));
  if (why[0]) {
    cy_error_set(err, "%s: column '%s', row group %d: the column chunk %s", f->name, fld->name,
                 rg, why);
    return st;
  }
  const pq_column_meta *cm = &cc->meta_data;
  int64_t start = cm->data_page_offset;
  if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
      cm->dictionary_page_offset < start)
    start = cm->dictionary_page_offset;
  int64_t n = cm->total_compressed_size;
  if (start < 4 || n < 0 || start > f->data_end || n > f->data_end - start) {
    cy_error_set(err, "%s: column '%s', row group %d: the column chunk at %lld (%lld bytes) "
                 "lies outside the file's data (bytes 4 to %lld)", f->name, fld->name, rg,
                 (long long)start, (long long)n, (long long)f->data_end);
    return CY_EINVAL;
  }
  *offset = start;
  *len = n + (f->chunk_padding < f->data_end - start - n ? f->chunk_padding
                                                         : f->data_end - start - n);
  return CY_OK;
}

cy_status pq_chunk_read(pq_file *f, int32_t rg, int32_t fi, const uint8_t *data, int64_t len,
                        bool verify, pq_chunk_out *out, cy_error *err) {
  chunk c;
  memset(&c, 0, sizeof c);
  c.f = f;
  c.fld = &f->fields[fi];
  c.cm = &f->meta.row_groups[rg].columns[c.fld->leaf].meta_data;
  c.rg = rg;
  c.num_rows = f->meta.row_groups[rg].num_rows;
  c.out = out;
  c.err = err;
  cy_status st = alloc_outputs(&c);
  int64_t pos = 0;
  while (st == CY_OK && c.row < c.num_rows) {
    if (pos >= len) {
      st = fail(&c, "the column chunk ends after %lld of the row group's %lld rows",
                (long long)c.row, (long long)c.num_rows);
      break;
    }
    st = read_page(&c, data, len, &pos, verify);
    c.page++;
  }
  if (st == CY_OK && out->validity) {
    out->null_count = c.num_rows - cy_bitmap_count_set(out->validity, 0, c.num_rows);
    if (out->null_count == 0) {
      free(out->validity);
      out->validity = NULL;
    }
  }
  free(c.page_buf);
  free(c.scratch);
  free(c.scratch2);
  free(c.store);
  free(c.dict_values);
  free(c.dict_offsets);
  free(c.dict_data);
  if (st != CY_OK) pq_chunk_out_free(out);
  return st;
}
