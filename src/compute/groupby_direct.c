/*
 * groupby_direct.c - group-by on one 64-bit key with few distinct values, aggregating in
 * the same pass over the rows.
 *
 * When the groups are few enough for a table of them to stay in cache, partitioning the
 * rows by hash first (groupby.c) costs more than it saves: it writes every row number and
 * hash out and then gathers the values back through them. Here the rows are split into one
 * range per thread; a block at a time, each thread numbers its range's keys through its
 * own table and runs the aggregates over them into its own per-group states, and at the
 * end the threads' partial states are combined group by group (cy_agg_merge) in thread
 * order, which is row order. Two ways to number the keys:
 *   - keys spanning a small range (as signed 64-bit values) index the states directly,
 *     group = key - lowest key (the null key one past the end): no probing, the combine
 *     is elementwise, and the groups come out in key order (integer keys, whose values the
 *     slots give, need no first rows either);
 *   - otherwise open addressing on the key's hash, groups numbered as they first appear;
 *     the combine looks every thread's groups up in one table, thread after thread, so the
 *     groups come out in the order of their first rows. A thread that meets more than
 *     DIRECT_HASH_GROUPS groups stops them all and the caller partitions instead (with many
 *     groups, the partitions' tables fit in cache and these would not; the limit is low so
 *     that little work is lost then).
 * The split depends only on the row and thread counts, so results are the same run to run;
 * a float sum is added up per range and the ranges' totals then in order, so it can differ
 * from a one-thread sum in the last bits. Only aggregates that cy_agg_run_range runs (and
 * cy_agg_merge combines) take this way.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "compute/groupby.h"

enum { DIRECT_BLOCK = 2048, DIRECT_FIRST_SLOTS = 1024 };
#define DIRECT_HASH_GROUPS ((int64_t)1 << 16)
/* Keys spanning at most this many values index the states directly. */
#define DIRECT_DENSE_SPAN ((uint64_t)1 << 19)

/* One thread's groups and aggregate states. */
typedef struct local_groups {
  uint32_t *slots;     /* open addressing: group + 1, 0 when empty */
  uint64_t mask;       /* slots - 1 */
  uint64_t *keys;      /* open addressing, per group: the key's 64-bit value */
  uint32_t *first;     /* per group: its first row (direct index: CY_NO_ROW until seen) */
  uint8_t *seen;       /* direct index by value: per slot, 1 once a row had that key */
  int64_t count;       /* open addressing: groups */
  uint32_t null_group; /* open addressing: the null key's group, CY_NO_ROW until one is met */
  int64_t cap;         /* most groups: span + 1 (direct index), or DIRECT_HASH_GROUPS */
  agg_state *states;   /* per aggregate, for cap groups */
} local_groups;

typedef struct direct_job {
  const hash_keys *k;
  uint64_t lo_key, span; /* span > 0: every key is in [lo_key, lo_key + span) (mod 2^64) */
  cy_type key_type;
  bool by_value; /* direct index of an integer key: the slot gives the key's value, so the
                    output keys are made from the slots (no first rows to track) */
  int32_t nstates;
  int32_t *follows; /* per aggregate: the mean it is had from (cy_agg_follows_mean), or -1 */
  int32_t counter;  /* by value: an aggregate that counts every row (cy_agg_counts_rows),
                       which tells the groups with rows without `seen`; or -1 */
  int tasks;
  local_groups *locals;
  atomic_int too_many; /* a thread met too many groups: everyone stops */
} direct_job;

/* Thread t's rows: [rows * t / tasks, rows * (t + 1) / tasks). */
static void task_rows(int64_t rows, int tasks, int64_t t, int64_t *a, int64_t *b) {
  *a = rows * t / tasks;
  *b = rows * (t + 1) / tasks;
}

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

