/*
 * ipc_dump.c - the C side of tests/oracle/ipc_diff.mjs, which checks cylon's Arrow IPC
 * reader and writer against apache-arrow (npm).
 *
 *   ipc_dump read FILE                 read FILE with cy_ipc_read (and cy_ipc_open, which
 *                                      must agree) and print the table
 *   ipc_dump copy IN OUT [options]     read IN, write it to OUT with cy_ipc_write, print it
 *   ipc_dump sample OUT [options]      write a built-in table of known values, print it
 *
 * Options: --file (the file format; default the stream format), --batch-rows N,
 * --codec lz4|zstd (compressed bodies, through the internal writer), --slice START LEN
 * (write that slice of the table).
 *
 * The table is printed as one JSON object: {"schema": [{"name", "type"}...], "batches":
 * [rows per batch], "columns": [[value...]...]}, with values in an exact canonical form
 * that ipc_diff.mjs computes from apache-arrow's buffers too: null; "true" / "false";
 * integers, dates (days), timestamps (raw int64) and decimals (the unscaled integer) in
 * decimal; floats as the hex of their bits; strings and binary as the hex of their bytes.
 * Errors go to stderr and exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"
#include "io/ipc_format.h"

static cy_error err;

static int fail(const char *what) {
  fprintf(stderr, "ipc_dump: %s: %s\n", what, err.message);
  return 1;
}

/* ---- printing ------------------------------------------------------------------------- */

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static void print_int128(unsigned __int128 u, bool negative) {
  char digits[48];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  if (negative) putchar('-');
  while (n) putchar(digits[--n]);
}

static void print_value(const cy_column *c, int64_t r) {
  if (!cy_column_is_valid(c, r)) {
    printf("null");
    return;
  }
  cy_type_id id = c->type.id;
  const uint8_t *p = id == CY_BOOL || cy_type_is_var_width(id) ? NULL : cy_column_data(c);
  int64_t v = 0;
  switch (id) {
    case CY_BOOL: printf("\"%s\"", cy_column_bool(c, r) ? "true" : "false"); return;
    case CY_INT8: v = ((const int8_t *)p)[r]; break;
    case CY_INT16: v = ((const int16_t *)p)[r]; break;
    case CY_INT32: case CY_DATE32: v = ((const int32_t *)p)[r]; break;
    case CY_INT64: case CY_TIMESTAMP: v = ((const int64_t *)p)[r]; break;
    case CY_UINT8: printf("\"%u\"", ((const uint8_t *)p)[r]); return;
    case CY_UINT16: printf("\"%u\"", ((const uint16_t *)p)[r]); return;
    case CY_UINT32: printf("\"%u\"", ((const uint32_t *)p)[r]); return;
    case CY_UINT64: printf("\"%llu\"", (unsigned long long)((const uint64_t *)p)[r]); return;
    case CY_FLOAT32: printf("\"0x%08x\"", ((const uint32_t *)p)[r]); return;
    case CY_FLOAT64: printf("\"0x%016llx\"", (unsigned long long)((const uint64_t *)p)[r]); return;
    case CY_DECIMAL128: {
      uint64_t lo = ((const uint64_t *)p)[2 * r], hi = ((const uint64_t *)p)[2 * r + 1];
      unsigned __int128 u = ((unsigned __int128)hi << 64) | lo;
      bool negative = (int64_t)hi < 0;
      putchar('"');
      print_int128(negative ? ~u + 1 : u, negative);
      putchar('"');
      return;
    }
    default: {
      int64_t n;
      const uint8_t *b = cy_column_bytes(c, r, &n);
      putchar('"');
      for (int64_t i = 0; i < n; i++) printf("%02x", b[i]);
      putchar('"');
      return;
    }
  }
  printf("\"%lld\"", (long long)v);
}

static void print_table(const cy_table *t, const int64_t *batches, int64_t num_batches) {
  char tn[128];
  printf("{\"schema\": [");
  for (int32_t c = 0; c < t->schema.num_fields; c++) {
    printf("%s{\"name\": ", c ? ", " : "");
    print_json_string(t->schema.fields[c].name);
    printf(", \"type\": ");
    print_json_string(cy_type_name(&t->schema.fields[c].type, tn, sizeof tn));
    printf("}");
  }
  printf("],\n \"batches\": [");
  for (int64_t i = 0; i < num_batches; i++) printf("%s%lld", i ? ", " : "", (long long)batches[i]);
  printf("],\n \"columns\": [");
  for (int32_t c = 0; c < t->schema.num_fields; c++) {
    printf("%s\n  [", c ? "," : "");
    for (int64_t r = 0; r < t->num_rows; r++) {
      if (r) printf(", ");
      print_value(t->columns[c], r);
    }
    printf("]");
  }
  printf("]}\n");
}

/* ---- reading -------------------------------------------------------------------------- */

