"""The note's charts: matplotlib (Agg, no pyplot state), byte-deterministic SVG and PNG.

Determinism: a fixed font (DejaVu Sans ships with matplotlib), text drawn as paths, a fixed
`svg.hashsalt` (element ids), no `Date` in the SVG metadata and no `Software` stamp in the PNG.
Data come from the service functions; each `*_data` function returns a small polars frame that the
renderer draws, so the figures are testable without pixels.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from minerwatch import service
from minerwatch.report import fmt

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.fonttype": "path",
    "svg.hashsalt": "minerwatch-report",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "path.simplify": False,
}
SIZE_IN = (8.0, 3.6)
#: Every chart the note can have, in the order it appears.
CHART_NAMES = ("hashprice", "btc", "basket", "members")
BLUE, ORANGE, GREY, GREEN, RED = "#1f5a96", "#d9822b", "#6b7280", "#2f855a", "#c53030"


@dataclass
class Chart:
    """One chart: its file stem, title and caption, and the frame it draws."""

    name: str
    title: str
    caption: str
    data: pl.DataFrame
    draw: Callable[[Any, pl.DataFrame], None]


def window_start(month: str, months: int) -> date:
    """First day of the `months`-month window ending with `month`."""
    first, _ = service.parse_month(month)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


# -- data --------------------------------------------------------------------------------------------


def hashprice_data(store: Any, month: str, months: int) -> pl.DataFrame:
    """Daily hashprice (USD per EH/s per day) over the window, with each month's mean alongside."""
    start = window_start(month, months)
    _, end = service.parse_month(month)
    from minerwatch.report.facts import halving_in

    halving = halving_in(store, start, end)
    daily = service.network_daily(store, start, end).select("date", "usd_per_ehs_day")
    daily = daily.filter(pl.col("usd_per_ehs_day").is_not_null())
    marker = pl.col("date") == pl.lit(halving["date"]) if halving else pl.lit(False)
    daily = daily.with_columns(marker.alias("halving"))
    daily = daily.with_columns(pl.col("date").dt.strftime("%Y-%m").alias("month"))
    means = daily.group_by("month").agg(pl.col("usd_per_ehs_day").mean().alias("month_mean_usd_per_ehs_day"))
    return daily.join(means, on="month").sort("date")


def btc_data(store: Any, month: str, months: int) -> pl.DataFrame:
    """Daily BTC closes over the window and the running all-time closing high (full history as of each day)."""
    start = window_start(month, months)
    _, end = service.parse_month(month)
    closes = service.btc_closes(store, None, end).select("date", "close_usd").sort("date")
    closes = closes.with_columns(pl.col("close_usd").cum_max().alias("ath_close_usd"))
    return closes.filter(pl.col("date") >= start)


def members_data(basket: dict[str, Any]) -> pl.DataFrame:
    """Members' return in the month (share price where given, else market cap), best first."""
    from minerwatch.report.sentences import member_return_pct

    rows = [
        {"ticker": m["ticker"], "change_pct": float(member_return_pct(m)), "cohort": m.get("cohort") or ""}  # type: ignore[arg-type]
        for m in basket.get("members") or []
        if member_return_pct(m) is not None
    ]
    schema = {"ticker": pl.String, "change_pct": pl.Float64, "cohort": pl.String}
    return pl.DataFrame(rows, schema=schema).sort(["change_pct", "ticker"], descending=[True, False])


def basket_data(store: Any, basket: dict[str, Any], month: str, months: int) -> pl.DataFrame | None:
    """Daily aggregate market cap of the month's members over the window, if the basket service gives series."""
    try:
        from minerwatch.service_basket import equity_series  # type: ignore[import-not-found]
    except ImportError:
        return None
    start = window_start(month, months)
    _, end = service.parse_month(month)
    frames = []
    from minerwatch.errors import MinerwatchError

    for m in basket.get("members") or []:
        try:
            s = equity_series(store, m["ticker"], start, end)
        except MinerwatchError:
            continue  # a member without prices in the window is left out of the line (the caption says so)
        if not isinstance(s, pl.DataFrame) or "market_cap_usd" not in s.columns or s.height == 0:
            continue
        frames.append(s.select("date", "market_cap_usd").drop_nulls())
    if not frames:
        return None
    total = (
        pl.concat(frames)
        .group_by("date")
        .agg(pl.col("market_cap_usd").sum().alias("market_cap_usd"), pl.len().alias("members"))
    )
    # Only days on which every member has a market cap, so the line never dips for a missing quote.
    return total.filter(pl.col("members") == len(frames)).sort("date")


# -- drawing ------------------------------------------------------------------------------------------


def _usd_axis(ax: Any, scale: float = 1.0, suffix: str = "") -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"${v / scale:,.0f}{suffix}"))


def _date_axis(ax: Any) -> None:
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=[1, 3, 5, 7, 9, 11]))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))


