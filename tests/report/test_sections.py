"""Sections without data say so in one sentence and the rest of the note is still written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minerwatch.errors import DataGap
from minerwatch.report import facts as facts_mod
from minerwatch.report import write_report
from minerwatch.store import Store


def _no_data(message: str):
    def fn(*_a, **_k):
        raise DataGap(message)

    return fn


@pytest.fixture()
def ro_store(snapshot_db: Path):
    with Store.open(snapshot_db, read_only=True) as s:
        yield s


def test_missing_equities_and_economics(ro_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = facts_mod._optional_service

    def fake(module: str, func: str):
        if module == "service_basket":
            return _no_data("no equity prices in 2025-02; equity prices cover 2020-07-27 to 2025-01-31")
        if module == "service_economics":
            return None
        return real(module, func)

    monkeypatch.setattr(facts_mod, "_optional_service", fake)
    written = write_report(ro_store, "2025-02", tmp_path)
    md = (tmp_path / "report.md").read_text()
    equities = md.split("## Miner equities\n\n")[1].split("\n\n## ")[0]
    assert equities == (
        "No miner equity data for February 2025: no equity prices in 2025-02; equity prices cover 2020-07-27 to "
        "2025-01-31."
    )
    economics = md.split("## Economics\n\n")[1].split("\n\n## ")[0]
    assert economics == (
        "No mining economics data for February 2025: this build of minerwatch has no mining-economics service."
    )
    # The rest of the note is there, and the summary names the gaps in one sentence each.
    assert "## Network" in md and "## BTC" in md and "## Method and sources" in md
    assert "- No miner equity data for February 2025: no equity prices in 2025-02" in md
    assert set(written["charts"]) == {"hashprice", "btc"}
    facts = json.loads((tmp_path / "facts.json").read_text())
    assert facts["sections"]["equities"]["status"] == "missing"
    assert facts["sections"]["equities"]["reason"].startswith("no equity prices in 2025-02")
    assert facts["sections"]["economics"] == {
        "status": "missing",
        "reason": "this build of minerwatch has no mining-economics service",
        "figures": {},
    }
    assert "Economics:" not in md.split("## Method and sources")[1]


def test_partial_month_says_how_many_days(ro_store: Store, tmp_path: Path) -> None:
    write_report(ro_store, "2025-12", tmp_path, charts=False)
    md = (tmp_path / "report.md").read_text()
    # Coin Metrics' file ends on 2025-12-29; Binance OHLC ends 2025-11-07, so the low/high are daily closes.
    assert "The store covers 29 of 31 days of December 2025, so these are means over those days." in md
    assert "(daily close)." in md
    facts = json.loads((tmp_path / "facts.json").read_text())
    assert facts["sections"]["btc"]["figures"]["low_usd"]["inputs"] == {"basis": "close"}


def test_month_outside_the_data_raises_before_writing(ro_store: Store, tmp_path: Path) -> None:
    with pytest.raises(DataGap, match="no network data between 2031-02-01 and 2031-02-28"):
        write_report(ro_store, "2031-02", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_month_before_the_basket_has_members(ro_store: Store, tmp_path: Path) -> None:
    """The embedded basket starts in 2024; August 2020 has network, BTC and economics but no equities."""
    write_report(ro_store, "2020-08", tmp_path, charts=False)
    md = (tmp_path / "report.md").read_text()
    assert md.split("## Miner equities\n\n")[1].split("\n\n## ")[0] == (
        "No miner equity data for August 2020: the basket has no members in 2020-08."
    )
    assert "- Network hashrate averaged 124 EH/s, up 1.2% from July, at a mean difficulty of 17.1 T (up 2.5%)." in md


def test_early_month_scales_units(ro_store: Store, tmp_path: Path) -> None:
    """August 2010: a few GH/s (0.00 EH/s at the service's precision) and a difficulty in the hundreds."""
    write_report(ro_store, "2010-08", tmp_path, charts=False)
    md = (tmp_path / "report.md").read_text()
    assert (
        "Network hashrate averaged under 0.01 EH/s, up 114.1% from July, at a mean difficulty of 437.0 (up 114.2%)."
        in md
    )


def test_members_out_of_the_aggregate_are_named(ro_store: Store, tmp_path: Path) -> None:
    """March 2025: SDIG left the embedded basket on 2025-03-13, so the note names it and says why."""
    write_report(ro_store, "2025-03", tmp_path, charts=False)
    facts = json.loads((tmp_path / "facts.json").read_text())
    missing = facts["sections"]["equities"]["missing"]
    assert "SDIG" in [m["ticker"] for m in missing]
    md = (tmp_path / "report.md").read_text()
    names = "; ".join(f"{m['ticker']} ({m['reason']})" for m in missing)
    assert f"Not in the aggregate: {names}." in md
    assert "Not in the aggregate: SDIG (left the basket on 2025-03-13" in md
