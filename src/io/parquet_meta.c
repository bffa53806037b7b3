/*
 * parquet_meta.c - decoding Parquet's footer and page headers from the Thrift compact
 * protocol, and encoding them (see parquet_meta.h for the structures and ownership).
 *
 * Decoders follow the Thrift IDL field by field: each struct is a loop over field
 * headers with a switch on the field id; unknown ids are skipped, and so is a known id
 * with a wire type other than the declared one (as Thrift's generated code does). Required
 * fields the reader depends on are tracked in a bit mask and their absence is an error
 * naming the struct and field.
 *
 * The footer's decoded form lives in an arena (a list of malloc'ed blocks) whose total
 * is capped relative to the footer's size: list counts are already bounded by the bytes
 * left, but one byte of input can become a few hundred bytes of struct, and the cap keeps
 * a hostile footer from turning that into gigabytes.
 */
#include "io/parquet_meta.h"

#include <stdlib.h>
#include <string.h>

/* ---- arena --------------------------------------------------------------------------- */

typedef struct arena_block {
  struct arena_block *next;
  int64_t used, size;
  max_align_t data[];
} arena_block;

struct pq_arena {
  arena_block *head;
  int64_t total, limit;
};

static void arena_free(pq_arena *a) {
  if (!a) return;
  for (arena_block *b = a->head, *n; b; b = n) {
    n = b->next;
    free(b);
  }
  free(a);
}

/* Zeroed memory for n bytes, or NULL (out of memory or over the limit). */
static void *arena_alloc(pq_arena *a, int64_t n) {
  n = (n + 15) & ~(int64_t)15;
  if (n < 0 || a->total + n > a->limit) return NULL;
  arena_block *b = a->head;
  if (!b || b->size - b->used < n) {
    int64_t size = n > 65536 ? n : 65536;
    b = calloc(1, sizeof *b + (size_t)size);
    if (!b) return NULL;
    b->size = size;
    b->next = a->head;
    a->head = b;
  }
  void *p = (uint8_t *)b->data + b->used;
  b->used += n;
  a->total += n;
  memset(p, 0, (size_t)n);
  return p;
}

/* ---- decoding helpers ---------------------------------------------------------------- */

typedef struct dec {
  pqt_reader r;
  pq_arena *arena; /* NULL when decoding a page header: nothing may be allocated */
  bool oom;
  bool ok; /* the last field read had the declared type and decoded */
} dec;

static void *dalloc(dec *d, int64_t count, int64_t size) {
  if (d->r.failed) return NULL;
  void *p = d->arena ? arena_alloc(d->arena, count * size) : NULL;
  if (!p) {
    d->oom = d->arena && d->arena->total + count * size <= d->arena->limit;
    pqt_fail(&d->r, "metadata needs more memory than its size allows (%lld x %lld bytes)",
             (long long)count, (long long)size);
  }
  return p;
}

#define FIELD_LOOP(d)                         \
  pqt_struct_begin(&(d)->r);                  \
  for (;;) {                                  \
    pqt_type t_;                              \
    int16_t id_;                              \
    pqt_field_begin(&(d)->r, &t_, &id_);      \
    if (t_ == PQT_STOP) break;                \
    switch (id_)

#define FIELD_LOOP_END(d)  \
  }                        \
  pqt_struct_end(&(d)->r)

#define SKIP default: pqt_skip(&d->r, t_); break

/* True when a field's wire type fits what the IDL declares; otherwise the field is
 * skipped, as Thrift's own decoders do, so a writer's private use of an id does not make
 * a file unreadable (a required field skipped this way is then reported missing). */
static bool want(dec *d, pqt_type t, pqt_type declared) {
  bool ok;
  if (declared == PQT_BOOL_TRUE)
    ok = t == PQT_BOOL_TRUE || t == PQT_BOOL_FALSE;
  else if (declared == PQT_I32 || declared == PQT_I64 || declared == PQT_BYTE)
    ok = t == PQT_BYTE || t == PQT_I16 || t == PQT_I32 || t == PQT_I64;
  else if (declared == PQT_LIST)
    ok = t == PQT_LIST || t == PQT_SET;
  else
    ok = t == declared;
  if (!ok) pqt_skip(&d->r, t);
  d->ok = ok && !d->r.failed;
  return ok;
}

