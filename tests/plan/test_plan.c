/*
 * test_plan.c - plans (src/plan/): validation of every kind of bad plan, with the exact
 * fragments of its message, and small plans run end to end on hand-made files whose
 * results are checked by hand.
 *
 * Validation messages have the shape
 *   NAME: steps[INDEX] "ID" (OP): "KEY": WHAT (line L, column C)
 * and each test checks the parts that matter for that case. The run tests write their
 * CSV files into a fresh temporary directory, which is the plans' base directory, so
 * relative paths in the plans are resolved against it.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static char dir[64];

/* ---- validation --------------------------------------------------------------------- */

static cy_status parse_plan(const char *json, cy_plan **plan, cy_error *err) {
  cy_plan_options o;
  cy_plan_options_init(&o);
  o.name = "plan.json";
  o.base_dir = dir;
  return cy_plan_parse(json, strlen(json), &o, plan, err);
}

/* The plan must be refused with status code and a message holding every needle. */
static void bad_code(const char *json, cy_status code, const char *n1, const char *n2) {
  cy_error err;
  err.message[0] = 0;
  cy_plan *plan = NULL;
  cy_status st = parse_plan(json, &plan, &err);
  if (st != code || plan != NULL || strstr(err.message, n1) == NULL ||
      (n2 && strstr(err.message, n2) == NULL)) {
    fprintf(stderr, "plan %s\n  expected %s with \"%s\"%s%s%s; got %s: \"%s\"\n", json,
            cy_status_name(code), n1, n2 ? " and \"" : "", n2 ? n2 : "", n2 ? "\"" : "",
            cy_status_name(st), err.message);
    test_failures++;
  }
  cy_plan_release(plan);
}

static void bad(const char *json, const char *n1, const char *n2) {
  bad_code(json, CY_EINVAL, n1, n2);
}

#define READ_A "{\"id\": \"a\", \"op\": \"read\", \"path\": \"a.csv\"}"
#define READ_B "{\"id\": \"b\", \"op\": \"read\", \"path\": \"b.csv\"}"
/* A plan of READ_A then one more step. */
#define WITH_A(step) "{\"steps\": [" READ_A ", " step "]}"

static void test_plan_shape(void) {
  bad("{\"steps\": [", "plan.json: line 1, column 12: expected a value", NULL);
  bad("[]", "plan.json: a plan is an object with \"steps\", got an array (line 1, column 1)",
      NULL);
  bad("{\"stepz\": []}", "unknown key \"stepz\" (a plan has \"steps\"", "(line 1, column 2)");
  bad("{\"name\": \"x\"}", "plan.json: missing key \"steps\"", NULL);
  bad("{\"steps\": {}}", "\"steps\": expected an array, got an object", NULL);
  bad("{\"steps\": []}", "\"steps\": the plan has no steps", NULL);
  bad("{\"steps\": [\"read\"]}", "plan.json: steps[0]: expected a step (an object), got a string",
      NULL);
  bad("{\"steps\": [{\"id\": \"a\"}]}", "steps[0] \"a\": missing key \"op\"", NULL);
  bad("{\"steps\": [{\"op\": 7}]}", "steps[0]: \"op\": expected a string, got an integer",
      "(line 1, column 19)");
  bad(WITH_A("{\"id\": \"j\", \"op\": \"jion\"}"),
      "steps[1] \"j\": unknown op \"jion\" (did you mean \"join\"?)", NULL);
  bad(WITH_A("{\"op\": \"frobnicate\"}"), "steps[1]: unknown op \"frobnicate\"", NULL);
  bad(WITH_A("{\"id\": \"a\", \"op\": \"head\", \"input\": \"a\"}"),
      "steps[1] \"a\": \"id\": steps[0] already has the id \"a\"", NULL);
  bad(WITH_A("{\"id\": \"\", \"op\": \"head\", \"input\": \"a\"}"), "\"id\": the id is empty",
      NULL);
  bad(WITH_A("{\"id\": 3, \"op\": \"head\", \"input\": \"a\"}"),
      "steps[1]: \"id\": expected a string, got an integer", NULL);
  bad(WITH_A("{\"op\": \"head\", \"input\": \"a\", \"comment\": 1}"),
      "\"comment\": expected a string, got an integer", NULL);
  /* A duplicate key in a step is a JSON error, with its place. */
  bad("{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\", \"path\": \"b.csv\"}]}",
      "line 1, column 44: the key \"path\" appears twice in one object (first at line 1, "
      "column 27)", NULL);
}

