/*
 * arrow_export.c - cylon types, columns, tables and batch readers as Arrow C Data / C Stream
 * Interface structs ("The Arrow C data interface", "The Arrow C stream interface").
 *
 * Type <-> format string: each cylon type has exactly one format ("l", "u", "tsu:UTC",
 * "d:10,2"); the parser also takes "d:P,S,128" and answers ENOTSUP, naming the format, for
 * every valid Arrow type cylon cannot hold (lists, dictionaries, views, null, float16...).
 *
 * Export is zero-copy. Every exported ArrowSchema / ArrowArray node owns one heap block
 * (its private_data) holding what the struct points to: the format and name strings, the
 * buffer pointer array, the child structs, and for arrays one cy_buffer reference per
 * exported buffer. The buffers themselves are the column's own memory, so they stay valid
 * however long the consumer keeps the array, even after the table is gone. A node's release
 * releases its still-live children (a consumer may have moved some out), drops the buffer
 * references, frees the block and marks the node released. No pointer in a struct points
 * into the struct itself, so consumers may move them freely, as the spec requires.
 *
 * A table is exported as a "+s" struct array of length num_rows with no validity bitmap
 * and one child per column; each child carries its column's own offset, so slices export
 * without copying.
 *
 * The stream wraps a cy_batch_reader: get_next exports the next batch (or a released array
 * at the end), and a failure's message is kept in the stream for get_last_error.
 */
#include <stdlib.h>
#include <string.h>

#include "cylon/arrow_c.h"

/* Longest format cylon writes: "tsn:" plus a 63-byte time zone. */
#define FORMAT_MAX 80

/* ---- type <-> format string ------------------------------------------------------- */

/* One-character formats and the cylon type each maps to. */
static const struct {
  char format;
  cy_type_id id;
} simple_formats[] = {
    {'b', CY_BOOL},   {'c', CY_INT8},    {'s', CY_INT16},       {'i', CY_INT32},
    {'l', CY_INT64},  {'C', CY_UINT8},   {'S', CY_UINT16},      {'I', CY_UINT32},
    {'L', CY_UINT64}, {'f', CY_FLOAT32}, {'g', CY_FLOAT64},     {'u', CY_UTF8},
    {'U', CY_LARGE_UTF8}, {'z', CY_BINARY}, {'Z', CY_LARGE_BINARY},
};
#define N_SIMPLE (sizeof(simple_formats) / sizeof(simple_formats[0]))

static const char unit_chars[] = {'s', 'm', 'u', 'n'}; /* indexed by cy_time_unit */

cy_status cy_type_to_arrow_format(const cy_type *type, char *buf, size_t size, cy_error *err) {
  char tmp[FORMAT_MAX];
  tmp[0] = 0;
  for (size_t i = 0; i < N_SIMPLE; i++)
    if (simple_formats[i].id == type->id) snprintf(tmp, sizeof tmp, "%c", simple_formats[i].format);
  if (type->id == CY_DATE32) {
    snprintf(tmp, sizeof tmp, "tdD");
  } else if (type->id == CY_TIMESTAMP) {
    if ((unsigned)type->unit > CY_NANO) {
      cy_error_set(err, "timestamp type has an invalid time unit %d", (int)type->unit);
      return CY_EINVAL;
    }
    /* The colon is written even without a zone, as the spec requires. */
    snprintf(tmp, sizeof tmp, "ts%c:%.*s", unit_chars[type->unit],
             (int)sizeof(type->timezone) - 1, type->timezone);
  } else if (type->id == CY_DECIMAL128) {
    snprintf(tmp, sizeof tmp, "d:%d,%d", (int)type->precision, (int)type->scale);
  }
  if (tmp[0] == 0) {
    cy_error_set(err, "type id %d has no Arrow format", (int)type->id);
    return CY_EINVAL;
  }
  size_t len = strlen(tmp);
  if (buf == NULL || len >= size) {
    cy_error_set(err, "Arrow format '%s' needs %zu bytes, the buffer has %zu", tmp, len + 1,
                 buf == NULL ? (size_t)0 : size);
    return CY_ERANGE;
  }
  memcpy(buf, tmp, len + 1);
  return CY_OK;
}