static int32_t get_i32(dec *d, pqt_type t, const char *field) {
  (void)field;
  if (!want(d, t, PQT_I32)) return 0;
  int32_t v = t == PQT_BYTE ? pqt_read_byte(&d->r) : pqt_read_i32(&d->r);
  d->ok = !d->r.failed;
  return v;
}
static int64_t get_i64(dec *d, pqt_type t, const char *field) {
  (void)field;
  if (!want(d, t, PQT_I64)) return 0;
  int64_t v = t == PQT_BYTE ? pqt_read_byte(&d->r) : pqt_read_zigzag(&d->r);
  d->ok = !d->r.failed;
  return v;
}
static bool get_bool(dec *d, pqt_type t, const char *field) {
  (void)field;
  return want(d, t, PQT_BOOL_TRUE) && t == PQT_BOOL_TRUE;
}
static pq_bytes get_bytes(dec *d, pqt_type t, const char *field) {
  (void)field;
  pq_bytes b = {NULL, 0};
  if (want(d, t, PQT_BINARY)) b.data = pqt_read_binary(&d->r, &b.len);
  d->ok = d->ok && !d->r.failed;
  return b;
}
/* A string copied into the arena, NUL-terminated. */
static const char *get_string(dec *d, pqt_type t, const char *field) {
  pq_bytes b = get_bytes(d, t, field);
  if (!d->ok) return NULL;
  char *s = dalloc(d, b.len + 1, 1);
  if (s && b.len) memcpy(s, b.data, (size_t)b.len);
  d->ok = s != NULL;
  return s;
}
/* A list's header; *n = 0 (and the field skipped) when it is not a list of want_elem. */
static void begin_list(dec *d, pqt_type t, const char *field, pqt_type want_elem,
                       int64_t *n) {
  *n = 0;
  if (!want(d, t, PQT_LIST)) {
    pqt_struct_begin(&d->r); /* balanced by the caller's pqt_list_end */
    return;
  }
  pqt_type et;
  pqt_list_begin(&d->r, &et, n);
  if (d->r.failed) return;
  bool ok = et == want_elem || (want_elem == PQT_I32 && (et == PQT_I16 || et == PQT_I64 ||
                                                         et == PQT_BYTE));
  if (!ok) { /* skip the elements */
    for (int64_t i = 0; i < *n && !d->r.failed; i++) {
      if (et == PQT_BOOL_TRUE || et == PQT_BOOL_FALSE) (void)pqt_read_bool_elem(&d->r);
      else pqt_skip(&d->r, et);
    }
    *n = 0;
    d->ok = false;
  }
  if (*n > INT32_MAX) {
    pqt_fail(&d->r, "list %s has %lld elements", field, (long long)*n);
    *n = 0;
  }
}

static void require(dec *d, uint32_t seen, uint32_t mask, const char *what,
                    const char *const *names) {
  if (d->r.failed) return;
  for (int i = 0; i < 32; i++)
    if ((mask >> i & 1) && !(seen >> i & 1)) {
      pqt_fail(&d->r, "%s: required field %s is missing", what, names[i]);
      return;
    }
}

/* ---- decoders ------------------------------------------------------------------------ */

static void dec_statistics(dec *d, pq_statistics *s) {
  FIELD_LOOP(d) {
    case 1: s->max = get_bytes(d, t_, "Statistics.max"), s->has_max = d->ok; break;
    case 2: s->min = get_bytes(d, t_, "Statistics.min"), s->has_min = d->ok; break;
    case 3: s->null_count = get_i64(d, t_, "Statistics.null_count"), s->has_null_count = d->ok; break;
    case 4: s->distinct_count = get_i64(d, t_, "Statistics.distinct_count"), s->has_distinct_count = d->ok; break;
    case 5: s->max_value = get_bytes(d, t_, "Statistics.max_value"), s->has_max_value = d->ok; break;
    case 6: s->min_value = get_bytes(d, t_, "Statistics.min_value"), s->has_min_value = d->ok; break;
    case 7: s->is_max_value_exact = get_bool(d, t_, "Statistics.is_max_value_exact"), s->has_is_max_value_exact = d->ok; break;
    case 8: s->is_min_value_exact = get_bool(d, t_, "Statistics.is_min_value_exact"), s->has_is_min_value_exact = d->ok; break;
    case 9: s->nan_count = get_i64(d, t_, "Statistics.nan_count"), s->has_nan_count = d->ok; break;
    SKIP;
  }
  FIELD_LOOP_END(d);
}

