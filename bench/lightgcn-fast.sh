#!/usr/bin/env bash
# LightGCN's default recipe (issue 26) against the earlier ones, each timed from the raw files
# to the model file with /usr/bin/time -v (wall time, peak memory), then evaluated once on
# test with both exclusions (--exclude history, the default, and train, as published figures).
#   gowalla: the default (d = 128, batches of 32,768, 200-epoch cosine, refit), the same with
#            --no-refit (the validation model); the first fast recipe (d = 64, 16,384, 400
#            epochs) with and without --refit; the sampled softmax option (--loss
#            softmax:1024:0.1 over 100 epochs, validated every 10)
#   wide:    Gowalla at d = 128 with batches of 16,384, the validation model and the refit
#   small:   MovieLens 100K and Amazon Beauty as graph data (--split ratio:0.2): the default
#            with and without refit, the first fast recipe with and without --refit, the
#            earlier recipe (early-stopped), and the sampled softmax with and without --refit
# Models go to runs/ (an existing one is kept); results to bench/results/lightgcn-fast-*.
# Usage: bench/lightgcn-fast.sh [gowalla|wide|small]...   (default all; about 3 hours on 2 cores)
source "$(dirname "$0")/setup.sh"

softmax="--loss softmax:1024:0.1 --dim 64 --epochs 100 --batch-size 16384 --eval-every 10 --no-refit"
first="--dim 64 --epochs 400 --batch-size 16384 --no-refit"
wide="--dim 128 --epochs 200 --batch-size 16384 --no-refit"
old_recipe="--dim 64 --init gaussian --batch-size 2048 --lr 5e-3 --lr-schedule constant --negatives uniform --eval-every 5 --patience 5 --no-refit"

# run NAME DATA ARGS...: trains runs/NAME.crm unless it exists, then evaluates it on test.
run() {
  local name=$1 path=$2
  shift 2
  local model=runs/$name.crm
  [ -f "$model" ] || /usr/bin/time -v $bin train --model lightgcn --data "$path" --out "$model" --verbose --json "$@" \
    > "$out/lightgcn-fast-$name-train.json" 2> "$out/lightgcn-fast-$name-train.log"
  for exclude in history train; do
    $bin evaluate "$model" --data "$path" --k 20,50 --exclude $exclude --json \
      > "$out/lightgcn-fast-$name-eval-$exclude.json"
  done
}

for group in ${*:-gowalla wide small}; do
  case $group in
    gowalla)
      require_data "$data" || continue
      run gowalla-lightgcn-default "$data"
      run gowalla-lightgcn-default-norefit "$data" --no-refit
      # shellcheck disable=SC2086
      run gowalla-lightgcn-fast "$data" $first
      # shellcheck disable=SC2086
      run gowalla-lightgcn-fast-refit "$data" $first --refit
      # shellcheck disable=SC2086
      run gowalla-lightgcn-softmax "$data" $softmax
      ;;
    wide)
      require_data "$data" || continue
      # shellcheck disable=SC2086
      run gowalla-lightgcn-d128 "$data" $wide
      # shellcheck disable=SC2086
      run gowalla-lightgcn-d128-refit "$data" $wide --refit
      ;;
    small)
      for set in ml-100k/ml-100k.inter amazon-beauty/sequences.txt; do
        path=../shared/data/$set
        require_data "$path" || continue
        name=$(basename "$(dirname "$set")")
        run "$name-lightgcn-default" "$path" --split ratio:0.2
        run "$name-lightgcn-default-norefit" "$path" --split ratio:0.2 --no-refit
        # shellcheck disable=SC2086
        run "$name-lightgcn-fast" "$path" --split ratio:0.2 $first
        # shellcheck disable=SC2086
        run "$name-lightgcn-fast-refit" "$path" --split ratio:0.2 $first --refit
        # shellcheck disable=SC2086
        run "$name-lightgcn-old" "$path" --split ratio:0.2 $old_recipe
        # shellcheck disable=SC2086
        run "$name-lightgcn-softmax" "$path" --split ratio:0.2 $softmax
        # shellcheck disable=SC2086
        run "$name-lightgcn-softmax-refit" "$path" --split ratio:0.2 $softmax --refit
      done
      ;;
    *)
      echo "unknown group $group (gowalla, wide or small)" >&2
      exit 2
      ;;
  esac
done
grep -H -E '"(recall@20|ndcg@20)"' "$out"/lightgcn-fast-*-eval-*.json
