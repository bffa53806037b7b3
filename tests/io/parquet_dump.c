/*
 * parquet_dump.c - read a Parquet file with cylon and print it in a canonical text form,
 * so that tests/oracle/parquet_diff.mjs can compare it value by value with DuckDB.
 *
 *   parquet_dump FILE [--columns a,b] [--row-groups 0,2] [--predicate EXPR]
 *                     [--threads N] [--no-verify] [--batches] [--report] [--info]
 *
 * --batches reads through cy_parquet_open (a batch per row group) instead of
 * cy_parquet_read and prints the batches as one table. --report adds a last line
 * {"report": {...}} with the row groups read and skipped and the bytes read. --info prints
 * cy_parquet_read_info's answer as one JSON line instead of the data.
 *
 * Output: the first line is a JSON array of {"name": ..., "type": ...} with cylon's type
 * names; then one JSON array per row. Values: null for nulls; integers as decimal
 * strings; floats as "%.17g" strings with "inf", "-inf" and "nan"; bools as true / false;
 * utf8 as JSON strings (bytes that are not UTF-8 become \udcXX); binary as lowercase hex
 * strings; date32 as days since the epoch; timestamps as nanoseconds since the epoch
 * (whatever their unit); decimals as their exact decimal text.
 *
 * Exit status: 0 when read, 1 on a read error (cylon's message on stderr), 2 on bad usage.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"
#include "io/parquet_reader.h"

static void put_schema(const cy_schema *s, FILE *out);

static int utf8_seq_len(const unsigned char *s, int64_t n) {
  unsigned c = s[0];
  int len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000;
  else return 0;
  if (n < len) return 0;
  unsigned cp = c & (0x7f >> len);
  for (int i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

static void put_json_string(const uint8_t *s, int64_t n, FILE *out) {
  fputc('"', out);
  for (int64_t i = 0; i < n;) {
    unsigned c = s[i];
    int len = utf8_seq_len(s + i, n - i);
    if (len == 0) {
      fprintf(out, "\\udc%02x", c);
      i++;
      continue;
    }
    if (len > 1) fwrite(s + i, 1, (size_t)len, out);
    else if (c == '"' || c == '\\') fputc('\\', out), fputc((int)c, out);
    else if (c == '\n') fputs("\\n", out);
    else if (c == '\r') fputs("\\r", out);
    else if (c == '\t') fputs("\\t", out);
    else if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
    else fputc((int)c, out);
    i += len;
  }
  fputc('"', out);
}

static void put_double(double v, FILE *out) {
  if (isnan(v)) fputs("\"nan\"", out);
  else if (isinf(v)) fputs(v > 0 ? "\"inf\"" : "\"-inf\"", out);
  else fprintf(out, "\"%.17g\"", v);
}

static void put_i128(__int128 v, int32_t scale, FILE *out) {
  unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
  char digits[64];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  while (n <= scale) digits[n++] = '0';
  fputc('"', out);
  if (v < 0) fputc('-', out);
  for (int i = n - 1; i >= 0; i--) {
    if (i == scale - 1) fputc('.', out);
    fputc(digits[i], out);
  }
  fputc('"', out);
}

static void put_value(const cy_column *col, int64_t i, FILE *out) {
  if (!cy_column_is_valid(col, i)) {
    fputs("null", out);
    return;
  }
  const void *base = col->values ? cy_column_data(col) : NULL;
  static const int64_t ns_per[] = {1000000000, 1000000, 1000, 1};
  switch (col->type.id) {
    case CY_BOOL: fputs(cy_column_bool(col, i) ? "true" : "false", out); break;
    case CY_INT8: fprintf(out, "\"%d\"", ((const int8_t *)base)[i]); break;
    case CY_INT16: fprintf(out, "\"%d\"", ((const int16_t *)base)[i]); break;
    case CY_INT32: fprintf(out, "\"%" PRId32 "\"", ((const int32_t *)base)[i]); break;
    case CY_INT64: fprintf(out, "\"%" PRId64 "\"", ((const int64_t *)base)[i]); break;
    case CY_UINT8: fprintf(out, "\"%u\"", ((const uint8_t *)base)[i]); break;
    case CY_UINT16: fprintf(out, "\"%u\"", ((const uint16_t *)base)[i]); break;
    case CY_UINT32: fprintf(out, "\"%" PRIu32 "\"", ((const uint32_t *)base)[i]); break;
    case CY_UINT64: fprintf(out, "\"%" PRIu64 "\"", ((const uint64_t *)base)[i]); break;
    case CY_FLOAT32: put_double(((const float *)base)[i], out); break;
    case CY_FLOAT64: put_double(((const double *)base)[i], out); break;
    case CY_DATE32: fprintf(out, "\"%" PRId32 "\"", ((const int32_t *)base)[i]); break;
    case CY_TIMESTAMP:
      put_i128((__int128)((const int64_t *)base)[i] * ns_per[col->type.unit], 0, out);
      break;
    case CY_DECIMAL128: {
      uint64_t lo;
      int64_t hi;
      memcpy(&lo, (const uint8_t *)base + 16 * i, 8);
      memcpy(&hi, (const uint8_t *)base + 16 * i + 8, 8);
      put_i128((__int128)(((unsigned __int128)(uint64_t)hi << 64) | lo), col->type.scale, out);
      break;
    }
    case CY_UTF8:
    case CY_LARGE_UTF8: {
      int64_t len;
      const uint8_t *bytes = cy_column_bytes(col, i, &len);
      put_json_string(bytes, len, out);
      break;
    }
    case CY_BINARY:
    case CY_LARGE_BINARY: {
      int64_t len;
      const uint8_t *bytes = cy_column_bytes(col, i, &len);
      fputc('"', out);
      for (int64_t k = 0; k < len; k++) fprintf(out, "%02x", bytes[k]);
      fputc('"', out);
      break;
    }
  }
}

static void put_schema_line(const cy_schema *s, FILE *out, bool newline);
static void put_schema(const cy_schema *s, FILE *out) { put_schema_line(s, out, true); }

static void put_schema_line(const cy_schema *s, FILE *out, bool newline) {
  fputc('[', out);
  for (int32_t c = 0; c < s->num_fields; c++) {
    char name[128];
    const cy_field *f = &s->fields[c];
    fputs(c ? ", {\"name\": " : "{\"name\": ", out);
    put_json_string((const uint8_t *)f->name, (int64_t)strlen(f->name), out);
    fputs(", \"type\": ", out);
    cy_type_name(&f->type, name, sizeof(name));
    put_json_string((const uint8_t *)name, (int64_t)strlen(name), out);
    fputc('}', out);
  }
  fputs(newline ? "]\n" : "]", out);
}

static void put_rows(const cy_table *t, FILE *out) {
  for (int64_t r = 0; r < t->num_rows; r++) {
    fputc('[', out);
    for (int32_t c = 0; c < t->schema.num_fields; c++) {
      if (c) fputs(", ", out);
      put_value(t->columns[c], r, out);
    }
    fputs("]\n", out);
  }
}

/* Split "a,b,c" in place into at most max items. */
static int split(char *s, char **items, int max) {
  int n = 0;
  for (char *p = strtok(s, ","); p && n < max; p = strtok(NULL, ",")) items[n++] = p;
  return n;
}

