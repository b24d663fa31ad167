#!/usr/bin/env python
"""Re-record the live sources' test fixtures (needs network; run by a maintainer, never by the tests).

    .venv/bin/python scripts/record_fixtures.py                 # every source that can run here
    .venv/bin/python scripts/record_fixtures.py mempool yahoo   # some
    MINERWATCH_SEC_CONTACT=you@example.com .venv/bin/python scripts/record_fixtures.py edgar

Each payload is fetched through minerwatch's own HTTP layer (same base URLs, User-Agent, retries and
pacing as `minerwatch sync`; `MINERWATCH_<SOURCE>_URL` points it elsewhere) and written verbatim to
`tests/fixtures/<folder>/<name>__recorded-<YYYYMMDD>.json`. The script then checks that the source's
parser still accepts it and prints one README line per file: add them to the folder's README.md
(kind RECORDING, endpoint, capture date, licence of the provider's terms) and point the tests at
the new files when you want them to use fresher data.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from minerwatch import http
from minerwatch.sources import bitcoind, coingecko, edgar, mempool, yahoo

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {
    "mempool": "mempool",
    "coingecko": "coingecko",
    "yahoo": "yahoo",
    "edgar": "sec_edgar",
    "bitcoind": "bitcoind",
}


def requests_for(source: str, client: http.Client) -> list[tuple[str, http.Raw]]:
    """(file stem, raw payload) pairs recorded for a source."""
    if source == "mempool":
        return [
            ("mempool__v1_mining_blocks_fees_3d", client.get("v1/mining/blocks/fees/3d", hint="kind=fees")),
            ("mempool__v1_mining_blocks_fees_1m", client.get("v1/mining/blocks/fees/1m", hint="kind=fees")),
            ("mempool__v1_mining_hashrate_3m", client.get("v1/mining/hashrate/3m", hint="kind=hashrate")),
            (
                "mempool__v1_historical-price_USD",
                client.get("v1/historical-price", {"currency": "USD"}, hint="kind=prices"),
            ),
        ]
    if source == "coingecko":
        q = coingecko.Query(days=30, ath=True)
        raws = coingecko.extract(q, client)
        return [("coingecko__v3_coins_bitcoin_market_chart_30d", raws[0]), ("coingecko__v3_coins_bitcoin", raws[1])]
    if source == "yahoo":
        today = datetime.now(UTC).date()
        q = yahoo.Query(starts=(("MARA", today.replace(year=today.year - 1)),), end=today)
        return [("yahoo__v8_finance_chart_MARA_1d_1y", yahoo.extract(q, client)[0])]
    if source == "edgar":
        q = edgar.Query(tickers=(("MARA", edgar.KNOWN_CIKS["MARA"]), ("RIOT", edgar.KNOWN_CIKS["RIOT"])))
        raws = edgar.extract(q, client)
        return [(f"sec_edgar__companyconcept_{r.hints['ticker']}_EntityCommonStockSharesOutstanding", r) for r in raws]
    if source == "bitcoind":
        info = bitcoind.results(bitcoind._rpc(client, [("getblockchaininfo", [])]))[0]
        tip = int(info["blocks"])
        raws = bitcoind.extract(bitcoind.Query(first_height=tip - 2), client)
        return [
            ("bitcoind__getblockchaininfo", raws[0]),
            ("bitcoind__getblockstats_batch", raws[1]),
            ("bitcoind__getblockheader_batch", raws[2]),
        ]
    raise SystemExit(f"unknown source {source!r}; choose from {', '.join(FOLDERS)}")


def module_of(source: str):
    return {"mempool": mempool, "coingecko": coingecko, "yahoo": yahoo, "edgar": edgar, "bitcoind": bitcoind}[source]


def record(source: str, out_root: Path, stamp: str) -> list[str]:
    """Fetch, write and parse-check one source's payloads; returns README lines."""
    mod = module_of(source)
    kwargs = {"auth": bitcoind.auth()} if source == "bitcoind" else {}
    default = mod.default_url() if hasattr(mod, "default_url") else mod.DEFAULT_URL
    lines = []
    with http.client(
        source, default, cache_dir=False, headers=coingecko.headers() if source == "coingecko" else None, **kwargs
    ) as client:
        pairs = requests_for(source, client)
    folder = out_root / FOLDERS[source]
    folder.mkdir(parents=True, exist_ok=True)
    for stem, raw in pairs:
        path = folder / f"{stem}__recorded-{stamp}.json"
        path.write_bytes(raw.content)
        json.loads(raw.content)  # a recording must at least be JSON
        lines.append(
            f"| `{path.name}` | RECORDING | `{raw.uri.split('#')[0]}` | fetched {raw.fetched_at:%Y-%m-%dT%H:%M:%SZ} "
            f"by scripts/record_fixtures.py; {mod.LICENCE} |"
        )
    mod.parse([raw for _, raw in pairs])  # the parser still understands what the API returns today
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sources", nargs="*", default=["mempool", "coingecko", "yahoo", "edgar"])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures", help="fixtures root folder")
    args = ap.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    status = 0
    for source in args.sources:
        try:
            for line in record(source, args.out, stamp):
                print(line)
        except Exception as exc:  # report and go on with the other sources
            print(f"{source}: not recorded: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
