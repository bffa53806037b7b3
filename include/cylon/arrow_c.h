/*
 * cylon/arrow_c.h - the Arrow C Data Interface and C Stream Interface.
 *
 * The three structs are the ABI published in the Arrow specification ("The Arrow C data
 * interface", "The Arrow C stream interface"); any Arrow implementation (pyarrow, Polars,
 * DuckDB, nanoarrow) produces and consumes them. A table travels as a struct array whose
 * children are its columns. Export and import are zero-copy: exported arrays point into our
 * reference-counted buffers and keep them alive until the consumer calls release; imported
 * arrays become foreign buffers that call the producer's release when our last reference
 * goes.
 */
#ifndef CYLON_ARROW_C_H
#define CYLON_ARROW_C_H

#include <stdint.h>

#include "cylon/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
  const char *(*get_last_error)(struct ArrowArrayStream *);
  void (*release)(struct ArrowArrayStream *);
  void *private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/** The Arrow format string of a type ("l", "u", "tsu:UTC", "d:10,2") into buf. */
cy_status cy_type_to_arrow_format(const cy_type *type, char *buf, size_t size, cy_error *err);
/** Parse an Arrow format string into a type; unsupported formats are an error naming it. */
cy_status cy_type_from_arrow_format(const char *format, cy_type *out, cy_error *err);

/** Export one column as a schema (named name) and an array. */
cy_status cy_column_export_arrow(const cy_column *col, const char *name,
                                 struct ArrowSchema *schema, struct ArrowArray *array,
                                 cy_error *err);
/** Export a table as a struct schema and a struct array whose children are the columns. */
cy_status cy_table_export_arrow(const cy_table *table, struct ArrowSchema *schema,
                                struct ArrowArray *array, cy_error *err);
/** Export a schema alone (a struct schema with one child per field). */
cy_status cy_schema_export_arrow(const cy_schema *schema, struct ArrowSchema *out,
                                 cy_error *err);

/** Import a column from an array of the given schema, zero-copy. The array is moved: its
 *  release is taken over (and it is marked released) even on failure. The schema is only
 *  read; the caller still owns it. */
cy_status cy_column_import_arrow(const struct ArrowSchema *schema, struct ArrowArray *array,
                                 cy_column **out, cy_error *err);
/** Import a struct array as a table, zero-copy; moves the array as above. */
cy_status cy_table_import_arrow(const struct ArrowSchema *schema, struct ArrowArray *array,
                                cy_table **out, cy_error *err);
/** Import a struct schema as a table schema. */
cy_status cy_schema_import_arrow(const struct ArrowSchema *schema, cy_schema *out,
                                 cy_error *err);

/** Export a batch reader as an ArrowArrayStream; the reader is moved into the stream. */
cy_status cy_batch_reader_export_arrow(cy_batch_reader *reader, struct ArrowArrayStream *out,
                                       cy_error *err);
/** Export a table as a stream of batches of at most batch_rows rows (0 = one batch). */
cy_status cy_table_export_arrow_stream(cy_table *table, int64_t batch_rows,
                                       struct ArrowArrayStream *out, cy_error *err);
/** Import an ArrowArrayStream as a batch reader, moving the stream into it; each batch is
 *  imported zero-copy. */
cy_status cy_batch_reader_import_arrow(struct ArrowArrayStream *stream, cy_batch_reader *out,
                                       cy_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CYLON_ARROW_C_H */
