"""Where a lock held at a site was taken, and where its critical section
ends: what a scope boundary needs (unit.py) and what hazards cite.

acquire_site() follows the lock from the site up the calls made with it
held (reclaim.Model.held_by); exits() finds the releases that end what one
acquisition took and the returns that leave it held.
"""

from __future__ import annotations

from collections.abc import Callable

from nofsbot.analyse import ir
from nofsbot.analyse.guards import Binding
from nofsbot.analyse.locks import ACQUIRE, RELEASE, TRYLOCK
from nofsbot.analyse.program import Fn, Program
from nofsbot.analyse.reclaim import Model, plain


def acquire_site(
    prog: Program,
    m: Model,
    fid: int,
    event: int,
    line: int,
    cls: str,
    chain: list[tuple[Fn, int]] | None = None,
    allow: Callable[[Binding], bool] | None = None,
) -> tuple[Fn, int, int] | None:
    """Where the lock CLS held at EVENT (on LINE) in FID was taken:
    (function, call index, line). CHAIN, if given, gets the calls from FID's
    caller up to the one made with the lock held, along calls that can run
    (from a binding of FID that ALLOW accepts)."""
    fn = prog.fns[fid]
    binding = m.first_held(fid, cls, allow)
    seen: set[tuple[int, Binding]] = set()
    while True:
        if cls in m.local.get(fn.id, {}).get(event, ()):
            best: tuple[int, int] | None = None
            for ci, op, c in m.classes.get(fn.id, ()):
                cline = fn.facts.calls[ci][1]
                later = best is None or cline >= best[1]
                if op in (ACQUIRE, TRYLOCK) and c == cls and cline <= line and later:
                    best = (ci, cline)
            return (fn, *best) if best else None
        if binding is None or (fn.id, binding) in seen:
            return None
        seen.add((fn.id, binding))
        w = m.held_by.get((fn.id, cls, binding))
        if w is None or w[0] < 0:
            return None
        fn, event, binding = prog.fns[w[0]], w[1], w[2]
        line = fn.facts.calls[event][1]
        if chain is not None:
            chain.append((fn, event))


def held_outside(
    prog: Program,
    m: Model,
    fid: int,
    event: int,
    cls: str,
    allow: Callable[[Binding], bool] | None = None,
) -> str | None:
    """If CLS is held at EVENT in FID because the kernel took it before
    calling into the analysed code, say where: the entry or the call back."""
    binding = m.first_held(fid, cls, allow)
    seen: set[tuple[int, Binding]] = set()
    while True:
        holds, why = prog.call_holds.get((fid, event), ((), ""))
        if cls in holds:
            fn = prog.fns[fid]
            return f"{fn.name}() at line {fn.facts.calls[event][1]}: {why}"
        if cls in m.local.get(fid, {}).get(event, ()) or binding is None:
            return None
        if (fid, binding) in seen:
            return None
        seen.add((fid, binding))
        w = m.held_by.get((fid, cls, binding))
        if w is None:
            return None
        if w[0] < 0:
            root = prog.entry_holds.get(fid, {}).get(cls)
            return root.note if root else None
        fid, event, binding = w


def exits(
    m: Model, fn: Fn, ci: int, cls: str
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """For a scope opened after call CI of FN, which takes lock CLS: the
    releases that end what CI took (where the restores go), the returns
    reached with CLS still held (where the critical section outlives the
    function), and the releases that end what CI took on one path and
    another take of the lock on another (ubifs_lpt_start_commit() unlocks
    lp_mutex in a loop that locks it again): a restore there would run
    again for a section no save opened. A release that only ends another
    acquisition of the lock (hpfs_trim_fs() takes hpfs_mutex again in a
    loop after the first section) gets no restore: its path has no save."""
    locks = m.classes.get(fn.id, ())
    ends = {cls}
    # an unlock ends the lock whatever subclass took it, but which one it
    # ends is known only when the function takes that lock once
    # (ni_lock(ni) .. ni_unlock(ni)), not of two tree blocks it holds
    if sum(1 for _, op, c in locks if op == ACQUIRE and plain(c) == plain(cls)) == 1:
        ends.add(plain(cls))
    ops: dict[int, list[str]] = {}
    for cj, op, c in locks:
        if (op == ACQUIRE and c == cls) or (op == RELEASE and c in ends):
            ops.setdefault(cj, []).append(op)
    w = sections(fn, ops)
    if w is None:
        return (), (), ()
    ending: list[tuple[int, set[int]]] = [
        (cj, set(w.at.get(cj, ())))
        for cj, done in ops.items()
        if RELEASE in done and ci in w.at.get(cj, ())
    ]
    releases = {fn.facts.calls[cj][1] for cj, _ in ending}
    shared = {fn.facts.calls[cj][1] for cj, at in ending if at - {ci, NOT_HELD}}
    after = fn.facts.calls[ci][1]
    held = {line for line, held in m.returns.get(fn.id, {}).items() if cls in held and line > after}
    return tuple(sorted(releases)), tuple(sorted(held)), tuple(sorted(shared))


NOT_HELD = -1  # sections(): the lock is not held


def sections(fn: Fn, ops: dict[int, list[str]]) -> ir.Walk | None:
    """A walk of FN whose state at each event is which call took the lock
    (its call index), or NOT_HELD: OPS gives each call's acquires and
    releases of it, in order."""
    if fn.facts.ir is None:
        return None

    def transfer(cj: int, state: frozenset[int]) -> frozenset[int]:
        for op in ops.get(cj, ()):
            state = frozenset({cj}) if op == ACQUIRE else frozenset({NOT_HELD})
        return state

    w = ir.Walk(transfer, frozenset({NOT_HELD}))
    w.run(fn.facts.ir)
    return w