/* A union of empty structs (TimeUnit, ColumnOrder): the id of the member that is set. */
static int32_t dec_union_tag(dec *d, pqt_type t, const char *field) {
  (void)field;
  if (!want(d, t, PQT_STRUCT)) return 0;
  int32_t tag = 0;
  FIELD_LOOP(d) {
    default:
      if (t_ == PQT_STRUCT && tag == 0) tag = id_;
      pqt_skip(&d->r, t_);
      break;
  }
  FIELD_LOOP_END(d);
  return tag;
}

static void dec_decimal_type(dec *d, pq_logical_type *lt) {
  FIELD_LOOP(d) {
    case 1: lt->scale = get_i32(d, t_, "DecimalType.scale"); break;
    case 2: lt->precision = get_i32(d, t_, "DecimalType.precision"); break;
    SKIP;
  }
  FIELD_LOOP_END(d);
}

static void dec_time_type(dec *d, pq_logical_type *lt) {
  FIELD_LOOP(d) {
    case 1: lt->is_adjusted_to_utc = get_bool(d, t_, "TimestampType.isAdjustedToUTC"); break;
    case 2: lt->unit = dec_union_tag(d, t_, "TimestampType.unit"); break;
    SKIP;
  }
  FIELD_LOOP_END(d);
}

static void dec_int_type(dec *d, pq_logical_type *lt) {
  FIELD_LOOP(d) {
    case 1:
      lt->bit_width = get_i32(d, t_, "IntType.bitWidth");
      break;
    case 2: lt->is_signed = get_bool(d, t_, "IntType.isSigned"); break;
    SKIP;
  }
  FIELD_LOOP_END(d);
}

static void dec_logical_type(dec *d, pqt_type t, pq_logical_type *lt) {
  if (!want(d, t, PQT_STRUCT)) return;
  FIELD_LOOP(d) {
    default:
      if (t_ != PQT_STRUCT || lt->kind != PQ_LT_NONE) {
        pqt_skip(&d->r, t_);
        break;
      }
      switch (id_) {
        case PQ_LT_DECIMAL: lt->kind = id_; dec_decimal_type(d, lt); break;
        case PQ_LT_TIME:
        case PQ_LT_TIMESTAMP: lt->kind = id_; dec_time_type(d, lt); break;
        case PQ_LT_INTEGER: lt->kind = id_; dec_int_type(d, lt); break;
        case PQ_LT_STRING: case PQ_LT_MAP: case PQ_LT_LIST: case PQ_LT_ENUM: case PQ_LT_DATE:
        case PQ_LT_UNKNOWN: case PQ_LT_JSON: case PQ_LT_BSON: case PQ_LT_UUID:
        case PQ_LT_FLOAT16:
          lt->kind = id_;
          pqt_skip(&d->r, t_);
          break;
        default:
          lt->kind = PQ_LT_OTHER;
          pqt_skip(&d->r, t_);
      }
      break;
  }
  FIELD_LOOP_END(d);
}

