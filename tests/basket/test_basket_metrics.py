"""Pure basket metrics: split factors, nominal prices, point-in-time shares, a hand-worked aggregate."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minerwatch.metrics import basket as bk

REVERSE_1_FOR_10 = [(date(2023, 5, 16), 0.1)]


def test_split_factor_counts_only_actions_after_start_up_to_end() -> None:
    assert bk.split_factor(REVERSE_1_FOR_10, date(2023, 5, 15), date(2023, 5, 16)) == 0.1
    assert bk.split_factor(REVERSE_1_FOR_10, date(2023, 5, 16), date(2023, 6, 1)) == 1.0  # on ex-date: new basis
    assert bk.split_factor(REVERSE_1_FOR_10, date(2023, 5, 1), date(2023, 5, 15)) == 1.0
    two = [(date(2022, 5, 24), 0.2), (date(2025, 12, 12), 0.5)]
    assert bk.split_factor(two, date(2022, 1, 1), date(2026, 1, 1)) == pytest.approx(0.1)


def test_nominal_close_from_back_adjusted_close() -> None:
    # GREE: Yahoo back-adjusted close 3.40 on 2023-05-15 for a stock that traded at 0.34 before its
    # 1-for-10 reverse split: nominal = adjusted x 0.1.
    assert bk.nominal_close_usd(3.40, date(2023, 5, 15), "split-adjusted as of 2026-07-14", REVERSE_1_FOR_10) == (
        pytest.approx(0.34)
    )
    # After the split, or for an adjustment date before the split, nothing changes.
    assert bk.nominal_close_usd(3.86, date(2023, 5, 16), "split-adjusted as of 2026-07-14", REVERSE_1_FOR_10) == 3.86
    assert bk.nominal_close_usd(3.40, date(2023, 5, 15), "split-adjusted as of 2023-05-15", REVERSE_1_FOR_10) == 3.40
    assert bk.nominal_close_usd(0.34, date(2023, 5, 15), "nominal", REVERSE_1_FOR_10) == 0.34


def test_unknown_price_basis_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown price_basis 'dividend-adjusted'"):
        bk.basis_date("dividend-adjusted")


def test_price_return_through_reverse_split_golden() -> None:
    # 0.34 before a 1-for-10 reverse split, 3.86 after: a holder of 10 old shares has 1 new share.
    # Return = 0.1 x 3.86 / 0.34 - 1 = 13.5294...%
    assert bk.price_return_pct(0.34, 3.86, 0.1) == pytest.approx(13.529411764705882)
    # 2-for-1 forward split: 100 -> 52 nominal is +4%.
    assert bk.price_return_pct(100.0, 52.0, 2.0) == pytest.approx(4.0)


def _facts(rows: list[tuple[date, str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["as_of_date", "source_id", "concept", "shares_outstanding"], orient="row")


def test_shares_on_never_uses_a_later_fact() -> None:
    facts = _facts(
        [
            (date(2025, 1, 1), "sec_filings", "dei:EntityCommonStockSharesOutstanding", 100.0),
            (date(2025, 3, 5), "sec_filings", "dei:EntityCommonStockSharesOutstanding", 999.0),
        ]
    )
    got = bk.shares_on(facts, date(2025, 3, 4), [], ("sec_filings",))
    assert got is not None and got["shares_outstanding"] == 100.0 and got["as_of_date"] == date(2025, 1, 1)
    assert bk.shares_on(facts, date(2025, 3, 5), [], ("sec_filings",))["shares_outstanding"] == 999.0
    assert bk.shares_on(facts, date(2024, 12, 31), [], ("sec_filings",)) is None


def test_shares_on_adjusts_an_old_fact_for_a_later_split_and_ranks_same_day_facts() -> None:
    facts = _facts(
        [
            (date(2023, 4, 1), "nasdaq_screener", "nasdaq:marketCap/lastSale", 59_798_126.0),
            (date(2023, 4, 1), "sec_filings", "us-gaap:CommonStockSharesOutstanding", 59_000_000.0),
            (date(2023, 4, 1), "sec_filings", "dei:EntityCommonStockSharesOutstanding", 59_500_000.0),
        ]
    )
    got = bk.shares_on(facts, date(2023, 5, 31), REVERSE_1_FOR_10, ("sec_filings", "nasdaq_screener"))
    assert got["source_id"] == "sec_filings" and got["concept"] == "dei:EntityCommonStockSharesOutstanding"
    assert got["shares_outstanding"] == pytest.approx(5_950_000.0)
    assert got["split_factor"] == 0.1


def test_hand_worked_aggregate() -> None:
    members = [
        bk.member_period("AAA", "pure-play", 10.0, 12.0, 100.0, 100.0),
        bk.member_period("BBB", "pure-play", 5.0, 4.0, 200.0, 250.0),
        bk.member_period("CCC", "AI/HPC-exposed", 2.0, 25.0, 500.0, 50.0, 0.1),
        bk.member_period("DDD", "AI/HPC-exposed", 8.0, 10.0, 100.0, 100.0),
    ]
    agg = bk.aggregate(members, btc_change_pct=-17.62)
    assert agg["market_cap_start_usd"] == 3800.0
    assert agg["market_cap_end_usd"] == 4450.0
    assert agg["change_usd"] == 650.0
    assert agg["change_pct"] == pytest.approx(100 * 650 / 3800)
    by = {m["ticker"]: m for m in agg["members"]}
    assert [by[t]["contribution_usd"] for t in ("AAA", "BBB", "CCC", "DDD")] == [200.0, 0.0, 250.0, 200.0]
    assert by["BBB"]["change_pct"] == 0.0 and by["BBB"]["price_change_pct"] == pytest.approx(-20.0)
    assert by["CCC"]["price_change_pct"] == pytest.approx(25.0)
    assert by["AAA"]["contribution_pct_points"] == pytest.approx(100 * 200 / 3800)
    assert agg["best"]["ticker"] == "CCC"  # ties with DDD at +25%: alphabetical
    assert agg["worst"]["ticker"] == "BBB"
    assert agg["beat_btc_count"] == 3 and by["BBB"]["beat_btc"] is False
    assert agg["vs_btc_pct_points"] == pytest.approx(100 * 650 / 3800 + 17.62)
    assert agg["cohorts"]["pure-play"] == {
        "market_cap_start_usd": 2000.0,
        "market_cap_end_usd": 2200.0,
        "members": 2,
        "change_pct": pytest.approx(10.0),
        "change_usd": 200.0,
    }
    assert agg["cohorts"]["AI/HPC-exposed"]["change_pct"] == pytest.approx(25.0)
    # Members come largest end cap first.
    assert [m["ticker"] for m in agg["members"]] == ["CCC", "AAA", "BBB", "DDD"]


def test_aggregate_of_nothing_and_without_btc() -> None:
    agg = bk.aggregate([], btc_change_pct=None)
    assert agg["change_pct"] is None and agg["best"] is None and agg["beat_btc_count"] == 0
    one = bk.aggregate([bk.member_period("AAA", "pure-play", 1.0, 2.0, 10.0, 10.0)], btc_change_pct=None)
    assert one["members"][0]["beat_btc"] is None and one["vs_btc_pct_points"] is None


_member = st.tuples(
    st.floats(0.01, 1e4),
    st.floats(0.01, 1e4),
    st.floats(1.0, 1e9),
    st.floats(1.0, 1e9),
    st.sampled_from(["pure-play", "AI/HPC-exposed"]),
)


@given(st.lists(_member, min_size=1, max_size=15), st.floats(-90, 300))
def test_aggregate_identities(rows: list[tuple[float, float, float, float, str]], btc: float) -> None:
    members = [bk.member_period(f"T{i}", c, p0, p1, s0, s1) for i, (p0, p1, s0, s1, c) in enumerate(rows)]
    agg = bk.aggregate(members, btc)
    total = sum(m["contribution_usd"] for m in agg["members"])
    assert total == pytest.approx(agg["change_usd"], rel=1e-9, abs=1e-3)
    assert sum(c["market_cap_end_usd"] for c in agg["cohorts"].values()) == pytest.approx(agg["market_cap_end_usd"])
    assert sum(c["members"] for c in agg["cohorts"].values()) == len(rows)
    assert agg["beat_btc_count"] == sum(m["price_change_pct"] > btc for m in agg["members"])
    assert agg["best"]["price_change_pct"] >= agg["worst"]["price_change_pct"]


def test_shares_asof_hand_worked() -> None:
    # Fact 100 on 01-01, a 1-for-10 on 2023-05-16, fact 12 on 2023-06-01; same-day tie won by SEC.
    facts = _facts(
        [
            (date(2023, 1, 1), "nasdaq_screener", "nasdaq:marketCap/lastSale", 90.0),
            (date(2023, 1, 1), "sec_filings", "dei:EntityCommonStockSharesOutstanding", 100.0),
            (date(2023, 6, 1), "nasdaq_screener", "nasdaq:marketCap/lastSale", 12.0),
        ]
    )
    days = [date(2023, 5, 16), date(2022, 12, 31), date(2023, 5, 15), date(2023, 6, 1)]  # not sorted
    got = bk.shares_asof(facts, days, REVERSE_1_FOR_10, ("sec_filings", "nasdaq_screener"))
    assert got["date"].to_list() == days
    assert got["shares_outstanding"].to_list() == [pytest.approx(10.0), None, 100.0, 12.0]
    assert got["as_of_date"].to_list() == [date(2023, 1, 1), None, date(2023, 1, 1), date(2023, 6, 1)]
    assert got["source_id"].to_list() == ["sec_filings", None, "sec_filings", "nasdaq_screener"]
    assert got["split_factor"].to_list() == [0.1, None, 1.0, 1.0]
    # Same day, same source: the concept order decides (balance sheet before the screener's count).
    tie = _facts(
        [
            (date(2023, 1, 1), "sec_filings", "nasdaq:marketCap/lastSale", 1.0),
            (date(2023, 1, 1), "sec_filings", "us-gaap:CommonStockSharesOutstanding", 2.0),
        ]
    )
    assert bk.shares_asof(tie, [date(2023, 1, 2)], [], ("sec_filings",))["shares_outstanding"].to_list() == [2.0]
    empty = bk.shares_asof(facts.head(0), days, [], ("sec_filings",))
    assert empty.height == 4 and empty["shares_outstanding"].null_count() == 4


_SOURCES = ["edgar", "sec_filings", "nasdaq_screener", "other"]
# Few distinct dates, so same-day facts (the ranking) come up often.
_fact = st.tuples(
    st.dates(date(2023, 1, 1), date(2023, 1, 4)),
    st.sampled_from(_SOURCES),
    st.sampled_from([*bk.CONCEPT_PRIORITY, "reported"]),
    st.floats(1.0, 1e9),
)


@given(
    st.lists(_fact, max_size=12, unique_by=lambda f: (f[0], f[1], f[2])),
    st.lists(st.dates(date(2022, 12, 30), date(2023, 1, 12)), min_size=1, max_size=30),
    st.lists(st.tuples(st.dates(date(2023, 1, 1), date(2023, 1, 12)), st.sampled_from([0.1, 0.2, 2.0])), max_size=3),
)
def test_shares_asof_equals_shares_on_day_by_day(facts: list, days: list[date], actions: list) -> None:
    """The one-join path gives exactly what the per-day lookup gives, on every day."""
    frame = _facts(facts) if facts else _facts([]).cast({"as_of_date": pl.Date, "shares_outstanding": pl.Float64})
    acts = sorted(actions)
    prio = ("edgar", "sec_filings", "nasdaq_screener")
    got = bk.shares_asof(frame, days, acts, prio).to_dicts()
    for day, row in zip(days, got, strict=True):
        one = bk.shares_on(frame, day, acts, prio)
        if one is None:
            assert row["shares_outstanding"] is None and row["as_of_date"] is None
        else:
            assert (row["shares_outstanding"], row["as_of_date"], row["source_id"], row["concept"]) == (
                one["shares_outstanding"],
                one["as_of_date"],
                one["source_id"],
                one["concept"],
            )