/* Batch sizes seen by cy_ipc_open, and the same table as cy_ipc_read's. */
static int read_batches(const char *path, const cy_table *whole, int64_t **sizes, int64_t *n) {
  cy_batch_reader r;
  if (cy_ipc_open(path, &r, &err) != CY_OK) return fail("cy_ipc_open");
  cy_table **batches = NULL;
  int64_t cap = 0;
  cy_status st = CY_OK;
  *n = 0;
  for (;;) {
    cy_table *b = NULL;
    if ((st = r.next(&r, &b, &err)) != CY_OK || b == NULL) break;
    if (*n == cap) {
      cap = cap ? 2 * cap : 16;
      batches = realloc(batches, (size_t)cap * sizeof *batches);
      *sizes = realloc(*sizes, (size_t)cap * sizeof **sizes);
    }
    (*sizes)[*n] = b->num_rows;
    batches[(*n)++] = b;
  }
  r.release(&r);
  bool same = false;
  cy_table *joined = NULL;
  if (st == CY_OK && *n > 0 && cy_table_concat((int32_t)*n, batches, &joined, &err) == CY_OK)
    cy_table_equals(joined, (cy_table *)whole, true, &same, &err);
  if (st == CY_OK && *n == 0) same = whole->num_rows == 0;
  cy_table_release(joined);
  for (int64_t i = 0; i < *n; i++) cy_table_release(batches[i]);
  free(batches);
  if (st != CY_OK) return fail("reading batches");
  if (!same) {
    fprintf(stderr, "ipc_dump: cy_ipc_open and cy_ipc_read disagree on %s\n", path);
    return 1;
  }
  return 0;
}

static int cmd_read(const char *path) {
  cy_table *t = NULL;
  if (cy_ipc_read(path, &t, &err) != CY_OK) return fail("cy_ipc_read");
  int64_t *sizes = NULL, n = 0;
  int rc = read_batches(path, t, &sizes, &n);
  if (rc == 0) print_table(t, sizes, n);
  free(sizes);
  cy_table_release(t);
  return rc;
}

/* ---- writing -------------------------------------------------------------------------- */

typedef struct write_opts {
  cy_ipc_write_options ipc;
  ipc_codec codec;
  int64_t slice_start, slice_len; /* slice_len < 0: no slice */
} write_opts;

static cy_status write_table(const cy_table *t, const char *path, const write_opts *o) {
  cy_output out;
  CY_RETURN_NOT_OK(cy_output_open(path, &out, &err));
  cy_status st = ipc_write_output(t, &out, &o->ipc, o->codec, &err);
  if (st != CY_OK) {
    out.abort(&out);
    return st;
  }
  return out.commit(&out, &err);
}

/* Write t (or its slice) and print what was written. */
static int write_and_print(cy_table *t, const char *path, const write_opts *o) {
  cy_table *w = cy_table_retain(t);
  if (o->slice_len >= 0) {
    cy_table_release(w);
    if (cy_table_slice(t, o->slice_start, o->slice_len, &w, &err) != CY_OK) return fail("slice");
  }
  /* Without a codec use the public function, which is what users call. */
  cy_status st = o->codec == IPC_CODEC_NONE ? cy_ipc_write(w, path, &o->ipc, &err)
                                            : write_table(w, path, o);
  if (st != CY_OK) {
    cy_table_release(w);
    return fail("writing");
  }
  int64_t per = o->ipc.batch_rows > 0 ? o->ipc.batch_rows : w->num_rows;
  int64_t n = w->num_rows == 0 ? 0 : (w->num_rows + per - 1) / per;
  int64_t *sizes = calloc((size_t)n + 1, sizeof *sizes);
  for (int64_t i = 0; i < n; i++)
    sizes[i] = i + 1 < n ? per : w->num_rows - per * (n - 1);
  print_table(w, sizes, n);
  free(sizes);
  cy_table_release(w);
  return 0;
}

