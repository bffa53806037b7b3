/*
 * shuffle.c - the hash shuffle: every row to the rank its key's hash picks.
 *
 * One pass hashes the key columns (cy_table_hash_rows), one pass counts rows per
 * destination and lists each destination's rows in their original order. Then, for each
 * destination in turn (starting after our own rank so that not everybody sends to rank 0
 * first), chunks of about chunk_bytes are gathered (cy_table_take) and sent as column
 * buffers (table_wire.c); the next chunk is gathered while the previous ones are on the
 * wire, and at most a few chunks are in flight, which bounds memory. The peers' I/O
 * threads take incoming messages as they come, so sending never waits on a receiver
 * that is itself sending. Finally the parts from every rank are received in rank order
 * and concatenated, so rows with equal keys keep their global order (rank, then row):
 * keep first / last and first / last aggregates rely on that.
 *
 * The destination comes from the high half of the hash, not the low bits: the local hash
 * tables that run after a shuffle index by the low bits, which would otherwise all be
 * equal modulo the world size on one rank.
 */
#include "dist/dist_internal.h"

static inline int32_t dest_of(uint64_t h, int32_t world) {
  return (int32_t)(((h >> 32) * (uint64_t)world) >> 32);
}

/* Hashes of the key columns, cast to hash_types where they differ. */
static cy_status hash_keys_of(cy_table *table, const int32_t *keys, int32_t n,
                              const cy_type *hash_types, uint64_t *hashes, cy_error *err) {
  bool cast = false;
  for (int32_t i = 0; hash_types && i < n; i++)
    if (hash_types[i].id != 0 && !cy_type_equals(&hash_types[i], &table->columns[keys[i]]->type))
      cast = true;
  if (!cast) return cy_table_hash_rows(table, keys, n, hashes, err);
  cy_column **cols = calloc((size_t)n, sizeof *cols);
  const char **names = calloc((size_t)n, sizeof *names);
  int32_t *idx = calloc((size_t)n, sizeof *idx);
  cy_status st = cols && names && idx ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory hashing keys");
  char (*nm)[16] = calloc((size_t)n, 16);
  if (st == CY_OK && nm == NULL) {
    cy_error_set(err, "out of memory hashing keys");
    st = CY_ENOMEM;
  }
  for (int32_t i = 0; st == CY_OK && i < n; i++) {
    cy_column *c = table->columns[keys[i]];
    snprintf(nm[i], 16, "k%d", (int)i);
    names[i] = nm[i];
    idx[i] = i;
    if (hash_types[i].id != 0 && !cy_type_equals(&hash_types[i], &c->type))
      st = cy_column_cast(c, hash_types[i], &cols[i], err);
    else
      cols[i] = cy_column_retain(c);
  }
  cy_table *kt = NULL;
  if (st == CY_OK) st = cy_table_make(n, names, cols, &kt, err);
  if (st == CY_OK) st = cy_table_hash_rows(kt, idx, n, hashes, err);
  cy_table_release(kt);
  for (int32_t i = 0; cols && i < n; i++) cy_column_release(cols[i]);
  free(cols);
  free(names);
  free(idx);
  free(nm);
  return st;
}

/* Send rows idx[0..n) of table to dest in chunks (at least one message, the last marked). */
static cy_status send_rows(cy_comm *comm, wire_outbox *box, int32_t dest, cy_table *table,
                           const int64_t *idx, int64_t n, int64_t rows_per_chunk,
                           cy_error *err) {
  int64_t start = 0;
  do {
    int64_t len = n - start < rows_per_chunk ? n - start : rows_per_chunk;
    cy_table *part = NULL;
    CY_RETURN_NOT_OK(cy_table_take(table, idx + start, len, &part, err));
    cy_status st = wire_send(comm, box, dest, part, start + len >= n, err);
    cy_table_release(part);
    CY_RETURN_NOT_OK(st);
    start += len;
  } while (start < n);
  return CY_OK;
}

