/*
 * csv_write.c - tables as CSV text (RFC 4180), fast and all-or-nothing.
 *
 * What is written: one record per row, fields separated by the delimiter, "\n" after each
 * record, a header of column names first (by default). Values are written as
 * core/text_format.h describes, which is what DuckDB writes: shortest round-trip floats,
 * ISO dates and timestamps, exact decimals, true/false, blobs with \xHH escapes.
 *
 * Quoting follows DuckDB's writer: a field is quoted only when it has to be, that is when it
 * contains the delimiter, the quote character, CR or LF, or when its text equals the null
 * marker (so the empty string is written "" while a null is written as nothing, with the
 * default null marker ""). Quotes inside are doubled. Leading and trailing spaces do not
 * cause quoting (DuckDB does not quote them either; readers keep them). DuckDB also quotes
 * fields containing '#'; we do not, since '#' means nothing to RFC 4180 or to our reader.
 * A null is written as the null marker, unquoted, as given. The header names follow the
 * same rule.
 *
 * How it is fast: rows are cut into chunks of about a megabyte of output; the chunks of a
 * wave (a few per thread) are formatted in parallel with cy_parallel_for, each into its own
 * buffer sized in advance from an upper bound of its text (so the inner loop never checks
 * for room), and then written in order with one fwrite each. The output is the same
 * whatever the number of threads, since chunking never changes the text.
 *
 * cy_csv_write writes to ".NAME.tmp.PID.N" in the target's directory and renames it over
 * the target only when everything was written and the file closed cleanly; on any failure
 * the temporary file is removed and the target is left as it was. Object store URLs
 * (s3://) go through cy_output instead, whose commit publishes the object whole. There is no fsync: the
 * promise is about failures of this process (a full disk, a bad path, an error midway),
 * not about power loss, and syncing would cost more than the writing.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/text_format.h"
#include "cylon/io.h"

/* Output bytes a chunk of rows aims for (its bound, not its actual size). */
#define CHUNK_TARGET_BYTES (1 << 20)
/* Chunks formatted per thread before a wave is written. */
#define CHUNKS_PER_THREAD 4

/* How one column's values are written. */
typedef enum wkind {
  W_INT64,   /* int64, the commonest case, formatted inline */
  W_FLOAT64, /* float64, likewise */
  W_FIXED,   /* other fixed-width types whose text never needs quoting */
  W_CAREFUL, /* fixed-width text that may contain the delimiter, quote or null marker */
  W_STRING,  /* utf8: raw bytes, quoted when needed */
  W_BINARY   /* binary: \xHH escapes, quoted when needed */
} wkind;

typedef struct wcolumn {
  const cy_column *col;
  wkind kind;
  const void *values; /* fixed-width values with the slice offset applied */
  int64_t max_len;    /* bound of one value's text, quoting included */
} wcolumn;

typedef struct chunk_buffer {
  char *data;
  size_t cap, len;
} chunk_buffer;

typedef struct writer {
  const cy_table *table;
  char delim, quote;
  const char *null_value;
  size_t null_len;
  bool special[256]; /* bytes that force quoting: delimiter, quote, CR, LF */
  wcolumn *cols;
  int32_t ncols;
  int64_t rows_per_chunk, num_chunks;
  chunk_buffer *slots; /* one per chunk of the current wave */
  int64_t wave_first;  /* chunk index of slots[0] */
} writer;

void cy_csv_write_options_init(cy_csv_write_options *opts) {
  opts->delimiter = ',';
  opts->quote = '"';
  opts->header = true;
  opts->null_value = "";
}

/* ---- fields ------------------------------------------------------------------------ */

static bool is_null_text(const writer *w, const char *s, size_t n) {
  return n == w->null_len && memcmp(s, w->null_value, n) == 0;
}

/* Write s[0, n) at p as one field, quoted when needed; returns the new end. */
static char *put_field(const writer *w, char *p, const char *s, size_t n) {
  bool quote = is_null_text(w, s, n);
  for (size_t i = 0; !quote && i < n; i++) quote = w->special[(uint8_t)s[i]];
  if (!quote) {
    memcpy(p, s, n);
    return p + n;
  }
  *p++ = w->quote;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == w->quote) *p++ = w->quote;
    *p++ = s[i];
  }
  *p++ = w->quote;
  return p;
}

