/*
 * parquet_schema.c - from a Parquet schema tree to cylon fields.
 *
 * The footer lists the schema depth first, the root first; groups give their number of
 * children. Each top-level field becomes one cylon column when it is a flat leaf (required
 * or optional, not repeated) of a type cylon holds; otherwise it is kept with a reason it
 * cannot be read ("nested struct", "repeated field", "TIME type"), which becomes an error
 * naming it only if the caller asks for that column.
 *
 * Types follow the LogicalType annotation when there is one and the legacy ConvertedType
 * otherwise; an annotation this reader does not know falls back to the physical type, as
 * the format asks of older readers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/parquet_reader.h"

/* The reason given when even the reason could not be allocated (never freed). */
static char no_memory[] = "out of memory describing this column";

/* A malloc'ed message (never NULL: no_memory when out of memory). */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char *s = strdup(buf);
  return s ? s : no_memory;
}

/* The annotation of a leaf, from LogicalType or else ConvertedType. */
typedef struct annotation {
  enum { ANN_NONE, ANN_TEXT, ANN_BINARY, ANN_DECIMAL, ANN_DATE, ANN_TIMESTAMP, ANN_INT,
         ANN_FLOAT16, ANN_REFUSE } kind;
  int32_t precision, scale;
  int32_t unit; /* pq_time_unit */
  bool utc;
  int32_t bits;
  bool is_signed;
  const char *refuse; /* ANN_REFUSE: what it is */
} annotation;

static annotation from_logical(const pq_schema_element *e) {
  const pq_logical_type *lt = &e->logical;
  annotation a = {.kind = ANN_NONE};
  switch (lt->kind) {
    case PQ_LT_STRING: case PQ_LT_ENUM: case PQ_LT_JSON: a.kind = ANN_TEXT; break;
    case PQ_LT_BSON: case PQ_LT_UUID: a.kind = ANN_BINARY; break;
    case PQ_LT_DECIMAL:
      a.kind = ANN_DECIMAL;
      a.precision = lt->precision;
      a.scale = lt->scale;
      break;
    case PQ_LT_DATE: a.kind = ANN_DATE; break;
    case PQ_LT_TIMESTAMP:
      a.kind = ANN_TIMESTAMP;
      a.unit = lt->unit;
      a.utc = lt->is_adjusted_to_utc;
      break;
    case PQ_LT_INTEGER:
      a.kind = ANN_INT;
      a.bits = lt->bit_width;
      a.is_signed = lt->is_signed;
      break;
    case PQ_LT_FLOAT16: a.kind = ANN_FLOAT16; break;
    case PQ_LT_TIME: a.kind = ANN_REFUSE, a.refuse = "TIME type"; break;
    case PQ_LT_MAP: a.kind = ANN_REFUSE, a.refuse = "MAP annotation on a leaf"; break;
    case PQ_LT_LIST: a.kind = ANN_REFUSE, a.refuse = "LIST annotation on a leaf"; break;
    default: break; /* UNKNOWN (always null), unknown kinds: the physical type */
  }
  return a;
}

