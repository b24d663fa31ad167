#!/usr/bin/env bash
# Set up minerwatch on a fresh machine and run the main job on the embedded snapshot.
# Usage: bash scripts/run.sh [extra args for the main job]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${MINERWATCH_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e .
export MINERWATCH_DB="${MINERWATCH_DB:-$PWD/.minerwatch/minerwatch.duckdb}"
exec "$VENV/bin/minerwatch" summary "$@"
