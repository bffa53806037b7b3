/*
 * hdf5_read.c - reading a table from an HDF5 file (cy_hdf5_read).
 *
 * A table is a group of 1-D datasets, one per column, or one 1-D compound dataset whose
 * members are the columns (a single plain 1-D dataset is a one-column table). Each column
 * is read the same way whichever the layout: libhdf5 converts the stored type to the
 * native memory type cylon holds, and a compound member is read on its own through a
 * one-member compound memory type, so no record is ever assembled in memory. Rows come
 * in windows of chunk_rows: fixed-width values land directly in the column's buffer,
 * while bools, strings and validity masks pass through a window-sized scratch buffer, so
 * a huge dataset is never copied whole.
 *
 * The conventions (docs/hdf5.md): a group's "columns" attribute gives the column order
 * (else creation order when the group tracks it, else name order); "cylon_type" on a
 * dataset (or "cylon_type:NAME" on a compound one) marks int32 as date32 and int64 as a
 * timestamp; GROUP/_validity/NAME is a bool dataset, true where the value is valid.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cylon/io.h"

#ifdef CYLON_HAVE_HDF5

#include "io/hdf5_internal.h"

/* How a column's values come out of the file. */
typedef enum value_kind {
  V_FIXED,   /* fixed-width numbers, straight into the values buffer */
  V_BOOL,    /* the FALSE/TRUE enum (or an 8-bit bitfield), packed into bits */
  V_VSTRING, /* variable-length strings */
  V_FSTRING  /* fixed-length strings, padding trimmed */
} value_kind;

/* One column as it is stored and as cylon will hold it. */
typedef struct column_source {
  const char *where; /* "FILE:/path" of the dataset, for messages */
  const char *name;  /* the column's name */
  hid_t dset;        /* borrowed */
  const char *member; /* compound member, or NULL for the whole dataset */
  int64_t rows;
  int64_t chunk_rows;
} column_source;

typedef struct column_plan {
  cy_type type;
  value_kind kind;
  hid_t mem;          /* memory type of one value (owned) */
  size_t fixed_size;  /* V_FSTRING: bytes per value */
  H5T_str_t pad;      /* V_FSTRING: how values are padded */
  bool ascii;         /* declared ASCII: a byte >= 0x80 means binary, not text */
} column_plan;

static const char *class_name(H5T_class_t c) {
  switch (c) {
    case H5T_TIME: return "time";
    case H5T_BITFIELD: return "bitfield";
    case H5T_OPAQUE: return "opaque";
    case H5T_COMPOUND: return "compound";
    case H5T_REFERENCE: return "reference";
    case H5T_ENUM: return "enum";
    case H5T_VLEN: return "variable-length sequence";
    case H5T_ARRAY: return "array";
    default: return "unknown";
  }
}

/* Decide how to read a value of file type ftype; logical is the cylon_type attribute or
 * NULL. */
