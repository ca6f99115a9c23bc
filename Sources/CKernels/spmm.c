// CSR sparse x dense products: the propagation step of graph models (LightGCN).
// adjacency (N,N) CSR, x (N,d), y (N,d); each output row is one pass over its non-zeros.
#include "ckernels.h"
#include "dispatch.h"

#include <string.h>

static void spmm_portable(const int64_t *rp, const int32_t *col, const float *val, const float *x,
                          float *y, int64_t r0, int64_t r1, int d) {
  for (int64_t r = r0; r < r1; r++) {
    float *out = y + r * d;
    memset(out, 0, sizeof(float) * (size_t)d);
    for (int64_t e = rp[r]; e < rp[r + 1]; e++) {
      const float w = val[e];
      const float *in = x + (int64_t)col[e] * d;
      for (int j = 0; j < d; j++) out[j] += w * in[j];
    }
  }
}

#if CRK_X86
#include <immintrin.h>
// d = 64: the row accumulates in eight registers; the next neighbour's row is prefetched.
CRK_AVX2 static void spmm_64(const int64_t *rp, const int32_t *col, const float *val,
                             const float *x, float *y, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; r++) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    const int64_t end = rp[r + 1];
    for (int64_t e = rp[r]; e < end; e++) {
      if (e + 2 < end) _mm_prefetch((const char *)(x + (int64_t)col[e + 2] * 64), _MM_HINT_T0);
      const __m256 w = _mm256_set1_ps(val[e]);
      const float *in = x + (int64_t)col[e] * 64;
      a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(in), a0);
      a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(in + 8), a1);
      a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(in + 16), a2);
      a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(in + 24), a3);
      a4 = _mm256_fmadd_ps(w, _mm256_loadu_ps(in + 32), a4);
      a5 = _mm256_fmadd_ps(w, _mm256_loadu_ps(in + 40), a5);
      a6 = _mm256_fmadd_ps(w, _mm256_loadu_ps(in + 48), a6);
      a7 = _mm256_fmadd_ps(w, _mm256_loadu_ps(in + 56), a7);
    }
    float *out = y + r * 64;
    _mm256_storeu_ps(out, a0);
    _mm256_storeu_ps(out + 8, a1);
    _mm256_storeu_ps(out + 16, a2);
    _mm256_storeu_ps(out + 24, a3);
    _mm256_storeu_ps(out + 32, a4);
    _mm256_storeu_ps(out + 40, a5);
    _mm256_storeu_ps(out + 48, a6);
    _mm256_storeu_ps(out + 56, a7);
  }
}

// Any d: blocks of 8 columns in registers, the remainder in scalar code.
CRK_AVX2 static void spmm_general(const int64_t *rp, const int32_t *col, const float *val,
                                  const float *x, float *y, int64_t r0, int64_t r1, int d) {
  for (int64_t r = r0; r < r1; r++) {
    float *out = y + r * d;
    int j = 0;
    for (; j + 8 <= d; j += 8) {
      __m256 a = _mm256_setzero_ps();
      for (int64_t e = rp[r]; e < rp[r + 1]; e++)
        a = _mm256_fmadd_ps(_mm256_set1_ps(val[e]), _mm256_loadu_ps(x + (int64_t)col[e] * d + j), a);
      _mm256_storeu_ps(out + j, a);
    }
    for (; j < d; j++) {
      float a = 0;
      for (int64_t e = rp[r]; e < rp[r + 1]; e++) a += val[e] * x[(int64_t)col[e] * d + j];
      out[j] = a;
    }
  }
}
#endif

void crk_spmm_rows(const int64_t *row_ptr, const int32_t *col, const float *val, const float *x,
                   float *y, int64_t row_begin, int64_t row_end, int d) {
#if CRK_X86
  if (crk_has_avx2()) {
    if (d == 64)
      spmm_64(row_ptr, col, val, x, y, row_begin, row_end);
    else
      spmm_general(row_ptr, col, val, x, y, row_begin, row_end, d);
    return;
  }
#endif
  spmm_portable(row_ptr, col, val, x, y, row_begin, row_end, d);
}

void crk_spmm_row_list(const int64_t *row_ptr, const int32_t *col, const float *val, const float *x,
                       float *y, const int32_t *rows, int64_t n_rows, int d) {
  for (int64_t t = 0; t < n_rows; t++) crk_spmm_rows(row_ptr, col, val, x, y, rows[t], rows[t] + 1, d);
}

void crk_spmm_scatter(const int64_t *row_ptr, const int32_t *col, const float *val, const float *x,
                      float *y, const int32_t *rows, int64_t n_rows, int d) {
  for (int64_t t = 0; t < n_rows; t++) {
    const int64_t r = rows[t];
    const float *in = x + r * d;
    for (int64_t e = row_ptr[r]; e < row_ptr[r + 1]; e++) {
      float *out = y + (int64_t)col[e] * d;
      const float w = val[e];
      for (int j = 0; j < d; j++) out[j] += w * in[j];
    }
  }
}
