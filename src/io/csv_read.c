/*
 * csv_read.c - reading CSV: options, the header, type inference, and the whole-file read.
 *
 * The input is read block by block (csv_block.c). The first block gives the header and a
 * sample of records from which column types are inferred (unless given); then every block
 * is parsed on all threads into growing columns. A value that does not fit an inferred type
 * widens that column (int64 to float64 to utf8, date to timestamp to utf8) and the input is
 * read again from the start, so inference never loses data; a value that does not fit a
 * type the caller gave is an error naming its line and column. A failed read returns no
 * table.
 */
#include <stdlib.h>
#include <string.h>

#include "io/csv_internal.h"

/* Bytes per block for a whole-file read: big enough to keep every thread busy. */
#define READ_BLOCK_PER_THREAD ((int64_t)4 << 20)

void cy_csv_read_options_init(cy_csv_read_options *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->delimiter = ',';
  opts->quote = '"';
  opts->header = true;
  opts->sample_rows = 20480;
  opts->batch_rows = 65536;
}

void csv_parser_reset(csv_parser *ps) {
  csv_outputs_reset(ps);
  csv_spares_reset(ps);
  for (int32_t c = 0; ps->columns && c < ps->num_columns; c++) free(ps->columns[c].name);
  free(ps->columns);
  ps->columns = NULL;
  ps->num_columns = 0;
}

/* ---- names ------------------------------------------------------------------------ */

static cy_status set_names(csv_parser *ps, const cy_csv_read_options *opts,
                           const csv_field *fields, int32_t nc, cy_error *err) {
  ps->columns = calloc(nc > 0 ? (size_t)nc : 1, sizeof(csv_column));
  if (ps->columns == NULL) goto oom;
  ps->num_columns = nc;
  if (opts->names && opts->num_names != nc) {
    cy_error_set(err, "%s: %d column names given but the file has %d columns", ps->text.name,
                 (int)opts->num_names, (int)nc);
    return CY_EINVAL;
  }
  for (int32_t c = 0; c < nc; c++) {
    char *name;
    if (opts->names) {
      if (opts->names[c] == NULL) {
        cy_error_set(err, "%s: column name %d of the names option is NULL", ps->text.name, (int)c);
        return CY_EINVAL;
      }
      name = strdup(opts->names[c]);
    } else if (fields && fields[c].len > 0) {
      name = malloc((size_t)fields[c].len + 1);
      if (name) name[csv_unescape(&ps->dialect, &fields[c], name)] = 0;
    } else {
      name = malloc(24);
      if (name) snprintf(name, 24, "column%d", (int)c);
    }
    if (name == NULL) goto oom;
    ps->columns[c].name = name;
  }
  /* Make names unique the way DuckDB does: a repeated "a" becomes "a_1", "a_2", ... */
  for (int32_t c = 1; c < nc; c++) {
    for (int suffix = 1;; suffix++) {
      bool clash = false;
      for (int32_t o = 0; o < c && !clash; o++)
        clash = strcmp(ps->columns[o].name, ps->columns[c].name) == 0;
      if (!clash) break;
      size_t len = strlen(ps->columns[c].name) + 16;
      char *renamed = malloc(len);
      if (renamed == NULL) goto oom;
      char *base = ps->columns[c].name;
      size_t cut = strlen(base);
      if (suffix > 1) cut = (size_t)(strrchr(base, '_') - base); /* drop our last suffix */
      snprintf(renamed, len, "%.*s_%d", (int)cut, base, suffix);
      free(base);
      ps->columns[c].name = renamed;
    }
  }
  return CY_OK;
oom:
  cy_error_set(err, "out of memory reading a CSV header");
  return CY_ENOMEM;
}

/* ---- types ------------------------------------------------------------------------ */

/* Classify the sample records at p and set the average record length. *complete tells
 * whether the sample is whole: sample_rows records, or a malformed record (the parse will
 * report it). A record cut by the buffer's end is left out. src_size (the input's size, or
 * -1) gives the expected row count. */
