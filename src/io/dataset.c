/*
 * dataset.c - a table stored as one file or as a directory / key prefix of part files,
 * read whole or as one rank's share of it.
 *
 * What the parts are: cy_object_list's listing of the URL (a file gives itself; a directory
 * or prefix every object below it, sorted by name). Names starting with '_' or '.'
 * (_SUCCESS, _metadata, .crc files, writers' temporaries) are skipped. Without a format
 * given, a part's format comes from its extension and files with other extensions are
 * skipped; parts of two formats are an error naming one of each.
 *
 * Shares: rank r of P reads the parts [r * n / P, (r + 1) * n / P), contiguous runs in
 * name order, so that ranks together read every part once and in order. Parquet is
 * finer-grained when there are fewer files than ranks (one big file, typically): the
 * units are then the row groups of all files, dealt the same way, and each rank reads
 * only its row groups. A rank with no share gets an empty table with the dataset's
 * schema, read from the first part (a CSV header and sample, or a Parquet footer).
 *
 * One schema: every part must have the first part's schema (names and types), or the
 * read fails naming both files and both schemas. For CSV, parts are read with the first
 * part's types (inferred from its sample, unless given), so that every rank's share has
 * the same types whatever its files hold, which is what DuckDB does with a glob.
 */
#include <stdlib.h>
#include <string.h>

#include "io/object_store.h"

/* ---- the parts ------------------------------------------------------------------------- */

static const char *base_name(const char *url) {
  const char *slash = strrchr(url, '/');
  return slash ? slash + 1 : url;
}

typedef struct parts {
  cy_object_info *items;
  int64_t n;
  cy_file_format format;
} parts;

static void parts_reset(parts *p) {
  cy_object_list_free(p->items, p->n);
  memset(p, 0, sizeof(*p));
}

/* Keep the listing's data files; set the format. */
static cy_status choose_parts(const char *url, cy_file_format want, parts *p, cy_error *err) {
  int64_t kept = 0;
  const char *first = NULL; /* a part of the format chosen so far */
  for (int64_t i = 0; i < p->n; i++) {
    cy_object_info it = p->items[i];
    const char *base = base_name(it.url);
    bool single = p->n == 1 && strcmp(it.url, url) == 0; /* the file itself was named */
    cy_file_format f = want;
    bool keep = single || (base[0] != '_' && base[0] != '.');
    if (keep && want == CY_FORMAT_AUTO) {
      cy_status st = cy_file_format_of_path(it.url, &f, err);
      if (st != CY_OK && single) return st; /* one file, of no format we know */
      keep = st == CY_OK;
    }
    if (keep && first && f != p->format) {
      cy_error_set(err, "%s: parts in two formats: %s (%s) and %s (%s); give the format", url,
                   first, cy_file_format_name(p->format), it.url, cy_file_format_name(f));
      return CY_EINVAL;
    }
    if (!keep) {
      free(it.url);
      continue;
    }
    if (!first) first = it.url;
    p->format = f;
    p->items[kept++] = it;
  }
  p->n = kept;
  if (kept == 0) {
    cy_error_set(err, "%s: no data files there (looked for .csv, .tsv, .txt, .parquet, .pq, "
                      ".arrow, .arrows, .ipc, .feather; names starting with '_' or '.' are "
                      "skipped)", url);
    return CY_ENOENT;
  }
  return CY_OK;
}

static cy_status find_parts(const char *url, cy_file_format want, parts *p, cy_error *err) {
  memset(p, 0, sizeof(*p));
  if (cy_hdf5_is_path(url) && (want == CY_FORMAT_AUTO || want == CY_FORMAT_HDF5)) {
    /* One HDF5 file is one table (FILE.h5:/KEY names it), never a listing. */
    p->items = calloc(1, sizeof(cy_object_info));
    if (p->items == NULL || (p->items[0].url = strdup(url)) == NULL) {
      free(p->items);
      p->items = NULL;
      cy_error_set(err, "out of memory");
      return CY_ENOMEM;
    }
    p->n = 1;
    p->format = CY_FORMAT_HDF5;
    return CY_OK;
  }
  CY_RETURN_NOT_OK(cy_object_list(url, &p->items, &p->n, err));
  cy_status st = choose_parts(url, want, p, err);
  if (st != CY_OK) parts_reset(p);
  return st;
}

/* ---- schemas ---------------------------------------------------------------------------- */

