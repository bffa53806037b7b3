/*
 * parquet_assemble.c - reading the chosen row groups of the chosen fields into one table.
 *
 * Fixed-width columns are allocated whole up front, for all rows of all chosen row
 * groups, so every chunk decodes straight into its final place and needs no copy. Then
 * one task per (row group, field), run on all threads, reads its chunk's byte range
 * through the cy_input and decodes it (parquet_column.c). Afterwards the pieces that
 * could not be written in place are put together: validity bitmaps and booleans (bit
 * offsets of different chunks share bytes, so chunks cannot write them concurrently), and
 * variable-width values, whose sizes are only known after decoding; their data is copied
 * in parallel, one task per chunk, into offsets and data buffers sized exactly (int32
 * offsets, or int64 ones with a large type past 2 GiB).
 */
#include <stdlib.h>
#include <string.h>

#include "io/parquet_reader.h"

typedef struct job {
  pq_file *f;
  const int32_t *fields, *groups;
  int32_t nf, ng;
  int64_t *row0;        /* ng + 1: first output row of each group, then the total */
  bool verify;
  cy_buffer **values;   /* nf: fixed-width outputs (NULL for bool and var-width) */
  pq_chunk_out *pieces; /* ng * nf, group-major */
  /* variable-width assembly */
  cy_buffer **offsets, **data; /* nf */
  bool *large;                 /* nf */
  int64_t *base;               /* ng * nf: where each piece's data goes */
} job;

static const pq_field *field_of(const job *j, int32_t c) { return &j->f->fields[j->fields[c]]; }

static cy_status chunk_task(void *ctx, int64_t i, cy_error *err) {
  job *j = ctx;
  int32_t g = (int32_t)(i / j->nf), c = (int32_t)(i % j->nf);
  int32_t rg = j->groups[g], fi = j->fields[c];
  const pq_field *fld = &j->f->fields[fi];
  pq_chunk_out *piece = &j->pieces[i];
  if (fld->width > 0) piece->values = j->values[c]->data + j->row0[g] * fld->width;
  if (j->f->meta.row_groups[rg].num_rows == 0) /* nothing to read (writers leave bad offsets) */
    return pq_chunk_read(j->f, rg, fi, NULL, 0, j->verify, piece, err);
  int64_t off, len;
  CY_RETURN_NOT_OK(pq_chunk_range(j->f, rg, fi, &off, &len, err));
  uint8_t *buf = malloc((size_t)(len > 0 ? len : 1));
  if (!buf) {
    cy_error_set(err, "%s: column '%s', row group %d: out of memory for %lld bytes",
                 j->f->name, fld->name, rg, (long long)len);
    return CY_ENOMEM;
  }
  cy_status st = pq_read_range(j->f, off, len, buf, err);
  if (st == CY_OK) st = pq_chunk_read(j->f, rg, fi, buf, len, j->verify, piece, err);
  free(buf);
  return st;
}

static cy_status copy_task(void *ctx, int64_t i, cy_error *err) {
  job *j = ctx;
  int32_t g = (int32_t)(i / j->nf), c = (int32_t)(i % j->nf);
  if (!j->data[c]) return CY_OK;
  const pq_chunk_out *p = &j->pieces[i];
  int64_t n = j->row0[g + 1] - j->row0[g], base = j->base[i], r0 = j->row0[g];
  if (p->data_len) memcpy(j->data[c]->data + base, p->data, (size_t)p->data_len);
  if (j->large[c]) {
    int64_t *o = (int64_t *)(void *)j->offsets[c]->data + r0;
    for (int64_t r = 0; r <= n; r++) o[r] = base + p->offsets[r];
  } else {
    int32_t *o = (int32_t *)(void *)j->offsets[c]->data + r0;
    for (int64_t r = 0; r <= n; r++) o[r] = (int32_t)(base + p->offsets[r]);
  }
  return CY_OK;
}

