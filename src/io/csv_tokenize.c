/*
 * csv_tokenize.c - finding fields and records in CSV text (RFC 4180), splitting a text into
 * record-aligned chunks for parallel parsing, and naming error positions.
 *
 * A field is quoted when it starts with the quote character; inside, a doubled quote is a
 * literal quote and delimiters and newlines are data. A quote elsewhere in an unquoted field
 * is taken literally, as most readers do. Records end at LF, CRLF or a lone CR.
 *
 * Splitting: a newline ends a record exactly when an even number of quotes precedes it in
 * the text (doubled quotes count twice, so they never change the parity). Chunks are cut
 * at the first such newline after each nominal cut point; the quote counts per segment are
 * taken in parallel. If a text breaks the rule (a stray quote inside an unquoted field), the
 * chunk parser notices that its chunk did not end at the next one's start, and the reader
 * falls back to one sequential pass.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "io/csv_internal.h"

cy_status csv_dialect_init(csv_dialect *d, const cy_csv_read_options *opts, cy_error *err) {
  static const char *const default_nulls[] = {""};
  memset(d, 0, sizeof(*d));
  d->delim = opts->delimiter;
  d->quote = opts->quote;
  if (d->delim == '\n' || d->delim == '\r' || d->delim == '\0' || d->delim == d->quote) {
    cy_error_set(err, "the CSV delimiter must be one byte other than CR, LF, NUL and the quote");
    return CY_EINVAL;
  }
  if (d->quote == '\n' || d->quote == '\r' || d->quote == '\0') {
    cy_error_set(err, "the CSV quote must be one byte other than CR, LF and NUL");
    return CY_EINVAL;
  }
  d->quoted_nulls = opts->quoted_nulls;
  d->nulls = opts->null_values ? opts->null_values : default_nulls;
  d->num_nulls = opts->null_values ? opts->num_null_values : 1;
  for (int32_t i = 0; i < d->num_nulls; i++) {
    size_t n = strlen(d->nulls[i]);
    if (n < 64)
      d->null_lengths |= 1ull << n;
    else
      d->long_null = true;
  }
  d->stop[(uint8_t)d->delim] = 1;
  d->stop['\n'] = 1;
  d->stop['\r'] = 1;
  d->stop[0] = 1;
  return CY_OK;
}

bool csv_is_null(const csv_dialect *d, const csv_field *f) {
  if (f->quoted && !d->quoted_nulls) return false;
  if (f->len < 64 ? !((d->null_lengths >> f->len) & 1) : !d->long_null) return false;
  for (int32_t i = 0; i < d->num_nulls; i++) {
    const char *m = d->nulls[i];
    if ((int64_t)strlen(m) == f->len && memcmp(m, f->ptr, (size_t)f->len) == 0) return true;
  }
  return false;
}

static bool at_field_end(const csv_text *t, const csv_dialect *d, const char *p) {
  return p >= t->end || *p == d->delim || *p == '\n' || *p == '\r';
}

cy_status csv_next_field(const csv_text *t, const csv_dialect *d, const char **pp,
                         csv_field *f, const csv_parser *ps, int32_t column, cy_error *err) {
  const char *p = *pp;
  if (p < t->end && *p == d->quote) {
    const char *q = p + 1;
    bool escaped = false;
    for (;;) {
      q = memchr(q, d->quote, (size_t)(t->end - q));
      if (q == NULL) {
        f->unterminated = true;
        csv_error_at(t, p, ps, column, err, "quoted field is never closed");
        return CY_EINVAL;
      }
      if (q + 1 < t->end && q[1] == d->quote) {
        escaped = true;
        q += 2;
        continue;
      }
      break;
    }
    f->ptr = p + 1;
    f->len = q - (p + 1);
    f->quoted = true;
    f->escaped = escaped;
    p = q + 1;
    if (!at_field_end(t, d, p)) {
      char c = *p;
      csv_error_at(t, p, ps, column, err,
                   "unexpected character '%c' after a closing quote (expected the delimiter "
                   "or the end of the line)",
                   c >= 32 && c < 127 ? c : '?');
      return CY_EINVAL;
    }
    *pp = p;
    return CY_OK;
  }
  const char *s = p;
  for (;;) {
    while (!d->stop[(uint8_t)*p]) p++;
    if (*p == '\0' && p < t->end) { /* a NUL inside the data */
      p++;
      continue;
    }
    break;
  }
  f->ptr = s;
  f->len = p - s;
  f->quoted = false;
  f->escaped = false;
  *pp = p;
  return CY_OK;
}

int csv_after_field(const csv_text *t, const csv_dialect *d, const char **pp) {
  const char *p = *pp;
  if (p >= t->end) return 0;
  if (*p == d->delim) {
    *pp = p + 1;
    return 1;
  }
  if (*p == '\r') p++;
  if (p < t->end && *p == '\n') p++;
  *pp = p;
  return 0;
}

