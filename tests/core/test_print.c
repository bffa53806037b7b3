/*
 * test_print.c - cy_table_print: the box, alignment, NULL, unicode widths, escaping, and
 * elision of rows and columns. Every expected picture is drawn by hand.
 */
#include "test.h"

/* Print table into a string (caller frees). */
static char *print_to_string(const cy_table *t, const cy_print_options *opts) {
  cy_error err;
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  if (f == NULL) return NULL;
  OK(cy_table_print(t, opts, f, &err));
  fclose(f);
  return text;
}

static void check_picture(const cy_table *t, const cy_print_options *opts, const char *want) {
  char *got = print_to_string(t, opts);
  CHECK(got != NULL);
  if (got && strcmp(got, want) != 0) {
    fprintf(stderr, "got:\n%s\nwanted:\n%s\n", got, want);
    test_failures++;
  }
  free(got);
}

static cy_table *int_table(int32_t ncols, const char *const *names, int64_t rows) {
  cy_error err;
  cy_column *cols[8];
  int64_t *v = malloc((size_t)(rows > 0 ? rows : 1) * sizeof(int64_t));
  cy_table *t = NULL;
  for (int32_t c = 0; c < ncols; c++) {
    for (int64_t i = 0; i < rows; i++) v[i] = i + c + 1;
    OK(cy_column_from_values(cy_type_make(CY_INT64), v, NULL, rows, &cols[c], &err));
  }
  OK(cy_table_make(ncols, names, cols, &t, &err));
  for (int32_t c = 0; c < ncols; c++) cy_column_release(cols[c]);
  free(v);
  return t;
}

static void test_basic(void) {
  cy_error err;
  cy_column *cols[2];
  int64_t k[] = {1, 22, 0};
  uint8_t valid[] = {1, 1, 0};
  const char *v[] = {"one", "héllo", NULL};
  OK(cy_column_from_values(cy_type_make(CY_INT64), k, valid, 3, &cols[0], &err));
  OK(cy_column_from_strings(v, 3, &cols[1], &err));
  const char *names[] = {"k", "v"};
  cy_table *t = NULL;
  OK(cy_table_make(2, names, cols, &t, &err));
  check_picture(t, NULL,
                "┌───────┬───────┐\n"
                "│   k   │   v   │\n"
                "│ int64 │ utf8  │\n"
                "├───────┼───────┤\n"
                "│     1 │ one   │\n"
                "│    22 │ héllo │\n"
                "│  NULL │ NULL  │\n"
                "└───────┴───────┘\n"
                "3 rows  2 columns\n");
  cy_table_release(t);
  cy_column_release(cols[0]);
  cy_column_release(cols[1]);
}

static void test_row_elision(void) {
  const char *names[] = {"i"};
  cy_table *t = int_table(1, names, 10); /* 1..10 */
  cy_print_options o;
  cy_print_options_init(&o);
  o.max_rows = 4;
  check_picture(t, &o,
                "┌───────┐\n"
                "│   i   │\n"
                "│ int64 │\n"
                "├───────┤\n"
                "│     1 │\n"
                "│     2 │\n"
                "│   ·   │\n"
                "│     9 │\n"
                "│    10 │\n"
                "└───────┘\n"
                "10 rows (4 shown)  1 column\n");
  o.max_rows = 3; /* odd: the extra row goes to the top */
  check_picture(t, &o,
                "┌───────┐\n"
                "│   i   │\n"
                "│ int64 │\n"
                "├───────┤\n"
                "│     1 │\n"
                "│     2 │\n"
                "│   ·   │\n"
                "│    10 │\n"
                "└───────┘\n"
                "10 rows (3 shown)  1 column\n");
  o.max_rows = 10; /* exactly fits: nothing elided */
  char *all = print_to_string(t, &o);
  CHECK(all && strstr(all, "·") == NULL && strstr(all, "10 rows  1 column\n") != NULL);
  free(all);
  o.max_rows = -1; /* negative: every row */
  all = print_to_string(t, &o);
  CHECK(all && strstr(all, "│    10 │") != NULL && strstr(all, "·") == NULL);
  free(all);
  cy_table_release(t);

  t = int_table(1, names, 0);
  check_picture(t, NULL,
                "┌───────┐\n"
                "│   i   │\n"
                "│ int64 │\n"
                "├───────┤\n"
                "└───────┘\n"
                "0 rows  1 column\n");
  cy_table_release(t);
}

