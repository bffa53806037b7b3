/*
 * arrow_import.c - Arrow C Data / C Stream Interface structs as cylon columns, tables,
 * schemas and batch readers, without copying.
 *
 * The incoming ArrowArray is moved (copied bitwise, the source marked released) into a
 * heap "holder" with an atomic reference count. Each buffer the column needs is wrapped
 * with cy_buffer_wrap, and the wrapper's release callback drops one holder reference; the
 * import itself holds one more while it works. When the last reference goes, the holder
 * calls the producer's release exactly once. For a struct (table) import every child's
 * buffers reference the parent's holder, since the producer releases children with the
 * parent.
 *
 * Buffer sizes are not in the interface; they follow from the layout (Columnar format):
 * a bitmap covers offset + length bits, fixed-width values offset + length slots, offsets
 * offset + length + 1 slots, and the data buffer ends at the last offset. Before wrapping
 * anything the import checks what is cheap to check - buffer and child counts, negative
 * lengths and offsets, NULL buffers where bytes are needed, the first and last offsets -
 * and names the field and format in every error. Unsupported types (lists, dictionaries,
 * the null type...) are ENOTSUP.
 *
 * A struct's offset applies to its children: child rows are
 * [child.offset + parent.offset, ... + parent.length), which is exactly a cylon column
 * offset, so sliced record batches import without copying too.
 *
 * The one copy: a values or offsets buffer that is not aligned to its element width (the
 * spec recommends alignment but does not require it) is copied into an aligned buffer,
 * because cylon's kernels read values through typed pointers.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/arrow_c.h"

/* Rows beyond this would overflow byte-size arithmetic (16-byte decimals); no real array
 * comes near it. */
#define MAX_ROWS (INT64_MAX / 32)

/* ---- the holder of a moved array ---------------------------------------------------- */

typedef struct import_holder {
  struct ArrowArray array;
  int64_t refcount; /* accessed atomically */
} import_holder;

static void holder_ref(import_holder *h) { __atomic_fetch_add(&h->refcount, 1, __ATOMIC_RELAXED); }

static void holder_unref(import_holder *h) {
  if (__atomic_fetch_sub(&h->refcount, 1, __ATOMIC_ACQ_REL) != 1) return;
  if (h->array.release) h->array.release(&h->array);
  free(h);
}

static void holder_buffer_release(void *data, int64_t size, void *private_data) {
  (void)data;
  (void)size;
  holder_unref(private_data);
}

/* Move *array into a new holder (one reference, the caller's). The array is taken over
 * even on failure: then it is released here. */
static cy_status holder_take(struct ArrowArray *array, import_holder **out, cy_error *err) {
  if (array == NULL || array->release == NULL) {
    cy_error_set(err, "cannot import an Arrow array that is NULL or already released");
    return CY_EINVAL;
  }
  import_holder *h = malloc(sizeof(*h));
  if (h == NULL) {
    array->release(array);
    cy_error_set(err, "out of memory importing an Arrow array");
    return CY_ENOMEM;
  }
  h->array = *array;
  h->refcount = 1;
  array->release = NULL;
  *out = h;
  return CY_OK;
}

/* ---- errors --------------------------------------------------------------------------- */

static const char *field_name(const struct ArrowSchema *s) {
  return s->name ? s->name : "";
}

