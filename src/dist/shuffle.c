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
 * Tables of fixed-width columns without nulls take a direct path instead (below): no
 * index, no per-destination tables and no concatenation; the rows land in place.
 *
 * The destination comes from the middle of the hash (bits 16 to 47), neither the low bits
 * nor the top ones: the local hash tables that run after a shuffle place rows by the low
 * bits, and local joins and group-bys partition rows (and share them among threads) by the
 * top bits; on one rank those bits would otherwise all be alike, leaving most partitions
 * empty and the rest oversized.
 */
#include "dist/dist_internal.h"

static inline int32_t dest_of(uint64_t h, int32_t world) {
  return (int32_t)(((uint64_t)(uint32_t)(h >> 16) * (uint64_t)world) >> 32);
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

/* ---- fixed-width tables: scatter straight into place --------------------------------- */

/* When every column is fixed width (not bool) and no rank has nulls, the shuffle moves
 * raw values only, with no headers and no intermediate tables: the ranks first share how
 * many rows each sends to each (one allgather), so every rank allocates its output columns
 * once and posts a receive for every chunk straight into its place (rank order, as the
 * general path concatenates). The keys are hashed once, in the counting pass, which keeps
 * every row's destination (2 bytes a row). Sending then takes a block of rows at a time,
 * works out each row's place once for all columns, and scatters each column's values into
 * one fixed-size chunk per destination (our own rows go directly into the output); a chunk
 * goes out when it holds chunk_rows rows (the rest of the block moves to the next chunk),
 * so both sides know every message's size in advance. Memory touched besides the output is
 * a few chunks and the destinations: on virtual machines the first touch of fresh pages is
 * what a shuffle's time goes to. */

#define SCATTER_BLOCK ((int64_t)16384)         /* rows hashed at a time (< 65536: block_slots) */
#define SCATTER_CHUNK_BYTES ((int64_t)1 << 20) /* a chunk of rows, all columns */
#define SCATTER_SPARE 4                        /* chunks in flight beyond one per peer */

typedef struct scatter_chunk {
  struct scatter_chunk *next; /* free list, or the in-flight queue */
  uint8_t *mem;               /* column c at mem + col_at[c] */
  int64_t rows;
  cy_comm_request *reqs;      /* one send per column while in flight */
} scatter_chunk;

typedef struct scatter {
  cy_comm *comm;
  int32_t world, me, ncols;
  int64_t *width, *col_at; /* per column: value bytes; offset in a chunk */
  int64_t chunk_rows, block, cap_rows, chunk_mem; /* block: rows hashed at a time */
  scatter_chunk **active;  /* per destination (NULL for us) */
  scatter_chunk *free_list, *flight_head, *flight_tail;
  scatter_chunk *all_chunks[]; /* every chunk made, to free */
} scatter;

/* Rows per chunk: SCATTER_CHUNK_BYTES (or a smaller chunk_bytes) of rows, at least one;
 * the same on every rank, as the schema is. */
static int64_t scatter_chunk_rows(int64_t row_bytes, int64_t chunk_bytes) {
  int64_t bytes = chunk_bytes > 0 && chunk_bytes < SCATTER_CHUNK_BYTES ? chunk_bytes
                                                                       : SCATTER_CHUNK_BYTES;
  int64_t rows = bytes / row_bytes;
  return rows > 0 ? rows : 1;
}

/* Bytes per row when the table can take the fixed-width path, else 0. */
static int64_t fixed_row_bytes(const cy_table *table) {
  int64_t bytes = 0;
  for (int32_t i = 0; i < table->schema.num_fields; i++) {
    cy_type_id id = table->columns[i]->type.id;
    int bits = cy_type_bit_width(id);
    if (id == CY_BOOL || cy_type_is_var_width(id) || bits <= 0 || bits % 8) return 0;
    bytes += bits / 8;
  }
  return bytes;
}

static cy_status scatter_wait_oldest(scatter *s, cy_error *err) {
  scatter_chunk *c = s->flight_head;
  s->flight_head = c->next;
  if (s->flight_head == NULL) s->flight_tail = NULL;
  cy_status st = cy_comm_wait_all(s->comm, s->ncols, c->reqs, err);
  c->next = s->free_list;
  s->free_list = c;
  return st;
}

/* A chunk to fill: a free one, a new one, or the oldest in flight once it is out. */
static cy_status scatter_take(scatter *s, int32_t *nchunks, scatter_chunk **out,
                              cy_error *err) {
  *out = NULL;
  if (s->free_list == NULL && *nchunks >= s->world - 1 + SCATTER_SPARE)
    CY_RETURN_NOT_OK(scatter_wait_oldest(s, err));
  scatter_chunk *c = s->free_list;
  if (c) {
    s->free_list = c->next;
  } else {
    c = calloc(1, sizeof *c);
    if (c) c->reqs = calloc((size_t)s->ncols, sizeof *c->reqs);
    if (c && c->reqs) c->mem = cy_alloc(s->chunk_mem);
    if (c == NULL || c->reqs == NULL || c->mem == NULL) {
      if (c) free(c->reqs);
      free(c);
      cy_error_set(err, "shuffle: out of memory for a chunk of %lld bytes", (long long)s->chunk_mem);
      return CY_ENOMEM;
    }
    s->all_chunks[(*nchunks)++] = c;
  }
  c->rows = 0;
  c->next = NULL;
  *out = c;
  return CY_OK;
}

/* Send the first `rows` rows of d's chunk; what is beyond them moves to a fresh chunk. */
static cy_status scatter_send(scatter *s, int32_t d, int64_t rows, int32_t *nchunks,
                              cy_error *err) {
  scatter_chunk *c = s->active[d];
  for (int32_t k = 0; k < s->ncols; k++) {
    cy_status st = cy_comm_isend(s->comm, d, DIST_TAG, c->mem + s->col_at[k], rows * s->width[k],
                                 &c->reqs[k], err);
    if (st != CY_OK) {
      cy_error tmp;
      cy_comm_wait_all(s->comm, k, c->reqs, &tmp);
      memset(c->reqs, 0, (size_t)s->ncols * sizeof *c->reqs);
      return st;
    }
  }
  if (s->flight_tail) s->flight_tail->next = c;
  else s->flight_head = c;
  s->flight_tail = c;
  s->active[d] = NULL;
  scatter_chunk *n = NULL;
  CY_RETURN_NOT_OK(scatter_take(s, nchunks, &n, err));
  n->rows = c->rows - rows;
  for (int32_t k = 0; k < s->ncols && n->rows > 0; k++) /* only reads the chunk in flight */
    memcpy(n->mem + s->col_at[k], c->mem + s->col_at[k] + rows * s->width[k],
           (size_t)(n->rows * s->width[k]));
  s->active[d] = n;
  return CY_OK;
}

/* Copy rows [0, n) of src (w bytes each) to base[dest[i]] + slot[i] * w: the slots are
 * worked out once per block for all columns, so this loop carries no counter from row to
 * row and its stores go out independently. */
static void scatter_values(const uint8_t *src, int64_t n, int64_t w, const uint16_t *dest,
                           const uint32_t *slot, uint8_t *const *base) {
#define SCATTER_AS(T)                                                                   \
  for (int64_t i = 0; i < n; i++)                                                       \
    memcpy(base[dest[i]] + (int64_t)slot[i] * (int64_t)sizeof(T), src + i * (int64_t)sizeof(T), \
           sizeof(T));
  switch (w) {
    case 8: SCATTER_AS(uint64_t); break;
    case 4: SCATTER_AS(uint32_t); break;
    case 2: SCATTER_AS(uint16_t); break;
    case 1: SCATTER_AS(uint8_t); break;
    default:
      for (int64_t i = 0; i < n; i++) memcpy(base[dest[i]] + (int64_t)slot[i] * w, src + i * w, (size_t)w);
  }
#undef SCATTER_AS
}

/* Hash rows [lo, lo + n) of table and put each row's destination in dest. */
static cy_status block_dests(cy_table *table, int64_t lo, int64_t n, const int32_t *keys,
                             int32_t nkeys, const cy_type *hash_types, uint64_t *hashes,
                             uint16_t *dest, int32_t world, cy_error *err) {
  cy_table *slice = NULL;
  CY_RETURN_NOT_OK(cy_table_slice(table, lo, n, &slice, err));
  cy_status st = hash_keys_of(slice, keys, nkeys, hash_types, hashes, err);
  cy_table_release(slice);
  for (int64_t i = 0; st == CY_OK && i < n; i++) dest[i] = (uint16_t)dest_of(hashes[i], world);
  return st;
}

/* Add the rows of each destination in dest[0, n) to counts[world]; four interleaved
 * count arrays (counts4, 4 x world, zeroed) so that rows going to one destination do not
 * wait on each other's increments. */
static void count_dests(const uint16_t *dest, int64_t n, int64_t *counts4, int32_t world) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    counts4[dest[i]]++;
    counts4[world + dest[i + 1]]++;
    counts4[2 * world + dest[i + 2]]++;
    counts4[3 * world + dest[i + 3]]++;
  }
  for (; i < n; i++) counts4[dest[i]]++;
}

