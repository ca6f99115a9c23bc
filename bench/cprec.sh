#!/usr/bin/env bash
# CpRec ablation (issue 6) on Amazon Beauty and Sports at d = 128: NextItNet, with block-wise
# adaptive input, output or both (frequency blocks of 50/30/20% of the training interactions,
# widths d, d/4, d/16), and both plus each of the four sharing schemes. Protocols:
#   cprec - 80/20 split by sequence (seed 42); 10% of the training users give their last item
#           to validation for early stopping; the test users' last items are ranked (full).
#   loo   - leave-one-out (validation: second-to-last item; test: last).
# Each model is evaluated (MRR/HR/NDCG at 5 and 20, full ranking), its top-5 for every test
# user timed (bench retrieval: encoder and output layer apart), and one training epoch timed.
# Results go to bench/results/cprec-*.json, models to runs/ (kept; delete one to retrain it).
# MODEL=gru4rec|sasrec runs that architecture instead of NextItNet (names gain the model);
# VARIANTS="base both" picks variants (GRU4Rec has no sharing schemes). SEED=N trains with
# seed N instead of the default 2020 (initialization, dropout and batch order; the split,
# validation included, comes from --data-seed and stays the same), names gain -seedN, and
# only evaluation and inspect run (the timings do not depend on the seed). BITS=B trains the
# item tables quantized to B bits (issue 25; names gain -bB), ESTIMATOR=ste|gste:DELTA picks
# the estimator (default ste).
# Usage: bench/cprec.sh [beauty|sports]... [-- cprec|loo]...  (default: beauty, cprec)
source "$(dirname "$0")/setup.sh"
split_args "$@"
protocols=("${rest[@]}")
[ ${#sets[@]} -gt 0 ] || sets=(beauty)
[ ${#protocols[@]} -gt 0 ] || protocols=(cprec)
# The headline pair (NextItNet, CpRec with both and a sharing scheme) first, the rest after.
read -ra variants <<<"${VARIANTS:-base both both+cross-block both+cross-layer input output both+adjacent-layer both+adjacent-block}"
model=${MODEL:-nextitnet}
prefix=cprec
[ "$model" = nextitnet ] || prefix=cprec-$model

for set in "${sets[@]}"; do
  file=../shared/data/amazon-$set/sequences.txt
  require_data "$file" || continue
  for protocol in "${protocols[@]}"; do
    case $protocol in
      cprec) split=sequence:0.2:0.1 ;;
      loo) split=loo ;;
      *) echo "unknown protocol $protocol (cprec, loo)" >&2; exit 1 ;;
    esac
    for variant in "${variants[@]}"; do
      args=()
      blockwise=${variant%%+*}
      [ "$blockwise" = base ] || args+=(--blockwise "$blockwise")
      [[ "$variant" != *+* ]] || args+=(--sharing "${variant#*+}")
      name=$prefix-$set-$protocol-$variant
      if [ -n "${BITS:-}" ]; then
        args+=(--bits "$BITS")
        case ${ESTIMATOR:-ste} in
          ste) ;;
          gste:*) args+=(--estimator gste --gste-delta "${ESTIMATOR#gste:}") ;;
        esac
        name=$name-b$BITS${ESTIMATOR:+-${ESTIMATOR/:/}}
      fi
      if [ -n "${SEED:-}" ]; then
        args+=(--seed "$SEED")
        name=$name-seed$SEED
      fi
      path=runs/$name.crm
      [ -f "$path" ] || $bin train --model "$model" --data "$file" --split "$split" --dim 128 --epochs 100 \
        --eval-every 1 --patience 3 "${args[@]}" --out "$path" --json --verbose \
        > "$out/$name-train.json" 2> "$out/$name-train.log"
      $bin evaluate "$path" --data "$file" --split "$split" --k 5,20 --json > "$out/$name-eval.json"
      $bin inspect "$path" --json > "$out/$name-inspect.json"
      [ -z "${SEED:-}" ] || continue
      $bin bench retrieval --model "$path" -k 5 --repeat 3 > "$out/$name-top5.json"
      [ -n "${BITS:-}" ] || $bin bench seq-epoch --model "$model" --data "$file" --dim 128 "${args[@]}" > "$out/$name-epoch.json"
    done
  done
done
