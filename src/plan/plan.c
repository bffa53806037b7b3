/*
 * plan.c - loading a plan: JSON to validated steps, and the key readers the ops use.
 *
 * Validation runs in two passes over "steps" so that every error is found before any
 * table is read. The first pass reads what each step is (an object with an op this build
 * knows and an id no other step has); the second reads each step's inputs, which must
 * name earlier steps that make tables, rejects keys the op does not take (typos are the
 * commonest plan bug), and lets the op's parser (plan_args.c) check and convert its own
 * keys. Finally each step learns which later step reads its table last, so the executor
 * can release tables early.
 *
 * Every message starts with the step, as "steps[INDEX] "ID" (OP): ", then the key, and
 * ends with the line and column of the offending value in the file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

#define MAX_PLAN_BYTES (64 << 20)

/* ---- allocation and errors ---------------------------------------------------------- */

void *plan_alloc(plan_ctx *c, size_t n, size_t size) {
  cy_plan *p = c->plan;
  if (p->num_allocs == p->cap_allocs) {
    int32_t cap = p->cap_allocs ? p->cap_allocs * 2 : 32;
    void **grown = realloc(p->allocs, (size_t)cap * sizeof *grown);
    if (grown == NULL) goto oom;
    p->allocs = grown;
    p->cap_allocs = cap;
  }
  void *mem = calloc(n ? n : 1, size ? size : 1);
  if (mem == NULL) goto oom;
  p->allocs[p->num_allocs++] = mem;
  return mem;
oom:
  cy_error_set(c->err, "out of memory reading the plan");
  return NULL;
}

/* "steps[3] "g" (groupby): " into buf. */
static void step_prefix(const plan_ctx *c, char *buf, size_t size) {
  const cy_plan *p = c->plan;
  const char *name = p->name ? p->name : "";
  const char *sep = p->name ? ": " : "";
  const plan_step *s = c->step;
  if (s == NULL) {
    snprintf(buf, size, "%s%s", name, sep);
    return;
  }
  int k = snprintf(buf, size, "%s%ssteps[%d]", name, sep, (int)s->index);
  if (k < 0 || (size_t)k >= size) return;
  if (s->id) k += snprintf(buf + k, size - (size_t)k, " \"%s\"", s->id);
  if (k >= 0 && (size_t)k < size && s->op_name)
    k += snprintf(buf + k, size - (size_t)k, " (%s)", s->op_name);
  if (k >= 0 && (size_t)k < size) snprintf(buf + k, size - (size_t)k, ": ");
}

cy_status plan_fail(plan_ctx *c, const cy_json *at, cy_status code, const char *fmt, ...) {
  char prefix[256], what[768];
  step_prefix(c, prefix, sizeof prefix);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (at != NULL)
    cy_error_set(c->err, "%s%s (line %d, column %d)", prefix, what, (int)at->line,
                 (int)at->column);
  else
    cy_error_set(c->err, "%s%s", prefix, what);
  return code;
}

/* ---- "did you mean" ----------------------------------------------------------------- */

/* Levenshtein distance, capped: words longer than 63 bytes are never close. */
static int edit_distance(const char *a, const char *b) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 63 || m > 63) return 1000;
  int row[64];
  for (size_t j = 0; j <= m; j++) row[j] = (int)j;
  for (size_t i = 1; i <= n; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= m; j++) {
      int up = row[j];
      int best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[m];
}

const char *plan_did_you_mean(const char *word, const char *const *names) {
  const char *best = NULL;
  int best_d = 1000;
  int limit = (int)strlen(word) / 3 + 1;
  for (int i = 0; names[i]; i++) {
    int d = edit_distance(word, names[i]);
    if (d < best_d) {
      best_d = d;
      best = names[i];
    }
  }
  return best_d <= limit ? best : NULL;
}

/* ---- key readers -------------------------------------------------------------------- */

