"""The embedded equities data: 2025 basket figures, hand checks, and the sources cross-checked.

These run on the packaged snapshot (built by scripts/build_equities.py from ../shared/data; the
tests never read ../shared).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from minerwatch import basket_file
from minerwatch import service_basket as sb
from minerwatch.metrics import basket as bk
from minerwatch.store import Store


@pytest.fixture(scope="module")
def ro(snapshot_db: Path) -> Iterator[Store]:
    """The session snapshot store, read-only (these tests only read)."""
    s = Store.open(snapshot_db, read_only=True)
    yield s
    s.close()


def test_basket_2025_01_and_02_figures(ro: Store) -> None:
    jan = sb.basket_month(ro, "2025-01")
    feb = sb.basket_month(ro, "2025-02")
    assert (jan["start_date"], jan["end_date"]) == (date(2024, 12, 31), date(2025, 1, 31))
    assert (feb["start_date"], feb["end_date"]) == (date(2025, 1, 31), date(2025, 2, 28))
    assert (jan["members_total"], jan["members_priced"], feb["members_total"], feb["members_priced"]) == (
        14,
        14,
        14,
        14,
    )
    assert (jan["market_cap_start_usd"], jan["market_cap_end_usd"], jan["change_usd"], jan["change_pct"]) == (
        27_825_255_045.0,
        28_488_943_194.0,
        663_688_149.0,
        2.39,
    )
    assert (feb["market_cap_start_usd"], feb["market_cap_end_usd"], feb["change_usd"], feb["change_pct"]) == (
        28_488_943_194.0,
        22_507_713_058.0,
        -5_981_230_136.0,
        -20.99,
    )
    assert feb["btc_change_pct"] == -17.62 and feb["beat_btc_count"] == 2
    assert (feb["best"]["ticker"], feb["worst"]["ticker"]) == ("CORZ", "GREE")
    assert jan["missing"] == [] and feb["missing"] == []
    # Foreign filers whose NASDAQ count stayed put: flagged, not silently used as current.
    assert [(r["ticker"], r["shares_as_of"], r["age_days"]) for r in feb["stale_shares"]] == [
        ("BTDR", date(2024, 4, 8), 326),
        ("IREN", date(2024, 8, 30), 182),
    ]


def test_mara_february_by_hand(ro: Store) -> None:
    # 2025-02-28: NASDAQ last sale 13.92 x SEC cover count 345,816,827 (cover dated 2025-02-21);
    # NASDAQ itself still used 321,831,487 until 2025-03-05 (its lag), which the aggregate avoids.
    m = next(x for x in sb.basket_month(ro, "2025-02")["members"] if x["ticker"] == "MARA")
    assert m["market_cap_end_usd"] == round(13.92 * 345_816_827)
    assert m["market_cap_start_usd"] == round(18.34 * 321_831_487)
    # price return 13.92 / 18.34 - 1; the cap fell less because of the new shares
    assert m["price_change_pct"] == round(100 * (13.92 / 18.34 - 1), 2) == -24.1


def test_sdig_leaves_in_march_2025(ro: Store) -> None:
    mar = sb.basket_month(ro, "2025-03")
    assert (mar["members_total"], mar["members_priced"]) == (14, 13)
    assert mar["missing"] == [
        {
            "ticker": "SDIG",
            "reason": "left the basket on 2025-03-13, before the period end 2025-03-31; "
            "not in the like-for-like aggregate",
        }
    ]
    assert sb.basket_month(ro, "2025-04")["members_total"] == 13  # left before the window: not counted


def test_month_end_caps_cross_check_screener_facts(ro: Store) -> None:
    """Our month-end caps vs the NASDAQ month-end caps in miners_market_cap_facts (2024-09..2025-06)."""
    facts = ro.query(
        "SELECT ticker, date, market_cap_usd FROM equity_market_caps_reported WHERE source_id = 'screener_month_end'"
    )
    daily = ro.query(
        "SELECT ticker, date, price_usd FROM equity_market_caps_reported WHERE source_id = 'nasdaq_screener'"
    )
    members = set(basket_file.load().tickers())
    checked = {"nasdaq_screener": 0, "sec_filings": 0}
    for t in sorted(members & set(facts["ticker"].to_list())):
        ft = facts.filter(pl.col("ticker") == t)
        ours = sb.equity_series(ro, t, ft["date"].min(), ft["date"].max())
        j = ft.join(ours, on="date").join(daily.filter(pl.col("ticker") == t).drop("ticker"), on="date")
        for r in j.iter_rows(named=True):
            rel = r["market_cap_usd_right"] / r["market_cap_usd"] - 1
            checked[r["shares_source"]] += 1
            # Same price as NASDAQ's last sale that day: any difference is the share count.
            assert r["close_usd"] == r["price_usd"], r
            if r["shares_source"] == "nasdaq_screener":
                if t == "ARBK" and date(2024, 9, 9) <= r["date"] < date(2024, 12, 5):
                    # NASDAQ counted ordinary shares (10 per ADS) then; we use the same count in ADSs.
                    assert r["market_cap_usd_right"] / r["market_cap_usd"] == pytest.approx(0.1, rel=1e-9)
                else:
                    assert abs(rel) < 1e-3, r
            else:
                # SEC counts are newer than NASDAQ's lagging cover count: within the issuance of a quarter.
                assert abs(rel) < 0.40, r
                assert r["shares_as_of"] <= r["date"]
    assert checked["nasdaq_screener"] >= 100 and checked["sec_filings"] >= 20


def _nominal(ro: Store, tickers: list[str]) -> pl.DataFrame:
    acts = sb.corporate_actions(ro, tickers)
    raw = ro.query(
        "SELECT ticker, date, source_id, close_usd, price_basis FROM equity_prices_daily "
        "WHERE list_contains(?, ticker)",
        [tickers],
    )
    nom = [
        bk.nominal_close_usd(c, d, b, acts[t])
        for t, d, c, b in raw.select("ticker", "date", "close_usd", "price_basis").iter_rows()
    ]
    return raw.with_columns(pl.Series("nom", nom))


def test_feeds_agree_after_unadjusting(ro: Store) -> None:
    """NASDAQ nominal last sale vs the back-adjusted Yahoo feeds un-adjusted with the detected splits."""
    tickers = basket_file.load().tickers()
    px = _nominal(ro, tickers)
    scr = px.filter(pl.col("source_id") == "nasdaq_screener").select("ticker", "date", pl.col("nom").alias("scr"))
    stats = {}
    for src in ("dsturdy", "dieperdev", "spooky"):
        j = scr.join(px.filter(pl.col("source_id") == src).select("ticker", "date", "nom"), on=["ticker", "date"])
        d = (j["nom"] / j["scr"] - 1).abs()
        stats[src] = (j.height, float((d < 0.01).mean()), float((d < 0.05).mean()), float(d.max()))
    assert stats["dsturdy"][0] > 13_000 and stats["dsturdy"][1] > 0.995 and stats["dsturdy"][3] < 0.05
    assert stats["dieperdev"][0] > 8_000 and stats["dieperdev"][1] > 0.995 and stats["dieperdev"][3] < 0.02
    # The Alpaca/IEX-like feed is noisier (partial volume, thin closes): last in the price priority.
    assert stats["spooky"][1] > 0.90 and stats["spooky"][2] > 0.99


def test_detected_splits_and_gree_reverse_split(ro: Store) -> None:
    acts = ro.query("SELECT ticker, date, kind, ratio FROM corporate_actions ORDER BY ticker, date")
    assert acts.select("ticker", "date", "kind").rows() == [
        ("ARBK", date(2025, 12, 12), "ads_ratio"),
        ("CANG", date(2025, 11, 17), "ads_ratio"),  # read from the screener (name change, price halves)
        ("CANG", date(2026, 7, 21), "split"),  # inferred from the screener, flagged as such
        ("GREE", date(2023, 5, 16), "split"),
        ("HIVE", date(2022, 5, 24), "split"),
        ("HUT", date(2023, 12, 4), "split"),
        ("SDIG", date(2023, 5, 16), "split"),
    ]
    px = _nominal(ro, ["GREE"]).filter(pl.col("date").is_between(date(2023, 5, 11), date(2023, 5, 18)))
    ds = px.filter(pl.col("source_id") == "dsturdy").sort("date")
    scr = px.filter(pl.col("source_id") == "nasdaq_screener").sort("date")
    # Yahoo back-adjusted closes x 0.1 before the ex-date match NASDAQ's as-traded last sale.
    assert ds.filter(pl.col("date") == date(2023, 5, 15))["close_usd"][0] == pytest.approx(3.40, abs=0.01)
    assert ds["nom"].to_list() == pytest.approx(scr["nom"].to_list(), rel=0.01)
    # Shares: the pre-split screener count (59.8M) carries to the ex-date in post-split units.
    s = sb.equity_series(ro, "GREE", date(2023, 5, 15), date(2023, 5, 16))
    assert s["shares_outstanding"].to_list() == pytest.approx([59_798_126, 5_979_813], rel=1e-6)
    assert s["market_cap_usd"].to_list() == pytest.approx([0.34 * 59_798_126, 3.86 * 5_979_813], rel=1e-6)


def test_repairs_are_applied_and_logged(ro: Store) -> None:
    # ARBK: NASDAQ flipped to ordinary shares (636.35M) from 2024-09-09: used as 63.635M ADSs (10 per
    # ADS), newer than the last ADS-basis count (57.8M from 2024-06-13); a flip that only repeats the
    # ADS count in force (535.3M ordinary = 53.5M ADSs from 2023-09-06) adds no fact.
    arbk = sb.equity_series(ro, "ARBK", date(2024, 9, 6), date(2024, 10, 1))
    assert arbk["shares_outstanding"][0] == 57_777_079 and arbk["shares_outstanding"][-1] == 63_635_000
    assert arbk["shares_as_of"][-1] == date(2024, 9, 9)
    arbk23 = sb.equity_series(ro, "ARBK", date(2023, 10, 2), date(2023, 10, 2))
    assert (arbk23["shares_outstanding"][0], arbk23["shares_as_of"][0]) == (53_532_517, date(2023, 7, 21))
    # MARA's Q1-2025 cover count (351.9M) was dated at the period end 2025-03-31 in the source:
    # it is used only from the first day NASDAQ showed it (2025-05-09), never from 2025-03-31.
    mara = sb.equity_series(ro, "MARA", date(2025, 3, 31), date(2025, 5, 9))
    assert mara["shares_outstanding"][0] == 345_816_827 and mara["shares_outstanding"][-1] == 351_927_748
    corr = ro.query("SELECT ticker, date, action FROM equity_corrections")
    assert ("MARA", date(2025, 3, 31), "redated to 2025-05-09") in corr.rows()
    assert ("CLSK", date(2024, 12, 31), "excluded") in corr.rows()
    assert ("ARBK", date(2024, 9, 9), "converted to ADS basis") in corr.rows()
    assert ("ARBK", date(2023, 9, 6), "excluded") in corr.rows()


def test_no_member_uses_a_shares_fact_from_its_future(ro: Store) -> None:
    for t in basket_file.load().tickers():
        if t == "CANG":
            continue
        s = sb.equity_series(ro, t, date(2024, 12, 1), date(2025, 3, 31))
        assert s.height > 0
        assert (s["shares_as_of"] <= s["date"]).all(), t


def test_latest_month_of_the_embedded_data(ro: Store) -> None:
    # Screener rows run to 2026-08-21, so August is incomplete: July 2026 is the latest month.
    assert sb.latest_basket_month(ro) == "2026-07"
    # ...whose end closes come from screener snapshots after the last reference close (2026-07-14):
    # said in the output. BITF (now KEEL, last row 2026-04-02) and GREE (now VIP, last 2026-07-23) are
    # missing: the data have no rows under their new tickers.
    jul = sb.basket_month(ro, "2026-07")
    assert {(r["date"], r["price_source"]) for r in jul["unverified_closes"]} == {
        (date(2026, 7, 31), "nasdaq_screener_unverified")
    }
    assert len(jul["unverified_closes"]) == jul["members_priced"] == 12
    assert [m["ticker"] for m in jul["missing"]] == ["BITF", "GREE"]


@pytest.mark.parametrize(
    ("ticker", "start", "end"),
    [
        ("MARA", date(2024, 10, 1), date(2025, 6, 30)),  # SEC covers, re-dated facts, NASDAQ's lagging count
        ("RIOT", date(2024, 12, 1), date(2025, 5, 31)),  # balance-sheet and cover facts
        ("GREE", date(2023, 4, 1), date(2023, 7, 31)),  # 1-for-10 reverse split, dropped stale counts
        ("ARBK", date(2024, 5, 1), date(2026, 1, 31)),  # ADS basis, ADS-ratio change in Dec 2025
        ("IREN", date(2024, 1, 1), date(2025, 12, 31)),
    ],
)
def test_equity_series_equals_the_per_day_lookup(ro: Store, ticker: str, start: date, end: date) -> None:
    """equity_series (one as-of join) = shares_on asked day by day, the rule it replaces."""
    got = sb.equity_series(ro, ticker, start, end)
    facts = sb._shares_facts(ro, [ticker], end).filter(pl.col("ticker") == ticker)
    acts = sb.corporate_actions(ro, [ticker])[ticker]
    assert got.height > 60
    for r in got.iter_rows(named=True):
        one = bk.shares_on(facts, r["date"], acts, sb.SHARES_SOURCE_PRIORITY)
        assert one is not None, r
        assert (r["shares_outstanding"], r["shares_as_of"], r["shares_source"]) == (
            one["shares_outstanding"],
            one["as_of_date"],
            one["source_id"],
        ), r
        assert r["market_cap_usd"] == round(r["close_usd"] * one["shares_outstanding"], 2)


def test_january_2024_is_covered_without_corz(ro: Store) -> None:
    # Members are in from 2023-12-01, so the window from the close of 2023-12-29 counts them; CORZ
    # re-listed on 2024-01-24, inside the window, and is listed as missing.
    d = sb.basket_month(ro, "2024-01")
    assert d["start_date"] == date(2023, 12, 29) and (d["members_total"], d["members_priced"]) == (14, 13)
    assert [m["ticker"] for m in d["missing"]] == ["CORZ"]
    assert d["missing"][0]["reason"].startswith("joined the basket on 2024-01-24, after the period start 2023-12-29")
