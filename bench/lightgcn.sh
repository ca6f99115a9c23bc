#!/usr/bin/env bash
# LightGCN on Gowalla (issue 3): the runs behind RESULTS.md's accuracy table, each evaluated
# on test.txt (Recall/NDCG@20,50) with its training log and peak memory.
#   valid: lr 5e-3 until validation Recall@20 (every 5 epochs) stops improving for 5 checks;
#          keeps its checkpoint (runs/gowalla-lightgcn.crm.ckpt, bench/run.sh trains the same)
#   ft:    a fresh Adam at lr 1e-3 from valid's best embeddings, patience 3; keeps its
#          checkpoint (runs/gowalla-lightgcn-ft.crm.ckpt, the base of bench/hqgnn.sh)
#   refit: all of train.txt (no validation split) for the schedule valid and ft chose:
#          95 epochs at 5e-3, then 35 at 1e-3 from that checkpoint
# The stopping points come from the validation split carved from train.txt; test.txt is read
# only by the evaluations. Models go to runs/ (an existing model is kept, not retrained);
# results to bench/results/gowalla-lightgcn-*.
# Usage: bench/lightgcn.sh [valid|ft|refit]...   (default: all three, in order; about 55 +
# 30 minutes on 2 cores)
source "$(dirname "$0")/setup.sh"
require_data "$data" || exit 0

# train NAME ARGS...: trains runs/gowalla-lightgcn-NAME.crm unless it exists (log and peak
# memory from /usr/bin/time -v in bench/results/gowalla-lightgcn-NAME-train.log), then evaluates it.
train() {
  local name=$1
  shift
  local model=runs/gowalla-$name.crm
  # A checkpoint without its model is an interrupted run: continue it.
  [ -f "$model" ] || /usr/bin/time -v $bin train --model lightgcn --data "$data" --out "$model" --verbose --json "$@" \
    $([ -f "$model.ckpt" ] && echo --resume) \
    > "$out/gowalla-$name-train.json" 2> "$out/gowalla-$name-train.log"
  $bin evaluate "$model" --data "$data" --k 20,50 --json > "$out/gowalla-$name-eval.json"
}

# The recipe these runs measured, which the defaults were before issue 26's fast recipe.
old_recipe="--init gaussian --batch-size 2048 --lr 5e-3 --lr-schedule constant --negatives uniform"

for group in ${*:-valid ft refit}; do
  case $group in
    valid) train lightgcn $old_recipe --epochs 400 --eval-every 5 --patience 5 --keep-checkpoint ;;
    ft)
      train lightgcn-ft --warm-start runs/gowalla-lightgcn.crm.ckpt --lr 1e-3 --epochs 400 --eval-every 5 \
        --patience 3 --keep-checkpoint
      ;;
    refit)
      train lightgcn-refit-a $old_recipe --validation 0 --epochs 95 --keep-checkpoint
      train lightgcn-refit --validation 0 --warm-start runs/gowalla-lightgcn-refit-a.crm.ckpt --lr 1e-3 --epochs 35
      ;;
    *)
      echo "unknown group $group (valid, ft or refit)" >&2
      exit 2
      ;;
  esac
done
grep -h -E '"(recall@20|ndcg@20)"' "$out"/gowalla-lightgcn*-eval.json
