/*
 * aggregate.c - the aggregate kernels of group-by: count, sum, min, max, mean, var, std,
 * nunique, first, last, median and quantile.
 *
 * Each kernel runs over one partition of a grouping at a time (groupby.h), updating the
 * per-group state of that partition's groups only, so partitions run on all threads with
 * no locking. Integer sums and means accumulate exactly (int64 with an overflow check, and
 * 128-bit for means); variances use Welford's update; min, max, first and last of any type
 * remember a row and gather the values at the end; medians and quantiles sort each group's
 * values. Nulls are skipped; a group with no value gets a null (count gets 0), as in SQL.
 */
#include <math.h>
#include <stdlib.h>

#include "compute/groupby.h"

static const char *const agg_names[] = {"count", "count_all", "sum",     "min",   "max",
                                        "mean",  "var",       "std",     "nunique", "first",
                                        "last",  "median",    "quantile"};

const char *cy_agg_name(cy_agg_op op) {
  return (unsigned)op < sizeof agg_names / sizeof agg_names[0] ? agg_names[op] : "unknown";
}

cy_status cy_agg_parse(const char *name, cy_agg_op *out, cy_error *err) {
  static const struct {
    const char *alias;
    cy_agg_op op;
  } aliases[] = {{"avg", CY_AGG_MEAN}, {"size", CY_AGG_COUNT_ALL}, {"variance", CY_AGG_VAR},
                 {"stddev", CY_AGG_STD}, {"count_distinct", CY_AGG_NUNIQUE}};
  for (size_t i = 0; i < sizeof agg_names / sizeof agg_names[0]; i++)
    if (strcmp(name, agg_names[i]) == 0) {
      *out = (cy_agg_op)i;
      return CY_OK;
    }
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (strcmp(name, aliases[i].alias) == 0) {
      *out = aliases[i].op;
      return CY_OK;
    }
  cy_error_set(err, "unknown aggregate '%s' (count, count_all, sum, min, max, mean, var, std, "
                    "nunique, first, last, median, quantile)", name);
  return CY_EINVAL;
}

static bool is_float(cy_type_id id) { return id == CY_FLOAT32 || id == CY_FLOAT64; }
/* Whether the aggregate's input is floating point (count_all has no input). */
static bool s_is_float(const agg_state *s) { return s->col && is_float(s->col->type.id); }
static bool summable(cy_type_id id) { return cy_type_is_numeric(id) || id == CY_BOOL; }

cy_status cy_agg_output_type(const cy_aggregate *agg, const cy_column *col, cy_type *out,
                             cy_error *err) {
  char tn[96];
  cy_agg_op op = agg->op;
  if ((unsigned)op > CY_AGG_QUANTILE) {
    cy_error_set(err, "unknown aggregate %d", (int)op);
    return CY_EINVAL;
  }
  if (op == CY_AGG_COUNT || op == CY_AGG_COUNT_ALL || op == CY_AGG_NUNIQUE) {
    *out = cy_type_make(CY_INT64);
    return CY_OK;
  }
  if (op == CY_AGG_MIN || op == CY_AGG_MAX || op == CY_AGG_FIRST || op == CY_AGG_LAST) {
    *out = col->type;
    return CY_OK;
  }
  if (!summable(col->type.id)) {
    cy_error_set(err, "cannot take the %s of column '%s' of type %s (it needs numbers)",
                 cy_agg_name(op), agg->column, cy_type_name(&col->type, tn, sizeof tn));
    return CY_EINVAL;
  }
  if (op == CY_AGG_QUANTILE && !(agg->quantile >= 0 && agg->quantile <= 1)) {
    cy_error_set(err, "quantile %g of column '%s' is outside [0, 1]", agg->quantile, agg->column);
    return CY_EINVAL;
  }
  *out = cy_type_make(op == CY_AGG_SUM && !is_float(col->type.id) ? CY_INT64 : CY_FLOAT64);
  return CY_OK;
}

/* Per-group accumulators beyond `values`. */
typedef struct welford {
  int64_t n;
  double mean, m2;
} welford;