static cy_status plan_column(const column_source *s, hid_t ftype, const char *logical,
                             column_plan *p, cy_error *err) {
  memset(p, 0, sizeof(*p));
  p->mem = -1;
  H5T_class_t cls = H5Tget_class(ftype);
  size_t size = H5Tget_size(ftype);
  switch (cls) {
    case H5T_INTEGER: {
      bool sign = H5Tget_sign(ftype) == H5T_SGN_2;
      int k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : -1;
      if (k < 0) break;
      static const cy_type_id ids[2][4] = {{CY_UINT8, CY_UINT16, CY_UINT32, CY_UINT64},
                                           {CY_INT8, CY_INT16, CY_INT32, CY_INT64}};
      hid_t natives[2][4] = {
          {H5T_NATIVE_UINT8, H5T_NATIVE_UINT16, H5T_NATIVE_UINT32, H5T_NATIVE_UINT64},
          {H5T_NATIVE_INT8, H5T_NATIVE_INT16, H5T_NATIVE_INT32, H5T_NATIVE_INT64}};
      p->type = cy_type_make(ids[sign][k]);
      p->mem = H5Tcopy(natives[sign][k]);
      p->kind = V_FIXED;
      break;
    }
    case H5T_FLOAT:
      p->type = cy_type_make(size <= 4 ? CY_FLOAT32 : CY_FLOAT64);
      p->mem = H5Tcopy(size <= 4 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE);
      p->kind = V_FIXED;
      break;
    case H5T_ENUM:
      if (!h5_is_bool_enum(ftype)) {
        cy_error_set(err, "%s: column '%s' is an HDF5 enum other than the FALSE/TRUE bool "
                     "that h5py writes; cylon cannot read it", s->where, s->name);
        return CY_ENOTSUP;
      }
      p->type = cy_type_make(CY_BOOL);
      p->mem = h5_bool_type();
      p->kind = V_BOOL;
      break;
    case H5T_BITFIELD:
      if (size != 1) break;
      p->type = cy_type_make(CY_BOOL);
      p->mem = H5Tcopy(H5T_NATIVE_B8);
      p->kind = V_BOOL;
      break;
    case H5T_STRING:
      p->type = cy_type_make(CY_UTF8);
      p->ascii = H5Tget_cset(ftype) == H5T_CSET_ASCII;
      p->mem = H5Tcopy(ftype);
      if (H5Tis_variable_str(ftype) > 0) {
        p->kind = V_VSTRING;
      } else {
        p->kind = V_FSTRING;
        p->fixed_size = size;
        p->pad = H5Tget_strpad(ftype);
      }
      break;
    default:
      break;
  }
  if (p->mem < 0) {
    if (cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_BITFIELD)
      cy_error_set(err, "%s: column '%s' has a %zu-byte HDF5 %s type, which cylon cannot "
                   "read", s->where, s->name, size,
                   cls == H5T_INTEGER ? "integer" : cls == H5T_FLOAT ? "float" : "bitfield");
    else
      cy_error_set(err, "%s: column '%s' has the HDF5 type class '%s', which cylon cannot "
                   "read (it reads integers, floats, the FALSE/TRUE bool enum and strings)",
                   s->where, s->name, class_name(cls));
    return CY_ENOTSUP;
  }
  if (logical == NULL) return CY_OK;
  /* The cylon_type attribute: a temporal type over integers, or the stored type itself. */
  cy_type lt;
  cy_error perr;
  char have[64];
  if (cy_type_parse(logical, &lt, &perr) != CY_OK) {
    H5Tclose(p->mem);
    cy_error_set(err, "%s: column '%s': bad " H5_TYPE_ATTR " attribute: %s", s->where,
                 s->name, perr.message);
    return CY_EINVAL;
  }
  if ((lt.id == CY_DATE32 || lt.id == CY_TIMESTAMP) && cls == H5T_INTEGER) {
    H5Tclose(p->mem);
    p->mem = H5Tcopy(lt.id == CY_DATE32 ? H5T_NATIVE_INT32 : H5T_NATIVE_INT64);
    p->type = lt;
  } else if (lt.id == CY_LARGE_UTF8 && p->type.id == CY_UTF8) {
    p->type = lt;
  } else if (!cy_type_equals(&lt, &p->type)) {
    H5Tclose(p->mem);
    cy_error_set(err, "%s: column '%s': the " H5_TYPE_ATTR " attribute says %s, which its "
                 "HDF5 type (read as %s) cannot hold", s->where, s->name, logical,
                 cy_type_name(&p->type, have, sizeof have));
    return CY_EINVAL;
  }
  return CY_OK;
}

/* Read rows [start, start + count) of mtype into buf. */
static bool read_window(hid_t dset, hid_t mtype, int64_t start, int64_t count, void *buf) {
  h5_window w;
  bool ok = h5_window_open(&w, dset, start, count) &&
            H5Dread(dset, mtype, w.mem_space, w.file_space, H5P_DEFAULT, buf) >= 0;
  h5_window_close(&w);
  return ok;
}

static bool has_high_byte(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80) return true;
  return false;
}

/* Length of a fixed-length string value without its padding. */
static size_t fixed_length(const char *v, size_t size, H5T_str_t pad) {
  if (pad == H5T_STR_NULLTERM) return strnlen(v, size);
  char fill = pad == H5T_STR_SPACEPAD ? ' ' : 0;
  while (size > 0 && v[size - 1] == fill) size--;
  return size;
}

