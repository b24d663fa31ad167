"""How the note writes numbers: rounded the way a research note rounds them, one function per kind.

Every figure's `text` in facts.json is made by one of these functions, and the sentences use the same
functions, so each number in the note can be found verbatim in facts.json.
"""

from __future__ import annotations

import calendar
import math

#: Below this absolute percent change (as printed, 1 decimal) a move is reported as flat ("was flat (+0.3%)").
FLAT_PCT = 0.5


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def month_label(month: str) -> str:
    """`2025-02` -> `February 2025`."""
    year, mon = month.split("-")
    return f"{calendar.month_name[int(mon)]} {int(year)}"


def relative_month_label(month: str, relative_to: str) -> str:
    """`January` when both months share a year, else `December 2024`."""
    if month[:4] == relative_to[:4]:
        return calendar.month_name[int(month[5:7])]
    return month_label(month)


def pct(value: float | None, decimals: int = 1) -> str:
    """Unsigned percent, 1 decimal: 17.62 -> `17.6%` (the verb carries the sign)."""
    if _missing(value):
        return "n/a"
    return f"{abs(value):,.{decimals}f}%"  # type: ignore[arg-type]


def signed_pct(value: float | None, decimals: int = 1) -> str:
    """Signed percent for tables: `+3.8%`, `-6.4%`, `0.0%`."""
    if _missing(value):
        return "n/a"
    text = f"{value:+,.{decimals}f}%"
    return "0.0%" if text in ("+0.0%", "-0.0%") else text


def pct_points(value: float | None, decimals: int = 1) -> str:
    """A change between two percentages, signed: `-0.1 pp`, `+11.7 pp`, `0.0 pp`."""
    if _missing(value):
        return "n/a"
    text = f"{value:+,.{decimals}f} pp"
    return text[1:] if float(text[1:-3].replace(",", "")) == 0 else text


def usd(value: float | None) -> str:
    """Dollars the way a note writes them: `$5.3 billion`, `$412.7 million`, `$84,244`, `$54.37`."""
    if _missing(value):
        return "n/a"
    v = abs(float(value))  # type: ignore[arg-type]
    sign = "-" if value < 0 else ""  # type: ignore[operator]
    if v >= 1e9:
        return f"{sign}${v / 1e9:,.1f} billion"
    if v >= 1e6:
        return f"{sign}${v / 1e6:,.1f} million"
    if v >= 1000:
        return f"{sign}${v:,.0f}"
    return f"{sign}${v:,.2f}"


def signed_usd(value: float | None) -> str:
    """Dollars with an explicit sign for changes in tables: `+$99.2 million`, `-$1.1 billion`, `$0`."""
    if _missing(value):
        return "n/a"
    if value == 0:
        return "$0"
    text = usd(value)
    return text if text.startswith("-") else "+" + text


def usd_abs(value: float | None) -> str:
    """Dollar amount without its sign (the verb carries it): `$5.3 billion`."""
    return "n/a" if _missing(value) else usd(abs(float(value)))  # type: ignore[arg-type]


def usd_price(value: float | None, decimals: int = 3) -> str:
    """A unit price such as power: `$0.050`."""
    return "n/a" if _missing(value) else f"${value:,.{decimals}f}"


def btc(value: float | None, decimals: int = 4) -> str:
    """BTC amounts: `0.5709 BTC`."""
    return "n/a" if _missing(value) else f"{value:,.{decimals}f} BTC"


def subsidy(value: float | None) -> str:
    """A block subsidy, all its decimals: `6.25 BTC`, `3.125 BTC`, `50 BTC`."""
    return "n/a" if _missing(value) else f"{value:g} BTC"


def ehs(value: float | None) -> str:
    """Hashrate: `810 EH/s`, `5.6 EH/s` (1 decimal below 10), `120 PH/s` below 1 EH/s.

    The services round EH/s to 2 decimals, so a zero means "below 0.01 EH/s" and is written so.
    """
    if _missing(value):
        return "n/a"
    v = float(value)  # type: ignore[arg-type]
    if v == 0:
        return "under 0.01 EH/s"
    x, unit = (v, "EH/s") if abs(v) >= 1 else (v * 1000, "PH/s")
    return f"{x:,.0f} {unit}" if abs(x) >= 10 else f"{x:,.1f} {unit}"


def difficulty(value: float | None) -> str:
    """Difficulty with an SI-style suffix: `110.6 T`, `7.5 T`, `12.3 G`, `181.5 k`, `1.0`."""
    if _missing(value):
        return "n/a"
    v = float(value)  # type: ignore[arg-type]
    for scale, suffix in ((1e12, " T"), (1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(v) >= scale:
            return f"{v / scale:,.1f}{suffix}"
    return f"{v:,.1f}"


def number(value: float | None, decimals: int = 1) -> str:
    """A plain number: `21.5`."""
    return "n/a" if _missing(value) else f"{value:,.{decimals}f}"


def efficiency(value: float | None) -> str:
    """Fleet efficiency in J/TH as spec sheets write it: `20`, `17.5`, `26` (1 decimal at most)."""
    if _missing(value):
        return "n/a"
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def count(value: int | None) -> str:
    """An integer count: `12`."""
    return "n/a" if value is None else f"{value:,d}"


def direction(value: float | None, *, rose: str = "rose", fell: str = "fell", flat: str = "was flat") -> str | None:
    """The verb for a change: `rose`, `fell`, or `was flat` when |value| < FLAT_PCT; None if missing."""
    if _missing(value):
        return None
    # Judge the size on the printed (1-decimal) value, so "was flat" never shows "0.5%".
    if float(f"{abs(value):.1f}") < FLAT_PCT:  # type: ignore[arg-type]
        return flat
    return rose if value > 0 else fell  # type: ignore[operator]


def change_phrase(value: float | None, *, rose: str = "rose", fell: str = "fell") -> str | None:
    """`rose 3.8%`, `fell 17.6%`, `was flat (+0.3%)`; None if missing."""
    verb = direction(value, rose=rose, fell=fell)
    if verb is None:
        return None
    if verb == "was flat":
        return f"was flat ({signed_pct(value)})"
    return f"{verb} {pct(value)}"


def updown_phrase(value: float | None) -> str | None:
    """`up 3.8%`, `down 6.4%`, `flat (+0.3%)`; None if missing."""
    verb = direction(value, rose="up", fell="down", flat="flat")
    if verb is None:
        return None
    if verb == "flat":
        return f"flat ({signed_pct(value)})"
    return f"{verb} {pct(value)}"


def day_label(day: object, month: str | None = None) -> str:
    """`28 February` for a day inside `month`, else `17 December 2024`; accepts a date or ISO text."""
    if _missing(day):  # type: ignore[arg-type]
        return "n/a"
    text = day.isoformat() if hasattr(day, "isoformat") else str(day)
    year, mon, dd = text[:10].split("-")
    label = f"{int(dd)} {calendar.month_name[int(mon)]}"
    return label if month is not None and text[:7] == month else f"{label} {int(year)}"
