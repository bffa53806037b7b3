/*
 * scatter.h - splitting a column's values between destinations (private to the library):
 * the inner loop of the hash shuffle, which sends every row to the rank its key picks.
 */
#ifndef CYLON_COMPUTE_SCATTER_H
#define CYLON_COMPUTE_SCATTER_H

#include <stdint.h>

/* Values written past a destination's end at most: a destination that receives no values
 * still needs room[d] >= CY_SCATTER_SLACK values (a scratch area will do). */
#define CY_SCATTER_SLACK 8

/* Append each of the n values of src (width bytes each) to its destination's output:
 * value i goes to out[dest[i]] at index fill[dest[i]], which then grows by one; values
 * keep their order within a destination. Destinations are below world. Nothing is
 * written at or beyond room[d] values from out[d], which must hold every value sent
 * there (fill[d] plus d's values among the n <= room[d]) and at least CY_SCATTER_SLACK. */
void cy_scatter_values(const uint8_t *src, int64_t n, int64_t width, const uint16_t *dest,
                       int32_t world, uint8_t *const *out, int64_t *fill, const int64_t *room);

/* The destination a row's hash picks among world (<= 65536): bits 16 to 47 of the hash,
 * scaled. Not the low bits, nor the top ones: the hash tables that run after a shuffle
 * place rows by the low bits, and local joins and group-bys split rows (between
 * partitions and threads) by the top bits; on one destination those bits would otherwise
 * all be alike, leaving most partitions empty and the rest oversized. */
static inline int32_t cy_dest_of(uint64_t h, int32_t world) {
  return (int32_t)(((uint64_t)(uint32_t)(h >> 16) * (uint64_t)world) >> 32);
}

/* dest[i] = cy_dest_of(hashes[i], world) for n rows, and counts[d] grows by the rows
 * going to d (counts has world entries). */
void cy_scatter_dests(const uint64_t *hashes, int64_t n, int32_t world, uint16_t *dest,
                      int64_t *counts);

#endif