/* Parse "ts?:zone". */
static cy_status parse_timestamp(const char *format, cy_type *out, cy_error *err) {
  cy_time_unit unit = CY_SECOND;
  bool found = false;
  for (int u = 0; u < 4; u++) {
    if (format[2] == unit_chars[u]) {
      unit = (cy_time_unit)u;
      found = true;
    }
  }
  if (!found || format[3] != ':') {
    cy_error_set(err, "malformed Arrow timestamp format '%s' (expected ts[smun]:[zone])", format);
    return CY_EINVAL;
  }
  const char *tz = format + 4;
  if (strlen(tz) >= sizeof(out->timezone)) {
    cy_error_set(err, "time zone of Arrow format '%s' is longer than %zu bytes", format,
                 sizeof(out->timezone) - 1);
    return CY_ENOTSUP;
  }
  *out = cy_type_timestamp(unit, tz);
  return CY_OK;
}

/* Read a decimal integer at *p (optional '-'), advancing *p; false when there is none. */
static bool read_int(const char **p, long long *out) {
  const char *s = *p;
  bool neg = *s == '-';
  if (neg) s++;
  if (*s < '0' || *s > '9') return false;
  long long v = 0;
  while (*s >= '0' && *s <= '9') {
    if (v > 1000000000LL) return false; /* far past any valid precision, scale or width */
    v = v * 10 + (*s++ - '0');
  }
  *out = neg ? -v : v;
  *p = s;
  return true;
}

/* Parse "d:P,S" or "d:P,S,W"; only W = 128 is supported. */
static cy_status parse_decimal(const char *format, cy_type *out, cy_error *err) {
  const char *p = format + 2;
  long long precision, scale, width = 128;
  bool ok = read_int(&p, &precision) && *p++ == ',' && read_int(&p, &scale);
  if (ok && *p == ',') {
    p++;
    ok = read_int(&p, &width);
  }
  if (!ok || *p != 0) {
    cy_error_set(err, "malformed Arrow decimal format '%s' (expected d:P,S or d:P,S,W)", format);
    return CY_EINVAL;
  }
  if (width != 128) {
    cy_error_set(err, "Arrow format '%s': decimal bit width %lld is not supported (only 128)",
                 format, width);
    return CY_ENOTSUP;
  }
  if (precision < 1 || precision > 38) {
    cy_error_set(err, "Arrow format '%s': decimal128 precision must be 1..38", format);
    return CY_EINVAL;
  }
  /* Arrow also allows negative scales and scales above the precision; cylon's decimal
   * printing and parsing assume 0 <= scale <= precision, as cy_type_parse does. */
  if (scale < 0 || scale > precision) {
    cy_error_set(err, "Arrow format '%s': decimal scale outside 0..precision is not supported",
                 format);
    return CY_ENOTSUP;
  }
  *out = cy_type_decimal128((int32_t)precision, (int32_t)scale);
  return CY_OK;
}

/* What a valid Arrow format cylon cannot hold is, for the error message; NULL if unknown.
 * Entries ending in ':' (and the time / duration / interval families) are prefixes. */
static const char *unsupported_kind(const char *f) {
  static const struct {
    const char *format;
    bool prefix;
    const char *kind;
  } kinds[] = {
      {"n", false, "null type"},          {"e", false, "float16"},
      {"vz", false, "binary view"},       {"vu", false, "utf8 view"},
      {"w:", true, "fixed-size binary"},  {"tdm", false, "date64"},
      {"tt", true, "time of day"},        {"tD", true, "duration"},
      {"ti", true, "interval"},           {"+l", false, "list"},
      {"+L", false, "large list"},        {"+vl", false, "list view"},
      {"+vL", false, "large list view"},  {"+w:", true, "fixed-size list"},
      {"+s", false, "struct"},            {"+m", false, "map"},
      {"+ud:", true, "dense union"},      {"+us:", true, "sparse union"},
      {"+r", false, "run-end encoded"},
  };
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    size_t n = strlen(kinds[i].format);
    if (kinds[i].prefix ? strncmp(f, kinds[i].format, n) == 0 : strcmp(f, kinds[i].format) == 0)
      return kinds[i].kind;
  }
  return NULL;
}

