/*
 * csv_dump.c - read a CSV file with cylon and print it in a canonical text form, so that a
 * test (tests/oracle/csv_diff.mjs) can compare it value by value with another reader.
 *
 *   csv_dump FILE [--delimiter C] [--quote C] [--no-header] [--null TEXT]...
 *                 [--quoted-nulls] [--types name:type,...] [--sample-rows N] [--threads N]
 *                 [--block-bytes N]
 *
 * The first --null replaces the default null list ("" only); later ones add to it. A
 * delimiter may be given as one character or as "tab". A small --block-bytes cuts even a
 * small file into many blocks, to test what happens at block boundaries.
 *
 * Output: the first line is a JSON array of {"name": ..., "type": ...} with cylon's type
 * names; then one JSON array per row. Values: null for nulls; integers as decimal
 * strings; floats as "%.17g" strings (exact: they read back to the same double) with
 * "inf", "-inf" and "nan"; bools as true / false; strings as JSON strings (bytes that are
 * not valid UTF-8 become lone surrogates \udcXX, so nothing is hidden); date32 as days
 * since the epoch; timestamps as microseconds since the epoch (a decimal fraction when a
 * nanosecond value has one); decimals as their exact decimal text.
 *
 * Exit status: 0 when read, 1 on a read error (cylon's message on stderr), 2 on bad usage.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"

#define MAX_NULLS 32
#define MAX_TYPES 256

static void usage(void) {
  fprintf(stderr,
          "usage: csv_dump FILE [--delimiter C] [--quote C] [--no-header] [--null TEXT]...\n"
          "                [--quoted-nulls] [--types name:type,...] [--sample-rows N]\n"
          "                [--threads N] [--block-bytes N]\n");
}

/* ------------------------------------------------------------------------------------
 * JSON output
 * ---------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence starting at s (at most n bytes), or 0 if invalid. */
static int utf8_seq_len(const unsigned char *s, int64_t n) {
  unsigned c = s[0];
  int len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    min = 0x10000;
  } else {
    return 0;
  }
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
      fprintf(out, "\\udc%02x", c); /* an invalid byte, kept visible */
      i++;
      continue;
    }
    if (len > 1) {
      fwrite(s + i, 1, (size_t)len, out);
    } else if (c == '"' || c == '\\') {
      fputc('\\', out);
      fputc((int)c, out);
    } else if (c == '\n') {
      fputs("\\n", out);
    } else if (c == '\r') {
      fputs("\\r", out);
    } else if (c == '\t') {
      fputs("\\t", out);
    } else if (c < 0x20 || c == 0x7f) {
      fprintf(out, "\\u%04x", c);
    } else {
      fputc((int)c, out);
    }
    i += len;
  }
  fputc('"', out);
}

static void put_double(double v, FILE *out) {
  if (isnan(v))
    fputs("\"nan\"", out);
  else if (isinf(v))
    fputs(v > 0 ? "\"inf\"" : "\"-inf\"", out);
  else
    fprintf(out, "\"%.17g\"", v);
}

/* Exact decimal text of a 128-bit two's complement value with `scale` digits after the
 * point. */
static void put_decimal128(const uint8_t *p, int32_t scale, FILE *out) {
  uint64_t lo, hi;
  memcpy(&lo, p, 8);
  memcpy(&hi, p + 8, 8);
  unsigned __int128 u = ((unsigned __int128)hi << 64) | lo;
  bool neg = (hi >> 63) != 0;
  if (neg) u = ~u + 1;
  char digits[64];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u);
  while (n <= scale) digits[n++] = '0';
  fputc('"', out);
  if (neg) fputc('-', out);
  for (int i = n - 1; i >= 0; i--) {
    if (i == scale - 1) fputc('.', out);
    fputc(digits[i], out);
  }
  fputc('"', out);
}

static void put_timestamp_us(int64_t v, cy_time_unit unit, FILE *out) {
  switch (unit) {
    case CY_SECOND: fprintf(out, "\"%" PRId64 "\"", v * 1000000); break;
    case CY_MILLI: fprintf(out, "\"%" PRId64 "\"", v * 1000); break;
    case CY_MICRO: fprintf(out, "\"%" PRId64 "\"", v); break;
    case CY_NANO: {
      int64_t us = v / 1000, ns = v % 1000;
      if (ns == 0)
        fprintf(out, "\"%" PRId64 "\"", us);
      else /* keep the nanoseconds as an exact decimal fraction */
        fprintf(out, "\"%s%" PRId64 ".%03" PRId64 "\"", (v < 0 && us == 0) ? "-" : "", us,
                ns < 0 ? -ns : ns);
      break;
    }
  }
}

static void put_value(const cy_column *col, int64_t i, FILE *out) {
  if (!cy_column_is_valid(col, i)) {
    fputs("null", out);
    return;
  }
  const void *base = col->values ? cy_column_data(col) : NULL;
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
    case CY_TIMESTAMP: put_timestamp_us(((const int64_t *)base)[i], col->type.unit, out); break;
    case CY_DECIMAL128:
      put_decimal128((const uint8_t *)base + 16 * i, col->type.scale, out);
      break;
    case CY_UTF8:
    case CY_LARGE_UTF8:
    case CY_BINARY:
    case CY_LARGE_BINARY: {
      int64_t len;
      const uint8_t *bytes = cy_column_bytes(col, i, &len);
      put_json_string(bytes, len, out);
      break;
    }
  }
}

