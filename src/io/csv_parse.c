/*
 * csv_parse.c - typed parsing of one chunk of CSV records, and assembling chunk parts into
 * columns.
 *
 * Each chunk parses its records straight into per-column arrays (its "parts"). The common
 * shapes take fused fast paths that find the end of the field and convert it in one pass:
 * unquoted integers, floats and strings. Anything else (quotes, null markers, NUL bytes,
 * overflow, bad values) goes through the general path, which also decides what a bad value
 * means: for a column whose type was inferred it records the wider type the value needs
 * (the reader then widens and parses again), otherwise it is an error naming the line,
 * column, expected type and the text found.
 *
 * Validity is kept as one byte per row while parsing (made at the first null, preset to
 * valid) and packed into Arrow bitmaps during assembly.
 */
#include <stdlib.h>
#include <string.h>

#include "io/csv_internal.h"

/* ---- column kinds ------------------------------------------------------------------ */

static bool kind_of(cy_type_id id, csv_kind *kind, int *width) {
  switch (id) {
    case CY_BOOL: *kind = K_BOOL; *width = 1; return true;
    case CY_INT8: *kind = K_INT8; *width = 1; return true;
    case CY_INT16: *kind = K_INT16; *width = 2; return true;
    case CY_INT32: *kind = K_INT32; *width = 4; return true;
    case CY_INT64: *kind = K_INT64; *width = 8; return true;
    case CY_UINT8: *kind = K_UINT8; *width = 1; return true;
    case CY_UINT16: *kind = K_UINT16; *width = 2; return true;
    case CY_UINT32: *kind = K_UINT32; *width = 4; return true;
    case CY_UINT64: *kind = K_UINT64; *width = 8; return true;
    case CY_FLOAT32: *kind = K_FLOAT32; *width = 4; return true;
    case CY_FLOAT64: *kind = K_FLOAT64; *width = 8; return true;
    case CY_DATE32: *kind = K_DATE32; *width = 4; return true;
    case CY_TIMESTAMP: *kind = K_TIMESTAMP; *width = 8; return true;
    case CY_DECIMAL128: *kind = K_DECIMAL; *width = 16; return true;
    case CY_UTF8: case CY_LARGE_UTF8: *kind = K_STRING; *width = 4; return true;
    case CY_BINARY: case CY_LARGE_BINARY: *kind = K_BINARY; *width = 4; return true;
    default: return false;
  }
}

cy_status csv_column_set_type(csv_column *col, cy_type type, const csv_dialect *d,
                              cy_error *err) {
  char tn[96];
  if (!kind_of(type.id, &col->kind, &col->width)) {
    cy_error_set(err, "column '%s': CSV cannot hold type %s", col->name,
                 cy_type_name(&type, tn, sizeof tn));
    return CY_ENOTSUP;
  }
  col->type = type;
  /* The fast paths skip the null-marker check for text that converts to a value; that is
   * only right when no marker converts (a marker like "0" or "-1" would). */
  col->fast = true;
  for (int32_t i = 0; i < d->num_nulls; i++) {
    const char *m = d->nulls[i];
    size_t n = strlen(m);
    int64_t iv;
    double dv;
    int32_t day;
    if ((col->kind == K_INT64 && cy_parse_int64(m, n, &iv)) ||
        (col->kind == K_FLOAT64 && cy_parse_double(m, n, &dv)) ||
        (col->kind == K_DATE32 && cy_parse_date32(m, n, &day)))
      col->fast = false;
  }
  return CY_OK;
}

/* ---- UTF-8 ------------------------------------------------------------------------- */

static bool utf8_valid_tail(const uint8_t *s, int64_t n) {
  int64_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
    else return false;
    if (i + len > n) return false;
    for (int k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    /* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid. */
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    i += len;
  }
  return true;
}

static bool utf8_valid(const char *text, int64_t n) {
  const uint8_t *s = (const uint8_t *)text;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) { /* ASCII runs a word at a time */
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (w & 0x8080808080808080ull) break;
  }
  return utf8_valid_tail(s + i, n - i);
}

/* ---- outputs and chunk parts ------------------------------------------------------ */

static bool is_var(csv_kind k) { return k == K_STRING || k == K_BINARY; }

void csv_outputs_reset(csv_parser *ps) {
  for (int32_t c = 0; ps->outputs && c < ps->num_columns; c++) {
    cy_buffer_release(ps->outputs[c].values);
    cy_buffer_release(ps->outputs[c].validity);
    cy_buffer_release(ps->outputs[c].data);
  }
  free(ps->outputs);
  ps->outputs = NULL;
  ps->rows = 0;
}

