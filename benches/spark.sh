#!/usr/bin/env bash
# The same generated corpus through `storydup scan` and through the Spark job
# (spark/storydup_spark.py), on this machine: wall times, and whether the
# reports are byte-identical.
# Usage: bash benches/spark.sh [DOCS] [MASTER]
#   DOCS    documents to generate (default 20000)
#   MASTER  Spark master (default local[*]; e.g. local-cluster[2,1,2048]:
#           two executors of one core and 2048 MB each. The executors are
#           given the workers' memory: otherwise their heap is Spark's
#           default of 1 GB, and spark-submit's --executor-memory does not
#           reach a local-cluster master)
# Needs the Python environment tests/run.sh makes (target/pyenv) and Java.
set -euo pipefail
cd "$(dirname "$0")/.."
docs=${1:-20000}
master=${2:-local[*]}
venv=target/pyenv
[ -x "$venv/bin/spark-submit" ] || { echo "run bash tests/run.sh first (it makes $venv)" >&2; exit 1; }
executor=()
if [[ $master =~ ^local-cluster\[[0-9]+,[0-9]+,([0-9]+)\]$ ]]; then
    executor=(--conf "spark.executor.memory=${BASH_REMATCH[1]}m")
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin storydup --example generate
target/release/examples/generate --docs "$docs" --seed 3 --stdout > "$work/docs.jsonl" 2>/dev/null
/usr/bin/time -o "$work/scan.time" -f "%e %M" \
    target/release/storydup scan "$work/docs.jsonl" -q --no-html --out "$work/scan"
PYSPARK_PYTHON="$PWD/$venv/bin/python" /usr/bin/time -o "$work/spark.time" -f "%e %M" \
    "$venv/bin/spark-submit" --master "$master" --driver-memory 4g "${executor[@]}" \
    --conf spark.log.level=ERROR --conf spark.ui.enabled=false \
    spark/storydup_spark.py "$work/docs.jsonl" --out "$work/spark" > "$work/spark.log" 2>&1 \
    || { cp "$work/spark.log" target/spark-failed.log
         grep -m 10 -E '^[A-Za-z.]*(Exception|Error)|Caused by' "$work/spark.log"
         echo "whole log: target/spark-failed.log"; exit 1; }

read -r scan_s scan_kb < "$work/scan.time"
read -r spark_s _ < "$work/spark.time"
echo "documents      $docs ($(($(stat -c %s "$work/docs.jsonl") / 1000000)) MB of JSONL), $(nproc) cores"
echo "storydup scan  $scan_s s ($(echo "$docs / $scan_s" | bc) docs/s, peak $((scan_kb / 1024)) MB)"
echo "spark job      $spark_s s on $master ($(echo "$docs / $spark_s" | bc) docs/s, JVM start included)"
grep -E '^  time:' "$work/spark.log" | sed 's/^  time:/  spark stages:/'
for report in pairs.csv clusters.csv; do
    if cmp -s "$work/scan/$report" "$work/spark/$report"; then
        printf '%-14s identical (%d rows)\n' "$report" "$(($(wc -l < "$work/scan/$report") - 1))"
    else
        printf '%-14s DIFFERENT\n' "$report"; exit 1
    fi
done
