"""The SVG chart helpers: tick choice, coordinates worked by hand, gaps, escaping, determinism."""

from __future__ import annotations

import re
from datetime import date

from minerwatch.web import charts


def test_nice_ticks() -> None:
    assert charts.nice_ticks(0, 95) == [0, 20, 40, 60, 80, 100]
    # raw step (102783 - 78258) / 5 = 4905 -> 5000; from floor(78258 / 5000) x 5000 = 75000.
    assert charts.nice_ticks(78258, 102783) == [75000, 80000, 85000, 90000, 95000, 100000, 105000]
    # A flat series is padded by 5% (4.75..5.25): raw step 0.1, from floor(4.75 / 0.1) x 0.1.
    assert charts.nice_ticks(5, 5) == [4.7, 4.8, 4.9, 5.0, 5.1, 5.2, 5.3]
    assert charts.nice_ticks(float("nan"), 1) == []


def test_line_chart_coordinates() -> None:
    pts = [(date(2025, 1, 1), 0.0), (date(2025, 1, 3), 50.0), (date(2025, 1, 5), 100.0)]
    svg = charts.line_chart([charts.Series("s", pts)], title="t", y_label="y")
    # Plot box: x 72..624 (552 wide), y 28..206 (178 high); y ticks 0..100.
    # Jan 1 -> 72, Jan 3 -> 72 + 552 x 2/4 = 348, Jan 5 -> 624; 0 -> 206, 50 -> 117, 100 -> 28.
    assert 'points="72.0,206.0 348.0,117.0 624.0,28.0"' in svg
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart"')
    assert svg == charts.line_chart([charts.Series("s", pts)], title="t", y_label="y")


def test_gaps_split_the_line_and_hline_and_band() -> None:
    pts = [(date(2025, 1, d), v) for d, v in [(1, 1.0), (2, 2.0), (3, None), (4, 3.0), (5, 4.0)]]
    svg = charts.line_chart(
        [charts.Series("s", pts)],
        title="t",
        y_label="y",
        hlines=[charts.HLine(5.0, "top")],
        band=charts.Band(date(2025, 1, 4), date(2025, 1, 5), "m"),
    )
    assert svg.count("<polyline") == 2
    assert '<line class="hline"' in svg and ">top</text>" in svg
    assert '<rect class="band" x="486.0"' in svg  # Jan 4 of Jan 1..5 -> 72 + 552 x 3/4 = 486


def test_escaping_and_empty() -> None:
    svg = charts.line_chart([], title="a <b> & c", y_label="y")
    assert "<title>a &lt;b&gt; &amp; c</title>" in svg and ">no data</text>" in svg


def test_bar_chart() -> None:
    svg = charts.bar_chart([("UP", 10.0), ("DOWN", -5.0), ("NONE", None)], title="t",
                           reference=charts.HLine(2.0, "BTC +2.0%"))
    assert re.findall(r"<title>(\w+): ([+-][\d.]+)%</title>", svg) == [("UP", "+10.00"), ("DOWN", "-5.00")]
    assert svg.index(charts.PALETTE[2]) < svg.index(charts.PALETTE[3])  # green up bar before red down bar
    assert ">BTC +2.0%</text>" in svg
    assert "NONE" not in svg
