"""The difficulty forecast on a store filled by live sync: bitcoind's blocks table, mempool's daily rows, gaps."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from minerwatch import service_economics as se
from minerwatch.cli import app
from minerwatch.errors import DataGap
from minerwatch.sources import bitcoind
from minerwatch.store import Store

EPOCH_462 = 462 * 2016  # 931,392: the first retarget after the snapshot's last height (930,093 on 2025-12-29)
D_NEW = 1.5e14


def _beyond_checkpoints(store: Store) -> None:
    """Act as if Electrum's checkpoints ended with epoch 461 (a live epoch the embedded data does not know)."""
    with store.transaction():
        store.con.execute("DELETE FROM difficulty_epochs WHERE epoch >= 462").fetchall()


def _mempool_days(store: Store, blocks_per_day: int, days: int) -> None:
    """Daily rows as a mempool sync writes them, continuing the snapshot's heights without a gap."""
    rows, h = [], 930_094
    for i in range(days):
        first, last = h, h + blocks_per_day - 1
        diff = 148_258_433_855_481.0 if last < EPOCH_462 else D_NEW if first >= EPOCH_462 else 1.49e14
        rows.append({
            "date": date(2025, 12, 30) + timedelta(days=i), "source_id": "mempool", "block_count": blocks_per_day,
            "first_height": first, "last_height": last, "difficulty": diff, "hashrate_ehs_published": None,
            "subsidy_btc": 3.125 * blocks_per_day, "fees_btc": 0.02 * blocks_per_day, "payload_sha256": "t",
            "loaded_at": datetime(2026, 1, 13),
        })  # fmt: skip
        h = last + 1
    frame = pl.DataFrame(
        rows,
        schema_overrides={
            "block_count": pl.Int32,
            "first_height": pl.Int32,
            "last_height": pl.Int32,
            "hashrate_ehs_published": pl.Float64,
        },
    )
    with store.transaction():
        store.upsert("network_daily", frame, ["date", "source_id"])


def test_forecast_from_mempool_days_beyond_the_checkpoints(store: Store) -> None:
    _beyond_checkpoints(store)
    _mempool_days(store, 160, 14)  # 160 blocks a day = 540 s blocks, 2025-12-30 .. 2026-01-12
    f = se.difficulty_forecast(store)
    # Tip: 930,093 + 14 x 160 = 932,333 at the end of 2026-01-12; epoch 462 began at 931,392 on 2026-01-07.
    assert (f["as_of"], f["height"], f["epoch"], f["intervals_so_far"]) == (date(2026, 1, 12), 932_333, 462, 941)
    # Interpolated times: 941 intervals over 941 / 160 days, i.e. 540 s each; ratio 1,209,600 / (540 x 2015).
    assert f["mean_block_interval_seconds"] == 540.0
    ratio = 1_209_600 / (540 * 2015)
    assert f["expected_change_pct"] == pytest.approx(100 * (ratio - 1), abs=0.005)  # +11.17%
    # The current difficulty comes from the last day wholly inside the epoch.
    assert f["current_difficulty"] == D_NEW
    assert f["difficulty_source"] == "mempool's mean of 2026-01-12, a day wholly in the epoch"
    assert f["expected_difficulty"] == pytest.approx(D_NEW * ratio, rel=1e-9)
    assert f["block_times"] == "interpolated within UTC days from daily block counts"
    # Epoch 461 (929,376..931,391) is now complete and its successor's difficulty known from the mempool days:
    # the backtest scores it against D_NEW / D_461.
    rows = se.epoch_rows(store, since=date(2025, 12, 1))
    assert rows["epoch"].to_list()[-2:] == [460, 461]
    assert rows["actual_pct"][-1] == pytest.approx(100 * (D_NEW / 148_258_433_855_481.0 - 1), rel=1e-9)