static void dec_schema_element(dec *d, pq_schema_element *e) {
  *e = pq_schema_element_init();
  uint32_t seen = 0;
  FIELD_LOOP(d) {
    case 1: e->type = get_i32(d, t_, "SchemaElement.type"), e->has_type = d->ok; break;
    case 2: e->type_length = get_i32(d, t_, "SchemaElement.type_length"), e->has_type_length = d->ok; break;
    case 3: e->repetition = get_i32(d, t_, "SchemaElement.repetition_type"), e->has_repetition = d->ok; break;
    case 4: e->name = get_string(d, t_, "SchemaElement.name"), seen |= (d->ok ? 1 : 0); break;
    case 5: e->num_children = get_i32(d, t_, "SchemaElement.num_children"), e->has_num_children = d->ok; break;
    case 6: e->converted_type = get_i32(d, t_, "SchemaElement.converted_type"); break;
    case 7: e->scale = get_i32(d, t_, "SchemaElement.scale"), e->has_scale = d->ok; break;
    case 8: e->precision = get_i32(d, t_, "SchemaElement.precision"), e->has_precision = d->ok; break;
    case 9: e->field_id = get_i32(d, t_, "SchemaElement.field_id"), e->has_field_id = d->ok; break;
    case 10: dec_logical_type(d, t_, &e->logical); break;
    SKIP;
  }
  FIELD_LOOP_END(d);
  static const char *const names[] = {"name"};
  require(d, seen, 1, "SchemaElement", names);
}

static void dec_key_value(dec *d, pq_key_value *kv) {
  uint32_t seen = 0;
  FIELD_LOOP(d) {
    case 1: kv->key = get_string(d, t_, "KeyValue.key"), seen |= (d->ok ? 1 : 0); break;
    case 2: kv->value = get_string(d, t_, "KeyValue.value"); break;
    SKIP;
  }
  FIELD_LOOP_END(d);
  static const char *const names[] = {"key"};
  require(d, seen, 1, "KeyValue", names);
}

static void dec_key_values(dec *d, pqt_type t, const char *field, pq_key_value **out,
                           int32_t *n) {
  int64_t count;
  begin_list(d, t, field, PQT_STRUCT, &count);
  pq_key_value *kv = count ? dalloc(d, count, sizeof *kv) : NULL;
  for (int64_t i = 0; i < count && !d->r.failed; i++) dec_key_value(d, &kv[i]);
  pqt_list_end(&d->r);
  *out = kv;
  *n = d->r.failed ? 0 : (int32_t)count;
}

static int32_t *dec_i32_list(dec *d, pqt_type t, const char *field, int32_t *n) {
  int64_t count;
  begin_list(d, t, field, PQT_I32, &count);
  int32_t *v = count ? dalloc(d, count, sizeof *v) : NULL;
  for (int64_t i = 0; i < count && !d->r.failed; i++) v[i] = pqt_read_i32(&d->r);
  pqt_list_end(&d->r);
  *n = d->r.failed ? 0 : (int32_t)count;
  return v;
}

static void dec_encoding_stats(dec *d, pq_page_encoding_stats *s) {
  FIELD_LOOP(d) {
    case 1: s->page_type = get_i32(d, t_, "PageEncodingStats.page_type"); break;
    case 2: s->encoding = get_i32(d, t_, "PageEncodingStats.encoding"); break;
    case 3: s->count = get_i32(d, t_, "PageEncodingStats.count"); break;
    SKIP;
  }
  FIELD_LOOP_END(d);
}

