// Exact top-k search over bit-plane codes (HQ-GNN retrieval); see CodeSearchIndex.swift.
//
// Items are stored in descending order of the norm of their dequantized row, so a user's best
// possible score for every remaining item, |x_u| |x_i| (Cauchy-Schwarz), only falls: the scan
// stops at the first item whose bound is below the k-th best score so far. At 1 bit and
// d <= 64 (one word per row), a second copy of the codes holds one nibble per byte, transposed
// so that 32 items share a register (crk_code_index_nibbles): a user's Hamming distances to
// 256 items then take 16 table lookups of 32 items each (the XOR folded into per-user tables),
// and only items within the distance that can still reach the top k are scored exactly, with
// the same formula as crk_code_scores. The distances over the first 48 bits are a lower bound:
// when no item of a group is within the limit by them, its last 16 bits are not counted.
#include "ckernels.h"
#include "code_scan.h"
#include "code_score.h"
#include "dispatch.h"

#include <math.h>
#include <string.h>

#define CRK_NIBBLE_GROUP 256
#define CRK_NIBBLE_GROUP_BYTES (16 * CRK_NIBBLE_GROUP)
#define CRK_TILE_GROUPS 2  // 512 items (8 KB of nibbles) are scanned by every user of a batch
#define CRK_EARLY_NIBBLES 12  // nibble positions counted before a group can be ruled out

// The exact score of permuted item i for a user (crk_code_scores' formula).
static inline __attribute__((always_inline)) float exact_score(const crk_code_index *ix, const uint64_t *user,
                                                               float user_step, int32_t user_sum, int64_t i) {
  const int row = ix->bits * ix->words_per_plane;
  return crk_code_score(user, user_step, user_sum, ix->codes + i * row, ix->steps[i], ix->sums[i], ix->bits,
                        ix->words_per_plane, ix->d);
}

// Offers permuted item i unless the user has seen it.
static inline void offer(crk_heap *h, const crk_code_index *ix, const uint64_t *seen_bits, int64_t i, float s) {
  const int32_t item = ix->original[i];
  if (!crk_is_seen(seen_bits, item)) crk_heap_offer(h, s, item);
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
    if (s >= crk_heap_threshold(h)) offer(h, ix, seen_bits, i, s);
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

// b >= 2 bits, one word per plane, user step > 0, with b a compile-time constant so the b^2
// plane pairs unroll: per item, the integer part T = sum_{p,q} 2^(p+q) popcount(u_p AND v_q)
// and a float key s_i (T - z (U + V_i) + d z^2) (score / user_step) against the margin; only
// items that reach it are scored exactly. The norm bound is checked every 64 items.
static inline __attribute__((always_inline)) int64_t scan_planes(const crk_code_index *ix, const uint64_t *user,
                                                                 float user_step, int32_t user_sum,
                                                                 float user_norm, const uint64_t *seen_bits,
                                                                 crk_heap *h, const int bits) {
  const float z = (float)((1 << bits) - 1) / 2;
  const float user_term = (float)ix->d * z * z - z * (float)user_sum;
  const float to_key = 1 / user_step;
  float margin = crk_key_margin(crk_heap_threshold(h), to_key);
  int64_t i = 0;
  for (; i < ix->n_items; i++) {
    if ((i & 63) == 0 && bound_stops(ix, h, user_norm, i)) break;
    const uint64_t *v = ix->codes + i * bits;
    int64_t total = 0;
    for (int q = 0; q < bits; q++) {
      int64_t t = 0;
      for (int p = 0; p < bits; p++) t += (int64_t)__builtin_popcountll(user[p] & v[q]) << p;
      total += t << q;
    }
    const float key = ix->steps[i] * ((float)total + user_term - z * (float)ix->sums[i]);
    if (key < margin) continue;
    const float s = exact_score(ix, user, user_step, user_sum, i);
    if (s < crk_heap_threshold(h)) continue;
    offer(h, ix, seen_bits, i, s);
    margin = crk_key_margin(crk_heap_threshold(h), to_key);
  }
  return i;
}

#define CRK_SCAN_PLANES(b)                                                                                         \
  CRK_AVX2 static int64_t scan_planes_##b(const crk_code_index *ix, const uint64_t *user, float user_step,         \
                                          int32_t user_sum, float user_norm, const uint64_t *seen_bits, crk_heap *h) { \
    return scan_planes(ix, user, user_step, user_sum, user_norm, seen_bits, h, b);                                 \
  }