static void test_references(void) {
  bad("{\"steps\": [" READ_A ", " READ_B ", {\"id\": \"j\", \"op\": \"join\", \"left\": \"a\", "
      "\"right\": \"bb\", \"on\": \"k\"}]}",
      "plan.json: steps[2] \"j\" (join): \"right\": no step has the id \"bb\" (did you mean "
      "\"b\"?)", "(line 1, column 148)");
  bad(WITH_A("{\"id\": \"h\", \"op\": \"head\", \"input\": \"zzz\"}"),
      "\"input\": no step has the id \"zzz\"", NULL);
  bad("{\"steps\": [{\"id\": \"h\", \"op\": \"head\", \"input\": \"a\"}, " READ_A "]}",
      "steps[0] \"h\" (head): \"input\": step \"a\" comes later (steps[1]); a step can only "
      "use the steps before it", NULL);
  bad(WITH_A("{\"id\": \"h\", \"op\": \"head\", \"input\": \"h\"}"),
      "\"input\": a step cannot use its own output", NULL);
  bad("{\"steps\": [" READ_A ", {\"id\": \"w\", \"op\": \"write\", \"input\": \"a\", \"path\": "
      "\"o.csv\"}, {\"op\": \"head\", \"input\": \"w\"}]}",
      "steps[2] (head): \"input\": step \"w\" is a write, which makes no table", NULL);
  bad(WITH_A("{\"op\": \"head\"}"), "steps[1] (head): missing key \"input\"", NULL);
  bad(WITH_A("{\"op\": \"head\", \"input\": [\"a\"]}"),
      "\"input\": expected a string, got an array", NULL);
  bad(WITH_A("{\"op\": \"join\", \"left\": \"a\", \"on\": \"k\"}"), "missing key \"right\"",
      NULL);
  bad(WITH_A("{\"op\": \"concat\", \"inputs\": \"a\"}"),
      "\"inputs\": expected an array of step ids, got a string", NULL);
  bad(WITH_A("{\"op\": \"union\", \"inputs\": [\"a\"]}"),
      "\"inputs\": expected at least 2 step ids, got 1", NULL);
  bad(WITH_A("{\"op\": \"concat\", \"inputs\": []}"), "expected at least 1 step ids", NULL);
  bad(WITH_A("{\"op\": \"intersect\", \"inputs\": [\"a\", \"b\"]}"),
      "\"inputs\": no step has the id \"b\"", NULL);
}

static void test_keys(void) {
  bad(WITH_A("{\"op\": \"head\", \"input\": \"a\", \"m\": 3}"),
      "steps[1] (head): unknown key \"m\" (did you mean \"n\"?); head takes input, n",
      "(line 1, column 85)");
  bad(WITH_A("{\"op\": \"filter\", \"input\": \"a\", \"wher\": \"k > 1\"}"),
      "unknown key \"wher\" (did you mean \"where\"?)", NULL);
  bad(WITH_A("{\"op\": \"cross_join\", \"left\": \"a\", \"right\": \"a\", \"on\": \"k\"}"),
      "unknown key \"on\"; cross_join takes left, right (line", NULL);
  bad("{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\", \"input\": \"x\"}]}",
      "unknown key \"input\"", NULL);
  bad(WITH_A("{\"op\": \"head\", \"input\": \"a\", \"n\": \"5\"}"),
      "\"n\": expected an integer, got a string", NULL);
  bad(WITH_A("{\"op\": \"head\", \"input\": \"a\", \"n\": 1.5}"),
      "\"n\": expected an integer, got a number", NULL);
  bad(WITH_A("{\"op\": \"tail\", \"input\": \"a\", \"n\": -1}"),
      "\"n\": expected an integer of at least 0, got -1", NULL);
  bad(WITH_A("{\"op\": \"slice\", \"input\": \"a\", \"length\": 2}"), "missing key \"offset\"",
      NULL);
  bad(WITH_A("{\"op\": \"head\", \"input\": \"a\", \"output\": \"yes\"}"),
      "\"output\": expected true or false, got a string", NULL);
  bad("{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\", \"output\": true}, {\"op\": \"head\", "
      "\"input\": \"x\"}]}", "no step has the id \"x\"", NULL);
  bad("{\"steps\": [{\"id\": \"a\", \"op\": \"read\", \"path\": \"a.csv\", \"output\": true}, "
      "{\"op\": \"head\", \"input\": \"a\", \"output\": true}]}",
      "steps[1] (head): \"output\": steps[0] is already the output; only one step can be", NULL);
  bad(WITH_A("{\"op\": \"write\", \"input\": \"a\", \"path\": \"o.csv\", \"output\": true}"),
      "\"output\": a write makes no table to output", NULL);
  bad(WITH_A("{\"op\": \"select\", \"input\": \"a\", \"columns\": [\"k\\u0000\"]}"),
      "\"columns\": the string holds a NUL character", NULL);
}

