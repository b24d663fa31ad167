"""Shared fixtures: an isolated store built once from the embedded snapshot, copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from minerwatch.store import Store


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the user's store or config, whatever the environment says."""
    monkeypatch.setenv("MINERWATCH_DB", str(tmp_path / "default-store.duckdb"))
    monkeypatch.setenv("MINERWATCH_CONFIG", str(tmp_path / "no-config.toml"))
    for var in list(__import__("os").environ):
        if var.startswith("MINERWATCH_") and var.endswith("_URL"):
            monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def snapshot_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file with the embedded snapshot loaded, built once per session. Do not write to it."""
    path = tmp_path_factory.mktemp("snapshot") / "snapshot.duckdb"
    Store.open(path).close()
    return path


@pytest.fixture()
def db_path(snapshot_db: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the snapshot store."""
    dest = tmp_path / "store.duckdb"
    shutil.copy(snapshot_db, dest)
    return dest


@pytest.fixture()
def store(db_path: Path) -> Iterator[Store]:
    """An open, writable store on a private copy of the snapshot."""
    s = Store.open(db_path)
    try:
        yield s
    finally:
        s.close()
