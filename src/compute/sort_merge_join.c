/*
 * sort_merge_join.c - joins by sorting both sides on the keys and merging them, and the
 * cross join.
 *
 * Each side's key columns (cast to the compared types) are sorted into a permutation; the
 * merge walks both permutations, and for each run of equal keys emits every pair of the
 * two runs. Rows with a null key are passed over as unmatched (they sort consistently, so
 * skipping them keeps both sequences sorted). The output is built from the pairs exactly
 * as for the hash join, so both algorithms give the same rows.
 */
#include <stdlib.h>

#include "compute/hash_keys.h"
#include "compute/join.h"

/* A side's keys as a table of (cast) key columns, and its sorted order. */
typedef struct sorted_side {
  cy_table *keys;
  int64_t *order;
  uint8_t *null_rows; /* 1 where a key is null */
} sorted_side;

static void side_reset(sorted_side *s) {
  cy_table_release(s->keys);
  free(s->order);
  free(s->null_rows);
  memset(s, 0, sizeof(*s));
}

static cy_status side_init(sorted_side *s, cy_table *t, const int32_t *k, const cy_type *types,
                           int32_t n, cy_error *err) {
  memset(s, 0, sizeof(*s));
  cy_column **cols = calloc((size_t)n, sizeof(cy_column *));
  char **names = calloc((size_t)n, sizeof(char *));
  cy_sort_key *sk = calloc((size_t)n, sizeof(cy_sort_key));
  s->null_rows = calloc((size_t)t->num_rows + 1, 1);
  cy_status st = cols && names && sk && s->null_rows ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory joining");
  for (int32_t i = 0; st == CY_OK && i < n; i++) {
    cy_column *c = t->columns[k[i]];
    st = cy_type_equals(&c->type, &types[i]) ? (cols[i] = cy_column_retain(c), CY_OK)
                                              : cy_column_cast(c, types[i], &cols[i], err);
    if (st != CY_OK) break;
    names[i] = malloc(16);
    if (names[i] == NULL) {
      st = CY_ENOMEM;
      break;
    }
    snprintf(names[i], 16, "k%d", (int)i);
    sk[i].column = names[i];
    for (int64_t r = 0; cols[i]->null_count > 0 && r < t->num_rows; r++)
      s->null_rows[r] |= !cy_column_is_valid(cols[i], r);
  }
  if (st == CY_OK) st = cy_table_make(n, (const char *const *)names, cols, &s->keys, err);
  if (st == CY_OK) st = cy_table_sort_indices(s->keys, sk, n, &s->order, err);
  for (int32_t i = 0; i < n && cols; i++) cy_column_release(cols[i]);
  for (int32_t i = 0; i < n && names; i++) free(names[i]);
  free(cols);
  free(names);
  free(sk);
  if (st != CY_OK) side_reset(s);
  return st;
}

/* Order of row a of l against row b of r over all key columns. */
static int compare_rows(const sorted_side *l, int64_t a, const sorted_side *r, int64_t b) {
  for (int32_t c = 0; c < l->keys->schema.num_fields; c++) {
    int x = cy_value_compare(l->keys->columns[c], a, r->keys->columns[c], b);
    if (x != 0) return x;
  }
  return 0;
}

typedef struct pairs {
  u32_vec l, r;
} pairs;

static cy_status add(pairs *p, uint32_t l, uint32_t r, cy_error *err) {
  CY_RETURN_NOT_OK(u32_vec_push(&p->l, l, err));
  return u32_vec_push(&p->r, r, err);
}

/* Walk both sorted orders; emit pairs and mark which rows matched. */
static cy_status merge(const sorted_side *L, const sorted_side *R, int64_t nl, int64_t nr,
                       bool emit, pairs *out, uint8_t *lmatched, uint8_t *rmatched,
                       cy_error *err) {
  int64_t i = 0, j = 0;
  while (i < nl && j < nr) {
    int64_t a = L->order[i], b = R->order[j];
    if (L->null_rows[a]) {
      i++;
      continue;
    }
    if (R->null_rows[b]) {
      j++;
      continue;
    }
    int c = compare_rows(L, a, R, b);
    if (c < 0) {
      i++;
    } else if (c > 0) {
      j++;
    } else {
      int64_t i2 = i + 1, j2 = j + 1; /* the runs of this key on both sides */
      while (i2 < nl && !L->null_rows[L->order[i2]] && compare_rows(L, L->order[i2], L, a) == 0) i2++;
      while (j2 < nr && !R->null_rows[R->order[j2]] && compare_rows(R, R->order[j2], R, b) == 0) j2++;
      for (int64_t x = i; x < i2; x++) {
        lmatched[L->order[x]] = 1;
        for (int64_t y = j; y < j2 && emit; y++)
          CY_RETURN_NOT_OK(add(out, (uint32_t)L->order[x], (uint32_t)R->order[y], err));
      }
      for (int64_t y = j; y < j2; y++) rmatched[R->order[y]] = 1;
      i = i2;
      j = j2;
    }
  }
  return CY_OK;
}

