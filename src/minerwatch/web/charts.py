"""Server-rendered SVG charts for the dashboard: deterministic markup, no JavaScript, no fonts fetched."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape

#: Plot colours (the page's CSS uses the same ones).
PALETTE = ("#1f5fa8", "#d9822b", "#2e8b57", "#b03a48", "#6b4c9a")


@dataclass(frozen=True)
class Series:
    """One line: points (x date, y value or None for a gap), a label and a colour."""

    label: str
    points: Sequence[tuple[date, float | None]]
    color: str = PALETTE[0]
    width: float = 1.6


@dataclass(frozen=True)
class HLine:
    """A horizontal reference line (e.g. the all-time high) with its label."""

    value: float
    label: str
    color: str = "#b03a48"


@dataclass(frozen=True)
class Band:
    """A shaded x-range (e.g. the selected month)."""

    start: date
    end: date
    label: str = ""


@dataclass
class _Frame:
    width: int
    height: int
    left: int = 72
    right: int = 16
    top: int = 28
    bottom: int = 34
    parts: list[str] = field(default_factory=list)

    @property
    def plot_w(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> int:
        return self.height - self.top - self.bottom


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1-2-5 steps), at most about `count` + 1 of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi == lo:
        pad = abs(hi) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(v, 10))
    return ticks


def _tick_label(v: float) -> str:
    a = abs(v)
    if a >= 1e12:
        return f"{v / 1e12:g}T"
    if a >= 1e9:
        return f"{v / 1e9:g}B"
    if a >= 1e6:
        return f"{v / 1e6:g}M"
    if a >= 1e4:
        return f"{v / 1e3:g}k"
    return f"{v:,.6g}"


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _month_ticks(x0: date, x1: date, max_ticks: int = 8) -> list[date]:
    months = []
    y, m = x0.year, x0.month
    while (y, m) <= (x1.year, x1.month):
        d = date(y, m, 1)
        if x0 <= d <= x1:
            months.append(d)
        m += 1
        if m == 13:
            y, m = y + 1, 1
    if len(months) <= max_ticks:
        return months
    step = math.ceil(len(months) / max_ticks)
    return months[::step]


def _day_ticks(x0: date, x1: date, max_ticks: int = 8) -> list[date]:
    span = (x1 - x0).days
    step = max(1, math.ceil((span + 1) / max_ticks))
    return [date.fromordinal(x0.toordinal() + i) for i in range(0, span + 1, step)]


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    y_label: str,
    width: int = 640,
    height: int = 240,
    hlines: Sequence[HLine] = (),
    band: Band | None = None,
    chart_id: str = "chart",
) -> str:
    """An SVG line chart of dated series; empty input gives a chart saying 'no data'."""
    f = _Frame(width, height)
    xs = [d for s in series for d, v in s.points if v is not None and math.isfinite(v)]
    ys = [v for s in series for _, v in s.points if v is not None and math.isfinite(v)]
    ys += [h.value for h in hlines]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<text x="{f.left}" y="16" class="chart-title">{escape(title)}</text>'
    )
    if not xs:
        return head + f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle">no data</text></svg>'
    x0, x1 = min(xs), max(xs)
    if band is not None:
        x0, x1 = min(x0, band.start), max(x1, band.end)
    ticks = nice_ticks(min(ys), max(ys))
    y0, y1 = ticks[0], ticks[-1]
    span_x = max((x1 - x0).days, 1)

    def px(d: date) -> float:
        return f.left + f.plot_w * (d - x0).days / span_x

    def py(v: float) -> float:
        return f.top + f.plot_h * (1 - (v - y0) / (y1 - y0))

    parts = [head]
    if band is not None:
        bx0, bx1 = px(band.start), px(band.end)
        parts.append(
            f'<rect class="band" x="{_fmt(bx0)}" y="{f.top}" width="{_fmt(max(bx1 - bx0, 1.0))}" '
            f'height="{f.plot_h}" fill="#f2e6c9"><title>{escape(band.label)}</title></rect>'
        )
    for t in ticks:
        y = py(t)
        parts.append(
            f'<line x1="{f.left}" x2="{f.left + f.plot_w}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="#ddd"/>'
            f'<text x="{f.left - 6}" y="{_fmt(y + 4)}" text-anchor="end" class="tick">{_tick_label(t)}</text>'
        )
    xt = _day_ticks(x0, x1) if span_x <= 62 else _month_ticks(x0, x1)
    for d in xt:
        x = px(d)
        label = d.strftime("%d %b") if span_x <= 62 else d.strftime("%b %y")
        parts.append(
            f'<line x1="{_fmt(x)}" x2="{_fmt(x)}" y1="{f.top + f.plot_h}" y2="{f.top + f.plot_h + 4}" stroke="#888"/>'
            f'<text x="{_fmt(x)}" y="{f.top + f.plot_h + 16}" text-anchor="middle" class="tick">{label}</text>'
        )
    parts.append(
        f'<text x="12" y="{f.top + f.plot_h / 2:.0f}" class="axis-label" '
        f'transform="rotate(-90 12 {f.top + f.plot_h / 2:.0f})" text-anchor="middle">{escape(y_label)}</text>'
    )
    for h in hlines:
        y = py(h.value)
        parts.append(
            f'<line class="hline" x1="{f.left}" x2="{f.left + f.plot_w}" y1="{_fmt(y)}" y2="{_fmt(y)}" '
            f'stroke="{h.color}" stroke-dasharray="5 3"/>'
            f'<text x="{f.left + f.plot_w - 4}" y="{_fmt(y - 4)}" text-anchor="end" class="tick" '
            f'fill="{h.color}">{escape(h.label)}</text>'
        )
    for s in series:
        segments: list[list[str]] = [[]]
        for d, v in s.points:
            if v is None or not math.isfinite(v):
                if segments[-1]:
                    segments.append([])
                continue
            segments[-1].append(f"{_fmt(px(d))},{_fmt(py(v))}")
        for seg in segments:
            if len(seg) == 1:
                cx, cy = seg[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{s.color}"/>')
            elif seg:
                parts.append(
                    f'<polyline class="series" fill="none" stroke="{s.color}" stroke-width="{s.width}" '
                    f'points="{" ".join(seg)}"><title>{escape(s.label)}</title></polyline>'
                )
    if len(series) > 1:
        lx = f.left + 8
        for i, s in enumerate(series):
            y = f.top + 12 + 14 * i
            parts.append(
                f'<line x1="{lx}" x2="{lx + 16}" y1="{y - 4}" y2="{y - 4}" stroke="{s.color}" stroke-width="2"/>'
                f'<text x="{lx + 20}" y="{y}" class="tick">{escape(s.label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    bars: Sequence[tuple[str, float | None]],
    *,
    title: str,
    unit: str = "%",
    width: int = 640,
    reference: HLine | None = None,
    chart_id: str = "bars",
) -> str:
    """Horizontal bars around zero (e.g. members' change in %), one row per label, in the given order."""
    rows = [(label, v) for label, v in bars if v is not None and math.isfinite(v)]
    # Tickers sit in a column at the far left; values go just outside each bar, so a long negative bar
    # still leaves room for its label between the ticker column and the bar.
    row_h, top, left, right = 18, 28, 110, 60
    height = top + row_h * max(len(rows), 1) + 24
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>'
    )
    if not rows:
        return head + f'<text x="{width / 2:.0f}" y="{top + 12}" text-anchor="middle">no data</text></svg>'
    values = [v for _, v in rows] + ([reference.value] if reference else []) + [0.0]
    lo, hi = min(values), max(values)
    if hi == lo:
        hi = lo + 1
    plot_w = width - left - right

    def px(v: float) -> float:
        return left + plot_w * (v - lo) / (hi - lo)

    parts = [head]
    zero = px(0.0)
    for i, (label, v) in enumerate(rows):
        y = top + i * row_h
        x_a, x_b = sorted((zero, px(v)))
        color = PALETTE[2] if v >= 0 else PALETTE[3]
        parts.append(
            f'<text x="4" y="{y + 13}" class="tick">{escape(label)}</text>'
            f'<rect x="{_fmt(x_a)}" y="{y + 3}" width="{_fmt(max(x_b - x_a, 0.5))}" height="{row_h - 6}" '
            f'fill="{color}"><title>{escape(label)}: {v:+.2f}{escape(unit)}</title></rect>'
            f'<text x="{_fmt(x_b + 4 if v >= 0 else x_a - 4)}" y="{y + 13}" class="tick" '
            f'text-anchor="{"start" if v >= 0 else "end"}">{v:+.1f}{escape(unit)}</text>'
        )
    bottom = top + row_h * len(rows)
    parts.append(f'<line x1="{_fmt(zero)}" x2="{_fmt(zero)}" y1="{top}" y2="{bottom}" stroke="#444"/>')
    if reference is not None:
        x = px(reference.value)
        parts.append(
            f'<line class="hline" x1="{_fmt(x)}" x2="{_fmt(x)}" y1="{top}" y2="{bottom}" stroke="{reference.color}" '
            f'stroke-dasharray="4 3"/><text x="{_fmt(x)}" y="{bottom + 14}" text-anchor="middle" class="tick" '
            f'fill="{reference.color}">{escape(reference.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
