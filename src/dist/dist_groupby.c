/*
 * dist_groupby.c - distributed group-by and scalar aggregates.
 *
 * When every aggregate decomposes (count, count_all, sum, min, max, mean, var, std) and a
 * sample of the keys says groups repeat (preagg_pays), each rank first aggregates its own
 * rows into partials, so only one row per group and rank travels: counts, sums (of
 * integers: exact sums of their high and low 32-bit halves, so no rank's part can
 * overflow; float sums are not split, as partial sums would round differently from the
 * local operator's sum in row order), minima, maxima; a mean is a sum and a count; a
 * var / std is a count, a mean and a variance. The partials are shuffled on the keys
 * and aggregated again (sums of counts and sums, min of minima ...); means are total sum
 * over total count, and variances are merged with Chan's pairwise update. Otherwise (nunique, median, quantile,
 * first, last, or keys that hardly repeat) the rows themselves (keys and the aggregated
 * columns only) are shuffled and the local group-by runs on them. The shuffle keeps the
 * global row order per group, so first and last are those of the whole table.
 *
 * The result's names and types are those of the local operator: it is run on a zero-row
 * slice first, which also checks the arguments identically on every rank. Scalar
 * aggregates gather the partials to every rank (a row each) and finish there; for
 * aggregates that need every value, the columns go to rank 0, which computes and
 * broadcasts the row.
 */
#include <math.h>
#include <stdio.h>

#include "compute/groupby.h"
#include "dist/dist_internal.h"

static bool decomposable(cy_agg_op op) {
  return op == CY_AGG_COUNT || op == CY_AGG_COUNT_ALL || op == CY_AGG_SUM || op == CY_AGG_MIN ||
         op == CY_AGG_MAX || op == CY_AGG_MEAN || op == CY_AGG_VAR || op == CY_AGG_STD;
}

static bool is_var(cy_agg_op op) { return op == CY_AGG_VAR || op == CY_AGG_STD; }

/* The partial and final aggregates of a decomposable plan. Partial i is named "\x01p<i>";
 * a mean has two (sum, count), a var / std three (count, mean, var). The finals read the
 * partials (sums of counts and sums, min of minima ...), except for var / std's, which
 * are merged by hand (merge_var); a last count_all keeps the finals from being empty. */
typedef struct agg_plan {
  cy_aggregate *partial, *final;
  int32_t n, nfinal;
  int32_t *first;     /* per requested aggregate: its first partial */
  int32_t *final_of;  /* per partial: its final's index, or -1 */
  char (*names)[24];
  char (*wide)[2][24]; /* per requested aggregate: its high and low halves' columns */
  bool *is_wide;       /* per requested aggregate: an integer sum or mean, by halves */
  bool has_var;
} agg_plan;

static void agg_plan_reset(agg_plan *p) {
  free(p->partial);
  free(p->final);
  free(p->first);
  free(p->final_of);
  free(p->names);
  free(p->wide);
  free(p->is_wide);
  memset(p, 0, sizeof *p);
}