typedef struct mean_acc { /* integers: exact */
  __int128 isum;
  int64_t n;
} mean_acc;

typedef struct fmean_acc { /* floats: half the size, so more groups stay in cache */
  double fsum;
  int64_t n;
} fmean_acc;

/* How the kernels keep state, by op and input. */
static bool keeps_rows(const agg_state *s) {
  cy_agg_op op = s->agg.op;
  return op == CY_AGG_FIRST || op == CY_AGG_LAST ||
         ((op == CY_AGG_MIN || op == CY_AGG_MAX) &&
          !(s->col->type.id == CY_INT64 || s->col->type.id == CY_FLOAT64));
}

static size_t state_size(const agg_state *s) {
  switch (s->agg.op) {
    case CY_AGG_MEAN: return is_float(s->col->type.id) ? sizeof(fmean_acc) : sizeof(mean_acc);
    case CY_AGG_VAR: case CY_AGG_STD: return sizeof(welford);
    case CY_AGG_SUM: return is_float(s->col->type.id) ? sizeof(double) : sizeof(__int128);
    default: return keeps_rows(s) ? sizeof(uint32_t) : 8;
  }
}

cy_status cy_agg_state_init(agg_state *s, int64_t groups, cy_error *err) {
  s->by_row = keeps_rows(s);
  s->values = calloc((size_t)groups + 1, state_size(s));
  s->valid = calloc((size_t)groups + 1, 1);
  if (!s->values || !s->valid) goto oom;
  if (s->by_row)
    for (int64_t g = 0; g < groups; g++) ((uint32_t *)s->values)[g] = CY_NO_ROW;
  if (s->agg.op == CY_AGG_NUNIQUE) {
    s->hashes = malloc(((size_t)s->col->length + 1) * sizeof(uint64_t));
    if (s->hashes == NULL) goto oom;
    cy_hash_column(s->col, s->hashes, true);
  }
  return CY_OK;
oom:
  cy_agg_state_reset(s);
  cy_error_set(err, "out of memory for the %s of '%s'", cy_agg_name(s->agg.op),
               s->agg.column ? s->agg.column : "");
  return CY_ENOMEM;
}

void cy_agg_state_reset(agg_state *s) {
  free(s->values);
  free(s->valid);
  free(s->hashes);
  s->values = NULL;
  s->valid = NULL;
  s->hashes = NULL;
}

/* ---- reading values --------------------------------------------------------------- */

static inline double as_double(const cy_column *c, int64_t i) {
  const uint8_t *p = c->values->data;
  int64_t k = c->offset + i;
  switch (c->type.id) {
    case CY_BOOL: return cy_column_bool(c, i);
    case CY_INT8: return ((const int8_t *)p)[k];
    case CY_INT16: return ((const int16_t *)p)[k];
    case CY_INT32: return ((const int32_t *)p)[k];
    case CY_INT64: return (double)((const int64_t *)p)[k];
    case CY_UINT8: return p[k];
    case CY_UINT16: return ((const uint16_t *)p)[k];
    case CY_UINT32: return ((const uint32_t *)p)[k];
    case CY_UINT64: return (double)((const uint64_t *)p)[k];
    case CY_FLOAT32: return ((const float *)p)[k];
    default: return ((const double *)p)[k];
  }
}

/* Integer value of row i (any integer or bool type); uint64 past INT64_MAX is flagged. */
static inline int64_t as_int(const cy_column *c, int64_t i, bool *too_big) {
  if (c->type.id == CY_UINT64) {
    uint64_t u = ((const uint64_t *)c->values->data)[c->offset + i];
    if (u > INT64_MAX) *too_big = true;
    return (int64_t)u;
  }
  if (c->type.id == CY_INT64) return ((const int64_t *)c->values->data)[c->offset + i];
  return (int64_t)as_double(c, i); /* narrower integers are exact as doubles */
}

/* ---- kernels ---------------------------------------------------------------------- */

/* The rows one kernel call sees: a partition's entries, read from the aggregate's column
 * through their row numbers, or from a copy of the partition's values gathered once for
 * several aggregates of one column, or a range of rows of the column (rows NULL: entry e
 * is row row0 + e). */
