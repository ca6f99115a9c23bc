#!/usr/bin/env bash
# Timings of the CpRec headline pair (issue 6), NextItNet against CpRec-NextItNet (block-wise
# input and output plus cross-block sharing), meant for a machine with nothing else running.
# For each data set and protocol whose two models bench/cprec.sh has trained (runs/), top-5
# for every user (bench retrieval: the output layer timed apart from the encoder) runs ROUNDS
# times per model, the two models alternating, so a slow spell of the machine hits both.
# Ratios should compare the fastest run of each. With EPOCH=1, one training epoch of each
# model is timed as well (bench seq-epoch; its workload does not depend on the protocol).
# JSON: bench/results/cprec-SET-PROTOCOL-clean-top5-VARIANT-ROUND.json and
# cprec-SET-clean-epoch-VARIANT.json.
# Usage: bench/cprec-clean.sh [beauty|sports]... [-- cprec|loo]...  (default: both sets, both)
source "$(dirname "$0")/setup.sh"
split_args "$@"
protocols=("${rest[@]}")
[ ${#sets[@]} -gt 0 ] || sets=(beauty sports)
[ ${#protocols[@]} -gt 0 ] || protocols=(cprec loo)
pair=(base both+cross-block)

for set in "${sets[@]}"; do
  file=../shared/data/amazon-$set/sequences.txt
  require_data "$file" || continue
  for protocol in "${protocols[@]}"; do
    for variant in "${pair[@]}"; do
      [ -f "runs/cprec-$set-$protocol-$variant.crm" ] && continue
      echo "skipping $set $protocol: runs/cprec-$set-$protocol-$variant.crm is absent (bench/cprec.sh trains it)" >&2
      continue 2
    done
    for round in $(seq "${ROUNDS:-2}"); do
      for variant in "${pair[@]}"; do
        $bin bench retrieval --model "runs/cprec-$set-$protocol-$variant.crm" -k 5 --repeat 3 \
          > "$out/cprec-$set-$protocol-clean-top5-$variant-$round.json"
      done
    done
  done
  [ "${EPOCH:-0}" = 1 ] || continue
  $bin bench seq-epoch --model nextitnet --data "$file" --dim 128 > "$out/cprec-$set-clean-epoch-base.json"
  $bin bench seq-epoch --model nextitnet --data "$file" --dim 128 --blockwise both --sharing cross-block \
    > "$out/cprec-$set-clean-epoch-both+cross-block.json"
done
