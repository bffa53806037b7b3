/*
 * hdf5_write.c - writing a table into an HDF5 file (cy_hdf5_write), all or nothing.
 *
 * The columns layout makes a group with one chunked 1-D dataset per column (the group
 * tracks creation order and lists the columns in its "columns" attribute); the compound
 * layout makes one chunked dataset of packed records. Both write a column at a time in
 * windows of chunk_rows rows, a compound member through a one-member memory type, so
 * fixed-width values go straight from the column's buffer and only bools and strings pass
 * through a window-sized scratch buffer.
 *
 * Types are those h5py writes and reads: little-endian integers and IEEE floats, bool as
 * the FALSE/TRUE int8 enum, strings as UTF-8 (variable length, or fixed length padded with
 * NULs). date32, timestamps and large strings add a "cylon_type" attribute so they read
 * back as they were. Nulls go to GROUP/_validity/NAME (a bool per row, true = valid); the
 * compound layout has nowhere to keep them, so a column with nulls is refused there.
 *
 * A new file is written under a temporary name beside the target and renamed when
 * complete; appending to an existing file builds the table under a temporary link and
 * moves it to its key at the end (replacing what was there), deleting it on failure.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cylon/io.h"

#ifdef CYLON_HAVE_HDF5

#include "io/hdf5_internal.h"

typedef struct h5_write {
  const cy_hdf5_write_options *opts;
  const char *file;
  const char *key; /* where the table ends up */
  int64_t chunk_rows;
} h5_write;

/* The file type of a column (owned), its memory type (owned) and whether its cylon type
 * needs the cylon_type attribute to come back. */
static cy_status column_types(const h5_write *w, const char *name, const cy_column *col,
                              hid_t *ftype, hid_t *mtype, bool *tagged, cy_error *err) {
  static const struct {
    cy_type_id id;
    hid_t *file, *mem;
  } fixed[] = {
      {CY_INT8, &H5T_STD_I8LE_g, &H5T_NATIVE_INT8_g},
      {CY_INT16, &H5T_STD_I16LE_g, &H5T_NATIVE_INT16_g},
      {CY_INT32, &H5T_STD_I32LE_g, &H5T_NATIVE_INT32_g},
      {CY_INT64, &H5T_STD_I64LE_g, &H5T_NATIVE_INT64_g},
      {CY_UINT8, &H5T_STD_U8LE_g, &H5T_NATIVE_UINT8_g},
      {CY_UINT16, &H5T_STD_U16LE_g, &H5T_NATIVE_UINT16_g},
      {CY_UINT32, &H5T_STD_U32LE_g, &H5T_NATIVE_UINT32_g},
      {CY_UINT64, &H5T_STD_U64LE_g, &H5T_NATIVE_UINT64_g},
      {CY_FLOAT32, &H5T_IEEE_F32LE_g, &H5T_NATIVE_FLOAT_g},
      {CY_FLOAT64, &H5T_IEEE_F64LE_g, &H5T_NATIVE_DOUBLE_g},
      {CY_DATE32, &H5T_STD_I32LE_g, &H5T_NATIVE_INT32_g},
      {CY_TIMESTAMP, &H5T_STD_I64LE_g, &H5T_NATIVE_INT64_g}};
  cy_type_id id = col->type.id;
  *ftype = *mtype = -1;
  *tagged = id == CY_DATE32 || id == CY_TIMESTAMP || id == CY_LARGE_UTF8;
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    if (fixed[i].id == id) {
      H5open(); /* the H5T_..._g ids are set up by the library's initialisation */
      *ftype = H5Tcopy(*fixed[i].file);
      *mtype = H5Tcopy(*fixed[i].mem);
      return CY_OK;
    }
  if (id == CY_BOOL) {
    *ftype = H5Tenum_create(H5T_STD_I8LE);
    signed char no = 0, yes = 1;
    H5Tenum_insert(*ftype, "FALSE", &no);
    H5Tenum_insert(*ftype, "TRUE", &yes);
    *mtype = h5_bool_type();
    return CY_OK;
  }
  if (id == CY_UTF8 || id == CY_LARGE_UTF8) {
    size_t size = H5T_VARIABLE;
    if (w->opts->fixed_strings) {
      int64_t longest = 1, len;
      for (int64_t i = 0; i < col->length; i++)
        if (cy_column_is_valid(col, i) && (cy_column_bytes(col, i, &len), len > longest))
          longest = len;
      size = (size_t)longest;
    }
    *ftype = H5Tcopy(H5T_C_S1);
    H5Tset_size(*ftype, size);
    H5Tset_cset(*ftype, H5T_CSET_UTF8);
    H5Tset_strpad(*ftype, size == H5T_VARIABLE ? H5T_STR_NULLTERM : H5T_STR_NULLPAD);
    *mtype = H5Tcopy(*ftype);
    return CY_OK;
  }
  char tn[64];
  cy_error_set(err, "%s:%s: column '%s' is %s, which cylon does not write to HDF5 (it writes "
               "integers, floats, bool, utf8 strings, date32 and timestamps)", w->file,
               w->key, name, cy_type_name(&col->type, tn, sizeof tn));
  return CY_ENOTSUP;
}

