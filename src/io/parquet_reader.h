/*
 * parquet_reader.h - the Parquet reader's parts (private to the io layer):
 *
 *   parquet_schema.c   the footer's schema tree -> top-level fields, their leaf columns and
 *                      cylon types (or why a field cannot be read)
 *   parquet_column.c   one column chunk's pages -> values, validity, offsets
 *   parquet_stats.c    min/max statistics against a predicate: may a row group match?
 *   parquet_read.c     opening a file (footer), choosing columns and row groups, reading
 *                      chunks in parallel and assembling columns; the public API
 *
 * The entry points at the end read from any cy_input (the fuzz target and the tests use
 * in-memory and counting inputs) and report what was read.
 */
#ifndef CYLON_IO_PARQUET_READER_H
#define CYLON_IO_PARQUET_READER_H

#include "cylon/io.h"
#include "io/parquet_decode.h"
#include "io/parquet_meta.h"

/* How a leaf's physical values become the cylon column's values. */
typedef enum pq_conv {
  PQ_CONV_BOOL,        /* BOOLEAN -> bool (bits) */
  PQ_CONV_COPY,        /* same width: INT32, INT64, FLOAT, DOUBLE as they are */
  PQ_CONV_I32_I8,      /* INT32 -> int8 / uint8 */
  PQ_CONV_I32_I16,     /* INT32 -> int16 / uint16 */
  PQ_CONV_I32_DEC,     /* INT32 -> decimal128 */
  PQ_CONV_I64_DEC,     /* INT64 -> decimal128 */
  PQ_CONV_INT96_NS,    /* INT96 (Julian day, nanoseconds of day) -> timestamp[ns] */
  PQ_CONV_BYTES,       /* BYTE_ARRAY -> utf8 / binary */
  PQ_CONV_FLBA_BYTES,  /* FIXED_LEN_BYTE_ARRAY -> binary */
  PQ_CONV_BYTES_DEC,   /* BYTE_ARRAY, big-endian two's complement -> decimal128 */
  PQ_CONV_FLBA_DEC,    /* FIXED_LEN_BYTE_ARRAY, the same -> decimal128 */
  PQ_CONV_F16_F32      /* FIXED_LEN_BYTE_ARRAY(2) half floats -> float32 */
} pq_conv;

/* How min/max statistics of a leaf order (for skipping row groups). */
typedef enum pq_order {
  PQ_ORDER_NONE = 0, /* unusable */
  PQ_ORDER_SIGNED,   /* signed integers (INT32, INT64, decimals on them) */
  PQ_ORDER_UNSIGNED, /* unsigned integers */
  PQ_ORDER_FLOAT,    /* FLOAT, DOUBLE */
  PQ_ORDER_BYTES,    /* unsigned lexicographic (strings, binary) */
  PQ_ORDER_BOOL
} pq_order;

/* One top-level field of the file: a flat leaf cylon can read, or something it cannot. */
typedef struct pq_field {
  const char *name;      /* the schema element's name (in the footer's arena) */
  int32_t leaf;          /* column chunk index of its leaf; -1 for groups */
  int32_t schema_index;  /* index in meta.schema */
  char *unreadable;      /* malloc'ed reason, or NULL when readable */
  /* readable fields only */
  cy_type type;
  int32_t physical;      /* pq_type */
  int32_t type_length;   /* FIXED_LEN_BYTE_ARRAY */
  int16_t max_def;       /* 0 (required) or 1 (optional) */
  pq_conv conv;
  pq_order order;
  int width;             /* bytes per output value for fixed-width types (0: bool, var) */
} pq_field;

/* An open Parquet file: its input, footer and field map. */
typedef struct pq_file {
  cy_input *in;
  const char *name;
  pq_file_meta meta;
  pq_field *fields;
  int32_t num_fields;
  int32_t num_leaves;
  int64_t data_end;   /* column data lies in [4, data_end) */
  int64_t chunk_padding; /* bytes to read past each chunk (old parquet-mr, PARQUET-816) */
  int64_t bytes_read; /* through this file (footer and chunks), atomically updated */
  int64_t budget;     /* decoded bytes this read may still allocate (atomic) */
} pq_file;

/* Take n bytes from f's budget; false (and nothing taken) when that would exceed it. */
bool pq_budget_take(pq_file *f, int64_t n);
/* Read file bytes [offset, offset + len) into buf, counting them in f->bytes_read. */
cy_status pq_read_range(pq_file *f, int64_t offset, int64_t len, void *buf, cy_error *err);

/* Limits on what a file may make the reader allocate (tied to the file's size). */
typedef struct pq_limits {
  int64_t min_budget;   /* decoded bytes always allowed per read */
  int64_t per_byte;     /* decoded bytes allowed per byte of file */
} pq_limits;
/* The process's limits (the fuzz target lowers them). Default: 4 GiB + 4096 x file size. */
extern pq_limits pq_read_limits;