static annotation from_converted(const pq_schema_element *e) {
  annotation a = {.kind = ANN_NONE};
  int32_t ct = e->converted_type;
  switch (ct) {
    case PQ_CT_UTF8: case PQ_CT_ENUM: case PQ_CT_JSON: a.kind = ANN_TEXT; break;
    case PQ_CT_BSON: a.kind = ANN_BINARY; break;
    case PQ_CT_DECIMAL:
      a.kind = ANN_DECIMAL;
      a.precision = e->has_precision ? e->precision : -1;
      a.scale = e->has_scale ? e->scale : 0;
      break;
    case PQ_CT_DATE: a.kind = ANN_DATE; break;
    case PQ_CT_TIMESTAMP_MILLIS: case PQ_CT_TIMESTAMP_MICROS:
      a.kind = ANN_TIMESTAMP;
      a.unit = ct == PQ_CT_TIMESTAMP_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS;
      a.utc = false; /* as DuckDB and Arrow read a bare converted type */
      break;
    case PQ_CT_UINT_8: case PQ_CT_UINT_16: case PQ_CT_UINT_32: case PQ_CT_UINT_64:
      a.kind = ANN_INT;
      a.bits = 8 << (ct - PQ_CT_UINT_8);
      a.is_signed = false;
      break;
    case PQ_CT_INT_8: case PQ_CT_INT_16: case PQ_CT_INT_32: case PQ_CT_INT_64:
      a.kind = ANN_INT;
      a.bits = 8 << (ct - PQ_CT_INT_8);
      a.is_signed = true;
      break;
    case PQ_CT_TIME_MILLIS: case PQ_CT_TIME_MICROS: a.kind = ANN_REFUSE, a.refuse = "TIME type"; break;
    case PQ_CT_INTERVAL: a.kind = ANN_REFUSE, a.refuse = "INTERVAL type"; break;
    case PQ_CT_MAP: case PQ_CT_MAP_KEY_VALUE: case PQ_CT_LIST:
      a.kind = ANN_REFUSE, a.refuse = "nested annotation on a leaf";
      break;
    default: break;
  }
  return a;
}

static void set_type(pq_field *f, cy_type type, pq_conv conv, pq_order order) {
  f->type = type;
  f->conv = conv;
  f->order = order;
  int bits = cy_type_bit_width(type.id);
  f->width = type.id == CY_BOOL ? 0 : bits / 8;
}

static char *map_decimal(pq_field *f, const annotation *a) {
  if (a->precision < 1 || a->precision > 38)
    return format("DECIMAL(%d, %d) is beyond decimal128's 38 digits", a->precision, a->scale);
  if (a->scale < 0 || a->scale > a->precision)
    return format("DECIMAL(%d, %d) has a scale outside 0..precision", a->precision, a->scale);
  cy_type t = cy_type_decimal128(a->precision, a->scale);
  switch (f->physical) {
    case PQ_INT32: set_type(f, t, PQ_CONV_I32_DEC, PQ_ORDER_SIGNED); return NULL;
    case PQ_INT64: set_type(f, t, PQ_CONV_I64_DEC, PQ_ORDER_SIGNED); return NULL;
    case PQ_BYTE_ARRAY: set_type(f, t, PQ_CONV_BYTES_DEC, PQ_ORDER_NONE); return NULL;
    case PQ_FIXED_LEN_BYTE_ARRAY: set_type(f, t, PQ_CONV_FLBA_DEC, PQ_ORDER_NONE); return NULL;
    default: return format("DECIMAL annotation on %s", pq_type_name(f->physical));
  }
}

static char *map_int32(pq_field *f, const annotation *a) {
  if (a->kind == ANN_DATE) {
    set_type(f, cy_type_make(CY_DATE32), PQ_CONV_COPY, PQ_ORDER_SIGNED);
  } else if (a->kind == ANN_INT && a->bits <= 32) {
    static const cy_type_id s[] = {CY_INT8, CY_INT16, CY_INT32}, u[] = {CY_UINT8, CY_UINT16, CY_UINT32};
    int k = a->bits <= 8 ? 0 : a->bits <= 16 ? 1 : 2;
    pq_conv conv = k == 0 ? PQ_CONV_I32_I8 : k == 1 ? PQ_CONV_I32_I16 : PQ_CONV_COPY;
    set_type(f, cy_type_make(a->is_signed ? s[k] : u[k]), conv,
             a->is_signed ? PQ_ORDER_SIGNED : PQ_ORDER_UNSIGNED);
  } else {
    set_type(f, cy_type_make(CY_INT32), PQ_CONV_COPY, PQ_ORDER_SIGNED);
  }
  return NULL;
}