/* Make buf hold at least `bytes`, growing by a quarter more to amortise block appends. */
/* Make buf hold at least `bytes`. `expect` is what the whole input will probably need
 * (0: unknown): reserving that at once avoids growing block after block; past it, grow by a
 * quarter more to amortise. */
static cy_status ensure(cy_buffer **buf, int64_t bytes, int64_t expect, cy_error *err) {
  int64_t want = expect > bytes ? expect : bytes + bytes / 4;
  if (*buf == NULL) return cy_buffer_alloc(expect > bytes ? expect : bytes, buf, err);
  if (bytes <= (*buf)->capacity) return CY_OK;
  return cy_buffer_reserve(*buf, want, err);
}

/* Switch a var-width output to 64-bit offsets (its text passed 2 GiB). */
static cy_status widen_offsets(csv_output *o, int64_t rows, cy_error *err) {
  CY_RETURN_NOT_OK(ensure(&o->values, (rows + 1) * 8, 0, err));
  const int32_t *narrow = (const int32_t *)o->values->data;
  int64_t *wide = (int64_t *)o->values->data;
  for (int64_t i = rows; i >= 0; i--) wide[i] = narrow[i]; /* backwards: in place */
  o->large = true;
  return CY_OK;
}

cy_status csv_outputs_reserve(csv_parser *ps, csv_chunk *chunks, int32_t n, cy_error *err) {
  int32_t nc = ps->num_columns;
  if (ps->outputs == NULL) {
    ps->outputs = calloc(nc > 0 ? (size_t)nc : 1, sizeof(csv_output));
    if (ps->outputs == NULL) {
      cy_error_set(err, "out of memory parsing CSV");
      return CY_ENOMEM;
    }
    for (int32_t c = 0; c < nc; c++)
      ps->outputs[c].large = cy_type_is_large(ps->columns[c].type.id);
  }
  int64_t rows = ps->rows;
  for (int32_t k = 0; k < n; k++) {
    chunks[k].row_base = rows;
    rows += chunks[k].capacity;
  }
  int64_t text = n > 0 ? chunks[n - 1].stop - chunks[0].start : 0;
  for (int32_t c = 0; c < nc; c++) {
    const csv_column *col = &ps->columns[c];
    csv_output *o = &ps->outputs[c];
    if (col->kind == K_BOOL) continue;
    int64_t expect = ps->expected_rows;
    if (!is_var(col->kind)) {
      CY_RETURN_NOT_OK(ensure(&o->values, rows * col->width, expect * col->width, err));
      continue;
    }
    /* A block adds at most its own length in string bytes. */
    if (!o->large && o->data_len + text > INT32_MAX)
      CY_RETURN_NOT_OK(widen_offsets(o, ps->rows, err));
    CY_RETURN_NOT_OK(ensure(&o->values, (rows + 1) * (o->large ? 8 : 4),
                            (expect + 1) * (o->large ? 8 : 4), err));
    if (ps->rows == 0) memset(o->values->data, 0, o->large ? 8 : 4);
  }
  return CY_OK;
}

cy_status csv_spares_reserve(csv_parser *ps, int32_t n, cy_error *err) {
  if (n <= ps->spare_slots) return CY_OK;
  size_t nc = ps->num_columns > 0 ? (size_t)ps->num_columns : 1;
  csv_part *grown = realloc(ps->spares, (size_t)n * nc * sizeof(csv_part));
  if (grown == NULL) {
    cy_error_set(err, "out of memory parsing CSV");
    return CY_ENOMEM;
  }
  memset(grown + (size_t)ps->spare_slots * nc, 0,
         (size_t)(n - ps->spare_slots) * nc * sizeof(csv_part));
  ps->spares = grown;
  ps->spare_slots = n;
  return CY_OK;
}

void csv_spares_reset(csv_parser *ps) {
  size_t nc = ps->num_columns > 0 ? (size_t)ps->num_columns : 1;
  for (size_t i = 0; ps->spares && i < (size_t)ps->spare_slots * nc; i++) {
    cy_buffer_release(ps->spares[i].valid);
    cy_buffer_release(ps->spares[i].bools);
    cy_buffer_release(ps->spares[i].data);
  }
  free(ps->spares);
  ps->spares = NULL;
  ps->spare_slots = 0;
}

/* Keep b for reuse in *slot, or free it when the slot is taken. */
static void keep(cy_buffer **slot, cy_buffer *b) {
  if (*slot == NULL)
    *slot = b;
  else
    cy_buffer_release(b);
}