/* Strings, window by window, through a builder. */
static cy_status read_strings(const column_source *s, column_plan *p, hid_t mtype,
                              cy_column **out, cy_error *err) {
  int64_t chunk = s->rows < s->chunk_rows ? s->rows : s->chunk_rows;
  size_t slot = p->kind == V_VSTRING ? sizeof(char *) : p->fixed_size;
  char *scratch = malloc((size_t)(chunk > 0 ? chunk : 1) * slot);
  cy_builder b;
  cy_status st = cy_builder_init(&b, p->type, s->rows, err);
  if (st != CY_OK || scratch == NULL) {
    free(scratch);
    if (st == CY_OK) cy_builder_reset(&b);
    if (st == CY_OK) cy_error_set(err, "out of memory reading %s", s->where);
    return st == CY_OK ? CY_ENOMEM : st;
  }
  bool binary = false;
  for (int64_t start = 0; st == CY_OK && start < s->rows; start += chunk) {
    int64_t n = s->rows - start < chunk ? s->rows - start : chunk;
    h5_window w;
    if (!h5_window_open(&w, s->dset, start, n) ||
        H5Dread(s->dset, mtype, w.mem_space, w.file_space, H5P_DEFAULT, scratch) < 0) {
      h5_window_close(&w);
      st = h5_fail(err, CY_EIO, "%s: reading column '%s' (rows %lld to %lld)", s->where,
                   s->name, (long long)start, (long long)(start + n));
      break;
    }
    for (int64_t i = 0; st == CY_OK && i < n; i++) {
      const char *v;
      size_t len;
      if (p->kind == V_VSTRING) {
        v = ((char **)scratch)[i];
        len = v ? strlen(v) : 0; /* a null pointer is libhdf5's empty string */
      } else {
        v = scratch + (size_t)i * slot;
        len = fixed_length(v, slot, p->pad);
      }
      if (p->ascii && !binary) binary = has_high_byte(v, len);
      st = cy_builder_append_bytes(&b, v ? v : "", (int64_t)len, err);
    }
    if (p->kind == V_VSTRING) H5Dvlen_reclaim(mtype, w.mem_space, H5P_DEFAULT, scratch);
    h5_window_close(&w);
  }
  free(scratch);
  if (st == CY_OK) {
    /* Bytes declared ASCII but not: binary has the same layout as utf8. */
    if (binary) b.type = cy_type_make(p->type.id == CY_LARGE_UTF8 ? CY_LARGE_BINARY : CY_BINARY);
    st = cy_builder_finish(&b, out, err);
  }
  cy_builder_reset(&b);
  return st;
}

/* Bools (and validity masks): bytes, window by window, packed into a bitmap buffer. */
static cy_status read_bits(const column_source *s, hid_t mtype, cy_buffer **out,
                           int64_t *zeros, cy_error *err) {
  int64_t chunk = s->rows < s->chunk_rows ? s->rows : s->chunk_rows;
  uint8_t *scratch = malloc((size_t)(chunk > 0 ? chunk : 1));
  cy_buffer *bits = NULL;
  cy_status st = cy_buffer_alloc_zeroed(cy_bitmap_bytes(s->rows), &bits, err);
  if (st == CY_OK && scratch == NULL) {
    cy_error_set(err, "out of memory reading %s", s->where);
    st = CY_ENOMEM;
  }
  *zeros = 0;
  for (int64_t start = 0; st == CY_OK && start < s->rows; start += chunk) {
    int64_t n = s->rows - start < chunk ? s->rows - start : chunk;
    if (!read_window(s->dset, mtype, start, n, scratch)) {
      st = h5_fail(err, CY_EIO, "%s: reading column '%s' (rows %lld to %lld)", s->where,
                   s->name, (long long)start, (long long)(start + n));
      break;
    }
    for (int64_t i = 0; i < n; i++) {
      if (scratch[i])
        cy_bit_set(bits->data, start + i);
      else
        ++*zeros;
    }
  }
  free(scratch);
  if (st != CY_OK) {
    cy_buffer_release(bits);
    return st;
  }
  *out = bits;
  return CY_OK;
}

