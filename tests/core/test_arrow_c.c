/*
 * test_arrow_c.c - the Arrow C Data and C Stream Interfaces, against structs written by hand.
 *
 * Every imported array here is built the way the Arrow spec describes it - buffers, bitmaps
 * (LSB first), offsets, null counts, children and format strings written out in the test,
 * never produced by our exporter - and every exported struct is inspected field by field
 * against the spec before it is imported back. The hand producer's buffers are malloc'd
 * copies that its release frees, so AddressSanitizer catches any read of producer memory
 * after release; each node counts its release calls so the tests can check that release
 * happens exactly once and only after the last cylon reference is gone.
 */
#include <stdint.h>

#include "test.h"

/* ---- a hand-written producer ----------------------------------------------------------- */

typedef struct hand_private {
  int *released; /* incremented by release; may be NULL */
  const void *buffers[3];
  void *bases[3]; /* what to free: a buffer may start past its allocation (misalignment) */
  struct ArrowArray *children[4];
} hand_private;

static void hand_release(struct ArrowArray *a) {
  hand_private *p = a->private_data;
  CHECK(a->release != NULL);
  for (int64_t i = 0; i < a->n_children; i++) {
    struct ArrowArray *c = p->children[i];
    if (c->release) c->release(c);
    free(c);
  }
  for (int i = 0; i < 3; i++) free(p->bases[i]);
  if (p->released) (*p->released)++;
  free(p);
  a->release = NULL;
}

static void hand_array(struct ArrowArray *a, int64_t length, int64_t null_count, int64_t offset,
                       int64_t n_buffers, int *released) {
  hand_private *p = calloc(1, sizeof(*p));
  p->released = released;
  memset(a, 0, sizeof(*a));
  a->length = length;
  a->null_count = null_count;
  a->offset = offset;
  a->n_buffers = n_buffers;
  a->buffers = p->buffers;
  a->children = p->children;
  a->release = hand_release;
  a->private_data = p;
}

/* Buffer i is a heap copy of size bytes, starting `shift` bytes into its allocation. */
static void hand_buffer_at(struct ArrowArray *a, int i, const void *bytes, size_t size,
                           size_t shift) {
  hand_private *p = a->private_data;
  if (bytes == NULL) return;
  p->bases[i] = malloc(size + shift + 1);
  memcpy((uint8_t *)p->bases[i] + shift, bytes, size);
  p->buffers[i] = (uint8_t *)p->bases[i] + shift;
}

static void hand_buffer(struct ArrowArray *a, int i, const void *bytes, size_t size) {
  hand_buffer_at(a, i, bytes, size, 0);
}

static struct ArrowArray *hand_child(struct ArrowArray *parent) {
  hand_private *p = parent->private_data;
  struct ArrowArray *c = calloc(1, sizeof(*c));
  p->children[parent->n_children++] = c;
  return c;
}

typedef struct hand_schema_private {
  struct ArrowSchema *children[8];
} hand_schema_private;

static void hand_schema_release(struct ArrowSchema *s) {
  hand_schema_private *p = s->private_data;
  for (int64_t i = 0; i < s->n_children; i++) {
    if (p->children[i]->release) p->children[i]->release(p->children[i]);
    free(p->children[i]);
  }
  free(p);
  s->release = NULL;
}

/* Format and name are string literals, which outlive the schema. */
static void hand_schema(struct ArrowSchema *s, const char *format, const char *name) {
  hand_schema_private *p = calloc(1, sizeof(*p));
  memset(s, 0, sizeof(*s));
  s->format = format;
  s->name = name;
  s->flags = ARROW_FLAG_NULLABLE;
  s->children = p->children;
  s->release = hand_schema_release;
  s->private_data = p;
}

static struct ArrowSchema *hand_schema_child(struct ArrowSchema *parent, const char *format,
                                             const char *name) {
  hand_schema_private *p = parent->private_data;
  struct ArrowSchema *c = calloc(1, sizeof(*c));
  hand_schema(c, format, name);
  p->children[parent->n_children++] = c;
  return c;
}

/* Import one hand-built column array of the given format; the schema is released here. */
static cy_status import_one(const char *format, struct ArrowArray *a, cy_column **out,
                            cy_error *err) {
  struct ArrowSchema s;
  hand_schema(&s, format, "col");
  cy_status st = cy_column_import_arrow(&s, a, out, err);
  s.release(&s);
  return st;
}

static bool str_is(const cy_column *c, int64_t i, const char *want) {
  int64_t len;
  const uint8_t *p = cy_column_bytes(c, i, &len);
  return len == (int64_t)strlen(want) && memcmp(p, want, (size_t)len) == 0;
}

/* ---- format strings ---------------------------------------------------------------------- */

