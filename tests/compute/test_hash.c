/*
 * test_hash.c - row hashes of fixed-width columns (cy_table_hash_rows, which hashes a
 * column at a time with cy_hash_column) against hashes computed here from the formula.
 *
 * The hashes place rows in hash tables and choose each row's rank in the distributed
 * shuffle, so they must be the same on every CPU: the AVX-512 kernels (hash_simd.c) must
 * give exactly what the scalar formula gives. The expectation is this file's own copy of
 * that formula: splitmix64's finaliser of the value's 64-bit word (integers sign- or
 * zero-extended; floats as doubles, both zeros alike and every NaN alike), a fixed word for
 * null, and the next column's hash mixed in as fmix(h * golden ratio + x). Every
 * fixed-width numeric type; lengths 0 to 70 (whole blocks of 8 and every tail); sliced
 * columns at offsets that are and are not multiples of 8; nulls; one and two key columns;
 * rows that differ only in the bytes under a null. All of it with the AVX-512 kernels (where
 * the CPU has them) and with the portable loops only.
 */
#include <math.h>

#include "test.h"

#include "compute/simd.h"

static cy_error err;

/* ---- the expectation ---- */

static uint64_t fmix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

static uint64_t mix_in(uint64_t h, uint64_t x) { return fmix64(h * 0x9E3779B97F4A7C15ull + x); }

static const uint64_t null_hash = 0x5bd1e9955bd1e995ull;

