/*
 * s3_check.c - one object-store operation per run, for tests/oracle/s3_test.mjs, which
 * starts s3rver (and a fault-injecting proxy) and checks what these commands did.
 *
 *   s3_check put FILE URL [CHUNK]      write FILE's bytes to URL through cy_output, in
 *                                      writes of CHUNK bytes (default 1 MiB + 7), commit
 *   s3_check abort FILE URL [CHUNK]    the same, then abort instead of commit
 *   s3_check get URL OFFSET LEN OUT    read LEN bytes at OFFSET (LEN -1: to the end) into
 *                                      the file OUT; prints the object's size
 *   s3_check parallel URL THREADS OUT  read the whole object in 64 KiB..1 MiB pieces from
 *                                      THREADS threads at once into OUT
 *   s3_check size URL                  print the object's size
 *   s3_check list URL                  print "URL<TAB>SIZE" lines
 *   s3_check delete URL
 *   s3_check dataset URL RANK WORLD    cy_dataset_read's share, printed as CSV
 *   s3_check table URL                 cy_table_read_file, printed as CSV
 *
 * Exit status: 0 on success; 1 on failure with "s3_check: STATUS: MESSAGE" on stderr
 * (the test greps these messages for what they must and must not say); 2 on bad usage.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cylon/cylon.h"

static int fail(cy_status st, const cy_error *err) {
  fprintf(stderr, "s3_check: %s: %s\n", cy_status_name(st), err->message);
  return 1;
}

static char *read_file(const char *path, int64_t *size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *data = malloc((size_t)n + 1);
  if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
    free(data);
    data = NULL;
  }
  fclose(f);
  *size = n;
  return data;
}

static int write_file(const char *path, const void *data, int64_t n) {
  FILE *f = fopen(path, "wb");
  bool ok = f && fwrite(data, 1, (size_t)n, f) == (size_t)n;
  if (f && fclose(f) != 0) ok = false;
  return ok ? 0 : 1;
}

static int cmd_put(const char *file, const char *url, int64_t chunk, bool commit) {
  cy_error err;
  int64_t size;
  char *data = read_file(file, &size);
  if (data == NULL) {
    fprintf(stderr, "s3_check: cannot read %s\n", file);
    return 1;
  }
  cy_output out;
  cy_status st = cy_output_open(url, &out, &err);
  for (int64_t at = 0; st == CY_OK && at < size; at += chunk)
    st = out.write(&out, data + at, size - at < chunk ? size - at : chunk, &err);
  if (st == CY_OK && commit) st = out.commit(&out, &err);
  else if (out.private_data) out.abort(&out);
  free(data);
  return st == CY_OK ? 0 : fail(st, &err);
}

static int cmd_get(const char *url, int64_t offset, int64_t len, const char *file) {
  cy_error err;
  cy_input in;
  cy_status st = cy_input_open(url, &in, &err);
  if (st != CY_OK) return fail(st, &err);
  if (len < 0) len = in.size - offset;
  char *buf = malloc((size_t)(len > 0 ? len : 1));
  st = buf ? in.read_at(&in, offset, len, buf, &err) : CY_ENOMEM;
  printf("%lld\n", (long long)in.size);
  in.close(&in);
  int rc = st == CY_OK ? write_file(file, buf, len) : fail(st, &err);
  free(buf);
  return rc;
}

typedef struct par {
  cy_input *in;
  char *buf;
  int64_t next; /* next offset to read, taken atomically */
  int failed;
  cy_error err;
} par;

static void *par_worker(void *arg) {
  par *p = arg;
  uint64_t x = (uint64_t)(uintptr_t)&arg;
  for (;;) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    int64_t piece = 65536 + (int64_t)((x >> 33) % (1 << 20));
    int64_t at = __atomic_fetch_add(&p->next, piece, __ATOMIC_RELAXED);
    if (at >= p->in->size) return NULL;
    if (piece > p->in->size - at) piece = p->in->size - at;
    cy_error err;
    if (p->in->read_at(p->in, at, piece, p->buf + at, &err) != CY_OK) {
      if (__atomic_fetch_add(&p->failed, 1, __ATOMIC_RELAXED) == 0) p->err = err;
      return NULL;
    }
  }
}

static int cmd_parallel(const char *url, int threads, const char *file) {
  cy_error err;
  cy_input in;
  cy_status st = cy_input_open(url, &in, &err);
  if (st != CY_OK) return fail(st, &err);
  par p = {&in, malloc((size_t)in.size + 1), 0, 0, {{0}}};
  pthread_t tid[64];
  if (threads > 64) threads = 64;
  for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, par_worker, &p);
  for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
  int rc = p.failed ? fail(CY_EIO, &p.err) : write_file(file, p.buf, in.size);
  in.close(&in);
  free(p.buf);
  return rc;
}

static int cmd_list(const char *url) {
  cy_error err;
  cy_object_info *items;
  int64_t n;
  cy_status st = cy_object_list(url, &items, &n, &err);
  if (st != CY_OK) return fail(st, &err);
  for (int64_t i = 0; i < n; i++) printf("%s\t%lld\n", items[i].url, (long long)items[i].size);
  cy_object_list_free(items, n);
  return 0;
}

static int print_table(cy_status st, cy_table *t, cy_error *err) {
  if (st != CY_OK) return fail(st, err);
  st = cy_csv_write_stream(t, stdout, NULL, err);
  cy_table_release(t);
  return st == CY_OK ? 0 : fail(st, err);
}

int main(int argc, char **argv) {
  cy_error err;
  const char *cmd = argc > 1 ? argv[1] : "";
  if ((strcmp(cmd, "put") == 0 || strcmp(cmd, "abort") == 0) && argc >= 4)
    return cmd_put(argv[2], argv[3], argc > 4 ? atoll(argv[4]) : (1 << 20) + 7,
                   strcmp(cmd, "put") == 0);
  if (strcmp(cmd, "get") == 0 && argc == 6)
    return cmd_get(argv[2], atoll(argv[3]), atoll(argv[4]), argv[5]);
  if (strcmp(cmd, "parallel") == 0 && argc == 5)
    return cmd_parallel(argv[2], atoi(argv[3]), argv[4]);
  if (strcmp(cmd, "size") == 0 && argc == 3) {
    cy_input in;
    cy_status st = cy_input_open(argv[2], &in, &err);
    if (st != CY_OK) return fail(st, &err);
    printf("%lld\n", (long long)in.size);
    in.close(&in);
    return 0;
  }
  if (strcmp(cmd, "list") == 0 && argc == 3) return cmd_list(argv[2]);
  if (strcmp(cmd, "delete") == 0 && argc == 3) {
    cy_status st = cy_object_delete(argv[2], &err);
    return st == CY_OK ? 0 : fail(st, &err);
  }
  if (strcmp(cmd, "dataset") == 0 && argc == 5) {
    cy_table *t = NULL;
    cy_status st = cy_dataset_read(argv[2], NULL, atoi(argv[3]), atoi(argv[4]), &t, &err);
    return print_table(st, t, &err);
  }
  if (strcmp(cmd, "table") == 0 && argc == 3) {
    cy_table *t = NULL;
    cy_status st = cy_table_read_file(argv[2], NULL, &t, &err);
    return print_table(st, t, &err);
  }
  fprintf(stderr, "usage: s3_check put|abort|get|parallel|size|list|delete|dataset|table ...\n"
                  "(see the comment at the top of tests/io/s3_check.c)\n");
  return 2;
}