/* One column's values (no nulls yet). */
static cy_status read_column(const column_source *s, hid_t ftype, const char *logical,
                             cy_column **out, cy_error *err) {
  column_plan p;
  CY_RETURN_NOT_OK(plan_column(s, ftype, logical, &p, err));
  hid_t mtype = h5_member_type(p.mem, s->member);
  cy_status st = CY_OK;
  if (mtype < 0) {
    st = h5_fail(err, CY_EIO, "%s: column '%s'", s->where, s->name);
  } else if (p.kind == V_VSTRING || p.kind == V_FSTRING) {
    st = read_strings(s, &p, mtype, out, err);
  } else if (p.kind == V_BOOL) {
    cy_buffer *bits = NULL;
    int64_t zeros;
    st = read_bits(s, mtype, &bits, &zeros, err);
    if (st == CY_OK)
      st = cy_column_make(p.type, s->rows, 0, 0, NULL, bits, NULL, out, err);
  } else {
    int64_t width = cy_type_bit_width(p.type.id) / 8;
    cy_buffer *values = NULL;
    st = cy_buffer_alloc(s->rows * width, &values, err);
    for (int64_t start = 0; st == CY_OK && start < s->rows; start += s->chunk_rows) {
      int64_t n = s->rows - start < s->chunk_rows ? s->rows - start : s->chunk_rows;
      if (!read_window(s->dset, mtype, start, n, values->data + start * width))
        st = h5_fail(err, CY_EIO, "%s: reading column '%s' (rows %lld to %lld)", s->where,
                     s->name, (long long)start, (long long)(start + n));
    }
    if (st == CY_OK)
      st = cy_column_make(p.type, s->rows, 0, 0, NULL, values, NULL, out, err);
    else
      cy_buffer_release(values);
  }
  if (mtype >= 0) H5Tclose(mtype);
  H5Tclose(p.mem);
  return st;
}

/* A string attribute (scalar, variable or fixed length) into buf; 0 when absent, 1 when
 * read, -1 when it is there but not a string. */
static int read_string_attr(hid_t obj, const char *name, char *buf, size_t size) {
  if (H5Aexists(obj, name) <= 0) return 0;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t t = a >= 0 ? H5Aget_type(a) : -1;
  int rc = -1;
  if (t >= 0 && H5Tget_class(t) == H5T_STRING) {
    if (H5Tis_variable_str(t) > 0) {
      char *v = NULL;
      if (H5Aread(a, t, &v) >= 0 && v) {
        snprintf(buf, size, "%s", v);
        H5free_memory(v);
        rc = 1;
      }
    } else {
      size_t n = H5Tget_size(t);
      char *v = calloc(1, n + 1);
      if (v && H5Aread(a, t, v) >= 0) {
        snprintf(buf, size, "%.*s", (int)fixed_length(v, n, H5Tget_strpad(t)), v);
        rc = 1;
      }
      free(v);
    }
  }
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  return rc;
}

/* ---- the table's column names ---- */

typedef struct name_list {
  char **names;
  int32_t count, capacity;
} name_list;

static void names_free(name_list *l) {
  for (int32_t i = 0; i < l->count; i++) free(l->names[i]);
  free(l->names);
  memset(l, 0, sizeof(*l));
}

static bool names_add(name_list *l, const char *name, size_t len) {
  if (l->count == l->capacity) {
    int32_t cap = l->capacity ? l->capacity * 2 : 16;
    char **n = realloc(l->names, (size_t)cap * sizeof(char *));
    if (n == NULL) return false;
    l->names = n;
    l->capacity = cap;
  }
  char *copy = strndup(name, len);
  if (copy == NULL) return false;
  l->names[l->count++] = copy;
  return true;
}

/* Every dataset directly in a group (groups such as _validity are not columns). */
static herr_t add_dataset(hid_t g, const char *name, const H5L_info_t *info, void *ctx) {
  H5O_info_t oi;
  if (info->type != H5L_TYPE_HARD) return 0;
  if (H5Oget_info_by_name(g, name, &oi, H5P_DEFAULT) < 0) return -1;
  if (oi.type != H5O_TYPE_DATASET) return 0;
  return names_add(ctx, name, strlen(name)) ? 0 : -1;
}

/* Every member of a group, whatever it is. */
static herr_t add_any(hid_t g, const char *name, const H5L_info_t *info, void *ctx) {
  return names_add(ctx, name, strlen(name)) ? 0 : -1;
}

