/*
 * hash_join.c - joins: inner, left, right, full outer, semi and anti, by hashing.
 *
 * Both sides' rows are radix-partitioned by key hash (hash_keys.c), so a partition of the
 * build side makes a hash table small enough for cache, and partitions are joined on all
 * threads independently. Each partition's table chains the build rows of equal keys; the
 * probe rows of the same partition look their key up and emit (probe, build) row pairs.
 * Rows with a null key match nothing, but still appear, unmatched, in outer and anti joins.
 * The output columns are gathered from the pairs with 32-bit indices.
 *
 * Which side builds: the smaller one for inner joins; the right for left, full, semi and
 * anti joins (their left rows are the probes, so unmatched ones are easy to emit); the left
 * for right joins. Inner, left and right joins on one 64-bit key with a build side of
 * modest size take a way without partitioning (hash_join_ordered.c).
 */
#include <stdlib.h>

#include "compute/hash_keys.h"
#include "compute/join.h"

void cy_join_options_init(cy_join_options *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->left_suffix = "_x";
  opts->right_suffix = "_y";
}

/* What one partition produced. */
typedef struct part_result {
  u32_vec probe, build; /* matched pairs; CY_NO_ROW for the unmatched side */
  cy_status status;
} part_result;

typedef struct join_job {
  cy_join_type type;
  const hash_keys *pk, *bk; /* probe and build keys */
  const hash_parts *pp, *bp;
  part_result *results;
  uint8_t *probe_matched; /* per probe row (semi, anti) */
  uint8_t *build_matched; /* per build row (full) */
  bool emit_pairs;
  bool emit_unmatched_probe;
  uint32_t *room;        /* pairs: the first room of every partition's vectors, or NULL */
  const int64_t *room_at; /* per partition: where its room starts (2 x pair_room entries) */
} join_job;

/* Pairs a partition of pn probe rows starts with room for: about one match a probe row is
 * the common case, so the vectors rarely grow. */
static int64_t pair_room(int64_t pn) { return pn + pn / 8 + 16; }

static cy_status push_pair(part_result *r, uint32_t p, uint32_t b, cy_error *err) {
  CY_RETURN_NOT_OK(u32_vec_push(&r->probe, p, err));
  return u32_vec_push(&r->build, b, err);
}

static cy_status join_partition(void *ctx, int64_t part, cy_error *err) {
  join_job *j = ctx;
  const hash_parts *bp = j->bp, *pp = j->pp;
  int64_t b0 = bp->start[part], bn = bp->start[part + 1] - b0;
  int64_t p0 = pp->start[part], pn = pp->start[part + 1] - p0;
  part_result *r = &j->results[part];
  if (pn == 0 && !j->build_matched) return CY_OK;
  uint64_t cap = 16;
  while (cap < (uint64_t)bn * 2) cap <<= 1;
  uint64_t mask = cap - 1;
  /* slots hold entry + 1 (0 is empty); next chains build entries with equal keys. */
  uint32_t *slots = calloc(cap, sizeof(uint32_t));
  uint32_t *next = calloc((size_t)bn + 1, sizeof(uint32_t));
  if (!slots || !next) {
    free(slots);
    free(next);
    cy_error_set(err, "out of memory building a join hash table");
    return CY_ENOMEM;
  }
  const uint64_t *bh = bp->hashes + b0;
  const uint32_t *brow = bp->rows + b0;
  for (int64_t e = 0; e < bn; e++) {
    uint64_t h = bh[e], s = h & mask;
    for (;;) {
      uint32_t at = slots[s];
      if (at == 0) {
        slots[s] = (uint32_t)e + 1;
        break;
      }
      if (bh[at - 1] == h && hash_keys_equal(j->bk, brow[at - 1], j->bk, brow[e])) {
        next[e] = next[at - 1]; /* link after the chain's head */
        next[at - 1] = (uint32_t)e + 1;
        break;
      }
      s = (s + 1) & mask;
    }
  }
  const uint64_t *ph = pp->hashes + p0;
  const uint32_t *prow = pp->rows + p0;
  /* The first room comes from one block for all partitions (run_join): many small fresh
   * allocations would each be page-faulted in, which is slow on virtual machines. */
  cy_status st = CY_OK;
  if (j->emit_pairs && j->room) {
    u32_vec_borrow(&r->probe, j->room + 2 * j->room_at[part], pair_room(pn));
    u32_vec_borrow(&r->build, j->room + 2 * j->room_at[part] + pair_room(pn), pair_room(pn));
  } else if (j->emit_pairs) {
    st = u32_vec_reserve(&r->probe, pair_room(pn), err);
    if (st == CY_OK) st = u32_vec_reserve(&r->build, pair_room(pn), err);
  }
  for (int64_t e = 0; e < pn && st == CY_OK; e++) {
    uint64_t h = ph[e], s = h & mask;
    uint32_t head = 0;
    for (uint32_t at; (at = slots[s]) != 0; s = (s + 1) & mask) {
      if (bh[at - 1] == h && hash_keys_equal(j->pk, prow[e], j->bk, brow[at - 1])) {
        head = at;
        break;
      }
    }
    if (j->probe_matched) j->probe_matched[prow[e]] = head != 0;
    if (head == 0) {
      if (j->emit_unmatched_probe) st = push_pair(r, prow[e], CY_NO_ROW, err);
      continue;
    }
    for (uint32_t at = head; at != 0 && st == CY_OK; at = next[at - 1]) {
      if (j->emit_pairs) st = push_pair(r, prow[e], brow[at - 1], err);
      if (j->build_matched) j->build_matched[brow[at - 1]] = 1;
    }
  }
  free(slots);
  free(next);
  return st;
}

