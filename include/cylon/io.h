/*
 * cylon/io.h - the io layer: reading and writing tables as files.
 *
 * CSV follows RFC 4180: fields separated by a one-byte delimiter, records by LF or CRLF,
 * fields optionally quoted with doubled quotes inside, newlines allowed inside quotes.
 * Option structs follow curl's style: initialise with the _init function (sane defaults),
 * then set what differs.
 */
#ifndef CYLON_IO_H
#define CYLON_IO_H

#include "cylon/compute.h"
#include "cylon/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * CSV
 * ------------------------------------------------------------------------------------- */

typedef struct cy_csv_read_options {
  char delimiter;  /**< field separator; default ',' */
  char quote;      /**< quote character; default '"' */
  bool header;     /**< first record holds column names; default true. Without a header
                        columns are named column0, column1, ... */
  /** Unquoted field texts that mean null; default one entry, "" (an empty field). */
  const char *const *null_values;
  int32_t num_null_values;
  /** Quoted fields may be null too ("" or a quoted null marker); default false, so ""
   *  is an empty string, which is how the writer writes one. */
  bool quoted_nulls;
  /** Rows sampled from the start to infer types; default 20480, -1 = the whole file. A
   *  later value that does not fit its inferred type widens the column (int64 to float64
   *  to utf8) and the file is parsed again, so inference never loses data. */
  int64_t sample_rows;
  /** Explicit column types by name, overriding inference (names must exist). */
  const char *const *column_names;
  const cy_type *column_types;
  int32_t num_column_types;
  /** Give every column this name list instead of the header's (count must match). */
  const char *const *names;
  int32_t num_names;
  int64_t skip_rows;     /**< records to skip before the header; default 0 */
  int num_threads;       /**< 0 = cy_num_threads() */
  int64_t batch_rows;    /**< rows per batch in streaming mode; default 65536 */
  int64_t block_bytes;   /**< bytes read and parsed at a time by a whole-file read;
                              0 = 4 MiB per thread */
} cy_csv_read_options;

/** Fill opts with the defaults listed above. */
void cy_csv_read_options_init(cy_csv_read_options *opts);

/** Read a whole CSV file (a local path or an s3:// URL) into one table, parsing chunks on
 *  all threads. Errors name the
 *  file, line and column and what was expected; on error nothing is returned. A string
 *  column holding more than 2 GiB of text comes back as large_utf8 (large_binary). */
cy_status cy_csv_read(const char *path, const cy_csv_read_options *opts, cy_table **out,
                      cy_error *err);
/** Read CSV text from memory; `name` is used in error messages. */
cy_status cy_csv_read_buffer(const char *data, int64_t size, const char *name,
                             const cy_csv_read_options *opts, cy_table **out, cy_error *err);
/** Open a CSV file as a stream of batches of about opts->batch_rows rows, with memory
 *  bounded by the batch size. Types are inferred from the sample at open time; a later
 *  value that does not fit is an error naming its line and column. */
cy_status cy_csv_open(const char *path, const cy_csv_read_options *opts, cy_batch_reader *out,
                      cy_error *err);

typedef struct cy_csv_write_options {
  char delimiter;         /**< default ',' */
  char quote;             /**< default '"' */
  bool header;            /**< write column names first; default true */
  const char *null_value; /**< text for nulls; default "" (empty strings are written "") */
} cy_csv_write_options;

/** Fill opts with the defaults listed above. */
void cy_csv_write_options_init(cy_csv_write_options *opts);
/** Write a table as CSV to a local path or an s3:// URL. The file appears only when
 *  complete (written to a temporary name beside it, then renamed; an object is committed
 *  by its cy_output), so a failure never leaves half a file. */
cy_status cy_csv_write(const cy_table *table, const char *path, const cy_csv_write_options *opts,
                       cy_error *err);
