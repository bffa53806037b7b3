/*
 * type.c - data types: constructors, widths, names and parsing of type names.
 *
 * Names follow Arrow's (int64, utf8, timestamp[us, UTC], decimal128(10, 2)); the parser also
 * takes the SQL-ish aliases a user of DuckDB or Polars would type in a schema override.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cylon/core.h"

cy_type cy_type_make(cy_type_id id) {
  cy_type t;
  memset(&t, 0, sizeof(t));
  t.id = id;
  if (id == CY_TIMESTAMP) t.unit = CY_MICRO;
  if (id == CY_DECIMAL128) t.precision = 38;
  return t;
}

cy_type cy_type_timestamp(cy_time_unit unit, const char *tz) {
  cy_type t = cy_type_make(CY_TIMESTAMP);
  t.unit = unit;
  if (tz) snprintf(t.timezone, sizeof(t.timezone), "%s", tz);
  return t;
}

cy_type cy_type_decimal128(int32_t precision, int32_t scale) {
  cy_type t = cy_type_make(CY_DECIMAL128);
  t.precision = precision;
  t.scale = scale;
  return t;
}

bool cy_type_equals(const cy_type *a, const cy_type *b) {
  if (a->id != b->id) return false;
  if (a->id == CY_TIMESTAMP)
    return a->unit == b->unit && strcmp(a->timezone, b->timezone) == 0;
  if (a->id == CY_DECIMAL128) return a->precision == b->precision && a->scale == b->scale;
  return true;
}

int cy_type_bit_width(cy_type_id id) {
  switch (id) {
    case CY_BOOL: return 1;
    case CY_INT8: case CY_UINT8: return 8;
    case CY_INT16: case CY_UINT16: return 16;
    case CY_INT32: case CY_UINT32: case CY_FLOAT32: case CY_DATE32: return 32;
    case CY_INT64: case CY_UINT64: case CY_FLOAT64: case CY_TIMESTAMP: return 64;
    case CY_DECIMAL128: return 128;
    default: return 0;
  }
}

bool cy_type_is_var_width(cy_type_id id) {
  return id == CY_UTF8 || id == CY_LARGE_UTF8 || id == CY_BINARY || id == CY_LARGE_BINARY;
}

bool cy_type_is_large(cy_type_id id) { return id == CY_LARGE_UTF8 || id == CY_LARGE_BINARY; }

bool cy_type_is_integer(cy_type_id id) { return id >= CY_INT8 && id <= CY_UINT64; }

bool cy_type_is_numeric(cy_type_id id) { return id >= CY_INT8 && id <= CY_FLOAT64; }

static const char *const unit_names[] = {"s", "ms", "us", "ns"};

static const char *simple_name(cy_type_id id) {
  switch (id) {
    case CY_BOOL: return "bool";
    case CY_INT8: return "int8";
    case CY_INT16: return "int16";
    case CY_INT32: return "int32";
    case CY_INT64: return "int64";
    case CY_UINT8: return "uint8";
    case CY_UINT16: return "uint16";
    case CY_UINT32: return "uint32";
    case CY_UINT64: return "uint64";
    case CY_FLOAT32: return "float32";
    case CY_FLOAT64: return "float64";
    case CY_UTF8: return "utf8";
    case CY_LARGE_UTF8: return "large_utf8";
    case CY_BINARY: return "binary";
    case CY_LARGE_BINARY: return "large_binary";
    case CY_DATE32: return "date32";
    default: return NULL;
  }
}

const char *cy_type_name(const cy_type *t, char *buf, size_t size) {
  const char *s = simple_name(t->id);
  if (s) {
    snprintf(buf, size, "%s", s);
  } else if (t->id == CY_TIMESTAMP) {
    const char *u = (unsigned)t->unit < 4 ? unit_names[t->unit] : "?";
    if (t->timezone[0])
      snprintf(buf, size, "timestamp[%s, %s]", u, t->timezone);
    else
      snprintf(buf, size, "timestamp[%s]", u);
  } else if (t->id == CY_DECIMAL128) {
    snprintf(buf, size, "decimal128(%d, %d)", (int)t->precision, (int)t->scale);
  } else {
    snprintf(buf, size, "unknown(%d)", (int)t->id);
  }
  return buf;
}

static const struct {
  const char *name;
  cy_type_id id;
} aliases[] = {
    {"bool", CY_BOOL},          {"boolean", CY_BOOL},       {"int8", CY_INT8},
    {"tinyint", CY_INT8},       {"int16", CY_INT16},        {"smallint", CY_INT16},
    {"int32", CY_INT32},        {"int", CY_INT32},          {"integer", CY_INT32},
    {"int64", CY_INT64},        {"bigint", CY_INT64},       {"long", CY_INT64},
    {"uint8", CY_UINT8},        {"utinyint", CY_UINT8},     {"uint16", CY_UINT16},
    {"usmallint", CY_UINT16},   {"uint32", CY_UINT32},      {"uinteger", CY_UINT32},
    {"uint64", CY_UINT64},      {"ubigint", CY_UINT64},     {"float32", CY_FLOAT32},
    {"float", CY_FLOAT32},      {"real", CY_FLOAT32},       {"float64", CY_FLOAT64},
    {"double", CY_FLOAT64},     {"utf8", CY_UTF8},          {"string", CY_UTF8},
    {"str", CY_UTF8},           {"varchar", CY_UTF8},       {"text", CY_UTF8},
    {"large_utf8", CY_LARGE_UTF8}, {"large_string", CY_LARGE_UTF8},
    {"binary", CY_BINARY},      {"blob", CY_BINARY},        {"large_binary", CY_LARGE_BINARY},
    {"date32", CY_DATE32},      {"date", CY_DATE32},
};

static bool parse_unit(const char *s, size_t n, cy_time_unit *out) {
  for (int u = 0; u < 4; u++) {
    if (strlen(unit_names[u]) == n && strncmp(s, unit_names[u], n) == 0) {
      *out = (cy_time_unit)u;
      return true;
    }
  }
  return false;
}

cy_status cy_type_parse(const char *name, cy_type *out, cy_error *err) {
  char s[128];
  size_t n = 0;
  /* Lower-case and drop spaces so "Decimal128(10, 2)" and "TIMESTAMP[ms]" parse. */
  for (const char *p = name; *p && n + 1 < sizeof(s); p++)
    if (!isspace((unsigned char)*p)) s[n++] = (char)tolower((unsigned char)*p);
  s[n] = 0;
  for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
    if (strcmp(s, aliases[i].name) == 0) {
      *out = cy_type_make(aliases[i].id);
      return CY_OK;
    }
  }
  if (strcmp(s, "timestamp") == 0 || strcmp(s, "datetime") == 0) {
    *out = cy_type_timestamp(CY_MICRO, NULL);
    return CY_OK;
  }
  if (strncmp(s, "timestamp[", 10) == 0 && s[n - 1] == ']') {
    const char *u = s + 10;
    const char *comma = strchr(u, ',');
    size_t ulen = comma ? (size_t)(comma - u) : (size_t)(s + n - 1 - u);
    cy_time_unit unit;
    if (parse_unit(u, ulen, &unit)) {
      /* The zone keeps its original case: find it again in the caller's string. */
      char tz[64] = "";
      if (comma) {
        const char *c = strchr(name, ',');
        const char *e = strrchr(name, ']');
        while (c && isspace((unsigned char)c[1])) c++;
        if (c && e && e > c + 1) snprintf(tz, sizeof(tz), "%.*s", (int)(e - c - 1), c + 1);
      }
      *out = cy_type_timestamp(unit, tz);
      return CY_OK;
    }
  }
  int p = 0, sc = 0;
  char tail = 0;
  if ((sscanf(s, "decimal128(%d,%d%c", &p, &sc, &tail) == 3 ||
       sscanf(s, "decimal(%d,%d%c", &p, &sc, &tail) == 3) &&
      tail == ')') {
    if (p < 1 || p > 38 || sc < 0 || sc > p) {
      cy_error_set(err, "decimal precision must be 1..38 and scale 0..precision, got '%s'",
                   name);
      return CY_EINVAL;
    }
    *out = cy_type_decimal128(p, sc);
    return CY_OK;
  }
  cy_error_set(err,
               "unknown type '%s' (expected bool, int8..int64, uint8..uint64, float32, "
               "float64, utf8, large_utf8, binary, date32, timestamp[s|ms|us|ns], "
               "decimal128(P, S))",
               name);
  return CY_EINVAL;
}
