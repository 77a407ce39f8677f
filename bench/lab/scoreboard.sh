#!/usr/bin/env bash
# Redoes docs/results (issue 15's scoreboard): every method × w at matched NFE on the four
# tasks, with the one default of --method diffier. One benchmark at a time, onnxruntime on
# one thread; about an hour on a 2-core machine.
# usage: bash bench/lab/scoreboard.sh [CLI [PART…]]
#   CLI: the CLI to run (default dist/src/cli/main.js; a frozen copy keeps a long run immune
#        to rebuilds); PART: t2i sr tts gmm t2i-seed1 sr-seed1 cosine (default: all, in order)
set -euo pipefail
cd "$(dirname "$0")/../.."
CLI=${1:-dist/src/cli/main.js}
shift || true
PARTS=${*:-t2i sr tts gmm t2i-seed1 sr-seed1 cosine}
R=docs/results
ALL=cfg,apg,cfgpp,interval,pcg,characteristic,fdg,cfg-schedule,diffier
TOP=cfg,apg,interval,pcg,cfg-schedule,diffier
W=1,2,3,5,7.5
mkdir -p $R/t2i/grids $R/sr/grids $R/tts $R/gmm
log() { echo "[$(date +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)] $*"; }
for part in $PARTS; do
  log "$part"
  case $part in
    t2i) node "$CLI" bench t2i --prompts digits --n 24 --w $W --nfe 60 --seed 0 --methods $ALL \
      --threads 1 --no-progress --json $R/t2i/bench-seed0.json --grids $R/t2i/grids --plots $R/t2i \
      > $R/t2i/bench-seed0.txt ;;
    sr) node "$CLI" bench sr --inputs 100 --n 1 --w $W --nfe 60 --seed 0 --methods $ALL --threads 1 \
      --no-progress --json $R/sr/bench-seed0.json --grids $R/sr/grids --plots $R/sr > $R/sr/bench-seed0.txt ;;
    tts) node "$CLI" bench tts --n 1 --w $W --nfe 30 --seed 0 --methods $ALL --threads 1 \
      --no-progress --json $R/tts/bench.json --out $R/tts > $R/tts/bench.txt ;;
    gmm) for p in 2d-separated 2d-overlapping 32d heldout/2d-three-class heldout/16d; do
        name=$(basename $p)
        node "$CLI" bench gmm --problem bench/problems/$p.json --w $W --nfe 100 --samples 1500 \
          --seed 1 --methods $ALL --no-progress --json $R/gmm/$name.json > $R/gmm/$name.txt
      done ;;
    t2i-seed1) node "$CLI" bench t2i --prompts digits --n 24 --w 2,3,5,7.5 --nfe 60 --seed 1 \
      --methods $TOP --threads 1 --no-progress --json $R/t2i/bench-seed1.json > $R/t2i/bench-seed1.txt ;;
    sr-seed1) node "$CLI" bench sr --inputs 100 --n 1 --w 2,3,5,7.5 --nfe 60 --seed 1 --methods $TOP \
      --threads 1 --no-progress --json $R/sr/bench-seed1.json > $R/sr/bench-seed1.txt ;;
    cosine) node "$CLI" bench t2i --prompts digits --n 24 --w 2,3,5 --nfe 60 --seed 0 \
      --methods cfg-schedule --cfg-schedule-shape cosine --threads 1 --no-progress \
      --json $R/t2i/cosine-seed0.json > $R/t2i/cosine-seed0.txt ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done
log done
