#!/usr/bin/env bash
# Reproduces docs/results/gmm.md: every method × w on every mixture problem at matched NFE
# (50, 100, 200), 4,000 samples, several seeds; then the summary and Pareto plots.
# usage: bash bench/run-gmm-results.sh [JOBS]      (takes about an hour on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${1:-2}
# The CLI to run (default: this checkout's build); a frozen copy keeps a long run immune to rebuilds.
CLI=${DIFFIER_CLI:-dist/src/cli/main.js}
OUT=bench/results
mkdir -p "$OUT"
METHODS=cfg,rescale,cfgpp,apg,cfg-zero,interval,threshold,eps-scaling,restart,zsampling,pcg,diffier
W=1,1.5,2,3,5,7.5,10
# NFE 100 (the budget of the goals): every method, 3 seeds in 2-D, 2 in high dimension.
# NFE 50 and 200: CFG, the strongest peers and DiffIER, 2 seeds in 2-D, 1 in high dimension
# (last, as time allows: the whole run takes about two hours on 2 cores).
CORE=cfg,apg,interval,restart,zsampling,pcg,diffier
jobs_list() {
  for p in 2d-separated 2d-overlapping heldout/2d-three-class; do
    for seed in 1 2 3; do echo "$p 100 $seed $METHODS"; done
  done
  for p in 32d heldout/16d; do
    for seed in 1 2; do echo "$p 100 $seed $METHODS"; done
  done
  for nfe in 50 200; do
    for p in 2d-separated 2d-overlapping heldout/2d-three-class; do
      for seed in 1 2; do echo "$p $nfe $seed $CORE"; done
    done
  done
  for nfe in 50 200; do
    for p in 32d heldout/16d; do echo "$p $nfe 1 $CORE"; done
  done
}
run_one() {
  local p=$1 nfe=$2 seed=$3 methods=$4
  local name
  name=$(basename "$p")
  local json="$OUT/$name-nfe$nfe-seed$seed.json"
  [ -s "$json" ] && return 0
  # A lock folder, so that two runs of this script never compute the same job.
  mkdir "$json.lock" 2>/dev/null || return 0
  trap 'rmdir "$json.lock" 2>/dev/null' RETURN
  node "$CLI" bench gmm --problem "bench/problems/$p.json" --methods "$methods" --w "$W" \
    --nfe "$nfe" --samples 4000 --seed "$seed" --json "$json" --no-progress > "$OUT/$name-nfe$nfe-seed$seed.txt"
}
export -f run_one
export OUT METHODS W CLI
jobs_list | xargs -P "$JOBS" -L 1 bash -c 'run_one "$@"' _
mkdir -p docs/results
node "$CLI" bench report "$OUT"/*-nfe*-seed*.json --out docs/results/gmm.md --plots docs/results \
  --command "bash bench/run-gmm-results.sh"
