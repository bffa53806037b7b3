/*
 * fuzz_ipc.c - libFuzzer target for the Arrow IPC reader (stream and file formats).
 *
 * The input is read from memory as cylon reads a file (one buffer, columns pointing into
 * it). Beyond "no crash, no leak, no sanitizer report": a table that comes back must be
 * sound (every value formats) and must survive a round trip: written by cylon's writer
 * (the stream format, in batches of 3 rows, or the file format compressed with zstd,
 * chosen by the input's length) and read again, it is equal. The seeds in
 * fuzz/corpus/fuzz_ipc/ are streams and files written by apache-arrow (npm): every type,
 * nulls, dictionaries with deltas, compressed bodies, the legacy prefix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"
#include "io/ipc_format.h"

typedef struct mem_out {
  uint8_t *data;
  int64_t len, cap;
} mem_out;

static cy_status mem_write(cy_output *self, const void *p, int64_t n, cy_error *err) {
  mem_out *m = self->private_data;
  if (m->len + n > m->cap) {
    int64_t cap = (m->len + n) * 2 + 64;
    uint8_t *grown = realloc(m->data, (size_t)cap);
    if (grown == NULL) {
      cy_error_set(err, "out of memory");
      return CY_ENOMEM;
    }
    m->data = grown;
    m->cap = cap;
  }
  memcpy(m->data + m->len, p, (size_t)n);
  m->len += n;
  return CY_OK;
}

static cy_buffer *to_buffer(const uint8_t *data, int64_t size) {
  cy_buffer *b = NULL;
  if (cy_buffer_alloc(size, &b, NULL) != CY_OK) abort();
  if (size) memcpy(b->data, data, (size_t)size);
  return b;
}

/* Write t with cylon and read it back; it must be equal. */
static void round_trip(cy_table *t, bool file_format) {
  mem_out m = {0};
  cy_output out = {.write = mem_write, .name = "fuzz", .private_data = &m};
  cy_ipc_write_options o;
  cy_ipc_write_options_init(&o);
  o.file_format = file_format;
  o.batch_rows = file_format ? 0 : 3;
  cy_error err;
  if (ipc_write_output(t, &out, &o, file_format ? IPC_CODEC_ZSTD : IPC_CODEC_NONE, &err) != CY_OK)
    abort();
  cy_buffer *b = to_buffer(m.data, m.len);
  free(m.data);
  cy_table *back = NULL;
  bool same = false;
  if (ipc_read_memory(b, "round trip", &back, &err) != CY_OK) abort();
  if (cy_table_equals(t, back, true, &same, &err) != CY_OK || !same) abort();
  cy_table_release(back);
  cy_buffer_release(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cy_buffer *b = to_buffer(data, (int64_t)size);
  cy_table *t = NULL;
  cy_error err;
  cy_status st = ipc_read_memory(b, "fuzz.arrow", &t, &err);
  cy_buffer_release(b); /* the table must keep what it points into alive */
  if (st != CY_OK) {
    if (t != NULL || err.message[0] == 0) abort();
    return 0;
  }
  char text[128];
  for (int32_t c = 0; c < t->schema.num_fields; c++)
    for (int64_t r = 0; r < t->num_rows; r++)
      cy_column_format_value(t->columns[c], r, "null", text, sizeof text);
  round_trip(t, size % 2 == 1);
  cy_table_release(t);
  return 0;
}