/* Fail with "field 'x' (format 'y'): <message>". */
static cy_status field_fail(cy_error *err, cy_status st, const struct ArrowSchema *s,
                            const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static cy_status field_fail(cy_error *err, cy_status st, const struct ArrowSchema *s,
                            const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  cy_error_set(err, "field '%.128s' (format '%.80s'): %s", field_name(s),
               s->format ? s->format : "(null)", msg);
  return st;
}

/* ---- schema nodes --------------------------------------------------------------------- */

/* The cylon type of a (non-struct) field. */
static cy_status field_type(const struct ArrowSchema *s, cy_type *out, cy_error *err) {
  if (s == NULL || s->release == NULL) {
    cy_error_set(err, "Arrow schema is NULL or already released");
    return CY_EINVAL;
  }
  if (s->dictionary != NULL)
    return field_fail(err, CY_ENOTSUP, s, "dictionary-encoded arrays are not supported");
  cy_status st = cy_type_from_arrow_format(s->format, out, err);
  if (st != CY_OK) {
    cy_error_prefix(err, "field '%.128s': ", field_name(s));
    return st;
  }
  if (s->n_children != 0)
    return field_fail(err, CY_EINVAL, s, "a primitive type has %lld child schemas",
                      (long long)s->n_children);
  return CY_OK;
}

/* A struct schema ("+s") with its children present, as tables and schemas need. */
static cy_status check_struct_schema(const struct ArrowSchema *s, cy_error *err) {
  if (s == NULL || s->release == NULL) {
    cy_error_set(err, "Arrow schema is NULL or already released");
    return CY_EINVAL;
  }
  if (s->format == NULL || strcmp(s->format, "+s") != 0) {
    cy_error_set(err, "a table needs a struct ('+s') Arrow schema, got format '%.80s'",
                 s->format ? s->format : "(null)");
    return CY_EINVAL;
  }
  if (s->dictionary != NULL)
    return field_fail(err, CY_ENOTSUP, s, "dictionary-encoded arrays are not supported");
  if (s->n_children < 0 || s->n_children > INT32_MAX || (s->n_children > 0 && !s->children))
    return field_fail(err, CY_EINVAL, s, "struct schema has %lld children but no child list",
                      (long long)s->n_children);
  for (int64_t i = 0; i < s->n_children; i++) {
    if (s->children[i] == NULL)
      return field_fail(err, CY_EINVAL, s, "child schema %lld is NULL", (long long)i);
  }
  return CY_OK;
}

/* ---- buffers -------------------------------------------------------------------------- */

/* A cylon buffer over size bytes at ptr, which the holder keeps alive. NULL with size 0
 * becomes an empty owned buffer (cylon never does arithmetic on a NULL data pointer); a
 * misaligned pointer is copied (see the header comment). */
static cy_status take_buffer(import_holder *h, const void *ptr, int64_t size, int64_t align,
                             cy_buffer **out, cy_error *err) {
  if (ptr == NULL || ((uintptr_t)ptr % (uintptr_t)align) != 0) {
    CY_RETURN_NOT_OK(cy_buffer_alloc(ptr ? size : 0, out, err));
    if (ptr && size > 0) memcpy((*out)->data, ptr, (size_t)size);
    return CY_OK;
  }
  holder_ref(h);
  /* cylon treats imported memory as immutable, as the spec asks; the cast only fits
   * cy_buffer's field type. */
  return cy_buffer_wrap((void *)(uintptr_t)ptr, size, holder_buffer_release, h, out, err);
}

static int64_t offset_at(const cy_buffer *offsets, bool large, int64_t k) {
  return large ? ((const int64_t *)offsets->data)[k] : ((const int32_t *)offsets->data)[k];
}

/* The buffers of one primitive node, acquired in order and released together. */
typedef struct node_buffers {
  cy_buffer *validity, *values, *data;
} node_buffers;

static void node_buffers_release(node_buffers *b) {
  cy_buffer_release(b->validity);
  cy_buffer_release(b->values);
  cy_buffer_release(b->data);
  b->validity = b->values = b->data = NULL;
}

/* Offsets and data of a var-width node whose rows end at slot `end`. */
static cy_status take_var_buffers(const struct ArrowSchema *s, const struct ArrowArray *a,
                                  const cy_type *type, int64_t end, import_holder *h,
                                  node_buffers *b, cy_error *err) {
  bool large = cy_type_is_large(type->id);
  int64_t width = large ? 8 : 4;
  if (a->buffers[1] == NULL) {
    /* Some producers leave the offsets of an empty array out; that means one 0 offset. */
    if (end != 0) return field_fail(err, CY_EINVAL, s, "offsets buffer is NULL");
    CY_RETURN_NOT_OK(cy_buffer_alloc_zeroed(width, &b->values, err));
  } else {
    CY_RETURN_NOT_OK(take_buffer(h, a->buffers[1], (end + 1) * width, width, &b->values, err));
  }
  int64_t first = offset_at(b->values, large, a->offset);
  int64_t last = offset_at(b->values, large, end);
  if (first < 0 || last < first)
    return field_fail(err, CY_EINVAL, s,
                      "offsets run from %lld to %lld; they must be non-negative and increasing",
                      (long long)first, (long long)last);
  if (a->buffers[2] == NULL && last > 0)
    return field_fail(err, CY_EINVAL, s, "data buffer is NULL but the offsets end at %lld",
                      (long long)last);
  return take_buffer(h, a->buffers[2], last, 1, &b->data, err);
}

/* Validity (when needed), values, and data of node a, whose slots end at `end`.
 * *null_count is what to pass to cy_column_make for rows [first, first + rows). */
static cy_status take_node_buffers(const struct ArrowSchema *s, const struct ArrowArray *a,
                                   const cy_type *type, bool whole, import_holder *h,
                                   node_buffers *b, int64_t *null_count, cy_error *err) {
  int64_t end = a->offset + a->length;
  if (a->buffers[0] == NULL) {
    if (a->null_count > 0)
      return field_fail(err, CY_EINVAL, s, "null_count is %lld but there is no validity bitmap",
                        (long long)a->null_count);
    *null_count = 0; /* a missing bitmap means every value is valid */
  } else if (a->null_count == 0) {
    *null_count = 0; /* no nulls anywhere, so none in any range: skip the bitmap */
  } else {
    /* The producer's count covers the whole node; a sub-range must be counted. */
    *null_count = whole ? a->null_count : -1;
    CY_RETURN_NOT_OK(take_buffer(h, a->buffers[0], cy_bitmap_bytes(end), 1, &b->validity, err));
  }
  if (cy_type_is_var_width(type->id)) return take_var_buffers(s, a, type, end, h, b, err);
  int bits = cy_type_bit_width(type->id);
  int64_t size = bits == 1 ? cy_bitmap_bytes(end) : end * (bits / 8);
  int64_t align = bits <= 8 ? 1 : (bits / 8 < 8 ? bits / 8 : 8);
  if (a->buffers[1] == NULL && size > 0)
    return field_fail(err, CY_EINVAL, s, "values buffer is NULL for %lld slots", (long long)end);
  return take_buffer(h, a->buffers[1], size, align, &b->values, err);
}

/* Structural checks of one primitive node against its type, before touching memory. */
static cy_status check_node(const struct ArrowSchema *s, const struct ArrowArray *a,
                            const cy_type *type, cy_error *err) {
  if (a->release == NULL) return field_fail(err, CY_EINVAL, s, "array is already released");
  if (a->length < 0 || a->offset < 0)
    return field_fail(err, CY_EINVAL, s, "negative length %lld or offset %lld",
                      (long long)a->length, (long long)a->offset);
  if (a->length > MAX_ROWS || a->offset > MAX_ROWS - a->length)
    return field_fail(err, CY_EINVAL, s, "length %lld + offset %lld is too large",
                      (long long)a->length, (long long)a->offset);
  if (a->null_count < -1 || a->null_count > a->length)
    return field_fail(err, CY_EINVAL, s, "null_count %lld is outside -1..length %lld",
                      (long long)a->null_count, (long long)a->length);
  int64_t want = cy_type_is_var_width(type->id) ? 3 : 2;
  if (a->n_buffers != want)
    return field_fail(err, CY_EINVAL, s, "expected %lld buffers, got %lld", (long long)want,
                      (long long)a->n_buffers);
  if (a->buffers == NULL) return field_fail(err, CY_EINVAL, s, "buffer list is NULL");
  if (a->n_children != 0)
    return field_fail(err, CY_EINVAL, s, "a primitive array has %lld children",
                      (long long)a->n_children);
  if (a->dictionary != NULL)
    return field_fail(err, CY_ENOTSUP, s, "dictionary-encoded arrays are not supported");
  return CY_OK;
}

/* Import rows [a->offset + parent_offset, ... + rows) of node a as a column. */
static cy_status import_column_node(const struct ArrowSchema *s, const struct ArrowArray *a,
                                    int64_t parent_offset, int64_t rows, import_holder *h,
                                    cy_column **out, cy_error *err) {
  cy_type type;
  CY_RETURN_NOT_OK(field_type(s, &type, err));
  CY_RETURN_NOT_OK(check_node(s, a, &type, err));
  if (parent_offset > a->length || rows > a->length - parent_offset)
    return field_fail(err, CY_EINVAL, s,
                      "child array has %lld rows but its struct needs rows %lld..%lld",
                      (long long)a->length, (long long)parent_offset,
                      (long long)(parent_offset + rows));
  bool whole = parent_offset == 0 && rows == a->length;
  node_buffers b = {NULL, NULL, NULL};
  int64_t null_count = 0;
  cy_status st = take_node_buffers(s, a, &type, whole, h, &b, &null_count, err);
  if (st != CY_OK) {
    node_buffers_release(&b);
    return st;
  }
  /* cy_column_make takes the buffers whatever happens, and checks their sizes again. */
  st = cy_column_make(type, rows, a->offset + parent_offset, null_count, b.validity, b.values,
                      b.data, out, err);
  if (st != CY_OK) cy_error_prefix(err, "field '%.128s': ", field_name(s));
  return st;
}

/* ---- public imports ------------------------------------------------------------------- */

cy_status cy_column_import_arrow(const struct ArrowSchema *schema, struct ArrowArray *array,
                                 cy_column **out, cy_error *err) {
  import_holder *h;
  CY_RETURN_NOT_OK(holder_take(array, &h, err));
  cy_status st;
  if (out == NULL) {
    cy_error_set(err, "cy_column_import_arrow needs an output pointer");
    st = CY_EINVAL;
  } else {
    st = import_column_node(schema, &h->array, 0, h->array.length, h, out, err);
  }
  holder_unref(h); /* the columns' buffers hold the array from here on */
  return st;
}

/* A struct array's own checks: shape, children present, and no null rows. */
static cy_status check_struct_array(const struct ArrowSchema *s, const struct ArrowArray *a,
                                    cy_error *err) {
  if (a->length < 0 || a->offset < 0 || a->length > MAX_ROWS || a->offset > MAX_ROWS - a->length)
    return field_fail(err, CY_EINVAL, s, "invalid length %lld or offset %lld",
                      (long long)a->length, (long long)a->offset);
  if (a->n_buffers != 1 || a->buffers == NULL)
    return field_fail(err, CY_EINVAL, s, "a struct array has 1 buffer, got %lld%s",
                      (long long)a->n_buffers, a->buffers ? "" : " (and no buffer list)");
  if (a->n_children != s->n_children)
    return field_fail(err, CY_EINVAL, s, "schema has %lld fields but the array %lld children",
                      (long long)s->n_children, (long long)a->n_children);
  if (a->n_children > 0 && a->children == NULL)
    return field_fail(err, CY_EINVAL, s, "children list is NULL");
  for (int64_t i = 0; i < a->n_children; i++)
    if (a->children[i] == NULL)
      return field_fail(err, CY_EINVAL, s, "child array %lld is NULL", (long long)i);
  if (a->dictionary != NULL)
    return field_fail(err, CY_ENOTSUP, s, "dictionary-encoded arrays are not supported");
  int64_t nulls = 0;
  if (a->buffers[0] != NULL && a->null_count != 0) {
    nulls = a->null_count;
    if (nulls < 0) nulls = a->length - cy_bitmap_count_set(a->buffers[0], a->offset, a->length);
  }
  if (nulls > 0)
    return field_fail(err, CY_ENOTSUP, s,
                      "struct array has %lld null rows; a table cannot hold null rows",
                      (long long)nulls);
  return CY_OK;
}

/* Import every child of the struct held by h into cols[]. */
static cy_status import_children(const struct ArrowSchema *schema, import_holder *h,
                                 cy_column **cols, cy_error *err) {
  const struct ArrowArray *a = &h->array;
  for (int64_t i = 0; i < a->n_children; i++) {
    cy_status st = import_column_node(schema->children[i], a->children[i], a->offset, a->length,
                                      h, &cols[i], err);
    if (st != CY_OK) return st;
  }
  return CY_OK;
}

cy_status cy_table_import_arrow(const struct ArrowSchema *schema, struct ArrowArray *array,
                                cy_table **out, cy_error *err) {
  import_holder *h;
  CY_RETURN_NOT_OK(holder_take(array, &h, err));
  cy_status st = check_struct_schema(schema, err);
  if (st == CY_OK) st = check_struct_array(schema, &h->array, err);
  if (st == CY_OK && out == NULL) {
    cy_error_set(err, "cy_table_import_arrow needs an output pointer");
    st = CY_EINVAL;
  }
  int32_t n = st == CY_OK ? (int32_t)schema->n_children : 0;
  cy_column **cols = calloc(n > 0 ? (size_t)n : 1, sizeof(cy_column *));
  const char **names = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
  if (st == CY_OK && (cols == NULL || names == NULL)) {
    cy_error_set(err, "out of memory importing an Arrow table");
    st = CY_ENOMEM;
  }
  if (st == CY_OK) st = import_children(schema, h, cols, err);
  if (st == CY_OK) {
    for (int32_t i = 0; i < n; i++) names[i] = field_name(schema->children[i]);
    st = cy_table_make(n, names, cols, out, err);
    /* Without columns the row count lives only in the struct. */
    if (st == CY_OK && n == 0) (*out)->num_rows = h->array.length;
  }
  for (int32_t i = 0; cols && i < n; i++) cy_column_release(cols[i]);
  free(cols);
  free(names);
  holder_unref(h);
  return st;
}

cy_status cy_schema_import_arrow(const struct ArrowSchema *schema, cy_schema *out,
                                 cy_error *err) {
  CY_RETURN_NOT_OK(check_struct_schema(schema, err));
  int32_t n = (int32_t)schema->n_children;
  cy_schema tmp = {0, calloc(n > 0 ? (size_t)n : 1, sizeof(cy_field))};
  if (tmp.fields == NULL) goto oom;
  for (int32_t i = 0; i < n; i++) {
    const struct ArrowSchema *c = schema->children[i];
    cy_status st = field_type(c, &tmp.fields[i].type, err);
    for (int32_t j = 0; st == CY_OK && j < i; j++) {
      if (strcmp(tmp.fields[j].name, field_name(c)) == 0) {
        cy_error_set(err, "duplicate field name '%.128s' in Arrow schema", field_name(c));
        st = CY_EINVAL;
      }
    }
    if (st != CY_OK) {
      cy_schema_reset(&tmp);
      return st;
    }
    tmp.fields[i].name = strdup(field_name(c));
    if (tmp.fields[i].name == NULL) goto oom;
    tmp.num_fields++;
  }
  *out = tmp;
  return CY_OK;
oom:
  cy_schema_reset(&tmp);
  cy_error_set(err, "out of memory importing an Arrow schema");
  return CY_ENOMEM;
}

/* ---- stream import -------------------------------------------------------------------- */

typedef struct stream_reader {
  struct ArrowArrayStream stream; /* moved in */
  struct ArrowSchema arrow_schema; /* fetched once; every batch is imported against it */
  cy_schema schema;
  int64_t batches;
} stream_reader;

/* Turn a failed stream call into a cylon error carrying the producer's message. */
static cy_status stream_fail(struct ArrowArrayStream *stream, int code, const char *what,
                             cy_error *err) {
  const char *msg = stream->get_last_error ? stream->get_last_error(stream) : NULL;
  cy_error_set(err, "Arrow stream %s failed (%s): %s", what, cy_status_name(code),
               msg ? msg : strerror(code));
  return code;
}

static cy_status stream_reader_schema(cy_batch_reader *self, cy_schema *out, cy_error *err) {
  stream_reader *r = self->private_data;
  return cy_schema_copy(&r->schema, out, err);
}

static cy_status stream_reader_next(cy_batch_reader *self, cy_table **out, cy_error *err) {
  stream_reader *r = self->private_data;
  struct ArrowArray batch;
  memset(&batch, 0, sizeof batch);
  *out = NULL;
  int rc = r->stream.get_next(&r->stream, &batch);
  if (rc != 0) return stream_fail(&r->stream, rc, "get_next", err);
  if (batch.release == NULL) return CY_OK; /* end of stream */
  cy_status st = cy_table_import_arrow(&r->arrow_schema, &batch, out, err);
  if (st != CY_OK) cy_error_prefix(err, "Arrow stream batch %lld: ", (long long)r->batches);
  r->batches++;
  return st;
}

static void stream_reader_release(cy_batch_reader *self) {
  stream_reader *r = self->private_data;
  if (r) {
    if (r->arrow_schema.release) r->arrow_schema.release(&r->arrow_schema);
    if (r->stream.release) r->stream.release(&r->stream);
    cy_schema_reset(&r->schema);
    free(r);
  }
  self->private_data = NULL;
  self->release = NULL;
}

cy_status cy_batch_reader_import_arrow(struct ArrowArrayStream *stream, cy_batch_reader *out,
                                       cy_error *err) {
  if (stream == NULL || stream->release == NULL) {
    cy_error_set(err, "cannot import an Arrow stream that is NULL or already released");
    return CY_EINVAL;
  }
  stream_reader *r = calloc(1, sizeof(*r));
  if (r == NULL) {
    stream->release(stream);
    cy_error_set(err, "out of memory importing an Arrow stream");
    return CY_ENOMEM;
  }
  r->stream = *stream;
  stream->release = NULL;
  cy_batch_reader reader = {stream_reader_schema, stream_reader_next, stream_reader_release, r};
  /* The schema is needed to read every batch, so a bad one fails here, up front. */
  int rc = r->stream.get_schema(&r->stream, &r->arrow_schema);
  cy_status st = rc != 0 ? stream_fail(&r->stream, rc, "get_schema", err) : CY_OK;
  if (st == CY_OK) st = cy_schema_import_arrow(&r->arrow_schema, &r->schema, err);
  if (st != CY_OK) {
    reader.release(&reader);
    return st;
  }
  if (out == NULL) {
    reader.release(&reader);
    cy_error_set(err, "cy_batch_reader_import_arrow needs an output reader");
    return CY_EINVAL;
  }
  *out = reader;
  return CY_OK;
}
