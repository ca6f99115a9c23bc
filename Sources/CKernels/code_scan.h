// Internal: the scan of code_scan.c, which crk_code_search runs for an index with a scan layout.
#ifndef COMPACTREC_CODE_SCAN_H
#define COMPACTREC_CODE_SCAN_H

#include "ckernels.h"

/// crk_code_search over the scan layout (ix->scan) on an AVX2 CPU; -1 when it does not apply
/// (no layout, no AVX2, or no memory for the per-user tables), and then nothing is written.
int64_t crk_code_scan_search(const crk_code_index *ix, const uint64_t *users, const float *user_steps,
                             const int32_t *user_sums, const float *user_norms, int64_t m,
                             const int64_t *seen_offsets, const int32_t *seen, int k, uint64_t *seen_bits,
                             int32_t *out_idx, float *out_val, int32_t *out_count);

#endif