void csv_chunk_recycle(csv_parser *ps, csv_chunk *ck) {
  for (int32_t c = 0; ck->parts && c < ps->num_columns; c++) {
    csv_part *part = &ck->parts[c];
    if (ps->spares && ck->index < ps->spare_slots) {
      /* Fresh pages cost a fault each; reusing last block's buffers avoids that. */
      csv_part *spare = &ps->spares[(size_t)ck->index * (size_t)ps->num_columns + (size_t)c];
      keep(&spare->valid, part->valid);
      keep(&spare->bools, part->bools);
      keep(&spare->data, part->data);
    } else {
      cy_buffer_release(part->valid);
      cy_buffer_release(part->bools);
      cy_buffer_release(part->data);
    }
  }
  free(ck->parts);
  free(ck->widen);
  ck->parts = NULL;
  ck->widen = NULL;
  ck->rows = 0;
  ck->needs_widen = false;
  ck->done = false;
  ck->ended = NULL;
}

/* A buffer of at least `bytes` for slot field `from`: the spare one if any, else new. */
static cy_status take(cy_buffer **from, int64_t bytes, cy_buffer **out, cy_error *err) {
  if (*from == NULL) return cy_buffer_alloc(bytes, out, err);
  *out = *from;
  *from = NULL;
  return cy_buffer_reserve(*out, bytes, err);
}

static csv_part *spare_of(const csv_parser *ps, const csv_chunk *ck, int32_t c) {
  if (ps->spares == NULL || ck->index >= ps->spare_slots) return NULL;
  return &ps->spares[(size_t)ck->index * (size_t)ps->num_columns + (size_t)c];
}

static cy_status chunk_init(const csv_parser *ps, csv_chunk *ck, cy_error *err) {
  int32_t nc = ps->num_columns;
  ck->parts = calloc(nc > 0 ? (size_t)nc : 1, sizeof(csv_part));
  ck->widen = calloc(nc > 0 ? (size_t)nc : 1, sizeof(cy_text_kind));
  if (ck->parts == NULL || ck->widen == NULL) {
    cy_error_set(err, "out of memory parsing CSV");
    return CY_ENOMEM;
  }
  int64_t bytes = ck->stop - ck->start;
  for (int32_t c = 0; c < nc; c++) {
    const csv_column *col = &ps->columns[c];
    csv_part none = {0}, *spare = spare_of(ps, ck, c);
    if (spare == NULL) spare = &none;
    if (col->kind == K_BOOL)
      CY_RETURN_NOT_OK(take(&spare->bools, ck->capacity, &ck->parts[c].bools, err));
    if (is_var(col->kind))
      CY_RETURN_NOT_OK(take(&spare->data, bytes / (nc > 0 ? nc : 1) + 64, &ck->parts[c].data, err));
  }
  return CY_OK;
}

/* Where row `row` of chunk ck goes for a fixed-width column. */
static inline uint8_t *value_slot(const csv_parser *ps, const csv_chunk *ck, int32_t c,
                                  int64_t row) {
  const csv_column *col = &ps->columns[c];
  if (col->kind == K_BOOL) return ck->parts[c].bools->data + row;
  return ps->outputs[c].values->data + (ck->row_base + row) * col->width;
}

/* Record the chunk-relative end offset of row `row` of a var-width column. */
static inline void set_end(const csv_parser *ps, const csv_chunk *ck, int32_t c, int64_t row,
                           int64_t end) {
  const csv_output *o = &ps->outputs[c];
  int64_t k = ck->row_base + row + 1;
  if (o->large)
    ((int64_t *)o->values->data)[k] = end;
  else
    ((int32_t *)o->values->data)[k] = (int32_t)end;
}

static cy_status set_null(const csv_parser *ps, csv_chunk *ck, int32_t c, int64_t row,
                          cy_error *err) {
  csv_part *part = &ck->parts[c];
  const csv_column *col = &ps->columns[c];
  if (part->valid == NULL) {
    csv_part none = {0}, *spare = spare_of(ps, ck, c);
    CY_RETURN_NOT_OK(take(spare ? &spare->valid : &none.valid, ck->capacity, &part->valid, err));
    memset(part->valid->data, 1, (size_t)ck->capacity);
  }
  part->valid->data[row] = 0;
  if (is_var(col->kind))
    set_end(ps, ck, c, row, part->data_len);
  else
    memset(value_slot(ps, ck, c, row), 0, (size_t)col->width);
  return CY_OK;
}

