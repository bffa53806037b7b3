/*
 * parquet_meta_encode.c - encoding Parquet's footer and page headers into the Thrift
 * compact protocol (the writer's half of parquet_meta.h).
 *
 * Fields are written in increasing id order, as Thrift's own encoders do, so the short
 * delta form of the field header is used wherever it can be. Absent optional fields
 * (has_* false, NULL pointers, PQ_CT_NONE, PQ_LT_NONE) are not written.
 */
#include "io/parquet_meta.h"

void pq_statistics_encode(pqt_writer *w, const pq_statistics *s) {
  pqt_write_struct_begin(w);
  if (s->has_max) pqt_write_field_binary(w, 1, s->max.data, s->max.len);
  if (s->has_min) pqt_write_field_binary(w, 2, s->min.data, s->min.len);
  if (s->has_null_count) pqt_write_field_i64(w, 3, s->null_count);
  if (s->has_distinct_count) pqt_write_field_i64(w, 4, s->distinct_count);
  if (s->has_max_value) pqt_write_field_binary(w, 5, s->max_value.data, s->max_value.len);
  if (s->has_min_value) pqt_write_field_binary(w, 6, s->min_value.data, s->min_value.len);
  if (s->has_is_max_value_exact) pqt_write_field_bool(w, 7, s->is_max_value_exact);
  if (s->has_is_min_value_exact) pqt_write_field_bool(w, 8, s->is_min_value_exact);
  if (s->has_nan_count) pqt_write_field_i64(w, 9, s->nan_count);
  pqt_write_struct_end(w);
}

/* An empty struct as the member `id` of a union, itself field `field` of its parent. */
static void write_union_tag(pqt_writer *w, int16_t field, int16_t id) {
  pqt_write_field_struct_begin(w, field);
  pqt_write_field_struct_begin(w, id);
  pqt_write_struct_end(w);
  pqt_write_struct_end(w);
}

static void write_logical_type(pqt_writer *w, const pq_logical_type *lt) {
  pqt_write_field_struct_begin(w, 10);
  pqt_write_field_struct_begin(w, (int16_t)lt->kind);
  switch (lt->kind) {
    case PQ_LT_DECIMAL:
      pqt_write_field_i32(w, 1, lt->scale);
      pqt_write_field_i32(w, 2, lt->precision);
      break;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
      pqt_write_field_bool(w, 1, lt->is_adjusted_to_utc);
      write_union_tag(w, 2, (int16_t)lt->unit);
      break;
    case PQ_LT_INTEGER: {
      pqt_write_field_header(w, 1, PQT_BYTE);
      uint8_t b = (uint8_t)lt->bit_width;
      pqt_write_bytes(w, &b, 1);
      pqt_write_field_bool(w, 2, lt->is_signed);
      break;
    }
    default:
      break; /* empty structs */
  }
  pqt_write_struct_end(w);
  pqt_write_struct_end(w);
}

void pq_schema_element_encode(pqt_writer *w, const pq_schema_element *e) {
  pqt_write_struct_begin(w);
  if (e->has_type) pqt_write_field_i32(w, 1, e->type);
  if (e->has_type_length) pqt_write_field_i32(w, 2, e->type_length);
  if (e->has_repetition) pqt_write_field_i32(w, 3, e->repetition);
  pqt_write_field_string(w, 4, e->name ? e->name : "");
  if (e->has_num_children) pqt_write_field_i32(w, 5, e->num_children);
  if (e->converted_type != PQ_CT_NONE) pqt_write_field_i32(w, 6, e->converted_type);
  if (e->has_scale) pqt_write_field_i32(w, 7, e->scale);
  if (e->has_precision) pqt_write_field_i32(w, 8, e->precision);
  if (e->has_field_id) pqt_write_field_i32(w, 9, e->field_id);
  if (e->logical.kind != PQ_LT_NONE && e->logical.kind != PQ_LT_OTHER)
    write_logical_type(w, &e->logical);
  pqt_write_struct_end(w);
}

