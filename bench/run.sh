#!/usr/bin/env bash
# Runs the benchmarks on the real data in ../shared/data and writes their JSON to
# bench/results/. Trains the MF-BPR model the top-K benchmark searches when it is missing.
# Usage: bench/run.sh   (from the repository root; takes about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/gowalla
if [ ! -d "$data" ]; then
  echo "skipping: $data is absent (see ../shared/data/README.md)" >&2
  exit 0
fi
make release >/dev/null
bin=.build/release/compactrec
mkdir -p bench/results runs
model=runs/gowalla-mf-bpr.crm
if [ ! -f "$model" ]; then
  $bin train --model mf-bpr --data "$data" --epochs 400 --eval-every 5 --patience 4 --out "$model" --json \
    > bench/results/gowalla-mf-bpr-train.json
fi
$bin evaluate "$model" --data "$data" --k 20,50 --json > bench/results/gowalla-mf-bpr-eval.json
$bin bench topk --data "$data" --model "$model" --repeat 5 > bench/results/gowalla-topk-mf.json
$bin bench topk --data "$data" --repeat 3 > bench/results/gowalla-topk-gaussian.json
cat bench/results/gowalla-topk-*.json