static void test_format_strings(void) {
  cy_error err;
  const struct {
    cy_type type;
    const char *format;
  } cases[] = {
      {cy_type_make(CY_BOOL), "b"},          {cy_type_make(CY_INT8), "c"},
      {cy_type_make(CY_INT16), "s"},         {cy_type_make(CY_INT32), "i"},
      {cy_type_make(CY_INT64), "l"},         {cy_type_make(CY_UINT8), "C"},
      {cy_type_make(CY_UINT16), "S"},        {cy_type_make(CY_UINT32), "I"},
      {cy_type_make(CY_UINT64), "L"},        {cy_type_make(CY_FLOAT32), "f"},
      {cy_type_make(CY_FLOAT64), "g"},       {cy_type_make(CY_UTF8), "u"},
      {cy_type_make(CY_LARGE_UTF8), "U"},    {cy_type_make(CY_BINARY), "z"},
      {cy_type_make(CY_LARGE_BINARY), "Z"},  {cy_type_make(CY_DATE32), "tdD"},
      {cy_type_timestamp(CY_SECOND, NULL), "tss:"},
      {cy_type_timestamp(CY_MILLI, "UTC"), "tsm:UTC"},
      {cy_type_timestamp(CY_MICRO, "America/New_York"), "tsu:America/New_York"},
      {cy_type_timestamp(CY_NANO, "+01:00"), "tsn:+01:00"},
      {cy_type_decimal128(10, 2), "d:10,2"}, {cy_type_decimal128(38, 0), "d:38,0"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char buf[96];
    cy_type back;
    OK(cy_type_to_arrow_format(&cases[i].type, buf, sizeof buf, &err));
    CHECK_EQ_STR(buf, cases[i].format);
    OK(cy_type_from_arrow_format(cases[i].format, &back, &err));
    CHECK(cy_type_equals(&back, &cases[i].type));
  }
  cy_type t;
  OK(cy_type_from_arrow_format("d:10,2,128", &t, &err));
  CHECK(t.id == CY_DECIMAL128 && t.precision == 10 && t.scale == 2);
  FAILS(cy_type_from_arrow_format("d:40,2,256", &t, &err), CY_ENOTSUP, "bit width 256");
  FAILS(cy_type_from_arrow_format("d:10,2,64", &t, &err), CY_ENOTSUP, "only 128");
  FAILS(cy_type_from_arrow_format("+l", &t, &err), CY_ENOTSUP, "'+l' (list)");
  FAILS(cy_type_from_arrow_format("+s", &t, &err), CY_ENOTSUP, "struct");
  FAILS(cy_type_from_arrow_format("n", &t, &err), CY_ENOTSUP, "null type");
  FAILS(cy_type_from_arrow_format("e", &t, &err), CY_ENOTSUP, "float16");
  FAILS(cy_type_from_arrow_format("vu", &t, &err), CY_ENOTSUP, "view");
  FAILS(cy_type_from_arrow_format("w:16", &t, &err), CY_ENOTSUP, "fixed-size binary");
  FAILS(cy_type_from_arrow_format("tdm", &t, &err), CY_ENOTSUP, "date64");
  FAILS(cy_type_from_arrow_format("ttu", &t, &err), CY_ENOTSUP, "time");
  FAILS(cy_type_from_arrow_format("+us:4,5", &t, &err), CY_ENOTSUP, "union");
  FAILS(cy_type_from_arrow_format("ii", &t, &err), CY_ENOTSUP, "'ii'");
  FAILS(cy_type_from_arrow_format("d:10", &t, &err), CY_EINVAL, "malformed");
  FAILS(cy_type_from_arrow_format("d:10,2x", &t, &err), CY_EINVAL, "malformed");
  FAILS(cy_type_from_arrow_format("d:39,2", &t, &err), CY_EINVAL, "precision");
  FAILS(cy_type_from_arrow_format("tsx:", &t, &err), CY_EINVAL, "timestamp");
  FAILS(cy_type_from_arrow_format("tsu", &t, &err), CY_EINVAL, "timestamp");
  FAILS(cy_type_from_arrow_format(NULL, &t, &err), CY_EINVAL, "no format");
  char small[4];
  cy_type ts = cy_type_timestamp(CY_MILLI, "UTC");
  FAILS(cy_type_to_arrow_format(&ts, small, sizeof small, &err), CY_ERANGE, "tsm:UTC");
}

/* ---- importing primitive arrays ----------------------------------------------------------- */

static void test_import_int32_nulls(void) {
  cy_error err;
  int released = 0;
  /* [10, 20, null, 40, null, 60, 70, 80, 90, 100]; validity LSB first:
   * rows 0-7 = 1,1,0,1,0,1,1,1 -> 0b11101011 = 0xEB; rows 8-9 = 1,1 -> 0x03. */
  const uint8_t validity[] = {0xEB, 0x03};
  const int32_t values[] = {10, 20, 0, 40, 0, 60, 70, 80, 90, 100};
  struct ArrowArray a;
  hand_array(&a, 10, 2, 0, 2, &released);
  hand_buffer(&a, 0, validity, sizeof validity);
  hand_buffer(&a, 1, values, sizeof values);
  const void *producer_values = a.buffers[1];
  cy_column *col = NULL;
  OK(import_one("i", &a, &col, &err));
  CHECK(a.release == NULL); /* moved */
  CHECK_EQ_INT(released, 0);
  if (col == NULL) return;
  CHECK(col->type.id == CY_INT32);
  CHECK_EQ_INT(col->length, 10);
  CHECK_EQ_INT(col->null_count, 2);
  CHECK(col->values->data == producer_values); /* zero-copy */
  const int32_t *v = cy_column_data(col);
  for (int64_t i = 0; i < 10; i++) {
    bool valid = i != 2 && i != 4;
    CHECK(cy_column_is_valid(col, i) == valid);
    if (valid) CHECK_EQ_INT(v[i], values[i]);
  }
  cy_column *slice = NULL;
  OK(cy_column_slice(col, 3, 4, &slice, &err)); /* rows 3..6: 40, null, 60, 70 */
  cy_column_release(col);
  CHECK_EQ_INT(released, 0); /* the slice still holds the buffers */
  CHECK_EQ_INT(slice->null_count, 1);
  CHECK(!cy_column_is_valid(slice, 1));
  CHECK_EQ_INT(((const int32_t *)cy_column_data(slice))[3], 70);
  cy_column_release(slice);
  CHECK_EQ_INT(released, 1);

  /* null_count -1 means "not computed": the importer counts. */
  released = 0;
  hand_array(&a, 10, -1, 0, 2, &released);
  hand_buffer(&a, 0, validity, sizeof validity);
  hand_buffer(&a, 1, values, sizeof values);
  OK(import_one("i", &a, &col, &err));
  CHECK_EQ_INT(col->null_count, 2);
  cy_column_release(col);
  CHECK_EQ_INT(released, 1);

  /* No bitmap and null_count -1: all valid. */
  released = 0;
  hand_array(&a, 10, -1, 0, 2, &released);
  hand_buffer(&a, 1, values, sizeof values);
  OK(import_one("i", &a, &col, &err));
  CHECK_EQ_INT(col->null_count, 0);
  CHECK(col->validity == NULL);
  cy_column_release(col);
  CHECK_EQ_INT(released, 1);
}

static void test_import_utf8_nulls(void) {
  cy_error err;
  int released = 0;
  /* ["foo", null, "", "bazz", "é"]: validity rows 1,0,1,1,1 -> 0b00011101 = 0x1D. */
  const uint8_t validity[] = {0x1D};
  const int32_t offsets[] = {0, 3, 3, 3, 7, 9};
  const char data[] = "foobazz\xc3\xa9";
  struct ArrowArray a;
  hand_array(&a, 5, 1, 0, 3, &released);
  hand_buffer(&a, 0, validity, sizeof validity);
  hand_buffer(&a, 1, offsets, sizeof offsets);
  hand_buffer(&a, 2, data, 9);
  cy_column *col = NULL;
  OK(import_one("u", &a, &col, &err));
  if (col == NULL) return;
  CHECK(col->type.id == CY_UTF8);
  CHECK_EQ_INT(col->null_count, 1);
  CHECK_EQ_INT(col->data->size, 9); /* the data buffer ends at the last offset */
  CHECK(str_is(col, 0, "foo"));
  CHECK(!cy_column_is_valid(col, 1));
  CHECK(cy_column_is_valid(col, 2) && str_is(col, 2, ""));
  CHECK(str_is(col, 3, "bazz"));
  CHECK(str_is(col, 4, "\xc3\xa9"));
  CHECK_EQ_INT(released, 0);
  cy_column_release(col);
  CHECK_EQ_INT(released, 1);
}

static void test_import_large_utf8_offset(void) {
  cy_error err;
  int released = 0;
  /* Physical ["x", "hello", "", "world!"]; the array starts at row 1 (offset 1). */
  const int64_t offsets[] = {0, 1, 6, 6, 12};
  const char data[] = "xhelloworld!";
  struct ArrowArray a;
  hand_array(&a, 3, 0, 1, 3, &released);
  hand_buffer(&a, 1, offsets, sizeof offsets);
  hand_buffer(&a, 2, data, 12);
  cy_column *col = NULL;
  OK(import_one("U", &a, &col, &err));
  if (col == NULL) return;
  CHECK(col->type.id == CY_LARGE_UTF8);
  CHECK_EQ_INT(col->length, 3);
  CHECK_EQ_INT(col->offset, 1);
  CHECK_EQ_INT(col->null_count, 0);
  CHECK(str_is(col, 0, "hello"));
  CHECK(str_is(col, 1, ""));
  CHECK(str_is(col, 2, "world!"));
  cy_column_release(col);
  CHECK_EQ_INT(released, 1);
}

static void test_import_bool(void) {
  cy_error err;
  int released = 0;
  /* Physical [T,F,T,T,F,F,T,T, T,F]: bits 1,0,1,1,0,0,1,1 -> 0xCD; 1,0 -> 0x01.
   * Row 5 is null: validity 1,1,1,1,1,0,1,1 -> 0xDF; 1,1 -> 0x03.
   * The array is rows 3..8 (offset 3, length 6): T, F, null, T, T, T; one null. */
  const uint8_t validity[] = {0xDF, 0x03};
  const uint8_t values[] = {0xCD, 0x01};
  struct ArrowArray a;
  hand_array(&a, 6, 1, 3, 2, &released);
  hand_buffer(&a, 0, validity, sizeof validity);
  hand_buffer(&a, 1, values, sizeof values);
  cy_column *col = NULL;
  OK(import_one("b", &a, &col, &err));
  if (col == NULL) return;
  CHECK(col->type.id == CY_BOOL);
  CHECK_EQ_INT(col->null_count, 1);
  const int want[] = {1, 0, -1, 1, 1, 1}; /* -1 = null */
  for (int64_t i = 0; i < 6; i++) {
    CHECK(cy_column_is_valid(col, i) == (want[i] >= 0));
    if (want[i] >= 0) CHECK(cy_column_bool(col, i) == (want[i] == 1));
  }
  cy_column_release(col);
  CHECK_EQ_INT(released, 1);
}

static void test_import_date32(void) {
  cy_error err;
  int released = 0;
  /* 1970-01-01, 2024-01-01 (54 * 365 + 13 leap days = 19723), 1969-12-31. */
  const int32_t days[] = {0, 19723, -1};
  struct ArrowArray a;
  hand_array(&a, 3, 0, 0, 2, &released);
  hand_buffer(&a, 1, days, sizeof days);
  cy_column *col = NULL;
  OK(import_one("tdD", &a, &col, &err));
  if (col == NULL) return;
  CHECK(col->type.id == CY_DATE32);
  const int32_t *v = cy_column_data(col);
  CHECK_EQ_INT(v[0], 0);
  CHECK_EQ_INT(v[1], 19723);
  CHECK_EQ_INT(v[2], -1);
  int64_t y;
  int m, d;
  cy_date_to_ymd(v[1], &y, &m, &d);
  CHECK(y == 2024 && m == 1 && d == 1);
  cy_column_release(col);
  CHECK_EQ_INT(released, 1);
}

static void test_import_timestamp_tz(void) {
  cy_error err;
  int released = 0;
  /* [0, 1700000000000000, null] microseconds; validity 1,1,0 -> 0x03. */
  const uint8_t validity[] = {0x03};
  const int64_t micros[] = {0, 1700000000000000LL, 0};
  struct ArrowArray a;
  hand_array(&a, 3, 1, 0, 2, &released);
  hand_buffer(&a, 0, validity, sizeof validity);
  hand_buffer(&a, 1, micros, sizeof micros);
  cy_column *col = NULL;
  OK(import_one("tsu:America/New_York", &a, &col, &err));
  if (col == NULL) return;
  CHECK(col->type.id == CY_TIMESTAMP);
  CHECK(col->type.unit == CY_MICRO);
  CHECK_EQ_STR(col->type.timezone, "America/New_York");
  const int64_t *v = cy_column_data(col);
  CHECK_EQ_INT(v[0], 0);
  CHECK_EQ_INT(v[1], 1700000000000000LL);
  CHECK(!cy_column_is_valid(col, 2));
  CHECK_EQ_INT(col->null_count, 1);
  cy_column_release(col);
  CHECK_EQ_INT(released, 1);
}

static void test_import_decimal128(void) {
  cy_error err;
  int released = 0;
  /* decimal(10, 2) [123.45, -1.00, null]: unscaled 12345 and -100 as 16-byte little-endian
   * two's complement (low 64 bits, then high 64 bits); validity 1,1,0 -> 0x03. */
  const uint8_t validity[] = {0x03};
  const uint64_t words[] = {12345u, 0u, (uint64_t)-100, UINT64_MAX, 0u, 0u};
  struct ArrowArray a;
  hand_array(&a, 3, 1, 0, 2, &released);
  hand_buffer(&a, 0, validity, sizeof validity);
  hand_buffer(&a, 1, words, sizeof words);
  cy_column *col = NULL;
  OK(import_one("d:10,2", &a, &col, &err));
  if (col == NULL) return;
  CHECK(col->type.id == CY_DECIMAL128 && col->type.precision == 10 && col->type.scale == 2);
  const uint8_t *v = cy_column_data(col);
  uint64_t lo;
  int64_t hi;
  memcpy(&lo, v, 8);
  memcpy(&hi, v + 8, 8);
  CHECK(lo == 12345u && hi == 0);
  memcpy(&lo, v + 16, 8);
  memcpy(&hi, v + 24, 8);
  CHECK((int64_t)lo == -100 && hi == -1);
  CHECK(!cy_column_is_valid(col, 2));
  cy_column_release(col);
  CHECK_EQ_INT(released, 1);
}

/* ---- importing a struct (table) ------------------------------------------------------------ */

/* struct<id: int64, name: utf8, score: float64> of `length` rows from `parent_offset`.
 * Child physical data:
 *   id    offset 0: [100, 101, 102, 103, 104, 105]
 *   name  offset 0: ["a", "bb", null, "dddd", "e"]; validity 1,1,0,1,1 -> 0x1B
 *   score offset 2: [9.0, 9.5 | 1.5, 2.5, 3.5(null), 4.5, 5.5]; null at physical 4:
 *                   validity 1,1,1,1,0,1,1 -> 0x6F
 * So struct row r (r < 5) reads id[r], name[r], score[2 + r]. */
static void make_struct(struct ArrowSchema *s, struct ArrowArray *a, int64_t parent_offset,
                        int64_t length, int *released, int child_released[3]) {
  hand_schema(s, "+s", "");
  hand_schema_child(s, "l", "id");
  hand_schema_child(s, "u", "name");
  hand_schema_child(s, "g", "score");
  hand_array(a, length, 0, parent_offset, 1, released);

  const int64_t ids[] = {100, 101, 102, 103, 104, 105};
  struct ArrowArray *c = hand_child(a);
  hand_array(c, 6, 0, 0, 2, &child_released[0]);
  hand_buffer(c, 1, ids, sizeof ids);

  const uint8_t name_valid[] = {0x1B};
  const int32_t name_offsets[] = {0, 1, 3, 3, 7, 8};
  c = hand_child(a);
  hand_array(c, 5, 1, 0, 3, &child_released[1]);
  hand_buffer(c, 0, name_valid, 1);
  hand_buffer(c, 1, name_offsets, sizeof name_offsets);
  hand_buffer(c, 2, "abbdddde", 8);

  const uint8_t score_valid[] = {0x6F};
  const double scores[] = {9.0, 9.5, 1.5, 2.5, 3.5, 4.5, 5.5};
  c = hand_child(a);
  hand_array(c, 5, 1, 2, 2, &child_released[2]);
  hand_buffer(c, 0, score_valid, 1);
  hand_buffer(c, 1, scores, sizeof scores);
}

static void check_struct_import(int64_t parent_offset, int64_t length) {
  cy_error err;
  int released = 0, child_released[3] = {0, 0, 0};
  struct ArrowSchema s;
  struct ArrowArray a;
  make_struct(&s, &a, parent_offset, length, &released, child_released);
  cy_table *t = NULL;
  OK(cy_table_import_arrow(&s, &a, &t, &err));
  s.release(&s);
  CHECK(a.release == NULL);
  if (t == NULL) return;
  /* The struct's rows at offset 0, by hand from the layout above. */
  const int64_t want_id[] = {100, 101, 102, 103, 104};
  const char *want_name[] = {"a", "bb", NULL, "dddd", "e"};
  const double want_score[] = {1.5, 2.5, -1, 4.5, 5.5}; /* -1 = null */
  CHECK_EQ_INT(t->num_rows, length);
  CHECK_EQ_INT(t->schema.num_fields, 3);
  CHECK_EQ_STR(t->schema.fields[0].name, "id");
  CHECK_EQ_STR(t->schema.fields[1].name, "name");
  CHECK_EQ_STR(t->schema.fields[2].name, "score");
  cy_column *id = t->columns[0], *name = t->columns[1], *score = t->columns[2];
  int64_t name_nulls = 0, score_nulls = 0;
  for (int64_t r = 0; r < length; r++) {
    int64_t k = parent_offset + r;
    CHECK_EQ_INT(((const int64_t *)cy_column_data(id))[r], want_id[k]);
    CHECK(cy_column_is_valid(name, r) == (want_name[k] != NULL));
    if (want_name[k]) CHECK(str_is(name, r, want_name[k]));
    else name_nulls++;
    CHECK(cy_column_is_valid(score, r) == (want_score[k] >= 0));
    if (want_score[k] >= 0) CHECK(((const double *)cy_column_data(score))[r] == want_score[k]);
    else score_nulls++;
  }
  CHECK_EQ_INT(name->null_count, name_nulls);
  CHECK_EQ_INT(score->null_count, score_nulls);
  /* Release only after the last column reference goes, and exactly once. */
  cy_column *keep = cy_column_retain(score);
  cy_table_release(t);
  CHECK_EQ_INT(released, 0);
  CHECK(cy_column_is_valid(keep, 0));
  cy_column_release(keep);
  CHECK_EQ_INT(released, 1);
  for (int i = 0; i < 3; i++) CHECK_EQ_INT(child_released[i], 1);
}

static void test_import_struct(void) {
  check_struct_import(0, 5); /* child-level offset only (score) */
  check_struct_import(1, 4); /* parent-level offset too */
  check_struct_import(3, 2);
}

/* ---- export, inspected against the spec, and round trip ---------------------------------- */

static cy_column *build_column(cy_type type, int kind) {
  cy_error err;
  cy_builder b;
  cy_column *out = NULL;
  OK(cy_builder_init(&b, type, 0, &err));
  static const char *const words[] = {"zero", "one", NULL, "three", "", "five",
                                      "six",  "seven", NULL, "nine"};
  for (int i = 0; i < 10; i++) {
    switch (kind) {
      case 0: /* int32 with nulls at 1 and 4 */
        if (i == 1 || i == 4) OK(cy_builder_append_null(&b, &err));
        else OK(cy_builder_append_int(&b, i + 1, &err));
        break;
      case 1: /* strings with nulls at 2 and 8 */
        if (words[i]) OK(cy_builder_append_bytes(&b, words[i], (int64_t)strlen(words[i]), &err));
        else OK(cy_builder_append_null(&b, &err));
        break;
      case 2: OK(cy_builder_append_int(&b, i % 2 == 0, &err)); break;
      case 3: OK(cy_builder_append_int(&b, (int64_t)i * 1000, &err)); break;
      case 4: /* decimal with a null at 7 */
        if (i == 7) OK(cy_builder_append_null(&b, &err));
        else OK(cy_builder_append_decimal128(&b, (uint64_t)(i * 1001), 0, &err));
        break;
      case 5: {
        char w[8];
        snprintf(w, sizeof w, "r%d", i);
        OK(cy_builder_append_bytes(&b, w, (int64_t)strlen(w), &err));
        break;
      }
      default: OK(cy_builder_append_int(&b, 19723 + i, &err)); break;
    }
  }
  OK(cy_builder_finish(&b, &out, &err));
  return out;
}

/* True when row i of a and row j of b hold the same value (or both are null). */
static bool same_value(const cy_column *a, int64_t i, const cy_column *b, int64_t j) {
  if (cy_column_is_valid(a, i) != cy_column_is_valid(b, j)) return false;
  if (!cy_column_is_valid(a, i)) return true;
  if (cy_type_is_var_width(a->type.id)) {
    int64_t la, lb;
    const uint8_t *pa = cy_column_bytes(a, i, &la), *pb = cy_column_bytes(b, j, &lb);
    return la == lb && memcmp(pa, pb, (size_t)la) == 0;
  }
  if (a->type.id == CY_BOOL) return cy_column_bool(a, i) == cy_column_bool(b, j);
  size_t w = (size_t)cy_type_bit_width(a->type.id) / 8;
  return memcmp((const uint8_t *)cy_column_data(a) + i * (int64_t)w,
                (const uint8_t *)cy_column_data(b) + j * (int64_t)w, w) == 0;
}

static void check_tables_equal(const cy_table *x, const cy_table *y) {
  CHECK(cy_schema_equals(&x->schema, &y->schema));
  CHECK_EQ_INT(x->num_rows, y->num_rows);
  for (int32_t c = 0; c < x->schema.num_fields && c < y->schema.num_fields; c++) {
    CHECK_EQ_INT(x->columns[c]->null_count, y->columns[c]->null_count);
    for (int64_t r = 0; r < x->num_rows && r < y->num_rows; r++)
      CHECK(same_value(x->columns[c], r, y->columns[c], r));
  }
}

static void test_round_trip(void) {
  cy_error err;
  int64_t mem0 = cy_memory_current();
  const char *names[] = {"i32", "s", "flag", "ts", "dec", "big", "day"};
  cy_type types[] = {cy_type_make(CY_INT32),      cy_type_make(CY_UTF8),
                     cy_type_make(CY_BOOL),       cy_type_timestamp(CY_NANO, "UTC"),
                     cy_type_decimal128(12, 3),   cy_type_make(CY_LARGE_UTF8),
                     cy_type_make(CY_DATE32)};
  cy_column *cols[7];
  for (int i = 0; i < 7; i++) cols[i] = build_column(types[i], i);
  cy_table *full = NULL, *t = NULL;
  OK(cy_table_make(7, names, cols, &full, &err));
  for (int i = 0; i < 7; i++) cy_column_release(cols[i]);
  OK(cy_table_slice(full, 2, 7, &t, &err)); /* rows 2..8: every column gets offset 2 */
  cy_table_release(full);

  struct ArrowSchema s;
  struct ArrowArray a;
  OK(cy_table_export_arrow(t, &s, &a, &err));
  /* The schema: a non-nullable struct of nullable fields. */
  const char *formats[] = {"i", "u", "b", "tsn:UTC", "d:12,3", "U", "tdD"};
  CHECK_EQ_STR(s.format, "+s");
  CHECK(s.metadata == NULL && s.dictionary == NULL && s.release != NULL);
  CHECK_EQ_INT(s.n_children, 7);
  for (int i = 0; i < 7 && i < s.n_children; i++) {
    CHECK_EQ_STR(s.children[i]->format, formats[i]);
    CHECK_EQ_STR(s.children[i]->name, names[i]);
    CHECK(s.children[i]->flags == ARROW_FLAG_NULLABLE);
    CHECK(s.children[i]->n_children == 0 && s.children[i]->dictionary == NULL);
  }
  /* The struct array: no validity, one buffer, children carry the slice offset. */
  CHECK_EQ_INT(a.length, 7);
  CHECK_EQ_INT(a.offset, 0);
  CHECK_EQ_INT(a.null_count, 0);
  CHECK_EQ_INT(a.n_buffers, 1);
  CHECK(a.buffers[0] == NULL);
  CHECK_EQ_INT(a.n_children, 7);
  CHECK(a.dictionary == NULL);
  const int64_t want_nulls[] = {1, 2, 0, 0, 1, 0, 0}; /* rows 2..8 of each column */
  const int64_t want_buffers[] = {2, 3, 2, 2, 2, 3, 2};
  for (int i = 0; i < 7; i++) {
    struct ArrowArray *c = a.children[i];
    CHECK_EQ_INT(c->length, 7);
    CHECK_EQ_INT(c->offset, 2);
    CHECK_EQ_INT(c->null_count, want_nulls[i]);
    CHECK_EQ_INT(c->n_buffers, want_buffers[i]);
    CHECK_EQ_INT(c->n_children, 0);
    CHECK(c->release != NULL);
    CHECK((c->buffers[0] == NULL) == (want_nulls[i] == 0));
    CHECK(c->buffers[1] == t->columns[i]->values->data); /* zero-copy */
  }
  /* Buffer contents, read the way any Arrow consumer would: physical slot offset + k. */
  const uint8_t *valid = a.children[0]->buffers[0];
  const int32_t *i32 = a.children[0]->buffers[1];
  for (int k = 0; k < 7; k++) {
    int row = k + 2;
    CHECK(cy_bit_get(valid, row) == (row != 4));
    if (row != 4) CHECK_EQ_INT(i32[row], row + 1);
  }
  const int32_t *so = a.children[1]->buffers[1];
  const char *sd = a.children[1]->buffers[2];
  CHECK(so[3] - so[2] == 0 && !cy_bit_get(a.children[1]->buffers[0], 2)); /* null */
  CHECK(so[4] - so[3] == 5 && memcmp(sd + so[3], "three", 5) == 0);
  CHECK(so[5] == so[4]); /* "" */
  const uint8_t *flags = a.children[2]->buffers[1];
  for (int k = 0; k < 7; k++) CHECK(cy_bit_get(flags, k + 2) == ((k + 2) % 2 == 0));
  CHECK_EQ_INT(((const int64_t *)a.children[3]->buffers[1])[8], 8000);
  uint64_t lo;
  memcpy(&lo, (const uint8_t *)a.children[4]->buffers[1] + 16 * 6, 8);
  CHECK_EQ_INT(lo, 6006);
  CHECK(!cy_bit_get(a.children[4]->buffers[0], 7));
  const int64_t *bo = a.children[5]->buffers[1];
  const char *bd = a.children[5]->buffers[2];
  CHECK(bo[6] - bo[5] == 2 && memcmp(bd + bo[5], "r5", 2) == 0);
  CHECK_EQ_INT(((const int32_t *)a.children[6]->buffers[1])[8], 19731);

  /* Import it back: the same table, zero-copy, and the export's buffers stay alive through
   * the import even after our own table is gone. */
  cy_table *back = NULL;
  OK(cy_table_import_arrow(&s, &a, &back, &err));
  CHECK(a.release == NULL);
  s.release(&s);
  CHECK(s.release == NULL);
  if (back) {
    check_tables_equal(t, back);
    CHECK(back->columns[0]->values->data == t->columns[0]->values->data);
    cy_table *copy = NULL;
    OK(cy_table_slice(t, 0, 7, &copy, &err));
    cy_table_release(t);
    t = NULL;
    check_tables_equal(copy, back); /* reads back's buffers after t is released */
    cy_table_release(copy);
    cy_table_release(back);
  }
  cy_table_release(t);
  CHECK_EQ_INT(cy_memory_current(), mem0);
}

static void test_column_export(void) {
  cy_error err;
  int64_t mem0 = cy_memory_current();
  const int64_t vals[] = {5, 6, 7};
  cy_column *col = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), vals, NULL, 3, &col, &err));
  struct ArrowSchema s;
  struct ArrowArray a;
  OK(cy_column_export_arrow(col, "x", &s, &a, &err));
  cy_column_release(col); /* the export keeps the buffer */
  CHECK_EQ_STR(s.format, "l");
  CHECK_EQ_STR(s.name, "x");
  CHECK(s.flags == ARROW_FLAG_NULLABLE && s.n_children == 0);
  CHECK(a.length == 3 && a.offset == 0 && a.null_count == 0 && a.n_buffers == 2);
  CHECK(a.buffers[0] == NULL);
  CHECK_EQ_INT(((const int64_t *)a.buffers[1])[2], 7);
  /* A consumer moves the struct: bitwise copy, source marked released. */
  struct ArrowArray moved = a;
  a.release = NULL;
  moved.release(&moved);
  CHECK(moved.release == NULL);
  s.release(&s);
  CHECK(s.release == NULL);

  /* Moving a child out of a struct, then releasing the parent (spec "Moving child arrays"):
   * the child stays valid on its own. */
  cy_table *t = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), vals, NULL, 3, &col, &err));
  const char *name = "v";
  OK(cy_table_make(1, &name, &col, &t, &err));
  cy_column_release(col);
  OK(cy_table_export_arrow(t, &s, &a, &err));
  cy_table_release(t);
  struct ArrowArray child = *a.children[0];
  a.children[0]->release = NULL;
  a.release(&a);
  CHECK_EQ_INT(((const int64_t *)child.buffers[1])[1], 6);
  child.release(&child);
  s.release(&s);
  CHECK_EQ_INT(cy_memory_current(), mem0);
}

