"""A content-addressed store for per-file facts and whole-scan results.

Keys are hashes of everything a value depends on (file content, path,
configuration digest, nofsbot version), so a stale entry is never read: it is
simply not found. Writes go through a temporary file and a rename, so
parallel workers and an interrupted run cannot leave a torn entry.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

from nofsbot import __version__

log = logging.getLogger(__name__)


def default_dir() -> Path:
    env = os.environ.get("NOFSBOT_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nofsbot" / "analysis"


@functools.cache
def code_digest() -> str:
    """A digest of nofsbot's own source, so a code change never reads old entries."""
    h = hashlib.blake2b(digest_size=16)
    h.update(__version__.encode())
    pkg = Path(__file__).resolve().parent
    for p in sorted(pkg.rglob("*.py")):
        h.update(p.relative_to(pkg).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def key(*parts: bytes | str) -> str:
    h = hashlib.blake2b(digest_size=20)
    h.update(code_digest().encode())
    for p in parts:
        h.update(b"\0")
        h.update(p.encode() if isinstance(p, str) else p)
    return h.hexdigest()


class Store:
    def __init__(self, root: Path | None, *, enabled: bool = True) -> None:
        self.root = root or default_dir()
        self.enabled = enabled

    def _path(self, k: str) -> Path:
        return self.root / k[:2] / f"{k[2:]}.pickle"

    def get(self, k: str) -> object | None:
        if not self.enabled:
            return None
        try:
            with self._path(k).open("rb") as f:
                value: object = pickle.load(f)
                return value
        except FileNotFoundError:
            return None
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as e:
            log.debug("ignoring unreadable cache entry %s: %s", k, e)
            return None

    def put(self, k: str, value: object) -> None:
        if not self.enabled:
            return
        p = self._path(k)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, p)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
