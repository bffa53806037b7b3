/*
 * cylon_bench.c - time one cylon operation and print the result as one JSON line.
 *
 *   cylon_bench read-csv FILE [--threads N] [--no-warmup]
 *   cylon_bench op OPERATION FILE [FILE2] [--threads N]
 *   cylon_bench write-parquet CSV OUT [--compression C] [--threads N]
 *   cylon_bench read-parquet FILE [--threads N] [--no-warmup]
 *
 * bench/run.mjs runs this once per repetition (a fresh process each time, so the memory
 * figures belong to one run) and compares it with DuckDB doing the same task.
 *
 * read-csv reads the whole file into a table with cy_csv_read. A first, untimed read
 * faults the file into the page cache (unless --no-warmup), so the timed read measures
 * parsing rather than the disk; its time is reported as warmup_seconds.
 *
 * op reads its inputs (untimed), then times one operator on them: join (inner on k),
 * groupby (k: sum, mean and count of v), sort (by k), unique (on k, keeping the first),
 * union, intersect, difference (of two tables), filter (v < 500000000). rows is the
 * result's row count and peak_bytes covers the operator only (inputs excluded).
 *
 * write-parquet reads a CSV file (untimed), then times cy_parquet_write of it to OUT with
 * codec C (default snappy); file_bytes is OUT's size. read-parquet times cy_parquet_read of
 * a whole file, after an untimed warm-up read as for read-csv.
 *
 * Output fields: task, file, rows, columns, threads, seconds (the timed run),
 * warmup_seconds, peak_bytes (cy_memory_peak() over the timed run: buffer memory the
 * library allocated) and max_rss_bytes (the process's peak resident set, from getrusage,
 * which includes the warm-up run and the program itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cylon/cylon.h"

static void usage(void) {
  fprintf(stderr,
          "usage: cylon_bench read-csv FILE [--threads N] [--no-warmup]\n"
          "       cylon_bench op join|groupby|sort|unique|union|intersect|difference|filter "
          "FILE [FILE2] [--threads N]\n"
          "       cylon_bench write-parquet CSV OUT [--compression C] [--threads N]\n"
          "       cylon_bench read-parquet FILE [--threads N] [--no-warmup]\n");
}

/* Print a string as a JSON string (file names: escape quotes, backslashes, controls). */
static void put_json_string(const char *s, FILE *out) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c < 0x20)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

static int64_t max_rss_bytes(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
  return (int64_t)ru.ru_maxrss * 1024; /* Linux reports kilobytes */
}

/* Read path once; on success *out holds the table and *seconds the time taken. */
static int timed_read(const char *path, const cy_csv_read_options *opts, cy_table **out,
                      double *seconds) {
  cy_error err;
  err.message[0] = 0;
  double t0 = cy_now();
  if (cy_csv_read(path, opts, out, &err) != CY_OK) {
    fprintf(stderr, "cylon_bench: %s\n", err.message);
    return -1;
  }
  *seconds = cy_now() - t0;
  return 0;
}

static int read_csv(int argc, char **argv) {
  const char *path = NULL;
  bool warmup = true;
  cy_csv_read_options opts;
  cy_csv_read_options_init(&opts);
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      opts.num_threads = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--no-warmup") == 0) {
      warmup = false;
    } else if (argv[i][0] != '-' && !path) {
      path = argv[i];
    } else {
      usage();
      return 2;
    }
  }
  if (!path) {
    usage();
    return 2;
  }

  cy_table *table = NULL;
  double warmup_seconds = 0, seconds = 0;
  if (warmup) {
    if (timed_read(path, &opts, &table, &warmup_seconds)) return 1;
    cy_table_release(table);
    table = NULL;
  }
  cy_memory_reset_peak();
  if (timed_read(path, &opts, &table, &seconds)) return 1;

  printf("{\"task\": \"read-csv\", \"file\": ");
  put_json_string(path, stdout);
  printf(", \"rows\": %lld, \"columns\": %d, \"threads\": %d, \"seconds\": %.6f, "
         "\"warmup_seconds\": %.6f, \"peak_bytes\": %lld, \"max_rss_bytes\": %lld}\n",
         (long long)table->num_rows, (int)table->schema.num_fields,
         opts.num_threads ? opts.num_threads : cy_num_threads(), seconds, warmup_seconds,
         (long long)cy_memory_peak(), (long long)max_rss_bytes());
  cy_table_release(table);
  return 0;
}