/* The validity of field c over all groups (NULL when no row is null). */
static cy_status gather_validity(job *j, int32_t c, cy_buffer **out, int64_t *nulls,
                                 cy_error *err) {
  *out = NULL;
  *nulls = 0;
  for (int32_t g = 0; g < j->ng; g++) *nulls += j->pieces[(int64_t)g * j->nf + c].null_count;
  if (*nulls == 0) return CY_OK;
  int64_t total = j->row0[j->ng];
  CY_RETURN_NOT_OK(cy_buffer_alloc(cy_bitmap_bytes(total), out, err));
  for (int32_t g = 0; g < j->ng; g++) {
    const pq_chunk_out *p = &j->pieces[(int64_t)g * j->nf + c];
    int64_t n = j->row0[g + 1] - j->row0[g];
    if (p->validity)
      cy_bitmap_copy((*out)->data, j->row0[g], p->validity, 0, n);
    else
      cy_bitmap_fill((*out)->data, j->row0[g], n, true);
  }
  return CY_OK;
}

static cy_status gather_bools(job *j, int32_t c, cy_buffer **out, cy_error *err) {
  CY_RETURN_NOT_OK(cy_buffer_alloc(cy_bitmap_bytes(j->row0[j->ng]), out, err));
  for (int32_t g = 0; g < j->ng; g++)
    cy_bitmap_copy((*out)->data, j->row0[g], j->pieces[(int64_t)g * j->nf + c].bits, 0,
                   j->row0[g + 1] - j->row0[g]);
  return CY_OK;
}

/* Size field c's var-width buffers and note where each piece's data goes. */
static cy_status size_var(job *j, int32_t c, cy_error *err) {
  int64_t total = 0;
  for (int32_t g = 0; g < j->ng; g++) {
    j->base[(int64_t)g * j->nf + c] = total;
    total += j->pieces[(int64_t)g * j->nf + c].data_len;
  }
  j->large[c] = total > INT32_MAX;
  int64_t rows = j->row0[j->ng];
  CY_RETURN_NOT_OK(cy_buffer_alloc((rows + 1) * (j->large[c] ? 8 : 4), &j->offsets[c], err));
  memset(j->offsets[c]->data, 0, j->large[c] ? 8 : 4); /* for zero row groups */
  return cy_buffer_alloc(total, &j->data[c], err);
}

static cy_status make_column(job *j, int32_t c, cy_column **col, cy_error *err) {
  const pq_field *fld = field_of(j, c);
  cy_buffer *validity = NULL, *values = NULL, *data = NULL;
  int64_t nulls;
  cy_status st = gather_validity(j, c, &validity, &nulls, err);
  cy_type type = fld->type;
  if (st == CY_OK && fld->width > 0) {
    values = j->values[c];
    j->values[c] = NULL;
  } else if (st == CY_OK && type.id == CY_BOOL) {
    st = gather_bools(j, c, &values, err);
  } else if (st == CY_OK) {
    values = j->offsets[c];
    data = j->data[c];
    j->offsets[c] = j->data[c] = NULL;
    if (j->large[c]) type.id = type.id == CY_UTF8 ? CY_LARGE_UTF8 : CY_LARGE_BINARY;
  }
  if (st != CY_OK) {
    cy_buffer_release(validity);
    return st;
  }
  return cy_column_make(type, j->row0[j->ng], 0, nulls, validity, values, data, col, err);
}

static cy_status alloc_fixed(job *j, cy_error *err) {
  int64_t rows = j->row0[j->ng], bytes = 0;
  for (int32_t c = 0; c < j->nf; c++) bytes += rows * field_of(j, c)->width + rows / 4;
  if (!pq_budget_take(j->f, bytes)) {
    cy_error_set(err, "%s: %lld rows of %d columns would pass the reader's limit for a file "
                 "of %lld bytes (corrupt row counts?)", j->f->name, (long long)rows, j->nf,
                 (long long)j->f->in->size);
    return CY_EINVAL;
  }
  for (int32_t c = 0; c < j->nf; c++) {
    int w = field_of(j, c)->width;
    if (w > 0) CY_RETURN_NOT_OK(cy_buffer_alloc(rows * w, &j->values[c], err));
  }
  return CY_OK;
}