static cy_status append_bytes(const csv_parser *ps, csv_chunk *ck, int32_t c, int64_t row,
                              const char *s, int64_t n, cy_error *err) {
  csv_part *part = &ck->parts[c];
  if (part->data_len + n > part->data->capacity) {
    int64_t cap = part->data->capacity * 2;
    if (cap < part->data_len + n) cap = part->data_len + n;
    CY_RETURN_NOT_OK(cy_buffer_reserve(part->data, cap, err));
  }
  memcpy(part->data->data + part->data_len, s, (size_t)n);
  part->data_len += n;
  set_end(ps, ck, c, row, part->data_len);
  return CY_OK;
}

/* Convert text to the column's type and store it; false when the text is not a value. */
static bool store_text(const csv_column *col, uint8_t *v, const char *s, int64_t n) {
  size_t len = (size_t)n;
  int64_t i;
  uint64_t u;
  double dv;
  switch (col->kind) {
    case K_BOOL: {
      bool b;
      if (!cy_parse_bool(s, len, &b)) {
        if (n == 1 && (*s == '1' || *s == '0')) b = *s == '1';
        else return false;
      }
      v[0] = b;
      return true;
    }
    case K_INT8:
      if (!cy_parse_int64(s, len, &i) || i < INT8_MIN || i > INT8_MAX) return false;
      ((int8_t *)v)[0] = (int8_t)i;
      return true;
    case K_INT16:
      if (!cy_parse_int64(s, len, &i) || i < INT16_MIN || i > INT16_MAX) return false;
      ((int16_t *)v)[0] = (int16_t)i;
      return true;
    case K_INT32:
      if (!cy_parse_int64(s, len, &i) || i < INT32_MIN || i > INT32_MAX) return false;
      ((int32_t *)v)[0] = (int32_t)i;
      return true;
    case K_INT64:
      if (!cy_parse_int64(s, len, &i)) return false;
      ((int64_t *)v)[0] = i;
      return true;
    case K_UINT8:
      if (!cy_parse_uint64(s, len, &u) || u > UINT8_MAX) return false;
      v[0] = (uint8_t)u;
      return true;
    case K_UINT16:
      if (!cy_parse_uint64(s, len, &u) || u > UINT16_MAX) return false;
      ((uint16_t *)v)[0] = (uint16_t)u;
      return true;
    case K_UINT32:
      if (!cy_parse_uint64(s, len, &u) || u > UINT32_MAX) return false;
      ((uint32_t *)v)[0] = (uint32_t)u;
      return true;
    case K_UINT64:
      if (!cy_parse_uint64(s, len, &u)) return false;
      ((uint64_t *)v)[0] = u;
      return true;
    case K_FLOAT32:
      return cy_parse_float(s, len, (float *)v);
    case K_FLOAT64:
      if (!cy_parse_double(s, len, &dv)) return false;
      ((double *)v)[0] = dv;
      return true;
    case K_DATE32:
      return cy_parse_date32(s, len, &((int32_t *)v)[0]);
    case K_TIMESTAMP: {
      /* A zone on a zone-less inferred column is a misfit: the column widens to UTC. */
      bool zone;
      if (!cy_parse_timestamp(s, len, col->type.unit, &((int64_t *)v)[0], &zone)) return false;
      return !(zone && col->inferred && col->type.timezone[0] == 0);
    }
    case K_DECIMAL: {
      uint64_t lo;
      int64_t hi;
      if (!cy_parse_decimal128(s, len, col->type.precision, col->type.scale, &lo, &hi))
        return false;
      memcpy(v, &lo, 8);
      memcpy(v + 8, &hi, 8);
      return true;
    }
    default:
      return false; /* strings are stored by the caller */
  }
}

/* A growable scratch buffer for unescaped quoted fields. */
typedef struct scratch {
  char *buf;
  int64_t cap;
} scratch;

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Binary is written as text with \xHH for bytes that are not printable (as DuckDB shows
 * blobs); decode those in place. A backslash not starting \xHH is itself. */
static int64_t decode_blob(char *s, int64_t n) {
  int64_t out = 0;
  for (int64_t i = 0; i < n; i++) {
    int hi, lo;
    if (s[i] == '\\' && i + 3 < n && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
        (hi = hex_value(s[i + 2])) >= 0 && (lo = hex_value(s[i + 3])) >= 0) {
      s[out++] = (char)(hi * 16 + lo);
      i += 3;
    } else {
      s[out++] = s[i];
    }
  }
  return out;
}

