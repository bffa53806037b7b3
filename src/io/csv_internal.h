/*
 * csv_internal.h - the pieces of the CSV reader shared by its files (private).
 *
 *   csv_tokenize.c  dialect, fields and records (quotes), splitting a block of text into
 *                   record-aligned chunks, error positions
 *   csv_parse.c     typed parsing of one chunk, and appending a block's chunks to columns
 *   csv_block.c     the input (a file or memory) read block by block into one recycled
 *                   buffer, and the loop that parses each block on all threads
 *   csv_read.c      options, header and type inference, and the whole-file read
 *   csv_stream.c    the streaming reader: one batch per block
 *
 * Reading in blocks keeps memory bounded by the output plus one buffer, and keeps the
 * input in memory that is already mapped and warm, which matters more than it should on
 * virtual machines where first touches of pages are expensive.
 *
 * The text the parser sees always has a NUL byte after its end (a sentinel), so the inner
 * loops scan without bounds checks and stop at the NUL; a NUL before the end is data and
 * goes to the slow path.
 */
#ifndef CYLON_CSV_INTERNAL_H
#define CYLON_CSV_INTERNAL_H

#include "cylon/io.h"
#include "core/text_parse.h"

/* Zero bytes kept after the text: a NUL sentinel, and room for 8-byte reads near the end. */
#define CSV_PADDING 16

/* How a column's fields are converted (one per storage shape). */
typedef enum csv_kind {
  K_BOOL,
  K_INT8,
  K_INT16,
  K_INT32,
  K_INT64,
  K_UINT8,
  K_UINT16,
  K_UINT32,
  K_UINT64,
  K_FLOAT32,
  K_FLOAT64,
  K_DATE32,
  K_TIMESTAMP,
  K_DECIMAL,
  K_STRING, /* utf8 and large utf8: checked for valid UTF-8 */
  K_BINARY  /* binary and large binary: raw bytes */
} csv_kind;

/* One column as the parser sees it. */
typedef struct csv_column {
  char *name;
  cy_type type;
  csv_kind kind;
  int width;         /* bytes per value (bool: 1 byte per row while parsing) */
  bool inferred;     /* type came from the sample and may be widened */
  cy_text_kind text; /* inferred kind (when inferred) */
  bool fast;         /* no null marker can be read as a value: fast paths allowed */
} csv_column;

/* The reader's settings, resolved from the options. */
typedef struct csv_dialect {
  char delim;
  char quote;
  bool quoted_nulls;
  const char *const *nulls;
  int32_t num_nulls;
  uint64_t null_lengths; /* bit k set when some marker has length k (k < 64) */
  bool long_null;        /* some marker is 64 bytes or longer */
  uint8_t stop[256];     /* ends an unquoted field: delimiter, CR, LF, NUL */
} csv_dialect;

/* A text being read: bytes [data, end) with a NUL at end, and a name for errors. */
typedef struct csv_text {
  const char *data;
  const char *end;
  const char *name;
  int64_t line_base; /* lines before data (earlier blocks) */
} csv_text;

/* One field as found in the text. */
typedef struct csv_field {
  const char *ptr;
  int64_t len;
  bool quoted;
  bool escaped;      /* contains doubled quotes: ptr/len still include them */
  bool unterminated; /* (on error) a quoted field ran to the end of the text */
} csv_field;

/* The growing output of one column. Chunks write fixed-width values straight into
 * `values` at their rows; var-width columns get chunk-relative end offsets there (fixed up
 * when the block is appended) and their bytes in the chunk, copied into `data`. */
typedef struct csv_output {
  cy_buffer *values;   /* values, offsets (rows + 1), or the bool bitmap */
  cy_buffer *validity; /* bitmap, made at the first null */
  cy_buffer *data;     /* string bytes */
  int64_t data_len;
  bool large; /* 64-bit offsets */
} csv_output;

/* What one chunk keeps of one column besides the shared output. */
typedef struct csv_part {
  cy_buffer *valid; /* one byte per row, made at the first null (preset to valid) */
  cy_buffer *bools; /* bool values, one byte per row */
  cy_buffer *data;  /* string bytes */
  int64_t data_len;
} csv_part;

/* One chunk of records and what parsing it found. */
typedef struct csv_chunk {
  const char *start; /* first record */
  const char *stop;  /* records start before this */
  const char *ended; /* where parsing ended (must equal the next chunk's start) */
  bool done;         /* parsed without error */
  bool overflow;     /* more records than its bound (lone CRs end records too) */
  int64_t row_base;  /* first output row */
  int64_t capacity;  /* most rows it can hold */
  int64_t newlines;  /* LFs in [start, stop) */
  int64_t rows;
  csv_part *parts;     /* one per column */
  cy_text_kind *widen; /* per column: a wider kind that a value needed, or 0 */
  bool needs_widen;
  int32_t index;       /* position in the block: which spare buffers it reuses */
} csv_chunk;

/* A parse in progress: the text, dialect, columns and their outputs. */
typedef struct csv_parser {
  csv_text text;
  csv_dialect dialect;
  int32_t num_columns;
  csv_column *columns;
  csv_output *outputs;
  csv_part *spares;         /* per chunk slot and column: buffers kept for the next block */
  int32_t spare_slots;      /* chunk slots in spares */
  int64_t rows;             /* rows in the outputs */
  int64_t avg_record_bytes; /* from the sample */
  int64_t expected_rows;    /* rows the whole input probably has (0: unknown) */
  int threads;
} csv_parser;

/* Where the bytes come from: a file descriptor, an object store input (s3://) or memory,
 * read into a recycled buffer. */
