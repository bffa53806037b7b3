/*
 * dist_internal.h - what the dist layer's files share (private to the library): tables on
 * the wire, collective schema checks, collective failure, and the hash shuffle with
 * explicit key columns.
 *
 * Wire format (table_wire.c): a table travels from one rank to another as one header
 * message (schema, row count, per column its null count and buffer lengths, and whether
 * more chunks follow) and then one message per non-empty buffer (validity, values,
 * data), in the Arrow layout at offset 0. Buffers are sent from the table's own memory
 * where the slice allows it (byte-aligned bitmaps, offsets starting at 0); otherwise a
 * normalised copy is made. The receiver uses each received message as the column buffer
 * itself, so nothing is copied on receipt.
 *
 * All dist messages use one tag: every operator receives exactly what was sent to it (the
 * last chunk is marked), and messages of one (source, tag) arrive in order, so operators
 * called in the same order on every rank never see each other's messages.
 */
#ifndef CYLON_DIST_INTERNAL_H
#define CYLON_DIST_INTERNAL_H

#include <stdlib.h>
#include <string.h>

#include "cylon/compute.h"
#include "cylon/core.h"
#include "cylon/dist.h"
#include "cylon/net.h"

#define DIST_TAG 0x2D15
#define DIST_DEFAULT_CHUNK_BYTES (8LL << 20)

/* ---- failure ------------------------------------------------------------------------ */

/* A failure on this rank that the others cannot see: fail the communicator with our
 * message (so every rank stops, naming us) and return st. CY_OK passes through. */
cy_status dist_fail(cy_comm *comm, cy_status st, cy_error *err);

/* ---- schemas ------------------------------------------------------------------------ */

/* Collective: every rank's schema of table is rank 0's, or every rank fails with the
 * same error naming the first rank that differs, both schemas and `what` ("left table").
 * No rank aborts the communicator for this: the error is the same everywhere. */
cy_status dist_check_schema(cy_comm *comm, const cy_table *table, const char *what,
                            cy_error *err);

/* ---- sending and receiving tables --------------------------------------------------- */

/* Sends in flight: each keeps what its messages point into alive until waited for. */
typedef struct wire_out wire_out;
typedef struct wire_outbox {
  wire_out *head, *tail;
  int64_t bytes_in_flight;
  int64_t window; /* wait for the oldest send when more bytes than this are in flight */
} wire_outbox;

void wire_outbox_init(wire_outbox *box, int64_t chunk_bytes);
/* Start sending table (all of it, as one chunk; last marks the end of a stream of
 * chunks) to dest. Waits for older sends when the window is full. */
cy_status wire_send(cy_comm *comm, wire_outbox *box, int32_t dest, cy_table *table, bool last,
                    cy_error *err);
/* Send table to dest in chunks of about chunk_bytes (zero-copy slices), the last marked. */
cy_status wire_send_chunked(cy_comm *comm, wire_outbox *box, int32_t dest, cy_table *table,
                            int64_t chunk_bytes, cy_error *err);
/* Wait for every send in the box; the first failure is reported. */
cy_status wire_outbox_flush(cy_comm *comm, wire_outbox *box, cy_error *err);
/* Receive one chunk from src; *last tells whether it ended its stream. */
cy_status wire_recv(cy_comm *comm, int32_t src, cy_table **out, bool *last, cy_error *err);
/* A growing list of received chunks, concatenated once at the end (one copy, not one
 * per source and another for all). */
typedef struct table_list {
  cy_table **t;
  int32_t n, cap;
} table_list;
/* Receive chunks from src up to the last one, appending them to list. */
cy_status wire_recv_into(cy_comm *comm, int32_t src, table_list *list, cy_error *err);
/* Append a reference to t. */
cy_status table_list_push(table_list *list, cy_table *t, cy_error *err);
/* Concatenate the list (dist_concat) into *out and empty it; an empty list gives an
 * empty table like `like`. */
cy_status table_list_concat(table_list *list, cy_table *like, cy_table **out, cy_error *err);
void table_list_reset(table_list *list);
/* Receive chunks from src up to the last one and concatenate them. */
cy_status wire_recv_all(cy_comm *comm, int32_t src, cy_table **out, cy_error *err);

/* Bytes the table's rows take on the wire (slices counted by their rows only). */
int64_t wire_table_bytes(const cy_table *table);
/* cy_table_concat, but a single part with rows is returned as it is (no copy). The parts
 * must have one schema. */
cy_status dist_concat(int32_t n, cy_table *const *parts, cy_table **out, cy_error *err);
/* Rows per chunk of about chunk_bytes for this table (at least 1). */
int64_t wire_rows_per_chunk(const cy_table *table, int64_t chunk_bytes);

/* ---- shuffle ------------------------------------------------------------------------ */

/* Hash-partition by the columns keys[0..n) (indices; all columns when n == 0), hashing
 * them in hash_types where given (NULL, or an entry with id 0: the column's own type):
 * casting both sides of a join to one type makes equal values of different types meet.
 * Rows keep their order within each source, and arrive in source rank order. */
cy_status dist_shuffle_idx(cy_comm *comm, cy_table *table, const int32_t *keys, int32_t n,
                           const cy_type *hash_types, int64_t chunk_bytes, cy_table **out,
                           cy_error *err);

/* Resolve column names to indices; error names the missing column and `what`. */
cy_status dist_columns(const cy_table *table, const char *const *names, int32_t n,
                       const char *what, int32_t *out, cy_error *err);

/* A zero-row slice of table: the local operators run on it to check arguments and learn
 * the result's schema without touching data (the same answer on every rank). */
cy_status dist_empty_like(cy_table *table, cy_table **out, cy_error *err);

/* Total of v over all ranks. */
cy_status dist_sum_i64(cy_comm *comm, int64_t *v, cy_error *err);

#endif
