/*
 * table.c - schemas and tables, and a batch reader over a table.
 *
 * A table is a schema plus equal-length columns. Tables share columns by reference, so
 * slicing and projecting cost O(columns) whatever the row count.
 */
#include <stdlib.h>
#include <string.h>

#include "cylon/core.h"

/* ---- schemas ---------------------------------------------------------------------- */

void cy_schema_reset(cy_schema *s) {
  for (int32_t i = 0; i < s->num_fields; i++) free(s->fields[i].name);
  free(s->fields);
  s->fields = NULL;
  s->num_fields = 0;
}

/* Fill s with n fields named names[i] of types[i] (deep copy of the names). */
static cy_status schema_init(cy_schema *s, int32_t n, const char *const *names,
                             const cy_type *types, cy_error *err) {
  s->num_fields = 0;
  s->fields = calloc(n > 0 ? (size_t)n : 1, sizeof(cy_field));
  if (s->fields == NULL) goto oom;
  for (int32_t i = 0; i < n; i++) {
    s->fields[i].name = strdup(names[i]);
    if (s->fields[i].name == NULL) goto oom;
    s->fields[i].type = types[i];
    s->num_fields++;
  }
  return CY_OK;
oom:
  cy_schema_reset(s);
  cy_error_set(err, "out of memory copying a schema");
  return CY_ENOMEM;
}

cy_status cy_schema_copy(const cy_schema *schema, cy_schema *out, cy_error *err) {
  cy_schema tmp;
  tmp.num_fields = 0;
  tmp.fields = calloc(schema->num_fields > 0 ? (size_t)schema->num_fields : 1, sizeof(cy_field));
  if (tmp.fields == NULL) {
    cy_error_set(err, "out of memory copying a schema");
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < schema->num_fields; i++) {
    tmp.fields[i].name = strdup(schema->fields[i].name);
    if (tmp.fields[i].name == NULL) {
      cy_schema_reset(&tmp);
      cy_error_set(err, "out of memory copying a schema");
      return CY_ENOMEM;
    }
    tmp.fields[i].type = schema->fields[i].type;
    tmp.num_fields++;
  }
  *out = tmp;
  return CY_OK;
}

bool cy_schema_equals(const cy_schema *a, const cy_schema *b) {
  if (a->num_fields != b->num_fields) return false;
  for (int32_t i = 0; i < a->num_fields; i++) {
    if (strcmp(a->fields[i].name, b->fields[i].name) != 0) return false;
    if (!cy_type_equals(&a->fields[i].type, &b->fields[i].type)) return false;
  }
  return true;
}

int32_t cy_schema_find(const cy_schema *s, const char *name) {
  for (int32_t i = 0; i < s->num_fields; i++)
    if (strcmp(s->fields[i].name, name) == 0) return i;
  return -1;
}

const char *cy_schema_format(const cy_schema *s, char *buf, size_t size) {
  size_t used = 0;
  if (size == 0) return buf;
  buf[0] = 0;
  used += (size_t)snprintf(buf, size, "(");
  for (int32_t i = 0; i < s->num_fields && used < size; i++) {
    char tn[96];
    used += (size_t)snprintf(buf + used, size - used, "%s%s: %s", i ? ", " : "",
                             s->fields[i].name, cy_type_name(&s->fields[i].type, tn, sizeof tn));
  }
  if (used < size) snprintf(buf + used, size - used, ")");
  return buf;
}

/* ---- tables ----------------------------------------------------------------------- */

static cy_status table_alloc(int32_t n, cy_table **out, cy_error *err) {
  cy_table *t = calloc(1, sizeof(*t));
  if (t) t->columns = calloc(n > 0 ? (size_t)n : 1, sizeof(cy_column *));
  if (t == NULL || t->columns == NULL) {
    free(t);
    cy_error_set(err, "out of memory allocating a table");
    return CY_ENOMEM;
  }
  t->refcount = 1;
  *out = t;
  return CY_OK;
}

