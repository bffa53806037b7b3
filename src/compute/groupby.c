/*
 * groupby.c - group-by and whole-table aggregates.
 *
 * Grouping hashes the key columns, radix-partitions the rows by hash (hash_keys.c) and,
 * on all threads, gives each partition's distinct keys consecutive group numbers through a
 * small open-addressing table. The aggregates then run a partition at a time
 * (aggregate.c), and the key columns of the output are gathered from each group's first
 * row. Null keys are a group of their own, as in SQL. One 64-bit key with few groups and
 * only combinable aggregates takes a way without partitioning (groupby_direct.c).
 */
#include <stdlib.h>

#include "compute/groupby.h"

typedef struct group_job {
  const hash_keys *k;
  const hash_parts *parts;
  uint32_t *gid;      /* per entry: local group number, made global afterwards */
  int64_t *counts;    /* per partition: groups */
  uint32_t **firsts;  /* per partition: first row of each local group */
} group_job;

static cy_status group_partition(void *ctx, int64_t p, cy_error *err) {
  group_job *j = ctx;
  int64_t s = j->parts->start[p], n = j->parts->start[p + 1] - s;
  uint64_t cap = 16;
  while (cap < (uint64_t)n * 2) cap <<= 1;
  uint64_t mask = cap - 1;
  uint32_t *slots = calloc(cap, sizeof(uint32_t)); /* group + 1 */
  uint32_t *first = malloc(((size_t)n + 1) * sizeof(uint32_t));
  uint64_t *ghash = malloc(((size_t)n + 1) * sizeof(uint64_t));
  if (!slots || !first || !ghash) {
    free(slots);
    free(first);
    free(ghash);
    cy_error_set(err, "out of memory grouping rows");
    return CY_ENOMEM;
  }
  const uint32_t *rows = j->parts->rows + s;
  const uint64_t *hashes = j->parts->hashes + s;
  uint32_t *gid = j->gid + s;
  uint32_t groups = 0;
  for (int64_t e = 0; e < n; e++) {
    uint64_t h = hashes[e], at = h & mask;
    for (;;) {
      uint32_t g = slots[at];
      if (g == 0) { /* a new group */
        slots[at] = ++groups;
        first[groups - 1] = rows[e];
        ghash[groups - 1] = h;
        gid[e] = groups - 1;
        break;
      }
      if (ghash[g - 1] == h && hash_keys_equal(j->k, first[g - 1], j->k, rows[e])) {
        gid[e] = g - 1;
        break;
      }
      at = (at + 1) & mask;
    }
  }
  free(slots);
  free(ghash);
  j->counts[p] = groups;
  j->firsts[p] = first;
  return CY_OK;
}

typedef struct agg_job {
  agg_state *states;
  int32_t n;
  const grouping *g;
} agg_job;

/* Run every aggregate over partition p. A column that two or more aggregates read is
 * gathered into partition order once, so each of them scans it in sequence instead of
 * gathering it again through the row numbers. */
