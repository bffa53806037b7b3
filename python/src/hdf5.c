/*
 * hdf5.c - pycylon's HDF5 functions over cy_hdf5_read / cy_hdf5_write: read_hdf(path,
 * key) and write_hdf(table, path, key, layout, mode, fixed_strings, complevel), behind
 * pycylon.read_hdf and DataFrame.to_hdf.
 */
#include <string.h>

#include "pycylon.h"

/* "/" + key when the key lacks its leading slash (pandas users write key="df"). */
static const char *absolute_key(const char *key, char *buf, size_t size) {
  if (key == NULL || key[0] == '/') return key;
  snprintf(buf, size, "/%s", key);
  return buf;
}

/* read_hdf(path, key=None) */
PyObject *pc_read_hdf(PyObject *m, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"path", "key", NULL};
  const char *path, *key = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|z:read_hdf", kw, &path, &key)) return NULL;
  char buf[1024];
  cy_hdf5_read_options o;
  cy_hdf5_read_options_init(&o);
  o.key = absolute_key(key, buf, sizeof buf);
  cy_table *t = NULL;
  cy_error err;
  cy_status st;
  Py_BEGIN_ALLOW_THREADS st = cy_hdf5_read(path, &o, &t, &err);
  Py_END_ALLOW_THREADS
  return st == CY_OK ? pc_table_wrap(t) : pc_raise(st, &err);
}

/* write_hdf(table, path, key, layout='columns', mode='w', fixed_strings=False,
 * complevel=0) */
PyObject *pc_write_hdf(PyObject *m, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"table", "path", "key", "layout", "mode", "fixed_strings", "complevel",
                       NULL};
  PyObject *obj;
  const char *path, *key, *layout = "columns", *mode = "w";
  int fixed = 0, level = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oss|sspi:write_hdf", kw, &obj, &path, &key,
                                   &layout, &mode, &fixed, &level))
    return NULL;
  cy_table *t = pc_table_of(obj);
  if (t == NULL) return NULL;
  cy_hdf5_write_options o;
  cy_hdf5_write_options_init(&o);
  if (strcmp(layout, "columns") == 0)
    o.layout = CY_HDF5_COLUMNS;
  else if (strcmp(layout, "compound") == 0)
    o.layout = CY_HDF5_COMPOUND;
  else
    return PyErr_Format(PyExc_ValueError, "layout is 'columns' or 'compound', not '%s'",
                        layout);
  if (strcmp(mode, "a") != 0 && strcmp(mode, "w") != 0)
    return PyErr_Format(PyExc_ValueError, "mode is 'w' (a new file) or 'a' (add to an "
                        "existing file), not '%s'", mode);
  char buf[1024];
  o.key = absolute_key(key, buf, sizeof buf);
  o.append = mode[0] == 'a';
  o.fixed_strings = fixed;
  o.compression_level = level;
  cy_error err;
  cy_status st;
  Py_BEGIN_ALLOW_THREADS st = cy_hdf5_write(t, path, &o, &err);
  Py_END_ALLOW_THREADS
  if (st != CY_OK) return pc_raise(st, &err);
  Py_RETURN_NONE;
}
