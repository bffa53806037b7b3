/*
 * parquet_read.c - reading Parquet files into tables: cy_parquet_read, cy_parquet_open
 * (a batch per row group) and cy_parquet_read_info.
 *
 * How a read goes:
 *   1. the footer: the file's last 64 KiB in one read (enough for most footers, and one
 *      round trip on S3), then the rest of the footer if it is larger; decoded and its
 *      schema mapped to cylon fields (parquet_schema.c);
 *   2. the plan: the fields asked for (a field cylon cannot hold is an error only if it
 *      is asked for, or when all fields are), the row groups asked for, minus those whose
 *      statistics prove the predicate false (parquet_stats.c);
 *   3. the chunks, decoded in parallel and assembled into columns (parquet_assemble.c).
 * Nothing is returned unless every step succeeded.
 *
 * Hostile files: decoded sizes are charged to a budget of pq_read_limits (a minimum plus
 * a multiple of the file's size), so no header can make the reader allocate without
 * bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/parquet_reader.h"

pq_limits pq_read_limits = {4LL << 30, 4096};

bool pq_budget_take(pq_file *f, int64_t n) {
  if (n <= 0) return true;
  int64_t left = __atomic_sub_fetch(&f->budget, n, __ATOMIC_RELAXED);
  if (left < 0) {
    __atomic_add_fetch(&f->budget, n, __ATOMIC_RELAXED);
    return false;
  }
  return true;
}

static void reset_budget(pq_file *f) {
  int64_t per = pq_read_limits.per_byte;
  int64_t extra = f->in->size > INT64_MAX / 8 / (per > 0 ? per : 1) ? INT64_MAX / 8
                                                                     : f->in->size * per;
  f->budget = pq_read_limits.min_budget + extra;
}

cy_status pq_read_range(pq_file *f, int64_t offset, int64_t len, void *buf, cy_error *err) {
  cy_status st = f->in->read_at(f->in, offset, len, buf, err);
  if (st == CY_OK) __atomic_add_fetch(&f->bytes_read, len, __ATOMIC_RELAXED);
  return st;
}

/* ---- the footer ------------------------------------------------------------------ */

#define TAIL_BYTES (64 * 1024)

static cy_status read_footer(pq_file *f, cy_error *err) {
  int64_t size = f->in->size;
  if (size < 12) {
    cy_error_set(err, "%s: not a Parquet file (%lld bytes is too short)", f->name,
                 (long long)size);
    return CY_EINVAL;
  }
  int64_t tail = size < TAIL_BYTES ? size : TAIL_BYTES;
  uint8_t *buf = malloc((size_t)tail);
  if (!buf) {
    cy_error_set(err, "%s: out of memory reading the footer", f->name);
    return CY_ENOMEM;
  }
  cy_status st = pq_read_range(f, size - tail, tail, buf, err);
  const uint8_t *end = buf + tail;
  if (st == CY_OK && memcmp(end - 4, "PAR1", 4) != 0) {
    bool encrypted = memcmp(end - 4, "PARE", 4) == 0;
    cy_error_set(err, encrypted ? "%s: encrypted Parquet files are not supported"
                                : "%s: not a Parquet file (no PAR1 at its end)",
                 f->name);
    st = encrypted ? CY_ENOTSUP : CY_EINVAL;
  }
  int64_t flen = st == CY_OK ? pqd_load_u32(end - 8) : 0;
  if (st == CY_OK && flen > size - 12) {
    cy_error_set(err, "%s: corrupt footer: its length %lld is more than the file holds",
                 f->name, (long long)flen);
    st = CY_EINVAL;
  }
  if (st == CY_OK && flen + 8 > tail) { /* a large footer: read it whole */
    uint8_t *whole = malloc((size_t)flen + 8);
    if (!whole) {
      cy_error_set(err, "%s: out of memory for a footer of %lld bytes", f->name, (long long)flen);
      st = CY_ENOMEM;
    } else {
      free(buf);
      buf = whole;
      tail = flen + 8;
      end = buf + tail;
      st = pq_read_range(f, size - tail, tail, buf, err);
    }
  }
  if (st == CY_OK) st = pq_file_meta_decode(end - 8 - flen, flen, f->name, &f->meta, err);
  free(buf);
  if (st == CY_OK) f->data_end = size - 8 - flen;
  return st;
}

