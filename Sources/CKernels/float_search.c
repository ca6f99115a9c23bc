// Exact top-k over float embeddings with a norm bound (the FloatSearchIndex kernel).
//
// Score s(u, i) = <u_head, i_head> + <u_tail, i_tail> in a rotated basis where the head
// dimensions carry most of the variance. The head part is computed densely for every item
// (a 6-user x 16-item register-blocked FMA kernel over L2-sized item blocks); the tail part
// is bounded by Cauchy-Schwarz per block, |<u_b, i_b>| <= |u_b| |i_b|, so an item whose
// upper bound head + sum_b |u_b||i_b| (+ a rounding margin) does not beat the user's current
// k-th best exact score cannot enter the top-k and its tail is never read. Candidates get the
// exact tail dot product and go through the same heap as topk.c. Seen items are skipped with
// a per-user cursor (candidates arrive in increasing position order).
#include "ckernels.h"
#include "dispatch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { TILE_USERS = 6, GROUP_TILES = 16, GROUP_USERS = TILE_USERS * GROUP_TILES, BLOCK_TILES = 64 };
static const float kMargin = 1e-5f;  // relative rounding allowance on the bound

typedef struct {
  crk_heap heap;
  float threshold;  // current k-th best exact score, -inf until the heap is full
  int64_t cursor;   // next seen entry not yet passed
} user_state;

static inline void offer(user_state *st, float s, int32_t p, int k) {
  if (!(s > st->threshold)) return;
  crk_heap_offer(&st->heap, s, p);
  if (st->heap.count == k) st->threshold = st->heap.val[0];
}

static inline int is_seen(user_state *st, const int32_t *seen, int64_t end, int32_t p) {
  while (st->cursor < end && seen[st->cursor] < p) st->cursor++;
  return st->cursor < end && seen[st->cursor] == p;
}

static float tail_dot(const float *a, const float *b, int d) {
  float s = 0;
  for (int j = 0; j < d; j++) s += a[j] * b[j];
  return s;
}

// Portable reference: same bound and order, one user and one item at a time.
static int64_t search_portable(const crk_float_index *ix, const float *users, const float *utn,
                            const float *un, int64_t m, const int64_t *so, const int32_t *seen,
                            int k, int32_t *oi, float *ov, int32_t *oc) {
  const int dh = ix->d_head, dt = ix->d_tail, d = dh + dt, R = ix->r_blocks;
  const int64_t npad = ix->n_tiles * 16;
  int64_t scored = 0;
  for (int64_t u = 0; u < m; u++) {
    user_state st = {{ov + u * k, oi + u * k, 0, k}, -INFINITY, so[u]};
    const float *uv = users + u * d;
    for (int64_t p = 0; p < ix->n_items; p++) {
      const float *h = ix->head + (p / 16) * dh * 16 + p % 16;
      float head = 0;
      for (int j = 0; j < dh; j++) head += uv[j] * h[j * 16];
      float bound = kMargin * un[u] * ix->norms[p];
      for (int r = 0; r < R; r++) bound += utn[u * R + r] * ix->tail_norms[r * npad + p];
      if (!(head + bound > st.threshold)) continue;
      if (is_seen(&st, seen, so[u + 1], (int32_t)p)) continue;
      scored++;
      offer(&st, head + tail_dot(uv + dh, ix->tail + p * dt, dt), (int32_t)p, k);
    }
    oc[u] = crk_heap_finish(&st.heap);
  }
  return scored;
}

#if CRK_X86
#include <immintrin.h>

CRK_AVX2 static float tail_dot_avx2(const float *a, const float *b, int d) {
  __m256 acc = _mm256_setzero_ps();
  int j = 0;
  for (; j + 8 <= d; j += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), acc);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  float r = _mm_cvtss_f32(s);
  for (; j < d; j++) r += a[j] * b[j];
  return r;
}

// Head scores of TILE_USERS users (rows of uh, stride d) against one 16-item tile, plus the
// upper bounds; returns per user a 16-bit mask of items whose bound beats the threshold.
CRK_AVX2 static inline void tile_kernel(const float *tile, int dh, const float *uh, int d,
                                        const float *tn, int64_t npad, int R, const float *utn,
                                        const float *inorm, const float *un, const float *thr,
                                        __m256 acc[TILE_USERS][2], int mask[TILE_USERS]) {
  // Twelve named accumulators so the compiler keeps the whole 6 x 16 tile in registers.
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float *u0 = uh, *u1 = uh + d, *u2 = uh + 2 * d, *u3 = uh + 3 * d, *u4 = uh + 4 * d,
              *u5 = uh + 5 * d;
  for (int j = 0; j < dh; j++) {
    const __m256 a0 = _mm256_load_ps(tile + j * 16), a1 = _mm256_load_ps(tile + j * 16 + 8);
    __m256 b;
#define CRK_ROW(U, C0, C1)            \
  b = _mm256_broadcast_ss(U + j);     \
  C0 = _mm256_fmadd_ps(a0, b, C0);    \
  C1 = _mm256_fmadd_ps(a1, b, C1);
    CRK_ROW(u0, c00, c01)
    CRK_ROW(u1, c10, c11)
    CRK_ROW(u2, c20, c21)
    CRK_ROW(u3, c30, c31)
    CRK_ROW(u4, c40, c41)
    CRK_ROW(u5, c50, c51)
#undef CRK_ROW
  }
  acc[0][0] = c00; acc[0][1] = c01; acc[1][0] = c10; acc[1][1] = c11;
  acc[2][0] = c20; acc[2][1] = c21; acc[3][0] = c30; acc[3][1] = c31;
  acc[4][0] = c40; acc[4][1] = c41; acc[5][0] = c50; acc[5][1] = c51;
  __m256 n0 = _mm256_loadu_ps(inorm), n1 = _mm256_loadu_ps(inorm + 8);
  for (int u = 0; u < TILE_USERS; u++) {
    __m256 m = _mm256_set1_ps(kMargin * un[u]);
    __m256 b0 = _mm256_fmadd_ps(n0, m, acc[u][0]), b1 = _mm256_fmadd_ps(n1, m, acc[u][1]);
    for (int r = 0; r < R; r++) {
      __m256 w = _mm256_set1_ps(utn[u * R + r]);
      b0 = _mm256_fmadd_ps(_mm256_loadu_ps(tn + r * npad), w, b0);
      b1 = _mm256_fmadd_ps(_mm256_loadu_ps(tn + r * npad + 8), w, b1);
    }
    __m256 t = _mm256_set1_ps(thr[u]);
    mask[u] = _mm256_movemask_ps(_mm256_cmp_ps(b0, t, _CMP_GT_OQ)) |
              (_mm256_movemask_ps(_mm256_cmp_ps(b1, t, _CMP_GT_OQ)) << 8);
  }
}

