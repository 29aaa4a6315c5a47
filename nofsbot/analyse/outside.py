"""What lies outside a subsystem: headers elsewhere that declare its functions.

Kernel style declares a function used across directories in a header
(checkpatch warns about externs in .c files), so a global function is
callable from outside its subsystem if a header outside it names it:
include/, arch/*/include/ and the headers of the parent directories (fs/*.h
for fs/xfs). Such a function may have callers nofsbot cannot see. (A
subsystem's own directory declares functions for itself; what another
subsystem calls is declared in include/.)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from nofsbot import discover
from nofsbot.analyse.facts import FileFacts
from nofsbot.cache import Store, key
from nofsbot.tools import grep

Unit = tuple[str, bool]


def in_unit(path: str, unit: Unit) -> bool:
    root, recursive = unit
    if recursive:
        return discover.in_paths(path, (root,))
    return os.path.dirname(path) == root


def headers(tree: Path, units: list[Unit]) -> tuple[list[str], list[str], str]:
    """Where to look: directories searched recursively, single headers, and a
    stamp (sizes and mtimes) that changes when any of them changes."""
    arch = (p.relative_to(tree).as_posix() for p in tree.glob("arch/*/include") if p.is_dir())
    targets = ["include", *sorted(arch)]
    parents: set[str] = set()
    for root, _ in units:
        parts = root.split("/")
        for i in range(1, len(parts)):
            parents.add("/".join(parts[:i]))
    loose = {p.relative_to(tree).as_posix() for d in parents for p in (tree / d).glob("*.h")}
    stamp = hashlib.blake2b(digest_size=16)
    for t in sorted(set(targets)):
        for dirpath, _, filenames in os.walk(tree / t):
            for fname in sorted(filenames):
                if fname.endswith(".h"):
                    st = os.stat(os.path.join(dirpath, fname))
                    stamp.update(f"{dirpath}/{fname}:{st.st_size}:{st.st_mtime_ns}".encode())
    for p in sorted(loose):
        st = os.stat(tree / p)
        stamp.update(f"{p}:{st.st_size}:{st.st_mtime_ns}".encode())
    return sorted(set(targets)), sorted(loose), stamp.hexdigest()


def mentions(
    tree: Path, facts: list[FileFacts], where: tuple[list[str], list[str], str], store: Store
) -> dict[str, tuple[str, ...]]:
    """For each global function of the analysed .c files, the headers naming it."""
    names = sorted(
        {
            fn.name
            for f in facts
            if f.path.endswith(".c")
            for fn in f.functions
            if fn.name and not fn.static
        }
    )
    if not names:
        return {}
    targets, loose, stamp = where
    k = key("mentions", "\n".join(names), "\n".join(targets + loose), stamp)
    hit = store.get(k)
    if isinstance(hit, dict):
        return hit
    with tempfile.NamedTemporaryFile("w", suffix=".names") as tf:
        tf.write("\n".join(names) + "\n")
        tf.flush()
        found = grep.words_in_files(tree, Path(tf.name), targets + loose, "*.h")
    out: dict[str, list[str]] = {}
    for path in sorted(found):
        for word in found[path]:
            out.setdefault(word, []).append(path)
    result = {w: tuple(ps) for w, ps in out.items()}
    store.put(k, result)
    return result


def external_to(unit: Unit, mentioned: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The functions a header outside UNIT names, with the first such header."""
    out: dict[str, str] = {}
    for name, paths in mentioned.items():
        other = next((p for p in paths if not in_unit(p, unit)), None)
        if other is not None:
            out[name] = other
    return out
