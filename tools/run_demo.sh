#!/usr/bin/env bash
# `make demo`: the whole transfer pipeline on the bundled demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PY:-.venv/bin/python}" tools/run_demo.py "$@"
