"""Which nofsbot a benchmark runs: this checkout's working tree, or a snapshot of a commit.

Others may edit nofsbot/ while a benchmark runs, so figures for the working
tree can mix two versions (and a "warm" run after an edit is really cold: the
cache is keyed by nofsbot's own code). `Source.at(rev, dest)` extracts
nofsbot/ and config/ of REV with `git archive` and runs it with PYTHONPATH
pointing there, which wins over the editable install.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=60)
    return out.stdout.strip() if out.returncode == 0 else ""


@dataclass(frozen=True)
class Source:
    root: Path  # the directory holding nofsbot/ and config/
    argv: tuple[str, ...]  # how to start nofsbot
    env: tuple[tuple[str, str], ...]  # extra environment
    label: str  # a commit, and whether the working tree differs from it

    @staticmethod
    def working_tree() -> Source:
        argv = ("nofsbot",) if shutil.which("nofsbot") else (sys.executable, "-m", "nofsbot")
        head = _git("rev-parse", "--short", "HEAD") or "unknown"
        dirty = _git("status", "--porcelain", "--", "nofsbot", "config").splitlines()
        label = f"working tree at {head}"
        if dirty:
            label += f" + {len(dirty)} uncommitted change(s) in nofsbot/ config/"
        return Source(REPO, argv, (), label)

    @staticmethod
    def at(rev: str, dest: Path) -> Source:
        commit = _git("rev-parse", "--verify", "--short", f"{rev}^{{commit}}")
        if not commit:
            raise SystemExit(f"error: {rev} is not a commit of {REPO}")
        tar = subprocess.run(
            ["git", "archive", "--format=tar", commit, "nofsbot", "config"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(tar)) as t:
            t.extractall(dest, filter="data")
        return Source(
            dest,
            (sys.executable, "-m", "nofsbot"),
            (("PYTHONPATH", str(dest)),),
            f"snapshot of {rev} ({commit})",
        )

    def environ(self, **extra: str) -> dict[str, str]:
        return {**os.environ, **dict(self.env), **extra}

    def digest(self) -> str:
        """A digest of nofsbot's code and rules, to notice edits made while a benchmark runs."""
        h = hashlib.blake2b(digest_size=8)
        files = [*(self.root / "nofsbot").rglob("*.py"), *(self.root / "config").glob("*.toml")]
        for f in sorted(files):
            h.update(f.relative_to(self.root).as_posix().encode() + b"\0" + f.read_bytes())
        return h.hexdigest()


def default_tree(source: Source, version: str = "6.1") -> Path:
    """A Debian tree (default 6.1), extracted once by `nofsbot kernel VERSION`."""
    out = subprocess.run(
        [*source.argv, "kernel", version],
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
        env=source.environ(),
    )
    return Path(out.stdout.strip().splitlines()[-1])


def add_scan_args(p: argparse.ArgumentParser, jobs_help: str) -> None:
    """What a benchmark of `nofsbot scan` on one kernel path takes: the path,
    --tree, -j/--jobs and --rev."""
    p.add_argument("path", nargs="?", default="fs", help="path inside the tree (default: fs)")
    p.add_argument("--tree", metavar="DIR", help="kernel tree (default: `nofsbot kernel 6.1`)")
    p.add_argument("-j", "--jobs", type=int, default=2, metavar="N", help=jobs_help)
    p.add_argument(
        "--rev",
        metavar="REV",
        help="run the nofsbot of commit REV of this repository (a snapshot made with git "
        "archive) instead of the working tree, so edits made meanwhile do not mix in",
    )


def scan_target(
    p: argparse.ArgumentParser, args: argparse.Namespace, scratch: Path
) -> tuple[Source, Path]:
    """The nofsbot (--rev or the working tree) and the kernel tree the arguments name."""
    source = Source.at(args.rev, scratch / "src") if args.rev else Source.working_tree()
    tree = Path(args.tree).resolve() if args.tree else default_tree(source)
    if not (tree / args.path).exists():
        p.error(f"{args.path} does not exist in {tree}")
    return source, tree
