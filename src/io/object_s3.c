/*
 * object_s3.c - s3:// objects. Not built yet: every call says so (the S3 client with
 * SigV4 signing is the next piece of work on the io layer).
 */
#include "io/object_store.h"

static cy_status not_yet(const char *url, cy_error *err) {
  cy_error_set(err, "%s: s3:// URLs are not supported yet", url);
  return CY_ENOTSUP;
}

cy_status cy_s3_input_open(const char *url, cy_input *out, cy_error *err) {
  (void)out;
  return not_yet(url, err);
}

cy_status cy_s3_output_open(const char *url, cy_output *out, cy_error *err) {
  (void)out;
  return not_yet(url, err);
}

cy_status cy_s3_list(const char *url, cy_object_info **out, int64_t *count, cy_error *err) {
  (void)out;
  (void)count;
  return not_yet(url, err);
}

cy_status cy_s3_delete(const char *url, cy_error *err) { return not_yet(url, err); }
