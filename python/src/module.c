/*
 * module.c - the pycylon._cylon extension module: exceptions, reading files, concat and
 * memory figures; the Table type lives in table.c.
 *
 * Errors: every failed cy_ call raises CylonError (a RuntimeError) or the subclass its
 * status calls for - CylonValueError (also a ValueError) for bad arguments and values out
 * of range, CylonNotSupportedError (a NotImplementedError) for valid requests cylon does
 * not do, CylonMemoryError (a MemoryError) - with cylon's message, which names the cause
 * and place, and the status name in the `status` attribute.
 */
#define PYCYLON_IMPORT_ARRAY
#include "pycylon.h"

#include <stdlib.h>
#include <string.h>

static PyObject *CylonError, *CylonValueError, *CylonNotSupportedError, *CylonMemoryError;

PyObject *pc_raise(cy_status status, const cy_error *err) {
  PyObject *cls = status == CY_EINVAL || status == CY_ERANGE ? CylonValueError
                : status == CY_ENOTSUP ? CylonNotSupportedError
                : status == CY_ENOMEM ? CylonMemoryError : CylonError;
  const char *msg = err && err->message[0] ? err->message : cy_status_name(status);
  PyObject *exc = PyObject_CallFunction(cls, "s", msg);
  if (exc == NULL) return NULL;
  PyObject *name = PyUnicode_FromString(cy_status_name(status));
  if (name == NULL || PyObject_SetAttrString(exc, "status", name) != 0) {
    Py_XDECREF(name);
    Py_DECREF(exc);
    return NULL;
  }
  Py_DECREF(name);
  PyErr_SetObject(cls, exc);
  Py_DECREF(exc);
  return NULL;
}

static PyObject *new_error(PyObject *module, const char *name, PyObject *bases,
                           const char *doc) {
  char qual[96];
  snprintf(qual, sizeof qual, "pycylon.%s", name);
  PyObject *cls = PyErr_NewExceptionWithDoc(qual, doc, bases, NULL);
  Py_XDECREF(bases);
  if (cls == NULL || PyModule_AddObjectRef(module, name, cls) != 0) {
    Py_XDECREF(cls);
    return NULL;
  }
  return cls;
}

int pc_errors_init(PyObject *module) {
  CylonError = new_error(module, "CylonError", Py_NewRef(PyExc_RuntimeError),
                         "A cylon operation failed; the message is cylon's.");
  if (CylonError == NULL) return -1;
  CylonValueError = new_error(module, "CylonValueError",
                              PyTuple_Pack(2, CylonError, PyExc_ValueError),
                              "Bad argument, schema mismatch or malformed input.");
  CylonNotSupportedError = new_error(module, "CylonNotSupportedError",
                                     PyTuple_Pack(2, CylonError, PyExc_NotImplementedError),
                                     "A valid request that cylon does not support.");
  CylonMemoryError = new_error(module, "CylonMemoryError",
                               PyTuple_Pack(2, CylonError, PyExc_MemoryError),
                               "cylon ran out of memory.");
  return CylonValueError && CylonNotSupportedError && CylonMemoryError ? 0 : -1;
}

/* ---------------------------------------------------------------------------------------
 * Reading files
 * ------------------------------------------------------------------------------------- */

/* Column types by name from a dict {name: cylon type name}. */
static int csv_types_from(PyObject *dict, cy_csv_read_options *o, const char ***names,
                          cy_type **types) {
  *names = NULL;
  *types = NULL;
  if (dict == NULL || dict == Py_None) return 0;
  if (!PyDict_Check(dict)) {
    PyErr_SetString(PyExc_TypeError, "dtype must be a dict of column name to type name");
    return -1;
  }
  Py_ssize_t n = PyDict_Size(dict), pos = 0, i = 0;
  *names = calloc(n ? (size_t)n : 1, sizeof(char *));
  *types = calloc(n ? (size_t)n : 1, sizeof(cy_type));
  if (*names == NULL || *types == NULL) {
    PyErr_NoMemory();
    return -1;
  }
  PyObject *k, *v;
  while (PyDict_Next(dict, &pos, &k, &v)) {
    const char *name = PyUnicode_Check(k) ? PyUnicode_AsUTF8(k) : NULL;
    const char *type = PyUnicode_Check(v) ? PyUnicode_AsUTF8(v) : NULL;
    if (name == NULL || type == NULL) {
      if (!PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "dtype names and types must be str");
      return -1;
    }
    cy_error err;
    cy_status st = cy_type_parse(type, &(*types)[i], &err);
    if (st != CY_OK) {
      cy_error_prefix(&err, "dtype of '%s': ", name);
      pc_raise(st, &err);
      return -1;
    }
    (*names)[i++] = name;
  }
  o->column_names = *names;
  o->column_types = *types;
  o->num_column_types = (int32_t)n;
  return 0;
}

