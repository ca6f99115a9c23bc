// Sparse x dense products over a CSR graph: the propagation steps of LightGCN, forward and
// backward, with rows stored in float32 or IEEE half precision (see crk_product in ckernels.h).
//
// The products gather whole rows of x at random, so they are bound by memory latency, not
// arithmetic. The AVX2 kernels prefetch every cache line of the row PREFETCH_AHEAD non-zeros
// ahead, across row boundaries (most rows have only a few non-zeros), and write full-product
// outputs with streaming stores, which keeps the cache for the gathered operand. Half
// precision halves the gathered bytes. Measured on Gowalla (d = 64, 2 cores, a chain of
// products): 8.6 ms per product prefetching one line 2 non-zeros ahead, 6.4 ms with this
// scheme in float32, 3.5-4.3 ms with half-precision rows.
#include "ckernels.h"
#include "dispatch.h"

#include <string.h>

#define PREFETCH_AHEAD 16

static inline float load_half(const uint16_t *p) { return (float)*(const _Float16 *)p; }
static inline uint16_t to_half(float f) {
  _Float16 h = (_Float16)f;
  uint16_t u;
  memcpy(&u, &h, 2);
  return u;
}

// The operand row holding node c, or NULL when it is zero (compact operand without c).
static inline const void *source_row(const crk_product *p, int32_t c, int d) {
  if (p->x_slot) {
    const int32_t s = p->x_slot[c];
    if (s < 0) return NULL;
    c = s;
  }
  return p->x_half ? (const void *)((const uint16_t *)p->x + (int64_t)c * d)
                   : (const void *)((const float *)p->x + (int64_t)c * d);
}

// acc = scale * acc + extra_weight * extra[extra_slot[r]], the row's epilogue.
static inline const float *extra_row(const crk_product *p, int64_t r, int d) {
  if (!p->extra_slot || p->extra_slot[r] < 0) return NULL;
  return p->extra + (int64_t)p->extra_slot[r] * d;
}

static void row_portable(const crk_csr *a, const crk_product *p, int64_t r, void *out, int d) {
  float acc[d];
  memset(acc, 0, sizeof(float) * (size_t)d);
  for (int64_t e = a->row_ptr[r]; e < a->row_ptr[r + 1]; e++) {
    const void *src = source_row(p, a->col[e], d);
    if (!src) continue;
    const float w = a->val[e];
    if (p->x_half)
      for (int j = 0; j < d; j++) acc[j] += w * load_half((const uint16_t *)src + j);
    else
      for (int j = 0; j < d; j++) acc[j] += w * ((const float *)src)[j];
  }
  const float *extra = extra_row(p, r, d);
  for (int j = 0; j < d; j++) {
    const float v = p->scale * acc[j] + (extra ? p->extra_weight * extra[j] : 0);
    if (p->y_half)
      ((uint16_t *)out)[j] = to_half(v);
    else
      ((float *)out)[j] = v;
  }
}

#if CRK_X86
#include <immintrin.h>

CRK_AVX2 static inline __m256 load8(const void *row, int j, int half) {
  if (half) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + j)));
  return _mm256_loadu_ps((const float *)row + j);
}

CRK_AVX2 static inline void store8(void *row, int j, __m256 v, int half, int stream) {
  if (half) {
    const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
    if (stream)
      _mm_stream_si128((__m128i *)((uint16_t *)row + j), h);
    else
      _mm_storeu_si128((__m128i *)((uint16_t *)row + j), h);
  } else if (stream) {
    _mm256_stream_ps((float *)row + j, v);
  } else {
    _mm256_storeu_ps((float *)row + j, v);
  }
}

CRK_AVX2 static inline void prefetch_source(const crk_product *p, int32_t c, int d) {
  if (p->x_slot) return;  // compact operands are small and stay cached
  const char *row = (const char *)source_row(p, c, d);
  const int bytes = d * (p->x_half ? 2 : 4);
  for (int off = 0; off < bytes; off += 64) _mm_prefetch(row + off, _MM_HINT_T0);
}

// One output row at d = 64, accumulated in eight registers. `half` is a constant at each call
// site, so the compiler emits one loop per precision.
CRK_AVX2 static inline __attribute__((always_inline)) void row_64(
    const crk_csr *a, const crk_product *p, int64_t r, int64_t pf_end, void *out, int half, int stream) {
  __m256 acc[8];
  for (int k = 0; k < 8; k++) acc[k] = _mm256_setzero_ps();
  const int64_t end = a->row_ptr[r + 1];
  for (int64_t e = a->row_ptr[r]; e < end; e++) {
    if (e + PREFETCH_AHEAD < pf_end) prefetch_source(p, a->col[e + PREFETCH_AHEAD], 64);
    const void *src = source_row(p, a->col[e], 64);
    if (!src) continue;
    const __m256 w = _mm256_set1_ps(a->val[e]);
    for (int k = 0; k < 8; k++) acc[k] = _mm256_fmadd_ps(w, load8(src, 8 * k, half), acc[k]);
  }
  const __m256 scale = _mm256_set1_ps(p->scale);
  const float *extra = extra_row(p, r, 64);
  const __m256 ew = _mm256_set1_ps(p->extra_weight);
  for (int k = 0; k < 8; k++) {
    __m256 v = _mm256_mul_ps(scale, acc[k]);
    if (extra) v = _mm256_fmadd_ps(ew, _mm256_loadu_ps(extra + 8 * k), v);
    store8(out, 8 * k, v, p->y_half, stream);
  }
}

