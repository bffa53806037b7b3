/*
 * capsule.c - the Arrow PyCapsule interface and DLPack.
 *
 * Arrow: a Table exports __arrow_c_schema__, __arrow_c_array__ and __arrow_c_stream__,
 * PyCapsules named "arrow_schema", "arrow_array" and "arrow_array_stream" holding the C
 * Data Interface structs (as the Arrow PyCapsule interface specifies); a consumer moves
 * the struct out and sets its release to NULL, otherwise the capsule's destructor
 * releases it. Importing takes any object with those methods, zero-copy.
 *
 * DLPack: a numeric column without nulls as a "dltensor" capsule (the DLPack ABI,
 * version 0.x as NumPy >= 1.22 and the deep-learning frameworks consume it) whose
 * deleter drops the column reference that keeps the memory alive.
 */
#include "pycylon.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------
 * Export
 * ------------------------------------------------------------------------------------- */

static void schema_capsule_free(PyObject *capsule) {
  struct ArrowSchema *s = PyCapsule_GetPointer(capsule, "arrow_schema");
  if (s == NULL) {
    PyErr_WriteUnraisable(capsule);
    return;
  }
  if (s->release != NULL) s->release(s);
  free(s);
}

static void array_capsule_free(PyObject *capsule) {
  struct ArrowArray *a = PyCapsule_GetPointer(capsule, "arrow_array");
  if (a == NULL) {
    PyErr_WriteUnraisable(capsule);
    return;
  }
  if (a->release != NULL) a->release(a);
  free(a);
}

static void stream_capsule_free(PyObject *capsule) {
  struct ArrowArrayStream *s = PyCapsule_GetPointer(capsule, "arrow_array_stream");
  if (s == NULL) {
    PyErr_WriteUnraisable(capsule);
    return;
  }
  if (s->release != NULL) s->release(s);
  free(s);
}

/* A requested_schema other than None is a request we may ignore (the spec allows a
 * producer to return its own schema); we take it only to accept the argument. */
static int parse_requested_schema(PyObject *args, PyObject *kwargs, const char *fname) {
  static char *kw[] = {"requested_schema", NULL};
  PyObject *requested = Py_None;
  char fmt[64];
  snprintf(fmt, sizeof fmt, "|O:%s", fname);
  return PyArg_ParseTupleAndKeywords(args, kwargs, fmt, kw, &requested) ? 0 : -1;
}

PyObject *pc_table_arrow_c_schema(TableObject *self, PyObject *noargs) {
  struct ArrowSchema *s = calloc(1, sizeof(*s));
  if (s == NULL) return PyErr_NoMemory();
  cy_error err;
  cy_status st = cy_schema_export_arrow(&self->table->schema, s, &err);
  if (st != CY_OK) {
    free(s);
    return pc_raise(st, &err);
  }
  PyObject *cap = PyCapsule_New(s, "arrow_schema", schema_capsule_free);
  if (cap == NULL) {
    s->release(s);
    free(s);
  }
  return cap;
}

PyObject *pc_table_arrow_c_array(TableObject *self, PyObject *args, PyObject *kwargs) {
  if (parse_requested_schema(args, kwargs, "__arrow_c_array__") != 0) return NULL;
  struct ArrowSchema *s = calloc(1, sizeof(*s));
  struct ArrowArray *a = calloc(1, sizeof(*a));
  if (s == NULL || a == NULL) {
    free(s);
    free(a);
    return PyErr_NoMemory();
  }
  cy_error err;
  cy_status st = cy_table_export_arrow(self->table, s, a, &err);
  if (st != CY_OK) {
    free(s);
    free(a);
    return pc_raise(st, &err);
  }
  PyObject *sc = PyCapsule_New(s, "arrow_schema", schema_capsule_free);
  if (sc == NULL) {
    s->release(s);
    free(s);
    a->release(a);
    free(a);
    return NULL;
  }
  PyObject *ac = PyCapsule_New(a, "arrow_array", array_capsule_free);
  if (ac == NULL) {
    a->release(a);
    free(a);
    Py_DECREF(sc);
    return NULL;
  }
  PyObject *pair = PyTuple_Pack(2, sc, ac);
  Py_DECREF(sc);
  Py_DECREF(ac);
  return pair;
}

