/*
 * format_float.c - the shortest text that reads back to the same float64 or float32.
 *
 * A binary float v stands for every real number that rounds to it: the interval between
 * the midpoints to its neighbours (the midpoints themselves belong to v when its
 * significand is even, since ties round to even). The shortest round-trip text is the
 * decimal with the fewest significant digits inside that interval, the one nearest to v
 * when there are several.
 *
 * We find it with Ryu (Ulf Adams, "Ryu: fast float-to-string conversion", PLDI 2018):
 * scale v and the two interval ends by a power of ten chosen so that the results are
 * integers of about 17 digits (one 64x128-bit multiplication each, with 2^k / 5^q or 5^i
 * from format_float_tables.h, precise enough that the floors are exact), then drop decimal
 * digits from all three at once for as long as the interval still holds a shorter number.
 * Exactness flags track whether the dropped digits were all zero, which decides ties and
 * whether an end of the interval may itself be the answer. float32 runs through the same
 * code: its significands are smaller, so the double tables are more than precise enough.
 *
 * Integers below 2^53 skip all that: their own digits are the shortest text.
 *
 * The digits and exponent are then laid out as Python's repr() and DuckDB do (see
 * text_format.h).
 */
#include <string.h>

#include "core/format_float_tables.h"
#include "core/text_format.h"

/* A decimal number digits * 10^exponent. */
typedef struct decimal {
  uint64_t digits;
  int32_t exponent;
} decimal;

/* floor(e * log10(2)) for 0 <= e <= 1650. */
static inline int32_t log10_pow2(int32_t e) { return (int32_t)(((uint64_t)e * 78913u) >> 18); }
/* floor(e * log10(5)) for 0 <= e <= 2620. */
static inline int32_t log10_pow5(int32_t e) { return (int32_t)(((uint64_t)e * 732923u) >> 20); }
/* Number of bits of 5^e, for 0 <= e <= 3528. */
static inline int32_t pow5_bits(int32_t e) {
  return (int32_t)(((uint64_t)e * 1217359u) >> 19) + 1;
}

/* True when 5^p divides v (v > 0). */
static bool multiple_of_pow5(uint64_t v, int32_t p) {
  int32_t count = 0;
  while (count < p && v % 5 == 0) {
    v /= 5;
    count++;
  }
  return count >= p;
}

/* True when 2^p divides v (v > 0). */
static bool multiple_of_pow2(uint64_t v, int32_t p) {
  return p < 64 && (v & ((UINT64_C(1) << p) - 1)) == 0;
}

/* floor(m * mul / 2^shift) for a 128-bit mul and shift >= 64. The low 64 bits of m * lo
 * only ever carry into bits the shift discards, so dropping them is exact. */
static inline uint64_t mul_shift(uint64_t m, const uint64_t mul[2], int32_t shift) {
  unsigned __int128 low = (unsigned __int128)m * mul[0];
  unsigned __int128 high = (unsigned __int128)m * mul[1];
  return (uint64_t)(((low >> 64) + high) >> (shift - 64));
}

/*
 * The shortest decimal in the rounding interval of m2 * 2^e2 (m2 > 0). mm_shift is 1 when
 * the next lower float is as far away as the next higher one, 0 when it is half as far
 * (m2 is a power of two at the bottom of its binade, not the smallest normal).
 *
 * Everything is scaled by 4 so that the interval ends are integers: the value is mv, the
 * ends are mm and mp (units of 2^(e2-2)). vr, vm and vp are those divided by 10^e10.
 */
static decimal shortest(uint64_t m2, int32_t e2, uint32_t mm_shift) {
  e2 -= 2;
  const bool accept_bounds = (m2 & 1) == 0;
  const uint64_t mv = 4 * m2, mp = mv + 2, mm = mv - 1 - mm_shift;
  uint64_t vr, vp, vm;
  int32_t e10;
  bool vm_exact = false, vr_exact = false;
  if (e2 >= 0) {
    /* Divide by 10^q = 2^q 5^q: multiply by 2^k / 5^q, shift right by k + q - e2. One
     * digit fewer than the maximum is removed so the first dropped digit is in reach of
     * the loop below. */
    int32_t q = log10_pow2(e2) - (e2 > 3);
    e10 = q;
    int32_t shift = POW5_INV_BITS + pow5_bits(q) - 1 + q - e2;
    vr = mul_shift(mv, POW5_INV[q], shift);
    vp = mul_shift(mp, POW5_INV[q], shift);
    vm = mul_shift(mm, POW5_INV[q], shift);
    /* x * 2^e2 / 10^q is an integer exactly when 5^q divides x (e2 >= q). */
    vr_exact = multiple_of_pow5(mv, q);
    vm_exact = accept_bounds && multiple_of_pow5(mm, q);
    if (!accept_bounds && multiple_of_pow5(mp, q)) vp--; /* mp itself is excluded */
  } else {
    /* Multiply by 10^-e10 = 5^i 2^i with i = -e2 - q: by 5^i from the table, then shift
     * right by q (less the table's own scaling). */
    int32_t q = log10_pow5(-e2) - (-e2 > 1);
    e10 = q + e2;
    int32_t i = -e2 - q;
    int32_t shift = q - (pow5_bits(i) - POW5_BITS);
    vr = mul_shift(mv, POW5[i], shift);
    vp = mul_shift(mp, POW5[i], shift);
    vm = mul_shift(mm, POW5[i], shift);
    /* x * 5^i / 2^q is an integer exactly when 2^q divides x. */
    vr_exact = multiple_of_pow2(mv, q);
    vm_exact = accept_bounds && multiple_of_pow2(mm, q);
    if (!accept_bounds && multiple_of_pow2(mp, q)) vp--;
  }

  int32_t removed = 0;
  uint64_t output;
  if (vm_exact || vr_exact) {
    /* Rare general case: track whether dropped digits were all zero. */
    uint32_t last = 0;
    while (vp / 10 > vm / 10) {
      vm_exact &= vm % 10 == 0;
      vr_exact &= last == 0;
      last = (uint32_t)(vr % 10);
      vr /= 10;
      vp /= 10;
      vm /= 10;
      removed++;
    }
    /* The lower end is a valid, exact candidate: strip its zeros too. */
    while (vm_exact && vm % 10 == 0) {
      vr_exact &= last == 0;
      last = (uint32_t)(vr % 10);
      vr /= 10;
      vp /= 10;
      vm /= 10;
      removed++;
    }
    if (vr_exact && last == 5 && vr % 2 == 0) last = 4; /* exact tie: round to even */
    bool below = vr == vm && (!accept_bounds || !vm_exact);
    output = vr + (below || last >= 5);
  } else {
    /* Common case: something non-zero was dropped below the first scaled digit. */
    bool round_up = false;
    /* Four digits at a time while a multiple of 10^4 is in range (short decimals such as
     * 0.1 lose about 15), then one at a time. Only the most significant dropped digits
     * decide rounding, since what lies below them is neither zero nor a tie. */
    while (vp / 10000 > vm / 10000) {
      round_up = vr % 10000 >= 5000;
      vr /= 10000;
      vp /= 10000;
      vm /= 10000;
      removed += 4;
    }
    while (vp / 10 > vm / 10) {
      round_up = vr % 10 >= 5;
      vr /= 10;
      vp /= 10;
      vm /= 10;
      removed++;
    }
    output = vr + (vr == vm || round_up);
  }
  decimal d = {output, e10 + removed};
  return d;
}

