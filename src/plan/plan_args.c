/*
 * plan_args.c - the plan's ops: their names, inputs and keys, and the parsers that check
 * each key and turn it into the options of compute.h and io.h.
 *
 * Everything a step can get wrong without looking at data is caught here, before the plan
 * runs: value types, enum values, counts, type names, aggregate names, expressions. What
 * needs the data (a column that does not exist, a sum of strings) is the operator's to
 * report when the step runs; the executor then prefixes the step.
 */
#include <string.h>

#include "plan/plan_internal.h"

/* ---- shared pieces ------------------------------------------------------------------ */

/* A member's key as a name: no NUL bytes inside. */
static cy_status member_name(plan_ctx *c, const char *key, const cy_json_member *m,
                             const char **out) {
  if ((int64_t)strlen(m->key) != m->key_len) {
    cy_json at = {.line = m->key_line, .column = m->key_column};
    return plan_fail(c, &at, CY_EINVAL, "\"%s\": a name holds a NUL character (\\u0000)", key);
  }
  *out = m->key;
  return CY_OK;
}

/* A failure of a library parser (types, formats, aggregates) reported at value v. */
static cy_status library_fail(plan_ctx *c, const cy_json *v, cy_status st, const char *key,
                              const cy_error *why) {
  return plan_fail(c, v, st, "\"%s\": %s", key, why->message);
}

static cy_status check_distinct(plan_ctx *c, const char *key, const char *const *names,
                                int32_t n) {
  for (int32_t i = 1; i < n; i++)
    for (int32_t j = 0; j < i; j++)
      if (strcmp(names[i], names[j]) == 0)
        return plan_fail(c, cy_json_get(c->step->json, key), CY_EINVAL,
                         "\"%s\": the column \"%s\" is named twice", key, names[i]);
  return CY_OK;
}

/* "delimiter": one byte; "tab" and a backslash-t spelled out mean a tab. */
static cy_status parse_delimiter(plan_ctx *c, char *out) {
  const char *s = NULL;
  CY_RETURN_NOT_OK(plan_string(c, "delimiter", false, &s));
  if (s == NULL) return CY_OK;
  if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0) s = "\t";
  if (strlen(s) != 1 || *s == '\n' || *s == '\r' || *s == '"')
    return plan_fail(c, cy_json_get(c->step->json, "delimiter"), CY_EINVAL,
                     "\"delimiter\": expected one character (not a quote or line break), got "
                     "\"%s\"", s);
  *out = s[0];
  return CY_OK;
}

/* "format", or the path's extension; either must be one this build reads and writes. */
static cy_status parse_format(plan_ctx *c, const char *path, cy_file_format *out) {
  const char *name = NULL;
  cy_error why;
  CY_RETURN_NOT_OK(plan_string(c, "format", false, &name));
  if (name != NULL) {
    cy_status st = cy_file_format_parse(name, out, &why);
    return st == CY_OK ? st : library_fail(c, cy_json_get(c->step->json, "format"), st,
                                           "format", &why);
  }
  cy_file_format f;
  cy_status st = cy_file_format_of_path(path, &f, &why);
  if (st != CY_OK)
    return plan_fail(c, cy_json_get(c->step->json, "path"), st,
                     "\"path\": %s; or give \"format\"", why.message);
  *out = CY_FORMAT_AUTO;
  return CY_OK;
}

/* ---- read and write ----------------------------------------------------------------- */