static void test_schema_round_trip(void) {
  cy_error err;
  const char *names[] = {"a", "t", "d"};
  cy_type types[] = {cy_type_make(CY_INT64), cy_type_timestamp(CY_MILLI, "Asia/Tokyo"),
                     cy_type_decimal128(5, 1)};
  cy_column *cols[3];
  for (int i = 0; i < 3; i++) OK(cy_column_nulls(types[i], 0, &cols[i], &err));
  cy_table *t = NULL;
  OK(cy_table_make(3, names, cols, &t, &err));
  for (int i = 0; i < 3; i++) cy_column_release(cols[i]);
  struct ArrowSchema s;
  OK(cy_schema_export_arrow(&t->schema, &s, &err));
  CHECK_EQ_STR(s.children[1]->format, "tsm:Asia/Tokyo");
  CHECK_EQ_STR(s.children[2]->format, "d:5,1");
  cy_schema back;
  OK(cy_schema_import_arrow(&s, &back, &err));
  CHECK(cy_schema_equals(&back, &t->schema));
  cy_schema_reset(&back);
  s.release(&s);
  cy_table_release(t);

  struct ArrowSchema dup;
  hand_schema(&dup, "+s", "");
  hand_schema_child(&dup, "i", "k");
  hand_schema_child(&dup, "u", "k");
  FAILS(cy_schema_import_arrow(&dup, &back, &err), CY_EINVAL, "duplicate field name 'k'");
  dup.release(&dup);
  hand_schema(&dup, "+s", "");
  hand_schema_child(&dup, "+m", "m");
  FAILS(cy_schema_import_arrow(&dup, &back, &err), CY_ENOTSUP, "field 'm'");
  dup.release(&dup);
}

