#!/usr/bin/env bash
# 1 bit on other data (issue 25): LightGCN's default recipe on each data set treated as graph
# data (--split ratio:0.2, validation carved from training), kept checkpoint, then HQ-GNN 1-bit
# fine-tunes from it at d = 64 and (widened) d = 256 with bench/hqgnn.sh's settings; each
# model evaluated on test. The 36-byte budget is also spent as 4 bits at d = 64 (32 bytes of
# codes and a step, like 1 bit at d = 256), fine-tuned with patience 3 like bench/hqgnn.sh's
# multi-bit runs. Models go to runs/ (an existing one is kept), results to
# bench/results/onebit-SET-{float,b1-d64,b1-d256,b4-d64}-{train,eval}.json.
# Usage: bench/onebit.sh [ml100k|beauty|sports]...   (default all three; about 25 minutes on 2 cores)
source "$(dirname "$0")/setup.sh"
for set in ${*:-ml100k beauty sports}; do
  case $set in
    ml100k) path=../shared/data/ml-100k/ml-100k.inter ;;
    beauty) path=../shared/data/amazon-beauty/sequences.txt ;;
    sports) path=../shared/data/amazon-sports/sequences.txt ;;
    *) echo "unknown set $set (ml100k, beauty, sports)" >&2; exit 2 ;;
  esac
  require_data "$path" || continue
  float=runs/$set-lgcn-float.crm
  [ -f "$float" ] || $bin train --model lightgcn --data "$path" --split ratio:0.2 --keep-checkpoint --out "$float" \
    --json > "$out/onebit-$set-float-train.json"
  $bin evaluate "$float" --data "$path" --k 20 --json > "$out/onebit-$set-float-eval.json"
  for dim in 64 256; do
    model=runs/$set-hq-b1-d$dim.crm
    [ -f "$model" ] || $bin train --model lightgcn --data "$path" --split ratio:0.2 --bits 1 --dim $dim --lr 1e-3 \
      --epochs 100 --eval-every 2 --patience 6 --warm-start "$float.ckpt" --out "$model" --json \
      > "$out/onebit-$set-b1-d$dim-train.json"
    $bin evaluate "$model" --data "$path" --k 20 --json > "$out/onebit-$set-b1-d$dim-eval.json"
  done
  model=runs/$set-hq-b4-d64.crm
  [ -f "$model" ] || $bin train --model lightgcn --data "$path" --split ratio:0.2 --bits 4 --lr 1e-3 --epochs 100 \
    --eval-every 2 --patience 3 --warm-start "$float.ckpt" --out "$model" --json > "$out/onebit-$set-b4-d64-train.json"
  $bin evaluate "$model" --data "$path" --k 20 --json > "$out/onebit-$set-b4-d64-eval.json"
done
grep -H '"recall@20"' "$out"/onebit-*-eval.json
