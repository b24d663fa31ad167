"""The dashboard in-process: figures equal the API's, no outside assets, month picker, errors, note page."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

MONTH = "2025-02"
FIG = re.compile(r'<span class="fig" data-field="([^"]+)" data-value="([^"]*)">([^<]*)</span>')


def figures(page: str) -> list[tuple[str, str, str]]:
    """(field, data-value, shown text) of every figure on a page."""
    return [(f, v, html.unescape(t)) for f, v, t in FIG.findall(page)]


def shown_number(text: str) -> tuple[float, int, float]:
    """The number a figure shows, its decimals, and its scale (1e9 for '$1.23 bn', 1e6 for '$45.6 M')."""
    scale = 1e9 if text.endswith(" bn") else 1e6 if text.endswith(" M") else 1.0
    core = text.removesuffix(" bn").removesuffix(" M")
    core = core.replace("$", "").replace(",", "").replace("%", "").replace("+", "")
    decimals = len(core.split(".")[1]) if "." in core else 0
    return float(core), decimals, scale


def check_against_api(page: str, answers: dict[str, Any]) -> int:
    """Assert each figure's data-value is the API's value and its text is that value rounded; count them."""
    checked = 0
    for field, raw, text in figures(page):
        section, key = field.split(".")
        if section not in answers:
            continue
        value = answers[section][key]
        if value is None:
            assert (raw, text) == ("", "n/a"), field
        else:
            assert float(raw) == value, field
            shown, decimals, scale = shown_number(text)
            assert abs(shown * scale - value) <= 0.5 * 10 ** -decimals * scale + 1e-9, (field, text, value)
        checked += 1
    return checked


def test_dashboard_figures_equal_the_api(api) -> None:
    r = api.get(f"/?month={MONTH}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    page = r.text
    answers = {
        "hashprice": api.json(f"/api/v1/hashprice?month={MONTH}"),
        "btc": api.json(f"/api/v1/btc?month={MONTH}"),
        # The dashboard opens on the note's default fleet: 20 J/TH at $0.05/kWh.
        "economics": api.json(f"/api/v1/economics?month={MONTH}&efficiency_jth=20&power_usd_kwh=0.05"),
    }
    basket = api.get(f"/api/v1/basket?month={MONTH}")
    assert basket.status_code == 200
    answers["basket"] = basket.json()
    n = check_against_api(page, answers)
    assert n >= 25
    shown = {f: t for f, _, t in figures(page)}
    assert shown["hashprice.usd_per_ehs_day"] == "54,372.05"
    assert shown["hashprice.mom_change_pct"] == "-6.41%"
    assert shown["btc.close_usd"] == "84,243.78"
    assert shown["btc.drawdown_from_ath_pct"] == "-20.61%"
    assert shown["economics.cost_usd_per_ehs_day"] == "24,000.00"  # 20 x 24,000 kWh x $0.05
    assert '<h1 id="heading" data-month="2025-02">Bitcoin mining, 2025-02</h1>' in page


def test_economics_inputs_come_from_the_form(api) -> None:
    page = api.get(f"/?month={MONTH}&efficiency_jth=26&power_usd_kwh=0.04").text
    econ = api.json(f"/api/v1/economics?month={MONTH}&efficiency_jth=26&power_usd_kwh=0.04")
    assert check_against_api(page, {"economics": econ}) >= 8
    assert 'name="efficiency_jth" id="efficiency_jth" value="26.0"' in page
    assert 'name="power_usd_kwh" id="power_usd_kwh" value="0.04"' in page
    assert "the note&#39;s default fleet" not in page


def test_bad_fleet_input_spoils_only_the_economics_section(api) -> None:
    r = api.get(f"/?month={MONTH}&efficiency_jth=26&power_usd_kwh=-1")
    assert r.status_code == 200
    assert "power_usd_kwh must be a positive number (USD per kWh, e.g. 0.04), got -1.0" in r.text
    assert 'data-field="hashprice.usd_per_ehs_day"' in r.text
    # Not a number at all (typed into the URL; the form's number field prevents it): the same.
    r = api.get(f"/?month={MONTH}&efficiency_jth=abc&power_usd_kwh=0.05")
    assert r.status_code == 200
    economics = r.text.split('<section id="economics">')[1].split("</section>")[0]
    assert "efficiency_jth must be a number, got &#39;abc&#39;" in economics
    assert 'data-field="economics.' not in economics
    assert 'data-field="btc.close_usd"' in r.text


def test_month_picker_lists_complete_months_and_works_without_js(api) -> None:
    page = api.get(f"/?month={MONTH}").text
    assert '<form class="picker" method="get" action="/" id="month-form">' in page
    options = re.findall(r'<option value="(\d{4}-\d{2})"( selected)?>', page)
    months = [m for m, _ in options]
    assert months[0] == "2025-11" and months[-1] == "2010-08"  # newest first; prices start 2010-07-18
    assert len(months) == 12 * 15 + 4  # Aug 2010 .. Nov 2025
    assert [m for m, sel in options if sel] == [MONTH]


def test_no_script_and_nothing_fetched_from_elsewhere(api) -> None:
    page = api.get(f"/?month={MONTH}").text
    assert "<script" not in page
    fetched = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert fetched and all(u.startswith("/") for u in fetched), fetched
    css = api.get("/static/style.css")
    assert css.status_code == 200 and "url(" not in css.text and "@import" not in css.text


def test_charts_are_server_rendered_svg(api) -> None:
    page = api.get(f"/?month={MONTH}").text
    for chart_id in ("chart-hashprice", "chart-hashrate", "chart-btc"):
        assert f'id="{chart_id}"' in page
    assert "ATH close $106,116 (2024-12-17)" in page
    assert page.count("<polyline") >= 3


def test_default_month_and_links(api) -> None:
    page = api.get("/").text
    assert 'data-month="2025-11"' in page
    assert 'href="/note/2025-11"' in page and 'href="/api/v1/report/2025-11"' in page


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/?month=2025-13", 422, "month must be YYYY-MM (e.g. 2025-02), got &#39;2025-13&#39;"),
        (f"/note/{MONTH}?efficiency_jth=abc", 422, "efficiency_jth must be a number, got &#39;abc&#39;"),
        ("/?month=2030-01", 404, "network facts cover 2009-01-09 to 2025-12-29"),
        ("/note/2030-01", 404, "network facts cover 2009-01-09 to 2025-12-29"),
    ],
)
def test_page_errors(api, url: str, status: int, message: str) -> None:
    r = api.get(url)
    assert r.status_code == status
    assert message in r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"


def test_dashboard_etag(api) -> None:
    r = api.get(f"/?month={MONTH}")
    assert api.get(f"/?month={MONTH}", headers={"If-None-Match": r.headers["etag"]}).status_code == 304


def test_note_page_is_the_report_html(api) -> None:
    r = api.get(f"/note/{MONTH}")
    assert r.status_code == 200
    assert "February 2025" in r.text
    assert r.headers["etag"]


def test_basket_section_equals_the_api(api) -> None:
    r = api.get(f"/api/v1/basket?month={MONTH}")
    if r.status_code == 501:
        pytest.skip("the basket service is not in this tree")
    basket = r.json()
    page = api.get(f"/?month={MONTH}").text
    assert check_against_api(page, {"basket": basket}) >= 6  # the aggregate cards
    rows = re.findall(r'<tr data-ticker="([^"]+)">(.*?)</tr>', page, flags=re.S)
    assert [t for t, _ in rows] == [m["ticker"] for m in basket["members"]]
    by_ticker = {m["ticker"]: m for m in basket["members"]}
    for ticker, row in rows:
        assert check_against_api(row, {"member": by_ticker[ticker]}) == 5, ticker
    for name, row in re.findall(r'<tr data-cohort="([^"]+)">(.*?)</tr>', page, flags=re.S):
        assert check_against_api(row, {"cohort": basket["cohorts"][html.unescape(name)]}) == 3, name
    tags = dict(re.findall(r'<span class="tag" data-field="([^"]+)">([^<]*)</span>', page))
    assert tags == {"basket.best": basket["best"]["ticker"], "basket.worst": basket["worst"]["ticker"]}
    shown = {f: t for f, _, t in figures(page)}
    # Best/worst are chosen on share-price returns, so the card shows those (not the market-cap change).
    assert shown["best.price_change_pct"] == f"{basket['best']['price_change_pct']:+.2f}%"
    assert shown["worst.price_change_pct"] == f"{basket['worst']['price_change_pct']:+.2f}%"
    assert 'id="chart-basket"' in page
    assert "share-price change in 2025-02, %" in page


def test_partial_month_without_btc_comparison(api) -> None:
    """December 2025: network/BTC end on 29 December, equities on 31 December, so beat-BTC is unknown."""
    basket = api.get("/api/v1/basket?month=2025-12")
    if basket.status_code == 501:
        pytest.skip("the basket service is not in this tree")
    assert basket.json()["beat_btc_count"] is None
    page = api.get("/?month=2025-12").text
    assert "(partial month: 29 of 31 days)" in page
    shown = {f: t for f, _, t in figures(page)}
    assert shown["basket.beat_btc_count"] == "n/a"  # not "None of 14"
    assert "None of" not in page
    rows = re.findall(r'<tr data-ticker="([^"]+)">(.*?)</tr>', page, flags=re.S)
    assert rows and all(row.rstrip().endswith("<td>n/a</td>") for _, row in rows)


def test_hashrate_chart_has_a_7_day_mean(api) -> None:
    """The daily block-count hashrate is noisy; the chart adds the 7-day trailing mean the API serves."""
    page = api.get(f"/?month={MONTH}").text
    chart = page.split('id="chart-hashrate"')[1].split("</svg>")[0]
    assert chart.count("<polyline") == 2 and "7-day mean" in chart
    smooth = api.json("/api/v1/network?from=2025-02-22&to=2025-02-28&smooth=7")
    raw = api.json("/api/v1/network?from=2025-02-16&to=2025-02-28")
    # The smoothed value on 28 February is the mean of the 7 daily values to that day.
    last7 = [r["hashrate_ehs"] for r in raw][-7:]
    assert smooth[-1]["hashrate_ehs"] == pytest.approx(sum(last7) / 7, rel=1e-9)


def test_old_share_counts_are_named(api) -> None:
    basket = api.json(f"/api/v1/basket?month={MONTH}")
    assert [m["ticker"] for m in basket["stale_shares"]] == ["BTDR", "IREN"]
    page = api.get(f"/?month={MONTH}").text
    line = page.split('id="stale-shares">')[1].split("</p>")[0]
    assert line == (
        "Old share counts (market caps may miss issuance since): "
        "BTDR (326 days on 2025-02-28, as of 2024-04-08); IREN (182 days on 2025-02-28, as of 2024-08-30)."
    )
