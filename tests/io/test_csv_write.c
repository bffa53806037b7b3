/*
 * test_csv_write.c - the CSV writer: exact bytes for quoting, empty versus null, every
 * type and the options; failures that must name the path and leave no file; and a large
 * table written on several threads equal byte for byte to the single-threaded output.
 */
#include <dirent.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static char temp_dir[256];

/* Write t with opts into a string (caller frees). */
static char *csv_string(const cy_table *t, const cy_csv_write_options *opts) {
  cy_error err;
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  if (f == NULL) return NULL;
  OK(cy_csv_write_stream(t, f, opts, &err));
  fclose(f);
  return text;
}

static void check_csv(const cy_table *t, const cy_csv_write_options *opts, const char *want) {
  char *got = csv_string(t, opts);
  CHECK(got != NULL);
  if (got && strcmp(got, want) != 0) {
    fprintf(stderr, "got:\n[%s]\nwanted:\n[%s]\n", got, want);
    test_failures++;
  }
  free(got);
}

static char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *data = malloc((size_t)n + 1);
  if (data && fread(data, 1, (size_t)n, f) != (size_t)n) n = 0;
  if (data) data[n] = 0;
  fclose(f);
  *size = (size_t)n;
  return data;
}

/* Files in temp_dir other than . and .. */
static int count_files(void) {
  DIR *d = opendir(temp_dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  if (d) closedir(d);
  return n;
}

static void test_quoting(void) {
  cy_error err;
  cy_column *cols[3];
  int64_t ids[] = {1, 2, 3, 4, 5, 6, 7};
  const char *a[] = {"a,b", "a\"b", " lead", "trail ", "", NULL, "line\nbreak"};
  const char *b[] = {"plain", "#hash", "NULL", "null", "tab\tx", "cr\r", "\"\""};
  OK(cy_column_from_values(cy_type_make(CY_INT64), ids, NULL, 7, &cols[0], &err));
  OK(cy_column_from_strings(a, 7, &cols[1], &err));
  OK(cy_column_from_strings(b, 7, &cols[2], &err));
  const char *names[] = {"id", "my col", "x,y"};
  cy_table *t = NULL;
  OK(cy_table_make(3, names, cols, &t, &err));
  /* Quoted only with the delimiter, a quote, CR or LF inside, or when the text equals the
   * null marker: so "" is the empty string and nothing at all is null. */
  check_csv(t, NULL,
            "id,my col,\"x,y\"\n"
            "1,\"a,b\",plain\n"
            "2,\"a\"\"b\",#hash\n"
            "3, lead,NULL\n"
            "4,trail ,null\n"
            "5,\"\",tab\tx\n"
            "6,,\"cr\r\"\n"
            "7,\"line\nbreak\",\"\"\"\"\"\"\n");

  /* Another delimiter, quote and null marker: now "NA" is what needs quoting, and the
   * empty string does not. */
  cy_csv_write_options o;
  cy_csv_write_options_init(&o);
  o.delimiter = ';';
  o.quote = '\'';
  o.null_value = "NA";
  o.header = false;
  const char *c[] = {"NA", "a;b", "", NULL, "it's", "a,b\"c", "x"};
  cy_column *cc[2] = {cols[0], NULL};
  OK(cy_column_from_strings(c, 7, &cc[1], &err));
  const char *names2[] = {"id", "s"};
  cy_table *t2 = NULL;
  OK(cy_table_make(2, names2, cc, &t2, &err));
  check_csv(t2, &o,
            "1;'NA'\n"
            "2;'a;b'\n"
            "3;\n"
            "4;NA\n"
            "5;'it''s'\n"
            "6;a,b\"c\n"
            "7;x\n");
  cy_table_release(t2);
  cy_column_release(cc[1]);
  cy_table_release(t);
  for (int i = 0; i < 3; i++) cy_column_release(cols[i]);
}

/* Numbers need quotes only when the delimiter or null marker could be spelt by them. */
static void test_careful_numbers(void) {
  cy_error err;
  cy_column *cols[2];
  double d[] = {1.5, NAN, 2.0};
  int64_t i[] = {10, 20, 30};
  uint8_t valid[] = {1, 1, 0};
  OK(cy_column_from_values(cy_type_make(CY_FLOAT64), d, valid, 3, &cols[0], &err));
  OK(cy_column_from_values(cy_type_make(CY_INT64), i, NULL, 3, &cols[1], &err));
  const char *names[] = {"d", "i"};
  cy_table *t = NULL;
  OK(cy_table_make(2, names, cols, &t, &err));
  cy_csv_write_options o;
  cy_csv_write_options_init(&o);
  o.null_value = "nan"; /* a float's own text: the NaN value must be quoted */
  check_csv(t, &o, "d,i\n1.5,10\n\"nan\",20\nnan,30\n");
  o.null_value = "";
  o.delimiter = '.';
  check_csv(t, &o, "d.i\n\"1.5\".10\nnan.20\n.30\n");
  o.delimiter = '0'; /* silly, but still readable back */
  check_csv(t, &o, "d0i\n1.50\"10\"\nnan0\"20\"\n0\"30\"\n");
  cy_table_release(t);
  cy_column_release(cols[0]);
  cy_column_release(cols[1]);
}

static cy_column *fixed(cy_type type, const void *values, int64_t n) {
  cy_error err;
  cy_column *c = NULL;
  uint8_t valid[] = {1, 0, 1};
  OK(cy_column_from_values(type, values, valid, n, &c, &err));
  return c;
}

/* One column of every type: row 0 extreme values, row 1 nulls, row 2 more values. */
static void test_all_types(void) {
  cy_error err;
  uint8_t b[] = {1, 0, 0};
  int8_t i8[] = {-128, 0, 127};
  int16_t i16[] = {-32768, 0, 32767};
  int32_t i32[] = {INT32_MIN, 0, INT32_MAX};
  int64_t i64[] = {INT64_MIN, 0, INT64_MAX};
  uint8_t u8[] = {255, 0, 0};
  uint16_t u16[] = {65535, 0, 1};
  uint32_t u32[] = {4294967295u, 0, 2};
  uint64_t u64[] = {UINT64_MAX, 0, 3};
  float f32[] = {0.1f, 0, -INFINITY};
  double f64[] = {1e300, 0, -0.0};
  int32_t days[] = {11016, 0, -719893};
  int64_t secs[] = {-1, 0, 0};
  int64_t millis[] = {1577840523500, 0, 1577840523120};
  int64_t micros[] = {1577840523123456, 0, -1};
  int64_t nanos[] = {1, 0, 1577840523000000000};
  uint64_t dec[] = {(uint64_t)-5, UINT64_MAX, 0, 0, 12345, 0}; /* -0.05, null, 123.45 */
  cy_column *cols[19];
  int k = 0;
  cols[k++] = fixed(cy_type_make(CY_BOOL), b, 3);
  cols[k++] = fixed(cy_type_make(CY_INT8), i8, 3);
  cols[k++] = fixed(cy_type_make(CY_INT16), i16, 3);
  cols[k++] = fixed(cy_type_make(CY_INT32), i32, 3);
  cols[k++] = fixed(cy_type_make(CY_INT64), i64, 3);
  cols[k++] = fixed(cy_type_make(CY_UINT8), u8, 3);
  cols[k++] = fixed(cy_type_make(CY_UINT16), u16, 3);
  cols[k++] = fixed(cy_type_make(CY_UINT32), u32, 3);
  cols[k++] = fixed(cy_type_make(CY_UINT64), u64, 3);
  cols[k++] = fixed(cy_type_make(CY_FLOAT32), f32, 3);
  cols[k++] = fixed(cy_type_make(CY_FLOAT64), f64, 3);
  cols[k++] = fixed(cy_type_make(CY_DATE32), days, 3);
  cols[k++] = fixed(cy_type_timestamp(CY_SECOND, NULL), secs, 3);
  cols[k++] = fixed(cy_type_timestamp(CY_MILLI, NULL), millis, 3);
  cols[k++] = fixed(cy_type_timestamp(CY_MICRO, "UTC"), micros, 3);
  cols[k++] = fixed(cy_type_timestamp(CY_NANO, NULL), nanos, 3);
  cols[k++] = fixed(cy_type_decimal128(10, 2), dec, 3);
  cy_builder bin;
  OK(cy_builder_init(&bin, cy_type_make(CY_BINARY), 3, &err));
  OK(cy_builder_append_bytes(&bin, "a,\x00", 3, &err));
  OK(cy_builder_append_null(&bin, &err));
  OK(cy_builder_append_bytes(&bin, "", 0, &err));
  OK(cy_builder_finish(&bin, &cols[k++], &err));
  cy_builder_reset(&bin);
  cy_builder big;
  OK(cy_builder_init(&big, cy_type_make(CY_LARGE_UTF8), 3, &err));
  OK(cy_builder_append_bytes(&big, "big", 3, &err));
  OK(cy_builder_append_null(&big, &err));
  OK(cy_builder_append_bytes(&big, "é\"", 3, &err));
  OK(cy_builder_finish(&big, &cols[k++], &err));
  cy_builder_reset(&big);
  const char *names[] = {"b", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32",
                         "f64", "d", "ts", "tms", "tus", "tns", "dec", "bin", "s"};
  cy_table *t = NULL;
  OK(cy_table_make(19, names, cols, &t, &err));
  check_csv(t, NULL,
            "b,i8,i16,i32,i64,u8,u16,u32,u64,f32,f64,d,ts,tms,tus,tns,dec,bin,s\n"
            "true,-128,-32768,-2147483648,-9223372036854775808,255,65535,4294967295,"
            "18446744073709551615,0.1,1e+300,2000-02-29,1969-12-31 23:59:59,"
            "2020-01-01 01:02:03.5,2020-01-01 01:02:03.123456+00,"
            "1970-01-01 00:00:00.000000001,-0.05,\"a,\\x00\",big\n"
            ",,,,,,,,,,,,,,,,,,\n"
            "false,127,32767,2147483647,9223372036854775807,0,1,2,3,-inf,-0.0,-0001-01-01,"
            "1970-01-01 00:00:00,2020-01-01 01:02:03.12,1969-12-31 23:59:59.999999+00,"
            "2020-01-01 01:02:03,123.45,\"\",\"é\"\"\"\n");

  /* A slice starts at its own first row, strings included. */
  cy_table *slice = NULL;
  OK(cy_table_slice(t, 2, 1, &slice, &err));
  cy_table *two = NULL;
  int32_t idx[] = {1, 18};
  OK(cy_table_project(slice, 2, idx, NULL, &two, &err));
  check_csv(two, NULL, "i8,s\n127,\"é\"\"\"\n");
  cy_table_release(two);
  cy_table_release(slice);
  cy_table_release(t);
  for (int i = 0; i < k; i++) cy_column_release(cols[i]);
}

static void test_empty_and_options(void) {
  cy_error err;
  const char *names[] = {"", "b"};
  cy_column *cols[2];
  OK(cy_column_nulls(cy_type_make(CY_INT64), 0, &cols[0], &err));
  OK(cy_column_nulls(cy_type_make(CY_UTF8), 0, &cols[1], &err));
  cy_table *t = NULL;
  OK(cy_table_make(2, names, cols, &t, &err));
  check_csv(t, NULL, "\"\",b\n"); /* an empty name is quoted, like an empty string */
  cy_csv_write_options o;
  cy_csv_write_options_init(&o);
  o.header = false;
  check_csv(t, &o, "");
  o.delimiter = '"';
  char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);
  FAILS(cy_csv_write_stream(t, f, &o, &err), CY_EINVAL, "delimiter");
  fclose(f);
  free(text);
  cy_table_release(t);
  cy_column_release(cols[0]);
  cy_column_release(cols[1]);
}

