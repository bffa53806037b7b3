/*
 * hash_join_ordered.c - inner, left and right joins on one 64-bit key, probing in row order.
 *
 * When the build side (hash_join.c's choice: the smaller side of an inner join, the right
 * of a left join, the left of a right join) makes a table of modest size, partitioning both
 * sides by hash first costs more than it saves: it writes every probe row out once more,
 * and the output then gathers every probe column back through row numbers in partition
 * order, all over memory. Here the build side's keys go into one table - an array indexed
 * by key - lowest key when they span a small range (no hashing, no probing), else open
 * addressing - and the probe side's rows are looked up in order, a range of rows per task
 * on all threads: a first pass notes each row's first match and counts the output rows of
 * every range, a second writes each range's (probe, build) pairs at its place. The output
 * lists the probe rows in order (and a key's build rows in theirs), so its probe columns
 * are gathered front to back; when every probe row gives exactly one output row (distinct
 * build keys, and every probe row matched or kept by the outer join) the output shares the
 * probe side's columns and only the build side's are gathered.
 */
#include <stdlib.h>

#include "compute/hash_keys.h"
#include "compute/join.h"

enum { ORDERED_CHUNK = 65536 }; /* probe rows a task looks up */
enum { PROBE_AHEAD = 16 };      /* probe rows between a prefetch and its lookup */
/* Open addressing for at most this many build rows (a table of 16 bytes a slot, 2 slots a
 * row, stays within a few tens of MiB); larger build sides partition (hash_join.c). */
#define ORDERED_MAX_BUILD ((int64_t)1 << 21)
/* An array indexed by key for keys spanning at most this many values (and no more than a
 * few per build row, so that the array is not mostly empty). */
#define ORDERED_MAX_SPAN ((uint64_t)1 << 26)

typedef struct key_slot {
  uint64_t key;
  uint32_t row1; /* the key's first build row + 1; 0: empty */
} key_slot;

/* The build side's keys: each key's first row, and the next row of the same key. */
typedef struct build_table {
  uint64_t lo, span; /* span > 0: head[key - lo] */
  uint32_t *head;    /* direct index: per key value, its first build row + 1, or 0 */
  key_slot *slots;   /* else open addressing on the key's hash */
  uint64_t mask;
  uint32_t *next;    /* per build row: the next build row + 1 with its key, or 0 */
  bool dups;         /* some key has several build rows */
  int64_t head_bytes, slots_bytes, next_bytes;
} build_table;

static void build_reset(build_table *b) {
  cy_free(b->head, b->head_bytes);
  cy_free(b->slots, b->slots_bytes);
  cy_free(b->next, b->next_bytes);
  memset(b, 0, sizeof(*b));
}

/* A zeroed block from the accounted allocator: large ones come in huge pages, and are
 * reused from one join to the next, where calloc would map fresh pages every time. */
static void *zeroed(int64_t bytes) {
  void *p = cy_alloc(bytes);
  if (p) memset(p, 0, (size_t)bytes);
  return p;
}

/* The first build row + 1 with this key, or 0. */
static inline uint32_t build_lookup(const build_table *b, uint64_t key) {
  if (b->span) {
    uint64_t d = key - b->lo;
    return d < b->span ? b->head[d] : 0;
  }
  for (uint64_t at = cy_hash_u64(key) & b->mask;; at = (at + 1) & b->mask) {
    const key_slot *s = &b->slots[at];
    if (s->row1 == 0) return 0;
    if (s->key == key) return s->row1;
  }
}

/* Bring the place a lookup of key reads first into cache, ahead of the lookup: the table is
 * tens of MiB and the probe keys come in no order, so every lookup is a cache miss, which
 * the core otherwise waits for one at a time. */
static inline void build_prefetch(const build_table *b, uint64_t key) {
  if (b->span) {
    uint64_t d = key - b->lo;
    if (d < b->span) __builtin_prefetch(&b->head[d]);
  } else {
    __builtin_prefetch(&b->slots[cy_hash_u64(key) & b->mask]);
  }
}

/* Put every non-null build key in the table; rows go in from the last, each in front of
 * its key's chain, so that a key's rows chain in row order. */