/** Write a table as CSV to an open stream. */
cy_status cy_csv_write_stream(const cy_table *table, FILE *out, const cy_csv_write_options *opts,
                              cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Where bytes live: local files and object stores (file paths, file://, s3://)
 * ------------------------------------------------------------------------------------- */

/** Random-access reading of one object (a local file, or an S3 object through ranged
 *  GETs). Readers of formats with footers (Parquet, Arrow IPC files) read only the ranges
 *  they need. */
typedef struct cy_input {
  /** Read exactly len bytes at offset into buf; reading past the end is an error. */
  cy_status (*read_at)(struct cy_input *self, int64_t offset, int64_t len, void *buf,
                       cy_error *err);
  /** Free the input's resources; NULL after close. */
  void (*close)(struct cy_input *self);
  int64_t size;     /**< bytes in the object */
  const char *name; /**< the URL or path, for messages (never with credentials) */
  void *private_data;
} cy_input;

/** Open path (a local path, file://PATH or s3://BUCKET/KEY) for reading. */
cy_status cy_input_open(const char *url, cy_input *out, cy_error *err);

/** Sequential writing of one object that appears only when committed: a local file is
 *  written beside its target and renamed; S3 uses a multipart upload completed at commit
 *  (small objects: one PUT). Abort (or a failed commit) leaves nothing behind. */
typedef struct cy_output {
  cy_status (*write)(struct cy_output *self, const void *data, int64_t len, cy_error *err);
  /** Publish the object and free the output's resources (also on failure). */
  cy_status (*commit)(struct cy_output *self, cy_error *err);
  /** Discard what was written and free the output's resources. */
  void (*abort)(struct cy_output *self);
  const char *name;
  void *private_data;
} cy_output;

/** Open url for writing (creating missing local directories). */
cy_status cy_output_open(const char *url, cy_output *out, cy_error *err);

/** One object found by a listing. */
typedef struct cy_object_info {
  char *url;    /**< full URL (or path) */
  int64_t size; /**< bytes */
} cy_object_info;

/** The objects under a directory or key prefix, sorted by URL (recursively; for S3 with
 *  ListObjectsV2 pagination). Free with cy_object_list_free. */
cy_status cy_object_list(const char *url, cy_object_info **out, int64_t *count, cy_error *err);
void cy_object_list_free(cy_object_info *list, int64_t count);
/** Delete one object (used to clean up; missing is not an error). */
cy_status cy_object_delete(const char *url, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Parquet (our own implementation of the Apache Parquet format)
 * ------------------------------------------------------------------------------------- */

typedef enum cy_compression {
  CY_COMPRESSION_NONE = 0,
  CY_COMPRESSION_SNAPPY,
  CY_COMPRESSION_GZIP,
  CY_COMPRESSION_ZSTD,
  CY_COMPRESSION_LZ4_RAW,
  CY_COMPRESSION_LZ4, /**< the Hadoop framing (read only) */
  CY_COMPRESSION_BROTLI
} cy_compression;

/** The codec called name ("snappy", "zstd", "gzip", "none", ...). */
cy_status cy_compression_parse(const char *name, cy_compression *out, cy_error *err);
const char *cy_compression_name(cy_compression c);

typedef struct cy_parquet_read_options {
  const char *const *columns; /**< columns to read (projection); NULL = all */
  int32_t num_columns;
  const int32_t *row_groups;  /**< row groups to read; NULL = all */
  int32_t num_row_groups;
  /** Skip row groups whose min/max statistics prove this predicate false for every row
   *  (rows of the groups read are not filtered). NULL = none. */
  const cy_expr *predicate;
  bool verify_checksums;      /**< check page CRCs where present; default true */
  int num_threads;            /**< 0 = cy_num_threads() */
} cy_parquet_read_options;

void cy_parquet_read_options_init(cy_parquet_read_options *opts);
/** Read a Parquet file (any URL cy_input_open takes) into one table. A column this reader
 *  cannot hold (nested: list, map, struct) is an error naming it, unless projected away. */
cy_status cy_parquet_read(const char *url, const cy_parquet_read_options *opts,
                          cy_table **out, cy_error *err);
/** Read a Parquet file as a stream of batches, one per row group. */
cy_status cy_parquet_open(const char *url, const cy_parquet_read_options *opts,
                          cy_batch_reader *out, cy_error *err);

/** What a Parquet footer says, without reading data. */
typedef struct cy_parquet_info {
  cy_schema schema;       /**< as cylon will read it (unreadable columns are left out) */
  int64_t num_rows;
  int32_t num_row_groups;
  int64_t *row_group_rows; /**< rows of each row group (num_row_groups of them) */
  char *created_by;       /**< the writer, or NULL */
  char *unreadable;       /**< columns the reader refuses and why, or NULL */
} cy_parquet_info;

cy_status cy_parquet_read_info(const char *url, cy_parquet_info *out, cy_error *err);
void cy_parquet_info_reset(cy_parquet_info *info);

typedef struct cy_parquet_write_options {
  cy_compression compression; /**< default snappy */
  int compression_level;      /**< 0 = the codec's default */
  int64_t row_group_rows;     /**< rows per row group; default 1,048,576 */
  int64_t page_bytes;         /**< target data page size; default 1 MiB */
  bool dictionary;            /**< dictionary-encode, falling back to PLAIN; default true */
  int64_t dictionary_page_bytes; /**< past this a column falls back to PLAIN; default 1 MiB */
  bool statistics;            /**< write min/max/null counts; default true */
  bool checksums;             /**< write each page's CRC-32 (readers can then detect a
                                   damaged page); default true */
  int num_threads;            /**< 0 = cy_num_threads() */
} cy_parquet_write_options;

void cy_parquet_write_options_init(cy_parquet_write_options *opts);
/** Write a table as a Parquet file (any URL cy_output_open takes); all or nothing. */
cy_status cy_parquet_write(const cy_table *table, const char *url,
                           const cy_parquet_write_options *opts, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Arrow IPC (the stream and file formats of the Arrow columnar specification)
 * ------------------------------------------------------------------------------------- */

typedef struct cy_ipc_write_options {
  bool file_format;    /**< true: the file format (magic, footer); false: the stream format */
  int64_t batch_rows;  /**< rows per record batch; 0 = one batch */
} cy_ipc_write_options;

void cy_ipc_write_options_init(cy_ipc_write_options *opts);
/** Write a table in the Arrow IPC stream or file format; all or nothing. */
cy_status cy_ipc_write(const cy_table *table, const char *url, const cy_ipc_write_options *opts,
                       cy_error *err);
/** Read an Arrow IPC stream or file (told apart by the file magic) into one table;
 *  dictionary-encoded columns are decoded. */
cy_status cy_ipc_read(const char *url, cy_table **out, cy_error *err);
/** Read an Arrow IPC stream or file as a stream of batches. */
cy_status cy_ipc_open(const char *url, cy_batch_reader *out, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * HDF5 (through Debian's libhdf5; local files only)
 *
 * A table is either a group holding one 1-D dataset per column (CY_HDF5_COLUMNS: the
 * group's "columns" attribute gives their order, else creation or name order) or one 1-D
 * dataset of compound records, one per row (CY_HDF5_COMPOUND). Integers, floats, bool (the
 * FALSE/TRUE int8 enum that h5py and PyTables write) and strings (variable or fixed length)
 * map to the matching cylon types; date32 and timestamps are int32 / int64 datasets whose
 * "cylon_type" attribute ("cylon_type:NAME" on a compound dataset) names the type. Nulls in
 * the columns layout live in a bool dataset GROUP/_validity/NAME (true = valid); the
 * compound layout has no place for them, so writing nulls there is an error. See
 * docs/hdf5.md.
 * ------------------------------------------------------------------------------------- */

typedef enum cy_hdf5_layout {
  CY_HDF5_COLUMNS = 0, /**< a group of 1-D datasets, one per column */
  CY_HDF5_COMPOUND     /**< one 1-D dataset of compound records */
} cy_hdf5_layout;

typedef struct cy_hdf5_read_options {
  /** The group or dataset inside the file; NULL = a key given as FILE:/KEY in the path,
   *  else "/table" when the file has it, else the root's only member, else the root. */
  const char *key;
  int64_t chunk_rows; /**< rows per read call (bounds temporary memory); default 65536 */
} cy_hdf5_read_options;

/** Fill opts with the defaults listed above. */
void cy_hdf5_read_options_init(cy_hdf5_read_options *opts);
/** Read one table from an HDF5 file (a local path; FILE:/KEY names the group or dataset).
 *  Errors name the file, the dataset and the cause (HDF5's own error stack turned into
 *  the message; nothing printed). */
cy_status cy_hdf5_read(const char *path, const cy_hdf5_read_options *opts, cy_table **out,
                       cy_error *err);

typedef struct cy_hdf5_write_options {
  const char *key;       /**< where the table goes; NULL = FILE:/KEY's key, else "/table" */
  cy_hdf5_layout layout; /**< default CY_HDF5_COLUMNS */
  bool fixed_strings;    /**< fixed-length (the longest value) instead of variable-length
                              strings; default false */
  bool append;           /**< add the table to an existing file (replacing what is at key)
                              instead of writing a new file; default false */
  int64_t chunk_rows;    /**< rows per HDF5 chunk; default 65536 */
  int compression_level; /**< gzip level 1-9 of the chunks; default 0 = none */
} cy_hdf5_write_options;

/** Fill opts with the defaults listed above. */
void cy_hdf5_write_options_init(cy_hdf5_write_options *opts);
/** Write a table into an HDF5 file, all or nothing: a new file is written beside the
 *  target and renamed; in append mode the table is built under a temporary name in the
 *  file and linked at key only when complete. */
cy_status cy_hdf5_write(const cy_table *table, const char *path,
                        const cy_hdf5_write_options *opts, cy_error *err);
/** True when path names an HDF5 file by extension, with or without a :/KEY suffix. */
bool cy_hdf5_is_path(const char *path);

/* ---------------------------------------------------------------------------------------
 * Datasets: one file, or a directory / key prefix of part files
 * ------------------------------------------------------------------------------------- */

/** Read rank's share of the dataset at url when `world` readers split it (world = 1: the
 *  whole dataset as one table). Shares are by file (files sorted by name, dealt out in
 *  contiguous runs) or, for a single Parquet file, by row group. A rank with no share gets
 *  an empty table with the dataset's schema. */
struct cy_table_read_options;
cy_status cy_dataset_read(const char *url, const struct cy_table_read_options *opts,
                          int32_t rank, int32_t world, cy_table **out, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Tables as files, in a format named or told by the file's extension
 * ------------------------------------------------------------------------------------- */

typedef enum cy_file_format {
  CY_FORMAT_AUTO = 0, /**< from the path's extension */
  CY_FORMAT_CSV,      /**< .csv, .tsv, .txt */
  CY_FORMAT_PARQUET,  /**< .parquet, .pq */
  CY_FORMAT_IPC,      /**< .arrow, .arrows, .ipc, .feather */
  CY_FORMAT_HDF5      /**< .h5, .hdf5, .hdf, .he5; FILE:/KEY picks the table inside */
} cy_file_format;

/** The format called name ("csv", any case); an error lists the known ones. */
cy_status cy_file_format_parse(const char *name, cy_file_format *out, cy_error *err);
/** The format a path's extension implies; an error names the extension. */
cy_status cy_file_format_of_path(const char *path, cy_file_format *out, cy_error *err);
/** "csv" (and "auto"). */
const char *cy_file_format_name(cy_file_format format);

typedef struct cy_table_read_options {
  cy_file_format format;   /**< default CY_FORMAT_AUTO */
  cy_csv_read_options csv; /**< CSV settings (cy_csv_read_options_init defaults) */
  cy_parquet_read_options parquet; /**< Parquet settings */
  cy_hdf5_read_options hdf5;       /**< HDF5 settings */
} cy_table_read_options;

void cy_table_read_options_init(cy_table_read_options *opts);
/** Read a whole table from a file in opts->format (or the extension's); opts may be NULL
 *  for the defaults. */
cy_status cy_table_read_file(const char *path, const cy_table_read_options *opts,
                             cy_table **out, cy_error *err);

typedef struct cy_table_write_options {
  cy_file_format format;    /**< default CY_FORMAT_AUTO */
  cy_csv_write_options csv; /**< CSV settings (cy_csv_write_options_init defaults) */
  cy_parquet_write_options parquet; /**< Parquet settings */
  cy_ipc_write_options ipc;         /**< Arrow IPC settings */
  cy_hdf5_write_options hdf5;       /**< HDF5 settings */
} cy_table_write_options;

void cy_table_write_options_init(cy_table_write_options *opts);
/** Write a table to a file in opts->format (or the extension's); opts may be NULL. The
 *  file appears only when complete, so a failure never leaves half a file. */
cy_status cy_table_write_file(const cy_table *table, const char *path,
                              const cy_table_write_options *opts, cy_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CYLON_IO_H */