/* A blob: escape it at p + 1, then either slide it back or quote it in place. */
static char *put_binary(const writer *w, char *p, const uint8_t *bytes, int64_t n) {
  char *text = p + 1;
  size_t len = (size_t)cy_format_binary(bytes, n, text);
  bool quote = is_null_text(w, text, len);
  size_t quotes = 0;
  for (size_t i = 0; i < len; i++) {
    quote |= w->special[(uint8_t)text[i]];
    quotes += text[i] == w->quote;
  }
  if (!quote) {
    memmove(p, text, len);
    return p + len;
  }
  /* Copy backwards doubling quotes; the write position never overtakes the read one. */
  size_t total = len + quotes + 2;
  char *dst = p + total - 1;
  *dst-- = w->quote;
  for (size_t i = len; i-- > 0;) {
    *dst-- = text[i];
    if (text[i] == w->quote) *dst-- = w->quote;
  }
  *p = w->quote;
  return p + total;
}

static char *put_value(const writer *w, const wcolumn *wc, int64_t row, char *p) {
  const cy_column *col = wc->col;
  if (col->validity && !cy_bit_get(col->validity->data, col->offset + row)) {
    memcpy(p, w->null_value, w->null_len);
    return p + w->null_len;
  }
  switch (wc->kind) {
    case W_INT64: return p + cy_format_int64(((const int64_t *)wc->values)[row], p);
    case W_FLOAT64: return p + cy_format_double(((const double *)wc->values)[row], p);
    case W_FIXED: return p + cy_format_fixed(col, row, p);
    case W_CAREFUL: {
      char tmp[CY_FORMAT_FIXED_MAX];
      return put_field(w, p, tmp, (size_t)cy_format_fixed(col, row, tmp));
    }
    case W_STRING: {
      int64_t len;
      const uint8_t *bytes = cy_column_bytes(col, row, &len);
      return put_field(w, p, (const char *)bytes, (size_t)len);
    }
    case W_BINARY: {
      int64_t len;
      const uint8_t *bytes = cy_column_bytes(col, row, &len);
      return put_binary(w, p, bytes, len);
    }
  }
  return p;
}

/* ---- planning ---------------------------------------------------------------------- */

/* Characters the text of a fixed-width type can contain, and the bound of its length. */
static const char *fixed_charset(cy_type_id id, int64_t *max_len) {
  switch (id) {
    case CY_BOOL: *max_len = 5; return "truefals";
    case CY_FLOAT32: *max_len = CY_FORMAT_FLOAT_MAX; return "0123456789-+.einaf";
    case CY_FLOAT64: *max_len = CY_FORMAT_DOUBLE_MAX; return "0123456789-+.einaf";
    case CY_DATE32: *max_len = CY_FORMAT_DATE_MAX; return "0123456789-";
    case CY_TIMESTAMP: *max_len = CY_FORMAT_TIMESTAMP_MAX + 3; return "0123456789-: .+";
    case CY_DECIMAL128: *max_len = CY_FORMAT_DECIMAL_MAX; return "0123456789-.e";
    default: *max_len = CY_FORMAT_INT_MAX; return "0123456789-";
  }
}

static bool all_in(const char *s, size_t n, const char *set) {
  for (size_t i = 0; i < n; i++)
    if (s[i] == 0 || strchr(set, s[i]) == NULL) return false;
  return true;
}

