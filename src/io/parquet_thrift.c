/*
 * parquet_thrift.c - the Thrift compact protocol decoder and encoder (see
 * parquet_thrift.h for the wire format).
 *
 * Every decoding function checks the reader's sticky `failed` flag first and returns a
 * zero value once anything went wrong, so callers can decode a whole struct and check
 * once. Bounds are checked on every byte read.
 */
#include "io/parquet_thrift.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- decoding ------------------------------------------------------------------------ */

void pqt_reader_init(pqt_reader *r, const void *data, int64_t len) {
  memset(r, 0, sizeof *r);
  r->start = r->p = data;
  r->end = r->p + (len > 0 ? len : 0);
}

void pqt_fail(pqt_reader *r, const char *fmt, ...) {
  if (r->failed) return;
  r->failed = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->what, sizeof r->what, fmt, ap);
  va_end(ap);
  r->p = r->end; /* nothing more is read */
}

cy_status pqt_reader_status(const pqt_reader *r, const char *context, cy_error *err) {
  if (!r->failed) return CY_OK;
  cy_error_set(err, "%s: %s", context, r->what);
  return CY_EINVAL;
}

static inline bool need(pqt_reader *r, int64_t n) {
  if (r->failed) return false;
  if (n < 0 || r->end - r->p < n) {
    pqt_fail(r, "truncated Thrift data at byte %lld (need %lld more bytes)",
             (long long)(r->p - r->start), (long long)n);
    return false;
  }
  return true;
}

uint64_t pqt_read_uvarint(pqt_reader *r) {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (!need(r, 1)) return 0;
    uint8_t b = *r->p++;
    if (shift == 63 && b > 1) break;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  pqt_fail(r, "varint too long at byte %lld", (long long)(r->p - r->start));
  return 0;
}

