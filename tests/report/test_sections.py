"""Sections without data say so in one sentence and the rest of the note is still written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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


NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?!\w)")


def _figure_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        if {"value", "text", "formula"} <= node.keys():
            return [str(node["text"]), str(node.get("signed") or ""), str(node["value"])]
        return [t for v in node.values() for t in _figure_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _figure_texts(v)]
    return []


def _prose_numbers_not_in_figures(md: str, facts: dict[str, Any]) -> list[str]:
    texts = _figure_texts(facts) + [facts["month_label"], facts["previous_month_label"]]
    known = {n for t in texts for n in NUMBER.findall(t)}
    prose = [
        ln
        for ln in md.splitlines()
        if ln.startswith(
            ("# ", "- Miners", "- BTC", "- The", "- Shares", "- None", "- A ", "Miners", "BTC", "The ", "For a")
        )
    ]
    prose = [ln for ln in prose if not ln.startswith("- BTC price basis")]  # the method's formulas
    assert prose
    return sorted({n for ln in prose for n in NUMBER.findall(ln) if n not in known})


def test_halving_month_names_the_halving(ro_store: Store, tmp_path: Path) -> None:
    """April 2024: block 840,000 on 20 April halved the subsidy; equities start on 28 March (Good Friday 29th)."""
    write_report(ro_store, "2024-04", tmp_path, charts=False)
    md = (tmp_path / "report.md").read_text()
    facts = json.loads((tmp_path / "facts.json").read_text())
    f = facts["sections"]["network"]["figures"]
    assert (f["halving_date"]["value"], f["halving_height"]["value"]) == ("2024-04-20", 840000)
    assert (f["halving_subsidy_before_btc"]["value"], f["halving_subsidy_after_btc"]["value"]) == (6.25, 3.125)
    assert (f["halving_days_before"]["value"], f["halving_days_after"]["value"]) == (19, 10)
    assert "down 12.5% from March, with the block subsidy halving to 3.125 BTC at block 840,000 on 20 April." in md
    assert "halved from 6.25 BTC to 3.125 BTC per block at block 840,000 on 20 April: hashprice averaged" in md
    # The basket compares 28 March with 30 April, so BTC's change over those dates (not the month's -14.9%).
    assert "None of the 14 miners' shares beat BTC, which fell 14.4% between 28 March 2024 and 30 April." in md
    assert "| +$465,162 |" in md  # GREE's positive contribution carries its sign
    assert _prose_numbers_not_in_figures(md, facts) == []


def test_partial_month_is_flagged_in_title_summary_and_btc(ro_store: Store, tmp_path: Path) -> None:
    """December 2025: closes end on 29 December, equities on 31 December, so there is no beat-BTC count."""
    write_report(ro_store, "2025-12", tmp_path, charts=False)
    md = (tmp_path / "report.md").read_text()
    facts = json.loads((tmp_path / "facts.json").read_text())
    assert md.startswith("# Bitcoin mining in December 2025 (to 29 December)\n")
    assert "in block rewards in December 2025 (29 of 31 days), down 4.7% from November." in md
    assert (
        "- BTC fell 3.8% in December 2025 through 29 December, to $87,134, from $90,608 at the end of November." in md
    )
    assert "On 29 December BTC was 30.2% below its all-time closing high" in md
    assert (
        "Shares are not compared with BTC: the store's BTC closes end on 29 December, before the equities' last "
        "close on 31 December." in md
    )
    members = md.split("| Ticker |")[1].split("\n\n")[0].splitlines()[2:]
    assert members and all(row.endswith("| n/a |") for row in members)  # no beat-BTC answer, not "no"
    assert facts["sections"]["network"]["figures"]["halving_date"]["value"] is None
    assert _prose_numbers_not_in_figures(md, facts) == []


@pytest.mark.parametrize(
    ("url", "public"),
    [
        (
            "https://alice:s3cret@node.example:8332/api?api_key=XYZ&start=1",
            "https://node.example:8332/api?api_key=***&start=1",
        ),
        (
            "https://api.example/v1/prices?x_cg_demo_api_key=abc&vs=usd",
            "https://api.example/v1/prices?x_cg_demo_api_key=***&vs=usd",
        ),
        ("https://mempool.space/api/v1/mining/hashrate/3y", "https://mempool.space/api/v1/mining/hashrate/3y"),
        (
            "package:minerwatch/data/btc_close_coinmetrics.parquet",
            "package:minerwatch/data/btc_close_coinmetrics.parquet",
        ),
        (None, None),
    ],
)
def test_public_url_drops_credentials(url: str | None, public: str | None) -> None:
    assert facts_mod.public_url(url) == public


def test_facts_never_publish_a_credential_from_a_configured_url(store: Store) -> None:
    """facts.json is served by the API: a base URL or payload URI with a key must come out redacted."""
    sha = store.query(
        "SELECT payload_sha256 FROM network_daily WHERE date = '2025-02-10' AND source_id = 'coinmetrics'"
    )["payload_sha256"][0]
    with store.transaction():
        store.con.execute(
            "UPDATE sources SET base_url = 'https://alice:s3cret@node.example/api?token=t0psecret' "
            "WHERE source_id = 'coinmetrics'"
        )
        store.con.execute(
            "UPDATE payloads SET uri = 'https://node.example/api/csv?apikey=t0psecret&assets=btc' WHERE sha256 = ?",
            [sha],
        )
    facts = facts_mod.build_facts(store, "2025-02")
    text = json.dumps(facts)
    assert "s3cret" not in text and "t0psecret" not in text and "alice" not in text
    cm = next(s for s in facts["sources"] if s["source_id"] == "coinmetrics")
    assert cm["base_url"] == "https://node.example/api?token=***"
    assert "https://node.example/api/csv?apikey=***&assets=btc" in [p["uri"] for p in cm["payloads"]]


@pytest.mark.parametrize(
    ("month", "day", "height"),
    [("2012-11", "2012-11-28", 210000), ("2016-07", "2016-07-09", 420000), ("2020-05", "2020-05-11", 630000)],
)
def test_every_halving_is_found_on_its_day(ro_store: Store, month: str, day: str, height: int) -> None:
    """The earlier halvings fell mid-day, so Coin Metrics' day mixes both subsidies."""
    inp = facts_mod.gather(ro_store, month)
    assert inp.halving is not None
    assert (inp.halving["date"].isoformat(), inp.halving["height"]) == (day, height)
    assert facts_mod.gather(ro_store, "2024-05").halving is None
