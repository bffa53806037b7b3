/*
 * ipc_format.c - Arrow IPC metadata: Schema, Message, RecordBatch, DictionaryBatch and
 * Footer tables (Schema.fbs, Message.fbs, File.fbs) to and from C structs, over flatbuf.
 *
 * Field slots below are the order of the fields in the .fbs files (a union takes two
 * slots: its type tag, then its value). Decoding honours each field's schema default
 * when the writer left it out, as FlatBuffers writers do for default values (Date's unit
 * defaults to MILLISECOND, Decimal's bitWidth to 128, a Message's version to V1). The
 * encoder writes every field explicitly.
 *
 * Decoding checks everything a later stage relies on: known union tags, widths, units,
 * precisions, non-negative lengths. A type cylon cannot hold is refused here, once, with
 * the field's name; the batch decoder then only meets the types below.
 */
#include <stdlib.h>
#include <string.h>

#include "io/ipc_format.h"

/* Slots of the tables we use. */
enum { MESSAGE_VERSION, MESSAGE_HEADER_TYPE, MESSAGE_HEADER, MESSAGE_BODY_LENGTH };
enum { SCHEMA_ENDIANNESS, SCHEMA_FIELDS };
enum { FIELD_NAME, FIELD_NULLABLE, FIELD_TYPE_TYPE, FIELD_TYPE, FIELD_DICTIONARY,
       FIELD_CHILDREN };
enum { DICT_ENC_ID, DICT_ENC_INDEX_TYPE };
enum { INT_BIT_WIDTH, INT_IS_SIGNED };
enum { DECIMAL_PRECISION, DECIMAL_SCALE, DECIMAL_BIT_WIDTH };
enum { TIMESTAMP_UNIT, TIMESTAMP_TIMEZONE };
enum { BATCH_LENGTH, BATCH_NODES, BATCH_BUFFERS, BATCH_COMPRESSION };
enum { COMPRESSION_CODEC, COMPRESSION_METHOD };
enum { DICT_BATCH_ID, DICT_BATCH_DATA, DICT_BATCH_IS_DELTA };
enum { FOOTER_VERSION, FOOTER_SCHEMA, FOOTER_DICTIONARIES, FOOTER_BATCHES };

/* The Type union's members. */
enum {
  T_NULL = 1, T_INT, T_FLOAT, T_BINARY, T_UTF8, T_BOOL, T_DECIMAL, T_DATE, T_TIME,
  T_TIMESTAMP, T_INTERVAL, T_LIST, T_STRUCT, T_UNION, T_FIXED_SIZE_BINARY,
  T_FIXED_SIZE_LIST, T_MAP, T_DURATION, T_LARGE_BINARY, T_LARGE_UTF8, T_LARGE_LIST,
  T_RUN_END_ENCODED, T_BINARY_VIEW, T_UTF8_VIEW, T_LIST_VIEW, T_LARGE_LIST_VIEW
};

static const char *const type_names[] = {
  "none", "null", "int", "floating point", "binary", "utf8", "bool", "decimal", "date",
  "time", "timestamp", "interval", "list", "struct", "union", "fixed_size_binary",
  "fixed_size_list", "map", "duration", "large_binary", "large_utf8", "large_list",
  "run_end_encoded", "binary_view", "utf8_view", "list_view", "large_list_view"};

#define FIELD_NODE_SIZE 16
#define BUFFER_SIZE 16
#define BLOCK_SIZE 24

static bool is_nested(uint8_t tag) {
  return tag == T_LIST || tag == T_STRUCT || tag == T_UNION || tag == T_FIXED_SIZE_LIST ||
         tag == T_MAP || tag == T_LARGE_LIST || tag == T_RUN_END_ENCODED ||
         tag == T_LIST_VIEW || tag == T_LARGE_LIST_VIEW;
}

static cy_status malformed(cy_error *err, const char *what) {
  cy_error_set(err, "malformed flatbuffer: %s lies outside the metadata", what);
  return CY_EINVAL;
}

