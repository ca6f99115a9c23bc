// Row-wise softmax cross-entropy gradient in place, a row's log-sum-exp and its maximum; see
// ckernels.h.
#include "ckernels.h"
#include "dispatch.h"

#include <math.h>

static float row_max_portable(const float *row, int64_t n) {
  float top = -INFINITY;
  for (int64_t j = 0; j < n; j++) top = row[j] > top ? row[j] : top;
  return top;
}

static double xent_row_portable(float *row, int64_t n, int32_t target, float scale) {
  const float top = row_max_portable(row, n);
  const float target_logit = row[target] - top;
  double sum = 0;
  for (int64_t j = 0; j < n; j++) {
    row[j] = expf(row[j] - top);
    sum += row[j];
  }
  const float inv = (float)(scale / sum);
  for (int64_t j = 0; j < n; j++) row[j] *= inv;
  row[target] -= scale;
  return log(sum) - target_logit;
}

static float log_sum_exp_portable(const float *row, int64_t n, float top) {
  double sum = 0;
  for (int64_t j = 0; j < n; j++) sum += expf(row[j] - top);
  return top + (float)log(sum);
}

#if CRK_X86
#include <immintrin.h>

// e^x for x <= 0 (arguments here are logits minus the row maximum), relative error about
// 2e-7: x = k ln 2 + r with |r| <= ln2 / 2, e^r by a degree-6 polynomial, 2^k from the
// exponent bits; below -87 the result is 0.
CRK_AVX2 static inline __m256 exp_nonpositive(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.0f);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_max_ps(x, lo);
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(bits)));
}

// The largest of row[0..<n] (-infinity for n = 0).
CRK_AVX2 static float row_max_avx2(const float *row, int64_t n) {
  int64_t j = 0;
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  for (; j + 8 <= n; j += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(row + j));
  float lanes[8];
  _mm256_storeu_ps(lanes, vmax);
  float top = -INFINITY;
  for (int l = 0; l < 8; l++) top = lanes[l] > top ? lanes[l] : top;
  for (; j < n; j++) top = row[j] > top ? row[j] : top;
  return top;
}

// The sum of the eight lanes, in double.
CRK_AVX2 static double lane_sum(__m256 v) {
  float lanes[8];
  _mm256_storeu_ps(lanes, v);
  double sum = 0;
  for (int l = 0; l < 8; l++) sum += lanes[l];
  return sum;
}

CRK_AVX2 static double xent_row_avx2(float *row, int64_t n, int32_t target, float scale) {
  const float top = row_max_avx2(row, n);
  const float target_logit = row[target] - top;
  const __m256 vtop = _mm256_set1_ps(top);
  __m256 vsum = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(row + j), vtop));
    _mm256_storeu_ps(row + j, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  double sum = lane_sum(vsum);
  for (; j < n; j++) {
    row[j] = expf(row[j] - top);
    sum += row[j];
  }
  const __m256 inv = _mm256_set1_ps((float)(scale / sum));
  j = 0;
  for (; j + 8 <= n; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inv));
  for (; j < n; j++) row[j] *= (float)(scale / sum);
  row[target] -= scale;
  return log(sum) - target_logit;
}

CRK_AVX2 static float log_sum_exp_avx2(const float *row, int64_t n, float top) {
  const __m256 vtop = _mm256_set1_ps(top);
  __m256 vsum = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) vsum = _mm256_add_ps(vsum, exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(row + j), vtop)));
  double sum = lane_sum(vsum);
  for (; j < n; j++) sum += expf(row[j] - top);
  return top + (float)log(sum);
}
#endif

float crk_log_sum_exp(const float *row, int64_t n, float top) {
#if CRK_X86
  if (crk_has_avx2()) return log_sum_exp_avx2(row, n, top);
#endif
  return log_sum_exp_portable(row, n, top);
}


float crk_row_max(const float *row, int64_t n) {
#if CRK_X86
  if (crk_has_avx2()) return row_max_avx2(row, n);
#endif
  return row_max_portable(row, n);
}

double crk_softmax_xent_row(float *row, int64_t n, int32_t target, float scale) {
#if CRK_X86
  if (crk_has_avx2()) return xent_row_avx2(row, n, target, scale);
#endif
  return xent_row_portable(row, n, target, scale);
}