/* The general path: any field, any kind. Returns the position after the field or NULL. */
static const char *parse_value_slow(const csv_parser *ps, csv_chunk *ck, int32_t c,
                                    int64_t row, const char *p, scratch *tmp, cy_error *err) {
  const csv_text *t = &ps->text;
  const csv_column *col = &ps->columns[c];
  csv_field f;
  const char *q = p;
  if (csv_next_field(t, &ps->dialect, &q, &f, ps, c, err) != CY_OK) return NULL;
  if (csv_is_null(&ps->dialect, &f))
    return set_null(ps, ck, c, row, err) == CY_OK ? q : NULL;
  const char *s = f.ptr;
  int64_t n = f.len;
  bool blob_escapes = col->kind == K_BINARY && memchr(s, '\\', (size_t)n) != NULL;
  if (f.escaped || blob_escapes) {
    if (f.len > tmp->cap) {
      char *grown = realloc(tmp->buf, (size_t)f.len);
      if (grown == NULL) {
        cy_error_set(err, "out of memory parsing CSV");
        return NULL;
      }
      tmp->buf = grown;
      tmp->cap = f.len;
    }
    if (f.escaped)
      n = csv_unescape(&ps->dialect, &f, tmp->buf);
    else
      memcpy(tmp->buf, s, (size_t)n);
    s = tmp->buf;
    if (blob_escapes) n = decode_blob(tmp->buf, n);
  }
  if (is_var(col->kind)) {
    if (col->kind == K_STRING && !utf8_valid(s, n)) {
      csv_error_at(t, p, ps, c, err, "invalid UTF-8 in a string (read it as binary instead)");
      return NULL;
    }
    return append_bytes(ps, ck, c, row, s, n, err) == CY_OK ? q : NULL;
  }
  if (store_text(col, value_slot(ps, ck, c, row), s, n)) return q;
  if (col->inferred) {
    /* Remember the type this value needs; the reader widens the column and parses again. */
    cy_text_kind seen = ck->widen[c] ? ck->widen[c] : col->text;
    cy_text_kind need = cy_text_kind_join(seen, cy_text_classify(s, (size_t)n));
    /* If joining changes nothing, the kind's parser and the classifier disagree about this
     * text; strings hold anything, so fall back to them rather than drop the value. */
    ck->widen[c] = need == col->text ? CY_TEXT_STRING : need;
    ck->needs_widen = true;
    return set_null(ps, ck, c, row, err) == CY_OK ? q : NULL;
  }
  char tn[96];
  csv_error_at(t, p, ps, c, err, "expected %s but found \"%.*s\"%s",
               cy_type_name(&col->type, tn, sizeof tn), (int)(n > 60 ? 60 : n), s,
               n > 60 ? "..." : "");
  return NULL;
}

/* Bytes of w (little-endian, first character lowest) that are not ASCII digits: a byte is
 * a digit when its high nibble is 3 and adding 6 keeps it so. Carries only run towards
 * later characters, so the lowest flagged byte is exact. */
static inline uint64_t non_digits(uint64_t w) {
  const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, threes = 0x3030303030303030ull;
  return ((w & hi) ^ threes) | (((w + 0x0606060606060606ull) & hi) ^ threes);
}

/* The value of the first n (1..8) digit characters in w. */
static inline uint64_t digits_value(uint64_t w, int n) {
  w -= 0x3030303030303030ull;
  w <<= (8 - n) * 8; /* drop the bytes after the digits; zeros become leading zeros */
  w = (w * 10 + (w >> 8)) & 0x00FF00FF00FF00FFull;
  w = (w * 100 + (w >> 16)) & 0x0000FFFF0000FFFFull;
  return (w * 10000 + (w >> 32)) & 0xFFFFFFFFull;
}

static const uint64_t pow10_u64[20] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull,
                                       10000000000000000000ull};