static cy_status agg_plan_make(const cy_table *table, const cy_aggregate *aggs, int32_t num,
                               agg_plan *p, cy_error *err) {
  memset(p, 0, sizeof *p);
  size_t most = (size_t)num * 3 + 2;
  p->partial = calloc(most, sizeof *p->partial);
  p->final = calloc(most, sizeof *p->final);
  p->first = calloc((size_t)num + 1, sizeof *p->first);
  p->final_of = calloc(most, sizeof *p->final_of);
  p->names = calloc(most, sizeof *p->names);
  p->wide = calloc((size_t)num + 1, sizeof *p->wide);
  p->is_wide = calloc((size_t)num + 1, sizeof *p->is_wide);
  if (!p->partial || !p->final || !p->first || !p->final_of || !p->names || !p->wide ||
      !p->is_wide) {
    agg_plan_reset(p);
    cy_error_set(err, "group-by: out of memory");
    return CY_ENOMEM;
  }
  for (int32_t j = 0; j < num; j++) {
    p->first[j] = p->n;
    cy_agg_op ops[3] = {aggs[j].op, CY_AGG_COUNT, CY_AGG_COUNT};
    int parts = 1;
    if (aggs[j].op == CY_AGG_MEAN) ops[0] = CY_AGG_SUM, parts = 2;
    if (is_var(aggs[j].op)) ops[0] = CY_AGG_COUNT, ops[1] = CY_AGG_MEAN, ops[2] = CY_AGG_VAR, parts = 3;
    int32_t c = aggs[j].column ? cy_schema_find(&table->schema, aggs[j].column) : -1;
    if ((aggs[j].op == CY_AGG_SUM || aggs[j].op == CY_AGG_MEAN) && c >= 0 &&
        cy_type_is_integer(table->schema.fields[c].type.id)) {
      /* sums of the high and low 32 bits: exact, and no rank's part can overflow */
      p->is_wide[j] = true;
      snprintf(p->wide[j][0], 24, "\x01h%d", (int)j);
      snprintf(p->wide[j][1], 24, "\x01l%d", (int)j);
      ops[0] = ops[1] = CY_AGG_SUM, ops[2] = CY_AGG_COUNT;
      parts = aggs[j].op == CY_AGG_MEAN ? 3 : 2;
    }
    for (int k = 0; k < parts; k++) {
      int32_t i = p->n++;
      snprintf(p->names[i], sizeof p->names[i], "\x01p%d", (int)i);
      p->partial[i] = aggs[j];
      p->partial[i].op = ops[k];
      if (p->is_wide[j] && k < 2) p->partial[i].column = p->wide[j][k];
      p->partial[i].output_name = p->names[i];
      p->final_of[i] = -1;
      if (is_var(aggs[j].op)) {
        p->has_var = true;
        continue;
      }
      int32_t f = p->nfinal++;
      p->final_of[i] = f;
      p->final[f].column = p->names[i];
      p->final[f].output_name = p->names[i];
      p->final[f].op = ops[k] == CY_AGG_MIN || ops[k] == CY_AGG_MAX ? ops[k] : CY_AGG_SUM;
    }
  }
  if (p->n > 0) {
    int32_t f = p->nfinal++;
    p->final[f].column = p->names[0];
    p->final[f].op = CY_AGG_COUNT_ALL;
    p->final[f].output_name = "\x01rows";
  }
  return CY_OK;
}

/* table with the high and low halves of every wide aggregate's column appended. */
static cy_status add_wide_columns(cy_table *table, const cy_aggregate *aggs, int32_t num,
                                  const agg_plan *p, cy_table **out, cy_error *err) {
  int32_t nf = table->schema.num_fields, n = nf;
  int64_t rows = table->num_rows;
  cy_column **cols = calloc((size_t)(nf + 2 * num) + 3, sizeof *cols); /* + 2: see the release */
  const char **names = calloc((size_t)(nf + 2 * num) + 1, sizeof *names);
  int64_t *hi = cy_alloc((rows + 1) * 8), *lo = cy_alloc((rows + 1) * 8);
  uint8_t *valid = cy_alloc(rows + 1);
  cy_status st = cols && names && hi && lo && valid ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "group-by: out of memory");
  for (int32_t i = 0; st == CY_OK && i < nf; i++) {
    cols[i] = cy_column_retain(table->columns[i]);
    names[i] = table->schema.fields[i].name;
  }
  for (int32_t j = 0; st == CY_OK && j < num; j++) {
    if (!p->is_wide[j]) continue;
    cy_column *c = cy_table_column_by_name(table, aggs[j].column), *wide = NULL;
    bool u64 = c->type.id == CY_UINT64;
    if (u64 || c->type.id == CY_INT64) wide = cy_column_retain(c);
    else st = cy_column_cast(c, cy_type_make(CY_INT64), &wide, err);
    if (st != CY_OK) break;
    const uint64_t *v = cy_column_data(wide);
    for (int64_t r = 0; r < rows; r++) {
      valid[r] = cy_column_is_valid(wide, r);
      /* value = hi * 2^32 + lo with lo in [0, 2^32): an arithmetic shift for signed */
      hi[r] = u64 ? (int64_t)(v[r] >> 32) : ((int64_t)v[r] >> 32);
      lo[r] = (int64_t)(v[r] & 0xffffffffu);
    }
    cy_column_release(wide);
    st = cy_column_from_values(cy_type_make(CY_INT64), hi, valid, rows, &cols[n], err);
    if (st == CY_OK) st = cy_column_from_values(cy_type_make(CY_INT64), lo, valid, rows, &cols[n + 1], err);
    names[n] = p->wide[j][0];
    names[n + 1] = p->wide[j][1];
    n += 2;
  }
  if (st == CY_OK) st = cy_table_make(n, names, cols, out, err);
  for (int32_t i = 0; cols && i < n + 2; i++) cy_column_release(cols[i]);
  free(cols);
  free(names);
  cy_free(hi, (rows + 1) * 8);
  cy_free(lo, (rows + 1) * 8);
  cy_free(valid, rows + 1);
  return st;
}

