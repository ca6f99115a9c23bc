#!/usr/bin/env bash
# Sequential recommenders on Amazon Beauty and Last.fm (issue 5): MostPop, NextItNet, GRU4Rec
# and SASRec at d = 64, max length 50, leave-one-out (last item test, the one before it
# validation). Early stopping on validation NDCG@10 (full ranking), never on the test item.
# Each model is evaluated on the test item with full ranking (HR/NDCG/MRR at 5, 10, 20) and
# sampled ranking against 99 negatives: uniform seeded ones on Beauty, the shipped
# negatives-99.txt on Last.fm. One epoch of each model is timed with bench seq-epoch.
# Results go to bench/results/seq-*.json, models to runs/ (kept; delete one to retrain it).
# DROPOUT=R sets the neural models' dropout (default 0.2); TRAIN_ARGS adds train options
# and TAG names such a variant (e.g. TRAIN_ARGS=--tie-output TAG=tied).
# Usage: bench/sequential.sh [beauty|lastfm]... [-- MODEL...]   (default: both data sets, all
# models; about 15 minutes per neural model on Beauty on 2 cores)
source "$(dirname "$0")/setup.sh"
split_args "$@"
models=("${rest[@]}")
[ ${#models[@]} -gt 0 ] || models=(mostpop nextitnet gru4rec sasrec)
[ ${#sets[@]} -gt 0 ] || sets=(beauty lastfm)
dropout=${DROPOUT:-0.2}

for set in "${sets[@]}"; do
  case $set in
    beauty)
      file=../shared/data/amazon-beauty/sequences.txt
      sampled=(--sampled 99)
      ;;
    lastfm)
      file=../shared/data/lastfm-seq/sequences.txt
      sampled=(--negatives ../shared/data/lastfm-seq/negatives-99.txt)
      ;;
    *) echo "unknown data set $set (beauty, lastfm)" >&2; exit 1 ;;
  esac
  require_data "$file" || continue
  for model in "${models[@]}"; do
    name=$set-$model
    [ "$model" = mostpop ] || name=$name-dropout$dropout${TAG:+-$TAG}
    path=runs/seq-$name.crm
    if [ ! -f "$path" ]; then
      if [ "$model" = mostpop ]; then
        $bin train --model mostpop --data "$file" --split loo --out "$path" --json > "$out/seq-$name-train.json"
      else
        $bin train --model "$model" --data "$file" --split loo --epochs 200 --eval-every 1 --patience 5 \
          $([ "$model" = nextitnet ] || echo --dropout "$dropout") ${TRAIN_ARGS:-} --out "$path" --json --verbose > "$out/seq-$name-train.json" 2> "$out/seq-$name-train.log"
      fi
    fi
    $bin evaluate "$path" --data "$file" --split loo --k 5,10,20 "${sampled[@]}" --json > "$out/seq-$name-eval.json"
    [ "$model" = mostpop ] || $bin bench seq-epoch --model "$model" --data "$file" --epochs 1 > "$out/seq-$set-$model-epoch.json"
  done
done
