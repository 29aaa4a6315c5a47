"""One bot run at a time: an exclusive fcntl lock on a file next to the
state database, holding the pid of its run.

The kernel drops the lock when the last descriptor of it closes. Forked
children (the analysis workers) close their copy as they start, so a worker
never keeps the lock of a run that died; should one still hold it (a
process of a dead run: the pid in the file is gone), the next run ends
those holders and takes the lock over, with a note. A lock file whose pid
is dead but which nobody holds any more is taken over with a note too.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from nofsbot.bot import orphans
from nofsbot.errors import NofsbotError

_HELD: set[int] = set()  # descriptors of locks this process holds


def _close_in_child() -> None:
    for fd in _HELD:
        with suppress(OSError):
            os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_in_child)


class LockedError(NofsbotError):
    """Another run holds the lock."""


@dataclass
class Held:
    path: Path
    note: str | None  # set when the lock of a dead run was taken over


def _try(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _owner(fd: int) -> int | None:
    text = os.pread(fd, 64, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


@contextmanager
def held(path: Path) -> Iterator[Held]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise NofsbotError(f"{path}: cannot take the bot's lock: {e.strerror}") from e
    try:
        note = None
        owner = _owner(fd)
        if not _try(fd):
            if owner is None or owner == os.getpid() or orphans.alive(owner):
                raise LockedError(
                    f"another nofsbot bot run holds {path} (pid {owner or '?'}); "
                    "not starting a second one"
                )
            ended = orphans.end([p for p in orphans.holding(path) if p != os.getpid()], 0)
            if not _try(fd):
                raise LockedError(
                    f"{path} is held although its run (pid {owner}) is gone; not starting"
                )
            note = (
                f"took over the lock {path} of run {owner}, which died; ended the processes "
                f"it left holding it: {', '.join(ended) or 'none'}"
            )
        elif owner is not None and owner != os.getpid() and not orphans.alive(owner):
            note = f"took over the lock {path} of run {owner}, which died"
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD.add(fd)
        try:
            yield Held(path, note)
        finally:
            _HELD.discard(fd)
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)