static void dec_column_meta(dec *d, pq_column_meta *m) {
  uint32_t seen = 0;
  int64_t n;
  FIELD_LOOP(d) {
    case 1: m->type = get_i32(d, t_, "ColumnMetaData.type"), seen |= (d->ok ? 1 : 0); break;
    case 2: m->encodings = dec_i32_list(d, t_, "ColumnMetaData.encodings", &m->num_encodings); break;
    case 3:
      begin_list(d, t_, "ColumnMetaData.path_in_schema", PQT_BINARY, &n);
      m->path = n ? dalloc(d, n, sizeof *m->path) : NULL;
      for (int64_t i = 0; i < n && !d->r.failed; i++) m->path[i] = get_string(d, PQT_BINARY, "path");
      pqt_list_end(&d->r);
      m->path_len = (int32_t)n;
      seen |= 2;
      break;
    case 4: m->codec = get_i32(d, t_, "ColumnMetaData.codec"), seen |= (d->ok ? 4 : 0); break;
    case 5: m->num_values = get_i64(d, t_, "ColumnMetaData.num_values"), seen |= (d->ok ? 8 : 0); break;
    case 6: m->total_uncompressed_size = get_i64(d, t_, "ColumnMetaData.total_uncompressed_size"); break;
    case 7: m->total_compressed_size = get_i64(d, t_, "ColumnMetaData.total_compressed_size"), seen |= (d->ok ? 16 : 0); break;
    case 8: dec_key_values(d, t_, "ColumnMetaData.key_value_metadata", &m->key_value, &m->num_key_value); break;
    case 9: m->data_page_offset = get_i64(d, t_, "ColumnMetaData.data_page_offset"), seen |= (d->ok ? 32 : 0); break;
    case 10: m->index_page_offset = get_i64(d, t_, "ColumnMetaData.index_page_offset"), m->has_index_page_offset = d->ok; break;
    case 11: m->dictionary_page_offset = get_i64(d, t_, "ColumnMetaData.dictionary_page_offset"), m->has_dictionary_page_offset = d->ok; break;
    case 12:
      if (want(d, t_, PQT_STRUCT)) {
        dec_statistics(d, &m->statistics);
        m->has_statistics = true;
      }
      break;
    case 13:
      begin_list(d, t_, "ColumnMetaData.encoding_stats", PQT_STRUCT, &n);
      m->encoding_stats = n ? dalloc(d, n, sizeof *m->encoding_stats) : NULL;
      for (int64_t i = 0; i < n && !d->r.failed; i++) dec_encoding_stats(d, &m->encoding_stats[i]);
      pqt_list_end(&d->r);
      m->num_encoding_stats = (int32_t)n;
      break;
    case 14: m->bloom_filter_offset = get_i64(d, t_, "ColumnMetaData.bloom_filter_offset"), m->has_bloom_filter_offset = d->ok; break;
    case 15: m->bloom_filter_length = get_i32(d, t_, "ColumnMetaData.bloom_filter_length"), m->has_bloom_filter_length = d->ok; break;
    SKIP;
  }
  FIELD_LOOP_END(d);
  static const char *const names[] = {"type", "path_in_schema", "codec", "num_values",
                                      "total_compressed_size", "data_page_offset"};
  require(d, seen, 63, "ColumnMetaData", names);
}

static void dec_column_chunk(dec *d, pq_column_chunk *c) {
  FIELD_LOOP(d) {
    case 1: c->file_path = get_string(d, t_, "ColumnChunk.file_path"); break;
    case 2: c->file_offset = get_i64(d, t_, "ColumnChunk.file_offset"); break;
    case 3:
      if (want(d, t_, PQT_STRUCT)) {
        dec_column_meta(d, &c->meta_data);
        c->has_meta_data = true;
      }
      break;
    case 4: c->offset_index_offset = get_i64(d, t_, "ColumnChunk.offset_index_offset"), c->has_offset_index = d->ok; break;
    case 5: c->offset_index_length = get_i32(d, t_, "ColumnChunk.offset_index_length"); break;
    case 6: c->column_index_offset = get_i64(d, t_, "ColumnChunk.column_index_offset"), c->has_column_index = d->ok; break;
    case 7: c->column_index_length = get_i32(d, t_, "ColumnChunk.column_index_length"); break;
    case 8:
    case 9:
      c->encrypted = true;
      pqt_skip(&d->r, t_);
      break;
    SKIP;
  }
  FIELD_LOOP_END(d);
}

static void dec_sorting_column(dec *d, pq_sorting_column *s) {
  FIELD_LOOP(d) {
    case 1: s->column_idx = get_i32(d, t_, "SortingColumn.column_idx"); break;
    case 2: s->descending = get_bool(d, t_, "SortingColumn.descending"); break;
    case 3: s->nulls_first = get_bool(d, t_, "SortingColumn.nulls_first"); break;
    SKIP;
  }
  FIELD_LOOP_END(d);
}

