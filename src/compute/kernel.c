/*
 * kernel.c - pieces the element-wise column kernels share: type families, validity
 * bitmaps brought to offset 0 and combined, bool result columns, scalar broadcasting and
 * the exact comparison of instants in different units.
 */
#include "compute/kernel.h"

#include "core/text_format.h"
#include "core/text_parse.h"

ck_family ck_family_of(cy_type_id id) {
  switch (id) {
    case CY_BOOL: return CK_FAM_BOOL;
    case CY_UTF8: case CY_LARGE_UTF8: return CK_FAM_STRING;
    case CY_BINARY: case CY_LARGE_BINARY: return CK_FAM_BINARY;
    case CY_DATE32: case CY_TIMESTAMP: return CK_FAM_TEMPORAL;
    default: return CK_FAM_NUMBER;
  }
}

const char *ck_type_str(const cy_type *type, ck_tname *buf) {
  return cy_type_name(type, buf->s, sizeof buf->s);
}

const uint8_t *ck_bits_at(const uint8_t *bits, int64_t offset, int64_t n, uint8_t **scratch) {
  *scratch = NULL;
  if (offset == 0) return bits;
  if ((offset & 7) == 0) return bits + (offset >> 3);
  *scratch = cy_alloc(cy_bitmap_bytes(n) > 0 ? cy_bitmap_bytes(n) : 1);
  if (*scratch == NULL) return NULL;
  cy_bitmap_copy(*scratch, 0, bits, offset, n);
  return *scratch;
}

void ck_free_scratch(uint8_t *scratch, int64_t n) {
  if (scratch) cy_free(scratch, cy_bitmap_bytes(n) > 0 ? cy_bitmap_bytes(n) : 1);
}

void ck_bits_and(uint8_t *dst, const uint8_t *src, int64_t offset, int64_t n) {
  int64_t full = n >> 3;
  if ((offset & 7) == 0) {
    const uint8_t *s = src + (offset >> 3);
    for (int64_t b = 0; b < full; b++) dst[b] &= s[b];
  } else {
    for (int64_t b = 0; b < full; b++) {
      int64_t at = offset + (b << 3);
      int sh = (int)(at & 7);
      unsigned v = (unsigned)(src[at >> 3] >> sh) | (unsigned)src[(at >> 3) + 1] << (8 - sh);
      dst[b] &= (uint8_t)v;
    }
  }
  for (int64_t i = full << 3; i < n; i++)
    if (!cy_bit_get(src, offset + i)) cy_bit_clear(dst, i);
}

cy_status ck_validity_and(const cy_column *a, const cy_column *b, cy_buffer **out,
                          cy_error *err) {
  *out = NULL;
  int64_t n = a->length;
  bool na = a->null_count > 0, nb = b != NULL && b->null_count > 0;
  if (!na && !nb) return CY_OK;
  const cy_column *first = na ? a : b;
  /* One side with nulls, already at offset 0: share its bitmap. */
  if (!(na && nb) && first->offset == 0) {
    *out = cy_buffer_retain(first->validity);
    return CY_OK;
  }
  CY_RETURN_NOT_OK(cy_buffer_alloc(cy_bitmap_bytes(n), out, err));
  cy_bitmap_copy((*out)->data, 0, first->validity->data, first->offset, n);
  if (na && nb) ck_bits_and((*out)->data, b->validity->data, b->offset, n);
  return CY_OK;
}

cy_status ck_make_bool(int64_t n, cy_buffer *values, cy_buffer *validity, cy_column **out,
                       cy_error *err) {
  if (validity) {
    uint8_t *v = values->data;
    const uint8_t *m = validity->data;
    for (int64_t b = 0; b < cy_bitmap_bytes(n); b++) v[b] &= m[b];
  }
  return cy_column_make(cy_type_make(CY_BOOL), n, 0, validity ? -1 : 0, validity, values,
                        NULL, out, err);
}

#define FILL(T, V)                                              \
  do {                                                          \
    T *p_ = (T *)values->data;                                  \
    for (int64_t i = 0; i < n; i++) p_[i] = (T)(V);             \
  } while (0)