static void test_read_write(void) {
  bad("{\"steps\": [{\"id\": \"a\", \"op\": \"read\"}]}", "steps[0] \"a\" (read): missing key "
      "\"path\"", NULL);
  bad("{\"steps\": [{\"op\": \"read\", \"path\": \"\"}]}", "\"path\": the path is empty", NULL);
  bad_code("{\"steps\": [{\"op\": \"read\", \"path\": \"a.orc\"}]}", CY_ENOTSUP,
           "\"path\": ", "a.orc: unknown file format '.orc'");
  bad_code("{\"steps\": [{\"op\": \"read\", \"path\": \"a.dat\", \"format\": \"orc\"}]}",
           CY_ENOTSUP, "\"format\": unknown file format 'orc' (cylon knows csv, parquet", NULL);
  bad("{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\", \"delimiter\": \";;\"}]}",
      "\"delimiter\": expected one character", NULL);
  bad("{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\", \"header\": \"yes\"}]}",
      "\"header\": expected true or false, got a string", NULL);
  bad("{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\", \"nulls\": 5}]}",
      "\"nulls\": expected a string or an array of strings, got an integer", NULL);
  bad("{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\", \"nulls\": [\"\", 1]}]}",
      "\"nulls\"[1]: expected a string, got an integer", NULL);
  bad("{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\", \"types\": {\"k\": \"int99\"}}]}",
      "\"types\": ", "int99");
  bad("{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\", \"types\": [\"int64\"]}]}",
      "\"types\": expected an object, got an array", NULL);
  bad_code(WITH_A("{\"op\": \"write\", \"input\": \"a\", \"path\": \"out/\", \"format\": \"xls\"}"),
           CY_ENOTSUP, "steps[1] (write): \"format\": unknown file format 'xls'", NULL);
  bad(WITH_A("{\"op\": \"write\", \"input\": \"a\"}"), "steps[1] (write): missing key \"path\"",
      NULL);
}

static void test_op_options(void) {
  const char *two = "{\"steps\": [" READ_A ", " READ_B ", %s]}";
  char buf[1024];
#define TWO(step) (snprintf(buf, sizeof buf, two, step), buf)
  bad(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\"}"),
      "missing key \"on\" (or \"left_on\" and \"right_on\")", NULL);
  bad(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"on\": \"k\", \"left_on\": "
          "\"k\"}"), "give either \"on\" or \"left_on\" and \"right_on\", not both", NULL);
  bad(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"left_on\": \"k\"}"),
      "missing key \"right_on\" to go with \"left_on\"", NULL);
  bad(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"left_on\": [\"k\", \"v\"], "
          "\"right_on\": [\"k\"]}"), "\"left_on\" has 2 columns but \"right_on\" has 1", NULL);
  bad(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"on\": [], \"how\": \"inner\"}"),
      "\"on\": expected at least 1 name, got 0", NULL);
  bad(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"on\": \"k\", \"how\": "
          "\"innr\"}"),
      "\"how\": expected one of inner, left, right, full, outer, semi, anti; got \"innr\"", NULL);
  bad(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"on\": \"k\", \"algorithm\": "
          "\"nested\"}"), "\"algorithm\": expected one of hash, sort, sort_merge", NULL);
  bad(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"on\": \"k\", \"strategy\": "
          "\"scatter\"}"), "\"strategy\": expected one of auto, shuffle, broadcast", NULL);
  bad(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"on\": \"k\", \"suffixes\": "
          "[\"_l\", \"_r\", \"_x\"]}"), "\"suffixes\": expected two suffixes (left, right), got 3",
      NULL);
  bad(WITH_A("{\"op\": \"filter\", \"input\": \"a\"}"), "missing key \"where\"", NULL);
  bad(WITH_A("{\"op\": \"filter\", \"input\": \"a\", \"where\": \"k >\"}"),
      "steps[1] (filter): \"where\": ", "expression 'k >': at position 4: expected a value, "
      "a column or '(' but found the end of the expression (line 1, column 96)");
  bad(WITH_A("{\"op\": \"with_column\", \"input\": \"a\", \"name\": \"x\", \"expr\": \"(k + \"}"),
      "\"expr\": ", NULL);
  bad(WITH_A("{\"op\": \"with_column\", \"input\": \"a\", \"expr\": \"k + 1\"}"),
      "missing key \"name\"", NULL);
  bad(WITH_A("{\"op\": \"project\", \"input\": \"a\", \"columns\": [\"k\", \"k\"]}"),
      "\"columns\": the column \"k\" is named twice", NULL);
  bad(WITH_A("{\"op\": \"project\", \"input\": \"a\", \"columns\": {\"x\": 1}}"),
      "\"columns\": expected a string, got an integer", NULL);
  bad(WITH_A("{\"op\": \"project\", \"input\": \"a\", \"columns\": {}}"),
      "\"columns\": the object is empty", NULL);
  bad(WITH_A("{\"op\": \"unique\", \"input\": \"a\", \"keep\": \"none\"}"),
      "\"keep\": expected one of first, last; got \"none\"", NULL);
  bad(WITH_A("{\"op\": \"sort\", \"input\": \"a\"}"), "missing key \"by\"", NULL);
  bad(WITH_A("{\"op\": \"sort\", \"input\": \"a\", \"by\": []}"),
      "\"by\": expected at least one sort key", NULL);
  bad(WITH_A("{\"op\": \"sort\", \"input\": \"a\", \"by\": [{\"col\": \"k\"}]}"),
      "\"by\": unknown key \"col\" in a sort key (column, desc, nulls_first)", NULL);
  bad(WITH_A("{\"op\": \"sort\", \"input\": \"a\", \"by\": [{\"column\": \"k\", \"desc\": 1}]}"),
      "\"by\": \"desc\" takes true or false", NULL);
  bad(WITH_A("{\"op\": \"sort\", \"input\": \"a\", \"by\": [{\"desc\": true}]}"),
      "\"by\": a sort key needs \"column\"", NULL);
  bad(WITH_A("{\"op\": \"sort\", \"input\": \"a\", \"by\": [3]}"),
      "\"by\": expected a column name or", NULL);
  bad(WITH_A("{\"op\": \"top_k\", \"input\": \"a\", \"by\": \"k\"}"), "missing key \"k\"", NULL);
  bad(WITH_A("{\"op\": \"cast\", \"input\": \"a\", \"columns\": {\"k\": \"nonsense\"}}"),
      "\"columns\": ", "nonsense");
  bad(WITH_A("{\"op\": \"cast\", \"input\": \"a\", \"columns\": [\"k\"]}"),
      "\"columns\": expected an object, got an array", NULL);
  bad(WITH_A("{\"op\": \"fill_null\", \"input\": \"a\", \"columns\": {\"k\": null}}"),
      "\"columns\": a fill value is a number, a string or a boolean, got null", NULL);
  bad(WITH_A("{\"op\": \"drop_null\", \"input\": \"a\", \"columns\": {}}"),
      "\"columns\": expected a string or an array of strings, got an object", NULL);