const cy_json *plan_key(plan_ctx *c, const char *key, bool required, cy_status *st) {
  *st = CY_OK;
  const cy_json *v = cy_json_get(c->step->json, key);
  if (v == NULL && required)
    *st = plan_fail(c, c->step->json, CY_EINVAL, "missing key \"%s\"", key);
  return v;
}

static cy_status wrong_type(plan_ctx *c, const char *key, const cy_json *v, const char *want) {
  return plan_fail(c, v, CY_EINVAL, "\"%s\": expected %s, got %s", key, want,
                   cy_json_kind_name(v->kind));
}

cy_status plan_as_string(plan_ctx *c, const char *key, const cy_json *v, const char **out) {
  if (v->kind != CY_JSON_STRING) return wrong_type(c, key, v, "a string");
  if ((int64_t)strlen(v->u.str.data) != v->u.str.len)
    return plan_fail(c, v, CY_EINVAL, "\"%s\": the string holds a NUL character (\\u0000)",
                     key);
  *out = v->u.str.data;
  return CY_OK;
}

cy_status plan_string(plan_ctx *c, const char *key, bool required, const char **out) {
  cy_status st;
  const cy_json *v = plan_key(c, key, required, &st);
  if (v == NULL) return st;
  return plan_as_string(c, key, v, out);
}

cy_status plan_bool(plan_ctx *c, const char *key, bool *out) {
  const cy_json *v = cy_json_get(c->step->json, key);
  if (v == NULL) return CY_OK;
  if (v->kind != CY_JSON_BOOL) return wrong_type(c, key, v, "true or false");
  *out = v->u.b;
  return CY_OK;
}

cy_status plan_int(plan_ctx *c, const char *key, bool required, int64_t min, int64_t *out) {
  cy_status st;
  const cy_json *v = plan_key(c, key, required, &st);
  if (v == NULL) return st;
  if (v->kind != CY_JSON_INT) return wrong_type(c, key, v, "an integer");
  if (v->u.i < min)
    return plan_fail(c, v, CY_EINVAL, "\"%s\": expected an integer of at least %lld, got %lld",
                     key, (long long)min, (long long)v->u.i);
  *out = v->u.i;
  return CY_OK;
}

cy_status plan_number(plan_ctx *c, const char *key, const cy_json *v, double lo, double hi,
                      double *out) {
  double d;
  if (v->kind == CY_JSON_INT) d = (double)v->u.i;
  else if (v->kind == CY_JSON_DOUBLE) d = v->u.d;
  else return wrong_type(c, key, v, "a number");
  if (!(d >= lo && d <= hi))
    return plan_fail(c, v, CY_EINVAL, "\"%s\": expected a number from %g to %g, got %g", key,
                     lo, hi, d);
  *out = d;
  return CY_OK;
}

cy_status plan_strings(plan_ctx *c, const char *key, bool required, int32_t min,
                       const char ***out, int32_t *n) {
  cy_status st;
  *out = NULL;
  *n = 0;
  const cy_json *v = plan_key(c, key, required, &st);
  if (v == NULL) return st;
  if (v->kind == CY_JSON_STRING) { /* one name stands for a list of one */
    const char **list = plan_alloc(c, 1, sizeof *list);
    if (list == NULL) return CY_ENOMEM;
    CY_RETURN_NOT_OK(plan_as_string(c, key, v, &list[0]));
    *out = list;
    *n = 1;
    return CY_OK;
  }
  if (v->kind != CY_JSON_ARRAY) return wrong_type(c, key, v, "a string or an array of strings");
  if (v->u.arr.len < min)
    return plan_fail(c, v, CY_EINVAL, "\"%s\": expected at least %d name%s, got %lld", key,
                     (int)min, min == 1 ? "" : "s", (long long)v->u.arr.len);
  if (v->u.arr.len > INT32_MAX) return plan_fail(c, v, CY_EINVAL, "\"%s\": too long", key);
  const char **list = plan_alloc(c, (size_t)v->u.arr.len, sizeof *list);
  if (list == NULL) return CY_ENOMEM;
  for (int64_t i = 0; i < v->u.arr.len; i++) {
    const cy_json *item = &v->u.arr.items[i];
    if (item->kind != CY_JSON_STRING)
      return plan_fail(c, item, CY_EINVAL, "\"%s\"[%lld]: expected a string, got %s", key,
                       (long long)i, cy_json_kind_name(item->kind));
    CY_RETURN_NOT_OK(plan_as_string(c, key, item, &list[i]));
  }
  *out = list;
  *n = (int32_t)v->u.arr.len;
  return CY_OK;
}