/* An integer sum (int64, an error when it does not fit, as the local sum) or mean from
 * the summed halves h, l and the count c (mean only). */
static cy_status wide_column(const cy_aggregate *agg, const cy_column *h, const cy_column *l,
                             const cy_column *c, cy_column **out, cy_error *err) {
  int64_t rows = h->length;
  int64_t *iv = cy_alloc((rows + 1) * 8);
  double *dv = cy_alloc((rows + 1) * 8);
  uint8_t *valid = cy_alloc(rows + 1);
  cy_status st = iv && dv && valid ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "group-by: out of memory");
  const int64_t *hv = cy_column_data(h), *lv = cy_column_data(l);
  const int64_t *cv = c ? cy_column_data(c) : NULL;
  for (int64_t r = 0; st == CY_OK && r < rows; r++) {
    valid[r] = cy_column_is_valid(h, r) && (cv == NULL || cv[r] > 0);
    __int128 sum = valid[r] ? (__int128)hv[r] * 4294967296 + lv[r] : 0;
    if (agg->op == CY_AGG_SUM && (sum > INT64_MAX || sum < INT64_MIN)) {
      cy_error_set(err, "the sum of column '%s' overflows int64", agg->column);
      st = CY_ERANGE;
    }
    iv[r] = (int64_t)sum;
    dv[r] = valid[r] && cv ? (double)sum / (double)cv[r] : 0;
  }
  if (st == CY_OK)
    st = cy_column_from_values(cy_type_make(agg->op == CY_AGG_SUM ? CY_INT64 : CY_FLOAT64),
                               agg->op == CY_AGG_SUM ? (const void *)iv : (const void *)dv,
                               valid, rows, out, err);
  cy_free(iv, (rows + 1) * 8);
  cy_free(dv, (rows + 1) * 8);
  cy_free(valid, rows + 1);
  return st;
}

/* Whether every aggregate decomposes and its partials accept the columns' types (a mean
 * of a type that has no sum, say, runs on the rows instead). Decided on a zero-row slice,
 * so alike on every rank. */
static bool use_partials(cy_table *table, const char *const *by, int32_t num_by,
                         const cy_aggregate *aggs, int32_t num) {
  for (int32_t j = 0; j < num; j++) {
    if (!decomposable(aggs[j].op)) return false;
    /* a float sum is rounded value by value in row order: partial sums would round
     * differently from the local operator, so those rows travel */
    cy_column *c = aggs[j].column ? cy_table_column_by_name(table, aggs[j].column) : NULL;
    if (aggs[j].op == CY_AGG_SUM && c && (c->type.id == CY_FLOAT32 || c->type.id == CY_FLOAT64))
      return false;
  }
  agg_plan p;
  cy_table *e = NULL, *probe = NULL;
  cy_table *aug = NULL;
  if (num == 0 || agg_plan_make(table, aggs, num, &p, NULL) != CY_OK) return false;
  bool ok = cy_table_slice(table, 0, 0, &e, NULL) == CY_OK &&
            add_wide_columns(e, aggs, num, &p, &aug, NULL) == CY_OK &&
            (num_by > 0 ? cy_table_groupby(aug, by, num_by, p.partial, p.n, &probe, NULL)
                        : cy_table_aggregate(aug, p.partial, p.n, &probe, NULL)) == CY_OK;
  cy_table_release(probe);
  cy_table_release(aug);
  cy_table_release(e);
  agg_plan_reset(&p);
  return ok;
}