#undef TWO
}

static void test_aggs(void) {
  bad(WITH_A("{\"op\": \"groupby\", \"input\": \"a\", \"aggs\": {\"v\": \"sum\"}}"),
      "missing key \"by\"", NULL);
  bad(WITH_A("{\"op\": \"groupby\", \"input\": \"a\", \"by\": [], \"aggs\": {\"v\": \"sum\"}}"),
      "\"by\": expected at least 1 name, got 0", NULL);
  bad(WITH_A("{\"op\": \"groupby\", \"input\": \"a\", \"by\": [\"k\", \"k\"], \"aggs\": "
             "{\"v\": \"sum\"}}"), "\"by\": the column \"k\" is named twice", NULL);
  bad(WITH_A("{\"op\": \"groupby\", \"input\": \"a\", \"by\": \"k\"}"), "missing key \"aggs\"",
      NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": \"sum\"}"),
      "\"aggs\": expected {\"column\": [\"sum\", ...]} or [{\"column\": ..., \"op\": ...}], got "
      "a string", NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": {}}"), "\"aggs\": no aggregates",
      NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": {\"v\": []}}"),
      "\"aggs\": no aggregates for \"v\"", NULL);
  bad(WITH_A("{\"op\": \"groupby\", \"input\": \"a\", \"by\": \"k\", \"aggs\": {\"v\": "
             "[\"sum\", \"summ\"]}}"),
      "\"aggs\": unknown aggregate \"summ\" (did you mean \"sum\"?)", "(line 1, column 121)");
  bad(WITH_A("{\"op\": \"groupby\", \"input\": \"a\", \"by\": \"k\", \"aggs\": {\"v\": "
             "\"zzzzzz\"}}"), "\"aggs\": unknown aggregate 'zzzzzz'", NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": {\"v\": \"quantile\"}}"),
      "\"aggs\": a quantile needs \"q\": write it as [{\"column\": \"v\"", NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": [{\"column\": \"v\"}]}"),
      "\"aggs\": an aggregate needs \"op\"", NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": [{\"op\": \"sum\"}]}"),
      "\"aggs\": the sum aggregate needs \"column\"", NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": [{\"column\": \"v\", \"op\": "
             "\"quantile\", \"q\": 1.5}]}"), "\"q\": expected a number from 0 to 1, got 1.5", NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": [{\"column\": \"v\", \"op\": "
             "\"quantile\"}]}"), "\"aggs\": a quantile needs \"q\" (from 0 to 1)", NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": [{\"column\": \"v\", \"op\": "
             "\"sum\", \"q\": 0.5}]}"), "\"aggs\": \"q\" belongs to a quantile only", NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": [{\"column\": \"v\", \"op\": "
             "\"sum\", \"as\": \"s\"}]}"),
      "\"aggs\": unknown key \"as\" in an aggregate (column, op, name, q)", NULL);
  bad(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": [\"sum\"]}"),
      "\"aggs\": expected {\"column\": ..., \"op\": ...}, got a string", NULL);
}

/* ---- running ------------------------------------------------------------------------ */

