// Exact top-k over b-bit codes at every width the 1-bit nibble kernel does not cover: 1 bit
// at d > 64, 2, 3 and 4 bits at any d whose code products fit 16 bits, and 8 bits up to d = 256.
// See CodeSearchIndex.swift and crk_code_scan_layout in ckernels.h.
//
// Every route computes the integer part T = sum_c u_c v_c of a user's score with the 128 items
// of a group in registers, then tests each item's key s_i (T + user_term - z V_i) against the
// user's k-th best score, 8 items per vector comparison; only items that pass are scored, in
// double from the same exact integers as crk_code_score (so bit for bit the same score), and
// offered to the heap. The routes (route_for):
// - LUT (1 bit, and 2 bits past d = 3640): table lookups as in FAISS's fast-scan, but exact: the
//   user's codes are integers too, so a table per nibble position j holds sum_{c in j} u_c x_c
//   for every 4-bit pattern x of one item bit-plane, at most 4 (2^b - 1) <= 60 and so one byte.
//   One 32-byte shuffle looks up 32 items; bytes are summed while they cannot overflow, then
//   widened to 16 bits with the plane's weight 2^q.
// - PLANE_PAIRS (2 bits): the same tables, with both planes of an item side by side in a
//   register, so one byte multiply-add with weights (1, 2) widens and weighs them at once
//   (faster than LUT at 2 bits: RESULTS.md, "Measurement notes moved out of the code").
// - BYTES (3 and 4 bits): one byte per code, byte multiply-adds (vpmaddubsw) of two dimensions
//   of 16 items at a time, summed in 16 bits. At 4 bits this beats LUT, whose bytes overflow
//   after 4 lookups (RESULTS.md).
// - WORDS (8 bits): 16-bit multiply-adds (vpmaddwd) of two dimensions of 8 items at a time.
#include "ckernels.h"
#include "code_scan.h"
#include "dispatch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CRK_TILE_SCAN_GROUPS 2  // 256 items are scanned by every user of a batch before the next

// Nibble positions (4 dimensions each) of one bit-plane, and dimension pairs of one row.
static inline int nibble_positions(int d) { return (d + 3) / 4; }
static inline int dim_pairs(int d) { return (d + 1) / 2; }

// How a width is scanned: table lookups over bit-planes (LUT), byte multiply-adds over one
// byte per code (BYTES, 3 and 4 bits while T fits 16 signed bits), 16-bit multiply-adds (WORDS,
// 8 bits). Measured on Gowalla (RESULTS.md): BYTES is faster than LUT at 4 bits, LUT at 1 and 2.
typedef enum { ROUTE_LUT, ROUTE_PLANE_PAIRS, ROUTE_BYTES, ROUTE_WORDS } scan_route;

static scan_route route_for(int bits, int d) {
  const int64_t top = ((int64_t)1 << bits) - 1;
  if (bits == 8) return ROUTE_WORDS;
  if (bits == 2 && (int64_t)d * top * top <= 32767) return ROUTE_PLANE_PAIRS;
  return bits >= 3 && (int64_t)d * top * top <= 32767 ? ROUTE_BYTES : ROUTE_LUT;
}

int crk_code_scan_supported(int bits, int d) {
  const int64_t top = ((int64_t)1 << bits) - 1;
  if (bits == 8) return d >= 1 && d <= 256;  // keeps T below 2^24, exact in a float
  return bits >= 1 && bits <= 4 && d >= 1 && (int64_t)d * top * top <= 65535;
}

int64_t crk_code_scan_bytes(int64_t n_items, int bits, int d) {
  const int64_t slots = (n_items + CRK_SCAN_GROUP - 1) / CRK_SCAN_GROUP * CRK_SCAN_GROUP;
  switch (route_for(bits, d)) {
    case ROUTE_WORDS: return slots * dim_pairs(d) * 4;
    case ROUTE_BYTES: return slots * dim_pairs(d) * 2;
    default: return slots * bits * nibble_positions(d);
  }
}

// Code of dimension c in a row of b planes of wpp words (PackedCodes.swift).
static inline int code_at(const uint64_t *row, int bits, int wpp, int c) {
  int u = 0;
  for (int p = 0; p < bits; p++) u |= (int)((row[p * wpp + c / 64] >> (c % 64)) & 1) << p;
  return u;
}

