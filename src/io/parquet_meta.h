/*
 * parquet_meta.h - Parquet's metadata structures (parquet.thrift of the Apache Parquet
 * format) as C structs, decoded from and encoded to the Thrift compact protocol
 * (private to the io layer; shared by the reader and the writer).
 *
 * A file ends with: FileMetaData (Thrift compact), its length (4 bytes little-endian),
 * "PAR1". Each column chunk is a run of pages, each a PageHeader (Thrift compact)
 * followed by the page's bytes.
 *
 * Only the fields a reader or writer of flat tables needs are kept; every other field is
 * skipped on decode (so files from newer writers still read) and never written. Optional
 * fields have a has_* flag; enum-valued fields hold the raw int32 from the file (which
 * may be a value this code does not know: callers check).
 *
 * Memory. Decoding the footer copies it into an arena owned by the pq_file_meta (freed by
 * pq_file_meta_reset): strings are NUL-terminated copies, pq_bytes point into the arena.
 * Decoding a page header allocates nothing: its pq_bytes point into the caller's bytes.
 * Encoding reads structs the caller filled (with memory the caller owns; `arena` NULL).
 *
 * Sanity limits: list counts are bounded by the bytes that remain (see parquet_thrift.h),
 * and a decoded footer is checked for the invariants the reader relies on by
 * pq_file_meta_validate (done by the reader, not here, so the writer's own structs are
 * not constrained).
 */
#ifndef CYLON_IO_PARQUET_META_H
#define CYLON_IO_PARQUET_META_H

#include "cylon/core.h"
#include "io/parquet_thrift.h"

/* ---- enums (values as in parquet.thrift) ---------------------------------------------- */

typedef enum pq_type {
  PQ_BOOLEAN = 0,
  PQ_INT32 = 1,
  PQ_INT64 = 2,
  PQ_INT96 = 3,
  PQ_FLOAT = 4,
  PQ_DOUBLE = 5,
  PQ_BYTE_ARRAY = 6,
  PQ_FIXED_LEN_BYTE_ARRAY = 7
} pq_type;

/* ConvertedType (deprecated by LogicalType, but still written by most writers). */
typedef enum pq_converted_type {
  PQ_CT_NONE = -1, /* absent */
  PQ_CT_UTF8 = 0,
  PQ_CT_MAP = 1,
  PQ_CT_MAP_KEY_VALUE = 2,
  PQ_CT_LIST = 3,
  PQ_CT_ENUM = 4,
  PQ_CT_DECIMAL = 5,
  PQ_CT_DATE = 6,
  PQ_CT_TIME_MILLIS = 7,
  PQ_CT_TIME_MICROS = 8,
  PQ_CT_TIMESTAMP_MILLIS = 9,
  PQ_CT_TIMESTAMP_MICROS = 10,
  PQ_CT_UINT_8 = 11,
  PQ_CT_UINT_16 = 12,
  PQ_CT_UINT_32 = 13,
  PQ_CT_UINT_64 = 14,
  PQ_CT_INT_8 = 15,
  PQ_CT_INT_16 = 16,
  PQ_CT_INT_32 = 17,
  PQ_CT_INT_64 = 18,
  PQ_CT_JSON = 19,
  PQ_CT_BSON = 20,
  PQ_CT_INTERVAL = 21
} pq_converted_type;

typedef enum pq_repetition {
  PQ_REQUIRED = 0,
  PQ_OPTIONAL = 1,
  PQ_REPEATED = 2
} pq_repetition;

typedef enum pq_encoding {
  PQ_ENC_PLAIN = 0,
  PQ_ENC_PLAIN_DICTIONARY = 2,
  PQ_ENC_RLE = 3,
  PQ_ENC_BIT_PACKED = 4,
  PQ_ENC_DELTA_BINARY_PACKED = 5,
  PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
  PQ_ENC_DELTA_BYTE_ARRAY = 7,
  PQ_ENC_RLE_DICTIONARY = 8,
  PQ_ENC_BYTE_STREAM_SPLIT = 9
} pq_encoding;

typedef enum pq_codec {
  PQ_CODEC_UNCOMPRESSED = 0,
  PQ_CODEC_SNAPPY = 1,
  PQ_CODEC_GZIP = 2,
  PQ_CODEC_LZO = 3,
  PQ_CODEC_BROTLI = 4,
  PQ_CODEC_LZ4 = 5, /* deprecated: Hadoop framing, or sometimes the LZ4 frame format */
  PQ_CODEC_ZSTD = 6,
  PQ_CODEC_LZ4_RAW = 7
} pq_codec;

typedef enum pq_page_type {
  PQ_PAGE_DATA = 0,
  PQ_PAGE_INDEX = 1,
  PQ_PAGE_DICTIONARY = 2,
  PQ_PAGE_DATA_V2 = 3
} pq_page_type;

