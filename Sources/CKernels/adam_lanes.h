// Internal: the arithmetic of one Adam step, shared by crk_adam_update and the propagation
// product's fused epilogue (crk_product.adam) so that both give exactly the same floats.
#ifndef COMPACTREC_ADAM_LANES_H
#define COMPACTREC_ADAM_LANES_H

#include "dispatch.h"

#include <math.h>

// One element: m, v and w updated in place from gradient g; returns the new w.
static inline float crk_adam1(float *w, float g, float *m, float *v, float lr, float b1, float b2, float c1,
                              float c2, float eps, float decay) {
  *m = b1 * *m + (1 - b1) * g;
  *v = b2 * *v + (1 - b2) * g * g;
  *w = *w * decay - lr * (*m / c1) / (sqrtf(*v / c2) + eps);
  return *w;
}

#if CRK_X86
#include <immintrin.h>

// The step's constants, broadcast once per call.
typedef struct {
  __m256 b1, b1c, b2, b2c, ic1, ic2, eps, lr, decay;
} crk_adam8_consts;

CRK_AVX2 static inline crk_adam8_consts crk_adam8_setup(float lr, float b1, float b2, float c1, float c2, float eps,
                                                        float decay) {
  crk_adam8_consts k = {_mm256_set1_ps(b1),     _mm256_set1_ps(1 - b1), _mm256_set1_ps(b2),
                        _mm256_set1_ps(1 - b2), _mm256_set1_ps(1 / c1), _mm256_set1_ps(1 / c2),
                        _mm256_set1_ps(eps),    _mm256_set1_ps(lr),     _mm256_set1_ps(decay)};
  return k;
}

// Eight elements at w, m, v (unaligned), updated in place from gradient g; returns the new w.
CRK_AVX2 static inline __attribute__((always_inline)) __m256 crk_adam8(float *w, __m256 g, float *m, float *v,
                                                                       const crk_adam8_consts *k) {
  const __m256 mi = _mm256_fmadd_ps(k->b1, _mm256_loadu_ps(m), _mm256_mul_ps(k->b1c, g));
  const __m256 vi = _mm256_fmadd_ps(k->b2, _mm256_loadu_ps(v), _mm256_mul_ps(k->b2c, _mm256_mul_ps(g, g)));
  _mm256_storeu_ps(m, mi);
  _mm256_storeu_ps(v, vi);
  const __m256 den = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, k->ic2)), k->eps);
  const __m256 step = _mm256_div_ps(_mm256_mul_ps(k->lr, _mm256_mul_ps(mi, k->ic1)), den);
  const __m256 wi = _mm256_sub_ps(_mm256_mul_ps(_mm256_loadu_ps(w), k->decay), step);
  _mm256_storeu_ps(w, wi);
  return wi;
}
#endif

#endif
