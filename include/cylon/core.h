/*
 * cylon/core.h - the core layer: errors, memory, buffers, bitmaps, types, columns, tables.
 *
 * Data follows the Arrow columnar layout (DESIGN.md section 3) so that Arrow consumers take
 * our buffers without copying: a validity bitmap (LSB bit order, 1 = valid), a values
 * buffer (fixed width values, bit-packed booleans, or int32/int64 offsets for strings and
 * binary) and, for variable width types, a data buffer of bytes.
 *
 * Conventions (after nanoarrow): every fallible function returns a cy_status (CY_OK = 0,
 * otherwise an errno value) and, when the caller passes a cy_error, writes a message that
 * names the cause. Objects are reference counted (retain / release); a function that
 * returns an object through an out pointer gives the caller one reference. On failure
 * nothing is returned and nothing leaks.
 */
#ifndef CYLON_CORE_H
#define CYLON_CORE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Status and errors
 * ------------------------------------------------------------------------------------- */

/** 0 on success, otherwise an errno value saying what kind of failure it was. */
typedef int cy_status;

#define CY_OK 0
#define CY_EINVAL EINVAL   /**< bad argument, schema mismatch, malformed input */
#define CY_ENOMEM ENOMEM   /**< allocation failed */
#define CY_EIO EIO         /**< read or write failed */
#define CY_ENOENT ENOENT   /**< file or column not found */
#define CY_ENOTSUP ENOTSUP /**< valid request that is not supported */
#define CY_ERANGE ERANGE   /**< value out of range for its type */

/** A message describing the last failure; callers may pass NULL to ignore it. */
typedef struct cy_error {
  char message[1024];
} cy_error;

