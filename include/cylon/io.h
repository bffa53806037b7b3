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

/** Read a whole CSV file into one table, parsing chunks on all threads. Errors name the
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
/** Write a table as CSV. The file appears only when complete (written to a temporary name
 *  beside it, then renamed), so a failure never leaves half a file. */
cy_status cy_csv_write(const cy_table *table, const char *path, const cy_csv_write_options *opts,
                       cy_error *err);
/** Write a table as CSV to an open stream. */
cy_status cy_csv_write_stream(const cy_table *table, FILE *out, const cy_csv_write_options *opts,
                              cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Tables as files, in a format named or told by the file's extension
 * ------------------------------------------------------------------------------------- */

typedef enum cy_file_format {
  CY_FORMAT_AUTO = 0, /**< from the path's extension */
  CY_FORMAT_CSV       /**< .csv, .tsv, .txt */
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
} cy_table_read_options;

void cy_table_read_options_init(cy_table_read_options *opts);
/** Read a whole table from a file in opts->format (or the extension's); opts may be NULL
 *  for the defaults. */
cy_status cy_table_read_file(const char *path, const cy_table_read_options *opts,
                             cy_table **out, cy_error *err);

typedef struct cy_table_write_options {
  cy_file_format format;    /**< default CY_FORMAT_AUTO */
  cy_csv_write_options csv; /**< CSV settings (cy_csv_write_options_init defaults) */
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
