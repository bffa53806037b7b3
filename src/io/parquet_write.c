/*
 * parquet_write.c - cy_parquet_write: a table as a Parquet file, fast and all or nothing.
 *
 * Layout of what is written: "PAR1"; then row groups of row_group_rows rows, each one
 * column chunk per column in schema order (parquet_write_chunk.c makes a chunk's bytes);
 * then the footer (FileMetaData in the Thrift compact protocol, parquet_meta.c), its
 * length in 4 little-endian bytes, and "PAR1" again.
 *
 * The footer holds: format version 1 (all pages are v1 and every reader takes it), a
 * schema of a root group "schema" with one OPTIONAL leaf per column
 * (parquet_write_column.c has the type mapping), per chunk the encodings, sizes, offsets,
 * encoding stats and statistics (null_count; min_value / max_value in the column's sort
 * order, and the deprecated min / max too where that order is the signed physical order
 * old readers assume), TYPE_DEFINED column orders (without them readers must ignore
 * min_value / max_value), created_by "cylon-c version X.Y.Z" (the "<app> version <semver>"
 * form that readers parse to decide which writers' statistics to trust), and a key
 * "cylon:schema" holding the cylon type of each column as a JSON array of type names, so
 * that types Parquet has no exact word for (timestamps in seconds, time zone names, large
 * strings) can come back as they were. Min / max of byte arrays longer than
 * MAX_STAT_BYTES are left out rather than truncated.
 *
 * Parallelism: row groups are taken in waves of a few; every (row group, column) chunk of
 * a wave is encoded and compressed on its own thread (cy_parallel_for), then the chunks
 * are written in file order and their bytes freed before the next wave, so memory stays
 * near a wave's worth of output whatever the table's size. The bytes do not depend on the
 * thread count.
 *
 * All or nothing: bytes go through a cy_output (a temporary file renamed at commit, or an
 * S3 multipart upload completed at commit); any failure aborts it.
 */
#include <stdlib.h>
#include <string.h>

#include "io/parquet_codec.h"
#include "io/parquet_write.h"

#ifndef CYLON_VERSION
#define CYLON_VERSION "0.4.0"
#endif

#define DEFAULT_ROW_GROUP_ROWS (1 << 20)
#define DEFAULT_PAGE_BYTES (1 << 20)
#define DEFAULT_DICTIONARY_BYTES (1 << 20)
/* Input bytes a wave of row groups may cover (at least one row group is always taken). */
#define WAVE_BYTES ((int64_t)128 << 20)
/* Chunks per thread in a wave, so uneven chunks still keep every thread busy. */
#define CHUNKS_PER_THREAD 4
/* Longer byte-array min / max values are not written (see the file comment). */
#define MAX_STAT_BYTES 1024

/* ---- options ------------------------------------------------------------------------- */

void cy_parquet_write_options_init(cy_parquet_write_options *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->compression = CY_COMPRESSION_SNAPPY;
  opts->row_group_rows = DEFAULT_ROW_GROUP_ROWS;
  opts->page_bytes = DEFAULT_PAGE_BYTES;
  opts->dictionary = true;
  opts->dictionary_page_bytes = DEFAULT_DICTIONARY_BYTES;
  opts->statistics = true;
  opts->checksums = true;
}

static cy_status check_options(const cy_parquet_write_options *o, pqw_settings *s,
                               cy_error *err) {
  if (o->row_group_rows <= 0 || o->page_bytes <= 0 || o->dictionary_page_bytes < 0) {
    cy_error_set(err, "Parquet write options: row_group_rows (%lld) and page_bytes (%lld) "
                 "must be positive and dictionary_page_bytes (%lld) not negative",
                 (long long)o->row_group_rows, (long long)o->page_bytes,
                 (long long)o->dictionary_page_bytes);
    return CY_EINVAL;
  }
  if (o->compression == CY_COMPRESSION_LZ4) {
    cy_error_set(err, "Parquet compression lz4 (the Hadoop framing) is read only; write "
                 "lz4_raw instead");
    return CY_ENOTSUP;
  }
  if ((int)o->compression < CY_COMPRESSION_NONE || o->compression > CY_COMPRESSION_BROTLI) {
    cy_error_set(err, "Parquet write options: unknown compression %d", (int)o->compression);
    return CY_EINVAL;
  }
  s->compression = o->compression;
  s->level = o->compression_level;
  /* Page sizes are int32 in page headers; a quarter of that leaves room for overheads. */
  s->page_bytes = o->page_bytes < (1 << 29) ? o->page_bytes : (1 << 29);
  s->dictionary = o->dictionary;
  s->dictionary_page_bytes = o->dictionary_page_bytes < (1 << 29) ? o->dictionary_page_bytes
                                                                  : (1 << 29);
  s->statistics = o->statistics;
  s->checksums = o->checksums;
  return CY_OK;
}

