/*
 * dist_join.c - distributed joins, set operations, unique and equality.
 *
 * All of them follow one pattern: rows that must meet are brought to one rank by a hash
 * shuffle on the columns that decide the match (join keys; all columns for sets), then
 * the local operator runs on each rank's part. A join may instead replicate its small
 * side on every rank (allgather) and leave the big side where it is; which side may be
 * replicated depends on the join type (the side whose unmatched rows are not kept).
 *
 * Arguments are checked first by running the local operator on zero-row slices: the
 * schemas are the same on every rank (checked collectively), so every rank gets the same
 * error and nobody has to abort the communicator.
 *
 * Keys of different numeric types (int32 against int64, int against float) are hashed in
 * one common type (int64, or float64 when a float or uint64 is involved) so equal values
 * meet; the local join compares them exactly.
 *
 * unique keeps first / last in the global order without carrying row numbers: the shuffle
 * delivers each rank's rows in source rank order and keeps row order within a source, so
 * the rows with one key arrive on their rank in global order.
 */
#include "dist/dist_internal.h"

void cy_dist_join_options_init(cy_dist_join_options *opts) {
  memset(opts, 0, sizeof *opts);
  cy_join_options_init(&opts->join);
  opts->strategy = CY_DIST_JOIN_AUTO;
  opts->broadcast_bytes = 8LL << 20;
}

/* The type both sides of a key are hashed in. */
static cy_type common_key_type(cy_type a, cy_type b) {
  if (cy_type_equals(&a, &b)) return a;
  if (cy_type_is_integer(a.id) && cy_type_is_integer(b.id) && a.id != CY_UINT64 && b.id != CY_UINT64)
    return cy_type_make(CY_INT64);
  return cy_type_make(CY_FLOAT64);
}

/* Allgather `small`, then join locally with the other side. */
static cy_status join_broadcast(cy_comm *comm, cy_table *left, cy_table *right,
                                bool replicate_left, const cy_join_options *jo,
                                cy_table **out, cy_error *err) {
  cy_table *all = NULL;
  CY_RETURN_NOT_OK(cy_dist_allgather(comm, replicate_left ? left : right, &all, err));
  cy_status st = replicate_left ? cy_table_join(all, right, jo, out, err)
                                : cy_table_join(left, all, jo, out, err);
  cy_table_release(all);
  return dist_fail(comm, st, err);
}

cy_status cy_dist_join(cy_comm *comm, cy_table *left, cy_table *right,
                       const cy_dist_join_options *opts, cy_table **out, cy_error *err) {
  *out = NULL;
  if (opts == NULL) {
    cy_error_set(err, "join: no options (the keys are required)");
    return CY_EINVAL;
  }
  CY_RETURN_NOT_OK(dist_check_schema(comm, left, "join: left table", err));
  CY_RETURN_NOT_OK(dist_check_schema(comm, right, "join: right table", err));
  const cy_join_options *jo = &opts->join;
  cy_table *le = NULL, *re = NULL, *probe = NULL;
  cy_status st = dist_empty_like(left, &le, err);
  if (st == CY_OK) st = dist_empty_like(right, &re, err);
  if (st == CY_OK) st = cy_table_join(le, re, jo, &probe, err);
  cy_table_release(le);
  cy_table_release(re);
  cy_table_release(probe);
  if (st != CY_OK) return st; /* the same error on every rank */
  if (cy_comm_world_size(comm) == 1) return cy_table_join(left, right, jo, out, err);

  /* which side may be replicated, and is it small enough */
  cy_join_type type = jo->type;
  int64_t bytes[2] = {wire_table_bytes(left), wire_table_bytes(right)};
  CY_RETURN_NOT_OK(cy_comm_allreduce(comm, bytes, 2, CY_REDUCE_INT64, CY_REDUCE_SUM, err));
  bool can_broadcast = type != CY_JOIN_FULL;
  bool replicate_left = type == CY_JOIN_RIGHT || (type == CY_JOIN_INNER && bytes[0] < bytes[1]);
  bool broadcast = false;
  if (opts->strategy == CY_DIST_JOIN_BROADCAST) broadcast = can_broadcast;
  else if (opts->strategy == CY_DIST_JOIN_AUTO)
    broadcast = can_broadcast &&
                bytes[replicate_left ? 0 : 1] <= (opts->broadcast_bytes > 0 ? opts->broadcast_bytes : 8LL << 20);
  if (broadcast) return join_broadcast(comm, left, right, replicate_left, jo, out, err);

  int32_t n = jo->num_keys;
  int32_t *lk = calloc((size_t)n + 1, sizeof *lk), *rk = calloc((size_t)n + 1, sizeof *rk);
  cy_type *ht = calloc((size_t)n + 1, sizeof *ht);
  cy_table *ls = NULL, *rs = NULL;
  st = lk && rk && ht ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "join: out of memory");
  if (st == CY_OK) st = dist_columns(left, jo->left_on, n, "join (left keys)", lk, err);
  if (st == CY_OK)
    st = dist_columns(right, jo->right_on ? jo->right_on : jo->left_on, n, "join (right keys)", rk, err);
  for (int32_t i = 0; st == CY_OK && i < n; i++)
    ht[i] = common_key_type(left->columns[lk[i]]->type, right->columns[rk[i]]->type);
  if (st == CY_OK) st = dist_shuffle_idx(comm, left, lk, n, ht, 0, &ls, err);
  if (st == CY_OK) st = dist_shuffle_idx(comm, right, rk, n, ht, 0, &rs, err);
  if (st == CY_OK) st = dist_fail(comm, cy_table_join(ls, rs, jo, out, err), err);
  cy_table_release(ls);
  cy_table_release(rs);
  free(lk);
  free(rk);
  free(ht);
  return st;
}

