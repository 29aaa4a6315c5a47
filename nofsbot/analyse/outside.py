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
import posixpath
import re
import tempfile
from collections.abc import Iterable
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


def unit_of(path: str, units: set[Unit] | frozenset[Unit]) -> Unit | None:
    """The unit of UNITS that PATH belongs to (units never nest: a recursive
    one is a subsystem directory, a flat one the files right in a directory)."""
    d = posixpath.dirname(path)
    if (d, False) in units:
        return (d, False)
    while True:
        if (d, True) in units:
            return (d, True)
        if not d:
            return None
        d = posixpath.dirname(d)


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


# The names of the global functions a file may define: the first `name(` on
# a line that starts at column 0 (or after one space), where kernel style
# puts the declarator of a definition (`int\nxfs_foo(...)\n{`), if a `{`
# comes before any `;` (a prototype or a macro call). Lines starting with
# `static` are left out, and so are names of one or two characters, which
# only slow grep down. A superset in practice, known before the files are
# parsed; the unit analysis checks it against the parsed definitions.
_DEFINES_RE = re.compile(
    rb"^ ?(?!static\b)(?=[A-Za-z_])[^\n(;{}=]*?\b([A-Za-z_]\w*)[ \t]*\((?=[^;{}]*\{)", re.M
)


def defined_names(src: bytes) -> frozenset[str]:
    """The names of the global functions SRC may define."""
    return frozenset(m.decode() for m in _DEFINES_RE.findall(src) if len(m) > 2)


def missing_names(facts: list[FileFacts], names: frozenset[str]) -> frozenset[str]:
    """The global functions of the .c files in FACTS that NAMES lacks."""
    return frozenset(
        fn.name
        for f in facts
        if f.path.endswith(".c")
        for fn in f.functions
        if fn.name and not fn.static and fn.name not in names
    )


def mentions_key(names: Iterable[str], where: tuple[list[str], list[str], str]) -> str:
    """Where `mentions` keeps its answer in the store."""
    targets, loose, stamp = where
    return key("mentions", "\n".join(sorted(set(names))), "\n".join(targets + loose), stamp)


def mentions(
    tree: Path, names: Iterable[str], where: tuple[list[str], list[str], str], store: Store
) -> dict[str, tuple[str, ...]]:
    """For each of NAMES (global functions of the analysed .c files), the
    headers outside naming it. Extra names cost a little grep time and are
    never looked up."""
    words = sorted(set(names))
    if not words:
        return {}
    targets, loose, _ = where
    k = mentions_key(words, where)
    hit = store.get(k)
    if isinstance(hit, dict):
        return hit
    with tempfile.NamedTemporaryFile("w", suffix=".names") as tf:
        tf.write("\n".join(words) + "\n")
        tf.flush()
        found = grep.words_in_files(tree, Path(tf.name), targets + loose, "*.h")
    out: dict[str, list[str]] = {}
    for path in sorted(found):
        for word in found[path]:
            out.setdefault(word, []).append(path)
    result = {w: tuple(ps) for w, ps in out.items()}
    store.put(k, result)
    return result


# tracepoint definitions: TRACE_EVENT(btrfs_sync_file, ..) defines
# trace_btrfs_sync_file(); an event named like a function declares nothing
# another file could call
_TRACE_HEADERS = "include/trace/"


def external_to(unit: Unit, mentioned: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The functions a header outside UNIT names, with the first such header
    (tracepoint headers left out)."""
    out: dict[str, str] = {}
    for name, paths in mentioned.items():
        other = next(
            (p for p in paths if not in_unit(p, unit) and not p.startswith(_TRACE_HEADERS)), None
        )
        if other is not None:
            out[name] = other
    return out