/* ---- output ----------------------------------------------------------------------- */

/* Names of the output: left names, then right names without the right keys that are
 * dropped; clashing names get the suffixes. */
static cy_status output_names(cy_table *left, cy_table *right, const bool *drop_right,
                              const cy_join_options *o, char ***names_out, int32_t *count,
                              cy_error *err) {
  int32_t nl = left->schema.num_fields, nr = right->schema.num_fields;
  char **names = calloc((size_t)(nl + nr) + 1, sizeof(char *));
  if (names == NULL) goto oom;
  int32_t k = 0;
  for (int32_t c = 0; c < nl; c++) {
    const char *name = left->schema.fields[c].name;
    int32_t rc = cy_schema_find(&right->schema, name);
    bool clash = rc >= 0 && !drop_right[rc];
    size_t len = strlen(name) + strlen(o->left_suffix) + 1;
    if ((names[k] = malloc(len)) == NULL) goto oom;
    snprintf(names[k++], len, "%s%s", name, clash ? o->left_suffix : "");
  }
  for (int32_t c = 0; c < nr; c++) {
    if (drop_right[c]) continue;
    const char *name = right->schema.fields[c].name;
    bool clash = cy_schema_find(&left->schema, name) >= 0;
    size_t len = strlen(name) + strlen(o->right_suffix) + 1;
    if ((names[k] = malloc(len)) == NULL) goto oom;
    snprintf(names[k++], len, "%s%s", name, clash ? o->right_suffix : "");
  }
  *names_out = names;
  *count = k;
  return CY_OK;
oom:
  for (int32_t i = 0; names && names[i]; i++) free(names[i]);
  free(names);
  cy_error_set(err, "out of memory naming join columns");
  return CY_ENOMEM;
}

typedef struct gather_job {
  cy_table *left, *right;
  const uint32_t *lidx, *ridx;
  bool left_as_is, right_as_is; /* that side's every row in order (its idx unused) */
  int64_t n;
  const int32_t *src;     /* per output column: left index, or nl + right index */
  const int32_t *coalesce; /* per output column: right key index to fill from, or -1 */
  cy_column **out;
} gather_job;

/* A left key column coalesced with its right key: left value where the left row exists,
 * else the right's (through one concatenation and one gather). */
