/*
 * parquet_decode.h - Parquet's value and level encodings, decoded (private to the
 * reader): bit unpacking, the RLE / bit-packed hybrid, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT and PLAIN byte arrays.
 *
 * Every decoder works on one byte range (a page's section) and is told how many values
 * to produce; it fails (CY_EINVAL, with a message saying what was wrong, which the caller
 * prefixes with the file, column, row group and page) rather than read outside its range
 * or produce fewer values than asked. Outputs are dense: one entry per non-null value.
 */
#ifndef CYLON_IO_PARQUET_DECODE_H
#define CYLON_IO_PARQUET_DECODE_H

#include "cylon/core.h"

/* One byte-array value: bytes inside a page (or a decoder's scratch). */
typedef struct pqd_slice {
  const uint8_t *ptr;
  int64_t len;
} pqd_slice;

/* Little-endian loads that need no alignment. */
static inline uint32_t pqd_load_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ULEB128 at *p (advanced) below end; false when truncated or longer than 10 bytes. */
bool pqd_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out);

/* ---- bit unpacking ------------------------------------------------------------------- */

/* Values [first, first + n) of a run packed LSB first at bit_width (0..32) bits each, from
 * p with `avail` readable bytes; the caller checked that those bits are inside avail. */
void pqd_unpack32(const uint8_t *p, int64_t avail, int bit_width, int64_t first, int64_t n,
                  uint32_t *out);
/* The same for bit widths 0..64. */
void pqd_unpack64(const uint8_t *p, int64_t avail, int bit_width, int64_t first, int64_t n,
                  uint64_t *out);

/* ---- RLE / bit-packed hybrid --------------------------------------------------------- */

/* A stream of runs: a varint header whose low bit says bit-packed (1: header >> 1 groups
 * of 8 values) or RLE (0: header >> 1 repeats of one value stored in ceil(bw / 8) bytes). */
typedef struct pqd_rle {
  const uint8_t *p, *end;
  int bit_width;
  int64_t total;     /* values the stream must hold (runs past it are an error) */
  int64_t consumed;  /* values handed out, or skipped over, so far */
  /* the current run */
  int64_t run_left;
  bool run_packed;
  uint32_t run_value;      /* RLE */
  const uint8_t *packed;   /* bit-packed: start of the run's bytes */
  int64_t packed_avail;    /* bytes readable from `packed` */
  int64_t packed_pos;      /* next value's index in the run */
} pqd_rle;

/* Start decoding data[0, len) holding `total` values of bit_width (0..32) bits. */
void pqd_rle_init(pqd_rle *r, const uint8_t *data, int64_t len, int bit_width, int64_t total);
/* The next n values into out. */
cy_status pqd_rle_get(pqd_rle *r, uint32_t *out, int64_t n, cy_error *err);
/* The next n values of a bit-width-1 stream (definition levels of a flat column, or
 * booleans) as bits of `bits` from bit `offset`; *ones counts the 1s. Values above 1 are
 * an error. */
cy_status pqd_rle_get_bits(pqd_rle *r, uint8_t *bits, int64_t offset, int64_t n,
                           int64_t *ones, cy_error *err);

/* The deprecated BIT_PACKED level encoding (MSB first, no runs) for bit width 1: n bits of
 * data into bits from bit `offset`; *ones counts the 1s. */
cy_status pqd_bitpacked_msb_bits(const uint8_t *data, int64_t len, uint8_t *bits,
                                 int64_t offset, int64_t n, int64_t *ones, cy_error *err);

/* ---- DELTA_BINARY_PACKED ------------------------------------------------------------- */

/* Decode the DELTA_BINARY_PACKED stream at data[0, len): at most `max` values into out
 * (as 64-bit; INT32 columns wrap to 32 bits: pass is32). *count is the number of values
 * the stream holds (which must not exceed max) and *used the bytes it took. */
cy_status pqd_delta_binary(const uint8_t *data, int64_t len, bool is32, int64_t max,
                           int64_t *out, int64_t *count, int64_t *used, cy_error *err);

/* ---- byte arrays --------------------------------------------------------------------- */

/* PLAIN byte arrays (4-byte little-endian length, bytes), n of them, into slices. *used is
 * the bytes taken. */
cy_status pqd_plain_byte_arrays(const uint8_t *data, int64_t len, int64_t n, pqd_slice *out,
                                int64_t *used, cy_error *err);
/* DELTA_LENGTH_BYTE_ARRAY: n values; lengths is scratch for n int64s. */
cy_status pqd_delta_length_byte_arrays(const uint8_t *data, int64_t len, int64_t n,
                                       int64_t *lengths, pqd_slice *out, int64_t *used,
                                       cy_error *err);
/* DELTA_BYTE_ARRAY: n values rebuilt from prefix lengths and suffixes into *store (a
 * malloc'ed buffer the caller frees; grown as needed, its capacity in *store_cap);
 * lengths is scratch for 2 * n int64s. Slices point into *store. */
cy_status pqd_delta_byte_arrays(const uint8_t *data, int64_t len, int64_t n, int64_t *lengths,
                                pqd_slice *out, uint8_t **store, int64_t *store_cap,
                                cy_error *err);

/* ---- BYTE_STREAM_SPLIT --------------------------------------------------------------- */

/* n values of `width` bytes split into `width` streams of n bytes: rejoined into out. */
cy_status pqd_byte_stream_split(const uint8_t *data, int64_t len, int64_t n, int width,
                                uint8_t *out, cy_error *err);

#endif