static void dec_row_group(dec *d, pq_row_group *g) {
  uint32_t seen = 0;
  int64_t n;
  FIELD_LOOP(d) {
    case 1:
      begin_list(d, t_, "RowGroup.columns", PQT_STRUCT, &n);
      g->columns = n ? dalloc(d, n, sizeof *g->columns) : NULL;
      for (int64_t i = 0; i < n && !d->r.failed; i++) dec_column_chunk(d, &g->columns[i]);
      pqt_list_end(&d->r);
      g->num_columns = (int32_t)n;
      seen |= 1;
      break;
    case 2: g->total_byte_size = get_i64(d, t_, "RowGroup.total_byte_size"); break;
    case 3: g->num_rows = get_i64(d, t_, "RowGroup.num_rows"), seen |= (d->ok ? 2 : 0); break;
    case 4:
      begin_list(d, t_, "RowGroup.sorting_columns", PQT_STRUCT, &n);
      g->sorting_columns = n ? dalloc(d, n, sizeof *g->sorting_columns) : NULL;
      for (int64_t i = 0; i < n && !d->r.failed; i++) dec_sorting_column(d, &g->sorting_columns[i]);
      pqt_list_end(&d->r);
      g->num_sorting_columns = (int32_t)n;
      break;
    case 5: g->file_offset = get_i64(d, t_, "RowGroup.file_offset"), g->has_file_offset = d->ok; break;
    case 6: g->total_compressed_size = get_i64(d, t_, "RowGroup.total_compressed_size"), g->has_total_compressed_size = d->ok; break;
    case 7: g->ordinal = get_i32(d, t_, "RowGroup.ordinal"), g->has_ordinal = d->ok; break;
    SKIP;
  }
  FIELD_LOOP_END(d);
  static const char *const names[] = {"columns", "num_rows"};
  require(d, seen, 3, "RowGroup", names);
}

static void dec_file_meta(dec *d, pq_file_meta *m) {
  uint32_t seen = 0;
  int64_t n;
  FIELD_LOOP(d) {
    case 1: m->version = get_i32(d, t_, "FileMetaData.version"); break;
    case 2:
      begin_list(d, t_, "FileMetaData.schema", PQT_STRUCT, &n);
      m->schema = n ? dalloc(d, n, sizeof *m->schema) : NULL;
      for (int64_t i = 0; i < n && !d->r.failed; i++) dec_schema_element(d, &m->schema[i]);
      pqt_list_end(&d->r);
      m->num_schema = (int32_t)n;
      seen |= 1;
      break;
    case 3: m->num_rows = get_i64(d, t_, "FileMetaData.num_rows"), seen |= (d->ok ? 2 : 0); break;
    case 4:
      begin_list(d, t_, "FileMetaData.row_groups", PQT_STRUCT, &n);
      m->row_groups = n ? dalloc(d, n, sizeof *m->row_groups) : NULL;
      for (int64_t i = 0; i < n && !d->r.failed; i++) dec_row_group(d, &m->row_groups[i]);
      pqt_list_end(&d->r);
      m->num_row_groups = (int32_t)n;
      seen |= 4;
      break;
    case 5: dec_key_values(d, t_, "FileMetaData.key_value_metadata", &m->key_value, &m->num_key_value); break;
    case 6: m->created_by = get_string(d, t_, "FileMetaData.created_by"); break;
    case 7:
      begin_list(d, t_, "FileMetaData.column_orders", PQT_STRUCT, &n);
      m->column_orders = n ? dalloc(d, n, sizeof *m->column_orders) : NULL;
      for (int64_t i = 0; i < n && !d->r.failed; i++)
        m->column_orders[i] = dec_union_tag(d, PQT_STRUCT, "ColumnOrder");
      pqt_list_end(&d->r);
      m->num_column_orders = (int32_t)n;
      break;
    case 8:
      m->encrypted = true;
      pqt_skip(&d->r, t_);
      break;
    SKIP;
  }
  FIELD_LOOP_END(d);
  static const char *const names[] = {"schema", "num_rows", "row_groups"};
  require(d, seen, 7, "FileMetaData", names);
}

