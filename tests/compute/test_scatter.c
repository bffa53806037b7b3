/*
 * test_scatter.c - cy_scatter_values, the shuffle's inner loop: every value lands in its
 * destination's output in order, and nothing is written at or past a destination's room.
 *
 * Values are their own row numbers (spread over the width's bytes), so each output can be
 * checked against the rows of that destination listed in order by the test; the bytes
 * after each output's room are a guard pattern that must survive. Covered: 1 to 10
 * destinations (the vector path takes up to 8, the two-way loop 2), widths 1 to 16, exact
 * room (no slack: the exact loop finishes), generous room, destinations that get nothing
 * (a scratch area of CY_SCATTER_SLACK values), lengths around the vector size.
 */
#include "test.h"

#include "compute/scatter.h"
#include "compute/simd.h"

#define GUARD 0xA5
#define MAXW 10

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
  return rng_state;
}

/* The w bytes of value number i: its low bytes, then a pattern. */
static void value_bytes(int64_t i, int64_t w, uint8_t *out) {
  for (int64_t b = 0; b < w; b++) out[b] = b < 8 ? (uint8_t)((uint64_t)(i + 1) >> (8 * b)) : (uint8_t)(i * 31 + b);
}

static void check_case(int32_t world, int64_t w, int64_t n, bool tight, int64_t pre,
                       int used_dests) {
  uint8_t *src = malloc((size_t)(n ? n : 1) * (size_t)w);
  uint16_t *dest = malloc((size_t)(n ? n : 1) * sizeof *dest);
  int64_t count[MAXW] = {0}, fill[MAXW], room[MAXW];
  uint8_t *out[MAXW];
  for (int64_t i = 0; i < n; i++) {
    value_bytes(i, w, src + i * w);
    dest[i] = (uint16_t)(rng() % (uint64_t)used_dests); /* destinations >= used_dests get nothing */
    count[dest[i]]++;
  }
  for (int32_t d = 0; d < world; d++) {
    fill[d] = pre; /* values already there before this call */
    room[d] = pre + count[d] + (tight ? 0 : 3 + (int64_t)(rng() % 40));
    if (room[d] < CY_SCATTER_SLACK) room[d] = CY_SCATTER_SLACK;
    out[d] = malloc((size_t)(room[d] + 64) * (size_t)w);
    memset(out[d], GUARD, (size_t)(room[d] + 64) * (size_t)w);
  }
  cy_scatter_values(src, n, w, dest, world, out, fill, room);
  int bad = 0, guard = 0;
  uint8_t want[16];
  for (int32_t d = 0; d < world; d++) {
    if (fill[d] != pre + count[d]) bad++;
    int64_t at = pre;
    for (int64_t i = 0; i < n; i++) {
      if (dest[i] != d) continue;
      value_bytes(i, w, want);
      if (memcmp(out[d] + at * w, want, (size_t)w) != 0) bad++;
      at++;
    }
    for (int64_t b = room[d] * w; b < (room[d] + 64) * w; b++) guard += out[d][b] != GUARD;
    for (int64_t b = 0; b < pre * w; b++) guard += out[d][b] != GUARD; /* before fill */
    free(out[d]);
  }
  if (bad || guard)
    fprintf(stderr, "world %d width %lld n %lld tight %d pre %lld: %d misplaced, %d guard bytes hit\n",
            (int)world, (long long)w, (long long)n, (int)tight, (long long)pre, bad, guard);
  CHECK_EQ_INT(bad, 0);
  CHECK_EQ_INT(guard, 0);
  free(src);
  free(dest);
}

/* cy_scatter_dests against the rule written out here: bits 16..47 of the hash times
 * world, top 32 bits of the product; counts added to what was there. */
static void check_dests(int32_t world, int64_t n) {
  uint64_t *h = malloc((size_t)(n ? n : 1) * sizeof *h);
  uint16_t *dest = malloc((size_t)(n ? n : 1) * sizeof *dest);
  int64_t counts[MAXW + 1], want[MAXW + 1];
  for (int32_t d = 0; d <= MAXW; d++) counts[d] = want[d] = 1000 + d;
  for (int64_t i = 0; i < n; i++) h[i] = rng();
  if (n > 3) h[0] = 0, h[1] = UINT64_MAX, h[2] = 0xFFFFFFFFull << 16, h[3] = 0xFFFFull;
  cy_scatter_dests(h, n, world, dest, counts);
  int bad = 0;
  for (int64_t i = 0; i < n; i++) {
    uint64_t mid = (h[i] >> 16) & 0xFFFFFFFFull;
    uint16_t d = (uint16_t)((mid * (uint64_t)world) >> 32);
    bad += dest[i] != d;
    want[d]++;
  }
  for (int32_t d = 0; d <= MAXW; d++) bad += counts[d] != want[d];
  CHECK_EQ_INT(bad, 0);
  free(h);
  free(dest);
}

int main(void) {
  for (int portable = 0; portable < 2; portable++) {
    cy_simd_portable_only(portable);
    for (int32_t world = 1; world <= MAXW; world++)
      for (int64_t n = 0; n < 40; n++) check_dests(world, n);
    check_dests(2, 16384);
    check_dests(7, 16385);
  }
  const int64_t widths[] = {1, 2, 4, 8, 16};
  const int64_t lengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 16384};
  for (int portable = 0; portable < 2; portable++) { /* the AVX-512 loop where there is one */
    cy_simd_portable_only(portable);
    for (int32_t world = 1; world <= MAXW; world++)
      for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++)
        for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++)
          for (int tight = 0; tight < 2; tight++) {
            check_case(world, widths[wi], lengths[li], tight, 0, world);
            check_case(world, widths[wi], lengths[li], tight, 5, world);
            if (world > 1) check_case(world, widths[wi], lengths[li], tight, 0, world - 1);
          }
  }
  cy_simd_portable_only(false);
  TEST_MAIN_END();
}