/* Decide how each column is written. */
static cy_status plan_columns(writer *w, cy_error *err) {
  for (int32_t c = 0; c < w->ncols; c++) {
    wcolumn *wc = &w->cols[c];
    const cy_column *col = w->table->columns[c];
    cy_type_id id = col->type.id;
    wc->col = col;
    if (id == CY_UTF8 || id == CY_LARGE_UTF8) {
      wc->kind = W_STRING;
      continue;
    }
    if (id == CY_BINARY || id == CY_LARGE_BINARY) {
      wc->kind = W_BINARY;
      continue;
    }
    if (cy_type_bit_width(id) == 0) {
      cy_error_set(err, "column '%s' has a type CSV cannot hold (id %d)",
                   w->table->schema.fields[c].name, (int)id);
      return CY_ENOTSUP;
    }
    const char *set = fixed_charset(id, &wc->max_len);
    wc->values = id == CY_BOOL ? NULL : cy_column_data(col);
    /* Quoting can only be needed when the text could hold a special byte or spell the
     * null marker; otherwise the value goes straight to the output. */
    bool careful = strchr(set, w->delim) != NULL || strchr(set, w->quote) != NULL ||
                   (w->null_len > 0 && all_in(w->null_value, w->null_len, set));
    if (careful) {
      wc->kind = W_CAREFUL;
      wc->max_len = 2 * wc->max_len + 2;
    } else {
      wc->kind = id == CY_INT64 ? W_INT64 : id == CY_FLOAT64 ? W_FLOAT64 : W_FIXED;
    }
  }
  return CY_OK;
}

/* Bytes of var-width data in rows [start, end) of a column. */
static int64_t data_bytes(const cy_column *col, int64_t start, int64_t end) {
  if (start >= end) return 0;
  int64_t a, b;
  int64_t first = col->offset + start, last = col->offset + end;
  if (cy_type_is_large(col->type.id)) {
    a = ((const int64_t *)col->values->data)[first];
    b = ((const int64_t *)col->values->data)[last];
  } else {
    a = ((const int32_t *)col->values->data)[first];
    b = ((const int32_t *)col->values->data)[last];
  }
  return b - a;
}

/* An upper bound of the text of rows [start, end). */
static int64_t text_bound(const writer *w, int64_t start, int64_t end) {
  int64_t rows = end - start;
  int64_t bound = rows * (w->ncols > 0 ? w->ncols : 1); /* delimiters and newlines */
  for (int32_t c = 0; c < w->ncols; c++) {
    const wcolumn *wc = &w->cols[c];
    int64_t per_row = (int64_t)w->null_len + 2; /* null marker, or quotes of a string */
    if (wc->kind == W_STRING)
      bound += rows * per_row + 2 * data_bytes(wc->col, start, end);
    else if (wc->kind == W_BINARY)
      bound += rows * per_row + 8 * data_bytes(wc->col, start, end);
    else
      bound += rows * (wc->max_len > per_row ? wc->max_len : per_row);
  }
  return bound;
}

/* ---- chunks ------------------------------------------------------------------------ */

static cy_status format_chunk(void *ctx, int64_t i, cy_error *err) {
  writer *w = ctx;
  chunk_buffer *slot = &w->slots[i];
  int64_t start = (w->wave_first + i) * w->rows_per_chunk;
  int64_t end = start + w->rows_per_chunk;
  if (end > w->table->num_rows) end = w->table->num_rows;
  size_t need = (size_t)text_bound(w, start, end);
  if (need > slot->cap) {
    char *d = realloc(slot->data, need);
    if (d == NULL) {
      cy_error_set(err, "out of memory formatting CSV rows %lld..%lld (%zu bytes)",
                   (long long)start, (long long)end, need);
      return CY_ENOMEM;
    }
    slot->data = d;
    slot->cap = need;
  }
  char *p = slot->data;
  for (int64_t r = start; r < end; r++) {
    for (int32_t c = 0; c < w->ncols; c++) {
      if (c) *p++ = w->delim;
      p = put_value(w, &w->cols[c], r, p);
    }
    *p++ = '\n';
  }
  slot->len = (size_t)(p - slot->data);
  return CY_OK;
}

static cy_status put_bytes(FILE *out, const char *data, size_t len, cy_error *err) {
  errno = 0;
  if (len > 0 && fwrite(data, 1, len, out) != len) {
    cy_error_set(err, "write failed: %s", strerror(errno ? errno : EIO));
    return CY_EIO;
  }
  return CY_OK;
}