cy_status plan_enum(plan_ctx *c, const char *key, const char *const *names, int *out) {
  const char *s;
  const cy_json *v = cy_json_get(c->step->json, key);
  if (v == NULL) return CY_OK;
  CY_RETURN_NOT_OK(plan_as_string(c, key, v, &s));
  char list[256] = "";
  size_t used = 0;
  for (int i = 0; names[i]; i++) {
    if (strcmp(s, names[i]) == 0) {
      *out = i;
      return CY_OK;
    }
    int k = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    if (k > 0 && used + (size_t)k < sizeof list) used += (size_t)k;
  }
  return plan_fail(c, v, CY_EINVAL, "\"%s\": expected one of %s; got \"%s\"", key, list, s);
}

cy_status plan_path(plan_ctx *c, const char *key, char **out) {
  const char *s;
  CY_RETURN_NOT_OK(plan_string(c, key, true, &s));
  if (*s == 0) return plan_fail(c, cy_json_get(c->step->json, key), CY_EINVAL,
                                "\"%s\": the path is empty", key);
  const char *base = c->plan->base_dir;
  bool relative = s[0] != '/' && strstr(s, "://") == NULL;
  size_t n = strlen(s) + (relative && base ? strlen(base) + 1 : 0) + 1;
  char *path = plan_alloc(c, n, 1);
  if (path == NULL) return CY_ENOMEM;
  if (relative && base) snprintf(path, n, "%s/%s", base, s);
  else memcpy(path, s, n);
  *out = path;
  return CY_OK;
}

cy_status plan_object(plan_ctx *c, const char *key, bool required, const cy_json **out) {
  cy_status st;
  *out = NULL;
  const cy_json *v = plan_key(c, key, required, &st);
  if (v == NULL) return st;
  if (v->kind != CY_JSON_OBJECT) return wrong_type(c, key, v, "an object");
  if (v->u.obj.len == 0) return plan_fail(c, v, CY_EINVAL, "\"%s\": the object is empty", key);
  *out = v;
  return CY_OK;
}

/* ---- steps: ids, ops, inputs, keys -------------------------------------------------- */

static int32_t find_id(const cy_plan *p, const char *id) {
  for (int32_t i = 0; i < p->num_steps; i++)
    if (p->steps[i].id && strcmp(p->steps[i].id, id) == 0) return i;
  return -1;
}

/* First pass over one step: its object, id and op. */
static cy_status read_step_head(plan_ctx *c, const cy_json *obj) {
  plan_step *s = c->step;
  s->json = obj;
  s->last_use = -1;
  if (obj->kind != CY_JSON_OBJECT)
    return plan_fail(c, obj, CY_EINVAL, "expected a step (an object), got %s",
                     cy_json_kind_name(obj->kind));
  const cy_json *id = cy_json_get(obj, "id");
  if (id != NULL) {
    CY_RETURN_NOT_OK(plan_as_string(c, "id", id, &s->id));
    if (*s->id == 0) return plan_fail(c, id, CY_EINVAL, "\"id\": the id is empty");
    int32_t other = find_id(c->plan, s->id);
    if (other >= 0 && other < s->index)
      return plan_fail(c, id, CY_EINVAL, "\"id\": steps[%d] already has the id \"%s\"",
                       (int)other, s->id);
  }
  const char *op;
  CY_RETURN_NOT_OK(plan_string(c, "op", true, &op));
  s->op = plan_find_op(op);
  if (s->op == NULL) {
    const char *names[64];
    plan_op_names(names, 64);
    const char *guess = plan_did_you_mean(op, names);
    return plan_fail(c, cy_json_get(obj, "op"), CY_EINVAL, "unknown op \"%s\"%s%s%s", op,
                     guess ? " (did you mean \"" : "", guess ? guess : "", guess ? "\"?)" : "");
  }
  s->op_name = op;
  return CY_OK;
}

