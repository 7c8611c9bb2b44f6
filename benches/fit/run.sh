#!/usr/bin/env bash
# Fits the score model on the devsets and a generated corpus (each also
# lower-cased, without punctuation and with its lines joined) and prints the
# model, the F1 of each set and its F1 when left out of the fit.
# Usage: bash benches/fit/run.sh [GENERATED_DOCS] [SEED] [--dump FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
docs=${1:-4000}
seed=${2:-7}
shift $(( $# < 2 ? $# : 2 ))
devsets=${STORYDUP_DEVSETS:-../shared/devsets}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --example fit --example generate
target/release/examples/generate --docs "$docs" --seed "$seed" --out "$work/generated" 2>/dev/null
sets=()
for set in clough_stevenson bbc_news_dev quran_translations quran_translations_multi; do
    sets+=("$devsets/$set")
done
target/release/examples/fit "${sets[@]}" "$work/generated" "$@"
