/*
 * test_core.c - buffers, the memory accountant, bitmaps, types, builders, columns, tables,
 * slicing and projection, concatenation and parallel loops, against hand-computed values.
 */
#include "test.h"

static cy_error err;

static int released;
static void count_release(void *data, int64_t size, void *private_data) {
  (void)data;
  (void)size;
  released += *(int *)private_data;
}

static void test_buffers_and_memory(void) {
  int64_t base = cy_memory_current();
  cy_memory_reset_peak();
  cy_buffer *b = NULL;
  OK(cy_buffer_alloc(1000, &b, &err));
  CHECK(((uintptr_t)b->data % 64) == 0); /* 64-byte aligned */
  CHECK_EQ_INT(cy_memory_current() - base, 1000);
  OK(cy_buffer_resize(b, 5000, &err));
  CHECK(((uintptr_t)b->data % 64) == 0);
  CHECK(cy_memory_current() - base >= 5000);
  int64_t peak = cy_memory_peak();
  CHECK(peak - base >= 5000);
  cy_buffer_retain(b);
  /* A shared buffer cannot grow: someone else may be reading it. */
  FAILS(cy_buffer_resize(b, 1 << 20, &err), CY_EINVAL, "shared");
  cy_buffer_release(b);
  cy_buffer_release(b);
  CHECK_EQ_INT(cy_memory_current(), base);
  CHECK_EQ_INT(cy_memory_peak(), peak); /* the peak stays until reset */
  cy_memory_reset_peak();
  CHECK_EQ_INT(cy_memory_peak(), base);

  /* A big block (mapped, huge-page aligned) behaves the same. */
  OK(cy_buffer_alloc(9 << 20, &b, &err));
  memset(b->data, 7, 9 << 20);
  OK(cy_buffer_resize(b, 20 << 20, &err));
  CHECK(b->data[(9 << 20) - 1] == 7);
  cy_buffer_release(b);
  CHECK_EQ_INT(cy_memory_current(), base);

  /* Foreign memory: not counted, released through the owner's callback exactly once. */
  static char foreign[100];
  int one = 1;
  released = 0;
  OK(cy_buffer_wrap(foreign, sizeof foreign, count_release, &one, &b, &err));
  CHECK_EQ_INT(cy_memory_current(), base);
  cy_buffer_retain(b);
  cy_buffer_release(b);
  CHECK_EQ_INT(released, 0);
  FAILS(cy_buffer_resize(b, 200, &err), CY_EINVAL, "foreign");
  cy_buffer_release(b);
  CHECK_EQ_INT(released, 1);
}

static void test_bitmaps(void) {
  uint8_t bits[8] = {0};
  cy_bitmap_fill(bits, 3, 20, true);
  CHECK_EQ_INT(cy_bitmap_count_set(bits, 0, 64), 20);
  CHECK(!cy_bit_get(bits, 2) && cy_bit_get(bits, 3) && cy_bit_get(bits, 22) &&
        !cy_bit_get(bits, 23));
  CHECK_EQ_INT(bits[0], 0xF8); /* bits 3..7 of the first byte, LSB order */
  uint8_t dst[8];
  memset(dst, 0xFF, sizeof dst);
  cy_bitmap_copy(dst, 5, bits, 3, 20); /* unaligned on both sides */
  for (int i = 0; i < 20; i++) CHECK(cy_bit_get(dst, 5 + i));
  cy_bitmap_copy(dst, 1, bits, 0, 30);
  for (int i = 0; i < 30; i++) CHECK(cy_bit_get(dst, 1 + i) == cy_bit_get(bits, i));
  CHECK(cy_bit_get(dst, 0)); /* untouched */
  CHECK_EQ_INT(cy_bitmap_count_set(dst, 1, 30), 20);
}

