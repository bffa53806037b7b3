/*
 * scatter.c - splitting a column's values between destinations by a per-row destination.
 *
 * The shuffle's scatter is mostly memory traffic and a chain of per-destination counters.
 * Three ways, fastest first:
 *  - x86-64 with AVX-512 (cy_cpu_avx512), up to 8 destinations, 8-byte values: eight
 *    values at a time, each destination's compressed to the front of a vector by a mask
 *    (VPCOMPRESSQ) and stored whole. The store writes a full vector, so up to 7 values
 *    past a destination's new end are overwritten with junk: it runs only while every
 *    destination has that much room left (room[]), which the exact loops finish.
 *  - two destinations: both get every value and only the right one's counter moves (no
 *    branch, no slot array); the other's write lands one past its end, so again only
 *    while there is room.
 *  - otherwise, value by value.
 */
#include "compute/scatter.h"

#include <string.h>

#include "compute/simd.h"

#ifdef CY_SIMD_X86
#include <immintrin.h>
#endif

#define SCATTER_VEC CY_SCATTER_SLACK /* values per vector step; the most written past an end */

/* Values i in [from, n), each exactly at its place. */
static void scatter_exact(const uint8_t *src, int64_t from, int64_t n, int64_t width,
                          const uint16_t *dest, uint8_t *const *out, int64_t *fill) {
#define SCATTER_AS(T)                                                        \
  for (int64_t i = from; i < n; i++) {                                       \
    int64_t d = dest[i];                                                     \
    memcpy(out[d] + fill[d]++ * (int64_t)sizeof(T), src + i * (int64_t)sizeof(T), sizeof(T)); \
  }
  switch (width) {
    case 8: SCATTER_AS(uint64_t); break;
    case 4: SCATTER_AS(uint32_t); break;
    case 2: SCATTER_AS(uint16_t); break;
    case 1: SCATTER_AS(uint8_t); break;
    default:
      for (int64_t i = from; i < n; i++) {
        int64_t d = dest[i];
        memcpy(out[d] + fill[d]++ * width, src + i * width, (size_t)width);
      }
  }
#undef SCATTER_AS
}

/* Vector steps (8 values each) that cannot overrun any destination, whatever the mix. */
static inline int64_t safe_steps(const int64_t *fill, const int64_t *room, int32_t world,
                                 int64_t steps) {
  for (int32_t d = 0; d < world; d++) {
    int64_t spare = room[d] - fill[d] - SCATTER_VEC; /* >= 0: one more step fits */
    if (spare < 0) return 0;
    if (spare / SCATTER_VEC + 1 < steps) steps = spare / SCATTER_VEC + 1;
  }
  return steps;
}

/* Two destinations, 8-byte values: the branch-free loop; returns the rows done. */
static int64_t scatter_two(const uint64_t *src, int64_t n, const uint16_t *dest,
                           uint8_t *const *out, int64_t *fill, const int64_t *room) {
  uint64_t *o0 = (uint64_t *)(void *)out[0], *o1 = (uint64_t *)(void *)out[1];
  int64_t i = 0;
  for (;;) {
    int64_t steps = safe_steps(fill, room, 2, (n - i) / SCATTER_VEC);
    if (steps == 0) return i;
    int64_t f0 = fill[0], f1 = fill[1], end = i + steps * SCATTER_VEC;
    for (; i < end; i++) {
      uint64_t x, d = dest[i];
      memcpy(&x, src + i, 8);
      o0[f0] = x;
      o1[f1] = x;
      f0 += (int64_t)(1 - d);
      f1 += (int64_t)d;
    }
    fill[0] = f0, fill[1] = f1;
  }
}

#ifdef CY_SIMD_X86
#define AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

/* The vector loop for W destinations (a constant where inlined, so the fills live in
 * registers: kept in memory, each step would wait on the last one's store). */
