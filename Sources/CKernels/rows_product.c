// Small dense products for ranking layers: rows times a row-major matrix; see ckernels.h.
#include "ckernels.h"
#include "dispatch.h"

#include <math.h>

// One output element, the order every path follows: fused multiply-adds over d from zero,
// then the bias.
static inline float element(const float *x, int64_t w, const float *b, int64_t n, int64_t j, const float *bias) {
  float acc = 0;
  for (int64_t d = 0; d < w; d++) acc = fmaf(x[d], b[d * n + j], acc);
  return bias ? acc + bias[j] : acc;
}

static void rows_product_portable(const float *x, int64_t m, int64_t ldx, int64_t w, const float *b, int64_t n,
                                  const float *bias, float *out, int64_t ldo) {
  for (int64_t r = 0; r < m; r++)
    for (int64_t j = 0; j < n; j++) out[r * ldo + j] = element(x + r * ldx, w, b, n, j, bias);
}

#if CRK_X86
#include <immintrin.h>

CRK_AVX2 static inline void store_biased(float *dst, __m256 acc, const float *bias) {
  _mm256_storeu_ps(dst, bias ? _mm256_add_ps(acc, _mm256_loadu_ps(bias)) : acc);
}

// Panels of 16 columns (kept in L1 across the rows) times tiles of 4 rows: 8 accumulators,
// each column pair of vectors loaded once per d for 4 rows.
CRK_AVX2 static void rows_product_avx2(const float *x, int64_t m, int64_t ldx, int64_t w, const float *b, int64_t n,
                                       const float *bias, float *out, int64_t ldo) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const float *bj = bias ? bias + j : NULL;
    int64_t r = 0;
    for (; r + 4 <= m; r += 4) {
      __m256 acc[4][2];
      for (int i = 0; i < 4; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
      const float *xr = x + r * ldx;
      for (int64_t d = 0; d < w; d++) {
        const __m256 b0 = _mm256_loadu_ps(b + d * n + j);
        const __m256 b1 = _mm256_loadu_ps(b + d * n + j + 8);
        for (int i = 0; i < 4; i++) {
          const __m256 v = _mm256_broadcast_ss(xr + i * ldx + d);
          acc[i][0] = _mm256_fmadd_ps(v, b0, acc[i][0]);
          acc[i][1] = _mm256_fmadd_ps(v, b1, acc[i][1]);
        }
      }
      for (int i = 0; i < 4; i++) {
        float *o = out + (r + i) * ldo + j;
        store_biased(o, acc[i][0], bj);
        store_biased(o + 8, acc[i][1], bj ? bj + 8 : NULL);
      }
    }
    for (; r < m; r++) {
      __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
      const float *xr = x + r * ldx;
      for (int64_t d = 0; d < w; d++) {
        const __m256 v = _mm256_broadcast_ss(xr + d);
        a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(b + d * n + j), a0);
        a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(b + d * n + j + 8), a1);
      }
      store_biased(out + r * ldo + j, a0, bj);
      store_biased(out + r * ldo + j + 8, a1, bj ? bj + 8 : NULL);
    }
  }
  for (; j < n; j++)
    for (int64_t r = 0; r < m; r++) out[r * ldo + j] = element(x + r * ldx, w, b, n, j, bias);
}
#endif

void crk_rows_product(const float *x, int64_t m, int64_t ldx, int64_t w, const float *b, int64_t n,
                      const float *bias, float *out, int64_t ldo) {
#if CRK_X86
  if (crk_has_avx2()) {
    rows_product_avx2(x, m, ldx, w, b, n, bias, out, ldo);
    return;
  }
#endif
  rows_product_portable(x, m, ldx, w, b, n, bias, out, ldo);
}