typedef struct agg_rows {
  const cy_column *col;
  const uint32_t *rows;
  const uint32_t *gid;
  int64_t n;
  int64_t row0;
} agg_rows;

/* For each entry: r is its row in R->col, gi its group. (The one-pass loops only declare
 * things: R's fields in locals, which stores to the states cannot change; `continue` in
 * the body moves on to the next entry.) */
#define FOR_ROWS                                                                       \
  for (const uint32_t *rows_ = R->rows, *gid_ = R->gid, *once1_ = gid_; once1_; once1_ = NULL) \
    for (int64_t e = 0, n_ = R->n, row0_ = R->row0; e < n_; e++)                          \
      for (int64_t r = rows_ ? rows_[e] : row0_ + e, gi = gid_[e], once_ = 1; once_; once_ = 0)

static cy_status overflow(const agg_state *s, cy_error *err) {
  cy_error_set(err, "the sum of column '%s' overflows int64", s->agg.column);
  return CY_ERANGE;
}

static cy_status run_sum(agg_state *s, const agg_rows *R) {
  const cy_column *c = R->col;
  bool nulls = c->null_count > 0;
  if (is_float(c->type.id)) {
    double *acc = s->values;
    uint8_t *valid = s->valid;
    if (c->type.id == CY_FLOAT64 && !nulls) { /* the common case, in a tight loop */
      const double *v = (const double *)c->values->data + c->offset;
      FOR_ROWS {
        acc[gi] += v[r];
        valid[gi] = 1;
      }
      return CY_OK;
    }
    FOR_ROWS {
      if (nulls && !cy_column_is_valid(c, r)) continue;
      acc[gi] += as_double(c, r);
      s->valid[gi] = 1;
    }
    return CY_OK;
  }
  /* 128 bits cannot overflow on any real row count, so only the total is checked (in
   * cy_agg_finish): a partial sum past int64 that comes back is fine, as in SQL. */
  __int128 *acc = s->values;
  uint8_t *valid = s->valid;
  if (c->type.id == CY_INT64 && !nulls) { /* the common case, in a tight loop */
    const int64_t *v = (const int64_t *)c->values->data + c->offset;
    FOR_ROWS {
      acc[gi] += v[r];
      valid[gi] = 1;
    }
    return CY_OK;
  }
  bool unused = false;
  FOR_ROWS {
    if (nulls && !cy_column_is_valid(c, r)) continue;
    acc[gi] += c->type.id == CY_UINT64
                   ? (__int128)((const uint64_t *)c->values->data)[c->offset + r]
                   : (__int128)as_int(c, r, &unused);
    s->valid[gi] = 1;
  }
  return CY_OK;
}



static cy_status run_mean(agg_state *s, const agg_rows *R) {
  const cy_column *c = R->col;
  bool nulls = c->null_count > 0, tb = false;
  if (is_float(c->type.id)) {
    fmean_acc *acc = s->values;
    if (c->type.id == CY_FLOAT64 && !nulls) { /* the common case, in a tight loop */
      const double *v = (const double *)c->values->data + c->offset;
      FOR_ROWS {
        acc[gi].fsum += v[r];
        acc[gi].n++;
      }
      return CY_OK;
    }
    FOR_ROWS {
      if (nulls && !cy_column_is_valid(c, r)) continue;
      acc[gi].fsum += as_double(c, r);
      acc[gi].n++;
    }
    return CY_OK;
  }
  mean_acc *acc = s->values;
  FOR_ROWS {
    if (nulls && !cy_column_is_valid(c, r)) continue;
    acc[gi].isum += c->type.id == CY_UINT64 ? (__int128)((const uint64_t *)c->values->data)[c->offset + r]
                                            : (__int128)as_int(c, r, &tb);
    acc[gi].n++;
  }
  return CY_OK;
}

