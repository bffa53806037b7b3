/*
 * flatbuf.h - a small, safe FlatBuffers reader and a builder (private to the io layer),
 * enough for the Arrow IPC metadata (Schema.fbs, Message.fbs, File.fbs).
 *
 * The FlatBuffers binary format in brief: all integers are little-endian. A buffer starts
 * with a uint32 offset to its root table. A table starts with an int32 that, subtracted
 * from the table's position, gives its vtable: uint16 vtable size in bytes, uint16 table
 * size, then one uint16 per field slot, the field's offset from the table start (0 when
 * the field is absent, so the reader uses the schema's default). Scalars sit inside the
 * table; strings, vectors and sub-tables are reached through a uint32 offset relative to
 * where the offset itself is stored. A vector is a uint32 count followed by its elements
 * (inline structs or scalars, or uint32 offsets to tables); a string is a uint32 length,
 * the bytes and a NUL. A union is two fields: a uint8 type tag and an offset to a table.
 *
 * Reader: input comes from files, so it is hostile. Every position the reader follows is
 * checked against the buffer (and every field against its table's size) before a byte is
 * read; a failed check makes the accessor return false and the caller reports the error
 * with its own context (which message, which field). Values are loaded with memcpy, so
 * nothing needs to be aligned.
 *
 * Builder: like the reference implementation it fills the buffer back to front, because
 * offsets are unsigned and must point forward: children are written first (at the end)
 * and the root last (at the front). A position is kept as "bytes from the end", which
 * stays valid while the buffer grows. Tables are built one at a time between
 * fb_table_start and fb_table_end. Allocation failure is sticky and reported by
 * fb_finish, so building code need not check every call.
 */
#ifndef CYLON_IO_FLATBUF_H
#define CYLON_IO_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "flatbuf.c assumes a little-endian host (FlatBuffers and Arrow IPC are little-endian)"
#endif

/* ---- reading ------------------------------------------------------------------------- */

/** A table found in a buffer, with its vtable already checked to lie inside it. */
typedef struct fb_table {
  const uint8_t *buf;
  uint32_t size;     /* bytes in buf */
  uint32_t pos;      /* table start */
  uint32_t vt;       /* vtable start */
  uint16_t vt_size;  /* vtable bytes */
  uint16_t obj_size; /* table bytes */
} fb_table;

/** A vector found in a buffer; all `len` elements lie inside it. */
typedef struct fb_vector {
  const uint8_t *buf;
  uint32_t size;
  uint32_t pos;       /* first element */
  uint32_t len;       /* elements */
  uint32_t elem_size; /* bytes per element */
} fb_vector;

/** The root table of a buffer of size bytes; false when malformed (or size >= 2 GiB). */
bool fb_root(const uint8_t *buf, int64_t size, fb_table *out);
/** True when the table has the field in slot (the n-th field of the schema, from 0). */
bool fb_has(const fb_table *t, int slot);

/* Scalars: the field's value, or def when absent; false when it lies outside the table. */
bool fb_get_u8(const fb_table *t, int slot, uint8_t def, uint8_t *out);
bool fb_get_bool(const fb_table *t, int slot, bool def, bool *out);
bool fb_get_i16(const fb_table *t, int slot, int16_t def, int16_t *out);
bool fb_get_i32(const fb_table *t, int slot, int32_t def, int32_t *out);
bool fb_get_i64(const fb_table *t, int slot, int64_t def, int64_t *out);

/* References: *present says whether the field is there; false when malformed. */
bool fb_get_table(const fb_table *t, int slot, fb_table *out, bool *present);
/** A string's bytes (not necessarily NUL-terminated in hostile input) and length. */
bool fb_get_string(const fb_table *t, int slot, const char **s, uint32_t *len, bool *present);
/** A vector of elem_size-byte elements (inline structs, scalars, or 4-byte offsets). */
bool fb_get_vector(const fb_table *t, int slot, uint32_t elem_size, fb_vector *out,
                   bool *present);
/** Element i (< v->len) of a vector of tables; false when malformed. */
bool fb_vector_table(const fb_vector *v, uint32_t i, fb_table *out);
/** Start of element i (< v->len) of a vector of inline elements. */
const uint8_t *fb_vector_at(const fb_vector *v, uint32_t i);

/** Little-endian loads from anywhere (no alignment needed). */
int32_t fb_load_i32(const uint8_t *p);
int64_t fb_load_i64(const uint8_t *p);
uint32_t fb_load_u32(const uint8_t *p);

/* ---- building ------------------------------------------------------------------------ */

/** A finished object: its position counted in bytes from the end of the buffer. */
typedef uint32_t fb_ref;

#define FB_MAX_SLOTS 16

typedef struct fb_builder {
  uint8_t *buf;     /* the bytes in use are the last `len` of `cap` */
  size_t cap, len;
  size_t max_align; /* the finished buffer's size is a multiple of this */
  bool failed;      /* an allocation failed or the buffer passed 2 GiB */
  bool in_table;
  size_t table_start;           /* len when the open table started */
  uint32_t slots[FB_MAX_SLOTS]; /* field positions (from the end), 0 = absent */
  int num_slots;
} fb_builder;

/** An empty builder whose output is padded to a multiple of align (a power of two). */
void fb_builder_init(fb_builder *b, size_t align);
/** Free the builder's bytes; it may be initialised again. */
void fb_builder_reset(fb_builder *b);

fb_ref fb_create_string(fb_builder *b, const char *s, size_t len);
/** A vector of n inline elements of elem_size bytes each, aligned to elem_align. */
fb_ref fb_create_vector(fb_builder *b, const void *elems, size_t n, size_t elem_size,
                        size_t elem_align);
/** A vector of n references (tables or strings). */
fb_ref fb_create_ref_vector(fb_builder *b, const fb_ref *refs, size_t n);

void fb_table_start(fb_builder *b);
void fb_add_u8(fb_builder *b, int slot, uint8_t v);
void fb_add_bool(fb_builder *b, int slot, bool v);
void fb_add_i16(fb_builder *b, int slot, int16_t v);
void fb_add_i32(fb_builder *b, int slot, int32_t v);
void fb_add_i64(fb_builder *b, int slot, int64_t v);
void fb_add_ref(fb_builder *b, int slot, fb_ref ref);
fb_ref fb_table_end(fb_builder *b);

/** Write the root offset; *data and *size then describe the finished buffer (owned by the
 *  builder). False when building failed (out of memory or too large). */
bool fb_finish(fb_builder *b, fb_ref root, const uint8_t **data, size_t *size);

#endif /* CYLON_IO_FLATBUF_H */
