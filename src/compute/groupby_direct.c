/*
 * groupby_direct.c - group-by on one 64-bit key with few distinct values, aggregating in
 * the same pass over the rows.
 *
 * When the groups are few enough for a table of them to stay in cache, partitioning the
 * rows by hash first (groupby.c) costs more than it saves: it writes every row number and
 * hash out and then gathers the values back through them. Here every thread reads all the
 * keys but owns only some of them (a share of the key range, or of the hash values), so
 * the threads' groups are disjoint: a block at a time, a thread numbers its own rows' keys
 * through its own table (a slot per key value when the keys span a small range, else open
 * addressing) and runs the aggregates over those rows into its own per-group states. Each
 * group's rows are thus seen by one thread in row order (float sums come out exactly as a
 * serial sum would), and the threads' groups and states are simply laid end to end. Only
 * aggregates that cy_agg_run_rows runs take this way. With open addressing, a thread that
 * meets more than DIRECT_HASH_GROUPS groups stops them all and the caller partitions
 * instead (with many groups, the partitions' tables fit in cache and these would not; the
 * limit is low so that little work is lost then).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "compute/groupby.h"

enum { DIRECT_BLOCK = 2048, DIRECT_FIRST_SLOTS = 1024 };
#define DIRECT_HASH_GROUPS ((int64_t)1 << 16)
/* Keys spanning at most this many values index the slots directly (2 MiB in all). */
#define DIRECT_DENSE_SPAN ((uint64_t)1 << 19)

/* One thread's groups and aggregate states. */
typedef struct local_groups {
  uint32_t *slots;     /* group + 1, 0 when empty: open addressing on the key's hash, or
                          with a small key range, indexed by key - lo_key - slot_lo */
  uint64_t mask;       /* slots - 1 (open addressing) */
  uint64_t slot_lo, slot_n; /* small key range: the thread's share of it */
  uint64_t *keys;      /* per group: the key's 64-bit value (0 for the null key) */
  uint32_t *first;     /* per group: its first row */
  int64_t count;       /* groups */
  uint32_t null_group; /* the null key's group (thread 0's), CY_NO_ROW until one is met */
  int64_t cap;         /* most groups: the share of the key range, or DIRECT_HASH_GROUPS */
  agg_state *states;   /* per aggregate, for cap groups */
} local_groups;

typedef struct direct_job {
  const hash_keys *k;
  uint64_t lo_key, span; /* span > 0: every key is in [lo_key, lo_key + span) */
  int32_t nstates;
  int tasks;
  local_groups *locals;
  atomic_int too_many; /* a thread met too many groups: everyone stops */
} direct_job;

/* Double the slots of L (load stays at most one half). */
static bool grow_slots(local_groups *L) {
  uint64_t cap = (L->mask + 1) * 2;
  uint32_t *slots = calloc(cap, sizeof(uint32_t));
  if (slots == NULL) return false;
  for (int64_t g = 0; g < L->count; g++) {
    if ((uint32_t)g == L->null_group) continue; /* not in the table */
    uint64_t at = cy_hash_u64(L->keys[g]) & (cap - 1);
    while (slots[at]) at = (at + 1) & (cap - 1);
    slots[at] = (uint32_t)g + 1;
  }
  free(L->slots);
  L->slots = slots;
  L->mask = cap - 1;
  return true;
}

/* A new group for row r with key value key; false when there are too many. */
static bool new_group(local_groups *L, uint64_t key, int64_t r, uint32_t *g) {
  if (L->count >= L->cap) return false;
  *g = (uint32_t)L->count++;
  L->keys[*g] = key;
  L->first[*g] = (uint32_t)r;
  return true;
}

/* Which of `tasks` threads owns a key by its hash (high bits: the low bits place it). */
static inline int64_t hash_owner(uint64_t h, int tasks) {
  return (int64_t)(((h >> 32) * (uint64_t)tasks) >> 32);
}

