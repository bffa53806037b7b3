/*
 * groupby_direct.c - group-by on one 64-bit key with few distinct values, aggregating in
 * the same pass over the rows.
 *
 * When the groups are few enough for a table of them to stay in cache, partitioning the
 * rows by hash first (groupby.c) costs more than it saves: it writes every row number and
 * hash out and then gathers the values back through them. Here each thread takes a
 * contiguous range of rows and, a block at a time, numbers the block's keys through its own
 * open-addressing table (or, when the keys span a small range, a slot per key value) and
 * runs the aggregates over the block into its own per-group states. The threads' groups
 * are then numbered as one in order of first appearance and their states merged (cy_agg_merge), which is why only combinable aggregates take this
 * way. A thread that meets more than DIRECT_MAX_GROUPS groups stops them all and the caller
 * partitions instead (many groups: the partitioned tables fit in cache, these would not).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "compute/groupby.h"

enum { DIRECT_BLOCK = 2048, DIRECT_FIRST_SLOTS = 1024 };
#define DIRECT_MAX_GROUPS ((int64_t)1 << 18)
/* Keys spanning at most this many values index a thread's slots directly (2 MiB). */
#define DIRECT_DENSE_SPAN ((uint64_t)1 << 19)

/* One thread's groups and aggregate states. */
typedef struct local_groups {
  uint32_t *slots;     /* open addressing on the key's hash: group + 1, 0 when empty; or
                          with a small key range, indexed by key - lo_key */
  uint64_t mask;       /* slots - 1 */
  uint64_t *keys;      /* per group: the key's 64-bit value (0 for the null key) */
  uint32_t *first;     /* per group: its first row */
  int64_t count;       /* groups */
  uint32_t null_group; /* the null key's group, CY_NO_ROW until one is met */
  agg_state *states;   /* per aggregate, for up to DIRECT_MAX_GROUPS groups */
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
  if (L->count >= DIRECT_MAX_GROUPS) return false;
  *g = (uint32_t)L->count++;
  L->keys[*g] = key;
  L->first[*g] = (uint32_t)r;
  return true;
}