/* ---- schema decoding ------------------------------------------------------------------- */

void ipc_schema_reset(ipc_schema *s) {
  for (int32_t i = 0; s->fields && i < s->num_fields; i++) free(s->fields[i].name);
  free(s->fields);
  s->fields = NULL;
  s->num_fields = 0;
}

static cy_status int_type(int32_t bits, bool is_signed, cy_type_id *out, cy_error *err) {
  static const cy_type_id s[] = {CY_INT8, CY_INT16, CY_INT32, CY_INT64};
  static const cy_type_id u[] = {CY_UINT8, CY_UINT16, CY_UINT32, CY_UINT64};
  int k = bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : bits == 64 ? 3 : -1;
  if (k < 0) {
    cy_error_set(err, "integer width %d is not 8, 16, 32 or 64", (int)bits);
    return CY_EINVAL;
  }
  *out = is_signed ? s[k] : u[k];
  return CY_OK;
}

static cy_status decode_int(const fb_table *t, cy_type *out, cy_error *err) {
  int32_t bits;
  bool is_signed;
  if (!fb_get_i32(t, INT_BIT_WIDTH, 0, &bits) || !fb_get_bool(t, INT_IS_SIGNED, false, &is_signed))
    return malformed(err, "Int");
  cy_type_id id;
  CY_RETURN_NOT_OK(int_type(bits, is_signed, &id, err));
  *out = cy_type_make(id);
  return CY_OK;
}

static cy_status decode_float(const fb_table *t, cy_type *out, cy_error *err) {
  int16_t precision;
  if (!fb_get_i16(t, 0, 0, &precision)) return malformed(err, "FloatingPoint");
  if (precision == 0) {
    cy_error_set(err, "float16 (half precision) is not supported; cast it to float32 first");
    return CY_ENOTSUP;
  }
  if (precision != 1 && precision != 2) {
    cy_error_set(err, "unknown floating point precision %d", (int)precision);
    return CY_EINVAL;
  }
  *out = cy_type_make(precision == 1 ? CY_FLOAT32 : CY_FLOAT64);
  return CY_OK;
}

static cy_status decode_decimal(const fb_table *t, cy_type *out, cy_error *err) {
  int32_t precision, scale, bits;
  if (!fb_get_i32(t, DECIMAL_PRECISION, 0, &precision) ||
      !fb_get_i32(t, DECIMAL_SCALE, 0, &scale) || !fb_get_i32(t, DECIMAL_BIT_WIDTH, 128, &bits))
    return malformed(err, "Decimal");
  if (bits != 128) {
    cy_error_set(err, "decimal%d is not supported (only decimal128)", (int)bits);
    return CY_ENOTSUP;
  }
  /* As the C Data Interface import: cylon's decimals keep 0 <= scale <= precision. */
  if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
    cy_error_set(err, "decimal128(%d, %d) is not supported: precision must be 1..38 and "
                 "scale 0..precision", (int)precision, (int)scale);
    return CY_ENOTSUP;
  }
  *out = cy_type_decimal128(precision, scale);
  return CY_OK;
}

static cy_status decode_timestamp(const fb_table *t, cy_type *out, cy_error *err) {
  int16_t unit;
  const char *tz;
  uint32_t tz_len;
  bool present;
  if (!fb_get_i16(t, TIMESTAMP_UNIT, 0, &unit) ||
      !fb_get_string(t, TIMESTAMP_TIMEZONE, &tz, &tz_len, &present))
    return malformed(err, "Timestamp");
  if (unit < 0 || unit > 3) {
    cy_error_set(err, "unknown timestamp unit %d", (int)unit);
    return CY_EINVAL;
  }
  *out = cy_type_timestamp((cy_time_unit)unit, NULL);
  if (tz_len >= sizeof out->timezone || memchr(tz, 0, tz_len) != NULL) {
    cy_error_set(err, "time zone of %u bytes is too long or holds a NUL", (unsigned)tz_len);
    return CY_ENOTSUP;
  }
  memcpy(out->timezone, tz, tz_len);
  out->timezone[tz_len] = 0;
  return CY_OK;
}

