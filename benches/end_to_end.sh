#!/usr/bin/env bash
# End to end: generate a corpus with the seeded generator, scan it, and report
# documents/s, MB/s, peak resident memory and the time of each stage.
# Usage: bash benches/end_to_end.sh [DOCS] [THREADS] [file|stream]
#   DOCS     documents to generate (default 100000)
#   THREADS  worker threads (default 0: all cores)
#   stream   pipe the generator into `storydup scan -` instead of writing a
#            file first (for corpora larger than the disk: 10M docs ~ 43 GB);
#            the generator then shares the cores and the wall time.
# Temporary files go to $TMPDIR (or /tmp); set it to a roomy disk.
# TIMELINE=FILE also writes, every 5 s: seconds since the start, temporary
# bytes allocated, storydup's CPU use in cores over the last interval, and
# the bytes of its largest temporary file (the store) in the page cache, and
# its resident memory in KB (where in the run the peak falls).
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-100000}
threads=${2:-0}
mode=${3:-file}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin storydup --example generate
generate() { target/release/examples/generate --docs "$docs" --seed 1 --stdout 2>/dev/null; }
# Peak temporary disk: every 5 s, the blocks allocated to the files a
# storydup process holds open under the temporary folder (its store and
# sorted runs are unnamed files there), the input file excepted.
tmp_root=$(cd "${TMPDIR:-/tmp}" && pwd)
timeline=${TIMELINE:-}
start=$(date +%s.%N)
sample_temp() {
    local peak=0 total target blocks largest largest_fd ticks last_ticks=0 now last=$start cached rss
    while [ -d "$work" ] && [ ! -f "$work/done" ]; do
        for pid in $(pgrep -x storydup); do
            total=0 largest=0 largest_fd=""
            for fd in /proc/"$pid"/fd/*; do
                target=$(readlink "$fd" 2>/dev/null) || continue
                case "$target" in
                    "$work"/*) ;;
                    "$tmp_root"/*)
                        blocks=$(stat -L -c %b "$fd" 2>/dev/null) || blocks=0
                        total=$((total + blocks * 512))
                        if [ "$blocks" -gt "$largest" ]; then largest=$blocks largest_fd=$fd; fi ;;
                esac
            done
            if [ "$total" -gt "$peak" ]; then peak=$total; echo "$peak" > "$work/temp_peak"; fi
            if [ -n "$timeline" ]; then
                ticks=$(awk '{print $14 + $15}' /proc/"$pid"/stat 2>/dev/null) || ticks=$last_ticks
                cached=0
                if [ -n "$largest_fd" ]; then
                    cached=$(fincore -b -n -o RES "$largest_fd" 2>/dev/null | tr -d ' ') || cached=0
                fi
                rss=$(awk '/^VmRSS:/ {print $2}' /proc/"$pid"/status 2>/dev/null) || rss=0
                now=$(date +%s.%N)
                echo "$(printf '%.0f' "$(echo "$now - $start" | bc)") $total $(echo "scale=2; ($ticks - $last_ticks) / 100 / ($now - $last)" | bc) ${cached:-0} ${rss:-0}" >> "$timeline"
                last_ticks=$ticks last=$now
            fi
        done
        sleep 5
    done
}
echo 0 > "$work/temp_peak"
sample_temp &
scan() {
    /usr/bin/time -o "$work/time" -f "%e %M" \
        target/release/storydup scan "$1" --threads "$threads" --no-html --out "$work/out" 2> "$work/summary"
    touch "$work/done"
}
if [ "$mode" = stream ]; then
    generate | scan -
    bytes=""
else
    generate > "$work/docs.jsonl"
    bytes=$(stat -c %s "$work/docs.jsonl")
    scan "$work/docs.jsonl"
fi
read -r seconds peak_kb < "$work/time"

echo "documents        $docs, threads: ${threads/#0/all ($(nproc))}, input: $mode"
echo "wall time        $seconds s"
if [ -n "$bytes" ]; then
    echo "throughput       $(echo "$docs / $seconds" | bc) docs/s, $(echo "scale=1; $bytes / 1000000 / $seconds" | bc) MB/s ($((bytes / 1000000)) MB of JSONL)"
else
    echo "throughput       $(echo "$docs / $seconds" | bc) docs/s (generator included)"
fi
echo "peak memory      $((peak_kb / 1024)) MB resident ($(echo "$peak_kb * 1024 / $docs" | bc) bytes per document)"
wait
temp_peak=$(cat "$work/temp_peak")
echo "peak temp disk   $((temp_peak / 1000000)) MB allocated, sampled every 5 s ($((temp_peak / docs)) bytes per document)"
grep -E '^  (time|candidates|verified pairs|clusters|temporary files):' "$work/summary"
