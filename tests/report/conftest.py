"""Report fixtures: one note for the golden month written once per session from the embedded snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from minerwatch.store import Store

GOLDEN_MONTH = "2025-02"


@pytest.fixture(scope="session")
def report_dir(snapshot_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden month's note, written once (read-only store on the session snapshot)."""
    from minerwatch.report import write_report

    out = tmp_path_factory.mktemp("report") / GOLDEN_MONTH
    with Store.open(snapshot_db, read_only=True) as store:
        write_report(store, GOLDEN_MONTH, out)
    return out


@pytest.fixture(scope="session")
def report_facts(report_dir: Path) -> dict[str, Any]:
    """facts.json of the golden month."""
    return json.loads((report_dir / "facts.json").read_text())


@pytest.fixture(scope="session")
def report_md(report_dir: Path) -> str:
    """report.md of the golden month."""
    return (report_dir / "report.md").read_text()
