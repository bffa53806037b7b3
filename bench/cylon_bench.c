/*
 * cylon_bench.c - time one cylon operation and print the result as one JSON line.
 *
 *   cylon_bench read-csv FILE [--threads N] [--no-warmup]
 *
 * bench/run.mjs runs this once per repetition (a fresh process each time, so the memory
 * figures belong to one run) and compares it with DuckDB doing the same task.
 *
 * read-csv reads the whole file into a table with cy_csv_read. A first, untimed read
 * faults the file into the page cache (unless --no-warmup), so the timed read measures
 * parsing rather than the disk; its time is reported as warmup_seconds.
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

#include "cylon/cylon.h"

static void usage(void) {
  fprintf(stderr, "usage: cylon_bench read-csv FILE [--threads N] [--no-warmup]\n");
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

int main(int argc, char **argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  if (strcmp(argv[1], "read-csv") == 0) return read_csv(argc - 2, argv + 2);
  fprintf(stderr, "cylon_bench: unknown task '%s'\n", argv[1]);
  usage();
  return 2;
}