/** Set err's message with printf-style formatting (no-op when err is NULL). */
void cy_error_set(cy_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Prepend context ("reading x.csv: ") to err's existing message. */
void cy_error_prefix(cy_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** A short name for a status code ("EINVAL" ...). */
const char *cy_status_name(cy_status status);

/** Return from the calling function when expr fails. */
#define CY_RETURN_NOT_OK(expr)      \
  do {                              \
    cy_status cy_status_ = (expr);  \
    if (cy_status_ != CY_OK) {      \
      return cy_status_;            \
    }                               \
  } while (0)

/* ---------------------------------------------------------------------------------------
 * Memory accounting
 * ------------------------------------------------------------------------------------- */

/** Bytes currently allocated for buffers by this process (foreign memory excluded). */
int64_t cy_memory_current(void);
/** Highest value cy_memory_current() has reached since start or the last reset. */
int64_t cy_memory_peak(void);
/** Restart peak tracking from the current figure. */
void cy_memory_reset_peak(void);
/** Allocate size bytes aligned to 64 and count them; NULL on failure. */
void *cy_alloc(int64_t size);
/** Resize a block from cy_alloc keeping contents and 64-byte alignment; NULL on failure. */
void *cy_realloc(void *ptr, int64_t old_size, int64_t new_size);
/** Free a block from cy_alloc (size must be what was allocated). */
void cy_free(void *ptr, int64_t size);

/* ---------------------------------------------------------------------------------------
 * Buffers
 * ------------------------------------------------------------------------------------- */

/** Called when the last reference to a foreign buffer goes. */
typedef void (*cy_buffer_release_fn)(void *data, int64_t size, void *private_data);

/** A reference-counted, 64-byte aligned block of bytes, owned or wrapping foreign memory. */
typedef struct cy_buffer {
  uint8_t *data;
  int64_t size;     /**< bytes in use */
  int64_t capacity; /**< bytes allocated (owned buffers only) */
  int64_t refcount; /**< accessed atomically */
  bool owned;       /**< memory from cy_alloc, freed with the buffer */
  cy_buffer_release_fn release; /**< foreign buffers: called at the last release */
  void *private_data;
} cy_buffer;

/** Allocate a buffer of size bytes (contents undefined; size may be 0). */
cy_status cy_buffer_alloc(int64_t size, cy_buffer **out, cy_error *err);
/** Allocate a buffer of size zeroed bytes. */
cy_status cy_buffer_alloc_zeroed(int64_t size, cy_buffer **out, cy_error *err);
/** Wrap foreign memory; release (if not NULL) is called when the last reference goes. */
cy_status cy_buffer_wrap(void *data, int64_t size, cy_buffer_release_fn release,
                         void *private_data, cy_buffer **out, cy_error *err);
/** Grow or shrink an owned, unshared buffer to size bytes, keeping its contents. */
cy_status cy_buffer_resize(cy_buffer *buf, int64_t size, cy_error *err);
/** Make sure an owned, unshared buffer can hold capacity bytes without reallocating. */
cy_status cy_buffer_reserve(cy_buffer *buf, int64_t capacity, cy_error *err);
/** Give back the capacity of an owned, unshared buffer beyond its size. */
cy_status cy_buffer_shrink_to_fit(cy_buffer *buf, cy_error *err);
/** Take one more reference; returns buf. NULL is allowed. */
cy_buffer *cy_buffer_retain(cy_buffer *buf);
/** Drop one reference, freeing on the last. NULL is allowed. */
void cy_buffer_release(cy_buffer *buf);

/* ---------------------------------------------------------------------------------------
 * Bitmaps (LSB order, as Arrow)
 * ------------------------------------------------------------------------------------- */

static inline bool cy_bit_get(const uint8_t *bits, int64_t i) {
  return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void cy_bit_set(uint8_t *bits, int64_t i) {
  bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static inline void cy_bit_clear(uint8_t *bits, int64_t i) {
  bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}
static inline void cy_bit_set_to(uint8_t *bits, int64_t i, bool v) {
  bits[i >> 3] = (uint8_t)((bits[i >> 3] & ~(1u << (i & 7))) | ((unsigned)v << (i & 7)));
}
/** Bytes needed for a bitmap of n bits. */
static inline int64_t cy_bitmap_bytes(int64_t n) { return (n + 7) >> 3; }
/** Number of set bits in bits[offset, offset + length). */
int64_t cy_bitmap_count_set(const uint8_t *bits, int64_t offset, int64_t length);
/** Copy length bits from src at src_offset to dst at dst_offset. */
void cy_bitmap_copy(uint8_t *dst, int64_t dst_offset, const uint8_t *src, int64_t src_offset,
                    int64_t length);
/** Set bits [offset, offset + length) of dst to value. */
void cy_bitmap_fill(uint8_t *dst, int64_t offset, int64_t length, bool value);

/* ---------------------------------------------------------------------------------------
 * Types
 * ------------------------------------------------------------------------------------- */

typedef enum cy_type_id {
  CY_BOOL = 1,
  CY_INT8,
  CY_INT16,
  CY_INT32,
  CY_INT64,
  CY_UINT8,
  CY_UINT16,
  CY_UINT32,
  CY_UINT64,
  CY_FLOAT32,
  CY_FLOAT64,
  CY_UTF8,         /**< int32 offsets */
  CY_LARGE_UTF8,   /**< int64 offsets */
  CY_BINARY,       /**< int32 offsets */
  CY_LARGE_BINARY, /**< int64 offsets */
  CY_DATE32,       /**< int32 days since 1970-01-01 */
  CY_TIMESTAMP,    /**< int64 since the epoch in `unit`, optional time zone */
  CY_DECIMAL128    /**< 16-byte little-endian two's complement, with precision and scale */
} cy_type_id;

#define CY_TYPE_ID_MAX CY_DECIMAL128

typedef enum cy_time_unit { CY_SECOND = 0, CY_MILLI, CY_MICRO, CY_NANO } cy_time_unit;

/** A data type; a plain value that may be copied freely. */
typedef struct cy_type {
  cy_type_id id;
  cy_time_unit unit;  /**< CY_TIMESTAMP only */
  int32_t precision;  /**< CY_DECIMAL128 only */
  int32_t scale;      /**< CY_DECIMAL128 only */
  char timezone[64];  /**< CY_TIMESTAMP only; "" for none */
} cy_type;

/** A type with no parameters (anything but timestamp and decimal). */
cy_type cy_type_make(cy_type_id id);
/** A timestamp type; tz may be NULL or "" for a zone-less timestamp. */
cy_type cy_type_timestamp(cy_time_unit unit, const char *tz);
/** A decimal128 type of the given precision (1..38) and scale. */
cy_type cy_type_decimal128(int32_t precision, int32_t scale);
/** True when a and b are the same type, parameters included. */
bool cy_type_equals(const cy_type *a, const cy_type *b);
/** Width in bits of one value (1 for bool), or 0 for variable width types. */
int cy_type_bit_width(cy_type_id id);
/** True for utf8, large utf8, binary and large binary. */
bool cy_type_is_var_width(cy_type_id id);
/** True for the 64-bit offset variants. */
bool cy_type_is_large(cy_type_id id);
/** True for signed and unsigned integer types. */
bool cy_type_is_integer(cy_type_id id);
/** True for integer and floating point types. */
bool cy_type_is_numeric(cy_type_id id);
/** Write a type's name ("int64", "timestamp[us, UTC]", "decimal128(10, 2)") into buf. */
const char *cy_type_name(const cy_type *type, char *buf, size_t size);
/** Parse a type name as written by cy_type_name or a common alias ("string", "double",
 *  "bigint", "date", "timestamp"). */
cy_status cy_type_parse(const char *name, cy_type *out, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Columns
 * ------------------------------------------------------------------------------------- */

/**
 * One contiguous array of values of one type. `offset` (in elements) applies to all
 * buffers, as in Arrow, so slices share buffers. For var-width types, `values` holds
 * length + 1 offsets (from `offset`) into `data`. Columns are immutable once built.
 */
typedef struct cy_column {
  cy_type type;
  int64_t length;
  int64_t offset;
  int64_t null_count;
  cy_buffer *validity; /**< NULL when no value is null */
  cy_buffer *values;
  cy_buffer *data;     /**< var-width types only */
  int64_t refcount;    /**< accessed atomically */
} cy_column;

/** Make a column from buffers; takes over the caller's references to them (also on
 *  failure). Counts nulls when null_count < 0. Checks buffer sizes against the length. */
cy_status cy_column_make(cy_type type, int64_t length, int64_t offset, int64_t null_count,
                         cy_buffer *validity, cy_buffer *values, cy_buffer *data,
                         cy_column **out, cy_error *err);
/** Copy n fixed-width values from a C array. valid (one byte per row, nonzero = valid)
 *  may be NULL for no nulls. For CY_BOOL, values are bytes (0 / nonzero). */
cy_status cy_column_from_values(cy_type type, const void *values, const uint8_t *valid,
                                int64_t n, cy_column **out, cy_error *err);
/** Copy n NUL-terminated strings; a NULL pointer makes a null. */
cy_status cy_column_from_strings(const char *const *strings, int64_t n, cy_column **out,
                                 cy_error *err);
/** A column of n nulls of the given type. */
cy_status cy_column_nulls(cy_type type, int64_t n, cy_column **out, cy_error *err);
/** Zero-copy slice [start, start + length) (clamped to the column). */
cy_status cy_column_slice(cy_column *col, int64_t start, int64_t length, cy_column **out,
                          cy_error *err);
/** Take one more reference to col; returns col. NULL is allowed. */
cy_column *cy_column_retain(cy_column *col);
/** Drop one reference, freeing the column (and its buffer references) on the last. */
void cy_column_release(cy_column *col);

/** True when row i is not null. */
static inline bool cy_column_is_valid(const cy_column *col, int64_t i) {
  return col->validity == NULL || cy_bit_get(col->validity->data, col->offset + i);
}
/** Start of the fixed-width values of the column (slice offset applied); not for bool. */
static inline const void *cy_column_data(const cy_column *col) {
  return col->values->data + (col->offset * (cy_type_bit_width(col->type.id) / 8));
}
/** Bytes of var-width row i. */
static inline const uint8_t *cy_column_bytes(const cy_column *col, int64_t i, int64_t *len) {
  int64_t k = col->offset + i;
  int64_t start, end;
  if (cy_type_is_large(col->type.id)) {
    const int64_t *o = (const int64_t *)col->values->data;
    start = o[k];
    end = o[k + 1];
  } else {
    const int32_t *o = (const int32_t *)col->values->data;
    start = o[k];
    end = o[k + 1];
  }
  *len = end - start;
  return col->data->data + start;
}
/** Boolean value of row i of a CY_BOOL column. */
static inline bool cy_column_bool(const cy_column *col, int64_t i) {
  return cy_bit_get(col->values->data, col->offset + i);
}

/* ---------------------------------------------------------------------------------------
 * Builders: grow a column value by value
 * ------------------------------------------------------------------------------------- */

typedef struct cy_builder {
  cy_type type;
  int64_t length;
  int64_t null_count;
  int64_t capacity;      /**< rows the values buffer holds */
  int64_t data_length;   /**< bytes used in data (var-width) */
  cy_buffer *validity;   /**< allocated at the first null */
  cy_buffer *values;
  cy_buffer *data;
} cy_builder;

/** Start an empty builder for type with room for capacity rows. */
cy_status cy_builder_init(cy_builder *b, cy_type type, int64_t capacity, cy_error *err);
/** Make room for n more rows (and data_bytes more bytes for var-width types). */
cy_status cy_builder_reserve(cy_builder *b, int64_t n, int64_t data_bytes, cy_error *err);
/** Append one null. */
cy_status cy_builder_append_null(cy_builder *b, cy_error *err);
/** Append n nulls. */
cy_status cy_builder_append_nulls(cy_builder *b, int64_t n, cy_error *err);
/** Append an integer to an integer, bool (0/1), date32 or timestamp column; checks range. */
cy_status cy_builder_append_int(cy_builder *b, int64_t v, cy_error *err);
/** Append an unsigned integer to an integer column; checks range. */
cy_status cy_builder_append_uint(cy_builder *b, uint64_t v, cy_error *err);
/** Append to a float32 or float64 column. */
cy_status cy_builder_append_double(cy_builder *b, double v, cy_error *err);
/** Append bytes to a utf8 or binary column. */
cy_status cy_builder_append_bytes(cy_builder *b, const void *bytes, int64_t len,
                                  cy_error *err);
/** Append a decimal128 given as its low and high 64-bit halves. */
cy_status cy_builder_append_decimal128(cy_builder *b, uint64_t lo, int64_t hi, cy_error *err);
/** Append rows [start, start + n) of col, which must have the builder's type. */
cy_status cy_builder_append_column(cy_builder *b, const cy_column *col, int64_t start,
                                   int64_t n, cy_error *err);
/** Hand over the built column and reset the builder. */
cy_status cy_builder_finish(cy_builder *b, cy_column **out, cy_error *err);
/** Free what the builder holds; it may be initialised again. */
void cy_builder_reset(cy_builder *b);

/* ---------------------------------------------------------------------------------------
 * Schemas and tables
 * ------------------------------------------------------------------------------------- */

typedef struct cy_field {
  char *name;
  cy_type type;
} cy_field;

/** An ordered list of named fields; owns its names. */
typedef struct cy_schema {
  int32_t num_fields;
  cy_field *fields;
} cy_schema;

/** Fill out with a deep copy of schema. */
cy_status cy_schema_copy(const cy_schema *schema, cy_schema *out, cy_error *err);
/** Free the schema's fields; leaves an empty schema. */
void cy_schema_reset(cy_schema *schema);
/** True when both have the same names and types in the same order. */
bool cy_schema_equals(const cy_schema *a, const cy_schema *b);
/** Index of the field called name, or -1. */
int32_t cy_schema_find(const cy_schema *schema, const char *name);
/** Write "(k: int64, v: utf8)" into buf (truncated to size). */
const char *cy_schema_format(const cy_schema *schema, char *buf, size_t size);

/** A schema plus columns of equal length. Tables are reference counted. */
typedef struct cy_table {
  cy_schema schema;
  int64_t num_rows;
  cy_column **columns;
  int64_t refcount; /**< accessed atomically */
} cy_table;

/** Make a table from n named columns, taking a new reference to each column. Column
 *  lengths must agree and names must be distinct. */
cy_status cy_table_make(int32_t n, const char *const *names, cy_column *const *columns,
                        cy_table **out, cy_error *err);
/** An empty (zero-row) table with the given schema. */
cy_status cy_table_make_empty(const cy_schema *schema, cy_table **out, cy_error *err);
/** Zero-copy slice of rows [start, start + length), clamped to the table. */
cy_status cy_table_slice(cy_table *table, int64_t start, int64_t length, cy_table **out,
                         cy_error *err);
/** Zero-copy projection of columns by index; new_names may be NULL to keep names. */
cy_status cy_table_project(cy_table *table, int32_t n, const int32_t *indices,
                           const char *const *new_names, cy_table **out, cy_error *err);
/** Zero-copy projection by name. */
cy_status cy_table_select_columns(cy_table *table, int32_t n, const char *const *names,
                                  cy_table **out, cy_error *err);
/** The column called name, or NULL (no new reference). */
cy_column *cy_table_column_by_name(const cy_table *table, const char *name);
/** Take one more reference to table; returns table. NULL is allowed. */
cy_table *cy_table_retain(cy_table *table);
/** Drop one reference, freeing the table (and its column references) on the last. */
void cy_table_release(cy_table *table);
/** Bytes of buffer memory the table references (shared buffers counted once per use). */
int64_t cy_table_nbytes(const cy_table *table);

/* ---------------------------------------------------------------------------------------
 * Batch readers: a stream of tables with one schema (like ArrowArrayStream)
 * ------------------------------------------------------------------------------------- */

typedef struct cy_batch_reader {
  /** Fill out with a copy of the stream's schema. */
  cy_status (*get_schema)(struct cy_batch_reader *self, cy_schema *out, cy_error *err);
  /** Set *out to the next batch, or to NULL at the end of the stream. */
  cy_status (*next)(struct cy_batch_reader *self, cy_table **out, cy_error *err);
  /** Free the reader's resources; NULL after release. */
  void (*release)(struct cy_batch_reader *self);
  void *private_data;
} cy_batch_reader;

/** A reader over one table, yielding zero-copy slices of at most batch_rows rows
 *  (0 = the whole table as one batch). Takes a reference to the table. */
cy_status cy_table_reader(cy_table *table, int64_t batch_rows, cy_batch_reader *out,
                          cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Values as text
 * ------------------------------------------------------------------------------------- */

/** Convert days since 1970-01-01 to a proleptic Gregorian date (year 0 is 1 BC). */
void cy_date_to_ymd(int64_t days, int64_t *year, int *month, int *day);
/** Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31). */
int64_t cy_date_from_ymd(int64_t year, int month, int day);

/** Write row i of col as text into buf (NUL-terminated, truncated to size) and return the
 *  length it needed. Nulls are written as null_text. Floats are written with the fewest
 *  digits that read back to the same value; dates as YYYY-MM-DD; timestamps as
 *  YYYY-MM-DD HH:MM:SS[.fraction] (with +00 when zoned: UTC). Strings are written raw;
 *  binary with \xHH for bytes that are not printable ASCII (and for \, " and '). */
int64_t cy_column_format_value(const cy_column *col, int64_t i, const char *null_text,
                               char *buf, size_t size);

typedef struct cy_print_options {
  int64_t max_rows;      /**< rows shown; first and last halves when the table is longer */
  int32_t max_width;     /**< total width in characters; 0 = 120 */
  int32_t max_col_width; /**< widest a column may be before values are cut; 0 = 32 */
  /** When larger than the table's row count: the table holds only the first and last rows
   *  (up to max_rows of them) of a table this long, which is the count shown. 0 = none. */
  int64_t total_rows;
} cy_print_options;

/** Defaults: 10 rows, width 120, column width 32. */
void cy_print_options_init(cy_print_options *opts);
/** Print a table as a box with names, types, first and last rows and the row count;
 *  opts may be NULL for the defaults. */
cy_status cy_table_print(const cy_table *table, const cy_print_options *opts, FILE *out,
                         cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Threads
 * ------------------------------------------------------------------------------------- */

/** Number of threads parallel work uses: CYLON_NUM_THREADS, else the number of CPUs. */
int cy_num_threads(void);
/** Override the thread count for this process (0 restores the default). */
void cy_set_num_threads(int n);
/** Run fn(ctx, i) for i in [0, n) on up to cy_num_threads() threads; returns the first
 *  failing status (by lowest i) with its error. */
cy_status cy_parallel_for(int64_t n, cy_status (*fn)(void *ctx, int64_t i, cy_error *err),
                          void *ctx, cy_error *err);
/** cy_parallel_for on at most `threads` threads (<= 0: cy_num_threads()). */
cy_status cy_parallel_for_n(int64_t n, int threads,
                            cy_status (*fn)(void *ctx, int64_t i, cy_error *err), void *ctx,
                            cy_error *err);

/** Seconds on a monotonic clock. */
double cy_now(void);

#ifdef __cplusplus
}
#endif

#endif /* CYLON_CORE_H */