/* n copies of a fixed-width, non-null scalar. */
static cy_status broadcast_fixed(const cy_scalar *s, int64_t n, cy_column **out,
                                 cy_error *err) {
  int bits = cy_type_bit_width(s->type.id);
  cy_buffer *values;
  int64_t bytes = bits == 1 ? cy_bitmap_bytes(n) : n * (bits / 8);
  CY_RETURN_NOT_OK(cy_buffer_alloc(bytes, &values, err));
  switch (s->type.id) {
    case CY_BOOL: cy_bitmap_fill(values->data, 0, n, s->v.b); break;
    case CY_INT8: FILL(int8_t, s->v.i); break;
    case CY_INT16: FILL(int16_t, s->v.i); break;
    case CY_INT32: case CY_DATE32: FILL(int32_t, s->v.i); break;
    case CY_INT64: case CY_TIMESTAMP: FILL(int64_t, s->v.i); break;
    case CY_UINT8: FILL(uint8_t, s->v.u); break;
    case CY_UINT16: FILL(uint16_t, s->v.u); break;
    case CY_UINT32: FILL(uint32_t, s->v.u); break;
    case CY_UINT64: FILL(uint64_t, s->v.u); break;
    case CY_FLOAT32: FILL(float, s->v.f); break;
    case CY_FLOAT64: FILL(double, s->v.f); break;
    default: { /* decimal128 */
      uint64_t *p = (uint64_t *)values->data;
      for (int64_t i = 0; i < n; i++) {
        p[2 * i] = s->v.d.lo;
        p[2 * i + 1] = (uint64_t)s->v.d.hi;
      }
    }
  }
  return cy_column_make(s->type, n, 0, 0, NULL, values, NULL, out, err);
}

#undef FILL

cy_status ck_broadcast(const cy_scalar *s, int64_t n, cy_column **out, cy_error *err) {
  if (!s->valid) return cy_column_nulls(s->type, n, out, err);
  if (!cy_type_is_var_width(s->type.id)) return broadcast_fixed(s, n, out, err);
  cy_builder b;
  CY_RETURN_NOT_OK(cy_builder_init(&b, s->type, n, err));
  cy_status st = cy_builder_reserve(&b, n, n * s->v.s.len, err);
  for (int64_t i = 0; st == CY_OK && i < n; i++)
    st = cy_builder_append_bytes(&b, s->v.s.data, s->v.s.len, err);
  if (st == CY_OK) st = cy_builder_finish(&b, out, err);
  cy_builder_reset(&b);
  return st;
}

int64_t ck_ticks_per_day(const cy_type *type) {
  if (type->id == CY_DATE32) return 1;
  static const int64_t per_day[] = {86400LL, 86400000LL, 86400000000LL, 86400000000000LL};
  return per_day[type->unit];
}

int ck_cmp_ticks(int64_t a, int64_t fa, int64_t b, int64_t fb) {
  if (fa == fb) return a < b ? -1 : a > b ? 1 : 0;
  if (fa > fb) return -ck_cmp_ticks(b, fb, a, fa);
  /* a is the coarser: compare it with b's whole coarse ticks, then b's remainder. */
  int64_t k = fb / fa;
  int64_t q = ck_floor_div(b, k);
  if (a != q) return a < q ? -1 : 1;
  return b - q * k > 0 ? -1 : 0;
}

double ck_decimal_to_double(uint64_t lo, int64_t hi, int32_t scale) {
  char text[CY_FORMAT_DECIMAL_MAX];
  int n = cy_format_decimal128(lo, hi, scale, text);
  double d = 0;
  cy_parse_double(text, (size_t)n, &d); /* the text is always a valid number */
  return d;
}

bool ck_parse_temporal(const char *s, int64_t n, const cy_type *type, cy_scalar *out) {
  if (type->id == CY_DATE32) {
    int32_t days;
    if (cy_parse_date32(s, (size_t)n, &days)) {
      *out = cy_scalar_null(cy_type_make(CY_DATE32));
      out->valid = true;
      out->v.i = days;
      return true;
    }
  }
  cy_type ts = type->id == CY_TIMESTAMP ? *type : cy_type_timestamp(CY_MICRO, NULL);
  int64_t v;
  if (!cy_parse_timestamp(s, (size_t)n, ts.unit, &v, NULL)) return false;
  *out = cy_scalar_null(ts);
  out->valid = true;
  out->v.i = v;
  return true;
}
