/*
 * memory.c - the allocator behind every buffer, with accounting.
 *
 * All buffer memory comes from cy_alloc, which keeps 64-byte alignment (Arrow's
 * recommendation, and what SIMD loads like) and counts bytes in two process-wide atomic
 * counters: current and peak. Counters are the only global state; they need no init.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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

/* A zero-byte request still returns a distinct, freeable block so callers need no
 * special case. */
void *cy_alloc(int64_t size) {
  if (size < 0) return NULL;
  void *p = NULL;
  if (posix_memalign(&p, CY_ALIGNMENT, size > 0 ? (size_t)size : 1) != 0) return NULL;
  account(size);
  return p;
}

void *cy_realloc(void *ptr, int64_t old_size, int64_t new_size) {
  if (ptr == NULL) return cy_alloc(new_size);
  if (new_size < 0) return NULL;
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
  free(ptr);
  account(-size);
}
