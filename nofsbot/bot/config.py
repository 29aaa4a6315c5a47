"""The bot's own configuration: one TOML file (config/bot.example.toml
documents every key), loaded into frozen dataclasses. An unknown key, a
missing required one or a value of the wrong type is an error naming the
file and the key. Relative paths are relative to the file's directory.
"""

from __future__ import annotations

import datetime
import fnmatch
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nofsbot.errors import ConfigError

MODES = ("report", "dry-run", "preview", "send")
GITHUB_MODES = ("issue", "comment")


@dataclass(frozen=True)
class Tree:
    remote: str  # URL or path of the repository to fetch
    clone: Path  # the bot's own clone (made on the first run)
    tags: str  # a glob (next-*) or, between slashes, a regular expression
    paths: tuple[str, ...]  # what to cover, relative to the tree

    def matches(self, tag: str) -> bool:
        if len(self.tags) > 1 and self.tags.startswith("/") and self.tags.endswith("/"):
            return re.fullmatch(self.tags[1:-1], tag) is not None
        return fnmatch.fnmatchcase(tag, self.tags)


@dataclass(frozen=True)
class Identity:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class Mail:
    smtp_server: str | None  # None: git's sendemail.* configuration
    smtp_port: int | None
    smtp_encryption: str | None
    sender: str | None  # From:; default: the identity


@dataclass(frozen=True)
class Policy:
    mode: str  # report | dry-run | preview | send
    preview_to: str | None  # every mail goes here in preview mode
    verify: bool  # build and checkpatch every series before it goes out
    tags_per_run: int


@dataclass(frozen=True)
class Limits:
    in_flight: int  # series in flight per maintainer section
    cool_down_days: int  # days after a series went out before the next to that section
    merge_window: str  # auto | off
    pause: tuple[tuple[datetime.date, datetime.date], ...]  # no series on these days
    max_patches: int


@dataclass(frozen=True)
class GitHub:
    repo: str  # owner/name
    mode: str  # issue: a new issue per tag with regressions; comment: on issue/PR NUMBER
    number: int
    base_url: str


@dataclass(frozen=True)
class BotConfig:
    path: Path
    tree: Tree
    identity: Identity
    mail: Mail
    policy: Policy
    limits: Limits
    github: GitHub | None
    database: Path
    jobs: int

    @property
    def lock_file(self) -> Path:
        return self.database.with_name(self.database.name + ".lock")

    @property
    def work_dir(self) -> Path:
        """Where series and worktrees go: next to the database."""
        return self.database.parent / "nofsbot-bot"


def default_path() -> Path:
    """$NOFSBOT_BOT_CONFIG, else $XDG_CONFIG_HOME/nofsbot/bot.toml."""
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return Path(os.environ.get("NOFSBOT_BOT_CONFIG") or home / "nofsbot" / "bot.toml")


_SCHEMA: dict[str, dict[str, tuple[type, object]]] = {
    # section -> key -> (type, default); a default of ... means required
    "tree": {
        "remote": (str, ...),
        "clone": (str, ...),
        "tags": (str, "next-*"),
        "paths": (list, ...),
    },
    "identity": {"name": (str, ...), "email": (str, ...)},
    "mail": {
        "smtp_server": (str, ""),
        "smtp_port": (int, 0),
        "smtp_encryption": (str, ""),
        "from": (str, ""),
    },
    "policy": {
        "mode": (str, "dry-run"),
        "preview_to": (str, ""),
        "verify": (bool, False),
        "tags_per_run": (int, 7),
    },
    "limits": {
        "in_flight": (int, 1),
        "cool_down_days": (int, 7),
        "merge_window": (str, "auto"),
        "pause": (list, []),
        "max_patches": (int, 15),
    },
    "github": {
        "repo": (str, ...),
        "mode": (str, "issue"),
        "number": (int, 0),
        "base_url": (str, "https://api.github.com"),
    },
    "state": {"database": (str, ...)},
}
_TOP = {"jobs": (int, 1)}

# key -> (least, most) for every number; mail.smtp_port 0 and github.number 0
# mean "not set"
RANGES: dict[str, tuple[int, int]] = {
    "jobs": (1, 256),
    "mail.smtp_port": (0, 65535),
    "policy.tags_per_run": (1, 1000),
    "limits.in_flight": (1, 100),
    "limits.cool_down_days": (0, 365),
    "limits.max_patches": (1, 100),
    "github.number": (0, 2**31 - 1),
}


def _ranged(path: Path, section: str, values: dict[str, Any]) -> dict[str, Any]:
    for k, v in values.items():
        key = f"{section}.{k}" if section else k
        if key in RANGES and not RANGES[key][0] <= v <= RANGES[key][1]:
            least, most = RANGES[key]
            raise ConfigError(str(path), key, f"{v} is out of range: expected {least}..{most}")
    return values