static cy_status write_header(writer *w, FILE *out, cy_error *err) {
  size_t bound = 1;
  for (int32_t c = 0; c < w->ncols; c++)
    bound += 2 * strlen(w->table->schema.fields[c].name) + 3;
  char *line = malloc(bound);
  if (line == NULL) {
    cy_error_set(err, "out of memory writing the CSV header");
    return CY_ENOMEM;
  }
  char *p = line;
  for (int32_t c = 0; c < w->ncols; c++) {
    const char *name = w->table->schema.fields[c].name;
    if (c) *p++ = w->delim;
    p = put_field(w, p, name, strlen(name));
  }
  *p++ = '\n';
  cy_status st = put_bytes(out, line, (size_t)(p - line), err);
  free(line);
  return st;
}

/* Format and write every row, a wave of chunks at a time. */
static cy_status write_rows(writer *w, FILE *out, cy_error *err) {
  int64_t wave = (int64_t)cy_num_threads() * CHUNKS_PER_THREAD;
  if (wave > w->num_chunks) wave = w->num_chunks;
  if (wave <= 0) return CY_OK;
  w->slots = calloc((size_t)wave, sizeof(chunk_buffer));
  if (w->slots == NULL) {
    cy_error_set(err, "out of memory writing CSV");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  for (w->wave_first = 0; st == CY_OK && w->wave_first < w->num_chunks;
       w->wave_first += wave) {
    int64_t n = w->num_chunks - w->wave_first < wave ? w->num_chunks - w->wave_first : wave;
    st = cy_parallel_for(n, format_chunk, w, err);
    for (int64_t i = 0; st == CY_OK && i < n; i++)
      st = put_bytes(out, w->slots[i].data, w->slots[i].len, err);
  }
  for (int64_t i = 0; i < wave; i++) free(w->slots[i].data);
  free(w->slots);
  return st;
}

static cy_status check_options(const cy_csv_write_options *o, cy_error *err) {
  if (o->delimiter == o->quote || o->delimiter == '\n' || o->delimiter == '\r' ||
      o->quote == '\n' || o->quote == '\r' || o->delimiter == 0 || o->quote == 0) {
    cy_error_set(err,
                 "CSV delimiter (0x%02x) and quote (0x%02x) must be two different bytes, "
                 "neither NUL, CR nor LF",
                 (unsigned)(uint8_t)o->delimiter, (unsigned)(uint8_t)o->quote);
    return CY_EINVAL;
  }
  return CY_OK;
}

cy_status cy_csv_write_stream(const cy_table *table, FILE *out, const cy_csv_write_options *opts,
                              cy_error *err) {
  cy_csv_write_options o;
  cy_csv_write_options_init(&o);
  if (opts) o = *opts;
  if (o.null_value == NULL) o.null_value = "";
  CY_RETURN_NOT_OK(check_options(&o, err));

  writer w;
  memset(&w, 0, sizeof w);
  w.table = table;
  w.delim = o.delimiter;
  w.quote = o.quote;
  w.null_value = o.null_value;
  w.null_len = strlen(o.null_value);
  w.special[(uint8_t)w.delim] = w.special[(uint8_t)w.quote] = true;
  w.special['\n'] = w.special['\r'] = true;
  w.ncols = table->schema.num_fields;
  if (w.ncols == 0) return CY_OK; /* no columns: nothing to write, not even a header */
  w.cols = calloc((size_t)w.ncols, sizeof(wcolumn));
  if (w.cols == NULL) {
    cy_error_set(err, "out of memory writing CSV");
    return CY_ENOMEM;
  }
  cy_status st = plan_columns(&w, err);
  if (st == CY_OK && o.header) st = write_header(&w, out, err);
  if (st == CY_OK && table->num_rows > 0) {
    /* Size chunks from the average row's bound so that each is about CHUNK_TARGET_BYTES. */
    int64_t row_bound = text_bound(&w, 0, table->num_rows) / table->num_rows + 1;
    w.rows_per_chunk = CHUNK_TARGET_BYTES / row_bound;
    if (w.rows_per_chunk < 1) w.rows_per_chunk = 1;
    w.num_chunks = (table->num_rows + w.rows_per_chunk - 1) / w.rows_per_chunk;
    st = write_rows(&w, out, err);
  }
  if (st == CY_OK && fflush(out) != 0) {
    cy_error_set(err, "write failed: %s", strerror(errno));
    st = CY_EIO;
  }
  free(w.cols);
  return st;
}

/* ---- files ------------------------------------------------------------------------- */

static cy_status io_status(int e) { return e == ENOENT ? CY_ENOENT : CY_EIO; }

/* ".NAME.tmp.PID.N" beside path; N tells apart threads of one process writing the same
 * name. Returns NULL when out of memory. */
static char *temp_name(const char *path) {
  static unsigned counter;
  unsigned n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
  const char *slash = strrchr(path, '/');
  int dir_len = slash ? (int)(slash - path + 1) : 0;
  const char *base = path + dir_len;
  size_t size = strlen(path) + 64;
  char *tmp = malloc(size);
  if (tmp) snprintf(tmp, size, "%.*s.%s.tmp.%ld.%u", dir_len, path, base, (long)getpid(), n);
  return tmp;
}

/* ---- object stores (s3://): the same text through a cy_output ------------------------ */

typedef struct output_cookie {
  cy_output out;
  cy_status st;
  cy_error err; /* the output's own message, clearer than fwrite's */
} output_cookie;

static ssize_t cookie_write(void *ctx, const char *data, size_t n) {
  output_cookie *c = ctx;
  if (c->st == CY_OK) c->st = c->out.write(&c->out, data, (int64_t)n, &c->err);
  return c->st == CY_OK ? (ssize_t)n : -1;
}

/* Write through cy_output_open's output: a FILE over it (fopencookie) lets the stream
 * writer run unchanged; the object is published by commit only when all went well. */
static cy_status write_output(const cy_table *table, const char *url,
                              const cy_csv_write_options *opts, cy_error *err) {
  output_cookie c;
  memset(&c, 0, sizeof c);
  CY_RETURN_NOT_OK(cy_output_open(url, &c.out, err));
  cookie_io_functions_t io = {NULL, cookie_write, NULL, NULL};
  FILE *f = fopencookie(&c, "w", io);
  if (f == NULL) {
    c.out.abort(&c.out);
    cy_error_set(err, "writing '%s': out of memory", url);
    return CY_ENOMEM;
  }
  setvbuf(f, NULL, _IOFBF, 1 << 20);
  cy_status st = cy_csv_write_stream(table, f, opts, err);
  if (fclose(f) != 0 && st == CY_OK) {
    cy_error_set(err, "writing '%s': write failed", url);
    st = CY_EIO;
  }
  if (c.st != CY_OK) { /* the output failed: its message says why */
    st = c.st;
    if (err) *err = c.err;
  }
  if (st == CY_OK) return c.out.commit(&c.out, err);
  c.out.abort(&c.out);
  return st;
}

cy_status cy_csv_write(const cy_table *table, const char *path, const cy_csv_write_options *opts,
                       cy_error *err) {
  if (strstr(path, "://") != NULL && strncmp(path, "file://", 7) != 0)
    return write_output(table, path, opts, err);
  char *tmp = temp_name(path);
  if (tmp == NULL) {
    cy_error_set(err, "writing '%s': out of memory", path);
    return CY_ENOMEM;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (f == NULL) {
    int e = errno;
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    cy_error_set(err, "writing '%s': cannot create temporary file '%s': %s", path, tmp,
                 strerror(e));
    free(tmp);
    return io_status(e);
  }
  cy_status st = cy_csv_write_stream(table, f, opts, err);
  if (fclose(f) != 0 && st == CY_OK) {
    cy_error_set(err, "closing failed: %s", strerror(errno));
    st = CY_EIO;
  }
  if (st == CY_OK && rename(tmp, path) != 0) {
    int e = errno;
    cy_error_set(err, "cannot rename '%s' to it: %s", tmp, strerror(e));
    st = io_status(e);
  }
  if (st != CY_OK) {
    unlink(tmp);
    cy_error_prefix(err, "writing '%s': ", path);
  }
  free(tmp);
  return st;
}
