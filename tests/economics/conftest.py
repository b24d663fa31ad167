"""Fixtures for the economics tests: one read-only store on the session snapshot, shared by a module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from minerwatch.store import Store


@pytest.fixture(scope="module")
def ro_store(snapshot_db: Path) -> Iterator[Store]:
    """The session snapshot opened read-only (economics only reads)."""
    s = Store.open(snapshot_db, read_only=True)
    try:
        yield s
    finally:
        s.close()
