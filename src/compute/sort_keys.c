/*
 * sort_keys.c - sort keys: resolving them, normalising their values to 64-bit unsigned
 * integers for the radix sort, and comparing rows for the comparison sorts.
 *
 * Normalisation (see sort.h) makes one unsigned order stand for every type's order:
 *   signed integers, dates, timestamps   the sign bit flipped
 *   unsigned integers, bool               as they are
 *   floats                                -0.0 taken as 0.0 and every NaN as one NaN, then
 *                                         the IEEE bits flipped (all bits of a negative,
 *                                         the sign bit of a positive), so NaN comes after
 *                                         +inf as DuckDB orders it
 *   decimal128                            round 0: the high word, sign flipped; round 1:
 *                                         the low word
 *   strings and binary                    round r: bytes [7r, 7r + 7) big-endian, zero
 *                                         padded, then a byte holding how many bytes are
 *                                         left from 7r (capped at 8). A shorter string
 *                                         sorts first because its count byte is smaller
 *                                         where the padded bytes tie, and a count of 8
 *                                         says the string goes on into round r + 1.
 * A descending key complements the value, which reverses all of the above at once.
 * The comparison form (cy_sort_compare_rows) must order exactly as the normalised form
 * does, because the two are mixed: the radix sort splits, comparisons finish small groups.
 */
#include <math.h>
#include <stdlib.h>

#include "compute/sort.h"

#define SIGN_BIT 0x8000000000000000ull

cy_status cy_sort_resolve(const cy_table *table, const cy_sort_key *keys, int32_t n,
                          const char *what, cy_sort_col *out, cy_error *err) {
  if (n < 0 || (n > 0 && keys == NULL)) {
    cy_error_set(err, "%s: %d sort keys given%s", what, (int)n, n > 0 ? " but no key array" : "");
    return CY_EINVAL;
  }
  for (int32_t i = 0; i < n; i++) {
    int32_t c;
    const char *name = keys[i].column;
    CY_RETURN_NOT_OK(cy_find_columns(table, &name, 1, what, &c, err));
    out[i].col = table->columns[c];
    out[i].descending = keys[i].descending;
    out[i].nulls_first = keys[i].nulls_first;
  }
  return CY_OK;
}

int cy_sort_compare_rows(const cy_sort_col *keys, int32_t from, int32_t n, int64_t a,
                         int64_t b) {
  for (int32_t k = from; k < n; k++) {
    const cy_column *col = keys[k].col;
    bool va = cy_column_is_valid(col, a), vb = cy_column_is_valid(col, b);
    if (!va || !vb) {
      if (va == vb) continue;
      /* Null placement does not flip with the direction. */
      return (va ? 1 : -1) * (keys[k].nulls_first ? 1 : -1);
    }
    int c = cy_value_compare(col, a, col, b);
    if (c != 0) return keys[k].descending ? -c : c;
  }
  return 0;
}

/* ---------------------------------------------------------------------------------------
 * Normalisation
 * ------------------------------------------------------------------------------------- */

static inline uint64_t norm_double(double d) {
  if (d == 0.0) return SIGN_BIT; /* -0.0 sorts with 0.0 */
  if (isnan(d)) return 0xFFF8000000000000ull; /* one NaN, past +inf (0xFFF0...) */
  uint64_t u;
  memcpy(&u, &d, 8);
  return (u & SIGN_BIT) ? ~u : u | SIGN_BIT;
}

static inline uint64_t load_be64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

/* Round `round` of a string: 7 bytes then the count byte (see the header comment). */
static inline uint64_t norm_bytes(const uint8_t *p, int64_t len, int64_t round) {
  int64_t off = round * 7, left = len - off;
  if (left <= 0) return 0;
  uint8_t buf[8] = {0};
  memcpy(buf, p + off, (size_t)(left < 7 ? left : 7));
  return (load_be64(buf) & ~(uint64_t)0xFF) | (uint64_t)(left < 8 ? left : 8);
}

/* Rows come from `rows`, or are start, start + 1, ... when rows is NULL (a separate loop,
 * so the common whole-column case reads the column sequentially with no indirection). */
#define NORM_LOOP(T, EXPR)                                         \
  do {                                                             \
    const T *v = (const T *)col->values->data + col->offset;       \
    if (rows) {                                                    \
      for (int64_t i = 0; i < n; i++) {                            \
        T x = v[rows[i]];                                          \
        out[i] = (EXPR) ^ flip;                                    \
      }                                                            \
    } else {                                                       \
      v += start;                                                  \
      for (int64_t i = 0; i < n; i++) {                            \
        T x = v[i];                                                \
        out[i] = (EXPR) ^ flip;                                    \
      }                                                            \
    }                                                              \
  } while (0)