/* The row groups must fit the schema before anything is read. */
static cy_status check_row_groups(pq_file *f, cy_error *err) {
  int64_t rows = 0;
  for (int32_t g = 0; g < f->meta.num_row_groups; g++) {
    const pq_row_group *rg = &f->meta.row_groups[g];
    if (rg->num_columns != f->num_leaves) {
      cy_error_set(err, "%s: corrupt footer: row group %d has %d column chunks, the schema "
                   "has %d columns", f->name, g, rg->num_columns, f->num_leaves);
      return CY_EINVAL;
    }
    if (rg->num_rows < 0 || rg->num_rows > INT64_MAX / 2 - rows) {
      cy_error_set(err, "%s: corrupt footer: row group %d has %lld rows", f->name, g,
                   (long long)rg->num_rows);
      return CY_EINVAL;
    }
    rows += rg->num_rows;
  }
  return CY_OK;
}

/* parquet-mr before 1.2.9 left the dictionary page header out of a chunk's size
 * (PARQUET-816): chunks of its files are read with up to 100 bytes more. */
static int64_t chunk_padding(const char *created_by) {
  if (!created_by || strncmp(created_by, "parquet-mr", 10) != 0) return 0;
  int major = 0, minor = 0, patch = 0;
  const char *v = strstr(created_by, "version ");
  if (!v || sscanf(v + 8, "%d.%d.%d", &major, &minor, &patch) < 2) return 100;
  bool old = major < 1 || (major == 1 && (minor < 2 || (minor == 2 && patch < 9)));
  return old ? 100 : 0;
}

static void pq_close(pq_file *f) {
  pq_schema_free(f);
  pq_file_meta_reset(&f->meta);
}

static cy_status pq_open(cy_input *in, pq_file *f, cy_error *err) {
  memset(f, 0, sizeof *f);
  f->in = in;
  f->name = in->name ? in->name : "(parquet)";
  cy_status st = read_footer(f, err);
  if (st == CY_OK) st = pq_schema_build(f, err);
  if (st == CY_OK) st = check_row_groups(f, err);
  if (st == CY_OK) f->chunk_padding = chunk_padding(f->meta.created_by);
  if (st != CY_OK) pq_close(f);
  return st;
}

/* ---- the plan: fields and row groups ------------------------------------------------- */

typedef struct plan {
  int32_t *fields;
  int32_t nf;
  int32_t *groups;
  int32_t ng;
  int32_t skipped;
} plan;

static void plan_free(plan *p) {
  free(p->fields);
  free(p->groups);
  memset(p, 0, sizeof *p);
}

static cy_status unreadable_error(const pq_file *f, const pq_field *fld, cy_error *err) {
  cy_error_set(err, "%s: column '%s': %s", f->name, fld->name, fld->unreadable);
  return CY_ENOTSUP;
}

static cy_status plan_fields(const pq_file *f, const cy_parquet_read_options *o, plan *p,
                             cy_error *err) {
  int32_t n = o->columns ? o->num_columns : f->num_fields;
  p->fields = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
  if (!p->fields) {
    cy_error_set(err, "%s: out of memory", f->name);
    return CY_ENOMEM;
  }
  for (int32_t k = 0; k < n; k++) {
    int32_t i = k;
    if (o->columns) {
      for (i = 0; i < f->num_fields && strcmp(f->fields[i].name, o->columns[k]) != 0; i++) {
      }
      if (i == f->num_fields) {
        cy_error_set(err, "%s: no column '%s' in the file", f->name, o->columns[k]);
        return CY_ENOENT;
      }
      for (int32_t j = 0; j < k; j++)
        if (p->fields[j] == i) {
          cy_error_set(err, "%s: column '%s' is asked for twice", f->name, o->columns[k]);
          return CY_EINVAL;
        }
    }
    if (f->fields[i].unreadable) return unreadable_error(f, &f->fields[i], err);
    p->fields[p->nf++] = i;
  }
  return CY_OK;
}

static cy_status plan_groups(const pq_file *f, const cy_parquet_read_options *o, plan *p,
                             cy_error *err) {
  int32_t n = o->row_groups ? o->num_row_groups : f->meta.num_row_groups;
  p->groups = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
  if (!p->groups) {
    cy_error_set(err, "%s: out of memory", f->name);
    return CY_ENOMEM;
  }
  for (int32_t k = 0; k < n; k++) {
    int32_t g = o->row_groups ? o->row_groups[k] : k;
    if (g < 0 || g >= f->meta.num_row_groups) {
      cy_error_set(err, "%s: no row group %d (the file has %d)", f->name, g,
                   f->meta.num_row_groups);
      return CY_ENOENT;
    }
    if (!pq_row_group_may_match(f, g, o->predicate)) {
      p->skipped++;
      continue;
    }
    p->groups[p->ng++] = g;
  }
  return CY_OK;
}

