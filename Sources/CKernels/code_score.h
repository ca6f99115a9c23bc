// Internal: the score of one pair of bit-plane code rows, shared by crk_code_scores and
// crk_code_search so that both give exactly the same float, and the plane product that the
// mixed-width scores (mixed_codes.c) share too.
#ifndef COMPACTREC_CODE_SCORE_H
#define COMPACTREC_CODE_SCORE_H

#include <stdint.h>

// sum_c u_c v_c for a row of a_bits-bit codes and a row of b_bits-bit codes ([bits][wpp]
// words each): sum_{p,q} 2^(p+q) popcount(a_p AND b_q).
static inline __attribute__((always_inline)) int64_t crk_code_product(const uint64_t *a, int a_bits,
                                                                       const uint64_t *b, int b_bits, int wpp) {
  int64_t total = 0;
  for (int p = 0; p < a_bits; p++)
    for (int q = 0; q < b_bits; q++) {
      int64_t count = 0;
      for (int w = 0; w < wpp; w++) count += __builtin_popcountll(a[p * wpp + w] & b[q * wpp + w]);
      total += count << (p + q);
    }
  return total;
}

// Rows are [bits][wpp] words (PackedCodes.swift). score = su * si * (sum_c u_c v_c - z (U + V)
// + d z^2), z = (2^bits - 1) / 2, sum_c u_c v_c = sum_{p,q} 2^(p+q) popcount(a_p AND b_q); at
// 1 bit, su * si * (d - 2 popcount(a XOR b)) / 4. Inlined, so a caller compiled with popcnt
// gets the instruction.
static inline __attribute__((always_inline)) float crk_code_score(const uint64_t *a, float su, int32_t sum_a,
                                                                  const uint64_t *b, float si, int32_t sum_b,
                                                                  int bits, int wpp, int d) {
  if (bits == 1) {
    int64_t diff = 0;
    for (int w = 0; w < wpp; w++) diff += __builtin_popcountll(a[w] ^ b[w]);
    return (float)((double)su * si * (double)(d - 2 * diff) / 4);
  }
  const int64_t total = crk_code_product(a, bits, b, bits, wpp);
  const double z = ((double)(1 << bits) - 1) / 2;
  const double centered = (double)total - z * (double)(sum_a + sum_b) + d * z * z;
  return (float)((double)su * si * centered);
}

#endif