/* ---- streams ------------------------------------------------------------------------------ */

static void test_stream_export(void) {
  cy_error err;
  int64_t mem0 = cy_memory_current();
  const int64_t keys[] = {0, 1, 2, 3, 4, 5, 6, 7};
  const char *words[] = {"a", "b", NULL, "d", "e", "f", "g", "h"};
  cy_column *cols[2];
  OK(cy_column_from_values(cy_type_make(CY_INT64), keys, NULL, 8, &cols[0], &err));
  OK(cy_column_from_strings(words, 8, &cols[1], &err));
  const char *names[] = {"k", "v"};
  cy_table *t = NULL;
  OK(cy_table_make(2, names, cols, &t, &err));
  cy_column_release(cols[0]);
  cy_column_release(cols[1]);

  struct ArrowArrayStream stream;
  OK(cy_table_export_arrow_stream(t, 3, &stream, &err));
  cy_table_release(t); /* the stream holds its own reference */

  struct ArrowSchema s;
  CHECK_EQ_INT(stream.get_schema(&stream, &s), 0);
  CHECK_EQ_STR(s.format, "+s");
  CHECK_EQ_INT(s.n_children, 2);
  CHECK_EQ_STR(s.children[0]->format, "l");
  CHECK_EQ_STR(s.children[1]->format, "u");
  CHECK_EQ_STR(s.children[1]->name, "v");
  s.release(&s);

  /* Consume per the spec: loop until an error or a released array. */
  const int64_t want_len[] = {3, 3, 2};
  int batches = 0;
  struct ArrowArray chunk;
  int rc;
  while ((rc = stream.get_next(&stream, &chunk)) == 0 && chunk.release != NULL) {
    CHECK(batches < 3);
    if (batches < 3) {
      int64_t start = batches * 3;
      CHECK_EQ_INT(chunk.length, want_len[batches]);
      CHECK_EQ_INT(chunk.n_children, 2);
      CHECK_EQ_INT(chunk.null_count, 0);
      const struct ArrowArray *k = chunk.children[0], *v = chunk.children[1];
      CHECK_EQ_INT(k->offset, start); /* batches are zero-copy slices */
      CHECK_EQ_INT(v->null_count, start == 0 ? 1 : 0);
      for (int64_t i = 0; i < chunk.length; i++) {
        int64_t row = k->offset + i;
        CHECK_EQ_INT(((const int64_t *)k->buffers[1])[row], start + i);
        const int32_t *o = v->buffers[1];
        int64_t vr = v->offset + i;
        if (words[start + i]) {
          CHECK(o[vr + 1] - o[vr] == 1);
          CHECK(((const char *)v->buffers[2])[o[vr]] == words[start + i][0]);
        } else {
          CHECK(!cy_bit_get(v->buffers[0], vr));
        }
      }
    }
    chunk.release(&chunk);
    batches++;
  }
  CHECK_EQ_INT(rc, 0);
  CHECK_EQ_INT(batches, 3);
  CHECK(chunk.release == NULL);
  /* The end is sticky. */
  CHECK_EQ_INT(stream.get_next(&stream, &chunk), 0);
  CHECK(chunk.release == NULL);
  stream.release(&stream);
  CHECK(stream.release == NULL);
  CHECK_EQ_INT(cy_memory_current(), mem0);
}

