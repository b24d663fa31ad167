"""The charts draw the same numbers as the note, and render byte-identically."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from minerwatch import service
from minerwatch.report import charts as ch
from minerwatch.store import Store


@pytest.fixture(scope="module")
def ro_store(snapshot_db: Path):
    with Store.open(snapshot_db, read_only=True) as s:
        yield s


def test_window_is_thirteen_months() -> None:
    assert ch.window_start("2025-02", 13) == date(2024, 2, 1)
    assert ch.window_start("2025-01", 13) == date(2024, 1, 1)
    assert ch.window_start("2024-12", 1) == date(2024, 12, 1)


def test_hashprice_monthly_means_are_the_notes_figures(ro_store: Store) -> None:
    d = ch.hashprice_data(ro_store, "2025-02", 13)
    assert d["date"].min() == date(2024, 2, 1) and d["date"].max() == date(2025, 2, 28)
    means = d.group_by("month").agg(pl.col("month_mean_usd_per_ehs_day").first()).sort("month")
    assert means.height == 13
    for month, mean in means.iter_rows():
        assert round(mean, 2) == service.hashprice_month(ro_store, month)["usd_per_ehs_day"], month


def test_btc_ath_line_is_the_running_closing_high(ro_store: Store) -> None:
    d = ch.btc_data(ro_store, "2025-02", 13)
    b = service.btc_month(ro_store, "2025-02")
    assert round(d["ath_close_usd"][-1], 2) == b["ath_close_usd"]
    assert round(d["close_usd"][-1], 2) == b["close_usd"]
    # The running high never falls and is never below the close.
    assert d["ath_close_usd"].is_sorted()
    assert (d["ath_close_usd"] >= d["close_usd"]).all()


def test_member_bars_use_share_price_returns_best_first() -> None:
    basket = {
        "members": [
            {"ticker": "AAA", "change_pct": -10.0, "price_change_pct": -12.0, "cohort": "pure-play"},
            {"ticker": "BBB", "change_pct": 5.0, "price_change_pct": 4.0, "cohort": "AI/HPC-exposed"},
            {"ticker": "CCC", "change_pct": None, "price_change_pct": None, "cohort": "pure-play"},
        ]
    }
    d = ch.members_data(basket)
    assert d.rows() == [("BBB", 4.0, "AI/HPC-exposed"), ("AAA", -12.0, "pure-play")]


def test_basket_line_ends_at_the_notes_market_cap(ro_store: Store) -> None:
    sb = pytest.importorskip("minerwatch.service_basket")
    basket = sb.basket_month(ro_store, "2025-02")
    d = ch.basket_data(ro_store, basket, "2025-02", 13)
    assert d is not None and d["date"].max() == date(2025, 2, 28)
    assert d["members"].unique().to_list() == [basket["members_priced"]]
    assert d["market_cap_usd"][-1] == pytest.approx(basket["market_cap_end_usd"], abs=100)


def test_render_is_byte_deterministic(ro_store: Store, tmp_path: Path) -> None:
    data = ch.btc_data(ro_store, "2025-02", 13)
    chart = ch.Chart("btc", "BTC", "caption", data, ch.draw_btc)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    pa, pb = ch.render(chart, a), ch.render(chart, b)
    for kind in ("svg", "png"):
        assert pa[kind].read_bytes() == pb[kind].read_bytes()
    svg = pa["svg"].read_text()
    assert "<dc:date>" not in svg and "<text" not in svg  # text is drawn as glyph paths, no font at view time
    assert b"Software" not in pa["png"].read_bytes()[:200]


def test_hashprice_chart_marks_the_halving_in_its_window(ro_store: Store) -> None:
    """The 13 months to April 2024 (and to February 2025) hold the 20 April 2024 halving; those to June 2025 none."""
    for month in ("2024-04", "2025-02"):
        d = ch.hashprice_data(ro_store, month, 13)
        assert d.filter(pl.col("halving"))["date"].to_list() == [date(2024, 4, 20)], month
    assert ch.hashprice_data(ro_store, "2025-06", 13)["halving"].sum() == 0
