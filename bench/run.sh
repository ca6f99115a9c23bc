#!/usr/bin/env bash
# Runs the benchmarks and accuracy measurements on the real data in ../shared/data and
# writes their JSON to bench/results/. Trains the Gowalla models when runs/ lacks them.
# Usage: bench/run.sh   (from the repository root; about 10 minutes on 2 cores, plus
# about 7 minutes when MF-BPR must be trained and about 35 when LightGCN must be)
source "$(dirname "$0")/setup.sh"
require_data "$data" || exit 0
mf=runs/gowalla-mf-bpr.crm
pop=runs/gowalla-mostpop.crm
lgcn=runs/gowalla-lightgcn.crm
[ -f "$mf" ] || $bin train --model mf-bpr --data "$data" --epochs 400 --eval-every 5 --patience 4 --out "$mf" --json
[ -f "$pop" ] || $bin train --model mostpop --data "$data" --out "$pop" --json
[ -f "$lgcn" ] || $bin train --model lightgcn --data "$data" --init gaussian --batch-size 2048 --lr 5e-3 \
  --lr-schedule constant --negatives uniform --epochs 400 --eval-every 5 --patience 5 --keep-checkpoint --out "$lgcn" --json \
  $([ -f "$lgcn.ckpt" ] && echo --resume)
$bin evaluate "$lgcn" --data "$data" --k 20,50 --json > "$out/gowalla-lightgcn-eval.json"
$bin evaluate "$mf" --data "$data" --k 20,50 --json > "$out/gowalla-mf-bpr-eval.json"
$bin evaluate "$pop" --data "$data" --k 20,50 --json > "$out/gowalla-mostpop-eval.json"
$bin bench topk --data "$data" --model "$mf" --repeat 5 > "$out/gowalla-topk-mf-bpr.json"
$bin bench topk --data "$data" --repeat 3 > "$out/gowalla-topk-gaussian.json"
$bin bench lightgcn-epoch --data "$data" --epochs 2 > "$out/gowalla-lightgcn-epoch.json"
$bin bench lightgcn-epoch --data "$data" --epochs 2 --precision float32 > "$out/gowalla-lightgcn-epoch-float32.json"
$bin bench retrieval --model "$lgcn" --repeat 3 > "$out/gowalla-retrieval-lightgcn.json"
grep -h -E '"(seconds|seconds_per_epoch|recall@20|ndcg@20|precision@20)"' "$out"/*.json