/* The cylon type of a Type union value (tag, table). */
static cy_status decode_type(uint8_t tag, const fb_table *t, ipc_field *f, cy_error *err) {
  int16_t unit;
  switch (tag) {
    case T_INT: return decode_int(t, &f->type, err);
    case T_FLOAT: return decode_float(t, &f->type, err);
    case T_DECIMAL: return decode_decimal(t, &f->type, err);
    case T_TIMESTAMP: return decode_timestamp(t, &f->type, err);
    case T_BOOL: f->type = cy_type_make(CY_BOOL); return CY_OK;
    case T_UTF8: f->type = cy_type_make(CY_UTF8); return CY_OK;
    case T_LARGE_UTF8: f->type = cy_type_make(CY_LARGE_UTF8); return CY_OK;
    case T_BINARY: f->type = cy_type_make(CY_BINARY); return CY_OK;
    case T_LARGE_BINARY: f->type = cy_type_make(CY_LARGE_BINARY); return CY_OK;
    case T_DATE:
      if (!fb_get_i16(t, 0, 1, &unit)) return malformed(err, "Date");
      if (unit != 0 && unit != 1) {
        cy_error_set(err, "unknown date unit %d", (int)unit);
        return CY_EINVAL;
      }
      f->type = cy_type_make(CY_DATE32);
      f->date64 = unit == 1;
      return CY_OK;
    default: break;
  }
  const char *name = tag < sizeof type_names / sizeof *type_names ? type_names[tag] : NULL;
  if (name == NULL) {
    cy_error_set(err, "unknown Arrow type tag %d", (int)tag);
    return CY_EINVAL;
  }
  if (is_nested(tag))
    cy_error_set(err, "nested type %s is not supported (cylon reads flat columns)", name);
  else
    cy_error_set(err, "Arrow type %s is not supported", name);
  return CY_ENOTSUP;
}

static cy_status decode_dictionary(const fb_table *d, ipc_field *f, cy_error *err) {
  fb_table index;
  bool present;
  f->dictionary = true;
  f->index_bits = 32;
  f->index_signed = true;
  if (!fb_get_i64(d, DICT_ENC_ID, 0, &f->dict_id) ||
      !fb_get_table(d, DICT_ENC_INDEX_TYPE, &index, &present))
    return malformed(err, "DictionaryEncoding");
  if (!present) return CY_OK; /* int32 indices */
  int32_t bits;
  bool is_signed;
  if (!fb_get_i32(&index, INT_BIT_WIDTH, 0, &bits) ||
      !fb_get_bool(&index, INT_IS_SIGNED, false, &is_signed))
    return malformed(err, "dictionary index type");
  cy_type_id unused;
  CY_RETURN_NOT_OK(int_type(bits, is_signed, &unused, err));
  f->index_bits = bits;
  f->index_signed = is_signed;
  return CY_OK;
}

static cy_status decode_field(const fb_table *t, ipc_field *f, cy_error *err) {
  const char *name;
  uint32_t len;
  bool present, has_dict;
  uint8_t tag;
  fb_table type, dict;
  if (!fb_get_string(t, FIELD_NAME, &name, &len, &present)) return malformed(err, "Field.name");
  if ((f->name = malloc((size_t)len + 1)) == NULL) {
    cy_error_set(err, "out of memory reading a field name");
    return CY_ENOMEM;
  }
  memcpy(f->name, name, len);
  f->name[len] = 0;
  if (!fb_get_u8(t, FIELD_TYPE_TYPE, 0, &tag) || !fb_get_table(t, FIELD_TYPE, &type, &present) ||
      !fb_get_table(t, FIELD_DICTIONARY, &dict, &has_dict))
    return malformed(err, "Field.type");
  if (tag == 0 || !present) {
    cy_error_set(err, "field has no type");
    return CY_EINVAL;
  }
  CY_RETURN_NOT_OK(decode_type(tag, &type, f, err));
  return has_dict ? decode_dictionary(&dict, f, err) : CY_OK;
}