/* Number rows [b, b + n) by direct index into gid. */
static void number_direct(const direct_job *j, local_groups *L, int64_t b, int64_t n,
                          uint32_t *gid) {
  const uint64_t *ints = j->k->ints;
  const uint8_t *nulls = j->k->null_rows;
  uint64_t lo = j->lo_key;
  if (j->by_value) { /* a byte store a row (none with a counter), no load to wait for */
    uint8_t *seen = L->seen;
    if (nulls == NULL && j->counter >= 0) {
      for (int64_t i = 0; i < n; i++) gid[i] = (uint32_t)(ints[b + i] - lo);
      return;
    }
    if (nulls == NULL) {
      for (int64_t i = 0; i < n; i++) {
        uint64_t g = ints[b + i] - lo;
        seen[g] = 1;
        gid[i] = (uint32_t)g;
      }
      return;
    }
    for (int64_t i = 0; i < n; i++) {
      uint64_t g = nulls[b + i] ? j->span : ints[b + i] - lo;
      if (j->counter < 0) seen[g] = 1;
      gid[i] = (uint32_t)g;
    }
    return;
  }
  uint32_t *first = L->first;
  for (int64_t i = 0; i < n; i++) {
    int64_t r = b + i;
    uint64_t g = nulls && nulls[r] ? j->span : ints[r] - lo;
    if (first[g] == CY_NO_ROW) first[g] = (uint32_t)r;
    gid[i] = (uint32_t)g;
  }
}

/* Number rows [b, b + n) by open addressing into gid; false when there are too many
 * groups (or no memory: *err_st says which). */
static bool number_hashed(const direct_job *j, local_groups *L, int64_t b, int64_t n,
                          uint32_t *gid, cy_status *err_st) {
  const uint64_t *ints = j->k->ints;
  const uint8_t *nulls = j->k->null_rows;
  for (int64_t i = 0; i < n; i++) {
    int64_t r = b + i;
    uint32_t g = 0;
    if (nulls && nulls[r]) {
      if (L->null_group == CY_NO_ROW && !new_group(L, 0, r, &L->null_group)) return false;
      gid[i] = L->null_group;
      continue;
    }
    uint64_t key = ints[r], h = cy_hash_u64(key);
    for (uint64_t at = h & L->mask;; at = (at + 1) & L->mask) {
      uint32_t s = L->slots[at];
      if (s == 0) {
        if (!new_group(L, key, r, &g)) return false;
        L->slots[at] = g + 1;
        if ((uint64_t)L->count * 2 > L->mask + 1 && !grow_slots(L)) {
          *err_st = CY_ENOMEM;
          return false;
        }
        break;
      }
      if (L->keys[s - 1] == key) {
        g = s - 1;
        break;
      }
    }
    gid[i] = g;
  }
  return true;
}

static cy_status direct_task(void *ctx, int64_t t, cy_error *err) {
  direct_job *j = ctx;
  local_groups *L = &j->locals[t];
  int64_t a, b;
  task_rows(j->k->rows, j->tasks, t, &a, &b);
  uint32_t gid[DIRECT_BLOCK];
  for (int64_t at = a; at < b; at += DIRECT_BLOCK) {
    if (atomic_load_explicit(&j->too_many, memory_order_relaxed)) return CY_OK;
    int64_t n = b - at < DIRECT_BLOCK ? b - at : DIRECT_BLOCK;
    if (j->span) {
      number_direct(j, L, at, n, gid);
    } else {
      cy_status st = CY_OK;
      if (!number_hashed(j, L, at, n, gid, &st)) {
        if (st != CY_OK) {
          cy_error_set(err, "out of memory grouping rows");
          return st;
        }
        atomic_store_explicit(&j->too_many, 1, memory_order_relaxed);
        return CY_OK;
      }
    }
    for (int32_t s = 0; s < j->nstates; s++)
      if (j->follows[s] < 0) CY_RETURN_NOT_OK(cy_agg_run_range(&L->states[s], at, gid, n, err));
  }
  int64_t groups = j->span ? (int64_t)j->span + 1 : L->count;
  for (int32_t s = 0; s < j->nstates; s++)
    if (j->follows[s] >= 0) cy_agg_from_mean(&L->states[s], &L->states[j->follows[s]], groups);
  return CY_OK;
}

static void local_reset(local_groups *L, int32_t nstates) {
  for (int32_t a = 0; L->states && a < nstates; a++) cy_agg_state_reset(&L->states[a]);
  free(L->states);
  free(L->slots);
  free(L->keys);
  free(L->first);
  free(L->seen);
}

