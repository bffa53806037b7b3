/*
 * expr_dump.c - filter a CSV file with cylon's expression language and print the rows
 * that pass, canonically, so that a test (tests/oracle/expr_diff.mjs) can compare them
 * with DuckDB's answer to SELECT * FROM read_csv(FILE) WHERE EXPR.
 *
 *   expr_dump FILE [--types name:type,...] EXPR...
 *   expr_dump FILE [--types name:type,...] --stdin      one expression per line
 *
 * For each expression it prints one line of JSON, {"ok": true, "rows": N} or
 * {"ok": false, "error": MESSAGE}, then the N rows, each a JSON array: null for nulls;
 * integers as decimal strings; floats as "%.17g" strings (exact) or "nan", "inf",
 * "-inf"; bools as true / false; strings as JSON strings (bytes escaped below 0x20);
 * date32 as days since the epoch (a string); timestamps as their raw value (a string).
 * Type names in --types are cy_type_parse names without commas (int64, float64, utf8,
 * date32, bool ...). Exit status: 0 when the file was read, 1 when not, 2 on bad usage.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"

#define MAX_COLUMNS 64

static void put_string(const uint8_t *s, int64_t n) {
  putchar('"');
  for (int64_t i = 0; i < n; i++) {
    unsigned c = s[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20 || c == 0x7f) printf("\\u%04x", c);
    else putchar((int)c);
  }
  putchar('"');
}

static void put_value(const cy_column *col, int64_t i) {
  if (!cy_column_is_valid(col, i)) {
    fputs("null", stdout);
    return;
  }
  cy_scalar s = cy_column_scalar(col, i);
  switch (col->type.id) {
    case CY_BOOL: fputs(s.v.b ? "true" : "false", stdout); break;
    case CY_FLOAT32: case CY_FLOAT64:
      if (isnan(s.v.f)) fputs("\"nan\"", stdout);
      else if (isinf(s.v.f)) fputs(s.v.f > 0 ? "\"inf\"" : "\"-inf\"", stdout);
      else printf("\"%.17g\"", s.v.f);
      break;
    case CY_UINT8: case CY_UINT16: case CY_UINT32: case CY_UINT64:
      printf("\"%" PRIu64 "\"", s.v.u);
      break;
    case CY_UTF8: case CY_LARGE_UTF8: case CY_BINARY: case CY_LARGE_BINARY:
      put_string((const uint8_t *)s.v.s.data, s.v.s.len);
      break;
    case CY_DECIMAL128: {
      char buf[128];
      cy_column_format_value(col, i, "", buf, sizeof buf);
      printf("\"%s\"", buf);
      break;
    }
    default: printf("\"%" PRId64 "\"", s.v.i); break; /* signed, date32, timestamp */
  }
}

/* Filter the table by one expression and print the result block. */
static void run(cy_table *table, const char *text) {
  cy_error err;
  cy_expr *expr = NULL;
  cy_table *out = NULL;
  if (cy_expr_parse(text, &expr, &err) != CY_OK || cy_table_select(table, expr, &out, &err) != CY_OK) {
    fputs("{\"ok\": false, \"error\": ", stdout);
    put_string((const uint8_t *)err.message, (int64_t)strlen(err.message));
    fputs("}\n", stdout);
    cy_expr_release(expr);
    return;
  }
  printf("{\"ok\": true, \"rows\": %lld}\n", (long long)out->num_rows);
  for (int64_t r = 0; r < out->num_rows; r++) {
    putchar('[');
    for (int32_t c = 0; c < out->schema.num_fields; c++) {
      if (c) fputs(", ", stdout);
      put_value(out->columns[c], r);
    }
    fputs("]\n", stdout);
  }
  cy_table_release(out);
  cy_expr_release(expr);
}

/* "a:int64,b:utf8" into names and types (the text is cut in place). */
static int parse_types(char *text, const char **names, cy_type *types, int32_t *n) {
  cy_error err;
  for (char *item = strtok(text, ","); item; item = strtok(NULL, ",")) {
    char *colon = strchr(item, ':');
    if (colon == NULL || *n == MAX_COLUMNS) {
      fprintf(stderr, "expr_dump: bad --types item '%s'\n", item);
      return -1;
    }
    *colon = 0;
    if (cy_type_parse(colon + 1, &types[*n], &err) != CY_OK) {
      fprintf(stderr, "expr_dump: %s\n", err.message);
      return -1;
    }
    names[(*n)++] = item;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: expr_dump FILE [--types name:type,...] (EXPR... | --stdin)\n");
    return 2;
  }
  cy_csv_read_options opts;
  cy_csv_read_options_init(&opts);
  const char *names[MAX_COLUMNS];
  cy_type types[MAX_COLUMNS];
  int32_t num_types = 0;
  int first = 2;
  char *types_text = NULL;
  if (strcmp(argv[2], "--types") == 0 && argc > 3) {
    types_text = strdup(argv[3]);
    if (types_text == NULL || parse_types(types_text, names, types, &num_types)) return 2;
    opts.column_names = names;
    opts.column_types = types;
    opts.num_column_types = num_types;
    first = 4;
  }
  cy_error err;
  cy_table *table;
  if (cy_csv_read(argv[1], &opts, &table, &err) != CY_OK) {
    fprintf(stderr, "%s\n", err.message);
    free(types_text);
    return 1;
  }
  if (first < argc && strcmp(argv[first], "--stdin") == 0) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
      while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
      run(table, line);
    }
    free(line);
  } else {
    for (int i = first; i < argc; i++) run(table, argv[i]);
  }
  cy_table_release(table);
  free(types_text);
  return fflush(stdout) == 0 ? 0 : 1;
}