static char *map_int64(pq_field *f, const annotation *a) {
  if (a->kind == ANN_TIMESTAMP) {
    cy_time_unit unit = a->unit == PQ_UNIT_MILLIS   ? CY_MILLI
                        : a->unit == PQ_UNIT_MICROS ? CY_MICRO
                        : a->unit == PQ_UNIT_NANOS  ? CY_NANO
                                                    : (cy_time_unit)-1;
    if ((int)unit < 0) return format("TIMESTAMP with an unknown unit");
    set_type(f, cy_type_timestamp(unit, a->utc ? "UTC" : NULL), PQ_CONV_COPY, PQ_ORDER_SIGNED);
  } else if (a->kind == ANN_INT && !a->is_signed) {
    set_type(f, cy_type_make(CY_UINT64), PQ_CONV_COPY, PQ_ORDER_UNSIGNED);
  } else {
    set_type(f, cy_type_make(CY_INT64), PQ_CONV_COPY, PQ_ORDER_SIGNED);
  }
  return NULL;
}

/* Type a leaf; NULL on success, else why it cannot be read (malloc'ed). */
static char *map_leaf(const pq_schema_element *e, pq_field *f) {
  annotation a = e->logical.kind != PQ_LT_NONE ? from_logical(e) : from_converted(e);
  if (a.kind == ANN_REFUSE) return format("%s is not supported", a.refuse);
  if (a.kind == ANN_DECIMAL) return map_decimal(f, &a);
  switch (f->physical) {
    case PQ_BOOLEAN: set_type(f, cy_type_make(CY_BOOL), PQ_CONV_BOOL, PQ_ORDER_BOOL); return NULL;
    case PQ_INT32: return map_int32(f, &a);
    case PQ_INT64: return map_int64(f, &a);
    case PQ_INT96:
      set_type(f, cy_type_timestamp(CY_NANO, NULL), PQ_CONV_INT96_NS, PQ_ORDER_NONE);
      return NULL;
    case PQ_FLOAT: set_type(f, cy_type_make(CY_FLOAT32), PQ_CONV_COPY, PQ_ORDER_FLOAT); return NULL;
    case PQ_DOUBLE: set_type(f, cy_type_make(CY_FLOAT64), PQ_CONV_COPY, PQ_ORDER_FLOAT); return NULL;
    case PQ_BYTE_ARRAY:
      set_type(f, cy_type_make(a.kind == ANN_TEXT ? CY_UTF8 : CY_BINARY), PQ_CONV_BYTES,
               PQ_ORDER_BYTES);
      return NULL;
    case PQ_FIXED_LEN_BYTE_ARRAY:
      if (a.kind == ANN_FLOAT16 && f->type_length == 2) {
        set_type(f, cy_type_make(CY_FLOAT32), PQ_CONV_F16_F32, PQ_ORDER_NONE);
      } else {
        set_type(f, cy_type_make(CY_BINARY), PQ_CONV_FLBA_BYTES, PQ_ORDER_BYTES);
      }
      return NULL;
    default: return format("unknown physical type %d", (int)f->physical);
  }
}

/* What kind of nested field a group is, for messages. */
static const char *group_kind(const pq_schema_element *e) {
  if (e->logical.kind == PQ_LT_LIST || e->converted_type == PQ_CT_LIST) return "list";
  if (e->logical.kind == PQ_LT_MAP || e->converted_type == PQ_CT_MAP ||
      e->converted_type == PQ_CT_MAP_KEY_VALUE)
    return "map";
  return "struct";
}

/* Skip the subtree at schema[*i] (a group), counting its leaves into *leaves. */
static cy_status skip_group(const pq_file *f, int32_t *i, int32_t *leaves, cy_error *err) {
  const pq_file_meta *m = &f->meta;
  int64_t pending = 1; /* nodes still to visit in this subtree */
  while (pending > 0) {
    if (*i >= m->num_schema) {
      cy_error_set(err, "%s: corrupt schema: a group's children run past the %d elements",
                   f->name, m->num_schema);
      return CY_EINVAL;
    }
    const pq_schema_element *e = &m->schema[(*i)++];
    pending--;
    if (e->has_num_children && e->num_children > 0) {
      if (e->num_children > m->num_schema) {
        cy_error_set(err, "%s: corrupt schema: '%s' claims %d children", f->name, e->name,
                     e->num_children);
        return CY_EINVAL;
      }
      pending += e->num_children;
    } else if (!e->has_num_children) {
      (*leaves)++;
    }
  }
  return CY_OK;
}