// The slot of lane `lane` of a group in the order the scan reads its sums: with table lookups,
// the even items of each 32 first, then the odd ones (how bytes widen to 16-bit lanes); else
// item order.
static inline int64_t scan_slot(scan_route route, int64_t lane) {
  if (route != ROUTE_LUT) return lane;  // the other routes sum 16 or 8 items per register in order
  return lane / 32 * 32 + (lane % 2) * 16 + (lane % 32) / 2;
}

void crk_code_scan_layout(const uint64_t *codes, const float *steps, const int32_t *sums, int64_t n, int bits,
                          int words_per_plane, int d, void *layout, float *slot_steps, float *slot_offsets) {
  const int64_t slots = (n + CRK_SCAN_GROUP - 1) / CRK_SCAN_GROUP * CRK_SCAN_GROUP;
  const int row = bits * words_per_plane;
  const float z = (float)((1 << bits) - 1) / 2;
  const scan_route route = route_for(bits, d);
  memset(layout, 0, (size_t)crk_code_scan_bytes(n, bits, d));
  for (int64_t i = 0; i < slots; i++) {  // padding: never a candidate
    slot_steps[i] = 0;
    slot_offsets[i] = INFINITY;
  }
  for (int64_t i = 0; i < n; i++) {
    const int64_t g = i / CRK_SCAN_GROUP, lane = i % CRK_SCAN_GROUP;
    const uint64_t *v = codes + i * row;
    if (route == ROUTE_PLANE_PAIRS) {
      // [group][nibble position j][8 registers of 16 items][item][plane 0, plane 1].
      const int positions = nibble_positions(d);
      uint8_t *out = (uint8_t *)layout;
      const int64_t reg = lane / 16, e = lane % 16;
      for (int j = 0; j < positions; j++)
        for (int q = 0; q < 2; q++) {
          const uint64_t word = v[q * words_per_plane + (4 * j) / 64];
          out[((g * positions + j) * 8 + reg) * 32 + e * 2 + q] = (uint8_t)((word >> ((4 * j) % 64)) & 15);
        }
    } else if (route == ROUTE_BYTES) {
      // [group][pair p][8 registers of 16 items][item][2 dims], one byte per code.
      const int pairs = dim_pairs(d);
      uint8_t *out = (uint8_t *)layout;
      const int64_t reg = lane / 16, e = lane % 16;
      for (int p = 0; p < pairs; p++)
        for (int t = 0; t < 2; t++) {
          const int c = 2 * p + t;
          out[((g * pairs + p) * 8 + reg) * 32 + e * 2 + t] = (uint8_t)(c < d ? code_at(v, bits, words_per_plane, c) : 0);
        }
    } else if (route == ROUTE_WORDS) {
      // [group][quad of 32 items][pair p][4 registers of 8 items][item][2 dims], int16.
      const int pairs = dim_pairs(d);
      int16_t *out = (int16_t *)layout;
      const int64_t quad = lane / 32, reg = (lane % 32) / 8, e = lane % 8;
      for (int p = 0; p < pairs; p++)
        for (int t = 0; t < 2; t++) {
          const int c = 2 * p + t;
          out[(((g * 4 + quad) * pairs + p) * 4 + reg) * 16 + e * 2 + t] = (int16_t)(c < d ? code_at(v, 8, words_per_plane, c) : 0);
        }
    } else {
      // [group][plane q][nibble position j][128 items], one nibble per byte.
      const int positions = nibble_positions(d);
      uint8_t *out = (uint8_t *)layout;
      for (int q = 0; q < bits; q++)
        for (int j = 0; j < positions; j++) {
          const uint64_t word = v[q * words_per_plane + (4 * j) / 64];
          out[((g * bits + q) * positions + j) * CRK_SCAN_GROUP + lane] = (uint8_t)((word >> ((4 * j) % 64)) & 15);
        }
    }
    const int64_t slot = g * CRK_SCAN_GROUP + scan_slot(route, lane);
    slot_steps[slot] = steps[i];
    slot_offsets[slot] = z * (float)sums[i];  // exact: a multiple of 1/2 below 2^23
  }
}