cy_status cy_type_from_arrow_format(const char *format, cy_type *out, cy_error *err) {
  if (format == NULL) {
    cy_error_set(err, "Arrow schema has no format string");
    return CY_EINVAL;
  }
  if (format[0] != 0 && format[1] == 0) {
    for (size_t i = 0; i < N_SIMPLE; i++) {
      if (simple_formats[i].format == format[0]) {
        *out = cy_type_make(simple_formats[i].id);
        return CY_OK;
      }
    }
  }
  if (strcmp(format, "tdD") == 0) {
    *out = cy_type_make(CY_DATE32);
    return CY_OK;
  }
  if (strncmp(format, "ts", 2) == 0) return parse_timestamp(format, out, err);
  if (strncmp(format, "d:", 2) == 0) return parse_decimal(format, out, err);
  const char *kind = unsupported_kind(format);
  if (kind) {
    cy_error_set(err, "unsupported Arrow format '%s' (%s)", format, kind);
  } else {
    /* Unknown formats may come from a newer spec; still ENOTSUP, not a crash. */
    cy_error_set(err, "unsupported Arrow format '%s' (unknown)", format);
  }
  return CY_ENOTSUP;
}

/* ---- schema export ---------------------------------------------------------------- */

/* Everything one exported ArrowSchema node points to. */
typedef struct schema_private {
  char format[FORMAT_MAX];
  char *name;
  struct ArrowSchema *child_structs;
  struct ArrowSchema **children;
} schema_private;

static void release_schema(struct ArrowSchema *s) {
  schema_private *p = s->private_data;
  if (p) {
    for (int64_t i = 0; i < s->n_children; i++) {
      struct ArrowSchema *c = p->children[i];
      if (c->release) c->release(c);
    }
    free(p->child_structs);
    free(p->children);
    free(p->name);
    free(p);
  }
  s->private_data = NULL;
  s->release = NULL;
}

/* Fill out as a node with n_children not yet exported children (marked released, so the
 * node can be released at any point of filling them in). */
static cy_status schema_node_init(struct ArrowSchema *out, const char *format, const char *name,
                                  int64_t flags, int64_t n_children, cy_error *err) {
  memset(out, 0, sizeof(*out));
  schema_private *p = calloc(1, sizeof(*p));
  size_t n = n_children > 0 ? (size_t)n_children : 1;
  if (p) {
    p->name = strdup(name ? name : "");
    p->child_structs = calloc(n, sizeof(struct ArrowSchema));
    p->children = calloc(n, sizeof(struct ArrowSchema *));
  }
  if (p == NULL || p->name == NULL || p->child_structs == NULL || p->children == NULL) {
    if (p) {
      free(p->name);
      free(p->child_structs);
      free(p->children);
      free(p);
    }
    cy_error_set(err, "out of memory exporting an Arrow schema");
    return CY_ENOMEM;
  }
  snprintf(p->format, sizeof p->format, "%s", format);
  for (int64_t i = 0; i < n_children; i++) p->children[i] = &p->child_structs[i];
  out->format = p->format;
  out->name = p->name;
  out->metadata = NULL;
  out->flags = flags;
  out->n_children = n_children;
  out->children = p->children;
  out->dictionary = NULL;
  out->release = release_schema;
  out->private_data = p;
  return CY_OK;
}

/* A nullable field: cylon columns may hold nulls in every type. */
static cy_status export_field_schema(const cy_type *type, const char *name,
                                     struct ArrowSchema *out, cy_error *err) {
  char format[FORMAT_MAX];
  CY_RETURN_NOT_OK(cy_type_to_arrow_format(type, format, sizeof format, err));
  return schema_node_init(out, format, name, ARROW_FLAG_NULLABLE, 0, err);
}

cy_status cy_schema_export_arrow(const cy_schema *schema, struct ArrowSchema *out,
                                 cy_error *err) {
  if (schema == NULL || out == NULL) {
    cy_error_set(err, "cy_schema_export_arrow needs a schema and an output struct");
    return CY_EINVAL;
  }
  /* A record batch is a non-nullable struct: a table has no null rows. */
  CY_RETURN_NOT_OK(schema_node_init(out, "+s", "", 0, schema->num_fields, err));
  for (int32_t i = 0; i < schema->num_fields; i++) {
    const cy_field *f = &schema->fields[i];
    cy_status st = export_field_schema(&f->type, f->name, out->children[i], err);
    if (st != CY_OK) {
      cy_error_prefix(err, "exporting field '%s': ", f->name);
      out->release(out);
      return st;
    }
  }
  return CY_OK;
}

