"""Where verify builds: a full worktree of nofsbot's own and cached build dirs.

The rewrite worktree checks out only part of the tree, so verify keeps a full
worktree per repository under the cache directory, made once and switched
between commits with `git checkout --detach` (only files that differ get a
new mtime, so builds stay incremental). Build directories are keyed by the
repository and the set of CONFIG symbols asked for; `make O=DIR prepare`
runs once for each, and a marker file holding the configuration's hash says
it is done.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nofsbot.tools.git as gitcli
from nofsbot import kernels
from nofsbot.tools import kbuild

log = logging.getLogger(__name__)

MARKER = ".nofsbot-prepared"


@dataclass(frozen=True)
class Config:
    symbols: tuple[str, ...]  # asked for, without CONFIG_
    missing: dict[str, str]  # symbol -> its value after olddefconfig ("" = not set)
    config_seconds: float
    prepare_seconds: float
    cached: bool


def tag(tree: Path) -> str:
    """The identity of TREE's repository, shared by all its worktrees."""
    common = gitcli.common_dir(tree)
    return hashlib.blake2b(str(common).encode(), digest_size=6).hexdigest()


def source_dir(tree: Path) -> Path:
    return kernels.cache_root() / "verify" / tag(tree) / "src"


def build_dir(tree: Path, symbols: tuple[str, ...]) -> Path:
    digest = hashlib.blake2b(" ".join(sorted(symbols)).encode(), digest_size=6).hexdigest()
    return kernels.cache_root() / "build" / f"{tag(tree)}-{digest}"


@contextmanager
def locked(tree: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """One verify at a time per repository: they share the worktree.
    WAITING is called when another verify holds the lock."""
    path = kernels.cache_root() / "verify" / tag(tree) / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting:
                waiting()
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def source_worktree(tree: Path, commit: str) -> Path:
    """nofsbot's full worktree of TREE's repository, switched to COMMIT."""
    src = source_dir(tree)
    if (src / ".git").is_file() and (src / "Makefile").is_file():
        gitcli.checkout_detached(src, commit)
        return src
    if src.exists():
        # an interrupted `git worktree add`: start over
        shutil.rmtree(src)
    log.info("making a full worktree of %s in %s", tree, src)
    gitcli.worktree_add_detached(tree, src, commit)
    return src


def configure(src: Path, build: Path, symbols: tuple[str, ...], jobs: int) -> Config:
    """defconfig, SYMBOLS on, olddefconfig, prepare; skipped when BUILD's
    marker says that was done for this set of symbols."""
    digest = hashlib.sha256(("\n".join(sorted(symbols)) + "\n").encode()).hexdigest()
    marker = build / MARKER
    cached = marker.is_file() and marker.read_text().strip() == digest
    config_seconds = prepare_seconds = 0.0
    if not cached:
        marker.unlink(missing_ok=True)
        started = time.monotonic()
        kbuild.defconfig(src, build)
        kbuild.set_symbols(src, build, list(symbols))
        kbuild.olddefconfig(src, build)
        config_seconds = time.monotonic() - started
        started = time.monotonic()
        kbuild.prepare(src, build, jobs)
        prepare_seconds = time.monotonic() - started
        marker.write_text(digest + "\n")
    values = kbuild.config_values(build)
    missing = {s: values.get(s, "") for s in symbols if values.get(s) != "y"}
    return Config(tuple(sorted(symbols)), missing, config_seconds, prepare_seconds, cached)


def forget(build: Path, objects: list[str]) -> None:
    """Remove OBJECTS from BUILD so the next build compiles them again and
    shows their warnings (make stays silent about an up-to-date object)."""
    for obj in objects:
        (build / obj).unlink(missing_ok=True)
