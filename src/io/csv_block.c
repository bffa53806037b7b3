/*
 * csv_block.c - the CSV input read block by block, and the parse of one block on all
 * threads.
 *
 * The source keeps one buffer: the unparsed tail of the previous block is moved to its
 * front and more input is read after it. The buffer only grows when a single record does
 * not fit. A block is cut into record-aligned chunks by quote parity (csv_split), the chunks
 * are parsed in parallel straight into the column outputs, and the block is appended.
 *
 * Quote parity can be fooled by a quote inside an unquoted field (taken literally, as
 * DuckDB does): then a chunk does not end where the next begins, and the block is parsed
 * again in one piece, up to a record end found by the tokenizer itself.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/csv_internal.h"
#include "io/object_store.h"

/* Chunks per thread, so that one slow chunk does not leave a core idle. */
#define CHUNKS_PER_THREAD 4
#define MIN_CHUNK_BYTES (256 << 10)

static cy_status source_grow(csv_source *src, int64_t cap, cy_error *err) {
  if (cap <= src->cap) return CY_OK;
  char *grown = realloc(src->buf, (size_t)(cap + CSV_PADDING));
  if (grown == NULL) {
    cy_error_set(err, "%s: out of memory for a %lld-byte read buffer", src->name,
                 (long long)cap);
    return CY_ENOMEM;
  }
  src->buf = grown;
  src->cap = cap;
  return CY_OK;
}

/* An s3:// object: blocks are ranged reads through its cy_input. */
static cy_status source_open_input(csv_source *src, const char *url, cy_error *err) {
  src->input = malloc(sizeof(cy_input));
  if (src->input == NULL) {
    cy_error_set(err, "%s: out of memory", url);
    return CY_ENOMEM;
  }
  cy_status st = cy_input_open(url, src->input, err);
  if (st != CY_OK) {
    free(src->input);
    src->input = NULL;
    return st;
  }
  src->size = src->input->size;
  if (src->size < src->block) src->block = src->size > 0 ? src->size : 1;
  st = source_grow(src, src->block, err);
  if (st != CY_OK) {
    src->input->close(src->input);
    free(src->input);
    src->input = NULL;
  }
  return st;
}

cy_status csv_source_open_file(csv_source *src, const char *path, int64_t block,
                               cy_error *err) {
  memset(src, 0, sizeof(*src));
  src->name = path;
  src->block = block;
  src->fd = -1;
  if (cy_url_is_s3(path)) return source_open_input(src, path, err);
  src->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (src->fd < 0) {
    int e = errno;
    cy_error_set(err, "%s: cannot open: %s", path, strerror(e));
    return e == ENOENT ? CY_ENOENT : CY_EIO;
  }
  struct stat sb;
  bool stat_ok = fstat(src->fd, &sb) == 0;
  if (!stat_ok || S_ISDIR(sb.st_mode)) {
    cy_error_set(err, "%s: %s", path, stat_ok ? "is a directory" : strerror(errno));
    close(src->fd);
    src->fd = -1;
    return CY_EIO;
  }
  src->size = S_ISREG(sb.st_mode) ? sb.st_size : -1;
  /* Small files are read whole: no point in a buffer bigger than the file. */
  if (S_ISREG(sb.st_mode) && sb.st_size < block) src->block = sb.st_size > 0 ? sb.st_size : 1;
  posix_fadvise(src->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return source_grow(src, src->block, err);
}

void csv_source_open_memory(csv_source *src, const char *data, int64_t size, const char *name,
                            int64_t block) {
  memset(src, 0, sizeof(*src));
  src->fd = -1;
  src->mem = data;
  src->mem_size = size;
  src->size = size;
  src->name = name;
  src->block = size < block ? (size > 0 ? size : 1) : block;
}

cy_status csv_source_refill(csv_source *src, int64_t used, int64_t want, cy_error *err) {
  if (used > 0) {
    memmove(src->buf, src->buf + used, (size_t)(src->len - used));
    src->len -= used;
  }
  if (want < src->block) want = src->block;
  CY_RETURN_NOT_OK(source_grow(src, want, err));
  while (!src->eof && src->len < want) {
    int64_t room = want - src->len; /* no more than asked: a stream's batches stay small */
    if (src->input) {
      int64_t n = src->size - src->pos < room ? src->size - src->pos : room;
      CY_RETURN_NOT_OK(src->input->read_at(src->input, src->pos, n, src->buf + src->len, err));
      src->len += n;
      src->pos += n;
      if (src->pos == src->size) src->eof = true;
      continue;
    }
    if (src->fd < 0) {
      int64_t n = src->mem_size - src->pos;
      if (n > room) n = room;
      memcpy(src->buf + src->len, src->mem + src->pos, (size_t)n);
      src->len += n;
      src->pos += n;
      if (src->pos == src->mem_size) src->eof = true;
      continue;
    }
    ssize_t got = read(src->fd, src->buf + src->len, (size_t)room);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      cy_error_set(err, "%s: read failed: %s", src->name, strerror(errno));
      return CY_EIO;
    }
    if (got == 0) src->eof = true;
    src->len += got;
    src->pos += got;
  }
  memset(src->buf + src->len, 0, CSV_PADDING); /* the sentinel, and room for word reads */
  return CY_OK;
}

