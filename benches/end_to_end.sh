#!/usr/bin/env bash
# End to end: generate a corpus with the seeded generator, scan it, and report
# documents/s, MB/s, peak resident memory and the time of each stage.
# Usage: bash benches/end_to_end.sh [DOCS] [THREADS]   (default 100000, all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-100000}
threads=${2:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin storydup --example generate
target/release/examples/generate --docs "$docs" --seed 1 --stdout > "$work/docs.jsonl" 2>/dev/null
bytes=$(stat -c %s "$work/docs.jsonl")

/usr/bin/time -o "$work/time" -f "%e %M" \
    target/release/storydup scan "$work/docs.jsonl" --threads "$threads" --out "$work/out" 2> "$work/summary"
read -r seconds peak_kb < "$work/time"

echo "documents        $docs ($((bytes / 1000000)) MB of JSONL), threads: ${threads/#0/all ($(nproc))}"
echo "wall time        $seconds s"
echo "throughput       $(echo "$docs / $seconds" | bc) docs/s, $(echo "scale=1; $bytes / 1000000 / $seconds" | bc) MB/s"
echo "peak memory      $((peak_kb / 1024)) MB resident ($(echo "$peak_kb * 1024 / $docs" | bc) bytes per document)"
grep -E '^  (time|candidates|verified|clusters):' "$work/summary"
