"""Run a function over many items, in parallel when that pays, with progress.

Only the parent draws progress, on stderr, and only on a terminal.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Progress:
    """A one-line stderr bar: label, done/total, rate, ETA. Silent off a TTY."""

    def __init__(
        self, label: str, total: int, *, enabled: bool | None = None, unit: str = "files"
    ) -> None:
        self.label = label
        self.unit = unit
        self.total = total
        self.done = 0
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._last = 0.0

    def step(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            elapsed = now - self.start
            rate = self.done / elapsed if elapsed > 0 else 0.0
            sys.stderr.write(
                f"\r{self.label}: {self.done}/{self.total} {self.unit}, "
                f"{rate:.0f}/s, ETA {self._eta(elapsed, rate)}  "
            )
            sys.stderr.flush()

    def _eta(self, elapsed: float, rate: float) -> str:
        # the first items (workers starting, warm caches) say little about
        # the rest: no estimate before a few seconds and a tenth of the work
        if elapsed < 3 or self.done * 10 < self.total or rate <= 0:
            return "?"
        return f"{(self.total - self.done) / rate:.0f}s"

    def close(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class Steps:
    """One stderr line per step of a long command (`rewrite: analysing
    fs/xfs (3s)`), on a terminal only, and never when not ENABLED (the bot)
    or with -q."""

    def __init__(self, command: str, enabled: bool | None = False) -> None:
        self.command = command
        self.start = time.monotonic()
        quiet = logging.getLogger("nofsbot").getEffectiveLevel() > logging.WARNING
        self.enabled = (sys.stderr.isatty() if enabled is None else enabled) and not quiet

    def __call__(self, what: str) -> None:
        if self.enabled:
            elapsed = time.monotonic() - self.start
            sys.stderr.write(f"{self.command}: {what} ({elapsed:.0f}s)\n")
            sys.stderr.flush()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _ready() -> None:
    """A task that does nothing: running it starts every worker."""


_PR_SET_PDEATHSIG = 1


def _start_worker(parent: int, initializer: Callable[..., None], *initargs: Any) -> None:
    """A worker dies with the process that started it (Linux's parent-death
    signal; a parent already gone ends it at once), then INITIALIZER runs."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
    # the CLI turns SIGTERM into an interruption to clean up; a worker has
    # nothing to clean and ends at once, as before
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    initializer(*initargs)


class Workers:
    """JOBS worker processes, each set up once by INITIALIZER, for several
    rounds of `map`; with one job, the calling process does the work.

    The processes start when the context is entered, so a thread the caller
    starts afterwards is never copied into them by fork. They die with the
    process that started them: a killed parent leaves no worker behind.
    """

    def __init__(
        self,
        jobs: int,
        initializer: Callable[..., None],
        initargs: tuple[Any, ...] = (),
    ) -> None:
        self.jobs = jobs
        self.initializer = initializer
        self.initargs = initargs
        self._ex: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        if self.jobs > 1:
            self._ex = ProcessPoolExecutor(
                max_workers=self.jobs,
                initializer=_start_worker,
                initargs=(os.getpid(), self.initializer, *self.initargs),
            )
            self._ex.submit(_ready).result()
        else:
            self.initializer(*self.initargs)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._ex is not None:
            self._ex.shutdown(cancel_futures=True)
            self._ex = None

    def map(
        self,
        fn: Callable[[list[T]], list[R]],
        items: list[T],
        *,
        chunk: int = 16,
        progress: Progress | None = None,
    ) -> list[R]:
        """FN maps a chunk of ITEMS to results; the results come back in the
        order of ITEMS. PROGRESS steps once per item done."""
        chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
        out: list[list[R]] = [[] for _ in chunks]
        if self._ex is None:
            for i, c in enumerate(chunks):
                out[i] = fn(c)
                if progress:
                    progress.step(len(c))
        else:
            pending = {self._ex.submit(fn, c): i for i, c in enumerate(chunks)}
            for fut in as_completed(pending):
                i = pending[fut]
                out[i] = fut.result()
                if progress:
                    progress.step(len(chunks[i]))
        return [r for rs in out for r in rs]