CRK_SCAN_PLANES(2)
CRK_SCAN_PLANES(3)
CRK_SCAN_PLANES(4)
CRK_SCAN_PLANES(8)
#undef CRK_SCAN_PLANES

// The scan for one user above 1 bit (or without the nibble layout).
CRK_AVX2 static int64_t scan_avx2(const crk_code_index *ix, const uint64_t *user, float user_step,
                                  int32_t user_sum, float user_norm, const uint64_t *seen_bits, crk_heap *h) {
  if (ix->words_per_plane == 1 && user_step > 0) switch (ix->bits) {
      case 2: return scan_planes_2(ix, user, user_step, user_sum, user_norm, seen_bits, h);
      case 3: return scan_planes_3(ix, user, user_step, user_sum, user_norm, seen_bits, h);
      case 4: return scan_planes_4(ix, user, user_step, user_sum, user_norm, seen_bits, h);
      case 8: return scan_planes_8(ix, user, user_step, user_sum, user_norm, seen_bits, h);
    }
  return scan_popcnt(ix, user, user_step, user_sum, user_norm, seen_bits, h);
}

// The largest Hamming distance at which an item of a group whose steps are at most smax can
// still reach the heap, given the key margin: its key s_i (d - 2 h) must reach the margin.
// `inverse` is 1 / smax (a multiplication here instead of a division per group and user; the
// 1e-3 slack covers the rounding), or negative when smax is not positive. 64 while the margin is
// not positive (the heap is not full, or its k-th score is not positive), -1 when no item of the
// group can enter.
static inline int hamming_limit(float margin, double inverse, int d) {
  if (!(margin > 0)) return 64;
  if (!(inverse > 0)) return -1;
  const double x = ((double)d - (double)margin * inverse) / 2 + 1e-3;
  return x < 0 ? -1 : x >= 64 ? 64 : (int)x;
}

// hamming_limit's `inverse` for a group whose largest step is smax.
static inline double inverse_step(float smax) { return smax > 0 ? 1 / (double)smax : -1; }

// Per-user lookup tables of the nibble layout: tables[16 j + v] = popcount(nibble j of the
// user's code XOR v), so the distance of an item is the sum over j of its nibbles' entries.
// One 16-byte shuffle per nibble position. `tables` is 16-byte aligned.
CRK_AVX2 static void nibble_tables(uint64_t user, uint8_t *tables) {
  const __m128i counts = _mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m128i values = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int j = 0; j < 16; j++) {
    const __m128i nibble = _mm_set1_epi8((char)((user >> (4 * j)) & 15));
    _mm_store_si128((__m128i *)(tables + 16 * j), _mm_shuffle_epi8(counts, _mm_xor_si128(values, nibble)));
  }
}

// Adds to `out` the Hamming distances of the 256 items of one group (nibble layout) to the user
// of `tables` over nibble positions [j0, j1), one byte per item: one table lookup of 32 items
// per position and register.
CRK_AVX2 static inline void hamming_group(const uint8_t *group, const uint8_t *tables, int j0, int j1,
                                          __m256i out[8]) {
  __m256i a0 = out[0], a1 = out[1], a2 = out[2], a3 = out[3], a4 = out[4], a5 = out[5], a6 = out[6], a7 = out[7];
  for (int j = j0; j < j1; j++) {
    const __m256i t = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(tables + 16 * j)));
    const __m256i *p = (const __m256i *)(group + CRK_NIBBLE_GROUP * j);
#define CRK_LOOKUP(a, b) a = _mm256_add_epi8(a, _mm256_shuffle_epi8(t, _mm256_loadu_si256(p + b)))
    CRK_LOOKUP(a0, 0); CRK_LOOKUP(a1, 1); CRK_LOOKUP(a2, 2); CRK_LOOKUP(a3, 3);
    CRK_LOOKUP(a4, 4); CRK_LOOKUP(a5, 5); CRK_LOOKUP(a6, 6); CRK_LOOKUP(a7, 7);