/* The step named by the reference v (a string id), which must come earlier. */
static cy_status resolve_input(plan_ctx *c, const char *key, const cy_json *v, int32_t *out) {
  const char *ref;
  CY_RETURN_NOT_OK(plan_as_string(c, key, v, &ref));
  cy_plan *p = c->plan;
  int32_t i = find_id(p, ref);
  if (i < 0) {
    const char **ids = plan_alloc(c, (size_t)c->step->index + 1, sizeof *ids);
    if (ids == NULL) return CY_ENOMEM;
    int32_t k = 0;
    for (int32_t j = 0; j < c->step->index; j++)
      if (p->steps[j].id) ids[k++] = p->steps[j].id;
    const char *guess = plan_did_you_mean(ref, ids);
    return plan_fail(c, v, CY_EINVAL, "\"%s\": no step has the id \"%s\"%s%s%s", key, ref,
                     guess ? " (did you mean \"" : "", guess ? guess : "", guess ? "\"?)" : "");
  }
  if (i == c->step->index)
    return plan_fail(c, v, CY_EINVAL, "\"%s\": a step cannot use its own output", key);
  if (i > c->step->index)
    return plan_fail(c, v, CY_EINVAL, "\"%s\": step \"%s\" comes later (steps[%d]); a step "
                     "can only use the steps before it", key, ref, (int)i);
  if (!p->steps[i].op->makes_table)
    return plan_fail(c, v, CY_EINVAL, "\"%s\": step \"%s\" is a %s, which makes no table",
                     key, ref, p->steps[i].op_name);
  *out = i;
  return CY_OK;
}

static cy_status read_inputs(plan_ctx *c) {
  plan_step *s = c->step;
  const plan_op_def *op = s->op;
  static const char *const one[] = {"input"}, *const two[] = {"left", "right"};
  if (op->inputs == PLAN_ONE_INPUT || op->inputs == PLAN_TWO_INPUTS) {
    int32_t n = op->inputs == PLAN_ONE_INPUT ? 1 : 2;
    const char *const *keys = n == 1 ? one : two;
    s->inputs = plan_alloc(c, (size_t)n, sizeof *s->inputs);
    if (s->inputs == NULL) return CY_ENOMEM;
    for (int32_t k = 0; k < n; k++) {
      cy_status st;
      const cy_json *v = plan_key(c, keys[k], true, &st);
      if (v == NULL) return st;
      CY_RETURN_NOT_OK(resolve_input(c, keys[k], v, &s->inputs[k]));
    }
    s->num_inputs = n;
  } else if (op->inputs == PLAN_LIST_INPUTS) {
    cy_status st;
    const cy_json *v = plan_key(c, "inputs", true, &st);
    if (v == NULL) return st;
    if (v->kind != CY_JSON_ARRAY)
      return wrong_type(c, "inputs", v, "an array of step ids");
    if (v->u.arr.len < op->min_inputs || v->u.arr.len > INT32_MAX)
      return plan_fail(c, v, CY_EINVAL, "\"inputs\": expected at least %d step ids, got %lld",
                       (int)op->min_inputs, (long long)v->u.arr.len);
    s->inputs = plan_alloc(c, (size_t)v->u.arr.len, sizeof *s->inputs);
    if (s->inputs == NULL) return CY_ENOMEM;
    for (int64_t k = 0; k < v->u.arr.len; k++)
      CY_RETURN_NOT_OK(resolve_input(c, "inputs", &v->u.arr.items[k], &s->inputs[k]));
    s->num_inputs = (int32_t)v->u.arr.len;
  }
  return CY_OK;
}

