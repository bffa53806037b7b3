/*
 * cmd_gen.c - `cylon gen`: synthetic tables like the seed's experiments.
 *
 * The first int64 column is the key: uniform in [0, F x N) for unique factor F, so about
 * F x N distinct keys (fewer for large F, as repeated draws collide). Other columns are
 * uniform values of their type. Rows are made in chunks of CHUNK rows, each with its own
 * random stream derived from (seed, column, chunk), so the output depends only on the
 * arguments, never on the thread count.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define CHUNK 65536 /* a multiple of 8, so chunks never share a bitmap byte */
#define MAX_COLUMNS 64

typedef struct gen_column {
  char name[64];
  cy_type type;
  bool key;
} gen_column;

typedef struct gen_job {
  int64_t rows;
  double unique;
  uint64_t seed;
  double nulls;
  int ncols;
  gen_column *cols;
  cy_buffer **values;   /* fixed-width outputs, one per column (NULL for strings) */
  cy_buffer **validity; /* per column, NULL when no nulls are asked for */
  cy_column ***parts;   /* string columns: one column per chunk, concatenated at the end */
} gen_job;

static uint64_t mix(uint64_t z) { /* splitmix64's finaliser */
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

typedef struct rng {
  uint64_t s;
} rng;

static uint64_t next(rng *r) { return mix(r->s += 0x9E3779B97F4A7C15ull); }
/* Uniform in [0, n) without modulo bias worth caring about for n < 2^40. */
static uint64_t below(rng *r, uint64_t n) {
  return (uint64_t)(((unsigned __int128)next(r) * n) >> 64);
}

static cy_status gen_chunk(void *ctx, int64_t chunk, cy_error *err) {
  gen_job *j = ctx;
  int64_t start = chunk * CHUNK;
  int64_t n = j->rows - start < CHUNK ? j->rows - start : CHUNK;
  uint64_t keys = (uint64_t)ceil(j->unique * (double)j->rows);
  if (keys < 1) keys = 1;
  for (int c = 0; c < j->ncols; c++) {
    const gen_column *col = &j->cols[c];
    rng r = {mix(j->seed * 0x9E3779B97F4A7C15ull + (uint64_t)c * 0xD1B54A32D192ED03ull +
                 (uint64_t)chunk)};
    uint8_t *valid = j->validity[c] ? j->validity[c]->data : NULL;
    cy_builder b;
    if (col->type.id == CY_UTF8) CY_RETURN_NOT_OK(cy_builder_init(&b, col->type, n, err));
    for (int64_t i = 0; i < n; i++) {
      int64_t row = start + i;
      bool is_null = valid && (double)(next(&r) >> 11) * 0x1.0p-53 < j->nulls;
      if (valid) cy_bit_set_to(valid, row, !is_null);
      uint8_t *v = j->values[c] ? j->values[c]->data : NULL;
      switch (col->type.id) {
        case CY_INT64:
          ((int64_t *)v)[row] = (int64_t)(col->key ? below(&r, keys) : below(&r, 1000000000));
          break;
        case CY_INT32:
          ((int32_t *)v)[row] = (int32_t)below(&r, 1000000);
          break;
        case CY_FLOAT64: /* six decimals: short texts that read back exactly */
          ((double *)v)[row] = (double)below(&r, 1000000000) / 1e6;
          break;
        case CY_DATE32: /* 2000-01-01 onwards, about 27 years */
          ((int32_t *)v)[row] = 10957 + (int32_t)below(&r, 10000);
          break;
        case CY_TIMESTAMP:
          ((int64_t *)v)[row] = 946684800000000ll + (int64_t)below(&r, 10000ull * 86400000000ull);
          break;
        case CY_BOOL:
          cy_bit_set_to(v, row, next(&r) & 1);
          break;
        default: { /* utf8: 4 to 12 lowercase letters */
          char s[16];
          int len = 4 + (int)below(&r, 9);
          for (int k = 0; k < len; k++) s[k] = (char)('a' + below(&r, 26));
          cy_status st = is_null ? cy_builder_append_null(&b, err)
                                 : cy_builder_append_bytes(&b, s, len, err);
          if (st != CY_OK) {
            cy_builder_reset(&b);
            return st;
          }
        }
      }
    }
    if (col->type.id == CY_UTF8) {
      cy_status st = cy_builder_finish(&b, &j->parts[c][chunk], err);
      cy_builder_reset(&b);
      CY_RETURN_NOT_OK(st);
    }
  }
  return CY_OK;
}

static int parse_columns(const char *spec, gen_column *cols, int *ncols) {
  char *copy = strdup(spec);
  int n = 0;
  bool have_key = false;
  for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
       item = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(item, ':');
    if (colon == NULL || n == MAX_COLUMNS || colon - item >= 64) {
      cli_fail("gen", "--columns wants name:type[,name:type...] (at most %d, names under 64 "
               "bytes), got '%s'", MAX_COLUMNS, item);
      free(copy);
      return 1;
    }
    *colon = 0;
    const char *t = colon + 1;
    cy_type type;
    if (strcmp(t, "int64") == 0) type = cy_type_make(CY_INT64);
    else if (strcmp(t, "int32") == 0) type = cy_type_make(CY_INT32);
    else if (strcmp(t, "float64") == 0 || strcmp(t, "double") == 0) type = cy_type_make(CY_FLOAT64);
    else if (strcmp(t, "string") == 0 || strcmp(t, "utf8") == 0) type = cy_type_make(CY_UTF8);
    else if (strcmp(t, "date") == 0 || strcmp(t, "date32") == 0) type = cy_type_make(CY_DATE32);
    else if (strcmp(t, "timestamp") == 0) type = cy_type_timestamp(CY_MICRO, NULL);
    else if (strcmp(t, "bool") == 0) type = cy_type_make(CY_BOOL);
    else {
      cli_fail("gen", "column '%s': unknown type '%s' (int64, int32, float64, string, date, "
               "timestamp, bool)", item, t);
      free(copy); /* after the message: item and t point into it */
      return 1;
    }
    snprintf(cols[n].name, sizeof cols[n].name, "%s", item);
    cols[n].type = type;
    cols[n].key = !have_key && type.id == CY_INT64;
    have_key |= cols[n].key;
    n++;
  }
  free(copy);
  *ncols = n;
  return n > 0 ? 0 : cli_fail("gen", "--columns names no columns");
}

