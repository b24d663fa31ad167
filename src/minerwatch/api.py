"""The JSON API and the dashboard: FastAPI routes over `minerwatch.service`, read-only against the store.

Every route is a thin wrapper: it validates nothing the service does not, calls the same service
function as the matching CLI command and serialises with `minerwatch.output.to_json`, so
`GET /api/v1/hashprice?month=2025-02` is byte-for-byte what `minerwatch hashprice --month 2025-02
--format json` prints. The store is opened read-only for the length of one request only, so a
`minerwatch sync` in another process can take the write lock between requests; while it holds the
lock, requests retry briefly and then answer 503. Answers are cached in memory per store-file
version (size and mtime of the file and its WAL) and carry a content ETag, so repeated requests for a
month cost a `stat` and a dict lookup.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _pkg_version
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from minerwatch.errors import DataGap, InputError, MinerwatchError, SourceError, StoreError
from minerwatch.output import to_csv, to_json
from minerwatch.store import Store

log = logging.getLogger("minerwatch.api")

API_PREFIX = "/api/v1"
#: Month-level answers change only when a sync writes the store; clients may reuse them for a minute
#: and then revalidate with If-None-Match (answered 304 from memory).
CACHE_CONTROL = "public, max-age=60, must-revalidate"


def package_version() -> str:
    """The installed minerwatch version (or 'unknown' when running from an uninstalled tree)."""
    try:
        return _pkg_version("minerwatch")
    except PackageNotFoundError:
        return "unknown"


class StoreLocked(StoreError):
    """Another process (a sync) holds the store's write lock and did not release it in time."""


class NotAvailable(MinerwatchError):
    """This install lacks the module behind an endpoint (e.g. the basket or the report)."""


# -- the store, read-only, per request -------------------------------------------------------------