/* The "columns" attribute: an array of strings, variable or fixed length. */
static cy_status names_from_attr(hid_t g, const char *where, name_list *l, cy_error *err) {
  hid_t a = H5Aopen(g, H5_COLUMNS_ATTR, H5P_DEFAULT);
  hid_t t = a >= 0 ? H5Aget_type(a) : -1;
  hid_t space = a >= 0 ? H5Aget_space(a) : -1;
  hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  cy_status st = CY_OK;
  if (t < 0 || n < 0 || H5Tget_class(t) != H5T_STRING) {
    st = h5_fail(err, CY_EINVAL, "%s: the '" H5_COLUMNS_ATTR "' attribute is not a list of "
                 "column names", where);
  } else if (H5Tis_variable_str(t) > 0) {
    char **v = calloc((size_t)(n ? n : 1), sizeof(char *));
    if (v == NULL || H5Aread(a, t, v) < 0) {
      st = h5_fail(err, CY_EIO, "%s: reading the '" H5_COLUMNS_ATTR "' attribute", where);
    } else {
      for (hssize_t i = 0; st == CY_OK && i < n; i++)
        if (!names_add(l, v[i] ? v[i] : "", v[i] ? strlen(v[i]) : 0)) st = CY_ENOMEM;
      H5Dvlen_reclaim(t, space, H5P_DEFAULT, v);
    }
    free(v);
  } else {
    size_t size = H5Tget_size(t);
    char *v = malloc((size_t)(n ? n : 1) * size);
    if (v == NULL || H5Aread(a, t, v) < 0) {
      st = h5_fail(err, CY_EIO, "%s: reading the '" H5_COLUMNS_ATTR "' attribute", where);
    } else {
      for (hssize_t i = 0; st == CY_OK && i < n; i++) {
        const char *s = v + (size_t)i * size;
        if (!names_add(l, s, fixed_length(s, size, H5Tget_strpad(t)))) st = CY_ENOMEM;
      }
    }
    free(v);
  }
  if (st == CY_ENOMEM) cy_error_set(err, "out of memory reading %s", where);
  if (space >= 0) H5Sclose(space);
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  return st;
}

/* The columns of a group, in order: the attribute's, else creation order when tracked,
 * else name order. */
