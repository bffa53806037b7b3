/*
 * csv_stream.c - reading a CSV file as a stream of batches with bounded memory.
 *
 * The same block machinery as the whole-file read, but each block becomes one batch and
 * its columns are handed out instead of grown: memory stays at about one batch plus the
 * read buffer. Types are fixed when the stream opens (from the sample, or given), since
 * batches already handed out cannot be widened; a later value that does not fit is an
 * error naming its line and column, with a hint to give the type.
 */
#include <stdlib.h>
#include <string.h>

#include "io/csv_internal.h"

/* A batch's block is sized from the sample's average record length, within these. */
#define MIN_STREAM_BLOCK ((int64_t)64 << 10)
#define MAX_STREAM_BLOCK ((int64_t)256 << 20)

typedef struct csv_stream {
  csv_parser ps;
  csv_source src;
  int64_t from;  /* offset of the next record in the buffer */
  bool done;
  bool inferred; /* some column type came from the sample */
  int64_t sample_rows;
  int64_t batch_rows;
  char **nulls; /* copies of the null markers, which the dialect points at */
  int32_t num_nulls;
  char *path;   /* a copy: errors name it long after the caller's string may be gone */
} csv_stream;

static cy_status stream_schema(cy_batch_reader *self, cy_schema *out, cy_error *err) {
  csv_stream *s = self->private_data;
  cy_schema view = {s->ps.num_columns, NULL};
  view.fields = calloc(view.num_fields > 0 ? (size_t)view.num_fields : 1, sizeof(cy_field));
  if (view.fields == NULL) {
    cy_error_set(err, "out of memory copying a schema");
    return CY_ENOMEM;
  }
  for (int32_t c = 0; c < view.num_fields; c++) {
    view.fields[c].name = s->ps.columns[c].name;
    view.fields[c].type = s->ps.columns[c].type;
  }
  cy_status st = cy_schema_copy(&view, out, err);
  free(view.fields);
  return st;
}

static cy_status stream_next(cy_batch_reader *self, cy_table **out, cy_error *err) {
  csv_stream *s = self->private_data;
  *out = NULL;
  while (!s->done) {
    int64_t used;
    bool widen;
    cy_status st = csv_parse_block(&s->ps, &s->src, s->src.buf + s->from, &used, &widen, err);
    if (st != CY_OK) {
      if (s->inferred && err && strstr(err->message, " but found ")) {
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof(err->message) - n,
                 " (column types were inferred from the first %lld rows; give the column's "
                 "type, or a larger sample)",
                 (long long)s->sample_rows);
      }
      s->done = true;
      return st;
    }
    bool have_rows = s->ps.rows > 0;
    if (s->src.eof && used >= s->src.len) s->done = true;
    if (!s->done) {
      /* No complete record in the buffer means one longer than it: read more. */
      int64_t want = used == s->from ? s->src.len * 2 + 1 : s->src.block;
      st = csv_source_refill(&s->src, used, want, err);
      s->from = 0;
      if (st != CY_OK) {
        s->done = true;
        return st;
      }
    }
    if (have_rows) {
      /* Size the next block from this batch's bytes per row, so batches stay near
       * batch_rows even when rows grow longer or shorter than the sample's. */
      int64_t per_row = used / s->ps.rows + 1, block = s->batch_rows * per_row;
      if (block < MIN_STREAM_BLOCK) block = MIN_STREAM_BLOCK;
      if (block > MAX_STREAM_BLOCK) block = MAX_STREAM_BLOCK;
      s->src.block = block;
      return csv_outputs_finish(&s->ps, out, err);
    }
  }
  return CY_OK;
}

static void stream_release(cy_batch_reader *self) {
  csv_stream *s = self->private_data;
  if (s) {
    csv_parser_reset(&s->ps);
    csv_source_close(&s->src);
    for (int32_t i = 0; i < s->num_nulls; i++) free(s->nulls[i]);
    free(s->nulls);
    free(s->path);
    free(s);
  }
  self->release = NULL;
  self->private_data = NULL;
}

/* Copy the null markers: the dialect keeps pointers to them for the stream's life. */
static cy_status copy_nulls(csv_stream *s, cy_csv_read_options *opts, cy_error *err) {
  if (opts->null_values == NULL) return CY_OK;
  s->nulls = calloc(opts->num_null_values > 0 ? (size_t)opts->num_null_values : 1,
                    sizeof(char *));
  if (s->nulls == NULL) goto oom;
  for (int32_t i = 0; i < opts->num_null_values; i++) {
    s->nulls[i] = strdup(opts->null_values[i]);
    if (s->nulls[i] == NULL) goto oom;
    s->num_nulls++;
  }
  opts->null_values = (const char *const *)s->nulls;
  return CY_OK;
oom:
  cy_error_set(err, "out of memory opening a CSV stream");
  return CY_ENOMEM;
}

cy_status cy_csv_open(const char *path, const cy_csv_read_options *user_opts,
                      cy_batch_reader *out, cy_error *err) {
  cy_csv_read_options opts;
  if (user_opts)
    opts = *user_opts;
  else
    cy_csv_read_options_init(&opts);
  csv_stream *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    cy_error_set(err, "out of memory opening a CSV stream");
    return CY_ENOMEM;
  }
  s->src.fd = -1;
  s->sample_rows = opts.sample_rows;
  s->ps.threads = opts.num_threads > 0 ? opts.num_threads : cy_num_threads();
  cy_batch_reader reader = {stream_schema, stream_next, stream_release, s};
  cy_status st = copy_nulls(s, &opts, err);
  if (st == CY_OK && (s->path = strdup(path)) == NULL) {
    cy_error_set(err, "out of memory opening a CSV stream");
    st = CY_ENOMEM;
  }
  if (st == CY_OK) st = csv_source_open_file(&s->src, s->path, MIN_STREAM_BLOCK, err);
  if (st == CY_OK) st = csv_source_refill(&s->src, 0, MIN_STREAM_BLOCK, err);
  if (st == CY_OK) st = csv_prepare(&s->ps, &s->src, &opts, &s->from, err);
  if (st != CY_OK) {
    stream_release(&reader);
    return st;
  }
  s->ps.expected_rows = 0; /* outputs hold one batch, not the whole file */
  /* Types are final from here on: a misfit is an error, not a reason to widen. */
  for (int32_t c = 0; c < s->ps.num_columns; c++) {
    s->inferred |= s->ps.columns[c].inferred;
    s->ps.columns[c].inferred = false;
  }
  int64_t batch = opts.batch_rows > 0 ? opts.batch_rows : 65536;
  s->batch_rows = batch;
  int64_t block = batch > MAX_STREAM_BLOCK / s->ps.avg_record_bytes
                      ? MAX_STREAM_BLOCK
                      : batch * s->ps.avg_record_bytes;
  if (block < MIN_STREAM_BLOCK) block = MIN_STREAM_BLOCK;
  if (block > MAX_STREAM_BLOCK) block = MAX_STREAM_BLOCK;
  s->src.block = block;
  if (s->ps.num_columns == 0) s->done = true;
  *out = reader;
  return CY_OK;
}
