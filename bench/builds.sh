#!/usr/bin/env bash
# This checkout's release build (the default: no unsafe flags; the Swift code for baseline
# x86-64, the C kernels choosing AVX2 at run time) against another build, on the work that
# matters: a LightGCN epoch on Gowalla, all-users top-20 retrieval from the 1-bit and float
# Gowalla models, and a SASRec epoch on Beauty.
#   native: this checkout with COMPACTREC_NATIVE=1 (the Swift code for Haswell-level CPUs),
#           built in .build-native
#   REV:    the commit REV, checked out in a temporary worktree and built there
# Runs alternate between the two builds, ROUNDS times (default 3); every run's JSON goes to
# bench/results/builds-OTHER.log and the summary (best of the rounds per build) to
# bench/results/builds-OTHER.json, where OTHER is `native` or REV.
# Usage: bench/builds.sh native|REV [ROUNDS]
source "$(dirname "$0")/setup.sh"
other=${1:?usage: bench/builds.sh native|REV [ROUNDS]}
rounds=${2:-3}
if [ "$other" = native ]; then
  COMPACTREC_NATIVE=1 swift build -c release --product compactrec --scratch-path .build-native >/dev/null
  other_bin=.build-native/release/compactrec
else
  tree=$(mktemp -d)
  trap 'git worktree remove --force "$tree"' EXIT
  git worktree add --detach "$tree" "$other" >/dev/null
  swift build -c release --product compactrec --package-path "$tree" --scratch-path .build-other >/dev/null
  other_bin=.build-other/release/compactrec
fi
one_bit=${ONE_BIT_MODEL:-runs/gowalla-hqgnn-b1-e120.crm}
float=${FLOAT_MODEL:-runs/gowalla-lightgcn-e120.crm}
beauty=../shared/data/amazon-beauty/sequences.txt
require_data "$data/train.txt" || exit 0
log=$out/builds-$other.log
: > "$log"
run() {  # BUILD NAME ARGS...: one benchmark, its JSON appended to the log as one line
  local build=$1 name=$2; shift 2
  local tool=$bin
  [ "$build" = other ] && tool=$other_bin
  echo "{\"build\": \"$build\", \"bench\": \"$name\", \"result\": $("$tool" bench "$@" | tr -d '\n')}" >> "$log"
}
for round in $(seq "$rounds"); do
  for build in this other; do
    run $build lightgcn-epoch lightgcn-epoch --data "$data"
    [ -f "$one_bit" ] && run $build retrieval-1bit retrieval --model "$one_bit" -k 20 --repeat 3
    [ -f "$float" ] && run $build retrieval-float retrieval --model "$float" -k 20 --repeat 3
    [ -f "$beauty" ] && run $build sasrec-epoch seq-epoch --model sasrec --data "$beauty"
  done
done
python3 - "$log" "$out/builds-$other.json" "$other" "$rounds" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def seconds(r):
    res = r["result"]
    if r["bench"].startswith("retrieval"):
        return min(res["all_seconds"])
    return res.get("seconds_per_epoch") or res.get("epoch_seconds") or res.get("seconds")
best = {}
for r in rows:
    key = (r["bench"], r["build"])
    s = seconds(r)
    best[key] = min(best.get(key, s), s)
summary = {b: {"this_seconds": best[(b, "this")], "other_seconds": best[(b, "other")],
               "this_over_other": best[(b, "this")] / best[(b, "other")]}
           for b in sorted({k[0] for k in best})}
json.dump({"other": sys.argv[3], "rounds": int(sys.argv[4]), "best_of_rounds": summary}, open(sys.argv[2], "w"), indent=2)
print(json.dumps(summary, indent=2))
PY