static cy_status run_welford(agg_state *s, const agg_rows *R) {
  const cy_column *c = R->col;
  bool nulls = c->null_count > 0;
  welford *w = s->values;
  FOR_ROWS {
    if (nulls && !cy_column_is_valid(c, r)) continue;
    double x = as_double(c, r);
    welford *a = &w[gi];
    a->n++;
    double d = x - a->mean;
    a->mean += d / (double)a->n;
    a->m2 += d * (x - a->mean);
  }
  return CY_OK;
}

static cy_status run_count(agg_state *s, const agg_rows *R) {
  int64_t *acc = s->values;
  const cy_column *c = R->col;
  bool all = s->agg.op == CY_AGG_COUNT_ALL || c == NULL || c->null_count == 0;
  FOR_ROWS { acc[gi] += all || cy_column_is_valid(c, r); }
  return CY_OK; /* every group's count is valid: the caller marks them */
}

/* min and max of int64 and float64 by value; NaN is the largest float (DuckDB's order). */
static cy_status run_minmax_typed(agg_state *s, const agg_rows *R) {
  const cy_column *c = R->col;
  bool nulls = c->null_count > 0, is_max = s->agg.op == CY_AGG_MAX;
  if (c->type.id == CY_INT64) {
    const int64_t *v = (const int64_t *)c->values->data + c->offset;
    int64_t *acc = s->values;
    FOR_ROWS {
      if (nulls && !cy_column_is_valid(c, r)) continue;
      if (!s->valid[gi] || (is_max ? v[r] > acc[gi] : v[r] < acc[gi])) acc[gi] = v[r];
      s->valid[gi] = 1;
    }
    return CY_OK;
  }
  const double *v = (const double *)c->values->data + c->offset;
  double *acc = s->values;
  FOR_ROWS {
    if (nulls && !cy_column_is_valid(c, r)) continue;
    double x = v[r], y = acc[gi];
    bool better = isnan(x) ? (is_max && !isnan(y)) : isnan(y) ? !is_max : is_max ? x > y : x < y;
    if (!s->valid[gi] || better) acc[gi] = x;
    s->valid[gi] = 1;
  }
  return CY_OK;
}

/* min, max, first, last of any type by remembering a row. */
static cy_status run_by_row(agg_state *s, const agg_rows *R) {
  const cy_column *c = R->col;
  uint32_t *best = s->values;
  cy_agg_op op = s->agg.op;
  FOR_ROWS {
    if (!cy_column_is_valid(c, r)) continue;
    uint32_t b = best[gi];
    bool take = b == CY_NO_ROW || op == CY_AGG_LAST ||
                (op == CY_AGG_MIN && cy_value_compare(c, r, c, b) < 0) ||
                (op == CY_AGG_MAX && cy_value_compare(c, r, c, b) > 0);
    if (take) best[gi] = (uint32_t)r;
  }
  return CY_OK;
}

/* Distinct non-null values per group: a table of (group, value) pairs for the partition.
 * Reads the aggregate's own column (value hashes are per original row). */
static cy_status run_nunique(agg_state *s, const agg_rows *R, cy_error *err) {
  const cy_column *c = R->col;
  uint64_t cap = 16;
  while (cap < (uint64_t)R->n * 2) cap <<= 1;
  uint32_t *slots = calloc(cap, sizeof(uint32_t)); /* entry + 1 */
  if (slots == NULL) {
    cy_error_set(err, "out of memory counting distinct values");
    return CY_ENOMEM;
  }
  int64_t *acc = s->values;
  FOR_ROWS {
    if (!cy_column_is_valid(c, r)) continue;
    uint64_t h = cy_hash_combine(s->hashes[r], (uint64_t)gi), at = h & (cap - 1);
    for (;;) {
      uint32_t x = slots[at];
      if (x == 0) {
        slots[at] = (uint32_t)e + 1;
        acc[gi]++;
        break;
      }
      int64_t r2 = R->rows[x - 1];
      if (R->gid[x - 1] == (uint32_t)gi && s->hashes[r2] == s->hashes[r] &&
          cy_value_compare(c, r, c, r2) == 0)
        break;
      at = (at + 1) & (cap - 1);
    }
  }
  free(slots);
  return CY_OK;
}

typedef struct gv {
  uint32_t group;
  double value;
} gv;

