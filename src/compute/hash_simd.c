/*
 * hash_simd.c - AVX-512 kernels for cy_hash_column's fixed-width loops (row.c).
 *
 * Hashing a key column is one splitmix64 finaliser (cy_hash_u64) a value, two 64-bit
 * multiplies each; the combine step for a further key column adds a third multiply and a
 * second finaliser. Scalar code does one value at a time; with AVX-512 (vpmullq, from
 * AVX512DQ) eight values go through each step together. The results must be bit-identical
 * to the scalar formulas in row.h: they place rows in hash tables and pick a row's
 * destination rank in the distributed shuffle, so every rank must agree whatever its CPU.
 *
 * The library is built for plain x86-64, so the kernels are compiled for AVX-512 on their
 * own (the target attribute) and chosen at run time by a CPU check. Without AVX-512, on
 * other architectures, or with another compiler, cy_hash_column_simd does nothing and
 * row.c's scalar loops hash every row. The kernels take whole blocks of 8 rows; row.c's
 * scalar loop finishes the remaining (fewer than 8) rows.
 */
#include "compute/row.h"
#include "compute/simd.h"

#ifdef CY_SIMD_X86
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512dq")))

/* The 64-bit constants as the intrinsics' signed lanes (the same bits). */
#define LANES(c) _mm512_set1_epi64((long long)(c))

/* cy_hash_u64 on eight lanes. */
AVX512 static inline __m512i fmix8(__m512i x) {
  x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 30));
  x = _mm512_mullo_epi64(x, LANES(0xBF58476D1CE4E5B9ull));
  x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 27));
  x = _mm512_mullo_epi64(x, LANES(0x94D049BB133111EBull));
  return _mm512_xor_si512(x, _mm512_srli_epi64(x, 31));
}

/* cy_hash_combine on eight lanes: running hashes h, value hashes x. */
AVX512 static inline __m512i combine8(__m512i h, __m512i x) {
  return fmix8(_mm512_add_epi64(_mm512_mullo_epi64(h, LANES(0x9E3779B97F4A7C15ull)), x));
}

/* row.c's double_bits on eight lanes of double bits: both zeros give +0.0's bits and every
 * NaN the one quiet NaN. On the bits without the sign, a zero is 0 and a NaN is anything
 * above infinity's. */
AVX512 static inline __m512i canonical_double_bits8(__m512i x) {
  __m512i magnitude = _mm512_and_si512(x, LANES(0x7fffffffffffffffull));
  x = _mm512_mask_mov_epi64(x, _mm512_cmpeq_epi64_mask(magnitude, _mm512_setzero_si512()),
                            _mm512_setzero_si512());
  return _mm512_mask_mov_epi64(x, _mm512_cmpgt_epu64_mask(magnitude, LANES(0x7ff0000000000000ull)),
                               LANES(0x7ff8000000000000ull));
}

/* Eight values of each type as the 64-bit words row.c hashes: signed integers sign-extended,
 * unsigned ones zero-extended, floats widened to double and made canonical. */
AVX512 static inline __m512i load8_u64(const void *p) { return _mm512_loadu_si512(p); }
AVX512 static inline __m512i load8_i32(const void *p) {
  return _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)p));
}
AVX512 static inline __m512i load8_u32(const void *p) {
  return _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)p));
}
AVX512 static inline __m512i load8_i16(const void *p) {
  return _mm512_cvtepi16_epi64(_mm_loadu_si128((const __m128i *)p));
}
AVX512 static inline __m512i load8_u16(const void *p) {
  return _mm512_cvtepu16_epi64(_mm_loadu_si128((const __m128i *)p));
}
AVX512 static inline __m512i load8_i8(const void *p) {
  return _mm512_cvtepi8_epi64(_mm_loadl_epi64((const __m128i *)p));
}
AVX512 static inline __m512i load8_u8(const void *p) {
  return _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)p));
}
AVX512 static inline __m512i load8_f64(const void *p) {
  return canonical_double_bits8(_mm512_loadu_si512(p));
}
AVX512 static inline __m512i load8_f32(const void *p) {
  return canonical_double_bits8(_mm512_castpd_si512(_mm512_cvtps_pd(_mm256_loadu_ps((const float *)p))));
}

