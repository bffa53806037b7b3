/*
 * parquet_write.h - the pieces of the Parquet writer (private to it):
 *
 *   parquet_write_column.c  how a cylon type is stored (physical type, logical and
 *                           converted type, sort order) and the gathering of a column's
 *                           rows into dense physical values;
 *   parquet_write_chunk.c   one column chunk of one row group encoded into bytes:
 *                           dictionary or PLAIN, data pages v1, compression, statistics;
 *   parquet_write.c         cy_parquet_write: row groups, chunks encoded on all threads,
 *                           written in order through a cy_output, then the footer.
 */
#ifndef CYLON_IO_PARQUET_WRITE_H
#define CYLON_IO_PARQUET_WRITE_H

#include "cylon/io.h"
#include "io/parquet_encode.h"
#include "io/parquet_meta.h"

/* How one cylon column is stored in Parquet. Every column is an OPTIONAL field with
 * definition levels of at most 1 (as DuckDB, pandas and Arrow write nullable columns). */
typedef struct pqw_column {
  const char *name;
  cy_type type;
  pqw_kind kind;          /* dense value form, which fixes the sort order */
  pq_schema_element schema; /* the leaf's SchemaElement: physical, logical, converted */
  int64_t multiplier;     /* timestamps in seconds are stored as milliseconds: 1000 */
  bool legacy_stats;      /* also write Statistics.min / max (signed physical order) */
} pqw_column;

/* Map a field to its Parquet form; an error names the column when it cannot be written. */
cy_status pqw_column_init(pqw_column *c, const cy_field *field, cy_error *err);

/* The non-null values of rows [start, start + n) of col as c->kind. When they must be
 * converted (or compacted around nulls) they go into *buf (capacity *cap bytes, grown as
 * needed and kept for reuse); otherwise out borrows the column's own buffer. */
cy_status pqw_gather(const pqw_column *c, const cy_column *col, int64_t start, int64_t n,
                     pqw_values *out, void **buf, int64_t *cap, cy_error *err);

/* Settings every chunk shares (cy_parquet_write_options with defaults applied). */
typedef struct pqw_settings {
  cy_compression compression;
  int level;
  int64_t page_bytes;
  bool dictionary;
  int64_t dictionary_page_bytes;
  bool statistics;
  bool checksums; /* page CRC-32s in the page headers */
} pqw_settings;

/* One encoded column chunk: its pages (with headers) and what the footer says of it.
 * Offsets are relative to the chunk's first byte until the writer places it. */
typedef struct pqw_chunk {
  pqw_buf bytes;
  bool has_dictionary;
  int64_t data_page_offset;   /* of the first data page */
  int64_t uncompressed_size;  /* pages and headers, before compression */
  int64_t num_values;         /* rows, nulls included */
  int64_t null_count;
  int32_t data_pages;
  bool dictionary_encoded;    /* data pages are RLE_DICTIONARY (else PLAIN) */
  pqw_minmax minmax;          /* valid when statistics are on */
} pqw_chunk;

/* Working memory of one thread's chunk encoding, reused from chunk to chunk so that a
 * warm writer allocates (and page-faults) almost nothing. Zero it to start. */
typedef struct pqw_scratch {
  void *values;          /* gathered values */
  int64_t values_cap;
  pqw_dict dict;
  pqw_buf page;          /* one page before compression */
  pqw_buf compressed;    /* one page after */
  pqt_writer header;     /* one page header */
} pqw_scratch;

void pqw_scratch_free(pqw_scratch *s);

/* Encode rows [start, start + n) of col as one column chunk into out, whose byte buffer
 * is reused (emptied first); on failure out holds nothing of value. */
cy_status pqw_chunk_encode(const pqw_column *c, const cy_column *col, int64_t start,
                           int64_t n, const pqw_settings *s, pqw_scratch *scratch,
                           pqw_chunk *out, cy_error *err);
/* Free a chunk's bytes. */
void pqw_chunk_free(pqw_chunk *chunk);

#endif