static cy_status parse_types(plan_ctx *c, cy_csv_read_options *csv) {
  const cy_json *obj;
  CY_RETURN_NOT_OK(plan_object(c, "types", false, &obj));
  if (obj == NULL) return CY_OK;
  int32_t n = (int32_t)obj->u.obj.len;
  const char **names = plan_alloc(c, (size_t)n, sizeof *names);
  cy_type *types = plan_alloc(c, (size_t)n, sizeof *types);
  if (names == NULL || types == NULL) return CY_ENOMEM;
  for (int32_t i = 0; i < n; i++) {
    const cy_json_member *m = &obj->u.obj.members[i];
    const char *type;
    cy_error why;
    CY_RETURN_NOT_OK(member_name(c, "types", m, &names[i]));
    CY_RETURN_NOT_OK(plan_as_string(c, "types", &m->value, &type));
    cy_status st = cy_type_parse(type, &types[i], &why);
    if (st != CY_OK) return library_fail(c, &m->value, st, "types", &why);
  }
  csv->column_names = names;
  csv->column_types = types;
  csv->num_column_types = n;
  return CY_OK;
}

static cy_status parse_read(plan_ctx *c) {
  plan_read_args *a = &c->step->args.read;
  cy_table_read_options_init(&a->opts);
  cy_csv_read_options *csv = &a->opts.csv;
  CY_RETURN_NOT_OK(plan_path(c, "path", &a->path));
  /* A directory of part files (path ending in '/') takes each part's format from its
   * extension unless "format" is given. */
  if (a->path[strlen(a->path) - 1] != '/' || cy_json_get(c->step->json, "format"))
    CY_RETURN_NOT_OK(parse_format(c, a->path, &a->opts.format));
  CY_RETURN_NOT_OK(parse_delimiter(c, &csv->delimiter));
  CY_RETURN_NOT_OK(plan_bool(c, "header", &csv->header));
  if (cy_json_get(c->step->json, "nulls")) {
    const char **nulls;
    int32_t n;
    CY_RETURN_NOT_OK(plan_strings(c, "nulls", false, 0, &nulls, &n));
    csv->null_values = nulls;
    csv->num_null_values = n;
  }
  return parse_types(c, csv);
}

static cy_status parse_write(plan_ctx *c) {
  plan_write_args *a = &c->step->args.write;
  cy_table_write_options_init(&a->opts);
  CY_RETURN_NOT_OK(plan_path(c, "path", &a->path));
  size_t n = strlen(a->path);
  if (a->path[n - 1] == '/') {
    /* A directory of part files, one per worker: in "format" (default CSV). */
    a->opts.format = CY_FORMAT_CSV;
    const char *name = NULL;
    cy_error why;
    CY_RETURN_NOT_OK(plan_string(c, "format", false, &name));
    cy_status st = name ? cy_file_format_parse(name, &a->opts.format, &why) : CY_OK;
    if (st != CY_OK)
      return library_fail(c, cy_json_get(c->step->json, "format"), st, "format", &why);
    if (a->opts.format == CY_FORMAT_AUTO) a->opts.format = CY_FORMAT_CSV;
  } else {
    CY_RETURN_NOT_OK(parse_format(c, a->path, &a->opts.format));
  }
  CY_RETURN_NOT_OK(parse_delimiter(c, &a->opts.csv.delimiter));
  return plan_bool(c, "header", &a->opts.csv.header);
}

/* ---- project ------------------------------------------------------------------------ */

/* "columns": ["a", "b"] keeps columns in that order; {"new": "old"} also renames. */
static cy_status parse_project(plan_ctx *c) {
  plan_project_args *a = &c->step->args.project;
  cy_status st;
  const cy_json *v = plan_key(c, "columns", true, &st);
  if (v == NULL) return st;
  if (v->kind != CY_JSON_OBJECT) {
    CY_RETURN_NOT_OK(plan_strings(c, "columns", true, 1, &a->columns, &a->n));
    a->names = a->columns;
    return check_distinct(c, "columns", a->names, a->n);
  }
  CY_RETURN_NOT_OK(plan_object(c, "columns", true, &v));
  a->n = (int32_t)v->u.obj.len;
  a->columns = plan_alloc(c, (size_t)a->n, sizeof *a->columns);
  a->names = plan_alloc(c, (size_t)a->n, sizeof *a->names);
  if (a->columns == NULL || a->names == NULL) return CY_ENOMEM;
  for (int32_t i = 0; i < a->n; i++) {
    const cy_json_member *m = &v->u.obj.members[i];
    CY_RETURN_NOT_OK(member_name(c, "columns", m, &a->names[i]));
    CY_RETURN_NOT_OK(plan_as_string(c, "columns", &m->value, &a->columns[i]));
  }
  return CY_OK;
}

