/*
 * table.c - the Table type: a Python object holding one reference to an immutable
 * cy_table, with the operators of the compute layer as methods.
 *
 * Every operator releases the GIL while cylon works (the inputs are immutable and the
 * outputs new), so Python threads run alongside and cylon uses all its worker threads.
 * Names and options arrive already checked and spelled the pandas way by the pure-Python
 * DataFrame in python/pycylon/frame.py; this layer maps them onto the C API.
 */
#include "pycylon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PyObject *pc_table_wrap(cy_table *table) {
  TableObject *self = PyObject_New(TableObject, &pc_TableType);
  if (self == NULL) {
    cy_table_release(table);
    return NULL;
  }
  self->table = table;
  return (PyObject *)self;
}

cy_table *pc_table_of(PyObject *obj) {
  if (!PyObject_TypeCheck(obj, &pc_TableType)) {
    PyErr_Format(PyExc_TypeError, "expected a pycylon Table, got %s", Py_TYPE(obj)->tp_name);
    return NULL;
  }
  return ((TableObject *)obj)->table;
}

static void table_dealloc(TableObject *self) {
  cy_table_release(self->table);
  PyObject_Free(self);
}

/* Run a cylon call without the GIL and wrap its table, or raise its error. */
#define RUN_TABLE_OP(call)                           \
  do {                                               \
    cy_table *out_ = NULL;                           \
    cy_error err_;                                   \
    cy_status st_;                                   \
    Py_BEGIN_ALLOW_THREADS st_ = (call);             \
    Py_END_ALLOW_THREADS                             \
    if (st_ != CY_OK) return pc_raise(st_, &err_);   \
    return pc_table_wrap(out_);                      \
  } while (0)
#define OUT (&out_)
#define ERR (&err_)

/* ---------------------------------------------------------------------------------------
 * String lists: Python lists of str as C arrays (valid while the list lives)
 * ------------------------------------------------------------------------------------- */

void pc_names_free(pc_names *names) {
  free(names->items);
  Py_XDECREF(names->seq);
  names->items = NULL;
  names->seq = NULL;
}

int pc_names_from(PyObject *list, pc_names *out) {
  out->items = NULL;
  out->n = 0;
  out->seq = PySequence_Fast(list, "expected a list of column names");
  if (out->seq == NULL) return -1;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(out->seq);
  out->items = calloc(n ? (size_t)n : 1, sizeof(char *));
  if (out->items == NULL) {
    pc_names_free(out);
    PyErr_NoMemory();
    return -1;
  }
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *s = PySequence_Fast_GET_ITEM(out->seq, i);
    /* str caches its UTF-8, valid while the str lives (seq holds it). */
    out->items[i] = PyUnicode_Check(s) ? PyUnicode_AsUTF8(s) : NULL;
    if (out->items[i] == NULL) {
      if (!PyErr_Occurred())
        PyErr_Format(PyExc_TypeError, "column names must be str, not %s", Py_TYPE(s)->tp_name);
      pc_names_free(out);
      return -1;
    }
  }
  out->n = (int32_t)n;
  return 0;
}

/* ---------------------------------------------------------------------------------------
 * Construction and description
 * ------------------------------------------------------------------------------------- */

/* Table.from_columns(names, values): one column per (name, sequence or array). */
static PyObject *table_from_columns(PyObject *cls, PyObject *args) {
  PyObject *names_obj, *values_obj;
  if (!PyArg_ParseTuple(args, "OO:from_columns", &names_obj, &values_obj)) return NULL;
  pc_names names;
  if (pc_names_from(names_obj, &names) != 0) return NULL;
  PyObject *values = PySequence_Fast(values_obj, "values must be a list of columns");
  if (values == NULL || PySequence_Fast_GET_SIZE(values) != names.n) {
    if (values != NULL)
      PyErr_SetString(PyExc_ValueError, "from_columns needs one name per column");
    Py_XDECREF(values);
    pc_names_free(&names);
    return NULL;
  }
  cy_column **cols = calloc(names.n ? (size_t)names.n : 1, sizeof(cy_column *));
  PyObject *result = NULL;
  int32_t made = 0;
  if (cols == NULL) {
    PyErr_NoMemory();
    goto done;
  }
  for (; made < names.n; made++) {
    if (pc_column_from_object(PySequence_Fast_GET_ITEM(values, made), names.items[made],
                              &cols[made]) != 0)
      goto done;
  }
  cy_table *t;
  cy_error err;
  cy_status st = cy_table_make(names.n, names.items, cols, &t, &err);
  result = st == CY_OK ? pc_table_wrap(t) : pc_raise(st, &err);
done:
  for (int32_t i = 0; i < made; i++) cy_column_release(cols[i]);
  free(cols);
  pc_names_free(&names);
  Py_DECREF(values);
  return result;
}

