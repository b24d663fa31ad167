"""The HTTP layer against a real local server: retries, Retry-After, timeouts, truncation, refusal, cache, pacing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from minerwatch import http
from minerwatch.errors import InputError, RateLimited, SchemaChanged, SourceError, SourceUnavailable
from minerwatch.http import Policy
from minerwatch.sources import mempool


def make(server_url: str, sleeps, *, retries: int = 3, timeout: float = 2.0, cache=False, **kw) -> http.Client:
    pol = Policy(timeout=timeout, retries=retries, backoff_base=0.5, backoff_cap=4.0, retry_after_cap=60.0)
    return http.client("mempool", server_url, policy=pol, cache_dir=cache, sleep=sleeps, **kw)


def test_429_with_retry_after_waits_what_the_server_asks(server, sleeps):
    server.routes["/x"] = [server.Reply(429, b"slow down", {"Retry-After": "7"}), server.Reply(200, b'{"ok": 1}')]
    with make(server.url, sleeps) as c:
        raw = c.get("x")
    assert json.loads(raw.content) == {"ok": 1}
    assert sleeps == [7.0]
    assert (c.stats.requests, c.stats.retries) == (2, 1)


def test_429_asking_longer_than_the_cap_raises_rate_limited_at_once(server, sleeps):
    server.routes["/x"] = [server.Reply(429, b"", {"Retry-After": "3600"})]
    with make(server.url, sleeps) as c, pytest.raises(RateLimited, match="retry after 3600 s"):
        c.get("x")
    assert sleeps == [] and c.stats.requests == 1


def test_429_every_time_raises_rate_limited_after_the_retries(server, sleeps):
    server.routes["/x"] = [server.Reply(429, b"")]
    with (
        make(server.url, sleeps, retries=2) as c,
        pytest.raises(RateLimited, match="failed after 3 attempts: HTTP 429"),
    ):
        c.get("x")
    assert sleeps == [0.5, 1.0]  # exponential backoff when no Retry-After


def test_500_then_success(server, sleeps):
    server.routes["/x"] = [server.Reply(500, b"oops"), server.Reply(503, b"busy"), server.Reply(200, b"[1]")]
    with make(server.url, sleeps) as c:
        assert c.get("x").content == b"[1]"
    assert sleeps == [0.5, 1.0]
    assert c.stats.requests == 3


def test_404_is_not_retried_and_names_the_url(server, sleeps):
    server.routes["/x"] = [server.Reply(404, b'{"error":"nope"}')]
    with make(server.url, sleeps) as c, pytest.raises(SourceError) as err:
        c.get("x")
    assert str(err.value) == f'mempool: {server.url}/x answered HTTP 404: {{"error":"nope"}}'
    assert sleeps == []


def test_timeout_retries_then_source_unavailable(server, sleeps):
    server.routes["/slow"] = [server.Reply(200, b"{}", delay=1.0)]
    with make(server.url, sleeps, retries=1, timeout=0.2) as c, pytest.raises(SourceUnavailable) as err:
        c.get("slow")
    assert str(err.value) == f"mempool: {server.url}/slow failed after 2 attempts: timed out after 0.2 s (ReadTimeout)"
    assert sleeps == [0.5]


def test_timeout_then_success(server, sleeps):
    server.routes["/slow"] = [server.Reply(200, b"{}", delay=1.0), server.Reply(200, b'{"a": 2}')]
    with make(server.url, sleeps, timeout=0.3) as c:
        assert c.get("slow").content == b'{"a": 2}'


def test_truncated_body_is_a_dropped_connection_and_is_retried(server, sleeps):
    body = json.dumps([{"avgHeight": i, "timestamp": i, "avgFees": i} for i in range(50)]).encode()
    server.routes["/t"] = [server.Reply(200, body, truncate=True), server.Reply(200, body)]
    with make(server.url, sleeps) as c:
        assert c.get("t").content == body
    assert c.stats.retries == 1


def test_truncated_json_with_a_consistent_length_is_schema_changed_naming_the_url(server, sleeps):
    server.routes["/t"] = [server.Reply(200, b'[{"avgHeight": 1, "timest')]
    with make(server.url, sleeps) as c:
        raw = c.get("t")
    with pytest.raises(SchemaChanged, match=r"mempool: response from http://127\.0\.0\.1:\d+/t is not valid JSON"):
        raw.json("mempool")


def test_changed_schema_names_the_field(server, sleeps):
    server.routes["/v1/mining/blocks/fees/3d"] = [server.Reply(200, b'[{"avgHeight": 1, "time": 5, "avgFees": 9}]')]
    with make(server.url, sleeps) as c:
        raw = c.get("v1/mining/blocks/fees/3d", hint="kind=fees")
    with pytest.raises(SchemaChanged) as err:
        mempool.parse([raw])
    assert "field 'timestamp' missing" in str(err.value)
    assert "item 0" in str(err.value)


def test_connection_refused_names_the_url_and_how_to_change_it(refused_url, sleeps):
    with make(refused_url, sleeps) as c, pytest.raises(SourceUnavailable) as err:
        c.get("v1/x")
    msg = str(err.value)
    assert msg.startswith(f"mempool: cannot connect to {refused_url}/v1/x (")
    assert msg.endswith("set MINERWATCH_MEMPOOL_URL / [sources.mempool] url")
    assert sleeps == []  # refusal is not retried


def test_base_url_from_env_and_config(monkeypatch, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sources.mempool]\nurl = "http://127.0.0.1:9/api/"\n')
    monkeypatch.setenv("MINERWATCH_CONFIG", str(cfg))
    assert http.base_url("mempool", mempool.DEFAULT_URL) == "http://127.0.0.1:9/api"
    monkeypatch.setenv("MINERWATCH_MEMPOOL_URL", "http://localhost:8999/api")
    assert http.base_url("mempool", mempool.DEFAULT_URL) == "http://localhost:8999/api"


def test_user_agent_names_the_project(server, sleeps):
    server.routes["/"] = [server.Reply(200, b"{}")]
    with make(server.url, sleeps) as c:
        c.get("a")
    assert server.log[0][2]["User-Agent"].startswith("minerwatch/0.1.0 (+https://")


def test_edgar_refuses_without_a_contact(monkeypatch):
    monkeypatch.delenv("MINERWATCH_SEC_CONTACT", raising=False)
    with pytest.raises(InputError, match="set MINERWATCH_SEC_CONTACT=you@example.com"):
        http.client("edgar", "http://127.0.0.1:9", cache_dir=False)


def test_edgar_sends_the_contact_in_the_user_agent(server, sleeps, monkeypatch):
    monkeypatch.setenv("MINERWATCH_SEC_CONTACT", "Jane Doe jane@example.org")
    server.routes["/"] = [server.Reply(200, b"{}")]
    with http.client("edgar", server.url, cache_dir=False, sleep=sleeps) as c:
        c.get("api/x")
    assert server.log[0][2]["User-Agent"] == "minerwatch/0.1.0 Jane Doe jane@example.org"


def test_disk_cache_serves_fresh_entries_without_a_request(server, sleeps, tmp_path):
    server.routes["/c"] = [server.Reply(200, b'{"n": 1}'), server.Reply(200, b'{"n": 2}')]
    with make(server.url, sleeps, cache=tmp_path / "cache") as c:
        first = c.get("c", ttl=60)
        second = c.get("c", ttl=60)
        third = c.get("c")  # ttl 0: always the network
    assert (first.content, second.content, third.content) == (b'{"n": 1}', b'{"n": 1}', b'{"n": 2}')
    assert (c.stats.requests, c.stats.cache_hits) == (2, 1)
    assert len(server.log) == 2


def test_rate_limit_spaces_requests(server):
    server.routes["/"] = [server.Reply(200, b"{}")]
    now = [100.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(round(s, 3))
        now[0] += s

    pol = Policy(min_interval=2.0)
    with http.client("coingecko", server.url, policy=pol, cache_dir=False, sleep=sleep, clock=lambda: now[0]) as c:
        c.get("a")
        now[0] += 0.5
        c.get("b")
        c.get("c")
    assert waits == [1.5, 2.0]


def test_mock_transport_is_injectable():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"prices": []})

    with http.client(
        "coingecko", "https://api.example.test/v3", transport=httpx.MockTransport(handler), cache_dir=False
    ) as c:
        c.get("coins/bitcoin/market_chart", {"days": "2"})
    assert seen == ["https://api.example.test/v3/coins/bitcoin/market_chart?days=2"]


def test_retry_after_as_an_http_date(server, sleeps):
    import email.utils

    now = 1_768_000_000.0
    when = email.utils.formatdate(now + 12, usegmt=True)
    server.routes["/x"] = [server.Reply(503, b"", {"Retry-After": when}), server.Reply(200, b"{}")]
    with make(server.url, sleeps, wall=lambda: now) as c:
        c.get("x")
    assert sleeps == [12.0]


def test_each_source_gets_its_own_default_pacing_and_config_overrides_it(server, monkeypatch):
    server.routes["/"] = [server.Reply(200, b"{}")]
    for name in ("MEMPOOL", "COINGECKO", "EDGAR", "YAHOO"):
        monkeypatch.delenv(f"MINERWATCH_{name}_MIN_INTERVAL", raising=False)
    monkeypatch.setenv("MINERWATCH_SEC_CONTACT", "test@example.org")

    def waits_of(source: str) -> list[float]:
        now = [0.0]
        waits: list[float] = []

        def sleep(s: float) -> None:
            waits.append(round(s, 3))
            now[0] += s

        with http.client(source, server.url, cache_dir=False, sleep=sleep, clock=lambda: now[0]) as c:
            for path in ("a", "b", "c"):
                c.get(path)
        return waits

    assert waits_of("mempool") == [0.5, 0.5]
    assert waits_of("coingecko") == [2.5, 2.5]
    assert waits_of("edgar") == [0.15, 0.15]
    assert waits_of("yahoo") == [1.0, 1.0]
    monkeypatch.setenv("MINERWATCH_COINGECKO_MIN_INTERVAL", "6")  # e.g. a keyless user seeing 429s
    assert waits_of("coingecko") == [6.0, 6.0]
    monkeypatch.setenv("MINERWATCH_COINGECKO_MIN_INTERVAL", "soon")
    with pytest.raises(InputError, match=r"\[sources.coingecko\] min_interval must be a number of seconds"):
        waits_of("coingecko")


def test_the_cache_is_on_disk_shared_by_clients_and_expires(server, sleeps, tmp_path):
    server.routes["/c"] = [server.Reply(200, b'{"n": 1}'), server.Reply(200, b'{"n": 2}')]
    now = [1_768_000_000.0]
    cache = tmp_path / "cache"
    with make(server.url, sleeps, cache=cache, wall=lambda: now[0]) as c:
        assert c.get("c", ttl=60).content == b'{"n": 1}'
    assert len(list(cache.glob("*.body"))) == 1 and not list(cache.glob(".*.tmp"))
    now[0] += 59
    with make(server.url, sleeps, cache=cache, wall=lambda: now[0]) as c:  # a new process, same folder
        hit = c.get("c", ttl=60)
        assert (hit.content, c.stats.requests, c.stats.cache_hits) == (b'{"n": 1}', 0, 1)
    assert hit.fetched_at == datetime.fromtimestamp(1_768_000_000, UTC).replace(tzinfo=None)  # when it was fetched
    now[0] += 2
    with make(server.url, sleeps, cache=cache, wall=lambda: now[0]) as c:  # 61 s old: stale, refetched
        assert c.get("c", ttl=60).content == b'{"n": 2}'
        assert (c.stats.requests, c.stats.cache_hits) == (1, 0)
    assert len(server.log) == 2