/* ---- expressions: filter and with_column -------------------------------------------- */

/* Parse the expression text of key, so that a syntax error stops the plan before it runs. */
static cy_status parse_expr_key(plan_ctx *c, const char *key, cy_expr **out) {
  const char *text;
  CY_RETURN_NOT_OK(plan_string(c, key, true, &text));
  cy_error why;
  cy_status st = cy_expr_parse(text, out, &why);
  return st == CY_OK ? st : library_fail(c, cy_json_get(c->step->json, key), st, key, &why);
}

static cy_status parse_filter(plan_ctx *c) {
  return parse_expr_key(c, "where", &c->step->args.expr.expr);
}

static cy_status parse_with_column(plan_ctx *c) {
  plan_expr_args *a = &c->step->args.expr;
  CY_RETURN_NOT_OK(plan_string(c, "name", true, &a->name));
  if (*a->name == 0)
    return plan_fail(c, cy_json_get(c->step->json, "name"), CY_EINVAL, "\"name\": empty");
  return parse_expr_key(c, "expr", &a->expr);
}

/* ---- joins -------------------------------------------------------------------------- */

static cy_status parse_join_keys(plan_ctx *c, cy_join_options *o) {
  const char **on, **left, **right;
  int32_t n_on, n_left, n_right;
  CY_RETURN_NOT_OK(plan_strings(c, "on", false, 1, &on, &n_on));
  CY_RETURN_NOT_OK(plan_strings(c, "left_on", false, 1, &left, &n_left));
  CY_RETURN_NOT_OK(plan_strings(c, "right_on", false, 1, &right, &n_right));
  const cy_json *obj = c->step->json;
  if (on && (left || right))
    return plan_fail(c, cy_json_get(obj, "on"), CY_EINVAL,
                     "give either \"on\" or \"left_on\" and \"right_on\", not both");
  if (on) {
    o->num_keys = n_on;
    o->left_on = on;
    o->right_on = on;
    return CY_OK;
  }
  if (!left && !right)
    return plan_fail(c, obj, CY_EINVAL, "missing key \"on\" (or \"left_on\" and \"right_on\")");
  if (!left || !right)
    return plan_fail(c, cy_json_get(obj, left ? "left_on" : "right_on"), CY_EINVAL,
                     "missing key \"%s\" to go with \"%s\"", left ? "right_on" : "left_on",
                     left ? "left_on" : "right_on");
  if (n_left != n_right)
    return plan_fail(c, cy_json_get(obj, "right_on"), CY_EINVAL,
                     "\"left_on\" has %d column%s but \"right_on\" has %d", (int)n_left,
                     n_left == 1 ? "" : "s", (int)n_right);
  o->num_keys = n_left;
  o->left_on = left;
  o->right_on = right;
  return CY_OK;
}

