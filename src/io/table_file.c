/*
 * table_file.c - reading and writing a whole table as a file whose format is named or
 * told by the extension.
 *
 * The one place that maps extensions to formats, shared by the command line, the plan
 * executor and datasets, so that `cylon head x.parquet` and a plan's read of x.parquet
 * agree:
 *
 *   .csv .tsv .txt                   CSV (csv_read.c, csv_write.c)
 *   .parquet .pq                     Parquet (parquet_read.c, parquet_write.c)
 *   .arrow .feather .ipc             Arrow IPC, the file format (ipc_read.c, ipc_write.c)
 *   .arrows                          Arrow IPC, the stream format
 *   .h5 .hdf5 .hdf .he5              HDF5 (hdf5_read.c, hdf5_write.c); FILE.h5:/KEY names
 *                                    the group or dataset inside
 *
 * Paths are anything cy_input_open / cy_output_open take: local paths, file:// and s3://
 * URLs. Each format's reader and writer do the work; writers publish the file only when
 * it is complete.
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

static const struct {
  const char *name;
  cy_file_format format;
} known[] = {{"csv", CY_FORMAT_CSV},         {"tsv", CY_FORMAT_CSV},
             {"txt", CY_FORMAT_CSV},         {"parquet", CY_FORMAT_PARQUET},
             {"pq", CY_FORMAT_PARQUET},      {"arrow", CY_FORMAT_IPC},
             {"arrows", CY_FORMAT_IPC},      {"ipc", CY_FORMAT_IPC},
             {"feather", CY_FORMAT_IPC},     {"h5", CY_FORMAT_HDF5},
             {"hdf5", CY_FORMAT_HDF5},       {"hdf", CY_FORMAT_HDF5},
             {"he5", CY_FORMAT_HDF5}};

const char *cy_file_format_name(cy_file_format format) {
  switch (format) {
    case CY_FORMAT_CSV: return "csv";
    case CY_FORMAT_PARQUET: return "parquet";
    case CY_FORMAT_IPC: return "ipc";
    case CY_FORMAT_HDF5: return "hdf5";
    default: return "auto";
  }
}

cy_status cy_file_format_parse(const char *name, cy_file_format *out, cy_error *err) {
  if (strcasecmp(name, "auto") == 0) {
    *out = CY_FORMAT_AUTO;
    return CY_OK;
  }
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcasecmp(name, known[i].name) == 0) {
      *out = known[i].format;
      return CY_OK;
    }
  cy_error_set(err, "unknown file format '%s' (cylon knows csv, parquet, ipc, also called "
               "arrow or feather, and hdf5)", name);
  return CY_ENOTSUP;
}

cy_status cy_file_format_of_path(const char *path, cy_file_format *out, cy_error *err) {
  const char *ext = extension(path);
  if (cy_hdf5_is_path(path)) { /* also FILE.h5:/KEY, whose key has no extension */
    *out = CY_FORMAT_HDF5;
    return CY_OK;
  }
  for (size_t i = 0; *ext && i < sizeof known / sizeof known[0]; i++)
    if (strcasecmp(ext, known[i].name) == 0) {
      *out = known[i].format;
      return CY_OK;
    }
  if (*ext == 0)
    cy_error_set(err, "%s: no file extension to tell the format by (cylon reads and writes "
                 ".csv, .parquet, .arrow and .h5)", path);
  else
    cy_error_set(err, "%s: unknown file format '.%s' (cylon reads and writes .csv, .tsv, "
                 ".txt, .parquet, .pq, .arrow, .arrows, .ipc, .feather, .h5, .hdf5, .hdf and .he5)", path, ext);
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

/* The CSV reader and writer open local files themselves: they take plain paths. */
static const char *csv_path(const char *path) {
  return strncmp(path, "file://", 7) == 0 ? path + 7 : path;
}

void cy_table_read_options_init(cy_table_read_options *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->format = CY_FORMAT_AUTO;
  cy_csv_read_options_init(&opts->csv);
  cy_parquet_read_options_init(&opts->parquet);
  cy_hdf5_read_options_init(&opts->hdf5);
}

cy_status cy_table_read_file(const char *path, const cy_table_read_options *opts,
                             cy_table **out, cy_error *err) {
  cy_table_read_options defaults;
  if (opts == NULL) {
    cy_table_read_options_init(&defaults);
    opts = &defaults;
  }
  *out = NULL;
  cy_file_format format;
  CY_RETURN_NOT_OK(resolve(path, opts->format, &format, err));
  switch (format) {
    case CY_FORMAT_PARQUET:
      return cy_parquet_read(path, &opts->parquet, out, err);
    case CY_FORMAT_IPC:
      return cy_ipc_read(path, out, err);
    case CY_FORMAT_HDF5:
      return cy_hdf5_read(path, &opts->hdf5, out, err);
    default:
      return cy_csv_read(csv_path(path), &opts->csv, out, err);
  }
}

void cy_table_write_options_init(cy_table_write_options *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->format = CY_FORMAT_AUTO;
  cy_csv_write_options_init(&opts->csv);
  cy_parquet_write_options_init(&opts->parquet);
  cy_ipc_write_options_init(&opts->ipc);
  cy_hdf5_write_options_init(&opts->hdf5);
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
  switch (format) {
    case CY_FORMAT_PARQUET:
      return cy_parquet_write(table, path, &opts->parquet, err);
    case CY_FORMAT_IPC: {
      /* By extension, .arrows is the stream format and the others the file format. */
      cy_ipc_write_options ipc = opts->ipc;
      if (opts->format == CY_FORMAT_AUTO)
        ipc.file_format = strcasecmp(extension(path), "arrows") != 0;
      return cy_ipc_write(table, path, &ipc, err);
    }
    case CY_FORMAT_HDF5:
      return cy_hdf5_write(table, path, &opts->hdf5, err);
    default:
      return cy_csv_write(table, csv_path(path), &opts->csv, err);
  }
}
