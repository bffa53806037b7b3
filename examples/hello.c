/*
 * hello.c - the README's C example: build a table from C arrays, write it as CSV, read it
 * back (types inferred), print it, and hand it to any Arrow consumer without copying.
 *
 *   cc -Iinclude examples/hello.c build/libcylon.a -lpthread -lm -o hello && ./hello
 */
#include <stdio.h>

#include "cylon/cylon.h"

int main(void) {
  cy_error err;
  int64_t ids[] = {1, 2, 3, 4};
  double prices[] = {9.5, 12.25, 3.0, 7.75};
  uint8_t valid[] = {1, 1, 0, 1}; /* the third price is null */
  const char *names[] = {"apple", "pear", NULL, "fig"};

  cy_column *cols[3];
  cy_table *table = NULL, *again = NULL;
  if (cy_column_from_values(cy_type_make(CY_INT64), ids, NULL, 4, &cols[0], &err) ||
      cy_column_from_values(cy_type_make(CY_FLOAT64), prices, valid, 4, &cols[1], &err) ||
      cy_column_from_strings(names, 4, &cols[2], &err)) {
    fprintf(stderr, "%s\n", err.message);
    return 1;
  }
  const char *column_names[] = {"id", "price", "fruit"};
  cy_status st = cy_table_make(3, column_names, cols, &table, &err);
  for (int i = 0; i < 3; i++) cy_column_release(cols[i]); /* the table holds them now */

  cy_csv_write_options w;
  cy_csv_write_options_init(&w);
  if (st == CY_OK) st = cy_csv_write(table, "hello.csv", &w, &err);
  if (st == CY_OK) st = cy_csv_read("hello.csv", NULL, &again, &err);
  if (st == CY_OK) st = cy_table_print(again, NULL, stdout, &err);

  struct ArrowSchema schema;
  struct ArrowArray array;
  if (st == CY_OK) st = cy_table_export_arrow(again, &schema, &array, &err);
  if (st == CY_OK) {
    printf("exported as Arrow: format %s, %lld rows, %lld columns\n", schema.format,
           (long long)array.length, (long long)array.n_children);
    array.release(&array); /* a consumer calls these when done */
    schema.release(&schema);
  }
  if (st != CY_OK) fprintf(stderr, "error: %s\n", err.message);
  cy_table_release(table);
  cy_table_release(again);
  remove("hello.csv");
  return st == CY_OK ? 0 : 1;
}