static cy_status parse_join(plan_ctx *c) {
  cy_join_options *o = &c->step->args.join.opts;
  cy_join_options_init(o);
  CY_RETURN_NOT_OK(parse_join_keys(c, o));
  static const char *const how[] = {"inner", "left", "right", "full", "outer", "semi", "anti",
                                    NULL};
  static const cy_join_type how_type[] = {CY_JOIN_INNER, CY_JOIN_LEFT, CY_JOIN_RIGHT,
                                          CY_JOIN_FULL, CY_JOIN_FULL, CY_JOIN_SEMI,
                                          CY_JOIN_ANTI};
  int h = 0;
  CY_RETURN_NOT_OK(plan_enum(c, "how", how, &h));
  o->type = how_type[h];
  static const char *const algorithms[] = {"hash", "sort", "sort_merge", NULL};
  int alg = 0;
  CY_RETURN_NOT_OK(plan_enum(c, "algorithm", algorithms, &alg));
  o->algorithm = alg == 0 ? CY_JOIN_HASH : CY_JOIN_SORT_MERGE;
  /* On workers: how rows meet (the order is cy_dist_join_strategy's); alone it is moot. */
  static const char *const strategies[] = {"auto", "shuffle", "broadcast", NULL};
  CY_RETURN_NOT_OK(plan_enum(c, "strategy", strategies, &c->step->args.join.strategy));
  const char **suffixes;
  int32_t n;
  CY_RETURN_NOT_OK(plan_strings(c, "suffixes", false, 2, &suffixes, &n));
  if (suffixes && n != 2)
    return plan_fail(c, cy_json_get(c->step->json, "suffixes"), CY_EINVAL,
                     "\"suffixes\": expected two suffixes (left, right), got %d", (int)n);
  if (suffixes) {
    o->left_suffix = suffixes[0];
    o->right_suffix = suffixes[1];
  }
  return CY_OK;
}

static cy_status parse_nothing(plan_ctx *c) {
  (void)c;
  return CY_OK;
}

/* ---- unique, drop_null -------------------------------------------------------------- */

static cy_status parse_unique(plan_ctx *c) {
  plan_columns_args *a = &c->step->args.columns;
  CY_RETURN_NOT_OK(plan_strings(c, "columns", false, 1, &a->columns, &a->n));
  static const char *const keep[] = {"first", "last", NULL};
  int k = 0;
  CY_RETURN_NOT_OK(plan_enum(c, "keep", keep, &k));
  a->keep = k == 0 ? CY_KEEP_FIRST : CY_KEEP_LAST;
  return CY_OK;
}

static cy_status parse_drop_null(plan_ctx *c) {
  plan_columns_args *a = &c->step->args.columns;
  return plan_strings(c, "columns", false, 1, &a->columns, &a->n);
}

/* ---- sort and top_k ----------------------------------------------------------------- */

/* One entry of "by": a name, or {"column", "desc"?, "nulls_first"?}. */
static cy_status parse_sort_key(plan_ctx *c, const cy_json *v, cy_sort_key *key) {
  if (v->kind == CY_JSON_STRING) return plan_as_string(c, "by", v, &key->column);
  if (v->kind != CY_JSON_OBJECT)
    return plan_fail(c, v, CY_EINVAL, "\"by\": expected a column name or {\"column\": ..., "
                     "\"desc\": ..., \"nulls_first\": ...}, got %s", cy_json_kind_name(v->kind));
  key->column = NULL;
  for (int64_t i = 0; i < v->u.obj.len; i++) {
    const cy_json_member *m = &v->u.obj.members[i];
    bool *flag = strcmp(m->key, "desc") == 0 ? &key->descending
               : strcmp(m->key, "nulls_first") == 0 ? &key->nulls_first : NULL;
    if (strcmp(m->key, "column") == 0) {
      CY_RETURN_NOT_OK(plan_as_string(c, "by", &m->value, &key->column));
    } else if (flag && m->value.kind == CY_JSON_BOOL) {
      *flag = m->value.u.b;
    } else {
      cy_json at = {.line = m->key_line, .column = m->key_column};
      return plan_fail(c, flag ? &m->value : &at, CY_EINVAL, flag
                       ? "\"by\": \"%s\" takes true or false"
                       : "\"by\": unknown key \"%s\" in a sort key (column, desc, nulls_first)",
                       m->key);
    }
  }
  if (key->column == NULL)
    return plan_fail(c, v, CY_EINVAL, "\"by\": a sort key needs \"column\"");
  return CY_OK;
}