static void test_types(void) {
  char buf[96];
  cy_type t;
  const char *names[] = {"bool", "int8", "uint64", "float32", "utf8", "large_utf8", "binary",
                         "date32", "timestamp[ns]", "timestamp[ms, Europe/Paris]",
                         "decimal128(10, 2)"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    OK(cy_type_parse(names[i], &t, &err));
    CHECK_EQ_STR(cy_type_name(&t, buf, sizeof buf), names[i]);
  }
  OK(cy_type_parse("BIGINT", &t, &err));
  CHECK_EQ_INT(t.id, CY_INT64);
  OK(cy_type_parse("varchar", &t, &err));
  CHECK_EQ_INT(t.id, CY_UTF8);
  FAILS(cy_type_parse("int128", &t, &err), CY_EINVAL, "unknown type 'int128'");
  FAILS(cy_type_parse("decimal128(50, 2)", &t, &err), CY_EINVAL, "precision");
  cy_type a = cy_type_timestamp(CY_MICRO, "UTC"), b = cy_type_timestamp(CY_MICRO, NULL);
  CHECK(!cy_type_equals(&a, &b));
  CHECK_EQ_INT(cy_type_bit_width(CY_DECIMAL128), 128);
  CHECK_EQ_INT(cy_type_bit_width(CY_BOOL), 1);
  CHECK_EQ_INT(cy_type_bit_width(CY_UTF8), 0);
  /* The civil calendar, hand-checked days since 1970-01-01. */
  CHECK_EQ_INT(cy_date_from_ymd(1970, 1, 1), 0);
  CHECK_EQ_INT(cy_date_from_ymd(2000, 3, 1), 11017);
  CHECK_EQ_INT(cy_date_from_ymd(1969, 12, 31), -1);
  CHECK_EQ_INT(cy_date_from_ymd(1, 1, 1), -719162);
  int64_t y;
  int m, d;
  cy_date_to_ymd(11016, &y, &m, &d);
  CHECK(y == 2000 && m == 2 && d == 29);
  cy_date_to_ymd(-719162, &y, &m, &d);
  CHECK(y == 1 && m == 1 && d == 1);
}