/* ---- array export ----------------------------------------------------------------- */

/* Everything one exported ArrowArray node points to, and the buffer references that keep
 * its memory alive. */
typedef struct array_private {
  cy_buffer *refs[3];
  const void *pointers[3];
  struct ArrowArray *child_structs;
  struct ArrowArray **children;
} array_private;

static void release_array(struct ArrowArray *a) {
  array_private *p = a->private_data;
  if (p) {
    for (int64_t i = 0; i < a->n_children; i++) {
      struct ArrowArray *c = p->children[i];
      if (c->release) c->release(c);
    }
    for (int i = 0; i < 3; i++) cy_buffer_release(p->refs[i]);
    free(p->child_structs);
    free(p->children);
    free(p);
  }
  a->private_data = NULL;
  a->release = NULL;
}

static cy_status array_node_init(struct ArrowArray *out, int64_t n_buffers, int64_t n_children,
                                 cy_error *err) {
  memset(out, 0, sizeof(*out));
  array_private *p = calloc(1, sizeof(*p));
  size_t n = n_children > 0 ? (size_t)n_children : 1;
  if (p) {
    p->child_structs = calloc(n, sizeof(struct ArrowArray));
    p->children = calloc(n, sizeof(struct ArrowArray *));
  }
  if (p == NULL || p->child_structs == NULL || p->children == NULL) {
    if (p) {
      free(p->child_structs);
      free(p->children);
      free(p);
    }
    cy_error_set(err, "out of memory exporting an Arrow array");
    return CY_ENOMEM;
  }
  for (int64_t i = 0; i < n_children; i++) p->children[i] = &p->child_structs[i];
  out->n_buffers = n_buffers;
  out->n_children = n_children;
  out->buffers = p->pointers;
  out->children = p->children;
  out->dictionary = NULL;
  out->release = release_array;
  out->private_data = p;
  return CY_OK;
}

/* Point buffer slot i at buf's memory and keep a reference to it. */
static void export_buffer(struct ArrowArray *a, int i, cy_buffer *buf) {
  array_private *p = a->private_data;
  p->refs[i] = cy_buffer_retain(buf);
  p->pointers[i] = buf ? buf->data : NULL;
}

static cy_status export_column_array(const cy_column *col, struct ArrowArray *out,
                                     cy_error *err) {
  bool var = cy_type_is_var_width(col->type.id);
  CY_RETURN_NOT_OK(array_node_init(out, var ? 3 : 2, 0, err));
  out->length = col->length;
  out->offset = col->offset;
  out->null_count = col->null_count;
  /* cylon drops the bitmap of a column without nulls, so NULL here means "all valid". */
  export_buffer(out, 0, col->null_count > 0 ? col->validity : NULL);
  export_buffer(out, 1, col->values);
  if (var) {
    export_buffer(out, 2, col->data);
    /* A column of empty strings may have no data buffer; some consumers dislike a NULL
     * data pointer even at size 0, so point at a static empty block instead. */
    static const uint64_t empty_data = 0;
    if (col->data == NULL) ((array_private *)out->private_data)->pointers[2] = &empty_data;
  }
  return CY_OK;
}

cy_status cy_column_export_arrow(const cy_column *col, const char *name,
                                 struct ArrowSchema *schema, struct ArrowArray *array,
                                 cy_error *err) {
  if (col == NULL || schema == NULL || array == NULL) {
    cy_error_set(err, "cy_column_export_arrow needs a column, a schema and an array struct");
    return CY_EINVAL;
  }
  CY_RETURN_NOT_OK(export_field_schema(&col->type, name, schema, err));
  cy_status st = export_column_array(col, array, err);
  if (st != CY_OK) schema->release(schema);
  return st;
}