static cy_status parse_sort(plan_ctx *c) {
  plan_sort_args *a = &c->step->args.sort;
  cy_status st;
  const cy_json *by = plan_key(c, "by", true, &st);
  if (by == NULL) return st;
  bool desc = false, nulls_first = false; /* the step's defaults for every key */
  CY_RETURN_NOT_OK(plan_bool(c, "desc", &desc));
  CY_RETURN_NOT_OK(plan_bool(c, "nulls_first", &nulls_first));
  const cy_json *items = by;
  int64_t n = 1;
  if (by->kind == CY_JSON_ARRAY) {
    items = by->u.arr.items;
    n = by->u.arr.len;
    if (n == 0) return plan_fail(c, by, CY_EINVAL, "\"by\": expected at least one sort key");
  }
  a->n = (int32_t)n;
  a->keys = plan_alloc(c, (size_t)n, sizeof *a->keys);
  if (a->keys == NULL) return CY_ENOMEM;
  for (int32_t i = 0; i < a->n; i++) {
    a->keys[i].descending = desc;
    a->keys[i].nulls_first = nulls_first;
    CY_RETURN_NOT_OK(parse_sort_key(c, &items[i], &a->keys[i]));
  }
  if (c->step->op->kind == PLAN_TOP_K) CY_RETURN_NOT_OK(plan_int(c, "k", true, 0, &a->k));
  return CY_OK;
}

/* ---- groupby and aggregate ---------------------------------------------------------- */

static cy_status agg_op(plan_ctx *c, const cy_json *v, cy_agg_op *op) {
  const char *name;
  CY_RETURN_NOT_OK(plan_as_string(c, "aggs", v, &name));
  cy_error why;
  if (cy_agg_parse(name, op, &why) == CY_OK) return CY_OK;
  const char *names[CY_AGG_QUANTILE + 2];
  for (int i = 0; i <= CY_AGG_QUANTILE; i++) names[i] = cy_agg_name((cy_agg_op)i);
  names[CY_AGG_QUANTILE + 1] = NULL;
  const char *guess = plan_did_you_mean(name, names);
  if (guess) return plan_fail(c, v, CY_EINVAL, "\"aggs\": unknown aggregate \"%s\" (did you "
                              "mean \"%s\"?)", name, guess);
  return library_fail(c, v, CY_EINVAL, "aggs", &why);
}

/* {"v": ["sum", "mean"], "w": "max"}: aggregates by column, default output names. */
static cy_status parse_aggs_object(plan_ctx *c, const cy_json *obj, plan_agg_args *a) {
  int64_t n = 0;
  for (int64_t i = 0; i < obj->u.obj.len; i++) {
    const cy_json *v = &obj->u.obj.members[i].value;
    n += v->kind == CY_JSON_ARRAY ? v->u.arr.len : 1;
  }
  a->aggs = plan_alloc(c, (size_t)n, sizeof *a->aggs);
  if (a->aggs == NULL) return CY_ENOMEM;
  for (int64_t i = 0; i < obj->u.obj.len; i++) {
    const cy_json_member *m = &obj->u.obj.members[i];
    const char *column = NULL;
    CY_RETURN_NOT_OK(member_name(c, "aggs", m, &column));
    const cy_json *list = m->value.kind == CY_JSON_ARRAY ? m->value.u.arr.items : &m->value;
    int64_t count = m->value.kind == CY_JSON_ARRAY ? m->value.u.arr.len : 1;
    if (count == 0)
      return plan_fail(c, &m->value, CY_EINVAL, "\"aggs\": no aggregates for \"%s\"", column);
    for (int64_t k = 0; k < count; k++) {
      cy_aggregate *g = &a->aggs[a->num_aggs++];
      g->column = column;
      CY_RETURN_NOT_OK(agg_op(c, &list[k], &g->op));
      if (g->op == CY_AGG_QUANTILE)
        return plan_fail(c, &list[k], CY_EINVAL, "\"aggs\": a quantile needs \"q\": write it "
                         "as [{\"column\": \"%s\", \"op\": \"quantile\", \"q\": 0.9}]", column);
    }
  }
  return CY_OK;
}

