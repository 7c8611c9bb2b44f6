#!/usr/bin/env bash
# Accuracy at default options, the numbers README.md quotes:
#   the seeds, ../shared/devsets (clough_stevenson, bbc_news_dev) and a
#   generated corpus (default 100,000 documents, seed 1).
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

echo "== seeds: storydup scan data/seeds"
timed "$bin" scan data/seeds --out "$work/seeds" 2>/dev/null
cat "$work/seeds/clusters.csv"

for set in clough_stevenson bbc_news_dev; do
    echo "== $set: storydup eval $devsets/$set"
    timed "$bin" eval "$devsets/$set" 2>&1 | grep -v '^  \(time\|boilerplate\|verified\|clusters\)' | grep -v '^storydup:'
done

echo "== generated corpus: $docs documents, seed $seed"
target/release/examples/generate --docs "$docs" --seed "$seed" --out "$work/generated" 2>/dev/null
timed "$bin" eval "$work/generated" 2>&1 | grep -v '^storydup:'
