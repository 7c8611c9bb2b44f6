#!/usr/bin/env bash
# Do two storydup binaries write the same reports? For a refactor that must
# not change a byte: scans every devset, the seeds and a generated corpus
# with each binary and compares pairs.csv and clusters.csv.
# Usage: bash benches/same_reports.sh OLD_BINARY NEW_BINARY [DOCS]
#   (DOCS: generated documents, default 100000; build the old binary from
#   a worktree, e.g. git worktree add /tmp/base HEAD~1 && (cd /tmp/base &&
#   cargo build --release))
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 docs=${3:-100000}
devsets=${STORYDUP_DEVSETS:-../shared/devsets}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --example generate
target/release/examples/generate --docs "$docs" --seed 1 --stdout > "$work/generated.jsonl" 2>/dev/null
inputs=(data/seeds "$devsets"/*/docs.jsonl "$work/generated.jsonl" "$work/generated.jsonl")
status=0
for i in "${!inputs[@]}"; do
    input=${inputs[$i]}
    # The generated corpus a second time with tiny buffers: every sort
    # spills to disk and most features are rebuilt from the store.
    small=()
    if [ "$i" = $((${#inputs[@]} - 1)) ]; then
        small=(--buffer-mb 1 --feature-mb 1)
        input="$input (--buffer-mb 1 --feature-mb 1)"
    fi
    for bin in old new; do
        "${!bin}" scan "${inputs[$i]}" "${small[@]}" --no-html --quiet --out "$work/$bin"
    done
    for report in pairs.csv clusters.csv; do
        if cmp -s "$work/old/$report" "$work/new/$report"; then
            echo "same      $input $report ($(wc -l < "$work/new/$report") lines)"
        else
            echo "DIFFERENT $input $report"
            status=1
        fi
    done
done
exit $status