int64_t pqt_read_zigzag(pqt_reader *r) {
  uint64_t u = pqt_read_uvarint(r);
  return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

int32_t pqt_read_i32(pqt_reader *r) {
  int64_t v = pqt_read_zigzag(r);
  if (v < INT32_MIN || v > INT32_MAX) {
    pqt_fail(r, "i32 value %lld out of range at byte %lld", (long long)v,
             (long long)(r->p - r->start));
    return 0;
  }
  return (int32_t)v;
}

int8_t pqt_read_byte(pqt_reader *r) {
  if (!need(r, 1)) return 0;
  return (int8_t)*r->p++;
}

double pqt_read_double(pqt_reader *r) {
  if (!need(r, 8)) return 0;
  uint64_t u = 0;
  for (int i = 7; i >= 0; i--) u = (u << 8) | r->p[i];
  r->p += 8;
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

const uint8_t *pqt_read_binary(pqt_reader *r, int64_t *len) {
  *len = 0;
  uint64_t n = pqt_read_uvarint(r);
  if (r->failed) return NULL;
  if (n > (uint64_t)(r->end - r->p)) {
    pqt_fail(r, "binary of %llu bytes at byte %lld runs past the end (%lld bytes left)",
             (unsigned long long)n, (long long)(r->p - r->start), (long long)(r->end - r->p));
    return NULL;
  }
  const uint8_t *s = r->p;
  r->p += n;
  *len = (int64_t)n;
  return s;
}

static void push(pqt_reader *r) {
  if (r->failed) return;
  if (r->depth >= PQT_MAX_DEPTH) {
    pqt_fail(r, "Thrift nesting deeper than %d at byte %lld", PQT_MAX_DEPTH,
             (long long)(r->p - r->start));
    return;
  }
  r->depth++;
  r->last_id[r->depth] = 0;
}

static void pop(pqt_reader *r) {
  if (r->depth > 0) r->depth--;
}

void pqt_struct_begin(pqt_reader *r) { push(r); }
void pqt_struct_end(pqt_reader *r) { pop(r); }

void pqt_field_begin(pqt_reader *r, pqt_type *type, int16_t *id) {
  *type = PQT_STOP;
  *id = 0;
  if (!need(r, 1)) return;
  uint8_t b = *r->p++;
  int t = b & 0x0f;
  if (t == PQT_STOP) return;
  int delta = b >> 4;
  int64_t fid;
  if (delta) {
    fid = (int64_t)r->last_id[r->depth] + delta;
  } else {
    fid = pqt_read_zigzag(r);
  }
  if (r->failed) return;
  if (t > PQT_STRUCT || fid < INT16_MIN || fid > INT16_MAX) {
    pqt_fail(r, "bad field header (type %d, id %lld) at byte %lld", t, (long long)fid,
             (long long)(r->p - r->start - 1));
    return;
  }
  r->last_id[r->depth] = (int16_t)fid;
  *type = (pqt_type)t;
  *id = (int16_t)fid;
}

void pqt_list_begin(pqt_reader *r, pqt_type *elem_type, int64_t *count) {
  *elem_type = PQT_STOP;
  *count = 0;
  if (!need(r, 1)) return;
  uint8_t b = *r->p++;
  uint64_t n = b >> 4;
  if (n == 15) n = pqt_read_uvarint(r);
  int t = b & 0x0f;
  if (r->failed) return;
  if (t == PQT_STOP || t > PQT_STRUCT) {
    pqt_fail(r, "bad list element type %d at byte %lld", t, (long long)(r->p - r->start));
    return;
  }
  /* Every element takes at least one byte (a bool one byte, an empty struct its STOP), so
   * a count beyond the bytes left is a lie whatever the element type. */
  if (n > (uint64_t)(r->end - r->p)) {
    pqt_fail(r, "list of %llu elements at byte %lld cannot fit in the %lld bytes left",
             (unsigned long long)n, (long long)(r->p - r->start), (long long)(r->end - r->p));
    return;
  }
  push(r);
  *elem_type = (pqt_type)t;
  *count = (int64_t)n;
}

void pqt_list_end(pqt_reader *r) { pop(r); }

bool pqt_read_bool_elem(pqt_reader *r) {
  if (!need(r, 1)) return false;
  return *r->p++ == 1;
}

/* Skip one value; in_container: bools take a byte (as list/map elements do). */
static void skip_value(pqt_reader *r, int type, bool in_container);

static void skip_struct(pqt_reader *r) {
  pqt_struct_begin(r);
  for (;;) {
    pqt_type t;
    int16_t id;
    pqt_field_begin(r, &t, &id);
    if (t == PQT_STOP) break;
    skip_value(r, t, false);
  }
  pqt_struct_end(r);
}

static void skip_value(pqt_reader *r, int type, bool in_container) {
  if (r->failed) return;
  switch (type) {
    case PQT_BOOL_TRUE:
    case PQT_BOOL_FALSE:
      if (in_container && need(r, 1)) r->p++;
      return;
    case PQT_BYTE:
      if (need(r, 1)) r->p++;
      return;
    case PQT_I16:
    case PQT_I32:
    case PQT_I64:
      (void)pqt_read_uvarint(r);
      return;
    case PQT_DOUBLE:
      if (need(r, 8)) r->p += 8;
      return;
    case PQT_BINARY: {
      int64_t n;
      (void)pqt_read_binary(r, &n);
      return;
    }
    case PQT_LIST:
    case PQT_SET: {
      pqt_type et;
      int64_t n;
      pqt_list_begin(r, &et, &n);
      for (int64_t i = 0; i < n && !r->failed; i++) skip_value(r, et, true);
      pqt_list_end(r);
      return;
    }
    case PQT_MAP: {
      uint64_t n = pqt_read_uvarint(r);
      if (r->failed || n == 0) return;
      if (n > (uint64_t)(r->end - r->p) || !need(r, 1)) {
        pqt_fail(r, "map of %llu entries cannot fit in the bytes left", (unsigned long long)n);
        return;
      }
      uint8_t kv = *r->p++;
      push(r);
      for (uint64_t i = 0; i < n && !r->failed; i++) {
        skip_value(r, kv >> 4, true);
        skip_value(r, kv & 0x0f, true);
      }
      pop(r);
      return;
    }
    case PQT_STRUCT:
      skip_struct(r);
      return;
    default:
      pqt_fail(r, "unknown Thrift type %d at byte %lld", type, (long long)(r->p - r->start));
  }
}

void pqt_skip(pqt_reader *r, pqt_type type) { skip_value(r, type, false); }

static bool is_int_type(pqt_type t) {
  return t == PQT_BYTE || t == PQT_I16 || t == PQT_I32 || t == PQT_I64;
}

bool pqt_expect(pqt_reader *r, pqt_type type, pqt_type want, const char *field) {
  if (r->failed) return false;
  bool ok;
  if (want == PQT_BOOL_TRUE || want == PQT_BOOL_FALSE)
    ok = type == PQT_BOOL_TRUE || type == PQT_BOOL_FALSE;
  else if (want == PQT_I16 || want == PQT_I32 || want == PQT_I64)
    ok = type == PQT_I16 || type == PQT_I32 || type == PQT_I64;
  else if (want == PQT_BYTE)
    ok = is_int_type(type);
  else if (want == PQT_LIST)
    ok = type == PQT_LIST || type == PQT_SET;
  else
    ok = type == want;
  if (!ok)
    pqt_fail(r, "field %s has Thrift type %d, expected %d (at byte %lld)", field, (int)type,
             (int)want, (long long)(r->p - r->start));
  return ok;
}

/* ---- encoding ------------------------------------------------------------------------ */

void pqt_writer_init(pqt_writer *w) { memset(w, 0, sizeof *w); }

void pqt_writer_reset(pqt_writer *w) {
  free(w->data);
  memset(w, 0, sizeof *w);
}

cy_status pqt_writer_status(const pqt_writer *w, const char *context, cy_error *err) {
  if (!w->failed) return CY_OK;
  if (w->depth > PQT_MAX_DEPTH) {
    cy_error_set(err, "%s: Thrift nesting too deep", context);
    return CY_EINVAL;
  }
  cy_error_set(err, "%s: out of memory encoding Thrift metadata", context);
  return CY_ENOMEM;
}

static bool wreserve(pqt_writer *w, int64_t n) {
  if (w->failed) return false;
  if (w->cap - w->len >= n) return true;
  int64_t cap = w->cap ? w->cap : 256;
  while (cap - w->len < n) cap *= 2;
  uint8_t *d = realloc(w->data, (size_t)cap);
  if (!d) {
    w->failed = true;
    return false;
  }
  w->data = d;
  w->cap = cap;
  return true;
}

void pqt_write_bytes(pqt_writer *w, const void *p, int64_t n) {
  if (n <= 0 || !wreserve(w, n)) return;
  memcpy(w->data + w->len, p, (size_t)n);
  w->len += n;
}

void pqt_write_uvarint(pqt_writer *w, uint64_t v) {
  if (!wreserve(w, 10)) return;
  while (v >= 0x80) {
    w->data[w->len++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  w->data[w->len++] = (uint8_t)v;
}

void pqt_write_zigzag(pqt_writer *w, int64_t v) {
  pqt_write_uvarint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void pqt_write_binary(pqt_writer *w, const void *p, int64_t n) {
  pqt_write_uvarint(w, (uint64_t)(n > 0 ? n : 0));
  pqt_write_bytes(w, p, n);
}

void pqt_write_string(pqt_writer *w, const char *s) {
  pqt_write_binary(w, s, s ? (int64_t)strlen(s) : 0);
}

void pqt_write_double(pqt_writer *w, double v) {
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  uint8_t le[8];
  for (int i = 0; i < 8; i++) le[i] = (uint8_t)(u >> (8 * i));
  pqt_write_bytes(w, le, 8);
}

void pqt_write_struct_begin(pqt_writer *w) {
  if (w->depth >= PQT_MAX_DEPTH) {
    w->failed = true;
    w->depth = PQT_MAX_DEPTH + 1;
    return;
  }
  w->depth++;
  w->last_id[w->depth] = 0;
}

void pqt_write_struct_end(pqt_writer *w) {
  uint8_t stop = 0;
  pqt_write_bytes(w, &stop, 1);
  if (w->depth > 0 && w->depth <= PQT_MAX_DEPTH) w->depth--;
}

static void field_header(pqt_writer *w, int16_t id, int type) {
  int16_t last = w->last_id[w->depth];
  if (id > last && id - last <= 15) {
    uint8_t b = (uint8_t)(((id - last) << 4) | type);
    pqt_write_bytes(w, &b, 1);
  } else {
    uint8_t b = (uint8_t)type;
    pqt_write_bytes(w, &b, 1);
    pqt_write_zigzag(w, id);
  }
  w->last_id[w->depth] = id;
}

void pqt_write_field_header(pqt_writer *w, int16_t id, pqt_type type) {
  field_header(w, id, type);
}

void pqt_write_field_bool(pqt_writer *w, int16_t id, bool v) {
  field_header(w, id, v ? PQT_BOOL_TRUE : PQT_BOOL_FALSE);
}

void pqt_write_field_i32(pqt_writer *w, int16_t id, int32_t v) {
  field_header(w, id, PQT_I32);
  pqt_write_zigzag(w, v);
}

void pqt_write_field_i64(pqt_writer *w, int16_t id, int64_t v) {
  field_header(w, id, PQT_I64);
  pqt_write_zigzag(w, v);
}

void pqt_write_field_binary(pqt_writer *w, int16_t id, const void *p, int64_t n) {
  field_header(w, id, PQT_BINARY);
  pqt_write_binary(w, p, n);
}

void pqt_write_field_string(pqt_writer *w, int16_t id, const char *s) {
  field_header(w, id, PQT_BINARY);
  pqt_write_string(w, s);
}

void pqt_write_field_struct_begin(pqt_writer *w, int16_t id) {
  field_header(w, id, PQT_STRUCT);
  pqt_write_struct_begin(w);
}

void pqt_write_list_header(pqt_writer *w, pqt_type elem_type, int64_t count) {
  if (count < 15) {
    uint8_t b = (uint8_t)((count << 4) | elem_type);
    pqt_write_bytes(w, &b, 1);
  } else {
    uint8_t b = (uint8_t)(0xf0 | elem_type);
    pqt_write_bytes(w, &b, 1);
    pqt_write_uvarint(w, (uint64_t)count);
  }
}

void pqt_write_field_list_begin(pqt_writer *w, int16_t id, pqt_type elem_type, int64_t count) {
  field_header(w, id, PQT_LIST);
  pqt_write_list_header(w, elem_type, count);
}