/* One {"column", "op", "name"?, "q"?} of the list form. */
static cy_status parse_agg_item(plan_ctx *c, const cy_json *v, cy_aggregate *g) {
  if (v->kind != CY_JSON_OBJECT)
    return plan_fail(c, v, CY_EINVAL, "\"aggs\": expected {\"column\": ..., \"op\": ...}, got %s",
                     cy_json_kind_name(v->kind));
  const cy_json *op = NULL, *q = NULL;
  for (int64_t i = 0; i < v->u.obj.len; i++) {
    const cy_json_member *m = &v->u.obj.members[i];
    if (strcmp(m->key, "column") == 0) {
      CY_RETURN_NOT_OK(plan_as_string(c, "aggs", &m->value, &g->column));
    } else if (strcmp(m->key, "name") == 0) {
      CY_RETURN_NOT_OK(plan_as_string(c, "aggs", &m->value, &g->output_name));
    } else if (strcmp(m->key, "op") == 0) {
      op = &m->value;
    } else if (strcmp(m->key, "q") == 0) {
      q = &m->value;
    } else {
      cy_json at = {.line = m->key_line, .column = m->key_column};
      return plan_fail(c, &at, CY_EINVAL, "\"aggs\": unknown key \"%s\" in an aggregate "
                       "(column, op, name, q)", m->key);
    }
  }
  if (op == NULL) return plan_fail(c, v, CY_EINVAL, "\"aggs\": an aggregate needs \"op\"");
  CY_RETURN_NOT_OK(agg_op(c, op, &g->op));
  if (g->column == NULL && g->op != CY_AGG_COUNT_ALL)
    return plan_fail(c, v, CY_EINVAL, "\"aggs\": the %s aggregate needs \"column\"",
                     cy_agg_name(g->op));
  if ((q != NULL) != (g->op == CY_AGG_QUANTILE))
    return plan_fail(c, q ? q : v, CY_EINVAL, q ? "\"aggs\": \"q\" belongs to a quantile only"
                     : "\"aggs\": a quantile needs \"q\" (from 0 to 1)");
  if (q) CY_RETURN_NOT_OK(plan_number(c, "q", q, 0, 1, &g->quantile));
  return CY_OK;
}

static cy_status parse_aggs(plan_ctx *c, plan_agg_args *a) {
  cy_status st;
  const cy_json *v = plan_key(c, "aggs", true, &st);
  if (v == NULL) return st;
  if (v->kind == CY_JSON_OBJECT) {
    if (v->u.obj.len == 0) return plan_fail(c, v, CY_EINVAL, "\"aggs\": no aggregates");
    return parse_aggs_object(c, v, a);
  }
  if (v->kind != CY_JSON_ARRAY)
    return plan_fail(c, v, CY_EINVAL, "\"aggs\": expected {\"column\": [\"sum\", ...]} or "
                     "[{\"column\": ..., \"op\": ...}], got %s", cy_json_kind_name(v->kind));
  if (v->u.arr.len == 0) return plan_fail(c, v, CY_EINVAL, "\"aggs\": no aggregates");
  a->num_aggs = (int32_t)v->u.arr.len;
  a->aggs = plan_alloc(c, (size_t)a->num_aggs, sizeof *a->aggs);
  if (a->aggs == NULL) return CY_ENOMEM;
  for (int32_t i = 0; i < a->num_aggs; i++)
    CY_RETURN_NOT_OK(parse_agg_item(c, &v->u.arr.items[i], &a->aggs[i]));
  return CY_OK;
}

static cy_status parse_groupby(plan_ctx *c) {
  plan_agg_args *a = &c->step->args.agg;
  CY_RETURN_NOT_OK(plan_strings(c, "by", true, 1, &a->by, &a->num_by));
  CY_RETURN_NOT_OK(check_distinct(c, "by", a->by, a->num_by));
  return parse_aggs(c, a);
}

static cy_status parse_aggregate(plan_ctx *c) { return parse_aggs(c, &c->step->args.agg); }

/* ---- rows: head, tail, slice -------------------------------------------------------- */

