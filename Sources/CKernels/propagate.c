// Sparse x dense products over a CSR graph: the propagation steps of LightGCN, forward and
// backward, with rows stored in float32 or IEEE half precision (see crk_product in ckernels.h).
//
// The products gather whole rows of x at random, so they are bound by memory latency, not
// arithmetic. The AVX2 kernels prefetch every cache line of the row PREFETCH_AHEAD non-zeros
// ahead, across row boundaries (most rows have only a few non-zeros), and write full-product
// outputs with streaming stores, which keeps the cache for the gathered operand. Half
// precision halves the gathered bytes. (What each choice measured: RESULTS.md, "Measurement
// notes moved out of the code".)
#include "adam_lanes.h"
#include "ckernels.h"
#include "dispatch.h"

#include <string.h>

#define PREFETCH_AHEAD 16

static inline uint16_t to_half(float f) {
  _Float16 h = (_Float16)f;
  uint16_t u;
  memcpy(&u, &h, 2);
  return u;
}

// Row r of an (N, d) matrix of float32 or half floats.
static inline const void *row_at(const void *x, int half, int64_t r, int d) {
  return half ? (const void *)((const uint16_t *)x + r * d) : (const void *)((const float *)x + r * d);
}

// Element j of a row of float32 or half floats.
static inline float load_at(const void *row, int j, int half) {
  return half ? (float)((const _Float16 *)row)[j] : ((const float *)row)[j];
}

// dst[j] += w * src[j] for j in [from, d), dst a row in float32 or half precision.
static inline void axpy_row(void *dst, int half, const float *src, float w, int from, int d) {
  for (int j = from; j < d; j++) {
    const float v = load_at(dst, j, half) + w * src[j];
    if (half)
      ((uint16_t *)dst)[j] = to_half(v);
    else
      ((float *)dst)[j] = v;
  }
}

// The operand row of column c.
static inline const void *source_row(const crk_product *p, int32_t c, int d) {
  return row_at(p->x, p->x_half, c, d);
}

// The extra row of output row r, or NULL when it has none.
static inline const float *extra_row(const crk_product *p, int64_t r, int d) {
  if (!p->extra_slot || p->extra_slot[r] < 0) return NULL;
  return p->extra + (int64_t)p->extra_slot[r] * d;
}

// The row's epilogue: out = scale * acc + extra_weight * extra row, in y's precision, or
// that row applied as row r's gradient by the product's Adam step.
static inline void finish_row(const crk_product *p, int64_t r, const float *acc, void *out, int d) {
  const float *extra = extra_row(p, r, d);
  for (int j = 0; j < d; j++) {
    const float v = p->scale * acc[j] + (extra ? p->extra_weight * extra[j] : 0);
    if (p->adam) {
      const crk_adam_rows *o = p->adam;
      const int64_t i = r * d + j;
      const float w = crk_adam1(o->w + i, v, o->m + i, o->v + i, o->lr, o->b1, o->b2, o->c1, o->c2, o->eps, o->decay);
      if (o->w_half) o->w_half[i] = to_half(w);
    } else if (p->y_half)
      ((uint16_t *)out)[j] = to_half(v);
    else
      ((float *)out)[j] = v;
  }
}

static void row_portable(const crk_csr *a, const crk_product *p, int64_t r, void *out, int d) {
  float acc[d];
  memset(acc, 0, sizeof(float) * (size_t)d);
  for (int64_t e = a->row_ptr[r]; e < a->row_ptr[r + 1]; e++) {
    const void *src = source_row(p, a->col[e], d);
    const float w = a->val[e];
    for (int j = 0; j < d; j++) acc[j] += w * load_at(src, j, p->x_half);
  }
  finish_row(p, r, acc, out, d);
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
  const char *row = (const char *)source_row(p, c, d);
  const int bytes = d * (p->x_half ? 2 : 4);
  for (int off = 0; off < bytes; off += 64) _mm_prefetch(row + off, _MM_HINT_T0);
}