static void write_key_values(pqt_writer *w, int16_t id, const pq_key_value *kv, int32_t n) {
  pqt_write_field_list_begin(w, id, PQT_STRUCT, n);
  for (int32_t i = 0; i < n; i++) {
    pqt_write_struct_begin(w);
    pqt_write_field_string(w, 1, kv[i].key ? kv[i].key : "");
    if (kv[i].value) pqt_write_field_string(w, 2, kv[i].value);
    pqt_write_struct_end(w);
  }
}

static void write_column_meta(pqt_writer *w, const pq_column_meta *m) {
  pqt_write_field_struct_begin(w, 3);
  pqt_write_field_i32(w, 1, m->type);
  pqt_write_field_list_begin(w, 2, PQT_I32, m->num_encodings);
  for (int32_t i = 0; i < m->num_encodings; i++) pqt_write_zigzag(w, m->encodings[i]);
  pqt_write_field_list_begin(w, 3, PQT_BINARY, m->path_len);
  for (int32_t i = 0; i < m->path_len; i++) pqt_write_string(w, m->path[i]);
  pqt_write_field_i32(w, 4, m->codec);
  pqt_write_field_i64(w, 5, m->num_values);
  pqt_write_field_i64(w, 6, m->total_uncompressed_size);
  pqt_write_field_i64(w, 7, m->total_compressed_size);
  if (m->num_key_value > 0) write_key_values(w, 8, m->key_value, m->num_key_value);
  pqt_write_field_i64(w, 9, m->data_page_offset);
  if (m->has_index_page_offset) pqt_write_field_i64(w, 10, m->index_page_offset);
  if (m->has_dictionary_page_offset) pqt_write_field_i64(w, 11, m->dictionary_page_offset);
  if (m->has_statistics) {
    pqt_write_field_header(w, 12, PQT_STRUCT);
    pq_statistics_encode(w, &m->statistics);
  }
  if (m->num_encoding_stats > 0) {
    pqt_write_field_list_begin(w, 13, PQT_STRUCT, m->num_encoding_stats);
    for (int32_t i = 0; i < m->num_encoding_stats; i++) {
      pqt_write_struct_begin(w);
      pqt_write_field_i32(w, 1, m->encoding_stats[i].page_type);
      pqt_write_field_i32(w, 2, m->encoding_stats[i].encoding);
      pqt_write_field_i32(w, 3, m->encoding_stats[i].count);
      pqt_write_struct_end(w);
    }
  }
  if (m->has_bloom_filter_offset) pqt_write_field_i64(w, 14, m->bloom_filter_offset);
  if (m->has_bloom_filter_length) pqt_write_field_i32(w, 15, m->bloom_filter_length);
  pqt_write_struct_end(w);
}

void pq_column_chunk_encode(pqt_writer *w, const pq_column_chunk *c) {
  pqt_write_struct_begin(w);
  if (c->file_path) pqt_write_field_string(w, 1, c->file_path);
  pqt_write_field_i64(w, 2, c->file_offset);
  if (c->has_meta_data) write_column_meta(w, &c->meta_data);
  if (c->has_offset_index) {
    pqt_write_field_i64(w, 4, c->offset_index_offset);
    pqt_write_field_i32(w, 5, c->offset_index_length);
  }
  if (c->has_column_index) {
    pqt_write_field_i64(w, 6, c->column_index_offset);
    pqt_write_field_i32(w, 7, c->column_index_length);
  }
  pqt_write_struct_end(w);
}

void pq_row_group_encode(pqt_writer *w, const pq_row_group *g) {
  pqt_write_struct_begin(w);
  pqt_write_field_list_begin(w, 1, PQT_STRUCT, g->num_columns);
  for (int32_t i = 0; i < g->num_columns; i++) pq_column_chunk_encode(w, &g->columns[i]);
  pqt_write_field_i64(w, 2, g->total_byte_size);
  pqt_write_field_i64(w, 3, g->num_rows);
  if (g->num_sorting_columns > 0) {
    pqt_write_field_list_begin(w, 4, PQT_STRUCT, g->num_sorting_columns);
    for (int32_t i = 0; i < g->num_sorting_columns; i++) {
      pqt_write_struct_begin(w);
      pqt_write_field_i32(w, 1, g->sorting_columns[i].column_idx);
      pqt_write_field_bool(w, 2, g->sorting_columns[i].descending);
      pqt_write_field_bool(w, 3, g->sorting_columns[i].nulls_first);
      pqt_write_struct_end(w);
    }
  }
  if (g->has_file_offset) pqt_write_field_i64(w, 5, g->file_offset);
  if (g->has_total_compressed_size) pqt_write_field_i64(w, 6, g->total_compressed_size);
  if (g->has_ordinal) {
    pqt_write_field_header(w, 7, PQT_I16);
    pqt_write_zigzag(w, g->ordinal);
  }
  pqt_write_struct_end(w);
}

