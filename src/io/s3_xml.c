/*
 * s3_xml.c - a small, strict XML reader for what S3 answers: error documents, listings
 * (ListBucketResult) and multipart upload results.
 *
 * It walks the document once, keeping the path of open elements ("ListBucketResult/
 * Contents/Key") and the text directly inside the innermost one, and calls the visitor
 * when an element closes. Handled: the XML declaration and processing instructions,
 * comments, a DOCTYPE (skipped; its entities are not expanded), CDATA, attributes (ignored),
 * self-closing tags, namespace prefixes (dropped from names), and the five predefined
 * entities plus numeric character references. Everything is bounds-checked: nesting
 * deeper than 32 elements, paths over 1 KiB, a mismatched end tag, an unknown entity or a
 * document that ends early make it fail rather than guess; nothing reads past `len`.
 */
#include <stdlib.h>
#include <string.h>

#include "io/s3_internal.h"

#define MAX_DEPTH 32
#define MAX_PATH 1024

typedef struct xml_state {
  const char *p, *end;
  char path[MAX_PATH];
  size_t path_len;
  size_t name_at[MAX_DEPTH]; /* where each open element's name starts in path */
  bool children[MAX_DEPTH];  /* the open element has child elements */
  int depth;
  char *text;
  size_t text_len, text_cap;
  s3_xml_visit visit;
  void *ctx;
} xml_state;

static bool text_put(xml_state *s, const char *t, size_t n) {
  if (s->text_len + n + 1 > s->text_cap) {
    size_t cap = s->text_cap ? s->text_cap : 256;
    while (cap < s->text_len + n + 1) cap *= 2;
    char *grown = realloc(s->text, cap);
    if (grown == NULL) return false;
    s->text = grown;
    s->text_cap = cap;
  }
  memcpy(s->text + s->text_len, t, n);
  s->text_len += n;
  s->text[s->text_len] = 0;
  return true;
}

