/*
 * table_wire.c - tables as messages between ranks, and the schema check every
 * distributed operator starts with.
 *
 * A table chunk is one header message and then one message per non-empty buffer, in the
 * Arrow layout at offset 0 (see dist_internal.h). Sending points the messages into the
 * table's own buffers whenever the slice allows (fixed-width values at a byte boundary,
 * bitmaps at a multiple of 8 rows, offsets starting at 0), so a send costs no copy; the
 * receiver turns each received message into a column buffer as it is, so a receive costs
 * none either. The header carries the schema, so a receiver needs no table of its own
 * (broadcast), and the receiver checks every length against the schema before use.
 */
#include "dist/dist_internal.h"

#define WIRE_MAGIC 0x31575943u /* "CYW1" */

/* ---- failure and small collectives ---------------------------------------------------- */

cy_status dist_fail(cy_comm *comm, cy_status st, cy_error *err) {
  if (st != CY_OK && comm != NULL) cy_comm_abort(comm, err ? err->message : "dist failure");
  return st;
}

cy_status dist_sum_i64(cy_comm *comm, int64_t *v, cy_error *err) {
  return cy_comm_allreduce(comm, v, 1, CY_REDUCE_INT64, CY_REDUCE_SUM, err);
}

cy_status dist_columns(const cy_table *table, const char *const *names, int32_t n,
                       const char *what, int32_t *out, cy_error *err) {
  for (int32_t i = 0; i < n; i++) {
    out[i] = names && names[i] ? cy_schema_find(&table->schema, names[i]) : -1;
    if (out[i] < 0) {
      char buf[512];
      cy_error_set(err, "%s: no column \"%s\" in %s", what, names && names[i] ? names[i] : "(null)",
                   cy_schema_format(&table->schema, buf, sizeof buf));
      return CY_ENOENT;
    }
  }
  return CY_OK;
}

cy_status dist_empty_like(cy_table *table, cy_table **out, cy_error *err) {
  return cy_table_slice(table, 0, 0, out, err);
}

/* ---- a growable byte string for headers ----------------------------------------------- */

typedef struct byte_str {
  uint8_t *p;
  int64_t len, cap;
} byte_str;

static bool bytes_put(byte_str *b, const void *src, int64_t n) {
  if (b->len + n > b->cap) {
    int64_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n) cap *= 2;
    uint8_t *p = realloc(b->p, (size_t)cap);
    if (p == NULL) return false;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, src, (size_t)n);
  b->len += n;
  return true;
}

static bool bytes_i64(byte_str *b, int64_t v) { return bytes_put(b, &v, 8); }

typedef struct reader {
  const uint8_t *p;
  int64_t len, pos;
  bool bad;
} reader;

static int64_t read_i64(reader *r) {
  int64_t v = 0;
  if (r->pos + 8 > r->len) {
    r->bad = true;
    return 0;
  }
  memcpy(&v, r->p + r->pos, 8);
  r->pos += 8;
  return v;
}

static const uint8_t *read_raw(reader *r, int64_t n) {
  if (n < 0 || r->pos + n > r->len) {
    r->bad = true;
    return NULL;
  }
  const uint8_t *p = r->p + r->pos;
  r->pos += n;
  return p;
}

/* ---- schemas as bytes ----------------------------------------------------------------- */

static bool schema_put(byte_str *b, const cy_schema *s) {
  bool ok = bytes_i64(b, s->num_fields);
  for (int32_t i = 0; ok && i < s->num_fields; i++) {
    const cy_field *f = &s->fields[i];
    int64_t nlen = (int64_t)strlen(f->name), tzlen = (int64_t)strlen(f->type.timezone);
    ok = bytes_i64(b, nlen) && bytes_put(b, f->name, nlen) && bytes_i64(b, f->type.id) &&
         bytes_i64(b, f->type.unit) && bytes_i64(b, f->type.precision) &&
         bytes_i64(b, f->type.scale) && bytes_i64(b, tzlen) &&
         bytes_put(b, f->type.timezone, tzlen);
  }
  return ok;
}