static void test_builders(void) {
  cy_builder b;
  cy_column *c = NULL;
  OK(cy_builder_init(&b, cy_type_make(CY_INT8), 0, &err));
  OK(cy_builder_append_int(&b, -128, &err));
  OK(cy_builder_append_null(&b, &err));
  OK(cy_builder_append_int(&b, 127, &err));
  FAILS(cy_builder_append_int(&b, 128, &err), CY_ERANGE, "value 128 is out of range for int8");
  OK(cy_builder_finish(&b, &c, &err));
  CHECK_EQ_INT(c->length, 3);
  CHECK_EQ_INT(c->null_count, 1);
  CHECK(((const int8_t *)cy_column_data(c))[0] == -128 && !cy_column_is_valid(c, 1) &&
        ((const int8_t *)cy_column_data(c))[2] == 127);
  cy_column_release(c);

  OK(cy_builder_init(&b, cy_type_make(CY_UINT16), 0, &err));
  FAILS(cy_builder_append_int(&b, -1, &err), CY_ERANGE, "-1");
  OK(cy_builder_append_uint(&b, 65535, &err));
  FAILS(cy_builder_append_double(&b, 1.0, &err), CY_EINVAL, "float");
  cy_builder_reset(&b);

  /* Many appends grow the buffers; no nulls means no bitmap at all. */
  OK(cy_builder_init(&b, cy_type_make(CY_UTF8), 1, &err));
  for (int i = 0; i < 10000; i++) {
    char s[16];
    int n = snprintf(s, sizeof s, "v%d", i);
    OK(cy_builder_append_bytes(&b, s, n, &err));
  }
  OK(cy_builder_finish(&b, &c, &err));
  CHECK(c->validity == NULL);
  int64_t len;
  const uint8_t *s = cy_column_bytes(c, 9999, &len);
  CHECK(len == 5 && memcmp(s, "v9999", 5) == 0);

  /* Zero-copy slice: same buffers, offset applied, nulls counted in range. */
  cy_column *sl = NULL;
  OK(cy_column_slice(c, 100, 10, &sl, &err));
  CHECK(sl->values == c->values && sl->data == c->data);
  s = cy_column_bytes(sl, 0, &len);
  CHECK(len == 4 && memcmp(s, "v100", 4) == 0);
  cy_column_release(c);
  s = cy_column_bytes(sl, 9, &len); /* still valid: the slice holds the buffers */
  CHECK(len == 4 && memcmp(s, "v109", 4) == 0);
  cy_column_release(sl);

  /* From C arrays, with validity bytes; bool and decimal appends. */
  int64_t vals[] = {5, 6, 7, 8};
  uint8_t valid[] = {1, 0, 1, 1};
  OK(cy_column_from_values(cy_type_make(CY_INT64), vals, valid, 4, &c, &err));
  CHECK_EQ_INT(c->null_count, 1);
  OK(cy_column_slice(c, 2, 2, &sl, &err));
  CHECK_EQ_INT(sl->null_count, 0);
  CHECK_EQ_INT(((const int64_t *)cy_column_data(sl))[1], 8);
  cy_column_release(sl);
  cy_column_release(c);
  uint8_t flags[] = {1, 0, 1};
  OK(cy_column_from_values(cy_type_make(CY_BOOL), flags, NULL, 3, &c, &err));
  CHECK(cy_column_bool(c, 0) && !cy_column_bool(c, 1) && cy_column_bool(c, 2));
  cy_column_release(c);
  OK(cy_builder_init(&b, cy_type_decimal128(20, 3), 0, &err));
  OK(cy_builder_append_decimal128(&b, 12345, 0, &err));
  OK(cy_builder_append_int(&b, -2, &err)); /* sign-extended into the high half */
  OK(cy_builder_finish(&b, &c, &err));
  const int64_t *dec = cy_column_data(c);
  CHECK(dec[0] == 12345 && dec[1] == 0 && dec[2] == -2 && dec[3] == -1);
  cy_column_release(c);
  const char *strs[] = {"x", NULL, ""};
  OK(cy_column_from_strings(strs, 3, &c, &err));
  CHECK(cy_column_is_valid(c, 0) && !cy_column_is_valid(c, 1) && cy_column_is_valid(c, 2));
  cy_column_release(c);
  /* Bad buffers are caught when a column is made. */
  cy_buffer *small = NULL;
  OK(cy_buffer_alloc(8, &small, &err));
  FAILS(cy_column_make(cy_type_make(CY_INT64), 2, 0, 0, NULL, small, NULL, &c, &err),
        CY_EINVAL, "too short");
}

static cy_table *make_table(int64_t n, int64_t start) {
  cy_builder bk, bs;
  cy_column *cols[2];
  OK(cy_builder_init(&bk, cy_type_make(CY_INT64), n, &err));
  OK(cy_builder_init(&bs, cy_type_make(CY_UTF8), n, &err));
  for (int64_t i = 0; i < n; i++) {
    char s[32];
    int len = snprintf(s, sizeof s, "s%lld", (long long)(start + i));
    OK(cy_builder_append_int(&bk, start + i, &err));
    OK((start + i) % 3 == 0 ? cy_builder_append_null(&bs, &err)
                            : cy_builder_append_bytes(&bs, s, len, &err));
  }
  OK(cy_builder_finish(&bk, &cols[0], &err));
  OK(cy_builder_finish(&bs, &cols[1], &err));
  const char *names[] = {"k", "s"};
  cy_table *t = NULL;
  OK(cy_table_make(2, names, cols, &t, &err));
  cy_column_release(cols[0]);
  cy_column_release(cols[1]);
  return t;
}

