/*
 * json.h - a small, strict JSON reader and writer (RFC 8259), private to the library.
 *
 * Plans (src/plan/plan.c) and, later, the serverless worker's job events are JSON. The
 * parser builds an immutable tree of cy_json values owned by one cy_json_doc; every value
 * remembers the line and column where it starts, so that a plan error can point at the
 * offending value and not only at the step.
 *
 * What "strict" means here (each is an error naming line, column and what was expected):
 * - the text is one value with only whitespace around it (a UTF-8 byte order mark at the
 *   very start is skipped, since editors add one);
 * - no trailing commas, comments, single quotes, NaN/Infinity, leading zeros, "+1", ".5";
 * - strings are valid UTF-8 with no raw control characters; \uXXXX escapes must pair
 *   surrogates correctly (a lone surrogate is an error); \u0000 is allowed and kept;
 * - an object may not repeat a key;
 * - nesting deeper than max_depth arrays/objects is refused (no unbounded recursion).
 *
 * Numbers: an integral literal (no fraction, no exponent) that fits int64 is kept exactly
 * as CY_JSON_INT; "-0" is the integer 0. Every other number is a double, correctly rounded;
 * an integral literal beyond int64 becomes a double too. A number whose magnitude is too
 * large for a double (1e400) is an error; one too small becomes 0 or a subnormal.
 */
#ifndef CYLON_PLAN_JSON_H
#define CYLON_PLAN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cylon/core.h"

typedef enum cy_json_kind {
  CY_JSON_NULL = 0,
  CY_JSON_BOOL,
  CY_JSON_INT,    /**< an integral number that fits int64 */
  CY_JSON_DOUBLE, /**< any other number */
  CY_JSON_STRING,
  CY_JSON_ARRAY,
  CY_JSON_OBJECT
} cy_json_kind;

typedef struct cy_json cy_json;
typedef struct cy_json_member cy_json_member;

/** One value. Pointers inside stay valid as long as the document that owns them. */
struct cy_json {
  cy_json_kind kind;
  int32_t line;   /**< 1-based line of the value's first character */
  int32_t column; /**< 1-based column, counted in characters (code points) */
  union {
    bool b;
    int64_t i;
    double d;
    struct {
      const char *data; /**< UTF-8, NUL-terminated (and may hold NULs from \u0000) */
      int64_t len;      /**< bytes, without the terminating NUL */
    } str;
    struct {
      const cy_json *items;
      int64_t len;
    } arr;
    struct {
      const cy_json_member *members; /**< in the order of the text */
      int64_t len;
    } obj;
  } u;
};

struct cy_json_member {
  const char *key; /**< NUL-terminated */
  int64_t key_len;
  int32_t key_line, key_column; /**< where the key's opening quote is */
  cy_json value;
};

/** A parsed text: owns every value and string of its tree. */
typedef struct cy_json_doc cy_json_doc;

typedef struct cy_json_parse_options {
  int32_t max_depth; /**< deepest nesting of arrays and objects; default 128 */
  const char *name;  /**< prefixes error messages (a file name); default none */
} cy_json_parse_options;

/** Fill opts with the defaults above. */
void cy_json_parse_options_init(cy_json_parse_options *opts);

/** Parse len bytes of JSON text (need not be NUL-terminated); opts may be NULL. On error
 *  the message reads "NAME: line L, column C: expected ..., found ..." and nothing is
 *  returned. */
cy_status cy_json_parse(const char *text, size_t len, const cy_json_parse_options *opts,
                        cy_json_doc **out, cy_error *err);
/** The document's top-level value. */
const cy_json *cy_json_doc_root(const cy_json_doc *doc);
/** Free the document and every value in it; NULL is allowed. */
void cy_json_doc_free(cy_json_doc *doc);

/** The value of key in an object, or NULL when absent or when obj is not an object. */
const cy_json *cy_json_get(const cy_json *obj, const char *key);
/** "null", "a boolean", "an integer", "a number", "a string", "an array", "an object":
 *  for messages such as "expected a string, got an array". */
const char *cy_json_kind_name(cy_json_kind kind);
/** Whether two values are equal: same kinds (an int is not a double), same numbers
 *  (doubles bit for bit), strings byte for byte, members in the same order. */
bool cy_json_equals(const cy_json *a, const cy_json *b);

/** Write a value as compact JSON text that parses back to an equal value: strings escape
 *  '"', '\\' and control characters and keep other UTF-8 as is; doubles take the fewest
 *  digits that read back exactly and always show a '.' or an exponent. *out is
 *  NUL-terminated, *len excludes the NUL, and is freed with free(). */
cy_status cy_json_write(const cy_json *value, char **out, size_t *len, cy_error *err);

#endif
