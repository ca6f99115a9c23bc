// Exact top-k search over bit-plane codes (HQ-GNN retrieval); see CodeSearchIndex.swift.
//
// Items are stored in descending order of the norm of their dequantized row, so a user's best
// possible score for every remaining item, |x_u| |x_i| (Cauchy-Schwarz), only falls: the scan
// stops at the first item whose bound is below the k-th best score so far. At 1 bit and
// d <= 64 (one word per row), eight items at a time go through XOR, a nibble-table popcount
// and one float comparison in AVX2 registers; only items that can enter the top k are scored
// exactly, with the same formula as crk_code_scores.
#include "ckernels.h"
#include "code_score.h"
#include "dispatch.h"

#include <math.h>

// The exact score of permuted item i for a user (crk_code_scores' formula).
static inline __attribute__((always_inline)) float exact_score(const crk_code_index *ix, const uint64_t *user,
                                                               float user_step, int32_t user_sum, int64_t i) {
  const int row = ix->bits * ix->words_per_plane;
  return crk_code_score(user, user_step, user_sum, ix->codes + i * row, ix->steps[i], ix->sums[i], ix->bits,
                        ix->words_per_plane, ix->d);
}

static inline float threshold(const crk_heap *h) { return h->count == h->capacity ? h->val[0] : -INFINITY; }

static inline int is_seen(const uint64_t *seen_bits, int32_t item) { return (seen_bits[item >> 6] >> (item & 63)) & 1; }

// Offers permuted item i unless the user has seen it.
static inline void offer(crk_heap *h, const crk_code_index *ix, const uint64_t *seen_bits, int64_t i, float s) {
  const int32_t item = ix->original[i];
  if (!is_seen(seen_bits, item)) crk_heap_offer(h, s, item);
}

// Whether no item from permuted position i on can reach the heap: |x_u| |x_i| (with a margin
// for rounding) is below the k-th best score.
static inline int bound_stops(const crk_code_index *ix, const crk_heap *h, float user_norm, int64_t i) {
  return h->count == h->capacity && (double)user_norm * ix->norms[i] * (1 + 1e-5) < h->val[0];
}

// Scans items [from, n) in norm order for one user; returns how many were scored. Inlined
// into a plain and a popcnt-enabled wrapper, like crk_code_scores' loop.
static inline __attribute__((always_inline)) int64_t scan_scalar(const crk_code_index *ix, const uint64_t *user,
                                                                 float user_step, int32_t user_sum, float user_norm,
                                                                 const uint64_t *seen_bits, crk_heap *h,
                                                                 int64_t from) {
  int64_t i = from;
  for (; i < ix->n_items; i++) {
    if (bound_stops(ix, h, user_norm, i)) break;
    const float s = exact_score(ix, user, user_step, user_sum, i);
    if (s >= threshold(h)) offer(h, ix, seen_bits, i, s);
  }
  return i - from;
}

static int64_t scan_portable(const crk_code_index *ix, const uint64_t *user, float user_step, int32_t user_sum,
                             float user_norm, const uint64_t *seen_bits, crk_heap *h) {
  return scan_scalar(ix, user, user_step, user_sum, user_norm, seen_bits, h, 0);
}

#if CRK_X86
#include <immintrin.h>

CRK_AVX2 static int64_t scan_popcnt(const crk_code_index *ix, const uint64_t *user, float user_step,
                                    int32_t user_sum, float user_norm, const uint64_t *seen_bits, crk_heap *h) {
  return scan_scalar(ix, user, user_step, user_sum, user_norm, seen_bits, h, 0);
}

CRK_AVX2 static inline __m256i popcount_epi64(__m256i x) {
  const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3,
                                         1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_shuffle_epi8(table, _mm256_and_si256(x, low));
  const __m256i hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(x, 4), low));
  return _mm256_sad_epu8(_mm256_add_epi8(lo, hi), _mm256_setzero_si256());
}

// The key threshold an item must reach to be scored exactly: the heap's k-th score in key
// units (key = score * 4 / user_step), lowered by a rounding margin.
static inline float key_margin(const crk_heap *h, float to_key) {
  const float tk = threshold(h) * to_key;
  return isfinite(tk) ? tk - fabsf(tk) * 1e-5f - 1e-30f : -INFINITY;
}