/* Parse a schema into out (names allocated with malloc, as cy_schema_reset frees). */
static cy_status schema_get(reader *r, cy_schema *out, cy_error *err) {
  memset(out, 0, sizeof *out);
  int64_t n = read_i64(r);
  if (r->bad || n < 0 || n > (1 << 20)) goto bad;
  out->fields = calloc(n > 0 ? (size_t)n : 1, sizeof(cy_field));
  if (out->fields == NULL) {
    cy_error_set(err, "out of memory reading a schema of %lld fields", (long long)n);
    return CY_ENOMEM;
  }
  for (int64_t i = 0; i < n; i++) {
    cy_field *f = &out->fields[i];
    int64_t nlen = read_i64(r);
    const uint8_t *name = read_raw(r, nlen);
    int64_t id = read_i64(r), unit = read_i64(r), prec = read_i64(r), scale = read_i64(r);
    int64_t tzlen = read_i64(r);
    const uint8_t *tz = read_raw(r, tzlen);
    if (r->bad || id < 1 || id > CY_TYPE_ID_MAX || tzlen >= (int64_t)sizeof f->type.timezone)
      goto bad;
    f->name = malloc((size_t)nlen + 1);
    if (f->name == NULL) {
      cy_schema_reset(out);
      cy_error_set(err, "out of memory reading a schema");
      return CY_ENOMEM;
    }
    memcpy(f->name, name, (size_t)nlen);
    f->name[nlen] = 0;
    out->num_fields = (int32_t)(i + 1);
    memset(&f->type, 0, sizeof f->type);
    f->type.id = (cy_type_id)id;
    f->type.unit = (cy_time_unit)unit;
    f->type.precision = (int32_t)prec;
    f->type.scale = (int32_t)scale;
    memcpy(f->type.timezone, tz, (size_t)tzlen);
  }
  return CY_OK;
bad:
  cy_schema_reset(out);
  cy_error_set(err, "malformed table message (schema)");
  return CY_EINVAL;
}

cy_status dist_check_schema(cy_comm *comm, const cy_table *table, const char *what,
                            cy_error *err) {
  if (table == NULL) {
    cy_error_set(err, "%s: no table", what);
    return dist_fail(comm, CY_EINVAL, err);
  }
  if (cy_comm_world_size(comm) == 1) return CY_OK;
  byte_str b = {0};
  if (!schema_put(&b, &table->schema)) {
    free(b.p);
    cy_error_set(err, "%s: out of memory", what);
    return dist_fail(comm, CY_ENOMEM, err);
  }
  cy_buffer **all = NULL;
  cy_status st = cy_comm_allgather(comm, b.p, b.len, &all, err);
  free(b.p);
  if (st != CY_OK) return st;
  int32_t world = cy_comm_world_size(comm);
  for (int32_t r = 1; r < world && st == CY_OK; r++) {
    if (all[r]->size == all[0]->size && memcmp(all[r]->data, all[0]->data, (size_t)all[0]->size) == 0)
      continue;
    cy_schema s0, sr;
    reader r0 = {all[0]->data, all[0]->size, 0, false}, rr = {all[r]->data, all[r]->size, 0, false};
    st = schema_get(&r0, &s0, err);
    if (st != CY_OK) break;
    st = schema_get(&rr, &sr, err);
    if (st != CY_OK) {
      cy_schema_reset(&s0);
      break;
    }
    char b0[400], br[400];
    cy_error_set(err, "%s: the schema on rank %d %s differs from rank 0's %s", what, (int)r,
                 cy_schema_format(&sr, br, sizeof br), cy_schema_format(&s0, b0, sizeof b0));
    cy_schema_reset(&s0);
    cy_schema_reset(&sr);
    st = CY_EINVAL;
  }
  cy_comm_buffers_free(comm, all);
  return st;
}

/* ---- sending ---------------------------------------------------------------------------- */

#define WIRE_MAX_PIECES_PER_COL 3

struct wire_out {
  wire_out *next;
  cy_table *table;     /* keeps the sent buffers alive */
  byte_str header;
  cy_buffer **scratch; /* normalised copies */
  int32_t nscratch;
  cy_comm_request *reqs;
  int32_t nreqs;
  int64_t bytes;
};

static void wire_out_free(wire_out *w) {
  if (w == NULL) return;
  cy_table_release(w->table);
  free(w->header.p);
  for (int32_t i = 0; i < w->nscratch; i++) cy_buffer_release(w->scratch[i]);
  free(w->scratch);
  free(w->reqs);
  free(w);
}

void wire_outbox_init(wire_outbox *box, int64_t chunk_bytes) {
  memset(box, 0, sizeof *box);
  box->window = (chunk_bytes > 0 ? chunk_bytes : DIST_DEFAULT_CHUNK_BYTES) * 4;
}

