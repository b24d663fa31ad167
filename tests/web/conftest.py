"""Fixtures of the API/dashboard tests: an app on a private store copy and a synchronous ASGI client."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from minerwatch.api import create_app


class AsgiClient:
    """Calls the app in-process through httpx's ASGI transport (no socket), one request at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.get(url, **kwargs)

        return asyncio.run(go())

    def json(self, url: str) -> Any:
        r = self.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text)
        return r.json()


@pytest.fixture()
def app(db_path: Path) -> Any:
    """The FastAPI app on a private copy of the snapshot store (short lock wait so 503 tests are quick)."""
    return create_app(db_path, lock_wait_s=0.3)


@pytest.fixture()
def api(app: Any) -> AsgiClient:
    """An in-process client of `app`."""
    return AsgiClient(app)


@pytest.fixture()
def client_for(db_path: Path) -> Any:
    """Build another client on the same store copy, with create_app options (e.g. lock_wait_s)."""
    return lambda **kwargs: AsgiClient(create_app(db_path, **kwargs))
