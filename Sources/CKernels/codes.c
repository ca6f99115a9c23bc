// Scores from bit-plane codes (HQ-GNN retrieval); see PackedCodes.swift for the layout.
// query: [bits][wpp] words; items: [n][bits][wpp]; out: [n].
#include "ckernels.h"
#include "dispatch.h"

// The scoring loops; inlined into a plain and a popcnt-enabled wrapper.
static inline __attribute__((always_inline)) void scores_body(const uint64_t *query, float query_step,
                                                              int32_t query_sum, const uint64_t *items,
                                                              const float *steps, const int32_t *sums,
                                                              int64_t n, int bits, int wpp, int d, float *out) {
  const double z = ((double)(1 << bits) - 1) / 2;
  const int row = bits * wpp;
  if (bits == 1) {
    for (int64_t i = 0; i < n; i++) {
      int64_t diff = 0;
      for (int w = 0; w < wpp; w++) diff += __builtin_popcountll(query[w] ^ items[i * row + w]);
      out[i] = (float)((double)query_step * steps[i] * (double)(d - 2 * diff) / 4);
    }
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    const uint64_t *b = items + i * row;
    int64_t total = 0;
    for (int p = 0; p < bits; p++)
      for (int q = 0; q < bits; q++) {
        int64_t count = 0;
        for (int w = 0; w < wpp; w++) count += __builtin_popcountll(query[p * wpp + w] & b[q * wpp + w]);
        total += count << (p + q);
      }
    const double centered = (double)total - z * (double)(query_sum + sums[i]) + d * z * z;
    out[i] = (float)((double)query_step * steps[i] * centered);
  }
}

static void scores_portable(const uint64_t *query, float query_step, int32_t query_sum, const uint64_t *items,
                            const float *steps, const int32_t *sums, int64_t n, int bits, int wpp, int d,
                            float *out) {
  scores_body(query, query_step, query_sum, items, steps, sums, n, bits, wpp, d, out);
}

#if CRK_X86
CRK_AVX2 static void scores_popcnt(const uint64_t *query, float query_step, int32_t query_sum,
                                   const uint64_t *items, const float *steps, const int32_t *sums, int64_t n,
                                   int bits, int wpp, int d, float *out) {
  scores_body(query, query_step, query_sum, items, steps, sums, n, bits, wpp, d, out);
}
#endif

void crk_code_scores(const uint64_t *query, float query_step, int32_t query_sum, const uint64_t *items,
                     const float *steps, const int32_t *sums, int64_t n, int bits, int words_per_plane, int d,
                     float *out) {
#if CRK_X86
  if (crk_has_avx2()) {
    scores_popcnt(query, query_step, query_sum, items, steps, sums, n, bits, words_per_plane, d, out);
    return;
  }
#endif
  scores_portable(query, query_step, query_sum, items, steps, sums, n, bits, words_per_plane, d, out);
}