static void write_file(const char *name, const char *text) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f == NULL) return;
  fputs(text, f);
  fclose(f);
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The table as "name:type,..." then one line per row ("v|v|..."; nulls as "null"), the
 * rows sorted when the operator's order is unspecified. Returns a malloc'd string. */
static char *render(const cy_table *t, bool sort_rows) {
  size_t cap = 4096, len = 0;
  char *out = calloc(1, cap);
  char **rows = calloc((size_t)t->num_rows + 1, sizeof *rows);
  char line[1024], cell[256], tn[64];
  int k = 0;
  for (int32_t c = 0; c < t->schema.num_fields; c++)
    k += snprintf(line + k, sizeof line - (size_t)k, "%s%s:%s", c ? "," : "",
                  t->schema.fields[c].name, cy_type_name(&t->schema.fields[c].type, tn, sizeof tn));
  len += (size_t)snprintf(out, cap, "%s\n", line);
  for (int64_t r = 0; r < t->num_rows; r++) {
    k = 0;
    for (int32_t c = 0; c < t->schema.num_fields; c++) {
      cy_column_format_value(t->columns[c], r, "null", cell, sizeof cell);
      k += snprintf(line + k, sizeof line - (size_t)k, "%s%s", c ? "|" : "", cell);
    }
    rows[r] = strdup(line);
  }
  if (sort_rows) qsort(rows, (size_t)t->num_rows, sizeof *rows, compare_strings);
  for (int64_t r = 0; r < t->num_rows; r++) {
    size_t n = strlen(rows[r]);
    while (len + n + 2 > cap) out = realloc(out, cap *= 2);
    memcpy(out + len, rows[r], n);
    out[len + n] = '\n';
    out[len += n + 1] = 0;
    free(rows[r]);
  }
  free(rows);
  return out;
}

typedef struct step_log {
  int starts, dones;
  char lines[32][96];
} step_log;

static void on_start(const cy_plan_step_report *r, void *ctx) {
  step_log *log = ctx;
  CHECK(r->seconds == 0 && r->output == NULL);
  log->starts++;
}

static void on_done(const cy_plan_step_report *r, void *ctx) {
  step_log *log = ctx;
  if (log->dones < 32)
    snprintf(log->lines[log->dones], sizeof log->lines[0], "%d %s %s %lld<-%lld",
             (int)r->index, r->id ? r->id : "-", r->op, (long long)r->rows,
             (long long)r->input_rows);
  log->dones++;
}

/* Run a plan text; check its result table against want (rendered), or no result when
 * want is NULL. */
static void run_plan(const char *json, bool sort_rows, const char *want) {
  cy_error err;
  cy_plan *plan = NULL;
  OK(parse_plan(json, &plan, &err));
  if (plan == NULL) {
    fprintf(stderr, "  in plan %s\n", json);
    return;
  }
  cy_table *result = NULL;
  OK(cy_plan_run(plan, NULL, &result, &err));
  if (want == NULL) {
    CHECK(result == NULL);
  } else if (result == NULL) {
    fprintf(stderr, "no result from plan %s\n", json);
    test_failures++;
  } else {
    char *got = render(result, sort_rows);
    if (strcmp(got, want) != 0) {
      fprintf(stderr, "plan %s\n--- got:\n%s--- expected:\n%s", json, got, want);
      test_failures++;
    }
    free(got);
  }
  cy_table_release(result);
  cy_plan_release(plan);
}

static const char *A_CSV = "k,v\n1,10\n2,20\n2,21\n3,30\n,40\n";
static const char *B_CSV = "k,w,s\n2,200,x\n3,300,y\n3,301,z\n4,400,\n";

