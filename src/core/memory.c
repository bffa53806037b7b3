/*
 * memory.c - the allocator behind every buffer, with accounting.
 *
 * All buffer memory comes from cy_alloc, which keeps 64-byte alignment (Arrow's
 * recommendation, and what SIMD loads like) and counts bytes in two process-wide atomic
 * counters: current and peak. Those and the kept blocks below are the only global state;
 * none needs an init.
 *
 * Large blocks (HUGE_BLOCK and up) are mapped directly, aligned to 2 MiB and marked for
 * transparent huge pages: filling a fresh 4 KiB page costs a page fault, and on virtual
 * machines faults dominate the time to fill a big column. Callers pass the block size back
 * on free and resize, which is how we know how a block was made.
 *
 * Freed large blocks are kept (up to KEEP_BYTES in all) and handed out again: a fresh
 * mapping is zeroed page by page by the kernel on first touch, and on a virtual machine
 * that returns freed memory to its host each first touch is a slow host fault too. A
 * profile of the shuffle had half its time in the kernel's clear_page; operators that
 * run one after another (the shuffles of a join, chunk after chunk of a send) allocate
 * blocks of the same sizes again and again, which the kept blocks serve. A kept block is
 * NOT zeroed again: cy_alloc never promised zeroes (cy_buffer_alloc_zeroed memsets). With
 * CYLON_MEMORY_AUDIT=1 in the environment every block cy_alloc hands out (and every byte a
 * resize adds) is filled with garbage, so that tests catch code relying on zeroes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_BLOCK ((int64_t)4 << 20)
#define HUGE_PAGE ((int64_t)2 << 20)
#define KEEP_BYTES ((int64_t)1 << 30)
#define KEEP_BLOCKS 64

#include "cylon/core.h"

#define CY_ALIGNMENT 64

static _Atomic int64_t g_current;
static _Atomic int64_t g_peak;

static void account(int64_t delta) {
  int64_t now = atomic_fetch_add_explicit(&g_current, delta, memory_order_relaxed) + delta;
  if (delta <= 0) return;
  int64_t peak = atomic_load_explicit(&g_peak, memory_order_relaxed);
  while (now > peak &&
         !atomic_compare_exchange_weak_explicit(&g_peak, &peak, now, memory_order_relaxed,
                                                memory_order_relaxed)) {
  }
}

int64_t cy_memory_current(void) { return atomic_load(&g_current); }
int64_t cy_memory_peak(void) { return atomic_load(&g_peak); }
void cy_memory_reset_peak(void) { atomic_store(&g_peak, atomic_load(&g_current)); }

/* CYLON_MEMORY_AUDIT: -1 not read yet, then 0 or 1. */
static _Atomic int g_audit = -1;

/* Fill [p, p + n) with garbage when auditing. */
static void audit_fill(void *p, int64_t n) {
  int a = atomic_load_explicit(&g_audit, memory_order_relaxed);
  if (a < 0) {
    const char *e = getenv("CYLON_MEMORY_AUDIT");
    a = e != NULL && e[0] != 0 && strcmp(e, "0") != 0;
    atomic_store_explicit(&g_audit, a, memory_order_relaxed);
  }
  if (a && p != NULL && n > 0) memset(p, 0xA5, (size_t)n);
}

static int64_t round_up(int64_t n, int64_t to) { return (n + to - 1) / to * to; }

