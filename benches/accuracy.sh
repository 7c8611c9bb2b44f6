#!/usr/bin/env bash
# Accuracy at default options, the numbers README.md quotes:
#   the seeds; every set in ../shared/devsets, clean and mangled (lower-cased,
#   without punctuation, lines joined); a generated corpus (default 100,000
#   documents, seed 1); and the score model's leave-one-set-out table
#   (benches/fit/run.sh).
# Usage: bash benches/accuracy.sh [DOCS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-100000}
seed=${2:-1}
devsets=${STORYDUP_DEVSETS:-../shared/devsets}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin storydup --example generate
bin=target/release/storydup
# Runs a command, then prints its wall time and peak resident memory.
timed() {
    /usr/bin/time -o "$work/time" -f "  (%e s wall, %M KB peak resident memory)" "$@"
    cat "$work/time"
}

echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "== seeds: storydup scan data/seeds"
timed "$bin" scan data/seeds --out "$work/seeds" 2>/dev/null
cat "$work/seeds/clusters.csv"
cut -d, -f1-3 "$work/seeds/pairs.csv"

echo "== devsets: storydup eval $devsets/*/ --perturb all"
timed "$bin" eval "$devsets"/*/ --perturb all --markdown

for set in "$devsets"/*/; do
    echo "== $(basename "$set") (clean), by kind: storydup eval $set"
    "$bin" eval "$set" 2>&1 | grep -v '^  \(time\|boilerplate\|verified\|clusters\|temporary\|peak\)' | grep -v '^storydup:'
done

echo "== generated corpus: $docs documents, seed $seed"
target/release/examples/generate --docs "$docs" --seed "$seed" --out "$work/generated" 2>/dev/null
timed "$bin" eval "$work/generated" --markdown 2>&1 | grep -v '^storydup:'

echo "== the score model, fitted and left out set by set: bash benches/fit/run.sh"
bash benches/fit/run.sh 2>/dev/null