static cy_status coalesce_key(gather_job *j, int32_t lc, int32_t rc, cy_column **out,
                              cy_error *err) {
  cy_column *l = j->left->columns[lc], *r = j->right->columns[rc], *lcast = NULL, *rcast = NULL;
  /* Keys of two numeric types meet at their common type (an int64 and a float64 key give
   * float64, as USING does), so no right value is truncated into the left's type. */
  cy_type type = l->type;
  if (!cy_type_equals(&l->type, &r->type) && cy_type_is_numeric(l->type.id) &&
      cy_type_is_numeric(r->type.id))
    type = cy_common_numeric_type(&l->type, &r->type);
  cy_status st = CY_OK;
  if (!cy_type_equals(&l->type, &type)) st = cy_column_cast(l, type, &lcast, err);
  if (st == CY_OK && !cy_type_equals(&r->type, &type)) st = cy_column_cast(r, type, &rcast, err);
  cy_column *both[2] = {lcast ? lcast : l, rcast ? rcast : r}, *all = NULL;
  if (st == CY_OK) st = cy_column_concat(2, both, &all, err);
  cy_column_release(lcast);
  cy_column_release(rcast);
  if (st != CY_OK) return st;
  uint32_t *idx = st == CY_OK ? malloc(((size_t)j->n + 1) * sizeof(uint32_t)) : NULL;
  if (st == CY_OK && idx == NULL) {
    cy_error_set(err, "out of memory joining");
    st = CY_ENOMEM;
  }
  for (int64_t i = 0; st == CY_OK && i < j->n; i++) {
    uint32_t li = j->left_as_is ? (uint32_t)i : j->lidx[i];
    uint32_t ri = j->right_as_is ? (uint32_t)i : j->ridx[i];
    idx[i] = li != CY_NO_ROW ? li : ri != CY_NO_ROW ? (uint32_t)(l->length + ri) : CY_NO_ROW;
  }
  if (st == CY_OK) st = cy_column_take32(all, idx, j->n, out, err);
  free(idx);
  cy_column_release(all);
  return st;
}

/* Gather every output column: the coalesced keys one by one, the rest together on all
 * threads (cy_take_columns splits long columns into row ranges). */
static cy_status gather_all(gather_job *j, int32_t count, cy_error *err) {
  int32_t nl = j->left->schema.num_fields, m = 0;
  const cy_column **cols = calloc((size_t)count + 1, sizeof(cy_column *));
  cy_selection *sels = calloc((size_t)count + 1, sizeof(cy_selection));
  cy_column **outs = calloc((size_t)count + 1, sizeof(cy_column *));
  int32_t *where = calloc((size_t)count + 1, sizeof(int32_t));
  cy_status st = cols && sels && outs && where ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory joining");
  for (int32_t c = 0; st == CY_OK && c < count; c++) {
    int32_t s = j->src[c];
    if (j->coalesce[c] >= 0) {
      st = coalesce_key(j, s, j->coalesce[c], &j->out[c], err);
      continue;
    }
    cy_column *col = s < nl ? j->left->columns[s] : j->right->columns[s - nl];
    if (s < nl ? j->left_as_is : j->right_as_is) { /* the side as it is: share the column */
      j->out[c] = cy_column_retain(col);
      continue;
    }
    cols[m] = col;
    sels[m].u32 = s < nl ? j->lidx : j->ridx;
    where[m++] = c;
  }
  if (st == CY_OK) st = cy_take_columns(m, cols, sels, j->n, outs, err);
  for (int32_t i = 0; st == CY_OK && i < m; i++) j->out[where[i]] = outs[i];
  free(cols);
  free(sels);
  free(outs);
  free(where);
  return st;
}

cy_status cy_join_output(cy_table *left, cy_table *right, const uint32_t *lidx,
                         const uint32_t *ridx, int64_t n, const int32_t *lkeys,
                         const int32_t *rkeys, const cy_join_options *o, cy_table **out,
                         cy_error *err) {
  return cy_join_output_sharing(left, right, lidx, ridx, false, false, n, lkeys, rkeys, o, out,
                                err);
}

cy_status cy_join_output_sharing(cy_table *left, cy_table *right, const uint32_t *lidx,
                                 const uint32_t *ridx, bool left_as_is, bool right_as_is,
                                 int64_t n, const int32_t *lkeys, const int32_t *rkeys,
                                 const cy_join_options *o, cy_table **out, cy_error *err) {
  int32_t nl = left->schema.num_fields, nr = right->schema.num_fields;
  bool *drop = calloc((size_t)nr + 1, sizeof(bool));
  int32_t *src = calloc((size_t)(nl + nr) + 1, sizeof(int32_t));
  int32_t *coal = calloc((size_t)(nl + nr) + 1, sizeof(int32_t));
  cy_column **cols = calloc((size_t)(nl + nr) + 1, sizeof(cy_column *));
  char **names = NULL;
  int32_t count = 0;
  cy_status st = drop && src && coal && cols ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory joining");
  bool fill_keys = o->type == CY_JOIN_RIGHT || o->type == CY_JOIN_FULL;
  for (int32_t i = 0; st == CY_OK && i < o->num_keys; i++) {
    /* A right key named like its left key is the same column in the output (pandas). */
    if (strcmp(left->schema.fields[lkeys[i]].name, right->schema.fields[rkeys[i]].name) == 0) {
      drop[rkeys[i]] = true;
    }
  }
  if (st == CY_OK) st = output_names(left, right, drop, o, &names, &count, err);
  int32_t k = 0;
  for (int32_t c = 0; st == CY_OK && c < nl; c++, k++) {
    src[k] = c;
    coal[k] = -1;
    for (int32_t i = 0; fill_keys && i < o->num_keys; i++)
      if (lkeys[i] == c && drop[rkeys[i]]) coal[k] = rkeys[i];
  }
  for (int32_t c = 0; st == CY_OK && c < nr; c++) {
    if (drop[c]) continue;
    src[k] = nl + c;
    coal[k++] = -1;
  }
  if (st == CY_OK) {
    gather_job job = {left, right, lidx, ridx, left_as_is, right_as_is, n, src, coal, cols};
    st = gather_all(&job, count, err);
  }
  if (st == CY_OK) {
    st = cy_table_make(count, (const char *const *)names, cols, out, err);
    if (st == CY_OK && count == 0) (*out)->num_rows = n;
  }
  for (int32_t c = 0; c < nl + nr && cols; c++) cy_column_release(cols[c]);
  for (int32_t i = 0; names && i < count; i++) free(names[i]);
  free(names);
  free(cols);
  free(coal);
  free(src);
  free(drop);
  return st;
}