/* Allocate the outputs, generate every chunk in parallel, and make the table. */
static cy_status generate(gen_job *j, cy_table **out, cy_error *err) {
  int64_t chunks = (j->rows + CHUNK - 1) / CHUNK;
  cy_status st = CY_OK;
  for (int c = 0; st == CY_OK && c < j->ncols; c++) {
    int bits = cy_type_bit_width(j->cols[c].type.id);
    if (bits == 1)
      st = cy_buffer_alloc_zeroed(cy_bitmap_bytes(j->rows), &j->values[c], err);
    else if (bits > 0)
      st = cy_buffer_alloc(j->rows * (bits / 8), &j->values[c], err);
    else if ((j->parts[c] = calloc((size_t)chunks + 1, sizeof(cy_column *))) == NULL) {
      cy_error_set(err, "out of memory generating %lld rows", (long long)j->rows);
      st = CY_ENOMEM;
    }
    if (st == CY_OK && j->nulls > 0 && !j->cols[c].key)
      st = cy_buffer_alloc(cy_bitmap_bytes(j->rows), &j->validity[c], err);
  }
  if (st == CY_OK) st = cy_parallel_for(chunks, gen_chunk, j, err);
  cy_column *cols[MAX_COLUMNS] = {0};
  const char *names[MAX_COLUMNS];
  for (int c = 0; st == CY_OK && c < j->ncols; c++) {
    names[c] = j->cols[c].name;
    if (j->parts[c]) {
      st = chunks > 0 ? cy_column_concat((int32_t)chunks, j->parts[c], &cols[c], err)
                      : cy_column_nulls(j->cols[c].type, 0, &cols[c], err);
    } else {
      st = cy_column_make(j->cols[c].type, j->rows, 0, -1, j->validity[c], j->values[c], NULL,
                          &cols[c], err);
      j->validity[c] = j->values[c] = NULL;
    }
  }
  if (st == CY_OK) st = cy_table_make(j->ncols, names, cols, out, err);
  for (int c = 0; c < j->ncols; c++) {
    cy_column_release(cols[c]);
    cy_buffer_release(j->values[c]);
    cy_buffer_release(j->validity[c]);
    for (int64_t k = 0; j->parts[c] && k < chunks; k++) cy_column_release(j->parts[c][k]);
    free(j->parts[c]);
  }
  return st;
}