def _is_lock_error(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc
    text = str(cause).lower()
    # Another process holds the file lock, or this process holds the file open for writing.
    return "lock" in text or "different configuration" in text


class StoreGate:
    """Opens the store read-only for one unit of work, retrying briefly while a writer holds the lock."""

    def __init__(self, path: Path, *, lock_wait_s: float = 2.0, retry_every_s: float = 0.05) -> None:
        self.path = path
        self.lock_wait_s = lock_wait_s
        self.retry_every_s = retry_every_s

    def fingerprint(self) -> str:
        """Version of the store file: size and mtime of the file and of its write-ahead log."""
        parts = []
        for p in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = p.stat()
                parts.append(f"{st.st_size}:{st.st_mtime_ns}")
            except FileNotFoundError:
                parts.append("-")
        return "|".join(parts)

    @contextmanager
    def reader(self) -> Iterator[Store]:
        """A read-only Store, closed on exit; StoreLocked after `lock_wait_s` of a held lock."""
        deadline = time.monotonic() + self.lock_wait_s
        delay = self.retry_every_s
        while True:
            try:
                store = Store.open(self.path, read_only=True)
                break
            except StoreError as exc:
                if not _is_lock_error(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise StoreLocked(
                        f"the store is locked by another minerwatch process (a sync?) and stayed locked "
                        f"for {self.lock_wait_s:g} s; retry in a few seconds"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        try:
            yield store
        finally:
            store.close()


def prepare_store(path: Path) -> None:
    """Create/migrate the store once before serving (as any CLI command does); tolerate a held lock."""
    try:
        Store.open(path).close()
    except StoreError as exc:
        if path.exists() and _is_lock_error(exc):
            log.warning("store %s is locked by another process; serving it read-only as it is", path)
            return
        raise


class AnswerCache:
    """A small LRU of finished answers keyed by (store version, path, query)."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple, tuple[str, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[str, bytes, str] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: tuple, value: tuple[str, bytes, str]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [t.strip() for t in header.split(",")]
    return etag in tags or f"W/{etag}" in tags


def optional_service(module: str, attr: str, what: str) -> Callable[..., Any]:
    """A service function from a module that may not be in this install; NotAvailable (501) if missing."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == module or module.startswith(exc.name + ".")):
            raise NotAvailable(f"{what} needs {module}, which this minerwatch install does not have") from None
        raise
    fn = getattr(mod, attr, None)
    if fn is None:
        raise NotAvailable(f"{what} needs {module}.{attr}, which this minerwatch install does not have")
    return fn


# -- errors -> HTTP -------------------------------------------------------------------------------

_STATUS: list[tuple[type[MinerwatchError], int, str]] = [
    (InputError, 422, "input"),
    (DataGap, 404, "data_gap"),
    (StoreLocked, 503, "store_locked"),
    (StoreError, 503, "store"),
    (NotAvailable, 501, "not_available"),
    (SourceError, 502, "source"),
]


def error_status(exc: MinerwatchError) -> tuple[int, str]:
    """HTTP status and a short error code for a MinerwatchError."""
    for cls, status, code in _STATUS:
        if isinstance(exc, cls):
            return status, code
    return 500, "error"


_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)")


def api_message(exc: MinerwatchError) -> str:
    """The error's message with CLI flags (`--power-usd-kwh`) named as API parameters (`power_usd_kwh`)."""
    text = str(exc)
    if isinstance(exc, InputError):
        text = _FLAG.sub(lambda m: m.group(1).replace("-", "_"), text)
    return text


def _validation_message(exc: RequestValidationError) -> str:
    msgs = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body")]
        name = ".".join(loc) or "request"
        got = err.get("input")
        shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
        msgs.append(f"{name}: {err.get('msg', 'invalid value')}{shown}")
    return "; ".join(msgs)


# -- query parameters shared by routes (module level so FastAPI can resolve them) ----------------

Month = Annotated[
    str | None,
    Query(description="Calendar month YYYY-MM (default: the latest complete month in the store).",
          examples=["2025-02"]),
]
Estimator = Annotated[
    str, Query(description="Hashrate estimator: blockcount (default) or difficulty.")
]
Basis = Annotated[str, Query(description="Revenue basis: realized (default) or expected.")]
Smooth = Annotated[int, Query(description="Trailing mean of the hashrate over N days (1 = none).")]


# -- the app ---------------------------------------------------------------------------------------

def create_app(db_path: Path | str | None = None, *, lock_wait_s: float = 2.0, prepare: bool = True) -> FastAPI:
    """The FastAPI app serving the JSON API under /api/v1 and the dashboard at /.

    `db_path` defaults to $MINERWATCH_DB or the user data dir, like the CLI. With `prepare`, the store
    is created/migrated once (writable) before serving; every request then opens it read-only.
    """
    from minerwatch.config import default_db_path

    path = Path(db_path).expanduser() if db_path is not None else default_db_path()
    if prepare:
        prepare_store(path)
    gate = StoreGate(path, lock_wait_s=lock_wait_s)
    cache = AnswerCache()
    version = package_version()

    app = FastAPI(
        title="minerwatch",
        version=version,
        # FastAPI's own /docs loads Swagger UI from a CDN; /docs here is a server-rendered page instead.
        docs_url=None,
        redoc_url=None,
        description=(
            "Bitcoin-mining research figures from the minerwatch store: hashprice, BTC, the miner equities "
            "basket, mining economics and the monthly note's facts. Every endpoint returns exactly what the "
            "matching `minerwatch <command> --format json` prints."
        ),
    )
    app.state.gate = gate
    app.state.cache = cache

    @app.exception_handler(MinerwatchError)
    async def _minerwatch_error(request: Request, exc: MinerwatchError) -> JSONResponse:
        status, code = error_status(exc)
        headers = {"Retry-After": "2"} if isinstance(exc, StoreLocked) else None
        message = api_message(exc)
        if status >= 500:
            log.warning("%s %s -> %s: %s", request.method, request.url.path, status, exc)
        return JSONResponse({"error": code, "detail": message}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": "input", "detail": _validation_message(exc)}, status_code=422)

    def answer(request: Request, compute: Callable[[Store], tuple[bytes, str]], *, cache_control: str) -> Response:
        """Serve from the per-version cache (304 when If-None-Match matches) or compute and cache."""
        key = (gate.fingerprint(), request.url.path, tuple(sorted(request.query_params.multi_items())))
        hit = cache.get(key)
        if hit is None:
            with gate.reader() as store:
                body, media = compute(store)
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            hit = (etag, body, media)
            cache.put(key, hit)
        etag, body, media = hit
        headers = {"ETag": etag, "Cache-Control": cache_control}
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media, headers=headers)

    def json_answer(request: Request, build: Callable[[Store], Any]) -> Response:
        return answer(
            request, lambda s: (to_json(build(s)).encode(), "application/json"), cache_control=CACHE_CONTROL
        )

    def json_month_answer(request: Request, month: str | None, build: Callable[[Store, str], Any]) -> Response:
        """A month-level answer: the month is checked before the store is opened (422 even under a lock)."""
        from minerwatch import service

        if month is not None:
            service.parse_month(month)
        return json_answer(request, lambda s: build(s, month or service.latest_complete_month(s)))

    @app.get(f"{API_PREFIX}/hashprice", tags=["api"], summary="Monthly hashprice (CLI: minerwatch hashprice)")
    def hashprice(
        request: Request,
        month: Month = None,
        estimator: Estimator = "blockcount",
        basis: Basis = "realized",
        smooth: Smooth = 1,
    ) -> Response:
        """Monthly mean hashprice (USD and BTC per EH/s per day, USD per PH/s), hashrate, fee share, MoM."""
        from minerwatch import service

        return json_month_answer(
            request,
            month,
            lambda s, m: service.hashprice_month(s, m, estimator=estimator, basis=basis, smooth_days=smooth),
        )

    @app.get(f"{API_PREFIX}/btc", tags=["api"], summary="BTC over a month (CLI: minerwatch btc)")
    def btc(request: Request, month: Month = None) -> Response:
        """BTC open/close and change, 30-day change, low/high, all-time highs and drawdown."""
        from minerwatch import service

        return json_month_answer(request, month, service.btc_month)

    @app.get(f"{API_PREFIX}/basket", tags=["api"], summary="Miner equities basket (CLI: minerwatch basket)")
    def basket(request: Request, month: Month = None) -> Response:
        """Aggregate market cap of the tracked miners at the month's start and end, members and cohorts."""
        fn = optional_service("minerwatch.service_basket", "basket_month", "the basket endpoint")
        return json_month_answer(request, month, fn)

    @app.get(f"{API_PREFIX}/economics", tags=["api"], summary="Mining economics (CLI: minerwatch economics)")
    def economics(
        request: Request,
        efficiency_jth: Annotated[float, Query(description="Fleet efficiency, J/TH (e.g. 26).")],
        power_usd_kwh: Annotated[float, Query(description="Power price, USD/kWh (e.g. 0.04).")],
        month: Month = None,
        opex_usd_kwh: Annotated[float | None, Query(description="Other running cost, USD/kWh (default 0).")] = None,
        pool_fee_pct: Annotated[float | None, Query(description="Pool fee, percent of revenue (default 0).")] = None,
        machine_usd_per_th: Annotated[
            float | None, Query(description="Machine price, USD per TH/s, for the payback.")
        ] = None,
    ) -> Response:
        """Revenue, cost and gross profit per EH/s per day, margin, breakeven power price, cost per BTC."""
        fn = optional_service("minerwatch.service_economics", "economics_month", "the economics endpoint")
        # Only the options given are passed on, so the service's own defaults apply as in the CLI.
        given = {"opex_usd_kwh": opex_usd_kwh, "pool_fee_pct": pool_fee_pct, "machine_usd_per_th": machine_usd_per_th}
        kwargs: dict[str, float] = {k: v for k, v in given.items() if v is not None}
        return json_month_answer(
            request,
            month,
            lambda s, m: fn(s, m, efficiency_jth=efficiency_jth, power_usd_kwh=power_usd_kwh, **kwargs),
        )

    @app.get(f"{API_PREFIX}/network", tags=["api"], summary="Daily network series (CLI: minerwatch network)")
    def network(
        request: Request,
        start: Annotated[str, Query(alias="from", description="First day, YYYY-MM-DD.")],
        end: Annotated[str, Query(alias="to", description="Last day, YYYY-MM-DD.")],
        estimator: Estimator = "blockcount",
        basis: Basis = "realized",
        smooth: Smooth = 1,
        format: Annotated[str, Query(description="json (default) or csv.")] = "json",
    ) -> Response:
        """The daily series behind the hashprice: blocks, difficulty, hashrate, revenue, price, hashprice."""
        from minerwatch import service
        from minerwatch.commands.network import NETWORK_COLUMNS

        if format not in ("json", "csv"):
            raise InputError(f"format must be json or csv; got {format!r}")
        first = service.parse_date(start, "from")
        last = service.parse_date(end, "to")

        def build(s: Store) -> tuple[bytes, str]:
            frame = service.network_daily(s, first, last, estimator=estimator, basis=basis, smooth_days=smooth)
            frame = frame.select(NETWORK_COLUMNS)
            if format == "csv":
                return to_csv(frame).encode(), "text/csv; charset=utf-8"
            return to_json(frame).encode(), "application/json"

        return answer(request, build, cache_control=CACHE_CONTROL)

    @app.get(f"{API_PREFIX}/report/{{month}}", tags=["api"], summary="The month's facts.json (CLI: minerwatch report)")
    def report(
        request: Request,
        month: str,
        efficiency_jth: Annotated[float | None, Query(description="Fleet efficiency, J/TH.")] = None,
        power_usd_kwh: Annotated[float | None, Query(description="All-in power price, USD/kWh.")] = None,
    ) -> Response:
        """Every figure of the month's note with its unit, formula, inputs and sources (facts.json)."""
        from minerwatch import service

        service.parse_month(month)
        fn = optional_service("minerwatch.report", "build_facts", "the report endpoint")
        kwargs = report_kwargs(efficiency_jth, power_usd_kwh)
        return json_answer(request, lambda s: fn(s, month, **kwargs))

    @app.get(f"{API_PREFIX}/health", tags=["api"], summary="Store path, data range, last sync per source")
    def health(request: Request) -> Response:
        """Whether the store opens, what it holds and when each source was last synced."""
        from minerwatch.web.health import store_health

        with gate.reader() as s:
            data = store_health(s, version=version)
        return Response(to_json(data).encode(), media_type="application/json", headers={"Cache-Control": "no-store"})

    from minerwatch.web.pages import register_pages

    register_pages(app, answer=answer, gate=gate)
    app.mount("/static", StaticFiles(directory=str(resources.files("minerwatch.web") / "static")), name="static")
    return app


def report_kwargs(efficiency_jth: float | None, power_usd_kwh: float | None) -> dict[str, float]:
    """Keyword arguments for build_facts: only the overrides given (the report has its own defaults)."""
    out = {}
    if efficiency_jth is not None:
        out["efficiency_jth"] = efficiency_jth
    if power_usd_kwh is not None:
        out["power_usd_kwh"] = power_usd_kwh
    return out

