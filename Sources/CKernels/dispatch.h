// Internal: CPU feature dispatch and the shared top-k heap.
#ifndef COMPACTREC_DISPATCH_H
#define COMPACTREC_DISPATCH_H

#include <stdint.h>

#if defined(__x86_64__) || defined(_M_X64)
#define CRK_X86 1
#define CRK_AVX2 __attribute__((target("avx2,fma,f16c,popcnt,bmi2")))
#else
#define CRK_X86 0
#define CRK_AVX2
#endif

/// Whether this CPU runs the AVX2+FMA kernels (checked once).
int crk_has_avx2(void);

/// A fixed-capacity min-heap over caller-owned buffers (see topk.c).
typedef struct {
  float *val;
  int32_t *idx;
  int count;
  int capacity;
} crk_heap;

void crk_heap_offer(crk_heap *h, float s, int32_t i);
/// The score an entry must reach to enter: the k-th best once the heap is full, else -inf.
static inline float crk_heap_threshold(const crk_heap *h) {
  return h->count == h->capacity ? h->val[0] : -__builtin_inff();
}
/// Sorts the heap best first in place; returns its count.
int crk_heap_finish(crk_heap *h);

#endif