// A user's state while the scan goes over the tiles.
typedef struct {
  crk_heap heap;
  const uint64_t *code;
  const uint8_t *tables;  // LUT: 16 bytes per nibble position (32-byte aligned)
  const int32_t *pairs;   // WORDS: (u_2p, u_2p+1) as two int16 per pair p
  const int16_t *bytes;   // BYTES: (u_2p, u_2p+1) as two bytes per pair p
  float step;
  float user_term;  // d z^2 - z U + 2: the item-independent part of the centered product, plus a slack
  float to_key;     // 1 / step
  float margin;     // crk_key_margin of the heap's k-th score
  int live;
  const uint64_t *seen_bits;
} scan_user;

#if CRK_X86
#include <immintrin.h>

// The exact score of permuted item i from its integer part t = sum_c u_c v_c, offered to the
// user's heap unless the user has seen it. The score is crk_code_score's, bit for bit: the
// same double expression of the same exact integers (at 1 bit, (d - 2 h) / 4 with h = U + V -
// 2 t equals t - (U + V) / 2 + d / 4 exactly, and scaling by 1/4 commutes with rounding).
CRK_AVX2 static inline void offer_exact(const crk_code_index *ix, scan_user *us, int32_t user_sum, int64_t i,
                                        int64_t t) {
  const double z = ((double)(1 << ix->bits) - 1) / 2;
  const double centered = (double)t - z * (double)(user_sum + ix->sums[i]) + ix->d * z * z;
  const float s = (float)((double)us->step * ix->steps[i] * centered);
  if (s < crk_heap_threshold(&us->heap)) return;
  const int32_t item = ix->original[i];
  if (crk_is_seen(us->seen_bits, item)) return;
  crk_heap_offer(&us->heap, s, item);
  us->margin = crk_key_margin(crk_heap_threshold(&us->heap), us->to_key);
}

// Which of 8 items with integer parts t may reach the margin: their key s_i (t + user_term -
// z V_i) (user_term raised by a slack that covers the float rounding of the sum) against it.
// Padding slots have offset +inf and step 0, and never pass.
CRK_AVX2 static inline uint32_t candidates8(__m256i t, const float *steps, const float *offsets, __m256 user_term,
                                             __m256 margin) {
  const __m256 x = _mm256_sub_ps(_mm256_add_ps(_mm256_cvtepi32_ps(t), user_term), _mm256_loadu_ps(offsets));
  return (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_mul_ps(x, _mm256_loadu_ps(steps)), margin, _CMP_GE_OQ));
}

// T of the 128 items of one group by table lookups, in 16 bits: te[r] holds items 32 r + 2 e,
// to[r] items 32 r + 2 e + 1 (lane e). `bits` is a constant in each caller.
CRK_AVX2 static inline __attribute__((always_inline)) void lut_sums(const uint8_t *group, const uint8_t *tables,
                                                                    int positions, const int bits, __m256i te[4],
                                                                    __m256i to[4]) {
  const int run = 255 / (4 * ((1 << bits) - 1));  // lookups a byte can sum without overflow
  const __m256i low = _mm256_set1_epi16(0x00FF);
  for (int r = 0; r < 4; r++) te[r] = to[r] = _mm256_setzero_si256();
  for (int q = 0; q < bits; q++) {
    const uint8_t *plane = group + (int64_t)q * positions * CRK_SCAN_GROUP;
    for (int j0 = 0; j0 < positions; j0 += run) {
      const int j1 = j0 + run < positions ? j0 + run : positions;
      __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
      for (int j = j0; j < j1; j++) {
        const __m256i t = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(tables + 16 * j)));
        const __m256i *p = (const __m256i *)(plane + (int64_t)j * CRK_SCAN_GROUP);
        a0 = _mm256_add_epi8(a0, _mm256_shuffle_epi8(t, _mm256_load_si256(p)));
        a1 = _mm256_add_epi8(a1, _mm256_shuffle_epi8(t, _mm256_load_si256(p + 1)));
        a2 = _mm256_add_epi8(a2, _mm256_shuffle_epi8(t, _mm256_load_si256(p + 2)));
        a3 = _mm256_add_epi8(a3, _mm256_shuffle_epi8(t, _mm256_load_si256(p + 3)));
      }
      const __m128i shift = _mm_cvtsi32_si128(q);
#define CRK_WIDEN(r, a)                                                                              \
  te[r] = _mm256_add_epi16(te[r], _mm256_sll_epi16(_mm256_and_si256(a, low), shift));              \
  to[r] = _mm256_add_epi16(to[r], _mm256_sll_epi16(_mm256_srli_epi16(a, 8), shift))
      CRK_WIDEN(0, a0);
      CRK_WIDEN(1, a1);
      CRK_WIDEN(2, a2);
      CRK_WIDEN(3, a3);
#undef CRK_WIDEN
    }
  }
}