/* A batch reader that fails, to see errors cross the stream. */
static int failing_reader_releases;

static cy_status failing_schema(cy_batch_reader *self, cy_schema *out, cy_error *err) {
  cy_error_set(err, "schema unavailable");
  return CY_EIO;
}
static cy_status failing_next(cy_batch_reader *self, cy_table **out, cy_error *err) {
  *out = NULL;
  cy_error_set(err, "disk on fire");
  return CY_EIO;
}
static void failing_release(cy_batch_reader *self) {
  failing_reader_releases++;
  self->release = NULL;
}

static void test_stream_export_errors(void) {
  cy_error err;
  cy_batch_reader r = {failing_schema, failing_next, failing_release, NULL};
  struct ArrowArrayStream stream;
  OK(cy_batch_reader_export_arrow(&r, &stream, &err));
  CHECK(r.release == NULL); /* moved */
  struct ArrowSchema s;
  CHECK_EQ_INT(stream.get_schema(&stream, &s), EIO);
  CHECK(strstr(stream.get_last_error(&stream), "schema unavailable") != NULL);
  struct ArrowArray chunk;
  CHECK_EQ_INT(stream.get_next(&stream, &chunk), EIO);
  CHECK(chunk.release == NULL);
  CHECK(strstr(stream.get_last_error(&stream), "disk on fire") != NULL);
  stream.release(&stream);
  CHECK_EQ_INT(failing_reader_releases, 1);
}