cy_status pq_file_meta_decode(const uint8_t *data, int64_t len, const char *name,
                              pq_file_meta *out, cy_error *err) {
  memset(out, 0, sizeof *out);
  dec d;
  memset(&d, 0, sizeof d);
  d.arena = calloc(1, sizeof *d.arena);
  if (!d.arena) {
    cy_error_set(err, "%s: out of memory reading the footer", name);
    return CY_ENOMEM;
  }
  /* Real footers take a few times their size once decoded; 32x plus 16 MiB is ample. */
  d.arena->limit = 32 * len + (16 << 20);
  uint8_t *copy = arena_alloc(d.arena, len);
  if (!copy && len > 0) {
    arena_free(d.arena);
    cy_error_set(err, "%s: out of memory reading the footer", name);
    return CY_ENOMEM;
  }
  if (len > 0) memcpy(copy, data, (size_t)len);
  pqt_reader_init(&d.r, copy, len);
  dec_file_meta(&d, out);
  if (d.r.failed) {
    char ctx[512];
    snprintf(ctx, sizeof ctx, "%s: corrupt footer (FileMetaData)", name);
    cy_status st = d.oom ? CY_ENOMEM : CY_EINVAL;
    pqt_reader_status(&d.r, ctx, err);
    arena_free(d.arena);
    memset(out, 0, sizeof *out);
    return st;
  }
  out->arena = d.arena;
  return CY_OK;
}

void pq_file_meta_reset(pq_file_meta *meta) {
  arena_free(meta->arena);
  memset(meta, 0, sizeof *meta);
}

static void dec_data_page_header(dec *d, pq_data_page_header *h) {
  uint32_t seen = 0;
  FIELD_LOOP(d) {
    case 1: h->num_values = get_i32(d, t_, "DataPageHeader.num_values"), seen |= (d->ok ? 1 : 0); break;
    case 2: h->encoding = get_i32(d, t_, "DataPageHeader.encoding"), seen |= (d->ok ? 2 : 0); break;
    case 3: h->definition_level_encoding = get_i32(d, t_, "DataPageHeader.definition_level_encoding"); break;
    case 4: h->repetition_level_encoding = get_i32(d, t_, "DataPageHeader.repetition_level_encoding"); break;
    case 5:
      if (want(d, t_, PQT_STRUCT)) {
        dec_statistics(d, &h->statistics);
        h->has_statistics = true;
      }
      break;
    SKIP;
  }
  FIELD_LOOP_END(d);
  static const char *const names[] = {"num_values", "encoding"};
  require(d, seen, 3, "DataPageHeader", names);
}

static void dec_dictionary_page_header(dec *d, pq_dictionary_page_header *h) {
  uint32_t seen = 0;
  FIELD_LOOP(d) {
    case 1: h->num_values = get_i32(d, t_, "DictionaryPageHeader.num_values"), seen |= (d->ok ? 1 : 0); break;
    case 2: h->encoding = get_i32(d, t_, "DictionaryPageHeader.encoding"), seen |= (d->ok ? 2 : 0); break;
    case 3: h->is_sorted = get_bool(d, t_, "DictionaryPageHeader.is_sorted"), h->has_is_sorted = d->ok; break;
    SKIP;
  }
  FIELD_LOOP_END(d);
  static const char *const names[] = {"num_values", "encoding"};
  require(d, seen, 3, "DictionaryPageHeader", names);
}

static void dec_data_page_header_v2(dec *d, pq_data_page_header_v2 *h) {
  uint32_t seen = 0;
  h->is_compressed = true;
  FIELD_LOOP(d) {
    case 1: h->num_values = get_i32(d, t_, "DataPageHeaderV2.num_values"), seen |= (d->ok ? 1 : 0); break;
    case 2: h->num_nulls = get_i32(d, t_, "DataPageHeaderV2.num_nulls"), seen |= (d->ok ? 2 : 0); break;
    case 3: h->num_rows = get_i32(d, t_, "DataPageHeaderV2.num_rows"), seen |= (d->ok ? 4 : 0); break;
    case 4: h->encoding = get_i32(d, t_, "DataPageHeaderV2.encoding"), seen |= (d->ok ? 8 : 0); break;
    case 5: h->definition_levels_byte_length = get_i32(d, t_, "DataPageHeaderV2.definition_levels_byte_length"), seen |= (d->ok ? 16 : 0); break;
    case 6: h->repetition_levels_byte_length = get_i32(d, t_, "DataPageHeaderV2.repetition_levels_byte_length"), seen |= (d->ok ? 32 : 0); break;
    case 7: h->is_compressed = get_bool(d, t_, "DataPageHeaderV2.is_compressed"); break;
    case 8:
      if (want(d, t_, PQT_STRUCT)) {
        dec_statistics(d, &h->statistics);
        h->has_statistics = true;
      }
      break;
    SKIP;
  }
  FIELD_LOOP_END(d);
  static const char *const names[] = {"num_values", "num_nulls", "num_rows", "encoding",
                                      "definition_levels_byte_length",
                                      "repetition_levels_byte_length"};
  require(d, seen, 63, "DataPageHeaderV2", names);
}

