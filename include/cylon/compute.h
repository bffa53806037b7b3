/*
 * cylon/compute.h - the compute layer: kernels and operators over columns and tables.
 *
 * Kernels are whole-column loops (DESIGN.md section 8): hashing, partitioning, comparing and
 * gathering are separate tight passes, split across threads where it pays. Operators never
 * modify their inputs; results are new columns or tables, possibly sharing buffers with the
 * inputs. Columns are named by name in operator options (as plans name them).
 *
 * Null semantics follow SQL, as DuckDB has them: comparisons with a null are null and a
 * filter keeps only true rows; join keys that are null never match; set operations, unique,
 * group-by and isin treat nulls as equal to each other (IS NOT DISTINCT FROM); aggregates
 * skip nulls (count counts non-null values; count_all counts rows).
 */
#ifndef CYLON_COMPUTE_H
#define CYLON_COMPUTE_H

#include "cylon/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Concatenation
 * ------------------------------------------------------------------------------------- */

/** Concatenate n columns of one type into one contiguous column. */
cy_status cy_column_concat(int32_t n, cy_column *const *columns, cy_column **out,
                           cy_error *err);
/** Concatenate n tables with equal schemas (names and types) into one table; the error
 *  names both schemas when they differ. n == 1 returns a new reference to the input.
 *  This is union all. */
cy_status cy_table_concat(int32_t n, cy_table *const *tables, cy_table **out, cy_error *err);
/** Read every batch of a reader and concatenate them into one table. The reader is left
 *  to the caller to release. */
