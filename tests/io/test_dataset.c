/*
 * test_dataset.c - cy_dataset_read's shares: for P = 1..4 readers, rank r's share is
 * exactly the rows expected by hand (a directory of parts: the parts [r*n/P, (r+1)*n/P) in
 * name order; Parquet with fewer files than readers: the row groups [r*g/P, (r+1)*g/P) of
 * all files in order), so that the ranks together read every row exactly once, in order.
 *
 * Every table's key column k holds the row's number in the whole dataset (0, 1, 2, ...)
 * and s holds "r" followed by it, so a share is checked row by row against the numbers it
 * must hold. Cases: directories of CSV, Parquet and Arrow IPC parts (with _SUCCESS and
 * .crc files that must be skipped), one Parquet file of 11 row groups, three Parquet files
 * of several row groups read by 4 ranks, more ranks than row groups (empty shares with the
 * dataset's schema), and errors (a rank outside [0, P), parts with different schemas, by
 * file and by row group, a directory with no data files).
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static char temp_dir[64];

/* Rows [first, first + n): k = row number, s = "r<k>". */
static cy_table *rows_table(int64_t first, int64_t n) {
  cy_error err;
  int64_t *k = malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
  char **s = malloc((size_t)(n > 0 ? n : 1) * sizeof(char *));
  for (int64_t i = 0; i < n; i++) {
    k[i] = first + i;
    s[i] = malloc(32);
    snprintf(s[i], 32, "r%lld", (long long)(first + i));
  }
  cy_column *cols[2] = {NULL, NULL};
  cy_table *t = NULL;
  OK(cy_column_from_values(cy_type_make(CY_INT64), k, NULL, n, &cols[0], &err));
  OK(cy_column_from_strings((const char *const *)s, n, &cols[1], &err));
  const char *names[] = {"k", "s"};
  OK(cy_table_make(2, names, cols, &t, &err));
  for (int64_t i = 0; i < n; i++) free(s[i]);
  free(s);
  free(k);
  cy_column_release(cols[0]);
  cy_column_release(cols[1]);
  return t;
}

static void write_part(const char *path, int64_t first, int64_t n, int64_t row_group_rows) {
  cy_error err;
  cy_table *t = rows_table(first, n);
  cy_table_write_options o;
  cy_table_write_options_init(&o);
  if (row_group_rows) o.parquet.row_group_rows = row_group_rows;
  OK(cy_table_write_file(t, path, &o, &err));
  cy_table_release(t);
}