/* Map size bytes at a 2 MiB boundary: over-map by one huge page, trim both ends. */
static void *map_huge(int64_t size) {
  int64_t len = round_up(size, HUGE_PAGE);
  char *raw = mmap(NULL, (size_t)(len + HUGE_PAGE), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return NULL;
  char *p = (char *)round_up((int64_t)(uintptr_t)raw, HUGE_PAGE);
  if (p > raw) munmap(raw, (size_t)(p - raw));
  char *end = raw + len + HUGE_PAGE;
  if (end > p + len) munmap(p + len, (size_t)(end - (p + len)));
  madvise(p, (size_t)len, MADV_HUGEPAGE);
  return p;
}

/* Freed large blocks kept for reuse: 2 MiB aligned, lengths multiples of 2 MiB. */
static pthread_mutex_t g_keep_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept_block { char *p; int64_t len; } g_keep[KEEP_BLOCKS];
static int g_nkeep;
static int64_t g_keep_bytes;

/* Keep [p, p + len) for reuse, or unmap it when the store is full (lock held). */
static void keep_or_unmap(char *p, int64_t len) {
  if (len >= HUGE_BLOCK && g_nkeep < KEEP_BLOCKS && g_keep_bytes + len <= KEEP_BYTES) {
    g_keep[g_nkeep++] = (struct kept_block){p, len};
    g_keep_bytes += len;
  } else {
    munmap(p, (size_t)len);
  }
}

/* The smallest kept block of at least len bytes, cut to len (the rest kept), or NULL. */
static void *take_kept(int64_t len) {
  pthread_mutex_lock(&g_keep_lock);
  int best = -1;
  for (int i = 0; i < g_nkeep; i++)
    if (g_keep[i].len >= len && (best < 0 || g_keep[i].len < g_keep[best].len)) best = i;
  char *p = NULL;
  if (best >= 0) {
    struct kept_block b = g_keep[best];
    g_keep[best] = g_keep[--g_nkeep];
    g_keep_bytes -= b.len;
    p = b.p;
    if (b.len > len) keep_or_unmap(b.p + len, b.len - len);
  }
  pthread_mutex_unlock(&g_keep_lock);
  return p;
}

/* A fork (cy_launch forks its workers) must not leave the child a lock held by a thread
 * it does not have. */
static void keep_lock(void) { pthread_mutex_lock(&g_keep_lock); }
static void keep_unlock(void) { pthread_mutex_unlock(&g_keep_lock); }
static pthread_once_t g_atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void) { pthread_atfork(keep_lock, keep_unlock, keep_unlock); }

static void free_huge(void *ptr, int64_t size) {
  pthread_once(&g_atfork_once, register_atfork);
  pthread_mutex_lock(&g_keep_lock);
  keep_or_unmap(ptr, round_up(size, HUGE_PAGE));
  pthread_mutex_unlock(&g_keep_lock);
}

/* A zero-byte request still returns a distinct, freeable block so callers need no
 * special case. */
void *cy_alloc(int64_t size) {
  if (size < 0) return NULL;
  if (size >= HUGE_BLOCK) {
    void *h = take_kept(round_up(size, HUGE_PAGE));
    if (h == NULL) h = map_huge(size);
    audit_fill(h, size);
    if (h) account(size);
    return h;
  }
  void *p = NULL;
  if (posix_memalign(&p, CY_ALIGNMENT, size > 0 ? (size_t)size : 1) != 0) return NULL;
  audit_fill(p, size);
  account(size);
  return p;
}

void *cy_realloc(void *ptr, int64_t old_size, int64_t new_size) {
  if (ptr == NULL) return cy_alloc(new_size);
  if (new_size < 0) return NULL;
  if (old_size >= HUGE_BLOCK && new_size >= HUGE_BLOCK) {
    /* Page tables move, bytes do not. */
    int64_t old_len = round_up(old_size, HUGE_PAGE), new_len = round_up(new_size, HUGE_PAGE);
    void *p = old_len == new_len ? ptr : mremap(ptr, (size_t)old_len, (size_t)new_len, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) return NULL;
    if (new_size > old_size) audit_fill((char *)p + old_size, new_size - old_size);
    account(new_size - old_size);
    return p;
  }
  if (old_size >= HUGE_BLOCK || new_size >= HUGE_BLOCK) {
    void *p = cy_alloc(new_size);
    if (p == NULL) return NULL;
    memcpy(p, ptr, (size_t)(old_size < new_size ? old_size : new_size));
    cy_free(ptr, old_size);
    return p;
  }
  /* realloc keeps large (mmap-backed) blocks page aligned via mremap, which avoids a
   * copy; small blocks may come back misaligned, and then we copy into an aligned one. */
  void *p = realloc(ptr, new_size > 0 ? (size_t)new_size : 1);
  if (p == NULL) return NULL;
  if (((uintptr_t)p % CY_ALIGNMENT) != 0) {
    void *q = NULL;
    /* Under memory pressure keep the misaligned block rather than lose the data:
     * alignment is a recommendation of the Arrow format, not a requirement. */
    if (posix_memalign(&q, CY_ALIGNMENT, new_size > 0 ? (size_t)new_size : 1) == 0) {
      memcpy(q, p, (size_t)(old_size < new_size ? old_size : new_size));
      free(p);
      p = q;
    }
  }
  if (new_size > old_size) audit_fill((char *)p + old_size, new_size - old_size);
  account(new_size - old_size);
  return p;
}

void cy_free(void *ptr, int64_t size) {
  if (ptr == NULL) return;
  if (size >= HUGE_BLOCK)
    free_huge(ptr, size);
  else
    free(ptr);
  account(-size);
}