def _section(path: Path, data: dict[str, Any], name: str) -> dict[str, Any]:
    raw = data.get(name, {})
    if not isinstance(raw, dict):
        raise ConfigError(str(path), name, "expected a table")
    schema = _SCHEMA[name]
    for k in raw:
        if k not in schema:
            raise ConfigError(str(path), f"{name}.{k}", "unknown key")
    out: dict[str, Any] = {}
    for k, (typ, default) in schema.items():
        if k not in raw:
            if default is ...:
                raise ConfigError(str(path), f"{name}.{k}", "missing")
            out[k] = default
            continue
        v = raw[k]
        bad = not isinstance(v, typ) or (typ is int and isinstance(v, bool))
        if typ is list and not bad:
            bad = not all(isinstance(x, str) for x in v)
        if bad:
            what = "a list of strings" if typ is list else typ.__name__
            raise ConfigError(str(path), f"{name}.{k}", f"expected {what}")
        out[k] = v
    return _ranged(path, name, out)


def _choice(path: Path, key: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError(str(path), key, f"expected one of {', '.join(choices)}")
    return value


def _pause(path: Path, ranges: list[str]) -> tuple[tuple[datetime.date, datetime.date], ...]:
    out = []
    for r in ranges:
        first, sep, last = r.partition("..")
        try:
            a = datetime.date.fromisoformat(first.strip())
            b = datetime.date.fromisoformat(last.strip()) if sep else a
        except ValueError as e:
            raise ConfigError(
                str(path), "limits.pause", f"{r!r}: expected YYYY-MM-DD..YYYY-MM-DD"
            ) from e
        out.append((a, b))
    return tuple(out)


def load(path: Path) -> BotConfig:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigError(str(path), "-", "file not found (pass --config FILE)") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(path), "-", str(e)) from e
    for k in data:
        if k not in _SCHEMA and k not in _TOP:
            raise ConfigError(str(path), k, "unknown key")
    here = path.resolve().parent

    def local(p: str) -> Path:
        return (here / os.path.expanduser(p)).resolve()

    t = _section(path, data, "tree")
    if not t["paths"]:
        raise ConfigError(str(path), "tree.paths", "name at least one path")
    remote = t["remote"]
    if not re.match(r"^[a-z+]+://|^[^/]+@[^/]+:", remote):  # a local path
        remote = str(local(remote))
    ident = _section(path, data, "identity")
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", ident["email"]):
        raise ConfigError(str(path), "identity.email", "expected an address: name@domain")
    mail = _section(path, data, "mail")
    if mail["smtp_encryption"]:
        _choice(path, "mail.smtp_encryption", mail["smtp_encryption"], ("tls", "ssl", "none"))
    pol = _section(path, data, "policy")
    _choice(path, "policy.mode", pol["mode"], MODES)
    if pol["mode"] == "preview" and not pol["preview_to"]:
        raise ConfigError(str(path), "policy.preview_to", "preview mode needs an address")
    lim = _section(path, data, "limits")
    _choice(path, "limits.merge_window", lim["merge_window"], ("auto", "off"))
    gh = None
    if "github" in data:
        g = _section(path, data, "github")
        _choice(path, "github.mode", g["mode"], GITHUB_MODES)
        if g["mode"] == "comment" and g["number"] < 1:
            raise ConfigError(
                str(path), "github.number", "comment mode needs an issue or PR number"
            )
        gh = GitHub(g["repo"], g["mode"], g["number"], g["base_url"])
    jobs = data.get("jobs", 1)
    if not isinstance(jobs, int) or isinstance(jobs, bool):
        raise ConfigError(str(path), "jobs", "expected int")
    _ranged(path, "", {"jobs": jobs})
    return BotConfig(
        path=path,
        tree=Tree(remote, local(t["clone"]), t["tags"], tuple(p.strip("/") for p in t["paths"])),
        identity=Identity(ident["name"], ident["email"]),
        mail=Mail(
            mail["smtp_server"] or None,
            mail["smtp_port"] or None,
            mail["smtp_encryption"] or None,
            mail["from"] or None,
        ),
        policy=Policy(pol["mode"], pol["preview_to"] or None, pol["verify"], pol["tags_per_run"]),
        limits=Limits(
            lim["in_flight"],
            lim["cool_down_days"],
            lim["merge_window"],
            _pause(path, lim["pause"]),
            lim["max_patches"],
        ),
        github=gh,
        database=local(_section(path, data, "state")["database"]),
        jobs=jobs,
    )
