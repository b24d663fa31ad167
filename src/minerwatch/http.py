"""The one HTTP layer: every source gets its httpx client from `client()` here.

What it adds on top of httpx, for every source alike:
- a timeout and a User-Agent naming the project (SEC EDGAR: plus a contact address, or no call);
- retries with exponential backoff on 429, 5xx, timeouts and dropped connections, honouring
  `Retry-After` up to a cap (a server asking for longer raises `RateLimited` at once);
- a per-source rate limit (minimum seconds between two requests);
- an on-disk cache of successful GET responses with a per-call freshness (TTL);
- request counting (network requests, cache hits, retries), so `minerwatch sync` can print them.

Sleeping and the clock are injected (`sleep=`, `clock=`) and so is the network (`transport=`,
e.g. `httpx.MockTransport`), so tests never wait long and never open a real socket.
Base URLs come from `minerwatch.config.setting(source, "url", default)`: env `MINERWATCH_<SOURCE>_URL`
or `[sources.<source>] url` in the config file.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx

from minerwatch import __version__ as _version
from minerwatch.config import setting
from minerwatch.errors import InputError, RateLimited, SourceError, SourceUnavailable

PROJECT_URL = "https://github.com/minerwatch/minerwatch"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Policy:
    """Timeouts, retries and pacing of one source's client (all seconds)."""

    timeout: float = 30.0
    retries: int = 4  # attempts after the first one
    backoff_base: float = 1.0  # wait before retry n (0-based) = base * 2**n, capped
    backoff_cap: float = 30.0
    retry_after_cap: float = 120.0  # a longer Retry-After raises RateLimited instead of waiting
    min_interval: float = 0.0  # rate limit: at least this long between two network requests


#: Default pacing per source, from each provider's published limits (overridable in config).
DEFAULT_MIN_INTERVAL = {
    "mempool": 0.5,
    "coingecko": 2.5,  # public tier: about 30 calls/minute
    "edgar": 0.15,  # SEC: at most 10 requests/second
    "yahoo": 1.0,
    "bitcoind": 0.0,
}


@dataclass
class Stats:
    """What a client did: network requests sent, answers served from the cache, retries made."""

    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    urls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Raw:
    """One raw payload as received: the URI it came from, the exact bytes, and when it was fetched.

    `uri` may carry a `#key=value&...` fragment with facts the parser needs that the body lacks
    (e.g. which ticker an EDGAR CIK was fetched for), so stored payloads can be re-parsed alone.
    """

    uri: str
    content: bytes
    content_type: str | None
    fetched_at: datetime  # naive UTC

    @cached_property
    def sha256(self) -> str:
        """Hex sha256 of the content (the payload's key in the store)."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def hints(self) -> dict[str, str]:
        """The `#key=value` fragment of the URI as a dict."""
        if "#" not in self.uri:
            return {}
        frag = self.uri.split("#", 1)[1]
        return dict(p.split("=", 1) for p in frag.split("&") if "=" in p)

    def json(self, source: str) -> Any:
        """The body as JSON; `SchemaChanged` (naming source and URI) when it is not valid JSON."""
        from minerwatch.errors import SchemaChanged

        try:
            return json.loads(self.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            head = self.content[:60].decode("utf-8", "replace")
            raise SchemaChanged(
                f"{source}: response from {self.uri.split('#')[0]} is not valid JSON "
                f"(truncated or not JSON: {exc.msg if hasattr(exc, 'msg') else exc} at byte "
                f"{getattr(exc, 'pos', '?')} of {len(self.content)}; starts {head!r})"
            ) from None


def user_agent(source: str) -> str:
    """The User-Agent sent to a source; EDGAR's includes the required contact address."""
    ua = f"minerwatch/{_version} (+{PROJECT_URL})"
    if source == "edgar":
        ua = f"minerwatch/{_version} {sec_contact()}"
    return ua


def sec_contact() -> str:
    """The contact address SEC asks every automated client to send; InputError saying how to set it."""
    contact = os.environ.get("MINERWATCH_SEC_CONTACT") or setting("edgar", "contact")
    if not contact or "@" not in contact:
        raise InputError(
            "SEC EDGAR requires a contact e-mail in the User-Agent of automated requests; set "
            "MINERWATCH_SEC_CONTACT=you@example.com or put `contact = \"you@example.com\"` under "
            "[sources.edgar] in the config file (minerwatch does not call EDGAR without one)"
        )
    return contact.strip()