/* ---- the writer ---------------------------------------------------------------------- */

/* What the footer keeps of one written chunk (its bytes are gone by then). */
typedef struct chunk_info {
  pqw_minmax minmax;
  int32_t encodings[3];
  pq_page_encoding_stats encoding_stats[2];
  const char *path[1];
} chunk_info;

typedef struct writer {
  const cy_table *table;
  const char *url;
  pqw_settings s;
  int threads;
  pqw_column *cols;
  int32_t ncols;
  int64_t rg_rows;
  int32_t num_rgs;
  pq_row_group *rgs;
  pq_column_chunk *chunks; /* num_rgs * ncols, row group major */
  chunk_info *infos;       /* likewise */
  int32_t wave_rgs;        /* row groups per wave */
  pqw_chunk *waves[2];     /* chunks of the wave being encoded and of the one written */
  pqw_scratch *scratch;    /* one per thread */
  /* the current step: encode wave `encode_first` (encode_count row groups) while writing
   * the wave before it (write_count row groups from write_first) */
  int32_t encode_first, encode_count, write_first, write_count;
  pqw_chunk *encoding, *writing;
  int64_t next_task;       /* taken atomically by the threads */
  bool failed;             /* a task failed: the others stop */
  cy_output out;
  int64_t offset;          /* bytes written so far */
  char *schema_json;
} writer;

static cy_status writer_oom(const writer *w, cy_error *err) {
  cy_error_set(err, "%s: out of memory writing Parquet", w->url);
  return CY_ENOMEM;
}

static cy_status put(writer *w, const void *p, int64_t n, cy_error *err) {
  CY_RETURN_NOT_OK(w->out.write(&w->out, p, n, err));
  w->offset += n;
  return CY_OK;
}

/* How many row groups a wave takes: enough chunks for every thread, within WAVE_BYTES. */
static int32_t wave_size(const writer *w) {
  int64_t want = ((int64_t)CHUNKS_PER_THREAD * w->threads + w->ncols - 1) / w->ncols;
  int64_t rows = w->table->num_rows > 0 ? w->table->num_rows : 1;
  int64_t bytes_per_rg = cy_table_nbytes(w->table) / rows * w->rg_rows + 1;
  int64_t fit = WAVE_BYTES / bytes_per_rg;
  if (want > fit) want = fit;
  if (want < 1) want = 1;
  return want < w->num_rgs ? (int32_t)want : w->num_rgs;
}

static cy_status setup(writer *w, cy_error *err) {
  const cy_table *t = w->table;
  w->ncols = t->schema.num_fields;
  if (w->ncols == 0) {
    cy_error_set(err, "%s: a Parquet file needs at least one column", w->url);
    return CY_EINVAL;
  }
  int64_t rgs = (t->num_rows + w->rg_rows - 1) / w->rg_rows;
  if (rgs > INT32_MAX / 2) {
    cy_error_set(err, "%s: %lld row groups are too many; raise row_group_rows", w->url,
                 (long long)rgs);
    return CY_EINVAL;
  }
  w->num_rgs = (int32_t)rgs;
  w->cols = calloc((size_t)w->ncols, sizeof(pqw_column));
  w->rgs = calloc((size_t)w->num_rgs + 1, sizeof(pq_row_group));
  w->chunks = calloc((size_t)w->num_rgs * w->ncols + 1, sizeof(pq_column_chunk));
  w->infos = calloc((size_t)w->num_rgs * w->ncols + 1, sizeof(chunk_info));
  if (!w->cols || !w->rgs || !w->chunks || !w->infos) return writer_oom(w, err);
  for (int32_t c = 0; c < w->ncols; c++) {
    cy_status st = pqw_column_init(&w->cols[c], &t->schema.fields[c], err);
    if (st != CY_OK) {
      cy_error_prefix(err, "%s: ", w->url);
      return st;
    }
  }
  w->wave_rgs = wave_size(w);
  for (int k = 0; k < 2; k++) {
    w->waves[k] = calloc((size_t)w->wave_rgs * w->ncols + 1, sizeof(pqw_chunk));
    if (w->waves[k] == NULL) return writer_oom(w, err);
  }
  w->scratch = calloc((size_t)w->threads, sizeof(pqw_scratch));
  return w->scratch ? CY_OK : writer_oom(w, err);
}

