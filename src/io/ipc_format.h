/*
 * ipc_format.h - the Arrow IPC format (private to the io layer): metadata encoding and
 * decoding (ipc_format.c), record batch bodies to columns (ipc_decode.c), and the reader
 * and writer entry points that work on memory (ipc_read.c, ipc_write.c), which the public
 * cy_ipc_* functions, the tests and the fuzzer share.
 *
 * The format, from the Arrow columnar specification ("Serialization and Interprocess
 * Communication"): a stream is a sequence of encapsulated messages, each
 *
 *     0xFFFFFFFF  int32 metadata size  Message flatbuffer + padding  body
 *
 * (before Arrow 0.15 without the 0xFFFFFFFF continuation marker), where the metadata size
 * counts the flatbuffer and the padding that makes the body start on an 8-byte boundary.
 * The first message holds the Schema; then come DictionaryBatch and RecordBatch messages,
 * whose bodies hold the buffers of every column back to back (each 8-byte padded), located
 * by the header's Buffer list (offset, length) and described by one FieldNode (length,
 * null count) per column. A size of 0 ends the stream. The file format is "ARROW1", two
 * bytes of padding, a stream, then a Footer flatbuffer (schema and the position of every
 * dictionary and record batch message), its int32 size and "ARROW1" again.
 */
#ifndef CYLON_IO_IPC_FORMAT_H
#define CYLON_IO_IPC_FORMAT_H

#include "cylon/io.h"
#include "io/flatbuf.h"

#define IPC_CONTINUATION 0xFFFFFFFFu
#define IPC_MAGIC "ARROW1"
#define IPC_MAGIC_LEN 6
/* Metadata larger than this is refused (FlatBuffers cannot exceed 2 GiB anyway). */
#define IPC_MAX_METADATA (INT32_MAX - 8)

/* MetadataVersion: V4 (Arrow 0.8) is the oldest we read; V5 (1.0) is what we write. */
enum { IPC_V4 = 3, IPC_V5 = 4 };

/* The MessageHeader union's members. */
enum {
  IPC_HEADER_SCHEMA = 1,
  IPC_HEADER_DICTIONARY = 2,
  IPC_HEADER_RECORD_BATCH = 3,
  IPC_HEADER_TENSOR = 4,
  IPC_HEADER_SPARSE_TENSOR = 5
};

/* BodyCompression codecs (CompressionType), and none. */
typedef enum ipc_codec { IPC_CODEC_NONE = -1, IPC_CODEC_LZ4_FRAME = 0, IPC_CODEC_ZSTD = 1 } ipc_codec;

/* ---- metadata ------------------------------------------------------------------------ */

/** One top-level field as the reader will build it. */
typedef struct ipc_field {
  char *name;
  cy_type type;      /* the column's cylon type (a dictionary's value type) */
  bool date64;       /* stored as int64 milliseconds, read as date32 */
  bool dictionary;   /* the batch holds indices into dictionary dict_id */
  int64_t dict_id;
  int index_bits;    /* dictionary index width: 8, 16, 32 or 64 */
  bool index_signed;
} ipc_field;

typedef struct ipc_schema {
  int32_t num_fields;
  ipc_field *fields;
} ipc_schema;

void ipc_schema_reset(ipc_schema *s);
/** The cylon schema of the columns the reader will produce. */
cy_status ipc_schema_to_cylon(const ipc_schema *s, cy_schema *out, cy_error *err);

/** A Message flatbuffer's envelope. */
typedef struct ipc_message {
  int16_t version;
  uint8_t header_type; /* IPC_HEADER_* */
  int64_t body_length;
  fb_table header;
} ipc_message;

/** A RecordBatch header (also the data of a DictionaryBatch). */
typedef struct ipc_batch_meta {
  int64_t length;  /* rows */
  fb_vector nodes;   /* FieldNode structs: length, null_count */
  fb_vector buffers; /* Buffer structs: offset, length into the body */
  ipc_codec codec;
} ipc_batch_meta;

typedef struct ipc_block {
  int64_t offset;      /* of the message's first byte in the file */
  int32_t meta_length; /* prefix + flatbuffer + padding */
  int64_t body_length;
} ipc_block;

typedef struct ipc_footer {
  ipc_schema schema;
  fb_vector dictionaries; /* Block structs */
  fb_vector batches;
} ipc_footer;