/* A string attribute (scalar, variable-length UTF-8) on obj. */
static bool write_string_attr(hid_t obj, const char *name, const char *value) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
  bool ok = a >= 0 && H5Awrite(a, t, &value) >= 0;
  if (a >= 0) H5Aclose(a);
  H5Sclose(space);
  H5Tclose(t);
  return ok;
}

/* The creation properties of a dataset of rows rows: chunked (and compressed when asked)
 * unless empty. */
static hid_t dataset_plist(const h5_write *w, int64_t rows) {
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (rows > 0) {
    hsize_t chunk = (hsize_t)(rows < w->chunk_rows ? rows : w->chunk_rows);
    H5Pset_chunk(dcpl, 1, &chunk);
    if (w->opts->compression_level > 0) H5Pset_deflate(dcpl, (unsigned)w->opts->compression_level);
  }
  return dcpl;
}

static hid_t create_dataset(const h5_write *w, hid_t parent, const char *name, hid_t ftype,
                            int64_t rows) {
  hsize_t n = (hsize_t)rows;
  hid_t space = H5Screate_simple(1, &n, NULL);
  hid_t dcpl = dataset_plist(w, rows);
  hid_t d = H5Dcreate2(parent, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(space);
  return d;
}

/* What a window of rows needs from scratch memory: bools one byte a row, variable strings
 * a pointer a row plus their bytes NUL-terminated, fixed strings their width a row. */
typedef struct scratch {
  void *rows;
  char *bytes;
  size_t bytes_cap;
} scratch;

/* Fill the window [start, start + n) of col into s, as mtype wants it; for fixed-width
 * values *buf points into the column itself. */
static cy_status fill_window(const cy_column *col, hid_t ftype, int64_t start, int64_t n,
                             scratch *s, const void **buf, const char *where, cy_error *err) {
  cy_type_id id = col->type.id;
  if (id == CY_BOOL) {
    signed char *v = s->rows;
    for (int64_t i = 0; i < n; i++) v[i] = cy_column_bool(col, start + i);
    *buf = v;
    return CY_OK;
  }
  if (id != CY_UTF8 && id != CY_LARGE_UTF8) {
    *buf = (const uint8_t *)cy_column_data(col) + start * (cy_type_bit_width(id) / 8);
    return CY_OK;
  }
  bool variable = H5Tis_variable_str(ftype) > 0;
  size_t width = variable ? 0 : H5Tget_size(ftype);
  size_t need = 0;
  int64_t len;
  for (int64_t i = 0; variable && i < n; i++)
    if (cy_column_is_valid(col, start + i)) need += (size_t)(cy_column_bytes(col, start + i, &len), len) + 1;
    else need += 1;
  if (variable && need > s->bytes_cap) {
    char *b = realloc(s->bytes, need);
    if (b == NULL) {
      cy_error_set(err, "out of memory writing %s", where);
      return CY_ENOMEM;
    }
    s->bytes = b;
    s->bytes_cap = need;
  }
  if (!variable) memset(s->rows, 0, (size_t)n * width);
  char *at = s->bytes;
  for (int64_t i = 0; i < n; i++) {
    const uint8_t *v = (const uint8_t *)"";
    len = 0;
    if (cy_column_is_valid(col, start + i)) v = cy_column_bytes(col, start + i, &len);
    if (memchr(v, 0, (size_t)len) != NULL) {
      cy_error_set(err, "%s: row %lld holds a NUL byte, which an HDF5 string cannot hold",
                   where, (long long)(start + i));
      return CY_EINVAL;
    }
    if (variable) {
      memcpy(at, v, (size_t)len);
      at[len] = 0;
      ((char **)s->rows)[i] = at;
      at += len + 1;
    } else {
      memcpy((char *)s->rows + (size_t)i * width, v, (size_t)len);
    }
  }
  *buf = s->rows;
  return CY_OK;
}

/* Write col into dataset d (or its compound member), window by window. */
static cy_status write_values(const h5_write *w, hid_t d, const char *member, const cy_column *col,
                              hid_t ftype, hid_t elem, const char *where, cy_error *err) {
  hid_t mtype = h5_member_type(elem, member);
  if (mtype < 0) return h5_fail(err, CY_EIO, "%s", where);
  int64_t chunk = col->length < w->chunk_rows ? col->length : w->chunk_rows;
  size_t slot = H5Tget_size(elem);
  scratch s = {malloc((size_t)(chunk > 0 ? chunk : 1) * (slot > 1 ? slot : 1)), NULL, 0};
  cy_status st = s.rows ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory writing %s", where);
  for (int64_t start = 0; st == CY_OK && start < col->length; start += chunk) {
    int64_t n = col->length - start < chunk ? col->length - start : chunk;
    const void *buf;
    st = fill_window(col, ftype, start, n, &s, &buf, where, err);
    h5_window win = {-1, -1};
    if (st == CY_OK && (!h5_window_open(&win, d, start, n) ||
                        H5Dwrite(d, mtype, win.mem_space, win.file_space, H5P_DEFAULT, buf) < 0))
      st = h5_fail(err, CY_EIO, "%s: writing rows %lld to %lld", where, (long long)start,
                   (long long)(start + n));
    h5_window_close(&win);
  }
  free(s.rows);
  free(s.bytes);
  H5Tclose(mtype);
  return st;
}

/* The validity of col as a bool column (valid = true), for GROUP/_validity/NAME. */
static cy_status write_validity(const h5_write *w, hid_t g, const char *name,
                                const cy_column *col, const char *where, cy_error *err) {
  if (H5Lexists(g, H5_VALIDITY_GROUP, H5P_DEFAULT) <= 0) {
    hid_t v = H5Gcreate2(g, H5_VALIDITY_GROUP, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (v < 0) return h5_fail(err, CY_EIO, "%s: creating " H5_VALIDITY_GROUP, where);
    H5Gclose(v);
  }
  /* The mask as a bool column over the validity bitmap (no copy). */
  cy_column *mask = NULL;
  CY_RETURN_NOT_OK(cy_column_make(cy_type_make(CY_BOOL), col->length, col->offset, 0, NULL,
                                  cy_buffer_retain(col->validity), NULL, &mask, err));
  char path[1024];
  snprintf(path, sizeof path, H5_VALIDITY_GROUP "/%s", name);
  hid_t ftype, mtype;
  bool tagged;
  cy_status st = column_types(w, name, mask, &ftype, &mtype, &tagged, err);
  hid_t d = st == CY_OK ? create_dataset(w, g, path, ftype, col->length) : -1;
  if (st == CY_OK && d < 0) st = h5_fail(err, CY_EIO, "%s: creating its validity mask", where);
  if (st == CY_OK) st = write_values(w, d, NULL, mask, ftype, mtype, where, err);
  if (d >= 0) H5Dclose(d);
  if (ftype >= 0) H5Tclose(ftype);
  if (mtype >= 0) H5Tclose(mtype);
  cy_column_release(mask);
  return st;
}

static cy_status write_columns(const h5_write *w, hid_t f, const char *at, const cy_table *t,
                               cy_error *err) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  hid_t g = strcmp(at, "/") == 0 ? H5Gopen2(f, "/", H5P_DEFAULT)
                                 : H5Gcreate2(f, at, lcpl, gcpl, H5P_DEFAULT);
  H5Pclose(gcpl);
  H5Pclose(lcpl);
  if (g < 0) return h5_fail(err, CY_EIO, "%s:%s: creating the group", w->file, w->key);
  cy_status st = CY_OK;
  for (int32_t i = 0; st == CY_OK && i < t->schema.num_fields; i++) {
    const char *name = t->schema.fields[i].name;
    const cy_column *col = t->columns[i];
    char where[1200];
    snprintf(where, sizeof where, "%s:%s%s%s", w->file, w->key,
             w->key[strlen(w->key) - 1] == '/' ? "" : "/", name);
    hid_t ftype, mtype;
    bool tagged;
    st = column_types(w, name, col, &ftype, &mtype, &tagged, err);
    if (st != CY_OK) break;
    hid_t d = create_dataset(w, g, name, ftype, col->length);
    char tn[64];
    if (d < 0)
      st = h5_fail(err, CY_EIO, "%s: creating the dataset", where);
    else if (tagged && !write_string_attr(d, H5_TYPE_ATTR, cy_type_name(&col->type, tn, sizeof tn)))
      st = h5_fail(err, CY_EIO, "%s: writing its " H5_TYPE_ATTR " attribute", where);
    if (st == CY_OK) st = write_values(w, d, NULL, col, ftype, mtype, where, err);
    if (st == CY_OK && col->null_count > 0) st = write_validity(w, g, name, col, where, err);
    if (d >= 0) H5Dclose(d);
    H5Tclose(ftype);
    H5Tclose(mtype);
  }
  if (st == CY_OK) {
    /* The column order, for readers of groups that do not track creation order. */
    hid_t t_str = H5Tcopy(H5T_C_S1);
    H5Tset_size(t_str, H5T_VARIABLE);
    H5Tset_cset(t_str, H5T_CSET_UTF8);
    hsize_t n = (hsize_t)t->schema.num_fields;
    hid_t space = H5Screate_simple(1, &n, NULL);
    const char **names = malloc((size_t)(n ? n : 1) * sizeof(char *));
    for (hsize_t i = 0; names && i < n; i++) names[i] = t->schema.fields[i].name;
    hid_t a = H5Acreate2(g, H5_COLUMNS_ATTR, t_str, space, H5P_DEFAULT, H5P_DEFAULT);
    if (names == NULL || a < 0 || H5Awrite(a, t_str, names) < 0)
      st = h5_fail(err, CY_EIO, "%s:%s: writing the '" H5_COLUMNS_ATTR "' attribute", w->file,
                   w->key);
    if (a >= 0) H5Aclose(a);
    free(names);
    H5Sclose(space);
    H5Tclose(t_str);
  }
  H5Gclose(g);
  return st;
}

static cy_status write_compound(const h5_write *w, hid_t f, const char *at, const cy_table *t,
                                cy_error *err) {
  int32_t n = t->schema.num_fields;
  hid_t *ftypes = calloc((size_t)(n ? n : 1), sizeof(hid_t));
  hid_t *mtypes = calloc((size_t)(n ? n : 1), sizeof(hid_t));
  bool *tagged = calloc((size_t)(n ? n : 1), sizeof(bool));
  cy_status st = ftypes && mtypes && tagged ? CY_OK : CY_ENOMEM;
  if (st != CY_OK) cy_error_set(err, "out of memory writing %s", w->file);
  if (st == CY_OK && n == 0) {
    cy_error_set(err, "%s:%s: a table without columns has no compound records to write",
                 w->file, w->key);
    st = CY_EINVAL;
  }
  size_t size = 0;
  int32_t made = 0;
  for (; st == CY_OK && made < n; made++) {
    const cy_column *col = t->columns[made];
    const char *name = t->schema.fields[made].name;
    if (col->null_count > 0) {
      cy_error_set(err, "%s:%s: column '%s' has nulls, which the compound layout cannot keep "
                   "(write the columns layout, where they go to " H5_VALIDITY_GROUP "/%s)",
                   w->file, w->key, name, name);
      st = CY_ENOTSUP;
      break;
    }
    st = column_types(w, name, col, &ftypes[made], &mtypes[made], &tagged[made], err);
    if (st == CY_OK) size += H5Tget_size(ftypes[made]);
    else break;
  }
  hid_t record = -1, d = -1;
  if (st == CY_OK) {
    record = H5Tcreate(H5T_COMPOUND, size);
    size_t off = 0;
    for (int32_t i = 0; i < n; i++) {
      H5Tinsert(record, t->schema.fields[i].name, off, ftypes[i]);
      off += H5Tget_size(ftypes[i]);
    }
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hsize_t rows = (hsize_t)t->num_rows;
    hid_t space = H5Screate_simple(1, &rows, NULL);
    hid_t dcpl = dataset_plist(w, t->num_rows);
    d = H5Dcreate2(f, at, record, space, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Pclose(lcpl);
    if (d < 0) st = h5_fail(err, CY_EIO, "%s:%s: creating the dataset", w->file, w->key);
  }
  for (int32_t i = 0; st == CY_OK && i < n; i++) {
    const char *name = t->schema.fields[i].name;
    char where[1200], attr[512], tn[64];
    snprintf(where, sizeof where, "%s:%s, member '%s'", w->file, w->key, name);
    snprintf(attr, sizeof attr, H5_TYPE_ATTR ":%s", name);
    if (tagged[i] && !write_string_attr(d, attr, cy_type_name(&t->columns[i]->type, tn, sizeof tn)))
      st = h5_fail(err, CY_EIO, "%s: writing its type attribute", where);
    if (st == CY_OK)
      st = write_values(w, d, name, t->columns[i], ftypes[i], mtypes[i], where, err);
  }
  if (d >= 0) H5Dclose(d);
  if (record >= 0) H5Tclose(record);
  for (int32_t i = 0; i < made && ftypes && mtypes; i++) {
    H5Tclose(ftypes[i]);
    H5Tclose(mtypes[i]);
  }
  free(ftypes);
  free(mtypes);
  free(tagged);
  return st;
}

static cy_status write_table(const h5_write *w, hid_t f, const char *at, const cy_table *t,
                             cy_error *err) {
  if (w->opts->layout == CY_HDF5_COMPOUND) return write_compound(w, f, at, t, err);
  int32_t v = cy_schema_find(&t->schema, H5_VALIDITY_GROUP);
  if (v >= 0) {
    cy_error_set(err, "%s:%s: a column may not be called '" H5_VALIDITY_GROUP "' in the "
                 "columns layout (that group holds the null masks)", w->file, w->key);
    return CY_EINVAL;
  }
  return write_columns(w, f, at, t, err);
}

/* A new file: written under a temporary name, renamed when complete. */
static cy_status write_new(const h5_write *w, const cy_table *t, cy_error *err) {
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.cylon-tmp-%ld", w->file, (long)getpid());
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  H5Pclose(fcpl);
  if (f < 0) return h5_fail(err, CY_EIO, "%s: cannot create", w->file);
  cy_status st = write_table(w, f, w->key, t, err);
  if (H5Fclose(f) < 0 && st == CY_OK) st = h5_fail(err, CY_EIO, "%s: closing", w->file);
  if (st == CY_OK && rename(tmp, w->file) != 0) {
    cy_error_set(err, "%s: renaming %s into place: %s", w->file, tmp, strerror(errno));
    st = CY_EIO;
  }
  if (st != CY_OK) unlink(tmp);
  return st;
}

/* An existing file: the table is built at a temporary link, then moved to its key. */
static cy_status write_append(const h5_write *w, const cy_table *t, cy_error *err) {
  if (H5Fis_hdf5(w->file) <= 0)
    return h5_fail(err, CY_EINVAL, "%s: cannot append: not an HDF5 file", w->file);
  hid_t f = H5Fopen(w->file, H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) return h5_fail(err, CY_EIO, "%s: cannot open for appending", w->file);
  char tmp[64];
  snprintf(tmp, sizeof tmp, "/.cylon-tmp-%ld", (long)getpid());
  if (H5Lexists(f, tmp, H5P_DEFAULT) > 0) H5Ldelete(f, tmp, H5P_DEFAULT);
  cy_status st = write_table(w, f, tmp, t, err);
  if (st == CY_OK) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    /* H5Lexists wants every parent of the key to exist: check them one by one. */
    bool exists = true;
    for (const char *p = w->key + 1; exists; p++)
      if (*p == '/' || *p == 0) {
        char prefix[1024];
        snprintf(prefix, sizeof prefix, "%.*s", (int)(p - w->key), w->key);
        exists = H5Lexists(f, prefix, H5P_DEFAULT) > 0;
        if (*p == 0) break;
      }
    if (exists && H5Ldelete(f, w->key, H5P_DEFAULT) < 0)
      st = h5_fail(err, CY_EIO, "%s:%s: removing the old table", w->file, w->key);
    else if (H5Lmove(f, tmp, f, w->key, lcpl, H5P_DEFAULT) < 0)
      st = h5_fail(err, CY_EIO, "%s:%s: linking the new table", w->file, w->key);
    H5Pclose(lcpl);
  }
  if (st != CY_OK) {
    H5Eclear2(H5E_DEFAULT);
    if (H5Lexists(f, tmp, H5P_DEFAULT) > 0) H5Ldelete(f, tmp, H5P_DEFAULT);
  }
  if (H5Fclose(f) < 0 && st == CY_OK) st = h5_fail(err, CY_EIO, "%s: closing", w->file);
  return st;
}

cy_status cy_hdf5_write(const cy_table *table, const char *path,
                        const cy_hdf5_write_options *opts, cy_error *err) {
  cy_hdf5_write_options defaults;
  if (opts == NULL) {
    cy_hdf5_write_options_init(&defaults);
    opts = &defaults;
  }
  char *file = NULL;
  const char *key = NULL;
  CY_RETURN_NOT_OK(h5_split_path(path, &file, &key, err));
  if (opts->key) key = opts->key;
  if (key == NULL) key = H5_DEFAULT_KEY;
  cy_status st = CY_OK;
  if (key[0] != '/' || strlen(key) >= 1000 ||
      (strcmp(key, "/") == 0 && (opts->append || opts->layout == CY_HDF5_COMPOUND))) {
    cy_error_set(err, "%s: bad HDF5 key '%s' (a path such as /table or /group/name)", file,
                 key);
    st = CY_EINVAL;
  } else if (opts->compression_level < 0 || opts->compression_level > 9) {
    cy_error_set(err, "%s: HDF5 gzip level %d is not 0-9", file, opts->compression_level);
    st = CY_EINVAL;
  }
  if (st == CY_OK) {
    h5_write w = {opts, file, key, opts->chunk_rows > 0 ? opts->chunk_rows : 65536};
    h5_guard g;
    h5_enter(&g);
    st = opts->append && access(file, F_OK) == 0 ? write_append(&w, table, err)
                                                  : write_new(&w, table, err);
    h5_leave(&g);
  }
  free(file);
  return st;
}

#endif /* CYLON_HAVE_HDF5 */