static cy_status infer_kinds(csv_parser *ps, const cy_csv_read_options *opts, const char *p,
                             bool at_eof, int64_t src_size, cy_text_kind *kinds,
                             bool *complete, cy_error *err) {
  const csv_text *t = &ps->text;
  int32_t nc = ps->num_columns;
  csv_field *fields = malloc((size_t)nc * sizeof(csv_field));
  char *buf = NULL;
  int64_t buf_cap = 0;
  if (fields == NULL) {
    cy_error_set(err, "out of memory inferring CSV types");
    return CY_ENOMEM;
  }
  const char *start = p;
  int64_t rows = 0;
  cy_status st = CY_OK;
  *complete = false;
  while (p < t->end && (opts->sample_rows < 0 || rows < opts->sample_rows)) {
    if (nc != 1 && csv_blank_line(p)) {
      p += (*p == '\r' && p[1] == '\n') ? 2 : 1;
      continue;
    }
    int32_t count;
    const char *rec = p;
    bool cut = false;
    if (csv_read_record(t, &ps->dialect, &p, fields, nc, &count, &cut, NULL) != CY_OK) {
      /* A quote still open at the buffer's end may close in the next read; any other
       * malformed record ends the sample (the parse will report it). */
      if (at_eof || !cut) *complete = true;
      p = rec;
      break;
    }
    if (!at_eof && p >= t->end && p[-1] != '\n') {
      p = rec; /* cut by the buffer's end: read more and sample again */
      break;
    }
    for (int32_t c = 0; c < nc && c < count; c++) {
      const csv_field *f = &fields[c];
      if (csv_is_null(&ps->dialect, f)) continue;
      const char *s = f->ptr;
      int64_t n = f->len;
      if (f->escaped) {
        if (n > buf_cap) {
          char *grown = realloc(buf, (size_t)n);
          if (grown == NULL) {
            st = CY_ENOMEM;
            cy_error_set(err, "out of memory inferring CSV types");
            break;
          }
          buf = grown;
          buf_cap = n;
        }
        n = csv_unescape(&ps->dialect, f, buf);
        s = buf;
      }
      if (kinds[c] != CY_TEXT_STRING)
        kinds[c] = cy_text_kind_join(kinds[c], cy_text_classify(s, (size_t)n));
    }
    rows++;
  }
  if (opts->sample_rows >= 0 && rows >= opts->sample_rows) *complete = true;
  ps->avg_record_bytes = rows > 0 ? (p - start) / rows : 16;
  /* Size the outputs for the whole input at once (2% spare): no regrowth, no copies. */
  int64_t remaining = src_size < 0 ? 0 : src_size - (start - t->data);
  if (rows > 0 && p > start && remaining > 0)
    ps->expected_rows = (int64_t)((double)remaining * (double)rows / (double)(p - start) * 1.02);
  /* A sample of short rows would promise too many; rows have 4 bytes or more in practice,
   * and an underestimate only costs growing later. */
  if (ps->expected_rows > remaining / 4) ps->expected_rows = remaining / 4;
  if (ps->avg_record_bytes < 1) ps->avg_record_bytes = 1;
  free(fields);
  free(buf);
  return st;
}

static cy_status set_types(csv_parser *ps, const cy_csv_read_options *opts,
                           const cy_text_kind *kinds, cy_error *err) {
  for (int32_t i = 0; i < opts->num_column_types; i++) {
    bool found = false;
    for (int32_t c = 0; c < ps->num_columns && !found; c++)
      found = strcmp(ps->columns[c].name, opts->column_names[i]) == 0;
    if (!found) {
      cy_error_set(err, "%s: a type is given for column '%s' but the file has no such column",
                   ps->text.name, opts->column_names[i]);
      return CY_ENOENT;
    }
  }
  for (int32_t c = 0; c < ps->num_columns; c++) {
    csv_column *col = &ps->columns[c];
    const cy_type *given = NULL;
    for (int32_t i = 0; i < opts->num_column_types; i++)
      if (strcmp(col->name, opts->column_names[i]) == 0) given = &opts->column_types[i];
    col->inferred = given == NULL;
    col->text = kinds[c] == CY_TEXT_NULL ? CY_TEXT_STRING : kinds[c];
    cy_type type = given ? *given : cy_text_kind_type(col->text);
    CY_RETURN_NOT_OK(csv_column_set_type(col, type, &ps->dialect, err));
  }
  return CY_OK;
}