static cy_status wait_oldest(cy_comm *comm, wire_outbox *box, cy_error *err) {
  wire_out *w = box->head;
  box->head = w->next;
  if (box->head == NULL) box->tail = NULL;
  box->bytes_in_flight -= w->bytes;
  cy_status st = cy_comm_wait_all(comm, w->nreqs, w->reqs, err);
  wire_out_free(w);
  return st;
}

cy_status wire_outbox_flush(cy_comm *comm, wire_outbox *box, cy_error *err) {
  cy_status first = CY_OK;
  cy_error tmp;
  while (box->head) {
    cy_status st = wait_oldest(comm, box, first == CY_OK ? err : &tmp);
    if (first == CY_OK) first = st;
  }
  return first;
}

/* A bitmap of n bits starting at bit `offset` of buf, as a piece at bit 0. */
static cy_status bits_piece(wire_out *w, const cy_buffer *buf, int64_t offset, int64_t n,
                            const void **data, int64_t *len, cy_error *err) {
  *len = cy_bitmap_bytes(n);
  if (offset % 8 == 0) {
    *data = buf->data + offset / 8;
    return CY_OK;
  }
  cy_buffer *copy = NULL;
  CY_RETURN_NOT_OK(cy_buffer_alloc(*len, &copy, err));
  if (*len) copy->data[*len - 1] = 0;
  cy_bitmap_copy(copy->data, 0, buf->data, offset, n);
  w->scratch[w->nscratch++] = copy;
  *data = copy->data;
  return CY_OK;
}

/* Offsets of rows [offset, offset + n] rebased to start at 0 (a copy unless they do). */
static cy_status offsets_piece(wire_out *w, const cy_column *c, const void **data,
                               int64_t *len, int64_t *data_start, int64_t *data_len,
                               cy_error *err) {
  bool large = cy_type_is_large(c->type.id);
  int64_t o = c->offset, n = c->length, width = large ? 8 : 4;
  int64_t first, last;
  if (large) {
    first = ((const int64_t *)c->values->data)[o];
    last = ((const int64_t *)c->values->data)[o + n];
  } else {
    first = ((const int32_t *)c->values->data)[o];
    last = ((const int32_t *)c->values->data)[o + n];
  }
  *data_start = first;
  *data_len = last - first;
  *len = (n + 1) * width;
  if (first == 0) {
    *data = c->values->data + o * width;
    return CY_OK;
  }
  cy_buffer *copy = NULL;
  CY_RETURN_NOT_OK(cy_buffer_alloc(*len, &copy, err));
  if (large) {
    const int64_t *src = (const int64_t *)c->values->data + o;
    int64_t *dst = (int64_t *)copy->data;
    for (int64_t i = 0; i <= n; i++) dst[i] = src[i] - first;
  } else {
    const int32_t *src = (const int32_t *)c->values->data + o;
    int32_t *dst = (int32_t *)copy->data;
    int32_t f32 = (int32_t)first;
    for (int64_t i = 0; i <= n; i++) dst[i] = src[i] - f32;
  }
  w->scratch[w->nscratch++] = copy;
  *data = copy->data;
  return CY_OK;
}

