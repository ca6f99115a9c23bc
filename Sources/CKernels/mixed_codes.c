// Scores between codes of different widths (mixed-width HQ-GNN models); see PackedCodes.swift
// for the bit-plane layout. query: [query_bits][wpp] words; items: [n][item_bits][wpp].
#include "ckernels.h"
#include "code_score.h"
#include "dispatch.h"

// The scoring loop; inlined into a plain and a popcnt-enabled wrapper. The same arithmetic as
// crk_code_score when the widths agree (every term is a multiple of 1/4, exact in double).
static inline __attribute__((always_inline)) void mixed_body(const uint64_t *query, int qbits, float qstep,
                                                             int32_t qsum, const uint64_t *items, int ibits,
                                                             const float *steps, const int32_t *sums, int64_t n,
                                                             int wpp, int d, float *out) {
  const double zq = ((double)(1 << qbits) - 1) / 2;
  const double zi = ((double)(1 << ibits) - 1) / 2;
  const double constant = d * zq * zi - zi * (double)qsum;
  const int row = ibits * wpp;
  for (int64_t i = 0; i < n; i++) {
    const int64_t total = crk_code_product(query, qbits, items + i * row, ibits, wpp);
    const double centered = (double)total - zq * (double)sums[i] + constant;
    out[i] = (float)((double)qstep * steps[i] * centered);
  }
}

static void mixed_portable(const uint64_t *query, int qbits, float qstep, int32_t qsum, const uint64_t *items,
                           int ibits, const float *steps, const int32_t *sums, int64_t n, int wpp, int d,
                           float *out) {
  mixed_body(query, qbits, qstep, qsum, items, ibits, steps, sums, n, wpp, d, out);
}

#if CRK_X86
CRK_AVX2 static void mixed_popcnt(const uint64_t *query, int qbits, float qstep, int32_t qsum,
                                  const uint64_t *items, int ibits, const float *steps, const int32_t *sums,
                                  int64_t n, int wpp, int d, float *out) {
  mixed_body(query, qbits, qstep, qsum, items, ibits, steps, sums, n, wpp, d, out);
}
#endif

void crk_mixed_code_scores(const uint64_t *query, int query_bits, float query_step, int32_t query_sum,
                           const uint64_t *items, int item_bits, const float *steps, const int32_t *sums,
                           int64_t n, int words_per_plane, int d, float *out) {
#if CRK_X86
  if (crk_has_avx2()) {
    mixed_popcnt(query, query_bits, query_step, query_sum, items, item_bits, steps, sums, n, words_per_plane, d,
                 out);
    return;
  }
#endif
  mixed_portable(query, query_bits, query_step, query_sum, items, item_bits, steps, sums, n, words_per_plane, d,
                 out);
}
