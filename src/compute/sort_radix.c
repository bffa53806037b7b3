/*
 * sort_radix.c - a stable radix sort of 64-bit keys, optionally carrying row numbers.
 *
 * The sort is most-significant-digit first at the top and least-significant-digit first
 * at the bottom: an MSD pass of 8 bits splits a large array into 256 buckets that each
 * fit in the core's cache, and each bucket is then finished by LSD passes of up to 10
 * bits (every pass stable, so the bucket ends sorted by all its bits) or, when tiny, by
 * insertion sort. One memory-wide pass plus in-cache passes beats a sequence of LSD
 * passes over the whole array, each of which would stream it through memory.
 *
 * A pass whose digit is the same for every key (common: keys are normalised to the range
 * their values span, but a skewed distribution can still leave a constant digit) is
 * skipped. Every level ping-pongs between the array and its scratch; `to_tmp` tells a
 * level which of the two must hold its result, so nothing is copied back except where an
 * odd number of passes ends on the wrong side.
 *
 * With several threads the top MSD pass is split: each thread counts its share of the
 * array, the counts give every (thread, digit) its own output range, and each thread
 * scatters its share, so the pass stays stable. The buckets are then sorted in parallel,
 * one task each; a bucket holding a large part of the array is split the same way again.
 */
#include <stdlib.h>

#include "compute/sort.h"

#define MSD_BITS 8
#define MSD_BUCKETS (1 << MSD_BITS)
#define LSD_MAX_BITS 10 /* 7 passes of 1024 32-bit counts: 28 KiB of a thread's stack */
#define LSD_MAX_PASSES ((64 + LSD_MAX_BITS - 1) / LSD_MAX_BITS)
#define INSERTION_MAX 32
#define LSD_MAX_N (1 << 16)      /* keys a bucket may have to be finished by LSD passes */
#define PARALLEL_MIN_N (1 << 17) /* below this a split pass is not worth the threads */
#define MAX_THREADS 64

/* Bring (k, r) to (kt, rt), whichever ends up holding a result on the wrong side. */
static void copy_over(const uint64_t *k, uint64_t *kt, const int64_t *r, int64_t *rt,
                      int64_t n) {
  memcpy(kt, k, (size_t)n * sizeof(uint64_t));
  if (r) memcpy(rt, r, (size_t)n * sizeof(int64_t));
}

/* Stable by k >> lo (the bits above are equal in a bucket, those below are not ours). */
static void insertion(uint64_t *k, int64_t *r, int64_t n, int lo) {
  for (int64_t i = 1; i < n; i++) {
    uint64_t x = k[i], kx = x >> lo;
    int64_t rx = r ? r[i] : 0, j = i;
    while (j > 0 && (k[j - 1] >> lo) > kx) {
      k[j] = k[j - 1];
      if (r) r[j] = r[j - 1];
      j--;
    }
    k[j] = x;
    if (r) r[j] = rx;
  }
}

/* Move src to dst stably by the digit at shift (offsets in off, advanced). */
static void scatter(const uint64_t *src, uint64_t *dst, const int64_t *rsrc, int64_t *rdst,
                    int64_t n, int shift, uint64_t mask, int64_t *off) {
  if (rsrc) {
    for (int64_t i = 0; i < n; i++) {
      int64_t p = off[(src[i] >> shift) & mask]++;
      dst[p] = src[i];
      rdst[p] = rsrc[i];
    }
  } else {
    for (int64_t i = 0; i < n; i++) dst[off[(src[i] >> shift) & mask]++] = src[i];
  }
}

/* Turn counts into starting offsets; false when one digit holds all n keys. */
static bool prefix_sum(int64_t *count, int64_t buckets, int64_t n) {
  int64_t sum = 0;
  for (int64_t b = 0; b < buckets; b++) {
    if (count[b] == n) return false;
    int64_t c = count[b];
    count[b] = sum;
    sum += c;
  }
  return true;
}

/* LSD passes over bits [lo, hi) of n < 2^32 keys: every pass's counts come from one read
 * of the keys. */