/* Build the header and the pieces of a table chunk. */
static cy_status wire_encode(wire_out *w, cy_table *t, bool last, const void ***pieces,
                             int64_t **lens, int32_t *npieces, cy_error *err) {
  int32_t ncols = t->schema.num_fields;
  int32_t maxp = ncols * WIRE_MAX_PIECES_PER_COL;
  *pieces = calloc(maxp > 0 ? (size_t)maxp : 1, sizeof(void *));
  *lens = calloc(maxp > 0 ? (size_t)maxp : 1, sizeof(int64_t));
  w->scratch = calloc(maxp > 0 ? (size_t)maxp : 1, sizeof(cy_buffer *));
  if (*pieces == NULL || *lens == NULL || w->scratch == NULL) goto oom;
  bool ok = bytes_i64(&w->header, (int64_t)WIRE_MAGIC | ((int64_t)last << 32)) &&
            bytes_i64(&w->header, t->num_rows) && schema_put(&w->header, &t->schema);
  int32_t np = 0;
  for (int32_t i = 0; ok && i < ncols; i++) {
    const cy_column *c = t->columns[i];
    int64_t n = c->length;
    const void *vp = NULL, *dp = NULL, *bp = NULL;
    int64_t vlen = 0, dlen = 0, blen = 0;
    if (c->null_count > 0 && c->validity != NULL && n > 0)
      CY_RETURN_NOT_OK(bits_piece(w, c->validity, c->offset, n, &vp, &vlen, err));
    if (c->type.id == CY_BOOL) {
      if (n > 0) CY_RETURN_NOT_OK(bits_piece(w, c->values, c->offset, n, &bp, &blen, err));
    } else if (cy_type_is_var_width(c->type.id)) {
      int64_t start = 0;
      CY_RETURN_NOT_OK(offsets_piece(w, c, &bp, &blen, &start, &dlen, err));
      dp = c->data ? c->data->data + start : NULL;
    } else {
      int64_t width = cy_type_bit_width(c->type.id) / 8;
      bp = c->values->data + c->offset * width;
      blen = n * width;
    }
    ok = bytes_i64(&w->header, c->null_count > 0 && vlen > 0 ? c->null_count : 0) &&
         bytes_i64(&w->header, vlen) && bytes_i64(&w->header, blen) &&
         bytes_i64(&w->header, dlen);
    const void *ps[3] = {vp, bp, dp};
    int64_t ls[3] = {vlen, blen, dlen};
    for (int k = 0; k < 3; k++) {
      if (ls[k] <= 0) continue;
      (*pieces)[np] = ps[k];
      (*lens)[np++] = ls[k];
      w->bytes += ls[k];
    }
  }
  if (!ok) goto oom;
  *npieces = np;
  return CY_OK;
oom:
  cy_error_set(err, "out of memory encoding a table of %lld rows", (long long)t->num_rows);
  return CY_ENOMEM;
}

cy_status wire_send(cy_comm *comm, wire_outbox *box, int32_t dest, cy_table *table, bool last,
                    cy_error *err) {
  wire_out *w = calloc(1, sizeof *w);
  const void **pieces = NULL;
  int64_t *lens = NULL;
  int32_t np = 0;
  if (w == NULL) {
    cy_error_set(err, "out of memory sending a table");
    return CY_ENOMEM;
  }
  w->table = cy_table_retain(table);
  cy_status st = wire_encode(w, table, last, &pieces, &lens, &np, err);
  if (st == CY_OK) {
    w->reqs = calloc((size_t)np + 1, sizeof(cy_comm_request));
    if (w->reqs == NULL) {
      cy_error_set(err, "out of memory sending a table");
      st = CY_ENOMEM;
    }
  }
  if (st == CY_OK) st = cy_comm_isend(comm, dest, DIST_TAG, w->header.p, w->header.len,
                                      &w->reqs[w->nreqs++], err);
  for (int32_t i = 0; st == CY_OK && i < np; i++)
    st = cy_comm_isend(comm, dest, DIST_TAG, pieces[i], lens[i], &w->reqs[w->nreqs++], err);
  free(pieces);
  free(lens);
  if (st != CY_OK) {
    cy_error tmp;
    cy_comm_wait_all(comm, w->nreqs, w->reqs, &tmp);
    wire_out_free(w);
    return st;
  }
  if (box->tail) box->tail->next = w;
  else box->head = w;
  box->tail = w;
  box->bytes_in_flight += w->bytes;
  while (st == CY_OK && box->head != w && box->bytes_in_flight > box->window)
    st = wait_oldest(comm, box, err);
  return st;
}

/* Bytes of rows [0, n) of a column as sent (values, data, validity). */
static int64_t column_wire_bytes(const cy_column *c) {
  int64_t n = c->length, bytes = c->null_count > 0 ? cy_bitmap_bytes(n) : 0;
  if (c->type.id == CY_BOOL) return bytes + cy_bitmap_bytes(n);
  if (cy_type_is_var_width(c->type.id)) {
    int64_t first, last;
    if (cy_type_is_large(c->type.id)) {
      first = ((const int64_t *)c->values->data)[c->offset];
      last = ((const int64_t *)c->values->data)[c->offset + n];
      bytes += (n + 1) * 8;
    } else {
      first = ((const int32_t *)c->values->data)[c->offset];
      last = ((const int32_t *)c->values->data)[c->offset + n];
      bytes += (n + 1) * 4;
    }
    return bytes + (last - first);
  }
  return bytes + n * (cy_type_bit_width(c->type.id) / 8);
}

int64_t wire_table_bytes(const cy_table *table) {
  int64_t total = 0;
  for (int32_t i = 0; i < table->schema.num_fields; i++)
    total += column_wire_bytes(table->columns[i]);
  return total;
}

