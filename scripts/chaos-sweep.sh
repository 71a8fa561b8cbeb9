#!/usr/bin/env bash
# Run the seeded chaos runner over a range of seeds, split over parallel workers, in the background.
#   scripts/chaos-sweep.sh FIRST_SEED SEEDS STEPS [WORKERS] [OUT_DIR] [extra bench/chaos.ts flags...]
# Logs: OUT_DIR/worker-N.log; per seed OUT_DIR/seed-S/{result.json,scheduler.log}. Each worker is
# bounded by `timeout` (PXFW_CHAOS_TIMEOUT seconds, default 3600). Prints the worker pids.
set -euo pipefail
first=${1:?first seed}; seeds=${2:?number of seeds}; steps=${3:?steps per seed}
workers=${4:-1}; out=${5:-/tmp/pxfw-chaos-$(date +%H%M%S)}; shift $(( $# < 5 ? $# : 5 ))
cd "$(dirname "$0")/.."
mkdir -p "$out"
per=$(( (seeds + workers - 1) / workers ))
for (( w = 0; w < workers; w++ )); do
  start=$(( first + w * per )); n=$(( seeds - w * per < per ? seeds - w * per : per ))
  (( n > 0 )) || break
  nohup timeout "${PXFW_CHAOS_TIMEOUT:-3600}" node --import tsx bench/chaos.ts --seed "$start" --seeds "$n" --steps "$steps" --out "$out" "$@" \
    > "$out/worker-$w.log" 2>&1 &
  echo "worker $w: seeds $start..$(( start + n - 1 )) pid $! log $out/worker-$w.log"
done
