/*
 * simd.c - the run-time CPU check behind simd.h.
 */
#include "compute/simd.h"

#include <stdatomic.h>

static _Atomic int avx512 = -1; /* -1: not asked yet; every thread finds the same answer */

bool cy_cpu_avx512(void) {
  int ok = avx512;
  if (ok < 0) {
#ifdef CY_SIMD_X86
    __builtin_cpu_init(); /* a no-op once done; needed only before constructors have run */
    ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
    ok = 0;
#endif
    avx512 = ok;
  }
  return ok != 0;
}

void cy_simd_portable_only(bool portable) { avx512 = portable ? 0 : -1; }