def test_forecast_stops_at_a_gap_of_missing_days(store: Store) -> None:
    frame = pl.DataFrame([{
        "date": date(2026, 1, 11), "source_id": "mempool", "block_count": 5, "first_height": 932_000,
        "last_height": 932_004, "difficulty": D_NEW, "hashrate_ehs_published": None, "subsidy_btc": 15.625,
        "fees_btc": 0.15, "payload_sha256": "t", "loaded_at": datetime(2026, 1, 12),
    }], schema_overrides={"block_count": pl.Int32, "first_height": pl.Int32, "last_height": pl.Int32,
                          "hashrate_ehs_published": pl.Float64})  # fmt: skip
    with store.transaction():
        store.upsert("network_daily", frame, ["date", "source_id"])
    # Block 931,392 was mined on a day the store does not hold: no made-up start time.
    with pytest.raises(
        DataGap,
        match=r"block 931,392 \(the first block of epoch 462\) .* end 2025-12-29 and resume "
        r"2026-01-11\); fill the gap with `minerwatch sync`",
    ):
        se.difficulty_forecast(store)
    # The epoch ending in the gap (461: 929,376..931,391) is not counted as complete by the backtest either.
    assert se.difficulty_backtest(store, since=date(2016, 1, 1))["last_epoch"] == 460


def _bitcoind_blocks(store: Store, first: int, n: int, spacing_s: int, t0: datetime) -> None:
    rows = [{
        "height": first + i, "block_hash": f"h{first + i}", "time": t0 + timedelta(seconds=i * spacing_s),
        "median_time": None, "subsidy_btc": 3.125, "fees_btc": 0.02, "source_id": "bitcoind", "bits": "1701f303",
        "difficulty": D_NEW, "payload_sha256": "t", "loaded_at": datetime(2026, 1, 20),
    } for i in range(n)]  # fmt: skip
    with store.transaction():
        store.upsert("blocks", pl.DataFrame(rows, schema={**bitcoind.BLOCK_SCHEMA, "loaded_at": pl.Datetime("us")}),
                     ["height", "source_id"])  # fmt: skip


def test_forecast_from_bitcoind_header_times(store: Store) -> None:
    _beyond_checkpoints(store)
    t0 = datetime(2026, 1, 7, 12, 0, 0)
    _bitcoind_blocks(store, EPOCH_462, 1001, 570, t0)  # 931,392 .. 932,392, one every 570 s
    f = se.difficulty_forecast(store)
    # Tip 932,392 at t0 + 1000 x 570 s = 2026-01-14 02:20 (not a complete day: still used, it is exact).
    assert (f["as_of"], f["height"], f["intervals_so_far"], f["blocks_remaining"]) == (
        date(2026, 1, 14),
        932_392,
        1000,
        1016,
    )
    assert f["block_times"] == "exact header times (bitcoind blocks table)"
    ratio = 1_209_600 / (570 * 2015)
    assert f["expected_change_pct"] == pytest.approx(100 * (ratio - 1), abs=0.005)  # +5.32%
    assert (f["current_difficulty"], f["difficulty_source"]) == (D_NEW, "a bitcoind block header")
    # Retarget when block 933,408 arrives: 1,016 more blocks at 570 s after the tip.
    assert f["estimated_retarget_utc"] == t0 + timedelta(seconds=2016 * 570)
    # As of the end of 2026-01-10 only the blocks before 2026-01-11 00:00 count: (3.5 days / 570 s) = 530 intervals.
    past = se.difficulty_forecast(store, date(2026, 1, 10))
    assert (past["height"], past["intervals_so_far"]) == (EPOCH_462 + 530, 530)
    assert past["expected_change_pct"] == f["expected_change_pct"]


