"""Where things live: store path, per-source base URLs and settings from env or a config file."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP = "minerwatch"


def default_db_path() -> Path:
    """The store path: $MINERWATCH_DB if set, else `<user data dir>/minerwatch/minerwatch.duckdb`."""
    env = os.environ.get("MINERWATCH_DB")
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir(APP, appauthor=False)) / "minerwatch.duckdb"


def config_path() -> Path:
    """The optional TOML config file: $MINERWATCH_CONFIG, else `<user config dir>/minerwatch/config.toml`."""
    env = os.environ.get("MINERWATCH_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(user_config_dir(APP, appauthor=False)) / "config.toml"


def load_config() -> dict:
    """Read the config file if it exists; a malformed file is an InputError naming it."""
    from minerwatch.errors import InputError

    path = config_path()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"config file {path} is not valid TOML ({exc}); fix or delete it") from exc


def setting(source: str, key: str, default: str | None = None) -> str | None:
    """A per-source setting: env `MINERWATCH_<SOURCE>_<KEY>` wins over `[sources.<source>] key` in config."""
    env = os.environ.get(f"MINERWATCH_{source.upper()}_{key.upper()}")
    if env:
        return env
    value = load_config().get("sources", {}).get(source, {}).get(key.lower())
    return str(value) if value is not None else default