static cy_status parse_head(plan_ctx *c) {
  c->step->args.rows.n = 10;
  return plan_int(c, "n", false, 0, &c->step->args.rows.n);
}

static cy_status parse_slice(plan_ctx *c) {
  plan_rows_args *a = &c->step->args.rows;
  a->n = INT64_MAX;
  CY_RETURN_NOT_OK(plan_int(c, "offset", true, 0, &a->offset));
  return plan_int(c, "length", false, 0, &a->n);
}

/* ---- cast and fill_null: {"column": value} ------------------------------------------ */

static cy_status parse_column_map(plan_ctx *c, const cy_json **obj, plan_cast_args *a) {
  CY_RETURN_NOT_OK(plan_object(c, "columns", true, obj));
  a->n = (int32_t)(*obj)->u.obj.len;
  a->columns = plan_alloc(c, (size_t)a->n, sizeof *a->columns);
  if (a->columns == NULL) return CY_ENOMEM;
  for (int32_t i = 0; i < a->n; i++)
    CY_RETURN_NOT_OK(member_name(c, "columns", &(*obj)->u.obj.members[i], &a->columns[i]));
  return CY_OK;
}

static cy_status parse_cast(plan_ctx *c) {
  plan_cast_args *a = &c->step->args.cast;
  const cy_json *obj;
  CY_RETURN_NOT_OK(parse_column_map(c, &obj, a));
  a->types = plan_alloc(c, (size_t)a->n, sizeof *a->types);
  if (a->types == NULL) return CY_ENOMEM;
  for (int32_t i = 0; i < a->n; i++) {
    const cy_json *v = &obj->u.obj.members[i].value;
    const char *name;
    cy_error why;
    CY_RETURN_NOT_OK(plan_as_string(c, "columns", v, &name));
    cy_status st = cy_type_parse(name, &a->types[i], &why);
    if (st != CY_OK) return library_fail(c, v, st, "columns", &why);
  }
  return CY_OK;
}

static cy_status parse_fill_null(plan_ctx *c) {
  plan_cast_args *a = &c->step->args.cast;
  const cy_json *obj;
  CY_RETURN_NOT_OK(parse_column_map(c, &obj, a));
  a->values = plan_alloc(c, (size_t)a->n, sizeof *a->values);
  if (a->values == NULL) return CY_ENOMEM;
  for (int32_t i = 0; i < a->n; i++) {
    const cy_json *v = &obj->u.obj.members[i].value;
    const char *s;
    switch (v->kind) {
      case CY_JSON_INT: a->values[i] = cy_scalar_int64(v->u.i); break;
      case CY_JSON_DOUBLE: a->values[i] = cy_scalar_float64(v->u.d); break;
      case CY_JSON_BOOL: a->values[i] = cy_scalar_bool(v->u.b); break;
      case CY_JSON_STRING:
        CY_RETURN_NOT_OK(plan_as_string(c, "columns", v, &s));
        a->values[i] = cy_scalar_string(s);
        break;
      default:
        return plan_fail(c, v, CY_EINVAL, "\"columns\": a fill value is a number, a string or "
                         "a boolean, got %s", cy_json_kind_name(v->kind));
    }
  }
  return CY_OK;
}

/* ---- the op table ------------------------------------------------------------------- */

static const char *const no_keys[] = {NULL};
static const char *const read_keys[] = {"path", "format", "delimiter", "header", "nulls",
                                        "types", NULL};
static const char *const write_keys[] = {"path", "format", "delimiter", "header", NULL};
static const char *const columns_keys[] = {"columns", NULL};
static const char *const filter_keys[] = {"where", NULL};
static const char *const with_column_keys[] = {"name", "expr", NULL};
static const char *const join_keys[] = {"on", "left_on", "right_on", "how", "algorithm",
                                        "suffixes", "strategy", NULL};
