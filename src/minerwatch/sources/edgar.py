"""SEC EDGAR XBRL: shares outstanding (`dei:EntityCommonStockSharesOutstanding`) with their as-of dates.

- `/api/xbrl/companyconcept/CIK##########/dei/EntityCommonStockSharesOutstanding.json` (one small
  request per company; the companyfacts file holding the same facts is parsed too).
- Ticker -> CIK: `[sources.edgar] ciks` ("MARA=1507605,RIOT=1167419"), then a few built-in ones, then
  SEC's `company_tickers.json` (one request, cached for a week).

Rules: a fact is dated by its own `end` (the cover's as-of date), never the filing date; facts of the
same filing and as-of date are share classes and are summed; placeholder values (below
`MIN_SHARES` or above `MAX_SHARES`) are rejected; when several filings report the same as-of date
(an amendment), the latest filing wins and the note says so. SEC asks for a contact address in the
User-Agent: `minerwatch.http` refuses to build an EDGAR client without one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from minerwatch.config import setting
from minerwatch.errors import InputError
from minerwatch.http import Client, Raw
from minerwatch.sources import yahoo
from minerwatch.sources.registry import NUMBER, field

SOURCE_ID = "edgar"
KIND = "rest"
DESCRIPTION = "SEC EDGAR XBRL API: cover-page shares outstanding (dei) by as-of date"
DEFAULT_URL = "https://data.sec.gov"
TICKERS_URL = "https://www.sec.gov/files/company_tickers.json"
LICENCE = "US government work (public domain); SEC fair-access policy applies"
CONCEPT = "dei:EntityCommonStockSharesOutstanding"
KEYS = {"shares_facts": ["ticker", "as_of_date", "source_id", "share_class", "concept"]}
MIN_SHARES = 10_000  # 0, 1 and other tiny counts are placeholders in the cover data
MAX_SHARES = 50_000_000_000
REFRESH_DAYS = 7  # a cover fact appears with each 10-Q/10-K; a weekly look is enough
#: CIKs confirmed from recorded SEC files (tests/fixtures/sec_edgar); others come from company_tickers.json.
KNOWN_CIKS = {"MARA": 1507605, "RIOT": 1167419, "CLSK": 827876}


@dataclass(frozen=True)
class Query:
    """Tickers to fetch, with known CIKs (None: look up in company_tickers.json)."""

    tickers: tuple[tuple[str, int | None], ...]


def configured_ciks() -> dict[str, int]:
    """Ticker -> CIK: `[sources.edgar] ciks` (or MINERWATCH_EDGAR_CIKS) over the basket file's and built-in ones."""
    from minerwatch import basket_file

    out = dict(KNOWN_CIKS)
    out.update({m.ticker: int(m.cik) for m in basket_file.load().members if m.cik.strip().isdigit()})
    text = setting("edgar", "ciks")
    if text:
        for part in text.replace(";", ",").split(","):
            if not part.strip():
                continue
            try:
                t, c = part.split("=")
                out[t.strip().upper()] = int(c)
            except ValueError:
                raise InputError(
                    f"[sources.edgar] ciks: {part.strip()!r} is not TICKER=CIK (e.g. MARA=1507605)"
                ) from None
    return out


def read_state(store: Any) -> dict[str, Any]:
    """Day of the last successful EDGAR sync per ticker (from sync_runs)."""
    frame = store.query(
        "SELECT ticker, CAST(max(finished_at) AS DATE) AS last FROM ("
        "  SELECT unnest(string_split(items, ',')) AS ticker, finished_at FROM sync_runs"
        "  WHERE source_id = 'edgar' AND status = 'ok' AND items IS NOT NULL) GROUP BY ticker"
    )
    return {r["ticker"]: r["last"] for r in frame.iter_rows(named=True)}


def plan(state: dict[str, Any], *, today: date, start: date | None = None, options: dict | None = None) -> Query | None:
    """Tickers not refreshed in the last week (all of them with --from)."""
    ciks = configured_ciks()
    due = [
        (t, ciks.get(t)) for t in yahoo.tickers(options)
        if start is not None or state.get(t) is None or state[t] <= today - timedelta(days=REFRESH_DAYS)
    ]
    return Query(tuple(due)) if due else None


def extract(query: Query, client: Client) -> list[Raw]:
    """The ticker map if needed, then one companyconcept request per company."""
    raws: list[Raw] = []
    ciks = {t: c for t, c in query.tickers if c is not None}
    missing = [t for t, c in query.tickers if c is None]
    if missing:
        mapping = client.get(setting("edgar", "tickers_url") or TICKERS_URL, ttl=7 * 86400, hint="kind=tickers")
        raws.append(mapping)
        known = ticker_map(mapping)
        for t in missing:
            if t in known:
                ciks[t] = known[t]
    for t, _ in query.tickers:
        cik = ciks.get(t)
        if cik is None:
            continue  # not an SEC registrant (e.g. a foreign filer without XBRL cover data): no request
        raw = client.get_optional(
            f"api/xbrl/companyconcept/CIK{cik:010d}/dei/EntityCommonStockSharesOutstanding.json",
            ttl=86400, hint=f"kind=concept&ticker={t}",
        )
        if raw is not None:  # 404: the company reports no dei cover count
            raws.append(raw)
    return raws


