"""Whether a mapping-wide mask can become a scope at one choke point."""

from __future__ import annotations

import re

from nofsbot.analyse.program import Program

# (path, function, line, mapping expression) of a page-cache allocation
PageCacheCall = tuple[str, str, int, str]


def pagecache_calls(prog: Program) -> list[PageCacheCall]:
    """Every page-cache allocation call in the program."""
    return sorted(
        (fn.path, fn.name, fn.facts.calls[ci][1], mapping)
        for fn in prog.fns
        for ci, mapping in fn.facts.pagecache
    )


def choke_point(index: list[PageCacheCall], expr: str, keys: tuple[str, ...]) -> str:
    """Whether a mapping-wide mask on EXPR can become a scope at one choke point.

    KEYS name the mapping's owner: the struct field a private inode is kept
    in, else the inode variable itself. The page-cache allocations on it in
    the subsystem decide: exactly one function is a choke point; none means
    the generic paths outside allocate it (every data mapping of the
    filesystem); several mean the mask cannot be localised.
    """
    words = [k for k in keys if k]
    hits = [
        (p, f, line)
        for p, f, line, m in index
        if any(re.search(rf"\b{re.escape(k)}\b", m) for k in words)
    ]
    fns = sorted({(p, f) for p, f, _ in hits})
    if len(fns) == 1:
        p, f = fns[0]
        lines = ", ".join(str(line) for q, g, line in hits if (q, g) == (p, f))
        return f"localisable: {f}() ({p}, line {lines}) is the only page-cache allocation on it"
    if not fns:
        return (
            f"cannot be localised: no page-cache allocation on {expr} in the analysed code "
            "(the generic read/write paths allocate it)"
        )
    where = ", ".join(f"{f}()" for _, f in fns[:4]) + (" ..." if len(fns) > 4 else "")
    return f"cannot be localised: {len(fns)} functions allocate page cache on it ({where})"
