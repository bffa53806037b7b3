/*
 * parquet_decode.c - Parquet's encodings (see parquet_decode.h): bit unpacking, the RLE /
 * bit-packed hybrid, the DELTA family, BYTE_STREAM_SPLIT and PLAIN byte arrays.
 *
 * Bit unpacking reads a 64-bit little-endian window at the byte holding a value's first
 * bit and shifts, so one load serves any width up to 57 bits (wider DELTA widths take one
 * more byte); near the end of a range the window is assembled byte by byte so nothing past
 * `avail` is read. Counts taken from the data (run lengths, block sizes, value counts) are
 * checked against what the caller expects and against the bytes present before use.
 */
#include "io/parquet_decode.h"

#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the Parquet reader assumes a little-endian host"
#endif

bool pqd_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
  const uint8_t *p = *pp;
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) return false;
    uint8_t b = *p++;
    if (shift == 63 && b > 1) return false;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *pp = p;
      *out = v;
      return true;
    }
  }
  return false;
}

static int64_t zigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

/* ---- bit unpacking ------------------------------------------------------------------- */

static inline uint64_t window(const uint8_t *p, int64_t avail, int64_t byte) {
  uint64_t v = 0;
  if (byte + 8 <= avail) {
    memcpy(&v, p + byte, 8);
    return v;
  }
  for (int64_t i = 0; byte + i < avail && i < 8; i++) v |= (uint64_t)p[byte + i] << (8 * i);
  return v;
}

void pqd_unpack32(const uint8_t *p, int64_t avail, int bw, int64_t first, int64_t n,
                  uint32_t *out) {
  if (bw == 0) {
    memset(out, 0, (size_t)n * sizeof *out);
    return;
  }
  uint64_t mask = bw == 32 ? 0xffffffffu : ((uint64_t)1 << bw) - 1;
  int64_t bit = first * bw;
  int64_t i = 0;
  /* Fast part: the whole 8-byte window is inside the range. */
  int64_t fast_end = avail >= 8 ? ((avail - 8) * 8) / bw + 1 - first : 0;
  if (fast_end > n) fast_end = n;
  for (; i < fast_end; i++, bit += bw) {
    uint64_t w;
    memcpy(&w, p + (bit >> 3), 8);
    out[i] = (uint32_t)((w >> (bit & 7)) & mask);
  }
  for (; i < n; i++, bit += bw) out[i] = (uint32_t)((window(p, avail, bit >> 3) >> (bit & 7)) & mask);
}

void pqd_unpack64(const uint8_t *p, int64_t avail, int bw, int64_t first, int64_t n,
                  uint64_t *out) {
  if (bw == 0) {
    memset(out, 0, (size_t)n * sizeof *out);
    return;
  }
  uint64_t mask = bw == 64 ? ~(uint64_t)0 : ((uint64_t)1 << bw) - 1;
  int64_t bit = first * bw;
  for (int64_t i = 0; i < n; i++, bit += bw) {
    int64_t byte = bit >> 3;
    int sh = (int)(bit & 7);
    uint64_t v = window(p, avail, byte) >> sh;
    if (sh && sh + bw > 64 && byte + 8 < avail) v |= (uint64_t)p[byte + 8] << (64 - sh);
    out[i] = v & mask;
  }
}

/* ---- RLE / bit-packed hybrid --------------------------------------------------------- */

void pqd_rle_init(pqd_rle *r, const uint8_t *data, int64_t len, int bit_width, int64_t total) {
  memset(r, 0, sizeof *r);
  r->p = data;
  r->end = data + (len > 0 ? len : 0);
  r->bit_width = bit_width;
  r->total = total;
}

