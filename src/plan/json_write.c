/*
 * json_write.c - JSON values back to text, and deep equality (json.h).
 *
 * The writer's output is compact and canonical: no spaces, members in their order, strings
 * escaping only what JSON requires (quote, backslash, control characters) so that other
 * UTF-8 passes through as it is, and doubles in their shortest round-trip form with a '.'
 * or an exponent, so they read back as doubles. Parsing what it writes gives an equal
 * tree (the JSON fuzz target checks this on every input it accepts).
 */
#include <stdlib.h>
#include <string.h>

#include "core/text_format.h"
#include "plan/json.h"

bool cy_json_equals(const cy_json *a, const cy_json *b) {
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case CY_JSON_NULL: return true;
    case CY_JSON_BOOL: return a->u.b == b->u.b;
    case CY_JSON_INT: return a->u.i == b->u.i;
    case CY_JSON_DOUBLE: return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
    case CY_JSON_STRING:
      return a->u.str.len == b->u.str.len &&
             memcmp(a->u.str.data, b->u.str.data, (size_t)a->u.str.len) == 0;
    case CY_JSON_ARRAY:
      if (a->u.arr.len != b->u.arr.len) return false;
      for (int64_t i = 0; i < a->u.arr.len; i++)
        if (!cy_json_equals(&a->u.arr.items[i], &b->u.arr.items[i])) return false;
      return true;
    case CY_JSON_OBJECT:
      if (a->u.obj.len != b->u.obj.len) return false;
      for (int64_t i = 0; i < a->u.obj.len; i++) {
        const cy_json_member *x = &a->u.obj.members[i], *y = &b->u.obj.members[i];
        if (x->key_len != y->key_len || memcmp(x->key, y->key, (size_t)x->key_len) != 0 ||
            !cy_json_equals(&x->value, &y->value))
          return false;
      }
      return true;
  }
  return false;
}

/* ---- writing ------------------------------------------------------------------------ */

typedef struct text_buf {
  char *data;
  size_t len, cap;
  bool failed;
} text_buf;

static void put(text_buf *t, const char *s, size_t n) {
  if (t->failed) return;
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap : 256;
    while (t->len + n + 1 > cap) cap *= 2;
    char *grown = realloc(t->data, cap);
    if (grown == NULL) {
      t->failed = true;
      return;
    }
    t->data = grown;
    t->cap = cap;
  }
  memcpy(t->data + t->len, s, n);
  t->len += n;
  t->data[t->len] = 0;
}

static void put_string(text_buf *t, const char *s, int64_t n) {
  put(t, "\"", 1);
  int64_t run = 0; /* bytes copied as they are, flushed before each escape */
  for (int64_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      run++;
      continue;
    }
    put(t, s + i - run, (size_t)run);
    run = 0;
    char esc[8];
    const char *named = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                      : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\b' ? "\\b"
                      : c == '\f' ? "\\f" : NULL;
    if (named == NULL) {
      snprintf(esc, sizeof esc, "\\u%04X", c);
      named = esc;
    }
    put(t, named, strlen(named));
  }
  put(t, s + n - run, (size_t)run);
  put(t, "\"", 1);
}

static void put_double(text_buf *t, double d) {
  char buf[CY_FORMAT_DOUBLE_MAX + 2];
  int n = cy_format_double(d, buf);
  /* The shortest text always carries '.' or 'e' (see text_format.h), so it reads back as
   * a double; checked anyway, since an integral-looking text would read back as an int. */
  if (memchr(buf, '.', (size_t)n) == NULL && memchr(buf, 'e', (size_t)n) == NULL) {
    buf[n++] = '.';
    buf[n++] = '0';
  }
  put(t, buf, (size_t)n);
}

static void put_value(text_buf *t, const cy_json *v) {
  char buf[CY_FORMAT_INT_MAX];
  switch (v->kind) {
    case CY_JSON_NULL: put(t, "null", 4); break;
    case CY_JSON_BOOL: put(t, v->u.b ? "true" : "false", v->u.b ? 4 : 5); break;
    case CY_JSON_INT: put(t, buf, (size_t)cy_format_int64(v->u.i, buf)); break;
    case CY_JSON_DOUBLE: put_double(t, v->u.d); break;
    case CY_JSON_STRING: put_string(t, v->u.str.data, v->u.str.len); break;
    case CY_JSON_ARRAY:
      put(t, "[", 1);
      for (int64_t i = 0; i < v->u.arr.len; i++) {
        if (i > 0) put(t, ",", 1);
        put_value(t, &v->u.arr.items[i]);
      }
      put(t, "]", 1);
      break;
    case CY_JSON_OBJECT:
      put(t, "{", 1);
      for (int64_t i = 0; i < v->u.obj.len; i++) {
        const cy_json_member *m = &v->u.obj.members[i];
        if (i > 0) put(t, ",", 1);
        put_string(t, m->key, m->key_len);
        put(t, ":", 1);
        put_value(t, &m->value);
      }
      put(t, "}", 1);
      break;
  }
}

cy_status cy_json_write(const cy_json *value, char **out, size_t *len, cy_error *err) {
  text_buf t = {NULL, 0, 0, false};
  put_value(&t, value);
  if (t.failed) {
    free(t.data);
    cy_error_set(err, "out of memory writing JSON");
    return CY_ENOMEM;
  }
  *out = t.data;
  *len = t.len;
  return CY_OK;
}