static void lsd(uint64_t *k, uint64_t *kt, int64_t *r, int64_t *rt, int64_t n, int lo, int hi,
                bool to_tmp) {
  int passes = (hi - lo + LSD_MAX_BITS - 1) / LSD_MAX_BITS;
  int bits = (hi - lo + passes - 1) / passes;
  int64_t buckets = (int64_t)1 << bits;
  uint64_t mask = (uint64_t)buckets - 1;
  uint32_t count[LSD_MAX_PASSES][1 << LSD_MAX_BITS];
  int64_t off[1 << LSD_MAX_BITS];
  for (int p = 0; p < passes; p++) memset(count[p], 0, (size_t)buckets * sizeof(uint32_t));
  for (int64_t i = 0; i < n; i++)
    for (int p = 0; p < passes; p++) count[p][(k[i] >> (lo + p * bits)) & mask]++;
  bool in_tmp = false;
  for (int p = 0; p < passes; p++) {
    for (int64_t b = 0; b < buckets; b++) off[b] = count[p][b];
    if (!prefix_sum(off, buckets, n)) continue;
    if (in_tmp)
      scatter(kt, k, rt, r, n, lo + p * bits, mask, off);
    else
      scatter(k, kt, r, rt, n, lo + p * bits, mask, off);
    in_tmp = !in_tmp;
  }
  if (in_tmp && !to_tmp) copy_over(kt, k, rt, r, n);
  if (!in_tmp && to_tmp) copy_over(k, kt, r, rt, n);
}

static void radix_rec(uint64_t *k, uint64_t *kt, int64_t *r, int64_t *rt, int64_t n, int lo,
                      int hi, bool to_tmp);

/* One MSD pass on the top digit (up to 8 bits) of [lo, hi), then each bucket on the bits
 * below it. */
static void msd(uint64_t *k, uint64_t *kt, int64_t *r, int64_t *rt, int64_t n, int lo, int hi,
                bool to_tmp) {
  int bits = hi - lo < MSD_BITS ? hi - lo : MSD_BITS, shift = hi - bits, buckets = 1 << bits;
  uint64_t mask = (uint64_t)buckets - 1;
  int64_t count[MSD_BUCKETS] = {0};
  for (int64_t i = 0; i < n; i++) count[(k[i] >> shift) & mask]++;
  int64_t start[MSD_BUCKETS + 1];
  memcpy(start, count, sizeof count);
  if (!prefix_sum(start, buckets, n)) { /* one digit: go straight to the next */
    radix_rec(k, kt, r, rt, n, lo, shift, to_tmp);
    return;
  }
  start[buckets] = n;
  int64_t off[MSD_BUCKETS];
  memcpy(off, start, sizeof off);
  scatter(k, kt, r, rt, n, shift, mask, off);
  for (int b = 0; b < buckets; b++) {
    int64_t s = start[b];
    radix_rec(kt + s, k + s, rt ? rt + s : NULL, r ? r + s : NULL, count[b], lo, shift, !to_tmp);
  }
}

static void radix_rec(uint64_t *k, uint64_t *kt, int64_t *r, int64_t *rt, int64_t n, int lo,
                      int hi, bool to_tmp) {
  if (n <= 0) return;
  if (hi <= lo || n == 1) {
    if (to_tmp) copy_over(k, kt, r, rt, n);
  } else if (n <= INSERTION_MAX) {
    insertion(k, r, n, lo);
    if (to_tmp) copy_over(k, kt, r, rt, n);
  } else if (n <= LSD_MAX_N || (hi - lo <= LSD_MAX_BITS && n <= (int64_t)UINT32_MAX)) {
    lsd(k, kt, r, rt, n, lo, hi, to_tmp);
  } else {
    msd(k, kt, r, rt, n, lo, hi, to_tmp);
  }
}

/* ---------------------------------------------------------------------------------------
 * The split top pass
 * ------------------------------------------------------------------------------------- */

typedef struct par_pass {
  uint64_t *k, *kt;
  int64_t *r, *rt;
  int64_t n;
  int lo, shift, threads;
  int buckets; /* 1 << the digit's width (at most MSD_BITS) */
  bool to_tmp;
  int64_t count[MAX_THREADS][MSD_BUCKETS]; /* per thread; then its output offsets */
  int64_t start[MSD_BUCKETS + 1];          /* where each bucket begins */
  bool big[MSD_BUCKETS];                   /* left for a split pass of its own */
} par_pass;

