/*
 * test_json.c - the plan layer's JSON reader and writer (src/plan/json.c), by hand-written
 * edge cases: every value kind, escapes and surrogate pairs, UTF-8 checks, number limits,
 * nesting limits, duplicate keys, and error messages with their line and column.
 *
 * Documented choices checked here: "-0" is the integer 0 and "-0.0" the double -0.0; an
 * integral literal beyond int64 becomes a double; 1e400 is an error (too large for a
 * double) and 1e-400 is 0; a repeated key in one object is an error; a leading UTF-8 byte
 * order mark is skipped.
 */
#include <math.h>

#include "plan/json.h"
#include "test.h"

static cy_json_doc *parse_ok(const char *text, size_t len) {
  cy_error err;
  cy_json_doc *doc = NULL;
  cy_status st = cy_json_parse(text, len, NULL, &doc, &err);
  if (st != CY_OK) {
    fprintf(stderr, "parse of <%s> failed: %s\n", text, err.message);
    test_failures++;
  }
  return doc;
}

static cy_json_doc *parse(const char *text) { return parse_ok(text, strlen(text)); }

/* The text must fail with a message containing needle. */
static void bad(const char *text, const char *needle) {
  cy_error err;
  err.message[0] = 0;
  cy_json_doc *doc = NULL;
  cy_status st = cy_json_parse(text, strlen(text), NULL, &doc, &err);
  if (st != CY_EINVAL || doc != NULL || strstr(err.message, needle) == NULL) {
    fprintf(stderr, "expected <%s> to fail with \"%s\"; got %s: \"%s\"\n", text, needle,
            cy_status_name(st), err.message);
    test_failures++;
  }
  cy_json_doc_free(doc);
}

static void test_scalars(void) {
  cy_json_doc *d;
  const cy_json *v;
  d = parse(" null ");
  CHECK(cy_json_doc_root(d)->kind == CY_JSON_NULL);
  cy_json_doc_free(d);
  d = parse("[true, false]");
  v = cy_json_doc_root(d);
  CHECK(v->kind == CY_JSON_ARRAY && v->u.arr.len == 2);
  CHECK(v->u.arr.items[0].kind == CY_JSON_BOOL && v->u.arr.items[0].u.b);
  CHECK(v->u.arr.items[1].kind == CY_JSON_BOOL && !v->u.arr.items[1].u.b);
  cy_json_doc_free(d);
}

static void check_int(const char *text, int64_t want) {
  cy_json_doc *d = parse(text);
  if (d == NULL) return;
  const cy_json *v = cy_json_doc_root(d);
  CHECK(v->kind == CY_JSON_INT);
  CHECK_EQ_INT(v->u.i, want);
  cy_json_doc_free(d);
}

static void check_double(const char *text, double want) {
  cy_json_doc *d = parse(text);
  if (d == NULL) return;
  const cy_json *v = cy_json_doc_root(d);
  CHECK(v->kind == CY_JSON_DOUBLE);
  if (memcmp(&v->u.d, &want, sizeof want) != 0) {
    fprintf(stderr, "%s parsed as %.17g, expected %.17g\n", text, v->u.d, want);
    test_failures++;
  }
  cy_json_doc_free(d);
}

static void test_numbers(void) {
  check_int("0", 0);
  check_int("-0", 0); /* documented: an integer, so the sign goes */
  check_int("42", 42);
  check_int("-17", -17);
  check_int("9223372036854775807", INT64_MAX);
  check_int("-9223372036854775808", INT64_MIN);
  /* Beyond int64: a double (rounded). */
  check_double("9223372036854775808", 9223372036854775808.0);
  check_double("-9223372036854775809", -9223372036854775808.0);
  check_double("123456789012345678901234567890", 1.2345678901234568e29);
  check_double("-0.0", -0.0);
  check_double("1.5", 1.5);
  check_double("1e2", 100.0);
  check_double("1E+2", 100.0);
  check_double("25e-1", 2.5);
  check_double("0.1", 0.1);
  check_double("1.7976931348623157e308", 1.7976931348623157e308);
  check_double("4.9e-324", 4.9e-324);
  check_double("1e-400", 0.0); /* underflow rounds to zero */
  check_double("-1e-400", -0.0);
  bad("1e400", "too large for a double");
  bad("-1e400", "too large for a double");
  bad("[1.8e308]", "too large");
  bad("01", "cannot start with a 0");
  bad("-01", "cannot start with a 0");
  bad("[1.]", "expected a digit after the decimal point, found ']'");
  bad("1e", "expected a digit in the exponent, found the end of the text");
  bad("1e+", "expected a digit in the exponent");
  bad("-", "expected a digit after '-'");
  bad("-a", "expected a digit after '-', found 'a'");
  bad("+1", "a number starts with '-' or a digit");
  bad(".5", "a number starts with '-' or a digit");
  bad("NaN", "NaN and Infinity are not JSON");
  bad("[Infinity]", "NaN and Infinity are not JSON");
  bad("0x10", "expected the end of the text after the value, found 'x'");
  bad("1.5.3", "found '.'");
}