int64_t wire_rows_per_chunk(const cy_table *table, int64_t chunk_bytes) {
  if (chunk_bytes <= 0) chunk_bytes = DIST_DEFAULT_CHUNK_BYTES;
  int64_t total = wire_table_bytes(table);
  if (table->num_rows == 0 || total == 0) return table->num_rows > 0 ? table->num_rows : 1;
  int64_t per_row = (total + table->num_rows - 1) / table->num_rows;
  int64_t rows = chunk_bytes / (per_row > 0 ? per_row : 1);
  return rows > 0 ? rows : 1;
}

cy_status wire_send_chunked(cy_comm *comm, wire_outbox *box, int32_t dest, cy_table *table,
                            int64_t chunk_bytes, cy_error *err) {
  int64_t rows = wire_rows_per_chunk(table, chunk_bytes);
  int64_t n = table->num_rows;
  if (n <= rows) return wire_send(comm, box, dest, table, true, err);
  for (int64_t start = 0; start < n; start += rows) {
    cy_table *slice = NULL;
    CY_RETURN_NOT_OK(cy_table_slice(table, start, rows, &slice, err));
    cy_status st = wire_send(comm, box, dest, slice, start + rows >= n, err);
    cy_table_release(slice);
    CY_RETURN_NOT_OK(st);
  }
  return CY_OK;
}

/* ---- receiving -------------------------------------------------------------------------- */

cy_status wire_recv(cy_comm *comm, int32_t src, cy_table **out, bool *last, cy_error *err) {
  *out = NULL;
  cy_comm_request hreq;
  CY_RETURN_NOT_OK(cy_comm_irecv(comm, src, DIST_TAG, &hreq, err));
  CY_RETURN_NOT_OK(cy_comm_wait(comm, &hreq, err));
  cy_buffer *header = hreq.data;
  reader r = {header->data, header->size, 0, false};
  int64_t magic = read_i64(&r), nrows = read_i64(&r);
  cy_schema schema;
  cy_status st = CY_OK;
  if (r.bad || (magic & 0xffffffff) != WIRE_MAGIC || nrows < 0) {
    cy_buffer_release(header);
    cy_error_set(err, "malformed table message from rank %d", (int)src);
    return CY_EINVAL;
  }
  *last = (magic >> 32) & 1;
  st = schema_get(&r, &schema, err);
  if (st != CY_OK) {
    cy_buffer_release(header);
    cy_error_prefix(err, "from rank %d: ", (int)src);
    return st;
  }
  int32_t ncols = schema.num_fields;
  int64_t *meta = calloc((size_t)ncols * 4 + 1, sizeof(int64_t));
  cy_comm_request *reqs = calloc((size_t)ncols * 3 + 1, sizeof(cy_comm_request));
  cy_column **cols = calloc((size_t)ncols + 1, sizeof(cy_column *));
  const char **names = calloc((size_t)ncols + 1, sizeof(char *));
  int32_t nreq = 0;
  if (!meta || !reqs || !cols || !names) {
    cy_error_set(err, "out of memory receiving a table from rank %d", (int)src);
    st = CY_ENOMEM;
  }
  for (int32_t i = 0; st == CY_OK && i < ncols; i++) {
    for (int k = 0; k < 4; k++) meta[i * 4 + k] = read_i64(&r);
    if (r.bad || meta[i * 4] < 0 || meta[i * 4 + 1] < 0 || meta[i * 4 + 2] < 0 || meta[i * 4 + 3] < 0) {
      cy_error_set(err, "malformed table message from rank %d (column %d)", (int)src, (int)i);
      st = CY_EINVAL;
    }
  }
  /* Post every buffer's receive at once: they are already on their way. */
  for (int32_t i = 0; st == CY_OK && i < ncols; i++)
    for (int k = 1; k < 4 && st == CY_OK; k++)
      if (meta[i * 4 + k] > 0) st = cy_comm_irecv(comm, src, DIST_TAG, &reqs[nreq++], err);
  if (st == CY_OK) st = cy_comm_wait_all(comm, nreq, reqs, err);
  else if (nreq > 0) {
    cy_error tmp;
    cy_comm_wait_all(comm, nreq, reqs, &tmp);
  }
  int32_t next = 0;
  for (int32_t i = 0; st == CY_OK && i < ncols; i++) {
    cy_buffer *b[3] = {NULL, NULL, NULL};
    for (int k = 0; k < 3; k++) {
      int64_t len = meta[i * 4 + 1 + k];
      if (len > 0) {
        b[k] = reqs[next].data;
        reqs[next++].data = NULL;
        if (b[k] == NULL || b[k]->size != len) {
          cy_error_set(err, "table message from rank %d: a buffer of column %d has %lld bytes, "
                       "not %lld", (int)src, (int)i, b[k] ? (long long)b[k]->size : -1LL,
                       (long long)len);
          st = CY_EINVAL;
        }
      } else if (k > 0 && st == CY_OK) {
        st = cy_buffer_alloc(0, &b[k], err);
      }
    }
    cy_type type = schema.fields[i].type;
    if (st == CY_OK && cy_type_is_var_width(type.id) && nrows == 0 && meta[i * 4 + 2] == 0) {
      /* an empty var-width column still has its one zero offset */
      cy_buffer_release(b[1]);
      b[1] = NULL;
      st = cy_buffer_alloc_zeroed(cy_type_is_large(type.id) ? 8 : 4, &b[1], err);
    }
    if (st == CY_OK) {
      cy_buffer *data = cy_type_is_var_width(type.id) ? b[2] : NULL;
      if (data == NULL) cy_buffer_release(b[2]);
      st = cy_column_make(type, nrows, 0, b[0] ? meta[i * 4] : 0, b[0], b[1], data, &cols[i], err);
      if (st != CY_OK) cy_error_prefix(err, "table message from rank %d: ", (int)src);
    } else {
      for (int k = 0; k < 3; k++) cy_buffer_release(b[k]);
    }
    names[i] = schema.fields[i].name;
  }
  for (int32_t i = 0; i < nreq; i++) cy_buffer_release(reqs[i].data);
  if (st == CY_OK) st = cy_table_make(ncols, names, cols, out, err);
  for (int32_t i = 0; i < ncols && cols; i++) cy_column_release(cols[i]);
  free(cols);
  free(names);
  free(meta);
  free(reqs);
  cy_schema_reset(&schema);
  cy_buffer_release(header);
  return st;
}

