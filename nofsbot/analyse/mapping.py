"""Whether a mapping-wide mask can become a scope at one choke point.

domain.md section 6: a mask that clears __GFP_FS on a private metadata
mapping whose page cache is allocated in exactly one function can move to a
scope around those allocations (the model upstream: XFS scrub's xfile with a
GFP_KERNEL mapping mask and a scope around shmem_get_folio). A mask on a
mapping the generic read/write paths allocate, or one several functions
allocate on, stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nofsbot.analyse.program import IN, Program
from nofsbot.model import ChokePoint, Evidence


@dataclass(frozen=True, order=True)
class PageCacheCall:
    path: str
    function: str
    line: int
    mapping: str  # the mapping argument, locals resolved
    gfp: str  # the call's own gfp argument, '' when it takes the mapping's mask
    scoped: bool  # inside a NOFS scope on every path


@dataclass(frozen=True)
class MappingVerdict:
    reason: str
    choke: ChokePoint | None  # set when the mask can be localised
    # at the choke point, outside any scope: the reclaim-shared locks that
    # may be held there, and the chain that shows one (unit._at_choke())
    shared: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


def pagecache_calls(prog: Program) -> list[PageCacheCall]:
    """Every page-cache allocation call in the program."""
    return sorted(
        PageCacheCall(
            fn.path,
            fn.name,
            fn.facts.calls[ci][1],
            mapping,
            gfp,
            prog.elems(fn, fn.state_at(ci)) == {IN},
        )
        for fn in prog.fns
        for ci, mapping, gfp in fn.facts.pagecache
    )


def choke_point(
    index: list[PageCacheCall], expr: str, keys: tuple[str, ...], mask: str
) -> MappingVerdict:
    """Whether a mapping-wide MASK on EXPR can become a scope at one choke point.

    KEYS name the mapping's owner: the struct field a private inode is kept
    in, else the inode variable itself. The page-cache allocations on it in
    the subsystem decide: exactly one function is a choke point; none means
    the generic paths outside allocate it (every data mapping of the
    filesystem); several mean the mask cannot be localised. An owner named
    only by a variable (`dir->i_mapping` of a parameter) is no choke point:
    that inode's page cache may be allocated elsewhere under another name.
    """
    words = [k for k in keys if k]
    hits = [c for c in index if any(re.search(rf"\b{re.escape(k)}\b", c.mapping) for k in words)]
    fns = sorted({(c.path, c.function) for c in hits})
    if not fns:
        return MappingVerdict(
            f"cannot be localised: no page-cache allocation on {expr} in the analysed code "
            "(the generic read/write paths allocate it)",
            None,
        )
    if len(fns) > 1:
        where = ", ".join(f"{f}()" for _, f in fns[:4]) + (" ..." if len(fns) > 4 else "")
        return MappingVerdict(
            f"cannot be localised: {len(fns)} functions allocate page cache on it ({where})",
            None,
        )
    path, function = fns[0]
    lines = ", ".join(str(c.line) for c in hits)
    own = [c for c in hits if c.gfp]
    if own:
        return MappingVerdict(
            f"cannot be localised: {function}() ({path}, line {lines}) allocates its page "
            f"cache with its own gfp ({own[0].gfp}), so the mask only decides for the "
            "generic paths",
            None,
        )
    if mask.strip("() ") != "GFP_NOFS":
        return MappingVerdict(
            f"{function}() ({path}, line {lines}) is the only page-cache allocation on it, "
            f"but the mask `{mask}` is not GFP_NOFS: nofsbot does not rewrite it",
            None,
        )
    if len(words) == 1 and re.match(rf"\(?\s*{re.escape(words[0])}\s*->", expr):
        # `dir->i_mapping` of a parameter or local: any inode, which other
        # code (truncate, write_begin) reaches under other names
        return MappingVerdict(
            f"cannot be localised: {expr} is the mapping of whatever inode {words[0]} is, "
            "not of a private inode kept in a field, so page cache allocated on it "
            "elsewhere under another name is not seen",
            None,
        )
    scoped = all(c.scoped for c in hits)
    return MappingVerdict(
        f"localisable: {function}() ({path}, line {lines}) is the only page-cache "
        "allocation on it" + (", and already inside a NOFS scope" if scoped else ""),
        ChokePoint(path, function, expr, tuple(c.line for c in hits), scoped),
    )
