/*
 * object_store.c - inputs and outputs by URL: local files (bare paths and file://) here,
 * s3:// through object_s3.c.
 *
 * A local input reads with pread, so several threads may read one file at once. A local
 * output writes to a hidden temporary file beside the target and renames it at commit, so
 * the target appears whole or not at all; abort removes the temporary. Listing walks a
 * directory recursively and returns files sorted by path, which is the order datasets
 * deal part files out to ranks.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/object_store.h"

bool cy_url_is_s3(const char *url) { return strncmp(url, "s3://", 5) == 0; }

/* The local path of a bare path or file:// URL. */
static const char *local_path(const char *url) {
  return strncmp(url, "file://", 7) == 0 ? url + 7 : url;
}

/* ---- local input ------------------------------------------------------------------- */

typedef struct local_input {
  int fd;
  char *name;
} local_input;

static cy_status local_read_at(cy_input *self, int64_t offset, int64_t len, void *buf,
                               cy_error *err) {
  local_input *in = self->private_data;
  if (offset < 0 || len < 0 || offset > self->size || len > self->size - offset) {
    cy_error_set(err, "%s: read of %lld bytes at %lld is past the end (%lld bytes)", in->name,
                 (long long)len, (long long)offset, (long long)self->size);
    return CY_EIO;
  }
  uint8_t *p = buf;
  while (len > 0) {
    ssize_t got = pread(in->fd, p, (size_t)len, (off_t)offset);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      cy_error_set(err, "%s: read failed at %lld: %s", in->name, (long long)offset,
                   got == 0 ? "unexpected end of file" : strerror(errno));
      return CY_EIO;
    }
    p += got;
    offset += got;
    len -= got;
  }
  return CY_OK;
}

static void local_close(cy_input *self) {
  local_input *in = self->private_data;
  if (in) {
    close(in->fd);
    free(in->name);
    free(in);
  }
  self->private_data = NULL;
  self->read_at = NULL;
  self->close = NULL;
}

static cy_status local_input_open(const char *url, cy_input *out, cy_error *err) {
  const char *path = local_path(url);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    cy_error_set(err, "%s: cannot open: %s", path, strerror(e));
    return e == ENOENT ? CY_ENOENT : CY_EIO;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    cy_error_set(err, "%s: not a regular file", path);
    close(fd);
    return CY_EIO;
  }
  local_input *in = calloc(1, sizeof(*in));
  if (in == NULL || (in->name = strdup(path)) == NULL) {
    free(in);
    close(fd);
    cy_error_set(err, "out of memory opening %s", path);
    return CY_ENOMEM;
  }
  in->fd = fd;
  out->read_at = local_read_at;
  out->close = local_close;
  out->size = sb.st_size;
  out->name = in->name;
  out->private_data = in;
  return CY_OK;
}

cy_status cy_input_open(const char *url, cy_input *out, cy_error *err) {
  memset(out, 0, sizeof(*out));
  if (cy_url_is_s3(url)) return cy_s3_input_open(url, out, err);
  return local_input_open(url, out, err);
}

/* ---- local output ------------------------------------------------------------------ */

typedef struct local_output {
  int fd;
  char *path; /* the target */
  char *tmp;  /* where the bytes go until commit */
} local_output;

static void local_output_free(local_output *o) {
  free(o->path);
  free(o->tmp);
  free(o);
}

static cy_status local_write(cy_output *self, const void *data, int64_t len, cy_error *err) {
  local_output *o = self->private_data;
  const uint8_t *p = data;
  while (len > 0) {
    ssize_t put = write(o->fd, p, (size_t)len);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) {
      cy_error_set(err, "%s: write failed: %s", o->path, strerror(errno));
      return CY_EIO;
    }
    p += put;
    len -= put;
  }
  return CY_OK;
}

static void local_abort(cy_output *self) {
  local_output *o = self->private_data;
  if (o) {
    close(o->fd);
    unlink(o->tmp);
    local_output_free(o);
  }
  self->private_data = NULL;
}

static cy_status local_commit(cy_output *self, cy_error *err) {
  local_output *o = self->private_data;
  if (fsync(o->fd) != 0 || close(o->fd) != 0) {
    cy_error_set(err, "%s: cannot finish writing: %s", o->path, strerror(errno));
    o->fd = -1;
    unlink(o->tmp);
    local_output_free(o);
    self->private_data = NULL;
    return CY_EIO;
  }
  cy_status st = CY_OK;
  if (rename(o->tmp, o->path) != 0) {
    cy_error_set(err, "%s: cannot put the file in place: %s", o->path, strerror(errno));
    unlink(o->tmp);
    st = CY_EIO;
  }
  local_output_free(o);
  self->private_data = NULL;
  return st;
}

/* Create the directories above path (like mkdir -p of its dirname). */
static cy_status make_parents(const char *path, cy_error *err) {
  char *copy = strdup(path);
  if (copy == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  for (char *p = copy + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
      cy_error_set(err, "%s: cannot create directory %s: %s", path, copy, strerror(errno));
      free(copy);
      return CY_EIO;
    }
    *p = '/';
  }
  free(copy);
  return CY_OK;
}