static bool in_list(const char *key, const char *const *list) {
  for (int i = 0; list && list[i]; i++)
    if (strcmp(key, list[i]) == 0) return true;
  return false;
}

/* The names of list that obj does not have (a typo's likely intent is a key not given),
 * into out (room for 64). */
static const char *const *absent_keys(const cy_json *obj, const char *const *list,
                                      const char **out) {
  int n = 0;
  for (int i = 0; list[i] && n < 63; i++)
    if (cy_json_get(obj, list[i]) == NULL) out[n++] = list[i];
  out[n] = NULL;
  return out;
}

/* Reject keys the op does not take, suggesting the likely intended one. */
static cy_status check_keys(plan_ctx *c) {
  static const char *const common[] = {"id", "op", "output", "comment", NULL};
  static const char *const inputs[][3] = {{NULL}, {"input", NULL}, {"left", "right", NULL},
                                          {"inputs", NULL}};
  const plan_op_def *op = c->step->op;
  const char *const *own = inputs[op->inputs];
  const char *all[64];
  int n = 0;
  for (int i = 0; common[i]; i++) all[n++] = common[i];
  for (int i = 0; own[i]; i++) all[n++] = own[i];
  for (int i = 0; op->keys[i] && n < 63; i++) all[n++] = op->keys[i];
  all[n] = NULL;
  const cy_json *obj = c->step->json;
  const char *unused[64];
  for (int64_t m = 0; m < obj->u.obj.len; m++) {
    const char *key = obj->u.obj.members[m].key;
    if (in_list(key, all)) continue;
    const char *guess = plan_did_you_mean(key, absent_keys(obj, all, unused));
    char list[512] = "";
    size_t used = 0;
    for (int i = (int)(sizeof common / sizeof *common) - 1; all[i]; i++) {
      int k = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", all[i]);
      if (k > 0 && used + (size_t)k < sizeof list) used += (size_t)k;
    }
    cy_json at = {.line = obj->u.obj.members[m].key_line,
                  .column = obj->u.obj.members[m].key_column};
    return plan_fail(c, &at, CY_EINVAL, "unknown key \"%s\"%s%s%s; %s takes %s", key,
                     guess ? " (did you mean \"" : "", guess ? guess : "", guess ? "\"?)" : "",
                     c->step->op_name, used ? list : "no other keys");
  }
  return CY_OK;
}

/* Second pass over one step: keys, inputs, the op's own options. */
static cy_status read_step_body(plan_ctx *c, int32_t *output_step) {
  plan_step *s = c->step;
  CY_RETURN_NOT_OK(check_keys(c));
  CY_RETURN_NOT_OK(read_inputs(c));
  CY_RETURN_NOT_OK(plan_bool(c, "output", &s->output));
  if (s->output && !s->op->makes_table)
    return plan_fail(c, cy_json_get(s->json, "output"), CY_EINVAL,
                     "\"output\": a %s makes no table to output", s->op_name);
  if (s->output && *output_step >= 0)
    return plan_fail(c, cy_json_get(s->json, "output"), CY_EINVAL,
                     "\"output\": steps[%d] is already the output; only one step can be",
                     (int)*output_step);
  if (s->output) *output_step = s->index;
  const cy_json *comment = cy_json_get(s->json, "comment");
  if (comment && comment->kind != CY_JSON_STRING)
    return wrong_type(c, "comment", comment, "a string");
  CY_RETURN_NOT_OK(s->op->parse(c));
  if (plan_local_backend.run[s->op->kind] == NULL)
    return plan_fail(c, cy_json_get(s->json, "op"), CY_ENOTSUP,
                     "the %s operator is not available in this build yet", s->op_name);
  return CY_OK;
}

