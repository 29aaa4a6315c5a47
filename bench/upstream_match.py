"""Find a 6.1 GFP_NOFS site in a later tree and say what upstream made of it.

A site of `nofsbot scan --json` on the old tree is anchored in its function:
the call it is an argument of (its callee), the assignment it is the value of
(its variable), or else its line. The same function is looked up in the new
tree (same path, else a file of the same name, the same directory, the same
subsystem, or the only definition), and the anchor's counterpart is the call
of the same API family (kmem_alloc ~ kmalloc, kmem_zalloc ~ kzalloc, ...),
the assignment of the same variable, or the most similar line; several
anchors of one family in one function are aligned in order, preferring the
pairs whose other arguments read the same. A function gone from the new tree
may have been renamed (the most alike new function of its subsystem that
calls the same family) or folded into a caller (that caller gained the call).

The outcome is read from the new code only (bench/upstream_outcome.py).
Nothing here knows what any function should get: everything is read from the
two trees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from difflib import SequenceMatcher

from upstream_index import Assign, Call, Func, Index, last_name
from upstream_outcome import MASK_WORD, Counterpart, Outcome, Site, read

# how alike (difflib ratio of the bodies) a new function must be to count as the old
# one renamed: anywhere in the subsystem, and in a file of the old one's name
RENAMED = 0.6
RENAMED_HERE = 0.5
# how alike the other arguments must be to take a call of another function for one
# of a function the new tree no longer has
REPLACED = 0.6

# API families: a call in the old tree matches a call of the same family in the new one
_FAMILIES = (
    ("kmem_alloc", "kmalloc", "kmalloc_array", "kvmalloc", "kvmalloc_array", "kmem_alloc_large"),
    ("kmem_zalloc", "kzalloc", "kcalloc", "kvzalloc", "kvcalloc", "kmem_zalloc_large"),
    ("krealloc", "kvrealloc", "krealloc_array", "kmem_realloc"),
    ("kmem_cache_alloc", "kmem_cache_zalloc"),
    ("find_or_create_page", "pagecache_get_page", "__filemap_get_folio", "filemap_grab_folio"),
    ("grab_cache_page_write_begin", "write_begin_get_folio", "__filemap_get_folio"),
    ("alloc_page", "alloc_pages", "folio_alloc", "filemap_alloc_folio"),
    ("__page_cache_alloc", "page_cache_alloc", "filemap_alloc_folio"),
    ("add_to_page_cache_lru", "filemap_add_folio"),
    ("blkdev_issue_discard", "__blkdev_issue_discard"),
    # a radix tree (preloaded, or storing with its own mask) that became an xarray
    ("radix_tree_preload", "radix_tree_maybe_preload", "xa_insert", "xa_store", "xa_alloc"),
)


def family(callee: str) -> frozenset[str]:
    names = {callee}
    for fam in _FAMILIES:
        if callee in fam:
            names |= set(fam)
    return frozenset(names)


# -- anchors ----------------------------------------------------------------------


def _mask_free(args: Iterable[str]) -> str:
    """A call's arguments without the masks: what identifies it across versions."""
    return ", ".join(MASK_WORD.sub("", a) for a in args)


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def align(old: list[str], new: list[str]) -> dict[int, int]:
    """An order-preserving pairing of OLD and NEW items (most pairs, then the most
    similar texts): old index -> new index."""
    n, m = len(old), len(new)
    # best[i][j]: (pairs, similarity) of old[i:] with new[j:]
    best = [[(0, 0.0)] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            pairs, sim = best[i + 1][j + 1]
            take = (pairs + 1, sim + _similar(old[i], new[j]))
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    out, i, j = {}, 0, 0
    while i < n and j < m:
        pairs, sim = best[i + 1][j + 1]
        if best[i][j] == (pairs + 1, sim + _similar(old[i], new[j])):
            out[i] = j
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return out


def _spanning(items: Iterable[Call | Assign], line: int) -> list[Call | Assign]:
    return sorted(
        (x for x in items if x.line <= line <= x.end_line),
        key=lambda x: (x.end_line - x.line, -x.line),
    )


def _candidates(fam: frozenset[str], f2: Func, old: Index, new: Index) -> list[Counterpart]:
    """The calls of FAM in F2 and, in their place, those a new helper (not defined
    in the old tree) that F2 calls makes, in source order."""
    out = []
    for c in f2.calls:
        if c.callee in fam:
            out.append(Counterpart(c, c.line, c))
        elif c.callee not in old.by_name and c.callee != f2.name:
            h = new.lookup(c.callee, f2.path)
            inner = [x for x in h.calls if x.callee in fam] if h is not None else []
            out += [Counterpart(x, c.line, x, h) for x in inner]
    return out


def _match_call(
    callee: str, here: Call, f1: Func, f2: Func, old: Index, new: Index
) -> tuple[Counterpart | None, str]:
    fam = family(callee)
    before = [c for c in f1.calls if c.callee in fam]
    after = _candidates(fam, f2, old, new)
    if not after and not any(n in new.callers or n in new.by_name for n in fam):
        return _replaced(callee, here, f1, f2)
    if not after:
        return None, f"{f2.name}() no longer calls {'/'.join(sorted(fam))}()"
    pairs = align([_mask_free(c.args) for c in before], [_mask_free(c.call.args) for c in after])
    i = before.index(here)
    if i not in pairs:
        return None, f"{f2.name}() calls {callee}() and its family fewer times; this one is gone"
    got = replace(after[pairs[i]], old=here)
    how = f"call {i + 1} of {len(before)} -> {len(after)} to {callee}() and family"
    if got.helper is not None:
        how += f", via the new helper {got.helper.name}()"
    return got, how


def _replaced(callee: str, here: Call, f1: Func, f2: Func) -> tuple[Counterpart | None, str]:
    """CALLEE is gone from the new tree: the call F2 makes to a function F1 did not
    call whose other arguments read most like HERE's, if alike enough (REPLACED)."""
    known = {c.callee for c in f1.calls}
    key = _mask_free(here.args)
    scored = sorted(
        (
            (_similar(key, _mask_free(c.args)), -c.line, c)
            for c in f2.calls
            if c.callee not in known
        ),
        key=lambda x: x[:2],
        reverse=True,
    )
    if not scored or scored[0][0] < REPLACED:
        return None, f"{callee}() is gone from the new tree and {f2.name}() no longer calls it"
    ratio, _, c = scored[0]
    how = f"{callee}() is gone from the new tree; {f2.name}() calls {c.callee}() in its place"
    return Counterpart(c, c.line, here, same_api=False), how + f" (arguments {ratio:.2f} alike)"


def _match_site_call(
    s: Site, f1: Func, f2: Func, old: Index, new: Index
) -> tuple[Counterpart | None, str]:
    assert s.callee is not None
    here = [c for c in _spanning(f1.calls, s.line) if isinstance(c, Call) and c.callee == s.callee]
    if not here:
        return None, f"no call to {s.callee}() at line {s.line} in the old {f1.name}()"
    return _match_call(s.callee, here[0], f1, f2, old, new)


def _match_use(
    s: Site, f1: Func, f2: Func, old: Index, new: Index
) -> tuple[Counterpart | None, str]:
    """A mask variable: the first call it flows to (nofsbot's `uses`) that has a counterpart."""
    why = f"no call {', '.join(s.uses)}() after line {s.line} in the old {f1.name}()"
    for use in s.uses:
        later = [c for c in f1.calls if c.callee == use and c.end_line >= s.line]
        if later:
            got, why = _match_call(use, later[0], f1, f2, old, new)
            if got is not None:
                return got, f"{s.variable} flows to {use}(): {why}"
    return None, why


def _match_assign(s: Site, f1: Func, f2: Func) -> tuple[Assign | None, str]:
    assert s.variable is not None
    var = last_name(s.variable)  # socket->sk->sk_allocation -> sk_allocation
    here = [a for a in _spanning(f1.assigns, s.line) if isinstance(a, Assign)]
    here = [a for a in here if a.variable == var]
    if not here:
        return None, f"no assignment to {s.variable} at line {s.line} in the old {f1.name}()"
    old = [a for a in f1.assigns if a.variable == var]
    new = [a for a in f2.assigns if a.variable == var]
    if not new:
        return None, f"{f2.name}() no longer assigns {s.variable}"
    pairs = align([_mask_free([a.value]) for a in old], [_mask_free([a.value]) for a in new])
    i = old.index(here[0])
    if i not in pairs:
        return None, f"{f2.name}() assigns {s.variable} fewer times; this one is gone"
    return new[pairs[i]], f"assignment {i + 1} of {len(old)} -> {len(new)} to {s.variable}"


def _match_line(s: Site, f1: Func, f2: Func, old: Index, new: Index) -> tuple[int | None, str]:
    text = old.lines(f1)[s.line - f1.line] if f1.line <= s.line <= f1.end_line else ""
    if not text:
        return None, f"line {s.line} is outside the old {f1.name}()"
    scored = sorted(
        ((_similar(text, t), -abs(k - (s.line - f1.line)), k) for k, t in enumerate(new.lines(f2))),
        reverse=True,
    )
    if not scored or scored[0][0] < 0.6:
        return None, f"no line of {f2.name}() reads like `{text}`"
    return f2.line + scored[0][2], f"the line most like `{text}` ({scored[0][0]:.2f})"


# -- one site ---------------------------------------------------------------------


def renamed(f1: Func, callees: Iterable[str], old: Index, new: Index) -> tuple[Func | None, float]:
    """The new function most like F1 among those whose names the old tree does not
    define: in its subsystem, calling one of CALLEES' families (or, without
    CALLEES, in a file of the same name). One in a file of F1's name is taken from
    RENAMED_HERE on, any other from RENAMED on."""
    fams = frozenset().union(*(family(c) for c in callees))
    sub = "/".join(f1.path.split("/")[:2]) + "/"
    base = f1.path.rsplit("/", 1)[-1]
    body = "\n".join(old.lines(f1)[1:])
    bonus = RENAMED - RENAMED_HERE
    cands: list[tuple[float, bool, SequenceMatcher[str], Func]] = []
    for fs in new.by_name.values():
        for f in fs:
            if not f.path.startswith(sub) or f.name in old.by_name:
                continue
            here = f.path.rsplit("/", 1)[-1] == base
            if fams and not any(c.callee in fams for c in f.calls):
                continue
            if not (here or fams):
                continue
            m = SequenceMatcher(None, body, "\n".join(new.lines(f)[1:]), autojunk=False)
            bound = m.quick_ratio() + (bonus if here else 0.0)
            if bound >= RENAMED:
                cands.append((bound, here, m, f))
    best: tuple[float, float, Func | None] = (0.0, 0.0, None)
    for bound, here, m, f in sorted(cands, key=lambda c: -c[0]):
        if bound <= best[0]:
            break  # quick_ratio() bounds ratio(): nothing further can win
        ratio = m.ratio()
        score = ratio + (bonus if here else 0.0)
        if score >= RENAMED and score > best[0]:
            best = (score, ratio, f)
    return best[2], best[1]


def folded(s: Site, f1: Func, old: Index, new: Index) -> tuple[Func, Counterpart, str] | None:
    """The call of S's family that a caller of the gone F1 gained: F1 folded into it."""
    assert s.callee is not None
    fam = family(s.callee)
    mine = [c for c in _spanning(f1.calls, s.line) if isinstance(c, Call) and c.callee == s.callee]
    if not mine:
        return None
    for g, _ in old.callers.get(f1.name, []):
        g2 = new.lookup(g.name, g.path)
        if g2 is None:
            continue
        before = [c for c in g.calls if c.callee in fam]
        after = [c for c in g2.calls if c.callee in fam]
        if len(after) <= len(before):
            continue
        pairs = align([_mask_free(c.args) for c in before], [_mask_free(c.args) for c in after])
        taken = set(pairs.values())
        extra = [c for j, c in enumerate(after) if j not in taken]
        key = _mask_free(mine[0].args)
        best = max(extra, key=lambda c: _similar(key, _mask_free(c.args)))
        how = f"{f1.name}() is gone; its caller {g2.name}() gained this {best.callee}() call"
        return g2, Counterpart(best, best.line, mine[0]), how
    return None


def match(s: Site, old: Index, new: Index, depth: int = 4) -> Outcome:
    if not s.function:
        return Outcome("unmatched", "the site is outside any function")
    f1 = old.lookup(s.function, s.path, s.line)
    if f1 is None:
        return Outcome("unmatched", f"no definition of {s.function}() in the old index")
    f2 = new.lookup(s.function, s.path)
    if f2 is None and new.by_name.get(s.function):
        paths = sorted({f.path for f in new.by_name[s.function]})
        return Outcome("unmatched", f"{s.function}() is defined in {', '.join(paths)}")
    moved = ""
    if f2 is None and s.callee:
        got = folded(s, f1, old, new)
        if got is not None:
            g2, cp, why = got
            return read(s, g2, cp, cp.at, why + _moved(g2, s), old, new, depth)
    if f2 is None:
        f2, score = renamed(f1, [s.callee] if s.callee else s.uses, old, new)
        if f2 is None:
            return Outcome("removed", f"no definition of {s.function}() in the new tree")
        moved = f" ({s.function}() renamed {f2.name}(), {score:.2f} alike)"
    moved += _moved(f2, s)

    anchor: Counterpart | Assign | None = None
    at: int | None
    if s.callee:
        anchor, how = _match_site_call(s, f1, f2, old, new)
    elif s.variable and s.uses:
        anchor, how = _match_use(s, f1, f2, old, new)
    elif s.variable:
        anchor, how = _match_assign(s, f1, f2)
    if s.callee or s.variable:
        at = anchor.at if isinstance(anchor, Counterpart) else anchor.line if anchor else None
    else:
        at, how = _match_line(s, f1, f2, old, new)
    how += moved
    if at is None:
        gone = "no longer" in how or "is gone" in how
        return Outcome("removed" if gone else "unmatched", how, f2.path, None, f2.name)
    return read(s, f2, anchor, at, how, old, new, depth)


def _moved(f2: Func, s: Site) -> str:
    return "" if f2.path == s.path else f" (now in {f2.path})"
