#!/usr/bin/env bash
# Every test: the Rust crate's (cargo test), then the Python module's and the
# Spark job's (pytest). The Python side lives in a virtual environment under
# target/ (made on first use: pyspark, pyarrow, pytest from PyPI, and the
# module built from python/ with maturin). Needs Java 17 for Spark and
# Debian's chromium for tests/html_report.rs; .ci/run installs both.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --release --locked

venv=target/pyenv
if [ ! -x "$venv/bin/pytest" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "pyspark[sql]>=4.0,<5" "pandas<3" "pytest>=7"
fi
# Rebuilt every run, so the tests see the working tree's Rust code.
"$venv/bin/pip" install --quiet --force-reinstall --no-deps ./python
command -v java >/dev/null || { echo "tests/run.sh: Spark needs Java 17 (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
"$venv/bin/python" -m pytest -q python/tests spark/tests
