"""Run a function over many items, in parallel when that pays, with progress.

Only the parent draws progress, on stderr, and only on a terminal.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Progress:
    """A one-line stderr bar: label, done/total, rate, ETA. Silent off a TTY."""

    def __init__(self, label: str, total: int, *, enabled: bool | None = None) -> None:
        self.label = label
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
            eta = (self.total - self.done) / rate if rate > 0 else 0.0
            sys.stderr.write(
                f"\r{self.label}: {self.done}/{self.total} files, {rate:.0f}/s, ETA {eta:.0f}s  "
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def map_items(
    fn: Callable[[list[T]], list[R]],
    items: list[T],
    *,
    jobs: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    progress: Progress | None = None,
    chunk: int = 16,
) -> list[R]:
    """FN maps a chunk of ITEMS to results; the results come back in order."""
    chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    out: list[R] = []
    if jobs <= 1 or len(chunks) <= 1:
        if initializer is not None:
            initializer(*initargs)
        for c in chunks:
            out += fn(c)
            if progress:
                progress.step(len(c))
        return out
    with ProcessPoolExecutor(max_workers=jobs, initializer=initializer, initargs=initargs) as ex:
        for c, res in zip(chunks, ex.map(fn, chunks), strict=True):
            out += res
            if progress:
                progress.step(len(c))
    return out