static cy_status group_columns(hid_t g, const char *where, name_list *l, cy_error *err) {
  if (H5Aexists(g, H5_COLUMNS_ATTR) > 0) return names_from_attr(g, where, l, err);
  hid_t gcpl = H5Gget_create_plist(g);
  unsigned order = 0;
  if (gcpl >= 0) {
    H5Pget_link_creation_order(gcpl, &order);
    H5Pclose(gcpl);
  }
  H5_index_t index = (order & H5P_CRT_ORDER_TRACKED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  if (H5Literate(g, index, H5_ITER_INC, NULL, add_dataset, l) < 0)
    return h5_fail(err, CY_EIO, "%s: listing the group's datasets", where);
  return CY_OK;
}

/* ---- one table from a group, a compound dataset or a plain dataset ---- */

typedef struct h5_read {
  const char *file;
  const char *key;
  int64_t chunk_rows;
  char where[1024];
} h5_read;

/* Rows of a 1-D dataset, or -1 with err set. */
static int64_t dataset_rows(hid_t d, const char *where, cy_error *err) {
  hid_t space = H5Dget_space(d);
  if (space < 0) return h5_fail(err, CY_EIO, "%s", where), -1;
  int rank = H5Sget_simple_extent_ndims(space);
  hsize_t dims[H5S_MAX_RANK];
  if (rank >= 0) H5Sget_simple_extent_dims(space, dims, NULL);
  H5Sclose(space);
  if (rank != 1) {
    cy_error_set(err, "%s: the dataset has %d dimensions; cylon reads 1-D datasets (one "
                 "value per row)", where, rank);
    return -1;
  }
  return (int64_t)dims[0];
}

/* Validity from GROUP/_validity/NAME when there is one: the column again, with nulls. */
static cy_status attach_validity(h5_read *r, hid_t g, const char *name, cy_column **col,
                                 cy_error *err) {
  char path[1024];
  snprintf(path, sizeof path, H5_VALIDITY_GROUP "/%s", name);
  if (H5Lexists(g, H5_VALIDITY_GROUP, H5P_DEFAULT) <= 0 ||
      H5Lexists(g, path, H5P_DEFAULT) <= 0)
    return CY_OK;
  char where[1200];
  snprintf(where, sizeof where, "%s:%s/%s", r->file, r->key, path);
  hid_t d = H5Dopen2(g, path, H5P_DEFAULT);
  if (d < 0) return h5_fail(err, CY_EIO, "%s", where);
  hid_t ftype = H5Dget_type(d);
  cy_status st = CY_OK;
  int64_t rows = dataset_rows(d, where, err);
  if (rows < 0) {
    st = CY_EINVAL;
  } else if (rows != (*col)->length) {
    cy_error_set(err, "%s: the validity mask has %lld rows, its column %lld", where,
                 (long long)rows, (long long)(*col)->length);
    st = CY_EINVAL;
  } else if (!(h5_is_bool_enum(ftype) || H5Tget_class(ftype) == H5T_INTEGER)) {
    cy_error_set(err, "%s: a validity mask holds bools (or integers, nonzero = valid)",
                 where);
    st = CY_EINVAL;
  }
  cy_buffer *bits = NULL;
  int64_t nulls = 0;
  if (st == CY_OK) {
    hid_t mtype = h5_is_bool_enum(ftype) ? h5_bool_type() : H5Tcopy(H5T_NATIVE_UINT8);
    column_source s = {where, name, d, NULL, rows, r->chunk_rows};
    st = read_bits(&s, mtype, &bits, &nulls, err);
    H5Tclose(mtype);
  }
  if (st == CY_OK && nulls == 0) {
    cy_buffer_release(bits);
  } else if (st == CY_OK) {
    cy_column *c = *col, *with = NULL;
    st = cy_column_make(c->type, c->length, 0, nulls, bits, cy_buffer_retain(c->values),
                        cy_buffer_retain(c->data), &with, err);
    if (st == CY_OK) {
      cy_column_release(c);
      *col = with;
    }
  }
  H5Tclose(ftype);
  H5Dclose(d);
  return st;
}

static cy_status read_group(h5_read *r, hid_t g, cy_table **out, cy_error *err) {
  name_list names = {0};
  cy_status st = group_columns(g, r->where, &names, err);
  if (st == CY_OK && names.count == 0) {
    cy_error_set(err, "%s: the group holds no datasets to read as columns", r->where);
    st = CY_EINVAL;
  }
  cy_column **cols = calloc((size_t)(names.count ? names.count : 1), sizeof(cy_column *));
  if (st == CY_OK && cols == NULL) st = CY_ENOMEM;
  int64_t rows = -1;
  for (int32_t i = 0; st == CY_OK && i < names.count; i++) {
    char where[1200], logical[128];
    snprintf(where, sizeof where, "%s:%s%s%s", r->file, r->key,
             r->key[strlen(r->key) - 1] == '/' ? "" : "/", names.names[i]);
    if (H5Lexists(g, names.names[i], H5P_DEFAULT) <= 0) {
      cy_error_set(err, "%s: no such dataset (named in the group's '" H5_COLUMNS_ATTR
                   "' attribute)", where);
      st = CY_ENOENT;
      break;
    }
    hid_t d = H5Dopen2(g, names.names[i], H5P_DEFAULT);
    if (d < 0) {
      st = h5_fail(err, CY_EINVAL, "%s: not a dataset", where);
      break;
    }
    int64_t n = dataset_rows(d, where, err);
    int attr = read_string_attr(d, H5_TYPE_ATTR, logical, sizeof logical);
    hid_t ftype = H5Dget_type(d);
    if (n < 0) {
      st = CY_EINVAL;
    } else if (rows >= 0 && n != rows) {
      cy_error_set(err, "%s: %lld rows, but column '%s' has %lld", where, (long long)n,
                   names.names[0], (long long)rows);
      st = CY_EINVAL;
    } else if (attr < 0) {
      cy_error_set(err, "%s: the " H5_TYPE_ATTR " attribute is not a string", where);
      st = CY_EINVAL;
    } else {
      rows = n;
      column_source s = {where, names.names[i], d, NULL, n, r->chunk_rows};
      st = read_column(&s, ftype, attr ? logical : NULL, &cols[i], err);
      if (st == CY_OK) st = attach_validity(r, g, names.names[i], &cols[i], err);
    }
    if (ftype >= 0) H5Tclose(ftype);
    H5Dclose(d);
  }
  if (st == CY_ENOMEM && cols == NULL) cy_error_set(err, "out of memory reading %s", r->where);
  if (st == CY_OK)
    st = cy_table_make(names.count, (const char *const *)names.names, cols, out, err);
  for (int32_t i = 0; cols && i < names.count; i++) cy_column_release(cols[i]);
  free(cols);
  names_free(&names);
  return st;
}

static cy_status read_compound(h5_read *r, hid_t d, hid_t ftype, int64_t rows,
                               cy_table **out, cy_error *err) {
  int n = H5Tget_nmembers(ftype);
  if (n <= 0) return h5_fail(err, CY_EINVAL, "%s: a compound type without members", r->where);
  name_list names = {0};
  cy_column **cols = calloc((size_t)n, sizeof(cy_column *));
  cy_status st = cols ? CY_OK : CY_ENOMEM;
  for (int i = 0; st == CY_OK && i < n; i++) {
    char *member = H5Tget_member_name(ftype, (unsigned)i);
    hid_t mtype = H5Tget_member_type(ftype, (unsigned)i);
    char attr_name[512], logical[128];
    if (member == NULL || mtype < 0 || !names_add(&names, member, strlen(member))) {
      st = h5_fail(err, CY_EIO, "%s: compound member %d", r->where, i);
    } else {
      snprintf(attr_name, sizeof attr_name, H5_TYPE_ATTR ":%s", member);
      int attr = read_string_attr(d, attr_name, logical, sizeof logical);
      column_source s = {r->where, member, d, member, rows, r->chunk_rows};
      st = read_column(&s, mtype, attr > 0 ? logical : NULL, &cols[i], err);
    }
    if (mtype >= 0) H5Tclose(mtype);
    if (member) H5free_memory(member);
  }
  if (st == CY_ENOMEM && cols == NULL) cy_error_set(err, "out of memory reading %s", r->where);
  if (st == CY_OK) st = cy_table_make(n, (const char *const *)names.names, cols, out, err);
  for (int i = 0; cols && i < n; i++) cy_column_release(cols[i]);
  free(cols);
  names_free(&names);
  return st;
}

/* A dataset: compound records, or one plain column named after the dataset. */
static cy_status read_dataset(h5_read *r, hid_t d, cy_table **out, cy_error *err) {
  int64_t rows = dataset_rows(d, r->where, err);
  if (rows < 0) return CY_EINVAL;
  hid_t ftype = H5Dget_type(d);
  if (ftype < 0) return h5_fail(err, CY_EIO, "%s", r->where);
  cy_status st;
  if (H5Tget_class(ftype) == H5T_COMPOUND) {
    st = read_compound(r, d, ftype, rows, out, err);
  } else {
    const char *slash = strrchr(r->key, '/');
    const char *name = slash ? slash + 1 : r->key;
    char logical[128];
    int attr = read_string_attr(d, H5_TYPE_ATTR, logical, sizeof logical);
    column_source s = {r->where, name, d, NULL, rows, r->chunk_rows};
    cy_column *col = NULL;
    st = read_column(&s, ftype, attr > 0 ? logical : NULL, &col, err);
    if (st == CY_OK) st = cy_table_make(1, &name, &col, out, err);
    cy_column_release(col);
  }
  H5Tclose(ftype);
  return st;
}

/* The key to read when none is given: /table, else the root's only member, else the
 * root as a group of columns. */
static cy_status default_key(hid_t f, const char *file, char *key, size_t size,
                             cy_error *err) {
  if (H5Lexists(f, H5_DEFAULT_KEY, H5P_DEFAULT) > 0) {
    snprintf(key, size, "%s", H5_DEFAULT_KEY);
    return CY_OK;
  }
  name_list l = {0};
  if (H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, NULL, add_any, &l) < 0) {
    names_free(&l);
    return h5_fail(err, CY_EIO, "%s: listing the file's root group", file);
  }
  snprintf(key, size, "/%s", l.count == 1 ? l.names[0] : "");
  names_free(&l);
  return CY_OK;
}

