# Sourced by the bench scripts: moves to the repository root, builds the release tool and
# sets data (Gowalla), bin and out. `require_data PATH` prints a reason and fails when a data
# set is absent. `split_args ARGS...` sets the arrays `sets` (the words before `--`) and
# `rest` (those after it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
require_data() {
  [ -e "$1" ] && return 0
  echo "skipping: $1 is absent (see ../shared/data/README.md)" >&2
  return 1
}
split_args() {
  sets=()
  rest=()
  while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then shift; rest=("$@"); break; fi
    sets+=("$1")
    shift
  done
}
data=../shared/data/gowalla
make release >/dev/null
bin=.build/release/compactrec
out=bench/results
mkdir -p "$out" runs
