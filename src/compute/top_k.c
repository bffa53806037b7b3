/*
 * top_k.c - the first k rows of a table's sorted order without sorting the whole table.
 *
 * Each thread scans a share of the rows keeping the best k it has seen in a binary heap
 * whose root is the worst of them, so most rows cost one comparison with the root: O(n log
 * k) in all. To make that comparison cheap, the first key is normalised a block of rows at
 * a time (sort_keys.c) and heap entries carry the word: rows are compared by (null rank,
 * word) and only on a tie by the full comparison of every key. The shares' survivors (at
 * most k per thread) are then sorted and the first k taken. Ties are broken by row
 * number, which makes the result exactly the first k rows of the stable sort. When k is
 * more than a small part of the table, the radix sort of everything is quicker, and that
 * is what runs.
 */
#include <stdlib.h>

#include "compute/sort.h"

#define MAX_SHARES 64
#define BLOCK 1024
#define HEAP_MAX_SHARE 256 /* the heap for k up to rows / 256 */

typedef struct entry {
  uint64_t word; /* the first key, normalised (meaningless for a null) */
  int64_t row;
  int rank;      /* 0 sorts before 1: a null's rank is 0 with nulls first, else 1 */
} entry;

typedef struct top_k_job {
  const cy_sort_col *keys;
  int32_t nk;
  int32_t tie_from; /* keys to compare when the words tie: 1 if the word is the whole key */
  int64_t num_rows, k;
  int shares;
  entry *heaps;             /* shares x k */
  int64_t size[MAX_SHARES]; /* entries in each heap */
} top_k_job;

/* Order of two entries in the stable sorted order. */
static int entry_compare(const top_k_job *j, const entry *a, const entry *b) {
  if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
  bool null = a->rank == (j->keys[0].nulls_first ? 0 : 1);
  if (!null && a->word != b->word) return a->word < b->word ? -1 : 1;
  int c = cy_sort_compare_rows(j->keys, null ? 1 : j->tie_from, j->nk, a->row, b->row);
  if (c) return c;
  return a->row < b->row ? -1 : a->row > b->row;
}

static void swap(entry *a, entry *b) {
  entry t = *a;
  *a = *b;
  *b = t;
}

/* Restore the heap (root = the entry that comes last) below position i. */
static void sift_down(const top_k_job *j, entry *h, int64_t n, int64_t i) {
  for (;;) {
    int64_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && entry_compare(j, &h[l], &h[m]) > 0) m = l;
    if (r < n && entry_compare(j, &h[r], &h[m]) > 0) m = r;
    if (m == i) return;
    swap(&h[i], &h[m]);
    i = m;
  }
}

static void sift_up(const top_k_job *j, entry *h, int64_t i) {
  while (i > 0) {
    int64_t p = (i - 1) / 2;
    if (entry_compare(j, &h[i], &h[p]) <= 0) return;
    swap(&h[i], &h[p]);
    i = p;
  }
}

static void offer(const top_k_job *j, entry *h, int64_t *n, const entry *e) {
  if (*n < j->k) {
    h[*n] = *e;
    sift_up(j, h, (*n)++);
  } else if (entry_compare(j, e, &h[0]) < 0) {
    h[0] = *e;
    sift_down(j, h, *n, 0);
  }
}

static cy_status top_k_share(void *ctx, int64_t s, cy_error *err) {
  top_k_job *j = ctx;
  const cy_sort_col *key = &j->keys[0];
  int null_rank = key->nulls_first ? 0 : 1;
  entry *h = j->heaps + s * j->k;
  int64_t n = 0;
  uint64_t words[BLOCK];
  int64_t b = j->num_rows * s / j->shares, e = j->num_rows * (s + 1) / j->shares;
  for (int64_t start = b; start < e; start += BLOCK) {
    int64_t len = e - start < BLOCK ? e - start : BLOCK;
    cy_sort_normalize(key, NULL, start, len, 0, words);
    for (int64_t i = 0; i < len; i++) {
      bool valid = cy_column_is_valid(key->col, start + i);
      entry x = {words[i], start + i, valid ? 1 - null_rank : null_rank};
      /* Most rows lose to the root on the word alone: skip the call for them. */
      if (n == j->k && valid && h[0].rank == x.rank && x.word > h[0].word) continue;
      offer(j, h, &n, &x);
    }
  }
  j->size[s] = n;
  return CY_OK;
}

