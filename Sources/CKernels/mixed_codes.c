// Scores between codes of different widths (mixed-width HQ-GNN models); see PackedCodes.swift
// for the bit-plane layout. query: [query_bits][wpp] words; items: [n][item_bits][wpp].
#include "ckernels.h"
#include "code_score.h"
#include "dispatch.h"
#include <stddef.h>

// The scoring loop; inlined into a plain and a popcnt-enabled wrapper. The same arithmetic as
// crk_code_score when the widths agree (every term is a multiple of 1/4, exact in double).
// Writes every score when positions is NULL, else only the scores at or above threshold, with
// their positions; returns how many it wrote.
static inline __attribute__((always_inline)) int64_t mixed_body(const uint64_t *query, int qbits, float qstep,
                                                                int32_t qsum, const uint64_t *items, int ibits,
                                                                const float *steps, const int32_t *sums,
                                                                int64_t n, int wpp, int d, float threshold,
                                                                int32_t *positions, float *out) {
  const double zq = ((double)(1 << qbits) - 1) / 2;
  const double zi = ((double)(1 << ibits) - 1) / 2;
  const double constant = d * zq * zi - zi * (double)qsum;
  const int row = ibits * wpp;
  int64_t count = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t total = crk_code_product(query, qbits, items + i * row, ibits, wpp);
    const double centered = (double)total - zq * (double)sums[i] + constant;
    const float score = (float)((double)qstep * steps[i] * centered);
    if (!positions) {
      out[i] = score;
    } else if (score >= threshold) {
      positions[count] = (int32_t)i;
      out[count++] = score;
    }
  }
  return positions ? count : n;
}

static int64_t mixed_portable(const uint64_t *query, int qbits, float qstep, int32_t qsum, const uint64_t *items,
                              int ibits, const float *steps, const int32_t *sums, int64_t n, int wpp, int d,
                              float threshold, int32_t *positions, float *out) {
  return mixed_body(query, qbits, qstep, qsum, items, ibits, steps, sums, n, wpp, d, threshold, positions, out);
}

#if CRK_X86
CRK_AVX2 static int64_t mixed_popcnt(const uint64_t *query, int qbits, float qstep, int32_t qsum,
                                     const uint64_t *items, int ibits, const float *steps, const int32_t *sums,
                                     int64_t n, int wpp, int d, float threshold, int32_t *positions, float *out) {
  return mixed_body(query, qbits, qstep, qsum, items, ibits, steps, sums, n, wpp, d, threshold, positions, out);
}
#endif

static int64_t mixed(const uint64_t *query, int query_bits, float query_step, int32_t query_sum,
                     const uint64_t *items, int item_bits, const float *steps, const int32_t *sums, int64_t n,
                     int words_per_plane, int d, float threshold, int32_t *positions, float *out) {
#if CRK_X86
  if (crk_has_avx2())
    return mixed_popcnt(query, query_bits, query_step, query_sum, items, item_bits, steps, sums, n,
                        words_per_plane, d, threshold, positions, out);
#endif
  return mixed_portable(query, query_bits, query_step, query_sum, items, item_bits, steps, sums, n,
                        words_per_plane, d, threshold, positions, out);
}

void crk_mixed_code_scores(const uint64_t *query, int query_bits, float query_step, int32_t query_sum,
                           const uint64_t *items, int item_bits, const float *steps, const int32_t *sums,
                           int64_t n, int words_per_plane, int d, float *out) {
  mixed(query, query_bits, query_step, query_sum, items, item_bits, steps, sums, n, words_per_plane, d, 0, NULL,
        out);
}

int64_t crk_mixed_code_candidates(const uint64_t *query, int query_bits, float query_step, int32_t query_sum,
                                  const uint64_t *items, int item_bits, const float *steps, const int32_t *sums,
                                  int64_t n, int words_per_plane, int d, float threshold, int32_t *positions,
                                  float *scores) {
  return mixed(query, query_bits, query_step, query_sum, items, item_bits, steps, sums, n, words_per_plane, d,
               threshold, positions, scores);
}