static int64_t share_begin(const par_pass *p, int64_t t) { return p->n * t / p->threads; }

static cy_status par_count(void *ctx, int64_t t, cy_error *err) {
  par_pass *p = ctx;
  int64_t *count = p->count[t];
  memset(count, 0, MSD_BUCKETS * sizeof(int64_t));
  for (int64_t i = share_begin(p, t); i < share_begin(p, t + 1); i++)
    count[(p->k[i] >> p->shift) & (uint64_t)(p->buckets - 1)]++;
  return CY_OK;
}

static cy_status par_scatter(void *ctx, int64_t t, cy_error *err) {
  par_pass *p = ctx;
  int64_t b = share_begin(p, t), e = share_begin(p, t + 1);
  scatter(p->k + b, p->kt, p->r ? p->r + b : NULL, p->rt, e - b, p->shift,
          (uint64_t)(p->buckets - 1), p->count[t]);
  return CY_OK;
}

static cy_status par_bucket(void *ctx, int64_t b, cy_error *err) {
  par_pass *p = ctx;
  if (p->big[b]) return CY_OK;
  int64_t s = p->start[b];
  radix_rec(p->kt + s, p->k + s, p->rt ? p->rt + s : NULL, p->r ? p->r + s : NULL,
            p->start[b + 1] - s, p->lo, p->shift, !p->to_tmp);
  return CY_OK;
}

/* Offsets for every (thread, digit), thread-major within a digit so equal digits keep
 * their order; false when one digit holds every key. */
static bool par_offsets(par_pass *p) {
  int64_t sum = 0;
  for (int b = 0; b < p->buckets; b++) {
    p->start[b] = sum;
    for (int t = 0; t < p->threads; t++) {
      int64_t c = p->count[t][b];
      p->count[t][b] = sum;
      sum += c;
    }
    if (sum - p->start[b] == p->n) return false;
  }
  p->start[p->buckets] = sum;
  return true;
}

static void par_msd(uint64_t *k, uint64_t *kt, int64_t *r, int64_t *rt, int64_t n, int lo,
                    int hi, int threads, bool to_tmp) {
  for (;;) {
    if (threads <= 1 || n < PARALLEL_MIN_N || hi <= lo) {
      radix_rec(k, kt, r, rt, n, lo, hi, to_tmp);
      return;
    }
    par_pass *p = malloc(sizeof *p);
    if (!p) { /* the sort still completes, on one thread */
      radix_rec(k, kt, r, rt, n, lo, hi, to_tmp);
      return;
    }
    int bits = hi - lo < MSD_BITS ? hi - lo : MSD_BITS;
    *p = (par_pass){.k = k, .kt = kt, .r = r, .rt = rt, .n = n, .lo = lo, .shift = hi - bits,
                    .threads = threads, .buckets = 1 << bits, .to_tmp = to_tmp};
    cy_parallel_for_n(threads, threads, par_count, p, NULL);
    if (par_offsets(p)) {
      cy_parallel_for_n(threads, threads, par_scatter, p, NULL);
      /* A bucket of a large share of the rows would keep one thread busy alone. */
      for (int b = 0; b < p->buckets; b++)
        p->big[b] = p->start[b + 1] - p->start[b] > n / 4 &&
                    p->start[b + 1] - p->start[b] >= PARALLEL_MIN_N;
      cy_parallel_for_n(p->buckets, threads, par_bucket, p, NULL);
      for (int b = 0; b < p->buckets; b++) {
        int64_t s = p->start[b];
        if (p->big[b])
          par_msd(kt + s, k + s, rt ? rt + s : NULL, r ? r + s : NULL, p->start[b + 1] - s,
                  lo, p->shift, threads, !to_tmp);
      }
      free(p);
      return;
    }
    hi = p->shift; /* every key has the same top digit: split on the next one */
    free(p);
  }
}

void cy_radix_sort(uint64_t *keys, uint64_t *ktmp, int64_t *rows, int64_t *rtmp, int64_t n,
                   int lo, int hi, int threads) {
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  par_msd(keys, ktmp, rows, rtmp, n, lo, hi, threads, false);
}