#undef CRK_LOOKUP
  }
  out[0] = a0; out[1] = a1; out[2] = a2; out[3] = a3; out[4] = a4; out[5] = a5; out[6] = a6; out[7] = a7;
}

// One user's state while the 1-bit search goes over the tiles.
typedef struct {
  _Alignas(64) uint8_t tables[256];  // nibble_tables of the user's code (no 16-byte row spans two lines)
  crk_heap heap;                     // the user's best k so far, by original item index
  float to_key;                      // 4 / user step
  float margin;                      // crk_key_margin of the heap's k-th score, refreshed after every offer
  int limit;                         // hamming_limit for the groups still ahead in the current tile
  int live;                          // no bound has stopped the scan yet
} user_scan;

// The smallest of 32 byte distances.
CRK_AVX2 static inline int min_byte(__m256i v) {
  __m128i m = _mm_min_epu8(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_min_epu8(m, _mm_srli_si128(m, 8));
  m = _mm_min_epu8(m, _mm_srli_si128(m, 4));
  m = _mm_min_epu8(m, _mm_srli_si128(m, 2));
  m = _mm_min_epu8(m, _mm_srli_si128(m, 1));
  return _mm_cvtsi128_si32(m) & 255;
}

// Scores permuted item i, at Hamming distance h from the user, exactly (as crk_code_score does)
// if its key reaches the margin, and offers it.
static inline __attribute__((always_inline)) void consider(const crk_code_index *ix, float user_step,
                                                           const uint64_t *seen_bits, user_scan *us, int64_t i,
                                                           int h) {
  const int d2h = ix->d - 2 * h;
  if (ix->steps[i] * (float)d2h < us->margin) return;
  const float s = (float)((double)user_step * ix->steps[i] * (double)d2h / 4);
  if (s < crk_heap_threshold(&us->heap)) return;
  offer(&us->heap, ix, seen_bits, i, s);
  us->margin = crk_key_margin(crk_heap_threshold(&us->heap), us->to_key);
}

// Scans group g for one user: distances of its 256 items in registers, one branch when none is
// within the user's Hamming limit (the common case). Otherwise each item within the limit is
// considered, and the limit is tightened afterwards (from this group's largest step, which
// bounds the later groups' too). Once the heap is full only an item or two of a group is within
// the limit, taken in lane order. Before, every item is, so they go nearest first, one distance
// at a time with the limit tightened after each: the heap fills with the group's best items
// and the limit falls to about the k-th distance at once, instead of after offers of most of
// the group.
CRK_AVX2 static void scan_group(const crk_code_index *ix, float user_step, const uint64_t *seen_bits, user_scan *us,
                                int64_t g, double inverse) {
  __m256i dist[8];
  for (int b = 0; b < 8; b++) dist[b] = _mm256_setzero_si256();
  const uint8_t *group = ix->nibbles + g * CRK_NIBBLE_GROUP_BYTES;
  const __m256i bound = _mm256_set1_epi8((char)(us->limit + 1));
  // The distance over the first 48 bits is a lower bound: once the heap is full it is usually
  // past the limit for every item already, and the last 16 bits need not be counted.
  hamming_group(group, us->tables, 0, CRK_EARLY_NIBBLES, dist);
  if (us->limit < 64) {
    __m256i early = _mm256_setzero_si256();
    for (int b = 0; b < 8; b++) early = _mm256_or_si256(early, _mm256_cmpgt_epi8(bound, dist[b]));
    if (!_mm256_movemask_epi8(early)) return;
  }
  hamming_group(group, us->tables, CRK_EARLY_NIBBLES, 16, dist);
  __m256i within[8], any = _mm256_setzero_si256();
  for (int b = 0; b < 8; b++) {
    within[b] = _mm256_cmpgt_epi8(bound, dist[b]);
    any = _mm256_or_si256(any, within[b]);
  }
  if (!_mm256_movemask_epi8(any)) return;
  const int64_t first = g * CRK_NIBBLE_GROUP;
  const int64_t valid = ix->n_items - first < CRK_NIBBLE_GROUP ? ix->n_items - first : CRK_NIBBLE_GROUP;
  if (us->heap.count == us->heap.capacity) {
    uint8_t h[CRK_NIBBLE_GROUP];
    for (int b = 0; b < 8; b++) _mm256_storeu_si256((__m256i *)(h + 32 * b), dist[b]);
    for (int b = 0; b < 8 && 32 * b < valid; b++) {
      uint32_t mask = (uint32_t)_mm256_movemask_epi8(within[b]);
      if (valid - 32 * b < 32) mask &= (1u << (valid - 32 * b)) - 1;
      for (; mask; mask &= mask - 1) {
        const int lane = 32 * b + __builtin_ctz(mask);
        consider(ix, user_step, seen_bits, us, first + lane, h[lane]);
      }
    }
    us->limit = hamming_limit(us->margin, inverse, ix->d);
    return;
  }
  __m256i nearest = dist[0];
  for (int b = 1; b < 8; b++) nearest = _mm256_min_epu8(nearest, dist[b]);
  for (int level = min_byte(nearest); level <= us->limit; level++) {
    const __m256i at = _mm256_set1_epi8((char)level);
    for (int b = 0; b < 8 && 32 * b < valid; b++) {
      uint32_t mask = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(dist[b], at));
      if (valid - 32 * b < 32) mask &= (1u << (valid - 32 * b)) - 1;
      for (; mask; mask &= mask - 1) consider(ix, user_step, seen_bits, us, first + 32 * b + __builtin_ctz(mask), level);
    }
    us->limit = hamming_limit(us->margin, inverse, ix->d);
  }
}

