"""Bounded loopback load on `minerwatch serve`: requests/s and p50/p99 for a cached month endpoint.

Starts the real command (`python -m minerwatch serve`) on a free 127.0.0.1 port against a store
(default: a fresh one built from the embedded snapshot in a temporary folder), then, for each
scenario, sends a fixed number of GET requests from a few keep-alive client threads, stopping early at
a time cap. Everything stays on the loopback interface. Scenarios, measured in the same run:

  floor        GET /favicon.ico: a constant answer, the framework + HTTP + client floor
  cached       GET /api/v1/hashprice?month=2025-02 after one warm-up request (served from memory)
  revalidate   the same with If-None-Match: the ETag -> 304, no body
  cold         first hashprice request for each of 24 other months (opens the store, computes, caches)

Usage: .venv/bin/python benchmarks/bench_api.py [--requests 2000] [--concurrency 4] [--time-cap 20] [--db PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

MONTH = "2025-02"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run_load(
    base: str, path: str, *, total: int, concurrency: int, time_cap_s: float, headers: dict[str, str] | None = None,
    expect: int = 200,
) -> dict[str, float]:
    """Send `total` GETs of `path` from `concurrency` threads (stopping at `time_cap_s`); latency stats in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    sent = 0
    failures = 0
    deadline = time.perf_counter() + time_cap_s

    def worker() -> None:
        nonlocal sent, failures
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                with lock:
                    if sent >= total or time.perf_counter() > deadline:
                        return
                    sent += 1
                t0 = time.perf_counter()
                r = client.get(path, headers=headers)
                dt = (time.perf_counter() - t0) * 1000
                with lock:
                    latencies.append(dt)
                    if r.status_code != expect:
                        failures += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "requests": len(latencies),
        "failures": failures,
        "wall_s": wall,
        "rps": len(latencies) / wall if wall else 0.0,
        "p50_ms": pct(latencies, 50),
        "p99_ms": pct(latencies, 99),
    }


def cold_months(base: str, n: int = 24) -> dict[str, float]:
    """First (uncached) request for n different months, one at a time."""
    months = []
    y, m = 2023, 12
    for _ in range(n):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    lat = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for month in months:
            t0 = time.perf_counter()
            r = client.get(f"/api/v1/hashprice?month={month}")
            lat.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, r.text
    return {"requests": n, "failures": 0, "wall_s": sum(lat) / 1000, "rps": n / (sum(lat) / 1000),
            "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99)}


def start_server(db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, MINERWATCH_DB=str(db))
    proc = subprocess.Popen(
        [sys.executable, "-m", "minerwatch", "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("server did not start within 120 s")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000, help="requests per scenario (default 2000)")
    ap.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    ap.add_argument("--time-cap", type=float, default=20.0, help="seconds per scenario at most (default 20)")
    ap.add_argument("--db", type=Path, help="store to serve (default: a fresh copy built from the snapshot)")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="minerwatch-bench-"))
    try:
        if args.db is None:
            from minerwatch.store import Store

            db = tmp / "bench.duckdb"
            Store.open(db).close()
        else:
            db = tmp / "bench.duckdb"
            shutil.copy(args.db, db)
        proc, base = start_server(db)
        try:
            path = f"/api/v1/hashprice?month={MONTH}"
            etag = httpx.get(base + path).headers["etag"]  # warm-up: fills the cache
            load: Callable[..., dict[str, float]] = run_load
            common = dict(total=args.requests, concurrency=args.concurrency, time_cap_s=args.time_cap)
            results = {
                "floor": load(base, "/favicon.ico", **common),
                "cached": load(base, path, **common),
                "revalidate": load(base, path, headers={"If-None-Match": etag}, expect=304, **common),
                "cold": cold_months(base),
            }
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"minerwatch serve on 127.0.0.1, {os.cpu_count()} CPUs, {args.concurrency} client threads, "
          f"{args.requests} requests per scenario (cap {args.time_cap:g} s); client and server share the machine")
    print(f"{'scenario':<11} {'requests':>8} {'fail':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, r in results.items():
        print(f"{name:<11} {r['requests']:>8.0f} {r['failures']:>5.0f} {r['rps']:>8.1f} "
              f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}")
    c, f, cold = results["cached"], results["floor"], results["cold"]
    print(f"cached month endpoint: {c['rps']:.0f} req/s = {c['rps'] / f['rps']:.2f} x the floor's; "
          f"cold p50 / cached p50 = {cold['p50_ms'] / c['p50_ms']:.1f}")


if __name__ == "__main__":
    main()