static cy_status build_make(const hash_keys *k, bool dense, uint64_t lo, uint64_t span,
                            build_table *b, cy_error *err) {
  memset(b, 0, sizeof(*b));
  int64_t rows = k->rows;
  b->next_bytes = (rows + 1) * (int64_t)sizeof(uint32_t);
  b->next = cy_alloc(b->next_bytes);
  if (dense) {
    b->lo = lo;
    b->span = span;
    b->head_bytes = (int64_t)span * (int64_t)sizeof(uint32_t);
    b->head = zeroed(b->head_bytes);
  } else {
    uint64_t cap = 16;
    while (cap < (uint64_t)rows * 2) cap <<= 1;
    b->mask = cap - 1;
    b->slots_bytes = (int64_t)cap * (int64_t)sizeof(key_slot);
    b->slots = zeroed(b->slots_bytes);
  }
  if (!b->next || (dense ? !b->head : !b->slots)) {
    build_reset(b);
    cy_error_set(err, "out of memory building a join table of %lld rows", (long long)rows);
    return CY_ENOMEM;
  }
  const uint64_t *ints = k->ints;
  const uint8_t *nulls = k->null_rows;
  for (int64_t r = rows - 1; r >= 0; r--) {
    if (r >= PROBE_AHEAD) build_prefetch(b, ints[r - PROBE_AHEAD]); /* as the probe does */
    if (nulls && nulls[r]) continue;
    uint32_t *head;
    if (dense) {
      head = &b->head[ints[r] - lo];
    } else {
      uint64_t at = cy_hash_u64(ints[r]) & b->mask;
      while (b->slots[at].row1 != 0 && b->slots[at].key != ints[r]) at = (at + 1) & b->mask;
      b->slots[at].key = ints[r];
      head = &b->slots[at].row1;
    }
    b->dups |= *head != 0;
    b->next[r] = *head;
    *head = (uint32_t)r + 1;
  }
  return CY_OK;
}

typedef struct probe_job {
  const hash_keys *pk;
  const build_table *b;
  bool outer;        /* unmatched probe rows are kept (left / right join) */
  uint32_t *match;   /* per probe row: its first build row, or CY_NO_ROW */
  int64_t *counts;   /* per chunk: output rows, then (summed) where the chunk's pairs start */
  uint32_t *pidx, *bidx; /* the pairs (second pass) */
} probe_job;

static void chunk_rows(const probe_job *j, int64_t c, int64_t *a, int64_t *z) {
  *a = c * ORDERED_CHUNK;
  *z = *a + ORDERED_CHUNK < j->pk->rows ? *a + ORDERED_CHUNK : j->pk->rows;
}

/* First pass: every probe row's first match, and the chunk's output rows. */
static cy_status probe_count(void *ctx, int64_t c, cy_error *err) {
  (void)err;
  probe_job *j = ctx;
  const build_table *b = j->b;
  const uint64_t *ints = j->pk->ints;
  const uint8_t *nulls = j->pk->null_rows;
  int64_t a, z, out = 0;
  chunk_rows(j, c, &a, &z);
  for (int64_t r = a; r < z; r++) {
    /* Two steps ahead: the table's place for a later row, and (when keys repeat) the chain
     * of the row after it, whose place is in cache by now (a null row's key, some value,
     * is harmless to prefetch, but not looked up). */
    if (r + 2 * PROBE_AHEAD < z) build_prefetch(b, ints[r + 2 * PROBE_AHEAD]);
    if (b->dups && r + PROBE_AHEAD < z && !(nulls && nulls[r + PROBE_AHEAD])) {
      uint32_t ahead = build_lookup(b, ints[r + PROBE_AHEAD]);
      if (ahead != 0) __builtin_prefetch(&b->next[ahead - 1]);
    }
    uint32_t h = nulls && nulls[r] ? 0 : build_lookup(b, ints[r]);
    j->match[r] = h - 1; /* CY_NO_ROW for 0 */
    if (h == 0) {
      out += j->outer;
      continue;
    }
    if (!b->dups) {
      out++;
      continue;
    }
    for (uint32_t x = h; x != 0; x = b->next[x - 1]) out++;
  }
  j->counts[c] = out;
  return CY_OK;
}

/* Second pass: the chunk's pairs at their place. */
static cy_status probe_pairs(void *ctx, int64_t c, cy_error *err) {
  (void)err;
  probe_job *j = ctx;
  const build_table *b = j->b;
  int64_t a, z, o = j->counts[c];
  chunk_rows(j, c, &a, &z);
  for (int64_t r = a; r < z; r++) {
    if (b->dups && r + PROBE_AHEAD < z && j->match[r + PROBE_AHEAD] != CY_NO_ROW)
      __builtin_prefetch(&b->next[j->match[r + PROBE_AHEAD]]);
    uint32_t m = j->match[r];
    if (m == CY_NO_ROW) {
      if (j->outer) {
        j->pidx[o] = (uint32_t)r;
        j->bidx[o++] = CY_NO_ROW;
      }
      continue;
    }
    for (uint32_t x = m + 1; x != 0; x = b->dups ? b->next[x - 1] : 0) {
      j->pidx[o] = (uint32_t)r;
      j->bidx[o++] = x - 1;
    }
  }
  return CY_OK;
}

