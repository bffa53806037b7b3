/*
 * json.c - the strict JSON reader of json.h (the writer is json_write.c).
 *
 * Parsing is recursive descent over the bytes, bounded by max_depth. Values live in an
 * arena owned by the document (a list of malloc'd blocks freed together), so a tree needs
 * no per-node frees and an error needs no unwinding: the half-built document is dropped
 * whole. Items of an array (and members of an object) are first pushed on a scratch stack
 * shared by all open containers and copied into the arena, contiguous, when the container
 * closes; nested containers push above their parent's items, so one stack serves all.
 *
 * Strings are decoded in two passes: the first finds the closing quote (and rejects raw
 * control characters), which bounds the decoded size, since no escape decodes to more
 * bytes than it takes; the second decodes escapes and checks UTF-8 straight into the arena.
 *
 * Positions: lines advance only in whitespace (strings cannot hold raw line breaks), so
 * the parser tracks the current line's start; a column is the number of code points from
 * there, counted incrementally from the last column asked for, which keeps the cost linear
 * even for a long one-line document.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/text_parse.h"
#include "plan/json.h"

#define ARENA_BLOCK (16 * 1024)

/* ---- the arena ---------------------------------------------------------------------- */

typedef struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  max_align_t data[]; /* aligned for any value */
} arena_block;

struct cy_json_doc {
  arena_block *blocks;
  cy_json root;
};

/* n bytes aligned for any value, or NULL when memory runs out. */
static void *arena_alloc(cy_json_doc *doc, size_t n) {
  n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  arena_block *b = doc->blocks;
  if (b != NULL && b->cap - b->used >= n) {
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
  }
  size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
  arena_block *nb = malloc(sizeof(arena_block) + cap);
  if (nb == NULL) return NULL;
  nb->cap = cap;
  nb->used = n;
  if (b != NULL && n > ARENA_BLOCK / 2) {
    /* A big request gets a block of its own behind the current one, whose free space
     * stays in use for the small requests that follow. */
    nb->next = b->next;
    b->next = nb;
  } else {
    nb->next = b;
    doc->blocks = nb;
  }
  return nb->data;
}

void cy_json_doc_free(cy_json_doc *doc) {
  if (doc == NULL) return;
  for (arena_block *b = doc->blocks, *next; b != NULL; b = next) {
    next = b->next;
    free(b);
  }
  free(doc);
}

const cy_json *cy_json_doc_root(const cy_json_doc *doc) { return &doc->root; }

/* ---- parser state, positions and errors --------------------------------------------- */

typedef struct parser {
  const char *p, *end;
  int32_t line;
  const char *line_start;
  const char *col_at; /* column cache: position and its column on the current line */
  int32_t col;
  int32_t depth, max_depth;
  const char *name;
  cy_json_doc *doc;
  cy_json *vals; /* items of the open arrays */
  size_t nvals, capvals;
  cy_json_member *mems; /* members of the open objects */
  size_t nmems, capmems;
  cy_error *err;
} parser;

/* The column of pos, which lies on the current line. */
static int32_t column_at(parser *P, const char *pos) {
  const char *from = P->line_start;
  int32_t col = 1;
  if (P->col_at >= P->line_start && P->col_at <= pos) {
    from = P->col_at;
    col = P->col;
  }
  for (; from < pos; from++)
    if ((*from & 0xC0) != 0x80 && col < INT32_MAX) col++;
  P->col_at = pos;
  P->col = col;
  return col;
}

/* Length (1-4) of the valid UTF-8 sequence at s, or 0 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static int utf8_length(const unsigned char *s, const unsigned char *end) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  int n;
  unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) n = 3, lo = 0xA0;
  else if (c == 0xED) n = 3, hi = 0x9F;
  else if (c >= 0xE1 && c <= 0xEF) n = 3;
  else if (c == 0xF0) n = 4, lo = 0x90;
  else if (c == 0xF4) n = 4, hi = 0x8F;
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else return 0;
  if (end - s < n || s[1] < lo || s[1] > hi) return 0;
  for (int i = 2; i < n; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  return n;
}

/* Describe the character at pos for "found ..." in a message. */
static const char *describe(const parser *P, const char *pos, char *buf, size_t size) {
  if (pos >= P->end) return "the end of the text";
  unsigned char c = (unsigned char)*pos;
  if (c == '\n' || c == '\r') return "a line break";
  if (c < 0x20 || c == 0x7F) {
    snprintf(buf, size, "the control character 0x%02X", c);
  } else if (c < 0x80) {
    snprintf(buf, size, "'%c'", c);
  } else {
    int n = utf8_length((const unsigned char *)pos, (const unsigned char *)P->end);
    if (n == 0) snprintf(buf, size, "the byte 0x%02X, which is not UTF-8", c);
    else snprintf(buf, size, "'%.*s'", n, pos);
  }
  return buf;
}

