/*
 * ops_dump.c - run one compute operator of cylon on CSV tables and print the result
 * canonically, for the randomized differential test tests/oracle/ops_diff.mjs, which asks
 * DuckDB the same question in SQL and compares the answers.
 *
 *   ops_dump [--threads N] --table FILE --types SPEC [--table FILE --types SPEC] OP [--OPT VALUE]...
 *
 * Tables: the first --table is the left (or only) input, the second the right one. SPEC
 * gives every column's type, "name:type,..." in cy_type_parse names (int64, float64,
 * utf8, date32, bool ...); the files are read with cylon's CSV defaults (an unquoted empty
 * field is null, "" is the empty string). Every option takes one value. Lists are comma
 * separated.
 *
 * Operators and their options:
 *   read                                  the left table as read
 *   join        --how inner|left|right|full|semi|anti  --algo hash|sort  --on K1,K2
 *               [--right-on K1,K2] [--suffixes _x,_y]
 *   cross_join
 *   groupby     --by K1,K2 --agg COL:OP[:Q],...   (OP as cy_agg_parse; Q for quantile)
 *   aggregate   --agg COL:OP[:Q],...
 *   union | intersect | difference | concat       (of the two tables)
 *   unique      [--subset C1,C2] [--keep first|last]
 *   isin        --column C --values V   (V a column of the right table) [--name N]
 *   sort        --keys C[:asc|desc][:nulls_first|nulls_last],...
 *   sort_indices --keys ...              the permutation as an int64 column "index"
 *   top_k       --keys ... --k K
 *   filter      --expr TEXT              cy_table_select
 *   filter_mask --expr TEXT              cy_expr_evaluate then cy_table_filter
 *   eval        --expr TEXT [--name N]   the expression's column
 *   select_fn   --column C               the C callback: rows where C is not null and the
 *                                        row number is not a multiple of 3
 *   project     --columns C1[:NEW1],C2...
 *   cast        --column C --to TYPE     the table with C replaced by its cast
 *   fill_null   --column C --value TYPE:TEXT   (TYPE int64, float64, bool, utf8 or null;
 *                                        the table with C's nulls filled)
 *   is_null     --column C [--negate 1] [--name N]
 *   drop_null   [--columns C1,C2]
 *   head --n N | tail --n N | slice --start S --length L | take --indices I1,I2,...
 *   equals      --ordered 0|1            a one-row table (equal: bool)
 *
 * Output (stdout): a first line with a JSON array of {"name": ..., "type": ...} (cylon's
 * type names), then one JSON array per row. Values: null; true / false; integers, dates
 * (days since 1970-01-01) and timestamps (their raw integer in the type's unit) as
 * decimal strings; floats as "%.17g" strings, or "nan", "inf", "-inf"; strings as JSON
 * strings (a byte that is not valid UTF-8 as \udcXX, so it stays visible).
 *
 * Exit status: 0 with the result; 1 when the operator (or reading a table) failed, with
 * cylon's message on stderr; 2 on bad usage.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"

#define MAX_OPTS 32
#define MAX_LIST 64
#define MAX_COLS 256

/* ------------------------------------------------------------------------------------
 * Printing
 * ---------------------------------------------------------------------------------- */

