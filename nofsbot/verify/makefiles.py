"""Which CONFIG symbols the Kbuild Makefiles require for an object to be built.

For fs/xfs/xfs_qm.o: fs/xfs/Makefile has `xfs-$(CONFIG_XFS_QUOTA) += xfs_qm.o`
and `obj-$(CONFIG_XFS_FS) += xfs.o`, fs/Makefile has `obj-$(CONFIG_XFS_FS) +=
xfs/`, the top-level Kbuild `obj-y += fs/`: XFS_QUOTA and XFS_FS. Read are
`obj-y`, `obj-$(CONFIG_X)`, `lib-y`, composite objects (`<name>-y`,
`<name>-$(CONFIG_X)`, `<name>-objs`), `$(addprefix dir/, ...)`, line
continuations and `ifdef CONFIG_X` / `ifeq ($(CONFIG_X),y)` blocks. An object
listed by a Makefile further up (`libxfs/xfs_dir2.o` in fs/xfs/Makefile) is
found there. A directory at the top of the tree needs no symbol.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

Reader = Callable[[str], str | None]  # tree-relative path -> text, None if absent

_ASSIGN = re.compile(
    r"^(?P<name>[A-Za-z0-9_]+)-(?P<cond>y|objs|\$\(CONFIG_[A-Za-z0-9_]+\)|\$\([^)]*\))"
    r"\s*(?:\+=|:=|\?=|=)\s*(?P<value>.*)$"
)
_ADDPREFIX = re.compile(r"\$\(addprefix\s+([^,()]+),([^()]*)\)")
_IF_SYMBOL = re.compile(
    r"^(?:ifdef\s+CONFIG_(?P<a>\w+)"
    r"|ifeq\s+\(\$\(CONFIG_(?P<b>\w+)\),\s*y\s*\)"
    r"|ifneq\s+\(\$\(CONFIG_(?P<c>\w+)\),\s*\))\s*$"
)
_CONFIG = re.compile(r"^\$\(CONFIG_(\w+)\)$")
UNKNOWN = "?"


@dataclass(frozen=True)
class Assignment:
    name: str  # "obj", "lib" or a composite object's name ("xfs")
    condition: str | None  # a symbol, None for y, UNKNOWN for another variable
    items: tuple[str, ...]  # objects and directories ("xfs.o", "libxfs/x.o", "xfs/")
    blocks: tuple[str, ...]  # symbols of the enclosing ifdef/ifeq blocks


@dataclass(frozen=True)
class Requirement:
    obj: str  # tree-relative object, "fs/xfs/xfs_qm.o"
    symbols: tuple[str, ...]  # without CONFIG_, sorted
    problem: str | None  # why nofsbot cannot tell how to build it


def parse(text: str) -> list[Assignment]:
    """The list assignments of a Kbuild Makefile."""
    out: list[Assignment] = []
    blocks: list[str | None] = []
    for line in _logical_lines(text):
        stripped = line.strip()
        word = stripped.split(maxsplit=1)[0] if stripped else ""
        if word in ("ifdef", "ifndef", "ifeq", "ifneq"):
            m = _IF_SYMBOL.match(stripped)
            blocks.append((m["a"] or m["b"] or m["c"]) if m else None)
            continue
        if word == "else" and blocks:
            blocks[-1] = None
            continue
        if word == "endif" and blocks:
            blocks.pop()
            continue
        m = _ASSIGN.match(stripped)
        if not m:
            continue
        cond = m["cond"]
        symbol = _CONFIG.match(cond)
        condition = None if cond in ("y", "objs") else symbol.group(1) if symbol else UNKNOWN
        items = tuple(_expand(m["value"]).split())
        out.append(Assignment(m["name"], condition, items, tuple(b for b in blocks if b)))
    return out


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        raw = raw.split("#", 1)[0]
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        lines.append(pending + raw)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def _expand(value: str) -> str:
    def prefix(m: re.Match[str]) -> str:
        return " ".join(m.group(1).strip() + w for w in m.group(2).split())

    return _ADDPREFIX.sub(prefix, value)


def object_of(path: str) -> str | None:
    """The object a source file compiles to, None for headers and the rest."""
    root, ext = posixpath.splitext(path)
    return root + ".o" if ext in (".c", ".S") else None


def requirement(obj: str, read: Reader) -> Requirement:
    """The symbols that must be y for OBJ to be built into the kernel."""
    symbols: set[str] = set()
    target, d = obj, posixpath.dirname(obj)
    while d:
        found = _listed(target, d, read)
        if found is None:
            what = "object" if target == obj else "directory"
            return Requirement(
                obj, tuple(sorted(symbols)), f"no Kbuild Makefile lists {what} {target}"
            )
        where, conds = found
        if UNKNOWN in conds:
            return Requirement(
                obj,
                tuple(sorted(symbols)),
                f"{where}/Makefile lists {target} under a condition that is not a CONFIG symbol",
            )
        symbols |= conds
        target, d = where + "/", posixpath.dirname(where)
    return Requirement(obj, tuple(sorted(symbols)), None)


def _listed(target: str, start: str, read: Reader) -> tuple[str, set[str]] | None:
    """The directory (START or above it) whose Makefile lists TARGET, and the
    symbols that list needs; directories not holding TARGET are skipped."""
    d = start
    while d:
        text = read(f"{d}/Kbuild") or read(f"{d}/Makefile")
        if text is not None:
            conds = _conditions(target, posixpath.relpath(target, d), parse(text))
            if conds is not None:
                return d, conds
        if target.endswith("/") and d == start:
            break  # a directory is listed by its parent only
        d = posixpath.dirname(d)
    return None


def _conditions(target: str, rel: str, assignments: list[Assignment]) -> set[str] | None:
    rel = rel + "/" if target.endswith("/") else rel
    conds: set[str] = set()
    seen: set[str] = set()
    while rel not in seen:
        seen.add(rel)
        hits = [a for a in assignments if rel in a.items]
        if not hits:
            return None
        # prefer the unconditional list, then obj-/lib- over a composite
        a = min(hits, key=lambda h: (h.condition is not None, h.name not in ("obj", "lib")))
        conds |= set(a.blocks)
        if a.condition is not None:
            conds.add(a.condition)
        if a.name in ("obj", "lib"):
            return conds
        rel = a.name + ".o"
    return None
