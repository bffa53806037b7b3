/*
 * parquet_thrift.h - the Thrift compact protocol, as Parquet uses it for its footer and
 * page headers (private to the io layer): a bounds-checked decoder over a byte range and
 * an encoder into a growable byte array.
 *
 * Wire format (Apache Thrift, "compact protocol"):
 *   - integers are ULEB128 varints; i16/i32/i64 are zigzag-encoded first;
 *   - binary and string: a varint length, then the bytes;
 *   - double: 8 bytes little-endian;
 *   - a struct is a sequence of fields ended by a STOP byte (0). A field header is one
 *     byte: high nibble = field id minus the previous field id of this struct (1..15),
 *     low nibble = the field's type; when the delta does not fit, the high nibble is 0 and
 *     a zigzag varint i16 with the absolute field id follows. A bool field carries its value
 *     in its type (BOOL_TRUE / BOOL_FALSE) and has no payload;
 *   - a list or set: one byte with size (high nibble, 0..14) and element type (low
 *     nibble); a size nibble of 15 means a varint size follows. Bool elements are one byte
 *     each (1 = true);
 *   - a map: a varint size, then (when size > 0) one byte of key type << 4 | value type.
 *
 * Decoding never reads past the range it was given, limits nesting to PQT_MAX_DEPTH, and
 * rejects a list whose element count could not fit in the bytes that remain (every
 * element takes at least one byte), so a hostile header can neither crash the reader nor
 * make it allocate more than the input's size allows. The first failure is sticky: it is
 * recorded in the reader, later calls do nothing, and pqt_reader_status reports it.
 *
 * Encoding appends to a growable buffer; an allocation failure is sticky in the same way,
 * so callers write a whole struct and check once with pqt_writer_status.
 */
#ifndef CYLON_IO_PARQUET_THRIFT_H
#define CYLON_IO_PARQUET_THRIFT_H

#include <stdbool.h>
#include <stdint.h>

#include "cylon/core.h"

/* Compact protocol type codes (the low nibble of field headers and list headers). */
typedef enum pqt_type {
  PQT_STOP = 0,
  PQT_BOOL_TRUE = 1, /* also "bool" as a list element type */
  PQT_BOOL_FALSE = 2,
  PQT_BYTE = 3,
  PQT_I16 = 4,
  PQT_I32 = 5,
  PQT_I64 = 6,
  PQT_DOUBLE = 7,
  PQT_BINARY = 8,
  PQT_LIST = 9,
  PQT_SET = 10,
  PQT_MAP = 11,
  PQT_STRUCT = 12
} pqt_type;

/* Deepest nesting of structs, lists and maps accepted (Parquet needs about 6). */
#define PQT_MAX_DEPTH 32

/* ---- decoding ------------------------------------------------------------------------ */

typedef struct pqt_reader {
  const uint8_t *start, *p, *end;
  int depth;                      /* open structs / containers */
  int16_t last_id[PQT_MAX_DEPTH + 1]; /* previous field id of each open struct */
  bool failed;
  char what[160];                 /* the first failure */
} pqt_reader;