def ticker_map(raw: Raw) -> dict[str, int]:
    """company_tickers.json -> {TICKER: CIK}."""
    data = raw.json(SOURCE_ID)
    out = {}
    for key, row in (data.items() if isinstance(data, dict) else enumerate(data)):
        w = f"company_tickers entry {key}"
        out[str(field(row, "ticker", SOURCE_ID, w, str)).upper()] = int(field(row, "cik_str", SOURCE_ID, w, NUMBER))
    return out


def facts_of(data: Any, where: str) -> list[dict[str, Any]]:
    """The `units.shares` facts of the concept, from a companyconcept or a companyfacts document."""
    if isinstance(data, dict) and "facts" in data:
        dei = field(field(data, "facts", SOURCE_ID, where, dict), "dei", SOURCE_ID, f"{where} facts", dict)
        concept = field(dei, "EntityCommonStockSharesOutstanding", SOURCE_ID, f"{where} facts.dei", dict)
        where = f"{where} facts.dei.EntityCommonStockSharesOutstanding"
    else:
        concept = data
    units = field(concept, "units", SOURCE_ID, where, dict)
    return field(units, "shares", SOURCE_ID, f"{where} units", list)


def shares_rows(facts: list[dict[str, Any]], ticker: str, sha: str, where: str) -> list[dict[str, Any]]:
    """One row per as-of date: classes of one filing summed, placeholders rejected, latest filing wins."""
    seen = set()
    by_filing: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for i, f in enumerate(facts):
        w = f"{where} units.shares[{i}]"
        ident = (field(f, "end", SOURCE_ID, w, str), field(f, "accn", SOURCE_ID, w, str),
                 field(f, "val", SOURCE_ID, w, NUMBER), f.get("form"), f.get("filed"), f.get("frame"))
        if ident in seen:
            continue  # the very same fact listed twice
        seen.add(ident)
        by_filing[(ident[0], ident[1])].append(f)
    candidates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (end, accn), group in by_filing.items():
        total = float(sum(g["val"] for g in group))
        if not MIN_SHARES <= total <= MAX_SHARES or any(g["val"] < MIN_SHARES for g in group):
            continue  # placeholder (0, 1, a tiny or absurd count)
        candidates[end].append({
            "accession": accn, "form": group[0].get("form"), "filed": group[0].get("filed") or "",
            "total": total, "classes": len(group),
        })
    rows = []
    for end, cands in sorted(candidates.items()):
        cands.sort(key=lambda c: (c["filed"], c["accession"]))
        best = cands[-1]
        notes = []
        if best["classes"] > 1:
            notes.append(f"sum of {best['classes']} share classes")
        if len(cands) > 1:
            others = ", ".join(f"{c['form']} {c['accession']}" for c in cands[:-1])
            notes.append(f"latest of {len(cands)} filings for this date (also {others})")
        rows.append({
            "ticker": ticker, "as_of_date": date.fromisoformat(end), "source_id": SOURCE_ID,
            "share_class": "all", "concept": CONCEPT, "shares_outstanding": best["total"],
            "filed_date": date.fromisoformat(best["filed"]) if best["filed"] else None,
            "accession": best["accession"], "form": best["form"], "note": "; ".join(notes) or None,
            "payload_sha256": sha,
        })
    return rows


def parse(raws: list[Raw]) -> dict[str, pl.DataFrame]:
    """Rows for shares_facts from companyconcept/companyfacts payloads (ticker from the URI hint)."""
    rows = []
    for raw in raws:
        if raw.hints.get("kind") != "concept":
            continue
        where = f"companyconcept payload {raw.uri.split('#')[0]}"
        ticker = raw.hints.get("ticker") or "?"
        rows += shares_rows(facts_of(raw.json(SOURCE_ID), where), ticker, raw.sha256, where)
    return {"shares_facts": pl.DataFrame(rows, schema=SCHEMA)} if rows else {}


SCHEMA: dict[str, Any] = {
    "ticker": pl.Utf8, "as_of_date": pl.Date, "source_id": pl.Utf8, "share_class": pl.Utf8, "concept": pl.Utf8,
    "shares_outstanding": pl.Float64, "filed_date": pl.Date, "accession": pl.Utf8, "form": pl.Utf8,
    "note": pl.Utf8, "payload_sha256": pl.Utf8,
}
