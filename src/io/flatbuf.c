/*
 * flatbuf.c - the FlatBuffers reader and builder described in flatbuf.h.
 *
 * Reader positions are computed in 64 bits and compared with the buffer size before any
 * load, so no offset in a hostile buffer can make the reader step outside it. The builder
 * keeps its bytes at the end of a growing allocation (see flatbuf.h for why).
 */
#include <stdlib.h>
#include <string.h>

#include "io/flatbuf.h"

/* ---- loads ----------------------------------------------------------------------------- */

static uint16_t load_u16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

uint32_t fb_load_u32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

int32_t fb_load_i32(const uint8_t *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

int64_t fb_load_i64(const uint8_t *p) {
  int64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* ---- reading --------------------------------------------------------------------------- */

/* True when [pos, pos + n) lies inside a buffer of size bytes. */
static bool in_bounds(uint64_t pos, uint64_t n, uint32_t size) {
  return pos <= size && n <= size - pos;
}

/* The table at pos, after checking that it and its vtable lie inside the buffer. */
static bool table_at(const uint8_t *buf, uint32_t size, uint64_t pos, fb_table *out) {
  if (!in_bounds(pos, 4, size)) return false;
  int64_t vt = (int64_t)pos - (int64_t)fb_load_i32(buf + pos);
  if (vt < 0 || !in_bounds((uint64_t)vt, 4, size)) return false;
  uint16_t vt_size = load_u16(buf + vt), obj_size = load_u16(buf + vt + 2);
  if (vt_size < 4 || (vt_size & 1) || !in_bounds((uint64_t)vt, vt_size, size)) return false;
  if (obj_size < 4 || !in_bounds(pos, obj_size, size)) return false;
  out->buf = buf;
  out->size = size;
  out->pos = (uint32_t)pos;
  out->vt = (uint32_t)vt;
  out->vt_size = vt_size;
  out->obj_size = obj_size;
  return true;
}

bool fb_root(const uint8_t *buf, int64_t size, fb_table *out) {
  if (buf == NULL || size < 8 || size > INT32_MAX) return false;
  return table_at(buf, (uint32_t)size, fb_load_u32(buf), out);
}

/* The offset of slot's field in the table (0 when absent); false when its n bytes would
 * lie outside the table. */
static bool field_offset(const fb_table *t, int slot, uint32_t n, uint32_t *off) {
  *off = 0;
  if (slot < 0) return false;
  uint32_t idx = 4 + 2 * (uint32_t)slot;
  if (idx + 2 > t->vt_size) return true; /* written by an older schema: absent */
  *off = load_u16(t->buf + t->vt + idx);
  return *off == 0 || (*off >= 4 && *off <= t->obj_size && n <= t->obj_size - *off);
}

bool fb_has(const fb_table *t, int slot) {
  uint32_t off;
  return field_offset(t, slot, 1, &off) && off != 0;
}

/* Copy an n-byte scalar field into out, or def (n bytes) when the field is absent. */
static bool get_scalar(const fb_table *t, int slot, uint32_t n, const void *def, void *out) {
  uint32_t off;
  if (!field_offset(t, slot, n, &off)) return false;
  memcpy(out, off ? t->buf + t->pos + off : def, n);
  return true;
}

bool fb_get_u8(const fb_table *t, int slot, uint8_t def, uint8_t *out) {
  return get_scalar(t, slot, 1, &def, out);
}

bool fb_get_bool(const fb_table *t, int slot, bool def, bool *out) {
  uint8_t v;
  if (!fb_get_u8(t, slot, def ? 1 : 0, &v)) return false;
  *out = v != 0;
  return true;
}

bool fb_get_i16(const fb_table *t, int slot, int16_t def, int16_t *out) {
  return get_scalar(t, slot, 2, &def, out);
}

bool fb_get_i32(const fb_table *t, int slot, int32_t def, int32_t *out) {
  return get_scalar(t, slot, 4, &def, out);
}

bool fb_get_i64(const fb_table *t, int slot, int64_t def, int64_t *out) {
  return get_scalar(t, slot, 8, &def, out);
}

/* Follow slot's uint32 offset; *target is where it points (inside the buffer). */
static bool deref(const fb_table *t, int slot, uint64_t *target, bool *present) {
  uint32_t off;
  *present = false;
  if (!field_offset(t, slot, 4, &off)) return false;
  if (off == 0) return true;
  *present = true;
  uint64_t loc = (uint64_t)t->pos + off;
  *target = loc + fb_load_u32(t->buf + loc);
  return *target < t->size;
}

bool fb_get_table(const fb_table *t, int slot, fb_table *out, bool *present) {
  uint64_t target;
  if (!deref(t, slot, &target, present)) return false;
  return !*present || table_at(t->buf, t->size, target, out);
}

bool fb_get_string(const fb_table *t, int slot, const char **s, uint32_t *len, bool *present) {
  uint64_t target;
  *s = "";
  *len = 0;
  if (!deref(t, slot, &target, present)) return false;
  if (!*present) return true;
  if (!in_bounds(target, 4, t->size)) return false;
  uint32_t n = fb_load_u32(t->buf + target);
  if (!in_bounds(target + 4, n, t->size)) return false;
  *s = (const char *)t->buf + target + 4;
  *len = n;
  return true;
}

bool fb_get_vector(const fb_table *t, int slot, uint32_t elem_size, fb_vector *out,
                   bool *present) {
  uint64_t target;
  memset(out, 0, sizeof *out);
  out->buf = t->buf;
  out->elem_size = elem_size;
  if (!deref(t, slot, &target, present)) return false;
  if (!*present) return true;
  if (!in_bounds(target, 4, t->size)) return false;
  uint32_t n = fb_load_u32(t->buf + target);
  if (!in_bounds(target + 4, (uint64_t)n * elem_size, t->size)) return false;
  out->size = t->size;
  out->pos = (uint32_t)target + 4;
  out->len = n;
  return true;
}

bool fb_vector_table(const fb_vector *v, uint32_t i, fb_table *out) {
  if (i >= v->len || v->elem_size != 4) return false;
  uint64_t loc = (uint64_t)v->pos + 4ull * i;
  return table_at(v->buf, v->size, loc + fb_load_u32(v->buf + loc), out);
}

const uint8_t *fb_vector_at(const fb_vector *v, uint32_t i) {
  return v->buf + v->pos + (uint64_t)i * v->elem_size;
}

/* ---- building -------------------------------------------------------------------------- */

void fb_builder_init(fb_builder *b, size_t align) {
  memset(b, 0, sizeof *b);
  b->max_align = align < 4 ? 4 : align;
}

void fb_builder_reset(fb_builder *b) {
  free(b->buf);
  memset(b, 0, sizeof *b);
}

/* Make room for n more bytes in front of the used ones. */
static bool grow(fb_builder *b, size_t n) {
  if (b->failed) return false;
  if (n > (size_t)INT32_MAX || b->len > (size_t)INT32_MAX - n) {
    b->failed = true;
    return false;
  }
  if (b->buf && b->cap - b->len >= n) return true;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < n) cap *= 2;
  uint8_t *grown = malloc(cap);
  if (grown == NULL) {
    b->failed = true;
    return false;
  }
  if (b->len) memcpy(grown + cap - b->len, b->buf + b->cap - b->len, b->len);
  free(b->buf);
  b->buf = grown;
  b->cap = cap;
  return true;
}

/* Claim n bytes in front; NULL after a failure. */
static uint8_t *push(fb_builder *b, size_t n) {
  if (!grow(b, n)) return NULL;
  b->len += n;
  return b->buf + b->cap - b->len;
}

static void push_bytes(fb_builder *b, const void *src, size_t n) {
  uint8_t *p = push(b, n);
  if (p && n) memcpy(p, src, n);
}

/* Zero padding so that, once `extra` more bytes are pushed, len is a multiple of align:
 * positions are counted from the end, and the finished size is a multiple of max_align,
 * so this aligns the object in the finished buffer too. */
static void align_for(fb_builder *b, size_t align, size_t extra) {
  if (align > b->max_align) b->max_align = align;
  size_t pad = (align - (b->len + extra) % align) % align;
  uint8_t *p = push(b, pad);
  if (p && pad) memset(p, 0, pad);
}

fb_ref fb_create_string(fb_builder *b, const char *s, size_t len) {
  align_for(b, 4, len + 1);
  uint8_t *p = push(b, len + 1);
  if (p) {
    if (len) memcpy(p, s, len);
    p[len] = 0;
  }
  uint32_t n = (uint32_t)len;
  push_bytes(b, &n, 4);
  return (fb_ref)b->len;
}

fb_ref fb_create_vector(fb_builder *b, const void *elems, size_t n, size_t elem_size,
                        size_t elem_align) {
  if (elem_size && n > (size_t)INT32_MAX / elem_size) {
    b->failed = true;
    return 0;
  }
  align_for(b, elem_align > 4 ? elem_align : 4, n * elem_size);
  push_bytes(b, elems, n * elem_size);
  uint32_t count = (uint32_t)n;
  push_bytes(b, &count, 4);
  return (fb_ref)b->len;
}

fb_ref fb_create_ref_vector(fb_builder *b, const fb_ref *refs, size_t n) {
  if (n > (size_t)INT32_MAX / 4) {
    b->failed = true;
    return 0;
  }
  align_for(b, 4, n * 4);
  uint8_t *p = push(b, n * 4);
  for (size_t i = 0; p && i < n; i++) {
    /* Element i sits (len - 4 i) bytes from the end; an offset counts from itself. */
    uint32_t v = (uint32_t)(b->len - 4 * i) - refs[i];
    memcpy(p + 4 * i, &v, 4);
  }
  uint32_t count = (uint32_t)n;
  push_bytes(b, &count, 4);
  return (fb_ref)b->len;
}

void fb_table_start(fb_builder *b) {
  b->in_table = true;
  b->table_start = b->len;
  b->num_slots = 0;
  memset(b->slots, 0, sizeof b->slots);
}

/* Record that slot's field now starts len bytes from the end. */
static void mark_slot(fb_builder *b, int slot) {
  if (b->failed) return;
  b->slots[slot] = (uint32_t)b->len;
  if (slot >= b->num_slots) b->num_slots = slot + 1;
}

static bool slot_ok(fb_builder *b, int slot) {
  if (!b->in_table || slot < 0 || slot >= FB_MAX_SLOTS) b->failed = true;
  return !b->failed;
}

static void add_scalar(fb_builder *b, int slot, const void *v, size_t n) {
  if (!slot_ok(b, slot)) return;
  align_for(b, n, n);
  push_bytes(b, v, n);
  mark_slot(b, slot);
}

void fb_add_u8(fb_builder *b, int slot, uint8_t v) { add_scalar(b, slot, &v, 1); }
void fb_add_bool(fb_builder *b, int slot, bool v) { fb_add_u8(b, slot, v ? 1 : 0); }
void fb_add_i16(fb_builder *b, int slot, int16_t v) { add_scalar(b, slot, &v, 2); }
void fb_add_i32(fb_builder *b, int slot, int32_t v) { add_scalar(b, slot, &v, 4); }
void fb_add_i64(fb_builder *b, int slot, int64_t v) { add_scalar(b, slot, &v, 8); }

void fb_add_ref(fb_builder *b, int slot, fb_ref ref) {
  if (!slot_ok(b, slot)) return;
  align_for(b, 4, 4);
  uint8_t *p = push(b, 4);
  if (p == NULL) return;
  uint32_t v = (uint32_t)b->len - ref;
  memcpy(p, &v, 4);
  mark_slot(b, slot);
}

fb_ref fb_table_end(fb_builder *b) {
  if (!b->in_table) b->failed = true;
  b->in_table = false;
  align_for(b, 4, 4);
  if (push(b, 4) == NULL) return 0; /* the vtable offset, filled in below */
  size_t table = b->len;
  size_t obj_size = table - b->table_start;
  size_t vt_size = 4 + 2 * (size_t)b->num_slots;
  if (obj_size > 0xFFFF) {
    b->failed = true;
    return 0;
  }
  uint8_t *vt = push(b, vt_size);
  if (vt == NULL) return 0;
  uint16_t head[2] = {(uint16_t)vt_size, (uint16_t)obj_size};
  memcpy(vt, head, 4);
  for (int s = 0; s < b->num_slots; s++) {
    uint16_t off = b->slots[s] ? (uint16_t)(table - b->slots[s]) : 0;
    memcpy(vt + 4 + 2 * s, &off, 2);
  }
  /* The vtable sits just before the table: table position minus vtable position. */
  int32_t soff = (int32_t)(b->len - table);
  memcpy(b->buf + b->cap - table, &soff, 4);
  return (fb_ref)table;
}

bool fb_finish(fb_builder *b, fb_ref root, const uint8_t **data, size_t *size) {
  align_for(b, b->max_align, 4);
  uint8_t *p = push(b, 4);
  if (p) {
    uint32_t v = (uint32_t)b->len - root;
    memcpy(p, &v, 4);
  }
  if (b->failed) return false;
  *data = b->buf + b->cap - b->len;
  *size = b->len;
  return true;
}