/* The top level: {"steps": [...]} with an optional "name" and "comment". */
static cy_status read_top(plan_ctx *c, const cy_json **steps) {
  const cy_json *root = cy_json_doc_root(c->plan->doc);
  cy_json at = {.line = root->line, .column = root->column};
  if (root->kind != CY_JSON_OBJECT)
    return plan_fail(c, &at, CY_EINVAL, "a plan is an object with \"steps\", got %s",
                     cy_json_kind_name(root->kind));
  for (int64_t m = 0; m < root->u.obj.len; m++) {
    const cy_json_member *mem = &root->u.obj.members[m];
    if (strcmp(mem->key, "steps") != 0 && strcmp(mem->key, "name") != 0 &&
        strcmp(mem->key, "comment") != 0) {
      at.line = mem->key_line;
      at.column = mem->key_column;
      return plan_fail(c, &at, CY_EINVAL, "unknown key \"%s\" (a plan has \"steps\" and "
                       "optionally \"name\" and \"comment\")", mem->key);
    }
  }
  *steps = cy_json_get(root, "steps");
  if (*steps == NULL) return plan_fail(c, &at, CY_EINVAL, "missing key \"steps\"");
  if ((*steps)->kind != CY_JSON_ARRAY)
    return plan_fail(c, *steps, CY_EINVAL, "\"steps\": expected an array, got %s",
                     cy_json_kind_name((*steps)->kind));
  if ((*steps)->u.arr.len == 0)
    return plan_fail(c, *steps, CY_EINVAL, "\"steps\": the plan has no steps");
  if ((*steps)->u.arr.len > 1000000)
    return plan_fail(c, *steps, CY_EINVAL, "\"steps\": too many steps");
  return CY_OK;
}

/* Who reads each table last, and which table is the result. */
static void plan_lifetimes(cy_plan *p, int32_t output_step) {
  for (int32_t i = 0; i < p->num_steps; i++)
    for (int32_t k = 0; k < p->steps[i].num_inputs; k++)
      p->steps[p->steps[i].inputs[k]].last_use = i;
  p->result = output_step;
  if (p->result < 0 && p->steps[p->num_steps - 1].op->makes_table) p->result = p->num_steps - 1;
}

static cy_status read_plan(cy_plan *p, cy_error *err) {
  plan_ctx c = {p, NULL, err};
  const cy_json *steps = NULL;
  CY_RETURN_NOT_OK(read_top(&c, &steps));
  p->steps = plan_alloc(&c, (size_t)steps->u.arr.len, sizeof *p->steps);
  if (p->steps == NULL) return CY_ENOMEM;
  p->num_steps = (int32_t)steps->u.arr.len;
  for (int32_t i = 0; i < p->num_steps; i++) {
    p->steps[i].index = i;
    p->steps[i].last_use = -1;
  }
  for (int32_t i = 0; i < p->num_steps; i++) {
    c.step = &p->steps[i];
    CY_RETURN_NOT_OK(read_step_head(&c, &steps->u.arr.items[i]));
  }
  int32_t output_step = -1;
  for (int32_t i = 0; i < p->num_steps; i++) {
    c.step = &p->steps[i];
    CY_RETURN_NOT_OK(read_step_body(&c, &output_step));
  }
  plan_lifetimes(p, output_step);
  return CY_OK;
}

/* ---- public API --------------------------------------------------------------------- */

void cy_plan_options_init(cy_plan_options *opts) {
  opts->base_dir = NULL;
  opts->name = NULL;
}