/* ---- encoding a wave while writing the one before ------------------------------------ */

/* Encode chunk `task` of the wave in w->encoding with thread `worker`'s scratch. */
static cy_status encode_chunk(writer *w, int worker, int64_t task, cy_error *err) {
  int32_t rg = w->encode_first + (int32_t)(task / w->ncols), c = (int32_t)(task % w->ncols);
  int64_t start = (int64_t)rg * w->rg_rows;
  int64_t n = w->table->num_rows - start < w->rg_rows ? w->table->num_rows - start : w->rg_rows;
  cy_status st = pqw_chunk_encode(&w->cols[c], w->table->columns[c], start, n, &w->s,
                                  &w->scratch[worker], &w->encoding[task], err);
  if (st != CY_OK) cy_error_prefix(err, "%s: row group %d: ", w->url, (int)rg);
  return st;
}

static cy_status write_wave(writer *w, cy_error *err);

/* One thread: take tasks until none are left. Task 0 is writing the previous wave (when
 * there is one), so one thread writes while the others encode; the rest are chunks. */
static cy_status worker_run(void *ctx, int64_t worker, cy_error *err) {
  writer *w = ctx;
  int64_t writes = w->write_count > 0;
  int64_t tasks = writes + (int64_t)w->encode_count * w->ncols;
  for (;;) {
    int64_t t = __atomic_fetch_add(&w->next_task, 1, __ATOMIC_RELAXED);
    if (t >= tasks || __atomic_load_n(&w->failed, __ATOMIC_RELAXED)) return CY_OK;
    cy_status st = t < writes ? write_wave(w, err) : encode_chunk(w, (int)worker, t - writes, err);
    if (st != CY_OK) {
      __atomic_store_n(&w->failed, true, __ATOMIC_RELAXED);
      return st;
    }
  }
}

static cy_status run_step(writer *w, cy_error *err) {
  w->next_task = 0;
  int64_t tasks = (w->write_count > 0) + (int64_t)w->encode_count * w->ncols;
  int threads = tasks < w->threads ? (int)tasks : w->threads;
  if (threads < 1) return CY_OK;
  return cy_parallel_for_n(threads, threads, worker_run, w, err);
}

/* ---- footer entries of a chunk ------------------------------------------------------- */

static void set_bytes(pq_bytes *b, const pqw_minmax *m, bool is_min) {
  if (m->len > 0) {
    b->data = is_min ? m->min : m->max;
    b->len = m->len;
  } else {
    b->data = is_min ? m->min_bytes.ptr : m->max_bytes.ptr;
    b->len = is_min ? m->min_bytes.len : m->max_bytes.len;
  }
}

static void fill_statistics(const pqw_column *c, const pqw_chunk *ch, const chunk_info *info,
                            pq_statistics *st) {
  memset(st, 0, sizeof(*st));
  st->has_null_count = true;
  st->null_count = ch->null_count;
  const pqw_minmax *m = &info->minmax;
  if (!m->has) return;
  if (m->len == 0 && (m->min_bytes.len > MAX_STAT_BYTES || m->max_bytes.len > MAX_STAT_BYTES))
    return;
  st->has_min_value = st->has_max_value = true;
  set_bytes(&st->min_value, m, true);
  set_bytes(&st->max_value, m, false);
  if (c->legacy_stats) {
    st->has_min = st->has_max = true;
    st->min = st->min_value;
    st->max = st->max_value;
  }
}