/* A hand-written stream producer: two batches of struct<a: int32, b: utf8>, then the end
 * (or an error, when fail is set). */
typedef struct hand_stream {
  int next_batch;
  bool fail;
  bool bad_schema;
  int batch_released[2];
  int stream_released;
} hand_stream;

static int hand_stream_schema(struct ArrowArrayStream *st, struct ArrowSchema *out) {
  hand_stream *h = st->private_data;
  hand_schema(out, "+s", "");
  out->flags = 0;
  hand_schema_child(out, "i", "a");
  hand_schema_child(out, h->bad_schema ? "+l" : "u", "b");
  return 0;
}

static int hand_stream_next(struct ArrowArrayStream *st, struct ArrowArray *out) {
  hand_stream *h = st->private_data;
  if (h->fail) return EIO;
  if (h->next_batch >= 2) {
    out->release = NULL; /* end of stream */
    return 0;
  }
  int n = h->next_batch++;
  /* batch 0: a = [1, 2], b = ["x", "yy"]; batch 1: a = [3, null], b = ["", "zzz"] */
  const int32_t a_vals[2][2] = {{1, 2}, {3, 0}};
  const int32_t b_offs[2][3] = {{0, 1, 3}, {0, 0, 3}};
  const char *b_data[2] = {"xyy", "zzz"};
  const uint8_t a_valid = 0x01; /* batch 1: rows 1,0 */
  hand_array(out, 2, 0, 0, 1, &h->batch_released[n]);
  struct ArrowArray *c = hand_child(out);
  hand_array(c, 2, n == 1 ? 1 : 0, 0, 2, NULL);
  if (n == 1) hand_buffer(c, 0, &a_valid, 1);
  hand_buffer(c, 1, a_vals[n], sizeof a_vals[n]);
  c = hand_child(out);
  hand_array(c, 2, 0, 0, 3, NULL);
  hand_buffer(c, 1, b_offs[n], sizeof b_offs[n]);
  hand_buffer(c, 2, b_data[n], 3);
  return 0;
}

