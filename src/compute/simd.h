/*
 * simd.h - which vector instructions this CPU has, for the kernels that pick at run time
 * (private to the library): hash_simd.c and scatter.c compile their AVX-512 loops on their
 * own (the target attribute) for a library built for plain x86-64, and take them only
 * where cy_cpu_avx512() says yes.
 */
#ifndef CYLON_COMPUTE_SIMD_H
#define CYLON_COMPUTE_SIMD_H

#include <stdbool.h>

/* Compilers whose target attribute and intrinsics the AVX-512 kernels need. */
#if defined(__x86_64__) && ((defined(__clang__) && __clang_major__ >= 7) || \
                            (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 8))
#define CY_SIMD_X86 1
#endif

/* Whether this CPU, and its OS (which must save the wide registers), runs AVX-512 F, DQ,
 * BW and VL (every AVX-512 CPU since Skylake-X has all four). Asked once. */
bool cy_cpu_avx512(void);

/* For tests: take the portable loops only (true), or whatever the CPU has again (false). */
void cy_simd_portable_only(bool portable);

#endif
