/*
 * parquet_write_chunk.c - one column chunk (one column of one row group) encoded into its
 * bytes: an optional dictionary page, then data pages (v1), each behind its PageHeader.
 *
 * Steps: gather the rows' non-null values into their physical form; try a dictionary
 * (abandoned as soon as its PLAIN size passes dictionary_page_bytes) and keep it only when
 * the dictionary plus the bit-packed indices come out smaller than PLAIN; compute min and
 * max (over the dictionary's entries when there is one: fewer values, same answer); cut
 * the rows into pages of about page_bytes of values; encode each page as definition
 * levels (RLE, 4-byte length first) followed by the values (PLAIN, or a bit-width byte and
 * the RLE / bit-packed indices); compress it and append header and page.
 *
 * The whole chunk is decided before any page is written, so a chunk is either all
 * dictionary-encoded or all PLAIN; nothing is written when a chunk fails. Pages are cut
 * by rows, so a page's definition levels and values always describe the same rows.
 */
#include <stdlib.h>
#include <string.h>

#include "io/parquet_codec.h"
#include "io/parquet_write.h"

/* Rows of one page, and the dense values they hold. */
typedef struct page_span {
  int64_t row, rows;
  int64_t value, values;
} page_span;

/* What a chunk's encoding works with. */
typedef struct chunk_job {
  const pqw_column *c;
  const cy_column *col;
  int64_t start, n;
  const pqw_settings *s;
  int32_t codec;
  pqw_values values;
  pqw_scratch *x;      /* dictionary, page buffers, header writer */
  bool use_dict;
  pqw_chunk *out;
} chunk_job;

/* Rows per page never pass this, so page headers' int32 counts stay far from overflow. */
#define MAX_PAGE_ROWS (1 << 24)

/* ---- dictionary or PLAIN ------------------------------------------------------------- */

static cy_status choose_encoding(chunk_job *j, cy_error *err) {
  j->use_dict = false;
  if (!j->s->dictionary || j->values.kind == PQW_BOOL || j->values.count == 0) return CY_OK;
  bool built;
  pqw_dict *d = &j->x->dict;
  CY_RETURN_NOT_OK(pqw_dict_build(&j->values, j->s->dictionary_page_bytes, d, &built, err));
  if (!built) return CY_OK;
  int64_t dict_cost = d->plain_bytes + (j->values.count * d->bit_width + 7) / 8;
  j->use_dict = dict_cost < pqw_plain_size(&j->values);
  return CY_OK;
}

/* ---- pages --------------------------------------------------------------------------- */

/* Bytes a page's values take, roughly, per value: for cutting pages by rows. */
static int64_t rows_per_page(const chunk_job *j) {
  int64_t bits = j->use_dict ? j->x->dict.bit_width
                             : (j->values.kind == PQW_BOOL ? 1 : 8 * pqw_kind_width(j->values.kind));
  int64_t rows = j->s->page_bytes * 8 / (bits > 0 ? bits : 1);
  if (rows < 1) rows = 1;
  return rows < MAX_PAGE_ROWS ? rows : MAX_PAGE_ROWS;
}

/* The next page from row `row` (value `value`): fixed-width values by count; PLAIN byte
 * arrays by their bytes (4-byte length included), at least one row per page. */
static page_span next_page(const chunk_job *j, int64_t row, int64_t value) {
  page_span p = {row, 0, value, 0};
  int64_t end = j->start + j->n;
  if (j->values.kind == PQW_BYTES && !j->use_dict) {
    int64_t bytes = 0;
    while (row + p.rows < end && p.rows < MAX_PAGE_ROWS && (p.rows == 0 || bytes < j->s->page_bytes)) {
      if (cy_column_is_valid(j->col, row + p.rows)) bytes += 4 + j->values.bytes[value + p.values++].len;
      p.rows++;
    }
    return p;
  }
  int64_t rows = rows_per_page(j);
  p.rows = end - row < rows ? end - row : rows;
  p.values = j->col->validity
                 ? cy_bitmap_count_set(j->col->validity->data, j->col->offset + row, p.rows)
                 : p.rows;
  return p;
}

/* Compress the page in j->x->page and append its header and bytes to the chunk. */
static cy_status emit_page(chunk_job *j, pq_page_header *h, cy_error *err) {
  const uint8_t *body = j->x->page.data;
  int64_t body_len = j->x->page.len;
  if (j->codec != PQ_CODEC_UNCOMPRESSED) {
    int64_t bound = pq_compress_bound(j->codec, j->x->page.len);
    j->x->compressed.len = 0;
    CY_RETURN_NOT_OK(pqw_buf_reserve(&j->x->compressed, bound, err));
    CY_RETURN_NOT_OK(pq_compress(j->codec, j->s->level, j->x->page.data, j->x->page.len,
                                 j->x->compressed.data, j->x->compressed.cap, &body_len, err));
    body = j->x->compressed.data;
  }
  if (j->x->page.len > INT32_MAX || body_len > INT32_MAX) {
    cy_error_set(err, "column \"%s\": a page of %lld bytes is too large for Parquet; "
                 "use a smaller page size", j->c->name, (long long)j->x->page.len);
    return CY_ERANGE;
  }
  h->uncompressed_page_size = (int32_t)j->x->page.len;
  h->compressed_page_size = (int32_t)body_len;
  /* The CRC covers the page's bytes as stored (compressed), not its header. */
  h->has_crc = j->s->checksums;
  if (h->has_crc) h->crc = (int32_t)pq_crc32(body, body_len);
  j->x->header.len = 0;
  pq_page_header_encode(&j->x->header, h);
  CY_RETURN_NOT_OK(pqt_writer_status(&j->x->header, "writing a Parquet page header", err));
  pqw_buf *out = &j->out->bytes;
  CY_RETURN_NOT_OK(pqw_buf_reserve(out, j->x->header.len + body_len, err));
  pqw_put(out, j->x->header.data, j->x->header.len);
  pqw_put(out, body, body_len);
  j->out->uncompressed_size += j->x->header.len + j->x->page.len;
  return CY_OK;
}

