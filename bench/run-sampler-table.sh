#!/usr/bin/env bash
# The "Samplers: CFG and DiffIER per sampler" table of docs/results.md: every sampler with CFG
# and DiffIER at w = 3 and matched NFE (≤ 30) on the mixture benchmark and on every real-model
# benchmark, at reduced sizes (2 shared cores), one run at a time.
# usage: bash bench/run-sampler-table.sh [OUT]     (about 30 min on 2 loaded cores)
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${DIFFIER_CLI:-dist/src/cli/main.js}
OUT=${1:-bench/results/samplers}
mkdir -p "$OUT"
SAMPLERS=${SAMPLERS:-ddim ddpm euler euler-a dpmpp-2m dpmpp-2m-sde heun dpmpp-sde unipc lms lcm}
COMMON=(--methods cfg,diffier --w 3 --nfe 30 --no-progress)
for s in $SAMPLERS; do
  node "$CLI" bench gmm --problem bench/problems/2d-overlapping.json --n 1000 "${COMMON[@]}" \
    --sampler "$s" --json "$OUT/gmm-$s.json" > "$OUT/gmm-$s.txt" 2>&1 || echo "gmm $s failed" >&2
done
for s in $SAMPLERS; do
  node "$CLI" bench t2i --prompts digits --n 3 "${COMMON[@]}" \
    --sampler "$s" --json "$OUT/t2i-$s.json" > "$OUT/t2i-$s.txt" 2>&1 || echo "t2i $s failed" >&2
  node "$CLI" bench sr --inputs 10 --n 2 "${COMMON[@]}" \
    --sampler "$s" --json "$OUT/sr-$s.json" > "$OUT/sr-$s.txt" 2>&1 || echo "sr $s failed" >&2
  node "$CLI" bench tts --sentences 3 --n 2 "${COMMON[@]}" \
    --sampler "$s" --json "$OUT/tts-$s.json" > "$OUT/tts-$s.txt" 2>&1 || echo "tts $s failed" >&2
done
