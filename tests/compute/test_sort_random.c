/*
 * test_sort_random.c - cy_table_sort_indices, cy_table_sort and cy_table_top_k on
 * thousands of seeded random tables, against a reference written here: qsort of the row
 * numbers with a comparator that compares values by plain C (not the library's
 * comparison), breaking ties by row number, which is what a stable sort must give.
 *
 * Tables mix every key type, narrow and wide value ranges (packed and unpacked radix
 * sorts), many duplicates, nulls from none to all, NaN with odd payloads, -0.0, strings
 * with long shared prefixes and NUL bytes, and are sliced at a random offset. Sizes run
 * from empty to a few hundred thousand rows, so the comparison sort, the radix sort and
 * their threaded forms (on 1, 2 and 3 threads) are all checked.
 *
 *   CYLON_TEST_SEED=S   start from seed S (default 1); a failure prints its seed and case
 */
#include <math.h>
#include <stdint.h>

#include "test.h"

static cy_error err;

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t next(rng *r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t below(rng *r, uint64_t n) { return n ? next(r) % n : 0; }

/* ---------------------------------------------------------------------------------------
 * Random columns
 * ------------------------------------------------------------------------------------- */

static const cy_type_id TYPES[] = {CY_BOOL,    CY_INT8,      CY_INT16,       CY_INT32,
                                   CY_INT64,   CY_UINT8,     CY_UINT32,      CY_UINT64,
                                   CY_FLOAT32, CY_FLOAT64,   CY_UTF8,        CY_LARGE_UTF8,
                                   CY_BINARY,  CY_DATE32,    CY_TIMESTAMP,   CY_DECIMAL128};
#define NUM_TYPES (sizeof TYPES / sizeof TYPES[0])

static double special_double(rng *r) {
  static const double v[] = {0.0, -0.0, 1.5, -2.0, 1e300, -1e300, 5e-324, INFINITY, -INFINITY};
  uint64_t pick = below(r, 11);
  if (pick < 9) return v[pick];
  uint64_t bits = 0x7FF0000000000001ull | (next(r) & 0x800FFFFFFFFFFFFFull); /* a NaN */
  double d;
  memcpy(&d, &bits, 8);
  return d;
}

static void append_string(cy_builder *b, rng *r, uint64_t domain) {
  static const char alphabet[] = {'a', 'b', 0, (char)0xff, 'z'};
  char buf[64];
  int64_t prefix = (int64_t)below(r, 4) * 7 + (int64_t)below(r, 3); /* shared 'p's */
  int64_t len = prefix + (int64_t)below(r, domain < 8 ? 3 : 12);
  for (int64_t i = 0; i < len; i++)
    buf[i] = i < prefix ? 'p' : alphabet[below(r, domain < 8 ? 2 : 5)];
  OK(cy_builder_append_bytes(b, buf, len, &err));
}

/* One value: `domain` small gives many duplicates, 0 the type's whole range. */
static void append_value(cy_builder *b, rng *r, uint64_t domain) {
  int64_t small = (int64_t)below(r, domain) - (int64_t)(domain / 2);
  switch (b->type.id) {
    case CY_BOOL: OK(cy_builder_append_int(b, (int64_t)(next(r) & 1), &err)); break;
    case CY_INT8: OK(cy_builder_append_int(b, domain ? small % 100 : (int8_t)next(r), &err)); break;
    case CY_INT16: OK(cy_builder_append_int(b, domain ? small : (int16_t)next(r), &err)); break;
    case CY_INT32: case CY_DATE32:
      OK(cy_builder_append_int(b, domain ? small : (int32_t)next(r), &err));
      break;
    case CY_INT64: case CY_TIMESTAMP: {
      int64_t v = domain ? small : (int64_t)next(r);
      if (!domain && below(r, 10) == 0) v = below(r, 2) ? INT64_MAX : INT64_MIN;
      OK(cy_builder_append_int(b, v, &err));
      break;
    }
    case CY_UINT8:
      OK(cy_builder_append_uint(b, domain ? (uint64_t)small & 0x7f : next(r) & 0xff, &err));
      break;
    case CY_UINT32:
      OK(cy_builder_append_uint(b, domain ? (uint64_t)(small + 1000) : next(r) & 0xffffffff,
                                &err));
      break;
    case CY_UINT64: OK(cy_builder_append_uint(b, domain ? (uint64_t)small : next(r), &err)); break;
    case CY_FLOAT32: case CY_FLOAT64: {
      double d = domain ? (below(r, 4) == 0 ? special_double(r) : (double)small / 4)
                        : (double)(int64_t)next(r) * 1e-9;
      OK(cy_builder_append_double(b, d, &err));
      break;
    }
    case CY_DECIMAL128: {
      uint64_t lo = domain ? (uint64_t)small : next(r);
      OK(cy_builder_append_decimal128(b, lo, (int64_t)below(r, 3) - 1, &err));
      break;
    }
    default: append_string(b, r, domain); break;
  }
}

static cy_column *random_column(rng *r, cy_type_id id, int64_t n) {
  static const uint64_t domains[] = {0, 2, 5, 30, 1000};
  uint64_t domain = domains[below(r, 5)];
  int null_percent = (int)(below(r, 4) == 0 ? 0 : below(r, 3) == 0 ? 100 : below(r, 60));
  cy_type type = id == CY_TIMESTAMP ? cy_type_timestamp(CY_NANO, NULL)
                 : id == CY_DECIMAL128 ? cy_type_decimal128(38, 0) : cy_type_make(id);
  cy_builder b;
  cy_column *c = NULL;
  OK(cy_builder_init(&b, type, n, &err));
  for (int64_t i = 0; i < n; i++) {
    if ((int)below(r, 100) < null_percent) OK(cy_builder_append_null(&b, &err));
    else append_value(&b, r, domain);
  }
  OK(cy_builder_finish(&b, &c, &err));
  return c;
}

/* ---------------------------------------------------------------------------------------
 * The reference order
 * ------------------------------------------------------------------------------------- */

static int cmp3(double x, double y) { return x < y ? -1 : x > y; }

/* Compare valid values by plain C: NaN after everything, -0.0 == 0.0, bytes then length. */
static int ref_value(const cy_column *c, int64_t i, int64_t j) {
  const void *d = c->values ? cy_column_data(c) : NULL;
  switch (c->type.id) {
    case CY_BOOL: return (int)cy_column_bool(c, i) - (int)cy_column_bool(c, j);
    case CY_INT8: return cmp3(((const int8_t *)d)[i], ((const int8_t *)d)[j]);
    case CY_INT16: return cmp3(((const int16_t *)d)[i], ((const int16_t *)d)[j]);
    case CY_INT32: case CY_DATE32: return cmp3(((const int32_t *)d)[i], ((const int32_t *)d)[j]);
    case CY_UINT8: return cmp3(((const uint8_t *)d)[i], ((const uint8_t *)d)[j]);
    case CY_UINT32: return cmp3(((const uint32_t *)d)[i], ((const uint32_t *)d)[j]);
    case CY_INT64: case CY_TIMESTAMP: {
      int64_t x = ((const int64_t *)d)[i], y = ((const int64_t *)d)[j];
      return x < y ? -1 : x > y;
    }
    case CY_UINT64: {
      uint64_t x = ((const uint64_t *)d)[i], y = ((const uint64_t *)d)[j];
      return x < y ? -1 : x > y;
    }
    case CY_FLOAT32: case CY_FLOAT64: {
      double x = c->type.id == CY_FLOAT32 ? ((const float *)d)[i] : ((const double *)d)[i];
      double y = c->type.id == CY_FLOAT32 ? ((const float *)d)[j] : ((const double *)d)[j];
      if (isnan(x) || isnan(y)) return isnan(x) && isnan(y) ? 0 : isnan(x) ? 1 : -1;
      return cmp3(x, y);
    }
    case CY_DECIMAL128: {
      const uint8_t *p = d;
      __int128 x, y;
      memcpy(&x, p + 16 * i, 16);
      memcpy(&y, p + 16 * j, 16);
      return x < y ? -1 : x > y;
    }
    default: {
      int64_t la, lb;
      const uint8_t *a = cy_column_bytes(c, i, &la), *b = cy_column_bytes(c, j, &lb);
      for (int64_t k = 0; k < la && k < lb; k++)
        if (a[k] != b[k]) return a[k] < b[k] ? -1 : 1;
      return la < lb ? -1 : la > lb;
    }
  }
}

static const cy_table *g_table;
static const cy_sort_key *g_keys;
static int32_t g_nk;

static int ref_compare(const void *pa, const void *pb) {
  int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
  for (int32_t k = 0; k < g_nk; k++) {
    const cy_column *c = cy_table_column_by_name(g_table, g_keys[k].column);
    bool va = cy_column_is_valid(c, a), vb = cy_column_is_valid(c, b);
    if (va != vb) return (va ? 1 : -1) * (g_keys[k].nulls_first ? 1 : -1);
    if (!va) continue;
    int v = ref_value(c, a, b);
    if (v) return g_keys[k].descending ? -v : v;
  }
  return a < b ? -1 : a > b;
}

static int64_t *reference(const cy_table *t, const cy_sort_key *keys, int32_t nk) {
  int64_t *idx = malloc((size_t)(t->num_rows + 1) * sizeof(int64_t));
  for (int64_t i = 0; i < t->num_rows; i++) idx[i] = i;
  g_table = t;
  g_keys = keys;
  g_nk = nk;
  qsort(idx, (size_t)t->num_rows, sizeof(int64_t), ref_compare);
  return idx;
}

/* ---------------------------------------------------------------------------------------
 * One case
 * ------------------------------------------------------------------------------------- */

static const char *NAMES[] = {"c0", "c1", "c2", "c3"};

static int64_t random_rows(rng *r, uint64_t case_no) {
  if (case_no % 500 == 499) return 150000 + (int64_t)below(r, 150000); /* threaded paths */
  if (case_no % 10 == 9) return (int64_t)below(r, 5000);
  return (int64_t)below(r, 300);
}

static cy_table *random_table(rng *r, int64_t n, int32_t ncols) {
  int64_t skip = (int64_t)below(r, 20);
  cy_column *cols[4];
  for (int32_t c = 0; c < ncols; c++)
    cols[c] = random_column(r, TYPES[below(r, NUM_TYPES)], n + skip + 3);
  cy_table *t = NULL, *sl = NULL;
  OK(cy_table_make(ncols, NAMES, cols, &t, &err));
  for (int32_t c = 0; c < ncols; c++) cy_column_release(cols[c]);
  if (t) OK(cy_table_slice(t, skip, n, &sl, &err));
  cy_table_release(t);
  return sl;
}

static bool same(const int64_t *a, const int64_t *b, int64_t n) {
  return n == 0 || memcmp(a, b, (size_t)n * sizeof(int64_t)) == 0;
}

/* The sorted table and top-k against the reference order (through cy_table_equals). */
static bool check_tables(cy_table *t, const cy_sort_key *keys, int32_t nk, const int64_t *want,
                         rng *r) {
  cy_table *got = NULL, *expect = NULL, *top = NULL, *head = NULL;
  bool ok = false, top_ok = false;
  int64_t k = (int64_t)below(r, (uint64_t)t->num_rows + 3);
  if (below(r, 2)) k = (int64_t)below(r, 10);
  OK(cy_table_sort(t, keys, nk, &got, &err));
  OK(cy_table_take(t, want, t->num_rows, &expect, &err));
  if (got && expect) OK(cy_table_equals(got, expect, true, &ok, &err));
  OK(cy_table_top_k(t, keys, nk, k, &top, &err));
  if (expect) OK(cy_table_head(expect, k, &head, &err));
  if (top && head) OK(cy_table_equals(top, head, true, &top_ok, &err));
  if (!top_ok) fprintf(stderr, "top_k(%lld) differs\n", (long long)k);
  cy_table_release(got);
  cy_table_release(expect);
  cy_table_release(top);
  cy_table_release(head);
  return ok && top_ok;
}

static bool run_case(uint64_t seed, uint64_t case_no) {
  rng r = {seed * 1000003 + case_no};
  int64_t n = random_rows(&r, case_no);
  int32_t ncols = 1 + (int32_t)below(&r, 4);
  cy_table *t = random_table(&r, n, ncols);
  if (!t) return false;
  cy_sort_key keys[4];
  int32_t nk = 1 + (int32_t)below(&r, 3);
  for (int32_t k = 0; k < nk; k++)
    keys[k] = (cy_sort_key){NAMES[below(&r, (uint64_t)ncols)], below(&r, 2) == 1,
                            below(&r, 2) == 1};
  if (n >= 100000) cy_set_num_threads(1 + (int)(case_no / 500 % 3));
  int64_t *got = NULL, *want = reference(t, keys, nk);
  OK(cy_table_sort_indices(t, keys, nk, &got, &err));
  bool ok = got && same(got, want, n);
  if (ok && n < 5000) ok = check_tables(t, keys, nk, want, &r);
  cy_set_num_threads(0);
  if (!ok) {
    fprintf(stderr, "mismatch: seed %llu case %llu: %lld rows, keys", (unsigned long long)seed,
            (unsigned long long)case_no, (long long)n);
    for (int32_t k = 0; k < nk; k++) {
      char tn[64];
      const cy_column *c = cy_table_column_by_name(t, keys[k].column);
      fprintf(stderr, " %s(%s)%s%s", keys[k].column, cy_type_name(&c->type, tn, sizeof tn),
              keys[k].descending ? " desc" : "", keys[k].nulls_first ? " nulls first" : "");
    }
    fprintf(stderr, "\n");
    test_failures++;
  }
  free(got);
  free(want);
  cy_table_release(t);
  return ok;
}

/* Large tables built to reach the threaded paths on purpose: few distinct first keys
 * (big runs refined on all threads), many (batches of small runs), a null-heavy first
 * key (a big null group), and strings sharing long prefixes (many radix rounds). */
static void large_structured(uint64_t seed) {
  enum { N = 300000 };
  rng r = {seed};
  cy_builder few, many, nully, str;
  cy_column *cols[4];
  OK(cy_builder_init(&few, cy_type_make(CY_INT32), N, &err));
  OK(cy_builder_init(&many, cy_type_make(CY_INT64), N, &err));
  OK(cy_builder_init(&nully, cy_type_make(CY_FLOAT64), N, &err));
  OK(cy_builder_init(&str, cy_type_make(CY_UTF8), N, &err));
  for (int64_t i = 0; i < N; i++) {
    OK(cy_builder_append_int(&few, (int64_t)below(&r, 3), &err));
    OK(cy_builder_append_int(&many, (int64_t)below(&r, N / 4) - N / 8, &err));
    if (below(&r, 10) < 7) OK(cy_builder_append_null(&nully, &err));
    else OK(cy_builder_append_double(&nully, (double)below(&r, 50) / 2, &err));
    char buf[40];
    int len = snprintf(buf, sizeof buf, "shared-prefix-of-21/%llu",
                       (unsigned long long)below(&r, 5000));
    OK(cy_builder_append_bytes(&str, buf, len, &err));
  }
  OK(cy_builder_finish(&few, &cols[0], &err));
  OK(cy_builder_finish(&many, &cols[1], &err));
  OK(cy_builder_finish(&nully, &cols[2], &err));
  OK(cy_builder_finish(&str, &cols[3], &err));
  cy_table *t = NULL;
  OK(cy_table_make(4, NAMES, cols, &t, &err));
  for (int c = 0; c < 4; c++) cy_column_release(cols[c]);
  const cy_sort_key cases[][3] = {
      {{"c0", false, false}, {"c1", true, false}, {"c3", false, false}},
      {{"c1", false, false}, {"c0", true, false}, {NULL, false, false}},
      {{"c2", true, true}, {"c3", false, false}, {"c1", false, false}},
      {{"c3", true, false}, {"c2", false, false}, {NULL, false, false}},
  };
  for (int threads = 1; t && threads <= 3; threads++) {
    cy_set_num_threads(threads);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
      int32_t nk = cases[c][2].column ? 3 : 2;
      int64_t *got = NULL, *want = reference(t, cases[c], nk);
      OK(cy_table_sort_indices(t, cases[c], nk, &got, &err));
      if (!got || !same(got, want, N)) {
        fprintf(stderr, "large structured case %zu on %d threads differs\n", c, threads);
        test_failures++;
      }
      for (int64_t k = 1; k <= 1000; k *= 10) { /* the heap path of top_k */
        cy_table *top = NULL, *expect = NULL;
        bool equal = false;
        OK(cy_table_top_k(t, cases[c], nk, k, &top, &err));
        OK(cy_table_take(t, want, k, &expect, &err));
        if (top && expect) OK(cy_table_equals(top, expect, true, &equal, &err));
        if (!equal) {
          fprintf(stderr, "large structured case %zu: top_k(%lld) differs\n", c, (long long)k);
          test_failures++;
        }
        cy_table_release(top);
        cy_table_release(expect);
      }
      free(got);
      free(want);
    }
  }
  cy_set_num_threads(0);
  cy_table_release(t);
}

int main(void) {
  const char *env = getenv("CYLON_TEST_SEED");
  uint64_t seed = env ? strtoull(env, NULL, 10) : 1;
  int failed = 0;
  for (uint64_t c = 0; c < 3000 && failed < 5; c++) failed += !run_case(seed, c);
  large_structured(seed);
  TEST_MAIN_END();
}