int64_t csv_unescape(const csv_dialect *d, const csv_field *f, char *buf) {
  int64_t n = 0;
  for (int64_t i = 0; i < f->len; i++) {
    buf[n++] = f->ptr[i];
    if (f->ptr[i] == d->quote) i++; /* skip the second of a doubled quote */
  }
  return n;
}

cy_status csv_read_record(const csv_text *t, const csv_dialect *d, const char **p,
                          csv_field *fields, int32_t max, int32_t *count, bool *cut,
                          cy_error *err) {
  int32_t n = 0;
  for (;;) {
    csv_field f = {0};
    cy_status st = csv_next_field(t, d, p, &f, NULL, n, err);
    if (st != CY_OK) {
      if (cut) *cut = f.unterminated;
      return st;
    }
    if (n < max) fields[n] = f;
    n++;
    if (csv_after_field(t, d, p) == 0) break;
  }
  *count = n;
  return CY_OK;
}

/* ---- splitting ---------------------------------------------------------------------- */

typedef struct count_job {
  const char *const *cuts;
  char quote;
  int64_t *quotes;   /* per segment */
  int64_t *newlines; /* per segment */
} count_job;

/* Count bytes equal to a and to b in [p, e). SSE2 (always there on x86-64) does 16 bytes
 * a step; elsewhere a word-at-a-time exact zero-byte count does 8. */
static void count_two(const uint8_t *p, const uint8_t *e, uint8_t a, uint8_t b, int64_t *na,
                      int64_t *nb) {
  int64_t ca = 0, cb = 0;
#if defined(__SSE2__)
  /* Matches subtract -1 from byte counters; every 255 steps the counters are summed. */
  const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);
  const __m128i zero = _mm_setzero_si128();
  while (e - p >= 16) {
    __m128i acc_a = zero, acc_b = zero;
    for (int k = 0; k < 255 && e - p >= 16; k++, p += 16) {
      __m128i x = _mm_loadu_si128((const __m128i *)p);
      acc_a = _mm_sub_epi8(acc_a, _mm_cmpeq_epi8(x, va));
      acc_b = _mm_sub_epi8(acc_b, _mm_cmpeq_epi8(x, vb));
    }
    __m128i sa = _mm_sad_epu8(acc_a, zero), sb = _mm_sad_epu8(acc_b, zero);
    ca += _mm_cvtsi128_si32(sa) + _mm_cvtsi128_si32(_mm_srli_si128(sa, 8));
    cb += _mm_cvtsi128_si32(sb) + _mm_cvtsi128_si32(_mm_srli_si128(sb, 8));
  }
#else
  const uint64_t lo7 = 0x7F7F7F7F7F7F7F7Full, ones = 0x0101010101010101ull;
  for (; e - p >= 8; p += 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t x = w ^ (ones * a), y = w ^ (ones * b);
    ca += __builtin_popcountll(~(((x & lo7) + lo7) | x | lo7));
    cb += __builtin_popcountll(~(((y & lo7) + lo7) | y | lo7));
  }
#endif
  for (; p < e; p++) {
    ca += *p == a;
    cb += *p == b;
  }
  *na = ca;
  *nb = cb;
}

static cy_status count_segment(void *ctx, int64_t i, cy_error *err) {
  count_job *j = ctx;
  count_two((const uint8_t *)j->cuts[i], (const uint8_t *)j->cuts[i + 1], (uint8_t)j->quote,
            '\n', &j->quotes[i], &j->newlines[i]);
  return CY_OK;
}

/* The first record start at or after p given whether p is inside quotes; *passed gets the
 * newlines between p and it. */
static const char *record_start_after(const csv_text *t, const csv_dialect *d, const char *p,
                                      bool in_quotes, bool any_quotes, int64_t *passed) {
  int64_t nl = 0;
  if (!any_quotes) {
    const char *n = memchr(p, '\n', (size_t)(t->end - p));
    *passed = n ? 1 : 0;
    return n ? n + 1 : t->end;
  }
  for (; p < t->end; p++) {
    if (*p == d->quote) {
      in_quotes = !in_quotes;
    } else if (*p == '\n') {
      nl++;
      if (!in_quotes) {
        *passed = nl;
        return p + 1;
      }
    }
  }
  *passed = nl;
  return t->end;
}

int64_t csv_count_newlines(const char *from, const char *to) {
  int64_t n = 0;
  while (from < to && (from = memchr(from, '\n', (size_t)(to - from))) != NULL) {
    n++;
    from++;
  }
  return n;
}

int64_t csv_max_records(const char *from, const char *to) {
  int64_t lf, cr;
  count_two((const uint8_t *)from, (const uint8_t *)to, '\n', '\r', &lf, &cr);
  return lf + cr + 1;
}