void help_gen(FILE *out) {
  fprintf(out,
          "usage: cylon gen --rows N [options] -o FILE\n\n"
          "Generate a synthetic table and write it (format from the extension: .csv).\n"
          "The same arguments always give the same file.\n\n"
          "  -n, --rows N         rows (required; 10M, 1e6 and 1_000_000 are fine)\n"
          "  -u, --unique F       unique factor: the key column holds about F x N distinct\n"
          "                       values, uniform in [0, F x N) (default 0.9)\n"
          "  -s, --seed S         random seed (default 1)\n"
          "  -c, --columns SPEC   name:type list; types int64, int32, float64, string, date,\n"
          "                       timestamp, bool (default k:int64,v:int64; the first int64\n"
          "                       column is the key)\n"
          "      --nulls P        fraction of nulls in every column but the key (default 0)\n"
          "  -o, --output FILE    where to write ('-' for standard output)\n");
}

/* "10M", "1e6", "1_000_000", "250k" */
static bool parse_rows(const char *s, int64_t *out) {
  char clean[64];
  size_t k = 0;
  for (; *s && k + 1 < sizeof clean; s++)
    if (*s != '_' && *s != ',') clean[k++] = *s;
  clean[k] = 0;
  char *end;
  double v = strtod(clean, &end);
  if (*end == 'k' || *end == 'K') v *= 1e3, end++;
  else if (*end == 'm' || *end == 'M') v *= 1e6, end++;
  else if (*end == 'g' || *end == 'G' || *end == 'b' || *end == 'B') v *= 1e9, end++;
  if (*end != 0 || end == clean || v < 0 || v > 1e15) return false;
  *out = (int64_t)llround(v);
  return true;
}

int cmd_gen(int argc, char **argv) {
  static const struct option longs[] = {
      {"rows", required_argument, 0, 'n'},    {"unique", required_argument, 0, 'u'},
      {"seed", required_argument, 0, 's'},    {"columns", required_argument, 0, 'c'},
      {"nulls", required_argument, 0, 'N'},   {"output", required_argument, 0, 'o'},
      {0, 0, 0, 0}};
  int64_t rows = -1;
  double unique = 0.9, nulls = 0;
  uint64_t seed = 1;
  const char *spec = "k:int64,v:int64", *output = NULL;
  int opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "n:u:s:c:o:", longs, NULL)) != -1) {
    switch (opt) {
      case 'n':
        if (!parse_rows(optarg, &rows)) return cli_fail("gen", "bad --rows '%s'", optarg);
        break;
      case 'u':
        if (!cli_parse_double(optarg, &unique)) return cli_fail("gen", "bad --unique '%s'", optarg);
        break;
      case 's':
        if (!cli_parse_uint(optarg, &seed)) return cli_fail("gen", "bad --seed '%s'", optarg);
        break;
      case 'c': spec = optarg; break;
      case 'N':
        if (!cli_parse_double(optarg, &nulls)) return cli_fail("gen", "bad --nulls '%s'", optarg);
        break;
      case 'o': output = optarg; break;
      default: help_gen(stderr); return 2;
    }
  }
  if (rows < 0 || output == NULL || optind != argc) {
    help_gen(stderr);
    return 2;
  }
  if (!(unique > 0 && unique <= 1e6) || !(nulls >= 0 && nulls <= 1))
    return cli_fail("gen", "--unique must be in (0, 1e6] and --nulls within [0, 1]");
  gen_column cols[MAX_COLUMNS];
  int ncols;
  if (parse_columns(spec, cols, &ncols) != 0) return 1;
  cy_buffer *values[MAX_COLUMNS] = {0}, *validity[MAX_COLUMNS] = {0};
  cy_column **parts[MAX_COLUMNS] = {0};
  gen_job job = {rows, unique, seed, nulls, ncols, cols, values, validity, parts};
  cy_error err;
  cy_table *t = NULL;
  double t0 = cy_now();
  if (generate(&job, &t, &err) != CY_OK) return cli_fail("gen", "%s", err.message);
  double t1 = cy_now();
  cy_status st = cli_write_table(t, output, NULL, &err);
  double t2 = cy_now();
  char a[32], b[32];
  if (st == CY_OK && strcmp(output, "-") != 0)
    fprintf(stderr, "generated %s rows x %d columns in %.2f s; wrote %s (%s) in %.2f s\n",
            cli_count(rows, a, sizeof a), ncols, t1 - t0, output,
            cli_bytes(cli_file_size(output), b, sizeof b), t2 - t1);
  cy_table_release(t);
  return st == CY_OK ? 0 : cli_fail("gen", "%s", err.message);
}
