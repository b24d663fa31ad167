#!/usr/bin/env bash
# Set up minerwatch on a fresh machine and run the main job on the embedded snapshot: the monthly
# note for the latest complete month, written to reports/<month>/ (report.md, report.html,
# facts.json, charts as SVG and PNG).
# Usage: bash scripts/run.sh [extra args for `minerwatch report`, e.g. --month 2025-02]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${MINERWATCH_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e .
export MINERWATCH_DB="${MINERWATCH_DB:-$PWD/.minerwatch/minerwatch.duckdb}"
exec "$VENV/bin/minerwatch" report "$@"