cy_status ipc_schema_decode(const fb_table *schema, ipc_schema *out, cy_error *err) {
  int16_t endianness;
  fb_vector fields;
  bool present;
  memset(out, 0, sizeof *out);
  if (!fb_get_i16(schema, SCHEMA_ENDIANNESS, 0, &endianness) ||
      !fb_get_vector(schema, SCHEMA_FIELDS, 4, &fields, &present))
    return malformed(err, "Schema");
  if (endianness != 0) {
    cy_error_set(err, "big-endian data is not supported");
    return CY_ENOTSUP;
  }
  if (fields.len > INT32_MAX / 2) return malformed(err, "Schema.fields");
  out->fields = calloc(fields.len ? fields.len : 1, sizeof(ipc_field));
  if (out->fields == NULL) {
    cy_error_set(err, "out of memory reading a schema of %u fields", (unsigned)fields.len);
    return CY_ENOMEM;
  }
  out->num_fields = (int32_t)fields.len;
  for (uint32_t i = 0; i < fields.len; i++) {
    fb_table f;
    cy_status st = fb_vector_table(&fields, i, &f) ? decode_field(&f, &out->fields[i], err)
                                                   : malformed(err, "Field");
    if (st != CY_OK) {
      const char *name = out->fields[i].name;
      cy_error_prefix(err, "field %u%s%s%s: ", (unsigned)i, name ? " '" : "", name ? name : "",
                      name ? "'" : "");
      ipc_schema_reset(out);
      return st;
    }
  }
  return CY_OK;
}

cy_status ipc_schema_to_cylon(const ipc_schema *s, cy_schema *out, cy_error *err) {
  cy_schema view = {s->num_fields, NULL};
  cy_field *fields = calloc(s->num_fields ? (size_t)s->num_fields : 1, sizeof(cy_field));
  if (fields == NULL) {
    cy_error_set(err, "out of memory copying a schema");
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < s->num_fields; i++) {
    fields[i].name = s->fields[i].name;
    fields[i].type = s->fields[i].type;
  }
  view.fields = fields;
  cy_status st = cy_schema_copy(&view, out, err);
  free(fields);
  return st;
}

/* ---- messages -------------------------------------------------------------------------- */

cy_status ipc_message_decode(const uint8_t *data, int64_t size, ipc_message *out,
                             cy_error *err) {
  fb_table root;
  bool present;
  memset(out, 0, sizeof *out);
  if (!fb_root(data, size, &root)) return malformed(err, "the Message table");
  if (!fb_get_i16(&root, MESSAGE_VERSION, 0, &out->version) ||
      !fb_get_u8(&root, MESSAGE_HEADER_TYPE, 0, &out->header_type) ||
      !fb_get_table(&root, MESSAGE_HEADER, &out->header, &present) ||
      !fb_get_i64(&root, MESSAGE_BODY_LENGTH, 0, &out->body_length))
    return malformed(err, "Message");
  if (out->version < IPC_V4 || out->version > IPC_V5) {
    cy_error_set(err, "metadata version V%d is not supported (cylon reads V4 and V5)",
                 (int)out->version + 1);
    return CY_ENOTSUP;
  }
  if (!present || out->header_type == 0) {
    cy_error_set(err, "message has no header");
    return CY_EINVAL;
  }
  if (out->body_length < 0) {
    cy_error_set(err, "negative body length %lld", (long long)out->body_length);
    return CY_EINVAL;
  }
  return CY_OK;
}

