/*
 * parquet_encode.c - the encodings the Parquet writer uses: PLAIN, the RLE / bit-packed
 * hybrid (definition levels and dictionary indices), dictionary building, and min/max.
 *
 * PLAIN is the values' little-endian bytes (the writer only runs on little-endian hosts,
 * as the rest of cylon), booleans packed 8 to a byte LSB first, byte arrays each behind a
 * 4-byte length. The hybrid encoding alternates RLE runs (a ULEB128 header run << 1, then
 * the value in ceil(width / 8) bytes) and bit-packed runs (a header groups << 1 | 1, then
 * groups of 8 values packed LSB first); a run of 8 or more equal values is worth an RLE
 * run, anything else goes into bit-packed groups. Bit-packed runs are cut at 63 groups so
 * their header is one byte, as other writers do.
 *
 * A dictionary is built with an open-addressing hash table over the chunk's values, by
 * exact bits (floats by their bits, so -0.0 and 0.0 are two entries and NaNs are kept),
 * and abandoned as soon as its PLAIN size passes the caller's limit: the caller then
 * writes the chunk PLAIN, so the work lost is bounded by the limit, not the chunk.
 */
#include "io/parquet_encode.h"

#include <math.h>
#include <stdlib.h>

#include "compute/row.h"

/* ---- growable bytes ------------------------------------------------------------------ */

cy_status pqw_buf_reserve(pqw_buf *b, int64_t extra, cy_error *err) {
  if (b->len + extra <= b->cap) return CY_OK;
  int64_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) cap *= 2;
  uint8_t *grown = realloc(b->data, (size_t)cap);
  if (grown == NULL) {
    cy_error_set(err, "out of memory writing Parquet (%lld bytes)", (long long)cap);
    return CY_ENOMEM;
  }
  b->data = grown;
  b->cap = cap;
  return CY_OK;
}

