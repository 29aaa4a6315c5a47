"""tar, for the kernel source tarballs that Debian's linux-source packages ship."""

from __future__ import annotations

from pathlib import Path

from nofsbot.tools.proc import run


def extract(tarball: Path, dest: Path) -> None:
    """Extract TARBALL into DEST (which must exist)."""
    run(["tar", "-xf", str(tarball), "-C", str(dest)], cwd=dest, timeout=1800)