static void test_run_pipeline(void) {
  /* Join, group-by and sort, written and read back by a second plan. */
  const char *plan =
      "{\"steps\": [\n"
      "  {\"id\": \"a\", \"op\": \"read\", \"path\": \"a.csv\"},\n"
      "  {\"id\": \"b\", \"op\": \"read\", \"path\": \"b.csv\"},\n"
      "  {\"id\": \"j\", \"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"on\": [\"k\"]},\n"
      "  {\"id\": \"g\", \"op\": \"groupby\", \"input\": \"j\", \"by\": [\"k\"],\n"
      "   \"aggs\": {\"v\": [\"sum\"], \"w\": [\"max\", \"count\"]}},\n"
      "  {\"id\": \"s\", \"op\": \"sort\", \"input\": \"g\", \"by\": [{\"column\": \"k\", "
      "\"desc\": true}]},\n"
      "  {\"op\": \"write\", \"input\": \"s\", \"path\": \"out/deep/g.csv\"}\n"
      "]}";
  cy_error err;
  cy_plan *p = NULL;
  OK(parse_plan(plan, &p, &err));
  if (p == NULL) return;
  CHECK_EQ_INT(cy_plan_num_steps(p), 6);
  CHECK_EQ_STR(cy_plan_step_id(p, 2), "j");
  CHECK(cy_plan_step_id(p, 5) == NULL);
  CHECK_EQ_STR(cy_plan_step_op(p, 4), "sort");
  CHECK_EQ_INT(cy_plan_result_step(p), -1); /* the last step writes */
  step_log log;
  memset(&log, 0, sizeof log);
  cy_plan_run_options ro;
  cy_plan_run_options_init(&ro);
  ro.on_step_start = on_start;
  ro.on_step_done = on_done;
  ro.ctx = &log;
  cy_table *result = (cy_table *)&log; /* must be overwritten with NULL */
  OK(cy_plan_run(p, &ro, &result, &err));
  CHECK(result == NULL);
  CHECK_EQ_INT(log.starts, 6);
  CHECK_EQ_INT(log.dones, 6);
  CHECK_EQ_STR(log.lines[0], "0 a read 5<-0");
  CHECK_EQ_STR(log.lines[2], "2 j join 4<-9");
  CHECK_EQ_STR(log.lines[3], "3 g groupby 2<-4");
  CHECK_EQ_STR(log.lines[5], "5 - write 2<-2");
  /* A plan runs again from scratch. */
  OK(cy_plan_run(p, NULL, &result, &err));
  cy_plan_release(p);
  run_plan("{\"steps\": [{\"op\": \"read\", \"path\": \"out/deep/g.csv\"}]}", false,
           "k:int64,v_sum:int64,w_max:int64,w_count:int64\n"
           "3|60|301|2\n"
           "2|41|200|2\n");
}

static void test_run_shapes(void) {
  /* Projection with renames, concat, head, tail, slice; "output" picks the result. */
  run_plan("{\"steps\": [" READ_A ", {\"id\": \"c\", \"op\": \"concat\", \"inputs\": [\"a\", "
           "\"a\"]}, {\"id\": \"h\", \"op\": \"slice\", \"input\": \"c\", \"offset\": 4, "
           "\"length\": 3, \"output\": true}, {\"op\": \"head\", \"input\": \"c\", \"n\": 1}]}",
           false, "k:int64,v:int64\nnull|40\n1|10\n2|20\n");
  run_plan(WITH_A("{\"op\": \"tail\", \"input\": \"a\", \"n\": 2}"), false,
           "k:int64,v:int64\n3|30\nnull|40\n");
  run_plan(WITH_A("{\"op\": \"head\", \"input\": \"a\"}"), false, /* n defaults to 10 */
           "k:int64,v:int64\n1|10\n2|20\n2|21\n3|30\nnull|40\n");
  run_plan(WITH_A("{\"op\": \"select\", \"input\": \"a\", \"columns\": {\"value\": \"v\", "
                  "\"key\": \"k\"}}"), false,
           "value:int64,key:int64\n10|1\n20|2\n21|2\n30|3\n40|null\n");
  run_plan(WITH_A("{\"op\": \"project\", \"input\": \"a\", \"columns\": \"v\"}"), false,
           "v:int64\n10\n20\n21\n30\n40\n");
  run_plan(WITH_A("{\"op\": \"slice\", \"input\": \"a\", \"offset\": 3}"), false,
           "k:int64,v:int64\n3|30\nnull|40\n");
  /* A plan of one read: the read is the result. */
  run_plan("{\"steps\": [{\"op\": \"read\", \"path\": \"b.csv\", \"types\": {\"w\": "
           "\"int32\"}, \"nulls\": [\"\"]}]}",
           false, "k:int64,w:int32,s:utf8\n2|200|x\n3|300|y\n3|301|z\n4|400|null\n");
  /* A pipe-delimited file without a header. */
  write_file("pipe.txt", "1|a\n2|b\n");
  run_plan("{\"steps\": [{\"op\": \"read\", \"path\": \"pipe.txt\", \"delimiter\": \"|\", "
           "\"header\": false}]}", false, "column0:int64,column1:utf8\n1|a\n2|b\n");
}

static void test_run_ops(void) {
  const char *two = "{\"steps\": [" READ_A ", " READ_B ", %s]}";
  char buf[1024];
#define TWO(step) (snprintf(buf, sizeof buf, two, step), buf)
  run_plan(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"on\": \"k\", \"how\": "
               "\"left\"}"), true,
           "k:int64,v:int64,w:int64,s:utf8\n1|10|null|null\n2|20|200|x\n2|21|200|x\n"
           "3|30|300|y\n3|30|301|z\nnull|40|null|null\n");
  run_plan(TWO("{\"op\": \"join\", \"left\": \"a\", \"right\": \"b\", \"left_on\": \"k\", "
               "\"right_on\": \"k\", \"how\": \"anti\", \"algorithm\": \"sort\"}"), true,
           "k:int64,v:int64\n1|10\nnull|40\n");
  /* 5 x 4 rows; the clashing k gets suffixes. */
  run_plan(TWO("{\"id\": \"x\", \"op\": \"cross_join\", \"left\": \"a\", \"right\": \"b\"}, "
               "{\"op\": \"aggregate\", \"input\": \"x\", \"aggs\": [{\"op\": \"count_all\", "
               "\"name\": \"n\"}, {\"column\": \"v\", \"op\": \"sum\"}, {\"column\": \"w\", "
               "\"op\": \"sum\"}, {\"column\": \"k_x\", \"op\": \"count\"}, {\"column\": "
               "\"k_y\", \"op\": \"count\"}]}"), false,
           "n:int64,v_sum:int64,w_sum:int64,k_x_count:int64,k_y_count:int64\n20|484|6005|16|20\n");