/* ---- the join --------------------------------------------------------------------- */

/* Check the keys and pick, per key, the type both sides are hashed as. */
static cy_status key_types(cy_table *left, cy_table *right, const int32_t *lk,
                           const int32_t *rk, int32_t n, cy_type *types, cy_error *err) {
  for (int32_t i = 0; i < n; i++) {
    const cy_field *lf = &left->schema.fields[lk[i]], *rf = &right->schema.fields[rk[i]];
    if (!cy_types_compatible(&lf->type, &rf->type)) {
      char a[96], b[96];
      cy_error_set(err, "join key '%s' is %s on the left but '%s' is %s on the right",
                   lf->name, cy_type_name(&lf->type, a, sizeof a), rf->name,
                   cy_type_name(&rf->type, b, sizeof b));
      return CY_EINVAL;
    }
    types[i] = cy_type_equals(&lf->type, &rf->type) || !cy_type_is_numeric(lf->type.id)
                   ? lf->type
                   : cy_common_numeric_type(&lf->type, &rf->type);
  }
  return CY_OK;
}

/* Rows of the probe side with a null key: unmatched in left, full and anti joins. */
static cy_status null_key_rows(const hash_keys *k, part_result *extra, bool as_pairs,
                               uint8_t *matched, cy_error *err) {
  for (int64_t i = 0; k->null_rows && i < k->rows; i++) {
    if (!k->null_rows[i]) continue;
    if (matched) matched[i] = 0;
    if (as_pairs) CY_RETURN_NOT_OK(push_pair(extra, (uint32_t)i, CY_NO_ROW, err));
  }
  return CY_OK;
}

typedef struct join_run {
  cy_table *probe_t, *build_t;
  hash_keys pk, bk;
  hash_parts pp, bp;
  part_result *results;
  part_result extra; /* unmatched rows outside the partitions */
  uint8_t *probe_matched, *build_matched;
  uint32_t *room;    /* the partitions' first room for pairs (join_job.room) */
  int64_t *room_at;
  int64_t room_bytes;
} join_run;

static void join_run_reset(join_run *r) {
  int64_t parts = r->bp.start ? (int64_t)1 << r->bp.bits : 0;
  for (int64_t p = 0; r->results && p < parts; p++) {
    u32_vec_reset(&r->results[p].probe);
    u32_vec_reset(&r->results[p].build);
  }
  free(r->results);
  u32_vec_reset(&r->extra.probe);
  u32_vec_reset(&r->extra.build);
  free(r->probe_matched);
  free(r->build_matched);
  hash_parts_reset(&r->pp);
  hash_parts_reset(&r->bp);
  hash_keys_reset(&r->pk);
  hash_keys_reset(&r->bk);
  cy_free(r->room, r->room_bytes); /* after the vectors that borrow from it */
  free(r->room_at);
  memset(r, 0, sizeof(*r)); /* safe to reset again */
}

typedef struct collect_job {
  join_run *r;
  const int64_t *at; /* per partition + 1 (the extras first): where its pairs go */
  uint32_t *probe, *build;
} collect_job;

/* Copy one partition's pairs (i 0: the extras) into place: on all threads, since the
 * copies also fault in the fresh arrays' pages. */