/* ---- schema (parquet_schema.c) ------------------------------------------------------- */

/* Build f->fields from f->meta (checks the schema tree). */
cy_status pq_schema_build(pq_file *f, cy_error *err);
/* Free f->fields. */
void pq_schema_free(pq_file *f);

/* ---- one column chunk (parquet_column.c) --------------------------------------------- */

/* Where a chunk's rows go. The caller sets values (fixed-width fields: room for num_rows
 * values of field->width bytes); the decoder allocates the rest with malloc, and
 * pq_chunk_out_free frees them. */
typedef struct pq_chunk_out {
  uint8_t *values;     /* fixed width: caller's destination */
  uint8_t *validity;   /* num_rows bits; NULL when no row is null */
  int64_t null_count;
  uint8_t *bits;       /* bool fields: num_rows bits of values */
  int64_t *offsets;    /* var width: num_rows + 1 offsets into data */
  uint8_t *data;
  int64_t data_len, data_cap;
} pq_chunk_out;

void pq_chunk_out_free(pq_chunk_out *out);

/* Decode the pages of field fi's chunk in row group rg (its bytes: chunk[0, len)) into
 * out. verify: check page CRCs. Growing outputs draw on f's budget. */
cy_status pq_chunk_read(pq_file *f, int32_t rg, int32_t fi, const uint8_t *chunk,
                        int64_t len, bool verify, pq_chunk_out *out, cy_error *err);
/* The byte range of field fi's chunk in row group rg (checked against the file). */
cy_status pq_chunk_range(const pq_file *f, int32_t rg, int32_t fi, int64_t *offset,
                         int64_t *len, cy_error *err);

/* ---- values (parquet_values.c) ------------------------------------------------------ */

/* Convert n dense physical values at src (field's physical width each) to n dense values
 * of the field's cylon type at dst (fixed-width cylon types only). */
cy_status pqv_convert(const pq_field *fld, const uint8_t *src, int64_t n, uint8_t *dst,
                      cy_error *err);
/* The same from byte-array slices (BYTE_ARRAY decimals). */
cy_status pqv_convert_slices(const pq_field *fld, const pqd_slice *src, int64_t n,
                             uint8_t *dst, cy_error *err);
/* Move nn dense values of `width` bytes at the start of dst[0, n) to the rows that are
 * valid (bits bit0.. of valid), zeroing the null rows. */
void pqv_spread(uint8_t *dst, int width, int64_t n, int64_t nn, const uint8_t *valid,
                int64_t bit0);
/* The same for bits: nn dense bits from bit0 of bits spread over the valid rows. */
void pqv_spread_bits(uint8_t *bits, int64_t bit0, int64_t n, int64_t nn,
                     const uint8_t *valid);
/* dst[i] = dict[idx[i]] for n values of `width` bytes (indices already checked). */
void pqv_gather(uint8_t *dst, int width, const uint8_t *dict, const uint32_t *idx, int64_t n);
/* Bytes per physical value of a fixed-width physical type (0 for BOOLEAN, BYTE_ARRAY). */
int pqv_physical_width(const pq_field *fld);

/* ---- reading row groups into a table (parquet_assemble.c) ----------------------------- */

/* Read fields[0, nf) of row groups groups[0, ng) (in that order) into one table, decoding
 * the chunks on up to `threads` threads (0: all). */
cy_status pq_read_groups(pq_file *f, const int32_t *fields, int32_t nf, const int32_t *groups,
                         int32_t ng, bool verify, int threads, cy_table **out, cy_error *err);

/* ---- statistics (parquet_stats.c) ---------------------------------------------------- */

/* False when the statistics of row group rg prove that `predicate` is not true for any
 * of its rows; true otherwise (including whenever nothing can be proved). */
bool pq_row_group_may_match(const pq_file *f, int32_t rg, const cy_expr *predicate);

/* ---- reading from any input (parquet_read.c) ----------------------------------------- */

/* What a read did. */
typedef struct pq_read_report {
  int32_t row_groups_total;
  int32_t row_groups_read;    /* after selection and statistics */
  int32_t row_groups_skipped; /* by statistics */
  int64_t bytes_read;
} pq_read_report;

/* cy_parquet_read over an open input (not closed here); report may be NULL. */
cy_status pq_read_input(cy_input *in, const cy_parquet_read_options *opts, cy_table **out,
                        pq_read_report *report, cy_error *err);
/* cy_parquet_read_info over an open input. */
cy_status pq_read_info_input(cy_input *in, cy_parquet_info *out, cy_error *err);
/* A cy_input over bytes in memory (not copied; they must outlive the input). */
void pq_memory_input(const void *data, int64_t size, const char *name, cy_input *out);

#endif