static int compare_gv(const void *a, const void *b) {
  const gv *x = a, *y = b;
  if (x->group != y->group) return x->group < y->group ? -1 : 1;
  return x->value < y->value ? -1 : x->value > y->value ? 1 : 0;
}

/* Quantiles by sorting each group's values: linear interpolation between the two nearest
 * ranks (quantile_cont), so the median of an even count is the mean of the middle two. */
static cy_status run_quantile(agg_state *s, const agg_rows *R, cy_error *err) {
  const cy_column *c = R->col;
  int64_t k = 0;
  gv *vals = malloc(((size_t)R->n + 1) * sizeof(gv));
  if (vals == NULL) {
    cy_error_set(err, "out of memory for a quantile");
    return CY_ENOMEM;
  }
  FOR_ROWS {
    if (!cy_column_is_valid(c, r)) continue;
    double x = as_double(c, r);
    if (isnan(x)) continue; /* NaN has no rank among numbers */
    vals[k].group = (uint32_t)gi;
    vals[k++].value = x;
  }
  qsort(vals, (size_t)k, sizeof(gv), compare_gv);
  double q = s->agg.op == CY_AGG_MEDIAN ? 0.5 : s->agg.quantile;
  double *out = s->values;
  for (int64_t i = 0; i < k;) {
    int64_t j = i;
    while (j < k && vals[j].group == vals[i].group) j++;
    double pos = q * (double)(j - i - 1);
    int64_t lo = (int64_t)floor(pos);
    double frac = pos - (double)lo;
    double a = vals[i + lo].value, b = vals[i + (lo + 1 < j - i ? lo + 1 : lo)].value;
    /* a + (b - a) * frac is NaN when an end is infinite; the weighted form is not. */
    double v = frac == 0 || a == b            ? a
               : isinf(a) || isinf(b)         ? (1 - frac) * a + frac * b
                                              : a + (b - a) * frac;
    out[vals[i].group] = v;
    s->valid[vals[i].group] = 1;
    i = j;
  }
  free(vals);
  return CY_OK;
}

#undef FOR_ROWS

bool cy_agg_reads_values(const agg_state *s) {
  switch (s->agg.op) {
    case CY_AGG_SUM: case CY_AGG_MEAN: case CY_AGG_VAR: case CY_AGG_STD:
    case CY_AGG_MEDIAN: case CY_AGG_QUANTILE:
      return true;
    default:
      return !s->by_row && (s->agg.op == CY_AGG_MIN || s->agg.op == CY_AGG_MAX);
  }
}

cy_status cy_agg_run_partition(agg_state *s, const grouping *g, int64_t p,
                               const cy_column *values, cy_error *err) {
  int64_t start = g->start[p];
  agg_rows R = {s->col, g->rows + start, g->gid + start, g->start[p + 1] - start, 0};
  if (values && cy_agg_reads_values(s)) {
    R.col = values;
    R.rows = NULL;
  }
  switch (s->agg.op) {
    case CY_AGG_COUNT: case CY_AGG_COUNT_ALL:
    case CY_AGG_NUNIQUE:
      for (int64_t gg = g->base[p]; gg < g->base[p + 1]; gg++) s->valid[gg] = 1;
      return s->agg.op == CY_AGG_NUNIQUE ? run_nunique(s, &R, err) : run_count(s, &R);
    case CY_AGG_SUM: return run_sum(s, &R);
    case CY_AGG_MEAN: return run_mean(s, &R);
    case CY_AGG_VAR: case CY_AGG_STD: return run_welford(s, &R);
    case CY_AGG_MEDIAN: case CY_AGG_QUANTILE: return run_quantile(s, &R, err);
    default: return s->by_row ? run_by_row(s, &R) : run_minmax_typed(s, &R);
  }
}

bool cy_agg_combinable(const cy_aggregate *agg, const cy_column *col) {
  switch (agg->op) {
    case CY_AGG_COUNT: case CY_AGG_COUNT_ALL: case CY_AGG_SUM: case CY_AGG_MEAN:
    case CY_AGG_VAR: case CY_AGG_STD:
      return true;
    case CY_AGG_MIN: case CY_AGG_MAX: /* by value, not by remembering a row */
      return col->type.id == CY_INT64 || col->type.id == CY_FLOAT64;
    default:
      return false;
  }
}