static cy_status write_dictionary_page(chunk_job *j, cy_error *err) {
  j->x->page.len = 0;
  CY_RETURN_NOT_OK(pqw_plain_encode(&j->x->page, &j->x->dict.entries, err));
  pq_page_header h;
  memset(&h, 0, sizeof(h));
  h.type = PQ_PAGE_DICTIONARY;
  h.has_dictionary_page_header = true;
  h.dictionary_page_header.num_values = (int32_t)j->x->dict.entries.count;
  h.dictionary_page_header.encoding = PQ_ENC_PLAIN;
  return emit_page(j, &h, err);
}

static cy_status write_data_page(chunk_job *j, const page_span *p, cy_error *err) {
  j->x->page.len = 0;
  const uint8_t *validity = j->col->validity ? j->col->validity->data : NULL;
  CY_RETURN_NOT_OK(pqw_def_levels_encode(&j->x->page, validity, j->col->offset + p->row,
                                         p->rows, err));
  if (j->use_dict) {
    uint8_t width = (uint8_t)j->x->dict.bit_width;
    CY_RETURN_NOT_OK(pqw_buf_append(&j->x->page, &width, 1, err));
    CY_RETURN_NOT_OK(pqw_rle_encode(&j->x->page, j->x->dict.indices + p->value, p->values,
                                    j->x->dict.bit_width, err));
  } else {
    pqw_values range = pqw_values_range(&j->values, p->value, p->values);
    CY_RETURN_NOT_OK(pqw_plain_encode(&j->x->page, &range, err));
  }
  pq_page_header h;
  memset(&h, 0, sizeof(h));
  h.type = PQ_PAGE_DATA;
  h.has_data_page_header = true;
  h.data_page_header.num_values = (int32_t)p->rows;
  h.data_page_header.encoding = j->use_dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN;
  h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
  h.data_page_header.repetition_level_encoding = PQ_ENC_RLE;
  j->out->data_pages++;
  return emit_page(j, &h, err);
}

static cy_status write_pages(chunk_job *j, cy_error *err) {
  if (j->use_dict) CY_RETURN_NOT_OK(write_dictionary_page(j, err));
  j->out->data_page_offset = j->out->bytes.len;
  int64_t row = j->start, value = 0;
  /* An empty chunk still gets one (empty) data page: readers expect at least one. */
  do {
    page_span p = next_page(j, row, value);
    CY_RETURN_NOT_OK(write_data_page(j, &p, err));
    row += p.rows;
    value += p.values;
  } while (row < j->start + j->n);
  return CY_OK;
}

/* ---- the chunk ----------------------------------------------------------------------- */

static cy_status encode(chunk_job *j, cy_error *err) {
  pqw_scratch *x = j->x;
  CY_RETURN_NOT_OK(pqw_gather(j->c, j->col, j->start, j->n, &j->values, &x->values,
                              &x->values_cap, err));
  CY_RETURN_NOT_OK(choose_encoding(j, err));
  pqw_chunk *out = j->out;
  out->num_values = j->n;
  out->null_count = j->n - j->values.count;
  out->has_dictionary = out->dictionary_encoded = j->use_dict;
  if (j->s->statistics) pqw_minmax_compute(j->use_dict ? &x->dict.entries : &j->values, &out->minmax);
  /* Room for every page up front (values, levels, headers) saves regrowing the chunk. */
  int64_t guess = j->use_dict ? x->dict.plain_bytes + j->values.count * x->dict.bit_width / 8
                              : pqw_plain_size(&j->values);
  CY_RETURN_NOT_OK(pqw_buf_reserve(&out->bytes, guess + guess / 8 + j->n / 64 + 4096, err));
  return write_pages(j, err);
}

cy_status pqw_chunk_encode(const pqw_column *c, const cy_column *col, int64_t start,
                           int64_t n, const pqw_settings *s, pqw_scratch *scratch,
                           pqw_chunk *out, cy_error *err) {
  pqw_buf bytes = out->bytes;
  memset(out, 0, sizeof(*out));
  out->bytes = bytes;
  out->bytes.len = 0;
  chunk_job j;
  memset(&j, 0, sizeof(j));
  j.c = c;
  j.col = col;
  j.start = start;
  j.n = n;
  j.s = s;
  j.codec = pq_codec_from_compression(s->compression);
  j.x = scratch;
  j.out = out;
  cy_status st = encode(&j, err);
  if (st != CY_OK) out->bytes.len = 0;
  return st;
}

void pqw_chunk_free(pqw_chunk *chunk) {
  pqw_buf_reset(&chunk->bytes);
  memset(chunk, 0, sizeof(*chunk));
}

void pqw_scratch_free(pqw_scratch *s) {
  free(s->values);
  pqw_dict_free(&s->dict);
  pqw_buf_reset(&s->page);
  pqw_buf_reset(&s->compressed);
  pqt_writer_reset(&s->header);
  memset(s, 0, sizeof(*s));
}