AVX512_TARGET static inline __attribute__((always_inline)) void
scatter_avx512_w(const uint64_t *src, int64_t steps, const uint16_t *dest, int32_t W,
                 uint8_t *const *out, int64_t *fill) {
  int64_t f[8];
  uint64_t *o[8];
  for (int32_t d = 0; d < W; d++) f[d] = fill[d], o[d] = (uint64_t *)(void *)out[d];
  for (int64_t s = 0; s < steps; s++) {
    __m128i d16 = _mm_loadu_si128((const __m128i *)(const void *)(dest + 8 * s));
    __m512i x = _mm512_loadu_si512((const void *)(src + 8 * s));
    for (int32_t d = 0; d < W; d++) {
      __mmask8 m = (__mmask8)_mm_cmpeq_epi16_mask(d16, _mm_set1_epi16((short)d));
      _mm512_storeu_si512((void *)(o[d] + f[d]), _mm512_maskz_compress_epi64(m, x));
      f[d] += __builtin_popcount((unsigned)m);
    }
  }
  for (int32_t d = 0; d < W; d++) fill[d] = f[d];
}

/* Up to 8 destinations, 8-byte values, AVX-512; returns the rows done. */
AVX512_TARGET static int64_t scatter_avx512(const uint64_t *src, int64_t n, const uint16_t *dest,
                                            int32_t world, uint8_t *const *out, int64_t *fill,
                                            const int64_t *room) {
  int64_t i = 0;
  for (;;) {
    int64_t steps = safe_steps(fill, room, world, (n - i) / SCATTER_VEC);
    if (steps == 0) return i;
    switch (world) {
      case 2: scatter_avx512_w(src + i, steps, dest + i, 2, out, fill); break;
      case 3: scatter_avx512_w(src + i, steps, dest + i, 3, out, fill); break;
      case 4: scatter_avx512_w(src + i, steps, dest + i, 4, out, fill); break;
      default: scatter_avx512_w(src + i, steps, dest + i, world, out, fill);
    }
    i += steps * SCATTER_VEC;
  }
}

/* The destinations of 8 hashes at a time; counted with one compare per destination
 * (up to 8 of them). Returns the rows done. */
AVX512_TARGET static int64_t dests_avx512(const uint64_t *hashes, int64_t n, int32_t world,
                                          uint16_t *dest, int64_t *counts) {
  const __m512i w = _mm512_set1_epi64(world);
  int64_t c[8] = {0, 0, 0, 0, 0, 0, 0, 0}, i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i h = _mm512_srli_epi64(_mm512_loadu_si512((const void *)(hashes + i)), 16);
    __m512i d = _mm512_srli_epi64(_mm512_mul_epu32(h, w), 32); /* low 32 bits x world */
    __m128i d16 = _mm512_cvtepi64_epi16(d);
    _mm_storeu_si128((__m128i *)(void *)(dest + i), d16);
    for (int32_t k = 0; k < world; k++)
      c[k] += __builtin_popcount((unsigned)_mm_cmpeq_epi16_mask(d16, _mm_set1_epi16((short)k)));
  }
  for (int32_t k = 0; k < world; k++) counts[k] += c[k];
  return i;
}

#endif

void cy_scatter_dests(const uint64_t *hashes, int64_t n, int32_t world, uint16_t *dest,
                      int64_t *counts) {
  int64_t i = 0;
#ifdef CY_SIMD_X86
  if (world <= 8 && cy_cpu_avx512()) i = dests_avx512(hashes, n, world, dest, counts);
#endif
  for (; i < n; i++) {
    dest[i] = (uint16_t)cy_dest_of(hashes[i], world);
    counts[dest[i]]++;
  }
}

void cy_scatter_values(const uint8_t *src, int64_t n, int64_t width, const uint16_t *dest,
                       int32_t world, uint8_t *const *out, int64_t *fill, const int64_t *room) {
  int64_t done = 0;
  if (width == 8) {
    const uint64_t *v = (const uint64_t *)(const void *)src;
#ifdef CY_SIMD_X86
    if (world <= 8 && cy_cpu_avx512()) done = scatter_avx512(v, n, dest, world, out, fill, room);
#endif
    /* (with no room for a vector step, the two-way loop has none either and does nothing) */
    if (done == 0 && world == 2) done = scatter_two(v, n, dest, out, fill, room);
  }
  scatter_exact(src, done, n, width, dest, out, fill);
}