cy_status cy_table_make(int32_t n, const char *const *names, cy_column *const *columns,
                        cy_table **out, cy_error *err) {
  for (int32_t i = 0; i < n; i++) {
    if (names[i] == NULL || columns[i] == NULL) {
      cy_error_set(err, "column %d has no name or no data", (int)i);
      return CY_EINVAL;
    }
    if (columns[i]->length != columns[0]->length) {
      cy_error_set(err, "column '%s' has %lld rows but column '%s' has %lld", names[i],
                   (long long)columns[i]->length, names[0], (long long)columns[0]->length);
      return CY_EINVAL;
    }
    for (int32_t j = 0; j < i; j++) {
      if (strcmp(names[i], names[j]) == 0) {
        cy_error_set(err, "duplicate column name '%s'", names[i]);
        return CY_EINVAL;
      }
    }
  }
  cy_type *types = malloc((n > 0 ? (size_t)n : 1) * sizeof(cy_type));
  if (types == NULL) {
    cy_error_set(err, "out of memory making a table");
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < n; i++) types[i] = columns[i]->type;
  cy_table *t;
  cy_status st = table_alloc(n, &t, err);
  if (st == CY_OK) {
    st = schema_init(&t->schema, n, names, types, err);
    if (st != CY_OK) cy_table_release(t);
  }
  free(types);
  if (st != CY_OK) return st;
  for (int32_t i = 0; i < n; i++) t->columns[i] = cy_column_retain(columns[i]);
  t->num_rows = n > 0 ? columns[0]->length : 0;
  *out = t;
  return CY_OK;
}

/* Build a table from n freshly made columns, releasing them (also on failure). */
static cy_status table_adopt(int32_t n, const char *const *names, cy_column **cols,
                             cy_table **out, cy_error *err) {
  cy_status st = cy_table_make(n, names, cols, out, err);
  for (int32_t i = 0; i < n; i++) cy_column_release(cols[i]);
  return st;
}

static const char **field_names(const cy_schema *s) {
  const char **names = malloc((s->num_fields > 0 ? (size_t)s->num_fields : 1) * sizeof(char *));
  if (names)
    for (int32_t i = 0; i < s->num_fields; i++) names[i] = s->fields[i].name;
  return names;
}

cy_status cy_table_make_empty(const cy_schema *schema, cy_table **out, cy_error *err) {
  int32_t n = schema->num_fields;
  cy_column **cols = calloc(n > 0 ? (size_t)n : 1, sizeof(cy_column *));
  const char **names = field_names(schema);
  cy_status st = CY_OK;
  if (cols == NULL || names == NULL) {
    cy_error_set(err, "out of memory making a table");
    st = CY_ENOMEM;
  }
  int32_t made = 0;
  for (; st == CY_OK && made < n; made++) {
    st = cy_column_nulls(schema->fields[made].type, 0, &cols[made], err);
    if (st != CY_OK) break;
  }
  if (st == CY_OK) {
    st = table_adopt(n, names, cols, out, err);
  } else {
    for (int32_t i = 0; i < made; i++) cy_column_release(cols[i]);
  }
  free(cols);
  free(names);
  return st;
}

cy_status cy_table_slice(cy_table *t, int64_t start, int64_t length, cy_table **out,
                         cy_error *err) {
  int32_t n = t->schema.num_fields;
  cy_column **cols = calloc(n > 0 ? (size_t)n : 1, sizeof(cy_column *));
  const char **names = field_names(&t->schema);
  cy_status st = CY_OK;
  if (cols == NULL || names == NULL) {
    cy_error_set(err, "out of memory slicing a table");
    st = CY_ENOMEM;
  }
  int32_t made = 0;
  for (; st == CY_OK && made < n; made++) {
    st = cy_column_slice(t->columns[made], start, length, &cols[made], err);
    if (st != CY_OK) break;
  }
  if (st == CY_OK) {
    st = table_adopt(n, names, cols, out, err);
    if (st == CY_OK && n == 0) (*out)->num_rows = 0;
  } else {
    for (int32_t i = 0; i < made; i++) cy_column_release(cols[i]);
  }
  free(cols);
  free(names);
  return st;
}