/* The validity bits of the 8 rows from bit `bit` of a bitmap (1 = valid). The block's
 * last row is in the next byte when the first is not at a byte's start, so both bytes
 * read are the block's own. */
static inline uint8_t valid8(const uint8_t *bitmap, int64_t bit) {
  const uint8_t *p = bitmap + (bit >> 3);
  unsigned shift = (unsigned)(bit & 7), bits = p[0] >> shift;
  if (shift) bits |= (unsigned)p[1] << (8 - shift);
  return (uint8_t)bits;
}

/* One first-column and one combining kernel per value type T, over blocks * 8 rows; with
 * a validity bitmap (rows from bit `bit`), a null row's value hash is CY_HASH_NULL. */
#define KERNELS(NAME, T, LOAD)                                                              \
  AVX512 static inline __m512i NAME##_value_hashes(const T *v, const uint8_t *validity,    \
                                                   int64_t bit) {                          \
    __m512i x = fmix8(LOAD(v));                                                             \
    if (validity) x = _mm512_mask_mov_epi64(LANES(CY_HASH_NULL), valid8(validity, bit), x); \
    return x;                                                                               \
  }                                                                                         \
  AVX512 static void NAME##_first(const void *values, const uint8_t *validity, int64_t bit, \
                                  uint64_t *h, int64_t blocks) {                            \
    const T *v = values;                                                                    \
    for (int64_t b = 0; b < blocks; b++, v += 8, h += 8, bit += 8)                         \
      _mm512_storeu_si512(h, NAME##_value_hashes(v, validity, bit));                        \
  }                                                                                         \
  AVX512 static void NAME##_combine(const void *values, const uint8_t *validity,            \
                                    int64_t bit, uint64_t *h, int64_t blocks) {             \
    const T *v = values;                                                                    \
    for (int64_t b = 0; b < blocks; b++, v += 8, h += 8, bit += 8)                         \
      _mm512_storeu_si512(h, combine8(_mm512_loadu_si512(h),                                \
                                      NAME##_value_hashes(v, validity, bit)));              \
  }

KERNELS(u64, uint64_t, load8_u64)
KERNELS(i32, int32_t, load8_i32)
KERNELS(u32, uint32_t, load8_u32)
KERNELS(i16, int16_t, load8_i16)
KERNELS(u16, uint16_t, load8_u16)
KERNELS(i8, int8_t, load8_i8)
KERNELS(u8, uint8_t, load8_u8)
KERNELS(f64, double, load8_f64)
KERNELS(f32, float, load8_f32)

#undef KERNELS

int64_t cy_hash_column_simd(const cy_column *col, uint64_t *h, bool first) {
  void (*first_kernel)(const void *, const uint8_t *, int64_t, uint64_t *, int64_t);
  void (*combine_kernel)(const void *, const uint8_t *, int64_t, uint64_t *, int64_t);
  switch (col->type.id) {
#define USE(NAME) first_kernel = NAME##_first, combine_kernel = NAME##_combine; break
    case CY_INT64: case CY_UINT64: case CY_TIMESTAMP: USE(u64);
    case CY_INT32: case CY_DATE32: USE(i32);
    case CY_UINT32: USE(u32);
    case CY_INT16: USE(i16);
    case CY_UINT16: USE(u16);
    case CY_INT8: USE(i8);
    case CY_UINT8: USE(u8);
    case CY_FLOAT64: USE(f64);
    case CY_FLOAT32: USE(f32);
#undef USE
    default: return 0;
  }
  int64_t blocks = col->length / 8;
  if (blocks == 0 || !cy_cpu_avx512()) return 0;
  const uint8_t *values = col->values->data + col->offset * (cy_type_bit_width(col->type.id) / 8);
  const uint8_t *validity = col->null_count > 0 ? col->validity->data : NULL;
  (first ? first_kernel : combine_kernel)(values, validity, col->offset, h, blocks);
  return blocks * 8;
}

#else

int64_t cy_hash_column_simd(const cy_column *col, uint64_t *h, bool first) {
  (void)col, (void)h, (void)first;
  return 0;
}

#endif
