/*
 * pycylon.h - what the files of the pycylon extension module (_cylon) share.
 *
 * The extension is a thin CPython layer over cylon's C API: one type, Table, holds a
 * reference to a cy_table; conversions between Python/NumPy values and cy_columns live in
 * convert.c, the Arrow PyCapsule protocol and DLPack in capsule.c, the operators in
 * table.c, the module (errors, I/O, concat) in module.c, and the communicator with the
 * distributed operators and the local launcher in dist.c. The DataFrame API a pandas user
 * expects is the pure-Python layer in python/pycylon/ on top of this.
 */
#ifndef PYCYLON_H
#define PYCYLON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* One NumPy C-API table shared by all files; module.c imports it. */
#define PY_ARRAY_UNIQUE_SYMBOL pycylon_ARRAY_API
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#ifndef PYCYLON_IMPORT_ARRAY
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include "cylon/arrow_c.h"
#include "cylon/compute.h"
#include "cylon/core.h"
#include "cylon/io.h"

/* ---- the Table type ---- */

typedef struct {
  PyObject_HEAD
  cy_table *table; /* one reference, never NULL once made */
} TableObject;

extern PyTypeObject pc_TableType;

/* A new Table object taking over the caller's reference to table (released on failure). */
PyObject *pc_table_wrap(cy_table *table);
/* The cy_table of a Table object, or NULL with TypeError set. */
cy_table *pc_table_of(PyObject *obj);

/* ---- arguments shared by the local and distributed operators (table.c) ---- */

/* A Python list of str as a C array, valid while the list lives. */
typedef struct {
  const char **items;
  int32_t n;
  PyObject *seq; /* keeps the str objects (and their UTF-8) alive */
} pc_names;

int pc_names_from(PyObject *list, pc_names *out);
void pc_names_free(pc_names *names);
/* Aggregates from a list of (column, op name, output name or None[, quantile]); the
 * strings live as long as *keep, which the caller releases. */
int pc_aggs_from(PyObject *list, cy_aggregate **out, int32_t *n, PyObject **keep);
/* Join options from pandas' spelling (how, algorithm) and key lists; on success the
 * caller frees lon and ron (which opts points into). */
int pc_join_options_from(const char *how, const char *algo, PyObject *left_on_obj,
                         PyObject *right_on_obj, const char *lsuf, const char *rsuf,
                         cy_join_options *opts, pc_names *lon, pc_names *ron);
/* Sort keys from a list of names and a list of ascending flags; on success the caller
 * frees *keys and by. */
int pc_sort_keys_from(PyObject *by_obj, PyObject *asc_obj, cy_sort_key **keys,
                      pc_names *by);

/* ---- the distributed side (dist.c): the Comm type, launch ---- */

/* Add the Comm type and launch() to the module. */
int pc_dist_init(PyObject *module);

/* ---- errors ---- */

/* Raise the Python exception for a failed cy_ call (CylonError or a subclass by status),
 * carrying the C message; returns NULL for `return pc_raise(...)`. */
PyObject *pc_raise(cy_status status, const cy_error *err);
/* Set up the exception classes and add them to the module. */
int pc_errors_init(PyObject *module);

/* ---- conversions (convert.c) ---- */

/* A column from a NumPy array or any Python sequence. Numeric NumPy arrays without nulls
 * are wrapped without copying (the column keeps the array alive); float NaN and NaT
 * become nulls; lists are typed by their values (None is null). `name` is for messages. */
int pc_column_from_object(PyObject *obj, const char *name, cy_column **out);
/* A 1-D NumPy array of a column: zero-copy (read-only, keeping the column alive) for a
 * numeric or timestamp column without nulls, otherwise a converted copy as pandas has it
 * (ints with nulls as float64 with NaN, strings as objects, None for nulls). */
PyObject *pc_column_to_numpy(cy_column *col);
/* A bool column from a NumPy bool array or a sequence of bools (for masks). */
int pc_mask_from_object(PyObject *obj, int64_t length, cy_column **out);
/* A scalar from a Python value, for comparisons; text is kept alive by the caller's obj. */
int pc_scalar_from_object(PyObject *obj, cy_scalar *out);

/* ---- Arrow PyCapsules and DLPack (capsule.c) ---- */

PyObject *pc_table_arrow_c_schema(TableObject *self, PyObject *noargs);
PyObject *pc_table_arrow_c_array(TableObject *self, PyObject *args, PyObject *kwargs);
/* Table.column_arrow(i, schema_only=False): one column as a plain Arrow array (schema and
 * array capsules), or its schema capsule alone. */
PyObject *pc_table_column_arrow(TableObject *self, PyObject *args);
PyObject *pc_table_arrow_c_stream(TableObject *self, PyObject *args, PyObject *kwargs);
/* Table.from_arrow(obj): import any object with __arrow_c_stream__ or __arrow_c_array__. */
PyObject *pc_table_from_arrow(PyObject *module, PyObject *obj);
/* Table.column_dlpack(i): a "dltensor" capsule over a numeric column without nulls. */
PyObject *pc_table_column_dlpack(TableObject *self, PyObject *args);

/* ---- HDF5 (hdf5.c) ---- */

/* read_hdf(path, key=None): a Table from an HDF5 file. */
PyObject *pc_read_hdf(PyObject *m, PyObject *args, PyObject *kwargs);
/* write_hdf(table, path, key, layout, mode, fixed_strings, complevel). */
PyObject *pc_write_hdf(PyObject *m, PyObject *args, PyObject *kwargs);

#endif /* PYCYLON_H */
