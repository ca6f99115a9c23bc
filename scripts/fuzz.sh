#!/usr/bin/env bash
# Builds the libFuzzer binary (COMPACTREC_FUZZ=1, see Package.swift) and fuzzes each named
# target for SECONDS, starting from the seed corpus in Fuzz/corpus/<target>/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 30, scripts/fuzz.sh 1800 model-header
#
# SECONDS defaults to $FUZZ_SECONDS, else 60; the targets default to all five. Each target's
# working corpus lives in $FUZZ_DIR/<target>/corpus ($FUZZ_DIR defaults to
# ${TMPDIR:-/tmp}/compactrec-fuzz) and grows from run to run; the repository's seeds are only
# read. Each run's logs and crash, timeout, leak and out-of-memory inputs go to a folder of its
# own, $FUZZ_DIR/runs/<time>, printed at the start. Prints one summary line per target and
# exits 1 when any target had a finding. With $FUZZ_LOG set, appends one JSON line per target
# run to that file, so fuzzing hours can be totalled later.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(lists delimited sessions model-file model-header)
seconds=${FUZZ_SECONDS:-60}
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  if [[ ! " ${all_targets[*]} " =~ " $target " ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]; targets: ${all_targets[*]}" >&2
    exit 2
  fi
done

scripts/ensure-deps.sh
# A debug build: it keeps the standard library's debug checks (unsafe buffer bounds among them)
# and the messages of failed preconditions, and is at most twice as slow here as a release one.
build=(swift build --scratch-path .build-fuzz --product CompactRecFuzz)
COMPACTREC_FUZZ=1 "${build[@]}"
binary="$(COMPACTREC_FUZZ=1 "${build[@]}" --show-bin-path)/CompactRecFuzz"

work=${FUZZ_DIR:-${TMPDIR:-/tmp}/compactrec-fuzz}
run="$work/runs/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$run"
echo "fuzzing ${targets[*]} for ${seconds}s each; logs and findings go to $run"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

# The value of libFuzzer's final `stat::NAME:` line in log $2, or 0.
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1 | grep . || echo 0; }

failed=0
for target in "${targets[@]}"; do
  corpus="$work/$target/corpus"
  log="$run/$target.log"
  mkdir -p "$corpus"
  start=$(date +%s)
  status=0
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1)
  flags+=(-artifact_prefix="$run/$target-")
  # Swift's own crash backtracer would race AddressSanitizer; libFuzzer prints the stack instead.
  COMPACTREC_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no "$binary" "${flags[@]}" "$corpus" "Fuzz/corpus/$target" \
    >"$log" 2>&1 || status=$?
  elapsed=$(($(date +%s) - start))
  executions=$(final_stat number_of_executed_units "$log")
  per_second=$(final_stat average_exec_per_sec "$log")
  units=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' "$log" | tail -1 | grep . || echo 0)
  finding=$(find "$run" -name "$target-*" -print -quit)
  if [[ $status -eq 0 ]]; then
    result=ok
  elif [[ -n $finding ]]; then
    result=$(basename "$finding" | sed "s/^$target-\([a-z-]*\)-.*/\1/")
  else
    result="error (exit $status)"
  fi
  printf '%-13s %10s executions %7s/s %6ss  corpus %6s  %s\n' \
    "$target" "$executions" "$per_second" "$elapsed" "$units" "$result"
  if [[ $status -ne 0 ]]; then
    failed=1
    # The report: from Swift's or the sanitizer's first line to libFuzzer's final stats.
    sed -n '/Fatal error\|Precondition failed\|Assertion failed\|^==[0-9]*==\|ALARM\|out-of-memory/,$p' "$log" |
      head -150 | swift demangle --simplified || true  # head cuts sed short on a longer report
    [[ -z $finding ]] || echo "reproduce: COMPACTREC_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no $binary $finding"
    echo "full log: $log"
  fi
  if [[ -n ${FUZZ_LOG:-} ]]; then
    json='{"date":"%s","commit":"%s","target":"%s","seconds":%s,"executions":%s,"exec_per_sec":%s,'
    json+='"corpus":%s,"result":"%s","artifact":"%s"}\n'
    printf "$json" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$commit" "$target" "$elapsed" "$executions" "$per_second" \
      "$units" "$result" "$finding" >>"$FUZZ_LOG"
  fi
done
exit $failed
