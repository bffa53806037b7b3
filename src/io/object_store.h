/*
 * object_store.h - the object stores behind cy_input / cy_output (private): URL kinds,
 * and the S3 implementation's entry points (object_s3.c).
 */
#ifndef CYLON_IO_OBJECT_STORE_H
#define CYLON_IO_OBJECT_STORE_H

#include "cylon/io.h"

/* True for s3://BUCKET/KEY URLs. */
bool cy_url_is_s3(const char *url);

cy_status cy_s3_input_open(const char *url, cy_input *out, cy_error *err);
cy_status cy_s3_output_open(const char *url, cy_output *out, cy_error *err);
cy_status cy_s3_list(const char *url, cy_object_info **out, int64_t *count, cy_error *err);
cy_status cy_s3_delete(const char *url, cy_error *err);

#endif
