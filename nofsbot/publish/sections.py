"""MAINTAINERS sections: which maintainer tree a file belongs to.

A series goes to one maintainer tree. A file belongs to the section whose
`F:` pattern matches it most specifically (the longest pattern, as
get_maintainer.pl weighs them); `X:` patterns exclude.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Section:
    name: str
    files: tuple[str, ...]  # F: patterns
    excludes: tuple[str, ...]  # X: patterns
    trees: tuple[str, ...]  # T: the maintainer's git tree
    lists: tuple[str, ...]  # L:


def parse(text: str) -> list[Section]:
    """The sections of a MAINTAINERS file (the preamble before the first
    section, which has no `F:` lines, yields nothing)."""
    out: list[Section] = []
    name = ""
    fields: dict[str, list[str]] = {}

    def flush() -> None:
        if name and fields.get("F"):
            out.append(
                Section(
                    name,
                    tuple(fields.get("F", ())),
                    tuple(fields.get("X", ())),
                    tuple(fields.get("T", ())),
                    tuple(v.split()[0] for v in fields.get("L", ()) if v.split()),
                )
            )

    for line in text.splitlines():
        if len(line) > 2 and line[1] == ":" and line[0].isupper() and line[2] in " \t":
            fields.setdefault(line[0], []).append(line[2:].strip())
        elif line.strip() and not line.startswith((" ", "\t")):
            flush()
            name, fields = line.strip(), {}
        elif not line.strip():
            flush()
            name, fields = "", {}
    flush()
    return out


def _matches(pattern: str, path: str) -> bool:
    if pattern.endswith("/"):  # a directory: everything below it
        if any(c in pattern for c in "*?["):
            return fnmatch.fnmatchcase(path, pattern + "*")
        return path.startswith(pattern)
    if any(c in pattern for c in "*?["):
        # like get_maintainer.pl: a glob matches files in that directory only
        return fnmatch.fnmatchcase(path, pattern) and path.count("/") == pattern.count("/")
    return path == pattern or path.startswith(pattern + "/")


def section_for(sections: list[Section], path: str) -> Section | None:
    """The section whose F: pattern matches PATH most specifically."""
    best: tuple[int, Section] | None = None
    for s in sections:
        if any(_matches(x, path) for x in s.excludes):
            continue
        for pattern in s.files:
            if _matches(pattern, path) and (best is None or len(pattern) > best[0]):
                best = (len(pattern), s)
    return best[1] if best else None


def load(tree: Path) -> list[Section]:
    f = tree / "MAINTAINERS"
    return parse(f.read_text(errors="replace")) if f.exists() else []