/* LogicalType union members (the union's field ids). */
typedef enum pq_logical_kind {
  PQ_LT_NONE = 0, /* absent */
  PQ_LT_STRING = 1,
  PQ_LT_MAP = 2,
  PQ_LT_LIST = 3,
  PQ_LT_ENUM = 4,
  PQ_LT_DECIMAL = 5,
  PQ_LT_DATE = 6,
  PQ_LT_TIME = 7,
  PQ_LT_TIMESTAMP = 8,
  PQ_LT_INTEGER = 10,
  PQ_LT_UNKNOWN = 11, /* "always null" (NullType) */
  PQ_LT_JSON = 12,
  PQ_LT_BSON = 13,
  PQ_LT_UUID = 14,
  PQ_LT_FLOAT16 = 15,
  PQ_LT_OTHER = 1000 /* a member this code does not know (VARIANT, GEOMETRY, ...) */
} pq_logical_kind;

/* TimeUnit union members. */
typedef enum pq_time_unit {
  PQ_UNIT_NONE = 0,
  PQ_UNIT_MILLIS = 1,
  PQ_UNIT_MICROS = 2,
  PQ_UNIT_NANOS = 3
} pq_time_unit;

/* ColumnOrder union members. */
typedef enum pq_column_order {
  PQ_ORDER_UNKNOWN = 0,
  PQ_ORDER_TYPE_DEFINED = 1,
  PQ_ORDER_IEEE754_TOTAL = 2,
  PQ_ORDER_INT96_TIMESTAMP = 3
} pq_column_order;

/* ---- structs ------------------------------------------------------------------------- */

/* Bytes inside the metadata (or the page header's buffer when decoding a page header). */
typedef struct pq_bytes {
  const uint8_t *data;
  int64_t len;
} pq_bytes;

typedef struct pq_logical_type {
  int32_t kind;             /* a pq_logical_kind */
  int32_t scale, precision; /* DECIMAL */
  bool is_adjusted_to_utc;  /* TIME, TIMESTAMP */
  int32_t unit;             /* TIME, TIMESTAMP: a pq_time_unit */
  int32_t bit_width;        /* INTEGER: 8, 16, 32 or 64 */
  bool is_signed;           /* INTEGER */
} pq_logical_type;

/* One node of the schema tree, which is flattened depth first; the root comes first. */
typedef struct pq_schema_element {
  bool has_type;
  int32_t type;           /* a pq_type; leaves only */
  bool has_type_length;
  int32_t type_length;    /* FIXED_LEN_BYTE_ARRAY: bytes per value */
  bool has_repetition;
  int32_t repetition;     /* a pq_repetition; absent on the root */
  const char *name;
  bool has_num_children;
  int32_t num_children;   /* groups only */
  int32_t converted_type; /* a pq_converted_type, PQ_CT_NONE when absent */
  bool has_scale, has_precision;
  int32_t scale, precision;
  bool has_field_id;
  int32_t field_id;
  pq_logical_type logical; /* kind PQ_LT_NONE when absent */
} pq_schema_element;

/* Min / max are PLAIN-encoded values (byte arrays without their length prefix). */
typedef struct pq_statistics {
  bool has_max, has_min;             /* deprecated fields 1, 2: signed order */
  pq_bytes max, min;
  bool has_null_count;
  int64_t null_count;
  bool has_distinct_count;
  int64_t distinct_count;
  bool has_max_value, has_min_value; /* fields 5, 6: in the column's sort order */
  pq_bytes max_value, min_value;
  bool has_is_max_value_exact, has_is_min_value_exact;
  bool is_max_value_exact, is_min_value_exact;
  bool has_nan_count;
  int64_t nan_count;
} pq_statistics;

typedef struct pq_key_value {
  const char *key;
  const char *value; /* NULL when absent */
} pq_key_value;

typedef struct pq_page_encoding_stats {
  int32_t page_type; /* a pq_page_type */
  int32_t encoding;  /* a pq_encoding */
  int32_t count;
} pq_page_encoding_stats;

typedef struct pq_column_meta {
  int32_t type;              /* a pq_type */
  int32_t *encodings;        /* pq_encoding values */
  int32_t num_encodings;
  const char **path;         /* path_in_schema */
  int32_t path_len;
  int32_t codec;             /* a pq_codec */
  int64_t num_values;
  int64_t total_uncompressed_size;
  int64_t total_compressed_size;
  pq_key_value *key_value;
  int32_t num_key_value;
  int64_t data_page_offset;
  bool has_index_page_offset;
  int64_t index_page_offset;
  bool has_dictionary_page_offset;
  int64_t dictionary_page_offset;
  bool has_statistics;
  pq_statistics statistics;
  pq_page_encoding_stats *encoding_stats;
  int32_t num_encoding_stats;
  bool has_bloom_filter_offset;
  int64_t bloom_filter_offset;
  bool has_bloom_filter_length;
  int32_t bloom_filter_length;
} pq_column_meta;

