"""Load and validate a basket TOML file: dated membership and dated cohorts of miner equities."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path

from minerwatch.errors import InputError

#: Cohort names a basket may use.
COHORTS = ("pure-play", "AI/HPC-exposed")
DEFAULT_BASKET = "basket.toml"
_TICKER = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")
_CIK = re.compile(r"^[0-9]{10}$")


@dataclass(frozen=True)
class CohortSpan:
    """A cohort in force from a date on."""

    cohort: str
    start: date


@dataclass(frozen=True)
class Member:
    """One basket member with its membership dates (inclusive) and dated cohorts."""

    ticker: str
    company: str
    cik: str
    exchange: str
    start: date
    end: date | None
    cohorts: tuple[CohortSpan, ...]
    shares_sources: tuple[str, ...] | None = None

    def is_member(self, day: date) -> bool:
        """True when `day` is inside the membership dates."""
        return self.start <= day and (self.end is None or day <= self.end)

    def cohort_on(self, day: date) -> str | None:
        """The cohort in force on `day` (latest entry dated on or before it)."""
        current = None
        for span in self.cohorts:
            if span.start <= day:
                current = span.cohort
        return current


@dataclass(frozen=True)
class Basket:
    """A named list of dated members, read from `path`."""

    name: str
    description: str
    path: str
    members: tuple[Member, ...] = field(default_factory=tuple)

    def tickers(self) -> list[str]:
        """Every ticker in the file, in file order."""
        return [m.ticker for m in self.members]


def default_path() -> str:
    """Where the packaged default basket lives (for messages)."""
    return f"package:minerwatch/data/{DEFAULT_BASKET}"


def _line_of(text: str, needle: str) -> int | None:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    return None


def _where(label: str, text: str, ticker: str | None, index: int) -> str:
    if ticker:
        line = _line_of(text, f'"{ticker}"')
        if line:
            return f"{label} line {line} (member {ticker})"
    return f"{label} member #{index + 1}"


def _as_date(value: object, what: str, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):  # a TOML datetime is a date subclass
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(f"{where}: `{what}` must be a date like 2025-03-13, got {value!r}; fix the basket file")


def parse(text: str, label: str, known_tickers: Iterable[str] | None = None) -> Basket:
    """Validate basket TOML text; InputError naming `label`, the line or member, and the fix."""
    if not text.strip():
        raise InputError(f"basket file {label} is empty; add [[member]] tables (see {default_path()})")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"basket file {label} is not valid TOML ({exc}); fix the syntax") from None
    members_raw = raw.get("member")
    if not members_raw:
        raise InputError(f"basket file {label} has no [[member]] entries; add at least one (see {default_path()})")
    if not isinstance(members_raw, list) or not all(isinstance(m, dict) for m in members_raw):
        raise InputError(f"basket file {label}: `member` must be an array of tables ([[member]]); fix the file")
    known = {t.upper() for t in known_tickers} if known_tickers is not None else None
    members: list[Member] = []
    seen: set[str] = set()
    for i, m in enumerate(members_raw):
        ticker = m.get("ticker")
        where = _where(f"basket file {label}", text, ticker if isinstance(ticker, str) else None, i)
        if not isinstance(ticker, str) or not _TICKER.match(ticker):
            raise InputError(f'{where}: `ticker` must be an upper-case symbol like "MARA", got {ticker!r}')
        if ticker in seen:
            raise InputError(f"{where}: ticker {ticker} appears twice; merge the entries into one")
        seen.add(ticker)
        if known is not None and ticker not in known:
            raise InputError(
                f"{where}: unknown ticker {ticker!r} (the store has no prices for it); "
                f"use one of {', '.join(sorted(known))} or load its prices first"
            )
        unknown_keys = set(m) - {"ticker", "company", "cik", "exchange", "from", "to", "cohorts", "shares_sources"}
        if unknown_keys:
            raise InputError(f"{where}: unknown field(s) {', '.join(sorted(unknown_keys))}; remove or rename them")
        if "from" not in m:
            raise InputError(f"{where}: missing `from` (first day of membership, e.g. from = 2024-01-01)")
        start = _as_date(m["from"], "from", where)
        end = _as_date(m["to"], "to", where) if "to" in m else None
        if end is not None and end < start:
            raise InputError(f"{where}: `to` {end} is before `from` {start}; fix the dates")
        cohorts_raw = m.get("cohorts")
        if not isinstance(cohorts_raw, list) or not cohorts_raw:
            raise InputError(
                f'{where}: missing `cohorts` (e.g. cohorts = [{{ cohort = "pure-play", from = 2024-01-01 }}])'
            )
        spans = []
        for c in cohorts_raw:
            if not isinstance(c, dict) or "cohort" not in c or "from" not in c:
                raise InputError(f"{where}: each cohort entry needs `cohort` and `from`, got {c!r}")
            if c["cohort"] not in COHORTS:
                raise InputError(f"{where}: cohort must be one of {', '.join(COHORTS)}; got {c['cohort']!r}")
            spans.append(CohortSpan(c["cohort"], _as_date(c["from"], "cohorts.from", where)))
        spans.sort(key=lambda s: s.start)
        if spans[0].start > start:
            raise InputError(f"{where}: the first cohort starts {spans[0].start}, after membership starts {start}")
        shares_sources = m.get("shares_sources")
        if shares_sources is not None and (
            not isinstance(shares_sources, list) or not all(isinstance(s, str) for s in shares_sources)
        ):
            raise InputError(f"{where}: `shares_sources` must be a list of source ids, got {shares_sources!r}")
        if shares_sources is not None and not shares_sources:
            raise InputError(f"{where}: `shares_sources` is empty; list at least one source id or remove the field")
        for key in ("company", "cik", "exchange"):
            if key in m and not isinstance(m[key], str):
                raise InputError(f"{where}: `{key}` must be a string, got {m[key]!r}")
        if m.get("cik") and not _CIK.match(m["cik"]):
            raise InputError(f'{where}: `cik` must be 10 digits like "0001507605" (or ""), got {m["cik"]!r}')
        members.append(
            Member(
                ticker=ticker,
                company=m.get("company", ""),
                cik=m.get("cik", ""),
                exchange=m.get("exchange", ""),
                start=start,
                end=end,
                cohorts=tuple(spans),
                shares_sources=tuple(shares_sources) if shares_sources else None,
            )
        )
    return Basket(
        name=str(raw.get("name", "basket")),
        description=str(raw.get("description", "")),
        path=label,
        members=tuple(members),
    )


def load(path: str | Path | None = None, known_tickers: Iterable[str] | None = None) -> Basket:
    """Read the basket at `path` (default: the packaged basket.toml) and validate it."""
    if path is None:
        text = resources.files("minerwatch.data").joinpath(DEFAULT_BASKET).read_text()
        return parse(text, default_path(), known_tickers)
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"basket file {p} does not exist; check the path given to --basket") from None
    except IsADirectoryError:
        raise InputError(f"basket file {p} is a directory; pass a .toml file to --basket") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"basket file {p} cannot be read ({exc}); pass a readable UTF-8 TOML file") from None
    return parse(text, str(p), known_tickers)