cy_status dist_concat(int32_t n, cy_table *const *parts, cy_table **out, cy_error *err) {
  int32_t nonempty = 0, last = 0;
  for (int32_t i = 0; i < n; i++)
    if (parts[i]->num_rows > 0) nonempty++, last = i;
  if (nonempty <= 1) { /* nothing to copy: the one part with rows (or any part) as it is */
    *out = cy_table_retain(parts[last]);
    return CY_OK;
  }
  return cy_table_concat(n, parts, out, err);
}

/* Concatenate n tables, releasing them; n == 0 is not allowed. */
static cy_status concat_release(int32_t n, cy_table **parts, cy_table **out, cy_error *err) {
  cy_status st = dist_concat(n, parts, out, err);
  for (int32_t i = 0; i < n; i++) cy_table_release(parts[i]);
  return st;
}

cy_status table_list_push(table_list *list, cy_table *t, cy_error *err) {
  if (list->n == list->cap) {
    int32_t cap = list->cap ? list->cap * 2 : 16;
    cy_table **p = realloc(list->t, (size_t)cap * sizeof *p);
    if (p == NULL) {
      cy_error_set(err, "out of memory receiving tables");
      return CY_ENOMEM;
    }
    list->t = p;
    list->cap = cap;
  }
  list->t[list->n++] = cy_table_retain(t);
  return CY_OK;
}

void table_list_reset(table_list *list) {
  for (int32_t i = 0; i < list->n; i++) cy_table_release(list->t[i]);
  free(list->t);
  memset(list, 0, sizeof *list);
}

cy_status table_list_concat(table_list *list, cy_table *like, cy_table **out, cy_error *err) {
  cy_status st = list->n == 0 ? dist_empty_like(like, out, err)
                              : dist_concat(list->n, list->t, out, err);
  table_list_reset(list);
  return st;
}

cy_status wire_recv_into(cy_comm *comm, int32_t src, table_list *list, cy_error *err) {
  bool last = false;
  while (!last) {
    cy_table *t = NULL;
    CY_RETURN_NOT_OK(wire_recv(comm, src, &t, &last, err));
    cy_status st = table_list_push(list, t, err);
    cy_table_release(t);
    CY_RETURN_NOT_OK(st);
  }
  return CY_OK;
}

