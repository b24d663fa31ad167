"""A sync process killed with SIGKILL while it writes leaves the store as before or after; a re-run completes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minerwatch.store import Store

TICKERS = [f"T{i:02d}" for i in range(12)]
DAYS = 2500


def chart(ticker: str) -> bytes:
    """A Yahoo-shaped chart of DAYS daily rows (synthetic, for volume only)."""
    start = 1_500_000_000 - 1_500_000_000 % 86400 + 14 * 3600 + 30 * 60  # 14:30 UTC
    ts = [start + i * 86400 for i in range(DAYS)]
    closes = [10.0 + (i % 97) / 10 for i in range(DAYS)]
    body = {
        "chart": {
            "result": [
                {
                    "meta": {"symbol": ticker, "gmtoffset": -18000, "exchangeTimezoneName": "America/New_York"},
                    "timestamp": ts,
                    "indicators": {
                        "quote": [
                            {"open": closes, "high": closes, "low": closes, "close": closes, "volume": [1000] * DAYS}
                        ],
                        "adjclose": [{"adjclose": closes}],
                    },
                }
            ],
            "error": None,
        }
    }
    return json.dumps(body).encode()


def state(db: Path) -> tuple[int, int, int]:
    """(yahoo price rows, distinct keys among them, yahoo sync runs)."""
    with Store.open(db, read_only=True) as s:
        rows = s._scalar("SELECT count(*) FROM equity_prices_daily WHERE source_id = 'yahoo'")
        keys = s._scalar("SELECT count(DISTINCT (ticker, date)) FROM equity_prices_daily WHERE source_id = 'yahoo'")
        runs = s._scalar("SELECT count(*) FROM sync_runs WHERE source_id = 'yahoo'")
    return rows, keys, runs


def run_sync(server_url: str, db: Path, tmp: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINERWATCH_")}
    env.update(
        MINERWATCH_YAHOO_URL=server_url,
        MINERWATCH_YAHOO_MIN_INTERVAL="0",
        MINERWATCH_DB=str(db),
        MINERWATCH_CONFIG=str(tmp / "none.toml"),
        MINERWATCH_CACHE_DIR=str(tmp / "cache"),
    )
    args = [sys.executable, "-m", "minerwatch", "sync", "--source", "yahoo", "--no-cache", "--quiet"]
    for t in TICKERS:
        args += ["--ticker", t]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_requests(server, proc) -> None:
    deadline = time.monotonic() + 60
    while len(server.log) < len(TICKERS) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)


def has_store_open_for_writing(pid: int, db: Path) -> bool:
    """True when the (stopped) process holds the store file open read-write: it is inside its write step
    (sync opens the store read-write only around the write transaction)."""
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            try:
                if os.readlink(fd) != str(db):
                    continue
                flags = int((Path(f"/proc/{pid}/fdinfo") / fd.name).read_text().split("flags:")[1].split()[0], 8)
            except (OSError, IndexError, ValueError):
                continue
            if flags & os.O_ACCMODE == os.O_RDWR:
                return True
    except OSError:
        pass
    return False


def kill_while_writing(proc: subprocess.Popen, db: Path, skip: int) -> bool:
    """Freeze the process repeatedly; SIGKILL it the `skip`-th+1 time it is seen inside the write step."""
    seen = 0
    while proc.poll() is None:
        os.kill(proc.pid, signal.SIGSTOP)
        writing = has_store_open_for_writing(proc.pid, db)
        if writing:
            if seen >= skip:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return True
            seen += 1
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.01)
    return False


@pytest.mark.skipif(not Path("/proc/self/fdinfo").exists(), reason="needs Linux /proc to see the write step")
@pytest.mark.timeout(120)
def test_kill_9_inside_the_write_then_rerun(server, db_path, tmp_path):
    for t in TICKERS:
        server.routes[f"/v8/finance/chart/{t}"] = [server.Reply(200, chart(t))]
    Store.open(db_path).close()
    outcomes = []
    for skip in (0, 3, 8, 15):
        proc = run_sync(server.url, db_path, tmp_path)
        killed = kill_while_writing(proc, db_path, skip)
        proc.wait(timeout=30)
        rows, keys, runs = state(db_path)
        assert rows == keys  # never a duplicate row
        assert rows in (0, len(TICKERS) * DAYS)  # all of the source's rows or none
        assert (runs > 0) == (rows > 0)  # the run record commits together with its rows
        outcomes.append(("killed in write" if killed else "finished", "after" if rows else "before"))
        if rows:
            break  # from here on a kill cannot be told apart from a finished run
    assert outcomes[0] == ("killed in write", "before")
    proc = run_sync(server.url, db_path, tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    rows, keys, runs = state(db_path)
    assert rows == keys == len(TICKERS) * DAYS
    print(f"kill outcomes: {outcomes}")
