"""`btc` after the embedded Binance OHLC ends (2025-11-07): intraday highs from Yahoo BTC-USD, a published ATH.

Payloads in the recorded shapes (CoinGecko market_chart and coin page, Yahoo chart) with round invented values,
replayed through the sync write path (parse, one transaction), no network.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from minerwatch import service, sync
from minerwatch.cli import app
from minerwatch.http import Raw
from minerwatch.sources import coingecko, yahoo
from minerwatch.store import Store

FIRST = date(2025, 12, 30)  # the first day after the snapshot's closes
BINANCE_ATH = (126_199.63, date(2025, 10, 6))  # the snapshot's intraday ATH (Binance BTCUSDT high)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def ts(d: date, seconds: int = 0) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) + seconds


def close_of(d: date) -> float:
    """100,000 on 2026-01-01, +1,000 a day: 126,000 on 01-27 (a new closing high), 130,000 on 01-31."""
    return 100_000.0 + 1_000.0 * (d - date(2026, 1, 1)).days


def replay(store: Store, module, raws: list[Raw]) -> sync.SourceResult:  # type: ignore[no-untyped-def]
    run = sync.SourceResult(module.SOURCE_ID, "ok")
    sync.write(store, module, raws, module.parse(raws), run=run, started_at=datetime(2026, 2, 2), items=None)
    return run


def coingecko_closes(store: Store) -> None:
    days = [FIRST + timedelta(days=i) for i in range(33)]  # 2025-12-30 .. 2026-01-31
    chart = {"prices": [[ts(d + timedelta(days=1)) * 1000, close_of(d)] for d in days], "market_caps": [],
             "total_volumes": []}
    replay(store, coingecko, [Raw("https://cg/coins/bitcoin/market_chart#kind=chart", json.dumps(chart).encode(),
                                  "application/json", datetime(2026, 2, 1, 9))])


def coingecko_ath(store: Store, usd: float, at: str, read: datetime) -> None:
    page = {"market_data": {"ath": {"usd": usd}, "ath_date": {"usd": at}}}
    replay(store, coingecko, [Raw("https://cg/coins/bitcoin#kind=coin", json.dumps(page).encode(),
                                  "application/json", read)])


def btc(db: Path, month: str) -> dict:
    res = CliRunner().invoke(app, ["btc", "--month", month, "--db", str(db), "--format", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_published_ath_dated_in_the_month_beats_closes_and_later_ones_are_never_used(store: Store, db_path: Path):
    coingecko_closes(store)
    before_dec = service.btc_month(store, "2025-12")
    # Without highs after 2025-11-07 the intraday ATH can only be a close: 130,000 on 01-31, and the basis says so.
    jan = service.btc_month(store, "2026-01")
    assert (jan["ath_intraday_usd"], jan["ath_intraday_date"]) == (130_000.0, date(2026, 1, 31))
    assert jan["price_basis"].endswith(
        "; intraday ATH is a daily close (no intraday high held after 2025-11-07, no higher published ATH)")
    # CoinGecko's page read on 02-02: ATH 131,234.50 reached on 01-31 at 15:00 UTC. Read on 02-03: 135,000 on 02-01.
    coingecko_ath(store, 131_234.5, "2026-01-31T15:00:00.000Z", datetime(2026, 2, 2, 8))
    coingecko_ath(store, 135_000.0, "2026-02-01T03:00:00.000Z", datetime(2026, 2, 3, 8))
    store.close()
    got = btc(db_path, "2026-01")
    assert (got["ath_intraday_usd"], got["ath_intraday_date"]) == (131_234.5, "2026-01-31")
    assert got["price_basis"] == (
        "closes: CoinGecko aggregate (UTC days); low/high from daily closes (no intraday data for every day of the "
        "month); ATH drawdown is close-to-close; intraday ATH as published by CoinGecko (read 2026-02-02), above "
        "every high and close held")
    assert (got["ath_close_usd"], got["drawdown_from_ath_pct"]) == (130_000.0, 0.0)  # closes untouched
    # December: both published highs are dated after its end; its figures are exactly what they were.
    dec = btc(db_path, "2025-12")
    assert (dec["ath_intraday_usd"], dec["ath_intraday_date"]) == (BINANCE_ATH[0], str(BINANCE_ATH[1]))
    assert dec["price_basis"] == before_dec["price_basis"]


def test_published_ath_below_the_held_highs_is_not_used(store: Store):
    before = service.btc_month(store, "2024-06")
    # The CoinGecko docs example: ATH 73,738 on 2024-03-14, below Binance's high of that day (73,777).
    raw = Raw("https://cg/coins/bitcoin#kind=coin",
              (FIXTURES / "coingecko/coingecko__v3_coins_bitcoin__jkorf-coingecko-net-docs-example.json").read_bytes(),
              "application/json", datetime(2024, 4, 7, 16))
    replay(store, coingecko, [raw])
    assert store.query("SELECT ath_usd, ath_at FROM btc_ath_reported").rows() == [
        (73_738.0, datetime(2024, 3, 14, 7, 10, 36, 635000))]
    after = service.btc_month(store, "2024-06")
    assert after == before
    assert after["ath_intraday_usd"] > 73_738.0 and after["ath_intraday_date"] == date(2024, 3, 14)


def yahoo_btc_chart(days: list[date], running: date) -> bytes:
    """A Yahoo BTC-USD chart (recorded shape: UTC bars, gmtoffset 0): high/low = close -/+ 500; `running` last."""
    stamps = [ts(d) for d in days] + [ts(running)]
    c = [close_of(d) for d in days] + [1.0]
    return json.dumps({"chart": {"error": None, "result": [{
        "meta": {"symbol": "BTC-USD", "gmtoffset": 0, "timezone": "UTC", "instrumentType": "CRYPTOCURRENCY"},
        "timestamp": stamps,
        "indicators": {"quote": [{"open": c, "high": [x + 500 for x in c], "low": [x - 500 for x in c], "close": c,
                                  "volume": [1e10] * len(c)}], "adjclose": [{"adjclose": c}]},
    }]}}).encode()  # fmt: skip


def test_yahoo_btc_usd_gives_intraday_low_high_and_ath_after_binance(store: Store):
    coingecko_closes(store)
    jan = [date(2026, 1, 1) + timedelta(days=i) for i in range(31)]
    # Fetched 2026-02-01 10:00 UTC: that day's bar is still running, so it is not a BTC day (equity row only).
    raw = Raw("https://y/v8/finance/chart/BTC-USD#ticker=BTC-USD", yahoo_btc_chart(jan, date(2026, 2, 1)),
              "application/json", datetime(2026, 2, 1, 10))
    run = replay(store, yahoo, [raw])
    assert (run.inserted, run.conflicts) == (32 + 31, 0)  # 32 equity rows, 31 BTC days; closes agree with CoinGecko
    assert store.query("SELECT min(date), max(date), count(*), min(venue) FROM btc_prices_daily "
                       "WHERE source_id = 'yahoo'").rows() == [(date(2026, 1, 1), date(2026, 1, 31), 31,
                                                                 "Yahoo Finance BTC-USD")]
    got = service.btc_month(store, "2026-01")
    assert (got["low_high_basis"], got["low_usd"], got["low_date"], got["high_usd"], got["high_date"]) == (
        "intraday", 99_500.0, date(2026, 1, 1), 130_500.0, date(2026, 1, 31))
    assert (got["ath_intraday_usd"], got["ath_intraday_date"]) == (130_500.0, date(2026, 1, 31))
    assert got["price_basis"] == ("closes: CoinGecko aggregate (UTC days); intraday low/high from Yahoo Finance "
                                  "BTC-USD; ATH drawdown is close-to-close")
    # A published ATH above Yahoo's high, reached in the month, still wins.
    coingecko_ath(store, 131_234.5, "2026-01-31T15:00:00.000Z", datetime(2026, 2, 2, 8))
    assert service.btc_month(store, "2026-01")["ath_intraday_usd"] == 131_234.5


def test_yahoo_btc_usd_recording_is_stored_as_btc_days(store: Store):
    rec = "yahoo/yahoo__v8_finance_chart_BTC-USD_1d_2020-01-01_2020-01-03__node-yahoo-finance2.json"
    raw = Raw("https://query2.finance.yahoo.com/v8/finance/chart/BTC-USD#ticker=BTC-USD",
              (FIXTURES / rec).read_bytes(), "application/json", datetime(2025, 2, 20, 11, 47))
    run = replay(store, yahoo, [raw])
    rows = store.query("SELECT date, open_usd, high_usd, low_usd, close_usd FROM btc_prices_daily "
                       "WHERE source_id = 'yahoo' ORDER BY date").rows()
    assert rows[0] == (date(2020, 1, 1), 7194.89208984375, 7254.33056640625, 7174.9443359375, 7200.17431640625)
    assert [r[0] for r in rows] == [date(2020, 1, 1), date(2020, 1, 2), date(2020, 1, 3)]
    # Compared with Coin Metrics' closes of the same days (1% tolerance): no conflict for these three.
    assert run.conflicts == 0
    # Binance stays the first intraday source where it has the day.
    assert service.btc_ohlc(store, date(2020, 1, 1), date(2020, 1, 3))["source_id"].to_list() == ["binance"] * 3


def test_btc_on_a_store_without_the_live_tables(store: Store):
    # A store written before migration 003, opened read-only (not migrated): no published ATHs to consult.
    before = service.btc_month(store, "2025-02")
    with store.transaction():
        store.con.execute("DROP TABLE btc_ath_reported").fetchall()
    assert service.btc_month(store, "2025-02") == before