cy_status cy_table_project(cy_table *t, int32_t n, const int32_t *indices,
                           const char *const *new_names, cy_table **out, cy_error *err) {
  cy_column **cols = calloc(n > 0 ? (size_t)n : 1, sizeof(cy_column *));
  const char **names = calloc(n > 0 ? (size_t)n : 1, sizeof(char *));
  cy_status st = CY_OK;
  if (cols == NULL || names == NULL) {
    cy_error_set(err, "out of memory projecting a table");
    st = CY_ENOMEM;
  }
  for (int32_t i = 0; st == CY_OK && i < n; i++) {
    if (indices[i] < 0 || indices[i] >= t->schema.num_fields) {
      cy_error_set(err, "column index %d is out of range for a table of %d columns",
                   (int)indices[i], (int)t->schema.num_fields);
      st = CY_EINVAL;
      break;
    }
    cols[i] = t->columns[indices[i]];
    names[i] = new_names && new_names[i] ? new_names[i] : t->schema.fields[indices[i]].name;
  }
  if (st == CY_OK) {
    st = cy_table_make(n, names, cols, out, err);
    if (st == CY_OK) (*out)->num_rows = t->num_rows;
  }
  free(cols);
  free(names);
  return st;
}

cy_status cy_table_select_columns(cy_table *t, int32_t n, const char *const *names,
                                  cy_table **out, cy_error *err) {
  int32_t *idx = malloc((n > 0 ? (size_t)n : 1) * sizeof(int32_t));
  if (idx == NULL) {
    cy_error_set(err, "out of memory projecting a table");
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < n; i++) {
    idx[i] = cy_schema_find(&t->schema, names[i]);
    if (idx[i] < 0) {
      char buf[512];
      cy_error_set(err, "no column named '%s' in %s", names[i],
                   cy_schema_format(&t->schema, buf, sizeof buf));
      free(idx);
      return CY_ENOENT;
    }
  }
  cy_status st = cy_table_project(t, n, idx, NULL, out, err);
  free(idx);
  return st;
}

cy_column *cy_table_column_by_name(const cy_table *t, const char *name) {
  int32_t i = cy_schema_find(&t->schema, name);
  return i < 0 ? NULL : t->columns[i];
}

cy_table *cy_table_retain(cy_table *t) {
  if (t) __atomic_fetch_add(&t->refcount, 1, __ATOMIC_RELAXED);
  return t;
}

void cy_table_release(cy_table *t) {
  if (t == NULL) return;
  if (__atomic_fetch_sub(&t->refcount, 1, __ATOMIC_ACQ_REL) != 1) return;
  for (int32_t i = 0; i < t->schema.num_fields; i++) cy_column_release(t->columns[i]);
  free(t->columns);
  cy_schema_reset(&t->schema);
  free(t);
}

int64_t cy_table_nbytes(const cy_table *t) {
  int64_t total = 0;
  for (int32_t i = 0; i < t->schema.num_fields; i++) {
    const cy_column *c = t->columns[i];
    if (c->validity) total += c->validity->size;
    if (c->values) total += c->values->size;
    if (c->data) total += c->data->size;
  }
  return total;
}

/* ---- a batch reader over one table -------------------------------------------------- */

typedef struct table_reader {
  cy_table *table;
  int64_t batch_rows;
  int64_t next_row;
  bool done;
} table_reader;

static cy_status table_reader_schema(cy_batch_reader *self, cy_schema *out, cy_error *err) {
  table_reader *r = self->private_data;
  return cy_schema_copy(&r->table->schema, out, err);
}

static cy_status table_reader_next(cy_batch_reader *self, cy_table **out, cy_error *err) {
  table_reader *r = self->private_data;
  *out = NULL;
  if (r->done) return CY_OK;
  int64_t n = r->batch_rows > 0 ? r->batch_rows : r->table->num_rows;
  CY_RETURN_NOT_OK(cy_table_slice(r->table, r->next_row, n, out, err));
  r->next_row += (*out)->num_rows;
  /* An empty table still yields one empty batch so consumers see its schema in data. */
  if (r->next_row >= r->table->num_rows) r->done = true;
  return CY_OK;
}

static void table_reader_release(cy_batch_reader *self) {
  table_reader *r = self->private_data;
  if (r) {
    cy_table_release(r->table);
    free(r);
  }
  self->release = NULL;
  self->private_data = NULL;
}

cy_status cy_table_reader(cy_table *table, int64_t batch_rows, cy_batch_reader *out,
                          cy_error *err) {
  table_reader *r = calloc(1, sizeof(*r));
  if (r == NULL) {
    cy_error_set(err, "out of memory making a table reader");
    return CY_ENOMEM;
  }
  r->table = cy_table_retain(table);
  r->batch_rows = batch_rows;
  out->get_schema = table_reader_schema;
  out->next = table_reader_next;
  out->release = table_reader_release;
  out->private_data = r;
  return CY_OK;
}