/* Run the operator called name on a (and b); *out gets its result. */
static cy_status run_op(const char *name, cy_table *a, cy_table *b, cy_table **out,
                        cy_error *err) {
  static const char *const k[] = {"k"};
  if (strcmp(name, "join") == 0) {
    cy_join_options o;
    cy_join_options_init(&o);
    o.num_keys = 1;
    o.left_on = k;
    return cy_table_join(a, b, &o, out, err);
  }
  if (strcmp(name, "groupby") == 0) {
    cy_aggregate aggs[] = {{"v", CY_AGG_SUM, 0, NULL}, {"v", CY_AGG_MEAN, 0, NULL},
                           {"v", CY_AGG_COUNT, 0, NULL}};
    return cy_table_groupby(a, k, 1, aggs, 3, out, err);
  }
  if (strcmp(name, "sort") == 0) {
    cy_sort_key key = {"k", false, false};
    return cy_table_sort(a, &key, 1, out, err);
  }
  if (strcmp(name, "unique") == 0) return cy_table_unique(a, k, 1, CY_KEEP_FIRST, out, err);
  if (strcmp(name, "union") == 0) return cy_table_union(a, b, out, err);
  if (strcmp(name, "intersect") == 0) return cy_table_intersect(a, b, out, err);
  if (strcmp(name, "difference") == 0) return cy_table_difference(a, b, out, err);
  if (strcmp(name, "filter") == 0) {
    cy_expr *e = NULL;
    cy_status st = cy_expr_parse("v < 500000000", &e, err);
    if (st == CY_OK) st = cy_table_select(a, e, out, err);
    cy_expr_release(e);
    return st;
  }
  cy_error_set(err, "unknown operation '%s'", name);
  return CY_EINVAL;
}

static int op(int argc, char **argv) {
  const char *name = NULL, *files[2] = {NULL, NULL};
  int nfiles = 0;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      cy_set_num_threads(atoi(argv[++i]));
    } else if (argv[i][0] != '-' && !name) {
      name = argv[i];
    } else if (argv[i][0] != '-' && nfiles < 2) {
      files[nfiles++] = argv[i];
    } else {
      usage();
      return 2;
    }
  }
  if (!name || nfiles == 0) {
    usage();
    return 2;
  }
  cy_table *in[2] = {NULL, NULL}, *out = NULL;
  double ignored;
  for (int i = 0; i < nfiles; i++)
    if (timed_read(files[i], NULL, &in[i], &ignored)) return 1;
  cy_error err;
  cy_memory_reset_peak();
  int64_t base = cy_memory_current();
  double t0 = cy_now();
  cy_status st = run_op(name, in[0], in[1], &out, &err);
  double seconds = cy_now() - t0;
  if (st != CY_OK) {
    fprintf(stderr, "cylon_bench: %s: %s\n", name, err.message);
    return 1;
  }
  printf("{\"task\": \"op\", \"op\": \"%s\", \"file\": ", name);
  put_json_string(files[0], stdout);
  printf(", \"rows\": %lld, \"columns\": %d, \"threads\": %d, \"seconds\": %.6f, "
         "\"peak_bytes\": %lld, \"max_rss_bytes\": %lld}\n",
         (long long)out->num_rows, (int)out->schema.num_fields, cy_num_threads(), seconds,
         (long long)(cy_memory_peak() - base), (long long)max_rss_bytes());
  cy_table_release(out);
  cy_table_release(in[0]);
  cy_table_release(in[1]);
  return 0;
}