/* Fill the footer's ColumnChunk for chunk (rg, c), now placed at file offset `at`. */
static void describe_chunk(writer *w, int32_t rg, int32_t c, const pqw_chunk *ch, int64_t at) {
  pq_column_chunk *cc = &w->chunks[(int64_t)rg * w->ncols + c];
  chunk_info *info = &w->infos[(int64_t)rg * w->ncols + c];
  pq_column_meta *m = &cc->meta_data;
  info->minmax = ch->minmax;
  info->path[0] = w->cols[c].name;
  int32_t data_enc = ch->dictionary_encoded ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN;
  int32_t ne = 0, ns = 0;
  info->encodings[ne++] = PQ_ENC_PLAIN;
  info->encodings[ne++] = PQ_ENC_RLE;
  if (ch->dictionary_encoded) info->encodings[ne++] = PQ_ENC_RLE_DICTIONARY;
  if (ch->has_dictionary)
    info->encoding_stats[ns++] = (pq_page_encoding_stats){PQ_PAGE_DICTIONARY, PQ_ENC_PLAIN, 1};
  info->encoding_stats[ns++] = (pq_page_encoding_stats){PQ_PAGE_DATA, data_enc, ch->data_pages};
  cc->file_offset = at;
  cc->has_meta_data = true;
  m->type = w->cols[c].schema.type;
  m->encodings = info->encodings;
  m->num_encodings = ne;
  m->path = info->path;
  m->path_len = 1;
  m->codec = pq_codec_from_compression(w->s.compression);
  m->num_values = ch->num_values;
  m->total_uncompressed_size = ch->uncompressed_size;
  m->total_compressed_size = ch->bytes.len;
  m->data_page_offset = at + ch->data_page_offset;
  m->has_dictionary_page_offset = ch->has_dictionary;
  m->dictionary_page_offset = at;
  m->encoding_stats = info->encoding_stats;
  m->num_encoding_stats = ns;
  m->has_statistics = w->s.statistics;
  if (w->s.statistics) fill_statistics(&w->cols[c], ch, info, &m->statistics);
}

/* Write the chunks of w->writing in file order, describing each for the footer. */
static cy_status write_wave(writer *w, cy_error *err) {
  for (int32_t r = 0; r < w->write_count; r++) {
    int32_t rg = w->write_first + r;
    pq_row_group *g = &w->rgs[rg];
    g->columns = &w->chunks[(int64_t)rg * w->ncols];
    g->num_columns = w->ncols;
    g->has_file_offset = g->has_total_compressed_size = true;
    g->file_offset = w->offset;
    g->has_ordinal = rg <= INT16_MAX;
    g->ordinal = rg;
    for (int32_t c = 0; c < w->ncols; c++) {
      pqw_chunk *ch = &w->writing[(int64_t)r * w->ncols + c];
      g->num_rows = ch->num_values;
      g->total_byte_size += ch->uncompressed_size;
      g->total_compressed_size += ch->bytes.len;
      describe_chunk(w, rg, c, ch, w->offset);
      CY_RETURN_NOT_OK(put(w, ch->bytes.data, ch->bytes.len, err));
    }
  }
  return CY_OK;
}

/* Waves go through two steps: encoded in one, written in the next (beside the encoding
 * of the wave after), so writing overlaps encoding. */
static cy_status write_row_groups(writer *w, cy_error *err) {
  int32_t first = 0, k = 0;
  w->write_count = 0;
  while (first < w->num_rgs || w->write_count > 0) {
    w->encode_first = first;
    w->encode_count = w->num_rgs - first < w->wave_rgs ? w->num_rgs - first : w->wave_rgs;
    w->encoding = w->waves[k];
    CY_RETURN_NOT_OK(run_step(w, err));
    w->write_first = w->encode_first;
    w->write_count = w->encode_count;
    w->writing = w->encoding;
    first += w->encode_count;
    k ^= 1;
  }
  return CY_OK;
}

/* ---- the footer ---------------------------------------------------------------------- */

/* The cylon:schema value: ["int64","timestamp[s, Europe/Paris]",...]. Type names hold no
 * quotes or backslashes except inside a time zone name, which are escaped anyway. */