// A position in the concatenated non-zeros of a list of rows.
typedef struct {
  const int32_t *rows;
  int64_t n, t, e;
} list_cursor;

// Listed rows ahead of the cursor whose non-zeros it prefetches (and twice as far, their row
// offsets): each listed row's non-zeros sit somewhere else in the CSR arrays, so without this
// the cursor waits for them before it can prefetch their source rows.
#define ROWS_AHEAD 4

// Prefetches the source of the cursor's non-zero and moves it to the next one.
CRK_AVX2 static inline void advance(list_cursor *c, const crk_csr *a, const crk_product *p, int d) {
  while (c->t < c->n && c->e >= a->row_ptr[c->rows[c->t] + 1]) {
    if (++c->t < c->n) {
      c->e = a->row_ptr[c->rows[c->t]];
      if (c->t + ROWS_AHEAD < c->n) {
        const int64_t later = a->row_ptr[c->rows[c->t + ROWS_AHEAD]];
        _mm_prefetch((const char *)(a->col + later), _MM_HINT_T0);
        _mm_prefetch((const char *)(a->val + later), _MM_HINT_T0);
      }
      if (c->t + 2 * ROWS_AHEAD < c->n)
        _mm_prefetch((const char *)(a->row_ptr + c->rows[c->t + 2 * ROWS_AHEAD]), _MM_HINT_T0);
    }
  }
  if (c->t < c->n) prefetch_source(p, a->col[c->e++], d);
}

// The epilogue of one 64-column strip (columns s ..< s + 64) of row r of a d-wide product:
// scale, the optional extra row, and the store into the output row `out`, or the product's
// Adam step on those columns of row r (with adam_k, its broadcast constants).
CRK_AVX2 static inline __attribute__((always_inline)) void finish_64(const crk_product *p, int64_t r, int d, int s,
                                                                     void *out, int stream, __m256 acc[8],
                                                                     const crk_adam8_consts *adam_k) {
  const __m256 scale = _mm256_set1_ps(p->scale);
  const float *extra = extra_row(p, r, d);
  const __m256 ew = _mm256_set1_ps(p->extra_weight);
  for (int k = 0; k < 8; k++) {
    __m256 v = _mm256_mul_ps(scale, acc[k]);
    if (extra) v = _mm256_fmadd_ps(ew, _mm256_loadu_ps(extra + s + 8 * k), v);
    if (p->adam) {
      const crk_adam_rows *o = p->adam;
      const int64_t i = r * d + s + 8 * k;
      const __m256 w = crk_adam8(o->w + i, v, o->m + i, o->v + i, adam_k);
      if (o->w_half)
        _mm_storeu_si128((__m128i *)(o->w_half + i), _mm256_cvtps_ph(w, _MM_FROUND_TO_NEAREST_INT));
    } else {
      store8(out, s + 8 * k, v, p->y_half, stream);
    }
  }
}

// Products whose width is a multiple of 64, one function per operand layout so that the inner
// loop holds nothing but the gather: XH (half-float operand), LIST (rows from a list, written
// compactly, prefetched through a cursor; otherwise rows r0 ..< r1, prefetched PREFETCH_AHEAD
// non-zeros ahead), FIXED_D (the width when known at compile time, 64, or 0 for the `width`
// argument). Each row is computed in strips of 64 columns that accumulate in eight
// registers; the first strip's pass prefetches the whole neighbour rows, which the later
// strips then find in cache.
#define LOAD_ROW8(src, k, XH)                                                                    \
  ((XH) ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)(src) + 8 * (k)))) \
        : _mm256_loadu_ps((const float *)(src) + 8 * (k)))