/* A table of known values: extremes, nulls, every type. */
static cy_table *sample_table(void) {
  enum { ROWS = 23 };
  static const char *const strs[] = {"", "x", "h\xc3\xa9llo w\xc3\xb6rld", "\"quoted\", comma",
                                     "longer than twelve bytes"};
  static const double dbl[] = {-0.0, 1e300, 0.1, 1.0 / 3, 5e-324, -2.5, 7};
  cy_type types[] = {
    cy_type_make(CY_BOOL), cy_type_make(CY_INT8), cy_type_make(CY_INT16),
    cy_type_make(CY_INT32), cy_type_make(CY_INT64), cy_type_make(CY_UINT8),
    cy_type_make(CY_UINT16), cy_type_make(CY_UINT32), cy_type_make(CY_UINT64),
    cy_type_make(CY_FLOAT32), cy_type_make(CY_FLOAT64), cy_type_make(CY_UTF8),
    cy_type_make(CY_LARGE_UTF8), cy_type_make(CY_BINARY), cy_type_make(CY_LARGE_BINARY),
    cy_type_make(CY_DATE32), cy_type_timestamp(CY_SECOND, NULL),
    cy_type_timestamp(CY_MILLI, "UTC"), cy_type_timestamp(CY_MICRO, "Europe/Paris"),
    cy_type_timestamp(CY_NANO, NULL), cy_type_decimal128(38, 9), cy_type_decimal128(7, 2)};
  enum { N = sizeof types / sizeof *types };
  cy_column *cols[N];
  const char *names[N];
  char nb[N][48];
  for (int c = 0; c < N; c++) {
    char tn[64];
    snprintf(nb[c], sizeof nb[c], "%s", cy_type_name(&types[c], tn, sizeof tn));
    for (char *p = nb[c]; *p; p++)
      if (*p == '[' || *p == ']' || *p == ' ' || *p == ',' || *p == '(' || *p == ')' || *p == '/')
        *p = '_';
    names[c] = nb[c];
    cy_builder b;
    cy_builder_init(&b, types[c], ROWS, &err);
    for (int64_t r = 0; r < ROWS; r++) {
      int64_t k = r % 5;
      cy_type_id id = types[c].id;
      if ((r + c) % 6 == 2) cy_builder_append_null(&b, &err);
      else if (id == CY_BOOL) cy_builder_append_int(&b, r % 3 == 0, &err);
      else if (id == CY_FLOAT32 || id == CY_FLOAT64) cy_builder_append_double(&b, dbl[r % 7], &err);
      else if (cy_type_is_var_width(id))
        cy_builder_append_bytes(&b, strs[k], (int64_t)strlen(strs[k]), &err);
      else if (id == CY_DECIMAL128)
        cy_builder_append_decimal128(&b, k ? (uint64_t)(r * 1000003) : 0x098A223FFFFFFFFFull,
                                     k ? (r % 2 ? -1 : 0) : 0x4B3B4CA85A86C47ALL, &err);
      else if (id >= CY_UINT8 && id <= CY_UINT64)
        cy_builder_append_uint(&b, k == 0 ? (id == CY_UINT8 ? 255u : id == CY_UINT16 ? 65535u
                                            : id == CY_UINT32 ? 4294967295u : UINT64_MAX)
                                          : (uint64_t)r * 3, &err);
      else if (id == CY_INT64 || id == CY_TIMESTAMP)
        cy_builder_append_int(&b, k == 0 ? INT64_MIN : k == 1 ? INT64_MAX : (r - 11) * 1234567891011LL, &err);
      else
        cy_builder_append_int(&b, k == 0 ? (id == CY_INT8 ? -128 : id == CY_INT16 ? -32768 : INT32_MIN)
                                         : (r - 11) * 11, &err);
    }
    cy_builder_finish(&b, &cols[c], &err);
    cy_builder_reset(&b);
  }
  cy_table *t = NULL;
  cy_table_make(N, names, cols, &t, &err);
  for (int c = 0; c < N; c++) cy_column_release(cols[c]);
  return t;
}

static int parse_write_opts(int argc, char **argv, int i, write_opts *o) {
  cy_ipc_write_options_init(&o->ipc);
  o->codec = IPC_CODEC_NONE;
  o->slice_len = -1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--file") == 0) o->ipc.file_format = true;
    else if (strcmp(argv[i], "--batch-rows") == 0 && i + 1 < argc) o->ipc.batch_rows = atoll(argv[++i]);
    else if (strcmp(argv[i], "--codec") == 0 && i + 1 < argc)
      o->codec = strcmp(argv[++i], "zstd") == 0 ? IPC_CODEC_ZSTD : IPC_CODEC_LZ4_FRAME;
    else if (strcmp(argv[i], "--slice") == 0 && i + 2 < argc) {
      o->slice_start = atoll(argv[++i]);
      o->slice_len = atoll(argv[++i]);
    } else {
      fprintf(stderr, "ipc_dump: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  write_opts o;
  if (argc >= 3 && strcmp(argv[1], "read") == 0) return cmd_read(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "copy") == 0) {
    if (parse_write_opts(argc, argv, 4, &o)) return 2;
    cy_table *t = NULL;
    if (cy_ipc_read(argv[2], &t, &err) != CY_OK) return fail("cy_ipc_read");
    int rc = write_and_print(t, argv[3], &o);
    cy_table_release(t);
    return rc;
  }
  if (argc >= 3 && strcmp(argv[1], "sample") == 0) {
    if (parse_write_opts(argc, argv, 3, &o)) return 2;
    cy_table *t = sample_table();
    int rc = write_and_print(t, argv[2], &o);
    cy_table_release(t);
    return rc;
  }
  fprintf(stderr, "usage: ipc_dump read FILE | copy IN OUT [opts] | sample OUT [opts]\n");
  return 2;
}
