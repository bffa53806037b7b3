/*
 * memory.c - the allocator behind every buffer, with accounting.
 *
 * All buffer memory comes from cy_alloc, which keeps 64-byte alignment (Arrow's
 * recommendation, and what SIMD loads like) and counts bytes in two process-wide atomic
 * counters: current and peak. Counters are the only global state; they need no init.
 *
 * Large blocks (HUGE_BLOCK and up) are mapped directly, aligned to 2 MiB and marked for
 * transparent huge pages: filling a fresh 4 KiB page costs a page fault, and on virtual
 * machines faults dominate the time to fill a big column. Callers pass the block size back
 * on free and resize, which is how we know how a block was made.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_BLOCK ((int64_t)4 << 20)
#define HUGE_PAGE ((int64_t)2 << 20)

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

/* A zero-byte request still returns a distinct, freeable block so callers need no
 * special case. */
void *cy_alloc(int64_t size) {
  if (size < 0) return NULL;
  if (size >= HUGE_BLOCK) {
    void *h = map_huge(size);
    if (h) account(size);
    return h;
  }
  void *p = NULL;
  if (posix_memalign(&p, CY_ALIGNMENT, size > 0 ? (size_t)size : 1) != 0) return NULL;
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
  account(new_size - old_size);
  return p;
}

void cy_free(void *ptr, int64_t size) {
  if (ptr == NULL) return;
  if (size >= HUGE_BLOCK)
    munmap(ptr, (size_t)round_up(size, HUGE_PAGE));
  else
    free(ptr);
  account(-size);
}
