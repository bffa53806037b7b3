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
 * Tables of fixed-width columns without nulls take a fixed-width path instead (below): no
 * index, no per-destination tables and no concatenation; the rows land in place, and
 * between ranks of one machine they are copied straight into the peer's memory.
 *
 * A row's destination comes from the middle of its hash (cy_dest_of, compute/scatter.h
 * says why).
 */
#include "dist/dist_internal.h"

#include "compute/scatter.h"

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
 * once, in rank order as the general path concatenates. The keys are hashed once, in the
 * counting pass, which keeps every row's destination (2 bytes a row). Sending then takes
 * a block of rows at a time and splits each column's values (cy_scatter_values) into one
 * fixed-size chunk per destination, our own rows going directly into the output. A chunk
 * goes out when it holds chunk_rows rows (the rest of the block stays for the next one):
 *  - between ranks of one machine (cy_comm_direct_available), it is copied straight into
 *    its place in the destination's output, whose addresses the ranks share after
 *    allocating; the chunk is small enough to stay in the cache and is reused at once, and
 *    a barrier at the end says every rank's rows have arrived. A socket would copy every
 *    byte twice, and loopback packets cost as much again: most of a shuffle's time.
 *  - otherwise it is sent, and the receiver has posted a receive for every chunk straight
 *    into its place: both sides know every message's size in advance.
 * Memory touched besides the output is a few chunks and the destinations: on virtual
 * machines the first touch of fresh pages is what a shuffle's time goes to. */

#define SCATTER_BLOCK ((int64_t)16384)         /* rows hashed and scattered at a time */
#define SCATTER_CHUNK_BYTES ((int64_t)1 << 20) /* a chunk of rows, all columns */
#define SCATTER_SPARE 4                        /* chunks in flight beyond one per peer */
#define DIRECT_CHUNK_BYTES ((int64_t)256 << 10) /* direct: a chunk stays in the cache */

typedef struct scatter_chunk {
  struct scatter_chunk *next; /* free list, or the in-flight queue */
  uint8_t *mem;               /* column c at mem + col_at[c] */
  int64_t rows;
  cy_comm_request *reqs;      /* one send per column while in flight */
} scatter_chunk;

