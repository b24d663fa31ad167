"""The golden month's note: golden Markdown, every number traceable to facts.json, provenance, determinism."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from minerwatch.store import Store

GOLDEN = Path(__file__).parent / "golden"
#: A number as printed: not part of a word or a hex hash ("2^32" gives 2 and 32, "$54,372" gives 54,372).
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?!\w)")


def _update() -> bool:
    return os.environ.get("MINERWATCH_UPDATE_GOLDENS") == "1"


def check_golden(name: str, text: str) -> None:
    """Compare with tests/report/golden/<name>; MINERWATCH_UPDATE_GOLDENS=1 rewrites it instead."""
    path = GOLDEN / name
    if _update():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        pytest.skip(f"rewrote golden {name}")
    assert path.exists(), f"no golden {name}; run with MINERWATCH_UPDATE_GOLDENS=1 to create it"
    assert text == path.read_text(), f"{name} differs from its golden (MINERWATCH_UPDATE_GOLDENS=1 to accept)"


def test_markdown_matches_golden(report_md: str) -> None:
    check_golden("2025-02/report.md", report_md)


def test_markdown_has_the_sections_in_order(report_md: str) -> None:
    heads = re.findall(r"^## (.+)$", report_md, flags=re.M)
    assert heads == ["Summary", "Network", "BTC", "Miner equities", "Economics", "Method and sources"]
    summary = report_md.split("## Summary\n\n")[1].split("\n\n## ")[0]
    assert 4 <= summary.count("\n- ") + 1 <= 6


def test_headline_figures_hand_checked(report_md: str, report_facts: dict[str, Any]) -> None:
    """The key figures against the recorded values (Coin Metrics + Binance for February 2025)."""
    net = report_facts["sections"]["network"]["figures"]
    assert net["hashprice_usd_per_ehs_day"]["value"] == 54372.05
    assert net["hashprice_mom_change_pct"]["text"] == "6.4%"
    btc = report_facts["sections"]["btc"]["figures"]
    # 84,243.78 / 102,263.04 - 1 = -17.62%; intraday low 78,258.52 on 2025-02-28 (Binance BTCUSDT).
    assert (btc["change_pct"]["value"], btc["low_usd"]["value"], btc["low_date"]["value"]) == (
        -17.62,
        78258.52,
        "2025-02-28",
    )
    assert (
        "Miners earned $54,372 per EH/s per day on average in block rewards in February 2025, "
        "down 6.4% from January." in report_md
    )
    econ = report_facts["sections"]["economics"]
    assert econ["status"] == "ok"
    # 20 J/TH x 1e6 TH/EH = 20 MW = 480,000 kWh a day x $0.05 = $24,000 per EH/s per day.
    assert econ["figures"]["cost_usd_per_ehs_day"]["value"] == 24000.0
    assert "power cost $24,000 per EH/s per day" in report_md
    # January: 58,096.18 revenue - 24,000 = 34,096.18 profit, margin 58.69%; 55.86 - 58.69 = -2.83 pp.
    assert "| Gross profit per EH/s per day | $30,372 | $34,096 | -10.9% |" in report_md
    assert "| Gross margin | 55.9% | 58.7% | -2.8 pp |" in report_md


def _strings(node: Any, skip: tuple[str, ...] = ()) -> list[str]:
    if isinstance(node, dict):
        return [s for k, v in node.items() if k not in skip for s in _strings(v, skip)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v, skip)]
    return [] if node is None else [str(node)]


def test_every_number_in_the_markdown_is_in_facts(report_md: str, report_facts: dict[str, Any]) -> None:
    in_facts = {n for s in _strings(report_facts) for n in NUMBER.findall(s)}
    in_md = NUMBER.findall(report_md)
    assert len(in_md) > 100  # the check is not vacuous
    missing = sorted({n for n in in_md if n not in in_facts})
    assert missing == []


def test_every_sentence_number_is_a_figure_text(report_md: str, report_facts: dict[str, Any]) -> None:
    """Stricter for the sentences: each number is part of some figure's printed text, not just any string."""
    texts = [s for fig in _figures(report_facts) for s in (fig["text"], fig.get("signed") or "", str(fig["value"]))]
    texts += [report_facts["month_label"], report_facts["previous_month_label"]]
    fig_numbers = {n for t in texts for n in NUMBER.findall(t)}
    prose = [
        ln
        for ln in report_md.splitlines()
        if ln.startswith(("- ", "Miners", "BTC", "No ", "For a", "The "))
        and not ln.startswith(
            (
                "- Hashrate estimator",
                "- Revenue basis",
                "- Hashprice:",
                "- BTC price basis",
                "- Miner equities:",
                "- Economics:",
                "- Every figure",
            )
        )
    ]
    assert prose
    missing = sorted({n for ln in prose for n in NUMBER.findall(ln) if n not in fig_numbers})
    assert missing == []


