// Adam / AdamW element update; see ckernels.h for the formula and adam_lanes.h for the arithmetic.
#include "adam_lanes.h"
#include "ckernels.h"
#include "dispatch.h"

static void adam_portable(float *w, const float *g, float *m, float *v, int64_t n, float lr, float b1, float b2,
                          float c1, float c2, float eps, float decay) {
  for (int64_t i = 0; i < n; i++) crk_adam1(w + i, g[i], m + i, v + i, lr, b1, b2, c1, c2, eps, decay);
}

#if CRK_X86
CRK_AVX2 static void adam_avx2(float *w, const float *g, float *m, float *v, int64_t n, float lr, float b1, float b2,
                               float c1, float c2, float eps, float decay) {
  const crk_adam8_consts k = crk_adam8_setup(lr, b1, b2, c1, c2, eps, decay);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) crk_adam8(w + i, _mm256_loadu_ps(g + i), m + i, v + i, &k);
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
