/*
 * parquet_encode.h - how the Parquet writer turns values into bytes (private to the
 * writer): PLAIN, the RLE / bit-packed hybrid, dictionaries and min/max statistics.
 *
 * The writer first gathers a column chunk into dense physical values (pqw_values: the
 * non-null values only, already in the Parquet physical representation: int8 widened to
 * int32, decimals in big-endian bytes, strings as slices of the column's bytes). Every
 * encoder here then works on those, whatever the cylon type was, and needs no knowledge
 * of validity bitmaps except the definition-level encoder.
 *
 * Everything appends to a pqw_buf, a growable byte array owned by the caller.
 */
#ifndef CYLON_IO_PARQUET_ENCODE_H
#define CYLON_IO_PARQUET_ENCODE_H

#include <string.h>

#include "cylon/core.h"

/* ---- growable bytes ------------------------------------------------------------------ */

typedef struct pqw_buf {
  uint8_t *data;
  int64_t len, cap;
} pqw_buf;

/* Make room for `extra` more bytes past len. */
cy_status pqw_buf_reserve(pqw_buf *b, int64_t extra, cy_error *err);
/* Free the bytes; leaves an empty buffer. */
void pqw_buf_reset(pqw_buf *b);
/* Append n bytes. */
cy_status pqw_buf_append(pqw_buf *b, const void *p, int64_t n, cy_error *err);

/* Unchecked appends: the caller reserved room first. */
static inline void pqw_put(pqw_buf *b, const void *p, int64_t n) {
  if (n > 0) memcpy(b->data + b->len, p, (size_t)n);
  b->len += n;
}
static inline void pqw_put_u32le(pqw_buf *b, uint32_t v) {
  uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  pqw_put(b, le, 4);
}
/* ULEB128, at most 10 bytes. */
static inline void pqw_put_uvarint(pqw_buf *b, uint64_t v) {
  while (v >= 0x80) {
    b->data[b->len++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  b->data[b->len++] = (uint8_t)v;
}

/* ---- dense physical values ----------------------------------------------------------- */

/* How values are stored and ordered; each maps to one physical type and one sort order. */
typedef enum pqw_kind {
  PQW_BOOL, /* BOOLEAN; values are bytes 0 / 1 */
  PQW_I32,  /* INT32, signed order */
  PQW_U32,  /* INT32 holding an unsigned integer: unsigned order */
  PQW_I64,  /* INT64, signed order */
  PQW_U64,  /* INT64 holding an unsigned integer: unsigned order */
  PQW_F32,  /* FLOAT */
  PQW_F64,  /* DOUBLE */
  PQW_DEC16, /* FIXED_LEN_BYTE_ARRAY(16): big-endian two's complement, signed order */
  PQW_BYTES  /* BYTE_ARRAY: unsigned lexicographic order */
} pqw_kind;

/* Bytes per value of a fixed-width kind (1 for bool's byte form, 0 for PQW_BYTES). */
int pqw_kind_width(pqw_kind kind);

/* One variable-length value: bytes borrowed from a column. */
typedef struct pqw_slice {
  const uint8_t *ptr;
  int64_t len;
} pqw_slice;

/* The non-null values of (part of) a column chunk, in order. */
typedef struct pqw_values {
  pqw_kind kind;
  int64_t count;
  const void *fixed;      /* count values of pqw_kind_width bytes (not PQW_BYTES) */
  const pqw_slice *bytes; /* PQW_BYTES: count slices */
} pqw_values;

/* Values [start, start + count) of v as a view. */
pqw_values pqw_values_range(const pqw_values *v, int64_t start, int64_t count);

/* ---- PLAIN --------------------------------------------------------------------------- */

/* Bytes the PLAIN encoding of v takes. */
int64_t pqw_plain_size(const pqw_values *v);
/* Append the PLAIN encoding of v (booleans bit-packed LSB first; byte arrays each with a
 * 4-byte little-endian length). */
cy_status pqw_plain_encode(pqw_buf *out, const pqw_values *v, cy_error *err);

/* ---- RLE / bit-packed hybrid --------------------------------------------------------- */

/* Bits needed for values up to max_value (0 for 0). */
int pqw_bit_width(uint64_t max_value);
/* Append the hybrid encoding (no length prefix) of n values below 2^bit_width. Runs of 8
 * or more equal values become RLE runs; the rest are bit-packed in groups of 8. */
cy_status pqw_rle_encode(pqw_buf *out, const uint32_t *values, int64_t n, int bit_width,
                         cy_error *err);
/* Append definition levels (max level 1) for rows [offset, offset + n) of a validity
 * bitmap (NULL = all valid) in the form data page v1 wants: a 4-byte little-endian length,
 * then the hybrid encoding with bit width 1. */
cy_status pqw_def_levels_encode(pqw_buf *out, const uint8_t *validity, int64_t offset,
                                int64_t n, cy_error *err);

/* ---- dictionaries -------------------------------------------------------------------- */

typedef struct pqw_dict_slot {
  uint64_t key;   /* the value (kinds up to 8 bytes wide) or its hash */
  uint32_t entry; /* entry number + 1; 0 = empty */
} pqw_dict_slot;

/* A column chunk's dictionary: its distinct values (in order of first appearance) and,
 * for every value, the index of its entry. One pqw_dict serves chunk after chunk (zero it
 * first, free it with pqw_dict_free): its arrays are kept and reused, so building costs no
 * fresh memory once warm. */
typedef struct pqw_dict {
  pqw_values entries;   /* fixed kinds: copies; byte arrays: slices of the chunk's values */
  uint32_t *indices;    /* one per value of the chunk */
  int64_t plain_bytes;  /* pqw_plain_size(&entries) */
  int bit_width;        /* of the indices: at least 1 */
  /* storage, reused from build to build */
  int64_t indices_cap;
  uint8_t *entry_values;
  int64_t entry_values_cap; /* bytes */
  pqw_dict_slot *slots, *spare; /* the hash table, and room to rehash it into */
  int64_t slots_cap, spare_cap, mask;
  int64_t *first;       /* per entry: index of its first value */
  int64_t first_cap;
} pqw_dict;

/* Dictionary-encode v into d. *built is false when the dictionary's PLAIN size would pass
 * max_bytes (found out as soon as it does), or when v is empty or boolean (a dictionary
 * would not pay); d's results are then meaningless. */
cy_status pqw_dict_build(const pqw_values *v, int64_t max_bytes, pqw_dict *d, bool *built,
                         cy_error *err);
void pqw_dict_free(pqw_dict *d);

/* ---- statistics ---------------------------------------------------------------------- */

/* Min and max of a column chunk as Parquet statistics hold them: the PLAIN bytes of the
 * value (no length prefix for byte arrays). */
typedef struct pqw_minmax {
  bool has;                /* false when there is no non-null, non-NaN value */
  uint8_t min[16], max[16]; /* fixed kinds */
  int32_t len;             /* bytes of min / max for fixed kinds */
  pqw_slice min_bytes, max_bytes; /* PQW_BYTES: borrowed from the values */
} pqw_minmax;

/* Min and max of v in its kind's sort order. NaNs are ignored; a zero min is written as
 * -0.0 and a zero max as +0.0, as the format asks, so readers never skip wrongly. */
void pqw_minmax_compute(const pqw_values *v, pqw_minmax *out);

#endif