// One user against group g up to 4 bits: the sums, their keys, exact scores for the items whose
// key reaches the margin.
CRK_AVX2 static inline __attribute__((always_inline)) void lut_group(const crk_code_index *ix, scan_user *us,
                                                                     int32_t user_sum, int64_t g, const int bits) {
  const int positions = nibble_positions(ix->d);
  const uint8_t *group = (const uint8_t *)ix->scan + g * (int64_t)bits * positions * CRK_SCAN_GROUP;
  __m256i te[4], to[4];
  lut_sums(group, us->tables, positions, bits, te, to);
  const __m256 user_term = _mm256_set1_ps(us->user_term), margin = _mm256_set1_ps(us->margin);
  const int64_t first = g * CRK_SCAN_GROUP;
  for (int r = 0; r < 4; r++) {
    for (int parity = 0; parity < 2; parity++) {
      const __m256i v = parity ? to[r] : te[r];
      const int64_t slot = first + 32 * r + 16 * parity;
      uint32_t mask = candidates8(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(v)), ix->scan_steps + slot,
                                  ix->scan_offsets + slot, user_term, margin) |
                      candidates8(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(v, 1)), ix->scan_steps + slot + 8,
                                  ix->scan_offsets + slot + 8, user_term, margin)
                        << 8;
      if (!mask) continue;
      uint16_t t[16];
      _mm256_storeu_si256((__m256i *)t, v);
      for (; mask; mask &= mask - 1) {
        const int e = __builtin_ctz(mask);
        offer_exact(ix, us, user_sum, first + 32 * r + 2 * e + parity, t[e]);
      }
    }
  }
}

// One user against group g at 8 bits: T of 32 items at a time by 16-bit multiply-adds.
CRK_AVX2 static void madd_group(const crk_code_index *ix, scan_user *us, int32_t user_sum, int64_t g) {
  const int pairs = dim_pairs(ix->d);
  const __m256 user_term = _mm256_set1_ps(us->user_term), margin = _mm256_set1_ps(us->margin);
  const int64_t first = g * CRK_SCAN_GROUP;
  for (int quad = 0; quad < 4 && first + 32 * quad < ix->n_items; quad++) {
    const __m256i *p = (const __m256i *)((const int16_t *)ix->scan + (g * 4 + quad) * (int64_t)pairs * 64);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (int c = 0; c < pairs; c++, p += 4) {
      const __m256i w = _mm256_set1_epi32(us->pairs[c]);
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_load_si256(p), w));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_load_si256(p + 1), w));
      a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_load_si256(p + 2), w));
      a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_load_si256(p + 3), w));
    }
    const __m256i acc[4] = {a0, a1, a2, a3};
    for (int t = 0; t < 4; t++) {
      const int64_t slot = first + 32 * quad + 8 * t;
      uint32_t mask = candidates8(acc[t], ix->scan_steps + slot, ix->scan_offsets + slot, user_term, margin);
      if (!mask) continue;
      int32_t sums[8];
      _mm256_storeu_si256((__m256i *)sums, acc[t]);
      for (; mask; mask &= mask - 1) offer_exact(ix, us, user_sum, slot + __builtin_ctz(mask), sums[__builtin_ctz(mask)]);
    }
  }
}