/* ---- sets ------------------------------------------------------------------------------- */

typedef cy_status (*set_fn)(cy_table *a, cy_table *b, cy_table **out, cy_error *err);

static cy_status dist_set(cy_comm *comm, cy_table *a, cy_table *b, set_fn fn, const char *what,
                          cy_table **out, cy_error *err) {
  *out = NULL;
  char wa[64], wb[64];
  snprintf(wa, sizeof wa, "%s: first table", what);
  snprintf(wb, sizeof wb, "%s: second table", what);
  CY_RETURN_NOT_OK(dist_check_schema(comm, a, wa, err));
  CY_RETURN_NOT_OK(dist_check_schema(comm, b, wb, err));
  cy_table *ae = NULL, *be = NULL, *probe = NULL;
  cy_status st = dist_empty_like(a, &ae, err);
  if (st == CY_OK) st = dist_empty_like(b, &be, err);
  if (st == CY_OK) st = fn(ae, be, &probe, err);
  cy_table_release(ae);
  cy_table_release(be);
  cy_table_release(probe);
  if (st != CY_OK) return st;
  if (cy_comm_world_size(comm) == 1) return fn(a, b, out, err);
  cy_table *as = NULL, *bs = NULL;
  st = dist_shuffle_idx(comm, a, NULL, 0, NULL, 0, &as, err);
  if (st == CY_OK) st = dist_shuffle_idx(comm, b, NULL, 0, NULL, 0, &bs, err);
  if (st == CY_OK) st = dist_fail(comm, fn(as, bs, out, err), err);
  cy_table_release(as);
  cy_table_release(bs);
  return st;
}

cy_status cy_dist_union(cy_comm *comm, cy_table *a, cy_table *b, cy_table **out,
                        cy_error *err) {
  return dist_set(comm, a, b, cy_table_union, "union", out, err);
}

cy_status cy_dist_intersect(cy_comm *comm, cy_table *a, cy_table *b, cy_table **out,
                            cy_error *err) {
  return dist_set(comm, a, b, cy_table_intersect, "intersect", out, err);
}

cy_status cy_dist_difference(cy_comm *comm, cy_table *a, cy_table *b, cy_table **out,
                             cy_error *err) {
  return dist_set(comm, a, b, cy_table_difference, "difference", out, err);
}

cy_status cy_dist_unique(cy_comm *comm, cy_table *table, const char *const *columns,
                         int32_t n, cy_keep keep, cy_table **out, cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(dist_check_schema(comm, table, "unique", err));
  cy_table *e = NULL, *probe = NULL;
  cy_status st = dist_empty_like(table, &e, err);
  if (st == CY_OK) st = cy_table_unique(e, columns, n, keep, &probe, err);
  cy_table_release(e);
  cy_table_release(probe);
  if (st != CY_OK) return st;
  if (cy_comm_world_size(comm) == 1) return cy_table_unique(table, columns, n, keep, out, err);
  int32_t *idx = calloc((size_t)(n > 0 ? n : 1), sizeof *idx);
  if (idx == NULL) {
    cy_error_set(err, "unique: out of memory");
    return dist_fail(comm, CY_ENOMEM, err);
  }
  cy_table *sh = NULL;
  st = dist_columns(table, columns, n, "unique", idx, err);
  if (st == CY_OK) st = dist_shuffle_idx(comm, table, idx, n, NULL, 0, &sh, err);
  if (st == CY_OK) st = dist_fail(comm, cy_table_unique(sh, columns, n, keep, out, err), err);
  cy_table_release(sh);
  free(idx);
  return st;
}

/* ---- equality --------------------------------------------------------------------------- */

cy_status cy_dist_equals(cy_comm *comm, cy_table *a, cy_table *b, bool ordered, bool *equal,
                         cy_error *err) {
  *equal = false;
  CY_RETURN_NOT_OK(dist_check_schema(comm, a, "equals: first table", err));
  CY_RETURN_NOT_OK(dist_check_schema(comm, b, "equals: second table", err));
  if (cy_comm_world_size(comm) == 1) return cy_table_equals(a, b, ordered, equal, err);
  if (!cy_schema_equals(&a->schema, &b->schema)) return CY_OK; /* alike on every rank */
  int64_t rows[2] = {a->num_rows, b->num_rows};
  CY_RETURN_NOT_OK(cy_comm_allreduce(comm, rows, 2, CY_REDUCE_INT64, CY_REDUCE_SUM, err));
  if (rows[0] != rows[1]) return CY_OK;
  cy_table *as = NULL, *bs = NULL;
  cy_status st;
  if (ordered) {
    /* the same global row on the same rank at the same place */
    st = cy_dist_rebalance(comm, a, &as, err);
    if (st == CY_OK) st = cy_dist_rebalance(comm, b, &bs, err);
  } else {
    st = dist_shuffle_idx(comm, a, NULL, 0, NULL, 0, &as, err);
    if (st == CY_OK) st = dist_shuffle_idx(comm, b, NULL, 0, NULL, 0, &bs, err);
  }
  bool mine = false;
  if (st == CY_OK) st = dist_fail(comm, cy_table_equals(as, bs, ordered, &mine, err), err);
  cy_table_release(as);
  cy_table_release(bs);
  int64_t all = mine ? 1 : 0;
  if (st == CY_OK) st = cy_comm_allreduce(comm, &all, 1, CY_REDUCE_INT64, CY_REDUCE_MIN, err);
  if (st == CY_OK) *equal = all == 1;
  return st;
}