cy_status cy_sort_merge_join(cy_table *left, cy_table *right, const int32_t *lk,
                             const int32_t *rk, const cy_type *types,
                             const cy_join_options *o, cy_table **out, cy_error *err) {
  int64_t nl = left->num_rows, nr = right->num_rows;
  if (nl >= (int64_t)CY_NO_ROW || nr >= (int64_t)CY_NO_ROW) {
    cy_error_set(err, "join: a side of more than %lld rows is too large", (long long)CY_NO_ROW - 1);
    return CY_ENOTSUP;
  }
  sorted_side L, R;
  memset(&L, 0, sizeof L);
  memset(&R, 0, sizeof R);
  pairs p;
  memset(&p, 0, sizeof p);
  uint8_t *lm = calloc((size_t)nl + 1, 1), *rm = calloc((size_t)nr + 1, 1);
  cy_status st = lm && rm ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory joining");
  if (st == CY_OK) st = side_init(&L, left, lk, types, o->num_keys, err);
  if (st == CY_OK) st = side_init(&R, right, rk, types, o->num_keys, err);
  bool semi_anti = o->type == CY_JOIN_SEMI || o->type == CY_JOIN_ANTI;
  if (st == CY_OK) st = merge(&L, &R, nl, nr, !semi_anti, &p, lm, rm, err);
  side_reset(&L); /* the pairs are all that is needed now */
  side_reset(&R);
  bool keep_left = o->type == CY_JOIN_LEFT || o->type == CY_JOIN_FULL;
  bool keep_right = o->type == CY_JOIN_RIGHT || o->type == CY_JOIN_FULL;
  for (int64_t i = 0; st == CY_OK && keep_left && i < nl; i++)
    if (!lm[i]) st = add(&p, (uint32_t)i, CY_NO_ROW, err);
  for (int64_t i = 0; st == CY_OK && keep_right && i < nr; i++)
    if (!rm[i]) st = add(&p, CY_NO_ROW, (uint32_t)i, err);
  if (st == CY_OK && semi_anti)
    st = cy_join_filter_left(left, lm, o->type == CY_JOIN_SEMI, out, err);
  else if (st == CY_OK)
    st = cy_join_output(left, right, p.l.data, p.r.data, p.l.len, lk, rk, o, out, err);
  u32_vec_reset(&p.l);
  u32_vec_reset(&p.r);
  free(lm);
  free(rm);
  return st;
}

cy_status cy_table_cross_join(cy_table *left, cy_table *right, cy_table **out, cy_error *err) {
  int64_t nl = left->num_rows, nr = right->num_rows, n;
  if (__builtin_mul_overflow(nl, nr, &n) || n >= (int64_t)CY_NO_ROW ||
      nl >= (int64_t)CY_NO_ROW || nr >= (int64_t)CY_NO_ROW) {
    cy_error_set(err, "cross join: %lld x %lld rows is too many", (long long)nl, (long long)nr);
    return CY_ENOTSUP;
  }
  uint32_t *li = malloc(((size_t)n + 1) * sizeof(uint32_t));
  uint32_t *ri = malloc(((size_t)n + 1) * sizeof(uint32_t));
  cy_status st = li && ri ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory for a cross join of %lld rows", (long long)n);
  for (int64_t i = 0, k = 0; st == CY_OK && i < nl; i++)
    for (int64_t j = 0; j < nr; j++, k++) {
      li[k] = (uint32_t)i;
      ri[k] = (uint32_t)j;
    }
  cy_join_options o;
  cy_join_options_init(&o);
  if (st == CY_OK) st = cy_join_output(left, right, li, ri, n, NULL, NULL, &o, out, err);
  free(li);
  free(ri);
  return st;
}
