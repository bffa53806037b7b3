/*
 * hdf5_internal.h - what the HDF5 reader (hdf5_read.c) and writer (hdf5_write.c) share
 * (hdf5_common.c): entering and leaving libhdf5, turning its error stack into a cy_error,
 * splitting FILE:/KEY paths, and the names of the conventions in the file.
 */
#ifndef CYLON_IO_HDF5_INTERNAL_H
#define CYLON_IO_HDF5_INTERNAL_H

#include <hdf5.h>

#include "cylon/io.h"

/* The attribute naming a dataset's cylon type when the HDF5 type alone does not say it
 * (date32, timestamp[...]); on a compound dataset one per member: "cylon_type:NAME". */
#define H5_TYPE_ATTR "cylon_type"
/* The attribute of a columns-layout group listing its columns in order. */
#define H5_COLUMNS_ATTR "columns"
/* The subgroup of a columns-layout group holding one bool dataset per nullable column. */
#define H5_VALIDITY_GROUP "_validity"
/* Where a table goes when the caller names none, and where a reader looks first. */
#define H5_DEFAULT_KEY "/table"

/* libhdf5 keeps global state (and the Debian serial build may not be thread-safe), and it
 * prints its error stack to stderr unless told otherwise: every use is bracketed by
 * h5_enter / h5_leave, which take cylon's HDF5 lock, silence the printing and restore the
 * caller's handler afterwards (h5py in the same process keeps its own). */
typedef struct h5_guard {
  H5E_auto2_t func;
  void *data;
} h5_guard;

void h5_enter(h5_guard *g);
void h5_leave(h5_guard *g);

/* Set err to "PREFIX: CAUSE" where the cause is the most specific entry of HDF5's error
 * stack (or "unknown HDF5 error"), clear the stack and return status. */
cy_status h5_fail(cy_error *err, cy_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Split "FILE[:/KEY]" (file:// allowed; other URLs refused) into a malloc'd local file
 * path and the key (NULL when none; points into path). */
cy_status h5_split_path(const char *path, char **file, const char **key, cy_error *err);

/* h5py's bool, in memory: an enum over signed char with FALSE = 0 and TRUE = 1 (the
 * file type is the same over little-endian int8). */
hid_t h5_bool_type(void);
/* True for an enum of exactly the members FALSE and TRUE. */
bool h5_is_bool_enum(hid_t t);
/* The memory type moving one value: a copy of elem, or for a compound member a compound
 * holding just that member (libhdf5 then moves that member of each record, packed). */
hid_t h5_member_type(hid_t elem, const char *member);

/* Rows [start, start + count) of a 1-D dataset: the file selection and the memory space
 * to match (both -1 when failed to make). */
typedef struct h5_window {
  hid_t file_space, mem_space;
} h5_window;

bool h5_window_open(h5_window *w, hid_t dset, int64_t start, int64_t count);
void h5_window_close(h5_window *w);

#endif
