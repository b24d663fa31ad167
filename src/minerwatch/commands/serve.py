"""`minerwatch serve`: the JSON API and the dashboard over HTTP (FastAPI + uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from minerwatch.commands.common import DbOption


def check_bindable(host: str, port: int) -> None:
    """Fail with one line (InputError) if `host:port` cannot be listened on: unknown host, port in use."""
    import socket

    from minerwatch.errors import InputError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise InputError(f"--host {host!r} is not an address of this machine ({exc}); e.g. --host 127.0.0.1") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(addr)
        except OSError as exc:
            raise InputError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port or --host"
            ) from None


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[
            str, typer.Option("--host", help="Address to bind; 127.0.0.1 keeps it on this machine.")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="TCP port.", min=0, max=65535)] = 8000,
        db: DbOption = None,
    ) -> None:
        """Serve the dashboard at / and the JSON API at /api/v1 (OpenAPI at /docs), read-only.

        Example: minerwatch serve --port 8000   (then open http://127.0.0.1:8000/)
        """
        import uvicorn

        from minerwatch.api import create_app

        check_bindable(host, port)
        application = create_app(db)
        typer.echo(f"minerwatch: serving {application.state.gate.path} at http://{host}:{port}/ (Ctrl-C stops)")
        if host not in ("127.0.0.1", "localhost", "::1"):
            typer.echo(
                f"minerwatch: {host} is reachable from other machines; the API is read-only and has no login",
                err=True,
            )
        uvicorn.run(application, host=host, port=port, log_level="info", server_header=False)