/* The end of the last record in [from, t->end) that a newline closes, given the parity of
 * the quotes in the range; `from` when there is none. */
static const char *last_newline_record_end(const csv_text *t, const csv_dialect *d,
                                           const char *from, int64_t quotes) {
  if (quotes == 0) {
    const char *nl = memrchr(from, '\n', (size_t)(t->end - from));
    return nl ? nl + 1 : from;
  }
  bool odd = quotes & 1; /* parity of the quotes in [from, p + 1) */
  for (const char *p = t->end - 1; p >= from; p--) {
    if (*p == d->quote) odd = !odd; /* now the parity of [from, p) */
    else if (*p == '\n' && !odd) return p + 1;
  }
  return from;
}

cy_status csv_split(const csv_text *t, const csv_dialect *d, const char *from, int32_t n,
                    int threads, bool at_eof, const char **bounds, int64_t *newlines,
                    int32_t *pieces, cy_error *err) {
  int64_t size = t->end - from;
  if (n < 1 || size < 2 * (int64_t)n) n = 1;
  const char **cuts = malloc((size_t)(n + 1) * sizeof(char *));
  int64_t *seg_quotes = calloc((size_t)n, sizeof(int64_t));
  int64_t *seg_lines = calloc((size_t)n, sizeof(int64_t));
  if (cuts == NULL || seg_quotes == NULL || seg_lines == NULL) {
    free(cuts);
    free(seg_quotes);
    free(seg_lines);
    cy_error_set(err, "out of memory splitting a CSV text");
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i <= n; i++) cuts[i] = from + size * i / n;
  count_job job = {cuts, d->quote, seg_quotes, seg_lines};
  cy_status st = cy_parallel_for_n(n, threads, count_segment, &job, err);
  int64_t total_quotes = 0, total_lines = 0;
  for (int32_t i = 0; i < n; i++) {
    total_quotes += seg_quotes[i];
    total_lines += seg_lines[i];
  }
  const char *last = at_eof ? t->end : last_newline_record_end(t, d, from, total_quotes);
  int32_t k = 0;
  if (st == CY_OK && last > from) {
    /* lines_to_prev: newlines in [from, bounds[k - 1]). */
    int64_t quotes_before = 0, lines_before = 0, lines_to_prev = 0;
    bounds[k++] = from;
    for (int32_t i = 1; i < n; i++) {
      quotes_before += seg_quotes[i - 1];
      lines_before += seg_lines[i - 1];
      int64_t passed;
      const char *b = record_start_after(t, d, cuts[i], (quotes_before & 1) != 0,
                                         total_quotes > 0, &passed);
      if (b > bounds[k - 1] && b < last) {
        newlines[k - 1] = lines_before + passed - lines_to_prev;
        lines_to_prev = lines_before + passed;
        bounds[k++] = b;
      }
    }
    int64_t lines_to_last = total_lines - csv_count_newlines(last, t->end);
    newlines[k - 1] = lines_to_last - lines_to_prev;
    bounds[k] = last;
  }
  *pieces = k;
  free(cuts);
  free(seg_quotes);
  free(seg_lines);
  return st;
}

const char *csv_last_record_end(const csv_text *t, const csv_dialect *d, const char *from,
                                bool at_eof) {
  if (at_eof) return t->end;
  const char *p = from, *last = from;
  while (p < t->end) {
    int32_t count;
    bool cut = false;
    if (csv_read_record(t, d, &p, NULL, 0, &count, &cut, NULL) != CY_OK) {
      /* Malformed, not merely unfinished: hand it all to the parser, which reports it. */
      if (!cut) last = t->end;
      break;
    }
    /* A record cut by the end of the buffer is not complete (its CR may precede an LF). */
    if (p >= t->end && p[-1] != '\n') break;
    last = p;
  }
  return last;
}

/* ---- errors ----------------------------------------------------------------------- */

void csv_error_at(const csv_text *t, const char *pos, const csv_parser *ps, int32_t column,
                  cy_error *err, const char *fmt, ...) {
  if (err == NULL) return;
  int64_t line = t->line_base + 1;
  for (const char *p = t->data; p < pos && p < t->end; p++) {
    p = memchr(p, '\n', (size_t)(pos - p));
    if (p == NULL) break;
    line++;
  }
  char where[384];
  if (column >= 0 && ps != NULL)
    snprintf(where, sizeof where, "%s: line %lld, column %d (\"%.200s\")", t->name,
             (long long)line, (int)column + 1, ps->columns[column].name);
  else if (column >= 0)
    snprintf(where, sizeof where, "%s: line %lld, field %d", t->name, (long long)line,
             (int)column + 1);
  else
    snprintf(where, sizeof where, "%s: line %lld", t->name, (long long)line);
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  cy_error_set(err, "%s: %s", where, what);
}