/* The text of the buffer, for the tokenizer. */
static csv_text buffer_text(const csv_source *src, int64_t line_base) {
  csv_text t = {src->buf, src->buf + src->len, src->name, line_base};
  return t;
}

/* Read one record at *off, reading more input while the buffer ends inside it. */
static cy_status read_whole_record(csv_parser *ps, csv_source *src, int64_t *off,
                                   csv_field *fields, int32_t max, int32_t *count,
                                   cy_error *err) {
  for (;;) {
    csv_text t = buffer_text(src, 0);
    const char *p = src->buf + *off;
    const char *end = csv_last_record_end(&t, &ps->dialect, p, src->eof);
    if (end > p || src->eof) {
      CY_RETURN_NOT_OK(csv_read_record(&t, &ps->dialect, &p, fields, max, count, NULL, err));
      *off = p - src->buf;
      return CY_OK;
    }
    CY_RETURN_NOT_OK(csv_source_refill(src, 0, src->len * 2 + 1, err));
  }
}

/* Skip the records before the header, and return the header's offset. */
static cy_status skip_leading(csv_parser *ps, csv_source *src, const cy_csv_read_options *opts,
                              int64_t *off, cy_error *err) {
  *off = 0;
  if (src->len >= 3 && memcmp(src->buf, "\xEF\xBB\xBF", 3) == 0) *off = 3; /* UTF-8 BOM */
  for (int64_t i = 0; i < opts->skip_rows && *off < src->len; i++) {
    int32_t count;
    CY_RETURN_NOT_OK(read_whole_record(ps, src, off, NULL, 0, &count, err));
  }
  return CY_OK;
}

cy_status csv_prepare(csv_parser *ps, csv_source *src, const cy_csv_read_options *opts,
                      int64_t *body, cy_error *err) {
  ps->text = buffer_text(src, 0);
  CY_RETURN_NOT_OK(csv_dialect_init(&ps->dialect, opts, err));
  int64_t off;
  CY_RETURN_NOT_OK(skip_leading(ps, src, opts, &off, err));
  /* The first record gives the column count (and the names, with a header). */
  int32_t nc = 0;
  int64_t after = off;
  if (off < src->len) CY_RETURN_NOT_OK(read_whole_record(ps, src, &after, NULL, 0, &nc, err));
  csv_field *fields = NULL;
  if (opts->header && nc > 0) {
    fields = malloc((size_t)nc * sizeof(csv_field));
    if (fields == NULL) {
      cy_error_set(err, "out of memory reading a CSV header");
      return CY_ENOMEM;
    }
    csv_text t = buffer_text(src, 0);
    const char *p = src->buf + off;
    csv_read_record(&t, &ps->dialect, &p, fields, nc, &nc, NULL, err); /* read once above */
    off = after;
  }
  ps->text = buffer_text(src, 0);
  cy_status st = set_names(ps, opts, fields, nc, err);
  free(fields);
  /* Sample sample_rows records, reading more while the buffer ends first, so that the
   * types never depend on how the input happens to be cut into blocks. */
  cy_text_kind *kinds = calloc(nc > 0 ? (size_t)nc : 1, sizeof(cy_text_kind));
  if (st == CY_OK && kinds == NULL) {
    cy_error_set(err, "out of memory inferring CSV types");
    st = CY_ENOMEM;
  }
  while (st == CY_OK && nc > 0) {
    ps->text = buffer_text(src, 0);
    memset(kinds, 0, (size_t)nc * sizeof(cy_text_kind));
    bool complete;
    st = infer_kinds(ps, opts, src->buf + off, src->eof, src->size, kinds, &complete, err);
    if (st != CY_OK || complete || src->eof) break;
    st = csv_source_refill(src, 0, src->len * 2 + 1, err);
  }
  ps->text = buffer_text(src, 0);
  if (st == CY_OK) st = set_types(ps, opts, kinds, err);
  free(kinds);
  *body = off;
  return st;
}