/** Decode a Message flatbuffer of size bytes (which data must outlive out). */
cy_status ipc_message_decode(const uint8_t *data, int64_t size, ipc_message *out,
                             cy_error *err);
/** Decode a Schema table; a field cylon cannot read is an error naming it. */
cy_status ipc_schema_decode(const fb_table *schema, ipc_schema *out, cy_error *err);
cy_status ipc_batch_meta_decode(const fb_table *batch, ipc_batch_meta *out, cy_error *err);
cy_status ipc_dictionary_meta_decode(const fb_table *dict, int64_t *id, bool *is_delta,
                                     ipc_batch_meta *out, cy_error *err);
/** FieldNode i (< nodes.len) and Buffer i (< buffers.len) of a batch. */
void ipc_batch_node(const ipc_batch_meta *m, uint32_t i, int64_t *length, int64_t *null_count);
void ipc_batch_buffer(const ipc_batch_meta *m, uint32_t i, int64_t *offset, int64_t *length);
/** Decode a Footer flatbuffer; free with ipc_footer_reset. */
cy_status ipc_footer_decode(const uint8_t *data, int64_t size, ipc_footer *out, cy_error *err);
void ipc_footer_reset(ipc_footer *f);
ipc_block ipc_footer_block(const fb_vector *blocks, uint32_t i);

/** A FieldNode and a Buffer as the writer lays them out. */
typedef struct ipc_node {
  int64_t length, null_count;
} ipc_node;
typedef struct ipc_buffer_ref {
  int64_t offset, length;
} ipc_buffer_ref;

/* Encoders: build the flatbuffer in b (initialised by the caller, reset after use) and
 * point *data / *size at it. */
cy_status ipc_schema_message_encode(const cy_schema *schema, fb_builder *b,
                                    const uint8_t **data, size_t *size, cy_error *err);
cy_status ipc_batch_message_encode(int64_t length, const ipc_node *nodes, int32_t num_nodes,
                                   const ipc_buffer_ref *buffers, int32_t num_buffers,
                                   ipc_codec codec, int64_t body_length, fb_builder *b,
                                   const uint8_t **data, size_t *size, cy_error *err);
cy_status ipc_footer_encode(const cy_schema *schema, const ipc_block *batches, int64_t n,
                            fb_builder *b, const uint8_t **data, size_t *size,
                            cy_error *err);

/* ---- bodies to columns (ipc_decode.c) ---------------------------------------------------- */

/** The dictionaries of a stream, by id, as decoded columns. */
typedef struct ipc_dict {
  int64_t id;
  const ipc_field *field; /* the first field using it (its type is the values' type) */
  cy_column *values;      /* NULL until a DictionaryBatch arrives */
} ipc_dict;

typedef struct ipc_dicts {
  int32_t count;
  ipc_dict *items;
} ipc_dicts;

/** One entry per dictionary id the schema uses. */
cy_status ipc_dicts_init(const ipc_schema *schema, ipc_dicts *out, cy_error *err);
void ipc_dicts_reset(ipc_dicts *d);
/** Apply a DictionaryBatch (replace, or append when is_delta) whose body is `body`. */
cy_status ipc_dicts_apply(ipc_dicts *d, int64_t id, bool is_delta, const ipc_batch_meta *m,
                          cy_buffer *body, cy_error *err);
/** Decode a RecordBatch whose body is `body` into a table. Columns reference the body
 *  (zero-copy) where the layout allows. */
cy_status ipc_batch_decode(const ipc_schema *schema, const ipc_dicts *dicts,
                           const ipc_batch_meta *m, cy_buffer *body, cy_table **out,
                           cy_error *err);

/* ---- whole readers and writers ------------------------------------------------------- */

/** Read an IPC stream or file held in memory (zero-copy: columns may reference `whole`,
 *  which the call retains as needed). name is used in messages. */
cy_status ipc_read_memory(cy_buffer *whole, const char *name, cy_table **out, cy_error *err);
/** A batch reader over an IPC stream or file in memory. */
cy_status ipc_open_memory(cy_buffer *whole, const char *name, cy_batch_reader *out,
                          cy_error *err);
/** Write a table to an open output (not committed: the caller commits or aborts), its
 *  buffers compressed with codec (IPC_CODEC_NONE for none). */
cy_status ipc_write_output(const cy_table *table, cy_output *out,
                           const cy_ipc_write_options *opts, ipc_codec codec, cy_error *err);

#endif /* CYLON_IO_IPC_FORMAT_H */