/* Per group, the merged count, mean and sum of squared deviations of one var / std, from
 * the partials (count, mean, var) of each rank: Chan et al.'s pairwise update, in row
 * order. A non-finite value makes the result NaN, as the local var gives. */
typedef struct var_acc {
  double *n, *mean, *m2;
  uint8_t *bad;
  int64_t groups;
} var_acc;

static void var_acc_reset(var_acc *a) {
  cy_free(a->n, a->groups * 8);
  cy_free(a->mean, a->groups * 8);
  cy_free(a->m2, a->groups * 8);
  cy_free(a->bad, a->groups);
}

static cy_status merge_var(cy_table *sh, int32_t at, const grouping *g, var_acc *a,
                           cy_error *err) {
  int64_t groups = a->groups = g->groups > 0 ? g->groups : 1;
  a->n = cy_alloc(groups * 8);
  a->mean = cy_alloc(groups * 8);
  a->m2 = cy_alloc(groups * 8);
  a->bad = cy_alloc(groups);
  if (!a->n || !a->mean || !a->m2 || !a->bad) {
    cy_error_set(err, "group-by: out of memory");
    return CY_ENOMEM;
  }
  memset(a->n, 0, (size_t)groups * 8);
  memset(a->mean, 0, (size_t)groups * 8);
  memset(a->m2, 0, (size_t)groups * 8);
  memset(a->bad, 0, (size_t)groups);
  const cy_column *nc = sh->columns[at], *mc = sh->columns[at + 1], *vc = sh->columns[at + 2];
  const int64_t *nv = cy_column_data(nc);
  const double *mv = cy_column_data(mc), *vv = cy_column_data(vc);
  for (int64_t e = 0; e < g->start[g->nparts]; e++) {
    int64_t row = g->rows[e];
    uint32_t grp = g->gid[e];
    double nb = (double)nv[row];
    if (nv[row] <= 0) continue;
    double mb = mv[row], m2b = cy_column_is_valid(vc, row) ? vv[row] * (nb - 1) : 0;
    if (!isfinite(mb) || isnan(m2b)) a->bad[grp] = 1;
    double na = a->n[grp], n = na + nb, delta = mb - a->mean[grp];
    a->mean[grp] += delta * nb / n;
    a->m2[grp] += m2b + delta * delta * na * nb / n;
    a->n[grp] = n;
  }
  return CY_OK;
}

/* The merged var (or std) of each output row's group. */
static cy_status var_column(const var_acc *a, bool std, const int64_t *row_gid, int64_t rows,
                            cy_column **out, cy_error *err) {
  double *v = cy_alloc((rows + 1) * 8);
  uint8_t *valid = cy_alloc(rows + 1);
  cy_status st = v && valid ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "group-by: out of memory");
  for (int64_t r = 0; st == CY_OK && r < rows; r++) {
    int64_t grp = row_gid ? row_gid[r] : 0;
    valid[r] = a->n[grp] >= 2;
    double var = a->bad[grp] ? NAN : a->m2[grp] / (a->n[grp] - 1);
    if (var < 0) var = 0;
    v[r] = valid[r] ? (std ? sqrt(var) : var) : 0;
  }
  if (st == CY_OK) st = cy_column_from_values(cy_type_make(CY_FLOAT64), v, valid, rows, out, err);
  cy_free(v, (rows + 1) * 8);
  cy_free(valid, rows + 1);
  return st;
}

/* The result with the expected schema, from F (the finals' output: keys from column key_at,
 * finals from fin_at), the var accumulators (per aggregate; row_gid maps F's rows to
 * groups) and the plan: a mean is sum / count; types are cast to the expected ones. */