// 1 bit, one word per row, with the nibble layout: users in batches of CRK_SEARCH_USERS, each
// batch scanning the items tile by tile (a tile stays in cache while every user of the batch
// goes over it); per user and group of 256 items, one Hamming count in registers and exact
// scores only for items within the group's Hamming limit.
CRK_AVX2 static int64_t search_1bit(const crk_code_index *ix, const uint64_t *users, const float *user_steps,
                                    const int32_t *user_sums, const float *user_norms, int64_t m,
                                    const int64_t *seen_offsets, const int32_t *seen, int k, uint64_t *seen_bits,
                                    int32_t *out_idx, float *out_val, int32_t *out_count) {
  const int64_t words = (ix->n_items + 63) / 64;
  const int64_t groups = (ix->n_items + CRK_NIBBLE_GROUP - 1) / CRK_NIBBLE_GROUP;
  user_scan scans[CRK_SEARCH_USERS];
  int64_t scanned = 0;
  for (int64_t base = 0; base < m; base += CRK_SEARCH_USERS) {
    const int batch = m - base < CRK_SEARCH_USERS ? (int)(m - base) : CRK_SEARCH_USERS;
    for (int r = 0; r < batch; r++) {
      const int64_t u = base + r;
      uint64_t *bits = seen_bits + r * words;
      crk_mark_seen(bits, seen_offsets, seen, u);
      user_scan *us = &scans[r];
      us->heap = (crk_heap){out_val + u * k, out_idx + u * k, 0, k};
      us->margin = -INFINITY;
      us->live = user_steps[u] > 0;
      if (us->live) {
        us->to_key = 4 / user_steps[u];
        nibble_tables(users[u], us->tables);
      } else {  // every score is 0 (or the step is not finite): the plain scan handles it
        scanned += scan_popcnt(ix, users + u, user_steps[u], user_sums[u], user_norms[u], bits, &us->heap);
      }
    }
    for (int64_t g0 = 0; g0 < groups; g0 += CRK_TILE_GROUPS) {
      const int64_t g1 = g0 + CRK_TILE_GROUPS < groups ? g0 + CRK_TILE_GROUPS : groups;
      double inverse[CRK_TILE_GROUPS];
      for (int64_t g = g0; g < g1; g++) inverse[g - g0] = inverse_step(ix->group_steps[g]);
      const int64_t tile_items = (g1 * CRK_NIBBLE_GROUP < ix->n_items ? g1 * CRK_NIBBLE_GROUP : ix->n_items) -
                                 g0 * CRK_NIBBLE_GROUP;
      for (int r = 0; r < batch; r++) {
        const int64_t u = base + r;
        user_scan *us = &scans[r];
        if (!us->live) continue;
        // Steps and norms only fall along the items and the margin only rises, so bounds taken
        // at the tile's first item hold for the whole tile, and a stop is final.
        us->limit = hamming_limit(us->margin, inverse[0], ix->d);
        if (us->limit < 0 || bound_stops(ix, &us->heap, user_norms[u], g0 * CRK_NIBBLE_GROUP)) {
          us->live = 0;
          continue;
        }
        for (int64_t g = g0; g < g1 && us->limit >= 0; g++)
          scan_group(ix, user_steps[u], seen_bits + r * words, us, g, inverse[g - g0]);
        scanned += tile_items;
      }
    }
    for (int r = 0; r < batch; r++) {
      const int64_t u = base + r;
      out_count[u] = crk_heap_finish(&scans[r].heap);
      uint64_t *bits = seen_bits + r * words;
      crk_clear_seen(bits, seen_offsets, seen, u);
    }
  }
  return scanned;
}
#endif