/* True when every link along key exists (H5Lexists wants the parents to). */
static bool path_exists(hid_t f, const char *key) {
  char prefix[1024];
  for (const char *p = key + 1;; p++) {
    if (*p == '/' || *p == 0) {
      snprintf(prefix, sizeof prefix, "%.*s", (int)(p - key), key);
      if (p > key + 1 && p[-1] != '/' && H5Lexists(f, prefix, H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
      if (*p == 0) return true;
    }
  }
}

/* "no such dataset" with the root's members listed, so the user sees what to ask for. */
static cy_status missing_key(hid_t f, h5_read *r, cy_error *err) {
  name_list l = {0};
  char listing[512] = "";
  size_t len = 0;
  H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, NULL, add_any, &l);
  H5Eclear2(H5E_DEFAULT);
  for (int32_t i = 0; i < l.count && len < sizeof listing - 1; i++)
    len += (size_t)snprintf(listing + len, sizeof listing - len, "%s/%s", i ? ", " : "",
                            l.names[i]);
  cy_error_set(err, "%s: no such group or dataset (the file's root holds %s)", r->where,
               l.count ? listing : "nothing");
  names_free(&l);
  return CY_ENOENT;
}

static cy_status read_file(h5_read *r, cy_table **out, cy_error *err) {
  htri_t is = H5Fis_hdf5(r->file);
  if (is <= 0) {
    if (is == 0) {
      H5Eclear2(H5E_DEFAULT);
      cy_error_set(err, "%s: not an HDF5 file (no HDF5 signature found)", r->file);
      return CY_EINVAL;
    }
    return h5_fail(err, CY_EINVAL, "%s: cannot open as HDF5", r->file);
  }
  hid_t f = H5Fopen(r->file, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return h5_fail(err, CY_EINVAL, "%s: cannot open as HDF5", r->file);
  char key[1024];
  cy_status st = CY_OK;
  if (r->key == NULL) {
    st = default_key(f, r->file, key, sizeof key, err);
    r->key = key;
  }
  if (snprintf(r->where, sizeof r->where, "%s:%s", r->file, r->key) >= (int)sizeof r->where)
    r->where[sizeof r->where - 1] = 0; /* a shortened place is still a place */
  hid_t obj = -1;
  if (st == CY_OK && strcmp(r->key, "/") != 0 && !path_exists(f, r->key))
    st = missing_key(f, r, err);
  if (st == CY_OK && (obj = H5Oopen(f, r->key, H5P_DEFAULT)) < 0)
    st = h5_fail(err, CY_EINVAL, "%s: cannot open", r->where);
  if (st == CY_OK) {
    H5I_type_t kind = H5Iget_type(obj);
    if (kind == H5I_GROUP) {
      st = read_group(r, obj, out, err);
    } else if (kind == H5I_DATASET) {
      st = read_dataset(r, obj, out, err);
    } else {
      cy_error_set(err, "%s: neither a group nor a dataset", r->where);
      st = CY_EINVAL;
    }
  }
  if (obj >= 0) H5Oclose(obj);
  if (H5Fclose(f) < 0 && st == CY_OK) {
    cy_table_release(*out);
    *out = NULL;
    st = h5_fail(err, CY_EIO, "%s: closing", r->file);
  }
  return st;
}

cy_status cy_hdf5_read(const char *path, const cy_hdf5_read_options *opts, cy_table **out,
                       cy_error *err) {
  cy_hdf5_read_options defaults;
  if (opts == NULL) {
    cy_hdf5_read_options_init(&defaults);
    opts = &defaults;
  }
  *out = NULL;
  char *file = NULL;
  const char *key = NULL;
  CY_RETURN_NOT_OK(h5_split_path(path, &file, &key, err));
  if (opts->key) key = opts->key;
  if (key && key[0] != '/') {
    cy_error_set(err, "%s: the HDF5 key '%s' must start with '/'", file, key);
    free(file);
    return CY_EINVAL;
  }
  if (access(file, R_OK) != 0) {
    cy_error_set(err, "%s: %s", file, strerror(errno));
    free(file);
    return CY_ENOENT;
  }
  h5_read r = {file, key, opts->chunk_rows > 0 ? opts->chunk_rows : 65536, ""};
  h5_guard g;
  h5_enter(&g);
  cy_status st = read_file(&r, out, err);
  h5_leave(&g);
  free(file);
  return st;
}

#endif /* CYLON_HAVE_HDF5 */
