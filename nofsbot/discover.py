"""Discover: is this a kernel tree, which files to read, what lies outside."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from pathlib import Path

from nofsbot.errors import TreeError

SOURCE_SUFFIXES = (".c", ".h")
_MARKERS = ("MAINTAINERS", "Makefile", "Kconfig", "include/linux", "scripts")


def check_tree(tree: Path) -> Path:
    """Return TREE resolved, or raise TreeError saying why it is not a kernel tree."""
    if not tree.is_dir():
        raise TreeError(f"{tree}: no such directory")
    missing = [m for m in _MARKERS if not (tree / m).exists()]
    if missing:
        raise TreeError(
            f"{tree} is not a Linux kernel tree (missing {', '.join(missing)}); "
            "pass --tree DIR or run from the top of a kernel tree"
        )
    return tree.resolve()


def normalise(tree: Path, path: str) -> str:
    """PATH (relative to the tree, or absolute inside it) as a clean relative path."""
    p = Path(path)
    full = (p if p.is_absolute() else tree / p).resolve()
    try:
        rel = full.relative_to(tree)
    except ValueError as e:
        raise TreeError(f"{path}: outside the kernel tree {tree}") from e
    if not full.exists():
        raise TreeError(f"{path}: no such file or directory in {tree}")
    return rel.as_posix() if str(rel) != "." else ""


def analysis_root(path: str) -> tuple[str, bool]:
    """The directory whose code the call graph needs for PATH, and if recursive.

    fs/xfs/libxfs/xfs_bmap.c -> fs/xfs; fs/xfs -> fs/xfs; fs -> fs;
    fs/buffer.c -> fs (its direct files only).
    """
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "", True
    is_file = posixpath.splitext(parts[-1])[1] in SOURCE_SUFFIXES
    if is_file and len(parts) == 2:
        return parts[0], False
    if is_file:
        parts = parts[:-1]
    return "/".join(parts[:2]), True


def subsystems(tree: Path, root: str, recursive: bool) -> list[tuple[str, bool]]:
    """Split a top-level directory into the units the call graph is built over.

    `fs` becomes fs/xfs, fs/ext4, ... (each recursive) plus fs itself
    (its direct files only), so scanning fs/ gives the same answer as
    scanning each subsystem on its own, and a subsystem with no NOFS site
    need not be read at all.
    """
    if not recursive or "/" in root:
        return [(root, recursive)]
    base = tree / root if root else tree
    units = [(root, False)] if root else []
    for d in sorted(base.iterdir()):
        if d.is_dir() and not d.name.startswith("."):
            units.append((f"{root}/{d.name}" if root else d.name, True))
    return units


def source_files(tree: Path, roots: list[tuple[str, bool]]) -> list[str]:
    """The .c and .h files under ROOTS (relative paths, sorted, unique)."""
    out: set[str] = set()
    for root, recursive in roots:
        base = tree / root
        if recursive:
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                rel = Path(dirpath).relative_to(tree).as_posix()
                out.update(
                    f"{rel}/{f}" if rel != "." else f
                    for f in filenames
                    if f.endswith(SOURCE_SUFFIXES)
                )
        else:
            out.update(
                f"{root}/{f.name}"
                for f in base.iterdir()
                if f.is_file() and f.suffix in SOURCE_SUFFIXES
            )
    return sorted(out)


def in_paths(path: str, paths: tuple[str, ...]) -> bool:
    return any(not p or path == p or path.startswith(p.rstrip("/") + "/") for p in paths)


def checkout_specs(paths: Iterable[str]) -> list[str]:
    """What the analysis and the rewrite read: the subsystems of PATHS, the
    headers of their parent directories, include/ and arch/*/include/, and
    the top-level files that make it a kernel tree (plus scripts/)."""
    specs = {"MAINTAINERS", "Makefile", "Kconfig", "scripts", "include", ":(glob)arch/*/include/**"}
    for p in paths:
        root, recursive = analysis_root(p)
        if not root:
            return ["."]
        specs.add(root if recursive else f":(glob){root}/*.[ch]")
        parts = root.split("/")
        for i in range(1, len(parts)):
            specs.add(":(glob)" + "/".join(parts[:i]) + "/*.h")
    return sorted(specs)
