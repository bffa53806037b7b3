/*
 * dist_sort.c - sample sort: after it, each rank's rows are sorted and rank r's rows all
 * sort at or before rank r+1's.
 *
 * 1. Every rank sorts its rows (stable) and tags them with a tiebreak (its rank, the
 *    row's number), which makes every row distinct and orders equal keys as the gathered
 *    table has them: the result is the stable sort of the whole table.
 * 2. Regular samples: each rank picks rows at even steps of its sorted rows, as many as
 *    its share of all rows calls for (so an empty rank gives none); every rank gets all
 *    samples (allgather), sorts them and picks world - 1 splitters at even steps.
 * 3. Each rank finds where the splitters fall among its sorted rows (a binary search
 *    per splitter), and sends the rows between splitter j - 1 and j to rank j, as
 *    zero-copy slices. Because the
 *    tiebreak is part of the comparison, rows of one heavy key are spread over the
 *    ranks whose splitters fall among them, instead of all landing on one.
 * 4. Each rank receives its runs in rank order and merges them, taking the lower rank's
 *    row on ties, so the result is in (key, rank, row) order.
 */
#include "compute/sort.h"
#include "dist/dist_internal.h"

#define SAMPLES_PER_RANK 64

/* The sort keys of t (projected, renamed k0..) plus the tiebreak columns "r", "i". */
static cy_status tagged_keys(cy_table *t, const int32_t *kidx, int32_t n, int64_t rank,
                             cy_table **out, cy_error *err) {
  int64_t rows = t->num_rows;
  /* cy_alloc: large blocks on huge pages, few page faults to fill */
  int64_t bytes = (rows + 1) * 8;
  int64_t *rv = cy_alloc(bytes), *iv = cy_alloc(bytes);
  cy_column **cols = calloc((size_t)n + 2, sizeof *cols);
  const char **names = calloc((size_t)n + 2, sizeof *names);
  char (*nm)[16] = calloc((size_t)n + 2, 16);
  cy_status st = rv && iv && cols && names && nm ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "sort: out of memory");
  for (int64_t i = 0; st == CY_OK && i < rows; i++) rv[i] = rank, iv[i] = i;
  for (int32_t k = 0; st == CY_OK && k < n; k++) {
    snprintf(nm[k], 16, "k%d", (int)k);
    names[k] = nm[k];
    cols[k] = cy_column_retain(t->columns[kidx[k]]);
  }
  names[n] = "r";
  names[n + 1] = "i";
  if (st == CY_OK)
    st = cy_column_from_values(cy_type_make(CY_INT64), rv, NULL, rows, &cols[n], err);
  if (st == CY_OK)
    st = cy_column_from_values(cy_type_make(CY_INT64), iv, NULL, rows, &cols[n + 1], err);
  if (st == CY_OK) st = cy_table_make(n + 2, names, cols, out, err);
  for (int32_t k = 0; cols && k < n + 2; k++) cy_column_release(cols[k]);
  cy_free(rv, bytes);
  cy_free(iv, bytes);
  free(cols);
  free(names);
  free(nm);
  return st;
}

/* The sort keys over a tagged table: the user's keys on k0.., then r, i ascending. */
static cy_sort_key *tagged_sort_keys(const cy_sort_key *keys, int32_t n, char (*nm)[16]) {
  cy_sort_key *sk = calloc((size_t)n + 2, sizeof *sk);
  if (sk == NULL) return NULL;
  for (int32_t k = 0; k < n; k++) {
    snprintf(nm[k], 16, "k%d", (int)k);
    sk[k] = keys[k];
    sk[k].column = nm[k];
  }
  sk[n].column = "r";
  sk[n + 1].column = "i";
  return sk;
}

/* The sorted runs (in rank order, concatenated in `all`) merged into one sorted table:
 * the smallest head each time, the lowest rank on ties, so equal keys stay in (rank, row)
 * order. A single run with rows is the result as it is. */