/* The schema a part will be read with, without reading its data (CSV: the header and the
 * type-inference sample; Parquet: the footer; Arrow IPC: the stream's schema message). */
static cy_status part_schema(const char *url, cy_file_format f, const cy_table_read_options *o,
                             cy_schema *out, cy_error *err) {
  if (f == CY_FORMAT_PARQUET) {
    cy_parquet_info info;
    memset(&info, 0, sizeof info);
    CY_RETURN_NOT_OK(cy_parquet_read_info(url, &info, err));
    cy_status st = cy_schema_copy(&info.schema, out, err);
    cy_parquet_info_reset(&info);
    return st;
  }
  if (f == CY_FORMAT_HDF5) { /* no footer to look at: the table itself */
    cy_table *t = NULL;
    CY_RETURN_NOT_OK(cy_hdf5_read(url, &o->hdf5, &t, err));
    cy_status st = cy_schema_copy(&t->schema, out, err);
    cy_table_release(t);
    return st;
  }
  cy_batch_reader r = {0};
  cy_status st = f == CY_FORMAT_IPC ? cy_ipc_open(url, &r, err) : cy_csv_open(url, &o->csv, &r, err);
  if (st == CY_OK) st = r.get_schema(&r, out, err);
  if (r.release) r.release(&r);
  return st;
}

static cy_status schema_mismatch(const char *a_url, const cy_schema *a, const char *b_url,
                                 const cy_schema *b, cy_error *err) {
  char sa[400], sb[400];
  cy_error_set(err, "parts of one dataset have different schemas: %s has %s but %s has %s",
               a_url, cy_schema_format(a, sa, sizeof sa), b_url,
               cy_schema_format(b, sb, sizeof sb));
  return CY_EINVAL;
}

/* ---- reading ---------------------------------------------------------------------------- */

/* What every part of a share is read with: the options, plus for CSV the first part's
 * types as explicit column types. */
typedef struct reading {
  cy_table_read_options opts;
  const char **names;
  cy_type *types;
  cy_schema schema; /* the first part's */
  bool have_schema;
} reading;

static void reading_reset(reading *r) {
  free(r->names);
  free(r->types);
  cy_schema_reset(&r->schema);
}

static cy_status pin_csv_types(reading *r, cy_error *err) {
  int32_t n = r->schema.num_fields;
  r->names = malloc((size_t)(n > 0 ? n : 1) * sizeof(char *));
  r->types = malloc((size_t)(n > 0 ? n : 1) * sizeof(cy_type));
  if (!r->names || !r->types) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < n; i++) {
    r->names[i] = r->schema.fields[i].name;
    r->types[i] = r->schema.fields[i].type;
  }
  r->opts.csv.column_names = r->names;
  r->opts.csv.column_types = r->types;
  r->opts.csv.num_column_types = n;
  return CY_OK;
}

static cy_status read_part(const char *url, const reading *r, const int32_t *row_groups,
                           int32_t num_row_groups, cy_table **out, cy_error *err) {
  if (r->opts.format == CY_FORMAT_PARQUET && row_groups) {
    cy_parquet_read_options po = r->opts.parquet;
    po.row_groups = row_groups;
    po.num_row_groups = num_row_groups;
    return cy_parquet_read(url, &po, out, err);
  }
  return cy_table_read_file(url, &r->opts, out, err);
}

/* Read parts [lo, hi) and concatenate them (checking each against the first part's
 * schema when it is known). */
