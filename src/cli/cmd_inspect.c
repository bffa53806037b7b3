/*
 * cmd_inspect.c - `cylon head` and `cylon schema`: look at a table.
 *
 * head reads the whole table (timed, so it doubles as a read benchmark) and prints its
 * first and last rows in a box with names, types and the row count; for a Parquet file of
 * several row groups it reads the footer and only the row groups holding the rows shown.
 * schema reads only what it needs to know the columns: for CSV, the header and the
 * inference sample; for Parquet, the footer; for Arrow IPC, the schema message.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void help_head(FILE *out) {
  fprintf(out,
          "usage: cylon head FILE [options]\n\n"
          "Read a table and show its first and last rows, column types and row count.\n"
          "The read time goes to standard error.\n\n"
          "  -n, --rows N        rows to show (default 10: the first 5 and the last 5)\n"
          "  -w, --width W       widest the box may be (default 120)\n");
  cli_read_options_help(out);
}

void help_schema(FILE *out) {
  fprintf(out,
          "usage: cylon schema FILE [options]\n\n"
          "Show a table's column names and types. For CSV, types are inferred from a sample\n"
          "of rows (see --sample) unless given with --types.\n\n");
  cli_read_options_help(out);
}

/* Parse the arguments common to head and schema: FILE, read options, and (for head) the
 * display options. Returns 0, or an exit status. */
static int parse_args(const char *cmd, int argc, char **argv, cli_read_options *ro,
                      const char **path, int64_t *rows, int *width) {
  *path = NULL;
  for (int i = 1; i < argc; i++) {
    int taken = cli_read_option(ro, argc, argv, &i);
    if (taken < 0) return 2;
    if (taken) continue;
    const char *a = argv[i];
    if (rows && (strcmp(a, "-n") == 0 || strcmp(a, "--rows") == 0) && i + 1 < argc) {
      if (!cli_parse_int(argv[++i], rows) || *rows < 0) {
        fprintf(stderr, "cylon %s: bad %s '%s' (a row count)\n", cmd, a, argv[i]);
        return 2;
      }
    } else if (width && (strcmp(a, "-w") == 0 || strcmp(a, "--width") == 0) && i + 1 < argc) {
      int64_t w;
      if (!cli_parse_int(argv[++i], &w) || w < 20 || w > 100000) {
        fprintf(stderr, "cylon %s: bad %s '%s' (a width of 20 or more)\n", cmd, a, argv[i]);
        return 2;
      }
      *width = (int)w;
    } else if (a[0] == '-' && a[1] != 0) {
      fprintf(stderr, "cylon %s: unknown option '%s' (see cylon %s --help)\n", cmd, a, cmd);
      return 2;
    } else if (*path == NULL) {
      *path = a;
    } else {
      fprintf(stderr, "cylon %s: one file at a time\n", cmd);
      return 2;
    }
  }
  if (*path == NULL) {
    fprintf(stderr, "cylon %s: which file? (see cylon %s --help)\n", cmd, cmd);
    return 2;
  }
  return 0;
}

static bool is_parquet(const char *path) {
  cy_error ignored;
  cy_file_format f;
  return strcmp(path, "-") != 0 && cy_file_format_of_path(path, &f, &ignored) == CY_OK &&
         f == CY_FORMAT_PARQUET;
}

/* The first top and last bottom rows of a Parquet file: the row groups that hold them, read
 * as one table (groups from the start, then groups from the end). *total gets the file's
 * row count, *groups_read and *groups how many row groups were read of how many. */
static cy_status read_parquet_ends(const char *path, int64_t top, int64_t bottom,
                                   cy_table **out, int64_t *total, int32_t *groups_read,
                                   int32_t *groups, cy_error *err) {
  cy_parquet_info info;
  CY_RETURN_NOT_OK(cy_parquet_read_info(path, &info, err));
  *total = info.num_rows;
  *groups = info.num_row_groups;
  int32_t n = info.num_row_groups, first = 0, last = n; /* groups [0, first) and [last, n) */
  for (int64_t covered = 0; first < n && covered < top; first++)
    covered += info.row_group_rows[first];
  for (int64_t covered = 0; last > first && covered < bottom; last--)
    covered += info.row_group_rows[last - 1];
  cy_parquet_info_reset(&info);
  int32_t *chosen = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
  if (chosen == NULL) {
    cy_error_set(err, "%s: out of memory", path);
    return CY_ENOMEM;
  }
  int32_t k = 0;
  for (int32_t g = 0; g < first; g++) chosen[k++] = g;
  for (int32_t g = last; g < n; g++) chosen[k++] = g;
  if (k == 0 && n > 0) chosen[k++] = 0; /* no rows wanted: one group for the schema */
  *groups_read = k;
  cy_parquet_read_options po;
  cy_parquet_read_options_init(&po);
  po.row_groups = chosen;
  po.num_row_groups = k;
  /* A file without row groups is read whole: its schema with no rows. */
  cy_status st = cy_parquet_read(path, k > 0 ? &po : NULL, out, err);
  free(chosen);
  return st;
}