/* Append code point cp as UTF-8. */
static bool put_utf8(xml_state *s, unsigned long cp) {
  char b[4];
  size_t n;
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  if (cp < 0x80) {
    b[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    b[0] = (char)(0xC0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    b[0] = (char)(0xE0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    b[0] = (char)(0xF0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    b[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return text_put(s, b, n);
}

/* Decode one entity at s->p ('&'); advances past ';'. */
static bool entity(xml_state *s) {
  const char *semi = memchr(s->p, ';', (size_t)(s->end - s->p));
  if (semi == NULL || semi - s->p > 12) return false;
  const char *name = s->p + 1;
  size_t n = (size_t)(semi - name);
  s->p = semi + 1;
  static const struct {
    const char *name;
    char c;
  } named[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
  for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
    if (strlen(named[i].name) == n && memcmp(name, named[i].name, n) == 0)
      return text_put(s, &named[i].c, 1);
  if (n < 2 || name[0] != '#') return false;
  bool hex = name[1] == 'x' || name[1] == 'X';
  unsigned long cp = 0;
  size_t digits = 0;
  for (const char *q = name + (hex ? 2 : 1); q < semi; q++, digits++) {
    int d = (*q >= '0' && *q <= '9')             ? *q - '0'
            : hex && (*q >= 'a' && *q <= 'f')    ? *q - 'a' + 10
            : hex && (*q >= 'A' && *q <= 'F')    ? *q - 'A' + 10
                                                 : -1;
    if (d < 0 || cp > 0x10FFFF) return false;
    cp = cp * (hex ? 16 : 10) + (unsigned long)d;
  }
  return digits > 0 && put_utf8(s, cp);
}

/* Skip to just after the first occurrence of `until`. */
static bool skip_past(xml_state *s, const char *until) {
  size_t n = strlen(until);
  for (const char *q = s->p; q + n <= s->end; q++)
    if (memcmp(q, until, n) == 0) {
      s->p = q + n;
      return true;
    }
  return false;
}

static bool is_name_char(char c) {
  return c != 0 && !strchr(" \t\r\n/>=\"'<&", c);
}

static bool open_element(xml_state *s, const char *name, size_t n) {
  const char *colon = memchr(name, ':', n); /* "s3:Key" -> "Key" */
  if (colon) {
    n -= (size_t)(colon + 1 - name);
    name = colon + 1;
  }
  if (n == 0 || s->depth == MAX_DEPTH || s->path_len + n + 2 > MAX_PATH) return false;
  if (s->depth > 0) {
    s->children[s->depth - 1] = true;
    s->path[s->path_len++] = '/';
  }
  s->name_at[s->depth] = s->path_len;
  s->children[s->depth] = false;
  memcpy(s->path + s->path_len, name, n);
  s->path_len += n;
  s->path[s->path_len] = 0;
  s->depth++;
  s->text_len = 0;
  if (s->text) s->text[0] = 0;
  return true;
}

static bool close_element(xml_state *s, const char *name, size_t n) {
  if (s->depth == 0) return false;
  const char *colon = name ? memchr(name, ':', n) : NULL;
  if (colon) {
    n -= (size_t)(colon + 1 - name);
    name = colon + 1;
  }
  size_t at = s->name_at[s->depth - 1];
  if (name && (s->path_len - at != n || memcmp(s->path + at, name, n) != 0)) return false;
  bool leaf = !s->children[s->depth - 1];
  bool go = s->visit(s->ctx, s->path, leaf && s->text ? s->text : "", leaf ? s->text_len : 0);
  s->depth--;
  s->path_len = at > 0 ? at - 1 : 0; /* drop the name and its '/' */
  s->path[s->path_len] = 0;
  s->text_len = 0;
  if (s->text) s->text[0] = 0;
  return go;
}

/* A tag at s->p ('<'). */
static bool tag(xml_state *s) {
  const char *p = s->p + 1;
  size_t left = (size_t)(s->end - p);
  if (left >= 3 && memcmp(p, "!--", 3) == 0) return skip_past(s, "-->");
  if (left >= 8 && memcmp(p, "![CDATA[", 8) == 0) {
    const char *from = p + 8;
    s->p = from;
    if (!skip_past(s, "]]>")) return false;
    return s->depth > 0 && text_put(s, from, (size_t)(s->p - 3 - from));
  }
  if (left >= 1 && (*p == '?' || *p == '!')) return skip_past(s, ">");
  bool closing = left >= 1 && *p == '/';
  if (closing) p++;
  const char *name = p;
  while (p < s->end && is_name_char(*p)) p++;
  size_t n = (size_t)(p - name);
  /* Skip attributes, honouring quotes (a '>' may sit inside one). */
  char quote = 0;
  while (p < s->end && (quote || *p != '>')) {
    if (quote && *p == quote) quote = 0;
    else if (!quote && (*p == '"' || *p == '\'')) quote = *p;
    p++;
  }
  if (p == s->end || n == 0) return false;
  bool self_closing = !closing && p[-1] == '/';
  s->p = p + 1;
  if (closing) return close_element(s, name, n);
  if (!open_element(s, name, n)) return false;
  return self_closing ? close_element(s, NULL, 0) : true;
}

bool s3_xml_parse(const char *doc, size_t len, s3_xml_visit visit, void *ctx) {
  xml_state s;
  memset(&s, 0, sizeof s);
  s.p = doc;
  s.end = doc + len;
  s.visit = visit;
  s.ctx = ctx;
  bool ok = true, seen_root = false;
  while (ok && s.p < s.end) {
    char c = *s.p;
    if (c == '<') {
      int before = s.depth;
      ok = tag(&s);
      if (before == 0 && s.depth > 0) {
        ok = ok && !seen_root; /* one root element */
        seen_root = true;
      }
    } else if (c == '&') {
      ok = s.depth > 0 && entity(&s);
    } else {
      const char *from = s.p;
      while (s.p < s.end && *s.p != '<' && *s.p != '&') s.p++;
      if (s.depth > 0) {
        ok = text_put(&s, from, (size_t)(s.p - from));
      } else {
        for (const char *q = from; q < s.p && ok; q++)
          ok = *q == ' ' || *q == '\t' || *q == '\r' || *q == '\n';
      }
    }
  }
  free(s.text);
  return ok && s.depth == 0 && seen_root;
}

typedef struct find_ctx {
  const char *path;
  char *found;
} find_ctx;

static bool find_visit(void *ctx, const char *path, const char *text, size_t len) {
  find_ctx *f = ctx;
  if (strcmp(path, f->path) != 0) return true;
  f->found = malloc(len + 1);
  if (f->found) {
    memcpy(f->found, text, len);
    f->found[len] = 0;
  }
  return false; /* the first is enough */
}

char *s3_xml_text(const char *doc, size_t len, const char *path) {
  find_ctx f = {path, NULL};
  s3_xml_parse(doc, len, find_visit, &f);
  return f.found;
}
