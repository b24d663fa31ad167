"""Embedded self-reported hashrate: loader, metric choice, user CSV priority, the basket's share and multiple."""

from __future__ import annotations

import polars as pl
import pytest

from minerwatch import service_economics as se
from minerwatch.errors import DataGap
from minerwatch.sources import hashrate_snapshot
from minerwatch.store import Store, utcnow


def test_loader_fills_the_table_once(store: Store) -> None:
    rows = store.query(
        "SELECT source_id, count(*) AS n, count(hashrate_ehs) AS h FROM miner_hashrate_reported GROUP BY 1"
    )
    assert rows.rows() == [("company_reports", 91, 76)]
    before = store.count("miner_hashrate_reported")
    hashrate_snapshot.load(store, utcnow())  # loading the same file again changes nothing
    assert store.count("miner_hashrate_reported") == before
    riot = store.query(
        "SELECT metric, hashrate_ehs FROM miner_hashrate_reported "
        "WHERE ticker = 'RIOT' AND month = '2025-03' ORDER BY 1"
    )
    # SOURCES.md: RIOT 2025-03 33.7 deployed against 30.3 average operating
    assert riot.rows() == [("average_operating", 30.3), ("deployed", 33.7)]


def test_reported_hashrate_prefers_average_operating(ro_store: Store) -> None:
    r = se.reported_hashrate(ro_store, "2025-02")
    assert r.select("ticker", "metric", "hashrate_ehs").rows() == [
        ("IREN", "average_operating", 28.7),
        ("MARA", "energized", 53.7),
        ("RIOT", "average_operating", 29.4),
    ]


def test_user_csv_rows_win_over_the_embedded_reports(store: Store) -> None:
    row = pl.DataFrame(
        {
            "ticker": ["RIOT"],
            "month": ["2025-02"],
            "metric": ["operating"],
            "source_id": ["csv"],
            "hashrate_ehs": [31.0],
            "btc_produced": [None],
            "source_url": [None],
            "quote": [None],
            "payload_sha256": ["test"],
            "loaded_at": [utcnow()],
        },
        schema_overrides={"btc_produced": pl.Float64, "source_url": pl.String, "quote": pl.String},
    )
    store.upsert("miner_hashrate_reported", row, ["ticker", "month", "metric", "source_id"])
    r = se.reported_hashrate(store, "2025-02", ["RIOT"])
    assert r.select("metric", "hashrate_ehs", "source_id").rows() == [("operating", 31.0, "csv")]


def test_basket_share_and_reward_multiple(ro_store: Store) -> None:
    pytest.importorskip("minerwatch.service_basket", reason="the basket module (issue of another helper) is absent")
    d = se.basket_hashrate_share(ro_store, "2025-02")
    net = d["network_hashrate_ehs"]
    # IREN 28.7 + MARA 53.7 + RIOT 29.4 = 111.8 EH/s of the month's mean network hashrate
    assert d["reported_hashrate_ehs"] == pytest.approx(111.8)
    assert d["hashrate_share_pct"] == pytest.approx(100 * 111.8 / net, abs=0.01)
    # 210,000 blocks after height h: (1,050,000 - 1 - h) at 3.125 BTC, the rest at 1.5625, grossed up for fees
    h = d["height_end_of_month"]
    old = 1_049_999 - h
    subsidy = old * 3.125 + (210_000 - old) * 1.5625
    assert d["rewards_next_four_years_btc"] == pytest.approx(subsidy / (1 - d["fee_share_pct"] / 100), rel=1e-4)
    value = d["hashrate_share_pct_with_market_cap"] / 100 * d["rewards_next_four_years_btc"] * d["btc_close_usd"]
    assert d["market_cap_to_reward_share_multiple"] == pytest.approx(d["market_cap_end_usd"] / value, abs=0.01)
    assert d["reward_share_value_usd"] == pytest.approx(value, rel=1e-4)
    # Cross-check with BTC produced: the month's rewards are every day's subsidy + fees in February 2025.
    days = ro_store.query(
        "SELECT sum(subsidy_btc + fees_btc) AS btc, count(*) AS n FROM network_daily "
        "WHERE date BETWEEN DATE '2025-02-01' AND DATE '2025-02-28'"
    ).row(0, named=True)
    assert days["n"] == 28
    assert d["month_reward_btc"] == pytest.approx(days["btc"], abs=0.01)
    members = {m["ticker"]: m for m in d["members"]}
    # MARA's 706 BTC sits on a row of its own (no hashrate metric): it is still joined to MARA's energized row.
    assert [members[t]["btc_produced"] for t in ("IREN", "MARA", "RIOT")] == [459.0, 706.0, 470.0]
    assert members["MARA"]["produced_reward_share_pct"] == pytest.approx(100 * 706 / days["btc"], abs=0.001)
    assert d["produced_reward_share_pct"] == pytest.approx(100 * 1635 / days["btc"], abs=0.01)
    # Average operating hashrate matches the share of BTC produced; energized capacity overstates it (MARA).
    for t in ("IREN", "RIOT"):
        assert members[t]["produced_reward_share_pct"] == pytest.approx(members[t]["hashrate_share_pct"], abs=0.05)
    assert members["MARA"]["hashrate_share_pct"] / members["MARA"]["produced_reward_share_pct"] > 1.15
    # The multiple on the produced share: the same value formula with that share.
    for m in members.values():
        v = m["produced_reward_share_pct"] / 100 * d["rewards_next_four_years_btc"] * d["btc_close_usd"]
        assert m["market_cap_to_produced_share_multiple"] == pytest.approx(m["market_cap_end_usd"] / v, abs=0.01)
    v = d["produced_reward_share_pct"] / 100 * d["rewards_next_four_years_btc"] * d["btc_close_usd"]
    assert d["market_cap_to_produced_share_multiple"] == pytest.approx(d["market_cap_end_usd"] / v, abs=0.01)
    with pytest.raises(DataGap, match="no basket member has a reported hashrate for 2023-02"):
        se.basket_hashrate_share(ro_store, "2023-02")