/* slot[i] = fill[dest[i]]++ for rows [0, n) (n <= SCATTER_BLOCK), in row order. With up to
 * four destinations the block's counters are four 16-bit fields of one register, so a row
 * does not wait for the previous row's counter to go through memory. */
static void block_slots(const uint16_t *dest, int64_t n, int64_t *fill, int32_t world,
                        uint32_t *slot) {
  if (world > 4) {
    for (int64_t i = 0; i < n; i++) slot[i] = (uint32_t)fill[dest[i]]++;
    return;
  }
  uint32_t start[4] = {0, 0, 0, 0};
  for (int32_t d = 0; d < world; d++) start[d] = (uint32_t)fill[d];
  uint64_t counts = 0; /* destination d's rows so far in bits [16d, 16d + 16) */
  for (int64_t i = 0; i < n; i++) {
    unsigned shift = 16u * dest[i];
    slot[i] = start[dest[i]] + (uint32_t)((counts >> shift) & 0xFFFF);
    counts += (uint64_t)1 << shift;
  }
  for (int32_t d = 0; d < world; d++) fill[d] += (int64_t)((counts >> (16 * d)) & 0xFFFF);
}

/* The fixed-width shuffle. *taken is false (and nothing is sent) when some rank has
 * nulls: then every rank takes the general path. */