static cy_status local_init(local_groups *L, uint64_t span, bool by_value,
                            const agg_state *proto, int32_t nstates, cy_error *err) {
  L->mask = DIRECT_FIRST_SLOTS - 1;
  L->null_group = CY_NO_ROW;
  /* Room for the most groups up front: untouched pages cost nothing. */
  L->cap = span ? (int64_t)span + 1 : DIRECT_HASH_GROUPS; /* + 1: the null key */
  if (by_value)
    L->seen = calloc((size_t)L->cap, 1);
  else
    L->first = malloc((size_t)L->cap * sizeof(uint32_t));
  if (span == 0) {
    L->slots = calloc(DIRECT_FIRST_SLOTS, sizeof(uint32_t));
    L->keys = malloc((size_t)L->cap * sizeof(uint64_t));
  }
  L->states = calloc((size_t)nstates + 1, sizeof(agg_state));
  if (!(by_value ? (void *)L->seen : (void *)L->first) || !L->states ||
      (span == 0 && (!L->slots || !L->keys))) {
    cy_error_set(err, "out of memory grouping rows");
    return CY_ENOMEM;
  }
  if (span && !by_value) memset(L->first, 0xff, (size_t)L->cap * sizeof(uint32_t)); /* NO_ROW */
  for (int32_t a = 0; a < nstates; a++) {
    L->states[a].agg = proto[a].agg;
    L->states[a].col = proto[a].col;
    L->states[a].out_type = proto[a].out_type;
    CY_RETURN_NOT_OK(cy_agg_state_init(&L->states[a], L->cap, err));
  }
  return CY_OK;
}

/* When the keys span no more than DIRECT_DENSE_SPAN values, set job->lo_key and job->span
 * so that keys index the states directly. */
static cy_status key_range(direct_job *job, cy_error *err) {
  key_bounds kb;
  CY_RETURN_NOT_OK(hash_keys_bounds(job->k, cy_num_threads(), &kb, err));
  if (!key_bounds_dense(&kb, DIRECT_DENSE_SPAN, &job->lo_key, &job->span)) job->span = 0;
  return CY_OK;
}

static cy_status oom(cy_error *err) {
  cy_error_set(err, "out of memory grouping rows");
  return CY_ENOMEM;
}

/* Combine the threads' states into states[] for `groups` groups, given where each thread's
 * local groups go: to[] lists the threads' local groups end to end, or with slots > 0 is
 * one list of `slots` entries that every thread shares (direct index). A local group that
 * is no group goes to index `groups`, a spare state past the end. */
static cy_status merge_states(direct_job *j, agg_state *states, int64_t groups,
                              const uint32_t *to, int64_t slots, cy_error *err) {
  cy_status st = CY_OK;
  int32_t a = 0;
  for (; st == CY_OK && a < j->nstates; a++) {
    st = cy_agg_state_init(&states[a], groups, err);
    int64_t at = 0;
    for (int t = 0; st == CY_OK && t < j->tasks; t++) {
      int64_t n = slots ? slots : j->locals[t].count;
      cy_agg_merge(&states[a], &j->locals[t].states[a], to + at, n);
      at += slots ? 0 : n;
    }
  }
  if (st != CY_OK)
    for (int32_t b = 0; b < a; b++) cy_agg_state_reset(&states[b]);
  return st;
}

/* The key column of direct-index groups by value: slot s holds key lo_key + s, the last
 * slot the null key; slots[0..groups) are the groups' slots. */