cy_status csv_source_rewind(csv_source *src, cy_error *err) {
  src->len = 0;
  src->pos = 0;
  src->eof = false;
  if (src->fd >= 0 && lseek(src->fd, 0, SEEK_SET) != 0) {
    cy_error_set(err,
                 "%s: a value late in the input needs a wider column type than the sample "
                 "showed, and this input cannot be read again (%s): give the column types, "
                 "or sample every row",
                 src->name, strerror(errno));
    return CY_EIO;
  }
  return csv_source_refill(src, 0, src->block, err);
}

void csv_source_close(csv_source *src) {
  if (src->fd >= 0) close(src->fd);
  if (src->input) {
    src->input->close(src->input);
    free(src->input);
  }
  free(src->buf);
  memset(src, 0, sizeof(*src));
  src->fd = -1;
}

/* ---- one block -------------------------------------------------------------------- */

typedef struct parse_job {
  const csv_parser *ps;
  csv_chunk *chunks;
} parse_job;

static cy_status parse_task(void *ctx, int64_t k, cy_error *err) {
  parse_job *j = ctx;
  return csv_parse_chunk(j->ps, &j->chunks[k], err);
}

static void free_chunks(csv_parser *ps, csv_chunk *chunks, int32_t n) {
  for (int32_t k = 0; chunks && k < n; k++) csv_chunk_recycle(ps, &chunks[k]);
  free(chunks);
}

/* Parse n chunks in parallel. *aligned tells whether each ended where the next (or the
 * block) ends; a failure is only trusted when every chunk before it was aligned. */
static cy_status parse_chunks(csv_parser *ps, csv_chunk *chunks, int32_t n, const char *end,
                              bool *aligned, cy_error *err) {
  *aligned = true;
  CY_RETURN_NOT_OK(csv_outputs_reserve(ps, chunks, n, err));
  parse_job job = {ps, chunks};
  cy_status st = cy_parallel_for_n(n, ps->threads, parse_task, &job, err);
  for (int32_t k = 0; k < n; k++) {
    if (chunks[k].overflow) *aligned = false;
    if (!chunks[k].done) break; /* failed, or skipped after an earlier failure */
    if (chunks[k].ended != (k + 1 < n ? chunks[k + 1].start : end)) {
      *aligned = false;
      break;
    }
  }
  return st;
}

/* Widen the columns that met values they could not hold; true when any changed. */
static cy_status apply_widening(csv_parser *ps, csv_chunk *chunks, int32_t n, bool *changed,
                                cy_error *err) {
  *changed = false;
  for (int32_t c = 0; c < ps->num_columns; c++) {
    csv_column *col = &ps->columns[c];
    cy_text_kind kind = col->text;
    /* Only chunks that ran count, up to the first that failed: later ones were skipped
     * (no state at all) or may have been split in the wrong place. */
    for (int32_t k = 0; k < n && chunks[k].widen; k++) {
      if (chunks[k].needs_widen && chunks[k].widen[c])
        kind = cy_text_kind_join(kind, chunks[k].widen[c]);
      if (!chunks[k].done) break;
    }
    if (kind != col->text) {
      col->text = kind;
      CY_RETURN_NOT_OK(csv_column_set_type(col, cy_text_kind_type(kind), &ps->dialect, err));
      *changed = true;
    }
  }
  return CY_OK;
}

/* The chunks of the complete records from `from`: split by quote parity, or (exact) one
 * chunk up to a record end found by the tokenizer. *end gets where they end. */
