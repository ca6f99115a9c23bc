// BPR loss and its gradient at the final embeddings of a batch (see ckernels.h).
#include "ckernels.h"
#include "dispatch.h"

#include <math.h>

static inline float sigmoid(float x) { return 1 / (1 + expf(-x)); }
static inline float softplus(float x) { return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

// The two dot products of one triple: x = <f_u, f_i - f_j> and the squared norms of the three
// layer-0 rows.
static void dots_portable(const float *fu, const float *fi, const float *fj, const float *eu,
                          const float *ei, const float *ej, int d, float *x, float *norms) {
  float s = 0, n = 0;
  for (int c = 0; c < d; c++) {
    s += fu[c] * (fi[c] - fj[c]);
    n += eu[c] * eu[c] + ei[c] * ei[c] + ej[c] * ej[c];
  }
  *x = s;
  *norms = n;
}

static void update_portable(float *gu, float *gi, float *gj, const float *fu, const float *fi,
                            const float *fj, float dx, int d) {
  for (int c = 0; c < d; c++) {
    gu[c] += dx * (fi[c] - fj[c]);
    gi[c] += dx * fu[c];
    gj[c] -= dx * fu[c];
  }
}

#if CRK_X86
#include <immintrin.h>

CRK_AVX2 static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

CRK_AVX2 static void dots_avx2(const float *fu, const float *fi, const float *fj, const float *eu,
                               const float *ei, const float *ej, int d, float *x, float *norms) {
  __m256 s = _mm256_setzero_ps(), n = _mm256_setzero_ps();
  for (int c = 0; c < d; c += 8) {
    const __m256 e1 = _mm256_loadu_ps(eu + c), e2 = _mm256_loadu_ps(ei + c), e3 = _mm256_loadu_ps(ej + c);
    s = _mm256_fmadd_ps(_mm256_loadu_ps(fu + c), _mm256_sub_ps(_mm256_loadu_ps(fi + c), _mm256_loadu_ps(fj + c)), s);
    n = _mm256_fmadd_ps(e1, e1, _mm256_fmadd_ps(e2, e2, _mm256_fmadd_ps(e3, e3, n)));
  }
  *x = hsum(s);
  *norms = hsum(n);
}

CRK_AVX2 static void update_avx2(float *gu, float *gi, float *gj, const float *fu, const float *fi,
                                 const float *fj, float dx, int d) {
  const __m256 w = _mm256_set1_ps(dx);
  for (int c = 0; c < d; c += 8) {
    const __m256 u = _mm256_loadu_ps(fu + c);
    _mm256_storeu_ps(gu + c, _mm256_fmadd_ps(w, _mm256_sub_ps(_mm256_loadu_ps(fi + c), _mm256_loadu_ps(fj + c)),
                                             _mm256_loadu_ps(gu + c)));
    _mm256_storeu_ps(gi + c, _mm256_fmadd_ps(w, u, _mm256_loadu_ps(gi + c)));
    _mm256_storeu_ps(gj + c, _mm256_fnmadd_ps(w, u, _mm256_loadu_ps(gj + c)));
  }
}
#endif

// Triples ahead whose layer-0 rows crk_bpr_triples prefetches: they are random rows of a table
// far larger than the caches, and the loop is otherwise bound by waiting for them.
#define BPR_AHEAD 6

static inline void prefetch_row(const float *row, int d) {
  for (int c = 0; c < d; c += 16) __builtin_prefetch(row + c);
}

double crk_bpr_triples(const float *final, float *grad, float *reg, const float *e0, const int32_t *slot,
                       const int32_t *users, const int32_t *pos, const int32_t *neg, int64_t n,
                       int64_t item_offset, int d, float l2) {
#if CRK_X86
  const int vector = crk_has_avx2() && d % 8 == 0;
#else
  const int vector = 0;
#endif
  double loss = 0;
  for (int64_t t = 0; t < n; t++) {
    if (t + BPR_AHEAD < n) {
      prefetch_row(e0 + (int64_t)users[t + BPR_AHEAD] * d, d);
      prefetch_row(e0 + (item_offset + pos[t + BPR_AHEAD]) * d, d);
      prefetch_row(e0 + (item_offset + neg[t + BPR_AHEAD]) * d, d);
    }
    const int64_t u = users[t], i = item_offset + pos[t], j = item_offset + neg[t];
    const int64_t su = (int64_t)slot[u] * d, si = (int64_t)slot[i] * d, sj = (int64_t)slot[j] * d;
    const float *eu = e0 + u * d, *ei = e0 + i * d, *ej = e0 + j * d;
    float x, norms;
#if CRK_X86
    if (vector)
      dots_avx2(final + su, final + si, final + sj, eu, ei, ej, d, &x, &norms);
    else
#endif
      dots_portable(final + su, final + si, final + sj, eu, ei, ej, d, &x, &norms);
    loss += (double)(softplus(-x) + 0.5f * l2 * norms);
    const float dx = -sigmoid(-x);
#if CRK_X86
    if (vector) {
      update_avx2(grad + su, grad + si, grad + sj, final + su, final + si, final + sj, dx, d);
    } else
#endif
      update_portable(grad + su, grad + si, grad + sj, final + su, final + si, final + sj, dx, d);
    for (int c = 0; c < d; c++) {
      reg[su + c] += eu[c];
      reg[si + c] += ei[c];
      reg[sj + c] += ej[c];
    }
  }
  return loss;
}
