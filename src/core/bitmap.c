/*
 * bitmap.c - counting, copying and filling LSB-ordered bitmaps (validity and booleans).
 *
 * Word-at-a-time where the bit offsets allow it; the unaligned head and tail go bit by bit.
 */
#include <string.h>

#include "cylon/core.h"

int64_t cy_bitmap_count_set(const uint8_t *bits, int64_t offset, int64_t length) {
  int64_t count = 0;
  int64_t i = offset, end = offset + length;
  while (i < end && (i & 7) != 0) count += cy_bit_get(bits, i++);
  const uint8_t *p = bits + (i >> 3);
  while (end - i >= 64) {
    uint64_t w;
    memcpy(&w, p, 8);
    count += __builtin_popcountll(w);
    p += 8;
    i += 64;
  }
  while (end - i >= 8) {
    count += __builtin_popcount(*p++);
    i += 8;
  }
  while (i < end) count += cy_bit_get(bits, i++);
  return count;
}

void cy_bitmap_copy(uint8_t *dst, int64_t dst_offset, const uint8_t *src, int64_t src_offset,
                    int64_t length) {
  if (length <= 0) return;
  if ((dst_offset & 7) == 0 && (src_offset & 7) == 0) {
    int64_t whole = length >> 3;
    memcpy(dst + (dst_offset >> 3), src + (src_offset >> 3), (size_t)whole);
    for (int64_t i = whole * 8; i < length; i++)
      cy_bit_set_to(dst, dst_offset + i, cy_bit_get(src, src_offset + i));
    return;
  }
  /* Unaligned: read source bytes shifted into place, write whole destination bytes. */
  int64_t i = 0;
  while (i < length && ((dst_offset + i) & 7) != 0) {
    cy_bit_set_to(dst, dst_offset + i, cy_bit_get(src, src_offset + i));
    i++;
  }
  for (; length - i >= 8; i += 8) {
    int64_t s = src_offset + i;
    int sh = (int)(s & 7);
    unsigned v = src[s >> 3] >> sh;
    if (sh) v |= (unsigned)src[(s >> 3) + 1] << (8 - sh);
    dst[(dst_offset + i) >> 3] = (uint8_t)v;
  }
  for (; i < length; i++) cy_bit_set_to(dst, dst_offset + i, cy_bit_get(src, src_offset + i));
}

void cy_bitmap_fill(uint8_t *dst, int64_t offset, int64_t length, bool value) {
  int64_t i = offset, end = offset + length;
  while (i < end && (i & 7) != 0) cy_bit_set_to(dst, i++, value);
  int64_t bytes = (end - i) >> 3;
  if (bytes > 0) {
    memset(dst + (i >> 3), value ? 0xff : 0, (size_t)bytes);
    i += bytes * 8;
  }
  while (i < end) cy_bit_set_to(dst, i++, value);
}