#undef TWO
}

static void test_run_columns(void) {
  run_plan(WITH_A("{\"id\": \"f\", \"op\": \"filter\", \"input\": \"a\", \"where\": \"v >= 20 "
                  "and k is not null\"}, {\"op\": \"with_column\", \"input\": \"f\", \"name\": "
                  "\"vk\", \"expr\": \"v * 10 + k\"}"),
           false, "k:int64,v:int64,vk:int64\n2|20|202\n2|21|212\n3|30|303\n");
  run_plan(WITH_A("{\"id\": \"c\", \"op\": \"cast\", \"input\": \"a\", \"columns\": {\"v\": "
                  "\"float64\", \"k\": \"string\"}}, {\"op\": \"fill_null\", \"input\": \"c\", "
                  "\"columns\": {\"k\": \"none\"}}"),
           false, "k:utf8,v:float64\n1|10.0\n2|20.0\n2|21.0\n3|30.0\nnone|40.0\n");
  run_plan(WITH_A("{\"op\": \"drop_null\", \"input\": \"a\"}"), false,
           "k:int64,v:int64\n1|10\n2|20\n2|21\n3|30\n");
  run_plan(WITH_A("{\"op\": \"unique\", \"input\": \"a\", \"columns\": [\"k\"], \"keep\": "
                  "\"last\"}"), false, "k:int64,v:int64\n1|10\n2|21\n3|30\nnull|40\n");
  run_plan(WITH_A("{\"op\": \"top_k\", \"input\": \"a\", \"by\": \"v\", \"desc\": true, \"k\": 2}"),
           false, "k:int64,v:int64\nnull|40\n3|30\n");
  run_plan(WITH_A("{\"op\": \"sort\", \"input\": \"a\", \"by\": [{\"column\": \"k\", "
                  "\"nulls_first\": true}, {\"column\": \"v\", \"desc\": true}]}"),
           false, "k:int64,v:int64\nnull|40\n1|10\n2|21\n2|20\n3|30\n");
  run_plan(WITH_A("{\"op\": \"aggregate\", \"input\": \"a\", \"aggs\": [{\"column\": \"v\", "
                  "\"op\": \"sum\", \"name\": \"total\"}, {\"op\": \"count_all\", \"name\": "
                  "\"n\"}, {\"column\": \"k\", \"op\": \"quantile\", \"q\": 0.5}]}"),
           false, "total:int64,n:int64,k_q0.5:float64\n121|5|2.0\n");
}

static void test_run_sets(void) {
  write_file("c.csv", "k,v\n2,20\n9,90\n2,20\n");
  const char *three = "{\"steps\": [" READ_A ", {\"id\": \"c\", \"op\": \"read\", \"path\": "
                      "\"c.csv\"}, %s]}";
  char buf[1024];
#define THREE(step) (snprintf(buf, sizeof buf, three, step), buf)
  run_plan(THREE("{\"op\": \"union\", \"inputs\": [\"a\", \"c\"]}"), true,
           "k:int64,v:int64\n1|10\n2|20\n2|21\n3|30\n9|90\nnull|40\n");
  run_plan(THREE("{\"op\": \"union_all\", \"inputs\": [\"c\", \"c\"]}"), false,
           "k:int64,v:int64\n2|20\n9|90\n2|20\n2|20\n9|90\n2|20\n");
  run_plan(THREE("{\"op\": \"intersect\", \"inputs\": [\"a\", \"c\"]}"), true,
           "k:int64,v:int64\n2|20\n");
  run_plan(THREE("{\"op\": \"except\", \"inputs\": [\"c\", \"a\"]}"), true,
           "k:int64,v:int64\n9|90\n");
  run_plan(THREE("{\"op\": \"difference\", \"inputs\": [\"a\", \"c\", \"a\"]}"), true,
           "k:int64,v:int64\n");
  run_plan(THREE("{\"op\": \"drop_duplicates\", \"input\": \"c\"}"), false,
           "k:int64,v:int64\n2|20\n9|90\n");
#undef THREE
}

