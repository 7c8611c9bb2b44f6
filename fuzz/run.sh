#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each); not part of
# CI. Needs a nightly toolchain; installs cargo-fuzz if it is missing.
# Usage: bash fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(read_jsonl read_csv read_text segment shingle_and_verify)
fi
for target in "${targets[@]}"; do
    echo "== $target ($seconds s)"
    # Inputs of up to 64 KB; crashes are saved under fuzz/artifacts/$target/.
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -max_len=65536
done