int64_t crk_code_scan_plain(const crk_code_index *ix, const uint64_t *user, float user_step, int32_t user_sum,
                            float user_norm, const uint64_t *seen_bits, crk_heap *h) {
#if CRK_X86
  if (crk_has_avx2()) return scan_popcnt(ix, user, user_step, user_sum, user_norm, seen_bits, h);
#endif
  return scan_portable(ix, user, user_step, user_sum, user_norm, seen_bits, h);
}

int64_t crk_code_search(const crk_code_index *ix, const uint64_t *users, const float *user_steps,
                        const int32_t *user_sums, const float *user_norms, int64_t m, const int64_t *seen_offsets,
                        const int32_t *seen, int k, uint64_t *seen_bits, int32_t *out_idx, float *out_val,
                        int32_t *out_count) {
#if CRK_X86
  if (crk_has_avx2() && ix->bits == 1 && ix->words_per_plane == 1 && ix->nibbles)
    return search_1bit(ix, users, user_steps, user_sums, user_norms, m, seen_offsets, seen, k, seen_bits, out_idx,
                       out_val, out_count);
  if (ix->scan) {
    const int64_t scanned = crk_code_scan_search(ix, users, user_steps, user_sums, user_norms, m, seen_offsets, seen,
                                                 k, seen_bits, out_idx, out_val, out_count);
    if (scanned >= 0) return scanned;
  }
#endif
  const int row = ix->bits * ix->words_per_plane;
  int64_t scanned = 0;
  for (int64_t u = 0; u < m; u++) {
    crk_mark_seen(seen_bits, seen_offsets, seen, u);
    crk_heap h = {out_val + u * k, out_idx + u * k, 0, k};
    const uint64_t *user = users + u * row;
#if CRK_X86
    if (crk_has_avx2())
      scanned += scan_avx2(ix, user, user_steps[u], user_sums[u], user_norms[u], seen_bits, &h);
    else
#endif
      scanned += scan_portable(ix, user, user_steps[u], user_sums[u], user_norms[u], seen_bits, &h);
    out_count[u] = crk_heap_finish(&h);
    crk_clear_seen(seen_bits, seen_offsets, seen, u);
  }
  return scanned;
}

int64_t crk_code_index_nibble_bytes(int64_t n_items) {
  return (n_items + CRK_NIBBLE_GROUP - 1) / CRK_NIBBLE_GROUP * CRK_NIBBLE_GROUP_BYTES;
}

void crk_code_index_nibbles(const uint64_t *codes, const float *steps, int64_t n, uint8_t *nibbles,
                            float *group_steps) {
  const int64_t groups = (n + CRK_NIBBLE_GROUP - 1) / CRK_NIBBLE_GROUP;
  memset(nibbles, 0, (size_t)crk_code_index_nibble_bytes(n));
  for (int64_t g = 0; g < groups; g++) group_steps[g] = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    const int64_t g = i / CRK_NIBBLE_GROUP, lane = i % CRK_NIBBLE_GROUP;
    for (int j = 0; j < 16; j++)
      nibbles[g * CRK_NIBBLE_GROUP_BYTES + j * CRK_NIBBLE_GROUP + lane] = (uint8_t)((codes[i] >> (4 * j)) & 15);
    if (steps[i] > group_steps[g]) group_steps[g] = steps[i];
  }
}
