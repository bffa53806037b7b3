/*
 * buffer.c - reference-counted byte buffers.
 *
 * A buffer either owns memory from cy_alloc (release == NULL) or wraps foreign memory (an
 * mmap, a NumPy array, an imported Arrow array) and calls the owner's release callback when
 * the last reference goes. Only owned buffers with a single reference may be resized; that
 * is how builders grow them before the column is published.
 */
#include <stdlib.h>
#include <string.h>

#include "cylon/core.h"

static cy_status new_header(cy_buffer **out, cy_error *err) {
  cy_buffer *b = calloc(1, sizeof(*b));
  if (b == NULL) {
    cy_error_set(err, "out of memory allocating a buffer header");
    return CY_ENOMEM;
  }
  b->refcount = 1;
  *out = b;
  return CY_OK;
}

cy_status cy_buffer_alloc(int64_t size, cy_buffer **out, cy_error *err) {
  if (size < 0) {
    cy_error_set(err, "negative buffer size %lld", (long long)size);
    return CY_EINVAL;
  }
  cy_buffer *b;
  CY_RETURN_NOT_OK(new_header(&b, err));
  b->data = cy_alloc(size);
  if (b->data == NULL) {
    free(b);
    cy_error_set(err, "out of memory allocating %lld bytes", (long long)size);
    return CY_ENOMEM;
  }
  b->size = size;
  b->capacity = size;
  b->owned = true;
  *out = b;
  return CY_OK;
}

cy_status cy_buffer_alloc_zeroed(int64_t size, cy_buffer **out, cy_error *err) {
  CY_RETURN_NOT_OK(cy_buffer_alloc(size, out, err));
  if (size > 0) memset((*out)->data, 0, (size_t)size);
  return CY_OK;
}

cy_status cy_buffer_wrap(void *data, int64_t size, cy_buffer_release_fn release,
                         void *private_data, cy_buffer **out, cy_error *err) {
  cy_buffer *b;
  cy_status st = new_header(&b, err);
  if (st != CY_OK) {
    if (release) release(data, size, private_data);
    return st;
  }
  b->data = data;
  b->size = size;
  b->capacity = size;
  b->release = release;
  b->private_data = private_data;
  *out = b;
  return CY_OK;
}

cy_status cy_buffer_reserve(cy_buffer *b, int64_t capacity, cy_error *err) {
  if (capacity <= b->capacity) return CY_OK;
  if (!b->owned || __atomic_load_n(&b->refcount, __ATOMIC_ACQUIRE) != 1) {
    cy_error_set(err, "cannot grow a shared or foreign buffer");
    return CY_EINVAL;
  }
  uint8_t *p = cy_realloc(b->data, b->capacity, capacity);
  if (p == NULL) {
    cy_error_set(err, "out of memory growing a buffer to %lld bytes", (long long)capacity);
    return CY_ENOMEM;
  }
  b->data = p;
  b->capacity = capacity;
  return CY_OK;
}

cy_status cy_buffer_shrink_to_fit(cy_buffer *b, cy_error *err) {
  if (!b->owned || b->capacity == b->size) return CY_OK;
  if (__atomic_load_n(&b->refcount, __ATOMIC_ACQUIRE) != 1) {
    cy_error_set(err, "cannot shrink a shared buffer");
    return CY_EINVAL;
  }
  uint8_t *p = cy_realloc(b->data, b->capacity, b->size);
  if (p == NULL) return CY_OK; /* keeping the larger block is harmless */
  b->data = p;
  b->capacity = b->size;
  return CY_OK;
}

cy_status cy_buffer_resize(cy_buffer *b, int64_t size, cy_error *err) {
  if (size < 0) {
    cy_error_set(err, "negative buffer size %lld", (long long)size);
    return CY_EINVAL;
  }
  if (size > b->capacity) {
    /* Grow geometrically so repeated appends cost amortised O(1). */
    int64_t cap = b->capacity * 2;
    if (cap < size) cap = size;
    if (cap < 64) cap = 64;
    CY_RETURN_NOT_OK(cy_buffer_reserve(b, cap, err));
  }
  b->size = size;
  return CY_OK;
}

cy_buffer *cy_buffer_retain(cy_buffer *b) {
  if (b) __atomic_fetch_add(&b->refcount, 1, __ATOMIC_RELAXED);
  return b;
}

void cy_buffer_release(cy_buffer *b) {
  if (b == NULL) return;
  if (__atomic_fetch_sub(&b->refcount, 1, __ATOMIC_ACQ_REL) != 1)
    return;
  if (b->owned) {
    cy_free(b->data, b->capacity);
  } else if (b->release) {
    b->release(b->data, b->size, b->private_data);
  }
  free(b);
}