static cy_status make_plan(const pq_file *f, const cy_parquet_read_options *o, plan *p,
                           cy_error *err) {
  memset(p, 0, sizeof *p);
  cy_status st = plan_fields(f, o, p, err);
  if (st == CY_OK) st = plan_groups(f, o, p, err);
  if (st != CY_OK) plan_free(p);
  return st;
}


/* ---- whole-file reads ---------------------------------------------------------------- */

void cy_parquet_read_options_init(cy_parquet_read_options *opts) {
  memset(opts, 0, sizeof *opts);
  opts->verify_checksums = true;
}

static const cy_parquet_read_options *options_or_default(const cy_parquet_read_options *opts,
                                                          cy_parquet_read_options *def) {
  if (opts) return opts;
  cy_parquet_read_options_init(def);
  return def;
}

cy_status pq_read_input(cy_input *in, const cy_parquet_read_options *opts, cy_table **out,
                        pq_read_report *report, cy_error *err) {
  cy_parquet_read_options def;
  opts = options_or_default(opts, &def);
  *out = NULL;
  pq_file f;
  CY_RETURN_NOT_OK(pq_open(in, &f, err));
  plan p;
  cy_status st = make_plan(&f, opts, &p, err);
  if (st == CY_OK) {
    reset_budget(&f);
    st = pq_read_groups(&f, p.fields, p.nf, p.groups, p.ng, opts->verify_checksums,
                        opts->num_threads, out, err);
    if (report) {
      report->row_groups_total = f.meta.num_row_groups;
      report->row_groups_read = p.ng;
      report->row_groups_skipped = p.skipped;
    }
    plan_free(&p);
  }
  if (report) report->bytes_read = f.bytes_read;
  pq_close(&f);
  return st;
}

cy_status cy_parquet_read(const char *url, const cy_parquet_read_options *opts, cy_table **out,
                          cy_error *err) {
  *out = NULL;
  cy_input in;
  CY_RETURN_NOT_OK(cy_input_open(url, &in, err));
  cy_status st = pq_read_input(&in, opts, out, NULL, err);
  in.close(&in);
  return st;
}

/* ---- a batch per row group ----------------------------------------------------------- */

typedef struct stream {
  cy_input in;
  pq_file f;
  plan p;
  int32_t next;
  bool verify;
  int threads;
} stream;

static cy_status stream_schema(cy_batch_reader *self, cy_schema *out, cy_error *err) {
  stream *s = self->private_data;
  cy_table *empty;
  /* Zero row groups give the schema (with no rows read). */
  CY_RETURN_NOT_OK(pq_read_groups(&s->f, s->p.fields, s->p.nf, NULL, 0, false, 1, &empty, err));
  cy_status st = cy_schema_copy(&empty->schema, out, err);
  cy_table_release(empty);
  return st;
}

static cy_status stream_next(cy_batch_reader *self, cy_table **out, cy_error *err) {
  stream *s = self->private_data;
  *out = NULL;
  if (s->next >= s->p.ng) return CY_OK;
  reset_budget(&s->f);
  cy_status st = pq_read_groups(&s->f, s->p.fields, s->p.nf, &s->p.groups[s->next], 1,
                                s->verify, s->threads, out, err);
  if (st == CY_OK) s->next++;
  return st;
}

static void stream_release(cy_batch_reader *self) {
  stream *s = self->private_data;
  if (s) {
    plan_free(&s->p);
    pq_close(&s->f);
    s->in.close(&s->in);
    free(s);
  }
  self->private_data = NULL;
  self->release = NULL;
}

cy_status cy_parquet_open(const char *url, const cy_parquet_read_options *opts,
                          cy_batch_reader *out, cy_error *err) {
  cy_parquet_read_options def;
  opts = options_or_default(opts, &def);
  memset(out, 0, sizeof *out);
  stream *s = calloc(1, sizeof *s);
  if (!s) {
    cy_error_set(err, "%s: out of memory", url);
    return CY_ENOMEM;
  }
  cy_status st = cy_input_open(url, &s->in, err);
  if (st != CY_OK) {
    free(s);
    return st;
  }
  st = pq_open(&s->in, &s->f, err);
  if (st == CY_OK) {
    st = make_plan(&s->f, opts, &s->p, err);
    if (st != CY_OK) pq_close(&s->f);
  }
  if (st != CY_OK) {
    s->in.close(&s->in);
    free(s);
    return st;
  }
  s->verify = opts->verify_checksums;
  s->threads = opts->num_threads;
  s->f.in = &s->in; /* the stream owns the input now */
  out->get_schema = stream_schema;
  out->next = stream_next;
  out->release = stream_release;
  out->private_data = s;
  return CY_OK;
}