static const char *const unique_keys[] = {"columns", "keep", NULL};
static const char *const sort_keys[] = {"by", "desc", "nulls_first", NULL};
static const char *const top_k_keys[] = {"by", "desc", "nulls_first", "k", NULL};
static const char *const groupby_keys[] = {"by", "aggs", NULL};
static const char *const aggregate_keys[] = {"aggs", NULL};
static const char *const head_keys[] = {"n", NULL};
static const char *const slice_keys[] = {"offset", "length", NULL};

#define ONE PLAN_ONE_INPUT, 1, true
static const plan_op_def ops[] = {
    {"read", PLAN_READ, PLAN_NO_INPUT, 0, true, read_keys, parse_read},
    {"write", PLAN_WRITE, PLAN_ONE_INPUT, 1, false, write_keys, parse_write},
    {"project", PLAN_PROJECT, ONE, columns_keys, parse_project},
    {"select", PLAN_PROJECT, ONE, columns_keys, parse_project},
    {"filter", PLAN_FILTER, ONE, filter_keys, parse_filter},
    {"with_column", PLAN_WITH_COLUMN, ONE, with_column_keys, parse_with_column},
    {"join", PLAN_JOIN, PLAN_TWO_INPUTS, 2, true, join_keys, parse_join},
    {"cross_join", PLAN_CROSS_JOIN, PLAN_TWO_INPUTS, 2, true, no_keys, parse_nothing},
    {"union_all", PLAN_UNION_ALL, PLAN_LIST_INPUTS, 1, true, no_keys, parse_nothing},
    {"concat", PLAN_UNION_ALL, PLAN_LIST_INPUTS, 1, true, no_keys, parse_nothing},
    {"union", PLAN_UNION, PLAN_LIST_INPUTS, 2, true, no_keys, parse_nothing},
    {"intersect", PLAN_INTERSECT, PLAN_LIST_INPUTS, 2, true, no_keys, parse_nothing},
    {"difference", PLAN_DIFFERENCE, PLAN_LIST_INPUTS, 2, true, no_keys, parse_nothing},
    {"except", PLAN_DIFFERENCE, PLAN_LIST_INPUTS, 2, true, no_keys, parse_nothing},
    {"unique", PLAN_UNIQUE, ONE, unique_keys, parse_unique},
    {"drop_duplicates", PLAN_UNIQUE, ONE, unique_keys, parse_unique},
    {"sort", PLAN_SORT, ONE, sort_keys, parse_sort},
    {"top_k", PLAN_TOP_K, ONE, top_k_keys, parse_sort},
    {"groupby", PLAN_GROUPBY, ONE, groupby_keys, parse_groupby},
    {"group_by", PLAN_GROUPBY, ONE, groupby_keys, parse_groupby},
    {"aggregate", PLAN_AGGREGATE, ONE, aggregate_keys, parse_aggregate},
    {"head", PLAN_HEAD, ONE, head_keys, parse_head},
    {"tail", PLAN_TAIL, ONE, head_keys, parse_head},
    {"slice", PLAN_SLICE, ONE, slice_keys, parse_slice},
    {"cast", PLAN_CAST, ONE, columns_keys, parse_cast},
    {"fill_null", PLAN_FILL_NULL, ONE, columns_keys, parse_fill_null},
    {"drop_null", PLAN_DROP_NULL, ONE, columns_keys, parse_drop_null},
};
#undef ONE
#define NUM_OPS (sizeof ops / sizeof ops[0])

const plan_op_def *plan_find_op(const char *name) {
  for (size_t i = 0; i < NUM_OPS; i++)
    if (strcmp(ops[i].name, name) == 0) return &ops[i];
  return NULL;
}

int plan_op_names(const char **names, int cap) {
  int n = 0;
  for (size_t i = 0; i < NUM_OPS && n + 1 < cap; i++) names[n++] = ops[i].name;
  names[n] = NULL;
  return n;
}

void plan_args_reset(plan_step *step) {
  if (step->op->kind == PLAN_FILTER || step->op->kind == PLAN_WITH_COLUMN) {
    cy_expr_release(step->args.expr.expr);
    step->args.expr.expr = NULL;
  }
}