/* ---- the whole-file read ----------------------------------------------------------- */

/* Parse every block from the body to the end. *widen: a column was widened, start over. */
static cy_status read_body(csv_parser *ps, csv_source *src, int64_t body, bool *widen,
                           cy_error *err) {
  int64_t from = body;
  for (;;) {
    int64_t used;
    CY_RETURN_NOT_OK(csv_parse_block(ps, src, src->buf + from, &used, widen, err));
    if (*widen) return CY_OK;
    if (src->eof && used >= src->len) return CY_OK;
    /* No complete record in the buffer: a record longer than it; read more. */
    int64_t want = used == from ? src->len * 2 + 1 : src->block;
    CY_RETURN_NOT_OK(csv_source_refill(src, used, want, err));
    from = 0;
  }
}

static cy_status read_source(csv_source *src, const cy_csv_read_options *opts, cy_table **out,
                             cy_error *err) {
  csv_parser ps;
  memset(&ps, 0, sizeof(ps));
  ps.threads = opts->num_threads > 0 ? opts->num_threads : cy_num_threads();
  int64_t body;
  cy_status st = csv_source_refill(src, 0, src->block, err);
  if (st == CY_OK) st = csv_prepare(&ps, src, opts, &body, err);
  for (int pass = 0; st == CY_OK && ps.num_columns > 0; pass++) {
    bool widen = false;
    st = read_body(&ps, src, body, &widen, err);
    if (st != CY_OK || !widen) break;
    /* Types changed: start over from the first record with the wider types. */
    csv_outputs_reset(&ps);
    ps.text.line_base = 0;
    st = csv_source_rewind(src, err);
    int64_t off = 0;
    if (st == CY_OK) st = skip_leading(&ps, src, opts, &off, err);
    int32_t count;
    if (st == CY_OK && opts->header && off < src->len)
      st = read_whole_record(&ps, src, &off, NULL, 0, &count, err);
    body = off;
  }
  if (st == CY_OK) st = csv_outputs_finish(&ps, out, err);
  csv_parser_reset(&ps);
  return st;
}

static int64_t read_block(const cy_csv_read_options *opts) {
  if (opts->block_bytes > 0) return opts->block_bytes;
  int threads = opts->num_threads > 0 ? opts->num_threads : cy_num_threads();
  return READ_BLOCK_PER_THREAD * threads;
}

cy_status cy_csv_read(const char *path, const cy_csv_read_options *opts, cy_table **out,
                      cy_error *err) {
  cy_csv_read_options defaults;
  if (opts == NULL) {
    cy_csv_read_options_init(&defaults);
    opts = &defaults;
  }
  csv_source src;
  CY_RETURN_NOT_OK(csv_source_open_file(&src, path, read_block(opts), err));
  cy_status st = read_source(&src, opts, out, err);
  csv_source_close(&src);
  return st;
}

cy_status cy_csv_read_buffer(const char *data, int64_t size, const char *name,
                             const cy_csv_read_options *opts, cy_table **out, cy_error *err) {
  cy_csv_read_options defaults;
  if (opts == NULL) {
    cy_csv_read_options_init(&defaults);
    opts = &defaults;
  }
  csv_source src;
  csv_source_open_memory(&src, data, size, name ? name : "<buffer>", read_block(opts));
  cy_status st = read_source(&src, opts, out, err);
  csv_source_close(&src);
  return st;
}