static void check_string(const char *text, const char *want, int64_t want_len) {
  cy_json_doc *d = parse(text);
  if (d == NULL) return;
  const cy_json *v = cy_json_doc_root(d);
  CHECK(v->kind == CY_JSON_STRING);
  CHECK_EQ_INT(v->u.str.len, want_len);
  if (v->kind == CY_JSON_STRING && v->u.str.len == want_len) {
    CHECK(memcmp(v->u.str.data, want, (size_t)want_len) == 0);
    CHECK(v->u.str.data[want_len] == 0);
  }
  cy_json_doc_free(d);
}

static void test_strings(void) {
  check_string("\"\"", "", 0);
  check_string("\"abc\"", "abc", 3);
  check_string("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\" \\ / \b \f \n \r \t", 15);
  check_string("\"\\u0041\\u00e9\\u20AC\"", "A\xC3\xA9\xE2\x82\xAC", 6);
  check_string("\"\\uD83D\\uDE00\"", "\xF0\x9F\x98\x80", 4);          /* U+1F600 */
  check_string("\"\\udbff\\udfff\"", "\xF4\x8F\xBF\xBF", 4);          /* U+10FFFF */
  check_string("\"a\\u0000b\"", "a\0b", 3);                           /* NUL kept */
  check_string("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80",
               9);                                                    /* raw UTF-8 */
  check_string("\"\x7F\"", "\x7F", 1);                                /* DEL is allowed */
  bad("\"\\uD800\"", "high surrogate not followed by a low surrogate");
  bad("\"\\uD800\\u0041\"", "high surrogate not followed");
  bad("\"\\uD800\\uD800\"", "high surrogate not followed");
  bad("\"\\uDC00\"", "lone low surrogate");
  bad("\"\\uDFFFx\"", "lone low surrogate");
  bad("\"\\u12G4\"", "expected four hex digits after \\u");
  bad("\"\\u12\"", "expected four hex digits");
  bad("\"\\x41\"", "invalid escape");
  bad("\"\\'\"", "invalid escape");
  bad("\"abc", "never closed");
  bad("\"abc\\\"", "never closed");
  bad("\"a\nb\"", "a line break inside a string");
  bad("\"a\tb\"", "the control character 0x09 inside a string must be escaped");
  bad("\"\xC3\x28\"", "invalid UTF-8");         /* a lead byte without its continuation */
  bad("\"\xC0\xAF\"", "invalid UTF-8");         /* overlong '/' */
  bad("\"\xE0\x80\xAF\"", "invalid UTF-8");     /* overlong, 3 bytes */
  bad("\"\xED\xA0\x80\"", "invalid UTF-8");     /* a surrogate encoded in UTF-8 */
  bad("\"\xF4\x90\x80\x80\"", "invalid UTF-8"); /* above U+10FFFF */
  bad("\"\xFF\"", "invalid UTF-8");
  bad("\"\x80\"", "invalid UTF-8");
  bad("'abc'", "strings take double quotes");
}

