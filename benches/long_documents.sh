#!/usr/bin/env bash
# Two near-identical long documents (random words from a 50,000-word made-up
# vocabulary, every 50th word changed), scanned with and without report.html:
# how verification and the report grow with document length.
# Usage: bash benches/long_documents.sh [MB...]   (default: 2 10 50)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --bin storydup
for mb in "${@:-2 10 50}"; do
    for m in $mb; do
        python3 - "$m" "$work/long$m.jsonl" <<'PY'
import json, random, sys
mb, path = int(sys.argv[1]), sys.argv[2]
random.seed(mb)
letters = "abcdefghijklmnopqrstuvwxyz"
vocabulary = ["".join(random.choice(letters) for _ in range(random.randint(3, 9))) for _ in range(50000)]
a = [random.choice(vocabulary) for _ in range(mb * 2**20 // 7)]
b = list(a)
for i in range(0, len(b), 50):
    b[i] = random.choice(vocabulary)
text = lambda ws: "\n".join(" ".join(ws[i:i + 20]) + "." for i in range(0, len(ws), 20))
with open(path, "w") as f:
    for id_, ws in (("a", a), ("b", b)):
        f.write(json.dumps({"id": id_, "text": text(ws)}) + "\n")
PY
        for html in --no-html ""; do
            echo "== $m MB each, storydup scan ${html:-(with report.html)}"
            /usr/bin/time -f "  %e s wall, %M KB peak resident memory" \
                target/release/storydup scan "$work/long$m.jsonl" --out "$work/out" $html 2>&1 \
                | grep -E "time:|wall"
        done
    done
done
