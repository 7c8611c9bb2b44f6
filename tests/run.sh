#!/usr/bin/env bash
# Every test: the Rust crate's (cargo test), then the Python module's and the
# Spark job's (pytest). Installs what they need when it is missing:
# - Debian's chromium (tests/html_report.rs renders report.html headless) and
#   a Java 17 runtime (Spark), with apt-get, through sudo when not root; on a
#   machine without apt-get it stops and says what to install;
# - a virtual environment under target/pyenv with pyspark, pandas and pytest
#   from PyPI, and the module built from python/ (maturin, by pip).
# Runs every suite even when an earlier one fails, and fails if any did.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "tests/run.sh: $*" >&2; }

java_17() {
    command -v java >/dev/null 2>&1 &&
        java -version 2>&1 | head -1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'
}
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
java_17 || missing+=(openjdk-17-jre-headless)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
    install="apt-get install -y --no-install-recommends ${missing[*]}"
    if ! command -v apt-get >/dev/null 2>&1; then
        say "the tests need ${missing[*]} (Debian package names); install them and run again"
        exit 1
    fi
    sudo_cmd=()
    if [ "$(id -u)" != 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            say "the tests need ${missing[*]}; as root run: apt-get update && $install"
            exit 1
        fi
        sudo_cmd=(sudo)
    fi
    say "installing ${missing[*]} (apt-get)"
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
fi
chromium --version
java -version 2>&1 | head -1

failed=()
cargo test --release --locked --no-fail-fast || failed+=("cargo test")

venv=target/pyenv
if [ ! -x "$venv/bin/pytest" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "pyspark[sql]>=4.0,<5" "pandas<3" "pytest>=7"
fi
# Rebuilt every run, so the tests see the working tree's Rust code.
"$venv/bin/pip" install --quiet --force-reinstall --no-deps ./python
"$venv/bin/python" -m pytest -q python/tests spark/tests || failed+=(pytest)

if [ ${#failed[@]} -gt 0 ]; then
    say "failed: ${failed[*]}"
    exit 1
fi