int cmd_head(int argc, char **argv) {
  cli_read_options ro;
  cli_read_options_init(&ro);
  const char *path;
  int64_t rows = 10;
  int width = 0;
  int rc = parse_args("head", argc, argv, &ro, &path, &rows, &width);
  if (rc != 0) {
    cli_read_options_reset(&ro);
    return rc;
  }
  cy_error err;
  cy_table *t = NULL;
  cy_memory_reset_peak();
  double t0 = cy_now();
  int64_t total = 0;
  int32_t groups_read = 0, groups = 0;
  cy_status st = is_parquet(path) ? read_parquet_ends(path, (rows + 1) / 2, rows / 2, &t, &total,
                                                      &groups_read, &groups, &err)
                                  : cli_read_table(path, &ro, &t, &err);
  double t1 = cy_now();
  cli_read_options_reset(&ro);
  if (st != CY_OK) return cli_fail("head", "%s", err.message);
  cy_print_options po;
  cy_print_options_init(&po);
  po.max_rows = rows;
  po.total_rows = total;
  if (width > 0) po.max_width = width;
  st = cy_table_print(t, &po, stdout, &err);
  char a[32], b[32], c[32];
  int64_t size = cli_file_size(path);
  if (groups_read < groups)
    fprintf(stderr, "read the footer and %d of %d row groups of %s in %.3f s\n", groups_read,
            groups, path, t1 - t0);
  else
    fprintf(stderr, "read %s: %s rows x %d columns, %s in %.3f s (%.0f MB/s), peak memory %s\n",
            path, cli_count(t->num_rows, a, sizeof a), t->schema.num_fields,
            cli_bytes(size, b, sizeof b), t1 - t0,
            size > 0 && t1 > t0 ? (double)size / 1e6 / (t1 - t0) : 0.0,
            cli_bytes(cy_memory_peak(), c, sizeof c));
  cy_table_release(t);
  return st == CY_OK ? 0 : cli_fail("head", "%s", err.message);
}

int cmd_schema(int argc, char **argv) {
  cli_read_options ro;
  cli_read_options_init(&ro);
  const char *path;
  int rc = parse_args("schema", argc, argv, &ro, &path, NULL, NULL);
  if (rc != 0) {
    cli_read_options_reset(&ro);
    return rc;
  }
  cy_error err;
  cy_batch_reader reader = {0};
  cy_schema schema = {0, NULL};
  cy_file_format format = CY_FORMAT_CSV;
  if (strcmp(path, "-") == 0) path = "/dev/stdin"; /* the schema needs only the sample */
  else if (cy_file_format_of_path(path, &format, &err) != CY_OK) format = CY_FORMAT_CSV;
  cy_status st;
  char *unreadable = NULL;
  if (format == CY_FORMAT_PARQUET) {
    cy_parquet_info info;
    st = cy_parquet_read_info(path, &info, &err);
    if (st == CY_OK) {
      schema = info.schema; /* taken over */
      info.schema = (cy_schema){0, NULL};
      unreadable = info.unreadable;
      info.unreadable = NULL;
      cy_parquet_info_reset(&info);
    }
  } else if (format == CY_FORMAT_HDF5) { /* no footer to look at: the table itself */
    cy_table *t = NULL;
    st = cy_hdf5_read(path, NULL, &t, &err);
    if (st == CY_OK) st = cy_schema_copy(&t->schema, &schema, &err);
    cy_table_release(t);
  } else {
    st = format == CY_FORMAT_IPC ? cy_ipc_open(path, &reader, &err)
                                 : cy_csv_open(path, &ro.csv, &reader, &err);
    if (st == CY_OK) st = reader.get_schema(&reader, &schema, &err);
    if (reader.release) reader.release(&reader);
  }
  cli_read_options_reset(&ro);
  if (st != CY_OK) return cli_fail("schema", "%s", err.message);
  int w = 6; /* "column" */
  for (int32_t i = 0; i < schema.num_fields; i++) {
    int n = (int)strlen(schema.fields[i].name);
    if (n > w) w = n;
  }
  printf("%-*s  type\n", w, "column");
  for (int32_t i = 0; i < schema.num_fields; i++) {
    char tn[96];
    printf("%-*s  %s\n", w, schema.fields[i].name,
           cy_type_name(&schema.fields[i].type, tn, sizeof tn));
  }
  if (unreadable) fprintf(stderr, "cylon schema: not shown, as cylon cannot read them: %s\n",
                          unreadable);
  free(unreadable);
  cy_schema_reset(&schema);
  return 0;
}
