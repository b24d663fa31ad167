"""Every metric command works on a store filled by `sync` for days after the snapshot (2025-12-30 onwards).

The payloads are in the recorded shapes (mempool fees/hashrate/historical-price, CoinGecko market_chart,
Yahoo chart) with round invented values, replayed through the real sync path (mock transport, no socket),
so the January 2026 figures can be computed by hand below.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from minerwatch import sync
from minerwatch.cli import app
from minerwatch.sources import yahoo
from minerwatch.store import Store

CG_COIN = "coingecko/coingecko__v3_coins_bitcoin__jkorf-coingecko-net-docs-example.json"
FIRST = date(2025, 12, 30)  # the first day after the snapshot's end
TODAY = date(2026, 2, 2)
D0, D1 = 1.5e14, 1.6e14  # difficulty before / from the retarget at height 931392
FEE_SAT = 1_250_000  # per block
HOLIDAYS = {date(2026, 1, 1), date(2026, 1, 19)}  # NYSE closed


def ts(d: date, seconds: int = 0) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) + seconds


def close_of(d: date) -> float:
    """The BTC close both price sources serve for day d."""
    return 100_000.0 + 1_000.0 * (d - date(2026, 1, 1)).days


def trading_days() -> list[date]:
    days = [FIRST + timedelta(days=i) for i in range((TODAY - FIRST).days)]
    return [d for d in days if d.weekday() < 5 and d not in HOLIDAYS]


def equity_close(ticker: str, d: date) -> float:
    """Member i's close rises by (i + 1) % per trading day from 10 + i dollars."""
    i = yahoo.default_tickers().index(ticker)
    return round((10 + i) * (1 + (i + 1) / 100 * trading_days().index(d)), 6)


