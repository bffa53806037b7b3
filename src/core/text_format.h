/*
 * text_format.h - writing values as text (private to the library).
 *
 * The inverse of text_parse.h: the single definition of how a value looks as text, shared
 * by cy_column_format_value, the table printer and the CSV writer. Every formatter writes
 * into a caller buffer of at least the size given for it below, does NOT write a NUL, and
 * returns the number of bytes written. None of them calls snprintf, so they are fast
 * enough for the inner loop of the CSV writer.
 *
 * The text is chosen so that DuckDB, Python, strtod and our own parsers read it back to the
 * same value:
 *
 * - integers: plain decimal ("-9223372036854775808").
 * - floats: the fewest significant digits that read back (strtod / strtof) to exactly the
 *   same value (shortest round trip, via Ryu), laid out as Python's repr() and DuckDB do:
 *   plain notation when the decimal exponent is in [-4, 16), with ".0" added to integral
 *   values so that a float column stays a float column when read back ("1.0", "0.1",
 *   "1000000000000000.0", "0.0001", "-0.0"); otherwise scientific with at least two exponent
 *   digits ("1e+16", "1e-05", "1.2345678901234568e+17", "5e-324"). Infinities and NaN are
 *   "inf", "-inf" and "nan" (what DuckDB's CSV writer writes; DuckDB, Python float(),
 *   strtod and cy_parse_double all accept them). The sign of a NaN is not written.
 * - bool: "true" / "false".
 * - date32: YYYY-MM-DD in the proleptic Gregorian calendar. Years 0..9999 have four digits;
 *   later years have as many as needed ("10000-01-01"); years before 0 use astronomical
 *   numbering with a minus sign and at least four digits ("-0001-01-01" is 2 BC, ISO 8601's
 *   expanded form). DuckDB writes such years as "0002-01-01 (BC)" instead.
 * - timestamp: "YYYY-MM-DD HH:MM:SS", then "." and the fraction only when it is not zero,
 *   with trailing zeros dropped ("2020-01-01 01:02:03.5", like DuckDB). Instants before 1970
 *   are floored, so -1 ms is "1969-12-31 23:59:59.999". A timestamp with a time zone holds
 *   UTC instants and is written in UTC followed by "+00" (DuckDB's TIMESTAMPTZ text in a UTC
 *   session), so that a reader knows it is an instant and not a wall-clock time.
 * - decimal128: exact, with exactly `scale` fraction digits ("-0.05", "123.45", "5");
 *   negative scales append zeros; scales beyond +-38 use an exponent ("12e-40").
 * - binary: printable ASCII bytes as themselves and every other byte (and the backslash
 *   and both quote characters) as \xHH with upper-case hex, exactly as DuckDB shows a BLOB
 *   and accepts it back in a cast ("a\x00b\xFF").
 */
#ifndef CYLON_TEXT_FORMAT_H
#define CYLON_TEXT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cylon/core.h"

/* Buffer sizes (upper bounds of what each formatter writes). */
#define CY_FORMAT_INT_MAX 20       /* "-9223372036854775808" */
#define CY_FORMAT_DOUBLE_MAX 24    /* "-1.2345678901234567e-308" */
#define CY_FORMAT_FLOAT_MAX 24     /* "-1000000000000000.0" */
#define CY_FORMAT_DATE_MAX 16      /* "-5877641-06-23" */
#define CY_FORMAT_TIMESTAMP_MAX 40 /* "-292277026596-12-04 15:30:08" + ".123456789" */
#define CY_FORMAT_DECIMAL_MAX 80   /* 39 digits, sign, point and up to 38 zeros */
/** Bound for cy_format_fixed: any fixed-width value, "+00" zone suffix included. */
#define CY_FORMAT_FIXED_MAX 96

int cy_format_int64(int64_t v, char *out);
int cy_format_uint64(uint64_t v, char *out);
/** Shortest round-trip text of a double (see the file comment for the layout). */
int cy_format_double(double v, char *out);
/** Shortest round-trip text of a float32 (strtof reads it back to the same float). */
int cy_format_float(float v, char *out);
int cy_format_bool(bool v, char *out);
/** Days since 1970-01-01 as YYYY-MM-DD. */
int cy_format_date32(int32_t days, char *out);
/** A timestamp in `unit` since the epoch, without zone suffix. */
int cy_format_timestamp(int64_t v, cy_time_unit unit, char *out);
/** The 128-bit two's complement integer (hi:lo) divided by 10^scale, exactly. */
int cy_format_decimal128(uint64_t lo, int64_t hi, int32_t scale, char *out);

/** Format row i (which must be valid) of a column of any fixed-width type into out, which
 *  holds CY_FORMAT_FIXED_MAX bytes. Timestamps with a zone get "+00". */
int cy_format_fixed(const cy_column *col, int64_t i, char *out);

/** Length of the BLOB text of n bytes (see the file comment). */
int64_t cy_format_binary_length(const uint8_t *bytes, int64_t n);
/** Write the BLOB text of n bytes; out holds cy_format_binary_length bytes (at most 4n). */
int64_t cy_format_binary(const uint8_t *bytes, int64_t n, char *out);

#endif