static cy_status direct_task(void *ctx, int64_t t, cy_error *err) {
  direct_job *j = ctx;
  local_groups *L = &j->locals[t];
  int64_t rows = j->k->rows;
  const uint64_t *ints = j->k->ints;
  const uint8_t *nulls = j->k->null_rows;
  uint32_t mine[DIRECT_BLOCK], gid[DIRECT_BLOCK];
  for (int64_t b = 0; b < rows; b += DIRECT_BLOCK) {
    if (atomic_load_explicit(&j->too_many, memory_order_relaxed)) return CY_OK;
    int64_t n = rows - b < DIRECT_BLOCK ? rows - b : DIRECT_BLOCK, m = 0;
    for (int64_t r = b; r < b + n; r++) {
      uint32_t g;
      if (nulls && nulls[r]) {
        if (t != 0) continue;
        if (L->null_group == CY_NO_ROW && !new_group(L, 0, r, &L->null_group)) goto too_many;
        g = L->null_group;
      } else if (j->span) { /* a small range of keys: a slot for every key, no probing */
        /* Without a branch on whose key it is (half the rows would mispredict): another
         * thread's key reads the extra slot past the end, which is never empty, and is
         * written down but not counted. */
        uint64_t key = ints[r], at = key - j->lo_key - L->slot_lo;
        bool own = at < L->slot_n;
        at = own ? at : L->slot_n;
        if (L->slots[at] == 0) {
          if (!new_group(L, key, r, &g)) goto too_many;
          L->slots[at] = g + 1;
        }
        mine[m] = (uint32_t)r;
        gid[m] = L->slots[at] - 1;
        m += own;
        continue;
      } else {
        uint64_t key = ints[r], h = cy_hash_u64(key);
        if (j->tasks > 1 && hash_owner(h, j->tasks) != t) continue;
        for (uint64_t at = h & L->mask;; at = (at + 1) & L->mask) {
          uint32_t s = L->slots[at];
          if (s == 0) {
            if (!new_group(L, key, r, &g)) goto too_many;
            L->slots[at] = g + 1;
            if ((uint64_t)L->count * 2 > L->mask + 1 && !grow_slots(L)) {
              cy_error_set(err, "out of memory grouping rows");
              return CY_ENOMEM;
            }
            break;
          }
          if (L->keys[s - 1] == key) {
            g = s - 1;
            break;
          }
        }
      }
      mine[m] = (uint32_t)r;
      gid[m++] = g;
    }
    for (int32_t a = 0; m > 0 && a < j->nstates; a++)
      CY_RETURN_NOT_OK(cy_agg_run_rows(&L->states[a], mine, gid, m, err));
  }
  return CY_OK;
too_many:
  atomic_store_explicit(&j->too_many, 1, memory_order_relaxed);
  return CY_OK;
}

static void local_reset(local_groups *L, int32_t nstates) {
  for (int32_t a = 0; L->states && a < nstates; a++) cy_agg_state_reset(&L->states[a]);
  free(L->states);
  free(L->slots);
  free(L->keys);
  free(L->first);
}

static cy_status local_init(local_groups *L, uint64_t span, const agg_state *proto,
                            int32_t nstates, cy_error *err) {
  L->mask = DIRECT_FIRST_SLOTS - 1;
  L->null_group = CY_NO_ROW;
  L->slots = calloc(span ? L->slot_n + 1 : DIRECT_FIRST_SLOTS, sizeof(uint32_t));
  if (span && L->slots) L->slots[L->slot_n] = 1; /* the extra slot: never empty */
  /* Room for the most groups up front: untouched pages cost nothing. */
  L->cap = span ? (int64_t)L->slot_n + 1 : DIRECT_HASH_GROUPS; /* + 1: the null key */
  L->keys = malloc((size_t)L->cap * sizeof(uint64_t));
  L->first = malloc((size_t)L->cap * sizeof(uint32_t));
  L->states = calloc((size_t)nstates + 1, sizeof(agg_state));
  if (!L->slots || !L->keys || !L->first || !L->states) {
    cy_error_set(err, "out of memory grouping rows");
    return CY_ENOMEM;
  }
  for (int32_t a = 0; a < nstates; a++) {
    L->states[a].agg = proto[a].agg;
    L->states[a].col = proto[a].col;
    L->states[a].out_type = proto[a].out_type;
    CY_RETURN_NOT_OK(cy_agg_state_init(&L->states[a], L->cap, err));
  }
  return CY_OK;
}

typedef struct range_job {
  const hash_keys *k;
  int tasks;
  uint64_t *lo, *hi; /* per task */
} range_job;

static cy_status range_task(void *ctx, int64_t t, cy_error *err) {
  (void)err;
  range_job *j = ctx;
  int64_t rows = j->k->rows, a = rows * t / j->tasks, b = rows * (t + 1) / j->tasks;
  const uint64_t *ints = j->k->ints;
  const uint8_t *nulls = j->k->null_rows;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (int64_t r = a; r < b; r++) {
    if (nulls && nulls[r]) continue;
    lo = ints[r] < lo ? ints[r] : lo;
    hi = ints[r] > hi ? ints[r] : hi;
  }
  j->lo[t] = lo;
  j->hi[t] = hi;
  return CY_OK;
}

/* When the key values (as unsigned 64-bit) span a range no larger than DIRECT_DENSE_SPAN,
 * set job->lo_key and job->span so that keys index the slots directly. */