static const char *hand_stream_error(struct ArrowArrayStream *st) {
  hand_stream *h = st->private_data;
  return h->fail ? "disk on fire" : NULL;
}

static void hand_stream_release(struct ArrowArrayStream *st) {
  hand_stream *h = st->private_data;
  h->stream_released++;
  st->release = NULL;
}

static void hand_stream_init(struct ArrowArrayStream *st, hand_stream *h) {
  st->get_schema = hand_stream_schema;
  st->get_next = hand_stream_next;
  st->get_last_error = hand_stream_error;
  st->release = hand_stream_release;
  st->private_data = h;
}

static void test_stream_import(void) {
  cy_error err;
  hand_stream h;
  memset(&h, 0, sizeof h);
  struct ArrowArrayStream st;
  hand_stream_init(&st, &h);
  cy_batch_reader r;
  OK(cy_batch_reader_import_arrow(&st, &r, &err));
  CHECK(st.release == NULL); /* moved */
  cy_schema schema;
  OK(r.get_schema(&r, &schema, &err));
  CHECK_EQ_INT(schema.num_fields, 2);
  CHECK(schema.fields[0].type.id == CY_INT32 && schema.fields[1].type.id == CY_UTF8);
  CHECK_EQ_STR(schema.fields[1].name, "b");
  cy_schema_reset(&schema);

  cy_table *b0 = NULL, *b1 = NULL, *end = NULL;
  OK(r.next(&r, &b0, &err));
  OK(r.next(&r, &b1, &err));
  CHECK_EQ_INT(h.batch_released[0], 0); /* b0 is still alive */
  OK(r.next(&r, &end, &err));
  CHECK(end == NULL);
  if (b0 && b1) {
    CHECK_EQ_INT(b0->num_rows, 2);
    CHECK_EQ_INT(((const int32_t *)cy_column_data(b0->columns[0]))[1], 2);
    CHECK(str_is(b0->columns[1], 0, "x") && str_is(b0->columns[1], 1, "yy"));
    CHECK_EQ_INT(((const int32_t *)cy_column_data(b1->columns[0]))[0], 3);
    CHECK(!cy_column_is_valid(b1->columns[0], 1));
    CHECK_EQ_INT(b1->columns[0]->null_count, 1);
    CHECK(str_is(b1->columns[1], 0, "") && str_is(b1->columns[1], 1, "zzz"));
  }
  r.release(&r);
  CHECK(r.release == NULL);
  CHECK_EQ_INT(h.stream_released, 1);
  CHECK_EQ_INT(h.batch_released[0], 0);
  cy_table_release(b0);
  CHECK_EQ_INT(h.batch_released[0], 1);
  cy_table_release(b1);
  CHECK_EQ_INT(h.batch_released[1], 1);

  /* get_next fails: the producer's message reaches the caller. */
  memset(&h, 0, sizeof h);
  h.fail = true;
  hand_stream_init(&st, &h);
  OK(cy_batch_reader_import_arrow(&st, &r, &err));
  cy_table *t = NULL;
  FAILS(r.next(&r, &t, &err), EIO, "disk on fire");
  r.release(&r);
  CHECK_EQ_INT(h.stream_released, 1);

  /* An unsupported field fails up front, and the stream is still released. */
  memset(&h, 0, sizeof h);
  h.bad_schema = true;
  hand_stream_init(&st, &h);
  FAILS(cy_batch_reader_import_arrow(&st, &r, &err), CY_ENOTSUP, "field 'b': unsupported Arrow format '+l'");
  CHECK_EQ_INT(h.stream_released, 1);
}

/* ---- errors, empty and misaligned arrays -------------------------------------------------- */

/* A valid int32 array [1, 2, 3] to feed to failing imports. */
static void int32_array(struct ArrowArray *a, int *released) {
  const int32_t v[] = {1, 2, 3};
  hand_array(a, 3, 0, 0, 2, released);
  hand_buffer(a, 1, v, sizeof v);
}

