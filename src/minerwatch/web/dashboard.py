"""What the dashboard shows for a month: the service answers per section, plus the charts' series.

Each section is computed independently: a section whose data is missing (or whose module this
install lacks) carries a one-line `error` and the rest of the page is still shown.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import polars as pl

from minerwatch.errors import DataGap, InputError, MinerwatchError
from minerwatch.store import Store
from minerwatch.web import charts

#: How many months of daily history the hashprice/hashrate charts show (the selected one included).
CHART_MONTHS = 13
#: Trailing window of the hashrate chart's smoothed line (the daily estimate stays drawn underneath).
HASHRATE_SMOOTH_DAYS = 7
#: How many days of BTC closes the price chart shows, ending on the month's last day.
BTC_CHART_DAYS = 365


def available_months(store: Store) -> list[str]:
    """Months (newest first) from the first full month with network facts and prices to the latest complete."""
    from minerwatch import service

    rng = service.data_range(store)
    if rng["network_first"] is None or rng["prices_first"] is None:
        return []
    latest = service.latest_complete_month(store)
    start = max(rng["network_first"], rng["prices_first"])
    if start.day != 1:
        start = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    months = []
    y, m = start.year, start.month
    while f"{y:04d}-{m:02d}" <= latest:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months[::-1]


def months_back(first_of_month: date, n: int) -> date:
    """The first day of the month `n` months before `first_of_month`."""
    y, m = first_of_month.year, first_of_month.month - n
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def _section(build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return {"data": build(), "error": None}
    except InputError:
        raise
    except MinerwatchError as exc:
        return {"data": None, "error": str(exc)}


def _network_charts(store: Store, month: str, hp: dict[str, Any]) -> dict[str, str]:
    from minerwatch import service

    first, last = service.parse_month(month)
    start = months_back(first, CHART_MONTHS - 1)
    try:
        daily = service.network_daily(store, start, last, estimator=hp["estimator"], basis=hp["basis"])
    except DataGap:
        daily = pl.DataFrame({"date": [], "usd_per_ehs_day": [], "hashrate_ehs": []})
    monthly = (
        daily.filter(pl.col("usd_per_ehs_day").is_not_null())
        .group_by(pl.col("date").dt.truncate("1mo").alias("month"))
        .agg(pl.col("usd_per_ehs_day").mean().alias("mean"), pl.col("date").max().alias("last"))
        .sort("month")
    )
    # Monthly means drawn as steps across each month, so a month's level reads at a glance.
    steps: list[tuple[date, float | None]] = []
    for row in monthly.iter_rows(named=True):
        steps += [(row["month"], row["mean"]), (row["last"], row["mean"]), (row["last"], None)]
    band = charts.Band(first, last, month)
    pts = list(zip(daily["date"].to_list(), daily["usd_per_ehs_day"].to_list(), strict=True))
    hr = list(zip(daily["date"].to_list(), daily["hashrate_ehs"].to_list(), strict=True))
    # The block-count estimate is noisy day to day (blocks are a Poisson count): a 7-day mean shows the trend.
    try:
        smooth = service.network_daily(
            store, start, last, estimator=hp["estimator"], basis=hp["basis"], smooth_days=HASHRATE_SMOOTH_DAYS
        )
        hr7 = list(zip(smooth["date"].to_list(), smooth["hashrate_ehs"].to_list(), strict=True))
    except DataGap:
        hr7 = []
    return {
        "hashprice": charts.line_chart(
            [
                charts.Series("daily", pts, charts.PALETTE[0], 1.0),
                charts.Series("monthly mean", steps, charts.PALETTE[1], 2.2),
            ],
            title=f"Hashprice, USD per EH/s per day ({hp['estimator']}, {hp['basis']})",
            y_label="USD/EH/s/day",
            band=band,
            chart_id="chart-hashprice",
        ),
        "hashrate": charts.line_chart(
            [
                charts.Series("daily", hr, "#9cc8ae", 0.9),
                charts.Series(f"{HASHRATE_SMOOTH_DAYS}-day mean", hr7, charts.PALETTE[2], 2.0),
            ],
            title=f"Network hashrate, EH/s ({hp['estimator']})",
            y_label="EH/s",
            band=band,
            chart_id="chart-hashrate",
        ),
    }


def _btc_chart(store: Store, month: str, btc: dict[str, Any]) -> str:
    from minerwatch import service

    first, last = service.parse_month(month)
    closes = service.btc_closes(store, last - timedelta(days=BTC_CHART_DAYS - 1), last)
    pts = list(zip(closes["date"].to_list(), closes["close_usd"].to_list(), strict=True))
    hlines = []
    if btc.get("ath_close_usd") is not None:
        label = f"ATH close ${btc['ath_close_usd']:,.0f} ({btc['ath_close_date']})"
        hlines.append(charts.HLine(btc["ath_close_usd"], label))
    return charts.line_chart(
        [charts.Series("BTC close", pts, charts.PALETTE[0], 1.4)],
        title="BTC daily close, USD (trailing year)",
        y_label="USD",
        hlines=hlines,
        band=charts.Band(first, last, month),
        chart_id="chart-btc",
    )


def _basket_chart(basket: dict[str, Any]) -> str:
    """Members' share-price change as bars against BTC's change over the same dates (as best/worst and beat-BTC)."""
    members = sorted(
        (m for m in basket.get("members") or [] if m.get("price_change_pct") is not None),
        key=lambda m: m["price_change_pct"],
        reverse=True,
    )
    ref = None
    if basket.get("btc_change_pct") is not None:
        ref = charts.HLine(basket["btc_change_pct"], f"BTC {basket['btc_change_pct']:+.1f}%")
    return charts.bar_chart(
        [(m["ticker"], m["price_change_pct"]) for m in members],
        title=f"Members' share-price change in {basket['month']}, %",
        reference=ref,
        chart_id="chart-basket",
    )


def fleet_defaults() -> dict[str, float]:
    """The monthly note's default fleet (J/TH, USD/kWh), so the dashboard opens on the note's figures."""
    try:
        report = importlib.import_module("minerwatch.report")
    except ImportError:
        return {}
    out = {}
    for key in ("efficiency_jth", "power_usd_kwh"):
        value = getattr(report, f"DEFAULT_{key.upper()}", None)
        if isinstance(value, int | float):
            out[key] = float(value)
    return out


def dashboard_context(
    store: Store,
    month: str | None,
    *,
    efficiency_jth: float | None = None,
    power_usd_kwh: float | None = None,
    fleet_error: str | None = None,
) -> dict[str, Any]:
    """Everything the dashboard template needs for one month; InputError for a malformed month.

    `fleet_error` (a fleet field that is not a number) is shown in the economics section only.
    """
    from minerwatch import service
    from minerwatch.api import NotAvailable, api_message, optional_service

    months = available_months(store)
    if month is None:
        month = service.latest_complete_month(store)
    service.parse_month(month)

    hp = _section(lambda: service.hashprice_month(store, month))
    btc = _section(lambda: service.btc_month(store, month))
    if hp["data"] is None and btc["data"] is None:
        # Nothing to show for this month at all: answer like the API does (404 naming the range).
        raise DataGap(f"{hp['error']}; BTC: {btc['error']}")
    chart: dict[str, str] = {}
    if hp["data"]:
        chart.update(_network_charts(store, month, hp["data"]))
    if btc["data"]:
        chart["btc"] = _btc_chart(store, month, btc["data"])

    def basket_build() -> dict[str, Any]:
        fn = optional_service("minerwatch.service_basket", "basket_month", "the basket section")
        return fn(store, month)

    basket = _section(basket_build)
    if basket["data"]:
        chart["basket"] = _basket_chart(basket["data"])

    defaults = fleet_defaults()
    eff = efficiency_jth if efficiency_jth is not None else defaults.get("efficiency_jth")
    power = power_usd_kwh if power_usd_kwh is not None else defaults.get("power_usd_kwh")

    def econ_build() -> dict[str, Any]:
        fn = optional_service("minerwatch.service_economics", "economics_month", "the economics section")
        if eff is None or power is None:
            raise InputError("enter the fleet's J/TH and the power price in USD/kWh above to see its economics")
        return fn(store, month, efficiency_jth=eff, power_usd_kwh=power)

    try:
        if fleet_error:
            raise InputError(fleet_error)
        econ = _section(econ_build)
    except InputError as exc:
        # Bad fleet inputs only spoil the economics section, not the page.
        econ = {"data": None, "error": api_message(exc)}

    try:
        optional_service("minerwatch.report", "write_report", "the note")
        note_available = True
    except NotAvailable:
        note_available = False

    return {
        "month": month,
        "months": months,
        "hashprice": hp,
        "btc": btc,
        "basket": basket,
        "economics": econ,
        "economics_inputs": {"efficiency_jth": eff, "power_usd_kwh": power},
        "economics_default_fleet": eff == defaults.get("efficiency_jth") and power == defaults.get("power_usd_kwh"),
        "charts": chart,
        "note_available": note_available,
    }