static cy_status schema_json(writer *w, cy_error *err) {
  size_t cap = 16 + (size_t)w->ncols * 2 * 160, len = 0;
  char *s = malloc(cap);
  if (s == NULL) return writer_oom(w, err);
  s[len++] = '[';
  for (int32_t c = 0; c < w->ncols; c++) {
    char name[128];
    cy_type_name(&w->cols[c].type, name, sizeof(name));
    if (c) s[len++] = ',';
    s[len++] = '"';
    for (const char *p = name; *p; p++) {
      if (*p == '"' || *p == '\\') s[len++] = '\\';
      s[len++] = *p;
    }
    s[len++] = '"';
  }
  s[len++] = ']';
  s[len] = 0;
  w->schema_json = s;
  return CY_OK;
}

static cy_status write_footer(writer *w, cy_error *err) {
  pq_schema_element *schema = calloc((size_t)w->ncols + 1, sizeof(pq_schema_element));
  int32_t *orders = calloc((size_t)w->ncols, sizeof(int32_t));
  cy_status st = schema && orders ? schema_json(w, err) : writer_oom(w, err);
  if (st != CY_OK) {
    free(schema);
    free(orders);
    return st;
  }
  schema[0] = pq_schema_element_init();
  schema[0].name = "schema";
  schema[0].has_num_children = true;
  schema[0].num_children = w->ncols;
  for (int32_t c = 0; c < w->ncols; c++) {
    schema[c + 1] = w->cols[c].schema;
    orders[c] = PQ_ORDER_TYPE_DEFINED;
  }
  pq_key_value kv = {"cylon:schema", w->schema_json};
  pq_file_meta meta;
  memset(&meta, 0, sizeof(meta));
  meta.version = 1;
  meta.schema = schema;
  meta.num_schema = w->ncols + 1;
  meta.num_rows = w->table->num_rows;
  meta.row_groups = w->rgs;
  meta.num_row_groups = w->num_rgs;
  meta.key_value = &kv;
  meta.num_key_value = 1;
  meta.created_by = "cylon-c version " CYLON_VERSION;
  meta.column_orders = orders;
  meta.num_column_orders = w->ncols;
  pqt_writer t;
  pqt_writer_init(&t);
  pq_file_meta_encode(&t, &meta);
  free(schema);
  free(orders);
  st = pqt_writer_status(&t, "writing the Parquet footer", err);
  uint32_t n = (uint32_t)t.len;
  uint8_t tail[8] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24),
                     'P', 'A', 'R', '1'};
  if (st == CY_OK) st = put(w, t.data, t.len, err);
  if (st == CY_OK) st = put(w, tail, 8, err);
  pqt_writer_reset(&t);
  return st;
}

/* ---- entry point --------------------------------------------------------------------- */

static void writer_free(writer *w) {
  for (int k = 0; k < 2; k++) {
    for (int64_t i = 0; w->waves[k] && i < (int64_t)w->wave_rgs * w->ncols; i++)
      pqw_chunk_free(&w->waves[k][i]);
    free(w->waves[k]);
  }
  for (int i = 0; w->scratch && i < w->threads; i++) pqw_scratch_free(&w->scratch[i]);
  free(w->scratch);
  free(w->cols);
  free(w->rgs);
  free(w->chunks);
  free(w->infos);
  free(w->schema_json);
}

static cy_status write_file(writer *w, cy_error *err) {
  CY_RETURN_NOT_OK(put(w, "PAR1", 4, err));
  CY_RETURN_NOT_OK(write_row_groups(w, err));
  return write_footer(w, err);
}

cy_status cy_parquet_write(const cy_table *table, const char *url,
                           const cy_parquet_write_options *opts, cy_error *err) {
  cy_parquet_write_options defaults;
  if (opts == NULL) {
    cy_parquet_write_options_init(&defaults);
    opts = &defaults;
  }
  writer w;
  memset(&w, 0, sizeof(w));
  w.table = table;
  w.url = url;
  w.threads = opts->num_threads > 0 ? opts->num_threads : cy_num_threads();
  w.rg_rows = opts->row_group_rows;
  cy_status st = check_options(opts, &w.s, err);
  if (st == CY_OK) st = setup(&w, err);
  if (st == CY_OK) st = cy_output_open(url, &w.out, err);
  if (st != CY_OK) {
    writer_free(&w);
    return st;
  }
  st = write_file(&w, err);
  if (st == CY_OK)
    st = w.out.commit(&w.out, err);
  else
    w.out.abort(&w.out);
  writer_free(&w);
  return st;
}