#define DEFINE_ROWS_64(NAME, XH, LIST, FIXED_D)                                                          \
  CRK_AVX2 static void NAME(const crk_csr *a, const crk_product *p, const int32_t *rows, int64_t r0,     \
                            int64_t r1, int stream, int width) {                                         \
    const int d = (FIXED_D) ? (FIXED_D) : width;                                                         \
    const int64_t *rp = a->row_ptr;                                                                      \
    const int32_t *col = a->col;                                                                         \
    const float *val = a->val;                                                                           \
    const char *x = (const char *)p->x;                                                                  \
    const int64_t x_row = (int64_t)d * ((XH) ? 2 : 4);                                                   \
    const size_t y_row = (size_t)d * (p->y_half ? 2 : 4);                                                \
    const int64_t pf_end = LIST ? 0 : rp[r1];                                                            \
    list_cursor cursor = {rows, r1, r0, LIST && r0 < r1 ? rp[rows[r0]] : 0};                             \
    const crk_adam_rows *o = p->adam;                                                                    \
    const crk_adam8_consts adam_k =                                                                      \
        o ? crk_adam8_setup(o->lr, o->b1, o->b2, o->c1, o->c2, o->eps, o->decay) : (crk_adam8_consts){0};  \
    if (LIST)                                                                                            \
      for (int k = 0; k < PREFETCH_AHEAD; k++) advance(&cursor, a, p, d);                                \
    for (int64_t t = r0; t < r1; t++) {                                                                  \
      const int64_t r = LIST ? rows[t] : t;                                                              \
      const int64_t end = a->row_ptr[r + 1];                                                             \
      void *out = (char *)p->y + (LIST ? t - r0 : t) * y_row;                                            \
      for (int s = 0; s < d; s += 64) {                                                                  \
        __m256 acc[8];                                                                                   \
        for (int k = 0; k < 8; k++) acc[k] = _mm256_setzero_ps();                                        \
        const int64_t strip = (int64_t)s * ((XH) ? 2 : 4);                                               \
        for (int64_t e = rp[r]; e < end; e++) {                                                          \
          if (s == 0 && LIST) {                                                                          \
            advance(&cursor, a, p, d);                                                                   \
          } else if (s == 0 && e + PREFETCH_AHEAD < pf_end) {                                            \
            const char *q = x + col[e + PREFETCH_AHEAD] * x_row;                                         \
            for (int64_t off = 0; off < x_row; off += 64) _mm_prefetch(q + off, _MM_HINT_T0);            \
          }                                                                                              \
          const char *src = x + col[e] * x_row + strip;                                                  \
          const __m256 w = _mm256_set1_ps(val[e]);                                                       \
          acc[0] = _mm256_fmadd_ps(w, LOAD_ROW8(src, 0, XH), acc[0]);                                    \
          acc[1] = _mm256_fmadd_ps(w, LOAD_ROW8(src, 1, XH), acc[1]);                                    \
          acc[2] = _mm256_fmadd_ps(w, LOAD_ROW8(src, 2, XH), acc[2]);                                    \
          acc[3] = _mm256_fmadd_ps(w, LOAD_ROW8(src, 3, XH), acc[3]);                                    \
          acc[4] = _mm256_fmadd_ps(w, LOAD_ROW8(src, 4, XH), acc[4]);                                    \
          acc[5] = _mm256_fmadd_ps(w, LOAD_ROW8(src, 5, XH), acc[5]);                                    \
          acc[6] = _mm256_fmadd_ps(w, LOAD_ROW8(src, 6, XH), acc[6]);                                    \
          acc[7] = _mm256_fmadd_ps(w, LOAD_ROW8(src, 7, XH), acc[7]);                                    \
        }                                                                                                \
        finish_64(p, r, d, s, out, stream, acc, &adam_k);                                                \
      }                                                                                                  \
    }                                                                                                    \
  }
