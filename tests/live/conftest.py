"""Fixtures for the live-data tests: recorded payloads and a scriptable HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from minerwatch.http import Raw

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_bytes(rel: str) -> bytes:
    """Bytes of a file under tests/fixtures."""
    return (FIXTURES / rel).read_bytes()


def raw_of(rel: str, uri: str, fetched: datetime = datetime(2026, 1, 12, 1, 0, 0)) -> Raw:
    """A recorded payload wrapped as if just fetched from `uri`."""
    return Raw(uri, fixture_bytes(rel), "application/json", fetched)


@dataclass
class Reply:
    """One scripted answer: status, body, headers; `delay` s before answering; `truncate` drops half the body."""

    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False


class Server:
    """A real HTTP server on a free loopback port; `routes[path_prefix]` = list of Replies (last one repeats)
    or a callable(method, path, body) -> Reply."""

    Reply = Reply

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply] | Callable[[str, str, bytes], Reply]] = {}
        self.log: list[tuple[str, str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.log.append((method, self.path, dict(self.headers)))
                reply = outer.pick(method, self.path, body)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    if reply.truncate:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(reply.body[: len(reply.body) // 2] if reply.truncate else reply.body)
                    self.wfile.flush()
                    if reply.truncate:
                        self.close_connection = True
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def pick(self, method: str, path: str, body: bytes) -> Reply:
        best = max((p for p in self.routes if path.startswith(p)), key=len, default=None)
        if best is None:
            return Reply(404, json.dumps({"error": f"no route for {path}"}).encode())
        route = self.routes[best]
        if callable(route):
            return route(method, path, body)
        return route.pop(0) if len(route) > 1 else route[0]

    def paths(self) -> list[str]:
        return [p for _, p, _ in self.log]


@pytest.fixture()
def server() -> Iterator[Server]:
    """A scriptable HTTP server on 127.0.0.1 (a thread), stopped after the test."""
    s = Server()
    s.thread.start()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()


@pytest.fixture()
def refused_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


class Sleeps(list):
    """A fake `sleep` recording the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))


@pytest.fixture()
def sleeps() -> Sleeps:
    return Sleeps()


class Recorded:
    """Access to the recorded payloads under tests/fixtures (a fixture, since conftest is not importable)."""

    root = FIXTURES

    @staticmethod
    def bytes(rel: str) -> bytes:
        return fixture_bytes(rel)

    @staticmethod
    def raw(rel: str, uri: str, fetched: datetime = datetime(2026, 1, 12, 1, 0, 0)) -> Raw:
        return raw_of(rel, uri, fetched)


@pytest.fixture()
def recorded() -> type[Recorded]:
    """Helpers to read tests/fixtures payloads."""
    return Recorded