static uint64_t double_word(double d) {
  if (isnan(d)) return 0x7ff8000000000000ull; /* every NaN */
  if (d == 0) return 0;                     /* -0.0 too */
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

/* The 64-bit word a value of type id at p is hashed as. */
static uint64_t value_word(cy_type_id id, const uint8_t *p) {
  switch (id) {
    case CY_INT8: { int8_t x; memcpy(&x, p, sizeof x); return (uint64_t)(int64_t)x; }
    case CY_UINT8: return *p;
    case CY_INT16: { int16_t x; memcpy(&x, p, sizeof x); return (uint64_t)(int64_t)x; }
    case CY_UINT16: { uint16_t x; memcpy(&x, p, sizeof x); return x; }
    case CY_INT32: case CY_DATE32: { int32_t x; memcpy(&x, p, sizeof x); return (uint64_t)(int64_t)x; }
    case CY_UINT32: { uint32_t x; memcpy(&x, p, sizeof x); return x; }
    case CY_FLOAT32: { float x; memcpy(&x, p, sizeof x); return double_word(x); }
    case CY_FLOAT64: { double x; memcpy(&x, p, sizeof x); return double_word(x); }
    default: { uint64_t x; memcpy(&x, p, sizeof x); return x; } /* int64, uint64, timestamp */
  }
}

/* ---- the data ---- */

enum { MAX_LEN = 70, MAX_OFFSET = 13, ROWS = MAX_OFFSET + MAX_LEN };

static const cy_type_id types[] = {CY_INT8, CY_UINT8, CY_INT16, CY_UINT16, CY_INT32, CY_DATE32,
                                   CY_UINT32, CY_INT64, CY_UINT64, CY_TIMESTAMP, CY_FLOAT32,
                                   CY_FLOAT64};
enum { NUM_TYPES = sizeof types / sizeof types[0] };

static cy_type type_of(cy_type_id id) {
  return id == CY_TIMESTAMP ? cy_type_timestamp(CY_MICRO, NULL) : cy_type_make(id);
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next_random(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return rng;
}

/* ROWS values of each type: random bits, with the extremes of the integers and, for the
 * floats, both zeros, NaNs of either sign and several payloads, infinities and subnormals
 * spread over the positions so that they fall in every lane of a block and in tails. */
static uint8_t data[NUM_TYPES][ROWS * 8];
static uint8_t valid[ROWS];

static void make_data(void) {
  for (int t = 0; t < NUM_TYPES; t++) {
    int width = cy_type_bit_width(types[t]) / 8;
    for (int i = 0; i < ROWS; i++) {
      uint64_t r = next_random();
      memcpy(data[t] + i * width, &r, (size_t)width);
      if (types[t] == CY_FLOAT64) {
        static const uint64_t special[] = {0x8000000000000000ull, 0, 0x7ff8000000000000ull,
                                           0xfff8000000000000ull, 0x7ff0000000000001ull,
                                           0xfff123456789abcdull, 0x7ff0000000000000ull,
                                           0xfff0000000000000ull, 0x000fffffffffffffull,
                                           0x8000000000000001ull};
        if (i % 3 == 0) memcpy(data[t] + i * 8, &special[(i / 3) % 10], 8);
      } else if (types[t] == CY_FLOAT32) {
        static const uint32_t special[] = {0x80000000u, 0, 0x7fc00000u, 0xffc00000u,
                                           0x7f800001u, 0xff812345u, 0x7f800000u,
                                           0xff800000u, 0x007fffffu, 0x80000001u};
        if (i % 3 == 0) memcpy(data[t] + i * 4, &special[(i / 3) % 10], 4);
      } else if (i % 11 == 0) {
        memset(data[t] + i * width, 0xff, (size_t)width); /* -1 / the largest unsigned */
      } else if (i % 11 == 5) {
        memset(data[t] + i * width, 0, (size_t)width);
        data[t][i * width + width - 1] = 0x80; /* the most negative / 2^(bits - 1) */
      }
    }
  }
  for (int i = 0; i < ROWS; i++) valid[i] = (i * 7) % 5 != 0;
}

/* Rows [offset, offset + length) of type t's data as a slice of a column that ends where
 * the slice does (so reading past the slice reads past the buffer); with_nulls keeps the
 * nulls of valid[]. */
static cy_column *sliced(int t, int offset, int length, bool with_nulls) {
  cy_column *whole = NULL, *slice = NULL;
  OK(cy_column_from_values(type_of(types[t]), data[t], with_nulls ? valid : NULL, offset + length,
                           &whole, &err));
  if (whole) OK(cy_column_slice(whole, offset, length, &slice, &err));
  cy_column_release(whole);
  return slice;
}

/* Hash rows of columns a (and b, when not NULL: hashed second) and compare each row with
 * the formula; the columns are consumed. */
static void check_hashes(cy_column *a, int ta, int offset_a, bool nulls_a, cy_column *b, int tb,
                         int offset_b, bool nulls_b, int length) {
  if (!a || (tb >= 0 && !b)) {
    cy_column_release(a), cy_column_release(b);
    return;
  }
  const char *names[] = {"a", "b"};
  cy_column *cols[] = {a, b};
  int32_t n = b ? 2 : 1, which[] = {0, 1};
  cy_table *table = NULL;
  OK(cy_table_make(n, names, cols, &table, &err));
  cy_column_release(a), cy_column_release(b);
  if (!table) return;
  uint64_t *got = malloc(length > 0 ? (size_t)length * sizeof(uint64_t) : 1);
  OK(cy_table_hash_rows(table, which, n, got, &err));
  int wa = cy_type_bit_width(types[ta]) / 8, wb = b ? cy_type_bit_width(types[tb]) / 8 : 0;
  int bad = 0;
  for (int i = 0; i < length; i++) {
    int ra = offset_a + i, rb = offset_b + i;
    uint64_t want = nulls_a && !valid[ra] ? null_hash
                                          : fmix64(value_word(types[ta], data[ta] + ra * wa));
    if (b)
      want = mix_in(want, nulls_b && !valid[rb] ? null_hash
                                                : fmix64(value_word(types[tb], data[tb] + rb * wb)));
    if (got[i] != want && bad++ == 0)
      fprintf(stderr, "types %d/%d, offsets %d/%d, length %d, nulls %d: row %d hashes to %016llx, "
              "want %016llx\n", (int)types[ta], b ? (int)types[tb] : -1, offset_a, offset_b,
              length, (int)nulls_a, i, (unsigned long long)got[i], (unsigned long long)want);
  }
  CHECK(bad == 0);
  free(got);
  cy_table_release(table);
}

static const int offsets[] = {0, 1, 5, 8, 13};
enum { NUM_OFFSETS = sizeof offsets / sizeof offsets[0] };

/* One key column: every type, offset, length, with and without nulls. */
static void test_one_column(void) {
  for (int t = 0; t < NUM_TYPES; t++)
    for (int o = 0; o < NUM_OFFSETS; o++)
      for (int length = 0; length <= MAX_LEN; length++)
        for (int nulls = 0; nulls < 2; nulls++)
          check_hashes(sliced(t, offsets[o], length, nulls), t, offsets[o], nulls, NULL, -1, 0,
                       false, length);
}

/* Two key columns: each type hashed second (combined into an int64 column's hashes) and
 * each type hashed first with a float64 column combined in, at different offsets, with
 * nulls in either column or both. */
static void test_two_columns(void) {
  int int64_type = 7, float64_type = 11;
  CHECK(types[int64_type] == CY_INT64 && types[float64_type] == CY_FLOAT64);
  for (int t = 0; t < NUM_TYPES; t++)
    for (int o = 0; o < NUM_OFFSETS; o++)
      for (int length = 0; length <= MAX_LEN; length++) {
        int other = offsets[(o + 2) % NUM_OFFSETS];
        bool nulls_a = o % 2 == 0, nulls_b = o != 1;
        check_hashes(sliced(int64_type, other, length, nulls_a), int64_type, other, nulls_a,
                     sliced(t, offsets[o], length, nulls_b), t, offsets[o], nulls_b, length);
        check_hashes(sliced(t, offsets[o], length, nulls_a), t, offsets[o], nulls_a,
                     sliced(float64_type, other, length, nulls_b), float64_type, other, nulls_b,
                     length);
      }
}

/* Long enough for the kernels' main loop to matter: 100,003 int64 rows in two columns. */
static void test_long(void) {
  int64_t n = 100003;
  int64_t *k = malloc((size_t)n * sizeof *k);
  double *d = malloc((size_t)n * sizeof *d);
  for (int64_t i = 0; i < n; i++) k[i] = (int64_t)next_random(), d[i] = (double)(i % 1000) - 500.5;
  cy_column *cols[2] = {NULL, NULL};
  OK(cy_column_from_values(cy_type_make(CY_INT64), k, NULL, n, &cols[0], &err));
  OK(cy_column_from_values(cy_type_make(CY_FLOAT64), d, NULL, n, &cols[1], &err));
  const char *names[] = {"k", "d"};
  cy_table *table = NULL;
  OK(cy_table_make(2, names, cols, &table, &err));
  uint64_t *got = malloc((size_t)n * sizeof *got);
  int32_t which[] = {0, 1};
  if (table) {
    OK(cy_table_hash_rows(table, which, 2, got, &err));
    int64_t bad = 0;
    for (int64_t i = 0; i < n; i++)
      bad += got[i] != mix_in(fmix64((uint64_t)k[i]), fmix64(double_word(d[i])));
    CHECK_EQ_INT(bad, 0);
  }
  cy_table_release(table);
  cy_column_release(cols[0]), cy_column_release(cols[1]);
  free(got), free(k), free(d);
}

/* The bytes under a null are meaningless (an operator may leave anything there): rows
 * equal but for them hash alike, in any key column, and so group together. 20 rows of
 * (k = 1, v = null, s = null, b = null) with different bytes under each v; key orders
 * (k, v), (v, k) and (k, s, b, v). */
static void test_bytes_under_nulls(void) {
  enum { N = 20 };
  int64_t k[N], v[N];
  uint8_t none[N];
  const char *strings[N];
  for (int i = 0; i < N; i++) k[i] = 1, v[i] = (int64_t)next_random(), none[i] = 0, strings[i] = NULL;
  cy_column *cols[4] = {NULL, NULL, NULL, NULL};
  OK(cy_column_from_values(cy_type_make(CY_INT64), k, NULL, N, &cols[0], &err));
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, none, N, &cols[1], &err));
  OK(cy_column_from_strings(strings, N, &cols[2], &err));
  OK(cy_column_from_values(cy_type_make(CY_BOOL), none, none, N, &cols[3], &err));
  const char *names[] = {"k", "v", "s", "b"};
  cy_table *table = NULL;
  OK(cy_table_make(4, names, cols, &table, &err));
  for (int c = 0; c < 4; c++) cy_column_release(cols[c]);
  if (!table) return;
  static const int32_t orders[][4] = {{0, 1}, {1, 0}, {0, 2, 3, 1}};
  static const int32_t lengths[] = {2, 2, 4};
  uint64_t h[N];
  for (int o = 0; o < 3; o++) {
    OK(cy_table_hash_rows(table, orders[o], lengths[o], h, &err));
    uint64_t want = fmix64(1);
    if (o == 1) want = mix_in(null_hash, fmix64(1));
    for (int c = 1; o != 1 && c < lengths[o]; c++) want = mix_in(want, null_hash);
    int bad = 0;
    for (int i = 0; i < N; i++) bad += h[i] != want;
    CHECK_EQ_INT(bad, 0);
  }
  const char *by[] = {"k", "v"};
  cy_aggregate count = {"k", CY_AGG_COUNT_ALL, 0, NULL};
  cy_table *groups = NULL, *unique = NULL;
  OK(cy_table_groupby(table, by, 2, &count, 1, &groups, &err));
  if (groups) CHECK_EQ_INT(groups->num_rows, 1);
  OK(cy_table_unique(table, by, 2, CY_KEEP_FIRST, &unique, &err));
  if (unique) CHECK_EQ_INT(unique->num_rows, 1);
  cy_table_release(groups), cy_table_release(unique), cy_table_release(table);
}

int main(void) {
  make_data();
  for (int portable = 0; portable < 2; portable++) { /* AVX-512 where the CPU has it, then not */
    cy_simd_portable_only(portable);
    test_one_column();
    test_two_columns();
    test_long();
    test_bytes_under_nulls();
  }
  TEST_MAIN_END();
}