def draw_hashprice(ax: Any, d: pl.DataFrame) -> None:
    """Daily hashprice as a thin line, the monthly means as steps."""
    ax.plot(d["date"].to_list(), d["usd_per_ehs_day"].to_list(), color=BLUE, lw=0.8, alpha=0.6, label="daily")
    ax.step(
        d["date"].to_list(),
        d["month_mean_usd_per_ehs_day"].to_list(),
        where="post",
        color=ORANGE,
        lw=1.8,
        label="monthly mean",
    )
    if "halving" in d.columns:
        for day in d.filter(pl.col("halving"))["date"].to_list():
            ax.axvline(day, color=GREY, lw=1.0, ls=":", label="subsidy halving")
    ax.set_ylabel("USD per EH/s per day")
    _usd_axis(ax, 1000, "k")
    _date_axis(ax)
    ax.legend(loc="upper left", frameon=False)


def draw_btc(ax: Any, d: pl.DataFrame) -> None:
    """BTC daily close and the running all-time closing high."""
    ax.plot(d["date"].to_list(), d["close_usd"].to_list(), color=BLUE, lw=1.2, label="daily close")
    ax.step(
        d["date"].to_list(),
        d["ath_close_usd"].to_list(),
        where="post",
        color=GREY,
        lw=1.0,
        ls="--",
        label="all-time closing high",
    )
    ax.set_ylabel("USD per BTC")
    _usd_axis(ax, 1000, "k")
    _date_axis(ax)
    ax.legend(loc="upper left", frameon=False)


def draw_basket(ax: Any, d: pl.DataFrame) -> None:
    """The members' aggregate market cap, daily."""
    ax.plot(d["date"].to_list(), d["market_cap_usd"].to_list(), color=BLUE, lw=1.2)
    ax.set_ylabel("aggregate market cap")
    _usd_axis(ax, 1e9, "bn")
    _date_axis(ax)


def draw_members(ax: Any, d: pl.DataFrame, btc_change_pct: float | None = None) -> None:
    """Horizontal bars of each member's change, with BTC's change as a reference line."""
    tickers = d["ticker"].to_list()[::-1]
    values = d["change_pct"].to_list()[::-1]
    ax.barh(tickers, values, color=[GREEN if v >= 0 else RED for v in values], height=0.7)
    ax.axvline(0, color="black", lw=0.8)
    if btc_change_pct is not None:
        ax.axvline(btc_change_pct, color=ORANGE, lw=1.2, ls="--", label=f"BTC {fmt.signed_pct(btc_change_pct)}")
        ax.legend(loc="best", frameon=False)
    ax.set_xlabel("share-price change in the month, %")
    ax.grid(axis="y", visible=False)


# -- rendering -----------------------------------------------------------------------------------------


def render(chart: Chart, out_dir: Path) -> dict[str, Path]:
    """Write `<name>.svg` and `<name>.png` for a chart; returns their paths."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        height = SIZE_IN[1]
        if chart.name == "members":
            height = max(SIZE_IN[1], 0.28 * chart.data.height + 1.0)
        fig = Figure(figsize=(SIZE_IN[0], height))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        chart.draw(ax, chart.data)
        ax.set_title(chart.title, loc="left", fontsize=10)
        fig.tight_layout()
        paths = {"svg": out_dir / f"{chart.name}.svg", "png": out_dir / f"{chart.name}.png"}
        svg = io.BytesIO()
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
        paths["svg"].write_bytes(svg.getvalue())
        png = io.BytesIO()
        fig.savefig(png, format="png", metadata={"Software": None})
        paths["png"].write_bytes(png.getvalue())
    return paths


def charts_for(store: Any, facts: dict[str, Any], basket: dict[str, Any] | None) -> list[Chart]:
    """The note's charts for a month (basket charts only when the equities section has data)."""
    month = facts["month"]
    window = facts["charts_window"]
    span = f"{window['first_month']} to {window['last_month']}"
    hp = hashprice_data(store, month, window["months"])
    halvings = hp.filter(pl.col("halving"))["date"].to_list()
    halved = f"; dotted line: the subsidy halving of {fmt.day_label(halvings[0])}" if halvings else ""
    out = [
        Chart(
            "hashprice",
            "Hashprice, USD per EH/s per day",
            f"Hashprice, daily and monthly mean (USD per EH/s per day), {span}{halved}.",
            hp,
            draw_hashprice,
        ),
        Chart(
            "btc",
            "BTC price and all-time closing high",
            f"BTC daily close with the running all-time closing high, {span}.",
            btc_data(store, month, window["months"]),
            draw_btc,
        ),
    ]
    if basket is not None:
        agg = basket_data(store, basket, month, window["months"])
        if agg is not None and agg.height > 1:
            out.append(
                Chart(
                    "basket",
                    "Miner equities: aggregate market cap",
                    f"Aggregate market cap of the {facts['month_label']} members, {span}.",
                    agg,
                    draw_basket,
                )
            )
        bars = members_data(basket)
        if bars.height:
            btc_change = basket.get("btc_change_pct")
            dashed = "; dashed line: BTC over the same dates" if btc_change is not None else ""
            out.append(
                Chart(
                    "members",
                    f"Member share-price change, {facts['month_label']}",
                    f"Share-price change of each member in {facts['month_label']}{dashed}.",
                    bars,
                    lambda ax, d: draw_members(ax, d, btc_change),
                )
            )
    return out
