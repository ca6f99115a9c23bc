#!/usr/bin/env bash
# All-users top-20 on Gowalla against FAISS (issue 20): installs faiss-cpu and numpy from PyPI
# into a virtual environment (.build/bench-venv) and runs bench/peer_retrieval.py, which reads
# the same model files and alternates FAISS and `compactrec bench retrieval` round by round.
# Usage: bench/peer.sh [ROUNDS]   (default 5; about 2 minutes a round on 2 cores)
# Models (override with FLOAT=, B1=, B2=, B4=, B8=, B1_D256=): the LightGCN float model and
# its HQ-GNN fine-tunes in runs/ (bench/lightgcn.sh, bench/hqgnn.sh). Writes
# bench/results/peer-retrieval.json.
source "$(dirname "$0")/setup.sh"
float=${FLOAT:-runs/gowalla-lightgcn-e120.crm}
b1=${B1:-runs/gowalla-hqgnn-b1-e120.crm}
b2=${B2:-runs/gowalla-hqgnn-b2-e20.crm}
b4=${B4:-runs/gowalla-hqgnn-b4-e20.crm}
b8=${B8:-runs/gowalla-hqgnn-b8-e20.crm}
b1_d256=${B1_D256:-runs/gowalla-hqgnn-b1-d256-e6.crm}
for m in "$float" "$b1" "$b2" "$b4" "$b8" "$b1_d256"; do
  [ -f "$m" ] || { echo "skipping: $m is absent (train it with bench/lightgcn.sh or bench/hqgnn.sh)" >&2; exit 0; }
done
venv=.build/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q faiss-cpu numpy
"$venv/bin/python" bench/peer_retrieval.py --compactrec "$bin" --float "$float" --bits1 "$b1" --bits2 "$b2" \
  --bits4 "$b4" --bits8 "$b8" --bits1-d256 "$b1_d256" --rounds "${1:-5}" --out "$out/peer-retrieval.json"