cy_status ipc_batch_meta_decode(const fb_table *batch, ipc_batch_meta *out, cy_error *err) {
  bool present, has_compression;
  fb_table compression;
  memset(out, 0, sizeof *out);
  out->codec = IPC_CODEC_NONE;
  if (!fb_get_i64(batch, BATCH_LENGTH, 0, &out->length) ||
      !fb_get_vector(batch, BATCH_NODES, FIELD_NODE_SIZE, &out->nodes, &present) ||
      !fb_get_vector(batch, BATCH_BUFFERS, BUFFER_SIZE, &out->buffers, &present) ||
      !fb_get_table(batch, BATCH_COMPRESSION, &compression, &has_compression))
    return malformed(err, "RecordBatch");
  if (out->length < 0) {
    cy_error_set(err, "negative row count %lld", (long long)out->length);
    return CY_EINVAL;
  }
  if (!has_compression) return CY_OK;
  uint8_t codec, method;
  if (!fb_get_u8(&compression, COMPRESSION_CODEC, 0, &codec) ||
      !fb_get_u8(&compression, COMPRESSION_METHOD, 0, &method))
    return malformed(err, "BodyCompression");
  if (codec > IPC_CODEC_ZSTD || method != 0) {
    cy_error_set(err, "unknown body compression (codec %d, method %d)", codec, method);
    return CY_ENOTSUP;
  }
  out->codec = (ipc_codec)codec;
  return CY_OK;
}

cy_status ipc_dictionary_meta_decode(const fb_table *dict, int64_t *id, bool *is_delta,
                                     ipc_batch_meta *out, cy_error *err) {
  fb_table data;
  bool present;
  if (!fb_get_i64(dict, DICT_BATCH_ID, 0, id) ||
      !fb_get_table(dict, DICT_BATCH_DATA, &data, &present) ||
      !fb_get_bool(dict, DICT_BATCH_IS_DELTA, false, is_delta))
    return malformed(err, "DictionaryBatch");
  if (!present) {
    cy_error_set(err, "dictionary batch %lld has no data", (long long)*id);
    return CY_EINVAL;
  }
  return ipc_batch_meta_decode(&data, out, err);
}

void ipc_batch_node(const ipc_batch_meta *m, uint32_t i, int64_t *length, int64_t *null_count) {
  const uint8_t *p = fb_vector_at(&m->nodes, i);
  *length = fb_load_i64(p);
  *null_count = fb_load_i64(p + 8);
}

void ipc_batch_buffer(const ipc_batch_meta *m, uint32_t i, int64_t *offset, int64_t *length) {
  const uint8_t *p = fb_vector_at(&m->buffers, i);
  *offset = fb_load_i64(p);
  *length = fb_load_i64(p + 8);
}

/* ---- footer ---------------------------------------------------------------------------- */

cy_status ipc_footer_decode(const uint8_t *data, int64_t size, ipc_footer *out, cy_error *err) {
  fb_table root, schema;
  bool present, p1, p2;
  int16_t version;
  memset(out, 0, sizeof *out);
  if (!fb_root(data, size, &root)) return malformed(err, "the Footer table");
  if (!fb_get_i16(&root, FOOTER_VERSION, 0, &version) ||
      !fb_get_table(&root, FOOTER_SCHEMA, &schema, &present) ||
      !fb_get_vector(&root, FOOTER_DICTIONARIES, BLOCK_SIZE, &out->dictionaries, &p1) ||
      !fb_get_vector(&root, FOOTER_BATCHES, BLOCK_SIZE, &out->batches, &p2))
    return malformed(err, "Footer");
  if (!present) {
    cy_error_set(err, "the footer has no schema");
    return CY_EINVAL;
  }
  return ipc_schema_decode(&schema, &out->schema, err);
}

void ipc_footer_reset(ipc_footer *f) { ipc_schema_reset(&f->schema); }

ipc_block ipc_footer_block(const fb_vector *blocks, uint32_t i) {
  const uint8_t *p = fb_vector_at(blocks, i);
  ipc_block b = {fb_load_i64(p), fb_load_i32(p + 8), fb_load_i64(p + 16)};
  return b;
}

/* ---- encoding -------------------------------------------------------------------------- */