def transports(last_height: int, recorded, until: date = TODAY, log: list[str] | None = None
               ) -> dict[str, httpx.BaseTransport]:
    """Mock transports serving the scenario up to `until` (a running day: 3 blocks); `log` collects paths."""
    h = last_height
    buckets = [{"avgHeight": h, "timestamp": ts(FIRST, -300), "avgFees": FEE_SAT, "USD": 1}]
    day = FIRST
    while day <= until:  # 144 blocks a day, one every 600 s; `until` is cut short (still running)
        for i in range(144 if day < until else 3):
            h += 1
            buckets.append({"avgHeight": h, "timestamp": ts(day, 120 + 600 * i), "avgFees": FEE_SAT, "USD": 1})
        day += timedelta(days=1)
    hashrate = {
        "hashrates": [{"timestamp": ts(FIRST + timedelta(days=i)), "avgHashrate": 1.1e21} for i in range(34)],
        "difficulty": [
            {"time": ts(date(2025, 12, 20)), "height": 929376, "difficulty": D0, "adjustment": 1.0},
            {"time": ts(date(2026, 1, 8), 300), "height": 931392, "difficulty": D1, "adjustment": 1.0667},
        ],
        "currentHashrate": 1.1e21,
        "currentDifficulty": D1,
    }
    closes = [FIRST + timedelta(days=i) for i in range((until - FIRST).days)]
    # A point at 00:00 UTC closes the day before; the last, intraday point is not a close.
    prices = {"prices": [{"time": ts(d + timedelta(days=1)), "USD": close_of(d)} for d in closes]
              + [{"time": ts(TODAY, 3600), "USD": 1.0}], "exchangeRates": {}}
    chart = {"prices": [[ts(d + timedelta(days=1)) * 1000, close_of(d)] for d in closes]
             + [[ts(TODAY, 3600) * 1000, 1.0]], "market_caps": [], "total_volumes": []}

    def mempool(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if log is not None:
            log.append(path)
        if "/mining/blocks/fees/" in path:
            return httpx.Response(200, json=buckets)
        if "/mining/hashrate/" in path:
            return httpx.Response(200, json=hashrate)
        return httpx.Response(200, json=prices)

    def coingecko(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/market_chart"):
            return httpx.Response(200, json=chart)
        return httpx.Response(200, content=recorded.bytes(CG_COIN))

    def yahoo_chart(request: httpx.Request) -> httpx.Response:
        t = request.url.path.rsplit("/", 1)[1]
        days = trading_days()
        c = [equity_close(t, d) for d in days]
        return httpx.Response(200, json={"chart": {"error": None, "result": [{
            "meta": {"symbol": t, "gmtoffset": -18000},
            "timestamp": [ts(d, 14 * 3600 + 1800) for d in days],
            "indicators": {"quote": [{"open": c, "high": c, "low": c, "close": c, "volume": [1e6] * len(c)}],
                           "adjclose": [{"adjclose": c}]},
        }]}})

    return {"mempool": httpx.MockTransport(mempool), "coingecko": httpx.MockTransport(coingecko),
            "yahoo": httpx.MockTransport(yahoo_chart)}


@pytest.fixture(scope="module")
def synced(tmp_path_factory, snapshot_db, recorded_module):
    """A private copy of the snapshot store, then mempool, CoinGecko and Yahoo synced up to 2026-02-02."""
    import shutil

    db = tmp_path_factory.mktemp("after") / "store.duckdb"
    shutil.copy(snapshot_db, db)
    with Store.open(db, read_only=True) as s:
        last = s._scalar("SELECT last_height FROM network_daily WHERE source_id = 'coinmetrics' ORDER BY date DESC "
                         "LIMIT 1")
    mp = pytest.MonkeyPatch()
    for src in ("MEMPOOL", "COINGECKO", "YAHOO"):
        mp.setenv(f"MINERWATCH_{src}_MIN_INTERVAL", "0")
        mp.delenv(f"MINERWATCH_{src}_URL", raising=False)
    tr = transports(last, recorded_module)
    try:
        results = sync.sync(db, ["mempool", "coingecko"], today=TODAY, transports=tr, cache=False,
                            sleep=lambda s: None)
        # The snapshot's equity closes run past 2026-02 (screener data), so Yahoo is asked --from the first day.
        results += sync.sync(db, ["yahoo"], today=TODAY, start=FIRST, transports=tr, cache=False,
                             sleep=lambda s: None)
    finally:
        mp.undo()
    return db, last, results


@pytest.fixture(scope="module")
def recorded_module():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "fixtures"

    class R:
        @staticmethod
        def bytes(rel: str) -> bytes:
            return (root / rel).read_bytes()

    return R


def run(db, *args: str) -> dict:
    res = CliRunner().invoke(app, [*args, "--db", str(db), "--format", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_the_syncs_fill_january_2026(synced):
    db, last, results = synced
    # mempool's two retargets carry the scenario's round difficulties, not the real ones of epochs 461 and 462
    # (Electrum checkpoints): recorded as conflicts, the checkpoints still win.
    assert [(r.source_id, r.status, r.conflicts) for r in results] == [
        ("mempool", "ok", 2), ("coingecko", "ok", 0), ("yahoo", "ok", 0)]
    assert last == 930093  # Coin Metrics' last block on 2025-12-29
    with Store.open(db, read_only=True) as s:
        assert s.query(
            "SELECT min(date), max(date), count(*), min(first_height), sum(block_count) FROM network_daily "
            "WHERE source_id = 'mempool'").rows() == [(FIRST, date(2026, 2, 1), 34, 930094, 34 * 144)]


def test_hashprice_on_synced_days(synced):
    db, _, _ = synced
    got = run(db, "hashprice", "--month", "2026-01")
    # Hand computation: 144 blocks a day, 3.125 + 0.0125 BTC each; 2026-01-08 (heights 931390-931533) mines
    # 2 blocks at D0 and 142 at D1 (retarget 931392); hashrate = D x 2^32 / 600 (144 blocks = one per 600 s).
    first_jan = 930094 + 2 * 144
    days, usd = [], []
    for i in range(31):
        d = date(2026, 1, 1) + timedelta(days=i)
        lo = first_jan + 144 * i
        old = max(0, min(144, 931392 - lo))
        diff = (old * D0 + (144 - old) * D1) / 144
        ehs = diff * 2**32 / 600 / 1e18
        days.append(ehs)
        usd.append(144 * 3.1375 * close_of(d) / ehs)
    assert got["days"] == 31 and got["blocks"] == 31 * 144
    assert (got["network_sources"], got["price_sources"]) == (["mempool"], ["coingecko"])
    assert got["subsidy_btc"] == 31 * 144 * 3.125 and got["fees_btc"] == pytest.approx(31 * 144 * 0.0125)
    assert got["usd_per_ehs_day"] == pytest.approx(sum(usd) / 31, abs=0.01)
    assert got["hashrate_ehs"] == pytest.approx(sum(days) / 31, abs=0.05)
    assert got["difficulty_mean"] == pytest.approx((7 * 144 * D0 + 2 * D0 + 142 * D1 + 23 * 144 * D1) / (31 * 144))


def test_btc_on_synced_days(synced):
    db, _, _ = synced
    got = run(db, "btc", "--month", "2026-01")
    assert (got["open_date"], got["open_usd"], got["close_date"], got["close_usd"]) == (
        "2025-12-31", 99_000.0, "2026-01-31", 130_000.0)
    assert got["change_pct"] == round((130_000 / 99_000 - 1) * 100, 2)
    assert (got["days"], got["price_sources"]) == (31, ["coingecko"])
    assert (got["ath_close_usd"], got["ath_close_date"]) == (130_000.0, "2026-01-31")


def test_basket_on_synced_days(synced):
    db, _, _ = synced
    got = run(db, "basket", "--month", "2026-01")
    assert (got["members_total"], got["members_priced"]) == (14, 14)
    # Window: last trading day of December (12-31, index 1) to that of January (01-30, index 21).
    changes = {m["ticker"]: m["price_change_pct"] for m in got["members"]}
    for t in yahoo.default_tickers():
        k = (yahoo.default_tickers().index(t) + 1) / 100
        assert changes[t] == pytest.approx(round(((1 + 21 * k) / (1 + k) - 1) * 100, 2), abs=0.006), t
    assert got["btc_change_pct"] == round((129_000 / 99_000 - 1) * 100, 2)  # BTC closes of 12-31 -> 01-30


def test_report_on_synced_days(synced, tmp_path):
    db, _, _ = synced
    res = CliRunner().invoke(app, ["report", "--month", "2026-01", "--out", str(tmp_path / "r"), "--no-charts",
                                   "--db", str(db)])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "r" / "report.md").read_text()
    assert md.startswith("# Bitcoin mining in January 2026\n")
    assert "BTC rose 31.3% in January 2026 to close at $130,000, from $99,000 at the end of December 2025." in md
    assert "The 14 tracked miners' aggregate market cap rose" in md


def test_a_plain_yahoo_sync_covers_every_current_basket_member():
    from minerwatch import basket_file

    current = [m.ticker for m in basket_file.load().members if m.end is None]
    assert yahoo.tickers() == current and len(current) == 14 and "CANG" in current


def test_summary_economics_breakeven_and_equity_on_synced_days(synced):
    db, _, _ = synced
    hp = run(db, "hashprice", "--month", "2026-01")["usd_per_ehs_day"]
    summary = CliRunner().invoke(app, ["summary", "--month", "2026-01", "--db", str(db)])
    assert summary.exit_code == 0 and "Hashprice 2026-01" in summary.stdout and "BTC 2026-01" in summary.stdout
    eco = run(db, "economics", "--month", "2026-01", "--efficiency-jth", "20", "--power-usd-kwh", "0.05")
    # 20 J/TH = 20 MJ per EH per s -> 480,000 kWh per EH/s per day -> $24,000 at $0.05/kWh.
    assert (eco["revenue_usd_per_ehs_day"], eco["cost_usd_per_ehs_day"], eco["days"]) == (hp, 24_000.0, 31)
    assert eco["gross_profit_usd_per_ehs_day"] == pytest.approx(hp - 24_000, abs=0.01)
    be = run(db, "breakeven", "--efficiency-jth", "20", "--date", "2026-01-15")
    ehs = D1 * 2**32 / 600 / 1e18  # 2026-01-15 is wholly after the retarget
    assert be["hashrate_ehs"] == pytest.approx(ehs, abs=0.05)
    assert be["breakeven_power_usd_kwh"] == pytest.approx(144 * 3.1375 * close_of(date(2026, 1, 15)) / ehs / 480_000,
                                                          abs=0.0001)
    [first] = run(db, "equity", "MARA", "--from", "2026-01-02", "--to", "2026-01-02")
    assert (first["close_usd"], first["price_source"]) == (equity_close("MARA", date(2026, 1, 2)), "yahoo")
    assert first["market_cap_usd"] == pytest.approx(first["close_usd"] * first["shares_outstanding"], rel=1e-9)


def test_next_day_mempool_sync_skips_the_retargets_inside_an_epoch(synced, tmp_path, monkeypatch):
    import shutil

    db0, last, _ = synced
    db = tmp_path / "next.duckdb"
    shutil.copy(db0, db)
    monkeypatch.setenv("MINERWATCH_MEMPOOL_MIN_INTERVAL", "0")
    monkeypatch.delenv("MINERWATCH_MEMPOOL_URL", raising=False)
    # Held: up to 2026-02-01 (heights 934846-934989, epoch 463 at D1; the next retarget is 935424).
    log: list[str] = []
    tr = transports(last, None, until=date(2026, 2, 3), log=log)
    [res] = sync.sync(db, ["mempool"], today=date(2026, 2, 3), transports=tr, cache=False, sleep=lambda s: None)
    assert log == ["/api/v1/mining/blocks/fees/3d", "/api/v1/historical-price"]  # no hashrate call
    assert (res.status, res.requests, res.inserted, res.updated) == ("ok", 2, 2, 0)  # 02-02 row and close
    with Store.open(db, read_only=True) as s:
        row = s.query("SELECT block_count, first_height, difficulty, hashrate_ehs_published FROM network_daily "
                      "WHERE source_id = 'mempool' AND date = '2026-02-02'").row(0)
        [(uri,)] = s.query("SELECT uri FROM payloads WHERE sha256 = (SELECT payload_sha256 FROM network_daily "
                           "WHERE source_id = 'mempool' AND date = '2026-02-02')").rows()
    assert row == (144, 934990, D1, None)
    assert uri.endswith("#kind=fees&epoch=463&difficulty=160000000000000.0&after=2026-02-01")
    again = sync.reparse(db, "mempool")  # the stored payload carries what the parser needs
    assert (again.status, again.inserted, again.updated) == ("ok", 0, 0), again.message
    # Blocks past the next retarget (935424, on 2026-02-04): the retargets are fetched again.
    log.clear()
    tr = transports(last, None, until=date(2026, 2, 6), log=log)
    [res] = sync.sync(db, ["mempool"], today=date(2026, 2, 6), transports=tr, cache=False, sleep=lambda s: None)
    assert log[:3] == ["/api/v1/mining/blocks/fees/1w", "/api/v1/mining/blocks/fees/3d", "/api/v1/mining/hashrate/3m"]
    assert res.status == "ok"
