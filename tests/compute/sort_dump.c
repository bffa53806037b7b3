/*
 * sort_dump.c - sort CSV tables with cylon and print the results canonically, for
 * tests/oracle/sort_diff.mjs to compare with DuckDB's ORDER BY.
 *
 *   sort_dump SPEC_FILE
 *
 * Every line of SPEC_FILE is one case, three or four tab-separated fields:
 *   CSV_PATH   a CSV file with a header; empty unquoted fields are nulls
 *   TYPES      name:type,...  the columns' types (int64, int32, float64, utf8, date32, bool)
 *   KEYS       name:asc|desc:first|last,...  the sort keys, in order
 *   K          (optional) run cy_table_top_k with this k instead of cy_table_sort
 * For each case it prints "#case N" and then the sorted table, one JSON array per row:
 * null for nulls; integers and dates (days since the epoch) as decimal strings; floats as
 * "%.17g" strings, or "nan", "inf", "-inf"; bools as true / false; strings as JSON
 * strings. A case that fails prints "#error MESSAGE" instead. Exit status 0 unless the
 * spec cannot be read (2).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"

#define MAX_COLUMNS 32

static void put_string(const uint8_t *s, int64_t n, FILE *out) {
  fputc('"', out);
  for (int64_t i = 0; i < n; i++) {
    unsigned c = s[i];
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
      fprintf(out, "\\u%04x", c);
    else
      fputc((int)c, out); /* UTF-8 passes through: the generator writes only valid text */
  }
  fputc('"', out);
}

static void put_value(const cy_column *col, int64_t i, FILE *out) {
  if (!cy_column_is_valid(col, i)) {
    fputs("null", out);
    return;
  }
  switch (col->type.id) {
    case CY_BOOL: fputs(cy_column_bool(col, i) ? "true" : "false", out); break;
    case CY_INT32: case CY_DATE32:
      fprintf(out, "\"%" PRId32 "\"", ((const int32_t *)cy_column_data(col))[i]);
      break;
    case CY_INT64:
      fprintf(out, "\"%" PRId64 "\"", ((const int64_t *)cy_column_data(col))[i]);
      break;
    case CY_FLOAT64: {
      double v = ((const double *)cy_column_data(col))[i];
      if (isnan(v)) fputs("\"nan\"", out);
      else if (isinf(v)) fputs(v > 0 ? "\"inf\"" : "\"-inf\"", out);
      else fprintf(out, "\"%.17g\"", v);
      break;
    }
    default: {
      int64_t len;
      const uint8_t *p = cy_column_bytes(col, i, &len);
      put_string(p, len, out);
    }
  }
}

/* Split s at `sep` in place into at most max parts; returns the count. */
static int split(char *s, char sep, char **parts, int max) {
  int n = 0;
  while (s && n < max) {
    parts[n++] = s;
    s = strchr(s, sep);
    if (s) *s++ = 0;
  }
  return n;
}

/* Parse "name:type,..." into the CSV reader's explicit types. */
static cy_status parse_types(char *text, const char **names, cy_type *types, int32_t *n,
                             cy_error *err) {
  char *items[MAX_COLUMNS];
  *n = split(text, ',', items, MAX_COLUMNS);
  for (int32_t i = 0; i < *n; i++) {
    char *colon = strrchr(items[i], ':');
    if (!colon) {
      cy_error_set(err, "bad type item '%s'", items[i]);
      return CY_EINVAL;
    }
    *colon = 0;
    names[i] = items[i];
    CY_RETURN_NOT_OK(cy_type_parse(colon + 1, &types[i], err));
  }
  return CY_OK;
}

/* Parse "name:asc|desc:first|last,..." into sort keys (pointing into text). */
static cy_status parse_keys(char *text, cy_sort_key *keys, int32_t *n, cy_error *err) {
  char *items[MAX_COLUMNS];
  *n = split(text, ',', items, MAX_COLUMNS);
  for (int32_t i = 0; i < *n; i++) {
    char *f[3];
    if (split(items[i], ':', f, 3) != 3) {
      cy_error_set(err, "bad key item '%s'", items[i]);
      return CY_EINVAL;
    }
    keys[i] = (cy_sort_key){f[0], strcmp(f[1], "desc") == 0, strcmp(f[2], "first") == 0};
  }
  return CY_OK;
}

static cy_status run_case(char *line, FILE *out, cy_error *err) {
  char *field[4];
  int nfields = split(line, '\t', field, 4);
  if (nfields < 3) {
    cy_error_set(err, "a case needs three or four tab-separated fields");
    return CY_EINVAL;
  }
  const char *names[MAX_COLUMNS];
  cy_type types[MAX_COLUMNS];
  cy_sort_key keys[MAX_COLUMNS];
  int32_t ntypes, nkeys;
  CY_RETURN_NOT_OK(parse_types(field[1], names, types, &ntypes, err));
  CY_RETURN_NOT_OK(parse_keys(field[2], keys, &nkeys, err));
  cy_csv_read_options opts;
  cy_csv_read_options_init(&opts);
  opts.column_names = names;
  opts.column_types = types;
  opts.num_column_types = ntypes;
  cy_table *t = NULL, *sorted = NULL;
  CY_RETURN_NOT_OK(cy_csv_read(field[0], &opts, &t, err));
  cy_status st = nfields == 4 ? cy_table_top_k(t, keys, nkeys, atoll(field[3]), &sorted, err)
                              : cy_table_sort(t, keys, nkeys, &sorted, err);
  cy_table_release(t);
  if (st != CY_OK) return st;
  for (int64_t r = 0; r < sorted->num_rows; r++) {
    fputc('[', out);
    for (int32_t c = 0; c < sorted->schema.num_fields; c++) {
      if (c) fputc(',', out);
      put_value(sorted->columns[c], r, out);
    }
    fputs("]\n", out);
  }
  cy_table_release(sorted);
  return CY_OK;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: sort_dump SPEC_FILE\n");
    return 2;
  }
  FILE *spec = fopen(argv[1], "r");
  if (!spec) {
    perror(argv[1]);
    return 2;
  }
  static char line[1 << 16];
  for (int n = 0; fgets(line, sizeof line, spec); n++) {
    line[strcspn(line, "\r\n")] = 0;
    printf("#case %d\n", n);
    cy_error err;
    err.message[0] = 0;
    if (run_case(line, stdout, &err) != CY_OK) printf("#error %s\n", err.message);
  }
  fclose(spec);
  return 0;
}