cy_status dist_shuffle_idx(cy_comm *comm, cy_table *table, const int32_t *keys, int32_t n,
                           const cy_type *hash_types, int64_t chunk_bytes, cy_table **out,
                           cy_error *err) {
  *out = NULL;
  int32_t world = cy_comm_world_size(comm), me = cy_comm_rank(comm);
  if (world == 1) {
    *out = cy_table_retain(table);
    return CY_OK;
  }
  int64_t rows = table->num_rows;
  int32_t *all = NULL;
  if (n == 0) {
    n = table->schema.num_fields;
    all = calloc((size_t)n + 1, sizeof *all);
    for (int32_t i = 0; all && i < n; i++) all[i] = i;
    keys = all;
    hash_types = NULL;
  }
  /* cy_alloc: large blocks come on huge pages, so filling them costs few page faults */
  int64_t tmp_bytes = (rows > 0 ? rows : 1) * 8;
  uint64_t *hashes = cy_alloc(tmp_bytes);
  int64_t *idx = cy_alloc(tmp_bytes);
  int64_t *start = calloc((size_t)world + 1, sizeof *start);
  int64_t *fill = calloc((size_t)world + 1, sizeof *fill);
  cy_table **parts = calloc((size_t)world, sizeof *parts);
  cy_status st = CY_OK;
  if (!hashes || !idx || !start || !fill || !parts || (n > 0 && keys == NULL)) {
    cy_error_set(err, "shuffle: out of memory for %lld rows", (long long)rows);
    st = CY_ENOMEM;
  }
  if (st == CY_OK && rows > 0) st = hash_keys_of(table, keys, n, hash_types, hashes, err);
  if (st == CY_OK) {
    /* counting sort of the row numbers by destination, stable */
    for (int64_t i = 0; i < rows; i++) start[dest_of(hashes[i], world) + 1]++;
    for (int32_t d = 0; d < world; d++) start[d + 1] += start[d];
    memcpy(fill, start, (size_t)world * sizeof *fill);
    for (int64_t i = 0; i < rows; i++) idx[fill[dest_of(hashes[i], world)]++] = i;
  }
  cy_free(hashes, tmp_bytes);
  wire_outbox box;
  wire_outbox_init(&box, chunk_bytes);
  int64_t per_chunk = wire_rows_per_chunk(table, chunk_bytes);
  for (int32_t k = 1; k < world && st == CY_OK; k++) {
    int32_t d = (me + k) % world;
    st = send_rows(comm, &box, d, table, idx + start[d], start[d + 1] - start[d], per_chunk, err);
  }
  if (st == CY_OK)
    st = cy_table_take(table, idx + start[me], start[me + 1] - start[me], &parts[me], err);
  table_list got = {0};
  for (int32_t r = 0; r < world && st == CY_OK; r++)
    st = r == me ? table_list_push(&got, parts[me], err) : wire_recv_into(comm, r, &got, err);
  if (st == CY_OK) st = table_list_concat(&got, table, out, err);
  table_list_reset(&got);
  cy_error tmp;
  cy_status fst = wire_outbox_flush(comm, &box, st == CY_OK ? err : &tmp);
  if (st == CY_OK) st = fst;
  if (st != CY_OK && *out) {
    cy_table_release(*out);
    *out = NULL;
  }
  for (int32_t r = 0; parts && r < world; r++) cy_table_release(parts[r]);
  free(parts);
  cy_free(idx, tmp_bytes);
  free(start);
  free(fill);
  free(all);
  return dist_fail(comm, st, err);
}

cy_status cy_dist_shuffle(cy_comm *comm, cy_table *table, const char *const *keys,
                          int32_t num_keys, const cy_shuffle_options *opts, cy_table **out,
                          cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(dist_check_schema(comm, table, "shuffle", err));
  if (num_keys < 0) {
    cy_error_set(err, "shuffle: %d keys", (int)num_keys);
    return CY_EINVAL;
  }
  int32_t *idx = calloc((size_t)num_keys + 1, sizeof *idx);
  if (idx == NULL) {
    cy_error_set(err, "shuffle: out of memory");
    return dist_fail(comm, CY_ENOMEM, err);
  }
  /* the same schema everywhere, so a missing key fails alike on every rank */
  cy_status st = dist_columns(table, keys, num_keys, "shuffle", idx, err);
  if (st == CY_OK)
    st = dist_shuffle_idx(comm, table, idx, num_keys, NULL,
                          opts && opts->chunk_bytes > 0 ? opts->chunk_bytes : 0, out, err);
  free(idx);
  return st;
}