static cy_status make_chunks(csv_parser *ps, const char *from, bool at_eof, bool exact,
                             csv_chunk **out, int32_t *count, const char **end,
                             cy_error *err) {
  const csv_text *t = &ps->text;
  int64_t size = t->end - from;
  int64_t n = (int64_t)ps->threads * CHUNKS_PER_THREAD;
  if (n > size / MIN_CHUNK_BYTES) n = size / MIN_CHUNK_BYTES;
  if (n < 1 || exact) n = 1;
  const char **bounds = malloc((size_t)(n + 1) * sizeof(char *));
  int64_t *lines = malloc((size_t)(n + 1) * sizeof(int64_t));
  cy_status st = CY_OK;
  int32_t pieces = 0;
  if (bounds == NULL || lines == NULL) {
    cy_error_set(err, "out of memory splitting CSV text");
    st = CY_ENOMEM;
  } else if (exact) {
    bounds[0] = from;
    bounds[1] = csv_last_record_end(t, &ps->dialect, from, at_eof);
    pieces = bounds[1] > from ? 1 : 0;
    lines[0] = csv_count_newlines(from, bounds[1]);
  } else {
    st = csv_split(t, &ps->dialect, from, (int32_t)n, ps->threads, at_eof, bounds, lines,
                   &pieces, err);
  }
  csv_chunk *chunks = NULL;
  if (st == CY_OK && pieces > 0) {
    chunks = calloc((size_t)pieces, sizeof(csv_chunk));
    if (chunks == NULL) {
      cy_error_set(err, "out of memory splitting CSV text");
      st = CY_ENOMEM;
    }
  }
  if (st == CY_OK && chunks) st = csv_spares_reserve(ps, pieces, err);
  for (int32_t k = 0; chunks && k < pieces; k++) {
    chunks[k].index = k;
    chunks[k].start = bounds[k];
    chunks[k].stop = bounds[k + 1];
    chunks[k].newlines = lines[k];
    /* Every record but the last ends with a newline; the exact piece also counts CRs. */
    chunks[k].capacity = exact ? csv_max_records(bounds[k], bounds[k + 1]) : lines[k] + 1;
  }
  *end = chunks ? bounds[pieces] : from;
  free(bounds);
  free(lines);
  *out = chunks;
  *count = chunks ? pieces : 0;
  return st;
}

cy_status csv_parse_block(csv_parser *ps, csv_source *src, const char *from, int64_t *used,
                          bool *widen, cy_error *err) {
  *widen = false;
  *used = from - src->buf;
  ps->text.data = src->buf;
  ps->text.end = src->buf + src->len;
  ps->text.name = src->name;
  csv_chunk *chunks = NULL;
  int32_t n = 0;
  const char *end = from;
  cy_status st = CY_OK;
  for (int attempt = 0; attempt < 2 && st == CY_OK; attempt++) {
    bool aligned = true;
    st = make_chunks(ps, from, src->eof, attempt > 0, &chunks, &n, &end, err);
    if (st != CY_OK || n == 0) break;
    st = parse_chunks(ps, chunks, n, end, &aligned, err);
    /* Parity can misplace the block's end when a stray quote is about; then an error near
     * the end of an unfinished input may be an artefact of the cut. */
    if (st != CY_OK && !src->eof && attempt == 0) aligned = false;
    if (!aligned && attempt > 0) { /* cannot happen: the exact piece is self-consistent */
      cy_error_set(err, "%s: internal error: the CSV parser and tokenizer disagree", src->name);
      st = CY_EINVAL;
      break;
    }
    if (aligned) break;
    /* A stray quote misled the split: parse again in one exact piece. */
    free_chunks(ps, chunks, n);
    chunks = NULL;
    n = 0;
    st = CY_OK;
  }
  bool changed = false;
  /* Widening comes before errors: a value that needs a wider type may come before an
   * error, and with the wider type the first error in the file may be another one. The
   * parse after widening finds whichever error is really first. */
  if (n > 0 && (st == CY_OK || st == CY_EINVAL)) {
    cy_error own;
    bool failed = st != CY_OK; /* keep the parse error's message unless widening fails */
    cy_status ws = apply_widening(ps, chunks, n, &changed, failed ? &own : err);
    if (ws != CY_OK) {
      st = ws;
      if (failed && err) *err = own;
    } else if (changed) {
      st = CY_OK;
    }
  }
  if (st == CY_OK && n > 0 && !changed) {
    st = csv_outputs_append(ps, chunks, n, err);
    if (st == CY_OK) *used = end - src->buf;
  }
  if (st == CY_OK && !changed) {
    /* The caller drops the used bytes: count their lines first, for later errors. */
    int64_t lines = csv_count_newlines(src->buf, from);
    for (int32_t k = 0; k < n; k++) lines += chunks[k].newlines;
    ps->text.line_base += lines;
  }
  *widen = changed;
  free_chunks(ps, chunks, n);
  return st;
}