/* read_csv(path, delimiter=',', header=True, dtype=None, null_values=None) */
static PyObject *mod_read_csv(PyObject *m, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"path", "delimiter", "header", "dtype", "null_values", NULL};
  const char *path, *delim = ",";
  int header = 1;
  PyObject *dtype = NULL, *nulls_obj = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|spOO:read_csv", kw, &path, &delim,
                                   &header, &dtype, &nulls_obj))
    return NULL;
  if (strlen(delim) != 1)
    return PyErr_Format(PyExc_ValueError, "the delimiter must be one character, not '%s'",
                        delim);
  cy_csv_read_options o;
  cy_csv_read_options_init(&o);
  o.delimiter = delim[0];
  o.header = header;
  const char **names = NULL, **null_values = NULL;
  cy_type *types = NULL;
  PyObject *nulls = NULL, *result = NULL;
  if (csv_types_from(dtype, &o, &names, &types) != 0) goto done;
  if (nulls_obj && nulls_obj != Py_None) {
    nulls = PySequence_Fast(nulls_obj, "null_values must be a list of str");
    if (nulls == NULL) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(nulls);
    null_values = calloc(n ? (size_t)n : 1, sizeof(char *));
    if (null_values == NULL) {
      PyErr_NoMemory();
      goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
      PyObject *s = PySequence_Fast_GET_ITEM(nulls, i);
      null_values[i] = PyUnicode_Check(s) ? PyUnicode_AsUTF8(s) : NULL;
      if (null_values[i] == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "null_values must be str");
        goto done;
      }
    }
    o.null_values = null_values;
    o.num_null_values = (int32_t)n;
  }
  cy_table *t = NULL;
  cy_error err;
  cy_status st;
  Py_BEGIN_ALLOW_THREADS st = cy_csv_read(path, &o, &t, &err);
  Py_END_ALLOW_THREADS
  result = st == CY_OK ? pc_table_wrap(t) : pc_raise(st, &err);
done:
  free(names);
  free(types);
  free(null_values);
  Py_XDECREF(nulls);
  return result;
}

/* read_parquet(path, columns=None) */
static PyObject *mod_read_parquet(PyObject *m, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"path", "columns", NULL};
  const char *path;
  PyObject *cols_obj = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|O:read_parquet", kw, &path, &cols_obj))
    return NULL;
  cy_parquet_read_options o;
  cy_parquet_read_options_init(&o);
  const char **cols = NULL;
  PyObject *seq = NULL;
  if (cols_obj != Py_None) {
    seq = PySequence_Fast(cols_obj, "columns must be a list of str");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    cols = calloc(n ? (size_t)n : 1, sizeof(char *));
    if (cols == NULL) {
      Py_DECREF(seq);
      return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
      PyObject *s = PySequence_Fast_GET_ITEM(seq, i);
      cols[i] = PyUnicode_Check(s) ? PyUnicode_AsUTF8(s) : NULL;
      if (cols[i] == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "columns must be str");
        free(cols);
        Py_DECREF(seq);
        return NULL;
      }
    }
    o.columns = cols;
    o.num_columns = (int32_t)n;
  }
  cy_table *t = NULL;
  cy_error err;
  cy_status st;
  Py_BEGIN_ALLOW_THREADS st = cy_parquet_read(path, &o, &t, &err);
  Py_END_ALLOW_THREADS
  free(cols);
  Py_XDECREF(seq);
  return st == CY_OK ? pc_table_wrap(t) : pc_raise(st, &err);
}