// Any d: the accumulator row stays in L1 while the neighbour rows stream through.
CRK_AVX2 static void row_general(const crk_csr *a, const crk_product *p, int64_t r, int64_t pf_end,
                                 void *out, int d) {
  float acc[d];
  memset(acc, 0, sizeof(float) * (size_t)d);
  const int64_t end = a->row_ptr[r + 1];
  const int d8 = d & ~7;
  for (int64_t e = a->row_ptr[r]; e < end; e++) {
    if (e + PREFETCH_AHEAD < pf_end) prefetch_source(p, a->col[e + PREFETCH_AHEAD], d);
    const void *src = source_row(p, a->col[e], d);
    if (!src) continue;
    const float w = a->val[e];
    const __m256 vw = _mm256_set1_ps(w);
    for (int j = 0; j < d8; j += 8)
      _mm256_storeu_ps(acc + j, _mm256_fmadd_ps(vw, load8(src, j, p->x_half), _mm256_loadu_ps(acc + j)));
    for (int j = d8; j < d; j++)
      acc[j] += w * (p->x_half ? load_half((const uint16_t *)src + j) : ((const float *)src)[j]);
  }
  const float *extra = extra_row(p, r, d);
  for (int j = 0; j < d; j++) {
    const float v = p->scale * acc[j] + (extra ? p->extra_weight * extra[j] : 0);
    if (p->y_half)
      ((uint16_t *)out)[j] = to_half(v);
    else
      ((float *)out)[j] = v;
  }
}

CRK_AVX2 static void rows_avx2(const crk_csr *a, const crk_product *p, int64_t r0, int64_t r1, int d) {
  const int64_t pf_end = a->row_ptr[r1];
  const size_t row_bytes = (size_t)d * (p->y_half ? 2 : 4);
  if (d == 64) {
    const int stream = ((uintptr_t)p->y & 31) == 0;
    if (p->x_half) {
      for (int64_t r = r0; r < r1; r++) row_64(a, p, r, pf_end, (char *)p->y + r * row_bytes, 1, stream);
    } else {
      for (int64_t r = r0; r < r1; r++) row_64(a, p, r, pf_end, (char *)p->y + r * row_bytes, 0, stream);
    }
    if (stream) _mm_sfence();
  } else {
    for (int64_t r = r0; r < r1; r++) row_general(a, p, r, pf_end, (char *)p->y + r * row_bytes, d);
  }
}

CRK_AVX2 static void row_list_avx2(const crk_csr *a, const crk_product *p, const int32_t *rows, int64_t n,
                                   int d) {
  const size_t row_bytes = (size_t)d * (p->y_half ? 2 : 4);
  for (int64_t t = 0; t < n; t++) {
    const int64_t r = rows[t];
    void *out = (char *)p->y + t * row_bytes;
    if (d == 64 && p->x_half)
      row_64(a, p, r, a->row_ptr[r + 1], out, 1, 0);
    else if (d == 64)
      row_64(a, p, r, a->row_ptr[r + 1], out, 0, 0);
    else
      row_general(a, p, r, a->row_ptr[r + 1], out, d);
  }
}

CRK_AVX2 static void convert_avx2(const float *x, uint16_t *y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++) y[i] = to_half(x[i]);
}

CRK_AVX2 static void add_rows_avx2(const void *x, int x_half, const int32_t *rows, int64_t n, float w, float *y,
                                   int d) {
  const __m256 vw = _mm256_set1_ps(w);
  const int d8 = d & ~7;
  for (int64_t t = 0; t < n; t++) {
    const int64_t r = rows[t];
    const void *src = x_half ? (const void *)((const uint16_t *)x + r * d) : (const void *)((const float *)x + r * d);
    float *out = y + t * d;
    for (int j = 0; j < d8; j += 8)
      _mm256_storeu_ps(out + j, _mm256_fmadd_ps(vw, load8(src, j, x_half), _mm256_loadu_ps(out + j)));
    for (int j = d8; j < d; j++)
      out[j] += w * (x_half ? load_half((const uint16_t *)src + j) : ((const float *)src)[j]);
  }
}
#endif

void crk_propagate_rows(const crk_csr *a, const crk_product *p, int64_t row_begin, int64_t row_end, int d) {
#if CRK_X86
  if (crk_has_avx2()) {
    rows_avx2(a, p, row_begin, row_end, d);
    return;
  }
#endif
  const size_t row_bytes = (size_t)d * (p->y_half ? 2 : 4);
  for (int64_t r = row_begin; r < row_end; r++) row_portable(a, p, r, (char *)p->y + r * row_bytes, d);
}

void crk_propagate_row_list(const crk_csr *a, const crk_product *p, const int32_t *rows, int64_t n, int d) {
#if CRK_X86
  if (crk_has_avx2()) {
    row_list_avx2(a, p, rows, n, d);
    return;
  }
#endif
  const size_t row_bytes = (size_t)d * (p->y_half ? 2 : 4);
  for (int64_t t = 0; t < n; t++) row_portable(a, p, rows[t], (char *)p->y + t * row_bytes, d);
}

void crk_convert_to_half(const float *x, uint16_t *y, int64_t n) {
#if CRK_X86
  if (crk_has_avx2()) {
    convert_avx2(x, y, n);
    return;
  }
#endif
  for (int64_t i = 0; i < n; i++) y[i] = to_half(x[i]);
}

void crk_add_rows(const void *x, int x_half, const int32_t *rows, int64_t n, float w, float *y, int d) {
#if CRK_X86
  if (crk_has_avx2()) {
    add_rows_avx2(x, x_half, rows, n, w, y, d);
    return;
  }
#endif
  for (int64_t t = 0; t < n; t++) {
    const int64_t r = rows[t];
    for (int j = 0; j < d; j++)
      y[t * d + j] += w * (x_half ? load_half((const uint16_t *)x + r * d + j) : ((const float *)x)[r * d + j]);
  }
}