static const double pow10_f64[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Two ASCII digits at p, or -1. */
static inline int two_digits(const char *p) {
  unsigned a = (unsigned)(p[0] - '0'), b = (unsigned)(p[1] - '0');
  return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* YYYY-MM-DD exactly, as days since the epoch; false for anything else. */
static inline bool fast_date(const char *p, int32_t *out) {
  static const int8_t dim[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (p[4] != '-' || p[7] != '-') return false;
  int hi = two_digits(p), lo = two_digits(p + 2), m = two_digits(p + 5),
      d = two_digits(p + 8);
  if ((hi | lo | m | d) < 0 || m < 1 || m > 12 || d < 1 || d > dim[m]) return false;
  int64_t y = hi * 100 + lo;
  if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  *out = (int32_t)cy_date_from_ymd(y, m, d);
  return true;
}

/* Parse the digits at p eight at a time (the text is padded, so reading past the end is
 * safe); returns how many there were, at most 24. */
static inline int parse_digits(const char *p, uint64_t *value) {
  uint64_t v = 0;
  int total = 0;
  for (int round = 0; round < 3; round++) {
    uint64_t w;
    memcpy(&w, p + total, 8);
    uint64_t m = non_digits(w);
    int n = m ? __builtin_ctzll(m) >> 3 : 8;
    if (n == 0) break;
    v = v * pow10_u64[n] + digits_value(w, n);
    total += n;
    if (n < 8) break;
  }
  *value = v;
  return total;
}

/* Parse one value at p for column c, taking a fast path when the shape allows. */
static inline const char *parse_value(const csv_parser *ps, csv_chunk *ck, int32_t c,
                                      int64_t row, const char *p, scratch *tmp,
                                      cy_error *err) {
  const csv_column *col = &ps->columns[c];
  const csv_dialect *d = &ps->dialect;
  if (col->fast) {
    switch (col->kind) {
      case K_INT64: {
        const char *q = p;
        bool neg = *q == '-';
        q += neg;
        uint64_t v;
        int nd = parse_digits(q, &v);
        q += nd;
        /* Up to 18 digits cannot overflow; the terminator must end the field. */
        if (nd >= 1 && nd <= 18 && d->stop[(uint8_t)*q] &&
            (*q != '\0' || q >= ps->text.end)) {
          *(int64_t *)value_slot(ps, ck, c, row) = neg ? -(int64_t)v : (int64_t)v;
          return q;
        }
        break;
      }
      case K_FLOAT64: {
        /* Decimal notation with at most 19 digits in all: one exact divide (the significand
         * and the power of ten are both exact doubles). Exponents and the rest go slow. */
        const char *q = p;
        bool neg = *q == '-';
        q += neg;
        uint64_t ip, fp = 0;
        int ni = parse_digits(q, &ip), nf = 0;
        q += ni;
        if (*q == '.') {
          nf = parse_digits(q + 1, &fp);
          q += 1 + nf;
        }
        if (ni + nf >= 1 && ni + nf <= 19 && d->stop[(uint8_t)*q] &&
            (*q != '\0' || q >= ps->text.end)) {
          uint64_t m = ip * pow10_u64[nf] + fp;
          if (m <= (1ull << 53)) {
            double v = (double)m / pow10_f64[nf];
            *(double *)value_slot(ps, ck, c, row) = neg ? -v : v;
            return q;
          }
        }
        break;
      }
      case K_DATE32: {
        int32_t v;
        if (d->stop[(uint8_t)p[10]] && (p[10] != '\0' || p + 10 >= ps->text.end) &&
            fast_date(p, &v)) {
          *(int32_t *)value_slot(ps, ck, c, row) = v;
          return p + 10;
        }
        break;
      }
      case K_STRING:
      case K_BINARY: {
        if (*p == d->quote) break;
        const char *q = p;
        while (!d->stop[(uint8_t)*q]) q++;
        if (*q == '\0' && q < ps->text.end) break;
        int64_t n = q - p;
        if (n < 64 ? (d->null_lengths >> n) & 1 : d->long_null) break; /* maybe a null */
        if (col->kind == K_STRING ? !utf8_valid(p, n) : memchr(p, '\\', (size_t)n) != NULL)
          break; /* invalid text is an error; escaped blob bytes need decoding */
        return append_bytes(ps, ck, c, row, p, n, err) == CY_OK ? q : NULL;
      }
      default:
        break;
    }
  }
  return parse_value_slow(ps, ck, c, row, p, tmp, err);
}

cy_status csv_parse_chunk(const csv_parser *ps, csv_chunk *ck, cy_error *err) {
  const csv_text *t = &ps->text;
  const csv_dialect *d = &ps->dialect;
  int32_t nc = ps->num_columns;
  CY_RETURN_NOT_OK(chunk_init(ps, ck, err));
  scratch tmp = {NULL, 0};
  cy_status st = CY_OK;
  const char *p = ck->start;
  int64_t row = 0;
  while (p < ck->stop) {
    /* Blank lines separate nothing; but in a one-column file an empty line is an empty
     * field (a null), which is how such a column's nulls are written. */
    if (nc != 1 && csv_blank_line(p)) {
      p += (*p == '\r' && p[1] == '\n') ? 2 : 1;
      continue;
    }
    if (row == ck->capacity) {
      /* Lone CRs ended records that the newline count did not see; the caller parses
       * this block again with a bound that counts them. */
      ck->overflow = true;
      cy_error_set(err, "%s: more records than lines in a chunk", t->name);
      st = CY_ERANGE;
      break;
    }
    const char *rec = p;
    for (int32_t c = 0; c < nc; c++) {
      p = parse_value(ps, ck, c, row, p, &tmp, err);
      if (p == NULL) {
        st = CY_EINVAL;
        break;
      }
      if (c + 1 < nc) {
        if (*p != d->delim || p >= t->end) {
          csv_error_at(t, rec, ps, -1, err, "expected %d fields but found %d", (int)nc,
                       (int)c + 1);
          st = CY_EINVAL;
          break;
        }
        p++;
      }
    }
    if (st != CY_OK) break;
    if (p < t->end) {
      bool cr = *p == '\r';
      p += cr;
      if (*p == '\n') {
        p++;
      } else if (!cr) {
        csv_error_at(t, rec, ps, -1, err, "expected %d fields but found more", (int)nc);
        st = CY_EINVAL;
        break;
      }
    }
    row++;
  }
  free(tmp.buf);
  ck->rows = row;
  ck->ended = p;
  ck->done = st == CY_OK;
  return st;
}

/* ---- appending a block ------------------------------------------------------------ */

/* Chunks may hold fewer rows than their bound (blank lines, newlines inside quotes): move
 * each chunk's rows down so they follow the previous chunk's. */
static void compact_rows(csv_parser *ps, csv_chunk *chunks, int32_t n) {
  int64_t next = ps->rows;
  for (int32_t k = 0; k < n; k++) {
    csv_chunk *ck = &chunks[k];
    if (ck->row_base != next && ck->rows > 0) {
      for (int32_t c = 0; c < ps->num_columns; c++) {
        const csv_column *col = &ps->columns[c];
        csv_output *o = &ps->outputs[c];
        if (col->kind == K_BOOL) continue;
        int64_t w = is_var(col->kind) ? (o->large ? 8 : 4) : col->width;
        int64_t skip = is_var(col->kind) ? 1 : 0; /* offsets: entry 0 is the start */
        memmove(o->values->data + (next + skip) * w, o->values->data + (ck->row_base + skip) * w,
                (size_t)(ck->rows * w));
      }
    }
    ck->row_base = next;
    next += ck->rows;
  }
}

typedef struct append_job {
  csv_parser *ps;
  csv_chunk *chunks;
  int64_t *byte_base; /* per chunk and column: first data byte in the output */
} append_job;

/* Shift one chunk's offsets of one var-width column and copy its bytes. */
static cy_status copy_strings(void *ctx, int64_t task, cy_error *err) {
  append_job *j = ctx;
  int32_t nc = j->ps->num_columns;
  int32_t k = (int32_t)(task / nc), c = (int32_t)(task % nc);
  if (!is_var(j->ps->columns[c].kind)) return CY_OK;
  const csv_chunk *ck = &j->chunks[k];
  const csv_part *part = &ck->parts[c];
  csv_output *o = &j->ps->outputs[c];
  int64_t bb = j->byte_base[task];
  if (bb != 0) {
    if (o->large) {
      int64_t *off = (int64_t *)o->values->data + ck->row_base + 1;
      for (int64_t i = 0; i < ck->rows; i++) off[i] += bb;
    } else {
      int32_t *off = (int32_t *)o->values->data + ck->row_base + 1;
      for (int64_t i = 0; i < ck->rows; i++) off[i] += (int32_t)bb;
    }
  }
  if (part->data_len > 0)
    memcpy(o->data->data + bb, part->data->data, (size_t)part->data_len);
  return CY_OK;
}

/* Pack per-row bytes (validity or bool values) of the chunks into a growing bitmap; a
 * chunk without bytes counts as all ones. A new validity bitmap starts all valid. */
static cy_status pack_bits(csv_parser *ps, csv_chunk *chunks, int32_t n, int32_t c,
                           bool bools, int64_t total, cy_error *err) {
  csv_output *o = &ps->outputs[c];
  cy_buffer **bitmap = bools ? &o->values : &o->validity;
  bool any = bools || *bitmap != NULL;
  for (int32_t k = 0; k < n && !any; k++) any = chunks[k].parts[c].valid != NULL;
  if (!any) return CY_OK;
  bool fresh = *bitmap == NULL;
  CY_RETURN_NOT_OK(ensure(bitmap, cy_bitmap_bytes(total), cy_bitmap_bytes(ps->expected_rows), err));
  uint8_t *bits = (*bitmap)->data;
  if (fresh && !bools) cy_bitmap_fill(bits, 0, ps->rows, true);
  for (int32_t k = 0; k < n; k++) {
    const csv_part *part = &chunks[k].parts[c];
    const cy_buffer *src = bools ? part->bools : part->valid;
    int64_t base = chunks[k].row_base, rows = chunks[k].rows;
    if (src == NULL) {
      cy_bitmap_fill(bits, base, rows, true);
      continue;
    }
    for (int64_t i = 0; i < rows; i++) cy_bit_set_to(bits, base + i, src->data[i] != 0);
  }
  return CY_OK;
}

cy_status csv_outputs_append(csv_parser *ps, csv_chunk *chunks, int32_t n, cy_error *err) {
  int32_t nc = ps->num_columns;
  compact_rows(ps, chunks, n);
  int64_t total = ps->rows;
  for (int32_t k = 0; k < n; k++) total += chunks[k].rows;
  append_job j = {ps, chunks, calloc((size_t)n * (nc > 0 ? (size_t)nc : 1), sizeof(int64_t))};
  if (j.byte_base == NULL) {
    cy_error_set(err, "out of memory appending CSV rows");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  bool any_var = false;
  for (int32_t c = 0; st == CY_OK && c < nc; c++) {
    csv_output *o = &ps->outputs[c];
    if (!is_var(ps->columns[c].kind)) continue;
    any_var = true;
    int64_t bytes = o->data_len;
    for (int32_t k = 0; k < n; k++) {
      j.byte_base[(int64_t)k * nc + c] = bytes;
      bytes += chunks[k].parts[c].data_len;
    }
    st = ensure(&o->data, bytes, 0, err);
    if (st == CY_OK) o->data_len = bytes;
  }
  if (st == CY_OK && any_var)
    st = cy_parallel_for_n((int64_t)n * nc, ps->threads, copy_strings, &j, err);
  for (int32_t c = 0; st == CY_OK && c < nc; c++) {
    st = pack_bits(ps, chunks, n, c, false, total, err);
    if (st == CY_OK && ps->columns[c].kind == K_BOOL)
      st = pack_bits(ps, chunks, n, c, true, total, err);
  }
  free(j.byte_base);
  if (st == CY_OK) ps->rows = total;
  return st;
}

cy_status csv_outputs_finish(csv_parser *ps, cy_table **out, cy_error *err) {
  int32_t nc = ps->num_columns;
  size_t ncs = nc > 0 ? (size_t)nc : 1;
  cy_column **cols = calloc(ncs, sizeof(cy_column *));
  const char **names = calloc(ncs, sizeof(char *));
  cy_status st = CY_OK;
  if (cols == NULL || names == NULL) {
    cy_error_set(err, "out of memory making CSV columns");
    st = CY_ENOMEM;
  }
  /* An input with no rows never made outputs. */
  csv_chunk none = {0};
  if (st == CY_OK && ps->outputs == NULL) st = csv_outputs_reserve(ps, &none, 0, err);
  int64_t rows = ps->rows;
  for (int32_t c = 0; st == CY_OK && c < nc; c++) {
    const csv_column *col = &ps->columns[c];
    csv_output *o = &ps->outputs[c];
    cy_type type = col->type;
    if (col->kind == K_BOOL && o->values == NULL) st = ensure(&o->values, 0, 0, err);
    if (st != CY_OK) break;
    if (col->kind == K_BOOL) {
      o->values->size = cy_bitmap_bytes(rows);
    } else if (is_var(col->kind)) {
      o->values->size = (rows + 1) * (o->large ? 8 : 4);
      if (o->large) type.id = col->kind == K_STRING ? CY_LARGE_UTF8 : CY_LARGE_BINARY;
      if (o->data == NULL) st = ensure(&o->data, 0, 0, err);
      if (st != CY_OK) break;
      o->data->size = o->data_len;
    } else {
      o->values->size = rows * col->width;
    }
    if (o->validity) o->validity->size = cy_bitmap_bytes(rows);
    /* Give back what the estimate or the growth reserved beyond the data. */
    cy_buffer *bufs[] = {o->validity, o->values, o->data};
    for (int i = 0; i < 3 && st == CY_OK; i++)
      if (bufs[i]) st = cy_buffer_shrink_to_fit(bufs[i], err);
    if (st != CY_OK) break;
    st = cy_column_make(type, rows, 0, -1, o->validity, o->values, o->data, &cols[c], err);
    o->validity = o->values = o->data = NULL; /* taken by the column, even on failure */
    names[c] = col->name;
  }
  if (st == CY_OK) st = cy_table_make(nc, names, cols, out, err);
  for (int32_t c = 0; cols && c < nc; c++) cy_column_release(cols[c]);
  free(cols);
  free(names);
  csv_outputs_reset(ps);
  return st;
}