typedef struct pq_column_chunk {
  const char *file_path; /* NULL when absent (the data is in this file) */
  int64_t file_offset;
  bool has_meta_data;
  pq_column_meta meta_data;
  bool has_offset_index;
  int64_t offset_index_offset;
  int32_t offset_index_length;
  bool has_column_index;
  int64_t column_index_offset;
  int32_t column_index_length;
  bool encrypted; /* crypto_metadata or encrypted_column_metadata present (decode only) */
} pq_column_chunk;

typedef struct pq_sorting_column {
  int32_t column_idx;
  bool descending;
  bool nulls_first;
} pq_sorting_column;

typedef struct pq_row_group {
  pq_column_chunk *columns;
  int32_t num_columns;
  int64_t total_byte_size;
  int64_t num_rows;
  pq_sorting_column *sorting_columns;
  int32_t num_sorting_columns;
  bool has_file_offset;
  int64_t file_offset;
  bool has_total_compressed_size;
  int64_t total_compressed_size;
  bool has_ordinal;
  int32_t ordinal;
} pq_row_group;

typedef struct pq_arena pq_arena;

typedef struct pq_file_meta {
  int32_t version;
  pq_schema_element *schema;
  int32_t num_schema;
  int64_t num_rows;
  pq_row_group *row_groups;
  int32_t num_row_groups;
  pq_key_value *key_value;
  int32_t num_key_value;
  const char *created_by;       /* NULL when absent */
  int32_t *column_orders;       /* pq_column_order values, one per leaf; NULL when absent */
  int32_t num_column_orders;
  bool encrypted;               /* encryption_algorithm present (decode only) */
  pq_arena *arena;              /* decoded metadata's memory; NULL for the writer's */
} pq_file_meta;

typedef struct pq_data_page_header {
  int32_t num_values; /* including nulls */
  int32_t encoding;
  int32_t definition_level_encoding;
  int32_t repetition_level_encoding;
  bool has_statistics;
  pq_statistics statistics;
} pq_data_page_header;

typedef struct pq_dictionary_page_header {
  int32_t num_values;
  int32_t encoding;
  bool has_is_sorted;
  bool is_sorted;
} pq_dictionary_page_header;

typedef struct pq_data_page_header_v2 {
  int32_t num_values;
  int32_t num_nulls;
  int32_t num_rows;
  int32_t encoding;
  int32_t definition_levels_byte_length;
  int32_t repetition_levels_byte_length;
  bool is_compressed; /* defaults to true when absent */
  bool has_statistics;
  pq_statistics statistics;
} pq_data_page_header_v2;

typedef struct pq_page_header {
  int32_t type; /* a pq_page_type */
  int32_t uncompressed_page_size;
  int32_t compressed_page_size;
  bool has_crc;
  int32_t crc;
  bool has_data_page_header;
  pq_data_page_header data_page_header;
  bool has_dictionary_page_header;
  pq_dictionary_page_header dictionary_page_header;
  bool has_data_page_header_v2;
  pq_data_page_header_v2 data_page_header_v2;
} pq_page_header;

/* ---- decoding ------------------------------------------------------------------------ */

/* Decode a FileMetaData from data[0, len) (copied: data may be freed afterwards).
 * `name` (the file) prefixes error messages. On failure *out is left empty. */
cy_status pq_file_meta_decode(const uint8_t *data, int64_t len, const char *name,
                              pq_file_meta *out, cy_error *err);
/* Free a decoded FileMetaData (no-op for one the caller built); leaves it zeroed. */
void pq_file_meta_reset(pq_file_meta *meta);

/* Decode a PageHeader from the start of data[0, len); *header_len is the bytes it took.
 * Nothing is allocated: statistics point into data. The caller prefixes the error with
 * the file, column and page. */
cy_status pq_page_header_decode(const uint8_t *data, int64_t len, pq_page_header *out,
                                int64_t *header_len, cy_error *err);

/* ---- encoding ------------------------------------------------------------------------ */

/* Append the Thrift compact encoding of a FileMetaData / PageHeader / single struct to w
 * (check pqt_writer_status afterwards). Absent optional fields are not written. */
void pq_file_meta_encode(pqt_writer *w, const pq_file_meta *meta);
void pq_page_header_encode(pqt_writer *w, const pq_page_header *header);
void pq_statistics_encode(pqt_writer *w, const pq_statistics *stats);
void pq_schema_element_encode(pqt_writer *w, const pq_schema_element *e);
void pq_column_chunk_encode(pqt_writer *w, const pq_column_chunk *chunk);
void pq_row_group_encode(pqt_writer *w, const pq_row_group *rg);

/* A schema element for a leaf with no annotations set (converted_type PQ_CT_NONE). */
pq_schema_element pq_schema_element_init(void);

/* ---- names for messages -------------------------------------------------------------- */

const char *pq_type_name(int32_t type);
const char *pq_encoding_name(int32_t encoding);
const char *pq_codec_name(int32_t codec);
const char *pq_page_type_name(int32_t type);

#endif