static void touch(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

/* rank's share must be the rows [lo, hi) of the dataset, in order. */
static void check_share(const cy_table *t, int64_t lo, int64_t hi, const char *what, int rank,
                        int world) {
  if (!t) return;
  char label[160];
  snprintf(label, sizeof label, "%s, rank %d of %d", what, rank, world);
  if (t->num_rows != hi - lo || t->schema.num_fields != 2) {
    fprintf(stderr, "%s: %lld rows and %d columns, expected %lld rows [%lld, %lld) and 2\n",
            label, (long long)t->num_rows, (int)t->schema.num_fields, (long long)(hi - lo),
            (long long)lo, (long long)hi);
    test_failures++;
    return;
  }
  CHECK_EQ_STR(t->schema.fields[0].name, "k");
  CHECK_EQ_STR(t->schema.fields[1].name, "s");
  CHECK_EQ_INT(t->schema.fields[0].type.id, CY_INT64);
  CHECK(t->schema.fields[1].type.id == CY_UTF8 || t->schema.fields[1].type.id == CY_LARGE_UTF8);
  if (t->schema.fields[0].type.id != CY_INT64) return;
  const int64_t *k = (const int64_t *)cy_column_data(t->columns[0]);
  int64_t wrong = 0;
  for (int64_t i = 0; i < t->num_rows; i++) {
    char want[32];
    snprintf(want, sizeof want, "r%lld", (long long)(lo + i));
    int64_t len = 0;
    const uint8_t *got = cy_column_bytes(t->columns[1], i, &len);
    bool ok = k[i] == lo + i && cy_column_is_valid(t->columns[0], i) &&
              len == (int64_t)strlen(want) && memcmp(got, want, (size_t)len) == 0;
    if (!ok && wrong++ == 0)
      fprintf(stderr, "%s: row %lld has k = %lld, expected %lld\n", label, (long long)i,
              (long long)k[i], (long long)(lo + i));
  }
  CHECK_EQ_INT(wrong, 0);
}

/* Read url with P = 1..4 readers; unit u holds rows [bounds[u], bounds[u + 1]) and rank r
 * of P must get the units [r*units/P, (r+1)*units/P). Also checks that the shares cover
 * every row once: each share starts where the one before it ended, and the last ends at
 * the total. */
static void check_dataset(const char *url, const int64_t *bounds, int units, const char *what) {
  cy_error err;
  for (int world = 1; world <= 4; world++) {
    int64_t next = 0;
    for (int rank = 0; rank < world; rank++) {
      int lo = rank * units / world, hi = (rank + 1) * units / world;
      cy_table *t = NULL;
      OK(cy_dataset_read(url, NULL, rank, world, &t, &err));
      CHECK_EQ_INT(bounds[lo], next);
      check_share(t, bounds[lo], bounds[hi], what, rank, world);
      if (t) next += t->num_rows;
      cy_table_release(t);
    }
    CHECK_EQ_INT(next, bounds[units]);
  }
}

/* A directory of 5 parts of different sizes in format ext, with files to skip. */
static void test_directory(const char *ext) {
  static const int64_t sizes[] = {700, 0, 1300, 1, 2000};
  char dir[128], path[192];
  snprintf(dir, sizeof dir, "%s/dir_%s", temp_dir, ext);
  CHECK(mkdir(dir, 0755) == 0);
  int64_t bounds[6] = {0};
  for (int i = 0; i < 5; i++) {
    snprintf(path, sizeof path, "%s/part-%05d.%s", dir, i, ext);
    write_part(path, bounds[i], sizes[i], 0);
    bounds[i + 1] = bounds[i] + sizes[i];
  }
  snprintf(path, sizeof path, "%s/_SUCCESS", dir);
  touch(path, "");
  snprintf(path, sizeof path, "%s/.part-00000.%s.crc", dir, ext);
  touch(path, "not data");
  char what[64];
  snprintf(what, sizeof what, "directory of 5 .%s parts", ext);
  check_dataset(dir, bounds, 5, what);
}

/* One Parquet file of 11 row groups (10 of 1000 rows, one of 500): split by row group. */
static void test_one_parquet_file(void) {
  char path[192];
  snprintf(path, sizeof path, "%s/big.parquet", temp_dir);
  write_part(path, 0, 10500, 1000);
  int64_t bounds[12];
  for (int g = 0; g <= 11; g++) bounds[g] = g < 11 ? g * 1000 : 10500;
  cy_parquet_info info;
  cy_error err;
  memset(&info, 0, sizeof info);
  OK(cy_parquet_read_info(path, &info, &err));
  CHECK_EQ_INT(info.num_row_groups, 11);
  cy_parquet_info_reset(&info);
  check_dataset(path, bounds, 11, "one Parquet file of 11 row groups");
  /* 4 readers and 2 row groups: two ranks get empty tables with the schema. */
  snprintf(path, sizeof path, "%s/two_groups.parquet", temp_dir);
  write_part(path, 0, 150, 100);
  int64_t two[3] = {0, 100, 150};
  check_dataset(path, two, 2, "one Parquet file of 2 row groups");
}

/* Three Parquet files (3 + 2 + 4 row groups) read by 4 ranks: fewer files than ranks, so
 * the units are the 9 row groups of all three. With fewer ranks than files: by file. */
static void test_parquet_row_groups_across_files(void) {
  char dir[128], path[192];
  snprintf(dir, sizeof dir, "%s/pq_groups", temp_dir);
  CHECK(mkdir(dir, 0755) == 0);
  static const int64_t rows[] = {250, 200, 310}, group = 100;
  int64_t bounds[10], files[4] = {0};
  int u = 0;
  for (int f = 0; f < 3; f++) {
    snprintf(path, sizeof path, "%s/p%d.parquet", dir, f);
    write_part(path, files[f], rows[f], group);
    files[f + 1] = files[f] + rows[f];
    for (int64_t r = 0; r < rows[f]; r += group) bounds[u++] = files[f] + r;
  }
  bounds[u] = files[3];
  CHECK_EQ_INT(u, 9);
  cy_error err;
  int64_t next = 0;
  for (int rank = 0; rank < 4; rank++) {
    cy_table *t = NULL;
    OK(cy_dataset_read(dir, NULL, rank, 4, &t, &err));
    int lo = rank * 9 / 4, hi = (rank + 1) * 9 / 4;
    CHECK_EQ_INT(bounds[lo], next);
    check_share(t, bounds[lo], bounds[hi], "3 Parquet files by row group", rank, 4);
    if (t) next += t->num_rows;
    cy_table_release(t);
  }
  CHECK_EQ_INT(next, files[3]);
  for (int world = 1; world <= 3; world++) {
    for (int rank = 0; rank < world; rank++) {
      cy_table *t = NULL;
      OK(cy_dataset_read(dir, NULL, rank, world, &t, &err));
      check_share(t, files[rank * 3 / world], files[(rank + 1) * 3 / world],
                  "3 Parquet files by file", rank, world);
      cy_table_release(t);
    }
  }
}

static void test_errors(void) {
  cy_error err;
  char dir[128], path[192];
  cy_table *t = NULL;
  snprintf(path, sizeof path, "%s/big.parquet", temp_dir);
  FAILS(cy_dataset_read(path, NULL, 4, 4, &t, &err), CY_EINVAL, "rank 4 of 4");
  FAILS(cy_dataset_read(path, NULL, -1, 2, &t, &err), CY_EINVAL, "rank -1 of 2");
  FAILS(cy_dataset_read(path, NULL, 0, 0, &t, &err), CY_EINVAL, "rank 0 of 0");
  CHECK(t == NULL);
  /* Parts with different schemas: the message names both files. */
  snprintf(dir, sizeof dir, "%s/mixed_schema", temp_dir);
  CHECK(mkdir(dir, 0755) == 0);
  snprintf(path, sizeof path, "%s/a.csv", dir);
  write_part(path, 0, 10, 0);
  snprintf(path, sizeof path, "%s/b.csv", dir);
  touch(path, "k,other\n1,2\n");
  /* CSV parts are read with the first part's types: b.csv lacks column s. */
  CHECK(cy_dataset_read(dir, NULL, 0, 1, &t, &err) != CY_OK);
  CHECK(strstr(err.message, "b.csv") != NULL && strstr(err.message, "'s'") != NULL);
  CHECK(t == NULL);
  /* Parquet parts: the footers differ; both files and both schemas are named. */
  snprintf(dir, sizeof dir, "%s/mixed_parquet", temp_dir);
  CHECK(mkdir(dir, 0755) == 0);
  snprintf(path, sizeof path, "%s/a.parquet", dir);
  write_part(path, 0, 10, 0);
  cy_table *other = rows_table(10, 10), *renamed = NULL;
  const char *names[] = {"k", "other"};
  OK(cy_table_make(2, names, other->columns, &renamed, &err));
  snprintf(path, sizeof path, "%s/b.parquet", dir);
  if (renamed) OK(cy_table_write_file(renamed, path, NULL, &err));
  cy_table_release(renamed);
  cy_table_release(other);
  for (int world = 1; world <= 4; world += 3) {
    FAILS(cy_dataset_read(dir, NULL, 0, world, &t, &err), CY_EINVAL, "different schemas");
    CHECK(strstr(err.message, "a.parquet") != NULL && strstr(err.message, "b.parquet") != NULL);
    CHECK(t == NULL);
  }
  snprintf(dir, sizeof dir, "%s/empty_dir", temp_dir);
  CHECK(mkdir(dir, 0755) == 0);
  FAILS(cy_dataset_read(dir, NULL, 0, 1, &t, &err), CY_ENOENT, "no data files");
}

int main(void) {
  snprintf(temp_dir, sizeof temp_dir, "/tmp/cylon_dataset_XXXXXX");
  if (mkdtemp(temp_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_directory("csv");
  test_directory("parquet");
  test_directory("arrow");
  test_one_parquet_file();
  test_parquet_row_groups_across_files();
  test_errors();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", temp_dir);
  CHECK(system(cmd) == 0);
  TEST_MAIN_END();
}