static void test_import_errors(void) {
  cy_error err;
  int released = 0;
  struct ArrowArray a;
  struct ArrowSchema s;
  cy_column *col = NULL;
  cy_table *t = NULL;

  int32_array(&a, &released);
  hand_schema(&s, "+l", "lst");
  FAILS(cy_column_import_arrow(&s, &a, &col, &err), CY_ENOTSUP, "field 'lst': unsupported Arrow format '+l'");
  s.release(&s);
  CHECK(a.release == NULL);
  CHECK_EQ_INT(released, 1); /* taken over and released even on failure */

  int32_array(&a, &released);
  FAILS(import_one("n", &a, &col, &err), CY_ENOTSUP, "null type");
  CHECK_EQ_INT(released, 2);

  int32_array(&a, &released);
  FAILS(import_one("d:40,2,256", &a, &col, &err), CY_ENOTSUP, "256");
  CHECK_EQ_INT(released, 3);

  /* Dictionary-encoded: int8 indices with a utf8 dictionary. */
  struct ArrowSchema dict;
  hand_schema(&dict, "u", NULL);
  hand_schema(&s, "c", "city");
  s.dictionary = &dict;
  int32_array(&a, &released);
  FAILS(cy_column_import_arrow(&s, &a, &col, &err), CY_ENOTSUP, "field 'city' (format 'c'): dictionary");
  s.release(&s);
  dict.release(&dict);
  CHECK_EQ_INT(released, 4);

  released = 0;
  int32_array(&a, &released);
  a.length = -3;
  FAILS(import_one("i", &a, &col, &err), CY_EINVAL, "negative length -3");
  CHECK_EQ_INT(released, 1);

  int32_array(&a, &released);
  free(((hand_private *)a.private_data)->bases[1]);
  ((hand_private *)a.private_data)->bases[1] = NULL;
  ((hand_private *)a.private_data)->buffers[1] = NULL;
  FAILS(import_one("i", &a, &col, &err), CY_EINVAL, "field 'col' (format 'i'): values buffer is NULL");
  CHECK_EQ_INT(released, 2);

  int32_array(&a, &released);
  a.null_count = 2;
  FAILS(import_one("i", &a, &col, &err), CY_EINVAL, "no validity bitmap");
  CHECK_EQ_INT(released, 3);

  int32_array(&a, &released);
  FAILS(import_one("u", &a, &col, &err), CY_EINVAL, "expected 3 buffers, got 2");
  CHECK_EQ_INT(released, 4);

  /* Offsets that go backwards at the ends. */
  const int32_t bad_offsets[] = {4, 5, 2};
  hand_array(&a, 2, 0, 0, 3, &released);
  hand_buffer(&a, 1, bad_offsets, sizeof bad_offsets);
  hand_buffer(&a, 2, "abcde", 5);
  FAILS(import_one("u", &a, &col, &err), CY_EINVAL, "offsets run from 4 to 2");
  CHECK_EQ_INT(released, 5);

  const int32_t offsets[] = {0, 2, 5};
  hand_array(&a, 2, 0, 0, 3, &released);
  hand_buffer(&a, 1, offsets, sizeof offsets);
  FAILS(import_one("u", &a, &col, &err), CY_EINVAL, "data buffer is NULL");
  CHECK_EQ_INT(released, 6);

  /* A non-zero offset into offsets that do not start at 0 is fine. */
  released = 0;
  const int32_t offsets2[] = {0, 2, 5};
  hand_array(&a, 1, 0, 1, 3, &released); /* row 1 of offsets: [2, 5) */
  hand_buffer(&a, 1, offsets2, sizeof offsets2);
  hand_buffer(&a, 2, "abcde", 5);
  OK(import_one("u", &a, &col, &err));
  CHECK(col && str_is(col, 0, "cde"));
  cy_column_release(col);
  CHECK_EQ_INT(released, 1);

  /* An already released array. */
  struct ArrowArray dead;
  memset(&dead, 0, sizeof dead);
  FAILS(import_one("i", &dead, &col, &err), CY_EINVAL, "released");

  /* Tables: a non-struct schema. */
  released = 0;
  int32_array(&a, &released);
  hand_schema(&s, "i", "x");
  FAILS(cy_table_import_arrow(&s, &a, &t, &err), CY_EINVAL, "'+s'");
  s.release(&s);
  CHECK_EQ_INT(released, 1);

  /* A struct with an unsupported second child: the first child's column is dropped and the
   * producer released once. */
  int child_released[3] = {0, 0, 0};
  released = 0;
  make_struct(&s, &a, 0, 5, &released, child_released);
  s.children[1]->format = "+L";
  FAILS(cy_table_import_arrow(&s, &a, &t, &err), CY_ENOTSUP, "field 'name': unsupported Arrow format '+L'");
  s.release(&s);
  CHECK_EQ_INT(released, 1);
  CHECK_EQ_INT(child_released[0], 1);

  /* A child shorter than its struct needs. */
  released = 0;
  make_struct(&s, &a, 1, 5, &released, child_released); /* rows 1..5 need 6, name has 5 */
  FAILS(cy_table_import_arrow(&s, &a, &t, &err), CY_EINVAL, "field 'name' (format 'u'): child array has 5 rows");
  s.release(&s);
  CHECK_EQ_INT(released, 1);

  /* Null rows at the struct level cannot become a table. */
  released = 0;
  make_struct(&s, &a, 0, 4, &released, child_released);
  const uint8_t struct_valid = 0x0D; /* rows 1,0,1,1 */
  hand_buffer(&a, 0, &struct_valid, 1);
  a.null_count = -1;
  FAILS(cy_table_import_arrow(&s, &a, &t, &err), CY_ENOTSUP, "1 null rows");
  s.release(&s);
  CHECK_EQ_INT(released, 1);

  /* Fewer array children than schema fields. */
  released = 0;
  make_struct(&s, &a, 0, 4, &released, child_released);
  a.n_children = 2;
  hand_private *p = a.private_data;
  p->children[2]->release(p->children[2]); /* the producer would not have made it */
  free(p->children[2]);
  FAILS(cy_table_import_arrow(&s, &a, &t, &err), CY_EINVAL, "schema has 3 fields but the array 2");
  s.release(&s);
  CHECK_EQ_INT(released, 1);
}

static void test_empty_and_misaligned(void) {
  cy_error err;
  int released = 0;
  /* An empty utf8 array whose producer left every buffer out. */
  struct ArrowArray a;
  hand_array(&a, 0, 0, 0, 3, &released);
  cy_column *col = NULL;
  OK(import_one("u", &a, &col, &err));
  CHECK(col && col->length == 0 && col->values && col->data);
  cy_column_release(col);
  CHECK_EQ_INT(released, 1);

  /* int64 values one byte past an aligned address: imported by copying. */
  released = 0;
  const int64_t v[] = {-5, 0, 1LL << 40};
  hand_array(&a, 3, 0, 0, 2, &released);
  hand_buffer_at(&a, 1, v, sizeof v, 1);
  OK(import_one("l", &a, &col, &err));
  CHECK_EQ_INT(released, 1); /* nothing of the producer's is kept */
  if (col) {
    CHECK((uintptr_t)col->values->data % 8 == 0);
    const int64_t *got = cy_column_data(col);
    CHECK(got[0] == -5 && got[1] == 0 && got[2] == (1LL << 40));
  }
  cy_column_release(col);

  /* A struct with no children still has rows. */
  released = 0;
  struct ArrowSchema s;
  hand_schema(&s, "+s", "");
  hand_array(&a, 5, 0, 0, 1, &released);
  cy_table *t = NULL;
  OK(cy_table_import_arrow(&s, &a, &t, &err));
  s.release(&s);
  CHECK(t && t->num_rows == 5 && t->schema.num_fields == 0);
  cy_table_release(t);
  CHECK_EQ_INT(released, 1);
}

int main(void) {
  test_format_strings();
  test_import_int32_nulls();
  test_import_utf8_nulls();
  test_import_large_utf8_offset();
  test_import_bool();
  test_import_date32();
  test_import_timestamp_tz();
  test_import_decimal128();
  test_import_struct();
  test_round_trip();
  test_column_export();
  test_schema_round_trip();
  test_stream_export();
  test_stream_export_errors();
  test_stream_import();
  test_import_errors();
  test_empty_and_misaligned();
  TEST_MAIN_END();
}