static cy_status agg_finish(cy_table *F, int32_t key_at, int32_t fin_at, int32_t num_by,
                            const int64_t *row_gid, const var_acc *acc,
                            const cy_aggregate *aggs, int32_t num, const agg_plan *p,
                            const cy_schema *want, cy_table **out, cy_error *err) {
  int32_t ncols = num_by + num;
  cy_column **cols = calloc((size_t)ncols + 1, sizeof *cols);
  const char **names = calloc((size_t)ncols + 1, sizeof *names);
  if (!cols || !names) {
    free(cols);
    free(names);
    cy_error_set(err, "group-by: out of memory");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  for (int32_t i = 0; i < ncols; i++) names[i] = want->fields[i].name;
  for (int32_t i = 0; i < num_by; i++) cols[i] = cy_column_retain(F->columns[key_at + i]);
  for (int32_t j = 0; j < num && st == CY_OK; j++) {
    int32_t k = p->first[j];
    cy_column *made = NULL;
    if (p->is_wide[j]) {
      const cy_column *c3 = aggs[j].op == CY_AGG_MEAN ? F->columns[fin_at + p->final_of[k + 2]] : NULL;
      st = wide_column(&aggs[j], F->columns[fin_at + p->final_of[k]],
                       F->columns[fin_at + p->final_of[k + 1]], c3, &made, err);
    } else if (is_var(aggs[j].op)) {
      st = var_column(&acc[j], aggs[j].op == CY_AGG_STD, row_gid, F->num_rows, &made, err);
    } else {
      cy_column *c = F->columns[fin_at + p->final_of[k]];
      if (aggs[j].op == CY_AGG_MEAN)
        st = cy_column_arith(c, F->columns[fin_at + p->final_of[k + 1]], CY_DIV, &made, err);
      else
        made = cy_column_retain(c);
    }
    const cy_type *t = &want->fields[num_by + j].type;
    if (st == CY_OK && !cy_type_equals(&made->type, t)) {
      cy_column *cast = NULL;
      st = cy_column_cast(made, *t, &cast, err);
      cy_column_release(made);
      made = cast;
    }
    cols[num_by + j] = made;
  }
  if (st == CY_OK) st = cy_table_make(ncols, names, cols, out, err);
  for (int32_t i = 0; i < ncols; i++) cy_column_release(cols[i]);
  free(cols);
  free(names);
  return st;
}

/* The final stage over the gathered or shuffled partials sh (keys first): the finals by
 * cy_table_groupby / cy_table_aggregate; with a var or std, the groups come from a
 * grouping of sh that merge_var shares, and the finals run per group number. */
static cy_status agg_final(cy_table *sh, const char *const *by, int32_t num_by,
                           const cy_aggregate *aggs, int32_t num, const agg_plan *p,
                           const cy_schema *want, cy_table **out, cy_error *err) {
  cy_table *F = NULL;
  cy_status st;
  if (!p->has_var) {
    st = num_by > 0 ? cy_table_groupby(sh, by, num_by, p->final, p->nfinal, &F, err)
                    : cy_table_aggregate(sh, p->final, p->nfinal, &F, err);
    if (st == CY_OK) st = agg_finish(F, 0, num_by, num_by, NULL, NULL, aggs, num, p, want, out, err);
    cy_table_release(F);
    return st;
  }
  grouping g;
  int32_t *keys = calloc((size_t)num_by + 1, sizeof *keys);
  var_acc *acc = calloc((size_t)num + 1, sizeof *acc);
  int64_t rows = sh->num_rows;
  int64_t *gid = cy_alloc((rows + 1) * 8);
  cy_aggregate *fin = calloc((size_t)(num_by + p->nfinal) + 1, sizeof *fin);
  char (*kn)[24] = calloc((size_t)num_by + 1, 24);
  cy_table *sh2 = NULL;
  int64_t *row_gid = NULL;
  bool have_g = false;
  st = keys && acc && gid && fin && kn ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "group-by: out of memory");
  for (int32_t i = 0; keys && i < num_by; i++) keys[i] = i;
  if (st == CY_OK) st = cy_grouping_make(sh, keys, num_by, &g, err);
  have_g = st == CY_OK;
  for (int32_t j = 0; st == CY_OK && j < num; j++)
    if (is_var(aggs[j].op)) st = merge_var(sh, num_by + p->first[j], &g, &acc[j], err);
  if (st == CY_OK && num_by == 0) {
    st = cy_table_aggregate(sh, p->final, p->nfinal, &F, err);
    if (st == CY_OK) st = agg_finish(F, 0, 0, 0, NULL, acc, aggs, num, p, want, out, err);
  } else if (st == CY_OK) {
    /* group numbers as a column; the finals by group number, the keys as each group's
     * first value (a group's keys are equal, or all null) */
    for (int64_t e = 0; e < g.start[g.nparts]; e++) gid[g.rows[e]] = g.gid[e];
    cy_column *gc = NULL;
    st = cy_column_from_values(cy_type_make(CY_INT64), gid, NULL, rows, &gc, err);
    int32_t nf = sh->schema.num_fields;
    cy_column **cols = calloc((size_t)nf + 2, sizeof *cols);
    const char **names = calloc((size_t)nf + 2, sizeof *names);
    if (st == CY_OK && (!cols || !names)) st = CY_ENOMEM;
    for (int32_t i = 0; st == CY_OK && i < nf; i++) {
      cols[i] = sh->columns[i];
      names[i] = sh->schema.fields[i].name;
    }
    if (st == CY_OK) {
      cols[nf] = gc;
      names[nf] = "\x01gid";
      st = cy_table_make(nf + 1, names, cols, &sh2, err);
    }
    cy_column_release(gc);
    free(cols);
    free(names);
    for (int32_t i = 0; i < num_by; i++) {
      snprintf(kn[i], 24, "\x01k%d", (int)i);
      fin[i].column = by[i];
      fin[i].op = CY_AGG_FIRST;
      fin[i].output_name = kn[i];
    }
    for (int32_t f = 0; f < p->nfinal; f++) fin[num_by + f] = p->final[f];
    const char *gname[1] = {"\x01gid"};
    if (st == CY_OK) st = cy_table_groupby(sh2, gname, 1, fin, num_by + p->nfinal, &F, err);
    if (st == CY_OK) {
      row_gid = malloc((size_t)(F->num_rows > 0 ? F->num_rows : 1) * sizeof *row_gid);
      if (row_gid == NULL) st = CY_ENOMEM;
      else memcpy(row_gid, cy_column_data(F->columns[0]), (size_t)F->num_rows * sizeof *row_gid);
    }
    if (st == CY_OK)
      st = agg_finish(F, 1, 1 + num_by, num_by, row_gid, acc, aggs, num, p, want, out, err);
  }
  if (st == CY_ENOMEM && err && err->message[0] == 0) cy_error_set(err, "group-by: out of memory");
  if (have_g) cy_grouping_reset(&g);
  for (int32_t j = 0; acc && j < num; j++) var_acc_reset(&acc[j]);
  free(acc);
  free(keys);
  cy_free(gid, (rows + 1) * 8);
  free(fin);
  free(kn);
  free(row_gid);
  cy_table_release(sh2);
  cy_table_release(F);
  return st;
}