cy_status wire_recv_all(cy_comm *comm, int32_t src, cy_table **out, cy_error *err) {
  int32_t n = 0, cap = 4;
  cy_table **parts = malloc((size_t)cap * sizeof *parts);
  bool last = false;
  cy_status st = parts ? CY_OK : CY_ENOMEM;
  while (st == CY_OK && !last) {
    if (n == cap) {
      cy_table **p = realloc(parts, (size_t)cap * 2 * sizeof *parts);
      if (p == NULL) {
        st = CY_ENOMEM;
        break;
      }
      parts = p;
      cap *= 2;
    }
    st = wire_recv(comm, src, &parts[n], &last, err);
    if (st == CY_OK) n++;
  }
  if (st == CY_ENOMEM && parts == NULL) cy_error_set(err, "out of memory receiving a table");
  if (st == CY_OK) st = concat_release(n, parts, out, err);
  else
    for (int32_t i = 0; i < n; i++) cy_table_release(parts[i]);
  free(parts);
  return st;
}

/* ---- collectives on tables -------------------------------------------------------------- */

void cy_shuffle_options_init(cy_shuffle_options *opts) {
  opts->chunk_bytes = DIST_DEFAULT_CHUNK_BYTES;
}

cy_status cy_dist_num_rows(cy_comm *comm, const cy_table *table, int64_t *out, cy_error *err) {
  if (table == NULL) {
    cy_error_set(err, "num_rows: no table");
    return dist_fail(comm, CY_EINVAL, err);
  }
  *out = table->num_rows;
  return dist_sum_i64(comm, out, err);
}

/* Receive every other rank's rows in rank order, with ours in place (ranks for which
 * from[r] is false contribute nothing). */
static cy_status recv_in_rank_order(cy_comm *comm, cy_table *mine, cy_table **out,
                                    cy_error *err) {
  int32_t world = cy_comm_world_size(comm), me = cy_comm_rank(comm);
  table_list list = {0};
  cy_status st = CY_OK;
  for (int32_t r = 0; r < world && st == CY_OK; r++) {
    if (r == me) st = table_list_push(&list, mine, err);
    else st = wire_recv_into(comm, r, &list, err);
  }
  if (st == CY_OK) st = table_list_concat(&list, mine, out, err);
  table_list_reset(&list);
  return st;
}

cy_status cy_dist_gather(cy_comm *comm, cy_table *table, int32_t root, cy_table **out,
                         cy_error *err) {
  *out = NULL;
  int32_t world = cy_comm_world_size(comm), me = cy_comm_rank(comm);
  if (root < 0 || root >= world) {
    cy_error_set(err, "gather: root %d is outside the world of %d", (int)root, (int)world);
    return CY_EINVAL;
  }
  CY_RETURN_NOT_OK(dist_check_schema(comm, table, "gather", err));
  if (world == 1) {
    *out = cy_table_retain(table);
    return CY_OK;
  }
  if (me != root) {
    wire_outbox box;
    wire_outbox_init(&box, 0);
    cy_status st = wire_send_chunked(comm, &box, root, table, 0, err);
    cy_error tmp;
    cy_status fst = wire_outbox_flush(comm, &box, st == CY_OK ? err : &tmp);
    if (st == CY_OK) st = fst;
    if (st == CY_OK) st = dist_empty_like(table, out, err);
    return dist_fail(comm, st, err);
  }
  return dist_fail(comm, recv_in_rank_order(comm, table, out, err), err);
}

cy_status cy_dist_allgather(cy_comm *comm, cy_table *table, cy_table **out, cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(dist_check_schema(comm, table, "allgather", err));
  int32_t world = cy_comm_world_size(comm), me = cy_comm_rank(comm);
  if (world == 1) {
    *out = cy_table_retain(table);
    return CY_OK;
  }
  wire_outbox box;
  wire_outbox_init(&box, 0);
  box.window *= world; /* the same buffers go to every peer */
  cy_status st = CY_OK;
  for (int32_t k = 1; k < world && st == CY_OK; k++)
    st = wire_send_chunked(comm, &box, (me + k) % world, table, 0, err);
  if (st == CY_OK) st = recv_in_rank_order(comm, table, out, err);
  cy_error tmp;
  cy_status fst = wire_outbox_flush(comm, &box, st == CY_OK ? err : &tmp);
  if (st == CY_OK) st = fst;
  if (st != CY_OK && *out) {
    cy_table_release(*out);
    *out = NULL;
  }
  return dist_fail(comm, st, err);
}