static void test_containers(void) {
  cy_json_doc *d = parse("{\"b\": [1, [], {}], \"a\": {\"x\": null}, \"\": \"empty key\"}");
  if (d == NULL) return;
  const cy_json *root = cy_json_doc_root(d);
  CHECK(root->kind == CY_JSON_OBJECT && root->u.obj.len == 3);
  CHECK_EQ_STR(root->u.obj.members[0].key, "b"); /* text order is kept */
  CHECK_EQ_STR(root->u.obj.members[1].key, "a");
  const cy_json *b = cy_json_get(root, "b");
  CHECK(b && b->kind == CY_JSON_ARRAY && b->u.arr.len == 3);
  CHECK(b && b->u.arr.items[1].kind == CY_JSON_ARRAY && b->u.arr.items[1].u.arr.len == 0);
  CHECK(b && b->u.arr.items[2].kind == CY_JSON_OBJECT && b->u.arr.items[2].u.obj.len == 0);
  CHECK(cy_json_get(cy_json_get(root, "a"), "x")->kind == CY_JSON_NULL);
  CHECK_EQ_STR(cy_json_get(root, "")->u.str.data, "empty key");
  CHECK(cy_json_get(root, "missing") == NULL);
  CHECK(cy_json_get(b, "b") == NULL); /* not an object */
  cy_json_doc_free(d);
  bad("[1, 2,]", "a trailing comma before ']' is not allowed");
  bad("{\"a\": 1,}", "a trailing comma before '}' is not allowed");
  bad("[,]", "expected a value");
  bad("[1 2]", "expected ',' or ']' after an array item, found '2'");
  bad("{\"a\" 1}", "expected ':' after the key \"a\", found '1'");
  bad("{\"a\": 1 \"b\": 2}", "expected ',' or '}' after an object member, found '\"'");
  bad("{a: 1}", "expected a key in double quotes, found 'a'");
  bad("{1: 1}", "expected a key in double quotes, found '1'");
  bad("[1", "expected ',' or ']' after an array item, found the end of the text");
  bad("{\"a\": ", "expected a value, found the end of the text");
  bad("", "line 1, column 1: expected a value, found the end of the text");
  bad("   \n  ", "line 2, column 3: expected a value");
  bad("[1] [2]", "expected the end of the text after the value, found '['");
  bad("[1] // comment", "found '/'");
  bad("// comment\n[1]", "JSON has no comments");
  bad("[tru]", "true, false and null are lower case");
  bad("[True]", "found 'T'");
  bad("[nul]", "expected a value");
  bad("[1,\x01]", "found the control character 0x01");
  bad("[\xC3\xA9]", "found '\xC3\xA9'");
  bad("[\xFF]", "the byte 0xFF, which is not UTF-8");
  /* A NUL byte in the text (len covers it) is not the end of the text. */
  cy_error err;
  cy_json_doc *doc = NULL;
  FAILS(cy_json_parse("[1,\0]", 5, NULL, &doc, &err), CY_EINVAL, "control character 0x00");
  /* Literals followed by letters. */
  bad("[truex]", "expected ',' or ']' after an array item, found 'x'");
}

static void test_duplicate_keys(void) {
  bad("{\"a\": 1, \"b\": 2, \"a\": 3}",
      "line 1, column 18: the key \"a\" appears twice in one object (first at line 1, "
      "column 2)");
  /* The repeat that comes first in the text is named, also among many keys. */
  char text[4096];
  int n = snprintf(text, sizeof text, "{");
  for (int i = 0; i < 200; i++)
    n += snprintf(text + n, sizeof text - (size_t)n, "\"k%d\": %d, ", i, i);
  snprintf(text + n, sizeof text - (size_t)n, "\"k150\": 0, \"k7\": 1}");
  bad(text, "the key \"k150\" appears twice");
  /* Keys that differ only after a NUL are different keys. */
  cy_json_doc *d = parse("{\"a\\u0000x\": 1, \"a\\u0000y\": 2}");
  CHECK(d != NULL);
  cy_json_doc_free(d);
  bad("{\"a\\u0000x\": 1, \"a\\u0000x\": 2}", "appears twice");
  /* The same key in different objects is fine. */
  d = parse("[{\"a\": 1}, {\"a\": 2, \"b\": {\"a\": 3}}]");
  CHECK(d != NULL);
  cy_json_doc_free(d);
}

static void test_depth(void) {
  char text[1024];
  for (int depth = 127; depth <= 129; depth++) {
    for (int i = 0; i < depth; i++) text[i] = '[';
    for (int i = 0; i < depth; i++) text[depth + i] = ']';
    text[2 * depth] = 0;
    cy_error err;
    cy_json_doc *d = NULL;
    cy_status st = cy_json_parse(text, strlen(text), NULL, &d, &err);
    if (depth <= 128) {
      CHECK(st == CY_OK);
    } else {
      CHECK(st == CY_EINVAL && strstr(err.message, "nest deeper than 128 levels"));
      CHECK(strstr(err.message, "line 1, column 129") != NULL);
    }
    cy_json_doc_free(d);
  }
  /* Objects count too, and the limit can be set. */
  cy_json_parse_options o;
  cy_json_parse_options_init(&o);
  o.max_depth = 2;
  cy_error err;
  cy_json_doc *d = NULL;
  OK(cy_json_parse("{\"a\": [1]}", 10, &o, &d, &err));
  cy_json_doc_free(d);
  d = NULL;
  FAILS(cy_json_parse("{\"a\": [{}]}", 11, &o, &d, &err), CY_EINVAL, "deeper than 2 levels");
  /* A million brackets fail cleanly (no recursion beyond the limit). */
  size_t big = 1000000;
  char *deep = malloc(big);
  memset(deep, '[', big);
  FAILS(cy_json_parse(deep, big, NULL, &d, &err), CY_EINVAL, "deeper than 128");
  free(deep);
}