static int dump_info(const char *path) {
  cy_parquet_info info;
  cy_error err;
  if (cy_parquet_read_info(path, &info, &err) != CY_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  printf("{\"num_rows\": %lld, \"num_row_groups\": %d, \"columns\": ", (long long)info.num_rows,
         info.num_row_groups);
  put_schema_line(&info.schema, stdout, false);
  printf(", \"unreadable\": ");
  if (info.unreadable) put_json_string((const uint8_t *)info.unreadable, (int64_t)strlen(info.unreadable), stdout);
  else printf("null");
  printf("}\n");
  cy_parquet_info_reset(&info);
  return 0;
}

static int dump_batches(const char *path, const cy_parquet_read_options *o) {
  cy_batch_reader r;
  cy_error err;
  if (cy_parquet_open(path, o, &r, &err) != CY_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  cy_schema schema;
  int status = 0;
  if (r.get_schema(&r, &schema, &err) != CY_OK) {
    fprintf(stderr, "%s\n", err.message);
    r.release(&r);
    return 1;
  }
  put_schema(&schema, stdout);
  cy_schema_reset(&schema);
  for (;;) {
    cy_table *t;
    if (r.next(&r, &t, &err) != CY_OK) {
      fprintf(stderr, "%s\n", err.message);
      status = 1;
      break;
    }
    if (!t) break;
    put_rows(t, stdout);
    cy_table_release(t);
  }
  r.release(&r);
  return status;
}

int main(int argc, char **argv) {
  cy_parquet_read_options o;
  cy_parquet_read_options_init(&o);
  const char *path = NULL;
  char *cols[1024], *rgs_text[4096];
  int32_t rgs[4096];
  bool batches = false, report = false, info = false;
  cy_expr *pred = NULL;
  cy_error err;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--columns") == 0 && v) {
      o.columns = (const char *const *)cols;
      o.num_columns = split(strdup(argv[++i]), cols, 1024);
    } else if (strcmp(a, "--row-groups") == 0 && v) {
      int n = split(strdup(argv[++i]), rgs_text, 4096);
      for (int k = 0; k < n; k++) rgs[k] = atoi(rgs_text[k]);
      o.row_groups = rgs;
      o.num_row_groups = n;
    } else if (strcmp(a, "--predicate") == 0 && v) {
      if (cy_expr_parse(argv[++i], &pred, &err) != CY_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
      }
      o.predicate = pred;
    } else if (strcmp(a, "--threads") == 0 && v) {
      o.num_threads = atoi(argv[++i]);
    } else if (strcmp(a, "--no-verify") == 0) {
      o.verify_checksums = false;
    } else if (strcmp(a, "--batches") == 0) {
      batches = true;
    } else if (strcmp(a, "--report") == 0) {
      report = true;
    } else if (strcmp(a, "--info") == 0) {
      info = true;
    } else if (a[0] != '-' && !path) {
      path = a;
    } else {
      fprintf(stderr, "usage: parquet_dump FILE [--columns a,b] [--row-groups 0,2] "
                      "[--predicate EXPR] [--threads N] [--no-verify] [--batches] "
                      "[--report] [--info]\n");
      return 2;
    }
  }
  if (!path) return 2;
  if (info) return dump_info(path);
  if (batches) return dump_batches(path, &o);
  cy_input in;
  if (cy_input_open(path, &in, &err) != CY_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  cy_table *t = NULL;
  pq_read_report rep;
  memset(&rep, 0, sizeof rep);
  cy_status st = pq_read_input(&in, &o, &t, &rep, &err);
  in.close(&in);
  cy_expr_release(pred);
  if (st != CY_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  put_schema(&t->schema, stdout);
  put_rows(t, stdout);
  if (report)
    printf("{\"report\": {\"row_groups_total\": %d, \"row_groups_read\": %d, "
           "\"row_groups_skipped\": %d, \"bytes_read\": %lld}}\n",
           rep.row_groups_total, rep.row_groups_read, rep.row_groups_skipped,
           (long long)rep.bytes_read);
  cy_table_release(t);
  return fflush(stdout) == 0 ? 0 : 1;
}