cy_status pq_page_header_decode(const uint8_t *data, int64_t len, pq_page_header *out,
                                int64_t *header_len, cy_error *err) {
  memset(out, 0, sizeof *out);
  *header_len = 0;
  dec d;
  memset(&d, 0, sizeof d);
  pqt_reader_init(&d.r, data, len);
  uint32_t seen = 0;
  FIELD_LOOP(&d) {
    case 1: out->type = get_i32(&d, t_, "PageHeader.type"), seen |= (d.ok ? 1 : 0); break;
    case 2: out->uncompressed_page_size = get_i32(&d, t_, "PageHeader.uncompressed_page_size"), seen |= (d.ok ? 2 : 0); break;
    case 3: out->compressed_page_size = get_i32(&d, t_, "PageHeader.compressed_page_size"), seen |= (d.ok ? 4 : 0); break;
    case 4: out->crc = get_i32(&d, t_, "PageHeader.crc"), out->has_crc = d.ok; break;
    case 5:
      if (want(&d, t_, PQT_STRUCT)) {
        dec_data_page_header(&d, &out->data_page_header);
        out->has_data_page_header = true;
      }
      break;
    case 7:
      if (want(&d, t_, PQT_STRUCT)) {
        dec_dictionary_page_header(&d, &out->dictionary_page_header);
        out->has_dictionary_page_header = true;
      }
      break;
    case 8:
      if (want(&d, t_, PQT_STRUCT)) {
        dec_data_page_header_v2(&d, &out->data_page_header_v2);
        out->has_data_page_header_v2 = true;
      }
      break;
    default: pqt_skip(&d.r, t_); break;
  }
  FIELD_LOOP_END(&d);
  static const char *const names[] = {"type", "uncompressed_page_size",
                                      "compressed_page_size"};
  require(&d, seen, 7, "PageHeader", names);
  if (!d.r.failed && (out->uncompressed_page_size < 0 || out->compressed_page_size < 0))
    pqt_fail(&d.r, "negative page size (compressed %d, uncompressed %d)",
             out->compressed_page_size, out->uncompressed_page_size);
  if (d.r.failed) {
    cy_status st = pqt_reader_status(&d.r, "corrupt page header", err);
    memset(out, 0, sizeof *out);
    return st;
  }
  *header_len = pqt_reader_offset(&d.r);
  return CY_OK;
}

pq_schema_element pq_schema_element_init(void) {
  pq_schema_element e;
  memset(&e, 0, sizeof e);
  e.converted_type = PQ_CT_NONE;
  return e;
}

/* ---- names --------------------------------------------------------------------------- */

const char *pq_type_name(int32_t type) {
  static const char *const names[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                      "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return type >= 0 && type < 8 ? names[type] : "unknown type";
}

const char *pq_encoding_name(int32_t encoding) {
  static const char *const names[] = {"PLAIN",
                                      "GROUP_VAR_INT",
                                      "PLAIN_DICTIONARY",
                                      "RLE",
                                      "BIT_PACKED",
                                      "DELTA_BINARY_PACKED",
                                      "DELTA_LENGTH_BYTE_ARRAY",
                                      "DELTA_BYTE_ARRAY",
                                      "RLE_DICTIONARY",
                                      "BYTE_STREAM_SPLIT"};
  return encoding >= 0 && encoding < 10 ? names[encoding] : "unknown encoding";
}

const char *pq_codec_name(int32_t codec) {
  static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                      "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
  return codec >= 0 && codec < 8 ? names[codec] : "unknown codec";
}

const char *pq_page_type_name(int32_t type) {
  static const char *const names[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE",
                                      "DATA_PAGE_V2"};
  return type >= 0 && type < 4 ? names[type] : "unknown page type";
}