static PyObject *table_num_rows(TableObject *self, void *closure) {
  return PyLong_FromLongLong(self->table->num_rows);
}

static PyObject *table_num_columns(TableObject *self, void *closure) {
  return PyLong_FromLong(self->table->schema.num_fields);
}

static PyObject *table_names(TableObject *self, void *closure) {
  const cy_schema *s = &self->table->schema;
  PyObject *list = PyList_New(s->num_fields);
  for (int32_t i = 0; list && i < s->num_fields; i++) {
    PyObject *name = PyUnicode_FromString(s->fields[i].name);
    if (name == NULL) Py_CLEAR(list);
    else PyList_SET_ITEM(list, i, name);
  }
  return list;
}

static PyObject *table_types(TableObject *self, void *closure) {
  const cy_schema *s = &self->table->schema;
  PyObject *list = PyList_New(s->num_fields);
  for (int32_t i = 0; list && i < s->num_fields; i++) {
    char buf[128];
    PyObject *name = PyUnicode_FromString(cy_type_name(&s->fields[i].type, buf, sizeof buf));
    if (name == NULL) Py_CLEAR(list);
    else PyList_SET_ITEM(list, i, name);
  }
  return list;
}

static PyObject *table_nbytes(TableObject *self, void *closure) {
  return PyLong_FromLongLong(cy_table_nbytes(self->table));
}

static int column_index(TableObject *self, PyObject *key, int32_t *out) {
  const cy_schema *s = &self->table->schema;
  if (PyUnicode_Check(key)) {
    const char *name = PyUnicode_AsUTF8(key);
    if (name == NULL) return -1;
    *out = cy_schema_find(s, name);
    if (*out < 0) {
      PyErr_Format(PyExc_KeyError, "%R", key);
      return -1;
    }
    return 0;
  }
  long i = PyLong_AsLong(key);
  if (i == -1 && PyErr_Occurred()) return -1;
  if (i < 0 || i >= s->num_fields) {
    PyErr_Format(PyExc_IndexError, "column %ld out of range (%d columns)", i, s->num_fields);
    return -1;
  }
  *out = (int32_t)i;
  return 0;
}

/* Table.column_to_numpy(name or index) */
static PyObject *table_column_to_numpy(TableObject *self, PyObject *key) {
  int32_t i;
  if (column_index(self, key, &i) != 0) return NULL;
  return pc_column_to_numpy(self->table->columns[i]);
}

/* Table.column_address(name or index): where the column's values start (for tests and
 * zero-copy checks), or None for a column without a fixed-width values buffer. */
static PyObject *table_column_address(TableObject *self, PyObject *key) {
  int32_t i;
  if (column_index(self, key, &i) != 0) return NULL;
  cy_column *col = self->table->columns[i];
  if (cy_type_bit_width(col->type.id) < 8) Py_RETURN_NONE;
  return PyLong_FromVoidPtr((void *)cy_column_data(col));
}

/* Table.column_null_count(name or index) */
static PyObject *table_column_null_count(TableObject *self, PyObject *key) {
  int32_t i;
  if (column_index(self, key, &i) != 0) return NULL;
  return PyLong_FromLongLong(self->table->columns[i]->null_count);
}

/* ---------------------------------------------------------------------------------------
 * Selecting rows and columns
 * ------------------------------------------------------------------------------------- */

