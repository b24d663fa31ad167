"""The data-quality scan (`service_basket.basket_scan`, scripts/scan_basket.py) on the embedded data.

Every ticker of the default basket x every month 2021-01..2026-07 (membership ignored): the holder's
price change, the market-cap change and the share-count change between them, and the price change
of a back-adjusted feed (Yahoo-style: its close ratio is the holder's return) on the same two days.
Each flagged row has a reviewed verdict below; a rebuild that adds, drops or moves one fails here
until it is reviewed (docs/basket.md, "Data-quality scan", summarises them).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from minerwatch import service_basket as sb
from minerwatch.cli import app
from minerwatch.store import Store

REPO = Path(__file__).resolve().parents[2]

#: Share-count changes over SCAN_SHARE_FACTOR (x1.2) in a month, reviewed. Kinds:
#:   issuance    real: the count is fresh (<= 120 days old at the start) and the new count is an SEC
#:               cover/balance-sheet count or a NASDAQ count that persisted (ATM programmes, offerings)
#:   catch-up    real issuance of several months landing in one month: the start count was > 120 days
#:               old (foreign filers, missed covers); the product flags it as a stale share count
#:   corporate   a merger or restructuring inside the month
#:   unverified  plausible, but nothing offline confirms it
SHARE_COUNT_REVIEW = {
    ("MARA", "2021-01"): "issuance: 52.6M (10-Q/A cover 2020-11-12) -> 93.9M; the 10-K cover gave 98.8M on 2021-03-16",
    ("MARA", "2023-04"): "catch-up: NASDAQ's 116.8M (2022-09-13) -> 167.2M (2023-04-04)",
    ("MARA", "2023-11"): "issuance: ATM, 174.3M -> 222.6M (10-Q cover)",
    ("MARA", "2024-03"): "issuance: ATM, 222.6M -> 267.6M (10-K cover, dated by NASDAQ's first sighting)",
    ("RIOT", "2021-03"): "issuance: 67.5M -> 84.1M (10-K cover)",
    ("RIOT", "2021-11"): "catch-up: 95.9M (2021-06-01) -> 115.9M (10-Q cover)",
    ("CLSK", "2021-05"): "issuance: 24.2M -> 34.0M (10-Q cover)",
    ("CLSK", "2022-09"): "issuance: 41.3M -> 55.7M (balance sheet 2022-09-30)",
    ("CLSK", "2023-03"): "issuance: 78.0M -> 97.0M (balance sheet 2023-03-31)",
    ("CORZ", "2024-08"): "issuance: 177.8M -> 258.2M after the emergence (10-Q cover), kept growing after",
    ("IREN", "2023-09"): "catch-up: 55.0M (2022-09-26) -> 67.1M",
    ("IREN", "2024-08"): "catch-up: 67.1M (2023-09-19) -> 189.3M",
    ("IREN", "2025-09"): "catch-up: 189.3M (2024-08-30) -> 272.0M",
    ("WULF", "2024-03"): "issuance: 238.2M -> 302.2M",
    ("HUT", "2023-12"): "corporate: Hut 8 Mining + USBTC -> Hut 8 Corp (5 old shares per new, 2023-12-04): "
    "old holders' 44.3M new shares + USBTC holders' = 88.6M",
    ("BITF", "2024-03"): "catch-up: 273.8M (2023-08-17) -> 339.3M",
    ("BITF", "2024-06"): "issuance: 339.3M -> 409.3M",
    ("BTDR", "2024-04"): "catch-up: 111.3M -> 160.4M (Class A + the unlisted Class V, docs/basket.md)",
    ("BTDR", "2025-04"): "catch-up: 160.4M (2024-04-08) -> 196.7M",
    ("BTDR", "2026-02"): "catch-up: 196.7M (2025-04-25) -> 241.0M",
    ("GREE", "2023-04"): "catch-up: 44.7M (2022-11-21) -> 59.8M (pre-split units)",
    ("GREE", "2024-04"): "catch-up: 7.36M (2023-11-17) -> 9.79M",
    ("GREE", "2025-04"): "catch-up: 11.16M (2024-11-12) -> 14.48M",
    ("ARBK", "2025-12"): "corporate: restructuring and 1/216 ADS-ratio change on 2025-12-12: the old 71.7M ADSs are "
    "332,060 new ADSs, 2.49% of the 13,359,672 after; price -93.1% and market cap +176% are both right",
    ("SDIG", "2022-11"): "issuance: 23.0M -> 28.5M",
    ("SDIG", "2023-04"): "issuance: 34.5M -> 51.0M",
    ("SDIG", "2023-05"): "issuance: 5.10M -> 7.91M post-split (NASDAQ's 79.06M pre-split count, converted)",
    ("SDIG", "2024-03"): "unverified: 7.96M -> 15.05M at the 10-K (x1.89 in a quarter); SDIG is ~$60M, "
    "under 0.5% of the basket",
    ("BTBT", "2021-12"): "catch-up: 43.7M (2021-01-29) -> 69.6M (SEC, 2021-12-31)",
    ("BTBT", "2024-01"): "catch-up: 82.5M (2022-12-31) -> 107.3M (SEC, 2023-12-31)",
    ("BTBT", "2025-06"): "issuance: 207.8M -> 284.1M (SEC balance sheet 2025-06-30; June 2025 offering)",
    ("CANG", "2024-05"): "unverified: 134.8M -> 108.9M, a fall (buy-backs?) after 392 days without an update",
    ("CANG", "2026-07"): "unverified: 207.6M Class A (x 1/10) -> 41.0M after the INFERRED 1-for-10 of 2026-07-21; "
    "the count was 456 days old",
}

#: Price moves beyond +-60% in a month that no back-adjusted feed covers (checked by hand instead).
PRICE_WITHOUT_REFERENCE = {
    ("BITF", "2025-09"): "1.34 -> 2.82; BITF is in no adjusted feed after 2025-04 (screener only)",
    ("CANG", "2024-11"): "2.44 -> 4.14; CANG is in no adjusted feed (screener only)",
}


#: Months where our market-cap change and NASDAQ's (its own screener caps) differ by > 10 points and
#: neither end uses an SEC count (the other 30 such months do: NASDAQ lags the SEC cover by days to weeks).
#: Each is a repair of NASDAQ's count; NASDAQ's own figure is the wrong one.
VS_NASDAQ_REVIEW = {
    ("CORZ", "2024-03"): "NASDAQ -56.7%: its count went from the cancelled old equity's 386.0M to 177.6M",
    ("ARBK", "2023-09"): "NASDAQ +762%: its count flipped to 535.3M ordinary shares (= 53.5M ADSs)",
    ("ARBK", "2024-06"): "NASDAQ -91.0%: back from the ordinary basis to 57.8M ADSs",
    ("ARBK", "2024-09"): "NASDAQ +966%: 636.35M ordinary shares (used as 63.6M ADSs)",
    ("ARBK", "2024-12"): "NASDAQ -94.3%: back to the ADS basis (71.7M)",
    ("SDIG", "2023-05"): "NASDAQ +884%: the pre-split 79.06M shown after the 1-for-10 (used as 7.906M)",
    ("SDIG", "2023-08"): "NASDAQ -94.1%: from the pre-split 79.06M to 7.40M",
    ("CANG", "2026-07"): "NASDAQ +171%: its start count is the 103.8M ADS count after the ADS programme ended "
    "(one old ADS = 2 Class A shares, so 207.6M Class A shares are used)",
}


@pytest.fixture(scope="module")
def ro(snapshot_db: Path) -> Iterator[Store]:
    s = Store.open(snapshot_db, read_only=True)
    yield s
    s.close()


@pytest.fixture(scope="module")
def scan(ro: Store) -> list[dict]:
    return sb.basket_scan(ro, "2021-01", "2026-07")


def _flagged(scan: list[dict], flag: str) -> dict[tuple[str, str], dict]:
    return {(r["ticker"], r["month"]): r for r in scan if flag in r["flags"]}


def test_scan_covers_every_ticker_month(scan: list[dict]) -> None:
    assert len(scan) == 922
    assert {r["ticker"] for r in scan} == {
        "MARA", "RIOT", "CLSK", "CORZ", "IREN", "CIFR", "WULF", "HUT", "BITF", "BTDR", "GREE", "ARBK", "SDIG",
        "BTBT", "CANG",
    }  # fmt: skip
    assert min(r["month"] for r in scan) == "2021-01" and max(r["month"] for r in scan) == "2026-07"
    flags = ("price_move", "share_count", "feed_gap", "vs_nasdaq", "no_shares")
    counts = {f: len(_flagged(scan, f)) for f in flags}
    assert counts == {"price_move": 67, "share_count": 33, "feed_gap": 0, "vs_nasdaq": 38, "no_shares": 71}
    assert sum(1 for r in scan if r["nasdaq_market_cap_change_pct"] is not None) == 822


def test_price_and_cap_differ_exactly_by_the_share_count(scan: list[dict]) -> None:
    for r in scan:
        if r["share_count_change_pct"] is None:
            continue
        implied = (1 + r["price_change_pct"] / 100) * (1 + r["share_count_change_pct"] / 100) - 1
        assert implied * 100 == pytest.approx(r["market_cap_change_pct"], rel=1e-9, abs=1e-9), r


def test_every_share_count_jump_is_reviewed(scan: list[dict]) -> None:
    flagged = _flagged(scan, "share_count")
    assert set(flagged) == set(SHARE_COUNT_REVIEW)
    for key, verdict in SHARE_COUNT_REVIEW.items():
        age = flagged[key]["start_shares_age_days"]
        # The kind must match the data: a catch-up starts from a stale count, an issuance from a fresh one.
        if verdict.startswith("catch-up"):
            assert age > sb.STALE_SHARES_DAYS, key
        if verdict.startswith("issuance"):
            assert age <= sb.STALE_SHARES_DAYS, key


def test_market_cap_changes_differ_from_nasdaqs_only_through_sec_counts_or_repairs(scan: list[dict]) -> None:
    off = _flagged(scan, "vs_nasdaq")
    sec = {k for k, r in off.items() if "sec_filings" in (r["start_shares_source"], r["end_shares_source"])}
    assert len(sec) == 30 and {t for t, _ in sec} == {"RIOT", "CLSK", "WULF", "BTBT"}
    assert set(off) - sec == set(VS_NASDAQ_REVIEW)


def test_price_moves_agree_with_the_back_adjusted_feeds(scan: list[dict]) -> None:
    moves = _flagged(scan, "price_move")
    unchecked = {k for k, r in moves.items() if r["reference_source"] is None}
    assert unchecked == set(PRICE_WITHOUT_REFERENCE)
    gaps = [abs(r["price_change_pct"] - r["reference_price_change_pct"]) for r in scan if r["reference_source"]]
    assert len(gaps) == 825 and max(gaps) < sb.SCAN_FEED_GAP_PP
    # Largest gaps: 1.9 points against the IEX-like spooky (CORZ 2022-11, 0.20 -> 0.1333), 1.4 against Yahoo
    # (WULF 2023-03, sub-dollar closes about 1% apart).
    yahoo = [
        abs(r["price_change_pct"] - r["reference_price_change_pct"])
        for r in scan
        if r["reference_source"] in ("dsturdy", "dieperdev")
    ]
    assert max(yahoo) < 1.5


def test_months_without_shares_are_all_before_any_basket_window(scan: list[dict]) -> None:
    # No shares fact yet: the screener (first counts 2021) or the listing (BTDR 2023-04, CORZ 2022-01) comes later.
    missing = _flagged(scan, "no_shares")
    assert max(m for _, m in missing) == "2023-04"
    assert all(r["start_shares_as_of"] is None for r in missing.values())


def test_arbk_december_2025_price_and_cap_are_both_right(ro: Store, scan: list[dict]) -> None:
    r = next(r for r in scan if (r["ticker"], r["month"]) == ("ARBK", "2025-12"))
    assert r["split_ratio_in_period"] == pytest.approx(1 / 216)
    assert round(r["price_change_pct"], 2) == -93.14  # 0.23 -> 3.41 / 216
    assert round(r["market_cap_change_pct"], 2) == 176.15  # $16.5M -> $45.6M
    assert round(r["share_count_change_pct"], 2) == 3923.27  # 71,725,035 / 216 = 332,060 -> 13,359,672
    # Yahoo's back-adjusted closes (dsturdy) give the same holder's return: 49.68 -> 3.41.
    assert (r["reference_source"], round(r["reference_price_change_pct"], 2)) == ("dsturdy", -93.14)
    # ...because Yahoo divided every earlier ARBK close by exactly 216 and none after 2025-12-12.
    q = ro.query(
        "SELECT a.date, a.close_usd / b.close_usd AS r FROM equity_prices_daily a JOIN equity_prices_daily b "
        "USING (ticker, date) WHERE ticker = 'ARBK' AND a.source_id = 'dsturdy' AND b.source_id = 'nasdaq_screener' "
        "AND date BETWEEN '2025-01-01' AND '2026-07-14'"
    )
    before = q.filter(pl.col("date") < date(2025, 12, 12))["r"]
    after = q.filter(pl.col("date") >= date(2025, 12, 12))["r"]
    assert round(before.median(), 3) == 216.0 and round(after.median(), 3) == 1.0
    # The old holders' 332,060 new ADSs are 2.49% of the company after the restructuring.
    assert round(100 * 71_725_035 / 216 / 13_359_672, 2) == 2.49


def test_explain_shows_the_ratio_and_the_share_count_change(db_path: Path) -> None:
    res = CliRunner().invoke(app, ["basket", "-m", "2025-12", "--explain", "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert (
        "  ARBK: ratio 1/216 new per old; start count 71,725,035 = 332,060 in end units -> 13,359,672 "
        "(share count +3,923.27%); price -93.14%, market cap +176.15%"
    ) in res.output.splitlines()


def test_corz_relisting_uses_the_new_equity_count(ro: Store) -> None:
    mar = sb.basket_month(ro, "2024-03")
    corz = next(m for m in mar["members"] if m["ticker"] == "CORZ")
    # 3.76 x 177,596,074 -> 3.54 x 177,596,074 (was 3.76 x 386,021,602: a -56.7% cap change).
    assert (corz["market_cap_start_usd"], corz["market_cap_end_usd"]) == (667_761_238, 628_690_102)
    assert (corz["change_pct"], corz["price_change_pct"]) == (-5.85, -5.85)
    assert (mar["change_pct"], sb.basket_month(ro, "2024-02")["change_pct"]) == (11.59, 39.24)
    n = ro.query("SELECT count(*) AS n FROM shares_facts WHERE ticker = 'CORZ' AND shares_outstanding = 386021602")
    assert n["n"][0] == 0
    corr = ro.query("SELECT date, action, used_value FROM equity_corrections WHERE ticker = 'CORZ'")
    assert (date(2024, 1, 30), "replaced from 2024-01-24", 177_596_074.0) in corr.rows()


def test_sdig_pre_split_count_after_the_split_is_converted(ro: Store) -> None:
    s = sb.equity_series(ro, "SDIG", date(2023, 6, 30), date(2023, 6, 30))
    assert (s["shares_outstanding"][0], s["shares_as_of"][0]) == (7_906_035, date(2023, 5, 26))
    corr = ro.query("SELECT action, raw_value, used_value FROM equity_corrections WHERE ticker = 'SDIG'")
    assert ("converted to post-split basis", 79_060_350.0, 7_906_035.0) in corr.rows()


def test_scan_script_runs_on_a_store(db_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "scan_basket.py"), "--db", str(db_path), "--from", "2025-12",
         "--to", "2025-12"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = out.stdout.splitlines()
    assert lines[0] == "14 ticker-months scanned, 1 flagged"  # SDIG: no closes after 2025-03
    assert lines[2].split() == ["ARBK", "2025-12", "-93.1", "+176.2", "+3923.3", "-93.1", "dsturdy", "358",
                                "+176.2", "price_move,share_count"]  # fmt: skip