/* The columns a row shuffle must carry: the keys and every aggregated column, once. */
static cy_status needed_columns(cy_table *t, const char *const *by, int32_t num_by,
                                const cy_aggregate *aggs, int32_t num, cy_table **out,
                                cy_error *err) {
  int32_t *idx = calloc((size_t)(num_by + num) + 1, sizeof *idx), n = 0;
  if (idx == NULL) {
    cy_error_set(err, "group-by: out of memory");
    return CY_ENOMEM;
  }
  cy_status st = dist_columns(t, by, num_by, "group-by", idx, err);
  n = num_by;
  for (int32_t j = 0; st == CY_OK && j < num; j++) {
    if (aggs[j].column == NULL) continue; /* count_all's column too: the name is checked */
    int32_t c = cy_schema_find(&t->schema, aggs[j].column);
    bool have = c < 0;
    for (int32_t i = 0; i < n && !have; i++) have = idx[i] == c;
    if (!have) idx[n++] = c;
  }
  if (st == CY_OK) st = cy_table_project(t, n, idx, NULL, out, err);
  free(idx);
  return st;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Whether pre-aggregation pays: collective (every rank must take the same path). Each rank
 * counts the distinct key hashes in an even sample of its rows; when most sampled rows
 * have keys of their own, partials would be as many rows as the input, and wider, so the
 * rows are shuffled instead. */
#define PREAGG_SAMPLE 4096
static cy_status preagg_pays(cy_comm *comm, cy_table *table, const char *const *by,
                             int32_t num_by, bool *pays, cy_error *err) {
  int64_t rows = table->num_rows, n = rows < PREAGG_SAMPLE ? rows : PREAGG_SAMPLE;
  int64_t counts[2] = {n, 0};
  int32_t *kidx = calloc((size_t)num_by + 1, sizeof *kidx);
  int64_t *idx = malloc((size_t)(n + 1) * sizeof *idx);
  uint64_t *h = malloc((size_t)(n + 1) * sizeof *h);
  cy_table *sample = NULL;
  cy_status st = kidx && idx && h ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "group-by: out of memory");
  for (int64_t i = 0; st == CY_OK && i < n; i++) idx[i] = i * rows / n;
  if (st == CY_OK) st = dist_columns(table, by, num_by, "group-by", kidx, err);
  if (st == CY_OK) st = cy_table_take(table, idx, n, &sample, err);
  if (st == CY_OK && n > 0) st = cy_table_hash_rows(sample, kidx, num_by, h, err);
  if (st == CY_OK && n > 0) {
    qsort(h, (size_t)n, sizeof *h, cmp_u64);
    counts[1] = 1;
    for (int64_t i = 1; i < n; i++) counts[1] += h[i] != h[i - 1];
  }
  cy_table_release(sample);
  free(kidx);
  free(idx);
  free(h);
  st = dist_fail(comm, st, err);
  if (st == CY_OK) st = cy_comm_allreduce(comm, counts, 2, CY_REDUCE_INT64, CY_REDUCE_SUM, err);
  *pays = counts[1] * 4 <= counts[0] * 3; /* at most 3 distinct keys in 4 sampled rows */
  return st;
}

