// Scores from bit-plane codes (HQ-GNN retrieval); see PackedCodes.swift for the layout.
// query: [bits][wpp] words; items: [n][bits][wpp]; out: [n].
#include "ckernels.h"
#include "code_score.h"
#include "dispatch.h"

// The scoring loop; inlined into a plain and a popcnt-enabled wrapper.
static inline __attribute__((always_inline)) void scores_body(const uint64_t *query, float query_step,
                                                              int32_t query_sum, const uint64_t *items,
                                                              const float *steps, const int32_t *sums,
                                                              int64_t n, int bits, int wpp, int d, float *out) {
  const int row = bits * wpp;
  for (int64_t i = 0; i < n; i++)
    out[i] = crk_code_score(query, query_step, query_sum, items + i * row, steps[i], sums[i], bits, wpp, d);
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