static void job_free(job *j) {
  int64_t n = (int64_t)j->ng * j->nf;
  for (int64_t i = 0; j->pieces && i < n; i++) pq_chunk_out_free(&j->pieces[i]);
  for (int32_t c = 0; c < j->nf; c++) {
    if (j->values) cy_buffer_release(j->values[c]);
    if (j->offsets) cy_buffer_release(j->offsets[c]);
    if (j->data) cy_buffer_release(j->data[c]);
  }
  free(j->pieces);
  free(j->values);
  free(j->offsets);
  free(j->data);
  free(j->large);
  free(j->base);
  free(j->row0);
}

static cy_status job_init(job *j, cy_error *err) {
  int64_t n = (int64_t)j->ng * j->nf;
  size_t nf = (size_t)(j->nf > 0 ? j->nf : 1);
  j->row0 = malloc(sizeof(int64_t) * ((size_t)j->ng + 1));
  j->pieces = calloc((size_t)(n > 0 ? n : 1), sizeof *j->pieces);
  j->base = calloc((size_t)(n > 0 ? n : 1), sizeof *j->base);
  j->values = calloc(nf, sizeof *j->values);
  j->offsets = calloc(nf, sizeof *j->offsets);
  j->data = calloc(nf, sizeof *j->data);
  j->large = calloc(nf, sizeof *j->large);
  if (!j->row0 || !j->pieces || !j->base || !j->values || !j->offsets || !j->data || !j->large) {
    cy_error_set(err, "%s: out of memory", j->f->name);
    return CY_ENOMEM;
  }
  j->row0[0] = 0;
  for (int32_t g = 0; g < j->ng; g++)
    j->row0[g + 1] = j->row0[g] + j->f->meta.row_groups[j->groups[g]].num_rows;
  return CY_OK;
}

static cy_status make_table(job *j, cy_table **out, cy_error *err) {
  cy_column **cols = calloc((size_t)(j->nf > 0 ? j->nf : 1), sizeof *cols);
  const char **names = calloc((size_t)(j->nf > 0 ? j->nf : 1), sizeof *names);
  cy_status st = cols && names ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "%s: out of memory", j->f->name);
  for (int32_t c = 0; c < j->nf && st == CY_OK; c++) {
    names[c] = field_of(j, c)->name;
    st = make_column(j, c, &cols[c], err);
  }
  if (st == CY_OK) st = cy_table_make(j->nf, names, cols, out, err);
  for (int32_t c = 0; cols && c < j->nf; c++) cy_column_release(cols[c]);
  free(cols);
  free(names);
  return st;
}

cy_status pq_read_groups(pq_file *f, const int32_t *fields, int32_t nf, const int32_t *groups,
                         int32_t ng, bool verify, int threads, cy_table **out, cy_error *err) {
  job j = {.f = f, .fields = fields, .groups = groups, .nf = nf, .ng = ng, .verify = verify};
  *out = NULL;
  cy_status st = job_init(&j, err);
  if (st == CY_OK) st = alloc_fixed(&j, err);
  int64_t tasks = (int64_t)ng * nf;
  if (st == CY_OK) st = cy_parallel_for_n(tasks, threads, chunk_task, &j, err);
  for (int32_t c = 0; c < nf && st == CY_OK; c++)
    if (cy_type_is_var_width(field_of(&j, c)->type.id)) st = size_var(&j, c, err);
  if (st == CY_OK) st = cy_parallel_for_n(tasks, threads, copy_task, &j, err);
  if (st == CY_OK) st = make_table(&j, out, err);
  job_free(&j);
  return st;
}
