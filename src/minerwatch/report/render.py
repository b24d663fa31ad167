"""Writing the note: the facts and sentences laid out as sections, rendered to Markdown and HTML.

`document` builds one plain structure (sections of sentences, tables and charts) from the facts and
the service answers; the Jinja2 templates `report.md.j2` and `report.html.j2` only lay it out. The
HTML is self-contained: styles inline, charts inlined as SVG data URIs, nothing fetched.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from minerwatch.errors import InputError
from minerwatch.output import to_json
from minerwatch.report import sentences as sn
from minerwatch.report.facts import (
    DEFAULT_EFFICIENCY_JTH,
    DEFAULT_POWER_USD_KWH,
    Inputs,
    facts_from,
    gather,
)
from minerwatch.store import Store


def _t(fig: dict[str, Any] | None, key: str = "text") -> str:
    if not fig:
        return "n/a"
    return str(fig.get(key) or fig.get("text") or "n/a")


def _table(columns: list[str], rows: list[list[str]], align: str | None = None) -> dict[str, Any]:
    return {"columns": columns, "rows": rows, "align": align or ("l" + "r" * (len(columns) - 1))}


def _network(facts: dict, inp: Inputs) -> dict[str, Any]:
    f = facts["sections"]["network"]["figures"]
    cur, prev = facts["month_label"], facts["previous_month_label"]
    rows = [
        [
            "Hashprice, USD per EH/s per day",
            _t(f["hashprice_usd_per_ehs_day"]),
            _t(f["previous_hashprice_usd_per_ehs_day"]),
            _t(f["hashprice_mom_change_pct"], "signed"),
        ],
        ["Hashprice, USD per PH/s per day", _t(f["hashprice_usd_per_phs_day"]), "", ""],
        [
            "Hashprice, BTC per EH/s per day",
            _t(f["hashprice_btc_per_ehs_day"]),
            _t(f["previous_hashprice_btc_per_ehs_day"]),
            _t(f["hashprice_btc_mom_change_pct"], "signed"),
        ],
        [
            "Network hashrate",
            _t(f["hashrate_ehs"]),
            _t(f["previous_hashrate_ehs"]),
            _t(f["hashrate_mom_change_pct"], "signed"),
        ],
        [
            "Mean difficulty",
            _t(f["difficulty_mean"]),
            _t(f["previous_difficulty_mean"]),
            _t(f["difficulty_mom_change_pct"], "signed"),
        ],
        [
            "Fee share of block rewards",
            _t(f["fee_share_pct"]),
            _t(f["previous_fee_share_pct"]),
            _t(f["fee_share_change_pct_points"]),
        ],
        ["Blocks found", _t(f["blocks"]), "", ""],
        ["Days with data", f"{_t(f['days'])} of {_t(f['days_in_month'])}", "", ""],
    ]
    return {
        "id": "network",
        "title": "Network",
        "paragraphs": sn.network_sentences(inp.hp, inp.hp_prev, inp.halving),
        "tables": [_table(["", cur, prev, "Change"], rows)],
        "charts": ["hashprice"],
    }


def _btc(facts: dict, inp: Inputs) -> dict[str, Any]:
    f = facts["sections"]["btc"]["figures"]
    rows = [
        ["Close", _t(f["close_usd"]), _t(f["close_date"])],
        ["Previous month's close", _t(f["open_usd"]), ""],
        ["Change in the month", _t(f["change_pct"], "signed"), ""],
        ["Change over 30 days", _t(f["change_30d_pct"], "signed"), ""],
        ["Intramonth low", _t(f["low_usd"]), _t(f["low_date"])],
        ["Intramonth high", _t(f["high_usd"]), _t(f["high_date"])],
        ["All-time high, close", _t(f["ath_close_usd"]), _t(f["ath_close_date"])],
        ["All-time high, intraday", _t(f["ath_intraday_usd"]), _t(f["ath_intraday_date"])],
        ["Drawdown from all-time closing high", _t(f["drawdown_from_ath_pct"], "signed"), ""],
        ["Volatility, annualised", _t(f["volatility_annualised_pct"]), ""],
    ]
    return {
        "id": "btc",
        "title": "BTC",
        "paragraphs": sn.btc_sentences(inp.btc),
        "tables": [_table(["", "USD", "Date"], rows, "lrl")],
        "charts": ["btc"],
    }


def _equities(facts: dict, inp: Inputs) -> dict[str, Any]:
    sec = facts["sections"]["equities"]
    if inp.basket is None:
        return {
            "id": "equities",
            "title": "Miner equities",
            "paragraphs": [sn.missing_sentence("equities", inp.month, sec["reason"])],
            "tables": [],
            "charts": [],
        }
    tables = []
    if sec["cohorts"]:
        tables.append(
            _table(
                ["Cohort", "Market cap, start", "Market cap, end", "Change"],
                [
                    [
                        sn.cohort_label(name),
                        _t(c["market_cap_start_usd"]),
                        _t(c["market_cap_end_usd"]),
                        _t(c["change_pct"], "signed"),
                    ]
                    for name, c in sec["cohorts"].items()
                ],
            )
        )
    if sec["members"]:
        tables.append(
            _table(
                [
                    "Ticker",
                    "Cohort",
                    "Market cap, start",
                    "Market cap, end",
                    "Change",
                    "Contribution",
                    "Share price",
                    "Beat BTC",
                ],
                [
                    [
                        m["ticker"],
                        sn.cohort_label(m["cohort"] or ""),
                        _t(m["market_cap_start_usd"]),
                        _t(m["market_cap_end_usd"]),
                        _t(m["change_pct"], "signed"),
                        _t(m["contribution_usd"], "signed"),
                        _t(m["price_change_pct"], "signed"),
                        "n/a" if m["beat_btc"] is None else "yes" if m["beat_btc"] else "no",
                    ]
                    for m in sec["members"]
                ],
                "llrrrrrl",
            )
        )
    return {
        "id": "equities",
        "title": "Miner equities",
        "paragraphs": sn.equities_sentences(inp.basket, inp.btc, sec["stale_shares_threshold_days"]["value"]),
        "tables": tables,
        "charts": ["basket", "members"],
    }


def _economics(facts: dict, inp: Inputs) -> dict[str, Any]:
    sec = facts["sections"]["economics"]
    if inp.econ is None:
        return {
            "id": "economics",
            "title": "Economics",
            "paragraphs": [sn.missing_sentence("economics", inp.month, sec["reason"])],
            "tables": [],
            "charts": [],
        }
    f = sec["figures"]
    a = facts["assumptions"]

    def kwh(fig: dict | None) -> str:
        text = _t(fig)
        return "" if text == "n/a" else f"{text} per kWh"

    def opt(fig: dict | None, key: str = "text") -> str:
        """A previous-month figure or change; blank when the economics service does not give it."""
        text = _t(fig, key)
        return "" if text == "n/a" else text

    fleet = f"{_t(a['efficiency_jth'])} J/TH"
    power = f"{_t(a['power_usd_kwh'])} per kWh"
    rows = [
        ["Fleet efficiency (assumed)", fleet, fleet, ""],
        ["Power price (assumed)", power, power, ""],
        [
            "Revenue per EH/s per day",
            _t(f["revenue_usd_per_ehs_day"]),
            opt(f.get("previous_revenue_usd_per_ehs_day")),
            opt(f.get("revenue_mom_change_pct"), "signed"),
        ],
        ["Power cost per EH/s per day", _t(f["cost_usd_per_ehs_day"]), _t(f["cost_usd_per_ehs_day"]), ""],
        [
            "Gross profit per EH/s per day",
            _t(f["gross_profit_usd_per_ehs_day"], "signed"),
            opt(f.get("previous_gross_profit_usd_per_ehs_day"), "signed"),
            opt(f.get("mom_change_pct"), "signed"),
        ],
        [
            "Gross margin",
            _t(f["gross_margin_pct"]),
            opt(f.get("previous_gross_margin_pct")),
            opt(f.get("gross_margin_mom_change_pp")),
        ],
        [
            "Breakeven power price",
            kwh(f["breakeven_power_usd_kwh"]),
            kwh(f.get("previous_breakeven_power_usd_kwh")),
            opt(f.get("breakeven_mom_change_pct"), "signed"),
        ],
        [
            "Power cost per BTC mined",
            _t(f["cost_per_btc_usd"]),
            opt(f.get("previous_cost_per_btc_usd")),
            opt(f.get("cost_per_btc_mom_change_pct"), "signed"),
        ],
    ]
    return {
        "id": "economics",
        "title": "Economics",
        "paragraphs": sn.economics_sentences(inp.econ, default_assumption=inp.default_fleet),
        "tables": [_table(["", facts["month_label"], facts["previous_month_label"], "Change"], rows)],
        "charts": [],
    }


def _method(facts: dict) -> dict[str, Any]:
    m = facts["method"]
    bullets = [
        f"Hashrate estimator: {m['estimator']}.",
        f"Revenue basis: {m['revenue_basis']}.",
        f"Hashprice: {m['hashprice']}.",
        f"BTC price basis: {m['price_basis']}; {m['drawdown']}.",
    ]
    equities = facts["sections"]["equities"]
    if equities["status"] == "ok":
        bullets.append(f"Miner equities: {equities.get('basis') or m['equities']}.")
    if facts["sections"]["economics"]["status"] == "ok":
        bullets.append(f"Economics: {m['economics']}.")
    bullets.append(
        "Every figure in this note is in facts.json with its unit, formula, inputs and source rows "
        "(source id and payload sha256)."
    )
    rows = []
    for s in facts["sources"]:
        origin = s["origin"] or s["base_url"] or ""
        if s.get("commit"):
            origin += f" @ {s['commit'][:12]}"
        rows.append(
            [
                s["source_id"],
                s["description"] or "",
                s["licence"] or "",
                origin,
                f"{s['first_date']} to {s['last_date']}",
            ]
        )
    return {
        "id": "method",
        "title": "Method and sources",
        "paragraphs": [],
        "bullets": bullets,
        "tables": [_table(["Source", "What", "Licence", "Origin", "Dates used"], rows, "lllll")],
        "charts": [],
    }


def document(facts: dict[str, Any], inp: Inputs, charts: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The note as plain data: title, then sections of sentences, tables and charts (those that exist)."""
    charts = charts or {}
    summary = sn.summary_sentences(
        inp.month, inp.hp, inp.btc, inp.basket, inp.econ, inp.missing, inp.hp_prev, inp.halving
    )
    sections = [
        {"id": "summary", "title": "Summary", "paragraphs": [], "bullets": summary, "tables": [], "charts": []},
        _network(facts, inp),
        _btc(facts, inp),
        _equities(facts, inp),
        _economics(facts, inp),
        _method(facts),
    ]
    for s in sections:
        s.setdefault("bullets", [])
        s["charts"] = [charts[name] for name in s["charts"] if name in charts]
    title = f"Bitcoin mining in {facts['month_label']}"
    close = facts["sections"]["btc"]["figures"]["close_date"]
    if sn.btc_partial(inp.btc):
        title += f" (to {close['text']})"
    elif sn.partial_days(inp.hp):
        title += f" ({sn.partial_days(inp.hp)})"
    return {
        "title": title,
        "month": facts["month"],
        "month_label": facts["month_label"],
        "sections": sections,
    }


