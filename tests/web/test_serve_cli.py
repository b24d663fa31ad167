"""`minerwatch serve`: defaults to 127.0.0.1:8000, passes --host/--port/--db through, documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from minerwatch.cli import app as cli_app


@pytest.fixture()
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen["app"] = app
        seen.update(kwargs)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    # Whether this machine's port 8000 is free is not what these tests are about.
    monkeypatch.setattr("minerwatch.commands.serve.check_bindable", lambda host, port: None)
    return seen


def test_serve_binds_loopback_by_default(captured: dict[str, Any], db_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert (captured["host"], captured["port"]) == ("127.0.0.1", 8000)
    assert captured["app"].state.gate.path == db_path
    assert result.output == f"minerwatch: serving {db_path} at http://127.0.0.1:8000/ (Ctrl-C stops)\n"


def test_serve_host_and_port(captured: dict[str, Any], db_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--port", "9000", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert (captured["host"], captured["port"]) == ("0.0.0.0", 9000)
    assert result.output.splitlines() == [
        f"minerwatch: serving {db_path} at http://0.0.0.0:9000/ (Ctrl-C stops)",
        "minerwatch: 0.0.0.0 is reachable from other machines; the API is read-only and has no login",
    ]


def test_serve_rejects_a_bad_port(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert "Invalid value for '--port': Input should be less than or equal to 65535" in result.output
    assert captured == {}


def test_serve_help_has_an_example() -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "Example: minerwatch serve --port 8000" in result.output


def test_serve_port_in_use_is_one_error_line(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    import socket

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn must not start"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli_app, ["serve", "--port", str(port), "--db", str(db_path)])
    assert result.exit_code == 2
    assert result.output == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use; choose another --port or --host\n"
    )


def test_serve_unknown_host_is_one_error_line(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn must not start"))
    result = CliRunner().invoke(cli_app, ["serve", "--host", "256.1.1.1", "--db", str(db_path)])
    assert result.exit_code == 2
    assert result.output.startswith("error: --host '256.1.1.1' is not an address of this machine (")
    assert result.output.count("\n") == 1
