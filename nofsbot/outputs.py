"""Where a command writes its results: checked before the long work starts,
written so that a failure is one `cannot write PATH: reason` error.

A check creates nothing the user did not ask for: it probes the directory
the output will go into with a temporary file of its own and removes it.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from nofsbot.errors import OutputError


def check_file(path: Path) -> None:
    """PATH can be written as a file: it is one (or absent) and its
    directory exists and takes new files."""
    if path.is_dir():
        raise OutputError(str(path), os.strerror(errno.EISDIR))
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise OutputError(str(path), f"no directory {parent}")
    if not parent.is_dir():
        raise OutputError(str(path), f"{parent} is not a directory")
    if path.exists():
        _probe_open(path)
    else:
        _probe_dir(path, parent)


def check_dir(path: Path) -> None:
    """PATH can hold output files: it is a directory that takes new files,
    or it is absent and its nearest existing parent directory does."""
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise OutputError(str(path), f"{existing} is not a directory")
    _probe_dir(path, existing)


def make_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(str(path), e.strerror or str(e)) from e


def write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text)
    except OSError as e:
        raise OutputError(str(path), e.strerror or str(e)) from e


def _probe_open(path: Path) -> None:
    try:
        with path.open("a"):
            pass
    except OSError as e:
        raise OutputError(str(path), e.strerror or str(e)) from e


def _probe_dir(path: Path, directory: Path) -> None:
    try:
        fd, probe = tempfile.mkstemp(prefix=".nofsbot-probe-", dir=directory)
    except OSError as e:
        raise OutputError(str(path), e.strerror or str(e)) from e
    os.close(fd)
    os.unlink(probe)