static cy_status keys_from_slots(const direct_job *j, const uint32_t *slots, int64_t groups,
                                 cy_column **out, cy_error *err) {
  int width = cy_type_bit_width(j->key_type.id) / 8;
  uint8_t *values = malloc(((size_t)groups + 1) * (size_t)width);
  uint8_t *valid = malloc((size_t)groups + 1);
  if (!values || !valid) {
    free(values);
    free(valid);
    return oom(err);
  }
  for (int64_t g = 0; g < groups; g++) {
    /* The 64-bit value narrowed to the key's width (it was widened from it). */
    uint64_t v = j->lo_key + slots[g];
    valid[g] = slots[g] != j->span;
    switch (width) {
      case 1: values[g] = (uint8_t)v; break;
      case 2: ((uint16_t *)values)[g] = (uint16_t)v; break;
      case 4: ((uint32_t *)values)[g] = (uint32_t)v; break;
      default: ((uint64_t *)values)[g] = v; break;
    }
  }
  cy_status st = cy_column_from_values(j->key_type, values, valid, groups, out, err);
  free(values);
  free(valid);
  return st;
}

/* Thread L's mark for slot s: its first row there or, by value, s itself once it has rows
 * there; CY_NO_ROW when it has none. */
static uint32_t slot_mark(const direct_job *j, const local_groups *L, int64_t s) {
  if (!j->by_value) return L->first[s];
  bool has_rows = j->counter >= 0 ? cy_agg_rows_in(&L->states[j->counter], s) > 0
                                  : L->seen[s] != 0;
  return has_rows ? (uint32_t)s : CY_NO_ROW;
}

/* Direct index: a group for every slot some thread saw, in slot (key) order, and either
 * each group's first row (*first) or the key column itself (*keys, by value). */
static cy_status combine_direct(direct_job *j, agg_state *states, int64_t *groups,
                                uint32_t **first, cy_column **keys, cy_error *err) {
  int64_t slots = (int64_t)j->span + 1;
  uint32_t *firsts = malloc(((size_t)slots + 1) * sizeof(uint32_t)); /* or slots, by value */
  uint32_t *to = malloc((size_t)slots * sizeof(uint32_t));
  if (!firsts || !to) {
    free(firsts);
    free(to);
    return oom(err);
  }
  int64_t total = 0;
  for (int64_t s = 0; s < slots; s++) {
    uint32_t f = CY_NO_ROW;
    for (int t = 0; t < j->tasks && f == CY_NO_ROW; t++) f = slot_mark(j, &j->locals[t], s);
    to[s] = f == CY_NO_ROW ? CY_NO_ROW : (uint32_t)total;
    if (f != CY_NO_ROW) firsts[total++] = f;
  }
  for (int64_t s = 0; s < slots; s++)
    if (to[s] == CY_NO_ROW) to[s] = (uint32_t)total; /* the spare state */
  cy_status st = merge_states(j, states, total, to, slots, err);
  free(to);
  if (st == CY_OK && j->by_value) {
    st = keys_from_slots(j, firsts, total, keys, err);
    if (st != CY_OK)
      for (int32_t a = 0; a < j->nstates; a++) cy_agg_state_reset(&states[a]);
    free(firsts);
    firsts = NULL;
  }
  if (st != CY_OK) {
    free(firsts);
    return st;
  }
  *groups = total;
  *first = firsts;
  return CY_OK;
}

/* Open addressing: every thread's groups looked up in one table, thread after thread. */
static cy_status combine_hashed(direct_job *j, agg_state *states, int64_t *groups,
                                uint32_t **first, cy_error *err) {
  int64_t locals = 0;
  for (int t = 0; t < j->tasks; t++) locals += j->locals[t].count;
  uint64_t cap = 16;
  while (cap < (uint64_t)locals * 2) cap <<= 1;
  uint32_t *slots = calloc(cap, sizeof(uint32_t)); /* group + 1 */
  uint64_t *keys = malloc(((size_t)locals + 1) * sizeof(uint64_t));
  uint32_t *firsts = malloc(((size_t)locals + 1) * sizeof(uint32_t));
  uint32_t *to = malloc(((size_t)locals + 1) * sizeof(uint32_t));
  if (!slots || !keys || !firsts || !to) {
    free(slots);
    free(keys);
    free(firsts);
    free(to);
    return oom(err);
  }
  uint32_t total = 0, null_group = CY_NO_ROW;
  int64_t at = 0;
  for (int t = 0; t < j->tasks; t++) {
    const local_groups *L = &j->locals[t];
    for (int64_t g = 0; g < L->count; g++, at++) {
      if ((uint32_t)g == L->null_group) {
        if (null_group == CY_NO_ROW) {
          null_group = total;
          firsts[total++] = L->first[g];
        }
        to[at] = null_group;
        continue;
      }
      uint64_t key = L->keys[g], s = cy_hash_u64(key) & (cap - 1);
      while (slots[s] != 0 && keys[slots[s] - 1] != key) s = (s + 1) & (cap - 1);
      if (slots[s] == 0) {
        keys[total] = key;
        firsts[total] = L->first[g];
        slots[s] = ++total;
      }
      to[at] = slots[s] - 1;
    }
  }
  free(slots);
  free(keys);
  cy_status st = merge_states(j, states, total, to, 0, err);
  free(to);
  if (st != CY_OK) {
    free(firsts);
    return st;
  }
  *groups = total;
  *first = firsts;
  return CY_OK;
}