/* The Type union member and table for a cylon type. */
static fb_ref encode_type(fb_builder *b, const cy_type *type, uint8_t *tag) {
  fb_ref tz = 0;
  if (type->id == CY_TIMESTAMP && type->timezone[0])
    tz = fb_create_string(b, type->timezone, strlen(type->timezone));
  fb_table_start(b);
  switch (type->id) {
    case CY_BOOL: *tag = T_BOOL; break;
    case CY_FLOAT32:
    case CY_FLOAT64:
      *tag = T_FLOAT;
      fb_add_i16(b, 0, type->id == CY_FLOAT32 ? 1 : 2);
      break;
    case CY_UTF8: *tag = T_UTF8; break;
    case CY_LARGE_UTF8: *tag = T_LARGE_UTF8; break;
    case CY_BINARY: *tag = T_BINARY; break;
    case CY_LARGE_BINARY: *tag = T_LARGE_BINARY; break;
    case CY_DATE32:
      *tag = T_DATE;
      fb_add_i16(b, 0, 0); /* DAY */
      break;
    case CY_TIMESTAMP:
      *tag = T_TIMESTAMP;
      fb_add_i16(b, TIMESTAMP_UNIT, (int16_t)type->unit);
      if (tz) fb_add_ref(b, TIMESTAMP_TIMEZONE, tz);
      break;
    case CY_DECIMAL128:
      *tag = T_DECIMAL;
      fb_add_i32(b, DECIMAL_PRECISION, type->precision);
      fb_add_i32(b, DECIMAL_SCALE, type->scale);
      fb_add_i32(b, DECIMAL_BIT_WIDTH, 128);
      break;
    default: /* the integers */
      *tag = T_INT;
      fb_add_i32(b, INT_BIT_WIDTH, cy_type_bit_width(type->id));
      fb_add_bool(b, INT_IS_SIGNED, type->id >= CY_INT8 && type->id <= CY_INT64);
      break;
  }
  return fb_table_end(b);
}

static fb_ref encode_field(fb_builder *b, const cy_field *f) {
  uint8_t tag = 0;
  fb_ref name = fb_create_string(b, f->name, strlen(f->name));
  fb_ref type = encode_type(b, &f->type, &tag);
  /* Arrow C++ insists on a children vector, even an empty one. */
  fb_ref children = fb_create_ref_vector(b, NULL, 0);
  fb_table_start(b);
  fb_add_ref(b, FIELD_NAME, name);
  fb_add_bool(b, FIELD_NULLABLE, true);
  fb_add_u8(b, FIELD_TYPE_TYPE, tag);
  fb_add_ref(b, FIELD_TYPE, type);
  fb_add_ref(b, FIELD_CHILDREN, children);
  return fb_table_end(b);
}

static cy_status encode_schema(fb_builder *b, const cy_schema *schema, fb_ref *out,
                               cy_error *err) {
  fb_ref *fields = calloc(schema->num_fields ? (size_t)schema->num_fields : 1, sizeof(fb_ref));
  if (fields == NULL) {
    cy_error_set(err, "out of memory encoding a schema");
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < schema->num_fields; i++) fields[i] = encode_field(b, &schema->fields[i]);
  fb_ref vec = fb_create_ref_vector(b, fields, (size_t)schema->num_fields);
  free(fields);
  fb_table_start(b);
  fb_add_i16(b, SCHEMA_ENDIANNESS, 0);
  fb_add_ref(b, SCHEMA_FIELDS, vec);
  *out = fb_table_end(b);
  return CY_OK;
}

/* Wrap a header in a Message and finish the buffer. */
static cy_status finish_message(fb_builder *b, uint8_t header_type, fb_ref header,
                                int64_t body_length, const uint8_t **data, size_t *size,
                                cy_error *err) {
  fb_table_start(b);
  fb_add_i16(b, MESSAGE_VERSION, IPC_V5);
  fb_add_u8(b, MESSAGE_HEADER_TYPE, header_type);
  fb_add_ref(b, MESSAGE_HEADER, header);
  fb_add_i64(b, MESSAGE_BODY_LENGTH, body_length);
  fb_ref message = fb_table_end(b);
  if (!fb_finish(b, message, data, size)) {
    cy_error_set(err, "out of memory encoding IPC metadata (or more than 2 GiB of it)");
    return CY_ENOMEM;
  }
  return CY_OK;
}

