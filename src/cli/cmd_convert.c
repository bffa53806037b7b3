/*
 * cmd_convert.c - `cylon convert IN OUT`: read a table and write it in the format of the
 * output's extension. The output appears only when complete.
 */
#include <string.h>

#include "cli/cli.h"

void help_convert(FILE *out) {
  fprintf(out,
          "usage: cylon convert IN OUT [options]\n\n"
          "Read IN and write it as OUT; formats come from the extensions: .csv, .tsv, .txt\n"
          "(CSV), .parquet, .pq (Parquet), .arrow, .arrows, .ipc, .feather (Arrow IPC),\n"
          ".h5, .hdf5, .hdf, .he5 (HDF5: FILE.h5:/KEY names the group or dataset inside;\n"
          "reading without a key takes /table, else the file's only member; writing, /table).\n"
          "OUT is written whole or not at all.\n\n"
          "  --out-delimiter C   field separator of a CSV output (default ',')\n"
          "  --compression C     codec of a Parquet output: snappy (default), zstd, gzip,\n"
          "                      lz4_raw, none\n"
          "  --row-group-rows N  rows per row group of a Parquet output (default 1048576)\n"
          "  --h5-layout L       HDF5 output: columns (a group of one dataset per column,\n"
          "                      the default) or compound (one dataset of records)\n"
          "  --h5-fixed-strings  HDF5 output: fixed-length strings (default variable)\n"
          "  --h5-append         HDF5 output: add KEY to an existing file (replacing it)\n"
          "  --h5-gzip N         HDF5 output: gzip level 1-9 of the chunks (default none)\n");
  cli_read_options_help(out);
}

int cmd_convert(int argc, char **argv) {
  cli_read_options ro;
  cli_read_options_init(&ro);
  const char *in = NULL, *out = NULL;
  cy_table_write_options wo;
  cy_table_write_options_init(&wo);
  cy_error err;
  for (int i = 1; i < argc; i++) {
    int taken = cli_read_option(&ro, argc, argv, &i);
    if (taken < 0) goto usage;
    if (taken) continue;
    if (strcmp(argv[i], "--out-delimiter") == 0 && i + 1 < argc) {
      const char *d = argv[++i];
      if (strcmp(d, "tab") == 0 || strcmp(d, "\\t") == 0) d = "\t";
      if (strlen(d) != 1) {
        fprintf(stderr, "cylon convert: --out-delimiter wants one character\n");
        goto usage;
      }
      wo.csv.delimiter = d[0];
    } else if (strcmp(argv[i], "--compression") == 0 && i + 1 < argc) {
      if (cy_compression_parse(argv[++i], &wo.parquet.compression, &err) != CY_OK) {
        fprintf(stderr, "cylon convert: --compression: %s\n", err.message);
        goto usage;
      }
    } else if (strcmp(argv[i], "--row-group-rows") == 0 && i + 1 < argc) {
      if (!cli_parse_int(argv[++i], &wo.parquet.row_group_rows) ||
          wo.parquet.row_group_rows < 1) {
        fprintf(stderr, "cylon convert: bad --row-group-rows '%s' (a positive row count)\n",
                argv[i]);
        goto usage;
      }
    } else if (strcmp(argv[i], "--h5-layout") == 0 && i + 1 < argc) {
      const char *l = argv[++i];
      if (strcmp(l, "columns") != 0 && strcmp(l, "compound") != 0) {
        fprintf(stderr, "cylon convert: --h5-layout is columns or compound, not '%s'\n", l);
        goto usage;
      }
      wo.hdf5.layout = strcmp(l, "compound") == 0 ? CY_HDF5_COMPOUND : CY_HDF5_COLUMNS;
    } else if (strcmp(argv[i], "--h5-fixed-strings") == 0) {
      wo.hdf5.fixed_strings = true;
    } else if (strcmp(argv[i], "--h5-append") == 0) {
      wo.hdf5.append = true;
    } else if (strcmp(argv[i], "--h5-gzip") == 0 && i + 1 < argc) {
      int64_t level;
      if (!cli_parse_int(argv[++i], &level) || level < 1 || level > 9) {
        fprintf(stderr, "cylon convert: bad --h5-gzip '%s' (a level 1-9)\n", argv[i]);
        goto usage;
      }
      wo.hdf5.compression_level = (int)level;
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      fprintf(stderr, "cylon convert: unknown option '%s'\n", argv[i]);
      goto usage;
    } else if (!in) {
      in = argv[i];
    } else if (!out) {
      out = argv[i];
    } else {
      goto usage;
    }
  }
  if (!in || !out) goto usage;
  cy_table *t = NULL;
  double t0 = cy_now();
  cy_status st = cli_read_table(in, &ro, &t, &err);
  cli_read_options_reset(&ro);
  if (st != CY_OK) return cli_fail("convert", "%s", err.message);
  double t1 = cy_now();
  st = cli_write_table(t, out, &wo, &err);
  double t2 = cy_now();
  char a[32];
  if (st == CY_OK && strcmp(out, "-") != 0)
    fprintf(stderr, "converted %s rows: read %s in %.2f s, wrote %s in %.2f s\n",
            cli_count(t->num_rows, a, sizeof a), in, t1 - t0, out, t2 - t1);
  cy_table_release(t);
  return st == CY_OK ? 0 : cli_fail("convert", "%s", err.message);
usage:
  cli_read_options_reset(&ro);
  help_convert(stderr);
  return 2;
}