// Offers the items of the 16 slots from `slot` (in item order) whose key reaches the user's
// margin, their integer parts in the signed 16-bit lanes of `t`.
CRK_AVX2 static inline void offer_sums16(const crk_code_index *ix, scan_user *us, int32_t user_sum, int64_t slot,
                                         __m256i t, __m256 user_term, __m256 margin) {
  uint32_t mask = candidates8(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(t)), ix->scan_steps + slot,
                              ix->scan_offsets + slot, user_term, margin) |
                  candidates8(_mm256_cvtepi16_epi32(_mm256_extracti128_si256(t, 1)), ix->scan_steps + slot + 8,
                              ix->scan_offsets + slot + 8, user_term, margin)
                    << 8;
  if (!mask) return;
  int16_t sums[16];
  _mm256_storeu_si256((__m256i *)sums, t);
  for (; mask; mask &= mask - 1) offer_exact(ix, us, user_sum, slot + __builtin_ctz(mask), sums[__builtin_ctz(mask)]);
}

// One user against group g at 2 bits, both bit-planes of 16 items per register (the table of a
// nibble position serves both planes): byte sums over up to 21 positions (at most 12 each),
// then one byte multiply-add with weights (1, 2) per register turns each item's two plane sums
// into its 16-bit T, in item order.
CRK_AVX2 static void plane_pairs_group(const crk_code_index *ix, scan_user *us, int32_t user_sum, int64_t g) {
  const int positions = nibble_positions(ix->d);
  const uint8_t *group = (const uint8_t *)ix->scan + g * (int64_t)positions * 256;
  const __m256i weights = _mm256_set1_epi16(0x0201);
  __m256i acc[8];
  for (int r = 0; r < 8; r++) acc[r] = _mm256_setzero_si256();
  for (int j0 = 0; j0 < positions; j0 += 21) {
    const int j1 = j0 + 21 < positions ? j0 + 21 : positions;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int j = j0; j < j1; j++) {
      const __m256i t = _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(us->tables + 16 * j)));
      const __m256i *p = (const __m256i *)(group + (int64_t)j * 256);
      a0 = _mm256_add_epi8(a0, _mm256_shuffle_epi8(t, _mm256_load_si256(p)));
      a1 = _mm256_add_epi8(a1, _mm256_shuffle_epi8(t, _mm256_load_si256(p + 1)));
      a2 = _mm256_add_epi8(a2, _mm256_shuffle_epi8(t, _mm256_load_si256(p + 2)));
      a3 = _mm256_add_epi8(a3, _mm256_shuffle_epi8(t, _mm256_load_si256(p + 3)));
      a4 = _mm256_add_epi8(a4, _mm256_shuffle_epi8(t, _mm256_load_si256(p + 4)));
      a5 = _mm256_add_epi8(a5, _mm256_shuffle_epi8(t, _mm256_load_si256(p + 5)));
      a6 = _mm256_add_epi8(a6, _mm256_shuffle_epi8(t, _mm256_load_si256(p + 6)));
      a7 = _mm256_add_epi8(a7, _mm256_shuffle_epi8(t, _mm256_load_si256(p + 7)));
    }
    const __m256i sums[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
    for (int r = 0; r < 8; r++) acc[r] = _mm256_add_epi16(acc[r], _mm256_maddubs_epi16(sums[r], weights));
  }
  const __m256 user_term = _mm256_set1_ps(us->user_term), margin = _mm256_set1_ps(us->margin);
  const int64_t first = g * CRK_SCAN_GROUP;
  for (int r = 0; r < 8; r++) offer_sums16(ix, us, user_sum, first + 16 * r, acc[r], user_term, margin);
}

// One user against group g by byte multiply-adds: T of 16 items per register, two dimensions
// per instruction, summed in 16 bits (route_for keeps every sum below 2^15).
CRK_AVX2 static void bytes_group(const crk_code_index *ix, scan_user *us, int32_t user_sum, int64_t g) {
  const int pairs = dim_pairs(ix->d);
  const __m256i *p = (const __m256i *)((const uint8_t *)ix->scan + g * (int64_t)pairs * 256);
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (int c = 0; c < pairs; c++, p += 8) {
    const __m256i w = _mm256_set1_epi16(us->bytes[c]);
    a0 = _mm256_add_epi16(a0, _mm256_maddubs_epi16(_mm256_load_si256(p), w));
    a1 = _mm256_add_epi16(a1, _mm256_maddubs_epi16(_mm256_load_si256(p + 1), w));
    a2 = _mm256_add_epi16(a2, _mm256_maddubs_epi16(_mm256_load_si256(p + 2), w));
    a3 = _mm256_add_epi16(a3, _mm256_maddubs_epi16(_mm256_load_si256(p + 3), w));
    a4 = _mm256_add_epi16(a4, _mm256_maddubs_epi16(_mm256_load_si256(p + 4), w));
    a5 = _mm256_add_epi16(a5, _mm256_maddubs_epi16(_mm256_load_si256(p + 5), w));
    a6 = _mm256_add_epi16(a6, _mm256_maddubs_epi16(_mm256_load_si256(p + 6), w));
    a7 = _mm256_add_epi16(a7, _mm256_maddubs_epi16(_mm256_load_si256(p + 7), w));
  }
  const __m256 user_term = _mm256_set1_ps(us->user_term), margin = _mm256_set1_ps(us->margin);
  const __m256i acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
  const int64_t first = g * CRK_SCAN_GROUP;
  for (int r = 0; r < 8; r++) offer_sums16(ix, us, user_sum, first + 16 * r, acc[r], user_term, margin);
}