/* Whether the build side suits a table here: its keys' direct-index span, if small. */
static cy_status choose_table(const hash_keys *bk, bool *ok, bool *dense, uint64_t *lo,
                              uint64_t *span, cy_error *err) {
  key_bounds kb;
  CY_RETURN_NOT_OK(hash_keys_bounds(bk, cy_num_threads(), &kb, err));
  uint64_t most = (uint64_t)bk->rows * 4 + 65536;
  *dense = key_bounds_dense(&kb, most < ORDERED_MAX_SPAN ? most : ORDERED_MAX_SPAN, lo, span);
  *ok = *dense || bk->rows <= ORDERED_MAX_BUILD;
  return CY_OK;
}

cy_status cy_join_ordered(cy_table *left, cy_table *right, const int32_t *lk, const int32_t *rk,
                          const cy_type *types, const cy_join_options *o, cy_table **out,
                          bool *done, cy_error *err) {
  *done = false;
  cy_join_type type = o->type;
  if (o->num_keys != 1 || !(type == CY_JOIN_INNER || type == CY_JOIN_LEFT ||
                            type == CY_JOIN_RIGHT))
    return CY_OK;
  if (left->num_rows >= (int64_t)CY_NO_ROW || right->num_rows >= (int64_t)CY_NO_ROW)
    return CY_OK; /* the partitioned join says why not */
  bool left_builds = type == CY_JOIN_RIGHT ||
                     (type == CY_JOIN_INNER && left->num_rows < right->num_rows);
  cy_table *probe_t = left_builds ? right : left, *build_t = left_builds ? left : right;
  hash_keys pk, bk;
  memset(&pk, 0, sizeof pk);
  cy_status st = hash_keys_init(&bk, build_t, left_builds ? lk : rk, 1, types, err);
  bool ok = false, dense = false;
  uint64_t lo = 0, span = 0;
  if (st == CY_OK && bk.ints) st = choose_table(&bk, &ok, &dense, &lo, &span, err);
  if (st == CY_OK && ok) st = hash_keys_init(&pk, probe_t, left_builds ? rk : lk, 1, types, err);
  if (st != CY_OK || !ok || !pk.ints) {
    hash_keys_reset(&pk);
    hash_keys_reset(&bk);
    return st;
  }
  build_table b;
  st = build_make(&bk, dense, lo, span, &b, err);
  int64_t prows = pk.rows, chunks = (prows + ORDERED_CHUNK - 1) / ORDERED_CHUNK;
  int64_t match_bytes = (prows + 1) * (int64_t)sizeof(uint32_t), pairs = 0;
  probe_job job = {&pk, &b, type != CY_JOIN_INNER, NULL, NULL, NULL, NULL};
  if (st == CY_OK) {
    job.match = cy_alloc(match_bytes);
    job.counts = calloc((size_t)chunks + 1, sizeof(int64_t));
    if (!job.match || !job.counts) {
      cy_error_set(err, "out of memory joining");
      st = CY_ENOMEM;
    }
  }
  if (st == CY_OK) st = cy_parallel_for(chunks, probe_count, &job, err);
  for (int64_t c = 0; st == CY_OK && c < chunks; c++) {
    int64_t n = job.counts[c];
    job.counts[c] = pairs;
    pairs += n;
  }
  /* Every probe row once, in order: the probe side as it is, the matches as the build
   * side's rows (CY_NO_ROW for an outer join's unmatched rows). */
  bool as_is = st == CY_OK && !b.dups && pairs == prows;
  int64_t pair_bytes = (pairs + 1) * (int64_t)sizeof(uint32_t);
  if (st == CY_OK && !as_is) {
    job.pidx = cy_alloc(pair_bytes);
    job.bidx = cy_alloc(pair_bytes);
    if (!job.pidx || !job.bidx) {
      cy_error_set(err, "out of memory collecting %lld joined rows", (long long)pairs);
      st = CY_ENOMEM;
    }
    if (st == CY_OK) st = cy_parallel_for(chunks, probe_pairs, &job, err);
  }
  free(job.counts);
  build_reset(&b);
  hash_keys_reset(&pk);
  hash_keys_reset(&bk);
  if (st == CY_OK) {
    const uint32_t *pi = job.pidx, *bi = as_is ? job.match : job.bidx;
    st = cy_join_output_sharing(left, right, left_builds ? bi : pi, left_builds ? pi : bi,
                                as_is && !left_builds, as_is && left_builds, pairs, lk, rk, o,
                                out, err);
    *done = st == CY_OK;
  }
  cy_free(job.match, match_bytes);
  cy_free(job.pidx, pair_bytes);
  cy_free(job.bidx, pair_bytes);
  return st;
}
