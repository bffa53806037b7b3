/*
 * table_file.c - reading and writing a whole table as a file whose format is named or
 * told by the extension.
 *
 * The one place that maps extensions to formats, shared by the command line and the plan
 * executor, so that `cylon head x.csv` and a plan's read of x.csv agree. Each format's own
 * reader and writer do the work (csv_read.c, csv_write.c); writers publish the file only
 * when it is complete.
 */
#include <string.h>
#include <strings.h>

#include "cylon/io.h"

/* The text after the last '.' of the file name, or "". */
static const char *extension(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(path, '.');
  return dot && (!slash || dot > slash) ? dot + 1 : "";
}

const char *cy_file_format_name(cy_file_format format) {
  return format == CY_FORMAT_CSV ? "csv" : "auto";
}

cy_status cy_file_format_parse(const char *name, cy_file_format *out, cy_error *err) {
  if (strcasecmp(name, "csv") == 0) {
    *out = CY_FORMAT_CSV;
    return CY_OK;
  }
  cy_error_set(err, "unknown file format '%s' (cylon knows csv)", name);
  return CY_ENOTSUP;
}

cy_status cy_file_format_of_path(const char *path, cy_file_format *out, cy_error *err) {
  const char *ext = extension(path);
  if (strcasecmp(ext, "csv") == 0 || strcasecmp(ext, "tsv") == 0 ||
      strcasecmp(ext, "txt") == 0) {
    *out = CY_FORMAT_CSV;
    return CY_OK;
  }
  if (*ext == 0)
    cy_error_set(err, "%s: no file extension to tell the format by (cylon reads and writes "
                 ".csv)", path);
  else
    cy_error_set(err, "%s: unknown file format '.%s' (cylon reads and writes .csv)", path, ext);
  return CY_ENOTSUP;
}

static cy_status resolve(const char *path, cy_file_format format, cy_file_format *out,
                         cy_error *err) {
  if (format != CY_FORMAT_AUTO) {
    *out = format;
    return CY_OK;
  }
  return cy_file_format_of_path(path, out, err);
}

void cy_table_read_options_init(cy_table_read_options *opts) {
  opts->format = CY_FORMAT_AUTO;
  cy_csv_read_options_init(&opts->csv);
}

cy_status cy_table_read_file(const char *path, const cy_table_read_options *opts,
                             cy_table **out, cy_error *err) {
  cy_table_read_options defaults;
  if (opts == NULL) {
    cy_table_read_options_init(&defaults);
    opts = &defaults;
  }
  cy_file_format format;
  CY_RETURN_NOT_OK(resolve(path, opts->format, &format, err));
  return cy_csv_read(path, &opts->csv, out, err); /* the only format so far */
}

void cy_table_write_options_init(cy_table_write_options *opts) {
  opts->format = CY_FORMAT_AUTO;
  cy_csv_write_options_init(&opts->csv);
}

cy_status cy_table_write_file(const cy_table *table, const char *path,
                              const cy_table_write_options *opts, cy_error *err) {
  cy_table_write_options defaults;
  if (opts == NULL) {
    cy_table_write_options_init(&defaults);
    opts = &defaults;
  }
  cy_file_format format;
  CY_RETURN_NOT_OK(resolve(path, opts->format, &format, err));
  return cy_csv_write(table, path, &opts->csv, err);
}