void pqw_buf_reset(pqw_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

cy_status pqw_buf_append(pqw_buf *b, const void *p, int64_t n, cy_error *err) {
  CY_RETURN_NOT_OK(pqw_buf_reserve(b, n, err));
  pqw_put(b, p, n);
  return CY_OK;
}

/* ---- dense values -------------------------------------------------------------------- */

int pqw_kind_width(pqw_kind kind) {
  switch (kind) {
    case PQW_BOOL: return 1;
    case PQW_I32:
    case PQW_U32:
    case PQW_F32: return 4;
    case PQW_I64:
    case PQW_U64:
    case PQW_F64: return 8;
    case PQW_DEC16: return 16;
    default: return 0;
  }
}

pqw_values pqw_values_range(const pqw_values *v, int64_t start, int64_t count) {
  pqw_values r = *v;
  r.count = count;
  if (v->kind == PQW_BYTES)
    r.bytes = v->bytes + start;
  else
    r.fixed = (const uint8_t *)v->fixed + start * pqw_kind_width(v->kind);
  return r;
}

/* ---- PLAIN --------------------------------------------------------------------------- */

int64_t pqw_plain_size(const pqw_values *v) {
  if (v->kind == PQW_BOOL) return (v->count + 7) / 8;
  if (v->kind != PQW_BYTES) return v->count * pqw_kind_width(v->kind);
  int64_t n = 4 * v->count;
  for (int64_t i = 0; i < v->count; i++) n += v->bytes[i].len;
  return n;
}

static void plain_bools(pqw_buf *out, const uint8_t *v, int64_t n) {
  uint8_t *p = out->data + out->len;
  int64_t full = n / 8;
  for (int64_t g = 0; g < full; g++, v += 8) {
    p[g] = (uint8_t)(v[0] | v[1] << 1 | v[2] << 2 | v[3] << 3 | v[4] << 4 | v[5] << 5 |
                     v[6] << 6 | v[7] << 7);
  }
  if (n % 8) {
    uint8_t last = 0;
    for (int64_t i = 0; i < n % 8; i++) last |= (uint8_t)(v[i] << i);
    p[full] = last;
  }
  out->len += (n + 7) / 8;
}

cy_status pqw_plain_encode(pqw_buf *out, const pqw_values *v, cy_error *err) {
  int64_t size = pqw_plain_size(v);
  CY_RETURN_NOT_OK(pqw_buf_reserve(out, size, err));
  if (v->kind == PQW_BOOL) {
    plain_bools(out, v->fixed, v->count);
  } else if (v->kind != PQW_BYTES) {
    pqw_put(out, v->fixed, size);
  } else {
    for (int64_t i = 0; i < v->count; i++) {
      if (v->bytes[i].len > INT32_MAX) {
        cy_error_set(err, "a value of %lld bytes is too long for Parquet (at most 2 GiB)",
                     (long long)v->bytes[i].len);
        return CY_ERANGE;
      }
      pqw_put_u32le(out, (uint32_t)v->bytes[i].len);
      pqw_put(out, v->bytes[i].ptr, v->bytes[i].len);
    }
  }
  return CY_OK;
}

/* ---- RLE / bit-packed hybrid --------------------------------------------------------- */

#define MAX_LITERAL_GROUPS 63

int pqw_bit_width(uint64_t max_value) {
  int w = 0;
  while (max_value) {
    w++;
    max_value >>= 1;
  }
  return w;
}

/* Length of the run of values equal to values[i], looking at most `cap` values. */
static int64_t run_length(const uint32_t *values, int64_t i, int64_t n, int64_t cap) {
  int64_t j = i + 1, end = n - i > cap ? i + cap : n;
  while (j < end && values[j] == values[i]) j++;
  return j - i;
}

static void put_rle_run(pqw_buf *out, uint32_t value, int64_t count, int bit_width) {
  pqw_put_uvarint(out, (uint64_t)count << 1);
  for (int b = 0; b < (bit_width + 7) / 8; b++) out->data[out->len++] = (uint8_t)(value >> (8 * b));
}

/* Bit-pack groups * 8 values from values[i] (zeros past n). */
static void put_literal_run(pqw_buf *out, const uint32_t *values, int64_t i, int64_t n,
                            int64_t groups, int bit_width) {
  pqw_put_uvarint(out, (uint64_t)groups << 1 | 1);
  uint64_t acc = 0;
  int bits = 0;
  for (int64_t k = i; k < i + groups * 8; k++) {
    acc |= (uint64_t)(k < n ? values[k] : 0) << bits;
    bits += bit_width;
    while (bits >= 8) {
      out->data[out->len++] = (uint8_t)acc;
      acc >>= 8;
      bits -= 8;
    }
  }
  /* 8 values of any width fill whole bytes, so nothing is left in acc. */
}

cy_status pqw_rle_encode(pqw_buf *out, const uint32_t *values, int64_t n, int bit_width,
                         cy_error *err) {
  /* Worst case per 8 values: a bit-packed group (bit_width bytes) or an RLE run (a header
   * of up to 10 bytes and 4 value bytes); plus one literal header per 63 groups. */
  CY_RETURN_NOT_OK(pqw_buf_reserve(out, (n / 8 + 2) * (bit_width + 15) + 16, err));
  int64_t i = 0;
  while (i < n) {
    int64_t run = run_length(values, i, n, INT64_MAX);
    if (run >= 8) {
      put_rle_run(out, values[i], run, bit_width);
      i += run;
      continue;
    }
    int64_t start = i, groups = 0;
    do {
      i += 8;
      groups++;
    } while (i < n && groups < MAX_LITERAL_GROUPS && run_length(values, i, n, 8) < 8);
    put_literal_run(out, values, start, n, groups, bit_width);
  }
  return CY_OK;
}

cy_status pqw_def_levels_encode(pqw_buf *out, const uint8_t *validity, int64_t offset,
                                int64_t n, cy_error *err) {
  int64_t valid = validity ? cy_bitmap_count_set(validity, offset, n) : n;
  CY_RETURN_NOT_OK(pqw_buf_reserve(out, 4 + 16, err));
  int64_t at = out->len;
  out->len += 4;
  if (n == 0) {
    /* no levels at all */
  } else if (valid == n || valid == 0) {
    put_rle_run(out, valid == n ? 1 : 0, n, 1);
  } else {
    uint32_t *levels = malloc((size_t)n * sizeof(uint32_t));
    if (levels == NULL) {
      cy_error_set(err, "out of memory encoding definition levels");
      return CY_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) levels[i] = cy_bit_get(validity, offset + i);
    cy_status st = pqw_rle_encode(out, levels, n, 1, err);
    free(levels);
    CY_RETURN_NOT_OK(st);
  }
  uint32_t len = (uint32_t)(out->len - at - 4);
  uint8_t le[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
  memcpy(out->data + at, le, 4);
  return CY_OK;
}

/* ---- dictionaries -------------------------------------------------------------------- */

/* Grow a malloc'ed array to hold at least `need` elements of `each` bytes (doubling). */
static cy_status grow_array(void **p, int64_t *cap, int64_t need, size_t each, cy_error *err) {
  if (need <= *cap) return CY_OK;
  int64_t n = *cap ? *cap : 1024;
  while (n < need) n *= 2;
  void *grown = realloc(*p, (size_t)n * each);
  if (grown == NULL) {
    cy_error_set(err, "out of memory building a Parquet dictionary (%lld entries)", (long long)n);
    return CY_ENOMEM;
  }
  *p = grown;
  *cap = n;
  return CY_OK;
}

/* The key of value i: the value itself for kinds up to 8 bytes wide (so equal keys are
 * equal values), a hash for wider and byte-array kinds (then the values are compared). */
static inline uint64_t value_key(const pqw_values *v, int64_t i, int width) {
  switch (width) {
    case 4: return ((const uint32_t *)v->fixed)[i];
    case 8: return ((const uint64_t *)v->fixed)[i];
    case 16: return cy_hash_bytes((const uint8_t *)v->fixed + 16 * i, 16);
    default: return cy_hash_bytes(v->bytes[i].ptr, v->bytes[i].len);
  }
}

static inline bool values_equal(const pqw_values *v, int64_t i, int64_t j, int width) {
  if (width == 4 || width == 8) return true;
  if (width == 16)
    return memcmp((const uint8_t *)v->fixed + 16 * i, (const uint8_t *)v->fixed + 16 * j, 16) == 0;
  return v->bytes[i].len == v->bytes[j].len &&
         memcmp(v->bytes[i].ptr, v->bytes[j].ptr, (size_t)v->bytes[i].len) == 0;
}

/* Where a key starts probing. Hashes are already mixed; values are mixed first. */
static inline uint64_t key_hash(uint64_t key, int width) {
  return width == 4 || width == 8 ? cy_hash_u64(key) : key;
}

/* An empty table of 2^bits slots in d->slots. */
static cy_status table_clear(pqw_dict *d, int bits, cy_error *err) {
  int64_t n = (int64_t)1 << bits;
  CY_RETURN_NOT_OK(grow_array((void **)&d->slots, &d->slots_cap, n, sizeof(pqw_dict_slot), err));
  memset(d->slots, 0, (size_t)n * sizeof(pqw_dict_slot));
  d->mask = n - 1;
  return CY_OK;
}

/* Double the table: rehash into the spare array, which then becomes the table. */
static cy_status table_grow(pqw_dict *d, int width, cy_error *err) {
  int64_t old_n = d->mask + 1, n = 2 * old_n;
  CY_RETURN_NOT_OK(grow_array((void **)&d->spare, &d->spare_cap, n, sizeof(pqw_dict_slot), err));
  pqw_dict_slot *to = d->spare;
  memset(to, 0, (size_t)n * sizeof(pqw_dict_slot));
  for (int64_t s = 0; s < old_n; s++) {
    if (d->slots[s].entry == 0) continue;
    int64_t at = (int64_t)(key_hash(d->slots[s].key, width) & (uint64_t)(n - 1));
    while (to[at].entry) at = (at + 1) & (n - 1);
    to[at] = d->slots[s];
  }
  int64_t to_cap = d->spare_cap;
  d->spare = d->slots;
  d->spare_cap = d->slots_cap;
  d->slots = to;
  d->slots_cap = to_cap;
  d->mask = n - 1;
  return CY_OK;
}

/* Entries seen among the first `seen` values, projected to all n values: if values were
 * drawn uniformly from D distinct ones, the first s values hold D (1 - e^(-s / D)) of
 * them. Solve that for D (by bisection), then evaluate it at n. */
static double projected_entries(int64_t seen, int64_t entries, int64_t n) {
  if (entries >= seen - seen / 1024) return (double)n; /* all distinct so far */
  double lo = (double)entries, hi = 1e18;
  for (int k = 0; k < 100 && hi - lo > 1; k++) {
    double d = lo + (hi - lo) / 2;
    if (d * -expm1(-(double)seen / d) < (double)entries)
      lo = d;
    else
      hi = d;
  }
  return lo * -expm1(-(double)n / lo);
}

/* True when, judging by the values seen so far, the finished dictionary would be far
 * over max_bytes or cost clearly more than PLAIN: then the attempt stops early rather
 * than hashing up to the limit. The margins (2x the limit, 1.25x PLAIN) keep a skewed
 * start from giving up on a dictionary that would have paid. */
static bool dict_hopeless(int64_t seen, int64_t entries, int64_t bytes, int64_t n,
                          int64_t max_bytes) {
  double e = projected_entries(seen, entries, n);
  double per_entry = (double)bytes / (double)entries;
  double dict_bytes = e * per_entry;
  double index_bytes = (double)n * pqw_bit_width((uint64_t)e) / 8;
  return dict_bytes > 2.0 * (double)max_bytes ||
         dict_bytes + index_bytes > 1.25 * per_entry * (double)n;
}

/* The hashing loop: an index for every value; *built false when the dictionary passed
 * max_bytes, or is clearly heading past it or past PLAIN's size (the caller then writes
 * PLAIN). */
static cy_status dict_fill(const pqw_values *v, int64_t max_bytes, pqw_dict *d, bool *built,
                           cy_error *err) {
  int width = pqw_kind_width(v->kind);
  int64_t bytes = 0, entries = 0;
  /* Blocks of 16k, 16k, 32k, then 64k values; between blocks, a look at the prospects. */
  for (int64_t block = 0, size = 16384; block < v->count; block += size, size = block < 65536 ? block : 65536) {
    if (block > 0 && 2 * block < v->count &&
        dict_hopeless(block, entries, bytes, v->count, max_bytes)) {
      *built = false;
      return CY_OK;
    }
    /* Indices grow as values go by, so an abandoned attempt touches little memory. */
    int64_t end = v->count - block < size ? v->count : block + size;
    CY_RETURN_NOT_OK(grow_array((void **)&d->indices, &d->indices_cap, end, sizeof(uint32_t), err));
    for (int64_t i = block; i < end; i++) {
      uint64_t key = value_key(v, i, width);
      int64_t s = (int64_t)(key_hash(key, width) & (uint64_t)d->mask);
      uint32_t e;
      while ((e = d->slots[s].entry) != 0 &&
             !(d->slots[s].key == key && values_equal(v, d->first[e - 1], i, width)))
        s = (s + 1) & d->mask;
      if (e == 0) {
        bytes += width ? width : 4 + v->bytes[i].len;
        if (bytes > max_bytes || entries >= INT32_MAX - 1) {
          *built = false;
          return CY_OK;
        }
        CY_RETURN_NOT_OK(grow_array((void **)&d->first, &d->first_cap, entries + 1,
                                    sizeof(int64_t), err));
        d->first[entries] = i;
        d->slots[s].key = key;
        d->slots[s].entry = e = (uint32_t)++entries;
        if (2 * entries > d->mask) CY_RETURN_NOT_OK(table_grow(d, width, err));
      }
      d->indices[i] = e - 1;
    }
  }
  d->plain_bytes = bytes;
  d->entries.count = entries;
  *built = true;
  return CY_OK;
}

/* Gather the entries' values (fixed kinds: a copy; byte arrays: slices). */
static cy_status dict_gather(const pqw_values *v, pqw_dict *d, cy_error *err) {
  int width = pqw_kind_width(v->kind);
  size_t each = v->kind == PQW_BYTES ? sizeof(pqw_slice) : (size_t)width;
  int64_t n = d->entries.count;
  /* Capacity in bytes: one pqw_dict serves columns of every kind. */
  CY_RETURN_NOT_OK(grow_array((void **)&d->entry_values, &d->entry_values_cap,
                              (n > 0 ? n : 1) * (int64_t)each, 1, err));
  for (int64_t e = 0; e < n; e++) {
    if (v->kind == PQW_BYTES)
      ((pqw_slice *)d->entry_values)[e] = v->bytes[d->first[e]];
    else
      memcpy(d->entry_values + e * width, (const uint8_t *)v->fixed + d->first[e] * width,
             (size_t)width);
  }
  d->entries.kind = v->kind;
  d->entries.fixed = v->kind == PQW_BYTES ? NULL : d->entry_values;
  d->entries.bytes = v->kind == PQW_BYTES ? (const pqw_slice *)d->entry_values : NULL;
  return CY_OK;
}

cy_status pqw_dict_build(const pqw_values *v, int64_t max_bytes, pqw_dict *d, bool *built,
                         cy_error *err) {
  *built = false;
  d->entries.count = 0;
  if (v->kind == PQW_BOOL || v->count == 0) return CY_OK;
  CY_RETURN_NOT_OK(table_clear(d, 12, err));
  CY_RETURN_NOT_OK(dict_fill(v, max_bytes, d, built, err));
  if (!*built) return CY_OK;
  cy_status st = dict_gather(v, d, err);
  if (st != CY_OK) {
    *built = false;
    return st;
  }
  d->bit_width = d->entries.count > 1 ? pqw_bit_width((uint64_t)d->entries.count - 1) : 1;
  return CY_OK;
}

void pqw_dict_free(pqw_dict *d) {
  free(d->indices);
  free(d->entry_values);
  free(d->slots);
  free(d->spare);
  free(d->first);
  memset(d, 0, sizeof(*d));
}

/* ---- statistics ---------------------------------------------------------------------- */

#define MINMAX_LOOP(T, LESS)                                   \
  do {                                                         \
    const T *x = v->fixed;                                     \
    T lo = x[0], hi = x[0];                                    \
    for (int64_t i = 1; i < v->count; i++) {                   \
      if (LESS(x[i], lo)) lo = x[i];                           \
      if (LESS(hi, x[i])) hi = x[i];                           \
    }                                                          \
    memcpy(out->min, &lo, sizeof(T));                          \
    memcpy(out->max, &hi, sizeof(T));                          \
    out->len = (int32_t)sizeof(T);                             \
  } while (0)

#define PLAIN_LESS(a, b) ((a) < (b))

/* Min and max of floats ignoring NaN; false when every value is NaN. Zeros follow the
 * format's rule: a zero min is -0.0 and a zero max is +0.0. */
#define FLOAT_MINMAX(T, ZERO)                                  \
  do {                                                         \
    const T *x = v->fixed;                                     \
    int64_t i = 0;                                             \
    while (i < v->count && isnan(x[i])) i++;                   \
    if (i == v->count) return;                                 \
    T lo = x[i], hi = x[i];                                    \
    for (; i < v->count; i++) {                                \
      if (x[i] < lo) lo = x[i];                                \
      if (x[i] > hi) hi = x[i];                                \
    }                                                          \
    if (lo == ZERO) lo = -ZERO;                                \
    if (hi == ZERO) hi = ZERO;                                 \
    memcpy(out->min, &lo, sizeof(T));                          \
    memcpy(out->max, &hi, sizeof(T));                          \
    out->len = (int32_t)sizeof(T);                             \
  } while (0)

/* Big-endian two's complement order: flip the sign bit, then compare bytes. */
static int dec16_cmp(const uint8_t *a, const uint8_t *b) {
  if (a[0] != b[0]) return (int8_t)a[0] < (int8_t)b[0] ? -1 : 1;
  return memcmp(a + 1, b + 1, 15);
}

static int bytes_cmp(const pqw_slice *a, const pqw_slice *b) {
  int64_t n = a->len < b->len ? a->len : b->len;
  int c = n ? memcmp(a->ptr, b->ptr, (size_t)n) : 0;
  if (c) return c;
  return a->len < b->len ? -1 : a->len > b->len;
}

static void minmax_wide(const pqw_values *v, pqw_minmax *out) {
  if (v->kind == PQW_DEC16) {
    const uint8_t *x = v->fixed, *lo = x, *hi = x;
    for (int64_t i = 1; i < v->count; i++) {
      const uint8_t *p = x + 16 * i;
      if (dec16_cmp(p, lo) < 0) lo = p;
      if (dec16_cmp(p, hi) > 0) hi = p;
    }
    memcpy(out->min, lo, 16);
    memcpy(out->max, hi, 16);
    out->len = 16;
    return;
  }
  const pqw_slice *lo = &v->bytes[0], *hi = &v->bytes[0];
  for (int64_t i = 1; i < v->count; i++) {
    if (bytes_cmp(&v->bytes[i], lo) < 0) lo = &v->bytes[i];
    if (bytes_cmp(&v->bytes[i], hi) > 0) hi = &v->bytes[i];
  }
  out->min_bytes = *lo;
  out->max_bytes = *hi;
}

void pqw_minmax_compute(const pqw_values *v, pqw_minmax *out) {
  memset(out, 0, sizeof(*out));
  if (v->count == 0) return;
  switch (v->kind) {
    case PQW_BOOL: MINMAX_LOOP(uint8_t, PLAIN_LESS); break;
    case PQW_I32: MINMAX_LOOP(int32_t, PLAIN_LESS); break;
    case PQW_U32: MINMAX_LOOP(uint32_t, PLAIN_LESS); break;
    case PQW_I64: MINMAX_LOOP(int64_t, PLAIN_LESS); break;
    case PQW_U64: MINMAX_LOOP(uint64_t, PLAIN_LESS); break;
    case PQW_F32: FLOAT_MINMAX(float, 0.0f); break;
    case PQW_F64: FLOAT_MINMAX(double, 0.0); break;
    default: minmax_wide(v, out); break;
  }
  out->has = true;
}
