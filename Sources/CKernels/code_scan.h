// Internal: what the two code searches share (code_search.c: the 1-bit nibble kernel and the
// plain scan; code_scan.c: the scan over a transposed layout, which crk_code_search runs for an
// index with one).
#ifndef COMPACTREC_CODE_SCAN_H
#define COMPACTREC_CODE_SCAN_H

#include <math.h>

#include "ckernels.h"
#include "dispatch.h"

/// A score threshold in key units (key = score * to_key), lowered by a rounding margin: the key
/// an item must reach to be scored exactly.
static inline float crk_key_margin(float threshold, float to_key) {
  const float tk = threshold * to_key;
  return isfinite(tk) ? tk - fabsf(tk) * 1e-5f - 1e-30f : -INFINITY;
}

/// Sets (mark) or clears user u's seen items seen[offsets[u] ..< offsets[u + 1]] in `bits`.
static inline void crk_mark_seen(uint64_t *bits, const int64_t *offsets, const int32_t *seen, int64_t u) {
  for (int64_t s = offsets[u]; s < offsets[u + 1]; s++) bits[seen[s] >> 6] |= 1ull << (seen[s] & 63);
}
static inline void crk_clear_seen(uint64_t *bits, const int64_t *offsets, const int32_t *seen, int64_t u) {
  for (int64_t s = offsets[u]; s < offsets[u + 1]; s++) bits[seen[s] >> 6] = 0;
}

/// Whether `item` is set in a seen bitset.
static inline int crk_is_seen(const uint64_t *bits, int32_t item) { return (bits[item >> 6] >> (item & 63)) & 1; }

/// The plain scan of one user over every item in norm order (exact scores, seen items skipped,
/// stopped by the norm bound), with popcnt where the CPU has it; returns how many items it
/// scored. For users the faster kernels do not take (a zero step).
int64_t crk_code_scan_plain(const crk_code_index *ix, const uint64_t *user, float user_step, int32_t user_sum,
                            float user_norm, const uint64_t *seen_bits, crk_heap *h);

/// crk_code_search over the scan layout (ix->scan) on an AVX2 CPU; -1 when it does not apply
/// (no layout, no AVX2, or no memory for the per-user tables), and then nothing is written.
int64_t crk_code_scan_search(const crk_code_index *ix, const uint64_t *users, const float *user_steps,
                             const int32_t *user_sums, const float *user_norms, int64_t m,
                             const int64_t *seen_offsets, const int32_t *seen, int k, uint64_t *seen_bits,
                             int32_t *out_idx, float *out_val, int32_t *out_count);

#endif
