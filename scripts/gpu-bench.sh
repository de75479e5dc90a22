#!/usr/bin/env bash
# The full benchmark (1M, 16M, 64M elements) on CUDA, writing the JSON report
# to bench/results/<date>-<device>.json, then prints its goals table.
#
#   scripts/gpu-bench.sh            # CUDA device 0
#   TIMEOUT=480 scripts/gpu-bench.sh
#
# Budget: 8 minutes for the run itself (after the build); `timeout` enforces
# it. For an H200 the report also gives foil's bandwidth as a fraction of the
# card's 4.8 TB/s (FOIL_BENCH_PEAK_BYTES_PER_S); set that variable yourself
# for another card.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v nvidia-smi >/dev/null || { echo "gpu-bench: nvidia-smi not found: this needs a CUDA machine" >&2; exit 2; }
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n1)
case "$gpu" in
  *H200*) export FOIL_BENCH_PEAK_BYTES_PER_S=${FOIL_BENCH_PEAK_BYTES_PER_S:-4.8e12} ;;
esac

cargo build --release -p foil-bench --features cuda
bin=${CARGO_TARGET_DIR:-target}/release/foil-bench

slug=$(echo "$gpu" | tr -cs 'A-Za-z0-9' '-' | sed 's/-$//')
out=bench/results/$(date -u +%Y-%m-%d)-${slug}.json
mkdir -p bench/results
timeout "${TIMEOUT:-480}" "$bin" --device cuda --format json > "$out.tmp"
mv "$out.tmp" "$out"
echo "gpu-bench: $gpu -> $out"
# The goals table, for a person reading the log.
python3 - "$out" <<'PY' || true
import json, sys
r = json.load(open(sys.argv[1]))
for g in r["goals"]:
    print(f'{g["key"]:24} {g["value"]!s:>24}  goal {g["goal_is"]} {g["goal"]}  met={g["met"]}')
PY