#define CRK_LUT_GROUP(b)                                                                                   \
  CRK_AVX2 static void lut_group_##b(const crk_code_index *ix, scan_user *us, int32_t user_sum, int64_t g) { \
    lut_group(ix, us, user_sum, g, b);                                                                     \
  }
CRK_LUT_GROUP(1)
CRK_LUT_GROUP(2)
CRK_LUT_GROUP(3)
CRK_LUT_GROUP(4)
#undef CRK_LUT_GROUP

typedef void (*group_scan)(const crk_code_index *, scan_user *, int32_t, int64_t);

static group_scan group_scan_for(int bits, int d) {
  switch (route_for(bits, d)) {
    case ROUTE_WORDS: return madd_group;
    case ROUTE_BYTES: return bytes_group;
    case ROUTE_PLANE_PAIRS: return plane_pairs_group;
    case ROUTE_LUT: break;
  }
  switch (bits) {
    case 1: return lut_group_1;
    case 2: return lut_group_2;
    case 3: return lut_group_3;
    default: return lut_group_4;
  }
}

// Per-user tables (LUT) or dimension pairs (BYTES, WORDS) from the user's packed row, into
// `out`.
static void user_tables(const crk_code_index *ix, const uint64_t *code, void *out) {
  const int d = ix->d, bits = ix->bits, wpp = ix->words_per_plane;
  const scan_route route = route_for(bits, d);
  if (route == ROUTE_BYTES) {
    int16_t *pairs = out;
    for (int p = 0; p < dim_pairs(d); p++) {
      const int lo = code_at(code, bits, wpp, 2 * p);
      const int hi = 2 * p + 1 < d ? code_at(code, bits, wpp, 2 * p + 1) : 0;
      pairs[p] = (int16_t)(lo | (hi << 8));  // signed bytes of maddubs: codes below 16 stay positive
    }
    return;
  }
  if (route == ROUTE_WORDS) {
    int32_t *pairs = out;
    for (int p = 0; p < dim_pairs(d); p++) {
      const int lo = code_at(code, bits, wpp, 2 * p);
      const int hi = 2 * p + 1 < d ? code_at(code, bits, wpp, 2 * p + 1) : 0;
      pairs[p] = (int32_t)((uint32_t)lo | ((uint32_t)hi << 16));
    }
    return;
  }
  uint8_t *tables = out;
  for (int j = 0; j < nibble_positions(d); j++) {
    int u[4];
    for (int t = 0; t < 4; t++) u[t] = 4 * j + t < d ? code_at(code, bits, wpp, 4 * j + t) : 0;
    for (int x = 0; x < 16; x++)
      tables[16 * j + x] = (uint8_t)((x & 1 ? u[0] : 0) + (x & 2 ? u[1] : 0) + (x & 4 ? u[2] : 0) + (x & 8 ? u[3] : 0));
  }
}