static cy_status collect_task(void *ctx, int64_t i, cy_error *err) {
  (void)err;
  collect_job *j = ctx;
  part_result *pr = i == 0 ? &j->r->extra : &j->r->results[i - 1];
  if (pr->probe.len == 0) return CY_OK; /* its arrays may never have been made */
  memcpy(j->probe + j->at[i], pr->probe.data, (size_t)pr->probe.len * sizeof(uint32_t));
  memcpy(j->build + j->at[i], pr->build.data, (size_t)pr->build.len * sizeof(uint32_t));
  return CY_OK;
}

/* Concatenate the partitions' pairs (and the extras) into two index arrays. */
static cy_status collect_pairs(join_run *r, int64_t parts, uint32_t **probe, uint32_t **build,
                               int64_t *n, cy_error *err) {
  int64_t total = r->extra.probe.len;
  for (int64_t p = 0; p < parts; p++) total += r->results[p].probe.len;
  *probe = cy_alloc((total + 1) * (int64_t)sizeof(uint32_t));
  *build = cy_alloc((total + 1) * (int64_t)sizeof(uint32_t));
  int64_t *at = malloc(((size_t)parts + 2) * sizeof(int64_t));
  if (!*probe || !*build || !at) {
    cy_free(*probe, (total + 1) * (int64_t)sizeof(uint32_t));
    cy_free(*build, (total + 1) * (int64_t)sizeof(uint32_t));
    free(at);
    cy_error_set(err, "out of memory collecting %lld joined rows", (long long)total);
    return CY_ENOMEM;
  }
  at[0] = 0;
  for (int64_t p = -1; p < parts; p++)
    at[p + 2] = at[p + 1] + (p < 0 ? r->extra.probe.len : r->results[p].probe.len);
  collect_job job = {r, at, *probe, *build};
  cy_status st = cy_parallel_for(parts + 1, collect_task, &job, err);
  free(at);
  *n = total;
  return st;
}

cy_status cy_join_filter_left(cy_table *left, const uint8_t *matched, bool want,
                              cy_table **out, cy_error *err) {
  int64_t n = left->num_rows, k = 0;
  int64_t *idx = malloc(((size_t)n + 1) * sizeof(int64_t));
  if (idx == NULL) {
    cy_error_set(err, "out of memory joining");
    return CY_ENOMEM;
  }
  for (int64_t i = 0; i < n; i++)
    if ((matched[i] != 0) == want) idx[k++] = i;
  cy_status st = cy_table_take(left, idx, k, out, err);
  free(idx);
  return st;
}