def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("minerwatch.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md_cell"] = lambda v: str(v).replace("|", "\\|").replace("\n", " ")
    return env


def render_markdown(doc: dict[str, Any]) -> str:
    """The note as Markdown (charts referenced by their SVG file names)."""
    return _env().get_template("report.md.j2").render(doc=doc)


def render_html(doc: dict[str, Any]) -> str:
    """The note as one self-contained HTML page (charts inlined as SVG data URIs)."""
    return _env().get_template("report.html.j2").render(doc=doc)


def write_report(
    store: Store,
    month: str,
    out_dir: Path | str,
    *,
    efficiency_jth: float = DEFAULT_EFFICIENCY_JTH,
    power_usd_kwh: float = DEFAULT_POWER_USD_KWH,
    charts: bool = True,
    pdf: bool = False,
) -> dict[str, Any]:
    """Write report.md, report.html, facts.json and the charts (SVG + PNG) to `out_dir`; returns the paths.

    With `pdf`, also report.pdf printed from report.html by a headless Chromium (see `report.pdf`).
    """
    from minerwatch.report import charts as ch

    if pdf:
        from minerwatch.report.pdf import find_chromium

        find_chromium()  # fail before writing anything
    inp = gather(store, month, efficiency_jth=efficiency_jth, power_usd_kwh=power_usd_kwh)
    facts = facts_from(store, inp)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create --out folder {out}: {exc.strerror}; choose another --out") from None
    written: dict[str, Any] = {"month": month, "markdown": None, "html": None, "facts": None}
    chart_refs: dict[str, dict[str, Any]] = {}
    if charts:
        written["charts"] = {}
        for chart in ch.charts_for(store, facts, inp.basket):
            paths = ch.render(chart, out)
            written["charts"][chart.name] = {k: str(v) for k, v in paths.items()}
            chart_refs[chart.name] = {
                "name": chart.name,
                "title": chart.title,
                "caption": chart.caption,
                "svg": paths["svg"].name,
                "png": paths["png"].name,
                "svg_data_uri": "data:image/svg+xml;base64," + base64.b64encode(paths["svg"].read_bytes()).decode(),
            }
    doc = document(facts, inp, chart_refs)
    targets = {
        "markdown": (out / "report.md", render_markdown(doc)),
        "html": (out / "report.html", render_html(doc)),
        "facts": (out / "facts.json", to_json(facts) + "\n"),
    }
    for key, (path, text) in targets.items():
        path.write_text(text, encoding="utf-8")
        written[key] = str(path)
    if pdf:
        from minerwatch.report.pdf import html_to_pdf

        written["pdf"] = str(html_to_pdf(out / "report.html", out / "report.pdf"))
    _remove_stale(out, set(written.get("charts", {})), pdf)
    return written


def _remove_stale(out: Path, charts: set[str], pdf: bool) -> None:
    """Delete note files an earlier run left in `out` that this run did not write (only our own names)."""
    from minerwatch.report.charts import CHART_NAMES

    stale = [out / f"{name}.{ext}" for name in CHART_NAMES if name not in charts for ext in ("svg", "png")]
    if not pdf:
        stale.append(out / "report.pdf")
    for path in stale:
        if path.is_file():
            path.unlink()
