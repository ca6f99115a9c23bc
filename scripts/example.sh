#!/usr/bin/env bash
# Builds the Examples package (apps that depend on CompactRecKit alone) and runs both: the
# README's Swift example trains every model kind on a small log, and RecommendFromFile
# recommends from a model file trained by `compactrec`. Run by CI after `make test` (which
# builds .build/debug/compactrec).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --package-path Examples
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  echo "user,item"
  for u in $(seq 0 29); do for t in 0 1 2 3 4 5; do echo "u$u,i$(((u * 7 + t * 3) % 20))"; done; done
} > "$work/log.csv"
.build/debug/compactrec train --data "$work/log.csv" --split loo --model mf-bpr --epochs 2 --out "$work/m.crm" > /dev/null
lines=$(Examples/.build/debug/RecommendFromFile "$work/m.crm" u3 5 | wc -l)
[ "$lines" = 5 ] || { echo "RecommendFromFile printed $lines recommendations, expected 5" >&2; exit 1; }
echo "Examples/RecommendFromFile: built against CompactRecKit and recommended 5 items"
Examples/.build/debug/TrainEveryModel "$work/log.csv" loo "$work" > "$work/every.txt"
for kind in mostpop mf-bpr lightgcn nextitnet gru4rec sasrec; do
  grep -q "^$kind " "$work/every.txt" && [ -f "$work/$kind.crm" ] || { echo "TrainEveryModel did not train $kind" >&2; exit 1; }
done
echo "Examples/TrainEveryModel: trained and saved every model kind"