/* The table as a struct array only (the stream sends its schema once, separately). */
static cy_status export_table_array(const cy_table *table, struct ArrowArray *out,
                                    cy_error *err) {
  int32_t n = table->schema.num_fields;
  CY_RETURN_NOT_OK(array_node_init(out, 1, n, err));
  out->length = table->num_rows;
  out->offset = 0;
  out->null_count = 0;
  for (int32_t i = 0; i < n; i++) {
    cy_status st = export_column_array(table->columns[i], out->children[i], err);
    if (st != CY_OK) {
      cy_error_prefix(err, "exporting column '%s': ", table->schema.fields[i].name);
      out->release(out);
      return st;
    }
  }
  return CY_OK;
}

cy_status cy_table_export_arrow(const cy_table *table, struct ArrowSchema *schema,
                                struct ArrowArray *array, cy_error *err) {
  if (table == NULL || schema == NULL || array == NULL) {
    cy_error_set(err, "cy_table_export_arrow needs a table, a schema and an array struct");
    return CY_EINVAL;
  }
  CY_RETURN_NOT_OK(cy_schema_export_arrow(&table->schema, schema, err));
  cy_status st = export_table_array(table, array, err);
  if (st != CY_OK) schema->release(schema);
  return st;
}

/* ---- stream export ---------------------------------------------------------------- */

typedef struct stream_private {
  cy_batch_reader reader;
  cy_error error; /* the last failure, for get_last_error */
} stream_private;

static int stream_get_schema(struct ArrowArrayStream *stream, struct ArrowSchema *out) {
  stream_private *p = stream->private_data;
  cy_schema schema = {0, NULL};
  p->error.message[0] = 0;
  cy_status st = p->reader.get_schema(&p->reader, &schema, &p->error);
  if (st == CY_OK) {
    st = cy_schema_export_arrow(&schema, out, &p->error);
    cy_schema_reset(&schema);
  }
  return st;
}

static int stream_get_next(struct ArrowArrayStream *stream, struct ArrowArray *out) {
  stream_private *p = stream->private_data;
  cy_table *batch = NULL;
  p->error.message[0] = 0;
  /* Whatever happens, the consumer never sees a live-looking struct it must not release. */
  memset(out, 0, sizeof(*out));
  cy_status st = p->reader.next(&p->reader, &batch, &p->error);
  if (st != CY_OK || batch == NULL) return st; /* end of stream: out stays released */
  st = export_table_array(batch, out, &p->error);
  cy_table_release(batch); /* the exported array holds its own buffer references */
  return st;
}

static const char *stream_get_last_error(struct ArrowArrayStream *stream) {
  stream_private *p = stream->private_data;
  return p->error.message[0] ? p->error.message : NULL;
}

static void stream_release(struct ArrowArrayStream *stream) {
  stream_private *p = stream->private_data;
  if (p) {
    if (p->reader.release) p->reader.release(&p->reader);
    free(p);
  }
  stream->private_data = NULL;
  stream->release = NULL;
}

cy_status cy_batch_reader_export_arrow(cy_batch_reader *reader, struct ArrowArrayStream *out,
                                       cy_error *err) {
  if (reader == NULL || out == NULL || reader->release == NULL) {
    cy_error_set(err, "cy_batch_reader_export_arrow needs a live reader and an output stream");
    return CY_EINVAL;
  }
  /* Move the reader first, so that on failure it is released rather than leaked: the
   * caller gave it away either way. */
  cy_batch_reader moved = *reader;
  reader->release = NULL;
  reader->private_data = NULL;
  stream_private *p = calloc(1, sizeof(*p));
  if (p == NULL) {
    moved.release(&moved);
    cy_error_set(err, "out of memory exporting an Arrow stream");
    return CY_ENOMEM;
  }
  p->reader = moved;
  memset(out, 0, sizeof(*out));
  out->get_schema = stream_get_schema;
  out->get_next = stream_get_next;
  out->get_last_error = stream_get_last_error;
  out->release = stream_release;
  out->private_data = p;
  return CY_OK;
}

cy_status cy_table_export_arrow_stream(cy_table *table, int64_t batch_rows,
                                       struct ArrowArrayStream *out, cy_error *err) {
  if (table == NULL || out == NULL) {
    cy_error_set(err, "cy_table_export_arrow_stream needs a table and an output stream");
    return CY_EINVAL;
  }
  cy_batch_reader reader;
  CY_RETURN_NOT_OK(cy_table_reader(table, batch_rows, &reader, err));
  return cy_batch_reader_export_arrow(&reader, out, err);
}
