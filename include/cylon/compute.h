/*
 * cylon/compute.h - the compute layer: kernels over columns and tables.
 *
 * Kernels are whole-column loops (DESIGN.md section 8). They never modify their inputs;
 * results are new columns or tables, possibly sharing buffers with the inputs.
 */
#ifndef CYLON_COMPUTE_H
#define CYLON_COMPUTE_H

#include "cylon/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Concatenate n columns of one type into one contiguous column. */
cy_status cy_column_concat(int32_t n, cy_column *const *columns, cy_column **out,
                           cy_error *err);
/** Concatenate n tables with equal schemas (names and types) into one table; the error
 *  names both schemas when they differ. n == 1 returns a new reference to the input. */
cy_status cy_table_concat(int32_t n, cy_table *const *tables, cy_table **out, cy_error *err);
/** Read every batch of a reader and concatenate them into one table. The reader is left
 *  to the caller to release. */
cy_status cy_batch_reader_read_all(cy_batch_reader *reader, cy_table **out, cy_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CYLON_COMPUTE_H */