typedef struct scatter {
  cy_comm *comm;
  int32_t world, me, ncols;
  /* direct transfers (cy_comm_direct_write): a full chunk is copied into its destination's
   * output at once and filled again; remote[d * ncols + k]: d's output column k; into[d]:
   * our next row there */
  bool direct;
  uint64_t *remote, *wremote; /* wremote, wlens, wlocal: one write's pieces (ncols) */
  int64_t *into, *wlens;
  const void **wlocal;
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

/* Copy the first `rows` rows of d's chunk into d's output; the rest move to the front. */
static cy_status scatter_write_direct(scatter *s, int32_t d, int64_t rows, cy_error *err) {
  scatter_chunk *c = s->active[d];
  for (int32_t k = 0; k < s->ncols; k++) {
    s->wlocal[k] = c->mem + s->col_at[k];
    s->wremote[k] = s->remote[(int64_t)d * s->ncols + k] + (uint64_t)(s->into[d] * s->width[k]);
    s->wlens[k] = rows * s->width[k];
  }
  CY_RETURN_NOT_OK(
      cy_comm_direct_write(s->comm, d, s->ncols, s->wremote, s->wlocal, s->wlens, err));
  s->into[d] += rows;
  c->rows -= rows;
  for (int32_t k = 0; k < s->ncols && c->rows > 0; k++)
    memmove(c->mem + s->col_at[k], c->mem + s->col_at[k] + rows * s->width[k],
            (size_t)(c->rows * s->width[k]));
  return CY_OK;
}

/* Send the first `rows` rows of d's chunk; what is beyond them moves to a fresh chunk. */
static cy_status scatter_send(scatter *s, int32_t d, int64_t rows, int32_t *nchunks,
                              cy_error *err) {
  if (s->direct) return scatter_write_direct(s, d, rows, err);
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

/* Hash rows [lo, lo + n) of table, put each row's destination in dest and count them. */
static cy_status block_dests(cy_table *table, int64_t lo, int64_t n, const int32_t *keys,
                             int32_t nkeys, const cy_type *hash_types, uint64_t *hashes,
                             uint16_t *dest, int32_t world, int64_t *counts, cy_error *err) {
  cy_table *slice = NULL;
  CY_RETURN_NOT_OK(cy_table_slice(table, lo, n, &slice, err));
  cy_status st = hash_keys_of(slice, keys, nkeys, hash_types, hashes, err);
  cy_table_release(slice);
  if (st == CY_OK) cy_scatter_dests(hashes, n, world, dest, counts);
  return st;
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
  /* counts per destination, then whether we have nulls, then whether we allow direct */
  int64_t *mine = calloc((size_t)world + 2, sizeof *mine);
  int64_t *got = calloc((size_t)world + 1, sizeof *got);   /* rows from each source */
  int64_t *into = calloc((size_t)world + 1, sizeof *into); /* our first row in each output */
  int64_t *fill = calloc((size_t)world, sizeof *fill);
  uint8_t **base = calloc((size_t)world, sizeof *base);   /* per destination: where, */
  int64_t *room = calloc((size_t)world, sizeof *room);    /* how far (cy_scatter_values) */
  uint64_t scratch[CY_SCATTER_SLACK * 2]; /* place of destinations that get no rows */
  uint64_t *hashes = malloc((size_t)SCATTER_BLOCK * sizeof *hashes);
  /* every row's destination, from the one hashing pass (pass 1) to the scatter (pass 2) */
  int64_t dest_bytes = (rows > 0 ? rows : 1) * (int64_t)sizeof(uint16_t);
  uint16_t *dests = cy_alloc(dest_bytes);
  cy_buffer **all = NULL, **bufs = NULL;
  cy_column **cols = NULL;
  const char **names = NULL;
  cy_comm_request *rreqs = NULL;
  int64_t nrreqs = 0;
  int32_t nchunks = 0;
  bool published = false; /* direct: peers know our output's addresses */
  cy_status st = CY_OK;
  if (s && (s->width = calloc((size_t)ncols * 2 + 1, sizeof(int64_t))) != NULL)
    s->col_at = s->width + ncols;
  if (!s || !s->width || !mine || !got || !into || !fill || !base || !room || !hashes || !dests) {
    cy_error_set(err, "shuffle: out of memory");
    st = CY_ENOMEM;
  }
  if (st == CY_OK) {
    s->chunk_rows = scatter_chunk_rows(row_bytes, chunk_bytes);
    s->block = s->chunk_rows < SCATTER_BLOCK ? s->chunk_rows : SCATTER_BLOCK;
    s->cap_rows = s->chunk_rows + s->block + CY_SCATTER_SLACK;
  }
  /* pass 1: rows per destination (and whether we have nulls), shared with everybody */
  for (int32_t k = 0; st == CY_OK && k < ncols; k++)
    if (table->columns[k]->null_count > 0) mine[world] = 1;
  for (int64_t lo = 0; st == CY_OK && lo < rows; lo += s->block) {
    int64_t n = rows - lo < s->block ? rows - lo : s->block;
    st = block_dests(table, lo, n, keys, nkeys, hash_types, hashes, dests + lo, world, mine, err);
  }
  mine[world + 1] = cy_comm_direct_wanted();
  if (st == CY_OK) st = cy_comm_allgather(comm, mine, (int64_t)(world + 2) * 8, &all, err);
  int64_t total = 0, my_base = 0;
  bool nulls = false, direct = true;
  for (int32_t r = 0; st == CY_OK && r < world; r++) {
    const int64_t *theirs = (const int64_t *)all[r]->data;
    if (all[r]->size != (int64_t)(world + 2) * 8) {
      cy_error_set(err, "shuffle: rank %d sent %lld bytes of counts", (int)r, (long long)all[r]->size);
      st = CY_EINVAL;
      break;
    }
    nulls = nulls || theirs[world] != 0;
    direct = direct && theirs[world + 1] != 0;
    got[r] = theirs[me];
    if (r == me) my_base = total;
    total += got[r];
    for (int32_t d = 0; r < me && d < world; d++) into[d] += theirs[d];
  }
  if (all) cy_comm_buffers_free(comm, all);
  all = NULL;
  if (st != CY_OK || nulls) goto done;
  *taken = true;
  /* every rank sees the same flags, so all of them ask (a collective) or none does */
  if (direct) st = cy_comm_direct_available(comm, &direct, err);

  /* the output columns, and a receive for every chunk into its place (or, direct, every
   * rank's output addresses to every rank) */
  s->comm = comm, s->world = world, s->me = me, s->ncols = ncols;
  if (st == CY_OK && direct) { /* smaller chunks, to stay in the cache: copied out at once */
    s->chunk_rows = scatter_chunk_rows(row_bytes, chunk_bytes > 0 && chunk_bytes < DIRECT_CHUNK_BYTES
                                                      ? chunk_bytes : DIRECT_CHUNK_BYTES);
    s->block = s->chunk_rows < SCATTER_BLOCK ? s->chunk_rows : SCATTER_BLOCK;
    s->cap_rows = s->chunk_rows + s->block + CY_SCATTER_SLACK;
    s->direct = true;
    s->into = into;
    s->remote = calloc((size_t)(world + 1) * (size_t)ncols, sizeof *s->remote);
    s->wlens = calloc((size_t)ncols, sizeof *s->wlens);
    s->wlocal = calloc((size_t)ncols, sizeof *s->wlocal);
    if (!s->remote || !s->wlens || !s->wlocal) {
      cy_error_set(err, "shuffle: out of memory");
      st = CY_ENOMEM;
    } else {
      s->wremote = s->remote + (int64_t)world * ncols;
    }
  }
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
  for (int32_t r = 0; r < world && !s->direct; r++)
    if (r != me) max_reqs += (got[r] + s->chunk_rows - 1) / s->chunk_rows * ncols;
  rreqs = calloc((size_t)max_reqs + 1, sizeof *rreqs);
  if (!s->active || !bufs || !cols || !names || !rreqs) {
    cy_error_set(err, "shuffle: out of memory");
    st = CY_ENOMEM;
  }
  for (int32_t k = 0; st == CY_OK && k < ncols; k++)
    st = cy_buffer_alloc(total * s->width[k], &bufs[k], err);
  if (st == CY_OK && s->direct) {
    for (int32_t k = 0; k < ncols; k++) s->wremote[k] = (uint64_t)(uintptr_t)bufs[k]->data;
    st = cy_comm_allgather(comm, s->wremote, (int64_t)ncols * 8, &all, err);
    published = st == CY_OK;
    for (int32_t r = 0; st == CY_OK && r < world; r++) {
      if (all[r]->size != (int64_t)ncols * 8) {
        cy_error_set(err, "shuffle: rank %d sent %lld bytes of addresses", (int)r, (long long)all[r]->size);
        st = CY_EINVAL;
        break;
      }
      memcpy(s->remote + (int64_t)r * ncols, all[r]->data, (size_t)ncols * 8);
    }
    if (all) cy_comm_buffers_free(comm, all);
    all = NULL;
  }
  for (int32_t r = 0; st == CY_OK && !s->direct && r < world; r++) {
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
    for (int32_t k = 0; k < ncols; k++) {
      const cy_column *col = table->columns[k];
      for (int32_t d = 0; d < world; d++) { /* nobody's rows go where there is no place */
        base[d] = (uint8_t *)scratch, fill[d] = 0, room[d] = CY_SCATTER_SLACK;
        if (d == me && mine[me] > 0)
          base[d] = bufs[k]->data + my_base * s->width[k], fill[d] = my_fill, room[d] = mine[me];
        else if (d != me && s->active[d])
          base[d] = s->active[d]->mem + s->col_at[k], fill[d] = s->active[d]->rows,
          room[d] = s->cap_rows;
      }
      cy_scatter_values((const uint8_t *)cy_column_data(col) + lo * s->width[k], n,
                        s->width[k], bd, world, base, fill, room);
    }
    my_fill = fill[me];
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
  if (s->direct) { /* every rank's writes into our output are done when all get here */
    if (st == CY_OK) st = cy_comm_barrier(comm, err);
  } else {
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
  /* a failed direct shuffle: peers may still write into our output until they notice */
  for (int32_t k = 0; published && st != CY_OK && bufs && k < ncols; k++)
    cy_comm_direct_hold(comm, bufs[k]);
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
    free(s->remote);
    free(s->wlens);
    free(s->wlocal);
  }
  free(s);
  free(bufs);
  free(cols);
  free(names);
  free(rreqs);
  free(mine);
  free(got);
  free(into);
  free(fill);
  free(base);
  free(room);
  free(hashes);
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
    for (int64_t i = 0; i < rows; i++) start[cy_dest_of(hashes[i], world) + 1]++;
    for (int32_t d = 0; d < world; d++) start[d + 1] += start[d];
    memcpy(fill, start, (size_t)world * sizeof *fill);
    for (int64_t i = 0; i < rows; i++) idx[fill[cy_dest_of(hashes[i], world)]++] = i;
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
