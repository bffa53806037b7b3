/*
 * test.h - the few macros the C tests share.
 *
 * CHECK records a failure with file and line and carries on, so one run reports every
 * broken expectation; a test binary exits non-zero when any check failed. OK() checks that
 * a cylon call succeeded and prints its error message when it did not.
 */
#ifndef CYLON_TEST_H
#define CYLON_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"

static int test_failures;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      test_failures++;                                                       \
    }                                                                        \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                              \
  do {                                                                                  \
    long long a_ = (long long)(a), b_ = (long long)(b);                                 \
    if (a_ != b_) {                                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, \
              #a, #b, a_, b_);                                                          \
      test_failures++;                                                                  \
    }                                                                                   \
  } while (0)

#define CHECK_EQ_STR(a, b)                                                              \
  do {                                                                                  \
    const char *a_ = (a), *b_ = (b);                                                    \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" vs \"%s\")\n", __FILE__,  \
              __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                \
      test_failures++;                                                                  \
    }                                                                                   \
  } while (0)

/* A cylon call that must succeed; `err` must be a cy_error in scope. */
#define OK(expr)                                                                     \
  do {                                                                               \
    cy_status st_ = (expr);                                                          \
    if (st_ != CY_OK) {                                                              \
      fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, __LINE__, #expr,       \
              cy_status_name(st_), err.message);                                     \
      test_failures++;                                                               \
    }                                                                                \
  } while (0)

/* A cylon call that must fail with status `code` and a message containing `needle`. */
#define FAILS(expr, code, needle)                                                        \
  do {                                                                                   \
    err.message[0] = 0;                                                                  \
    cy_status st_ = (expr);                                                              \
    if (st_ != (code) || strstr(err.message, (needle)) == NULL) {                        \
      fprintf(stderr, "%s:%d: expected %s to fail with %s and \"%s\"; got %s: \"%s\"\n", \
              __FILE__, __LINE__, #expr, cy_status_name(code), needle,                   \
              cy_status_name(st_), err.message);                                         \
      test_failures++;                                                                   \
    }                                                                                    \
  } while (0)

#define TEST_MAIN_END()                                                       \
  do {                                                                        \
    if (test_failures) fprintf(stderr, "%d check(s) failed\n", test_failures); \
    return test_failures ? 1 : 0;                                             \
  } while (0)

#endif
