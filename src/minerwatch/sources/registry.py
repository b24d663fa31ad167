"""Which live sources exist: adding a source = one module + one fixture folder + one line here.

Every live source module has the same contract:
- constants `SOURCE_ID`, `KIND`, `DESCRIPTION`, `DEFAULT_URL`, `LICENCE`, `KEYS` (table -> upsert keys);
- `read_state(store) -> dict` (what the store already holds; the only store read);
- `plan(state, *, today, start, options) -> Query | None` (pure: what to fetch; None = up to date);
- `extract(query, client) -> list[Raw]` (I/O only);
- `parse(raws) -> dict[table, polars.DataFrame]` (pure; every row carries `payload_sha256`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from minerwatch.errors import InputError


@dataclass(frozen=True)
class SourceSpec:
    """One registry line: the source id and the module implementing the contract."""

    source_id: str
    module: str

    def load(self) -> ModuleType:
        """Import the source module."""
        return importlib.import_module(self.module)


#: Live sources `minerwatch sync` runs, in this order (cheap, widely used ones first).
LIVE_SOURCES: dict[str, SourceSpec] = {
    s.source_id: s
    for s in (
        SourceSpec("mempool", "minerwatch.sources.mempool"),
        SourceSpec("coingecko", "minerwatch.sources.coingecko"),
        SourceSpec("yahoo", "minerwatch.sources.yahoo"),
        SourceSpec("edgar", "minerwatch.sources.edgar"),
        SourceSpec("bitcoind", "minerwatch.sources.bitcoind"),
    )
}

#: Sources a plain `minerwatch sync` runs; bitcoind needs a node, edgar a contact address.
DEFAULT_SYNC = ("mempool", "coingecko", "yahoo", "edgar")


def get(source_id: str) -> ModuleType:
    """The module of a live source; InputError listing the known ids."""
    spec = LIVE_SOURCES.get(source_id)
    if spec is None:
        raise InputError(f"unknown source {source_id!r}; known: {', '.join(LIVE_SOURCES)}")
    return spec.load()


# -- helpers every parser uses --------------------------------------------------------------------

def field(obj: object, key: str | int, source: str, where: str, kinds: type | tuple[type, ...] = object):
    """`obj[key]`, or `SchemaChanged` naming the source, the field and where it was expected."""
    from minerwatch.errors import SchemaChanged

    try:
        value = obj[key]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        raise SchemaChanged(
            f"{source}: field {key!r} missing in {where} (got {_shape(obj)}); the API changed, "
            f"update minerwatch or report it"
        ) from None
    if kinds is not object and (not isinstance(value, kinds) or isinstance(value, bool)):
        names = kinds.__name__ if isinstance(kinds, type) else "/".join(k.__name__ for k in kinds)
        raise SchemaChanged(
            f"{source}: field {key!r} in {where} should be {names}, got {type(value).__name__} {str(value)[:40]!r}"
        )
    return value


def _shape(obj: object) -> str:
    if isinstance(obj, dict):
        keys = list(obj)[:8]
        return "keys " + ", ".join(map(str, keys)) + (" ..." if len(obj) > 8 else "") if keys else "an empty object"
    if isinstance(obj, list):
        return f"a list of {len(obj)}"
    return type(obj).__name__


NUMBER = (int, float)
