"""Kernel trees from Debian's linux-source packages, extracted once and kept in git.

`provision("6.1")` extracts /usr/src/linux-source-6.1.tar.xz into the cache
directory the first time, imports it into a git repository (the tarball's
.gitignore ignores everything, hence `git add -f`), and afterwards just returns
the path. A marker inside .git, written last, makes an interrupted import start over
and keeps the work tree clean.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from nofsbot.errors import TreeError
from nofsbot.tools import archive, git

log = logging.getLogger(__name__)

SRC_DIR = Path("/usr/src")
MARKER = ".git/nofsbot-imported"
VERSION_RE = re.compile(r"[0-9]+\.[0-9]+(\.[0-9]+)?")


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nofsbot"


def kernels_dir() -> Path:
    return Path(os.environ.get("NOFSBOT_KERNELS") or cache_root() / "kernels")


def tree_path(version: str) -> Path:
    if not VERSION_RE.fullmatch(version):
        # never a path: it becomes part of a file name and of an apt hint
        raise TreeError(f"{version!r} is not a kernel version like 6.1 or 6.12")
    return kernels_dir() / f"linux-source-{version}"


def is_provisioned(version: str) -> bool:
    return (tree_path(version) / MARKER).is_file()


def provision(version: str) -> Path:
    """Return the path of the git-imported kernel tree VERSION, creating it once."""
    dest = tree_path(version)
    if (dest / MARKER).is_file():
        return dest
    tarball = SRC_DIR / f"linux-source-{version}.tar.xz"
    if not tarball.is_file():
        raise TreeError(f"{tarball} not found: apt-get install linux-source-{version}")
    work = dest.parent / f".{dest.name}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log.info("extracting %s", tarball)
    archive.extract(tarball, work)
    inner = work / f"linux-source-{version}"
    if not (inner / "MAINTAINERS").is_file():
        raise TreeError(f"{tarball} does not hold linux-source-{version}/MAINTAINERS")
    log.info("importing %s into git", inner)
    git.import_tree(inner, f"Import linux-source-{version} from Debian")
    (inner / MARKER).write_text(f"{tarball}\n")
    shutil.rmtree(dest, ignore_errors=True)
    inner.rename(dest)
    shutil.rmtree(work, ignore_errors=True)
    return dest
