#!/usr/bin/env bash
# The generator's two corpus shapes side by side: `storydup eval` on each
# (scores, recall per planted kind, candidates per document by source, stage
# times, wall time, peak memory), the average document size, and a check that
# the stress shape is byte-identical run to run (folder and --stdout).
# Usage: bash benches/stress.sh [DOCS]   (default 100000; needs about 8 KB of
# disk a document). STORYDUP=path uses that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --example generate
storydup=${STORYDUP:-}
if [ -z "$storydup" ]; then
    cargo build --release --quiet --bin storydup
    storydup=target/release/storydup
fi
for shape in news stress; do
    echo "== --shape $shape --docs $docs --seed 1"
    target/release/examples/generate --shape "$shape" --docs "$docs" --seed 1 \
        --out "$work/$shape" 2>&1 | grep -E "^generate:|bytes a document"
    /usr/bin/time -f "  %e s wall, %M KB peak resident memory" \
        "$storydup" eval "$work/$shape" 2>&1 \
        | grep -E "^precision|candidate recall|in one cluster|candidates:|features of|time:|peak memory|wall"
done
echo "== determinism (stress): docs.jsonl, written again to standard output"
a=$(sha256sum <"$work/stress/docs.jsonl" | cut -d' ' -f1)
b=$(target/release/examples/generate --shape stress --docs "$docs" --seed 1 --stdout 2>/dev/null \
    | sha256sum | cut -d' ' -f1)
echo "  $a"
echo "  $b"
[ "$a" = "$b" ] && echo "  same" || { echo "  DIFFERENT"; exit 1; }