static int64_t file_bytes(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

static int write_parquet(int argc, char **argv) {
  const char *in = NULL, *out = NULL;
  cy_parquet_write_options opts;
  cy_parquet_write_options_init(&opts);
  cy_error err;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      opts.num_threads = atoi(argv[++i]);
      cy_set_num_threads(opts.num_threads);
    } else if (strcmp(argv[i], "--compression") == 0 && i + 1 < argc) {
      if (cy_compression_parse(argv[++i], &opts.compression, &err) != CY_OK) {
        fprintf(stderr, "cylon_bench: %s\n", err.message);
        return 2;
      }
    } else if (argv[i][0] != '-' && !in) {
      in = argv[i];
    } else if (argv[i][0] != '-' && !out) {
      out = argv[i];
    } else {
      usage();
      return 2;
    }
  }
  if (!in || !out) {
    usage();
    return 2;
  }
  cy_table *table = NULL;
  double ignored;
  if (timed_read(in, NULL, &table, &ignored)) return 1;
  cy_memory_reset_peak();
  int64_t base = cy_memory_current();
  double t0 = cy_now();
  cy_status st = cy_parquet_write(table, out, &opts, &err);
  double seconds = cy_now() - t0;
  if (st != CY_OK) {
    fprintf(stderr, "cylon_bench: write-parquet: %s\n", err.message);
    cy_table_release(table);
    return 1;
  }
  printf("{\"task\": \"write-parquet\", \"compression\": \"%s\", \"file\": ",
         cy_compression_name(opts.compression));
  put_json_string(out, stdout);
  printf(", \"rows\": %lld, \"columns\": %d, \"threads\": %d, \"seconds\": %.6f, "
         "\"file_bytes\": %lld, \"peak_bytes\": %lld, \"max_rss_bytes\": %lld}\n",
         (long long)table->num_rows, (int)table->schema.num_fields, cy_num_threads(), seconds,
         (long long)file_bytes(out), (long long)(cy_memory_peak() - base),
         (long long)max_rss_bytes());
  cy_table_release(table);
  return 0;
}

/* Read path as Parquet once; on success *out holds the table and *seconds the time taken. */
static int timed_parquet_read(const char *path, const cy_parquet_read_options *opts,
                              cy_table **out, double *seconds) {
  cy_error err;
  err.message[0] = 0;
  double t0 = cy_now();
  if (cy_parquet_read(path, opts, out, &err) != CY_OK) {
    fprintf(stderr, "cylon_bench: %s\n", err.message);
    return -1;
  }
  *seconds = cy_now() - t0;
  return 0;
}

static int read_parquet(int argc, char **argv) {
  const char *path = NULL;
  bool warmup = true;
  cy_parquet_read_options opts;
  cy_parquet_read_options_init(&opts);
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      opts.num_threads = atoi(argv[++i]);
      cy_set_num_threads(opts.num_threads);
    } else if (strcmp(argv[i], "--no-warmup") == 0) {
      warmup = false;
    } else if (argv[i][0] != '-' && !path) {
      path = argv[i];
    } else {
      usage();
      return 2;
    }
  }
  if (!path) {
    usage();
    return 2;
  }
  cy_table *table = NULL;
  double warmup_seconds = 0, seconds = 0;
  if (warmup) {
    if (timed_parquet_read(path, &opts, &table, &warmup_seconds)) return 1;
    cy_table_release(table);
    table = NULL;
  }
  cy_memory_reset_peak();
  if (timed_parquet_read(path, &opts, &table, &seconds)) return 1;
  printf("{\"task\": \"read-parquet\", \"file\": ");
  put_json_string(path, stdout);
  printf(", \"rows\": %lld, \"columns\": %d, \"threads\": %d, \"seconds\": %.6f, "
         "\"warmup_seconds\": %.6f, \"file_bytes\": %lld, \"peak_bytes\": %lld, "
         "\"max_rss_bytes\": %lld}\n",
         (long long)table->num_rows, (int)table->schema.num_fields, cy_num_threads(), seconds,
         warmup_seconds, (long long)file_bytes(path), (long long)cy_memory_peak(),
         (long long)max_rss_bytes());
  cy_table_release(table);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  if (strcmp(argv[1], "read-csv") == 0) return read_csv(argc - 2, argv + 2);
  if (strcmp(argv[1], "op") == 0) return op(argc - 2, argv + 2);
  if (strcmp(argv[1], "write-parquet") == 0) return write_parquet(argc - 2, argv + 2);
  if (strcmp(argv[1], "read-parquet") == 0) return read_parquet(argc - 2, argv + 2);
  fprintf(stderr, "cylon_bench: unknown task '%s'\n", argv[1]);
  usage();
  return 2;
}