static void test_tables(void) {
  cy_table *t = make_table(10, 0), *p = NULL, *s = NULL;
  CHECK_EQ_INT(t->num_rows, 10);
  const int32_t idx[] = {1, 0};
  const char *renamed[] = {"str", NULL};
  OK(cy_table_project(t, 2, idx, renamed, &p, &err));
  CHECK_EQ_STR(p->schema.fields[0].name, "str");
  CHECK_EQ_STR(p->schema.fields[1].name, "k");
  CHECK(p->columns[1] == t->columns[0]); /* shared, not copied */
  OK(cy_table_slice(p, 8, 100, &s, &err));
  CHECK_EQ_INT(s->num_rows, 2);
  CHECK_EQ_INT(((const int64_t *)cy_column_data(s->columns[1]))[0], 8);
  CHECK(!cy_column_is_valid(s->columns[0], 1)); /* row 9: 9 % 3 == 0 */
  const char *missing[] = {"nope"};
  cy_table *x = NULL;
  FAILS(cy_table_select_columns(t, 1, missing, &x, &err), CY_ENOENT,
        "no column named 'nope' in (k: int64, s: utf8)");
  cy_column *cols[] = {t->columns[0], t->columns[0]};
  const char *dup[] = {"a", "a"};
  FAILS(cy_table_make(2, dup, cols, &x, &err), CY_EINVAL, "duplicate column name 'a'");

  /* Concatenation: values, nulls and offsets carry over; schemas must match. */
  cy_table *parts[] = {make_table(5, 0), s, make_table(3, 100)};
  cy_table *all = NULL;
  FAILS(cy_table_concat(3, parts, &all, &err), CY_EINVAL,
        "different schemas: (k: int64, s: utf8) and (str: utf8, k: int64)");
  cy_table_release(parts[1]);
  parts[1] = make_table(2, 8);
  OK(cy_table_concat(3, parts, &all, &err));
  if (all) {
    CHECK_EQ_INT(all->num_rows, 10);
    const int64_t *k = cy_column_data(all->columns[0]);
    const int64_t want[] = {0, 1, 2, 3, 4, 8, 9, 100, 101, 102};
    for (int i = 0; i < 10; i++) CHECK_EQ_INT(k[i], want[i]);
    for (int i = 0; i < 10; i++) CHECK(cy_column_is_valid(all->columns[1], i) == (want[i] % 3 != 0));
    int64_t len;
    const uint8_t *str = cy_column_bytes(all->columns[1], 8, &len);
    CHECK(len == 4 && memcmp(str, "s101", 4) == 0);
    cy_table_release(all);
  }
  for (int i = 0; i < 3; i++) cy_table_release(parts[i]);
  cy_table_release(p);
  cy_table_release(t);

  /* A table reader yields zero-copy slices of the requested size. */
  t = make_table(7, 0);
  cy_batch_reader r;
  OK(cy_table_reader(t, 3, &r, &err));
  int64_t sizes[4] = {0}, n = 0;
  for (cy_table *b = NULL; r.next(&r, &b, &err) == CY_OK && b; n++) {
    if (n < 4) sizes[n] = b->num_rows;
    cy_table_release(b);
  }
  r.release(&r);
  CHECK(n == 3 && sizes[0] == 3 && sizes[1] == 3 && sizes[2] == 1);
  cy_table_release(t);
}

typedef struct sum_job {
  int64_t parts[100];
} sum_job;

static cy_status add_up(void *ctx, int64_t i, cy_error *e) {
  sum_job *j = ctx;
  if (i == 77) {
    cy_error_set(e, "task %lld fails", (long long)i);
    return CY_EIO;
  }
  j->parts[i] = i * i;
  return CY_OK;
}

static cy_status square(void *ctx, int64_t i, cy_error *e) {
  (void)e;
  ((sum_job *)ctx)->parts[i] = i * i;
  return CY_OK;
}

static void test_parallel(void) {
  sum_job j;
  memset(&j, 0, sizeof j);
  OK(cy_parallel_for_n(100, 4, square, &j, &err));
  int64_t total = 0;
  for (int i = 0; i < 100; i++) total += j.parts[i];
  CHECK_EQ_INT(total, 328350); /* sum of squares 0..99 */
  FAILS(cy_parallel_for_n(100, 3, add_up, &j, &err), CY_EIO, "task 77 fails");
  cy_set_num_threads(3);
  CHECK_EQ_INT(cy_num_threads(), 3);
  cy_set_num_threads(0);
}

int main(void) {
  test_buffers_and_memory();
  test_bitmaps();
  test_types();
  test_builders();
  test_tables();
  test_parallel();
  CHECK_EQ_INT(cy_memory_current(), 0);
  TEST_MAIN_END();
}