cy_status cy_batch_reader_read_all(cy_batch_reader *reader, cy_table **out, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Scalars: one value of a type, for literals and fill values
 * ------------------------------------------------------------------------------------- */

typedef struct cy_scalar {
  cy_type type;
  bool valid; /**< false: the null of `type` */
  union {
    bool b;
    int64_t i;  /**< signed integers, date32, timestamp */
    uint64_t u; /**< unsigned integers */
    double f;   /**< float32 and float64 */
    struct {
      const char *data; /**< not owned: must outlive the scalar's use */
      int64_t len;
    } s;       /**< utf8 and binary */
    struct {
      uint64_t lo;
      int64_t hi;
    } d;       /**< decimal128 */
  } v;
} cy_scalar;

/** The null of a type. */
cy_scalar cy_scalar_null(cy_type type);
/** An int64 scalar. */
cy_scalar cy_scalar_int64(int64_t v);
/** A float64 scalar. */
cy_scalar cy_scalar_float64(double v);
/** A bool scalar. */
cy_scalar cy_scalar_bool(bool v);
/** A utf8 scalar over `s` (NUL-terminated; not copied). */
cy_scalar cy_scalar_string(const char *s);
/** Row i of col as a scalar (strings point into the column's buffer). */
cy_scalar cy_column_scalar(const cy_column *col, int64_t i);

/* ---------------------------------------------------------------------------------------
 * Gathering and selecting rows
 * ------------------------------------------------------------------------------------- */

/** Rows indices[0..n) of col in that order; an index of -1 gives a null. Indices must be
 *  in [-1, length). */
cy_status cy_column_take(const cy_column *col, const int64_t *indices, int64_t n,
                         cy_column **out, cy_error *err);
/** cy_column_take on every column, in parallel. */
cy_status cy_table_take(cy_table *table, const int64_t *indices, int64_t n, cy_table **out,
                        cy_error *err);
/** The rows where mask (a bool column of the table's length) is true; null counts as
 *  false. */
cy_status cy_table_filter(cy_table *table, const cy_column *mask, cy_table **out,
                          cy_error *err);
/** The rows for which fn returns true (the C-callback form of select). */
cy_status cy_table_select_fn(cy_table *table,
                             bool (*fn)(const cy_table *table, int64_t row, void *ctx),
                             void *ctx, cy_table **out, cy_error *err);
/** The first n rows (zero-copy); n larger than the table gives the whole table. */
cy_status cy_table_head(cy_table *table, int64_t n, cy_table **out, cy_error *err);
/** The last n rows (zero-copy). */
cy_status cy_table_tail(cy_table *table, int64_t n, cy_table **out, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Hashing
 * ------------------------------------------------------------------------------------- */

/** A 64-bit hash of each row over the given columns (nulls hash alike; equal values of
 *  the same type hash alike). hashes has the table's row count. */
cy_status cy_table_hash_rows(const cy_table *table, const int32_t *columns, int32_t n,
                             uint64_t *hashes, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Expressions (filters in plans, computed columns)
 * ------------------------------------------------------------------------------------- */

/** A parsed expression; immutable, reference counted. */
typedef struct cy_expr cy_expr;

/**
 * Parse an SQL-like expression:
 *   literals   42, -1.5, 1e3, 'text' (quotes doubled inside), true, false, null,
 *              date '2020-01-31', timestamp '2020-01-31 12:00:00'
 *   columns    name, or "any name" in double quotes
 *   operators  + - * /, = == != <> < <= > >=, and, or, not, is null, is not null,
 *              x in (a, b, ...), x not in (...), parentheses
 * Errors name the position and what was expected.
 */
cy_status cy_expr_parse(const char *text, cy_expr **out, cy_error *err);
/** Evaluate an expression over a table's rows, giving a column of its length; errors
 *  name unknown columns and type mismatches (e.g. "price > 'abc'"). */
cy_status cy_expr_evaluate(const cy_expr *expr, cy_table *table, cy_column **out,
                           cy_error *err);
/** The rows where a boolean expression is true. */
cy_status cy_table_select(cy_table *table, const cy_expr *predicate, cy_table **out,
                          cy_error *err);
/** Write the expression back as text (for messages and plans). */
const char *cy_expr_format(const cy_expr *expr, char *buf, size_t size);
/** Take one more reference; returns expr. NULL is allowed. */
cy_expr *cy_expr_retain(cy_expr *expr);
/** Drop one reference, freeing the expression on the last. */
void cy_expr_release(cy_expr *expr);

/* ---------------------------------------------------------------------------------------
 * Column compute
 * ------------------------------------------------------------------------------------- */

typedef enum cy_arith_op { CY_ADD, CY_SUB, CY_MUL, CY_DIV } cy_arith_op;
typedef enum cy_compare_op { CY_EQ, CY_NE, CY_LT, CY_LE, CY_GT, CY_GE } cy_compare_op;

/** Element-wise arithmetic. Integer inputs give int64 (an overflow is an error), except
 *  division, which gives float64 like SQL's `/` on doubles; any float gives float64; a
 *  null on either side gives null; x / 0 is null. */
cy_status cy_column_arith(const cy_column *a, const cy_column *b, cy_arith_op op,
                          cy_column **out, cy_error *err);
/** Arithmetic with a scalar on the right. */
cy_status cy_column_arith_scalar(const cy_column *a, const cy_scalar *b, cy_arith_op op,
                                 cy_column **out, cy_error *err);
/** Element-wise comparison giving bool (null where either side is null). Numbers compare
 *  across types by value; strings by bytes; dates and timestamps with their own kind. */
cy_status cy_column_compare(const cy_column *a, const cy_column *b, cy_compare_op op,
                            cy_column **out, cy_error *err);
/** Comparison with a scalar on the right. */
cy_status cy_column_compare_scalar(const cy_column *a, const cy_scalar *b, cy_compare_op op,
                                   cy_column **out, cy_error *err);
/** Convert to another type: numbers between each other (float to int truncates toward
 *  zero; out of range is an error naming the value), anything to utf8 (as text), utf8 to
 *  anything (parsed; a bad text is an error naming it), date32 <-> timestamp. */
cy_status cy_column_cast(const cy_column *col, cy_type to, cy_column **out, cy_error *err);
/** A bool column: true where col is null (is_null) or not null. */
cy_status cy_column_is_null(const cy_column *col, bool negate, cy_column **out,
                            cy_error *err);
/** Nulls replaced by value (cast to the column's type). */
cy_status cy_column_fill_null(const cy_column *col, const cy_scalar *value, cy_column **out,
                              cy_error *err);
/** The rows with no null in the given columns (all columns when n == 0). */
cy_status cy_table_drop_null(cy_table *table, const char *const *columns, int32_t n,
                             cy_table **out, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Sorting
 * ------------------------------------------------------------------------------------- */

typedef struct cy_sort_key {
  const char *column;
  bool descending;
  bool nulls_first; /**< default false: nulls last, as DuckDB and pandas */
} cy_sort_key;

/** The permutation (row numbers) that sorts the table by the keys; stable. *indices has
 *  the table's row count and is freed with free(). */
cy_status cy_table_sort_indices(cy_table *table, const cy_sort_key *keys, int32_t n,
                                int64_t **indices, cy_error *err);
/** The table sorted by the keys; stable (equal keys keep their order). */
cy_status cy_table_sort(cy_table *table, const cy_sort_key *keys, int32_t n, cy_table **out,
                        cy_error *err);
/** The first k rows of the sorted order, without sorting everything. */
cy_status cy_table_top_k(cy_table *table, const cy_sort_key *keys, int32_t n, int64_t k,
                         cy_table **out, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Joins
 * ------------------------------------------------------------------------------------- */

typedef enum cy_join_type {
  CY_JOIN_INNER = 0,
  CY_JOIN_LEFT,
  CY_JOIN_RIGHT,
  CY_JOIN_FULL,
  CY_JOIN_SEMI, /**< left rows with a match, once each */
  CY_JOIN_ANTI  /**< left rows without a match */
} cy_join_type;

typedef enum cy_join_algorithm { CY_JOIN_HASH = 0, CY_JOIN_SORT_MERGE } cy_join_algorithm;

typedef struct cy_join_options {
  cy_join_type type;           /**< default inner */
  cy_join_algorithm algorithm; /**< default hash */
  int32_t num_keys;
  const char *const *left_on;  /**< key column names on the left */
  const char *const *right_on; /**< on the right (NULL: the same names as left_on) */
  const char *left_suffix;     /**< for clashing non-key names; default "_x" */
  const char *right_suffix;    /**< default "_y" */
} cy_join_options;

/** Defaults: inner, hash, suffixes "_x" and "_y", no keys (set them). */
void cy_join_options_init(cy_join_options *opts);
/**
 * Join two tables on equal keys (several columns, any type; the two sides' key types must
 * be equal or both numeric). Output: the left columns, then the right columns; a right key
 * with the same name as its left key is dropped and the left one is coalesced with it for
 * right and full joins (as pandas' merge `on`). Other clashing names get the suffixes.
 * Semi and anti joins give the left columns only. Row order is unspecified.
 */
cy_status cy_table_join(cy_table *left, cy_table *right, const cy_join_options *opts,
                        cy_table **out, cy_error *err);
/** Every left row with every right row (names clashing get "_x"/"_y"). */
cy_status cy_table_cross_join(cy_table *left, cy_table *right, cy_table **out, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Sets
 * ------------------------------------------------------------------------------------- */

typedef enum cy_keep { CY_KEEP_FIRST = 0, CY_KEEP_LAST } cy_keep;

/** Distinct rows of a and b together (schemas must match; the error names both). */
cy_status cy_table_union(cy_table *a, cy_table *b, cy_table **out, cy_error *err);
/** Distinct rows of a that are also in b. */
cy_status cy_table_intersect(cy_table *a, cy_table *b, cy_table **out, cy_error *err);
/** Distinct rows of a that are not in b (SQL EXCEPT). */
cy_status cy_table_difference(cy_table *a, cy_table *b, cy_table **out, cy_error *err);
/** Rows with distinct values in the given columns (all when n == 0), keeping the first or
 *  last of each, in their original order (pandas' drop_duplicates). */
cy_status cy_table_unique(cy_table *table, const char *const *columns, int32_t n,
                          cy_keep keep, cy_table **out, cy_error *err);
/** A bool column: true where col's value is among values' (a null matches a null). */
cy_status cy_column_isin(const cy_column *col, const cy_column *values, cy_column **out,
                         cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Aggregation
 * ------------------------------------------------------------------------------------- */

typedef enum cy_agg_op {
  CY_AGG_COUNT = 0, /**< non-null values (int64) */
  CY_AGG_COUNT_ALL, /**< rows (int64) */
  CY_AGG_SUM,       /**< int64 for integers (overflow is an error), float64 for floats */
  CY_AGG_MIN,       /**< same type; strings too */
  CY_AGG_MAX,
  CY_AGG_MEAN,      /**< float64 */
  CY_AGG_VAR,       /**< float64, sample variance (ddof 1, as DuckDB var_samp and pandas) */
  CY_AGG_STD,       /**< float64, sample standard deviation */
  CY_AGG_NUNIQUE,   /**< distinct non-null values (int64) */
  CY_AGG_FIRST,     /**< the first non-null value in row order */
  CY_AGG_LAST,      /**< the last non-null value in row order */
  CY_AGG_MEDIAN,    /**< float64, interpolated (DuckDB's median of numbers) */
  CY_AGG_QUANTILE   /**< float64, linear interpolation at `quantile` (quantile_cont) */
} cy_agg_op;

typedef struct cy_aggregate {
  const char *column;
  cy_agg_op op;
  double quantile;         /**< CY_AGG_QUANTILE only, in [0, 1] */
  const char *output_name; /**< NULL: "<column>_<op>", e.g. "v_sum"; quantiles
                                "<column>_q<quantile>", e.g. "v_q0.9" */
} cy_aggregate;

/** The name of an aggregate ("sum", "count", ...). */
const char *cy_agg_name(cy_agg_op op);
/** The aggregate a name means (also "avg", "size", "variance", "stddev",
 *  "count_distinct"); an unknown name is an error listing the known ones. */
cy_status cy_agg_parse(const char *name, cy_agg_op *out, cy_error *err);

/** Group rows by the `by` columns and aggregate each group: one row per distinct key
 *  (null keys form their own group), the key columns first, then one column per
 *  aggregate. Group order is unspecified. Errors name an aggregate that does not fit its
 *  column's type (e.g. the sum of a string column). */
cy_status cy_table_groupby(cy_table *table, const char *const *by, int32_t num_by,
                           const cy_aggregate *aggs, int32_t num_aggs, cy_table **out,
                           cy_error *err);
/** Aggregates over the whole table: a one-row table (scalar aggregates). */
cy_status cy_table_aggregate(cy_table *table, const cy_aggregate *aggs, int32_t num_aggs,
                             cy_table **out, cy_error *err);

/* ---------------------------------------------------------------------------------------
 * Comparing tables
 * ------------------------------------------------------------------------------------- */

/** Whether a and b have equal schemas and equal rows: in the same order (ordered) or as
 *  multisets. Floats compare by value, with NaN equal to NaN. */
cy_status cy_table_equals(cy_table *a, cy_table *b, bool ordered, bool *equal,
                          cy_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CYLON_COMPUTE_H */