/* Failures while running name the step, and leave no file behind. */
static void test_run_errors(void) {
  cy_error err;
  cy_plan *p = NULL;
  cy_table *result = NULL;
  OK(parse_plan("{\"steps\": [" READ_A ", " READ_B ", {\"id\": \"j\", \"op\": \"join\", \"left\": "
                "\"a\", \"right\": \"b\", \"on\": \"nope\"}, {\"op\": \"write\", \"input\": \"j\", "
                "\"path\": \"never.csv\"}]}", &p, &err));
  if (p) FAILS(cy_plan_run(p, NULL, &result, &err), CY_ENOENT, "steps[2] \"j\" (join): ");
  CHECK(result == NULL);
  cy_plan_release(p);
  char path[256];
  snprintf(path, sizeof path, "%s/never.csv", dir);
  CHECK(access(path, F_OK) != 0);
  p = NULL;
  OK(parse_plan("{\"steps\": [{\"id\": \"m\", \"op\": \"read\", \"path\": \"missing.csv\"}]}", &p,
                &err));
  if (p) FAILS(cy_plan_run(p, NULL, &result, &err), CY_ENOENT, "steps[0] \"m\" (read): ");
  CHECK(strstr(err.message, "missing.csv") != NULL);
  cy_plan_release(p);
  p = NULL;
  OK(parse_plan("{\"steps\": [" READ_A ", " READ_B ", {\"op\": \"concat\", \"inputs\": [\"a\", "
                "\"b\"]}]}", &p, &err));
  if (p) FAILS(cy_plan_run(p, NULL, &result, &err), CY_EINVAL, "steps[2] (concat): ");
  CHECK(strstr(err.message, "(k: int64, v: int64)") != NULL); /* both schemas named */
  CHECK(strstr(err.message, "(k: int64, w: int64, s: utf8)") != NULL);
  cy_plan_release(p);
  p = NULL;
  OK(parse_plan(WITH_A("{\"op\": \"filter\", \"input\": \"a\", \"where\": \"zz > 1\"}"), &p, &err));
  if (p) FAILS(cy_plan_run(p, NULL, &result, &err), CY_ENOENT, "steps[1] (filter): ");
  CHECK(strstr(err.message, "zz") != NULL);
  cy_plan_release(p);
  p = NULL;
  OK(parse_plan(WITH_A("{\"op\": \"cast\", \"input\": \"a\", \"columns\": {\"zz\": \"int8\"}}"),
                &p, &err));
  if (p) FAILS(cy_plan_run(p, NULL, &result, &err), CY_ENOENT,
               "steps[1] (cast): no column named 'zz' in (k: int64, v: int64)");
  cy_plan_release(p);
  p = NULL;
  OK(parse_plan("{\"steps\": [" READ_B ", {\"id\": \"c\", \"op\": \"cast\", \"input\": \"b\", "
                "\"columns\": {\"s\": \"int64\"}}, {\"op\": \"write\", \"input\": \"c\", \"path\": "
                "\"x.csv\"}]}", &p, &err));
  if (p)
    FAILS(cy_plan_run(p, NULL, &result, &err), CY_EINVAL, "steps[1] \"c\" (cast): column 's': ");
  snprintf(path, sizeof path, "%s/x.csv", dir);
  CHECK(access(path, F_OK) != 0);
  cy_plan_release(p);
}

static void test_load(void) {
  /* cy_plan_load resolves paths against the plan file's directory and names the file. */
  write_file("plan.json", "{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\"}, {\"op\": "
                          "\"head\", \"input\": \"x\"}]}");
  char path[256];
  snprintf(path, sizeof path, "%s/plan.json", dir);
  cy_error err;
  cy_plan *p = NULL;
  FAILS(cy_plan_load(path, &p, &err), CY_EINVAL, "/plan.json: steps[1] (head): \"input\": ");
  write_file("plan.json", "{\"steps\": [{\"op\": \"read\", \"path\": \"a.csv\"}]}");
  OK(cy_plan_load(path, &p, &err));
  cy_table *t = NULL;
  if (p) OK(cy_plan_run(p, NULL, &t, &err));
  CHECK(t && t->num_rows == 5);
  cy_table_release(t);
  cy_plan_release(p);
  FAILS(cy_plan_load("/nonexistent/plan.json", &p, &err), CY_ENOENT,
        "cannot open the plan /nonexistent/plan.json");
}

static void remove_tree(const char *path) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  CHECK(system(cmd) == 0);
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/cylon-test-plan-XXXXXX");
  if (mkdtemp(dir) == NULL) return 1;
  write_file("a.csv", A_CSV);
  write_file("b.csv", B_CSV);
  test_plan_shape();
  test_references();
  test_keys();
  test_read_write();
  test_op_options();
  test_aggs();
  test_run_pipeline();
  test_run_shapes();
  test_run_ops();
  test_run_columns();
  test_run_sets();
  test_run_errors();
  test_load();
  remove_tree(dir);
  TEST_MAIN_END();
}
