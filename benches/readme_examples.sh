#!/usr/bin/env bash
# The examples README.md shows, as they come out now: the scan of the seeds
# (summary, pairs.csv transposed, clusters.csv) and the explain example.
# Times and peak memory vary run to run; every other figure should match
# README.md word for word (tests/readme.rs checks the deterministic ones).
# Usage: bash benches/readme_examples.sh
set -euo pipefail
cd "$(dirname "$0")/.."
devsets=${STORYDUP_DEVSETS:-../shared/devsets}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --bin storydup
bin=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/storydup

echo "== storydup scan data/seeds   (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
(here=$PWD && cd "$work" && "$bin" scan "$here/data/seeds" --out storydup-out 2>&1) \
    | sed "s|$PWD/||g"
echo "== storydup-out/pairs.csv, transposed"
python3 - "$work/storydup-out/pairs.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
for i, name in enumerate(rows[0]):
    print(f"{name:<18} " + "  ".join(r[i] for r in rows[1:]))
PY
echo "== storydup-out/clusters.csv"
cat "$work/storydup-out/clusters.csv"
echo "== storydup explain politics/081 politics/141 --in $devsets/bbc_news_dev/docs.jsonl"
"$bin" explain politics/081 politics/141 --in "$devsets/bbc_news_dev/docs.jsonl" \
    | sed "s|$devsets|../shared/devsets|g"
echo "== storydup explain of the two seed files alone"
"$bin" explain data/seeds/000_6d5f35eb97f0d708.txt data/seeds/001_a6a27bf682eca62c.txt | head -3