PyObject *pc_table_column_arrow(TableObject *self, PyObject *args) {
  int index;
  int schema_only = 0;
  if (!PyArg_ParseTuple(args, "i|p:column_arrow", &index, &schema_only)) return NULL;
  if (index < 0 || index >= self->table->schema.num_fields)
    return PyErr_Format(PyExc_IndexError, "column %d out of range", index);
  struct ArrowSchema *s = calloc(1, sizeof(*s));
  struct ArrowArray *a = calloc(1, sizeof(*a));
  if (s == NULL || a == NULL) {
    free(s);
    free(a);
    return PyErr_NoMemory();
  }
  cy_error err;
  cy_status st = cy_column_export_arrow(self->table->columns[index],
                                        self->table->schema.fields[index].name, s, a, &err);
  if (st != CY_OK) {
    free(s);
    free(a);
    return pc_raise(st, &err);
  }
  if (schema_only) {
    a->release(a);
    free(a);
    a = NULL;
  }
  PyObject *sc = PyCapsule_New(s, "arrow_schema", schema_capsule_free);
  if (sc == NULL) {
    s->release(s);
    free(s);
    if (a) a->release(a);
    free(a);
    return NULL;
  }
  if (schema_only) return sc;
  PyObject *ac = PyCapsule_New(a, "arrow_array", array_capsule_free);
  if (ac == NULL) {
    a->release(a);
    free(a);
    Py_DECREF(sc);
    return NULL;
  }
  PyObject *pair = PyTuple_Pack(2, sc, ac);
  Py_DECREF(sc);
  Py_DECREF(ac);
  return pair;
}

PyObject *pc_table_arrow_c_stream(TableObject *self, PyObject *args, PyObject *kwargs) {
  if (parse_requested_schema(args, kwargs, "__arrow_c_stream__") != 0) return NULL;
  struct ArrowArrayStream *s = calloc(1, sizeof(*s));
  if (s == NULL) return PyErr_NoMemory();
  cy_error err;
  cy_status st = cy_table_export_arrow_stream(self->table, 0, s, &err);
  if (st != CY_OK) {
    free(s);
    return pc_raise(st, &err);
  }
  PyObject *cap = PyCapsule_New(s, "arrow_array_stream", stream_capsule_free);
  if (cap == NULL) {
    s->release(s);
    free(s);
  }
  return cap;
}

/* ---------------------------------------------------------------------------------------
 * Import
 * ------------------------------------------------------------------------------------- */

