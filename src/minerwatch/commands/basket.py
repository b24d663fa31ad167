"""Miner equities commands: basket (aggregate market cap, cohorts, explain) and equity (one ticker)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from minerwatch.commands.common import DbOption, FormatOption, emit, store
from minerwatch.output import Format, fmt_num, frame_table, key_value_table, to_csv


def usd_short(value: float | None, *, sign: bool = False) -> str:
    """$1.23B / $45.6M style money for tables; 'n/a' for None."""
    if value is None:
        return "n/a"
    s = "-" if value < 0 else ("+" if sign else "")
    v = abs(value)
    if v >= 1e9:
        return f"{s}${v / 1e9:,.2f}B"
    if v >= 1e6:
        return f"{s}${v / 1e6:,.1f}M"
    return f"{s}${v:,.0f}"


def _pct(v: float | None) -> str:
    return fmt_num(v, 2, sign=True, suffix="%")


def _rows_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True)))]
    out.append("  ".join("-" * w for w in widths))
    for r in rows:
        out.append(
            "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )
    return "\n".join(out)


def _summary(d: dict[str, Any]) -> str:
    best, worst = d["best"], d["worst"]
    missing = "; ".join(f"{m['ticker']}: {m['reason']}" for m in d["missing"]) or "none"
    rows = [
        (
            "Aggregate market cap",
            f"{usd_short(d['market_cap_start_usd'])} -> {usd_short(d['market_cap_end_usd'])} "
            f"({_pct(d['change_pct'])}, {usd_short(d['change_usd'], sign=True)})",
        ),
        ("Window", f"close {d['start_date']} -> close {d['end_date']} (last trading day of each month)"),
        ("Coverage", d["coverage"]),
        (
            "BTC, same window",
            f"{_pct(d['btc_change_pct'])} (basket {fmt_num(d['vs_btc_pct_points'], 2, sign=True)} pts vs BTC)",
        ),
        ("Best (share price)", f"{best['ticker']} {_pct(best['price_change_pct'])}" if best else "n/a"),
        ("Worst (share price)", f"{worst['ticker']} {_pct(worst['price_change_pct'])}" if worst else "n/a"),
        ("Beat BTC", f"{d['beat_btc_count']} of {d['members_priced']}" if d["beat_btc_count"] is not None else "n/a"),
        ("Missing", missing),
        (
            "Stale share counts",
            "; ".join(f"{r['ticker']} as of {r['shares_as_of']} ({r['age_days']} days)" for r in d["stale_shares"])
            or "none",
        ),
    ]
    unverified = d.get("unverified_closes") or []
    if unverified:
        days = sorted({str(r["date"]) for r in unverified})
        rows.append(
            (
                "Unverified closes",
                f"{len({r['ticker'] for r in unverified})} members' closes on {', '.join(days)} come from "
                f"screener snapshots whose trading date could not be verified",
            )
        )
    return key_value_table(rows, f"Miner basket {d['month']}  ({d['basket']})")


def basket_table(d: dict[str, Any]) -> str:
    """Summary plus one line per member, largest end market cap first."""
    rows = [
        [
            m["ticker"],
            m["cohort"],
            usd_short(m["market_cap_start_usd"]),
            usd_short(m["market_cap_end_usd"]),
            _pct(m["change_pct"]),
            usd_short(m["contribution_usd"], sign=True),
            _pct(m["price_change_pct"]),
            "yes" if m["beat_btc"] else "no",
        ]
        for m in d["members"]
    ]
    header = ["ticker", "cohort", "cap start", "cap end", "cap chg", "contribution", "price chg", "beat BTC"]
    return _summary(d) + "\n\n" + _rows_table(header, rows)


def cohort_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    """The cohort aggregates as flat rows (for CSV and the table)."""
    return [{"cohort": name, **c} for name, c in d["cohorts"].items()]


def cohort_table(d: dict[str, Any]) -> str:
    """Summary plus one line per cohort."""
    rows = [
        [
            c["cohort"],
            str(c["members"]),
            usd_short(c["market_cap_start_usd"]),
            usd_short(c["market_cap_end_usd"]),
            _pct(c["change_pct"]),
        ]
        for c in cohort_rows(d)
    ]
    return _summary(d) + "\n\n" + _rows_table(["cohort", "members", "cap start", "cap end", "cap chg"], rows)


def explain_table(e: dict[str, Any]) -> str:
    """Per member: price and share count used at each end and where each came from; then the repairs."""
    lines = [
        f"Basket inputs {e['month']}: close {e['start_date']} -> close {e['end_date']}"
        f"  (basket file: {e['basket_file']})",
        f"Price sources, first wins: {', '.join(e['price_source_priority'])} (adjusted closes converted to nominal)",
        f"Shares: latest fact dated on or before the day; same-day ties: {', '.join(e['shares_source_priority'])}",
        "",
    ]
    rows = []
    for m in e["members"]:
        for end in ("start", "end"):
            rows.append(
                [
                    m["ticker"] if end == "start" else "",
                    end,
                    f"{m[f'{end}_close_usd']:,.4f}".rstrip("0").rstrip("."),
                    m[f"{end}_price_source"],
                    f"{m[f'{end}_shares']:,.0f}",
                    str(m[f"{end}_shares_as_of"]),
                    m[f"{end}_shares_source"],
                    usd_short(m[f"market_cap_{end}_usd"]),
                ]
            )
    lines.append(
        _rows_table(["ticker", "end", "close", "price source", "shares", "as of", "shares source", "cap"], rows)
    )
    moved = [m for m in e["members"] if m.get("split_ratio_in_period", 1.0) != 1.0]
    if moved:
        lines += ["", "Splits / ADS-ratio changes inside the window (price change is a holder's, through the ratio):"]
        for m in moved:
            r = m["split_ratio_in_period"]
            ratio = f"1/{1 / r:,.4g}" if r < 1 else f"{r:,.4g}"
            lines.append(
                f"  {m['ticker']}: ratio {ratio} new per old; start count {m['start_shares']:,.0f} = "
                f"{m['start_shares_in_end_units']:,.0f} in end units -> {m['end_shares']:,.0f} "
                f"(share count {_pct(m['share_count_change_pct'])}); price {_pct(m['price_change_pct'])}, "
                f"market cap {_pct(m['market_cap_change_pct'])}"
            )
    if e["missing"]:
        lines += ["", "Missing:"] + [f"  {m['ticker']}: {m['reason']}" for m in e["missing"]]
    lines += ["", f"Repairs applied to these members' embedded data ({len(e['corrections'])}):"]
    for c in e["corrections"]:
        when = c["date"] or "all dates"
        lines.append(f"  {c['ticker']} {when} {c['source_id']} {c['field']}: {c['action']} - {c['reason']}")
    return "\n".join(lines)


EQUITY_COLUMNS = [
    "date",
    "ticker",
    "close_usd",
    "price_source",
    "shares_outstanding",
    "shares_as_of",
    "shares_source",
    "market_cap_usd",
    "raw_close_usd",
    "price_basis",
]


def register(app: typer.Typer) -> None:
    @app.command()
    def basket(
        month: Annotated[
            str | None, typer.Option("--month", "-m", help="Calendar month YYYY-MM (default: latest complete).")
        ] = None,
        by: Annotated[str | None, typer.Option("--by", help="Group the table/CSV by: cohort.")] = None,
        explain: Annotated[
            bool, typer.Option("--explain", help="Show each member's price and share count and where they came from.")
        ] = False,
        basket_path: Annotated[
            Path | None, typer.Option("--basket", help="Basket TOML file (default: the packaged 14-miner basket).")
        ] = None,
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """Aggregate market cap of the miner basket over a month: change, best/worst, cohorts, vs BTC.

        Example: minerwatch basket --month 2025-02 --by cohort
        """
        from minerwatch import service_basket as sb
        from minerwatch.errors import InputError

        if by not in (None, "cohort"):
            raise InputError(f"--by must be 'cohort', got {by!r}")
        with store(db) as s:
            month = month or sb.latest_basket_month(s, basket_path=basket_path)
            if explain:
                data = sb.basket_explain(s, month, basket_path=basket_path)
                if fmt is Format.csv:
                    typer.echo(to_csv(data["members"]), nl=False)
                else:
                    emit(data, fmt, explain_table)
                return
            data = sb.basket_month(s, month, basket_path=basket_path)
        if fmt is Format.csv:
            rows = cohort_rows(data) if by == "cohort" else data["members"]
            typer.echo(to_csv(rows), nl=False)
            return
        emit(data, fmt, cohort_table if by == "cohort" else basket_table)

    @app.command()
    def equity(
        ticker: Annotated[str, typer.Argument(help="Ticker, e.g. MARA.")],
        start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
        end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
        fmt: FormatOption = Format.table,
        db: DbOption = None,
    ) -> None:
        """Daily close (as traded), point-in-time shares outstanding and market cap of one miner.

        Example: minerwatch equity MARA --from 2025-01-01 --to 2025-03-31 --format csv
        """
        from minerwatch import service, service_basket

        first = service.parse_date(start, "--from")
        last = service.parse_date(end, "--to")
        with store(db) as s:
            frame = service_basket.equity_series(s, ticker, first, last)
        emit(frame.select(EQUITY_COLUMNS), fmt, frame_table)