static cy_status merge_runs(cy_table *all, cy_table *const *runs, int32_t nruns,
                            const cy_sort_key *keys, int32_t n, cy_table **out,
                            cy_error *err) {
  int32_t nonempty = 0;
  for (int32_t r = 0; r < nruns; r++) nonempty += runs[r]->num_rows > 0;
  if (nonempty <= 1) {
    *out = cy_table_retain(all);
    return CY_OK;
  }
  int64_t rows = all->num_rows;
  int64_t *head = calloc((size_t)nruns, sizeof *head), *end = calloc((size_t)nruns, sizeof *end);
  int64_t *perm = cy_alloc((rows + 1) * 8);
  cy_sort_col *sc = calloc((size_t)n + 1, sizeof *sc);
  cy_status st = head && end && perm && sc ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "sort: out of memory");
  if (st == CY_OK) st = cy_sort_resolve(all, keys, n, "sort", sc, err);
  int64_t at = 0;
  for (int32_t r = 0; st == CY_OK && r < nruns; r++) {
    head[r] = at;
    at += runs[r]->num_rows;
    end[r] = at;
  }
  for (int64_t o = 0; st == CY_OK && o < rows; o++) {
    int32_t best = -1;
    for (int32_t r = 0; r < nruns; r++) {
      if (head[r] == end[r]) continue;
      if (best < 0 || cy_sort_compare_rows(sc, 0, n, head[r], head[best]) < 0) best = r;
    }
    perm[o] = head[best]++;
  }
  if (st == CY_OK) st = cy_table_take(all, perm, rows, out, err);
  free(head);
  free(end);
  free(sc);
  cy_free(perm, (rows + 1) * 8);
  return st;
}

