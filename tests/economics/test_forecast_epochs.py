"""The forecast and backtest read the difficulty_epochs rows live sync writes (mempool retargets, bitcoind bits)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import polars as pl
import pytest
from typer.testing import CliRunner

from minerwatch import service_economics as se
from minerwatch import sync
from minerwatch.cli import app
from minerwatch.http import Raw
from minerwatch.sources import bitcoind
from minerwatch.store import Store

EPOCH_462 = 462 * 2016  # 931,392
D_461 = 148_258_433_855_481.0  # Electrum's epoch 461
D_NEW = 1.5e14


def ts(d: date, seconds: int = 0) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) + seconds


def mempool_sync(db: Path, monkeypatch: pytest.MonkeyPatch) -> sync.SourceResult:
    """144 blocks a day from 2025-12-30 to 2026-01-20 (cut short), retargets at 929,376 (D_461) and 931,392 (D_NEW)."""
    first, today, h = date(2025, 12, 30), date(2026, 1, 20), 930_093
    buckets = [{"avgHeight": h, "timestamp": ts(first, -300), "avgFees": 1_000_000, "USD": 1}]
    day = first
    while day <= today:
        for i in range(144 if day < today else 3):
            h += 1
            buckets.append({"avgHeight": h, "timestamp": ts(day, 120 + 600 * i), "avgFees": 1_000_000, "USD": 1})
        day += timedelta(days=1)
    adjustments = [
        {"time": ts(date(2025, 12, 25), 3600), "height": 929_376, "difficulty": D_461, "adjustment": 1.0},
        {"time": ts(date(2026, 1, 8), 300), "height": EPOCH_462, "difficulty": D_NEW, "adjustment": 1.01},
    ]
    hashrate = {"hashrates": [], "difficulty": adjustments, "currentHashrate": 1e21, "currentDifficulty": D_NEW}
    days = [first + timedelta(days=i) for i in range((today - first).days)]
    prices = {"prices": [{"time": ts(d + timedelta(days=1)), "USD": 90_000.0} for d in days], "exchangeRates": {}}

    def mempool(request: httpx.Request) -> httpx.Response:
        if "/mining/blocks/fees/" in request.url.path:
            return httpx.Response(200, json=buckets)
        if "/mining/hashrate/" in request.url.path:
            return httpx.Response(200, json=hashrate)
        return httpx.Response(200, json=prices)

    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    [res] = sync.sync(db, ["mempool"], today=today, transports={"mempool": httpx.MockTransport(mempool)},
                      cache=False, sleep=lambda s: None)  # fmt: skip
    assert res.status == "ok", res.message
    return res


def test_mempool_epoch_rows_feed_the_forecast_and_the_backtest(store: Store, db_path: Path, monkeypatch) -> None:
    store.close()
    res = mempool_sync(db_path, monkeypatch)
    # Epoch 461's retarget matches the checkpoints exactly; 462's invented D_NEW disagrees: one conflict.
    assert res.conflicts == 1
    with Store.open(db_path) as s:
        assert s.query("SELECT epoch, difficulty, first_date FROM difficulty_epochs WHERE source_id = 'mempool' "
                       "ORDER BY epoch").rows() == [(461, D_461, date(2025, 12, 25)), (462, D_NEW, date(2026, 1, 8))]
        # With the checkpoints: Electrum wins for epoch 462.
        f = se.difficulty_forecast(s)
        assert (f["epoch"], f["difficulty_source"]) == (462, "Electrum checkpoints")
        assert f["current_difficulty"] != D_NEW
        # As if the checkpoints ended at 461 (live epochs past epoch 473 are in this position): mempool's row.
        with s.transaction():
            s.con.execute("DELETE FROM difficulty_epochs WHERE source_id = 'electrum' AND epoch >= 462").fetchall()
        f = se.difficulty_forecast(s)
        assert (f["current_difficulty"], f["difficulty_source"]) == (
            D_NEW, "mempool's retargets")
        # The backtest scores epoch 461 against mempool's epoch 462 row.
        rows = se.epoch_rows(s, since=date(2026, 1, 1))
        assert rows["epoch"].to_list() == [461]
        assert rows["actual_pct"][0] == pytest.approx(100 * (D_NEW / D_461 - 1), rel=1e-12)
    res = CliRunner().invoke(app, ["difficulty", "forecast", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    expected = D_NEW * 2016 / 2015  # 144 blocks a day at 600 s: only the 2015-interval rule moves it
    assert (f"Difficulty                 150,000,000,000,000 -> {expected:,.0f} (current from mempool's retargets)"
            in res.stdout.splitlines())


def test_bitcoind_epoch_rows_come_before_mempool(store: Store, db_path: Path, monkeypatch) -> None:
    store.close()
    mempool_sync(db_path, monkeypatch)
    # bitcoind blocks 931,392..931,401 (epoch 462) with mainnet-style bits, through the sync write path.
    bits = "1701f303"
    t0 = datetime(2026, 1, 8, 0, 5)
    rows = [{"height": EPOCH_462 + i, "block_hash": f"h{i}", "time": t0 + timedelta(minutes=10 * i),
             "median_time": None, "subsidy_btc": 3.125, "fees_btc": 0.01, "source_id": "bitcoind", "bits": bits,
             "difficulty": None, "payload_sha256": "p"} for i in range(10)]  # fmt: skip
    frame = pl.DataFrame(rows, schema=bitcoind.BLOCK_SCHEMA).with_columns(
        pl.lit(bitcoind.difficulty_from_bits(int(bits, 16))).alias("difficulty"))
    with Store.open(db_path) as s:
        with s.transaction():
            s.con.execute("DELETE FROM difficulty_epochs WHERE source_id = 'electrum' AND epoch >= 462").fetchall()
        run = sync.SourceResult("bitcoind", "ok")
        raw = Raw("http://node/#kind=stats", b"[]", "application/json", datetime(2026, 1, 8, 2))
        sync.write(s, bitcoind, [raw], {"blocks": frame}, run=run, started_at=datetime(2026, 1, 8, 2), items=None)
        d = bitcoind.difficulty_from_bits(int(bits, 16))
        got = s.query("SELECT first_height, last_height, target_hex, difficulty, first_date, last_date, "
                      "last_block_hash FROM difficulty_epochs WHERE source_id = 'bitcoind'").rows()
        assert got == [(EPOCH_462, EPOCH_462 + 2015, f"{0x01f303 << (8 * (0x17 - 3)):064x}", d, date(2026, 1, 8),
                        None, None)]  # fmt: skip
        # bitcoind's bits and mempool's D_NEW disagree: recorded against the epoch's first day.
        assert s.query("SELECT date, item, source_a, source_b FROM conflicts WHERE table_name = 'difficulty_epochs' "
                       "AND source_a = 'bitcoind'").rows() == [(date(2026, 1, 8), "epoch 462", "bitcoind", "mempool")]
        assert se._current_difficulty(s, 462, None) == (d, "bitcoind's header bits for the epoch")
        # Writing the same blocks again changes nothing (keyed upserts).
        again = sync.SourceResult("bitcoind", "ok")
        sync.write(s, bitcoind, [raw], {"blocks": frame}, run=again, started_at=datetime(2026, 1, 8, 3), items=None)
        assert (again.inserted, again.updated) == (0, 0)
