/*
 * concat.c - concatenating columns and tables, and draining a batch reader into a table.
 *
 * Output buffers are sized exactly up front (sum of lengths and of string bytes) and filled
 * with cy_builder_append_column, so each input is copied once with memcpy-speed loops.
 */
#include <stdlib.h>
#include <string.h>

#include "cylon/compute.h"

static int64_t var_bytes(const cy_column *c) {
  if (!cy_type_is_var_width(c->type.id) || c->length == 0) return 0;
  int64_t first, last;
  const uint8_t *p0 = cy_column_bytes(c, 0, &first);
  const uint8_t *pn = cy_column_bytes(c, c->length - 1, &last);
  return (pn + last) - p0;
}

cy_status cy_column_concat(int32_t n, cy_column *const *columns, cy_column **out,
                           cy_error *err) {
  if (n <= 0) {
    cy_error_set(err, "concatenating no columns: the type is unknown");
    return CY_EINVAL;
  }
  if (n == 1) {
    *out = cy_column_retain(columns[0]);
    return CY_OK;
  }
  int64_t rows = 0, bytes = 0;
  for (int32_t i = 0; i < n; i++) {
    if (!cy_type_equals(&columns[i]->type, &columns[0]->type)) {
      char a[96], b[96];
      cy_error_set(err, "cannot concatenate a %s column with a %s column",
                   cy_type_name(&columns[0]->type, a, sizeof a),
                   cy_type_name(&columns[i]->type, b, sizeof b));
      return CY_EINVAL;
    }
    rows += columns[i]->length;
    bytes += var_bytes(columns[i]);
  }
  cy_type type = columns[0]->type;
  /* Past 2 GiB of text the result needs 64-bit offsets (as the CSV reader and take do). */
  if (bytes > INT32_MAX && type.id == CY_UTF8) type.id = CY_LARGE_UTF8;
  if (bytes > INT32_MAX && type.id == CY_BINARY) type.id = CY_LARGE_BINARY;
  bool widened = type.id != columns[0]->type.id;
  cy_builder b;
  CY_RETURN_NOT_OK(cy_builder_init(&b, type, rows, err));
  cy_status st = cy_builder_reserve(&b, rows, bytes, err);
  for (int32_t i = 0; st == CY_OK && i < n; i++) {
    if (!widened) {
      st = cy_builder_append_column(&b, columns[i], 0, columns[i]->length, err);
      continue;
    }
    for (int64_t r = 0; st == CY_OK && r < columns[i]->length; r++) {
      int64_t len;
      const uint8_t *p = cy_column_bytes(columns[i], r, &len);
      st = cy_column_is_valid(columns[i], r) ? cy_builder_append_bytes(&b, p, len, err)
                                             : cy_builder_append_null(&b, err);
    }
  }
  if (st == CY_OK) st = cy_builder_finish(&b, out, err);
  cy_builder_reset(&b);
  return st;
}

typedef struct concat_job {
  int32_t n;
  cy_table *const *tables;
  cy_column **out;
} concat_job;

static cy_status concat_one(void *ctx, int64_t c, cy_error *err) {
  concat_job *job = ctx;
  cy_column **cols = malloc((size_t)job->n * sizeof(cy_column *));
  if (cols == NULL) {
    cy_error_set(err, "out of memory concatenating tables");
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < job->n; i++) cols[i] = job->tables[i]->columns[c];
  cy_status st = cy_column_concat(job->n, cols, &job->out[c], err);
  free(cols);
  return st;
}

cy_status cy_table_concat(int32_t n, cy_table *const *tables, cy_table **out, cy_error *err) {
  if (n <= 0) {
    cy_error_set(err, "concatenating no tables: the schema is unknown");
    return CY_EINVAL;
  }
  for (int32_t i = 1; i < n; i++) {
    if (!cy_schema_equals(&tables[0]->schema, &tables[i]->schema)) {
      char a[512], b[512];
      cy_error_set(err, "cannot concatenate tables with different schemas: %s and %s",
                   cy_schema_format(&tables[0]->schema, a, sizeof a),
                   cy_schema_format(&tables[i]->schema, b, sizeof b));
      return CY_EINVAL;
    }
  }
  if (n == 1) {
    *out = cy_table_retain(tables[0]);
    return CY_OK;
  }
  int32_t ncols = tables[0]->schema.num_fields;
  concat_job job = {n, tables, calloc(ncols > 0 ? (size_t)ncols : 1, sizeof(cy_column *))};
  const char **names = malloc((ncols > 0 ? (size_t)ncols : 1) * sizeof(char *));
  if (job.out == NULL || names == NULL) {
    free(job.out);
    free(names);
    cy_error_set(err, "out of memory concatenating tables");
    return CY_ENOMEM;
  }
  /* Columns are independent: copy them on all threads. */
  cy_status st = cy_parallel_for(ncols, concat_one, &job, err);
  for (int32_t c = 0; c < ncols; c++) names[c] = tables[0]->schema.fields[c].name;
  if (st == CY_OK) st = cy_table_make(ncols, names, job.out, out, err);
  if (st == CY_OK && ncols == 0) (*out)->num_rows = 0;
  for (int32_t c = 0; c < ncols; c++) cy_column_release(job.out[c]);
  free(job.out);
  free(names);
  return st;
}

cy_status cy_batch_reader_read_all(cy_batch_reader *reader, cy_table **out, cy_error *err) {
  cy_table **batches = NULL;
  int32_t n = 0, cap = 0;
  cy_status st = CY_OK;
  for (;;) {
    cy_table *t = NULL;
    st = reader->next(reader, &t, err);
    if (st != CY_OK || t == NULL) break;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      cy_table **grown = realloc(batches, (size_t)cap * sizeof(cy_table *));
      if (grown == NULL) {
        cy_table_release(t);
        cy_error_set(err, "out of memory collecting batches");
        st = CY_ENOMEM;
        break;
      }
      batches = grown;
    }
    batches[n++] = t;
  }
  if (st == CY_OK) {
    if (n > 0) {
      st = cy_table_concat(n, batches, out, err);
    } else {
      cy_schema schema;
      st = reader->get_schema(reader, &schema, err);
      if (st == CY_OK) {
        st = cy_table_make_empty(&schema, out, err);
        cy_schema_reset(&schema);
      }
    }
  }
  for (int32_t i = 0; i < n; i++) cy_table_release(batches[i]);
  free(batches);
  return st;
}