static cy_status read_files(const parts *p, int64_t lo, int64_t hi, const reading *r,
                            cy_table **out, cy_error *err) {
  int64_t n = hi - lo;
  cy_table **tables = calloc((size_t)n, sizeof(cy_table *));
  if (tables == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  cy_status st = CY_OK;
  for (int64_t i = 0; i < n && st == CY_OK; i++) {
    const char *url = p->items[lo + i].url;
    st = read_part(url, r, NULL, 0, &tables[i], err);
    const cy_schema *want = r->have_schema ? &r->schema : i > 0 ? &tables[0]->schema : NULL;
    const char *want_url = r->have_schema ? p->items[0].url : p->items[lo].url;
    if (st == CY_OK && want && !cy_schema_equals(want, &tables[i]->schema))
      st = schema_mismatch(want_url, want, url, &tables[i]->schema, err);
  }
  if (st == CY_OK) st = cy_table_concat((int32_t)n, tables, out, err);
  for (int64_t i = 0; i < n; i++) cy_table_release(tables[i]);
  free(tables);
  return st;
}

/* Row groups as the units of Parquet shares: unit u is row group g of file f. */
static cy_status read_row_groups(const parts *p, int32_t rank, int32_t world,
                                 const reading *r, cy_table **out, cy_error *err) {
  int64_t *groups = calloc((size_t)p->n, sizeof(int64_t));
  cy_table **tables = calloc((size_t)p->n, sizeof(cy_table *));
  int32_t *list = NULL;
  cy_status st = groups && tables ? CY_OK : CY_ENOMEM;
  int64_t total = 0;
  for (int64_t i = 0; i < p->n && st == CY_OK; i++) {
    cy_parquet_info info;
    memset(&info, 0, sizeof info);
    st = cy_parquet_read_info(p->items[i].url, &info, err);
    if (st == CY_OK && !cy_schema_equals(&info.schema, &r->schema))
      st = schema_mismatch(p->items[0].url, &r->schema, p->items[i].url, &info.schema, err);
    groups[i] = info.num_row_groups;
    total += info.num_row_groups;
    cy_parquet_info_reset(&info);
  }
  int64_t lo = (int64_t)rank * total / world, hi = (int64_t)(rank + 1) * total / world;
  int32_t made = 0;
  for (int64_t i = 0, first = 0; i < p->n && st == CY_OK; first += groups[i], i++) {
    int64_t a = lo > first ? lo - first : 0, b = hi - first < groups[i] ? hi - first : groups[i];
    if (a >= b) continue;
    free(list);
    list = malloc((size_t)(b - a) * sizeof(int32_t));
    if (list == NULL) {
      st = CY_ENOMEM;
      break;
    }
    for (int64_t g = a; g < b; g++) list[g - a] = (int32_t)g;
    st = read_part(p->items[i].url, r, list, (int32_t)(b - a), &tables[made], err);
    if (st == CY_OK) made++;
  }
  if (st == CY_OK && made == 0) st = cy_table_make_empty(&r->schema, out, err);
  else if (st == CY_OK) st = cy_table_concat(made, tables, out, err);
  if (st == CY_ENOMEM && err && !err->message[0]) cy_error_set(err, "out of memory");
  for (int32_t i = 0; i < made; i++) cy_table_release(tables[i]);
  free(tables);
  free(groups);
  free(list);
  return st;
}

cy_status cy_dataset_read(const char *url, const cy_table_read_options *opts, int32_t rank,
                          int32_t world, cy_table **out, cy_error *err) {
  *out = NULL;
  if (world < 1 || rank < 0 || rank >= world) {
    cy_error_set(err, "%s: rank %d of %d readers is not a rank", url, rank, world);
    return CY_EINVAL;
  }
  reading r;
  memset(&r, 0, sizeof r);
  if (opts) r.opts = *opts;
  else cy_table_read_options_init(&r.opts);
  parts p;
  CY_RETURN_NOT_OK(find_parts(url, r.opts.format, &p, err));
  r.opts.format = p.format;
  int64_t lo = (int64_t)rank * p.n / world, hi = (int64_t)(rank + 1) * p.n / world;
  /* The dataset's schema is read up front when some rank needs it without reading the
   * first part's data: several CSV parts (their types), an empty share, or Parquet split
   * by row group. A single file read whole needs none of that. */
  bool by_row_group = p.format == CY_FORMAT_PARQUET && p.n < world;
  bool need_schema = (p.format == CY_FORMAT_CSV && p.n > 1) || lo == hi || by_row_group ||
                     (p.format == CY_FORMAT_PARQUET && p.n > 1);
  cy_status st = CY_OK;
  if (need_schema) {
    st = part_schema(p.items[0].url, p.format, &r.opts, &r.schema, err);
    r.have_schema = st == CY_OK;
  }
  if (st == CY_OK && p.format == CY_FORMAT_CSV && p.n > 1) st = pin_csv_types(&r, err);
  if (st == CY_OK) {
    if (by_row_group) st = read_row_groups(&p, rank, world, &r, out, err);
    else if (lo == hi) st = cy_table_make_empty(&r.schema, out, err);
    else st = read_files(&p, lo, hi, &r, out, err);
  }
  reading_reset(&r);
  parts_reset(&p);
  return st;
}