cy_status cy_dist_broadcast(cy_comm *comm, cy_table *table, int32_t root, cy_table **out,
                            cy_error *err) {
  *out = NULL;
  int32_t world = cy_comm_world_size(comm), me = cy_comm_rank(comm);
  if (root < 0 || root >= world) {
    cy_error_set(err, "broadcast: root %d is outside the world of %d", (int)root, (int)world);
    return CY_EINVAL;
  }
  if (me == root && table == NULL) {
    cy_error_set(err, "broadcast: no table on the root (rank %d)", (int)root);
    return dist_fail(comm, CY_EINVAL, err);
  }
  if (me != root) return dist_fail(comm, wire_recv_all(comm, root, out, err), err);
  wire_outbox box;
  wire_outbox_init(&box, 0);
  box.window *= world;
  cy_status st = CY_OK;
  for (int32_t k = 1; k < world && st == CY_OK; k++)
    st = wire_send_chunked(comm, &box, (me + k) % world, table, 0, err);
  cy_error tmp;
  cy_status fst = wire_outbox_flush(comm, &box, st == CY_OK ? err : &tmp);
  if (st == CY_OK) st = fst;
  if (st == CY_OK) *out = cy_table_retain(table);
  return dist_fail(comm, st, err);
}

cy_status cy_dist_rebalance(cy_comm *comm, cy_table *table, cy_table **out, cy_error *err) {
  *out = NULL;
  CY_RETURN_NOT_OK(dist_check_schema(comm, table, "rebalance", err));
  int32_t world = cy_comm_world_size(comm), me = cy_comm_rank(comm);
  if (world == 1) {
    *out = cy_table_retain(table);
    return CY_OK;
  }
  int64_t *counts = calloc((size_t)world + 1, sizeof(int64_t));
  int64_t *starts = calloc((size_t)world + 1, sizeof(int64_t));
  if (counts == NULL || starts == NULL) {
    free(counts);
    free(starts);
    cy_error_set(err, "out of memory");
    return dist_fail(comm, CY_ENOMEM, err);
  }
  counts[me] = table->num_rows;
  cy_status st = cy_comm_allreduce(comm, counts, world, CY_REDUCE_INT64, CY_REDUCE_SUM, err);
  int64_t total = 0;
  for (int32_t r = 0; r < world; r++) {
    starts[r] = total;
    total += counts[r];
  }
  starts[world] = total;
  /* target rank t owns global rows [t*N/P, (t+1)*N/P) */
#define TARGET_START(t) ((int64_t)(((__int128)total * (t)) / world))
  wire_outbox box;
  wire_outbox_init(&box, 0);
  cy_table *keep = NULL;
  for (int32_t t = 0; t < world && st == CY_OK; t++) {
    int64_t lo = TARGET_START(t), hi = TARGET_START(t + 1);
    int64_t a = lo > starts[me] ? lo : starts[me], b = hi < starts[me + 1] ? hi : starts[me + 1];
    if (a >= b) continue;
    cy_table *slice = NULL;
    st = cy_table_slice(table, a - starts[me], b - a, &slice, err);
    if (st != CY_OK) break;
    if (t == me) keep = slice;
    else {
      st = wire_send_chunked(comm, &box, t, slice, 0, err);
      cy_table_release(slice);
    }
  }
  /* receive from every rank whose rows overlap ours, in rank order */
  int64_t lo = TARGET_START(me), hi = TARGET_START(me + 1);
  cy_table **parts = calloc((size_t)world + 1, sizeof *parts);
  int32_t np = 0;
  if (parts == NULL && st == CY_OK) {
    cy_error_set(err, "out of memory");
    st = CY_ENOMEM;
  }
  for (int32_t r = 0; r < world && st == CY_OK; r++) {
    int64_t a = lo > starts[r] ? lo : starts[r], b = hi < starts[r + 1] ? hi : starts[r + 1];
    if (a >= b) continue;
    if (r == me) parts[np++] = cy_table_retain(keep);
    else {
      st = wire_recv_all(comm, r, &parts[np], err);
      if (st == CY_OK) np++;
    }
  }
#undef TARGET_START
  if (st == CY_OK) {
    if (np == 0) st = dist_empty_like(table, out, err);
    else st = dist_concat(np, parts, out, err);
  }
  for (int32_t i = 0; i < np; i++) cy_table_release(parts[i]);
  free(parts);
  cy_table_release(keep);
  cy_error tmp;
  cy_status fst = wire_outbox_flush(comm, &box, st == CY_OK ? err : &tmp);
  if (st == CY_OK) st = fst;
  if (st != CY_OK && *out) {
    cy_table_release(*out);
    *out = NULL;
  }
  free(counts);
  free(starts);
  return dist_fail(comm, st, err);
}
