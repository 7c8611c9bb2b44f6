#!/usr/bin/env bash
# Side by side: storydup and the MinHash tools a user would pick instead, on
# the same generated JSONL file, one process each (storydup without report.html,
# which the peers have no counterpart of). Prints documents per second
# and storydup's ratio to each.
# Usage: bash benches/peers/run.sh [DOCS] [SEED] [SHAPE]   (default 100000, 1,
# news; SHAPE stress: the generator's same-topic stress corpus)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
docs=${1:-100000}
seed=${2:-1}
shape=${3:-news}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

venv=${PEERS_VENV:-$here/.venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet datasketch==2.0.0 rensa==0.5.0 gaoya==0.2.2
fi

cargo build --release --quiet --bin storydup --example generate --example tokenize
target/release/examples/generate --shape "$shape" --docs "$docs" --seed "$seed" --stdout > "$work/docs.jsonl" 2>/dev/null
mb=$(du -m "$work/docs.jsonl" | cut -f1)
echo "corpus: $docs generated documents (--shape $shape), $mb MB, $(nproc) cores"
printf 'tool\tdocs\tseconds\tdocs/s\tclusters\n'

start=$(date +%s.%N)
target/release/storydup scan "$work/docs.jsonl" --no-html --out "$work/out" 2>"$work/summary"
end=$(date +%s.%N)
storydup_rate=$(echo "$docs / ($end - $start)" | bc -l)
clusters=$(grep -o 'clusters: [0-9]*' "$work/summary" | cut -d' ' -f2)
printf 'storydup\t%s\t%.2f\t%.0f\t%s\n' "$docs" "$(echo "$end - $start" | bc -l)" "$storydup_rate" "$clusters"

target/release/examples/tokenize "$work/docs.jsonl" > "$work/tokenize"
cat "$work/tokenize"
tokenize_rate=$(cut -f4 "$work/tokenize")

for peer in rensa gaoya datasketch; do
    "$venv/bin/python" "$here/peers.py" "$work/docs.jsonl" "$peer" | tee "$work/$peer"
done

echo
for peer in rensa gaoya datasketch; do
    rate=$(cut -f4 "$work/$peer")
    printf 'storydup / %s: %.2fx\n' "$peer" "$(echo "$storydup_rate / $rate" | bc -l)"
done
printf 'storydup / tokenize-only pass: %.2f\n' "$(echo "$storydup_rate / $tokenize_rate" | bc -l)"
