/*
 * table_files.c - reading and writing tables for the commands ("-" for standard input and
 * output; files by extension through cy_table_read_file / cy_table_write_file), the read
 * options they share, and number formatting for people.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/text_parse.h"

bool cli_parse_int(const char *s, int64_t *out) { return cy_parse_int64(s, strlen(s), out); }
bool cli_parse_uint(const char *s, uint64_t *out) { return cy_parse_uint64(s, strlen(s), out); }
bool cli_parse_double(const char *s, double *out) { return cy_parse_double(s, strlen(s), out); }

void cli_read_options_init(cli_read_options *o) {
  memset(o, 0, sizeof(*o));
  cy_csv_read_options_init(&o->csv);
}

void cli_read_options_reset(cli_read_options *o) {
  for (int i = 0; i < o->csv.num_column_types; i++) free(o->type_names[i]);
  memset(o, 0, sizeof(*o));
}

/* "a:int64,b:date" into the override arrays. */
static int parse_types(cli_read_options *o, const char *spec) {
  char *copy = strdup(spec);
  int n = o->csv.num_column_types;
  for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
       item = strtok_r(NULL, ",", &save)) {
    char *colon = strrchr(item, ':');
    cy_error err;
    if (colon == NULL || n >= 256) {
      fprintf(stderr, "cylon: --types wants name:type[,name:type...], got '%s'\n", item);
      free(copy);
      return -1;
    }
    *colon = 0;
    if (cy_type_parse(colon + 1, &o->types[n], &err) != CY_OK) {
      fprintf(stderr, "cylon: --types: column '%s': %s\n", item, err.message);
      free(copy);
      return -1;
    }
    o->type_names[n++] = strdup(item);
  }
  free(copy);
  o->csv.num_column_types = n;
  o->csv.column_names = (const char *const *)o->type_names;
  o->csv.column_types = o->types;
  return 0;
}

static int parse_delimiter(const char *s, char *out) {
  if (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0) s = "\t";
  if (strlen(s) != 1) {
    fprintf(stderr, "cylon: the delimiter must be one character, got '%s'\n", s);
    return -1;
  }
  *out = s[0];
  return 0;
}

int cli_read_option(cli_read_options *o, int argc, char **argv, int *i) {
  const char *a = argv[*i];
  bool takes_value = strcmp(a, "--delimiter") == 0 || strcmp(a, "-d") == 0 ||
                     strcmp(a, "--null") == 0 || strcmp(a, "--types") == 0 ||
                     strcmp(a, "--sample") == 0;
  if (strcmp(a, "--no-header") == 0) {
    o->csv.header = false;
    return 1;
  }
  if (!takes_value) return 0;
  if (*i + 1 >= argc) {
    fprintf(stderr, "cylon: %s needs a value\n", a);
    return -1;
  }
  const char *v = argv[++*i];
  if (strcmp(a, "--delimiter") == 0 || strcmp(a, "-d") == 0)
    return parse_delimiter(v, &o->csv.delimiter) == 0 ? 1 : -1;
  if (strcmp(a, "--types") == 0) return parse_types(o, v) == 0 ? 1 : -1;
  if (strcmp(a, "--sample") == 0) {
    if (!cli_parse_int(v, &o->csv.sample_rows) || o->csv.sample_rows < -1) {
      fprintf(stderr, "cylon: bad --sample '%s' (a row count, or -1 for all)\n", v);
      return -1;
    }
    return 1;
  }
  if (o->csv.num_null_values >= 16) {
    fprintf(stderr, "cylon: at most 16 --null markers\n");
    return -1;
  }
  o->nulls[o->csv.num_null_values++] = v;
  o->csv.null_values = o->nulls;
  return 1;
}

void cli_read_options_help(FILE *out) {
  fprintf(out,
          "reading CSV:\n"
          "  -d, --delimiter C   field separator (default ','; 'tab' or '\\t' for tabs)\n"
          "  --no-header         the first line is data; columns are column0, column1, ...\n"
          "  --null TEXT         text that means null (repeatable; default: empty field)\n"
          "  --types SPEC        column types, e.g. k:int64,d:date (others are inferred)\n"
          "  --sample N          rows sampled to infer types (default 20480; -1 = all)\n");
}

/* "-" is standard input or output, as CSV; other paths go to the io layer, which picks the
 * format by extension. */
cy_status cli_read_table(const char *path, const cli_read_options *o, cy_table **out,
                         cy_error *err) {
  if (strcmp(path, "-") == 0) return cy_csv_read("/dev/stdin", &o->csv, out, err);
  cy_table_read_options ro;
  cy_table_read_options_init(&ro);
  ro.csv = o->csv;
  return cy_table_read_file(path, &ro, out, err);
}

cy_status cli_write_table(const cy_table *t, const char *path,
                          const cy_table_write_options *opts, cy_error *err) {
  cy_table_write_options defaults;
  if (!opts) {
    cy_table_write_options_init(&defaults);
    opts = &defaults;
  }
  if (strcmp(path, "-") == 0) return cy_csv_write_stream(t, stdout, &opts->csv, err);
  return cy_table_write_file(t, path, opts, err);
}

const char *cli_count(int64_t n, char *buf, size_t size) {
  char digits[32];
  int len = snprintf(digits, sizeof digits, "%lld", (long long)(n < 0 ? -n : n));
  size_t k = 0;
  if (n < 0 && k + 1 < size) buf[k++] = '-';
  for (int i = 0; i < len && k + 1 < size; i++) {
    if (i > 0 && (len - i) % 3 == 0 && k + 1 < size) buf[k++] = ',';
    if (k + 1 < size) buf[k++] = digits[i];
  }
  buf[k] = 0;
  return buf;
}

const char *cli_bytes(int64_t n, char *buf, size_t size) {
  const char *units[] = {"B", "KB", "MB", "GB", "TB"};
  double v = (double)n;
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    u++;
  }
  snprintf(buf, size, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

int64_t cli_file_size(const char *path) {
  struct stat sb;
  if (stat(path, &sb) == 0) return (int64_t)sb.st_size;
  /* FILE.h5:/KEY is the size of FILE.h5. */
  for (const char *c = strchr(path, ':'); c && cy_hdf5_is_path(path); c = strchr(c + 1, ':')) {
    char *file = strndup(path, (size_t)(c - path));
    int rc = file ? stat(file, &sb) : -1;
    free(file);
    if (rc == 0) return (int64_t)sb.st_size;
  }
  return -1;
}

int cli_fail(const char *cmd, const char *fmt, ...) {
  fprintf(stderr, "cylon %s: ", cmd);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 1;
}
