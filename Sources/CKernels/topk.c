// Top-k selection with a size-k min-heap; a vector test skips 16-score blocks that cannot
// enter the heap, so the cost is one pass over the scores plus O(m log k) for m insertions.
#include "ckernels.h"
#include "dispatch.h"

#include <math.h>

// Entry a ranks below entry b: lower score, or equal score and higher index.
static inline int below(const float *v, const int32_t *ix, int a, int b) {
  return v[a] < v[b] || (v[a] == v[b] && ix[a] > ix[b]);
}

static inline void swap_entries(float *v, int32_t *ix, int a, int b) {
  float tv = v[a]; v[a] = v[b]; v[b] = tv;
  int32_t ti = ix[a]; ix[a] = ix[b]; ix[b] = ti;
}

static inline void sift_down(float *v, int32_t *ix, int p, int end) {
  for (;;) {
    int l = 2 * p + 1;
    if (l >= end) return;
    int m = (l + 1 < end && below(v, ix, l + 1, l)) ? l + 1 : l;
    if (!below(v, ix, m, p)) return;
    swap_entries(v, ix, m, p);
    p = m;
  }
}

void crk_heap_offer(crk_heap *h, float s, int32_t i) {
  if (h->count < h->capacity) {
    int c = h->count++;
    h->val[c] = s;
    h->idx[c] = i;
    while (c > 0) {
      int p = (c - 1) >> 1;
      if (!below(h->val, h->idx, c, p)) break;
      swap_entries(h->val, h->idx, c, p);
      c = p;
    }
  } else {
    if (s < h->val[0] || (s == h->val[0] && i > h->idx[0])) return;
    h->val[0] = s;
    h->idx[0] = i;
    sift_down(h->val, h->idx, 0, h->count);
  }
}

int crk_heap_finish(crk_heap *h) {
  for (int end = h->count; end > 1; end--) {
    swap_entries(h->val, h->idx, 0, end - 1);
    sift_down(h->val, h->idx, 0, end - 1);
  }
  return h->count;
}

static int select_portable(const float *s, int64_t n, int k, int32_t *idx, float *val) {
  crk_heap h = {val, idx, 0, k};
  float t = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    if (s[i] > t) {
      crk_heap_offer(&h, s[i], (int32_t)i);
      t = crk_heap_threshold(&h);
    }
  }
  return crk_heap_finish(&h);
}

#if CRK_X86
#include <immintrin.h>
CRK_AVX2 static int select_avx2(const float *s, int64_t n, int k, int32_t *idx, float *val) {
  crk_heap h = {val, idx, 0, k};
  float t = -INFINITY;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 tv = _mm256_set1_ps(t);
    __m256 a = _mm256_loadu_ps(s + i), b = _mm256_loadu_ps(s + i + 8);
    int mask = _mm256_movemask_ps(_mm256_cmp_ps(a, tv, _CMP_GT_OQ)) |
               (_mm256_movemask_ps(_mm256_cmp_ps(b, tv, _CMP_GT_OQ)) << 8);
    while (mask) {
      int lane = __builtin_ctz(mask);
      mask &= mask - 1;
      float v = s[i + lane];
      if (v > t) {
        crk_heap_offer(&h, v, (int32_t)(i + lane));
        t = crk_heap_threshold(&h);
      }
    }
  }
  for (; i < n; i++) {
    if (s[i] > t) {
      crk_heap_offer(&h, s[i], (int32_t)i);
      t = crk_heap_threshold(&h);
    }
  }
  return crk_heap_finish(&h);
}
#endif

int crk_topk_select(const float *scores, int64_t n, int k, int32_t *idx, float *val) {
  if (k <= 0) return 0;
#if CRK_X86
  if (crk_has_avx2()) return select_avx2(scores, n, k, idx, val);
#endif
  return select_portable(scores, n, k, idx, val);
}
