"""Mining economics commands: economics, breakeven, scenario (with a grid), difficulty forecast/backtest."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from minerwatch.commands.common import DbOption, FormatOption, MonthOption, emit, store
from minerwatch.output import Format, fmt_num, frame_table, key_value_table

EfficiencyOption = Annotated[
    float, typer.Option("--efficiency-jth", help="Fleet efficiency in J/TH (e.g. 26 for an S19 XP class fleet).")
]
PowerOption = Annotated[float, typer.Option("--power-usd-kwh", help="Power price in USD per kWh (e.g. 0.04).")]
OpexOption = Annotated[
    float, typer.Option("--opex-usd-kwh", help="Other running cost (hosting, upkeep) in USD per kWh drawn.")
]
PoolFeeOption = Annotated[float, typer.Option("--pool-fee-pct", help="Pool fee, percent of mining revenue.")]


def _usd(value: float | None, decimals: int = 2) -> str:
    """Dollars with the sign before the symbol: -$3,500.00."""
    if value is None:
        return "n/a"
    return ("-$" if value < 0 else "$") + fmt_num(abs(value), decimals)


def _vs(pct: float | None, other: str) -> str:
    return "" if pct is None else f"  ({fmt_num(pct, 1, sign=True)}% vs {other})"


def _and_vs(pct: float | None, other: str) -> str:
    return "" if pct is None else f"; {fmt_num(pct, 1, sign=True)}% vs {other}"


def economics_table(d: dict[str, Any]) -> str:
    payback = (
        f"{fmt_num(d['payback_days'], 0)} days at {_usd(d['machine_usd_per_th'], 2)}/TH"
        if d["machine_usd_per_th"] is not None
        else "n/a (give --machine-usd-per-th)"
    )
    if d["machine_usd_per_th"] is not None and d["payback_days"] is None:
        payback = "never (no gross profit)"
    rows = [
        (
            "Revenue per EH/s per day",
            f"{_usd(d['revenue_usd_per_ehs_day'], 2)}  (hashprice {_usd(d['hashprice_usd_per_ehs_day'], 2)}, "
            f"pool fee {fmt_num(d['pool_fee_pct'], 2)}%{_and_vs(d['revenue_mom_change_pct'], d['previous_month'])})",
        ),
        (
            "Cost per EH/s per day",
            f"{_usd(d['cost_usd_per_ehs_day'], 2)}  ({fmt_num(d['kwh_per_ehs_day'], 0)} kWh x "
            f"{_usd(d['power_usd_kwh'], 4)} power + {_usd(d['opex_usd_kwh'], 4)} opex)",
        ),
        (
            "Gross profit per EH/s per day",
            f"{_usd(d['gross_profit_usd_per_ehs_day'], 2)}" + _vs(d["mom_change_pct"], d["previous_month"]),
        ),
        (
            "Gross margin",
            fmt_num(d["gross_margin_pct"], 2, suffix="%")
            + (
                ""
                if d["gross_margin_mom_change_pp"] is None
                else f"  ({fmt_num(d['gross_margin_mom_change_pp'], 1, sign=True)} pp vs {d['previous_month']})"
            ),
        ),
        (
            "Breakeven power price",
            f"{_usd(d['breakeven_power_usd_kwh'], 4)}/kWh" + _vs(d["breakeven_mom_change_pct"], d["previous_month"]),
        ),
        (
            "Cost to mine 1 BTC",
            f"{_usd(d['cost_per_btc_usd'], 2)}  (power + opex, after pool fee"
            f"{_and_vs(d['cost_per_btc_mom_change_pct'], d['previous_month'])})",
        ),
        ("Payback", payback),
        ("Days", f"{d['days']} of {d['days_in_month']} ({d['days_profitable']} profitable)"),
    ]
    title = (
        f"Mining economics {d['month']}  (fleet {fmt_num(d['efficiency_jth'], 1)} J/TH; "
        f"monthly mean; revenue = hashprice, blockcount/realized)"
    )
    return key_value_table(rows, title)


def breakeven_table(d: dict[str, Any]) -> str:
    rows = [
        ("Breakeven power price", f"{_usd(d['breakeven_power_usd_kwh'], 4)}/kWh"),
        (
            "Revenue per EH/s per day",
            f"{_usd(d['revenue_usd_per_ehs_day'], 2)} (pool fee {fmt_num(d['pool_fee_pct'], 2)}%)",
        ),
        ("Energy per EH/s per day", f"{fmt_num(d['kwh_per_ehs_day'], 0)} kWh"),
        ("Opex", f"{_usd(d['opex_usd_kwh'], 4)}/kWh"),
        ("BTC close", f"{_usd(d['close_usd'], 2)}"),
        ("Network hashrate (EH/s)", fmt_num(d["hashrate_ehs"], 1)),
    ]
    return key_value_table(rows, f"Breakeven {d['date']}  (fleet {fmt_num(d['efficiency_jth'], 1)} J/TH)")


def scenario_table(d: dict[str, Any]) -> str:
    halving = f"height {d['next_halving_height']:,}, estimated {d['next_halving_estimated_date']}"
    rows = [
        ("Hashprice per EH/s per day", f"{_usd(d['hashprice_usd_per_ehs_day'], 2)}"),
        ("Hashprice per PH/s per day", f"{_usd(d['hashprice_usd_per_phs_day'], 2)}"),
        ("BTC per EH/s per day", fmt_num(d["btc_per_ehs_day"], 8)),
        ("Estimated height (end of day)", f"{d['estimated_height']:,}"),
        (
            "Subsidy per block",
            f"{fmt_num(d['subsidy_btc'], 8)} BTC" + (" (halving that day)" if d["halving_that_day"] else ""),
        ),
        (
            "Next halving",
            halving
            + (
                " (on this day)"
                if d["halving_that_day"]
                else " (before this date)"
                if d["halvings_before_date"]
                else ""
            ),
        ),
        ("Block rate", f"{fmt_num(d['block_rate_per_day'], 2)}/day ({d['block_rate_basis']})"),
    ]
    if "breakeven_power_usd_kwh" in d:
        rows.append(
            (
                "Breakeven power price",
                f"{_usd(d['breakeven_power_usd_kwh'], 4)}/kWh at {fmt_num(d['efficiency_jth'], 1)} J/TH",
            )
        )
    if "gross_profit_usd_per_ehs_day" in d:
        rows.append(("Gross profit per EH/s per day", f"{_usd(d['gross_profit_usd_per_ehs_day'], 2)}"))
        rows.append(("Gross margin", fmt_num(d["gross_margin_pct"], 2, suffix="%")))
        rows.append(("Cost to mine 1 BTC", f"{_usd(d['cost_per_btc_usd'], 2)}"))
    if "payback_days" in d:
        rows.append(
            (
                "Payback",
                f"{fmt_num(d['payback_days'], 0)} days at {_usd(d['machine_usd_per_th'], 2)}/TH (at this day's profit)"
                if d["payback_days"] is not None
                else "never (no gross profit)",
            )
        )
    title = (
        f"Scenario {d['date']}  (BTC {_usd(d['price_usd'], 0)}, {fmt_num(d['hashrate_ehs'], 1)} EH/s, "
        f"fees {fmt_num(d['fee_share_pct'], 2)}% of reward)"
    )
    return key_value_table(rows, title)


def grid_table(d: dict[str, Any]) -> str:
    powers = d["power_prices_usd_kwh"]
    by = {(c["price_usd"], c["power_usd_kwh"]): c["gross_margin_pct"] for c in d["cells"]}
    head = ["BTC price \\ $/kWh"] + [fmt_num(w, 3) for w in powers]
    body = [[f"{_usd(p, 0)}"] + [fmt_num(by[(p, w)], 1, suffix="%") for w in powers] for p in d["prices_usd"]]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = [
        f"Gross margin {d['date']}  (fleet {fmt_num(d['efficiency_jth'], 1)} J/TH, "
        f"opex {_usd(d['opex_usd_kwh'], 4)}/kWh, pool fee {fmt_num(d['pool_fee_pct'], 2)}%; "
        f"{fmt_num(d['hashrate_ehs'], 1)} EH/s, fees {fmt_num(d['fee_share_pct'], 2)}%, "
        f"subsidy {fmt_num(d['subsidy_btc'], 8)} BTC)",
    ]
    lines.append("  ".join(c.rjust(w) for c, w in zip(head, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(lines)


def forecast_table(d: dict[str, Any]) -> str:
    r68, r95 = d["change_range68_pct"], d["change_range95_pct"]
    rows = [
        ("Next retarget height", f"{d['next_retarget_height']:,} ({d['blocks_remaining']:,} blocks to go)"),
        (
            "Estimated date",
            f"{d['estimated_retarget_utc']:%Y-%m-%d %H:%M} UTC (sd {fmt_num(d['retarget_date_sd_hours'], 1)} h; "
            f"95%: {d['retarget_utc_range95'][0]:%Y-%m-%d %H:%M} to {d['retarget_utc_range95'][1]:%Y-%m-%d %H:%M})",
        ),
        (
            "Expected change",
            f"{fmt_num(d['expected_change_pct'], 2, sign=True)}% (68%: {fmt_num(r68[0], 2, sign=True)}% to "
            f"{fmt_num(r68[1], 2, sign=True)}%; 95%: {fmt_num(r95[0], 2, sign=True)}% to "
            f"{fmt_num(r95[1], 2, sign=True)}%)",
        ),
        (
            "Difficulty",
            f"{fmt_num(d['current_difficulty'], 0)} -> {fmt_num(d['expected_difficulty'], 0)} "
            f"(current from {d['difficulty_source']})"
            if d["current_difficulty"] is not None
            else "unknown: no checkpoint, bitcoind header or whole day of this epoch in the store",
        ),
        (
            "Blocks into epoch",
            f"{d['blocks_into_epoch']:,} of 2,016 (epoch {d['epoch']}, from height {d['epoch_first_height']:,})",
        ),
        ("Mean block interval", f"{fmt_num(d['mean_block_interval_seconds'], 1)} s"),
        ("Block times", d["block_times"]),
        (
            "Backtest at this progress",
            f"median abs error {fmt_num(d['backtest_median_abs_error_pp'], 2)} pp, p90 "
            f"{fmt_num(d['backtest_p90_abs_error_pp'], 2)} pp over {d['backtest_epochs']} epochs "
            f"since {d['backtest_since']}",
        ),
    ]
    if d["clamped"]:
        rows.append(("Clamp", "the projected timespan hits the 4x limit"))
    return key_value_table(rows, f"Difficulty forecast as of {d['as_of']} (height {d['height']:,})")


def backtest_table(d: dict[str, Any]) -> str:
    import polars as pl

    def pp(v: float | None) -> str:
        return fmt_num(v, 2)

    def pct(v: float | None) -> str:
        return fmt_num(v, 1, suffix="%")

    frame = pl.DataFrame(
        [
            {
                "at": f"{p['progress']:.0%}",
                "epochs": str(p["epochs"]),
                "median |err| pp": pp(p["median_abs_error_pp"]),
                "mean |err| pp": pp(p["mean_abs_error_pp"]),
                "p90 |err| pp": pp(p["p90_abs_error_pp"]),
                "rmse pp": pp(p["rmse_pp"]),
                "bias pp": fmt_num(p["bias_pp"], 2, sign=True),
                "stated sd pp": pp(p["median_stated_sd_pp"]),
                "in 1 sd": pct(p["within_1sd_pct"]),
                "in 95%": pct(p["within_95_pct"]),
                "sign right": pct(p["direction_right_pct"]),
            }
            for p in d["points"]
        ]
    )
    since = f" ending since {d['since']}" if d["since"] else ""
    head = (
        f"Difficulty forecast backtest: epochs {d['first_epoch']}-{d['last_epoch']} ({d['epochs']} epochs{since})\n"
        f"Mid-epoch median absolute error: {fmt_num(d['mid_epoch_median_abs_error_pp'], 2)} pp "
        f"(block-time proxy floor at full epoch: {fmt_num(d['proxy_floor_median_abs_error_pp'], 2)} pp)\n"
    )
    return head + frame_table(frame)


def hashrate_share_table(d: dict[str, Any]) -> str:
    rows = [
        (
            "Basket's reported hashrate",
            f"{fmt_num(d['reported_hashrate_ehs'], 1)} EH/s = {fmt_num(d['hashrate_share_pct'], 2)}% of "
            f"{fmt_num(d['network_hashrate_ehs'], 1)} EH/s "
            f"({d['reporting_members']} of {d['basket_members']} members report)",
        ),
        (
            "Next 4 years of rewards",
            f"{fmt_num(d['rewards_next_four_years_btc'], 0)} BTC at {_usd(d['btc_close_usd'], 2)}",
        ),
        (
            "Market cap / reward share",
            f"{fmt_num(d['market_cap_to_reward_share_multiple'], 2)}x "
            f"(market cap {_usd(d['market_cap_end_usd'], 0)} / {fmt_num(d['hashrate_share_pct_with_market_cap'], 2)}% "
            f"of those rewards' value = {_usd(d['reward_share_value_usd'], 0)})",
        ),
    ]
    if d["produced_reward_share_pct"] is not None:
        rows.append(
            (
                "Check: BTC produced",
                f"{fmt_num(d['btc_produced'], 0)} BTC = {fmt_num(d['produced_reward_share_pct'], 2)}% of the "
                f"{fmt_num(d['month_reward_btc'], 0)} BTC mined ({d['members_with_btc_produced']} members; their "
                f"reported hashrate: {fmt_num(d['hashrate_share_pct_same_members'], 2)}%) "
                f"-> {fmt_num(d['market_cap_to_produced_share_multiple'], 2)}x",
            )
        )
    for m in d["members"]:
        made = (
            ""
            if m["produced_reward_share_pct"] is None
            else f"; produced {fmt_num(m['btc_produced'], 0)} BTC = {fmt_num(m['produced_reward_share_pct'], 2)}% "
            f"-> {fmt_num(m['market_cap_to_produced_share_multiple'], 2)}x"
        )
        rows.append(
            (
                f"  {m['ticker']}",
                f"{fmt_num(m['hashrate_ehs'], 2)} EH/s ({m['metric']}) = {fmt_num(m['hashrate_share_pct'], 2)}% "
                f"-> {fmt_num(m['market_cap_to_reward_share_multiple'], 2)}x{made}",
            )
        )
    rows.append(("Not reporting", ", ".join(d["not_reporting"]) or "none"))
    return key_value_table(rows, f"Basket hashrate share {d['month']}  (self-reported; metrics differ by company)")


def _floats(text: str | None, flag: str) -> list[float] | None:
    from minerwatch.errors import InputError

    if text is None:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"{flag} must be comma-separated numbers (e.g. 50000,70000), got {text!r}") from None


def register(app: typer.Typer) -> None:
    @app.command()
    def economics(
        efficiency_jth: EfficiencyOption,
        power_usd_kwh: PowerOption,
        month: MonthOption = None,
        opex_usd_kwh: OpexOption = 0.0,
        pool_fee_pct: PoolFeeOption = 0.0,
        machine_usd_per_th: Annotated[
            float | None, typer.Option("--machine-usd-per-th", help="Machine price, USD per TH/s, for the payback.")
        ] = None,
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """What is left after power: a fleet's gross profit per EH/s per day in a month, margin, breakeven, cost/BTC.

        Example: minerwatch economics --month 2025-02 --efficiency-jth 26 --power-usd-kwh 0.04
        """
        from minerwatch import service, service_economics

        with store(db) as s:
            m = month or service.latest_complete_month(s)
            data = service_economics.economics_month(
                s,
                m,
                efficiency_jth=efficiency_jth,
                power_usd_kwh=power_usd_kwh,
                opex_usd_kwh=opex_usd_kwh,
                pool_fee_pct=pool_fee_pct,
                machine_usd_per_th=machine_usd_per_th,
            )
        emit(data, fmt, economics_table)

    @app.command()
    def breakeven(
        efficiency_jth: EfficiencyOption,
        day: Annotated[
            str | None, typer.Option("--date", help="UTC day YYYY-MM-DD (default: latest in the store).")
        ] = None,
        opex_usd_kwh: OpexOption = 0.0,
        pool_fee_pct: PoolFeeOption = 0.0,
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """The power price at which a fleet stops paying on a day: revenue / kWh per day.

        Example: minerwatch breakeven --efficiency-jth 17.5 --date 2025-02-28
        """
        from minerwatch import service, service_economics

        d = service.parse_date(day, "--date") if day else None
        with store(db) as s:
            data = service_economics.breakeven(
                s, d, efficiency_jth=efficiency_jth, opex_usd_kwh=opex_usd_kwh, pool_fee_pct=pool_fee_pct
            )
        emit(data, fmt, breakeven_table)

    @app.command()
    def scenario(
        price: Annotated[float, typer.Option("--price", help="BTC price, USD.")],
        hashrate_ehs: Annotated[float, typer.Option("--hashrate-ehs", help="Network hashrate, EH/s.")],
        day: Annotated[str, typer.Option("--date", help="Scenario day YYYY-MM-DD, after the last day of data.")],
        fee_share_pct: Annotated[
            float, typer.Option("--fee-share-pct", help="Fees as a percent of the block reward.")
        ] = 0.0,
        efficiency_jth: Annotated[
            float | None, typer.Option("--efficiency-jth", help="Fleet J/TH (adds breakeven and, with power, profit).")
        ] = None,
        power_usd_kwh: Annotated[
            float | None, typer.Option("--power-usd-kwh", help="Power price, USD per kWh.")
        ] = None,
        opex_usd_kwh: OpexOption = 0.0,
        pool_fee_pct: PoolFeeOption = 0.0,
        grid: Annotated[bool, typer.Option("--grid", help="Print gross margin over BTC price x power price.")] = False,
        prices: Annotated[
            str | None, typer.Option("--prices", help="Grid BTC prices, comma-separated (default: 0.5x..1.5x --price).")
        ] = None,
        power_prices: Annotated[
            str | None,
            typer.Option("--power-prices", help="Grid power prices USD/kWh, comma-separated (default 0.03..0.08)."),
        ] = None,
        block_rate_days: Annotated[
            int,
            typer.Option("--block-rate-days", help="Days of block counts behind the block rate that dates heights."),
        ] = 28,
        machine_usd_per_th: Annotated[
            float | None,
            typer.Option("--machine-usd-per-th", help="Machine price, USD per TH/s, for the payback (needs power)."),
        ] = None,
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """Hashprice on a future day from price, hashrate and fee share; the subsidy follows the estimated height.

        Example: minerwatch scenario --price 70000 --hashrate-ehs 900 --fee-share-pct 2 --date 2028-05-01
        Grid:    minerwatch scenario --price 70000 --hashrate-ehs 900 --date 2026-06-01 --efficiency-jth 20 --grid
        """
        from minerwatch import service, service_economics
        from minerwatch.errors import InputError

        on = service.parse_date(day, "--date")
        with store(db) as s:
            if grid:
                if efficiency_jth is None:
                    raise InputError("--grid needs --efficiency-jth (the fleet's J/TH, e.g. 26)")
                data = service_economics.scenario_grid(
                    s,
                    price_usd=price,
                    hashrate_ehs=hashrate_ehs,
                    fee_share_pct=fee_share_pct,
                    on=on,
                    efficiency_jth=efficiency_jth,
                    prices_usd=_floats(prices, "--prices"),
                    power_prices_usd_kwh=_floats(power_prices, "--power-prices"),
                    opex_usd_kwh=opex_usd_kwh,
                    pool_fee_pct=pool_fee_pct,
                    block_rate_days=block_rate_days,
                )
                emit(data["cells"] if fmt is Format.csv else data, fmt, grid_table)
                return
            data = service_economics.scenario(
                s,
                price_usd=price,
                hashrate_ehs=hashrate_ehs,
                fee_share_pct=fee_share_pct,
                on=on,
                efficiency_jth=efficiency_jth,
                power_usd_kwh=power_usd_kwh,
                opex_usd_kwh=opex_usd_kwh,
                pool_fee_pct=pool_fee_pct,
                block_rate_days=block_rate_days,
                machine_usd_per_th=machine_usd_per_th,
            )
        emit(data, fmt, scenario_table)

    @app.command("hashrate-share")
    def hashrate_share(month: MonthOption = None, fmt: FormatOption = Format.table, db: DbOption = None) -> None:
        """The basket's self-reported hashrate as a share of the network, and its market cap vs its reward share.

        Without --month: the latest complete month in which any company reported its hashrate.

        Example: minerwatch hashrate-share --month 2025-02
        """
        from minerwatch import service_economics

        with store(db) as s:
            data = service_economics.basket_hashrate_share(s, month or service_economics.latest_reported_month(s))
        emit(data["members"] if fmt is Format.csv else data, fmt, hashrate_share_table)

    difficulty = typer.Typer(
        name="difficulty",
        help="Difficulty retargets: forecast the next adjustment, backtest the forecast.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )

    @difficulty.command()
    def forecast(
        as_of: Annotated[
            str | None, typer.Option("--as-of", help="Forecast from the end of this UTC day (default: latest).")
        ] = None,
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """Next retarget height, estimated date and expected change (4x clamp, 2015-interval rule), with uncertainty.

        Example: minerwatch difficulty forecast --as-of 2025-02-20
        """
        from minerwatch import service, service_economics

        d = service.parse_date(as_of, "--as-of") if as_of else None
        with store(db) as s:
            data = service_economics.difficulty_forecast(s, d)
        emit(data, fmt, forecast_table)

    @difficulty.command()
    def backtest(
        since: Annotated[
            str | None, typer.Option("--since", help="Only epochs ending on or after this day, YYYY-MM-DD.")
        ] = None,
        epochs: Annotated[
            bool, typer.Option("--epochs", help="List each epoch's mid-epoch prediction instead.")
        ] = False,
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """How far off the forecast was over past epochs, at 25/50/75/90/100% of each epoch.

        Example: minerwatch difficulty backtest --since 2016-01-01
        """
        from minerwatch import service, service_economics

        d = service.parse_date(since, "--since") if since else None
        with store(db) as s:
            if epochs:
                emit(service_economics.epoch_rows(s, since=d), fmt, frame_table)
                return
            data = service_economics.difficulty_backtest(s, since=d)
        emit(data["points"] if fmt is Format.csv else data, fmt, backtest_table)

    app.add_typer(difficulty, name="difficulty")
