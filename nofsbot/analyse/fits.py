"""Whether a scope fits a critical section: the checks that keep a
needs-scope claim from proposing a boundary. sections.acquire_site()
finds where the lock is taken; these say where a scope after that take
would not cover every path to the site, or would only wrap the
allocation."""

from __future__ import annotations

import itertools

from nofsbot.analyse import fnptrs, reclaim, sections
from nofsbot.analyse.locks import ACQUIRE, RELEASE
from nofsbot.analyse.program import IN, Fn, Program, RootWitness

# A scope boundary is proposed only from a lock taken at most this many calls
# above the site: every step of a longer path is one more place where a
# condition nofsbot does not evaluate (a transaction type, a path flag) may
# rule the path out, and a series with one wrong claim is dropped whole.
MAX_HELD_CALLS = 6


def toward(owner: Fn, chain: list[tuple[Fn, int]], event: int) -> list[int]:
    """The events of OWNER that lead to the site: the site itself, or every
    call of OWNER to the next function of CHAIN (hpfs_trim_fs() calls
    do_trim() under each of its two critical sections)."""
    if not chain:
        return [event]
    first = set(owner.callees[chain[-1][1]])
    return [cj for cj, targets in enumerate(owner.callees) if first & set(targets)]


def partial(model: reclaim.Model, owner: Fn, ci: int, events: list[int], cls: str) -> str | None:
    """Why a scope after call CI in OWNER, which takes CLS, would not cover
    every path to EVENTS: some path gets there without the lock (f2fs
    move_data_block() takes io_order_lock only in LFS mode), or with it
    taken by another call (both arms of an if in device_list_add(), a loop
    that drops and retakes it in fat_trim_fs())."""
    ops: dict[int, list[str]] = {}
    for cj, op, c in model.classes.get(owner.id, ()):
        if c == cls and op in (ACQUIRE, RELEASE):
            ops.setdefault(cj, []).append(op)
    w = sections.sections(owner, ops)
    if w is None:
        return None
    at: frozenset[int] = frozenset().union(*(w.at.get(e, frozenset()) for e in events))
    line = owner.facts.calls[ci][1]
    if sections.NOT_HELD in at:
        return (
            f"{owner.name}() takes {cls} (line {line}) only on some paths to this site: "
            "a scope after it would not cover the others"
        )
    other = sorted(at - {ci})
    if other:
        return (
            f"{owner.name}() takes {cls} at line {line} and also at line "
            f"{owner.facts.calls[other[0]][1]}: a scope after one would not cover the "
            "paths through the other"
        )
    return None


def on_every_path(prog: Program, fn: Fn, chain: list[tuple[Fn, int]]) -> bool:
    """Whether the lock taken at the top of CHAIN (sections.acquire_site())
    is held on every path to FN: no caller on the way is reached without
    it, and the way is short enough to have been followed."""
    if len(chain) > MAX_HELD_CALLS:
        return False
    return not other_caller(prog, [fn, *(g for g, _ in chain)], [c for _, c in chain])


def other_caller(prog: Program, path: list[Fn], calls: list[int]) -> str | None:
    """PATH runs from the site's function up to the one that takes the lock,
    each calling the one before at CALLS. A scope there covers the site only
    if nothing else calls into the path outside a scope: say what does, if
    something does. A caller that passes another function to the parameter
    the path goes on through (fnptrs.py) does not lead to the site."""
    for j, (callee, expected) in enumerate(itertools.pairwise(path)):
        for elem, why in sorted(callee.why.items()):
            if elem != IN and isinstance(why, RootWitness):
                return f"{callee.name}() is also {why.note}"
        k = callee.param_call.get(calls[j - 1]) if j else None
        for cid, ci in callee.callers:
            caller = prog.fns[cid]
            if cid == expected.id or prog.elems(caller, caller.state_at(ci)) == {IN}:
                continue
            if k is not None and fnptrs.passes_other(caller, ci, k, path[j - 1].name):
                continue
            line = caller.facts.calls[ci][1]
            return f"{callee.name}() is also called by {caller.name}() ({caller.path}:{line})"
    return None


def only_call_between(
    fn: Fn, start: int, ends: tuple[int, ...], site: list[int], locking: frozenset[str]
) -> bool:
    """The only calls FN makes after the lock on line START and before the
    last of its releases ENDS are the site's (SITE: call indices, and what
    their arguments call on the same lines) and lock calls (LOCKING): a
    scope around them is one around a single allocation (domain.md section
    1; `nofsbot review`'s single-allocation-scope)."""
    last = max(ends)
    lines = {fn.facts.calls[ci][1] for ci in site}
    between = [at for name, at in fn.facts.calls if start < at < last and name not in locking]
    return bool(site) and all(at in lines for at in between)