CRK_AVX2 static int64_t search_avx2(const crk_float_index *ix, const float *users, const float *utn,
                                 const float *un, int64_t m, const int64_t *so,
                                 const int32_t *seen, int k, int32_t *oi, float *ov, int32_t *oc) {
  const int dh = ix->d_head, dt = ix->d_tail, d = dh + dt, R = ix->r_blocks;
  const int64_t npad = ix->n_tiles * 16;
  // A group's users, padded to whole tiles (padding users never produce candidates).
  float *gu = aligned_alloc(64, (size_t)GROUP_USERS * d * sizeof(float) + 64);
  float gtn[GROUP_USERS * 16];  // r_blocks <= 16 (checked by the dispatcher)
  float gn[GROUP_USERS], thr[GROUP_USERS];
  user_state st[GROUP_USERS];
  float lanes[16] __attribute__((aligned(32)));
  int64_t scored = 0;
  for (int64_t g0 = 0; g0 < m; g0 += GROUP_USERS) {
    int gcount = (int)(m - g0 < GROUP_USERS ? m - g0 : GROUP_USERS);
    int tiles = (gcount + TILE_USERS - 1) / TILE_USERS;
    memset(gu, 0, (size_t)GROUP_USERS * d * sizeof(float));
    memset(gtn, 0, sizeof(gtn));
    memset(gn, 0, sizeof(gn));
    memcpy(gu, users + g0 * d, (size_t)gcount * d * sizeof(float));
    memcpy(gtn, utn + g0 * R, (size_t)gcount * R * sizeof(float));
    memcpy(gn, un + g0, (size_t)gcount * sizeof(float));
    for (int u = 0; u < GROUP_USERS; u++) {
      if (u < gcount) {
        st[u] = (user_state){{ov + (g0 + u) * k, oi + (g0 + u) * k, 0, k}, -INFINITY, so[g0 + u]};
        thr[u] = -INFINITY;
      } else {
        thr[u] = INFINITY;
      }
    }
    for (int64_t b0 = 0; b0 < ix->n_tiles; b0 += BLOCK_TILES) {
      int64_t b1 = b0 + BLOCK_TILES < ix->n_tiles ? b0 + BLOCK_TILES : ix->n_tiles;
      for (int t = 0; t < tiles; t++) {
        const int ub = t * TILE_USERS;
        for (int64_t it = b0; it < b1; it++) {
          __m256 acc[TILE_USERS][2];
          int mask[TILE_USERS];
          const int64_t p0 = it * 16;
          tile_kernel(ix->head + it * dh * 16, dh, gu + ub * d, d, ix->tail_norms + p0, npad, R,
                      gtn + ub * R, ix->norms + p0, gn + ub, thr + ub, acc, mask);
          for (int u = 0; u < TILE_USERS; u++) {
            int bits = mask[u];
            if (!bits) continue;
            user_state *s = &st[ub + u];
            _mm256_store_ps(lanes, acc[u][0]);
            _mm256_store_ps(lanes + 8, acc[u][1]);
            const float *uv = gu + (ub + u) * d;
            while (bits) {
              int lane = __builtin_ctz(bits);
              bits &= bits - 1;
              int64_t p = p0 + lane;
              if (p >= ix->n_items) break;
              if (is_seen(s, seen, so[g0 + ub + u + 1], (int32_t)p)) continue;
              scored++;
              offer(s, lanes[lane] + tail_dot_avx2(uv + dh, ix->tail + p * dt, dt), (int32_t)p, k);
            }
            thr[ub + u] = s->threshold;
          }
        }
      }
    }
    for (int u = 0; u < gcount; u++) oc[g0 + u] = crk_heap_finish(&st[u].heap);
  }
  free(gu);
  return scored;
}
#endif

int64_t crk_float_search(const crk_float_index *ix, const float *users,
                         const float *user_tail_norms, const float *user_norms, int64_t m,
                         const int64_t *seen_offsets, const int32_t *seen, int k, int32_t *out_idx,
                         float *out_val, int32_t *out_count) {
  if (k <= 0) {
    for (int64_t u = 0; u < m; u++) out_count[u] = 0;
    return 0;
  }
#if CRK_X86
  if (crk_has_avx2() && ix->r_blocks <= 16) {
    return search_avx2(ix, users, user_tail_norms, user_norms, m, seen_offsets, seen, k, out_idx,
                       out_val, out_count);
  }
#endif
  return search_portable(ix, users, user_tail_norms, user_norms, m, seen_offsets, seen, k, out_idx,
                  out_val, out_count);
}