static cy_status build_field(pq_file *f, int32_t *i, int32_t *leaves, pq_field *fld,
                             cy_error *err) {
  const pq_schema_element *e = &f->meta.schema[*i];
  fld->name = e->name;
  fld->schema_index = *i;
  fld->leaf = -1;
  if (e->has_num_children) { /* a group */
    fld->unreadable = format("nested %s column is not supported", group_kind(e));
    return skip_group(f, i, leaves, err);
  }
  (*i)++;
  fld->leaf = (*leaves)++;
  if (!e->has_type) {
    fld->unreadable = format("leaf without a physical type");
    return CY_OK;
  }
  fld->physical = e->type;
  fld->type_length = e->type_length;
  int32_t rep = e->has_repetition ? e->repetition : PQ_REQUIRED;
  if (rep == PQ_REPEATED) {
    fld->unreadable = format("repeated field (a list) is not supported");
    return CY_OK;
  }
  if (rep != PQ_REQUIRED && rep != PQ_OPTIONAL) {
    fld->unreadable = format("repetition type %d is not supported", (int)rep);
    return CY_OK;
  }
  fld->max_def = rep == PQ_OPTIONAL ? 1 : 0;
  if (e->type == PQ_FIXED_LEN_BYTE_ARRAY &&
      (!e->has_type_length || e->type_length <= 0 || e->type_length > (1 << 24))) {
    fld->unreadable = format("FIXED_LEN_BYTE_ARRAY with a bad length %d", e->type_length);
    return CY_OK;
  }
  fld->unreadable = map_leaf(e, fld);
  return CY_OK;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Field names must be distinct to make a table (sorted, so huge schemas stay fast). */
static cy_status check_distinct(pq_file *f, cy_error *err) {
  if (f->num_fields < 2) return CY_OK;
  const char **names = malloc((size_t)f->num_fields * sizeof *names);
  if (!names) {
    cy_error_set(err, "%s: out of memory for the schema", f->name);
    return CY_ENOMEM;
  }
  for (int32_t k = 0; k < f->num_fields; k++) names[k] = f->fields[k].name;
  qsort(names, (size_t)f->num_fields, sizeof *names, by_name);
  cy_status st = CY_OK;
  for (int32_t k = 1; k < f->num_fields && st == CY_OK; k++)
    if (strcmp(names[k - 1], names[k]) == 0) {
      cy_error_set(err, "%s: two columns are called '%s'", f->name, names[k]);
      st = CY_EINVAL;
    }
  free(names);
  return st;
}

cy_status pq_schema_build(pq_file *f, cy_error *err) {
  const pq_file_meta *m = &f->meta;
  if (m->num_schema < 1 || !m->schema[0].has_num_children || m->schema[0].num_children < 0) {
    cy_error_set(err, "%s: corrupt schema: no root group", f->name);
    return CY_EINVAL;
  }
  int32_t n = m->schema[0].num_children;
  if (n > m->num_schema - 1) {
    cy_error_set(err, "%s: corrupt schema: the root claims %d fields, %d elements follow",
                 f->name, n, m->num_schema - 1);
    return CY_EINVAL;
  }
  f->fields = calloc((size_t)(n > 0 ? n : 1), sizeof *f->fields);
  if (!f->fields) {
    cy_error_set(err, "%s: out of memory for the schema", f->name);
    return CY_ENOMEM;
  }
  f->num_fields = n;
  int32_t i = 1, leaves = 0;
  for (int32_t k = 0; k < n; k++) {
    CY_RETURN_NOT_OK(build_field(f, &i, &leaves, &f->fields[k], err));
  }
  if (i != m->num_schema) {
    cy_error_set(err, "%s: corrupt schema: %d elements after the root's %d fields", f->name,
                 m->num_schema - i, n);
    return CY_EINVAL;
  }
  f->num_leaves = leaves;
  return check_distinct(f, err);
}

void pq_schema_free(pq_file *f) {
  for (int32_t k = 0; k < f->num_fields; k++)
    if (f->fields[k].unreadable != no_memory) free(f->fields[k].unreadable);
  free(f->fields);
  f->fields = NULL;
  f->num_fields = 0;
}