DEFINE_ROWS_64(rows_64_f, 0, 0, 64)
DEFINE_ROWS_64(rows_64_h, 1, 0, 64)
DEFINE_ROWS_64(list_64_f, 0, 1, 64)
DEFINE_ROWS_64(list_64_h, 1, 1, 64)
DEFINE_ROWS_64(rows_strips_f, 0, 0, 0)
DEFINE_ROWS_64(rows_strips_h, 1, 0, 0)
DEFINE_ROWS_64(list_strips_f, 0, 1, 0)
DEFINE_ROWS_64(list_strips_h, 1, 1, 0)

// Any d: the accumulator row stays in L1 while the neighbour rows stream through.
CRK_AVX2 static void row_general(const crk_csr *a, const crk_product *p, int64_t r, int64_t pf_end,
                                 void *out, int d, list_cursor *cursor) {
  float acc[d];
  memset(acc, 0, sizeof(float) * (size_t)d);
  const int64_t end = a->row_ptr[r + 1];
  const int d8 = d & ~7;
  for (int64_t e = a->row_ptr[r]; e < end; e++) {
    if (cursor)
      advance(cursor, a, p, d);
    else if (e + PREFETCH_AHEAD < pf_end)
      prefetch_source(p, a->col[e + PREFETCH_AHEAD], d);
    const void *src = source_row(p, a->col[e], d);
    const float w = a->val[e];
    const __m256 vw = _mm256_set1_ps(w);
    for (int j = 0; j < d8; j += 8)
      _mm256_storeu_ps(acc + j, _mm256_fmadd_ps(vw, load8(src, j, p->x_half), _mm256_loadu_ps(acc + j)));
    for (int j = d8; j < d; j++) acc[j] += w * load_at(src, j, p->x_half);
  }
  finish_row(p, r, acc, out, d);
}

CRK_AVX2 static void rows_avx2(const crk_csr *a, const crk_product *p, int64_t r0, int64_t r1, int d) {
  const int64_t pf_end = a->row_ptr[r1];
  const size_t row_bytes = (size_t)d * (p->y_half ? 2 : 4);
  if (d % 64 == 0) {
    const int stream = ((uintptr_t)p->y & 31) == 0;
    if (d == 64 && p->x_half)
      rows_64_h(a, p, NULL, r0, r1, stream, d);
    else if (d == 64)
      rows_64_f(a, p, NULL, r0, r1, stream, d);
    else if (p->x_half)
      rows_strips_h(a, p, NULL, r0, r1, stream, d);
    else
      rows_strips_f(a, p, NULL, r0, r1, stream, d);
    if (stream) _mm_sfence();
  } else {
    for (int64_t r = r0; r < r1; r++) row_general(a, p, r, pf_end, (char *)p->y + r * row_bytes, d, NULL);
  }
}

// Listed rows, each computed whole. A cursor walks the listed rows' non-zeros PREFETCH_AHEAD
// ahead of the product, so short rows also get their neighbours prefetched.
CRK_AVX2 static void row_list_avx2(const crk_csr *a, const crk_product *p, const int32_t *rows, int64_t n,
                                   int d) {
  if (d % 64 == 0) {
    if (d == 64 && p->x_half)
      list_64_h(a, p, rows, 0, n, 0, d);
    else if (d == 64)
      list_64_f(a, p, rows, 0, n, 0, d);
    else if (p->x_half)
      list_strips_h(a, p, rows, 0, n, 0, d);
    else
      list_strips_f(a, p, rows, 0, n, 0, d);
    return;
  }
  const size_t row_bytes = (size_t)d * (p->y_half ? 2 : 4);
  list_cursor cursor = {rows, n, 0, n > 0 ? a->row_ptr[rows[0]] : 0};
  for (int k = 0; k < PREFETCH_AHEAD; k++) advance(&cursor, a, p, d);
  for (int64_t t = 0; t < n; t++)
    row_general(a, p, rows[t], 0, (char *)p->y + t * row_bytes, d, &cursor);
}