static cy_status next_run(pqd_rle *r, cy_error *err) {
  if (r->p >= r->end) {
    cy_error_set(err, "RLE data ends after %lld of %lld values", (long long)r->consumed,
                 (long long)r->total);
    return CY_EINVAL;
  }
  uint64_t header;
  if (!pqd_uvarint(&r->p, r->end, &header)) {
    cy_error_set(err, "bad RLE run header after %lld values", (long long)r->consumed);
    return CY_EINVAL;
  }
  int64_t left = r->total - r->consumed;
  int bw = r->bit_width;
  if (header & 1) {
    uint64_t groups = header >> 1;
    int64_t have = r->end - r->p;
    /* Bytes the run claims (8 values * bw bits = bw bytes per group), capped by what is
     * there: a last run may be cut short after its final value. */
    int64_t bytes = groups > (uint64_t)have ? have : (int64_t)groups * bw;
    if (bytes > have) bytes = have;
    int64_t values = groups > (uint64_t)(INT64_MAX / 8) ? INT64_MAX : (int64_t)groups * 8;
    if (bw > 0 && values > bytes * 8 / bw) values = bytes * 8 / bw;
    r->run_packed = true;
    r->packed = r->p;
    r->packed_avail = bytes;
    r->packed_pos = 0;
    r->run_left = values < left ? values : left; /* values past the end are padding */
    r->p += bytes;
    if (groups > 0 && values == 0) {
      cy_error_set(err, "bit-packed run of %llu values has no data",
                   (unsigned long long)(groups * 8));
      return CY_EINVAL;
    }
  } else {
    uint64_t count = header >> 1;
    int nbytes = (bw + 7) / 8;
    if (r->end - r->p < nbytes) {
      cy_error_set(err, "RLE run value truncated after %lld values", (long long)r->consumed);
      return CY_EINVAL;
    }
    uint32_t v = 0;
    for (int i = 0; i < nbytes; i++) v |= (uint32_t)r->p[i] << (8 * i);
    r->p += nbytes;
    if (bw < 32 && (v >> bw) != 0) {
      cy_error_set(err, "RLE run value %u does not fit in %d bits", v, bw);
      return CY_EINVAL;
    }
    if (count > (uint64_t)left) {
      cy_error_set(err, "RLE run of %llu values exceeds the %lld values left (of %lld)",
                   (unsigned long long)count, (long long)left, (long long)r->total);
      return CY_EINVAL;
    }
    r->run_packed = false;
    r->run_value = v;
    r->run_left = (int64_t)count;
  }
  return CY_OK;
}

cy_status pqd_rle_get(pqd_rle *r, uint32_t *out, int64_t n, cy_error *err) {
  if (n > r->total - r->consumed) {
    cy_error_set(err, "asked for %lld values with %lld left", (long long)n,
                 (long long)(r->total - r->consumed));
    return CY_EINVAL;
  }
  while (n > 0) {
    if (r->run_left == 0) {
      CY_RETURN_NOT_OK(next_run(r, err));
      continue;
    }
    int64_t take = r->run_left < n ? r->run_left : n;
    if (r->run_packed) {
      pqd_unpack32(r->packed, r->packed_avail, r->bit_width, r->packed_pos, take, out);
      r->packed_pos += take;
    } else {
      uint32_t v = r->run_value;
      for (int64_t i = 0; i < take; i++) out[i] = v;
    }
    out += take;
    n -= take;
    r->run_left -= take;
    r->consumed += take;
  }
  return CY_OK;
}

cy_status pqd_rle_get_bits(pqd_rle *r, uint8_t *bits, int64_t offset, int64_t n,
                           int64_t *ones, cy_error *err) {
  if (r->bit_width != 1) {
    cy_error_set(err, "bit width %d where 1 was expected", r->bit_width);
    return CY_EINVAL;
  }
  if (n > r->total - r->consumed) {
    cy_error_set(err, "asked for %lld values with %lld left", (long long)n,
                 (long long)(r->total - r->consumed));
    return CY_EINVAL;
  }
  int64_t start = offset;
  while (n > 0) {
    if (r->run_left == 0) {
      CY_RETURN_NOT_OK(next_run(r, err));
      continue;
    }
    int64_t take = r->run_left < n ? r->run_left : n;
    if (r->run_packed) {
      cy_bitmap_copy(bits, offset, r->packed, r->packed_pos, take);
      r->packed_pos += take;
    } else {
      cy_bitmap_fill(bits, offset, take, r->run_value != 0);
    }
    offset += take;
    n -= take;
    r->run_left -= take;
    r->consumed += take;
  }
  *ones = cy_bitmap_count_set(bits, start, offset - start);
  return CY_OK;
}

cy_status pqd_bitpacked_msb_bits(const uint8_t *data, int64_t len, uint8_t *bits,
                                 int64_t offset, int64_t n, int64_t *ones, cy_error *err) {
  if (cy_bitmap_bytes(n) > len) {
    cy_error_set(err, "BIT_PACKED levels need %lld bytes, the page has %lld",
                 (long long)cy_bitmap_bytes(n), (long long)len);
    return CY_EINVAL;
  }
  int64_t count = 0;
  for (int64_t i = 0; i < n; i++) {
    bool v = (data[i >> 3] >> (7 - (i & 7))) & 1;
    cy_bit_set_to(bits, offset + i, v);
    count += v;
  }
  *ones = count;
  return CY_OK;
}

/* ---- DELTA_BINARY_PACKED ------------------------------------------------------------- */

/* Deltas unpacked at a time (a miniblock may hold more: it is done in pieces). */
#define DELTA_SCRATCH 512

/* The stream's header: block size, miniblocks per block, value count, first value. */
typedef struct delta_header {
  uint64_t block, miniblocks, count;
  int64_t first;
} delta_header;