static cy_status run_combinable(agg_state *s, const agg_rows *R, cy_error *err) {
  switch (s->agg.op) {
    case CY_AGG_COUNT: case CY_AGG_COUNT_ALL: return run_count(s, R);
    case CY_AGG_SUM: return run_sum(s, R);
    case CY_AGG_MEAN: return run_mean(s, R);
    case CY_AGG_VAR: case CY_AGG_STD: return run_welford(s, R);
    case CY_AGG_MIN: case CY_AGG_MAX:
      if (!s->by_row) return run_minmax_typed(s, R);
      /* fall through */
    default:
      cy_error_set(err, "the %s of '%s' cannot run over row ranges", cy_agg_name(s->agg.op),
                   s->agg.column ? s->agg.column : "");
      return CY_EINVAL;
  }
}

cy_status cy_agg_run_range(agg_state *s, int64_t row0, const uint32_t *gid, int64_t n,
                           cy_error *err) {
  agg_rows R = {s->col, NULL, gid, n, row0};
  return run_combinable(s, &R, err);
}

bool cy_agg_counts_rows(const agg_state *s) {
  cy_agg_op op = s->agg.op;
  return op == CY_AGG_COUNT_ALL ||
         ((op == CY_AGG_COUNT || op == CY_AGG_MEAN || op == CY_AGG_VAR || op == CY_AGG_STD) &&
          s->col != NULL && s->col->null_count == 0);
}

int64_t cy_agg_rows_in(const agg_state *s, int64_t g) {
  switch (s->agg.op) {
    case CY_AGG_MEAN:
      return s_is_float(s) ? ((const fmean_acc *)s->values)[g].n
                           : ((const mean_acc *)s->values)[g].n;
    case CY_AGG_VAR: case CY_AGG_STD: return ((const welford *)s->values)[g].n;
    default: return ((const int64_t *)s->values)[g]; /* count, count_all */
  }
}

bool cy_agg_follows_mean(const agg_state *s, const agg_state *mean) {
  return mean->agg.op == CY_AGG_MEAN && s->col == mean->col && s->col != NULL &&
         (s->agg.op == CY_AGG_SUM || s->agg.op == CY_AGG_COUNT);
}

void cy_agg_from_mean(agg_state *s, const agg_state *mean, int64_t groups) {
  bool fl = s_is_float(mean);
  for (int64_t g = 0; g < groups; g++) {
    /* The mean's running sum and count are the sum's and the count's, added in the same
     * order. */
    int64_t n = cy_agg_rows_in(mean, g);
    if (s->agg.op == CY_AGG_COUNT) {
      ((int64_t *)s->values)[g] = n;
    } else if (fl) {
      ((double *)s->values)[g] = ((const fmean_acc *)mean->values)[g].fsum;
      s->valid[g] = n > 0;
    } else {
      ((__int128 *)s->values)[g] = ((const mean_acc *)mean->values)[g].isum;
      s->valid[g] = n > 0;
    }
  }
}