def _figures(facts: dict[str, Any], with_paths: bool = False) -> list[Any]:
    out: list[Any] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if {"value", "unit", "text", "formula", "inputs", "sources"} <= node.keys():
                out.append((path, node) if with_paths else node)
                return
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(facts, "")
    return out


def test_figures_carry_provenance_from_store_rows(report_facts: dict[str, Any], snapshot_db: Path) -> None:
    figs = _figures(report_facts)
    assert len(figs) >= 40
    with Store.open(snapshot_db, read_only=True) as store:
        payloads = set(store.query("SELECT sha256 FROM payloads")["sha256"].to_list())
    with_sources = [f for f in figs if f["sources"]]
    # Only assumptions, calendar facts and figures computed from the assumptions alone have no store rows.
    assert {path for path, f in _figures(report_facts, True) if not f["sources"]} == {
        "assumptions.efficiency_jth",
        "assumptions.power_usd_kwh",
        "sections.network.figures.days_in_month",
        "sections.btc.figures.change_30d_window_days",
        "sections.equities.figures.members_total",
        "sections.equities.stale_shares_threshold_days",
        "sections.economics.figures.cost_usd_per_ehs_day",
    }
    for f in with_sources:
        assert f["formula"] and f["unit"]
        for p in f["sources"]:
            assert p["payload_sha256"] in payloads
            assert p["first_date"] <= p["last_date"] and p["rows"] > 0
    hp = report_facts["sections"]["network"]["figures"]["hashprice_usd_per_ehs_day"]
    assert {(p["table"], p["source_id"], p["first_date"], p["last_date"], p["rows"]) for p in hp["sources"]} == {
        ("network_daily", "coinmetrics", "2025-02-01", "2025-02-28", 28),
        ("btc_prices_daily", "coinmetrics", "2025-02-01", "2025-02-28", 28),
    }
    low = report_facts["sections"]["btc"]["figures"]["low_usd"]
    assert [(p["source_id"], p["rows"]) for p in low["sources"]] == [("binance", 28)]
    members = report_facts["sections"]["equities"]["members"]
    assert len(members) == 14  # February 2025: every member priced
    # A member's market caps trace to exactly the price rows on the two dates and the shares facts used.
    end = members[0]["market_cap_end_usd"]
    assert sorted({p["table"] for p in end["sources"]}) == ["equity_prices_daily", "shares_facts"]
    prices = [p for p in end["sources"] if p["table"] == "equity_prices_daily"]
    assert [(p["first_date"], p["last_date"], p["rows"]) for p in prices] == [("2025-02-28", "2025-02-28", 1)]
    start = members[0]["market_cap_start_usd"]
    prices = [p for p in start["sources"] if p["table"] == "equity_prices_daily"]
    assert [(p["first_date"], p["last_date"], p["rows"]) for p in prices] == [("2025-01-31", "2025-01-31", 1)]
    assert all(p["last_date"] <= "2025-01-31" for p in start["sources"])  # never a fact from the future
    change = members[0]["change_pct"]
    assert sum(p["rows"] for p in change["sources"] if p["table"] == "equity_prices_daily") == 2


def test_sources_name_licences_and_origins(report_facts: dict[str, Any]) -> None:
    by_id = {s["source_id"]: s for s in report_facts["sources"]}
    assert by_id["coinmetrics"]["licence"] == "CC BY-NC 4.0"
    assert by_id["coinmetrics"]["commit"] == "cb3f32cc6c5045d5574e730a7c9784d58965629e"
    assert by_id["binance"]["first_date"] == "2025-02-01"


def test_build_facts_is_what_facts_json_holds(report_facts: dict[str, Any], snapshot_db: Path) -> None:
    from minerwatch.output import to_json
    from minerwatch.report import build_facts

    with Store.open(snapshot_db, read_only=True) as store:
        facts = build_facts(store, "2025-02")
    assert json.loads(to_json(facts)) == report_facts


def test_output_is_byte_deterministic(report_dir: Path, snapshot_db: Path, tmp_path: Path) -> None:
    from minerwatch.report import write_report

    with Store.open(snapshot_db, read_only=True) as store:
        written = write_report(store, "2025-02", tmp_path)
    names = sorted(p.name for p in report_dir.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    assert {"report.md", "report.html", "facts.json", "hashprice.svg", "hashprice.png", "btc.svg", "btc.png"} <= set(
        names
    )
    for name in names:
        assert (tmp_path / name).read_bytes() == (report_dir / name).read_bytes(), name
    assert set(written["charts"]) >= {"hashprice", "btc"}


def test_svg_has_no_timestamp_and_html_is_self_contained(report_dir: Path) -> None:
    svg = (report_dir / "hashprice.svg").read_text()
    assert "<dc:date>" not in svg and "2026" not in svg
    html = (report_dir / "report.html").read_text()
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html.split("<body>")[0]
    assert html.count('src="data:image/svg+xml;base64,') == len(list(report_dir.glob("*.svg")))
    assert "<script" not in html