static cy_table *small_table(void) {
  cy_error err;
  cy_column *c = NULL;
  int64_t v[] = {1, 2};
  OK(cy_column_from_values(cy_type_make(CY_INT64), v, NULL, 2, &c, &err));
  const char *names[] = {"v"};
  cy_table *t = NULL;
  OK(cy_table_make(1, names, &c, &t, &err));
  cy_column_release(c);
  return t;
}

static void test_files_and_failures(void) {
  cy_error err;
  cy_table *t = small_table();
  char path[512], bad[512], dir_target[512];
  size_t size = 0;

  /* Success: the file appears, complete, and replaces an older one; no temporary left. */
  snprintf(path, sizeof path, "%s/out.csv", temp_dir);
  FILE *old = fopen(path, "w");
  if (old) fputs("old contents\n", old), fclose(old);
  OK(cy_csv_write(t, path, NULL, &err));
  char *data = read_file(path, &size);
  CHECK_EQ_STR(data, "v\n1\n2\n");
  free(data);
  CHECK_EQ_INT(count_files(), 1);

  /* A directory that does not exist: the error names the path and the OS reason. */
  snprintf(bad, sizeof bad, "%s/no/such/dir/out.csv", temp_dir);
  FAILS(cy_csv_write(t, bad, NULL, &err), CY_ENOENT, bad);
  CHECK(strstr(err.message, "No such file or directory") != NULL);
  struct stat st;
  CHECK(stat(bad, &st) != 0);
  CHECK_EQ_INT(count_files(), 1);

  /* The target is a directory: everything is written, the rename fails, the temporary
   * file goes and the directory stays as it was. */
  snprintf(dir_target, sizeof dir_target, "%s/adir", temp_dir);
  CHECK(mkdir(dir_target, 0700) == 0);
  FAILS(cy_csv_write(t, dir_target, NULL, &err), CY_EIO, dir_target);
  CHECK(stat(dir_target, &st) == 0 && S_ISDIR(st.st_mode));
  CHECK_EQ_INT(count_files(), 2); /* out.csv and adir, no temporary */
  rmdir(dir_target);

  /* A stream that fails to write (disk full): the OS error is reported. */
  FILE *full = fopen("/dev/full", "w");
  if (full) {
    FAILS(cy_csv_write_stream(t, full, NULL, &err), CY_EIO, "No space left");
    fclose(full);
  }
  unlink(path);
  cy_table_release(t);
}

