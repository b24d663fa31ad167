"""basket_month on a hand-worked synthetic basket: aggregate, splits, membership, no look-ahead."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from minerwatch import service_basket as sb
from minerwatch.errors import DataGap, InputError
from minerwatch.store import Store

CONTRACT_KEYS = [
    "month",
    "members_total",
    "members_priced",
    "market_cap_start_usd",
    "market_cap_end_usd",
    "change_usd",
    "change_pct",
    "best",
    "worst",
    "beat_btc_count",
    "btc_change_pct",
    "cohorts",
    "members",
    "missing",
]
MEMBER_KEYS = [
    "ticker",
    "cohort",
    "market_cap_start_usd",
    "market_cap_end_usd",
    "change_pct",
    "contribution_usd",
    "beat_btc",
]


def test_hand_worked_synthetic_basket(synth_store: Store, basket_path: Path) -> None:
    d = sb.basket_month(synth_store, "2025-02", basket_path=basket_path)
    assert list(d)[: len(CONTRACT_KEYS)] == CONTRACT_KEYS
    assert d["start_date"] == date(2025, 1, 31) and d["end_date"] == date(2025, 2, 28)
    assert (d["members_total"], d["members_priced"]) == (6, 4)
    assert d["coverage"] == "aggregate covers 4 of 6 members"
    assert (d["market_cap_start_usd"], d["market_cap_end_usd"], d["change_usd"]) == (3800.0, 4450.0, 650.0)
    assert d["change_pct"] == 17.11
    # BTC from the embedded Coin Metrics closes on the same two days.
    assert d["btc_change_pct"] == -17.62
    assert d["best"] == {"ticker": "CCC", "price_change_pct": 25.0, "market_cap_change_pct": 25.0}
    assert d["worst"] == {"ticker": "BBB", "price_change_pct": -20.0, "market_cap_change_pct": 0.0}
    assert d["beat_btc_count"] == 3
    assert d["cohorts"] == {
        "AI/HPC-exposed": {
            "market_cap_start_usd": 1800.0,
            "market_cap_end_usd": 2250.0,
            "change_pct": 25.0,
            "members": 2,
        },
        "pure-play": {"market_cap_start_usd": 2000.0, "market_cap_end_usd": 2200.0, "change_pct": 10.0, "members": 2},
    }
    members = {m["ticker"]: m for m in d["members"]}
    assert set(members) == {"AAA", "BBB", "CCC", "DDD"}
    assert all(list(m)[: len(MEMBER_KEYS)] == MEMBER_KEYS for m in d["members"])
    assert members["DDD"] == {
        "ticker": "DDD",
        "cohort": "AI/HPC-exposed",
        "market_cap_start_usd": 800.0,
        "market_cap_end_usd": 1000.0,
        "change_pct": 25.0,
        "contribution_usd": 200.0,
        "beat_btc": True,
        "price_change_pct": 25.0,
        "contribution_pct_points": 5.26,
    }


def test_split_inside_the_period_golden(synth_store: Store, basket_path: Path) -> None:
    # CCC: 2.00 x 500 shares before a 1-for-10 reverse split, 25.00 x (500 x 0.1) after.
    e = sb.basket_explain(synth_store, "2025-02", basket_path=basket_path)
    ccc = next(m for m in e["members"] if m["ticker"] == "CCC")
    assert (ccc["start_close_usd"], ccc["start_shares"]) == (2.0, 500.0)
    assert (ccc["end_close_usd"], ccc["end_shares"]) == (25.0, pytest.approx(50.0))
    assert ccc["split_ratio_in_period"] == 0.1 and ccc["shares_split_factor_end"] == 0.1
    # DDD: quoted split-adjusted as of 2025-03-31 (after a 2-for-1 split on 03-10) -> nominal x2.
    ddd = next(m for m in e["members"] if m["ticker"] == "DDD")
    assert (ddd["start_raw_close_usd"], ddd["start_close_usd"]) == (4.0, 8.0)
    assert ddd["end_price_basis"] == "split-adjusted as of 2025-03-31"


def test_membership_left_before_joined_during_and_missing_shares(synth_store: Store, basket_path: Path) -> None:
    d = sb.basket_month(synth_store, "2025-02", basket_path=basket_path)
    assert d["missing"] == [
        {
            "ticker": "FFF",
            "reason": "joined the basket on 2025-02-10, after the period start 2025-01-31; "
            "counted from the first full period",
        },
        {"ticker": "GGG", "reason": "no shares fact dated on or before 2025-01-31 (any source)"},
    ]
    # EEE left on 2025-01-15, before the window: neither counted nor listed.
    assert "EEE" not in {m["ticker"] for m in d["members"]} | {m["ticker"] for m in d["missing"]}
    # A member that leaves inside the window is listed as missing, not silently dropped.
    left_mid = basket_path.parent / "left_mid.toml"
    left_mid.write_text(basket_path.read_text().replace("to = 2025-01-15", "to = 2025-02-10"))
    d2 = sb.basket_month(synth_store, "2025-02", basket_path=left_mid)
    assert d2["members_total"] == 7 and d2["members_priced"] == 4
    assert {
        "ticker": "EEE",
        "reason": "left the basket on 2025-02-10, before the period end 2025-02-28; not in the like-for-like aggregate",
    } in d2["missing"]
    # The synthetic tickers have no December closes: January has no period start, a data gap.
    with pytest.raises(DataGap, match="no trading day with closes in the 20 days before 2025-01"):
        sb.basket_month(synth_store, "2025-01", basket_path=basket_path)


def test_a_shares_fact_dated_after_the_period_never_changes_it(
    synth_store: Store, basket_path: Path, put_shares
) -> None:
    before = sb.basket_month(synth_store, "2025-02", basket_path=basket_path)
    put_shares(synth_store, "AAA", date(2025, 3, 3), 1_000_000.0)  # the next trading day after the window
    put_shares(synth_store, "GGG", date(2025, 3, 3), 1_000_000.0)
    assert sb.basket_month(synth_store, "2025-02", basket_path=basket_path) == before
    # Control: the same fact dated on the period's last day does change the end figures.
    put_shares(synth_store, "AAA", date(2025, 2, 28), 1_000_000.0)
    after = sb.basket_month(synth_store, "2025-02", basket_path=basket_path)
    assert after["market_cap_end_usd"] == before["market_cap_end_usd"] - 1200.0 + 12_000_000.0


def test_equity_series_point_in_time(synth_store: Store) -> None:
    f = sb.equity_series(synth_store, "bbb", date(2025, 1, 30), date(2025, 2, 28))
    assert f["shares_outstanding"].to_list() == [200.0, 200.0, 250.0, 250.0]
    assert f["shares_as_of"].to_list() == [date(2025, 1, 1)] * 2 + [date(2025, 2, 20)] * 2
    assert f["market_cap_usd"].to_list() == [1000.0, 1000.0, 1000.0, 1000.0]
    with pytest.raises(InputError, match="unknown ticker 'ZZZ'"):
        sb.equity_series(synth_store, "ZZZ", date(2025, 1, 30), date(2025, 2, 28))
    with pytest.raises(InputError, match="is before --from"):
        sb.equity_series(synth_store, "BBB", date(2025, 2, 28), date(2025, 1, 30))
    with pytest.raises(DataGap, match="no close for BBB between 2019-01-01 and 2019-02-01"):
        sb.equity_series(synth_store, "BBB", date(2019, 1, 1), date(2019, 2, 1))


def test_live_sources_win_by_priority(synth_store: Store, basket_path: Path, put_shares) -> None:
    # An EDGAR fact on the same day as the test fact outranks it; a Yahoo close outranks the rest.
    put_shares(synth_store, "AAA", date(2025, 1, 1), 110.0, "edgar")
    yahoo = pl.DataFrame(
        [
            dict(
                ticker="AAA",
                date=date(2025, 2, 28),
                source_id="yahoo",
                close_usd=13.0,
                price_basis="nominal",
                payload_sha256="t",
                loaded_at=datetime(2025, 3, 1),
            )
        ]
    )
    with synth_store.transaction():
        synth_store.upsert("equity_prices_daily", yahoo, ["ticker", "date", "source_id"])
    e = sb.basket_explain(synth_store, "2025-02", basket_path=basket_path)
    aaa = next(m for m in e["members"] if m["ticker"] == "AAA")
    assert aaa["start_shares"] == 110.0 and aaa["start_shares_source"].startswith("edgar")
    assert (aaa["end_close_usd"], aaa["end_price_source"]) == (13.0, "yahoo")
    assert (aaa["start_close_usd"], aaa["start_price_source"]) == (10.0, "test")


def test_bad_month_is_an_input_error(synth_store: Store, basket_path: Path) -> None:
    with pytest.raises(InputError, match="month must be YYYY-MM"):
        sb.basket_month(synth_store, "Feb-2025", basket_path=basket_path)


def test_a_live_split_reported_again_is_not_applied_twice(synth_store: Store, basket_path: Path) -> None:
    # Yahoo reports CCC's 1-for-10 a day later than the test source, as a 'split'; DDD gets a second,
    # different action. The duplicate must not adjust CCC twice.
    rows = pl.DataFrame(
        [
            dict(
                ticker="CCC",
                date=date(2025, 2, 15),
                kind="split",
                ratio=0.1,
                source_id="yahoo",
                note=None,
                payload_sha256="t",
                loaded_at=datetime(2025, 3, 1),
            ),
        ]
    )
    with synth_store.transaction():
        synth_store.upsert("corporate_actions", rows, ["ticker", "date", "kind", "source_id"])
    acts = sb.corporate_actions(synth_store, ["CCC", "DDD"])
    assert acts == {"CCC": [(date(2025, 2, 15), 0.1)], "DDD": [(date(2025, 3, 10), 2.0)]}
    d = sb.basket_month(synth_store, "2025-02", basket_path=basket_path)
    assert next(m for m in d["members"] if m["ticker"] == "CCC")["market_cap_end_usd"] == 1250.0


def test_stale_share_counts_are_flagged(synth_store: Store, basket_path: Path, monkeypatch) -> None:
    # AAA, CCC and DDD end the window on facts dated 2025-01-01 (58 days before 2025-02-28), BBB on 02-20.
    assert sb.basket_month(synth_store, "2025-02", basket_path=basket_path)["stale_shares"] == []
    monkeypatch.setattr(sb, "STALE_SHARES_DAYS", 58)
    assert sb.basket_month(synth_store, "2025-02", basket_path=basket_path)["stale_shares"] == []
    monkeypatch.setattr(sb, "STALE_SHARES_DAYS", 57)
    stale = sb.basket_month(synth_store, "2025-02", basket_path=basket_path)["stale_shares"]
    assert stale == [
        {"ticker": t, "shares_as_of": date(2025, 1, 1), "age_days": 58, "shares_source": "test", "on": "end"}
        for t in ("AAA", "CCC", "DDD")
    ]
    e = sb.basket_explain(synth_store, "2025-02", basket_path=basket_path)
    bbb = next(m for m in e["members"] if m["ticker"] == "BBB")
    assert (bbb["start_shares_age_days"], bbb["end_shares_age_days"]) == (30, 8)
    # A count that is fresh at the end but old at the start is flagged too, naming the start.
    monkeypatch.setattr(sb, "STALE_SHARES_DAYS", 29)
    stale = sb.basket_month(synth_store, "2025-02", basket_path=basket_path)["stale_shares"]
    assert stale[-1] == {
        "ticker": "BBB", "shares_as_of": date(2025, 1, 1), "age_days": 30, "shares_source": "test", "on": "start"
    }


def test_closes_from_unverified_dates_are_listed(synth_store: Store, basket_path: Path, monkeypatch) -> None:
    assert sb.basket_month(synth_store, "2025-02", basket_path=basket_path)["unverified_closes"] == []
    monkeypatch.setattr(sb, "UNVERIFIED_PRICE_SOURCES", ("test_adj",))  # DDD's only price source
    d = sb.basket_month(synth_store, "2025-02", basket_path=basket_path)
    assert d["unverified_closes"] == [
        {"ticker": "DDD", "date": date(2025, 1, 31), "price_source": "test_adj"},
        {"ticker": "DDD", "date": date(2025, 2, 28), "price_source": "test_adj"},
    ]