static PyObject *import_stream(PyObject *obj) {
  PyObject *cap = PyObject_CallMethod(obj, "__arrow_c_stream__", NULL);
  if (cap == NULL) return NULL;
  struct ArrowArrayStream *stream = PyCapsule_GetPointer(cap, "arrow_array_stream");
  if (stream == NULL) {
    Py_DECREF(cap);
    return NULL;
  }
  cy_batch_reader reader;
  cy_table *out = NULL;
  cy_error err;
  /* Moves the stream out of the capsule (its release becomes NULL). */
  cy_status st = cy_batch_reader_import_arrow(stream, &reader, &err);
  Py_DECREF(cap);
  if (st != CY_OK) return pc_raise(st, &err);
  Py_BEGIN_ALLOW_THREADS st = cy_batch_reader_read_all(&reader, &out, &err);
  Py_END_ALLOW_THREADS
  reader.release(&reader);
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

static PyObject *import_arrow_array(PyObject *obj) {
  PyObject *pair = PyObject_CallMethod(obj, "__arrow_c_array__", NULL);
  if (pair == NULL) return NULL;
  PyObject *sc, *ac;
  if (!PyArg_ParseTuple(pair, "OO:__arrow_c_array__ result", &sc, &ac)) {
    Py_DECREF(pair);
    return NULL;
  }
  struct ArrowSchema *s = PyCapsule_GetPointer(sc, "arrow_schema");
  struct ArrowArray *a = s ? PyCapsule_GetPointer(ac, "arrow_array") : NULL;
  if (a == NULL) {
    Py_DECREF(pair);
    return NULL;
  }
  cy_error err;
  cy_status st;
  cy_table *out = NULL;
  if (strcmp(s->format, "+s") == 0) {
    st = cy_table_import_arrow(s, a, &out, &err); /* moves the array */
  } else {
    /* A single array: a table of one column under the array's name. */
    cy_column *col = NULL;
    st = cy_column_import_arrow(s, a, &col, &err);
    const char *name = s->name && s->name[0] ? s->name : "0";
    if (st == CY_OK) st = cy_table_make(1, &name, &col, &out, &err);
    cy_column_release(col);
  }
  Py_DECREF(pair); /* the schema capsule releases the schema */
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

PyObject *pc_table_from_arrow(PyObject *unused, PyObject *obj) {
  if (PyObject_HasAttrString(obj, "__arrow_c_stream__")) return import_stream(obj);
  if (PyObject_HasAttrString(obj, "__arrow_c_array__")) return import_arrow_array(obj);
  return PyErr_Format(PyExc_TypeError, "%s has neither __arrow_c_stream__ nor "
                      "__arrow_c_array__", Py_TYPE(obj)->tp_name);
}

/* ---------------------------------------------------------------------------------------
 * DLPack (the ABI of dlpack.h, written out from the DLPack specification)
 * ------------------------------------------------------------------------------------- */

enum { DL_CPU = 1 };
enum { DL_INT = 0, DL_UINT = 1, DL_FLOAT = 2 };

typedef struct {
  int32_t device_type;
  int32_t device_id;
} DLDevice;

typedef struct {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
} DLDataType;

typedef struct {
  void *data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t *shape;
  int64_t *strides; /* NULL: compact row-major */
  uint64_t byte_offset;
} DLTensor;

typedef struct DLManagedTensor {
  DLTensor dl_tensor;
  void *manager_ctx;
  void (*deleter)(struct DLManagedTensor *self);
} DLManagedTensor;

/* One allocation: the managed tensor, its shape, and the column it keeps alive. */
typedef struct {
  DLManagedTensor managed;
  int64_t shape[1];
  cy_column *column;
} column_tensor;

static void column_tensor_delete(DLManagedTensor *self) {
  column_tensor *t = (column_tensor *)self;
  cy_column_release(t->column);
  free(t);
}

static void dltensor_capsule_free(PyObject *capsule) {
  /* Renamed "used_dltensor" once a consumer took it; otherwise ours to delete. */
  if (PyCapsule_IsValid(capsule, "dltensor")) {
    DLManagedTensor *m = PyCapsule_GetPointer(capsule, "dltensor");
    if (m && m->deleter) m->deleter(m);
  }
}

PyObject *pc_table_column_dlpack(TableObject *self, PyObject *args) {
  PyObject *key;
  if (!PyArg_ParseTuple(args, "O:column_dlpack", &key)) return NULL;
  int32_t i = -1;
  if (PyUnicode_Check(key)) {
    const char *name = PyUnicode_AsUTF8(key);
    if (name == NULL) return NULL;
    i = cy_schema_find(&self->table->schema, name);
  } else {
    long k = PyLong_AsLong(key);
    if (k == -1 && PyErr_Occurred()) return NULL;
    i = k >= 0 && k < self->table->schema.num_fields ? (int32_t)k : -1;
  }
  if (i < 0) return PyErr_Format(PyExc_KeyError, "%R", key);
  cy_column *col = self->table->columns[i];
  const char *name = self->table->schema.fields[i].name;
  cy_type_id id = col->type.id;
  if (!cy_type_is_numeric(id)) {
    char buf[64];
    return PyErr_Format(PyExc_TypeError, "DLPack needs a numeric column; '%s' is %s", name,
                        cy_type_name(&col->type, buf, sizeof buf));
  }
  if (col->null_count > 0)
    return PyErr_Format(PyExc_ValueError, "DLPack has no nulls; column '%s' has %lld "
                        "(fill them first)", name, (long long)col->null_count);
  column_tensor *t = calloc(1, sizeof(*t));
  if (t == NULL) return PyErr_NoMemory();
  t->column = cy_column_retain(col);
  t->shape[0] = col->length;
  DLTensor *d = &t->managed.dl_tensor;
  d->data = (void *)cy_column_data(col);
  d->device.device_type = DL_CPU;
  d->device.device_id = 0;
  d->ndim = 1;
  d->dtype.code = id == CY_FLOAT32 || id == CY_FLOAT64 ? DL_FLOAT
                : id >= CY_UINT8 && id <= CY_UINT64 ? DL_UINT : DL_INT;
  d->dtype.bits = (uint8_t)cy_type_bit_width(id);
  d->dtype.lanes = 1;
  d->shape = t->shape;
  d->strides = NULL;
  d->byte_offset = 0;
  t->managed.manager_ctx = t;
  t->managed.deleter = column_tensor_delete;
  PyObject *cap = PyCapsule_New(&t->managed, "dltensor", dltensor_capsule_free);
  if (cap == NULL) column_tensor_delete(&t->managed);
  return cap;
}