/* read_file(path, format='auto'): CSV, Parquet or Arrow IPC by name or extension. */
static PyObject *mod_read_file(PyObject *m, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"path", "format", NULL};
  const char *path, *format = "auto";
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|s:read_file", kw, &path, &format))
    return NULL;
  cy_table_read_options o;
  cy_table_read_options_init(&o);
  cy_error err;
  cy_status st = cy_file_format_parse(format, &o.format, &err);
  cy_table *t = NULL;
  if (st == CY_OK) {
    Py_BEGIN_ALLOW_THREADS st = cy_table_read_file(path, &o, &t, &err);
    Py_END_ALLOW_THREADS
  }
  return st == CY_OK ? pc_table_wrap(t) : pc_raise(st, &err);
}

/* concat(tables): union all of tables with equal schemas. */
static PyObject *mod_concat(PyObject *m, PyObject *list) {
  PyObject *seq = PySequence_Fast(list, "concat takes a list of tables");
  if (seq == NULL) return NULL;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  if (n == 0) {
    Py_DECREF(seq);
    return PyErr_Format(PyExc_ValueError, "concat of no tables");
  }
  cy_table **tables = calloc((size_t)n, sizeof(cy_table *));
  if (tables == NULL) {
    Py_DECREF(seq);
    return PyErr_NoMemory();
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    tables[i] = pc_table_of(PySequence_Fast_GET_ITEM(seq, i));
    if (tables[i] == NULL) {
      free(tables);
      Py_DECREF(seq);
      return NULL;
    }
  }
  cy_table *out = NULL;
  cy_error err;
  cy_status st;
  Py_BEGIN_ALLOW_THREADS st = cy_table_concat((int32_t)n, tables, &out, &err);
  Py_END_ALLOW_THREADS
  free(tables);
  Py_DECREF(seq);
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

static PyObject *mod_memory_current(PyObject *m, PyObject *noargs) {
  return PyLong_FromLongLong(cy_memory_current());
}

static PyObject *mod_num_threads(PyObject *m, PyObject *args) {
  int n = -1;
  if (!PyArg_ParseTuple(args, "|i:num_threads", &n)) return NULL;
  if (n >= 0) cy_set_num_threads(n);
  return PyLong_FromLong(cy_num_threads());
}

static PyMethodDef module_methods[] = {
    {"read_csv", (PyCFunction)(void (*)(void))mod_read_csv, METH_VARARGS | METH_KEYWORDS,
     "read_csv(path, delimiter=',', header=True, dtype=None, null_values=None)"},
    {"read_parquet", (PyCFunction)(void (*)(void))mod_read_parquet,
     METH_VARARGS | METH_KEYWORDS, "read_parquet(path, columns=None)"},
    {"read_file", (PyCFunction)(void (*)(void))mod_read_file, METH_VARARGS | METH_KEYWORDS,
     "read_file(path, format='auto')"},
    {"read_hdf", (PyCFunction)(void (*)(void))pc_read_hdf, METH_VARARGS | METH_KEYWORDS,
     "read_hdf(path, key=None)"},
    {"write_hdf", (PyCFunction)(void (*)(void))pc_write_hdf, METH_VARARGS | METH_KEYWORDS,
     "write_hdf(table, path, key, layout='columns', mode='w', fixed_strings=False, "
     "complevel=0)"},
    {"concat", (PyCFunction)mod_concat, METH_O, "concat(tables): union all"},
    {"memory_current", (PyCFunction)mod_memory_current, METH_NOARGS,
     "bytes cylon has allocated for buffers"},
    {"num_threads", (PyCFunction)mod_num_threads, METH_VARARGS,
     "num_threads(n=-1): set (n >= 0; 0 = default) and return cylon's thread count"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef cylon_module = {
    PyModuleDef_HEAD_INIT, "_cylon",
    "cylon's C API for Python: the Table type under pycylon.DataFrame", -1, module_methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__cylon(void) {
  import_array();
  if (PyType_Ready(&pc_TableType) < 0) return NULL;
  PyObject *m = PyModule_Create(&cylon_module);
  if (m == NULL) return NULL;
  if (PyModule_AddObjectRef(m, "Table", (PyObject *)&pc_TableType) != 0 ||
      pc_errors_init(m) != 0 || pc_dist_init(m) != 0) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
