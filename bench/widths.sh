#!/usr/bin/env bash
# Frequency-aware widths on Gowalla (issue 25): LightGCN codes at d = 64 with more bits for
# frequent users and items (--block-bits) against uniform widths at the same mean bytes per
# item, counting codes, a 32-bit step per row and, for mixed widths, the 2-bit block mark.
# Every run fine-tunes the fast default's validation model (BASE, default
# runs/gowalla-lightgcn-fast-base.crm.ckpt, kept by `compactrec train --keep-checkpoint`) with
# HQ-GNN's recipe: lr 1e-3, validation every 2 epochs, patience 3, the stopping point and the
# widths chosen on the validation split carved from train.txt; then each model is evaluated
# on test.txt and its all-users top-20 timed.
#
# Budgets, bytes per item at d = 64 (the 4,1 head share x solves 36x + 12(1 - x) + 0.25 = 20):
#   12 B, uniform 1 bit: 2,1 with 8-bit steps (17 and 9 bytes) and the top 34.4% (14,087)
#   20 B, uniform 2 bits: 4,1 with the top 32.3% of items (13,234 of 40,981); 8,1 with 13.8%
#         (5,671); 3,1 with 48.4% (19,850)
#   36 B, uniform 4 bits: 8,2 with 32.8% (13,448); 8,1 with 42.4% (17,380); 8,2,1 with
#         35% and 50% (35.85 B)
# Users are cut at the same fractions of the users, so their mean bytes match too; the runs
# named -u2 and -u4 keep every user at the uniform width of the budget instead
# (--user-block-bits), so that only the items' widths differ from the uniform run.
# Usage: bench/widths.sh [12|20|36]...   (default: all three; about 90 minutes on 2 cores)
source "$(dirname "$0")/setup.sh"
require_data "$data" || exit 0
base=${BASE:-runs/gowalla-lightgcn-fast-base.crm.ckpt}
[ -f "$base" ] || { echo "missing $base: train the fast default with --keep-checkpoint first" >&2; exit 1; }

# run NAME ARGS...: fine-tune, evaluate, time retrieval.
run() {
  local name=$1
  shift
  local model=runs/gowalla-widths-$name.crm
  [ -f "$model" ] || /usr/bin/time -v $bin train --model lightgcn --data "$data" --epochs 100 --eval-every 2 \
    --patience 3 --lr 1e-3 --warm-start "$base" --out "$model" --json "$@" \
    > "$out/widths-$name-train.json" 2> "$out/widths-$name-train.log"
  $bin evaluate "$model" --data "$data" --k 20,50 --json > "$out/widths-$name-eval.json"
  $bin bench retrieval --model "$model" --repeat 3 > "$out/widths-$name-retrieval.json"
}

for budget in ${*:-12 20 36}; do
  case $budget in
    12)
      run u1 --bits 1
      run 21-s8 --block-bits 2,1 --block-cutoffs 14087 --user-block-bits 1 --step-bits 8
      ;;
    20)
      run u2 --bits 2
      run 41 --block-bits 4,1 --block-cutoffs 13234
      run 81 --block-bits 8,1 --block-cutoffs 5671
      run 31 --block-bits 3,1 --block-cutoffs 19850
      run 41-u2 --block-bits 4,1 --block-cutoffs 13234 --user-block-bits 2
      run 31-u2 --block-bits 3,1 --block-cutoffs 19850 --user-block-bits 2
      ;;
    36)
      run u4 --bits 4
      run 82 --block-bits 8,2 --block-cutoffs 13448
      run 81-36 --block-bits 8,1 --block-cutoffs 17380
      run 82-u4 --block-bits 8,2 --block-cutoffs 13448 --user-block-bits 4
      run 821-u4 --block-bits 8,2,1 --block-cutoffs 14343,34834 --user-block-bits 4
      ;;
  esac
done