// Keys s_i (d - 2 h_i) of the 8 items at codes[i ..< i + 8], h_i = popcount(user XOR code).
CRK_AVX2 static inline __m256 keys8(const crk_code_index *ix, __m256i q, int64_t i) {
  const __m256i order = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
  const __m256i c0 = popcount_epi64(_mm256_xor_si256(q, _mm256_loadu_si256((const __m256i *)(ix->codes + i))));
  const __m256i c1 = popcount_epi64(_mm256_xor_si256(q, _mm256_loadu_si256((const __m256i *)(ix->codes + i + 4))));
  const __m256i counts = _mm256_permutevar8x32_epi32(_mm256_or_si256(c0, _mm256_slli_epi64(c1, 32)), order);
  const __m256 dv = _mm256_set1_ps((float)ix->d), two = _mm256_set1_ps(2);
  return _mm256_mul_ps(_mm256_loadu_ps(ix->steps + i), _mm256_fnmadd_ps(two, _mm256_cvtepi32_ps(counts), dv));
}

// 1 bit, one word per row, user step > 0: keys in registers, 16 items an iteration; exact
// scores only for items whose key reaches the current threshold. The threshold is re-read
// only after an offer, and the norm bound is checked once per 64 items (the largest norm of
// the next 64 is the first one's).
CRK_AVX2 static int64_t scan_1bit(const crk_code_index *ix, uint64_t user, float user_step, float user_norm,
                                  const uint64_t *seen_bits, crk_heap *h) {
  const int64_t n16 = ix->n_items & ~(int64_t)15;
  const __m256i q = _mm256_set1_epi64x((long long)user);
  const float to_key = 4 / user_step;  // score = key * user_step / 4
  __m256 margin = _mm256_set1_ps(key_margin(h, to_key));
  int64_t i = 0;
  for (; i < n16; i += 16) {
    if ((i & 63) == 0 && bound_stops(ix, h, user_norm, i)) return i;
    const int mask = _mm256_movemask_ps(_mm256_cmp_ps(keys8(ix, q, i), margin, _CMP_GE_OQ)) |
                     _mm256_movemask_ps(_mm256_cmp_ps(keys8(ix, q, i + 8), margin, _CMP_GE_OQ)) << 8;
    if (!mask) continue;
    for (int rest = mask; rest; rest &= rest - 1) {
      const int64_t item = i + __builtin_ctz(rest);
      const float s = exact_score(ix, &user, user_step, 0, item);
      if (s >= threshold(h)) offer(h, ix, seen_bits, item, s);
    }
    margin = _mm256_set1_ps(key_margin(h, to_key));
  }
  return i + scan_scalar(ix, &user, user_step, 0, user_norm, seen_bits, h, i);
}
#endif

int64_t crk_code_search(const crk_code_index *ix, const uint64_t *users, const float *user_steps,
                        const int32_t *user_sums, const float *user_norms, int64_t m, const int64_t *seen_offsets,
                        const int32_t *seen, int k, uint64_t *seen_bits, int32_t *out_idx, float *out_val,
                        int32_t *out_count) {
  const int row = ix->bits * ix->words_per_plane;
  int64_t scanned = 0;
  for (int64_t u = 0; u < m; u++) {
    for (int64_t s = seen_offsets[u]; s < seen_offsets[u + 1]; s++) seen_bits[seen[s] >> 6] |= 1ull << (seen[s] & 63);
    crk_heap h = {out_val + u * k, out_idx + u * k, 0, k};
    const uint64_t *user = users + u * row;
#if CRK_X86
    if (crk_has_avx2() && ix->bits == 1 && ix->words_per_plane == 1 && user_steps[u] > 0)
      scanned += scan_1bit(ix, user[0], user_steps[u], user_norms[u], seen_bits, &h);
    else if (crk_has_avx2())
      scanned += scan_popcnt(ix, user, user_steps[u], user_sums[u], user_norms[u], seen_bits, &h);
    else
#endif
      scanned += scan_portable(ix, user, user_steps[u], user_sums[u], user_norms[u], seen_bits, &h);
    out_count[u] = crk_heap_finish(&h);
    for (int64_t s = seen_offsets[u]; s < seen_offsets[u + 1]; s++) seen_bits[seen[s] >> 6] = 0;
  }
  return scanned;
}
