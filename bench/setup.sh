# Sourced by the bench scripts: moves to the repository root, skips (exit 0) when the
# Gowalla data is absent, builds the release tool and sets data, bin and out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=../shared/data/gowalla
if [ ! -d "$data" ]; then
  echo "skipping: $data is absent (see ../shared/data/README.md)" >&2
  exit 0
fi
make release >/dev/null
bin=.build/release/compactrec
out=bench/results
mkdir -p "$out" runs