/* Lay out digits * 10^exponent as repr() does; returns bytes written after out. */
static int layout(char *out, bool negative, decimal d) {
  char digits[24];
  int n = cy_format_uint64(d.digits, digits);
  int e = d.exponent + n - 1; /* exponent of the first digit */
  char *p = out;
  if (negative) *p++ = '-';
  if (e >= -4 && e < 16) {
    if (e < 0) {
      *p++ = '0';
      *p++ = '.';
      memset(p, '0', (size_t)(-e - 1));
      p += -e - 1;
      memcpy(p, digits, (size_t)n);
      p += n;
    } else if (n <= e + 1) {
      memcpy(p, digits, (size_t)n);
      p += n;
      memset(p, '0', (size_t)(e + 1 - n));
      p += e + 1 - n;
      *p++ = '.';
      *p++ = '0';
    } else {
      memcpy(p, digits, (size_t)(e + 1));
      p += e + 1;
      *p++ = '.';
      memcpy(p, digits + e + 1, (size_t)(n - e - 1));
      p += n - e - 1;
    }
    return (int)(p - out);
  }
  *p++ = digits[0];
  if (n > 1) {
    *p++ = '.';
    memcpy(p, digits + 1, (size_t)(n - 1));
    p += n - 1;
  }
  *p++ = 'e';
  *p++ = e < 0 ? '-' : '+';
  int a = e < 0 ? -e : e;
  if (a >= 100) *p++ = (char)('0' + a / 100);
  *p++ = (char)('0' + a / 10 % 10);
  *p++ = (char)('0' + a % 10);
  return (int)(p - out);
}

static int special(char *out, bool negative, bool nan, bool zero) {
  const char *s = nan ? "nan" : zero ? (negative ? "-0.0" : "0.0") : (negative ? "-inf" : "inf");
  size_t n = strlen(s);
  memcpy(out, s, n);
  return (int)n;
}

/* An integer below 2^53 in magnitude: its digits without trailing zeros are shortest. */
static decimal integer_decimal(uint64_t v) {
  decimal d = {v, 0};
  while (d.digits % 10 == 0) {
    d.digits /= 10;
    d.exponent++;
  }
  return d;
}

int cy_format_double(double v, char *out) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  bool negative = bits >> 63;
  uint32_t biased = (uint32_t)(bits >> 52) & 0x7ff;
  uint64_t mantissa = bits & ((UINT64_C(1) << 52) - 1);
  if (biased == 0x7ff) return special(out, negative, mantissa != 0, false);
  if (biased == 0 && mantissa == 0) return special(out, negative, false, true);
  double a = negative ? -v : v;
  if (a < 9007199254740992.0 && a == (double)(uint64_t)a)
    return layout(out, negative, integer_decimal((uint64_t)a));
  decimal d;
  if (biased == 0)
    d = shortest(mantissa, 1 - 1075, 1);
  else
    d = shortest(mantissa | (UINT64_C(1) << 52), (int32_t)biased - 1075,
                 mantissa != 0 || biased <= 1);
  return layout(out, negative, d);
}

int cy_format_float(float v, char *out) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  bool negative = bits >> 31;
  uint32_t biased = (bits >> 23) & 0xff;
  uint32_t mantissa = bits & ((1u << 23) - 1);
  if (biased == 0xff) return special(out, negative, mantissa != 0, false);
  if (biased == 0 && mantissa == 0) return special(out, negative, false, true);
  float a = negative ? -v : v;
  if (a < 16777216.0f && a == (float)(uint32_t)a)
    return layout(out, negative, integer_decimal((uint32_t)a));
  decimal d;
  if (biased == 0)
    d = shortest(mantissa, 1 - 150, 1);
  else
    d = shortest(mantissa | (1u << 23), (int32_t)biased - 150, mantissa != 0 || biased <= 1);
  return layout(out, negative, d);
}