cy_status ipc_schema_message_encode(const cy_schema *schema, fb_builder *b,
                                    const uint8_t **data, size_t *size, cy_error *err) {
  fb_ref s;
  CY_RETURN_NOT_OK(encode_schema(b, schema, &s, err));
  return finish_message(b, IPC_HEADER_SCHEMA, s, 0, data, size, err);
}

cy_status ipc_batch_message_encode(int64_t length, const ipc_node *nodes, int32_t num_nodes,
                                   const ipc_buffer_ref *buffers, int32_t num_buffers,
                                   ipc_codec codec, int64_t body_length, fb_builder *b,
                                   const uint8_t **data, size_t *size, cy_error *err) {
  /* ipc_node and ipc_buffer_ref are two int64s, exactly the FieldNode and Buffer structs
   * on a little-endian host. */
  fb_ref n = fb_create_vector(b, nodes, (size_t)num_nodes, FIELD_NODE_SIZE, 8);
  fb_ref bufs = fb_create_vector(b, buffers, (size_t)num_buffers, BUFFER_SIZE, 8);
  fb_ref compression = 0;
  if (codec != IPC_CODEC_NONE) {
    fb_table_start(b);
    fb_add_u8(b, COMPRESSION_CODEC, (uint8_t)codec);
    fb_add_u8(b, COMPRESSION_METHOD, 0); /* BUFFER */
    compression = fb_table_end(b);
  }
  fb_table_start(b);
  fb_add_i64(b, BATCH_LENGTH, length);
  fb_add_ref(b, BATCH_NODES, n);
  fb_add_ref(b, BATCH_BUFFERS, bufs);
  if (compression) fb_add_ref(b, BATCH_COMPRESSION, compression);
  fb_ref batch = fb_table_end(b);
  return finish_message(b, IPC_HEADER_RECORD_BATCH, batch, body_length, data, size, err);
}

cy_status ipc_footer_encode(const cy_schema *schema, const ipc_block *batches, int64_t n,
                            fb_builder *b, const uint8_t **data, size_t *size,
                            cy_error *err) {
  if (n > INT32_MAX / BLOCK_SIZE) {
    cy_error_set(err, "too many record batches (%lld) for one file footer", (long long)n);
    return CY_EINVAL;
  }
  uint8_t *blocks = calloc(n ? (size_t)n : 1, BLOCK_SIZE);
  if (blocks == NULL) {
    cy_error_set(err, "out of memory encoding a file footer");
    return CY_ENOMEM;
  }
  for (int64_t i = 0; i < n; i++) {
    memcpy(blocks + i * BLOCK_SIZE, &batches[i].offset, 8);
    memcpy(blocks + i * BLOCK_SIZE + 8, &batches[i].meta_length, 4);
    memcpy(blocks + i * BLOCK_SIZE + 16, &batches[i].body_length, 8);
  }
  fb_ref s;
  cy_status st = encode_schema(b, schema, &s, err);
  if (st != CY_OK) {
    free(blocks);
    return st;
  }
  fb_ref dicts = fb_create_vector(b, NULL, 0, BLOCK_SIZE, 8);
  fb_ref recs = fb_create_vector(b, blocks, (size_t)n, BLOCK_SIZE, 8);
  free(blocks);
  fb_table_start(b);
  fb_add_i16(b, FOOTER_VERSION, IPC_V5);
  fb_add_ref(b, FOOTER_SCHEMA, s);
  fb_add_ref(b, FOOTER_DICTIONARIES, dicts);
  fb_add_ref(b, FOOTER_BATCHES, recs);
  fb_ref footer = fb_table_end(b);
  if (!fb_finish(b, footer, data, size)) {
    cy_error_set(err, "out of memory encoding a file footer");
    return CY_ENOMEM;
  }
  return CY_OK;
}