/* A table big enough for many chunks: int64, float64 and strings with nulls. */
static cy_table *large_table(int64_t n) {
  cy_error err;
  cy_builder bi, bd, bs;
  OK(cy_builder_init(&bi, cy_type_make(CY_INT64), n, &err));
  OK(cy_builder_init(&bd, cy_type_make(CY_FLOAT64), n, &err));
  OK(cy_builder_init(&bs, cy_type_make(CY_UTF8), n, &err));
  uint64_t x = 12345;
  for (int64_t i = 0; i < n; i++) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    OK(cy_builder_append_int(&bi, (int64_t)(x >> 20) - (INT64_C(1) << 42), &err));
    if (i % 7 == 3)
      OK(cy_builder_append_null(&bd, &err));
    else
      OK(cy_builder_append_double(&bd, (double)(x >> 11) / 9007199254740992.0 * 1e6, &err));
    char s[32];
    int len = snprintf(s, sizeof s, i % 5 == 0 ? "q\"%lld," : "s%lld", (long long)(x % 1000));
    if (i % 11 == 0)
      OK(cy_builder_append_null(&bs, &err));
    else
      OK(cy_builder_append_bytes(&bs, s, i % 13 == 0 ? 0 : len, &err));
  }
  cy_column *cols[3];
  OK(cy_builder_finish(&bi, &cols[0], &err));
  OK(cy_builder_finish(&bd, &cols[1], &err));
  OK(cy_builder_finish(&bs, &cols[2], &err));
  const char *names[] = {"k", "v", "s"};
  cy_table *t = NULL;
  OK(cy_table_make(3, names, cols, &t, &err));
  for (int i = 0; i < 3; i++) cy_column_release(cols[i]);
  return t;
}