def default_cache_dir() -> Path:
    """$MINERWATCH_CACHE_DIR, else `<user cache dir>/minerwatch/http`."""
    env = os.environ.get("MINERWATCH_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("minerwatch", appauthor=False)) / "http"


class DiskCache:
    """A small on-disk cache of successful GET bodies: `<sha>.body` + `<sha>.json` (url, type, time).

    Writes are atomic (temp file + rename) so a killed process never leaves a half entry.
    """

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def _key(self, url: str) -> str:
        return hashlib.sha256(url.encode()).hexdigest()

    def get(self, url: str, max_age: float, now: float) -> tuple[bytes, str | None, float] | None:
        """(body, content type, stored-at epoch) if a fresh entry exists."""
        key = self._key(url)
        meta_p, body_p = self.dir / f"{key}.json", self.dir / f"{key}.body"
        try:
            meta = json.loads(meta_p.read_text())
            if meta.get("url") != url or now - float(meta["stored_at"]) > max_age:
                return None
            return body_p.read_bytes(), meta.get("content_type"), float(meta["stored_at"])
        except (OSError, ValueError, KeyError):
            return None

    def put(self, url: str, body: bytes, content_type: str | None, now: float) -> None:
        """Store a body (best effort: a read-only cache folder only costs refetches)."""
        key = self._key(url)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            for name, data in ((f"{key}.body", body), (f"{key}.json", json.dumps(
                {"url": url, "content_type": content_type, "stored_at": now}
            ).encode())):
                tmp = self.dir / f".{name}.{os.getpid()}.tmp"
                tmp.write_bytes(data)
                os.replace(tmp, self.dir / name)
        except OSError:
            pass


def _retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent/garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


class Client:
    """One source's HTTP client: base URL, retries, rate limit, cache and counters around httpx."""

    def __init__(
        self,
        source: str,
        *,
        base_url: str,
        http: httpx.Client,
        policy: Policy,
        cache: DiskCache | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.policy = policy
        self.cache = cache
        self.sleep = sleep
        self.clock = clock
        self.wall = wall
        self.stats = Stats()
        self._last_request: float | None = None
        #: Called with each URL just before it is requested (progress display); None: nothing.
        self.on_request: Callable[[str], None] | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying httpx client."""
        self.http.close()

    def url(self, path: str) -> str:
        """Absolute URL of `path` under the base URL (absolute URLs pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def _pace(self) -> None:
        if self.policy.min_interval > 0 and self._last_request is not None:
            wait = self._last_request + self.policy.min_interval - self.clock()
            if wait > 0:
                self._wait(wait)
        self._last_request = self.clock()

    def _wait(self, seconds: float) -> None:
        self.stats.waited_seconds += seconds
        self.sleep(seconds)

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        ttl: float = 0.0,
        headers: Mapping[str, str] | None = None,
        hint: str | None = None,
    ) -> Raw:
        """GET `path` (relative to the base URL) and return its raw body; served from cache if fresher than `ttl` s."""
        raw = self._get(path, params, ttl=ttl, headers=headers, hint=hint, missing_ok=False)
        assert raw is not None
        return raw

    def get_optional(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        ttl: float = 0.0,
        headers: Mapping[str, str] | None = None,
        hint: str | None = None,
    ) -> Raw | None:
        """Like `get`, but None when the server answers 404 (e.g. a delisted ticker), so one item cannot sink a sync."""
        return self._get(path, params, ttl=ttl, headers=headers, hint=hint, missing_ok=True)

    def _get(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        *,
        ttl: float,
        headers: Mapping[str, str] | None,
        hint: str | None,
        missing_ok: bool,
    ) -> Raw | None:
        request = self._build("GET", path, params=params, headers=headers)
        full = str(request.url)
        uri = f"{full}#{hint}" if hint else full
        if self.cache is not None and ttl > 0:
            hit = self.cache.get(full, ttl, self.wall())
            if hit is not None:
                self.stats.cache_hits += 1
                body, ctype, stored = hit
                return Raw(uri, body, ctype, datetime.fromtimestamp(stored, UTC).replace(tzinfo=None, microsecond=0))
        response = self._send(request, ok_statuses=frozenset({404}) if missing_ok else frozenset())
        if response.status_code == 404:
            return None
        body = response.content
        ctype = response.headers.get("content-type")
        if self.cache is not None and ttl > 0:
            self.cache.put(full, body, ctype, self.wall())
        return Raw(uri, body, ctype, datetime.fromtimestamp(self.wall(), UTC).replace(tzinfo=None, microsecond=0))

    def post_json(self, path: str, payload: Any, *, ok_statuses: frozenset[int] = frozenset()) -> Raw:
        """POST a JSON body (JSON-RPC); never cached. `ok_statuses` are non-2xx codes returned, not raised."""
        request = self._build("POST", path, json=payload)
        response = self._send(request, ok_statuses=ok_statuses)
        return Raw(
            str(request.url), response.content, response.headers.get("content-type"),
            datetime.fromtimestamp(self.wall(), UTC).replace(tzinfo=None, microsecond=0),
        )

    def _build(self, method: str, path: str, **kwargs: Any) -> httpx.Request:
        url = self.url(path)
        try:
            return self.http.build_request(method, url, **kwargs)
        except httpx.HTTPError as exc:  # e.g. a base URL without http:// or https://
            raise SourceError(
                f"{self.source}: cannot request {url!r} ({_short(exc)}); the base URL must look like "
                f"https://host/path (set MINERWATCH_{self.source.upper()}_URL / [sources.{self.source}] url)"
            ) from None

    def _send(self, request: httpx.Request, *, ok_statuses: frozenset[int] = frozenset()) -> httpx.Response:
        """Send with pacing and retries; raise a SourceError subclass naming the source and URL."""
        url = str(request.url)
        pol = self.policy
        attempt = 0
        while True:
            self._pace()
            self.stats.requests += 1
            self.stats.urls.append(url)
            if self.on_request is not None:
                self.on_request(url)
            problem: str
            wait: float | None = None
            status: int | None = None
            try:
                response = self.http.send(request)
                response.read()
            except httpx.ConnectError as exc:
                # Refused / DNS: retrying does not help; say which URL and how to change it.
                raise SourceUnavailable(
                    f"{self.source}: cannot connect to {url} ({_short(exc)}); check the network or set "
                    f"MINERWATCH_{self.source.upper()}_URL / [sources.{self.source}] url"
                ) from None
            except httpx.TimeoutException as exc:
                problem = f"timed out after {pol.timeout:g} s ({type(exc).__name__})"
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                problem = f"connection dropped ({_short(exc)})"
            except httpx.HTTPError as exc:  # anything else httpx raises: one line naming the URL
                raise SourceError(
                    f"{self.source}: request to {url} failed ({type(exc).__name__}: {_short(exc)})"
                ) from None
            else:
                status = response.status_code
                if response.is_success or status in ok_statuses:
                    return response
                if status not in RETRY_STATUSES:
                    raise SourceError(
                        f"{self.source}: {url} answered HTTP {status}: {_snippet(response.content)}"
                    )
                problem = f"HTTP {status}"
                wait = _retry_after_seconds(response.headers.get("retry-after"), self.wall())
                if wait is not None and wait > pol.retry_after_cap:
                    raise RateLimited(
                        f"{self.source}: {url} asks to retry after {wait:.0f} s (over the {pol.retry_after_cap:.0f} s "
                        f"cap); try again later"
                    )
            if attempt >= pol.retries:
                cls = RateLimited if status == 429 else SourceUnavailable
                raise cls(f"{self.source}: {url} failed after {attempt + 1} attempts: {problem}")
            if wait is None:
                wait = min(pol.backoff_cap, pol.backoff_base * 2**attempt)
            attempt += 1
            self.stats.retries += 1
            self._wait(wait)


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _snippet(content: bytes) -> str:
    text = content[:200].decode("utf-8", "replace").replace("\n", " ").strip()
    return text or "(empty body)"


def base_url(source: str, default: str) -> str:
    """The configured base URL of a source (env `MINERWATCH_<SOURCE>_URL`, config, else `default`)."""
    url = (setting(source, "url", default) or default).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InputError(
            f"base URL of {source} must start with http:// or https://, got {url!r}; "
            f"fix MINERWATCH_{source.upper()}_URL or [sources.{source}] url"
        )
    return url


def client(
    source: str,
    default_url: str,
    *,
    transport: httpx.BaseTransport | None = None,
    policy: Policy | None = None,
    cache_dir: Path | None | bool = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    wall: Callable[[], float] | None = None,
    headers: Mapping[str, str] | None = None,
    auth: httpx.Auth | tuple[str, str] | None = None,
) -> Client:
    """The client for `source`: configured base URL, UA, timeouts, retries, rate limit, cache.

    `cache_dir=False` disables the cache; None uses `default_cache_dir()`.
    """
    pol = policy or Policy()
    if policy is None:
        pol.min_interval = DEFAULT_MIN_INTERVAL.get(source, 0.5)
        configured = setting(source, "min_interval")
        if configured:
            try:
                pol.min_interval = float(configured)
            except ValueError:
                raise InputError(
                    f"[sources.{source}] min_interval must be a number of seconds, got {configured!r}"
                ) from None
    hdrs = {"User-Agent": user_agent(source), "Accept": "application/json"}
    if source == "edgar":
        hdrs["Accept-Encoding"] = "gzip, deflate"
    hdrs.update(headers or {})
    http = httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(pol.timeout),
        headers=hdrs,
        auth=auth,
        follow_redirects=True,
    )
    cache = None if cache_dir is False else DiskCache(cache_dir if isinstance(cache_dir, Path) else default_cache_dir())
    return Client(
        source,
        base_url=base_url(source, default_url),
        http=http,
        policy=pol,
        cache=cache,
        sleep=sleep if sleep is not None else time.sleep,
        clock=clock if clock is not None else time.monotonic,
        wall=wall if wall is not None else time.time,
    )
