"""The dashboard's HTML routes: server-rendered Jinja2 pages that work with JavaScript off."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from minerwatch.errors import InputError, MinerwatchError
from minerwatch.output import fmt_num
from minerwatch.store import Store

HTML_CACHE_CONTROL = "no-cache"


def _num(value: Any, decimals: int = 2, sign: bool = False) -> str:
    return fmt_num(value, decimals, sign=sign)


def _raw(value: Any) -> str:
    """The value as the JSON API writes it (floats by repr, None as empty), for data-value attributes."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def environment() -> Environment:
    """The Jinja2 environment of the dashboard templates (autoescaped; figures formatted like the CLI)."""
    env = Environment(
        loader=PackageLoader("minerwatch.web", "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["raw"] = _raw
    return env


def parse_float_param(value: str | None, name: str) -> float | None:
    """A form field as float: empty -> None; InputError naming the field otherwise."""
    if value is None or value.strip() == "":
        return None
    try:
        out = float(value)
    except ValueError:
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(out):
        raise InputError(f"{name} must be a finite number, got {value!r}")
    return out


def register_pages(app: FastAPI, *, answer: Callable[..., Response], gate: Any) -> None:
    """Add the dashboard routes to the API app."""
    env = environment()

    def error_page(exc: MinerwatchError, month: str | None) -> HTMLResponse:
        from minerwatch.api import error_status

        status, code = error_status(exc)
        html = env.get_template("error.html").render(message=str(exc), code=code, status=status, month=month)
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(
        request: Request,
        month: str | None = None,
        efficiency_jth: str | None = None,
        power_usd_kwh: str | None = None,
    ) -> Response:
        """The month's dashboard: hashprice and hashrate, BTC, the basket, economics, link to the note."""
        from minerwatch.web.dashboard import dashboard_context

        # A fleet field that is not a number spoils only the economics section, like a negative one.
        fleet: dict[str, float | None] = {}
        fleet_errors = []
        for name, raw in (("efficiency_jth", efficiency_jth), ("power_usd_kwh", power_usd_kwh)):
            try:
                fleet[name] = parse_float_param(raw, name)
            except InputError as exc:
                fleet[name] = None
                fleet_errors.append(str(exc))
        try:
            chosen = month.strip() if month and month.strip() else None

            def build(store: Store) -> tuple[bytes, str]:
                ctx = dashboard_context(
                    store,
                    chosen,
                    efficiency_jth=fleet["efficiency_jth"],
                    power_usd_kwh=fleet["power_usd_kwh"],
                    fleet_error="; ".join(fleet_errors) or None,
                )
                return env.get_template("dashboard.html").render(**ctx).encode(), "text/html; charset=utf-8"

            return answer(request, build, cache_control=HTML_CACHE_CONTROL)
        except MinerwatchError as exc:
            return error_page(exc, month)

    @app.get("/note/{month}", response_class=HTMLResponse, include_in_schema=False)
    def note(
        request: Request, month: str, efficiency_jth: str | None = None, power_usd_kwh: str | None = None
    ) -> Response:
        """The month's note as `minerwatch report` writes it (report.html, charts inlined)."""
        from minerwatch import service
        from minerwatch.api import optional_service, report_kwargs

        try:
            service.parse_month(month)
            write_report = optional_service("minerwatch.report", "write_report", "the note")
            kwargs = report_kwargs(
                parse_float_param(efficiency_jth, "efficiency_jth"), parse_float_param(power_usd_kwh, "power_usd_kwh")
            )

            def build(store: Store) -> tuple[bytes, str]:
                # The report writes files; render into a private temporary folder and serve its HTML.
                with tempfile.TemporaryDirectory(prefix="minerwatch-note-") as tmp:
                    written = write_report(store, month, Path(tmp), **kwargs)
                    html = Path(written["html"]).read_bytes()
                return html, "text/html; charset=utf-8"

            return answer(request, build, cache_control=HTML_CACHE_CONTROL)
        except MinerwatchError as exc:
            return error_page(exc, month)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """Pages without their own icon link (the note) ask browsers' default /favicon.ico."""
        icon = (resources.files("minerwatch.web") / "static" / "favicon.svg").read_bytes()
        return Response(icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        """The API reference, rendered from /openapi.json on the server (no CDN, no JavaScript)."""
        html = env.get_template("docs.html").render(endpoints=api_endpoints(app.openapi()), info=app.openapi()["info"])
        return HTMLResponse(html)


def api_endpoints(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The GET endpoints of an OpenAPI document with their parameters, in document order."""
    out = []
    for path, ops in spec.get("paths", {}).items():
        op = ops.get("get")
        if op is None:
            continue
        params = []
        for p in op.get("parameters", []):
            schema = p.get("schema", {})
            kinds = [s.get("type") for s in schema.get("anyOf", [])] or [schema.get("type")]
            params.append(
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "type": " or ".join(k for k in kinds if k and k != "null") or "string",
                    "default": schema.get("default"),
                    "description": p.get("description", ""),
                }
            )
        out.append(
            {
                "path": path,
                "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "parameters": params,
            }
        )
    return out