void pq_file_meta_encode(pqt_writer *w, const pq_file_meta *m) {
  pqt_write_struct_begin(w);
  pqt_write_field_i32(w, 1, m->version);
  pqt_write_field_list_begin(w, 2, PQT_STRUCT, m->num_schema);
  for (int32_t i = 0; i < m->num_schema; i++) pq_schema_element_encode(w, &m->schema[i]);
  pqt_write_field_i64(w, 3, m->num_rows);
  pqt_write_field_list_begin(w, 4, PQT_STRUCT, m->num_row_groups);
  for (int32_t i = 0; i < m->num_row_groups; i++) pq_row_group_encode(w, &m->row_groups[i]);
  if (m->num_key_value > 0) write_key_values(w, 5, m->key_value, m->num_key_value);
  if (m->created_by) pqt_write_field_string(w, 6, m->created_by);
  if (m->num_column_orders > 0) {
    pqt_write_field_list_begin(w, 7, PQT_STRUCT, m->num_column_orders);
    for (int32_t i = 0; i < m->num_column_orders; i++) {
      pqt_write_struct_begin(w);
      pqt_write_field_struct_begin(w, (int16_t)m->column_orders[i]);
      pqt_write_struct_end(w);
      pqt_write_struct_end(w);
    }
  }
  pqt_write_struct_end(w);
}

void pq_page_header_encode(pqt_writer *w, const pq_page_header *h) {
  pqt_write_struct_begin(w);
  pqt_write_field_i32(w, 1, h->type);
  pqt_write_field_i32(w, 2, h->uncompressed_page_size);
  pqt_write_field_i32(w, 3, h->compressed_page_size);
  if (h->has_crc) pqt_write_field_i32(w, 4, h->crc);
  if (h->has_data_page_header) {
    const pq_data_page_header *d = &h->data_page_header;
    pqt_write_field_struct_begin(w, 5);
    pqt_write_field_i32(w, 1, d->num_values);
    pqt_write_field_i32(w, 2, d->encoding);
    pqt_write_field_i32(w, 3, d->definition_level_encoding);
    pqt_write_field_i32(w, 4, d->repetition_level_encoding);
    if (d->has_statistics) {
      pqt_write_field_header(w, 5, PQT_STRUCT);
      pq_statistics_encode(w, &d->statistics);
    }
    pqt_write_struct_end(w);
  }
  if (h->has_dictionary_page_header) {
    const pq_dictionary_page_header *d = &h->dictionary_page_header;
    pqt_write_field_struct_begin(w, 7);
    pqt_write_field_i32(w, 1, d->num_values);
    pqt_write_field_i32(w, 2, d->encoding);
    if (d->has_is_sorted) pqt_write_field_bool(w, 3, d->is_sorted);
    pqt_write_struct_end(w);
  }
  if (h->has_data_page_header_v2) {
    const pq_data_page_header_v2 *d = &h->data_page_header_v2;
    pqt_write_field_struct_begin(w, 8);
    pqt_write_field_i32(w, 1, d->num_values);
    pqt_write_field_i32(w, 2, d->num_nulls);
    pqt_write_field_i32(w, 3, d->num_rows);
    pqt_write_field_i32(w, 4, d->encoding);
    pqt_write_field_i32(w, 5, d->definition_levels_byte_length);
    pqt_write_field_i32(w, 6, d->repetition_levels_byte_length);
    pqt_write_field_bool(w, 7, d->is_compressed);
    if (d->has_statistics) {
      pqt_write_field_header(w, 8, PQT_STRUCT);
      pq_statistics_encode(w, &d->statistics);
    }
    pqt_write_struct_end(w);
  }
  pqt_write_struct_end(w);
}
