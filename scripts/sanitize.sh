#!/usr/bin/env bash
# Runs the test suite under Address Sanitizer and Undefined Behavior Sanitizer, each in its
# own build folder (.build-asan, .build-ubsan), so the command-line tests run a sanitized
# `compactrec` too, and the concurrency suites under Thread Sanitizer (.build-tsan).
# Usage: scripts/sanitize.sh [address] [undefined] [thread]   (default: all three)
# Prints one summary line per sanitizer and exits non-zero when any run fails.
#
# ThreadSanitizer runs the suites whose code many threads share: retrieval (every ItemIndex,
# searched from 8 threads at once), model loading and sequential inference.
#
# AddressSanitizer instruments the Swift and the C code. The Swift compiler has no
# undefined-behavior sanitizer (Swift traps on overflow and out-of-bounds access by itself), so
# `undefined` instruments the C kernels (CKernels) with clang's -fsanitize=undefined, every
# check fatal, and links clang's UBSan runtime from the toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-deps.sh
sanitizers=("$@")
[ ${#sanitizers[@]} -eq 0 ] && sanitizers=(address undefined thread)
status=0
for sanitizer in "${sanitizers[@]}"; do
  filter=()
  case "$sanitizer" in
    address)
      scratch=.build-asan
      flags=(--sanitize=address)
      ;;
    thread)
      scratch=.build-tsan
      flags=(--sanitize=thread)
      filter=(--filter "ItemIndexTests|CodeSearchIndexTests|FloatSearchIndexTests|SequentialInferenceTests|SequentialModelTests|TrainedModelTests|PackedCodesTests")
      ;;
    undefined)
      scratch=.build-ubsan
      runtime=$(ls "$(dirname "$(command -v swift)")"/../lib/clang/*/lib/linux/libclang_rt.ubsan_standalone-x86_64.so | head -1)
      flags=(-Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
        -Xlinker "$runtime" -Xlinker -rpath -Xlinker "$(dirname "$runtime")")
      ;;
    *) echo "unknown sanitizer '$sanitizer' (address, undefined or thread)" >&2; exit 64 ;;
  esac
  log="$scratch.log"
  start=$(date +%s)
  # Leak checking is off: the Swift runtime keeps metadata caches alive by design.
  if swift build --build-tests "${flags[@]}" --scratch-path "$scratch" > "$log" 2>&1 \
    && ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      TSAN_OPTIONS=halt_on_error=1 \
      swift test --skip-build "${flags[@]}" --scratch-path "$scratch" ${filter[@]+"${filter[@]}"} >> "$log" 2>&1; then
    result=passed
  else
    result=FAILED
    status=1
  fi
  summary=$(grep -E "Test run with .* tests" "$log" | tail -1 || true)
  echo "$sanitizer: $result in $(( $(date +%s) - start )) s; ${summary:-no test summary} (log: $log)"
done
exit $status