/* Table.select(names) */
static PyObject *table_select(TableObject *self, PyObject *names_obj) {
  pc_names names;
  if (pc_names_from(names_obj, &names) != 0) return NULL;
  cy_table *out;
  cy_error err;
  cy_status st = cy_table_select_columns(self->table, names.n, names.items, &out, &err);
  pc_names_free(&names);
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

/* Table.rename(names): the same columns under new names. */
static PyObject *table_rename(TableObject *self, PyObject *names_obj) {
  pc_names names;
  if (pc_names_from(names_obj, &names) != 0) return NULL;
  int32_t n = self->table->schema.num_fields;
  if (names.n != n) {
    pc_names_free(&names);
    return PyErr_Format(PyExc_ValueError, "rename needs %d names, got %d", n, names.n);
  }
  int32_t *idx = malloc(sizeof(int32_t) * (n ? (size_t)n : 1));
  if (idx == NULL) {
    pc_names_free(&names);
    return PyErr_NoMemory();
  }
  for (int32_t i = 0; i < n; i++) idx[i] = i;
  cy_table *out;
  cy_error err;
  cy_status st = cy_table_project(self->table, n, idx, names.items, &out, &err);
  free(idx);
  pc_names_free(&names);
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

/* Table.slice(start, length) */
static PyObject *table_slice(TableObject *self, PyObject *args) {
  long long start, length;
  if (!PyArg_ParseTuple(args, "LL:slice", &start, &length)) return NULL;
  RUN_TABLE_OP(cy_table_slice(self->table, start, length, OUT, ERR));
}

/* Table.filter(mask): mask is a one-column bool Table or anything NumPy reads as bools. */
static PyObject *table_filter(TableObject *self, PyObject *mask_obj) {
  cy_column *mask;
  if (PyObject_TypeCheck(mask_obj, &pc_TableType)) {
    cy_table *m = ((TableObject *)mask_obj)->table;
    if (m->schema.num_fields != 1 || m->columns[0]->type.id != CY_BOOL) {
      PyErr_SetString(PyExc_TypeError, "a mask must be one boolean column");
      return NULL;
    }
    mask = cy_column_retain(m->columns[0]);
  } else if (pc_mask_from_object(mask_obj, self->table->num_rows, &mask) != 0) {
    return NULL;
  }
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS st_ = cy_table_filter(self->table, mask, &out_, &err_);
  Py_END_ALLOW_THREADS
  cy_column_release(mask);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

/* Table.take(indices): rows by position (an int64 array). */
static PyObject *table_take(TableObject *self, PyObject *idx_obj) {
  PyArrayObject *idx = (PyArrayObject *)PyArray_FROM_OTF(idx_obj, NPY_INT64,
                                                         NPY_ARRAY_C_CONTIGUOUS);
  if (idx == NULL) return NULL;
  int64_t n = PyArray_SIZE(idx), rows = self->table->num_rows;
  const int64_t *ix = PyArray_DATA(idx);
  for (int64_t i = 0; i < n; i++) {
    if (ix[i] < 0 || ix[i] >= rows) {
      Py_DECREF(idx);
      return PyErr_Format(PyExc_IndexError, "row %lld out of range (%lld rows)",
                          (long long)ix[i], (long long)rows);
    }
  }
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS st_ = cy_table_take(self->table, ix, n, &out_, &err_);
  Py_END_ALLOW_THREADS
  Py_DECREF(idx);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

/* Table.compare(column, op, value): a one-column bool Table named like the column.
 * op is one of "==", "!=", "<", "<=", ">", ">=". */
static PyObject *table_compare(TableObject *self, PyObject *args) {
  PyObject *key, *value;
  const char *op;
  if (!PyArg_ParseTuple(args, "OsO:compare", &key, &op, &value)) return NULL;
  int32_t i;
  if (column_index(self, key, &i) != 0) return NULL;
  static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
  static const cy_compare_op codes[] = {CY_EQ, CY_NE, CY_LT, CY_LE, CY_GT, CY_GE};
  int k = -1;
  for (int j = 0; j < 6; j++) if (strcmp(op, ops[j]) == 0) k = j;
  if (k < 0) return PyErr_Format(PyExc_ValueError, "unknown comparison '%s'", op);
  cy_scalar s;
  if (pc_scalar_from_object(value, &s) != 0) return NULL;
  cy_column *res;
  cy_error err;
  cy_status st;
  Py_BEGIN_ALLOW_THREADS
  st = cy_column_compare_scalar(self->table->columns[i], &s, codes[k], &res, &err);
  Py_END_ALLOW_THREADS
  if (st != CY_OK) return pc_raise(st, &err);
  cy_table *out;
  const char *name = self->table->schema.fields[i].name;
  st = cy_table_make(1, &name, &res, &out, &err);
  cy_column_release(res);
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

/* Table.isin(column, values): a one-column bool Table. */
static PyObject *table_isin(TableObject *self, PyObject *args) {
  PyObject *key, *values;
  if (!PyArg_ParseTuple(args, "OO:isin", &key, &values)) return NULL;
  int32_t i;
  if (column_index(self, key, &i) != 0) return NULL;
  const char *name = self->table->schema.fields[i].name;
  cy_column *vals, *res, *col = self->table->columns[i];
  if (pc_column_from_object(values, name, &vals) != 0) return NULL;
  cy_error err;
  cy_status st = CY_OK;
  /* Lists arrive as int64, float64 or utf8: brought to the column's own type. */
  if (!cy_type_equals(&vals->type, &col->type)) {
    cy_column *cast;
    st = cy_column_cast(vals, col->type, &cast, &err);
    cy_column_release(vals);
    vals = st == CY_OK ? cast : NULL;
  }
  if (st == CY_OK) {
    Py_BEGIN_ALLOW_THREADS st = cy_column_isin(col, vals, &res, &err);
    Py_END_ALLOW_THREADS
  }
  cy_column_release(vals);
  if (st != CY_OK) return pc_raise(st, &err);
  cy_table *out;
  st = cy_table_make(1, &name, &res, &out, &err);
  cy_column_release(res);
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

/* Table.logical(other, op): element-wise "and" / "or" of two one-column bool Tables, and
 * "not" (other is None), nulls counting as false as a filter takes them. */
static PyObject *table_logical(TableObject *self, PyObject *args) {
  PyObject *other_obj;
  const char *op;
  if (!PyArg_ParseTuple(args, "Os:logical", &other_obj, &op)) return NULL;
  cy_table *a = self->table, *b = other_obj == Py_None ? NULL : pc_table_of(other_obj);
  if (other_obj != Py_None && b == NULL) return NULL;
  if (a->schema.num_fields != 1 || a->columns[0]->type.id != CY_BOOL ||
      (b && (b->schema.num_fields != 1 || b->columns[0]->type.id != CY_BOOL ||
             b->num_rows != a->num_rows))) {
    PyErr_SetString(PyExc_TypeError, "&, | and ~ need boolean columns of equal length");
    return NULL;
  }
  int64_t n = a->num_rows;
  uint8_t *v = malloc(n ? (size_t)n : 1);
  if (v == NULL) return PyErr_NoMemory();
  const cy_column *ca = a->columns[0], *cb = b ? b->columns[0] : NULL;
  for (int64_t i = 0; i < n; i++) {
    bool x = cy_column_is_valid(ca, i) && cy_column_bool(ca, i);
    bool y = cb && cy_column_is_valid(cb, i) && cy_column_bool(cb, i);
    v[i] = op[0] == 'a' ? x && y : op[0] == 'o' ? x || y : !x;
  }
  cy_column *res;
  cy_error err;
  cy_status st = cy_column_from_values(cy_type_make(CY_BOOL), v, NULL, n, &res, &err);
  free(v);
  if (st != CY_OK) return pc_raise(st, &err);
  cy_table *out;
  const char *name = a->schema.fields[0].name;
  st = cy_table_make(1, &name, &res, &out, &err);
  cy_column_release(res);
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

/* Table.fill_null(column, value): the table with that column's nulls replaced. */
static PyObject *table_fill_null(TableObject *self, PyObject *args) {
  PyObject *key, *value;
  if (!PyArg_ParseTuple(args, "OO:fill_null", &key, &value)) return NULL;
  int32_t i;
  if (column_index(self, key, &i) != 0) return NULL;
  cy_scalar s;
  if (pc_scalar_from_object(value, &s) != 0) return NULL;
  cy_table *t = self->table;
  cy_column *filled;
  cy_error err;
  cy_status st = cy_column_fill_null(t->columns[i], &s, &filled, &err);
  if (st != CY_OK) return pc_raise(st, &err);
  int32_t n = t->schema.num_fields;
  const char **names = malloc(sizeof(char *) * (size_t)n);
  cy_column **cols = malloc(sizeof(cy_column *) * (size_t)n);
  if (names == NULL || cols == NULL) {
    free(names);
    free(cols);
    cy_column_release(filled);
    return PyErr_NoMemory();
  }
  for (int32_t c = 0; c < n; c++) {
    names[c] = t->schema.fields[c].name;
    cols[c] = c == i ? filled : t->columns[c];
  }
  cy_table *out;
  st = cy_table_make(n, names, cols, &out, &err);
  free(names);
  free(cols);
  cy_column_release(filled);
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

/* Table.with_columns(other): this table's columns with other's (same row count) added,
 * a column of other replacing the one of the same name in place. */
static PyObject *table_with_columns(TableObject *self, PyObject *other_obj) {
  cy_table *t = self->table, *o = pc_table_of(other_obj);
  if (o == NULL) return NULL;
  if (o->num_rows != t->num_rows && t->schema.num_fields > 0)
    return PyErr_Format(PyExc_ValueError, "new columns have %lld rows, the table %lld",
                        (long long)o->num_rows, (long long)t->num_rows);
  int32_t max = t->schema.num_fields + o->schema.num_fields, n = t->schema.num_fields;
  const char **names = malloc(sizeof(char *) * (size_t)(max ? max : 1));
  cy_column **cols = malloc(sizeof(cy_column *) * (size_t)(max ? max : 1));
  if (names == NULL || cols == NULL) {
    free(names);
    free(cols);
    return PyErr_NoMemory();
  }
  for (int32_t c = 0; c < n; c++) {
    names[c] = t->schema.fields[c].name;
    cols[c] = t->columns[c];
  }
  for (int32_t c = 0; c < o->schema.num_fields; c++) {
    int32_t at = cy_schema_find(&t->schema, o->schema.fields[c].name);
    if (at < 0) at = n++;
    names[at] = o->schema.fields[c].name;
    cols[at] = o->columns[c];
  }
  cy_table *out;
  cy_error err;
  cy_status st = cy_table_make(n, names, cols, &out, &err);
  free(names);
  free(cols);
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

/* Table.arith(other, op, reflected): column 0 op other (a one-column Table or a number),
 * or other op column 0 when reflected; op is one of "+", "-", "*", "/". */
static PyObject *table_arith(TableObject *self, PyObject *args) {
  PyObject *other;
  const char *op;
  int reflected = 0;
  if (!PyArg_ParseTuple(args, "Os|p:arith", &other, &op, &reflected)) return NULL;
  cy_arith_op code;
  switch (op[0]) {
  case '+': code = CY_ADD; break;
  case '-': code = CY_SUB; break;
  case '*': code = CY_MUL; break;
  case '/': code = CY_DIV; break;
  default: return PyErr_Format(PyExc_ValueError, "unknown arithmetic '%s'", op);
  }
  cy_table *t = self->table;
  if (t->schema.num_fields != 1) {
    PyErr_SetString(PyExc_TypeError, "arithmetic needs one column");
    return NULL;
  }
  cy_column *res = NULL, *lit = NULL;
  cy_error err;
  cy_status st;
  if (PyObject_TypeCheck(other, &pc_TableType)) {
    cy_table *o = ((TableObject *)other)->table;
    if (o->schema.num_fields != 1 || o->num_rows != t->num_rows) {
      PyErr_SetString(PyExc_ValueError, "arithmetic needs columns of equal length");
      return NULL;
    }
    const cy_column *a = reflected ? o->columns[0] : t->columns[0];
    const cy_column *b = reflected ? t->columns[0] : o->columns[0];
    Py_BEGIN_ALLOW_THREADS st = cy_column_arith(a, b, code, &res, &err);
    Py_END_ALLOW_THREADS
  } else {
    cy_scalar s;
    if (pc_scalar_from_object(other, &s) != 0) return NULL;
    if (reflected && s.type.id != CY_INT64 && s.type.id != CY_FLOAT64) {
      PyErr_Format(PyExc_TypeError, "arithmetic with a %s", Py_TYPE(other)->tp_name);
      return NULL;
    }
    if (reflected) {
      /* scalar op column: the scalar as a column of the same length. */
      cy_builder b;
      st = cy_builder_init(&b, s.type, t->num_rows, &err);
      for (int64_t i = 0; st == CY_OK && i < t->num_rows; i++)
        st = s.type.id == CY_FLOAT64 ? cy_builder_append_double(&b, s.v.f, &err)
                                     : cy_builder_append_int(&b, s.v.i, &err);
      if (st == CY_OK) st = cy_builder_finish(&b, &lit, &err);
      cy_builder_reset(&b);
      if (st == CY_OK) st = cy_column_arith(lit, t->columns[0], code, &res, &err);
      cy_column_release(lit);
    } else {
      Py_BEGIN_ALLOW_THREADS st = cy_column_arith_scalar(t->columns[0], &s, code, &res, &err);
      Py_END_ALLOW_THREADS
    }
  }
  if (st != CY_OK) return pc_raise(st, &err);
  cy_table *out;
  const char *name = t->schema.fields[0].name;
  st = cy_table_make(1, &name, &res, &out, &err);
  cy_column_release(res);
  return st == CY_OK ? pc_table_wrap(out) : pc_raise(st, &err);
}

/* ---------------------------------------------------------------------------------------
 * Relational operators
 * ------------------------------------------------------------------------------------- */

int pc_join_options_from(const char *how, const char *algo, PyObject *left_on_obj,
                         PyObject *right_on_obj, const char *lsuf, const char *rsuf,
                         cy_join_options *opts, pc_names *lon, pc_names *ron) {
  static const char *const hows[] = {"inner", "left", "right", "outer", "semi", "anti"};
  static const cy_join_type types[] = {CY_JOIN_INNER, CY_JOIN_LEFT, CY_JOIN_RIGHT,
                                       CY_JOIN_FULL, CY_JOIN_SEMI, CY_JOIN_ANTI};
  cy_join_options_init(opts);
  int k = -1;
  for (int j = 0; j < 6; j++) if (strcmp(how, hows[j]) == 0) k = j;
  if (k < 0) {
    PyErr_Format(PyExc_ValueError, "unknown how='%s' (inner, left, right, outer, semi, anti)",
                 how);
    return -1;
  }
  opts->type = types[k];
  if (strcmp(algo, "hash") == 0) {
    opts->algorithm = CY_JOIN_HASH;
  } else if (strcmp(algo, "sort") == 0 || strcmp(algo, "sort_merge") == 0) {
    opts->algorithm = CY_JOIN_SORT_MERGE;
  } else {
    PyErr_Format(PyExc_ValueError, "unknown algorithm='%s' (hash, sort)", algo);
    return -1;
  }
  if (pc_names_from(left_on_obj, lon) != 0) return -1;
  if (pc_names_from(right_on_obj, ron) != 0) {
    pc_names_free(lon);
    return -1;
  }
  if (lon->n != ron->n || lon->n == 0) {
    PyErr_Format(PyExc_ValueError, "merge needs as many left keys as right keys "
                 "(and at least one): %d and %d", lon->n, ron->n);
    pc_names_free(lon);
    pc_names_free(ron);
    return -1;
  }
  opts->num_keys = lon->n;
  opts->left_on = lon->items;
  opts->right_on = ron->items;
  opts->left_suffix = lsuf;
  opts->right_suffix = rsuf;
  return 0;
}

/* Table.join(right, how, left_on, right_on, left_suffix, right_suffix, algorithm) */
static PyObject *table_join(TableObject *self, PyObject *args) {
  PyObject *right_obj, *left_on_obj, *right_on_obj;
  const char *how, *lsuf, *rsuf, *algo;
  if (!PyArg_ParseTuple(args, "OsOOsss:join", &right_obj, &how, &left_on_obj, &right_on_obj,
                        &lsuf, &rsuf, &algo))
    return NULL;
  cy_table *right = pc_table_of(right_obj);
  if (right == NULL) return NULL;
  cy_join_options opts;
  pc_names lon, ron;
  if (pc_join_options_from(how, algo, left_on_obj, right_on_obj, lsuf, rsuf, &opts, &lon,
                           &ron) != 0)
    return NULL;
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS st_ = cy_table_join(self->table, right, &opts, &out_, &err_);
  Py_END_ALLOW_THREADS
  pc_names_free(&lon);
  pc_names_free(&ron);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

int pc_sort_keys_from(PyObject *by_obj, PyObject *asc_obj, cy_sort_key **keys,
                      pc_names *by) {
  if (pc_names_from(by_obj, by) != 0) return -1;
  PyObject *asc = PySequence_Fast(asc_obj, "ascending must be a list of bools");
  if (asc == NULL || PySequence_Fast_GET_SIZE(asc) != by->n) {
    if (asc) PyErr_SetString(PyExc_ValueError, "ascending needs one value per sort key");
    Py_XDECREF(asc);
    pc_names_free(by);
    return -1;
  }
  *keys = calloc(by->n ? (size_t)by->n : 1, sizeof(cy_sort_key));
  if (*keys == NULL) {
    Py_DECREF(asc);
    pc_names_free(by);
    PyErr_NoMemory();
    return -1;
  }
  for (int32_t i = 0; i < by->n; i++) {
    (*keys)[i].column = by->items[i];
    (*keys)[i].descending = !PyObject_IsTrue(PySequence_Fast_GET_ITEM(asc, i));
  }
  Py_DECREF(asc);
  return 0;
}

/* Table.sort(by, ascending): ascending is a list of bools, one per key; nulls last. */
static PyObject *table_sort(TableObject *self, PyObject *args) {
  PyObject *by_obj, *asc_obj;
  if (!PyArg_ParseTuple(args, "OO:sort", &by_obj, &asc_obj)) return NULL;
  pc_names by;
  cy_sort_key *keys;
  if (pc_sort_keys_from(by_obj, asc_obj, &keys, &by) != 0) return NULL;
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS st_ = cy_table_sort(self->table, keys, by.n, &out_, &err_);
  Py_END_ALLOW_THREADS
  free(keys);
  pc_names_free(&by);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

int pc_aggs_from(PyObject *list, cy_aggregate **out, int32_t *n, PyObject **keep) {
  PyObject *seq = PySequence_Fast(list, "aggregates must be a list of tuples");
  if (seq == NULL) return -1;
  Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
  cy_aggregate *aggs = calloc(m ? (size_t)m : 1, sizeof(cy_aggregate));
  if (aggs == NULL) {
    Py_DECREF(seq);
    PyErr_NoMemory();
    return -1;
  }
  for (Py_ssize_t i = 0; i < m; i++) {
    const char *col, *op, *name = NULL;
    double q = 0.5;
    if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "ss|zd:aggregate", &col, &op,
                          &name, &q))
      goto fail;
    cy_error err;
    cy_status st = cy_agg_parse(op, &aggs[i].op, &err);
    if (st != CY_OK) {
      pc_raise(st, &err);
      goto fail;
    }
    /* The strings belong to the tuples, which seq keeps alive. */
    aggs[i].column = col;
    aggs[i].output_name = name;
    aggs[i].quantile = q;
  }
  *keep = seq; /* the tuples' strings live as long as seq */
  *out = aggs;
  *n = (int32_t)m;
  return 0;
fail:
  free(aggs);
  Py_DECREF(seq);
  return -1;
}

/* Table.groupby(by, aggs) */
static PyObject *table_groupby(TableObject *self, PyObject *args) {
  PyObject *by_obj, *aggs_obj;
  if (!PyArg_ParseTuple(args, "OO:groupby", &by_obj, &aggs_obj)) return NULL;
  pc_names by;
  if (pc_names_from(by_obj, &by) != 0) return NULL;
  cy_aggregate *aggs;
  int32_t na;
  PyObject *keep;
  if (pc_aggs_from(aggs_obj, &aggs, &na, &keep) != 0) {
    pc_names_free(&by);
    return NULL;
  }
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS
  st_ = by.n ? cy_table_groupby(self->table, by.items, by.n, aggs, na, &out_, &err_)
             : cy_table_aggregate(self->table, aggs, na, &out_, &err_);
  Py_END_ALLOW_THREADS
  free(aggs);
  Py_DECREF(keep);
  pc_names_free(&by);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

/* Table.unique(columns, keep): keep is "first" or "last". */
static PyObject *table_unique(TableObject *self, PyObject *args) {
  PyObject *cols_obj;
  const char *keep;
  if (!PyArg_ParseTuple(args, "Os:unique", &cols_obj, &keep)) return NULL;
  if (strcmp(keep, "first") != 0 && strcmp(keep, "last") != 0)
    return PyErr_Format(PyExc_ValueError, "keep must be 'first' or 'last', not '%s'", keep);
  pc_names cols;
  if (pc_names_from(cols_obj, &cols) != 0) return NULL;
  cy_keep k = keep[0] == 'f' ? CY_KEEP_FIRST : CY_KEEP_LAST;
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS
  st_ = cy_table_unique(self->table, cols.items, cols.n, k, &out_, &err_);
  Py_END_ALLOW_THREADS
  pc_names_free(&cols);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

/* Table.set_op(other, "union" | "intersect" | "difference") */
static PyObject *table_set_op(TableObject *self, PyObject *args) {
  PyObject *other_obj;
  const char *op;
  if (!PyArg_ParseTuple(args, "Os:set_op", &other_obj, &op)) return NULL;
  cy_table *other = pc_table_of(other_obj);
  if (other == NULL) return NULL;
  cy_status (*fn)(cy_table *, cy_table *, cy_table **, cy_error *) =
      strcmp(op, "union") == 0 ? cy_table_union
      : strcmp(op, "intersect") == 0 ? cy_table_intersect
      : strcmp(op, "difference") == 0 ? cy_table_difference : NULL;
  if (fn == NULL) return PyErr_Format(PyExc_ValueError, "unknown set operation '%s'", op);
  RUN_TABLE_OP(fn(self->table, other, OUT, ERR));
}

/* Table.equals(other, ordered) */
static PyObject *table_equals(TableObject *self, PyObject *args) {
  PyObject *other_obj;
  int ordered = 1;
  if (!PyArg_ParseTuple(args, "O|p:equals", &other_obj, &ordered)) return NULL;
  cy_table *other = pc_table_of(other_obj);
  if (other == NULL) return NULL;
  bool eq = false;
  cy_error err;
  cy_status st = cy_table_equals(self->table, other, ordered, &eq, &err);
  if (st != CY_OK) return pc_raise(st, &err);
  return PyBool_FromLong(eq);
}

/* ---------------------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------------------- */

/* Table.write(path, format, compression, delimiter, header): format "csv", "parquet",
 * "ipc" or "auto"; local paths and s3:// URLs alike. */
static PyObject *table_write(TableObject *self, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"path", "format", "compression", "delimiter", "header", NULL};
  const char *path, *format = "auto", *compression = NULL, *delim = ",";
  int header = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "s|szsp:write", kw, &path, &format,
                                   &compression, &delim, &header))
    return NULL;
  cy_table_write_options opts;
  cy_table_write_options_init(&opts);
  cy_error err;
  cy_status st = cy_file_format_parse(format, &opts.format, &err);
  if (st == CY_OK && compression)
    st = cy_compression_parse(compression, &opts.parquet.compression, &err);
  if (st != CY_OK) return pc_raise(st, &err);
  if (strlen(delim) != 1)
    return PyErr_Format(PyExc_ValueError, "the delimiter must be one character, not '%s'",
                        delim);
  opts.csv.delimiter = delim[0];
  opts.csv.header = header;
  Py_BEGIN_ALLOW_THREADS st = cy_table_write_file(self->table, path, &opts, &err);
  Py_END_ALLOW_THREADS
  if (st != CY_OK) return pc_raise(st, &err);
  Py_RETURN_NONE;
}

/* repr: cylon's own table print. */
static PyObject *table_repr(TableObject *self) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL) return PyErr_NoMemory();
  cy_error err;
  cy_status st = cy_table_print(self->table, NULL, f, &err);
  fclose(f);
  PyObject *s = st == CY_OK ? PyUnicode_DecodeUTF8(text, (Py_ssize_t)len, "replace")
                            : pc_raise(st, &err);
  free(text);
  return s;
}

static PyMethodDef table_methods[] = {
    {"from_columns", table_from_columns, METH_VARARGS | METH_CLASS,
     "from_columns(names, values): a table of one column per name"},
    {"from_arrow", (PyCFunction)pc_table_from_arrow, METH_O | METH_STATIC,
     "from_arrow(obj): import an object with __arrow_c_stream__ or __arrow_c_array__"},
    {"column_to_numpy", (PyCFunction)table_column_to_numpy, METH_O,
     "a column as a 1-D NumPy array (zero-copy for numeric columns without nulls)"},
    {"column_address", (PyCFunction)table_column_address, METH_O,
     "address of a fixed-width column's first value"},
    {"column_null_count", (PyCFunction)table_column_null_count, METH_O, "nulls in a column"},
    {"column_dlpack", (PyCFunction)pc_table_column_dlpack, METH_VARARGS,
     "column_dlpack(column): a DLPack capsule over a numeric column"},
    {"select", (PyCFunction)table_select, METH_O, "columns by name"},
    {"rename", (PyCFunction)table_rename, METH_O, "the columns under new names"},
    {"slice", (PyCFunction)table_slice, METH_VARARGS, "slice(start, length)"},
    {"filter", (PyCFunction)table_filter, METH_O, "rows where a bool mask is true"},
    {"take", (PyCFunction)table_take, METH_O, "rows by position"},
    {"compare", (PyCFunction)table_compare, METH_VARARGS, "compare(column, op, value)"},
    {"isin", (PyCFunction)table_isin, METH_VARARGS, "isin(column, values)"},
    {"with_columns", (PyCFunction)table_with_columns, METH_O,
     "with_columns(other): columns added or replaced by name"},
    {"arith", (PyCFunction)table_arith, METH_VARARGS, "arith(other, op, reflected=False)"},
    {"fill_null", (PyCFunction)table_fill_null, METH_VARARGS, "fill_null(column, value)"},
    {"logical", (PyCFunction)table_logical, METH_VARARGS, "logical(other, 'and'|'or'|'not')"},
    {"join", (PyCFunction)table_join, METH_VARARGS, "join(right, how, left_on, right_on, "
     "left_suffix, right_suffix, algorithm)"},
    {"sort", (PyCFunction)table_sort, METH_VARARGS, "sort(by, ascending)"},
    {"groupby", (PyCFunction)table_groupby, METH_VARARGS, "groupby(by, [(col, op, name)])"},
    {"unique", (PyCFunction)table_unique, METH_VARARGS, "unique(columns, keep)"},
    {"set_op", (PyCFunction)table_set_op, METH_VARARGS, "set_op(other, op)"},
    {"equals", (PyCFunction)table_equals, METH_VARARGS, "equals(other, ordered=True)"},
    {"write", (PyCFunction)(void (*)(void))table_write, METH_VARARGS | METH_KEYWORDS,
     "write(path, format='auto', compression=None, delimiter=',', header=True)"},
    {"__arrow_c_schema__", (PyCFunction)pc_table_arrow_c_schema, METH_NOARGS,
     "the schema as an 'arrow_schema' PyCapsule"},
    {"__arrow_c_array__", (PyCFunction)(void (*)(void))pc_table_arrow_c_array,
     METH_VARARGS | METH_KEYWORDS, "(schema, array) PyCapsules of a struct array"},
    {"column_arrow", (PyCFunction)pc_table_column_arrow, METH_VARARGS,
     "column_arrow(i, schema_only=False): a column as plain Arrow capsules"},
    {"__arrow_c_stream__", (PyCFunction)(void (*)(void))pc_table_arrow_c_stream,
     METH_VARARGS | METH_KEYWORDS, "an 'arrow_array_stream' PyCapsule"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef table_getset[] = {
    {"num_rows", (getter)table_num_rows, NULL, "rows", NULL},
    {"num_columns", (getter)table_num_columns, NULL, "columns", NULL},
    {"names", (getter)table_names, NULL, "column names", NULL},
    {"types", (getter)table_types, NULL, "column types as cylon names", NULL},
    {"nbytes", (getter)table_nbytes, NULL, "bytes of buffer memory referenced", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject pc_TableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pycylon._cylon.Table",
    .tp_doc = "An immutable cylon table (the C object under a DataFrame).",
    .tp_basicsize = sizeof(TableObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)table_dealloc,
    .tp_repr = (reprfunc)table_repr,
    .tp_methods = table_methods,
    .tp_getset = table_getset,
};