/* ---- the footer only ----------------------------------------------------------------- */

static cy_status describe_unreadable(const pq_file *f, char **out, cy_error *err) {
  size_t len = 0;
  for (int32_t i = 0; i < f->num_fields; i++)
    if (f->fields[i].unreadable)
      len += strlen(f->fields[i].name) + strlen(f->fields[i].unreadable) + 4;
  *out = NULL;
  if (len == 0) return CY_OK;
  char *s = malloc(len + 1), *w = s;
  if (!s) {
    cy_error_set(err, "%s: out of memory", f->name);
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < f->num_fields; i++)
    if (f->fields[i].unreadable)
      w += sprintf(w, "%s%s: %s", w == s ? "" : "; ", f->fields[i].name, f->fields[i].unreadable);
  *out = s;
  return CY_OK;
}

static cy_status info_schema(const pq_file *f, cy_schema *out, cy_error *err) {
  memset(out, 0, sizeof *out);
  out->fields = calloc((size_t)(f->num_fields > 0 ? f->num_fields : 1), sizeof *out->fields);
  if (!out->fields) {
    cy_error_set(err, "%s: out of memory", f->name);
    return CY_ENOMEM;
  }
  for (int32_t i = 0; i < f->num_fields; i++) {
    if (f->fields[i].unreadable) continue;
    cy_field *fd = &out->fields[out->num_fields++];
    fd->type = f->fields[i].type;
    if (!(fd->name = strdup(f->fields[i].name))) {
      out->num_fields--;
      cy_error_set(err, "%s: out of memory", f->name);
      return CY_ENOMEM;
    }
  }
  return CY_OK;
}

cy_status pq_read_info_input(cy_input *in, cy_parquet_info *out, cy_error *err) {
  memset(out, 0, sizeof *out);
  pq_file f;
  CY_RETURN_NOT_OK(pq_open(in, &f, err));
  cy_status st = info_schema(&f, &out->schema, err);
  out->num_row_groups = f.meta.num_row_groups;
  out->row_group_rows = calloc((size_t)(f.meta.num_row_groups > 0 ? f.meta.num_row_groups : 1),
                               sizeof *out->row_group_rows);
  if (st == CY_OK && !out->row_group_rows) {
    cy_error_set(err, "%s: out of memory", f.name);
    st = CY_ENOMEM;
  }
  for (int32_t g = 0; out->row_group_rows && g < f.meta.num_row_groups; g++) {
    out->row_group_rows[g] = f.meta.row_groups[g].num_rows;
    out->num_rows += f.meta.row_groups[g].num_rows;
  }
  if (st == CY_OK && f.meta.created_by && !(out->created_by = strdup(f.meta.created_by))) {
    cy_error_set(err, "%s: out of memory", f.name);
    st = CY_ENOMEM;
  }
  if (st == CY_OK) st = describe_unreadable(&f, &out->unreadable, err);
  pq_close(&f);
  if (st != CY_OK) cy_parquet_info_reset(out);
  return st;
}

cy_status cy_parquet_read_info(const char *url, cy_parquet_info *out, cy_error *err) {
  memset(out, 0, sizeof *out);
  cy_input in;
  CY_RETURN_NOT_OK(cy_input_open(url, &in, err));
  cy_status st = pq_read_info_input(&in, out, err);
  in.close(&in);
  return st;
}

void cy_parquet_info_reset(cy_parquet_info *info) {
  cy_schema_reset(&info->schema);
  free(info->row_group_rows);
  free(info->created_by);
  free(info->unreadable);
  memset(info, 0, sizeof *info);
}

/* ---- bytes in memory as an input ----------------------------------------------------- */

static cy_status memory_read_at(cy_input *self, int64_t offset, int64_t len, void *buf,
                                cy_error *err) {
  if (offset < 0 || len < 0 || offset > self->size || len > self->size - offset) {
    cy_error_set(err, "%s: read of %lld bytes at %lld is past the end (%lld bytes)", self->name,
                 (long long)len, (long long)offset, (long long)self->size);
    return CY_EIO;
  }
  if (len) memcpy(buf, (const uint8_t *)self->private_data + offset, (size_t)len);
  return CY_OK;
}

static void memory_close(cy_input *self) { self->private_data = NULL; }

void pq_memory_input(const void *data, int64_t size, const char *name, cy_input *out) {
  memset(out, 0, sizeof *out);
  out->read_at = memory_read_at;
  out->close = memory_close;
  out->size = size;
  out->name = name;
  out->private_data = (void *)data;
}