// dst += w * src for one row of d floats, dst in float32 or half precision.
CRK_AVX2 static inline void axpy_row_avx2(void *dst, int half, const float *src, float w, int d) {
  const __m256 vw = _mm256_set1_ps(w);
  const int d8 = d & ~7;
  for (int j = 0; j < d8; j += 8)
    store8(dst, j, _mm256_fmadd_ps(vw, _mm256_loadu_ps(src + j), load8(dst, j, half)), half, 0);
  axpy_row(dst, half, src, w, d8, d);
}

// Pushes each listed row's x row into its neighbours' rows of y; a cursor prefetches the
// destination rows PREFETCH_AHEAD non-zeros ahead, across row boundaries.
CRK_AVX2 static void push_avx2(const crk_csr *a, const int32_t *rows, int64_t n, const float *x, float weight,
                               void *y, int y_half, int d) {
  const crk_product target = {.x = y, .x_half = y_half};
  list_cursor cursor = {rows, n, 0, n > 0 ? a->row_ptr[rows[0]] : 0};
  for (int k = 0; k < PREFETCH_AHEAD; k++) advance(&cursor, a, &target, d);
  const int64_t row_bytes = (int64_t)d * (y_half ? 2 : 4);
  for (int64_t t = 0; t < n; t++) {
    const float *src = x + t * d;
    const int64_t end = a->row_ptr[rows[t] + 1];
    for (int64_t e = a->row_ptr[rows[t]]; e < end; e++) {
      advance(&cursor, a, &target, d);
      // A constant width lets the compiler unroll the common case.
      if (d == 64)
        axpy_row_avx2((char *)y + a->col[e] * row_bytes, y_half, src, weight * a->val[e], 64);
      else
        axpy_row_avx2((char *)y + a->col[e] * row_bytes, y_half, src, weight * a->val[e], d);
    }
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
  const int row_bytes = d * (x_half ? 2 : 4);
  for (int64_t t = 0; t < n; t++) {
    if (t + 8 < n) {
      const char *ahead = (const char *)x + (int64_t)rows[t + 8] * row_bytes;
      for (int off = 0; off < row_bytes; off += 64) _mm_prefetch(ahead + off, _MM_HINT_T0);
    }
    const int64_t r = rows[t];
    const void *src = row_at(x, x_half, r, d);
    float *out = y + t * d;
    for (int j = 0; j < d8; j += 8)
      _mm256_storeu_ps(out + j, _mm256_fmadd_ps(vw, load8(src, j, x_half), _mm256_loadu_ps(out + j)));
    for (int j = d8; j < d; j++) out[j] += w * load_at(src, j, x_half);
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
    const void *src = row_at(x, x_half, r, d);
    for (int j = 0; j < d; j++) y[t * d + j] += w * load_at(src, j, x_half);
  }
}

void crk_push_rows(const crk_csr *a, const int32_t *rows, int64_t n, const float *x, float weight, void *y,
                   int y_half, int d) {
#if CRK_X86
  if (crk_has_avx2()) {
    push_avx2(a, rows, n, x, weight, y, y_half, d);
    return;
  }
#endif
  const int64_t row_bytes = (int64_t)d * (y_half ? 2 : 4);
  for (int64_t t = 0; t < n; t++)
    for (int64_t e = a->row_ptr[rows[t]]; e < a->row_ptr[rows[t] + 1]; e++)
      axpy_row((char *)y + a->col[e] * row_bytes, y_half, x + t * d, weight * a->val[e], 0, d);
}

void crk_add_into_rows(const float *x, const int32_t *rows, int64_t n, float w, void *y, int y_half, int d) {
  const int64_t row_bytes = (int64_t)d * (y_half ? 2 : 4);
#if CRK_X86
  if (crk_has_avx2()) {
    for (int64_t t = 0; t < n; t++) axpy_row_avx2((char *)y + rows[t] * row_bytes, y_half, x + t * d, w, d);
    return;
  }
#endif
  for (int64_t t = 0; t < n; t++) axpy_row((char *)y + rows[t] * row_bytes, y_half, x + t * d, w, 0, d);
}
