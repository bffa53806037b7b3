/*
 * convert.c - Python and NumPy values to cylon columns and back.
 *
 * Zero-copy where the layouts agree: a contiguous native-endian NumPy array of integers,
 * floats or datetime64 is the same bytes as an Arrow values buffer, so the column wraps
 * the array's memory and holds a reference to the array until cylon's last reference to
 * the buffer goes. The other way, a numeric column without nulls becomes a read-only NumPy
 * array over the column's buffer whose base keeps the column alive. Everything else
 * (strings, bit-packed booleans, nulls) is converted the way pandas represents it.
 */
#include "pycylon.h"

#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------
 * NumPy memory as a cylon buffer
 * ------------------------------------------------------------------------------------- */

/* Called when cylon drops its last reference to a wrapped array; may run on any thread,
 * with or without the GIL, so it takes the GIL to drop the array. */
static void release_pyobject(void *data, int64_t size, void *private_data) {
  PyGILState_STATE g = PyGILState_Ensure();
  Py_DECREF((PyObject *)private_data);
  PyGILState_Release(g);
}

static int wrap_array_memory(PyArrayObject *arr, cy_buffer **out) {
  cy_error err;
  Py_INCREF(arr);
  cy_status st = cy_buffer_wrap(PyArray_DATA(arr), (int64_t)PyArray_NBYTES(arr),
                                release_pyobject, arr, out, &err);
  if (st != CY_OK) {
    pc_raise(st, &err);
    return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------------------------------
 * NumPy arrays to columns
 * ------------------------------------------------------------------------------------- */

static int numpy_type(PyArray_Descr *d, cy_type *out) {
  switch (d->type_num) {
  case NPY_INT8: *out = cy_type_make(CY_INT8); return 1;
  case NPY_INT16: *out = cy_type_make(CY_INT16); return 1;
  case NPY_INT32: *out = cy_type_make(CY_INT32); return 1;
  case NPY_INT64: *out = cy_type_make(CY_INT64); return 1;
  case NPY_UINT8: *out = cy_type_make(CY_UINT8); return 1;
  case NPY_UINT16: *out = cy_type_make(CY_UINT16); return 1;
  case NPY_UINT32: *out = cy_type_make(CY_UINT32); return 1;
  case NPY_UINT64: *out = cy_type_make(CY_UINT64); return 1;
  case NPY_FLOAT32: *out = cy_type_make(CY_FLOAT32); return 1;
  case NPY_FLOAT64: *out = cy_type_make(CY_FLOAT64); return 1;
  default: break;
  }
  /* C's long and long long may both be 64-bit with distinct NumPy numbers. */
  if (d->kind == 'i' || d->kind == 'u') {
    static const cy_type_id ids[2][4] = {{CY_INT8, CY_INT16, CY_INT32, CY_INT64},
                                         {CY_UINT8, CY_UINT16, CY_UINT32, CY_UINT64}};
    int w = d->elsize == 1 ? 0 : d->elsize == 2 ? 1 : d->elsize == 4 ? 2 : 3;
    *out = cy_type_make(ids[d->kind == 'u'][w]);
    return 1;
  }
  return 0;
}

/* The unit of a datetime64 dtype as a cylon time unit; -1 for days, -2 for others. */
static int datetime_unit(PyArray_Descr *d) {
  PyArray_DatetimeMetaData *meta = &(((PyArray_DatetimeDTypeMetaData *)d->c_metadata)->meta);
  if (meta->num != 1) return -2;
  switch (meta->base) {
  case NPY_FR_s: return CY_SECOND;
  case NPY_FR_ms: return CY_MILLI;
  case NPY_FR_us: return CY_MICRO;
  case NPY_FR_ns: return CY_NANO;
  case NPY_FR_D: return -1;
  default: return -2;
  }
}

/* A validity bitmap with a 0 where is_null says so; *out stays NULL when nothing is null. */
static int null_bitmap(const void *values, int64_t n, int kind, int64_t *nulls,
                       cy_buffer **out) {
  *out = NULL;
  *nulls = 0;
  int64_t first = -1;
  for (int64_t i = 0; i < n && first < 0; i++) {
    if (kind == 'f' ? isnan(((const double *)values)[i]) : kind == 'g'
        ? isnan(((const float *)values)[i]) : ((const int64_t *)values)[i] == INT64_MIN)
      first = i;
  }
  if (first < 0) return 0;
  cy_error err;
  cy_status st = cy_buffer_alloc(cy_bitmap_bytes(n), out, &err);
  if (st != CY_OK) {
    pc_raise(st, &err);
    return -1;
  }
  uint8_t *bits = (*out)->data;
  cy_bitmap_fill(bits, 0, n, true);
  for (int64_t i = first; i < n; i++) {
    bool null = kind == 'f' ? isnan(((const double *)values)[i]) : kind == 'g'
        ? isnan(((const float *)values)[i]) : ((const int64_t *)values)[i] == INT64_MIN;
    if (null) {
      cy_bit_clear(bits, i);
      (*nulls)++;
    }
  }
  return 0;
}

static int column_from_sequence(PyObject *obj, const char *name, cy_column **out);

static int column_from_numpy(PyArrayObject *arr, const char *name, cy_column **out) {
  if (PyArray_NDIM(arr) != 1) {
    PyErr_Format(PyExc_ValueError, "column '%s': a column needs a 1-D array, not %d-D", name,
                 PyArray_NDIM(arr));
    return -1;
  }
  PyArray_Descr *d = PyArray_DESCR(arr);
  int64_t n = (int64_t)PyArray_DIM(arr, 0);
  cy_error err;
  cy_type type;
  int unit = -2;
  bool numeric = numpy_type(d, &type);
  if (!numeric && d->type_num == NPY_DATETIME) {
    unit = datetime_unit(d);
    if (unit == -2) {
      PyErr_Format(PyExc_ValueError, "column '%s': datetime64 unit not supported (s, ms, "
                   "us, ns or D)", name);
      return -1;
    }
  }
  if (numeric || unit >= 0) {
    if (unit >= 0) type = cy_type_timestamp((cy_time_unit)unit, NULL);
    /* Own byte order and contiguous: share the memory; otherwise one copy that is. */
    PyArrayObject *src = (PyArrayObject *)PyArray_FromAny(
        (PyObject *)arr, PyArray_DescrNewByteorder(d, NPY_NATIVE), 1, 1,
        NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED, NULL);
    if (src == NULL) return -1;
    cy_buffer *validity = NULL, *values = NULL;
    int64_t nulls = 0;
    int kind = type.id == CY_FLOAT64 ? 'f' : type.id == CY_FLOAT32 ? 'g'
             : unit >= 0 ? 'M' : 0;
    int rc = kind ? null_bitmap(PyArray_DATA(src), n, kind, &nulls, &validity) : 0;
    if (rc == 0) rc = wrap_array_memory(src, &values);
    Py_DECREF(src);
    if (rc != 0) {
      cy_buffer_release(validity);
      return -1;
    }
    cy_status st = cy_column_make(type, n, 0, nulls, validity, values, NULL, out, &err);
    return st == CY_OK ? 0 : (pc_raise(st, &err), -1);
  }
  if (d->type_num == NPY_BOOL) {
    /* Arrow packs booleans into bits: one pass, no way around a copy. */
    PyArrayObject *src = (PyArrayObject *)PyArray_FROM_OTF((PyObject *)arr, NPY_BOOL,
                                                           NPY_ARRAY_C_CONTIGUOUS);
    if (src == NULL) return -1;
    cy_status st = cy_column_from_values(cy_type_make(CY_BOOL), PyArray_DATA(src), NULL, n,
                                         out, &err);
    Py_DECREF(src);
    return st == CY_OK ? 0 : (pc_raise(st, &err), -1);
  }
  if (d->type_num == NPY_DATETIME && unit == -1) {
    /* datetime64[D] is int64 days; date32 is int32 days: converted. */
    cy_builder b;
    cy_status st = cy_builder_init(&b, cy_type_make(CY_DATE32), n, &err);
    PyArrayObject *src = st == CY_OK ? (PyArrayObject *)PyArray_FromAny(
        (PyObject *)arr, PyArray_DescrNewByteorder(d, NPY_NATIVE), 1, 1,
        NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED, NULL) : NULL;
    if (st != CY_OK) return pc_raise(st, &err), -1;
    if (src == NULL) {
      cy_builder_reset(&b);
      return -1;
    }
    const int64_t *days = PyArray_DATA(src);
    for (int64_t i = 0; i < n && st == CY_OK; i++)
      st = days[i] == INT64_MIN ? cy_builder_append_null(&b, &err)
                                : cy_builder_append_int(&b, days[i], &err);
    Py_DECREF(src);
    if (st == CY_OK) st = cy_builder_finish(&b, out, &err);
    cy_builder_reset(&b);
    return st == CY_OK ? 0 : (pc_raise(st, &err), -1);
  }
  if (d->kind == 'O' || d->kind == 'U' || d->kind == 'S')
    return column_from_sequence((PyObject *)arr, name, out);
  PyErr_Format(PyExc_TypeError, "column '%s': NumPy dtype '%c%d' is not supported", name,
               d->kind, d->elsize);
  return -1;
}

/* ---------------------------------------------------------------------------------------
 * Python sequences to columns
 * ------------------------------------------------------------------------------------- */

enum { K_NULL = 0, K_BOOL = 1, K_INT = 2, K_FLOAT = 4, K_STR = 8, K_BYTES = 16 };

static bool is_null_value(PyObject *v) {
  return v == Py_None || (PyFloat_Check(v) && isnan(PyFloat_AS_DOUBLE(v)));
}

static int value_kind(PyObject *v) {
  if (is_null_value(v)) return K_NULL;
  if (PyBool_Check(v) || PyArray_IsScalar(v, Bool)) return K_BOOL;
  if (PyLong_Check(v) || PyArray_IsScalar(v, Integer)) return K_INT;
  if (PyFloat_Check(v) || PyArray_IsScalar(v, Floating)) {
    return isnan(PyFloat_AsDouble(v)) ? K_NULL : K_FLOAT;
  }
  if (PyUnicode_Check(v)) return K_STR;
  if (PyBytes_Check(v)) return K_BYTES;
  return -1;
}

static int column_from_sequence(PyObject *obj, const char *name, cy_column **out) {
  PyObject *seq = PySequence_Fast(obj, "a column must be a sequence or a NumPy array");
  if (seq == NULL) return -1;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  PyObject **items = PySequence_Fast_ITEMS(seq);
  int kinds = 0;
  for (Py_ssize_t i = 0; i < n; i++) {
    int k = value_kind(items[i]);
    if (k < 0) {
      PyErr_Format(PyExc_TypeError, "column '%s', row %zd: values of type %s are not "
                   "supported", name, i, Py_TYPE(items[i])->tp_name);
      Py_DECREF(seq);
      return -1;
    }
    kinds |= k;
  }
  cy_type_id id;
  switch (kinds) {
  case K_NULL: case K_STR: id = CY_UTF8; break;
  case K_BOOL: id = CY_BOOL; break;
  case K_INT: id = CY_INT64; break;
  case K_FLOAT: case K_INT | K_FLOAT: id = CY_FLOAT64; break;
  case K_BYTES: id = CY_BINARY; break;
  default:
    PyErr_Format(PyExc_TypeError, "column '%s' mixes values of different kinds (%s%s%s%s%s)",
                 name, kinds & K_BOOL ? "bool " : "", kinds & K_INT ? "int " : "",
                 kinds & K_FLOAT ? "float " : "", kinds & K_STR ? "str " : "",
                 kinds & K_BYTES ? "bytes" : "");
    Py_DECREF(seq);
    return -1;
  }
  cy_error err;
  cy_builder b;
  cy_status st = cy_builder_init(&b, cy_type_make(id), n, &err);
  if (st != CY_OK) {
    Py_DECREF(seq);
    return pc_raise(st, &err), -1;
  }
  for (Py_ssize_t i = 0; i < n && st == CY_OK; i++) {
    PyObject *v = items[i];
    if (value_kind(v) == K_NULL) {
      st = cy_builder_append_null(&b, &err);
    } else if (id == CY_BOOL) {
      st = cy_builder_append_int(&b, PyObject_IsTrue(v), &err);
    } else if (id == CY_INT64) {
      int overflow = 0;
      PyObject *idx = PyNumber_Index(v);
      long long x = idx ? PyLong_AsLongLongAndOverflow(idx, &overflow) : -1;
      Py_XDECREF(idx);
      if (idx == NULL || overflow) {
        if (!PyErr_Occurred())
          PyErr_Format(PyExc_OverflowError, "column '%s', row %zd: integer out of the int64 "
                       "range", name, i);
        cy_builder_reset(&b);
        Py_DECREF(seq);
        return -1;
      }
      st = cy_builder_append_int(&b, x, &err);
    } else if (id == CY_FLOAT64) {
      double x = PyFloat_AsDouble(v);
      if (x == -1.0 && PyErr_Occurred()) {
        cy_builder_reset(&b);
        Py_DECREF(seq);
        return -1;
      }
      st = cy_builder_append_double(&b, x, &err);
    } else {
      Py_ssize_t len;
      const char *s;
      if (id == CY_UTF8) {
        s = PyUnicode_AsUTF8AndSize(v, &len);
      } else {
        char *bs;
        s = PyBytes_AsStringAndSize(v, &bs, &len) == 0 ? bs : NULL;
      }
      if (s == NULL) {
        cy_builder_reset(&b);
        Py_DECREF(seq);
        return -1;
      }
      st = cy_builder_append_bytes(&b, s, len, &err);
    }
  }
  Py_DECREF(seq);
  if (st == CY_OK) st = cy_builder_finish(&b, out, &err);
  cy_builder_reset(&b);
  if (st != CY_OK) {
    cy_error_prefix(&err, "column '%s': ", name);
    return pc_raise(st, &err), -1;
  }
  return 0;
}

int pc_column_from_object(PyObject *obj, const char *name, cy_column **out) {
  if (PyArray_Check(obj)) return column_from_numpy((PyArrayObject *)obj, name, out);
  /* pandas Series, array-likes: through NumPy when they offer an array. */
  if (!PyList_Check(obj) && !PyTuple_Check(obj) && PyObject_HasAttrString(obj, "__array__")) {
    PyObject *arr = PyArray_FromAny(obj, NULL, 0, 0, 0, NULL);
    if (arr == NULL) return -1;
    int rc = column_from_numpy((PyArrayObject *)arr, name, out);
    Py_DECREF(arr);
    return rc;
  }
  return column_from_sequence(obj, name, out);
}

int pc_mask_from_object(PyObject *obj, int64_t length, cy_column **out) {
  PyArrayObject *arr = (PyArrayObject *)PyArray_FROM_OTF(obj, NPY_BOOL,
                                                         NPY_ARRAY_C_CONTIGUOUS);
  if (arr == NULL) return -1;
  if (PyArray_NDIM(arr) != 1 || PyArray_DIM(arr, 0) != length) {
    PyErr_Format(PyExc_ValueError, "a boolean mask needs one value per row: %lld rows, "
                 "mask of %lld", (long long)length,
                 PyArray_NDIM(arr) == 1 ? (long long)PyArray_DIM(arr, 0) : -1LL);
    Py_DECREF(arr);
    return -1;
  }
  cy_error err;
  cy_status st = cy_column_from_values(cy_type_make(CY_BOOL), PyArray_DATA(arr), NULL,
                                       length, out, &err);
  Py_DECREF(arr);
  return st == CY_OK ? 0 : (pc_raise(st, &err), -1);
}

int pc_scalar_from_object(PyObject *obj, cy_scalar *out) {
  switch (value_kind(obj)) {
  case K_NULL: *out = cy_scalar_null(cy_type_make(CY_INT64)); return 0;
  case K_BOOL: *out = cy_scalar_bool(PyObject_IsTrue(obj)); return 0;
  case K_INT: {
    int overflow = 0;
    PyObject *idx = PyNumber_Index(obj);
    long long x = idx ? PyLong_AsLongLongAndOverflow(idx, &overflow) : -1;
    Py_XDECREF(idx);
    if (idx == NULL) return -1;
    if (overflow) {
      PyErr_SetString(PyExc_OverflowError, "integer out of the int64 range");
      return -1;
    }
    *out = cy_scalar_int64(x);
    return 0;
  }
  case K_FLOAT: *out = cy_scalar_float64(PyFloat_AsDouble(obj)); return 0;
  case K_STR: {
    Py_ssize_t len;
    const char *s = PyUnicode_AsUTF8AndSize(obj, &len);
    if (s == NULL) return -1;
    *out = cy_scalar_string(s);
    out->v.s.len = len;
    return 0;
  }
  default:
    PyErr_Format(PyExc_TypeError, "cannot compare a column with a %s",
                 Py_TYPE(obj)->tp_name);
    return -1;
  }
}

/* ---------------------------------------------------------------------------------------
 * Columns to NumPy arrays
 * ------------------------------------------------------------------------------------- */

static void column_capsule_free(PyObject *capsule) {
  cy_column_release(PyCapsule_GetPointer(capsule, "pycylon.column"));
}

static int numpy_typenum(cy_type_id id) {
  switch (id) {
  case CY_INT8: return NPY_INT8;
  case CY_INT16: return NPY_INT16;
  case CY_INT32: return NPY_INT32;
  case CY_INT64: return NPY_INT64;
  case CY_UINT8: return NPY_UINT8;
  case CY_UINT16: return NPY_UINT16;
  case CY_UINT32: return NPY_UINT32;
  case CY_UINT64: return NPY_UINT64;
  case CY_FLOAT32: return NPY_FLOAT32;
  case CY_FLOAT64: return NPY_FLOAT64;
  default: return -1;
  }
}

static PyArray_Descr *datetime_descr(const char *unit) {
  PyObject *s = PyUnicode_FromFormat("M8[%s]", unit);
  PyArray_Descr *d = NULL;
  if (s != NULL) PyArray_DescrConverter(s, &d);
  Py_XDECREF(s);
  return d;
}

static const char *unit_name(cy_time_unit u) {
  return u == CY_SECOND ? "s" : u == CY_MILLI ? "ms" : u == CY_MICRO ? "us" : "ns";
}

/* A read-only array over the column's values that keeps the column alive. */
static PyObject *numpy_view(cy_column *col, PyArray_Descr *descr) {
  npy_intp dims[1] = {(npy_intp)col->length};
  void *data = (void *)cy_column_data(col);
  PyObject *arr = PyArray_NewFromDescr(&PyArray_Type, descr, 1, dims, NULL, data,
                                       NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED, NULL);
  if (arr == NULL) return NULL;
  PyObject *base = PyCapsule_New(cy_column_retain(col), "pycylon.column",
                                 column_capsule_free);
  if (base == NULL) {
    cy_column_release(col);
    Py_DECREF(arr);
    return NULL;
  }
  if (PyArray_SetBaseObject((PyArrayObject *)arr, base) != 0) { /* steals base */
    Py_DECREF(arr);
    return NULL;
  }
  return arr;
}

static PyObject *object_array(cy_column *col) {
  npy_intp dims[1] = {(npy_intp)col->length};
  PyObject *arr = PyArray_SimpleNew(1, dims, NPY_OBJECT);
  if (arr == NULL) return NULL;
  PyObject **slots = PyArray_DATA((PyArrayObject *)arr);
  PyObject *decimal = NULL;
  if (col->type.id == CY_DECIMAL128) {
    PyObject *mod = PyImport_ImportModule("decimal");
    decimal = mod ? PyObject_GetAttrString(mod, "Decimal") : NULL;
    Py_XDECREF(mod);
    if (decimal == NULL) goto fail;
  }
  for (int64_t i = 0; i < col->length; i++) {
    PyObject *v;
    if (!cy_column_is_valid(col, i)) {
      v = Py_NewRef(Py_None);
    } else if (col->type.id == CY_BOOL) {
      v = PyBool_FromLong(cy_column_bool(col, i));
    } else if (col->type.id == CY_UTF8 || col->type.id == CY_LARGE_UTF8) {
      int64_t len;
      const uint8_t *s = cy_column_bytes(col, i, &len);
      v = PyUnicode_DecodeUTF8((const char *)s, (Py_ssize_t)len, "replace");
    } else if (col->type.id == CY_BINARY || col->type.id == CY_LARGE_BINARY) {
      int64_t len;
      const uint8_t *s = cy_column_bytes(col, i, &len);
      v = PyBytes_FromStringAndSize((const char *)s, (Py_ssize_t)len);
    } else {
      char buf[128];
      cy_column_format_value(col, i, "", buf, sizeof buf);
      v = decimal ? PyObject_CallFunction(decimal, "s", buf) : PyUnicode_FromString(buf);
    }
    if (v == NULL) goto fail;
    Py_XSETREF(slots[i], v); /* the new array holds None references */
  }
  Py_XDECREF(decimal);
  return arr;
fail:
  Py_XDECREF(decimal);
  Py_DECREF(arr);
  return NULL;
}

PyObject *pc_column_to_numpy(cy_column *col) {
  npy_intp dims[1] = {(npy_intp)col->length};
  int typenum = numpy_typenum(col->type.id);
  if (typenum >= 0) {
    if (col->null_count == 0) return numpy_view(col, PyArray_DescrFromType(typenum));
    /* As pandas: nulls are NaN, so integers with nulls become float64. */
    int out_type = col->type.id == CY_FLOAT32 ? NPY_FLOAT32 : NPY_FLOAT64;
    PyObject *arr = PyArray_SimpleNew(1, dims, out_type);
    if (arr == NULL) return NULL;
    cy_column *f = NULL;
    cy_error err;
    cy_status st = out_type == NPY_FLOAT64 && col->type.id != CY_FLOAT64
        ? cy_column_cast(col, cy_type_make(CY_FLOAT64), &f, &err) : CY_OK;
    if (st != CY_OK) {
      Py_DECREF(arr);
      return pc_raise(st, &err);
    }
    const cy_column *src = f ? f : col;
    char *dst = PyArray_DATA((PyArrayObject *)arr);
    if (out_type == NPY_FLOAT32) {
      const float *v = cy_column_data(src);
      for (int64_t i = 0; i < col->length; i++)
        ((float *)dst)[i] = cy_column_is_valid(src, i) ? v[i] : NAN;
    } else {
      const double *v = cy_column_data(src);
      for (int64_t i = 0; i < col->length; i++)
        ((double *)dst)[i] = cy_column_is_valid(src, i) ? v[i] : NAN;
    }
    cy_column_release(f);
    return arr;
  }
  if (col->type.id == CY_TIMESTAMP || col->type.id == CY_DATE32) {
    bool date = col->type.id == CY_DATE32;
    PyArray_Descr *descr = datetime_descr(date ? "D" : unit_name(col->type.unit));
    if (descr == NULL) return NULL;
    if (!date && col->null_count == 0) return numpy_view(col, descr);
    PyObject *arr = PyArray_NewFromDescr(&PyArray_Type, descr, 1, dims, NULL, NULL, 0, NULL);
    if (arr == NULL) return NULL;
    int64_t *dst = PyArray_DATA((PyArrayObject *)arr);
    for (int64_t i = 0; i < col->length; i++) {
      int64_t v = date ? ((const int32_t *)cy_column_data(col))[i]
                       : ((const int64_t *)cy_column_data(col))[i];
      dst[i] = cy_column_is_valid(col, i) ? v : INT64_MIN; /* NaT */
    }
    return arr;
  }
  if (col->type.id == CY_BOOL && col->null_count == 0) {
    PyObject *arr = PyArray_SimpleNew(1, dims, NPY_BOOL);
    if (arr == NULL) return NULL;
    npy_bool *dst = PyArray_DATA((PyArrayObject *)arr);
    for (int64_t i = 0; i < col->length; i++) dst[i] = cy_column_bool(col, i);
    return arr;
  }
  return object_array(col);
}