static cy_status fail_at_line(parser *P, int32_t line, int32_t col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static cy_status fail_at_line(parser *P, int32_t line, int32_t col, const char *fmt, ...) {
  char what[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  cy_error_set(P->err, "%s%sline %d, column %d: %s", P->name ? P->name : "",
               P->name ? ": " : "", (int)line, (int)col, what);
  return CY_EINVAL;
}

#define FAIL(P, pos, ...) fail_at_line((P), (P)->line, column_at((P), (pos)), __VA_ARGS__)

static cy_status out_of_memory(parser *P) {
  cy_error_set(P->err, "%s%sout of memory parsing JSON", P->name ? P->name : "",
               P->name ? ": " : "");
  return CY_ENOMEM;
}

static void skip_space(parser *P) {
  const char *p = P->p, *end = P->end;
  while (p < end) {
    char c = *p;
    if (c == ' ' || c == '\t' || c == '\r') {
      p++;
    } else if (c == '\n') {
      p++;
      P->line++;
      P->line_start = p;
    } else {
      break;
    }
  }
  P->p = p;
}

static bool at(const parser *P, char c) { return P->p < P->end && *P->p == c; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* ---- strings ------------------------------------------------------------------------ */

static bool hex4(const char *s, const char *end, uint32_t *out) {
  if (end - s < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) return false;
    v = v * 16 + (uint32_t)d;
  }
  *out = v;
  return true;
}

static int utf8_encode(uint32_t cp, char *o) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decode the \u escape at s (s[1] == 'u'), pairing surrogates; advances *s. */
static cy_status decode_unicode_escape(parser *P, const char **s, const char *end,
                                       uint32_t *cp) {
  const char *e = *s;
  if (!hex4(e + 2, end, cp))
    return FAIL(P, e, "expected four hex digits after \\u");
  *s = e + 6;
  if (*cp >= 0xDC00 && *cp <= 0xDFFF)
    return FAIL(P, e, "\\u%04X is a lone low surrogate (it must follow a high surrogate)",
                (unsigned)*cp);
  if (*cp < 0xD800 || *cp > 0xDBFF) return CY_OK;
  uint32_t low;
  if (end - *s < 6 || (*s)[0] != '\\' || (*s)[1] != 'u' || !hex4(*s + 2, end, &low) ||
      low < 0xDC00 || low > 0xDFFF)
    return FAIL(P, e, "\\u%04X is a high surrogate not followed by a low surrogate "
                "escape (\\uDC00 to \\uDFFF)", (unsigned)*cp);
  *cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
  *s += 6;
  return CY_OK;
}

/* Decode the string between quotes [s, end) into o (room enough); sets *len. */
static cy_status decode_string(parser *P, const char *s, const char *end, char *o,
                               int64_t *len) {
  char *start = o;
  while (s < end) {
    unsigned char c = (unsigned char)*s;
    if (c >= 0x80) {
      int n = utf8_length((const unsigned char *)s, (const unsigned char *)end);
      if (n == 0) return FAIL(P, s, "invalid UTF-8 in a string (the byte 0x%02X)", c);
      memcpy(o, s, (size_t)n);
      o += n;
      s += n;
      continue;
    }
    if (c != '\\') {
      *o++ = (char)c;
      s++;
      continue;
    }
    const char *simple = "\"\\/bfnrt", *meaning = "\"\\/\b\f\n\r\t";
    const char *hit = s[1] ? strchr(simple, s[1]) : NULL;
    if (hit != NULL) {
      *o++ = meaning[hit - simple];
      s += 2;
    } else if (s[1] == 'u') {
      uint32_t cp;
      CY_RETURN_NOT_OK(decode_unicode_escape(P, &s, end, &cp));
      o += utf8_encode(cp, o);
    } else {
      char what[64];
      return FAIL(P, s, "invalid escape: a backslash must be followed by one of "
                  "\" \\ / b f n r t u, found %s", describe(P, s + 1, what, sizeof what));
    }
  }
  *o = 0;
  *len = o - start;
  return CY_OK;
}

/* Parse the string at P->p (a '"'). */
static cy_status parse_string(parser *P, const char **data, int64_t *len) {
  const char *open = P->p, *q = open + 1;
  while (q < P->end && *q != '"') {
    unsigned char c = (unsigned char)*q;
    if (c == '\\') {
      q += 2;
      continue;
    }
    if (c == '\n' || c == '\r')
      return FAIL(P, q, "a line break inside a string (a string ends on its own line; "
                  "write \\n for a line break)");
    if (c < 0x20)
      return FAIL(P, q, "the control character 0x%02X inside a string must be escaped", c);
    q++;
  }
  if (q >= P->end) return FAIL(P, open, "this string is never closed (no '\"' before the "
                               "end of the text)");
  char *o = arena_alloc(P->doc, (size_t)(q - open)); /* raw length + 1 >= decoded + NUL */
  if (o == NULL) return out_of_memory(P);
  CY_RETURN_NOT_OK(decode_string(P, open + 1, q, o, len));
  *data = o;
  P->p = q + 1;
  return CY_OK;
}

/* ---- numbers and literals ----------------------------------------------------------- */

static const char *skip_digits(const char *q, const char *end) {
  while (q < end && is_digit(*q)) q++;
  return q;
}

static cy_status parse_number(parser *P, cy_json *out) {
  const char *s = P->p, *q = s, *end = P->end;
  char what[64];
  bool integral = true;
  if (*q == '-') q++;
  if (q >= end || !is_digit(*q))
    return FAIL(P, q, "expected a digit after '-', found %s", describe(P, q, what, sizeof what));
  if (*q == '0' && q + 1 < end && is_digit(q[1]))
    return FAIL(P, s, "a number cannot start with a 0 followed by more digits");
  q = skip_digits(q, end);
  if (q < end && *q == '.') {
    integral = false;
    if (++q >= end || !is_digit(*q))
      return FAIL(P, q, "expected a digit after the decimal point, found %s",
                  describe(P, q, what, sizeof what));
    q = skip_digits(q, end);
  }
  if (q < end && (*q == 'e' || *q == 'E')) {
    integral = false;
    q++;
    if (q < end && (*q == '+' || *q == '-')) q++;
    if (q >= end || !is_digit(*q))
      return FAIL(P, q, "expected a digit in the exponent, found %s",
                  describe(P, q, what, sizeof what));
    q = skip_digits(q, end);
  }
  size_t n = (size_t)(q - s);
  if (integral && cy_parse_int64(s, n, &out->u.i)) {
    out->kind = CY_JSON_INT;
  } else {
    double d;
    if (!cy_parse_double(s, n, &d) || isinf(d))
      return FAIL(P, s, "the number %.*s%s is too large for a double", n > 40 ? 40 : (int)n,
                  s, n > 40 ? "..." : "");
    out->kind = CY_JSON_DOUBLE;
    out->u.d = d;
  }
  P->p = q;
  return CY_OK;
}

static bool take_word(parser *P, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(P->end - P->p) < n || memcmp(P->p, word, n) != 0) return false;
  P->p += n;
  return true;
}

/* The error for a character that cannot start a value, with a hint for common slips. */
static cy_status not_a_value(parser *P) {
  char what[64];
  const char *found = describe(P, P->p, what, sizeof what);
  const char *hint = "";
  char c = P->p < P->end ? *P->p : 0;
  if (c == '\'') hint = " (strings take double quotes)";
  else if (c == '/') hint = " (JSON has no comments)";
  else if (c == '+' || c == '.') hint = " (a number starts with '-' or a digit)";
  else if (c == 'N' || c == 'I') hint = " (NaN and Infinity are not JSON)";
  else if (c == 't' || c == 'f' || c == 'n')
    hint = " (true, false and null are lower case, in full)";
  return FAIL(P, P->p, "expected a value (an object, array, string, number, true, false or "
              "null), found %s%s", found, hint);
}

/* ---- containers --------------------------------------------------------------------- */

static cy_status parse_value(parser *P, cy_json *out);

static cy_status push_value(parser *P, const cy_json *v) {
  if (P->nvals == P->capvals) {
    size_t cap = P->capvals ? P->capvals * 2 : 64;
    cy_json *grown = realloc(P->vals, cap * sizeof *grown);
    if (grown == NULL) return out_of_memory(P);
    P->vals = grown;
    P->capvals = cap;
  }
  P->vals[P->nvals++] = *v;
  return CY_OK;
}

static cy_status push_member(parser *P, const cy_json_member *m) {
  if (P->nmems == P->capmems) {
    size_t cap = P->capmems ? P->capmems * 2 : 64;
    cy_json_member *grown = realloc(P->mems, cap * sizeof *grown);
    if (grown == NULL) return out_of_memory(P);
    P->mems = grown;
    P->capmems = cap;
  }
  P->mems[P->nmems++] = *m;
  return CY_OK;
}

/* Move the top n entries of a scratch stack into the arena. */
/* Copy the n items of an array or object from the parser's stack (base, from index mark)
 * into the document's arena. The base may be NULL when nothing was ever pushed. */
static cy_status settle(parser *P, const void *base, size_t mark, size_t n, size_t size,
                        const void **out) {
  *out = NULL;
  if (n == 0) return CY_OK;
  const void *top = (const char *)base + mark * size;
  void *dst = arena_alloc(P->doc, n * size);
  if (dst == NULL) return out_of_memory(P);
  memcpy(dst, top, n * size);
  *out = dst;
  return CY_OK;
}

static cy_status enter(parser *P) {
  if (++P->depth > P->max_depth)
    return FAIL(P, P->p, "arrays and objects nest deeper than %d levels", (int)P->max_depth);
  P->p++; /* the '[' or '{' */
  skip_space(P);
  return CY_OK;
}

static cy_status parse_array(parser *P, cy_json *out) {
  char what[64];
  size_t mark = P->nvals;
  CY_RETURN_NOT_OK(enter(P));
  if (at(P, ']')) {
    P->p++;
  } else {
    for (;;) {
      cy_json item;
      CY_RETURN_NOT_OK(parse_value(P, &item));
      CY_RETURN_NOT_OK(push_value(P, &item));
      skip_space(P);
      if (at(P, ']')) {
        P->p++;
        break;
      }
      if (!at(P, ','))
        return FAIL(P, P->p, "expected ',' or ']' after an array item, found %s",
                    describe(P, P->p, what, sizeof what));
      P->p++;
      skip_space(P);
      if (at(P, ']')) return FAIL(P, P->p, "a trailing comma before ']' is not allowed");
    }
  }
  out->kind = CY_JSON_ARRAY;
  out->u.arr.len = (int64_t)(P->nvals - mark);
  CY_RETURN_NOT_OK(settle(P, P->vals, mark, P->nvals - mark, sizeof(cy_json),
                          (const void **)&out->u.arr.items));
  P->nvals = mark;
  P->depth--;
  return CY_OK;
}

static int compare_members(const void *a, const void *b) {
  const cy_json_member *x = *(const cy_json_member *const *)a;
  const cy_json_member *y = *(const cy_json_member *const *)b;
  if (x->key_len != y->key_len) return x->key_len < y->key_len ? -1 : 1;
  int c = memcmp(x->key, y->key, (size_t)x->key_len);
  if (c != 0) return c;
  return x < y ? -1 : x > y; /* equal keys in text order */
}

/* Reject an object that repeats a key, naming the repeat that comes first in the text. */
static cy_status check_unique_keys(parser *P, const cy_json_member *m, size_t n) {
  if (n < 2) return CY_OK;
  const cy_json_member **order = malloc(n * sizeof *order);
  if (order == NULL) return out_of_memory(P);
  for (size_t i = 0; i < n; i++) order[i] = &m[i];
  qsort(order, n, sizeof *order, compare_members);
  const cy_json_member *first = NULL, *repeat = NULL;
  for (size_t i = 1; i < n; i++) {
    const cy_json_member *a = order[i - 1], *b = order[i];
    if (a->key_len == b->key_len && memcmp(a->key, b->key, (size_t)a->key_len) == 0 &&
        (repeat == NULL || b < repeat)) {
      repeat = b;
      first = a;
    }
  }
  free(order);
  if (repeat == NULL) return CY_OK;
  return fail_at_line(P, repeat->key_line, repeat->key_column,
                      "the key \"%s\" appears twice in one object (first at line %d, "
                      "column %d)", repeat->key, (int)first->key_line, (int)first->key_column);
}

static cy_status parse_member(parser *P, cy_json_member *m) {
  char what[64];
  if (!at(P, '"'))
    return FAIL(P, P->p, "expected a key in double quotes, found %s",
                describe(P, P->p, what, sizeof what));
  m->key_line = P->line;
  m->key_column = column_at(P, P->p);
  CY_RETURN_NOT_OK(parse_string(P, &m->key, &m->key_len));
  skip_space(P);
  if (!at(P, ':'))
    return FAIL(P, P->p, "expected ':' after the key \"%s\", found %s", m->key,
                describe(P, P->p, what, sizeof what));
  P->p++;
  return parse_value(P, &m->value);
}

static cy_status parse_object(parser *P, cy_json *out) {
  char what[64];
  size_t mark = P->nmems;
  CY_RETURN_NOT_OK(enter(P));
  if (at(P, '}')) {
    P->p++;
  } else {
    for (;;) {
      cy_json_member m;
      CY_RETURN_NOT_OK(parse_member(P, &m));
      CY_RETURN_NOT_OK(push_member(P, &m));
      skip_space(P);
      if (at(P, '}')) {
        P->p++;
        break;
      }
      if (!at(P, ','))
        return FAIL(P, P->p, "expected ',' or '}' after an object member, found %s",
                    describe(P, P->p, what, sizeof what));
      P->p++;
      skip_space(P);
      if (at(P, '}')) return FAIL(P, P->p, "a trailing comma before '}' is not allowed");
    }
  }
  if (P->nmems > mark) CY_RETURN_NOT_OK(check_unique_keys(P, P->mems + mark, P->nmems - mark));
  out->kind = CY_JSON_OBJECT;
  out->u.obj.len = (int64_t)(P->nmems - mark);
  CY_RETURN_NOT_OK(settle(P, P->mems, mark, P->nmems - mark, sizeof(cy_json_member),
                          (const void **)&out->u.obj.members));
  P->nmems = mark;
  P->depth--;
  return CY_OK;
}

static cy_status parse_value(parser *P, cy_json *out) {
  skip_space(P);
  memset(out, 0, sizeof *out);
  out->line = P->line;
  out->column = column_at(P, P->p);
  if (P->p >= P->end) return FAIL(P, P->p, "expected a value, found the end of the text");
  switch (*P->p) {
    case '{': return parse_object(P, out);
    case '[': return parse_array(P, out);
    case '"':
      out->kind = CY_JSON_STRING;
      return parse_string(P, &out->u.str.data, &out->u.str.len);
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return parse_number(P, out);
    default: break;
  }
  if (take_word(P, "true") || take_word(P, "false")) {
    out->kind = CY_JSON_BOOL;
    out->u.b = P->p[-2] == 'u'; /* "tr-u-e", not "fal-s-e" */
    return CY_OK;
  }
  if (take_word(P, "null")) {
    out->kind = CY_JSON_NULL;
    return CY_OK;
  }
  return not_a_value(P);
}

void cy_json_parse_options_init(cy_json_parse_options *opts) {
  opts->max_depth = 128;
  opts->name = NULL;
}

cy_status cy_json_parse(const char *text, size_t len, const cy_json_parse_options *opts,
                        cy_json_doc **out, cy_error *err) {
  cy_json_parse_options defaults;
  if (opts == NULL) {
    cy_json_parse_options_init(&defaults);
    opts = &defaults;
  }
  *out = NULL;
  parser P;
  memset(&P, 0, sizeof P);
  P.p = text;
  P.end = text + len;
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) P.p += 3; /* a byte order mark */
  P.line = 1;
  P.line_start = P.p;
  P.max_depth = opts->max_depth > 0 ? opts->max_depth : 128;
  P.name = opts->name;
  P.err = err;
  P.doc = calloc(1, sizeof *P.doc);
  if (P.doc == NULL) return out_of_memory(&P);
  cy_status st = parse_value(&P, &P.doc->root);
  if (st == CY_OK) {
    skip_space(&P);
    char what[64];
    if (P.p < P.end)
      st = FAIL(&P, P.p, "expected the end of the text after the value, found %s",
                describe(&P, P.p, what, sizeof what));
  }
  free(P.vals);
  free(P.mems);
  if (st != CY_OK) {
    cy_json_doc_free(P.doc);
    return st;
  }
  *out = P.doc;
  return CY_OK;
}

/* ---- looking at values -------------------------------------------------------------- */

const cy_json *cy_json_get(const cy_json *obj, const char *key) {
  if (obj == NULL || obj->kind != CY_JSON_OBJECT) return NULL;
  size_t n = strlen(key);
  for (int64_t i = 0; i < obj->u.obj.len; i++) {
    const cy_json_member *m = &obj->u.obj.members[i];
    if ((size_t)m->key_len == n && memcmp(m->key, key, n) == 0) return &m->value;
  }
  return NULL;
}

const char *cy_json_kind_name(cy_json_kind kind) {
  switch (kind) {
    case CY_JSON_NULL: return "null";
    case CY_JSON_BOOL: return "a boolean";
    case CY_JSON_INT: return "an integer";
    case CY_JSON_DOUBLE: return "a number";
    case CY_JSON_STRING: return "a string";
    case CY_JSON_ARRAY: return "an array";
    case CY_JSON_OBJECT: return "an object";
  }
  return "a value";
}