cy_status cy_plan_parse(const char *text, size_t len, const cy_plan_options *opts,
                        cy_plan **out, cy_error *err) {
  cy_plan_options defaults;
  if (opts == NULL) {
    cy_plan_options_init(&defaults);
    opts = &defaults;
  }
  *out = NULL;
  cy_plan *p = calloc(1, sizeof *p);
  if (p == NULL) {
    cy_error_set(err, "out of memory reading the plan");
    return CY_ENOMEM;
  }
  p->result = -1;
  cy_status st = CY_ENOMEM;
  if ((opts->name && (p->name = strdup(opts->name)) == NULL) ||
      (opts->base_dir && (p->base_dir = strdup(opts->base_dir)) == NULL)) {
    cy_error_set(err, "out of memory reading the plan");
    goto done;
  }
  cy_json_parse_options jo;
  cy_json_parse_options_init(&jo);
  jo.name = opts->name;
  st = cy_json_parse(text, len, &jo, &p->doc, err);
  if (st == CY_OK) st = read_plan(p, err);
done:
  if (st != CY_OK) {
    cy_plan_release(p);
    return st;
  }
  *out = p;
  return CY_OK;
}

/* The whole file at path into a malloc'd buffer. */
static cy_status read_file(const char *path, char **data, size_t *len, cy_error *err) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    int e = errno;
    cy_error_set(err, "cannot open the plan %s: %s", path, strerror(e));
    return e == ENOENT ? CY_ENOENT : CY_EIO;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  cy_status st = buf ? CY_OK : CY_ENOMEM;
  while (st == CY_OK) {
    if (n == cap) {
      char *grown = cap < MAX_PLAN_BYTES ? realloc(buf, cap * 2) : NULL;
      if (grown == NULL) {
        st = cap < MAX_PLAN_BYTES ? CY_ENOMEM : CY_EINVAL;
        break;
      }
      buf = grown;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (st == CY_OK && ferror(f)) st = CY_EIO;
  fclose(f);
  if (st != CY_OK) {
    free(buf);
    cy_error_set(err, "cannot read the plan %s: %s", path,
                 st == CY_EINVAL ? "larger than 64 MiB" : strerror(st));
    return st;
  }
  *data = buf;
  *len = n;
  return CY_OK;
}

cy_status cy_plan_load(const char *path, cy_plan **out, cy_error *err) {
  char *text;
  size_t len;
  *out = NULL;
  CY_RETURN_NOT_OK(read_file(path, &text, &len, err));
  char *dir = strdup(path);
  if (dir == NULL) {
    free(text);
    cy_error_set(err, "out of memory reading the plan");
    return CY_ENOMEM;
  }
  char *slash = strrchr(dir, '/');
  if (slash == dir) slash[1] = 0; /* "/plan.json": the root */
  else if (slash) *slash = 0;
  cy_plan_options opts;
  cy_plan_options_init(&opts);
  opts.name = path;
  opts.base_dir = slash ? dir : NULL;
  cy_status st = cy_plan_parse(text, len, &opts, out, err);
  free(dir);
  free(text);
  return st;
}

void cy_plan_release(cy_plan *plan) {
  if (plan == NULL) return;
  for (int32_t i = 0; i < plan->num_steps; i++)
    if (plan->steps[i].op) plan_args_reset(&plan->steps[i]);
  for (int32_t i = 0; i < plan->num_allocs; i++) free(plan->allocs[i]);
  free(plan->allocs);
  cy_json_doc_free(plan->doc);
  free(plan->name);
  free(plan->base_dir);
  free(plan);
}

int32_t cy_plan_num_steps(const cy_plan *plan) { return plan->num_steps; }

const char *cy_plan_step_id(const cy_plan *plan, int32_t i) { return plan->steps[i].id; }

const char *cy_plan_step_op(const cy_plan *plan, int32_t i) { return plan->steps[i].op_name; }

int32_t cy_plan_result_step(const cy_plan *plan) { return plan->result; }
