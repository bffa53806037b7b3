/*
 * hdf5_common.c - what the HDF5 reader and writer share: options, FILE:/KEY paths, the
 * lock around libhdf5 and its error stack turned into cylon's messages.
 *
 * libhdf5 reports a failure by pushing records on a per-thread error stack, from the API
 * function down to the most specific cause ("file signature not found", "truncated file:
 * eof = ..."), and by default prints the stack to stderr. cylon silences the printing and
 * keeps the most specific record as the cause of its own message, which also names the
 * file and the dataset. Without libhdf5 (CMake found none) the entry points fail saying so.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cylon/io.h"

void cy_hdf5_read_options_init(cy_hdf5_read_options *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->chunk_rows = 65536;
}

void cy_hdf5_write_options_init(cy_hdf5_write_options *opts) {
  memset(opts, 0, sizeof(*opts));
  opts->layout = CY_HDF5_COLUMNS;
  opts->chunk_rows = 65536;
}

static const char *const h5_extensions[] = {".h5", ".hdf5", ".hdf", ".he5"};

/* True when the n bytes at path end in an HDF5 file extension. */
static bool ends_in_h5(const char *path, size_t n) {
  for (size_t i = 0; i < sizeof h5_extensions / sizeof h5_extensions[0]; i++) {
    size_t e = strlen(h5_extensions[i]);
    if (n > e && strncasecmp(path + n - e, h5_extensions[i], e) == 0) return true;
  }
  return false;
}

/* Length of the file part of "FILE:/KEY" (the first ':' after an HDF5 extension), or of
 * the whole path. */
static size_t file_part(const char *path) {
  for (const char *p = strchr(path, ':'); p; p = strchr(p + 1, ':'))
    if (ends_in_h5(path, (size_t)(p - path))) return (size_t)(p - path);
  return strlen(path);
}

bool cy_hdf5_is_path(const char *path) { return ends_in_h5(path, file_part(path)); }

#ifdef CYLON_HAVE_HDF5

#include <pthread.h>

#include "io/hdf5_internal.h"

static pthread_mutex_t h5_lock = PTHREAD_MUTEX_INITIALIZER;

void h5_enter(h5_guard *g) {
  pthread_mutex_lock(&h5_lock);
  H5Eget_auto2(H5E_DEFAULT, &g->func, &g->data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void h5_leave(h5_guard *g) {
  H5Eclear2(H5E_DEFAULT);
  H5Eset_auto2(H5E_DEFAULT, g->func, g->data);
  pthread_mutex_unlock(&h5_lock);
}

/* The first record of an upward walk is the most specific one. */
static herr_t keep_first(unsigned n, const H5E_error2_t *e, void *ctx) {
  char *cause = ctx;
  if (n == 0 && e->desc && e->desc[0]) snprintf(cause, 512, "%s", e->desc);
  if (n == 0 && (!e->desc || !e->desc[0])) {
    char minor[256] = "";
    if (H5Eget_msg(e->min_num, NULL, minor, sizeof minor) > 0) snprintf(cause, 512, "%s", minor);
  }
  return 0;
}

cy_status h5_fail(cy_error *err, cy_status status, const char *fmt, ...) {
  char cause[512] = "";
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_first, cause);
  H5Eclear2(H5E_DEFAULT);
  if (err == NULL) return status;
  char prefix[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  cy_error_set(err, "%s: %s", prefix, cause[0] ? cause : "unknown HDF5 error");
  return status;
}

hid_t h5_bool_type(void) {
  hid_t t = H5Tenum_create(H5T_NATIVE_SCHAR);
  signed char no = 0, yes = 1;
  H5Tenum_insert(t, "FALSE", &no);
  H5Tenum_insert(t, "TRUE", &yes);
  return t;
}

bool h5_is_bool_enum(hid_t t) {
  return H5Tget_class(t) == H5T_ENUM && H5Tget_nmembers(t) == 2 &&
         H5Tget_member_index(t, "FALSE") >= 0 && H5Tget_member_index(t, "TRUE") >= 0;
}

hid_t h5_member_type(hid_t elem, const char *member) {
  if (member == NULL) return H5Tcopy(elem);
  hid_t t = H5Tcreate(H5T_COMPOUND, H5Tget_size(elem));
  if (t >= 0 && H5Tinsert(t, member, 0, elem) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

bool h5_window_open(h5_window *w, hid_t dset, int64_t start, int64_t count) {
  hsize_t off = (hsize_t)start, n = (hsize_t)count;
  w->file_space = H5Dget_space(dset);
  w->mem_space = H5Screate_simple(1, &n, NULL);
  return w->file_space >= 0 && w->mem_space >= 0 &&
         H5Sselect_hyperslab(w->file_space, H5S_SELECT_SET, &off, NULL, &n, NULL) >= 0;
}

void h5_window_close(h5_window *w) {
  if (w->file_space >= 0) H5Sclose(w->file_space);
  if (w->mem_space >= 0) H5Sclose(w->mem_space);
}

cy_status h5_split_path(const char *path, char **file, const char **key, cy_error *err) {
  *file = NULL;
  *key = NULL;
  if (strncmp(path, "file://", 7) == 0) path += 7;
  if (strstr(path, "://") != NULL) {
    cy_error_set(err, "%s: HDF5 files are read and written on local paths only (copy the "
                 "object to a local file first)", path);
    return CY_ENOTSUP;
  }
  size_t n = file_part(path);
  *file = strndup(path, n);
  if (*file == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  if (path[n] == ':') *key = path + n + 1;
  return CY_OK;
}

#else /* no libhdf5 */

static cy_status no_hdf5(const char *path, cy_error *err) {
  cy_error_set(err, "%s: this cylon was built without HDF5 support (install libhdf5-dev, "
               "see scripts/install-deps, and build again)", path);
  return CY_ENOTSUP;
}

cy_status cy_hdf5_read(const char *path, const cy_hdf5_read_options *opts, cy_table **out,
                       cy_error *err) {
  *out = NULL;
  return no_hdf5(path, err);
}

cy_status cy_hdf5_write(const cy_table *table, const char *path,
                        const cy_hdf5_write_options *opts, cy_error *err) {
  return no_hdf5(path, err);
}

#endif
