"""The `minerwatch` command line: a thin Typer layer over `minerwatch.service`.

Command groups live in `minerwatch/commands/<name>.py`, each with a `register(app)` function; adding
a command is adding a module there. Errors a user can cause (a bad month, a missing store, a source
that is down) print one line and exit non-zero: see `minerwatch.errors` for the codes.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

import typer
import typer.core

from minerwatch.errors import MinerwatchError


class Group(typer.core.TyperGroup):
    """Shows a MinerwatchError as one `error: ...` line and exits with its code; keeps command order."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MinerwatchError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)


app = typer.Typer(
    name="minerwatch",
    cls=Group,
    help="Bitcoin-mining research from public data: hashprice, BTC, miner equities, economics, the monthly note.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
)


#: Help lists command groups in this order (the main job first); other modules follow alphabetically.
COMMAND_ORDER = ("report", "network", "basket", "economics", "live", "serve")


def _register_commands() -> None:
    import minerwatch.commands as pkg

    def rank(name: str) -> tuple[int, str]:
        return (COMMAND_ORDER.index(name) if name in COMMAND_ORDER else len(COMMAND_ORDER), name)

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: rank(m.name)):
        module = importlib.import_module(f"minerwatch.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    app(args=argv if argv is not None else sys.argv[1:], prog_name="minerwatch")
