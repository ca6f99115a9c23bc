#include "ckernels.h"
#include "dispatch.h"

int crk_has_avx2(void) {
#if CRK_X86
  // Atomic so that threads asking at once (searches from many threads) do not race.
  static int cached = -1;
  int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (known < 0) {
    __builtin_cpu_init();
    known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
  }
  return known;
#else
  return 0;
#endif
}

int crk_vector_width(void) { return crk_has_avx2() ? 8 : 1; }
