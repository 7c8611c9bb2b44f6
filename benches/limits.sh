#!/usr/bin/env bash
# Peak memory on decompression bombs: a 1 GB line of zeros in a ~33 KB
# .jsonl.zst, and 1 GB of NUL bytes in a .txt.zst. With --max-doc-mb (default
# 64) each is refused after reading 64 MB, with memory to match.
# Usage: bash benches/limits.sh   (needs the zstd command)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet --bin storydup
{ printf '{"id":"a","text":"'; head -c 1G /dev/zero | tr '\0' '0'; printf '"}\n'; } | zstd -q -o "$work/zeros.jsonl.zst"
head -c 1G /dev/zero | zstd -q -o "$work/zeros.txt.zst"
for input in zeros.jsonl.zst zeros.txt.zst; do
    echo "== storydup scan $input ($(stat -c %s "$work/$input") bytes compressed)"
    /usr/bin/time -f "  %e s wall, %M KB peak resident memory, exit %x" \
        target/release/storydup scan "$work/$input" --out "$work/out" 2>&1 | sed 's/^/  /' || true
done