static void test_cut_escape_and_wide(void) {
  cy_error err;
  cy_column *col;
  const char *s[] = {"a\tb\nc", "日本語テキスト", "abcdefghijklmnop", "x\x01y\xff"};
  OK(cy_column_from_strings(s, 4, &col, &err));
  const char *names[] = {"s"};
  cy_table *t = NULL;
  OK(cy_table_make(1, names, &col, &t, &err));
  cy_print_options o;
  cy_print_options_init(&o);
  o.max_col_width = 8;
  /* 日本語テキスト is 14 columns wide: 日本語 (6) and … fit in 8. Control characters and
   * the byte 0xFF (not UTF-8) are escaped. */
  check_picture(t, &o,
                "┌──────────┐\n"
                "│    s     │\n"
                "│   utf8   │\n"
                "├──────────┤\n"
                "│ a\\tb\\nc  │\n"
                "│ 日本語…  │\n"
                "│ abcdefg… │\n"
                "│ x\\x01y…  │\n"
                "└──────────┘\n"
                "4 rows  1 column\n");
  cy_table_release(t);
  cy_column_release(col);
}

static void test_column_elision(void) {
  const char *names[] = {"a", "b", "c", "d", "e"};
  cy_table *t = int_table(5, names, 1);
  cy_print_options o;
  cy_print_options_init(&o);
  o.max_width = 30; /* all five need 41 columns; a, b and e fit around the … column */
  check_picture(t, &o,
                "┌───────┬───────┬───┬───────┐\n"
                "│   a   │   b   │ … │   e   │\n"
                "│ int64 │ int64 │ … │ int64 │\n"
                "├───────┼───────┼───┼───────┤\n"
                "│     1 │     2 │ … │     5 │\n"
                "└───────┴───────┴───┴───────┘\n"
                "1 row  5 columns (3 shown)\n");
  o.max_width = 41;
  char *all = print_to_string(t, &o);
  CHECK(all && strstr(all, "…") == NULL && strstr(all, "1 row  5 columns\n") != NULL);
  free(all);
  cy_table_release(t);
}

/* Mixed types: numbers right, the rest left; long names are cut too. */
static void test_types(void) {
  cy_error err;
  cy_column *cols[4];
  double d[] = {0.5, -1e300};
  uint8_t flags[] = {1, 0};
  int32_t days[] = {0, 11016};
  OK(cy_column_from_values(cy_type_make(CY_FLOAT64), d, NULL, 2, &cols[0], &err));
  OK(cy_column_from_values(cy_type_make(CY_BOOL), flags, NULL, 2, &cols[1], &err));
  OK(cy_column_from_values(cy_type_make(CY_DATE32), days, NULL, 2, &cols[2], &err));
  OK(cy_column_nulls(cy_type_make(CY_UTF8), 2, &cols[3], &err));
  const char *names[] = {"x", "flag", "day", "a_rather_long_name"};
  cy_table *t = NULL;
  OK(cy_table_make(4, names, cols, &t, &err));
  cy_print_options o;
  cy_print_options_init(&o);
  o.max_col_width = 10;
  check_picture(t, &o,
                "┌─────────┬───────┬────────────┬────────────┐\n"
                "│    x    │ flag  │    day     │ a_rather_… │\n"
                "│ float64 │ bool  │   date32   │    utf8    │\n"
                "├─────────┼───────┼────────────┼────────────┤\n"
                "│     0.5 │ true  │ 1970-01-01 │ NULL       │\n"
                "│ -1e+300 │ false │ 2000-02-29 │ NULL       │\n"
                "└─────────┴───────┴────────────┴────────────┘\n"
                "2 rows  4 columns\n");
  cy_table_release(t);
  for (int i = 0; i < 4; i++) cy_column_release(cols[i]);
}

/* C1 control codes are valid UTF-8 but would drive the terminal: escaped byte by byte. */
static void test_c1_controls(void) {
  cy_error err;
  cy_column *col;
  const char *s[] = {"a\xc2\x9b" "b", "\x7f"};
  OK(cy_column_from_strings(s, 2, &col, &err));
  const char *names[] = {"s"};
  cy_table *t = NULL;
  OK(cy_table_make(1, names, &col, &t, &err));
  check_picture(t, NULL,
                "┌────────────┐\n"
                "│     s      │\n"
                "│    utf8    │\n"
                "├────────────┤\n"
                "│ a\\xC2\\x9Bb │\n"
                "│ \\x7F       │\n"
                "└────────────┘\n"
                "2 rows  1 column\n");
  cy_table_release(t);
  cy_column_release(col);
}

int main(void) {
  test_basic();
  test_c1_controls();
  test_row_elision();
  test_cut_escape_and_wide();
  test_column_elision();
  test_types();
  TEST_MAIN_END();
}
