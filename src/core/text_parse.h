/*
 * text_parse.h - parsing values from text (private to the library).
 *
 * Each parser takes a byte range that must hold exactly one value (no surrounding spaces)
 * and returns false when the text is not a valid value of its type, leaving *out alone.
 * They are the single definition of "what text is an int64 / a double / a date" shared by
 * the CSV reader, type inference and the command line.
 */
#ifndef CYLON_TEXT_PARSE_H
#define CYLON_TEXT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cylon/core.h"

/** Optional sign then 1+ digits; false on overflow. */
bool cy_parse_int64(const char *s, size_t n, int64_t *out);
/** Optional '+' then 1+ digits; false on overflow. */
bool cy_parse_uint64(const char *s, size_t n, uint64_t *out);
/** Decimal or scientific notation ("1", "-1.5", ".5", "1e10", "1.5E-3"), or inf, infinity,
 *  nan (any case, optional sign). Correctly rounded. */
bool cy_parse_double(const char *s, size_t n, double *out);
/** The same syntax as cy_parse_double, correctly rounded to a float. */
bool cy_parse_float(const char *s, size_t n, float *out);
/** true/false (any case). */
bool cy_parse_bool(const char *s, size_t n, bool *out);
/** YYYY-MM-DD (month and day may have one digit), checked against the calendar; years
 *  outside 0000..9999 as -YYYY or with more digits. */
bool cy_parse_date32(const char *s, size_t n, int32_t *out);
/** A date alone (midnight), or a date, then ' ' or 'T', HH:MM[:SS[.fraction]], then optionally Z or an offset
 *  (+HH, +HH:MM, +HHMM). Offsets are applied, giving UTC. *has_zone tells whether the text
 *  carried a zone (may be NULL). Fractions finer than unit are rounded half away from 0. */
bool cy_parse_timestamp(const char *s, size_t n, cy_time_unit unit, int64_t *out,
                        bool *has_zone);
/** A decimal number with at most `precision` digits after scaling to `scale`; extra
 *  fraction digits are rounded half away from zero. */
bool cy_parse_decimal128(const char *s, size_t n, int32_t precision, int32_t scale,
                         uint64_t *lo, int64_t *hi);

/** The kinds of value type inference tells apart, from narrowest to widest. */
typedef enum cy_text_kind {
  CY_TEXT_NULL = 0, /* matched a null marker; says nothing about the type */
  CY_TEXT_BOOL,
  CY_TEXT_INT64,
  CY_TEXT_FLOAT64,
  CY_TEXT_DATE,
  CY_TEXT_TIMESTAMP,
  CY_TEXT_TIMESTAMP_TZ,
  CY_TEXT_STRING
} cy_text_kind;

/** The narrowest kind that can hold the text (never CY_TEXT_NULL). */
cy_text_kind cy_text_classify(const char *s, size_t n);
/** The narrowest kind that holds values of both kinds. */
cy_text_kind cy_text_kind_join(cy_text_kind a, cy_text_kind b);
/** The column type used for a kind. */
cy_type cy_text_kind_type(cy_text_kind kind);

#endif
