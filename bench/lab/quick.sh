#!/usr/bin/env bash
# The quick sets of docs/lab.md, one run each: the shipped data only, small enough for
# a minute per configuration on a laptop core.
# usage: bash bench/lab/quick.sh TASK NAME W-LIST [bench flags…]
#   TASK: t2i (10 digits × 12 images, NFE 60), sr (30 held-out inputs × 1, NFE 60),
#         tts (first 6 held-out sentences × 1, NFE 30), gmm-<problem> (1,500 samples, NFE 100)
# writes bench/lab/out/TASK-NAME.txt and .json
set -euo pipefail
cd "$(dirname "$0")/../.."
task=$1; name=$2; ws=$3; shift 3
CLI=${DIFFIER_CLI:-dist/src/cli/main.js}
out=bench/lab/out; mkdir -p "$out"
common=(--w "$ws" --no-progress --json "$out/$task-$name.json")
case $task in
  t2i) node "$CLI" bench t2i --prompts digits --n 12 --nfe 60 --threads 1 "${common[@]}" "$@" ;;
  sr) node "$CLI" bench sr --inputs 30 --n 1 --nfe 60 --threads 1 "${common[@]}" "$@" ;;
  tts) node "$CLI" bench tts --sentences 6 --n 1 --nfe 30 --threads 1 "${common[@]}" "$@" ;;
  gmm-*) node "$CLI" bench gmm --problem "bench/problems/${task#gmm-}.json" --nfe 100 --samples 1500 "${common[@]}" "$@" ;;
  *) echo "unknown task $task" >&2; exit 2 ;;
esac > "$out/$task-$name.txt"