static cy_status direct_task(void *ctx, int64_t t, cy_error *err) {
  direct_job *j = ctx;
  local_groups *L = &j->locals[t];
  int64_t rows = j->k->rows, lo = rows * t / j->tasks, hi = rows * (t + 1) / j->tasks;
  const uint64_t *ints = j->k->ints;
  const uint8_t *nulls = j->k->null_rows;
  uint32_t gid[DIRECT_BLOCK];
  for (int64_t b = lo; b < hi; b += DIRECT_BLOCK) {
    if (atomic_load_explicit(&j->too_many, memory_order_relaxed)) return CY_OK;
    int64_t n = hi - b < DIRECT_BLOCK ? hi - b : DIRECT_BLOCK;
    for (int64_t e = 0; e < n; e++) {
      int64_t r = b + e;
      if (nulls && nulls[r]) {
        if (L->null_group == CY_NO_ROW && !new_group(L, 0, r, &L->null_group)) goto too_many;
        gid[e] = L->null_group;
        continue;
      }
      uint64_t key = ints[r];
      if (j->span) { /* a small range of keys: a slot for every key, no probing */
        uint32_t *slot = &L->slots[key - j->lo_key];
        if (*slot == 0) {
          if (!new_group(L, key, r, &gid[e])) goto too_many;
          *slot = gid[e] + 1;
        } else {
          gid[e] = *slot - 1;
        }
        continue;
      }
      uint64_t at = cy_hash_u64(key) & L->mask;
      for (;;) {
        uint32_t s = L->slots[at];
        if (s == 0) {
          if (!new_group(L, key, r, &gid[e])) goto too_many;
          L->slots[at] = gid[e] + 1;
          if ((uint64_t)L->count * 2 > L->mask + 1 && !grow_slots(L)) {
            cy_error_set(err, "out of memory grouping rows");
            return CY_ENOMEM;
          }
          break;
        }
        if (L->keys[s - 1] == key) {
          gid[e] = s - 1;
          break;
        }
        at = (at + 1) & L->mask;
      }
    }
    for (int32_t a = 0; a < j->nstates; a++)
      CY_RETURN_NOT_OK(cy_agg_run_rows(&L->states[a], gid, b, n, err));
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
  L->slots = calloc(span ? span : DIRECT_FIRST_SLOTS, sizeof(uint32_t));
  /* Room for the most groups up front: untouched pages cost nothing. */
  L->keys = malloc(DIRECT_MAX_GROUPS * sizeof(uint64_t));
  L->first = malloc(DIRECT_MAX_GROUPS * sizeof(uint32_t));
  L->states = calloc((size_t)nstates + 1, sizeof(agg_state));
  if (!L->slots || !L->keys || !L->first || !L->states) {
    cy_error_set(err, "out of memory grouping rows");
    return CY_ENOMEM;
  }
  for (int32_t a = 0; a < nstates; a++) {
    L->states[a].agg = proto[a].agg;
    L->states[a].col = proto[a].col;
    L->states[a].out_type = proto[a].out_type;
    CY_RETURN_NOT_OK(cy_agg_state_init(&L->states[a], DIRECT_MAX_GROUPS, err));
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

/* Number the threads' groups as one (thread 0's first, each in its order of first
 * appearance: so the groups come in the order their keys first appear in the table), then
 * merge each thread's states into states. */
static cy_status combine(direct_job *j, agg_state *states, int64_t *groups, uint32_t **first,
                         cy_error *err) {
  int64_t total = 0;
  for (int t = 0; t < j->tasks; t++) total += j->locals[t].count;
  uint64_t cap = 16;
  while (cap < (uint64_t)total * 2) cap <<= 1;
  uint32_t *slots = calloc(cap, sizeof(uint32_t));
  uint64_t *keys = malloc(((size_t)total + 1) * sizeof(uint64_t));
  uint32_t *firsts = malloc(((size_t)total + 1) * sizeof(uint32_t));
  uint32_t **to = calloc((size_t)j->tasks, sizeof(uint32_t *));
  cy_status st = slots && keys && firsts && to ? CY_OK : CY_ENOMEM;
  uint32_t count = 0, null_group = CY_NO_ROW;
  for (int t = 0; st == CY_OK && t < j->tasks; t++) {
    const local_groups *L = &j->locals[t];
    if ((to[t] = malloc(((size_t)L->count + 1) * sizeof(uint32_t))) == NULL) {
      st = CY_ENOMEM;
      break;
    }
    for (int64_t i = 0; i < L->count; i++) {
      if ((uint32_t)i == L->null_group) {
        if (null_group == CY_NO_ROW) {
          null_group = count++;
          firsts[null_group] = L->first[i];
        }
        to[t][i] = null_group;
        continue;
      }
      uint64_t key = L->keys[i], at = cy_hash_u64(key) & (cap - 1);
      for (;;) {
        uint32_t s = slots[at];
        if (s == 0) {
          slots[at] = count + 1;
          keys[count] = key;
          firsts[count] = L->first[i];
          to[t][i] = count++;
          break;
        }
        if (keys[s - 1] == key) {
          to[t][i] = s - 1;
          break;
        }
        at = (at + 1) & (cap - 1);
      }
    }
  }
  if (st != CY_OK) cy_error_set(err, "out of memory grouping rows");
  int32_t a = 0;
  for (; st == CY_OK && a < j->nstates; a++) {
    st = cy_agg_state_init(&states[a], count, err);
    for (int t = 0; st == CY_OK && t < j->tasks; t++)
      cy_agg_merge(&states[a], &j->locals[t].states[a], to[t], j->locals[t].count);
  }
  if (st != CY_OK) {
    for (int32_t b = 0; b < a; b++) cy_agg_state_reset(&states[b]);
    free(firsts);
  } else {
    *groups = count;
    *first = firsts;
  }
  for (int t = 0; to && t < j->tasks; t++) free(to[t]);
  free(to);
  free(slots);
  free(keys);
  return st;
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
  int tasks = k.rows < 65536 ? 1 : cy_num_threads();
  direct_job job = {&k, 0, 0, nstates, tasks, calloc((size_t)tasks, sizeof(local_groups)), 0};
  cy_status st = job.locals ? CY_OK : CY_ENOMEM;
  if (st == CY_OK) st = key_range(&job, err);
  if (st != CY_OK) cy_error_set(err, "out of memory grouping rows");
  for (int t = 0; st == CY_OK && t < tasks; t++)
    st = local_init(&job.locals[t], job.span, states, nstates, err);
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
