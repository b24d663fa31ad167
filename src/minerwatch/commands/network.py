"""Network and BTC market commands: hashprice, btc, network, export, summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from minerwatch.commands.common import DbOption, FormatOption, MonthOption, emit, store
from minerwatch.output import Format, fmt_num, frame_table, key_value_table

EstimatorOption = Annotated[
    str,
    typer.Option(
        "--estimator",
        help="Hashrate estimator: blockcount (blocks/144 x D x 2^32/600, default) or difficulty (D x 2^32/600).",
    ),
]
BasisOption = Annotated[
    str,
    typer.Option(
        "--basis",
        help="Revenue basis: realized (what the day's blocks paid, default) or expected (144 x mean reward per block).",
    ),
]
SmoothOption = Annotated[int, typer.Option("--smooth", help="Trailing mean of the hashrate over N days (1 = none).")]


def _vs(pct: float | None, other: str) -> str:
    return "" if pct is None else f"  ({fmt_num(pct, 1, sign=True)}% vs {other})"


def hashprice_table(d: dict[str, Any]) -> str:
    rows = [
        ("USD per EH/s per day", fmt_num(d["usd_per_ehs_day"], 2) + _vs(d["mom_change_pct"], d["previous_month"])),
        ("USD per PH/s per day", fmt_num(d["usd_per_phs_day"], 2)),
        ("BTC per EH/s per day", fmt_num(d["btc_per_ehs_day"], 8)),
        (
            "Network hashrate (EH/s)",
            fmt_num(d["hashrate_ehs"], 1) + _vs(d["hashrate_mom_change_pct"], d["previous_month"]),
        ),
        ("Fee share of reward", fmt_num(d["fee_share_pct"], 2, suffix="%")),
        ("Days", f"{d['days']} of {d['days_in_month']}"),
        ("Sources", f"network: {', '.join(d['network_sources'])}; price: {', '.join(d['price_sources'])}"),
    ]
    title = f"Hashprice {d['month']}  (monthly mean; estimator: {d['estimator']}; basis: {d['basis']})"
    return key_value_table(rows, title)


def btc_table(d: dict[str, Any]) -> str:
    rows = [
        ("Close", f"${fmt_num(d['close_usd'], 2)} on {d['close_date']}"),
        (
            "Change in month",
            f"{fmt_num(d['change_pct'], 2, sign=True)}% (from ${fmt_num(d['open_usd'], 2)} on {d['open_date']})",
        ),
        ("Change over 30 days", f"{fmt_num(d['change_30d_pct'], 2, sign=True)}%"),
        ("Low", f"${fmt_num(d['low_usd'], 2)} on {d['low_date']} ({d['low_high_basis']})"),
        ("High", f"${fmt_num(d['high_usd'], 2)} on {d['high_date']} ({d['low_high_basis']})"),
        ("All-time high (close)", f"${fmt_num(d['ath_close_usd'], 2)} on {d['ath_close_date']}"),
        ("All-time high (intraday)", f"${fmt_num(d['ath_intraday_usd'], 2)} on {d['ath_intraday_date']}"),
        ("Drawdown from ATH", f"{fmt_num(d['drawdown_from_ath_pct'], 2)}%"),
        ("Volatility (annualised)", f"{fmt_num(d['volatility_annualised_pct'], 1)}%"),
        ("Price basis", d["price_basis"]),
    ]
    return key_value_table(rows, f"BTC {d['month']}")


NETWORK_COLUMNS = [
    "date",
    "block_count",
    "difficulty",
    "hashrate_ehs",
    "subsidy_btc",
    "fees_btc",
    "revenue_btc",
    "close_usd",
    "usd_per_ehs_day",
    "btc_per_ehs_day",
    "usd_per_phs_day",
    "fee_share_pct",
    "estimator",
    "basis",
    "network_source",
    "price_source",
]


def register(app: typer.Typer) -> None:
    @app.command()
    def hashprice(
        month: MonthOption = None,
        estimator: EstimatorOption = "blockcount",
        basis: BasisOption = "realized",
        smooth: SmoothOption = 1,
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """What miners earned per EH/s per day in a month, and the change vs the month before.

        Example: minerwatch hashprice --month 2025-02 --format json
        """
        from minerwatch import service

        with store(db) as s:
            m = month or service.latest_complete_month(s)
            data = service.hashprice_month(s, m, estimator=estimator, basis=basis, smooth_days=smooth)
        emit(data, fmt, hashprice_table)

    @app.command()
    def btc(month: MonthOption = None, fmt: FormatOption = Format.table, db: DbOption = None) -> None:
        """How BTC moved in a month: change, 30-day change, low/high, all-time high and drawdown.

        Example: minerwatch btc --month 2025-02
        """
        from minerwatch import service

        with store(db) as s:
            data = service.btc_month(s, month or service.latest_complete_month(s))
        emit(data, fmt, btc_table)

    @app.command()
    def network(
        start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
        end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
        estimator: EstimatorOption = "blockcount",
        basis: BasisOption = "realized",
        smooth: SmoothOption = 1,
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """The daily series behind the hashprice: blocks, difficulty, hashrate, revenue, price.

        Example: minerwatch network --from 2024-04-01 --to 2024-05-31 --format csv
        """
        from minerwatch import service

        first = service.parse_date(start, "--from")
        last = service.parse_date(end, "--to")
        with store(db) as s:
            frame = service.network_daily(s, first, last, estimator=estimator, basis=basis, smooth_days=smooth)
        emit(frame.select(NETWORK_COLUMNS), fmt, frame_table)

    @app.command()
    def export(
        table: Annotated[str, typer.Option("--table", help="network or prices.")],
        out: Annotated[Path, typer.Option("--out", help="File to write.")],
        fmt: Annotated[str, typer.Option("--format", "-f", help="csv, parquet or json.")] = "csv",
        start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
        end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
        db: DbOption = None,
    ) -> None:
        """Write a table (all sources, with provenance columns) for spreadsheets and other tools.

        Example: minerwatch export --table network --format parquet --out network.parquet
        """
        from minerwatch import service

        first = service.parse_date(start, "--from") if start else None
        last = service.parse_date(end, "--to") if end else None
        with store(db) as s:
            n = service.export_table(s, table, out, fmt, first, last)
        typer.echo(f"wrote {n} rows of {table} to {out}")

    @app.command()
    def summary(month: MonthOption = None, fmt: FormatOption = Format.table, db: DbOption = None) -> None:
        """Headline figures of a month (default: the latest complete month in the store).

        Example: minerwatch summary --month 2025-02
        """
        from minerwatch import service

        with store(db) as s:
            data = service.summary(s, month)
        emit(data, fmt, lambda d: hashprice_table(d["hashprice"]) + "\n\n" + btc_table(d["btc"]))