void cy_agg_merge(agg_state *dst, const agg_state *src, const uint32_t *to, int64_t n) {
  bool fl = s_is_float(dst);
  for (int64_t i = 0; i < n; i++) {
    uint32_t g = to[i];
    switch (dst->agg.op) {
      case CY_AGG_COUNT: case CY_AGG_COUNT_ALL:
        ((int64_t *)dst->values)[g] += ((const int64_t *)src->values)[i];
        dst->valid[g] = 1; /* a count is never null */
        break;
      case CY_AGG_SUM:
        if (!src->valid[i]) break;
        if (fl) ((double *)dst->values)[g] += ((const double *)src->values)[i];
        else ((__int128 *)dst->values)[g] += ((const __int128 *)src->values)[i];
        dst->valid[g] = 1;
        break;
      case CY_AGG_MEAN: {
        if (fl) {
          const fmean_acc *a = &((const fmean_acc *)src->values)[i];
          fmean_acc *b = &((fmean_acc *)dst->values)[g];
          b->fsum += a->fsum;
          b->n += a->n;
        } else {
          const mean_acc *a = &((const mean_acc *)src->values)[i];
          mean_acc *b = &((mean_acc *)dst->values)[g];
          b->isum += a->isum;
          b->n += a->n;
        }
        break;
      }
      case CY_AGG_VAR: case CY_AGG_STD: { /* Chan et al.'s pairwise update */
        const welford *a = &((const welford *)src->values)[i];
        welford *b = &((welford *)dst->values)[g];
        if (a->n == 0) break;
        if (b->n == 0) {
          *b = *a;
          break;
        }
        double na = (double)a->n, nb = (double)b->n, d = a->mean - b->mean;
        b->mean += d * na / (na + nb);
        b->m2 += a->m2 + d * d * na * nb / (na + nb);
        b->n += a->n;
        break;
      }
      default: { /* min or max of int64 or float64 (cy_agg_combinable) */
        if (!src->valid[i]) break;
        bool is_max = dst->agg.op == CY_AGG_MAX, take = !dst->valid[g];
        if (!fl) {
          int64_t x = ((const int64_t *)src->values)[i], y = ((int64_t *)dst->values)[g];
          if (take || (is_max ? x > y : x < y)) ((int64_t *)dst->values)[g] = x;
        } else {
          double x = ((const double *)src->values)[i], y = ((double *)dst->values)[g];
          take = take || (isnan(x) ? (is_max && !isnan(y))
                          : isnan(y) ? !is_max : is_max ? x > y : x < y);
          if (take) ((double *)dst->values)[g] = x;
        }
        dst->valid[g] = 1;
        break;
      }
    }
  }
}

cy_status cy_agg_finish(agg_state *s, int64_t groups, cy_column **out, cy_error *err) {
  if (s->by_row) return cy_column_take32(s->col, s->values, groups, out, err);
  double *d = NULL;
  cy_status st = CY_OK;
  if (s->agg.op == CY_AGG_SUM && !is_float(s->col->type.id)) {
    /* Narrow the 128-bit totals to int64 in place (each slot holds one of either). */
    uint8_t *bytes = s->values;
    for (int64_t gg = 0; gg < groups; gg++) {
      __int128 v;
      memcpy(&v, bytes + gg * 16, 16);
      if (s->valid[gg] && (v > INT64_MAX || v < INT64_MIN)) return overflow(s, err);
      int64_t narrow = (int64_t)v;
      memcpy(bytes + gg * 8, &narrow, 8); /* before slot gg's own bytes: already read */
    }
  }
  if (s->agg.op == CY_AGG_MEAN || s->agg.op == CY_AGG_VAR || s->agg.op == CY_AGG_STD) {
    /* Turn the accumulators into doubles in place of a new array. */
    d = malloc(((size_t)groups + 1) * sizeof(double));
    if (d == NULL) {
      cy_error_set(err, "out of memory finishing an aggregate");
      return CY_ENOMEM;
    }
    for (int64_t gg = 0; gg < groups; gg++) {
      if (s->agg.op == CY_AGG_MEAN) {
        if (is_float(s->col->type.id)) {
          fmean_acc *a = &((fmean_acc *)s->values)[gg];
          d[gg] = a->fsum / (double)a->n;
          s->valid[gg] = a->n > 0;
        } else {
          mean_acc *a = &((mean_acc *)s->values)[gg];
          d[gg] = (double)a->isum / (double)a->n;
          s->valid[gg] = a->n > 0;
        }
      } else {
        welford *w = &((welford *)s->values)[gg];
        double var = w->n > 1 ? w->m2 / (double)(w->n - 1) : 0;
        d[gg] = s->agg.op == CY_AGG_VAR ? var : sqrt(var);
        s->valid[gg] = w->n > 1; /* one value has no sample variance */
      }
    }
  }
  st = cy_column_from_values(s->out_type, d ? (const void *)d : s->values, s->valid, groups, out,
                             err);
  free(d);
  return st;
}