static cy_status key_range(direct_job *job, cy_error *err) {
  uint64_t lo_t[64], hi_t[64];
  int tasks = job->tasks < 64 ? job->tasks : 64;
  range_job rj = {job->k, tasks, lo_t, hi_t};
  CY_RETURN_NOT_OK(cy_parallel_for_n(tasks, tasks, range_task, &rj, err));
  uint64_t lo = UINT64_MAX, hi = 0;
  for (int t = 0; t < tasks; t++) {
    lo = lo_t[t] < lo ? lo_t[t] : lo;
    hi = hi_t[t] > hi ? hi_t[t] : hi;
  }
  if (lo <= hi && hi - lo < DIRECT_DENSE_SPAN) {
    job->lo_key = lo;
    job->span = hi - lo + 1;
  }
  return CY_OK;
}

/* Lay the threads' groups end to end (they are disjoint) with their states. */
static cy_status combine(direct_job *j, agg_state *states, int64_t *groups, uint32_t **first,
                         cy_error *err) {
  int64_t total = 0;
  for (int t = 0; t < j->tasks; t++) total += j->locals[t].count;
  uint32_t *firsts = malloc(((size_t)total + 1) * sizeof(uint32_t));
  uint32_t *to = malloc(((size_t)total + 1) * sizeof(uint32_t));
  if (!firsts || !to) {
    free(firsts);
    free(to);
    cy_error_set(err, "out of memory grouping rows");
    return CY_ENOMEM;
  }
  for (int64_t g = 0; g < total; g++) to[g] = (uint32_t)g;
  cy_status st = CY_OK;
  int32_t a = 0;
  for (; st == CY_OK && a < j->nstates; a++) {
    st = cy_agg_state_init(&states[a], total, err);
    for (int t = 0, at = 0; st == CY_OK && t < j->tasks; at += (int)j->locals[t++].count)
      cy_agg_merge(&states[a], &j->locals[t].states[a], to + at, j->locals[t].count);
  }
  for (int t = 0, at = 0; t < j->tasks; at += (int)j->locals[t++].count)
    memcpy(firsts + at, j->locals[t].first, (size_t)j->locals[t].count * sizeof(uint32_t));
  free(to);
  if (st != CY_OK) {
    for (int32_t b = 0; b < a; b++) cy_agg_state_reset(&states[b]);
    free(firsts);
    return st;
  }
  *groups = total;
  *first = firsts;
  return CY_OK;
}

cy_status cy_groupby_direct(cy_table *table, int32_t key, agg_state *states, int32_t nstates,
                            int64_t *groups, uint32_t **first, bool *done, cy_error *err) {
  *done = false;
  *groups = 0;
  *first = NULL;
  if (table->num_rows >= (int64_t)CY_NO_ROW) return CY_OK; /* the caller says why not */
  for (int32_t a = 0; a < nstates; a++)
    if (!cy_agg_combinable(&states[a].agg, states[a].col)) return CY_OK;
  hash_keys k;
  CY_RETURN_NOT_OK(hash_keys_init(&k, table, &key, 1, NULL, err));
  if (k.ints == NULL) { /* not one 64-bit value per row */
    hash_keys_reset(&k);
    return CY_OK;
  }
  /* Every thread reads every key: worth it from a few blocks a thread. */
  int tasks = cy_num_threads();
  while (tasks > 1 && k.rows < (int64_t)tasks * 2 * DIRECT_BLOCK) tasks--;
  direct_job job = {&k, 0, 0, nstates, tasks, calloc((size_t)tasks, sizeof(local_groups)), 0};
  cy_status st = job.locals ? CY_OK : CY_ENOMEM;
  if (st == CY_OK) st = key_range(&job, err);
  if (st != CY_OK) cy_error_set(err, "out of memory grouping rows");
  for (int t = 0; st == CY_OK && t < tasks; t++) {
    local_groups *L = &job.locals[t];
    L->slot_lo = job.span * (uint64_t)t / (uint64_t)tasks;
    L->slot_n = job.span * (uint64_t)(t + 1) / (uint64_t)tasks - L->slot_lo;
    st = local_init(L, job.span, states, nstates, err);
  }
  if (st == CY_OK) st = cy_parallel_for_n(tasks, tasks, direct_task, &job, err);
  if (st == CY_OK && !atomic_load(&job.too_many)) {
    st = combine(&job, states, groups, first, err);
    *done = st == CY_OK;
  }
  for (int t = 0; job.locals && t < tasks; t++) local_reset(&job.locals[t], nstates);
  free(job.locals);
  hash_keys_reset(&k);
  return st;
}