/* Start decoding data[0, len). */
void pqt_reader_init(pqt_reader *r, const void *data, int64_t len);
/* CY_OK, or CY_EINVAL with "<context>: <what went wrong> at byte N" in err. */
cy_status pqt_reader_status(const pqt_reader *r, const char *context, cy_error *err);
/* Record a failure (for checks the caller makes on decoded values); sticky. */
void pqt_fail(pqt_reader *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Bytes consumed so far. */
static inline int64_t pqt_reader_offset(const pqt_reader *r) { return r->p - r->start; }

/* Enter a struct (resets the field id delta). */
void pqt_struct_begin(pqt_reader *r);
/* Leave a struct entered with pqt_struct_begin (after its STOP was read). */
void pqt_struct_end(pqt_reader *r);
/* Read the next field header of the current struct: its type (PQT_STOP at the end, also
 * on failure) and id. For bool fields *type is PQT_BOOL_TRUE or PQT_BOOL_FALSE. */
void pqt_field_begin(pqt_reader *r, pqt_type *type, int16_t *id);

/* Values (the caller checks the field type first with pqt_expect, or skips). */
uint64_t pqt_read_uvarint(pqt_reader *r);
int64_t pqt_read_zigzag(pqt_reader *r); /* i16, i32, i64 */
int32_t pqt_read_i32(pqt_reader *r);     /* zigzag, range-checked to int32 */
int8_t pqt_read_byte(pqt_reader *r);
double pqt_read_double(pqt_reader *r);
/* A binary / string: points into the input (not copied); *len is its length. */
const uint8_t *pqt_read_binary(pqt_reader *r, int64_t *len);
/* A list or set header: element type and count (count <= bytes remaining). */
void pqt_list_begin(pqt_reader *r, pqt_type *elem_type, int64_t *count);
void pqt_list_end(pqt_reader *r);
/* A bool list element. */
bool pqt_read_bool_elem(pqt_reader *r);
/* Skip a value of the given type (whole structs, lists and maps, depth-limited). */
void pqt_skip(pqt_reader *r, pqt_type type);
/* True when type is acceptable for a field declared `want` (an integer field accepts
 * any of byte/i16/i32/i64, a bool either bool code); otherwise records a failure naming
 * the field and returns false (the caller then skips nothing: the reader has failed). */
bool pqt_expect(pqt_reader *r, pqt_type type, pqt_type want, const char *field);

/* ---- encoding ------------------------------------------------------------------------ */

typedef struct pqt_writer {
  uint8_t *data; /* malloc'ed; the caller frees it with pqt_writer_reset or takes it */
  int64_t len, cap;
  int depth;
  int16_t last_id[PQT_MAX_DEPTH + 1];
  bool failed; /* an allocation failed, or nesting went too deep */
} pqt_writer;

/* Start an empty writer (allocates nothing yet). */
void pqt_writer_init(pqt_writer *w);
/* Free the bytes; the writer may be reused after pqt_writer_init. */
void pqt_writer_reset(pqt_writer *w);
/* CY_OK, or CY_ENOMEM / CY_EINVAL naming `context` when any write failed. */
cy_status pqt_writer_status(const pqt_writer *w, const char *context, cy_error *err);

/* Raw bytes and values (no field header). */
void pqt_write_bytes(pqt_writer *w, const void *p, int64_t n);
void pqt_write_uvarint(pqt_writer *w, uint64_t v);
void pqt_write_zigzag(pqt_writer *w, int64_t v);
void pqt_write_binary(pqt_writer *w, const void *p, int64_t n); /* varint length + bytes */
void pqt_write_string(pqt_writer *w, const char *s);             /* NUL-terminated */
void pqt_write_double(pqt_writer *w, double v);

/* Structs: begin resets the field id delta; end writes STOP and restores the parent's. */
void pqt_write_struct_begin(pqt_writer *w);
void pqt_write_struct_end(pqt_writer *w);
/* A field header for a field of the given id and type (not for bools: use
 * pqt_write_field_bool). */
void pqt_write_field_header(pqt_writer *w, int16_t id, pqt_type type);

/* Whole fields: header and value. */
void pqt_write_field_bool(pqt_writer *w, int16_t id, bool v);
void pqt_write_field_i32(pqt_writer *w, int16_t id, int32_t v);
void pqt_write_field_i64(pqt_writer *w, int16_t id, int64_t v);
void pqt_write_field_binary(pqt_writer *w, int16_t id, const void *p, int64_t n);
void pqt_write_field_string(pqt_writer *w, int16_t id, const char *s);
/* A struct field: header, then pqt_write_struct_begin; close with pqt_write_struct_end. */
void pqt_write_field_struct_begin(pqt_writer *w, int16_t id);
/* A list field's header (its elements follow: values written raw, structs each with
 * pqt_write_struct_begin / _end). */
void pqt_write_field_list_begin(pqt_writer *w, int16_t id, pqt_type elem_type, int64_t count);
/* A list header alone (for lists inside lists). */
void pqt_write_list_header(pqt_writer *w, pqt_type elem_type, int64_t count);

#endif