static cy_status local_output_open(const char *url, cy_output *out, cy_error *err) {
  const char *path = local_path(url);
  CY_RETURN_NOT_OK(make_parents(path, err));
  local_output *o = calloc(1, sizeof(*o));
  size_t n = strlen(path) + 32;
  if (o) o->path = strdup(path);
  if (o) o->tmp = malloc(n);
  if (!o || !o->path || !o->tmp) {
    if (o) local_output_free(o);
    cy_error_set(err, "out of memory opening %s", path);
    return CY_ENOMEM;
  }
  /* A hidden name in the target's directory: the rename then stays on one file system. */
  const char *slash = strrchr(path, '/');
  int dir = slash ? (int)(slash - path + 1) : 0;
  snprintf(o->tmp, n, "%.*s.%s.tmp.%d", dir, path, path + dir, (int)getpid());
  o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (o->fd < 0) {
    cy_error_set(err, "%s: cannot create: %s", path, strerror(errno));
    local_output_free(o);
    return CY_EIO;
  }
  out->write = local_write;
  out->commit = local_commit;
  out->abort = local_abort;
  out->name = o->path;
  out->private_data = o;
  return CY_OK;
}

cy_status cy_output_open(const char *url, cy_output *out, cy_error *err) {
  memset(out, 0, sizeof(*out));
  if (cy_url_is_s3(url)) return cy_s3_output_open(url, out, err);
  return local_output_open(url, out, err);
}

/* ---- listing ----------------------------------------------------------------------- */

typedef struct list_acc {
  cy_object_info *items;
  int64_t n, cap;
} list_acc;

static cy_status add_item(list_acc *a, const char *path, int64_t size, cy_error *err) {
  if (a->n == a->cap) {
    int64_t cap = a->cap ? a->cap * 2 : 64;
    cy_object_info *grown = realloc(a->items, (size_t)cap * sizeof(cy_object_info));
    if (grown == NULL) goto oom;
    a->items = grown;
    a->cap = cap;
  }
  if ((a->items[a->n].url = strdup(path)) == NULL) goto oom;
  a->items[a->n++].size = size;
  return CY_OK;
oom:
  cy_error_set(err, "out of memory listing %s", path);
  return CY_ENOMEM;
}

/* Add the regular files under dir, skipping hidden names (temporaries of writers). */
static cy_status walk(const char *dir, list_acc *a, int depth, cy_error *err) {
  if (depth > 64) {
    cy_error_set(err, "%s: directories nest too deep", dir);
    return CY_EIO;
  }
  DIR *d = opendir(dir);
  if (d == NULL) {
    cy_error_set(err, "%s: cannot list: %s", dir, strerror(errno));
    return errno == ENOENT ? CY_ENOENT : CY_EIO;
  }
  cy_status st = CY_OK;
  for (struct dirent *e; st == CY_OK && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    size_t n = strlen(dir) + strlen(e->d_name) + 2;
    char *path = malloc(n);
    if (path == NULL) {
      cy_error_set(err, "out of memory listing %s", dir);
      st = CY_ENOMEM;
      break;
    }
    snprintf(path, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
    struct stat sb;
    if (stat(path, &sb) == 0) {
      if (S_ISDIR(sb.st_mode)) st = walk(path, a, depth + 1, err);
      else if (S_ISREG(sb.st_mode)) st = add_item(a, path, sb.st_size, err);
    }
    free(path);
  }
  closedir(d);
  return st;
}

static int by_url(const void *x, const void *y) {
  return strcmp(((const cy_object_info *)x)->url, ((const cy_object_info *)y)->url);
}

cy_status cy_object_list(const char *url, cy_object_info **out, int64_t *count, cy_error *err) {
  *out = NULL;
  *count = 0;
  if (cy_url_is_s3(url)) return cy_s3_list(url, out, count, err);
  const char *path = local_path(url);
  list_acc a = {NULL, 0, 0};
  struct stat sb;
  cy_status st;
  if (stat(path, &sb) != 0) {
    cy_error_set(err, "%s: %s", path, strerror(errno));
    return errno == ENOENT ? CY_ENOENT : CY_EIO;
  }
  st = S_ISDIR(sb.st_mode) ? walk(path, &a, 0, err) : add_item(&a, path, sb.st_size, err);
  if (st != CY_OK) {
    cy_object_list_free(a.items, a.n);
    return st;
  }
  /* An empty directory has no array, and qsort(NULL, 0) is undefined. */
  if (a.n > 1) qsort(a.items, (size_t)a.n, sizeof(cy_object_info), by_url);
  *out = a.items;
  *count = a.n;
  return CY_OK;
}

void cy_object_list_free(cy_object_info *list, int64_t count) {
  for (int64_t i = 0; list && i < count; i++) free(list[i].url);
  free(list);
}

cy_status cy_object_delete(const char *url, cy_error *err) {
  if (cy_url_is_s3(url)) return cy_s3_delete(url, err);
  const char *path = local_path(url);
  if (unlink(path) != 0 && errno != ENOENT) {
    cy_error_set(err, "%s: cannot delete: %s", path, strerror(errno));
    return CY_EIO;
  }
  return CY_OK;
}
