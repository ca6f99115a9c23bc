#include "ckernels.h"
#include "dispatch.h"

int crk_has_avx2(void) {
#if CRK_X86
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  }
  return cached;
#else
  return 0;
#endif
}

int crk_vector_width(void) { return crk_has_avx2() ? 8 : 1; }