cy_status cy_dist_sort(cy_comm *comm, cy_table *table, const cy_sort_key *keys, int32_t n,
                       cy_table **out, cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(dist_check_schema(comm, table, "sort", err));
  cy_table *e = NULL, *probe = NULL;
  cy_status st = dist_empty_like(table, &e, err);
  if (st == CY_OK) st = cy_table_sort(e, keys, n, &probe, err);
  cy_table_release(e);
  cy_table_release(probe);
  if (st != CY_OK) return st;
  int32_t world = cy_comm_world_size(comm), me = cy_comm_rank(comm);
  if (world == 1) return cy_table_sort(table, keys, n, out, err);

  int32_t *kidx = calloc((size_t)n + 1, sizeof *kidx);
  char (*nm)[16] = calloc((size_t)n + 2, 16);
  cy_sort_key *sk = nm ? tagged_sort_keys(keys, n, nm) : NULL;
  int64_t *bounds = calloc((size_t)world + 1, sizeof *bounds);
  int64_t *idx = NULL;
  cy_table *sorted = NULL, *tagged = NULL, *sample = NULL, *samples = NULL, *ssorted = NULL;
  cy_table *splitters = NULL, *merged_in = NULL;
  cy_table **runs = calloc((size_t)world, sizeof *runs);
  wire_outbox box;
  wire_outbox_init(&box, 0);
  st = kidx && nm && sk && bounds && runs ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "sort: out of memory");
  const char **knames = calloc((size_t)n + 1, sizeof *knames);
  for (int32_t k = 0; knames && k < n; k++) knames[k] = keys[k].column;
  if (st == CY_OK && knames == NULL) st = CY_ENOMEM;
  if (st == CY_OK) st = dist_columns(table, knames, n, "sort", kidx, err);
  free(knames);
  /* 1. local sort, tagged keys */
  if (st == CY_OK) st = cy_table_sort(table, keys, n, &sorted, err);
  if (st == CY_OK) st = tagged_keys(sorted, kidx, n, me, &tagged, err);
  /* 2. samples in proportion to our share of the rows */
  int64_t rows = sorted ? sorted->num_rows : 0, total = rows;
  if (st == CY_OK) st = dist_sum_i64(comm, &total, err);
  if (st == CY_OK) {
    int64_t want = total > 0 ? (rows * SAMPLES_PER_RANK * world + total - 1) / total : 0;
    if (want > rows) want = rows;
    idx = malloc((size_t)(want > 0 ? want : 1) * sizeof *idx);
    if (idx == NULL) st = CY_ENOMEM;
    for (int64_t s = 0; st == CY_OK && s < want; s++) idx[s] = (s * rows + rows / 2) / want;
    if (st == CY_OK) st = cy_table_take(tagged, idx, want, &sample, err);
  }
  if (st == CY_OK) st = cy_dist_allgather(comm, sample, &samples, err);
  if (st == CY_OK) st = cy_table_sort(samples, sk, n + 2, &ssorted, err);
  /* world - 1 splitters at even steps of the samples */
  if (st == CY_OK) {
    int64_t s = ssorted->num_rows, ns = s > 0 ? world - 1 : 0;
    int64_t *sp = realloc(idx, (size_t)(ns > 0 ? ns : 1) * sizeof *idx);
    if (sp == NULL) st = CY_ENOMEM;
    else idx = sp;
    for (int64_t j = 0; st == CY_OK && j < ns; j++) idx[j] = (j + 1) * s / world;
    if (st == CY_OK) st = cy_table_take(ssorted, idx, ns, &splitters, err);
  }
  /* 3. where the splitters fall among our rows: a binary search per splitter over our
   *    sorted rows (in one table with the splitters, so rows compare by index) for the
   *    first row not before it */
  if (st == CY_OK) {
    cy_table *both[2] = {splitters, tagged};
    st = cy_table_concat(2, both, &merged_in, err);
  }
  cy_sort_col *sc = calloc((size_t)n + 2, sizeof *sc);
  if (st == CY_OK && sc == NULL) st = CY_ENOMEM;
  if (st == CY_OK) st = cy_sort_resolve(merged_in, sk, n + 2, "sort", sc, err);
  if (st == CY_OK) {
    int64_t ns = splitters->num_rows;
    for (int64_t j = 0; j < ns; j++) {
      int64_t lo = j > 0 ? bounds[j] : 0, hi = rows; /* splitters ascend */
      while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (cy_sort_compare_rows(sc, 0, n + 2, ns + mid, j) < 0) lo = mid + 1;
        else hi = mid;
      }
      bounds[j + 1] = lo;
    }
    for (int64_t j = ns + 1; j <= world; j++) bounds[j] = rows;
    bounds[0] = 0;
    bounds[world] = rows;
  }
  free(sc);
  /* send each rank its run */
  for (int32_t k = 1; k < world && st == CY_OK; k++) {
    int32_t d = (me + k) % world;
    cy_table *run = NULL;
    st = cy_table_slice(sorted, bounds[d], bounds[d + 1] - bounds[d], &run, err);
    if (st == CY_OK) st = wire_send_chunked(comm, &box, d, run, 0, err);
    cy_table_release(run);
  }
  if (st == CY_OK)
    st = cy_table_slice(sorted, bounds[me], bounds[me + 1] - bounds[me], &runs[me], err);
  /* 4. receive the runs in rank order and merge them */
  for (int32_t r = 0; r < world && st == CY_OK; r++)
    if (r != me) st = wire_recv_all(comm, r, &runs[r], err);
  cy_table *mine = NULL;
  if (st == CY_OK) st = dist_concat(world, runs, &mine, err);
  if (st == CY_OK) st = merge_runs(mine, runs, world, keys, n, out, err);
  cy_table_release(mine);
  cy_error tmp;
  cy_status fst = wire_outbox_flush(comm, &box, st == CY_OK ? err : &tmp);
  if (st == CY_OK) st = fst;
  if (st != CY_OK && *out) {
    cy_table_release(*out);
    *out = NULL;
  }
  if (st == CY_ENOMEM && err && err->message[0] == 0) cy_error_set(err, "sort: out of memory");
  for (int32_t r = 0; runs && r < world; r++) cy_table_release(runs[r]);
  free(runs);
  cy_table_release(sorted);
  cy_table_release(tagged);
  cy_table_release(sample);
  cy_table_release(samples);
  cy_table_release(ssorted);
  cy_table_release(splitters);
  cy_table_release(merged_in);
  free(idx);
  free(bounds);
  free(sk);
  free(nm);
  free(kidx);
  return dist_fail(comm, st, err);
}