static cy_status run_join(cy_table *left, cy_table *right, const int32_t *lk, const int32_t *rk,
                          const cy_type *types, const cy_join_options *o, cy_table **out,
                          cy_error *err) {
  cy_join_type type = o->type;
  bool left_builds = type == CY_JOIN_RIGHT ||
                     (type == CY_JOIN_INNER && left->num_rows < right->num_rows);
  join_run r;
  memset(&r, 0, sizeof r);
  r.probe_t = left_builds ? right : left;
  r.build_t = left_builds ? left : right;
  const int32_t *pkc = left_builds ? rk : lk, *bkc = left_builds ? lk : rk;
  cy_status st = hash_keys_init(&r.pk, r.probe_t, pkc, o->num_keys, types, err);
  if (st == CY_OK) st = hash_keys_init(&r.bk, r.build_t, bkc, o->num_keys, types, err);
  int bits = hash_parts_bits(r.build_t->num_rows > r.probe_t->num_rows ? r.build_t->num_rows
                                                                       : r.probe_t->num_rows,
                             cy_num_threads());
  if (st == CY_OK) st = hash_parts_make(&r.pk, bits, true, &r.pp, err);
  if (st == CY_OK) st = hash_parts_make(&r.bk, bits, true, &r.bp, err);
  int64_t parts = (int64_t)1 << bits;
  bool semi_anti = type == CY_JOIN_SEMI || type == CY_JOIN_ANTI;
  bool outer_probe = type == CY_JOIN_LEFT || type == CY_JOIN_RIGHT || type == CY_JOIN_FULL;
  if (st == CY_OK) {
    r.results = calloc((size_t)parts, sizeof(part_result));
    if (semi_anti) r.probe_matched = calloc((size_t)r.probe_t->num_rows + 1, 1);
    if (type == CY_JOIN_FULL) r.build_matched = calloc((size_t)r.build_t->num_rows + 1, 1);
    if (!r.results || (semi_anti && !r.probe_matched) ||
        (type == CY_JOIN_FULL && !r.build_matched)) {
      cy_error_set(err, "out of memory joining");
      st = CY_ENOMEM;
    }
  }
  if (st == CY_OK && !semi_anti) {
    /* cy_alloc: a large block, on huge pages and reused warm from a previous join */
    r.room_at = malloc(((size_t)parts + 1) * sizeof(int64_t));
    int64_t total = 0;
    for (int64_t p = 0; r.room_at && p < parts; p++) {
      r.room_at[p] = total;
      total += pair_room(r.pp.start[p + 1] - r.pp.start[p]);
    }
    r.room_bytes = 2 * total * (int64_t)sizeof(uint32_t);
    if (r.room_at) r.room = cy_alloc(r.room_bytes);
    if (r.room == NULL) { /* then every partition allocates its own */
      free(r.room_at);
      r.room_at = NULL;
    }
  }
  if (st == CY_OK) {
    join_job job = {type, &r.pk, &r.bk, &r.pp, &r.bp, r.results, r.probe_matched,
                    r.build_matched, !semi_anti, outer_probe, r.room, r.room_at};
    st = cy_parallel_for(parts, join_partition, &job, err);
  }
  if (st == CY_OK) st = null_key_rows(&r.pk, &r.extra, outer_probe, r.probe_matched, err);
  for (int64_t i = 0; st == CY_OK && type == CY_JOIN_FULL && i < r.build_t->num_rows; i++)
    if (!r.build_matched[i]) st = push_pair(&r.extra, CY_NO_ROW, (uint32_t)i, err);
  if (st == CY_OK && semi_anti) {
    st = cy_join_filter_left(left, r.probe_matched, type == CY_JOIN_SEMI, out, err);
  } else if (st == CY_OK) {
    uint32_t *pidx = NULL, *bidx = NULL;
    int64_t n = 0;
    st = collect_pairs(&r, parts, &pidx, &bidx, &n, err);
    join_run_reset(&r); /* the pairs are all that is needed now */
    if (st == CY_OK)
      st = cy_join_output(left, right, left_builds ? bidx : pidx, left_builds ? pidx : bidx, n,
                          lk, rk, o, out, err);
    cy_free(pidx, (n + 1) * (int64_t)sizeof(uint32_t));
    cy_free(bidx, (n + 1) * (int64_t)sizeof(uint32_t));
  }
  join_run_reset(&r);
  return st;
}

cy_status cy_table_join(cy_table *left, cy_table *right, const cy_join_options *opts,
                        cy_table **out, cy_error *err) {
  cy_join_options o;
  cy_join_options_init(&o);
  if (opts) o = *opts;
  if (!o.left_suffix) o.left_suffix = "_x";
  if (!o.right_suffix) o.right_suffix = "_y";
  if (o.num_keys <= 0 || o.left_on == NULL) {
    cy_error_set(err, "join: no key columns given (use a cross join for every pair)");
    return CY_EINVAL;
  }
  if ((unsigned)o.type > CY_JOIN_ANTI) {
    cy_error_set(err, "join: unknown join type %d", (int)o.type);
    return CY_EINVAL;
  }
  const char *const *right_on = o.right_on ? o.right_on : o.left_on;
  int32_t *lk = malloc((size_t)o.num_keys * sizeof(int32_t));
  int32_t *rk = malloc((size_t)o.num_keys * sizeof(int32_t));
  cy_type *types = malloc((size_t)o.num_keys * sizeof(cy_type));
  cy_status st = lk && rk && types ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory joining");
  if (st == CY_OK) st = cy_find_columns(left, o.left_on, o.num_keys, "join's left side", lk, err);
  if (st == CY_OK)
    st = cy_find_columns(right, right_on, o.num_keys, "join's right side", rk, err);
  if (st == CY_OK) st = key_types(left, right, lk, rk, o.num_keys, types, err);
  if (st == CY_OK) {
    bool done = false;
    if (o.algorithm == CY_JOIN_SORT_MERGE) {
      st = cy_sort_merge_join(left, right, lk, rk, types, &o, out, err);
    } else {
      /* One 64-bit key and a build side of modest size: no partitioning. */
      st = cy_join_ordered(left, right, lk, rk, types, &o, out, &done, err);
      if (st == CY_OK && !done) st = run_join(left, right, lk, rk, types, &o, out, err);
    }
  }
  free(lk);
  free(rk);
  free(types);
  return st;
}