static void dump_table(const cy_table *t, FILE *out) {
  fputc('[', out);
  for (int32_t c = 0; c < t->schema.num_fields; c++) {
    char name[128];
    const cy_field *f = &t->schema.fields[c];
    fputs(c ? ", {\"name\": " : "{\"name\": ", out);
    put_json_string((const uint8_t *)f->name, (int64_t)strlen(f->name), out);
    fputs(", \"type\": ", out);
    cy_type_name(&f->type, name, sizeof(name));
    put_json_string((const uint8_t *)name, (int64_t)strlen(name), out);
    fputc('}', out);
  }
  fputs("]\n", out);
  for (int64_t r = 0; r < t->num_rows; r++) {
    fputc('[', out);
    for (int32_t c = 0; c < t->schema.num_fields; c++) {
      if (c) fputs(", ", out);
      put_value(t->columns[c], r, out);
    }
    fputs("]\n", out);
  }
}

/* ------------------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------------------- */

typedef struct type_list {
  char *text;                   /* owned copy of the --types argument, cut in place */
  const char *names[MAX_TYPES];
  cy_type types[MAX_TYPES];
  int32_t n;
} type_list;

/* Parse "a:int64,b:timestamp[us, UTC]": commas inside brackets or parentheses belong
 * to the type. */
static int parse_types(const char *arg, type_list *tl) {
  cy_error err;
  tl->text = strdup(arg);
  if (!tl->text) return -1;
  char *p = tl->text;
  while (*p) {
    char *item = p;
    int depth = 0;
    while (*p && !(*p == ',' && depth == 0)) {
      if (*p == '[' || *p == '(') depth++;
      if (*p == ']' || *p == ')') depth--;
      p++;
    }
    if (*p) *p++ = 0;
    char *colon = strchr(item, ':');
    if (!colon || tl->n == MAX_TYPES) {
      fprintf(stderr, "csv_dump: bad --types item '%s' (want name:type)\n", item);
      return -1;
    }
    *colon = 0;
    if (cy_type_parse(colon + 1, &tl->types[tl->n], &err) != CY_OK) {
      fprintf(stderr, "csv_dump: %s\n", err.message);
      return -1;
    }
    tl->names[tl->n++] = item;
  }
  return 0;
}

static int parse_char(const char *opt, const char *arg, char *out) {
  if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0) {
    *out = '\t';
    return 0;
  }
  if (strlen(arg) != 1) {
    fprintf(stderr, "csv_dump: %s wants one character, got '%s'\n", opt, arg);
    return -1;
  }
  *out = arg[0];
  return 0;
}

int main(int argc, char **argv) {
  cy_csv_read_options opts;
  cy_csv_read_options_init(&opts);
  const char *path = NULL;
  const char *nulls[MAX_NULLS];
  int32_t num_nulls = -1; /* -1: keep the default list */
  type_list tl = {0};
  int status = 2;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    bool takes_value = strcmp(a, "--delimiter") == 0 || strcmp(a, "--quote") == 0 ||
                       strcmp(a, "--null") == 0 || strcmp(a, "--types") == 0 ||
                       strcmp(a, "--sample-rows") == 0 || strcmp(a, "--threads") == 0 ||
                       strcmp(a, "--block-bytes") == 0;
    if (takes_value && !v) {
      fprintf(stderr, "csv_dump: %s needs a value\n", a);
      goto done;
    }
    if (strcmp(a, "--delimiter") == 0) {
      if (parse_char(a, v, &opts.delimiter)) goto done;
    } else if (strcmp(a, "--quote") == 0) {
      if (parse_char(a, v, &opts.quote)) goto done;
    } else if (strcmp(a, "--no-header") == 0) {
      opts.header = false;
    } else if (strcmp(a, "--null") == 0) {
      if (num_nulls < 0) num_nulls = 0;
      if (num_nulls == MAX_NULLS) {
        fprintf(stderr, "csv_dump: too many --null\n");
        goto done;
      }
      nulls[num_nulls++] = v;
    } else if (strcmp(a, "--quoted-nulls") == 0) {
      opts.quoted_nulls = true;
    } else if (strcmp(a, "--types") == 0) {
      if (parse_types(v, &tl)) goto done;
    } else if (strcmp(a, "--sample-rows") == 0) {
      opts.sample_rows = strtoll(v, NULL, 10);
    } else if (strcmp(a, "--threads") == 0) {
      opts.num_threads = atoi(v);
    } else if (strcmp(a, "--block-bytes") == 0) {
      opts.block_bytes = strtoll(v, NULL, 10);
    } else if (a[0] == '-' && a[1] != 0) {
      fprintf(stderr, "csv_dump: unknown option %s\n", a);
      usage();
      goto done;
    } else if (!path) {
      path = a;
      continue;
    } else {
      usage();
      goto done;
    }
    if (takes_value) i++;
  }
  if (!path) {
    usage();
    goto done;
  }
  if (num_nulls >= 0) {
    opts.null_values = nulls;
    opts.num_null_values = num_nulls;
  }
  if (tl.n) {
    opts.column_names = tl.names;
    opts.column_types = tl.types;
    opts.num_column_types = tl.n;
  }

  cy_error err;
  err.message[0] = 0;
  cy_table *table = NULL;
  if (cy_csv_read(path, &opts, &table, &err) != CY_OK) {
    fprintf(stderr, "%s\n", err.message);
    status = 1;
    goto done;
  }
  dump_table(table, stdout);
  cy_table_release(table);
  status = fflush(stdout) == 0 ? 0 : 1;

done:
  free(tl.text);
  return status;
}