static cy_status delta_read_header(const uint8_t **p, const uint8_t *end, delta_header *h,
                                   cy_error *err) {
  uint64_t first;
  if (!pqd_uvarint(p, end, &h->block) || !pqd_uvarint(p, end, &h->miniblocks) ||
      !pqd_uvarint(p, end, &h->count) || !pqd_uvarint(p, end, &first)) {
    cy_error_set(err, "DELTA_BINARY_PACKED header truncated");
    return CY_EINVAL;
  }
  h->first = zigzag(first);
  if (h->block == 0 || h->block % 128 != 0 || h->block > (1u << 20) || h->miniblocks == 0 ||
      h->block % h->miniblocks != 0 || (h->block / h->miniblocks) % 32 != 0) {
    cy_error_set(err, "DELTA_BINARY_PACKED block of %llu values in %llu miniblocks is invalid",
                 (unsigned long long)h->block, (unsigned long long)h->miniblocks);
    return CY_EINVAL;
  }
  return CY_OK;
}

/* Decode one block's deltas (up to `want` of them) into out, adding to *prev. */
static cy_status delta_block(const uint8_t **pp, const uint8_t *end, const delta_header *h,
                             bool is32, int64_t want, uint64_t *prev, int64_t *out,
                             uint64_t *scratch, cy_error *err) {
  const uint8_t *p = *pp;
  uint64_t md;
  if (!pqd_uvarint(&p, end, &md)) {
    cy_error_set(err, "DELTA_BINARY_PACKED block header truncated");
    return CY_EINVAL;
  }
  uint64_t min_delta = (uint64_t)zigzag(md);
  int64_t nmb = (int64_t)h->miniblocks, per = (int64_t)(h->block / h->miniblocks);
  if (end - p < nmb) {
    cy_error_set(err, "DELTA_BINARY_PACKED bit widths truncated");
    return CY_EINVAL;
  }
  const uint8_t *widths = p;
  p += nmb;
  uint64_t v = *prev;
  for (int64_t m = 0; m < nmb && want > 0; m++) {
    int bw = widths[m];
    if (bw > 64) { /* INT32 deltas may take 33 bits: they wrap to 32 below */
      cy_error_set(err, "DELTA_BINARY_PACKED miniblock bit width %d is too wide", bw);
      return CY_EINVAL;
    }
    int64_t bytes = per * bw / 8;
    if (end - p < bytes) {
      /* the last miniblock may stop after its last value */
      int64_t take = want < per ? want : per;
      if ((end - p) * 8 < take * bw) {
        cy_error_set(err, "DELTA_BINARY_PACKED miniblock truncated");
        return CY_EINVAL;
      }
      bytes = end - p;
    }
    int64_t take = want < per ? want : per;
    for (int64_t off = 0; off < take; off += DELTA_SCRATCH) {
      int64_t piece = take - off < DELTA_SCRATCH ? take - off : DELTA_SCRATCH;
      pqd_unpack64(p, bytes, bw, off, piece, scratch);
      for (int64_t i = 0; i < piece; i++) {
        v += min_delta + scratch[i];
        if (is32) v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
        out[off + i] = (int64_t)v;
      }
    }
    out += take;
    want -= take;
    p += bytes;
  }
  *prev = v;
  *pp = p;
  return CY_OK;
}

cy_status pqd_delta_binary(const uint8_t *data, int64_t len, bool is32, int64_t max,
                           int64_t *out, int64_t *count, int64_t *used, cy_error *err) {
  const uint8_t *p = data, *end = data + len;
  delta_header h;
  CY_RETURN_NOT_OK(delta_read_header(&p, end, &h, err));
  if (h.count > (uint64_t)max) {
    cy_error_set(err, "DELTA_BINARY_PACKED stream holds %llu values, the page has room for %lld",
                 (unsigned long long)h.count, (long long)max);
    return CY_EINVAL;
  }
  int64_t n = (int64_t)h.count;
  *count = n;
  if (n > 0) {
    uint64_t v = (uint64_t)h.first;
    if (is32) v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
    out[0] = (int64_t)v;
    uint64_t scratch[DELTA_SCRATCH];
    for (int64_t done = 1; done < n;) {
      int64_t want = n - done;
      if (want > (int64_t)h.block) want = (int64_t)h.block;
      CY_RETURN_NOT_OK(delta_block(&p, end, &h, is32, want, &v, out + done, scratch, err));
      done += want;
    }
  }
  *used = p - data;
  return CY_OK;
}

/* ---- byte arrays --------------------------------------------------------------------- */