static void test_positions(void) {
  const char *text = "{\n  \"steps\": [\n    {\"id\": \"\xC3\xA9t\xC3\xA9\", \"n\": 5}\n  ]\n}\n";
  cy_json_doc *d = parse(text);
  if (d == NULL) return;
  const cy_json *steps = cy_json_get(cy_json_doc_root(d), "steps");
  CHECK_EQ_INT(steps->line, 2);
  CHECK_EQ_INT(steps->column, 12);
  const cy_json *step = &steps->u.arr.items[0];
  CHECK_EQ_INT(step->line, 3);
  CHECK_EQ_INT(step->column, 5);
  const cy_json *n = cy_json_get(step, "n");
  CHECK_EQ_INT(n->line, 3);
  CHECK_EQ_INT(n->column, 24); /* columns count characters: "été" is 3, not 5 */
  CHECK_EQ_INT(step->u.obj.members[1].key_line, 3);
  CHECK_EQ_INT(step->u.obj.members[1].key_column, 19);
  cy_json_doc_free(d);
  bad("[\n  1,\n  2,\n]", "line 4, column 1: a trailing comma before ']'");
  bad("{\"a\":\n  [\"\xC3\xA9\xC3\xA9\", x]}", "line 2, column 10: expected a value");
  bad("[\"x\",\n \"unterminated]", "line 2, column 2: this string is never closed");
  bad("[\"ab\\q\"]", "line 1, column 5: invalid escape");
  /* The name prefixes messages. */
  cy_json_parse_options o;
  cy_json_parse_options_init(&o);
  o.name = "plan.json";
  cy_error err;
  cy_json_doc *doc = NULL;
  FAILS(cy_json_parse("[1,]", 4, &o, &doc, &err), CY_EINVAL, "plan.json: line 1, column 4: ");
}

static void test_bom(void) {
  cy_json_doc *d = parse("\xEF\xBB\xBF{\"a\": [1]}");
  CHECK(d != NULL);
  cy_json_doc_free(d);
  bad("\xEF\xBB\xBF\xEF\xBB\xBF[]", "expected a value"); /* only one, only at the start */
  bad("[\xEF\xBB\xBF]", "expected a value");
}

/* Write, compare with the expected text, and parse back to an equal value. */
static void check_write(const char *text, const char *want) {
  cy_json_doc *d = parse(text);
  if (d == NULL) return;
  cy_error err;
  char *out = NULL;
  size_t len = 0;
  OK(cy_json_write(cy_json_doc_root(d), &out, &len, &err));
  if (out) {
    CHECK_EQ_STR(out, want);
    CHECK_EQ_INT(len, strlen(want));
    cy_json_doc *back = parse_ok(out, len);
    CHECK(back && cy_json_equals(cy_json_doc_root(d), cy_json_doc_root(back)));
    cy_json_doc_free(back);
  }
  free(out);
  cy_json_doc_free(d);
}

static void test_write(void) {
  check_write(" { \"a\" : [ 1 , -2.5 , true , null ] , \"b\" : { } , \"c\" : [ ] } ",
              "{\"a\":[1,-2.5,true,null],\"b\":{},\"c\":[]}");
  check_write("[1.0, -0.0, 1e300, 1e16, 0.1, 5e-324, 100e-2]",
              "[1.0,-0.0,1e+300,1e+16,0.1,5e-324,1.0]");
  check_write("[-0, 9223372036854775807, -9223372036854775808]",
              "[0,9223372036854775807,-9223372036854775808]");
  check_write("\"\\u0001\\u001f\\n\\t\\\"\\\\\\/\\u00e9\\ud83d\\ude00\\u007f\"",
              "\"\\u0001\\u001F\\n\\t\\\"\\\\/\xC3\xA9\xF0\x9F\x98\x80\x7F\"");
  check_write("{\"k\\u0000\": \"v\\u0000\"}", "{\"k\\u0000\":\"v\\u0000\"}");
  /* Equality is by kind: 1 and 1.0 differ. */
  cy_json_doc *a = parse("[1]"), *b = parse("[1.0]");
  CHECK(!cy_json_equals(cy_json_doc_root(a), cy_json_doc_root(b)));
  cy_json_doc_free(a);
  cy_json_doc_free(b);
}

int main(void) {
  test_scalars();
  test_numbers();
  test_strings();
  test_containers();
  test_duplicate_keys();
  test_depth();
  test_positions();
  test_bom();
  test_write();
  TEST_MAIN_END();
}