static cy_status shuffle_fixed(cy_comm *comm, cy_table *table, const int32_t *keys,
                               int32_t nkeys, const cy_type *hash_types, int64_t row_bytes,
                               int64_t chunk_bytes, cy_table **out, bool *taken,
                               cy_error *err) {
  *taken = false;
  int32_t world = cy_comm_world_size(comm), me = cy_comm_rank(comm);
  int32_t ncols = table->schema.num_fields;
  int64_t rows = table->num_rows;
  int64_t max_chunks = (int64_t)world - 1 + SCATTER_SPARE;
  scatter *s = calloc(1, sizeof *s + (size_t)max_chunks * sizeof(scatter_chunk *));
  int64_t *mine = calloc((size_t)world + 1, sizeof *mine); /* counts per dest, then nulls */
  int64_t *got = calloc((size_t)world + 1, sizeof *got);   /* rows from each source */
  int64_t *fill = calloc((size_t)world * 4, sizeof *fill); /* 4 x world: count_dests */
  uint8_t **base = calloc((size_t)world, sizeof *base);
  uint64_t *hashes = malloc((size_t)SCATTER_BLOCK * sizeof *hashes);
  uint32_t *slot = malloc((size_t)SCATTER_BLOCK * sizeof *slot);
  /* every row's destination, from the one hashing pass (pass 1) to the scatter (pass 2) */
  int64_t dest_bytes = (rows > 0 ? rows : 1) * (int64_t)sizeof(uint16_t);
  uint16_t *dests = cy_alloc(dest_bytes);
  cy_buffer **all = NULL, **bufs = NULL;
  cy_column **cols = NULL;
  const char **names = NULL;
  cy_comm_request *rreqs = NULL;
  int64_t nrreqs = 0;
  int32_t nchunks = 0;
  cy_status st = CY_OK;
  if (s && (s->width = calloc((size_t)ncols * 2 + 1, sizeof(int64_t))) != NULL)
    s->col_at = s->width + ncols;
  if (!s || !s->width || !mine || !got || !fill || !base || !hashes || !slot || !dests) {
    cy_error_set(err, "shuffle: out of memory");
    st = CY_ENOMEM;
  }
  if (st == CY_OK) {
    s->chunk_rows = scatter_chunk_rows(row_bytes, chunk_bytes);
    s->block = s->chunk_rows < SCATTER_BLOCK ? s->chunk_rows : SCATTER_BLOCK;
    s->cap_rows = s->chunk_rows + s->block;
  }
  /* pass 1: rows per destination (and whether we have nulls), shared with everybody */
  for (int32_t k = 0; st == CY_OK && k < ncols; k++)
    if (table->columns[k]->null_count > 0) mine[world] = 1;
  for (int64_t lo = 0; st == CY_OK && lo < rows; lo += s->block) {
    int64_t n = rows - lo < s->block ? rows - lo : s->block;
    st = block_dests(table, lo, n, keys, nkeys, hash_types, hashes, dests + lo, world, err);
    if (st == CY_OK) count_dests(dests + lo, n, fill, world);
  }
  for (int32_t d = 0; st == CY_OK && d < world; d++)
    mine[d] = fill[d] + fill[world + d] + fill[2 * world + d] + fill[3 * world + d];
  if (st == CY_OK) st = cy_comm_allgather(comm, mine, (int64_t)(world + 1) * 8, &all, err);
  int64_t total = 0, my_base = 0;
  bool nulls = false;
  for (int32_t r = 0; st == CY_OK && r < world; r++) {
    const int64_t *theirs = (const int64_t *)all[r]->data;
    if (all[r]->size != (int64_t)(world + 1) * 8) {
      cy_error_set(err, "shuffle: rank %d sent %lld bytes of counts", (int)r, (long long)all[r]->size);
      st = CY_EINVAL;
      break;
    }
    nulls = nulls || theirs[world] != 0;
    got[r] = theirs[me];
    if (r == me) my_base = total;
    total += got[r];
  }
  if (all) cy_comm_buffers_free(comm, all);
  if (st != CY_OK || nulls) goto done;
  *taken = true;

  /* the output columns, and a receive for every chunk into its place */
  s->comm = comm, s->world = world, s->me = me, s->ncols = ncols;
  for (int32_t k = 0; k < ncols; k++) {
    s->width[k] = cy_type_bit_width(table->columns[k]->type.id) / 8;
    s->col_at[k] = s->chunk_mem;
    s->chunk_mem += s->cap_rows * s->width[k];
  }
  s->active = calloc((size_t)world, sizeof *s->active);
  bufs = calloc((size_t)ncols + 1, sizeof *bufs);
  cols = calloc((size_t)ncols + 1, sizeof *cols);
  names = calloc((size_t)ncols + 1, sizeof *names);
  int64_t max_reqs = 0;
  for (int32_t r = 0; r < world; r++)
    if (r != me) max_reqs += (got[r] + s->chunk_rows - 1) / s->chunk_rows * ncols;
  rreqs = calloc((size_t)max_reqs + 1, sizeof *rreqs);
  if (!s->active || !bufs || !cols || !names || !rreqs) {
    cy_error_set(err, "shuffle: out of memory");
    st = CY_ENOMEM;
  }
  for (int32_t k = 0; st == CY_OK && k < ncols; k++)
    st = cy_buffer_alloc(total * s->width[k], &bufs[k], err);
  for (int32_t r = 0; st == CY_OK && r < world; r++) {
    int64_t from = 0;
    for (int32_t q = 0; q < r; q++) from += got[q];
    if (r == me) continue;
    for (int64_t c = 0; st == CY_OK && c < got[r]; c += s->chunk_rows) {
      int64_t n = got[r] - c < s->chunk_rows ? got[r] - c : s->chunk_rows;
      for (int32_t k = 0; st == CY_OK && k < ncols; k++) {
        st = cy_comm_irecv_into(comm, r, DIST_TAG, bufs[k]->data + (from + c) * s->width[k],
                                n * s->width[k], &rreqs[nrreqs], err);
        if (st == CY_OK) nrreqs++;
      }
    }
  }

  /* pass 2: scatter block by block; a destination's chunk goes out when full */
  for (int32_t d = 0; st == CY_OK && d < world; d++)
    if (d != me && mine[d] > 0) st = scatter_take(s, &nchunks, &s->active[d], err);
  int64_t my_fill = 0;
  for (int64_t lo = 0; st == CY_OK && lo < rows; lo += s->block) {
    int64_t n = rows - lo < s->block ? rows - lo : s->block;
    const uint16_t *bd = dests + lo;
    /* each row's place: in its destination's chunk, or (ours) after our rows so far */
    for (int32_t d = 0; d < world; d++) fill[d] = d == me ? 0 : s->active[d] ? s->active[d]->rows : 0;
    block_slots(bd, n, fill, world, slot);
    for (int32_t k = 0; k < ncols; k++) {
      const cy_column *col = table->columns[k];
      for (int32_t d = 0; d < world; d++) {
        if (d == me) base[d] = bufs[k]->data + (my_base + my_fill) * s->width[k];
        else if (s->active[d]) base[d] = s->active[d]->mem + s->col_at[k];
      }
      scatter_values((const uint8_t *)cy_column_data(col) + lo * s->width[k], n, s->width[k],
                     bd, slot, base);
    }
    my_fill += fill[me];
    for (int32_t k = 1; st == CY_OK && k < world; k++) {
      int32_t d = (me + k) % world;
      if (s->active[d] == NULL) continue;
      s->active[d]->rows = fill[d];
      while (st == CY_OK && s->active[d]->rows >= s->chunk_rows)
        st = scatter_send(s, d, s->chunk_rows, &nchunks, err);
    }
  }
  for (int32_t k = 1; st == CY_OK && k < world; k++) {
    int32_t d = (me + k) % world;
    if (s->active[d] && s->active[d]->rows > 0) st = scatter_send(s, d, s->active[d]->rows, &nchunks, err);
  }
  if (st != CY_OK) dist_fail(comm, st, err);
  {
    cy_error tmp;
    cy_status rst = cy_comm_wait_all(comm, (int32_t)nrreqs, rreqs, st == CY_OK ? err : &tmp);
    if (st == CY_OK) st = rst;
    while (s->flight_head) {
      cy_status fst = scatter_wait_oldest(s, st == CY_OK ? err : &tmp);
      if (st == CY_OK) st = fst;
    }
  }
  for (int32_t k = 0; st == CY_OK && k < ncols; k++) {
    names[k] = table->schema.fields[k].name;
    st = cy_column_make(table->columns[k]->type, total, 0, 0, NULL, bufs[k], NULL, &cols[k], err);
    bufs[k] = NULL;
  }
  if (st == CY_OK) st = cy_table_make(ncols, names, cols, out, err);

done:
  for (int32_t k = 0; bufs && k < ncols; k++) cy_buffer_release(bufs[k]);
  for (int32_t k = 0; cols && k < ncols; k++) cy_column_release(cols[k]);
  for (int32_t i = 0; i < nchunks; i++) {
    cy_free(s->all_chunks[i]->mem, s->chunk_mem);
    free(s->all_chunks[i]->reqs);
    free(s->all_chunks[i]);
  }
  if (s) {
    free(s->active);
    free(s->width);
  }
  free(s);
  free(bufs);
  free(cols);
  free(names);
  free(rreqs);
  free(mine);
  free(got);
  free(fill);
  free(base);
  free(hashes);
  free(slot);
  cy_free(dests, dest_bytes);
  return st;
}

/* ---- the general path ---------------------------------------------------------------- */

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
  int64_t row_bytes = fixed_row_bytes(table);
  if (row_bytes > 0 && (keys != NULL || n == 0) && world <= 65536) { /* dests are uint16 */
    bool taken = false;
    cy_status fst = shuffle_fixed(comm, table, keys, n, hash_types, row_bytes, chunk_bytes, out,
                                  &taken, err);
    if (fst != CY_OK || taken) {
      free(all);
      return dist_fail(comm, fst, err);
    }
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
