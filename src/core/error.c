/*
 * error.c - cy_error messages and status names.
 *
 * Errors are plain structs the caller owns (nanoarrow style): no allocation, no global
 * "last error", so they are safe to use from any thread.
 */
#include <stdarg.h>
#include <string.h>

#include "cylon/core.h"

void cy_error_set(cy_error *err, const char *fmt, ...) {
  if (err == NULL) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
}

void cy_error_prefix(cy_error *err, const char *fmt, ...) {
  if (err == NULL) return;
  char old[sizeof(err->message)];
  memcpy(old, err->message, sizeof(old));
  old[sizeof(old) - 1] = 0;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  size_t used = (size_t)n < sizeof(err->message) ? (size_t)n : sizeof(err->message) - 1;
  size_t room = sizeof(err->message) - 1 - used;
  size_t len = strlen(old);
  if (len > room) len = room; /* the message is cut rather than overflowing */
  memcpy(err->message + used, old, len);
  err->message[used + len] = 0;
}

const char *cy_status_name(cy_status status) {
  switch (status) {
    case CY_OK: return "OK";
    case CY_EINVAL: return "EINVAL";
    case CY_ENOMEM: return "ENOMEM";
    case CY_EIO: return "EIO";
    case CY_ENOENT: return "ENOENT";
    case CY_ENOTSUP: return "ENOTSUP";
    case CY_ERANGE: return "ERANGE";
    default: return "error";
  }
}