cy_status cy_groupby_direct(cy_table *table, int32_t key, agg_state *states, int32_t nstates,
                            int64_t *groups, uint32_t **first, cy_column **keys, bool *done,
                            cy_error *err) {
  *done = false;
  *groups = 0;
  *first = NULL;
  *keys = NULL;
  if (table->num_rows >= (int64_t)CY_NO_ROW) return CY_OK; /* the caller says why not */
  for (int32_t a = 0; a < nstates; a++)
    if (!cy_agg_combinable(&states[a].agg, states[a].col)) return CY_OK;
  hash_keys k;
  CY_RETURN_NOT_OK(hash_keys_init(&k, table, &key, 1, NULL, err));
  if (k.ints == NULL) { /* not one 64-bit value per row */
    hash_keys_reset(&k);
    return CY_OK;
  }
  direct_job job;
  memset(&job, 0, sizeof job);
  job.k = &k;
  job.nstates = nstates;
  /* A sum or count of a column that also has a mean comes from the mean's running sum and
   * count: one state fewer to update a row. */
  job.follows = malloc(((size_t)nstates + 1) * sizeof(int32_t));
  if (job.follows == NULL) {
    hash_keys_reset(&k);
    return oom(err);
  }
  job.counter = -1;
  for (int32_t a = 0; a < nstates; a++) {
    if (job.counter < 0 && cy_agg_counts_rows(&states[a])) job.counter = a;
    job.follows[a] = -1;
    for (int32_t b = 0; b < nstates && job.follows[a] < 0; b++)
      if (cy_agg_follows_mean(&states[a], &states[b])) job.follows[a] = b;
  }
  job.tasks = cy_num_threads();
  atomic_init(&job.too_many, 0);
  cy_status st = key_range(&job, err);
  job.key_type = table->columns[key]->type;
  cy_type_id kt = job.key_type.id;
  job.by_value = job.span && (cy_type_is_integer(kt) || kt == CY_DATE32 || kt == CY_TIMESTAMP);
  /* Every thread has its own states (a slot per key with a direct index) and the combine
   * reads them all: a range of at least a block, and of a quarter of the slots, a thread. */
  int64_t least = job.span / 4 > DIRECT_BLOCK ? (int64_t)job.span / 4 : DIRECT_BLOCK;
  while (job.tasks > 1 && k.rows < (int64_t)job.tasks * least) job.tasks--;
  int tasks = job.tasks;
  if (st == CY_OK && (job.locals = calloc((size_t)tasks, sizeof(local_groups))) == NULL)
    st = oom(err);
  for (int t = 0; st == CY_OK && t < tasks; t++)
    st = local_init(&job.locals[t], job.span, job.by_value, states, nstates, err);
  if (st == CY_OK) st = cy_parallel_for_n(tasks, tasks, direct_task, &job, err);
  if (st == CY_OK && !atomic_load(&job.too_many)) {
    st = job.span ? combine_direct(&job, states, groups, first, keys, err)
                  : combine_hashed(&job, states, groups, first, err);
    *done = st == CY_OK;
  }
  for (int t = 0; job.locals && t < tasks; t++) local_reset(&job.locals[t], nstates);
  free(job.locals);
  free(job.follows);
  hash_keys_reset(&k);
  return st;
}
