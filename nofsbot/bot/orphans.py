"""Processes a dead run left behind: found through /proc (Linux), by an
open descriptor of a file (the lock), or by the mark every process of a run
carries in its environment and a working directory under the bot's clone
or its work directory (git, git send-email, spatch), and ended.

Only the bot's lock holder calls these: while it holds the lock, no other
run is alive, so whatever still works in the bot's directories belongs to a
run that died.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

_PROC = Path("/proc")
MARK = "NOFSBOT_BOT_RUN"


def _pids() -> list[int]:
    try:
        return sorted(int(p.name) for p in _PROC.iterdir() if p.name.isdigit())
    except OSError:
        return []


def _mine(pid: int) -> bool:
    try:
        return (_PROC / str(pid)).stat().st_uid == os.getuid() and pid != os.getpid()
    except OSError:
        return False


def alive(pid: int) -> bool:
    """PID runs (a zombie counts as dead)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def holding(path: Path) -> list[int]:
    """Processes of this user with PATH open."""
    want = str(path.resolve())
    out = []
    for pid in _pids():
        if not _mine(pid):
            continue
        try:
            fds = list((_PROC / str(pid) / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) == want:
                    out.append(pid)
                    break
            except OSError:
                continue
    return out


@contextmanager
def marked() -> Iterator[None]:
    """Every process this run starts carries its pid in the environment
    ($NOFSBOT_BOT_RUN), so a later run tells them from anybody else's."""
    old = os.environ.get(MARK)
    os.environ[MARK] = str(os.getpid())
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(MARK, None)
        else:
            os.environ[MARK] = old


def _run_of(pid: int) -> int | None:
    """The bot run PID belongs to (its mark), None if none."""
    try:
        env = (_PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return None
    want = MARK.encode() + b"="
    value = next((e[len(want) :] for e in env if e.startswith(want)), b"")
    return int(value) if value.isdigit() else None


def working_in(dirs: Iterable[Path]) -> list[int]:
    """Processes a dead bot run left whose working directory is in one of
    DIRS (a person's shell or git there is none of them)."""
    roots = [str(d.resolve()) for d in dirs]
    out = []
    for pid in _pids():
        run = _run_of(pid) if _mine(pid) else None
        if run is None or run == os.getpid() or alive(run):
            continue
        try:
            cwd = os.readlink(_PROC / str(pid) / "cwd")
        except OSError:
            continue
        if any(cwd == r or cwd.startswith(r + "/") for r in roots):
            out.append(pid)
    return out


def describe(pid: int) -> str:
    try:
        argv = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return str(pid)
    words = [a.decode(errors="replace") for a in argv if a][:3]
    return f"{pid} ({' '.join(words)})" if words else str(pid)


def end(pids: list[int], grace: float) -> list[str]:
    """Wait up to GRACE seconds for PIDS to finish, then kill what is left;
    what was ended, described."""
    deadline = time.monotonic() + grace
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    ended = []
    for pid in pids:
        if not alive(pid):
            continue
        what = describe(pid)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            continue
        ended.append(what)
    deadline = time.monotonic() + 5
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    if ended:
        log.info("ended processes a dead run left: %s", ", ".join(ended))
    return ended
