#!/usr/bin/env bash
# The default build (no unsafe flags: the Swift code for baseline x86-64, the C kernels choosing
# AVX2 at run time) against COMPACTREC_NATIVE=1 (the Swift code for Haswell-level CPUs), on the
# work that matters: a LightGCN epoch on Gowalla, all-users top-20 retrieval from the 1-bit and
# float Gowalla models, and a SASRec epoch on Beauty. Runs alternate between the two builds,
# ROUNDS times (default 3), and every run's JSON goes to bench/results/native.log; the
# summary (best of the rounds per build) to bench/results/native.json.
# Usage: bench/native.sh [ROUNDS]
source "$(dirname "$0")/setup.sh"
rounds=${1:-3}
COMPACTREC_NATIVE=1 swift build -c release --product compactrec --scratch-path .build-native >/dev/null
native=.build-native/release/compactrec
one_bit=${ONE_BIT_MODEL:-runs/gowalla-hqgnn-b1-e120.crm}
float=${FLOAT_MODEL:-runs/gowalla-lightgcn-e120.crm}
beauty=../shared/data/amazon-beauty/sequences.txt
require_data "$data/train.txt" || exit 0
log=$out/native.log
: > "$log"
run() {  # BUILD NAME ARGS...: one benchmark, its JSON appended to the log as one line
  local build=$1 name=$2; shift 2
  local tool=$bin
  [ "$build" = native ] && tool=$native
  echo "{\"build\": \"$build\", \"bench\": \"$name\", \"result\": $("$tool" bench "$@" | tr -d '\n')}" >> "$log"
}
for round in $(seq "$rounds"); do
  for build in default native; do
    run $build lightgcn-epoch lightgcn-epoch --data "$data"
    [ -f "$one_bit" ] && run $build retrieval-1bit retrieval --model "$one_bit" -k 20 --repeat 3
    [ -f "$float" ] && run $build retrieval-float retrieval --model "$float" -k 20 --repeat 3
    [ -f "$beauty" ] && run $build sasrec-epoch seq-epoch --model sasrec --data "$beauty"
  done
done
python3 - "$log" "$out/native.json" <<'PY'
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
summary = {b: {"default_seconds": best[(b, "default")], "native_seconds": best[(b, "native")],
               "default_over_native": best[(b, "default")] / best[(b, "native")]}
           for b in sorted({k[0] for k in best})}
json.dump({"rounds": len(rows) // 2, "best_of_rounds": summary}, open(sys.argv[2], "w"), indent=2)
print(json.dumps(summary, indent=2))
PY
