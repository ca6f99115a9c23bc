// Adam / AdamW element update; see ckernels.h for the formula.
#include "ckernels.h"
#include "dispatch.h"

#include <math.h>

static void adam_portable(float *w, const float *g, float *m, float *v, int64_t n, float lr,
                          float b1, float b2, float c1, float c2, float eps, float decay) {
  for (int64_t i = 0; i < n; i++) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    w[i] = w[i] * decay - lr * (m[i] / c1) / (sqrtf(v[i] / c2) + eps);
  }
}

#if CRK_X86
#include <immintrin.h>
CRK_AVX2 static void adam_avx2(float *w, const float *g, float *m, float *v, int64_t n, float lr,
                               float b1, float b2, float c1, float c2, float eps, float decay) {
  const __m256 vb1 = _mm256_set1_ps(b1), vb1c = _mm256_set1_ps(1 - b1);
  const __m256 vb2 = _mm256_set1_ps(b2), vb2c = _mm256_set1_ps(1 - b2);
  const __m256 ic1 = _mm256_set1_ps(1 / c1), ic2 = _mm256_set1_ps(1 / c2);
  const __m256 veps = _mm256_set1_ps(eps), vlr = _mm256_set1_ps(lr), vdec = _mm256_set1_ps(decay);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 gi = _mm256_loadu_ps(g + i);
    __m256 mi = _mm256_fmadd_ps(vb1, _mm256_loadu_ps(m + i), _mm256_mul_ps(vb1c, gi));
    __m256 vi = _mm256_fmadd_ps(vb2, _mm256_loadu_ps(v + i), _mm256_mul_ps(vb2c, _mm256_mul_ps(gi, gi)));
    _mm256_storeu_ps(m + i, mi);
    _mm256_storeu_ps(v + i, vi);
    __m256 den = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, ic2)), veps);
    __m256 step = _mm256_div_ps(_mm256_mul_ps(vlr, _mm256_mul_ps(mi, ic1)), den);
    _mm256_storeu_ps(w + i, _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(w + i), vdec), step));
  }
  adam_portable(w + i, g + i, m + i, v + i, n - i, lr, b1, b2, c1, c2, eps, decay);
}
#endif

void crk_adam_update(float *w, const float *g, float *m, float *v, int64_t n, float lr, float b1,
                     float b2, float c1, float c2, float eps, float decay) {
#if CRK_X86
  if (crk_has_avx2()) {
    adam_avx2(w, g, m, v, n, lr, b1, b2, c1, c2, eps, decay);
    return;
  }
#endif
  adam_portable(w, g, m, v, n, lr, b1, b2, c1, c2, eps, decay);
}