def test_forecast_table_exact(db_path: Path) -> None:
    res = CliRunner().invoke(app, ["difficulty", "forecast", "--as-of", "2025-02-20", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert res.stdout == FORECAST_2025_02_20


FORECAST_2025_02_20 = """\
Difficulty forecast as of 2025-02-20 (height 884,651)
-----------------------------------------------------
Next retarget height       885,024 (373 blocks to go)
Estimated date             2025-02-23 15:23 UTC (sd 3.6 h; 95%: 2025-02-23 08:14 to 2025-02-23 22:31)
Expected change            -2.01% (68%: -3.05% to -0.97%; 95%: -4.03% to +0.04%)
Difficulty                 114,167,270,716,408 -> 111,868,094,911,290 (current from Electrum checkpoints)
Blocks into epoch          1,644 of 2,016 (epoch 438, from height 883,008)
Mean block interval        612.6 s
Block times                interpolated within UTC days from daily block counts
Backtest at this progress  median abs error 0.86 pp, p90 2.13 pp over 244 epochs since 2016-01-01
"""


def test_scenario_block_rate_counts_blocks_by_height_across_missing_days(store: Store) -> None:
    # A live day far past the snapshot (2026-01-11, heights 932,000..932,004) after 12 missing days: the rate over
    # the last 28 days with blocks is the heights mined over the calendar days they span, not 27 days' counts + 5.
    frame = pl.DataFrame([{
        "date": date(2026, 1, 11), "source_id": "mempool", "block_count": 5, "first_height": 932_000,
        "last_height": 932_004, "difficulty": D_NEW, "hashrate_ehs_published": None, "subsidy_btc": 15.625,
        "fees_btc": 0.15, "payload_sha256": "t", "loaded_at": datetime(2026, 1, 12),
    }], schema_overrides={"block_count": pl.Int32, "first_height": pl.Int32, "last_height": pl.Int32,
                          "hashrate_ehs_published": pl.Float64})  # fmt: skip
    with store.transaction():
        store.upsert("network_daily", frame, ["date", "source_id"])
    first = store.query("SELECT first_height FROM network_daily WHERE date = DATE '2025-12-03'")["first_height"][0]
    s = se.scenario(store, price_usd=70_000, hashrate_ehs=900, fee_share_pct=0.0, on=date(2027, 1, 1))
    span = (date(2026, 1, 11) - date(2025, 12, 3)).days + 1  # 40 calendar days
    assert s["block_rate_basis"] == "mean blocks per day 2025-12-03 to 2026-01-11"
    assert s["block_rate_per_day"] == pytest.approx((932_004 - first + 1) / span, abs=0.001)
    assert 140 < s["block_rate_per_day"] < 150


def test_forecast_after_a_real_mempool_sync(store: Store, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the live sync path (mock transport, no socket): mempool's fee buckets and difficulty adjustments."""
    import httpx

    from minerwatch import sync

    store.close()  # the sync opens the file itself
    utc = datetime(1970, 1, 1)

    def ts(d: date, seconds: int = 0) -> int:
        return int((datetime(d.year, d.month, d.day) - utc).total_seconds()) + seconds

    first, today, h = date(2025, 12, 30), date(2026, 1, 20), 930_093
    buckets = [{"avgHeight": h, "timestamp": ts(first, -300), "avgFees": 1_000_000, "USD": 1}]
    day = first
    while day <= today:  # 144 blocks a day, one every 600 s; `today` is cut short
        for i in range(144 if day < today else 3):
            h += 1
            buckets.append({"avgHeight": h, "timestamp": ts(day, 120 + 600 * i), "avgFees": 1_000_000, "USD": 1})
        day += timedelta(days=1)
    adjustments = [
        {"time": ts(date(2025, 12, 20)), "height": 929_376, "difficulty": 148_258_433_855_481.0, "adjustment": 1.0},
        {"time": ts(date(2026, 1, 8)), "height": EPOCH_462, "difficulty": D_NEW, "adjustment": 1.01},
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
    [res] = sync.sync(db_path, ["mempool"], today=today, transports={"mempool": httpx.MockTransport(mempool)},
                      cache=False, sleep=lambda s: None)  # fmt: skip
    assert res.status == "ok", res.message
    with Store.open(db_path) as s:
        _beyond_checkpoints(s)
        f = se.difficulty_forecast(s)
        # The last complete day is 2026-01-19 (the payload's last day is dropped): 930,093 + 21 x 144 = 933,117.
        assert (f["as_of"], f["height"], f["epoch"]) == (date(2026, 1, 19), 933_117, 462)
        # 144 blocks a day at 600 s: only the 2015-interval rule moves difficulty, by 2016/2015.
        assert f["mean_block_interval_seconds"] == 600.0
        assert f["expected_change_pct"] == pytest.approx(100 * (2016 / 2015 - 1), abs=0.005)
        assert (f["current_difficulty"], f["difficulty_source"]) == (
            D_NEW,
            "mempool's mean of 2026-01-19, a day wholly in the epoch",
        )
        # Epoch 461 ended inside mempool's days; its real change is scored from mempool's difficulty of 462.
        rows = se.epoch_rows(s, since=date(2026, 1, 1))
        assert rows["epoch"].to_list() == [461]
        assert rows["actual_pct"][0] == pytest.approx(100 * (D_NEW / 148_258_433_855_481.0 - 1), rel=1e-9)