#define ROW(i) (rows ? rows[i] : start + (i))

void cy_sort_normalize(const cy_sort_col *key, const int64_t *rows, int64_t start, int64_t n,
                       int64_t round, uint64_t *out) {
  const cy_column *col = key->col;
  uint64_t flip = key->descending ? ~(uint64_t)0 : 0;
  switch (col->type.id) {
    case CY_BOOL:
      for (int64_t i = 0; i < n; i++) out[i] = (uint64_t)cy_column_bool(col, ROW(i)) ^ flip;
      break;
    case CY_INT8: NORM_LOOP(int8_t, (uint64_t)(int64_t)x ^ SIGN_BIT); break;
    case CY_INT16: NORM_LOOP(int16_t, (uint64_t)(int64_t)x ^ SIGN_BIT); break;
    case CY_INT32: case CY_DATE32: NORM_LOOP(int32_t, (uint64_t)(int64_t)x ^ SIGN_BIT); break;
    case CY_INT64: case CY_TIMESTAMP: NORM_LOOP(int64_t, (uint64_t)x ^ SIGN_BIT); break;
    case CY_UINT8: NORM_LOOP(uint8_t, (uint64_t)x); break;
    case CY_UINT16: NORM_LOOP(uint16_t, (uint64_t)x); break;
    case CY_UINT32: NORM_LOOP(uint32_t, (uint64_t)x); break;
    case CY_UINT64: NORM_LOOP(uint64_t, x); break;
    case CY_FLOAT32: NORM_LOOP(float, norm_double((double)x)); break;
    case CY_FLOAT64: NORM_LOOP(double, norm_double(x)); break;
    case CY_DECIMAL128: {
      /* Little-endian words: [2i] is the low word, [2i + 1] the signed high word. */
      const uint64_t *v = (const uint64_t *)col->values->data + 2 * col->offset;
      for (int64_t i = 0; i < n; i++)
        out[i] = (round == 0 ? v[2 * ROW(i) + 1] ^ SIGN_BIT : v[2 * ROW(i)]) ^ flip;
      break;
    }
    default: /* var-width */
      for (int64_t i = 0; i < n; i++) {
        int64_t len;
        const uint8_t *p = cy_column_bytes(col, ROW(i), &len);
        out[i] = norm_bytes(p, len, round) ^ flip;
      }
  }
}

#undef NORM_LOOP
#undef ROW

bool cy_sort_key_continues(const cy_sort_col *key, uint64_t v, int64_t round) {
  cy_type_id id = key->col->type.id;
  if (id == CY_DECIMAL128) return round == 0;
  if (!cy_type_is_var_width(id)) return false;
  if (key->descending) v = ~v;
  return (v & 0xFF) == 8;
}

/* ---------------------------------------------------------------------------------------
 * Comparison sort for small groups
 * ------------------------------------------------------------------------------------- */

#define INSERTION_MAX 16

static void insertion_sort(const cy_sort_col *keys, int32_t from, int32_t nk, int64_t *rows,
                           int64_t n) {
  for (int64_t i = 1; i < n; i++) {
    int64_t x = rows[i], j = i;
    /* Strictly greater only: equal rows keep their order. */
    while (j > 0 && cy_sort_compare_rows(keys, from, nk, rows[j - 1], x) > 0) {
      rows[j] = rows[j - 1];
      j--;
    }
    rows[j] = x;
  }
}

static void merge(const cy_sort_col *keys, int32_t from, int32_t nk, const int64_t *src,
                  int64_t mid, int64_t end, int64_t *dst) {
  int64_t i = 0, j = mid, o = 0;
  while (i < mid && j < end)
    dst[o++] = cy_sort_compare_rows(keys, from, nk, src[j], src[i]) < 0 ? src[j++] : src[i++];
  while (i < mid) dst[o++] = src[i++];
  while (j < end) dst[o++] = src[j++];
}

void cy_sort_rows_by_compare(const cy_sort_col *keys, int32_t from, int32_t nk,
                             int64_t *rows, int64_t *tmp, int64_t n) {
  for (int64_t s = 0; s < n; s += INSERTION_MAX)
    insertion_sort(keys, from, nk, rows + s, n - s < INSERTION_MAX ? n - s : INSERTION_MAX);
  int64_t *src = rows, *dst = tmp;
  for (int64_t width = INSERTION_MAX; width < n; width *= 2) {
    for (int64_t s = 0; s < n; s += 2 * width) {
      int64_t mid = s + width < n ? width : n - s;
      int64_t end = s + 2 * width < n ? 2 * width : n - s;
      merge(keys, from, nk, src + s, mid, end, dst + s);
    }
    int64_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != rows) memcpy(rows, src, (size_t)n * sizeof(int64_t));
}
