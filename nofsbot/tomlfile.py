"""Reading one config/*.toml file: unknown keys and wrong types are errors."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nofsbot.errors import ConfigError


def take(
    data: dict[str, Any], path: Path, section: str, keys: Mapping[str, type]
) -> dict[str, Any]:
    for key in data:
        if key not in keys:
            raise ConfigError(str(path), f"{section}.{key}" if section else key, "unknown key")
    out: dict[str, Any] = {}
    for key, typ in keys.items():
        if key not in data:
            continue
        value = data[key]
        if typ is tuple:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(str(path), f"{section}.{key}", "expected a list of strings")
            value = tuple(value)
        elif not isinstance(value, typ):
            raise ConfigError(str(path), f"{section}.{key}", f"expected {typ.__name__}")
        out[key] = value
    return out


def int_table(data: Any, path: Path, section: str) -> dict[str, int]:
    if not isinstance(data, dict):
        raise ConfigError(str(path), section, "expected a table")
    for k, v in data.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise ConfigError(str(path), f"{section}.{k}", "expected an argument index >= 0")
    return dict(data)


def read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigError(str(path), "-", "file not found") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(path), "-", str(e)) from e