cy_status cy_dist_groupby(cy_comm *comm, cy_table *table, const char *const *by,
                          int32_t num_by, const cy_aggregate *aggs, int32_t num_aggs,
                          cy_table **out, cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(dist_check_schema(comm, table, "group-by", err));
  cy_table *e = NULL, *want = NULL;
  cy_status st = dist_empty_like(table, &e, err);
  if (st == CY_OK) st = cy_table_groupby(e, by, num_by, aggs, num_aggs, &want, err);
  cy_table_release(e);
  if (st != CY_OK) return st; /* the same on every rank */
  if (cy_comm_world_size(comm) == 1) {
    cy_table_release(want);
    return cy_table_groupby(table, by, num_by, aggs, num_aggs, out, err);
  }
  if (num_by == 0) {
    /* one group for the whole table: the scalar aggregate, kept on rank 0 only */
    cy_table *all = NULL;
    st = cy_dist_aggregate(comm, table, aggs, num_aggs, &all, err);
    if (st == CY_OK && cy_comm_rank(comm) != 0) {
      st = cy_table_slice(all, 0, 0, out, err);
      cy_table_release(all);
    } else if (st == CY_OK) {
      *out = all;
    }
    cy_table_release(want);
    return st;
  }
  int32_t *keys = calloc((size_t)num_by, sizeof *keys);
  for (int32_t i = 0; keys && i < num_by; i++) keys[i] = i;
  bool decomp = use_partials(table, by, num_by, aggs, num_aggs), pays = true;
  if (decomp) st = preagg_pays(comm, table, by, num_by, &pays, err);
  decomp = decomp && pays;
  if (st != CY_OK) {
    /* failed collectively (preagg_pays aborted on a local failure) */
  } else if (keys == NULL) {
    cy_error_set(err, "group-by: out of memory");
    st = CY_ENOMEM;
  } else if (decomp) {
    agg_plan p;
    cy_table *partial = NULL, *sh = NULL, *aug = NULL;
    st = agg_plan_make(table, aggs, num_aggs, &p, err);
    if (st == CY_OK) st = add_wide_columns(table, aggs, num_aggs, &p, &aug, err);
    if (st == CY_OK) st = cy_table_groupby(aug, by, num_by, p.partial, p.n, &partial, err);
    cy_table_release(aug);
    if (st == CY_OK) st = dist_shuffle_idx(comm, partial, keys, num_by, NULL, 0, &sh, err);
    if (st == CY_OK) st = agg_final(sh, by, num_by, aggs, num_aggs, &p, &want->schema, out, err);
    cy_table_release(partial);
    cy_table_release(sh);
    agg_plan_reset(&p);
  } else {
    cy_table *narrow = NULL, *sh = NULL;
    st = needed_columns(table, by, num_by, aggs, num_aggs, &narrow, err);
    if (st == CY_OK) st = dist_shuffle_idx(comm, narrow, keys, num_by, NULL, 0, &sh, err);
    if (st == CY_OK) st = cy_table_groupby(sh, by, num_by, aggs, num_aggs, out, err);
    cy_table_release(narrow);
    cy_table_release(sh);
  }
  free(keys);
  cy_table_release(want);
  return dist_fail(comm, st, err);
}