typedef struct csv_source {
  int fd;          /* -1 for memory and inputs */
  cy_input *input; /* an object read through read_at (owned), or NULL */
  const char *mem; /* memory input */
  int64_t mem_size;
  int64_t pos;     /* bytes consumed from the input so far */
  char *buf;       /* buffer; CSV_PADDING zero bytes follow buf[len] */
  int64_t cap;
  int64_t len;
  int64_t block;   /* bytes to aim for per block */
  int64_t size;    /* bytes in the whole input, or -1 when unknown (a pipe) */
  bool eof;        /* the input has nothing more after buf[len] */
  const char *name;
} csv_source;

/* ---- csv_tokenize.c ---- */
cy_status csv_dialect_init(csv_dialect *d, const cy_csv_read_options *opts, cy_error *err);
bool csv_is_null(const csv_dialect *d, const csv_field *f);
/* Read one field at p; *p is left at its terminator (delimiter, CR, LF or the end).
 * ps and column only name the place in errors (ps may be NULL). */
cy_status csv_next_field(const csv_text *t, const csv_dialect *d, const char **p,
                         csv_field *f, const csv_parser *ps, int32_t column, cy_error *err);
/* After a field: consume the delimiter (returns 1), a record end (returns 0, p after it). */
int csv_after_field(const csv_text *t, const csv_dialect *d, const char **p);
/* Copy a field's content into buf without the doubled quotes; returns the length. */
int64_t csv_unescape(const csv_dialect *d, const csv_field *f, char *buf);
/* Read the fields of one record at p (at most max stored; *count gets the true count).
 * On failure *cut (may be NULL) tells whether a quoted field ran to the end of the text,
 * so that more input could complete it. */
cy_status csv_read_record(const csv_text *t, const csv_dialect *d, const char **p,
                          csv_field *fields, int32_t max, int32_t *count, bool *cut,
                          cy_error *err);
/* True when p starts an empty line (LF, CRLF or CR). */
static inline bool csv_blank_line(const char *p) { return *p == '\n' || *p == '\r'; }
/* The end of the last complete record in [from, t->end) found by tokenizing from `from`
 * (exact, also with stray quotes); t->end itself when at_eof. */
const char *csv_last_record_end(const csv_text *t, const csv_dialect *d, const char *from,
                                bool at_eof);
/* Split the complete records of [from, t->end) into at most n record-aligned pieces:
 * bounds gets pieces + 1 pointers (the last is the end of the last complete record, or
 * t->end when at_eof), newlines[k] the newlines in piece k. Zero pieces when no record is
 * complete. */
cy_status csv_split(const csv_text *t, const csv_dialect *d, const char *from, int32_t n,
                    int threads, bool at_eof, const char **bounds, int64_t *newlines,
                    int32_t *pieces, cy_error *err);
/* Newlines in [from, to). */
int64_t csv_count_newlines(const char *from, const char *to);
/* Records that can start in [from, to): at most one per LF or CR, plus one. */
int64_t csv_max_records(const char *from, const char *to);
/* Set err to "NAME: line L, column C ("name"): MESSAGE" for position pos (column < 0:
 * the line only; ps NULL: the field number only). */
void csv_error_at(const csv_text *t, const char *pos, const csv_parser *ps, int32_t column,
                  cy_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* ---- csv_parse.c ---- */
cy_status csv_column_set_type(csv_column *col, cy_type type, const csv_dialect *d,
                              cy_error *err);
cy_status csv_parse_chunk(const csv_parser *ps, csv_chunk *ck, cy_error *err);
/* Make room for n chunk slots of spare buffers. */
cy_status csv_spares_reserve(csv_parser *ps, int32_t n, cy_error *err);
/* Give a chunk's buffers back to its spare slot (or free them) and clear it. */
void csv_chunk_recycle(csv_parser *ps, csv_chunk *ck);
void csv_spares_reset(csv_parser *ps);
/* Make room in the outputs for n chunks after ps->rows, setting their row_base. */
cy_status csv_outputs_reserve(csv_parser *ps, csv_chunk *chunks, int32_t n, cy_error *err);
/* Append the parsed rows of n chunks (in order) to the outputs; advances ps->rows. */
cy_status csv_outputs_append(csv_parser *ps, csv_chunk *chunks, int32_t n, cy_error *err);
/* Turn the outputs into a table and empty them. */
cy_status csv_outputs_finish(csv_parser *ps, cy_table **out, cy_error *err);
void csv_outputs_reset(csv_parser *ps);

/* ---- csv_block.c ---- */
/* Open a local path, or an s3:// URL through cy_input_open. */
cy_status csv_source_open_file(csv_source *src, const char *path, int64_t block,
                               cy_error *err);
void csv_source_open_memory(csv_source *src, const char *data, int64_t size, const char *name,
                            int64_t block);
/* Drop the first `used` bytes of the buffer and read more, so that it holds at least
 * `want` bytes unless the input ends. */
cy_status csv_source_refill(csv_source *src, int64_t used, int64_t want, cy_error *err);
/* Start again from the beginning of the input. */
cy_status csv_source_rewind(csv_source *src, cy_error *err);
void csv_source_close(csv_source *src);
/* Parse the complete records of the buffer from `from` on all threads and append them to
 * the outputs. *used gets the bytes consumed; *widen is set when a value did not fit an
 * inferred type (the columns' types are then already widened and the caller must start
 * over). */
cy_status csv_parse_block(csv_parser *ps, csv_source *src, const char *from, int64_t *used,
                          bool *widen, cy_error *err);

/* ---- csv_read.c ---- */
/* Read the header and infer or set the column types from the start of the buffer (reading
 * more until a full sample or the end). *body gets the offset of the first data record. */
cy_status csv_prepare(csv_parser *ps, csv_source *src, const cy_csv_read_options *opts,
                      int64_t *body, cy_error *err);
void csv_parser_reset(csv_parser *ps);

#endif