/* The k first rows among the heaps' survivors, in order, into out[0, k). */
static cy_status pick(top_k_job *j, int64_t *out, cy_error *err) {
  int64_t total = 0;
  for (int s = 0; s < j->shares; s++) {
    memmove(j->heaps + total, j->heaps + s * j->k, (size_t)j->size[s] * sizeof(entry));
    total += j->size[s];
  }
  /* Popping the worst off a heap of all of them leaves the best k in order behind it. */
  for (int64_t i = (total - 2) / 2; i >= 0; i--) sift_down(j, j->heaps, total, i);
  for (int64_t n = total; n > 1; n--) {
    swap(&j->heaps[0], &j->heaps[n - 1]);
    sift_down(j, j->heaps, n - 1, 0);
  }
  for (int64_t i = 0; i < j->k; i++) out[i] = j->heaps[i].row;
  return CY_OK;
}

static cy_status top_k_heaps(cy_table *table, const cy_sort_col *keys, int32_t nk, int64_t k,
                             cy_table **out, cy_error *err) {
  int shares = cy_num_threads() < MAX_SHARES ? cy_num_threads() : MAX_SHARES;
  top_k_job *j = calloc(1, sizeof *j);
  int64_t *best = malloc((size_t)k * sizeof(int64_t));
  if (j) j->heaps = malloc((size_t)(shares * k) * sizeof(entry));
  cy_status st = CY_OK;
  if (!j || !best || !j->heaps) {
    cy_error_set(err, "top_k: out of memory for %lld rows", (long long)k);
    st = CY_ENOMEM;
  } else {
    cy_type_id id = keys[0].col->type.id;
    *j = (top_k_job){.keys = keys, .nk = nk, .num_rows = table->num_rows, .k = k,
                     .shares = shares, .heaps = j->heaps,
                     .tie_from = cy_type_is_var_width(id) || id == CY_DECIMAL128 ? 0 : 1};
    st = cy_parallel_for_n(shares, shares, top_k_share, j, err);
    if (st == CY_OK) st = pick(j, best, err);
    if (st == CY_OK) st = cy_table_take(table, best, k, out, err);
  }
  if (j) free(j->heaps);
  free(j);
  free(best);
  return st;
}

/* The first k rows of a full sort. */
static cy_status top_k_sorted(cy_table *table, const cy_sort_key *keys, int32_t n, int64_t k,
                              cy_table **out, cy_error *err) {
  int64_t *idx;
  CY_RETURN_NOT_OK(cy_table_sort_indices(table, keys, n, &idx, err));
  cy_status st = cy_table_take(table, idx, k < table->num_rows ? k : table->num_rows, out, err);
  free(idx);
  return st;
}

cy_status cy_table_top_k(cy_table *table, const cy_sort_key *keys, int32_t n, int64_t k,
                         cy_table **out, cy_error *err) {
  if (!table || !out) {
    cy_error_set(err, "top_k: %s is NULL", table ? "the output pointer" : "the table");
    return CY_EINVAL;
  }
  if (k < 0) {
    cy_error_set(err, "top_k: k is %lld; it must be 0 or more", (long long)k);
    return CY_EINVAL;
  }
  cy_sort_col *cols = malloc((n > 0 ? (size_t)n : 1) * sizeof *cols);
  if (!cols) {
    cy_error_set(err, "top_k: out of memory");
    return CY_ENOMEM;
  }
  cy_status st = cy_sort_resolve(table, keys, n, "top_k", cols, err);
  if (st == CY_OK && (k == 0 || n == 0))
    st = cy_table_head(table, k, out, err);
  else if (st == CY_OK && k <= table->num_rows / HEAP_MAX_SHARE)
    st = top_k_heaps(table, cols, n, k, out, err);
  else if (st == CY_OK)
    st = top_k_sorted(table, keys, n, k, out, err);
  free(cols);
  return st;
}
