#!/usr/bin/env bash
# `storydup index` against `storydup scan`: agreement and cost.
#
#   bash benches/index.sh agreement   # devsets 80/20 and 90/10 (and mangled copies), generated 100,000 + 10,000
#   bash benches/index.sh cost        # add 1,000 to 100,000 against a scan of the 101,000
#   bash benches/index.sh query N     # one document checked against an index of N generated
#
# Agreement: `index DIR A` then `index DIR B --out O` against `scan A B`
# (clusters.csv of the scan as the reference, pairwise precision, recall and
# F1; benches/index/agreement.py). "incremental": the add matches its batch
# whatever the rescan policy (--refresh-after 1e9 --rescan-up-to 0);
# "default": the policy decides (a devset is under archive::RESCAN_UP_TO
# documents, so its add rescans; 100,000 + 10,000 grows by a tenth, under
# archive::REFRESH_AFTER, so it is matched incrementally).
# Timings are wall-clock seconds of one run each; on a 2-core machine they
# vary by 10-15% from run to run.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-agreement}
shared=$(cd "${SHARED:-../shared}" && pwd)
cargo build --release --locked --bin storydup --example generate 2>/dev/null
bin=$PWD/target/release/storydup
gen=$PWD/target/release/examples/generate
py=$PWD/benches/index
work=$(mktemp -d "${TMPDIR:-/tmp}/storydup-index.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# seconds COMMAND...: runs it, prints its wall-clock seconds.
seconds() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    python3 -c "print(f'{($t1 - $t0) / 1e9:.3f}')"
}
ratio() { python3 -c "print(f'{$1 / $2:.4f}')"; }

# agree NAME A B [ADD_OPTIONS...]: prints NAME and the agreement.
agree() {
    local name=$1 a=$2 b=$3; shift 3
    rm -rf sc ix o
    "$bin" scan "$a" "$b" --out sc --no-html -q
    "$bin" index ix "$a" -q
    "$bin" index ix "$b" --out o -q "$@"
    echo "$name $(python3 "$py/agreement.py" sc/clusters.csv o/clusters.csv)"
}

incremental="--refresh-after 1e9 --rescan-up-to 0"

case $what in
agreement)
    for set in "$shared"/devsets/*/; do
        name=$(basename "$set")
        for how in clean lower nopunct joined; do
            python3 "$py/split.py" "$set/docs.jsonl" A.jsonl B.jsonl "$how" 5
            agree "$name/$how 80/20 incremental:" A.jsonl B.jsonl $incremental
            agree "$name/$how 80/20 default:" A.jsonl B.jsonl
            python3 "$py/split.py" "$set/docs.jsonl" A.jsonl B.jsonl "$how" 10
            agree "$name/$how 90/10 incremental:" A.jsonl B.jsonl $incremental
        done
    done
    "$gen" --docs 110000 --seed 1 --stdout 2>/dev/null > g.jsonl
    head -n 100000 g.jsonl > A.jsonl
    tail -n 10000 g.jsonl > B.jsonl
    agree "generated 100000+10000 default (incremental):" A.jsonl B.jsonl
    ;;
cost)
    "$gen" --docs 101000 --seed 1 --stdout 2>/dev/null > g.jsonl
    head -n 100000 g.jsonl > A.jsonl
    tail -n 1000 g.jsonl > B.jsonl
    scan=$(seconds "$bin" scan A.jsonl B.jsonl --out sc --no-html -q)
    build=$(seconds "$bin" index base A.jsonl -q)
    du_base=$(du -sb base | cut -f1)
    adds=()
    for run in 1 2 3 4 5; do
        rm -rf ix && cp -r base ix && sync
        add=$(seconds "$bin" index ix B.jsonl -q)
        adds+=("$add")
        echo "run $run: add 1000 to 100000: ${add}s; scan of 101000: ${scan}s; ratio $(ratio "$add" "$scan")"
    done
    median=$(printf '%s\n' "${adds[@]}" | sort -n | sed -n 3p)
    echo "median add: ${median}s = $(ratio "$median" "$scan") of the scan"
    rm -rf ix && cp -r base ix && sync
    new_only=$(seconds "$bin" index ix B.jsonl --out o --new-only -q)
    echo "add with --out --new-only: ${new_only}s"
    echo "build of 100000: ${build}s; disk $du_base bytes ($((du_base / 100000)) a document)"
    rm -rf ix && cp -r base ix && sync
    echo "one more add, with its summary:"
    "$bin" index ix B.jsonl 2>&1
    ;;
query)
    # INDEX=DIR keeps the index there (and reuses it when it exists).
    n=${2:-1000000}
    index=${INDEX:-$work/base}
    "$gen" --docs $((n + 1)) --seed 1 --stdout 2>/dev/null > g.jsonl
    head -n "$n" g.jsonl > A.jsonl
    # A document the index has not seen, and a reprint of one it holds.
    tail -n 1 g.jsonl > unseen.jsonl
    sed -n "$((n / 2))p" g.jsonl | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); d["id"]="reprint"; print(json.dumps(d))' > reprint.jsonl
    if [ ! -e "$index/index.db" ]; then
        build=$(seconds "$bin" index "$index" A.jsonl -q --tmp-dir "$work")
        echo "build of $n: ${build}s; disk $(du -sb "$index" | cut -f1) bytes"
    fi
    for doc in unseen reprint; do
        for run in 1 2 3; do
            echo "query $doc run $run: $(seconds "$bin" index "$index" $doc.jsonl --query)s (whole command)"
        done
        "$bin" index "$index" $doc.jsonl --query | cut -d, -f1-3
    done
    ;;
esac