/* Bytes in the well-formed UTF-8 sequence at s (n bytes available), 0 when ill-formed. */
static int utf8_len(const uint8_t *s, int64_t n) {
  uint8_t c = s[0];
  int len;
  uint32_t cp, lowest;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c < 0xe0) {
    len = 2, cp = c & 0x1fu, lowest = 0x80;
  } else if (c >= 0xe0 && c < 0xf0) {
    len = 3, cp = c & 0x0fu, lowest = 0x800;
  } else if (c >= 0xf0 && c < 0xf5) {
    len = 4, cp = c & 0x07u, lowest = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (int k = 1; k < len; k++) {
    if ((s[k] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3fu);
  }
  if (cp < lowest || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return 0;
  return len;
}

static void print_string(const uint8_t *s, int64_t n) {
  putchar('"');
  int64_t i = 0;
  while (i < n) {
    int len = utf8_len(s + i, n - i);
    uint8_t c = s[i];
    if (len == 0) {
      printf("\\udc%02x", c);
      i++;
      continue;
    }
    if (len > 1) {
      fwrite(s + i, 1, (size_t)len, stdout);
    } else if (c == '"' || c == '\\') {
      printf("\\%c", c);
    } else if (c == '\n') {
      fputs("\\n", stdout);
    } else if (c == '\r') {
      fputs("\\r", stdout);
    } else if (c == '\t') {
      fputs("\\t", stdout);
    } else if (c < 0x20 || c == 0x7f) {
      printf("\\u%04x", c);
    } else {
      putchar(c);
    }
    i += len;
  }
  putchar('"');
}

static void print_cstring(const char *s) { print_string((const uint8_t *)s, (int64_t)strlen(s)); }

static void print_double(double d) {
  if (isnan(d))
    fputs("\"nan\"", stdout);
  else if (isinf(d))
    fputs(d < 0 ? "\"-inf\"" : "\"inf\"", stdout);
  else
    printf("\"%.17g\"", d);
}

static void print_value(const cy_column *col, int64_t i) {
  if (!cy_column_is_valid(col, i)) {
    fputs("null", stdout);
    return;
  }
  cy_type_id id = col->type.id;
  if (id == CY_BOOL) {
    fputs(cy_column_bool(col, i) ? "true" : "false", stdout);
    return;
  }
  if (cy_type_is_var_width(id)) {
    int64_t len;
    const uint8_t *p = cy_column_bytes(col, i, &len);
    print_string(p, len);
    return;
  }
  const void *v = cy_column_data(col);
  switch (id) {
    case CY_INT8: printf("\"%d\"", ((const int8_t *)v)[i]); break;
    case CY_INT16: printf("\"%d\"", ((const int16_t *)v)[i]); break;
    case CY_INT32:
    case CY_DATE32: printf("\"%" PRId32 "\"", ((const int32_t *)v)[i]); break;
    case CY_INT64:
    case CY_TIMESTAMP: printf("\"%" PRId64 "\"", ((const int64_t *)v)[i]); break;
    case CY_UINT8: printf("\"%u\"", ((const uint8_t *)v)[i]); break;
    case CY_UINT16: printf("\"%u\"", ((const uint16_t *)v)[i]); break;
    case CY_UINT32: printf("\"%" PRIu32 "\"", ((const uint32_t *)v)[i]); break;
    case CY_UINT64: printf("\"%" PRIu64 "\"", ((const uint64_t *)v)[i]); break;
    case CY_FLOAT32: print_double(((const float *)v)[i]); break;
    case CY_FLOAT64: print_double(((const double *)v)[i]); break;
    default: {
      char buf[128]; /* decimals: their exact text */
      cy_column_format_value(col, i, "", buf, sizeof buf);
      print_cstring(buf);
    }
  }
}

static void print_table(const cy_table *t) {
  putchar('[');
  for (int32_t c = 0; c < t->schema.num_fields; c++) {
    char tn[128];
    fputs(c ? ", {\"name\": " : "{\"name\": ", stdout);
    print_cstring(t->schema.fields[c].name);
    fputs(", \"type\": ", stdout);
    print_cstring(cy_type_name(&t->schema.fields[c].type, tn, sizeof tn));
    putchar('}');
  }
  fputs("]\n", stdout);
  for (int64_t r = 0; r < t->num_rows; r++) {
    putchar('[');
    for (int32_t c = 0; c < t->schema.num_fields; c++) {
      if (c) fputs(", ", stdout);
      print_value(t->columns[c], r);
    }
    fputs("]\n", stdout);
  }
}

/* ------------------------------------------------------------------------------------
 * Arguments
 * ---------------------------------------------------------------------------------- */

typedef struct opts {
  const char *name[MAX_OPTS];
  const char *value[MAX_OPTS];
  int n;
} opts;

static const char *opt(const opts *o, const char *name) {
  for (int i = 0; i < o->n; i++)
    if (strcmp(o->name[i], name) == 0) return o->value[i];
  return NULL;
}

/* An option that must be there; NULL (after a message) when it is not. */
static const char *need(const opts *o, const char *op, const char *name) {
  const char *v = opt(o, name);
  if (!v) fprintf(stderr, "ops_dump: %s needs --%s\n", op, name);
  return v;
}

/* A comma separated list, cut in place in a copy that *owned keeps. */
typedef struct list {
  char *owned;
  const char *item[MAX_LIST];
  int32_t n;
} list;

static int split(const char *text, char sep, list *l) {
  l->n = 0;
  l->owned = strdup(text ? text : "");
  if (!l->owned) return -1;
  if (!*l->owned) return 0;
  char *p = l->owned;
  for (;;) {
    if (l->n == MAX_LIST) {
      fprintf(stderr, "ops_dump: more than %d items in '%s'\n", MAX_LIST, text);
      return -1;
    }
    l->item[l->n++] = p;
    char *q = strchr(p, sep);
    if (!q) break;
    *q = 0;
    p = q + 1;
  }
  return 0;
}

static bool parse_int(const char *s, int64_t *out) {
  char *end;
  if (!s || !*s) return false;
  long long v = strtoll(s, &end, 10);
  if (*end) return false;
  *out = (int64_t)v;
  return true;
}

/* Read a CSV with every column's type given ("name:type,..."). */
static cy_status read_table(const char *path, const char *spec, cy_table **out, cy_error *err) {
  list items = {0};
  const char *names[MAX_LIST];
  cy_type types[MAX_LIST];
  cy_status st = split(spec, ',', &items) ? CY_EINVAL : CY_OK;
  if (st) cy_error_set(err, "bad --types '%s'", spec);
  for (int32_t i = 0; st == CY_OK && i < items.n; i++) {
    char *colon = strchr(items.item[i], ':');
    if (!colon) {
      cy_error_set(err, "bad --types item '%s' (want name:type)", items.item[i]);
      st = CY_EINVAL;
      break;
    }
    *colon = 0;
    names[i] = items.item[i];
    st = cy_type_parse(colon + 1, &types[i], err);
  }
  if (st == CY_OK) {
    cy_csv_read_options o;
    cy_csv_read_options_init(&o);
    o.column_names = names;
    o.column_types = types;
    o.num_column_types = items.n;
    st = cy_csv_read(path, &o, out, err);
  }
  free(items.owned);
  return st;
}

/* "col[:asc|desc][:nulls_first|nulls_last]" items into sort keys. */
static int parse_sort_keys(const char *text, list *l, cy_sort_key *keys, int32_t *n) {
  if (split(text, ',', l)) return -1;
  for (int32_t i = 0; i < l->n; i++) {
    char *p = (char *)l->item[i];
    keys[i] = (cy_sort_key){.column = p};
    for (char *c = strchr(p, ':'); c; c = strchr(c + 1, ':')) {
      *c = 0;
      const char *w = c + 1;
      if (strncmp(w, "desc", 4) == 0) keys[i].descending = true;
      else if (strncmp(w, "asc", 3) == 0) keys[i].descending = false;
      else if (strncmp(w, "nulls_first", 11) == 0) keys[i].nulls_first = true;
      else if (strncmp(w, "nulls_last", 10) == 0) keys[i].nulls_first = false;
      else {
        fprintf(stderr, "ops_dump: bad sort key part '%s'\n", w);
        return -1;
      }
    }
  }
  *n = l->n;
  return 0;
}

/* "col:op[:q]" items into aggregates (default output names). */
static int parse_aggs(const char *text, list *l, cy_aggregate *aggs, int32_t *n, cy_error *err) {
  if (split(text, ',', l)) return -1;
  for (int32_t i = 0; i < l->n; i++) {
    char *p = (char *)l->item[i];
    char *c1 = strchr(p, ':');
    if (!c1) {
      fprintf(stderr, "ops_dump: bad aggregate '%s' (want col:op[:q])\n", p);
      return -1;
    }
    *c1 = 0;
    char *c2 = strchr(c1 + 1, ':');
    if (c2) *c2 = 0;
    aggs[i] = (cy_aggregate){.column = p};
    if (cy_agg_parse(c1 + 1, &aggs[i].op, err) != CY_OK)
      return 1; /* an unknown aggregate is cylon's error, not a usage error */
    if (c2) aggs[i].quantile = strtod(c2 + 1, NULL);
  }
  *n = l->n;
  return 0;
}

/* A one-column table. */
static cy_status column_table(const char *name, cy_column *col, cy_table **out, cy_error *err) {
  cy_status st = cy_table_make(1, &name, &col, out, err);
  cy_column_release(col);
  return st;
}

/* The table with column `index` replaced by `col` (consumed). */
static cy_status replace_column(cy_table *t, int32_t index, cy_column *col, cy_table **out,
                                cy_error *err) {
  const char *names[MAX_COLS];
  cy_column *cols[MAX_COLS];
  int32_t n = t->schema.num_fields;
  if (n > MAX_COLS) {
    cy_column_release(col);
    cy_error_set(err, "too many columns");
    return CY_EINVAL;
  }
  for (int32_t c = 0; c < n; c++) {
    names[c] = t->schema.fields[c].name;
    cols[c] = c == index ? col : t->columns[c];
  }
  cy_status st = cy_table_make(n, names, cols, out, err);
  cy_column_release(col);
  return st;
}

static int32_t find_column(const cy_table *t, const char *name, cy_error *err) {
  int32_t i = cy_schema_find(&t->schema, name);
  if (i < 0) {
    char s[512];
    cy_error_set(err, "no column '%s' in %s", name, cy_schema_format(&t->schema, s, sizeof s));
  }
  return i;
}

static bool keep_row(const cy_table *t, int64_t row, void *ctx) {
  const cy_column *c = t->columns[*(const int32_t *)ctx];
  return cy_column_is_valid(c, row) && row % 3 != 0;
}

/* ------------------------------------------------------------------------------------
 * The operators
 * ---------------------------------------------------------------------------------- */

/* Run op on the tables; 0 and *out set, 1 for cylon's error (in err), 2 for bad usage. */
static int run(const char *op, const opts *o, cy_table *l, cy_table *r, cy_table **out,
               cy_error *err) {
  cy_status st = CY_OK;
  list l1 = {0}, l2 = {0}, l3 = {0};
  int rc = 0;
  bool two = strcmp(op, "union") == 0 || strcmp(op, "intersect") == 0 ||
             strcmp(op, "difference") == 0 || strcmp(op, "concat") == 0 ||
             strcmp(op, "join") == 0 || strcmp(op, "cross_join") == 0 ||
             strcmp(op, "isin") == 0 || strcmp(op, "equals") == 0;
  if (two && !r) {
    fprintf(stderr, "ops_dump: %s needs two tables\n", op);
    return 2;
  }
  if (strcmp(op, "read") == 0) {
    *out = cy_table_retain(l);
  } else if (strcmp(op, "join") == 0) {
    const char *how = opt(o, "how"), *algo = opt(o, "algo"), *on = need(o, op, "on");
    static const char *const hows[] = {"inner", "left", "right", "full", "semi", "anti"};
    cy_join_options jo;
    cy_join_options_init(&jo);
    if (!on) return 2;
    int h = -1;
    for (int i = 0; i < 6; i++)
      if (strcmp(how ? how : "inner", hows[i]) == 0) h = i;
    if (h < 0) {
      fprintf(stderr, "ops_dump: unknown join type '%s'\n", how);
      return 2;
    }
    jo.type = (cy_join_type)h;
    jo.algorithm = algo && strcmp(algo, "sort") == 0 ? CY_JOIN_SORT_MERGE : CY_JOIN_HASH;
    if (split(on, ',', &l1)) rc = 2;
    jo.num_keys = l1.n;
    jo.left_on = l1.item;
    if (!rc && opt(o, "right-on")) {
      if (split(opt(o, "right-on"), ',', &l2)) rc = 2;
      jo.right_on = l2.item;
    }
    if (!rc && opt(o, "suffixes")) {
      if (split(opt(o, "suffixes"), ',', &l3) || l3.n != 2) {
        rc = 2;
      } else {
        jo.left_suffix = l3.item[0];
        jo.right_suffix = l3.item[1];
      }
    }
    if (!rc) st = cy_table_join(l, r, &jo, out, err);
  } else if (strcmp(op, "cross_join") == 0) {
    st = cy_table_cross_join(l, r, out, err);
  } else if (strcmp(op, "groupby") == 0 || strcmp(op, "aggregate") == 0) {
    bool gb = op[0] == 'g';
    const char *by = gb ? need(o, op, "by") : "", *agg = need(o, op, "agg");
    cy_aggregate aggs[MAX_LIST];
    int32_t na = 0;
    if (!by || !agg) return 2;
    if (split(by, ',', &l1)) rc = 2;
    int parsed = rc ? 0 : parse_aggs(agg, &l2, aggs, &na, err);
    if (parsed < 0) {
      rc = 2;
    } else if (parsed > 0) {
      st = CY_EINVAL; /* an unknown aggregate: cylon's message is in err */
    } else if (!rc) {
      st = gb ? cy_table_groupby(l, l1.item, l1.n, aggs, na, out, err)
              : cy_table_aggregate(l, aggs, na, out, err);
    }
  } else if (strcmp(op, "union") == 0) {
    st = cy_table_union(l, r, out, err);
  } else if (strcmp(op, "intersect") == 0) {
    st = cy_table_intersect(l, r, out, err);
  } else if (strcmp(op, "difference") == 0) {
    st = cy_table_difference(l, r, out, err);
  } else if (strcmp(op, "concat") == 0) {
    cy_table *both[2] = {l, r};
    st = cy_table_concat(2, both, out, err);
  } else if (strcmp(op, "unique") == 0) {
    const char *keep = opt(o, "keep");
    if (split(opt(o, "subset"), ',', &l1)) rc = 2;
    if (!rc)
      st = cy_table_unique(l, l1.item, l1.n,
                           keep && strcmp(keep, "last") == 0 ? CY_KEEP_LAST : CY_KEEP_FIRST,
                           out, err);
  } else if (strcmp(op, "isin") == 0) {
    const char *cn = need(o, op, "column"), *vn = need(o, op, "values");
    if (!cn || !vn) return 2;
    int32_t ci = find_column(l, cn, err), vi = ci >= 0 ? find_column(r, vn, err) : -1;
    cy_column *res = NULL;
    st = ci < 0 || vi < 0 ? CY_ENOENT : cy_column_isin(l->columns[ci], r->columns[vi], &res, err);
    if (st == CY_OK) st = column_table(opt(o, "name") ? opt(o, "name") : "isin", res, out, err);
  } else if (strcmp(op, "sort") == 0 || strcmp(op, "top_k") == 0 ||
             strcmp(op, "sort_indices") == 0) {
    const char *keys_text = need(o, op, "keys");
    cy_sort_key keys[MAX_LIST];
    int32_t nk = 0;
    int64_t k = 0;
    if (!keys_text) return 2;
    if (parse_sort_keys(keys_text, &l1, keys, &nk)) rc = 2;
    if (!rc && strcmp(op, "top_k") == 0 && !parse_int(need(o, op, "k"), &k)) rc = 2;
    if (!rc && strcmp(op, "sort") == 0) {
      st = cy_table_sort(l, keys, nk, out, err);
    } else if (!rc && strcmp(op, "top_k") == 0) {
      st = cy_table_top_k(l, keys, nk, k, out, err);
    } else if (!rc) {
      int64_t *idx = NULL;
      st = cy_table_sort_indices(l, keys, nk, &idx, err);
      cy_column *col = NULL;
      if (st == CY_OK)
        st = cy_column_from_values(cy_type_make(CY_INT64), idx, NULL, l->num_rows, &col, err);
      free(idx);
      if (st == CY_OK) st = column_table("index", col, out, err);
    }
  } else if (strcmp(op, "filter") == 0 || strcmp(op, "filter_mask") == 0 ||
             strcmp(op, "eval") == 0) {
    const char *text = need(o, op, "expr");
    cy_expr *e = NULL;
    if (!text) return 2;
    st = cy_expr_parse(text, &e, err);
    if (st == CY_OK && strcmp(op, "filter") == 0) {
      st = cy_table_select(l, e, out, err);
    } else if (st == CY_OK) {
      cy_column *col = NULL;
      st = cy_expr_evaluate(e, l, &col, err);
      if (st == CY_OK && op[0] == 'e') {
        st = column_table(opt(o, "name") ? opt(o, "name") : "value", col, out, err);
      } else if (st == CY_OK) {
        st = cy_table_filter(l, col, out, err);
        cy_column_release(col);
      }
    }
    cy_expr_release(e);
  } else if (strcmp(op, "select_fn") == 0) {
    const char *cn = need(o, op, "column");
    if (!cn) return 2;
    int32_t ci = find_column(l, cn, err);
    st = ci < 0 ? CY_ENOENT : cy_table_select_fn(l, keep_row, &ci, out, err);
  } else if (strcmp(op, "project") == 0) {
    const char *cols = need(o, op, "columns");
    int32_t idx[MAX_LIST];
    const char *names[MAX_LIST];
    if (!cols) return 2;
    if (split(cols, ',', &l1)) rc = 2;
    for (int32_t i = 0; !rc && st == CY_OK && i < l1.n; i++) {
      char *colon = strchr((char *)l1.item[i], ':');
      if (colon) *colon = 0;
      names[i] = colon ? colon + 1 : l1.item[i];
      idx[i] = find_column(l, l1.item[i], err);
      if (idx[i] < 0) st = CY_ENOENT;
    }
    if (!rc && st == CY_OK) st = cy_table_project(l, l1.n, idx, names, out, err);
  } else if (strcmp(op, "cast") == 0 || strcmp(op, "fill_null") == 0 ||
             strcmp(op, "is_null") == 0) {
    const char *cn = need(o, op, "column");
    if (!cn) return 2;
    int32_t ci = find_column(l, cn, err);
    cy_column *res = NULL;
    if (ci < 0) {
      st = CY_ENOENT;
    } else if (strcmp(op, "cast") == 0) {
      const char *to = need(o, op, "to");
      cy_type t;
      if (!to) return 2;
      st = cy_type_parse(to, &t, err);
      if (st == CY_OK) st = cy_column_cast(l->columns[ci], t, &res, err);
      if (st == CY_OK) st = replace_column(l, ci, res, out, err);
    } else if (strcmp(op, "fill_null") == 0) {
      const char *v = need(o, op, "value");
      if (!v || !strchr(v, ':')) return 2;
      const char *text = strchr(v, ':') + 1;
      cy_scalar s;
      if (strncmp(v, "int64:", 6) == 0) s = cy_scalar_int64(strtoll(text, NULL, 10));
      else if (strncmp(v, "float64:", 8) == 0) s = cy_scalar_float64(strtod(text, NULL));
      else if (strncmp(v, "bool:", 5) == 0) s = cy_scalar_bool(strcmp(text, "true") == 0);
      else if (strncmp(v, "utf8:", 5) == 0) s = cy_scalar_string(text);
      else if (strncmp(v, "null:", 5) == 0) s = cy_scalar_null(l->columns[ci]->type);
      else return 2;
      st = cy_column_fill_null(l->columns[ci], &s, &res, err);
      if (st == CY_OK) st = replace_column(l, ci, res, out, err);
    } else {
      const char *neg = opt(o, "negate");
      st = cy_column_is_null(l->columns[ci], neg && strcmp(neg, "1") == 0, &res, err);
      if (st == CY_OK) st = column_table(opt(o, "name") ? opt(o, "name") : "is_null", res, out, err);
    }
  } else if (strcmp(op, "drop_null") == 0) {
    if (split(opt(o, "columns"), ',', &l1)) rc = 2;
    if (!rc) st = cy_table_drop_null(l, l1.item, l1.n, out, err);
  } else if (strcmp(op, "head") == 0 || strcmp(op, "tail") == 0) {
    int64_t n;
    if (!parse_int(need(o, op, "n"), &n)) return 2;
    st = op[0] == 'h' ? cy_table_head(l, n, out, err) : cy_table_tail(l, n, out, err);
  } else if (strcmp(op, "slice") == 0) {
    int64_t s, n;
    if (!parse_int(need(o, op, "start"), &s) || !parse_int(need(o, op, "length"), &n)) return 2;
    st = cy_table_slice(l, s, n, out, err);
  } else if (strcmp(op, "take") == 0) {
    int64_t idx[MAX_LIST];
    if (split(opt(o, "indices"), ',', &l1)) rc = 2;
    for (int32_t i = 0; !rc && i < l1.n; i++)
      if (!parse_int(l1.item[i], &idx[i])) rc = 2;
    if (!rc) st = cy_table_take(l, idx, l1.n, out, err);
  } else if (strcmp(op, "equals") == 0) {
    const char *ord = opt(o, "ordered");
    bool eq = false;
    st = cy_table_equals(l, r, ord && strcmp(ord, "1") == 0, &eq, err);
    cy_column *col = NULL;
    uint8_t b = eq;
    if (st == CY_OK) st = cy_column_from_values(cy_type_make(CY_BOOL), &b, NULL, 1, &col, err);
    if (st == CY_OK) st = column_table("equal", col, out, err);
  } else {
    fprintf(stderr, "ops_dump: unknown operator '%s'\n", op);
    rc = 2;
  }
  if (!rc && st != CY_OK) rc = 1;
  free(l1.owned);
  free(l2.owned);
  free(l3.owned);
  return rc;
}

int main(int argc, char **argv) {
  const char *files[2] = {0}, *types[2] = {0};
  int nfiles = 0, ntypes = 0;
  const char *op = NULL;
  opts o = {0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0) {
      if (op) {
        fprintf(stderr, "ops_dump: unexpected argument '%s'\n", a);
        return 2;
      }
      op = a;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "ops_dump: %s needs a value\n", a);
      return 2;
    }
    const char *v = argv[++i];
    if (strcmp(a, "--table") == 0 && !op) {
      if (nfiles == 2) return 2;
      files[nfiles++] = v;
    } else if (strcmp(a, "--types") == 0 && !op) {
      if (ntypes == 2) return 2;
      types[ntypes++] = v;
    } else if (strcmp(a, "--threads") == 0 && !op) {
      cy_set_num_threads(atoi(v));
    } else if (op && o.n < MAX_OPTS) {
      o.name[o.n] = a + 2;
      o.value[o.n++] = v;
    } else {
      fprintf(stderr, "ops_dump: unexpected option %s\n", a);
      return 2;
    }
  }
  if (!op || nfiles < 1 || ntypes != nfiles) {
    fprintf(stderr, "usage: ops_dump [--threads N] --table FILE --types SPEC "
                    "[--table FILE --types SPEC] OP [--OPTION VALUE]...\n");
    return 2;
  }
  cy_error err;
  err.message[0] = 0;
  cy_table *t[2] = {NULL, NULL}, *out = NULL;
  int rc = 0;
  for (int i = 0; i < nfiles && rc == 0; i++) {
    if (read_table(files[i], types[i], &t[i], &err) != CY_OK) {
      fprintf(stderr, "ops_dump: reading %s: %s\n", files[i], err.message);
      rc = 1;
    }
  }
  if (rc == 0) {
    rc = run(op, &o, t[0], t[1], &out, &err);
    if (rc == 1) fprintf(stderr, "ops_dump: %s: %s\n", op, err.message);
  }
  if (rc == 0) {
    print_table(out);
    if (fflush(stdout) != 0) rc = 1;
  }
  cy_table_release(out);
  cy_table_release(t[0]);
  cy_table_release(t[1]);
  return rc;
}