cy_status pqd_plain_byte_arrays(const uint8_t *data, int64_t len, int64_t n, pqd_slice *out,
                                int64_t *used, cy_error *err) {
  int64_t pos = 0;
  for (int64_t i = 0; i < n; i++) {
    if (len - pos < 4) {
      cy_error_set(err, "PLAIN byte array %lld of %lld: length truncated", (long long)i,
                   (long long)n);
      return CY_EINVAL;
    }
    int64_t l = pqd_load_u32(data + pos);
    pos += 4;
    if (l > len - pos) {
      cy_error_set(err, "PLAIN byte array %lld of %lld: %lld bytes, only %lld left",
                   (long long)i, (long long)n, (long long)l, (long long)(len - pos));
      return CY_EINVAL;
    }
    out[i].ptr = data + pos;
    out[i].len = l;
    pos += l;
  }
  *used = pos;
  return CY_OK;
}

cy_status pqd_delta_length_byte_arrays(const uint8_t *data, int64_t len, int64_t n,
                                       int64_t *lengths, pqd_slice *out, int64_t *used,
                                       cy_error *err) {
  int64_t count, pos;
  CY_RETURN_NOT_OK(pqd_delta_binary(data, len, true, n, lengths, &count, &pos, err));
  if (count != n) {
    cy_error_set(err, "DELTA_LENGTH_BYTE_ARRAY holds %lld lengths for %lld values",
                 (long long)count, (long long)n);
    return CY_EINVAL;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t l = lengths[i];
    if (l < 0 || l > len - pos) {
      cy_error_set(err, "DELTA_LENGTH_BYTE_ARRAY value %lld: length %lld with %lld bytes left",
                   (long long)i, (long long)l, (long long)(len - pos));
      return CY_EINVAL;
    }
    out[i].ptr = data + pos;
    out[i].len = l;
    pos += l;
  }
  *used = pos;
  return CY_OK;
}

cy_status pqd_delta_byte_arrays(const uint8_t *data, int64_t len, int64_t n, int64_t *lengths,
                                pqd_slice *out, uint8_t **store, int64_t *store_cap,
                                cy_error *err) {
  int64_t count, used;
  int64_t *prefix = lengths, *suffix_len = lengths + n;
  CY_RETURN_NOT_OK(pqd_delta_binary(data, len, true, n, prefix, &count, &used, err));
  if (count != n) {
    cy_error_set(err, "DELTA_BYTE_ARRAY holds %lld prefix lengths for %lld values",
                 (long long)count, (long long)n);
    return CY_EINVAL;
  }
  int64_t used2;
  pqd_slice *suffix = out; /* suffixes first, rebuilt values replace them in place */
  CY_RETURN_NOT_OK(pqd_delta_length_byte_arrays(data + used, len - used, n, suffix_len,
                                                suffix, &used2, err));
  /* Total size first, so the store is allocated once and slices stay valid. */
  int64_t total = 0, prev = 0;
  for (int64_t i = 0; i < n; i++) {
    if (prefix[i] < 0 || prefix[i] > prev) {
      cy_error_set(err, "DELTA_BYTE_ARRAY value %lld: prefix of %lld bytes, the previous "
                   "value has %lld", (long long)i, (long long)prefix[i], (long long)prev);
      return CY_EINVAL;
    }
    prev = prefix[i] + suffix[i].len;
    total += prev;
  }
  if (total > *store_cap) {
    uint8_t *s = realloc(*store, (size_t)(total > 0 ? total : 1));
    if (!s) {
      cy_error_set(err, "out of memory for %lld bytes of DELTA_BYTE_ARRAY values",
                   (long long)total);
      return CY_ENOMEM;
    }
    *store = s;
    *store_cap = total;
  }
  uint8_t *w = *store;
  const uint8_t *last = w;
  for (int64_t i = 0; i < n; i++) {
    int64_t pl = prefix[i];
    memmove(w, last, (size_t)pl);
    if (suffix[i].len) memcpy(w + pl, suffix[i].ptr, (size_t)suffix[i].len);
    out[i].ptr = w;
    out[i].len = pl + suffix[i].len;
    last = w;
    w += out[i].len;
  }
  return CY_OK;
}

/* ---- BYTE_STREAM_SPLIT --------------------------------------------------------------- */

cy_status pqd_byte_stream_split(const uint8_t *data, int64_t len, int64_t n, int width,
                                uint8_t *out, cy_error *err) {
  if (len != n * width) {
    cy_error_set(err, "BYTE_STREAM_SPLIT data has %lld bytes for %lld values of %d bytes",
                 (long long)len, (long long)n, width);
    return CY_EINVAL;
  }
  for (int k = 0; k < width; k++) {
    const uint8_t *s = data + (int64_t)k * n;
    for (int64_t i = 0; i < n; i++) out[i * width + k] = s[i];
  }
  return CY_OK;
}