static void test_parallel_equals_serial(void) {
  cy_error err;
  cy_table *t = large_table(300000);
  cy_set_num_threads(1);
  char *serial = csv_string(t, NULL);
  cy_set_num_threads(4);
  char *parallel = csv_string(t, NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/large.csv", temp_dir);
  OK(cy_csv_write(t, path, NULL, &err));
  cy_set_num_threads(0);
  size_t size = 0;
  char *file = read_file(path, &size);
  CHECK(serial != NULL && parallel != NULL && file != NULL);
  if (serial && parallel && file) {
    CHECK(strlen(serial) > 300000 * 10);
    CHECK(strcmp(serial, parallel) == 0);
    CHECK(strcmp(serial, file) == 0);
    /* Spot checks: header, a quoted string, an empty string and a null. */
    CHECK(strncmp(serial, "k,v,s\n", 6) == 0);
    CHECK(strstr(serial, ",\"q\"\"") != NULL);
    CHECK(strstr(serial, ",\"\"\n") != NULL);
  }
  free(serial);
  free(parallel);
  free(file);
  unlink(path);
  cy_table_release(t);
}

int main(void) {
  snprintf(temp_dir, sizeof temp_dir, "/tmp/cylon_csv_write_XXXXXX");
  if (mkdtemp(temp_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_quoting();
  test_careful_numbers();
  test_all_types();
  test_empty_and_options();
  test_files_and_failures();
  test_parallel_equals_serial();
  rmdir(temp_dir);
  TEST_MAIN_END();
}