CRK_AVX2 static int64_t scan_search(const crk_code_index *ix, const uint64_t *users, const float *user_steps,
                                    const int32_t *user_sums, const float *user_norms, int64_t m,
                                    const int64_t *seen_offsets, const int32_t *seen, int k, uint64_t *seen_bits,
                                    int32_t *out_idx, float *out_val, int32_t *out_count) {
  const int row = ix->bits * ix->words_per_plane;
  const int64_t words = (ix->n_items + 63) / 64;
  const int64_t groups = (ix->n_items + CRK_SCAN_GROUP - 1) / CRK_SCAN_GROUP;
  const float z = (float)((1 << ix->bits) - 1) / 2;
  const scan_route route = route_for(ix->bits, ix->d);
  const int64_t table_bytes = route == ROUTE_WORDS   ? (int64_t)dim_pairs(ix->d) * 4
                              : route == ROUTE_BYTES ? (int64_t)dim_pairs(ix->d) * 2
                                                     : 16 * (int64_t)nibble_positions(ix->d);
  const int64_t stride = (table_bytes + 63) / 64 * 64;
  uint8_t *scratch = aligned_alloc(64, (size_t)(stride * CRK_SEARCH_USERS));
  if (!scratch) return -1;
  const group_scan scan_group = group_scan_for(ix->bits, ix->d);
  scan_user scans[CRK_SEARCH_USERS];
  int64_t scanned = 0;
  for (int64_t base = 0; base < m; base += CRK_SEARCH_USERS) {
    const int batch = m - base < CRK_SEARCH_USERS ? (int)(m - base) : CRK_SEARCH_USERS;
    for (int r = 0; r < batch; r++) {
      const int64_t u = base + r;
      uint64_t *bits = seen_bits + r * words;
      crk_mark_seen(bits, seen_offsets, seen, u);
      scan_user *us = &scans[r];
      us->heap = (crk_heap){out_val + u * k, out_idx + u * k, 0, k};
      us->code = users + u * row;
      us->step = user_steps[u];
      us->user_term = (float)ix->d * z * z - z * (float)user_sums[u] + 2;
      us->margin = -INFINITY;
      us->seen_bits = bits;
      us->live = user_steps[u] > 0 && isfinite(user_steps[u]);
      us->to_key = us->live ? 1 / user_steps[u] : 0;
      uint8_t *mine = scratch + r * stride;
      us->tables = mine;
      us->pairs = (const int32_t *)mine;
      us->bytes = (const int16_t *)mine;
      if (us->live) {
        user_tables(ix, us->code, mine);
      } else {  // every score is 0 (or the step is not finite): the plain scan handles it
        scanned += crk_code_scan_plain(ix, us->code, us->step, user_sums[u], user_norms[u], bits, &us->heap);
      }
    }
    for (int64_t g0 = 0; g0 < groups; g0 += CRK_TILE_SCAN_GROUPS) {
      const int64_t g1 = g0 + CRK_TILE_SCAN_GROUPS < groups ? g0 + CRK_TILE_SCAN_GROUPS : groups;
      const int64_t first = g0 * CRK_SCAN_GROUP;
      const int64_t tile_items = (g1 * CRK_SCAN_GROUP < ix->n_items ? g1 * CRK_SCAN_GROUP : ix->n_items) - first;
      for (int r = 0; r < batch; r++) {
        scan_user *us = &scans[r];
        if (!us->live) continue;
        // Norms only fall along the items: once |x_u| |x_i| is below the k-th best score at the
        // tile's first item, no later item can enter.
        const crk_heap *h = &us->heap;
        if (h->count == h->capacity && (double)user_norms[base + r] * ix->norms[first] * (1 + 1e-5) < h->val[0]) {
          us->live = 0;
          continue;
        }
        for (int64_t g = g0; g < g1; g++) scan_group(ix, us, user_sums[base + r], g);
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
  free(scratch);
  return scanned;
}
#endif

int64_t crk_code_scan_search(const crk_code_index *ix, const uint64_t *users, const float *user_steps,
                             const int32_t *user_sums, const float *user_norms, int64_t m,
                             const int64_t *seen_offsets, const int32_t *seen, int k, uint64_t *seen_bits,
                             int32_t *out_idx, float *out_val, int32_t *out_count) {
#if CRK_X86
  if (crk_has_avx2() && ix->scan)
    return scan_search(ix, users, user_steps, user_sums, user_norms, m, seen_offsets, seen, k, seen_bits, out_idx,
                       out_val, out_count);
#endif
  (void)users, (void)user_steps, (void)user_sums, (void)user_norms, (void)m, (void)seen_offsets, (void)seen, (void)k;
  (void)seen_bits, (void)out_idx, (void)out_val, (void)out_count;
  return -1;
}