cy_status cy_dist_aggregate(cy_comm *comm, cy_table *table, const cy_aggregate *aggs,
                            int32_t num_aggs, cy_table **out, cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(dist_check_schema(comm, table, "aggregate", err));
  cy_table *e = NULL, *want = NULL;
  cy_status st = dist_empty_like(table, &e, err);
  if (st == CY_OK) st = cy_table_aggregate(e, aggs, num_aggs, &want, err);
  cy_table_release(e);
  if (st != CY_OK) return st;
  if (cy_comm_world_size(comm) == 1) {
    cy_table_release(want);
    return cy_table_aggregate(table, aggs, num_aggs, out, err);
  }
  bool decomp = use_partials(table, NULL, 0, aggs, num_aggs);
  if (decomp) {
    agg_plan p;
    cy_table *partial = NULL, *all = NULL, *aug = NULL;
    st = agg_plan_make(table, aggs, num_aggs, &p, err);
    if (st == CY_OK) st = add_wide_columns(table, aggs, num_aggs, &p, &aug, err);
    if (st == CY_OK) st = cy_table_aggregate(aug, p.partial, p.n, &partial, err);
    st = dist_fail(comm, st, err);
    cy_table_release(aug);
    if (st == CY_OK) st = cy_dist_allgather(comm, partial, &all, err);
    /* every rank finishes the same rows the same way: an error (a sum that overflows) is
     * the same everywhere, so nobody aborts the communicator for it */
    bool finishing = st == CY_OK;
    if (st == CY_OK) st = agg_final(all, NULL, 0, aggs, num_aggs, &p, &want->schema, out, err);
    cy_table_release(partial);
    cy_table_release(all);
    agg_plan_reset(&p);
    if (finishing) {
      cy_table_release(want);
      return st;
    }
  } else {
    cy_table *narrow = NULL, *gathered = NULL, *row = NULL;
    st = dist_fail(comm, needed_columns(table, NULL, 0, aggs, num_aggs, &narrow, err), err);
    if (st == CY_OK) st = cy_dist_gather(comm, narrow, 0, &gathered, err);
    if (st == CY_OK && cy_comm_rank(comm) == 0)
      st = dist_fail(comm, cy_table_aggregate(gathered, aggs, num_aggs, &row, err), err);
    if (st == CY_OK) st = cy_dist_broadcast(comm, row, 0, out, err);
    cy_table_release(narrow);
    cy_table_release(gathered);
    cy_table_release(row);
  }
  cy_table_release(want);
  return dist_fail(comm, st, err);
}
