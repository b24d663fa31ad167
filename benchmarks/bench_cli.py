"""Cold wall time of `minerwatch hashprice` against the import floor of its own stack, measured in the same run.

Usage: python benchmarks/bench_cli.py [--runs 7]
Prints median/min wall times of:
  floor      python -c "import duckdb, polars"           (what any duckdb+polars tool pays to start)
  hashprice  python -m minerwatch hashprice --month 2025-02   (warm store: snapshot already loaded)
  first-run  the same on a fresh store path (creates the DuckDB file and loads the embedded snapshot)
and the ratios hashprice/floor and first-run/floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def wall(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    tmp = Path(tempfile.mkdtemp(prefix="mw-bench-"))
    env = {**os.environ, "MINERWATCH_DB": str(tmp / "warm.duckdb")}
    py = sys.executable
    floor_cmd = [py, "-c", "import duckdb, polars"]
    hp_cmd = [py, "-m", "minerwatch", "hashprice", "--month", "2025-02"]
    subprocess.run(hp_cmd, check=True, env=env, stdout=subprocess.DEVNULL)  # create + load once
    floor, hp, first = [], [], []
    for i in range(runs):  # interleave so drift hits both alike
        floor.append(wall(floor_cmd, env))
        hp.append(wall(hp_cmd, env))
        first.append(wall(hp_cmd, {**env, "MINERWATCH_DB": str(tmp / f"fresh{i}.duckdb")}))
    med = statistics.median
    print(f"runs={runs} python={sys.version.split()[0]}")
    print(f"floor      median {med(floor):.3f}s  min {min(floor):.3f}s")
    print(f"hashprice  median {med(hp):.3f}s  min {min(hp):.3f}s  ratio {med(hp) / med(floor):.2f}x floor")
    print(f"first-run  median {med(first):.3f}s  min {min(first):.3f}s  ratio {med(first) / med(floor):.2f}x floor")


if __name__ == "__main__":
    main()