static cy_status aggregate_partition(void *ctx, int64_t p, cy_error *err) {
  agg_job *j = ctx;
  const grouping *g = j->g;
  int64_t start = g->start[p], n = g->start[p + 1] - start;
  cy_column **views = calloc((size_t)j->n + 1, sizeof(cy_column *));
  if (views == NULL) {
    cy_error_set(err, "out of memory aggregating");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  for (int32_t a = 0; st == CY_OK && a < j->n; a++) {
    agg_state *s = &j->states[a];
    if (!cy_agg_reads_values(s)) continue;
    int32_t readers = 0, first = a;
    for (int32_t b = 0; b < j->n; b++) {
      if (j->states[b].col != s->col || !cy_agg_reads_values(&j->states[b])) continue;
      readers++;
      if (b < first) first = b;
    }
    if (readers < 2) continue;
    if (first == a)
      st = cy_column_take32(s->col, g->rows + start, n, &views[a], err);
    else
      views[a] = cy_column_retain(views[first]);
  }
  for (int32_t a = 0; st == CY_OK && a < j->n; a++)
    st = cy_agg_run_partition(&j->states[a], g, p, views[a], err);
  for (int32_t a = 0; a < j->n; a++) cy_column_release(views[a]);
  free(views);
  return st;
}

cy_status cy_grouping_make(cy_table *table, const int32_t *keys, int32_t nkeys, grouping *g,
                           cy_error *err) {
  memset(g, 0, sizeof(*g));
  hash_keys *k = &g->keys;
  hash_parts *parts = &g->parts;
  if (table->num_rows >= (int64_t)CY_NO_ROW) {
    cy_error_set(err, "%lld rows is too many to group in one table", (long long)table->num_rows);
    return CY_ENOTSUP;
  }
  int64_t rows = table->num_rows;
  if (nkeys == 0) {
    /* One partition holding every row, all in group 0 (even with no rows: SQL gives one
     * row of aggregates over an empty table). */
    parts->bits = 0;
    parts->count = rows;
    parts->start = calloc(2, sizeof(int64_t));
    parts->rows = cy_alloc((rows + 1) * (int64_t)sizeof(uint32_t)); /* as hash_parts_make */
    g->gid = cy_alloc((rows + 1) * (int64_t)sizeof(uint32_t));
    g->base = calloc(2, sizeof(int64_t));
    g->first = calloc(1, sizeof(uint32_t));
    if (!parts->start || !parts->rows || !g->gid || !g->base || !g->first) goto oom;
    memset(g->gid, 0, (size_t)rows * sizeof(uint32_t));
    for (int64_t i = 0; i < rows; i++) parts->rows[i] = (uint32_t)i;
    parts->start[1] = rows;
    g->base[1] = 1;
    g->groups = 1;
    g->nparts = 1;
    g->start = parts->start;
    g->rows = parts->rows;
    return CY_OK;
  }
  CY_RETURN_NOT_OK(hash_keys_init(k, table, keys, nkeys, NULL, err));
  CY_RETURN_NOT_OK(hash_parts_make(k, hash_parts_bits(rows, cy_num_threads()), false, parts, err));
  g->nparts = 1 << parts->bits;
  g->start = parts->start;
  g->rows = parts->rows;
  g->gid = cy_alloc((rows + 1) * (int64_t)sizeof(uint32_t)); /* huge pages: fewer faults */
  g->base = calloc((size_t)g->nparts + 1, sizeof(int64_t));
  int64_t *counts = calloc((size_t)g->nparts, sizeof(int64_t));
  uint32_t **firsts = calloc((size_t)g->nparts, sizeof(uint32_t *));
  cy_status st = g->gid && g->base && counts && firsts ? CY_OK : CY_ENOMEM;
  if (st == CY_OK) {
    group_job job = {k, parts, g->gid, counts, firsts};
    st = cy_parallel_for(g->nparts, group_partition, &job, err);
  } else {
    cy_error_set(err, "out of memory grouping rows");
  }
  for (int p = 0; st == CY_OK && p < g->nparts; p++) g->base[p + 1] = g->base[p] + counts[p];
  if (st == CY_OK) {
    g->groups = g->base[g->nparts];
    g->first = malloc(((size_t)g->groups + 1) * sizeof(uint32_t));
    if (g->first == NULL) {
      cy_error_set(err, "out of memory grouping rows");
      st = CY_ENOMEM;
    }
  }
  for (int p = 0; st == CY_OK && p < g->nparts; p++) {
    memcpy(g->first + g->base[p], firsts[p], (size_t)counts[p] * sizeof(uint32_t));
    for (int64_t e = g->start[p]; e < g->start[p + 1]; e++) g->gid[e] += (uint32_t)g->base[p];
  }
  for (int p = 0; firsts && p < g->nparts; p++) free(firsts[p]);
  free(firsts);
  free(counts);
  return st;
oom:
  cy_error_set(err, "out of memory grouping rows");
  return CY_ENOMEM;
}

void cy_grouping_reset(grouping *g) {
  cy_free(g->gid, (g->parts.count + 1) * (int64_t)sizeof(uint32_t));
  free(g->base);
  free(g->first);
  hash_parts_reset(&g->parts);
  hash_keys_reset(&g->keys);
  memset(g, 0, sizeof(*g));
}

static void default_name(const cy_aggregate *a, char *buf, size_t size) {
  if (a->output_name) {
    snprintf(buf, size, "%s", a->output_name);
  } else if (a->op == CY_AGG_QUANTILE) {
    snprintf(buf, size, "%s_q%g", a->column ? a->column : "", a->quantile);
  } else {
    snprintf(buf, size, "%s_%s", a->column ? a->column : "", cy_agg_name(a->op));
  }
}

static cy_status run_groupby(cy_table *table, const char *const *by, int32_t num_by,
                             const cy_aggregate *aggs, int32_t num_aggs, cy_table **out,
                             cy_error *err) {
  int32_t ncols = num_by + num_aggs;
  int32_t *keys = calloc((size_t)num_by + 1, sizeof(int32_t));
  agg_state *states = calloc((size_t)num_aggs + 1, sizeof(agg_state));
  cy_column **cols = calloc((size_t)ncols + 1, sizeof(cy_column *));
  char **names = calloc((size_t)ncols + 1, sizeof(char *));
  grouping g;
  memset(&g, 0, sizeof g);
  cy_status st = keys && states && cols && names ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory grouping");
  if (st == CY_OK) st = cy_find_columns(table, by, num_by, "group-by keys", keys, err);
  for (int32_t a = 0; st == CY_OK && a < num_aggs; a++) {
    agg_state *s = &states[a];
    s->agg = aggs[a];
    if (aggs[a].op != CY_AGG_COUNT_ALL || aggs[a].column) {
      int32_t c;
      st = cy_find_columns(table, &aggs[a].column, 1, "aggregate", &c, err);
      if (st == CY_OK) s->col = table->columns[c];
    }
    if (st == CY_OK) st = cy_agg_output_type(&aggs[a], s->col, &s->out_type, err);
  }
  /* One 64-bit key and few groups: no partitioning (groupby_direct.c). */
  bool direct = false;
  uint32_t *direct_first = NULL;
  cy_column *direct_keys = NULL;
  int64_t groups = 0;
  if (st == CY_OK && num_by == 1)
    st = cy_groupby_direct(table, keys[0], states, num_aggs, &groups, &direct_first,
                           &direct_keys, &direct, err);
  if (st == CY_OK && !direct) {
    st = cy_grouping_make(table, keys, num_by, &g, err);
    groups = g.groups;
    for (int32_t a = 0; st == CY_OK && a < num_aggs; a++)
      st = cy_agg_state_init(&states[a], g.groups, err);
    if (st == CY_OK) {
      agg_job job = {states, num_aggs, &g};
      st = cy_parallel_for(g.nparts, aggregate_partition, &job, err);
    }
  }
  const uint32_t *first = direct ? direct_first : g.first;
  for (int32_t c = 0; st == CY_OK && c < num_by; c++) {
    /* Keys from each group's first row (unless made already); a group-by without keys
     * has none. */
    if (direct_keys)
      cols[c] = cy_column_retain(direct_keys);
    else
      st = cy_column_take32(table->columns[keys[c]], first, groups, &cols[c], err);
    names[c] = strdup(table->schema.fields[keys[c]].name);
    if (names[c] == NULL) st = CY_ENOMEM;
  }
  for (int32_t a = 0; st == CY_OK && a < num_aggs; a++) {
    st = cy_agg_finish(&states[a], groups, &cols[num_by + a], err);
    char buf[256];
    default_name(&aggs[a], buf, sizeof buf);
    if (st == CY_OK && (names[num_by + a] = strdup(buf)) == NULL) st = CY_ENOMEM;
  }
  if (st == CY_OK) st = cy_table_make(ncols, (const char *const *)names, cols, out, err);
  for (int32_t c = 0; c < ncols && cols; c++) {
    cy_column_release(cols[c]);
    free(names[c]);
  }
  for (int32_t a = 0; states && a < num_aggs; a++) cy_agg_state_reset(&states[a]);
  cy_grouping_reset(&g);
  free(direct_first);
  cy_column_release(direct_keys);
  free(states);
  free(keys);
  free(cols);
  free(names);
  return st;
}

cy_status cy_table_groupby(cy_table *table, const char *const *by, int32_t num_by,
                           const cy_aggregate *aggs, int32_t num_aggs, cy_table **out,
                           cy_error *err) {
  if (num_by <= 0) {
    cy_error_set(err, "group-by: no key columns (use cy_table_aggregate for whole-table "
                      "aggregates)");
    return CY_EINVAL;
  }
  return run_groupby(table, by, num_by, aggs, num_aggs, out, err);
}

cy_status cy_table_aggregate(cy_table *table, const cy_aggregate *aggs, int32_t num_aggs,
                             cy_table **out, cy_error *err) {
  return run_groupby(table, NULL, 0, aggs, num_aggs, out, err);
}
