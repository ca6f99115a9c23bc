#!/usr/bin/env bash
# Load benchmark of `compactrec serve` (issue 21). Starts the server on loopback with three
# models and drives it with wrk on the same 2 cores, with real ids from the data sets:
#   g1        Gowalla HQ-GNN 1 bit d = 64: {"user": ID, "k": 20} for users of train.txt
#   sasrec    SASRec on Amazon Beauty: {"history": a real user's last 50 items, "k": 20}
#   nextitnet CpRec-NextItNet on Beauty (block-wise input and softmax, cross-layer sharing): the same
# For each: a closed loop of 64 connections for DURATION seconds (the peak), then a paced run
# at half that peak (wrk's delay(), see bench/serve.lua). During a second closed-loop run of
# g1 the model is reloaded every 2 s through the admin route and once by replacing its file;
# that run must fail no request either. Writes bench/results/serve.json and serve.log.
# Models: runs/gowalla-hqgnn-b1-e120.crm (G1_MODEL), runs/serve-beauty-sasrec.crm
# (SASREC_MODEL), runs/serve-beauty-cprec-nextitnet.crm (NEXTITNET_MODEL); the two Beauty
# models are trained when absent (about 10 minutes each), the Gowalla one must exist (see
# RESULTS.md, "Retrieval", for its command).
# Usage: bench/serve.sh [DURATION_SECONDS]   (default 20)
source "$(dirname "$0")/setup.sh"
duration=${1:-20}
beauty=../shared/data/amazon-beauty/sequences.txt
require_data "$data/train.txt" || exit 0
require_data "$beauty" || exit 0
if ! command -v wrk >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "bench/serve.sh needs wrk: apt-get install -y wrk" >&2; exit 1; }
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

g1=${G1_MODEL:-runs/gowalla-hqgnn-b1-e120.crm}
sasrec=${SASREC_MODEL:-runs/serve-beauty-sasrec.crm}
nextitnet=${NEXTITNET_MODEL:-runs/serve-beauty-cprec-nextitnet.crm}
[ -f "$g1" ] || { echo "missing $g1 (set G1_MODEL)" >&2; exit 1; }
train_seq() {  # MODEL_FILE ARGS...: trains a Beauty model (leave-one-out, early stopping) when absent
  local path=$1; shift
  [ -f "$path" ] || $bin train --data "$beauty" --split loo --epochs 200 --eval-every 1 --patience 5 "$@" \
    --out "$path" --json > "${path%.crm}.json"
}
train_seq "$sasrec" --model sasrec --dropout 0.5
train_seq "$nextitnet" --model nextitnet --blockwise both --sharing cross-layer

work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
python3 bench/serve_bodies.py users "$data/train.txt" 20000 "$work/users.jsonl"
python3 bench/serve_bodies.py histories "$beauty" 20000 "$work/histories.jsonl"
served=$work/g1.crm
cp "$g1" "$served"
echo "bench-token-$RANDOM$RANDOM" > "$work/token"

$bin serve g1="$served" sasrec="$sasrec" nextitnet="$nextitnet" --port 0 \
  --admin-token-file "$work/token" --watch-interval 1 2> "$work/server.log" &
server=$!
port=
for _ in $(seq 600); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/server.log" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  kill -0 $server 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "the server did not start" >&2; exit 1; }
url=http://127.0.0.1:$port

load() {  # MODEL BODIES CONNECTIONS SECONDS [RATE]: one wrk run, its JSON line on stdout
  BODIES=$2 TARGET=/v1/models/$1/recommend RATE=${5:-} CONNECTIONS=$3 \
    wrk -t2 -c"$3" -d"$4"s --timeout 10s -s bench/serve.lua "$url" | grep '^{'
}

results=()
for spec in "g1 users" "sasrec histories" "nextitnet histories"; do
  read -r model bodies <<<"$spec"
  load "$model" "$work/$bodies.jsonl" 64 3 > /dev/null  # warm-up
  peak=$(load "$model" "$work/$bodies.jsonl" 64 "$duration")
  rate=$(python3 -c "import json,sys; print(int(json.loads(sys.argv[1])['requests_per_second'] / 2))" "$peak")
  paced=$(load "$model" "$work/$bodies.jsonl" 64 "$duration" "$rate")
  echo "$model peak: $peak" >&2
  echo "$model at $rate/s: $paced" >&2
  results+=("{\"model\": \"$model\", \"closed_loop\": $peak, \"paced\": {\"target_rate\": $rate, \"result\": $paced}}")
done

# Reload under load: admin reloads every 2 s and one atomic replacement of the served file.
(
  sleep 2
  for i in $(seq $((duration / 2 - 1))); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$work/token")" \
      "$url/v1/admin/reload?model=g1")
    echo "$code" >> "$work/reloads"
    [ "$i" = 3 ] && cp "$g1" "$served.new" && mv "$served.new" "$served"
    sleep 2
  done
) &
reloader=$!
under_reload=$(load g1 "$work/users.jsonl" 64 "$duration")
wait $reloader
admin_ok=$(grep -c '^200$' "$work/reloads" || true)
admin_total=$(wc -l < "$work/reloads")
metrics=$(curl -s "$url/metrics" | grep '^compactrec_model_reloads_total' | tr '\n' ';')
echo "g1 under reloads: $under_reload (admin reloads $admin_ok/$admin_total answered 200; $metrics)" >&2

kill -TERM $server
wait $server && status=0 || status=$?
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
python3 - "$out/serve.json" "$duration" "$cpu" "$status" "$admin_ok" "$admin_total" "$under_reload" "${results[@]}" <<'PY'
import json, sys, subprocess
path, duration, cpu, status, ok, total, reload_run = sys.argv[1:8]
runs = [json.loads(r) for r in sys.argv[8:]]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
report = {
    "command": f"bench/serve.sh {duration}",
    "commit": commit,
    "machine": f"{cpu}, 2 cores; wrk -t2 -c64 on the same cores, loopback",
    "runs": runs,
    "reload_under_load": {"run": json.loads(reload_run), "admin_reloads": int(total), "admin_reloads_200": int(ok),
                          "file_replacements": 1},
    "server_exit_status_after_sigterm": int(status),
}
json.dump(report, open(path, "w"), indent=2)
print(json.dumps(report, indent=2))
PY
cp "$work/server.log" "$out/serve.log"
